//! Reviewing suggestions: the comics that classification left for the user, each with its
//! candidates (variant covers of one issue kept together), and a [`ReviewSession`] that walks
//! them and records the user's decisions.
//!
//! The session decides nothing about storage or drawing: each decision returns the change to
//! save, which the caller saves at once through the journal
//! ([`crate::db::Database::apply_classification`]) or the trash flag, and undoing returns the
//! change to put back.

use std::collections::HashMap;
use std::path::PathBuf;

use crate::db::Database;
use crate::db::matching::CatalogCoverRow;
use crate::i18n::{fill, ngettext};
use crate::library::ThumbnailStore;

use super::classify::{Candidate, TaggedIssue, stored_signals};
use super::score::{Case, Hold, decide};
use super::{MatchingError, catalog_cover_file};

/// One cover of a candidate issue, with its file when it is on disk.
#[derive(Debug, Clone, PartialEq)]
pub struct ReviewCover {
    pub id_cover: i32,
    pub file: Option<PathBuf>,
}

/// A catalog issue proposed for a comic.
#[derive(Debug, Clone, PartialEq)]
pub struct ReviewCandidate {
    /// The candidate as classification scored it.
    pub candidate: Candidate,
    /// The cover that matched best first, then the issue's other covers (its variants).
    pub covers: Vec<ReviewCover>,
}

/// An owned comic waiting for the user's decision.
#[derive(Debug, Clone, PartialEq)]
pub struct ReviewItem {
    pub comic_id: i32,
    pub path: PathBuf,
    /// The comic's cover thumbnail when there is one; else the cover is read from the file.
    pub thumbnail: Option<PathBuf>,
    /// The comic's classification value as read: applying is refused if it changed since.
    pub seen: Option<String>,
    /// The classification run that suggested the candidates.
    pub run_id: i64,
    /// Best first.
    pub candidates: Vec<ReviewCandidate>,
    /// The page of the comic's cover that is a truncated image, when it is: such a comic is
    /// decided one at a time, never by "apply all".
    pub truncated_cover: Option<String>,
    /// The ComicVine issue the comic's own tags name, when they name one; its
    /// [`TaggedIssue::problem`] says why it was not applied ("issue N is not in the catalog").
    pub tagged: Option<TaggedIssue>,
}

impl ReviewItem {
    /// The best candidate's combined score.
    pub fn best_score(&self) -> Option<f32> {
        self.candidates
            .first()
            .map(|c| c.candidate.signals.combined)
    }

    /// The candidates that are editions of one cover (the same picture in several volumes),
    /// when the best one is: the choice among them is the user's.
    pub fn editions(&self) -> Vec<&ReviewCandidate> {
        if !self.candidates.first().is_some_and(|c| c.candidate.edition) {
            return Vec::new();
        }
        self.candidates
            .iter()
            .filter(|c| c.candidate.edition)
            .collect()
    }
}

/// What "apply all" leaves for the user, one clause per reason, most frequent first:
/// "3 left for you: two issues fit equally well; 1 left for you: …". `None` when nothing is.
pub fn held_sentence(holds: &[Hold]) -> Option<String> {
    let mut counts: Vec<(Hold, usize)> = Vec::new();
    for hold in holds {
        match counts.iter_mut().find(|(h, _)| h == hold) {
            Some((_, n)) => *n += 1,
            None => counts.push((*hold, 1)),
        }
    }
    counts.sort_by_key(|(_, n)| std::cmp::Reverse(*n));
    let clauses: Vec<String> = counts
        .into_iter()
        .map(|(hold, n)| {
            let plural = u32::try_from(n).unwrap_or(u32::MAX);
            let template = match hold {
                Hold::NearTie => ngettext(
                    "{count} left for you: two issues fit equally well",
                    "{count} left for you: two issues fit equally well",
                    plural,
                ),
                Hold::EditionTie => ngettext(
                    "{count} left for you: its cover is the same in several editions",
                    "{count} left for you: their covers are the same in several editions",
                    plural,
                ),
                Hold::TruncatedCover => ngettext(
                    "{count} left for you: its cover image is cut short",
                    "{count} left for you: their cover images are cut short",
                    plural,
                ),
                Hold::UnreadableCover => ngettext(
                    "{count} left for you: the catalog cover it matched could not be read",
                    "{count} left for you: the catalog covers they matched could not be read",
                    plural,
                ),
                Hold::TagProblem => ngettext(
                    "{count} left for you: its tags name an issue that cannot be applied",
                    "{count} left for you: their tags name issues that cannot be applied",
                    plural,
                ),
                Hold::BelowThreshold => ngettext(
                    "{count} left for you: below the threshold",
                    "{count} left for you: below the threshold",
                    plural,
                ),
            };
            fill(&template, &[("count", &n)])
        })
        .collect();
    (!clauses.is_empty()).then(|| clauses.join("; "))
}

/// The comics with a stored suggestion that are still unclassified and out of the trash, in
/// comic order, with the files of their candidates' covers found in `store`.
pub fn pending_reviews(
    db: &mut Database,
    store: &ThumbnailStore,
) -> Result<Vec<ReviewItem>, MatchingError> {
    let mut covers: HashMap<i32, Vec<CatalogCoverRow>> = HashMap::new();
    for cover in db.suggested_issue_covers()? {
        covers
            .entry(cover.id_comicbook_info)
            .or_default()
            .push(cover);
    }
    let truncated = db.truncated_covers()?;
    let tags = db.comic_tags()?;
    let by_comicvine = db.catalog_issues_by_comicvine()?;
    let mut items: Vec<ReviewItem> = Vec::new();
    for row in db.pending_candidates()? {
        if items
            .last()
            .is_none_or(|item| item.comic_id != row.comic_id)
        {
            items.push(ReviewItem {
                comic_id: row.comic_id,
                path: PathBuf::from(&row.path),
                thumbnail: Some(store.comic_thumbnail(row.comic_id)).filter(|p| p.is_file()),
                seen: row.current.clone(),
                run_id: row.candidate.run_id,
                candidates: Vec::new(),
                truncated_cover: truncated.get(&row.comic_id).cloned(),
                tagged: tags
                    .get(&row.comic_id)
                    .and_then(|tags| TaggedIssue::new(tags, &by_comicvine)),
            });
        }
        let Some(issue_covers) = covers.get(&row.candidate.id_comicbook_info) else {
            // The issue left the catalog since the suggestion was made.
            continue;
        };
        let Some(first) = issue_covers.first() else {
            continue;
        };
        let mut ordered: Vec<&CatalogCoverRow> = issue_covers.iter().collect();
        ordered.sort_by_key(|c| (c.id_cover != row.candidate.id_cover, c.id_cover));
        let stored = &row.candidate;
        let candidate = ReviewCandidate {
            candidate: Candidate {
                id_comicbook_info: stored.id_comicbook_info,
                id_cover: stored.id_cover,
                id_volume: first.id_volume,
                volume: first.volume_name.clone(),
                number: first.numero.clone(),
                year: (first.fecha_tapa > 0).then_some(first.fecha_tapa),
                signals: stored_signals(stored),
                tagged: stored.tagged,
                same_folder: stored.same_folder,
                edition: stored.edition,
                publisher: row.publisher.clone(),
                unreadable_cover: stored.unreadable_cover,
            },
            covers: ordered
                .into_iter()
                .map(|cover| ReviewCover {
                    id_cover: cover.id_cover,
                    file: catalog_cover_file(store, cover),
                })
                .collect(),
        };
        if let Some(item) = items.last_mut() {
            item.candidates.push(candidate);
        }
    }
    items.retain(|item| !item.candidates.is_empty());
    for item in &mut items {
        // A tagged issue left for review behind another candidate: the picture disputed it.
        let tagged_first = item.candidates.first().is_some_and(|c| c.candidate.tagged);
        if let Some(tag) = &mut item.tagged {
            tag.disputed = tag.id_comicbook_info.is_some() && !tagged_first;
        }
    }
    Ok(items)
}

/// What the user decided for one comic.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Classified as the candidate at this index.
    Applied(usize),
    Skipped,
    Trashed,
}

/// A classification to write now.
#[derive(Debug, Clone, PartialEq)]
pub struct Classification {
    pub comic_id: i32,
    /// The value the decision was based on.
    pub seen: Option<String>,
    pub id_comicbook_info: i32,
    /// The run whose suggestion it was.
    pub suggested_by: i64,
}

/// A saved decision to take back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Undo {
    /// Put back the value this comic had before it was classified.
    Classification { comic_id: i32 },
    /// Take this comic out of the trash.
    Trash { comic_id: i32 },
    /// Put back every classification of the last "apply all".
    Batch { comic_ids: Vec<i32> },
}

/// Counts for the review's summary.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReviewCounts {
    pub total: usize,
    pub classified: usize,
    pub skipped: usize,
    pub trash: usize,
    /// Comics without a decision yet.
    pub remaining: usize,
}

#[derive(Debug, Clone, PartialEq)]
enum Step {
    One(usize),
    Batch(Vec<usize>),
}

/// Where the user is in the review and what they decided so far.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ReviewSession {
    items: Vec<ReviewItem>,
    decisions: Vec<Option<Decision>>,
    position: usize,
    /// Saved decisions, oldest first, for undo.
    steps: Vec<Step>,
}

impl ReviewSession {
    pub fn new(items: Vec<ReviewItem>) -> Self {
        let decisions = vec![None; items.len()];
        Self {
            items,
            decisions,
            position: 0,
            steps: Vec::new(),
        }
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Index of the current comic; `len()` once the user went past the last one.
    pub fn position(&self) -> usize {
        self.position
    }

    pub fn is_finished(&self) -> bool {
        self.position >= self.items.len()
    }

    pub fn current(&self) -> Option<&ReviewItem> {
        self.items.get(self.position)
    }

    pub fn item(&self, index: usize) -> Option<&ReviewItem> {
        self.items.get(index)
    }

    pub fn decision(&self, index: usize) -> Option<Decision> {
        self.decisions.get(index).copied().flatten()
    }

    /// The current comic's decision, if it has one.
    pub fn current_decision(&self) -> Option<Decision> {
        self.decision(self.position)
    }

    /// Classifies the current comic as its candidate `candidate` and moves on. Nothing happens
    /// (`None`) past the end, for a candidate it does not have, or on a comic already
    /// classified or in the trash: undo first.
    pub fn apply(&mut self, candidate: usize) -> Option<Classification> {
        if !self.is_open(self.position) {
            return None;
        }
        let item = self.items.get(self.position)?;
        let chosen = item.candidates.get(candidate)?;
        let change = Classification {
            comic_id: item.comic_id,
            seen: item.seen.clone(),
            id_comicbook_info: chosen.candidate.id_comicbook_info,
            suggested_by: item.run_id,
        };
        self.decisions[self.position] = Some(Decision::Applied(candidate));
        self.steps.push(Step::One(self.position));
        self.position += 1;
        Some(change)
    }

    /// Moves the current comic to the trash and moves on; returns the comic to trash.
    pub fn trash(&mut self) -> Option<i32> {
        if !self.is_open(self.position) {
            return None;
        }
        let comic_id = self.items.get(self.position)?.comic_id;
        self.decisions[self.position] = Some(Decision::Trashed);
        self.steps.push(Step::One(self.position));
        self.position += 1;
        Some(comic_id)
    }

    /// Leaves the current comic as it is for now and moves on.
    pub fn skip(&mut self) {
        if self.is_finished() {
            return;
        }
        if self.decisions[self.position].is_none() {
            self.decisions[self.position] = Some(Decision::Skipped);
        }
        self.position += 1;
    }

    pub fn back(&mut self) {
        self.position = self.position.saturating_sub(1);
    }

    /// Classifies every comic not yet classified nor trashed whose best candidate scores at
    /// least `threshold` and that the rule classification applies by ([`decide`]) would
    /// apply, as one step that one undo takes back. Near-ties, truncated or unreadable covers,
    /// editions nothing chooses between and tags that do not hold up are left to be decided
    /// one by one ([`ReviewSession::held_above`] says how many and why).
    pub fn apply_all_above(&mut self, threshold: f32) -> Vec<Classification> {
        let chosen: Vec<usize> = self.above(threshold).collect();
        let changes = chosen
            .iter()
            .filter_map(|&index| {
                let item = &self.items[index];
                let best = item.candidates.first()?;
                Some(Classification {
                    comic_id: item.comic_id,
                    seen: item.seen.clone(),
                    id_comicbook_info: best.candidate.id_comicbook_info,
                    suggested_by: item.run_id,
                })
            })
            .collect();
        for &index in &chosen {
            self.decisions[index] = Some(Decision::Applied(0));
        }
        if !chosen.is_empty() {
            self.steps.push(Step::Batch(chosen));
        }
        changes
    }

    /// How many comics [`ReviewSession::apply_all_above`] would classify.
    pub fn count_above(&self, threshold: f32) -> usize {
        self.above(threshold).count()
    }

    fn above(&self, threshold: f32) -> impl Iterator<Item = usize> + '_ {
        (0..self.items.len())
            .filter(move |&index| self.is_open(index) && self.decide(index, threshold).is_ok())
    }

    /// Why each open comic whose best candidate reaches `threshold` is left out of "apply
    /// all", in comic order: the rule classification applies by ([`decide`]).
    pub fn held_above(&self, threshold: f32) -> Vec<Hold> {
        (0..self.items.len())
            .filter(|&index| {
                self.is_open(index)
                    && self.items[index]
                        .best_score()
                        .is_some_and(|score| score >= threshold)
            })
            .filter_map(|index| self.decide(index, threshold).err())
            .collect()
    }

    /// Whether comic `index`'s best candidate may be applied without looking at it, by the
    /// one rule classification applies by.
    fn decide(&self, index: usize, threshold: f32) -> Result<(), Hold> {
        let item = &self.items[index];
        let best = item.candidates.first().ok_or(Hold::BelowThreshold)?;
        // Which edition of a shared cover is the user's to say, one comic at a time; the
        // other editions of that cover are not rivals of the best.
        let editions = item.editions();
        let scores: Vec<f32> = item
            .candidates
            .iter()
            .enumerate()
            .filter(|(at, c)| *at == 0 || !(editions.len() >= 2 && c.candidate.edition))
            .map(|(_, c)| c.candidate.signals.combined)
            .collect();
        decide(
            &Case {
                scores: &scores,
                tag: item
                    .tagged
                    .as_ref()
                    .map(|tag| tag.problem().is_none() && best.candidate.tagged),
                edition_tie: editions.len() >= 2,
                truncated_cover: item.truncated_cover.is_some(),
                unreadable_cover: best.candidate.unreadable_cover,
            },
            threshold,
        )
    }

    /// Open: no decision yet, or only skipped.
    fn is_open(&self, index: usize) -> bool {
        index < self.items.len() && matches!(self.decisions[index], None | Some(Decision::Skipped))
    }

    /// Takes back the last saved decision and goes to its comic (the first one of an "apply
    /// all"). Returns what to put back in the database.
    pub fn undo(&mut self) -> Option<Undo> {
        match self.steps.pop()? {
            Step::One(index) => {
                let comic_id = self.items[index].comic_id;
                let decision = self.decisions[index].take();
                self.position = index;
                Some(match decision {
                    Some(Decision::Trashed) => Undo::Trash { comic_id },
                    _ => Undo::Classification { comic_id },
                })
            }
            Step::Batch(indices) => {
                for &index in &indices {
                    self.decisions[index] = None;
                }
                if let Some(&first) = indices.first() {
                    self.position = first;
                }
                Some(Undo::Batch {
                    comic_ids: indices.iter().map(|&i| self.items[i].comic_id).collect(),
                })
            }
        }
    }

    /// Forgets the decision on `comic_id` because saving it was refused (the comic changed
    /// since the suggestion was read): it is open again.
    pub fn refused(&mut self, comic_id: i32) {
        let Some(index) = self.items.iter().position(|i| i.comic_id == comic_id) else {
            return;
        };
        self.decisions[index] = None;
        self.steps.retain_mut(|step| match step {
            Step::One(at) => *at != index,
            Step::Batch(indices) => {
                indices.retain(|at| *at != index);
                !indices.is_empty()
            }
        });
    }

    pub fn counts(&self) -> ReviewCounts {
        let mut counts = ReviewCounts {
            total: self.items.len(),
            ..ReviewCounts::default()
        };
        for decision in &self.decisions {
            match decision {
                Some(Decision::Applied(_)) => counts.classified += 1,
                Some(Decision::Skipped) => counts.skipped += 1,
                Some(Decision::Trashed) => counts.trash += 1,
                None => counts.remaining += 1,
            }
        }
        counts
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::matching::Signals;

    fn item(comic_id: i32, scores: &[f32]) -> ReviewItem {
        ReviewItem {
            comic_id,
            path: PathBuf::from(format!("{comic_id}.cbz")),
            thumbnail: None,
            seen: Some(String::new()),
            run_id: 1,
            truncated_cover: None,
            candidates: scores
                .iter()
                .enumerate()
                .map(|(at, &score)| ReviewCandidate {
                    candidate: Candidate {
                        id_comicbook_info: comic_id * 100 + at as i32,
                        id_cover: 0,
                        id_volume: 1,
                        volume: "Saga".into(),
                        number: at.to_string(),
                        year: None,
                        signals: Signals {
                            visual: score,
                            hash: None,
                            series: None,
                            number: None,
                            year: None,
                            combined: score,
                        },
                        tagged: false,
                        same_folder: false,
                        edition: false,
                        publisher: None,
                        unreadable_cover: false,
                    },
                    covers: Vec::new(),
                })
                .collect(),
            tagged: None,
        }
    }

    #[test]
    fn decisions_move_on_and_undo_goes_back_to_them() {
        let mut session = ReviewSession::new(vec![
            item(1, &[0.9, 0.5]),
            item(2, &[0.6, 0.4]),
            item(3, &[0.8]),
        ]);
        let applied = session.apply(1).expect("apply");
        assert_eq!((applied.comic_id, applied.id_comicbook_info), (1, 101));
        session.skip();
        assert_eq!(session.trash(), Some(3));
        assert!(session.is_finished());
        session.back();
        assert_eq!(
            session.apply(0),
            None,
            "a trashed comic needs an undo first"
        );
        assert_eq!(
            session.counts(),
            ReviewCounts {
                total: 3,
                classified: 1,
                skipped: 1,
                trash: 1,
                remaining: 0
            }
        );
        assert_eq!(session.undo(), Some(Undo::Trash { comic_id: 3 }));
        assert_eq!(session.position(), 2);
        assert_eq!(session.undo(), Some(Undo::Classification { comic_id: 1 }));
        assert_eq!(session.position(), 0);
        assert_eq!(session.undo(), None, "skipping saves nothing");
    }

    #[test]
    fn apply_all_takes_open_comics_above_the_threshold_as_one_step_but_truncated_covers() {
        let mut session = ReviewSession::new(vec![
            item(1, &[0.9]),
            item(2, &[0.7]),
            item(3, &[0.8]),
            item(4, &[0.95]),
            ReviewItem {
                truncated_cover: Some("001.jpg".into()),
                ..item(5, &[0.99])
            },
            // Two issues within the margin: a coin toss, as classification leaves it.
            item(6, &[0.9, 0.88]),
            item(7, &[0.92, 0.91, 0.5]),
        ]);
        assert_eq!(session.trash(), Some(1));
        assert_eq!(session.count_above(0.75), 2);
        assert_eq!(
            session.held_above(0.75),
            [Hold::TruncatedCover, Hold::NearTie, Hold::NearTie]
        );
        assert_eq!(
            held_sentence(&session.held_above(0.75)).as_deref(),
            Some(
                "2 left for you: two issues fit equally well; \
                 1 left for you: its cover image is cut short"
            )
        );
        let changes = session.apply_all_above(0.75);
        let ids: Vec<i32> = changes.iter().map(|c| c.comic_id).collect();
        assert_eq!(ids, [3, 4]);
        assert_eq!(session.count_above(0.75), 0);
        session.refused(4);
        assert_eq!(session.counts().classified, 1);
        assert_eq!(session.undo(), Some(Undo::Batch { comic_ids: vec![3] }));
        assert_eq!(session.counts().remaining, 6);
    }
}
