package roomd

import (
	"context"
	"slices"
)

// UserUpdate is a change to a registered user's profile. A nil field keeps
// its value; a pointer to "" clears it.
type UserUpdate struct {
	ID     string
	Name   *string
	Avatar *string
	Extra  *string
}

// UpdateUsers changes the profiles of registered users of app, in one
// transaction. Returns ELIMIT for more than MaxBatch updates, and otherwise
// only the store's errors. Per update, ENOUSER (the user is not registered)
// and EINVALID (an invalid id, or a profile that would break User.Validate
// or hold an Extra longer than MaxTextLen) are reported as ItemErrors and
// leave that user as it was; the other updates are applied. Updates of one
// user apply in order. A profile belongs to no room: no event is written,
// and the members' names read afterwards are the new ones.
func (s *Service) UpdateUsers(ctx context.Context, app uint32, updates []UserUpdate) ([]ItemError, error) {
	if len(updates) > MaxBatch {
		return nil, Errorf(ELIMIT, "more than %d users in one call", MaxBatch)
	}
	var items []ItemError
	err := s.update(ctx, func(tx Tx, _ *emitter) error {
		items = items[:0]
		for _, up := range updates {
			if err := ValidateID("user id", up.ID); err != nil {
				items = append(items, itemError(up.ID, err))
				continue
			}
			u, err := tx.User(ctx, app, up.ID)
			if ErrorCode(err) == ENOUSER {
				items = append(items, itemError(up.ID, Errorf(ENOUSER, "user %q is not registered", up.ID)))
				continue
			}
			if err != nil {
				return err
			}
			setIf(&u.Name, up.Name)
			setIf(&u.Avatar, up.Avatar)
			setIf(&u.Extra, up.Extra)
			if err := u.Validate(); err != nil {
				items = append(items, itemError(up.ID, err))
				continue
			}
			if len(u.Extra) > MaxTextLen {
				items = append(items, itemError(up.ID, Errorf(EINVALID, "user extra longer than %d bytes", MaxTextLen)))
				continue
			}
			if err := tx.PutUser(ctx, u); err != nil {
				return err
			}
		}
		return nil
	})
	return items, err
}

// JoinedRooms returns the live rooms user is a member of, in id order: up
// to limit of them, those with an id after after ("" = from the first), and
// how many rooms the user is in. The rooms are read in one snapshot
// (MemberCount is not filled in). Returns ENOUSER if user is not
// registered, EINVALID if limit < 1, and otherwise only the store's errors.
func (s *Service) JoinedRooms(ctx context.Context, app uint32, user, after string, limit int) ([]*Room, int, error) {
	if limit < 1 {
		return nil, 0, Errorf(EINVALID, "limit must be at least 1")
	}
	var rooms []*Room
	var total int
	err := s.store.View(ctx, func(tx Tx) error {
		if _, err := tx.User(ctx, app, user); err != nil {
			if ErrorCode(err) == ENOUSER {
				return Errorf(ENOUSER, "user %q is not registered", user)
			}
			return err
		}
		ids, err := tx.RoomsOfUser(ctx, app, user)
		if err != nil {
			return err
		}
		slices.Sort(ids)
		total = len(ids)
		start, found := slices.BinarySearch(ids, after)
		if found {
			start++
		}
		rooms = rooms[:0]
		for _, id := range ids[start:min(start+limit, len(ids))] {
			r, err := tx.Room(ctx, app, id)
			if err != nil {
				return err
			}
			rooms = append(rooms, r)
		}
		return nil
	})
	return rooms, total, err
}
