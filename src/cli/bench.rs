//! `vistazo bench`: timing the engine, classification, search, training and the processor's
//! matrix products, on generated or given data. Medians of several rounds, printed plainly.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context;
use clap::Subcommand;

use super::GlobalOptions;
use crate::clip::{Decoding, mkl};
use crate::i18n::{self, gettext};
use crate::jobs::CancelToken;

/// What `vistazo bench` measures.
#[derive(Debug, Subcommand)]
pub enum BenchTarget {
    #[command(about = gettext("Time image embedding end to end and per phase on a folder of images"))]
    Embed {
        #[arg(value_name = "DIR", help = gettext("Folder with the images to embed"))]
        dir: PathBuf,
        #[arg(long, default_value_t = 16, value_parser = clap::value_parser!(u32).range(1..=1024), help = gettext("Images per forward pass"))]
        batch: u32,
        #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..), help = gettext("Times to repeat each measurement; medians are reported"))]
        rounds: u32,
        #[arg(long, help = gettext("Print one JSON object"))]
        json: bool,
    },
    #[command(about = gettext("Time the cover search for many comics on synthetic embeddings"))]
    Classify {
        #[arg(long, default_value_t = 1_000, help = gettext("Owned comics to look up"))]
        comics: usize,
        #[arg(long, default_value_t = 200_000, help = gettext("Catalog covers to search"))]
        covers: usize,
    },
    #[command(about = gettext("Time searches by description or example over synthetic cover embeddings"))]
    Search {
        #[arg(long, default_value_t = 200_000, help = gettext("Covers to search"))]
        covers: usize,
        #[arg(long, default_value_t = 21, help = gettext("Queries to time; the median is reported"))]
        queries: usize,
    },
    #[command(about = gettext("Measure the fp32 matrix multiplication rate of this processor on the model's shapes, and which code path MKL takes"))]
    Gemm {
        #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..), help = gettext("Times to repeat the measurement; the median is reported"))]
        rounds: u32,
        #[arg(long, help = gettext("Print one JSON object"))]
        json: bool,
    },
    #[command(about = gettext("Time a training round of the interiors models on synthetic labelled embeddings"))]
    Train {
        #[arg(long, default_value_t = 5_000, help = gettext("Labelled photos to train on"))]
        labels: usize,
        #[arg(long, default_value_t = 3, help = gettext("Times to repeat each measurement; medians are reported"))]
        rounds: usize,
    },
}

/// `vistazo bench embed DIR [--batch N]`: end-to-end images per second, the model alone on
/// the same batches in the same run, and where the time goes.
/// `vistazo bench gemm`: the fp32 GEMM rate on ViT-B/32's shapes, the processor's vendor and
/// which vendor check MKL runs with.
fn bench_gemm(rounds: usize, json: bool) {
    let vendor = mkl::cpu_vendor();
    let check = mkl::vendor_check();
    let threads = tch::get_num_threads();
    let gflops = mkl::gemm_gflops(rounds);
    if json {
        let value = serde_json::json!({
            "gflops": gflops,
            "threads": threads,
            "cpu_vendor": vendor,
            "mkl_vendor_check": check,
        });
        println!("{value}");
        return;
    }
    println!(
        "{}",
        i18n::fill(
            &gettext("fp32 GEMM on ViT-B/32's shapes: {rate} GFLOP/s with {threads} threads"),
            &[("rate", &format!("{gflops:.1}")), ("threads", &threads)]
        )
    );
    let path = match check {
        mkl::VendorCheck::Bypassed => gettext(
            "MKL's vendor check: answered by Vistazo, so MKL takes its fast kernels on this processor",
        ),
        mkl::VendorCheck::Own => gettext("MKL's vendor check: MKL's own"),
    };
    println!("{path} ({vendor})");
}

pub fn bench(global: &GlobalOptions, target: &BenchTarget) -> anyhow::Result<ExitCode> {
    let (dir, batch, rounds, json) = match target {
        BenchTarget::Embed {
            dir,
            batch,
            rounds,
            json,
        } => (dir, batch, rounds, *json),
        BenchTarget::Classify { comics, covers } => {
            bench_classify(*comics, *covers)?;
            return Ok(ExitCode::SUCCESS);
        }
        BenchTarget::Search { covers, queries } => {
            super::search::bench(*covers, *queries)?;
            return Ok(ExitCode::SUCCESS);
        }
        BenchTarget::Train { labels, rounds } => {
            super::interiors::bench_train(*labels, *rounds)?;
            return Ok(ExitCode::SUCCESS);
        }
        BenchTarget::Gemm { rounds, json } => {
            bench_gemm(*rounds as usize, *json);
            return Ok(ExitCode::SUCCESS);
        }
    };
    let rounds = *rounds as usize;
    let files = images_in(dir)?;
    if files.is_empty() {
        anyhow::bail!(i18n::fill(
            &gettext("there are no images in {folder}"),
            &[("folder", &dir.display())]
        ));
    }
    let mut engine = global.load_engine(*batch as usize)?;
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

    // The model alone runs on pictures preprocessed beforehand, as many as the folder holds.
    let preprocessor = engine.preprocessor();
    let mut pixels = Vec::with_capacity(batch * preprocessor.len());
    for path in files.iter().cycle().take(batch) {
        let image = crate::imaging::load_rgb(path, &crate::imaging::DecodeLimits::default())?;
        pixels.extend_from_slice(&preprocessor.pixels(&image)?);
    }
    let batches = files.len().div_ceil(batch);

    // Rounds alternate the measurements so that all see the same load on a busy machine; the
    // medians are reported. End to end runs both ways of sharing the cores with decoding.
    let mut between_rates = Vec::with_capacity(rounds);
    let mut alongside_rates = Vec::with_capacity(rounds);
    let mut model_only_rates = Vec::with_capacity(rounds);
    let mut reports = Vec::with_capacity(rounds);
    for _ in 0..rounds {
        engine.set_decoding(Decoding::BetweenPasses);
        let report = engine.embed_images(&files, &cancel, &mut on_result, &mut |_| {})?;
        between_rates.push(report.embedded as f64 / report.timings.wall.as_secs_f64());
        reports.push(report);
        let started = Instant::now();
        for _ in 0..batches {
            engine.embed_pixels(&pixels, batch)?;
        }
        model_only_rates.push((batches * batch) as f64 / started.elapsed().as_secs_f64());
        engine.set_decoding(Decoding::AlongsidePasses);
        let report = engine.embed_images(&files, &cancel, &mut on_result, &mut |_| {})?;
        alongside_rates.push(report.embedded as f64 / report.timings.wall.as_secs_f64());
    }
    engine.set_decoding(Decoding::default());
    let between = median(&mut between_rates);
    let alongside = median(&mut alongside_rates);
    let model_only = median(&mut model_only_rates);
    reports.sort_by_key(|report| report.timings.wall);
    let report = reports[reports.len() / 2];
    let on_cpu = engine.model().device() == tch::Device::Cpu;
    let model_gflops = model_only * engine.model().config().image_flops() / 1e9;
    // The processor's own GEMM rate, measured now, is the ceiling the model is held against.
    let gemm_peak = on_cpu.then(|| mkl::gemm_gflops(5));

    let per_image = |total: std::time::Duration| {
        total.as_secs_f64() * 1000.0 / (report.embedded + report.failed).max(1) as f64
    };
    let device = match engine.model().device() {
        tch::Device::Cpu => "cpu".to_owned(),
        other => format!("{other:?}").to_lowercase(),
    };
    let threads = tch::get_num_threads();
    let peak_memory = peak_memory_mib();
    let mut out = std::io::stdout().lock();
    if json {
        let value = serde_json::json!({
            "images": files.len(),
            "batch": batch,
            "device": device,
            "threads": threads,
            "rounds": rounds,
            "end_to_end": between,
            "end_to_end_decoding_alongside": alongside,
            "model_only": model_only,
            "model_gflops": model_gflops,
            "gemm_gflops": gemm_peak,
            "decode_ms": per_image(report.timings.decode),
            "preprocess_ms": per_image(report.timings.preprocess),
            "model_ms": per_image(report.timings.model),
            "peak_memory_mib": peak_memory,
        });
        writeln!(out, "{value}")?;
        return Ok(exit_code(failures));
    }
    writeln!(
        out,
        "{}",
        i18n::fill(
            &gettext(
                "{count} images, batch {batch}, device {device}, {threads} model threads, medians of {rounds} rounds"
            ),
            &[
                ("count", &files.len()),
                ("batch", &batch),
                ("device", &device),
                ("threads", &threads),
                ("rounds", &rounds)
            ],
        )
    )?;
    writeln!(
        out,
        "{}",
        i18n::fill(
            &gettext("End to end: {rate} images/s (decoding between forward passes)"),
            &[("rate", &format!("{between:.1}"))]
        )
    )?;
    writeln!(
        out,
        "{}",
        i18n::fill(
            &gettext(
                "End to end with one decoding thread beside the forward passes: {rate} images/s"
            ),
            &[("rate", &format!("{alongside:.1}"))]
        )
    )?;
    writeln!(
        out,
        "{}",
        i18n::fill(
            &gettext("Model only: {rate} images/s, {gflops} GFLOP/s"),
            &[
                ("rate", &format!("{model_only:.1}")),
                ("gflops", &format!("{model_gflops:.1}"))
            ]
        )
    )?;
    if let Some(peak) = gemm_peak {
        writeln!(
            out,
            "{}",
            i18n::fill(
                &gettext(
                    "The model reaches {share} % of this processor's fp32 GEMM rate on its shapes ({peak} GFLOP/s)"
                ),
                &[
                    ("share", &format!("{:.0}", 100.0 * model_gflops / peak)),
                    ("peak", &format!("{peak:.1}"))
                ]
            )
        )?;
    }
    writeln!(
        out,
        "{}",
        i18n::fill(
            &gettext("End to end reaches {ratio} of the model-only rate"),
            &[("ratio", &format!("{:.2}", between / model_only))]
        )
    )?;
    writeln!(
        out,
        "{}",
        i18n::fill(
            &gettext(
                "Per image: decode {decode} ms, preprocess {preprocess} ms (on decoding threads), model {model} ms"
            ),
            &[
                (
                    "decode",
                    &format!("{:.2}", per_image(report.timings.decode))
                ),
                (
                    "preprocess",
                    &format!("{:.2}", per_image(report.timings.preprocess))
                ),
                ("model", &format!("{:.2}", per_image(report.timings.model)))
            ],
        )
    )?;
    if let Some(peak) = peak_memory {
        writeln!(
            out,
            "{}",
            i18n::fill(&gettext("Peak memory: {peak} MiB"), &[("peak", &peak)])
        )?;
    }
    Ok(exit_code(failures))
}

fn exit_code(failures: usize) -> ExitCode {
    if failures > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values.get(values.len() / 2).copied().unwrap_or(0.0)
}

/// Image files directly inside `dir`, sorted by name.
fn images_in(dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    const EXTENSIONS: [&str; 8] = ["jpg", "jpeg", "png", "webp", "gif", "bmp", "tif", "tiff"];
    let entries = std::fs::read_dir(dir).with_context(|| {
        i18n::fill(
            &gettext("cannot read the folder {folder}"),
            &[("folder", &dir.display())],
        )
    })?;
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

/// `vistazo bench classify`: builds the cover index from `covers` random unit vectors (two
/// variant covers per issue) and looks up `comics` queries with the real search code.
fn bench_classify(comics: usize, covers: usize) -> anyhow::Result<()> {
    use crate::db::matching::CatalogCoverRow;
    use crate::matching::index::CoverIndex;
    use crate::random::SplitMix64;
    let dims = 512;
    let mut rng = SplitMix64::new(7);
    let mut unit = || {
        let v: Vec<f32> = (0..dims).map(|_| rng.normal() as f32).collect();
        let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
        v.into_iter().map(|x| x / norm).collect::<Vec<f32>>()
    };
    let started = Instant::now();
    let rows: Vec<CatalogCoverRow> = (0..covers)
        .map(|i| CatalogCoverRow {
            id_cover: i as i32,
            id_comicbook_info: (i / 2) as i32,
            id_volume: (i / 200) as i32,
            volume_name: format!("Series {}", i / 200),
            numero: ((i / 2) % 100).to_string(),
            fecha_tapa: 1990,
            url_imagen: String::new(),
            variant: (i % 2) as i32,
            file_name: None,
        })
        .collect();
    let embeddings: Vec<(i64, Vec<f32>)> = (0..covers).map(|i| (i as i64, unit())).collect();
    let queries: Vec<Vec<f32>> = (0..comics).map(|_| unit()).collect();
    let index = CoverIndex::new(rows, embeddings);
    let built = started.elapsed();
    let peak_building = peak_memory_mib();
    // From here on the peak is the search's (Linux resets it on writing 5); memory freed while
    // building may stay with the process, so what the search adds is measured from here.
    let before_search = std::fs::write("/proc/self/clear_refs", "5")
        .ok()
        .and_then(|()| resident_memory_mib());
    let started = Instant::now();
    let slices: Vec<&[f32]> = queries.iter().map(Vec::as_slice).collect();
    let found: usize = index
        .nearest_issues_many(&slices, 8)?
        .iter()
        .map(Vec::len)
        .sum();
    let searched = started.elapsed();
    println!(
        "{}",
        i18n::fill(
            &gettext(
                "{comics} comics against {covers} covers: index built in {built} s, searched in {searched} s ({per_comic} ms a comic), {candidates} candidates"
            ),
            &[
                ("comics", &comics),
                ("covers", &covers),
                ("built", &format!("{:.2}", built.as_secs_f64())),
                ("searched", &format!("{:.2}", searched.as_secs_f64())),
                (
                    "per_comic",
                    &format!(
                        "{:.1}",
                        searched.as_secs_f64() * 1000.0 / comics.max(1) as f64
                    )
                ),
                ("candidates", &found)
            ]
        )
    );
    println!(
        "{}",
        i18n::fill(
            &gettext("Index: {size} MiB of cover vectors ({per_cover} bytes a cover)"),
            &[
                (
                    "size",
                    &format!("{:.1}", index.memory_bytes() as f64 / (1024.0 * 1024.0))
                ),
                ("per_cover", &(index.memory_bytes() / index.len().max(1)))
            ]
        )
    );
    if let Some(peak) = peak_building {
        println!(
            "{}",
            i18n::fill(
                &gettext("Peak memory while building: {peak} MiB"),
                &[("peak", &peak)]
            )
        );
    }
    if let (Some(before), Some(peak)) = (before_search, peak_memory_mib()) {
        println!(
            "{}",
            i18n::fill(
                &gettext("Memory the search added at its peak: {peak} MiB"),
                &[("peak", &peak.saturating_sub(before))]
            )
        );
    }
    Ok(())
}

/// The process's peak resident memory, from Linux's `/proc`.
fn peak_memory_mib() -> Option<u64> {
    memory_status_mib("VmHWM:")
}

/// The process's resident memory now, from Linux's `/proc`.
fn resident_memory_mib() -> Option<u64> {
    memory_status_mib("VmRSS:")
}

fn memory_status_mib(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|line| line.starts_with(field))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024)
}
