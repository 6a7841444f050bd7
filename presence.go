package roomd

import "context"

// Presence tells whether a user is online: connected now, with a logged-in
// connection, to the real-time gateway. The gateway's Hub implements it;
// dialects read it through Service.OnlineStates. It answers from memory,
// at once, and is safe for concurrent use.
type Presence interface {
	// Online reports whether user of app has at least one logged-in
	// connection now.
	Online(app uint32, user string) bool
}

// UserPresence is the online state of a registered user.
type UserPresence struct {
	ID     string
	Online bool
}

// OnlineStates returns the online state by p of each registered user among
// ids, in the order of ids (an id given twice is answered twice). An id that
// is not registered is reported as an ENOUSER ItemError instead, so that "no
// such user" and "not connected" stay apart. A registered user without a
// logged-in connection now is offline, whether it never logged in, logged
// out or lost its connection: roomd keeps no login history. p nil means
// nobody is online (a server without a gateway). Returns ELIMIT for more
// than MaxBatch ids; otherwise only the store's errors.
func (s *Service) OnlineStates(ctx context.Context, app uint32, ids []string, p Presence) ([]UserPresence, []ItemError, error) {
	if len(ids) > MaxBatch {
		return nil, nil, Errorf(ELIMIT, "more than %d users in one call", MaxBatch)
	}
	users, items, err := s.Users(ctx, app, ids)
	if err != nil {
		return nil, nil, err
	}
	out := make([]UserPresence, len(users))
	for i, u := range users {
		out[i] = UserPresence{ID: u.ID, Online: p != nil && p.Online(app, u.ID)}
	}
	return out, items, nil
}
