-- The periods during which each user was a member of each room, by the seq
-- of the event that added them (joined) and of the one that removed them
-- (left, 0 while a member): what a user may read of a room's event log,
-- kept apart from the log so that it survives the log's compaction.
CREATE TABLE memberships (
    app    INTEGER NOT NULL,
    room   TEXT    NOT NULL,
    user   TEXT    NOT NULL,
    joined INTEGER NOT NULL,
    left   INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (app, room, user, joined)
) WITHOUT ROWID;

CREATE INDEX memberships_open ON memberships (app, room, left);

-- The current members of a database made before this table: from the last
-- member.joined that added them, or from the room's start if it is gone.
INSERT INTO memberships (app, room, user, joined)
SELECT m.app, m.room, m.user,
       COALESCE((SELECT max(e.seq) FROM events e
                 WHERE e.app = m.app AND e.room = m.room AND e.type = 'member.joined'
                   AND json_extract(e.payload, '$.user_id') = m.user), 1)
FROM members m;
