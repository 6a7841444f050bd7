-- Seats (the Tencent room engine's seats, root seat.go) and member marks
-- (root mark.go). All of a room's rows go when it is dismissed.

-- One row per seat that is taken or locked; a seat without a row is free and
-- unlocked. video_disabled and audio_disabled belong to the seated user.
CREATE TABLE seats (
    app            INTEGER NOT NULL,
    room           TEXT    NOT NULL,
    idx            INTEGER NOT NULL,
    user           TEXT    NOT NULL DEFAULT '',
    locked         INTEGER NOT NULL DEFAULT 0,
    video_disabled INTEGER NOT NULL DEFAULT 0,
    audio_disabled INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (app, room, idx)
) WITHOUT ROWID;

-- A user holds at most one seat of a room.
CREATE UNIQUE INDEX seats_user ON seats (app, room, user) WHERE user <> '';

-- Pending requests to take a seat (TakeSeatMode ApplyToTake), at most one
-- per member; idx is the seat asked for, -1 for any; at is Unix nanoseconds.
CREATE TABLE seat_requests (
    app  INTEGER NOT NULL,
    room TEXT    NOT NULL,
    user TEXT    NOT NULL,
    idx  INTEGER NOT NULL,
    at   INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (app, room, user)
) WITHOUT ROWID;

-- The marks of room members (mark_room_member), one row per mark.
CREATE TABLE member_marks (
    app  INTEGER NOT NULL,
    room TEXT    NOT NULL,
    user TEXT    NOT NULL,
    mark INTEGER NOT NULL,
    PRIMARY KEY (app, room, user, mark)
) WITHOUT ROWID;
