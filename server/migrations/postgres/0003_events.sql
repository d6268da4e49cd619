-- Events out, as SQLite's 0006: the outbox, webhook endpoints and their deliveries, e-mails.

ALTER TABLE requests ADD COLUMN lang TEXT NOT NULL DEFAULT 'zh-CN';

CREATE TABLE events (
    seq BIGSERIAL PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    merchant_id TEXT NOT NULL REFERENCES merchants(id),
    request_id TEXT REFERENCES requests(id),
    type TEXT NOT NULL,
    body JSONB NOT NULL,
    -- Sequence values are taken before commit, so a later seq may commit first: the feed only
    -- reads events of transactions older than every one still running (pg_snapshot_xmin).
    txid XID8 NOT NULL DEFAULT pg_current_xact_id(),
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX events_by_merchant ON events (merchant_id, seq);

CREATE TABLE webhook_endpoints (
    id TEXT PRIMARY KEY,
    merchant_id TEXT NOT NULL REFERENCES merchants(id),
    url TEXT NOT NULL,
    types JSONB NOT NULL,
    enabled BOOLEAN NOT NULL,
    disabled_reason TEXT,
    secret TEXT NOT NULL,
    old_secret TEXT,
    old_secret_until TIMESTAMPTZ,
    failing_since TIMESTAMPTZ,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX webhook_endpoints_by_merchant ON webhook_endpoints (merchant_id);

CREATE TABLE deliveries (
    seq BIGSERIAL PRIMARY KEY,
    endpoint_id TEXT NOT NULL REFERENCES webhook_endpoints(id),
    event_seq BIGINT NOT NULL REFERENCES events(seq),
    request_id TEXT,
    state TEXT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    next_at TIMESTAMPTZ NOT NULL,
    lease_until TIMESTAMPTZ,
    UNIQUE (endpoint_id, event_seq)
);
CREATE INDEX deliveries_due ON deliveries (next_at) WHERE state = 'pending';
CREATE INDEX deliveries_by_request ON deliveries (endpoint_id, request_id, event_seq);

CREATE TABLE delivery_attempts (
    seq BIGSERIAL PRIMARY KEY,
    delivery_seq BIGINT NOT NULL REFERENCES deliveries(seq),
    at TIMESTAMPTZ NOT NULL,
    status BIGINT,
    latency_ms BIGINT NOT NULL,
    excerpt TEXT NOT NULL,
    error TEXT
);
CREATE INDEX delivery_attempts_by_delivery ON delivery_attempts (delivery_seq, seq);

CREATE TABLE emails (
    seq BIGSERIAL PRIMARY KEY,
    merchant_id TEXT NOT NULL REFERENCES merchants(id),
    event_seq BIGINT REFERENCES events(seq),
    to_addr TEXT NOT NULL,
    subject TEXT NOT NULL,
    text_body TEXT NOT NULL,
    html_body TEXT NOT NULL,
    state TEXT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    next_at TIMESTAMPTZ NOT NULL,
    lease_until TIMESTAMPTZ,
    last_error TEXT
);
CREATE INDEX emails_due ON emails (next_at) WHERE state = 'pending';
