//! What a comic's file name says about the issue: series, volume, issue number, year, title.
//! Matching weighs these against the catalog; a name that says nothing useful ("scan_0042")
//! yields nothing rather than a guess.
//!
//! Names follow the habits of scanners and shops: `Series 001 (Year) (tags)`,
//! `Series v2 #012`, `Series - 001 - Title`, `Series 01 of 06`, decimals (`1.5`), suffixes
//! (`078.BEY`, `12a`, `½`, `B01`), series that contain digits, apostrophes or dashes
//! (`Batman '89`, `2000 AD`, `100 Bullets`, `Batman - Superman`, `Cyberpunk 2077 - You Have My
//! Word`), volumes glued with dashes (`X-Men-V1-067`), the volume's start year after the series
//! (`Super Strange Yarns (1957) #92 (1969)`), scene names with underscores and a leading
//! alternate number (`52 Monster_Island_v1_2`), and Spanish editions (`nº 154`, `Tomo 2`).

/// What was read from a file name. Every field is optional: absence means the name did not say.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ParsedName {
    pub series: Option<String>,
    pub volume: Option<u32>,
    /// The issue number as the catalog writes it: no leading zeros (`"12"`, `"0"`, `"1.5"`).
    pub number: Option<String>,
    pub year: Option<u16>,
    pub title: Option<String>,
}

/// Words that, alone, are not a series: the default names of scanners and cameras.
const GENERIC_NAMES: &[&str] = &[
    "scan", "scans", "img", "image", "page", "file", "comic", "untitled", "dsc", "dscn", "pic",
];

/// Extensions removed from the end of the name before reading it.
const EXTENSIONS: &[&str] = &["cbz", "cbr", "cb7", "cbt", "zip", "rar", "7z", "tar", "pdf"];

/// Reads a file name (a bare name or a path; only the last component is read).
pub fn parse_file_name(name: &str) -> ParsedName {
    let name = name.rsplit(['/', '\\']).next().unwrap_or(name);
    let stem = without_alternate_number(strip_extension(name));
    let spaced = stem.replace('_', " ");
    let (main, groups) = split_groups(&spaced);
    let main = main
        .split(' ')
        .map(split_glued)
        .collect::<Vec<_>>()
        .join(" ");

    let mut parsed = ParsedName::default();
    let parts: Vec<&str> = main
        .split(" - ")
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .collect();
    if let Some(at) = numbered_part(&parts) {
        // "Aquaman - Green Arrow - Deep Target 01": the series runs up to the number, dashes
        // and all; what follows is the title.
        let tokens = read_tokens(parts[at]);
        let mut volume = tokens.volume;
        let mut series: Vec<String> = parts[..at]
            .iter()
            .map(|part| {
                // Only a volume marker leaves the series; its digits stay ("Cyberpunk 2077").
                let words: Vec<&str> = part
                    .split_whitespace()
                    .enumerate()
                    .filter(|(at, word)| match volume_marker(word) {
                        Some(found) if *at > 0 => {
                            volume = volume.or(Some(found));
                            false
                        }
                        _ => true,
                    })
                    .map(|(_, word)| word)
                    .collect();
                words.join(" ")
            })
            .collect();
        series.extend(tokens.series);
        let series = series.join(" - ");
        parsed.series = (!series.is_empty()).then_some(series);
        parsed.volume = volume;
        parsed.number = tokens.number;
        parsed.title = join_title(&parts[at + 1..]);
    } else if let Some((first, rest)) = parts.split_first() {
        let head = read_tokens(first);
        parsed.series = head.series;
        parsed.volume = head.volume;
        parsed.title = join_title(rest);
    }

    // Years in brackets: the last is the cover year; one right after the series and before the
    // number ("Super Strange Yarns (1957) #92 (1969)") is the year the volume started.
    let years: Vec<(u16, bool)> = groups
        .iter()
        .filter_map(|(group, words_before)| {
            let year = leading_year(group)?;
            let before_number = parsed.number.is_some()
                && main
                    .split_whitespace()
                    .skip(*words_before)
                    .any(|word| issue_number(word).is_some() || is_number_marker(word));
            Some((year, before_number))
        })
        .collect();
    match years.as_slice() {
        [] => {}
        [(year, true)] => parsed.volume = parsed.volume.or(Some(u32::from(*year))),
        [(year, false)] => parsed.year = Some(*year),
        [(first, true), .., (last, _)] => {
            parsed.volume = parsed.volume.or(Some(u32::from(*first)));
            parsed.year = Some(*last);
        }
        [.., (last, _)] => parsed.year = Some(*last),
    }

    if parsed
        .series
        .as_deref()
        .is_some_and(|series| GENERIC_NAMES.contains(&series.to_lowercase().as_str()))
    {
        // "scan 0042" counts pages of a scanner, not issues.
        parsed.series = None;
        parsed.number = None;
    }
    parsed
}

/// Scene releases join words with underscores; a number set apart before them by a space is
/// another numbering (a reading order, a weekly's index): "52 Monster_Island_v1_2".
fn without_alternate_number(stem: &str) -> &str {
    match stem.split_once(' ') {
        Some((first, rest))
            if !first.is_empty()
                && first.chars().all(|c| c.is_ascii_digit())
                && rest.contains('_')
                && !rest.contains(' ') =>
        {
            rest
        }
        _ => stem,
    }
}

/// A word whose dashes glue a volume or a number to the series ("X-Men-V1-067") as separate
/// words ("X-Men V1 067"); "Spider-Man" stays.
fn split_glued(word: &str) -> String {
    let pieces: Vec<&str> = word.split('-').collect();
    if pieces.len() < 2 {
        return word.to_owned();
    }
    let at = (1..pieces.len())
        .find(|&i| volume_marker(pieces[i]).is_some() || issue_number(pieces[i]).is_some());
    match at {
        Some(at) if pieces[..at].iter().all(|p| !p.is_empty()) => {
            let mut words = vec![pieces[..at].join("-")];
            words.extend(pieces[at..].iter().map(|p| p.to_string()));
            words.join(" ")
        }
        _ => word.to_owned(),
    }
}

/// Which " - " part holds the issue number: one that is a number alone ("X-Men - 001"), else
/// the one whose number is written most like an issue's (`#`, `nº` or leading zeros before a
/// bare count), the last of equals ("Cyberpunk 2077 - You Have My Word 02").
fn numbered_part(parts: &[&str]) -> Option<usize> {
    if let Some(at) = (1..parts.len()).find(|&at| issue_number(parts[at]).is_some()) {
        return Some(at);
    }
    let mut best: Option<(u8, usize)> = None;
    for (at, part) in parts.iter().enumerate() {
        let tokens = read_tokens(part);
        let Some(strength) = tokens.strength.filter(|_| tokens.number.is_some()) else {
            continue;
        };
        // A number inside the first part with more parts after it is taken only when written
        // like an issue's: "Batman 001 - The Court of Owls".
        if best.is_none_or(|(best, _)| strength >= best) {
            best = Some((strength, at));
        }
    }
    best.map(|(_, at)| at)
}

fn strip_extension(name: &str) -> &str {
    match name.rsplit_once('.') {
        Some((stem, extension))
            if EXTENSIONS
                .iter()
                .any(|known| extension.eq_ignore_ascii_case(known)) =>
        {
            stem
        }
        _ => name,
    }
}

/// Splits "Saga 054 (2018) [Digital]" into the text outside brackets and the bracket contents,
/// each with how many words of that text come before it.
fn split_groups(text: &str) -> (String, Vec<(String, usize)>) {
    let mut main = String::new();
    let mut groups = Vec::new();
    let mut current: Option<(char, String)> = None;
    for c in text.chars() {
        match (&mut current, c) {
            (None, '(') => current = Some((')', String::new())),
            (None, '[') => current = Some((']', String::new())),
            (None, '{') => current = Some(('}', String::new())),
            (None, _) => main.push(c),
            (Some((close, group)), _) if c == *close => {
                groups.push((std::mem::take(group), main.split_whitespace().count()));
                current = None;
                main.push(' ');
            }
            (Some((_, group)), _) => group.push(c),
        }
    }
    // An unclosed bracket is kept as text: it was not a tag.
    if let Some((_, group)) = current {
        main.push_str(&group);
    }
    let main = main.split_whitespace().collect::<Vec<_>>().join(" ");
    (main, groups)
}

/// A year (1900-2099) at the start of a bracket group: "(1993)", "(2018-05)", "(1993 Marvel)".
/// Months a cover date in brackets may start with, in English and Spanish, whole or short:
/// "(Feb 1974)", "(April 1982)", "(Enero 1991)".
const MONTHS: &[&str] = &[
    "jan",
    "january",
    "feb",
    "february",
    "mar",
    "march",
    "apr",
    "april",
    "may",
    "jun",
    "june",
    "jul",
    "july",
    "aug",
    "august",
    "sep",
    "sept",
    "september",
    "oct",
    "october",
    "nov",
    "november",
    "dec",
    "december",
    "ene",
    "enero",
    "febrero",
    "marzo",
    "abr",
    "abril",
    "mayo",
    "junio",
    "julio",
    "ago",
    "agosto",
    "septiembre",
    "set",
    "octubre",
    "noviembre",
    "dic",
    "diciembre",
];

fn leading_year(group: &str) -> Option<u16> {
    let group = group.trim();
    // A month before the year ("Feb 1974") says the same year.
    let group = match group.split_once([' ', '.']) {
        Some((month, rest)) if MONTHS.contains(&month.to_lowercase().as_str()) => {
            rest.trim_start_matches(['.', ' '])
        }
        _ => group,
    };
    let digits: String = group.chars().take_while(char::is_ascii_digit).collect();
    if digits.len() != 4 {
        return None;
    }
    let year: u16 = digits.parse().ok()?;
    (1900..=2099).contains(&year).then_some(year)
}

/// What the words of one " - " part say.
#[derive(Debug, Default)]
struct Tokens {
    series: Option<String>,
    volume: Option<u32>,
    number: Option<String>,
    /// How much the number looks like an issue's: 3 marked (`#`, `nº`, `Tomo`), 2 written
    /// with leading zeros or a suffix, 1 a bare count.
    strength: Option<u8>,
}

/// Words that mark the next one as the issue number: "nº 5", "No. 5", "Tomo 2".
const NUMBER_MARKERS: &[&str] = &["nº", "n.º", "no.", "núm.", "num.", "tomo", "issue"];

fn is_number_marker(word: &str) -> bool {
    NUMBER_MARKERS.contains(&word.to_lowercase().as_str())
}

/// How much `word`, an issue number, looks like one.
fn number_strength(word: &str) -> u8 {
    if word.starts_with('#') {
        3
    } else if (word.len() > 1 && word.starts_with('0'))
        || word.chars().any(|c| c.is_alphabetic() || c == '.')
    {
        2
    } else {
        1
    }
}

fn read_tokens(text: &str) -> Tokens {
    let mut words: Vec<&str> = text.split_whitespace().collect();
    let mut result = Tokens::default();

    // "01 of 06": the count is not the issue.
    if let Some(of) = words.iter().rposition(|w| w.eq_ignore_ascii_case("of"))
        && of > 0
        && of + 2 == words.len()
        && issue_number(words[of + 1]).is_some()
        && issue_number(words[of - 1]).is_some()
    {
        words.truncate(of);
    }

    // Volume markers after the first word: "v2", "vol2", "vol.2", "Vol. 2", "Volume 2".
    let mut index = 1;
    while index < words.len() {
        if let Some(volume) = volume_marker(words[index]) {
            result.volume = Some(volume);
            words.remove(index);
            continue;
        }
        let word = words[index].to_lowercase();
        if matches!(word.as_str(), "vol" | "vol." | "volume")
            && let Some(volume) = words.get(index + 1).and_then(|w| w.parse::<u32>().ok())
        {
            result.volume = Some(volume);
            words.drain(index..index + 2);
            continue;
        }
        index += 1;
    }

    // "nº 5", "Tomo 2": the marker goes, the number stays marked.
    let mut marked = None;
    if let Some(at) = (0..words.len().saturating_sub(1))
        .find(|&at| is_number_marker(words[at]) && issue_number(words[at + 1]).is_some())
    {
        words.remove(at);
        marked = Some(at);
    }
    // A "#" marks the number wherever it is; otherwise the last number that is not the first
    // word ("100 Bullets" is a series, "001" alone is an issue).
    let marked = marked.or_else(|| {
        words
            .iter()
            .position(|w| w.starts_with('#') && issue_number(w).is_some())
    });
    let position = marked.or_else(|| {
        words
            .iter()
            .rposition(|w| issue_number(w).is_some())
            .filter(|&at| at > 0 || words.len() == 1)
    });
    if let Some(at) = position {
        result.number = issue_number(words[at]);
        result.strength = Some(if marked.is_some() {
            3
        } else {
            number_strength(words[at])
        });
        words.remove(at);
        // Whatever follows a bare number is a title, not the series.
        words.truncate(at);
    }
    let series = words
        .join(" ")
        .trim_end_matches(|c: char| {
            c == '-' || c == ',' || c == '#' || c == ':' || c.is_whitespace()
        })
        .trim()
        .to_owned();
    result.series = (!series.is_empty()).then_some(series);
    result
}

/// `v2`, `vol2`, `vol.2` → 2.
fn volume_marker(word: &str) -> Option<u32> {
    let lower = word.to_lowercase();
    let digits = lower
        .strip_prefix("vol.")
        .or_else(|| lower.strip_prefix("vol"))
        .or_else(|| lower.strip_prefix('v'))?;
    if digits.is_empty() || !digits.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

/// An issue number word as the catalog writes it: `001` → `1`, `#12` → `12`, `1.5`,
/// `078.BEY` → `78.BEY`, `12a` → `12a`, `½`, `B01` → `B1`, `nº5` → `5`.
fn issue_number(word: &str) -> Option<String> {
    let lower = word.to_lowercase();
    let word = ["#", "nº", "n.º"]
        .iter()
        .find_map(|marker| {
            lower
                .starts_with(marker)
                .then(|| &word[word.len() - (lower.len() - marker.len())..])
        })
        .unwrap_or(word);
    if word == "½" {
        return Some(word.to_owned());
    }
    let all_digits = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_digit());
    let without_zeros = |digits: &str| {
        let trimmed = digits.trim_start_matches('0');
        if trimmed.is_empty() { "0" } else { trimmed }.to_owned()
    };
    // A letter before zero-padded digits: "B01", another printing's numbering.
    if let Some(first) = word.chars().next()
        && first.is_ascii_uppercase()
        && word.len() >= 3
        && word[1..].starts_with('0')
        && all_digits(&word[1..])
    {
        return Some(format!("{first}{}", without_zeros(&word[1..])));
    }
    let digits_end = word
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(word.len());
    let (whole, rest) = word.split_at(digits_end);
    if !all_digits(whole) {
        return None;
    }
    let whole = without_zeros(whole);
    match rest {
        "" => Some(whole),
        // "1.5", "078.BEY", "1.MU"
        _ if rest.starts_with('.') => {
            let suffix = &rest[1..];
            let decimal = all_digits(suffix);
            let letters = !suffix.is_empty()
                && suffix.len() <= 5
                && suffix.chars().all(|c| c.is_ascii_alphabetic());
            (decimal || letters).then(|| format!("{whole}.{suffix}"))
        }
        // "12a", "12B": a letter after the number, but not an ordinal ("1st", "2nd").
        _ if rest.len() == 1 && rest.chars().all(|c| c.is_ascii_alphabetic()) => {
            Some(format!("{whole}{rest}"))
        }
        _ => None,
    }
}

fn join_title(parts: &[&str]) -> Option<String> {
    let title = parts.join(" - ");
    let title = title.trim();
    (!title.is_empty()).then(|| title.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(
        series: Option<&str>,
        volume: Option<u32>,
        number: Option<&str>,
        year: Option<u16>,
    ) -> ParsedName {
        ParsedName {
            series: series.map(str::to_owned),
            volume,
            number: number.map(str::to_owned),
            year,
            title: None,
        }
    }

    fn without_title(name: &str) -> ParsedName {
        ParsedName {
            title: None,
            ..parse_file_name(name)
        }
    }

    #[test]
    fn series_number_and_year() {
        assert_eq!(
            parse_file_name("Batman 497 (1993).cbz"),
            parsed(Some("Batman"), None, Some("497"), Some(1993))
        );
    }

    #[test]
    fn volume_and_hash_number() {
        assert_eq!(
            parse_file_name("Spider-Man v2 #012.cbr"),
            parsed(Some("Spider-Man"), Some(2), Some("12"), None)
        );
        assert_eq!(
            parse_file_name("Hellblazer Vol. 3 05.cbz"),
            parsed(Some("Hellblazer"), Some(3), Some("5"), None)
        );
        assert_eq!(
            parse_file_name("Daredevil vol2 #1.cbz"),
            parsed(Some("Daredevil"), Some(2), Some("1"), None)
        );
    }

    #[test]
    fn dashes_separate_series_number_and_title() {
        let name = parse_file_name("X-Men - 001 - Title.cbz");
        assert_eq!(name.series.as_deref(), Some("X-Men"));
        assert_eq!(name.number.as_deref(), Some("1"));
        assert_eq!(name.title.as_deref(), Some("Title"));
        assert_eq!(name.year, None);

        let name = parse_file_name("Batman 001 - The Court of Owls (2011).cbz");
        assert_eq!(name.series.as_deref(), Some("Batman"));
        assert_eq!(name.number.as_deref(), Some("1"));
        assert_eq!(name.title.as_deref(), Some("The Court of Owls"));
        assert_eq!(name.year, Some(2011));
    }

    #[test]
    fn scanner_names_say_nothing() {
        assert_eq!(parse_file_name("scan_0042.cbz"), ParsedName::default());
        assert_eq!(parse_file_name("IMG 0001.cbz"), ParsedName::default());
    }

    #[test]
    fn tags_in_brackets_are_not_the_series() {
        assert_eq!(
            parse_file_name("Saga 054 (2018) (Digital) (Zone-Empire).cbr"),
            parsed(Some("Saga"), None, Some("54"), Some(2018))
        );
        // A year between the series and the number is the year the volume started.
        assert_eq!(
            parse_file_name("Batman (2016) 001 [Digital].cbz"),
            parsed(Some("Batman"), Some(2016), Some("1"), None)
        );
        assert_eq!(
            parse_file_name("Invincible 100 (2013-02) (c2c).cbz"),
            parsed(Some("Invincible"), None, Some("100"), Some(2013))
        );
    }

    #[test]
    fn annuals_keep_the_word_in_the_series() {
        assert_eq!(
            parse_file_name("The Amazing Spider-Man Annual 1.cbz"),
            parsed(Some("The Amazing Spider-Man Annual"), None, Some("1"), None)
        );
    }

    #[test]
    fn decimal_numbers() {
        assert_eq!(
            parse_file_name("Batman 1.5 (2000).cbz"),
            parsed(Some("Batman"), None, Some("1.5"), Some(2000))
        );
        assert_eq!(
            parse_file_name("Avengers 000.5.cbz"),
            parsed(Some("Avengers"), None, Some("0.5"), None)
        );
    }

    #[test]
    fn digits_and_apostrophes_inside_the_series() {
        assert_eq!(
            parse_file_name("Batman '89 001.cbz"),
            parsed(Some("Batman '89"), None, Some("1"), None)
        );
        assert_eq!(
            parse_file_name("2000 AD 1234 (2021).cbz"),
            parsed(Some("2000 AD"), None, Some("1234"), Some(2021))
        );
        assert_eq!(
            parse_file_name("100 Bullets (1999).cbz"),
            parsed(Some("100 Bullets"), None, None, Some(1999))
        );
    }

    #[test]
    fn counts_are_not_issue_numbers() {
        assert_eq!(
            parse_file_name("Infinity Gauntlet 01 of 06.cbz"),
            parsed(Some("Infinity Gauntlet"), None, Some("1"), None)
        );
    }

    #[test]
    fn zero_and_underscores() {
        assert_eq!(
            parse_file_name("Batman_000_(1994).cbr"),
            parsed(Some("Batman"), None, Some("0"), Some(1994))
        );
    }

    #[test]
    fn a_bare_number_is_an_issue_without_series() {
        assert_eq!(
            parse_file_name("/comics/Saga/012.cbz"),
            parsed(None, None, Some("12"), None)
        );
    }

    #[test]
    fn names_without_extension_or_number() {
        assert_eq!(
            without_title("Watchmen"),
            parsed(Some("Watchmen"), None, None, None)
        );
        assert_eq!(parse_file_name(""), ParsedName::default());
        assert_eq!(parse_file_name(".cbz"), ParsedName::default());
        // An unclosed bracket is not a tag: its text is read like the rest.
        assert_eq!(
            without_title("Saga (2012"),
            parsed(Some("Saga"), None, Some("2012"), None)
        );
    }

    #[test]
    fn years_outside_brackets_are_not_guessed() {
        assert_eq!(parse_file_name("Batman 2000.cbz").year, None);
    }
    #[test]
    fn names_as_collections_write_them() {
        // (file name, series, volume, number, year): scene releases, digital shops, ComicRack
        // and Mylar renaming patterns, Spanish editions.
        type Case = (
            &'static str,
            Option<&'static str>,
            Option<u32>,
            Option<&'static str>,
            Option<u16>,
        );
        let table: &[Case] = &[
            (
                "Aquaman - Green Arrow - Deep Target 01 (of 07) (2021) (digital) (Son of Ultron-Empire).cbr",
                Some("Aquaman - Green Arrow - Deep Target"),
                None,
                Some("1"),
                Some(2021),
            ),
            (
                "Batman - Superman 004 (2013) (Digital) (Zone-Empire).cbz",
                Some("Batman - Superman"),
                None,
                Some("4"),
                Some(2013),
            ),
            (
                "Cyberpunk 2077 - You Have My Word 02 (of 04) (2021).cbz",
                Some("Cyberpunk 2077 - You Have My Word"),
                None,
                Some("2"),
                Some(2021),
            ),
            (
                "Blade Runner 2029 003 (2021) (Digital).cbz",
                Some("Blade Runner 2029"),
                None,
                Some("3"),
                Some(2021),
            ),
            (
                "Amazing Spider-Man 078.BEY (2022) (Digital) (Zone-Empire).cbr",
                Some("Amazing Spider-Man"),
                None,
                Some("78.BEY"),
                Some(2022),
            ),
            (
                " X-Men-V1-067.cbr",
                Some("X-Men"),
                Some(1),
                Some("67"),
                None,
            ),
            (
                "52 Monster_Island_v1_2__repaired__c2c.cbz",
                Some("Monster Island"),
                Some(1),
                Some("2"),
                None,
            ),
            (
                "Iron Fist 14 (Aug 1977).cbz",
                Some("Iron Fist"),
                None,
                Some("14"),
                Some(1977),
            ),
            (
                "Mortadelo 12 (Enero. 1991) (c2c).cbr",
                Some("Mortadelo"),
                None,
                Some("12"),
                Some(1991),
            ),
            (
                "Super Strange Yarns (1957) #92 (1969).cbz",
                Some("Super Strange Yarns"),
                Some(1957),
                Some("92"),
                Some(1969),
            ),
            (
                "Detective Comics (1937) 027 (1939).cbz",
                Some("Detective Comics"),
                Some(1937),
                Some("27"),
                Some(1939),
            ),
            (
                "Wolverine vol. 2 #145 (1999).cbz",
                Some("Wolverine"),
                Some(2),
                Some("145"),
                Some(1999),
            ),
            (
                "Sandman volume 03 12.cbr",
                Some("Sandman"),
                Some(3),
                Some("12"),
                None,
            ),
            (
                "Dark Shadows Vol 1965 010.cbz",
                Some("Dark Shadows"),
                Some(1965),
                Some("10"),
                None,
            ),
            (
                "Flash_v2_#0050_(1991).cbz",
                Some("Flash"),
                Some(2),
                Some("50"),
                Some(1991),
            ),
            (
                "Wizard 1.5 (1994).cbz",
                Some("Wizard"),
                None,
                Some("1.5"),
                Some(1994),
            ),
            (
                "Wizard ½ (1994).cbz",
                Some("Wizard"),
                None,
                Some("½"),
                Some(1994),
            ),
            (
                "Hellboy B01 (2005).cbz",
                Some("Hellboy"),
                None,
                Some("B1"),
                Some(2005),
            ),
            (
                "Saga 012a (2013).cbz",
                Some("Saga"),
                None,
                Some("12a"),
                Some(2013),
            ),
            (
                "Spawn [__913302__] 300 (2019).cbz",
                Some("Spawn"),
                None,
                Some("300"),
                Some(2019),
            ),
            (
                "Avengers Annual 001 (2012).cbz",
                Some("Avengers Annual"),
                None,
                Some("1"),
                Some(2012),
            ),
            (
                "Batman Año Uno Tomo 2 (2005) (Planeta DeAgostini).cbr",
                Some("Batman Año Uno"),
                None,
                Some("2"),
                Some(2005),
            ),
            (
                "Mortadelo y Filemón nº 154 (1998).cbz",
                Some("Mortadelo y Filemón"),
                None,
                Some("154"),
                Some(1998),
            ),
            (
                "Superlópez Nº5.cbr",
                Some("Superlópez"),
                None,
                Some("5"),
                None,
            ),
            (
                "Spider-Man 2099 #01 (1992).cbz",
                Some("Spider-Man 2099"),
                None,
                Some("1"),
                Some(1992),
            ),
            (
                "The Walking Dead 193 (2019) (Digital-Empire).cbz",
                Some("The Walking Dead"),
                None,
                Some("193"),
                Some(2019),
            ),
            (
                "Batman 001 - The Court of Owls (2011).cbz",
                Some("Batman"),
                None,
                Some("1"),
                Some(2011),
            ),
        ];
        let mut wrong = Vec::new();
        for (name, series, volume, number, year) in table {
            let got = parse_file_name(name);
            let want = (
                series.map(str::to_owned),
                *volume,
                number.map(str::to_owned),
                *year,
            );
            let have = (got.series, got.volume, got.number, got.year);
            if have != want {
                wrong.push(format!("{name}: {have:?}, expected {want:?}"));
            }
        }
        assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    }
}
