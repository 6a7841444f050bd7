package postgres_test

import (
	"context"
	"testing"

	"github.com/roomd/roomd"
	"github.com/roomd/roomd/storetest"
)

// searchRooms is how many rooms BenchmarkSearchRooms pages through.
const searchRooms = 100_000

// BenchmarkSearchRooms reads a page of 100 rooms out of 100,000 by key
// and, to compare, by OFFSET (storetest.BenchSearchRooms). The rooms are
// written straight into a fresh schema, each owned by its one member.
func BenchmarkSearchRooms(b *testing.B) {
	dsn := freshSchema(b)
	mustMigrate(b, dsn)
	ctx := context.Background()
	for _, q := range []string{
		`INSERT INTO users (app, id) VALUES (1, 'owner')`,
		`INSERT INTO rooms (app, id, owner) SELECT 1, 'room' || lpad(i::text, 6, '0'), 'owner' FROM generate_series(0, 99999) i`,
		`INSERT INTO members (app, room, user_id, role) SELECT 1, id, 'owner', 1 FROM rooms WHERE app = 1`,
		`ANALYZE`,
	} {
		if _, err := mustConnect(b, dsn).Exec(ctx, q); err != nil {
			b.Fatalf("%s: %v", q, err)
		}
	}
	storetest.BenchSearchRooms(b, roomd.NewService(mustOpen(b, dsn), nil, nil), searchRooms)
}
