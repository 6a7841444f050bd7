package migration_test

import (
	"strings"
	"testing"
	"testing/fstest"

	"github.com/roomd/roomd/internal/migration"
)

func TestLoad(t *testing.T) {
	t.Run("InOrder", func(t *testing.T) {
		fsys := fstest.MapFS{
			"m/0002_b.sql": {Data: []byte("B")},
			"m/0001_a.sql": {Data: []byte("A")},
			"m/README":     {Data: []byte("not a migration")},
		}
		got, err := migration.Load(fsys, "m/*.sql")
		if err != nil || len(got) != 2 || got[0] != (migration.Step{Version: 1, Name: "0001_a.sql", SQL: "A"}) || got[1].Name != "0002_b.sql" {
			t.Fatalf("got %+v, %v; want 0001_a.sql then 0002_b.sql", got, err)
		}
	})
	for name, c := range map[string]struct {
		fsys fstest.MapFS
		want string
	}{
		"Gap":     {fstest.MapFS{"m/0001_a.sql": {}, "m/0003_c.sql": {}}, "0003_c.sql: want version 2"},
		"BadName": {fstest.MapFS{"m/first.sql": {}}, "first.sql: want a name NNNN_description.sql"},
		"Zero":    {fstest.MapFS{"m/0000_a.sql": {}}, "want a name NNNN_description.sql"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := migration.Load(c.fsys, "m/*.sql")
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %v, want an error containing %q", err, c.want)
			}
		})
	}
}
