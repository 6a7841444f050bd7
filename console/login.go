package console

import (
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"github.com/roomd/roomd"
)

// Signing in: with an app's id and secret (the session then sees that
// app), with the console password (every app), or with a one-time URL
// that serve prints for the development app. A sign-in form carries a
// token of its own, kept in a cookie beside it (double submit), since
// there is no session yet; sign-in attempts are rate limited.

// Actor names: the console's changes are made by "console", or by
// "console:NAME" when the operator gave a name at sign-in.
const actorName = "console"

// operatorName is what a name given at sign-in may be.
var operatorName = regexp.MustCompile(`^[A-Za-z0-9._-]{1,32}$`)

// formCookie is the cookie holding the sign-in form's token.
const formCookie = "roomd_console_form"

// LoginURL returns a one-time sign-in URL of the console at base (such
// as "http://127.0.0.1:8080"), valid for 24 hours: it signs in to every
// app, as the console password does.
func (c *Console) LoginURL(base string) string {
	return strings.TrimRight(base, "/") + Path + "?login=" + c.sessions.newToken()
}

// loginView is the sign-in page.
type loginView struct {
	base
	Next        string
	FormToken   string
	HasPassword bool
	Apps        []uint32
	App         string // as typed, to show again
	Name        string
}

// loginPage shows the sign-in form; a signed-in browser goes on to the
// overview (or to next).
func (c *Console) loginPage(w http.ResponseWriter, r *http.Request) {
	if c.sessions.get(r) != nil {
		http.Redirect(w, r, safeNext(r.URL.Query().Get("next")), http.StatusSeeOther)
		return
	}
	msg := ""
	if r.URL.Query().Has("signed_out") {
		msg = "You are signed out."
	}
	c.showLogin(w, r, http.StatusOK, msg, nil)
}

// showLogin renders the sign-in page with msg (an error when err is set).
func (c *Console) showLogin(w http.ResponseWriter, r *http.Request, status int, msg string, f *loginView) {
	if f == nil {
		f = &loginView{}
	}
	f.Title = "Sign in"
	if msg != "" {
		f.Flash = &flash{Text: msg, Error: status != http.StatusOK}
	}
	f.Next = safeNext(r.FormValue("next"))
	f.FormToken = random()
	f.HasPassword = c.opts.Password != ""
	if len(c.appIDs) == 1 {
		f.Apps = c.appIDs
	}
	http.SetCookie(w, &http.Cookie{Name: formCookie, Value: f.FormToken, Path: Path, HttpOnly: true,
		Secure: r.TLS != nil, SameSite: http.SameSiteStrictMode, MaxAge: 3600})
	c.render(w, r, status, "login", f)
}

// login checks a sign-in form and starts a session.
func (c *Console) login(w http.ResponseWriter, r *http.Request) {
	f := &loginView{App: r.PostFormValue("app"), Name: r.PostFormValue("name")}
	ck, err := r.Cookie(formCookie)
	if err != nil || !equal(ck.Value, r.PostFormValue("form_token")) {
		c.showLogin(w, r, http.StatusForbidden, "This sign-in form has expired or did not come from the console. Try again.", f)
		return
	}
	if !c.logins.Allow() {
		c.showLogin(w, r, http.StatusTooManyRequests, "Too many sign-in attempts. Wait a few seconds and try again.", f)
		return
	}
	actor := roomd.Actor{ID: actorName, Admin: true}
	if f.Name != "" {
		if !operatorName.MatchString(f.Name) {
			c.showLogin(w, r, http.StatusBadRequest, "Your name may have up to 32 letters, digits, dots, dashes and underscores.", f)
			return
		}
		actor.ID += ":" + f.Name
	}
	var app uint32
	switch {
	case r.PostFormValue("password") != "":
		if c.opts.Password == "" || !equal(r.PostFormValue("password"), c.opts.Password) {
			c.refuse(w, r, "password", "Wrong password.", f)
			return
		}
	default:
		id, err := strconv.ParseUint(strings.TrimSpace(f.App), 10, 32)
		a := c.opts.Apps.App(uint32(id))
		// The secret is compared even for an unknown app, so that the
		// answer's timing does not tell which apps exist.
		secret := ""
		if a != nil {
			secret = a.Secret
		}
		if ok := equal(r.PostFormValue("secret"), secret); err != nil || a == nil || !ok || secret == "" {
			c.refuse(w, r, "app", "Wrong app id or secret.", f)
			return
		}
		app = a.ID
	}
	c.begin(w, r, actor, app, "form", safeNext(r.PostFormValue("next")))
}

// refuse answers a failed sign-in, and logs it without what was typed.
func (c *Console) refuse(w http.ResponseWriter, r *http.Request, method, msg string, f *loginView) {
	c.opts.Logger.Warn("console: sign-in refused", "method", method, "remote", r.RemoteAddr)
	c.showLogin(w, r, http.StatusUnauthorized, msg, f)
}

// begin starts a session and goes on to next.
func (c *Console) begin(w http.ResponseWriter, r *http.Request, actor roomd.Actor, app uint32, how, next string) {
	_, id := c.sessions.start(actor, app)
	setCookie(w, r, id, c.opts.SessionTTL)
	c.opts.Logger.Info("console: signed in", "actor", actor.ID, "app", app, "with", how, "remote", r.RemoteAddr)
	http.Redirect(w, r, next, http.StatusSeeOther)
}

// loginWithToken signs in with a one-time token and comes back to the
// page asked for, without the token in its URL.
func (c *Console) loginWithToken(w http.ResponseWriter, r *http.Request, tok string) {
	if !c.logins.Allow() {
		c.showLogin(w, r, http.StatusTooManyRequests, "Too many sign-in attempts. Wait a few seconds and try again.", nil)
		return
	}
	if !c.sessions.useToken(tok) {
		c.opts.Logger.Warn("console: sign-in refused", "method", "url", "remote", r.RemoteAddr)
		c.showLogin(w, r, http.StatusUnauthorized, "This sign-in link was used already or has expired. Sign in with the app's id and secret.", nil)
		return
	}
	q := r.URL.Query()
	q.Del("login")
	next := (&url.URL{Path: r.URL.Path, RawQuery: q.Encode()}).RequestURI()
	c.begin(w, r, roomd.Actor{ID: actorName, Admin: true}, 0, "url", safeNext(next))
}

// logout ends the session.
func (c *Console) logout(w http.ResponseWriter, r *http.Request, s *session) {
	c.sessions.end(s)
	setCookie(w, r, "", -1)
	c.opts.Logger.Info("console: signed out", "actor", s.actor.ID, "remote", r.RemoteAddr)
	http.Redirect(w, r, Path+"login?signed_out=1", http.StatusSeeOther)
}
