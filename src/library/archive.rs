//! Listing and reading the entries of a comic stored as pages: ZIP (the `zip` crate, which reads
//! one entry without touching the others), RAR, 7z and tar (libarchive, through
//! `compress-tools`), and folders of pictures.
//!
//! Every read is capped at [`MAX_ENTRY_BYTES`](super::MAX_ENTRY_BYTES) whatever the headers
//! claim, so a damaged or hostile archive cannot exhaust memory. Nothing here writes to a comic.

use std::fs::File;
use std::io::{BufReader, Read, Write};
use std::path::{Path, PathBuf};

use super::comicinfo::{self, ComicInfo, MAX_COMICINFO_BYTES};
use super::cover::is_junk;
use super::format::{self, ComicFormat};
use super::{LibraryError, MAX_ENTRY_BYTES};

/// One comic file opened for reading its pages.
#[derive(Debug, Clone)]
pub struct ComicArchive {
    path: PathBuf,
    format: ComicFormat,
}

impl ComicArchive {
    /// Opens `path`, deciding the format by content.
    pub fn open(path: &Path) -> Result<Self, LibraryError> {
        let format = format::detect(path)?;
        Ok(Self {
            path: path.to_owned(),
            format,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn format(&self) -> ComicFormat {
        self.format
    }

    /// Names of the file entries (directories left out), in the order the archive stores them.
    /// For a folder these are the names of the files directly in it. A PDF has no entries.
    pub fn entries(&self) -> Result<Vec<String>, LibraryError> {
        let names = match self.format {
            ComicFormat::Zip => self.zip_entries()?,
            ComicFormat::Rar | ComicFormat::SevenZip | ComicFormat::Tar => {
                self.libarchive_entries()?
            }
            ComicFormat::Folder => self.folder_entries()?,
            ComicFormat::Pdf => Vec::new(),
        };
        Ok(names)
    }

    /// The bytes of the entry `name`, at most `limit` bytes.
    pub fn read(&self, name: &str, limit: u64) -> Result<Vec<u8>, LibraryError> {
        let limit = limit.min(MAX_ENTRY_BYTES);
        match self.format {
            ComicFormat::Zip => self.zip_read(name, limit),
            ComicFormat::Rar | ComicFormat::SevenZip | ComicFormat::Tar => {
                self.libarchive_read(name, limit)
            }
            ComicFormat::Folder => self.folder_read(name, limit),
            ComicFormat::Pdf => Err(self.corrupt(format!("a PDF has no entry named {name}"))),
        }
    }

    /// The archive's ComicInfo.xml, when it has one.
    pub fn comic_info(&self) -> Result<Option<ComicInfo>, LibraryError> {
        let entries = self.entries()?;
        Ok(self.comic_info_among(&entries))
    }

    /// The ComicInfo.xml among `entries` (this archive's). One that cannot be read only loses
    /// its hints: it is logged, not an error.
    pub(super) fn comic_info_among(&self, entries: &[String]) -> Option<ComicInfo> {
        let name = comicinfo::chosen_comicinfo(
            entries
                .iter()
                .map(String::as_str)
                .filter(|name| !is_junk(name) && comicinfo::is_comicinfo_name(name)),
        )?;
        match self.read(name, MAX_COMICINFO_BYTES) {
            Ok(bytes) => Some(comicinfo::parse(&bytes)),
            Err(error) => {
                tracing::debug!(
                    "ignoring the ComicInfo.xml of {}: {error}",
                    self.path.display()
                );
                None
            }
        }
    }

    fn corrupt(&self, detail: impl Into<String>) -> LibraryError {
        LibraryError::Corrupt {
            path: self.path.clone(),
            detail: detail.into(),
        }
    }

    fn too_large(&self, name: &str, limit: u64) -> LibraryError {
        LibraryError::EntryTooLarge {
            path: self.path.clone(),
            entry: name.to_owned(),
            limit,
        }
    }

    fn open_file(&self) -> Result<BufReader<File>, LibraryError> {
        File::open(&self.path)
            .map(BufReader::new)
            .map_err(|e| LibraryError::io(&self.path, e))
    }

    fn zip(&self) -> Result<zip::ZipArchive<BufReader<File>>, LibraryError> {
        zip::ZipArchive::new(self.open_file()?).map_err(|e| self.zip_error(e))
    }

    fn zip_error(&self, error: zip::result::ZipError) -> LibraryError {
        match error {
            zip::result::ZipError::Io(source) => LibraryError::io(&self.path, source),
            zip::result::ZipError::UnsupportedArchive(detail) if is_password_message(detail) => {
                LibraryError::Encrypted {
                    path: self.path.clone(),
                }
            }
            zip::result::ZipError::InvalidPassword => LibraryError::Encrypted {
                path: self.path.clone(),
            },
            other => self.corrupt(other.to_string()),
        }
    }

    fn zip_entries(&self) -> Result<Vec<String>, LibraryError> {
        let mut archive = self.zip()?;
        let mut names = Vec::with_capacity(archive.len());
        for index in 0..archive.len() {
            let entry = archive.by_index_raw(index).map_err(|e| self.zip_error(e))?;
            if entry.is_file() {
                let name = entry.name().map_err(|e| self.zip_error(e))?;
                names.push(name.into_owned());
            }
        }
        Ok(names)
    }

    fn zip_read(&self, name: &str, limit: u64) -> Result<Vec<u8>, LibraryError> {
        let mut archive = self.zip()?;
        let index = archive
            .index_for_name(name)
            .ok_or_else(|| self.corrupt(format!("no entry named {name}")))?;
        {
            let raw = archive.by_index_raw(index).map_err(|e| self.zip_error(e))?;
            if raw.encrypted() {
                return Err(LibraryError::Encrypted {
                    path: self.path.clone(),
                });
            }
            if raw.size() > limit {
                return Err(self.too_large(name, limit));
            }
        }
        let entry = archive.by_index(index).map_err(|e| self.zip_error(e))?;
        // The declared size can lie; the cap holds whatever the stream turns out to be.
        let mut bytes = Vec::new();
        entry
            .take(limit + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| self.corrupt(e.to_string()))?;
        if bytes.len() as u64 > limit {
            return Err(self.too_large(name, limit));
        }
        Ok(bytes)
    }

    fn libarchive_error(&self, error: compress_tools::Error) -> LibraryError {
        match error {
            compress_tools::Error::Io(source) => LibraryError::io(&self.path, source),
            compress_tools::Error::Extraction { details, .. } if is_password_message(&details) => {
                LibraryError::Encrypted {
                    path: self.path.clone(),
                }
            }
            // libarchive's RAR reader lacks solid RAR4 archives, among others.
            compress_tools::Error::Extraction { details, .. }
                if is_unsupported_message(&details) =>
            {
                LibraryError::Unsupported {
                    path: self.path.clone(),
                    detail: details,
                }
            }
            compress_tools::Error::Extraction { details, .. } => self.corrupt(details),
            other => self.corrupt(other.to_string()),
        }
    }

    fn libarchive_entries(&self) -> Result<Vec<String>, LibraryError> {
        let entries = compress_tools::list_archive_entries(self.open_file()?)
            .map_err(|e| self.libarchive_error(e))?;
        // libarchive lists directories too; their names end with a slash in every format it
        // reads here except 7z, where they have no size and no picture extension either.
        Ok(entries
            .into_iter()
            .map(|entry| entry.path)
            .filter(|name| !name.ends_with('/'))
            .collect())
    }

    fn libarchive_read(&self, name: &str, limit: u64) -> Result<Vec<u8>, LibraryError> {
        let mut sink = CappedSink::new(limit);
        let result = compress_tools::uncompress_archive_file(self.open_file()?, &mut sink, name);
        if sink.overflowed {
            return Err(self.too_large(name, limit));
        }
        result.map_err(|e| self.libarchive_error(e))?;
        Ok(sink.bytes)
    }

    fn folder_entries(&self) -> Result<Vec<String>, LibraryError> {
        let read_dir =
            std::fs::read_dir(&self.path).map_err(|e| LibraryError::io(&self.path, e))?;
        let mut names = Vec::new();
        for entry in read_dir {
            let entry = entry.map_err(|e| LibraryError::io(&self.path, e))?;
            let is_file = entry.file_type().is_ok_and(|t| t.is_file());
            // A name that is not UTF-8 cannot be a page the rest of the code can name.
            if let (true, Some(name)) = (is_file, entry.file_name().to_str()) {
                names.push(name.to_owned());
            }
        }
        // The file system's order is arbitrary; a listing should not change between runs.
        names.sort_by(|a, b| super::cover::natural_order(a, b));
        Ok(names)
    }

    fn folder_read(&self, name: &str, limit: u64) -> Result<Vec<u8>, LibraryError> {
        let path = self.path.join(name);
        let file = File::open(&path).map_err(|e| LibraryError::io(&path, e))?;
        let mut bytes = Vec::new();
        file.take(limit + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| LibraryError::io(&path, e))?;
        if bytes.len() as u64 > limit {
            return Err(self.too_large(name, limit));
        }
        Ok(bytes)
    }
}

/// Whether an archive library's message means the content is encrypted. Neither library gives
/// a distinct error kind for it.
fn is_password_message(message: &str) -> bool {
    let message = message.to_ascii_lowercase();
    ["password", "passphrase", "encrypt", "decrypt"]
        .iter()
        .any(|word| message.contains(word))
}

fn is_unsupported_message(message: &str) -> bool {
    let message = message.to_ascii_lowercase();
    ["unavailable", "unsupported", "not supported"]
        .iter()
        .any(|words| message.contains(words))
}

/// A writer that keeps at most `limit` bytes and then refuses more, so libarchive stops
/// decompressing an entry as soon as it is too large.
struct CappedSink {
    bytes: Vec<u8>,
    limit: u64,
    overflowed: bool,
}

impl CappedSink {
    fn new(limit: u64) -> Self {
        Self {
            bytes: Vec::new(),
            limit,
            overflowed: false,
        }
    }
}

impl Write for CappedSink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.bytes.len() as u64 + buf.len() as u64 > self.limit {
            self.overflowed = true;
            return Err(std::io::Error::other("entry larger than the limit"));
        }
        self.bytes.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capped_sink_refuses_past_the_limit() {
        let mut sink = CappedSink::new(4);
        assert!(sink.write_all(b"abcd").is_ok());
        assert!(sink.write_all(b"e").is_err());
        assert!(sink.overflowed);
        assert_eq!(sink.bytes, b"abcd");
    }

    #[test]
    fn password_messages_are_recognised() {
        assert!(is_password_message("Password required to decrypt file"));
        assert!(is_password_message(
            "Encrypted file is unsupported in this build"
        ));
        assert!(!is_password_message("Truncated input file"));
        assert!(is_unsupported_message(
            "RAR solid archive support unavailable."
        ));
        assert!(!is_unsupported_message("Truncated input file"));
    }
}
