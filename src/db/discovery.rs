//! Finding the collections people already have: the Babelcomics4 databases kept in the usual
//! places, so that a first start can offer them instead of an empty collection. The look is
//! shallow and bounded in time (no crawl of the home folder), and it only reads: each database
//! found is opened read-only to count its comics, never migrated or written.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use diesel::prelude::*;

/// The first bytes of every SQLite 3 database file.
const SQLITE_HEADER: &[u8; 16] = b"SQLite format 3\0";
/// Where Babelcomics4 keeps its database, inside the folder it runs from.
const BABELCOMICS_DATABASE: [&str; 2] = ["data", "babelcomics.db"];
/// How long the look may take at most, folders read included.
const TIME_LIMIT: Duration = Duration::from_millis(100);
/// Entries read at most from one folder: a home folder with more is not searched further.
const ENTRIES_PER_FOLDER: usize = 2_000;

/// A Babelcomics4 database found on this computer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundCollection {
    pub path: PathBuf,
    /// Comics not in the trash; `None` when the database could not be read.
    pub comics: Option<i64>,
}

/// Whether the file at `path` starts like a SQLite 3 database.
pub fn is_sqlite_file(path: &Path) -> std::io::Result<bool> {
    use std::io::Read;
    let mut header = [0u8; 16];
    let mut file = std::fs::File::open(path)?;
    let mut read = 0;
    while read < header.len() {
        match file.read(&mut header[read..])? {
            0 => return Ok(false),
            n => read += n,
        }
    }
    Ok(&header == SQLITE_HEADER)
}

/// The Babelcomics4 databases in the places people keep them: `$BABELCOMICS4_DB` (given as
/// `named`), then `data/babelcomics.db` inside the folders named like `Babelcomics4*` in `home`
/// and one level below it (`~/Babelcomics4`, `~/PycharmProjects/Babelcomics4-main`, …).
/// Hidden folders are skipped; the look stops after about 100 ms, keeping what it found.
pub fn find_babelcomics(home: &Path, named: Option<&Path>) -> Vec<FoundCollection> {
    let started = Instant::now();
    let mut paths: Vec<PathBuf> = Vec::new();
    let keep = |path: PathBuf, paths: &mut Vec<PathBuf>| {
        if is_sqlite_file(&path).unwrap_or(false) {
            let canonical = path.canonicalize().unwrap_or(path);
            if !paths.contains(&canonical) {
                paths.push(canonical);
            }
        }
    };
    if let Some(named) = named.filter(|p| !p.as_os_str().is_empty()) {
        keep(named.to_owned(), &mut paths);
    }
    let mut found_here = Vec::new();
    for folder in subfolders(home, started) {
        if started.elapsed() > TIME_LIMIT {
            break;
        }
        if named_like_babelcomics(&folder) {
            found_here.push(babelcomics_database(&folder));
            continue;
        }
        for inner in subfolders(&folder, started) {
            if named_like_babelcomics(&inner) {
                found_here.push(babelcomics_database(&inner));
            }
        }
    }
    found_here.sort();
    for path in found_here {
        keep(path, &mut paths);
    }
    paths
        .into_iter()
        .map(|path| FoundCollection {
            comics: count_comics(&path),
            path,
        })
        .collect()
}

fn babelcomics_database(folder: &Path) -> PathBuf {
    BABELCOMICS_DATABASE
        .iter()
        .fold(folder.to_owned(), |path, part| path.join(part))
}

fn named_like_babelcomics(folder: &Path) -> bool {
    folder
        .file_name()
        .and_then(|name| name.to_str())
        .is_some_and(|name| name.to_lowercase().starts_with("babelcomics"))
}

/// The visible folders directly inside `folder` (symbolic links to folders included), sorted;
/// none when it cannot be read or the time is up.
fn subfolders(folder: &Path, started: Instant) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(folder) else {
        return Vec::new();
    };
    let mut folders: Vec<PathBuf> = entries
        .take(ENTRIES_PER_FOLDER)
        .take_while(|_| started.elapsed() <= TIME_LIMIT)
        .filter_map(Result::ok)
        .filter(|entry| !entry.file_name().to_string_lossy().starts_with('.'))
        .map(|entry| entry.path())
        .filter(|path| path.is_dir())
        .collect();
    folders.sort();
    folders
}

/// Comics outside the trash, read through a read-only connection.
fn count_comics(path: &Path) -> Option<i64> {
    #[derive(QueryableByName)]
    struct Row {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        comics: i64,
    }
    let mut conn = SqliteConnection::establish(&super::uri(path, "ro").ok()?).ok()?;
    diesel::sql_query(
        "SELECT count(*) AS comics FROM comicbooks WHERE coalesce(en_papelera, 0) = 0",
    )
    .get_result::<Row>(&mut conn)
    .map(|row| row.comics)
    .ok()
}
