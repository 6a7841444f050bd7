-- Initial schema. Times are Unix nanoseconds (0 = zero time); JSON columns
-- hold encoding/json text.

CREATE TABLE users (
    app        INTEGER NOT NULL,
    id         TEXT    NOT NULL,
    name       TEXT    NOT NULL DEFAULT '',
    avatar     TEXT    NOT NULL DEFAULT '',
    extra      TEXT    NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (app, id)
) WITHOUT ROWID;

-- A dismissed room keeps its row (dismissed = 1) until its id is used again;
-- reads of live rooms filter on dismissed = 0. A room's seq is not stored
-- here: it is the seq of its last event, read from the events table.
CREATE TABLE rooms (
    app         INTEGER NOT NULL,
    id          TEXT    NOT NULL,
    name        TEXT    NOT NULL DEFAULT '',
    notice      TEXT    NOT NULL DEFAULT '',
    avatar      TEXT    NOT NULL DEFAULT '',
    type        TEXT    NOT NULL DEFAULT '',
    custom_info TEXT    NOT NULL DEFAULT '',
    max_members INTEGER NOT NULL DEFAULT 0,
    attributes  TEXT    NOT NULL DEFAULT 'null',
    props       TEXT    NOT NULL DEFAULT 'null',
    owner       TEXT    NOT NULL DEFAULT '',
    created_at  INTEGER NOT NULL DEFAULT 0,
    dismissed   INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (app, id)
) WITHOUT ROWID;

CREATE INDEX rooms_live ON rooms (app, dismissed, id);

CREATE TABLE members (
    app         INTEGER NOT NULL,
    room        TEXT    NOT NULL,
    user        TEXT    NOT NULL,
    role        INTEGER NOT NULL,
    name_card   TEXT    NOT NULL DEFAULT '',
    custom_info TEXT    NOT NULL DEFAULT '',
    joined_at   INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (app, room, user),
    FOREIGN KEY (app, room) REFERENCES rooms (app, id)
) WITHOUT ROWID;

CREATE INDEX members_join_order ON members (app, room, joined_at, user);
CREATE INDEX members_of_user ON members (app, user);

CREATE TABLE bans (
    app        INTEGER NOT NULL,
    room       TEXT    NOT NULL,
    user       TEXT    NOT NULL,
    until      INTEGER NOT NULL DEFAULT 0,
    reason     TEXT    NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (app, room, user)
) WITHOUT ROWID;

CREATE TABLE events (
    app     INTEGER NOT NULL,
    room    TEXT    NOT NULL,
    seq     INTEGER NOT NULL,
    type    TEXT    NOT NULL,
    actor   TEXT    NOT NULL DEFAULT '',
    payload TEXT    NOT NULL DEFAULT '',
    time    INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (app, room, seq)
) WITHOUT ROWID;

CREATE TABLE callbacks (
    app      INTEGER PRIMARY KEY,
    url      TEXT NOT NULL,
    commands TEXT NOT NULL DEFAULT 'null'
);
