package main

import (
	"context"
	"crypto/rand"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"reflect"
	"strconv"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/roomd/roomd"
	"github.com/roomd/roomd/metrics"
	"github.com/roomd/roomd/webhook"
	"github.com/roomd/roomd/zego"
)

// webhooks is a node's callback delivery: the dispatcher and the ZEGO
// hook, whose targets come from the config and change on a SIGHUP.
type webhooks struct {
	disp *webhook.Dispatcher
	zego *zego.Hook
}

// startHooks gives each app configured with a ZEGO-style callback its
// delivery cursor before the node serves a request, so that every change
// from then on is called back.
func startHooks(ctx context.Context, svc *roomd.Service, targets map[uint32]zego.HookConfig) error {
	for app := range targets {
		if _, err := svc.StartHook(ctx, app, roomd.HookZEGO); err != nil {
			return fmt.Errorf("starting the callbacks of app %d: %w", app, err)
		}
	}
	return nil
}

// observeWebhooks exports the dispatcher's counters on /metrics.
func observeWebhooks(m *metrics.Metrics, d *webhook.Dispatcher) {
	m.AddFuncs("roomd_webhook_callbacks_total",
		"Callbacks by style and result: delivered (acknowledged), failed (attempts that failed), retried (attempts after the first), expired (compacted away before delivery).",
		metrics.Counter, []string{"style", "result"}, func(emit func(float64, ...string)) {
			for style, c := range d.Stats().Styles {
				emit(float64(c.Delivered), style, "delivered")
				emit(float64(c.Failed), style, "failed")
				emit(float64(c.Retried), style, "retried")
				emit(float64(c.Expired), style, "expired")
			}
		})
	m.AddFuncs("roomd_webhook_oldest_undelivered_seconds",
		"Age of the oldest event whose callback is not delivered yet, per app and style (0 when none is pending).",
		metrics.Gauge, []string{"app", "style"}, func(emit func(float64, ...string)) {
			for _, h := range d.Stats().Hooks {
				emit(h.OldestUndelivered.Seconds(), strconv.FormatUint(uint64(h.App), 10), h.Style)
			}
		})
}

// reloadOnHangup re-reads the config file at path on each SIGHUP until ctx
// ends, and applies its callback settings (callback_url, callback_secret);
// other changes need a restart, which it logs. A config that does not load
// is logged and the running one kept.
func reloadOnHangup(ctx context.Context, path string, running *Config, n *node, log *slog.Logger) (stop func()) {
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case <-ctx.Done():
				return
			case <-hup:
				if err := reload(ctx, path, running, n, log); err != nil {
					log.Error("config reload failed", "config", path, "error", err.Error())
				}
			}
		}
	}()
	return func() { signal.Stop(hup); <-done }
}

// reload applies the callback settings of the config at path.
func reload(ctx context.Context, path string, running *Config, n *node, log *slog.Logger) error {
	if path == "" {
		return fmt.Errorf("roomd was started without --config: there is nothing to re-read")
	}
	cfg, err := loadConfig(path)
	if err != nil {
		return err
	}
	cfg.Listen, cfg.Store = running.Listen, running.Store // the flags win, as at start
	if _, _, err := cfg.check(); err != nil {
		return err
	}
	if !sameBesidesCallbacks(cfg, running) {
		log.Warn("config changes other than callback_url and callback_secret take effect at the next restart", "config", path)
	}
	targets := cfg.zegoHooks()
	for app := range targets {
		if n.apps.App(app) == nil {
			delete(targets, app) // a new app: served after a restart
		}
	}
	if err := startHooks(ctx, n.svc, targets); err != nil {
		return err
	}
	n.webhooks.zego.SetTargets(targets)
	n.webhooks.disp.Reload()
	log.Info("config reloaded", "config", path, "zego_callbacks", len(targets))
	return nil
}

// sameBesidesCallbacks reports whether a and b differ only in their apps'
// callback settings.
func sameBesidesCallbacks(a, b *Config) bool {
	strip := func(c *Config) Config {
		out := *c
		out.Apps = make([]AppConfig, len(c.Apps))
		for i, app := range c.Apps {
			app.CallbackURL, app.CallbackSecret = "", ""
			out.Apps[i] = app
		}
		return out
	}
	return reflect.DeepEqual(strip(a), strip(b))
}

const webhooksUsage = `usage: roomd webhooks status --app ID --secret KEY [--addr URL]

prints the delivery state of an app's callbacks (webhooks), per style
(tencent, zego): where they go, the cursor and backlog in the app's event
log, the counts since roomd started and the last error. The request is
signed with the app's secret, which is not sent.
`

func runWebhooks(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "status" {
		if helpAsked(args) {
			fmt.Fprint(stdout, webhooksUsage)
			return flag.ErrHelp
		}
		fmt.Fprint(stderr, webhooksUsage)
		return usagef("webhooks: the subcommand must be status")
	}
	fs := flag.NewFlagSet("webhooks status", flag.ContinueOnError)
	addr := fs.String("addr", "http://"+defaultListen, "base `URL` of the roomd")
	app := fs.Uint("app", 0, "app `id`")
	secret := fs.String("secret", "", "app secret `key`")
	if err := parseFlags(fs, webhooksUsage, args[1:], stdout, stderr); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("webhooks status: unexpected argument %q", fs.Arg(0))
	}
	if *app == 0 || *app > 1<<32-1 || *secret == "" {
		return usagef("webhooks status: --app and --secret are required")
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	st, err := webhook.FetchStatus(ctx, http.DefaultClient, strings.TrimRight(*addr, "/"), uint32(*app), *secret)
	if err != nil {
		return err
	}
	printStatus(stdout, st)
	return nil
}

// printStatus writes an app's delivery status as a table.
func printStatus(w io.Writer, st *webhook.AppStatus) {
	fmt.Fprintf(w, "app %d\n", st.App)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "style\turl\tcursor\tbacklog\tdelivered\tfailed\texpired\toldest undelivered\tlast error")
	for _, s := range st.Hooks {
		url, cursor := s.URL, strconv.FormatInt(s.Cursor, 10)
		if !s.Configured {
			url = "(not configured)"
		}
		if s.Cursor < 0 {
			cursor = "-"
		}
		last := s.LastError
		if last == "" {
			last = "-"
		} else if !s.LastErrorAt.IsZero() {
			last = s.LastErrorAt.Format(time.RFC3339) + " " + last
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\t%d\t%d\t%s\t%s\n", s.Style, url, cursor, s.Backlog, s.Delivered, s.Failed, s.Expired,
			time.Duration(s.OldestUndeliveredAge*float64(time.Second)).Round(time.Millisecond), last)
	}
	tw.Flush()
}

// nodeID names this process among the nodes sharing a store, for the
// callback leases: host name, process id and a random suffix, so that a
// restarted node is a new holder.
func nodeID() string {
	host, _ := os.Hostname()
	var b [4]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("%s/%d/%x", host, os.Getpid(), b)
}
