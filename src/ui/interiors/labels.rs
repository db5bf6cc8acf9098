//! The Interiors page's label store: it reads the photos of a labeling session and saves each
//! label the moment it is given, on its own thread and connection, so a label never waits
//! behind an import or a training round of the page's other worker. Every
//! [`RETRAIN_EVERY`] human labels past the latest training round it trains the models again on
//! a thread of their own, and sends the photos' new order.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use relm4::{ComponentSender, Worker};

use crate::db::{self, Database};
use crate::interiors::labeling::{LabelChange, Order, SessionPhoto};
use crate::interiors::rounds::{self, InteriorsSummary};
use crate::interiors::training::TrainingOptions;
use crate::interiors::{LabelSource, active};
use crate::ui::collection_file::{Connection, OpenCollection};
use crate::ui::failure::{JobError, send};

/// Human labels after which the models are trained again in the background while the user
/// labels, so that the order of the photos stays fresh.
pub const RETRAIN_EVERY: usize = 20;

#[derive(Debug)]
pub enum LabelInput {
    /// The photos for a labeling session.
    LoadSession,
    /// Save a label the user just gave (or put back a previous one).
    Save(LabelChange),
    /// The app switched to another collection: let go of the old one now.
    CollectionSwitched,
    /// Answer on the channel once everything asked before is saved (the window is closing).
    Flush(std::sync::mpsc::Sender<()>),
}

#[derive(Debug)]
pub enum LabelOutput {
    Session(Vec<SessionPhoto>, Order),
    /// A label was saved: the collection's new counts.
    Saved(InteriorsSummary),
    /// The models were trained again after more labels: the new counts, and the unlabelled
    /// photos in the order to label them now.
    Retrained {
        interiors: InteriorsSummary,
        order: Option<Vec<i64>>,
    },
    Failed(JobError),
}

pub struct LabelStore {
    database: Connection<Database>,
    /// Set while a background training runs; another waits for the next label.
    retraining: Arc<AtomicBool>,
}

impl Worker for LabelStore {
    type Init = OpenCollection;
    type Input = LabelInput;
    type Output = LabelOutput;

    fn init(collection: Self::Init, _sender: ComponentSender<Self>) -> Self {
        Self {
            database: Connection::new(collection),
            retraining: Arc::new(AtomicBool::new(false)),
        }
    }

    fn update(&mut self, message: LabelInput, sender: ComponentSender<Self>) {
        let reply = match message {
            LabelInput::Flush(done) => {
                let _ = done.send(());
                return;
            }
            LabelInput::CollectionSwitched => {
                self.database.close_if_switched();
                return;
            }
            LabelInput::LoadSession => self
                .database()
                .and_then(|db| rounds::labeling_photos(db).map_err(JobError::from))
                .map(|(photos, order)| LabelOutput::Session(photos, order)),
            LabelInput::Save(change) => self.save(change, &sender),
        };
        send(&sender, reply.unwrap_or_else(LabelOutput::Failed));
    }
}

impl LabelStore {
    fn database(&mut self) -> Result<&mut Database, JobError> {
        self.database
            .get_or_open(|path| db::open(path).map_err(JobError::from))
    }

    /// Saves at once; the reply carries the new counts.
    fn save(
        &mut self,
        change: LabelChange,
        sender: &ComponentSender<Self>,
    ) -> Result<LabelOutput, JobError> {
        let database = self.database()?;
        let saved = match change.label {
            Some((quality, LabelSource::Human)) => {
                database.set_human_label(change.photo_id, quality)
            }
            previous => database.restore_label(change.photo_id, previous),
        };
        saved.map_err(JobError::from)?;
        if matches!(change.label, Some((_, LabelSource::Human)))
            && labels_since_training(database)? >= RETRAIN_EVERY
        {
            self.retrain_in_background(sender);
        }
        let interiors = rounds::summary(self.database()?).map_err(JobError::from)?;
        Ok(LabelOutput::Saved(interiors))
    }

    /// Trains on its own connection, so that labels keep being saved at once meanwhile, then
    /// sends the new order of the photos. A failure (labels of one kind only, say) is logged:
    /// the user did not ask for this round, the next labels try again.
    fn retrain_in_background(&self, sender: &ComponentSender<Self>) {
        if self.retraining.swap(true, Ordering::SeqCst) {
            return;
        }
        let path = self.database.collection().path();
        let retraining = Arc::clone(&self.retraining);
        let output = sender.output_sender().clone();
        let spawned = std::thread::Builder::new()
            .name("retraining".to_owned())
            .spawn(move || {
                let result = (|| -> Result<LabelOutput, JobError> {
                    let mut database = db::open(&path).map_err(JobError::from)?;
                    rounds::train(&mut database, &TrainingOptions::default())
                        .map_err(JobError::from)?;
                    let order = active::labeling_order(&mut database).map_err(JobError::from)?;
                    Ok(LabelOutput::Retrained {
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

/// Human labels beyond those the latest training round learnt from.
fn labels_since_training(database: &mut Database) -> Result<usize, JobError> {
    let (human, _) = rounds::label_counts(database).map_err(JobError::from)?;
    let trained = database
        .latest_training_round()
        .map_err(JobError::from)?
        .map_or(0, |round| round.human_labels.max(0) as usize);
    Ok((human.bad + human.medium + human.good).saturating_sub(trained))
}
