-- Who holds an unanswered key: only that attempt may answer it or let it go.
ALTER TABLE idempotency ADD COLUMN claim TEXT;
