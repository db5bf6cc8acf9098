//! The worker behind "Classify Automatically": it owns the CLIP engine, computes the cover
//! embeddings still missing (catalog covers and the comics to classify), then classifies the
//! unclassified comics, storing a suggestion for each and applying the clear matches when asked.
//!
//! The model is found and loaded here, on the worker's own thread, the first time it is needed
//! (never in `init`, which runs on the main thread), and kept for the next run. A run stops
//! between two batches or two comics when its cancel token is set; embeddings are committed in
//! batches and suggestions one comic at a time, so what was done stays and the next run goes on
//! from there.

use std::path::PathBuf;
use std::time::Instant;

use relm4::{ComponentSender, Worker};

use crate::ui::background::give_way_to_the_window;
use crate::ui::collection_file::{Connection, OpenCollection};

use super::collection::not_open;
use super::progress::{JobProgress, Step, Throttle};
use crate::clip::weights::{self, ModelFiles};
use crate::clip::{DevicePreference, DownloadEvent, Engine, EngineOptions};
use crate::db::embeddings::Subject;
use crate::db::{self, Database};
use crate::i18n::gettext;
use crate::jobs::{CancelToken, Outcome, Progress};
use crate::library::{ThumbnailStore, thumbnails};
use crate::matching::{self, ClassifyEvent, ClassifyOptions, EmbedEvent, EmbedOptions};

/// Images per forward pass.
const BATCH: usize = 16;

/// Which model to run, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelChoice {
    /// A folder with a Hugging Face CLIP model; `None`: the downloaded one.
    pub folder: Option<PathBuf>,
    pub device: DevicePreference,
}

#[derive(Debug)]
pub enum ClassifierInput {
    Run {
        model: ModelChoice,
        options: ClassifyOptions,
        cancel: CancelToken,
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
    Progress(JobProgress),
    Finished(ClassifyReport),
    Failed(String),
}

struct LoadedEngine {
    choice: ModelChoice,
    engine: Engine,
    /// The name embeddings are stored under.
    model_id: String,
}

pub struct Classifier {
    /// `--thumbnails`, when given.
    thumbnails: Option<PathBuf>,
    /// The worker's thread runs behind the window (set on its first message).
    lowered: bool,
    connection: Connection<(Database, ThumbnailStore)>,
    engine: Option<LoadedEngine>,
}

impl Worker for Classifier {
    type Init = (OpenCollection, Option<PathBuf>);
    type Input = ClassifierInput;
    type Output = ClassifierOutput;

    fn init((collection, thumbnails): Self::Init, _sender: ComponentSender<Self>) -> Self {
        // Nothing heavy here: init runs on the main thread.
        Self {
            thumbnails,
            connection: Connection::new(collection),
            engine: None,
            lowered: false,
        }
    }

    fn update(&mut self, message: ClassifierInput, sender: ComponentSender<Self>) {
        if !std::mem::replace(&mut self.lowered, true) {
            give_way_to_the_window();
        }
        let (model, options, cancel) = match message {
            ClassifierInput::Run {
                model,
                options,
                cancel,
            } => (model, options, cancel),
            ClassifierInput::CollectionSwitched => {
                self.connection.close_if_switched();
                return;
            }
        };
        let reply = match self.run(&model, &options, &cancel, &sender) {
            Ok(report) => ClassifierOutput::Finished(report),
            Err(reason) => ClassifierOutput::Failed(reason),
        };
        send(&sender, reply);
    }
}

fn send(sender: &ComponentSender<Classifier>, message: ClassifierOutput) {
    if sender.output(message).is_err() {
        tracing::debug!("the comics page closed before the classification finished");
    }
}

fn report(sender: &ComponentSender<Classifier>, step: Step, progress: Option<Progress>) {
    send(
        sender,
        ClassifierOutput::Progress(JobProgress { step, progress }),
    );
}

impl Classifier {
    fn run(
        &mut self,
        choice: &ModelChoice,
        options: &ClassifyOptions,
        cancel: &CancelToken,
        sender: &ComponentSender<Self>,
    ) -> Result<ClassifyReport, String> {
        let mut result = ClassifyReport {
            outcome: Outcome::Cancelled,
            applied: 0,
            to_review: 0,
            unreadable: 0,
        };
        self.load_engine(choice, sender)?;
        if cancel.is_cancelled() {
            return Ok(result);
        }
        let thumbnails = self.thumbnails.clone();
        let (database, store) = self.connection.get_or_open(|path| {
            let mut database = db::open(path).map_err(|e| e.to_string())?;
            let base = thumbnails::resolve_base(thumbnails.as_deref(), &mut database)
                .map_err(|e| e.to_string())?;
            Ok((database, ThumbnailStore::new(base)))
        })?;
        let Some(loaded) = self.engine.as_ref() else {
            return Err(not_open());
        };

        report(sender, Step::Embedding, None);
        let mut throttle = Throttle::default();
        let embedded = matching::embed::embed_missing(
            database,
            &loaded.engine,
            &loaded.model_id,
            store,
            &EmbedOptions::default(),
            cancel,
            &mut |event| {
                if let EmbedEvent::Progress(progress) = event
                    && throttle.due(&progress)
                {
                    report(sender, Step::Embedding, Some(progress));
                }
            },
        )
        .map_err(|e| e.to_string())?;
        result.unreadable = embedded.failed;
        if embedded.outcome == Outcome::Cancelled {
            return Ok(result);
        }
        let covers = database
            .embedded_ids(Subject::Cover, &loaded.model_id)
            .map_err(|e| e.to_string())?;
        if covers.is_empty() {
            return Err(gettext(
                "The catalog has no covers to compare with yet. Add the volumes you own from ComicVine to the catalog first.",
            ));
        }

        report(sender, Step::Classifying, None);
        let mut throttle = Throttle::default();
        let summary = matching::classify::classify(
            database,
            store,
            &loaded.model_id,
            options,
            cancel,
            &mut |event| {
                if let ClassifyEvent::Progress(progress) = event
                    && throttle.due(&progress)
                {
                    report(sender, Step::Classifying, Some(progress));
                }
            },
        )
        .map_err(|e| e.to_string())?;
        result.outcome = summary.outcome;
        result.applied = summary.applied;
        result.to_review = summary.suggested;
        Ok(result)
    }

    /// Finds (downloading once when needed) and loads the model, unless the one loaded is it.
    fn load_engine(
        &mut self,
        choice: &ModelChoice,
        sender: &ComponentSender<Self>,
    ) -> Result<(), String> {
        if self.engine.as_ref().is_some_and(|e| &e.choice == choice) {
            return Ok(());
        }
        self.engine = None;
        report(sender, Step::LoadingModel, None);
        let files = locate(choice, sender)?;
        report(sender, Step::LoadingModel, None);
        // One core stays free for the window.
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        let options = EngineOptions {
            device: choice.device,
            batch_size: BATCH,
            batch_time: Some(crate::ui::background::PASS_TIME),
            model_threads: Some(cores.saturating_sub(1).max(1)),
            ..EngineOptions::default()
        };
        let engine = Engine::load(&files, &options).map_err(|e| e.to_string())?;
        self.engine = Some(LoadedEngine {
            choice: choice.clone(),
            engine,
            model_id: files.model_id(),
        });
        Ok(())
    }
}

/// The model's files: the chosen folder, else the cache, else a download with progress.
fn locate(
    choice: &ModelChoice,
    sender: &ComponentSender<Classifier>,
) -> Result<ModelFiles, String> {
    let mut started = Instant::now();
    let mut throttle = Throttle::default();
    let mut on_event = |event: DownloadEvent| match event {
        DownloadEvent::Started { bytes, .. } => {
            started = Instant::now();
            throttle = Throttle::default();
            report(
                sender,
                Step::DownloadingModel,
                Some(download_progress(0, bytes, started)),
            );
        }
        DownloadEvent::Advanced { done, total, .. } => {
            let progress = download_progress(done, total, started);
            if throttle.due(&progress) {
                report(sender, Step::DownloadingModel, Some(progress));
            }
        }
        DownloadEvent::Verifying { .. } | DownloadEvent::Finished { .. } => {}
    };
    weights::locate(choice.folder.as_deref(), true, &mut on_event).map_err(|e| e.to_string())
}

fn download_progress(done: u64, total: u64, started: Instant) -> Progress {
    let elapsed = started.elapsed().as_secs_f64();
    let rate = if elapsed > 0.0 {
        done as f64 / elapsed
    } else {
        0.0
    };
    let left = total.saturating_sub(done) as f64;
    Progress {
        done,
        total,
        rate,
        eta: (rate > 0.0).then(|| std::time::Duration::from_secs_f64(left / rate)),
    }
}
