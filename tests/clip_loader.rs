//! Loading real-sized and broken weights, finding the model in the Hugging Face cache, and
//! batches with pictures that cannot be read.

#[path = "support/fixtures.rs"]
mod fixtures;

use std::path::{Path, PathBuf};

use tch::{Kind, Tensor};
use vistazo::clip::model::LoadedTowers;
use vistazo::clip::weights::{self, DEFAULT_REPO};
use vistazo::clip::{
    ClipConfig, ClipError, ClipModel, DevicePreference, Engine, EngineOptions, ImageFailure,
    ModelError, ModelFiles,
};
use vistazo::imaging::{DecodeLimits, ImageLoadError};
use vistazo::jobs::{CancelToken, Outcome};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/clip")
}

fn cpu_options() -> EngineOptions {
    EngineOptions {
        device: DevicePreference::Cpu,
        batch_size: 2,
        ..EngineOptions::default()
    }
}

/// The tensors transformers saves for a `CLIPModel`, by name and shape, for a config's sizes.
/// Written out from the architecture (not from the loader) so the two check each other.
fn hf_layout(config: &ClipConfig) -> Vec<(String, Vec<i64>)> {
    let (v, t) = (&config.vision, &config.text);
    let mut layout = vec![
        (
            "vision_model.embeddings.class_embedding".to_owned(),
            vec![v.hidden_size],
        ),
        (
            "vision_model.embeddings.patch_embedding.weight".to_owned(),
            vec![v.hidden_size, 3, v.patch_size, v.patch_size],
        ),
        (
            "vision_model.embeddings.position_embedding.weight".to_owned(),
            vec![(v.image_size / v.patch_size).pow(2) + 1, v.hidden_size],
        ),
        (
            "text_model.embeddings.token_embedding.weight".to_owned(),
            vec![t.vocab_size, t.hidden_size],
        ),
        (
            "text_model.embeddings.position_embedding.weight".to_owned(),
            vec![t.max_position_embeddings, t.hidden_size],
        ),
        (
            "visual_projection.weight".to_owned(),
            vec![config.projection_dim, v.hidden_size],
        ),
        (
            "text_projection.weight".to_owned(),
            vec![config.projection_dim, t.hidden_size],
        ),
        ("logit_scale".to_owned(), vec![]),
    ];
    for (prefix, width) in [
        ("vision_model.pre_layrnorm", v.hidden_size),
        ("vision_model.post_layernorm", v.hidden_size),
        ("text_model.final_layer_norm", t.hidden_size),
    ] {
        layout.push((format!("{prefix}.weight"), vec![width]));
        layout.push((format!("{prefix}.bias"), vec![width]));
    }
    for (tower, layers, width, mlp) in [
        (
            "vision_model",
            v.num_hidden_layers,
            v.hidden_size,
            v.intermediate_size,
        ),
        (
            "text_model",
            t.num_hidden_layers,
            t.hidden_size,
            t.intermediate_size,
        ),
    ] {
        for i in 0..layers {
            let layer = format!("{tower}.encoder.layers.{i}");
            for projection in ["q_proj", "k_proj", "v_proj", "out_proj"] {
                layout.push((
                    format!("{layer}.self_attn.{projection}.weight"),
                    vec![width, width],
                ));
                layout.push((format!("{layer}.self_attn.{projection}.bias"), vec![width]));
            }
            for norm in ["layer_norm1", "layer_norm2"] {
                layout.push((format!("{layer}.{norm}.weight"), vec![width]));
                layout.push((format!("{layer}.{norm}.bias"), vec![width]));
            }
            layout.push((format!("{layer}.mlp.fc1.weight"), vec![mlp, width]));
            layout.push((format!("{layer}.mlp.fc1.bias"), vec![mlp]));
            layout.push((format!("{layer}.mlp.fc2.weight"), vec![width, mlp]));
            layout.push((format!("{layer}.mlp.fc2.bias"), vec![width]));
        }
    }
    layout
}

/// A model folder with random weights in the given layout, plus the fixture's tokenizer.
fn model_folder(
    dir: &Path,
    config_json: &Path,
    layout: &[(String, Vec<i64>)],
    extra: Vec<(String, Tensor)>,
) {
    tch::manual_seed(3);
    let mut tensors: Vec<(String, Tensor)> = layout
        .iter()
        .map(|(name, shape)| {
            let tensor = if name.ends_with("layer_norm1.weight")
                || name.ends_with("layer_norm2.weight")
                || name.ends_with("layrnorm.weight")
                || name.ends_with("layernorm.weight")
                || name.ends_with("final_layer_norm.weight")
            {
                Tensor::ones(shape.as_slice(), (Kind::Float, tch::Device::Cpu))
            } else if name == "logit_scale" {
                Tensor::from(2.6592f32)
            } else {
                Tensor::randn(shape.as_slice(), (Kind::Float, tch::Device::Cpu)) * 0.02
            };
            (name.clone(), tensor)
        })
        .collect();
    tensors.extend(extra);
    Tensor::write_safetensors(&tensors, dir.join("model.safetensors")).expect("write weights");
    std::fs::copy(config_json, dir.join("config.json")).expect("copy config.json");
    std::fs::copy(
        fixtures().join("tiny/tokenizer.json"),
        dir.join("tokenizer.json"),
    )
    .expect("copy tokenizer.json");
}

#[test]
fn full_size_vit_b_32_weights_load_and_embed() {
    let config_path = fixtures().join("vit-b-32-config.json");
    let config = ClipConfig::from_file(&config_path).expect("the openai config parses");
    assert_eq!(config.vision.hidden_size, 768);
    assert_eq!(config.text.eos_token_id, Some(2));
    let layout = hf_layout(&config);
    let parameters: i64 = layout.iter().map(|(_, s)| s.iter().product::<i64>()).sum();
    assert_eq!(parameters, 151_277_313, "the ViT-B/32 parameter count");

    let dir = tempfile::tempdir().expect("temp dir");
    // Older checkpoints also carry position_ids buffers; they are ignored.
    let extra = vec![
        (
            "text_model.embeddings.position_ids".to_owned(),
            Tensor::arange(77, (Kind::Int64, tch::Device::Cpu)).view([1, 77]),
        ),
        (
            "vision_model.embeddings.position_ids".to_owned(),
            Tensor::arange(50, (Kind::Int64, tch::Device::Cpu)).view([1, 50]),
        ),
    ];
    model_folder(dir.path(), &config_path, &layout, extra);
    let files = ModelFiles::in_folder(dir.path()).expect("a complete folder");
    let engine = Engine::load(&files, &cpu_options()).expect("ViT-B/32 weights load");
    assert_eq!(engine.dimensions(), 512);

    let mut embeddings = Vec::new();
    engine
        .embed_images(
            &[fixtures().join("images/cover.jpg")],
            &CancelToken::new(),
            &mut |item| embeddings.push(item.result.expect("the cover embeds")),
            &mut |_| {},
        )
        .expect("runs");
    assert_eq!(embeddings.len(), 1);
    assert_eq!(embeddings[0].len(), 512);
    let norm: f32 = embeddings[0].iter().map(|v| v * v).sum::<f32>().sqrt();
    assert!((norm - 1.0).abs() < 1e-4, "L2-normalised, got {norm}");

    let texts = engine.embed_texts(&["a comic cover"]).expect("text embeds");
    assert_eq!(texts[0].embedding.len(), 512);
    assert_eq!(texts[0].ids.first(), Some(&49406));
    assert_eq!(texts[0].ids.last(), Some(&49407));
}

/// The tiny fixture's tensors, to be edited into broken files.
fn tiny_tensors() -> Vec<(String, Tensor)> {
    Tensor::read_safetensors(fixtures().join("tiny/model.safetensors")).expect("tiny weights")
}

fn load_tiny_with(tensors: &[(String, Tensor)], dir: &Path) -> Result<ClipModel, ModelError> {
    let weights = dir.join("model.safetensors");
    Tensor::write_safetensors(tensors, &weights).expect("write weights");
    let config = ClipConfig::from_file(&fixtures().join("tiny/config.json")).expect("config");
    ClipModel::load(config, &weights, tch::Device::Cpu, Kind::Float)
}

#[test]
fn a_missing_tensor_is_named_with_its_file() {
    let dir = tempfile::tempdir().expect("temp dir");
    let tensors: Vec<_> = tiny_tensors()
        .into_iter()
        .filter(|(name, _)| name != "vision_model.encoder.layers.1.mlp.fc2.weight")
        .collect();
    let error = load_tiny_with(&tensors, dir.path()).expect_err("a tensor is missing");
    let message = error.to_string();
    assert!(
        matches!(error, ModelError::MissingTensor { .. }),
        "{message}"
    );
    assert!(
        message.contains("vision_model.encoder.layers.1.mlp.fc2.weight"),
        "{message}"
    );
    assert!(message.contains("model.safetensors"), "{message}");
}

#[test]
fn a_wrong_shape_is_named_with_both_shapes() {
    let dir = tempfile::tempdir().expect("temp dir");
    let tensors: Vec<_> = tiny_tensors()
        .into_iter()
        .map(|(name, tensor)| {
            if name == "visual_projection.weight" {
                let wrong = Tensor::zeros([256, 32], (Kind::Half, tch::Device::Cpu));
                (name, wrong)
            } else {
                (name, tensor)
            }
        })
        .collect();
    let error = load_tiny_with(&tensors, dir.path()).expect_err("the shape is wrong");
    let message = error.to_string();
    assert!(
        matches!(&error, ModelError::ShapeMismatch { expected, found, .. }
            if expected == &[512, 32] && found == &[256, 32]),
        "{message}"
    );
    assert!(message.contains("visual_projection.weight"), "{message}");
    assert!(
        message.contains("[512, 32]") && message.contains("[256, 32]"),
        "{message}"
    );
    assert!(message.contains("model.safetensors"), "{message}");
}

#[test]
fn a_truncated_file_is_reported_as_damaged() {
    let dir = tempfile::tempdir().expect("temp dir");
    let bytes = std::fs::read(fixtures().join("tiny/model.safetensors")).expect("tiny weights");
    let weights = dir.path().join("model.safetensors");
    std::fs::write(&weights, &bytes[..bytes.len() / 2]).expect("write half a file");
    let config = ClipConfig::from_file(&fixtures().join("tiny/config.json")).expect("config");
    let error = ClipModel::load(config.clone(), &weights, tch::Device::Cpu, Kind::Float)
        .expect_err("half a file");
    assert!(matches!(error, ModelError::Corrupt { .. }), "{error}");
    assert!(
        error.to_string().contains(&*weights.to_string_lossy()),
        "{error}"
    );

    std::fs::write(&weights, b"<html>not found</html>").expect("write garbage");
    let error = ClipModel::load(config, &weights, tch::Device::Cpu, Kind::Float)
        .expect_err("not safetensors");
    assert!(matches!(error, ModelError::Corrupt { .. }), "{error}");
}

#[test]
fn an_incomplete_model_folder_says_what_is_missing() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::copy(
        fixtures().join("tiny/config.json"),
        dir.path().join("config.json"),
    )
    .expect("copy");
    std::fs::write(dir.path().join("pytorch_model.bin"), b"").expect("write");
    let error = ModelFiles::in_folder(dir.path()).expect_err("no safetensors");
    assert!(error.to_string().contains("model.safetensors"), "{error}");
    let error = Engine::load(
        &ModelFiles {
            config: dir.path().join("config.json"),
            weights: dir.path().join("model.safetensors"),
            tokenizer: vistazo::clip::TokenizerFiles::Json(fixtures().join("tiny/tokenizer.json")),
        },
        &cpu_options(),
    )
    .expect_err("no weights file");
    assert!(
        matches!(error, ClipError::Model(ModelError::Open { .. })),
        "{error}"
    );
}

fn tiny_engine(options: EngineOptions) -> Engine {
    let files = ModelFiles::in_folder(&fixtures().join("tiny")).expect("tiny folder");
    Engine::load(&files, &options).expect("tiny model")
}

#[test]
fn a_broken_image_is_reported_and_the_others_embed() {
    let dir = tempfile::tempdir().expect("temp dir");
    let broken = dir.path().join("broken.jpg");
    std::fs::write(&broken, b"\xff\xd8\xff\xe0 this is not really a JPEG").expect("write");
    let missing = dir.path().join("missing.png");
    let images = fixtures().join("images");
    let paths = vec![
        images.join("cover.jpg"),
        broken.clone(),
        images.join("small.png"),
        missing.clone(),
        images.join("palette.gif"),
    ];
    let engine = tiny_engine(cpu_options());
    let mut embedded = Vec::new();
    let mut failed = Vec::new();
    let mut last_progress = None;
    let report = engine
        .embed_images(
            &paths,
            &CancelToken::new(),
            &mut |item| match item.result {
                Ok(_) => embedded.push(item.index),
                Err(error) => failed.push((item.index, error)),
            },
            &mut |progress| last_progress = Some(progress),
        )
        .expect("the batch runs");
    embedded.sort_unstable();
    assert_eq!(embedded, vec![0, 2, 4]);
    assert_eq!(report.embedded, 3);
    assert_eq!(report.failed, 2);
    failed.sort_by_key(|(index, _)| *index);
    assert_eq!(failed[0].0, 1);
    assert!(
        failed[0].1.to_string().contains("broken.jpg"),
        "{}",
        failed[0].1
    );
    assert_eq!(failed[1].0, 3);
    assert!(matches!(
        &failed[1].1,
        ImageFailure::Load(ImageLoadError::Open { path, .. }) if *path == missing
    ));
    let progress = last_progress.expect("progress was reported");
    assert_eq!((progress.done, progress.total), (5, 5));
}

#[test]
fn images_over_the_decoding_limit_are_refused_one_by_one() {
    let engine = tiny_engine(EngineOptions {
        limits: DecodeLimits {
            max_pixels: 1_000,
            ..DecodeLimits::default()
        },
        ..cpu_options()
    });
    let images = fixtures().join("images");
    let mut results = Vec::new();
    engine
        .embed_images(
            &[images.join("small.png"), images.join("landscape.png")],
            &CancelToken::new(),
            &mut |item| results.push(item),
            &mut |_| {},
        )
        .expect("runs");
    assert_eq!(results.len(), 2);
    for item in results {
        let error = item
            .result
            .expect_err("40×30 and 320×240 are over 1,000 pixels");
        assert!(
            matches!(error, ImageFailure::Load(ImageLoadError::TooLarge { .. })),
            "{error}"
        );
        assert!(error.to_string().contains("too large"), "{error}");
    }
}

/// A PNG announcing a 60,000 × 60,000 picture: a few dozen bytes that would need ten
/// gigabytes once decoded.
fn png_bomb() -> Vec<u8> {
    let mut header = 60_000u32.to_be_bytes().to_vec();
    header.extend_from_slice(&60_000u32.to_be_bytes());
    header.extend_from_slice(&[8, 2, 0, 0, 0]);
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    // An empty zlib stream for pixels, so only the claimed size is out of bounds.
    for (kind, data) in [
        (&b"IHDR"[..], &header[..]),
        (b"IDAT", &[0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01]),
        (b"IEND", &[]),
    ] {
        let mut chunk = kind.to_vec();
        chunk.extend_from_slice(data);
        png.extend_from_slice(&(data.len() as u32).to_be_bytes());
        png.extend_from_slice(&chunk);
        png.extend_from_slice(&fixtures::crc32(&chunk).to_be_bytes());
    }
    png
}

#[test]
fn a_decoding_bomb_is_refused_with_the_default_limits() {
    let dir = tempfile::tempdir().expect("temp dir");
    let bomb = dir.path().join("bomb.png");
    std::fs::write(&bomb, png_bomb()).expect("write");
    let error = vistazo::imaging::load_rgb(&bomb, &DecodeLimits::default())
        .expect_err("3.6 gigapixels is refused");
    assert!(
        matches!(
            error,
            ImageLoadError::TooLarge {
                width: 60_000,
                height: 60_000,
                ..
            }
        ),
        "{error}"
    );
    assert!(error.to_string().contains("bomb.png"), "{error}");
    assert!(
        error.to_string().contains("(60000×60000 pixels;"),
        "the size the file claims: {error}"
    );
}

#[test]
fn cancel_stops_between_batches_and_keeps_what_was_done() {
    let engine = tiny_engine(EngineOptions {
        batch_size: 1,
        decode_threads: Some(1),
        ..cpu_options()
    });
    let paths: Vec<PathBuf> =
        std::iter::repeat_n(fixtures().join("images/small.png"), 20).collect();
    let cancel = CancelToken::new();
    let mut embedded = 0;
    let report = engine
        .embed_images(
            &paths,
            &cancel,
            &mut |item| {
                item.result.expect("embeds");
                embedded += 1;
            },
            &mut |progress| {
                if progress.done == 2 {
                    cancel.cancel();
                }
            },
        )
        .expect("runs");
    assert_eq!(report.outcome, Outcome::Cancelled);
    assert_eq!(report.embedded, 2);
    assert_eq!(embedded, 2);
}

#[test]
fn a_cancel_during_full_batches_keeps_the_batch_done_and_starts_no_other() {
    let engine = tiny_engine(EngineOptions {
        batch_size: 16,
        ..cpu_options()
    });
    let paths: Vec<PathBuf> =
        std::iter::repeat_n(fixtures().join("images/small.png"), 40).collect();
    let cancel = CancelToken::new();
    let mut embedded = 0;
    let report = engine
        .embed_images(
            &paths,
            &cancel,
            &mut |item| {
                item.result.expect("embeds");
                embedded += 1;
            },
            &mut |progress| {
                // Cancel pressed while the first batch was in the model.
                if progress.done >= 16 {
                    cancel.cancel();
                }
            },
        )
        .expect("runs");
    assert_eq!(report.outcome, Outcome::Cancelled);
    assert_eq!((report.embedded, embedded), (16, 16));
}

/// How many pictures each progress report added, embedding `count` copies of one picture.
fn progress_steps(options: EngineOptions, count: usize) -> Vec<u64> {
    let engine = tiny_engine(options);
    let paths: Vec<PathBuf> =
        std::iter::repeat_n(fixtures().join("images/small.png"), count).collect();
    let mut steps = Vec::new();
    let mut last = 0;
    engine
        .embed_images(
            &paths,
            &CancelToken::new(),
            &mut |item| {
                item.result.expect("embeds");
            },
            &mut |progress| {
                steps.push(progress.done - last);
                last = progress.done;
            },
        )
        .expect("runs");
    steps
}

#[test]
fn pictures_go_through_the_model_in_full_batches() {
    let options = EngineOptions {
        batch_size: 4,
        decode_threads: Some(1),
        ..cpu_options()
    };
    assert_eq!(progress_steps(options, 9), [4, 4, 1]);
}

#[test]
fn the_default_model_is_found_in_the_hugging_face_cache() {
    let cache = tempfile::tempdir().expect("temp dir");
    let repo = cache
        .path()
        .join(format!("models--{}", DEFAULT_REPO.replace('/', "--")));
    let commit = "0123456789abcdef0123456789abcdef01234567";
    std::fs::create_dir_all(repo.join("refs/refs/pr")).expect("refs");
    std::fs::write(repo.join("refs/refs/pr/15"), commit).expect("ref");
    let snapshot = repo.join("snapshots").join(commit);
    std::fs::create_dir_all(&snapshot).expect("snapshot");
    assert!(
        weights::find_in_cache(cache.path()).is_none(),
        "empty snapshot"
    );
    for file in ["config.json", "model.safetensors", "tokenizer.json"] {
        std::fs::copy(fixtures().join("tiny").join(file), snapshot.join(file)).expect("copy");
    }
    let files = weights::find_in_cache(cache.path()).expect("found without the network");
    assert_eq!(files.weights, snapshot.join("model.safetensors"));
    Engine::load(&files, &cpu_options()).expect("the cached model loads");
}

#[test]
fn each_tower_is_read_when_first_used_and_a_text_search_never_reads_the_image_tower() {
    let engine = tiny_engine(EngineOptions {
        device: DevicePreference::Cpu,
        ..EngineOptions::default()
    });
    let none = LoadedTowers::default();
    assert_eq!(engine.model().loaded(), none);

    let before = engine.embed_texts(&["a comic cover"]).expect("text embeds");
    assert_eq!(
        engine.model().loaded(),
        LoadedTowers {
            vision: false,
            text: true
        }
    );

    let mut embedded = 0;
    engine
        .embed_images(
            &[fixtures().join("images/cover.jpg")],
            &CancelToken::new(),
            &mut |item| {
                item.result.expect("embeds");
                embedded += 1;
            },
            &mut |_| {},
        )
        .expect("runs");
    assert_eq!(embedded, 1);
    assert_eq!(
        engine.model().loaded(),
        LoadedTowers {
            vision: true,
            text: true
        }
    );
    // Reading the other tower changes nothing about the first.
    let after = engine.embed_texts(&["a comic cover"]).expect("text embeds");
    assert_eq!(before, after);
}

#[test]
fn a_model_whose_weights_vanish_after_opening_still_reads_its_towers() {
    // The file stays open: a download renamed over the name, or the name deleted, does not
    // change what the opened model reads.
    let dir = tempfile::tempdir().expect("temp dir");
    let weights = dir.path().join("model.safetensors");
    std::fs::copy(fixtures().join("tiny/model.safetensors"), &weights).expect("copy");
    let config = ClipConfig::from_file(&fixtures().join("tiny/config.json")).expect("config");
    let model = ClipModel::load(config, &weights, tch::Device::Cpu, Kind::Float).expect("opens");
    std::fs::remove_file(&weights).expect("remove");
    let _no_grad = tch::no_grad_guard();
    let pixels = Tensor::zeros([1, 3, 224, 224], (Kind::Float, tch::Device::Cpu));
    let features = model.image_features(&pixels).expect("reads the tower");
    assert_eq!(features.size(), [1, 512]);
}
