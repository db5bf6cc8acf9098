-- Owned comics whose cover could not be read, with the size and modification time (in
-- nanoseconds since 1970; -1 when the file could not be found) their file had then. They
-- are not read again until the file changes, or until a command is asked to retry them.
CREATE TABLE vz_unreadable_comics (
    comic_id INTEGER NOT NULL PRIMARY KEY,
    file_size BIGINT NOT NULL,
    file_modified BIGINT NOT NULL,
    reason TEXT NOT NULL,
    found_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
);
