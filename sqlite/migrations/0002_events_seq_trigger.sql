-- Keep rooms.seq equal to the room's last event seq inside the INSERT that
-- writes the event, instead of a second statement from Go for every change.
CREATE TRIGGER events_seq AFTER INSERT ON events
BEGIN
    UPDATE rooms SET seq = max(seq, NEW.seq) WHERE app = NEW.app AND id = NEW.room;
END;
