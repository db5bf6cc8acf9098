//! The volumes a collection owns comics of but the catalog lacks, found from what the comics
//! say: unclassified comics whose best candidate is far from any match (or that have none yet
//! and whose series, from their tags else their file name, names no volume of the catalog),
//! grouped by series and the year the volume started, each group with the words to search
//! ComicVine for.
//!
//! [`add_missing`] works through the groups in order: it searches ComicVine for each, adds the
//! volume that fits with [`super::add_volume`], and records in the collection what it did (the
//! groups handled, the comics waiting to be classified again), so that a run that is stopped
//! goes on where it was. Classifying those comics again is matching's, with the model the
//! caller has; [`classified_again`] then closes the run.

use std::collections::BTreeMap;

use super::CatalogError;
use super::comicvine::{ComicVine, VolumeSummary};
use super::import::{AddVolumeSummary, CatalogEvent, add_volume};
use crate::db::{Database, DbError};
use crate::jobs::{CancelToken, Outcome};
use crate::library::{ThumbnailStore, parse_file_name};
use crate::matching::score::series_similarity;

/// Where the run of [`add_missing`] under way is recorded (`vz_settings`).
const RUN_SETTING: &str = "catalog.add-missing";

/// A best candidate scoring below this is far from any match: the pictures do not agree and
/// the name does not help (the lowest threshold a user can set).
const WEAK: f64 = crate::matching::Threshold::MIN as f64;
/// Series agreement from which a comic's series names a volume of the catalog.
const SAME_SERIES: f32 = 0.5;

/// Comics of one volume the catalog lacks.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
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

impl MissingVolume {
    /// The group's name in the record of a run: its series and year.
    fn key(&self) -> String {
        match self.year {
            Some(year) => format!("{} ({year})", self.series.to_lowercase()),
            None => self.series.to_lowercase(),
        }
    }
}

/// What a run of [`add_missing`] has done so far, kept in the collection until the comics it
/// served are classified again.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct AddMissingRun {
    /// The groups handled: their volume added, or none found to fit.
    pub handled: Vec<String>,
    /// The comics the volumes added serve, to classify again.
    pub waiting: Vec<i32>,
    /// The group whose volume was being added when the run stopped: once part of its volume is
    /// in the catalog its comics no longer count as missing, so it is remembered here.
    #[serde(default)]
    pub adding: Option<MissingVolume>,
}

impl AddMissingRun {
    /// The run under way in `db`; an empty one when there is none.
    pub fn load(db: &mut Database) -> Result<Self, DbError> {
        Ok(db
            .setting(RUN_SETTING)?
            .and_then(|text| serde_json::from_str(&text).ok())
            .unwrap_or_default())
    }

    fn save(&self, db: &mut Database) -> Result<(), DbError> {
        let text = serde_json::to_string(self).unwrap_or_default();
        db.set_setting(RUN_SETTING, &text)
    }
}

/// The groups a run of [`add_missing`] goes through: the one whose volume a stopped run was
/// adding first, then those [`missing_volumes`] finds now.
pub fn groups_to_add(db: &mut Database) -> Result<Vec<MissingVolume>, DbError> {
    let mut groups = missing_volumes(db)?;
    if let Some(adding) = AddMissingRun::load(db)?.adding
        && !groups.iter().any(|group| group.key() == adding.key())
    {
        groups.insert(0, adding);
    }
    Ok(groups)
}

/// What [`add_missing`] is doing, for the caller to show.
#[derive(Debug)]
pub enum AddMissingEvent<'a> {
    /// Group `index` (from 0) of `total` is being looked for on ComicVine.
    Searching {
        group: &'a MissingVolume,
        index: usize,
        total: usize,
    },
    /// No ComicVine volume fits the group.
    NoFit { group: &'a MissingVolume },
    /// `volume` fits the group and is being added.
    Adding {
        group: &'a MissingVolume,
        volume: &'a VolumeSummary,
    },
    /// A step of adding it.
    Import(CatalogEvent),
    /// The volume is in the catalog, with all its issues and covers.
    Added(&'a AddVolumeSummary),
    /// The group was handled by a run that stopped before: it is not looked for again.
    Skipped { group: &'a MissingVolume },
}

/// What a run of [`add_missing`] did, this time and before it was stopped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddMissingSummary {
    pub outcome: Outcome,
    /// The volumes added this time.
    pub added: Vec<AddVolumeSummary>,
    /// The series no ComicVine volume fits, this time.
    pub unfit: Vec<String>,
    /// The comics every volume added in this run (and the stopped one before) serves, to be
    /// classified again; then call [`classified_again`].
    pub waiting: Vec<i32>,
}

/// Adds the ComicVine volume that fits each of `groups` ([`groups_to_add`]), in order, through
/// `client` (whose pace every request keeps), stopping between two groups or two covers when
/// `cancel` is set. Each group handled is recorded in the collection at once: running again
/// with the groups read again skips them and goes on with the one it stopped in. A failure (ComicVine refusing, the network)
/// ends the run with the error; what was recorded stays.
pub fn add_missing(
    db: &mut Database,
    client: &ComicVine,
    store: &ThumbnailStore,
    groups: &[MissingVolume],
    cancel: &CancelToken,
    on_event: &mut dyn FnMut(AddMissingEvent<'_>),
) -> Result<AddMissingSummary, CatalogError> {
    let mut run = AddMissingRun::load(db)?;
    let mut summary = AddMissingSummary {
        outcome: Outcome::Cancelled,
        added: Vec::new(),
        unfit: Vec::new(),
        waiting: Vec::new(),
    };
    for (index, group) in groups.iter().enumerate() {
        if run.handled.contains(&group.key()) {
            on_event(AddMissingEvent::Skipped { group });
            continue;
        }
        if cancel.is_cancelled() {
            summary.waiting = run.waiting;
            return Ok(summary);
        }
        on_event(AddMissingEvent::Searching {
            group,
            index,
            total: groups.len(),
        });
        let found = match client.search_volumes(&group.query, 1) {
            Ok(page) => page.results,
            Err(CatalogError::Cancelled) => {
                summary.waiting = run.waiting;
                return Ok(summary);
            }
            Err(error) => return Err(error),
        };
        let numbers = issue_numbers(db, &group.comics)?;
        let Some(volume) = best_volume(group, &numbers, &found) else {
            on_event(AddMissingEvent::NoFit { group });
            summary.unfit.push(group.series.clone());
            run.handled.push(group.key());
            run.save(db)?;
            continue;
        };
        on_event(AddMissingEvent::Adding { group, volume });
        run.adding = Some(group.clone());
        run.save(db)?;
        let added = match add_volume(db, client, store, volume.id, cancel, &mut |event| {
            on_event(AddMissingEvent::Import(event));
        }) {
            Ok(added) => added,
            Err(CatalogError::Cancelled) => {
                summary.waiting = run.waiting;
                return Ok(summary);
            }
            Err(error) => return Err(error),
        };
        if added.outcome == Outcome::Cancelled {
            summary.waiting = run.waiting;
            return Ok(summary);
        }
        on_event(AddMissingEvent::Added(&added));
        run.waiting.extend(served_by(groups, &added.name));
        run.waiting.extend(group.comics.iter().copied());
        run.waiting.sort_unstable();
        run.waiting.dedup();
        run.handled.push(group.key());
        run.adding = None;
        run.save(db)?;
        summary.added.push(added);
    }
    summary.outcome = Outcome::Finished;
    summary.waiting = run.waiting;
    Ok(summary)
}

/// Closes the run of [`add_missing`]: the comics it waited for are classified again. The next
/// run looks at every group afresh.
pub fn classified_again(db: &mut Database) -> Result<(), DbError> {
    AddMissingRun::default().save(db)
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
