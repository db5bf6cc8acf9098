-- What each owned comic's own tags (ComicInfo.xml, MetronInfo.xml) say about it, as the last
-- scan read them: the ComicVine issue id and the names matching weighs above the file name's.
-- A row with every field NULL records that the comic was read and has no tags; `ignored` is
-- why a tag file that could not be used was left out. Undoing a classification leaves these.
CREATE TABLE vz_comic_tags (
    comic_id INTEGER NOT NULL PRIMARY KEY,
    comicvine_issue INTEGER,
    series TEXT,
    number TEXT,
    volume TEXT,
    year INTEGER,
    ignored TEXT,
    read_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
);

-- Two more reasons a candidate was suggested: the comic's tags name it, and the comic's
-- folder siblings were classified to its volume.
ALTER TABLE vz_suggestions ADD COLUMN tagged BOOLEAN NOT NULL DEFAULT 0;
ALTER TABLE vz_suggestions ADD COLUMN same_folder BOOLEAN NOT NULL DEFAULT 0;
