// Package gateway is roomd's real-time gateway: members connect with a
// WebSocket at GET /v1/connect, log in with a Tencent UserSig or a ZEGO
// Token04, and receive the events of every room they are in, live and in
// seq order, and, after a reconnect, exactly the events they missed
// (docs/realtime.md is the protocol).
//
// The Hub receives committed events from the Service and routes them to
// connections without blocking; each connection serves its client from one
// goroutine that owns its state, fills any gap in a room's seqs from the
// store's log (the source of truth), and cuts off a client that falls too
// far behind. Entitlement (which events a user may see) is the domain's:
// roomd.Service.Feed and membership periods.
package gateway

import (
	"context"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/coder/websocket"

	"github.com/roomd/roomd"
)

// Verifier checks a login credential of user in app: a Tencent UserSig or
// a ZEGO Token04 (exactly one is set). It returns nil if the credential is
// valid at now; its error is logged, never sent.
type Verifier func(app *roomd.App, user, usersig, token string, now time.Time) error

// Limits of a connection.
const (
	// LoginTimeout is how long a client has to send its login.
	LoginTimeout = 10 * time.Second
	// WriteTimeout is how long one write to a client may take before the
	// client is cut off as too far behind.
	WriteTimeout = 10 * time.Second
	// MaxQueue is how many events may wait for a client before it is cut
	// off as too far behind.
	MaxQueue = 1024
	// MaxFrame is the largest frame a client may send.
	MaxFrame = 64 << 10
	// maxPendingOps is how many ops are read ahead of their replies.
	maxPendingOps = 16
	// fillPage is how many events one read of the log fills a gap with.
	fillPage = 500
)

// Options configures the gateway.
type Options struct {
	Verify Verifier
	Clock  roomd.Clock  // nil = time.Now
	Logger *slog.Logger // nil = slog.Default()
	// LoginTimeout, WriteTimeout and MaxQueue replace the defaults of the
	// same names when positive (tests make them small).
	LoginTimeout time.Duration
	WriteTimeout time.Duration
	MaxQueue     int
}

// limits are a gateway's connection limits.
type limits struct {
	login, write time.Duration
	queue        int
}

// Gateway serves GET /v1/connect.
type Gateway struct {
	svc    *roomd.Service
	apps   roomd.AppDirectory
	hub    *Hub
	verify Verifier
	clock  roomd.Clock
	log    *slog.Logger
	limits limits

	mu    sync.Mutex
	conns map[*conn]struct{}
	shut  bool
	wg    sync.WaitGroup
}

// New returns the gateway over svc, whose Publisher must be hub.
func New(svc *roomd.Service, apps roomd.AppDirectory, hub *Hub, opts Options) *Gateway {
	g := &Gateway{svc: svc, apps: apps, hub: hub, verify: opts.Verify, clock: opts.Clock, log: opts.Logger, conns: make(map[*conn]struct{}),
		limits: limits{login: LoginTimeout, write: WriteTimeout, queue: MaxQueue}}
	if opts.LoginTimeout > 0 {
		g.limits.login = opts.LoginTimeout
	}
	if opts.WriteTimeout > 0 {
		g.limits.write = opts.WriteTimeout
	}
	if opts.MaxQueue > 0 {
		g.limits.queue = opts.MaxQueue
	}
	if g.clock == nil {
		g.clock = time.Now
	}
	if g.log == nil {
		g.log = slog.Default()
	}
	return g
}

// ServeHTTP upgrades the request to a WebSocket and serves it until either
// side closes it.
func (g *Gateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	// The HTTP server's read and write timeouts must not cut a long-lived
	// connection: the gateway sets its own deadlines per write.
	rc := http.NewResponseController(w)
	_ = rc.SetReadDeadline(time.Time{})
	_ = rc.SetWriteDeadline(time.Time{})
	ws, err := websocket.Accept(w, r, nil)
	if err != nil {
		g.log.Debug("gateway: upgrade failed", "remote", r.RemoteAddr, "error", err)
		return
	}
	ws.SetReadLimit(MaxFrame)
	c := newConn(g, ws, r.RemoteAddr)
	if !g.track(c) {
		_ = ws.Close(websocket.StatusGoingAway, "server shutting down")
		return
	}
	defer g.untrack(c)
	c.serve(r.Context())
}

// track registers a connection; false once the gateway is shutting down.
func (g *Gateway) track(c *conn) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.shut {
		return false
	}
	g.conns[c] = struct{}{}
	g.wg.Add(1)
	return true
}

func (g *Gateway) untrack(c *conn) {
	g.mu.Lock()
	delete(g.conns, c)
	g.mu.Unlock()
	g.wg.Done()
}

// Connections returns the number of open connections.
func (g *Gateway) Connections() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return len(g.conns)
}

// Shutdown closes every connection with 1001 (going away) and waits, up to
// ctx, for them to end. New connections are refused from then on.
func (g *Gateway) Shutdown(ctx context.Context) {
	g.mu.Lock()
	g.shut = true
	for c := range g.conns {
		c.stop(websocket.StatusGoingAway, "server shutting down")
	}
	g.mu.Unlock()
	done := make(chan struct{})
	go func() { g.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
	}
}
