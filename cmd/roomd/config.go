package main

import (
	"bytes"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/roomd/roomd"
	"github.com/roomd/roomd/zego"
)

// Defaults used when neither the config file nor a flag says otherwise.
const (
	defaultListen = "127.0.0.1:8080"
	defaultStore  = "sqlite:roomd-data/roomd.db"
	devAppFile    = "dev-app.json"
)

// Config is roomd's configuration file.
type Config struct {
	Listen    string          `yaml:"listen"`
	Store     string          `yaml:"store"`
	LogLevel  string          `yaml:"log_level"`
	Apps      []AppConfig     `yaml:"apps"`
	Retention RetentionConfig `yaml:"retention"`
	// Console turns the operator console off or sets its password
	// (console.go).
	Console ConsoleConfig `yaml:"console"`
}

// RetentionConfig is how long the event log keeps events (roomd.Retention);
// an absent key takes its value from roomd.DefaultRetention. max_age is a Go
// duration ("168h", "30m").
type RetentionConfig struct {
	MaxAge    *time.Duration `yaml:"max_age"`
	MinEvents *int           `yaml:"min_events"`
}

// policy returns the retention c configures.
func (c RetentionConfig) policy() roomd.Retention {
	r := roomd.DefaultRetention
	if c.MaxAge != nil {
		r.MaxAge = *c.MaxAge
	}
	if c.MinEvents != nil {
		r.MinEvents = *c.MinEvents
	}
	return r
}

// check validates the configured retention, naming the keys.
func (c RetentionConfig) check() error {
	r := c.policy()
	if r.MaxAge < 0 {
		return fmt.Errorf("config: retention: max_age must not be negative, not %v", r.MaxAge)
	}
	if r.MinEvents < 1 {
		return fmt.Errorf("config: retention: min_events must be at least 1 (a room's last event is always kept), not %d", r.MinEvents)
	}
	return nil
}

// AppConfig configures one app (tenant).
type AppConfig struct {
	ID         uint32   `yaml:"id" json:"id"`
	Secret     string   `yaml:"secret" json:"secret"`
	Admins     []string `yaml:"admins" json:"admins"`
	RateLimits Switch   `yaml:"rate_limits" json:"-"`
	// CallbackURL and CallbackSecret are where the app's ZEGO-style
	// callbacks go and the secret that signs them; a SIGHUP re-reads them.
	CallbackURL    string `yaml:"callback_url" json:"-"`
	CallbackSecret string `yaml:"callback_secret" json:"-"`
}

// checkCallback validates the app's ZEGO-style callback settings.
func (a *AppConfig) checkCallback() error {
	if a.CallbackURL == "" {
		if a.CallbackSecret != "" {
			return fmt.Errorf("config: app %d: callback_secret is set but callback_url is not", a.ID)
		}
		return nil
	}
	u, err := url.Parse(a.CallbackURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("config: app %d: callback_url must be an absolute http or https URL", a.ID)
	}
	if len(a.CallbackURL) > roomd.MaxURLLen {
		return fmt.Errorf("config: app %d: callback_url is longer than %d bytes", a.ID, roomd.MaxURLLen)
	}
	if a.CallbackSecret == "" {
		return fmt.Errorf("config: app %d: callback_secret is required with callback_url (it signs the callbacks)", a.ID)
	}
	return nil
}

// zegoHooks returns the ZEGO-style callback targets of the configured apps.
func (c *Config) zegoHooks() map[uint32]zego.HookConfig {
	out := map[uint32]zego.HookConfig{}
	for _, a := range c.Apps {
		if a.CallbackURL != "" {
			out[a.ID] = zego.HookConfig{URL: a.CallbackURL, Secret: a.CallbackSecret}
		}
	}
	return out
}

// Switch is a YAML on/off value; it is on unless set to off or false.
type Switch struct{ Off bool }

// UnmarshalYAML accepts on, off, true and false.
func (s *Switch) UnmarshalYAML(n *yaml.Node) error {
	switch strings.ToLower(n.Value) {
	case "on", "true", "yes", "":
		s.Off = false
	case "off", "false", "no":
		s.Off = true
	default:
		return fmt.Errorf("line %d: rate_limits must be on or off, not %q", n.Line, n.Value)
	}
	return nil
}

// loadConfig reads path (none when empty) and applies defaults.
func loadConfig(path string) (*Config, error) {
	cfg := &Config{}
	if path != "" {
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("config: %w", err)
		}
		dec := yaml.NewDecoder(bytes.NewReader(data))
		dec.KnownFields(true)
		if err := dec.Decode(cfg); err != nil && !errors.Is(err, io.EOF) { // io.EOF: an empty file
			if te := (*yaml.TypeError)(nil); errors.As(err, &te) {
				return nil, fmt.Errorf("config %s: %s", path, unknownKey.ReplaceAllString(strings.Join(te.Errors, "; "), "unknown key $1"))
			}
			return nil, fmt.Errorf("config %s: %w", path, err)
		}
	}
	if cfg.Listen == "" {
		cfg.Listen = defaultListen
	}
	if cfg.Store == "" {
		cfg.Store = defaultStore
	}
	return cfg, nil
}

// unknownKey matches yaml's words for a key Config does not have.
var unknownKey = regexp.MustCompile(`field (\S+) not found in type \S+`)

// check validates c and returns its apps as a directory (empty when none is
// configured) and its store.
func (c *Config) check() (roomd.Apps, storeSetting, error) {
	st, err := parseStore(c.Store)
	if err != nil {
		return nil, st, err
	}
	if err := c.Retention.check(); err != nil {
		return nil, st, err
	}
	if err := c.Console.check(); err != nil {
		return nil, st, err
	}
	apps, err := c.apps()
	if err == nil && len(apps) == 0 && st.dsn != "" {
		err = fmt.Errorf("config: a PostgreSQL store needs apps configured (the development app is kept beside an SQLite store)")
	}
	return apps, st, err
}

// apps validates the configured apps and returns them as a directory.
func (c *Config) apps() (roomd.Apps, error) {
	apps := roomd.Apps{}
	for i, a := range c.Apps {
		if a.ID == 0 {
			return nil, fmt.Errorf("config: apps[%d]: id is required", i)
		}
		if a.Secret == "" {
			return nil, fmt.Errorf("config: app %d: secret is required", a.ID)
		}
		if _, dup := apps[a.ID]; dup {
			return nil, fmt.Errorf("config: app %d is configured twice", a.ID)
		}
		if err := a.checkCallback(); err != nil {
			return nil, err
		}
		admins := a.Admins
		if len(admins) == 0 {
			admins = []string{"administrator"}
		}
		apps[a.ID] = &roomd.App{ID: a.ID, Secret: a.Secret, Admins: admins, RateLimitsOff: a.RateLimits.Off}
	}
	return apps, nil
}

// devAppInfo is the development app and where it is kept.
type devAppInfo struct {
	app     AppConfig
	created bool   // made by this start
	path    string // the dev-app.json file
}

// devApp returns the development app kept in dir, creating it on first use:
// a random id and secret, admin "administrator", the vendors' rate limits.
// Its file is made 0600: the secret is in it.
func devApp(dir string) (*devAppInfo, error) {
	dev := &devAppInfo{path: filepath.Join(dir, devAppFile)}
	data, err := os.ReadFile(dev.path)
	if err == nil {
		if err := json.Unmarshal(data, &dev.app); err != nil || dev.app.ID == 0 || dev.app.Secret == "" || len(dev.app.Admins) == 0 {
			return nil, fmt.Errorf("%s is damaged; remove it to make a new development app", dev.path)
		}
		if fi, err := os.Stat(dev.path); err == nil && fi.Mode().Perm()&0o077 != 0 {
			if err := os.Chmod(dev.path, 0o600); err != nil {
				return nil, fmt.Errorf("cannot make %s private (0600): %w", dev.path, pathCause(err))
			}
		}
		return dev, nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("cannot read %s: %w", dev.path, pathCause(err))
	}
	var b [20]byte
	if _, err := rand.Read(b[:]); err != nil {
		return nil, err
	}
	dev.app = AppConfig{
		ID:     1_000_000_000 + binary.BigEndian.Uint32(b[:4])%1_000_000_000,
		Secret: hex.EncodeToString(b[4:]),
		Admins: []string{"administrator"},
	}
	data, _ = json.MarshalIndent(dev.app, "", "  ")
	if err := os.WriteFile(dev.path, append(data, '\n'), 0o600); err != nil {
		return nil, fmt.Errorf("cannot write %s: %w", dev.path, pathCause(err))
	}
	dev.created = true
	return dev, nil
}

func parseLevel(s string) (slog.Level, error) {
	var l slog.Level
	if s == "" {
		return slog.LevelInfo, nil
	}
	err := l.UnmarshalText([]byte(s))
	return l, err
}
