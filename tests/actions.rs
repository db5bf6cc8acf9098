//! The one action API every decision goes through (`matching::actions::Classifications`): the
//! same decision has the same effects wherever it is taken, in the review or from a search.
//! Each is journaled and undone exactly, an edition picked among several is learnt, and the
//! ComicInfo.xml is written into the comic file when the setting says so and put back on undo.

#[path = "support/comic_library.rs"]
mod comic_library;

use std::path::Path;

use comic_library::{BATMAN_3_CROPPED, SAGA_1, SAGA_2_VARIANT};
use diesel::connection::SimpleConnection;
use vistazo::db::Database;
use vistazo::db::matching::StoredCandidate;
use vistazo::matching::MatchingError;
use vistazo::matching::actions::{Applied, Assignment, Classifications};
use vistazo::matching::tagging::TagOutcome;

fn candidate(run: i64, issue: i32, edition: bool) -> StoredCandidate {
    StoredCandidate {
        edition,
        ..comic_library::stored_candidate(run, issue, 1, 0.9)
    }
}

fn value(db: &mut Database, comic: i32) -> Option<String> {
    db.owned_comic(comic)
        .expect("read")
        .expect("a comic")
        .id_comicbook_info
}

fn comic_info(path: &Path) -> Option<String> {
    let file = std::fs::File::open(path).expect("open the comic");
    let mut zip = zip::ZipArchive::new(file).expect("a CBZ");
    let mut entry = zip.by_name("ComicInfo.xml").ok()?;
    let mut xml = String::new();
    std::io::Read::read_to_string(&mut entry, &mut xml).expect("read");
    Some(xml)
}

fn assignment(comic: i32, seen: Option<String>, issue: i32) -> Assignment {
    Assignment {
        comic_id: comic,
        seen,
        id_comicbook_info: issue,
        model: "m".into(),
    }
}

#[test]
fn a_picked_issue_is_journaled_learnt_written_into_the_file_and_undone_exactly() {
    let library = comic_library::library();
    let mut db = vistazo::db::open(&library.db).expect("open");
    library
        .conn()
        .batch_execute(
            "INSERT INTO publishers (id_publisher, nombre) VALUES (7, 'Planeta');
             UPDATE volumens SET id_publisher = 7 WHERE id_volume = 100;",
        )
        .expect("a publisher");
    let run = db
        .start_classification_run("m", 0.75, 0.05, false)
        .expect("run");
    // Two editions of one cover were offered; the person picks the Saga one.
    db.replace_suggestion(
        SAGA_1,
        &[candidate(run, 1001, true), candidate(run, 2001, true)],
    )
    .expect("suggest");
    let before = value(&mut db, SAGA_1);
    assert_eq!(before, None, "NULL as Babelcomics4 left it");
    let path = library.comics.join("Saga 001 (2012).cbz");
    assert_eq!(comic_info(&path), None);

    let mut actions = Classifications::new(true);
    let applied = actions
        .assign(&mut db, &assignment(SAGA_1, before.clone(), 1001), 0.75)
        .expect("assign");
    let Applied::Applied {
        comic_info: tagged, ..
    } = applied
    else {
        panic!("applied: {applied:?}");
    };
    assert_eq!(value(&mut db, SAGA_1).as_deref(), Some("1001"));
    assert_eq!(
        tagged.map(|event| event.outcome),
        Some(TagOutcome::Written),
        "the setting asks for ComicInfo.xml"
    );
    let xml = comic_info(&path).expect("a ComicInfo.xml");
    assert!(xml.contains("<Series>Saga</Series>"), "{xml}");
    let learnt = db.preferred_publisher().expect("preference");
    assert_eq!(
        learnt.map(|p| p.publisher.id_publisher),
        Some(7),
        "the edition picked is learnt"
    );

    // A second decision of the same model shares the run; a changed comic is refused.
    let second = actions
        .assign(
            &mut db,
            &assignment(SAGA_2_VARIANT, Some(String::new()), 1002),
            0.75,
        )
        .expect("assign");
    assert!(matches!(second, Applied::Applied { .. }));
    let stale = actions
        .assign(
            &mut db,
            &assignment(SAGA_2_VARIANT, Some(String::new()), 1003),
            0.75,
        )
        .expect("assign");
    assert_eq!(
        stale,
        Applied::Refused,
        "its value changed since it was read"
    );

    // Undo takes back exactly that comic: NULL again, its file as it was.
    actions.undo_assignment(&mut db, SAGA_1).expect("undo");
    assert_eq!(value(&mut db, SAGA_1), None);
    assert_eq!(comic_info(&path), None, "the file's previous state is back");
    assert_eq!(value(&mut db, SAGA_2_VARIANT).as_deref(), Some("1002"));
    assert!(matches!(
        actions.undo_assignment(&mut db, SAGA_1),
        Err(MatchingError::NothingToUndoFor(SAGA_1))
    ));
}

#[test]
fn without_the_setting_no_file_is_touched_and_apply_all_is_one_undo() {
    let library = comic_library::library();
    let mut db = vistazo::db::open(&library.db).expect("open");
    let path = library.comics.join("Saga 002 (2012).cbz");
    let bytes = std::fs::read(&path).expect("read");
    let mut actions = Classifications::new(false);
    let done = actions
        .apply_all(
            &mut db,
            &[
                assignment(SAGA_2_VARIANT, Some(String::new()), 1002),
                assignment(BATMAN_3_CROPPED, Some(String::new()), 2003),
                assignment(SAGA_1, Some("stale".into()), 1001),
            ],
            0.75,
        )
        .expect("apply all");
    assert_eq!(done.applied, 2);
    assert_eq!(done.refused, [SAGA_1]);
    assert!(done.comic_info.is_empty());
    assert_eq!(std::fs::read(&path).expect("read"), bytes, "file untouched");
    assert_eq!(value(&mut db, BATMAN_3_CROPPED).as_deref(), Some("2003"));

    assert!(actions.trash(&mut db, SAGA_1).expect("trash"));
    assert!(actions.untrash(&mut db, SAGA_1).expect("out of the trash"));

    let undone = actions.undo_apply_all(&mut db).expect("undo");
    assert_eq!(undone.restored, 2);
    assert_eq!(value(&mut db, SAGA_2_VARIANT).as_deref(), Some(""));
    assert_eq!(value(&mut db, BATMAN_3_CROPPED).as_deref(), Some(""));
    assert!(matches!(
        actions.undo_apply_all(&mut db),
        Err(MatchingError::NoRuns)
    ));
}

/// Every entry of a ZIP: name and bytes, in archive order.
fn entries(path: &Path) -> Vec<(String, Vec<u8>)> {
    let file = std::fs::File::open(path).expect("open the comic");
    let mut zip = zip::ZipArchive::new(file).expect("a CBZ");
    (0..zip.len())
        .map(|at| {
            let mut entry = zip.by_index(at).expect("entry");
            let mut bytes = Vec::new();
            std::io::Read::read_to_end(&mut entry, &mut bytes).expect("read");
            (entry.name().expect("name").into_owned(), bytes)
        })
        .collect()
}

/// The comic at `path` again, with one more entry `name` holding `bytes`.
fn add_entry(path: &Path, name: &str, bytes: &[u8]) {
    let mut all = entries(path);
    all.push((name.to_owned(), bytes.to_vec()));
    let mut zip = zip::ZipWriter::new(std::fs::File::create(path).expect("rewrite"));
    for (name, bytes) in all {
        zip.start_file(name, zip::write::SimpleFileOptions::default())
            .expect("entry");
        std::io::Write::write_all(&mut zip, &bytes).expect("write");
    }
    zip.finish().expect("finish");
}

#[test]
fn comicinfo_is_written_at_the_top_level_and_a_nested_one_is_left_as_it_is() {
    let nested_xml = "<?xml version=\"1.0\"?>\n<ComicInfo>\n  <Series>Old</Series>\n  <Writer>Brian K. Vaughan</Writer>\n</ComicInfo>\n";
    for nested in ["../ComicInfo.xml", "sub/ComicInfo.xml"] {
        let library = comic_library::library();
        let mut db = vistazo::db::open(&library.db).expect("open");
        let path = library.comics.join("Saga 001 (2012).cbz");
        add_entry(&path, nested, nested_xml.as_bytes());
        let before = entries(&path);

        let run = db
            .start_classification_run("m", 0.75, 0.05, false)
            .expect("run");
        db.replace_suggestion(SAGA_1, &[candidate(run, 1001, false)])
            .expect("suggest");
        let mut actions = Classifications::new(true);
        let applied = actions
            .assign(&mut db, &assignment(SAGA_1, None, 1001), 0.75)
            .expect("assign");
        let Applied::Applied {
            comic_info: tagged, ..
        } = applied
        else {
            panic!("applied: {applied:?}");
        };
        assert_eq!(tagged.map(|event| event.outcome), Some(TagOutcome::Written));

        let after = entries(&path);
        let names: Vec<&str> = after.iter().map(|(name, _)| name.as_str()).collect();
        assert_eq!(after.len(), before.len() + 1, "{nested}: {names:?}");
        assert!(
            after[..before.len()] == before[..],
            "{nested}: the rest is as it was: {names:?}"
        );
        let (name, xml) = &after[before.len()];
        assert_eq!(name, "ComicInfo.xml", "{nested}");
        let xml = String::from_utf8_lossy(xml);
        assert!(xml.contains("<Series>Saga</Series>"), "{xml}");
        assert!(
            xml.contains("<Writer>Brian K. Vaughan</Writer>"),
            "the nested one's fields: {xml}"
        );
        assert!(
            !after
                .iter()
                .any(|(name, _)| name.starts_with("../") && name != nested)
        );

        // Reading now takes the top-level one.
        let read = vistazo::library::ComicArchive::open(&path)
            .expect("open")
            .comic_info()
            .expect("read")
            .expect("tags");
        assert_eq!(read.series.as_deref(), Some("Saga"), "{nested}");

        // Undo takes away what it wrote, and only that.
        actions.undo_assignment(&mut db, SAGA_1).expect("undo");
        assert!(entries(&path) == before, "{nested}: the file is as it was");
    }
}
