package console

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/roomd/roomd"
)

// Sessions: a sign-in gives the browser a random session id in an
// HttpOnly, SameSite=Strict cookie scoped to Path, that expires with the
// session. The console keeps the sessions in memory (a restart signs
// everyone out), by the SHA-256 of their id, at most maxSessions of them.
// Each session has a CSRF token that every state-changing request must
// carry in its "csrf" field.

// cookieName is the session cookie's name.
const cookieName = "roomd_console"

// session is one signed-in browser.
type session struct {
	key     string // sha256 of the cookie's value
	csrf    string
	actor   roomd.Actor
	app     uint32 // the one app it may see; 0: every app (password)
	expires time.Time
	flash   *flash // a message for the next page shown
}

// flash is a one-time message: the outcome of an action, shown on the
// page the browser is sent to next.
type flash struct {
	Text  string
	Error bool
}

// apps returns the apps of all that s may see.
func (s *session) apps(all []uint32) []uint32 {
	if s.app == 0 {
		return all
	}
	return []uint32{s.app}
}

// mayUse reports whether s may see app.
func (s *session) mayUse(app uint32) bool { return s.app == 0 || s.app == app }

// sessions holds the signed-in sessions and the one-time sign-in tokens.
type sessions struct {
	mu     sync.Mutex
	clock  roomd.Clock
	ttl    time.Duration
	byKey  map[string]*session
	tokens map[string]time.Time // sha256 of a one-time token -> its expiry
}

func newSessions(clock roomd.Clock, ttl time.Duration) *sessions {
	return &sessions{clock: clock, ttl: ttl, byKey: map[string]*session{}, tokens: map[string]time.Time{}}
}

// random returns 32 random bytes as URL-safe text.
func random() string {
	var b [32]byte
	_, _ = rand.Read(b[:]) // never fails (crypto/rand)
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// hash is the key under which a secret value is kept.
func hash(v string) string {
	h := sha256.Sum256([]byte(v))
	return string(h[:])
}

// equal compares two secrets in constant time (of their hashes).
func equal(a, b string) bool {
	ha, hb := sha256.Sum256([]byte(a)), sha256.Sum256([]byte(b))
	return subtle.ConstantTimeCompare(ha[:], hb[:]) == 1
}

// start makes a session for actor that may see app (0: every app) and
// returns it with its id, the cookie's value. When the console holds
// maxSessions, the one that expires first goes.
func (ss *sessions) start(actor roomd.Actor, app uint32) (*session, string) {
	id := random()
	s := &session{key: hash(id), csrf: random(), actor: actor, app: app}
	ss.mu.Lock()
	defer ss.mu.Unlock()
	now := ss.clock()
	s.expires = now.Add(ss.ttl)
	ss.sweep(now)
	if len(ss.byKey) >= maxSessions {
		var first *session
		for _, o := range ss.byKey {
			if first == nil || o.expires.Before(first.expires) {
				first = o
			}
		}
		delete(ss.byKey, first.key)
	}
	ss.byKey[s.key] = s
	return s, id
}

// sweep drops expired sessions and tokens; ss.mu is held.
func (ss *sessions) sweep(now time.Time) {
	for k, s := range ss.byKey {
		if !now.Before(s.expires) {
			delete(ss.byKey, k)
		}
	}
	for k, exp := range ss.tokens {
		if !now.Before(exp) {
			delete(ss.tokens, k)
		}
	}
}

// get returns the live session whose id is the cookie's value, or nil.
func (ss *sessions) get(r *http.Request) *session {
	ck, err := r.Cookie(cookieName)
	if err != nil || ck.Value == "" {
		return nil
	}
	ss.mu.Lock()
	defer ss.mu.Unlock()
	s := ss.byKey[hash(ck.Value)]
	if s == nil || !ss.clock().Before(s.expires) {
		return nil
	}
	return s
}

// end drops s.
func (ss *sessions) end(s *session) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	delete(ss.byKey, s.key)
}

// setFlash keeps a message for s's next page.
func (ss *sessions) setFlash(s *session, f *flash) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	s.flash = f
}

// takeFlash returns and forgets s's message, if any.
func (ss *sessions) takeFlash(s *session) *flash {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	f := s.flash
	s.flash = nil
	return f
}

// newToken returns a one-time sign-in token, valid for loginTokenTTL.
// When maxLoginTokens are waiting, the one that expires first goes.
func (ss *sessions) newToken() string {
	tok := random()
	ss.mu.Lock()
	defer ss.mu.Unlock()
	now := ss.clock()
	ss.sweep(now)
	if len(ss.tokens) >= maxLoginTokens {
		keys := make([]string, 0, len(ss.tokens))
		for k := range ss.tokens {
			keys = append(keys, k)
		}
		first := slices.MinFunc(keys, func(a, b string) int { return ss.tokens[a].Compare(ss.tokens[b]) })
		delete(ss.tokens, first)
	}
	ss.tokens[hash(tok)] = now.Add(loginTokenTTL)
	return tok
}

// useToken reports whether tok is a valid one-time token, and spends it.
func (ss *sessions) useToken(tok string) bool {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	k := hash(tok)
	exp, ok := ss.tokens[k]
	delete(ss.tokens, k)
	return ok && ss.clock().Before(exp)
}

// setCookie gives the browser the session id value, which lasts ttl (a
// negative ttl removes the cookie).
func setCookie(w http.ResponseWriter, r *http.Request, value string, ttl time.Duration) {
	http.SetCookie(w, &http.Cookie{
		Name:     cookieName,
		Value:    value,
		Path:     Path,
		MaxAge:   max(int(ttl/time.Second), -1),
		HttpOnly: true,
		Secure:   r.TLS != nil,
		SameSite: http.SameSiteStrictMode,
	})
}

// signedIn wraps a handler of a signed-in user's request. A request with
// no live session is sent to the sign-in page (a GET, with where it was
// going) or refused (anything else, 401). A state-changing request must
// carry the session's CSRF token (403 otherwise). A GET with a one-time
// token in "login" signs in first and comes back without it.
func (c *Console) signedIn(h func(w http.ResponseWriter, r *http.Request, s *session)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if tok := r.URL.Query().Get("login"); tok != "" && r.Method == http.MethodGet {
			c.loginWithToken(w, r, tok)
			return
		}
		s := c.sessions.get(r)
		if s == nil {
			if r.Method == http.MethodGet {
				http.Redirect(w, r, Path+"login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
				return
			}
			c.fail(w, r, http.StatusUnauthorized, "You are not signed in (or your session expired). Sign in again.")
			return
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead && !equal(r.PostFormValue("csrf"), s.csrf) {
			c.opts.Logger.Warn("console: request without its CSRF token refused", "method", r.Method, "path", r.URL.Path, "remote", r.RemoteAddr)
			c.fail(w, r, http.StatusForbidden, "This form has expired or did not come from the console. Reload the page and try again.")
			return
		}
		h(w, r, s)
	}
}

// safeNext returns where to go after signing in: next when it is a console
// page of this server, else the overview.
func safeNext(next string) string {
	if !strings.HasPrefix(next, Path) || strings.ContainsAny(next, "\\\r\n") || strings.HasPrefix(next, Path+"login") {
		return Path
	}
	return next
}
