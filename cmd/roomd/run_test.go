package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestBadConfig: a config roomd cannot use stops serve before it opens
// anything, with one line naming the problem and exit code 1.
func TestBadConfig(t *testing.T) {
	dir := t.TempDir()
	cases := []struct {
		name, config, want string
	}{
		{"UnknownField", "listen: 127.0.0.1:0\nlisten_typo: x\n", "line 2: unknown key listen_typo"},
		{"NotYAML", "apps: [\n", "yaml: line"},
		{"NoID", "apps:\n  - secret: s\n", "config: apps[0]: id is required"},
		{"NoSecret", "apps:\n  - id: 5\n", "config: app 5: secret is required"},
		{"BadRateLimits", "apps:\n  - id: 5\n    secret: s\n    rate_limits: sometimes\n", `rate_limits must be on or off, not "sometimes"`},
		{"DuplicateApp", "apps:\n  - id: 5\n    secret: s\n  - id: 5\n    secret: t\n", "config: app 5 is configured twice"},
		{"UnknownStore", "store: mysql://127.0.0.1/roomd\napps:\n  - id: 5\n    secret: s\n", `store "mysql://127.0.0.1/roomd": use sqlite:PATH or a postgres:// URL`},
		{"UnknownStoreFlag", "apps:\n  - id: 5\n    secret: s\n", `store "mysql://127.0.0.1/roomd": use sqlite:PATH or a postgres:// URL`},
		{"PostgresNoApps", "store: postgres://127.0.0.1/roomd\n", "a PostgreSQL store needs apps configured"},
		{"BadLogLevel", "log_level: loud\napps:\n  - id: 5\n    secret: s\n", "config: log_level:"},
		{"RetentionMinEvents", "retention:\n  min_events: 0\n", "config: retention: min_events must be at least 1"},
		{"RetentionNegativeAge", "retention:\n  max_age: -1h\n", "config: retention: max_age must not be negative"},
		{"RetentionAgeInDays", "retention:\n  max_age: 7d\n", "line 2: cannot unmarshal !!str `7d` into time.Duration"},
		{"RetentionAgeNumber", "retention:\n  max_age: 168\n", "line 2: cannot unmarshal !!int `168` into time.Duration"},
		{"RetentionUnknownKey", "retention:\n  max_events: 5\n", "line 2: unknown key max_events"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(dir, c.name+".yaml")
			if err := os.WriteFile(path, []byte(c.config), 0o600); err != nil {
				t.Fatal(err)
			}
			store := filepath.Join(dir, c.name, "roomd.db")
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			var stdout, stderr bytes.Buffer
			errc := make(chan error, 1)
			args := []string{"serve", "--config", path, "--listen", "127.0.0.1:0"}
			switch {
			case c.name == "UnknownStoreFlag":
				args = append(args, "--store", "mysql://127.0.0.1/roomd")
			case !strings.Contains(c.config, "store:"): // where it would go if the config were taken
				args = append(args, "--store", "sqlite:"+store)
			}
			go func() { errc <- run(ctx, args, &stdout, &stderr) }()
			var err error
			select {
			case err = <-errc:
			case <-time.After(5 * time.Second):
				cancel()
				select { // bounded too: a serve that ignores its context must not hang the test
				case <-errc:
				case <-time.After(5 * time.Second):
				}
				t.Fatalf("serve was still running after 5s; want it to refuse the config at once")
			}
			var line bytes.Buffer
			code := exitCode(err, &line)
			if code != 1 || !strings.HasPrefix(line.String(), "roomd: ") || !strings.Contains(line.String(), c.want) || strings.Count(line.String(), "\n") != 1 {
				t.Errorf("got exit %d and %q, want exit 1 and one line \"roomd: ...\" containing %q", code, line.String(), c.want)
			}
			if stdout.Len() != 0 || stderr.Len() != 0 {
				t.Errorf("got stdout %q and stderr %q, want nothing but the error line", stdout.String(), stderr.String())
			}
			if _, err := os.Stat(filepath.Dir(store)); !os.IsNotExist(err) {
				t.Errorf("data directory: got stat error %v, want it not created for a bad config", err)
			}
		})
	}
}

// TestBuiltByGoRun tells the temporary binaries of `go run` from installed ones.
func TestBuiltByGoRun(t *testing.T) {
	for path, want := range map[string]bool{
		"/tmp/go-build3311/b001/exe/roomd":                                                                  true,
		"/home/me/.cache/tmp/go-build12/b001/exe/roomd":                                                     true,
		"/root/.cache/go-build/f4/f44c0fd5d6d9ca01cced9632a49ee4e2cc4734e4ed6ea89ffbb13b87e7181e14-d/roomd": true,
		"/root/.cache/go-build/f4/roomd":                                                                    false,
		"/usr/local/bin/roomd":                                                                              false,
		"/tmp/roomd-bin-12/roomd":                                                                           false,
		"/opt/exe/roomd":                                                                                    false,
	} {
		if got := builtByGoRun(path); got != want {
			t.Errorf("builtByGoRun(%q): got %v, want %v", path, got, want)
		}
	}
}

// TestShellWord: a word the shell would split or expand is quoted.
func TestShellWord(t *testing.T) {
	for in, want := range map[string]string{
		"/usr/local/bin/roomd": "/usr/local/bin/roomd",
		"/opt/my roomd/roomd":  `'/opt/my roomd/roomd'`,
		"/tmp/it's/roomd":      `'/tmp/it'\''s/roomd'`,
		"/tmp/$HOME/roomd":     `'/tmp/$HOME/roomd'`,
	} {
		if got := shellWord(in); got != want {
			t.Errorf("shellWord(%q): got %s, want %s", in, got, want)
		}
	}
}
