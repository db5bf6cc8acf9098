//! What kind of file a comic is, decided by its first bytes: a `.cbr` that is really a ZIP is
//! common, and the extension only says which files are worth opening at all.
//! This module only sniffs; it never reads more than a few hundred bytes of a file.

use std::io::Read;
use std::path::Path;

use super::LibraryError;

/// How a comic file is stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ComicFormat {
    /// CBZ: a ZIP archive.
    Zip,
    /// CBR: a RAR archive, versions 1.5 to 5.
    Rar,
    /// CB7: a 7-Zip archive.
    SevenZip,
    /// CBT: a tar archive.
    Tar,
    Pdf,
    /// A folder whose pictures are the pages.
    Folder,
}

impl ComicFormat {
    pub fn name(self) -> &'static str {
        match self {
            Self::Zip => "ZIP",
            Self::Rar => "RAR",
            Self::SevenZip => "7z",
            Self::Tar => "tar",
            Self::Pdf => "PDF",
            Self::Folder => "folder",
        }
    }
}

/// Extensions of files a scan opens. Anything else in a comics folder (`.nfo`, `.txt`, cover
/// art) is left alone.
pub const COMIC_EXTENSIONS: &[&str] =
    &["cbz", "zip", "cbr", "rar", "cb7", "7z", "cbt", "tar", "pdf"];

/// Extensions of pictures that can be pages.
pub const IMAGE_EXTENSIONS: &[&str] = &["jpg", "jpeg", "png", "gif", "webp", "avif"];

/// Whether the file name has a comic extension (any case).
pub fn has_comic_extension(path: &Path) -> bool {
    extension_in(path, COMIC_EXTENSIONS)
}

/// Whether the name (a file or an archive entry) has a picture extension (any case).
pub fn has_image_extension(name: &str) -> bool {
    extension_in(Path::new(name), IMAGE_EXTENSIONS)
}

fn extension_in(path: &Path, list: &[&str]) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| list.iter().any(|known| e.eq_ignore_ascii_case(known)))
}

/// The format of the comic at `path`: a folder, or a file recognised by its content.
pub fn detect(path: &Path) -> Result<ComicFormat, LibraryError> {
    let metadata = std::fs::metadata(path).map_err(|e| LibraryError::io(path, e))?;
    if metadata.is_dir() {
        return Ok(ComicFormat::Folder);
    }
    if metadata.len() == 0 {
        return Err(LibraryError::Empty {
            path: path.to_owned(),
        });
    }
    let mut head = Vec::with_capacity(HEAD_BYTES);
    std::fs::File::open(path)
        .and_then(|file| file.take(HEAD_BYTES as u64).read_to_end(&mut head))
        .map_err(|e| LibraryError::io(path, e))?;
    sniff_archive(&head).ok_or_else(|| LibraryError::UnknownFormat {
        path: path.to_owned(),
    })
}

/// Enough to reach the tar magic at offset 257.
const HEAD_BYTES: usize = 512;

/// The archive format whose signature starts `head`, if any.
pub fn sniff_archive(head: &[u8]) -> Option<ComicFormat> {
    // An empty ZIP is only an end-of-central-directory record; a spanned one starts PK\x07\x08.
    const ZIP: [&[u8]; 3] = [b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08"];
    if ZIP.iter().any(|magic| head.starts_with(magic)) {
        return Some(ComicFormat::Zip);
    }
    if head.starts_with(b"Rar!\x1a\x07") {
        return Some(ComicFormat::Rar);
    }
    if head.starts_with(b"7z\xbc\xaf\x27\x1c") {
        return Some(ComicFormat::SevenZip);
    }
    if head.starts_with(b"%PDF-") {
        return Some(ComicFormat::Pdf);
    }
    if head.len() >= 262 && &head[257..262] == b"ustar" {
        return Some(ComicFormat::Tar);
    }
    None
}

/// Picture formats a page can be in, by content.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PictureFormat {
    Jpeg,
    Png,
    Gif,
    Webp,
    Avif,
    Bmp,
    Tiff,
}

/// The picture format whose signature starts `head`, if any.
pub fn sniff_picture(head: &[u8]) -> Option<PictureFormat> {
    if head.starts_with(b"\xff\xd8\xff") {
        Some(PictureFormat::Jpeg)
    } else if head.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some(PictureFormat::Png)
    } else if head.starts_with(b"GIF87a") || head.starts_with(b"GIF89a") {
        Some(PictureFormat::Gif)
    } else if head.len() >= 12 && &head[..4] == b"RIFF" && &head[8..12] == b"WEBP" {
        Some(PictureFormat::Webp)
    } else if head.len() >= 12
        && &head[4..8] == b"ftyp"
        && matches!(&head[8..12], b"avif" | b"avis")
    {
        Some(PictureFormat::Avif)
    } else if head.starts_with(b"BM") && head.len() >= 14 {
        Some(PictureFormat::Bmp)
    } else if head.starts_with(b"II*\0") || head.starts_with(b"MM\0*") {
        Some(PictureFormat::Tiff)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn archives_are_recognised_by_their_signature() {
        assert_eq!(sniff_archive(b"PK\x03\x04rest"), Some(ComicFormat::Zip));
        assert_eq!(sniff_archive(b"PK\x05\x06"), Some(ComicFormat::Zip));
        assert_eq!(sniff_archive(b"Rar!\x1a\x07\x00"), Some(ComicFormat::Rar));
        assert_eq!(
            sniff_archive(b"Rar!\x1a\x07\x01\x00"),
            Some(ComicFormat::Rar)
        );
        assert_eq!(
            sniff_archive(b"7z\xbc\xaf\x27\x1c\x00\x04"),
            Some(ComicFormat::SevenZip)
        );
        assert_eq!(sniff_archive(b"%PDF-1.7\n"), Some(ComicFormat::Pdf));
        let mut tar = vec![0u8; 512];
        tar[257..263].copy_from_slice(b"ustar\0");
        assert_eq!(sniff_archive(&tar), Some(ComicFormat::Tar));
        assert_eq!(sniff_archive(b"just some text"), None);
        assert_eq!(sniff_archive(b""), None);
    }

    #[test]
    fn pictures_are_recognised_by_their_signature() {
        assert_eq!(
            sniff_picture(b"\xff\xd8\xff\xe0"),
            Some(PictureFormat::Jpeg)
        );
        assert_eq!(
            sniff_picture(b"\x89PNG\r\n\x1a\n...."),
            Some(PictureFormat::Png)
        );
        assert_eq!(
            sniff_picture(b"RIFF\x10\0\0\0WEBPVP8 "),
            Some(PictureFormat::Webp)
        );
        assert_eq!(
            sniff_picture(b"\0\0\0\x1cftypavif\0\0\0\0"),
            Some(PictureFormat::Avif)
        );
        assert_eq!(sniff_picture(b"<html>"), None);
    }

    #[test]
    fn extensions_are_matched_without_case() {
        assert!(has_comic_extension(Path::new("/a/Batman 001.CBR")));
        assert!(has_comic_extension(Path::new("x.cb7")));
        assert!(!has_comic_extension(Path::new("notes.txt")));
        assert!(!has_comic_extension(Path::new("cbz")));
        assert!(has_image_extension("dir/P001.JPG"));
        assert!(has_image_extension("cover.webp"));
        assert!(!has_image_extension("ComicInfo.xml"));
    }
}
