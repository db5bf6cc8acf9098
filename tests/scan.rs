//! `vistazo scan` through the built binary: rows in the database, thumbnails where Babelcomics4
//! looks for them, re-scans, missing files, unreadable files and exit codes.

#[path = "support/fixtures.rs"]
mod fixtures;
#[path = "support/walk_traps.rs"]
mod walk_traps;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use diesel::prelude::*;
use fixtures::*;
use vistazo::db::schema::comicbooks;

struct Setup {
    _dir: tempfile::TempDir,
    comics: PathBuf,
    db: PathBuf,
    thumbnails: PathBuf,
}

fn setup() -> Setup {
    let dir = tempfile::tempdir().expect("temp dir");
    let comics = dir.path().join("comics");
    std::fs::create_dir_all(&comics).expect("comics folder");
    let comics = comics.canonicalize().expect("absolute");
    // The collection a scan adds to, as Babelcomics4 leaves it: empty, in its data folder.
    let db = dir.path().join("data").join("babelcomics.db");
    std::fs::create_dir(dir.path().join("data")).expect("data folder");
    drop(vistazo::db::open(&db).expect("an empty collection"));
    Setup {
        db,
        thumbnails: dir.path().join("thumbs"),
        comics,
        _dir: dir,
    }
}

fn scan(setup: &Setup, folders: &[&Path]) -> Output {
    scan_command(setup, folders).output().expect("run vistazo")
}

fn scan_command(setup: &Setup, folders: &[&Path]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_vistazo"));
    command
        .arg("--db")
        .arg(&setup.db)
        .arg("--thumbnails")
        .arg(&setup.thumbnails)
        .arg("scan")
        .args(folders)
        .env("LANG", "C")
        .env("LC_ALL", "C");
    command
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[derive(Debug, Queryable)]
struct Row {
    id: i32,
    path: String,
    id_comicbook_info: Option<String>,
    calidad: i32,
    en_papelera: bool,
}

fn rows(setup: &Setup) -> Vec<Row> {
    let mut db = vistazo::db::open(&setup.db).expect("open the database");
    comicbooks::table
        .select((
            comicbooks::id_comicbook,
            comicbooks::path,
            comicbooks::id_comicbook_info,
            comicbooks::calidad,
            comicbooks::en_papelera,
        ))
        .order(comicbooks::path)
        .load(db.conn())
        .expect("query comicbooks")
}

fn thumbnail(setup: &Setup, id: i32) -> PathBuf {
    setup.thumbnails.join("comics").join(format!("{id}.jpg"))
}

/// A collection with every readable format and every cover rule.
fn readable_collection(comics: &Path) -> Vec<PathBuf> {
    let two_pages = entries(&[("01.jpg", cover_jpeg()), ("02.jpg", inside_jpeg())]);
    std::fs::create_dir_all(comics.join("Saga")).expect("subfolder");
    vec![
        write_zip(&comics.join("Batman 497 (1993).cbz"), &two_pages),
        write_zip(&comics.join("Saga/Saga 054 (2018).cbr"), &two_pages),
        write_tar(&comics.join("Saga/Saga 055.cbt"), &two_pages),
        write_7z(&comics.join("Saga/Saga 056.cb7"), &two_pages),
        write_rar5_stored(&comics.join("Saga/Saga 057.cbr"), &two_pages),
        write_pdf(&comics.join("Watchmen 001.pdf"), COVER),
        write_folder(&comics.join("Folder Comic 001"), &two_pages),
        write_zip(
            &comics.join("natural.cbz"),
            &entries(&[
                ("page10.png", inside_png()),
                ("page2.png", inside_png()),
                ("page1.png", cover_png()),
            ]),
        ),
        write_zip(
            &comics.join("comicinfo.cbz"),
            &entries(&[
                ("p1.jpg", inside_jpeg()),
                ("p2.jpg", inside_jpeg()),
                ("p3.jpg", cover_jpeg()),
                ("ComicInfo.xml", comicinfo_front_cover(2)),
            ]),
        ),
        write_zip(
            &comics.join("junk.cbz"),
            &entries(&[
                ("__MACOSX/._000.jpg", b"resource fork".to_vec()),
                (".000.jpg", inside_jpeg()),
                ("001.jpg", cover_jpeg()),
                ("002.jpg", inside_jpeg()),
            ]),
        ),
    ]
}

/// Files that cannot be read, each with the words its reason must hold.
fn unreadable_collection(comics: &Path) -> Vec<(PathBuf, &'static str)> {
    let broken = comics.join("broken.cbz");
    std::fs::write(&broken, b"PK\x03\x04 and then nothing").expect("write");
    let encrypted = comics.join("locked.cbr");
    std::fs::copy(rar_fixture("rar5-hpsw.rar"), &encrypted).expect("copy");
    let text_rar = comics.join("text only.cbr");
    std::fs::copy(rar_fixture("rar5-solid.rar"), &text_rar).expect("copy");
    vec![
        (broken, "damaged"),
        (write_zip(&comics.join("empty.cbz"), &Vec::new()), "empty"),
        (
            write_tar(
                &comics.join("readme.cbt"),
                &entries(&[("readme.txt", b"hi".to_vec())]),
            ),
            "no pictures",
        ),
        (encrypted, "password"),
        (text_rar, "no pictures"),
    ]
}

#[test]
fn scanning_adds_every_comic_with_its_cover_thumbnail() {
    let setup = setup();
    let comics = readable_collection(&setup.comics);
    std::fs::write(setup.comics.join("notes.txt"), b"not a comic").expect("write");

    let output = scan(&setup, &[&setup.comics]);
    assert!(output.status.success(), "{output:?}");
    assert!(
        output.stderr.is_empty(),
        "no progress bar when stderr is not a terminal: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let text = stdout(&output);
    assert!(text.contains("Added 10 comics."), "{text}");
    assert!(text.contains("Skipped 0 files"), "{text}");

    let rows = rows(&setup);
    let mut expected: Vec<String> = comics
        .iter()
        .map(|p| p.to_str().expect("utf-8").to_owned())
        .collect();
    expected.sort();
    assert_eq!(
        rows.iter().map(|r| r.path.clone()).collect::<Vec<_>>(),
        expected
    );
    for row in &rows {
        assert_eq!(row.id_comicbook_info.as_deref(), Some(""));
        assert_eq!(row.calidad, 0);
        assert!(!row.en_papelera);
        let path = thumbnail(&setup, row.id);
        let (width, height) = image::image_dimensions(&path)
            .unwrap_or_else(|e| panic!("thumbnail of {}: {e}", row.path));
        assert!(
            width <= 280 && height <= 400,
            "{}: {width}x{height}",
            row.path
        );
        assert!(
            height == 400 || width == 280,
            "{}: {width}x{height}",
            row.path
        );
        assert!(
            is_cover_colour(mean_colour(&path)),
            "{}: the thumbnail is not the cover page",
            row.path
        );
    }
}

#[test]
fn unreadable_files_are_reported_one_line_each_and_the_scan_goes_on() {
    let setup = setup();
    write_zip(
        &setup.comics.join("good.cbz"),
        &entries(&[("01.jpg", cover_jpeg())]),
    );
    let bad = unreadable_collection(&setup.comics);

    let output = scan(&setup, &[&setup.comics]);
    assert!(output.status.success(), "{output:?}");
    let text = stdout(&output);
    let errors = stderr(&output);
    for (path, reason) in &bad {
        let name = path.file_name().and_then(|n| n.to_str()).expect("name");
        // What was left out is told on stderr; stdout holds the results alone.
        assert!(!text.contains(name), "{name}: {text}");
        let lines: Vec<&str> = errors.lines().filter(|l| l.contains(name)).collect();
        assert_eq!(lines.len(), 1, "{name}: {errors}");
        assert!(lines[0].starts_with("Skipped: "), "{}", lines[0]);
        assert!(lines[0].contains(reason), "{name}: {}", lines[0]);
    }
    assert!(text.contains("Added 1 comic."), "{text}");
    assert!(text.contains("Skipped 5 files"), "{text}");
    let rows = rows(&setup);
    assert_eq!(rows.len(), 1);
    assert!(rows[0].path.ends_with("good.cbz"));
}

#[test]
fn scanning_again_changes_nothing() {
    let setup = setup();
    readable_collection(&setup.comics);
    assert!(scan(&setup, &[&setup.comics]).status.success());
    let before = rows(&setup);
    let thumbnails_before: Vec<Vec<u8>> = before
        .iter()
        .map(|r| std::fs::read(thumbnail(&setup, r.id)).expect("thumbnail"))
        .collect();

    let output = scan(&setup, &[&setup.comics]);
    assert!(output.status.success(), "{output:?}");
    let text = stdout(&output);
    assert!(text.contains("Added 0 comics."), "{text}");
    assert!(
        text.contains("10 comics were already in the collection."),
        "{text}"
    );
    assert!(text.contains("Wrote 0 cover thumbnails."), "{text}");
    let after = rows(&setup);
    assert_eq!(
        before.iter().map(|r| (r.id, &r.path)).collect::<Vec<_>>(),
        after.iter().map(|r| (r.id, &r.path)).collect::<Vec<_>>()
    );
    for (row, bytes) in after.iter().zip(thumbnails_before) {
        assert_eq!(
            std::fs::read(thumbnail(&setup, row.id)).expect("thumbnail"),
            bytes
        );
    }
}

#[test]
fn existing_thumbnails_are_kept_and_missing_ones_are_made() {
    let setup = setup();
    let first = write_zip(
        &setup.comics.join("first.cbz"),
        &entries(&[("01.jpg", cover_jpeg())]),
    );
    assert!(scan(&setup, &[&setup.comics]).status.success());
    let id = rows(&setup)[0].id;
    let path = thumbnail(&setup, id);

    // A thumbnail made by someone else stays as it is.
    std::fs::write(&path, b"made by Babelcomics4").expect("write");
    assert!(scan(&setup, &[&setup.comics]).status.success());
    assert_eq!(std::fs::read(&path).expect("read"), b"made by Babelcomics4");

    // A known comic without a thumbnail gets one, and keeps its row.
    std::fs::remove_file(&path).expect("remove");
    let output = scan(&setup, &[&first]);
    assert!(output.status.success(), "{output:?}");
    let text = stdout(&output);
    assert!(text.contains("Wrote 1 cover thumbnail."), "{text}");
    assert!(
        text.contains("1 comic was already in the collection."),
        "{text}"
    );
    assert!(is_cover_colour(mean_colour(&path)));
    assert_eq!(rows(&setup).len(), 1);
}

#[test]
fn files_gone_from_disk_are_reported_and_kept() {
    let setup = setup();
    let pages = entries(&[("01.jpg", cover_jpeg())]);
    let staying = write_zip(&setup.comics.join("staying.cbz"), &pages);
    let leaving = write_zip(&setup.comics.join("leaving.cbz"), &pages);
    assert!(scan(&setup, &[&setup.comics]).status.success());

    std::fs::remove_file(&leaving).expect("remove");
    let output = scan(&setup, &[&setup.comics]);
    assert!(output.status.success(), "{output:?}");
    let text = stdout(&output);
    let errors = stderr(&output);
    let leaving_name = leaving.to_str().expect("utf-8");
    assert!(
        errors
            .lines()
            .any(|l| l.starts_with("Missing or moved: ") && l.contains(leaving_name)),
        "{errors}"
    );
    assert!(!text.contains(leaving_name), "{text}");
    assert!(
        !errors.contains(staying.to_str().expect("utf-8")),
        "{errors}"
    );
    assert!(
        text.contains("1 comic in the collection is missing from disk."),
        "{text}"
    );
    assert_eq!(rows(&setup).len(), 2, "a missing file keeps its row");
}

#[test]
fn a_folder_that_does_not_exist_fails_with_one_line_and_creates_nothing() {
    let setup = setup();
    std::fs::remove_file(&setup.db).expect("no collection yet");
    let nowhere = setup.comics.join("nowhere");
    let output = scan(&setup, &[&nowhere]);
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    let error = String::from_utf8_lossy(&output.stderr);
    assert_eq!(error.trim_end().lines().count(), 1, "{error}");
    assert!(error.contains("nowhere"), "{error}");
    assert!(!setup.db.exists());
}

#[test]
fn scan_needs_a_folder() {
    let setup = setup();
    let output = scan(&setup, &[]);
    assert_eq!(output.status.code(), Some(2), "{output:?}");
}

#[test]
fn thumbnails_go_where_babelcomics_expects_them_without_the_option() {
    let setup = setup();
    write_zip(
        &setup.comics.join("a.cbz"),
        &entries(&[("01.jpg", cover_jpeg())]),
    );
    let output = Command::new(env!("CARGO_BIN_EXE_vistazo"))
        .arg("--db")
        .arg(&setup.db)
        .arg("scan")
        .arg(&setup.comics)
        .output()
        .expect("run vistazo");
    assert!(output.status.success(), "{output:?}");
    let id = rows(&setup)[0].id;
    let root = setup.db.parent().and_then(Path::parent).expect("root");
    assert!(
        root.join("data/thumbnails/comics")
            .join(format!("{id}.jpg"))
            .is_file()
    );
}

#[test]
fn links_that_lead_nowhere_or_to_themselves_are_listed_as_skipped() {
    let setup = setup();
    write_zip(
        &setup.comics.join("good.cbz"),
        &entries(&[("01.jpg", cover_jpeg())]),
    );
    std::os::unix::fs::symlink("itself.cbz", setup.comics.join("itself.cbz")).expect("link");
    std::os::unix::fs::symlink("gone.cbz", setup.comics.join("dangling.cbz")).expect("link");

    let output = scan(&setup, &[&setup.comics]);
    assert!(output.status.success(), "{output:?}");
    let text = stdout(&output);
    let errors = stderr(&output);
    for name in ["itself.cbz", "dangling.cbz"] {
        let lines: Vec<&str> = errors.lines().filter(|l| l.contains(name)).collect();
        assert_eq!(lines.len(), 1, "{name}: {errors}");
        assert!(lines[0].starts_with("Skipped: "), "{}", lines[0]);
    }
    assert!(text.contains("Added 1 comic."), "{text}");
    assert_eq!(rows(&setup).len(), 1);
}

#[test]
fn link_loops_and_a_locked_folder_are_walked_once_without_stopping_the_scan() {
    let setup = setup();
    let comic = entries(&[("01.jpg", cover_jpeg())]);
    write_zip(&setup.comics.join("good.cbz"), &comic);
    walk_traps::link_loops(&setup.comics);
    write_zip(&setup.comics.join("sub/inside.cbz"), &comic);
    // A link to a comic kept outside the folder is followed, once.
    let outside = setup.comics.parent().expect("parent").join("outside.cbz");
    write_zip(&outside, &comic);
    std::os::unix::fs::symlink(&outside, setup.comics.join("sub/linked.cbz")).expect("link");
    std::fs::create_dir(setup.comics.join("locked")).expect("locked");
    write_zip(&setup.comics.join("locked/hidden.cbz"), &comic);
    let locked = setup.comics.join("locked");
    let _lock = walk_traps::LockedFolder::new(&locked);

    let output = walk_traps::run_or_hang(&mut scan_command(&setup, &[&setup.comics]));
    assert!(output.status.success(), "{output:?}");
    let text = stdout(&output);
    let said = String::from_utf8_lossy(&output.stderr).into_owned();
    let skipped: Vec<&str> = said
        .lines()
        .filter(|l| l.starts_with("Skipped: "))
        .collect();
    assert_eq!(skipped.len(), 1, "{said}");
    assert!(skipped[0].contains(&*locked.to_string_lossy()), "{said}");
    assert!(text.contains("Added 3 comics."), "{text}");
    let paths: Vec<String> = rows(&setup).into_iter().map(|row| row.path).collect();
    let comics = setup.comics.to_string_lossy();
    assert_eq!(
        paths,
        [
            format!("{comics}/good.cbz"),
            format!("{comics}/sub/inside.cbz"),
            format!("{comics}/sub/linked.cbz"),
        ]
    );
}

#[test]
fn a_truncated_cover_is_added_reported_and_recorded_until_it_reads_whole() {
    let setup = setup();
    let jpeg = cover_jpeg();
    let png = cover_png();
    let cut_jpeg = write_zip(
        &setup.comics.join("cut jpeg.cbz"),
        &entries(&[
            ("01.jpg", jpeg[..jpeg.len() * 2 / 3].to_vec()),
            ("02.jpg", inside_jpeg()),
        ]),
    );
    let cut_png = write_zip(
        &setup.comics.join("cut png.cbz"),
        &entries(&[
            ("01.png", png[..png.len() * 2 / 3].to_vec()),
            ("02.png", inside_png()),
        ]),
    );
    let output = scan(&setup, &[&setup.comics]);
    assert!(output.status.success());
    let out = stdout(&output);
    let errors = stderr(&output);
    let lines: Vec<&str> = errors.lines().collect();
    // The JPEG decodes (its end grey): added, with a warning naming the file and the page.
    let warning: Vec<&&str> = lines
        .iter()
        .filter(|line| line.starts_with("Truncated image:"))
        .collect();
    assert_eq!(warning.len(), 1, "{errors}");
    assert!(
        warning[0].contains(&*cut_jpeg.to_string_lossy()),
        "{errors}"
    );
    assert!(warning[0].contains("(01.jpg)"), "{errors}");
    assert!(out.contains("Added 1 comic."), "{out}");
    assert!(
        out.contains("1 comic has a truncated cover image; its match will only be suggested."),
        "{out}"
    );
    // A PNG cut short does not decode at all: skipped, and the reason says why.
    let skipped: Vec<&&str> = lines
        .iter()
        .filter(|line| line.starts_with("Skipped:"))
        .collect();
    assert_eq!(skipped.len(), 1, "{errors}");
    assert!(skipped[0].contains(&*cut_png.to_string_lossy()), "{errors}");
    assert!(skipped[0].contains("truncated image"), "{errors}");

    let id = rows(&setup)[0].id;
    let mut database = vistazo::db::open(&setup.db).expect("open");
    assert_eq!(
        database.truncated_covers().expect("truncated"),
        [(id, "01.jpg".to_owned())].into_iter().collect()
    );
    drop(database);

    // The file made whole and its thumbnail removed: the next scan reads it again, and the
    // finding goes.
    write_zip(
        &cut_jpeg,
        &entries(&[("01.jpg", jpeg), ("02.jpg", inside_jpeg())]),
    );
    std::fs::remove_file(thumbnail(&setup, id)).expect("remove the thumbnail");
    let again = scan(&setup, &[&setup.comics]);
    assert!(
        !stderr(&again).contains("Truncated image"),
        "{}",
        stderr(&again)
    );
    let mut database = vistazo::db::open(&setup.db).expect("open");
    assert!(database.truncated_covers().expect("truncated").is_empty());
}

#[test]
fn the_scan_records_what_each_comic_tags_say_and_ignores_a_broken_tag_file() {
    let setup = setup();
    let web = b"<ComicInfo><Series>Saga</Series><Number>7</Number><Volume>2012</Volume>\
<Year>2012</Year><Web>https://comicvine.gamespot.com/saga-7/4000-385620/</Web></ComicInfo>";
    let notes = b"<ComicInfo><Notes>Tagged with ComicTagger 1.5 using info from Comic Vine on \
2023-01-01.  [Issue ID 4242]</Notes></ComicInfo>";
    let cvdb = b"<ComicInfo><Notes>Scraped metadata [CVDB 777]</Notes></ComicInfo>";
    let metron = b"<MetronInfo><IDS><ID source=\"Metron\">1</ID><ID source=\"Comic Vine\">\
9001</ID></IDS><Series><Name>X-Men</Name></Series><Number>3</Number></MetronInfo>";
    let broken = b"<ComicInfo><Series>Broken</Series><Web>https://comicvine.gamespot.com/x/4000-5/";
    for (name, file, xml) in [
        ("web.cbz", "ComicInfo.xml", &web[..]),
        ("notes.cbz", "ComicInfo.xml", &notes[..]),
        ("cvdb.cbz", "comicinfo.xml", &cvdb[..]),
        ("metron.cbz", "MetronInfo.xml", &metron[..]),
        ("broken.cbz", "ComicInfo.xml", &broken[..]),
    ] {
        write_zip(
            &setup.comics.join(name),
            &entries(&[("01.jpg", cover_jpeg()), (file, xml.to_vec())]),
        );
    }
    write_zip(
        &setup.comics.join("plain.cbz"),
        &entries(&[("01.jpg", cover_jpeg())]),
    );
    let output = scan(&setup, &[&setup.comics]);
    assert!(output.status.success(), "{output:?}");
    let out = stdout(&output);
    assert!(out.contains("Added 6 comics."), "{out}");
    assert!(
        out.contains("4 comics name their ComicVine issue in their tags."),
        "{out}"
    );
    let errors = stderr(&output);
    assert!(
        errors.lines().any(|l| l.starts_with("Tags of ")
            && l.contains("broken.cbz: its ComicInfo.xml was ignored")),
        "{errors}"
    );

    let mut db = vistazo::db::open(&setup.db).expect("open");
    let ids: std::collections::HashMap<String, i32> = rows(&setup)
        .into_iter()
        .map(|r| {
            (
                r.path.rsplit('/').next().unwrap_or_default().to_owned(),
                r.id,
            )
        })
        .collect();
    let tags = db.comic_tags().expect("tags");
    let issue = |name: &str| tags.get(&ids[name]).and_then(|t| t.comicvine_issue);
    assert_eq!(issue("web.cbz"), Some(385_620));
    assert_eq!(issue("notes.cbz"), Some(4242));
    assert_eq!(issue("cvdb.cbz"), Some(777));
    assert_eq!(issue("metron.cbz"), Some(9001));
    assert_eq!(issue("broken.cbz"), None, "a broken file is not trusted");
    assert!(!tags.contains_key(&ids["plain.cbz"]));
    let saga = &tags[&ids["web.cbz"]];
    assert_eq!(saga.series.as_deref(), Some("Saga"));
    assert_eq!(saga.number.as_deref(), Some("7"));
    assert_eq!(saga.year, Some(2012));
    assert_eq!(saga.volume_name().as_deref(), Some("Saga (2012)"));
    assert_eq!(
        db.comics_with_tags_read().expect("read").len(),
        6,
        "every comic read is recorded, tagged or not"
    );
}

#[test]
fn comics_scanned_before_tags_were_read_get_them_read_once() {
    let setup = setup();
    let xml = b"<ComicInfo><Notes>[Issue ID 31337]</Notes></ComicInfo>".to_vec();
    write_zip(
        &setup.comics.join("old.cbz"),
        &entries(&[("01.jpg", cover_jpeg()), ("ComicInfo.xml", xml)]),
    );
    assert!(scan(&setup, &[&setup.comics]).status.success());
    let mut conn = SqliteConnection::establish(&setup.db.to_string_lossy()).expect("open");
    diesel::sql_query("DELETE FROM vz_comic_tags")
        .execute(&mut conn)
        .expect("as a collection scanned by an older version");
    let output = scan(&setup, &[&setup.comics]);
    let out = stdout(&output);
    assert!(
        out.contains("1 comic was already in the collection."),
        "{out}"
    );
    assert!(
        out.contains("1 comic names its ComicVine issue in its tags."),
        "{out}"
    );
    let mut db = vistazo::db::open(&setup.db).expect("open");
    let tags = db.comic_tags().expect("tags");
    assert_eq!(
        tags.values().next().and_then(|t| t.comicvine_issue),
        Some(31337)
    );
    let again = stdout(&scan(&setup, &[&setup.comics]));
    assert!(
        !again.contains("names its ComicVine issue"),
        "read once: {again}"
    );
}

#[test]
fn json_gives_the_counts_and_the_files_left_out_as_one_object() {
    let setup = setup();
    write_zip(
        &setup.comics.join("good.cbz"),
        &entries(&[("01.jpg", cover_jpeg())]),
    );
    let bad = unreadable_collection(&setup.comics);
    let json = Path::new("--json");

    let output = scan(&setup, &[&setup.comics, json]);
    assert!(output.status.success(), "{output:?}");
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).expect("one object");
    assert_eq!(report["added"], 1, "{report}");
    assert_eq!(report["known"], 0, "{report}");
    assert_eq!(report["thumbnails_written"], 1, "{report}");
    assert_eq!(report["missing"], serde_json::json!([]), "{report}");
    assert_eq!(report["cancelled"], false, "{report}");
    let skipped = report["skipped"].as_array().expect("a list");
    assert_eq!(skipped.len(), bad.len(), "{report}");
    for (path, reason) in &bad {
        let entry = skipped
            .iter()
            .find(|entry| entry["path"] == path.to_str().expect("utf-8"))
            .unwrap_or_else(|| panic!("{} missing from {report}", path.display()));
        assert!(
            entry["reason"].as_str().expect("reason").contains(reason),
            "{entry}"
        );
    }
    // The lines for people still go to stderr.
    assert_eq!(
        stderr(&output)
            .lines()
            .filter(|l| l.starts_with("Skipped: "))
            .count(),
        bad.len()
    );

    let again = scan(&setup, &[&setup.comics, json]);
    let report: serde_json::Value = serde_json::from_slice(&again.stdout).expect("one object");
    assert_eq!(
        (report["added"].as_u64(), report["known"].as_u64()),
        (Some(0), Some(1))
    );
}

#[test]
fn a_collection_whose_name_or_folder_is_not_utf8_is_that_very_file() {
    use std::ffi::OsStr;
    use std::os::unix::ffi::OsStrExt;
    let dir = tempfile::tempdir().expect("temp dir");
    let thumbs = tempfile::tempdir().expect("thumbnails folder");
    let comics = dir.path().join("comics");
    std::fs::create_dir(&comics).expect("comics folder");
    write_zip(
        &comics.join("Saga 001.cbz"),
        &entries(&[("01.jpg", cover_jpeg()), ("02.jpg", inside_jpeg())]),
    );
    let odd_folder = dir.path().join(OsStr::from_bytes(b"f\xfe"));
    std::fs::create_dir(&odd_folder).expect("odd folder");
    for (folder, name) in [
        (dir.path().to_owned(), OsStr::from_bytes(b"b\xef.db")),
        (odd_folder.clone(), OsStr::new("v.db")),
        // A name SQLite would otherwise read as one of its own.
        (dir.path().to_owned(), OsStr::new("file:v?.db")),
    ] {
        let db = folder.join(name);
        let before: Vec<_> = std::fs::read_dir(&folder).unwrap().flatten().collect();
        let output = Command::new(env!("CARGO_BIN_EXE_vistazo"))
            .arg("--db")
            .arg(&db)
            .arg("--thumbnails")
            .arg(thumbs.path())
            .arg("scan")
            .arg(&comics)
            .env("LANG", "C.UTF-8")
            .output()
            .expect("run vistazo");
        let text = stderr(&output);
        assert_eq!(output.status.code(), Some(0), "{}: {text}", db.display());
        assert!(
            text.contains(&format!("Started a new collection at {}", db.display())),
            "{text}"
        );
        assert!(db.is_file(), "{} was not created", db.display());
        let after: Vec<_> = std::fs::read_dir(&folder).unwrap().flatten().collect();
        assert_eq!(
            after.len(),
            before.len() + 1,
            "one file more in {}: {after:?}",
            folder.display()
        );
        let mut opened = vistazo::db::open(&db).expect("open the collection");
        let comics_in: i64 = comicbooks::table
            .count()
            .get_result(opened.conn())
            .expect("count");
        assert_eq!(comics_in, 1, "{}", db.display());
        drop(opened);
        // The same file again: known, not added to another collection.
        let output = Command::new(env!("CARGO_BIN_EXE_vistazo"))
            .arg("--db")
            .arg(&db)
            .arg("--thumbnails")
            .arg(thumbs.path())
            .arg("scan")
            .arg(&comics)
            .arg("--json")
            .env("LANG", "C.UTF-8")
            .output()
            .expect("run vistazo");
        let answer: serde_json::Value = serde_json::from_slice(&output.stdout).expect("json");
        assert_eq!(answer["known"], 1, "{answer}");
    }
}
