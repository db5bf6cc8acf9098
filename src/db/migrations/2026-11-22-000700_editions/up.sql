-- A candidate whose cover is the same picture as another candidate's in another volume: the
-- same cover in several editions (an original and its translation by another publisher).
ALTER TABLE vz_suggestions ADD COLUMN edition BOOLEAN NOT NULL DEFAULT 0;

-- The edition the user picked in review when several shared the comic's cover: the publisher
-- matching prefers for such ties is learnt from these while the user has not set one. A pick
-- the user took back (the comic no longer holds that issue) no longer counts.
CREATE TABLE vz_edition_choices (
    comic_id INTEGER NOT NULL PRIMARY KEY,
    id_comicbook_info INTEGER NOT NULL,
    id_publisher INTEGER,
    chosen_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
);
