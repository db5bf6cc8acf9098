//! The SQLite database: a Babelcomics4 database used in place, or Vistazo's own, which has the
//! same Babelcomics4 core tables. Opening runs add-only migrations; nothing here ever drops,
//! renames or rewrites a table or column that was there before. No GTK in this module.
//!
//! The journal mode is part of the file, so it is set only on a database Vistazo creates (WAL,
//! so the app can read while a command writes); an existing database keeps the mode it had.

pub mod busy;
pub mod catalog;
pub mod collection;
pub mod comics;
pub mod discovery;
pub mod embeddings;
pub mod interiors;
pub mod matching;
pub mod migrations;
pub mod review;
pub mod schema;
pub mod settings;
pub mod tagging;

use std::path::{Path, PathBuf};

use diesel::connection::SimpleConnection;
use diesel::prelude::*;

use crate::i18n::{fill, gettext};

pub use collection::CollectionSummary;
pub use comics::{ComicRow, ComicTileRow};

/// How long a writer waits for another process (Babelcomics4 itself, say) to release a lock.
/// Babelcomics4 holds its write lock while it saves a whole folder scan, which takes seconds.
/// The wait is said after a while ([`busy`]).
pub const BUSY_TIMEOUT_MS: u32 = 30_000;

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("{}", fill(&gettext("cannot create the folder {} for the database: {}"), &[&.path.display(), .source]))]
    CreateFolder {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}", fill(&gettext("cannot open the database {}: {}"), &[&.path.display(), .source]))]
    Open {
        path: PathBuf,
        source: diesel::ConnectionError,
    },
    #[error("{}", fill(&gettext("{} is not a usable SQLite database: {}"), &[&.path.display(), .source]))]
    NotADatabase {
        path: PathBuf,
        source: diesel::result::Error,
    },
    #[error("{}", fill(&gettext("cannot update the database {} to this version of Vistazo: {}"), &[&.path.display(), .message]))]
    Migrate { path: PathBuf, message: String },
    #[error("{}", fill(&gettext("{} does not exist"), &[&.0.display()]))]
    Missing(PathBuf),
    #[error("{}", fill(&gettext("{} is not a SQLite database"), &[&.0.display()]))]
    NotSqlite(PathBuf),
    #[error("{}", fill(&gettext("{} already exists; choose another name for a new collection"), &[&.0.display()]))]
    AlreadyExists(PathBuf),
    #[error("{}", fill(&gettext("cannot read {}: {}"), &[&.path.display(), .source]))]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}", fill(&gettext("the collection is busy: another program (Babelcomics4, the Vistazo app or another vistazo command) kept it locked for {} seconds; let it finish or close it, then run again"), &[&(BUSY_TIMEOUT_MS / 1000)]))]
    Locked,
    #[error("{}", fill(&gettext("database query failed: {}"), &[.0]))]
    Query(diesel::result::Error),
}

impl From<diesel::result::Error> for DbError {
    fn from(error: diesel::result::Error) -> Self {
        if is_locked(&error.to_string()) {
            Self::Locked
        } else {
            Self::Query(error)
        }
    }
}

/// Whether SQLite gave up waiting for another connection's lock. SQLite says so only in words.
fn is_locked(message: &str) -> bool {
    message.contains("database is locked") || message.contains("database table is locked")
}

/// An open database with its schema up to date.
pub struct Database {
    conn: SqliteConnection,
    location: Location,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    File(PathBuf),
    Memory,
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::File(path) => path.display().fmt(f),
            Self::Memory => f.write_str(":memory:"),
        }
    }
}

/// `$XDG_DATA_HOME/vistazo/vistazo.db`, the database used when `--db` is not given.
pub fn default_path() -> Option<PathBuf> {
    dirs::data_dir().map(|dir| dir.join("vistazo").join("vistazo.db"))
}

/// Opens (creating when missing) the database at `path` and brings its schema up to date.
pub fn open(path: &Path) -> Result<Database, DbError> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(|source| DbError::CreateFolder {
            path: parent.to_owned(),
            source,
        })?;
    }
    let url = path.to_string_lossy();
    busy::install();
    let conn = SqliteConnection::establish(&url).map_err(|source| DbError::Open {
        path: path.to_owned(),
        source,
    })?;
    Database::prepare(conn, Location::File(path.to_owned()))
}

/// Opens a collection file that must already be a SQLite database (a Babelcomics4 one or
/// Vistazo's): anything else is refused before SQLite sees it, so a wrong file chosen by
/// mistake is never turned into a database.
pub fn open_existing(path: &Path) -> Result<Database, DbError> {
    if !path.is_file() {
        return Err(DbError::Missing(path.to_owned()));
    }
    match discovery::is_sqlite_file(path) {
        Ok(true) => open(path),
        Ok(false) => Err(DbError::NotSqlite(path.to_owned())),
        Err(source) => Err(DbError::Read {
            path: path.to_owned(),
            source,
        }),
    }
}

/// Creates an empty collection at `path`, which must not exist yet: a new collection never
/// replaces a file.
pub fn create_new(path: &Path) -> Result<Database, DbError> {
    if path.exists() {
        return Err(DbError::AlreadyExists(path.to_owned()));
    }
    open(path)
}

/// A private database in memory, for tests.
pub fn open_in_memory() -> Result<Database, DbError> {
    busy::install();
    let conn = SqliteConnection::establish(":memory:").map_err(|source| DbError::Open {
        path: PathBuf::from(":memory:"),
        source,
    })?;
    Database::prepare(conn, Location::Memory)
}

/// Whether the database has no schema at all: a file just created (or an empty one).
fn is_blank(conn: &mut SqliteConnection) -> Result<bool, diesel::result::Error> {
    #[derive(QueryableByName)]
    struct Row {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        objects: i64,
    }
    let row: Row =
        diesel::sql_query("SELECT count(*) AS objects FROM sqlite_master").get_result(conn)?;
    Ok(row.objects == 0)
}

impl Database {
    fn prepare(mut conn: SqliteConnection, location: Location) -> Result<Self, DbError> {
        let path = PathBuf::from(location.to_string());
        // Foreign keys off, as Babelcomics4 runs (diesel turns them on): its databases can hold
        // rows that would fail the checks, and Vistazo must not refuse to work on them.
        let not_a_database = |source: diesel::result::Error| {
            if is_locked(&source.to_string()) {
                return DbError::Locked;
            }
            DbError::NotADatabase {
                path: path.clone(),
                source,
            }
        };
        // The busy timeout replaces the handler that says it is waiting: only without it.
        if !busy::install() {
            let timeout = format!("PRAGMA busy_timeout = {BUSY_TIMEOUT_MS};");
            conn.batch_execute(&timeout).map_err(not_a_database)?;
        }
        conn.batch_execute("PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = OFF;")
            .map_err(not_a_database)?;
        if location != Location::Memory && is_blank(&mut conn).map_err(not_a_database)? {
            conn.batch_execute("PRAGMA journal_mode = WAL;")
                .map_err(not_a_database)?;
        }
        migrations::run_pending(&mut conn).map_err(|error| {
            let message = error.to_string();
            if is_locked(&message) {
                DbError::Locked
            } else {
                DbError::Migrate { path, message }
            }
        })?;
        Ok(Self { conn, location })
    }

    pub fn location(&self) -> &Location {
        &self.location
    }

    /// The connection, for the repositories in this module and its children.
    pub fn conn(&mut self) -> &mut SqliteConnection {
        &mut self.conn
    }

    /// The journal mode SQLite reports: `wal` for a database Vistazo created, what it was for
    /// one it found, `memory` for an in-memory database.
    pub fn journal_mode(&mut self) -> Result<String, DbError> {
        #[derive(QueryableByName)]
        struct Row {
            #[diesel(sql_type = diesel::sql_types::Text)]
            journal_mode: String,
        }
        let row: Row = diesel::sql_query("PRAGMA journal_mode").get_result(&mut self.conn)?;
        Ok(row.journal_mode)
    }

    /// Names of the tables in the database, sorted.
    pub fn table_names(&mut self) -> Result<Vec<String>, DbError> {
        #[derive(QueryableByName)]
        struct Row {
            #[diesel(sql_type = diesel::sql_types::Text)]
            name: String,
        }
        let rows: Vec<Row> = diesel::sql_query(
            "SELECT name FROM sqlite_master WHERE type = 'table' \
             AND name NOT LIKE 'sqlite_%' ORDER BY name",
        )
        .load(&mut self.conn)?;
        Ok(rows.into_iter().map(|r| r.name).collect())
    }

    /// Whether `table` has a column named `column` (Babelcomics4's `embedding` columns are
    /// missing from older databases).
    pub fn has_column(&mut self, table: &str, column: &str) -> Result<bool, DbError> {
        #[derive(QueryableByName)]
        struct Row {
            #[diesel(sql_type = diesel::sql_types::Text)]
            name: String,
        }
        let rows: Vec<Row> = diesel::sql_query("SELECT name FROM pragma_table_info(?)")
            .bind::<diesel::sql_types::Text, _>(table)
            .load(&mut self.conn)?;
        Ok(rows.iter().any(|r| r.name == column))
    }
}
