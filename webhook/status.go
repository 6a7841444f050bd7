package webhook

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/roomd/roomd"
)

// StatusPath is where roomd serves StatusHandler, and where FetchStatus
// asks.
const StatusPath = "/v1/webhooks"

// The headers that authenticate a status request. The signature is
// hex(HMAC-SHA256(app secret, "<app>\n<time>\n<METHOD> <path>")).
const (
	headerApp       = "X-Roomd-App"
	headerTime      = "X-Roomd-Time"
	headerSignature = "X-Roomd-Signature"
)

// statusWindow is how far a status request's time may be from the
// server's clock.
const statusWindow = 300 * time.Second

// Status is the delivery state of one app's callbacks of one style.
type Status struct {
	Style string `json:"style"`
	// Configured reports whether the app has a target for the style.
	Configured bool `json:"configured"`
	// URL is the target's URL without user information and query.
	URL string `json:"url,omitempty"`
	// Cursor is how far the callbacks are delivered (Event.Pos); -1 when
	// the app has no cursor (its callbacks never started, or were stopped).
	Cursor int64 `json:"cursor"`
	// LastPos is the Pos of the app's last event.
	LastPos int64 `json:"last_pos"`
	// Backlog is how many positions the cursor is behind LastPos, 0
	// without a cursor.
	Backlog int64 `json:"backlog"`
	// Delivered, Failed, Retried and Expired count since roomd started.
	Delivered uint64 `json:"delivered"`
	Failed    uint64 `json:"failed"`
	Retried   uint64 `json:"retried"`
	Expired   uint64 `json:"expired"`
	// LastError says why the last attempt, or the last read of the store,
	// failed, or which events expired; it is kept after later successes.
	LastError       string    `json:"last_error,omitempty"`
	LastErrorAt     time.Time `json:"last_error_at,omitzero"`
	LastDeliveredAt time.Time `json:"last_delivered_at,omitzero"`
	// OldestUndeliveredAge is the age in seconds of the event whose
	// callback is being delivered, 0 when none is pending.
	OldestUndeliveredAge float64 `json:"oldest_undelivered_age"`
	// StatusError, when set, says that this status could not be read in
	// full (the store failed).
	StatusError string `json:"status_error,omitempty"`
}

// AppStatus is StatusHandler's answer: an app's Status per style.
type AppStatus struct {
	App   uint32   `json:"app"`
	Hooks []Status `json:"hooks"`
}

// Status returns app's delivery state for each of the Dispatcher's hooks,
// in their order. The counters are zero for an app the Dispatcher does not
// deliver for.
func (d *Dispatcher) Status(ctx context.Context, app uint32) []Status {
	out := make([]Status, 0, len(d.hooks))
	for _, h := range d.hooks {
		out = append(out, d.status(ctx, app, h))
	}
	return out
}

// status returns app's delivery state for h.
func (d *Dispatcher) status(ctx context.Context, app uint32, h roomd.Hook) Status {
	s := Status{Style: h.Style(), Cursor: -1}
	target, errT := h.Target(ctx, app)
	if target != nil {
		s.Configured, s.URL = true, redact(target.URL)
	}
	c, errC := d.svc.HookCursor(ctx, app, s.Style)
	last, errL := d.svc.LastPos(ctx, app)
	s.LastPos = last
	if c != nil {
		s.Cursor, s.Backlog = c.Pos, max(last-c.Pos, 0)
	}
	if err := errors.Join(errT, errC, errL); err != nil {
		d.opts.Logger.Error("reading a delivery status", "app", app, "style", s.Style, "error", err)
		s.StatusError = "reading the store: " + roomd.ErrorMessage(err)
	}
	for _, w := range d.byApp[app] {
		if w.style == s.Style {
			w.fill(&s, d.opts.Clock())
		}
	}
	return s
}

// fill sets the fields of s that w knows.
func (w *worker) fill(s *Status, now time.Time) {
	c := w.counters()
	s.Delivered, s.Failed, s.Retried, s.Expired = c.Delivered, c.Failed, c.Retried, c.Expired
	s.OldestUndeliveredAge = w.age(now).Seconds()
	w.mu.Lock()
	defer w.mu.Unlock()
	s.LastError, s.LastErrorAt, s.LastDeliveredAt = w.lastErr, w.lastErrAt, w.lastDeliveredAt
}

// StatusHandler returns the handler of GET StatusPath: the Status of the
// app that signs the request, as an AppStatus. The request names its app
// and time in X-Roomd-App and X-Roomd-Time (Unix seconds, within 300 s of
// the server's clock) and carries X-Roomd-Signature (see
// SignStatusRequest), so that the app's secret is never sent. Failures are
// answered 401 with {"error": "..."}; other methods 405.
func (d *Dispatcher) StatusHandler(apps roomd.AppDirectory) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet {
			w.Header().Set("Allow", http.MethodGet)
			writeJSON(w, http.StatusMethodNotAllowed, errorBody{"only GET is allowed"})
			return
		}
		app, err := authenticate(r, apps, d.opts.Clock())
		if err != nil {
			writeJSON(w, http.StatusUnauthorized, errorBody{err.Error()})
			return
		}
		writeJSON(w, http.StatusOK, AppStatus{App: app, Hooks: d.Status(r.Context(), app)})
	})
}

// errorBody is the body of StatusHandler's errors.
type errorBody struct {
	Error string `json:"error"`
}

// writeJSON answers v as JSON with status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// authenticate returns the app that signed r, or an error that says why r
// is refused without revealing any secret.
func authenticate(r *http.Request, apps roomd.AppDirectory, now time.Time) (uint32, error) {
	id, err := strconv.ParseUint(r.Header.Get(headerApp), 10, 32)
	if err != nil {
		return 0, errors.New("missing or invalid " + headerApp + " header")
	}
	app := apps.App(uint32(id))
	if app == nil {
		return 0, fmt.Errorf("unknown app %d", id)
	}
	if app.Secret == "" {
		return 0, fmt.Errorf("app %d has no secret to sign with", id)
	}
	t, err := strconv.ParseInt(r.Header.Get(headerTime), 10, 64)
	if err != nil {
		return 0, errors.New("missing or invalid " + headerTime + " header (Unix seconds)")
	}
	if skew := now.Sub(time.Unix(t, 0)); skew > statusWindow || skew < -statusWindow {
		return 0, fmt.Errorf("stale time: %s is more than %v from the server's clock", headerTime, statusWindow)
	}
	sig, err := hex.DecodeString(r.Header.Get(headerSignature))
	if err != nil || len(sig) == 0 {
		return 0, errors.New("missing or invalid " + headerSignature + " header (hex)")
	}
	if !hmac.Equal(sig, signature(app.Secret, app.ID, t, r.Method, requestPath(r))) {
		return 0, errors.New("bad signature")
	}
	return app.ID, nil
}

// requestPath returns the path r was sent to, escaped as sent.
func requestPath(r *http.Request) string {
	if u, err := url.ParseRequestURI(r.RequestURI); err == nil {
		return u.EscapedPath()
	}
	return r.URL.EscapedPath()
}

// signature returns HMAC-SHA256(secret, "<app>\n<time>\n<METHOD> <path>").
func signature(secret string, app uint32, unix int64, method, path string) []byte {
	m := hmac.New(sha256.New, []byte(secret))
	fmt.Fprintf(m, "%d\n%d\n%s %s", app, unix, method, path)
	return m.Sum(nil)
}

// SignStatusRequest signs req, a request to StatusPath, for app with its
// secret at now: it sets X-Roomd-App, X-Roomd-Time and X-Roomd-Signature.
func SignStatusRequest(req *http.Request, app uint32, secret string, now time.Time) {
	unix := now.Unix()
	req.Header.Set(headerApp, strconv.FormatUint(uint64(app), 10))
	req.Header.Set(headerTime, strconv.FormatInt(unix, 10))
	req.Header.Set(headerSignature, hex.EncodeToString(signature(secret, app, unix, req.Method, req.URL.EscapedPath())))
}

// FetchStatus asks the roomd at baseURL for app's delivery status, signed
// with secret. client nil means http.DefaultClient. A refusal's error
// quotes the server's reason.
func FetchStatus(ctx context.Context, client *http.Client, baseURL string, app uint32, secret string) (*AppStatus, error) {
	if client == nil {
		client = http.DefaultClient
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(baseURL, "/")+StatusPath, nil)
	if err != nil {
		return nil, fmt.Errorf("webhook status: %w", err)
	}
	SignStatusRequest(req, app, secret, time.Now())
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("webhook status: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		return nil, fmt.Errorf("webhook status: reading the answer: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		var e errorBody
		if json.Unmarshal(body, &e) == nil && e.Error != "" {
			return nil, fmt.Errorf("webhook status: %s: %s", resp.Status, e.Error)
		}
		return nil, fmt.Errorf("webhook status: %s", resp.Status)
	}
	var st AppStatus
	if err := json.Unmarshal(body, &st); err != nil {
		return nil, fmt.Errorf("webhook status: the answer is not a status: %w", err)
	}
	return &st, nil
}
