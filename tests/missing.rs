//! `vistazo catalog missing`: the volumes the catalog lacks, found from the unclassified
//! comics' names and tags, grouped by series and start year, with what to search for; and
//! adding them all from ComicVine (a local stand-in), stopped and resumed.

#[path = "support/comic_library.rs"]
mod comic_library;
#[path = "support/comicvine.rs"]
mod comicvine;
#[path = "support/fixtures.rs"]
mod fixtures;

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

/// A folder of comics whose covers are re-scans of `covers` (ComicVine addresses' last parts),
/// named `names`.
fn comics_of(folder: &std::path::Path, comics: &[(String, String)]) {
    std::fs::create_dir_all(folder).expect("comics folder");
    for (name, cover) in comics {
        let picture = comicvine::cover_picture(cover);
        let picture =
            image::imageops::resize(&picture, 300, 450, image::imageops::FilterType::Triangle);
        fixtures::write_zip(
            &folder.join(name),
            &fixtures::entries(&[("001.jpg", comic_library::jpeg(&picture, 90))]),
        );
    }
}

#[test]
fn add_all_adds_each_missing_volume_in_order_and_a_stopped_run_resumes_where_it_was() {
    use comicvine::{FIRST_ISSUE, THUNDER_FIRST_ISSUE};
    use vistazo::catalog::missing::{self, AddMissingEvent, AddMissingRun};
    use vistazo::jobs::{CancelToken, Outcome};

    let server = comicvine::MockComicVine::start(12);
    let dir = tempfile::tempdir().expect("temp dir");
    let db_path = dir.path().join("vistazo.db");
    let thumbnails = dir.path().join("thumbs");
    let folder = dir.path().join("comics");
    let saga = |n: i32| format!("scale_medium/{}-saga.jpg", FIRST_ISSUE + n);
    let thunder = |n: i32| format!("scale_medium/{}-thunder.jpg", THUNDER_FIRST_ISSUE + n);
    comics_of(
        &folder,
        &[
            ("Saga Año Uno 004 (2012).cbz".into(), saga(4)),
            ("Saga Año Uno 005 (2012).cbz".into(), saga(5)),
            ("Saga Año Uno 009 (2012).cbz".into(), saga(9)),
            ("Thunder Knight (2001) 002.cbz".into(), thunder(2)),
            ("Thunder Knight (2001) 003.cbz".into(), thunder(3)),
        ],
    );
    let mut db = vistazo::db::open(&db_path).expect("a new collection");
    let store = vistazo::library::ThumbnailStore::new(&thumbnails);
    let cancel = CancelToken::new();
    vistazo::library::scan(
        &mut db,
        std::slice::from_ref(&folder),
        &vistazo::library::ScanOptions::new(store.clone()),
        &cancel,
        &mut |_| {},
    )
    .expect("scanned");
    let ids = |db: &mut vistazo::db::Database, prefix: &str| -> Vec<i32> {
        let mut ids: Vec<i32> = missing::missing_volumes(db)
            .expect("groups")
            .into_iter()
            .filter(|group| group.series.starts_with(prefix))
            .flat_map(|group| group.comics)
            .collect();
        ids.sort_unstable();
        ids
    };
    let saga_comics = ids(&mut db, "Saga");
    let thunder_comics = ids(&mut db, "Thunder");
    assert_eq!((saga_comics.len(), thunder_comics.len()), (3, 2));

    let client = vistazo::catalog::ComicVine::new(
        vistazo::catalog::ApiKey::new(comicvine::KEY).expect("key"),
        vistazo::catalog::ComicVineOptions {
            base_url: server.base_url(),
            min_interval: std::time::Duration::from_millis(3),
            ..vistazo::catalog::ComicVineOptions::default()
        },
    )
    .expect("client");

    // The largest group first; Cancel once its volume is added stops before the next group.
    let groups = missing::missing_volumes(&mut db).expect("groups");
    let mut searched = Vec::new();
    let first =
        missing::add_missing(
            &mut db,
            &client,
            &store,
            &groups,
            &cancel,
            &mut |event| match event {
                AddMissingEvent::Searching { group, .. } => searched.push(group.series.clone()),
                AddMissingEvent::Added(_) => cancel.cancel(),
                _ => {}
            },
        )
        .expect("first run");
    assert_eq!(first.outcome, Outcome::Cancelled);
    assert_eq!(searched, ["Saga Año Uno"]);
    assert_eq!(
        first
            .added
            .iter()
            .map(|v| v.name.as_str())
            .collect::<Vec<_>>(),
        [comicvine::VOLUME_NAME]
    );
    assert_eq!(first.waiting, saga_comics);
    let asked_for_thunder = |server: &comicvine::MockComicVine| {
        server
            .requests()
            .iter()
            .filter(|r| r.query.get("query").is_some_and(|q| q.contains("Thunder")))
            .count()
    };
    assert_eq!(asked_for_thunder(&server), 0, "stopped between the groups");
    assert_eq!(
        AddMissingRun::load(&mut db).expect("run").waiting,
        saga_comics,
        "what the stopped run did is recorded"
    );

    // Run again, stopped this time while the next volume's covers are saved: part of it is in
    // the catalog, so its comics no longer count as missing, but the run remembers them.
    let requests_before = server.requests().len();
    let cancel = CancelToken::new();
    let groups = missing::groups_to_add(&mut db).expect("groups");
    let stopped = missing::add_missing(&mut db, &client, &store, &groups, &cancel, &mut |event| {
        if let AddMissingEvent::Import(vistazo::catalog::CatalogEvent::Progress(_)) = event {
            cancel.cancel();
        }
    })
    .expect("second run");
    assert_eq!(stopped.outcome, Outcome::Cancelled);
    assert!(stopped.added.is_empty(), "{stopped:?}");
    assert!(
        missing::missing_volumes(&mut db)
            .expect("groups")
            .iter()
            .all(|group| !group.series.starts_with("Thunder")),
        "the comics of a volume partly added name a volume of the catalog"
    );

    // And again, with the groups to add read again: the volume stopped midway is finished,
    // the first is not looked for again, and every comic waiting is to be classified.
    let cancel = CancelToken::new();
    let groups = missing::groups_to_add(&mut db).expect("groups");
    assert_eq!(
        groups.iter().map(|g| g.series.as_str()).collect::<Vec<_>>(),
        ["Thunder Knight"]
    );
    let second = missing::add_missing(&mut db, &client, &store, &groups, &cancel, &mut |_| {})
        .expect("third run");
    assert_eq!(second.outcome, Outcome::Finished);
    assert_eq!(
        second
            .added
            .iter()
            .map(|v| v.name.as_str())
            .collect::<Vec<_>>(),
        [comicvine::THUNDER_NAME]
    );
    let saga_again = server.requests()[requests_before..]
        .iter()
        .filter(|r| r.path.contains(&comicvine::VOLUME.to_string()))
        .count();
    assert_eq!(
        saga_again, 0,
        "the volume added before is not asked for again"
    );
    assert_eq!(second.added[0].issues_added, 0, "{:?}", second.added);
    let mut everyone = saga_comics.clone();
    everyone.extend(&thunder_comics);
    everyone.sort_unstable();
    assert_eq!(second.waiting, everyone);

    // Classified again with the new covers read, each comic is its issue.
    drop(db);
    let model = comic_library::tiny_model();
    let embedded = std::process::Command::new(env!("CARGO_BIN_EXE_vistazo"))
        .arg("--db")
        .arg(&db_path)
        .arg("--thumbnails")
        .arg(&thumbnails)
        .arg("--model")
        .arg(&model)
        .args(["--device", "cpu", "embed"])
        .env("LC_ALL", "C")
        .output()
        .expect("embed");
    assert!(embedded.status.success(), "{embedded:?}");
    let mut db = vistazo::db::open(&db_path).expect("open");
    let files = vistazo::clip::weights::ModelFiles::in_folder(&model).expect("model");
    let summary = vistazo::matching::actions::classify_again(
        &mut db,
        &store,
        &files.model_id(),
        &second.waiting,
        vistazo::matching::Threshold::default(),
        &cancel,
        &mut |_| {},
    )
    .expect("classified again");
    assert_eq!(summary.applied, 5, "{summary:?}");
    missing::classified_again(&mut db).expect("run closed");
    assert_eq!(
        AddMissingRun::load(&mut db).expect("run"),
        AddMissingRun::default()
    );
    let expected = [
        ("Saga Año Uno 004", FIRST_ISSUE + 4),
        ("Saga Año Uno 005", FIRST_ISSUE + 5),
        ("Saga Año Uno 009", FIRST_ISSUE + 9),
        ("Thunder Knight (2001) 002", THUNDER_FIRST_ISSUE + 2),
        ("Thunder Knight (2001) 003", THUNDER_FIRST_ISSUE + 3),
    ];
    for (name, issue) in expected {
        let classified = classification_of(&mut db, name);
        assert_eq!(classified, issue.to_string(), "{name}");
    }
    assert!(
        missing::missing_volumes(&mut db)
            .expect("groups")
            .is_empty()
    );
}

/// The issue the comic whose file name starts with `name` is classified as.
fn classification_of(db: &mut vistazo::db::Database, name: &str) -> String {
    use diesel::prelude::*;
    #[derive(QueryableByName)]
    struct Row {
        #[diesel(sql_type = diesel::sql_types::Text)]
        path: String,
        #[diesel(sql_type = diesel::sql_types::Text)]
        info: String,
    }
    let rows: Vec<Row> =
        diesel::sql_query("SELECT path, coalesce(id_comicbook_info, '') AS info FROM comicbooks")
            .load(db.conn())
            .expect("comics");
    rows.into_iter()
        .find(|row| {
            std::path::Path::new(&row.path)
                .file_name()
                .is_some_and(|file| file.to_string_lossy().starts_with(name))
        })
        .map(|row| row.info)
        .expect("scanned")
}
