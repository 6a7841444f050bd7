-- Callbacks (webhooks): each event gets pos, its place in its app's log of
-- all rooms in commit order (1, 2, 3... per app), and each app a delivery
-- cursor per callback style: the pos up to which its callbacks are done.
ALTER TABLE events ADD COLUMN pos INTEGER NOT NULL DEFAULT 0;

-- The events of a database made before this table, numbered in the order
-- they were written as far as it is known: by time, then room and seq.
UPDATE events SET pos = n.pos FROM (
    SELECT app, room, seq, row_number() OVER (PARTITION BY app ORDER BY time, room, seq) AS pos FROM events
) AS n WHERE events.app = n.app AND events.room = n.room AND events.seq = n.seq;

CREATE UNIQUE INDEX events_pos ON events (app, pos);

CREATE TABLE hook_cursors (
    app   INTEGER NOT NULL,
    style TEXT    NOT NULL,
    pos   INTEGER NOT NULL,
    PRIMARY KEY (app, style)
) WITHOUT ROWID;
