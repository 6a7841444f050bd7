package console_test

import (
	"context"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/roomd/roomd"
	"github.com/roomd/roomd/console"
	"github.com/roomd/roomd/storetest"
)

// The browser tests drive the console in a real Chromium (Debian's
// chromium package; .ci/run installs it). They skip when there is none.

// chromium returns the path of a Chromium to drive: $ROOMD_CHROMIUM, or
// the first of the usual names found on PATH; "" when there is none.
func chromium() string {
	if p := os.Getenv("ROOMD_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "headless-shell"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// demoMetrics is traffic as a busy roomd might see it: every read moves
// its clock on by 10 s and its counters by a varying amount, so that the
// test can fill the overview's 15 minutes at once (Console.Sample).
type demoMetrics struct {
	mu    sync.Mutex
	clock *storetest.Clock
	n     int
	r     console.Reading
}

func (m *demoMetrics) Read() console.Reading {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.clock.Advance(10 * time.Second)
	m.n++
	x := float64(m.n)
	reqs := uint64(3000 + 1500*math.Sin(x/9) + 400*math.Sin(x/2.3))
	m.r.Requests += reqs
	m.r.Errors += uint64(float64(reqs) * (0.004 + 0.003*math.Max(0, math.Sin(x/5))))
	commits := uint64(200 + 60*math.Sin(x/7))
	m.r.Commits += commits
	m.r.Updates += uint64(float64(commits) * (6 + 4*math.Sin(x/9)))
	if m.r.Transfers == nil {
		for _, le := range []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, math.Inf(1)} {
			m.r.Transfers = append(m.r.Transfers, console.Bucket{Le: le})
		}
	}
	// Transfers by latency bucket; a slow tail (25-50 ms) comes and goes.
	slow := uint64(2 + 12*math.Max(0, math.Sin(x/6)))
	var total uint64
	for i, n := range []uint64{0, 10, 110, 280, 200, 20, slow, 1, 0} {
		total += n
		m.r.Transfers[i].Count += total
	}
	out := m.r
	out.Transfers = slices.Clone(m.r.Transfers)
	return out
}

// screenshots is the folder the browser tests save their screenshots in:
// $ROOMD_SCREENSHOTS, or a new temporary folder, which the test logs.
func screenshots(t *testing.T) string {
	dir := os.Getenv("ROOMD_SCREENSHOTS")
	if dir == "" {
		var err error
		if dir, err = os.MkdirTemp("", "roomd-console-screenshots-"); err != nil {
			t.Fatal(err)
		}
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshots in %s", dir)
	return dir
}

// page drives one browser tab in a test.
type page struct {
	t    *testing.T
	ctx  context.Context
	base string
	dir  string
}

// newPage starts Chromium (1280×800) for the test, skipping the test
// when there is none.
func newPage(t *testing.T, base string) *page {
	path := chromium()
	if path == "" {
		t.Skip("no Chromium found (chromium, chromium-browser, google-chrome or $ROOMD_CHROMIUM): " +
			"the browser tests need one; on Debian: apt-get install chromium")
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path), chromedp.NoSandbox, chromedp.WindowSize(1280, 800),
		chromedp.Flag("disable-gpu", true), chromedp.Flag("lang", "en-US"))
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelTab := chromedp.NewContext(actx)
	ctx, cancelTime := context.WithTimeout(ctx, 3*time.Minute)
	t.Cleanup(func() { cancelTime(); cancelTab(); cancelAlloc() })
	p := &page{t: t, ctx: ctx, base: base, dir: screenshots(t)}
	// The browser starts with the first action, and lives as long as the
	// context that action runs in: this one, not a step's.
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1280, 800)); err != nil {
		t.Fatalf("starting Chromium (%s): %v", path, err)
	}
	return p
}

// do runs actions, failing the test with what it was doing on an error.
func (p *page) do(what string, actions ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, stepTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		p.t.Fatalf("%s: %v", what, err)
	}
}

// stepTimeout bounds each step of a browser test.
const stepTimeout = 30 * time.Second

// eval evaluates a JavaScript expression.
func eval[T any](p *page, what, expr string) T {
	p.t.Helper()
	v, err := chromedp.Run(p.ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		p.t.Fatalf("%s: %v", what, err)
	}
	return v
}

// waitFor waits up to 10 s for a JavaScript expression to be true.
func (p *page) waitFor(what, expr string) {
	p.t.Helper()
	if _, err := chromedp.Run(p.ctx, chromedp.Poll[bool](expr, chromedp.WithPollingTimeout(10*time.Second))); err != nil {
		p.t.Fatalf("waiting for %s (%s): %v", what, expr, err)
	}
}

// text returns an element's text.
func (p *page) text(sel string) string {
	p.t.Helper()
	s, err := chromedp.Run(p.ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		p.t.Fatalf("text of %s: %v", sel, err)
	}
	return s
}

// shot saves a screenshot of the viewport (full: of the whole page) as
// name.png.
func (p *page) shot(name string, full bool) {
	p.t.Helper()
	act := chromedp.CaptureScreenshot()
	if full {
		act = chromedp.FullScreenshot(100)
	}
	png, err := chromedp.Run(p.ctx, act)
	if err != nil {
		p.t.Fatalf("screenshot %s: %v", name, err)
	}
	if err := os.WriteFile(filepath.Join(p.dir, name+".png"), png, 0o644); err != nil {
		p.t.Fatal(err)
	}
}

// confirm clicks the button sel, checks the dialog asks question and
// confirms.
func (p *page) confirm(sel, question string) {
	p.t.Helper()
	p.do("click "+sel, chromedp.Click(chromedp.CSS(sel)), chromedp.WaitVisible(chromedp.CSS("#confirm-dialog")))
	if got := p.text("#confirm-text"); got != question {
		p.t.Fatalf("the dialog asks %q, want %q", got, question)
	}
	p.do("confirm", chromedp.Click(chromedp.CSS("#confirm-yes")), chromedp.WaitNotVisible(chromedp.CSS("#confirm-dialog")))
}

// TestBrowser: an operator signs in (a wrong password first), finds a
// room, transfers its ownership and sees the owner.changed event arrive in
// the live log without a reload, sees a change made elsewhere arrive too,
// kicks a member, looks at every page at desktop and phone width, and
// signs out.
func TestBrowser(t *testing.T) {
	var m *demoMetrics
	e := MustStartConsole(t, func(o *console.Options) {
		m = &demoMetrics{clock: storetest.NewClock(t0)}
		o.Clock, o.Metrics, o.Webhooks = m.clock.Now, m, demoWebhooks{}
	})
	for range console.Window / console.DefaultSampleEvery {
		e.Console.Sample()
	}
	e.MustRegister(t, app, "alice", "bob", "carol", "dave", "erin", "frank")
	if _, err := e.Svc.RegisterUsers(context.Background(), app, []roomd.User{{ID: "mallory", Name: "<script>alert('x')</script>"}}, false); err != nil {
		t.Fatal(err)
	}
	e.MustCreateRoom(t, app, "team", "alice", "bob", "carol", "dave", "mallory")
	for _, id := range []string{"design-review", "lobby", "standup-europe", "standup-us", "<img src=x onerror=alert(1)>"} {
		e.MustCreateRoom(t, app, id, "erin", "frank")
	}
	e.Clock.Advance(47*time.Minute + 13*time.Second) // the log's times tell the steps apart
	p := newPage(t, e.URL)

	// A wrong password is refused, with the reason.
	p.do("open the console", chromedp.Navigate(e.URL+"/console/"), chromedp.WaitVisible(chromedp.CSS("#password")))
	p.do("type a wrong password", chromedp.SendKeys(chromedp.CSS("#password"), "not the password"),
		chromedp.Submit(chromedp.CSS("#password")), chromedp.WaitVisible(chromedp.CSS(".status.error")))
	if got := p.text("#status"); got != "Wrong password." {
		t.Fatalf("after a wrong password: status %q, want %q", got, "Wrong password.")
	}
	p.shot("login-refused", false)

	// The right one signs in, named.
	p.do("sign in", chromedp.SendKeys(chromedp.CSS("#password"), password), chromedp.SendKeys(chromedp.CSS("#name-password"), "ops"),
		chromedp.Submit(chromedp.CSS("#password")), chromedp.WaitVisible(chromedp.CSS("#charts")))
	p.waitFor("the charts to fill", `document.querySelectorAll("#charts polyline").length >= 4`)
	p.shot("overview", false)

	// Find the room by a prefix of its id.
	p.do("rooms", chromedp.Click(chromedp.CSS(`nav a[href^="/console/rooms"]`)), chromedp.WaitVisible(chromedp.CSS("#q")))
	p.shot("rooms", false)
	p.do("search", chromedp.SendKeys(chromedp.CSS("#q"), "te"), chromedp.Submit(chromedp.CSS("#q")),
		chromedp.WaitVisible(chromedp.Search(`//a[text()="team"]`)))
	if n := eval[int](p, "count results", `document.querySelectorAll("main table tbody tr").length`); n != 1 {
		t.Fatalf("search te: got %d rooms, want 1", n)
	}
	p.do("open the room", chromedp.Click(chromedp.Search(`//a[text()="team"]`)), chromedp.WaitVisible(chromedp.CSS("#owner")))
	p.waitFor("the live log to connect", `document.getElementById("live-state").textContent.startsWith("Live")`)
	eval[bool](p, "mark the page", `window.notReloaded = true`)

	// Transfer: confirmed in the dialog; the event arrives live.
	p.confirm(`button[aria-label="Make bob the owner"]`, "Make bob the owner of room team? The current owner stays as a member.")
	p.waitFor("owner.changed in the log", `(() => { const c = document.querySelector("#log tr:first-child td:nth-child(3) code"); return c && c.textContent === "owner.changed" })()`)
	p.waitFor("the owner shown to be bob", `document.querySelector("#owner").textContent.trim() === "bob"`)
	if got := p.text("#status"); got != "bob is now the owner of room team." {
		t.Fatalf("after the transfer: status %q", got)
	}
	if by := p.text("#log tr:first-child td:nth-child(4)"); by != "console:ops" {
		t.Fatalf("owner.changed: actor %q, want console:ops", by)
	}
	// A change made elsewhere (the REST dialects' Service) arrives too.
	e.Clock.Advance(2*time.Minute + 31*time.Second)
	if err := e.Svc.UpdateMember(context.Background(), adminActor, app, "team", "carol", roomd.MemberUpdate{Role: ptr(roomd.RoleAdmin)}); err != nil {
		t.Fatal(err)
	}
	p.waitFor("member.role_changed in the log", `document.querySelector("#log tr:first-child td:nth-child(3) code").textContent === "member.role_changed"`)
	p.waitFor("carol shown as admin", `document.querySelector('tr[data-user="carol"] td.role').textContent === "admin"`)

	// Kick: a dialog cancelled with Escape does nothing; confirmed, dave goes.
	p.do("open the kick dialog", chromedp.Click(chromedp.CSS(`button[aria-label="Kick dave"]`)), chromedp.WaitVisible(chromedp.CSS("#confirm-dialog")))
	p.do("cancel with Escape", chromedp.KeyEvent(kb.Escape), chromedp.WaitNotVisible(chromedp.CSS("#confirm-dialog")))
	if focused := eval[string](p, "focus", `document.activeElement.getAttribute("aria-label") || ""`); focused != "Kick dave" {
		t.Fatalf("after cancelling: focus on %q, want back on the Kick dave button", focused)
	}
	e.Clock.Advance(58 * time.Second)
	p.confirm(`button[aria-label="Kick dave"]`, "Remove dave from room team? If they own it, the longest-standing member becomes the owner.")
	p.waitFor("dave gone from the members", `document.querySelector('tr[data-user="dave"]') === null`)
	p.waitFor("member.left in the log", `document.querySelector("#log tr:first-child td:nth-child(3) code").textContent === "member.left"`)
	p.shot("room", false)
	p.shot("room-full", true)
	// A refused action says why: bob owns the room, frank is no member.
	p.do("transfer to a non-member", chromedp.SendKeys(chromedp.CSS("#new-owner"), "frank"))
	p.confirm(`#new-owner ~ button`, "Make frank the owner of room team? The current owner stays as a member.")
	p.waitFor("the refusal", `document.querySelector("#status.error") !== null`)
	if got := p.text("#status"); got != `The new owner "frank" must be a member of the room.` {
		t.Fatalf("refused transfer: status %q", got)
	}
	if !eval[bool](p, "no reload", `window.notReloaded === true`) {
		t.Fatalf("the room page was reloaded; want every change to arrive live")
	}
	p.shot("room-refused", false)

	// The keyboard: the first Tab reaches the skip link.
	p.do("reload", chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS("#owner")), chromedp.KeyEvent(kb.Tab))
	if got := eval[string](p, "focus", `document.activeElement.className`); got != "skip" {
		t.Fatalf("first Tab: focus on class %q, want the skip link", got)
	}

	// The other pages.
	p.do("users", chromedp.Click(chromedp.CSS(`nav a[href^="/console/users"]`)), chromedp.WaitVisible(chromedp.CSS("#q")))
	p.shot("users", false)
	p.do("a user", chromedp.Click(chromedp.Search(`//a[text()="mallory"]`)), chromedp.WaitVisible(chromedp.CSS("#profile-h")))
	p.shot("user", false)
	p.do("callbacks", chromedp.Click(chromedp.CSS(`nav a[href^="/console/webhooks"]`)), chromedp.WaitVisible(chromedp.CSS("main table")))
	p.shot("webhooks", false)
	if alerts := eval[bool](p, "no script ran", `window.alerted === undefined`); !alerts {
		t.Fatalf("a hostile name ran script")
	}

	// A phone-width window: nothing wider than the screen but the tables,
	// which scroll inside their frame.
	p.do("phone width", chromedp.EmulateViewport(390, 844), chromedp.Navigate(e.URL+"/console/room?app=1400000001&id=team"),
		chromedp.WaitVisible(chromedp.CSS("#owner")))
	if w := eval[int](p, "page width", `document.documentElement.scrollWidth`); w > 390 {
		wide := eval[[]string](p, "what is too wide", `[...document.querySelectorAll("body *")].filter(el =>
			el.getBoundingClientRect().right > 391 && !(el.parentElement && el.parentElement.closest(".table-wrap"))).map(el =>
			el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") + (el.className ? "." + el.className : "")).slice(0, 10)`)
		t.Fatalf("at phone width the page is %d px wide (window %d), want at most 390; too wide: %q", w, eval[int](p, "inner width", `window.innerWidth`), wide)
	}
	p.shot("room-phone", false)
	p.do("overview at phone width", chromedp.Navigate(e.URL+"/console/"), chromedp.WaitVisible(chromedp.CSS("#charts")))
	p.shot("overview-phone", false)
	p.do("back to desktop", chromedp.EmulateViewport(1280, 800))

	// Sign out: the console is closed again.
	p.do("sign out", chromedp.Click(chromedp.CSS(".signout button")), chromedp.WaitVisible(chromedp.CSS("#password")))
	if got := p.text("#status"); got != "You are signed out." {
		t.Fatalf("after signing out: status %q", got)
	}
	p.do("a page after signing out", chromedp.Navigate(e.URL+"/console/rooms"), chromedp.WaitVisible(chromedp.CSS("#password")))
}

func ptr[T any](v T) *T { return &v }

// demoWebhooks reports callbacks as a running roomd might.
type demoWebhooks struct{}

func (demoWebhooks) Status(_ context.Context, app uint32) []console.HookStatus {
	return []console.HookStatus{
		{Style: "tencent", Configured: true, URL: "https://backend.example.com/tencent", Backlog: 0, Delivered: 18234},
		{Style: "zego", Configured: true, URL: "https://backend.example.com/zego", Backlog: 37, Delivered: 18190, Failed: 12,
			LastError: "https://backend.example.com/zego answered 503 Service Unavailable", LastErrorAt: t0.Add(-2 * time.Minute),
			OldestUndelivered: 41 * time.Second},
	}
}
