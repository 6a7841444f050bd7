package sqlite

import (
	"context"

	"github.com/roomd/roomd"
)

// LastSeq returns the seq of the last event written for a room id.
func (t *tx) LastSeq(ctx context.Context, app uint32, room string) (int64, error) {
	var seq int64
	err := t.q.QueryRowContext(ctx, `SELECT COALESCE(max(seq), 0) FROM events WHERE app = ? AND room = ?`, app, room).Scan(&seq)
	return seq, wrap(err)
}

// StartMembership opens a membership period of user in room at seq.
func (t *tx) StartMembership(ctx context.Context, app uint32, room, user string, seq int64) error {
	_, err := t.exec(ctx, `INSERT OR REPLACE INTO memberships (app, room, user, joined, left) VALUES (?, ?, ?, ?, 0)`, app, room, user, seq)
	return err
}

// EndMembership closes the open period of user (of every member for "") at seq.
func (t *tx) EndMembership(ctx context.Context, app uint32, room, user string, seq int64) error {
	if user == "" {
		_, err := t.exec(ctx, `UPDATE memberships SET left = ? WHERE app = ? AND room = ? AND left = 0`, seq, app, room)
		return err
	}
	_, err := t.exec(ctx, `UPDATE memberships SET left = ? WHERE app = ? AND room = ? AND user = ? AND left = 0`, seq, app, room, user)
	return err
}

// Memberships returns the periods user was a member of room, oldest first.
func (t *tx) Memberships(ctx context.Context, app uint32, room, user string) ([]roomd.Membership, error) {
	return list(ctx, t, func(s scanner) (roomd.Membership, error) {
		var m roomd.Membership
		return m, s.Scan(&m.From, &m.To)
	}, `SELECT joined, left FROM memberships WHERE app = ? AND room = ? AND user = ? ORDER BY joined`, app, room, user)
}
