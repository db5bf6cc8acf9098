//! The owned comic files (`comicbooks`) as the library scan sees them, and the thumbnails folder
//! Babelcomics4 is set up with. Rows are only ever added here: a file that disappeared from
//! disk keeps its row, because it may only be on a drive that is not mounted.

use std::collections::HashMap;

use diesel::prelude::*;

use super::schema::comicbooks;
use super::{Database, DbError};

/// A file's size and modification time, as far as they tell whether it changed: a comic that
/// could not be read is read again once its file's stamp differs from the one recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileStamp {
    /// In bytes; -1 when the file could not be found.
    pub size: i64,
    /// In nanoseconds since 1970; -1 when the file could not be found.
    pub modified: i64,
}

impl FileStamp {
    /// The stamp of the file at `path` now (links followed).
    pub fn of(path: &std::path::Path) -> Self {
        let Ok(metadata) = std::fs::metadata(path) else {
            return Self {
                size: -1,
                modified: -1,
            };
        };
        let modified = metadata
            .modified()
            .ok()
            .and_then(|time| time.duration_since(std::time::UNIX_EPOCH).ok())
            .map_or(-1, |since| {
                i64::try_from(since.as_nanos()).unwrap_or(i64::MAX)
            });
        Self {
            size: i64::try_from(metadata.len()).unwrap_or(i64::MAX),
            modified,
        }
    }
}

/// A comic file known to the collection.
#[derive(Debug, Clone, PartialEq, Eq, Queryable)]
pub struct ComicRow {
    pub id_comicbook: i32,
    pub path: String,
}

/// A comic as the collection grid shows it: its file, the catalog issue it is classified as
/// (with that issue's volume and number when the catalog has it), and where it stands.
#[derive(Debug, Clone, PartialEq, Eq, QueryableByName)]
pub struct ComicTileRow {
    #[diesel(sql_type = diesel::sql_types::Integer)]
    pub id_comicbook: i32,
    #[diesel(sql_type = diesel::sql_types::Text)]
    pub path: String,
    /// `id_comicbook_info` trimmed; `None` when unclassified (NULL, empty or blank).
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    pub issue: Option<String>,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    pub volume: Option<String>,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    pub number: Option<String>,
    #[diesel(sql_type = diesel::sql_types::Bool)]
    pub in_trash: bool,
    /// Classification left a suggestion to review for it.
    #[diesel(sql_type = diesel::sql_types::Bool)]
    pub suggested: bool,
}

impl Database {
    /// Every comic file in the collection, trash included.
    pub fn comic_paths(&mut self) -> Result<Vec<ComicRow>, DbError> {
        Ok(comicbooks::table
            .select((comicbooks::id_comicbook, comicbooks::path))
            .order(comicbooks::id_comicbook)
            .load(self.conn())?)
    }

    /// The comic files out of the trash, by id.
    pub fn comics_out_of_the_trash(&mut self) -> Result<Vec<ComicRow>, DbError> {
        Ok(comicbooks::table
            .filter(comicbooks::en_papelera.eq(false))
            .select((comicbooks::id_comicbook, comicbooks::path))
            .order(comicbooks::id_comicbook)
            .load(self.conn())?)
    }

    /// Up to `limit` comics with an id above `after`, in id order, trash included: one page of
    /// the collection grid. The next page starts after the last id of this one.
    pub fn comic_tiles(&mut self, after: i32, limit: i64) -> Result<Vec<ComicTileRow>, DbError> {
        // The issue id is text in Babelcomics4; the cast lets SQLite look the issue up by key.
        Ok(diesel::sql_query(
            "SELECT c.id_comicbook, c.path, \
                    nullif(trim(coalesce(c.id_comicbook_info, '')), '') AS issue, \
                    v.nombre AS volume, i.numero AS number, c.en_papelera AS in_trash, \
                    EXISTS (SELECT 1 FROM vz_suggestions s \
                            WHERE s.comic_id = c.id_comicbook AND s.rank = 0) AS suggested \
             FROM comicbooks c \
             LEFT JOIN comicbooks_info i ON i.id_comicbook_info = \
                  CAST(nullif(trim(coalesce(c.id_comicbook_info, '')), '') AS INTEGER) \
             LEFT JOIN volumens v ON v.id_volume = i.id_volume \
             WHERE c.id_comicbook > ? ORDER BY c.id_comicbook LIMIT ?",
        )
        .bind::<diesel::sql_types::Integer, _>(after)
        .bind::<diesel::sql_types::BigInt, _>(limit)
        .load(self.conn())?)
    }

    /// Adds a comic file as Babelcomics4 does (unclassified, no stars, not in the trash) and
    /// returns its id. A path already there keeps its row and its id is returned.
    pub fn add_comic(&mut self, path: &str) -> Result<i32, DbError> {
        Ok(add_comic(self.conn(), path)?)
    }

    /// Adds several comic files in one transaction, returning their ids in the same order.
    pub fn add_comics(&mut self, paths: &[&str]) -> Result<Vec<i32>, DbError> {
        if paths.is_empty() {
            return Ok(Vec::new());
        }
        self.conn()
            .immediate_transaction::<_, diesel::result::Error, _>(|conn| {
                paths.iter().map(|path| add_comic(conn, path)).collect()
            })
            .map_err(DbError::from)
    }

    /// Records what reading each comic's cover found, in one transaction: `Some(entry)` when
    /// the page `entry` is a truncated image, `None` when the cover was whole (which clears
    /// an earlier finding).
    pub fn record_cover_reads(&mut self, reads: &[(i32, Option<&str>)]) -> Result<(), DbError> {
        if reads.is_empty() {
            return Ok(());
        }
        self.conn()
            .immediate_transaction::<_, diesel::result::Error, _>(|conn| {
                for (comic_id, truncated) in reads {
                    match truncated {
                        Some(entry) => diesel::sql_query(
                            "INSERT INTO vz_truncated_covers (comic_id, entry) VALUES (?, ?) \
                             ON CONFLICT (comic_id) DO UPDATE SET entry = excluded.entry, \
                             found_at = excluded.found_at",
                        )
                        .bind::<diesel::sql_types::Integer, _>(comic_id)
                        .bind::<diesel::sql_types::Text, _>(entry)
                        .execute(conn)?,
                        None => {
                            diesel::sql_query("DELETE FROM vz_truncated_covers WHERE comic_id = ?")
                                .bind::<diesel::sql_types::Integer, _>(comic_id)
                                .execute(conn)?
                        }
                    };
                }
                Ok(())
            })
            .map_err(DbError::from)
    }

    /// The comics whose cover is a truncated image, with the page that is, by comic id.
    pub fn truncated_covers(&mut self) -> Result<HashMap<i32, String>, DbError> {
        #[derive(QueryableByName)]
        struct Row {
            #[diesel(sql_type = diesel::sql_types::Integer)]
            comic_id: i32,
            #[diesel(sql_type = diesel::sql_types::Text)]
            entry: String,
        }
        let rows: Vec<Row> = diesel::sql_query("SELECT comic_id, entry FROM vz_truncated_covers")
            .load(self.conn())?;
        Ok(rows
            .into_iter()
            .map(|row| (row.comic_id, row.entry))
            .collect())
    }

    /// Records the comics whose cover could not be read, each with its file as it was then,
    /// in one transaction.
    pub fn record_unreadable_comics(
        &mut self,
        comics: &[(i32, FileStamp, &str)],
    ) -> Result<(), DbError> {
        if comics.is_empty() {
            return Ok(());
        }
        self.conn()
            .immediate_transaction::<_, diesel::result::Error, _>(|conn| {
                for (comic_id, stamp, reason) in comics {
                    diesel::sql_query(
                        "INSERT INTO vz_unreadable_comics (comic_id, file_size, file_modified, reason) \
                         VALUES (?, ?, ?, ?) ON CONFLICT (comic_id) DO UPDATE SET \
                         file_size = excluded.file_size, file_modified = excluded.file_modified, \
                         reason = excluded.reason, found_at = excluded.found_at",
                    )
                    .bind::<diesel::sql_types::Integer, _>(comic_id)
                    .bind::<diesel::sql_types::BigInt, _>(stamp.size)
                    .bind::<diesel::sql_types::BigInt, _>(stamp.modified)
                    .bind::<diesel::sql_types::Text, _>(reason)
                    .execute(conn)?;
                }
                Ok(())
            })
            .map_err(DbError::from)
    }

    /// Forgets that these comics could not be read (their cover was read since).
    pub fn forget_unreadable_comics(&mut self, comic_ids: &[i32]) -> Result<(), DbError> {
        for chunk in comic_ids.chunks(500) {
            let marks = vec!["?"; chunk.len()].join(", ");
            let mut query = diesel::sql_query(format!(
                "DELETE FROM vz_unreadable_comics WHERE comic_id IN ({marks})"
            ))
            .into_boxed();
            for id in chunk {
                query = query.bind::<diesel::sql_types::Integer, _>(*id);
            }
            query.execute(self.conn())?;
        }
        Ok(())
    }

    /// The comics whose cover could not be read, with their file as it was then, by comic id.
    pub fn unreadable_comics(&mut self) -> Result<HashMap<i32, FileStamp>, DbError> {
        #[derive(QueryableByName)]
        struct Row {
            #[diesel(sql_type = diesel::sql_types::Integer)]
            comic_id: i32,
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            file_size: i64,
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            file_modified: i64,
        }
        let rows: Vec<Row> = diesel::sql_query(
            "SELECT comic_id, file_size, file_modified FROM vz_unreadable_comics",
        )
        .load(self.conn())?;
        Ok(rows
            .into_iter()
            .map(|row| {
                let stamp = FileStamp {
                    size: row.file_size,
                    modified: row.file_modified,
                };
                (row.comic_id, stamp)
            })
            .collect())
    }

    /// The page each comic has marked as its cover in Babelcomics4 (`comicbooks_detail` rows
    /// with `tipoPagina = 1`), by comic id.
    pub fn marked_cover_pages(&mut self) -> Result<HashMap<i32, String>, DbError> {
        #[derive(QueryableByName)]
        struct Row {
            #[diesel(sql_type = diesel::sql_types::Integer)]
            comicbook_id: i32,
            #[diesel(sql_type = diesel::sql_types::Text)]
            nombre_pagina: String,
        }
        let rows: Vec<Row> = diesel::sql_query(
            "SELECT comicbook_id, nombre_pagina FROM comicbooks_detail \
             WHERE \"tipoPagina\" = 1 AND coalesce(nombre_pagina, '') <> '' \
             ORDER BY \"ordenPagina\", \"indicePagina\"",
        )
        .load(self.conn())?;
        let mut marked = HashMap::new();
        for row in rows {
            // The first marked page of a comic wins.
            marked.entry(row.comicbook_id).or_insert(row.nombre_pagina);
        }
        Ok(marked)
    }

    /// `setups.carpeta_thumbnails` of the first settings row, when there is a non-empty one.
    pub fn babelcomics_thumbnails_folder(&mut self) -> Result<Option<String>, DbError> {
        #[derive(QueryableByName)]
        struct Row {
            #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
            carpeta_thumbnails: Option<String>,
        }
        // Older Babelcomics4 databases may predate the column.
        if !self.has_column("setups", "carpeta_thumbnails")? {
            return Ok(None);
        }
        let row: Option<Row> =
            diesel::sql_query("SELECT carpeta_thumbnails FROM setups ORDER BY setupkey LIMIT 1")
                .get_result(self.conn())
                .optional()?;
        Ok(row
            .and_then(|row| row.carpeta_thumbnails)
            .map(|folder| folder.trim().to_owned())
            .filter(|folder| !folder.is_empty()))
    }

    /// Sets the thumbnails folder as Babelcomics4's preferences would, for tests.
    #[cfg(test)]
    pub(crate) fn set_babelcomics_thumbnails_folder(
        &mut self,
        folder: &str,
    ) -> Result<(), DbError> {
        diesel::sql_query(
            "INSERT INTO setups (setupkey, carpeta_thumbnails) VALUES (1, ?1) \
             ON CONFLICT (setupkey) DO UPDATE SET carpeta_thumbnails = excluded.carpeta_thumbnails",
        )
        .bind::<diesel::sql_types::Text, _>(folder)
        .execute(self.conn())?;
        Ok(())
    }
}

fn add_comic(conn: &mut SqliteConnection, path: &str) -> Result<i32, diesel::result::Error> {
    diesel::insert_into(comicbooks::table)
        .values((
            comicbooks::path.eq(path),
            comicbooks::id_comicbook_info.eq(""),
            comicbooks::calidad.eq(0),
            comicbooks::en_papelera.eq(false),
        ))
        .on_conflict(comicbooks::path)
        .do_nothing()
        .execute(conn)?;
    comicbooks::table
        .filter(comicbooks::path.eq(path))
        .select(comicbooks::id_comicbook)
        .first(conn)
}

#[cfg(test)]
mod tests {
    use crate::db;

    #[test]
    fn adding_a_comic_twice_keeps_one_row() {
        let mut db = db::open_in_memory().expect("open");
        let first = db.add_comic("/comics/Saga 001.cbz").expect("add");
        let again = db.add_comic("/comics/Saga 001.cbz").expect("add again");
        assert_eq!(first, again);
        let rows = db.comic_paths().expect("list");
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].path, "/comics/Saga 001.cbz");
        let summary = db.collection_summary().expect("summary");
        assert_eq!((summary.comics, summary.classified), (1, 0));
    }

    #[test]
    fn comic_tiles_page_through_the_collection_with_their_issue() {
        use diesel::connection::SimpleConnection;
        let mut db = db::open_in_memory().expect("open");
        let ids = db
            .add_comics(&["/c/Saga 001.cbz", "/c/Saga 002.cbz", "/c/x.cbz", "/c/y.cbz"])
            .expect("add");
        db.conn()
            .batch_execute(&format!(
                "INSERT INTO volumens (id_volume, nombre) VALUES (7, 'Saga'); \
                 INSERT INTO comicbooks_info (id_comicbook_info, id_volume, numero, fecha_tapa) \
                 VALUES (70, 7, '1', 2012); \
                 UPDATE comicbooks SET id_comicbook_info = ' 70 ' WHERE id_comicbook = {}; \
                 UPDATE comicbooks SET id_comicbook_info = '999' WHERE id_comicbook = {}; \
                 UPDATE comicbooks SET en_papelera = 1 WHERE id_comicbook = {};",
                ids[0], ids[1], ids[3]
            ))
            .expect("classify");
        let first = db.comic_tiles(0, 3).expect("first page");
        assert_eq!(first.len(), 3);
        assert_eq!(first[0].issue.as_deref(), Some("70"));
        assert_eq!(first[0].volume.as_deref(), Some("Saga"));
        assert_eq!(first[0].number.as_deref(), Some("1"));
        // Classified as an issue the catalog does not have.
        assert_eq!(first[1].issue.as_deref(), Some("999"));
        assert_eq!(first[1].volume, None);
        assert_eq!(
            (first[2].issue.as_deref(), first[2].in_trash),
            (None, false)
        );
        let rest = db.comic_tiles(first[2].id_comicbook, 3).expect("next page");
        assert_eq!(rest.len(), 1);
        assert_eq!(
            (rest[0].path.as_str(), rest[0].in_trash),
            ("/c/y.cbz", true)
        );
        assert!(!rest[0].suggested);
    }

    #[test]
    fn marked_cover_pages_come_from_the_page_details() {
        use diesel::connection::SimpleConnection;
        let mut db = db::open_in_memory().expect("open");
        let id = db.add_comic("/comics/a.cbz").expect("add");
        db.conn()
            .batch_execute(&format!(
                "INSERT INTO comicbooks_detail (comicbook_id, \"indicePagina\", \"ordenPagina\", \
                 \"tipoPagina\", nombre_pagina) VALUES ({id}, 0, 0, 0, '001.jpg'), \
                 ({id}, 1, 1, 1, '002.jpg'), ({id}, 2, 2, 1, '003.jpg')"
            ))
            .expect("insert details");
        let marked = db.marked_cover_pages().expect("query");
        assert_eq!(marked.get(&id).map(String::as_str), Some("002.jpg"));
        assert_eq!(marked.len(), 1);
    }

    #[test]
    fn no_setups_row_means_no_configured_folder() {
        let mut db = db::open_in_memory().expect("open");
        assert_eq!(db.babelcomics_thumbnails_folder().expect("query"), None);
        db.set_babelcomics_thumbnails_folder("  ").expect("set");
        assert_eq!(db.babelcomics_thumbnails_folder().expect("query"), None);
        db.set_babelcomics_thumbnails_folder("thumbs").expect("set");
        assert_eq!(
            db.babelcomics_thumbnails_folder()
                .expect("query")
                .as_deref(),
            Some("thumbs")
        );
    }
}
