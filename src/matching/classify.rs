//! Classification: for each owned comic still to classify, the best catalog issues (one
//! candidate per issue, variant covers merged), scored by [`super::score`], stored as a
//! suggestion for review, and applied through the journal when the best is above the
//! threshold and clearly ahead of the second.
//!
//! Candidates come from the visual nearest issues plus, when the file name gives a series and
//! a number, the catalog issues it names, so a weak model still finds them; the hash check
//! then runs on those few only. Comics in the trash are never looked at, and classified ones
//! only when asked to reclassify. A comic whose cover is a truncated image (recorded by the
//! scan or the embedding job) is never applied automatically: its match is only suggested.

use std::collections::HashMap;
use std::path::Path;

use crate::db::Database;
use crate::db::embeddings::Subject;
use crate::db::matching::StoredCandidate;
use crate::i18n::gettext;
use crate::imaging::{self, DecodeLimits};
use crate::jobs::{CancelToken, Outcome, Progress, ProgressMeter};
use crate::library::{ParsedName, ThumbnailStore, parse_file_name};

use super::hash::CoverHash;
use super::index::{CoverIndex, IssueHit};
use super::score::{
    AUTO_APPLY_MARGIN, Signals, auto_applicable, normalize_number, series_similarity,
    year_agreement,
};
use super::{DEFAULT_THRESHOLD, MatchingError, catalog_cover_file, owned_cover_picture};

/// Issues taken from the visual search before scoring.
const VISUAL_SHORTLIST: usize = 8;
/// Issues the file name names, added to the visual ones.
const NAMED_SHORTLIST: usize = 4;
/// Series agreement from which the file name is taken to name a volume.
const NAMED_SERIES: f32 = 0.5;
/// Candidates kept per comic.
pub const CANDIDATES: usize = 5;

#[derive(Debug, Clone, PartialEq)]
pub struct ClassifyOptions {
    pub threshold: f32,
    /// Apply the clear matches; otherwise everything is only suggested.
    pub auto_apply: bool,
    /// Look at most at this many comics.
    pub max: Option<usize>,
    /// Look at classified comics too (never at those in the trash).
    pub reclassify: bool,
}

impl Default for ClassifyOptions {
    fn default() -> Self {
        Self {
            threshold: DEFAULT_THRESHOLD,
            auto_apply: false,
            max: None,
            reclassify: false,
        }
    }
}

/// A catalog issue proposed for a comic, at its best-matching cover.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    pub id_comicbook_info: i32,
    pub id_cover: i32,
    pub volume: String,
    pub number: String,
    pub year: Option<i32>,
    pub signals: Signals,
}

/// What classification concluded for one comic.
#[derive(Debug, Clone, PartialEq)]
pub struct ComicMatch {
    pub comic_id: i32,
    pub path: String,
    /// Whether the best candidate was written to the comic.
    pub applied: bool,
    /// The page (or thumbnail) of its cover that is a truncated image, when it is one: the
    /// match is then only suggested.
    pub truncated_cover: Option<String>,
    /// Best first; empty when the catalog has nothing to compare with.
    pub candidates: Vec<Candidate>,
}

#[derive(Debug)]
pub enum ClassifyEvent {
    Progress(Progress),
    Matched(ComicMatch),
    /// A comic with no embedding for the model; embedding it first brings it in.
    Skipped {
        comic_id: i32,
        path: String,
        reason: String,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClassifySummary {
    pub run_id: i64,
    pub outcome: Outcome,
    pub considered: u64,
    pub applied: u64,
    pub suggested: u64,
    pub skipped: u64,
    /// Comics looked at whose cover is a truncated image.
    pub truncated_covers: u64,
}

/// Catalog issues by normalised issue number, for the candidates a file name names.
struct NamedIssues(HashMap<String, Vec<usize>>);

impl NamedIssues {
    fn new(index: &CoverIndex) -> Self {
        let mut by_number: HashMap<String, Vec<usize>> = HashMap::new();
        for (at, issue) in index.issues.iter().enumerate() {
            by_number
                .entry(normalize_number(&issue.numero))
                .or_default()
                .push(at);
        }
        Self(by_number)
    }

    fn named(&self, index: &CoverIndex, name: &ParsedName) -> Vec<usize> {
        let (Some(series), Some(number)) = (&name.series, &name.number) else {
            return Vec::new();
        };
        let Some(issues) = self.0.get(&normalize_number(number)) else {
            return Vec::new();
        };
        let mut named: Vec<(f32, usize)> = issues
            .iter()
            .map(|&at| (series_similarity(series, &index.issues[at].volume), at))
            .filter(|(similarity, _)| *similarity >= NAMED_SERIES)
            .collect();
        named.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        named
            .into_iter()
            .take(NAMED_SHORTLIST)
            .map(|(_, at)| at)
            .collect()
    }
}

/// The hashes of catalog covers, computed once per run when first needed.
struct CoverHashes<'a> {
    store: &'a ThumbnailStore,
    known: HashMap<usize, Option<CoverHash>>,
}

impl CoverHashes<'_> {
    fn get(&mut self, index: &CoverIndex, cover: usize) -> Option<CoverHash> {
        *self.known.entry(cover).or_insert_with(|| {
            let file = catalog_cover_file(self.store, &index.covers[cover])?;
            let picture = imaging::load_rgb(&file, &DecodeLimits::default()).ok()?;
            Some(CoverHash::of(&picture))
        })
    }
}

/// Scores the candidates for one comic, best first.
fn candidates(
    index: &CoverIndex,
    named: &NamedIssues,
    hashes: &mut CoverHashes,
    vector: &[f32],
    visual: &[IssueHit],
    name: &ParsedName,
    comic_hash: Option<CoverHash>,
) -> Vec<Candidate> {
    let mut shortlist: Vec<usize> = visual.iter().map(|hit| hit.issue).collect();
    for issue in named.named(index, name) {
        if !shortlist.contains(&issue) {
            shortlist.push(issue);
        }
    }
    let mut found: Vec<Candidate> = shortlist
        .into_iter()
        .filter_map(|at| {
            let issue = &index.issues[at];
            let series = name
                .series
                .as_deref()
                .map(|series| series_similarity(series, &issue.volume));
            let number = name.number.as_deref().map(|number| {
                f32::from(u8::from(
                    normalize_number(number) == normalize_number(&issue.numero),
                ))
            });
            let year = year_agreement(name.year, issue.fecha_tapa);
            // Variants: the issue counts as its best cover.
            issue
                .covers
                .iter()
                .map(|&cover| {
                    let hash = comic_hash
                        .zip(hashes.get(index, cover))
                        .map(|(a, b)| a.similarity(&b));
                    let signals =
                        Signals::new(index.similarity(vector, cover), hash, series, number, year);
                    (cover, signals)
                })
                .max_by(|a, b| {
                    a.1.combined
                        .total_cmp(&b.1.combined)
                        .then(a.1.visual.total_cmp(&b.1.visual))
                })
                .map(|(cover, signals)| Candidate {
                    id_comicbook_info: issue.id_comicbook_info,
                    id_cover: index.covers[cover].id_cover,
                    volume: issue.volume.clone(),
                    number: issue.numero.clone(),
                    year: (issue.fecha_tapa > 0).then_some(issue.fecha_tapa),
                    signals,
                })
        })
        .collect();
    found.sort_by(|a, b| {
        b.signals
            .combined
            .total_cmp(&a.signals.combined)
            .then(b.signals.visual.total_cmp(&a.signals.visual))
            .then(a.id_comicbook_info.cmp(&b.id_comicbook_info))
    });
    found.truncate(CANDIDATES);
    found
}

/// Classifies the comics [`ClassifyOptions`] selects, with the embeddings stored for `model`.
/// Every comic looked at gets its suggestion replaced (an applied one gets none left).
pub fn classify(
    db: &mut Database,
    store: &ThumbnailStore,
    model: &str,
    options: &ClassifyOptions,
    cancel: &CancelToken,
    on_event: &mut dyn FnMut(ClassifyEvent),
) -> Result<ClassifySummary, MatchingError> {
    let index = CoverIndex::new(db.catalog_covers()?, db.embeddings(Subject::Cover, model)?);
    let named = NamedIssues::new(&index);
    let mut comics = db.comics_to_classify(options.reclassify)?;
    if let Some(max) = options.max {
        comics.truncate(max);
    }
    let vectors: HashMap<i64, Vec<f32>> =
        db.embeddings(Subject::Comic, model)?.into_iter().collect();
    let mut truncated = db.truncated_covers()?;
    let run_id = db.start_classification_run(
        model,
        f64::from(options.threshold),
        f64::from(AUTO_APPLY_MARGIN),
        options.auto_apply,
    )?;
    let mut summary = ClassifySummary {
        run_id,
        outcome: Outcome::Finished,
        considered: 0,
        applied: 0,
        suggested: 0,
        skipped: 0,
        truncated_covers: 0,
    };
    let mut hashes = CoverHashes {
        store,
        known: HashMap::new(),
    };
    // The visual shortlists of every comic at once: one matrix product per block of comics.
    let with_vectors: Vec<(i32, &[f32])> = comics
        .iter()
        .filter_map(|c| {
            let vector = vectors.get(&i64::from(c.id_comicbook))?;
            Some((c.id_comicbook, vector.as_slice()))
        })
        .collect();
    let queries: Vec<&[f32]> = with_vectors.iter().map(|(_, v)| *v).collect();
    let mut shortlists: HashMap<i32, Vec<IssueHit>> = with_vectors
        .iter()
        .map(|(id, _)| *id)
        .zip(index.nearest_issues_many(&queries, VISUAL_SHORTLIST)?)
        .collect();
    let mut meter = ProgressMeter::new(comics.len() as u64);
    for comic in comics {
        if cancel.is_cancelled() {
            summary.outcome = Outcome::Cancelled;
            break;
        }
        let Some(vector) = vectors.get(&i64::from(comic.id_comicbook)) else {
            summary.skipped += 1;
            on_event(ClassifyEvent::Skipped {
                comic_id: comic.id_comicbook,
                path: comic.path,
                reason: gettext("its cover has no embedding yet: run vistazo embed --comics"),
            });
            on_event(ClassifyEvent::Progress(meter.advance(1)));
            continue;
        };
        summary.considered += 1;
        let path = Path::new(&comic.path);
        let comic_hash =
            owned_cover_picture(store, comic.id_comicbook, path, &DecodeLimits::default())
                .ok()
                .map(|picture| CoverHash::of(&picture));
        let name = parse_file_name(&comic.path);
        let visual = shortlists.remove(&comic.id_comicbook).unwrap_or_default();
        let found = candidates(
            &index,
            &named,
            &mut hashes,
            vector,
            &visual,
            &name,
            comic_hash,
        );
        let scores: Vec<f32> = found.iter().map(|c| c.signals.combined).collect();
        let truncated_cover = truncated.remove(&comic.id_comicbook);
        summary.truncated_covers += u64::from(truncated_cover.is_some());
        let mut applied = false;
        if options.auto_apply
            && truncated_cover.is_none()
            && auto_applicable(&scores, options.threshold)
            && let Some(best) = found.first()
        {
            applied = db.apply_classification(
                run_id,
                comic.id_comicbook,
                comic.id_comicbook_info.as_deref(),
                best.id_comicbook_info,
            )?;
            if !applied {
                // Classified (or trashed) by another run or program since this run listed
                // it: not this run's to suggest any more.
                db.replace_suggestion(comic.id_comicbook, &[])?;
                summary.skipped += 1;
                on_event(ClassifyEvent::Skipped {
                    comic_id: comic.id_comicbook,
                    path: comic.path,
                    reason: gettext(
                        "another program or run changed it while this run worked, so it is left as it is",
                    ),
                });
                on_event(ClassifyEvent::Progress(meter.advance(1)));
                continue;
            }
        }
        let stored: Vec<StoredCandidate> = if applied {
            Vec::new()
        } else {
            found.iter().map(|c| stored(run_id, c)).collect()
        };
        db.replace_suggestion(comic.id_comicbook, &stored)?;
        if applied {
            summary.applied += 1;
        } else if !found.is_empty() {
            summary.suggested += 1;
        }
        on_event(ClassifyEvent::Matched(ComicMatch {
            comic_id: comic.id_comicbook,
            path: comic.path,
            applied,
            truncated_cover,
            candidates: found,
        }));
        on_event(ClassifyEvent::Progress(meter.advance(1)));
    }
    db.finish_classification_run(run_id, summary.considered, summary.applied)?;
    Ok(summary)
}

fn stored(run_id: i64, candidate: &Candidate) -> StoredCandidate {
    let signals = &candidate.signals;
    StoredCandidate {
        run_id,
        id_comicbook_info: candidate.id_comicbook_info,
        id_cover: candidate.id_cover,
        visual: f64::from(signals.visual),
        hash: signals.hash.map(f64::from),
        series: signals.series.map(f64::from),
        number: signals.number.map(f64::from),
        year: signals.year.map(f64::from),
        combined: f64::from(signals.combined),
    }
}
