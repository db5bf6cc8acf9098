ALTER TABLE vz_comic_tags DROP COLUMN comicvine_conflict;
ALTER TABLE vz_suggestions DROP COLUMN unreadable_cover;
