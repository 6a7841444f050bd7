-- A membership is of a registered user. PutMember locks the user's key
-- (FOR KEY SHARE) until its transaction ends, so a deletion of the user
-- running side by side waits for it and then fails on the membership it
-- committed (23503 on members_user). Update runs the deletion again, and
-- then it sees and removes that membership.
ALTER TABLE members ADD CONSTRAINT members_user FOREIGN KEY (app, user_id) REFERENCES users (app, id);
