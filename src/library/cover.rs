//! The one place that decides which page of a comic is its cover, and reads it.
//!
//! The rules, in order (those of the comic tools users already trust, and Babelcomics4's):
//! 0. A page the user marked as the cover in Babelcomics4 (`comicbooks_detail.tipoPagina = 1`)
//!    wins over everything, when the caller knows one.
//! 1. Pages are the entries that are pictures, in natural order ("page2" before "page10"), with
//!    dotfiles, `__MACOSX` and ComicInfo.xml left out. When no entry has a picture extension,
//!    entries with no extension or an unknown one are tried by content.
//! 2. A ComicInfo.xml page whose `Type` list holds `FrontCover` wins.
//! 3. Else the first page whose file name says cover (`cover`, `frontcover`, `portada`,
//!    `caratula`; never `backcover` or `contraportada`).
//! 4. Else the first page.
//!
//! A chosen entry whose bytes are not a picture at all (the extension lied) gives way to the
//! next candidate; a picture that fails to decode is an error, because a silently different
//! cover would mislead the matching.

use std::cmp::Ordering;
use std::path::Path;

use image::DynamicImage;

use super::archive::ComicArchive;
use super::comicinfo;
use super::format::{self, ComicFormat};
use super::{LibraryError, MAX_ENTRY_BYTES, picture};

/// How many candidates are read before giving up on an archive whose names lie.
const MAX_ATTEMPTS: usize = 8;

/// Entries that are never pages even without a picture extension.
const NOT_PICTURES: &[&str] = &[
    "xml", "txt", "nfo", "sfv", "md5", "db", "ini", "url", "htm", "html", "json", "pdf", "md",
    "log", "exe", "zip", "rar", "cbz", "cbr",
];

/// A comic's cover, decoded and upright.
#[derive(Debug, Clone)]
pub struct CoverPage {
    /// The entry it came from (for a PDF, `page 1`).
    pub entry: String,
    pub image: DynamicImage,
    /// The page is a truncated image: the part its file lacks is grey.
    pub truncated: bool,
}

/// Opens the comic at `path`, picks its cover and decodes it.
pub fn read_cover(path: &Path) -> Result<CoverPage, LibraryError> {
    read_cover_marked(path, None)
}

/// Like [`read_cover`], with the name of the page Babelcomics4 has marked as the cover.
pub fn read_cover_marked(path: &Path, marked: Option<&str>) -> Result<CoverPage, LibraryError> {
    let archive = ComicArchive::open(path)?;
    if archive.format() == ComicFormat::Pdf {
        return super::pdf::first_page(path);
    }
    let entries = archive.entries()?;
    if entries.is_empty() {
        return Err(LibraryError::Empty {
            path: path.to_owned(),
        });
    }
    let pages = pages(&entries);
    if pages.is_empty() {
        return Err(LibraryError::NoImages {
            path: path.to_owned(),
        });
    }
    let info = archive.comic_info_among(&entries);
    let front = info.as_ref().and_then(|info| info.front_cover);
    let mut candidates = cover_candidates(&pages, front);
    if let Some(at) = marked.and_then(|marked| find_page(&pages, marked)) {
        candidates.retain(|&i| i != at);
        candidates.insert(0, at);
    }
    for &index in candidates.iter().take(MAX_ATTEMPTS) {
        let entry = &pages[index];
        let bytes = archive.read(entry, MAX_ENTRY_BYTES)?;
        if format::sniff_picture(&bytes).is_none() {
            continue;
        }
        let decoded = picture::decode_checked(&bytes).map_err(|detail| LibraryError::BadImage {
            path: path.to_owned(),
            entry: entry.clone(),
            detail,
        })?;
        return Ok(CoverPage {
            entry: entry.clone(),
            image: DynamicImage::ImageRgb8(decoded.image),
            truncated: decoded.truncated,
        });
    }
    Err(LibraryError::NoImages {
        path: path.to_owned(),
    })
}

/// The pages of a comic, from the names of its entries, in reading order.
pub fn pages(entries: &[String]) -> Vec<String> {
    let visible: Vec<&String> = entries
        .iter()
        .filter(|name| !is_junk(name) && !comicinfo::is_comicinfo_name(name))
        .collect();
    let mut pages: Vec<String> = visible
        .iter()
        .filter(|name| format::has_image_extension(name))
        .map(|name| (*name).clone())
        .collect();
    if pages.is_empty() {
        pages = visible
            .iter()
            .filter(|name| !has_extension_in(name, NOT_PICTURES))
            .map(|name| (*name).clone())
            .collect();
    }
    pages.sort_by(|a, b| natural_order(a, b));
    pages
}

/// Natural order, ignoring case: "page2" before "page10".
pub fn natural_order(a: &str, b: &str) -> Ordering {
    natord::compare_ignore_case(a, b).then_with(|| a.cmp(b))
}

/// The index in `pages` of the cover, by the rules above. `front_cover` is ComicInfo.xml's
/// `FrontCover` page index, when there is one.
pub fn choose_cover(pages: &[String], front_cover: Option<usize>) -> Option<usize> {
    cover_candidates(pages, front_cover).first().copied()
}

/// The page named `marked`: the same entry, or failing that the same file name (Babelcomics4
/// may keep only the file name of a page inside a folder of the archive).
fn find_page(pages: &[String], marked: &str) -> Option<usize> {
    pages.iter().position(|page| page == marked).or_else(|| {
        let wanted = file_name(marked);
        pages.iter().position(|page| file_name(page) == wanted)
    })
}

/// Every page index, best cover candidate first.
fn cover_candidates(pages: &[String], front_cover: Option<usize>) -> Vec<usize> {
    let mut order = Vec::with_capacity(pages.len());
    if let Some(front) = front_cover.filter(|&i| i < pages.len()) {
        order.push(front);
    }
    order.extend((0..pages.len()).filter(|&i| is_cover_name(&pages[i])));
    order.extend(0..pages.len());
    let mut seen = vec![false; pages.len()];
    order.retain(|&i| !std::mem::replace(&mut seen[i], true));
    order
}

/// Whether a page's file name says it is the front cover.
pub fn is_cover_name(entry: &str) -> bool {
    let name = file_name(entry).to_lowercase();
    // The word right before tells "cover" and "frontcover" from "backcover", "back cover" and
    // "discover", and "portada" from "contraportada".
    let says = |word: &str, allowed_prefixes: &[&str], refused_words: &[&str]| {
        name.match_indices(word).any(|(at, _)| {
            let before = &name[..at];
            let prefix = trailing_letters(before);
            if !prefix.is_empty() {
                return allowed_prefixes.contains(&prefix);
            }
            let previous = trailing_letters(before.trim_end_matches([' ', '_', '-', '.']));
            !refused_words.contains(&previous)
        })
    };
    says("cover", &["front"], &["back"])
        || says("portada", &[], &["contra"])
        || says("caratula", &[], &[])
        || says("carátula", &[], &[])
}

/// The run of letters at the end of `text`.
fn trailing_letters(text: &str) -> &str {
    let start = text
        .char_indices()
        .rev()
        .take_while(|(_, c)| c.is_alphabetic())
        .last()
        .map_or(text.len(), |(i, _)| i);
    &text[start..]
}

/// Dotfiles, macOS resource forks and thumbnail caches, at any depth.
pub fn is_junk(entry: &str) -> bool {
    entry.split(['/', '\\']).any(|part| {
        // "./001.jpg" is how tar names files added from the current folder.
        (part.starts_with('.') && part != "." && part != "..")
            || part == "__MACOSX"
            || part.eq_ignore_ascii_case("Thumbs.db")
            || part.eq_ignore_ascii_case("desktop.ini")
    })
}

fn file_name(entry: &str) -> &str {
    entry.rsplit(['/', '\\']).next().unwrap_or(entry)
}

fn has_extension_in(entry: &str, list: &[&str]) -> bool {
    let name = file_name(entry);
    name.rsplit_once('.')
        .is_some_and(|(_, ext)| list.iter().any(|known| ext.eq_ignore_ascii_case(known)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    fn cover_of(entries: &[&str], front: Option<usize>) -> Option<String> {
        let pages = pages(&names(entries));
        choose_cover(&pages, front).map(|i| pages[i].clone())
    }

    #[test]
    fn pages_are_in_natural_order() {
        let pages = pages(&names(&[
            "page10.jpg",
            "page2.jpg",
            "Page1.jpg",
            "page1a.jpg",
        ]));
        assert_eq!(
            pages,
            names(&["Page1.jpg", "page1a.jpg", "page2.jpg", "page10.jpg"])
        );
    }

    #[test]
    fn the_first_page_is_the_cover_when_nothing_else_says() {
        assert_eq!(
            cover_of(&["b/010.jpg", "b/002.jpg", "b/001.png"], None).as_deref(),
            Some("b/001.png")
        );
    }

    #[test]
    fn junk_and_non_pictures_are_never_pages() {
        let pages = pages(&names(&[
            "__MACOSX/._001.jpg",
            ".DS_Store",
            "dir/.hidden.jpg",
            "ComicInfo.xml",
            "notes.txt",
            "Thumbs.db",
            "002.webp",
            "003.avif",
            "004.GIF",
        ]));
        assert_eq!(pages, names(&["002.webp", "003.avif", "004.GIF"]));
    }

    #[test]
    fn entries_under_the_current_folder_are_pages() {
        let pages = pages(&names(&["./002.jpg", "./001.jpg", "./.hidden.jpg"]));
        assert_eq!(pages, names(&["./001.jpg", "./002.jpg"]));
    }

    #[test]
    fn comicinfo_front_cover_wins() {
        let entries = ["p1.jpg", "p2.jpg", "cover.jpg", "p3.jpg"];
        // Pages sort as cover.jpg, p1, p2, p3; ComicInfo points at index 2 (p2).
        assert_eq!(cover_of(&entries, Some(2)).as_deref(), Some("p2.jpg"));
    }

    #[test]
    fn a_front_cover_index_out_of_range_is_ignored() {
        assert_eq!(
            cover_of(&["a.jpg", "b.jpg"], Some(9)).as_deref(),
            Some("a.jpg")
        );
    }

    #[test]
    fn a_page_named_cover_beats_the_first_page() {
        assert_eq!(
            cover_of(&["000 ad.jpg", "001 FrontCover.jpg", "002.jpg"], None).as_deref(),
            Some("001 FrontCover.jpg")
        );
        assert_eq!(
            cover_of(&["000.jpg", "zz_portada.jpg"], None).as_deref(),
            Some("zz_portada.jpg")
        );
        assert_eq!(
            cover_of(&["000.jpg", "Caratula.png"], None).as_deref(),
            Some("Caratula.png")
        );
    }

    #[test]
    fn back_covers_and_lookalikes_are_not_covers() {
        for name in [
            "backcover.jpg",
            "99 Back Cover.jpg",
            "back_cover.jpg",
            "contraportada.jpg",
            "contra portada.jpg",
            "discover.jpg",
            "recovered.jpg",
        ] {
            assert!(!is_cover_name(name), "{name}");
        }
        for name in [
            "cover.jpg",
            "Batman 001 - Cover A.jpg",
            "00_cover.png",
            "front_cover.jpg",
        ] {
            assert!(is_cover_name(name), "{name}");
        }
        assert_eq!(
            cover_of(&["01.jpg", "backcover.jpg"], None).as_deref(),
            Some("01.jpg")
        );
    }

    #[test]
    fn a_cover_folder_name_does_not_make_every_page_a_cover() {
        assert!(!is_cover_name("Covers/001.jpg"));
    }

    #[test]
    fn entries_without_a_picture_extension_are_tried_when_nothing_else_is_there() {
        let pages = pages(&names(&["page2", "page1.bin", "info.txt", "ComicInfo.xml"]));
        assert_eq!(pages, names(&["page1.bin", "page2"]));
    }

    #[test]
    fn a_marked_page_is_found_by_entry_or_file_name() {
        let pages = names(&["Issue/001.jpg", "Issue/002.jpg"]);
        assert_eq!(find_page(&pages, "Issue/002.jpg"), Some(1));
        assert_eq!(find_page(&pages, "002.jpg"), Some(1));
        assert_eq!(find_page(&pages, "003.jpg"), None);
    }

    #[test]
    fn candidates_list_every_page_once() {
        let pages = names(&["a.jpg", "cover.jpg", "c.jpg"]);
        assert_eq!(cover_candidates(&pages, Some(2)), vec![2, 1, 0]);
        assert_eq!(cover_candidates(&[], Some(0)), Vec::<usize>::new());
    }
}
