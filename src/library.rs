//! Comic files on disk: reading CBZ, CBR, CB7, CBT, PDF and folders of images, deciding which
//! page is the cover, making the cover thumbnails Babelcomics4 shows, reading what a file name
//! says about the issue, and scanning folders into the collection.
//!
//! This module owns everything that opens a comic file. The one change it ever makes to a comic
//! file is the ComicInfo.xml of a CBZ, when asked ([`comicinfo`]); it never deletes a row of the
//! collection, and never imports GTK: the app and the command line drive the same [`scan`] and
//! only render its events.

pub mod archive;
pub mod comicinfo;
pub mod cover;
pub mod file_tags;
pub mod format;
pub mod inspect;
pub mod naming;
mod pdf;
pub mod picture;
pub mod scan;
pub mod thumbnails;
pub mod walk;

use std::path::{Path, PathBuf};

use crate::i18n::{fill, gettext};

pub use archive::ComicArchive;
pub use cover::{CoverPage, choose_cover, read_cover, read_cover_marked};
pub use file_tags::{FileTags, TagsRead};
pub use format::ComicFormat;
pub use naming::{ParsedName, parse_file_name};
pub use picture::{Thumbnail, make_thumbnail};
pub use scan::{ScanError, ScanEvent, ScanOptions, ScanSummary, scan};
pub use thumbnails::ThumbnailStore;

/// Largest entry read out of an archive. A real comic page is a few megabytes; anything far
/// larger is a damaged header or a decompression bomb.
pub const MAX_ENTRY_BYTES: u64 = 128 * 1024 * 1024;

/// Largest picture decoded, per side. Scans of double pages reach about 10 000 pixels.
pub const MAX_IMAGE_SIDE: u32 = 20_000;

/// Memory a single decoded picture may take.
pub const MAX_IMAGE_ALLOC: u64 = 512 * 1024 * 1024;

/// Why a comic file, or one of its pages, could not be read. Every variant names the file, so
/// the message alone tells the user which one to look at.
#[derive(Debug, thiserror::Error)]
pub enum LibraryError {
    #[error("{}", fill(&gettext("cannot read {path}: {error}"), &[("path", &.path.display()), ("error", .source)]))]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}", fill(&gettext("{path} is not a comic file Vistazo can read (CBZ, CBR, CB7, CBT, PDF or a folder of images)"), &[("path", &.path.display())]))]
    UnknownFormat { path: PathBuf },
    #[error("{}", fill(&gettext("{path} is damaged or incomplete: {detail}"), &[("path", &.path.display()), ("detail", .detail)]))]
    Corrupt { path: PathBuf, detail: String },
    #[error("{}", fill(&gettext("{path} uses a kind of archive Vistazo cannot read: {detail}"), &[("path", &.path.display()), ("detail", .detail)]))]
    Unsupported { path: PathBuf, detail: String },
    #[error("{}", fill(&gettext("{path} is protected by a password"), &[("path", &.path.display())]))]
    Encrypted { path: PathBuf },
    #[error("{}", fill(&gettext("{path} is empty"), &[("path", &.path.display())]))]
    Empty { path: PathBuf },
    #[error("{}", fill(&gettext("{path} has no pictures"), &[("path", &.path.display())]))]
    NoImages { path: PathBuf },
    #[error("{}", fill(&gettext("page {entry} of {path} is larger than {limit} MiB"), &[("entry", .entry), ("path", &.path.display()), ("limit", &(.limit / (1024 * 1024)))]))]
    EntryTooLarge {
        path: PathBuf,
        entry: String,
        limit: u64,
    },
    #[error("{}", fill(&gettext("page {entry} of {path} cannot be decoded: {detail}"), &[("entry", .entry), ("path", &.path.display()), ("detail", .detail)]))]
    BadImage {
        path: PathBuf,
        entry: String,
        detail: String,
    },
    #[error("{}", fill(&gettext("the name of {path} is not valid UTF-8, so the collection cannot store it"), &[("path", &.path.display())]))]
    NameNotUtf8 { path: PathBuf },
    #[error("{}", fill(&gettext("cannot write the thumbnail {path}: {error}"), &[("path", &.path.display()), ("error", .source)]))]
    WriteThumbnail {
        path: PathBuf,
        source: std::io::Error,
    },
}

impl LibraryError {
    pub(crate) fn io(path: &Path, source: std::io::Error) -> Self {
        Self::Io {
            path: path.to_owned(),
            source,
        }
    }

    /// The comic file (or thumbnail) the error is about.
    pub fn path(&self) -> &Path {
        match self {
            Self::Io { path, .. }
            | Self::UnknownFormat { path }
            | Self::Corrupt { path, .. }
            | Self::Unsupported { path, .. }
            | Self::Encrypted { path }
            | Self::Empty { path }
            | Self::NoImages { path }
            | Self::EntryTooLarge { path, .. }
            | Self::BadImage { path, .. }
            | Self::NameNotUtf8 { path }
            | Self::WriteThumbnail { path, .. } => path,
        }
    }
}
