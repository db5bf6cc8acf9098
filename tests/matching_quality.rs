//! The quality bar of comic matching, measured the way a user meets it: a generated catalog of
//! four volumes (two of them both called "Spider-Man", with the same issue numbers) whose
//! consecutive issues share their trade dress, with variant covers; a collection of re-scans
//! and phone photos of those covers in CBZ, CBR, CB7, CBT and folders, under the names
//! collectors give them, some of issues the catalog lacks, one classified by the user and one
//! in the trash. `scan`, `embed`, `classify --auto-apply` at the default threshold and `undo`
//! run through the binary with the tiny random-weight model, so the pictures' hashes and the
//! file names carry the decisions.
//!
//! The collection also has comics tagged by ComicTagger or Metron-Tagger (ComicInfo.xml `Web`
//! or `Notes`, MetronInfo.xml), under names that say nothing and with covers photographed too
//! poorly to tell: some of issues in the catalog, some of issues it lacks, and one whose tag
//! names another issue than its clearly scanned cover shows; a folder per series whose files
//! have uninformative names, next to a sibling the user classified; and comics owned twice.
//!
//! The bar: at least 99% of the applied matches right, at least 90% of the comics that are in
//! the catalog applied, none of the absent ones applied; every tagged comic whose issue is in
//! the catalog applied to exactly that issue, none whose issue is absent, the disputed one
//! left for review with both issues shown; every duplicate pair found by `vistazo duplicates`
//! and no variant or different issue grouped; the user's and the trash's comics untouched, and
//! undo giving back the exact stored values.

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
    /// An edition of another volume: its issue `first + k` has the same cover as issue
    /// `number + k` of volume `volume` (a translation by another publisher).
    edition_of: Option<(i32, u32)>,
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
        edition_of: None,
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
        edition_of: None,
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
        edition_of: None,
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
        edition_of: None,
    },
    // The Spanish edition of Batman 497-500, by another publisher, with the same covers.
    Volume {
        id: 500,
        name: "Batman",
        start: 1994,
        publisher: 50,
        year: 1994,
        first: 1,
        count: 4,
        variants: &[],
        edition_of: Some((100, 497)),
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
    /// A photo too poor for the picture to tell the issue.
    Poor,
}

/// What the comic's own tags say: the ComicVine issue id, in the form a tagger writes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tag {
    None,
    /// ComicInfo.xml with series, number, volume and the issue page in `Web`.
    Web(i32),
    /// ComicInfo.xml with ComicTagger's `[Issue ID N]` in `Notes`.
    Notes(i32),
    /// MetronInfo.xml with the Comic Vine id among its `IDS`.
    Metron(i32),
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
    tag: Tag,
    /// The folder under the collection it sits in ("" for the top).
    folder: &'static str,
}

const fn owned(name: &'static str, container: Container, source: Source, shot: Shot) -> Owned {
    Owned {
        name,
        container,
        source,
        shot,
        state: State::Unclassified,
        tag: Tag::None,
        folder: "",
    }
}

const fn tagged(name: &'static str, source: Source, shot: Shot, tag: Tag) -> Owned {
    Owned {
        tag,
        ..owned(name, Container::Cbz, source, shot)
    }
}

const fn in_folder(name: &'static str, source: Source, shot: Shot) -> Owned {
    Owned {
        folder: "box 7",
        ..owned(name, Container::Cbz, source, shot)
    }
}

/// The comic whose tag names issue 400002 while its cover is a clear scan of 400008.
const DISPUTED: &str = "IMG_2007.cbz";
/// The comic whose cover is both Batman 500 and its Spanish edition's 4, with nothing else to
/// tell which it is: the choice is the user's.
const EDITION_TOSS: &str = "scan_0402.cbz";

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
use Shot::{Photo, Poor, Rescan};

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
    owned(
        "Batman 496 (1993) (Digital).cbz",
        Cbz,
        absent(100, 496),
        Rescan,
    ),
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
    tagged("IMG_2001.cbz", cat(100, 500), Poor, Tag::Web(100_500)),
    tagged("IMG_2002.cbz", cat(200, 13), Poor, Tag::Notes(200_013)),
    Owned {
        container: Cbr,
        ..tagged("IMG_2003.cbr", cat(400, 5), Poor, Tag::Metron(400_005))
    },
    tagged("IMG_2004.cbz", cat(300, 11), Poor, Tag::Notes(300_011)),
    tagged("IMG_2008.cbz", cat(100, 502), Poor, Tag::Metron(100_502)),
    tagged("IMG_2005.cbz", absent(100, 505), Photo, Tag::Web(100_505)),
    tagged("IMG_2006.cbz", absent(400, 11), Poor, Tag::Notes(400_011)),
    tagged(DISPUTED, cat(400, 8), Rescan, Tag::Web(400_002)),
    Owned {
        state: State::Classified(300_012),
        ..in_folder("scan_0301.cbz", cat(300, 12), Rescan)
    },
    in_folder("scan_0302.cbz", cat(300, 13), Photo),
    in_folder("scan_0303.cbz", cat(300, 16), Rescan),
    in_folder("scan_0304.cbz", cat(300, 14), Photo),
    Owned {
        state: State::Classified(500_001),
        folder: "Batman Zinco",
        ..owned("scan_0401.cbz", Cbz, cat(500, 1), Rescan)
    },
    Owned {
        folder: "Batman Zinco",
        ..owned("scan_0403.cbz", Cbz, cat(500, 2), Rescan)
    },
    owned(EDITION_TOSS, Cbz, cat(500, 4), Rescan),
];

/// The tags a comic's file carries, as entries of its archive.
fn tag_entries(tag: Tag, source: Source) -> Vec<(String, Vec<u8>)> {
    let (volume, number) = match source {
        Source::Catalog { volume, number, .. } | Source::Absent { volume, number } => {
            (volume, number)
        }
    };
    let facts = VOLUMES.iter().find(|v| v.id == volume).expect("a volume");
    let xml = match tag {
        Tag::None => return Vec::new(),
        Tag::Web(id) => format!(
            "<?xml version=\"1.0\"?>\n<ComicInfo><Series>{}</Series><Number>{number}</Number>\
             <Volume>{}</Volume><Year>{}</Year>\
             <Web>https://comicvine.gamespot.com/issue/4000-{id}/</Web></ComicInfo>",
            facts.name, facts.start, facts.year
        ),
        Tag::Notes(id) => format!(
            "<ComicInfo><Notes>Tagged with ComicTagger 1.6.0 using info from Comic Vine on \
             2024-05-01 10:00:00.  [Issue ID {id}]</Notes></ComicInfo>"
        ),
        Tag::Metron(id) => {
            return vec![(
                "MetronInfo.xml".to_owned(),
                format!(
                    "<?xml version=\"1.0\"?>\n<MetronInfo><IDS><ID source=\"Metron\" \
                     primary=\"true\">9{id}</ID><ID source=\"Comic Vine\">{id}</ID></IDS>\
                     <Series><Name>{}</Name></Series><Number>{number}</Number></MetronInfo>",
                    facts.name
                )
                .into_bytes(),
            )];
        }
    };
    vec![("ComicInfo.xml".to_owned(), xml.into_bytes())]
}

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

impl Library {
    /// How many comics have a ComicVine id stored from their tags.
    fn tag_rows(&self) -> i32 {
        #[derive(QueryableByName)]
        struct Row {
            #[diesel(sql_type = Integer)]
            n: i32,
        }
        let row: Row = diesel::sql_query(
            "SELECT count(*) AS n FROM vz_comic_tags WHERE comicvine_issue IS NOT NULL",
        )
        .get_result(&mut self.conn())
        .expect("tags");
        row.n
    }

    /// Every comic's file name with its id.
    fn ids(&self) -> Vec<(String, i32)> {
        #[derive(QueryableByName)]
        struct Row {
            #[diesel(sql_type = Text)]
            path: String,
            #[diesel(sql_type = Integer)]
            id: i32,
        }
        let rows: Vec<Row> =
            diesel::sql_query("SELECT path, id_comicbook AS id FROM comicbooks ORDER BY id")
                .load(&mut self.conn())
                .expect("comics");
        rows.into_iter()
            .map(|r| (file_name(&r.path), r.id))
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
        "INSERT INTO publishers (id_publisher, nombre) VALUES (10, 'DC Comics'), (31, 'Marvel'), \
         (50, 'Ediciones Zinco');",
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
                let picture = match volume.edition_of {
                    Some((original, from)) => {
                        covers[&(original, from + number - volume.first, 0)].clone()
                    }
                    None => synthetic::draw_cover(&dress, next_cover as u64, number),
                };
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
                // Two copies of one absent issue are the same picture.
                let dress = TradeDress::new(volume as u64);
                synthetic::draw_cover(
                    &dress,
                    50_000 + (volume as u64) * 1000 + number as u64,
                    number,
                )
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
            Shot::Poor => (synthetic::poor_photo(&original, &mut rng), 60),
        };
        let folder = comics.join(comic.folder);
        std::fs::create_dir_all(&folder).expect("series folder");
        synthetic::write_tagged_comic(
            &folder.join(comic.name),
            comic.container,
            synthetic::jpeg(&picture, quality),
            at as u64,
            &tag_entries(comic.tag, comic.source),
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
                // Its tag and its picture disagree, or two editions share its cover: the
                // user decides.
                _ if c.name == DISPUTED || c.name == EDITION_TOSS => None,
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
    assert!(precision >= 0.99, "{summary}");
    assert!(recall >= 0.90, "{summary}");

    // Tagged comics: every one in the catalog applied to exactly its issue, none absent.
    let stored_of = |name: &str| {
        after
            .iter()
            .find(|(n, _, _)| n == name)
            .map(|(_, is, _)| is.clone())
            .expect("stored")
    };
    let line_of = |name: &str| {
        lines
            .iter()
            .find(|l| l["path"].as_str().is_some_and(|p| p.ends_with(name)))
            .unwrap_or_else(|| panic!("{name} was looked at"))
    };
    let (mut tagged_in, mut tagged_right, mut tagged_applied) = (0, 0, 0);
    let mut tagged_absent = 0;
    for comic in COLLECTION
        .iter()
        .filter(|c| c.tag != Tag::None && c.name != DISPUTED)
    {
        let is = stored_of(comic.name);
        let applied = is != "''";
        tagged_applied += i32::from(applied);
        match comic.source {
            Source::Catalog { volume, number, .. } => {
                tagged_in += 1;
                tagged_right += i32::from(is == format!("'{}'", issue_id(volume, number)));
            }
            Source::Absent { .. } => {
                tagged_absent += 1;
                assert!(
                    !applied,
                    "{}: an absent tagged issue applied: {is}",
                    comic.name
                );
                let line = line_of(comic.name);
                let said = line["not_in_catalog"].as_str().unwrap_or_default();
                assert!(said.contains("is not in the catalog"), "{line}");
            }
        }
    }
    let tagged_precision = f64::from(tagged_right) / f64::from(tagged_applied.max(1));
    let tagged_recall = f64::from(tagged_right) / f64::from(tagged_in);
    println!(
        "tagged: {tagged_in} in the catalog, {tagged_right} applied right, {tagged_absent} \
         absent none applied: precision {tagged_precision:.3}, recall {tagged_recall:.3}"
    );
    assert_eq!(tagged_right, tagged_in, "{summary}");
    assert_eq!(tagged_precision, 1.0);
    let disputed = line_of(DISPUTED);
    assert_eq!(
        stored_of(DISPUTED),
        "''",
        "a disputed tag is left for review"
    );
    let shown: Vec<i64> = disputed["candidates"]
        .as_array()
        .expect("candidates")
        .iter()
        .filter_map(|c| c["id_comicbook_info"].as_i64())
        .collect();
    assert!(
        shown.contains(&400_002) && shown.contains(&400_008),
        "both the tagged issue and the pictured one are shown: {disputed}"
    );
    assert_eq!(disputed["tagged"]["disputed"], true, "{disputed}");

    // Same folder: the siblings of a comic the user classified get its volume's issues.
    let mut folder_right = 0;
    for name in ["scan_0302.cbz", "scan_0303.cbz", "scan_0304.cbz"] {
        let line = line_of(name);
        assert!(
            line["candidates"]
                .as_array()
                .expect("candidates")
                .iter()
                .any(|c| c["same_folder"] == true),
            "{line}"
        );
        folder_right += i32::from(line["applied"] == true);
    }
    println!("same folder: {folder_right} of 3 applied right");

    // Editions: the folder's siblings choose between two editions of one cover; with nothing
    // to choose by, both are shown for review and neither is applied.
    let chosen = line_of("scan_0403.cbz");
    assert_eq!(stored_of("scan_0403.cbz"), "'500002'", "{chosen}");
    assert_eq!(chosen["editions"]["chosen_by"], "folder", "{chosen}");
    let toss = line_of(EDITION_TOSS);
    assert_eq!(
        stored_of(EDITION_TOSS),
        "''",
        "a coin toss is never applied: {toss}"
    );
    assert_eq!(toss["editions"]["chosen_by"], "review", "{toss}");
    let shown: Vec<i64> = toss["candidates"]
        .as_array()
        .expect("candidates")
        .iter()
        .filter(|c| c["edition"] == true)
        .filter_map(|c| c["id_comicbook_info"].as_i64())
        .collect();
    assert!(
        shown.contains(&100_500) && shown.contains(&500_004),
        "both editions shown: {toss}"
    );
    println!("editions: the folder's chose 500002, the coin toss left for review with {shown:?}");

    // Duplicates, as classified now.
    let output = library.vistazo(&["duplicates", "--json"]);
    let found: serde_json::Value = serde_json::from_slice(&output.stdout).expect("one JSON object");
    let ids = library.ids();
    let name_of = |id: i64| {
        ids.iter()
            .find(|(_, i)| i64::from(*i) == id)
            .map(|(n, _)| n.clone())
            .expect("a comic")
    };
    let groups: Vec<Vec<String>> = found["groups"]
        .as_array()
        .expect("groups")
        .iter()
        .map(|g| {
            let comics: Vec<i64> = g["comics"]
                .as_array()
                .expect("comics")
                .iter()
                .filter_map(serde_json::Value::as_i64)
                .collect();
            let mut sorted = comics.clone();
            sorted.sort_unstable();
            assert_eq!(comics, sorted, "each group's comics sorted by id");
            comics.into_iter().map(name_of).collect()
        })
        .collect();
    let source_of = |name: &str| {
        COLLECTION
            .iter()
            .find(|c| c.name == name)
            .map(|c| (c.source, c.state))
            .expect("a comic")
    };
    let picture = |source: Source| match source {
        Source::Catalog {
            volume,
            number,
            variant,
        } => (volume, number, variant, true),
        Source::Absent { volume, number } => (volume, number, 0, false),
    };
    // Pairs that must be found: the same picture, both classified to its issue or both not.
    let mut expected = 0;
    let mut pairs_found = 0;
    for (a, comic_a) in COLLECTION.iter().enumerate() {
        for comic_b in &COLLECTION[a + 1..] {
            if comic_a.state == State::Trashed || comic_b.state == State::Trashed {
                continue;
            }
            if picture(comic_a.source) != picture(comic_b.source) {
                continue;
            }
            let (is_a, is_b) = (stored_of(comic_a.name), stored_of(comic_b.name));
            let both_classified = is_a != "''" && is_a == is_b;
            let both_absent =
                is_a == "''" && is_b == "''" && matches!(comic_a.source, Source::Absent { .. });
            if !(both_classified || both_absent) {
                continue;
            }
            expected += 1;
            let together = groups.iter().any(|g| {
                g.iter().any(|n| n == comic_a.name) && g.iter().any(|n| n == comic_b.name)
            });
            pairs_found += i32::from(together);
            assert!(
                together,
                "{} and {} grouped: {groups:?}",
                comic_a.name, comic_b.name
            );
        }
    }
    // No variant or different issue grouped (the user's own classification aside).
    for group in &groups {
        let sources: Vec<(Source, State)> = group.iter().map(|n| source_of(n)).collect();
        if sources
            .iter()
            .any(|(_, state)| matches!(state, State::Classified(_)))
        {
            continue;
        }
        let first = picture(sources[0].0);
        assert!(
            sources.iter().all(|(s, _)| picture(*s) == first),
            "one picture per group: {group:?}"
        );
    }
    println!(
        "duplicates: {pairs_found} of {expected} pairs found, {} groups",
        groups.len()
    );
    assert!(expected >= 4, "the library has duplicate pairs: {groups:?}");

    let tags_before = library.tag_rows();
    library.vistazo(&["undo", "--last"]);
    assert_eq!(
        library.tag_rows(),
        tags_before,
        "undo keeps what the tags say"
    );
    assert!(
        tags_before >= 7,
        "the tagged comics' ids are stored: {tags_before}"
    );
    assert_eq!(
        library.stored(),
        before,
        "undo restores the stored values exactly"
    );
}
