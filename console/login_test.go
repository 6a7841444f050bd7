package console_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/roomd/roomd/console"
)

func TestSignIn(t *testing.T) {
	e := MustStartConsole(t)
	t.Run("SignedOutGoesToSignIn", func(t *testing.T) {
		r := e.NewBrowser(t).Get("/console/rooms?app=1400000001")
		if r.Status != http.StatusSeeOther || r.Location != "/console/login?next=%2Fconsole%2Frooms%3Fapp%3D1400000001" {
			t.Fatalf("got %d to %q, want 303 to the sign-in page with next", r.Status, r.Location)
		}
	})
	t.Run("AppSecret", func(t *testing.T) {
		b := e.NewBrowser(t)
		r := b.SignIn(url.Values{"app": {"1400000001"}, "secret": {secret}, "next": {"/console/users?app=1400000001"}})
		if r.Status != http.StatusSeeOther || r.Location != "/console/users?app=1400000001" {
			t.Fatalf("got %d to %q, want 303 to next", r.Status, r.Location)
		}
		ck := r.Header.Get("Set-Cookie")
		for _, want := range []string{"roomd_console=", "Path=/console/", "HttpOnly", "SameSite=Strict", "Max-Age=43200"} {
			if !strings.Contains(ck, want) {
				t.Fatalf("cookie: got %q, want %q in it", ck, want)
			}
		}
		wantStatus(t, "users page", b.Get("/console/users?app=1400000001"), http.StatusOK)
		// The app's session sees its app only.
		r = b.Get("/console/rooms?app=1400000002")
		wantStatus(t, "the other app", r, http.StatusNotFound)
		wantContains(t, "the other app", r.Body, "There is no app 1400000002 that you may see.")
	})
	t.Run("Password", func(t *testing.T) {
		b := e.NewBrowser(t)
		r := b.SignIn(url.Values{"password": {password}, "name": {"ann"}})
		wantStatus(t, "sign in", r, http.StatusSeeOther)
		page := b.Get("/console/")
		wantContains(t, "overview", page.Body, "console:ann", `<option value="1400000001" selected>`, `<option value="1400000002">`, "Rooms<span class=\"sr-only\"> of app 1400000002")
		wantStatus(t, "the other app's rooms", b.Get("/console/rooms?app=1400000002"), http.StatusOK)
	})
	for _, c := range []struct {
		name string
		form url.Values
		msg  string
	}{
		{"WrongSecret", url.Values{"app": {"1400000001"}, "secret": {secret2}}, "Wrong app id or secret."},
		{"UnknownApp", url.Values{"app": {"42"}, "secret": {secret}}, "Wrong app id or secret."},
		{"NotANumber", url.Values{"app": {"x"}, "secret": {secret}}, "Wrong app id or secret."},
		{"EmptySecret", url.Values{"app": {"1400000001"}, "secret": {""}}, "Wrong app id or secret."},
		{"WrongPassword", url.Values{"password": {"correct horse battery stapl"}}, "Wrong password."},
	} {
		t.Run(c.name, func(t *testing.T) {
			b := e.NewBrowser(t)
			r := b.SignIn(c.form)
			wantStatus(t, "sign in", r, http.StatusUnauthorized)
			wantContains(t, "sign in", r.Body, c.msg)
			if strings.Contains(r.Header.Get("Set-Cookie"), "roomd_console=") {
				t.Fatalf("a refused sign-in set the session cookie: %q", r.Header.Get("Set-Cookie"))
			}
			if r := b.Get("/console/"); r.Status != http.StatusSeeOther {
				t.Fatalf("after a refused sign-in: got %d, want 303 to the sign-in page", r.Status)
			}
		})
	}
	t.Run("BadName", func(t *testing.T) {
		r := e.NewBrowser(t).SignIn(url.Values{"password": {password}, "name": {"<b>x</b>"}})
		wantStatus(t, "sign in", r, http.StatusBadRequest)
		wantContains(t, "sign in", r.Body, "Your name may have up to 32 letters", `value="&lt;b&gt;x&lt;/b&gt;"`)
	})
	t.Run("NoFormToken", func(t *testing.T) {
		b := e.NewBrowser(t)
		r := b.Post("/console/login", url.Values{"app": {"1400000001"}, "secret": {secret}})
		wantStatus(t, "sign in without the form's token", r, http.StatusForbidden)
	})
	t.Run("OneTimeURL", func(t *testing.T) {
		u := e.Console.LoginURL("http://127.0.0.1:8080/")
		if !strings.HasPrefix(u, "http://127.0.0.1:8080/console/?login=") {
			t.Fatalf("LoginURL: got %q", u)
		}
		path := strings.TrimPrefix(u, "http://127.0.0.1:8080")
		b := e.NewBrowser(t)
		r := b.Get(path)
		if r.Status != http.StatusSeeOther || r.Location != "/console/" {
			t.Fatalf("one-time URL: got %d to %q, want 303 to /console/ (without the token)", r.Status, r.Location)
		}
		wantContains(t, "overview", b.Get("/console/").Body, "Overview", "Apps")
		r = e.NewBrowser(t).Get(path)
		wantStatus(t, "the URL again", r, http.StatusUnauthorized)
		wantContains(t, "the URL again", r.Body, "This sign-in link was used already or has expired.")
	})
	t.Run("SignOut", func(t *testing.T) {
		b := e.NewBrowser(t)
		b.MustSignIn()
		wantStatus(t, "sign out without the CSRF token", b.Post("/console/logout", url.Values{}), http.StatusForbidden)
		r := b.Post("/console/logout", url.Values{"csrf": {b.CSRF}})
		if r.Status != http.StatusSeeOther || r.Location != "/console/login?signed_out=1" {
			t.Fatalf("sign out: got %d to %q", r.Status, r.Location)
		}
		wantContains(t, "after signing out", b.Get(r.Location).Body, "You are signed out.")
		if r := b.Get("/console/"); r.Status != http.StatusSeeOther {
			t.Fatalf("after signing out: got %d, want 303 to the sign-in page", r.Status)
		}
	})
	t.Run("Expiry", func(t *testing.T) {
		b := e.NewBrowser(t)
		b.MustSignIn()
		e.Clock.Advance(console.DefaultSessionTTL + time.Second)
		defer e.Clock.Advance(-console.DefaultSessionTTL - time.Second)
		if r := b.Get("/console/"); r.Status != http.StatusSeeOther {
			t.Fatalf("after the session's time: got %d, want 303 to the sign-in page", r.Status)
		}
	})
	// Neither the secret nor the password was ever logged.
	logs := e.Logs()
	for _, s := range []string{secret, secret2, password} {
		if strings.Contains(logs, s) {
			t.Fatalf("the log holds a secret %q:\n%s", s, logs)
		}
	}
	wantContains(t, "the log", logs, "console: sign-in refused", "console: signed in")
}

// TestSignInRateLimit: guessing is slowed down: past a burst, sign-in
// attempts are refused with 429 for a while.
func TestSignInRateLimit(t *testing.T) {
	e := MustStartConsole(t)
	b := e.NewBrowser(t)
	limited := 0
	for range 40 {
		if r := b.SignIn(url.Values{"password": {"guess"}}); r.Status == http.StatusTooManyRequests {
			wantContains(t, "limited", r.Body, "Too many sign-in attempts.")
			limited++
		}
	}
	if limited == 0 {
		t.Fatalf("40 wrong passwords at once: none was refused with 429")
	}
}

// TestCSRF: state-changing requests are refused without the session's
// token, or from another origin whatever they carry.
func TestCSRF(t *testing.T) {
	e := MustStartConsole(t)
	e.MustRegister(t, app, "ann", "bob")
	e.MustCreateRoom(t, app, "team", "ann", "bob")
	b := e.NewBrowser(t)
	b.MustSignIn()
	seq := e.MustRoom(t, app, "team").Seq
	form := func(csrf string) url.Values {
		return url.Values{"csrf": {csrf}, "app": {"1400000001"}, "room": {"team"}, "user": {"bob"}, "confirmed": {"yes"}}
	}
	for _, c := range []struct {
		name   string
		form   url.Values
		header map[string]string
		msg    string
	}{
		{"NoToken", form(""), nil, "This form has expired or did not come from the console."},
		{"WrongToken", form(b.CSRF + "x"), nil, "This form has expired or did not come from the console."},
		{"OtherSessionToken", form(otherCSRF(t, e)), nil, "This form has expired or did not come from the console."},
		{"CrossSite", form(b.CSRF), map[string]string{"Sec-Fetch-Site": "cross-site"}, "This request came from another site and was refused."},
		{"OtherOrigin", form(b.CSRF), map[string]string{"Origin": "http://evil.example"}, "This request came from another site and was refused."},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := b.Do(http.MethodPost, "/console/room/transfer", c.form, c.header)
			wantStatus(t, "transfer", r, http.StatusForbidden)
			wantContains(t, "transfer", r.Body, c.msg)
			if got := e.MustRoom(t, app, "team"); got.Owner != "ann" || got.Seq != seq {
				t.Fatalf("after a refused request: owner %q seq %d, want ann and %d (nothing changed)", got.Owner, got.Seq, seq)
			}
		})
	}
	// A sign-in from another site is refused too.
	r := e.NewBrowser(t).Do(http.MethodPost, "/console/login", url.Values{"password": {password}}, map[string]string{"Sec-Fetch-Site": "cross-site"})
	wantStatus(t, "cross-site sign-in", r, http.StatusForbidden)
	// With the token, from the console itself, it works.
	r = b.Do(http.MethodPost, "/console/room/transfer", form(b.CSRF), map[string]string{"Sec-Fetch-Site": "same-origin", "Origin": e.URL})
	wantStatus(t, "transfer", r, http.StatusSeeOther)
	if got := e.MustRoom(t, app, "team").Owner; got != "bob" {
		t.Fatalf("owner: got %q, want bob", got)
	}
}

// otherCSRF returns the CSRF token of another browser's session.
func otherCSRF(t *testing.T, e *Env) string {
	b := e.NewBrowser(t)
	b.MustSignIn()
	return b.CSRF
}

// TestNoApps: a console with no app signs in with the password, shows its
// overview and refuses the app pages.
func TestNoApps(t *testing.T) {
	e := MustStartConsole(t, func(o *console.Options) { o.Apps = nil })
	b := e.NewBrowser(t)
	wantStatus(t, "sign in", b.SignIn(url.Values{"password": {password}}), http.StatusSeeOther)
	wantStatus(t, "overview", b.Get("/console/"), http.StatusOK)
	r := b.Get("/console/rooms")
	wantStatus(t, "rooms", r, http.StatusNotFound)
	wantContains(t, "rooms", r.Body, "There is no app 0 that you may see.")
}
