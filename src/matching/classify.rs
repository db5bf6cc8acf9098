//! Classification: for each owned comic still to classify, the best catalog issues (one
//! candidate per issue, variant covers merged), scored by [`super::score`], stored as a
//! suggestion for review, and applied through the journal when the best is above the
//! threshold and clearly ahead of the second.
//!
//! Candidates come from the visual nearest issues plus, when the file name gives a series and
//! a number, the catalog issues it names, so a weak model still finds them; the hash check
//! then runs on those few only. The comic's own tags (read by the scan) add more: their
//! series, number and year stand for the file name's, and the ComicVine issue they name is a
//! candidate that applies on its own, unless the cover picture clearly shows another issue
//! (then both are left for review). A tagged issue the catalog lacks is never applied, nor is
//! anything else for that comic: it is reported so the user can add the volume. The issues of
//! the volume a comic's folder siblings were classified to are candidates too, with a small
//! bonus that ranks but never applies alone.
//!
//! Comics in the trash are never looked at, and classified ones only when asked to
//! reclassify. A comic whose cover is a truncated image (recorded by the scan or the embedding
//! job) is never applied automatically: its match is only suggested.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use crate::db::Database;
use crate::db::embeddings::Subject;
use crate::db::matching::StoredCandidate;
use crate::i18n::{fill, gettext};
use crate::imaging::{self, DecodeLimits};
use crate::jobs::{CancelToken, Outcome, Progress, ProgressMeter};
use crate::library::{FileTags, ParsedName, ThumbnailStore, parse_file_name};

use super::hash::CoverHash;
use super::index::{CoverIndex, IssueHit};
use super::score::{
    AUTO_APPLY_MARGIN, Case, Hold, Signals, TAGGED_SCORE, decide, folder_bonus, normalize_number,
    picture_disputes_tag, same_picture, series_similarity, year_agreement,
};
use super::{DEFAULT_THRESHOLD, MatchingError, catalog_cover_file, owned_cover_picture};

/// Issues taken from the visual search before scoring.
const VISUAL_SHORTLIST: usize = 8;
/// Issues the file name names, added to the visual ones.
const NAMED_SHORTLIST: usize = 4;
/// Series agreement from which the file name is taken to name a volume.
const NAMED_SERIES: f32 = 0.5;
/// Issues of the folder siblings' volume added, the visually nearest.
const FOLDER_SHORTLIST: usize = 4;
/// Cosine similarity of two catalog covers' embeddings from which, without fingerprints, they
/// count as one picture.
const SAME_PICTURE_VISUAL: f32 = 0.97;
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
    /// Look only at these comics (by id), when given: those of a volume just added.
    pub only: Option<HashSet<i32>>,
}

impl Default for ClassifyOptions {
    fn default() -> Self {
        Self {
            threshold: DEFAULT_THRESHOLD,
            auto_apply: false,
            max: None,
            reclassify: false,
            only: None,
        }
    }
}

/// A catalog issue proposed for a comic, at its best-matching cover.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    pub id_comicbook_info: i32,
    /// 0 for an issue the comic's tags name whose covers have no embedding yet.
    pub id_cover: i32,
    pub id_volume: i32,
    pub volume: String,
    pub number: String,
    pub year: Option<i32>,
    pub signals: Signals,
    /// "Tagged": the comic's own tags name this issue.
    pub tagged: bool,
    /// "Same folder": the comic's folder siblings were classified to this issue's volume.
    pub same_folder: bool,
    /// "Edition": its cover is the same picture as another candidate's in another volume.
    pub edition: bool,
    /// The publisher of its volume, when the catalog names one.
    pub publisher: Option<String>,
    /// Its cover picture could not be read (no file, unreadable, truncated): its embedding
    /// may be suggested on, never applied alone.
    pub unreadable_cover: bool,
}

/// How the choice among editions of one cover was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EditionChoice {
    /// The comic's folder siblings were classified to that edition's volume.
    Folder,
    /// That edition's publisher is the one the user prefers.
    Publisher,
    /// Nothing tells them apart: the user chooses in review.
    Review,
}

/// The best candidates show one picture in several volumes: the same cover in several
/// editions, within the margin of each other, so the picture cannot choose.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Editions {
    /// The issues sharing the cover, the chosen one (or the best) first.
    pub issues: Vec<i32>,
    pub chosen_by: EditionChoice,
}

impl Editions {
    /// Why the comic was left for review, when it was.
    pub fn problem(&self, candidates: &[Candidate]) -> Option<String> {
        if self.chosen_by != EditionChoice::Review {
            return None;
        }
        let names: Vec<String> = self
            .issues
            .iter()
            .filter_map(|id| candidates.iter().find(|c| c.id_comicbook_info == *id))
            .map(Candidate::edition_name)
            .collect();
        Some(fill(
            &gettext(
                "its cover is the same in {count} editions ({editions}): choose yours in review",
            ),
            &[("count", &names.len()), ("editions", &names.join(", "))],
        ))
    }
}

impl Candidate {
    /// "Batman #497 (DC Comics)": the issue and, when known, its publisher.
    pub fn edition_name(&self) -> String {
        match &self.publisher {
            Some(publisher) => fill(
                &gettext("{volume} #{number} ({publisher})"),
                &[
                    ("volume", &self.volume),
                    ("number", &self.number),
                    ("publisher", publisher),
                ],
            ),
            None => fill(
                &gettext("{volume} #{number}"),
                &[("volume", &self.volume), ("number", &self.number)],
            ),
        }
    }
}

/// The ComicVine issue a comic's own tags name, and what the catalog makes of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaggedIssue {
    pub comicvine_issue: i64,
    /// The catalog issue with that ComicVine id; `None`: not in the catalog, so nothing is
    /// applied to the comic.
    pub id_comicbook_info: Option<i32>,
    /// The volume the tags name ("Saga (2012)"): the one to add when the issue is missing.
    pub volume: Option<String>,
    /// The cover picture clearly shows another issue: both are left for review.
    pub disputed: bool,
    /// Another ComicVine issue the file's other tags name, and its catalog issue when the
    /// catalog has it: tags that contradict each other decide nothing.
    pub conflict: Option<(i64, Option<i32>)>,
}

impl TaggedIssue {
    /// What the tags name, looked up in the catalog (ComicVine id to catalog issue).
    pub fn new(tags: &FileTags, catalog: &HashMap<i64, i32>) -> Option<Self> {
        let comicvine_issue = tags.comicvine_issue?;
        Some(Self {
            comicvine_issue,
            id_comicbook_info: catalog.get(&comicvine_issue).copied(),
            volume: tags.volume_name(),
            disputed: false,
            conflict: tags
                .comicvine_conflict
                .filter(|other| *other != comicvine_issue)
                .map(|other| (other, catalog.get(&other).copied())),
        })
    }

    /// The catalog issue the tags name when they can decide: named by every tag, in the
    /// catalog.
    pub fn deciding_issue(&self) -> Option<i32> {
        self.id_comicbook_info.filter(|_| self.conflict.is_none())
    }

    /// The catalog issues the tags name, agreeing or not: candidates either way.
    pub fn named_issues(&self) -> Vec<i32> {
        self.id_comicbook_info
            .into_iter()
            .chain(self.conflict.and_then(|(_, issue)| issue))
            .collect()
    }

    /// Why the tag was not applied, in a sentence, when it was not applicable: "issue N is not
    /// in the catalog", with the volume to add when known, or the dispute.
    pub fn problem(&self) -> Option<String> {
        if let Some((other, _)) = self.conflict {
            return Some(fill(
                &gettext(
                    "its tags name two different issues, {issue} and {other}: both are left for review",
                ),
                &[("issue", &self.comicvine_issue), ("other", &other)],
            ));
        }
        if self.id_comicbook_info.is_none() {
            return Some(match &self.volume {
                Some(volume) => fill(
                    &gettext(
                        "issue {issue} is not in the catalog: add its volume, {volume}, with vistazo catalog add-volume",
                    ),
                    &[("issue", &self.comicvine_issue), ("volume", volume)],
                ),
                None => fill(
                    &gettext(
                        "issue {issue} is not in the catalog: add its volume with vistazo catalog add-volume",
                    ),
                    &[("issue", &self.comicvine_issue)],
                ),
            });
        }
        self.disputed.then(|| {
            fill(
                &gettext("its tags name issue {issue} but its cover shows another issue: both are left for review"),
                &[("issue", &self.comicvine_issue)],
            )
        })
    }
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
    /// The issue the comic's own tags name, when they name one.
    pub tagged: Option<TaggedIssue>,
    /// The best candidates are editions of one cover, and how the choice was made.
    pub editions: Option<Editions>,
    /// Why the best candidate was not applied, by the rule ([`decide`]); `None` when it was
    /// applied or could have been (a run that only suggests).
    pub held: Option<Hold>,
}

#[derive(Debug)]
pub enum ClassifyEvent {
    Progress(Progress),
    /// A catalog cover whose picture could not be read, and where it was looked for: its
    /// issue is only suggested on its embedding.
    UnreadableCover {
        id_cover: i32,
        reason: String,
    },
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
    /// Catalog covers among the candidates whose picture could not be read, each reported
    /// once with [`ClassifyEvent::UnreadableCover`].
    pub unreadable_catalog_covers: u64,
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

/// The hashes of catalog covers, computed once per run when first needed, and why the
/// pictures that could not be read were not.
struct CoverHashes<'a> {
    store: &'a ThumbnailStore,
    known: HashMap<usize, Option<CoverHash>>,
    /// Covers found unreadable and not reported yet: (id_cover, where and why).
    unreadable: Vec<(i32, String)>,
}

impl CoverHashes<'_> {
    fn get(&mut self, index: &CoverIndex, cover: usize) -> Option<CoverHash> {
        if let Some(known) = self.known.get(&cover) {
            return *known;
        }
        let row = &index.covers[cover];
        let hash = match catalog_cover_file(self.store, row) {
            None => {
                let folder = self.store.catalog_folder(&row.volume_name, row.id_volume);
                self.unreadable.push((
                    row.id_cover,
                    fill(
                        &gettext("no file for {url} in {folder}"),
                        &[("url", &row.url_imagen), ("folder", &folder.display())],
                    ),
                ));
                None
            }
            Some(file) => match imaging::load_rgb(&file, &DecodeLimits::default()) {
                Ok(picture) => Some(CoverHash::of(&picture)),
                Err(error) => {
                    self.unreadable.push((row.id_cover, error.to_string()));
                    None
                }
            },
        };
        self.known.insert(cover, hash);
        hash
    }
}

/// What is known about one comic beyond its cover: the names (its tags' over its file
/// name's), the catalog issue its tags name, and the volume its folder siblings are.
struct Known<'a> {
    name: &'a ParsedName,
    /// The catalog issue the tags name when they decide.
    tagged: Option<i32>,
    /// Every catalog issue the tags name, agreeing or not.
    tag_named: Vec<i32>,
    folder_volume: Option<i32>,
}

/// Where each issue of the index is, by issue id and by volume.
struct IssuePlaces {
    by_id: HashMap<i32, usize>,
    by_volume: HashMap<i32, Vec<usize>>,
}

impl IssuePlaces {
    fn new(index: &CoverIndex) -> Self {
        let mut places = Self {
            by_id: HashMap::new(),
            by_volume: HashMap::new(),
        };
        for (at, issue) in index.issues.iter().enumerate() {
            places.by_id.insert(issue.id_comicbook_info, at);
            places
                .by_volume
                .entry(issue.id_volume)
                .or_default()
                .push(at);
        }
        places
    }

    /// The issues of `volume` nearest `vector`, and those numbered as `name` says.
    fn in_folder_volume(
        &self,
        index: &CoverIndex,
        volume: i32,
        vector: &[f32],
        name: &ParsedName,
    ) -> Vec<usize> {
        let Some(issues) = self.by_volume.get(&volume) else {
            return Vec::new();
        };
        let number = name.number.as_deref().map(normalize_number);
        let mut ranked: Vec<(f32, usize)> = issues
            .iter()
            .map(|&at| {
                let best = index.issues[at]
                    .covers
                    .iter()
                    .map(|&cover| index.similarity(vector, cover))
                    .fold(f32::MIN, f32::max);
                (best, at)
            })
            .collect();
        ranked.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        let mut chosen: Vec<usize> = ranked
            .iter()
            .take(FOLDER_SHORTLIST)
            .map(|(_, at)| *at)
            .collect();
        if let Some(number) = number {
            chosen.extend(
                issues
                    .iter()
                    .filter(|&&at| normalize_number(&index.issues[at].numero) == number),
            );
        }
        chosen
    }
}

/// The candidates for one comic, best first, and whether its picture disputes its tag.
#[allow(clippy::too_many_arguments)]
fn candidates(
    index: &CoverIndex,
    named: &NamedIssues,
    places: &IssuePlaces,
    hashes: &mut CoverHashes,
    vector: &[f32],
    visual: &[IssueHit],
    known: &Known,
    comic_hash: Option<CoverHash>,
) -> (Vec<Candidate>, bool) {
    let name = known.name;
    let mut shortlist: Vec<usize> = visual.iter().map(|hit| hit.issue).collect();
    let mut extra = named.named(index, name);
    extra.extend(known.tag_named.iter().filter_map(|id| places.by_id.get(id)));
    if let Some(volume) = known.folder_volume {
        extra.extend(places.in_folder_volume(index, volume, vector, name));
    }
    for issue in extra {
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
            let same_folder = known.folder_volume == Some(issue.id_volume);
            // Variants: the issue counts as its best cover.
            issue
                .covers
                .iter()
                .map(|&cover| {
                    let cover_hash = hashes.get(index, cover);
                    let hash = comic_hash.zip(cover_hash).map(|(a, b)| a.similarity(&b));
                    let mut signals =
                        Signals::new(index.similarity(vector, cover), hash, series, number, year);
                    let unreadable = cover_hash.is_none();
                    if unreadable && comic_hash.is_some() {
                        signals = signals.without_picture();
                    }
                    if same_folder {
                        signals.combined = (signals.combined + folder_bonus(&signals)).min(1.0);
                    }
                    (cover, signals, unreadable)
                })
                .max_by(|a, b| {
                    a.1.combined
                        .total_cmp(&b.1.combined)
                        .then(a.1.visual.total_cmp(&b.1.visual))
                        .then(b.2.cmp(&a.2))
                })
                .map(|(cover, signals, unreadable_cover)| Candidate {
                    id_comicbook_info: issue.id_comicbook_info,
                    id_cover: index.covers[cover].id_cover,
                    id_volume: issue.id_volume,
                    volume: issue.volume.clone(),
                    number: issue.numero.clone(),
                    year: (issue.fecha_tapa > 0).then_some(issue.fecha_tapa),
                    signals,
                    tagged: known.tagged == Some(issue.id_comicbook_info),
                    same_folder,
                    edition: false,
                    publisher: None,
                    unreadable_cover,
                })
        })
        .collect();
    let disputed = found.iter().find(|c| c.tagged).is_some_and(|tagged| {
        found
            .iter()
            .any(|other| !other.tagged && picture_disputes_tag(&tagged.signals, &other.signals))
    });
    if !disputed && let Some(tagged) = found.iter_mut().find(|c| c.tagged) {
        tagged.signals.combined = tagged.signals.combined.max(TAGGED_SCORE);
    }
    found.sort_by(|a, b| {
        // An undisputed tag decides: its issue comes first whatever the pictures say.
        (b.tagged && !disputed)
            .cmp(&(a.tagged && !disputed))
            .then(b.signals.combined.total_cmp(&a.signals.combined))
            .then(b.signals.visual.total_cmp(&a.signals.visual))
            .then(a.id_comicbook_info.cmp(&b.id_comicbook_info))
    });
    // A disputed tag stays among the candidates, beside what the picture shows.
    if let Some(at) = found.iter().position(|c| c.tagged)
        && at >= CANDIDATES
    {
        let tagged = found.remove(at);
        found.insert(CANDIDATES - 1, tagged);
    }
    found.truncate(CANDIDATES);
    (found, disputed)
}

/// The names matching compares with the catalog: the comic's tags', where they say, else
/// its file name's.
fn known_name(path: &str, tags: Option<&FileTags>) -> ParsedName {
    let mut name = parse_file_name(path);
    if let Some(tags) = tags {
        if tags.series.is_some() {
            name.series.clone_from(&tags.series);
        }
        if tags.number.is_some() {
            name.number.clone_from(&tags.number);
        }
        if let Some(year) = tags.year.and_then(|y| u16::try_from(y).ok()) {
            name.year = Some(year);
        }
    }
    name
}

/// The folder a comic file (or folder of pictures) sits in.
fn folder_of(path: &str) -> PathBuf {
    Path::new(path)
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default()
}

/// The volume the classified comics of each folder were classified to, when they agree.
struct FolderVolumes(HashMap<PathBuf, HashSet<i32>>);

impl FolderVolumes {
    fn new(db: &mut Database) -> Result<Self, MatchingError> {
        let mut folders: HashMap<PathBuf, HashSet<i32>> = HashMap::new();
        for (path, volume) in db.classified_comic_volumes()? {
            folders.entry(folder_of(&path)).or_default().insert(volume);
        }
        Ok(Self(folders))
    }

    fn volume(&self, folder: &Path) -> Option<i32> {
        let volumes = self.0.get(folder)?;
        match volumes.iter().collect::<Vec<_>>().as_slice() {
            [only] => Some(**only),
            _ => None,
        }
    }

    fn classified(&mut self, folder: PathBuf, volume: i32) {
        self.0.entry(folder).or_default().insert(volume);
    }
}

/// Which candidates show one picture: `same[i][j]` for two candidates of different volumes
/// whose catalog covers are one picture, by their fingerprints, else by their embeddings.
fn shared_pictures(
    index: &CoverIndex,
    hashes: &mut CoverHashes,
    cover_at: &HashMap<i32, usize>,
    found: &[Candidate],
) -> Vec<Vec<bool>> {
    let mut same = vec![vec![false; found.len()]; found.len()];
    for i in 0..found.len() {
        for j in i + 1..found.len() {
            let (a, b) = (&found[i], &found[j]);
            if a.id_volume == b.id_volume {
                continue;
            }
            let (Some(&x), Some(&y)) = (cover_at.get(&a.id_cover), cover_at.get(&b.id_cover))
            else {
                continue;
            };
            let one = match (hashes.get(index, x), hashes.get(index, y)) {
                (Some(p), Some(q)) => same_picture(p.similarity(&q)),
                _ => index.cover_similarity(x, y) >= SAME_PICTURE_VISUAL,
            };
            same[i][j] = one;
            same[j][i] = one;
        }
    }
    same
}

/// Marks the candidates that share their picture with another volume's, and settles a tie
/// between editions of the best candidate's cover: the best's picture in other volumes within
/// the margin, so the picture cannot choose. The edition of the volume the folder's siblings
/// were classified to goes first, else the preferred publisher's, else the user chooses in
/// review. `same` is [`shared_pictures`] of `found` (best first); `publisher_of` gives a
/// volume's publisher id.
pub fn settle_editions(
    found: &mut Vec<Candidate>,
    same: &[Vec<bool>],
    preferred: Option<i32>,
    publisher_of: &dyn Fn(i32) -> Option<i32>,
) -> Option<Editions> {
    for (i, candidate) in found.iter_mut().enumerate() {
        candidate.edition = same.get(i).is_some_and(|row| row.iter().any(|s| *s));
    }
    let best = found.first()?;
    if best.tagged {
        return None;
    }
    let group: Vec<usize> = (0..found.len())
        .filter(|&j| {
            j == 0
                || (same[0][j]
                    && best.signals.combined - found[j].signals.combined < AUTO_APPLY_MARGIN)
        })
        .collect();
    if group.len() < 2 {
        return None;
    }
    let first_of =
        |keep: &dyn Fn(&Candidate) -> bool| group.iter().copied().find(|&at| keep(&found[at]));
    let folder_volumes: HashSet<i32> = group
        .iter()
        .filter(|&&at| found[at].same_folder)
        .map(|&at| found[at].id_volume)
        .collect();
    let (chosen, chosen_by) = if folder_volumes.len() == 1 {
        (first_of(&|c| c.same_folder), EditionChoice::Folder)
    } else if let Some(preferred) = preferred
        && let Some(at) = first_of(&|c| publisher_of(c.id_volume) == Some(preferred))
    {
        (Some(at), EditionChoice::Publisher)
    } else {
        (None, EditionChoice::Review)
    };
    let mut issues: Vec<i32> = group
        .iter()
        .map(|&at| found[at].id_comicbook_info)
        .collect();
    if let Some(at) = chosen {
        let candidate = found.remove(at);
        issues.retain(|id| *id != candidate.id_comicbook_info);
        issues.insert(0, candidate.id_comicbook_info);
        found.insert(0, candidate);
    }
    Some(Editions { issues, chosen_by })
}

/// A candidate for a tagged issue the index has no embedded cover of: it applies on the tag
/// alone, with no picture to weigh.
fn tagged_without_cover(
    db: &mut Database,
    id_comicbook_info: i32,
) -> Result<Option<Candidate>, MatchingError> {
    let Some(facts) = db.issue_facts(id_comicbook_info)? else {
        return Ok(None);
    };
    let mut signals = Signals::new(0.0, None, None, None, None);
    signals.combined = TAGGED_SCORE;
    Ok(Some(Candidate {
        id_comicbook_info,
        id_cover: 0,
        id_volume: facts.id_volume,
        volume: facts.volume_name,
        number: facts.numero,
        year: (facts.fecha_tapa > 0).then_some(facts.fecha_tapa),
        signals,
        tagged: true,
        same_folder: false,
        edition: false,
        publisher: None,
        unreadable_cover: false,
    }))
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
    let places = IssuePlaces::new(&index);
    let all_tags = db.comic_tags()?;
    let by_comicvine = db.catalog_issues_by_comicvine()?;
    let mut folders = FolderVolumes::new(db)?;
    let publishers = db.volume_publishers()?;
    let preferred = db.preferred_publisher()?.map(|p| p.publisher.id_publisher);
    let cover_at: HashMap<i32, usize> = index
        .covers
        .iter()
        .enumerate()
        .map(|(at, cover)| (cover.id_cover, at))
        .collect();
    let mut comics = db.comics_to_classify(options.reclassify)?;
    if let Some(only) = &options.only {
        comics.retain(|comic| only.contains(&comic.id_comicbook));
    }
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
        unreadable_catalog_covers: 0,
    };
    let mut hashes = CoverHashes {
        store,
        known: HashMap::new(),
        unreadable: Vec::new(),
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
        let tags = all_tags.get(&comic.id_comicbook);
        let name = known_name(&comic.path, tags);
        let mut tagged = tags.and_then(|tags| TaggedIssue::new(tags, &by_comicvine));
        let folder = folder_of(&comic.path);
        let known = Known {
            name: &name,
            tagged: tagged.as_ref().and_then(TaggedIssue::deciding_issue),
            tag_named: tagged
                .as_ref()
                .map(TaggedIssue::named_issues)
                .unwrap_or_default(),
            folder_volume: folders.volume(&folder),
        };
        let visual = shortlists.remove(&comic.id_comicbook).unwrap_or_default();
        let (mut found, disputed) = candidates(
            &index,
            &named,
            &places,
            &mut hashes,
            vector,
            &visual,
            &known,
            comic_hash,
        );
        if let Some(id) = known.tagged
            && !found.iter().any(|c| c.tagged)
            && let Some(candidate) = tagged_without_cover(db, id)?
        {
            found.insert(0, candidate);
            found.truncate(CANDIDATES);
        }
        if let Some(tag) = &mut tagged {
            tag.disputed = disputed;
        }
        for candidate in &mut found {
            candidate.publisher = publishers.get(&candidate.id_volume).map(|p| p.name.clone());
        }
        let same = shared_pictures(&index, &mut hashes, &cover_at, &found);
        let editions = settle_editions(&mut found, &same, preferred, &|volume| {
            publishers.get(&volume).map(|p| p.id_publisher)
        });
        // The other editions of a settled cover are not rivals of the one chosen.
        let scores: Vec<f32> = found
            .iter()
            .enumerate()
            .filter(|(at, c)| {
                *at == 0
                    || editions
                        .as_ref()
                        .is_none_or(|e| !e.issues.contains(&c.id_comicbook_info))
            })
            .map(|(_, c)| c.signals.combined)
            .collect();
        let truncated_cover = truncated.remove(&comic.id_comicbook);
        summary.truncated_covers += u64::from(truncated_cover.is_some());
        for (id_cover, reason) in hashes.unreadable.drain(..) {
            summary.unreadable_catalog_covers += 1;
            on_event(ClassifyEvent::UnreadableCover { id_cover, reason });
        }
        let case = Case {
            scores: &scores,
            // The tags name the issue: it decides alone, unless it is missing, disputed or
            // contradicted by the file's other tags.
            tag: tagged.as_ref().map(|tag| {
                tag.problem().is_none() && found.first().is_some_and(|best| best.tagged)
            }),
            // A coin toss between editions is never applied.
            edition_tie: editions
                .as_ref()
                .is_some_and(|e| e.chosen_by == EditionChoice::Review),
            truncated_cover: truncated_cover.is_some(),
            unreadable_cover: found.first().is_some_and(|best| best.unreadable_cover),
        };
        let held = decide(&case, options.threshold).err();
        let decided = held.is_none();
        let mut applied = false;
        if options.auto_apply
            && decided
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
            if let Some(best) = found.first() {
                folders.classified(folder, best.id_volume);
            }
        } else if !found.is_empty() {
            summary.suggested += 1;
        }
        on_event(ClassifyEvent::Matched(ComicMatch {
            comic_id: comic.id_comicbook,
            path: comic.path,
            applied,
            truncated_cover,
            candidates: found,
            tagged,
            editions,
            held,
        }));
        on_event(ClassifyEvent::Progress(meter.advance(1)));
    }
    db.finish_classification_run(run_id, summary.considered, summary.applied)?;
    Ok(summary)
}

/// The signals a stored candidate was scored with.
pub(crate) fn stored_signals(stored: &StoredCandidate) -> Signals {
    Signals {
        visual: stored.visual as f32,
        hash: stored.hash.map(|v| v as f32),
        series: stored.series.map(|v| v as f32),
        number: stored.number.map(|v| v as f32),
        year: stored.year.map(|v| v as f32),
        combined: stored.combined as f32,
    }
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
        tagged: candidate.tagged,
        same_folder: candidate.same_folder,
        edition: candidate.edition,
        unreadable_cover: candidate.unreadable_cover,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn candidate(issue: i32, volume: i32, combined: f32) -> Candidate {
        let mut signals = Signals::new(0.9, Some(0.95), None, None, None);
        signals.combined = combined;
        Candidate {
            id_comicbook_info: issue,
            id_cover: issue,
            id_volume: volume,
            volume: format!("Volume {volume}"),
            number: "1".into(),
            year: None,
            signals,
            tagged: false,
            same_folder: false,
            edition: false,
            publisher: None,
            unreadable_cover: false,
        }
    }

    /// Candidates 0 and 1 share one picture; 2 is another issue.
    fn found() -> (Vec<Candidate>, Vec<Vec<bool>>) {
        let found = vec![
            candidate(1001, 10, 0.83),
            candidate(2001, 20, 0.82),
            candidate(1002, 10, 0.40),
        ];
        let mut same = vec![vec![false; 3]; 3];
        same[0][1] = true;
        same[1][0] = true;
        (found, same)
    }

    /// Volume 10 is publisher 1's, volume 20 publisher 2's.
    fn publisher_of(volume: i32) -> Option<i32> {
        Some(volume / 10)
    }

    fn order(found: &[Candidate]) -> Vec<i32> {
        found.iter().map(|c| c.id_comicbook_info).collect()
    }

    #[test]
    fn a_tie_between_editions_is_left_to_the_user_when_nothing_tells_them_apart() {
        let (mut found, same) = self::found();
        let editions = settle_editions(&mut found, &same, None, &publisher_of).expect("a tie");
        assert_eq!(editions.chosen_by, EditionChoice::Review);
        assert_eq!(editions.issues, [1001, 2001]);
        assert_eq!(order(&found), [1001, 2001, 1002]);
        let flags: Vec<bool> = found.iter().map(|c| c.edition).collect();
        assert_eq!(flags, [true, true, false]);
        // A preference for a publisher neither edition has does not decide either.
        let (mut found, same) = self::found();
        let editions = settle_editions(&mut found, &same, Some(7), &publisher_of).expect("tie");
        assert_eq!(editions.chosen_by, EditionChoice::Review);
    }

    #[test]
    fn the_folder_siblings_edition_wins_the_tie_then_the_preferred_publisher() {
        let (mut found, same) = self::found();
        found[1].same_folder = true;
        let editions = settle_editions(&mut found, &same, Some(1), &publisher_of).expect("tie");
        assert_eq!(editions.chosen_by, EditionChoice::Folder);
        assert_eq!(editions.issues, [2001, 1001]);
        assert_eq!(order(&found), [2001, 1001, 1002]);

        let (mut found, same) = self::found();
        let editions = settle_editions(&mut found, &same, Some(2), &publisher_of).expect("tie");
        assert_eq!(editions.chosen_by, EditionChoice::Publisher);
        assert_eq!(order(&found), [2001, 1001, 1002]);
    }

    #[test]
    fn editions_far_apart_or_other_pictures_are_no_tie() {
        // The file name names one edition clearly: no coin toss, though both are marked.
        let (mut found, same) = self::found();
        found[1].signals.combined = 0.70;
        assert_eq!(
            settle_editions(&mut found, &same, None, &publisher_of),
            None
        );
        assert!(found[0].edition && found[1].edition);

        // Close scores but different pictures: the margin rule alone decides.
        let (mut found, _) = self::found();
        let none = vec![vec![false; 3]; 3];
        assert_eq!(
            settle_editions(&mut found, &none, None, &publisher_of),
            None
        );
        assert!(found.iter().all(|c| !c.edition));

        // A tagged best candidate: the tag decides, not the edition.
        let (mut found, same) = self::found();
        found[0].tagged = true;
        assert_eq!(
            settle_editions(&mut found, &same, Some(2), &publisher_of),
            None
        );
        assert_eq!(order(&found), [1001, 2001, 1002]);
    }
}
