//! The background worker of the Interiors page: it imports photos, trains the models on the
//! labels, labels automatically what the latest model is sure of, and scores the collection
//! for the results gallery (labels themselves are saved by [`super::labels`]). It owns its own database connection and uses the app's shared CLIP
//! engine, loaded on the first job that needs it (never in `init`, which runs on the main
//! thread).
//! Progress goes into the page's [`ProgressMonitor`]; a job stops within a second of its token
//! being cancelled and keeps what it finished.

use crate::ui::failure::{JobError, send};
use std::path::PathBuf;

use relm4::{ComponentSender, Worker};

use crate::db::{self, Database};
use crate::i18n::{fill, gettext};
use crate::interiors::charts::{self, ChartData};
use crate::interiors::filters::{self, FilterReport, Filters};
use crate::interiors::import::{self, ImportEvent, ImportSummary};
use crate::interiors::rounds::{self, InteriorsSummary};
use crate::interiors::scoring::{self, ScoredPhoto};
use crate::interiors::training::TrainingOptions;
use crate::jobs::{CancelToken, ProgressMonitor};
use crate::ui::background::give_way_to_the_window;
use crate::ui::collection_file::{Connection, OpenCollection};
use crate::ui::engine::SharedEngine;

#[derive(Debug)]
pub enum InteriorsJob {
    Import {
        folders: Vec<PathBuf>,
        cancel: CancelToken,
    },
    /// Score every photo with the latest model, for the gallery.
    Score,
    /// Save new filter thresholds, then score again.
    SetFilters(Filters),
    /// Gather what the charts show; the page draws them.
    Charts,
    /// Write every chart as PNG, with a summary, into a folder.
    ExportCharts(PathBuf),
    /// Train the models on the labelled photos.
    Train,
    /// Label the unlabelled photos the latest model is sure of.
    AutoLabel,
    /// The app switched to another collection: let go of the old one now.
    CollectionSwitched,
}

#[derive(Debug)]
pub enum InteriorsJobOutput {
    Imported {
        summary: ImportSummary,
        /// One line for each photo that could not be read.
        skipped: Vec<String>,
    },
    Scored(Vec<ScoredPhoto>),
    /// There is no trained model yet: nothing to score.
    NotTrained,
    Charts(Box<ChartData>),
    /// The files written.
    ChartsExported(Vec<PathBuf>),
    /// The filter thresholds in force, and what they set aside. Sent before each scoring.
    Filtered(Filters, FilterReport),
    /// A training or auto-labeling round finished: what to tell the user, and the new counts.
    Done {
        message: String,
        interiors: InteriorsSummary,
    },
    Failed(JobError),
}

pub struct InteriorsWorker {
    database: Connection<Database>,
    engine: SharedEngine,
    /// The worker's thread runs behind the window (set on its first job).
    lowered: bool,
    /// What the page shows of the job running.
    progress: ProgressMonitor,
}

impl Worker for InteriorsWorker {
    type Init = (OpenCollection, SharedEngine, ProgressMonitor);
    type Input = InteriorsJob;
    type Output = InteriorsJobOutput;

    fn init((collection, engine, progress): Self::Init, _sender: ComponentSender<Self>) -> Self {
        Self {
            database: Connection::new(collection),
            engine,
            lowered: false,
            progress,
        }
    }

    fn update(&mut self, job: InteriorsJob, sender: ComponentSender<Self>) {
        if !std::mem::replace(&mut self.lowered, true) {
            give_way_to_the_window();
        }
        let reply = match job {
            InteriorsJob::CollectionSwitched => {
                self.database.close_if_switched();
                return;
            }
            InteriorsJob::Import { folders, cancel } => self.import(&folders, &cancel),
            InteriorsJob::Score => self.score(&sender),
            InteriorsJob::Train => self.train(),
            InteriorsJob::AutoLabel => self.auto_label(),
            InteriorsJob::SetFilters(filters) => self
                .database()
                .and_then(|db| filters.save(db).map_err(JobError::from))
                .and_then(|()| self.score(&sender)),
            InteriorsJob::Charts => self
                .database()
                .and_then(|db| ChartData::gather(db).map_err(JobError::from))
                .map(|data| InteriorsJobOutput::Charts(Box::new(data))),
            InteriorsJob::ExportCharts(folder) => self.database().and_then(|db| {
                let data = ChartData::gather(db).map_err(JobError::from)?;
                charts::write_report(&data, &folder, super::EXPORT_SIZE)
                    .map(InteriorsJobOutput::ChartsExported)
                    .map_err(JobError::from)
            }),
        };
        let reply = reply.unwrap_or_else(InteriorsJobOutput::Failed);
        send(&sender, reply);
    }
}

impl InteriorsWorker {
    fn database(&mut self) -> Result<&mut Database, JobError> {
        open(&mut self.database)
    }

    fn import(
        &mut self,
        folders: &[PathBuf],
        cancel: &CancelToken,
    ) -> Result<InteriorsJobOutput, JobError> {
        let Self {
            database,
            engine,
            progress: monitor,
            ..
        } = self;
        let (summary, skipped) = engine.job(&mut |event| event.report_into(monitor), |loaded| {
            let database = open(database)?;
            monitor.started(None, gettext("Importing photos…"));
            let mut skipped = Vec::new();
            let summary = import::import(
                database,
                &loaded.engine,
                &loaded.model_id,
                folders,
                cancel,
                &mut |event| match event {
                    ImportEvent::Progress(progress) => {
                        monitor.reached(progress.done, progress.total);
                    }
                    ImportEvent::Skipped { path, reason } => {
                        skipped.push(format!("{}: {reason}", path.display()));
                    }
                    ImportEvent::Added { .. } | ImportEvent::Duplicate { .. } => {}
                },
            )
            .map_err(JobError::from)?;
            Ok((summary, skipped))
        })?;
        Ok(InteriorsJobOutput::Imported { summary, skipped })
    }

    fn train(&mut self) -> Result<InteriorsJobOutput, JobError> {
        let database = self.database()?;
        let report =
            rounds::train(database, &TrainingOptions::default()).map_err(JobError::from)?;
        let message = match report.evaluation {
            Some(evaluation) => fill(
                &gettext("Training round {round} done: {percent}% of your labels rated right"),
                &[
                    ("round", &report.round),
                    ("percent", &format!("{:.0}", evaluation.accuracy * 100.0)),
                ],
            ),
            None => fill(
                &gettext(
                    "Training round {round} done; label at least two photos of each kind to measure it",
                ),
                &[("round", &report.round)],
            ),
        };
        self.done(message)
    }

    fn auto_label(&mut self) -> Result<InteriorsJobOutput, JobError> {
        let database = self.database()?;
        let report =
            rounds::auto_label(database, rounds::DEFAULT_MIN_CONFIDENCE).map_err(JobError::from)?;
        let message = fill(
            &gettext("Labelled {labeled} of {considered} unlabelled photos automatically"),
            &[
                ("labeled", &report.labeled),
                ("considered", &report.considered),
            ],
        );
        self.done(message)
    }

    fn done(&mut self, message: String) -> Result<InteriorsJobOutput, JobError> {
        let interiors = rounds::summary(self.database()?).map_err(JobError::from)?;
        Ok(InteriorsJobOutput::Done { message, interiors })
    }

    fn score(&mut self, sender: &ComponentSender<Self>) -> Result<InteriorsJobOutput, JobError> {
        let database = self.database()?;
        let filters = Filters::load(database).map_err(JobError::from)?;
        let set_aside = filters::report(database, &filters).map_err(JobError::from)?;
        if sender
            .output(InteriorsJobOutput::Filtered(filters, set_aside))
            .is_err()
        {
            tracing::debug!("the Interiors page closed during a job");
        }
        if database
            .latest_training_round()
            .map_err(JobError::from)?
            .is_none()
        {
            return Ok(InteriorsJobOutput::NotTrained);
        }
        // The model only gives the prompts' embeddings (once, then kept): scoring reads the
        // stored ones, so it need not wait for another page's job.
        let monitor = &self.progress;
        let (model_id, prompts) = self
            .engine
            .now(&mut |event| event.report_into(monitor), |loaded| {
                Ok((loaded.model_id.clone(), loaded.prompts()?.clone()))
            })?;
        self.progress.started(None, gettext("Scoring the photos…"));
        let scored = scoring::score_collection(
            self.database()?,
            &model_id,
            &prompts,
            &filters.visual,
            &filters.semantic,
        )
        .map_err(JobError::from)?;
        Ok(InteriorsJobOutput::Scored(scored))
    }
}

fn open(connection: &mut Connection<Database>) -> Result<&mut Database, JobError> {
    connection.get_or_open(|path| db::open(path).map_err(JobError::from))
}
