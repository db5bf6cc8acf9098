//! `vistazo interiors …`: the command-line face of the interiors module.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::Subcommand;

use super::GlobalOptions;
use crate::db::Database;
use crate::i18n::{fill, gettext, ngettext};
use crate::interiors::Quality;
use crate::interiors::rounds::{self, DEFAULT_MIN_CONFIDENCE};
use crate::interiors::training::TrainingOptions;

#[derive(Debug, Subcommand)]
pub enum InteriorsCommand {
    #[command(about = gettext("Read labels made elsewhere from a CSV file of path,label rows"))]
    ImportLabels {
        #[arg(value_name = "CSV")]
        csv: PathBuf,
    },
    #[command(about = gettext("Train the quality head and the pairwise ranker on the labelled photos"))]
    Train {
        #[arg(long, help = gettext("Print the metrics as JSON"))]
        json: bool,
    },
    #[command(about = gettext("Label the unlabelled photos the model is confident about"))]
    AutoLabel {
        #[arg(long, value_name = "F", default_value_t = DEFAULT_MIN_CONFIDENCE, value_parser = super::fraction, help = gettext("Smallest margin between the two likeliest labels"))]
        min_confidence: f64,
        #[arg(long, help = gettext("Print the result as JSON"))]
        json: bool,
    },
}

pub fn run(global: &GlobalOptions, command: InteriorsCommand) -> anyhow::Result<()> {
    let path = global.database_path()?;
    let mut db = crate::db::open(&path)?;
    match command {
        InteriorsCommand::ImportLabels { csv } => import_labels(&mut db, &csv),
        InteriorsCommand::Train { json } => train(&mut db, json),
        InteriorsCommand::AutoLabel {
            min_confidence,
            json,
        } => auto_label(&mut db, min_confidence, json),
    }
}

fn import_labels(db: &mut Database, csv_path: &Path) -> anyhow::Result<()> {
    let base = csv_path.parent().unwrap_or(Path::new("."));
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_path(csv_path)
        .with_context(|| fill(&gettext("cannot read {}"), &[&csv_path.display()]))?;
    let (mut labelled, mut skipped) = (0usize, 0usize);
    let mut stderr = std::io::stderr().lock();
    for (index, record) in reader.records().enumerate() {
        let line = index + 1;
        let record = record.with_context(|| {
            fill(
                &gettext("{}: line {} is not valid CSV"),
                &[&csv_path.display(), &line],
            )
        })?;
        let (Some(path), Some(label)) = (record.get(0), record.get(1)) else {
            skipped += 1;
            writeln!(
                stderr,
                "{}",
                fill(&gettext("line {}: expected path,label"), &[&line])
            )?;
            continue;
        };
        if line == 1 && path.eq_ignore_ascii_case("path") && label.eq_ignore_ascii_case("label") {
            continue;
        }
        let quality: Quality = match label.parse() {
            Ok(quality) => quality,
            Err(error) => {
                skipped += 1;
                writeln!(
                    stderr,
                    "{}",
                    fill(&gettext("line {}: {}"), &[&line, &error])
                )?;
                continue;
            }
        };
        let photo = resolve(base, path);
        match db.photo_id_by_path(&photo.to_string_lossy())? {
            Some(id) => {
                db.set_human_label(id, quality)?;
                labelled += 1;
            }
            None => {
                skipped += 1;
                writeln!(
                    stderr,
                    "{}",
                    fill(
                        &gettext("line {}: {} has not been imported"),
                        &[&line, &photo.display()]
                    )
                )?;
            }
        }
    }
    println!(
        "{}",
        fill(
            &ngettext(
                "Labelled {} photo; {} rows skipped.",
                "Labelled {} photos; {} rows skipped.",
                labelled as u32
            ),
            &[&labelled, &skipped]
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
        return Ok(());
    }
    println!(
        "{}",
        fill(
            &gettext(
                "Training round {}: {} human and {} automatic labels (bad {}, medium {}, good {})."
            ),
            &[
                &report.round,
                &report.human_labels,
                &report.auto_labels,
                &report.counts.bad,
                &report.counts.medium,
                &report.counts.good
            ]
        )
    );
    match &report.evaluation {
        Some(evaluation) => {
            println!(
                "{}",
                fill(
                    &gettext("Accuracy on human labels, {}-fold cross-validation: {}%"),
                    &[
                        &evaluation.folds,
                        &format!("{:.1}", evaluation.accuracy * 100.0)
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
    Ok(())
}

fn auto_label(db: &mut Database, min_confidence: f64, json: bool) -> anyhow::Result<()> {
    let report = rounds::auto_label(db, min_confidence)?;
    if json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        println!(
            "{}",
            fill(
                &gettext(
                    "Auto-label round {}: labelled {} of {} unlabelled photos (bad {}, medium {}, good {})."
                ),
                &[
                    &report.round,
                    &report.labeled,
                    &report.considered,
                    &report.counts.bad,
                    &report.counts.medium,
                    &report.counts.good
                ]
            )
        );
    }
    Ok(())
}
