//! What a comic file says about itself: the ComicVine issue id and the series, number, volume
//! and year that ComicTagger, Metron-Tagger and the like wrote into it, from its ComicInfo.xml
//! and its MetronInfo.xml.
//!
//! Reading never fails a scan: a file without either is simply untagged, and a tag file that is
//! not well-formed XML is ignored, with the reason, because what a broken file says cannot be
//! trusted. Nothing here writes to a comic.

use std::path::Path;

use quick_xml::events::Event;

use super::archive::ComicArchive;
use super::comicinfo::{self, MAX_COMICINFO_BYTES};
use super::cover::is_junk;
use super::format::ComicFormat;
use crate::i18n::{fill, gettext};

/// The name Metron-Tagger gives its file, at the top of the archive.
pub const METRONINFO_NAME: &str = "MetronInfo.xml";

/// What a comic file's tags name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FileTags {
    /// The ComicVine issue id.
    pub comicvine_issue: Option<i64>,
    /// A second, different ComicVine issue id the file's tags name (ComicInfo's Notes against
    /// its Web, MetronInfo against ComicInfo): the tags contradict each other.
    pub comicvine_conflict: Option<i64>,
    pub series: Option<String>,
    pub number: Option<String>,
    /// ComicInfo's `Volume`: usually the year the series started.
    pub volume: Option<String>,
    pub year: Option<i32>,
}

impl FileTags {
    /// Whether the tags say anything matching can use.
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }

    /// The volume the tags name, in the words a user looks for in the catalog: "Saga (2012)".
    pub fn volume_name(&self) -> Option<String> {
        let series = self.series.as_deref()?;
        Some(match self.volume.as_deref().filter(|v| !v.is_empty()) {
            Some(volume) => format!("{series} ({volume})"),
            None => series.to_owned(),
        })
    }
}

/// What reading a comic's tags found: the tags (empty when it has none), and the reason each
/// tag file that could not be used was ignored.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TagsRead {
    pub tags: FileTags,
    pub ignored: Option<String>,
}

/// Reads the tags of the comic at `path`. Errors opening the archive are the cover reader's to
/// report; here they only mean no tags.
pub fn read(path: &Path) -> TagsRead {
    let Ok(archive) = ComicArchive::open(path) else {
        return TagsRead::default();
    };
    if archive.format() == ComicFormat::Pdf {
        return TagsRead::default();
    }
    let Ok(entries) = archive.entries() else {
        return TagsRead::default();
    };
    read_among(&archive, &entries)
}

/// [`read`] for an archive already listed.
pub fn read_among(archive: &ComicArchive, entries: &[String]) -> TagsRead {
    let mut read = TagsRead::default();
    let mut reasons = Vec::new();
    let find = |wanted: &str| {
        entries.iter().filter(|name| !is_junk(name)).find(|name| {
            let file_name = name.rsplit(['/', '\\']).next().unwrap_or(name);
            file_name.eq_ignore_ascii_case(wanted)
        })
    };
    if let Some(name) = find(comicinfo::COMICINFO_NAME) {
        match archive
            .read(name, MAX_COMICINFO_BYTES)
            .map_err(|error| error.to_string())
            .and_then(|bytes| comicinfo::parse_checked(&bytes))
        {
            Ok(info) => {
                read.tags = FileTags {
                    comicvine_issue: info.comicvine_issue,
                    comicvine_conflict: info.comicvine_conflict,
                    series: info.series,
                    number: info.number,
                    volume: info.volume,
                    year: info.year,
                };
            }
            Err(reason) => reasons.push(fill(
                &gettext("its ComicInfo.xml was ignored: {reason}"),
                &[("reason", &reason)],
            )),
        }
    }
    if let Some(name) = find(METRONINFO_NAME) {
        match archive
            .read(name, MAX_COMICINFO_BYTES)
            .map_err(|error| error.to_string())
            .and_then(|bytes| parse_metron(&bytes))
        {
            Ok(metron) => {
                // ComicInfo.xml speaks first; MetronInfo fills what it leaves out.
                let tags = &mut read.tags;
                if let (Some(ours), Some(metron)) = (tags.comicvine_issue, metron.comicvine_issue)
                    && ours != metron
                {
                    tags.comicvine_conflict = tags.comicvine_conflict.or(Some(metron));
                }
                tags.comicvine_issue = tags.comicvine_issue.or(metron.comicvine_issue);
                tags.series = tags.series.take().or(metron.series);
                tags.number = tags.number.take().or(metron.number);
                tags.year = tags.year.or(metron.year);
            }
            Err(reason) => reasons.push(fill(
                &gettext("its MetronInfo.xml was ignored: {reason}"),
                &[("reason", &reason)],
            )),
        }
    }
    if !reasons.is_empty() {
        read.ignored = Some(reasons.join("; "));
    }
    read
}

/// The ComicVine id (`<IDS><ID source="Comic Vine">N</ID>`), series name, number and cover
/// year of a MetronInfo.xml; the reason when it is not well-formed.
pub fn parse_metron(bytes: &[u8]) -> Result<FileTags, String> {
    let text = String::from_utf8_lossy(bytes);
    let mut reader = quick_xml::Reader::from_str(&text);
    let mut tags = FileTags::default();
    // The open elements, outermost first.
    let mut path: Vec<String> = Vec::new();
    let mut comic_vine_id = false;
    let mut value = String::new();
    let mut root_seen = false;
    loop {
        match reader.read_event() {
            Ok(Event::Start(start)) => {
                root_seen = true;
                let name = start.local_name().as_ref().to_owned();
                comic_vine_id = name == "ID"
                    && start.attributes().flatten().any(|attribute| {
                        attribute.key.local_name().as_ref() == "source"
                            && attribute
                                .normalized_value(quick_xml::XmlVersion::Implicit1_0)
                                .is_ok_and(|v| v.trim().eq_ignore_ascii_case("Comic Vine"))
                    });
                path.push(name);
                value.clear();
            }
            Ok(Event::Text(text)) => value.push_str(&text.xml10_content()),
            Ok(Event::End(_)) => {
                let parent = path.len().checked_sub(2).map(|at| path[at].as_str());
                let value = value.trim();
                match (parent, path.last().map(String::as_str)) {
                    (Some("IDS"), Some("ID")) if comic_vine_id => {
                        tags.comicvine_issue = tags
                            .comicvine_issue
                            .or_else(|| value.parse().ok().filter(|id: &i64| *id > 0));
                    }
                    (Some("Series"), Some("Name")) if !value.is_empty() => {
                        tags.series = Some(value.to_owned());
                    }
                    (Some("MetronInfo"), Some("Number")) if !value.is_empty() => {
                        tags.number = Some(value.to_owned());
                    }
                    (Some("MetronInfo"), Some("CoverDate")) => {
                        tags.year = value.get(..4).and_then(|year| year.parse().ok());
                    }
                    _ => {}
                }
                path.pop();
                comic_vine_id = false;
            }
            Ok(Event::Eof) => {
                if !path.is_empty() {
                    return Err(gettext("the file ends before its last element is closed"));
                }
                if !root_seen {
                    return Err(gettext("the file has no XML element"));
                }
                return Ok(tags);
            }
            Err(error) => return Err(error.to_string()),
            Ok(_) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metron_names_the_comic_vine_issue_among_other_sources() {
        let xml = br#"<?xml version="1.0"?>
<MetronInfo>
  <IDS>
    <ID source="Metron" primary="true">290431</ID>
    <ID source="Comic Vine">1234567</ID>
  </IDS>
  <Series lang="en"><Name>Saga</Name><Volume>1</Volume></Series>
  <Number>7</Number>
  <CoverDate>2012-11-01</CoverDate>
</MetronInfo>"#;
        let tags = parse_metron(xml).expect("well-formed");
        assert_eq!(tags.comicvine_issue, Some(1_234_567));
        assert_eq!(tags.series.as_deref(), Some("Saga"));
        assert_eq!(tags.number.as_deref(), Some("7"));
        assert_eq!(tags.year, Some(2012));
    }

    #[test]
    fn a_broken_metron_file_is_refused_with_a_reason() {
        assert!(parse_metron(b"<MetronInfo><IDS><ID source=\"Comic Vine\">12").is_err());
        assert!(parse_metron(b"not xml at all").is_err());
    }

    #[test]
    fn the_volume_is_named_with_its_year() {
        let tags = FileTags {
            series: Some("Saga".into()),
            volume: Some("2012".into()),
            ..FileTags::default()
        };
        assert_eq!(tags.volume_name().as_deref(), Some("Saga (2012)"));
    }
}
