package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"
	"github.com/roomd/roomd"
)

// HookCursor returns app's delivery cursor for style, or nil.
func (t *tx) HookCursor(ctx context.Context, app uint32, style string) (*roomd.HookCursor, error) {
	c, _, err := first(ctx, t, func(row pgx.CollectableRow) (*roomd.HookCursor, error) {
		c := &roomd.HookCursor{AppID: app, Style: style}
		return c, row.Scan(&c.Pos)
	}, `SELECT pos FROM hook_cursors WHERE app = $1 AND style = $2`+t.forUpdate(), app, style)
	return c, err
}

// forUpdate is the locking clause of a read in an Update: the row read
// stays locked until the transaction ends, so that writers of one cursor
// on different nodes take turns.
func (t *tx) forUpdate() string {
	if t.write {
		return ` FOR UPDATE`
	}
	return ``
}

// PutHookCursor inserts a delivery cursor or moves it forward: two nodes
// that start one at once keep the further.
func (t *tx) PutHookCursor(ctx context.Context, c *roomd.HookCursor) error {
	_, err := t.exec(ctx, `INSERT INTO hook_cursors AS h (app, style, pos) VALUES ($1, $2, $3)
		ON CONFLICT (app, style) DO UPDATE SET pos = greatest(h.pos, excluded.pos)`, c.AppID, c.Style, c.Pos)
	return err
}

// DeleteHookCursor removes app's cursor for style; an absent one is not an error.
func (t *tx) DeleteHookCursor(ctx context.Context, app uint32, style string) error {
	_, err := t.exec(ctx, `DELETE FROM hook_cursors WHERE app = $1 AND style = $2`, app, style)
	return err
}
