package roomd

import (
	"cmp"
	"context"
	"time"
)

// User is a registered account of an app.
type User struct {
	AppID     uint32
	ID        string
	Name      string
	Avatar    string
	Extra     string
	CreatedAt time.Time
}

// Validate checks the fields the domain constrains.
func (u *User) Validate() error {
	if err := ValidateID("user id", u.ID); err != nil {
		return err
	}
	if len(u.Name) > MaxNameLen {
		return Errorf(EINVALID, "user name longer than %d bytes", MaxNameLen)
	}
	if len(u.Avatar) > MaxURLLen {
		return Errorf(EINVALID, "user avatar longer than %d bytes", MaxURLLen)
	}
	return cmp.Or(
		ValidateName("user name", u.Name),
		ValidateName("user avatar", u.Avatar),
		ValidateText("user extra", u.Extra),
	)
}

// RegisterUsers registers users of app. A user that is already registered is
// reported as an ItemError with EEXISTS, unless overwrite is set, in which
// case its profile is replaced. Invalid users are reported as EINVALID items.
func (s *Service) RegisterUsers(ctx context.Context, app uint32, users []User, overwrite bool) ([]ItemError, error) {
	var items []ItemError
	err := s.update(ctx, func(tx Tx, em *emitter) error {
		items = items[:0]
		for i := range users {
			u := users[i]
			u.AppID = app
			if err := u.Validate(); err != nil {
				items = append(items, itemError(u.ID, err))
				continue
			}
			old, err := tx.User(ctx, app, u.ID)
			if err != nil && ErrorCode(err) != ENOUSER {
				return err
			}
			if old != nil && !overwrite {
				items = append(items, ItemError{ID: u.ID, Code: EEXISTS, Message: "user already registered"})
				continue
			}
			u.CreatedAt = em.now
			if old != nil {
				u.CreatedAt = old.CreatedAt
			}
			if err := tx.PutUser(ctx, &u); err != nil {
				return err
			}
		}
		return nil
	})
	return items, err
}

// Users returns the registered users among ids, in the order of ids; each id
// that is not registered is reported as an ENOUSER ItemError.
func (s *Service) Users(ctx context.Context, app uint32, ids []string) ([]*User, []ItemError, error) {
	var users []*User
	var items []ItemError
	err := s.store.View(ctx, func(tx Tx) error {
		for _, id := range ids {
			u, err := tx.User(ctx, app, id)
			if err != nil {
				if ErrorCode(err) == ENOUSER {
					items = append(items, itemError(id, notRegistered(id)))
					continue
				}
				return err
			}
			users = append(users, u)
		}
		return nil
	})
	return users, items, err
}

// DeleteUsers removes users of app. Each one leaves every room it is in, with
// ownership passing to the successor where it owned one and the room
// dismissed where it was the last member. An id that is not registered is
// reported as an ENOUSER ItemError.
func (s *Service) DeleteUsers(ctx context.Context, actor Actor, app uint32, ids []string) ([]ItemError, error) {
	var items []ItemError
	err := s.update(ctx, func(tx Tx, em *emitter) error {
		items = items[:0]
		for _, id := range ids {
			if err := registered(ctx, tx, app, id); err != nil {
				if ErrorCode(err) == ENOUSER {
					items = append(items, itemError(id, err))
					continue
				}
				return err
			}
			rooms, err := tx.RoomsOfUser(ctx, app, id)
			if err != nil {
				return err
			}
			for _, roomID := range rooms {
				room, err := tx.Room(ctx, app, roomID)
				if err != nil {
					return err
				}
				if err := s.removeMember(ctx, tx, em, actor, room, id, LeaveDeleted, ""); err != nil {
					return err
				}
			}
			if err := tx.DeleteUser(ctx, app, id); err != nil {
				return err
			}
		}
		return nil
	})
	return items, err
}

// checkActor returns ENOUSER when a non-admin actor is not a registered user.
func checkActor(ctx context.Context, tx Tx, app uint32, actor Actor) error {
	if actor.Admin {
		return nil
	}
	if actor.ID == "" {
		return Errorf(EINVALID, "operator is required")
	}
	if _, err := tx.User(ctx, app, actor.ID); err != nil {
		if ErrorCode(err) == ENOUSER {
			return Errorf(ENOUSER, "operator %q is not registered", actor.ID)
		}
		return err
	}
	return nil
}

// registered returns ENOUSER when user is not a registered user of app.
func registered(ctx context.Context, tx Tx, app uint32, user string) error {
	_, err := tx.User(ctx, app, user)
	if ErrorCode(err) == ENOUSER {
		return notRegistered(user)
	}
	return err
}

// notRegistered is the ENOUSER error of a user who is not registered.
func notRegistered(user string) error {
	return Errorf(ENOUSER, "user %q is not registered", user)
}

func itemError(id string, err error) ItemError {
	return ItemError{ID: id, Code: ErrorCode(err), Message: ErrorMessage(err)}
}
