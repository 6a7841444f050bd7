package sqlite

import (
	"context"
	"slices"

	"github.com/roomd/roomd"
)

// Seats returns the taken or locked seats of a room, by index.
func (t *tx) Seats(ctx context.Context, app uint32, room string) ([]roomd.Seat, error) {
	return list(ctx, t, func(s scanner) (roomd.Seat, error) {
		var seat roomd.Seat
		return seat, s.Scan(&seat.Index, &seat.UserID, &seat.Locked, &seat.VideoDisabled, &seat.AudioDisabled)
	}, `SELECT idx, user, locked, video_disabled, audio_disabled FROM seats WHERE app = ? AND room = ? ORDER BY idx`, app, room)
}

// PutSeat writes one seat; an idle seat's row is deleted.
func (t *tx) PutSeat(ctx context.Context, app uint32, room string, s roomd.Seat) error {
	if s.Index < 0 {
		return roomd.Errorf(roomd.EINVALID, "seat index %d is negative", s.Index)
	}
	if s.Idle() {
		_, err := t.exec(ctx, `DELETE FROM seats WHERE app = ? AND room = ? AND idx = ?`, app, room, s.Index)
		return err
	}
	if s.UserID != "" {
		other, found, err := one(ctx, t, func(sc scanner) (int, error) {
			var i int
			return i, sc.Scan(&i)
		}, `SELECT idx FROM seats WHERE app = ? AND room = ? AND user = ? AND idx <> ?`, app, room, s.UserID, s.Index)
		if err != nil {
			return err
		}
		if found {
			return roomd.Errorf(roomd.EEXISTS, "user %q already holds seat %d", s.UserID, other)
		}
	}
	_, err := t.exec(ctx, `INSERT INTO seats (app, room, idx, user, locked, video_disabled, audio_disabled) VALUES (?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (app, room, idx) DO UPDATE SET user = excluded.user, locked = excluded.locked,
			video_disabled = excluded.video_disabled, audio_disabled = excluded.audio_disabled`,
		app, room, s.Index, s.UserID, s.Locked, s.VideoDisabled, s.AudioDisabled)
	return err
}

// SeatRequest returns a user's pending request, or nil.
func (t *tx) SeatRequest(ctx context.Context, app uint32, room, user string) (*roomd.SeatRequest, error) {
	r, _, err := one(ctx, t, func(s scanner) (*roomd.SeatRequest, error) {
		r := &roomd.SeatRequest{AppID: app, RoomID: room, UserID: user}
		var at int64
		err := s.Scan(&r.Index, &at)
		r.At = fromNanos(at)
		return r, err
	}, `SELECT idx, at FROM seat_requests WHERE app = ? AND room = ? AND user = ?`, app, room, user)
	return r, err
}

// PutSeatRequest inserts or replaces a request.
func (t *tx) PutSeatRequest(ctx context.Context, r *roomd.SeatRequest) error {
	_, err := t.exec(ctx, `INSERT INTO seat_requests (app, room, user, idx, at) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (app, room, user) DO UPDATE SET idx = excluded.idx, at = excluded.at`,
		r.AppID, r.RoomID, r.UserID, r.Index, nanos(r.At))
	return err
}

// DeleteSeatRequest removes a request.
func (t *tx) DeleteSeatRequest(ctx context.Context, app uint32, room, user string) error {
	_, err := t.exec(ctx, `DELETE FROM seat_requests WHERE app = ? AND room = ? AND user = ?`, app, room, user)
	return err
}

// Marks returns the marks of users in a room, ascending, by user.
func (t *tx) Marks(ctx context.Context, app uint32, room string, users []string) (map[string][]int64, error) {
	out := map[string][]int64{}
	if len(users) == 0 {
		return out, nil
	}
	ids, err := toJSON(users)
	if err != nil {
		return nil, err
	}
	type userMark struct {
		user string
		mark int64
	}
	rows, err := list(ctx, t, func(s scanner) (userMark, error) {
		var um userMark
		return um, s.Scan(&um.user, &um.mark)
	}, `SELECT user, mark FROM member_marks WHERE app = ? AND room = ? AND user IN (SELECT value FROM json_each(?))
		ORDER BY user, mark`, app, room, ids)
	if err != nil {
		return nil, err
	}
	for _, um := range rows {
		out[um.user] = append(out[um.user], um.mark)
	}
	return out, nil
}

// RoomMarks returns the distinct marks held in a room, ascending.
func (t *tx) RoomMarks(ctx context.Context, app uint32, room string) ([]int64, error) {
	return list(ctx, t, func(s scanner) (int64, error) {
		var m int64
		return m, s.Scan(&m)
	}, `SELECT DISTINCT mark FROM member_marks WHERE app = ? AND room = ? ORDER BY mark`, app, room)
}

// SetMarks replaces a user's marks in a room.
func (t *tx) SetMarks(ctx context.Context, app uint32, room, user string, marks []int64) error {
	if _, err := t.exec(ctx, `DELETE FROM member_marks WHERE app = ? AND room = ? AND user = ?`, app, room, user); err != nil {
		return err
	}
	marks = slices.Compact(slices.Sorted(slices.Values(marks)))
	for _, m := range marks {
		if _, err := t.exec(ctx, `INSERT INTO member_marks (app, room, user, mark) VALUES (?, ?, ?, ?)`, app, room, user, m); err != nil {
			return err
		}
	}
	return nil
}

// deleteRoomSeats removes a room's seats, seat requests and marks
// (DeleteRoom).
func (t *tx) deleteRoomSeats(ctx context.Context, app uint32, room string) error {
	for _, q := range []string{
		`DELETE FROM seats WHERE app = ? AND room = ?`,
		`DELETE FROM seat_requests WHERE app = ? AND room = ?`,
		`DELETE FROM member_marks WHERE app = ? AND room = ?`,
	} {
		if _, err := t.exec(ctx, q, app, room); err != nil {
			return err
		}
	}
	return nil
}
