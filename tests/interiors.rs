//! Interiors through the command line: labels from a CSV, a training round with honest
//! metrics, and automatic labels that never overwrite a human one.

#[path = "support/rooms.rs"]
mod rooms;
#[path = "support/walk_traps.rs"]
mod walk_traps;

use std::collections::{BTreeSet, HashMap};
use std::path::Path;
use std::process::{Command, Output};

use vistazo::db::embeddings::Subject;
use vistazo::db::interiors::NewPhoto;
use vistazo::interiors::rounds::EMBEDDING_MODEL_KEY;
use vistazo::interiors::{LabelSource, Quality};
use vistazo::random::SplitMix64;

const MODEL: &str = "test/clip";

fn vistazo(db: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_vistazo"))
        .arg("--db")
        .arg(db)
        .args(args)
        .env("LANG", "C.UTF-8")
        .env_remove("LANGUAGE")
        .output()
        .expect("run vistazo")
}

/// 60 photos whose embeddings carry their quality along a hidden direction; the quality of
/// photo i is i % 3.
fn seed_photos(db_path: &Path, folder: &Path) -> Vec<(i64, Quality)> {
    let mut db = vistazo::db::open(db_path).unwrap();
    db.set_setting(EMBEDDING_MODEL_KEY, MODEL).unwrap();
    let mut rng = SplitMix64::new(11);
    let dim = 24;
    let direction: Vec<f64> = (0..dim).map(|_| rng.normal()).collect();
    let mut photos = Vec::new();
    for i in 0..60 {
        let quality = Quality::ALL[i % 3];
        let path = folder.join(format!("room_{i:02}.jpg"));
        std::fs::write(&path, format!("photo {i}")).unwrap();
        let path = std::fs::canonicalize(&path).unwrap();
        let id = db
            .record_photo(&NewPhoto {
                path: &path.to_string_lossy(),
                content_hash: &format!("hash{i}"),
                width: 800,
                height: 600,
            })
            .unwrap()
            .id();
        let v: Vec<f64> = direction
            .iter()
            .map(|d| d * (quality.index() as f64 - 1.0) * 0.7 + rng.normal() * 0.2 + 0.2)
            .collect();
        let norm = v.iter().map(|x| x * x).sum::<f64>().sqrt();
        let v: Vec<f32> = v.iter().map(|x| (x / norm) as f32).collect();
        db.put_embedding(Subject::Photo, id, MODEL, &v).unwrap();
        photos.push((id, quality));
    }
    photos
}

#[test]
fn label_train_and_auto_label_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let db_path = dir.path().join("v.db");
    let photos_dir = dir.path().join("photos");
    std::fs::create_dir_all(&photos_dir).unwrap();
    let photos = seed_photos(&db_path, &photos_dir);

    // Before any label or model: clear errors.
    let output = vistazo(&db_path, &["interiors", "auto-label"]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.starts_with("vistazo: no model has been trained yet"),
        "{stderr}"
    );

    // The first 36 photos labelled in a CSV with relative paths, a header and bad rows.
    let mut csv = String::from("path,label\n");
    for i in 0..36 {
        let name = ["bad", "medium", "good"][i % 3];
        csv.push_str(&format!("photos/room_{i:02}.jpg,{name}\n"));
    }
    csv.push_str("photos/missing.jpg,good\nphotos/room_40.jpg,excellent\n");
    let csv_path = dir.path().join("labels.csv");
    std::fs::write(&csv_path, csv).unwrap();
    let output = vistazo(
        &db_path,
        &["interiors", "import-labels", csv_path.to_str().unwrap()],
    );
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&output.stdout).trim(),
        "Labelled 36 photos; 2 rows skipped."
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("missing.jpg has not been imported"),
        "{stderr}"
    );
    assert!(stderr.contains("unknown label “excellent”"), "{stderr}");
    // Again with --json: the same labels, set again, and the rows left out with their line.
    let output = vistazo(
        &db_path,
        &[
            "interiors",
            "import-labels",
            csv_path.to_str().unwrap(),
            "--json",
        ],
    );
    assert_eq!(output.status.code(), Some(0));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).expect("one object");
    assert_eq!(report["labelled"], 36, "{report}");
    let skipped = report["skipped"].as_array().expect("a list");
    assert_eq!(skipped.len(), 2, "{report}");
    assert_eq!(skipped[0]["line"], 38, "{report}");
    assert!(
        skipped[0]["reason"]
            .as_str()
            .unwrap()
            .contains("missing.jpg has not been imported"),
        "{report}"
    );
    assert_eq!(skipped[1]["line"], 39, "{report}");

    let output = vistazo(&db_path, &["interiors", "train", "--json"]);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["human_labels"], 36);
    assert_eq!(report["auto_labels"], 0);
    assert_eq!(report["evaluation"]["evaluated"], 36);
    assert_eq!(report["evaluation"]["folds"], 5);
    assert!(
        report["evaluation"]["accuracy"].as_f64().unwrap() > 0.85,
        "{report}"
    );

    // A human label the model would disagree with stays as the human gave it.
    let mut db = vistazo::db::open(&db_path).unwrap();
    let (contrary_id, _) = photos[45];
    db.set_human_label(contrary_id, Quality::Bad).unwrap();
    drop(db);

    let output = vistazo(&db_path, &["interiors", "auto-label", "--json"]);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["considered"], 23);
    let labeled = report["labeled"].as_u64().unwrap();
    assert!(labeled >= 18, "{report}");

    let mut db = vistazo::db::open(&db_path).unwrap();
    assert_eq!(
        db.label(contrary_id).unwrap(),
        Some((Quality::Bad, LabelSource::Human))
    );
    let mut right = 0;
    for (id, quality) in &photos[36..] {
        if let Some((label, LabelSource::Auto)) = db.label(*id).unwrap() {
            right += usize::from(label == *quality);
        }
    }
    assert!(
        right as u64 >= labeled - 1,
        "{right} of {labeled} automatic labels right"
    );

    // Retraining uses the automatic labels for training but evaluates on human labels only.
    let output = vistazo(&db_path, &["interiors", "train", "--json"]);
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["human_labels"], 37);
    assert_eq!(report["auto_labels"], labeled);
    assert_eq!(report["evaluation"]["evaluated"], 37);
    assert_eq!(db.training_rounds().unwrap().len(), 2);
}

#[test]
fn out_of_range_confidence_is_bad_input() {
    let dir = tempfile::tempdir().unwrap();
    let output = vistazo(
        &dir.path().join("v.db"),
        &["interiors", "auto-label", "--min-confidence", "1.5"],
    );
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("expected a number between 0 and 1"));
}

/// Photos of different kinds, written as JPEG and PNG, plus a copy and a broken file.
fn write_photos(folder: &Path) {
    std::fs::create_dir_all(folder.join("more")).unwrap();
    for i in 0..6u32 {
        let picture = image::RgbImage::from_fn(160, 120, |x, y| {
            image::Rgb([
                ((x * (i + 1)) % 256) as u8,
                ((y * 3 + i * 40) % 256) as u8,
                ((x + y + i * 70) % 256) as u8,
            ])
        });
        let name = if i % 2 == 0 {
            format!("room_{i}.jpg")
        } else {
            format!("room_{i}.png")
        };
        picture.save(folder.join(name)).unwrap();
    }
    std::fs::copy(
        folder.join("room_0.jpg"),
        folder.join("more/copy of room 0.jpg"),
    )
    .unwrap();
    std::fs::write(folder.join("more/broken.jpg"), b"not a picture").unwrap();
}

fn tiny_model() -> String {
    format!("{}/tests/fixtures/clip/tiny", env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn import_train_and_score_photos_end_to_end() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("v.db");
    let photos = dir.path().join("photos");
    write_photos(&photos);
    let model = tiny_model();
    let with_model = |args: &[&str]| {
        let mut all = vec!["--model", model.as_str(), "--device", "cpu"];
        all.extend_from_slice(args);
        vistazo(&db, &all)
    };

    let output = with_model(&["interiors", "import", photos.to_str().unwrap()]);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&output.stdout).trim(),
        "Found 8 photos: 6 added, 0 already imported, 1 duplicates, 1 skipped."
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("Skipped ") && stderr.contains("broken.jpg"),
        "{stderr}"
    );

    // Importing again finds everything known.
    let output = with_model(&["interiors", "import", photos.to_str().unwrap()]);
    assert!(String::from_utf8_lossy(&output.stdout).contains("0 added, 6 already imported"));

    let mut database = vistazo::db::open(&db).unwrap();
    let rows = database.photos().unwrap();
    assert_eq!(rows.len(), 6);
    assert!(
        rows.iter()
            .all(|p| p.room_type.is_some() && p.indoor_score.is_some())
    );
    drop(database);

    let mut csv = String::new();
    for (i, label) in ["bad", "good", "medium", "bad", "good", "medium"]
        .iter()
        .enumerate()
    {
        let extension = if i % 2 == 0 { "jpg" } else { "png" };
        csv.push_str(&format!("photos/room_{i}.{extension},{label}\n"));
    }
    std::fs::write(dir.path().join("labels.csv"), csv).unwrap();
    let output = vistazo(
        &db,
        &[
            "interiors",
            "import-labels",
            dir.path().join("labels.csv").to_str().unwrap(),
        ],
    );
    assert!(String::from_utf8_lossy(&output.stdout).starts_with("Labelled 6 photos"));
    assert_eq!(vistazo(&db, &["interiors", "train"]).status.code(), Some(0));

    let one = photos.join("room_1.png");
    let broken = photos.join("more/broken.jpg");
    let output = with_model(&[
        "interiors",
        "score",
        one.to_str().unwrap(),
        broken.to_str().unwrap(),
        "--json",
    ]);
    assert_eq!(
        output.status.code(),
        Some(1),
        "the broken file fails the command"
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    let card: serde_json::Value = serde_json::from_str(stdout.lines().next().unwrap()).unwrap();
    assert_eq!(card["file"], one.to_str().unwrap());
    let score = card["score"].as_f64().unwrap();
    assert!((0.0..=100.0).contains(&score));
    assert!(["bad", "medium", "good"].contains(&card["bucket"].as_str().unwrap()));
    let margin = card["margin"].as_f64().unwrap();
    assert!((0.0..=1.0).contains(&margin));
    assert!(!card["caption"].as_str().unwrap().is_empty());
    assert!(card["review"].is_array());
    assert!(String::from_utf8_lossy(&output.stderr).contains("cannot score"));

    // A photo cut short is refused, not scored on its grey part.
    let mut jpeg = Vec::new();
    image::open(&one)
        .unwrap()
        .write_to(
            &mut std::io::Cursor::new(&mut jpeg),
            image::ImageFormat::Jpeg,
        )
        .unwrap();
    let cut = photos.join("cut.jpg");
    std::fs::write(&cut, &jpeg[..jpeg.len() * 2 / 3]).unwrap();
    let output = with_model(&["interiors", "score", cut.to_str().unwrap(), "--json"]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("cut.jpg") && stderr.contains("truncated image"),
        "{stderr}"
    );
    assert!(output.stdout.is_empty());

    // In Spanish the caption and review are in Spanish.
    let output = Command::new(env!("CARGO_BIN_EXE_vistazo"))
        .args([
            "--db",
            db.to_str().unwrap(),
            "--model",
            &model,
            "interiors",
            "score",
            one.to_str().unwrap(),
            "--json",
        ])
        .env("LANG", "es_ES.UTF-8")
        .env_remove("LANGUAGE")
        .output()
        .unwrap();
    let card: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let rooms_es = [
        "Cocina",
        "Dormitorio",
        "Salón",
        "Baño",
        "Comedor",
        "Despacho",
        "Pasillo",
        "Habitación",
    ];
    let caption = card["caption"].as_str().unwrap();
    assert!(rooms_es.iter().any(|r| caption.starts_with(r)), "{caption}");
}

#[test]
fn report_writes_every_chart_as_a_png_and_a_summary() {
    let dir = tempfile::tempdir().unwrap();
    let db_path = dir.path().join("v.db");
    let photos_dir = dir.path().join("photos");
    std::fs::create_dir_all(&photos_dir).unwrap();
    let photos = seed_photos(&db_path, &photos_dir);
    let mut db = vistazo::db::open(&db_path).unwrap();
    for (id, quality) in &photos[..30] {
        db.set_human_label(*id, *quality).unwrap();
    }
    drop(db);
    assert_eq!(
        vistazo(&db_path, &["interiors", "train"]).status.code(),
        Some(0)
    );

    let out = dir.path().join("report");
    let output = vistazo(
        &db_path,
        &["interiors", "report", "--out", out.to_str().unwrap()],
    );
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let written: Vec<String> = String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(str::to_owned)
        .collect();
    assert_eq!(written.len(), 8, "{written:?}");
    // The report's palette: GNOME's, on white.
    const TEXT: [u8; 3] = [0x24, 0x1f, 0x31];
    const RED: [u8; 3] = [0xc0, 0x1c, 0x28];
    const YELLOW: [u8; 3] = [0xe5, 0xa5, 0x0a];
    const GREEN: [u8; 3] = [0x26, 0xa2, 0x69];
    const BLUE: [u8; 3] = [0x1c, 0x71, 0xd8];
    const GREY: [u8; 3] = [0x9a, 0x99, 0x96];
    const PURPLE: [u8; 3] = [0x91, 0x41, 0xac];
    // These photos were never measured: the filter charts only say so.
    for (name, colours) in [
        ("room-score.png", vec![TEXT]),
        ("indoor-vs-room.png", vec![TEXT]),
        ("labels.png", vec![TEXT, BLUE, GREY]),
        ("confidence.png", vec![TEXT, PURPLE]),
        ("accuracy-per-round.png", vec![TEXT, BLUE, GREEN]),
        ("scores-by-label.png", vec![TEXT, RED, YELLOW, GREEN, GREY]),
        ("embeddings-pca.png", vec![TEXT, RED, YELLOW, GREEN]),
    ] {
        let path = out.join(name);
        assert!(written.contains(&path.to_string_lossy().into_owned()));
        let chart = image::open(&path).unwrap().to_rgb8();
        assert_eq!(chart.dimensions(), (800, 600), "{name}");
        let white = chart.pixels().filter(|p| p.0 == [255; 3]).count();
        assert!(white > 800 * 600 / 2, "{name} is not drawn on white");
        for colour in colours {
            let pixels = chart.pixels().filter(|p| p.0 == colour).count();
            assert!(pixels >= 20, "{name} has {pixels} pixels of {colour:?}");
        }
    }
    let summary: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("summary.json")).unwrap()).unwrap();
    assert_eq!(summary["photos"], 60);
    assert_eq!(summary["human_labels"]["bad"], 10);
    assert_eq!(summary["rounds"].as_array().unwrap().len(), 1);
    let buckets = &summary["model_buckets"];
    let total: u64 = ["bad", "medium", "good"]
        .iter()
        .map(|k| buckets[k].as_u64().unwrap())
        .sum();
    assert_eq!(total, 60);

    // Another size on request.
    let small = dir.path().join("small");
    let output = vistazo(
        &db_path,
        &[
            "interiors",
            "report",
            "--out",
            small.to_str().unwrap(),
            "--width",
            "400",
            "--height",
            "300",
        ],
    );
    assert_eq!(output.status.code(), Some(0));
    let chart = image::open(small.join("labels.png")).unwrap();
    assert_eq!((chart.width(), chart.height()), (400, 300));
}

#[test]
fn pipeline_imports_then_labels_automatically_and_trains() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("v.db");
    let photos = dir.path().join("photos");
    write_photos(&photos);
    let model = tiny_model();
    let pipeline = |args: &[&str]| {
        let mut all = vec!["--model", model.as_str(), "--device", "cpu"];
        all.extend_from_slice(args);
        Command::new(env!("CARGO_BIN_EXE_vistazo"))
            .arg("--db")
            .arg(&db)
            .args(&all)
            .env("LANG", "C.UTF-8")
            .env_remove("LANGUAGE")
            .env_remove("DISPLAY")
            .env_remove("WAYLAND_DISPLAY")
            .output()
            .unwrap()
    };

    // Nothing labelled and no model: automatic labels cannot start, the import stays.
    let output = pipeline(&["interiors", "pipeline", "--auto", photos.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("Found 8 photos: 6 added"), "{stdout}");
    assert!(
        stdout.contains("of 6 photos look like interiors"),
        "{stdout}"
    );
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("automatic labels need a model"),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );

    // Without a display the labeling view cannot open: the pipeline says what to do.
    let output = pipeline(&["interiors", "pipeline"]);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        String::from_utf8_lossy(&output.stdout).contains("No display to open the labeling view")
    );

    // Four photos labelled by hand; the pipeline labels the other two and trains again.
    let mut csv = String::new();
    for (i, label) in ["bad", "good", "bad", "good"].iter().enumerate() {
        let extension = if i % 2 == 0 { "jpg" } else { "png" };
        csv.push_str(&format!("photos/room_{i}.{extension},{label}\n"));
    }
    std::fs::write(dir.path().join("labels.csv"), &csv).unwrap();
    vistazo(
        &db,
        &[
            "interiors",
            "import-labels",
            dir.path().join("labels.csv").to_str().unwrap(),
        ],
    );
    let output = pipeline(&[
        "interiors",
        "pipeline",
        "--auto",
        "--min-confidence",
        "0",
        photos.to_str().unwrap(),
    ]);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("0 added, 6 already imported"), "{stdout}");
    assert!(
        stdout.contains("Auto-label round 1: labelled 2 of 2 unlabelled photos"),
        "{stdout}"
    );
    let mut database = vistazo::db::open(&db).unwrap();
    let rounds = database.training_rounds().unwrap();
    assert_eq!(rounds.len(), 2);
    assert_eq!((rounds[1].human_labels, rounds[1].auto_labels), (4, 2));
    let labels: Vec<_> = database
        .photos()
        .unwrap()
        .into_iter()
        .map(|p| p.label.map(|l| l.1))
        .collect();
    assert_eq!(
        labels
            .iter()
            .filter(|l| **l == Some(LabelSource::Auto))
            .count(),
        2
    );
}

#[test]
fn filter_thresholds_are_saved_and_set_photos_aside_without_removing_them() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("v.db");
    let photos = dir.path().join("photos");
    write_photos(&photos);
    let model = tiny_model();
    let output = vistazo(
        &db,
        &[
            "--model",
            &model,
            "interiors",
            "import",
            photos.to_str().unwrap(),
        ],
    );
    assert!(output.status.success());
    let report = |args: &[&str]| -> serde_json::Value {
        let mut all = vec!["interiors", "filter", "--json"];
        all.extend_from_slice(args);
        let output = vistazo(&db, &all);
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        serde_json::from_slice(&output.stdout).unwrap()
    };

    // Thresholds low enough for everything: all six photos are kept.
    let open = report(&[
        "--min-brightness",
        "0",
        "--min-contrast",
        "0",
        "--min-sharpness",
        "0",
        "--min-megapixels",
        "0",
        "--min-indoor",
        "0",
        "--min-room",
        "0",
    ]);
    assert_eq!(open["photos"]["photos"], 6);
    assert_eq!(open["photos"]["kept"], 6);

    // A brightness floor above every photo sets them all aside as too dark; the setting is
    // remembered by the next command, and the photos stay in the collection.
    report(&["--min-brightness", "0.99"]);
    let dark = report(&[]);
    assert_eq!(dark["thresholds"]["visual"]["min_brightness"], 0.99);
    assert_eq!(dark["photos"]["too_dark"], 6);
    assert_eq!(dark["photos"]["kept"], 0);
    assert_eq!(vistazo::db::open(&db).unwrap().photos().unwrap().len(), 6);

    let defaults = report(&["--reset"]);
    assert_eq!(defaults["thresholds"]["visual"]["min_brightness"], 0.12);

    let output = vistazo(&db, &["interiors", "filter", "--min-sharpness=-1"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("expected a number of 0 or more"));
}

/// Runs `vistazo` and gives up after two minutes, so a command that hangs fails the test
/// instead of hanging it.
fn vistazo_or_hang(db: &Path, args: &[&str]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_vistazo"))
        .arg("--db")
        .arg(db)
        .args(args)
        .env("LANG", "C.UTF-8")
        .env_remove("LANGUAGE")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run vistazo");
    for _ in 0..1200 {
        if child.try_wait().unwrap().is_some() {
            return child.wait_with_output().unwrap();
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let _ = child.kill();
    panic!("vistazo {args:?} hung");
}

#[test]
fn import_survives_link_loops_pipes_devices_huge_files_and_undecodable_names() {
    use std::os::unix::ffi::OsStrExt;

    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("v.db");
    let photos = dir.path().join("photos");
    write_photos(&photos);
    std::fs::remove_dir_all(photos.join("more")).unwrap();
    for i in 2..6 {
        let extension = if i % 2 == 0 { "jpg" } else { "png" };
        std::fs::remove_file(photos.join(format!("room_{i}.{extension}"))).unwrap();
    }
    // Two links back up the tree: walking them blindly never ends.
    std::fs::create_dir(photos.join("sub")).unwrap();
    std::os::unix::fs::symlink("..", photos.join("sub/up")).unwrap();
    std::os::unix::fs::symlink("../sub", photos.join("sub/again")).unwrap();
    // A pipe never ends either, nor does a device.
    let fifo = std::ffi::CString::new(photos.join("pipe.jpg").as_os_str().as_bytes()).unwrap();
    assert_eq!(unsafe { libc::mkfifo(fifo.as_ptr(), 0o644) }, 0);
    std::os::unix::fs::symlink("/dev/zero", photos.join("zero.jpg")).unwrap();
    // Larger than any photo, without taking the disk: a sparse file.
    let huge = std::fs::File::create(photos.join("huge.jpg")).unwrap();
    huge.set_len(vistazo::imaging::MAX_FILE_BYTES + 1).unwrap();
    drop(huge);
    // A name in Latin-1, which the collection cannot store as text.
    let latin1 = photos.join(std::ffi::OsStr::from_bytes(b"caf\xe9.png"));
    image::RgbImage::from_pixel(40, 30, image::Rgb([200, 10, 10]))
        .save_with_format(&latin1, image::ImageFormat::Png)
        .unwrap();

    let model = tiny_model();
    let args = ["--model", &model, "--device", "cpu", "interiors", "import"];
    let output = vistazo_or_hang(&db, &[&args[..], &[photos.to_str().unwrap()]].concat());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert_eq!(
        String::from_utf8_lossy(&output.stdout).trim(),
        "Found 4 photos: 2 added, 0 already imported, 0 duplicates, 2 skipped."
    );
    assert!(
        stderr.contains("huge.jpg is larger than 128 MiB"),
        "{stderr}"
    );
    assert!(stderr.contains("is not valid UTF-8"), "{stderr}");

    let mut database = vistazo::db::open(&db).unwrap();
    let mut stored: Vec<String> = database
        .photos()
        .unwrap()
        .into_iter()
        .map(|p| p.path)
        .collect();
    stored.sort();
    let real = std::fs::canonicalize(&photos).unwrap();
    assert_eq!(
        stored,
        [
            real.join("room_0.jpg").to_str().unwrap(),
            real.join("room_1.png").to_str().unwrap()
        ]
    );
}

#[test]
fn import_walks_link_loops_once_and_reports_a_locked_folder() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("v.db");
    let photos = dir.path().join("photos");
    write_photos(&photos);
    std::fs::remove_dir_all(photos.join("more")).unwrap();
    walk_traps::link_loops(&photos);
    std::fs::rename(photos.join("room_1.png"), photos.join("sub/room_1.png")).unwrap();
    // A link to a photo kept outside the folder is followed, once.
    std::fs::rename(photos.join("room_2.jpg"), dir.path().join("room_2.jpg")).unwrap();
    std::os::unix::fs::symlink("../../room_2.jpg", photos.join("sub/linked.jpg")).unwrap();
    let locked = photos.join("locked");
    std::fs::create_dir(&locked).unwrap();
    std::fs::rename(photos.join("room_3.png"), locked.join("room_3.png")).unwrap();
    let _lock = walk_traps::LockedFolder::new(&locked);

    let model = tiny_model();
    let mut command = Command::new(env!("CARGO_BIN_EXE_vistazo"));
    command
        .arg("--db")
        .arg(&db)
        .args(["--model", &model, "--device", "cpu", "interiors", "import"])
        .arg(&photos)
        .env("LANG", "C.UTF-8")
        .env_remove("LANGUAGE");
    let output = walk_traps::run_or_hang(&mut command);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert_eq!(
        String::from_utf8_lossy(&output.stdout).trim(),
        "Found 5 photos: 5 added, 0 already imported, 0 duplicates, 0 skipped."
    );
    let skipped: Vec<&str> = stderr
        .lines()
        .filter(|l| l.starts_with("Skipped "))
        .collect();
    assert_eq!(skipped.len(), 1, "{stderr}");
    assert!(skipped[0].contains(&*locked.to_string_lossy()), "{stderr}");

    let mut stored: Vec<String> = vistazo::db::open(&db)
        .unwrap()
        .photos()
        .unwrap()
        .into_iter()
        .map(|p| p.path)
        .collect();
    stored.sort();
    let real = std::fs::canonicalize(dir.path()).unwrap();
    let expected: Vec<String> = [
        "photos/room_0.jpg",
        "photos/room_4.jpg",
        "photos/room_5.png",
        "photos/sub/room_1.png",
        "room_2.jpg",
    ]
    .iter()
    .map(|name| real.join(name).to_string_lossy().into_owned())
    .collect();
    assert_eq!(stored, expected);
}

#[test]
fn import_skips_truncated_photos_and_counts_them() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("v.db");
    let photos = dir.path().join("photos");
    std::fs::create_dir_all(&photos).unwrap();
    let room = image::RgbImage::from_fn(160, 120, |x, y| {
        image::Rgb([(x % 256) as u8, ((y * 2) % 256) as u8, 90])
    });
    room.save(photos.join("whole.jpg")).unwrap();
    // The same photo as a copy that stopped at two-thirds, in JPEG and in PNG.
    for (name, format) in [
        ("cut.jpg", image::ImageFormat::Jpeg),
        ("cut.png", image::ImageFormat::Png),
    ] {
        let mut bytes = Vec::new();
        room.write_to(&mut std::io::Cursor::new(&mut bytes), format)
            .unwrap();
        std::fs::write(photos.join(name), &bytes[..bytes.len() * 2 / 3]).unwrap();
    }

    let model = tiny_model();
    let output = vistazo(
        &db,
        &[
            "--model",
            &model,
            "--device",
            "cpu",
            "interiors",
            "import",
            photos.to_str().unwrap(),
        ],
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    for name in ["cut.jpg", "cut.png"] {
        assert_eq!(
            stderr
                .lines()
                .filter(|line| line.contains(name) && line.contains("truncated image"))
                .count(),
            1,
            "{stderr}"
        );
    }
    assert!(
        stdout.contains("Found 3 photos: 1 added, 0 already imported, 0 duplicates, 2 skipped."),
        "{stdout}"
    );
    assert!(
        stdout.contains("2 of the skipped photos are truncated images"),
        "{stdout}"
    );
    let mut database = vistazo::db::open(&db).unwrap();
    let stored: Vec<String> = database
        .photos()
        .unwrap()
        .into_iter()
        .map(|p| p.path)
        .collect();
    let real = std::fs::canonicalize(&photos).unwrap();
    assert_eq!(stored, [real.join("whole.jpg").to_str().unwrap()]);
}

#[test]
fn import_json_gives_the_counts_and_the_photos_left_out() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("v.db");
    let photos = dir.path().join("photos");
    write_photos(&photos);
    let model = tiny_model();
    let output = vistazo(
        &db,
        &[
            "--model",
            &model,
            "--device",
            "cpu",
            "interiors",
            "import",
            photos.to_str().unwrap(),
            "--json",
        ],
    );
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).expect("one object");
    assert_eq!(report["found"], 8, "{report}");
    assert_eq!(report["added"], 6, "{report}");
    assert_eq!(report["known"], 0, "{report}");
    assert_eq!(report["truncated"], 0, "{report}");
    assert_eq!(report["cancelled"], false, "{report}");
    let duplicates = report["duplicates"].as_array().expect("a list");
    assert_eq!(duplicates.len(), 1, "{report}");
    // One of the two files of the same picture, whichever was read second.
    let copy = duplicates[0]["path"].as_str().expect("a path");
    assert!(
        copy.ends_with("copy of room 0.jpg") || copy.ends_with("room_0.jpg"),
        "{report}"
    );
    assert!(duplicates[0]["of"].is_i64(), "{report}");
    let skipped = report["skipped"].as_array().expect("a list");
    assert_eq!(skipped.len(), 1, "{report}");
    assert!(skipped[0]["path"].as_str().unwrap().ends_with("broken.jpg"));
    assert!(skipped[0]["reason"].is_string(), "{report}");
    // The line for people is on stderr.
    assert!(
        String::from_utf8_lossy(&output.stderr)
            .lines()
            .any(|l| l.starts_with("Skipped ") && l.contains("broken.jpg"))
    );
}

/// Bursts of one to four photos of a room taken seconds apart (the camera moved by a pixel or
/// two, the exposure by a few percent), each burst of another room: the near-duplicate groups
/// are exactly the bursts of two or more.
#[test]
fn near_duplicates_group_exactly_the_photos_taken_seconds_apart() {
    let dir = tempfile::tempdir().unwrap();
    let photos = dir.path().join("photos");
    std::fs::create_dir_all(&photos).unwrap();
    let mut expected: BTreeSet<BTreeSet<String>> = BTreeSet::new();
    for scene in 0..24u64 {
        let burst = rooms::burst(77, scene, 1 + scene % 4);
        let mut names = BTreeSet::new();
        for (shot, room) in burst.iter().enumerate() {
            let name = format!("room_{scene:02}_{shot}.png");
            room.image.save(photos.join(&name)).unwrap();
            names.insert(name);
        }
        if names.len() > 1 {
            expected.insert(names);
        }
    }
    let db_path = dir.path().join("v.db");
    let model = tiny_model();
    let output = vistazo(
        &db_path,
        &[
            "--model",
            &model,
            "--device",
            "cpu",
            "interiors",
            "import",
            photos.to_str().unwrap(),
        ],
    );
    assert!(output.status.success(), "{output:?}");

    let mut db = vistazo::db::open(&db_path).unwrap();
    let names: HashMap<i64, String> = db
        .photos()
        .unwrap()
        .into_iter()
        .map(|p| {
            let name = Path::new(&p.path).file_name().unwrap();
            (p.id, name.to_string_lossy().into_owned())
        })
        .collect();
    assert_eq!(names.len(), 60);
    let found: BTreeSet<BTreeSet<String>> = vistazo::interiors::similar::similar_photos(&mut db)
        .unwrap()
        .into_iter()
        .map(|group| group.iter().map(|id| names[id].clone()).collect())
        .collect();
    assert_eq!(found, expected);
}

/// The labeling view's photos: in import order before any model; once there is one, the
/// photos `interiors next` lists first, in its order, and never a labelled one before them.
#[test]
fn the_labeling_session_follows_next_once_a_model_exists() {
    use vistazo::interiors::labeling::{LabelingSession, Order};
    use vistazo::interiors::rounds;

    let dir = tempfile::tempdir().unwrap();
    let db_path = dir.path().join("v.db");
    let photos_dir = dir.path().join("photos");
    std::fs::create_dir_all(&photos_dir).unwrap();
    let photos = seed_photos(&db_path, &photos_dir);
    let mut db = vistazo::db::open(&db_path).unwrap();

    let (before, order) = rounds::labeling_photos(&mut db).unwrap();
    assert_eq!(order, Order::Import);
    let ids: Vec<i64> = before.iter().map(|p| p.id).collect();
    assert_eq!(ids, photos.iter().map(|(id, _)| *id).collect::<Vec<_>>());

    for (id, quality) in photos.iter().step_by(4) {
        db.set_human_label(*id, *quality).unwrap();
    }
    let output = vistazo(&db_path, &["interiors", "train"]);
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    let next = vistazo(&db_path, &["interiors", "next", "--json"]);
    let next: Vec<serde_json::Value> = serde_json::from_slice(&next.stdout).unwrap();
    let next: Vec<String> = next
        .iter()
        .map(|c| c["file"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(next.len(), 20);

    let (after, order) = rounds::labeling_photos(&mut db).unwrap();
    assert_eq!(order, Order::LeastSureFirst);
    assert_eq!(after.len(), photos.len());
    let mut session = LabelingSession::new(after);
    let mut shown = Vec::new();
    for _ in 0..next.len() {
        let photo = session.current().unwrap();
        assert!(photo.label.is_none(), "{photo:?}");
        shown.push(photo.path.to_string_lossy().into_owned());
        session.skip();
    }
    assert_eq!(shown, next);
}

/// Photos imported before the fault measurements existed keep their place and are measured by
/// the next import of their folder, which embeds nothing it need not.
#[test]
fn an_import_measures_again_the_photos_measured_before_the_newest_measurements() {
    use diesel::prelude::*;
    let dir = tempfile::tempdir().unwrap();
    let photos = dir.path().join("photos");
    std::fs::create_dir_all(&photos).unwrap();
    for i in 0..6u64 {
        rooms::room(3, i, 6)
            .image
            .save(photos.join(format!("room_{i}.png")))
            .unwrap();
    }
    let db_path = dir.path().join("v.db");
    let model = tiny_model();
    let import = || {
        let output = vistazo(
            &db_path,
            &[
                "--model",
                &model,
                "--device",
                "cpu",
                "interiors",
                "import",
                photos.to_str().unwrap(),
            ],
        );
        assert!(output.status.success(), "{output:?}");
    };
    import();
    let measured = |db: &mut vistazo::db::Database| {
        db.photo_metrics()
            .unwrap()
            .values()
            .filter(|m| m.faults.is_some())
            .count()
    };
    let mut db = vistazo::db::open(&db_path).unwrap();
    assert_eq!(measured(&mut db), 6);
    drop(db);
    let mut conn = SqliteConnection::establish(&db_path.to_string_lossy()).unwrap();
    diesel::sql_query("DELETE FROM vz_photo_measurements WHERE photo_id % 2 = 0")
        .execute(&mut conn)
        .unwrap();
    drop(conn);
    let mut db = vistazo::db::open(&db_path).unwrap();
    // Still scored and shown, without the new measurements.
    assert_eq!(db.photo_metrics().unwrap().len(), 6);
    assert_eq!(measured(&mut db), 3);
    import();
    assert_eq!(measured(&mut db), 6);
    assert_eq!(db.photos().unwrap().len(), 6);
}

#[test]
fn a_report_replaces_only_the_files_an_earlier_report_wrote() {
    let dir = tempfile::tempdir().unwrap();
    let db_path = dir.path().join("v.db");
    drop(vistazo::db::open(&db_path).unwrap());
    let report = |out: &Path| {
        vistazo(
            &db_path,
            &["interiors", "report", "--out", out.to_str().unwrap()],
        )
    };
    let listing = |out: &Path| {
        let mut names: Vec<String> = std::fs::read_dir(out)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    };

    // A person's file with a chart's name: refused in one line, nothing written.
    let notes = dir.path().join("notes");
    std::fs::create_dir(&notes).unwrap();
    std::fs::write(notes.join("labels.png"), "my own notes").unwrap();
    let output = report(&notes);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("labels.png is not a file an earlier report wrote"),
        "{stderr}"
    );
    assert_eq!(
        std::fs::read_to_string(notes.join("labels.png")).unwrap(),
        "my own notes"
    );
    assert_eq!(listing(&notes), ["labels.png"]);

    // A link of a chart's name: the file it leads to is left alone.
    let linked = dir.path().join("linked");
    std::fs::create_dir(&linked).unwrap();
    std::fs::write(dir.path().join("precious.txt"), "keep me").unwrap();
    std::os::unix::fs::symlink("../precious.txt", linked.join("summary.json")).unwrap();
    assert_eq!(report(&linked).status.code(), Some(1));
    assert_eq!(
        std::fs::read_to_string(dir.path().join("precious.txt")).unwrap(),
        "keep me"
    );

    // A new folder, then the same folder again: the report replaces its own files, and
    // leaves a person's other files there as they are.
    let charts = dir.path().join("charts");
    let output = report(&charts);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    std::fs::write(charts.join("mine.txt"), "mine").unwrap();
    let output = report(&charts);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(
        std::fs::read_to_string(charts.join("mine.txt")).unwrap(),
        "mine"
    );
    assert!(listing(&charts).contains(&"vistazo-report.sha256".to_owned()));
    assert!(!listing(&charts).iter().any(|name| name.ends_with(".part")));

    // A chart a person changed since is theirs now.
    std::fs::write(charts.join("summary.json"), "{\"edited\": true}").unwrap();
    let output = report(&charts);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&output.stderr)
            .contains("summary.json is not a file an earlier report wrote")
    );
    assert_eq!(
        std::fs::read_to_string(charts.join("summary.json")).unwrap(),
        "{\"edited\": true}"
    );
}

#[test]
fn import_names_the_photo_links_that_lead_nowhere_as_scan_does() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("v.db");
    let photos = dir.path().join("photos");
    write_photos(&photos);
    std::fs::remove_dir_all(photos.join("more")).unwrap();
    std::os::unix::fs::symlink("self.jpg", photos.join("self.jpg")).unwrap();
    std::os::unix::fs::symlink("nowhere.jpg", photos.join("gone.jpg")).unwrap();
    // A broken link that was never a photo is none of import's business.
    std::os::unix::fs::symlink("nowhere.txt", photos.join("notes.txt")).unwrap();

    let model = tiny_model();
    let output = vistazo_or_hang(
        &db,
        &[
            "--model",
            &model,
            "--device",
            "cpu",
            "interiors",
            "import",
            "--json",
            photos.to_str().unwrap(),
        ],
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    let skipped: Vec<&str> = stderr
        .lines()
        .filter(|l| l.starts_with("Skipped "))
        .collect();
    assert_eq!(skipped.len(), 2, "{stderr}");
    assert!(skipped.iter().any(|l| l.contains("gone.jpg")), "{stderr}");
    assert!(skipped.iter().any(|l| l.contains("self.jpg")), "{stderr}");
    let answer: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let paths: Vec<&str> = answer["skipped"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["path"].as_str().unwrap())
        .collect();
    assert_eq!(paths.len(), 2, "{answer}");
    assert!(
        paths
            .iter()
            .all(|p| p.ends_with("gone.jpg") || p.ends_with("self.jpg")),
        "{answer}"
    );
}
