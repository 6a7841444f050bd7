package roomd

import "context"

// Presence tells whether users are online: connected now, with a logged-in
// connection, to the real-time gateway of any node of the deployment. The
// gateway's Hub implements it for one node, from memory; the postgres
// package for several nodes sharing a database. Dialects read it through
// Service.OnlineStates. It is safe for concurrent use.
type Presence interface {
	// Online returns those of users of app that have at least one
	// logged-in connection now, as a set. Returns EINTERNAL when the
	// store it reads fails.
	Online(ctx context.Context, app uint32, users []string) (map[string]bool, error)
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
// than MaxBatch ids; otherwise only the store's and p's errors.
func (s *Service) OnlineStates(ctx context.Context, app uint32, ids []string, p Presence) ([]UserPresence, []ItemError, error) {
	if len(ids) > MaxBatch {
		return nil, nil, Errorf(ELIMIT, "more than %d users in one call", MaxBatch)
	}
	users, items, err := s.Users(ctx, app, ids)
	if err != nil {
		return nil, nil, err
	}
	online := map[string]bool{}
	if p != nil && len(users) > 0 {
		ids := make([]string, len(users))
		for i, u := range users {
			ids[i] = u.ID
		}
		if online, err = p.Online(ctx, app, ids); err != nil {
			return nil, nil, err
		}
	}
	out := make([]UserPresence, len(users))
	for i, u := range users {
		out[i] = UserPresence{ID: u.ID, Online: online[u.ID]}
	}
	return out, items, nil
}
