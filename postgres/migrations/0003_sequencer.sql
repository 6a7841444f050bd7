-- Event positions are given after commit, by the sequencer (sequencer.go),
-- instead of under a per-app row lock held through every writer's commit.
-- A writer inserts its events with pos NULL; their id, from an identity
-- column, orders them: a room's writers take turns under the room's row
-- lock, so a room's events get ids in seq order. The sequencer numbers an
-- app's committed, unnumbered events in id order, under the app's app_logs
-- row lock, and moves app_logs.pos.
ALTER TABLE events ADD COLUMN id bigint GENERATED ALWAYS AS IDENTITY;
ALTER TABLE events ALTER COLUMN pos DROP NOT NULL;
CREATE INDEX events_unsequenced ON events (app, id) WHERE pos IS NULL;

-- Leases: a named job (an app's callback delivery) that one node at a time
-- may do. holder is the node's id; a lease whose until (Unix nanoseconds)
-- has passed may be taken by any node.
CREATE TABLE leases (
    name   text   PRIMARY KEY,
    holder text   NOT NULL,
    until  bigint NOT NULL
);

-- roomd_fail fails the statement that calls it with a domain error when
-- code is not NULL: SQLSTATE RD001, the code as DETAIL, msg as MESSAGE.
-- Writes sent without waiting for their answer (pipelined with COMMIT)
-- use it to refuse, so that the transaction fails instead of committing.
CREATE FUNCTION roomd_fail(code text, msg text) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
    IF code IS NOT NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'RD001', MESSAGE = msg, DETAIL = code;
    END IF;
    RETURN true;
END
$$;
