package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"path/filepath"

	"github.com/roomd/roomd"
	"github.com/roomd/roomd/metrics"
	"github.com/roomd/roomd/server"
	"github.com/roomd/roomd/sqlite"
	"github.com/roomd/roomd/tencent"
	"github.com/roomd/roomd/zego"
)

func runServe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	configPath := fs.String("config", "", "YAML config `file` (optional)")
	listen := fs.String("listen", "", "address to listen on (overrides the config; default "+defaultListen+")")
	store := fs.String("store", "", "store: sqlite:PATH (overrides the config; default "+defaultStore+")")
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg, err := loadConfig(*configPath)
	if err != nil {
		return err
	}
	if *listen != "" {
		cfg.Listen = *listen
	}
	if *store != "" {
		cfg.Store = *store
	}
	level, err := parseLevel(cfg.LogLevel)
	if err != nil {
		return fmt.Errorf("config: log_level: %w", err)
	}
	log := slog.New(slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: level}))

	if len(cfg.Apps) == 0 {
		path, ok := storePath(cfg.Store)
		if !ok {
			return fmt.Errorf("config: no apps configured")
		}
		app, created, err := devApp(filepath.Dir(path))
		if err != nil {
			return err
		}
		cfg.Apps = []AppConfig{app}
		printDevApp(stdout, app, created, filepath.Join(filepath.Dir(path), devAppFile), cfg.Listen)
	}
	n, err := build(cfg, log)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		n.close()
		return err
	}
	log.Info("listening", "addr", ln.Addr().String(), "store", cfg.Store, "apps", len(cfg.Apps), "version", version)
	err = n.server.Serve(ctx, ln)
	log.Info("shutting down")
	if cerr := n.close(); cerr != nil && err == nil {
		err = cerr
	}
	log.Info("stopped")
	return err
}

// node is one assembled roomd: store, service, dialects, server, metrics.
type node struct {
	store   roomd.Store
	svc     *roomd.Service
	metrics *metrics.Metrics
	server  *server.Server
	apps    roomd.Apps
}

// build assembles a node from cfg. This is the only place where the
// adapters meet.
func build(cfg *Config, log *slog.Logger) (*node, error) {
	apps, err := cfg.apps()
	if err != nil {
		return nil, err
	}
	path, ok := storePath(cfg.Store)
	if !ok {
		return nil, fmt.Errorf("config: store %q: only sqlite:PATH is supported", cfg.Store)
	}
	m := metrics.New()
	db, err := sqlite.Open(path, sqlite.Options{OnCommit: m.ObserveCommit, Logger: log})
	if err != nil {
		return nil, err
	}
	svc := roomd.NewService(db, nil, nil)
	srv := server.New(log, m, server.Routes{
		ZEGO:    zego.NewHandler(svc, apps, zego.Options{Logger: log}),
		Tencent: tencent.NewHandler(svc, apps, tencent.Options{Logger: log}),
		Metrics: m.Handler(),
	})
	return &node{store: db, svc: svc, metrics: m, server: srv, apps: apps}, nil
}

func (n *node) close() error { return n.store.Close() }

func printDevApp(w io.Writer, app AppConfig, created bool, path, listen string) {
	state := "kept in"
	if created {
		state = "created; kept in"
	}
	fmt.Fprintf(w, `roomd: no apps configured, serving the development app (%s %s)
  AppId / SDKAppID:          %d
  ServerSecret / secret key: %s
  Tencent admin identifier:  %s
  try: go run ./cmd/roomd sign zego --addr http://%s --app %d --secret %s QueryAppGroupList Limit=10
`, state, path, app.ID, app.Secret, app.Admins[0], listen, app.ID, app.Secret)
}
