package postgres

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/roomd/roomd"
)

// Presence is a roomd.Presence shared by the nodes on one database: a user
// is online if a logged-in gateway connection of theirs is open on any
// live node.
//
// Each node answers for its own connections from memory (local, the
// gateway's hub) and writes them to the presence table: the hub tells it
// when a user may have come or gone (Changed), and Run writes the user's
// state as the hub then has it, within flushEvery. Run also renews the
// node's row in presence_nodes every ttl/5; the rows of a node count only
// while that row lasts, so the users of a node that died go offline within
// ttl. Online asks local first, then the table for the other nodes' users,
// in one query.
type Presence struct {
	db    *DB
	node  string
	local roomd.Presence
	ttl   time.Duration

	mu    sync.Mutex
	dirty map[presenceKey]struct{} // users whose state may have changed since the last write
	wake  chan struct{}
}

// presenceKey is a user of an app.
type presenceKey struct {
	app  uint32
	user string
}

// PresenceTTL is how long a node's users count as online after its last
// renewal.
const PresenceTTL = 10 * time.Second

// flushEvery is how often, at most, a node writes its presence changes.
const flushEvery = 20 * time.Millisecond

var _ roomd.Presence = (*Presence)(nil)

// Presence returns the deployment-wide presence of node, whose own users
// local knows. ttl 0 means PresenceTTL. Call Run to share it.
func (db *DB) Presence(node string, local roomd.Presence, ttl time.Duration) *Presence {
	if ttl <= 0 {
		ttl = PresenceTTL
	}
	return &Presence{db: db, node: node, local: local, ttl: ttl,
		dirty: make(map[presenceKey]struct{}), wake: make(chan struct{}, 1)}
}

// Changed records that user of app may have come online or gone offline
// on this node (gateway.Hub.WatchPresence). It never blocks.
func (p *Presence) Changed(app uint32, user string) {
	p.mu.Lock()
	p.dirty[presenceKey{app, user}] = struct{}{}
	p.mu.Unlock()
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

// Online returns those of users online on this node or on another live
// node. Returns EINTERNAL when the database fails.
func (p *Presence) Online(ctx context.Context, app uint32, users []string) (map[string]bool, error) {
	out, err := p.local.Online(ctx, app, users)
	if err != nil {
		return nil, err
	}
	var rest []string
	for _, u := range users {
		if !out[u] {
			rest = append(rest, u)
		}
	}
	if len(rest) == 0 {
		return out, nil
	}
	rows, _ := p.db.pool.Query(ctx, `SELECT DISTINCT p.user_id FROM presence p JOIN presence_nodes n ON n.node = p.node
		WHERE p.app = $1 AND p.user_id = ANY($2) AND p.node <> $3 AND n.until > `+dbNanos, app, rest, p.node)
	remote, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, wrap(err)
	}
	for _, u := range remote {
		out[u] = true
	}
	return out, nil
}

// Run shares this node's presence until ctx ends, then deletes its rows.
// It returns ctx's error.
func (p *Presence) Run(ctx context.Context) error {
	ctx = inBackground(ctx)
	renew := time.NewTicker(p.ttl / 5)
	defer renew.Stop()
	p.renew(ctx)
	for {
		select {
		case <-ctx.Done():
			p.leave()
			return ctx.Err()
		case <-renew.C:
			p.renew(ctx)
		case <-p.wake:
			p.flush(ctx)
			select { // let changes gather
			case <-time.After(flushEvery):
			case <-ctx.Done():
			}
		}
	}
}

// renew extends this node's row, and deletes the rows of nodes that
// lapsed long ago.
func (p *Presence) renew(ctx context.Context) {
	b := &pgx.Batch{}
	b.Queue(`INSERT INTO presence_nodes (node, until) VALUES ($1, `+dbNanos+` + $2)
		ON CONFLICT (node) DO UPDATE SET until = excluded.until`, p.node, p.ttl.Nanoseconds())
	b.Queue(`WITH gone AS (DELETE FROM presence_nodes WHERE until < `+dbNanos+` - $1 RETURNING node)
		DELETE FROM presence WHERE node IN (SELECT node FROM gone)`, (6 * p.ttl).Nanoseconds())
	if err := p.db.pool.SendBatch(ctx, b).Close(); err != nil && ctx.Err() == nil {
		p.db.log.Warn("postgres: presence: renew this node", "node", p.node, "err", err)
	}
}

// flush writes the state of the users that changed, as local has it now.
func (p *Presence) flush(ctx context.Context) {
	p.mu.Lock()
	dirty := p.dirty
	p.dirty = make(map[presenceKey]struct{})
	p.mu.Unlock()
	byApp := map[uint32][]string{}
	for k := range dirty {
		byApp[k.app] = append(byApp[k.app], k.user)
	}
	for app, users := range byApp {
		err := p.write(ctx, app, users)
		if err != nil && ctx.Err() == nil {
			p.db.log.Warn("postgres: presence: write", "app", app, "err", err)
			for _, u := range users { // again at the next change or renewal
				p.Changed(app, u)
			}
		}
	}
}

// write stores whether each of users of app is online here.
func (p *Presence) write(ctx context.Context, app uint32, users []string) error {
	online, err := p.local.Online(ctx, app, users)
	if err != nil {
		return err
	}
	var on, off []string
	for _, u := range users {
		if online[u] {
			on = append(on, u)
		} else {
			off = append(off, u)
		}
	}
	b := &pgx.Batch{}
	b.Queue(`INSERT INTO presence (app, user_id, node) SELECT $1, u, $3 FROM unnest($2::text[]) u
		ON CONFLICT DO NOTHING`, app, on, p.node)
	b.Queue(`DELETE FROM presence WHERE app = $1 AND user_id = ANY($2) AND node = $3`, app, off, p.node)
	p.db.seqTrips.Add(1)
	return p.db.pool.SendBatch(ctx, b).Close()
}

// leave deletes this node's rows, so that its users are offline at once.
func (p *Presence) leave() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	b := &pgx.Batch{}
	b.Queue(`DELETE FROM presence WHERE node = $1`, p.node)
	b.Queue(`DELETE FROM presence_nodes WHERE node = $1`, p.node)
	if err := p.db.pool.SendBatch(ctx, b).Close(); err != nil && !errors.Is(err, context.Canceled) {
		p.db.log.Warn("postgres: presence: leave", "node", p.node, "err", err)
	}
}
