//! Which generation of Babelcomics4's tables a database has, told by their columns
//! (`PRAGMA table_info`): Babelcomics4 stores no version number.
//!
//! - **Current** (Babelcomics4 since its change of 2025-10-16): issues, volumes and publishers
//!   have Babelcomics4's own ids, assigned by SQLite; the ComicVine ids are in
//!   `comicbooks_info.comicvine_id` (0 when unknown), `volumens.id_comicvine` and
//!   `publishers.id_comicvine`.
//! - **Keyed** (before it): the ComicVine id is the row's key (`id_comicbook_info`,
//!   `id_volume`, `id_publisher`), repeated in `id_comicvine` where that column exists.
//!
//! Everything that turns a ComicVine id into a row, or a row into a ComicVine id, goes through
//! the SQL this module writes, so no other code compares a ComicVine id with Babelcomics4's own.
//! A database whose tables lack columns Vistazo reads and writes is refused before anything
//! is written ([`missing_columns`]).

use diesel::prelude::*;

/// How a database keeps ComicVine ids.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Generation {
    /// Own ids, ComicVine's in their own columns.
    Current,
    /// ComicVine's ids are the keys.
    Keyed,
}

/// The generation of a database's catalog tables and the optional columns they have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CatalogLayout {
    pub generation: Generation,
    /// `comicbooks_info.id_comicvine` exists (the keyed generation's copy of the key).
    pub issue_id_comicvine: bool,
    /// `volumens.id_comicvine` exists.
    pub volume_id_comicvine: bool,
    /// `publishers.id_comicvine` exists.
    pub publisher_id_comicvine: bool,
}

impl CatalogLayout {
    /// The layout of the tables `conn` holds.
    pub fn read(conn: &mut SqliteConnection) -> Result<Self, diesel::result::Error> {
        let issue = columns(conn, "comicbooks_info")?;
        let volume = columns(conn, "volumens")?;
        let publisher = columns(conn, "publishers")?;
        let has = |columns: &[String], name: &str| columns.iter().any(|c| c == name);
        Ok(Self {
            generation: if has(&issue, "comicvine_id") {
                Generation::Current
            } else {
                Generation::Keyed
            },
            issue_id_comicvine: has(&issue, "id_comicvine"),
            volume_id_comicvine: has(&volume, "id_comicvine"),
            publisher_id_comicvine: has(&publisher, "id_comicvine"),
        })
    }

    /// Whether volumes (and publishers) have Babelcomics4's own ids, found by `id_comicvine`.
    pub fn own_volume_ids(&self) -> bool {
        self.generation == Generation::Current && self.volume_id_comicvine
    }

    /// Whether publishers have Babelcomics4's own ids, found by `id_comicvine`.
    pub fn own_publisher_ids(&self) -> bool {
        self.generation == Generation::Current && self.publisher_id_comicvine
    }

    /// The SQL for the ComicVine issue id of the `comicbooks_info` row aliased `row`, NULL when
    /// the database does not know it.
    pub fn issue_comicvine(&self, row: &str) -> String {
        match (self.generation, self.issue_id_comicvine) {
            (Generation::Current, _) => format!("nullif({row}.comicvine_id, 0)"),
            (Generation::Keyed, true) => {
                format!("coalesce({row}.id_comicvine, {row}.id_comicbook_info)")
            }
            (Generation::Keyed, false) => format!("{row}.id_comicbook_info"),
        }
    }

    /// The SQL for the ComicVine volume id of the `volumens` row aliased `row`, NULL when the
    /// database does not know it.
    pub fn volume_comicvine(&self, row: &str) -> String {
        match (self.own_volume_ids(), self.volume_id_comicvine) {
            (true, _) => format!("{row}.id_comicvine"),
            (false, true) => format!("coalesce({row}.id_comicvine, {row}.id_volume)"),
            (false, false) => format!("{row}.id_volume"),
        }
    }

    /// The SQL condition that publisher row `publisher` publishes volume row `volume`:
    /// `volumens.id_publisher` holds the publisher's ComicVine id in every generation, which
    /// is the publisher's key only in the keyed one.
    pub fn publishes(&self, publisher: &str, volume: &str) -> String {
        if self.own_publisher_ids() {
            format!(
                "({publisher}.id_comicvine = {volume}.id_publisher OR \
                 ({publisher}.id_comicvine IS NULL AND {publisher}.id_publisher = {volume}.id_publisher))"
            )
        } else {
            format!("{publisher}.id_publisher = {volume}.id_publisher")
        }
    }

    /// The generation's name, as the README and `vistazo` messages call it.
    pub fn name(&self) -> &'static str {
        match self.generation {
            Generation::Current => "current (comicbooks_info.comicvine_id)",
            Generation::Keyed => "keyed by ComicVine ids (before 2025-10-16)",
        }
    }
}

/// The columns Vistazo reads and writes in Babelcomics4's tables, which every generation it
/// serves has.
const REQUIRED: &[(&str, &[&str])] = &[
    (
        "comicbooks",
        &[
            "id_comicbook",
            "path",
            "id_comicbook_info",
            "calidad",
            "en_papelera",
        ],
    ),
    (
        "comicbooks_info",
        &["id_comicbook_info", "id_volume", "numero", "fecha_tapa"],
    ),
    (
        "comicbooks_info_covers",
        &["id_cover", "id_comicbook_info", "url_imagen"],
    ),
    ("volumens", &["id_volume", "nombre"]),
];

/// The required columns missing from tables that exist, as `table.column`. Tables that do not
/// exist are not missing anything: the migrations create them whole.
pub fn missing_columns(conn: &mut SqliteConnection) -> Result<Vec<String>, diesel::result::Error> {
    let mut missing = Vec::new();
    for (table, required) in REQUIRED {
        let present = columns(conn, table)?;
        if present.is_empty() {
            continue;
        }
        missing.extend(
            required
                .iter()
                .filter(|column| !present.iter().any(|c| c == *column))
                .map(|column| format!("{table}.{column}")),
        );
    }
    Ok(missing)
}

/// The column names of `table`; empty when there is no such table.
pub(crate) fn columns(
    conn: &mut SqliteConnection,
    table: &str,
) -> Result<Vec<String>, diesel::result::Error> {
    #[derive(QueryableByName)]
    struct Row {
        #[diesel(sql_type = diesel::sql_types::Text)]
        name: String,
    }
    let rows: Vec<Row> = diesel::sql_query("SELECT name FROM pragma_table_info(?)")
        .bind::<diesel::sql_types::Text, _>(table)
        .load(conn)?;
    Ok(rows.into_iter().map(|r| r.name).collect())
}
