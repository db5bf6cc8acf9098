//! Near-duplicates: photos of one room taken seconds apart, so that the results gallery can
//! show them together, the best-scored first, and the user can keep one of each group.
//!
//! The perceptual fingerprint of the whole photo (`matching::hash`, taken at import) decides:
//! a camera moved by a few pixels or an exposure changed by a few percent leaves it almost
//! unchanged, while two rooms of the same layout already differ in it. The CLIP embedding only
//! vetoes a fingerprint fooled by two flat pictures (both near black, say), so its bar is low
//! enough for any model, a weak one included. Groups are the connected sets of near-duplicate
//! pairs. Nothing here writes to the database.

use std::collections::HashMap;

use super::rounds::{self, RoundError};
use crate::db::Database;
use crate::db::embeddings::Subject;
use crate::matching::hash::CoverHash;

/// Fingerprint agreement from which two photos are one scene taken twice.
pub const SAME_SCENE_FINGERPRINT: f32 = 0.955;
/// Cosine similarity of the embeddings below which two photos are different scenes whatever
/// their fingerprints say.
pub const SAME_SCENE_EMBEDDING: f32 = 0.4;

/// A photo as the grouping sees it.
#[derive(Debug, Clone, Copy)]
pub struct Shot<'a> {
    pub embedding: &'a [f32],
    pub fingerprint: Option<&'a CoverHash>,
}

fn cosine(a: &[f32], b: &[f32]) -> f32 {
    let (mut dot, mut aa, mut bb) = (0f32, 0f32, 0f32);
    for (x, y) in a.iter().zip(b) {
        dot += x * y;
        aa += x * x;
        bb += y * y;
    }
    if aa == 0.0 || bb == 0.0 {
        0.0
    } else {
        dot / (aa.sqrt() * bb.sqrt())
    }
}

/// Whether two photos are near-duplicates. A photo without a fingerprint is like no other.
pub fn near_duplicates(a: &Shot<'_>, b: &Shot<'_>) -> bool {
    let (Some(fa), Some(fb)) = (a.fingerprint, b.fingerprint) else {
        return false;
    };
    a.embedding.len() == b.embedding.len()
        && fa.similarity(fb) >= SAME_SCENE_FINGERPRINT
        && cosine(a.embedding, b.embedding) >= SAME_SCENE_EMBEDDING
}

/// The groups of near-duplicates among `shots`, as indices in increasing order; photos like
/// no other are left out.
pub fn groups(shots: &[Shot<'_>]) -> Vec<Vec<usize>> {
    let mut parent: Vec<usize> = (0..shots.len()).collect();
    fn root(parent: &mut [usize], mut i: usize) -> usize {
        while parent[i] != i {
            parent[i] = parent[parent[i]];
            i = parent[i];
        }
        i
    }
    for a in 0..shots.len() {
        for b in a + 1..shots.len() {
            if near_duplicates(&shots[a], &shots[b]) {
                let (ra, rb) = (root(&mut parent, a), root(&mut parent, b));
                if ra != rb {
                    parent[ra.max(rb)] = ra.min(rb);
                }
            }
        }
    }
    let mut by_root: HashMap<usize, Vec<usize>> = HashMap::new();
    for i in 0..shots.len() {
        let r = root(&mut parent, i);
        by_root.entry(r).or_default().push(i);
    }
    let mut groups: Vec<Vec<usize>> = by_root.into_values().filter(|g| g.len() > 1).collect();
    groups.sort();
    groups
}

/// The groups of near-duplicate photos of the collection, as photo ids in import order.
pub fn similar_photos(db: &mut Database) -> Result<Vec<Vec<i64>>, RoundError> {
    let model_id = rounds::embedding_model(db)?;
    let embeddings: HashMap<i64, Vec<f32>> = db
        .embeddings(Subject::Photo, &model_id)?
        .into_iter()
        .collect();
    let fingerprints: HashMap<i64, CoverHash> = db
        .photo_fingerprints()?
        .into_iter()
        .filter_map(|(id, bytes)| Some((id, CoverHash::from_bytes(&bytes)?)))
        .collect();
    let mut ids: Vec<i64> = embeddings.keys().copied().collect();
    ids.sort_unstable();
    let shots: Vec<Shot<'_>> = ids
        .iter()
        .map(|id| Shot {
            embedding: &embeddings[id],
            fingerprint: fingerprints.get(id),
        })
        .collect();
    Ok(groups(&shots)
        .into_iter()
        .map(|group| group.into_iter().map(|i| ids[i]).collect())
        .collect())
}
