//! `vistazo interiors …`: the command-line face of the interiors module.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::Subcommand;
use clap::builder::TypedValueParser;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use sha2::{Digest, Sha256};

use super::GlobalOptions;
use crate::db::Database;
use crate::i18n::{self, fill, gettext, ngettext};
use crate::imaging;
use crate::interiors::Quality;
use crate::interiors::active;
use crate::interiors::charts::{self, ChartData};
use crate::interiors::filters::{self, Filters};
use crate::interiors::import::{self, ImportEvent, ImportSummary};
use crate::interiors::rounds::{self, AutoLabelReport, DEFAULT_MIN_CONFIDENCE, TrainingReport};
use crate::interiors::scoring::{self, ScoreCard};
use crate::interiors::training::TrainingOptions;
use crate::jobs::CancelToken;

#[derive(Debug, Subcommand)]
pub enum InteriorsCommand {
    #[command(about = gettext("Import the photos in folders: measure, embed and read each one"))]
    Import {
        #[arg(required = true, value_name = "DIR", help = gettext("Folders to search for photos, with their subfolders"))]
        folders: Vec<PathBuf>,
        #[arg(long, help = gettext("Print the counts and the photos left out as one JSON object"))]
        json: bool,
    },
    #[command(about = gettext("Read labels made elsewhere from a CSV file of path,label rows"))]
    ImportLabels {
        #[arg(value_name = "CSV")]
        csv: PathBuf,
        #[arg(long, help = gettext("Print the count and the rows left out as one JSON object"))]
        json: bool,
    },
    #[command(about = gettext("Train the quality head and the pairwise ranker on the labelled photos"))]
    Train {
        #[arg(long, help = gettext("Print the metrics as JSON"))]
        json: bool,
    },
    #[command(about = gettext("List the unlabelled photos to label next: those that teach the model most"))]
    Next {
        #[arg(long, value_name = "N", default_value_t = active::DEFAULT_COUNT, value_parser = clap::value_parser!(u64).range(1..=100_000).map(|n| n as usize), help = gettext("How many photos to list"))]
        count: usize,
        #[arg(long, help = gettext("Print an array of {\"file\", \"reason\"} objects as JSON"))]
        json: bool,
    },
    #[command(about = gettext("Label the unlabelled photos the model is confident about"))]
    AutoLabel {
        #[arg(long, value_name = "F", default_value_t = DEFAULT_MIN_CONFIDENCE, value_parser = super::fraction, help = gettext("Smallest margin between the two likeliest labels"))]
        min_confidence: f64,
        #[arg(long, help = gettext("Print the result as JSON"))]
        json: bool,
    },
    #[command(about = gettext("Show or change the filter thresholds, and count what they set aside"))]
    Filter {
        #[arg(long, value_name = "F", value_parser = super::fraction, help = gettext("Darkest mean brightness a photo may have (0-1)"))]
        min_brightness: Option<f64>,
        #[arg(long, value_name = "F", value_parser = super::fraction, help = gettext("Brightest mean brightness a photo may have (0-1)"))]
        max_brightness: Option<f64>,
        #[arg(long, value_name = "F", value_parser = contrast, help = gettext("Lowest contrast a photo may have (0-0.5)"))]
        min_contrast: Option<f64>,
        #[arg(long, value_name = "F", value_parser = super::non_negative, help = gettext("Lowest sharpness (variance of the Laplacian) a photo may have"))]
        min_sharpness: Option<f64>,
        #[arg(long, value_name = "F", value_parser = super::non_negative, help = gettext("Fewest megapixels a photo may have"))]
        min_megapixels: Option<f64>,
        #[arg(long, value_name = "F", value_parser = super::fraction, help = gettext("Lowest probability of showing an interior (0-1)"))]
        min_indoor: Option<f64>,
        #[arg(long, value_name = "F", value_parser = super::fraction, help = gettext("Lowest room score (0-1)"))]
        min_room: Option<f64>,
        #[arg(long, help = gettext("Go back to the default thresholds"))]
        reset: bool,
        #[arg(long, help = gettext("Print the thresholds and counts as JSON"))]
        json: bool,
    },
    #[command(about = gettext("Score photos from 0 to 100 and explain the score"))]
    Score {
        #[arg(required = true, value_name = "FILE")]
        files: Vec<PathBuf>,
        #[arg(long, help = gettext("Print one JSON object per photo"))]
        json: bool,
    },
    #[command(about = gettext("The whole flow in one command: import, filter, label, train"))]
    Pipeline {
        #[arg(value_name = "DIR", help = gettext("Folders of photos to import first; without them, the photos already imported"))]
        folders: Vec<PathBuf>,
        #[arg(long, help = gettext("Label automatically where the model is confident instead of opening the labeling view"))]
        auto: bool,
        #[arg(long, value_name = "F", default_value_t = DEFAULT_MIN_CONFIDENCE, value_parser = super::fraction, help = gettext("Smallest margin between the two likeliest labels"))]
        min_confidence: f64,
    },
    #[command(about = gettext("Draw the charts of the photos, their labels and the model as PNG files"))]
    Report {
        #[arg(long, value_name = "DIR", help = gettext("Folder to write the charts to"))]
        out: PathBuf,
        #[arg(long, default_value_t = charts::DEFAULT_SIZE.0, value_parser = clap::value_parser!(u32).range(200..=8000), help = gettext("Width of each chart in pixels"))]
        width: u32,
        #[arg(long, default_value_t = charts::DEFAULT_SIZE.1, value_parser = clap::value_parser!(u32).range(150..=8000), help = gettext("Height of each chart in pixels"))]
        height: u32,
    },
}

/// A contrast threshold: the standard deviation of brightness, which is at most 0.5.
fn contrast(value: &str) -> Result<f64, String> {
    match value.trim().parse::<f64>() {
        Ok(number) if (0.0..=0.5).contains(&number) => Ok(number),
        _ => Err(gettext("expected a number between 0 and 0.5")),
    }
}

pub fn run(global: &GlobalOptions, command: InteriorsCommand) -> anyhow::Result<()> {
    let mut db = match command {
        InteriorsCommand::Import { .. } | InteriorsCommand::Pipeline { .. } => {
            global.open_or_start_collection()?
        }
        _ => global.open_collection()?,
    };
    match command {
        InteriorsCommand::Import { folders, json } => import(global, &mut db, &folders, json),
        InteriorsCommand::Score { files, json } => score(global, &mut db, &files, json),
        InteriorsCommand::ImportLabels { csv, json } => import_labels(&mut db, &csv, json),
        InteriorsCommand::Filter {
            min_brightness,
            max_brightness,
            min_contrast,
            min_sharpness,
            min_megapixels,
            min_indoor,
            min_room,
            reset,
            json,
        } => {
            let mut filters = if reset {
                Filters::default()
            } else {
                Filters::load(&mut db)?
            };
            let visual = &mut filters.visual;
            let semantic = &mut filters.semantic;
            let changes = [
                (min_brightness, &mut visual.min_brightness),
                (max_brightness, &mut visual.max_brightness),
                (min_contrast, &mut visual.min_contrast),
                (min_sharpness, &mut visual.min_sharpness),
                (min_megapixels, &mut visual.min_megapixels),
                (min_indoor, &mut semantic.min_indoor),
                (min_room, &mut semantic.min_room),
            ];
            let mut changed = reset;
            for (wanted, threshold) in changes {
                if let Some(value) = wanted {
                    *threshold = value;
                    changed = true;
                }
            }
            if changed {
                filters.save(&mut db)?;
            }
            filter(&mut db, &filters, json)
        }
        InteriorsCommand::Train { json } => train(&mut db, json),
        InteriorsCommand::Next { count, json } => next(&mut db, count, json),
        InteriorsCommand::AutoLabel {
            min_confidence,
            json,
        } => auto_label(&mut db, min_confidence, json),
        InteriorsCommand::Report { out, width, height } => report(&mut db, &out, (width, height)),
        InteriorsCommand::Pipeline {
            folders,
            auto,
            min_confidence,
        } => super::pipeline::run(
            global,
            &mut db,
            &super::pipeline::PipelineOptions {
                folders,
                auto,
                min_confidence,
            },
        ),
    }
}

/// Prints the thresholds and what they set aside.
fn filter(db: &mut Database, filters: &Filters, json: bool) -> anyhow::Result<()> {
    let report = filters::report(db, filters)?;
    if json {
        let value = serde_json::json!({ "thresholds": filters, "photos": report });
        println!("{value}");
        return Ok(());
    }
    let visual = &filters.visual;
    let semantic = &filters.semantic;
    println!(
        "{}",
        fill(
            &gettext(
                "Thresholds: brightness {min_brightness} to {max_brightness}, contrast {min_contrast}, sharpness {min_sharpness}, size {min_megapixels} MP, interior {min_indoor}, room {min_room}"
            ),
            &[
                ("min_brightness", &visual.min_brightness),
                ("max_brightness", &visual.max_brightness),
                ("min_contrast", &visual.min_contrast),
                ("min_sharpness", &visual.min_sharpness),
                ("min_megapixels", &visual.min_megapixels),
                ("min_indoor", &semantic.min_indoor),
                ("min_room", &semantic.min_room)
            ]
        )
    );
    println!(
        "{}",
        fill(
            &ngettext(
                "{photos} photo: {kept} kept, {set_aside} set aside (kept in the collection)",
                "{photos} photos: {kept} kept, {set_aside} set aside (kept in the collection)",
                report.photos as u32
            ),
            &[
                ("photos", &report.photos),
                ("kept", &report.kept),
                ("set_aside", &report.set_aside())
            ]
        )
    );
    let reasons = [
        (gettext("too dark"), report.too_dark),
        (gettext("too bright"), report.too_bright),
        (gettext("low contrast"), report.low_contrast),
        (gettext("blurry"), report.blurry),
        (gettext("too small"), report.too_small),
        (gettext("not a room"), report.not_a_room),
        (gettext("not measured yet"), report.unmeasured),
    ];
    for (reason, count) in reasons {
        if count > 0 {
            println!("  {reason}: {count}");
        }
    }
    Ok(())
}

fn import(
    global: &GlobalOptions,
    db: &mut Database,
    folders: &[PathBuf],
    json: bool,
) -> anyhow::Result<()> {
    let cancel = super::cancel_on_interrupt(gettext(
        "Stopping after the current batch; the photos imported so far are kept.",
    ));
    let bar = progress_bar("[{bar:30}] {pos}/{len} {per_sec} {eta}");
    let (mut skipped, mut duplicates) = (Vec::new(), Vec::new());
    let summary = import_into(
        global,
        db,
        folders,
        &cancel,
        &bar,
        &mut |event| match event {
            ImportEvent::Skipped { path, reason } => {
                skipped
                    .push(serde_json::json!({ "path": path.to_string_lossy(), "reason": reason }));
            }
            ImportEvent::Duplicate { path, of } => {
                duplicates.push(serde_json::json!({ "path": path.to_string_lossy(), "of": of }));
            }
            ImportEvent::Added { .. } | ImportEvent::Progress(_) => {}
        },
    )?;
    bar.finish_and_clear();
    if json {
        let value = serde_json::json!({
            "found": summary.found,
            "added": summary.added + summary.refreshed,
            "known": summary.known,
            "duplicates": duplicates,
            "skipped": skipped,
            "truncated": summary.truncated,
            "cancelled": summary.cancelled,
        });
        println!("{value}");
    } else {
        print_import(&summary);
    }
    if summary.cancelled {
        anyhow::bail!(gettext("the import was cancelled; run it again to go on"));
    }
    Ok(())
}

/// A progress bar on stderr when it is a terminal, hidden otherwise.
pub(super) fn progress_bar(template: &str) -> ProgressBar {
    let bar = ProgressBar::hidden();
    if std::io::stderr().is_terminal() {
        bar.set_draw_target(ProgressDrawTarget::stderr());
        bar.set_style(
            ProgressStyle::with_template(template)
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
        );
    }
    bar
}

/// Imports the photos under `folders`, showing progress on `bar` and what was skipped above it.
pub(super) fn import_into(
    global: &GlobalOptions,
    db: &mut Database,
    folders: &[PathBuf],
    cancel: &CancelToken,
    bar: &ProgressBar,
    observe: &mut dyn FnMut(&ImportEvent),
) -> anyhow::Result<ImportSummary> {
    for folder in folders {
        if !folder.is_dir() {
            anyhow::bail!(fill(
                &gettext("{folder} is not a folder"),
                &[("folder", &folder.display())]
            ));
        }
    }
    let files = global.locate_model()?;
    let engine = global.load_engine_from(&files, 16)?;
    let summary = import::import(
        db,
        &engine,
        &files.model_id(),
        folders,
        cancel,
        &mut |event| {
            observe(&event);
            render_import(bar, event)
        },
    )?;
    Ok(summary)
}

/// Shows an import's progress on `bar`, and each photo left out above it on stderr.
fn render_import(bar: &ProgressBar, event: ImportEvent) {
    match event {
        ImportEvent::Progress(progress) => {
            bar.set_length(progress.total);
            bar.set_position(progress.done);
        }
        ImportEvent::Skipped { path, reason } => {
            bar.suspend(|| {
                eprintln!(
                    "{}",
                    fill(
                        &gettext("Skipped {path}: {reason}"),
                        &[("path", &path.display()), ("reason", &reason)]
                    )
                )
            });
        }
        ImportEvent::Duplicate { path, of } => {
            bar.suspend(|| {
                eprintln!(
                    "{}",
                    fill(
                        &gettext("{path} is the same picture as photo {photo}"),
                        &[("path", &path.display()), ("photo", &of)]
                    )
                )
            });
        }
        ImportEvent::Added { .. } => {}
    }
}

pub(super) fn print_import(summary: &ImportSummary) {
    println!(
        "{}",
        fill(
            &gettext(
                "Found {found} photos: {added} added, {known} already imported, {duplicates} duplicates, {skipped} skipped."
            ),
            &[
                ("found", &summary.found),
                ("added", &(summary.added + summary.refreshed)),
                ("known", &summary.known),
                ("duplicates", &summary.duplicates),
                ("skipped", &summary.skipped)
            ]
        )
    );
    let n = summary.truncated;
    if n > 0 {
        println!(
            "{}",
            fill(
                &ngettext(
                    "{count} of the skipped photos is a truncated image: its file ends before the picture does.",
                    "{count} of the skipped photos are truncated images: their files end before the picture does.",
                    super::plural(n as u64),
                ),
                &[("count", &n)]
            )
        );
    }
}

fn score(
    global: &GlobalOptions,
    db: &mut Database,
    files: &[PathBuf],
    json: bool,
) -> anyhow::Result<()> {
    let model_files = global.locate_model()?;
    let (_, model) = rounds::latest_model_for(db, Some(&model_files.model_id()))?;
    let engine = global.load_engine_from(&model_files, 16)?;
    let prompts = import::prompt_embeddings(&engine)?;
    let mut cards: Vec<Option<Result<ScoreCard, String>>> = vec![None; files.len()];
    scoring::score_files(
        &engine,
        &model,
        &prompts,
        files,
        &CancelToken::new(),
        &mut |index, card| {
            cards[index] = Some(card);
        },
    )?;
    let mut failed = 0;
    let mut out = std::io::stdout().lock();
    for (file, card) in files.iter().zip(cards) {
        match card {
            Some(Ok(card)) if json => writeln!(out, "{}", serde_json::to_string(&card)?)?,
            Some(Ok(card)) => {
                writeln!(
                    out,
                    "{}  {:>5.1}  {:<6}  {}",
                    card.file, card.score, card.bucket, card.caption
                )?;
                for line in &card.review {
                    writeln!(out, "    · {line}")?;
                }
            }
            Some(Err(reason)) => {
                failed += 1;
                eprintln!(
                    "{}",
                    fill(
                        &gettext("cannot score {file}: {reason}"),
                        &[("file", &file.display()), ("reason", &reason)]
                    )
                );
            }
            None => {
                failed += 1;
                eprintln!(
                    "{}",
                    fill(
                        &gettext("cannot score {file}: {reason}"),
                        &[("file", &file.display()), ("reason", &gettext("not read"))]
                    )
                );
            }
        }
    }
    if failed > 0 {
        anyhow::bail!(fill(
            &gettext("{failed} of {total} photos could not be scored"),
            &[("failed", &failed), ("total", &files.len())]
        ));
    }
    Ok(())
}

fn import_labels(db: &mut Database, csv_path: &Path, json: bool) -> anyhow::Result<()> {
    let base = csv_path.parent().unwrap_or(Path::new("."));
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_path(csv_path)
        .with_context(|| {
            fill(
                &gettext("cannot read {path}"),
                &[("path", &csv_path.display())],
            )
        })?;
    let mut labelled = 0usize;
    let mut skipped_rows: Vec<serde_json::Value> = Vec::new();
    let mut stderr = std::io::stderr().lock();
    // Each row left out is told on stderr, and kept for --json.
    let mut skip = |line: usize, reason: String| -> std::io::Result<()> {
        writeln!(
            stderr,
            "{}",
            fill(
                &gettext("line {line}: {error}"),
                &[("line", &line), ("error", &reason)]
            )
        )?;
        skipped_rows.push(serde_json::json!({ "line": line, "reason": reason }));
        Ok(())
    };
    for (index, record) in reader.records().enumerate() {
        let line = index + 1;
        let record = record.with_context(|| {
            fill(
                &gettext("{path}: line {line} is not valid CSV"),
                &[("path", &csv_path.display()), ("line", &line)],
            )
        })?;
        let (Some(path), Some(label)) = (record.get(0), record.get(1)) else {
            skip(line, gettext("expected path,label"))?;
            continue;
        };
        if line == 1 && path.eq_ignore_ascii_case("path") && label.eq_ignore_ascii_case("label") {
            continue;
        }
        let quality: Quality = match label.parse() {
            Ok(quality) => quality,
            Err(error) => {
                skip(line, error.to_string())?;
                continue;
            }
        };
        let photo = resolve(base, path);
        let known = match db.photo_id_by_path(&photo.to_string_lossy())? {
            Some(id) => Some(id),
            // The same picture imported from another file (a duplicate) is the same photo.
            None => match imaging::read_file(&photo, imaging::MAX_FILE_BYTES) {
                Ok(bytes) => db.photo_id_by_hash(&format!("{:x}", Sha256::digest(&bytes)))?,
                Err(_) => None,
            },
        };
        match known {
            Some(id) => {
                db.set_human_label(id, quality)?;
                labelled += 1;
            }
            None => skip(
                line,
                fill(
                    &gettext("{photo} has not been imported"),
                    &[("photo", &i18n::echoed(&photo.to_string_lossy()))],
                ),
            )?,
        }
    }
    let skipped = skipped_rows.len();
    if json {
        let value = serde_json::json!({ "labelled": labelled, "skipped": skipped_rows });
        println!("{value}");
        return Ok(());
    }
    println!(
        "{}",
        fill(
            &ngettext(
                "Labelled {labelled} photo; {skipped} rows skipped.",
                "Labelled {labelled} photos; {skipped} rows skipped.",
                labelled as u32
            ),
            &[("labelled", &labelled), ("skipped", &skipped)]
        )
    );
    Ok(())
}

/// A path from the CSV as it was recorded at import: absolute, relative ones taken from the
/// CSV's folder, symbolic links resolved when the file exists.
fn resolve(base: &Path, path: &str) -> PathBuf {
    let path = Path::new(path);
    let joined = if path.is_absolute() {
        path.to_owned()
    } else {
        base.join(path)
    };
    std::fs::canonicalize(&joined).unwrap_or(joined)
}

fn train(db: &mut Database, json: bool) -> anyhow::Result<()> {
    let report = rounds::train(db, &TrainingOptions::default())?;
    if json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print_training(&report);
    }
    Ok(())
}

pub(super) fn print_training(report: &TrainingReport) {
    println!(
        "{}",
        fill(
            &gettext(
                "Training round {round}: {human} human and {auto} automatic labels (bad {bad}, medium {medium}, good {good})."
            ),
            &[
                ("round", &report.round),
                ("human", &report.human_labels),
                ("auto", &report.auto_labels),
                ("bad", &report.counts.bad),
                ("medium", &report.counts.medium),
                ("good", &report.counts.good)
            ]
        )
    );
    match &report.evaluation {
        Some(evaluation) => {
            println!(
                "{}",
                fill(
                    &gettext("Accuracy on human labels, {folds}-fold cross-validation: {percent}%"),
                    &[
                        ("folds", &evaluation.folds),
                        ("percent", &format!("{:.1}", evaluation.accuracy * 100.0))
                    ]
                )
            );
            for (quality, recall) in Quality::ALL.iter().zip(evaluation.per_class) {
                if let Some(recall) = recall {
                    println!("  {:<7} {:>5.1}%", quality.as_str(), recall * 100.0);
                }
            }
            println!(
                "{}",
                gettext("Confusion matrix (rows: label, columns: prediction):")
            );
            for (quality, row) in Quality::ALL.iter().zip(evaluation.confusion) {
                println!(
                    "  {:<7} {:>5} {:>5} {:>5}",
                    quality.as_str(),
                    row[0],
                    row[1],
                    row[2]
                );
            }
        }
        None => println!(
            "{}",
            gettext("Not evaluated: each label needs at least two human-labelled photos.")
        ),
    }
    println!(
        "{}",
        fill(
            &gettext("The model reads {features}."),
            &[("features", &report.features.describe())]
        )
    );
    for trial in &report.trials {
        let Some(evaluation) = &trial.evaluation else {
            continue;
        };
        let folds: Vec<String> = evaluation
            .fold_accuracy
            .iter()
            .map(|a| format!("{:.1}", a * 100.0))
            .collect();
        println!(
            "  {}",
            fill(
                &gettext(
                    "{features}: accuracy {accuracy}%, pairs in order {pairs}%, per fold {folds}"
                ),
                &[
                    ("features", &trial.features.describe()),
                    ("accuracy", &format!("{:.1}", evaluation.accuracy * 100.0)),
                    (
                        "pairs",
                        &evaluation
                            .pair_accuracy
                            .map_or_else(|| "-".to_owned(), |p| format!("{:.1}", p * 100.0)),
                    ),
                    ("folds", &folds.join(" / ")),
                ]
            )
        );
    }
}

fn next(db: &mut Database, count: usize, json: bool) -> anyhow::Result<()> {
    let choices = active::next_photos(db, count)?;
    if json {
        let rows: Vec<serde_json::Value> = choices
            .iter()
            .map(|choice| {
                serde_json::json!({
                    "file": choice.path.to_string_lossy(),
                    "reason": choice.reason.describe(),
                })
            })
            .collect();
        println!("{}", serde_json::Value::Array(rows));
        return Ok(());
    }
    if choices.is_empty() {
        println!("{}", gettext("Every photo with an embedding is labelled."));
    }
    for choice in &choices {
        println!("{}\t{}", choice.path.display(), choice.reason.describe());
    }
    Ok(())
}

fn auto_label(db: &mut Database, min_confidence: f64, json: bool) -> anyhow::Result<()> {
    let report = rounds::auto_label(db, min_confidence)?;
    if json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print_auto_label(&report);
    }
    Ok(())
}

pub(super) fn print_auto_label(report: &AutoLabelReport) {
    println!(
        "{}",
        fill(
            &gettext(
                "Auto-label round {round}: labelled {labeled} of {considered} unlabelled photos (bad {bad}, medium {medium}, good {good})."
            ),
            &[
                ("round", &report.round),
                ("labeled", &report.labeled),
                ("considered", &report.considered),
                ("bad", &report.counts.bad),
                ("medium", &report.counts.medium),
                ("good", &report.counts.good)
            ]
        )
    );
}

fn report(db: &mut Database, out: &Path, size: (u32, u32)) -> anyhow::Result<()> {
    let data = ChartData::gather(db)?;
    let written = charts::write_report(&data, out, size)?;
    for path in written {
        println!("{}", path.display());
    }
    Ok(())
}

/// `vistazo bench train`: a full training round (cross-validation of every choice of features
/// included) on `labels` synthetic 512-d embeddings whose quality lies along a hidden
/// direction, with pixel measurements that follow the quality loosely.
pub fn bench_train(labels: usize, rounds: usize) -> anyhow::Result<()> {
    use crate::interiors::metrics::{FaultMeasurements, PixelMetrics};
    use crate::interiors::training::{self, Example};
    use crate::interiors::{LabelSource, Quality};
    use crate::random::SplitMix64;
    let dim = 512;
    let mut rng = SplitMix64::new(42);
    let direction: Vec<f64> = (0..dim).map(|_| rng.normal()).collect();
    let examples: Vec<Example> = (0..labels)
        .map(|i| {
            let quality = Quality::ALL[i % 3];
            let v: Vec<f64> = direction
                .iter()
                .map(|d| d * (quality.index() as f64 - 1.0) * 0.05 + rng.normal() * 0.04 + 0.02)
                .collect();
            let norm = v.iter().map(|x| x * x).sum::<f64>().sqrt();
            let q = quality.index() as f64;
            let measurements = PixelMetrics {
                brightness: 0.3 + 0.1 * q + 0.05 * rng.normal(),
                contrast: 0.15 + 0.03 * rng.normal(),
                sharpness: (200.0 + 100.0 * q + 50.0 * rng.normal()).max(0.0),
                colourfulness: 30.0 + 5.0 * rng.normal(),
                faults: Some(FaultMeasurements {
                    noise: (3.0 - q + rng.normal()).max(0.0),
                    tilt: (4.0 - 2.0 * q + rng.normal()).abs(),
                    straightness: 0.5 + 0.1 * rng.normal(),
                    colour_variety: (12.0 + 3.0 * rng.normal()).max(1.0),
                }),
                width: 1600,
                height: 1200,
            };
            Example {
                embedding: v.iter().map(|x| (x / norm) as f32).collect(),
                measurements: Some(measurements),
                quality,
                source: if i % 4 == 0 {
                    LabelSource::Auto
                } else {
                    LabelSource::Human
                },
            }
        })
        .collect();
    let mut times = Vec::new();
    let mut accuracy = None;
    for _ in 0..rounds.max(1) {
        let started = std::time::Instant::now();
        let model = training::train(&examples, &TrainingOptions::default())?;
        times.push(started.elapsed().as_secs_f64());
        accuracy = model.evaluation.map(|e| e.accuracy);
    }
    times.sort_by(f64::total_cmp);
    println!(
        "{}",
        fill(
            &gettext(
                "Training on {labels} labelled embeddings: {seconds} s (median of {rounds}), cross-validated accuracy {accuracy}"
            ),
            &[
                ("labels", &labels),
                ("seconds", &format!("{:.2}", times[times.len() / 2])),
                ("rounds", &times.len()),
                (
                    "accuracy",
                    &accuracy.map_or_else(|| "-".to_owned(), |a| format!("{:.3}", a))
                )
            ]
        )
    );
    Ok(())
}
