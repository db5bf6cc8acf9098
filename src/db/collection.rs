//! Counts over the user's comic collection and catalog, for the overview pages.

use diesel::dsl::count_star;
use diesel::prelude::*;

use super::schema::{comicbooks, comicbooks_info, volumens};
use super::{Database, DbError};

/// How big the collection and the catalog are.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CollectionSummary {
    /// Comic files not in the trash.
    pub comics: i64,
    /// Of those, the ones matched to a catalog issue.
    pub classified: i64,
    pub trashed: i64,
    pub volumes: i64,
    pub catalog_issues: i64,
}

impl CollectionSummary {
    pub fn unclassified(&self) -> i64 {
        self.comics - self.classified
    }
}

impl Database {
    pub fn collection_summary(&mut self) -> Result<CollectionSummary, DbError> {
        let conn = self.conn();
        let comics = comicbooks::table
            .filter(comicbooks::en_papelera.eq(false))
            .select(count_star())
            .first(conn)?;
        // Babelcomics4 writes '' for "unclassified"; old rows may hold NULL or spaces.
        let classified = comicbooks::table
            .filter(comicbooks::en_papelera.eq(false))
            .filter(diesel::dsl::sql::<diesel::sql_types::Bool>(
                "trim(coalesce(id_comicbook_info, '')) <> ''",
            ))
            .select(count_star())
            .first(conn)?;
        let trashed = comicbooks::table
            .filter(comicbooks::en_papelera.eq(true))
            .select(count_star())
            .first(conn)?;
        let volumes = volumens::table.select(count_star()).first(conn)?;
        let catalog_issues = comicbooks_info::table.select(count_star()).first(conn)?;
        Ok(CollectionSummary {
            comics,
            classified,
            trashed,
            volumes,
            catalog_issues,
        })
    }
}
