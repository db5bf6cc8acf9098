//! The CLIP engine computes what Hugging Face transformers computes: the same token ids, the
//! same text and image embeddings, on a tiny random-weight CLIP whose reference outputs were
//! written by `tests/fixtures/clip/make_fixtures.py` through transformers' PIL pipeline.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use vistazo::clip::{
    ClipTokenizer, DevicePreference, Engine, EngineOptions, ModelFiles, TokenizerFiles,
};
use vistazo::jobs::{CancelToken, Outcome};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/clip")
}

fn reference() -> serde_json::Value {
    let text = std::fs::read_to_string(fixtures().join("reference.json")).expect("reference.json");
    serde_json::from_str(&text).expect("reference.json is JSON")
}

fn floats(value: &serde_json::Value) -> Vec<f32> {
    value
        .as_array()
        .expect("an array of numbers")
        .iter()
        .map(|v| v.as_f64().expect("a number") as f32)
        .collect()
}

fn cosine(a: &[f32], b: &[f32]) -> f64 {
    assert_eq!(a.len(), b.len());
    let dot: f64 = a
        .iter()
        .zip(b)
        .map(|(x, y)| f64::from(*x) * f64::from(*y))
        .sum();
    let na: f64 = a.iter().map(|x| f64::from(*x).powi(2)).sum::<f64>().sqrt();
    let nb: f64 = b.iter().map(|x| f64::from(*x).powi(2)).sum::<f64>().sqrt();
    dot / (na * nb)
}

fn engine() -> Engine {
    let files = ModelFiles::in_folder(&fixtures().join("tiny")).expect("the tiny model folder");
    let options = EngineOptions {
        device: DevicePreference::Cpu,
        batch_size: 3,
        ..EngineOptions::default()
    };
    Engine::load(&files, &options).expect("the tiny model loads")
}

#[test]
fn image_files_embed_as_transformers_does() {
    let reference = reference();
    let expected = reference["images"].as_object().expect("images");
    let names: Vec<&String> = expected.keys().collect();
    let paths: Vec<PathBuf> = names
        .iter()
        .map(|name| fixtures().join("images").join(name))
        .collect();
    let engine = engine();
    let mut results = HashMap::new();
    let report = engine
        .embed_images(
            &paths,
            &CancelToken::new(),
            &mut |item| {
                let embedding = item.result.expect("every fixture image decodes");
                results.insert(item.index, embedding);
            },
            &mut |_| {},
        )
        .expect("the batch runs");
    assert_eq!(report.outcome, Outcome::Finished);
    assert_eq!(report.embedded, names.len());
    let mut failures = Vec::new();
    for (index, name) in names.iter().enumerate() {
        let ours = &results[&index];
        assert_eq!(ours.len(), 512);
        let similarity = cosine(ours, &floats(&expected[name.as_str()]));
        eprintln!("{name}: cosine {similarity:.6}");
        if similarity < 0.999 {
            failures.push(format!("{name}: {similarity:.6}"));
        }
    }
    assert!(failures.is_empty(), "below 0.999: {failures:?}");
}

#[test]
fn identical_pixels_give_identical_embeddings() {
    let reference = reference();
    let engine = engine();
    let pixels = tch::Tensor::read_safetensors(fixtures().join("pixel_values.safetensors"))
        .expect("pixel_values.safetensors");
    assert!(!pixels.is_empty());
    for (name, tensor) in pixels {
        let values: Vec<f32> = Vec::try_from(tensor.flatten(0, -1)).expect("float pixels");
        let ours = engine.embed_pixels(&values, 1).expect("the model runs");
        let theirs = floats(&reference["images"][name.as_str()]);
        let worst = ours[0]
            .iter()
            .zip(&theirs)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0f32, f32::max);
        let similarity = cosine(&ours[0], &theirs);
        eprintln!("{name}: max abs diff {worst:e}, cosine {similarity:.7}");
        assert!(worst <= 1e-4, "{name}: max abs diff {worst}");
        assert!(similarity >= 0.99999, "{name}: cosine {similarity}");
    }
}

#[test]
fn texts_tokenise_and_embed_as_transformers_does() {
    let reference = reference();
    let expected = reference["texts"].as_object().expect("texts");
    let texts: Vec<&str> = expected.keys().map(String::as_str).collect();
    let engine = engine();
    let ours = engine.embed_texts(&texts).expect("texts embed");
    for (text, ours) in texts.iter().zip(&ours) {
        let theirs = &expected[*text];
        let ids: Vec<i64> = theirs["ids"]
            .as_array()
            .expect("ids")
            .iter()
            .map(|v| v.as_i64().expect("an id"))
            .collect();
        assert_eq!(ours.ids, ids, "token ids of “{text}”");
        assert!(ours.ids.len() <= 77);
        let similarity = cosine(&ours.embedding, &floats(&theirs["embedding"]));
        assert!(similarity >= 0.9999, "“{text}”: cosine {similarity}");
    }
}

#[test]
fn vocab_and_merges_tokenise_like_tokenizer_json() {
    // A folder with only vocab.json + merges.txt, written from the fixture's tokenizer.json.
    let json: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(fixtures().join("tiny/tokenizer.json")).expect("tokenizer.json"),
    )
    .expect("JSON");
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(
        dir.path().join("vocab.json"),
        json["model"]["vocab"].to_string(),
    )
    .expect("write vocab.json");
    let mut merges = String::from("#version: 0.2\n");
    for merge in json["model"]["merges"].as_array().expect("merges") {
        let pair: Vec<&str> = merge
            .as_array()
            .expect("a pair")
            .iter()
            .map(|s| s.as_str().expect("a symbol"))
            .collect();
        merges.push_str(&pair.join(" "));
        merges.push('\n');
    }
    std::fs::write(dir.path().join("merges.txt"), merges).expect("write merges.txt");
    let files = TokenizerFiles::in_folder(dir.path()).expect("vocab.json + merges.txt");
    assert!(matches!(files, TokenizerFiles::VocabAndMerges { .. }));
    let tokenizer = ClipTokenizer::load(&files, 77).expect("loads");

    let reference = reference();
    for (text, expected) in reference["texts"].as_object().expect("texts") {
        let ids: Vec<i64> = expected["ids"]
            .as_array()
            .expect("ids")
            .iter()
            .map(|v| v.as_i64().expect("an id"))
            .collect();
        assert_eq!(tokenizer.encode(text).expect("encodes"), ids, "“{text}”");
    }
}

#[test]
fn logit_scale_is_kept() {
    let reference = reference();
    let expected = reference["logit_scale"].as_f64().expect("logit_scale");
    let engine = engine();
    assert!((engine.model().logit_scale() - expected).abs() < 1e-3);
}
