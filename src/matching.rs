//! Matching owned comics to catalog issues by their covers: computing the missing cover
//! embeddings ([`embed`]), scoring candidate issues ([`score`], [`hash`], [`index`]),
//! storing suggestions and applying the clear ones ([`classify`]), the user's review of the
//! rest ([`review`]), the one way a person's decision is applied and taken back
//! ([`actions`]), writing what was applied into the comic files as ComicInfo.xml
//! ([`tagging`], opt-in), and undoing ([`undo`]); and finding the comics owned twice
//! ([`duplicates`]).
//!
//! Jobs here run on the caller's thread, report through callbacks and honour a
//! [`CancelToken`](crate::jobs::CancelToken) between items; what they finished stays saved.
//! This module never imports GTK, and changes Babelcomics4's data only through the journaled
//! [`crate::db::Database::apply_classification`].

pub mod actions;
pub mod classify;
pub mod duplicates;
pub mod embed;
pub mod hash;
pub mod index;
pub mod review;
pub mod score;
pub mod search;
pub mod tagging;

use std::path::{Path, PathBuf};

use image::RgbImage;

use crate::db::DbError;
use crate::db::matching::CatalogCoverRow;
use crate::i18n::{fill, gettext};
use crate::imaging::{self, DecodeLimits, ImageLoadError};
use crate::library::thumbnails::CoverName;
use crate::library::{self, ThumbnailStore};

pub use classify::{
    Candidate, ClassifyEvent, ClassifyOptions, ClassifySummary, ComicMatch, EditionChoice,
    Editions, TaggedIssue,
};
pub use embed::{EmbedEvent, EmbedOptions, EmbedSummary};
pub use score::{AUTO_APPLY_MARGIN, Signals};
pub use tagging::{TagEvent, TagOutcome, TagSummary};

/// The threshold classification applies at unless told otherwise, as the tool it replaces.
pub const DEFAULT_THRESHOLD: f32 = Threshold::DEFAULT;

/// The score from which a best candidate may be applied without asking: one range and default
/// that the command line, the settings schema and every slider of the window follow.
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd)]
pub struct Threshold(f32);

impl Threshold {
    /// Below this the pictures no longer agree at all (the fingerprint's "unrelated" level maps
    /// a candidate to about half): a lower threshold would apply guesses.
    pub const MIN: f32 = 0.5;
    /// Only an identical picture scores 1; a re-scan of the right cover stays a little below.
    pub const MAX: f32 = 0.99;
    /// As the tool Vistazo replaces.
    pub const DEFAULT: f32 = 0.75;
    /// What a slider or a spin button moves by.
    pub const STEP: f32 = 0.01;

    /// The threshold `value`, when it is within [`Threshold::MIN`]..=[`Threshold::MAX`].
    pub fn new(value: f32) -> Option<Self> {
        (Self::MIN..=Self::MAX)
            .contains(&value)
            .then_some(Self(value))
    }

    /// The nearest threshold to `value` (a setting or slider out of range, NaN as the default).
    pub fn clamped(value: f64) -> Self {
        if value.is_nan() {
            return Self(Self::DEFAULT);
        }
        Self((value as f32).clamp(Self::MIN, Self::MAX))
    }

    pub fn value(self) -> f32 {
        self.0
    }

    /// A threshold as the command line takes it, with a sentence naming the range otherwise.
    pub fn parse(text: &str) -> Result<Self, String> {
        text.trim()
            .parse::<f32>()
            .ok()
            .and_then(Self::new)
            .ok_or_else(|| {
                fill(
                    &gettext("expected a number between {min} and {max}"),
                    &[("min", &Self::MIN), ("max", &Self::MAX)],
                )
            })
    }
}

impl Default for Threshold {
    fn default() -> Self {
        Self(Self::DEFAULT)
    }
}

impl std::fmt::Display for Threshold {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum MatchingError {
    #[error(transparent)]
    Db(#[from] DbError),
    #[error(transparent)]
    Clip(#[from] crate::clip::ClipError),
    #[error("{}", fill(&gettext("there are no classifications to undo for run {run}"), &[("run", .0)]))]
    NothingToUndo(i64),
    #[error("{}", gettext("there are no classifications to undo"))]
    NoRuns,
    #[error("{}", fill(&gettext("there is no classification of comic {comic} to undo"), &[("comic", .0)]))]
    NothingToUndoFor(i32),
    #[error("{}", fill(&gettext("libtorch could not hand back the cover similarities: {error}"), &[("error", .0)]))]
    Similarities(String),
}

/// The file of a catalog cover: the one a catalog import recorded, else where Babelcomics4
/// puts it (variants renamed on download included).
pub fn catalog_cover_file(store: &ThumbnailStore, cover: &CatalogCoverRow) -> Option<PathBuf> {
    let folder = store.catalog_folder(&cover.volume_name, cover.id_volume);
    if let Some(name) = cover.file_name.as_deref() {
        let recorded = folder.join(name);
        if recorded.is_file() {
            return Some(recorded);
        }
    }
    let name = CoverName {
        url: &cover.url_imagen,
        numero: &cover.numero,
        variant: u32::try_from(cover.variant).unwrap_or(0),
    };
    store.find_catalog_cover(&cover.volume_name, cover.id_volume, &name)
}

/// The cover of an owned comic: its thumbnail when there is one, else the cover page read
/// from the comic file itself.
pub fn owned_cover_picture(
    store: &ThumbnailStore,
    id_comicbook: i32,
    path: &Path,
    limits: &DecodeLimits,
) -> Result<RgbImage, ImageLoadError> {
    owned_cover(store, id_comicbook, path, limits).map(|cover| cover.image)
}

/// An owned comic's cover as [`owned_cover_picture`] reads it, and what was read.
#[derive(Debug)]
pub struct OwnedCover {
    pub image: RgbImage,
    /// When the picture read is a truncated image: the thumbnail file, or the page of the
    /// comic file.
    pub truncated: Option<String>,
}

/// [`owned_cover_picture`], telling whether the picture read was cut short.
pub fn owned_cover(
    store: &ThumbnailStore,
    id_comicbook: i32,
    path: &Path,
    limits: &DecodeLimits,
) -> Result<OwnedCover, ImageLoadError> {
    let thumbnail = store.comic_thumbnail(id_comicbook);
    if thumbnail.is_file() {
        let decoded = imaging::load(&thumbnail, limits)?;
        return Ok(OwnedCover {
            image: decoded.image,
            truncated: decoded.truncated.then(|| thumbnail.display().to_string()),
        });
    }
    library::read_cover(path)
        .map(|cover| OwnedCover {
            truncated: cover.truncated.then_some(cover.entry),
            image: cover.image.into_rgb8(),
        })
        .map_err(|error| ImageLoadError::Open {
            path: path.to_owned(),
            source: std::io::Error::other(error.to_string()),
        })
}

/// Which classifications to undo.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UndoTarget {
    /// The latest run that still has classifications in place.
    Last,
    Run(i64),
}

/// Puts back what a classification run replaced: the classifications, then the ComicInfo.xml
/// files it wrote (see [`tagging::restore_comic_info`]). Returns the run and what was done.
pub fn undo(
    db: &mut crate::db::Database,
    target: UndoTarget,
) -> Result<(i64, crate::db::matching::UndoSummary), MatchingError> {
    undo_with_files(db, target, &mut |event| {
        if let TagOutcome::Failed(reason) = event.outcome {
            tracing::warn!("{reason}");
        }
    })
}

/// [`undo`], reporting each comic file whose ComicInfo.xml was put back or left alone.
pub fn undo_with_files(
    db: &mut crate::db::Database,
    target: UndoTarget,
    on_file: &mut dyn FnMut(TagEvent),
) -> Result<(i64, crate::db::matching::UndoSummary), MatchingError> {
    let run_id = match target {
        UndoTarget::Last => db.last_undoable_run()?.ok_or(MatchingError::NoRuns)?,
        UndoTarget::Run(id) => id,
    };
    let summary = db.undo_classification_run(run_id)?;
    let files = tagging::restore_comic_info(db, run_id, on_file)?;
    let files_touched = files.restored + files.skipped + files.failed;
    if summary.restored == 0 && summary.changed_since == 0 && files_touched == 0 {
        return Err(MatchingError::NothingToUndo(run_id));
    }
    Ok((run_id, summary))
}
