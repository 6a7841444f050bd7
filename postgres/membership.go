package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"
	"github.com/roomd/roomd"
)

// StartMembership opens a membership period of user in room at seq.
func (t *tx) StartMembership(ctx context.Context, app uint32, room, user string, seq int64) error {
	_, err := t.exec(ctx, `INSERT INTO memberships (app, room, user_id, joined, ended) VALUES ($1, $2, $3, $4, 0)
		ON CONFLICT (app, room, user_id, joined) DO UPDATE SET ended = 0`, app, room, user, seq)
	return err
}

// EndMembership closes the open period of user, of every member for "", at seq.
func (t *tx) EndMembership(ctx context.Context, app uint32, room, user string, seq int64) error {
	_, err := t.exec(ctx, `UPDATE memberships SET ended = $4 WHERE app = $1 AND room = $2 AND ended = 0 AND ($3 = '' OR user_id = $3)`,
		app, room, user, seq)
	return err
}

// Memberships returns the periods user was a member of room, oldest first.
func (t *tx) Memberships(ctx context.Context, app uint32, room, user string) ([]roomd.Membership, error) {
	return all(ctx, t, func(row pgx.CollectableRow) (roomd.Membership, error) {
		var m roomd.Membership
		return m, row.Scan(&m.From, &m.To)
	}, `SELECT joined, ended FROM memberships WHERE app = $1 AND room = $2 AND user_id = $3 ORDER BY joined`, app, room, user)
}

// MembersAt returns up to limit users whose membership of room covers seq
// and did not end with it, by id, and their number.
func (t *tx) MembersAt(ctx context.Context, app uint32, room string, seq int64, limit int) ([]string, int, error) {
	const covering = ` FROM memberships WHERE app = $1 AND room = $2 AND joined <= $3 AND (ended = 0 OR ended > $3)`
	n, err := value[int](ctx, t, `SELECT count(*)`+covering, app, room, seq)
	if err != nil || limit == 0 || n == 0 {
		return nil, n, err
	}
	ids, err := all(ctx, t, pgx.RowTo[string], `SELECT user_id`+covering+` ORDER BY user_id LIMIT $4`, app, room, seq, limitArg(limit))
	return ids, n, err
}
