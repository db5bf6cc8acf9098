//! Training and auto-labeling rounds on the database: load the labelled embeddings, learn,
//! record the round with its metrics, and label what the model is sure of.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use super::training::{
    self, Calibration, Evaluation, Example, FeatureTrial, Features, Standardiser, TrainedModel,
    TrainingOptions,
};
use super::trees::BoostedTrees;
use super::{LabelSource, Quality};
use crate::db::interiors::NewRound;
use crate::db::{Database, DbError};
use crate::i18n::{fill, gettext};

/// The `vz_settings` key naming the model whose embeddings the photos have.
pub const EMBEDDING_MODEL_KEY: &str = "interiors.embedding-model";

/// The confidence (top-1 minus top-2 probability) an automatic label needs by default.
pub const DEFAULT_MIN_CONFIDENCE: f64 = 0.08;

#[derive(Debug, thiserror::Error)]
pub enum RoundError {
    #[error(transparent)]
    Database(#[from] DbError),
    #[error(transparent)]
    Training(#[from] training::TrainingError),
    #[error(
        "{}",
        gettext("no photos have been imported yet: run “vistazo interiors import DIR” first")
    )]
    NoPhotos,
    #[error(
        "{}",
        gettext("no model has been trained yet: run “vistazo interiors train” first")
    )]
    NoModel,
    #[error("{}", fill(&gettext("the latest model was trained on embeddings of {trained_on} but {loaded} is loaded: import the photos again and retrain"), &[("trained_on", .trained_on), ("loaded", .loaded)]))]
    OtherEmbeddings { trained_on: String, loaded: String },
    #[error("{}", fill(&gettext("the saved training round {round} cannot be read: {reason}"), &[("round", .round), ("reason", .reason)]))]
    DamagedRound { round: i64, reason: String },
}

/// What a round stores besides the weights, as JSON. Fields are only ever added, with
/// defaults, so that every saved round keeps loading.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct RoundMetrics {
    calibration: Calibration,
    evaluation: Option<Evaluation>,
    /// Present when the model reads the pixel measurements beside the embedding.
    #[serde(default)]
    standardiser: Option<Standardiser>,
    #[serde(default)]
    trees: Option<BoostedTrees>,
    #[serde(default)]
    trials: Vec<FeatureTrial>,
}

/// The outcome of a training round, as printed by `interiors train --json`.
#[derive(Debug, Clone, Serialize)]
pub struct TrainingReport {
    pub round: i64,
    pub embedding_model: String,
    pub human_labels: usize,
    pub auto_labels: usize,
    pub counts: LabelCounts,
    /// The cross-validation of the features the model uses.
    pub evaluation: Option<Evaluation>,
    /// What the model reads of a photo, chosen by cross-validation among `trials`.
    pub features: Features,
    pub trials: Vec<FeatureTrial>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LabelCounts {
    pub bad: usize,
    pub medium: usize,
    pub good: usize,
}

impl LabelCounts {
    pub fn add(&mut self, quality: Quality) {
        match quality {
            Quality::Bad => self.bad += 1,
            Quality::Medium => self.medium += 1,
            Quality::Good => self.good += 1,
        }
    }
}

/// The outcome of an auto-labeling round.
#[derive(Debug, Clone, Serialize)]
pub struct AutoLabelReport {
    pub round: i64,
    pub training_round: i64,
    pub min_confidence: f64,
    pub considered: usize,
    pub labeled: usize,
    pub counts: LabelCounts,
    /// The cross-validated accuracy of the model that labelled, on human labels.
    pub accuracy: Option<f64>,
}

/// The embedding model of the imported photos.
pub fn embedding_model(db: &mut Database) -> Result<String, RoundError> {
    db.setting(EMBEDDING_MODEL_KEY)?.ok_or(RoundError::NoPhotos)
}

/// Trains on every labelled photo and records the round.
pub fn train(db: &mut Database, options: &TrainingOptions) -> Result<TrainingReport, RoundError> {
    let model_id = embedding_model(db)?;
    let labelled = db.labelled_embeddings(&model_id)?;
    let metrics = db.photo_metrics()?;
    let mut counts = LabelCounts::default();
    let examples: Vec<Example> = labelled
        .into_iter()
        .map(|l| {
            counts.add(l.quality);
            Example {
                embedding: l.embedding,
                measurements: metrics.get(&l.photo_id).copied(),
                quality: l.quality,
                source: l.source,
            }
        })
        .collect();
    let model = training::train(&examples, options)?;
    let metrics = RoundMetrics {
        calibration: model.calibration,
        evaluation: model.evaluation.clone(),
        standardiser: model.standardiser.clone(),
        trees: model.trees.clone(),
        trials: model.trials.clone(),
    };
    let metrics_json = serde_json::to_string(&metrics).unwrap_or_else(|_| "{}".to_owned());
    let round = db.save_training_round(&NewRound {
        embedding_model: &model_id,
        human_labels: model.human_labels as i64,
        auto_labels: model.auto_labels as i64,
        folds: model.evaluation.as_ref().map_or(0, |e| e.folds as i64),
        accuracy: model.evaluation.as_ref().map(|e| e.accuracy),
        metrics: &metrics_json,
        head: &model.head_blob(),
        ranker: &model.ranker_blob(),
    })?;
    Ok(TrainingReport {
        round,
        embedding_model: model_id,
        human_labels: model.human_labels,
        auto_labels: model.auto_labels,
        counts,
        evaluation: model.evaluation,
        features: model.features,
        trials: model.trials,
    })
}

/// The most recent trained model, with its round id.
pub fn latest_model(db: &mut Database) -> Result<(i64, TrainedModel), RoundError> {
    latest_model_for(db, None)
}

/// The most recent trained model, checked to have been trained on embeddings of
/// `embedding_model` when one is given.
pub fn latest_model_for(
    db: &mut Database,
    embedding_model: Option<&str>,
) -> Result<(i64, TrainedModel), RoundError> {
    let round = db.latest_training_round()?.ok_or(RoundError::NoModel)?;
    if let Some(wanted) = embedding_model
        && wanted != round.embedding_model
    {
        return Err(RoundError::OtherEmbeddings {
            trained_on: round.embedding_model,
            loaded: wanted.to_owned(),
        });
    }
    let damaged = |reason: String| RoundError::DamagedRound {
        round: round.id,
        reason,
    };
    let metrics: RoundMetrics =
        serde_json::from_str(&round.metrics).map_err(|e| damaged(e.to_string()))?;
    let mut model = TrainedModel::from_parts(
        &round.head,
        &round.ranker,
        metrics.calibration,
        metrics.evaluation,
        metrics.standardiser,
        metrics.trees,
        round.human_labels as usize,
        round.auto_labels as usize,
    )
    .map_err(|e| damaged(e.to_string()))?;
    model.trials = metrics.trials;
    Ok((round.id, model))
}

/// Labels the unlabelled photos the latest model is confident about. Human labels are never
/// touched.
pub fn auto_label(db: &mut Database, min_confidence: f64) -> Result<AutoLabelReport, RoundError> {
    let model_id = embedding_model(db)?;
    let (training_round, model) = latest_model(db)?;
    let candidates = db.unlabelled_embeddings(&model_id)?;
    let metrics = db.photo_metrics()?;
    let decided: Vec<(i64, Quality, f64)> = candidates
        .iter()
        .filter(|(_, embedding)| embedding.len() == model.dim())
        .map(|(id, embedding)| {
            let assessment = model.assess(embedding, metrics.get(id));
            (*id, assessment.bucket, assessment.margin)
        })
        .filter(|(_, _, margin)| *margin >= min_confidence)
        .collect();
    // The round row exists first so every label can point to it.
    let round = db.save_auto_label_round(
        training_round,
        min_confidence,
        candidates.len() as i64,
        0,
        "{}",
    )?;
    let mut counts = LabelCounts::default();
    for (photo, quality, confidence) in &decided {
        if db.set_auto_label(*photo, *quality, *confidence, round)? {
            counts.add(*quality);
        }
    }
    let labeled = counts.bad + counts.medium + counts.good;
    db.finish_auto_label_round(
        round,
        labeled as i64,
        &serde_json::to_string(&counts).unwrap_or_else(|_| "{}".to_owned()),
    )?;
    Ok(AutoLabelReport {
        round,
        training_round,
        min_confidence,
        considered: candidates.len(),
        labeled,
        counts,
        accuracy: model.evaluation.map(|e| e.accuracy),
    })
}

/// How many photos carry each label, split by who gave it.
pub fn label_counts(db: &mut Database) -> Result<(LabelCounts, LabelCounts), RoundError> {
    let (mut human, mut auto) = (LabelCounts::default(), LabelCounts::default());
    for photo in db.photos()? {
        match photo.label {
            Some((quality, LabelSource::Human)) => human.add(quality),
            Some((quality, LabelSource::Auto)) => auto.add(quality),
            None => {}
        }
    }
    Ok((human, auto))
}

/// The state of the interiors collection, for the overview page.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct InteriorsSummary {
    pub photos: usize,
    pub human: LabelCounts,
    pub auto: LabelCounts,
    /// Cross-validated accuracy of the latest training round.
    pub accuracy: Option<f64>,
    pub rounds: usize,
}

pub fn summary(db: &mut Database) -> Result<InteriorsSummary, RoundError> {
    let photos = db.photos()?.len();
    let (human, auto) = label_counts(db)?;
    let rounds = db.training_rounds()?;
    Ok(InteriorsSummary {
        photos,
        human,
        auto,
        accuracy: rounds.last().and_then(|r| r.accuracy),
        rounds: rounds.len(),
    })
}

/// Every photo ready for a labeling session, and in which order. Without a model, in import
/// order; with one, the photos labelled by the user first (to go back to), then the unlabelled
/// ones in the order of [`super::active::labeling_order`], then those labelled automatically.
pub fn labeling_photos(
    db: &mut Database,
) -> Result<(Vec<super::labeling::SessionPhoto>, super::labeling::Order), RoundError> {
    use super::labeling::{Order, SessionPhoto};
    let photos: Vec<SessionPhoto> = db
        .photos()?
        .into_iter()
        .map(|photo| SessionPhoto {
            id: photo.id,
            path: std::path::PathBuf::from(photo.path),
            label: photo.label,
        })
        .collect();
    let Some(order) = super::active::labeling_order(db)? else {
        return Ok((photos, Order::Import));
    };
    let rank: HashMap<i64, usize> = order.iter().enumerate().map(|(r, id)| (*id, r)).collect();
    let (mut human, mut unlabelled, mut auto) = (Vec::new(), Vec::new(), Vec::new());
    for photo in photos {
        match photo.label {
            Some((_, LabelSource::Human)) => human.push(photo),
            Some((_, LabelSource::Auto)) => auto.push(photo),
            None => unlabelled.push(photo),
        }
    }
    // Photos the order leaves out (no embedding for this model) go last among the unlabelled.
    unlabelled.sort_by_key(|p| rank.get(&p.id).copied().unwrap_or(usize::MAX));
    human.extend(unlabelled);
    human.extend(auto);
    Ok((human, Order::LeastSureFirst))
}
