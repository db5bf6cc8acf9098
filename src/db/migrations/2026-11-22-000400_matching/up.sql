-- Matching owned comics to catalog issues: one row per classification run, the suggestions a
-- run left for review, and a journal of every value written to comicbooks.id_comicbook_info so
-- that a run can be undone exactly. Babelcomics4's tables are only read and, for the one
-- column a classification sets, updated; nothing here refers to them with a foreign key.
CREATE TABLE vz_classification_runs (
    id INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    started_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    model TEXT NOT NULL,
    threshold REAL NOT NULL,
    margin REAL NOT NULL,
    auto_apply BOOLEAN NOT NULL,
    considered INTEGER NOT NULL DEFAULT 0,
    applied INTEGER NOT NULL DEFAULT 0
);

-- The best candidates for an owned comic, best first (rank 0), from the latest run that
-- looked at it. The signals are kept so the review page can say why.
CREATE TABLE vz_suggestions (
    comic_id INTEGER NOT NULL,
    rank INTEGER NOT NULL CHECK (rank >= 0),
    run_id INTEGER NOT NULL REFERENCES vz_classification_runs (id),
    id_comicbook_info INTEGER NOT NULL,
    id_cover INTEGER NOT NULL,
    visual REAL NOT NULL,
    hash REAL,
    series REAL,
    number REAL,
    year REAL,
    combined REAL NOT NULL,
    PRIMARY KEY (comic_id, rank)
);

-- Every classification written, with the value it replaced (NULL and '' kept apart), written
-- in the same transaction and before the change itself.
CREATE TABLE vz_classification_journal (
    id INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    run_id INTEGER NOT NULL REFERENCES vz_classification_runs (id),
    comic_id INTEGER NOT NULL,
    old_value TEXT,
    new_value TEXT NOT NULL,
    applied_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%f', 'now')),
    undone_at TEXT
);
CREATE INDEX vz_classification_journal_run ON vz_classification_journal (run_id);
