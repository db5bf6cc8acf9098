//! The volumes a collection owns comics of but the catalog lacks, found from what the comics
//! say: unclassified comics whose best candidate is far from any match (or that have none yet
//! and whose series, from their tags else their file name, names no volume of the catalog),
//! grouped by series and the year the volume started, each group with the words to search
//! ComicVine for.
//!
//! Only reads: adding the volumes is [`super::import`]'s, classifying again is matching's.

use std::collections::BTreeMap;

use super::comicvine::VolumeSummary;
use crate::db::{Database, DbError};
use crate::library::parse_file_name;
use crate::matching::score::series_similarity;

/// A best candidate scoring below this is far from any match: the pictures do not agree and
/// the name does not help (the lowest threshold a user can set).
const WEAK: f64 = crate::matching::Threshold::MIN as f64;
/// Series agreement from which a comic's series names a volume of the catalog.
const SAME_SERIES: f32 = 0.5;

/// Comics of one volume the catalog lacks.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct MissingVolume {
    /// The series, as the comics write it.
    pub series: String,
    /// The year the volume started, when the comics say it.
    pub year: Option<u32>,
    /// The comics, by id.
    pub comics: Vec<i32>,
    /// What to search ComicVine for.
    pub query: String,
}

/// The groups of unclassified comics (out of the trash) whose volume the catalog lacks, the
/// largest first.
pub fn missing_volumes(db: &mut Database) -> Result<Vec<MissingVolume>, DbError> {
    let volumes: Vec<String> = db
        .catalog_volumes()?
        .into_iter()
        .map(|volume| volume.nombre)
        .collect();
    let tags = db.comic_tags()?;
    let mut groups: BTreeMap<(String, Option<u32>), MissingVolume> = BTreeMap::new();
    for comic in db.comics_to_classify(false)? {
        let name = parse_file_name(&comic.path);
        let tagged = tags.get(&comic.id_comicbook);
        let series = tagged
            .and_then(|tags| tags.series.clone())
            .or(name.series)
            .map(|series| series.trim().to_owned())
            .filter(|series| !series.is_empty());
        let Some(series) = series else {
            // "scan_0042": nothing to search for.
            continue;
        };
        let in_catalog = volumes
            .iter()
            .any(|volume| series_similarity(&series, volume) >= SAME_SERIES);
        // A comic classification found a fitting issue for is not missing anything, whatever
        // its name says ("Nagraj" for "नागराज"); one of a volume the catalog has is missing
        // its issue only when classification found nothing near it.
        let best = db
            .suggestion(comic.id_comicbook)?
            .first()
            .map(|best| best.combined);
        if best.is_some_and(|best| best >= WEAK) || (in_catalog && best.is_none()) {
            continue;
        }
        let year = tagged
            .and_then(|tags| tags.volume.as_deref())
            .and_then(|volume| volume.trim().parse::<u32>().ok())
            .or(name.volume)
            .filter(|year| (1900..=2100).contains(year));
        let key = (series.to_lowercase(), year);
        groups
            .entry(key)
            .or_insert_with(|| MissingVolume {
                query: series.clone(),
                series,
                year,
                comics: Vec::new(),
            })
            .comics
            .push(comic.id_comicbook);
    }
    let mut groups: Vec<MissingVolume> = groups.into_values().collect();
    groups.sort_by(|a, b| {
        b.comics
            .len()
            .cmp(&a.comics.len())
            .then_with(|| a.series.to_lowercase().cmp(&b.series.to_lowercase()))
            .then(a.year.cmp(&b.year))
    });
    Ok(groups)
}

/// The ComicVine volume that best fits a group's comics among `found` (a search's results):
/// its name must name the series; then the start year the comics say, and enough issues for
/// the highest number among them, rank it. `numbers`: the issue numbers the comics' names say.
pub fn best_volume<'a>(
    group: &MissingVolume,
    numbers: &[f64],
    found: &'a [VolumeSummary],
) -> Option<&'a VolumeSummary> {
    let highest = numbers.iter().copied().fold(0.0, f64::max);
    found
        .iter()
        .filter_map(|volume| {
            let name = series_similarity(&group.series, &volume.name);
            if name < SAME_SERIES {
                return None;
            }
            let year = match (group.year, volume.start_year) {
                (Some(wanted), Some(start)) if i64::from(wanted) == i64::from(start) => 0.5,
                (Some(_), Some(_)) => -0.5,
                _ => 0.0,
            };
            let room = if f64::from(volume.count_of_issues) >= highest {
                0.25
            } else {
                0.0
            };
            Some((f64::from(name) + year + room, volume))
        })
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, volume)| volume)
}

/// The comics of `groups` that a catalog volume named `name` serves: those whose series its
/// name names, to be classified again once it is added.
pub fn served_by(groups: &[MissingVolume], name: &str) -> Vec<i32> {
    let mut comics: Vec<i32> = groups
        .iter()
        .filter(|group| series_similarity(&group.series, name) >= SAME_SERIES)
        .flat_map(|group| group.comics.iter().copied())
        .collect();
    comics.sort_unstable();
    comics.dedup();
    comics
}

/// The issue numbers the file names of `comics` say, as numbers where they are.
pub fn issue_numbers(db: &mut Database, comics: &[i32]) -> Result<Vec<f64>, DbError> {
    let mut numbers = Vec::new();
    for id in comics {
        if let Some(comic) = db.owned_comic(*id)? {
            numbers.extend(
                parse_file_name(&comic.path)
                    .number
                    .and_then(|number| number.parse::<f64>().ok()),
            );
        }
    }
    Ok(numbers)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn volume(id: i32, name: &str, start_year: Option<i32>, count: i32) -> VolumeSummary {
        VolumeSummary {
            id,
            name: name.to_owned(),
            start_year,
            publisher: None,
            count_of_issues: count,
        }
    }

    #[test]
    fn the_volume_of_the_series_and_year_the_comics_say_is_chosen() {
        let group = MissingVolume {
            series: "Iron Unknown".into(),
            year: Some(1999),
            comics: vec![1, 2],
            query: "Iron Unknown".into(),
        };
        let found = [
            volume(1, "The Iron Unknown", Some(2011), 40),
            volume(2, "Iron Unknown", Some(1999), 24),
            volume(3, "Unknown Soldier", Some(1999), 20),
        ];
        assert_eq!(best_volume(&group, &[17.0], &found).map(|v| v.id), Some(2));
        // Without a year, the one with room for the numbers the comics say.
        let group = MissingVolume {
            year: None,
            ..group
        };
        let found = [
            volume(1, "Iron Unknown", Some(1970), 5),
            volume(2, "Iron Unknown", Some(1999), 24),
        ];
        assert_eq!(best_volume(&group, &[17.0], &found).map(|v| v.id), Some(2));
        assert_eq!(
            best_volume(&group, &[17.0], &[volume(9, "Saga", None, 60)]),
            None
        );
    }
}
