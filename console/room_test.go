package console_test

import (
	"context"
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/roomd/roomd"
)

// TestActions: each action asks for confirmation first, then goes through
// the Service and leaves its event, whose actor is the console's user.
func TestActions(t *testing.T) {
	e := MustStartConsole(t)
	e.MustRegister(t, app, "ann", "bob", "cy", "dee", "eve")
	e.MustCreateRoom(t, app, "team", "ann", "bob", "cy", "dee")
	b := e.NewBrowser(t)
	if r := b.SignIn(url.Values{"app": {"1400000001"}, "secret": {secret}, "name": {"ops"}}); r.Status != http.StatusSeeOther {
		t.Fatalf("sign in: got %d", r.Status)
	}
	b.Get("/console/rooms")
	for _, c := range []struct {
		name     string
		fields   []string
		question string
		done     string
		event    roomd.EventType
		data     string // in the event's payload
		check    func(t *testing.T)
	}{
		{"transfer", []string{"user", "bob"}, "Make bob the owner of room team?", "bob is now the owner of room team.",
			roomd.EventOwnerChanged, `{"from":"ann","to":"bob"}`, func(t *testing.T) {
				if o := e.MustRoom(t, app, "team").Owner; o != "bob" {
					t.Fatalf("owner: got %q, want bob", o)
				}
			}},
		{"role", []string{"user", "cy", "role", "2"}, "Make cy an admin of room team?", "cy is now an admin of room team.",
			roomd.EventRoleChanged, `"user_id":"cy","role":2`, nil},
		{"kick", []string{"user", "dee"}, "Remove dee from room team?", "dee was removed from room team.",
			roomd.EventMemberLeft, `"user_id":"dee","reason":"kicked"`, nil},
		{"ban", []string{"user", "eve", "duration", "3600"}, "Ban eve from room team for 1h0m0s?", "eve is banned from room team for 1h0m0s.",
			roomd.EventMemberBanned, `"user_id":"eve","until":"2026-03-04T06:06:07Z"`, nil},
		{"unban", []string{"user", "eve"}, "Lift the ban of eve from room team?", "The ban of eve from room team is lifted.",
			roomd.EventMemberUnbanned, `"user_id":"eve"`, nil},
		{"dismiss", nil, "Dismiss room team?", "Room team is dismissed.", roomd.EventRoomDismissed, "", func(t *testing.T) {
			if _, err := e.Svc.Room(context.Background(), app, "team"); roomd.ErrorCode(err) != roomd.ENOROOM {
				t.Fatalf("room after dismiss: got error %v, want ENOROOM", err)
			}
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			before := e.LastEvent(t, app, "team").Seq
			// Unconfirmed: the question, and nothing done.
			form := url.Values{"csrf": {b.CSRF}, "app": {"1400000001"}, "room": {"team"}}
			for i := 0; i+1 < len(c.fields); i += 2 {
				form.Set(c.fields[i], c.fields[i+1])
			}
			r := b.Post("/console/room/"+c.name, form)
			wantStatus(t, "unconfirmed", r, http.StatusOK)
			wantContains(t, "confirmation page", html.UnescapeString(r.Body), c.question, `name="confirmed" value="yes"`)
			if got := e.LastEvent(t, app, "team").Seq; got != before {
				t.Fatalf("unconfirmed %s wrote event %d", c.name, got)
			}
			// Confirmed: done, said on the next page, and in the log.
			r = b.Act(c.name, "team", c.fields...)
			wantStatus(t, "confirmed", r, http.StatusSeeOther)
			next := b.Get(r.Location)
			wantContains(t, "the page after", html.UnescapeString(next.Body), c.done)
			ev := e.LastEvent(t, app, "team")
			if ev.Seq <= before || ev.Type != c.event || ev.Actor != "console:ops" || !strings.Contains(string(ev.Payload), c.data) {
				t.Fatalf("last event: got #%d %s by %q %s; want after #%d a %s by console:ops with %s", ev.Seq, ev.Type, ev.Actor, ev.Payload, before, c.event, c.data)
			}
			if c.check != nil {
				c.check(t)
			}
		})
	}
}

// TestActionRefused: a refused action says why, in the domain's words, on
// the room's page or to the script.
func TestActionRefused(t *testing.T) {
	e := MustStartConsole(t)
	e.MustRegister(t, app, "ann", "bob", "zed")
	e.MustCreateRoom(t, app, "team", "ann", "bob")
	b := e.NewBrowser(t)
	b.MustSignIn()
	r := b.Act("transfer", "team", "user", "zed")
	wantStatus(t, "transfer to a non-member", r, http.StatusSeeOther)
	page := b.Get(r.Location)
	wantContains(t, "room page", page.Body, `class="status error"`, "The new owner &#34;zed&#34; must be a member of the room.")
	// The script gets JSON.
	form := url.Values{"csrf": {b.CSRF}, "app": {"1400000001"}, "room": {"team"}, "user": {"zed"}, "confirmed": {"yes"}}
	r = b.Do(http.MethodPost, "/console/room/kick", form, map[string]string{"Accept": "application/json"})
	var body map[string]string
	if err := json.Unmarshal([]byte(r.Body), &body); err != nil || r.Status != http.StatusConflict || body["error"] != `User "zed" is not a member of the room.` {
		t.Fatalf("kick of a non-member: got %d %s, want 409 with the domain's message", r.Status, r.Body)
	}
	r = b.Do(http.MethodPost, "/console/room/transfer", url.Values{"csrf": {b.CSRF}, "app": {"1400000001"}, "room": {"team"}, "user": {"bob"}, "confirmed": {"yes"}},
		map[string]string{"Accept": "application/json"})
	if err := json.Unmarshal([]byte(r.Body), &body); err != nil || r.Status != http.StatusOK || body["message"] != "bob is now the owner of room team." {
		t.Fatalf("transfer as JSON: got %d %s", r.Status, r.Body)
	}
	for _, c := range []struct {
		name   string
		fields []string
		status int
		msg    string
	}{
		{"NoRoom", []string{"room", "none", "user", "bob"}, http.StatusSeeOther, "Room &#34;none&#34; does not exist."},
		{"OwnerRole", []string{"user", "ann", "role", "1"}, http.StatusBadRequest, "The role must be admin (2), member (3) or a custom role (100 to 255)."},
		{"BadDuration", []string{"user", "ann", "duration", "-1"}, http.StatusBadRequest, "The ban&#39;s duration must be 0"},
		{"UnknownAction", nil, http.StatusBadRequest, "There is no action &#34;explode&#34;."},
		{"NoUser", []string{"user", ""}, http.StatusBadRequest, "User id is required."},
	} {
		t.Run(c.name, func(t *testing.T) {
			action := map[string]string{"OwnerRole": "role", "BadDuration": "ban", "UnknownAction": "explode"}[c.name]
			if action == "" {
				action = "transfer"
			}
			room := "team"
			fields := c.fields
			if len(fields) >= 2 && fields[0] == "room" {
				room, fields = fields[1], fields[2:]
			}
			r := b.Act(action, room, fields...)
			wantStatus(t, c.name, r, c.status)
			body := r.Body
			if r.Status == http.StatusSeeOther {
				body = b.Get(r.Location).Body
			}
			wantContains(t, c.name, body, c.msg)
		})
	}
}

// hrefs finds the links of a page.
var hrefs = regexp.MustCompile(`href="([^"]+)"`)

// links returns the page's links to path (unescaped as a browser does).
func links(body, path string) []string {
	var out []string
	for _, m := range hrefs.FindAllStringSubmatch(body, -1) {
		if u := html.UnescapeString(m[1]); strings.HasPrefix(u, path) {
			out = append(out, u)
		}
	}
	return out
}

// TestRoomsPaging: 250 rooms read 100 a page by key, all of them once;
// the search finds rooms by id prefix.
func TestRoomsPaging(t *testing.T) {
	e := MustStartConsole(t)
	e.MustRegister(t, app, "ann")
	for i := range 250 {
		e.MustCreateRoom(t, app, fmt.Sprintf("r%03d", i), "ann")
	}
	b := e.NewBrowser(t)
	b.MustSignIn()
	seen := map[string]bool{}
	page, pages := "/console/rooms?app=1400000001", 0
	for page != "" && pages < 10 {
		r := b.Get(page)
		wantStatus(t, page, r, http.StatusOK)
		pages++
		rooms := links(r.Body, "/console/room?")
		if len(rooms) > 100 {
			t.Fatalf("page %d: got %d rooms, want at most 100", pages, len(rooms))
		}
		for _, l := range rooms {
			if seen[l] {
				t.Fatalf("page %d: room %s shown twice", pages, l)
			}
			seen[l] = true
		}
		page = ""
		if next := links(r.Body, "/console/rooms?"); len(next) > 0 && strings.Contains(r.Body, `rel="next"`) {
			page = next[len(next)-1]
		}
	}
	if pages != 3 || len(seen) != 250 {
		t.Fatalf("got %d rooms on %d pages, want 250 on 3", len(seen), pages)
	}
	r := b.Get("/console/rooms?app=1400000001&q=r12")
	if got := links(r.Body, "/console/room?"); len(got) != 10 || !strings.Contains(got[0], "id=r120") {
		t.Fatalf("search r12: got %q, want r120 to r129", got)
	}
	wantContains(t, "no match", b.Get("/console/rooms?app=1400000001&q=zz").Body, "No room of app 1400000001 has an id that starts with “zz”.")
	r = b.Get("/console/rooms?app=1400000001&q=%00")
	wantStatus(t, "a search with NUL", r, http.StatusBadRequest)
	wantContains(t, "a search with NUL", r.Body, "Search contains a control character.")
}

// TestRoomPage: a room's page shows its settings, members in pages by
// key, bans and its log in pages.
func TestRoomPage(t *testing.T) {
	e := MustStartConsole(t)
	var ids []string
	for i := range 150 {
		ids = append(ids, fmt.Sprintf("u%03d", i))
	}
	e.MustRegister(t, app, ids...)
	e.MustRegister(t, app, "banned")
	e.MustCreateRoom(t, app, "big", "u000")
	for i := 1; i < 150; i += 50 {
		var adds []roomd.MemberAdd
		for _, id := range ids[i:min(i+50, 150)] {
			adds = append(adds, roomd.MemberAdd{UserID: id})
		}
		e.Clock.Advance(time.Second)
		if items, err := e.Svc.AddMembers(context.Background(), roomd.Actor{ID: "administrator", Admin: true}, app, "big", adds); err != nil || len(items) > 0 {
			t.Fatalf("AddMembers: %v %v", items, err)
		}
	}
	if _, err := e.Svc.BanMembers(context.Background(), roomd.Actor{ID: "administrator", Admin: true}, app, "big", []string{"banned"}, 0, "spam"); err != nil {
		t.Fatal(err)
	}
	b := e.NewBrowser(t)
	b.MustSignIn()
	r := b.Get("/console/room?app=1400000001&id=big")
	wantStatus(t, "room page", r, http.StatusOK)
	wantContains(t, "room page", r.Body, "<dd>Room big</dd>", `<dd id="owner"><a href="/console/user?app=1400000001&amp;id=u000">u000</a></dd>`,
		"<dd>150</dd>", `data-ban="banned"`, "spam", "until lifted", fmt.Sprintf(`data-stream="/console/room/events?after=%d&amp;app=1400000001&amp;id=big"`, e.MustRoom(t, app, "big").Seq),
		"<code>member.banned</code>", "Older events")
	if n := strings.Count(r.Body, "<tr data-seq="); n != 50 {
		t.Fatalf("log: got %d events, want the latest 50", n)
	}
	users := regexp.MustCompile(`<tr data-user="(u\d+)">`)
	page1 := users.FindAllStringSubmatch(r.Body, -1)
	next := ""
	for _, l := range links(r.Body, "/console/room?") {
		if strings.Contains(l, "m_user=") {
			next = l
		}
	}
	if len(page1) != 100 || page1[0][1] != "u000" || page1[99][1] != "u099" || next == "" {
		t.Fatalf("members page 1: got %d members (%v…), next %q; want u000 to u099 and a next page", len(page1), page1[:min(len(page1), 2)], next)
	}
	page2 := users.FindAllStringSubmatch(b.Get(next).Body, -1)
	if len(page2) != 50 || page2[0][1] != "u100" || page2[49][1] != "u149" {
		t.Fatalf("members page 2: got %d members, want u100 to u149", len(page2))
	}
	wantStatus(t, "a bad member key", b.Get("/console/room?app=1400000001&id=big&m_at=yesterday&m_user=u001"), http.StatusBadRequest)
	// A page of the log before seq 3.
	r = b.Get("/console/room?app=1400000001&id=big&before=3")
	seqs := regexp.MustCompile(`<tr data-seq="(\d+)">`).FindAllStringSubmatch(r.Body, -1)
	if len(seqs) != 2 || seqs[0][1] != "2" || seqs[1][1] != "1" || strings.Contains(r.Body, "data-stream") {
		t.Fatalf("log before 3: got %v, want events 2 and 1, not live", seqs)
	}
	r = b.Get("/console/room?app=1400000001&id=none")
	wantStatus(t, "a room that does not exist", r, http.StatusNotFound)
	wantContains(t, "a room that does not exist", r.Body, "App 1400000001 has no room “none”")
}

// TestEscaping: hostile ids and names are shown as text and still reach
// their pages.
func TestEscaping(t *testing.T) {
	e := MustStartConsole(t)
	hostileUser := `"><img src=x onerror=alert(1)>`
	hostileRoom := `<script>alert(1)</script>/../?x=1&y#z %41`
	e.MustRegister(t, app, hostileUser)
	if _, err := e.Svc.RegisterUsers(context.Background(), app, []roomd.User{{ID: "ann", Name: "<script>alert(2)</script>"}}, false); err != nil {
		t.Fatal(err)
	}
	e.MustCreateRoom(t, app, hostileRoom, "ann", hostileUser)
	b := e.NewBrowser(t)
	b.MustSignIn()
	pages := map[string]*Response{
		"rooms":  b.Get("/console/rooms?app=1400000001"),
		"search": b.Get("/console/rooms?app=1400000001&q=" + url.QueryEscape("<script>")),
		"users":  b.Get("/console/users?app=1400000001"),
	}
	roomLinks := links(pages["rooms"].Body, "/console/room?")
	if len(roomLinks) != 1 {
		t.Fatalf("rooms page: got links %q, want the one room", roomLinks)
	}
	pages["room"] = b.Get(roomLinks[0])
	wantStatus(t, "the hostile room's page", pages["room"], http.StatusOK)
	userLinks := links(pages["users"].Body, "/console/user?")
	for _, l := range userLinks {
		r := b.Get(l)
		wantStatus(t, "user page "+l, r, http.StatusOK)
		pages["user "+l] = r
	}
	if len(userLinks) != 2 {
		t.Fatalf("users page: got links %q, want two", userLinks)
	}
	pages["confirm"] = b.Post("/console/room/kick", url.Values{"csrf": {b.CSRF}, "app": {"1400000001"}, "room": {hostileRoom}, "user": {hostileUser}})
	r := b.Act("kick", hostileRoom, "user", hostileUser)
	pages["after kick"] = b.Get(r.Location)
	wantContains(t, "after kick", html.UnescapeString(pages["after kick"].Body), hostileUser+" was removed from room "+hostileRoom+".")
	for name, p := range pages {
		for _, raw := range []string{"<script>alert", "<img src=x"} {
			if strings.Contains(p.Body, raw) {
				t.Errorf("%s page: holds %q unescaped", name, raw)
			}
		}
	}
	wantContains(t, "room page", pages["room"].Body, "&lt;script&gt;alert(1)&lt;/script&gt;/../?x=1&amp;y#z %41", "&#34;&gt;&lt;img src=x onerror=alert(1)&gt;")
	wantContains(t, "search", pages["search"].Body, `value="&lt;script&gt;"`)
}

// TestUsersPage: the users pages, a user's rooms, the callbacks page of a
// console without Webhooks, and a page that does not exist.
func TestUsersPage(t *testing.T) {
	e := MustStartConsole(t)
	e.MustRegister(t, app, "ann", "annie", "bob")
	e.MustCreateRoom(t, app, "r1", "ann", "bob")
	b := e.NewBrowser(t)
	b.MustSignIn()
	r := b.Get("/console/users?app=1400000001&q=ann")
	if got := links(r.Body, "/console/user?"); len(got) != 2 {
		t.Fatalf("users starting with ann: got %q", got)
	}
	r = b.Get("/console/user?app=1400000001&id=ann")
	wantContains(t, "user page", r.Body, "<dd>Name of ann</dd>", `<a href="/console/room?app=1400000001&amp;id=r1">r1</a></td><td>owner</td>`)
	r = b.Get("/console/user?app=1400000001&id=nobody")
	wantStatus(t, "no such user", r, http.StatusNotFound)
	wantContains(t, "no such user", r.Body, "App 1400000001 has no user “nobody”.")
	wantContains(t, "callbacks without Webhooks", b.Get("/console/webhooks?app=1400000001").Body, "Callback delivery is not running in this roomd.")
	wantStatus(t, "an unknown page", b.Get("/console/nothing"), http.StatusNotFound)
	wantStatus(t, "no listing of the static files", b.Get("/console/static/"), http.StatusNotFound)
	if r := b.Get("/console/static/..%2fconsole.go"); r.Status == http.StatusOK || strings.Contains(r.Body, "package console") {
		t.Fatalf("a path out of static/: got %d, want a refusal", r.Status)
	}
	r = e.NewBrowser(t).Get("/console/static/console.js") // signed out: the sign-in page needs it
	if r.Status != http.StatusOK || !strings.Contains(r.Body, "'use strict'") || r.Header.Get("Content-Security-Policy") == "" {
		t.Fatalf("console.js: got %d, want 200 with the script and the console's headers", r.Status)
	}
}
