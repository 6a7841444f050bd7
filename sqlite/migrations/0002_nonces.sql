-- Signature nonces of authenticated requests (ZEGO's SignatureNonce), kept
-- until they expire so that a signed request is accepted once, also across
-- restarts. Rows are appended in arrival order; the store looks nonces up in
-- memory and reads this table back when it opens. key is a 64-bit hash of
-- the nonce (stored as a signed integer); expires is in Unix seconds.
CREATE TABLE nonces (
    id      INTEGER PRIMARY KEY,
    app     INTEGER NOT NULL,
    key     INTEGER NOT NULL,
    expires INTEGER NOT NULL
);

CREATE INDEX nonces_expiry ON nonces (expires);
