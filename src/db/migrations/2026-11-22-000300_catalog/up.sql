-- The file on disk that holds each downloaded catalog cover, by the cover's row in
-- comicbooks_info_covers. Two covers of a volume can share a file name (a main cover and a
-- variant cut from the same upload), and the second is then saved as {stem}_variant_{n}.{ext}:
-- this table says which file is whose, so an interrupted import continues without guessing.
-- `file_name` is relative to the volume's folder under the thumbnails base.
CREATE TABLE vz_catalog_cover_files (
    id_cover INTEGER NOT NULL PRIMARY KEY,
    file_name TEXT NOT NULL,
    downloaded_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
);
