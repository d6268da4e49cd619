-- Money lives in the quote JSON as decimal strings, and as integer minor units where SQL sums it.

CREATE TABLE merchants (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    publishable_key TEXT NOT NULL UNIQUE,
    secret_key_hash TEXT NOT NULL UNIQUE,
    signing_secret TEXT NOT NULL,
    allowed_origins TEXT NOT NULL,
    created_at TEXT NOT NULL
);

CREATE TABLE policies (
    merchant_id TEXT NOT NULL REFERENCES merchants(id),
    version INTEGER NOT NULL,
    body TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (merchant_id, version)
);

CREATE TABLE orders (
    id TEXT PRIMARY KEY,
    merchant_id TEXT NOT NULL REFERENCES merchants(id),
    number TEXT NOT NULL,
    customer_email TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (merchant_id, number)
);

CREATE TABLE requests (
    id TEXT PRIMARY KEY,
    merchant_id TEXT NOT NULL REFERENCES merchants(id),
    order_id TEXT NOT NULL REFERENCES orders(id),
    number TEXT NOT NULL,
    customer_email TEXT NOT NULL,
    kind TEXT NOT NULL,
    reason TEXT NOT NULL,
    body TEXT NOT NULL,
    quote TEXT NOT NULL,
    total_minor INTEGER NOT NULL,
    currency TEXT NOT NULL,
    policy_version INTEGER NOT NULL,
    evidence TEXT NOT NULL,
    state TEXT NOT NULL,
    submitted_at TEXT NOT NULL,
    last_event_at TEXT NOT NULL,
    approved_at TEXT,
    shipped_back_at TEXT,
    deadline_kind TEXT,
    deadline_at TEXT,
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
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    request_id TEXT NOT NULL REFERENCES requests(id),
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    before_state TEXT,
    after_state TEXT NOT NULL,
    detail TEXT NOT NULL,
    at TEXT NOT NULL
);
CREATE INDEX audit_by_request ON audit (request_id, seq);

CREATE TABLE idempotency (
    merchant_id TEXT NOT NULL,
    key TEXT NOT NULL,
    body_hash TEXT NOT NULL,
    status INTEGER,
    response TEXT,
    created_at TEXT NOT NULL,
    PRIMARY KEY (merchant_id, key)
);

CREATE TABLE evidence (
    id TEXT PRIMARY KEY,
    merchant_id TEXT NOT NULL REFERENCES merchants(id),
    order_id TEXT NOT NULL REFERENCES orders(id),
    request_id TEXT REFERENCES requests(id),
    content_type TEXT NOT NULL,
    bytes BLOB NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX evidence_by_order ON evidence (order_id);
