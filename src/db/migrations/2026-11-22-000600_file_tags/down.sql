ALTER TABLE vz_suggestions DROP COLUMN same_folder;
ALTER TABLE vz_suggestions DROP COLUMN tagged;
DROP TABLE vz_comic_tags;
