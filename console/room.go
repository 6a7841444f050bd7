package console

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/roomd/roomd"
)

// listView is a page of an app's rooms or users, found by id prefix.
type listView[T any] struct {
	base
	Noun  string // "room" or "user"
	Query string
	Items []T
	// Next is the next page's URL, "" on the last; First is the first
	// page's URL, "" on it.
	Next, First string
}

// list shows a page of an app's rooms or users (section) whose id starts
// with q, after the one with id "after": read by key, every page costs the
// same.
func list[T any](c *Console, w http.ResponseWriter, r *http.Request, s *session, section, noun string,
	search func(ctx context.Context, app uint32, q, after string, limit int) ([]T, error), id func(T) string) {
	app, ok := c.appOf(w, r, s)
	if !ok {
		return
	}
	q, after := r.FormValue("q"), r.FormValue("after")
	items, err := search(r.Context(), app, q, after, pageSize+1)
	if err != nil {
		c.failErr(w, r, err)
		return
	}
	title := strings.ToUpper(section[:1]) + section[1:]
	v := &listView[T]{base: c.page(s, title, section, app), Noun: noun, Query: q}
	if len(items) > pageSize {
		items = items[:pageSize]
		v.Next = href(section, "app", app, "q", q, "after", id(items[len(items)-1]))
	}
	if after != "" {
		v.First = href(section, "app", app, "q", q)
	}
	v.Items = items
	c.render(w, r, http.StatusOK, section, v)
}

// rooms shows a page of an app's rooms.
func (c *Console) rooms(w http.ResponseWriter, r *http.Request, s *session) {
	list(c, w, r, s, "rooms", "room", c.svc.SearchRooms, func(r *roomd.Room) string { return r.ID })
}

// roomView is the page of one room: its settings, members, bans and log.
type roomView struct {
	base
	ID   string
	Room *roomd.Room // nil when the room does not exist
	// Members is a page of the members in join order; NextMembers and
	// FirstMembers link to the next and the first page ("" for none).
	Members                   []*roomd.Member
	NextMembers, FirstMembers string
	Bans                      []*roomd.Ban
	BanCount                  int
	// Events are a page of the log, newest first. Live is set on the page
	// of the latest events, which the browser then follows (Stream).
	Events []roomd.Event
	Older  string
	Newer  string
	Live   bool
	Stream string
}

// room shows a room. Its members are paged by key (m_at, m_user: the join
// time and id of the last member of the page before), its log by seq
// (before: the page ends before it; absent for the latest, followed live).
func (c *Console) room(w http.ResponseWriter, r *http.Request, s *session) {
	app, id, b, ok := c.item(w, r, s, "Room", "rooms")
	if !ok {
		return
	}
	v := &roomView{base: b, ID: id}
	ctx := r.Context()
	room, err := c.svc.Room(ctx, app, id)
	if roomd.ErrorCode(err) == roomd.ENOROOM {
		c.render(w, r, http.StatusNotFound, "room", v)
		return
	}
	if err != nil {
		c.failErr(w, r, err)
		return
	}
	v.Room = room
	after, err := memberKey(r)
	if err != nil {
		c.fail(w, r, http.StatusBadRequest, err.Error())
		return
	}
	if v.Members, err = c.svc.MembersAfter(ctx, app, id, after, pageSize+1); err == nil {
		if len(v.Members) > pageSize {
			v.Members = v.Members[:pageSize]
			last := v.Members[pageSize-1]
			v.NextMembers = href("room", "app", app, "id", id, "m_at", last.JoinedAt.UTC().Format(time.RFC3339Nano), "m_user", last.UserID)
		}
		if after != (roomd.MemberKey{}) {
			v.FirstMembers = href("room", "app", app, "id", id)
		}
		v.Bans, v.BanCount, err = c.svc.Bans(ctx, app, id, 0, pageSize)
	}
	if err == nil {
		err = c.roomLog(r, v)
	}
	if err != nil {
		c.failErr(w, r, err)
		return
	}
	c.render(w, r, http.StatusOK, "room", v)
}

// item opens the page of one room or user (noun) of an app, in section:
// the app, the id asked for and the page's base; ok is false (and the
// answer written) when the app may not be seen.
func (c *Console) item(w http.ResponseWriter, r *http.Request, s *session, noun, section string) (uint32, string, base, bool) {
	app, ok := c.appOf(w, r, s)
	if !ok {
		return 0, "", base{}, false
	}
	id := r.FormValue("id")
	return app, id, c.page(s, noun+" "+id, section, app), true
}

// memberKey reads the key a page of members starts after.
func memberKey(r *http.Request) (roomd.MemberKey, error) {
	at, user := r.FormValue("m_at"), r.FormValue("m_user")
	if at == "" && user == "" {
		return roomd.MemberKey{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, at)
	if err != nil || user == "" {
		return roomd.MemberKey{}, roomd.Errorf(roomd.EINVALID, "m_at must be a time (RFC 3339) and m_user a user id")
	}
	return roomd.MemberKey{JoinedAt: t, UserID: user}, nil
}

// roomLog fills in a page of v's log: the logPage events before "before",
// or the latest ones, followed live.
func (c *Console) roomLog(r *http.Request, v *roomView) error {
	before := v.Room.Seq + 1
	if raw := r.FormValue("before"); raw != "" {
		n, err := strconv.ParseInt(raw, 10, 64)
		if err != nil || n < 1 {
			return roomd.Errorf(roomd.EINVALID, "before must be a positive event seq")
		}
		before = min(n, before)
	} else {
		v.Live = true
		v.Stream = href("room/events", "app", v.App, "id", v.ID, "after", v.Room.Seq)
	}
	from := max(before-1-logPage, 0)
	events, err := c.svc.Events(r.Context(), v.App, v.ID, from, logPage)
	if err != nil {
		return err
	}
	for i := len(events) - 1; i >= 0; i-- {
		if events[i].Seq < before {
			v.Events = append(v.Events, events[i])
		}
	}
	if from > 0 {
		v.Older = href("room", "app", v.App, "id", v.ID, "before", from+1)
	}
	if !v.Live {
		v.Newer = href("room", "app", v.App, "id", v.ID)
	}
	return nil
}
