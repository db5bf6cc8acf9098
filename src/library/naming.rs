//! What a comic's file name says about the issue: series, volume, issue number, year, title.
//! Matching weighs these against the catalog; a name that says nothing useful ("scan_0042")
//! yields nothing rather than a guess.
//!
//! Names follow the habits of scanners and shops: `Series 001 (Year) (tags)`,
//! `Series v2 #012`, `Series - 001 - Title`, `Series 01 of 06`, decimals (`1.5`) and series that
//! contain digits or apostrophes (`Batman '89`, `2000 AD`, `100 Bullets`).

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
    let stem = strip_extension(name);
    let spaced = stem.replace('_', " ");
    let (main, groups) = split_groups(&spaced);
    let year = groups.iter().find_map(|group| leading_year(group));

    let mut parsed = ParsedName {
        year,
        ..ParsedName::default()
    };
    let parts: Vec<&str> = main
        .split(" - ")
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .collect();
    let Some((first, rest)) = parts.split_first() else {
        return parsed;
    };

    let head = read_tokens(first);
    if head.number.is_some() || rest.is_empty() {
        parsed.series = head.series;
        parsed.volume = head.volume;
        parsed.number = head.number;
        parsed.title = join_title(rest);
    } else if let Some(at) = rest.iter().position(|part| issue_number(part).is_some()) {
        // "X-Men - 001 - Title": the series may itself hold " - " before the number.
        let mut series = vec![first.to_string()];
        series.extend(rest[..at].iter().map(|p| p.to_string()));
        let series = read_tokens(&series.join(" - "));
        parsed.series = series.series;
        parsed.volume = series.volume;
        parsed.number = issue_number(rest[at]);
        parsed.title = join_title(&rest[at + 1..]);
    } else {
        parsed.series = head.series;
        parsed.volume = head.volume;
        parsed.title = join_title(rest);
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

/// Splits "Saga 054 (2018) [Digital]" into the text outside brackets and the bracket contents.
fn split_groups(text: &str) -> (String, Vec<String>) {
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
                groups.push(std::mem::take(group));
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
fn leading_year(group: &str) -> Option<u16> {
    let group = group.trim();
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

    // A "#" marks the number wherever it is; otherwise the last number that is not the first
    // word ("100 Bullets" is a series, "001" alone is an issue).
    let marked = words
        .iter()
        .position(|w| w.starts_with('#') && issue_number(w).is_some());
    let position = marked.or_else(|| {
        words
            .iter()
            .rposition(|w| issue_number(w).is_some())
            .filter(|&at| at > 0 || words.len() == 1)
    });
    if let Some(at) = position {
        result.number = issue_number(words[at]);
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

/// An issue number word (`001`, `#12`, `1.5`) as the catalog writes it (`1`, `12`, `1.5`).
fn issue_number(word: &str) -> Option<String> {
    let word = word.strip_prefix('#').unwrap_or(word);
    let (whole, fraction) = match word.split_once('.') {
        Some((whole, fraction)) => (whole, Some(fraction)),
        None => (word, None),
    };
    let all_digits = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_digit());
    if !all_digits(whole) || fraction.is_some_and(|f| !all_digits(f)) {
        return None;
    }
    let trimmed = whole.trim_start_matches('0');
    let whole = if trimmed.is_empty() { "0" } else { trimmed };
    Some(match fraction {
        Some(fraction) => format!("{whole}.{fraction}"),
        None => whole.to_owned(),
    })
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
        assert_eq!(
            parse_file_name("Batman (2016) 001 [Digital].cbz"),
            parsed(Some("Batman"), None, Some("1"), Some(2016))
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
}
