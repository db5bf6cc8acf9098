//! `vistazo search` and `vistazo similar` on the generated library: the rankings are the ones
//! the stored embeddings give, the JSON is as documented, and what is missing is computed first.

#[path = "support/comic_library.rs"]
mod comic_library;

use std::collections::HashMap;

use comic_library::*;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Binary, Text};
use serde_json::Value;

/// Cosines are compared with the stored vectors in half precision, as the search keeps them.
const TOLERANCE: f32 = 2e-3;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Key {
    Comic(i64),
    Cover(i64),
}

/// The stored embeddings, by what they picture, for the one model the tests use; comics in the
/// trash left out.
fn stored(library: &Library) -> HashMap<Key, Vec<f32>> {
    #[derive(QueryableByName)]
    struct Row {
        #[diesel(sql_type = Text)]
        subject: String,
        #[diesel(sql_type = BigInt)]
        subject_id: i64,
        #[diesel(sql_type = Binary)]
        vector: Vec<u8>,
    }
    let rows: Vec<Row> = diesel::sql_query(
        "SELECT e.subject, e.subject_id, e.vector FROM vz_embeddings e \
         WHERE e.subject = 'cover' OR (e.subject = 'comic' AND e.subject_id IN \
               (SELECT id_comicbook FROM comicbooks WHERE en_papelera = 0))",
    )
    .load(&mut library.conn())
    .expect("embeddings");
    rows.into_iter()
        .map(|row| {
            let vector = row
                .vector
                .chunks_exact(4)
                .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                .collect();
            let key = if row.subject == "cover" {
                Key::Cover(row.subject_id)
            } else {
                Key::Comic(row.subject_id)
            };
            (key, vector)
        })
        .collect()
}

fn cosine(a: &[f32], b: &[f32]) -> f32 {
    let dot: f32 = a.iter().zip(b).map(|(x, y)| x * y).sum();
    let norm = |v: &[f32]| v.iter().map(|x| x * x).sum::<f32>().sqrt();
    dot / (norm(a) * norm(b))
}

fn key_of(hit: &Value) -> Key {
    match hit["kind"].as_str() {
        Some("comic") => Key::Comic(hit["id_comicbook"].as_i64().expect("id_comicbook")),
        Some("catalog") => Key::Cover(hit["id_cover"].as_i64().expect("id_cover")),
        other => panic!("unknown kind {other:?} in {hit}"),
    }
}

fn hits(output: &std::process::Output) -> Vec<Value> {
    serde_json::from_slice::<Value>(&output.stdout)
        .expect("JSON")
        .as_array()
        .expect("an array")
        .clone()
}

/// The hits are exactly the stored covers (but `except`), each scored with its cosine with
/// `query`, best first.
fn assert_ranked(hits: &[Value], stored: &HashMap<Key, Vec<f32>>, query: &[f32], except: &[Key]) {
    let expected: HashMap<&Key, f32> = stored
        .iter()
        .filter(|(key, _)| !except.contains(key))
        .map(|(key, vector)| (key, cosine(query, vector)))
        .collect();
    assert_eq!(hits.len(), expected.len(), "{hits:?}");
    let mut previous = f32::INFINITY;
    for hit in hits {
        let key = key_of(hit);
        let score = hit["score"].as_f64().expect("score") as f32;
        let wanted = expected
            .get(&key)
            .unwrap_or_else(|| panic!("{key:?} is not a cover to find"));
        assert!(
            (score - wanted).abs() < TOLERANCE,
            "{key:?}: {score} vs {wanted}"
        );
        assert!((-1.0..=1.0).contains(&score));
        assert!(
            wanted <= &(previous + TOLERANCE),
            "not best first at {key:?}"
        );
        previous = *wanted;
    }
}

#[test]
fn search_computes_the_missing_embeddings_then_ranks_by_them() {
    let library = library();
    let model = tiny_model();
    let count = |subject: &str| -> i64 {
        use vistazo::db::schema::vz_embeddings::dsl;
        dsl::vz_embeddings
            .filter(dsl::subject.eq(subject))
            .count()
            .get_result(&mut library.conn())
            .unwrap_or(0)
    };
    let output = library.vistazo(
        &model,
        &[
            "search", "a", "red", "comic", "cover", "--json", "--limit", "100",
        ],
    );
    // Every catalog cover and every comic out of the trash, classified ones included.
    assert_eq!(count("cover"), 8);
    assert_eq!(count("comic"), 6);

    let text = library.vistazo(&model, &["embed-text", "a red comic cover", "--json"]);
    let text: Value = serde_json::from_slice(&text.stdout).expect("JSON");
    let query: Vec<f32> = text["a red comic cover"]["embedding"]
        .as_array()
        .expect("embedding")
        .iter()
        .map(|v| v.as_f64().expect("number") as f32)
        .collect();
    let found = hits(&output);
    assert_ranked(&found, &stored(&library), &query, &[]);

    // The JSON carries what each kind of cover is.
    for hit in &found {
        match key_of(hit) {
            Key::Comic(_) => assert!(hit["path"].as_str().is_some_and(|p| p.ends_with(".cbz"))),
            Key::Cover(_) => {
                assert!(hit["id_comicbook_info"].is_i64(), "{hit}");
                assert!(
                    hit["volume"].is_string() && hit["number"].is_string(),
                    "{hit}"
                );
            }
        }
    }

    // Scopes, the limit and the cut-off.
    let catalog = hits(&library.vistazo(
        &model,
        &["search", "a red comic cover", "--catalog", "--json"],
    ));
    assert!(catalog.iter().all(|hit| hit["kind"] == "catalog") && catalog.len() == 8);
    let collection = hits(&library.vistazo(
        &model,
        &[
            "search",
            "a red comic cover",
            "--collection",
            "--json",
            "--limit",
            "2",
        ],
    ));
    assert!(collection.iter().all(|hit| hit["kind"] == "comic") && collection.len() == 2);
    let cut = found[3]["score"].as_f64().expect("score");
    let above = hits(&library.vistazo(
        &model,
        &[
            "search",
            "a red comic cover",
            "--json",
            "--min-score",
            &format!("{cut}"),
        ],
    ));
    assert!(above.len() >= 4 && above.len() < found.len() + 1);
    assert!(
        above
            .iter()
            .all(|hit| hit["score"].as_f64().expect("score") >= cut)
    );
}

#[test]
fn similar_ranks_by_the_example_and_leaves_the_example_out() {
    let library = library();
    let model = tiny_model();
    let output = library.vistazo(
        &model,
        &["similar", "--comic", "1", "--json", "--limit", "100"],
    );
    let stored = stored(&library);
    let example = stored[&Key::Comic(1)].clone();
    assert_ranked(&hits(&output), &stored, &example, &[Key::Comic(1)]);

    // A comic file as the example: its own cover comes first.
    let file = library.comics.join("Saga 001 (2012).cbz");
    let by_file = hits(&library.vistazo(
        &model,
        &[
            "similar",
            file.to_str().expect("UTF-8"),
            "--collection",
            "--json",
        ],
    ));
    assert_eq!(key_of(&by_file[0]), Key::Comic(i64::from(SAGA_1)));
    assert!(by_file[0]["score"].as_f64().expect("score") > 0.99);
}

#[test]
fn an_empty_query_and_an_empty_catalog_say_what_to_do() {
    let library = library();
    let model = tiny_model();
    // An empty query is bad usage, told on one line as clap tells its own.
    let empty = library.vistazo_may_fail(&model, &["search", " "]);
    assert_eq!(empty.status.code(), Some(2));
    let error = String::from_utf8_lossy(&empty.stderr);
    assert_eq!(error.lines().count(), 1, "{error}");
    assert!(error.starts_with("error: "), "{error}");
    assert!(error.contains("vistazo search a giant robot"), "{error}");

    diesel::sql_query("DELETE FROM comicbooks_info_covers")
        .execute(&mut library.conn())
        .expect("empty catalog");
    let output = library.vistazo_may_fail(&model, &["search", "a robot", "--catalog"]);
    assert_eq!(output.status.code(), Some(1));
    let error = String::from_utf8_lossy(&output.stderr);
    assert_eq!(error.lines().count(), 1, "{error}");
    assert!(error.contains("the catalog has no covers"), "{error}");
    assert!(error.contains("catalog add-volume"), "{error}");

    let nothing = library.vistazo_may_fail(&model, &["similar"]);
    assert_eq!(nothing.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&nothing.stderr).contains("--comic ID"));

    // An example that names no file is bad usage too; one that is not a picture is a failure.
    let missing = library.comics.join("no such cover.jpg");
    let output = library.vistazo_may_fail(&model, &["similar", missing.to_str().expect("UTF-8")]);
    assert_eq!(output.status.code(), Some(2));
    let error = String::from_utf8_lossy(&output.stderr);
    assert_eq!(error.lines().count(), 1, "{error}");
    assert!(error.contains("no such cover.jpg"), "{error}");
    let not_a_picture = library.comics.join("notes.txt");
    std::fs::write(&not_a_picture, "not a picture").expect("write");
    let output =
        library.vistazo_may_fail(&model, &["similar", not_a_picture.to_str().expect("UTF-8")]);
    assert_eq!(output.status.code(), Some(1));
}

#[test]
fn the_search_benchmark_reports_its_median() {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_vistazo"))
        .args(["bench", "search", "--covers", "3000", "--queries", "3"])
        .env("LC_ALL", "C")
        .output()
        .expect("the binary runs");
    assert!(output.status.success());
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(text.contains("Index of 3000 covers"), "{text}");
    assert!(
        text.contains("Search: median") && text.contains("over 3 queries"),
        "{text}"
    );
}

/// Adds an owned comic at `path` to the library's collection, unclassified.
fn add_comic(library: &Library, id: i32, path: &std::path::Path) {
    diesel::sql_query(
        "INSERT INTO comicbooks (id_comicbook, path, id_comicbook_info) VALUES (?, ?, '')",
    )
    .bind::<diesel::sql_types::Integer, _>(id)
    .bind::<Text, _>(path.to_string_lossy())
    .execute(&mut library.conn())
    .expect("comic");
}

/// A JPEG of `seed`'s cover that stops at two-thirds of its bytes.
fn cut_short(seed: u32) -> Vec<u8> {
    let whole = jpeg(&cover(seed), 90);
    whole[..whole.len() * 2 / 3].to_vec()
}

#[test]
fn similar_refuses_a_truncated_example_as_the_other_commands_do() {
    let library = library();
    let model = tiny_model();
    let picture = library.dir.path().join("cut.jpg");
    std::fs::write(&picture, cut_short(60)).expect("picture");
    let comic = library.dir.path().join("Cut 001.cbz");
    write_cbz(&comic, &cut_short(61));
    for (example, words) in [
        (&picture, vec!["truncated image", "cut.jpg"]),
        (&comic, vec!["truncated image", "Cut 001.cbz (001.jpg)"]),
    ] {
        let output =
            library.vistazo_may_fail(&model, &["similar", example.to_str().expect("UTF-8")]);
        let error = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(1), "{error}");
        assert_eq!(error.trim_end().lines().count(), 1, "{error}");
        for word in words {
            assert!(error.contains(word), "{error}");
        }
        assert!(output.stdout.is_empty());
    }

    // An owned comic whose cover is cut short, given by its id.
    let owned = library.comics.join("Owned Cut 001.cbz");
    write_cbz(&owned, &cut_short(62));
    add_comic(&library, 40, &owned);
    let output = library.vistazo_may_fail(&model, &["similar", "--comic", "40"]);
    let error = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{error}");
    assert!(
        error
            .lines()
            .last()
            .expect("a reason")
            .contains("the cover of comic 40 (001.jpg) is a truncated image"),
        "{error}"
    );
}

#[test]
fn similar_takes_each_example_file_once_however_it_is_named() {
    let library = library();
    let model = tiny_model();
    let saga = library.comics.join("Saga 001 (2012).cbz");
    let batman = library.comics.join("Batman 003 (2016).cbz");
    let link = library.dir.path().join("saga-link.cbz");
    std::os::unix::fs::symlink(&saga, &link).expect("link");
    let dotted = library.comics.join(".").join("Saga 001 (2012).cbz");
    let path = |p: &std::path::Path| p.to_str().expect("UTF-8").to_owned();
    let once = library.vistazo(
        &model,
        &[
            "similar",
            &path(&saga),
            &path(&batman),
            "--json",
            "--limit",
            "100",
        ],
    );
    let mut repeated: Vec<String> = vec!["similar".into()];
    for _ in 0..20 {
        repeated.extend([path(&saga), path(&dotted), path(&link)]);
    }
    repeated.extend([
        path(&batman),
        path(&saga),
        "--json".into(),
        "--limit".into(),
        "100".into(),
    ]);
    let repeated: Vec<&str> = repeated.iter().map(String::as_str).collect();
    let again = library.vistazo(&model, &repeated);
    assert_eq!(hits(&again), hits(&once), "each file weighs once");
}

#[test]
fn a_comic_that_cannot_be_read_is_not_read_again_until_its_file_changes() {
    let library = library();
    let model = tiny_model();
    let broken = library.comics.join("Broken 001.cbz");
    std::fs::write(&broken, b"PK\x03\x04 and then nothing").expect("write");
    add_comic(&library, 30, &broken);
    let told = |output: &std::process::Output| {
        String::from_utf8_lossy(&output.stderr)
            .lines()
            .filter(|line| line.contains("Broken 001.cbz"))
            .count()
    };

    let first = library.vistazo(&model, &["search", "a robot"]);
    assert_eq!(
        told(&first),
        1,
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    for args in [
        &["search", "a robot"][..],
        &["similar", "--comic", "1"],
        &["embed"],
        &["embed", "--comics", "--json"],
    ] {
        let output = library.vistazo(&model, args);
        assert_eq!(
            told(&output),
            0,
            "{args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let output = library.vistazo(&model, &["embed", "--json"]);
    let summary: Value = serde_json::from_slice(&output.stdout).expect("JSON");
    assert_eq!(summary["unreadable_before"], 1, "{summary}");
    assert_eq!(summary["skipped"], serde_json::json!([]), "{summary}");

    // Asked to, it is read again, and told again.
    let output = library.vistazo(&model, &["search", "a robot", "--retry"]);
    assert_eq!(told(&output), 1);
    let output = library.vistazo(&model, &["embed", "--retry", "--json"]);
    assert_eq!(told(&output), 1);

    // Once its file changes it is read again: now whole, it is embedded.
    write_cbz(&broken, &jpeg(&cover(70), 85));
    let output = library.vistazo(&model, &["embed", "--json"]);
    assert_eq!(
        told(&output),
        0,
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let summary: Value = serde_json::from_slice(&output.stdout).expect("JSON");
    assert_eq!(summary["computed"], 1, "{summary}");
    assert_eq!(summary["unreadable_before"], 0, "{summary}");
}
