package roomd

import (
	"context"
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
