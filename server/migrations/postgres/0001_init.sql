-- The PostgreSQL schema: the same tables as SQLite's, with types that fit the database.
-- Money lives in the quote JSON as decimal strings, and as integer minor units where SQL sums it.

CREATE TABLE merchants (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    publishable_key TEXT NOT NULL UNIQUE,
    secret_key_hash TEXT NOT NULL UNIQUE,
    signing_secret TEXT NOT NULL,
    allowed_origins JSONB NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE policies (
    merchant_id TEXT NOT NULL REFERENCES merchants(id),
    version BIGINT NOT NULL,
    body JSONB NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (merchant_id, version)
);

CREATE TABLE orders (
    id TEXT PRIMARY KEY,
    merchant_id TEXT NOT NULL REFERENCES merchants(id),
    number TEXT NOT NULL,
    customer_email TEXT NOT NULL,
    body JSONB NOT NULL,
    -- Raised by every change to the order or its requests: the servers cache ledgers by it.
    version BIGINT NOT NULL DEFAULT 0,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    UNIQUE (merchant_id, number)
);

-- Request numbers: one sequence for every merchant, so numbering takes no lock (numbers are
-- unique per merchant, increasing, with gaps).
CREATE SEQUENCE request_numbers;

CREATE TABLE requests (
    id TEXT PRIMARY KEY,
    merchant_id TEXT NOT NULL REFERENCES merchants(id),
    order_id TEXT NOT NULL REFERENCES orders(id),
    number TEXT NOT NULL,
    customer_email TEXT NOT NULL,
    kind TEXT NOT NULL,
    reason TEXT NOT NULL,
    body JSONB NOT NULL,
    quote JSONB NOT NULL,
    total_minor BIGINT NOT NULL,
    currency TEXT NOT NULL,
    policy_version BIGINT NOT NULL,
    evidence JSONB NOT NULL,
    state TEXT NOT NULL,
    submitted_at TIMESTAMPTZ NOT NULL,
    last_event_at TIMESTAMPTZ NOT NULL,
    approved_at TIMESTAMPTZ,
    shipped_back_at TIMESTAMPTZ,
    deadline_kind TEXT,
    deadline_at TIMESTAMPTZ,
    carrier TEXT,
    tracking_number TEXT,
    reject_reason TEXT,
    UNIQUE (merchant_id, number)
);
CREATE INDEX requests_by_order ON requests (order_id);
CREATE INDEX requests_by_merchant ON requests (merchant_id, submitted_at DESC, id DESC);
CREATE INDEX requests_by_customer ON requests (merchant_id, customer_email, submitted_at);
CREATE INDEX requests_by_deadline ON requests (deadline_at) WHERE deadline_at IS NOT NULL;

CREATE TABLE audit (
    seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    request_id TEXT NOT NULL REFERENCES requests(id),
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    before_state TEXT,
    after_state TEXT NOT NULL,
    detail JSONB NOT NULL,
    at TIMESTAMPTZ NOT NULL
);
CREATE INDEX audit_by_request ON audit (request_id, seq);

-- The answer is stored as text, not JSONB, so a replay is byte for byte the first answer.
CREATE TABLE idempotency (
    merchant_id TEXT NOT NULL REFERENCES merchants(id),
    key TEXT NOT NULL,
    body_hash TEXT NOT NULL,
    status BIGINT,
    response TEXT,
    created_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (merchant_id, key)
);

CREATE TABLE evidence (
    id TEXT PRIMARY KEY,
    merchant_id TEXT NOT NULL REFERENCES merchants(id),
    order_id TEXT NOT NULL REFERENCES orders(id),
    request_id TEXT REFERENCES requests(id),
    content_type TEXT NOT NULL,
    bytes BYTEA NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX evidence_by_order ON evidence (order_id);
