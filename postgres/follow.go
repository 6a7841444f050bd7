package postgres

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/roomd/roomd"
)

// eventsChannel is the channel on which sequencers NOTIFY "app:pos" once
// they have numbered events of app up to pos.
const eventsChannel = "roomd_events"

// followBatch is how many events a follower reads at a time.
const followBatch = 1000

// Follow hands pub, until ctx ends, every event any node of the
// deployment commits, once it is numbered (see sequencer), in each app's
// log order: events committed through other nodes reach this node's
// gateway and webhooks. It starts at each app's last position when it is
// called. A notification (LISTEN on a connection of its own) wakes it at
// once; without one, it polls every second, and after a lost connection
// it reconnects and catches up from the table, so that a missed
// notification delays events but loses none. An event may reach pub twice
// (the Service publishes its own after commit too): a roomd.Publisher
// sees a room's events by seq and may drop what it had. Follow returns
// ctx's error.
func (db *DB) Follow(ctx context.Context, pub roomd.Publisher) error {
	ctx = inBackground(ctx)
	f := &follower{db: db, pub: pub, cursors: make(map[uint32]int64)}
	if err := f.start(ctx); err != nil && ctx.Err() == nil {
		db.log.Warn("postgres: follow: read positions", "err", err)
	}
	for ctx.Err() == nil {
		err := f.listen(ctx)
		if ctx.Err() != nil {
			break
		}
		db.log.Warn("postgres: follow: connection lost, reconnecting", "err", err)
		select {
		case <-time.After(time.Second):
		case <-ctx.Done():
		}
	}
	return ctx.Err()
}

// follower is the state of Follow: each app's last position handed on.
type follower struct {
	db      *DB
	pub     roomd.Publisher
	cursors map[uint32]int64
	started bool
}

// positions returns each app's last position.
func (f *follower) positions(ctx context.Context) (map[uint32]int64, error) {
	t, err := f.db.begin(ctx, false)
	if err != nil {
		return nil, err
	}
	defer f.db.end(ctx, t)
	type appPos struct {
		App uint32
		Pos int64
	}
	rows, err := all(ctx, t, pgx.RowToStructByPos[appPos], `SELECT app, pos FROM app_logs`)
	if err != nil {
		return nil, err
	}
	out := make(map[uint32]int64, len(rows))
	for _, r := range rows {
		out[r.App] = r.Pos
	}
	return out, nil
}

// start sets the cursors at the apps' last positions.
func (f *follower) start(ctx context.Context) error {
	pos, err := f.positions(ctx)
	if err != nil {
		return err
	}
	f.cursors, f.started = pos, true
	return nil
}

// listen follows on one connection until it fails or ctx ends.
func (f *follower) listen(ctx context.Context) error {
	cfg := f.db.pool.Config().ConnConfig.Copy()
	cfg.RuntimeParams["application_name"] = strings.TrimSpace("roomd follow " + cfg.RuntimeParams["search_path"])
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, `LISTEN `+eventsChannel); err != nil {
		return err
	}
	if !f.started {
		if err := f.start(ctx); err != nil {
			return err
		}
	}
	f.catchUp(ctx, 0) // what committed while not listening
	for {
		wait, cancel := context.WithTimeout(ctx, pollEvery)
		n, err := conn.WaitForNotification(wait)
		cancel()
		switch {
		case ctx.Err() != nil:
			return ctx.Err()
		case err != nil && !errors.Is(err, context.DeadlineExceeded):
			return err
		case err != nil: // no notification for a while: poll
			f.catchUp(ctx, 0)
		default:
			f.catchUp(ctx, notifiedApp(n.Payload))
		}
	}
}

// notifiedApp returns the app of an "app:pos" payload, 0 if malformed.
func notifiedApp(payload string) uint32 {
	app, _, _ := strings.Cut(payload, ":")
	n, err := strconv.ParseUint(app, 10, 32)
	if err != nil {
		return 0
	}
	return uint32(n)
}

// catchUp hands on the events numbered past the cursors: of app, or of
// every app when app is 0.
func (f *follower) catchUp(ctx context.Context, app uint32) {
	apps := []uint32{app}
	if app == 0 {
		pos, err := f.positions(ctx)
		if err != nil {
			f.db.log.Warn("postgres: follow: read positions", "err", err)
			return
		}
		apps = apps[:0]
		for a, p := range pos {
			if p > f.cursors[a] {
				apps = append(apps, a)
			}
		}
	}
	for _, a := range apps {
		if err := f.read(ctx, a); err != nil && ctx.Err() == nil {
			f.db.log.Warn("postgres: follow: read events", "app", a, "err", err)
		}
	}
}

// read hands on app's events past its cursor, a batch at a time.
func (f *follower) read(ctx context.Context, app uint32) error {
	for {
		var events []roomd.Event
		err := f.db.View(ctx, func(t roomd.Tx) error {
			var err error
			events, err = t.AppEvents(ctx, app, f.cursors[app], followBatch)
			return err
		})
		if err != nil || len(events) == 0 {
			return err
		}
		f.pub.Publish(ctx, events)
		f.cursors[app] = events[len(events)-1].Pos
		if len(events) < followBatch {
			return nil
		}
	}
}
