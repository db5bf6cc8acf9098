//! Writing an applied classification into the comic file as a ComicInfo.xml, for readers such
//! as Komga and Kavita, and putting the previous ComicInfo.xml back when the classification is
//! undone. Opt-in: nothing here runs unless asked.
//!
//! Each write is journaled (the ComicInfo.xml replaced and the one written) before the file is
//! replaced, and [`crate::library::comicinfo`] replaces the file only as a whole, by renaming a
//! complete copy over it. Undo restores a file only while it still holds what Vistazo wrote: a
//! ComicInfo.xml changed since by another tool is left as it is. Only CBZ files are written;
//! the others are reported as skipped with the reason.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use crate::db::Database;
use crate::db::tagging::IssueFacts;
use crate::i18n::{fill, gettext};
use crate::jobs::{CancelToken, Outcome};
use crate::library::comicinfo::{self, ComicInfoError, IssueTags};

use super::MatchingError;

/// What happened to one comic file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TagOutcome {
    /// The ComicInfo.xml was written.
    Written,
    /// The file already said exactly this.
    Unchanged,
    /// The previous ComicInfo.xml (or its absence) was put back.
    Restored,
    /// Left alone on purpose (not a CBZ, changed since), with the reason.
    Skipped(String),
    /// Could not be done, with the reason; the file is as it was.
    Failed(String),
}

/// One comic file written or restored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TagEvent {
    pub comic_id: i32,
    pub path: String,
    pub outcome: TagOutcome,
}

/// How many comic files ended each way.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TagSummary {
    pub outcome: Outcome,
    pub written: u64,
    pub unchanged: u64,
    pub restored: u64,
    pub skipped: u64,
    pub failed: u64,
}

impl TagSummary {
    fn new() -> Self {
        Self {
            outcome: Outcome::Finished,
            written: 0,
            unchanged: 0,
            restored: 0,
            skipped: 0,
            failed: 0,
        }
    }

    fn count(&mut self, outcome: &TagOutcome) {
        match outcome {
            TagOutcome::Written => self.written += 1,
            TagOutcome::Unchanged => self.unchanged += 1,
            TagOutcome::Restored => self.restored += 1,
            TagOutcome::Skipped(_) => self.skipped += 1,
            TagOutcome::Failed(_) => self.failed += 1,
        }
    }
}

/// What a ComicInfo.xml says about a catalog issue.
pub fn issue_tags(facts: &IssueFacts) -> IssueTags {
    let known = |text: &str| Some(text.trim().to_owned()).filter(|t| !t.is_empty());
    IssueTags {
        series: facts.volume_name.trim().to_owned(),
        number: facts.numero.trim().to_owned(),
        volume: Some(facts.anio_inicio).filter(|year| *year > 0),
        year: Some(facts.fecha_tapa).filter(|year| *year > 0),
        publisher: facts.publisher.as_deref().and_then(known),
        title: known(&facts.titulo),
        web: known(&facts.url_sitio_web),
        comicvine_id: facts.id_comicvine,
    }
}

/// Writes the catalog issue comic `comic_id` is classified as into its file, journaled under
/// `run_id` (the run that applied the classification, so undoing it restores the file too).
/// Call it after applying; database errors are errors, everything about the file is an outcome.
pub fn write_comic_info(
    db: &mut Database,
    run_id: i64,
    comic_id: i32,
) -> Result<TagEvent, MatchingError> {
    let Some(comic) = db.owned_comic(comic_id)? else {
        return Ok(TagEvent {
            comic_id,
            path: String::new(),
            outcome: TagOutcome::Failed(fill(
                &gettext("comic {comic} is not in the collection"),
                &[("comic", &comic_id)],
            )),
        });
    };
    let event = |outcome| TagEvent {
        comic_id,
        path: comic.path.clone(),
        outcome,
    };
    let issue = comic
        .id_comicbook_info
        .as_deref()
        .and_then(|value| value.trim().parse::<i32>().ok());
    let Some(issue) = issue else {
        return Ok(event(TagOutcome::Skipped(gettext(
            "it is not classified as a catalog issue",
        ))));
    };
    let Some(facts) = db.issue_facts(issue)? else {
        return Ok(event(TagOutcome::Failed(fill(
            &gettext("issue {issue} is not in the catalog"),
            &[("issue", &issue)],
        ))));
    };
    let path = Path::new(&comic.path);
    // Written at the top level, where every reader looks; a copy nested in a folder is left
    // as it is, and lends its other fields to a new one.
    let old = match comicinfo::stored_xml(path) {
        Ok(old) => old,
        Err(error) => return Ok(event(file_outcome(error))),
    };
    let nested = match &old {
        Some(_) => None,
        None => comicinfo::nested_xml(path).ok().flatten(),
    };
    let tags = issue_tags(&facts);
    let written = match &nested {
        Some(nested) => {
            comicinfo::with_tags(Some(nested), &tags).or_else(|_| comicinfo::with_tags(None, &tags))
        }
        None => comicinfo::with_tags(old.as_deref(), &tags),
    };
    let new = match written {
        Ok(new) => new,
        Err(detail) => {
            let error = ComicInfoError::Malformed {
                path: path.to_owned(),
                detail,
            };
            return Ok(event(TagOutcome::Failed(error.to_string())));
        }
    };
    if old.as_deref() == Some(new.as_slice()) {
        return Ok(event(TagOutcome::Unchanged));
    }
    let entry = db.journal_comic_info(run_id, comic_id, &comic.path, old.as_deref(), &new)?;
    match comicinfo::replace_in_archive(path, old.as_deref(), Some(&new)) {
        Ok(()) => Ok(event(TagOutcome::Written)),
        Err(error) => {
            db.forget_comic_info(entry)?;
            Ok(event(file_outcome(error)))
        }
    }
}

/// Writes a ComicInfo.xml into every comic run `run_id` classified (and that is not undone).
pub fn write_comic_info_for_run(
    db: &mut Database,
    run_id: i64,
    cancel: &CancelToken,
    on_event: &mut dyn FnMut(TagEvent),
) -> Result<TagSummary, MatchingError> {
    let mut summary = TagSummary::new();
    let mut swept = HashSet::new();
    for comic_id in db.classified_in_run(run_id)? {
        if cancel.is_cancelled() {
            summary.outcome = Outcome::Cancelled;
            break;
        }
        let event = write_comic_info(db, run_id, comic_id)?;
        sweep_folder_of(&event.path, &mut swept);
        summary.count(&event.outcome);
        on_event(event);
    }
    Ok(summary)
}

/// Puts back the ComicInfo.xml files run `run_id` replaced, newest first. A file whose
/// ComicInfo.xml is no longer the one Vistazo wrote is left alone; a file that could not be
/// restored is tried again by the next undo of the run.
pub fn restore_comic_info(
    db: &mut Database,
    run_id: i64,
    on_event: &mut dyn FnMut(TagEvent),
) -> Result<TagSummary, MatchingError> {
    restore_comic_info_of(db, run_id, None, on_event)
}

/// [`restore_comic_info`] for the file of one comic of the run (`Some`), or for all (`None`).
pub fn restore_comic_info_of(
    db: &mut Database,
    run_id: i64,
    comic_id: Option<i32>,
    on_event: &mut dyn FnMut(TagEvent),
) -> Result<TagSummary, MatchingError> {
    let mut summary = TagSummary::new();
    let mut swept = HashSet::new();
    let entries = db.comic_info_to_restore(run_id)?;
    for entry in entries
        .into_iter()
        .filter(|entry| comic_id.is_none_or(|id| id == entry.comic_id))
    {
        let path = Path::new(&entry.path);
        sweep_folder_of(&entry.path, &mut swept);
        // Journaled, then killed before the file was replaced: the file still holds what undo
        // would put back.
        let never_written = comicinfo::stored_xml(path).is_ok_and(|current| {
            current.as_deref() == entry.old_xml.as_deref()
                && current.as_deref() != Some(entry.new_xml.as_slice())
        });
        let outcome = if never_written {
            TagOutcome::Skipped(gettext(
                "its ComicInfo.xml was never written (the run stopped before), so it is as it was",
            ))
        } else {
            match comicinfo::replace_in_archive(
                path,
                Some(&entry.new_xml),
                entry.old_xml.as_deref(),
            ) {
                Ok(()) => TagOutcome::Restored,
                Err(error) => file_outcome(error),
            }
        };
        if !matches!(outcome, TagOutcome::Failed(_)) {
            db.mark_comic_info_restored(entry.id)?;
        }
        summary.count(&outcome);
        on_event(TagEvent {
            comic_id: entry.comic_id,
            path: entry.path,
            outcome,
        });
    }
    Ok(summary)
}

/// Deletes the temporary copies a killed rewrite left beside the comic at `path`, once per
/// folder.
fn sweep_folder_of(path: &str, swept: &mut HashSet<PathBuf>) {
    let Some(folder) = Path::new(path).parent() else {
        return;
    };
    if swept.insert(folder.to_owned()) {
        let removed = comicinfo::remove_stale_temporaries(folder, comicinfo::STALE_TEMPORARY);
        if removed > 0 {
            tracing::info!(
                "deleted {removed} temporary copies left in {}",
                folder.display()
            );
        }
    }
}

fn file_outcome(error: ComicInfoError) -> TagOutcome {
    if error.is_skip() {
        TagOutcome::Skipped(error.to_string())
    } else {
        TagOutcome::Failed(error.to_string())
    }
}
