//! Computes the embeddings matching needs and does not have yet: catalog covers (their files
//! under the thumbnails folder) and owned comics' covers (their thumbnail, else the cover read
//! from the comic file). Embeddings Babelcomics4 stored as JSON are copied in first when they
//! come from the same model, so they are never computed twice.
//!
//! Results are written in batches of [`EmbedOptions::commit_every`], each in one transaction:
//! a cancel or a crash loses at most one batch, and the next run computes only what is still
//! missing. A batch whose write finds the collection locked past the busy wait (another
//! program saving) is kept and written with the next one; only a lock that outlasts the job's
//! last write loses what is still pending. A picture that cannot be read is reported and
//! skipped; it never stops the job.
//!
//! A truncated image (its file ends before the picture does, the rest decodes grey) is
//! reported too: a catalog cover is left without an embedding (download it again), an owned
//! comic's cover is embedded and recorded as truncated, so that classification only suggests
//! its match.
//!
//! An owned comic whose cover cannot be read is remembered with its file's size and time, and
//! is not read again (nor reported again) until its file changes, or [`EmbedOptions::retry`]
//! asks for it: a search over a collection with a few broken files stays quick and quiet.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Mutex;

use crate::clip::weights::DEFAULT_REPO;
use crate::clip::{Engine, ImageFailure};
use crate::db::comics::FileStamp;
use crate::db::embeddings::Subject;
use crate::db::{Database, DbError};
use crate::imaging::{self, DecodeLimits};
use crate::jobs::{CancelToken, Outcome, Progress};
use crate::library::ThumbnailStore;

use super::{MatchingError, catalog_cover_file, owned_cover};

/// What to embed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmbedOptions {
    pub covers: bool,
    pub comics: bool,
    /// Comics already classified too, not only the ones classification will look at.
    pub classified_comics: bool,
    /// Compute at most this many embeddings (reused ones do not count).
    pub max: Option<usize>,
    pub commit_every: usize,
    /// Read again the comics that could not be read before, even when their file is the same.
    pub retry: bool,
}

impl Default for EmbedOptions {
    fn default() -> Self {
        Self {
            covers: true,
            comics: true,
            classified_comics: false,
            max: None,
            commit_every: 64,
            retry: false,
        }
    }
}

/// What an embedding job tells its observer.
#[derive(Debug)]
pub enum EmbedEvent {
    /// Embeddings copied from Babelcomics4's JSON columns, before any is computed.
    Reused {
        covers: u64,
        comics: u64,
    },
    /// How many pictures are about to be embedded.
    Planned {
        total: u64,
    },
    Progress(Progress),
    /// A picture that could not be read; the others go on.
    Skipped {
        subject: Subject,
        id: i64,
        reason: String,
    },
    /// An owned comic whose cover is a truncated image (`entry`: the page or thumbnail read).
    /// It was embedded all the same; its match will only be suggested.
    TruncatedComic {
        id: i64,
        path: PathBuf,
        entry: String,
    },
}

/// How an embedding job went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EmbedSummary {
    pub outcome: Outcome,
    pub reused: u64,
    pub computed: u64,
    pub failed: u64,
    /// Catalog covers with no file on disk (not downloaded), left without an embedding.
    pub covers_without_file: u64,
    /// Catalog covers whose file is a truncated image, left without an embedding (not counted
    /// in `failed`).
    pub truncated_covers: u64,
    /// Owned comics embedded now whose cover is a truncated image.
    pub truncated_comics: u64,
    /// Owned comics left out because their cover could not be read before and their file has
    /// not changed since.
    pub known_unreadable: u64,
}

/// One picture to embed.
#[derive(Debug, Clone)]
enum Target {
    Cover {
        id: i32,
        file: PathBuf,
    },
    /// `stamp`: the comic file as it was before it was read.
    Comic {
        id: i32,
        path: PathBuf,
        stamp: FileStamp,
    },
}

impl Target {
    fn key(&self) -> (Subject, i64) {
        match self {
            Self::Cover { id, .. } => (Subject::Cover, i64::from(*id)),
            Self::Comic { id, .. } => (Subject::Comic, i64::from(*id)),
        }
    }
}

/// Copies Babelcomics4's JSON embeddings into the store for `model` when that is the model
/// they were computed with, skipping subjects that already have one. Returns how many.
pub fn reuse_babelcomics_embeddings(
    db: &mut Database,
    model: &str,
    subject: Subject,
    dims: usize,
) -> Result<u64, MatchingError> {
    if model != DEFAULT_REPO {
        return Ok(0);
    }
    let known = db.embedded_ids(subject, model)?;
    let mut vectors = Vec::new();
    for (id, text) in db.babelcomics_embeddings(subject)? {
        if known.contains(&id) {
            continue;
        }
        // A value that is not a list of the right length is ignored: it gets computed.
        match serde_json::from_str::<Vec<f32>>(&text) {
            Ok(vector) if vector.len() == dims => vectors.push((id, vector)),
            _ => tracing::debug!("ignoring the stored embedding of {} {id}", subject.as_str()),
        }
    }
    let reused = vectors.len() as u64;
    for chunk in vectors.chunks(512) {
        db.put_embeddings(subject, model, chunk)?;
    }
    Ok(reused)
}

/// Embeds what is missing, as [`EmbedOptions`] asks, with `engine` under the name `model`.
pub fn embed_missing(
    db: &mut Database,
    engine: &Engine,
    model: &str,
    store: &ThumbnailStore,
    options: &EmbedOptions,
    cancel: &CancelToken,
    on_event: &mut dyn FnMut(EmbedEvent),
) -> Result<EmbedSummary, MatchingError> {
    let dims = engine.dimensions();
    let mut summary = EmbedSummary {
        outcome: Outcome::Finished,
        reused: 0,
        computed: 0,
        failed: 0,
        covers_without_file: 0,
        truncated_covers: 0,
        truncated_comics: 0,
        known_unreadable: 0,
    };
    let mut targets = Vec::new();
    let (mut reused_covers, mut reused_comics) = (0, 0);
    if options.covers {
        reused_covers = reuse_babelcomics_embeddings(db, model, Subject::Cover, dims)?;
        let known = db.embedded_ids(Subject::Cover, model)?;
        for cover in db.catalog_covers()? {
            if known.contains(&i64::from(cover.id_cover)) {
                continue;
            }
            match catalog_cover_file(store, &cover) {
                Some(file) => targets.push(Target::Cover {
                    id: cover.id_cover,
                    file,
                }),
                None => summary.covers_without_file += 1,
            }
        }
    }
    if options.comics {
        reused_comics = reuse_babelcomics_embeddings(db, model, Subject::Comic, dims)?;
        let known = db.embedded_ids(Subject::Comic, model)?;
        let unreadable = if options.retry {
            HashMap::new()
        } else {
            db.unreadable_comics()?
        };
        for comic in db.comics_to_classify(options.classified_comics)? {
            if known.contains(&i64::from(comic.id_comicbook)) {
                continue;
            }
            let path = PathBuf::from(comic.path);
            let stamp = FileStamp::of(&path);
            if unreadable.get(&comic.id_comicbook) == Some(&stamp) {
                summary.known_unreadable += 1;
                continue;
            }
            targets.push(Target::Comic {
                id: comic.id_comicbook,
                path,
                stamp,
            });
        }
    }
    summary.reused = reused_covers + reused_comics;
    on_event(EmbedEvent::Reused {
        covers: reused_covers,
        comics: reused_comics,
    });
    if let Some(max) = options.max {
        targets.truncate(max);
    }
    on_event(EmbedEvent::Planned {
        total: targets.len() as u64,
    });
    if targets.is_empty() {
        return Ok(summary);
    }

    // Comics a scan found with a truncated cover, and those found so by this job's reads.
    let known_truncated = if options.comics {
        db.truncated_covers()?
    } else {
        HashMap::new()
    };
    let found_truncated: Mutex<HashMap<usize, String>> = Mutex::new(HashMap::new());
    let limits = DecodeLimits::default();
    let load = |index: usize| match &targets[index] {
        // A catalog cover can be downloaded again: a truncated one is not embedded.
        Target::Cover { file, .. } => {
            Ok((imaging::load(file, &limits)?.whole(file)?, file.clone()))
        }
        Target::Comic { id, path, .. } => {
            let cover = owned_cover(store, *id, path, &limits)?;
            if let Some(entry) = cover.truncated
                && let Ok(mut found) = found_truncated.lock()
            {
                found.insert(index, entry);
            }
            Ok((cover.image, path.clone()))
        }
    };
    // The job's own flag: the caller's cancel, or a database write that failed.
    let stop = CancelToken::new();
    // Both callbacks below report, one after the other, never at once.
    let on_event = std::cell::RefCell::new(on_event);
    let mut pending = Pending::default();
    let mut write_error = None;
    let commit_every = options.commit_every.max(1);
    let report = {
        let mut on_result = |item: crate::clip::ImageEmbedding| {
            let (subject, id) = targets[item.index].key();
            match item.result {
                Ok(vector) => {
                    pending.vectors.push((subject, id, vector));
                    if let Target::Comic { id, path, .. } = &targets[item.index] {
                        pending.readable.push(*id);
                        let found = found_truncated
                            .lock()
                            .ok()
                            .and_then(|mut found| found.remove(&item.index));
                        if let Some(entry) = &found {
                            pending.truncated.push((*id, entry.clone()));
                        }
                        if let Some(entry) = found.or_else(|| known_truncated.get(id).cloned()) {
                            summary.truncated_comics += 1;
                            (on_event.borrow_mut())(EmbedEvent::TruncatedComic {
                                id: i64::from(*id),
                                path: path.clone(),
                                entry,
                            });
                        }
                    }
                }
                Err(error) => {
                    if matches!(
                        error,
                        ImageFailure::Load(imaging::ImageLoadError::Truncated { .. })
                    ) {
                        summary.truncated_covers += 1;
                    } else {
                        summary.failed += 1;
                    }
                    if let Target::Comic { id, stamp, .. } = &targets[item.index] {
                        pending.unreadable.push((*id, *stamp, error.to_string()));
                    }
                    (on_event.borrow_mut())(EmbedEvent::Skipped {
                        subject,
                        id,
                        reason: error.to_string(),
                    });
                }
            }
            if pending.vectors.len() >= commit_every && write_error.is_none() {
                match flush(db, model, &mut pending) {
                    Ok(written) => summary.computed += written,
                    // Another program kept the collection locked past the busy wait: the
                    // batch stays pending and is written with the next one.
                    Err(MatchingError::Db(DbError::Locked)) => {
                        tracing::info!(
                            "the collection is locked; {} embeddings wait to be written",
                            pending.vectors.len()
                        );
                    }
                    Err(error) => {
                        write_error = Some(error);
                        stop.cancel();
                    }
                }
            }
        };
        let mut on_progress = |progress: Progress| {
            if cancel.is_cancelled() {
                stop.cancel();
            }
            (on_event.borrow_mut())(EmbedEvent::Progress(progress));
        };
        engine.embed_with(
            targets.len(),
            &load,
            &stop,
            &mut on_result,
            &mut on_progress,
        )?
    };
    if let Some(error) = write_error {
        return Err(error);
    }
    summary.computed += flush(db, model, &mut pending)?;
    summary.outcome = if cancel.is_cancelled() {
        Outcome::Cancelled
    } else {
        report.outcome
    };
    Ok(summary)
}

/// Computed results not written yet.
#[derive(Default)]
struct Pending {
    vectors: Vec<(Subject, i64, Vec<f32>)>,
    /// Comics this job found with a truncated cover, and the page or thumbnail that is.
    truncated: Vec<(i32, String)>,
    /// Comics whose cover this job read.
    readable: Vec<i32>,
    /// Comics whose cover this job could not read, with their file's stamp and the reason.
    unreadable: Vec<(i32, FileStamp, String)>,
}

/// Writes the pending results: which covers are truncated, then the embeddings, each kind in
/// one transaction.
fn flush(db: &mut Database, model: &str, pending: &mut Pending) -> Result<u64, MatchingError> {
    let reads: Vec<(i32, Option<&str>)> = pending
        .truncated
        .iter()
        .map(|(id, entry)| (*id, Some(entry.as_str())))
        .collect();
    db.record_cover_reads(&reads)?;
    pending.truncated.clear();
    let unreadable: Vec<(i32, FileStamp, &str)> = pending
        .unreadable
        .iter()
        .map(|(id, stamp, reason)| (*id, *stamp, reason.as_str()))
        .collect();
    db.record_unreadable_comics(&unreadable)?;
    pending.unreadable.clear();
    db.forget_unreadable_comics(&pending.readable)?;
    pending.readable.clear();
    let written = pending.vectors.len() as u64;
    for subject in [Subject::Cover, Subject::Comic] {
        let batch: Vec<(i64, Vec<f32>)> = pending
            .vectors
            .iter()
            .filter(|(s, _, _)| *s == subject)
            .map(|(_, id, vector)| (*id, vector.clone()))
            .collect();
        if !batch.is_empty() {
            db.put_embeddings(subject, model, &batch)?;
        }
    }
    pending.vectors.clear();
    Ok(written)
}
