//! The one way a person's decision changes a classification: applying a suggestion or an
//! issue picked by hand (from the review or from a search), applying all that the decision
//! rule lets apply ([`super::score::decide`], through [`super::review::ReviewSession`]),
//! moving a comic to the trash, and undoing each; and classifying again the comics a volume
//! just added to the catalog serves ([`classify_again`]). Every window worker goes through
//! [`Classifications`]; none calls the journal, the edition record or the ComicInfo writer
//! itself, so the same decision has the same effects wherever it is taken.
//!
//! Each change is journaled in a classification run before it is made
//! ([`Database::apply_classification`]), so it can be undone: the single decisions of one model
//! share a run for as long as the collection stays open, an "apply all" gets a run of its own.
//! An issue picked among editions of the comic's cover teaches the preferred publisher. When
//! the collection's setting says so, the issue is written into the comic file as a
//! ComicInfo.xml (journaled too), and undoing the decision puts the file's previous one back.

use std::collections::HashMap;

use crate::db::Database;
use crate::db::matching::UndoSummary;
use crate::jobs::CancelToken;
use crate::library::ThumbnailStore;

use super::classify::{self, ClassifyEvent, ClassifyOptions, ClassifySummary};
use super::score::AUTO_APPLY_MARGIN;
use super::tagging::{self, TagEvent};
use super::{MatchingError, Threshold};

/// A catalog issue a person chose for a comic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assignment {
    pub comic_id: i32,
    /// The comic's classification value the choice was made on: applying is refused if it
    /// changed since (another program or window classified it).
    pub seen: Option<String>,
    pub id_comicbook_info: i32,
    /// The model whose suggestion or search led to the choice; it names the run.
    pub model: String,
}

/// What applying one assignment did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Applied {
    /// Journaled under `run` and applied; `comic_info` is the file's outcome when the setting
    /// asked for a ComicInfo.xml.
    Applied {
        run: i64,
        comic_info: Option<TagEvent>,
    },
    /// The comic changed since it was read (classified, trashed or gone): left as it is.
    Refused,
}

/// What an "apply all" did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppliedAll {
    pub run: i64,
    pub applied: u64,
    /// Comics that changed since they were read, left as they are.
    pub refused: Vec<i32>,
    /// The files' outcomes when the setting asked for ComicInfo.xml.
    pub comic_info: Vec<TagEvent>,
}

/// The decisions taken on one open collection, and how to take them back.
#[derive(Debug, Default)]
pub struct Classifications {
    /// The run the single decisions of each model are journaled under.
    runs: HashMap<String, i64>,
    /// How many comics each single-decision run applied.
    applied_in: HashMap<i64, u64>,
    /// The run that applied each comic's current decision.
    classified_in: HashMap<i32, i64>,
    /// The "apply all" runs, last last.
    batches: Vec<i64>,
    write_comicinfo: bool,
}

impl Classifications {
    /// Decisions on a collection just opened; `write_comicinfo` is the collection's setting.
    pub fn new(write_comicinfo: bool) -> Self {
        Self {
            write_comicinfo,
            ..Self::default()
        }
    }

    /// Follows the setting as the user changes it.
    pub fn set_write_comicinfo(&mut self, write: bool) {
        self.write_comicinfo = write;
    }

    /// Forgets the runs and what they applied: another collection was opened.
    pub fn forget(&mut self) {
        let write = self.write_comicinfo;
        *self = Self::new(write);
    }

    /// Applies `assignment` under its model's run: journaled, the edition choice recorded
    /// when the issue was one of several editions offered, and the ComicInfo.xml written when
    /// the setting says so. `threshold` is recorded with a new run.
    pub fn assign(
        &mut self,
        db: &mut Database,
        assignment: &Assignment,
        threshold: f32,
    ) -> Result<Applied, MatchingError> {
        let run = match self.runs.get(&assignment.model) {
            Some(run) => *run,
            None => {
                let run = db.start_classification_run(
                    &assignment.model,
                    f64::from(threshold),
                    f64::from(AUTO_APPLY_MARGIN),
                    false,
                )?;
                self.runs.insert(assignment.model.clone(), run);
                run
            }
        };
        let applied = db.apply_classification(
            run,
            assignment.comic_id,
            assignment.seen.as_deref(),
            assignment.id_comicbook_info,
        )?;
        if !applied {
            return Ok(Applied::Refused);
        }
        let count = self.applied_in.entry(run).or_default();
        *count += 1;
        let count = *count;
        db.finish_classification_run(run, count, count)?;
        self.classified_in.insert(assignment.comic_id, run);
        // Which edition the user takes when several share a cover teaches the preference.
        if let Err(error) =
            db.record_edition_choice(assignment.comic_id, assignment.id_comicbook_info)
        {
            tracing::warn!(
                "cannot record the edition chosen for comic {}: {error}",
                assignment.comic_id
            );
        }
        let comic_info = self.tag_file(db, run, assignment.comic_id)?;
        Ok(Applied::Applied { run, comic_info })
    }

    /// Applies every assignment in one run of its own, which one undo takes back. The caller
    /// chose them by the decision rule ([`super::review::ReviewSession::apply_all_above`]).
    pub fn apply_all(
        &mut self,
        db: &mut Database,
        assignments: &[Assignment],
        threshold: f32,
    ) -> Result<AppliedAll, MatchingError> {
        let model = assignments
            .first()
            .map(|a| a.model.clone())
            .unwrap_or_default();
        let run = db.start_classification_run(
            &model,
            f64::from(threshold),
            f64::from(AUTO_APPLY_MARGIN),
            true,
        )?;
        let mut done = AppliedAll {
            run,
            applied: 0,
            refused: Vec::new(),
            comic_info: Vec::new(),
        };
        let mut applied = Vec::new();
        for assignment in assignments {
            if db.apply_classification(
                run,
                assignment.comic_id,
                assignment.seen.as_deref(),
                assignment.id_comicbook_info,
            )? {
                applied.push(assignment.comic_id);
            } else {
                done.refused.push(assignment.comic_id);
            }
        }
        done.applied = applied.len() as u64;
        db.finish_classification_run(run, assignments.len() as u64, done.applied)?;
        self.batches.push(run);
        for comic_id in applied {
            if let Some(event) = self.tag_file(db, run, comic_id)? {
                done.comic_info.push(event);
            }
        }
        Ok(done)
    }

    /// Moves a comic to Babelcomics4's trash. Returns whether it was not there already.
    pub fn trash(&mut self, db: &mut Database, comic_id: i32) -> Result<bool, MatchingError> {
        Ok(db.set_in_trash(comic_id, true)?)
    }

    /// Takes a comic out of the trash. Returns whether it was there.
    pub fn untrash(&mut self, db: &mut Database, comic_id: i32) -> Result<bool, MatchingError> {
        Ok(db.set_in_trash(comic_id, false)?)
    }

    /// Takes back the decision that classified `comic_id`: its previous value, and the
    /// ComicInfo.xml its file had before.
    pub fn undo_assignment(
        &mut self,
        db: &mut Database,
        comic_id: i32,
    ) -> Result<UndoSummary, MatchingError> {
        let Some(run) = self.classified_in.remove(&comic_id) else {
            return Err(MatchingError::NothingToUndoFor(comic_id));
        };
        let summary = db.undo_classification(run, comic_id)?;
        tagging::restore_comic_info_of(db, run, Some(comic_id), &mut |event| {
            tracing::info!("ComicInfo.xml of {}: {:?}", event.path, event.outcome);
        })?;
        Ok(summary)
    }

    /// Takes back the last "apply all", files included.
    pub fn undo_apply_all(&mut self, db: &mut Database) -> Result<UndoSummary, MatchingError> {
        let run = self.batches.pop().ok_or(MatchingError::NoRuns)?;
        let summary = db.undo_classification_run(run)?;
        tagging::restore_comic_info_of(db, run, None, &mut |event| {
            tracing::info!("ComicInfo.xml of {}: {:?}", event.path, event.outcome);
        })?;
        Ok(summary)
    }

    /// Writes the comic's ComicInfo.xml when the setting asks for it. A file that cannot be
    /// written is an outcome, not an error: the classification stands.
    fn tag_file(
        &self,
        db: &mut Database,
        run: i64,
        comic_id: i32,
    ) -> Result<Option<TagEvent>, MatchingError> {
        if !self.write_comicinfo {
            return Ok(None);
        }
        let event = tagging::write_comic_info(db, run, comic_id)?;
        tracing::info!("ComicInfo.xml of {}: {:?}", event.path, event.outcome);
        Ok(Some(event))
    }
}

/// Classifies `comics` again in a run of their own, as classification does everywhere (the one
/// decision rule applies what is sure at `threshold`, the rest waits for review): after a volume
/// they need was added to the catalog. Their comic and catalog covers must have embeddings of
/// `model` already.
pub fn classify_again(
    db: &mut Database,
    store: &ThumbnailStore,
    model: &str,
    comics: &[i32],
    threshold: Threshold,
    cancel: &CancelToken,
    on_event: &mut dyn FnMut(ClassifyEvent),
) -> Result<ClassifySummary, MatchingError> {
    let options = ClassifyOptions {
        threshold: threshold.value(),
        auto_apply: true,
        only: Some(comics.iter().copied().collect()),
        ..ClassifyOptions::default()
    };
    classify::classify(db, store, model, &options, cancel, on_event)
}
