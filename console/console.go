// Package console is roomd's operator console: web pages at /console/ to
// look at an app's rooms, members, users and callbacks, to act on a room
// (transfer its ownership, set a role, kick, ban and unban, dismiss) and
// to follow its event log live, with an overview of the server's request
// and commit rates.
//
// The pages are html/template pages rendered on the server, with a little
// plain JavaScript for the live log and the confirmations, all embedded in
// the binary: nothing is loaded from elsewhere. Every change goes through
// the same roomd.Service as the REST dialects, with the console's user as
// the actor. The console reads roomd's metrics and callback delivery state
// through the small interfaces it defines here (Metrics, Webhooks); it is
// itself a roomd.Publisher, which feeds the live logs.
package console

import (
	"cmp"
	"context"
	"embed"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/roomd/roomd"
)

// Path is where the console is served: every page is under it.
const Path = "/console/"

// Options configure a Console.
type Options struct {
	// Apps are the apps the console shows; one signs in with an app's id
	// and secret, and then sees that app.
	Apps roomd.Apps
	// Password, when set, signs in to every app. It is never shown or
	// logged.
	Password string
	// Metrics, when set, is read every SampleEvery for the overview.
	Metrics Metrics
	// Webhooks, when set, is asked for the callback delivery state.
	Webhooks Webhooks
	// Logger receives sign-ins, refusals and the actions taken (never a
	// secret). Default: slog.Default().
	Logger *slog.Logger
	// Clock replaces time.Now for sessions and samples.
	Clock roomd.Clock
	// SessionTTL is how long a sign-in lasts. Default 12 hours.
	SessionTTL time.Duration
	// SampleEvery is how often the metrics are read. Default 10 seconds;
	// the overview keeps the last 15 minutes of samples.
	SampleEvery time.Duration
}

// Defaults of Options.
const (
	DefaultSessionTTL  = 12 * time.Hour
	DefaultSampleEvery = 10 * time.Second
	// Window is how far back the overview's charts go.
	Window = 15 * time.Minute
)

// Bounds on what clients can make the console hold.
const (
	maxSessions    = 1024 // signed-in sessions; the oldest goes first
	maxLoginTokens = 16   // one-time sign-in URLs not yet used
	maxStreams     = 256  // live logs open at once
	streamQueue    = 256  // events queued for one live log before it is dropped
	pageSize       = 100  // rooms, users, members or bans on one page
	logPage        = 50   // events of a room's log on one page
	maxSamples     = 1000 // metrics readings kept, whatever SampleEvery
)

// loginTokenTTL is how long a one-time sign-in URL stays valid.
const loginTokenTTL = 24 * time.Hour

// Metrics is what the overview reads of roomd's metrics.
type Metrics interface {
	// Read returns the counters as they are now, totals since start.
	Read() Reading
}

// Reading is one read of roomd's counters, each a total since roomd
// started: the overview charts the differences between two reads.
type Reading struct {
	// Requests and Errors count the API requests answered, and those
	// answered with an error (a code other than 0).
	Requests, Errors uint64
	// Transfers is the latency histogram of ownership transfers (ZEGO
	// TransferGroupOwner, Tencent change_room_owner).
	Transfers []Bucket
	// Commits counts the store's commits and Updates the updates they
	// carried (group commit: several updates per commit).
	Commits, Updates uint64
}

// Bucket is one bucket of a cumulative histogram: how many observations
// were at most Le seconds. The last bucket of a histogram is +Inf.
type Bucket struct {
	Le    float64
	Count uint64
}

// Webhooks is what the console reads of the callback delivery.
type Webhooks interface {
	// Status returns app's delivery state, one HookStatus per callback
	// style.
	Status(ctx context.Context, app uint32) []HookStatus
}

// HookStatus is the delivery state of one app's callbacks of one style.
type HookStatus struct {
	Style      string
	Configured bool
	URL        string // without user information or query
	// Backlog is how many events of the app's log are not yet delivered.
	Backlog                    int64
	Delivered, Failed, Expired uint64
	LastError                  string
	LastErrorAt                time.Time
	// OldestUndelivered is the age of the event being delivered, 0 when
	// none is pending.
	OldestUndelivered time.Duration
	// StatusError says that the state could not be read in full.
	StatusError string
}

// Console is the operator console: an http.Handler of the pages under
// Path, and the roomd.Publisher that feeds their live logs.
type Console struct {
	svc      *roomd.Service
	opts     Options
	appIDs   []uint32 // sorted
	mux      *http.ServeMux
	sessions *sessions
	hub      *hub
	samples  *ring
	pages    pages
	logins   *rate.Limiter // sign-in attempts, all clients together
	done     chan struct{} // closed when Start's context ends
	stop     sync.Once
}

var _ roomd.Publisher = (*Console)(nil)

//go:embed templates static
var files embed.FS

// New returns the console over svc.
func New(svc *roomd.Service, opts Options) *Console {
	opts.Logger = cmp.Or(opts.Logger, slog.Default())
	if opts.Clock == nil {
		opts.Clock = time.Now
	}
	opts.SessionTTL = cmp.Or(opts.SessionTTL, DefaultSessionTTL)
	opts.SampleEvery = cmp.Or(opts.SampleEvery, DefaultSampleEvery)
	c := &Console{
		svc:      svc,
		opts:     opts,
		sessions: newSessions(opts.Clock, opts.SessionTTL),
		hub:      newHub(),
		samples:  newRing(min(int(Window/opts.SampleEvery)+1, maxSamples)),
		pages:    parsePages(),
		logins:   rate.NewLimiter(5, 20),
		done:     make(chan struct{}),
	}
	for id := range opts.Apps {
		c.appIDs = append(c.appIDs, id)
	}
	slices.Sort(c.appIDs)
	c.mux = c.routes()
	return c
}

// routes returns the console's router.
func (c *Console) routes() *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+Path+"static/{file}", func(w http.ResponseWriter, r *http.Request) {
		http.ServeFileFS(w, r, files, "static/"+r.PathValue("file"))
	})
	mux.HandleFunc("GET "+Path+"login", c.loginPage)
	mux.HandleFunc("POST "+Path+"login", c.login)
	mux.HandleFunc("POST "+Path+"logout", c.signedIn(c.logout))
	mux.HandleFunc("GET "+Path+"{$}", c.signedIn(c.overview))
	mux.HandleFunc("GET "+Path+"rooms", c.signedIn(c.rooms))
	mux.HandleFunc("GET "+Path+"room", c.signedIn(c.room))
	mux.HandleFunc("GET "+Path+"room/events", c.signedIn(c.events))
	mux.HandleFunc("POST "+Path+"room/{action}", c.signedIn(c.act))
	mux.HandleFunc("GET "+Path+"users", c.signedIn(c.users))
	mux.HandleFunc("GET "+Path+"user", c.signedIn(c.user))
	mux.HandleFunc("GET "+Path+"webhooks", c.signedIn(c.webhooks))
	mux.HandleFunc(Path, c.notFound)
	return mux
}

// ServeHTTP answers the console's pages. Every answer carries headers that
// keep it from being framed, sniffed, cached or from loading anything from
// elsewhere; a state-changing request from another origin is refused.
func (c *Console) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "+
		"connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cache-Control", "no-store")
	if err := crossOrigin.Check(r); err != nil {
		c.opts.Logger.Warn("console: cross-origin request refused", "method", r.Method, "path", r.URL.Path, "remote", r.RemoteAddr)
		c.fail(w, r, http.StatusForbidden, "This request came from another site and was refused. Use the console's own pages.")
		return
	}
	c.mux.ServeHTTP(w, r)
}

// crossOrigin refuses state-changing requests that a browser says come
// from another origin (Sec-Fetch-Site, Origin), whatever their token.
var crossOrigin = http.NewCrossOriginProtection()

// Start samples the metrics every SampleEvery until ctx ends; then it also
// ends every live log, so that a server shutting down is not held up by
// them. It returns at once.
func (c *Console) Start(ctx context.Context) {
	go func() {
		<-ctx.Done()
		c.stop.Do(func() { close(c.done) })
	}()
	if c.opts.Metrics == nil {
		return
	}
	go func() {
		t := time.NewTicker(c.opts.SampleEvery)
		defer t.Stop()
		for {
			c.sample()
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
}

// sample reads the metrics once into the ring.
func (c *Console) sample() {
	at, r := c.opts.Clock(), c.opts.Metrics.Read()
	r.Transfers = slices.Clone(r.Transfers) // kept: not to be shared with the next read
	c.samples.add(sample{at: at, Reading: r})
}

// firstApp returns the first app s may see, 0 when there is none.
func (c *Console) firstApp(s *session) uint32 {
	if apps := s.apps(c.appIDs); len(apps) > 0 {
		return apps[0]
	}
	return 0
}

// notFound answers a path the console does not have.
func (c *Console) notFound(w http.ResponseWriter, r *http.Request) {
	c.fail(w, r, http.StatusNotFound, "There is no console page at "+r.URL.Path+".")
}

// appOf returns the app a request names in its "app" parameter, or the
// first app s may see when it names none; ok is false (and the answer
// written) when it names an app s may not see.
func (c *Console) appOf(w http.ResponseWriter, r *http.Request, s *session) (uint32, bool) {
	raw := r.FormValue("app")
	if raw == "" {
		if app := c.firstApp(s); app != 0 {
			return app, true
		}
		raw = "0"
	}
	id, err := strconv.ParseUint(raw, 10, 32)
	if err != nil || c.opts.Apps.App(uint32(id)) == nil || !s.mayUse(uint32(id)) {
		c.fail(w, r, http.StatusNotFound, "There is no app "+raw+" that you may see.")
		return 0, false
	}
	return uint32(id), true
}
