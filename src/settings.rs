//! A collection's settings, as every job reads them when it starts: where the cover thumbnails
//! are, whether an applied issue is written into the comic file as ComicInfo.xml, and the
//! threshold suggestions apply above by default.
//!
//! The window keeps one [`CollectionSettings`] following Preferences and hands each job a copy
//! of it at its start, so a change applies to the next scan, classification, review or search
//! without a restart; the command line makes one from its options. The publisher preferred
//! among editions is the collection's own: it lives in the database, which every job reads.

use std::path::PathBuf;

use crate::db::{Database, DbError};
use crate::library::thumbnails::{self, ThumbnailStore};
use crate::matching::Threshold;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct CollectionSettings {
    /// The thumbnails folder chosen (`--thumbnails` or Preferences); `None`: the one the
    /// database names, as Babelcomics4 finds it.
    pub thumbnails: Option<PathBuf>,
    /// Whether an issue applied to a comic is also written into its file as ComicInfo.xml.
    pub write_comicinfo: bool,
    /// The threshold a page's slider starts from.
    pub threshold: Threshold,
}

impl CollectionSettings {
    /// Where this collection's cover thumbnails are, with these settings.
    pub fn thumbnail_store(&self, database: &mut Database) -> Result<ThumbnailStore, DbError> {
        thumbnails::resolve_base(self.thumbnails.as_deref(), database).map(ThumbnailStore::new)
    }
}
