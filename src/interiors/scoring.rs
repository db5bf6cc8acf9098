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
}

impl ScoredPhoto {
    /// Whether the photo passes both filters. Photos that do not are kept and shown, never
    /// deleted.
    pub fn kept(&self) -> bool {
        self.visual_issues.is_empty() && self.passes_semantic
    }
}

/// Scores every imported photo with the latest model from the stored embeddings and pixel
/// metrics, best first. Nothing is decoded or embedded again; photos without an embedding of
/// `embedding_model` are left out.
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
            })
        })
        .collect();
    scored.sort_by(|a, b| b.card.score.total_cmp(&a.card.score));
    Ok(scored)
}
