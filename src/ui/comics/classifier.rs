//! The worker behind "Classify Automatically": with the app's shared CLIP engine it computes
//! the cover embeddings still missing (catalog covers and the comics to classify), then
//! classifies the unclassified comics, storing a suggestion for each and applying the clear
//! matches when asked.
//!
//! A run stops between two batches or two comics when its cancel token is set; embeddings are
//! committed in batches and suggestions one comic at a time, so what was done stays and the
//! next run goes on from there.

use crate::ui::failure::{Failure, JobError, send};

use relm4::{ComponentSender, Worker};

use crate::ui::background::give_way_to_the_window;
use crate::ui::collection_file::{Connection, OpenCollection};
use crate::ui::engine::{EngineEvent, SharedEngine};

use crate::db::embeddings::Subject;
use crate::db::{self, Database};
use crate::i18n::gettext;
use crate::jobs::{CancelToken, Outcome, ProgressMonitor};
use crate::library::ThumbnailStore;
use crate::matching::{self, ClassifyEvent, ClassifyOptions, EmbedEvent, EmbedOptions};
use crate::ui::settings::SharedSettings;

#[derive(Debug)]
pub enum ClassifierInput {
    /// Classify, reporting into `progress`.
    Run {
        options: ClassifyOptions,
        cancel: CancelToken,
        progress: ProgressMonitor,
    },
    /// The app switched to another collection: let go of the old one now.
    CollectionSwitched,
}

/// How a run went, for the toast.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClassifyReport {
    pub outcome: Outcome,
    pub applied: u64,
    pub to_review: u64,
    /// Covers (of comics or the catalog) that could not be read.
    pub unreadable: u64,
}

#[derive(Debug)]
pub enum ClassifierOutput {
    Finished(ClassifyReport),
    Failed(JobError),
}

pub struct Classifier {
    /// The collection's settings, read when each job starts.
    settings: SharedSettings,
    /// The worker's thread runs behind the window (set on its first message).
    lowered: bool,
    connection: Connection<Database>,
    engine: SharedEngine,
}

impl Worker for Classifier {
    type Init = (OpenCollection, SharedSettings, SharedEngine);
    type Input = ClassifierInput;
    type Output = ClassifierOutput;

    fn init((collection, settings, engine): Self::Init, _sender: ComponentSender<Self>) -> Self {
        // Nothing heavy here: init runs on the main thread.
        Self {
            settings,
            connection: Connection::new(collection),
            engine,
            lowered: false,
        }
    }

    fn update(&mut self, message: ClassifierInput, sender: ComponentSender<Self>) {
        if !std::mem::replace(&mut self.lowered, true) {
            give_way_to_the_window();
        }
        let (options, cancel, monitor) = match message {
            ClassifierInput::Run {
                options,
                cancel,
                progress,
            } => (options, cancel, progress),
            ClassifierInput::CollectionSwitched => {
                self.connection.close_if_switched();
                return;
            }
        };
        let reply = match self.run(&options, &cancel, &monitor) {
            Ok(report) => ClassifierOutput::Finished(report),
            Err(reason) => ClassifierOutput::Failed(reason),
        };
        send(&sender, reply);
    }
}

impl Classifier {
    fn run(
        &mut self,
        options: &ClassifyOptions,
        cancel: &CancelToken,
        monitor: &ProgressMonitor,
    ) -> Result<ClassifyReport, JobError> {
        let Self {
            settings,
            connection,
            engine,
            ..
        } = self;
        let mut on_event = |event: EngineEvent| event.report_into(monitor);
        let mut result = ClassifyReport::cancelled();
        // The engine is needed for the embeddings only: another page's job may have it while
        // this one classifies.
        let model_id = engine.job(&mut on_event, |loaded| {
            if cancel.is_cancelled() {
                return Ok(None);
            }
            let (database, store) = open(connection, settings)?;
            monitor.started(None, gettext("Reading covers…"));
            let embedded = matching::embed::embed_missing(
                database,
                &loaded.engine,
                &loaded.model_id,
                &store,
                &EmbedOptions::default(),
                cancel,
                &mut |event| {
                    if let EmbedEvent::Progress(progress) = event {
                        monitor.reached(progress.done, progress.total);
                    }
                },
            )
            .map_err(JobError::from)?;
            result.unreadable = embedded.failed;
            Ok((embedded.outcome == Outcome::Finished).then(|| loaded.model_id.clone()))
        })?;
        let Some(model_id) = model_id else {
            return Ok(result);
        };
        let (database, store) = open(connection, settings)?;
        let covers = database
            .embedded_ids(Subject::Cover, &model_id)
            .map_err(JobError::from)?;
        if covers.is_empty() {
            return Err(JobError::NotReady(Failure::from(gettext(
                "The catalog has no covers to compare with yet. Add the volumes you own from ComicVine to the catalog first.",
            ))));
        }

        monitor.started(None, gettext("Classifying…"));
        let summary = matching::classify::classify(
            database,
            &store,
            &model_id,
            options,
            cancel,
            &mut |event| {
                if let ClassifyEvent::Progress(progress) = event {
                    monitor.reached(progress.done, progress.total);
                }
            },
        )
        .map_err(JobError::from)?;
        result.outcome = summary.outcome;
        result.applied = summary.applied;
        result.to_review = summary.suggested;
        Ok(result)
    }
}

/// The open collection's database, and where its covers are with the settings as they are now.
pub(super) fn open<'a>(
    connection: &'a mut Connection<Database>,
    settings: &SharedSettings,
) -> Result<(&'a mut Database, ThumbnailStore), JobError> {
    let database = connection.get_or_open(|path| db::open(path).map_err(JobError::from))?;
    let store = settings
        .current()
        .thumbnail_store(database)
        .map_err(JobError::from)?;
    Ok((database, store))
}

impl ClassifyReport {
    fn cancelled() -> Self {
        Self {
            outcome: Outcome::Cancelled,
            applied: 0,
            to_review: 0,
            unreadable: 0,
        }
    }
}
