//! `vistazo interiors pipeline [DIR...] [--auto]`: the whole interiors flow in one command.
//! Import (measure, embed, read the semantics) → filter → label (the labeling view of the app,
//! or automatic labels with `--auto`) → train. One progress line, Ctrl+C stops between steps
//! and keeps what is done.

use std::path::PathBuf;
use std::process::Command;

use clap::ValueEnum;
use indicatif::ProgressBar;

use super::GlobalOptions;
use super::interiors::{import_into, print_auto_label, print_import, print_training, progress_bar};
use crate::db::Database;
use crate::i18n::{fill, gettext};
use crate::interiors::LabelSource;
use crate::interiors::rounds::{self, RoundError};
use crate::interiors::semantics::SemanticFilter;
use crate::interiors::training::{TrainingError, TrainingOptions};
use crate::jobs::CancelToken;

/// What the pipeline was asked to do.
#[derive(Debug, Clone)]
pub struct PipelineOptions {
    pub folders: Vec<PathBuf>,
    pub auto: bool,
    pub min_confidence: f64,
}

/// The steps in order, for the "step k of n" prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    Import,
    Filter,
    Label,
    Train,
}

struct Stages {
    steps: Vec<Step>,
    bar: ProgressBar,
}

impl Stages {
    fn start(&self, step: Step, message: String) {
        let k = self.steps.iter().position(|s| *s == step).unwrap_or(0) + 1;
        self.bar.set_prefix(format!("[{}/{}]", k, self.steps.len()));
        self.bar.set_message(message);
        self.bar.set_length(1);
        self.bar.set_position(0);
    }

    /// Prints a line above the progress display.
    fn say(&self, line: impl FnOnce()) {
        self.bar.suspend(line);
    }
}

pub fn run(
    global: &GlobalOptions,
    db: &mut Database,
    options: &PipelineOptions,
) -> anyhow::Result<()> {
    let cancel = super::cancel_on_interrupt(gettext(
        "Stopping after the current step; what is done so far is kept.",
    ));
    let mut steps = Vec::new();
    if !options.folders.is_empty() {
        steps.push(Step::Import);
    }
    steps.extend([Step::Filter, Step::Label, Step::Train]);
    let stages = Stages {
        steps,
        bar: progress_bar("{prefix} {msg} [{bar:30}] {pos}/{len} {eta}"),
    };

    if !options.folders.is_empty() {
        stages.start(Step::Import, gettext("Importing photos"));
        let summary = import_into(
            global,
            db,
            &options.folders,
            &cancel,
            &stages.bar,
            &mut |_| {},
        )?;
        stages.say(|| print_import(&summary));
        if summary.cancelled {
            return cancelled(&stages);
        }
    }

    stages.start(Step::Filter, gettext("Filtering"));
    filter(db, &stages)?;
    check(&cancel, &stages)?;

    if options.auto {
        auto_label(db, options.min_confidence, &stages)?;
    } else {
        label_in_app(global, db, &stages)?;
    }
    check(&cancel, &stages)?;

    stages.start(Step::Train, gettext("Training"));
    match rounds::train(db, &TrainingOptions::default()) {
        Ok(report) => stages.say(|| print_training(&report)),
        Err(RoundError::Training(TrainingError::NoExamples | TrainingError::OneQualityOnly))
            if !options.auto && !display_available() =>
        {
            // Nothing to train on yet: what to do next was said above.
        }
        Err(error) => {
            stages.bar.finish_and_clear();
            return Err(error.into());
        }
    }
    stages.bar.finish_and_clear();
    Ok(())
}

fn check(cancel: &CancelToken, stages: &Stages) -> anyhow::Result<()> {
    if cancel.is_cancelled() {
        cancelled(stages)
    } else {
        Ok(())
    }
}

fn cancelled(stages: &Stages) -> anyhow::Result<()> {
    stages.bar.finish_and_clear();
    anyhow::bail!(gettext(
        "the pipeline was cancelled; what it finished is kept: run it again to go on"
    ))
}

/// Says how many photos the semantic filter keeps; filtered-out photos stay imported.
fn filter(db: &mut Database, stages: &Stages) -> anyhow::Result<()> {
    let photos = db.photos()?;
    if photos.is_empty() {
        stages.bar.finish_and_clear();
        return Err(RoundError::NoPhotos.into());
    }
    let filter = SemanticFilter::default();
    let interiors = photos
        .iter()
        .filter(|p| match (p.indoor_score, p.room_score) {
            (Some(indoor), Some(room)) => indoor >= filter.min_indoor && room >= filter.min_room,
            _ => false,
        })
        .count();
    stages.bar.set_position(1);
    stages.say(|| {
        println!(
            "{}",
            fill(
                &gettext(
                    "Filter: {interiors} of {total} photos look like interiors; the others stay imported and visible."
                ),
                &[("interiors", &interiors), ("total", &photos.len())]
            )
        )
    });
    Ok(())
}

/// `--auto`: a model from the labels there are (or the latest one), automatic labels where
/// it is confident; the training step then learns from both.
fn auto_label(db: &mut Database, min_confidence: f64, stages: &Stages) -> anyhow::Result<()> {
    stages.start(Step::Label, gettext("Labeling automatically"));
    match rounds::train(db, &TrainingOptions::default()) {
        Ok(report) => stages.say(|| print_training(&report)),
        Err(RoundError::Training(TrainingError::NoExamples | TrainingError::OneQualityOnly))
            if rounds::latest_model(db).is_ok() => {}
        Err(RoundError::Training(TrainingError::NoExamples | TrainingError::OneQualityOnly)) => {
            stages.bar.finish_and_clear();
            anyhow::bail!(gettext(
                "automatic labels need a model: label a few photos of each quality first (vistazo gui --page label, or vistazo interiors import-labels CSV)"
            ));
        }
        Err(error) => {
            stages.bar.finish_and_clear();
            return Err(error.into());
        }
    }
    let report = rounds::auto_label(db, min_confidence)?;
    stages.bar.set_position(1);
    stages.say(|| print_auto_label(&report));
    Ok(())
}

/// Opens the app on the labeling view and waits until it is closed; without a display, says
/// how to label instead.
fn label_in_app(global: &GlobalOptions, db: &mut Database, stages: &Stages) -> anyhow::Result<()> {
    stages.start(Step::Label, gettext("Labeling"));
    if !display_available() {
        stages.say(|| {
            println!(
                "{}",
                gettext(
                    "No display to open the labeling view on. Label the photos with “vistazo gui --page label” on a computer with a display, or import labels made elsewhere with “vistazo interiors import-labels CSV”; then run “vistazo interiors train”."
                )
            )
        });
        return Ok(());
    }
    let before = human_labels(db)?;
    stages.say(|| {
        println!(
            "{}",
            gettext(
                "Opening the labeling view: 1 bad, 2 medium, 3 good. Close the window when you are done to train."
            )
        )
    });
    let program = std::env::current_exe()?;
    let mut command = Command::new(program);
    command.args(gui_arguments(global)?);
    let status = stages.bar.suspend(|| command.status())?;
    if !status.success() {
        stages.bar.finish_and_clear();
        anyhow::bail!(fill(
            &gettext("the labeling view ended with an error ({status})"),
            &[("status", &status)]
        ));
    }
    let after = human_labels(db)?;
    stages.bar.set_position(1);
    stages.say(|| {
        println!(
            "{}",
            fill(
                &gettext("Human labels: {before} before, {after} now."),
                &[("before", &before), ("after", &after)]
            )
        )
    });
    Ok(())
}

fn human_labels(db: &mut Database) -> anyhow::Result<usize> {
    Ok(db
        .photos()?
        .iter()
        .filter(|p| matches!(p.label, Some((_, LabelSource::Human))))
        .count())
}

/// The same database, model and device for the app, opened on the labeling view.
fn gui_arguments(global: &GlobalOptions) -> anyhow::Result<Vec<std::ffi::OsString>> {
    let mut args: Vec<std::ffi::OsString> = vec!["--db".into(), global.database_path()?.into()];
    if let Some(model) = &global.model {
        args.extend(["--model".into(), model.into()]);
    }
    if let Some(thumbnails) = &global.thumbnails {
        args.extend(["--thumbnails".into(), thumbnails.into()]);
    }
    if let Some(device) = global.device.to_possible_value() {
        args.extend(["--device".into(), device.get_name().into()]);
    }
    args.extend(["gui".into(), "--page".into(), "label".into()]);
    Ok(args)
}

/// Whether a window can be opened.
fn display_available() -> bool {
    ["DISPLAY", "WAYLAND_DISPLAY"]
        .iter()
        .any(|name| std::env::var_os(name).is_some_and(|v| !v.is_empty()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_app_gets_the_same_database_model_and_device() {
        let global = GlobalOptions {
            db: Some(PathBuf::from("/tmp/v.db")),
            model: Some(PathBuf::from("/models/clip")),
            device: crate::clip::DevicePreference::Cpu,
            thumbnails: None,
        };
        let args: Vec<String> = gui_arguments(&global)
            .unwrap()
            .into_iter()
            .map(|a| a.to_string_lossy().into_owned())
            .collect();
        assert_eq!(
            args,
            [
                "--db",
                "/tmp/v.db",
                "--model",
                "/models/clip",
                "--device",
                "cpu",
                "gui",
                "--page",
                "label"
            ]
        );
    }
}
