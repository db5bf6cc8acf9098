//! Writing ComicInfo.xml into comic files through the library: a CBZ is rebuilt with every
//! other entry stored exactly as before, a read-only file or one whose ComicInfo.xml changed
//! is left untouched, and formats that cannot be rewritten are refused with the reason.

#[path = "support/fixtures.rs"]
mod fixtures;

use std::io::{Read, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use vistazo::library::comicinfo::{
    self, ComicInfoError, IssueTags, replace_in_archive, stored_xml, with_tags,
};

/// Every entry of a ZIP as stored: name, compression, CRC and the compressed bytes.
fn raw_entries(path: &Path) -> Vec<(String, String, u32, Vec<u8>)> {
    let file = std::fs::File::open(path).expect("open");
    let mut zip = zip::ZipArchive::new(file).expect("zip");
    (0..zip.len())
        .map(|at| {
            let mut entry = zip.by_index_raw(at).expect("entry");
            let name = entry.name().expect("name").into_owned();
            let method = format!("{:?}", entry.compression());
            let crc = entry.crc32();
            let mut raw = Vec::new();
            // Read without decompressing: the bytes as stored.
            entry.read_to_end(&mut raw).expect("read");
            (name, method, crc, raw)
        })
        .collect()
}

fn tags() -> IssueTags {
    IssueTags {
        series: "Saga".into(),
        number: "7".into(),
        volume: Some(2012),
        year: Some(2012),
        publisher: Some("Image".into()),
        title: Some("Chapter Seven".into()),
        web: Some("https://comicvine.example/saga-7/4000-300/".into()),
        comicvine_id: Some(300),
    }
}

const OLD: &str = "<?xml version=\"1.0\"?>\n<ComicInfo>\n  <Series>Wrong</Series>\n  <Writer>Brian K. Vaughan</Writer>\n  <ScanInformation>Scanned [HD]</ScanInformation>\n  <Pages>\n    <Page Image=\"1\" Type=\"FrontCover\" />\n  </Pages>\n</ComicInfo>\n";

/// A CBZ with stored and deflated pages, a ComicInfo.xml in the middle and an archive comment.
fn write_cbz(path: &Path) {
    let file = std::fs::File::create(path).expect("create");
    let mut zip = zip::ZipWriter::new(file);
    let deflated = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    let stored =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    zip.start_file("000.png", stored).expect("entry");
    zip.write_all(&fixtures::inside_png()).expect("page");
    zip.start_file("ComicInfo.xml", deflated).expect("entry");
    zip.write_all(OLD.as_bytes()).expect("xml");
    zip.add_directory("extras/", deflated).expect("folder");
    zip.start_file("extras/001.jpg", deflated).expect("entry");
    zip.write_all(&fixtures::cover_jpeg()).expect("page");
    zip.set_comment("scanned by a collector").expect("comment");
    zip.finish().expect("finish");
}

#[test]
fn a_cbz_gets_its_comicinfo_and_keeps_everything_else() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("Saga 007 (2012).cbz");
    write_cbz(&path);
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).expect("mode");
    let before = raw_entries(&path);

    let old = stored_xml(&path).expect("read").expect("has one");
    assert_eq!(old, OLD.as_bytes());
    let new = with_tags(Some(&old), &tags()).expect("tags");
    replace_in_archive(&path, Some(&old), Some(&new)).expect("written");

    let after = raw_entries(&path);
    assert_eq!(after.len(), before.len());
    for (was, is) in before.iter().zip(&after) {
        assert_eq!(was.0, is.0, "same entries in the same order");
        if was.0 != "ComicInfo.xml" {
            assert_eq!(was, is, "{} is copied as stored", was.0);
        }
    }
    let written = stored_xml(&path).expect("read").expect("has one");
    assert_eq!(written, new);
    let text = String::from_utf8(written).expect("UTF-8");
    for kept in [
        "<Writer>Brian K. Vaughan</Writer>",
        "<ScanInformation>Scanned [HD]</ScanInformation>",
        "<Page Image=\"1\" Type=\"FrontCover\" />",
    ] {
        assert!(text.contains(kept), "{kept} in {text}");
    }
    assert!(text.contains("<Series>Saga</Series>") && !text.contains("Wrong"));
    assert!(text.contains("[Issue ID 300]"));
    let info = vistazo::library::ComicArchive::open(&path)
        .expect("open")
        .comic_info()
        .expect("read")
        .expect("found");
    assert_eq!(info.series.as_deref(), Some("Saga"));
    assert_eq!(info.front_cover, Some(1));

    let archive = zip::ZipArchive::new(std::fs::File::open(&path).expect("open")).expect("zip");
    assert_eq!(archive.comment(), b"scanned by a collector");
    let mode = std::fs::metadata(&path).expect("meta").permissions().mode();
    assert_eq!(mode & 0o777, 0o640);
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .expect("list")
        .map(|e| e.expect("entry").file_name())
        .collect();
    assert_eq!(leftovers.len(), 1, "no temporary file left: {leftovers:?}");

    // Putting the old one back restores the archive's entries exactly.
    replace_in_archive(&path, Some(&new), Some(&old)).expect("restored");
    assert_eq!(raw_entries(&path).len(), before.len());
    assert_eq!(stored_xml(&path).expect("read"), Some(old.clone()));
}

#[test]
fn a_cbz_without_comicinfo_gets_one_and_loses_it_on_restore() {
    let dir = tempfile::tempdir().expect("dir");
    let path = fixtures::write_zip(
        &dir.path().join("Batman 497 (1993).cbz"),
        &fixtures::entries(&[
            ("001.jpg", fixtures::cover_jpeg()),
            ("002.jpg", fixtures::inside_jpeg()),
        ]),
    );
    let before = raw_entries(&path);
    assert_eq!(stored_xml(&path).expect("read"), None);
    let new = with_tags(None, &tags()).expect("tags");
    replace_in_archive(&path, None, Some(&new)).expect("written");
    let after = raw_entries(&path);
    assert_eq!(after[..2], before[..], "pages first, untouched");
    assert_eq!(after[2].0, comicinfo::COMICINFO_NAME);
    replace_in_archive(&path, Some(&new), None).expect("removed");
    assert_eq!(raw_entries(&path), before);
}

#[test]
fn failures_leave_the_file_as_it_was() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("X-Men - 001 - Genesis.cbz");
    write_cbz(&path);
    let bytes = std::fs::read(&path).expect("read");
    let new = with_tags(Some(OLD.as_bytes()), &tags()).expect("tags");

    // Another tool changed the ComicInfo.xml since it was read.
    let changed = replace_in_archive(&path, Some(b"<ComicInfo/>"), Some(&new));
    assert!(
        matches!(changed, Err(ComicInfoError::ChangedSince { .. })),
        "{changed:?}"
    );
    assert!(changed.expect_err("skip").is_skip());

    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o444)).expect("mode");
    let read_only = replace_in_archive(&path, Some(OLD.as_bytes()), Some(&new));
    let error = read_only.expect_err("read-only");
    assert!(
        matches!(error, ComicInfoError::ReadOnly { .. }),
        "{error:?}"
    );
    assert!(!error.is_skip());
    assert!(error.to_string().contains("read-only"), "{error}");
    assert_eq!(std::fs::read(&path).expect("read"), bytes);

    // A broken ComicInfo.xml is never replaced by one that would lose what it held.
    let broken = dir.path().join("broken.cbz");
    fixtures::write_zip(
        &broken,
        &fixtures::entries(&[
            ("001.jpg", fixtures::cover_jpeg()),
            ("ComicInfo.xml", b"<ComicInfo><Series>Saga</Title>".to_vec()),
        ]),
    );
    let old = stored_xml(&broken).expect("read").expect("has one");
    assert!(with_tags(Some(&old), &tags()).is_err());
}

#[test]
fn other_formats_are_refused_with_the_reason() {
    let dir = tempfile::tempdir().expect("dir");
    let pages = fixtures::entries(&[("001.jpg", fixtures::cover_jpeg())]);
    let seven = fixtures::write_7z(&dir.path().join("Saga 001.cb7"), &pages);
    let tar = fixtures::write_tar(&dir.path().join("Saga 002.cbt"), &pages);
    let rar = fixtures::write_rar5_stored(&dir.path().join("Spider-Man v2 #012.cbr"), &pages);
    let pdf = fixtures::write_pdf(&dir.path().join("Saga 003.pdf"), fixtures::COVER);
    let folder = dir.path().join("Saga 004");
    std::fs::create_dir(&folder).expect("folder");
    std::fs::write(folder.join("001.jpg"), fixtures::cover_jpeg()).expect("page");
    for (path, kind) in [
        (&seven, "7z"),
        (&tar, "tar"),
        (&rar, "RAR"),
        (&pdf, "PDF"),
        (&folder, "folder"),
    ] {
        let before = std::fs::metadata(path)
            .expect("meta")
            .modified()
            .expect("time");
        let error = replace_in_archive(path, None, Some(b"<ComicInfo/>")).expect_err("refused");
        assert!(error.is_skip(), "{error:?}");
        let reason = error.to_string();
        assert!(reason.contains(kind) && reason.contains("CBZ"), "{reason}");
        assert!(!reason.contains('\n'));
        assert!(stored_xml(path).is_err());
        assert_eq!(
            std::fs::metadata(path)
                .expect("meta")
                .modified()
                .expect("time"),
            before
        );
    }
}
