//! Importing photos of interiors: find them in folders, skip what is known, measure their
//! pixels, embed them with CLIP, read their semantics with the text tower, and record it all.
//! Photos are decoded once, on the engine's helper threads; a photo that cannot be read is
//! reported and skipped, and a cancelled import keeps every photo already recorded. A
//! truncated photo (its file ends before the picture does, the rest would decode grey) is
//! skipped too, and counted apart: its score would describe a grey band.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use sha2::Digest;

use super::metrics::PixelMetrics;
use super::rounds::EMBEDDING_MODEL_KEY;
use super::semantics::{PromptEmbeddings, all_prompts};
use crate::clip::engine::Engine;
use crate::clip::{ClipError, ImageFailure};
use crate::db::embeddings::Subject;
use crate::db::interiors::{NewPhoto, PhotoRecord};
use crate::db::{Database, DbError};
use crate::imaging::{self, ImageLoadError};
use crate::jobs::{CancelToken, Outcome, Progress};
use crate::library::LibraryError;
use crate::library::walk::{FolderWalk, Visit};
use crate::matching::hash::CoverHash;

const EXTENSIONS: [&str; 4] = ["jpg", "jpeg", "png", "webp"];

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error(transparent)]
    Database(#[from] DbError),
    #[error(transparent)]
    Model(#[from] ClipError),
}

/// What happened to one photo.
#[derive(Debug, Clone, PartialEq)]
pub enum ImportEvent {
    Added {
        path: PathBuf,
    },
    /// The same picture was imported before from another file.
    Duplicate {
        path: PathBuf,
        of: i64,
    },
    Skipped {
        path: PathBuf,
        reason: String,
    },
    Progress(Progress),
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ImportSummary {
    pub found: usize,
    /// Already imported and embedded with this model: nothing to do.
    pub known: usize,
    pub added: usize,
    /// Known photos embedded again for a new model.
    pub refreshed: usize,
    pub duplicates: usize,
    pub skipped: usize,
    /// Of the skipped photos, the truncated images.
    pub truncated: usize,
    pub cancelled: bool,
}

/// Photo files under `folders`, recursively, sorted; a photo file given among the folders is
/// taken as it is. Links are followed, each folder and file met once (see
/// [`FolderWalk`]), so a link that loops back is harmless. Only regular files are photos: a
/// pipe or a device is left out whatever its name. A folder that cannot be read, and a link
/// named like a photo that leads nowhere or to itself, is passed to `on_unreadable` and left
/// out, as `scan` tells its own.
pub fn find_photos(
    folders: &[PathBuf],
    on_unreadable: &mut dyn FnMut(LibraryError),
) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut roots = Vec::new();
    for path in folders {
        if std::fs::metadata(path).is_ok_and(|m| m.is_file()) {
            if is_photo(path) {
                found.push(std::fs::canonicalize(path).unwrap_or_else(|_| path.clone()));
            }
        } else {
            roots.push(path.clone());
        }
    }
    for visit in FolderWalk::new(&roots) {
        match visit {
            Visit::Folder(folder) => {
                // Other broken entries were never photos.
                for (path, error) in folder.broken {
                    if is_photo(&path) {
                        on_unreadable(LibraryError::io(&path, error));
                    }
                }
                found.extend(
                    folder
                        .files
                        .into_iter()
                        .filter(|path| is_photo(path))
                        .map(|path| std::fs::canonicalize(&path).unwrap_or(path)),
                );
            }
            Visit::Unreadable { path, error } => on_unreadable(LibraryError::io(&path, error)),
        }
    }
    found.sort();
    found.dedup();
    found
}

fn is_photo(path: &Path) -> bool {
    path.extension()
        .is_some_and(|e| EXTENSIONS.contains(&e.to_string_lossy().to_lowercase().as_str()))
}

/// The prompts' text embeddings for this engine, for the semantic filter.
pub fn prompt_embeddings(engine: &Engine) -> Result<PromptEmbeddings, ClipError> {
    let texts = engine.embed_texts(&all_prompts())?;
    Ok(PromptEmbeddings {
        logit_scale: engine.model().logit_scale().exp(),
        embeddings: texts.into_iter().map(|t| t.embedding).collect(),
    })
}

/// What the helper threads learn of a photo besides its pixels for the model.
struct Inspected {
    hash: String,
    metrics: PixelMetrics,
    fingerprint: CoverHash,
}

/// Imports the photos under `folders`.
pub fn import(
    db: &mut Database,
    engine: &Engine,
    model_id: &str,
    folders: &[PathBuf],
    cancel: &CancelToken,
    on_event: &mut dyn FnMut(ImportEvent),
) -> Result<ImportSummary, ImportError> {
    let mut summary = ImportSummary::default();
    let found = find_photos(folders, &mut |error| {
        on_event(ImportEvent::Skipped {
            path: error.path().to_owned(),
            reason: error.to_string(),
        })
    });
    summary.found = found.len();
    let mut todo = Vec::new();
    // Photos measured before some measurement existed are read again.
    let to_measure = db.photos_to_measure()?;
    for path in found {
        // The collection stores names as text; a lossy one would name a file that is not there.
        let Some(text) = path.to_str() else {
            summary.skipped += 1;
            on_event(ImportEvent::Skipped {
                reason: LibraryError::NameNotUtf8 { path: path.clone() }.to_string(),
                path,
            });
            continue;
        };
        let known = db.photo_id_by_path(text)?;
        let embedded = match known {
            Some(id) => {
                db.embedding(Subject::Photo, id, model_id)?.is_some() && !to_measure.contains(&id)
            }
            None => false,
        };
        if embedded {
            summary.known += 1;
        } else {
            todo.push(path);
        }
    }
    db.set_setting(EMBEDDING_MODEL_KEY, model_id)?;
    if todo.is_empty() {
        return Ok(summary);
    }
    let prompts = prompt_embeddings(engine)?;
    let inspected: Mutex<HashMap<usize, Inspected>> = Mutex::new(HashMap::new());
    let limits = imaging::DecodeLimits::default();
    let load = |index: usize| -> Result<(image::RgbImage, PathBuf), ImageLoadError> {
        let path = &todo[index];
        let bytes = imaging::read_file(path, imaging::MAX_FILE_BYTES)?;
        let picture = imaging::decode_bytes(&bytes, path, &limits)?.whole(path)?;
        let hash = format!("{:x}", sha2::Sha256::digest(&bytes));
        let metrics = PixelMetrics::measure(&picture);
        let fingerprint = CoverHash::of_whole(&picture);
        if let Ok(mut map) = inspected.lock() {
            map.insert(
                index,
                Inspected {
                    hash,
                    metrics,
                    fingerprint,
                },
            );
        }
        Ok((picture, path.clone()))
    };
    let mut failure: Option<DbError> = None;
    // Both callbacks run on this thread, one at a time.
    let events = std::cell::RefCell::new(on_event);
    let report = engine.embed_with(
        todo.len(),
        &load,
        cancel,
        &mut |result| {
            if failure.is_some() {
                return;
            }
            let path = &todo[result.index];
            let embedding = match result.result {
                Ok(embedding) => embedding,
                Err(error) => {
                    summary.skipped += 1;
                    if matches!(error, ImageFailure::Load(ImageLoadError::Truncated { .. })) {
                        summary.truncated += 1;
                    }
                    (events.borrow_mut())(ImportEvent::Skipped {
                        path: path.clone(),
                        reason: error.to_string(),
                    });
                    return;
                }
            };
            let Some(facts) = inspected
                .lock()
                .ok()
                .and_then(|mut m| m.remove(&result.index))
            else {
                return;
            };
            match record(db, path, &facts, &embedding, model_id, &prompts) {
                Ok(PhotoRecord::Added(_)) => {
                    summary.added += 1;
                    (events.borrow_mut())(ImportEvent::Added { path: path.clone() });
                }
                Ok(PhotoRecord::AlreadyKnown(_)) => summary.refreshed += 1,
                Ok(PhotoRecord::Duplicate(of)) => {
                    summary.duplicates += 1;
                    (events.borrow_mut())(ImportEvent::Duplicate {
                        path: path.clone(),
                        of,
                    });
                }
                Err(error) => failure = Some(error),
            }
        },
        &mut |progress| (events.borrow_mut())(ImportEvent::Progress(progress)),
    )?;
    if let Some(error) = failure {
        return Err(error.into());
    }
    summary.cancelled = report.outcome == Outcome::Cancelled;
    Ok(summary)
}

fn record(
    db: &mut Database,
    path: &Path,
    facts: &Inspected,
    embedding: &[f32],
    model_id: &str,
    prompts: &PromptEmbeddings,
) -> Result<PhotoRecord, DbError> {
    let record = db.record_photo(&NewPhoto {
        path: &path.to_string_lossy(),
        content_hash: &facts.hash,
        width: facts.metrics.width,
        height: facts.metrics.height,
    })?;
    if let PhotoRecord::Duplicate(_) = record {
        return Ok(record);
    }
    let id = record.id();
    db.set_photo_metrics(id, &facts.metrics)?;
    if let Some(faults) = &facts.metrics.faults {
        db.set_photo_measurements(id, faults, &facts.fingerprint.to_bytes())?;
    }
    let semantics = prompts.semantics(embedding);
    db.set_photo_semantics(
        id,
        semantics.indoor_score,
        semantics.room_score,
        &semantics.room_type,
    )?;
    db.put_embedding(Subject::Photo, id, model_id, embedding)?;
    Ok(record)
}
