package main_test

import (
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
)

// TestServeFailures: serve that cannot start says why in one line on stderr,
// exits 1, and prints no development-app banner.
func TestServeFailures(t *testing.T) {
	t.Run("TakenPort", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		dir := t.TempDir()
		stdout, stderr, code := runRoomd(t, dir, "serve", "--listen", ln.Addr().String())
		want := "roomd: cannot listen on " + ln.Addr().String() + ": address already in use\n"
		if code != 1 || stderr != want || stdout != "" {
			t.Errorf("got exit %d, stderr %q, stdout %q; want exit 1, stderr %q, no stdout", code, stderr, stdout, want)
		}
		// The port is tried first: no store was made.
		if _, err := os.Stat(filepath.Join(dir, "roomd-data")); !os.IsNotExist(err) {
			t.Errorf("roomd-data: got stat error %v, want it not created", err)
		}
	})
	t.Run("DataDirUnderAFile", func(t *testing.T) {
		// A path under a regular file cannot be made, not even by root.
		dir := t.TempDir()
		file := filepath.Join(dir, "file")
		if err := os.WriteFile(file, nil, 0o600); err != nil {
			t.Fatal(err)
		}
		stdout, stderr, code := runRoomd(t, dir, "serve", "--listen", "127.0.0.1:0", "--store", "sqlite:"+filepath.Join(file, "sub", "roomd.db"))
		want := "roomd: cannot create data directory " + filepath.Join(file, "sub") + ": not a directory\n"
		if code != 1 || stderr != want || stdout != "" {
			t.Errorf("got exit %d, stderr %q, stdout %q; want exit 1, stderr %q, no stdout", code, stderr, stdout, want)
		}
	})
	t.Run("StoreInUse", func(t *testing.T) {
		dir := t.TempDir()
		p := MustStartRoomd(t, dir)
		stdout, stderr, code := runRoomd(t, dir, "serve", "--listen", "127.0.0.1:0")
		// One line naming the store and the process that holds it.
		re := regexp.MustCompile(`^roomd: [^\n]*roomd-data/roomd\.db[^\n]* in use [^\n]*\bpid ` + strconv.Itoa(p.cmd.Process.Pid) + `\b[^\n]*\n$`)
		if code != 1 || !re.MatchString(stderr) || stdout != "" {
			t.Errorf("got exit %d, stderr %q, stdout %q; want exit 1, one line matching %s, no stdout (no banner)", code, stderr, stdout, re)
		}
	})
}

// TestDataPermissions: the store and the development app are readable by
// their owner only: roomd-data is 0700; roomd.db, its -wal and -shm, and
// dev-app.json are 0600; nothing else roomd keeps there is open to others.
func TestDataPermissions(t *testing.T) {
	dir := t.TempDir()
	MustStartRoomd(t, dir) // returns once roomd listens: the store is open
	data := filepath.Join(dir, "roomd-data")
	want := map[string]fs.FileMode{
		".":            fs.ModeDir | 0o700,
		"roomd.db":     0o600,
		"roomd.db-wal": 0o600,
		"roomd.db-shm": 0o600,
		"dev-app.json": 0o600,
	}
	for name, mode := range want {
		fi, err := os.Stat(filepath.Join(data, name))
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if got := fi.Mode() & (fs.ModeDir | fs.ModePerm); got != mode {
			t.Errorf("%s: got mode %v, want %v", name, got, mode)
		}
	}
	err := filepath.WalkDir(data, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		if fi.Mode().Perm()&0o077 != 0 {
			t.Errorf("%s: got mode %v, want no access for group or others", path, fi.Mode())
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
