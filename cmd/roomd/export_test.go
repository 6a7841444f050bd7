package main

import (
	"bytes"
	"context"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/roomd/roomd"
	"github.com/roomd/roomd/sqlite"
	"github.com/roomd/roomd/storetest"
)

// PostgresSchema makes an empty PostgreSQL schema for a test and returns
// its DSN, or skips the test without ROOMD_TEST_POSTGRES. The package's
// external tests set it to their MustPostgresSchema (export_postgres_test.go),
// so that both kinds of test share one helper.
var PostgresSchema func(testing.TB) string

// dumpApp is the app of the data the tests of export and import move.
const dumpApp = 42

// dumpClock is the clock of that data.
var dumpClock = storetest.NewClock(time.Date(2026, 3, 4, 5, 6, 7, 890123456, time.UTC))

// mustFillStore writes users, rooms (one dismissed), members, a ban, a
// mute, marks and a callback into a new SQLite store at path, through the
// Service, and closes it.
func mustFillStore(tb testing.TB, path string) {
	tb.Helper()
	db, svc := openService(tb, path)
	defer db.Close()
	ctx := context.Background()
	admin := roomd.Actor{ID: "administrator", Admin: true}
	must := func(what string, err error) {
		tb.Helper()
		if err != nil {
			tb.Fatalf("%s: got error %v, want nil", what, err)
		}
	}
	_, err := svc.RegisterUsers(ctx, dumpApp, []roomd.User{{ID: "ann", Name: "Ann"}, {ID: "bob", Extra: "x\ny"}, {ID: "cy"}, {ID: "dan"}}, false)
	must("RegisterUsers", err)
	for _, id := range []string{"team", "gone", "room 😀"} {
		_, _, err = svc.CreateRoom(ctx, admin, roomd.Room{AppID: dumpApp, ID: id, Name: "<" + id + ">", Owner: "ann",
			Attributes: []roomd.Attribute{{Key: "k", Value: "v"}}}, []string{"bob", "cy", "dan"})
		must("CreateRoom "+id, err)
	}
	must("TransferOwner", svc.TransferOwner(ctx, admin, dumpApp, "team", "bob", ""))
	_, err = svc.BanMembers(ctx, admin, dumpApp, "team", []string{"dan"}, time.Hour, "spam")
	must("BanMembers", err)
	must("MuteRoom", svc.MuteRoom(ctx, admin, dumpApp, "team", false, []roomd.Role{roomd.RoleMember}, roomd.MuteForever))
	must("MarkMembers", svc.MarkMembers(ctx, admin, dumpApp, "team", false, []roomd.MemberMarks{{UserID: "cy", Marks: []int64{1000}}}))
	must("DismissRoom", svc.DismissRoom(ctx, admin, dumpApp, "gone"))
	must("PutCallback", svc.PutCallback(ctx, roomd.Callback{AppID: dumpApp, URL: "https://backend.example/cb"}))
}

// openService opens the SQLite store at path and returns it, for the
// caller to close, and a Service over it on dumpClock.
func openService(tb testing.TB, path string) (*sqlite.DB, *roomd.Service) {
	tb.Helper()
	db, err := sqlite.Open(path, sqlite.Options{Logger: quiet})
	if err != nil {
		tb.Fatalf("Open(%s): got error %v, want nil", path, err)
	}
	return db, roomd.NewService(db, nil, dumpClock.Now)
}

// mustRun runs roomd args in process and returns its stdout, failing the
// test unless it exits 0.
func mustRun(t *testing.T, args ...string) string {
	t.Helper()
	stdout, stderr, code := runInProcess(t, args...)
	if code != 0 {
		t.Fatalf("roomd %s: got exit %d, stderr %q; want 0", strings.Join(args, " "), code, stderr)
	}
	return stdout
}

// mustRead reads a file.
func mustRead(tb testing.TB, path string) []byte {
	tb.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// body returns an export file without its header, which names the store
// it came from.
func body(tb testing.TB, file []byte) string {
	tb.Helper()
	header, rest, ok := bytes.Cut(file, []byte("\n"))
	if !ok || !bytes.Contains(header, []byte(`"format":"roomd-export"`)) {
		tb.Fatalf("export file: got first line %q, want the header", header)
	}
	return string(rest)
}

// wantSameBody fails the test unless two export files hold the same records.
func wantSameBody(t *testing.T, what string, got, want []byte) {
	t.Helper()
	if g, w := body(t, got), body(t, want); g != w {
		t.Fatalf("%s: got records\n%s\nwant\n%s", what, g, w)
	}
}

// checkMoved opens the SQLite store at path and checks that the moved data
// works: the invariants hold, and a transfer continues team's seq.
func checkMoved(t *testing.T, path string) {
	t.Helper()
	db, svc := openService(t, path)
	defer db.Close()
	ctx := context.Background()
	storetest.CheckRooms(t, ctx, svc, dumpApp, "team", "gone", "room 😀")
	before, err := svc.Room(ctx, dumpApp, "team")
	if err != nil {
		t.Fatalf("Room team: got error %v, want nil", err)
	}
	if err := svc.TransferOwner(ctx, roomd.Actor{ID: "administrator", Admin: true}, dumpApp, "team", "cy", ""); err != nil {
		t.Fatalf("TransferOwner after the move: got error %v, want nil", err)
	}
	events, err := svc.Events(ctx, dumpApp, "team", before.Seq, 10)
	if err != nil || len(events) == 0 || events[0].Seq != before.Seq+1 {
		t.Fatalf("team after the move: got events %v, %v; want them from seq %d", events, err, before.Seq+1)
	}
}

// TestExportImportSQLite: roomd export writes the store to a file (or to
// stdout), and roomd import reads it (from a file or stdin) into a new
// SQLite store that exports the same records and works on.
func TestExportImportSQLite(t *testing.T) {
	dir := t.TempDir()
	src, dst := filepath.Join(dir, "src.db"), filepath.Join(dir, "data", "dst.db")
	mustFillStore(t, src)
	file := filepath.Join(dir, "roomd.export")
	out := mustRun(t, "export", "--store", "sqlite:"+src, "--out", file)
	if !strings.Contains(out, "roomd: exported") || !strings.Contains(out, "2 room, 1 room_log") {
		t.Fatalf("export: got stdout %q, want the count of each kind", out)
	}
	if fi, err := os.Stat(file); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("export file: got %v, %v; want mode 0600", fi, err)
	}
	exported := mustRead(t, file)
	if again := mustRun(t, "export", "--store", "sqlite:"+src); again != string(exported) {
		t.Fatalf("export to stdout: got\n%s\nwant the file's\n%s", again, exported)
	}

	stdin = bytes.NewReader(exported)
	defer func() { stdin = os.Stdin }()
	if out := mustRun(t, "import", "--store", "sqlite:"+dst); !strings.Contains(out, "roomd: imported") {
		t.Fatalf("import: got stdout %q, want what it imported", out)
	}
	wantSameBody(t, "export of the imported store", []byte(mustRun(t, "export", "--store", "sqlite:"+dst)), exported)
	checkMoved(t, dst)
}

// TestExportImportPostgres: SQLite -> PostgreSQL -> SQLite through the
// commands gives back the same records, and the store at the end works.
// The DSN's password is never printed.
func TestExportImportPostgres(t *testing.T) {
	u, err := url.Parse(PostgresSchema(t))
	if err != nil || u.User == nil {
		t.Fatalf("the test DSN must be a URL with a user: %v", err)
	}
	if _, set := u.User.Password(); !set {
		u.User = url.UserPassword(u.User.Username(), "s3cret-pw") // this server trusts; the password must not show
	}
	dsn := u.String()
	dir := t.TempDir()
	src, dst := filepath.Join(dir, "src.db"), filepath.Join(dir, "dst.db")
	mustFillStore(t, src)
	f1, f2, f3 := filepath.Join(dir, "1"), filepath.Join(dir, "2"), filepath.Join(dir, "3")
	mustRun(t, "export", "--store", "sqlite:"+src, "--out", f1)
	var printed strings.Builder
	for _, args := range [][]string{
		{"import", "--store", dsn, "--in", f1},
		{"export", "--store", dsn, "--out", f2},
		{"import", "--store", "sqlite:" + dst, "--in", f2},
		{"export", "--store", "sqlite:" + dst, "--out", f3},
	} {
		printed.WriteString(mustRun(t, args...))
	}
	if pw, _ := u.User.Password(); strings.Contains(printed.String(), pw) {
		t.Fatalf("the commands printed the DSN's password: %q", printed.String())
	}
	one, two := mustRead(t, f1), mustRead(t, f2)
	if !bytes.Contains(two, []byte(`"store":"postgres"`)) {
		t.Fatalf("export of PostgreSQL: got header %q, want store postgres", bytes.SplitN(two, []byte("\n"), 2)[0])
	}
	wantSameBody(t, "export of PostgreSQL", two, one)
	wantSameBody(t, "export of SQLite after PostgreSQL", mustRead(t, f3), one)
	checkMoved(t, dst)

	_, stderr, code := runInProcess(t, "import", "--store", dsn, "--in", f1)
	if pw, _ := u.User.Password(); code != 1 || !strings.Contains(stderr, "already holds data") || strings.Contains(stderr, pw) {
		t.Fatalf("import into the filled PostgreSQL store: got exit %d, stderr %q; want 1, refused, no password", code, stderr)
	}
	_, stderr, code = runInProcess(t, "import", "--store", PostgresSchema(t), "--in", cut(t, f1, dir))
	if code != 1 || !strings.Contains(stderr, "cut short") {
		t.Fatalf("import of a cut file into PostgreSQL: got exit %d, stderr %q; want 1, cut short", code, stderr)
	}
}

// cut writes the export file at path without its last line (the end
// line) and returns the new file's path.
func cut(tb testing.TB, path, dir string) string {
	tb.Helper()
	b := mustRead(tb, path)
	b = b[:bytes.LastIndexByte(b[:len(b)-1], '\n')+1]
	out := filepath.Join(dir, "cut")
	if err := os.WriteFile(out, b, 0o600); err != nil {
		tb.Fatal(err)
	}
	return out
}

// TestImportRefused: an import into a store that holds data, or of a file
// that is not a whole export (cut short, another header, an unknown kind,
// a record that disagrees with the events), fails with exit 1 and a
// message saying why, and changes nothing: a wrong header creates no
// store, and a store the import created stays empty.
func TestImportRefused(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "src.db")
	mustFillStore(t, src)
	file := filepath.Join(dir, "export")
	mustRun(t, "export", "--store", "sqlite:"+src, "--out", file)
	good := mustRead(t, file)

	_, stderr, code := runInProcess(t, "import", "--store", "sqlite:"+src, "--in", file)
	if code != 1 || !strings.Contains(stderr, "already holds data") {
		t.Fatalf("import into the store exported: got exit %d, stderr %q; want 1, refused", code, stderr)
	}
	if again := mustRun(t, "export", "--store", "sqlite:"+src); again != string(good) {
		t.Fatalf("store after a refused import: got\n%s\nwant it unchanged", again)
	}

	lines := strings.SplitAfter(string(good), "\n")
	edit := func(f func([]string) []string) string { return strings.Join(f(append([]string(nil), lines...)), "") }
	cases := []struct {
		name, file, want string
		created          bool // whether the store is created, empty
	}{
		{"Empty", "", "empty, want a roomd export", false},
		{"NotJSON", "hello\n", "line 1 is not the header of a roomd export", false},
		{"OtherFormat", edit(func(l []string) []string {
			l[0] = strings.Replace(l[0], "roomd-export", "other", 1)
			return l
		}), "line 1 is not the header", false},
		{"NewerVersion", edit(func(l []string) []string {
			l[0] = strings.Replace(l[0], `"version":1`, `"version":2`, 1)
			return l
		}), "format version 2", false},
		{"CutAtLine", edit(func(l []string) []string { return l[:len(l)-3] }), "cut short", true},
		{"CutInLine", string(good[:len(good)-40]), "line", true},
		{"UnknownKind", edit(func(l []string) []string {
			l[3] = strings.Replace(l[3], `"kind":"user"`, `"kind":"robot"`, 1)
			return l
		}), `unknown record kind "robot"`, true},
		{"UnknownField", edit(func(l []string) []string {
			l[1] = strings.Replace(l[1], `"kind":"user",`, `"kind":"user","colour":"red",`, 1)
			return l
		}), `unknown field "colour"`, true},
		{"RoomSeq", edit(func(l []string) []string {
			for i, s := range l {
				if strings.Contains(s, `"kind":"room","app":42,"id":"team"`) {
					l[i] = strings.Replace(s, `"seq":`, `"seq":1`, 1)
				}
			}
			return l
		}), "the room's events before it end at", true},
		{"EndCount", edit(func(l []string) []string {
			l[len(l)-2] = `{"kind":"end","records":1}` + "\n" // the last is "", after the end line
			return l
		}), "the end line counts 1 records", true},
		{"AfterEnd", string(good) + string(good), "data after the end line", true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			in := filepath.Join(t.TempDir(), "in")
			if err := os.WriteFile(in, []byte(c.file), 0o600); err != nil {
				t.Fatal(err)
			}
			dst := filepath.Join(t.TempDir(), "dst.db")
			_, stderr, code := runInProcess(t, "import", "--store", "sqlite:"+dst, "--in", in)
			if code != 1 || !strings.Contains(stderr, c.want) || strings.Count(stderr, "\n") != 1 {
				t.Fatalf("import: got exit %d, stderr %q; want 1 and one line with %q", code, stderr, c.want)
			}
			_, err := os.Stat(dst)
			if created := err == nil; created != c.created {
				t.Fatalf("store after the import: got created %v, want %v", created, c.created)
			}
			if c.created {
				if got := body(t, []byte(mustRun(t, "export", "--store", "sqlite:"+dst))); got != `{"kind":"end","records":0}`+"\n" {
					t.Fatalf("store after the import: got records\n%s\nwant none", got)
				}
			}
		})
	}
}

// TestExportUsage: the commands' flags and failures.
func TestExportUsage(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "none.db")
	for _, c := range []struct {
		name   string
		args   []string
		code   int
		stdout string
		stderr string
	}{
		{"ExportH", []string{"export", "-h"}, 0, "usage: roomd export", ""},
		{"ImportH", []string{"import", "-h"}, 0, "-in file", ""},
		{"HelpImport", []string{"help", "import"}, 0, "must hold no data", ""},
		{"ExportBadFlag", []string{"export", "--in", "x"}, 2, "", "roomd: export: flag provided but not defined: -in"},
		{"ImportArgument", []string{"import", "x"}, 2, "", `roomd: import: unexpected argument "x"`},
		{"ExportMissing", []string{"export", "--store", "sqlite:" + missing}, 1, "", "roomd: export: no store at sqlite:" + missing},
		{"ImportMissingFile", []string{"import", "--store", "sqlite:" + missing, "--in", filepath.Join(dir, "nope")}, 1, "", "no such file or directory"},
		{"BadStore", []string{"export", "--store", "mysql://u:pw@h/db"}, 1, "", "use sqlite:PATH or a postgres:// URL"},
	} {
		t.Run(c.name, func(t *testing.T) {
			stdout, stderr, code := runInProcess(t, c.args...)
			if code != c.code || !strings.Contains(stdout, c.stdout) || !strings.Contains(stderr, c.stderr) {
				t.Fatalf("roomd %s: got exit %d, stdout %q, stderr %q; want %d, %q, %q", strings.Join(c.args, " "), code, stdout, stderr, c.code, c.stdout, c.stderr)
			}
		})
	}
	if _, err := os.Stat(missing); err == nil {
		t.Fatalf("export of a missing store created %s", missing)
	}
}
