package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime/debug"
	"slices"
	"strings"
	"sync"

	"github.com/roomd/roomd"
	"github.com/roomd/roomd/console"
	"github.com/roomd/roomd/gateway"
	"github.com/roomd/roomd/metrics"
	"github.com/roomd/roomd/postgres"
	"github.com/roomd/roomd/server"
	"github.com/roomd/roomd/tencent"
	"github.com/roomd/roomd/webhook"
	"github.com/roomd/roomd/zego"
)

const serveUsage = `usage: roomd serve [--config FILE] [--listen ADDR] [--store sqlite:PATH|postgres://...]

runs the server. With no apps configured it serves a development app, kept
in dev-app.json beside the database, and prints its id and secret, and a
link that signs in to the operator console (/console/) once, when the port
and the store are open. SIGINT or SIGTERM stops it gracefully.
`

func runServe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	configPath := fs.String("config", "", "YAML config `file` (optional)")
	listen := fs.String("listen", "", "`address` to listen on (overrides the config; default "+defaultListen+")")
	store := fs.String("store", "", "`store`: sqlite:PATH or postgres://... (overrides the config; default "+defaultStore+")")
	if err := parseFlags(fs, serveUsage, args, stdout, stderr); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("serve: unexpected argument %q", fs.Arg(0))
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
	// Everything the config can get wrong is refused before anything is opened.
	if _, _, err := cfg.check(); err != nil {
		return err
	}
	level, err := parseLevel(cfg.LogLevel)
	if err != nil {
		return fmt.Errorf("config: log_level: %w", err)
	}
	log := slog.New(slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: level}))

	ln, err := listenTCP(cfg.Listen)
	if err != nil {
		return err
	}
	n, err := build(cfg, log, ln.Addr())
	if err != nil {
		ln.Close()
		return err
	}
	if err := startHooks(ctx, n.svc, cfg.zegoHooks()); err != nil {
		ln.Close()
		n.close()
		return err
	}
	if n.dev != nil {
		printDevApp(stdout, n.dev, selfCommand(), clientAddr(ln.Addr()))
		printConsoleLogin(stdout, n.console, clientAddr(ln.Addr()))
	}
	log.Info("listening", "addr", ln.Addr().String(), "store", n.storeName, "apps", len(n.apps), "version", version)
	stopRetention := startRetention(ctx, n.svc, cfg.Retention.policy(), log)
	n.webhooks.disp.Start(ctx)
	if n.console != nil {
		n.console.Start(ctx)
	}
	stopShared := n.startShared(ctx)
	stopReload := reloadOnHangup(ctx, *configPath, cfg, n, log)
	err = n.server.Serve(ctx, ln)
	log.Info("shutting down")
	stopReload()
	stopShared()
	stopRetention()
	if cerr := n.close(); cerr != nil && err == nil {
		err = cerr
	}
	log.Info("stopped")
	return err
}

// listenTCP listens on addr; its error names the address and the cause only.
func listenTCP(addr string) (net.Listener, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		cause := err
		if se := (*os.SyscallError)(nil); errors.As(err, &se) {
			cause = se.Err
		} else if oe := (*net.OpError)(nil); errors.As(err, &oe) {
			cause = oe.Err
		}
		return nil, fmt.Errorf("cannot listen on %s: %w", addr, cause)
	}
	return ln, nil
}

// clientAddr is the address a client on this machine reaches ln at: an
// unspecified host (0.0.0.0 or ::) becomes 127.0.0.1.
func clientAddr(a net.Addr) string {
	if t, ok := a.(*net.TCPAddr); ok && t.IP.IsUnspecified() {
		return net.JoinHostPort("127.0.0.1", fmt.Sprint(t.Port))
	}
	return a.String()
}

// node is one assembled roomd: store, service, dialects, server, metrics.
type node struct {
	store     roomd.Store
	storeName string // the store as logs show it, without a password
	svc       *roomd.Service
	metrics   *metrics.Metrics
	server    *server.Server
	apps      roomd.Apps
	dev       *devAppInfo // the development app, when no apps are configured
	gateway   *gateway.Gateway
	webhooks  webhooks
	console   *console.Console // nil when the config turns it off
	// shared, on PostgreSQL, are the jobs that make the node one of
	// several, each running until its context ends: following the events
	// every node commits (postgres.DB.Follow) and sharing who is online
	// (postgres.Presence.Run).
	shared []func(ctx context.Context) error
}

// startShared runs the node's shared jobs, if any, until ctx ends or stop
// is called; stop waits for them.
func (n *node) startShared(ctx context.Context) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	for _, job := range n.shared {
		wg.Go(func() { _ = job(ctx) })
	}
	return func() { cancel(); wg.Wait() }
}

// build assembles a node from cfg: it opens the store, then, when cfg
// configures no apps, reads or creates the development app in the store's
// directory, then makes the handlers and the callback dispatcher (not yet
// started), which refuses to call self, the node's listener. This is the
// only place where the adapters meet.
func build(cfg *Config, log *slog.Logger, self net.Addr) (*node, error) {
	apps, st, err := cfg.check()
	if err != nil {
		return nil, err
	}
	m := metrics.New()
	db, err := st.open(log, m.ObserveCommit)
	if err != nil {
		return nil, err
	}
	n := &node{store: db, storeName: st.String(), metrics: m, apps: apps}
	if len(apps) == 0 {
		if n.dev, err = devApp(filepath.Dir(st.path)); err != nil {
			db.Close()
			return nil, err
		}
		a := n.dev.app
		apps[a.ID] = &roomd.App{ID: a.ID, Secret: a.Secret, Admins: a.Admins}
	}
	hub := gateway.NewHub()
	// The dispatcher needs the Service, so it joins the publishers after.
	pubs := roomd.Publishers{hub}
	n.svc = roomd.NewService(db, &pubs, nil)
	n.gateway = gateway.New(n.svc, apps, hub, gateway.Options{Verify: verifyLogin, Logger: log})
	m.AddGauge("roomd_gateway_connections", "Open WebSocket connections of the real-time gateway.", func() float64 { return float64(n.gateway.Connections()) })
	n.webhooks.zego = zego.NewHook(n.svc, cfg.zegoHooks())
	hooks := []roomd.Hook{tencent.NewHook(n.svc), n.webhooks.zego}
	hookOpts := webhook.Options{Logger: log, Listener: self, UserAgent: "roomd/" + version}
	node := nodeID()
	pg, onPostgres := db.(*postgres.DB) // several nodes may share the store
	if onPostgres {
		// Nodes on one database take turns: one delivers each app's callbacks.
		hookOpts.Leaser, hookOpts.Node, hookOpts.CursorEvery = pg, node, 1
	}
	n.webhooks.disp = webhook.New(n.svc, slices.Sorted(maps.Keys(apps)), hooks, hookOpts)
	pubs = append(pubs, n.webhooks.disp)
	var presence roomd.Presence = hub
	if onPostgres {
		// Events committed through other nodes reach this node's
		// publishers, and users online on any node are online.
		shared := pg.Presence(node, hub, 0)
		hub.WatchPresence(shared.Changed)
		presence = shared
		n.shared = append(n.shared, func(ctx context.Context) error { return pg.Follow(ctx, &pubs) }, shared.Run)
	}
	observeWebhooks(m, n.webhooks.disp)
	if n.console = newConsole(cfg, n, log); n.console != nil {
		pubs = append(pubs, n.console) // its live logs
	}
	// The vendors' call-rate limits: on PostgreSQL, token buckets in the
	// database, so that they hold for the deployment as a whole however
	// many nodes share it (docs/limits.md), one limiter for both dialects
	// (their keys differ: "app/command", "app|action"); otherwise each
	// dialect limits in memory, as one node alone.
	var lim roomd.Limiter
	if onPostgres {
		lim = pg.Limiter(postgres.LimiterOptions{Logger: log})
	}
	n.server = server.New(log, m, server.Routes{
		ZEGO:     zego.NewHandler(n.svc, apps, zego.Options{Logger: log, Presence: presence, Limiter: lim}),
		Tencent:  tencent.NewHandler(n.svc, apps, tencent.Options{Logger: log, CallbackChanged: n.webhooks.disp.ReloadApp, Limiter: lim}),
		Metrics:  m.Handler(),
		Gateway:  n.gateway,
		Webhooks: n.webhooks.disp.StatusHandler(apps),
		Console:  consoleRoute(n.console),
	})
	return n, nil
}

// close stops the callback dispatcher and closes the store.
func (n *node) close() error {
	n.webhooks.disp.Close()
	return n.store.Close()
}

// printDevApp prints the development app banner; self is how to run this
// roomd (see selfCommand) and addr where it listens.
func printDevApp(w io.Writer, dev *devAppInfo, self, addr string) {
	state := "kept in"
	if dev.created {
		state = "created; kept in"
	}
	app := dev.app
	fmt.Fprintf(w, `roomd: no apps configured, serving the development app (%s %s)
  AppId / SDKAppID:          %d
  ServerSecret / secret key: %s
  Tencent admin identifier:  %s
  try: %s sign zego --addr http://%s --app %d --secret %s QueryAppGroupList Limit=10
`, state, dev.path, app.ID, app.Secret, app.Admins[0], self, addr, app.ID, app.Secret)
}

// selfCommand is how to run this roomd again from any directory, for the
// banner's "try:" line: the running binary's name when the shell finds this
// binary by that name, else its absolute path. Under `go run` the binary is
// a temporary one, so it is the go run command that built it: "go run
// ./cmd/roomd" from the module's root, "go run IMPORTPATH" elsewhere in the
// checkout, "go run IMPORTPATH@VERSION" for a released version.
func selfCommand() string {
	exe, err := os.Executable()
	if err != nil {
		return "roomd"
	}
	bi, _ := debug.ReadBuildInfo()
	if builtByGoRun(exe) && bi != nil && bi.Path != "" {
		if v := bi.Main.Version; v != "" && v != "(devel)" {
			return "go run " + bi.Path + "@" + v
		}
		if _, err := os.Stat(filepath.Join("cmd", "roomd", "main.go")); err == nil {
			return "go run ./cmd/roomd"
		}
		return "go run " + bi.Path
	}
	name := filepath.Base(exe)
	if found, err := exec.LookPath(name); err == nil && sameFile(found, exe) {
		return name
	}
	return shellWord(exe)
}

// builtByGoRun reports whether exe is a binary `go run` built: one in a
// temporary go-build*/b*/exe/ directory, or one go run keeps in the build
// cache (GOCACHE/xx/HASH-d/).
func builtByGoRun(exe string) bool {
	dir := filepath.Dir(exe)
	if filepath.Base(dir) == "exe" && strings.HasPrefix(filepath.Base(filepath.Dir(filepath.Dir(dir))), "go-build") {
		return true
	}
	return goCacheEntry.MatchString(filepath.Base(dir)) && goCacheShard.MatchString(filepath.Base(filepath.Dir(dir)))
}

// goCacheEntry and goCacheShard match the directories of the build cache
// where go run keeps the executables it built.
var (
	goCacheEntry = regexp.MustCompile(`^[0-9a-f]{64}-d$`)
	goCacheShard = regexp.MustCompile(`^[0-9a-f]{2}$`)
)

// sameFile reports whether the paths a and b name one file.
func sameFile(a, b string) bool {
	fa, err := os.Stat(a)
	if err != nil {
		return false
	}
	fb, err := os.Stat(b)
	return err == nil && os.SameFile(fa, fb)
}
