package console

import (
	"bytes"
	"encoding/json"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/roomd/roomd"
)

// pages are the console's templates by page name: each page's file
// (templates/NAME.html, which defines "content") with the layout.
type pages map[string]*template.Template

// parsePages parses every page of the embedded templates; a template that
// does not parse is a bug of the build, found by every test.
func parsePages() pages {
	names, err := fs.Glob(files, "templates/*.html")
	if err != nil {
		panic(err)
	}
	out := pages{}
	for _, name := range names {
		page := strings.TrimSuffix(strings.TrimPrefix(name, "templates/"), ".html")
		if page == "layout" {
			continue
		}
		out[page] = template.Must(template.New(page).Funcs(funcs).ParseFS(files, "templates/layout.html", name))
	}
	return out
}

// base is what every page's layout shows: the title, the navigation of a
// signed-in user, and a one-time message.
type base struct {
	Title   string
	Section string // the navigation entry that is current
	Flash   *flash
	// SignedIn is set on a signed-in user's pages: the navigation, the
	// sign-out button and the CSRF token of the page's forms.
	SignedIn bool
	Actor    string
	CSRF     string
	App      uint32   // the app the page is about
	Apps     []uint32 // the apps the user may see
}

// page returns the base of a signed-in page of section about app, with
// the session's message taken.
func (c *Console) page(s *session, title, section string, app uint32) base {
	return base{
		Title: title, Section: section, Flash: c.sessions.takeFlash(s),
		SignedIn: true, Actor: s.actor.ID, CSRF: s.csrf, App: app, Apps: s.apps(c.appIDs),
	}
}

// render writes page name with v, the page's view, answered with status.
func (c *Console) render(w http.ResponseWriter, _ *http.Request, status int, name string, v any) {
	var buf bytes.Buffer
	if err := c.pages[name].ExecuteTemplate(&buf, "layout", v); err != nil {
		c.opts.Logger.Error("console: rendering a page", "page", name, "error", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// wantsJSON reports whether the request is the console's script asking
// for a JSON answer.
func wantsJSON(r *http.Request) bool {
	return strings.Contains(r.Header.Get("Accept"), "application/json")
}

// writeJSON answers v as JSON with status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// errorView is the page of a refusal.
type errorView struct {
	base
	Message string
	Status  int
}

// fail answers a refusal with status and msg: an error page, or JSON
// {"error": msg} for the console's script.
func (c *Console) fail(w http.ResponseWriter, r *http.Request, status int, msg string) {
	if wantsJSON(r) {
		writeJSON(w, status, map[string]string{"error": msg})
		return
	}
	v := &errorView{Message: msg, Status: status}
	v.Title = http.StatusText(status)
	if s := c.sessions.get(r); s != nil {
		v.base = c.page(s, v.Title, "", 0)
		v.App = 0
	}
	c.render(w, r, status, "error", v)
}

// failErr answers a domain error: its code chooses the status, its message
// is shown; an internal error is logged and shown as such.
func (c *Console) failErr(w http.ResponseWriter, r *http.Request, err error) {
	if roomd.ErrorCode(err) == roomd.EINTERNAL {
		c.opts.Logger.Error("console: reading the store", "path", r.URL.Path, "error", err)
	}
	c.fail(w, r, statusOf(err), message(err))
}

// statusOf is the HTTP status of a domain error.
func statusOf(err error) int {
	switch roomd.ErrorCode(err) {
	case roomd.EINVALID:
		return http.StatusBadRequest
	case roomd.ENOROOM, roomd.ENOUSER:
		return http.StatusNotFound
	case roomd.EFORBIDDEN:
		return http.StatusForbidden
	case roomd.ERATELIMIT:
		return http.StatusTooManyRequests
	case roomd.EINTERNAL:
		return http.StatusInternalServerError
	}
	return http.StatusConflict
}

// message is the text shown for a domain error: its message, capitalised
// as a sentence.
func message(err error) string {
	m := roomd.ErrorMessage(err)
	if m == "internal error" {
		return "Internal error: roomd could not do this; its log says why."
	}
	if m != "" && m[0] >= 'a' && m[0] <= 'z' {
		m = strings.ToUpper(m[:1]) + m[1:]
	}
	if !strings.HasSuffix(m, ".") {
		m += "."
	}
	return m
}

// funcs are the templates' helpers.
var funcs = template.FuncMap{
	"href":    href,
	"when":    when,
	"iso":     func(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) },
	"role":    roleName,
	"payload": func(p json.RawMessage) string { return string(p) },
	"ago":     ago,
	"count":   count,
	"ask":     ask,
}

// href returns the console URL of page (a path under Path) with the
// query of kv, key and value pairs; empty values are left out.
func href(page string, kv ...any) string {
	q := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		if v := fmt.Sprint(kv[i+1]); v != "" {
			q.Set(fmt.Sprint(kv[i]), v)
		}
	}
	u := Path + page
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	return u
}

// when shows a time to the second, in UTC; the zero time is "-".
func when(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format("2006-01-02 15:04:05 UTC")
}

// ago shows a duration rounded for reading, "-" when zero.
func ago(d time.Duration) string {
	if d <= 0 {
		return "-"
	}
	return d.Round(time.Second).String()
}

// count shows n with a thousands separator.
func count(n any) string {
	s := fmt.Sprint(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// roleName names a member's role.
func roleName(r roomd.Role) string {
	switch r {
	case roomd.RoleOwner:
		return "owner"
	case roomd.RoleAdmin:
		return "admin"
	case roomd.RoleMember:
		return "member"
	}
	return "custom " + strconv.Itoa(int(r))
}
