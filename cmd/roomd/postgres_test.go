package main_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/jackc/pgx/v5"
)

// MustPostgresSchema creates an empty schema on the PostgreSQL server of
// ROOMD_TEST_POSTGRES, dropped in Cleanup, and returns a DSN that uses it;
// without the variable the test is skipped.
func MustPostgresSchema(tb testing.TB) string {
	tb.Helper()
	dsn := os.Getenv("ROOMD_TEST_POSTGRES")
	if dsn == "" {
		tb.Skip("set ROOMD_TEST_POSTGRES=postgres://... to run the PostgreSQL tests")
	}
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	schema := "roomd_cmd_" + hex.EncodeToString(b)
	exec := func(q string) {
		tb.Helper()
		conn, err := pgx.Connect(context.Background(), dsn)
		if err != nil {
			tb.Fatalf("connect: %v", err)
		}
		defer conn.Close(context.Background())
		if _, err := conn.Exec(context.Background(), q); err != nil {
			tb.Fatalf("%s: %v", q, err)
		}
	}
	exec("CREATE SCHEMA " + schema)
	tb.Cleanup(func() { exec("DROP SCHEMA " + schema + " CASCADE") })
	u, err := url.Parse(dsn)
	if err != nil {
		tb.Fatalf("ROOMD_TEST_POSTGRES must be a postgres:// URL: %v", err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// writePostgresConfig writes crashConfig's app with the store at dsn and,
// unless callbackURL is "", ZEGO-style callbacks to it (hookConfig).
func writePostgresConfig(tb testing.TB, dir, dsn, callbackURL string) string {
	tb.Helper()
	text := fmt.Sprintf(crashConfig, "PLACEHOLDER")
	if callbackURL != "" {
		text = fmt.Sprintf(hookConfig, "PLACEHOLDER", callbackURL)
	}
	text = strings.Replace(text, "sqlite:PLACEHOLDER", dsn, 1)
	path := filepath.Join(dir, "roomd.yaml")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		tb.Fatal(err)
	}
	return path
}

// TestServePostgres: serve refuses an unmigrated PostgreSQL store, naming
// roomd migrate; after it, both dialects work on it, a second node on the
// same database serves the same rooms, and the data outlive a restart.
func TestServePostgres(t *testing.T) {
	dsn := MustPostgresSchema(t)
	dir := t.TempDir()
	cfg := writePostgresConfig(t, dir, dsn, "")

	_, errOut, code := runRoomd(t, dir, "serve", "--config", cfg, "--listen", "127.0.0.1:0")
	if code != 1 || !strings.Contains(errOut, "roomd migrate") {
		t.Fatalf("serve on an unmigrated store: got exit %d, stderr %q; want 1 naming roomd migrate", code, errOut)
	}
	out, errOut, code := runRoomd(t, dir, "migrate", "--config", cfg)
	if code != 0 || !strings.Contains(out, "schema version") {
		t.Fatalf("roomd migrate: got exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	if _, _, code := runRoomd(t, dir, "migrate", "--config", cfg); code != 0 {
		t.Fatalf("roomd migrate again: got exit %d, want 0", code)
	}

	p := MustStartRoomd(t, dir, "--config", cfg)
	users := seedGroups(t, p.addr, 1, 3)
	MustZEGO(t, p.addr, 777, crashSecret, "TransferGroupOwner", map[string]string{"GroupId": "g0", "FromUserId": users[0][0], "NewOwner": users[0][1]}, nil)
	if got := roles(MustTencent(t, p.addr, "get_room_member_list", map[string]any{"RoomId": "g0"})); got[users[0][1]] != "Owner" || got[users[0][0]] != "Member" {
		t.Fatalf("roles after a ZEGO transfer, read through Tencent: got %v", got)
	}
	second := MustStartRoomd(t, dir, "--config", cfg)
	if got := MustZEGO(t, second.addr, 777, crashSecret, "QueryGroupInfo", nil, map[string]string{"FromUserId": users[0][0], "GroupId": "g0"}); got.GroupOwner != users[0][1] {
		t.Fatalf("owner read through a second node: got %q, want %q", got.GroupOwner, users[0][1])
	}
	MustZEGO(t, second.addr, 777, crashSecret, "TransferGroupOwner", map[string]string{"GroupId": "g0", "FromUserId": users[0][1], "NewOwner": users[0][2]}, nil)
	if got := roles(MustTencent(t, p.addr, "get_room_member_list", map[string]any{"RoomId": "g0"})); got[users[0][2]] != "Owner" || got[users[0][1]] != "Member" {
		t.Fatalf("roles read through the first node after a transfer through the second: got %v", got)
	}

	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := p.wait(t); err != nil {
		t.Fatalf("exit after SIGTERM: %v", err)
	}
	p = MustStartRoomd(t, dir, "--config", cfg)
	if got := MustZEGO(t, p.addr, 777, crashSecret, "QueryGroupInfo", nil, map[string]string{"FromUserId": users[0][0], "GroupId": "g0"}); got.GroupOwner != users[0][2] {
		t.Fatalf("owner after a restart: got %q, want %q", got.GroupOwner, users[0][2])
	}
}
