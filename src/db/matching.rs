//! What matching reads and writes: the catalog covers with their issue and volume, the owned
//! comics still to classify, the embeddings Babelcomics4 stored as JSON, classification runs,
//! suggestions, and the journal that makes every classification undoable.
//!
//! The only Babelcomics4 value this module ever changes is `comicbooks.id_comicbook_info`, and
//! only after the value it replaces is in `vz_classification_journal`, in the same
//! transaction. It never touches a comic in the trash.

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool, Double, Integer, Nullable, Text};

use super::embeddings::Subject;
use super::{Database, DbError};

/// A catalog cover with what matching needs to know about its issue and where its file is.
#[derive(Debug, Clone, PartialEq, QueryableByName)]
pub struct CatalogCoverRow {
    #[diesel(sql_type = Integer)]
    pub id_cover: i32,
    #[diesel(sql_type = Integer)]
    pub id_comicbook_info: i32,
    #[diesel(sql_type = Integer)]
    pub id_volume: i32,
    #[diesel(sql_type = Text)]
    pub volume_name: String,
    #[diesel(sql_type = Text)]
    pub numero: String,
    /// Cover year; 0 when the catalog does not know it.
    #[diesel(sql_type = Integer)]
    pub fecha_tapa: i32,
    #[diesel(sql_type = Text)]
    pub url_imagen: String,
    /// Its place among its issue's covers, by id: 0 the main cover, k the k-th variant, which
    /// Babelcomics4 names its file after.
    #[diesel(sql_type = Integer)]
    pub variant: i32,
    /// The file recorded for this cover by a catalog import, relative to its volume's folder.
    #[diesel(sql_type = Nullable<Text>)]
    pub file_name: Option<String>,
}

/// An owned comic as classification sees it.
#[derive(Debug, Clone, PartialEq, Eq, QueryableByName)]
pub struct OwnedComic {
    #[diesel(sql_type = Integer)]
    pub id_comicbook: i32,
    #[diesel(sql_type = Text)]
    pub path: String,
    /// Exactly what the row holds: `None` is SQL NULL, kept apart from `''`.
    #[diesel(sql_type = Nullable<Text>)]
    pub id_comicbook_info: Option<String>,
}

/// One stored candidate of a suggestion, with the signals that scored it.
#[derive(Debug, Clone, PartialEq, QueryableByName)]
pub struct StoredCandidate {
    #[diesel(sql_type = BigInt)]
    pub run_id: i64,
    #[diesel(sql_type = Integer)]
    pub id_comicbook_info: i32,
    #[diesel(sql_type = Integer)]
    pub id_cover: i32,
    #[diesel(sql_type = Double)]
    pub visual: f64,
    #[diesel(sql_type = Nullable<Double>)]
    pub hash: Option<f64>,
    #[diesel(sql_type = Nullable<Double>)]
    pub series: Option<f64>,
    #[diesel(sql_type = Nullable<Double>)]
    pub number: Option<f64>,
    #[diesel(sql_type = Nullable<Double>)]
    pub year: Option<f64>,
    #[diesel(sql_type = Double)]
    pub combined: f64,
    /// The comic's own tags name this issue.
    #[diesel(sql_type = Bool)]
    pub tagged: bool,
    /// The comic's folder siblings were classified to this volume.
    #[diesel(sql_type = Bool)]
    pub same_folder: bool,
    /// Its cover is the same picture as another candidate's in another volume.
    #[diesel(sql_type = Bool)]
    pub edition: bool,
    /// Its cover picture could not be read when it was scored.
    #[diesel(sql_type = Bool)]
    pub unreadable_cover: bool,
}

/// What undoing a run did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct UndoSummary {
    /// Comics whose previous value was put back.
    pub restored: u64,
    /// Comics left as they are because their value changed again after the run.
    pub changed_since: u64,
}

#[derive(QueryableByName)]
struct IdRow {
    #[diesel(sql_type = BigInt)]
    id: i64,
}

impl Database {
    /// Every catalog cover, by cover id, with its issue and volume.
    pub fn catalog_covers(&mut self) -> Result<Vec<CatalogCoverRow>, DbError> {
        Ok(diesel::sql_query(
            "SELECT c.id_cover, c.id_comicbook_info, i.id_volume, \
                    coalesce(v.nombre, '') AS volume_name, coalesce(i.numero, '') AS numero, \
                    coalesce(i.fecha_tapa, 0) AS fecha_tapa, c.url_imagen, f.file_name, \
                    row_number() OVER (PARTITION BY c.id_comicbook_info ORDER BY c.id_cover) - 1 \
                        AS variant \
             FROM comicbooks_info_covers c \
             JOIN comicbooks_info i ON i.id_comicbook_info = c.id_comicbook_info \
             LEFT JOIN volumens v ON v.id_volume = i.id_volume \
             LEFT JOIN vz_catalog_cover_files f ON f.id_cover = c.id_cover \
             ORDER BY c.id_cover",
        )
        .load(self.conn())?)
    }

    /// Comics not in the trash that classification may look at: the unclassified ones
    /// (`id_comicbook_info` NULL, empty or blank), and with `reclassify` the classified ones too.
    pub fn comics_to_classify(&mut self, reclassify: bool) -> Result<Vec<OwnedComic>, DbError> {
        let sql = if reclassify {
            "SELECT id_comicbook, path, id_comicbook_info FROM comicbooks \
             WHERE NOT en_papelera ORDER BY id_comicbook"
        } else {
            "SELECT id_comicbook, path, id_comicbook_info FROM comicbooks \
             WHERE NOT en_papelera AND trim(coalesce(id_comicbook_info, '')) = '' \
             ORDER BY id_comicbook"
        };
        Ok(diesel::sql_query(sql).load(self.conn())?)
    }

    /// The path of every classified comic out of the trash, with the catalog volume of its
    /// issue (comics classified to an issue the catalog lacks are left out).
    pub fn classified_comic_volumes(&mut self) -> Result<Vec<(String, i32)>, DbError> {
        #[derive(QueryableByName)]
        struct Row {
            #[diesel(sql_type = Text)]
            path: String,
            #[diesel(sql_type = Integer)]
            id_volume: i32,
        }
        let rows: Vec<Row> = diesel::sql_query(
            "SELECT c.path, i.id_volume FROM comicbooks c \
             JOIN comicbooks_info i ON i.id_comicbook_info = \
                  CAST(nullif(trim(coalesce(c.id_comicbook_info, '')), '') AS INTEGER) \
             WHERE NOT c.en_papelera AND i.id_volume IS NOT NULL ORDER BY c.id_comicbook",
        )
        .load(self.conn())?;
        Ok(rows.into_iter().map(|r| (r.path, r.id_volume)).collect())
    }

    /// The non-empty JSON embeddings Babelcomics4 stored for catalog covers or owned comics,
    /// by subject id; nothing when the database predates its `embedding` columns.
    pub fn babelcomics_embeddings(
        &mut self,
        subject: Subject,
    ) -> Result<Vec<(i64, String)>, DbError> {
        #[derive(QueryableByName)]
        struct Row {
            #[diesel(sql_type = BigInt)]
            id: i64,
            #[diesel(sql_type = Text)]
            embedding: String,
        }
        let (table, key) = match subject {
            Subject::Cover => ("comicbooks_info_covers", "id_cover"),
            Subject::Comic => ("comicbooks", "id_comicbook"),
            Subject::Photo => return Ok(Vec::new()),
        };
        if !self.has_column(table, "embedding")? {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT {key} AS id, embedding FROM {table} \
             WHERE embedding IS NOT NULL AND trim(embedding) <> '' ORDER BY {key}"
        );
        let rows: Vec<Row> = diesel::sql_query(sql).load(self.conn())?;
        Ok(rows.into_iter().map(|r| (r.id, r.embedding)).collect())
    }

    /// Records the start of a classification run and returns its id.
    pub fn start_classification_run(
        &mut self,
        model: &str,
        threshold: f64,
        margin: f64,
        auto_apply: bool,
    ) -> Result<i64, DbError> {
        let row: IdRow = diesel::sql_query(
            "INSERT INTO vz_classification_runs (model, threshold, margin, auto_apply) \
             VALUES (?, ?, ?, ?) RETURNING id",
        )
        .bind::<Text, _>(model)
        .bind::<Double, _>(threshold)
        .bind::<Double, _>(margin)
        .bind::<Bool, _>(auto_apply)
        .get_result(self.conn())?;
        Ok(row.id)
    }

    /// Records how many comics a run looked at and how many it classified.
    pub fn finish_classification_run(
        &mut self,
        run_id: i64,
        considered: u64,
        applied: u64,
    ) -> Result<(), DbError> {
        diesel::sql_query(
            "UPDATE vz_classification_runs SET considered = ?, applied = ? WHERE id = ?",
        )
        .bind::<BigInt, _>(i64::try_from(considered).unwrap_or(i64::MAX))
        .bind::<BigInt, _>(i64::try_from(applied).unwrap_or(i64::MAX))
        .bind::<BigInt, _>(run_id)
        .execute(self.conn())?;
        Ok(())
    }

    /// Replaces the suggestion of a comic with `candidates`, best first.
    pub fn replace_suggestion(
        &mut self,
        comic_id: i32,
        candidates: &[StoredCandidate],
    ) -> Result<(), DbError> {
        self.conn().transaction(|conn| {
            diesel::sql_query("DELETE FROM vz_suggestions WHERE comic_id = ?")
                .bind::<Integer, _>(comic_id)
                .execute(conn)?;
            for (rank, candidate) in candidates.iter().enumerate() {
                diesel::sql_query(
                    "INSERT INTO vz_suggestions (comic_id, rank, run_id, id_comicbook_info, \
                     id_cover, visual, hash, series, number, year, combined, tagged, \
                     same_folder, edition, unreadable_cover) \
                     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                )
                .bind::<Integer, _>(comic_id)
                .bind::<BigInt, _>(i64::try_from(rank).unwrap_or(i64::MAX))
                .bind::<BigInt, _>(candidate.run_id)
                .bind::<Integer, _>(candidate.id_comicbook_info)
                .bind::<Integer, _>(candidate.id_cover)
                .bind::<Double, _>(candidate.visual)
                .bind::<Nullable<Double>, _>(candidate.hash)
                .bind::<Nullable<Double>, _>(candidate.series)
                .bind::<Nullable<Double>, _>(candidate.number)
                .bind::<Nullable<Double>, _>(candidate.year)
                .bind::<Double, _>(candidate.combined)
                .bind::<Bool, _>(candidate.tagged)
                .bind::<Bool, _>(candidate.same_folder)
                .bind::<Bool, _>(candidate.edition)
                .bind::<Bool, _>(candidate.unreadable_cover)
                .execute(conn)?;
            }
            Ok::<_, diesel::result::Error>(())
        })?;
        Ok(())
    }

    /// The stored candidates for a comic, best first; empty when it has no suggestion.
    pub fn suggestion(&mut self, comic_id: i32) -> Result<Vec<StoredCandidate>, DbError> {
        Ok(diesel::sql_query(
            "SELECT run_id, id_comicbook_info, id_cover, visual, hash, series, number, year, \
             combined, tagged, same_folder, edition, unreadable_cover FROM vz_suggestions \
             WHERE comic_id = ? \
             ORDER BY rank",
        )
        .bind::<Integer, _>(comic_id)
        .load(self.conn())?)
    }

    /// The comics that have a suggestion, in comic order.
    pub fn suggested_comics(&mut self) -> Result<Vec<i32>, DbError> {
        #[derive(QueryableByName)]
        struct Row {
            #[diesel(sql_type = Integer)]
            comic_id: i32,
        }
        let rows: Vec<Row> =
            diesel::sql_query("SELECT DISTINCT comic_id FROM vz_suggestions ORDER BY comic_id")
                .load(self.conn())?;
        Ok(rows.into_iter().map(|r| r.comic_id).collect())
    }

    /// Classifies comic `comic_id` as catalog issue `id_comicbook_info`, journaled under
    /// `run_id`. `seen` is the value the caller based its decision on: when the row holds
    /// anything else now, or the comic went to the trash, nothing is written and `false` is
    /// returned. The journal row is written first, in the same transaction.
    pub fn apply_classification(
        &mut self,
        run_id: i64,
        comic_id: i32,
        seen: Option<&str>,
        id_comicbook_info: i32,
    ) -> Result<bool, DbError> {
        let new_value = id_comicbook_info.to_string();
        let applied = self.conn().immediate_transaction(|conn| {
            #[derive(QueryableByName)]
            struct Current {
                #[diesel(sql_type = Nullable<Text>)]
                id_comicbook_info: Option<String>,
                #[diesel(sql_type = Bool)]
                en_papelera: bool,
            }
            let current: Option<Current> = diesel::sql_query(
                "SELECT id_comicbook_info, en_papelera FROM comicbooks WHERE id_comicbook = ?",
            )
            .bind::<Integer, _>(comic_id)
            .get_result(conn)
            .optional()?;
            let Some(current) = current else {
                return Ok(false);
            };
            if current.en_papelera || current.id_comicbook_info.as_deref() != seen {
                return Ok(false);
            }
            diesel::sql_query(
                "INSERT INTO vz_classification_journal (run_id, comic_id, old_value, new_value) \
                 VALUES (?, ?, ?, ?)",
            )
            .bind::<BigInt, _>(run_id)
            .bind::<Integer, _>(comic_id)
            .bind::<Nullable<Text>, _>(current.id_comicbook_info.as_deref())
            .bind::<Text, _>(&new_value)
            .execute(conn)?;
            diesel::sql_query("UPDATE comicbooks SET id_comicbook_info = ? WHERE id_comicbook = ?")
                .bind::<Text, _>(&new_value)
                .bind::<Integer, _>(comic_id)
                .execute(conn)?;
            Ok::<_, diesel::result::Error>(true)
        })?;
        Ok(applied)
    }

    /// The latest run with classifications not yet undone.
    pub fn last_undoable_run(&mut self) -> Result<Option<i64>, DbError> {
        let row: Option<IdRow> = diesel::sql_query(
            "SELECT run_id AS id FROM vz_classification_journal WHERE undone_at IS NULL \
             ORDER BY id DESC LIMIT 1",
        )
        .get_result(self.conn())
        .optional()?;
        Ok(row.map(|r| r.id))
    }

    /// Puts back, newest first, the values run `run_id` replaced. A comic whose value is no
    /// longer the one the run wrote was changed since (by the user or Babelcomics4) and keeps
    /// it. All or nothing.
    pub fn undo_classification_run(&mut self, run_id: i64) -> Result<UndoSummary, DbError> {
        self.undo_journal(
            diesel::sql_query(
                "SELECT id, comic_id, old_value, new_value FROM vz_classification_journal \
                 WHERE run_id = ? AND undone_at IS NULL ORDER BY id DESC",
            )
            .bind::<BigInt, _>(run_id),
        )
    }

    /// Puts back what run `run_id` last wrote to comic `comic_id`, as
    /// [`Database::undo_classification_run`] does for a whole run: one decision of a review.
    pub fn undo_classification(
        &mut self,
        run_id: i64,
        comic_id: i32,
    ) -> Result<UndoSummary, DbError> {
        self.undo_journal(
            diesel::sql_query(
                "SELECT id, comic_id, old_value, new_value FROM vz_classification_journal \
                 WHERE run_id = ? AND comic_id = ? AND undone_at IS NULL \
                 ORDER BY id DESC LIMIT 1",
            )
            .bind::<BigInt, _>(run_id)
            .bind::<Integer, _>(comic_id),
        )
    }

    /// Undoes the journal entries `entries` selects, newest first, in one transaction.
    fn undo_journal<Q>(&mut self, entries: Q) -> Result<UndoSummary, DbError>
    where
        Q: diesel::query_dsl::LoadQuery<'static, SqliteConnection, JournalEntry>,
    {
        let summary = self.conn().immediate_transaction(|conn| {
            let entries: Vec<JournalEntry> = entries.load(conn)?;
            let mut summary = UndoSummary::default();
            for entry in entries {
                let restored = diesel::sql_query(
                    "UPDATE comicbooks SET id_comicbook_info = ? \
                     WHERE id_comicbook = ? AND id_comicbook_info IS ?",
                )
                .bind::<Nullable<Text>, _>(entry.old_value.as_deref())
                .bind::<Integer, _>(entry.comic_id)
                .bind::<Text, _>(&entry.new_value)
                .execute(conn)?;
                if restored > 0 {
                    summary.restored += 1;
                } else {
                    summary.changed_since += 1;
                }
                diesel::sql_query(
                    "UPDATE vz_classification_journal \
                     SET undone_at = strftime('%Y-%m-%dT%H:%M:%f', 'now') WHERE id = ?",
                )
                .bind::<BigInt, _>(entry.id)
                .execute(conn)?;
            }
            Ok::<_, diesel::result::Error>(summary)
        })?;
        Ok(summary)
    }

    /// The model the latest classification run compared covers with.
    pub fn latest_classification_model(&mut self) -> Result<Option<String>, DbError> {
        #[derive(QueryableByName)]
        struct Row {
            #[diesel(sql_type = Text)]
            model: String,
        }
        let row: Option<Row> =
            diesel::sql_query("SELECT model FROM vz_classification_runs ORDER BY id DESC LIMIT 1")
                .get_result(self.conn())
                .optional()?;
        Ok(row.map(|r| r.model))
    }

    /// The model a classification run compared covers with.
    pub fn classification_run_model(&mut self, run_id: i64) -> Result<Option<String>, DbError> {
        #[derive(QueryableByName)]
        struct Row {
            #[diesel(sql_type = Text)]
            model: String,
        }
        let row: Option<Row> =
            diesel::sql_query("SELECT model FROM vz_classification_runs WHERE id = ?")
                .bind::<BigInt, _>(run_id)
                .get_result(self.conn())
                .optional()?;
        Ok(row.map(|r| r.model))
    }
}

#[derive(QueryableByName)]
struct JournalEntry {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = Integer)]
    comic_id: i32,
    #[diesel(sql_type = Nullable<Text>)]
    old_value: Option<String>,
    #[diesel(sql_type = Text)]
    new_value: String,
}

#[cfg(test)]
mod tests {
    use diesel::connection::SimpleConnection;

    use crate::db::open_in_memory;

    #[test]
    fn undo_puts_back_null_empty_and_blank_exactly() {
        let mut db = open_in_memory().expect("db");
        // A fresh database declares the column NOT NULL; older Babelcomics4 ones do not.
        db.conn()
            .batch_execute(
                "DROP TABLE comicbooks; CREATE TABLE comicbooks (
                     id_comicbook INTEGER PRIMARY KEY, path VARCHAR NOT NULL,
                     id_comicbook_info VARCHAR, calidad INTEGER NOT NULL DEFAULT 0,
                     en_papelera BOOLEAN NOT NULL DEFAULT 0);
                 INSERT INTO comicbooks (id_comicbook, path, id_comicbook_info)
                 VALUES (1, 'a', NULL), (2, 'b', ''), (3, 'c', ' ');",
            )
            .expect("old table");
        let run = db
            .start_classification_run("m", 0.75, 0.05, true)
            .expect("run");
        assert!(db.apply_classification(run, 1, None, 10).expect("1"));
        assert!(db.apply_classification(run, 2, Some(""), 20).expect("2"));
        assert!(db.apply_classification(run, 3, Some(" "), 30).expect("3"));
        // Decided on a stale value: refused.
        assert!(
            !db.apply_classification(run, 2, Some(""), 21)
                .expect("stale")
        );
        assert_eq!(db.last_undoable_run().expect("last"), Some(run));
        let summary = db.undo_classification_run(run).expect("undo");
        assert_eq!(summary.restored, 3);
        let rows = db.comics_to_classify(true).expect("comics");
        let values: Vec<Option<String>> = rows.into_iter().map(|r| r.id_comicbook_info).collect();
        assert_eq!(values, [None, Some(String::new()), Some(" ".to_owned())]);
        assert_eq!(db.last_undoable_run().expect("none left"), None);
    }
}
