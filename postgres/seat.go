package postgres

import (
	"context"
	"slices"

	"github.com/jackc/pgx/v5"
	"github.com/roomd/roomd"
)

// Seats returns the taken or locked seats of a room, by index.
func (t *tx) Seats(ctx context.Context, app uint32, room string) ([]roomd.Seat, error) {
	return all(ctx, t, func(row pgx.CollectableRow) (roomd.Seat, error) {
		var s roomd.Seat
		return s, row.Scan(&s.Index, &s.UserID, &s.Locked, &s.VideoDisabled, &s.AudioDisabled)
	}, `SELECT idx, user_id, locked, video_disabled, audio_disabled FROM seats WHERE app = $1 AND room = $2 ORDER BY idx`, app, room)
}

// PutSeat writes one seat; an idle seat's row is deleted. The write is
// skipped, and EEXISTS returned, when the user holds another seat of the
// room, so that the transaction stays usable.
func (t *tx) PutSeat(ctx context.Context, app uint32, room string, s roomd.Seat) error {
	if s.Index < 0 {
		return roomd.Errorf(roomd.EINVALID, "seat index %d is negative", s.Index)
	}
	if s.Idle() {
		_, err := t.exec(ctx, `DELETE FROM seats WHERE app = $1 AND room = $2 AND idx = $3`, app, room, s.Index)
		return err
	}
	n, err := t.exec(ctx, `INSERT INTO seats (app, room, idx, user_id, locked, video_disabled, audio_disabled)
		SELECT $1::bigint, $2::text, $3::integer, $4::text, $5::boolean, $6::boolean, $7::boolean
		WHERE $4 = '' OR NOT EXISTS (SELECT 1 FROM seats WHERE app = $1 AND room = $2 AND user_id = $4 AND idx <> $3)
		ON CONFLICT (app, room, idx) DO UPDATE SET user_id = excluded.user_id, locked = excluded.locked,
			video_disabled = excluded.video_disabled, audio_disabled = excluded.audio_disabled`,
		app, room, s.Index, s.UserID, s.Locked, s.VideoDisabled, s.AudioDisabled)
	if err == nil && n == 0 {
		err = roomd.Errorf(roomd.EEXISTS, "user %q already holds another seat", s.UserID)
	}
	return err
}

// SeatRequest returns a user's pending request to take a seat, or nil.
func (t *tx) SeatRequest(ctx context.Context, app uint32, room, user string) (*roomd.SeatRequest, error) {
	r, _, err := first(ctx, t, func(row pgx.CollectableRow) (*roomd.SeatRequest, error) {
		r := &roomd.SeatRequest{AppID: app, RoomID: room, UserID: user}
		return r, row.Scan(&r.Index, nsInto{&r.At})
	}, `SELECT idx, at FROM seat_requests WHERE app = $1 AND room = $2 AND user_id = $3`, app, room, user)
	return r, err
}

// PutSeatRequest inserts or replaces a request.
func (t *tx) PutSeatRequest(ctx context.Context, r *roomd.SeatRequest) error {
	_, err := t.exec(ctx, `INSERT INTO seat_requests (app, room, user_id, idx, at) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (app, room, user_id) DO UPDATE SET idx = excluded.idx, at = excluded.at`,
		r.AppID, r.RoomID, r.UserID, r.Index, ns(r.At))
	return err
}

// DeleteSeatRequest removes a request; an absent one is not an error.
func (t *tx) DeleteSeatRequest(ctx context.Context, app uint32, room, user string) error {
	_, err := t.exec(ctx, `DELETE FROM seat_requests WHERE app = $1 AND room = $2 AND user_id = $3`, app, room, user)
	return err
}

// userMark is one row of member_marks.
type userMark struct {
	user string
	mark int64
}

// Marks returns the marks of the given users in a room, ascending, by user.
func (t *tx) Marks(ctx context.Context, app uint32, room string, users []string) (map[string][]int64, error) {
	out := map[string][]int64{}
	if len(users) == 0 {
		return out, nil
	}
	rows, err := all(ctx, t, func(row pgx.CollectableRow) (userMark, error) {
		var um userMark
		return um, row.Scan(&um.user, &um.mark)
	}, `SELECT user_id, mark FROM member_marks WHERE app = $1 AND room = $2 AND user_id = ANY($3) ORDER BY user_id, mark`, app, room, users)
	for _, um := range rows {
		out[um.user] = append(out[um.user], um.mark)
	}
	return out, err
}

// RoomMarks returns the distinct marks held in a room, ascending.
func (t *tx) RoomMarks(ctx context.Context, app uint32, room string) ([]int64, error) {
	return all(ctx, t, pgx.RowTo[int64], `SELECT DISTINCT mark FROM member_marks WHERE app = $1 AND room = $2 ORDER BY mark`, app, room)
}

// SetMarks replaces a user's marks in a room, in one statement: the marks
// not kept go, the new ones come.
func (t *tx) SetMarks(ctx context.Context, app uint32, room, user string, marks []int64) error {
	marks = slices.Compact(slices.Sorted(slices.Values(marks)))
	if marks == nil {
		marks = []int64{}
	}
	_, err := t.exec(ctx, `WITH gone AS (DELETE FROM member_marks WHERE app = $1 AND room = $2 AND user_id = $3 AND mark <> ALL($4::bigint[]))
		INSERT INTO member_marks (app, room, user_id, mark) SELECT $1, $2, $3, m FROM unnest($4::bigint[]) m
		ON CONFLICT DO NOTHING`, app, room, user, marks)
	return err
}
