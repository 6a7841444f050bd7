package postgres_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/roomd/roomd"
	"github.com/roomd/roomd/postgres"
	"github.com/roomd/roomd/storetest"
)

// envDSN names the environment variable that holds the DSN of the server
// the tests use.
const envDSN = "ROOMD_TEST_POSTGRES"

// serverDSN returns the DSN of the test server, skipping the test when
// there is none.
func serverDSN(tb testing.TB) string {
	tb.Helper()
	dsn := os.Getenv(envDSN)
	if dsn == "" {
		tb.Skip("set " + envDSN + "=postgres://... to run the PostgreSQL store tests")
	}
	return dsn
}

// freshSchema creates an empty schema, dropped (CASCADE) in Cleanup, and
// returns a DSN whose search_path is that schema.
func freshSchema(tb testing.TB) string {
	tb.Helper()
	dsn := serverDSN(tb)
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	schema := "roomd_t_" + hex.EncodeToString(b)
	ctx := context.Background()
	if _, err := mustConnect(tb, dsn).Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		tb.Fatalf("create schema: %v", err)
	}
	tb.Cleanup(func() {
		conn, err := pgx.Connect(ctx, dsn)
		if err != nil {
			tb.Errorf("connect to drop schema %s: %v", schema, err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			tb.Errorf("drop schema %s: %v", schema, err)
		}
	})
	return withSearchPath(tb, dsn, schema)
}

// mustConnect opens a connection to dsn, closed when the test ends.
func mustConnect(tb testing.TB, dsn string) *pgx.Conn {
	tb.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		tb.Fatalf("connect to %s: %v", postgres.Redact(dsn), err)
	}
	tb.Cleanup(func() { conn.Close(ctx) })
	return conn
}

// withSearchPath returns dsn with its search_path set to schema.
func withSearchPath(tb testing.TB, dsn, schema string) string {
	tb.Helper()
	u, err := url.Parse(dsn)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return dsn + " search_path=" + schema // keyword/value form
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// testLog is an io.Writer onto a test's log.
type testLog struct{ tb testing.TB }

func (w testLog) Write(p []byte) (int, error) {
	w.tb.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

// mustMigrate migrates the database at dsn, failing the test on error.
func mustMigrate(tb testing.TB, dsn string) {
	tb.Helper()
	if err := postgres.Migrate(context.Background(), dsn); err != nil {
		tb.Fatalf("Migrate: got error %v, want nil", err)
	}
}

// mustOpen opens the store at dsn, closed in Cleanup.
func mustOpen(tb testing.TB, dsn string) *postgres.DB {
	tb.Helper()
	db, err := postgres.Open(context.Background(), dsn, postgres.Options{Logger: slog.New(slog.NewTextHandler(testLog{tb}, nil))})
	if err != nil {
		tb.Fatalf("Open: got error %v, want nil", err)
	}
	tb.Cleanup(func() {
		if err := db.Close(); err != nil {
			tb.Errorf("Close: got error %v, want nil", err)
		}
	})
	return db
}

// MustOpenStore opens a store in a fresh, migrated schema.
func MustOpenStore(tb testing.TB) *postgres.DB {
	tb.Helper()
	dsn := freshSchema(tb)
	mustMigrate(tb, dsn)
	return mustOpen(tb, dsn)
}

func TestConformance(t *testing.T) {
	serverDSN(t)
	storetest.Run(t, func(tb testing.TB) roomd.Store { return MustOpenStore(tb) })
}

func TestMigrateTwice(t *testing.T) {
	dsn := freshSchema(t)
	mustMigrate(t, dsn)
	mustMigrate(t, dsn)
	db := mustOpen(t, dsn)
	if v, err := db.SchemaVersion(context.Background()); err != nil || v != postgres.LatestSchema {
		t.Fatalf("SchemaVersion: got %d, %v; want %d", v, err, postgres.LatestSchema)
	}
}

func TestMigrateConcurrently(t *testing.T) {
	dsn := freshSchema(t)
	const n = 4
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { errs[i] = postgres.Migrate(context.Background(), dsn) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("Migrate #%d: got error %v, want nil", i, err)
		}
	}
	mustOpen(t, dsn)
}

func TestOpenRefusesOldSchema(t *testing.T) {
	dsn := freshSchema(t)
	_, err := postgres.Open(context.Background(), dsn, postgres.Options{})
	if err == nil || !strings.Contains(err.Error(), "roomd migrate --store") {
		t.Fatalf("Open of an empty schema: got error %v, want one naming roomd migrate", err)
	}
}

func TestOpenRefusesNewerSchema(t *testing.T) {
	dsn := freshSchema(t)
	mustMigrate(t, dsn)
	conn, err := pgx.Connect(context.Background(), dsn)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(context.Background(), `INSERT INTO roomd_schema (version, name) VALUES ($1, 'future')`, postgres.LatestSchema+1); err != nil {
		t.Fatalf("record a future migration: %v", err)
	}
	if db, err := postgres.Open(context.Background(), dsn, postgres.Options{}); err == nil || !strings.Contains(err.Error(), "newer") {
		if db != nil {
			db.Close()
		}
		t.Fatalf("Open of a newer schema: got error %v, want one saying it is newer", err)
	}
	if err := postgres.Migrate(context.Background(), dsn); err == nil {
		t.Fatalf("Migrate of a newer schema: got nil error, want a refusal")
	}
}

func TestRedact(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"postgres://ann:secret@db:5432/roomd?sslmode=disable", "postgres://ann@db:5432/roomd?sslmode=disable"},
		{"postgres://db/roomd?password=secret&user=ann", "postgres://db/roomd?user=ann"},
		{"host=db user=ann password=secret dbname=roomd", "host=db user=ann dbname=roomd"},
	} {
		if got := postgres.Redact(c.in); got != c.want {
			t.Errorf("Redact(%q): got %q, want %q", c.in, got, c.want)
		}
	}
}

// twoNodes opens two stores on one fresh schema, as two roomd nodes would.
func twoNodes(t *testing.T) (*postgres.DB, *postgres.DB) {
	dsn := freshSchema(t)
	mustMigrate(t, dsn)
	return mustOpen(t, dsn), mustOpen(t, dsn)
}

func TestNonceAcrossNodes(t *testing.T) {
	a, b := twoNodes(t)
	ctx := context.Background()
	now := time.Now()
	claim := func(db *postgres.DB, nonce string, now time.Time) error {
		wait, err := db.UseNonce(ctx, 1, nonce, now, now.Add(time.Minute))
		if err != nil {
			return err
		}
		return wait()
	}
	if err := claim(a, "n1", now); err != nil {
		t.Fatalf("UseNonce on node a: got %v, want nil", err)
	}
	if err := claim(b, "n1", now); roomd.ErrorCode(err) != roomd.EEXISTS {
		t.Fatalf("UseNonce of the same nonce on node b: got %v, want %s", err, roomd.EEXISTS)
	}
	later := now.Add(2 * time.Minute)
	if err := claim(b, "n1", later); err != nil {
		t.Fatalf("UseNonce of the expired nonce on node b: got %v, want nil", err)
	}
	if err := claim(a, "n1", later); roomd.ErrorCode(err) != roomd.EEXISTS {
		t.Fatalf("UseNonce of b's claim on node a: got %v, want %s", err, roomd.EEXISTS)
	}
}

func TestTransfersAcrossNodes(t *testing.T) {
	a, b := twoNodes(t)
	ctx := context.Background()
	clock := storetest.NewClock(time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC))
	svcs := []*roomd.Service{roomd.NewService(a, nil, clock.Now), roomd.NewService(b, nil, clock.Now)}
	users := []roomd.User{{ID: "u0"}, {ID: "u1"}, {ID: "u2"}, {ID: "u3"}}
	if _, err := svcs[0].RegisterUsers(ctx, 1, users, false); err != nil {
		t.Fatalf("RegisterUsers: %v", err)
	}
	if _, _, err := svcs[0].CreateRoom(ctx, roomd.Actor{Admin: true}, roomd.Room{AppID: 1, ID: "r1", Owner: "u0"}, []string{"u1", "u2", "u3"}); err != nil {
		t.Fatalf("CreateRoom: %v", err)
	}
	const workers, transfers = 6, 30
	var wg sync.WaitGroup
	errs := make(chan error, workers*transfers)
	for w := range workers {
		wg.Go(func() {
			svc := svcs[w%2]
			for i := range transfers {
				next := users[(w+i)%len(users)].ID
				errs <- svc.TransferOwner(ctx, roomd.Actor{Admin: true}, 1, "r1", next, "")
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("TransferOwner: got error %v, want nil", err)
		}
	}
	storetest.CheckRooms(t, ctx, svcs[1], 1, "r1")
	// Every event has its own position, gapless across both nodes, once
	// the sequencers have numbered them all.
	evs := mustNumbered(t, b, 1, "r1")
	for i, e := range evs {
		if e.Pos != int64(i+1) {
			t.Fatalf("event %d: got Pos %d, want %d", i, e.Pos, i+1)
		}
	}
}

func TestUpdateAfterClose(t *testing.T) {
	db := MustOpenStore(t)
	if err := db.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	err := db.Update(context.Background(), func(roomd.Tx) error { return nil })
	if roomd.ErrorCode(err) != roomd.EINTERNAL || !strings.Contains(fmt.Sprint(err), postgres.ErrClosed.Error()) {
		t.Fatalf("Update after Close: got %v, want EINTERNAL for a closed store", err)
	}
}

// TestDeadlockRetried: two Updates that lock two rooms in opposite orders
// deadlock; PostgreSQL aborts one, and Update runs it again, so both
// succeed.
func TestDeadlockRetried(t *testing.T) {
	db := MustOpenStore(t)
	ctx := context.Background()
	err := db.Update(ctx, func(tx roomd.Tx) error {
		for _, id := range []string{"r1", "r2"} {
			if err := tx.InsertRoom(ctx, &roomd.Room{AppID: 1, ID: id, Owner: "ann"}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("InsertRoom: %v", err)
	}
	var mu sync.Mutex
	runs := 0
	var holding sync.WaitGroup // both hold their first room on their first run
	holding.Add(2)
	lockBoth := func(first, second string) func(roomd.Tx) error {
		var once sync.Once
		return func(tx roomd.Tx) error {
			mu.Lock()
			runs++
			mu.Unlock()
			if _, err := tx.Room(ctx, 1, first); err != nil {
				return err
			}
			once.Do(func() { holding.Done(); holding.Wait() })
			_, err := tx.Room(ctx, 1, second)
			return err
		}
	}
	var wg sync.WaitGroup
	errs := make([]error, 2)
	wg.Go(func() { errs[0] = db.Update(ctx, lockBoth("r1", "r2")) })
	wg.Go(func() { errs[1] = db.Update(ctx, lockBoth("r2", "r1")) })
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("Update %d: got error %v, want nil", i, err)
		}
	}
	if runs < 3 {
		t.Fatalf("update functions ran %d times, want at least 3 (a deadlock victim runs again)", runs)
	}
}

// TestDeleteUserWhileAdded: a user deleted while another transaction adds
// them to a room never keeps a membership: either the add sees the user
// gone (ENOUSER) or the deletion removes the membership it made.
func TestDeleteUserWhileAdded(t *testing.T) {
	a, b := twoNodes(t)
	ctx := context.Background()
	add, del := roomd.NewService(a, nil, nil), roomd.NewService(b, nil, nil)
	admin := roomd.Actor{ID: "administrator", Admin: true}
	if _, err := add.RegisterUsers(ctx, 1, []roomd.User{{ID: "owner"}}, false); err != nil {
		t.Fatal(err)
	}
	const rounds = 40
	for i := range rounds {
		room := fmt.Sprintf("r%d", i)
		if _, _, err := add.CreateRoom(ctx, admin, roomd.Room{AppID: 1, ID: room, Owner: "owner"}, nil); err != nil {
			t.Fatal(err)
		}
		if _, err := add.RegisterUsers(ctx, 1, []roomd.User{{ID: "u"}}, false); err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		wg.Go(func() {
			if _, err := add.AddMembers(ctx, admin, 1, room, []roomd.MemberAdd{{UserID: "u"}}); err != nil {
				t.Errorf("AddMembers: %v", err)
			}
		})
		wg.Go(func() {
			if _, err := del.DeleteUsers(ctx, admin, 1, []string{"u"}); err != nil {
				t.Errorf("DeleteUsers: %v", err)
			}
		})
		wg.Wait()
		members, _, err := add.Members(ctx, 1, room, 0, 10)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range members {
			if m.UserID == "u" {
				t.Fatalf("round %d: the deleted user is still a member of %s", i, room)
			}
		}
	}
}

// mustNumbered waits, up to 10 s, until every event of room (the app's
// only room) is numbered, and returns the app's log.
func mustNumbered(tb testing.TB, db *postgres.DB, app uint32, room string) []roomd.Event {
	tb.Helper()
	ctx := context.Background()
	deadline := time.Now().Add(10 * time.Second)
	for {
		var evs []roomd.Event
		var last int64
		err := db.View(ctx, func(tx roomd.Tx) error {
			var err error
			if last, err = tx.LastSeq(ctx, app, room); err != nil {
				return err
			}
			evs, err = tx.AppEvents(ctx, app, 0, 1<<20)
			return err
		})
		if err != nil {
			tb.Fatalf("reading the log: %v", err)
		}
		if int64(len(evs)) == last {
			return evs
		}
		if time.Now().After(deadline) {
			tb.Fatalf("numbered events after 10 s: got %d, want %d", len(evs), last)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
