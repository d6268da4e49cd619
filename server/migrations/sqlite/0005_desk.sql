-- The refund desk: staff and their sessions, assignment, the thread with the shopper, reply
-- templates, return addresses, and who on the merchant's side took each step.

CREATE TABLE staff (
    id TEXT PRIMARY KEY,
    merchant_id TEXT NOT NULL REFERENCES merchants(id),
    -- Trimmed and lower case; one account per e-mail across merchants, so sign-in needs no store.
    email TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    role TEXT NOT NULL,
    active INTEGER NOT NULL DEFAULT 1,
    -- Argon2id (PHC string); NULL until the set-up link is used.
    password_hash TEXT,
    -- SHA-256 of the set-up link's token, while it is valid.
    setup_hash TEXT UNIQUE,
    setup_expires_at TEXT,
    -- Round-robin assignment hands the next request to the agent assigned longest ago.
    last_assigned_at TEXT,
    created_at TEXT NOT NULL
);
CREATE INDEX staff_by_merchant ON staff (merchant_id);

CREATE TABLE desk_sessions (
    -- SHA-256 of the cookie's token: a stolen table signs nobody in.
    token_hash TEXT PRIMARY KEY,
    staff_id TEXT NOT NULL REFERENCES staff(id),
    csrf_token TEXT NOT NULL,
    created_at TEXT NOT NULL,
    last_seen_at TEXT NOT NULL
);
CREATE INDEX desk_sessions_by_staff ON desk_sessions (staff_id);

ALTER TABLE merchants ADD COLUMN auto_assign INTEGER NOT NULL DEFAULT 1;

ALTER TABLE requests ADD COLUMN assignee TEXT REFERENCES staff(id);
-- JSON: where the goods go back (refund_api::ReturnTo), a template's rejection in both
-- languages (Bilingual), the payout as recorded (PayoutRecord).
ALTER TABLE requests ADD COLUMN return_to TEXT;
ALTER TABLE requests ADD COLUMN reject_text TEXT;
ALTER TABLE requests ADD COLUMN payout TEXT;
-- The last message each side has read (messages.seq).
ALTER TABLE requests ADD COLUMN shopper_read_seq INTEGER NOT NULL DEFAULT 0;
ALTER TABLE requests ADD COLUMN desk_read_seq INTEGER NOT NULL DEFAULT 0;
CREATE INDEX requests_by_assignee ON requests (merchant_id, assignee);

-- JSON refund_api::ActedBy, for the merchant's steps.
ALTER TABLE audit ADD COLUMN by_who TEXT;

CREATE TABLE messages (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    request_id TEXT NOT NULL REFERENCES requests(id),
    author TEXT NOT NULL,
    by_who TEXT,
    body TEXT NOT NULL,
    photos TEXT NOT NULL,
    asks_for_photos INTEGER NOT NULL,
    at TEXT NOT NULL
);
CREATE INDEX messages_by_request ON messages (request_id, seq);

CREATE TABLE reply_templates (
    id TEXT PRIMARY KEY,
    merchant_id TEXT NOT NULL REFERENCES merchants(id),
    -- JSON refund_api::TemplateBody (and AddressBody below).
    body TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX reply_templates_by_merchant ON reply_templates (merchant_id);

CREATE TABLE return_addresses (
    id TEXT PRIMARY KEY,
    merchant_id TEXT NOT NULL REFERENCES merchants(id),
    body TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX return_addresses_by_merchant ON return_addresses (merchant_id);
