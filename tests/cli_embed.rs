//! `vistazo embed-image`, `vistazo embed-text` and `vistazo bench gemm` through the built binary, as
//! scripts use them: the embeddings match transformers' with the executable answering MKL's vendor
//! check.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/clip")
}

fn vistazo(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_vistazo"))
        .args(args)
        .env("LC_ALL", "C")
        .output()
        .expect("the binary runs")
}

fn reference() -> serde_json::Value {
    let text = std::fs::read_to_string(fixtures().join("reference.json")).expect("reference");
    serde_json::from_str(&text).expect("JSON")
}

fn cosine(a: &[f64], b: &[f64]) -> f64 {
    let dot: f64 = a.iter().zip(b).map(|(x, y)| x * y).sum();
    let na = a.iter().map(|x| x * x).sum::<f64>().sqrt();
    let nb = b.iter().map(|x| x * x).sum::<f64>().sqrt();
    dot / (na * nb)
}

fn numbers(value: &serde_json::Value) -> Vec<f64> {
    value
        .as_array()
        .expect("an array")
        .iter()
        .map(|v| v.as_f64().expect("a number"))
        .collect()
}

#[test]
fn embed_image_json_maps_each_file_to_its_embedding() {
    let model = fixtures().join("tiny");
    let cover = fixtures().join("images/cover.jpg");
    let small = fixtures().join("images/small.png");
    let output = vistazo(&[
        "--model",
        model.to_str().expect("utf-8 path"),
        "--device",
        "cpu",
        "embed-image",
        cover.to_str().expect("utf-8 path"),
        small.to_str().expect("utf-8 path"),
        "--json",
    ]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let printed: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    let reference = reference();
    for (path, name) in [(&cover, "cover.jpg"), (&small, "small.png")] {
        let ours = numbers(&printed[path.to_str().expect("utf-8")]);
        assert_eq!(ours.len(), 512);
        let similarity = cosine(&ours, &numbers(&reference["images"][name]));
        assert!(similarity >= 0.999, "{name}: {similarity}");
    }
}

#[test]
fn embed_image_reports_a_bad_file_and_prints_the_others() {
    let model = fixtures().join("tiny");
    let small = fixtures().join("images/small.png");
    let output = vistazo(&[
        "--model",
        model.to_str().expect("utf-8 path"),
        "embed-image",
        "/no/such/picture.jpg",
        small.to_str().expect("utf-8 path"),
        "--json",
    ]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("/no/such/picture.jpg"), "{stderr}");
    let printed: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    let object = printed.as_object().expect("an object");
    assert_eq!(object.len(), 1);
    assert!(object.contains_key(small.to_str().expect("utf-8")));
}

#[test]
fn embed_text_json_gives_ids_and_embedding() {
    let model = fixtures().join("tiny");
    let reference = reference();
    let texts = [
        "a photo of a cat",
        "Café déjà vu: naïve façade, Ångström, Straße",
    ];
    let mut args = vec!["--model", model.to_str().expect("utf-8 path"), "embed-text"];
    args.extend(texts);
    args.push("--json");
    let output = vistazo(&args);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let printed: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    for text in texts {
        let expected = &reference["texts"][text];
        assert_eq!(printed[text]["ids"], expected["ids"], "{text}");
        let similarity = cosine(
            &numbers(&printed[text]["embedding"]),
            &numbers(&expected["embedding"]),
        );
        assert!(similarity >= 0.9999, "{text}: {similarity}");
    }
}

#[test]
fn offline_without_weights_says_how_to_get_them() {
    let home = tempfile::tempdir().expect("temp dir");
    let output = Command::new(env!("CARGO_BIN_EXE_vistazo"))
        .args(["embed-text", "hello"])
        .env("LC_ALL", "C")
        .env("HF_HOME", home.path())
        .env_remove("HF_HUB_CACHE")
        // Nothing listens on the discard port: the download fails at once, like offline.
        .env("HF_ENDPOINT", "http://127.0.0.1:9")
        .output()
        .expect("the binary runs");
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("--model DIR"), "{stderr}");
    assert!(stderr.contains("connect to the internet"), "{stderr}");
}

#[test]
fn hf_hub_offline_uses_the_cache_and_never_the_network() {
    // With the model cached, offline changes nothing.
    let cached = cache_with_tiny_model();
    let output = Command::new(env!("CARGO_BIN_EXE_vistazo"))
        .args(["embed-text", "hello", "--json"])
        .env("LC_ALL", "C")
        .env("HF_HOME", cached.path())
        .env_remove("HF_HUB_CACHE")
        .env("HF_HUB_OFFLINE", "1")
        .output()
        .expect("the binary runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );

    // Without it, nothing is fetched: a server that would answer is never asked.
    let empty = tempfile::tempdir().expect("temp dir");
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a port");
    listener.set_nonblocking(true).expect("non-blocking");
    let output = Command::new(env!("CARGO_BIN_EXE_vistazo"))
        .args(["embed-text", "hello"])
        .env("LC_ALL", "C")
        .env("HF_HOME", empty.path())
        .env_remove("HF_HUB_CACHE")
        .env("HF_HUB_OFFLINE", "1")
        .env(
            "HF_ENDPOINT",
            format!("http://{}", listener.local_addr().expect("address")),
        )
        .output()
        .expect("the binary runs");
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("HF_HUB_OFFLINE"), "{stderr}");
    assert!(stderr.contains("--model DIR"), "{stderr}");
    assert!(listener.accept().is_err(), "the hub was asked");
}

#[test]
fn inside_the_flatpak_the_model_in_the_home_folders_cache_is_used() {
    let downloaded = cache_with_tiny_model();
    let home = tempfile::tempdir().expect("temp dir");
    std::fs::create_dir(home.path().join(".cache")).expect("cache folder");
    std::os::unix::fs::symlink(downloaded.path(), home.path().join(".cache/huggingface"))
        .expect("link");
    let app_cache = tempfile::tempdir().expect("temp dir");
    let run = |flatpak: bool| {
        let mut command = Command::new(env!("CARGO_BIN_EXE_vistazo"));
        command
            .args(["embed-text", "hello"])
            .env("LC_ALL", "C")
            .env("HOME", home.path())
            .env("XDG_CACHE_HOME", app_cache.path())
            .env_remove("HF_HOME")
            .env_remove("HF_HUB_CACHE")
            .env("HF_HUB_OFFLINE", "1");
        if flatpak {
            command.env("FLATPAK_ID", "io.github.vistazo.Vistazo");
        } else {
            command.env_remove("FLATPAK_ID");
        }
        command.output().expect("the binary runs")
    };
    assert!(run(true).status.success());
    // Outside it, the cache XDG_CACHE_HOME names is the only one, as for the Python tools.
    assert_eq!(run(false).status.code(), Some(1));
}

#[test]
fn a_model_folder_without_weights_is_a_one_line_error() {
    let dir = tempfile::tempdir().expect("temp dir");
    let output = vistazo(&[
        "--model",
        dir.path().to_str().expect("utf-8 path"),
        "embed-text",
        "hello",
    ]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("config.json"), "{stderr}");
}

#[test]
fn bench_embed_reports_rates_and_phases() {
    let model = fixtures().join("tiny");
    let images = fixtures().join("images");
    let output = vistazo(&[
        "--model",
        model.to_str().expect("utf-8 path"),
        "--device",
        "cpu",
        "bench",
        "embed",
        images.to_str().expect("utf-8 path"),
        "--batch",
        "4",
        "--rounds",
        "1",
    ]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.starts_with("8 images, batch 4"), "{stdout}");
    for expected in [
        "End to end:",
        "Model only:",
        "decode",
        "preprocess",
        "model",
    ] {
        assert!(
            stdout.contains(expected),
            "{expected} missing from {stdout}"
        );
    }
}

/// A Hugging Face cache (as `HF_HOME`) holding the tiny model as the default model's snapshot.
fn cache_with_tiny_model() -> tempfile::TempDir {
    let home = tempfile::tempdir().expect("temp dir");
    let repo = home
        .path()
        .join("hub/models--openai--clip-vit-base-patch32");
    let commit = "89abcdef0123456789abcdef0123456789abcdef";
    std::fs::create_dir_all(repo.join("refs/refs/pr")).expect("refs");
    std::fs::write(repo.join("refs/refs/pr/15"), commit).expect("ref");
    let snapshot = repo.join("snapshots").join(commit);
    std::fs::create_dir_all(&snapshot).expect("snapshot");
    for file in ["config.json", "model.safetensors", "tokenizer.json"] {
        std::fs::copy(fixtures().join("tiny").join(file), snapshot.join(file)).expect("copy");
    }
    home
}

fn vistazo_with_cache(home: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_vistazo"))
        .args(args)
        .env("LC_ALL", "C")
        .env("HF_HOME", home)
        .env_remove("HF_HUB_CACHE")
        .env("HF_ENDPOINT", "http://127.0.0.1:9")
        .output()
        .expect("the binary runs")
}

#[test]
fn the_cache_is_used_without_the_network() {
    let home = cache_with_tiny_model();
    let output = vistazo_with_cache(home.path(), &["embed-text", "a photo of a cat", "--json"]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let printed: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    assert_eq!(
        printed["a photo of a cat"]["ids"],
        reference()["texts"]["a photo of a cat"]["ids"]
    );
}

#[test]
fn model_comes_before_the_cache() {
    let home = cache_with_tiny_model();
    let empty = tempfile::tempdir().expect("temp dir");
    let output = vistazo_with_cache(
        home.path(),
        &[
            "--model",
            empty.path().to_str().expect("utf-8 path"),
            "embed-text",
            "hello",
        ],
    );
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(&*empty.path().to_string_lossy()),
        "--model is used even when the cache has a model: {stderr}"
    );
}

/// The tiny model's folder with its config.json changed by `edit`.
fn tiny_with_config(dir: &Path, edit: impl FnOnce(&mut serde_json::Value)) -> PathBuf {
    let folder = dir.join("model");
    std::fs::create_dir(&folder).expect("model folder");
    for file in [
        "model.safetensors",
        "tokenizer.json",
        "preprocessor_config.json",
    ] {
        std::fs::copy(fixtures().join("tiny").join(file), folder.join(file)).expect("copy");
    }
    let text = std::fs::read_to_string(fixtures().join("tiny/config.json")).expect("config");
    let mut config: serde_json::Value = serde_json::from_str(&text).expect("JSON");
    edit(&mut config);
    std::fs::write(folder.join("config.json"), config.to_string()).expect("write config");
    folder
}

/// Imports one photo into a new collection with `model`; the collection must stay empty.
fn import_refused(model: &Path, expected: &str) {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("v.db");
    drop(vistazo::db::open(&db).expect("a new collection"));
    let photos = dir.path().join("photos");
    std::fs::create_dir(&photos).expect("photos");
    std::fs::copy(fixtures().join("images/cover.jpg"), photos.join("room.jpg")).expect("copy");
    let output = vistazo(&[
        "--db",
        db.to_str().expect("utf-8 path"),
        "--model",
        model.to_str().expect("utf-8 path"),
        "--device",
        "cpu",
        "interiors",
        "import",
        photos.to_str().expect("utf-8 path"),
    ]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains(expected), "{stderr}");
    let mut database = vistazo::db::open(&db).expect("the collection");
    assert!(database.photos().expect("photos").is_empty());
    assert_eq!(
        database
            .setting(vistazo::interiors::rounds::EMBEDDING_MODEL_KEY)
            .expect("settings"),
        None
    );
}

#[test]
fn a_config_json_with_fewer_layers_than_the_weights_is_refused() {
    let dir = tempfile::tempdir().expect("temp dir");
    let model = tiny_with_config(dir.path(), |config| {
        config["text_config"]["num_hidden_layers"] = 1.into();
        config["vision_config"]["num_hidden_layers"] = 1.into();
    });
    import_refused(&model, "do not match config.json");
}

#[test]
fn a_config_json_with_more_layers_than_the_weights_is_refused() {
    let dir = tempfile::tempdir().expect("temp dir");
    let model = tiny_with_config(dir.path(), |config| {
        config["vision_config"]["num_hidden_layers"] = 3.into();
    });
    import_refused(&model, "vision_model.encoder.layers.2");
}

#[test]
fn a_model_that_is_not_clip_is_refused() {
    let dir = tempfile::tempdir().expect("temp dir");
    let model = tiny_with_config(dir.path(), |config| {
        config["model_type"] = "bert".into();
    });
    import_refused(&model, "describes a bert model, not CLIP");
}

#[test]
fn bench_gemm_says_which_vendor_check_mkl_runs_with_and_the_switch_keeps_mkls_own() {
    let measure = |keep: Option<&str>| {
        let mut command = Command::new(env!("CARGO_BIN_EXE_vistazo"));
        command.args(["bench", "gemm", "--rounds", "1", "--json"]);
        match keep {
            Some(value) => command.env("VISTAZO_MKL_VENDOR_CHECK", value),
            None => command.env_remove("VISTAZO_MKL_VENDOR_CHECK"),
        };
        let output = command.output().expect("the binary runs");
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        let value: serde_json::Value =
            serde_json::from_slice(&output.stdout).expect("one JSON object");
        assert!(
            value["gflops"].as_f64().is_some_and(|rate| rate > 0.0),
            "{value}"
        );
        assert!(value["threads"].as_i64().is_some_and(|n| n >= 1), "{value}");
        value["mkl_vendor_check"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    };
    // The executable answers MKL's vendor question itself; the switch leaves it to MKL.
    assert_eq!(measure(None), "bypassed");
    assert_eq!(measure(Some("1")), "own");
}
