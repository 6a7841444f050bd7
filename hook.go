package roomd

import (
	"context"
	"time"
)

// Callback styles: the vendors whose callbacks (webhooks) roomd posts to an
// app's backend. Each app has one delivery cursor per style.
const (
	HookTencent = "tencent" // the room engine's room_config callbacks
	HookZEGO    = "zego"    // ZIM's group callbacks
)

// Hook is one style of callbacks: where an app's callbacks of that style go,
// and what each event's callback is. The dialects implement it (they know
// their vendor's formats); package webhook delivers what it makes.
type Hook interface {
	// Style returns the style's name, HookTencent or HookZEGO; it names the
	// delivery cursor, metrics and logs.
	Style() string
	// Target returns where app's callbacks of this style go, or nil when the
	// app has none configured. Returns EINTERNAL when the store fails.
	Target(ctx context.Context, app uint32) (*HookTarget, error)
	// Request returns the callback for ev, made at now (fresh signatures and
	// timestamps on every attempt), or nil when ev has no callback for t (an
	// event type the vendor has no callback for, or a command t does not
	// list). It may read the store (Service.MembersAt). Returns EINTERNAL
	// when the store fails.
	Request(ctx context.Context, t *HookTarget, ev *Event, now time.Time) (*HookRequest, error)
	// Accept returns nil if the receiver's answer, its HTTP status and the
	// start of its body, acknowledges the callback, and otherwise an error
	// that says why not (it is logged and shown in the delivery status).
	Accept(status int, body []byte) error
}

// HookTarget is where an app's callbacks of one style go.
type HookTarget struct {
	AppID uint32
	// URL is the receiver's absolute http or https URL.
	URL string
	// Secret signs the callbacks, for the styles that sign them (ZEGO).
	Secret string
	// Commands, when not nil, lists the callback commands the app wants
	// (Tencent's CallbackCommandList); the others are skipped.
	Commands []string
}

// HookRequest is one callback to post: a JSON body to URL.
type HookRequest struct {
	URL  string
	Body []byte
}

// HookCursor is how far an app's callbacks of one style have been
// delivered: every event of the app's log up to Pos (Event.Pos) has been
// acknowledged by the receiver, or skipped (no callback), or had expired.
type HookCursor struct {
	AppID uint32
	Style string
	Pos   int64
}

// MaxAppEvents is the most events one AppEvents call returns.
const MaxAppEvents = 1000

// AppEvents returns up to limit (at most MaxAppEvents) events of app with
// Pos greater than after, in Pos order: the app's log in commit order.
// Compacted events are missing, so Pos may jump.
func (s *Service) AppEvents(ctx context.Context, app uint32, after int64, limit int) ([]Event, error) {
	limit = min(max(limit, 1), MaxAppEvents)
	var events []Event
	err := s.store.View(ctx, func(tx Tx) error {
		var err error
		events, err = tx.AppEvents(ctx, app, after, limit)
		return err
	})
	return events, err
}

// LastPos returns the Pos of app's last event, 0 when it has none.
func (s *Service) LastPos(ctx context.Context, app uint32) (int64, error) {
	var pos int64
	err := s.store.View(ctx, func(tx Tx) error {
		var err error
		pos, err = tx.LastPos(ctx, app)
		return err
	})
	return pos, err
}

// HookCursor returns app's delivery cursor for style, or nil when the app
// has none (its callbacks of that style were never started, or were stopped).
func (s *Service) HookCursor(ctx context.Context, app uint32, style string) (*HookCursor, error) {
	var c *HookCursor
	err := s.store.View(ctx, func(tx Tx) error {
		var err error
		c, err = tx.HookCursor(ctx, app, style)
		return err
	})
	return c, err
}

// StartHook gives app a delivery cursor for style at its log's end, unless
// it has one: callbacks go out for the events committed from then on.
// It returns the cursor. Returns EINVALID for an unknown style.
func (s *Service) StartHook(ctx context.Context, app uint32, style string) (*HookCursor, error) {
	if err := validStyle(style); err != nil {
		return nil, err
	}
	var c *HookCursor
	err := s.store.Update(ctx, func(tx Tx) error {
		var err error
		c, err = startHook(ctx, tx, app, style)
		return err
	})
	return c, err
}

// startHook is StartHook within a transaction.
func startHook(ctx context.Context, tx Tx, app uint32, style string) (*HookCursor, error) {
	c, err := tx.HookCursor(ctx, app, style)
	if err != nil || c != nil {
		return c, err
	}
	pos, err := tx.LastPos(ctx, app)
	if err != nil {
		return nil, err
	}
	c = &HookCursor{AppID: app, Style: style, Pos: pos}
	return c, tx.PutHookCursor(ctx, c)
}

// AdvanceHook moves app's cursor for style forward to pos, once the events
// up to pos are delivered. A cursor never moves back: a pos at or behind it
// changes nothing, and so does a cursor stopped meanwhile (StopHook): it
// stays stopped. Returns EINVALID for an unknown style or a pos past the
// log's end.
func (s *Service) AdvanceHook(ctx context.Context, app uint32, style string, pos int64) error {
	if err := validStyle(style); err != nil {
		return err
	}
	return s.store.Update(ctx, func(tx Tx) error {
		c, err := tx.HookCursor(ctx, app, style)
		if err != nil {
			return err
		}
		if c == nil || pos <= c.Pos {
			return nil
		}
		last, err := tx.LastPos(ctx, app)
		if err != nil {
			return err
		}
		if pos > last {
			return Errorf(EINVALID, "cursor %d is past the end of app %d's log (%d)", pos, app, last)
		}
		c.Pos = pos
		return tx.PutHookCursor(ctx, c)
	})
}

// StopHook deletes app's cursor for style: the callbacks not yet delivered
// are dropped, and a later StartHook starts at the log's end then.
func (s *Service) StopHook(ctx context.Context, app uint32, style string) error {
	if err := validStyle(style); err != nil {
		return err
	}
	return s.store.Update(ctx, func(tx Tx) error { return tx.DeleteHookCursor(ctx, app, style) })
}

func validStyle(style string) error {
	if style != HookTencent && style != HookZEGO {
		return Errorf(EINVALID, "unknown callback style %q", style)
	}
	return nil
}

// MembersAt returns, in id order, up to limit of the users who were members
// of a room right after its event seq, and how many they were: the members
// a callback about that event reports (the members before a dismissal at
// seq are MembersAt(seq-1)). It reads the membership periods, which outlive
// the compaction of the log and the room's dismissal. limit 0 returns the
// count alone.
func (s *Service) MembersAt(ctx context.Context, app uint32, roomID string, seq int64, limit int) ([]string, int, error) {
	var ids []string
	var n int
	err := s.store.View(ctx, func(tx Tx) error {
		var err error
		ids, n, err = tx.MembersAt(ctx, app, roomID, seq, max(limit, 0))
		return err
	})
	return ids, n, err
}
