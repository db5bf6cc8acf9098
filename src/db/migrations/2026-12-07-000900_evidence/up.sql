-- A candidate whose catalog cover picture could not be read when it was scored (no file,
-- unreadable, truncated): it was suggested on its embedding alone and is never applied alone.
ALTER TABLE vz_suggestions ADD COLUMN unreadable_cover BOOLEAN NOT NULL DEFAULT 0;

-- A second, different ComicVine issue that another tag of the same file names (ComicInfo's
-- Web against its Notes, or MetronInfo against ComicInfo): tags that contradict each other
-- decide nothing.
ALTER TABLE vz_comic_tags ADD COLUMN comicvine_conflict BIGINT;
