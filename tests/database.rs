//! The database: a fresh one gets the Babelcomics4 core tables and Vistazo's own; an existing
//! Babelcomics4 database gains only what it lacks, and every row and column in it stays as it was.

use std::collections::BTreeMap;
use std::path::Path;

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::Text;

const BABELCOMICS_CORE: [&str; 7] = [
    "comicbooks",
    "comicbooks_detail",
    "comicbooks_info",
    "comicbooks_info_covers",
    "publishers",
    "setups",
    "volumens",
];
const VISTAZO_OWN: [&str; 3] = ["vz_embeddings", "vz_schema_migrations", "vz_settings"];

#[derive(QueryableByName)]
struct TextRow {
    #[diesel(sql_type = Text)]
    value: String,
}

fn texts(conn: &mut SqliteConnection, sql: &str) -> Vec<String> {
    diesel::sql_query(sql)
        .load::<TextRow>(conn)
        .expect(sql)
        .into_iter()
        .map(|r| r.value)
        .collect()
}

/// Column name → declared type of a table, as SQLite reports them.
fn columns(conn: &mut SqliteConnection, table: &str) -> Vec<(String, String)> {
    texts(
        conn,
        &format!(
            "SELECT name || ' ' || type AS value FROM pragma_table_info('{table}') ORDER BY cid"
        ),
    )
    .into_iter()
    .map(|line| {
        let (name, ty) = line.split_once(' ').unwrap_or((line.as_str(), ""));
        (name.to_owned(), ty.to_owned())
    })
    .collect()
}

/// Everything a table holds, as exact SQL literals (so 1, 1.0, '1' and X'01' all differ), in
/// rowid order, together with the table's definition.
fn snapshot(conn: &mut SqliteConnection) -> BTreeMap<String, (String, Vec<String>)> {
    let tables = texts(
        conn,
        "SELECT name AS value FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
    );
    let mut out = BTreeMap::new();
    for table in tables {
        let definition = texts(
            conn,
            &format!("SELECT sql AS value FROM sqlite_master WHERE name = '{table}'"),
        )
        .remove(0);
        let cols: Vec<String> = columns(conn, &table)
            .into_iter()
            .map(|(name, _)| format!("quote(\"{name}\")"))
            .collect();
        let rows = texts(
            conn,
            &format!(
                "SELECT {} AS value FROM \"{table}\" ORDER BY rowid",
                cols.join(" || '|' || ")
            ),
        );
        out.insert(table, (definition, rows));
    }
    out
}

/// The indexes on the tables in `tables`.
fn index_definitions(conn: &mut SqliteConnection, tables: &[&String]) -> Vec<String> {
    texts(
        conn,
        "SELECT tbl_name || ':' || name || ':' || coalesce(sql, '') AS value FROM sqlite_master WHERE type = 'index' ORDER BY name",
    )
    .into_iter()
    .filter(|line| tables.iter().any(|t| line.starts_with(&format!("{t}:"))))
    .collect()
}

/// A Babelcomics4 database as its SQLAlchemy models create it (no server-side defaults), from
/// an older version: `comicbooks` without the `embedding` column and no `comicbooks_detail`
/// table, plus a table Vistazo does not know. Filled with awkward values.
fn create_babelcomics_database(path: &Path) {
    let mut conn = SqliteConnection::establish(&path.to_string_lossy()).expect("create database");
    conn.batch_execute(
        r#"
        CREATE TABLE publishers (
            id_publisher INTEGER NOT NULL, nombre VARCHAR NOT NULL, deck VARCHAR,
            descripcion VARCHAR, url_logo VARCHAR, sitio_web VARCHAR, id_comicvine INTEGER,
            PRIMARY KEY (id_publisher));
        CREATE TABLE volumens (
            id_volume INTEGER NOT NULL, nombre VARCHAR NOT NULL, deck VARCHAR NOT NULL,
            descripcion VARCHAR NOT NULL, url VARCHAR NOT NULL, image_url VARCHAR NOT NULL,
            id_publisher INTEGER NOT NULL, anio_inicio INTEGER NOT NULL,
            cantidad_numeros INTEGER NOT NULL, id_comicvine INTEGER, PRIMARY KEY (id_volume));
        CREATE TABLE comicbooks_info (
            id_comicbook_info INTEGER NOT NULL, titulo VARCHAR NOT NULL, id_volume INTEGER NOT NULL,
            numero VARCHAR NOT NULL, fecha_tapa INTEGER NOT NULL, resumen VARCHAR, notas VARCHAR,
            calificacion FLOAT NOT NULL, url_api_detalle VARCHAR, url_sitio_web VARCHAR,
            orden_clasificacion FLOAT NOT NULL, fue_actualizado_api BOOLEAN NOT NULL,
            id_comicvine INTEGER, PRIMARY KEY (id_comicbook_info),
            FOREIGN KEY(id_volume) REFERENCES volumens (id_volume));
        CREATE TABLE comicbooks_info_covers (
            id_cover INTEGER NOT NULL, id_comicbook_info INTEGER NOT NULL, url_imagen VARCHAR NOT NULL,
            embedding VARCHAR, PRIMARY KEY (id_cover),
            FOREIGN KEY(id_comicbook_info) REFERENCES comicbooks_info (id_comicbook_info));
        CREATE TABLE comicbooks (
            id_comicbook INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT, path VARCHAR NOT NULL,
            id_comicbook_info VARCHAR NOT NULL, calidad INTEGER NOT NULL,
            en_papelera BOOLEAN NOT NULL, UNIQUE (path));
        CREATE TABLE setups (
            setupkey INTEGER NOT NULL, ultimo_volume_id_utilizado VARCHAR,
            expresion_regular_numero VARCHAR NOT NULL, modo_oscuro BOOLEAN NOT NULL,
            api_key_encrypted VARCHAR NOT NULL, rate_limit_interval FLOAT NOT NULL,
            carpeta_thumbnails VARCHAR, thumbnail_size INTEGER NOT NULL, PRIMARY KEY (setupkey));
        CREATE TABLE setups_directorios (
            id INTEGER NOT NULL, setup_id INTEGER NOT NULL, directorio VARCHAR NOT NULL,
            PRIMARY KEY (id));
        CREATE INDEX ix_info_volume ON comicbooks_info (id_volume);

        INSERT INTO publishers VALUES (10, 'DC Comics', 'deck', NULL, 'http://x/logo.png', '', 10);
        INSERT INTO volumens VALUES (4050, 'Batman', '', 'The Dark Knight', 'u', 'i', 10, 1940, 713, 796);
        INSERT INTO volumens VALUES (4051, 'Año Uno: ¡Édition!', '', '', '', '', 0, 0, 0, NULL);
        INSERT INTO comicbooks_info VALUES (101, 'Knightfall', 4050, '497', 1993, 'r', NULL, 4.5, '', '', 497.0, 1, 101);
        INSERT INTO comicbooks_info VALUES (102, '', 4051, '1.5', 0, NULL, NULL, 0, NULL, NULL, 1.5, 0, NULL);
        INSERT INTO comicbooks_info_covers VALUES (1, 101, 'https://img/1-batman.jpg', '[0.1, -0.2]');
        INSERT INTO comicbooks_info_covers VALUES (2, 101, 'https://img/1-batman-v.jpg', NULL);
        INSERT INTO comicbooks VALUES (1, '/comics/Batman 497 (1993).cbz', '101', 5, 0);
        INSERT INTO comicbooks VALUES (2, '/comics/scan_0042.cbz', '', 0, 0);
        INSERT INTO comicbooks VALUES (3, '/comics/trash.cbr', '', 0, 1);
        INSERT INTO comicbooks VALUES (7, '/cómics/日本語 #12.cb7', ' ', 3, 0);
        INSERT INTO setups VALUES (1, '4050', '.* (\d*) \(', 1, 'a2V5', 0.5, 'data/thumbnails', 200);
        INSERT INTO setups_directorios VALUES (1, 1, '/comics');
        "#,
    )
    .expect("fill the Babelcomics4 database");
}

#[test]
fn a_fresh_database_has_the_babelcomics_core_tables_and_vistazos_own() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nested/folder/vistazo.db");
    let mut db = vistazo::db::open(&path).expect("open a new database");
    let tables = db.table_names().unwrap();
    for table in BABELCOMICS_CORE.iter().chain(VISTAZO_OWN.iter()) {
        assert!(tables.contains(&table.to_string()), "missing table {table}");
    }
    assert_eq!(db.journal_mode().unwrap(), "wal");

    let conn = db.conn();
    assert_eq!(
        columns(conn, "comicbooks"),
        [
            ("id_comicbook", "INTEGER"),
            ("path", "VARCHAR"),
            ("id_comicbook_info", "VARCHAR"),
            ("calidad", "INTEGER"),
            ("en_papelera", "BOOLEAN"),
            ("embedding", "VARCHAR"),
        ]
        .map(|(n, t)| (n.to_owned(), t.to_owned()))
    );
    assert_eq!(
        columns(conn, "comicbooks_info_covers"),
        [
            ("id_cover", "INTEGER"),
            ("id_comicbook_info", "INTEGER"),
            ("url_imagen", "VARCHAR"),
            ("embedding", "VARCHAR"),
        ]
        .map(|(n, t)| (n.to_owned(), t.to_owned()))
    );
    let info: Vec<String> = columns(conn, "comicbooks_info")
        .into_iter()
        .map(|(n, t)| format!("{n} {t}"))
        .collect();
    assert_eq!(
        info,
        [
            "id_comicbook_info INTEGER",
            "titulo VARCHAR",
            "id_volume INTEGER",
            "numero VARCHAR",
            "fecha_tapa INTEGER",
            "resumen VARCHAR",
            "notas VARCHAR",
            "calificacion FLOAT",
            "url_api_detalle VARCHAR",
            "url_sitio_web VARCHAR",
            "orden_clasificacion FLOAT",
            "fue_actualizado_api BOOLEAN",
            "id_comicvine INTEGER",
        ]
    );
    let detail: Vec<String> = columns(conn, "comicbooks_detail")
        .into_iter()
        .map(|(n, _)| n)
        .collect();
    assert_eq!(
        detail,
        [
            "id_detail",
            "comicbook_id",
            "indicePagina",
            "ordenPagina",
            "tipoPagina",
            "nombre_pagina"
        ]
    );

    // Babelcomics4's defaults hold for rows Vistazo inserts with only a path.
    conn.batch_execute("INSERT INTO comicbooks (path) VALUES ('/a.cbz')")
        .unwrap();
    let row = texts(
        conn,
        "SELECT quote(id_comicbook_info) || ',' || calidad || ',' || en_papelera AS value FROM comicbooks",
    );
    assert_eq!(row, ["'',0,0"]);
}

#[test]
fn opening_a_babelcomics_database_changes_nothing_that_was_there() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("data/babelcomics.db");
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    create_babelcomics_database(&path);

    let (before, indexes_before, journal_before) = {
        let mut conn = SqliteConnection::establish(&path.to_string_lossy()).unwrap();
        let before = snapshot(&mut conn);
        let tables: Vec<&String> = before.keys().collect();
        let indexes = index_definitions(&mut conn, &tables);
        let journal = texts(
            &mut conn,
            "SELECT journal_mode AS value FROM pragma_journal_mode",
        );
        (before, indexes, journal)
    };
    assert_eq!(journal_before, ["delete"], "as Babelcomics4 leaves it");

    // Twice: the second open must find nothing left to do.
    for _ in 0..2 {
        let mut db = vistazo::db::open(&path).expect("open the Babelcomics4 database");
        let summary = db.collection_summary().unwrap();
        assert_eq!(summary.comics, 3, "comics not in the trash");
        assert_eq!(summary.classified, 1, "' ' and '' both mean unclassified");
        assert_eq!(summary.trashed, 1);
        assert_eq!(summary.catalog_issues, 2);
        assert!(!db.has_column("comicbooks", "embedding").unwrap());
        assert!(
            db.has_column("comicbooks_info_covers", "embedding")
                .unwrap()
        );
        db.set_setting("embedding-model", "openai/clip-vit-base-patch32")
            .unwrap();
    }

    let mut conn = SqliteConnection::establish(&path.to_string_lossy()).unwrap();
    assert_eq!(
        texts(
            &mut conn,
            "SELECT journal_mode AS value FROM pragma_journal_mode"
        ),
        journal_before,
        "the journal mode is the file's, and stays as it was"
    );
    assert!(!path.with_extension("db-wal").exists());
    let after = snapshot(&mut conn);
    for (table, (definition, rows)) in &before {
        let (definition_after, rows_after) = after
            .get(table)
            .unwrap_or_else(|| panic!("table {table} disappeared"));
        assert_eq!(
            definition, definition_after,
            "definition of {table} changed"
        );
        assert_eq!(rows, rows_after, "rows of {table} changed");
    }
    let tables: Vec<&String> = before.keys().collect();
    assert_eq!(
        index_definitions(&mut conn, &tables),
        indexes_before,
        "indexes changed"
    );

    let added: Vec<&String> = after.keys().filter(|t| !before.contains_key(*t)).collect();
    assert!(
        added.contains(&&"comicbooks_detail".to_owned()),
        "the missing core table is added"
    );
    for table in &added {
        assert!(
            table.starts_with("vz_") || *table == "comicbooks_detail",
            "{table} added outside Vistazo's namespace"
        );
    }
    for table in VISTAZO_OWN {
        assert!(after.contains_key(table), "{table} missing");
    }
    let migrations = std::fs::read_dir("src/db/migrations").unwrap().count();
    assert_eq!(
        texts(
            &mut conn,
            "SELECT count(*) || '' AS value FROM vz_schema_migrations"
        ),
        [migrations.to_string()]
    );
}

#[test]
fn an_in_memory_database_keeps_settings() {
    let mut db = vistazo::db::open_in_memory().unwrap();
    assert_eq!(db.location().to_string(), ":memory:");
    assert_eq!(db.setting("missing").unwrap(), None);
    db.set_setting("k", "one").unwrap();
    db.set_setting("k", "two").unwrap();
    assert_eq!(db.setting("k").unwrap().as_deref(), Some("two"));
    assert_eq!(db.collection_summary().unwrap().comics, 0);
}

#[test]
fn a_file_that_is_not_a_database_is_refused_with_its_path() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("notes.db");
    std::fs::write(
        &path,
        b"these are not the tables you are looking for, not at all",
    )
    .unwrap();
    let error = vistazo::db::open(&path)
        .err()
        .expect("must fail")
        .to_string();
    assert!(error.contains("notes.db"), "{error}");
    assert!(!error.contains('\n'), "one line: {error}");
    assert_eq!(
        std::fs::read(&path).unwrap(),
        b"these are not the tables you are looking for, not at all",
        "the file is left as it was"
    );
}

#[test]
fn a_collection_locked_by_another_program_is_waited_for_then_named_as_busy() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("data/babelcomics.db");
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    create_babelcomics_database(&path);
    drop(vistazo::db::open(&path).expect("open the Babelcomics4 database"));

    // Another program in the middle of a long write.
    let mut other = SqliteConnection::establish(&path.to_string_lossy()).unwrap();
    other.batch_execute("BEGIN EXCLUSIVE").unwrap();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_vistazo"))
        .args(["--db", path.to_str().unwrap(), "undo", "--last"])
        .env("LANG", "C.UTF-8")
        .env_remove("LANGUAGE")
        .output()
        .expect("run vistazo");
    other.batch_execute("ROLLBACK").unwrap();

    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    let lines: Vec<&str> = stderr.trim_end().lines().collect();
    assert_eq!(
        lines.first(),
        Some(&"Waiting for another program using the collection…"),
        "the wait is said once, while it lasts: {stderr}"
    );
    assert_eq!(lines.len(), 2, "{stderr}");
    assert!(
        lines[1].starts_with("vistazo: the collection is busy: another program (Babelcomics4"),
        "{stderr}"
    );
    assert!(!stderr.contains("database is locked"), "{stderr}");
}
