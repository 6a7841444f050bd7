package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"
	"github.com/roomd/roomd"
)

// Callback returns the app's callback configuration, or nil.
func (t *tx) Callback(ctx context.Context, app uint32) (*roomd.Callback, error) {
	c, _, err := first(ctx, t, func(row pgx.CollectableRow) (*roomd.Callback, error) {
		c := &roomd.Callback{AppID: app}
		return c, row.Scan(&c.URL, jsonText{&c.Commands})
	}, `SELECT url, commands FROM callbacks WHERE app = $1`, app)
	return c, err
}

// PutCallback sets the app's callback configuration.
func (t *tx) PutCallback(ctx context.Context, c *roomd.Callback) error {
	_, err := t.exec(ctx, `INSERT INTO callbacks (app, url, commands) VALUES ($1, $2, $3)
		ON CONFLICT (app) DO UPDATE SET url = excluded.url, commands = excluded.commands`, c.AppID, c.URL, jsonText{c.Commands})
	return err
}

// DeleteCallback removes the app's callback configuration, if any.
func (t *tx) DeleteCallback(ctx context.Context, app uint32) error {
	_, err := t.exec(ctx, `DELETE FROM callbacks WHERE app = $1`, app)
	return err
}
