//! What the charts show, read from the database once: every photo's measurements, labels and
//! scores, the training rounds' figures, and the embeddings projected on their principal plane.

use serde::Serialize;
use tch::{Kind, Tensor};

use super::super::filters::Filters;
use super::super::rounds::{
    self, DEFAULT_MIN_CONFIDENCE, EMBEDDING_MODEL_KEY, LabelCounts, RoundError,
};
use super::super::semantics::SemanticFilter;
use super::super::{LabelSource, Quality};
use super::ChartError;
use crate::db::Database;
use crate::db::embeddings::Subject;

/// One photo as the charts see it.
#[derive(Debug, Clone, PartialEq)]
pub struct PhotoPoint {
    pub id: i64,
    pub indoor_score: Option<f64>,
    pub room_score: Option<f64>,
    pub label: Option<(Quality, LabelSource)>,
    /// What the latest model says, when there is one for these embeddings.
    pub assessment: Option<PhotoAssessment>,
    /// The photo's place on the embeddings' first two principal components.
    pub plane: Option<(f64, f64)>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PhotoAssessment {
    pub score: f64,
    pub bucket: Quality,
    pub confidence: f64,
}

/// One training round as the charts see it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RoundPoint {
    /// 1 for the first round ever recorded.
    pub number: usize,
    pub human_labels: i64,
    pub auto_labels: i64,
    pub accuracy: Option<f64>,
    pub pair_accuracy: Option<f64>,
}

/// Everything the charts draw, read from the database at once.
#[derive(Debug, Clone, PartialEq)]
pub struct ChartData {
    pub photos: Vec<PhotoPoint>,
    pub rounds: Vec<RoundPoint>,
    pub filter: SemanticFilter,
    /// The confidence an automatic label needs.
    pub min_confidence: f64,
    /// Share of the variance each of the two principal components explains.
    pub explained_variance: Option<[f64; 2]>,
}

/// Counts for the report's summary file.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Summary {
    pub photos: usize,
    pub passing_filter: usize,
    pub human_labels: LabelCounts,
    pub auto_labels: LabelCounts,
    pub model_buckets: Option<LabelCounts>,
    pub rounds: Vec<RoundPoint>,
    pub charts: Vec<String>,
}

impl ChartData {
    /// Reads the photos, their labels and embeddings, the latest model's view of them and the
    /// training rounds.
    pub fn gather(db: &mut Database) -> Result<Self, ChartError> {
        let rows = db.photos()?;
        let embedding_model = db.setting(EMBEDDING_MODEL_KEY)?;
        let embeddings: std::collections::HashMap<i64, Vec<f32>> = match &embedding_model {
            Some(model) => db.embeddings(Subject::Photo, model)?.into_iter().collect(),
            None => Default::default(),
        };
        let model = match rounds::latest_model_for(db, embedding_model.as_deref()) {
            Ok((_, model)) => Some(model),
            Err(RoundError::Database(error)) => return Err(error.into()),
            // No model yet, or one for other embeddings: charts of the model stay empty.
            Err(_) => None,
        };
        let metrics = db.photo_metrics()?;
        let mut photos: Vec<PhotoPoint> = rows
            .into_iter()
            .map(|row| {
                let assessment = model.as_ref().and_then(|model| {
                    let embedding = embeddings.get(&row.id)?;
                    (embedding.len() == model.dim()).then(|| {
                        let a = model.assess(embedding, metrics.get(&row.id));
                        PhotoAssessment {
                            score: a.score.clamp(0.0, 100.0),
                            bucket: a.bucket,
                            confidence: a.margin,
                        }
                    })
                });
                PhotoPoint {
                    id: row.id,
                    indoor_score: row.indoor_score,
                    room_score: row.room_score,
                    label: row.label,
                    assessment,
                    plane: None,
                }
            })
            .collect();

        let with_embedding: Vec<usize> = (0..photos.len())
            .filter(|&i| embeddings.contains_key(&photos[i].id))
            .collect();
        let vectors: Vec<&[f32]> = with_embedding
            .iter()
            .map(|&i| embeddings[&photos[i].id].as_slice())
            .collect();
        let plane = principal_plane(&vectors);
        let explained_variance = plane.as_ref().map(|p| p.explained);
        if let Some(plane) = plane {
            for (&i, point) in with_embedding.iter().zip(plane.points) {
                photos[i].plane = Some(point);
            }
        }

        let rounds = db
            .training_rounds()?
            .into_iter()
            .enumerate()
            .map(|(i, round)| RoundPoint {
                number: i + 1,
                human_labels: round.human_labels,
                auto_labels: round.auto_labels,
                accuracy: round.accuracy,
                pair_accuracy: serde_json::from_str::<serde_json::Value>(&round.metrics)
                    .ok()
                    .and_then(|m| m["evaluation"]["pair_accuracy"].as_f64()),
            })
            .collect();
        Ok(Self {
            photos,
            rounds,
            filter: Filters::load(db)?.semantic,
            min_confidence: DEFAULT_MIN_CONFIDENCE,
            explained_variance,
        })
    }

    /// The counts a report's summary file holds.
    pub fn summary(&self) -> Summary {
        let (mut human, mut auto, mut buckets) = (
            LabelCounts::default(),
            LabelCounts::default(),
            LabelCounts::default(),
        );
        let mut any_bucket = false;
        for photo in &self.photos {
            match photo.label {
                Some((quality, LabelSource::Human)) => human.add(quality),
                Some((quality, LabelSource::Auto)) => auto.add(quality),
                None => {}
            }
            if let Some(assessment) = photo.assessment {
                buckets.add(assessment.bucket);
                any_bucket = true;
            }
        }
        Summary {
            photos: self.photos.len(),
            passing_filter: self.photos.iter().filter(|p| self.passes(p)).count(),
            human_labels: human,
            auto_labels: auto,
            model_buckets: any_bucket.then_some(buckets),
            rounds: self.rounds.clone(),
            charts: Vec::new(),
        }
    }

    pub(super) fn passes(&self, photo: &PhotoPoint) -> bool {
        match (photo.indoor_score, photo.room_score) {
            (Some(indoor), Some(room)) => {
                indoor >= self.filter.min_indoor && room >= self.filter.min_room
            }
            _ => false,
        }
    }
}

/// Two principal components of a set of embeddings.
pub(super) struct Plane {
    pub points: Vec<(f64, f64)>,
    pub explained: [f64; 2],
}

/// Projects the embeddings on their first two principal components. The signs are fixed so
/// that the same data always gives the same picture.
pub(super) fn principal_plane(vectors: &[&[f32]]) -> Option<Plane> {
    let n = vectors.len();
    let dim = vectors.first()?.len();
    if n < 3 || dim < 2 || vectors.iter().any(|v| v.len() != dim) {
        return None;
    }
    let _no_grad = tch::no_grad_guard();
    let flat: Vec<f32> = vectors.iter().flat_map(|v| v.iter().copied()).collect();
    let x = Tensor::f_from_slice(&flat)
        .and_then(|t| t.f_view([n as i64, dim as i64]))
        .ok()?
        .to_kind(Kind::Double);
    let centred = &x - x.mean_dim(0, true, Kind::Double);
    let covariance = centred.tr().matmul(&centred) / (n as f64 - 1.0);
    let (values, vectors) = covariance.f_linalg_eigh("L").ok()?;
    let values = Vec::<f64>::try_from(values).ok()?;
    let total: f64 = values.iter().map(|v| v.max(0.0)).sum();
    if total <= 0.0 {
        return None;
    }
    // Eigenvalues come in ascending order: the last two columns are the components.
    let mut components = Vec::with_capacity(2);
    for column in [dim - 1, dim - 2] {
        let mut axis = Vec::<f64>::try_from(vectors.select(1, column as i64)).ok()?;
        let strongest = axis
            .iter()
            .copied()
            .max_by(|a, b| a.abs().total_cmp(&b.abs()))
            .unwrap_or(1.0);
        if strongest < 0.0 {
            axis.iter_mut().for_each(|v| *v = -*v);
        }
        components.extend(axis);
    }
    let basis = Tensor::from_slice(&components).view([2, dim as i64]).tr();
    let projected = Vec::<f64>::try_from(centred.matmul(&basis).flatten(0, -1)).ok()?;
    Some(Plane {
        points: projected.chunks_exact(2).map(|p| (p[0], p[1])).collect(),
        explained: [
            values[dim - 1].max(0.0) / total,
            values[dim - 2].max(0.0) / total,
        ],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    pub(super) fn the_principal_plane_follows_the_spread() {
        // Points along (1, 1, 0) with a little spread along (0, 0, 1).
        let rows: Vec<Vec<f32>> = (0..20)
            .map(|i| {
                let t = i as f32 - 10.0;
                vec![t, t, 0.1 * ((i % 3) as f32 - 1.0)]
            })
            .collect();
        let refs: Vec<&[f32]> = rows.iter().map(Vec::as_slice).collect();
        let plane = principal_plane(&refs).unwrap();
        assert!(plane.explained[0] > 0.99, "{:?}", plane.explained);
        let first: Vec<f64> = plane.points.iter().map(|p| p.0).collect();
        assert!(first.windows(2).all(|w| w[0] < w[1]) || first.windows(2).all(|w| w[0] > w[1]));
        assert!(principal_plane(&refs[..2]).is_none());
    }
}
