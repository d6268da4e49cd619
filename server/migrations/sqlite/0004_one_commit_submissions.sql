-- Every change to an order or its requests raises the order's version: the server caches each
-- order's ledger under it.
ALTER TABLE orders ADD COLUMN version INTEGER NOT NULL DEFAULT 0;
-- A key is now claimed and answered in the transaction that records its request. A key row
-- without an answer could only be left by the old separate claim, and recorded nothing.
DELETE FROM idempotency WHERE status IS NULL;
ALTER TABLE idempotency DROP COLUMN claim;
