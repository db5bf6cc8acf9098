//! Search of covers by what they show: the owned comics' covers and the catalog's, ranked by the
//! cosine similarity of their stored CLIP embeddings with a query embedding — the embedding of a
//! description (CLIP embeds text and pictures in one space) or of an example picture.
//!
//! [`SearchIndex::load`] reads the stored embeddings once (half precision, as the matching
//! index keeps them); every [`SearchIndex::search`] then scans them all, in parallel blocks: a
//! query over 200,000 covers takes a few tens of milliseconds on a laptop processor, so a window
//! can search as the user types.

use half::f16;
use half::slice::HalfFloatSliceExt;
use rayon::prelude::*;

use super::MatchingError;
use crate::db::Database;
use crate::db::embeddings::Subject;
use crate::i18n::{fill, gettext};

/// Covers converted to single precision at a time by one thread.
const BLOCK: usize = 1024;

/// Which covers to search.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Scope {
    /// The owned comics' covers and the catalog's.
    #[default]
    Everything,
    Catalog,
    Collection,
}

impl Scope {
    pub fn catalog(self) -> bool {
        self != Self::Collection
    }

    pub fn collection(self) -> bool {
        self != Self::Catalog
    }
}

/// A cover the search found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Found {
    /// An owned comic's cover.
    Comic { id_comicbook: i32, path: String },
    /// A catalog cover, with its issue.
    Catalog {
        id_cover: i32,
        id_comicbook_info: i32,
        volume: String,
        number: String,
    },
}

/// A cover and how similar it is to the query.
#[derive(Debug, Clone, PartialEq)]
pub struct Hit {
    pub found: Found,
    /// The cosine similarity, −1 to 1.
    pub score: f32,
}

/// The stored embeddings of the covers in a scope, for one model.
#[derive(Debug, Default)]
pub struct SearchIndex {
    found: Vec<Found>,
    /// `found.len() × dims` values, row by row.
    vectors: Vec<f16>,
    dims: usize,
}

impl SearchIndex {
    /// The covers of `scope` that have an embedding by `model`. Comics in the trash are left
    /// out.
    pub fn load(db: &mut Database, model: &str, scope: Scope) -> Result<Self, MatchingError> {
        let mut index = Self::default();
        if scope.collection() {
            let comics: std::collections::HashMap<i64, String> = db
                .comics_out_of_the_trash()?
                .into_iter()
                .map(|comic| (i64::from(comic.id_comicbook), comic.path))
                .collect();
            for (id, vector) in db.embeddings(Subject::Comic, model)? {
                if let Some(path) = comics.get(&id) {
                    index.push(
                        Found::Comic {
                            id_comicbook: id as i32,
                            path: path.clone(),
                        },
                        &vector,
                    );
                }
            }
        }
        if scope.catalog() {
            let covers: std::collections::HashMap<i64, _> = db
                .catalog_covers()?
                .into_iter()
                .map(|cover| (i64::from(cover.id_cover), cover))
                .collect();
            for (id, vector) in db.embeddings(Subject::Cover, model)? {
                if let Some(cover) = covers.get(&id) {
                    index.push(
                        Found::Catalog {
                            id_cover: cover.id_cover,
                            id_comicbook_info: cover.id_comicbook_info,
                            volume: cover.volume_name.clone(),
                            number: cover.numero.clone(),
                        },
                        &vector,
                    );
                }
            }
        }
        Ok(index)
    }

    /// An index of `entries`, for benchmarks and tests; vectors of another length than the
    /// first are left out.
    pub fn from_entries(entries: impl IntoIterator<Item = (Found, Vec<f32>)>) -> Self {
        let mut index = Self::default();
        for (found, vector) in entries {
            index.push(found, &vector);
        }
        index
    }

    fn push(&mut self, found: Found, vector: &[f32]) {
        if self.found.is_empty() {
            self.dims = vector.len();
        }
        if vector.len() != self.dims || self.dims == 0 {
            return;
        }
        let at = self.vectors.len();
        self.vectors.resize(at + self.dims, f16::ZERO);
        self.vectors[at..].convert_from_f32_slice(vector);
        self.found.push(found);
    }

    pub fn len(&self) -> usize {
        self.found.len()
    }

    pub fn is_empty(&self) -> bool {
        self.found.is_empty()
    }

    /// How many of the covers are catalog covers.
    pub fn catalog_covers(&self) -> usize {
        self.found
            .iter()
            .filter(|found| matches!(found, Found::Catalog { .. }))
            .count()
    }

    /// The stored embedding of owned comic `id_comicbook`, when the index has it.
    pub fn comic_vector(&self, id_comicbook: i32) -> Option<Vec<f32>> {
        let at = self.found.iter().position(
            |found| matches!(found, Found::Comic { id_comicbook: id, .. } if *id == id_comicbook),
        )?;
        let mut vector = vec![0.0; self.dims];
        self.vectors[at * self.dims..(at + 1) * self.dims].convert_to_f32_slice(&mut vector);
        Some(vector)
    }

    /// The `limit` covers most similar to `query` with a score of at least `min_score`, best
    /// first (ties by position, so the order is the same every time). `query` is normalised
    /// here; the stored embeddings are already.
    pub fn search(
        &self,
        query: &[f32],
        limit: usize,
        min_score: f32,
    ) -> Result<Vec<Hit>, MatchingError> {
        if self.is_empty() || limit == 0 {
            return Ok(Vec::new());
        }
        if query.len() != self.dims {
            return Err(MatchingError::Similarities(fill(
                &gettext("the query has {count} values and the stored embeddings {dims}"),
                &[("count", &query.len()), ("dims", &self.dims)],
            )));
        }
        let norm = query.iter().map(|v| v * v).sum::<f32>().sqrt();
        if norm == 0.0 || !norm.is_finite() {
            return Err(MatchingError::Similarities(gettext(
                "the query's embedding is empty",
            )));
        }
        let query: Vec<f32> = query.iter().map(|v| v / norm).collect();
        let dims = self.dims;
        let scores: Vec<f32> = self
            .vectors
            .par_chunks(BLOCK * dims)
            .flat_map_iter(|block| {
                let mut converted = vec![0.0f32; block.len()];
                block.convert_to_f32_slice(&mut converted);
                converted
                    .chunks_exact(dims)
                    .map(|cover| dot(&query, cover))
                    .collect::<Vec<f32>>()
            })
            .collect();
        let mut ranked: Vec<(usize, f32)> = scores
            .into_iter()
            .enumerate()
            .filter(|(_, score)| *score >= min_score)
            .collect();
        let by_score = |a: &(usize, f32), b: &(usize, f32)| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0));
        if ranked.len() > limit {
            ranked.select_nth_unstable_by(limit - 1, by_score);
            ranked.truncate(limit);
        }
        ranked.sort_by(by_score);
        Ok(ranked
            .into_iter()
            .map(|(at, score)| Hit {
                found: self.found[at].clone(),
                score,
            })
            .collect())
    }
}

fn dot(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// The mean direction of several embeddings (each normalised first): the query for "more like
/// these". `None` when there are none.
pub fn mean_direction(vectors: &[Vec<f32>]) -> Option<Vec<f32>> {
    let dims = vectors.first()?.len();
    let mut sum = vec![0.0f32; dims];
    for vector in vectors.iter().filter(|v| v.len() == dims) {
        let norm = vector.iter().map(|v| v * v).sum::<f32>().sqrt();
        if norm > 0.0 {
            for (total, value) in sum.iter_mut().zip(vector) {
                *total += value / norm;
            }
        }
    }
    let norm = sum.iter().map(|v| v * v).sum::<f32>().sqrt();
    (norm > 0.0).then(|| sum.iter().map(|v| v / norm).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn comic(id: i32) -> Found {
        Found::Comic {
            id_comicbook: id,
            path: format!("{id}.cbz"),
        }
    }

    #[test]
    fn covers_are_ranked_by_cosine_best_first_and_cut_off() {
        let index = SearchIndex::from_entries([
            (comic(1), vec![1.0, 0.0]),
            (comic(2), vec![0.0, 1.0]),
            (comic(3), vec![0.6, 0.8]),
            (comic(4), vec![1.0, 0.0, 0.0]),
        ]);
        assert_eq!(index.len(), 3, "a vector of another length is left out");
        let hits = index.search(&[2.0, 0.0], 10, -1.0).unwrap();
        let order: Vec<&Found> = hits.iter().map(|hit| &hit.found).collect();
        assert_eq!(order, [&comic(1), &comic(3), &comic(2)]);
        assert!((hits[1].score - 0.6).abs() < 1e-3);
        assert_eq!(index.search(&[1.0, 0.0], 2, -1.0).unwrap().len(), 2);
        assert_eq!(index.search(&[1.0, 0.0], 10, 0.5).unwrap().len(), 2);
        assert!(index.search(&[1.0, 0.0, 0.0], 10, 0.0).is_err());
        assert!(index.search(&[0.0, 0.0], 10, 0.0).is_err());
    }

    #[test]
    fn the_mean_direction_weighs_each_example_alike() {
        let mean = mean_direction(&[vec![10.0, 0.0], vec![0.0, 1.0]]).unwrap();
        assert!((mean[0] - mean[1]).abs() < 1e-6);
        assert!(mean_direction(&[]).is_none());
    }
}
