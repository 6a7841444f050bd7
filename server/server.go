// Package server is roomd's HTTP front: it routes the wire dialects, health
// and metrics on one port, writes one log line per request, turns a panic
// into an error answer instead of a dead connection, and shuts down
// gracefully.
package server

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/roomd/roomd/internal/wire"
)

// Observer receives every finished API request (metrics).
type Observer interface {
	ObserveRequest(o *wire.Outcome, d time.Duration)
}

// Routes are the handlers the server mounts.
type Routes struct {
	ZEGO    http.Handler // at "/" (the ZEGO API is "/?Action=...")
	Tencent http.Handler // under "/v4/"
	Metrics http.Handler // at "/metrics"
	Gateway Gateway      // at "GET /v1/connect"
	// Webhooks is the callback delivery status, at "/v1/webhooks" (it
	// authenticates the app itself and answers other methods with a 405).
	Webhooks http.Handler
	// Console is the operator console, under "/console/" (it answers its
	// own paths, signs its users in and refuses what it must).
	Console http.Handler
}

// Gateway is the real-time gateway: a handler of long-lived connections
// that the server closes itself on shutdown.
type Gateway interface {
	http.Handler
	// Shutdown closes every connection and waits, up to ctx, for them to end.
	Shutdown(ctx context.Context)
}

// Server serves roomd's HTTP API.
type Server struct {
	log     *slog.Logger
	obs     Observer
	handler http.Handler
	gateway Gateway
	// ShutdownTimeout bounds how long Serve waits for in-flight requests.
	ShutdownTimeout time.Duration
}

// New returns a Server for routes. obs may be nil. Every request gets
// JSON: the ZEGO API at "/" only, the Tencent API for anything under "/v4/"
// (its envelope, 60009 for an unknown command), and routes.go's answers for
// the rest: ZEGO's envelope with its wrong-endpoint code when the query
// carries Action or AppId, else a JSON 404; a JSON 405 for a method other
// than GET or HEAD on /healthz and /metrics. The gateway and the webhook
// status answer their own paths.
func New(log *slog.Logger, obs Observer, routes Routes) *Server {
	s := &Server{log: log, obs: obs, gateway: routes.Gateway, ShutdownTimeout: 15 * time.Second}
	mux := http.NewServeMux()
	if routes.Gateway != nil {
		mux.Handle("GET /v1/connect", s.recovered(routes.Gateway))
	}
	if routes.Webhooks != nil {
		mux.Handle("/v1/webhooks", s.recovered(routes.Webhooks))
	}
	if routes.Console != nil {
		mux.Handle("/console/", s.recovered(routes.Console))
	}
	mux.HandleFunc("GET /healthz", s.healthz)
	mux.Handle("/healthz", s.methodNotAllowed())
	if routes.Metrics != nil {
		mux.Handle("GET /metrics", routes.Metrics)
		mux.Handle("/metrics", s.methodNotAllowed())
	}
	if routes.Tencent != nil {
		mux.Handle("/v4/", s.api(routes.Tencent))
		mux.Handle("/v4", s.api(routes.Tencent)) // not redirected to /v4/
	}
	if routes.ZEGO != nil {
		mux.Handle("/{$}", s.api(routes.ZEGO))
	}
	mux.Handle("/", s.fallback(routes))
	s.handler = mux
	return s
}

// Handler returns the server's root handler.
func (s *Server) Handler() http.Handler { return s.handler }

func (s *Server) healthz(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = w.Write([]byte("ok\n"))
}

// recovered turns a panic in h into a logged error instead of a dead process.
func (s *Server) recovered(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				s.log.Error("panic in handler", "panic", p, "path", r.URL.Path)
			}
		}()
		h.ServeHTTP(w, r)
	})
}

// api wraps a dialect: it gives the request an Outcome, recovers panics, and
// logs and measures the request once it is answered.
func (s *Server) api(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		ctx, o := wire.WithOutcome(r.Context())
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				o.Err = errors.New("panic in handler")
				s.log.Error("panic in handler", "panic", p, "path", r.URL.Path, "request_id", o.RequestID)
				http.Error(w, `{"error":"internal error"}`, http.StatusInternalServerError)
			}
			d := time.Since(start)
			if s.obs != nil {
				s.obs.ObserveRequest(o, d)
			}
			s.logRequest(r, o, d)
		}()
		h.ServeHTTP(w, r.WithContext(ctx))
	})
}

// logRequest writes a request's one log line: its id, what was asked, the
// client address (remote), the answered code and duration_ms. Never the
// query string, which carries signatures and UserSigs.
func (s *Server) logRequest(r *http.Request, o *wire.Outcome, d time.Duration) {
	level := slog.LevelInfo
	if o.Err != nil {
		level = slog.LevelError
	}
	if !s.log.Enabled(r.Context(), level) {
		return
	}
	attrs := []slog.Attr{
		slog.String("request_id", o.RequestID),
		slog.String("dialect", o.Dialect),
		slog.String("action", o.Action),
		slog.Uint64("app", uint64(o.AppID)),
		slog.Int("code", o.Code),
		slog.String("method", r.Method),
		slog.String("path", r.URL.Path), // never the query: it carries signatures and UserSigs
		slog.String("remote", r.RemoteAddr),
		slog.Float64("duration_ms", float64(d.Microseconds())/1000),
	}
	if o.Err != nil {
		attrs = append(attrs, slog.String("error", o.Err.Error()))
	}
	s.log.LogAttrs(r.Context(), level, "request", attrs...)
}

// Serve answers requests on ln until ctx is cancelled, then stops accepting,
// waits up to ShutdownTimeout for in-flight requests, and returns.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), s.ShutdownTimeout)
	defer cancel()
	if s.gateway != nil { // its connections are hijacked: http.Server does not close them
		s.gateway.Shutdown(sctx)
	}
	err := srv.Shutdown(sctx)
	if serr := <-errc; serr != nil && !errors.Is(serr, http.ErrServerClosed) {
		return serr
	}
	return err
}
