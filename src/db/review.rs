//! What the review of suggestions reads and writes: the stored candidates of the comics still
//! to classify, every cover of the issues they name (variants included), and the trash flag.
//!
//! Classifications themselves go through the journaled
//! [`Database::apply_classification`](super::Database::apply_classification); the only other
//! Babelcomics4 value written here is `comicbooks.en_papelera`, set and cleared exactly as
//! Babelcomics4's own trash does.

use diesel::prelude::*;
use diesel::sql_types::{Integer, Nullable, Text};

use super::matching::{CatalogCoverRow, StoredCandidate};
use super::{Database, DbError};

/// One stored candidate of a comic waiting for review, with the comic it belongs to.
#[derive(Debug, Clone, PartialEq, QueryableByName)]
pub struct PendingCandidate {
    #[diesel(sql_type = Integer)]
    pub comic_id: i32,
    #[diesel(sql_type = Text)]
    pub path: String,
    /// The comic's `id_comicbook_info` exactly as stored (NULL kept apart from `''`).
    #[diesel(sql_type = Nullable<Text>)]
    pub current: Option<String>,
    /// The stored candidate itself.
    #[diesel(embed)]
    pub candidate: StoredCandidate,
    /// The publisher of the issue's volume, when the catalog names one.
    #[diesel(sql_type = Nullable<Text>)]
    pub publisher: Option<String>,
}

impl Database {
    /// The candidates of every comic that has a suggestion and is still unclassified and out
    /// of the trash, by comic and then best first.
    pub fn pending_candidates(&mut self) -> Result<Vec<PendingCandidate>, DbError> {
        let publishes = self.catalog_layout().publishes("p", "v");
        Ok(diesel::sql_query(format!(
            "SELECT s.comic_id, c.path, c.id_comicbook_info AS current, s.run_id, \
                    s.id_comicbook_info, s.id_cover, s.visual, s.hash, s.series, s.number, \
                    s.year, s.combined, s.tagged, s.same_folder, s.edition, s.unreadable_cover, \
                    (SELECT p.nombre FROM publishers p WHERE {publishes} \
                     ORDER BY p.id_publisher LIMIT 1) AS publisher \
             FROM vz_suggestions s JOIN comicbooks c ON c.id_comicbook = s.comic_id \
             LEFT JOIN comicbooks_info i ON i.id_comicbook_info = s.id_comicbook_info \
             LEFT JOIN volumens v ON v.id_volume = i.id_volume \
             WHERE NOT c.en_papelera AND trim(coalesce(c.id_comicbook_info, '')) = '' \
             ORDER BY s.comic_id, s.rank"
        ))
        .load(self.conn())?)
    }

    /// Every cover of the catalog issues some stored suggestion names, by issue and cover.
    pub fn suggested_issue_covers(&mut self) -> Result<Vec<CatalogCoverRow>, DbError> {
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
             WHERE c.id_comicbook_info IN (SELECT DISTINCT id_comicbook_info FROM vz_suggestions) \
             ORDER BY c.id_comicbook_info, c.id_cover",
        )
        .load(self.conn())?)
    }

    /// Moves a comic to the trash, or takes it out. Returns whether the flag changed.
    pub fn set_in_trash(&mut self, comic_id: i32, in_trash: bool) -> Result<bool, DbError> {
        let changed = diesel::sql_query(
            "UPDATE comicbooks SET en_papelera = ? WHERE id_comicbook = ? AND en_papelera <> ?",
        )
        .bind::<diesel::sql_types::Bool, _>(in_trash)
        .bind::<Integer, _>(comic_id)
        .bind::<diesel::sql_types::Bool, _>(in_trash)
        .execute(self.conn())?;
        Ok(changed > 0)
    }
}

#[cfg(test)]
mod tests {
    use super::StoredCandidate;
    use crate::db::open_in_memory;

    #[test]
    fn only_unclassified_comics_out_of_the_trash_wait_for_review() {
        let mut db = open_in_memory().expect("db");
        let ids = db.add_comics(&["a.cbz", "b.cbz", "c.cbz"]).expect("comics");
        let run = db
            .start_classification_run("m", 0.75, 0.05, false)
            .expect("run");
        for id in &ids {
            let candidate = StoredCandidate {
                run_id: run,
                id_comicbook_info: 10,
                id_cover: 1,
                visual: 0.9,
                hash: None,
                series: None,
                number: None,
                year: None,
                combined: 0.8,
                tagged: false,
                same_folder: false,
                edition: false,
                unreadable_cover: false,
            };
            db.replace_suggestion(*id, &[candidate]).expect("suggest");
        }
        assert!(db.set_in_trash(ids[1], true).expect("trash"));
        assert!(!db.set_in_trash(ids[1], true).expect("already"));
        assert!(
            db.apply_classification(run, ids[2], Some(""), 10)
                .expect("apply")
        );
        let pending: Vec<i32> = db
            .pending_candidates()
            .expect("pending")
            .into_iter()
            .map(|c| c.comic_id)
            .collect();
        assert_eq!(pending, [ids[0]]);

        let undone = db.undo_classification(run, ids[2]).expect("undo");
        assert_eq!(undone.restored, 1);
        assert!(db.set_in_trash(ids[1], false).expect("restore"));
        assert_eq!(db.pending_candidates().expect("pending").len(), 3);
    }
}
