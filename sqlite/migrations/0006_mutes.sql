-- Mutes (root mute.go: ZEGO's MuteGroup and MuteGroupMembers) and the rooms'
-- verification settings (root joinmode.go: ZEGO's ModifyGroupLimit).
-- Times are Unix nanoseconds; until 0 means until lifted. An expired mute may
-- keep its row until it is replaced or lifted: reads compare until with the
-- clock, so no sweep is needed. All of a room's rows go when it is
-- dismissed, and a member's mute when the member leaves.

ALTER TABLE rooms ADD COLUMN join_mode INTEGER NOT NULL DEFAULT 0;
ALTER TABLE rooms ADD COLUMN invite_mode INTEGER NOT NULL DEFAULT 0;
ALTER TABLE rooms ADD COLUMN be_invited_mode INTEGER NOT NULL DEFAULT 0;

-- The room-level mute: every member (all_members 1) or the roles listed
-- (roles, a JSON array of numbers).
CREATE TABLE room_mutes (
    app         INTEGER NOT NULL,
    room        TEXT    NOT NULL,
    all_members INTEGER NOT NULL DEFAULT 0,
    roles       TEXT    NOT NULL DEFAULT '[]',
    until       INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (app, room)
) WITHOUT ROWID;

-- The mutes of single members.
CREATE TABLE member_mutes (
    app   INTEGER NOT NULL,
    room  TEXT    NOT NULL,
    user  TEXT    NOT NULL,
    until INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (app, room, user)
) WITHOUT ROWID;
