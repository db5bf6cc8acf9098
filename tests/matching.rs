//! `vistazo embed`, `vistazo classify` and `vistazo undo` through the built binary, on the small
//! Babelcomics4-style library of `support/comic_library.rs`. The model is the tiny random-weight
//! one, so the pictures' hashes and the file names have to carry the decisions.

#[path = "support/comic_library.rs"]
mod comic_library;

use std::io::{Cursor, Write};
use std::path::Path;
use std::process::Output;

use comic_library::*;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::Text;

fn json_lines(output: &Output) -> Vec<serde_json::Value> {
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|line| serde_json::from_str(line).expect("one JSON object per line"))
        .collect()
}

#[test]
fn classify_applies_only_the_right_matches_and_undo_restores_every_value() {
    let library = library();
    let model = tiny_model();
    let before = library.classifications();
    library.vistazo(&model, &["embed"]);

    let output = library.vistazo(&model, &["classify", "--auto-apply", "--json"]);
    let lines = json_lines(&output);
    let looked_at: Vec<i64> = lines
        .iter()
        .map(|l| l["comic_id"].as_i64().expect("id"))
        .collect();
    assert_eq!(
        looked_at,
        [1, 2, 3, 4, 5],
        "trash and classified comics are left out"
    );
    for line in &lines {
        let candidates = line["candidates"].as_array().expect("candidates");
        assert!(candidates.len() <= 5);
        let mut issues: Vec<i64> = candidates
            .iter()
            .map(|c| c["id_comicbook_info"].as_i64().expect("issue"))
            .collect();
        issues.sort();
        issues.dedup();
        assert_eq!(
            issues.len(),
            candidates.len(),
            "one candidate per issue: {line}"
        );
        let signals = &candidates[0]["signals"];
        for key in ["visual", "hash", "series", "number", "year", "combined"] {
            assert!(signals.get(key).is_some(), "{key} in {signals}");
        }
    }

    let after = library.classifications();
    let expected = [
        (SAGA_1, Some("1001".to_owned())),
        (SAGA_2_VARIANT, Some("1002".to_owned())),
        (BATMAN_3_CROPPED, Some("2003".to_owned())),
        (SAGA_9_ABSENT, Some(String::new())),
        (SCAN_ABSENT, Some(String::new())),
        (PRE_CLASSIFIED, Some("2002".to_owned())),
        (IN_TRASH, Some(String::new())),
    ];
    assert_eq!(after, expected);
    let absent = &lines[3];
    assert_eq!(absent["applied"], false);

    // The suggestions for the comics left unclassified are stored for review.
    let mut database = vistazo::db::open(&library.db).expect("open");
    assert_eq!(
        database.suggested_comics().expect("suggested"),
        [SAGA_9_ABSENT, SCAN_ABSENT]
    );
    drop(database);

    let undone = library.vistazo(&model, &["undo", "--last"]);
    assert!(String::from_utf8_lossy(&undone.stdout).contains("3 comics"));
    assert_eq!(library.classifications(), before);
    assert_eq!(before[0], (SAGA_1, None), "NULL stays NULL");
    assert_eq!(before[1], (SAGA_2_VARIANT, Some(String::new())));
}

#[test]
fn a_second_embed_computes_nothing_new() {
    let library = library();
    let model = tiny_model();
    let first = library.vistazo(&model, &["embed"]);
    // 8 catalog covers and the 5 comics classification will look at.
    assert!(
        String::from_utf8_lossy(&first.stdout).contains("Computed 13 embeddings."),
        "{}",
        String::from_utf8_lossy(&first.stdout)
    );
    let second = library.vistazo(&model, &["embed"]);
    assert!(String::from_utf8_lossy(&second.stdout).contains("Computed 0 embeddings."));
    assert!(library.comics.is_dir());
}

#[test]
fn embeddings_stored_by_babelcomics_are_reused_for_the_same_model() {
    let library = library();
    // The tiny model under the name of the model Babelcomics4 uses.
    let named = tempfile::tempdir().expect("model dir");
    for entry in std::fs::read_dir(tiny_model()).expect("tiny model") {
        let entry = entry.expect("entry");
        std::fs::copy(entry.path(), named.path().join(entry.file_name())).expect("copy");
    }
    let config_path = named.path().join("config.json");
    let mut config: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&config_path).expect("config"))
            .expect("JSON");
    config["_name_or_path"] = "openai/clip-vit-base-patch32".into();
    std::fs::write(&config_path, config.to_string()).expect("write config");

    let mut stored = vec![0.0f32; 512];
    stored[7] = 1.0;
    let json = serde_json::to_string(&stored).expect("JSON");
    diesel::sql_query("UPDATE comicbooks_info_covers SET embedding = ? WHERE id_cover = 4")
        .bind::<Text, _>(&json)
        .execute(&mut library.conn())
        .expect("store");

    let output = library.vistazo(named.path(), &["embed", "--covers"]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("Reused 1 embedding"), "{stdout}");
    assert!(stdout.contains("Computed 7 embeddings."), "{stdout}");
    let mut database = vistazo::db::open(&library.db).expect("open");
    let kept = database
        .embedding(
            vistazo::db::embeddings::Subject::Cover,
            4,
            "openai/clip-vit-base-patch32",
        )
        .expect("read");
    assert_eq!(kept, Some(stored));
}

/// The ComicInfo.xml of a CBZ, when it has one.
fn comicinfo_of(path: &Path) -> Option<String> {
    vistazo::library::comicinfo::stored_xml(path)
        .expect("readable")
        .map(|bytes| String::from_utf8(bytes).expect("UTF-8"))
}

#[test]
fn write_comicinfo_tags_the_applied_files_and_undo_puts_the_old_ones_back() {
    use std::os::unix::fs::PermissionsExt;
    let library = library();
    let model = tiny_model();
    // Opening the database once gives it the tables Babelcomics4 makes on first start.
    drop(vistazo::db::open(&library.db).expect("open"));
    library
        .conn()
        .batch_execute(
            "INSERT INTO publishers (id_publisher, nombre) VALUES (31, 'Image');
             UPDATE volumens SET id_publisher = 31, anio_inicio = 2012 WHERE id_volume = 100;
             UPDATE comicbooks_info SET titulo = 'Chapter One',
                 url_sitio_web = 'https://comicvine.example/saga-1/4000-1001/'
             WHERE id_comicbook_info = 1001;",
        )
        .expect("catalog facts");
    let saga_1 = library.comics.join("Saga 001 (2012).cbz");
    let saga_2 = library.comics.join("Saga 002 (2012).cbz");
    let batman_3 = library.comics.join("Batman 003 (2016).cbz");
    // Saga 1 already has a ComicInfo.xml from another tool.
    let mut pages = zip::ZipArchive::new(std::fs::File::open(&saga_1).expect("open")).expect("zip");
    let mut cover = Vec::new();
    std::io::Read::read_to_end(&mut pages.by_name("001.jpg").expect("cover"), &mut cover)
        .expect("read");
    let old_info = "<?xml version=\"1.0\"?>\n<ComicInfo>\n  <Series>Sage</Series>\n  <Number>1</Number>\n  <Writer>Brian K. Vaughan</Writer>\n  <Tagger>another tool</Tagger>\n</ComicInfo>\n";
    {
        let file = std::fs::File::create(&saga_1).expect("rewrite");
        let mut zip = zip::ZipWriter::new(file);
        let options = zip::write::SimpleFileOptions::default();
        zip.start_file("001.jpg", options).expect("entry");
        zip.write_all(&cover).expect("cover");
        zip.start_file("ComicInfo.xml", options).expect("entry");
        zip.write_all(old_info.as_bytes()).expect("info");
        zip.finish().expect("finish");
    }
    // Batman 3 is read-only: classified, but its file is left alone.
    std::fs::set_permissions(&batman_3, std::fs::Permissions::from_mode(0o444)).expect("mode");
    let batman_bytes = std::fs::read(&batman_3).expect("read");
    let saga_2_bytes = std::fs::read(&saga_2).expect("read");
    let before = library.classifications();
    library.vistazo(&model, &["embed"]);

    let output = library.vistazo_may_fail(
        &model,
        &["classify", "--auto-apply", "--write-comicinfo", "--json"],
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    // A write that failed is a failure, said last, after the classifications were applied.
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.trim_end().lines().last().is_some_and(|line| line
            == "vistazo: the ComicInfo.xml of 1 comic could not be written; its classification is applied all the same"),
        "{stderr}"
    );
    assert!(
        stderr.contains("Wrote the ComicInfo.xml of 2 comics."),
        "{stderr}"
    );
    assert!(
        stderr.contains("Could not write the ComicInfo.xml of") && stderr.contains("read-only"),
        "{stderr}"
    );
    assert_eq!(
        library.classifications()[2],
        (BATMAN_3_CROPPED, Some("2003".to_owned()))
    );
    assert_eq!(std::fs::read(&batman_3).expect("read"), batman_bytes);
    for absent in ["Saga 009 (2013).cbz", "scan_0042.cbz"] {
        assert_eq!(comicinfo_of(&library.comics.join(absent)), None, "{absent}");
    }

    let info = comicinfo_of(&saga_1).expect("written");
    for expected in [
        "<Title>Chapter One</Title>",
        "<Series>Saga</Series>",
        "<Volume>2012</Volume>",
        "<Year>2012</Year>",
        "<Publisher>Image</Publisher>",
        "<Web>https://comicvine.example/saga-1/4000-1001/</Web>",
        "[Issue ID 1001]",
        "<Writer>Brian K. Vaughan</Writer>",
        "<Tagger>another tool</Tagger>",
    ] {
        assert!(info.contains(expected), "{expected} in {info}");
    }
    let info = comicinfo_of(&saga_2).expect("written");
    assert!(
        info.contains("<Number>2</Number>") && info.contains("[Issue ID 1002]"),
        "{info}"
    );
    // The file keeps its path in the collection.
    let mut database = vistazo::db::open(&library.db).expect("open");
    let row = database.owned_comic(SAGA_1).expect("query").expect("row");
    assert_eq!(Path::new(&row.path), saga_1);
    drop(database);

    let undone = library.vistazo(&model, &["undo", "--last"]);
    let stdout = String::from_utf8_lossy(&undone.stdout);
    assert!(
        stdout.contains("Put back the previous ComicInfo.xml of 2 comics."),
        "{stdout}"
    );
    assert_eq!(library.classifications(), before);
    assert_eq!(comicinfo_of(&saga_1).as_deref(), Some(old_info));
    assert_eq!(comicinfo_of(&saga_2), None);
    let restored =
        zip::ZipArchive::new(Cursor::new(std::fs::read(&saga_2).expect("read"))).expect("zip");
    let original = zip::ZipArchive::new(Cursor::new(saga_2_bytes)).expect("zip");
    assert_eq!(restored.len(), original.len());
    for at in 0..original.len() {
        let name = |zip: &zip::ZipArchive<_>| {
            zip.name_for_index(at)
                .expect("entry")
                .expect("name")
                .into_owned()
        };
        assert_eq!(name(&restored), name(&original));
    }
}

#[test]
fn undo_after_a_killed_write_tells_never_written_and_clears_the_leftover_copies() {
    let library = library();
    let model = tiny_model();
    library.vistazo(&model, &["embed"]);
    library.vistazo(&model, &["classify", "--auto-apply"]);
    let mut database = vistazo::db::open(&library.db).expect("open");
    #[derive(QueryableByName)]
    struct Run {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        id: i64,
    }
    let run = diesel::sql_query("SELECT max(id) AS id FROM vz_classification_runs")
        .get_result::<Run>(database.conn())
        .expect("a run")
        .id;
    let comic = database.classified_in_run(run).expect("query")[0];
    let path = database
        .owned_comic(comic)
        .expect("query")
        .expect("row")
        .path;
    let before = std::fs::read(&path).expect("read");
    // Killed after the journal entry and before the file was replaced: the copy being built
    // is left beside the comic, and the comic keeps its old ComicInfo.xml (none).
    database
        .journal_comic_info(run, comic, &path, None, b"<ComicInfo/>")
        .expect("journal");
    drop(database);
    let leftover = library.comics.join(".vistazo-k1Ll3d.cbz.tmp");
    std::fs::write(&leftover, b"half a zip").expect("leftover");
    let hour_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(3600);
    std::fs::File::options()
        .write(true)
        .open(&leftover)
        .and_then(|file| file.set_modified(hour_ago))
        .expect("age the leftover");
    // Another run writing right now: its copy is young and stays.
    let in_progress = library.comics.join(".vistazo-l1ve00.cbz.tmp");
    std::fs::write(&in_progress, b"being written").expect("in progress");

    let output = library.vistazo(&model, &["undo", "--last"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("was never written"), "{stderr}");
    assert!(!stderr.contains("changed since"), "{stderr}");
    assert_eq!(std::fs::read(&path).expect("read"), before);
    assert!(!leftover.exists(), "the killed run's copy is deleted");
    assert!(in_progress.exists(), "a young copy is left alone");
}

#[test]
fn a_comic_another_run_classifies_meanwhile_is_neither_applied_again_nor_left_suggested() {
    use vistazo::matching::{ClassifyEvent, ClassifyOptions};

    let library = library();
    let model = tiny_model();
    library.vistazo(&model, &["embed"]);
    let model_id = vistazo::clip::ModelFiles::in_folder(&model)
        .expect("model")
        .model_id();
    let store = vistazo::library::ThumbnailStore::new(library.thumbnails.clone());
    let mut database = vistazo::db::open(&library.db).expect("open");
    // The other run: it classifies Batman 3 as soon as this one has looked at its first comic.
    let mut other = Some(library.conn());
    let mut events = Vec::new();
    let summary = vistazo::matching::classify::classify(
        &mut database,
        &store,
        &model_id,
        &ClassifyOptions {
            auto_apply: true,
            ..ClassifyOptions::default()
        },
        &vistazo::jobs::CancelToken::new(),
        &mut |event| {
            if matches!(event, ClassifyEvent::Progress(_))
                && let Some(mut conn) = other.take()
            {
                conn.batch_execute(&format!(
                    "UPDATE comicbooks SET id_comicbook_info = '2003' WHERE id_comicbook = {BATMAN_3_CROPPED}"
                ))
                .expect("the other run applies");
            }
            if let ClassifyEvent::Skipped { comic_id, reason, .. } = event {
                events.push((comic_id, reason));
            }
        },
    )
    .expect("classify");

    assert_eq!(
        (summary.applied, summary.suggested, summary.skipped),
        (2, 2, 1)
    );
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].0, BATMAN_3_CROPPED);
    assert!(
        events[0].1.contains("another program or run"),
        "{}",
        events[0].1
    );
    assert_eq!(
        database.suggested_comics().expect("suggested"),
        [SAGA_9_ABSENT, SCAN_ABSENT]
    );
    let batman = library
        .classifications()
        .into_iter()
        .find(|(id, _)| *id == BATMAN_3_CROPPED);
    assert_eq!(batman, Some((BATMAN_3_CROPPED, Some("2003".to_owned()))));
}

#[test]
fn a_truncated_cover_is_reported_and_its_match_only_suggested() {
    let library = library();
    let model = tiny_model();
    // Saga 1's cover cut at two-thirds of its bytes, as a download that stopped leaves it.
    let saga = library.comics.join("Saga 001 (2012).cbz");
    let store = vistazo::library::ThumbnailStore::new(library.thumbnails.clone());
    let whole = {
        let rescaled =
            image::imageops::resize(&cover(1), 200, 300, image::imageops::FilterType::Triangle);
        jpeg(&brighter(&rescaled, 20), 85)
    };
    write_cbz(&saga, &whole[..whole.len() * 2 / 3]);
    // And one catalog cover: Batman 2's.
    let batman_2 = store.catalog_cover("Batman", 200, "https://img.example/7-cover.jpg");
    let bytes = std::fs::read(&batman_2).expect("cover");
    std::fs::write(&batman_2, &bytes[..bytes.len() * 2 / 3]).expect("cut");

    let embedded = library.vistazo(&model, &["embed"]);
    let (stdout, stderr) = (
        String::from_utf8_lossy(&embedded.stdout),
        String::from_utf8_lossy(&embedded.stderr),
    );
    let warnings: Vec<&str> = stderr
        .lines()
        .filter(|line| line.contains("runcated image"))
        .collect();
    assert_eq!(warnings.len(), 2, "{stderr}");
    assert!(
        warnings
            .iter()
            .any(|line| line.contains("Saga 001 (2012).cbz")),
        "{stderr}"
    );
    assert!(
        warnings
            .iter()
            .any(|line| line.contains(&*batman_2.to_string_lossy())),
        "{stderr}"
    );
    // 7 catalog covers and the 5 comics: the truncated catalog cover is left out.
    assert!(stdout.contains("Computed 12 embeddings."), "{stdout}");
    assert!(
        stdout.contains("1 catalog cover is a truncated image"),
        "{stdout}"
    );
    assert!(
        stdout.contains("1 comic has a truncated cover image"),
        "{stdout}"
    );

    let output = library.vistazo(&model, &["classify", "--auto-apply", "--json"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    let lines = json_lines(&output);
    let saga_1 = lines
        .iter()
        .find(|line| line["comic_id"] == SAGA_1)
        .expect("Saga 1 is looked at");
    assert_eq!(saga_1["applied"], false, "{saga_1}");
    assert_eq!(saga_1["truncated_cover"], "001.jpg", "{saga_1}");
    assert!(
        saga_1["best"].is_object(),
        "it is still suggested: {saga_1}"
    );
    let others = lines.iter().filter(|line| line["comic_id"] != SAGA_1);
    assert!(others.clone().all(|line| line["truncated_cover"].is_null()));
    assert_eq!(
        stderr
            .lines()
            .filter(|line| line.contains("Truncated image") && line.contains("Saga 001"))
            .count(),
        1,
        "{stderr}"
    );
    assert!(
        stderr.contains("1 comic has a truncated cover image"),
        "{stderr}"
    );
    let classified = library.classifications();
    assert_eq!(classified[0], (SAGA_1, None), "Saga 1 is left as it was");
    let mut database = vistazo::db::open(&library.db).expect("open");
    assert!(
        database
            .suggested_comics()
            .expect("suggested")
            .contains(&SAGA_1)
    );
}

#[test]
fn embed_waits_for_another_program_to_release_the_collection_and_keeps_every_embedding() {
    use std::io::BufRead;

    let library = library();
    let model = tiny_model();
    // Brought up to date first, so that the first write embed makes is its embeddings.
    drop(vistazo::db::open(&library.db).expect("open"));
    // Another program in the middle of a write, until embed says it is waiting.
    let mut other = library.conn();
    other.batch_execute("BEGIN IMMEDIATE").expect("lock");
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_vistazo"))
        .arg("--db")
        .arg(&library.db)
        .arg("--thumbnails")
        .arg(&library.thumbnails)
        .arg("--model")
        .arg(&model)
        .args(["--device", "cpu", "embed"])
        .env("LC_ALL", "C")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("the binary runs");
    let stderr = child.stderr.take().expect("stderr");
    let mut seen = Vec::new();
    let mut lock = Some(other);
    for line in std::io::BufReader::new(stderr).lines() {
        let line = line.expect("stderr line");
        if line.contains("Waiting for another program using the collection")
            && let Some(mut other) = lock.take()
        {
            other.batch_execute("ROLLBACK").expect("release");
        }
        seen.push(line);
    }
    drop(lock);
    let output = child.wait_with_output().expect("embed ends");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{seen:?}");
    assert_eq!(
        seen.iter()
            .filter(|line| line.contains("Waiting for another program"))
            .count(),
        1,
        "said once: {seen:?}"
    );
    assert!(stdout.contains("Computed 13 embeddings."), "{stdout}");
    let stored: i64 = diesel::select(diesel::dsl::sql::<diesel::sql_types::BigInt>(
        "(SELECT count(*) FROM vz_embeddings)",
    ))
    .get_result(&mut library.conn())
    .expect("count");
    assert_eq!(stored, 13);
}

#[test]
fn embed_and_undo_give_their_counts_as_json() {
    let library = library();
    let model = tiny_model();
    let first = library.vistazo(&model, &["embed", "--json"]);
    let report: serde_json::Value = serde_json::from_slice(&first.stdout).expect("one object");
    // 8 catalog covers and the 5 comics classification will look at.
    assert_eq!(report["computed"], 13, "{report}");
    assert_eq!(report["reused"], 0, "{report}");
    assert_eq!(report["skipped"], serde_json::json!([]), "{report}");
    assert_eq!(
        report["truncated_comics"],
        serde_json::json!([]),
        "{report}"
    );
    for key in ["truncated_covers", "covers_without_file"] {
        assert!(report[key].is_u64(), "{key} in {report}");
    }
    assert_eq!(report["cancelled"], false, "{report}");
    let again = library.vistazo(&model, &["embed", "--json"]);
    let report: serde_json::Value = serde_json::from_slice(&again.stdout).expect("one object");
    assert_eq!(report["computed"], 0, "{report}");

    library.vistazo(&model, &["classify", "--auto-apply", "--json"]);
    let undone = library.vistazo(&model, &["undo", "--json"]);
    let report: serde_json::Value = serde_json::from_slice(&undone.stdout).expect("one object");
    assert_eq!(report["run"], 1, "{report}");
    assert_eq!(report["restored"], 3, "{report}");
    assert_eq!(report["changed_since"], 0, "{report}");
    assert_eq!(report["comicinfo_restored"], 0, "{report}");
}
