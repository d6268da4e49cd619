-- Events out: the outbox (an event row commits with its change, or neither does), webhook
-- endpoints and their deliveries, and the shopper's e-mails.

-- The shopper's language when they sent the request, for their e-mails.
ALTER TABLE requests ADD COLUMN lang TEXT NOT NULL DEFAULT 'zh-CN';

CREATE TABLE events (
    -- The feed's cursor: with one writer, commit order is seq order.
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    merchant_id TEXT NOT NULL REFERENCES merchants(id),
    request_id TEXT REFERENCES requests(id),
    type TEXT NOT NULL,
    -- JSON refund_api::Event, exactly as every delivery sends it.
    body TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX events_by_merchant ON events (merchant_id, seq);

CREATE TABLE webhook_endpoints (
    id TEXT PRIMARY KEY,
    merchant_id TEXT NOT NULL REFERENCES merchants(id),
    url TEXT NOT NULL,
    -- JSON array of event types; empty: all.
    types TEXT NOT NULL,
    enabled INTEGER NOT NULL,
    disabled_reason TEXT,
    secret TEXT NOT NULL,
    old_secret TEXT,
    old_secret_until TEXT,
    failing_since TEXT,
    created_at TEXT NOT NULL
);
CREATE INDEX webhook_endpoints_by_merchant ON webhook_endpoints (merchant_id);

CREATE TABLE deliveries (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    endpoint_id TEXT NOT NULL REFERENCES webhook_endpoints(id),
    event_seq INTEGER NOT NULL REFERENCES events(seq),
    -- Deliveries of one request reach an endpoint in order: a later one waits for this one.
    request_id TEXT,
    state TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_at TEXT NOT NULL,
    -- A dispatcher holds it until then; after a crash another takes it (at least once).
    lease_until TEXT,
    UNIQUE (endpoint_id, event_seq)
);
CREATE INDEX deliveries_due ON deliveries (state, next_at);
CREATE INDEX deliveries_by_request ON deliveries (endpoint_id, request_id, event_seq);

CREATE TABLE delivery_attempts (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    delivery_seq INTEGER NOT NULL REFERENCES deliveries(seq),
    at TEXT NOT NULL,
    status INTEGER,
    latency_ms INTEGER NOT NULL,
    excerpt TEXT NOT NULL,
    error TEXT
);
CREATE INDEX delivery_attempts_by_delivery ON delivery_attempts (delivery_seq, seq);

CREATE TABLE emails (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    merchant_id TEXT NOT NULL REFERENCES merchants(id),
    event_seq INTEGER REFERENCES events(seq),
    to_addr TEXT NOT NULL,
    subject TEXT NOT NULL,
    text_body TEXT NOT NULL,
    html_body TEXT NOT NULL,
    state TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_at TEXT NOT NULL,
    lease_until TEXT,
    last_error TEXT
);
CREATE INDEX emails_due ON emails (state, next_at);
