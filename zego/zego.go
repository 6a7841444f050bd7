// Package zego serves the ZEGOCLOUD ZIM server API (the user and group
// families) over a roomd.Service: one endpoint, "/?Action=<Name>&<common
// parameters>", signed with md5(AppId + SignatureNonce + ServerSecret +
// Timestamp). Every answer is HTTP 200 with a JSON body carrying Code,
// Message and RequestId.
//
// The package translates only: the membership and ownership rules are the
// Service's. routes.go lists the actions, codes.go maps domain codes to ZEGO
// numbers, and docs/zego.md describes the dialect and roomd's choices where
// the vendor is silent.
package zego

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/roomd/roomd"
	"github.com/roomd/roomd/internal/wire"
)

// Options configures the handler.
type Options struct {
	Clock  roomd.Clock  // nil = time.Now
	Logger *slog.Logger // nil = slog.Default()
	// Presence tells QueryUserOnlineState who is online (the gateway's
	// Hub); nil = nobody is.
	Presence roomd.Presence
	// Limiter applies the app-level and group-level call-rate limits;
	// nil = one kept in this process (wire.Limiters). Nodes sharing a
	// database pass one that shares the limits (postgres.Limiter).
	Limiter roomd.Limiter
}

// handler serves the dialect.
type handler struct {
	svc    *roomd.Service
	apps   roomd.AppDirectory
	clock  roomd.Clock
	log    *slog.Logger
	limits roomd.Limiter
	online roomd.Presence
}

// NewHandler serves the dialect at "/?Action=..." (the server mounts it on
// "/"). Any HTTP method is answered; a request on another path is answered
// with the envelope and Code 100000000 (wrong endpoint). See docs/zego.md.
func NewHandler(svc *roomd.Service, apps roomd.AppDirectory, opts Options) http.Handler {
	h := &handler{svc: svc, apps: apps, clock: opts.Clock, log: opts.Logger, limits: opts.Limiter, online: opts.Presence}
	if h.clock == nil {
		h.clock = time.Now
	}
	if h.log == nil {
		h.log = slog.Default()
	}
	if h.limits == nil {
		h.limits = wire.NewLimiters()
	}
	return h
}

// call is one request being served.
type call struct {
	ctx   context.Context
	r     *http.Request
	q     url.Values
	app   *roomd.App
	name  string // the action
	route *route
	now   time.Time
	reqID string
	// nonceDurable waits until the request's SignatureNonce claim is
	// durable; set once the nonce is claimed.
	nonceDurable func() error
}

// ServeHTTP authenticates the request, runs its action and writes the answer.
func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	c := &call{ctx: r.Context(), r: r, now: h.clock(), reqID: nextRequestID()}
	out := wire.OutcomeFrom(c.ctx)
	out.Dialect = "zego"
	out.RequestID = c.reqID
	rep, err := h.serve(c)
	if c.nonceDurable != nil {
		// A request is answered only once its nonce can no longer be replayed.
		if werr := c.nonceDurable(); werr != nil {
			rep, err = nil, werr
		}
	}
	if c.app != nil {
		out.AppID = c.app.ID
	}
	if c.route != nil {
		out.Action = c.name
	}
	if err != nil {
		code, msg := codeOf(c.name, err)
		if !isAPIError(err) && roomd.ErrorCode(err) == roomd.EINTERNAL {
			out.Err = err
		}
		rep = &result{Code: code, Message: msg}
	}
	res := rep.base()
	if res.Code == 0 && res.Message == "" {
		res.Message = "success"
	}
	res.RequestId = c.reqID
	out.Code = res.Code
	wire.WriteJSON(w, rep)
}

// serve checks the path and the query, runs the gateway checks and then
// the action.
func (h *handler) serve(c *call) (reply, error) {
	if p := c.r.URL.Path; p != "/" {
		return nil, apiErr(codeWrongEndpoint, "wrong endpoint: the ZEGO API is served at /, not at "+strconv.Quote(p))
	}
	var err error
	if c.q, err = wire.ParseQuery(c.r.URL.RawQuery); err != nil { // keeps the pairs that parse
		return nil, roomd.Errorf(roomd.EINVALID, "parameter error: %v", err)
	}
	if err := h.authenticate(c); err != nil {
		return nil, err
	}
	rt := c.route
	if !c.app.RateLimitsOff && rt.limit.perSecond > 0 && !rt.limit.perGroup &&
		!h.limits.Allow(strconv.FormatUint(uint64(c.app.ID), 10)+"|"+c.name, rt.limit.perSecond, rt.limit.burst, c.now) {
		return nil, apiErr(codeAppRateLimit, "app-level call rate limit exceeded")
	}
	return rt.handle(h, c)
}

// requestIDs hands out unique, numeric request ids: a random 18-digit base
// plus a counter.
var requestIDs atomic.Uint64

func init() {
	var b [8]byte
	_, _ = rand.Read(b[:])
	requestIDs.Store(100_000_000_000_000_000 + binary.BigEndian.Uint64(b[:])%800_000_000_000_000_000)
}

func nextRequestID() string { return strconv.FormatUint(requestIDs.Add(1), 10) }
