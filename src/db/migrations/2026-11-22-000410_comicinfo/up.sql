-- Every ComicInfo.xml Vistazo wrote into a comic file, with the one it replaced (NULL: the
-- file had none), recorded before the file is replaced, so that undoing the classification
-- run puts the previous one back. `path` is the file as it was written.
CREATE TABLE vz_comicinfo_journal (
    id INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    run_id INTEGER NOT NULL REFERENCES vz_classification_runs (id),
    comic_id INTEGER NOT NULL,
    path TEXT NOT NULL,
    old_xml BLOB,
    new_xml BLOB NOT NULL,
    written_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%f', 'now')),
    restored_at TEXT
);
CREATE INDEX vz_comicinfo_journal_run ON vz_comicinfo_journal (run_id);
