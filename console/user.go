package console

import (
	"net/http"

	"github.com/roomd/roomd"
)

// users shows a page of an app's users.
func (c *Console) users(w http.ResponseWriter, r *http.Request, s *session) {
	list(c, w, r, s, "users", "user", c.svc.SearchUsers, func(u *roomd.User) string { return u.ID })
}

// userView is the page of one user: the profile and the rooms they are in.
type userView struct {
	base
	ID    string
	User  *roomd.User // nil when not registered
	Rooms []roomd.RoomState
}

// user shows a user and their rooms.
func (c *Console) user(w http.ResponseWriter, r *http.Request, s *session) {
	app, id, b, ok := c.item(w, r, s, "User", "users")
	if !ok {
		return
	}
	v := &userView{base: b, ID: id}
	users, _, err := c.svc.Users(r.Context(), app, []string{id})
	if err != nil {
		c.failErr(w, r, err)
		return
	}
	if len(users) == 0 {
		c.render(w, r, http.StatusNotFound, "user", v)
		return
	}
	v.User = users[0]
	if v.Rooms, err = c.svc.UserRooms(r.Context(), app, id); err != nil {
		c.failErr(w, r, err)
		return
	}
	c.render(w, r, http.StatusOK, "user", v)
}
