//! The volumes a collection owns comics of but the catalog lacks, found from what the comics
//! say: unclassified comics whose series (from their tags, else their file name) names no
//! volume of the catalog, or whose best candidate is far from any match, grouped by series and
//! the year the volume started, each group with the words to search ComicVine for.
//!
//! Only reads: adding the volumes is [`super::import`]'s, classifying again is matching's.

use std::collections::BTreeMap;

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
        // A comic of a volume the catalog has is missing its issue only when classification
        // found nothing near it (an issue the volume lacks); one not classified yet is not.
        let weak = db
            .suggestion(comic.id_comicbook)?
            .first()
            .is_some_and(|best| best.combined < WEAK);
        if in_catalog && !weak {
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
