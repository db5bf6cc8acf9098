//! `vistazo inspect`: what Vistazo reads from comic files, touching no collection: the name,
//! the tags (contradicting ones said so), the format, the pages and the cover; a file that
//! cannot be read still gets its name read, with the reason, and the exit status says so.

#[path = "support/fixtures.rs"]
mod fixtures;

use std::process::Command;

use fixtures::{cover_jpeg, entries, inside_png, write_zip};

#[test]
fn inspect_reads_the_name_the_tags_the_pages_and_the_cover_without_a_collection() {
    let dir = tempfile::tempdir().expect("temp dir");
    let home = dir.path().join("home");
    let comicinfo = b"<?xml version=\"1.0\"?>\n<ComicInfo><Series>Batman</Series>\
        <Number>497</Number><Volume>1940</Volume><Year>1993</Year>\
        <Web>https://comicvine.gamespot.com/issue/4000-36512/</Web>\
        <Notes>Tagged with ComicTagger 1.6 [Issue ID 99999]</Notes></ComicInfo>"
        .to_vec();
    let tagged = write_zip(
        &dir.path().join("Batman 497 (1993) (digital).cbz"),
        &entries(&[
            ("002.png", inside_png()),
            ("001.jpg", cover_jpeg()),
            ("ComicInfo.xml", comicinfo),
        ]),
    );
    let broken = dir.path().join("X-Men v1 067 (1970).cbr");
    std::fs::write(&broken, b"not an archive").expect("write");

    let output = Command::new(env!("CARGO_BIN_EXE_vistazo"))
        .arg("inspect")
        .arg(&tagged)
        .arg(&broken)
        .arg("--json")
        .env("LC_ALL", "C")
        // No collection is opened or created: not even the default one.
        .env("HOME", &home)
        .env("XDG_DATA_HOME", home.join("data"))
        .output()
        .expect("the binary runs");
    assert_eq!(output.status.code(), Some(1), "one file could not be read");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(stderr.contains("X-Men v1 067 (1970).cbr"), "{stderr}");
    let seen: serde_json::Value = serde_json::from_slice(&output.stdout).expect("a JSON array");
    let seen = seen.as_array().expect("one object per file");
    assert_eq!(seen.len(), 2);

    let first = &seen[0];
    assert_eq!(first["name"]["series"], "Batman", "{first}");
    assert_eq!(first["name"]["number"], "497", "{first}");
    assert_eq!(first["name"]["year"], 1993, "{first}");
    assert_eq!(first["tags"]["comicvine_issue"], 36512, "{first}");
    assert_eq!(
        first["tags"]["comicvine_conflict"], 99999,
        "Web and Notes name two issues: {first}"
    );
    assert_eq!(first["tags"]["series"], "Batman", "{first}");
    assert_eq!(first["format"], "ZIP", "{first}");
    assert_eq!(first["pages"], 2, "{first}");
    assert_eq!(first["cover"]["entry"], "001.jpg", "{first}");
    assert!(
        first["cover"]["width"].as_u64().is_some_and(|w| w > 0),
        "{first}"
    );
    assert!(first["error"].is_null(), "{first}");

    let second = &seen[1];
    assert_eq!(second["name"]["series"], "X-Men", "{second}");
    assert_eq!(second["name"]["number"], "67", "{second}");
    assert!(second["error"].is_string(), "{second}");
    assert!(second["cover"].is_null(), "{second}");
    assert!(!home.join("data").exists(), "no collection was created");
}
