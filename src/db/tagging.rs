//! What writing ComicInfo.xml into comic files reads and records: the catalog's facts about an
//! issue (volume, publisher, title, page), the comics a classification run applied, and the
//! journal of every ComicInfo.xml written, with the one it replaced, so an undo can put it back.

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Binary, Integer, Nullable, Text};

use super::matching::OwnedComic;
use super::{Database, DbError};

/// A catalog issue as a ComicInfo.xml describes it.
#[derive(Debug, Clone, PartialEq, Eq, QueryableByName)]
pub struct IssueFacts {
    #[diesel(sql_type = Integer)]
    pub id_comicbook_info: i32,
    #[diesel(sql_type = Text)]
    pub titulo: String,
    #[diesel(sql_type = Text)]
    pub numero: String,
    /// Cover year; 0 when unknown.
    #[diesel(sql_type = Integer)]
    pub fecha_tapa: i32,
    #[diesel(sql_type = Text)]
    pub url_sitio_web: String,
    /// The issue's ComicVine id; `None` when the catalog does not know it.
    #[diesel(sql_type = Nullable<BigInt>)]
    pub id_comicvine: Option<i64>,
    /// 0 when the issue has no volume.
    #[diesel(sql_type = Integer)]
    pub id_volume: i32,
    #[diesel(sql_type = Text)]
    pub volume_name: String,
    /// The year the volume started; 0 when unknown.
    #[diesel(sql_type = Integer)]
    pub anio_inicio: i32,
    #[diesel(sql_type = Nullable<Text>)]
    pub publisher: Option<String>,
}

/// One ComicInfo.xml written into a comic file.
#[derive(Debug, Clone, PartialEq, Eq, QueryableByName)]
pub struct ComicInfoEntry {
    #[diesel(sql_type = BigInt)]
    pub id: i64,
    #[diesel(sql_type = Integer)]
    pub comic_id: i32,
    #[diesel(sql_type = Text)]
    pub path: String,
    /// What the file held before; `None` when it had no ComicInfo.xml.
    #[diesel(sql_type = Nullable<Binary>)]
    pub old_xml: Option<Vec<u8>>,
    #[diesel(sql_type = Binary)]
    pub new_xml: Vec<u8>,
}

impl Database {
    /// What the catalog knows about issue `id_comicbook_info`, with its volume and publisher.
    pub fn issue_facts(&mut self, id_comicbook_info: i32) -> Result<Option<IssueFacts>, DbError> {
        let layout = self.catalog_layout();
        let comicvine = layout.issue_comicvine("i");
        let publishes = layout.publishes("p", "v");
        let sql = format!(
            "SELECT i.id_comicbook_info, coalesce(i.titulo, '') AS titulo, \
                    coalesce(i.numero, '') AS numero, coalesce(i.fecha_tapa, 0) AS fecha_tapa, \
                    coalesce(i.url_sitio_web, '') AS url_sitio_web, \
                    {comicvine} AS id_comicvine, coalesce(i.id_volume, 0) AS id_volume, \
                    coalesce(v.nombre, '') AS volume_name, \
                    coalesce(v.anio_inicio, 0) AS anio_inicio, \
                    (SELECT nullif(trim(p.nombre), '') FROM publishers p WHERE {publishes} \
                     ORDER BY p.id_publisher LIMIT 1) AS publisher \
             FROM comicbooks_info i \
             LEFT JOIN volumens v ON v.id_volume = i.id_volume \
             WHERE i.id_comicbook_info = ?"
        );
        Ok(diesel::sql_query(sql)
            .bind::<Integer, _>(id_comicbook_info)
            .get_result(self.conn())
            .optional()?)
    }

    /// A comic of the collection by id, trash or not.
    pub fn owned_comic(&mut self, comic_id: i32) -> Result<Option<OwnedComic>, DbError> {
        Ok(diesel::sql_query(
            "SELECT id_comicbook, path, id_comicbook_info FROM comicbooks WHERE id_comicbook = ?",
        )
        .bind::<Integer, _>(comic_id)
        .get_result(self.conn())
        .optional()?)
    }

    /// The comics run `run_id` classified and that are not undone, in the order it did.
    pub fn classified_in_run(&mut self, run_id: i64) -> Result<Vec<i32>, DbError> {
        #[derive(QueryableByName)]
        struct Row {
            #[diesel(sql_type = Integer)]
            comic_id: i32,
        }
        let rows: Vec<Row> = diesel::sql_query(
            "SELECT comic_id FROM vz_classification_journal \
             WHERE run_id = ? AND undone_at IS NULL ORDER BY id",
        )
        .bind::<BigInt, _>(run_id)
        .load(self.conn())?;
        Ok(rows.into_iter().map(|r| r.comic_id).collect())
    }

    /// Records, before the file is replaced, that `new_xml` is about to replace `old_xml` in
    /// the comic at `path`. Returns the entry's id.
    pub fn journal_comic_info(
        &mut self,
        run_id: i64,
        comic_id: i32,
        path: &str,
        old_xml: Option<&[u8]>,
        new_xml: &[u8],
    ) -> Result<i64, DbError> {
        #[derive(QueryableByName)]
        struct Row {
            #[diesel(sql_type = BigInt)]
            id: i64,
        }
        let row: Row = diesel::sql_query(
            "INSERT INTO vz_comicinfo_journal (run_id, comic_id, path, old_xml, new_xml) \
             VALUES (?, ?, ?, ?, ?) RETURNING id",
        )
        .bind::<BigInt, _>(run_id)
        .bind::<Integer, _>(comic_id)
        .bind::<Text, _>(path)
        .bind::<Nullable<Binary>, _>(old_xml)
        .bind::<Binary, _>(new_xml)
        .get_result(self.conn())?;
        Ok(row.id)
    }

    /// Drops a journal entry whose file could not be written after all.
    pub fn forget_comic_info(&mut self, id: i64) -> Result<(), DbError> {
        diesel::sql_query("DELETE FROM vz_comicinfo_journal WHERE id = ?")
            .bind::<BigInt, _>(id)
            .execute(self.conn())?;
        Ok(())
    }

    /// The ComicInfo.xml files run `run_id` wrote that are not yet put back, newest first.
    pub fn comic_info_to_restore(&mut self, run_id: i64) -> Result<Vec<ComicInfoEntry>, DbError> {
        Ok(diesel::sql_query(
            "SELECT id, comic_id, path, old_xml, new_xml FROM vz_comicinfo_journal \
             WHERE run_id = ? AND restored_at IS NULL ORDER BY id DESC",
        )
        .bind::<BigInt, _>(run_id)
        .load(self.conn())?)
    }

    /// Records that a written ComicInfo.xml needs nothing more from an undo.
    pub fn mark_comic_info_restored(&mut self, id: i64) -> Result<(), DbError> {
        diesel::sql_query(
            "UPDATE vz_comicinfo_journal \
             SET restored_at = strftime('%Y-%m-%dT%H:%M:%f', 'now') WHERE id = ?",
        )
        .bind::<BigInt, _>(id)
        .execute(self.conn())?;
        Ok(())
    }
}
