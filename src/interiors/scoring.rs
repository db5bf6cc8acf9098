//! Scoring photos with a trained model: the 0-100 score from the ranker, the bucket and margin
//! from the head, and the caption and review lines that explain them.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Mutex;

use serde::Serialize;

use super::explain;
use super::metrics::{PixelMetrics, VisualFilter};
use super::semantics::PromptEmbeddings;
use super::training::TrainedModel;
use crate::clip::ClipError;
use crate::clip::engine::Engine;
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
    let assessment = model.assess(embedding);
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
        let picture = imaging::load_rgb(&files[index], &limits)?;
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
