-- Request numbers come from a per-merchant counter instead of counting all the merchant's requests.
ALTER TABLE merchants ADD COLUMN request_seq INTEGER NOT NULL DEFAULT 0;
UPDATE merchants SET request_seq = (SELECT COUNT(*) FROM requests WHERE requests.merchant_id = merchants.id);
