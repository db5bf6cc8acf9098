//! A small Babelcomics4-style library made by code, for the tests of matching and of the review:
//! two volumes with consecutive issues and a variant, owned comics whose covers are altered
//! copies of catalog covers (rescaled, recompressed, brighter, cropped), comics that are not in
//! the catalog, one already classified and one in the trash, with the catalog covers on disk
//! where Babelcomics4 keeps them.

#![allow(dead_code)]

use std::io::{Cursor, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::{Integer, Nullable, Text};
use image::{ImageFormat, Rgb, RgbImage, imageops};

pub fn tiny_model() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/clip/tiny")
}

/// A cover nobody else has: blocks of colour drawn from `seed`.
pub fn cover(seed: u32) -> RgbImage {
    RgbImage::from_fn(266, 400, |x, y| {
        let cell = (x / 38) * 31 + (y / 44) * 17 + seed * 7919;
        let v = cell.wrapping_mul(2_654_435_761) >> 8;
        let channel = |shift: u32| 30 + ((v >> shift) % 170) as u8;
        Rgb([channel(0), channel(8), channel(16)])
    })
}

pub fn jpeg(picture: &RgbImage, quality: u8) -> Vec<u8> {
    let mut bytes = Vec::new();
    let encoder = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut bytes, quality);
    picture.write_with_encoder(encoder).expect("encode JPEG");
    bytes
}

pub fn brighter(picture: &RgbImage, by: u8) -> RgbImage {
    let mut out = picture.clone();
    for pixel in out.pixels_mut() {
        for channel in pixel.0.iter_mut() {
            *channel = channel.saturating_add(by);
        }
    }
    out
}

pub fn cropped(picture: &RgbImage, share: f32) -> RgbImage {
    let (w, h) = picture.dimensions();
    let dx = (w as f32 * share) as u32;
    let dy = (h as f32 * share) as u32;
    imageops::crop_imm(picture, dx, dy, w - 2 * dx, h - 2 * dy).to_image()
}

pub fn write_cbz(path: &Path, cover: &[u8]) {
    let file = std::fs::File::create(path).expect("create cbz");
    let mut zip = zip::ZipWriter::new(file);
    let options = zip::write::SimpleFileOptions::default();
    zip.start_file("001.jpg", options).expect("entry");
    zip.write_all(cover).expect("cover");
    let inside = RgbImage::from_pixel(200, 300, Rgb([240, 240, 240]));
    let mut page = Vec::new();
    inside
        .write_to(&mut Cursor::new(&mut page), ImageFormat::Png)
        .expect("page");
    zip.start_file("002.png", options).expect("entry");
    zip.write_all(&page).expect("page");
    zip.finish().expect("finish");
}

/// The issues of the catalog: (issue id, volume id, number, year, cover seeds).
pub const ISSUES: &[(i32, i32, &str, i32, &[u32])] = &[
    (1001, 100, "1", 2012, &[1]),
    (1002, 100, "2", 2012, &[2, 3]),
    (1003, 100, "3", 2012, &[4]),
    (1004, 100, "4", 2013, &[5]),
    (2001, 200, "1", 2016, &[6]),
    (2002, 200, "2", 2016, &[7]),
    (2003, 200, "3", 2016, &[8]),
];

pub struct Library {
    pub dir: tempfile::TempDir,
    pub db: PathBuf,
    pub thumbnails: PathBuf,
    pub comics: PathBuf,
}

impl Library {
    pub fn vistazo(&self, model: &Path, args: &[&str]) -> Output {
        let output = self.vistazo_may_fail(model, args);
        assert!(
            output.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        output
    }

    /// Runs a command whatever its exit status.
    #[allow(dead_code)]
    pub fn vistazo_may_fail(&self, model: &Path, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_vistazo"))
            .arg("--db")
            .arg(&self.db)
            .arg("--thumbnails")
            .arg(&self.thumbnails)
            .arg("--model")
            .arg(model)
            .args(["--device", "cpu"])
            .args(args)
            .env("LC_ALL", "C")
            .output()
            .expect("the binary runs")
    }

    /// A connection that waits out the writes of a running app, as Babelcomics4's does: the
    /// database keeps its rollback journal.
    pub fn conn(&self) -> SqliteConnection {
        let mut conn = SqliteConnection::establish(&self.db.to_string_lossy()).expect("open");
        conn.batch_execute("PRAGMA busy_timeout = 5000")
            .expect("busy timeout");
        conn
    }

    /// `id_comicbook_info` of every comic, by id, exactly as stored.
    pub fn classifications(&self) -> Vec<(i32, Option<String>)> {
        #[derive(QueryableByName)]
        struct Row {
            #[diesel(sql_type = Integer)]
            id_comicbook: i32,
            #[diesel(sql_type = Nullable<Text>)]
            id_comicbook_info: Option<String>,
        }
        let rows: Vec<Row> = diesel::sql_query(
            "SELECT id_comicbook, id_comicbook_info FROM comicbooks ORDER BY id_comicbook",
        )
        .load(&mut self.conn())
        .expect("comics");
        rows.into_iter()
            .map(|r| (r.id_comicbook, r.id_comicbook_info))
            .collect()
    }
}

/// Comic ids of the library, with what each one is.
pub const SAGA_1: i32 = 1; // unclassified as NULL
pub const SAGA_2_VARIANT: i32 = 2; // unclassified as ''
pub const BATMAN_3_CROPPED: i32 = 3;
pub const SAGA_9_ABSENT: i32 = 4;
pub const SCAN_ABSENT: i32 = 5;
pub const PRE_CLASSIFIED: i32 = 6;
pub const IN_TRASH: i32 = 7;

pub fn library() -> Library {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("data/babelcomics.db");
    let thumbnails = dir.path().join("thumbnails");
    let comics = dir.path().join("comics");
    std::fs::create_dir_all(db.parent().expect("parent")).expect("data");
    std::fs::create_dir_all(&comics).expect("comics");

    let mut conn = SqliteConnection::establish(&db.to_string_lossy()).expect("create");
    // An older Babelcomics4 schema: id_comicbook_info may be NULL, with the embedding columns.
    conn.batch_execute(
        "CREATE TABLE volumens (id_volume INTEGER PRIMARY KEY, nombre VARCHAR NOT NULL,
             deck VARCHAR NOT NULL DEFAULT '', descripcion VARCHAR NOT NULL DEFAULT '',
             url VARCHAR NOT NULL DEFAULT '', image_url VARCHAR NOT NULL DEFAULT '',
             id_publisher INTEGER NOT NULL DEFAULT 0, anio_inicio INTEGER NOT NULL DEFAULT 0,
             cantidad_numeros INTEGER NOT NULL DEFAULT 0, id_comicvine INTEGER);
         CREATE TABLE comicbooks_info (id_comicbook_info INTEGER PRIMARY KEY,
             titulo VARCHAR NOT NULL DEFAULT '', id_volume INTEGER NOT NULL,
             numero VARCHAR NOT NULL, fecha_tapa INTEGER NOT NULL, resumen VARCHAR,
             notas VARCHAR, calificacion FLOAT NOT NULL DEFAULT 0, url_api_detalle VARCHAR,
             url_sitio_web VARCHAR, orden_clasificacion FLOAT NOT NULL DEFAULT 0,
             fue_actualizado_api BOOLEAN NOT NULL DEFAULT 0, id_comicvine INTEGER);
         CREATE TABLE comicbooks_info_covers (id_cover INTEGER PRIMARY KEY,
             id_comicbook_info INTEGER NOT NULL, url_imagen VARCHAR NOT NULL, embedding VARCHAR);
         CREATE TABLE comicbooks (id_comicbook INTEGER PRIMARY KEY AUTOINCREMENT,
             path VARCHAR NOT NULL UNIQUE, id_comicbook_info VARCHAR,
             calidad INTEGER NOT NULL DEFAULT 0, en_papelera BOOLEAN NOT NULL DEFAULT 0,
             embedding VARCHAR);
         INSERT INTO volumens (id_volume, nombre) VALUES (100, 'Saga'), (200, 'Batman');",
    )
    .expect("schema");

    let store = vistazo::library::ThumbnailStore::new(&thumbnails);
    let mut pictures = std::collections::HashMap::new();
    for (issue, volume, number, year, seeds) in ISSUES {
        diesel::sql_query(
            "INSERT INTO comicbooks_info (id_comicbook_info, id_volume, numero, fecha_tapa) \
             VALUES (?, ?, ?, ?)",
        )
        .bind::<Integer, _>(issue)
        .bind::<Integer, _>(volume)
        .bind::<Text, _>(number)
        .bind::<Integer, _>(year)
        .execute(&mut conn)
        .expect("issue");
        let name = if *volume == 100 { "Saga" } else { "Batman" };
        for seed in *seeds {
            let url = format!("https://img.example/{seed}-cover.jpg");
            diesel::sql_query(
                "INSERT INTO comicbooks_info_covers (id_cover, id_comicbook_info, url_imagen) \
                 VALUES (?, ?, ?)",
            )
            .bind::<Integer, _>(*seed as i32)
            .bind::<Integer, _>(issue)
            .bind::<Text, _>(&url)
            .execute(&mut conn)
            .expect("cover");
            let file = store.catalog_cover(name, *volume, &url);
            std::fs::create_dir_all(file.parent().expect("folder")).expect("folder");
            let picture = cover(*seed);
            std::fs::write(&file, jpeg(&picture, 90)).expect("cover file");
            pictures.insert(*seed, picture);
        }
    }

    let rescaled = imageops::resize(&pictures[&1], 200, 300, imageops::FilterType::Triangle);
    let owned: [(i32, &str, Vec<u8>, &str, bool); 7] = [
        (
            SAGA_1,
            "Saga 001 (2012).cbz",
            jpeg(&brighter(&rescaled, 20), 85),
            "NULL",
            false,
        ),
        (
            SAGA_2_VARIANT,
            "Saga 002 (2012).cbz",
            jpeg(&pictures[&3], 60),
            "''",
            false,
        ),
        (
            BATMAN_3_CROPPED,
            "Batman 003 (2016).cbz",
            jpeg(&cropped(&pictures[&8], 0.03), 85),
            "''",
            false,
        ),
        (
            SAGA_9_ABSENT,
            "Saga 009 (2013).cbz",
            jpeg(&cover(50), 85),
            "''",
            false,
        ),
        (
            SCAN_ABSENT,
            "scan_0042.cbz",
            jpeg(&cover(51), 85),
            "''",
            false,
        ),
        (
            PRE_CLASSIFIED,
            "Batman 001 (2016).cbz",
            jpeg(&pictures[&6], 85),
            "'2002'",
            false,
        ),
        (
            IN_TRASH,
            "Saga 004 (2013).cbz",
            jpeg(&pictures[&5], 85),
            "''",
            true,
        ),
    ];
    for (id, name, cover, value, trash) in owned {
        let path = comics.join(name);
        write_cbz(&path, &cover);
        diesel::sql_query(format!(
            "INSERT INTO comicbooks (id_comicbook, path, id_comicbook_info, en_papelera) \
             VALUES (?, ?, {value}, ?)"
        ))
        .bind::<Integer, _>(id)
        .bind::<Text, _>(path.to_string_lossy())
        .bind::<diesel::sql_types::Bool, _>(trash)
        .execute(&mut conn)
        .expect("comic");
    }
    Library {
        dir,
        db,
        thumbnails,
        comics,
    }
}

/// A stored candidate of run `run`: issue `issue` at cover `cover`, scoring `combined`, its
/// pictures compared, nothing else said.
pub fn stored_candidate(
    run: i64,
    issue: i32,
    cover: i32,
    combined: f64,
) -> vistazo::db::matching::StoredCandidate {
    vistazo::db::matching::StoredCandidate {
        run_id: run,
        id_comicbook_info: issue,
        id_cover: cover,
        visual: combined,
        hash: Some(0.95),
        series: None,
        number: None,
        year: None,
        combined,
        tagged: false,
        same_folder: false,
        edition: false,
        unreadable_cover: false,
    }
}
