//! The quality bar of comic matching, measured the way a user meets it: a generated catalog of
//! four volumes (two of them both called "Spider-Man", with the same issue numbers) whose
//! consecutive issues share their trade dress, with variant covers; a collection of re-scans
//! and phone photos of those covers in CBZ, CBR, CB7, CBT and folders, under the names
//! collectors give them, some of issues the catalog lacks, one classified by the user and one
//! in the trash. `scan`, `embed`, `classify --auto-apply` at the default threshold and `undo`
//! run through the binary with the tiny random-weight model, so the pictures' hashes and the
//! file names carry the decisions.
//!
//! The bar: at least 98% of the applied matches right, at least 85% of the comics that are in
//! the catalog applied, none of the absent ones applied, the user's and the trash's comics
//! untouched, and undo giving back the exact stored values.

#[path = "support/fixtures.rs"]
mod fixtures;
#[path = "support/synthetic_library.rs"]
mod synthetic;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::{Integer, Text};

use synthetic::{Container, Rng, TradeDress};

/// A volume of the catalog: id, name, start year, publisher, cover year of its issues, first
/// issue number, number of issues, the issues that have a variant cover.
struct Volume {
    id: i32,
    name: &'static str,
    start: i32,
    publisher: i32,
    year: i32,
    first: u32,
    count: u32,
    variants: &'static [u32],
}

const VOLUMES: &[Volume] = &[
    Volume {
        id: 100,
        name: "Batman",
        start: 1940,
        publisher: 10,
        year: 1993,
        first: 497,
        count: 8,
        variants: &[499, 503],
    },
    Volume {
        id: 200,
        name: "Spider-Man",
        start: 1990,
        publisher: 31,
        year: 1991,
        first: 10,
        count: 7,
        variants: &[12],
    },
    Volume {
        id: 300,
        name: "Spider-Man",
        start: 1998,
        publisher: 31,
        year: 1999,
        first: 10,
        count: 7,
        variants: &[14],
    },
    Volume {
        id: 400,
        name: "X-Men",
        start: 1991,
        publisher: 31,
        year: 1991,
        first: 1,
        count: 8,
        variants: &[1, 4],
    },
];

fn issue_id(volume: i32, number: u32) -> i32 {
    volume * 1000 + number as i32
}

/// Which picture an owned comic's cover is.
#[derive(Debug, Clone, Copy)]
enum Source {
    /// Cover `variant` (0: the main one) of catalog issue `number` of `volume`.
    Catalog {
        volume: i32,
        number: u32,
        variant: u32,
    },
    /// An issue of `volume` the catalog does not have.
    Absent { volume: i32, number: u32 },
}

#[derive(Debug, Clone, Copy)]
enum Shot {
    Rescan,
    Photo,
}

/// How the collection came to be in the database before classification.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Unclassified,
    /// Classified by the user, as this issue (on purpose not the issue of the picture).
    Classified(i32),
    Trashed,
}

struct Owned {
    name: &'static str,
    container: Container,
    source: Source,
    shot: Shot,
    state: State,
}

const fn owned(name: &'static str, container: Container, source: Source, shot: Shot) -> Owned {
    Owned {
        name,
        container,
        source,
        shot,
        state: State::Unclassified,
    }
}

const fn cat(volume: i32, number: u32) -> Source {
    Source::Catalog {
        volume,
        number,
        variant: 0,
    }
}

const fn variant(volume: i32, number: u32) -> Source {
    Source::Catalog {
        volume,
        number,
        variant: 1,
    }
}

const fn absent(volume: i32, number: u32) -> Source {
    Source::Absent { volume, number }
}

use Container::{Cb7, Cbr, Cbt, Cbz, Folder};
use Shot::{Photo, Rescan};

const COLLECTION: &[Owned] = &[
    owned("Batman 497 (1993).cbz", Cbz, cat(100, 497), Rescan),
    owned("Batman 497 (1993) (c2c).cbz", Cbz, cat(100, 497), Photo),
    owned("Batman 498 (1993).cbz", Cbz, cat(100, 498), Photo),
    owned("Batman 499 (1993).cbz", Cbz, cat(100, 499), Rescan),
    owned(
        "Batman 499 (1993) (Variant Cover).cbz",
        Cbz,
        variant(100, 499),
        Photo,
    ),
    owned("Batman 500 (1993)", Folder, cat(100, 500), Rescan),
    owned("Batman #501.cbr", Cbr, cat(100, 501), Photo),
    owned(
        "Batman 502 (1993) (Digital).cb7",
        Cb7,
        cat(100, 502),
        Rescan,
    ),
    owned("scan_0042.cbz", Cbz, variant(100, 503), Rescan),
    owned("Batman 504 (1993).cbt", Cbt, cat(100, 504), Photo),
    owned("Batman 505 (1993).cbz", Cbz, absent(100, 505), Photo),
    owned("Batman 496 (1993).cbz", Cbz, absent(100, 496), Rescan),
    owned("Spider-Man 010 (1991).cbz", Cbz, cat(200, 10), Rescan),
    owned(
        "Spider-Man 010 (1991) (Digital).cbz",
        Cbz,
        cat(200, 10),
        Photo,
    ),
    owned("Spider-Man 011 (1991).cb7", Cb7, cat(200, 11), Photo),
    owned("Spider-Man 012 (1991).cbz", Cbz, variant(200, 12), Rescan),
    owned("Spider-Man 013.cbz", Cbz, cat(200, 13), Photo),
    owned("Spider-Man - 014 - Torment.cbz", Cbz, cat(200, 14), Rescan),
    owned("scan_0107.cbz", Cbz, cat(200, 15), Photo),
    owned("Spider-Man 016 (1991).cbt", Cbt, cat(200, 16), Rescan),
    owned("Spider-Man 017 (1991).cb7", Cb7, absent(200, 17), Photo),
    owned("Spider-Man v2 #010.cbr", Cbr, cat(300, 10), Rescan),
    owned("Spider-Man v2 #011.cbz", Cbz, cat(300, 11), Photo),
    owned("Spider-Man v2 #012.cbr", Cbr, cat(300, 12), Photo),
    owned("Spider-Man v2 #013 (1999).cbz", Cbz, cat(300, 13), Rescan),
    owned(
        "Spider-Man v2 #014 (1999) (Variant).cb7",
        Cb7,
        variant(300, 14),
        Rescan,
    ),
    owned("Spider-Man v2 015 (1999)", Folder, cat(300, 15), Photo),
    owned("Spider-Man 016 (1999).cbz", Cbz, cat(300, 16), Rescan),
    owned("Spider-Man v2 #017.cbr", Cbr, absent(300, 17), Photo),
    owned("scan_0108.cbz", Cbz, absent(300, 9), Rescan),
    owned("X-Men - 001 - Rogue Planet.cbz", Cbz, cat(400, 1), Rescan),
    owned(
        "X-Men - 001 - Rogue Planet (Variant).cbz",
        Cbz,
        variant(400, 1),
        Photo,
    ),
    owned("X-Men - 002 - Second Genesis.cbz", Cbz, cat(400, 2), Photo),
    owned("X-Men 003 (1991).cb7", Cb7, cat(400, 3), Rescan),
    owned("scan_0143.cbz", Cbz, cat(400, 3), Photo),
    owned("X-Men 004 (1991).cbt", Cbt, variant(400, 4), Photo),
    owned("X-Men 005 (1991)", Folder, cat(400, 5), Rescan),
    owned("X-Men - 006.cbz", Cbz, cat(400, 6), Photo),
    owned("x-men_007_(1991).cbz", Cbz, cat(400, 7), Rescan),
    owned("X-Men 008 (1991).cbr", Cbr, cat(400, 8), Photo),
    owned(
        "X-Men - 009 - Fatal Attractions.cbz",
        Cbz,
        absent(400, 9),
        Rescan,
    ),
    owned("X-Men 010 (1991).cbz", Cbz, absent(400, 10), Photo),
    Owned {
        state: State::Classified(100_501),
        ..owned("Batman 503 (1993).cbz", Cbz, cat(100, 503), Rescan)
    },
    Owned {
        state: State::Trashed,
        ..owned("X-Men 002 (1991).cbz", Cbz, cat(400, 2), Rescan)
    },
];

fn tiny_model() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/clip/tiny")
}

struct Library {
    _dir: tempfile::TempDir,
    db: PathBuf,
    thumbnails: PathBuf,
    comics: PathBuf,
}

impl Library {
    fn vistazo(&self, args: &[&str]) -> Output {
        let output = Command::new(env!("CARGO_BIN_EXE_vistazo"))
            .arg("--db")
            .arg(&self.db)
            .arg("--thumbnails")
            .arg(&self.thumbnails)
            .arg("--model")
            .arg(tiny_model())
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

    /// Every comic's file name with its classification and trash flag as SQL literals
    /// (`quote()`), so NULL, '' and ' ' stay apart.
    fn stored(&self) -> Vec<(String, String, String)> {
        #[derive(QueryableByName)]
        struct Row {
            #[diesel(sql_type = Text)]
            path: String,
            #[diesel(sql_type = Text)]
            info: String,
            #[diesel(sql_type = Text)]
            trash: String,
        }
        let rows: Vec<Row> = diesel::sql_query(
            "SELECT path, quote(id_comicbook_info) AS info, quote(en_papelera) AS trash \
             FROM comicbooks ORDER BY id_comicbook",
        )
        .load(&mut self.conn())
        .expect("comics");
        rows.into_iter()
            .map(|r| (file_name(&r.path), r.info, r.trash))
            .collect()
    }
}

fn file_name(path: &str) -> String {
    Path::new(path)
        .file_name()
        .expect("a file name")
        .to_string_lossy()
        .into_owned()
}

/// The catalog in the database and on disk, then the collection on disk.
fn library() -> Library {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("data/babelcomics.db");
    let thumbnails = dir.path().join("data/thumbnails");
    let comics = dir.path().join("comics");
    std::fs::create_dir_all(&comics).expect("comics");
    drop(vistazo::db::open(&db).expect("a new database"));
    let mut conn = SqliteConnection::establish(&db.to_string_lossy()).expect("open");
    conn.batch_execute(
        "INSERT INTO publishers (id_publisher, nombre) VALUES (10, 'DC Comics'), (31, 'Marvel');",
    )
    .expect("publishers");
    let store = vistazo::library::ThumbnailStore::new(&thumbnails);
    // Catalog covers by (volume, number, variant).
    let mut covers: HashMap<(i32, u32, u32), image::RgbImage> = HashMap::new();
    let mut next_cover = 1;
    for volume in VOLUMES {
        diesel::sql_query(
            "INSERT INTO volumens (id_volume, nombre, id_publisher, anio_inicio, \
             cantidad_numeros) VALUES (?, ?, ?, ?, ?)",
        )
        .bind::<Integer, _>(volume.id)
        .bind::<Text, _>(volume.name)
        .bind::<Integer, _>(volume.publisher)
        .bind::<Integer, _>(volume.start)
        .bind::<Integer, _>(volume.count as i32)
        .execute(&mut conn)
        .expect("volume");
        let dress = TradeDress::new(volume.id as u64);
        for number in volume.first..volume.first + volume.count {
            let id = issue_id(volume.id, number);
            diesel::sql_query(
                "INSERT INTO comicbooks_info (id_comicbook_info, titulo, id_volume, numero, \
                 fecha_tapa, url_sitio_web, id_comicvine) VALUES (?, ?, ?, ?, ?, ?, ?)",
            )
            .bind::<Integer, _>(id)
            .bind::<Text, _>(format!("Chapter {number}"))
            .bind::<Integer, _>(volume.id)
            .bind::<Text, _>(number.to_string())
            .bind::<Integer, _>(volume.year)
            .bind::<Text, _>(format!("https://comicvine.example/issue/4000-{id}/"))
            .bind::<Integer, _>(id)
            .execute(&mut conn)
            .expect("issue");
            let variants = if volume.variants.contains(&number) {
                2
            } else {
                1
            };
            for variant in 0..variants {
                let url = format!("https://comicvine.example/covers/{id}-{variant}.jpg");
                diesel::sql_query(
                    "INSERT INTO comicbooks_info_covers (id_cover, id_comicbook_info, \
                     url_imagen) VALUES (?, ?, ?)",
                )
                .bind::<Integer, _>(next_cover)
                .bind::<Integer, _>(id)
                .bind::<Text, _>(&url)
                .execute(&mut conn)
                .expect("cover");
                let picture = synthetic::draw_cover(&dress, next_cover as u64, number);
                let file = store.catalog_cover(volume.name, volume.id, &url);
                std::fs::create_dir_all(file.parent().expect("folder")).expect("folder");
                std::fs::write(&file, synthetic::jpeg(&picture, 90)).expect("cover file");
                covers.insert((volume.id, number, variant), picture);
                next_cover += 1;
            }
        }
    }

    for (at, comic) in COLLECTION.iter().enumerate() {
        let mut rng = Rng::new(1_000 + at as u64);
        let original = match comic.source {
            Source::Catalog {
                volume,
                number,
                variant,
            } => covers[&(volume, number, variant)].clone(),
            Source::Absent { volume, number } => {
                let dress = TradeDress::new(volume as u64);
                synthetic::draw_cover(&dress, 50_000 + at as u64, number)
            }
        };
        let (picture, quality) = match comic.shot {
            Shot::Rescan => (
                synthetic::rescan(&original, &mut rng),
                70 + rng.below(22) as u8,
            ),
            Shot::Photo => (
                synthetic::phone_photo(&original, &mut rng),
                75 + rng.below(13) as u8,
            ),
        };
        synthetic::write_comic(
            &comics.join(comic.name),
            comic.container,
            synthetic::jpeg(&picture, quality),
            at as u64,
        );
    }
    Library {
        _dir: dir,
        db,
        thumbnails,
        comics,
    }
}

/// What the collection should end up as, by file name: the issue, or `None` for a comic whose
/// issue is not in the catalog.
fn truth() -> HashMap<&'static str, Option<i32>> {
    COLLECTION
        .iter()
        .filter(|c| c.state == State::Unclassified)
        .map(|c| {
            let issue = match c.source {
                Source::Catalog { volume, number, .. } => Some(issue_id(volume, number)),
                Source::Absent { .. } => None,
            };
            (c.name, issue)
        })
        .collect()
}

#[test]
fn classification_meets_the_quality_bar_and_undo_restores_every_value() {
    let library = library();
    library.vistazo(&["scan", &library.comics.to_string_lossy()]);
    let mut conn = library.conn();
    for comic in COLLECTION {
        let like = format!("%/{}", comic.name);
        match comic.state {
            State::Unclassified => {}
            State::Classified(issue) => {
                diesel::sql_query("UPDATE comicbooks SET id_comicbook_info = ? WHERE path LIKE ?")
                    .bind::<Text, _>(issue.to_string())
                    .bind::<Text, _>(&like)
                    .execute(&mut conn)
                    .expect("classified by the user");
            }
            State::Trashed => {
                diesel::sql_query("UPDATE comicbooks SET en_papelera = 1 WHERE path LIKE ?")
                    .bind::<Text, _>(&like)
                    .execute(&mut conn)
                    .expect("in the trash");
            }
        }
    }
    drop(conn);
    let before = library.stored();
    assert_eq!(
        before.len(),
        COLLECTION.len(),
        "every comic scanned: {before:?}"
    );

    library.vistazo(&["embed"]);
    let output = library.vistazo(&["classify", "--auto-apply", "--json"]);
    let lines: Vec<serde_json::Value> = String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|line| serde_json::from_str(line).expect("one JSON object per line"))
        .collect();
    let after = library.stored();

    let truth = truth();
    let (mut applied, mut right, mut matchable, mut absent_applied) = (0, 0, 0, 0);
    let mut report = Vec::new();
    for ((name, was, trash_before), (_, is, trash_after)) in before.iter().zip(&after) {
        assert_eq!(trash_before, trash_after);
        let Some(expected) = truth.get(name.as_str()) else {
            assert_eq!(was, is, "{name} was left as the user had it");
            continue;
        };
        if expected.is_some() {
            matchable += 1;
        }
        let line = lines
            .iter()
            .find(|l| {
                l["path"]
                    .as_str()
                    .is_some_and(|p| p.ends_with(name.as_str()))
            })
            .unwrap_or_else(|| panic!("{name} was looked at"));
        let best = &line["candidates"][0];
        report.push(format!(
            "{name}: expected {expected:?}, stored {is}, best {} {} second {}",
            best["id_comicbook_info"], best["signals"], line["candidates"][1]["score"]
        ));
        if is == was {
            continue;
        }
        applied += 1;
        match expected {
            Some(issue) if *is == format!("'{issue}'") => right += 1,
            Some(_) => {}
            None => absent_applied += 1,
        }
    }
    let precision = f64::from(right) / f64::from(applied.max(1));
    let recall = f64::from(right) / f64::from(matchable);
    let summary = format!(
        "applied {applied}, right {right}, matchable {matchable}, absent applied \
         {absent_applied}: precision {precision:.3}, recall {recall:.3}\n{}",
        report.join("\n")
    );
    println!("{summary}");
    assert_eq!(absent_applied, 0, "{summary}");
    assert!(precision >= 0.98, "{summary}");
    assert!(
        f64::from(applied) >= 0.85 * f64::from(matchable),
        "{summary}"
    );

    library.vistazo(&["undo", "--last"]);
    assert_eq!(
        library.stored(),
        before,
        "undo restores the stored values exactly"
    );
}
