//! The background worker of the Interiors page: it imports photos, and scores the collection
//! for the results gallery. It owns its own database connection and the CLIP engine, which it
//! loads on the first job that needs it (never in `init`, which runs on the main thread).
//! Progress comes back as messages; a job stops within a second of its token being cancelled
//! and keeps what it finished.

use std::path::PathBuf;

use relm4::{ComponentSender, Worker};

use crate::clip::engine::{Engine, EngineOptions};
use crate::clip::weights::{self, DownloadEvent};
use crate::clip::{DevicePreference, ModelFiles};
use crate::db::{self, Database};
use crate::i18n::gettext;
use crate::interiors::charts::{self, ChartData, ChartKind};
use crate::interiors::filters::{self, FilterReport, Filters};
use crate::interiors::import::{self, ImportEvent, ImportSummary};
use crate::interiors::scoring::{self, ScoredPhoto};
use crate::interiors::semantics::PromptEmbeddings;
use crate::jobs::{CancelToken, Progress, ProgressMeter};
use crate::ui::collection_file::{Connection, OpenCollection};

/// Which model to run and where.
#[derive(Debug, Clone, Default)]
pub struct ModelChoice {
    /// A Hugging Face CLIP folder; `None`: the cache, downloading once.
    pub folder: Option<PathBuf>,
    pub device: DevicePreference,
}

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
    /// Draw every chart at this size.
    Charts { width: u32, height: u32 },
    /// Write every chart as PNG, with a summary, into a folder.
    ExportCharts(PathBuf),
    /// The app switched to another collection: let go of the old one now.
    CollectionSwitched,
}

/// A chart drawn for the app.
#[derive(Debug)]
pub struct RenderedChart {
    pub title: String,
    pub width: u32,
    pub height: u32,
    /// Packed RGB, 3 bytes a pixel.
    pub rgb: Vec<u8>,
}

#[derive(Debug)]
pub enum InteriorsJobOutput {
    /// What is being done now, and how far along it is (`None` while unknown).
    Progress {
        activity: String,
        progress: Option<Progress>,
    },
    Imported {
        summary: ImportSummary,
        /// One line for each photo that could not be read.
        skipped: Vec<String>,
    },
    Scored(Vec<ScoredPhoto>),
    /// There is no trained model yet: nothing to score.
    NotTrained,
    Charts(Vec<RenderedChart>),
    /// The files written.
    ChartsExported(Vec<PathBuf>),
    /// The filter thresholds in force, and what they set aside. Sent before each scoring.
    Filtered(Filters, FilterReport),
    Failed(String),
}

pub struct InteriorsWorker {
    choice: ModelChoice,
    database: Connection<Database>,
    engine: Option<LoadedEngine>,
}

struct LoadedEngine {
    engine: Engine,
    model_id: String,
    prompts: PromptEmbeddings,
}

impl Worker for InteriorsWorker {
    type Init = (OpenCollection, ModelChoice);
    type Input = InteriorsJob;
    type Output = InteriorsJobOutput;

    fn init((collection, choice): Self::Init, _sender: ComponentSender<Self>) -> Self {
        Self {
            choice,
            database: Connection::new(collection),
            engine: None,
        }
    }

    fn update(&mut self, job: InteriorsJob, sender: ComponentSender<Self>) {
        let reply = match job {
            InteriorsJob::CollectionSwitched => {
                self.database.close_if_switched();
                return;
            }
            InteriorsJob::Import { folders, cancel } => self.import(&folders, &cancel, &sender),
            InteriorsJob::Score => self.score(&sender),
            InteriorsJob::SetFilters(filters) => self
                .database()
                .and_then(|db| filters.save(db).map_err(|e| e.to_string()))
                .and_then(|()| self.score(&sender)),
            InteriorsJob::Charts { width, height } => self.charts(width, height),
            InteriorsJob::ExportCharts(folder) => self.database().and_then(|db| {
                let data = ChartData::gather(db).map_err(|e| e.to_string())?;
                charts::write_report(&data, &folder, super::interiors::EXPORT_SIZE)
                    .map(InteriorsJobOutput::ChartsExported)
                    .map_err(|e| e.to_string())
            }),
        };
        let reply = reply.unwrap_or_else(InteriorsJobOutput::Failed);
        if sender.output(reply).is_err() {
            tracing::debug!("the Interiors page closed before its job finished");
        }
    }
}

impl InteriorsWorker {
    fn database(&mut self) -> Result<&mut Database, String> {
        self.database
            .get_or_open(|path| db::open(path).map_err(|e| e.to_string()))
    }

    /// Loads the model once; the download, if there is one, reports its progress.
    fn engine(&mut self, sender: &ComponentSender<Self>) -> Result<&LoadedEngine, String> {
        if self.engine.is_none() {
            let files = self.locate_model(sender)?;
            report(sender, gettext("Loading the model…"), None);
            let options = EngineOptions {
                device: self.choice.device,
                batch_size: 16,
                batch_time: Some(crate::ui::background::PASS_TIME),
                ..EngineOptions::default()
            };
            let engine = Engine::load(&files, &options).map_err(|e| e.to_string())?;
            let prompts = import::prompt_embeddings(&engine).map_err(|e| e.to_string())?;
            self.engine = Some(LoadedEngine {
                engine,
                model_id: files.model_id(),
                prompts,
            });
        }
        self.engine
            .as_ref()
            .ok_or_else(|| gettext("the model is not loaded"))
    }

    fn locate_model(&self, sender: &ComponentSender<Self>) -> Result<ModelFiles, String> {
        let mut meter: Option<ProgressMeter> = None;
        let mut on_event = |event: DownloadEvent| match event {
            DownloadEvent::Started { bytes, .. } => meter = Some(ProgressMeter::new(bytes)),
            DownloadEvent::Advanced { done, .. } => {
                if let Some(meter) = meter.as_mut() {
                    let progress = meter.snapshot();
                    let step = done.saturating_sub(progress.done);
                    report(
                        sender,
                        gettext("Downloading the model…"),
                        Some(meter.advance(step)),
                    );
                }
            }
            DownloadEvent::Verifying { .. } | DownloadEvent::Finished { .. } => {}
        };
        weights::locate(self.choice.folder.as_deref(), true, &mut on_event)
            .map_err(|e| e.to_string())
    }

    fn import(
        &mut self,
        folders: &[PathBuf],
        cancel: &CancelToken,
        sender: &ComponentSender<Self>,
    ) -> Result<InteriorsJobOutput, String> {
        // The engine first: both borrow `self`, and the import needs the two at once.
        self.engine(sender)?;
        self.database()?;
        let (Some(loaded), Some(database)) = (self.engine.as_ref(), self.database.get()) else {
            return Err(gettext("the model is not loaded"));
        };
        report(sender, gettext("Looking for photos…"), None);
        let mut skipped = Vec::new();
        let summary = import::import(
            database,
            &loaded.engine,
            &loaded.model_id,
            folders,
            cancel,
            &mut |event| match event {
                ImportEvent::Progress(progress) => {
                    report(sender, gettext("Importing photos…"), Some(progress));
                }
                ImportEvent::Skipped { path, reason } => {
                    skipped.push(format!("{}: {reason}", path.display()));
                }
                ImportEvent::Added { .. } | ImportEvent::Duplicate { .. } => {}
            },
        )
        .map_err(|e| e.to_string())?;
        Ok(InteriorsJobOutput::Imported { summary, skipped })
    }

    fn score(&mut self, sender: &ComponentSender<Self>) -> Result<InteriorsJobOutput, String> {
        let database = self.database()?;
        let filters = Filters::load(database).map_err(|e| e.to_string())?;
        let set_aside = filters::report(database, &filters).map_err(|e| e.to_string())?;
        if sender
            .output(InteriorsJobOutput::Filtered(filters, set_aside))
            .is_err()
        {
            tracing::debug!("the Interiors page closed during a job");
        }
        if database
            .latest_training_round()
            .map_err(|e| e.to_string())?
            .is_none()
        {
            return Ok(InteriorsJobOutput::NotTrained);
        }
        self.engine(sender)?;
        report(sender, gettext("Scoring the photos…"), None);
        let (Some(loaded), Some(database)) = (self.engine.as_ref(), self.database.get()) else {
            return Err(gettext("the model is not loaded"));
        };
        let scored = scoring::score_collection(
            database,
            &loaded.model_id,
            &loaded.prompts,
            &filters.visual,
            &filters.semantic,
        )
        .map_err(|e| e.to_string())?;
        Ok(InteriorsJobOutput::Scored(scored))
    }
}

impl InteriorsWorker {
    fn charts(&mut self, width: u32, height: u32) -> Result<InteriorsJobOutput, String> {
        let data = ChartData::gather(self.database()?).map_err(|e| e.to_string())?;
        let charts = ChartKind::ALL
            .into_iter()
            .map(|kind| {
                charts::render_rgb(kind, &data, width, height).map(|rgb| RenderedChart {
                    title: kind.title(),
                    width,
                    height,
                    rgb,
                })
            })
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| e.to_string())?;
        Ok(InteriorsJobOutput::Charts(charts))
    }
}

fn report(sender: &ComponentSender<InteriorsWorker>, activity: String, progress: Option<Progress>) {
    if sender
        .output(InteriorsJobOutput::Progress { activity, progress })
        .is_err()
    {
        tracing::debug!("the Interiors page closed during a job");
    }
}
