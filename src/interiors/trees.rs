//! Gradient-boosted regression trees on the standardised pixel measurements: the quality the
//! measurements alone suggest (0 bad … 2 good), learnt from the labels.
//!
//! A linear model adds up what it reads, but a photo is as bad as its worst fault: a dark photo
//! is not made better by being sharp. Shallow trees, boosted, learn that "worst of" from the
//! labels; the head and the ranker then read their estimate beside the embedding. Deterministic
//! (no sampling), and fast on thousands of photos: each measurement is cut once into at most
//! [`BINS`] ranges, and a split is found from per-range sums.

use serde::{Deserialize, Serialize};

/// Ranges each measurement is cut into.
const BINS: usize = 32;

/// How the trees are grown.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TreeOptions {
    pub trees: usize,
    pub depth: usize,
    /// Share of each tree's correction that is kept (shrinkage).
    pub rate: f64,
    /// Fewest photos in a leaf.
    pub min_leaf: usize,
}

impl Default for TreeOptions {
    fn default() -> Self {
        Self {
            trees: 200,
            depth: 3,
            rate: 0.05,
            min_leaf: 5,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
enum Node {
    /// Rows whose `feature` is at most `threshold` go to `left`, the others to `right`.
    Split {
        feature: usize,
        threshold: f64,
        left: usize,
        right: usize,
    },
    Leaf {
        value: f64,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Tree {
    nodes: Vec<Node>,
}

impl Tree {
    fn predict(&self, row: &[f64]) -> f64 {
        let mut at = 0;
        loop {
            match self.nodes.get(at) {
                Some(Node::Split {
                    feature,
                    threshold,
                    left,
                    right,
                }) => {
                    let value = row.get(*feature).copied().unwrap_or(0.0);
                    at = if value <= *threshold { *left } else { *right };
                }
                Some(Node::Leaf { value }) => return *value,
                None => return 0.0,
            }
        }
    }
}

/// The fitted ensemble.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BoostedTrees {
    base: f64,
    rate: f64,
    trees: Vec<Tree>,
}

/// The training rows, each measurement cut into ranges once.
struct Binned<'a> {
    /// `cuts[f]`: upper ends of the ranges of feature `f` but the last, increasing.
    cuts: Vec<Vec<f64>>,
    /// `bins[f][row]`: the range of that row's value.
    bins: Vec<Vec<u8>>,
    rows: &'a [Vec<f64>],
}

impl<'a> Binned<'a> {
    fn new(rows: &'a [Vec<f64>]) -> Self {
        let features = rows.first().map_or(0, Vec::len);
        let mut cuts = Vec::with_capacity(features);
        let mut bins = Vec::with_capacity(features);
        for f in 0..features {
            let mut values: Vec<f64> = rows.iter().map(|r| r[f]).collect();
            values.sort_by(f64::total_cmp);
            let mut feature_cuts: Vec<f64> =
                (1..BINS).map(|k| values[k * values.len() / BINS]).collect();
            feature_cuts.dedup();
            // A cut at the largest value would leave its right side empty.
            if let (Some(&last), Some(&max)) = (feature_cuts.last(), values.last())
                && last >= max
            {
                feature_cuts.pop();
            }
            bins.push(
                rows.iter()
                    .map(|r| feature_cuts.partition_point(|&c| c < r[f]) as u8)
                    .collect(),
            );
            cuts.push(feature_cuts);
        }
        Self { cuts, bins, rows }
    }
}

impl BoostedTrees {
    /// Fits the trees to `targets` (one per row of `rows`) under squared error.
    pub fn fit(rows: &[Vec<f64>], targets: &[f64], options: &TreeOptions) -> Self {
        let n = rows.len().min(targets.len());
        let base = if n == 0 {
            0.0
        } else {
            targets[..n].iter().sum::<f64>() / n as f64
        };
        let binned = Binned::new(&rows[..n]);
        let mut prediction = vec![base; n];
        let mut trees = Vec::with_capacity(options.trees);
        let all: Vec<usize> = (0..n).collect();
        for _ in 0..options.trees {
            let residual: Vec<f64> = (0..n).map(|i| targets[i] - prediction[i]).collect();
            let mut nodes = Vec::new();
            grow(&binned, &residual, &all, options, 0, &mut nodes);
            let tree = Tree { nodes };
            for (i, p) in prediction.iter_mut().enumerate() {
                *p += options.rate * tree.predict(&binned.rows[i]);
            }
            trees.push(tree);
        }
        Self {
            base,
            rate: options.rate,
            trees,
        }
    }

    pub fn predict(&self, row: &[f64]) -> f64 {
        self.base + self.rate * self.trees.iter().map(|t| t.predict(row)).sum::<f64>()
    }
}

/// Grows the subtree of `members` into `nodes` and returns its index there.
fn grow(
    binned: &Binned<'_>,
    residual: &[f64],
    members: &[usize],
    options: &TreeOptions,
    depth: usize,
    nodes: &mut Vec<Node>,
) -> usize {
    let at = nodes.len();
    let total: f64 = members.iter().map(|&i| residual[i]).sum();
    let count = members.len();
    nodes.push(Node::Leaf {
        value: total / count.max(1) as f64,
    });
    if depth >= options.depth || count < 2 * options.min_leaf {
        return at;
    }
    let Some((feature, bin)) = best_split(binned, residual, members, total, options) else {
        return at;
    };
    let (left, right): (Vec<usize>, Vec<usize>) = members
        .iter()
        .partition(|&&i| usize::from(binned.bins[feature][i]) <= bin);
    let left = grow(binned, residual, &left, options, depth + 1, nodes);
    let right = grow(binned, residual, &right, options, depth + 1, nodes);
    nodes[at] = Node::Split {
        feature,
        threshold: binned.cuts[feature][bin],
        left,
        right,
    };
    at
}

/// The split of `members` that most lowers the squared error: a feature and the last range
/// that goes left. Ties go to the lower feature and range, so fits repeat exactly.
fn best_split(
    binned: &Binned<'_>,
    residual: &[f64],
    members: &[usize],
    total: f64,
    options: &TreeOptions,
) -> Option<(usize, usize)> {
    let count = members.len();
    let before = total * total / count as f64;
    let mut best: Option<(f64, usize, usize)> = None;
    for (feature, cuts) in binned.cuts.iter().enumerate() {
        if cuts.is_empty() {
            continue;
        }
        let mut sums = [0f64; BINS];
        let mut counts = [0usize; BINS];
        for &i in members {
            let b = usize::from(binned.bins[feature][i]);
            sums[b] += residual[i];
            counts[b] += 1;
        }
        let (mut left_sum, mut left_count) = (0.0, 0usize);
        for bin in 0..cuts.len() {
            left_sum += sums[bin];
            left_count += counts[bin];
            let right_count = count - left_count;
            if left_count < options.min_leaf || right_count < options.min_leaf {
                continue;
            }
            let right_sum = total - left_sum;
            let gain = left_sum * left_sum / left_count as f64
                + right_sum * right_sum / right_count as f64
                - before;
            if gain > 1e-12 && best.is_none_or(|(g, _, _)| gain > g) {
                best = Some((gain, feature, bin));
            }
        }
    }
    best.map(|(_, feature, bin)| (feature, bin))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::random::SplitMix64;

    /// Rows of three features; the target is the worst (largest) of the first two, the third
    /// is noise: what a sum of features cannot express and trees can.
    fn worst_of(n: usize, seed: u64) -> (Vec<Vec<f64>>, Vec<f64>) {
        let mut rng = SplitMix64::new(seed);
        let rows: Vec<Vec<f64>> = (0..n)
            .map(|_| (0..3).map(|_| rng.normal()).collect())
            .collect();
        let targets = rows.iter().map(|r| r[0].max(r[1])).collect();
        (rows, targets)
    }

    fn mean_squared_error(trees: &BoostedTrees, rows: &[Vec<f64>], targets: &[f64]) -> f64 {
        rows.iter()
            .zip(targets)
            .map(|(r, t)| (trees.predict(r) - t).powi(2))
            .sum::<f64>()
            / rows.len() as f64
    }

    #[test]
    fn trees_learn_the_worst_of_two_measurements() {
        let (rows, targets) = worst_of(600, 1);
        let trees = BoostedTrees::fit(&rows, &targets, &TreeOptions::default());
        let (test_rows, test_targets) = worst_of(300, 2);
        let variance = {
            let mean = test_targets.iter().sum::<f64>() / test_targets.len() as f64;
            test_targets.iter().map(|t| (t - mean).powi(2)).sum::<f64>() / test_targets.len() as f64
        };
        let error = mean_squared_error(&trees, &test_rows, &test_targets);
        assert!(error < 0.1 * variance, "{error} vs {variance}");
    }

    #[test]
    fn fits_repeat_exactly_and_survive_a_round_trip() {
        let (rows, targets) = worst_of(200, 3);
        let options = TreeOptions::default();
        let trees = BoostedTrees::fit(&rows, &targets, &options);
        assert_eq!(trees, BoostedTrees::fit(&rows, &targets, &options));
        let json = serde_json::to_string(&trees).unwrap();
        let restored: BoostedTrees = serde_json::from_str(&json).unwrap();
        assert_eq!(trees.predict(&rows[7]), restored.predict(&rows[7]));
    }

    #[test]
    fn a_constant_target_gives_a_constant_estimate() {
        let (rows, _) = worst_of(50, 4);
        let trees = BoostedTrees::fit(&rows, &[1.0; 50], &TreeOptions::default());
        assert!((trees.predict(&rows[0]) - 1.0).abs() < 1e-12);
        assert!(
            (BoostedTrees::fit(&[], &[], &TreeOptions::default()).predict(&[0.0])).abs() < 1e-12
        );
    }
}
