//! What Vistazo reads from one comic file, touching no database: the name read from the file
//! name, what its tags (ComicInfo.xml, MetronInfo.xml) say, its format, its pages and the page
//! taken as its cover. It is how a person (and a test) sees why a match went as it did.
//!
//! A file that cannot be read still gets its name read; the reason is kept beside it.

use std::path::{Path, PathBuf};

use super::archive::ComicArchive;
use super::cover::{self, CoverPage};
use super::file_tags::{self, FileTags};
use super::format::ComicFormat;
use super::naming::{ParsedName, parse_file_name};
use super::{LibraryError, pdf};

/// The page taken as a comic's cover, and its size in pixels.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct CoverSeen {
    pub entry: String,
    pub width: u32,
    pub height: u32,
    /// The page's file ends before the picture does.
    pub truncated: bool,
}

/// Everything read from one comic file.
#[derive(Debug, Clone, PartialEq)]
pub struct Inspection {
    pub file: PathBuf,
    /// What the file name says.
    pub name: ParsedName,
    /// What its tags say; empty when it has none (or could not be opened).
    pub tags: FileTags,
    /// Why a tag file was left out, when one was.
    pub tags_ignored: Option<String>,
    pub format: Option<ComicFormat>,
    /// Its pages (pictures, in reading order; a PDF's pages).
    pub pages: Option<usize>,
    pub cover: Option<CoverSeen>,
    /// Why the file could not be read, when it could not: its name is read all the same.
    pub problem: Option<String>,
}

/// Reads what Vistazo sees in the comic file at `path`.
pub fn inspect(path: &Path) -> Inspection {
    let mut seen = Inspection {
        file: path.to_owned(),
        name: parse_file_name(&path.to_string_lossy()),
        tags: FileTags::default(),
        tags_ignored: None,
        format: None,
        pages: None,
        cover: None,
        problem: None,
    };
    if let Err(error) = read_contents(path, &mut seen) {
        seen.problem = Some(error.to_string());
    }
    seen
}

/// The format, pages, tags and cover, as far as the file lets them be read.
fn read_contents(path: &Path, seen: &mut Inspection) -> Result<(), LibraryError> {
    let archive = ComicArchive::open(path)?;
    let format = archive.format();
    seen.format = Some(format);
    if format == ComicFormat::Pdf {
        seen.pages = Some(pdf::page_count(path)?);
    } else {
        let entries = archive.entries()?;
        seen.pages = Some(cover::pages(&entries).len());
        let read = file_tags::read_among(&archive, &entries);
        seen.tags = read.tags;
        seen.tags_ignored = read.ignored;
    }
    let CoverPage {
        entry,
        image,
        truncated,
    } = cover::read_cover(path)?;
    seen.cover = Some(CoverSeen {
        entry,
        width: image.width(),
        height: image.height(),
        truncated,
    });
    Ok(())
}
