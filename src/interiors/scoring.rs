//! Scoring photos with a trained model: the 0-100 score from the ranker, the bucket and margin
//! from the head, and the caption and review lines that explain them.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Mutex;

use serde::Serialize;

use super::explain;
use super::metrics::{PixelMetrics, VisualFilter, VisualIssue};
use super::rounds::{self, RoundError};
use super::semantics::{PromptEmbeddings, SemanticFilter};
use super::similar;
use super::training::TrainedModel;
use super::{LabelSource, Quality};
use crate::clip::ClipError;
use crate::clip::engine::Engine;
use crate::db::Database;
use crate::db::embeddings::Subject;
use crate::imaging::{self, ImageLoadError};
use crate::jobs::CancelToken;

/// A photo's score as `interiors score --json` prints it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScoreCard {
    pub file: String,
    pub score: f64,
    pub bucket: String,
    pub margin: f64,
    pub caption: String,
    pub review: Vec<String>,
}

/// Builds the card of one photo from its embedding and pixel metrics.
pub fn score_card(
    file: &str,
    embedding: &[f32],
    metrics: &PixelMetrics,
    model: &TrainedModel,
    prompts: &PromptEmbeddings,
    filter: &VisualFilter,
) -> ScoreCard {
    let assessment = model.assess(embedding, Some(metrics));
    let semantics = prompts.semantics(embedding);
    ScoreCard {
        file: file.to_owned(),
        score: (assessment.score * 10.0).round() / 10.0,
        bucket: assessment.bucket.as_str().to_owned(),
        margin: (assessment.margin * 1000.0).round() / 1000.0,
        caption: explain::caption(&semantics),
        review: explain::review(&assessment, &semantics, metrics, filter),
    }
}

/// Scores image files; each result comes back with its index in `files`, a file that cannot
/// be read as an error for that file alone.
pub fn score_files(
    engine: &Engine,
    model: &TrainedModel,
    prompts: &PromptEmbeddings,
    files: &[PathBuf],
    cancel: &CancelToken,
    on_card: &mut dyn FnMut(usize, Result<ScoreCard, String>),
) -> Result<(), ClipError> {
    let metrics: Mutex<HashMap<usize, PixelMetrics>> = Mutex::new(HashMap::new());
    let limits = imaging::DecodeLimits::default();
    let load = |index: usize| -> Result<(image::RgbImage, PathBuf), ImageLoadError> {
        // A photo cut short would be scored on its grey part too: it is refused, as import does.
        let picture = imaging::load(&files[index], &limits)?.whole(&files[index])?;
        if let Ok(mut map) = metrics.lock() {
            map.insert(index, PixelMetrics::measure(&picture));
        }
        Ok((picture, files[index].clone()))
    };
    let filter = VisualFilter::default();
    engine.embed_with(
        files.len(),
        &load,
        cancel,
        &mut |result| {
            let file = files[result.index].to_string_lossy().into_owned();
            let card = result
                .result
                .map_err(|e| e.to_string())
                .and_then(|embedding| {
                    let measured = metrics
                        .lock()
                        .ok()
                        .and_then(|mut m| m.remove(&result.index))
                        .ok_or_else(|| file.clone())?;
                    if embedding.len() != model.dim() {
                        return Err(file.clone());
                    }
                    Ok(score_card(
                        &file, &embedding, &measured, model, prompts, &filter,
                    ))
                });
            on_card(result.index, card);
        },
        &mut |_| {},
    )?;
    Ok(())
}

/// A photo of the collection with its score, as the results gallery shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct ScoredPhoto {
    pub photo_id: i64,
    pub path: PathBuf,
    pub label: Option<(Quality, LabelSource)>,
    pub card: ScoreCard,
    /// What the visual filter found wrong; empty when the photo passes.
    pub visual_issues: Vec<VisualIssue>,
    /// Whether the text tower sees an interior room.
    pub passes_semantic: bool,
    /// Where the photo sits among its near-duplicates, when it has some.
    pub similar: Option<SimilarPlace>,
}

/// A photo's place in its group of near-duplicates (photos of one room taken seconds apart).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SimilarPlace {
    /// 1 for the best-scored photo of the group.
    pub rank: usize,
    /// Photos in the group.
    pub of: usize,
}

impl ScoredPhoto {
    /// Whether the photo passes both filters. Photos that do not are kept and shown, never
    /// deleted.
    pub fn kept(&self) -> bool {
        self.visual_issues.is_empty() && self.passes_semantic
    }
}

/// Scores every imported photo with the latest model from the stored embeddings and pixel
/// metrics, best first, each photo's near-duplicates right after it. Nothing is decoded or
/// embedded again; photos without an embedding of `embedding_model` are left out.
pub fn score_collection(
    db: &mut Database,
    embedding_model: &str,
    prompts: &PromptEmbeddings,
    visual: &VisualFilter,
    semantic: &SemanticFilter,
) -> Result<Vec<ScoredPhoto>, RoundError> {
    let (_, model) = rounds::latest_model_for(db, Some(embedding_model))?;
    let embeddings: HashMap<i64, Vec<f32>> = db
        .embeddings(Subject::Photo, embedding_model)?
        .into_iter()
        .collect();
    let metrics = db.photo_metrics()?;
    let mut scored: Vec<ScoredPhoto> = db
        .photos()?
        .into_iter()
        .filter_map(|photo| {
            let embedding = embeddings.get(&photo.id)?;
            if embedding.len() != model.dim() {
                return None;
            }
            let measured = metrics.get(&photo.id).copied()?;
            let semantics = prompts.semantics(embedding);
            Some(ScoredPhoto {
                photo_id: photo.id,
                card: score_card(&photo.path, embedding, &measured, &model, prompts, visual),
                path: PathBuf::from(photo.path),
                label: photo.label,
                visual_issues: visual.issues(&measured),
                passes_semantic: semantic.passes(&semantics),
                similar: None,
            })
        })
        .collect();
    scored.sort_by(|a, b| b.card.score.total_cmp(&a.card.score));
    let groups = similar::similar_photos(db)?;
    Ok(keep_similar_together(scored, &groups))
}

/// Puts each group of near-duplicates where its best-scored photo is, the others right after
/// it by score, and marks each photo's place. `scored` comes best first.
pub fn keep_similar_together(scored: Vec<ScoredPhoto>, groups: &[Vec<i64>]) -> Vec<ScoredPhoto> {
    let group_of: HashMap<i64, usize> = groups
        .iter()
        .enumerate()
        .flat_map(|(g, members)| members.iter().map(move |id| (*id, g)))
        .collect();
    // The scored members of each group, best first (`scored` is in that order).
    let mut members: Vec<Vec<usize>> = vec![Vec::new(); groups.len()];
    for (index, photo) in scored.iter().enumerate() {
        if let Some(&g) = group_of.get(&photo.photo_id) {
            members[g].push(index);
        }
    }
    let mut slots: Vec<Option<ScoredPhoto>> = scored.into_iter().map(Some).collect();
    let mut arranged = Vec::with_capacity(slots.len());
    for index in 0..slots.len() {
        let Some(photo) = slots[index].take() else {
            continue;
        };
        let group = group_of
            .get(&photo.photo_id)
            .map(|&g| &members[g])
            .filter(|m| m.len() > 1);
        let Some(group) = group else {
            arranged.push(photo);
            continue;
        };
        let of = group.len();
        arranged.push(ScoredPhoto {
            similar: Some(SimilarPlace { rank: 1, of }),
            ..photo
        });
        for (rank, &other) in group.iter().enumerate().skip(1) {
            if let Some(photo) = slots[other].take() {
                arranged.push(ScoredPhoto {
                    similar: Some(SimilarPlace { rank: rank + 1, of }),
                    ..photo
                });
            }
        }
    }
    arranged
}

#[cfg(test)]
mod tests {
    use super::*;

    fn photo(id: i64, score: f64) -> ScoredPhoto {
        ScoredPhoto {
            photo_id: id,
            path: PathBuf::from(format!("/photos/{id}.jpg")),
            label: None,
            card: ScoreCard {
                file: format!("/photos/{id}.jpg"),
                score,
                bucket: "good".to_owned(),
                margin: 0.5,
                caption: String::new(),
                review: Vec::new(),
            },
            visual_issues: Vec::new(),
            passes_semantic: true,
            similar: None,
        }
    }

    #[test]
    fn near_duplicates_follow_their_best_photo() {
        // Best first: 1 (90), 2 (80), 3 (70), 4 (60), 5 (50); 2, 4 and 5 are one scene.
        let scored: Vec<ScoredPhoto> = [(1, 90.0), (2, 80.0), (3, 70.0), (4, 60.0), (5, 50.0)]
            .into_iter()
            .map(|(id, score)| photo(id, score))
            .collect();
        let arranged = keep_similar_together(scored, &[vec![5, 2, 4]]);
        let order: Vec<(i64, Option<(usize, usize)>)> = arranged
            .iter()
            .map(|p| (p.photo_id, p.similar.map(|s| (s.rank, s.of))))
            .collect();
        assert_eq!(
            order,
            vec![
                (1, None),
                (2, Some((1, 3))),
                (4, Some((2, 3))),
                (5, Some((3, 3))),
                (3, None),
            ]
        );
    }

    #[test]
    fn a_group_with_one_scored_photo_is_no_group() {
        let arranged = keep_similar_together(vec![photo(1, 50.0)], &[vec![1, 9]]);
        assert_eq!(arranged[0].similar, None);
    }
}
