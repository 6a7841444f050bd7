-- The whole schema of roomd's PostgreSQL store, the tables of SQLite's
-- migrations 0001 to 0006. Times are Unix nanoseconds in bigint (0 = the
-- zero time): timestamptz keeps only microseconds. JSON columns hold
-- encoding/json text, kept byte for byte.

CREATE TABLE users (
    app        bigint NOT NULL,
    id         text   NOT NULL,
    name       text   NOT NULL DEFAULT '',
    avatar     text   NOT NULL DEFAULT '',
    extra      text   NOT NULL DEFAULT '',
    created_at bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (app, id)
);

-- A dismissed room keeps its row (dismissed) until its id is used again.
-- seq is the seq of the last event written for the room (AppendEvents keeps
-- it), so that Room reads it from the row it locks.
CREATE TABLE rooms (
    app             bigint  NOT NULL,
    id              text    NOT NULL,
    name            text    NOT NULL DEFAULT '',
    notice          text    NOT NULL DEFAULT '',
    avatar          text    NOT NULL DEFAULT '',
    type            text    NOT NULL DEFAULT '',
    custom_info     text    NOT NULL DEFAULT '',
    max_members     bigint  NOT NULL DEFAULT 0,
    attributes      text    NOT NULL DEFAULT 'null',
    props           text    NOT NULL DEFAULT 'null',
    owner           text    NOT NULL DEFAULT '',
    created_at      bigint  NOT NULL DEFAULT 0,
    join_mode       integer NOT NULL DEFAULT 0,
    invite_mode     integer NOT NULL DEFAULT 0,
    be_invited_mode integer NOT NULL DEFAULT 0,
    seq             bigint  NOT NULL DEFAULT 0,
    dismissed       boolean NOT NULL DEFAULT false,
    PRIMARY KEY (app, id)
);

CREATE INDEX rooms_live ON rooms (app, id) WHERE NOT dismissed;

CREATE TABLE members (
    app         bigint  NOT NULL,
    room        text    NOT NULL,
    user_id     text    NOT NULL,
    role        integer NOT NULL,
    name_card   text    NOT NULL DEFAULT '',
    custom_info text    NOT NULL DEFAULT '',
    joined_at   bigint  NOT NULL DEFAULT 0,
    PRIMARY KEY (app, room, user_id),
    FOREIGN KEY (app, room) REFERENCES rooms (app, id)
);

CREATE INDEX members_join_order ON members (app, room, joined_at, user_id);
CREATE INDEX members_of_user ON members (app, user_id);

CREATE TABLE bans (
    app        bigint NOT NULL,
    room       text   NOT NULL,
    user_id    text   NOT NULL,
    until      bigint NOT NULL DEFAULT 0,
    reason     text   NOT NULL DEFAULT '',
    created_at bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (app, room, user_id)
);

-- pos is the event's place in its app's log of all rooms, in commit order.
CREATE TABLE events (
    app     bigint NOT NULL,
    room    text   NOT NULL,
    seq     bigint NOT NULL,
    type    text   NOT NULL,
    actor   text   NOT NULL DEFAULT '',
    payload text   NOT NULL DEFAULT '',
    at      bigint NOT NULL DEFAULT 0,
    pos     bigint NOT NULL,
    PRIMARY KEY (app, room, seq)
);

CREATE UNIQUE INDEX events_pos ON events (app, pos);

-- The last position given in each app's log. AppendEvents moves it with
-- an upsert whose row lock lasts until commit, so positions are taken in
-- commit order, without gaps.
CREATE TABLE app_logs (
    app bigint PRIMARY KEY,
    pos bigint NOT NULL
);

CREATE TABLE callbacks (
    app      bigint PRIMARY KEY,
    url      text NOT NULL,
    commands text NOT NULL DEFAULT 'null'
);

-- Signature nonces, shared by every node: a row is a claim until expires
-- (Unix nanoseconds); an expired row may be claimed again or purged.
CREATE TABLE nonces (
    app     bigint NOT NULL,
    nonce   bytea  NOT NULL,
    expires bigint NOT NULL,
    PRIMARY KEY (app, nonce)
);

CREATE INDEX nonces_expiry ON nonces (app, expires);

-- The periods during which each user was a member of each room, by the seq
-- of the event that added them (joined) and of the one that removed them
-- (ended, 0 while a member).
CREATE TABLE memberships (
    app     bigint NOT NULL,
    room    text   NOT NULL,
    user_id text   NOT NULL,
    joined  bigint NOT NULL,
    ended   bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (app, room, user_id, joined)
);

CREATE INDEX memberships_open ON memberships (app, room, ended);

CREATE TABLE hook_cursors (
    app   bigint NOT NULL,
    style text   NOT NULL,
    pos   bigint NOT NULL,
    PRIMARY KEY (app, style)
);

-- One row per seat that is taken or locked; a seat without a row is free
-- and unlocked.
CREATE TABLE seats (
    app            bigint  NOT NULL,
    room           text    NOT NULL,
    idx            integer NOT NULL,
    user_id        text    NOT NULL DEFAULT '',
    locked         boolean NOT NULL DEFAULT false,
    video_disabled boolean NOT NULL DEFAULT false,
    audio_disabled boolean NOT NULL DEFAULT false,
    PRIMARY KEY (app, room, idx)
);

-- A user holds at most one seat of a room.
CREATE UNIQUE INDEX seats_user ON seats (app, room, user_id) WHERE user_id <> '';

-- Pending requests to take a seat; idx -1 asks for any.
CREATE TABLE seat_requests (
    app     bigint  NOT NULL,
    room    text    NOT NULL,
    user_id text    NOT NULL,
    idx     integer NOT NULL,
    at      bigint  NOT NULL DEFAULT 0,
    PRIMARY KEY (app, room, user_id)
);

CREATE TABLE member_marks (
    app     bigint NOT NULL,
    room    text   NOT NULL,
    user_id text   NOT NULL,
    mark    bigint NOT NULL,
    PRIMARY KEY (app, room, user_id, mark)
);

-- The room-level mute: every member (all_members) or the roles listed
-- (roles, a JSON array of numbers); until 0 means until lifted.
CREATE TABLE room_mutes (
    app         bigint  NOT NULL,
    room        text    NOT NULL,
    all_members boolean NOT NULL DEFAULT false,
    roles       text    NOT NULL DEFAULT '[]',
    until       bigint  NOT NULL DEFAULT 0,
    PRIMARY KEY (app, room)
);

CREATE TABLE member_mutes (
    app     bigint NOT NULL,
    room    text   NOT NULL,
    user_id text   NOT NULL,
    until   bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (app, room, user_id)
);
