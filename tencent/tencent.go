// Package tencent speaks the Tencent Cloud Chat room engine REST API on the
// wire: POST /v4/<service>/<command>?sdkappid=&identifier=&usersig=&random=&contenttype=json
// with a JSON body, answered with HTTP 200 and the vendor's envelope
// (ActionStatus, ErrorCode, ErrorInfo, RequestId, Response).
//
// It authenticates App administrators by TLS sig v2 UserSig, translates
// each command into one call of roomd.Service and maps domain error codes
// to the vendor's numbers (codes.go). It implements no membership or
// ownership rule itself. docs/tencent.md documents every command.
package tencent

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/roomd/roomd"
	"github.com/roomd/roomd/internal/wire"
)

// Options configures the handler.
type Options struct {
	Clock  roomd.Clock  // nil = time.Now
	Logger *slog.Logger // nil = slog.Default()
	// CallbackChanged, when set, is called after an app set, replaced or
	// deleted its callback configuration (room_config), so that callback
	// delivery can look at it at once.
	CallbackChanged func(app uint32)
	// Limiter applies the per-command call-rate limits; nil = one kept in
	// this process (wire.Limiters). Nodes sharing a database pass one
	// that shares the limits (postgres.Limiter).
	Limiter roomd.Limiter
}

// handler serves the dialect.
type handler struct {
	svc   *roomd.Service
	apps  roomd.AppDirectory
	clock roomd.Clock
	log   *slog.Logger
	// callbackChanged is Options.CallbackChanged, never nil.
	callbackChanged func(app uint32)
	sigs            *sigCache
	limits          roomd.Limiter
	routes          map[string]*route // by "service/command"
	seq             atomic.Uint64
}

// NewHandler serves the dialect under "/v4/" (the server mounts it on "/v4/").
func NewHandler(svc *roomd.Service, apps roomd.AppDirectory, opts Options) http.Handler {
	h := &handler{
		svc:             svc,
		apps:            apps,
		clock:           opts.Clock,
		log:             opts.Logger,
		callbackChanged: opts.CallbackChanged,
		sigs:            newSigCache(defaultSigCacheSize),
		limits:          opts.Limiter,
		routes:          routeIndex(),
	}
	if h.callbackChanged == nil {
		h.callbackChanged = func(uint32) {}
	}
	if h.limits == nil {
		h.limits = wire.NewLimiters()
	}
	if h.clock == nil {
		h.clock = time.Now
	}
	if h.log == nil {
		h.log = slog.Default()
	}
	return h
}

// call is one authenticated request.
type call struct {
	ctx        context.Context
	app        *roomd.App
	identifier string
	body       []byte
	fam        family
	now        time.Time
}

// actor is the App administrator making the call.
func (c *call) actor() roomd.Actor { return roomd.Actor{ID: c.identifier, Admin: true} }

// decode unmarshals the body, which must be a JSON object (or empty), into
// v, mapping failures to vendor codes.
func (c *call) decode(v any) error {
	if b := bytes.TrimSpace(c.body); len(b) > 0 && b[0] != '{' {
		return failf(codeJSONParse, "request body is not a JSON object")
	}
	if err := wire.Decode(c.body, v); err != nil {
		return decodeError(err, c.fam)
	}
	return nil
}

// ServeHTTP answers one request, always with status 200 and the envelope.
func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	o := wire.OutcomeFrom(r.Context())
	o.Dialect = "tencent"
	o.RequestID = h.requestID()
	fam, payload, err := h.serve(r, o)
	code, info := codeOK, ""
	if err != nil {
		code, info = answer(err, fam)
		if code == codeInternal {
			o.Err = err
			info = "internal error, retry"
		}
		h.log.Debug("tencent request failed", "request_id", o.RequestID, "action", o.Action, "code", code, "info", info)
		payload = nil
	}
	o.Code = code
	writeReply(w, header{ActionStatus: status(code), ErrorCode: code, ErrorInfo: info, RequestId: o.RequestID}, payload)
}

// serve routes, authenticates, rate-limits and runs one request.
func (h *handler) serve(r *http.Request, o *wire.Outcome) (family, any, error) {
	rt := h.routes[strings.TrimPrefix(r.URL.Path, "/v4/")]
	if rt == nil {
		o.Action = "unknown"
		return famRoom, nil, failf(codeBadURL, "unknown service or command")
	}
	o.Action = rt.command
	if r.Method != http.MethodPost {
		return rt.fam, nil, failf(codeBadHTTP, "method must be POST")
	}
	c, err := h.authenticate(r, rt)
	if c != nil {
		o.AppID = c.app.ID
	}
	if err != nil {
		return rt.fam, nil, err
	}
	if !c.app.RateLimitsOff && !h.limits.Allow(limitKey(c.app.ID, rt.command), float64(rt.perSecond), rt.perSecond, c.now) {
		return rt.fam, nil, failf(codeRateLimit, "more than "+strconv.Itoa(rt.perSecond)+" calls per second")
	}
	if c.body, err = wire.ReadBody(r, wire.MaxBody); err != nil {
		return rt.fam, nil, decodeError(err, rt.fam)
	}
	payload, err := rt.serve(h, c)
	return rt.fam, payload, err
}

// authenticate checks the query parameters. It returns the call (with its
// app) as soon as the app is known, even when a later check fails. A query
// of more than wire.MaxQueryParams parameters cannot be read at all: it is
// the family's parameter error.
func (h *handler) authenticate(r *http.Request, rt *route) (*call, error) {
	q, err := wire.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return nil, invalid("invalid parameter: "+err.Error(), err)
	}
	sdkappid := q.Get("sdkappid")
	if sdkappid == "" {
		return nil, failf(codeNoSDKAppID, "sdkappid is required")
	}
	id, err := strconv.ParseUint(sdkappid, 10, 32)
	if err != nil {
		return nil, failf(codeBadSDKAppID, "sdkappid is not a valid SDKAppID")
	}
	app := h.apps.App(uint32(id))
	if app == nil {
		return nil, failf(codeAppNotFound, "SDKAppID not found")
	}
	c := &call{ctx: r.Context(), app: app, identifier: q.Get("identifier"), fam: rt.fam, now: h.clock()}
	if !app.IsAdmin(c.identifier) {
		return c, failf(codeNeedAdmin, "identifier must be an App administrator")
	}
	if err := h.sigs.verify(app.ID, app.Secret, c.identifier, q.Get("usersig"), c.now); err != nil {
		return c, err
	}
	if _, err := strconv.ParseUint(q.Get("random"), 10, 32); err != nil {
		return c, failf(codeHTTPParse, "random must be an unsigned 32-bit integer")
	}
	if q.Get("contenttype") != "json" {
		return c, failf(codeHTTPParse, "contenttype must be json")
	}
	return c, nil
}

func limitKey(app uint32, command string) string {
	b := make([]byte, 0, 12+len(command))
	b = strconv.AppendUint(b, uint64(app), 10)
	b = append(b, '/')
	return string(append(b, command...))
}

// requestID returns a unique id shaped like the vendor's:
// Id-<32 hex digits>-O-Seq-<n>.
func (h *handler) requestID() string {
	var raw [16]byte
	_, _ = rand.Read(raw[:])
	b := make([]byte, 0, 64)
	b = append(b, "Id-"...)
	b = hex.AppendEncode(b, raw[:])
	b = append(b, "-O-Seq-"...)
	b = strconv.AppendUint(b, h.seq.Add(1), 10)
	return string(b)
}
