package roomd

import (
	"context"
	"time"
	"unicode/utf8"
)

// Searches and pages for an operator's console: rooms and users by id
// prefix, a room's members in join order. Each page starts after a key
// (the last item of the page before), so that reading page n costs the
// same as reading page 1 however many rooms, users or members there are
// (keyset paging on the store's keys, never an offset scan).

// MaxPage is the most items one search or page returns.
const MaxPage = 1000

// MemberKey places a member in its room's join order (JoinedAt, then
// UserID): a page of members starts after one. The zero MemberKey comes
// before every member.
type MemberKey struct {
	JoinedAt time.Time
	UserID   string
}

// Key returns m's place in its room's join order.
func (m *Member) Key() MemberKey { return MemberKey{JoinedAt: m.JoinedAt, UserID: m.UserID} }

// IDRange is the range of ids a search page reads: the ids from From
// (excluded when Exclusive) up to To (excluded), or to the end when
// Unbounded. A store reads it as one range of its id index.
type IDRange struct {
	From      string
	Exclusive bool
	To        string
	Unbounded bool
}

// SearchRange returns the range of the ids that start with prefix and are
// greater than after, in the order of code points, which is the order of
// their UTF-8 bytes. prefix must be valid UTF-8.
func SearchRange(prefix, after string) IDRange {
	r := IDRange{From: prefix, Unbounded: true}
	if after >= prefix {
		r.From, r.Exclusive = after, true
	}
	// The end is the least string greater than every one starting with
	// prefix: its last character that can grow, grown, and none after it.
	runes := []rune(prefix)
	for i := len(runes) - 1; i >= 0; i-- {
		c := runes[i]
		if c == utf8.MaxRune {
			continue
		}
		c++
		if c == 0xD800 { // surrogates are not characters: skip them
			c = 0xE000
		}
		r.To, r.Unbounded = string(runes[:i])+string(c), false
		break
	}
	return r
}

// checkSearch validates the arguments of a search: a prefix and an after
// key that could be part of an id, and a limit of 1..MaxPage.
func checkSearch(prefix, after string, limit int) error {
	if limit < 1 || limit > MaxPage {
		return Errorf(EINVALID, "limit must be 1 to %d, not %d", MaxPage, limit)
	}
	if len(prefix) > MaxIDLen || len(after) > MaxIDLen {
		return Errorf(EINVALID, "a search is at most %d bytes", MaxIDLen)
	}
	if err := ValidateName("search", prefix); err != nil {
		return err
	}
	return ValidateName("page key", after)
}

// SearchRooms returns up to limit (1..MaxPage) live rooms of app whose id
// starts with prefix ("" for all), after the room with id after ("" for
// the first page), in id order, each with its MemberCount. Returns
// EINVALID for a limit out of range, or a prefix or after that is not
// valid UTF-8, holds a control character or is longer than an id.
func (s *Service) SearchRooms(ctx context.Context, app uint32, prefix, after string, limit int) ([]*Room, error) {
	return search(s, ctx, prefix, after, limit, func(tx Tx) ([]*Room, error) {
		return tx.SearchRooms(ctx, app, prefix, after, limit)
	})
}

// SearchUsers returns up to limit (1..MaxPage) registered users of app
// whose id starts with prefix ("" for all), after the user with id after
// ("" for the first page), in id order. Returns EINVALID as SearchRooms.
func (s *Service) SearchUsers(ctx context.Context, app uint32, prefix, after string, limit int) ([]*User, error) {
	return search(s, ctx, prefix, after, limit, func(tx Tx) ([]*User, error) {
		return tx.SearchUsers(ctx, app, prefix, after, limit)
	})
}

// search checks a search's arguments and reads its page in a View.
func search[T any](s *Service, ctx context.Context, prefix, after string, limit int, read func(Tx) ([]T, error)) ([]T, error) {
	if err := checkSearch(prefix, after, limit); err != nil {
		return nil, err
	}
	var out []T
	err := s.store.View(ctx, func(tx Tx) error {
		var err error
		out, err = read(tx)
		return err
	})
	return out, err
}

// MembersAfter returns up to limit (1..MaxPage) members of a room in join
// order, starting after the member at key after (the zero MemberKey for
// the first page), with UserName filled in. Returns ENOROOM if the room
// does not exist, EINVALID for a limit out of range.
func (s *Service) MembersAfter(ctx context.Context, app uint32, roomID string, after MemberKey, limit int) ([]*Member, error) {
	if limit < 1 || limit > MaxPage {
		return nil, Errorf(EINVALID, "limit must be 1 to %d, not %d", MaxPage, limit)
	}
	var members []*Member
	err := s.viewRoom(ctx, app, roomID, func(tx Tx, _ *Room) error {
		var err error
		members, err = tx.MembersAfter(ctx, app, roomID, after, limit)
		return err
	})
	return members, err
}
