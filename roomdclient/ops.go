package roomdclient

import (
	"context"
	"encoding/json"
	"fmt"
)

// do sends the op f (its id set here) on the current connection, waiting
// for one while the client reconnects, and returns its reply. A non-zero
// reply is returned with a *ReplyError. An op in flight when the
// connection drops fails with ErrDisconnected.
func (c *Client) do(ctx context.Context, f *opFrame) (reply, error) {
	select {
	case c.ops <- struct{}{}:
		defer func() { <-c.ops }()
	case <-c.done:
		return reply{}, c.finalErr()
	case <-ctx.Done():
		return reply{}, ctx.Err()
	}
	cn, err := c.current(ctx)
	if err != nil {
		return reply{}, err
	}
	f.ID = c.nextID.Add(1)
	ch, ok := cn.await(f.ID)
	if !ok {
		return reply{}, ErrDisconnected
	}
	if err := cn.send(f); err != nil {
		cn.forget(f.ID)
		return reply{}, fmt.Errorf("roomdclient: %s: %w", f.Op, err)
	}
	select {
	case r := <-ch:
		return r, r.err()
	case <-cn.dead:
		select {
		case r := <-ch: // answered just before the drop
			return r, r.err()
		default:
		}
		if err := c.finalErr(); err != nil {
			return reply{}, err
		}
		return reply{}, fmt.Errorf("roomdclient: %s: %w", f.Op, ErrDisconnected)
	case <-ctx.Done():
		cn.forget(f.ID)
		return reply{}, ctx.Err()
	}
}

// decode decodes the data of a successful reply of op into v.
func decode(op string, r reply, v any) error {
	if err := json.Unmarshal(r.data, v); err != nil {
		return fmt.Errorf("roomdclient: %s reply: %w", op, err)
	}
	return nil
}

// Rooms returns the user's rooms now, by room id, with each room's last seq
// and the user's role in it.
func (c *Client) Rooms(ctx context.Context) ([]RoomState, error) {
	r, err := c.do(ctx, &opFrame{Op: "rooms"})
	if err != nil {
		return nil, err
	}
	var data struct {
		Rooms []RoomState `json:"rooms"`
	}
	if err := decode("rooms", r, &data); err != nil {
		return nil, err
	}
	return data.Rooms, nil
}

// EnterRoom makes the user a member of room (the room engine's enterRoom).
// Entering a room the user is a member of succeeds and changes nothing. The
// resulting events come through Next like any other.
func (c *Client) EnterRoom(ctx context.Context, room string) error {
	_, err := c.do(ctx, &opFrame{Op: "enter_room", Room: room})
	return err
}

// LeaveRoom removes the user from room (the room engine's exitRoom). The
// resulting events, up to the user's member.left, come through Next.
func (c *Client) LeaveRoom(ctx context.Context, room string) error {
	_, err := c.do(ctx, &opFrame{Op: "leave_room", Room: room})
	return err
}

// Sync pulls up to limit events (1 to 1000; 0 for roomd's default of 100)
// of room after sinceSeq that the user is entitled to, and returns them
// with the room's last seq now. Fewer than limit events means there are no
// more for now; to page, call again with sinceSeq set to the last event's
// seq. If the range after sinceSeq is no longer kept, Sync returns the
// room's current seq with a *ReplyError of code CodeResync. Sync does not
// change what Next yields.
func (c *Client) Sync(ctx context.Context, room string, sinceSeq int64, limit int) ([]Event, int64, error) {
	r, err := c.do(ctx, &opFrame{Op: "sync", Room: room, SinceSeq: &sinceSeq, Limit: limit})
	var data struct {
		Events []inFrame `json:"events"`
		Seq    int64     `json:"seq"`
	}
	if err != nil {
		if r.code == CodeResync && len(r.data) > 0 {
			if decode("sync", r, &data) == nil {
				return nil, data.Seq, err
			}
		}
		return nil, 0, err
	}
	if err := decode("sync", r, &data); err != nil {
		return nil, 0, err
	}
	events := make([]Event, len(data.Events))
	for i := range data.Events {
		events[i] = data.Events[i].event()
	}
	return events, data.Seq, nil
}

// codeSeatPending is take_seat's reply code when it recorded a request for
// the room's owner or an admin to grant (not an error).
const codeSeatPending = 20201

// SeatResult is what TakeSeat or LeaveSeat did.
type SeatResult struct {
	Room  string `json:"room"`
	Seq   int64  `json:"seq"`   // the room's seq after the change
	Index int    `json:"index"` // the seat taken or left, or the one asked for (-1: any)
	// Pending reports that TakeSeat recorded a request (the room's
	// TakeSeatMode is ApplyToTake) that waits for the owner or an admin to
	// pick the user onto a seat.
	Pending bool `json:"-"`
	// Cancelled reports that LeaveSeat cancelled such a request instead of
	// leaving a seat.
	Cancelled bool `json:"cancelled"`
}

// TakeSeat takes the seat at index of room, or the first free one for
// index -1 (the room engine's takeSeat). In an ApplyToTake room an ordinary
// member's call records a request instead: the result is Pending, and the
// seat.changed that grants it comes through Next. Seat refusals are
// *ReplyError with the Code* seat codes.
func (c *Client) TakeSeat(ctx context.Context, room string, index int) (SeatResult, error) {
	r, err := c.do(ctx, &opFrame{Op: "take_seat", Room: room, Index: &index})
	var res SeatResult
	if r.code == codeSeatPending {
		res.Pending, err = true, nil
	}
	if err != nil {
		return res, err
	}
	err = decode("take_seat", r, &res)
	return res, err
}

// LeaveSeat leaves the user's seat in room, or cancels their pending
// request to take one (the room engine's leaveSeat).
func (c *Client) LeaveSeat(ctx context.Context, room string) (SeatResult, error) {
	r, err := c.do(ctx, &opFrame{Op: "leave_seat", Room: room})
	var res SeatResult
	if err != nil {
		return res, err
	}
	err = decode("leave_seat", r, &res)
	return res, err
}

// Ping checks that roomd answers on the connection.
func (c *Client) Ping(ctx context.Context) error {
	_, err := c.do(ctx, &opFrame{Op: "ping"})
	return err
}
