-- Owned comics whose cover page is a truncated image: its file ends before the picture does,
-- so the decoder filled the rest grey. Their matches are suggested for review, never applied
-- automatically. `entry` is the page read; a row goes when a later read finds the cover whole.
CREATE TABLE vz_truncated_covers (
    comic_id INTEGER NOT NULL PRIMARY KEY,
    entry TEXT NOT NULL,
    found_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
);
