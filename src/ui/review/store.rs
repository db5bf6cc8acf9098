//! The background worker that saves the review's decisions. It has its own connection to the
//! database, reads the suggestions waiting for review, and writes every decision the moment it
//! arrives: classifications through the same journal as `vistazo classify` (so `vistazo undo`
//! takes them back too), the trash flag as Babelcomics4 sets it.
//!
//! What a decision does (the journal's runs, the edition record, the ComicInfo.xml, undo) is the
//! core's [`Classifications`]; this worker only carries decisions to it off the main thread.

use crate::ui::failure::{JobError, send};

use relm4::{ComponentSender, Worker};

use crate::catalog::missing::{self, MissingVolume};
use crate::db::{self, Database};
use crate::matching::MatchingError;
use crate::matching::actions::{Applied, Assignment, Classifications};
use crate::matching::review::{self, Classification, ReviewItem, Undo};
use crate::ui::collection_file::{Connection, OpenCollection};
use crate::ui::settings::SharedSettings;

pub struct ReviewStoreInit {
    pub collection: OpenCollection,
    /// The thumbnails folder and whether an applied issue is also written into the comic's
    /// file as ComicInfo.xml, read when each job starts.
    pub settings: SharedSettings,
}

#[derive(Debug)]
pub enum ReviewStoreInput {
    /// Read the comics waiting for review.
    Load,
    Apply {
        change: Classification,
        threshold: f32,
    },
    Trash(i32),
    ApplyAll {
        changes: Vec<Classification>,
        threshold: f32,
    },
    Undo(Undo),
    /// Answer on the channel once everything asked before is saved.
    Flush(std::sync::mpsc::Sender<()>),
}

#[derive(Debug)]
pub enum ReviewStoreOutput {
    /// The comics waiting for review, and the volumes the catalog lacks for the others.
    Loaded(Vec<ReviewItem>, Vec<MissingVolume>),
    /// Saved; the database changed.
    Saved,
    /// These comics changed since their suggestion was read and were left as they are.
    Refused(Vec<i32>),
    /// The comics of an "apply all" that were classified.
    AppliedAll(usize),
    Failed(JobError),
}

pub struct ReviewStore {
    init: ReviewStoreInit,
    database: Connection<Database>,
    /// The decisions of this review and how to take them back.
    classifications: Classifications,
}

impl Worker for ReviewStore {
    type Init = ReviewStoreInit;
    type Input = ReviewStoreInput;
    type Output = ReviewStoreOutput;

    fn init(init: Self::Init, _sender: ComponentSender<Self>) -> Self {
        Self {
            database: Connection::new(init.collection.clone()),
            classifications: Classifications::new(init.settings.current().write_comicinfo),
            init,
        }
    }

    fn update(&mut self, message: ReviewStoreInput, sender: ComponentSender<Self>) {
        let reply = match message {
            ReviewStoreInput::Flush(done) => {
                let _ = done.send(());
                return;
            }
            ReviewStoreInput::Load => self.load(),
            ReviewStoreInput::Apply { change, threshold } => self.apply(&change, threshold),
            ReviewStoreInput::Trash(comic_id) => self.trash(comic_id),
            ReviewStoreInput::ApplyAll { changes, threshold } => {
                self.apply_all(&changes, threshold)
            }
            ReviewStoreInput::Undo(undo) => self.undo(undo),
        };
        let reply = reply.unwrap_or_else(ReviewStoreOutput::Failed);
        send(&sender, reply);
    }
}

impl ReviewStore {
    fn database(&mut self) -> Result<&mut Database, JobError> {
        if self.database.close_if_switched() {
            // The runs and who classified what belong to the collection left behind.
            self.classifications.forget();
        }
        self.classifications
            .set_write_comicinfo(self.init.settings.current().write_comicinfo);
        self.database
            .get_or_open(|path| db::open(path).map_err(JobError::from))
    }

    /// Each decision and what it takes back go through the core's one action API.
    fn with_actions<T>(
        &mut self,
        act: impl FnOnce(&mut Classifications, &mut Database) -> Result<T, MatchingError>,
    ) -> Result<T, JobError> {
        self.database()?;
        let database = self
            .database
            .get_or_open(|path| db::open(path).map_err(JobError::from))?;
        act(&mut self.classifications, database).map_err(JobError::from)
    }

    fn load(&mut self) -> Result<ReviewStoreOutput, JobError> {
        let settings = self.init.settings.current();
        let database = self.database()?;
        let store = settings.thumbnail_store(database).map_err(JobError::from)?;
        let items = review::pending_reviews(database, &store).map_err(JobError::from)?;
        let missing = missing::missing_volumes(database).map_err(JobError::from)?;
        Ok(ReviewStoreOutput::Loaded(items, missing))
    }

    /// The decision as the core takes it: the model is the one whose run suggested it.
    fn assignment(&mut self, change: &Classification) -> Result<Assignment, JobError> {
        let database = self.database()?;
        let model = database
            .classification_run_model(change.suggested_by)
            .map_err(JobError::from)?
            .unwrap_or_default();
        Ok(Assignment {
            comic_id: change.comic_id,
            seen: change.seen.clone(),
            id_comicbook_info: change.id_comicbook_info,
            model,
        })
    }

    fn apply(
        &mut self,
        change: &Classification,
        threshold: f32,
    ) -> Result<ReviewStoreOutput, JobError> {
        let assignment = self.assignment(change)?;
        let applied =
            self.with_actions(|actions, db| actions.assign(db, &assignment, threshold))?;
        Ok(match applied {
            Applied::Applied { .. } => ReviewStoreOutput::Saved,
            Applied::Refused => ReviewStoreOutput::Refused(vec![change.comic_id]),
        })
    }

    fn trash(&mut self, comic_id: i32) -> Result<ReviewStoreOutput, JobError> {
        self.with_actions(|actions, db| actions.trash(db, comic_id))?;
        Ok(ReviewStoreOutput::Saved)
    }

    fn apply_all(
        &mut self,
        changes: &[Classification],
        threshold: f32,
    ) -> Result<ReviewStoreOutput, JobError> {
        if changes.is_empty() {
            return Ok(ReviewStoreOutput::AppliedAll(0));
        }
        let assignments = changes
            .iter()
            .map(|change| self.assignment(change))
            .collect::<Result<Vec<_>, _>>()?;
        let done =
            self.with_actions(|actions, db| actions.apply_all(db, &assignments, threshold))?;
        if done.refused.is_empty() {
            Ok(ReviewStoreOutput::AppliedAll(
                usize::try_from(done.applied).unwrap_or(usize::MAX),
            ))
        } else {
            Ok(ReviewStoreOutput::Refused(done.refused))
        }
    }

    fn undo(&mut self, undo: Undo) -> Result<ReviewStoreOutput, JobError> {
        match undo {
            Undo::Classification { comic_id } => {
                self.with_actions(|actions, db| actions.undo_assignment(db, comic_id))?;
            }
            Undo::Trash { comic_id } => {
                self.with_actions(|actions, db| actions.untrash(db, comic_id))?;
            }
            Undo::Batch { .. } => {
                self.with_actions(|actions, db| actions.undo_apply_all(db))?;
            }
        }
        Ok(ReviewStoreOutput::Saved)
    }
}
