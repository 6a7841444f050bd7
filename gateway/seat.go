package gateway

import (
	"context"

	"github.com/roomd/roomd"
)

// seat serves take_seat and leave_seat, the room engine's takeSeat and
// leaveSeat for the logged-in user (roomd.Service.TakeSeat, LeaveSeat). As
// with enter_room, the events they cause (seat.changed, seat.requested,
// seat.request_cancelled) are sent before the reply. Reply data:
// {room, seq, index}. A take_seat that recorded a request for an admin to
// grant is answered with codeSeatPending, with the same data; a leave_seat
// that cancelled such a request adds "cancelled": true.
func (c *conn) seat(ctx context.Context, id int64, f *clientFrame) {
	if f.Room == "" {
		c.answer(ctx, id, nil, roomd.Errorf(roomd.EINVALID, "room is required"))
		return
	}
	var res roomd.SeatResult
	var err error
	if f.Op == "take_seat" {
		index := -1
		if f.Index != nil {
			index = *f.Index
		}
		res, err = c.g.svc.TakeSeat(ctx, c.app.ID, f.Room, c.user, index)
	} else {
		res, err = c.g.svc.LeaveSeat(ctx, c.app.ID, f.Room, c.user)
	}
	c.drain(ctx)
	data := map[string]any{"room": f.Room, "seq": res.Seq, "index": res.Index}
	switch {
	case err != nil:
	case res.Request && f.Op == "take_seat":
		c.writeJSON(ctx, reply{Type: "reply", ID: id, Code: codeSeatPending,
			Message: "pending: the request to take a seat waits for the owner or an admin", Data: data})
		return
	case res.Request:
		data["cancelled"] = true
	}
	c.answer(ctx, id, data, err)
}
