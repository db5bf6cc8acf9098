//! `vistazo catalog missing`: the volumes the catalog lacks, found from the unclassified
//! comics' names and tags, grouped by series and start year, with what to search for.

#[path = "support/comic_library.rs"]
mod comic_library;

use comic_library::{SAGA_1, SAGA_9_ABSENT, SCAN_ABSENT};
use diesel::connection::SimpleConnection;
use vistazo::db::matching::StoredCandidate;

fn candidate(run: i64, combined: f64) -> StoredCandidate {
    StoredCandidate {
        hash: None,
        ..comic_library::stored_candidate(run, 1001, 1, combined)
    }
}

#[test]
fn comics_of_volumes_the_catalog_lacks_are_grouped_with_what_to_search_for() {
    let library = comic_library::library();
    let model = comic_library::tiny_model();
    let mut db = vistazo::db::open(&library.db).expect("open");
    library
        .conn()
        .batch_execute(
            "INSERT INTO comicbooks (id_comicbook, path, id_comicbook_info, en_papelera) VALUES
                 (20, '/c/Iron Unknown 017 (1999).cbz', '', 0),
                 (21, '/c/Iron Unknown 018 (1999) (c2c).cbz', '', 0),
                 (22, '/c/Iron Unknown 019 (1999).cbz', '', 1),
                 (23, '/c/Thunder Knight (2001) 002.cbz', '', 0),
                 (24, '/c/Thunder Knight (2001) 003.cbz', '3', 0);",
        )
        .expect("comics of volumes the catalog lacks");
    // Classification found nothing near Saga 9 (its issue is not in the catalog), and a clear
    // match for Saga 1.
    let run = db
        .start_classification_run("m", 0.75, 0.05, false)
        .expect("run");
    db.replace_suggestion(SAGA_9_ABSENT, &[candidate(run, 0.2)])
        .expect("weak");
    db.replace_suggestion(SAGA_1, &[candidate(run, 0.9)])
        .expect("clear");
    drop(db);

    let output = library.vistazo(&model, &["catalog", "missing", "--json"]);
    let groups: serde_json::Value = serde_json::from_slice(&output.stdout).expect("a JSON array");
    let groups: Vec<(String, Option<u64>, Vec<i64>, String)> = groups
        .as_array()
        .expect("groups")
        .iter()
        .map(|g| {
            (
                g["series"].as_str().expect("series").to_owned(),
                g["year"].as_u64(),
                g["comics"]
                    .as_array()
                    .expect("comics")
                    .iter()
                    .filter_map(serde_json::Value::as_i64)
                    .collect(),
                g["query"].as_str().expect("query").to_owned(),
            )
        })
        .collect();
    assert_eq!(
        groups,
        [
            // The trashed copy and the classified one are left out; the largest group first.
            (
                "Iron Unknown".to_owned(),
                None,
                vec![20, 21],
                "Iron Unknown".to_owned()
            ),
            (
                "Saga".to_owned(),
                None,
                vec![i64::from(SAGA_9_ABSENT)],
                "Saga".to_owned()
            ),
            (
                "Thunder Knight".to_owned(),
                Some(2001),
                vec![23],
                "Thunder Knight".to_owned()
            ),
        ],
        "a scanner's name ({SCAN_ABSENT}) says no series; Batman 3 and Saga 2 are not classified yet"
    );

    let text = library.vistazo(&model, &["catalog", "missing"]);
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(
        text.contains(
            "Thunder Knight (2001): 1 comic; search with vistazo catalog search \"Thunder Knight\""
        ),
        "{text}"
    );
}

#[test]
fn a_volume_added_serves_the_comics_that_named_it_and_they_are_classified_again_alone() {
    let library = comic_library::library();
    let model = comic_library::tiny_model();
    library
        .conn()
        .batch_execute(
            "INSERT INTO comicbooks (id_comicbook, path, id_comicbook_info, en_papelera) VALUES
                 (20, '/c/Iron Unknown 017 (1999).cbz', '', 0),
                 (21, '/c/Iron Unknown 018 (1999).cbz', '', 0),
                 (23, '/c/Thunder Knight (2001) 002.cbz', '', 0);",
        )
        .expect("comics of volumes the catalog lacks");
    let mut db = vistazo::db::open(&library.db).expect("open");
    let groups = vistazo::catalog::missing::missing_volumes(&mut db).expect("groups");
    use vistazo::catalog::missing::served_by;
    assert_eq!(served_by(&groups, "Iron Unknown"), [20, 21]);
    assert_eq!(served_by(&groups, "The Thunder Knight"), [23]);
    assert!(served_by(&groups, "Batman").is_empty());
    drop(db);

    // Classifying again looks at the comics named and no other, and applies what is sure.
    library.vistazo(&model, &["embed"]);
    let mut db = vistazo::db::open(&library.db).expect("open");
    let files = vistazo::clip::weights::ModelFiles::in_folder(&model).expect("model");
    let store = vistazo::library::ThumbnailStore::new(&library.thumbnails);
    let before = library.classifications();
    let summary = vistazo::matching::actions::classify_again(
        &mut db,
        &store,
        &files.model_id(),
        &[SAGA_1],
        vistazo::matching::Threshold::default(),
        &vistazo::jobs::CancelToken::new(),
        &mut |_| {},
    )
    .expect("classified again");
    assert_eq!(summary.considered, 1, "{summary:?}");
    assert_eq!(summary.applied + summary.suggested, 1, "{summary:?}");
    let after = library.classifications();
    for ((id, was), (_, now)) in before.iter().zip(&after) {
        if *id != SAGA_1 {
            assert_eq!(was, now, "comic {id} was not asked for");
        }
    }
}
