//! The background worker that owns the database for the app and asks libtorch what it can do.
//! It runs on its own thread, so opening a large database or initialising CUDA never freezes
//! the window. Results come back as typed messages.

use crate::ui::failure::{JobError, send};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use relm4::{ComponentSender, Worker};

use crate::clip::RuntimeInfo;
use crate::db::discovery::{self, FoundCollection};
use crate::db::{self, CollectionSummary, Database};
use crate::i18n::{fill, gettext};
use crate::interiors::labeling::{LabelChange, Order, SessionPhoto};
use crate::interiors::rounds::{self, InteriorsSummary};
use crate::interiors::training::TrainingOptions;
use crate::interiors::{LabelSource, active};

/// How a collection file is opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpenMode {
    /// At start-up: created when missing (the default collection on a first start).
    Start,
    /// A file the user chose: it must be a SQLite database already.
    Existing,
    /// A new, empty collection: the file must not exist yet.
    New,
}

#[derive(Debug)]
pub enum BackendInput {
    /// Open a collection; the one open now stays open when this one cannot be.
    Open(PathBuf, OpenMode),
    /// Look for the Babelcomics4 databases on this computer.
    FindCollections,
    /// Count the collection again.
    Refresh,
    /// Ask libtorch which devices it can use.
    DetectRuntime,
    /// The photos for a labeling session.
    LoadLabelingSession,
    /// Save a label the user just gave (or put back a previous one).
    SaveLabel(LabelChange),
    /// Train the interiors models on the labelled photos.
    Train,
    /// Label the unlabelled photos the latest model is sure of.
    AutoLabel,
    /// Answer on the channel once everything asked before is done (the window is closing).
    Flush(std::sync::mpsc::Sender<()>),
}

#[derive(Debug, Clone)]
pub enum BackendOutput {
    Opened {
        path: PathBuf,
        summary: CollectionSummary,
        interiors: InteriorsSummary,
    },
    /// `path` could not be opened; the collection open before, if any, still is.
    OpenFailed {
        path: PathBuf,
        reason: String,
    },
    /// The Babelcomics4 databases found on this computer.
    Found(Vec<FoundCollection>),
    Summary(CollectionSummary, InteriorsSummary),
    LabelingSession(Vec<SessionPhoto>, Order),
    /// The models were trained again in the background after more labels: the new counts,
    /// and the unlabelled photos in the order to label them now.
    Retrained {
        comics: CollectionSummary,
        interiors: InteriorsSummary,
        order: Option<Vec<i64>>,
    },
    Runtime(RuntimeInfo),
    /// A job finished: what to tell the user, and the new counts.
    Done {
        message: String,
        comics: CollectionSummary,
        interiors: InteriorsSummary,
    },
    Failed(JobError),
}

/// Human labels after which the models are trained again in the background while the user
/// labels, so that the order of the photos stays fresh.
pub const RETRAIN_EVERY: usize = 20;

pub struct Backend {
    database: Option<Database>,
    /// The file of the open collection, for the background training's own connection.
    path: Option<PathBuf>,
    /// Set while a background training runs; another waits for the next label.
    retraining: Arc<AtomicBool>,
}

impl Worker for Backend {
    type Init = ();
    type Input = BackendInput;
    type Output = BackendOutput;

    fn init((): Self::Init, _sender: ComponentSender<Self>) -> Self {
        // Nothing heavy here: init runs before the worker's thread takes over.
        Self {
            database: None,
            path: None,
            retraining: Arc::new(AtomicBool::new(false)),
        }
    }

    fn update(&mut self, message: BackendInput, sender: ComponentSender<Self>) {
        let reply = match message {
            BackendInput::Flush(done) => {
                let _ = done.send(());
                return;
            }
            BackendInput::Open(path, mode) => Ok(self.open(path, mode)),
            BackendInput::FindCollections => Ok(BackendOutput::Found(find_collections())),
            BackendInput::Refresh => self
                .summaries()
                .map(|(comics, interiors)| BackendOutput::Summary(comics, interiors)),
            BackendInput::DetectRuntime => Ok(BackendOutput::Runtime(RuntimeInfo::detect())),
            BackendInput::LoadLabelingSession => self
                .database()
                .and_then(|db| rounds::labeling_photos(db).map_err(JobError::from))
                .map(|(photos, order)| BackendOutput::LabelingSession(photos, order)),
            BackendInput::SaveLabel(change) => self.save_label(change, &sender),
            BackendInput::Train => self.train(),
            BackendInput::AutoLabel => self.auto_label(),
        };
        let reply = reply.unwrap_or_else(BackendOutput::Failed);
        send(&sender, reply);
    }
}

impl Backend {
    fn open(&mut self, path: PathBuf, mode: OpenMode) -> BackendOutput {
        let opened = match mode {
            OpenMode::Start => db::open(&path),
            OpenMode::Existing => db::open_existing(&path),
            OpenMode::New => db::create_new(&path),
        };
        let summaries = opened.map_err(JobError::from).and_then(|mut database| {
            let comics = database.collection_summary().map_err(JobError::from)?;
            let interiors = rounds::summary(&mut database).map_err(JobError::from)?;
            Ok((database, comics, interiors))
        });
        match summaries {
            Ok((database, summary, interiors)) => {
                // The old connection closes here, once the new one works.
                self.database = Some(database);
                self.path = Some(path.clone());
                BackendOutput::Opened {
                    path,
                    summary,
                    interiors,
                }
            }
            Err(error) => BackendOutput::OpenFailed {
                path,
                reason: error.to_string(),
            },
        }
    }

    fn database(&mut self) -> Result<&mut Database, JobError> {
        self.database
            .as_mut()
            .ok_or_else(|| JobError::Collection(gettext("the database is not open")))
    }

    fn summaries(&mut self) -> Result<(CollectionSummary, InteriorsSummary), JobError> {
        let database = self.database()?;
        let comics = database.collection_summary().map_err(JobError::from)?;
        let interiors = rounds::summary(database).map_err(JobError::from)?;
        Ok((comics, interiors))
    }

    fn train(&mut self) -> Result<BackendOutput, JobError> {
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

    fn auto_label(&mut self) -> Result<BackendOutput, JobError> {
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

    fn done(&mut self, message: String) -> Result<BackendOutput, JobError> {
        let (comics, interiors) = self.summaries()?;
        Ok(BackendOutput::Done {
            message,
            comics,
            interiors,
        })
    }

    /// Saves at once; the reply carries the new counts. Every [`RETRAIN_EVERY`] human labels
    /// past the latest training round, the models are trained again on another thread.
    fn save_label(
        &mut self,
        change: LabelChange,
        sender: &ComponentSender<Self>,
    ) -> Result<BackendOutput, JobError> {
        let database = self.database()?;
        let saved = match change.label {
            Some((quality, LabelSource::Human)) => {
                database.set_human_label(change.photo_id, quality)
            }
            previous => database.restore_label(change.photo_id, previous),
        };
        saved.map_err(JobError::from)?;
        if matches!(change.label, Some((_, LabelSource::Human)))
            && self.labels_since_training()? >= RETRAIN_EVERY
        {
            self.retrain_in_background(sender);
        }
        let (comics, interiors) = self.summaries()?;
        Ok(BackendOutput::Summary(comics, interiors))
    }

    /// Human labels beyond those the latest training round learnt from.
    fn labels_since_training(&mut self) -> Result<usize, JobError> {
        let database = self.database()?;
        let (human, _) = rounds::label_counts(database).map_err(JobError::from)?;
        let trained = database
            .latest_training_round()
            .map_err(JobError::from)?
            .map_or(0, |round| round.human_labels.max(0) as usize);
        Ok((human.bad + human.medium + human.good).saturating_sub(trained))
    }

    /// Trains on its own connection, so that labels keep being saved at once meanwhile, then
    /// sends the new order of the photos. A failure (labels of one kind only, say) is logged:
    /// the user did not ask for this round, the next labels try again.
    fn retrain_in_background(&self, sender: &ComponentSender<Self>) {
        let Some(path) = self.path.clone() else {
            return;
        };
        if self.retraining.swap(true, Ordering::SeqCst) {
            return;
        }
        let retraining = Arc::clone(&self.retraining);
        let output = sender.output_sender().clone();
        let spawned = std::thread::Builder::new()
            .name("retraining".to_owned())
            .spawn(move || {
                let result = (|| -> Result<BackendOutput, JobError> {
                    let mut database = db::open(&path).map_err(JobError::from)?;
                    rounds::train(&mut database, &TrainingOptions::default())
                        .map_err(JobError::from)?;
                    let order = active::labeling_order(&mut database).map_err(JobError::from)?;
                    Ok(BackendOutput::Retrained {
                        comics: database.collection_summary().map_err(JobError::from)?,
                        interiors: rounds::summary(&mut database).map_err(JobError::from)?,
                        order,
                    })
                })();
                retraining.store(false, Ordering::SeqCst);
                match result {
                    Ok(retrained) => {
                        if output.send(retrained).is_err() {
                            tracing::debug!("the window closed during a background training");
                        }
                    }
                    Err(error) => tracing::info!("background training skipped: {error}"),
                }
            });
        if let Err(error) = spawned {
            self.retraining.store(false, Ordering::SeqCst);
            tracing::warn!("cannot start a background training: {error}");
        }
    }
}

/// The Babelcomics4 databases in the usual places under the home folder, and the one
/// `$BABELCOMICS4_DB` names.
fn find_collections() -> Vec<FoundCollection> {
    let Some(home) = dirs::home_dir() else {
        return Vec::new();
    };
    let named = std::env::var_os("BABELCOMICS4_DB").map(PathBuf::from);
    discovery::find_babelcomics(&home, named.as_deref())
}
