//! Reaching a collection without the command line: opening an existing file refuses anything
//! that is not a SQLite database and leaves it untouched, a new collection never replaces a
//! file, and the Babelcomics4 databases people keep in the usual places are found, with their
//! comic counts, without being changed.

use std::path::Path;

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use vistazo::db::discovery::{FoundCollection, find_babelcomics};

/// A minimal Babelcomics4 database at `folder/data/babelcomics.db` with `comics` comics in the
/// collection and one more in the trash.
fn babelcomics_folder(folder: &Path, comics: usize) -> std::path::PathBuf {
    let path = folder.join("data").join("babelcomics.db");
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let mut conn = SqliteConnection::establish(&path.to_string_lossy()).unwrap();
    conn.batch_execute(
        "CREATE TABLE comicbooks (
            id_comicbook INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT, path VARCHAR NOT NULL,
            id_comicbook_info VARCHAR NOT NULL, calidad INTEGER NOT NULL,
            en_papelera BOOLEAN NOT NULL, UNIQUE (path));
         INSERT INTO comicbooks (path, id_comicbook_info, calidad, en_papelera)
            VALUES ('/comics/trashed.cbz', '', 0, 1);",
    )
    .unwrap();
    for n in 0..comics {
        conn.batch_execute(&format!(
            "INSERT INTO comicbooks (path, id_comicbook_info, calidad, en_papelera)
             VALUES ('/comics/{n}.cbz', '', 0, 0);"
        ))
        .unwrap();
    }
    path
}

fn bytes_of(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap()
}

#[test]
fn babelcomics_databases_are_found_in_the_home_folder_and_one_level_below() {
    let home = tempfile::tempdir().unwrap();
    let direct = babelcomics_folder(&home.path().join("Babelcomics4"), 3);
    let nested = babelcomics_folder(&home.path().join("PycharmProjects/Babelcomics4-main"), 12);
    // Too deep, hidden, or not named like Babelcomics4: not looked at.
    babelcomics_folder(&home.path().join("src/old/Babelcomics4"), 1);
    babelcomics_folder(&home.path().join(".cache/Babelcomics4"), 1);
    babelcomics_folder(&home.path().join("Comics"), 1);
    // A folder named like it without a database, and one whose database is not SQLite.
    std::fs::create_dir_all(home.path().join("src/Babelcomics4-docs")).unwrap();
    let broken = home.path().join("babelcomics-copy/data/babelcomics.db");
    std::fs::create_dir_all(broken.parent().unwrap()).unwrap();
    std::fs::write(&broken, b"not a database").unwrap();
    let before = bytes_of(&nested);

    let found = find_babelcomics(home.path(), None);

    assert_eq!(
        found,
        vec![
            FoundCollection {
                path: direct.canonicalize().unwrap(),
                comics: Some(3)
            },
            FoundCollection {
                path: nested.canonicalize().unwrap(),
                comics: Some(12)
            },
        ]
    );
    assert_eq!(bytes_of(&nested), before, "counting changes nothing");
    assert!(!nested.with_extension("db-wal").exists());
}

#[test]
fn the_database_named_by_the_environment_comes_first_and_only_once() {
    let home = tempfile::tempdir().unwrap();
    let elsewhere = tempfile::tempdir().unwrap();
    let named = babelcomics_folder(&elsewhere.path().join("collection"), 2);
    let in_home = babelcomics_folder(&home.path().join("Babelcomics4"), 5);

    let found = find_babelcomics(home.path(), Some(&named));
    let paths: Vec<_> = found.iter().map(|f| f.path.clone()).collect();
    assert_eq!(
        paths,
        vec![
            named.canonicalize().unwrap(),
            in_home.canonicalize().unwrap()
        ]
    );

    let again = find_babelcomics(home.path(), Some(&in_home));
    assert_eq!(again.len(), 1, "{again:?}");
    assert_eq!(again[0].comics, Some(5));

    let missing = home.path().join("nowhere.db");
    assert_eq!(find_babelcomics(home.path(), Some(&missing)).len(), 1);
}

#[test]
fn a_home_folder_without_babelcomics_finds_nothing() {
    let home = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(home.path().join("Documents/Projects")).unwrap();
    assert!(find_babelcomics(home.path(), None).is_empty());
    assert!(find_babelcomics(&home.path().join("missing"), None).is_empty());
}

#[test]
fn opening_a_collection_refuses_what_is_not_a_database_and_leaves_it_as_it_was() {
    let dir = tempfile::tempdir().unwrap();

    let empty = dir.path().join("empty.db");
    std::fs::write(&empty, b"").unwrap();
    let text = dir.path().join("notes.txt");
    std::fs::write(&text, b"a shopping list, not a collection").unwrap();
    for path in [&empty, &text] {
        let before = bytes_of(path);
        let error = vistazo::db::open_existing(path)
            .err()
            .expect("refused")
            .to_string();
        assert!(error.contains("is not a SQLite database"), "{error}");
        assert!(error.contains(&*path.to_string_lossy()), "{error}");
        assert_eq!(bytes_of(path), before);
    }

    let missing = dir.path().join("gone.db");
    let error = vistazo::db::open_existing(&missing)
        .err()
        .expect("refused")
        .to_string();
    assert!(error.contains("does not exist"), "{error}");
    assert!(!missing.exists(), "nothing is created");

    let babelcomics = babelcomics_folder(&dir.path().join("Babelcomics4"), 4);
    let mut database = vistazo::db::open_existing(&babelcomics).expect("a Babelcomics4 database");
    assert_eq!(database.collection_summary().unwrap().comics, 4);
}

#[test]
fn a_new_collection_is_created_empty_and_never_replaces_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nested/Mine.db");
    let mut database = vistazo::db::create_new(&path).expect("created");
    assert_eq!(database.collection_summary().unwrap().comics, 0);
    drop(database);
    assert!(vistazo::db::discovery::is_sqlite_file(&path).unwrap());

    let kept = dir.path().join("kept.db");
    std::fs::write(&kept, b"precious").unwrap();
    let error = vistazo::db::create_new(&kept)
        .err()
        .expect("refused")
        .to_string();
    assert!(error.contains("already exists"), "{error}");
    assert_eq!(bytes_of(&kept), b"precious");
    assert!(
        vistazo::db::create_new(&path).is_err(),
        "not even a database"
    );
}
