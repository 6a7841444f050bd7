package roomd

import "context"

// Callback is an app's webhook configuration: where room events are posted
// and which of them.
type Callback struct {
	AppID    uint32
	URL      string
	Commands []string
}

// PutCallback sets the app's callback configuration, replacing any. The
// first one starts the app's Tencent-style delivery cursor in the same
// transaction (StartHook), so that the events committed after PutCallback
// returns are all called back; replacing one keeps the cursor, and with it
// the callbacks not yet delivered.
// Returns EINVALID for an empty or over-long URL, a URL with a control
// character or invalid UTF-8, or a command that is not a valid id.
func (s *Service) PutCallback(ctx context.Context, c Callback) error {
	if c.URL == "" || len(c.URL) > MaxURLLen {
		return Errorf(EINVALID, "callback URL must be 1 to %d bytes", MaxURLLen)
	}
	if err := ValidateName("callback URL", c.URL); err != nil {
		return err
	}
	for _, cmd := range c.Commands {
		if err := ValidateID("callback command", cmd); err != nil {
			return err
		}
	}
	return s.store.Update(ctx, func(tx Tx) error {
		if _, err := startHook(ctx, tx, c.AppID, HookTencent); err != nil {
			return err
		}
		return tx.PutCallback(ctx, &c)
	})
}

// Callback returns the app's callback configuration, or nil when none is set.
func (s *Service) Callback(ctx context.Context, app uint32) (*Callback, error) {
	var c *Callback
	err := s.store.View(ctx, func(tx Tx) error {
		var err error
		c, err = tx.Callback(ctx, app)
		return err
	})
	return c, err
}

// DeleteCallback removes the app's callback configuration, if any, and its
// Tencent-style delivery cursor: the callbacks not yet delivered are
// dropped.
func (s *Service) DeleteCallback(ctx context.Context, app uint32) error {
	return s.store.Update(ctx, func(tx Tx) error {
		if err := tx.DeleteHookCursor(ctx, app, HookTencent); err != nil {
			return err
		}
		return tx.DeleteCallback(ctx, app)
	})
}
