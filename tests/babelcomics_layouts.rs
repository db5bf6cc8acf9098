//! Babelcomics4's databases as its users have them, written here from the facts Babelcomics4
//! works by (not from its code), in both of its layouts:
//!
//! - **current** (since 2025-10-16): issues, volumes and publishers numbered by SQLite, the
//!   ComicVine issue id in `comicbooks_info.comicvine_id`, volumes found by `id_comicvine`;
//! - **keyed** (before): the ComicVine ids are the rows' keys, repeated in `id_comicvine`.
//!
//! Each library has its thumbnails folder moved through `setups.carpeta_thumbnails`, is opened
//! through a symbolic link, has covers under all four names Babelcomics4 downloads them as
//! (`{name}.jpg`, `{stem}_variant_{k}.jpg`, `issue_{numero}.jpg`,
//! `issue_{numero}_variant_{k}.jpg`), a volume whose name has combining marks (its folder
//! cleaned as Python's `isalnum()` cleans it), Babelcomics4's JSON vectors for every cover
//! including covers whose picture is gone, and comics tagged by ComicTagger or Metron-Tagger:
//! in the catalog, absent (one with a ComicVine id that is also one of Babelcomics4's own issue
//! ids), and one whose tags name two different issues.
//!
//! The bar, on both layouts: every cover found; precision ≥ 0.99 and recall ≥ 0.90; tagged
//! comics applied to exactly their issue and absent ones never; contradictory tags and
//! unreadable covers left to review; Babelcomics4's own rows and journal mode unchanged; undo
//! exact.

#[path = "support/babelcomics.rs"]
mod babelcomics;
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
use vistazo::clip::weights::DEFAULT_REPO;
use vistazo::clip::{DevicePreference, Engine, EngineOptions, ModelFiles};
use vistazo::db::layout::Generation;
use vistazo::jobs::CancelToken;
use vistazo::library::thumbnails::{self, CoverName, ThumbnailStore, clean_volume_name};
use vistazo::matching::classify::{ClassifyEvent, ClassifyOptions, ComicMatch};
use vistazo::matching::embed::EmbedOptions;
use vistazo::matching::score::Hold;

/// A volume: its ComicVine id, name, start year and publisher's ComicVine id.
struct Volume {
    comicvine: i32,
    name: &'static str,
    start: i32,
    publisher: i32,
}

const VOLUMES: &[Volume] = &[
    Volume {
        comicvine: 91_001,
        name: "Saga",
        start: 2012,
        publisher: 31,
    },
    // Devanagari vowel signs are combining marks: the folder is "नगरज_{id}".
    Volume {
        comicvine: 91_002,
        name: "नागराज",
        start: 1986,
        publisher: 40,
    },
    Volume {
        comicvine: 91_003,
        name: "Thunder Knight",
        start: 1999,
        publisher: 31,
    },
];

/// How a cover's address names its file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Address {
    /// Ends in `.jpg`: saved under its own name (a variant as `{stem}_variant_{k}.jpg`).
    Named,
    /// No picture extension: saved as `issue_{numero}.jpg` / `issue_{numero}_variant_{k}.jpg`.
    Bare,
}

/// A catalog issue: volume (index into [`VOLUMES`]), number, the addresses of its covers
/// (main first), and whether their picture files are gone (Babelcomics4 kept their vectors).
struct Issue {
    volume: usize,
    number: u32,
    covers: &'static [Address],
    gone: bool,
}

const fn issue(volume: usize, number: u32, covers: &'static [Address]) -> Issue {
    Issue {
        volume,
        number,
        covers,
        gone: false,
    }
}

use Address::{Bare, Named};

const ISSUES: &[Issue] = &[
    issue(0, 1, &[Named]),
    issue(0, 2, &[Named]),
    issue(0, 3, &[Named, Named]),
    issue(0, 4, &[Named]),
    issue(0, 5, &[Bare]),
    issue(0, 6, &[Named, Bare]),
    issue(1, 1, &[Named]),
    issue(1, 2, &[Named]),
    issue(1, 3, &[Named]),
    issue(1, 4, &[Bare]),
    issue(2, 1, &[Named]),
    Issue {
        gone: true,
        ..issue(2, 2, &[Named])
    },
    Issue {
        gone: true,
        ..issue(2, 3, &[Bare])
    },
    issue(2, 4, &[Named]),
];

/// The ComicVine id of issue `number` of volume `volume`.
fn comicvine_issue(volume: usize, number: u32) -> i32 {
    700_000 + volume as i32 * 100 + number as i32
}

/// Which picture an owned comic's cover is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Source {
    /// Cover `variant` of catalog issue `number` of volume `volume`.
    Catalog {
        volume: usize,
        number: u32,
        variant: usize,
    },
    /// An issue the catalog does not have.
    Absent(u64),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shot {
    Rescan,
    Photo,
    /// Too poor for the picture to tell anything.
    Poor,
}

/// What the comic's tags say.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tag {
    None,
    /// ComicInfo.xml with the issue page in `Web`.
    Web(i32),
    /// ComicInfo.xml with ComicTagger's `[Issue ID N]` in `Notes`.
    Notes(i32),
    /// MetronInfo.xml with the Comic Vine id.
    Metron(i32),
    /// ComicInfo.xml naming one issue in `Web` and MetronInfo.xml another.
    Contradicting(i32, i32),
}

struct Owned {
    name: &'static str,
    source: Source,
    shot: Shot,
    tag: Tag,
}

const fn owned(name: &'static str, source: Source, shot: Shot) -> Owned {
    Owned {
        name,
        source,
        shot,
        tag: Tag::None,
    }
}

const fn cat(volume: usize, number: u32) -> Source {
    Source::Catalog {
        volume,
        number,
        variant: 0,
    }
}

use Shot::{Photo, Poor, Rescan};

/// A ComicVine id that is not in the catalog but is one of Babelcomics4's own issue ids in the
/// current layout (Saga #3's): comparing the two kinds of ids would apply it there.
const OWN_ID_LOOKALIKE: i32 = 3;
const CONTRADICTED: &str = "IMG_0004.cbz";
const GONE_COVER: &str = "Thunder Knight 002 (1999).cbz";

const COLLECTION: &[Owned] = &[
    owned("Saga 001 (2012).cbz", cat(0, 1), Rescan),
    owned("Saga 002 (2012).cbz", cat(0, 2), Rescan),
    owned("Saga 003 (2012).cbz", cat(0, 3), Rescan),
    owned(
        "Saga 003 (2012) (Variant).cbz",
        Source::Catalog {
            volume: 0,
            number: 3,
            variant: 1,
        },
        Rescan,
    ),
    owned("Saga 004 (2012).cbz", cat(0, 4), Photo),
    owned("Saga 005 (2012).cbz", cat(0, 5), Rescan),
    owned(
        "Saga 006 (2012) (Variant).cbz",
        Source::Catalog {
            volume: 0,
            number: 6,
            variant: 1,
        },
        Rescan,
    ),
    owned("Nagraj 001.cbz", cat(1, 1), Rescan),
    owned("Nagraj 002.cbz", cat(1, 2), Rescan),
    owned("Nagraj 004.cbz", cat(1, 4), Rescan),
    owned("Thunder Knight 001 (1999).cbz", cat(2, 1), Rescan),
    owned(GONE_COVER, cat(2, 2), Rescan),
    owned("Thunder Knight 004 (1999).cbz", cat(2, 4), Rescan),
    owned("Iron Unknown 017 (1999).cbz", Source::Absent(17), Rescan),
    owned("Saga 009 (2013).cbz", Source::Absent(9), Rescan),
    Owned {
        tag: Tag::Web(700_002),
        ..owned("IMG_0001.cbz", cat(0, 2), Poor)
    },
    Owned {
        tag: Tag::Metron(700_103),
        ..owned("IMG_0002.cbz", cat(1, 3), Poor)
    },
    Owned {
        tag: Tag::Notes(OWN_ID_LOOKALIKE),
        ..owned("IMG_0003.cbz", Source::Absent(31), Poor)
    },
    Owned {
        tag: Tag::Contradicting(700_004, 700_201),
        ..owned(CONTRADICTED, Source::Absent(44), Poor)
    },
];

/// What each comic should end as: its catalog issue (volume, number), or `None` when it must be
/// left for the user (absent, contradicted, its catalog cover gone).
fn truth(comic: &Owned) -> Option<(usize, u32)> {
    if comic.name == CONTRADICTED || comic.name == GONE_COVER {
        return None;
    }
    match comic.source {
        Source::Catalog { volume, number, .. } => Some((volume, number)),
        Source::Absent(_) => None,
    }
}

fn tag_entries(tag: Tag) -> Vec<(String, Vec<u8>)> {
    let comicinfo = |body: String| {
        (
            "ComicInfo.xml".to_owned(),
            format!("<?xml version=\"1.0\"?>\n<ComicInfo>{body}</ComicInfo>").into_bytes(),
        )
    };
    let web = |id: i32| format!("<Web>https://comicvine.gamespot.com/issue/4000-{id}/</Web>");
    let metron = |id: i32| {
        (
            "MetronInfo.xml".to_owned(),
            format!(
                "<?xml version=\"1.0\"?>\n<MetronInfo><IDS><ID source=\"Metron\" \
                 primary=\"true\">8{id}</ID><ID source=\"Comic Vine\">{id}</ID></IDS>\
                 </MetronInfo>"
            )
            .into_bytes(),
        )
    };
    match tag {
        Tag::None => Vec::new(),
        Tag::Web(id) => vec![comicinfo(web(id))],
        Tag::Notes(id) => vec![comicinfo(format!(
            "<Notes>Tagged with ComicTagger 1.6.0 using info from Comic Vine on 2024-05-01 \
             10:00:00.  [Issue ID {id}]</Notes>"
        ))],
        Tag::Metron(id) => vec![metron(id)],
        Tag::Contradicting(a, b) => vec![comicinfo(web(a)), metron(b)],
    }
}

fn tiny_model() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/clip/tiny")
}

fn engine() -> Engine {
    let files = ModelFiles::in_folder(&tiny_model()).expect("the tiny model folder");
    let options = EngineOptions {
        device: DevicePreference::Cpu,
        batch_size: 8,
        ..EngineOptions::default()
    };
    Engine::load(&files, &options).expect("the tiny model loads")
}

struct Library {
    _dir: tempfile::TempDir,
    /// The database as Babelcomics4 keeps it: `{root}/data/babelcomics.db`.
    real_db: PathBuf,
    /// A symbolic link to it elsewhere, which every command is given.
    link: PathBuf,
    /// The moved thumbnails folder.
    thumbnails: PathBuf,
    comics: PathBuf,
    /// Babelcomics4's own row id of each catalog issue, by (volume, number).
    issue_rows: HashMap<(usize, u32), i32>,
    /// Each cover's file, by (volume, number, variant).
    cover_files: HashMap<(usize, u32, usize), PathBuf>,
}

impl Library {
    fn conn(&self) -> SqliteConnection {
        SqliteConnection::establish(&self.real_db.to_string_lossy()).expect("open")
    }

    fn vistazo(&self, args: &[&str]) -> Output {
        let output = Command::new(env!("CARGO_BIN_EXE_vistazo"))
            .arg("--db")
            .arg(&self.link)
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

    /// Every row of a Babelcomics4 table, every column quoted, in key order.
    fn rows(&self, table: &str, key: &str) -> Vec<String> {
        #[derive(QueryableByName)]
        struct Row {
            #[diesel(sql_type = Text)]
            row: String,
        }
        #[derive(QueryableByName)]
        struct Column {
            #[diesel(sql_type = Text)]
            name: String,
        }
        let mut conn = self.conn();
        let columns: Vec<Column> = diesel::sql_query("SELECT name FROM pragma_table_info(?)")
            .bind::<Text, _>(table)
            .load(&mut conn)
            .expect("columns");
        let quoted: Vec<String> = columns
            .iter()
            .map(|c| format!("quote(\"{}\")", c.name))
            .collect();
        let sql = format!(
            "SELECT {} AS row FROM {table} ORDER BY {key}",
            quoted.join(" || '|' || ")
        );
        diesel::sql_query(sql)
            .load::<Row>(&mut conn)
            .expect("rows")
            .into_iter()
            .map(|r| r.row)
            .collect()
    }

    /// Babelcomics4's catalog tables as they are.
    fn catalog(&self) -> Vec<Vec<String>> {
        vec![
            self.rows("publishers", "id_publisher"),
            self.rows("volumens", "id_volume"),
            self.rows("comicbooks_info", "id_comicbook_info"),
            self.rows("comicbooks_info_covers", "id_cover"),
            self.rows("setups", "setupkey"),
        ]
    }

    fn journal_mode(&self) -> String {
        #[derive(QueryableByName)]
        struct Row {
            #[diesel(sql_type = Text)]
            journal_mode: String,
        }
        diesel::sql_query("PRAGMA journal_mode")
            .get_result::<Row>(&mut self.conn())
            .expect("journal mode")
            .journal_mode
    }

    /// Each comic's file name with its stored classification as an SQL literal.
    fn stored(&self) -> Vec<(String, String)> {
        #[derive(QueryableByName)]
        struct Row {
            #[diesel(sql_type = Text)]
            path: String,
            #[diesel(sql_type = Text)]
            info: String,
        }
        let rows: Vec<Row> = diesel::sql_query(
            "SELECT path, quote(id_comicbook_info) AS info FROM comicbooks ORDER BY id_comicbook",
        )
        .load(&mut self.conn())
        .expect("comics");
        rows.into_iter()
            .map(|r| {
                let name = Path::new(&r.path)
                    .file_name()
                    .expect("a file name")
                    .to_string_lossy()
                    .into_owned();
                (name, r.info)
            })
            .collect()
    }
}

/// Writes a Babelcomics4 library of `generation`: its database, its moved thumbnails folder
/// with the catalog covers, Babelcomics4's JSON vectors, and the comic files.
fn library(generation: Generation, engine: &Engine) -> Library {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path().join("Babel");
    let real_db = root.join("data/babelcomics.db");
    std::fs::create_dir_all(real_db.parent().expect("data")).expect("data folder");
    let elsewhere = dir.path().join("elsewhere");
    std::fs::create_dir_all(&elsewhere).expect("folder");
    let link = elsewhere.join("comics.db");
    std::os::unix::fs::symlink(&real_db, &link).expect("a link to the database");
    // Moved through the settings row, relative to where Babelcomics4 runs.
    let thumbnails = root.join("library/covers");
    let comics = dir.path().join("comics");
    std::fs::create_dir_all(&comics).expect("comics");

    let mut conn = SqliteConnection::establish(&real_db.to_string_lossy()).expect("create");
    conn.batch_execute(&babelcomics::schema(generation))
        .expect("schema");
    conn.batch_execute(
        "INSERT INTO setups (setupkey, carpeta_thumbnails) VALUES (1, 'library/covers');",
    )
    .expect("settings");
    let current = generation == Generation::Current;
    // Publishers and volumes: own ids (not ComicVine's) in the current layout.
    for (at, (comicvine, name)) in [(31, "Image"), (40, "Raj Comics")].iter().enumerate() {
        let id = if current { at as i32 + 1 } else { *comicvine };
        diesel::sql_query(
            "INSERT INTO publishers (id_publisher, nombre, id_comicvine) VALUES (?, ?, ?)",
        )
        .bind::<Integer, _>(id)
        .bind::<Text, _>(*name)
        .bind::<Integer, _>(*comicvine)
        .execute(&mut conn)
        .expect("publisher");
    }
    let mut volume_rows = Vec::new();
    for (at, volume) in VOLUMES.iter().enumerate() {
        let id = if current {
            at as i32 + 1
        } else {
            volume.comicvine
        };
        diesel::sql_query(
            "INSERT INTO volumens (id_volume, nombre, id_publisher, anio_inicio, \
             cantidad_numeros, id_comicvine) VALUES (?, ?, ?, ?, ?, ?)",
        )
        .bind::<Integer, _>(id)
        .bind::<Text, _>(volume.name)
        .bind::<Integer, _>(volume.publisher)
        .bind::<Integer, _>(volume.start)
        .bind::<Integer, _>(6)
        .bind::<Integer, _>(volume.comicvine)
        .execute(&mut conn)
        .expect("volume");
        volume_rows.push(id);
    }
    let store = ThumbnailStore::new(&thumbnails);
    let mut issue_rows = HashMap::new();
    let mut cover_files = HashMap::new();
    let mut pictures: HashMap<(usize, u32, usize), image::RgbImage> = HashMap::new();
    let mut cover_rows: Vec<(i32, PathBuf)> = Vec::new();
    for issue in ISSUES {
        let volume = &VOLUMES[issue.volume];
        let comicvine = comicvine_issue(issue.volume, issue.number);
        let numero = issue.number.to_string();
        // The current layout lets SQLite number the issue, as Babelcomics4 does.
        if current {
            diesel::sql_query(
                "INSERT INTO comicbooks_info (titulo, id_volume, numero, fecha_tapa, \
                 comicvine_id) VALUES (?, ?, ?, ?, ?)",
            )
            .bind::<Text, _>(format!("Chapter {numero}"))
            .bind::<Integer, _>(volume_rows[issue.volume])
            .bind::<Text, _>(&numero)
            .bind::<Integer, _>(volume.start)
            .bind::<Integer, _>(comicvine)
            .execute(&mut conn)
            .expect("issue");
        } else {
            diesel::sql_query(
                "INSERT INTO comicbooks_info (id_comicbook_info, titulo, id_volume, numero, \
                 fecha_tapa, id_comicvine) VALUES (?, ?, ?, ?, ?, ?)",
            )
            .bind::<Integer, _>(comicvine)
            .bind::<Text, _>(format!("Chapter {numero}"))
            .bind::<Integer, _>(volume_rows[issue.volume])
            .bind::<Text, _>(&numero)
            .bind::<Integer, _>(volume.start)
            .bind::<Integer, _>(comicvine)
            .execute(&mut conn)
            .expect("issue");
        }
        #[derive(QueryableByName)]
        struct Id {
            #[diesel(sql_type = Integer)]
            id: i32,
        }
        let row = diesel::sql_query("SELECT max(id_comicbook_info) AS id FROM comicbooks_info")
            .get_result::<Id>(&mut conn)
            .expect("row id")
            .id;
        issue_rows.insert((issue.volume, issue.number), row);
        let dress = TradeDress::new(volume.comicvine as u64);
        for (variant, address) in issue.covers.iter().enumerate() {
            let url = match address {
                Named if variant == 0 => {
                    format!("https://cv.example/a/uploads/scale_medium/{comicvine}-cover.jpg")
                }
                Named => format!("https://cv.example/a/uploads/original/{comicvine}-cover.jpg"),
                Bare => format!("https://cv.example/a/api/image/{comicvine}/{variant}"),
            };
            diesel::sql_query(
                "INSERT INTO comicbooks_info_covers (id_comicbook_info, url_imagen) VALUES (?, ?)",
            )
            .bind::<Integer, _>(row)
            .bind::<Text, _>(&url)
            .execute(&mut conn)
            .expect("cover");
            let id_cover =
                diesel::sql_query("SELECT max(id_cover) AS id FROM comicbooks_info_covers")
                    .get_result::<Id>(&mut conn)
                    .expect("cover id")
                    .id;
            let picture = synthetic::draw_cover(
                &dress,
                (issue.volume * 100 + issue.number as usize * 10 + variant) as u64,
                issue.number,
            );
            // Where Babelcomics4 saves it, under the name it gives it.
            let name = thumbnails::babelcomics_cover_name(&CoverName {
                url: &url,
                numero: &numero,
                variant: variant as u32,
            });
            let folder = thumbnails.join("comicbook_info").join(format!(
                "{}_{}",
                clean_volume_name(volume.name),
                volume_rows[issue.volume]
            ));
            let file = folder.join(name);
            std::fs::create_dir_all(&folder).expect("covers folder");
            std::fs::write(&file, synthetic::jpeg(&picture, 90)).expect("cover file");
            assert_eq!(
                store.find_catalog_cover(
                    volume.name,
                    volume_rows[issue.volume],
                    &CoverName {
                        url: &url,
                        numero: &numero,
                        variant: variant as u32
                    }
                ),
                Some(file.clone()),
                "every cover Babelcomics4 saves is found where it saved it"
            );
            cover_rows.push((id_cover, file.clone()));
            cover_files.insert((issue.volume, issue.number, variant), file);
            pictures.insert((issue.volume, issue.number, variant), picture);
        }
    }
    // Babelcomics4's JSON vectors of every cover, from the same model.
    let paths: Vec<PathBuf> = cover_rows.iter().map(|(_, file)| file.clone()).collect();
    let mut vectors: HashMap<usize, Vec<f32>> = HashMap::new();
    engine
        .embed_images(
            &paths,
            &CancelToken::new(),
            &mut |item| {
                vectors.insert(item.index, item.result.expect("a cover embeds"));
            },
            &mut |_| {},
        )
        .expect("covers embedded");
    for (at, (id_cover, _)) in cover_rows.iter().enumerate() {
        let json = serde_json::to_string(&vectors[&at]).expect("JSON");
        diesel::sql_query("UPDATE comicbooks_info_covers SET embedding = ? WHERE id_cover = ?")
            .bind::<Text, _>(json)
            .bind::<Integer, _>(*id_cover)
            .execute(&mut conn)
            .expect("stored vector");
    }
    // The pictures of some covers are gone since; their vectors stay.
    for issue in ISSUES.iter().filter(|i| i.gone) {
        for variant in 0..issue.covers.len() {
            std::fs::remove_file(&cover_files[&(issue.volume, issue.number, variant)])
                .expect("remove a cover");
        }
    }
    drop(conn);

    for (at, comic) in COLLECTION.iter().enumerate() {
        let mut rng = Rng::new(7_000 + at as u64);
        let original = match comic.source {
            Source::Catalog {
                volume,
                number,
                variant,
            } => pictures[&(volume, number, variant)].clone(),
            Source::Absent(seed) => {
                synthetic::draw_cover(&TradeDress::new(91_003), 90_000 + seed, seed as u32)
            }
        };
        let (picture, quality) = match comic.shot {
            Shot::Rescan => (synthetic::rescan(&original, &mut rng), 80),
            Shot::Photo => (synthetic::phone_photo(&original, &mut rng), 80),
            Shot::Poor => (synthetic::poor_photo(&original, &mut rng), 60),
        };
        synthetic::write_tagged_comic(
            &comics.join(comic.name),
            Container::Cbz,
            synthetic::jpeg(&picture, quality),
            at as u64,
            &tag_entries(comic.tag),
        );
    }
    Library {
        _dir: dir,
        real_db,
        link,
        thumbnails,
        comics,
        issue_rows,
        cover_files,
    }
}

fn works_in_place(generation: Generation) {
    let engine = engine();
    let library = library(generation, &engine);
    let journal = library.journal_mode();
    let catalog_before = library.catalog();

    library.vistazo(&["scan", &library.comics.to_string_lossy()]);
    // Through the link, the thumbnails go where Babelcomics4 looks: the moved folder beside
    // the real database, not beside the link.
    assert!(
        library.thumbnails.join("comics").is_dir(),
        "comic thumbnails in the moved folder"
    );
    assert!(!library.link.with_file_name("library").exists());
    let before = library.stored();
    assert_eq!(before.len(), COLLECTION.len(), "{before:?}");

    let mut db = vistazo::db::open(&library.link).expect("open through the link");
    assert_eq!(db.catalog_layout().generation, generation);
    // What a ComicInfo.xml written for an issue says: its ComicVine id and its publisher,
    // found through the ComicVine id the volume row keeps.
    let saga_2 = library.issue_rows[&(0, 2)];
    let facts = db.issue_facts(saga_2).expect("facts").expect("an issue");
    assert_eq!(facts.id_comicvine, Some(i64::from(comicvine_issue(0, 2))));
    assert_eq!(facts.publisher.as_deref(), Some("Image"));
    let publishers = db.volume_publishers().expect("publishers");
    assert_eq!(publishers[&facts.id_volume].name, "Image");
    let base = thumbnails::resolve_base(None, &mut db).expect("thumbnails folder");
    assert_eq!(
        std::fs::canonicalize(&base).expect("exists"),
        std::fs::canonicalize(&library.thumbnails).expect("exists")
    );
    let store = ThumbnailStore::new(base);
    let cancel = CancelToken::new();
    let embedded = vistazo::matching::embed::embed_missing(
        &mut db,
        &engine,
        DEFAULT_REPO,
        &store,
        &EmbedOptions::default(),
        &cancel,
        &mut |_| {},
    )
    .expect("embed");
    let covers = library.cover_files.len() as u64;
    assert!(
        embedded.reused >= covers,
        "Babelcomics4's vectors reused: {embedded:?}"
    );
    let mut matches: Vec<ComicMatch> = Vec::new();
    let mut unreadable = Vec::new();
    let summary = vistazo::matching::classify::classify(
        &mut db,
        &store,
        DEFAULT_REPO,
        &ClassifyOptions {
            auto_apply: true,
            ..ClassifyOptions::default()
        },
        &cancel,
        &mut |event| match event {
            ClassifyEvent::Matched(found) => matches.push(found),
            ClassifyEvent::UnreadableCover { id_cover, reason } => {
                unreadable.push((id_cover, reason))
            }
            _ => {}
        },
    )
    .expect("classify");
    drop(db);
    let after = library.stored();

    // The covers whose picture is gone are reported, with where they were looked for.
    assert!(
        summary.unreadable_catalog_covers >= 1,
        "unreadable covers counted: {summary:?}"
    );
    for (_, reason) in &unreadable {
        assert!(reason.contains("no file for"), "{reason}");
        assert!(reason.contains("Thunder Knight"), "{reason}");
    }

    let gone_rows: Vec<String> = ISSUES
        .iter()
        .filter(|i| i.gone)
        .map(|i| format!("'{}'", library.issue_rows[&(i.volume, i.number)]))
        .collect();
    let (mut applied, mut right, mut matchable) = (0, 0, 0);
    let mut report = Vec::new();
    for ((name, was), (_, is)) in before.iter().zip(&after) {
        let comic = COLLECTION.iter().find(|c| c.name == name).expect("a comic");
        let expected = truth(comic).map(|key| format!("'{}'", library.issue_rows[&key]));
        let found = matches
            .iter()
            .find(|m| m.path.ends_with(name.as_str()))
            .unwrap_or_else(|| panic!("{name} was looked at"));
        report.push(format!(
            "{name}: expected {expected:?}, stored {is}, held {:?}, best {:?}",
            found.held,
            found
                .candidates
                .first()
                .map(|c| (c.id_comicbook_info, c.signals, c.unreadable_cover))
        ));
        if expected.is_some() {
            matchable += 1;
        }
        assert!(
            !gone_rows.contains(is),
            "{name}: applied to an issue whose cover could not be read\n{}",
            report.join("\n")
        );
        if is == was {
            continue;
        }
        applied += 1;
        if expected.as_ref() == Some(is) {
            right += 1;
        }
    }
    let precision = f64::from(right) / f64::from(applied.max(1));
    let recall = f64::from(right) / f64::from(matchable);
    let report = format!(
        "{generation:?}: applied {applied}, right {right}, matchable {matchable}: precision \
         {precision:.3}, recall {recall:.3}\n{}",
        report.join("\n")
    );
    println!("{report}");
    assert!(precision >= 0.99, "{report}");
    assert!(recall >= 0.90, "{report}");

    let found = |name: &str| {
        matches
            .iter()
            .find(|m| m.path.ends_with(name))
            .unwrap_or_else(|| panic!("{name} was looked at"))
    };
    let stored = |name: &str| {
        after
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, is)| is.clone())
            .expect("stored")
    };
    // Tags: applied to exactly their issue, through the ComicVine id column of this layout.
    assert_eq!(
        stored("IMG_0001.cbz"),
        format!("'{}'", library.issue_rows[&(0, 2)]),
        "{report}"
    );
    assert_eq!(
        stored("IMG_0002.cbz"),
        format!("'{}'", library.issue_rows[&(1, 3)]),
        "{report}"
    );
    // A ComicVine id the catalog lacks is never compared with Babelcomics4's own ids.
    assert_eq!(stored("IMG_0003.cbz"), "''", "{report}");
    let absent = found("IMG_0003.cbz");
    let tag = absent.tagged.as_ref().expect("tagged");
    assert_eq!(tag.id_comicbook_info, None, "{report}");
    assert!(
        tag.problem()
            .is_some_and(|p| p.contains("is not in the catalog")),
        "{tag:?}"
    );
    // Tags that contradict each other decide nothing.
    assert_eq!(stored(CONTRADICTED), "''", "{report}");
    let contradicted = found(CONTRADICTED);
    assert_eq!(contradicted.held, Some(Hold::TagProblem), "{report}");
    let tag = contradicted.tagged.as_ref().expect("tagged");
    assert!(
        tag.problem()
            .is_some_and(|p| p.contains("two different issues")),
        "{tag:?}"
    );
    // The comic whose catalog cover is gone is suggested, never applied.
    assert_eq!(stored(GONE_COVER), "''", "{report}");
    let gone = found(GONE_COVER);
    let row = library.issue_rows[&(2, 2)];
    let candidate = gone
        .candidates
        .iter()
        .find(|c| c.id_comicbook_info == row)
        .unwrap_or_else(|| panic!("its issue is suggested: {report}"));
    assert!(candidate.unreadable_cover, "{candidate:?}");

    // Babelcomics4's rows and journal mode are as they were; undo gives back every value.
    assert_eq!(
        library.catalog(),
        catalog_before,
        "Babelcomics4's catalog untouched"
    );
    assert_eq!(library.journal_mode(), journal);
    library.vistazo(&["undo", "--last"]);
    assert_eq!(
        library.stored(),
        before,
        "undo restores the stored values exactly"
    );
    assert_eq!(library.journal_mode(), journal);
}

#[test]
fn a_current_babelcomics4_database_is_classified_in_place() {
    works_in_place(Generation::Current);
}

#[test]
fn an_older_babelcomics4_database_keyed_by_comicvine_ids_is_classified_in_place() {
    works_in_place(Generation::Keyed);
}

#[test]
fn a_layout_vistazo_cannot_serve_is_refused_in_one_line_and_left_as_it_was() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("babelcomics.db");
    let mut conn = SqliteConnection::establish(&db.to_string_lossy()).expect("create");
    conn.batch_execute(
        "CREATE TABLE comicbooks (id_comicbook INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT, \
             path VARCHAR NOT NULL UNIQUE, id_comicbook_info VARCHAR NOT NULL DEFAULT '');
         INSERT INTO comicbooks (path) VALUES ('/comics/a.cbz');",
    )
    .expect("an old database");
    drop(conn);
    let bytes = std::fs::read(&db).expect("read");
    let output = Command::new(env!("CARGO_BIN_EXE_vistazo"))
        .arg("--db")
        .arg(&db)
        .arg("--model")
        .arg(tiny_model())
        .args(["--device", "cpu", "classify", "--json"])
        .env("LC_ALL", "C")
        .output()
        .expect("the binary runs");
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("comicbooks.calidad, comicbooks.en_papelera"),
        "{stderr}"
    );
    assert!(stderr.contains("nothing was changed"), "{stderr}");
    assert!(!stderr.contains("no such column"), "{stderr}");
    assert_eq!(std::fs::read(&db).expect("read"), bytes, "nothing written");
}
