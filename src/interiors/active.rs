//! Which photos to label next, so that every label teaches the model as much as it can.
//!
//! Before any model exists the choice is a spread over the collection: farthest-point sampling
//! in embedding space, away from what is already labelled, with every filter group (kept, too
//! dark, blurry, not a room…) represented. Once a model exists, the photos it is least sure
//! about come first: a small margin between the head's two likeliest labels, or a ranker score
//! that disagrees with the head's bucket. Among those, farthest-point sampling again keeps a
//! round from asking about near-identical photos.
//!
//! A labelled photo is never chosen. Nothing here writes to the database.

use std::collections::HashMap;
use std::path::PathBuf;

use super::Quality;
use super::filters::Filters;
use super::metrics::{PixelMetrics, VisualIssue};
use super::rounds::{self, RoundError};
use super::training::{Assessment, TrainedModel};
use crate::db::Database;
use crate::db::embeddings::Subject;
use crate::i18n::{fill, gettext};

/// How many photos a labeling round asks for by default.
pub const DEFAULT_COUNT: usize = 20;

/// Uncertain photos considered per photo wanted; farthest-point sampling picks among them.
const POOL_FACTOR: usize = 3;

/// How the filters sort a photo; the spread takes from every group.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Group {
    Kept,
    TooDark,
    TooBright,
    LowContrast,
    Blurry,
    TooSmall,
    NotARoom,
    Unmeasured,
}

impl Group {
    /// The group of a photo: its first visual issue, else whether the text tower sees a room.
    pub fn of(filters: &Filters, metrics: Option<&PixelMetrics>, room: Option<(f64, f64)>) -> Self {
        let (Some(metrics), Some((indoor, room))) = (metrics, room) else {
            return Self::Unmeasured;
        };
        match filters.visual.issues(metrics).first() {
            Some(VisualIssue::TooDark) => Self::TooDark,
            Some(VisualIssue::TooBright) => Self::TooBright,
            Some(VisualIssue::LowContrast) => Self::LowContrast,
            Some(VisualIssue::Blurry) => Self::Blurry,
            Some(VisualIssue::TooSmall) => Self::TooSmall,
            None if filters.semantic.passes_scores(indoor, room) => Self::Kept,
            None => Self::NotARoom,
        }
    }

    pub fn describe(self) -> String {
        match self {
            Self::Kept => gettext("kept by the filters"),
            Self::TooDark => gettext("too dark"),
            Self::TooBright => gettext("too bright"),
            Self::LowContrast => gettext("low contrast"),
            Self::Blurry => gettext("blurry"),
            Self::TooSmall => gettext("too small"),
            Self::NotARoom => gettext("not a room"),
            Self::Unmeasured => gettext("not measured yet"),
        }
    }
}

/// Why a photo was chosen.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Reason {
    /// No model yet: the photo is unlike those labelled or chosen before it.
    Spread { group: Group },
    /// The model hesitates about the photo.
    Uncertain {
        first: Quality,
        second: Quality,
        /// Top-1 minus top-2 probability of the head.
        margin: f64,
        /// 0 when the ranker's score agrees with the head's expected label, up to 1.
        disagreement: f64,
    },
}

impl Reason {
    /// One sentence for the user.
    pub fn describe(&self) -> String {
        match self {
            Self::Spread { group } => fill(
                &gettext("Unlike the photos labelled so far ({group})"),
                &[("group", &group.describe())],
            ),
            Self::Uncertain {
                first,
                second,
                margin,
                disagreement,
            } => {
                let mut text = fill(
                    &gettext(
                        "Among the photos the model is least sure of: {first} rather than {second}, by a margin of {margin}",
                    ),
                    &[
                        ("first", &quality_name(*first)),
                        ("second", &quality_name(*second)),
                        ("margin", &format!("{margin:.2}")),
                    ],
                );
                if *disagreement >= DISAGREES {
                    text.push_str("; ");
                    text.push_str(&gettext("the ranker's score disagrees with the label"));
                }
                text
            }
        }
    }
}

/// A disagreement worth telling the user about: half a label apart.
const DISAGREES: f64 = 0.25;

fn quality_name(quality: Quality) -> String {
    match quality {
        Quality::Bad => gettext("bad"),
        Quality::Medium => gettext("medium"),
        Quality::Good => gettext("good"),
    }
}

/// A photo to label next.
#[derive(Debug, Clone, PartialEq)]
pub struct Choice {
    pub photo_id: i64,
    pub path: PathBuf,
    pub reason: Reason,
}

/// An unlabelled photo as the selection sees it.
#[derive(Debug, Clone)]
pub struct Candidate<'a> {
    pub embedding: &'a [f32],
    pub group: Group,
    /// What the latest model says of it, when there is a model.
    pub assessment: Option<Assessment>,
}

/// The `count` unlabelled photos to label next, in the order to label them. Without a model
/// (or with one trained on other embeddings) they spread over the collection; with one, the
/// photos it is least sure about come first, kept diverse.
pub fn next_photos(db: &mut Database, count: usize) -> Result<Vec<Choice>, RoundError> {
    Ok(plan(db, count)?.0)
}

/// Every unlabelled photo in the order a labeling session shows it, once a model exists: the
/// [`next_photos`] of a round first (the labels after which the models train again), then the
/// others, least sure first. `None` without a model (or with one trained on other embeddings).
pub fn labeling_order(db: &mut Database) -> Result<Option<Vec<i64>>, RoundError> {
    if db.latest_training_round()?.is_none() {
        return Ok(None);
    }
    let (head, rest) = plan(db, DEFAULT_COUNT)?;
    Ok(rest.map(|rest| head.iter().map(|c| c.photo_id).chain(rest).collect()))
}

/// The `count` photos to label next and, when a model assessed every candidate, the other
/// unlabelled photos, least sure first.
fn plan(db: &mut Database, count: usize) -> Result<(Vec<Choice>, Option<Vec<i64>>), RoundError> {
    let model_id = rounds::embedding_model(db)?;
    let model = match rounds::latest_model_for(db, Some(&model_id)) {
        Ok((_, model)) => Some(model),
        Err(RoundError::NoModel | RoundError::OtherEmbeddings { .. }) => None,
        Err(error) => return Err(error),
    };
    let filters = Filters::load(db)?;
    let metrics = db.photo_metrics()?;
    let embeddings: HashMap<i64, Vec<f32>> = db
        .embeddings(Subject::Photo, &model_id)?
        .into_iter()
        .collect();
    let dim = model
        .as_ref()
        .map(TrainedModel::dim)
        .or_else(|| embeddings.values().next().map(Vec::len));
    let (mut unlabelled, mut labelled) = (Vec::new(), Vec::new());
    for photo in db.photos()? {
        let Some(embedding) = embeddings.get(&photo.id) else {
            continue;
        };
        if Some(embedding.len()) != dim {
            continue;
        }
        if photo.label.is_some() {
            labelled.push(embedding.as_slice());
            continue;
        }
        let measured = metrics.get(&photo.id);
        let room = photo.indoor_score.zip(photo.room_score);
        unlabelled.push((
            photo.id,
            PathBuf::from(&photo.path),
            Candidate {
                embedding,
                group: Group::of(&filters, measured, room),
                assessment: model
                    .as_ref()
                    .map(|model| model.assess(embedding, measured)),
            },
        ));
    }
    let candidates: Vec<Candidate<'_>> = unlabelled.iter().map(|(_, _, c)| c.clone()).collect();
    let picked = choose(&candidates, &labelled, count);
    let rest =
        (!candidates.is_empty() && candidates.iter().all(|c| c.assessment.is_some())).then(|| {
            let chosen: std::collections::HashSet<usize> = picked.iter().map(|(i, _)| *i).collect();
            let mut others: Vec<(f64, usize)> = candidates
                .iter()
                .enumerate()
                .filter(|(i, _)| !chosen.contains(i))
                .map(|(i, c)| (c.assessment.as_ref().map_or(0.0, |a| doubt(a).0), i))
                .collect();
            others.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
            others.into_iter().map(|(_, i)| unlabelled[i].0).collect()
        });
    let choices = picked
        .into_iter()
        .map(|(index, reason)| Choice {
            photo_id: unlabelled[index].0,
            path: unlabelled[index].1.clone(),
            reason,
        })
        .collect();
    Ok((choices, rest))
}

/// Picks up to `count` candidates, in order, with the reason for each: by uncertainty when
/// every candidate has an assessment, else spread away from `labelled`.
pub fn choose(
    candidates: &[Candidate<'_>],
    labelled: &[&[f32]],
    count: usize,
) -> Vec<(usize, Reason)> {
    if candidates.is_empty() || count == 0 {
        return Vec::new();
    }
    if candidates.iter().all(|c| c.assessment.is_some()) {
        uncertain(candidates, count)
    } else {
        spread(candidates, labelled, count)
    }
}

fn distance(a: &[f32], b: &[f32]) -> f64 {
    a.iter()
        .zip(b)
        .map(|(x, y)| f64::from(x - y).powi(2))
        .sum::<f64>()
        .sqrt()
}

/// Farthest-point sampling away from `labelled`, taking first from each filter group (largest
/// first) and then from anywhere.
fn spread(candidates: &[Candidate<'_>], labelled: &[&[f32]], count: usize) -> Vec<(usize, Reason)> {
    let mut nearest: Vec<f64> = candidates
        .iter()
        .map(|c| {
            labelled
                .iter()
                .map(|l| distance(c.embedding, l))
                .fold(f64::INFINITY, f64::min)
        })
        .collect();
    let mut taken = vec![false; candidates.len()];
    let mut chosen = Vec::new();
    let take = |index: usize, nearest: &mut Vec<f64>, taken: &mut Vec<bool>| {
        taken[index] = true;
        for (other, d) in nearest.iter_mut().enumerate() {
            *d = d.min(distance(
                candidates[index].embedding,
                candidates[other].embedding,
            ));
        }
    };

    let mut groups: HashMap<Group, Vec<usize>> = HashMap::new();
    for (index, candidate) in candidates.iter().enumerate() {
        groups.entry(candidate.group).or_default().push(index);
    }
    let mut groups: Vec<(Group, Vec<usize>)> = groups.into_iter().collect();
    groups.sort_by(|a, b| b.1.len().cmp(&a.1.len()).then(a.0.cmp(&b.0)));
    for (_, members) in &groups {
        if chosen.len() >= count {
            break;
        }
        let pick = if members.iter().all(|&i| nearest[i].is_infinite()) {
            // Nothing to be far from yet: the group's most typical photo.
            most_typical(candidates, members)
        } else {
            farthest(members.iter().copied(), &nearest, &taken)
        };
        if let Some(index) = pick {
            take(index, &mut nearest, &mut taken);
            chosen.push(index);
        }
    }
    while chosen.len() < count.min(candidates.len()) {
        let Some(index) = farthest(0..candidates.len(), &nearest, &taken) else {
            break;
        };
        take(index, &mut nearest, &mut taken);
        chosen.push(index);
    }
    chosen
        .into_iter()
        .map(|index| {
            let group = candidates[index].group;
            (index, Reason::Spread { group })
        })
        .collect()
}

fn farthest(
    indices: impl Iterator<Item = usize>,
    nearest: &[f64],
    taken: &[bool],
) -> Option<usize> {
    indices
        .filter(|&i| !taken[i])
        .max_by(|&a, &b| nearest[a].total_cmp(&nearest[b]).then(b.cmp(&a)))
}

/// The member closest to the members' mean embedding.
fn most_typical(candidates: &[Candidate<'_>], members: &[usize]) -> Option<usize> {
    let dim = candidates.get(*members.first()?)?.embedding.len();
    let mut mean = vec![0f32; dim];
    for &i in members {
        for (m, x) in mean.iter_mut().zip(candidates[i].embedding) {
            *m += x / members.len() as f32;
        }
    }
    members.iter().copied().min_by(|&a, &b| {
        distance(candidates[a].embedding, &mean)
            .total_cmp(&distance(candidates[b].embedding, &mean))
            .then(a.cmp(&b))
    })
}

/// How unsure the model is of a photo (higher is less sure), with the reason to show.
fn doubt(assessment: &Assessment) -> (f64, Reason) {
    let p = assessment.probabilities;
    let mut order = [0usize, 1, 2];
    order.sort_by(|a, b| p[*b].total_cmp(&p[*a]));
    // The head's expected label and the ranker's, both on the scale bad 0 … good 2; the
    // calibration puts the typical bad photo at 20 and the typical good one at 80.
    let expected: f64 = p.iter().enumerate().map(|(c, p)| c as f64 * p).sum();
    let ranked = ((assessment.score - 20.0) / 30.0).clamp(0.0, 2.0);
    let disagreement = (expected - ranked).abs() / 2.0;
    let reason = Reason::Uncertain {
        first: Quality::from_index(order[0]).unwrap_or(Quality::Medium),
        second: Quality::from_index(order[1]).unwrap_or(Quality::Medium),
        margin: assessment.margin,
        disagreement,
    };
    ((1.0 - assessment.margin) + disagreement, reason)
}

/// The least sure photos, diverse: from the `POOL_FACTOR × count` least sure, the most unsure
/// first, then each time the one whose doubt times distance to those already chosen is largest,
/// so a near-identical photo of one already chosen waits for another round.
fn uncertain(candidates: &[Candidate<'_>], count: usize) -> Vec<(usize, Reason)> {
    let doubts: Vec<(f64, Reason)> = candidates
        .iter()
        .map(|c| {
            c.assessment
                .as_ref()
                .map_or((0.0, Reason::Spread { group: c.group }), doubt)
        })
        .collect();
    let mut pool: Vec<usize> = (0..candidates.len()).collect();
    pool.sort_by(|&a, &b| doubts[b].0.total_cmp(&doubts[a].0).then(a.cmp(&b)));
    pool.truncate(count.saturating_mul(POOL_FACTOR).max(count));
    let mut nearest = vec![f64::INFINITY; pool.len()];
    let mut taken = vec![false; pool.len()];
    let mut chosen = Vec::new();
    while chosen.len() < count.min(pool.len()) {
        let best = (0..pool.len()).filter(|&k| !taken[k]).max_by(|&a, &b| {
            let value = |k: usize| {
                let spread = if nearest[k].is_infinite() {
                    1.0
                } else {
                    nearest[k]
                };
                doubts[pool[k]].0 * spread
            };
            value(a).total_cmp(&value(b)).then(b.cmp(&a))
        });
        let Some(k) = best else { break };
        taken[k] = true;
        for (other, d) in nearest.iter_mut().enumerate() {
            *d = d.min(distance(
                candidates[pool[k]].embedding,
                candidates[pool[other]].embedding,
            ));
        }
        chosen.push((pool[k], doubts[pool[k]].1));
    }
    chosen
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unit(v: &[f32]) -> Vec<f32> {
        let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
        v.iter().map(|x| x / norm).collect()
    }

    fn assessment(probabilities: [f64; 3], score: f64) -> Assessment {
        let mut sorted = probabilities;
        sorted.sort_by(|a, b| b.total_cmp(a));
        Assessment {
            score,
            bucket: Quality::Medium,
            margin: sorted[0] - sorted[1],
            probabilities,
            utility: 0.0,
        }
    }

    #[test]
    fn the_spread_takes_every_group_and_stays_away_from_labels() {
        // Three clusters of kept photos, one dark photo; a label sits on the first cluster.
        let points: Vec<Vec<f32>> = vec![
            unit(&[1.0, 0.0, 0.0]),
            unit(&[1.0, 0.01, 0.0]),
            unit(&[0.0, 1.0, 0.0]),
            unit(&[0.01, 1.0, 0.0]),
            unit(&[0.0, 0.0, 1.0]),
            unit(&[0.5, 0.5, 0.1]),
        ];
        let groups = [
            Group::Kept,
            Group::Kept,
            Group::Kept,
            Group::Kept,
            Group::Kept,
            Group::TooDark,
        ];
        let candidates: Vec<Candidate<'_>> = points
            .iter()
            .zip(groups)
            .map(|(p, group)| Candidate {
                embedding: p,
                group,
                assessment: None,
            })
            .collect();
        let label = unit(&[1.0, 0.005, 0.0]);
        let picked = choose(&candidates, &[&label], 3);
        let indices: Vec<usize> = picked.iter().map(|(i, _)| *i).collect();
        assert_eq!(indices.len(), 3);
        assert!(
            indices.contains(&5),
            "the dark group is represented: {indices:?}"
        );
        assert!(
            !indices.contains(&0) && !indices.contains(&1),
            "next to the label: {indices:?}"
        );
        // One of each far cluster, never both photos of one.
        assert!(
            !(indices.contains(&2) && indices.contains(&3)),
            "{indices:?}"
        );
        assert!(matches!(picked[0].1, Reason::Spread { group: Group::Kept }));
    }

    #[test]
    fn the_least_sure_come_first_but_not_twice_the_same_photo() {
        let near = unit(&[1.0, 0.0]);
        let same = unit(&[1.0, 0.001]);
        let far = unit(&[0.0, 1.0]);
        let sure = unit(&[0.7, 0.7]);
        let candidates = vec![
            Candidate {
                embedding: &near,
                group: Group::Kept,
                assessment: Some(assessment([0.05, 0.48, 0.47], 65.0)),
            },
            Candidate {
                embedding: &same,
                group: Group::Kept,
                assessment: Some(assessment([0.05, 0.48, 0.47], 65.0)),
            },
            Candidate {
                embedding: &far,
                group: Group::Kept,
                assessment: Some(assessment([0.1, 0.6, 0.3], 50.0)),
            },
            Candidate {
                embedding: &sure,
                group: Group::Kept,
                assessment: Some(assessment([0.0, 0.02, 0.98], 85.0)),
            },
        ];
        let picked = choose(&candidates, &[], 2);
        let indices: Vec<usize> = picked.iter().map(|(i, _)| *i).collect();
        assert_eq!(indices, vec![0, 2]);
        match picked[0].1 {
            Reason::Uncertain {
                first,
                second,
                margin,
                ..
            } => {
                assert_eq!((first, second), (Quality::Medium, Quality::Good));
                assert!((margin - 0.01).abs() < 1e-9);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_ranker_that_disagrees_with_the_head_raises_doubt() {
        let agrees = doubt(&assessment([0.05, 0.15, 0.8], 78.0)).0;
        let disagrees = doubt(&assessment([0.05, 0.15, 0.8], 22.0)).0;
        assert!(disagrees > agrees + 0.5, "{agrees} {disagrees}");
    }
}
