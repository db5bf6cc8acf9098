//! ComicInfo.xml (the Anansi schema other comic tools write into archives): the page marked as
//! the front cover, and the series, number and year it names. Reading only; unknown tags are
//! ignored, and a malformed file yields what was read before the fault.

use quick_xml::events::{BytesStart, Event};

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
}

/// Whether an entry name is the archive's ComicInfo.xml (any case, in any folder: Kavita
/// accepts any case and some tools nest it).
pub fn is_comicinfo_name(name: &str) -> bool {
    let file_name = name.rsplit(['/', '\\']).next().unwrap_or(name);
    file_name.eq_ignore_ascii_case("ComicInfo.xml")
}

/// Parses the bytes of a ComicInfo.xml.
pub fn parse(bytes: &[u8]) -> ComicInfo {
    let text = String::from_utf8_lossy(bytes);
    let mut reader = quick_xml::Reader::from_str(&text);
    let mut info = ComicInfo::default();
    // The element whose text is being collected, when it is one Vistazo reads.
    let mut field: Option<Field> = None;
    let mut value = String::new();
    loop {
        match reader.read_event() {
            Ok(Event::Start(start)) => {
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
                if let Some(done) = field.take() {
                    done.store(value.trim(), &mut info);
                }
            }
            Ok(Event::Eof) | Err(_) => break,
            Ok(_) => {}
        }
    }
    info
}

#[derive(Debug, Clone, Copy)]
enum Field {
    Series,
    Number,
    Volume,
    Year,
}

impl Field {
    fn from_tag(tag: &str) -> Option<Self> {
        match tag {
            "Series" => Some(Self::Series),
            "Number" => Some(Self::Number),
            "Volume" => Some(Self::Volume),
            "Year" => Some(Self::Year),
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
    }
}
