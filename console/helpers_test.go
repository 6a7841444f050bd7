package console_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/roomd/roomd"
	"github.com/roomd/roomd/console"
	"github.com/roomd/roomd/server"
	"github.com/roomd/roomd/sqlite"
	"github.com/roomd/roomd/storetest"
)

// The apps of the test console: app signs in with secret; other is a
// second app, seen with the password only.
const (
	app      uint32 = 1400000001
	secret          = "0123456789abcdef0123456789abcdef"
	other    uint32 = 1400000002
	secret2         = "fedcba9876543210fedcba9876543210"
	password        = "correct horse battery staple"
)

// t0 is the test clock's start.
var t0 = time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)

// Env is a console over a real SQLite store, served by roomd's server on
// a loopback HTTP server.
type Env struct {
	URL     string // http://127.0.0.1:PORT
	Svc     *roomd.Service
	Console *console.Console
	Clock   *storetest.Clock
	// Quiet is a Service over the same store that publishes nothing: what
	// it commits reaches the console's live logs only through the store.
	Quiet *roomd.Service
	// Stop stops the console (Start's context), as a shutting-down server does.
	Stop    context.CancelFunc
	logPath string // the console's log, JSON lines
}

// Logs returns what the console logged so far.
func (e *Env) Logs() string {
	data, err := os.ReadFile(e.logPath)
	if err != nil {
		return err.Error()
	}
	return string(data)
}

// MustStartConsole starts a console with apps app and other and the
// password; options adjust its Options first. The server and the store
// close in Cleanup.
func MustStartConsole(tb testing.TB, options ...func(*console.Options)) *Env {
	tb.Helper()
	db, err := sqlite.Open(filepath.Join(tb.TempDir(), "roomd.db"), sqlite.Options{})
	if err != nil {
		tb.Fatalf("sqlite.Open: %v", err)
	}
	e := &Env{Clock: storetest.NewClock(t0), logPath: filepath.Join(tb.TempDir(), "console.log")}
	logFile, err := os.OpenFile(e.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { logFile.Close() })
	log := slog.New(slog.NewJSONHandler(logFile, nil))
	pubs := roomd.Publishers{}
	e.Svc = roomd.NewService(db, &pubs, e.Clock.Now)
	e.Quiet = roomd.NewService(db, nil, e.Clock.Now)
	opts := console.Options{
		Apps: roomd.Apps{
			app:   {ID: app, Secret: secret, Admins: []string{"administrator"}},
			other: {ID: other, Secret: secret2, Admins: []string{"administrator"}},
		},
		Password: password,
		Logger:   log,
		Clock:    e.Clock.Now,
	}
	for _, o := range options {
		o(&opts)
	}
	e.Console = console.New(e.Svc, opts)
	pubs = append(pubs, e.Console)
	ctx, cancel := context.WithCancel(context.Background())
	e.Console.Start(ctx)
	e.Stop = cancel
	srv := httptest.NewServer(server.New(log, nil, server.Routes{Console: e.Console}).Handler())
	e.URL = srv.URL
	tb.Cleanup(func() {
		cancel()
		srv.Close()
		if err := db.Close(); err != nil {
			tb.Errorf("closing the store: %v", err)
		}
	})
	return e
}

// MustRegister registers users of app, each named "Name of ID".
func (e *Env) MustRegister(tb testing.TB, appID uint32, ids ...string) {
	tb.Helper()
	var users []roomd.User
	for _, id := range ids {
		users = append(users, roomd.User{ID: id, Name: "Name of " + id})
	}
	if items, err := e.Svc.RegisterUsers(context.Background(), appID, users, false); err != nil || len(items) > 0 {
		tb.Fatalf("RegisterUsers(%q): got items %v, error %v; want none", ids, items, err)
	}
}

// MustCreateRoom creates a room of app owned by owner with members.
func (e *Env) MustCreateRoom(tb testing.TB, appID uint32, id, owner string, members ...string) {
	tb.Helper()
	_, items, err := e.Svc.CreateRoom(context.Background(), roomd.Actor{ID: "administrator", Admin: true},
		roomd.Room{AppID: appID, ID: id, Name: "Room " + id, Owner: owner}, members)
	if err != nil || len(items) > 0 {
		tb.Fatalf("CreateRoom(%q): got items %v, error %v; want none", id, items, err)
	}
}

// MustRoom reads a live room.
func (e *Env) MustRoom(tb testing.TB, appID uint32, id string) *roomd.Room {
	tb.Helper()
	r, err := e.Svc.Room(context.Background(), appID, id)
	if err != nil {
		tb.Fatalf("Room(%q): %v", id, err)
	}
	return r
}

// LastEvent returns the last event of a room's log.
func (e *Env) LastEvent(tb testing.TB, appID uint32, room string) roomd.Event {
	tb.Helper()
	events, err := e.Svc.Events(context.Background(), appID, room, 0, roomd.MaxFeed)
	if err != nil || len(events) == 0 {
		tb.Fatalf("Events(%q): got %d events, error %v; want some", room, len(events), err)
	}
	return events[len(events)-1]
}

// Browser is an HTTP client with a cookie jar that does not follow
// redirects, as a test sees a browser's requests.
type Browser struct {
	tb   testing.TB
	env  *Env
	c    *http.Client
	CSRF string // the CSRF token of the last signed-in page read
}

// NewBrowser returns a browser with no cookies.
func (e *Env) NewBrowser(tb testing.TB) *Browser {
	jar, _ := cookiejar.New(nil)
	return &Browser{tb: tb, env: e, c: &http.Client{
		Jar:           jar,
		Timeout:       10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// Response is an answer as a test reads it.
type Response struct {
	Status   int
	Body     string
	Location string
	Header   http.Header
}

// csrfField finds a page's CSRF token.
var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// Do sends a request with the given headers and reads the answer.
func (b *Browser) Do(method, path string, form url.Values, header map[string]string) *Response {
	b.tb.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, b.env.URL+path, body)
	if err != nil {
		b.tb.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := b.c.Do(req)
	if err != nil {
		b.tb.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		b.tb.Fatalf("%s %s: reading the answer: %v", method, path, err)
	}
	r := &Response{Status: resp.StatusCode, Body: string(data), Location: resp.Header.Get("Location"), Header: resp.Header}
	if m := csrfField.FindStringSubmatch(r.Body); m != nil {
		b.CSRF = m[1]
	}
	return r
}

// Get reads a page.
func (b *Browser) Get(path string) *Response {
	b.tb.Helper()
	return b.Do(http.MethodGet, path, nil, nil)
}

// Post sends a form.
func (b *Browser) Post(path string, form url.Values) *Response {
	b.tb.Helper()
	return b.Do(http.MethodPost, path, form, nil)
}

// Act posts a confirmed action on a room of app with the page's CSRF
// token; fields are name, value pairs.
func (b *Browser) Act(action, room string, fields ...string) *Response {
	b.tb.Helper()
	form := url.Values{"csrf": {b.CSRF}, "app": {"1400000001"}, "room": {room}, "confirmed": {"yes"}}
	for i := 0; i+1 < len(fields); i += 2 {
		form.Set(fields[i], fields[i+1])
	}
	return b.Post("/console/room/"+action, form)
}

// formToken finds a sign-in form's token.
var formToken = regexp.MustCompile(`name="form_token" value="([^"]+)"`)

// SignIn signs in with form (app and secret, or password), reading the
// sign-in page first as a browser does, and returns the answer.
func (b *Browser) SignIn(form url.Values) *Response {
	b.tb.Helper()
	page := b.Get("/console/login")
	m := formToken.FindStringSubmatch(page.Body)
	if m == nil {
		b.tb.Fatalf("sign-in page: no form token in %s", page.Body)
	}
	form.Set("form_token", m[1])
	return b.Post("/console/login", form)
}

// MustSignIn signs in with the app's id and secret and reads the rooms
// page (for its CSRF token).
func (b *Browser) MustSignIn() {
	b.tb.Helper()
	r := b.SignIn(url.Values{"app": {"1400000001"}, "secret": {secret}})
	if r.Status != http.StatusSeeOther || r.Location != "/console/" {
		b.tb.Fatalf("sign in: got %d to %q (%s), want 303 to /console/", r.Status, r.Location, r.Body)
	}
	if p := b.Get("/console/rooms"); p.Status != http.StatusOK || b.CSRF == "" {
		b.tb.Fatalf("rooms page after signing in: got %d, CSRF %q; want 200 and a token", p.Status, b.CSRF)
	}
}

// wantContains fails unless body has every one of wants.
func wantContains(tb testing.TB, what, body string, wants ...string) {
	tb.Helper()
	for _, w := range wants {
		if !strings.Contains(body, w) {
			tb.Fatalf("%s: want %q in the page, got:\n%s", what, w, clip(body))
		}
	}
}

// wantStatus fails unless r has status want.
func wantStatus(tb testing.TB, what string, r *Response, want int) {
	tb.Helper()
	if r.Status != want {
		tb.Fatalf("%s: got status %d, want %d; body:\n%s", what, r.Status, want, clip(r.Body))
	}
}

// clip shortens a page for a failure message: its main part, at most
// 3000 bytes.
func clip(body string) string {
	if i := strings.Index(body, "<main"); i >= 0 {
		body = body[i:]
	}
	if len(body) > 3000 {
		body = body[:3000] + "…"
	}
	return body
}
