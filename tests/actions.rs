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
