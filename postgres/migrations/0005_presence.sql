-- Who is online, shared by the nodes of a deployment (presence.go): a row
-- per user with a logged-in gateway connection on a node. A node's rows
-- count while its row in presence_nodes lasts (until, Unix nanoseconds by
-- the database's clock), which the node renews every few seconds: the
-- users of a node that died are offline once it lapses.
CREATE TABLE presence_nodes (
    node  text   PRIMARY KEY,
    until bigint NOT NULL
);

CREATE TABLE presence (
    app     bigint NOT NULL,
    user_id text   NOT NULL,
    node    text   NOT NULL,
    PRIMARY KEY (app, user_id, node)
);

CREATE INDEX presence_node ON presence (node);
