//! Learning from labels: a quality head (multinomial logistic regression, class-balanced,
//! L2-regularised) and a pairwise ranker (logistic regression without intercept on embedding
//! differences of differently labelled photos), with honest cross-validation and a score
//! calibration that keeps 0-100 meaning the same across retrainings.
//!
//! What the models see of a photo is its CLIP embedding and, when cross-validation on the human
//! labels shows that they help, the pixel measurements taken at import (brightness, contrast,
//! sharpness, colourfulness), standardised, beside it.
//!
//! Honesty rule: automatic labels may train a model but never sit in an evaluation fold; only
//! human labels measure accuracy. Everything here is deterministic for a given seed.

use serde::{Deserialize, Serialize};
use tch::nn::OptimizerConfig;
use tch::{Device, Kind, Tensor, nn};

use std::borrow::Cow;

use super::metrics::PixelMetrics;
use super::trees::{BoostedTrees, TreeOptions};
use super::{LabelSource, Quality};
use crate::i18n::{fill, gettext};
use crate::random::SplitMix64;

const CLASSES: usize = 3;

/// One labelled photo as the learner sees it.
#[derive(Debug, Clone)]
pub struct Example {
    pub embedding: Vec<f32>,
    /// What was measured at import; `None` for a photo never measured.
    pub measurements: Option<PixelMetrics>,
    pub quality: Quality,
    pub source: LabelSource,
}

#[derive(Debug, Clone)]
pub struct TrainingOptions {
    /// Inverse regularisation strength, as scikit-learn's `C`.
    pub c: f64,
    /// At most this many pairs train the ranker.
    pub max_pairs: usize,
    /// Cross-validation folds wanted; fewer when a class has fewer human labels.
    pub folds: usize,
    pub seed: u64,
    /// Optimiser steps per fit.
    pub iterations: usize,
}

impl Default for TrainingOptions {
    fn default() -> Self {
        Self {
            c: 1.0,
            max_pairs: 5_000,
            folds: 5,
            seed: 0x5eed,
            iterations: 200,
        }
    }
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum TrainingError {
    #[error(
        "{}",
        gettext("there are no labelled photos with embeddings to train on")
    )]
    NoExamples,
    #[error(
        "{}",
        gettext("training needs photos of at least two different qualities: label some more")
    )]
    OneQualityOnly,
    #[error("{}", fill(&gettext("labelled photo {index} has an embedding of {found} values where {expected} were expected"), &[("index", .index), ("found", .found), ("expected", .expected)]))]
    DimensionMismatch {
        index: usize,
        expected: usize,
        found: usize,
    },
    #[error("{}", fill(&gettext("the saved model is damaged: {reason}"), &[("reason", .0)]))]
    Damaged(String),
    #[error("{}", fill(&gettext("training failed in libtorch: {reason}"), &[("reason", .0)]))]
    Torch(String),
}

/// The quality head: class probabilities for bad, medium and good.
#[derive(Debug, Clone, PartialEq)]
pub struct QualityHead {
    dim: usize,
    /// Row-major [3, dim].
    weights: Vec<f32>,
    bias: [f32; CLASSES],
}

/// The pairwise ranker: a utility whose order follows the labels' order.
#[derive(Debug, Clone, PartialEq)]
pub struct PairwiseRanker {
    weights: Vec<f32>,
}

/// Maps a ranker utility to 0-100 so that the user's typical "bad" photo scores 20 and the
/// typical "good" one 80, whatever the scale of this round's utility.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Calibration {
    pub midpoint: f64,
    pub temperature: f64,
}

/// Cross-validated quality of a training round, measured on human labels only.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Evaluation {
    pub folds: usize,
    /// Photos evaluated (each human label exactly once).
    pub evaluated: usize,
    pub accuracy: f64,
    /// Recall of each class (bad, medium, good); `None` when a class had no photo.
    pub per_class: [Option<f64>; CLASSES],
    /// `confusion[true][predicted]`.
    pub confusion: [[u32; CLASSES]; CLASSES],
    /// Share of differently labelled held-out pairs that the ranker orders right.
    pub pair_accuracy: Option<f64>,
    /// Bucket accuracy of each fold, in fold order.
    #[serde(default)]
    pub fold_accuracy: Vec<f64>,
}

/// A fold of the cross-validation: indices into the examples.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fold {
    pub train: Vec<usize>,
    pub test: Vec<usize>,
}

/// What the head and the ranker read of a photo.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Features {
    /// The CLIP embedding alone.
    #[default]
    Embedding,
    /// The embedding and the standardised pixel measurements.
    EmbeddingAndMeasurements,
    /// The embedding, the standardised pixel measurements, and the quality that boosted trees
    /// read from the measurements (see [`super::trees`]).
    EmbeddingMeasurementsAndTrees,
}

impl Features {
    pub fn describe(self) -> String {
        match self {
            Self::Embedding => gettext("the CLIP embedding"),
            Self::EmbeddingAndMeasurements => {
                gettext("the CLIP embedding and the pixel measurements")
            }
            Self::EmbeddingMeasurementsAndTrees => gettext(
                "the CLIP embedding, the pixel measurements and the quality trees read from them",
            ),
        }
    }
}

/// The pixel measurements the models may read, by name.
pub const MEASUREMENTS: [&str; 9] = [
    "brightness",
    "contrast",
    "log-sharpness",
    "log-noise",
    "log-detail",
    "tilt",
    "straightness",
    "colourfulness",
    "colour-variety",
];

/// The value of the measurement `name` of a photo; `None` for one the photo lacks, or a name
/// this version does not know.
fn measured_value(name: &str, metrics: &PixelMetrics) -> Option<f64> {
    let faults = metrics.faults.as_ref();
    match name {
        "brightness" => Some(metrics.brightness),
        "contrast" => Some(metrics.contrast),
        // The variance of the Laplacian spans orders of magnitude.
        "log-sharpness" => Some(metrics.sharpness.max(0.0).ln_1p()),
        "log-noise" => faults.map(|f| f.noise.max(0.0).ln_1p()),
        // Sharpness less what the noise adds to it (20 σ² for the Laplacian of white noise):
        // the detail of the scene itself, which blur takes away.
        "log-detail" => faults.map(|f| {
            (metrics.sharpness - 20.0 * f.noise * f.noise)
                .max(0.0)
                .ln_1p()
        }),
        "tilt" => faults.map(|f| f.tilt),
        "straightness" => faults.map(|f| f.straightness),
        "colourfulness" => Some(metrics.colourfulness),
        "colour-variety" => faults.map(|f| f.colour_variety),
        _ => None,
    }
}

/// Centres and scales the pixel measurements as they were on the training photos. Each gives
/// two features, its standard score and that score squared, so that a linear model can learn
/// that both too little and too much (of light, of sharpening) are faults.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Standardiser {
    pub names: Vec<String>,
    pub mean: Vec<f64>,
    pub std: Vec<f64>,
}

impl Standardiser {
    /// Fits on the photos that have each measurement.
    fn fit(measured: &[PixelMetrics]) -> Self {
        let (mut mean, mut std) = (Vec::new(), Vec::new());
        for name in MEASUREMENTS {
            let values: Vec<f64> = measured
                .iter()
                .filter_map(|m| measured_value(name, m))
                .collect();
            let n = values.len().max(1) as f64;
            let m = values.iter().sum::<f64>() / n;
            let var = values.iter().map(|v| (v - m).powi(2)).sum::<f64>() / n;
            mean.push(m);
            std.push(var.sqrt().max(1e-9));
        }
        Self {
            names: MEASUREMENTS.iter().map(|n| (*n).to_owned()).collect(),
            mean,
            std,
        }
    }

    /// Features added to the embedding.
    pub fn width(&self) -> usize {
        2 * self.mean.len()
    }

    /// The standard scores of a photo's measurements; an unmeasured photo (or a measurement
    /// this version cannot read) sits at the training photos' mean.
    fn scores(&self, metrics: Option<&PixelMetrics>) -> Vec<f64> {
        self.names
            .iter()
            .enumerate()
            .map(|(k, name)| {
                metrics
                    .and_then(|m| measured_value(name, m))
                    .map_or(0.0, |v| (v - self.mean[k]) / self.std[k])
            })
            .collect()
    }

    /// The added features for standard scores `z`.
    fn features(z: &[f64]) -> impl Iterator<Item = f32> + '_ {
        z.iter()
            .map(|z| *z as f32)
            .chain(z.iter().map(|z| (z * z - 1.0) as f32))
    }
}

/// How one set of features fared in cross-validation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeatureTrial {
    pub features: Features,
    pub evaluation: Option<Evaluation>,
}

/// The result of a training round.
#[derive(Debug, Clone)]
pub struct TrainedModel {
    pub head: QualityHead,
    pub ranker: PairwiseRanker,
    pub calibration: Calibration,
    /// The cross-validation of the features the model uses.
    pub evaluation: Option<Evaluation>,
    pub human_labels: usize,
    pub auto_labels: usize,
    pub features: Features,
    /// Present when the model reads the pixel measurements.
    pub standardiser: Option<Standardiser>,
    /// Present when the model reads the trees' estimate of quality from the measurements.
    pub trees: Option<BoostedTrees>,
    /// Every set of features cross-validated in this round, the chosen one included.
    pub trials: Vec<FeatureTrial>,
}

/// What the model says of one photo.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Assessment {
    /// 0-100, from the ranker, calibrated.
    pub score: f64,
    /// The head's most likely class.
    pub bucket: Quality,
    /// Top-1 minus top-2 probability: how sure the head is.
    pub margin: f64,
    pub probabilities: [f64; CLASSES],
    pub utility: f64,
}

/// Trains the head and the ranker on every example, after cross-validating on human labels
/// which features to read: the embedding alone, or with the pixel measurements (when every
/// labelled photo has them), or with those and the trees' estimate too.
pub fn train(
    examples: &[Example],
    options: &TrainingOptions,
) -> Result<TrainedModel, TrainingError> {
    let _threads = OneThread::hold();
    check_examples(examples)?;
    let measured: Option<Vec<PixelMetrics>> = examples.iter().map(|e| e.measurements).collect();
    let standardiser = measured.map(|m| Standardiser::fit(&m));
    let mut variants = vec![Features::Embedding];
    if standardiser.is_some() {
        variants.push(Features::EmbeddingAndMeasurements);
        variants.push(Features::EmbeddingMeasurementsAndTrees);
    }
    let mut trials = Vec::new();
    let mut best: Option<(f64, usize)> = None;
    for (k, features) in variants.iter().enumerate() {
        let reading = Reading::new(examples, *features, standardiser.as_ref());
        let evaluation = cross_validate(examples, &reading, options)?;
        // Bucket accuracy and pair accuracy count alike; a richer model must do better, not
        // as well, to be chosen.
        let merit = evaluation
            .as_ref()
            .map_or(0.0, |e| e.accuracy + e.pair_accuracy.unwrap_or(0.0));
        if best.is_none_or(|(value, _)| merit > value + 1e-9) {
            best = Some((merit, k));
        }
        trials.push(FeatureTrial {
            features: *features,
            evaluation,
        });
    }
    let chosen = best.map_or(0, |(_, k)| k);
    let features = variants[chosen];
    let reading = Reading::new(examples, features, standardiser.as_ref());
    let all: Vec<usize> = (0..examples.len()).collect();
    let (inputs, trees) = reading.inputs_for_training_on(examples, &all);
    let (head, ranker) = fit_both(examples, &inputs, &all, options)?;
    let calibration = calibrate(&ranker, examples, &inputs);
    Ok(TrainedModel {
        head,
        ranker,
        calibration,
        evaluation: trials[chosen].evaluation.clone(),
        human_labels: count_source(examples, LabelSource::Human),
        auto_labels: count_source(examples, LabelSource::Auto),
        features,
        standardiser: (features != Features::Embedding)
            .then_some(standardiser)
            .flatten(),
        trees,
        trials,
    })
}

/// Folds the trees' estimates for the training photos come from: each photo's estimate is
/// made by trees that never saw its label, as it will be for a new photo.
const TREE_FOLDS: usize = 5;

/// What the models read of the examples under one choice of features.
struct Reading {
    /// The embedding, then the standardised measurements when they are read.
    base: Vec<Vec<f32>>,
    /// The standard scores of every example's measurements, when trees are grown on them.
    scores: Option<Vec<Vec<f64>>>,
    options: TreeOptions,
    seed: u64,
}

impl Reading {
    fn new(examples: &[Example], features: Features, standardiser: Option<&Standardiser>) -> Self {
        let standardiser = standardiser.filter(|_| features != Features::Embedding);
        let scores: Vec<Vec<f64>> = examples
            .iter()
            .map(|e| standardiser.map_or_else(Vec::new, |s| s.scores(e.measurements.as_ref())))
            .collect();
        let base = examples
            .iter()
            .zip(&scores)
            .map(|(e, z)| {
                let mut row = e.embedding.clone();
                row.extend(Standardiser::features(z));
                row
            })
            .collect();
        Self {
            base,
            scores: (features == Features::EmbeddingMeasurementsAndTrees).then_some(scores),
            options: TreeOptions::default(),
            seed: 0x7ee5,
        }
    }

    /// The inputs of every example when the models learn from `rows`, with the trees grown on
    /// `rows` when trees are read: `rows` get estimates from trees that did not see them, the
    /// others from trees grown on all of `rows`.
    fn inputs_for_training_on(
        &self,
        examples: &[Example],
        rows: &[usize],
    ) -> (Cow<'_, [Vec<f32>]>, Option<BoostedTrees>) {
        let Some(scores) = &self.scores else {
            return (Cow::Borrowed(&self.base), None);
        };
        let target = |i: usize| examples[i].quality.index() as f64;
        let fit = |members: &[usize]| {
            let x: Vec<Vec<f64>> = members.iter().map(|&i| scores[i].clone()).collect();
            let y: Vec<f64> = members.iter().map(|&i| target(i)).collect();
            BoostedTrees::fit(&x, &y, &self.options)
        };
        let mut estimate: Vec<Option<f64>> = vec![None; examples.len()];
        let mut shuffled = rows.to_vec();
        SplitMix64::new(self.seed).shuffle(&mut shuffled);
        let folds = TREE_FOLDS.min(shuffled.len());
        for fold in 0..folds {
            let (mut held, mut kept) = (Vec::new(), Vec::new());
            for (position, &i) in shuffled.iter().enumerate() {
                if position % folds == fold {
                    held.push(i);
                } else {
                    kept.push(i);
                }
            }
            let trees = fit(&kept);
            for i in held {
                estimate[i] = Some(trees.predict(&scores[i]));
            }
        }
        let trees = fit(rows);
        let inputs = self
            .base
            .iter()
            .enumerate()
            .map(|(i, base)| {
                let value = estimate[i].unwrap_or_else(|| trees.predict(&scores[i]));
                let mut row = base.clone();
                row.push((value - 1.0) as f32);
                row
            })
            .collect();
        (Cow::Owned(inputs), Some(trees))
    }
}

/// What a model reads of one photo: its embedding, then what it adds.
fn input(
    embedding: &[f32],
    standardiser: Option<&Standardiser>,
    trees: Option<&BoostedTrees>,
    metrics: Option<&PixelMetrics>,
) -> Vec<f32> {
    let mut row = embedding.to_vec();
    if let Some(standardiser) = standardiser {
        let z = standardiser.scores(metrics);
        row.extend(Standardiser::features(&z));
        if let Some(trees) = trees {
            row.push((trees.predict(&z) - 1.0) as f32);
        }
    }
    row
}

/// Keeps libtorch to one thread on this thread while training. The fits are many small
/// products; spread over a pool they spend their time waking threads, and on a busy processor
/// the pool runs ten times slower than one thread.
struct OneThread(i32);

impl OneThread {
    fn hold() -> Self {
        let before = tch::get_num_threads();
        tch::set_num_threads(1);
        Self(before)
    }
}

impl Drop for OneThread {
    fn drop(&mut self) {
        tch::set_num_threads(self.0);
    }
}

fn count_source(examples: &[Example], source: LabelSource) -> usize {
    examples.iter().filter(|e| e.source == source).count()
}

fn check_examples(examples: &[Example]) -> Result<usize, TrainingError> {
    let first = examples.first().ok_or(TrainingError::NoExamples)?;
    let dim = first.embedding.len();
    for (index, example) in examples.iter().enumerate() {
        if example.embedding.len() != dim || dim == 0 {
            return Err(TrainingError::DimensionMismatch {
                index,
                expected: dim,
                found: example.embedding.len(),
            });
        }
    }
    let distinct = Quality::ALL
        .iter()
        .filter(|q| examples.iter().any(|e| e.quality == **q))
        .count();
    if distinct < 2 {
        return Err(TrainingError::OneQualityOnly);
    }
    Ok(dim)
}

/// Stratified folds over the human labels; automatic labels only ever join the training side.
pub fn stratified_folds(examples: &[Example], wanted: usize, seed: u64) -> Vec<Fold> {
    let mut by_class: [Vec<usize>; CLASSES] = Default::default();
    for (i, example) in examples.iter().enumerate() {
        if example.source == LabelSource::Human {
            by_class[example.quality.index()].push(i);
        }
    }
    let smallest = by_class
        .iter()
        .filter(|members| !members.is_empty())
        .map(Vec::len)
        .min()
        .unwrap_or(0);
    let present = by_class.iter().filter(|m| !m.is_empty()).count();
    let k = wanted.min(smallest);
    if k < 2 || present < 2 {
        return Vec::new();
    }
    let mut rng = SplitMix64::new(seed);
    let mut fold_of = vec![usize::MAX; examples.len()];
    for members in &mut by_class {
        rng.shuffle(members);
        for (position, &index) in members.iter().enumerate() {
            fold_of[index] = position % k;
        }
    }
    (0..k)
        .map(|fold| {
            let test: Vec<usize> = (0..examples.len())
                .filter(|&i| fold_of[i] == fold)
                .collect();
            let train: Vec<usize> = (0..examples.len())
                .filter(|&i| fold_of[i] != fold)
                .collect();
            Fold { train, test }
        })
        .collect()
}

fn cross_validate(
    examples: &[Example],
    reading: &Reading,
    options: &TrainingOptions,
) -> Result<Option<Evaluation>, TrainingError> {
    let folds = stratified_folds(examples, options.folds, options.seed);
    if folds.is_empty() {
        return Ok(None);
    }
    let mut confusion = [[0u32; CLASSES]; CLASSES];
    let (mut pairs_right, mut pairs_total) = (0u64, 0u64);
    let mut fold_accuracy = Vec::with_capacity(folds.len());
    for fold in &folds {
        let (inputs, _) = reading.inputs_for_training_on(examples, &fold.train);
        let (head, ranker) = fit_both(examples, &inputs, &fold.train, options)?;
        let x = matrix(&inputs, &fold.test);
        let probabilities = head.probabilities_of(&x);
        let predicted: Vec<i64> = values_of(&probabilities.argmax(-1, false))?;
        let utilities: Vec<f32> = values_of(&ranker.utilities_of(&x))?;
        let mut right = 0usize;
        for (row, &index) in fold.test.iter().enumerate() {
            let truth = examples[index].quality.index();
            let guess = (predicted.get(row).copied().unwrap_or(0) as usize).min(CLASSES - 1);
            confusion[truth][guess] += 1;
            right += usize::from(truth == guess);
        }
        fold_accuracy.push(right as f64 / fold.test.len().max(1) as f64);
        for a in 0..fold.test.len() {
            for b in a + 1..fold.test.len() {
                let (qa, qb) = (
                    examples[fold.test[a]].quality,
                    examples[fold.test[b]].quality,
                );
                if qa != qb {
                    pairs_total += 1;
                    if (qa > qb) == (utilities[a] > utilities[b]) {
                        pairs_right += 1;
                    }
                }
            }
        }
    }
    let evaluated: u32 = confusion.iter().flatten().sum();
    let correct: u32 = (0..CLASSES).map(|c| confusion[c][c]).sum();
    let per_class = std::array::from_fn(|c| {
        let total: u32 = confusion[c].iter().sum();
        (total > 0).then(|| f64::from(confusion[c][c]) / f64::from(total))
    });
    Ok(Some(Evaluation {
        folds: folds.len(),
        evaluated: evaluated as usize,
        accuracy: f64::from(correct) / f64::from(evaluated.max(1)),
        per_class,
        confusion,
        pair_accuracy: (pairs_total > 0).then(|| pairs_right as f64 / pairs_total as f64),
        fold_accuracy,
    }))
}

/// Fits the head and the ranker on `rows` together. The head's weights and biases minimise
/// the class-balanced cross-entropy plus `|W|² / (2 C n)`, as scikit-learn's
/// `LogisticRegression(class_weight="balanced")` does up to a constant factor. The ranker's
/// `w` makes `σ(w·(xᵢ − xⱼ))` predict that photo i is better than photo j, on at most
/// `max_pairs` pairs of differently labelled photos drawn with the seed, plus
/// `|w|² / (2 C pairs)`. Both read the inputs through one product a step (the pairs' utilities
/// are gathered from the photos'), which halves the time of a round; Adam scales each weight's
/// step by its own gradient, so fitting them together changes neither.
fn fit_both(
    examples: &[Example],
    inputs: &[Vec<f32>],
    rows: &[usize],
    options: &TrainingOptions,
) -> Result<(QualityHead, PairwiseRanker), TrainingError> {
    let x = matrix(inputs, rows);
    let labels: Vec<i64> = rows
        .iter()
        .map(|&i| examples[i].quality.index() as i64)
        .collect();
    let (n, dim) = (x.size()[0], x.size()[1]);

    let y = Tensor::from_slice(&labels);
    let mut counts = [0f64; CLASSES];
    for &label in &labels {
        counts[label as usize] += 1.0;
    }
    let present = counts.iter().filter(|c| **c > 0.0).count() as f64;
    let class_weight: Vec<f32> = counts
        .iter()
        .map(|&c| {
            if c > 0.0 {
                (n as f64 / (present * c)) as f32
            } else {
                0.0
            }
        })
        .collect();
    let sample_weight = Tensor::from_slice(&class_weight).index_select(0, &y);
    let head_l2 = 1.0 / (2.0 * options.c * n as f64);

    let pairs = draw_pairs(&labels, options.max_pairs, options.seed);
    let mut rng = SplitMix64::new(options.seed ^ 0xa5a5);
    let (mut first, mut second, mut target) = (Vec::new(), Vec::new(), Vec::new());
    for (i, j) in pairs {
        // Each pair in a random orientation, so both outcomes are seen.
        let (a, b) = if rng.next_u64() & 1 == 0 {
            (i, j)
        } else {
            (j, i)
        };
        first.push(a as i64);
        second.push(b as i64);
        target.push(if labels[a] > labels[b] { 1f32 } else { 0f32 });
    }
    let ranked = !target.is_empty();
    let ranker_l2 = 1.0 / (2.0 * options.c * target.len().max(1) as f64);
    let (first, second, target) = (
        Tensor::from_slice(&first),
        Tensor::from_slice(&second),
        Tensor::from_slice(&target),
    );

    let store = nn::VarStore::new(Device::Cpu);
    let root = store.root();
    // The head's three rows of weights, then the ranker's.
    let weights = root.zeros("weights", &[CLASSES as i64 + 1, dim]);
    let bias = root.zeros("bias", &[CLASSES as i64]);
    minimise(&store, options.iterations, || {
        let out = x.matmul(&weights.tr());
        let head_weights = weights.narrow(0, 0, CLASSES as i64);
        let logits = out.narrow(1, 0, CLASSES as i64) + &bias;
        let nll = -logits
            .log_softmax(-1, Kind::Float)
            .gather(1, &y.unsqueeze(1), false)
            .squeeze_dim(1);
        let head = (nll * &sample_weight).mean(Kind::Float)
            + head_weights.square().sum(Kind::Float) * head_l2;
        if !ranked {
            return head;
        }
        let utility = out.select(1, CLASSES as i64);
        let pair_logits = utility.index_select(0, &first) - utility.index_select(0, &second);
        let ranker = pair_logits.binary_cross_entropy_with_logits::<Tensor>(
            &target,
            None,
            None,
            tch::Reduction::Mean,
        ) + weights.select(0, CLASSES as i64).square().sum(Kind::Float) * ranker_l2;
        head + ranker
    })?;
    let fitted = weights.detach();
    let head = QualityHead {
        dim: dim as usize,
        weights: values_of(&fitted.narrow(0, 0, CLASSES as i64).flatten(0, -1))?,
        bias: to_array(&bias)?,
    };
    let ranker = PairwiseRanker {
        weights: values_of(&fitted.select(0, CLASSES as i64).contiguous())?,
    };
    Ok((head, ranker))
}

/// The inputs of `rows` as an [n, dim] float tensor.
fn matrix(inputs: &[Vec<f32>], rows: &[usize]) -> Tensor {
    let dim = inputs.first().map_or(0, Vec::len);
    let mut flat = Vec::with_capacity(rows.len() * dim);
    for &i in rows {
        flat.extend_from_slice(&inputs[i]);
    }
    Tensor::from_slice(&flat).view([rows.len() as i64, dim as i64])
}

impl QualityHead {
    fn tensors(&self) -> (Tensor, Tensor) {
        (
            Tensor::from_slice(&self.weights).view([CLASSES as i64, self.dim as i64]),
            Tensor::from_slice(&self.bias),
        )
    }

    fn probabilities_of(&self, x: &Tensor) -> Tensor {
        let (w, b) = self.tensors();
        (x.matmul(&w.tr()) + b).softmax(-1, Kind::Float)
    }

    pub fn dim(&self) -> usize {
        self.dim
    }
}

impl PairwiseRanker {
    fn utilities_of(&self, x: &Tensor) -> Tensor {
        x.matmul(&Tensor::from_slice(&self.weights))
    }
}

/// Full-batch Adam on a smooth convex loss; enough steps to reach the optimum closely.
fn minimise(
    store: &nn::VarStore,
    iterations: usize,
    loss: impl Fn() -> Tensor,
) -> Result<(), TrainingError> {
    let mut optimiser = nn::Adam::default()
        .build(store, 0.05)
        .map_err(|e| TrainingError::Torch(e.to_string()))?;
    for step in 0..iterations {
        // Decay the step size over the second half for a precise finish.
        if step == iterations / 2 {
            optimiser.set_lr(0.01);
        } else if step == iterations * 3 / 4 {
            optimiser.set_lr(0.002);
        }
        let value = tch::with_grad(&loss);
        optimiser.backward_step(&value);
    }
    Ok(())
}

fn to_array(t: &Tensor) -> Result<[f32; CLASSES], TrainingError> {
    let values: Vec<f32> = values_of(&t.detach())?;
    <[f32; CLASSES]>::try_from(values.as_slice()).map_err(|_| {
        TrainingError::Torch(fill(
            &gettext("{count} values where {classes} were expected"),
            &[("count", &values.len()), ("classes", &CLASSES)],
        ))
    })
}

/// A tensor's values, or why they cannot be read.
fn values_of<T>(t: &Tensor) -> Result<Vec<T>, TrainingError>
where
    Vec<T>: TryFrom<Tensor, Error = tch::TchError>,
{
    Vec::<T>::try_from(t.shallow_clone()).map_err(|e| TrainingError::Torch(e.to_string()))
}

/// Pairs of indices with different labels: all of them when there are few, else a seeded
/// sample without repeats.
fn draw_pairs(labels: &[i64], max_pairs: usize, seed: u64) -> Vec<(usize, usize)> {
    let n = labels.len();
    let mut per_class = [0usize; CLASSES];
    for &l in labels {
        per_class[l as usize] += 1;
    }
    let same: usize = per_class.iter().map(|c| c * c.saturating_sub(1) / 2).sum();
    let available = n * n.saturating_sub(1) / 2 - same;
    if available <= max_pairs {
        let mut pairs = Vec::with_capacity(available);
        for i in 0..n {
            for j in i + 1..n {
                if labels[i] != labels[j] {
                    pairs.push((i, j));
                }
            }
        }
        return pairs;
    }
    let mut rng = SplitMix64::new(seed);
    let mut seen = std::collections::HashSet::with_capacity(max_pairs * 2);
    let mut pairs = Vec::with_capacity(max_pairs);
    while pairs.len() < max_pairs {
        let i = rng.below(n);
        let j = rng.below(n);
        let key = (i.min(j), i.max(j));
        if labels[i] != labels[j] && seen.insert(key) {
            pairs.push(key);
        }
    }
    pairs
}

fn calibrate(ranker: &PairwiseRanker, examples: &[Example], inputs: &[Vec<f32>]) -> Calibration {
    let utilities: Vec<(Quality, LabelSource, f64)> = examples
        .iter()
        .zip(inputs)
        .map(|(e, x)| (e.quality, e.source, ranker.utility(x)))
        .collect();
    // Anchor on what the user said; fall back to every label when a class has no human one.
    let mean_of = |quality: Quality| {
        let pick = |source: Option<LabelSource>| {
            let values: Vec<f64> = utilities
                .iter()
                .filter(|(q, s, _)| *q == quality && source.is_none_or(|wanted| *s == wanted))
                .map(|(_, _, u)| *u)
                .collect();
            (!values.is_empty()).then(|| values.iter().sum::<f64>() / values.len() as f64)
        };
        pick(Some(LabelSource::Human)).or_else(|| pick(None))
    };
    let low = mean_of(Quality::Bad).or_else(|| mean_of(Quality::Medium));
    let high = mean_of(Quality::Good).or_else(|| mean_of(Quality::Medium));
    let ln4 = 4f64.ln();
    match (low, high) {
        (Some(low), Some(high)) if high > low => Calibration {
            midpoint: (low + high) / 2.0,
            temperature: (high - low) / (2.0 * ln4),
        },
        _ => {
            let all: Vec<f64> = utilities.iter().map(|(_, _, u)| *u).collect();
            let mean = all.iter().sum::<f64>() / all.len().max(1) as f64;
            let var = all.iter().map(|u| (u - mean).powi(2)).sum::<f64>() / all.len().max(1) as f64;
            Calibration {
                midpoint: mean,
                temperature: var.sqrt().max(1e-6),
            }
        }
    }
}

impl Calibration {
    pub fn score(&self, utility: f64) -> f64 {
        100.0 / (1.0 + (-(utility - self.midpoint) / self.temperature).exp())
    }
}

impl PairwiseRanker {
    pub fn utility(&self, embedding: &[f32]) -> f64 {
        self.weights
            .iter()
            .zip(embedding)
            .map(|(w, x)| f64::from(*w) * f64::from(*x))
            .sum()
    }
}

impl TrainedModel {
    /// The length of the embeddings the model reads.
    pub fn dim(&self) -> usize {
        self.head.dim - self.added_width()
    }

    /// Inputs read beside the embedding.
    fn added_width(&self) -> usize {
        self.standardiser.as_ref().map_or(0, Standardiser::width)
            + usize::from(self.trees.is_some())
    }

    /// Scores one photo from its embedding and, when the model reads them, its pixel
    /// measurements (a photo without them is taken as average).
    pub fn assess(&self, embedding: &[f32], metrics: Option<&PixelMetrics>) -> Assessment {
        let input = input(
            embedding,
            self.standardiser.as_ref(),
            self.trees.as_ref(),
            metrics,
        );
        let embedding = input.as_slice();
        let mut logits = [0f64; CLASSES];
        for (c, logit) in logits.iter_mut().enumerate() {
            let row = &self.head.weights[c * self.head.dim..(c + 1) * self.head.dim];
            *logit = f64::from(self.head.bias[c])
                + row
                    .iter()
                    .zip(embedding)
                    .map(|(w, x)| f64::from(*w) * f64::from(*x))
                    .sum::<f64>();
        }
        let max = logits.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let exp: Vec<f64> = logits.iter().map(|l| (l - max).exp()).collect();
        let total: f64 = exp.iter().sum();
        let probabilities: [f64; CLASSES] = std::array::from_fn(|c| exp[c] / total);
        let mut order = [0usize, 1, 2];
        order.sort_by(|a, b| probabilities[*b].total_cmp(&probabilities[*a]));
        let utility = self.ranker.utility(embedding);
        Assessment {
            score: self.calibration.score(utility),
            bucket: Quality::from_index(order[0]).unwrap_or(Quality::Medium),
            margin: probabilities[order[0]] - probabilities[order[1]],
            probabilities,
            utility,
        }
    }

    /// The head as little-endian f32: `dim`, then 3·dim weights, then 3 biases.
    pub fn head_blob(&self) -> Vec<u8> {
        let mut values = vec![self.head.dim as f32];
        values.extend_from_slice(&self.head.weights);
        values.extend_from_slice(&self.head.bias);
        to_le_bytes(&values)
    }

    pub fn ranker_blob(&self) -> Vec<u8> {
        to_le_bytes(&self.ranker.weights)
    }

    /// Rebuilds a saved model. `standardiser` is `None` for a model that reads the embedding
    /// alone, as every model saved before the measurements were used does; `trees` is `None`
    /// unless the model reads their estimate too.
    #[allow(clippy::too_many_arguments)]
    pub fn from_parts(
        head_blob: &[u8],
        ranker_blob: &[u8],
        calibration: Calibration,
        evaluation: Option<Evaluation>,
        standardiser: Option<Standardiser>,
        trees: Option<BoostedTrees>,
        human_labels: usize,
        auto_labels: usize,
    ) -> Result<Self, TrainingError> {
        let head = from_le_bytes(head_blob).ok_or_else(|| TrainingError::Damaged("head".into()))?;
        let ranker =
            from_le_bytes(ranker_blob).ok_or_else(|| TrainingError::Damaged("ranker".into()))?;
        let dim = head.first().copied().unwrap_or(0.0) as usize;
        let trees = trees.filter(|_| standardiser.is_some());
        let added =
            standardiser.as_ref().map_or(0, Standardiser::width) + usize::from(trees.is_some());
        if dim <= added || head.len() != 1 + CLASSES * dim + CLASSES || ranker.len() != dim {
            return Err(TrainingError::Damaged(format!(
                "sizes {} and {} do not fit dimension {dim}",
                head.len(),
                ranker.len()
            )));
        }
        let weights = head[1..1 + CLASSES * dim].to_vec();
        let bias = std::array::from_fn(|c| head[1 + CLASSES * dim + c]);
        Ok(Self {
            head: QualityHead { dim, weights, bias },
            ranker: PairwiseRanker { weights: ranker },
            calibration,
            evaluation,
            human_labels,
            auto_labels,
            features: match (&standardiser, &trees) {
                (Some(_), Some(_)) => Features::EmbeddingMeasurementsAndTrees,
                (Some(_), None) => Features::EmbeddingAndMeasurements,
                _ => Features::Embedding,
            },
            standardiser,
            trees,
            trials: Vec::new(),
        })
    }
}

fn to_le_bytes(values: &[f32]) -> Vec<u8> {
    values.iter().flat_map(|v| v.to_le_bytes()).collect()
}

fn from_le_bytes(bytes: &[u8]) -> Option<Vec<f32>> {
    bytes.len().is_multiple_of(4).then(|| {
        bytes
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Photos along a hidden quality direction, with noise: L2-normalised like CLIP's.
    fn synthetic(per_class: usize, auto: usize, noise: f64, seed: u64) -> Vec<Example> {
        let dim = 32;
        let mut rng = SplitMix64::new(seed);
        let direction: Vec<f64> = (0..dim).map(|_| rng.normal()).collect();
        let mut examples = Vec::new();
        for (q, quality) in Quality::ALL.iter().enumerate() {
            for k in 0..per_class + auto {
                let v: Vec<f64> = direction
                    .iter()
                    .map(|d| d * (q as f64 - 1.0) * 0.6 + rng.normal() * noise + 0.3)
                    .collect();
                let norm = v.iter().map(|x| x * x).sum::<f64>().sqrt();
                examples.push(Example {
                    embedding: v.iter().map(|x| (x / norm) as f32).collect(),
                    measurements: None,
                    quality: *quality,
                    source: if k < per_class {
                        LabelSource::Human
                    } else {
                        LabelSource::Auto
                    },
                });
            }
        }
        examples
    }

    fn quick() -> TrainingOptions {
        TrainingOptions {
            iterations: 200,
            ..TrainingOptions::default()
        }
    }

    #[test]
    fn learns_separable_qualities_and_scores_them_in_order() {
        let examples = synthetic(30, 0, 0.15, 1);
        let model = train(&examples, &quick()).unwrap();
        let evaluation = model.evaluation.clone().expect("enough labels to evaluate");
        assert_eq!(evaluation.folds, 5);
        assert_eq!(evaluation.evaluated, 90);
        assert!(evaluation.accuracy > 0.9, "{evaluation:?}");
        assert!(evaluation.pair_accuracy.unwrap() > 0.9, "{evaluation:?}");
        let mean_score = |q: Quality| {
            let scores: Vec<f64> = examples
                .iter()
                .filter(|e| e.quality == q)
                .map(|e| model.assess(&e.embedding, None).score)
                .collect();
            scores.iter().sum::<f64>() / scores.len() as f64
        };
        let (bad, medium, good) = (
            mean_score(Quality::Bad),
            mean_score(Quality::Medium),
            mean_score(Quality::Good),
        );
        assert!(bad < medium && medium < good, "{bad} {medium} {good}");
        // The calibration anchors: typical bad ≈ 20, typical good ≈ 80.
        assert!(
            (bad - 20.0).abs() < 8.0 && (good - 80.0).abs() < 8.0,
            "{bad} {good}"
        );
        let good_photo = &examples.last().unwrap().embedding;
        let assessment = model.assess(good_photo, None);
        assert_eq!(assessment.bucket, Quality::Good);
        assert!(assessment.margin > 0.0 && assessment.margin <= 1.0);
        assert!((assessment.probabilities.iter().sum::<f64>() - 1.0).abs() < 1e-9);
    }

    #[test]
    fn automatic_labels_never_reach_an_evaluation_fold() {
        let examples = synthetic(12, 20, 0.3, 2);
        let folds = stratified_folds(&examples, 5, 7);
        assert_eq!(folds.len(), 5);
        let mut tested = vec![0; examples.len()];
        for fold in &folds {
            for &i in &fold.test {
                assert_eq!(
                    examples[i].source,
                    LabelSource::Human,
                    "auto label {i} in a test fold"
                );
                tested[i] += 1;
            }
            for (i, example) in examples.iter().enumerate() {
                if example.source == LabelSource::Auto {
                    assert!(
                        fold.train.contains(&i),
                        "auto label {i} left out of training"
                    );
                }
            }
        }
        for (i, example) in examples.iter().enumerate() {
            let expected = usize::from(example.source == LabelSource::Human);
            assert_eq!(tested[i], expected, "example {i}");
        }
        let model = train(&examples, &quick()).unwrap();
        assert_eq!(model.evaluation.unwrap().evaluated, 36);
        assert_eq!((model.human_labels, model.auto_labels), (36, 60));
    }

    #[test]
    fn folds_shrink_to_the_smallest_class_and_vanish_below_two() {
        let mut examples = synthetic(6, 0, 0.3, 3);
        assert_eq!(stratified_folds(&examples, 5, 1).len(), 5);
        // Keep only 3 human "bad" photos.
        let mut bad_seen = 0;
        examples.retain(|e| {
            if e.quality == Quality::Bad {
                bad_seen += 1;
                bad_seen <= 3
            } else {
                true
            }
        });
        assert_eq!(stratified_folds(&examples, 5, 1).len(), 3);
        let one_bad: Vec<Example> = synthetic(6, 0, 0.3, 3)
            .into_iter()
            .filter(|e| e.quality != Quality::Bad)
            .chain(
                synthetic(1, 0, 0.3, 4)
                    .into_iter()
                    .filter(|e| e.quality == Quality::Bad),
            )
            .collect();
        assert!(stratified_folds(&one_bad, 5, 1).is_empty());
        assert!(train(&one_bad, &quick()).unwrap().evaluation.is_none());
    }

    #[test]
    fn bad_input_is_refused_with_a_reason() {
        assert_eq!(train(&[], &quick()).unwrap_err(), TrainingError::NoExamples);
        let only_good: Vec<Example> = synthetic(4, 0, 0.3, 5)
            .into_iter()
            .filter(|e| e.quality == Quality::Good)
            .collect();
        assert_eq!(
            train(&only_good, &quick()).unwrap_err(),
            TrainingError::OneQualityOnly
        );
        let mut mixed = synthetic(4, 0, 0.3, 6);
        mixed[3].embedding.pop();
        assert!(matches!(
            train(&mixed, &quick()).unwrap_err(),
            TrainingError::DimensionMismatch { index: 3, .. }
        ));
    }

    #[test]
    fn a_saved_model_assesses_exactly_like_the_trained_one() {
        let examples = synthetic(10, 0, 0.2, 8);
        let model = train(&examples, &quick()).unwrap();
        let restored = TrainedModel::from_parts(
            &model.head_blob(),
            &model.ranker_blob(),
            model.calibration,
            model.evaluation.clone(),
            model.standardiser.clone(),
            model.trees.clone(),
            model.human_labels,
            model.auto_labels,
        )
        .unwrap();
        for example in &examples {
            assert_eq!(
                model.assess(&example.embedding, None),
                restored.assess(&example.embedding, None)
            );
        }
        assert!(
            TrainedModel::from_parts(&[1, 2, 3], &[], model.calibration, None, None, None, 0, 0)
                .is_err()
        );
    }

    #[test]
    fn training_is_deterministic() {
        let examples = synthetic(10, 5, 0.25, 9);
        let a = train(&examples, &quick()).unwrap();
        let b = train(&examples, &quick()).unwrap();
        assert_eq!(a.head_blob(), b.head_blob());
        assert_eq!(a.ranker_blob(), b.ranker_blob());
        assert_eq!(a.evaluation, b.evaluation);
    }

    #[test]
    fn pairs_are_sampled_without_repeats_and_only_across_labels() {
        let labels: Vec<i64> = (0..300).map(|i| i % 3).collect();
        let pairs = draw_pairs(&labels, 500, 1);
        assert_eq!(pairs.len(), 500);
        let unique: std::collections::HashSet<_> = pairs.iter().collect();
        assert_eq!(unique.len(), 500);
        assert!(pairs.iter().all(|&(i, j)| labels[i] != labels[j]));
        let few = draw_pairs(&[0, 0, 1, 2], 500, 1);
        assert_eq!(few.len(), 5);
    }
}
