package console

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/roomd/roomd"
)

// Actions on a room: each is a POST to Path+"room/ACTION" with the
// fields app, room, user (but dismiss), role (role) and duration (ban,
// seconds, 0 until lifted), made through the Service with the session's
// actor. A request without confirmed=yes is answered with a page that
// asks for the confirmation (the console's script asks in a dialog and
// sends confirmed=yes itself). The outcome is shown on the room's page,
// or answered as JSON {"message"} or {"error"} to the script.

// action is one action asked for.
type action struct {
	Name     string // transfer, role, kick, ban, unban, dismiss
	App      uint32
	Room     string
	User     string
	Role     roomd.Role
	Duration time.Duration // ban; 0: until lifted
}

// actions are the actions there are: the label of their button, the
// question asked before and what is said after. In the texts, {user},
// {room}, {role} and {for} stand for the action's user, room, role (with
// its article) and how long a ban lasts.
var actions = map[string]struct{ label, question, done string }{
	"transfer": {"Make owner", "Make {user} the owner of room {room}? The current owner stays as a member.",
		"{user} is now the owner of room {room}."},
	"role": {"Set role", "Make {user} {role} of room {room}?", "{user} is now {role} of room {room}."},
	"kick": {"Kick", "Remove {user} from room {room}? If they own it, the longest-standing member becomes the owner.",
		"{user} was removed from room {room}."},
	"ban": {"Ban", "Ban {user} from room {room} {for}? They are removed and cannot join again until the ban ends.",
		"{user} is banned from room {room} {for}."},
	"unban":   {"Unban", "Lift the ban of {user} from room {room}?", "The ban of {user} from room {room} is lifted."},
	"dismiss": {"Dismiss room", "Dismiss room {room}? Every member is removed and the room is gone; its event log stays.", "Room {room} is dismissed."},
}

// parseAction reads an action from a request's form.
func parseAction(r *http.Request, app uint32) (*action, error) {
	a := &action{Name: r.PathValue("action"), App: app, Room: r.PostFormValue("room"), User: r.PostFormValue("user")}
	if _, ok := actions[a.Name]; !ok {
		return nil, roomd.Errorf(roomd.EINVALID, "there is no action %q", a.Name)
	}
	if err := roomd.ValidateID("room id", a.Room); err != nil {
		return nil, err
	}
	if a.Name != "dismiss" {
		if err := roomd.ValidateID("user id", a.User); err != nil {
			return nil, err
		}
	}
	switch a.Name {
	case "role":
		n, err := strconv.Atoi(r.PostFormValue("role"))
		if err != nil || !roomd.Role(n).Valid() || roomd.Role(n) == roomd.RoleOwner {
			return nil, roomd.Errorf(roomd.EINVALID, "the role must be admin (2), member (3) or a custom role (100 to 255)")
		}
		a.Role = roomd.Role(n)
	case "ban":
		n, err := strconv.ParseInt(r.PostFormValue("duration"), 10, 64)
		if err != nil || n < 0 || n > 10*365*86400 {
			return nil, roomd.Errorf(roomd.EINVALID, "the ban's duration must be 0 (until lifted) to 10 years, in seconds")
		}
		a.Duration = time.Duration(n) * time.Second
	}
	return a, nil
}

// Question is what the console asks before doing a.
func (a *action) Question() string {
	if a.Name == "role" && a.Role == 0 { // asked before the role is chosen
		return a.fill("Change the role of {user} in room {room}?")
	}
	return a.fill(actions[a.Name].question)
}

// ask is the question of action name on user of a room, for the
// templates (which ask it before the form's other fields are chosen).
func ask(name, room, user string) string {
	return (&action{Name: name, Room: room, User: user}).Question()
}

// Label is the text of a's button.
func (a *action) Label() string { return actions[a.Name].label }

// done is what the console says once a is done.
func (a *action) done() string { return a.fill(actions[a.Name].done) }

// fill puts a's values in text (one pass: a value that holds "{room}"
// stays as it is).
func (a *action) fill(text string) string {
	return strings.NewReplacer("{user}", a.User, "{room}", a.Room, "{role}", article(a.Role), "{for}", banFor(a.Duration)).Replace(text)
}

// article names a role with its article: "an admin", "a member", "the
// custom 100 role".
func article(r roomd.Role) string {
	switch n := roleName(r); r {
	case roomd.RoleAdmin:
		return "an " + n
	case roomd.RoleMember:
		return "a " + n
	default:
		return "the " + n + " role"
	}
}

// banFor says how long a ban lasts.
func banFor(d time.Duration) string {
	if d == 0 {
		return "until the ban is lifted"
	}
	return "for " + d.String()
}

// do carries a out through the Service as actor.
func (c *Console) do(r *http.Request, actor roomd.Actor, a *action) error {
	ctx, users := r.Context(), []string{a.User}
	switch a.Name {
	case "transfer":
		return c.svc.TransferOwner(ctx, actor, a.App, a.Room, a.User, "")
	case "role":
		return c.svc.UpdateMember(ctx, actor, a.App, a.Room, a.User, roomd.MemberUpdate{Role: &a.Role})
	case "kick":
		return itemErr(c.svc.RemoveMembers(ctx, actor, a.App, a.Room, users, ""))
	case "ban":
		return itemErr(c.svc.BanMembers(ctx, actor, a.App, a.Room, users, a.Duration, ""))
	case "unban":
		return c.svc.UnbanMembers(ctx, actor, a.App, a.Room, users)
	}
	return c.svc.DismissRoom(ctx, actor, a.App, a.Room)
}

// itemErr returns the error of a one-item batch: its call's, or its item's.
func itemErr(items []roomd.ItemError, err error) error {
	if err == nil && len(items) > 0 {
		err = roomd.Errorf(items[0].Code, "%s", items[0].Message)
	}
	return err
}

// confirmView is the page that asks to confirm an action.
type confirmView struct {
	base
	Action *action
	Back   string
}

// act asks for the confirmation of an action, or, confirmed, does it.
func (c *Console) act(w http.ResponseWriter, r *http.Request, s *session) {
	app, ok := c.appOf(w, r, s)
	if !ok {
		return
	}
	a, err := parseAction(r, app)
	if err != nil {
		c.failErr(w, r, err)
		return
	}
	back := href("room", "app", app, "id", a.Room)
	if r.PostFormValue("confirmed") != "yes" {
		c.render(w, r, http.StatusOK, "confirm", &confirmView{base: c.page(s, "Confirm: "+a.Label(), "rooms", app), Action: a, Back: back})
		return
	}
	log := c.opts.Logger.With("actor", s.actor.ID, "app", app, "room", a.Room, "action", a.Name, "user", a.User, "remote", r.RemoteAddr)
	if err := c.do(r, s.actor, a); err != nil {
		if roomd.ErrorCode(err) == roomd.EINTERNAL {
			log.Error("console: action failed", "error", err)
		} else {
			log.Info("console: action refused", "code", roomd.ErrorCode(err))
		}
		if wantsJSON(r) {
			writeJSON(w, statusOf(err), map[string]string{"error": message(err)})
			return
		}
		c.sessions.setFlash(s, &flash{Text: message(err), Error: true})
		http.Redirect(w, r, back, http.StatusSeeOther)
		return
	}
	log.Info("console: action done")
	answer := map[string]string{"message": a.done()}
	if a.Name == "dismiss" { // the room's page is gone: to the rooms
		back = href("rooms", "app", app)
		answer["location"] = back
	}
	if wantsJSON(r) {
		writeJSON(w, http.StatusOK, answer)
		return
	}
	c.sessions.setFlash(s, &flash{Text: a.done()})
	http.Redirect(w, r, back, http.StatusSeeOther)
}
