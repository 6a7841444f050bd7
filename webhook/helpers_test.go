package webhook_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/roomd/roomd"
	"github.com/roomd/roomd/sqlite"
	"github.com/roomd/roomd/storetest"
	"github.com/roomd/roomd/webhook"
)

const (
	appA   uint32 = 1400000001
	appB   uint32 = 1400000002
	secret        = "0123456789abcdef0123456789abcdef"
	// within bounds every wait of the tests.
	within = 10 * time.Second
)

var admin = roomd.Actor{ID: "administrator", Admin: true}

// MustOpenStore opens a SQLite store in the test's temporary directory; it
// is closed when the test ends.
func MustOpenStore(tb testing.TB) *sqlite.DB {
	tb.Helper()
	db, err := sqlite.Open(filepath.Join(tb.TempDir(), "roomd.db"), sqlite.Options{Logger: discard()})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		if err := db.Close(); err != nil {
			tb.Errorf("closing the store: %v", err)
		}
	})
	return db
}

// discard returns a logger that drops everything.
func discard() *slog.Logger { return slog.New(slog.DiscardHandler) }

// Relay publishes to the current Dispatcher: the Service, which takes its
// Publisher, is made before the Dispatcher, which takes the Service.
type Relay struct {
	d atomic.Pointer[webhook.Dispatcher]
}

// Publish hands events to the current Dispatcher, if any.
func (r *Relay) Publish(ctx context.Context, events []roomd.Event) {
	if d := r.d.Load(); d != nil {
		d.Publish(ctx, events)
	}
}

// Env is a Service over a real SQLite store, with a test clock, whose
// events wake the Dispatcher started last.
type Env struct {
	Svc   *roomd.Service
	Clock *storetest.Clock // starts at the real time, so that requests signed with time.Now are within the status window
	relay *Relay
}

// MustEnv returns an Env whose apps appA and appB have users ann, bob,
// cat and dan.
func MustEnv(tb testing.TB) *Env {
	tb.Helper()
	e := &Env{Clock: storetest.NewClock(time.Now().UTC().Truncate(time.Second)), relay: &Relay{}}
	e.Svc = roomd.NewService(MustOpenStore(tb), e.relay, e.Clock.Now)
	for _, app := range []uint32{appA, appB} {
		users := []roomd.User{{AppID: app, ID: "ann"}, {AppID: app, ID: "bob"}, {AppID: app, ID: "cat"}, {AppID: app, ID: "dan"}}
		if _, err := e.Svc.RegisterUsers(context.Background(), app, users, false); err != nil {
			tb.Fatal(err)
		}
	}
	return e
}

// MustStart starts a Dispatcher of apps and hooks, with tiny back-offs and
// no polling unless opts sets them, closed when the test ends. It returns once every
// configured target has its cursor, so that the events written next are
// called back.
func (e *Env) MustStart(tb testing.TB, apps []uint32, hooks []roomd.Hook, opts webhook.Options) *webhook.Dispatcher {
	tb.Helper()
	if opts.Logger == nil {
		opts.Logger = discard()
	}
	if opts.Clock == nil {
		opts.Clock = e.Clock.Now
	}
	if opts.Backoff == nil {
		opts.Backoff = func(int) time.Duration { return time.Millisecond }
	}
	if opts.Poll == 0 {
		opts.Poll = time.Hour // deliveries are woken by Publish
	}
	d := webhook.New(e.Svc, apps, hooks, opts)
	e.relay.d.Store(d)
	d.Start(context.Background())
	tb.Cleanup(d.Close)
	ctx := context.Background()
	for _, app := range apps {
		for _, h := range hooks {
			if t, _ := h.Target(ctx, app); t == nil {
				continue
			}
			WaitFor(tb, fmt.Sprintf("app %d's %s cursor", app, h.Style()), func() bool {
				c, err := e.Svc.HookCursor(ctx, app, h.Style())
				return err == nil && c != nil
			})
		}
	}
	return d
}

// MustCreateRoom creates room id of app, owned by ann: two events.
func (e *Env) MustCreateRoom(tb testing.TB, app uint32, id string) {
	tb.Helper()
	if _, _, err := e.Svc.CreateRoom(context.Background(), admin, roomd.Room{AppID: app, ID: id, Owner: "ann"}, nil); err != nil {
		tb.Fatalf("creating room %q: %v", id, err)
	}
}

// MustAddMember adds user to room: one event.
func (e *Env) MustAddMember(tb testing.TB, app uint32, room, user string) {
	tb.Helper()
	items, err := e.Svc.AddMembers(context.Background(), admin, app, room, []roomd.MemberAdd{{UserID: user}})
	if err != nil || len(items) > 0 {
		tb.Fatalf("adding %q to room %q: %v %v", user, room, err, items)
	}
}

// MustLog returns the deliveries the callbacks of app's log after pos
// should carry, in log order.
func (e *Env) MustLog(tb testing.TB, app uint32, after int64) []string {
	tb.Helper()
	events, err := e.Svc.AppEvents(context.Background(), app, after, roomd.MaxAppEvents)
	if err != nil {
		tb.Fatal(err)
	}
	out := make([]string, len(events))
	for i, ev := range events {
		out[i] = fmt.Sprintf("%d/%s/%d", ev.AppID, url.PathEscape(ev.RoomID), ev.Seq)
	}
	return out
}

// MustCursor returns the position of app's cursor for style, -1 when none.
func (e *Env) MustCursor(tb testing.TB, app uint32, style string) int64 {
	tb.Helper()
	c, err := e.Svc.HookCursor(context.Background(), app, style)
	if err != nil {
		tb.Fatal(err)
	}
	if c == nil {
		return -1
	}
	return c.Pos
}

// MustLastPos returns the position of app's last event.
func (e *Env) MustLastPos(tb testing.TB, app uint32) int64 {
	tb.Helper()
	pos, err := e.Svc.LastPos(context.Background(), app)
	if err != nil {
		tb.Fatal(err)
	}
	return pos
}

// FakeHook is a roomd.Hook whose callbacks are JSON naming their event,
// posted to a URL set per app, and acknowledged by a 200.
type FakeHook struct {
	style string
	skip  roomd.EventType // events of this type have no callback

	mu   sync.Mutex
	urls map[uint32]string
}

// Body is a FakeHook callback's body.
type Body struct {
	App       uint32 `json:"app"`
	Room      string `json:"room"`
	Seq       int64  `json:"seq"`
	Pos       int64  `json:"pos"`
	Type      string `json:"type"`
	Signature string `json:"signature"` // a secret: never logged
}

// bodySecret is what every FakeHook body carries as its signature.
const bodySecret = "sig-7c1d0e55"

// NewFakeHook returns a FakeHook of style that posts app's callbacks to
// url ("" for none).
func NewFakeHook(style string, app uint32, url string) *FakeHook {
	h := &FakeHook{style: style, urls: map[uint32]string{}}
	h.SetURL(app, url)
	return h
}

// SetURL sets where app's callbacks go; "" makes the app's target nil.
func (h *FakeHook) SetURL(app uint32, url string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.urls[app] = url
}

// Style returns the hook's style.
func (h *FakeHook) Style() string { return h.style }

// Target returns the app's target, nil when its URL is "".
func (h *FakeHook) Target(_ context.Context, app uint32) (*roomd.HookTarget, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.urls[app] == "" {
		return nil, nil
	}
	return &roomd.HookTarget{AppID: app, URL: h.urls[app]}, nil
}

// Request returns a callback naming ev, or nil for the skipped type.
func (h *FakeHook) Request(_ context.Context, t *roomd.HookTarget, ev *roomd.Event, _ time.Time) (*roomd.HookRequest, error) {
	if ev.Type == h.skip {
		return nil, nil
	}
	body, err := json.Marshal(Body{App: ev.AppID, Room: ev.RoomID, Seq: ev.Seq, Pos: ev.Pos, Type: string(ev.Type), Signature: bodySecret})
	return &roomd.HookRequest{URL: t.URL, Body: body}, err
}

// Accept accepts a 200.
func (h *FakeHook) Accept(status int, _ []byte) error {
	if status != http.StatusOK {
		return fmt.Errorf("status %d", status)
	}
	return nil
}

// Call is one request a Receiver got.
type Call struct {
	Delivery    string // X-Roomd-Delivery
	ContentType string
	UserAgent   string
	Body        Body
	Status      int // what the receiver answered; 0 when it hung
}

// Hang is the status that makes a Receiver hang until the client gives up
// or the test ends.
const Hang = 0

// Receiver is a callback receiver on 127.0.0.1 that records its calls.
type Receiver struct {
	*httptest.Server
	respond func(n int) int // the status of call n (from 0)
	done    chan struct{}

	mu    sync.Mutex
	calls []Call
}

// MustDownReceiver starts a Receiver that answers 500 until up is set,
// then 200.
func MustDownReceiver(tb testing.TB) (rc *Receiver, up *atomic.Bool) {
	tb.Helper()
	up = new(atomic.Bool)
	return MustReceiver(tb, func(int) int {
		if up.Load() {
			return http.StatusOK
		}
		return http.StatusInternalServerError
	}), up
}

// MustReceiver starts a Receiver that answers call n with respond(n).
func MustReceiver(tb testing.TB, respond func(n int) int) *Receiver {
	tb.Helper()
	rc := &Receiver{respond: respond, done: make(chan struct{})}
	rc.Server = httptest.NewServer(http.HandlerFunc(rc.serve))
	tb.Cleanup(rc.Close)
	tb.Cleanup(func() { close(rc.done) }) // runs first: releases the hung calls
	return rc
}

// Always returns a respond function answering status to every call.
func Always(status int) func(int) int { return func(int) int { return status } }

func (rc *Receiver) serve(w http.ResponseWriter, r *http.Request) {
	data, _ := io.ReadAll(r.Body)
	c := Call{Delivery: r.Header.Get("X-Roomd-Delivery"), ContentType: r.Header.Get("Content-Type"), UserAgent: r.UserAgent()}
	_ = json.Unmarshal(data, &c.Body)
	rc.mu.Lock()
	c.Status = rc.respond(len(rc.calls))
	rc.calls = append(rc.calls, c)
	rc.mu.Unlock()
	if c.Status == Hang {
		select {
		case <-r.Context().Done():
		case <-rc.done:
		}
		return
	}
	w.WriteHeader(c.Status)
	_, _ = w.Write([]byte(`{"ok":true}`))
}

// Calls returns the calls so far.
func (rc *Receiver) Calls() []Call {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return slices.Clone(rc.calls)
}

// Acked returns the deliveries of the calls answered 200, in order.
func (rc *Receiver) Acked() []string {
	var out []string
	for _, c := range rc.Calls() {
		if c.Status == http.StatusOK {
			out = append(out, c.Delivery)
		}
	}
	return out
}

// Seen returns the deliveries of every call, repeats dropped, in the order
// of their first call.
func (rc *Receiver) Seen() []string {
	var out []string
	for _, c := range rc.Calls() {
		if !slices.Contains(out, c.Delivery) {
			out = append(out, c.Delivery)
		}
	}
	return out
}

// WaitAcked waits until n calls were answered 200 and returns their
// deliveries.
func (rc *Receiver) WaitAcked(tb testing.TB, n int) []string {
	tb.Helper()
	WaitFor(tb, fmt.Sprintf("%d acknowledged callbacks", n), func() bool { return len(rc.Acked()) >= n })
	return rc.Acked()
}

// WaitFor waits until cond holds, failing the test after within.
func WaitFor(tb testing.TB, what string, cond func() bool) {
	tb.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			tb.Fatalf("timed out after %v waiting for %s", within, what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// HookStats returns the Dispatcher's stats of app and style.
func HookStats(tb testing.TB, d *webhook.Dispatcher, app uint32, style string) webhook.HookStats {
	tb.Helper()
	for _, s := range d.Stats().Hooks {
		if s.App == app && s.Style == style {
			return s
		}
	}
	tb.Fatalf("no stats of app %d style %s", app, style)
	return webhook.HookStats{}
}

// WaitStats waits until app's stats of style satisfy cond, and returns them.
func WaitStats(tb testing.TB, d *webhook.Dispatcher, app uint32, style, what string, cond func(webhook.HookStats) bool) webhook.HookStats {
	tb.Helper()
	WaitFor(tb, what, func() bool { return cond(HookStats(tb, d, app, style)) })
	return HookStats(tb, d, app, style)
}

// WantSame fails the test unless got equals want.
func WantSame[T comparable](tb testing.TB, what string, got, want []T) {
	tb.Helper()
	if !slices.Equal(got, want) {
		tb.Errorf("%s:\n got  %v\n want %v", what, got, want)
	}
}
