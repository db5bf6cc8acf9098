//! `vistazo embed`, `vistazo classify` and `vistazo undo` through the built binary, on a small
//! Babelcomics4-style database made here: two volumes with consecutive issues and a variant,
//! owned comics whose covers are altered copies of catalog covers (rescaled, recompressed,
//! brighter, cropped), comics that are not in the catalog, one already classified and one in
//! the trash. The model is the tiny random-weight one, so the pictures' hashes and the file
//! names have to carry the decisions.

use std::io::{Cursor, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::{Integer, Nullable, Text};
use image::{ImageFormat, Rgb, RgbImage, imageops};

fn tiny_model() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/clip/tiny")
}

/// A cover nobody else has: blocks of colour drawn from `seed`.
fn cover(seed: u32) -> RgbImage {
    RgbImage::from_fn(266, 400, |x, y| {
        let cell = (x / 38) * 31 + (y / 44) * 17 + seed * 7919;
        let v = cell.wrapping_mul(2_654_435_761) >> 8;
        let channel = |shift: u32| 30 + ((v >> shift) % 170) as u8;
        Rgb([channel(0), channel(8), channel(16)])
    })
}

fn jpeg(picture: &RgbImage, quality: u8) -> Vec<u8> {
    let mut bytes = Vec::new();
    let encoder = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut bytes, quality);
    picture.write_with_encoder(encoder).expect("encode JPEG");
    bytes
}

fn brighter(picture: &RgbImage, by: u8) -> RgbImage {
    let mut out = picture.clone();
    for pixel in out.pixels_mut() {
        for channel in pixel.0.iter_mut() {
            *channel = channel.saturating_add(by);
        }
    }
    out
}

fn cropped(picture: &RgbImage, share: f32) -> RgbImage {
    let (w, h) = picture.dimensions();
    let dx = (w as f32 * share) as u32;
    let dy = (h as f32 * share) as u32;
    imageops::crop_imm(picture, dx, dy, w - 2 * dx, h - 2 * dy).to_image()
}

fn write_cbz(path: &Path, cover: &[u8]) {
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
const ISSUES: &[(i32, i32, &str, i32, &[u32])] = &[
    (1001, 100, "1", 2012, &[1]),
    (1002, 100, "2", 2012, &[2, 3]),
    (1003, 100, "3", 2012, &[4]),
    (1004, 100, "4", 2013, &[5]),
    (2001, 200, "1", 2016, &[6]),
    (2002, 200, "2", 2016, &[7]),
    (2003, 200, "3", 2016, &[8]),
];

struct Library {
    _dir: tempfile::TempDir,
    db: PathBuf,
    thumbnails: PathBuf,
    comics: PathBuf,
}

impl Library {
    fn vistazo(&self, model: &Path, args: &[&str]) -> Output {
        let output = Command::new(env!("CARGO_BIN_EXE_vistazo"))
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
            .expect("the binary runs");
        assert!(
            output.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        output
    }

    fn conn(&self) -> SqliteConnection {
        SqliteConnection::establish(&self.db.to_string_lossy()).expect("open")
    }

    /// `id_comicbook_info` of every comic, by id, exactly as stored.
    fn classifications(&self) -> Vec<(i32, Option<String>)> {
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
const SAGA_1: i32 = 1; // unclassified as NULL
const SAGA_2_VARIANT: i32 = 2; // unclassified as ''
const BATMAN_3_CROPPED: i32 = 3;
const SAGA_9_ABSENT: i32 = 4;
const SCAN_ABSENT: i32 = 5;
const PRE_CLASSIFIED: i32 = 6;
const IN_TRASH: i32 = 7;

fn library() -> Library {
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
        _dir: dir,
        db,
        thumbnails,
        comics,
    }
}

fn json_lines(output: &Output) -> Vec<serde_json::Value> {
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|line| serde_json::from_str(line).expect("one JSON object per line"))
        .collect()
}

#[test]
fn classify_applies_only_the_right_matches_and_undo_restores_every_value() {
    let library = library();
    let model = tiny_model();
    let before = library.classifications();
    library.vistazo(&model, &["embed"]);

    let output = library.vistazo(&model, &["classify", "--auto-apply", "--json"]);
    let lines = json_lines(&output);
    let looked_at: Vec<i64> = lines
        .iter()
        .map(|l| l["comic_id"].as_i64().expect("id"))
        .collect();
    assert_eq!(
        looked_at,
        [1, 2, 3, 4, 5],
        "trash and classified comics are left out"
    );
    for line in &lines {
        let candidates = line["candidates"].as_array().expect("candidates");
        assert!(candidates.len() <= 5);
        let mut issues: Vec<i64> = candidates
            .iter()
            .map(|c| c["id_comicbook_info"].as_i64().expect("issue"))
            .collect();
        issues.sort();
        issues.dedup();
        assert_eq!(
            issues.len(),
            candidates.len(),
            "one candidate per issue: {line}"
        );
        let signals = &candidates[0]["signals"];
        for key in ["visual", "hash", "series", "number", "year", "combined"] {
            assert!(signals.get(key).is_some(), "{key} in {signals}");
        }
    }

    let after = library.classifications();
    let expected = [
        (SAGA_1, Some("1001".to_owned())),
        (SAGA_2_VARIANT, Some("1002".to_owned())),
        (BATMAN_3_CROPPED, Some("2003".to_owned())),
        (SAGA_9_ABSENT, Some(String::new())),
        (SCAN_ABSENT, Some(String::new())),
        (PRE_CLASSIFIED, Some("2002".to_owned())),
        (IN_TRASH, Some(String::new())),
    ];
    assert_eq!(after, expected);
    let absent = &lines[3];
    assert_eq!(absent["applied"], false);

    // The suggestions for the comics left unclassified are stored for review.
    let mut database = vistazo::db::open(&library.db).expect("open");
    assert_eq!(
        database.suggested_comics().expect("suggested"),
        [SAGA_9_ABSENT, SCAN_ABSENT]
    );
    drop(database);

    let undone = library.vistazo(&model, &["undo", "--last"]);
    assert!(String::from_utf8_lossy(&undone.stdout).contains("3 comics"));
    assert_eq!(library.classifications(), before);
    assert_eq!(before[0], (SAGA_1, None), "NULL stays NULL");
    assert_eq!(before[1], (SAGA_2_VARIANT, Some(String::new())));
}

#[test]
fn a_second_embed_computes_nothing_new() {
    let library = library();
    let model = tiny_model();
    let first = library.vistazo(&model, &["embed"]);
    // 8 catalog covers and the 5 comics classification will look at.
    assert!(
        String::from_utf8_lossy(&first.stdout).contains("Computed 13 embeddings."),
        "{}",
        String::from_utf8_lossy(&first.stdout)
    );
    let second = library.vistazo(&model, &["embed"]);
    assert!(String::from_utf8_lossy(&second.stdout).contains("Computed 0 embeddings."));
    assert!(library.comics.is_dir());
}

#[test]
fn embeddings_stored_by_babelcomics_are_reused_for_the_same_model() {
    let library = library();
    // The tiny model under the name of the model Babelcomics4 uses.
    let named = tempfile::tempdir().expect("model dir");
    for entry in std::fs::read_dir(tiny_model()).expect("tiny model") {
        let entry = entry.expect("entry");
        std::fs::copy(entry.path(), named.path().join(entry.file_name())).expect("copy");
    }
    let config_path = named.path().join("config.json");
    let mut config: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&config_path).expect("config"))
            .expect("JSON");
    config["_name_or_path"] = "openai/clip-vit-base-patch32".into();
    std::fs::write(&config_path, config.to_string()).expect("write config");

    let mut stored = vec![0.0f32; 512];
    stored[7] = 1.0;
    let json = serde_json::to_string(&stored).expect("JSON");
    diesel::sql_query("UPDATE comicbooks_info_covers SET embedding = ? WHERE id_cover = 4")
        .bind::<Text, _>(&json)
        .execute(&mut library.conn())
        .expect("store");

    let output = library.vistazo(named.path(), &["embed", "--covers"]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("Reused 1 embedding"), "{stdout}");
    assert!(stdout.contains("Computed 7 embeddings."), "{stdout}");
    let mut database = vistazo::db::open(&library.db).expect("open");
    let kept = database
        .embedding(
            vistazo::db::embeddings::Subject::Cover,
            4,
            "openai/clip-vit-base-patch32",
        )
        .expect("read");
    assert_eq!(kept, Some(stored));
}

/// The ComicInfo.xml of a CBZ, when it has one.
fn comicinfo_of(path: &Path) -> Option<String> {
    vistazo::library::comicinfo::stored_xml(path)
        .expect("readable")
        .map(|bytes| String::from_utf8(bytes).expect("UTF-8"))
}

#[test]
fn write_comicinfo_tags_the_applied_files_and_undo_puts_the_old_ones_back() {
    use std::os::unix::fs::PermissionsExt;
    let library = library();
    let model = tiny_model();
    // Opening the database once gives it the tables Babelcomics4 makes on first start.
    drop(vistazo::db::open(&library.db).expect("open"));
    library
        .conn()
        .batch_execute(
            "INSERT INTO publishers (id_publisher, nombre) VALUES (31, 'Image');
             UPDATE volumens SET id_publisher = 31, anio_inicio = 2012 WHERE id_volume = 100;
             UPDATE comicbooks_info SET titulo = 'Chapter One',
                 url_sitio_web = 'https://comicvine.example/saga-1/4000-1001/'
             WHERE id_comicbook_info = 1001;",
        )
        .expect("catalog facts");
    let saga_1 = library.comics.join("Saga 001 (2012).cbz");
    let saga_2 = library.comics.join("Saga 002 (2012).cbz");
    let batman_3 = library.comics.join("Batman 003 (2016).cbz");
    // Saga 1 already has a ComicInfo.xml from another tool.
    let mut pages = zip::ZipArchive::new(std::fs::File::open(&saga_1).expect("open")).expect("zip");
    let mut cover = Vec::new();
    std::io::Read::read_to_end(&mut pages.by_name("001.jpg").expect("cover"), &mut cover)
        .expect("read");
    let old_info = "<?xml version=\"1.0\"?>\n<ComicInfo>\n  <Series>Sage</Series>\n  <Number>1</Number>\n  <Writer>Brian K. Vaughan</Writer>\n  <Tagger>another tool</Tagger>\n</ComicInfo>\n";
    {
        let file = std::fs::File::create(&saga_1).expect("rewrite");
        let mut zip = zip::ZipWriter::new(file);
        let options = zip::write::SimpleFileOptions::default();
        zip.start_file("001.jpg", options).expect("entry");
        zip.write_all(&cover).expect("cover");
        zip.start_file("ComicInfo.xml", options).expect("entry");
        zip.write_all(old_info.as_bytes()).expect("info");
        zip.finish().expect("finish");
    }
    // Batman 3 is read-only: classified, but its file is left alone.
    std::fs::set_permissions(&batman_3, std::fs::Permissions::from_mode(0o444)).expect("mode");
    let batman_bytes = std::fs::read(&batman_3).expect("read");
    let saga_2_bytes = std::fs::read(&saga_2).expect("read");
    let before = library.classifications();
    library.vistazo(&model, &["embed"]);

    let output = library.vistazo(
        &model,
        &["classify", "--auto-apply", "--write-comicinfo", "--json"],
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("Wrote the ComicInfo.xml of 2 comics."),
        "{stderr}"
    );
    assert!(
        stderr.contains("Could not write the ComicInfo.xml of") && stderr.contains("read-only"),
        "{stderr}"
    );
    assert_eq!(
        library.classifications()[2],
        (BATMAN_3_CROPPED, Some("2003".to_owned()))
    );
    assert_eq!(std::fs::read(&batman_3).expect("read"), batman_bytes);
    for absent in ["Saga 009 (2013).cbz", "scan_0042.cbz"] {
        assert_eq!(comicinfo_of(&library.comics.join(absent)), None, "{absent}");
    }

    let info = comicinfo_of(&saga_1).expect("written");
    for expected in [
        "<Title>Chapter One</Title>",
        "<Series>Saga</Series>",
        "<Volume>2012</Volume>",
        "<Year>2012</Year>",
        "<Publisher>Image</Publisher>",
        "<Web>https://comicvine.example/saga-1/4000-1001/</Web>",
        "[Issue ID 1001]",
        "<Writer>Brian K. Vaughan</Writer>",
        "<Tagger>another tool</Tagger>",
    ] {
        assert!(info.contains(expected), "{expected} in {info}");
    }
    let info = comicinfo_of(&saga_2).expect("written");
    assert!(
        info.contains("<Number>2</Number>") && info.contains("[Issue ID 1002]"),
        "{info}"
    );
    // The file keeps its path in the collection.
    let mut database = vistazo::db::open(&library.db).expect("open");
    let row = database.owned_comic(SAGA_1).expect("query").expect("row");
    assert_eq!(Path::new(&row.path), saga_1);
    drop(database);

    let undone = library.vistazo(&model, &["undo", "--last"]);
    let stdout = String::from_utf8_lossy(&undone.stdout);
    assert!(
        stdout.contains("Put back the previous ComicInfo.xml of 2 comics."),
        "{stdout}"
    );
    assert_eq!(library.classifications(), before);
    assert_eq!(comicinfo_of(&saga_1).as_deref(), Some(old_info));
    assert_eq!(comicinfo_of(&saga_2), None);
    let restored =
        zip::ZipArchive::new(Cursor::new(std::fs::read(&saga_2).expect("read"))).expect("zip");
    let original = zip::ZipArchive::new(Cursor::new(saga_2_bytes)).expect("zip");
    assert_eq!(restored.len(), original.len());
    for at in 0..original.len() {
        let name = |zip: &zip::ZipArchive<_>| {
            zip.name_for_index(at)
                .expect("entry")
                .expect("name")
                .into_owned()
        };
        assert_eq!(name(&restored), name(&original));
    }
}
