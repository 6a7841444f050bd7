package postgres

import (
	"context"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
)

// sequencer numbers committed events: it gives each app's events, in the
// order of their ids, the positions after the app's last (app_logs.pos).
//
// Writers insert events without a position, so that no writer holds an
// app-wide lock through its commit. A room's writers take turns under the
// room's row lock, and a writer inserts only once it holds it, so a room's
// events have ids in seq order; the sequencer's statement sees only
// committed events, so it numbers an event only after every earlier event
// of its room. Numbering runs in its own transaction under the app's
// app_logs row lock, which serialises sequencers of every node, and ends
// with a NOTIFY that wakes every node's follower (follow.go).
//
// Each node numbers after its own commits (written), and every pollEvery
// numbers whatever it finds, so that events left by a node that died
// between its commit and its numbering are numbered too. The numbering
// commits with synchronous_commit off: if PostgreSQL crashed before
// flushing it, the events would be numbered again, and nothing that
// depends on positions (a webhook cursor) can be durable before it, as
// PostgreSQL flushes its log in order.
type sequencer struct {
	db    *DB
	mu    sync.Mutex
	dirty map[uint32]struct{} // apps with events committed since their last numbering
	retry map[uint32]struct{} // apps whose numbering failed: again at the next poll
	wake  chan struct{}
	stop  chan struct{}
	done  chan struct{}
}

// numberBatch bounds how many events one numbering transaction numbers.
const numberBatch = 5000

// pollEvery is how often a sequencer looks for events no node numbered.
const pollEvery = time.Second

// lockLog creates the app's log row if needed and locks it until the
// transaction ends.
const lockLog = `INSERT INTO app_logs AS l (app, pos) VALUES ($1, 0)
	ON CONFLICT (app) DO UPDATE SET pos = l.pos RETURNING pos`

// numberEvents numbers up to $2 of app $1's committed, unnumbered events
// in id order after the app's last position, moves that position, and
// notifies the followers when it numbered any. It returns the app's last
// position and how many it numbered.
const numberEvents = `WITH
	todo AS (
		SELECT id, row_number() OVER (ORDER BY id) AS n
		FROM (SELECT id FROM events WHERE app = $1 AND pos IS NULL ORDER BY id LIMIT $2) s
	),
	base AS (SELECT pos FROM app_logs WHERE app = $1),
	numbered AS (
		UPDATE events e SET pos = base.pos + todo.n FROM todo, base
		WHERE e.app = $1 AND e.pos IS NULL AND e.id = todo.id
		RETURNING e.pos
	),
	moved AS (
		UPDATE app_logs SET pos = coalesce((SELECT max(pos) FROM numbered), app_logs.pos)
		WHERE app = $1 RETURNING pos
	),
	counted AS (SELECT count(*) AS n FROM numbered)
SELECT moved.pos, counted.n,
	CASE WHEN counted.n > 0 THEN pg_notify('` + eventsChannel + `', $1::text || ':' || moved.pos::text) END
FROM moved, counted`

// unnumberedApps lists the apps that have events without a position.
const unnumberedApps = `SELECT DISTINCT app FROM events WHERE pos IS NULL`

// newSequencer returns a sequencer for db, not yet running.
func newSequencer(db *DB) *sequencer {
	return &sequencer{db: db, dirty: make(map[uint32]struct{}), retry: make(map[uint32]struct{}), wake: make(chan struct{}, 1),
		stop: make(chan struct{}), done: make(chan struct{})}
}

// written records that events of apps have committed. It never blocks.
func (q *sequencer) written(apps []uint32) {
	if len(apps) == 0 {
		return
	}
	q.mu.Lock()
	for _, a := range apps {
		q.dirty[a] = struct{}{}
	}
	q.mu.Unlock()
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

// run numbers events until close.
func (q *sequencer) run() {
	defer close(q.done)
	tick := time.NewTicker(pollEvery)
	defer tick.Stop()
	for {
		poll := false
		select {
		case <-q.stop:
			q.pass(false) // what this node committed last, if the database answers at once
			return
		case <-q.wake:
		case <-tick.C:
			poll = true
		}
		q.pass(poll)
	}
}

// pass numbers the events of the dirty apps, and with poll of every app
// that has unnumbered events.
func (q *sequencer) pass(poll bool) {
	ctx, cancel := context.WithTimeout(inBackground(context.Background()), 10*time.Second)
	defer cancel()
	q.mu.Lock()
	apps := make([]uint32, 0, len(q.dirty))
	for a := range q.dirty {
		apps = append(apps, a)
	}
	clear(q.dirty)
	if poll {
		for a := range q.retry {
			apps = append(apps, a)
		}
		clear(q.retry)
	}
	q.mu.Unlock()
	if poll {
		found, err := q.unnumbered(ctx)
		if err != nil {
			q.db.log.Warn("postgres: sequencer: list apps", "err", err)
		}
		apps = append(apps, found...)
	}
	for _, app := range apps {
		for {
			n, err := q.number(ctx, app)
			if err != nil {
				q.db.log.Warn("postgres: sequencer: number events", "app", app, "err", err)
				q.mu.Lock()
				q.retry[app] = struct{}{} // at the next poll, not at once: no busy loop
				q.mu.Unlock()
				break
			}
			if n < numberBatch {
				break
			}
		}
	}
}

// unnumbered returns the apps that have unnumbered events.
func (q *sequencer) unnumbered(ctx context.Context) ([]uint32, error) {
	t, err := q.db.begin(ctx, false)
	if err != nil {
		return nil, err
	}
	defer q.db.end(ctx, t)
	return all(ctx, t, pgx.RowTo[uint32], unnumberedApps)
}

// number runs one numbering transaction for app, in one round trip, and
// returns how many events it numbered.
func (q *sequencer) number(ctx context.Context, app uint32) (int, error) {
	t, err := q.db.begin(ctx, true)
	if err != nil {
		return 0, err
	}
	defer q.db.end(ctx, t)
	t.later(`SET LOCAL synchronous_commit = off`)
	t.later(lockLog, app)
	br, err := t.send(ctx, statement{numberEvents, []any{app, numberBatch}}, statement{`COMMIT`, nil})
	if err != nil {
		return 0, err
	}
	defer br.Close()
	var last, n int64
	var notified *string
	if err := br.QueryRow().Scan(&last, &n, &notified); err != nil {
		return 0, wrap(err)
	}
	if _, err := br.Exec(); err != nil {
		return 0, wrap(err)
	}
	t.begun = false
	return int(n), nil
}

// close stops the sequencer after a last pass.
func (q *sequencer) close() {
	close(q.stop)
	<-q.done
}
