-- Call-rate limits shared by the nodes (postgres/limit.go): one token
-- bucket per key (app and action, or app, action and group). tokens is
-- what the bucket held at `at` (Unix nanoseconds: the latest caller's
-- clock that took from it); granted is what the last take got, for its
-- RETURNING. A node takes tokens in chunks and spends them locally, so a
-- row is written about twenty times a second per busy key and node, not
-- once per call. The rate and burst are not stored: each take passes the
-- ones configured. Rows idle for minutes are deleted now and then (a
-- bucket idle that long is full, as a new row starts); no index on `at`,
-- so that every take is a HOT update, and room on each page for them.
CREATE TABLE limits (
    key     text             PRIMARY KEY,
    tokens  double precision NOT NULL,
    at      bigint           NOT NULL,
    granted integer          NOT NULL
) WITH (fillfactor = 50);
