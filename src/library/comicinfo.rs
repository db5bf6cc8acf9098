//! ComicInfo.xml (the Anansi schema other comic tools write into archives): reading the page
//! marked as the front cover and the series, number and year it names, and writing what the
//! catalog knows about an issue into a CBZ.
//!
//! Reading ignores unknown tags, and a malformed file yields what was read before the fault.
//! Writing changes only the fields Vistazo fills in ([`IssueTags`]) and keeps every other tag,
//! comment and the layout as they were; the archive is rebuilt beside the old one, its other
//! entries copied without recompressing them, and renamed over it once it is safely on disk.
//! Only ZIP archives are written: nothing free writes RAR, and rewriting 7z or tar archives
//! would recompress every page. A ComicInfo.xml that cannot be read is never replaced.

use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use quick_xml::events::{BytesEnd, BytesStart, BytesText, Event};

use super::LibraryError;
use super::cover::is_junk;
use super::format::{self, ComicFormat};
use crate::i18n::{fill, gettext};

/// Largest ComicInfo.xml read; real ones are a few kilobytes.
pub const MAX_COMICINFO_BYTES: u64 = 4 * 1024 * 1024;

/// The name a new ComicInfo.xml gets: Komga reads only this exact name, at the top.
pub const COMICINFO_NAME: &str = "ComicInfo.xml";

/// The copy of a CBZ being rebuilt sits beside it under this name, `.vistazo-XXXX.cbz.tmp`,
/// until it replaces the file.
const TEMPORARY_PREFIX: &str = ".vistazo-";
const TEMPORARY_SUFFIX: &str = ".cbz.tmp";

/// How old a temporary copy must be to count as left by a rewrite that was killed: a rewrite
/// takes seconds, and one running now in another process must not lose its copy.
pub const STALE_TEMPORARY: std::time::Duration = std::time::Duration::from_secs(10 * 60);

/// What Vistazo uses from a ComicInfo.xml.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ComicInfo {
    pub series: Option<String>,
    pub number: Option<String>,
    pub volume: Option<String>,
    pub year: Option<i32>,
    /// The `Image` index (0-based, in page order) of the first page whose `Type` list holds
    /// `FrontCover`.
    pub front_cover: Option<usize>,
    /// The ComicVine issue id a tagger recorded: the issue page in `Web` (`…/4000-N/`), else
    /// the `[Issue ID N]` or `[CVDB N]` of `Notes`.
    pub comicvine_issue: Option<i64>,
    /// Another ComicVine issue id the same file names: `Notes` naming another issue than
    /// `Web`. Tags that contradict each other decide nothing.
    pub comicvine_conflict: Option<i64>,
}

/// Whether an entry name is the archive's ComicInfo.xml (any case, in any folder: Kavita
/// accepts any case and some tools nest it).
pub fn is_comicinfo_name(name: &str) -> bool {
    let file_name = name.rsplit(['/', '\\']).next().unwrap_or(name);
    file_name.eq_ignore_ascii_case("ComicInfo.xml")
}

/// Whether an archive entry sits at the archive's top level, where readers look for
/// ComicInfo.xml first and where Vistazo writes it (`sub/ComicInfo.xml` and
/// `../ComicInfo.xml` do not).
pub fn is_top_level(name: &str) -> bool {
    !name.contains(['/', '\\'])
}

/// Of the names of an archive's ComicInfo.xml entries, in archive order, the one reading
/// takes: the one at the top level, else the first one nested in a folder.
pub fn chosen_comicinfo<'a>(mut names: impl Iterator<Item = &'a str> + Clone) -> Option<&'a str> {
    names
        .clone()
        .find(|name| is_top_level(name))
        .or_else(|| names.next())
}

/// Parses the bytes of a ComicInfo.xml.
pub fn parse(bytes: &[u8]) -> ComicInfo {
    parse_reporting(bytes).0
}

/// Parses the bytes of a ComicInfo.xml, failing with the parser's reason on one that is not
/// well-formed: what such a file says about the issue cannot be trusted.
pub fn parse_checked(bytes: &[u8]) -> Result<ComicInfo, String> {
    match parse_reporting(bytes) {
        (info, None) => Ok(info),
        (_, Some(reason)) => Err(reason),
    }
}

/// What was read, and the fault that stopped reading, if any.
fn parse_reporting(bytes: &[u8]) -> (ComicInfo, Option<String>) {
    let text = String::from_utf8_lossy(bytes);
    let mut reader = quick_xml::Reader::from_str(&text);
    let mut info = ComicInfo::default();
    // The element whose text is being collected, when it is one Vistazo reads.
    let mut field: Option<Field> = None;
    let mut value = String::new();
    let mut web = None;
    let mut notes = None;
    let mut fault = None;
    let mut depth = 0usize;
    let mut root_seen = false;
    loop {
        match reader.read_event() {
            Ok(Event::Start(start)) => {
                depth += 1;
                root_seen = true;
                field = Field::from_tag(start.local_name().as_ref());
                value.clear();
            }
            Ok(Event::Empty(element)) => {
                if element.local_name().as_ref() == "Page" && info.front_cover.is_none() {
                    info.front_cover = front_cover_index(&element);
                }
            }
            Ok(Event::Text(text)) if field.is_some() => value.push_str(&text.xml10_content()),
            Ok(Event::GeneralRef(reference)) if field.is_some() => {
                if let Some(c) = resolve_reference(&reference.xml10_content()) {
                    value.push(c);
                }
            }
            Ok(Event::End(_)) => {
                depth = depth.saturating_sub(1);
                match field.take() {
                    Some(Field::Web) => web = Some(value.trim().to_owned()),
                    Some(Field::Notes) => notes = Some(value.trim().to_owned()),
                    Some(done) => done.store(value.trim(), &mut info),
                    None => {}
                }
            }
            Ok(Event::Eof) => {
                if depth > 0 {
                    fault = Some(gettext("the file ends before its last element is closed"));
                } else if !root_seen {
                    fault = Some(gettext("the file has no XML element"));
                }
                break;
            }
            Err(error) => {
                fault = Some(error.to_string());
                break;
            }
            Ok(_) => {}
        }
    }
    let in_web = web.as_deref().and_then(comicvine_issue_in_url);
    let in_notes = notes.as_deref().and_then(comicvine_issue_in_notes);
    info.comicvine_issue = in_web.or(in_notes);
    info.comicvine_conflict = in_notes.filter(|id| in_web.is_some_and(|web| web != *id));
    (info, fault)
}

/// The issue id of a ComicVine issue page address (`https://comicvine.gamespot.com/x/4000-N/`).
pub fn comicvine_issue_in_url(url: &str) -> Option<i64> {
    let at = url.find("/4000-")?;
    leading_number(&url[at + "/4000-".len()..])
}

/// The issue id ComicTagger (`[Issue ID N]`) or other taggers (`[CVDB N]`, `[CVDB:N]`) write
/// into Notes.
pub fn comicvine_issue_in_notes(notes: &str) -> Option<i64> {
    let lower = notes.to_lowercase();
    ["[issue id", "[cvdb"].iter().find_map(|marker| {
        let at = lower.find(marker)?;
        let rest = lower[at + marker.len()..].trim_start_matches([' ', ':', '#']);
        leading_number(rest)
    })
}

/// The positive number `text` starts with.
fn leading_number(text: &str) -> Option<i64> {
    let digits: String = text.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok().filter(|id: &i64| *id > 0)
}

#[derive(Debug, Clone, Copy)]
enum Field {
    Series,
    Number,
    Volume,
    Year,
    Web,
    Notes,
}

impl Field {
    fn from_tag(tag: &str) -> Option<Self> {
        match tag {
            "Series" => Some(Self::Series),
            "Number" => Some(Self::Number),
            "Volume" => Some(Self::Volume),
            "Year" => Some(Self::Year),
            "Web" => Some(Self::Web),
            "Notes" => Some(Self::Notes),
            _ => None,
        }
    }

    fn store(self, value: &str, info: &mut ComicInfo) {
        if value.is_empty() {
            return;
        }
        match self {
            Self::Series => info.series = Some(value.to_owned()),
            Self::Number => info.number = Some(value.to_owned()),
            Self::Volume => info.volume = Some(value.to_owned()),
            // The schema's "unknown" is -1.
            Self::Year => info.year = value.parse().ok().filter(|year: &i32| *year > 0),
            // Kept aside by the parser: the two are read together.
            Self::Web | Self::Notes => {}
        }
    }
}

fn front_cover_index(page: &BytesStart<'_>) -> Option<usize> {
    let mut image = None;
    let mut is_front_cover = false;
    for attribute in page.attributes().flatten() {
        let Ok(value) = attribute.normalized_value(quick_xml::XmlVersion::Implicit1_0) else {
            continue;
        };
        match attribute.key.local_name().as_ref() {
            "Image" => image = value.trim().parse::<usize>().ok(),
            // Type is a whitespace-separated list ("FrontCover InnerCover").
            "Type" => is_front_cover = value.split_whitespace().any(|t| t == "FrontCover"),
            _ => {}
        }
    }
    image.filter(|_| is_front_cover)
}

fn resolve_reference(name: &str) -> Option<char> {
    match name {
        "amp" => Some('&'),
        "lt" => Some('<'),
        "gt" => Some('>'),
        "quot" => Some('"'),
        "apos" => Some('\''),
        _ => {
            let number = name.strip_prefix('#')?;
            let code = match number.strip_prefix(['x', 'X']) {
                Some(hex) => u32::from_str_radix(hex, 16).ok()?,
                None => number.parse().ok()?,
            };
            char::from_u32(code)
        }
    }
}

/// What Vistazo writes into a ComicInfo.xml: the catalog's facts about one issue. A field the
/// catalog does not know (`None` or empty) leaves the file's own value as it is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IssueTags {
    pub series: String,
    pub number: String,
    /// The year the volume started, which is what ComicVine taggers write as the volume.
    pub volume: Option<i32>,
    /// Cover year.
    pub year: Option<i32>,
    pub publisher: Option<String>,
    pub title: Option<String>,
    /// The issue's page on ComicVine.
    pub web: Option<String>,
    /// The ComicVine issue id, named in Notes; `None` when the catalog does not know it.
    pub comicvine_id: Option<i64>,
}

impl IssueTags {
    /// The Notes line, in the form other taggers write and read back ("[Issue ID N]").
    pub fn notes(&self) -> String {
        match self.comicvine_id {
            Some(id) => format!("Tagged with Vistazo using info from Comic Vine. [Issue ID {id}]"),
            None => "Tagged with Vistazo using info from Comic Vine.".to_owned(),
        }
    }

    /// What to do with each field Vistazo owns, given the Year the file has now.
    fn edits(&self, old_year: Option<i32>) -> Vec<(&'static str, Edit)> {
        let known = |value: Option<String>| {
            value
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
                .map_or(Edit::Keep, Edit::Set)
        };
        let year = self.year.filter(|year| *year > 0);
        // Month and Day of another year describe another issue; the catalog keeps only years.
        let date = if year.is_some() && year != old_year {
            Edit::Remove
        } else {
            Edit::Keep
        };
        vec![
            ("Title", known(self.title.clone())),
            ("Series", known(Some(self.series.clone()))),
            ("Number", known(Some(self.number.clone()))),
            (
                "Volume",
                known(self.volume.filter(|v| *v > 0).map(|v| v.to_string())),
            ),
            ("Notes", Edit::Set(self.notes())),
            ("Year", known(year.map(|y| y.to_string()))),
            ("Month", date.clone()),
            ("Day", date),
            ("Publisher", known(self.publisher.clone())),
            ("Web", known(self.web.clone())),
        ]
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Edit {
    Set(String),
    Remove,
    Keep,
}

/// The elements of a ComicInfo, in the order the schema's sequence puts them: new fields go
/// where the schema wants them.
const SCHEMA_ORDER: &[&str] = &[
    "Title",
    "Series",
    "Number",
    "Count",
    "Volume",
    "AlternateSeries",
    "AlternateNumber",
    "AlternateCount",
    "Summary",
    "Notes",
    "Year",
    "Month",
    "Day",
    "Writer",
    "Penciller",
    "Inker",
    "Colorist",
    "Letterer",
    "CoverArtist",
    "Editor",
    "Translator",
    "Publisher",
    "Imprint",
    "Genre",
    "Tags",
    "Web",
    "PageCount",
    "LanguageISO",
    "Format",
    "BlackAndWhite",
    "Manga",
    "Characters",
    "Teams",
    "Locations",
    "ScanInformation",
    "StoryArc",
    "StoryArcNumber",
    "SeriesGroup",
    "AgeRating",
    "Pages",
    "CommunityRating",
    "MainCharacterOrTeam",
    "Review",
    "GTIN",
];

fn schema_position(tag: &str) -> Option<usize> {
    SCHEMA_ORDER.iter().position(|known| *known == tag)
}

/// What a fresh ComicInfo.xml starts from.
const EMPTY_DOCUMENT: &str = "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<ComicInfo xmlns:xsd=\"http://www.w3.org/2001/XMLSchema\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\">\n</ComicInfo>\n";

/// Why a ComicInfo.xml could not be written into (or restored in) a comic. The comic file is
/// as it was in every case.
#[derive(Debug, thiserror::Error)]
pub enum ComicInfoError {
    #[error("{}", not_zip_reason(.path, *.format))]
    NotZip { path: PathBuf, format: ComicFormat },
    #[error("{}", fill(&gettext("{path} is read-only"), &[("path", &.path.display())]))]
    ReadOnly { path: PathBuf },
    #[error("{}", fill(&gettext("the ComicInfo.xml in {path} cannot be read, so it is left as it is: {detail}"), &[("path", &.path.display()), ("detail", .detail)]))]
    Malformed { path: PathBuf, detail: String },
    #[error("{}", fill(&gettext("the ComicInfo.xml in {path} has changed since Vistazo wrote it"), &[("path", &.path.display())]))]
    ChangedSince { path: PathBuf },
    #[error("{}", fill(&gettext("cannot write {path}: {error}"), &[("path", &.path.display()), ("error", .source)]))]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(transparent)]
    Read(#[from] LibraryError),
}

fn not_zip_reason(path: &Path, format: ComicFormat) -> String {
    if format == ComicFormat::Folder {
        fill(
            &gettext("{path} is a folder of pictures; only CBZ files get a ComicInfo.xml"),
            &[("path", &path.display())],
        )
    } else {
        fill(
            &gettext("{path} is a {name} file; only CBZ files get a ComicInfo.xml"),
            &[("path", &path.display()), ("name", &format.name())],
        )
    }
}

impl ComicInfoError {
    /// Whether the comic was left alone on purpose (its kind, or a ComicInfo.xml another tool
    /// changed), not because something failed.
    pub fn is_skip(&self) -> bool {
        matches!(self, Self::NotZip { .. } | Self::ChangedSince { .. })
    }
}

/// `existing` (a ComicInfo.xml, or a new one when `None`) with the fields of `tags` written in.
/// Every other element, attribute, comment and piece of white space stays as it was. Fails,
/// with the reason, on a document that is not well-formed UTF-8 XML.
pub fn with_tags(existing: Option<&[u8]>, tags: &IssueTags) -> Result<Vec<u8>, String> {
    let text = match existing {
        Some(bytes) => std::str::from_utf8(bytes).map_err(|error| error.to_string())?,
        None => EMPTY_DOCUMENT,
    };
    let old_year = existing.and_then(|bytes| parse(bytes).year);
    let mut editor = Editor {
        out: quick_xml::Writer::new(Vec::new()),
        edits: tags.edits(old_year),
        done: Vec::new(),
        pending: String::new(),
        indent: None,
    };
    editor.done = vec![false; editor.edits.len()];
    let mut reader = quick_xml::Reader::from_str(text);
    let mut depth = 0usize;
    // Inside a child being replaced or removed.
    let mut skipping = false;
    let mut seen_root = false;
    loop {
        let event = reader.read_event().map_err(|error| error.to_string())?;
        if skipping {
            match event {
                Event::Start(_) => depth += 1,
                Event::End(_) => {
                    depth -= 1;
                    skipping = depth > 1;
                }
                Event::Eof => return Err("the document ends inside an element".to_owned()),
                _ => {}
            }
            continue;
        }
        let io = |error: std::io::Error| error.to_string();
        match event {
            Event::Text(text) if depth == 1 && text.trim_ascii().is_empty() => {
                editor.pending.push_str(&text);
            }
            Event::Start(root) if depth == 0 && !seen_root => {
                seen_root = true;
                depth = 1;
                editor.out.write_event(Event::Start(root)).map_err(io)?;
            }
            Event::Empty(root) if depth == 0 && !seen_root => {
                // `<ComicInfo/>`: opened, filled and closed here.
                seen_root = true;
                let end = BytesEnd::new(root.name().as_ref().to_owned());
                editor.out.write_event(Event::Start(root)).map_err(io)?;
                editor.close(end).map_err(io)?;
            }
            Event::Start(child) if depth == 1 => {
                depth += 1;
                skipping = !editor.child(Event::Start(child)).map_err(io)?;
            }
            Event::Empty(child) if depth == 1 => {
                editor.child(Event::Empty(child)).map_err(io)?;
            }
            Event::End(end) if depth == 1 => {
                depth = 0;
                editor.close(end).map_err(io)?;
            }
            Event::Start(start) => {
                depth += 1;
                editor.out.write_event(Event::Start(start)).map_err(io)?;
            }
            Event::End(end) => {
                depth = depth.saturating_sub(1);
                editor.out.write_event(Event::End(end)).map_err(io)?;
            }
            Event::Eof => break,
            other => {
                editor.flush_pending().map_err(io)?;
                editor.out.write_event(other).map_err(io)?;
            }
        }
    }
    if !seen_root || depth != 0 {
        return Err("the document has no complete root element".to_owned());
    }
    Ok(editor.out.into_inner())
}

/// Rewrites the root's children of a ComicInfo as they stream past.
struct Editor {
    out: quick_xml::Writer<Vec<u8>>,
    edits: Vec<(&'static str, Edit)>,
    /// Which edits are written.
    done: Vec<bool>,
    /// White space between the root's children, held until the next child decides its fate.
    pending: String,
    /// The white space before the last child: what new fields are indented with.
    indent: Option<String>,
}

impl Editor {
    /// Handles one child of the root; returns whether its content is kept (`false`: the
    /// caller skips to its end).
    fn child(&mut self, event: Event<'_>) -> std::io::Result<bool> {
        let (Event::Start(element) | Event::Empty(element)) = &event else {
            return Ok(true);
        };
        let tag = element.local_name().as_ref().to_owned();
        let prefix = if self.pending.is_empty() {
            self.indent.clone().unwrap_or_default()
        } else {
            self.pending.clone()
        };
        if let Some(position) = schema_position(&tag) {
            self.write_missing(Some(position), &prefix)?;
        }
        self.indent = Some(prefix);
        let owned = self.edits.iter().position(|(name, _)| *name == tag);
        let edit = match owned {
            // A second copy of a field Vistazo wrote would contradict it.
            Some(at) if self.done[at] => Edit::Remove,
            Some(at) => self.edits[at].1.clone(),
            None => Edit::Keep,
        };
        let kept = match edit {
            Edit::Set(value) => {
                let pending = std::mem::take(&mut self.pending);
                self.write_field(&pending, &tag, &value)?;
                if let Some(at) = owned {
                    self.done[at] = true;
                }
                false
            }
            Edit::Remove => {
                self.pending.clear();
                false
            }
            Edit::Keep => {
                self.flush_pending()?;
                self.out.write_event(event.borrow())?;
                true
            }
        };
        Ok(kept)
    }

    /// Writes the fields still missing and the root's end tag.
    fn close(&mut self, end: BytesEnd<'_>) -> std::io::Result<()> {
        let prefix = self.indent.clone().unwrap_or_else(|| "\n  ".to_owned());
        let wrote = self.write_missing(None, &prefix)?;
        if wrote > 0 && self.pending.is_empty() && prefix.contains('\n') {
            self.pending.push('\n');
        }
        self.flush_pending()?;
        self.out.write_event(Event::End(end))
    }

    /// Writes the fields not yet in the document that the schema puts before `position`
    /// (all of them when `None`). Returns how many it wrote.
    fn write_missing(&mut self, position: Option<usize>, prefix: &str) -> std::io::Result<usize> {
        let mut wrote = 0;
        for at in 0..self.edits.len() {
            let (tag, Edit::Set(value)) = &self.edits[at] else {
                continue;
            };
            let before = match (position, schema_position(tag)) {
                (None, _) => true,
                (Some(limit), Some(own)) => own < limit,
                (Some(_), None) => false,
            };
            if !self.done[at] && before {
                let (tag, value) = (*tag, value.clone());
                self.write_field(prefix, tag, &value)?;
                self.done[at] = true;
                wrote += 1;
            }
        }
        Ok(wrote)
    }

    fn write_field(&mut self, prefix: &str, tag: &str, value: &str) -> std::io::Result<()> {
        if !prefix.is_empty() {
            self.out
                .write_event(Event::Text(BytesText::from_escaped(prefix)))?;
        }
        self.out.write_event(Event::Start(BytesStart::new(tag)))?;
        self.out.write_event(Event::Text(BytesText::new(value)))?;
        self.out.write_event(Event::End(BytesEnd::new(tag)))
    }

    fn flush_pending(&mut self) -> std::io::Result<()> {
        if !self.pending.is_empty() {
            let pending = std::mem::take(&mut self.pending);
            self.out
                .write_event(Event::Text(BytesText::from_escaped(pending)))?;
        }
        Ok(())
    }
}

/// The ComicInfo.xml at the top level of the CBZ at `path`, the one Vistazo writes and
/// replaces, as it is stored; `None` when there is none there (one nested in a folder is
/// [`nested_xml`]'s).
pub fn stored_xml(path: &Path) -> Result<Option<Vec<u8>>, ComicInfoError> {
    let mut archive = open_zip(path)?;
    match comicinfo_entry(&mut archive, path, Placement::TopLevel)? {
        Some(index) => Ok(Some(read_entry(&mut archive, index, path)?)),
        None => Ok(None),
    }
}

/// The first ComicInfo.xml nested in a folder of the CBZ at `path` (`sub/ComicInfo.xml`,
/// `../ComicInfo.xml`), which reading takes when the top level has none; Vistazo leaves it
/// as it is.
pub fn nested_xml(path: &Path) -> Result<Option<Vec<u8>>, ComicInfoError> {
    let mut archive = open_zip(path)?;
    match comicinfo_entry(&mut archive, path, Placement::Nested)? {
        Some(index) => Ok(Some(read_entry(&mut archive, index, path)?)),
        None => Ok(None),
    }
}

/// Replaces the ComicInfo.xml at the top level of the CBZ at `path` with `replacement` (`None`
/// removes it), provided it still holds `expected` (`None`: none at the top level). One
/// nested in a folder is copied as it is, never replaced nor removed. The new archive is written
/// beside the old one, every other entry copied as it is stored, flushed to disk and renamed
/// over the old one, which stays untouched on any failure. The file keeps its permissions.
pub fn replace_in_archive(
    path: &Path,
    expected: Option<&[u8]>,
    replacement: Option<&[u8]>,
) -> Result<(), ComicInfoError> {
    let write_error = |source: std::io::Error| ComicInfoError::Write {
        path: path.to_owned(),
        source,
    };
    let metadata = std::fs::metadata(path).map_err(|e| LibraryError::io(path, e))?;
    if metadata.permissions().readonly() {
        return Err(ComicInfoError::ReadOnly {
            path: path.to_owned(),
        });
    }
    let mut archive = open_zip(path)?;
    let index = comicinfo_entry(&mut archive, path, Placement::TopLevel)?;
    let current = match index {
        Some(index) => Some(read_entry(&mut archive, index, path)?),
        None => None,
    };
    if current.as_deref() != expected {
        return Err(ComicInfoError::ChangedSince {
            path: path.to_owned(),
        });
    }
    let folder = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    let mut temporary = tempfile::Builder::new()
        .prefix(TEMPORARY_PREFIX)
        .suffix(TEMPORARY_SUFFIX)
        .tempfile_in(folder)
        .map_err(write_error)?;
    {
        let zip_error = |error: zip::result::ZipError| write_error(std::io::Error::other(error));
        let mut writer = zip::ZipWriter::new(BufWriter::new(temporary.as_file_mut()));
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        for at in 0..archive.len() {
            let entry = archive.by_index_raw(at).map_err(|e| corrupt(path, &e))?;
            if Some(at) == index {
                if let Some(bytes) = replacement {
                    writer
                        .start_file(entry.name().map_err(|e| corrupt(path, &e))?, options)
                        .map_err(zip_error)?;
                    writer.write_all(bytes).map_err(write_error)?;
                }
                continue;
            }
            writer.raw_copy_file(entry).map_err(zip_error)?;
        }
        if let (None, Some(bytes)) = (index, replacement) {
            writer
                .start_file(COMICINFO_NAME, options)
                .map_err(zip_error)?;
            writer.write_all(bytes).map_err(write_error)?;
        }
        writer
            .set_raw_comment(archive.comment().into())
            .map_err(zip_error)?;
        writer
            .finish()
            .map_err(zip_error)?
            .flush()
            .map_err(write_error)?;
    }
    let file = temporary.as_file();
    file.set_permissions(metadata.permissions())
        .and_then(|()| file.sync_all())
        .map_err(write_error)?;
    temporary
        .persist(path)
        .map_err(|error| write_error(error.error))?;
    // The rename itself reaches the disk with the folder.
    if let Err(error) = File::open(folder).and_then(|dir| dir.sync_all()) {
        tracing::debug!("cannot flush the folder {}: {error}", folder.display());
    }
    Ok(())
}

/// Deletes the temporary copies in `folder` that rewrites killed midway left behind (older
/// than `older_than`). Returns how many were deleted; a folder that cannot be read has none.
pub fn remove_stale_temporaries(folder: &Path, older_than: std::time::Duration) -> usize {
    let Ok(entries) = std::fs::read_dir(folder) else {
        return 0;
    };
    let mut removed = 0;
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if !(name.starts_with(TEMPORARY_PREFIX) && name.ends_with(TEMPORARY_SUFFIX)) {
            continue;
        }
        let stale = entry
            .metadata()
            .ok()
            .filter(|metadata| metadata.is_file())
            .and_then(|metadata| metadata.modified().ok())
            .and_then(|modified| modified.elapsed().ok())
            .is_some_and(|age| age >= older_than);
        if stale && std::fs::remove_file(entry.path()).is_ok() {
            removed += 1;
        }
    }
    removed
}

type Zip = zip::ZipArchive<BufReader<File>>;

fn open_zip(path: &Path) -> Result<Zip, ComicInfoError> {
    let format = format::detect(path)?;
    if format != ComicFormat::Zip {
        return Err(ComicInfoError::NotZip {
            path: path.to_owned(),
            format,
        });
    }
    let file = File::open(path).map_err(|e| LibraryError::io(path, e))?;
    Ok(zip::ZipArchive::new(BufReader::new(file)).map_err(|e| corrupt(path, &e))?)
}

fn corrupt(path: &Path, error: &zip::result::ZipError) -> LibraryError {
    LibraryError::Corrupt {
        path: path.to_owned(),
        detail: error.to_string(),
    }
}

/// Where a ComicInfo.xml entry is in its archive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Placement {
    TopLevel,
    Nested,
}

/// The position of the archive's first ComicInfo.xml placed as `placement` says.
fn comicinfo_entry(
    archive: &mut Zip,
    path: &Path,
    placement: Placement,
) -> Result<Option<usize>, LibraryError> {
    for at in 0..archive.len() {
        let entry = archive.by_index_raw(at).map_err(|e| corrupt(path, &e))?;
        let name = entry.name().map_err(|e| corrupt(path, &e))?;
        let placed = if is_top_level(&name) {
            Placement::TopLevel
        } else {
            Placement::Nested
        };
        if entry.is_file() && !is_junk(&name) && is_comicinfo_name(&name) && placed == placement {
            return Ok(Some(at));
        }
    }
    Ok(None)
}

fn read_entry(archive: &mut Zip, at: usize, path: &Path) -> Result<Vec<u8>, LibraryError> {
    let name = {
        let raw = archive.by_index_raw(at).map_err(|e| corrupt(path, &e))?;
        if raw.encrypted() {
            return Err(LibraryError::Encrypted {
                path: path.to_owned(),
            });
        }
        raw.name().map_err(|e| corrupt(path, &e))?.into_owned()
    };
    let too_large = || LibraryError::EntryTooLarge {
        path: path.to_owned(),
        entry: name.clone(),
        limit: MAX_COMICINFO_BYTES,
    };
    let entry = archive.by_index(at).map_err(|e| corrupt(path, &e))?;
    if entry.size() > MAX_COMICINFO_BYTES {
        return Err(too_large());
    }
    let mut bytes = Vec::new();
    entry
        .take(MAX_COMICINFO_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| LibraryError::Corrupt {
            path: path.to_owned(),
            detail: e.to_string(),
        })?;
    if bytes.len() as u64 > MAX_COMICINFO_BYTES {
        return Err(too_large());
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<ComicInfo xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
  <Title>The Long Halloween</Title>
  <Series>Batman &amp; Robin</Series>
  <Number>012</Number>
  <Volume>2011</Volume>
  <Year>2012</Year>
  <Pages>
    <Page Image="0" Type="InnerCover" />
    <Page Image="1" />
    <Page Image="2" Type="Story FrontCover" ImageSize="1234" />
    <Page Image="3" Type="FrontCover" />
  </Pages>
</ComicInfo>"#;

    #[test]
    fn the_first_front_cover_page_wins() {
        let info = parse(SAMPLE.as_bytes());
        assert_eq!(info.front_cover, Some(2));
    }

    #[test]
    fn series_number_and_year_are_read() {
        let info = parse(SAMPLE.as_bytes());
        assert_eq!(info.series.as_deref(), Some("Batman & Robin"));
        assert_eq!(info.number.as_deref(), Some("012"));
        assert_eq!(info.volume.as_deref(), Some("2011"));
        assert_eq!(info.year, Some(2012));
    }

    #[test]
    fn no_front_cover_without_the_type() {
        let info =
            parse(br#"<ComicInfo><Pages><Page Image="4" Type="Story"/></Pages></ComicInfo>"#);
        assert_eq!(info.front_cover, None);
    }

    #[test]
    fn unknown_year_and_broken_xml_are_tolerated() {
        let info = parse(b"<ComicInfo><Year>-1</Year><Series>Saga</Series><Pages><Page Image=");
        assert_eq!(info.year, None);
        assert_eq!(info.series.as_deref(), Some("Saga"));
        assert_eq!(parse(b"\xff\xfe garbage"), ComicInfo::default());
    }

    #[test]
    fn the_file_name_is_matched_in_any_case_and_folder() {
        assert!(is_comicinfo_name("ComicInfo.xml"));
        assert!(is_comicinfo_name("Batman 001/comicinfo.XML"));
        assert!(!is_comicinfo_name("ComicInfo.xml.bak"));
        let names = ["sub/ComicInfo.xml", "../ComicInfo.xml", "comicinfo.xml"];
        assert_eq!(chosen_comicinfo(names.into_iter()), Some("comicinfo.xml"));
        assert_eq!(
            chosen_comicinfo(names[..2].iter().copied()),
            Some("sub/ComicInfo.xml")
        );
    }

    fn tags() -> IssueTags {
        IssueTags {
            series: "Batman & Robin".into(),
            number: "12".into(),
            volume: Some(2011),
            year: Some(2012),
            publisher: Some("DC Comics".into()),
            title: Some("Knightfall".into()),
            web: Some("https://comicvine.example/issue/4000-123/".into()),
            comicvine_id: Some(123),
        }
    }

    #[test]
    fn a_new_comicinfo_holds_every_field_in_schema_order() {
        let xml = String::from_utf8(with_tags(None, &tags()).expect("written")).expect("UTF-8");
        let order: Vec<usize> = [
            "<Title>Knightfall</Title>",
            "<Series>Batman &amp; Robin</Series>",
            "<Number>12</Number>",
            "<Volume>2011</Volume>",
            "<Notes>Tagged with Vistazo using info from Comic Vine. [Issue ID 123]</Notes>",
            "<Year>2012</Year>",
            "<Publisher>DC Comics</Publisher>",
            "<Web>https://comicvine.example/issue/4000-123/</Web>",
        ]
        .iter()
        .map(|field| {
            xml.find(field)
                .unwrap_or_else(|| panic!("{field} in {xml}"))
        })
        .collect();
        assert!(order.windows(2).all(|w| w[0] < w[1]), "{xml}");
        assert!(xml.starts_with("<?xml"));
        assert!(xml.contains("\n  <Title>"), "indented: {xml}");
        let read = parse(xml.as_bytes());
        assert_eq!(read.series.as_deref(), Some("Batman & Robin"));
        assert_eq!(read.number.as_deref(), Some("12"));
        assert_eq!(read.year, Some(2012));
    }

    #[test]
    fn unknown_tags_comments_and_layout_are_kept() {
        let before = SAMPLE.replace(
            "  <Year>2012</Year>\n",
            "  <Year>2012</Year>\n  <!-- scanned by hand -->\n  <Month>3</Month>\n  <Writer>Jeph Loeb</Writer>\n  <Genre>Superhero</Genre>\n  <CustomTag attr=\"x\">kept &amp; sound</CustomTag>\n",
        );
        let after =
            String::from_utf8(with_tags(Some(before.as_bytes()), &tags()).expect("written"))
                .expect("UTF-8");
        for kept in [
            "<!-- scanned by hand -->",
            "<Month>3</Month>",
            "<Writer>Jeph Loeb</Writer>",
            "<CustomTag attr=\"x\">kept &amp; sound</CustomTag>",
            "<Page Image=\"2\" Type=\"Story FrontCover\" ImageSize=\"1234\" />",
            "xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\"",
        ] {
            assert!(after.contains(kept), "{kept} in {after}");
        }
        assert!(after.contains("<Title>Knightfall</Title>"), "{after}");
        assert!(!after.contains("Long Halloween"), "{after}");
        assert_eq!(after.matches("<Series>").count(), 1);
        // Publisher goes after Writer and before Genre, as the schema orders them.
        let at = |needle: &str| after.find(needle).expect(needle);
        assert!(at("<Writer>") < at("<Publisher>") && at("<Publisher>") < at("<Genre>"));
        assert!(
            after.contains("\n  <Publisher>DC Comics</Publisher>\n  <Genre>"),
            "{after}"
        );
        // Writing the same tags again changes nothing.
        let again = with_tags(Some(after.as_bytes()), &tags()).expect("again");
        assert_eq!(String::from_utf8(again).expect("UTF-8"), after);
    }

    #[test]
    fn month_and_day_of_another_year_go_and_unknown_fields_stay() {
        let before = "<ComicInfo><Title>Old</Title><Year>1999</Year><Month>3</Month><Day>2</Day><Publisher>Old House</Publisher></ComicInfo>";
        let new = IssueTags {
            title: Some("  ".into()),
            publisher: None,
            ..tags()
        };
        let after = String::from_utf8(with_tags(Some(before.as_bytes()), &new).expect("written"))
            .expect("UTF-8");
        assert!(
            !after.contains("<Month>") && !after.contains("<Day>"),
            "{after}"
        );
        assert!(after.contains("<Title>Old</Title>"), "{after}");
        assert!(
            after.contains("<Publisher>Old House</Publisher>"),
            "{after}"
        );
        assert!(after.contains("<Year>2012</Year>"), "{after}");
        assert!(
            !after.contains('\n'),
            "a compact file stays compact: {after}"
        );

        let same_year = before.replace("1999", "2012");
        let after =
            String::from_utf8(with_tags(Some(same_year.as_bytes()), &new).expect("written"))
                .expect("UTF-8");
        assert!(after.contains("<Month>3</Month><Day>2</Day>"), "{after}");
    }

    #[test]
    fn duplicates_are_dropped_and_an_empty_root_is_filled() {
        let before = "<ComicInfo>\n  <Series>A</Series>\n  <Series>B</Series>\n</ComicInfo>";
        let after =
            String::from_utf8(with_tags(Some(before.as_bytes()), &tags()).expect("written"))
                .expect("UTF-8");
        assert_eq!(after.matches("<Series>").count(), 1, "{after}");
        assert!(after.ends_with("</Web>\n</ComicInfo>"), "{after}");

        let after = String::from_utf8(with_tags(Some(b"<ComicInfo/>"), &tags()).expect("written"))
            .expect("UTF-8");
        assert!(after.starts_with("<ComicInfo>\n  <Title>"), "{after}");
        assert!(after.ends_with("</Web>\n</ComicInfo>"), "{after}");
    }

    #[test]
    fn a_broken_comicinfo_is_not_rewritten() {
        for broken in [
            &b"<ComicInfo><Series>A</Title></ComicInfo>"[..],
            b"<ComicInfo><Series>A</Series>",
            b"\xff\xfe<\x00",
            b"",
        ] {
            assert!(with_tags(Some(broken), &tags()).is_err(), "{broken:?}");
        }
    }
}
