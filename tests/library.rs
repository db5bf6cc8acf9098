//! Reading comic files through the library's public API: every format, the cover rules on real
//! archives, and the errors a user sees for files that cannot be read.

#[path = "support/fixtures.rs"]
mod fixtures;

use std::path::Path;

use fixtures::*;
use vistazo::library::{ComicArchive, ComicFormat, LibraryError, read_cover};

fn assert_cover(path: &Path, entry: &str) {
    let cover = read_cover(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert_eq!(cover.entry, entry, "{}", path.display());
    assert!(
        is_cover_colour(mean_of(&cover.image.to_rgb8())),
        "{}: the cover is not the red page",
        path.display()
    );
}

#[test]
fn every_format_gives_its_first_page() {
    let dir = tempfile::tempdir().expect("temp dir");
    let pages = entries(&[("01.jpg", cover_jpeg()), ("02.jpg", inside_jpeg())]);
    let cases = [
        (
            write_zip(&dir.path().join("a.cbz"), &pages),
            ComicFormat::Zip,
        ),
        (
            write_tar(&dir.path().join("a.cbt"), &pages),
            ComicFormat::Tar,
        ),
        (
            write_7z(&dir.path().join("a.cb7"), &pages),
            ComicFormat::SevenZip,
        ),
        (
            write_rar5_stored(&dir.path().join("a.cbr"), &pages),
            ComicFormat::Rar,
        ),
        (
            write_folder(&dir.path().join("a"), &pages),
            ComicFormat::Folder,
        ),
    ];
    for (path, format) in cases {
        let archive = ComicArchive::open(&path).expect("opens");
        assert_eq!(archive.format(), format, "{}", path.display());
        assert_eq!(archive.entries().expect("lists"), vec!["01.jpg", "02.jpg"]);
        assert_cover(&path, "01.jpg");
    }
}

#[test]
fn a_pdf_gives_its_first_page_rendered() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = write_pdf(&dir.path().join("a.pdf"), COVER);
    let cover = read_cover(&path).expect("renders");
    assert_eq!(cover.entry, "page 1");
    assert_eq!(cover.image.height(), 1200);
    assert_eq!(cover.image.width(), 800);
    assert!(is_cover_colour(mean_of(&cover.image.to_rgb8())));
}

#[test]
fn the_format_comes_from_the_content_not_the_extension() {
    let dir = tempfile::tempdir().expect("temp dir");
    let pages = entries(&[("01.jpg", cover_jpeg())]);
    let zip_named_cbr = write_zip(&dir.path().join("really a zip.cbr"), &pages);
    assert_eq!(
        ComicArchive::open(&zip_named_cbr).expect("opens").format(),
        ComicFormat::Zip
    );
    let rar_named_cbz = write_rar5_stored(&dir.path().join("really a rar.cbz"), &pages);
    assert_eq!(
        ComicArchive::open(&rar_named_cbz).expect("opens").format(),
        ComicFormat::Rar
    );
    assert_cover(&rar_named_cbz, "01.jpg");
}

#[test]
fn the_cover_rules_hold_inside_archives() {
    let dir = tempfile::tempdir().expect("temp dir");
    let natural = write_zip(
        &dir.path().join("natural.cbz"),
        &entries(&[
            ("page10.png", inside_png()),
            ("page2.png", inside_png()),
            ("page1.png", cover_png()),
        ]),
    );
    assert_cover(&natural, "page1.png");

    let comicinfo = write_7z(
        &dir.path().join("comicinfo.cb7"),
        &entries(&[
            ("ComicInfo.xml", comicinfo_front_cover(2)),
            ("p1.jpg", inside_jpeg()),
            ("p2.jpg", inside_jpeg()),
            ("p3.jpg", cover_jpeg()),
        ]),
    );
    assert_cover(&comicinfo, "p3.jpg");
    let info = ComicArchive::open(&comicinfo)
        .and_then(|archive| archive.comic_info())
        .expect("reads")
        .expect("has a ComicInfo.xml");
    assert_eq!(info.series.as_deref(), Some("Test"));
    assert_eq!(info.front_cover, Some(2));

    let named = write_tar(
        &dir.path().join("named.cbt"),
        &entries(&[
            ("00 credits.jpg", inside_jpeg()),
            ("01 backcover.jpg", inside_jpeg()),
            ("02 cover.jpg", cover_jpeg()),
        ]),
    );
    assert_cover(&named, "02 cover.jpg");

    let junk = write_zip(
        &dir.path().join("junk.cbz"),
        &entries(&[
            ("__MACOSX/._001.jpg", b"resource fork".to_vec()),
            (".001.jpg", inside_jpeg()),
            ("Issue/001.jpg", cover_jpeg()),
            ("Issue/002.jpg", inside_jpeg()),
        ]),
    );
    assert_cover(&junk, "Issue/001.jpg");

    // The first name says picture but holds text: the next page is used.
    let lying = write_zip(
        &dir.path().join("lying.cbz"),
        &entries(&[
            ("000.jpg", b"<html>not found</html>".to_vec()),
            ("001.jpg", page(COVER, 200, 300, image::ImageFormat::Png)),
        ]),
    );
    assert_cover(&lying, "001.jpg");
}

#[test]
fn real_rar_archives_open_and_without_pictures_say_so() {
    for name in ["rar3-subdirs.rar", "rar5-solid.rar"] {
        let path = rar_fixture(name);
        let archive = ComicArchive::open(&path).expect("opens");
        assert_eq!(archive.format(), ComicFormat::Rar);
        assert!(!archive.entries().expect("lists").is_empty(), "{name}");
        assert!(
            matches!(read_cover(&path), Err(LibraryError::NoImages { .. })),
            "{name}"
        );
    }
}

#[test]
fn solid_rar4_archives_are_reported_as_unsupported() {
    let error = read_cover(&rar_fixture("rar3-solid.rar")).expect_err("unsupported");
    assert!(
        matches!(error, LibraryError::Unsupported { .. }),
        "{error:?}"
    );
}

#[test]
fn password_protected_archives_are_reported_as_such() {
    for name in ["rar5-psw.rar", "rar5-hpsw.rar"] {
        let error = read_cover(&rar_fixture(name)).expect_err("cannot be read");
        assert!(
            matches!(
                error,
                LibraryError::Encrypted { .. } | LibraryError::NoImages { .. }
            ),
            "{name}: {error:?}"
        );
    }
    let error = read_cover(&rar_fixture("rar5-hpsw.rar")).expect_err("cannot be read");
    assert!(matches!(error, LibraryError::Encrypted { .. }), "{error:?}");
    assert!(error.to_string().contains("rar5-hpsw.rar"));
}

#[test]
fn broken_empty_and_pictureless_archives_are_errors_that_name_the_file() {
    let dir = tempfile::tempdir().expect("temp dir");
    let broken = dir.path().join("broken.cbz");
    std::fs::write(&broken, b"PK\x03\x04 this is not the rest of a zip").expect("write");
    let empty_file = dir.path().join("zero.cbr");
    std::fs::write(&empty_file, b"").expect("write");
    let empty_zip = write_zip(&dir.path().join("empty.cbz"), &Vec::new());
    let text_only = write_tar(
        &dir.path().join("text.cbt"),
        &entries(&[("readme.txt", b"hello".to_vec())]),
    );
    let not_a_comic = dir.path().join("notes.cbz");
    std::fs::write(&not_a_comic, b"just text").expect("write");

    let error = read_cover(&broken).expect_err("broken");
    assert!(matches!(error, LibraryError::Corrupt { .. }), "{error:?}");
    assert!(error.to_string().contains("broken.cbz"));
    assert!(matches!(
        read_cover(&empty_file),
        Err(LibraryError::Empty { .. })
    ));
    assert!(matches!(
        read_cover(&empty_zip),
        Err(LibraryError::Empty { .. })
    ));
    assert!(matches!(
        read_cover(&text_only),
        Err(LibraryError::NoImages { .. })
    ));
    assert!(matches!(
        read_cover(&not_a_comic),
        Err(LibraryError::UnknownFormat { .. })
    ));
}

#[test]
fn entries_larger_than_the_limit_are_refused() {
    let dir = tempfile::tempdir().expect("temp dir");
    let pages = entries(&[("01.jpg", cover_jpeg())]);
    for path in [
        write_zip(&dir.path().join("a.cbz"), &pages),
        write_tar(&dir.path().join("a.cbt"), &pages),
        write_7z(&dir.path().join("a.cb7"), &pages),
    ] {
        let archive = ComicArchive::open(&path).expect("opens");
        let error = archive.read("01.jpg", 100).expect_err("over the limit");
        assert!(
            matches!(error, LibraryError::EntryTooLarge { limit: 100, .. }),
            "{}: {error:?}",
            path.display()
        );
    }
}

#[test]
fn a_cancelled_scan_keeps_the_batches_it_saved() {
    use vistazo::jobs::{CancelToken, Outcome};
    use vistazo::library::{ScanEvent, ScanOptions, ThumbnailStore, scan};

    let dir = tempfile::tempdir().expect("temp dir");
    let comics = dir.path().join("comics");
    std::fs::create_dir_all(&comics).expect("folder");
    for n in 1..=5 {
        write_zip(
            &comics.join(format!("Saga {n:03}.cbz")),
            &entries(&[("01.jpg", cover_png())]),
        );
    }
    let mut db = vistazo::db::open_in_memory().expect("database");
    let store = ThumbnailStore::new(dir.path().join("thumbs"));
    let options = ScanOptions {
        batch_size: 2,
        ..ScanOptions::new(store.clone())
    };
    let cancel = CancelToken::new();
    let mut added = Vec::new();
    let summary = scan(&mut db, &[comics], &options, &cancel, &mut |event| {
        if let ScanEvent::Added { id, .. } = event {
            // As if the user pressed Ctrl+C while the first batch was being saved.
            cancel.cancel();
            added.push(id);
        }
    })
    .expect("scan runs");

    assert_eq!(summary.outcome, Outcome::Cancelled);
    assert_eq!(summary.added, 2, "the batch in flight is saved whole");
    assert_eq!(db.comic_paths().expect("rows").len(), 2);
    for id in added {
        assert!(store.has_comic_thumbnail(id));
    }
}

#[test]
fn a_cover_marked_in_babelcomics_wins_for_a_known_comic() {
    use diesel::connection::SimpleConnection;
    use vistazo::jobs::CancelToken;
    use vistazo::library::{ScanOptions, ThumbnailStore, scan};

    let dir = tempfile::tempdir().expect("temp dir");
    let comics = dir.path().join("comics");
    std::fs::create_dir_all(&comics).expect("folder");
    let path = write_zip(
        &comics.join("marked.cbz"),
        &entries(&[("01.jpg", inside_jpeg()), ("02.jpg", cover_jpeg())]),
    );
    let path = path.canonicalize().expect("absolute");
    let mut db = vistazo::db::open_in_memory().expect("database");
    let id = db.add_comic(path.to_str().expect("utf-8")).expect("add");
    db.conn()
        .batch_execute(&format!(
            "INSERT INTO comicbooks_detail (comicbook_id, \"indicePagina\", \"ordenPagina\", \
             \"tipoPagina\", nombre_pagina) VALUES ({id}, 1, 1, 1, '02.jpg')"
        ))
        .expect("mark the cover");
    let store = ThumbnailStore::new(dir.path().join("thumbs"));
    let summary = scan(
        &mut db,
        &[comics],
        &ScanOptions::new(store.clone()),
        &CancelToken::new(),
        &mut |_| {},
    )
    .expect("scan runs");
    assert_eq!(
        (summary.added, summary.known, summary.thumbnails_written),
        (0, 1, 1)
    );
    assert!(is_cover_colour(mean_colour(&store.comic_thumbnail(id))));
}
