//! `embed-image`, `embed-text` and `bench embed`: the CLIP engine from the terminal. Glue only:
//! finding (or downloading) the model with a progress bar, printing embeddings, and timing the
//! pipeline. The work happens in [`crate::clip::Engine`].

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context;
use clap::Subcommand;
use indicatif::{ProgressBar, ProgressStyle};

use super::GlobalOptions;
use crate::clip::{DownloadEvent, Engine, EngineOptions, weights};
use crate::i18n::{self, gettext};
use crate::jobs::CancelToken;

/// What `vistazo bench` measures.
#[derive(Debug, Subcommand)]
pub enum BenchTarget {
    #[command(about = gettext("Time image embedding end to end and per phase on a folder of images"))]
    Embed {
        #[arg(value_name = "DIR", help = gettext("Folder with the images to embed"))]
        dir: PathBuf,
        #[arg(long, default_value_t = 16, help = gettext("Images per forward pass"))]
        batch: usize,
    },
}

/// Finds the model (downloading it once, with a progress bar on stderr) and loads it.
pub fn load_engine(global: &GlobalOptions, batch_size: usize) -> anyhow::Result<Engine> {
    let files = locate_model(global)?;
    load_engine_from(global, &files, batch_size)
}

/// Loads the model in `files` with the device the options ask for.
pub fn load_engine_from(
    global: &GlobalOptions,
    files: &weights::ModelFiles,
    batch_size: usize,
) -> anyhow::Result<Engine> {
    let options = EngineOptions {
        device: global.device,
        batch_size,
        ..EngineOptions::default()
    };
    Ok(Engine::load(files, &options)?)
}

/// Finds the model's files, downloading them once with a progress bar on stderr.
pub fn locate_model(global: &GlobalOptions) -> anyhow::Result<weights::ModelFiles> {
    let mut bar: Option<ProgressBar> = None;
    let mut on_event = |event: DownloadEvent| match event {
        DownloadEvent::Started { file, bytes } => {
            let progress = ProgressBar::new(bytes);
            progress.set_style(
                ProgressStyle::with_template(
                    "{msg} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} {eta}",
                )
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
            );
            progress.set_message(i18n::fill(&gettext("Downloading {}"), &[&file]));
            bar = Some(progress);
        }
        DownloadEvent::Advanced { done, .. } => {
            if let Some(bar) = &bar {
                bar.set_position(done);
            }
        }
        DownloadEvent::Verifying { file } => {
            if let Some(bar) = &bar {
                bar.set_message(i18n::fill(&gettext("Checking {}"), &[&file]));
            }
        }
        DownloadEvent::Finished { .. } => {
            if let Some(bar) = bar.take() {
                bar.finish_and_clear();
            }
        }
    };
    Ok(weights::locate(
        global.model.as_deref(),
        true,
        &mut on_event,
    )?)
}

/// `vistazo embed-image FILE... [--json]`. A file that fails is reported on stderr and the
/// others still print; the exit status is then 1.
pub fn embed_image(
    global: &GlobalOptions,
    files: &[PathBuf],
    json: bool,
) -> anyhow::Result<ExitCode> {
    let engine = load_engine(global, 16)?;
    let mut embeddings: Vec<Option<Vec<f32>>> = vec![None; files.len()];
    let mut failed = false;
    engine.embed_images(
        files,
        &CancelToken::new(),
        &mut |item| match item.result {
            Ok(embedding) => embeddings[item.index] = Some(embedding),
            Err(error) => {
                failed = true;
                eprintln!("vistazo: {error}");
            }
        },
        &mut |_| {},
    )?;
    let mut out = std::io::stdout().lock();
    if json {
        let map: BTreeMap<String, &Vec<f32>> = files
            .iter()
            .zip(&embeddings)
            .filter_map(|(path, embedding)| Some((path.display().to_string(), embedding.as_ref()?)))
            .collect();
        serde_json::to_writer(&mut out, &map)?;
        writeln!(out)?;
    } else {
        for (path, embedding) in files.iter().zip(&embeddings) {
            if let Some(embedding) = embedding {
                writeln!(out, "{}\t{}", path.display(), summary(embedding))?;
            }
        }
    }
    Ok(if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// `vistazo embed-text TEXT... [--json]`.
pub fn embed_text(
    global: &GlobalOptions,
    texts: &[String],
    json: bool,
) -> anyhow::Result<ExitCode> {
    let engine = load_engine(global, 16)?;
    let borrowed: Vec<&str> = texts.iter().map(String::as_str).collect();
    let embeddings = engine.embed_texts(&borrowed)?;
    let mut out = std::io::stdout().lock();
    if json {
        // A struct rather than `json!`, which would widen the floats to f64 digits.
        #[derive(serde::Serialize)]
        struct Entry<'a> {
            ids: &'a [i64],
            embedding: &'a [f32],
        }
        let map: BTreeMap<&str, Entry> = borrowed
            .iter()
            .zip(&embeddings)
            .map(|(text, item)| {
                let entry = Entry {
                    ids: &item.ids,
                    embedding: &item.embedding,
                };
                (*text, entry)
            })
            .collect();
        serde_json::to_writer(&mut out, &map)?;
        writeln!(out)?;
    } else {
        for (text, item) in borrowed.iter().zip(&embeddings) {
            writeln!(out, "{text}\t{}", summary(&item.embedding))?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn summary(embedding: &[f32]) -> String {
    let head: Vec<String> = embedding
        .iter()
        .take(4)
        .map(|v| format!("{v:.4}"))
        .collect();
    i18n::fill(
        &gettext("[{}, …] ({} values)"),
        &[&head.join(", "), &embedding.len()],
    )
}

/// `vistazo bench embed DIR [--batch N]`: end-to-end images per second, the model alone on
/// the same batches in the same run, and where the time goes.
pub fn bench(global: &GlobalOptions, target: &BenchTarget) -> anyhow::Result<ExitCode> {
    let BenchTarget::Embed { dir, batch } = target;
    let files = images_in(dir)?;
    if files.is_empty() {
        anyhow::bail!(i18n::fill(
            &gettext("there are no images in {}"),
            &[&dir.display()]
        ));
    }
    let engine = load_engine(global, (*batch).max(1))?;
    let batch = engine.batch_size();
    let cancel = CancelToken::new();
    let mut failures = 0usize;
    let mut on_result = |item: crate::clip::ImageEmbedding| {
        if let Err(error) = item.result {
            failures += 1;
            eprintln!("vistazo: {error}");
        }
    };

    // Warm-up: libtorch sizes its buffers and thread pool on the first batches.
    let warm = &files[..files.len().min(batch)];
    engine.embed_images(warm, &cancel, &mut on_result, &mut |_| {})?;
    let report = engine.embed_images(&files, &cancel, &mut on_result, &mut |_| {})?;
    let end_to_end = report.embedded as f64 / report.timings.wall.as_secs_f64();

    // The model alone, on pictures preprocessed beforehand, for as many images.
    let preprocessor = engine.preprocessor();
    let mut pixels = Vec::with_capacity(batch * preprocessor.len());
    for path in files.iter().cycle().take(batch) {
        let image = crate::imaging::load_rgb(path, &crate::imaging::DecodeLimits::default())?;
        pixels.extend_from_slice(&preprocessor.pixels(&image)?);
    }
    let rounds = files.len().div_ceil(batch);
    let started = Instant::now();
    for _ in 0..rounds {
        engine.embed_pixels(&pixels, batch)?;
    }
    let model_only = (rounds * batch) as f64 / started.elapsed().as_secs_f64();

    let per_image = |total: std::time::Duration| {
        total.as_secs_f64() * 1000.0 / (report.embedded + report.failed).max(1) as f64
    };
    let mut out = std::io::stdout().lock();
    let device = match engine.model().device() {
        tch::Device::Cpu => "cpu".to_owned(),
        other => format!("{other:?}").to_lowercase(),
    };
    writeln!(
        out,
        "{}",
        i18n::fill(
            &gettext("{} images, batch {}, device {}, {} model threads"),
            &[&files.len(), &batch, &device, &tch::get_num_threads()],
        )
    )?;
    writeln!(
        out,
        "{}",
        i18n::fill(
            &gettext("End to end: {} images/s"),
            &[&format!("{end_to_end:.1}")]
        )
    )?;
    writeln!(
        out,
        "{}",
        i18n::fill(
            &gettext("Model only: {} images/s"),
            &[&format!("{model_only:.1}")]
        )
    )?;
    writeln!(
        out,
        "{}",
        i18n::fill(
            &gettext("End to end reaches {} of the model-only rate"),
            &[&format!("{:.2}", end_to_end / model_only)]
        )
    )?;
    writeln!(
        out,
        "{}",
        i18n::fill(
            &gettext("Per image: decode {} ms, preprocess {} ms (on helper threads), model {} ms"),
            &[
                &format!("{:.2}", per_image(report.timings.decode)),
                &format!("{:.2}", per_image(report.timings.preprocess)),
                &format!("{:.2}", per_image(report.timings.model)),
            ],
        )
    )?;
    if let Some(peak) = peak_memory_mib() {
        writeln!(
            out,
            "{}",
            i18n::fill(&gettext("Peak memory: {} MiB"), &[&peak])
        )?;
    }
    Ok(if failures > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// Image files directly inside `dir`, sorted by name.
fn images_in(dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    const EXTENSIONS: [&str; 8] = ["jpg", "jpeg", "png", "webp", "gif", "bmp", "tif", "tiff"];
    let entries = std::fs::read_dir(dir)
        .with_context(|| i18n::fill(&gettext("cannot read the folder {}"), &[&dir.display()]))?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| {
            path.extension()
                .and_then(|ext| ext.to_str())
                .is_some_and(|ext| EXTENSIONS.contains(&ext.to_ascii_lowercase().as_str()))
        })
        .collect();
    files.sort();
    Ok(files)
}

/// The process's peak resident memory, from Linux's `/proc`.
fn peak_memory_mib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|line| line.starts_with("VmHWM:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024)
}
