//! What owned comics' own tags say (`vz_comic_tags`), as the scan read them, and the catalog
//! issues by ComicVine id, for matching to look a tagged id up. Nothing here touches a
//! Babelcomics4 table but to read it; undoing a classification leaves these rows as they are.

use std::collections::{HashMap, HashSet};

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Integer, Nullable, Text};

use super::{Database, DbError};
use crate::library::FileTags;

/// A comic's stored tags, as [`Database::comic_tags`] returns them.
#[derive(Debug, Clone, PartialEq, Eq, QueryableByName)]
struct TagsRow {
    #[diesel(sql_type = Integer)]
    comic_id: i32,
    #[diesel(sql_type = Nullable<BigInt>)]
    comicvine_issue: Option<i64>,
    #[diesel(sql_type = Nullable<BigInt>)]
    comicvine_conflict: Option<i64>,
    #[diesel(sql_type = Nullable<Text>)]
    series: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    number: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    volume: Option<String>,
    #[diesel(sql_type = Nullable<Integer>)]
    year: Option<i32>,
}

impl Database {
    /// Records what reading each comic's tags found, in one transaction, replacing what an
    /// earlier read found. `ignored`: why a tag file was left out.
    pub fn record_file_tags(
        &mut self,
        reads: &[(i32, &FileTags, Option<&str>)],
    ) -> Result<(), DbError> {
        if reads.is_empty() {
            return Ok(());
        }
        self.conn()
            .immediate_transaction::<_, diesel::result::Error, _>(|conn| {
                for (comic_id, tags, ignored) in reads {
                    diesel::sql_query(
                        "INSERT INTO vz_comic_tags (comic_id, comicvine_issue, comicvine_conflict, \
                         series, number, volume, year, ignored) VALUES (?, ?, ?, ?, ?, ?, ?, ?) \
                         ON CONFLICT (comic_id) DO UPDATE SET \
                         comicvine_issue = excluded.comicvine_issue, \
                         comicvine_conflict = excluded.comicvine_conflict, series = excluded.series, \
                         number = excluded.number, volume = excluded.volume, \
                         year = excluded.year, ignored = excluded.ignored, \
                         read_at = excluded.read_at",
                    )
                    .bind::<Integer, _>(comic_id)
                    .bind::<Nullable<BigInt>, _>(tags.comicvine_issue)
                    .bind::<Nullable<BigInt>, _>(tags.comicvine_conflict)
                    .bind::<Nullable<Text>, _>(tags.series.as_deref())
                    .bind::<Nullable<Text>, _>(tags.number.as_deref())
                    .bind::<Nullable<Text>, _>(tags.volume.as_deref())
                    .bind::<Nullable<Integer>, _>(tags.year)
                    .bind::<Nullable<Text>, _>(*ignored)
                    .execute(conn)?;
                }
                Ok(())
            })
            .map_err(DbError::from)
    }

    /// The comics whose tags were read, tagged or not.
    pub fn comics_with_tags_read(&mut self) -> Result<HashSet<i32>, DbError> {
        #[derive(QueryableByName)]
        struct Row {
            #[diesel(sql_type = Integer)]
            comic_id: i32,
        }
        let rows: Vec<Row> =
            diesel::sql_query("SELECT comic_id FROM vz_comic_tags").load(self.conn())?;
        Ok(rows.into_iter().map(|r| r.comic_id).collect())
    }

    /// The tags of every comic that has some, by comic id.
    pub fn comic_tags(&mut self) -> Result<HashMap<i32, FileTags>, DbError> {
        let rows: Vec<TagsRow> = diesel::sql_query(
            "SELECT comic_id, comicvine_issue, comicvine_conflict, series, number, volume, year \
             FROM vz_comic_tags \
             WHERE coalesce(comicvine_issue, series, number, volume, year) IS NOT NULL",
        )
        .load(self.conn())?;
        Ok(rows
            .into_iter()
            .map(|r| {
                let tags = FileTags {
                    comicvine_issue: r.comicvine_issue,
                    comicvine_conflict: r.comicvine_conflict,
                    series: r.series,
                    number: r.number,
                    volume: r.volume,
                    year: r.year,
                };
                (r.comic_id, tags)
            })
            .collect())
    }

    /// The tags of one comic, when it has some.
    pub fn comic_tags_of(&mut self, comic_id: i32) -> Result<Option<FileTags>, DbError> {
        let row: Option<TagsRow> = diesel::sql_query(
            "SELECT comic_id, comicvine_issue, comicvine_conflict, series, number, volume, year \
             FROM vz_comic_tags \
             WHERE comic_id = ? AND coalesce(comicvine_issue, series, number, volume, year) \
             IS NOT NULL",
        )
        .bind::<Integer, _>(comic_id)
        .get_result(self.conn())
        .optional()?;
        Ok(row.map(|r| FileTags {
            comicvine_issue: r.comicvine_issue,
            comicvine_conflict: r.comicvine_conflict,
            series: r.series,
            number: r.number,
            volume: r.volume,
            year: r.year,
        }))
    }

    /// Catalog issues by ComicVine issue id, through the column that holds ComicVine ids in
    /// this database's layout ([`super::layout`]): never Babelcomics4's own ids.
    pub fn catalog_issues_by_comicvine(&mut self) -> Result<HashMap<i64, i32>, DbError> {
        #[derive(QueryableByName)]
        struct Row {
            #[diesel(sql_type = BigInt)]
            comicvine: i64,
            #[diesel(sql_type = Integer)]
            id_comicbook_info: i32,
        }
        let layout = self.catalog_layout();
        let comicvine = layout.issue_comicvine("i");
        // In the keyed layout an id given explicitly wins over one only inferred from a key.
        let explicit_first =
            if layout.issue_id_comicvine && layout.generation == super::layout::Generation::Keyed {
                "i.id_comicvine IS NULL, "
            } else {
                ""
            };
        let sql = format!(
            "SELECT {comicvine} AS comicvine, i.id_comicbook_info FROM comicbooks_info i \
             WHERE {comicvine} IS NOT NULL ORDER BY {explicit_first}i.id_comicbook_info"
        );
        let rows: Vec<Row> = diesel::sql_query(sql).load(self.conn())?;
        let mut issues = HashMap::new();
        for row in rows {
            issues.entry(row.comicvine).or_insert(row.id_comicbook_info);
        }
        Ok(issues)
    }
}
