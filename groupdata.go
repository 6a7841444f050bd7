package roomd

import (
	"cmp"
	"context"
	"slices"
)

// checkAttributeKeys validates the keys of one attribute call: at least
// one, none empty, longer than MaxNameLen, invalid or repeated.
func checkAttributeKeys(keys []string) error {
	if len(keys) == 0 {
		return Errorf(EINVALID, "no attribute given")
	}
	seen := make(map[string]bool, len(keys))
	for _, k := range keys {
		if k == "" || seen[k] {
			return Errorf(EINVALID, "an attribute key is empty or repeated")
		}
		seen[k] = true
		if len(k) > MaxNameLen {
			return Errorf(EINVALID, "attribute key longer than %d bytes", MaxNameLen)
		}
		if err := ValidateName("room attribute key", k); err != nil {
			return err
		}
	}
	return nil
}

// SetRoomAttributes sets attributes of a room: a key the room has gets the
// new value in its place, a new key is added at the end. The change is one
// room.updated event. Returns ENOROOM, ENOUSER (non-admin actor not
// registered), EINVALID (no attribute; a key that is empty, repeated,
// longer than MaxNameLen or not a valid name; a value longer than
// MaxTextLen or not valid text), ELIMIT when the room would hold more than
// MaxAttributes attributes. On error nothing is set.
func (s *Service) SetRoomAttributes(ctx context.Context, actor Actor, app uint32, roomID string, attrs []Attribute) error {
	keys := make([]string, len(attrs))
	for i, a := range attrs {
		keys[i] = a.Key
		if len(a.Value) > MaxTextLen {
			return Errorf(EINVALID, "attribute value longer than %d bytes", MaxTextLen)
		}
		if err := ValidateText("room attribute value", a.Value); err != nil {
			return err
		}
	}
	if err := checkAttributeKeys(keys); err != nil {
		return err
	}
	return s.updateRoom(ctx, actor, app, roomID, func(t *roomTx) error {
		room := t.room
		list := slices.Clone(room.Attributes)
		for _, a := range attrs {
			if i := slices.IndexFunc(list, func(b Attribute) bool { return b.Key == a.Key }); i >= 0 {
				list[i].Value = a.Value
			} else {
				list = append(list, a)
			}
		}
		if len(list) > MaxAttributes {
			return Errorf(ELIMIT, "a room holds at most %d attributes; this would make %d", MaxAttributes, len(list))
		}
		room.Attributes = list
		if err := room.Validate(); err != nil {
			return err
		}
		t.emit(actor, EventRoomUpdated, roomPayload(room))
		return t.UpdateRoom(ctx, room)
	})
}

// DeleteRoomAttributes deletes attributes of a room by key and returns
// those deleted, with the values they had, in the order of keys. A key the
// room does not have is an EINVALID ItemError. The change, if any, is one
// room.updated event. Returns ENOROOM, ENOUSER (non-admin actor not
// registered), EINVALID (no key; a key that is empty, repeated, longer than
// MaxNameLen or not a valid name).
func (s *Service) DeleteRoomAttributes(ctx context.Context, actor Actor, app uint32, roomID string, keys []string) ([]Attribute, []ItemError, error) {
	if err := checkAttributeKeys(keys); err != nil {
		return nil, nil, err
	}
	var deleted []Attribute
	var items []ItemError
	err := s.updateRoom(ctx, actor, app, roomID, func(t *roomTx) error {
		deleted, items = deleted[:0], items[:0]
		room := t.room
		list := slices.Clone(room.Attributes)
		for _, k := range keys {
			i := slices.IndexFunc(list, func(b Attribute) bool { return b.Key == k })
			if i < 0 {
				items = append(items, ItemError{ID: k, Code: EINVALID, Message: "the room has no attribute with this key"})
				continue
			}
			deleted = append(deleted, list[i])
			list = slices.Delete(list, i, i+1)
		}
		if len(deleted) == 0 {
			return nil
		}
		room.Attributes = list
		t.emit(actor, EventRoomUpdated, roomPayload(room))
		return t.UpdateRoom(ctx, room)
	})
	if err != nil {
		return nil, nil, err
	}
	return deleted, items, nil
}

// NameCard is the name card (ZEGO's group nickname) to give a member.
type NameCard struct {
	UserID   string
	NameCard string
}

// SetNameCards gives members of a room their name cards, in one
// transaction, each change a member.updated event; no role is needed (the
// ZEGO action has no permission rule). A user named twice gets the last
// card. Returns ENOROOM, ENOUSER (non-admin actor not registered), ELIMIT
// (more than MaxBatch cards), EINVALID (a card longer than MaxNameLen or
// not a valid name, an invalid user id: nothing is set). Per user, as
// ItemErrors: ENOTMEMBER (not a member; an unregistered user is none).
func (s *Service) SetNameCards(ctx context.Context, actor Actor, app uint32, roomID string, cards []NameCard) ([]ItemError, error) {
	if len(cards) > MaxBatch {
		return nil, Errorf(ELIMIT, "more than %d members in one call", MaxBatch)
	}
	for _, c := range cards {
		if len(c.NameCard) > MaxNameLen {
			return nil, Errorf(EINVALID, "member name card longer than %d bytes", MaxNameLen)
		}
		if err := cmp.Or(ValidateID("user id", c.UserID), ValidateName("member name card", c.NameCard)); err != nil {
			return nil, err
		}
	}
	var items []ItemError
	err := s.updateRoom(ctx, actor, app, roomID, func(t *roomTx) error {
		items = items[:0]
		for _, c := range cards {
			m, err := t.Member(ctx, app, roomID, c.UserID)
			if ErrorCode(err) == ENOTMEMBER {
				items = append(items, ItemError{ID: c.UserID, Code: ENOTMEMBER, Message: "user is not a member of the room"})
				continue
			} else if err != nil {
				return err
			}
			m.NameCard = c.NameCard
			if err := t.PutMember(ctx, m); err != nil {
				return err
			}
			t.emit(actor, EventMemberUpdated, MemberPayload{UserID: c.UserID, Role: m.Role})
		}
		return nil
	})
	return items, err
}
