//! Scanning folders into the collection: every comic file found is added to `comicbooks` (as
//! Babelcomics4 adds them) and gets the cover thumbnail Babelcomics4 shows, when it has none.
//!
//! The scan reports what happens as [`ScanEvent`]s through a callback, so the command line and
//! the app render the same work. Covers are read in parallel on every core; the database is
//! written in batches, each in one transaction, so a cancel or a crash loses at most the batch
//! in flight. Thumbnails are written only after their rows are committed, so a thumbnail never
//! names a comic that is not in the database.
//!
//! A scan never deletes a row and never changes a comic file. A file that cannot be read is
//! reported and left out; the scan goes on. A comic whose cover page is a truncated image (its
//! file ends early; the rest decodes grey) is added, reported, and recorded as such, so that
//! classification only ever suggests its match.
//!
//! Each comic read also has its own tags read ([`super::file_tags`]: the ComicVine issue id
//! and names its ComicInfo.xml or MetronInfo.xml give) and recorded for matching; a comic the
//! collection already had, with its thumbnail, has only its tags read, once. A tag file that
//! cannot be used is reported with the reason and left out; it never fails the scan.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::mpsc;

use rayon::prelude::*;

use super::LibraryError;
use super::cover;
use super::file_tags::{self, TagsRead};
use super::format;
use super::picture::{self, Thumbnail};
use super::thumbnails::ThumbnailStore;
use super::walk::{FolderWalk, Visit};
use crate::db::{Database, DbError};
use crate::i18n::{fill, gettext};
use crate::jobs::{CancelToken, Outcome, Progress, ProgressMeter};

/// Rows committed per transaction.
pub const DEFAULT_BATCH_SIZE: usize = 64;

/// How a scan runs.
#[derive(Debug, Clone)]
pub struct ScanOptions {
    pub thumbnails: ThumbnailStore,
    /// Comic files read between two commits.
    pub batch_size: usize,
}

impl ScanOptions {
    pub fn new(thumbnails: ThumbnailStore) -> Self {
        Self {
            thumbnails,
            batch_size: DEFAULT_BATCH_SIZE,
        }
    }
}

/// What a scan reports, in the order it happens.
#[derive(Debug)]
pub enum ScanEvent {
    /// The folders were walked: `files` comic files were found, `to_read` of them need their
    /// cover read (new ones, and known ones without a thumbnail). Progress counts `to_read`.
    Found {
        files: u64,
        to_read: u64,
    },
    /// A new comic file is in the collection now.
    Added {
        id: i32,
        path: PathBuf,
        thumbnail_written: bool,
        /// Its cover page, when that is a truncated image.
        truncated_cover: Option<String>,
        /// Why its ComicInfo.xml or MetronInfo.xml was left out, when one was.
        ignored_tags: Option<String>,
    },
    /// A comic file the collection already had.
    Known {
        id: i32,
        path: PathBuf,
        thumbnail_written: bool,
        /// Its cover page, when it was read now and is a truncated image.
        truncated_cover: Option<String>,
        /// Why its ComicInfo.xml or MetronInfo.xml was left out, when its tags were read now
        /// and one was.
        ignored_tags: Option<String>,
    },
    /// A file (or folder) that could not be read; it was left out, or, when `known_id` is
    /// set, kept as it was without a thumbnail.
    Skipped {
        error: LibraryError,
        known_id: Option<i32>,
    },
    /// A comic in the collection, under a scanned folder, whose file is gone (moved or
    /// deleted). Its row is kept.
    Missing {
        id: i32,
        path: PathBuf,
    },
    Progress(Progress),
}

/// The totals of a scan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScanSummary {
    pub added: u64,
    pub known: u64,
    pub thumbnails_written: u64,
    pub skipped: u64,
    pub missing: u64,
    /// Comics read now whose cover page is a truncated image.
    pub truncated_covers: u64,
    /// Comics read now whose tags name their ComicVine issue.
    pub tagged: u64,
    /// Comics read now with a ComicInfo.xml or MetronInfo.xml that was left out.
    pub tags_ignored: u64,
    pub outcome: Outcome,
}

/// Why a scan could not run or had to stop. Files that cannot be read are not errors: they are
/// [`ScanEvent::Skipped`].
#[derive(Debug, thiserror::Error)]
pub enum ScanError {
    #[error("{}", fill(&gettext("the folder {path} does not exist"), &[("path", &.path.display())]))]
    FolderNotFound { path: PathBuf },
    #[error("{}", fill(&gettext("{path} is neither a folder nor a comic file"), &[("path", &.path.display())]))]
    NotAFolder { path: PathBuf },
    #[error(transparent)]
    Database(#[from] DbError),
    /// Thumbnails cannot be written at all (a read-only or full disk): every comic would fail.
    #[error(transparent)]
    Thumbnails(LibraryError),
}

/// The absolute, resolved form of each folder to scan. Fails on the first that does not exist,
/// before anything is read or written.
pub fn resolve_roots(roots: &[PathBuf]) -> Result<Vec<PathBuf>, ScanError> {
    roots
        .iter()
        .map(|root| {
            let resolved = root
                .canonicalize()
                .map_err(|_| ScanError::FolderNotFound { path: root.clone() })?;
            if resolved.is_dir() || format::has_comic_extension(&resolved) {
                Ok(resolved)
            } else {
                Err(ScanError::NotAFolder { path: root.clone() })
            }
        })
        .collect()
}

/// Scans `roots` (folders, searched recursively, or single comic files) into `db`.
pub fn scan(
    db: &mut Database,
    roots: &[PathBuf],
    options: &ScanOptions,
    cancel: &CancelToken,
    on_event: &mut dyn FnMut(ScanEvent),
) -> Result<ScanSummary, ScanError> {
    let roots = resolve_roots(roots)?;
    let mut summary = ScanSummary {
        added: 0,
        known: 0,
        thumbnails_written: 0,
        skipped: 0,
        missing: 0,
        truncated_covers: 0,
        tagged: 0,
        tags_ignored: 0,
        outcome: Outcome::Finished,
    };

    let mut found = Vec::new();
    for root in &roots {
        walk(
            root,
            &mut found,
            &mut |error| {
                summary.skipped += 1;
                on_event(ScanEvent::Skipped {
                    error,
                    known_id: None,
                });
            },
            cancel,
        );
    }
    let known: HashMap<String, i32> = db
        .comic_paths()?
        .into_iter()
        .map(|row| (row.path, row.id_comicbook))
        .collect();

    let marked = db.marked_cover_pages()?;
    let tags_read = db.comics_with_tags_read()?;
    let store = &options.thumbnails;
    let mut work = Vec::new();
    // Known comics with their thumbnail whose tags were never read.
    let mut tags_only: Vec<(i32, &Path)> = Vec::new();
    for path in &found {
        let Some(key) = path.to_str() else {
            summary.skipped += 1;
            on_event(ScanEvent::Skipped {
                error: LibraryError::NameNotUtf8 { path: path.clone() },
                known_id: None,
            });
            continue;
        };
        match known.get(key) {
            Some(&id) if store.has_comic_thumbnail(id) && !tags_read.contains(&id) => {
                tags_only.push((id, path));
            }
            Some(&id) if store.has_comic_thumbnail(id) => {
                summary.known += 1;
                on_event(ScanEvent::Known {
                    id,
                    path: path.clone(),
                    thumbnail_written: false,
                    truncated_cover: None,
                    ignored_tags: None,
                });
            }
            known_id => work.push(WorkItem {
                path,
                key,
                known_id: known_id.copied(),
                marked: known_id.and_then(|id| marked.get(id)).map(String::as_str),
            }),
        }
    }
    on_event(ScanEvent::Found {
        files: found.len() as u64,
        to_read: work.len() as u64,
    });

    let mut meter = ProgressMeter::new(work.len() as u64);
    for batch in work.chunks(options.batch_size.max(1)) {
        if cancel.is_cancelled() {
            summary.outcome = Outcome::Cancelled;
            break;
        }
        let prepared = read_covers(batch, cancel, &mut meter, on_event);
        let finished = save_batch(db, store, batch, prepared, &mut summary, on_event)?;
        if !finished {
            summary.outcome = Outcome::Cancelled;
            break;
        }
    }
    for batch in tags_only.chunks(options.batch_size.max(1)) {
        if cancel.is_cancelled() {
            break;
        }
        let reads: Vec<TagsRead> = batch
            .par_iter()
            .map(|(_, path)| file_tags::read(path))
            .collect();
        let records: Vec<(i32, &super::FileTags, Option<&str>)> = batch
            .iter()
            .zip(&reads)
            .map(|((id, _), read)| (*id, &read.tags, read.ignored.as_deref()))
            .collect();
        db.record_file_tags(&records)?;
        for ((id, path), read) in batch.iter().zip(reads) {
            summary.known += 1;
            count_tags(&mut summary, &read);
            on_event(ScanEvent::Known {
                id: *id,
                path: path.to_path_buf(),
                thumbnail_written: false,
                truncated_cover: None,
                ignored_tags: read.ignored,
            });
        }
    }
    if cancel.is_cancelled() {
        summary.outcome = Outcome::Cancelled;
    }

    for (path, id) in missing(&known, &roots) {
        summary.missing += 1;
        on_event(ScanEvent::Missing { id, path });
    }
    Ok(summary)
}

struct WorkItem<'a> {
    path: &'a Path,
    key: &'a str,
    known_id: Option<i32>,
    /// The page Babelcomics4 has marked as the cover, for a known comic.
    marked: Option<&'a str>,
}

/// A cover read for one item, or `None` when the scan was cancelled before reaching it.
type Prepared = Option<Result<ScannedCover, LibraryError>>;

/// A comic's cover as a scan reads it: the thumbnail to write, and the page it came from,
/// with what the comic's own tags say.
#[derive(Debug, Clone)]
pub struct ScannedCover {
    pub thumbnail: Thumbnail,
    pub entry: String,
    /// The page is a truncated image.
    pub truncated: bool,
    pub tags: TagsRead,
}

fn count_tags(summary: &mut ScanSummary, read: &TagsRead) {
    summary.tagged += u64::from(read.tags.comicvine_issue.is_some());
    summary.tags_ignored += u64::from(read.ignored.is_some());
}

/// Reads the covers of a batch on every core, reporting progress as each finishes.
fn read_covers(
    batch: &[WorkItem<'_>],
    cancel: &CancelToken,
    meter: &mut ProgressMeter,
    on_event: &mut dyn FnMut(ScanEvent),
) -> Vec<Prepared> {
    let mut prepared: Vec<Prepared> = std::iter::repeat_with(|| None).take(batch.len()).collect();
    let (sender, receiver) = mpsc::channel();
    std::thread::scope(|scope| {
        scope.spawn(move || {
            batch
                .par_iter()
                .enumerate()
                .for_each_with(sender, |sender, (index, item)| {
                    if cancel.is_cancelled() {
                        return;
                    }
                    // The receiver outlives every sender: it drains until they are all gone.
                    let _ = sender.send((index, thumbnail_of(item.path, item.marked)));
                });
        });
        for (index, result) in receiver {
            prepared[index] = Some(result);
            on_event(ScanEvent::Progress(meter.advance(1)));
        }
    });
    prepared
}

/// The thumbnail of the comic at `path`, from its cover (`marked`: the page Babelcomics4 has
/// marked as the cover, if any).
pub fn thumbnail_of(path: &Path, marked: Option<&str>) -> Result<ScannedCover, LibraryError> {
    let cover = cover::read_cover_marked(path, marked)?;
    match picture::make_thumbnail(&cover.image) {
        Ok(thumbnail) => Ok(ScannedCover {
            thumbnail,
            entry: cover.entry,
            truncated: cover.truncated,
            tags: file_tags::read(path),
        }),
        Err(error) => Err(LibraryError::BadImage {
            path: path.to_owned(),
            entry: cover.entry,
            detail: error.to_string(),
        }),
    }
}

/// Commits the new rows of a batch and what their covers were found to be, then writes their
/// thumbnails. Returns false when the batch was cut short by a cancel.
fn save_batch(
    db: &mut Database,
    store: &ThumbnailStore,
    batch: &[WorkItem<'_>],
    prepared: Vec<Prepared>,
    summary: &mut ScanSummary,
    on_event: &mut dyn FnMut(ScanEvent),
) -> Result<bool, ScanError> {
    let new_paths: Vec<&str> = batch
        .iter()
        .zip(&prepared)
        .filter(|(item, result)| item.known_id.is_none() && matches!(result, Some(Ok(_))))
        .map(|(item, _)| item.key)
        .collect();
    let mut new_ids = db.add_comics(&new_paths)?.into_iter();
    // Each comic read, by id (and whether it is new), in the order of the batch.
    let ids: Vec<Option<(i32, bool)>> = batch
        .iter()
        .zip(&prepared)
        .map(|(item, result)| match (result, item.known_id) {
            (Some(Ok(_)), Some(id)) => Some((id, false)),
            (Some(Ok(_)), None) => new_ids.next().map(|id| (id, true)),
            _ => None,
        })
        .collect();
    // Recorded before any thumbnail is written: a comic with a thumbnail is not read again.
    let reads: Vec<(i32, Option<&str>)> = ids
        .iter()
        .zip(&prepared)
        .filter_map(|(id, result)| match (id, result) {
            (Some((id, _)), Some(Ok(cover))) => {
                Some((*id, cover.truncated.then_some(cover.entry.as_str())))
            }
            _ => None,
        })
        .collect();
    db.record_cover_reads(&reads)?;
    let tags: Vec<(i32, &super::FileTags, Option<&str>)> = ids
        .iter()
        .zip(&prepared)
        .filter_map(|(id, result)| match (id, result) {
            (Some((id, _)), Some(Ok(cover))) => {
                Some((*id, &cover.tags.tags, cover.tags.ignored.as_deref()))
            }
            _ => None,
        })
        .collect();
    db.record_file_tags(&tags)?;

    let mut finished = true;
    for ((item, result), id) in batch.iter().zip(prepared).zip(ids) {
        match result {
            None => finished = false,
            Some(Err(error)) => {
                summary.skipped += 1;
                on_event(ScanEvent::Skipped {
                    error,
                    known_id: item.known_id,
                });
            }
            Some(Ok(cover)) => {
                let Some((id, is_new)) = id else {
                    continue;
                };
                let thumbnail_written = store
                    .write_comic_thumbnail(id, &cover.thumbnail)
                    .map_err(ScanError::Thumbnails)?;
                summary.thumbnails_written += u64::from(thumbnail_written);
                let truncated_cover = cover.truncated.then_some(cover.entry);
                summary.truncated_covers += u64::from(truncated_cover.is_some());
                count_tags(summary, &cover.tags);
                let ignored_tags = cover.tags.ignored;
                let path = item.path.to_owned();
                if is_new {
                    summary.added += 1;
                    on_event(ScanEvent::Added {
                        id,
                        path,
                        thumbnail_written,
                        truncated_cover,
                        ignored_tags,
                    });
                } else {
                    summary.known += 1;
                    on_event(ScanEvent::Known {
                        id,
                        path,
                        thumbnail_written,
                        truncated_cover,
                        ignored_tags,
                    });
                }
            }
        }
    }
    Ok(finished)
}

/// Rows under one of `roots` whose file is no longer there, in path order.
fn missing(known: &HashMap<String, i32>, roots: &[PathBuf]) -> Vec<(PathBuf, i32)> {
    let mut gone: Vec<(PathBuf, i32)> = known
        .iter()
        .map(|(path, &id)| (PathBuf::from(path), id))
        .filter(|(path, _)| roots.iter().any(|root| path.starts_with(root)))
        .filter(|(path, _)| !path.exists())
        .collect();
    gone.sort();
    gone
}

/// Collects the comics under `root`: files with a comic extension, and folders of pictures
/// (a folder holding pictures, no comic files and no subfolders).
fn walk(
    root: &Path,
    found: &mut Vec<PathBuf>,
    on_error: &mut dyn FnMut(LibraryError),
    cancel: &CancelToken,
) {
    if root.is_file() {
        found.push(root.to_owned());
        return;
    }
    for visit in FolderWalk::new(&[root.to_owned()]) {
        if cancel.is_cancelled() {
            return;
        }
        let folder = match visit {
            Visit::Folder(folder) => folder,
            Visit::Unreadable { path, error } => {
                on_error(LibraryError::io(&path, error));
                continue;
            }
        };
        // A link named like a comic that leads nowhere, or back to itself, is named with the
        // reason; other broken entries were never comics.
        for (path, error) in folder.broken {
            if format::has_comic_extension(&path) {
                on_error(LibraryError::io(&path, error));
            }
        }
        let (comics, others): (Vec<PathBuf>, Vec<PathBuf>) = folder
            .files
            .into_iter()
            .partition(|path| format::has_comic_extension(path));
        let pictures = others
            .iter()
            .filter(|path| format::has_image_extension(&path.to_string_lossy()))
            .count();
        if comics.is_empty() && folder.subfolders == 0 && pictures > 0 {
            found.push(folder.path);
        }
        found.extend(comics);
    }
}
