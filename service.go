package roomd

import (
	"context"
	"slices"
	"time"
)

// Service applies the domain's rules over a Store. It is the one entry point
// of every wire dialect; dialects translate, the Service decides.
type Service struct {
	store Store
	pub   Publisher
	clock Clock
}

// NewService returns a Service over store. pub, when not nil, receives every
// event after its transaction commits. clock, when not nil, replaces time.Now.
func NewService(store Store, pub Publisher, clock Clock) *Service {
	if clock == nil {
		clock = time.Now
	}
	return &Service{store: store, pub: pub, clock: clock}
}

func (s *Service) now() time.Time { return s.clock() }

// update runs fn in a store transaction, writes the events fn emitted in the
// same transaction, and publishes them once it has committed.
func (s *Service) update(ctx context.Context, fn func(tx Tx, em *emitter) error) error {
	var events []Event
	err := s.store.Update(ctx, func(tx Tx) error {
		events = nil
		em := &emitter{now: s.now().UTC()}
		if err := fn(tx, em); err != nil {
			return err
		}
		if len(em.events) == 0 {
			return nil
		}
		events = em.events
		if err := tx.AppendEvents(ctx, em.events); err != nil {
			return err
		}
		return recordMemberships(ctx, tx, em.events)
	})
	if err != nil {
		return err
	}
	if s.pub != nil && len(events) > 0 {
		s.pub.Publish(ctx, events)
	}
	return nil
}

// roomTx is what a room operation sees inside its transaction: the store,
// the event emitter, the room (live, locked against other writers) and the
// time of the transaction, read once.
type roomTx struct {
	Tx
	em   *emitter
	room *Room
	now  time.Time
	// read are the memberships updateRoomWith read with the room, as they
	// were then: fn's first look at them (see opening).
	read map[string]*Member
}

// opening returns the membership of user read with the room
// (updateRoomWith), or ENOTMEMBER. It is for the start of fn, before fn
// writes members.
func (t *roomTx) opening(user string) (*Member, error) {
	if m := t.read[user]; m != nil {
		return m, nil
	}
	return nil, notMember(user)
}

// emit records an event of the room by actor.
func (t *roomTx) emit(actor Actor, typ EventType, payload any) {
	t.em.emit(t.room, actor, typ, payload)
}

// updateRoom is the opening every room operation shares: in one update
// transaction it checks the actor (checkActor: ENOUSER for a non-admin actor
// who is not registered), loads the live room (ENOROOM) and runs fn on it.
// The events fn emits are written in the same transaction and published
// after it commits.
func (s *Service) updateRoom(ctx context.Context, actor Actor, app uint32, roomID string, fn func(t *roomTx) error) error {
	return s.updateRoomWith(ctx, actor, app, roomID, nil, fn)
}

// updateRoomWith is updateRoom that also reads, with the room, the
// memberships of users (roomTx.opening): a store may do both in one round
// trip (Tx.RoomMembers). A non-admin actor's membership is read with them:
// an actor who is a member is registered (members are registered users,
// and the room's lock keeps them members until the transaction ends), so
// only an actor who is not is looked up.
func (s *Service) updateRoomWith(ctx context.Context, actor Actor, app uint32, roomID string, users []string, fn func(t *roomTx) error) error {
	read := users
	if !actor.Admin && actor.ID != "" {
		read = append(slices.Clip(users), actor.ID)
	}
	return s.update(ctx, func(tx Tx, em *emitter) error {
		var room *Room
		var members map[string]*Member
		var err error
		if len(read) == 0 {
			room, err = tx.Room(ctx, app, roomID)
		} else {
			room, members, err = tx.RoomMembers(ctx, app, roomID, read)
		}
		if !actor.Admin && members[actor.ID] == nil {
			if aerr := checkActor(ctx, tx, app, actor); aerr != nil {
				return aerr // ENOUSER comes before ENOROOM
			}
		}
		if err != nil {
			return err
		}
		return fn(&roomTx{Tx: tx, em: em, room: room, now: em.now, read: members})
	})
}

// viewRoom is the opening of room reads: in one read transaction it loads
// the live room (ENOROOM) and runs fn on it.
func (s *Service) viewRoom(ctx context.Context, app uint32, roomID string, fn func(tx Tx, room *Room) error) error {
	return s.viewRoomAs(ctx, Actor{Admin: true}, app, roomID, fn)
}

// viewRoomAs is viewRoom for a read by actor, checked first (checkActor:
// ENOUSER for a non-admin actor who is not registered).
func (s *Service) viewRoomAs(ctx context.Context, actor Actor, app uint32, roomID string, fn func(tx Tx, room *Room) error) error {
	return s.store.View(ctx, func(tx Tx) error {
		if err := checkActor(ctx, tx, app, actor); err != nil {
			return err
		}
		room, err := tx.Room(ctx, app, roomID)
		if err != nil {
			return err
		}
		return fn(tx, room)
	})
}

// recordMemberships records, from a transaction's events, when users became
// and stopped being members, so that what each user may read of a room's
// log is known even after the events that said so are compacted.
func recordMemberships(ctx context.Context, tx Tx, events []Event) error {
	for i := range events {
		e := &events[i]
		var err error
		switch e.Type {
		case EventMemberJoined:
			err = tx.StartMembership(ctx, e.AppID, e.RoomID, e.Subject(), e.Seq)
		case EventMemberLeft:
			err = tx.EndMembership(ctx, e.AppID, e.RoomID, e.Subject(), e.Seq)
		case EventRoomDismissed:
			err = tx.EndMembership(ctx, e.AppID, e.RoomID, "", e.Seq)
		}
		if err != nil {
			return err
		}
	}
	return nil
}
