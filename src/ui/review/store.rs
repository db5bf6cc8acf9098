//! The background worker that saves the review's decisions. It has its own connection to the
//! database, reads the suggestions waiting for review, and writes every decision the moment it
//! arrives: classifications through the same journal as `vistazo classify` (so `vistazo undo`
//! takes them back too), the trash flag as Babelcomics4 sets it.
//!
//! Single decisions of one review go into one classification run per model, each undone on its
//! own; every "apply all" is a run of its own, undone whole.

use crate::ui::failure::{JobError, send};
use std::collections::HashMap;
use std::path::PathBuf;

use relm4::{ComponentSender, Worker};

use crate::db::{self, Database};
use crate::i18n::{fill, gettext};
use crate::library::{ThumbnailStore, thumbnails};
use crate::matching::review::{self, Classification, ReviewItem, Undo};
use crate::matching::{AUTO_APPLY_MARGIN, tagging};
use crate::ui::collection_file::{Connection, OpenCollection};

pub struct ReviewStoreInit {
    pub collection: OpenCollection,
    /// The thumbnails folder the user chose; else the one the database names.
    pub thumbnails: Option<PathBuf>,
    /// Whether an applied issue is also written into the comic's CBZ as ComicInfo.xml (the
    /// preference, kept up to date by the window).
    pub write_comicinfo: std::sync::Arc<std::sync::atomic::AtomicBool>,
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
    Loaded(Vec<ReviewItem>),
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
    /// The run single decisions go into, by model.
    runs: HashMap<String, i64>,
    /// Which run classified each comic, for undo.
    classified_in: HashMap<i32, i64>,
    /// Classifications written in each of those runs.
    applied_in: HashMap<i64, u64>,
    /// The runs of "apply all", latest last.
    batches: Vec<i64>,
}

impl Worker for ReviewStore {
    type Init = ReviewStoreInit;
    type Input = ReviewStoreInput;
    type Output = ReviewStoreOutput;

    fn init(init: Self::Init, _sender: ComponentSender<Self>) -> Self {
        Self {
            database: Connection::new(init.collection.clone()),
            init,
            runs: HashMap::new(),
            classified_in: HashMap::new(),
            applied_in: HashMap::new(),
            batches: Vec::new(),
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
            self.runs.clear();
            self.classified_in.clear();
            self.applied_in.clear();
            self.batches.clear();
        }
        self.database
            .get_or_open(|path| db::open(path).map_err(JobError::from))
    }

    fn load(&mut self) -> Result<ReviewStoreOutput, JobError> {
        let chosen = self.init.thumbnails.clone();
        let database = self.database()?;
        let base = thumbnails::resolve_base(chosen.as_deref(), database).map_err(JobError::from)?;
        let store = ThumbnailStore::new(base);
        let items = review::pending_reviews(database, &store).map_err(JobError::from)?;
        Ok(ReviewStoreOutput::Loaded(items))
    }

    /// The run single decisions suggested by run `suggested_by` are recorded under.
    fn review_run(&mut self, suggested_by: i64, threshold: f32) -> Result<i64, JobError> {
        let database = self.database()?;
        let model = database
            .classification_run_model(suggested_by)
            .map_err(JobError::from)?
            .unwrap_or_default();
        if let Some(run) = self.runs.get(&model) {
            return Ok(*run);
        }
        let database = self.database()?;
        let run = database
            .start_classification_run(
                &model,
                f64::from(threshold),
                f64::from(AUTO_APPLY_MARGIN),
                false,
            )
            .map_err(JobError::from)?;
        self.runs.insert(model, run);
        Ok(run)
    }

    fn apply(
        &mut self,
        change: &Classification,
        threshold: f32,
    ) -> Result<ReviewStoreOutput, JobError> {
        let run = self.review_run(change.suggested_by, threshold)?;
        let database = self.database()?;
        let applied = database
            .apply_classification(
                run,
                change.comic_id,
                change.seen.as_deref(),
                change.id_comicbook_info,
            )
            .map_err(JobError::from)?;
        if applied {
            let count = self.applied_in.entry(run).or_default();
            *count += 1;
            let count = *count;
            self.database()?
                .finish_classification_run(run, count, count)
                .map_err(JobError::from)?;
            self.classified_in.insert(change.comic_id, run);
            // Which edition the user takes when several share a cover teaches the preference.
            if let Err(error) = self
                .database()?
                .record_edition_choice(change.comic_id, change.id_comicbook_info)
            {
                tracing::warn!(
                    "cannot record the edition chosen for comic {}: {error}",
                    change.comic_id
                );
            }
            self.tag_file(run, change.comic_id);
            Ok(ReviewStoreOutput::Saved)
        } else {
            Ok(ReviewStoreOutput::Refused(vec![change.comic_id]))
        }
    }

    /// Writes the applied issue into the comic's file when the user asked for it. The old
    /// ComicInfo.xml is journaled, so `vistazo undo --run` puts it back.
    fn tag_file(&mut self, run: i64, comic_id: i32) {
        if !self
            .init
            .write_comicinfo
            .load(std::sync::atomic::Ordering::Relaxed)
        {
            return;
        }
        let Ok(database) = self.database() else {
            return;
        };
        match tagging::write_comic_info(database, run, comic_id) {
            Ok(event) => tracing::info!("ComicInfo.xml of {}: {:?}", event.path, event.outcome),
            Err(error) => {
                tracing::warn!("cannot write the ComicInfo.xml of comic {comic_id}: {error}")
            }
        }
    }

    fn trash(&mut self, comic_id: i32) -> Result<ReviewStoreOutput, JobError> {
        let database = self.database()?;
        database
            .set_in_trash(comic_id, true)
            .map_err(JobError::from)?;
        Ok(ReviewStoreOutput::Saved)
    }

    fn apply_all(
        &mut self,
        changes: &[Classification],
        threshold: f32,
    ) -> Result<ReviewStoreOutput, JobError> {
        let Some(first) = changes.first() else {
            return Ok(ReviewStoreOutput::AppliedAll(0));
        };
        let suggested_by = first.suggested_by;
        let database = self.database()?;
        let model = database
            .classification_run_model(suggested_by)
            .map_err(JobError::from)?
            .unwrap_or_default();
        let run = database
            .start_classification_run(
                &model,
                f64::from(threshold),
                f64::from(AUTO_APPLY_MARGIN),
                true,
            )
            .map_err(JobError::from)?;
        let mut refused = Vec::new();
        let mut tag = Vec::new();
        let mut applied = 0_u64;
        for change in changes {
            let done = database
                .apply_classification(
                    run,
                    change.comic_id,
                    change.seen.as_deref(),
                    change.id_comicbook_info,
                )
                .map_err(JobError::from)?;
            if done {
                applied += 1;
                tag.push(change.comic_id);
            } else {
                refused.push(change.comic_id);
            }
        }
        database
            .finish_classification_run(run, changes.len() as u64, applied)
            .map_err(JobError::from)?;
        self.batches.push(run);
        for comic_id in tag {
            self.tag_file(run, comic_id);
        }
        if refused.is_empty() {
            Ok(ReviewStoreOutput::AppliedAll(
                usize::try_from(applied).unwrap_or(usize::MAX),
            ))
        } else {
            Ok(ReviewStoreOutput::Refused(refused))
        }
    }

    fn undo(&mut self, undo: Undo) -> Result<ReviewStoreOutput, JobError> {
        match undo {
            Undo::Classification { comic_id } => {
                let Some(run) = self.classified_in.remove(&comic_id) else {
                    return Err(JobError::NotReady(fill(
                        &gettext("there is no classification of comic {comic} to undo"),
                        &[("comic", &comic_id)],
                    )));
                };
                let database = self.database()?;
                database
                    .undo_classification(run, comic_id)
                    .map_err(JobError::from)?;
            }
            Undo::Trash { comic_id } => {
                let database = self.database()?;
                database
                    .set_in_trash(comic_id, false)
                    .map_err(JobError::from)?;
            }
            Undo::Batch { .. } => {
                let Some(run) = self.batches.pop() else {
                    return Err(JobError::NotReady(gettext(
                        "there are no classifications to undo",
                    )));
                };
                let database = self.database()?;
                database
                    .undo_classification_run(run)
                    .map_err(JobError::from)?;
            }
        }
        Ok(ReviewStoreOutput::Saved)
    }
}
