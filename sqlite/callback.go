package sqlite

import (
	"context"

	"github.com/roomd/roomd"
)

// Callback returns the app's callback configuration, or nil.
func (t *tx) Callback(ctx context.Context, app uint32) (*roomd.Callback, error) {
	c, _, err := one(ctx, t, func(s scanner) (*roomd.Callback, error) {
		c := &roomd.Callback{AppID: app}
		var cmds string
		if err := s.Scan(&c.URL, &cmds); err != nil {
			return nil, err
		}
		return c, fromJSON(cmds, &c.Commands)
	}, `SELECT url, commands FROM callbacks WHERE app = ?`, app)
	return c, err
}

// PutCallback sets the app's callback configuration.
func (t *tx) PutCallback(ctx context.Context, c *roomd.Callback) error {
	cmds, err := toJSON(c.Commands)
	if err != nil {
		return err
	}
	_, err = t.exec(ctx, `INSERT INTO callbacks (app, url, commands) VALUES (?, ?, ?)
		ON CONFLICT (app) DO UPDATE SET url = excluded.url, commands = excluded.commands`, c.AppID, c.URL, cmds)
	return err
}

// DeleteCallback removes the app's callback configuration.
func (t *tx) DeleteCallback(ctx context.Context, app uint32) error {
	_, err := t.exec(ctx, `DELETE FROM callbacks WHERE app = ?`, app)
	return err
}
