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
pub mod editions;
pub mod embeddings;
pub mod file_tags;
pub mod interiors;
pub mod layout;
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
    #[error("{}", fill(&gettext("cannot create the folder {path} for the database: {error}"), &[("path", &.path.display()), ("error", .source)]))]
    CreateFolder {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}", fill(&gettext("cannot open the database {path}: {error}"), &[("path", &.path.display()), ("error", .source)]))]
    Open {
        path: PathBuf,
        source: diesel::ConnectionError,
    },
    #[error("{}", fill(&gettext("{path} is not a usable SQLite database: {error}"), &[("path", &.path.display()), ("error", .source)]))]
    NotADatabase {
        path: PathBuf,
        source: diesel::result::Error,
    },
    #[error("{}", fill(&gettext("cannot update the database {path} to this version of Vistazo: {message}"), &[("path", &.path.display()), ("message", .message)]))]
    Migrate { path: PathBuf, message: String },
    #[error("{}", fill(&gettext("cannot work on {path} in place: its Babelcomics4 tables lack {columns}, which Vistazo reads and writes and never adds to them; nothing was changed. Use it with the Babelcomics4 that made it, or create a new collection and scan your comics into it"), &[("path", &.path.display()), ("columns", &.missing.join(", "))]))]
    UnsupportedLayout { path: PathBuf, missing: Vec<String> },
    #[error("{}", fill(&gettext("{path} does not exist"), &[("path", &.0.display())]))]
    Missing(PathBuf),
    #[error("{}", fill(&gettext("{path} is not a SQLite database"), &[("path", &.0.display())]))]
    NotSqlite(PathBuf),
    #[error("{}", fill(&gettext("{path} already exists; choose another name for a new collection"), &[("path", &.0.display())]))]
    AlreadyExists(PathBuf),
    #[error("{}", fill(&gettext("cannot read {path}: {error}"), &[("path", &.path.display()), ("error", .source)]))]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}", fill(&gettext("the collection is busy: another program (Babelcomics4, the Vistazo app or another vistazo command) kept it locked for {seconds} seconds; let it finish or close it, then run again"), &[("seconds", &(BUSY_TIMEOUT_MS / 1000))]))]
    Locked,
    #[error("{}", fill(&gettext("cannot write the collection {path}: {reason}"), &[("path", &.path.display()), ("reason", .reason)]))]
    ReadOnly { path: PathBuf, reason: ReadOnly },
    /// SQLite refused to write, without saying which file; [`DbError::with_path`] names it.
    #[error("{0}")]
    WriteRefused(#[source] WriteRefused),
    #[error("{}", fill(&gettext("database query failed: {error}"), &[("error", .0)]))]
    Query(diesel::result::Error),
}

/// SQLite's refusal to write the collection (SQLITE_READONLY: the file, its folder or the file
/// system is read-only), before it is known which collection it was. It is the source of
/// [`DbError::WriteRefused`], so that it can be found in any chain of errors that carries it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error(
    "{}",
    gettext("cannot write the collection: its file or its folder is read-only")
)]
pub struct WriteRefused;

/// Why a collection cannot be written, as far as the file system tells.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReadOnly {
    File,
    /// The folder SQLite writes its journal in, next to the file.
    Folder(PathBuf),
    FileSystem,
    /// SQLite refused, and the file system says this process may write both (root may write
    /// anything but a read-only mount).
    Unknown,
}

impl std::fmt::Display for ReadOnly {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let text = match self {
            Self::File => gettext("the file is read-only"),
            Self::Folder(folder) => fill(
                &gettext("the folder {folder} is read-only, and SQLite writes its journal there"),
                &[("folder", &folder.display())],
            ),
            Self::FileSystem => gettext("it is on a read-only file system"),
            Self::Unknown => gettext("SQLite was not allowed to write it or its folder"),
        };
        f.write_str(&text)
    }
}

impl DbError {
    /// This error, with the collection at `path` named when SQLite refused to write it.
    pub fn with_path(self, path: &Path) -> Self {
        match self {
            Self::WriteRefused(_) => Self::ReadOnly {
                path: path.to_owned(),
                reason: read_only_reason(path),
            },
            other => other,
        }
    }
}

/// Why the collection at `path` cannot be written: the file, then its folder, as access(2)
/// sees them for this process.
pub fn read_only_reason(path: &Path) -> ReadOnly {
    reason_from(path, &may_write)
}

fn may_write(path: &Path) -> std::io::Result<()> {
    use std::os::unix::ffi::OsStrExt;
    let name = std::ffi::CString::new(path.as_os_str().as_bytes())?;
    // SAFETY: `name` is a valid C string for the duration of the call.
    if unsafe { libc::access(name.as_ptr(), libc::W_OK) } == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

fn reason_from(path: &Path, may_write: &dyn Fn(&Path) -> std::io::Result<()>) -> ReadOnly {
    let folder = path
        .parent()
        .filter(|folder| !folder.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    for (place, read_only) in [
        (path, ReadOnly::File),
        (folder, ReadOnly::Folder(folder.to_owned())),
    ] {
        match may_write(place) {
            Err(error) if error.raw_os_error() == Some(libc::EROFS) => {
                return ReadOnly::FileSystem;
            }
            Err(error) if error.kind() == std::io::ErrorKind::PermissionDenied => return read_only,
            _ => {}
        }
    }
    ReadOnly::Unknown
}

/// Whether SQLite refused to write (SQLITE_READONLY and its extended codes: the file, the
/// folder its journal goes in, a read-only mount). SQLite says so only in words.
fn is_read_only(message: &str) -> bool {
    message.contains("readonly database")
}

impl From<diesel::result::Error> for DbError {
    fn from(error: diesel::result::Error) -> Self {
        let message = error.to_string();
        if is_locked(&message) {
            Self::Locked
        } else if is_read_only(&message) {
            Self::WriteRefused(WriteRefused)
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
    layout: layout::CatalogLayout,
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
    // A database reached through a symbolic link is the file it names: its thumbnails folder
    // and relative paths are taken from the real database's folder, as Babelcomics4 takes them.
    let real = std::fs::canonicalize(path).ok().filter(|real| real != path);
    let path = real.as_deref().unwrap_or(path);
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(|source| DbError::CreateFolder {
            path: parent.to_owned(),
            source,
        })?;
    }
    // SQLite is given the path's own bytes: a name that is not UTF-8 opens that file, never
    // a lossy copy of its name beside it.
    let url = uri(path, "rwc").map_err(|source| DbError::CreateFolder {
        path: path.to_owned(),
        source,
    })?;
    busy::install();
    let conn = SqliteConnection::establish(&url).map_err(|source| DbError::Open {
        path: path.to_owned(),
        source,
    })?;
    Database::prepare(conn, Location::File(path.to_owned()))
}

/// A SQLite URI naming the file at `path` byte for byte, opened in `mode` (`ro`, `rw`, `rwc`).
/// A plain file name would be taken as SQLite's own (`:memory:`, a `file:` URI) when it looks
/// like one, and must be UTF-8; the URI names any file, whatever its bytes.
pub(crate) fn uri(path: &Path, mode: &str) -> std::io::Result<String> {
    use std::os::unix::ffi::OsStrExt;
    let absolute = std::path::absolute(path)?;
    // An empty authority (`file://` + `/path`), so that a path starting with `//` is a path.
    let mut uri = String::from("file://");
    for &byte in absolute.as_os_str().as_bytes() {
        if byte.is_ascii_alphanumeric() || b"/-._~".contains(&byte) {
            uri.push(char::from(byte));
        } else {
            uri.push_str(&format!("%{byte:02X}"));
        }
    }
    uri.push_str("?mode=");
    uri.push_str(mode);
    Ok(uri)
}

/// Whether `--db`'s `value` can name a collection file: SQLite's in-memory database and
/// URIs, an empty value and a folder cannot, and would lose what a command writes there or
/// fail later with a less clear message.
pub fn names_a_file(value: &Path) -> bool {
    let text = value.to_string_lossy();
    !(text.trim().is_empty()
        || text.starts_with(':')
        || text.starts_with("file:")
        || text.ends_with('/')
        || value.is_dir())
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
        let path = match &location {
            Location::File(path) => path.clone(),
            Location::Memory => PathBuf::from(":memory:"),
        };
        // Foreign keys off, as Babelcomics4 runs (diesel turns them on): its databases can hold
        // rows that would fail the checks, and Vistazo must not refuse to work on them.
        let not_a_database = |source: diesel::result::Error| {
            if is_locked(&source.to_string()) {
                return DbError::Locked;
            }
            if is_read_only(&source.to_string()) {
                return DbError::ReadOnly {
                    path: path.clone(),
                    reason: read_only_reason(&path),
                };
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
        // Before anything is written: a layout Vistazo cannot serve is left as it is.
        let missing = layout::missing_columns(&mut conn).map_err(not_a_database)?;
        if !missing.is_empty() {
            return Err(DbError::UnsupportedLayout {
                path: path.clone(),
                missing,
            });
        }
        migrations::run_pending(&mut conn).map_err(|error| {
            let message = error.to_string();
            if is_locked(&message) {
                DbError::Locked
            } else if is_read_only(&message) {
                DbError::ReadOnly {
                    reason: read_only_reason(&path),
                    path: path.clone(),
                }
            } else {
                DbError::Migrate {
                    path: path.clone(),
                    message,
                }
            }
        })?;
        let layout = layout::CatalogLayout::read(&mut conn).map_err(not_a_database)?;
        Ok(Self {
            conn,
            location,
            layout,
        })
    }

    /// How this database's catalog tables keep ComicVine ids.
    pub fn catalog_layout(&self) -> layout::CatalogLayout {
        self.layout
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
        Ok(layout::columns(&mut self.conn, table)?
            .iter()
            .any(|name| name == column))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn denied() -> std::io::Error {
        std::io::Error::from_raw_os_error(libc::EACCES)
    }

    #[test]
    fn the_reason_names_the_file_then_the_folder_then_the_mount() {
        let path = Path::new("/music/comics/babelcomics.db");
        let file_denied = |place: &Path| if place == path { Err(denied()) } else { Ok(()) };
        assert_eq!(reason_from(path, &file_denied), ReadOnly::File);
        let folder_denied = |place: &Path| if place == path { Ok(()) } else { Err(denied()) };
        assert_eq!(
            reason_from(path, &folder_denied),
            ReadOnly::Folder(PathBuf::from("/music/comics"))
        );
        let mount = |_: &Path| Err(std::io::Error::from_raw_os_error(libc::EROFS));
        assert_eq!(reason_from(path, &mount), ReadOnly::FileSystem);
        assert_eq!(reason_from(path, &|_: &Path| Ok(())), ReadOnly::Unknown);
        // A bare file name is in the current folder.
        let bare = Path::new("v.db");
        let folder_denied = |place: &Path| if place == bare { Ok(()) } else { Err(denied()) };
        assert_eq!(
            reason_from(bare, &folder_denied),
            ReadOnly::Folder(PathBuf::from("."))
        );
    }

    #[test]
    fn sqlite_refusing_to_write_becomes_one_clear_line_naming_the_collection() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("v.db");
        drop(open(&path).expect("a collection"));
        // Read-only as SQLite sees it, which a test running as root cannot get from the
        // file's permissions.
        let url = format!("file:{}?mode=ro", path.display());
        let mut conn = SqliteConnection::establish(&url).expect("open read-only");
        let error = diesel::sql_query("CREATE TABLE t (x)")
            .execute(&mut conn)
            .expect_err("read-only");
        let error = DbError::from(error);
        assert!(matches!(error, DbError::WriteRefused(_)), "{error:?}");
        let line = error.with_path(&path).to_string();
        assert_eq!(
            line,
            format!(
                "cannot write the collection {}: SQLite was not allowed to write it or its folder",
                path.display()
            )
        );
        assert!(!line.contains("readonly database"), "{line}");
    }

    #[test]
    fn each_read_only_reason_reads_as_one_sentence() {
        let path = Path::new("/c/v.db");
        let line = |reason| {
            DbError::ReadOnly {
                path: path.to_owned(),
                reason,
            }
            .to_string()
        };
        assert_eq!(
            line(ReadOnly::File),
            "cannot write the collection /c/v.db: the file is read-only"
        );
        assert_eq!(
            line(ReadOnly::Folder(PathBuf::from("/c"))),
            "cannot write the collection /c/v.db: the folder /c is read-only, and SQLite writes its journal there"
        );
        assert_eq!(
            line(ReadOnly::FileSystem),
            "cannot write the collection /c/v.db: it is on a read-only file system"
        );
    }
}
