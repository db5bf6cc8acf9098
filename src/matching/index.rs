//! The catalog's cover embeddings in one contiguous buffer, searched by brute force: a dot
//! product with every cover (the vectors are L2-normalised, so it is the cosine similarity).
//!
//! The vectors are kept in half precision, two bytes a value: 200,000 covers of 512 values
//! take 205 MB, 2,000,000 take 2 GB. Searching converts one block of covers at a time to
//! single precision and multiplies it with a block of queries, so the search needs only a
//! block's worth of memory on top of the index, and runs at the speed of single-precision
//! matrix products on any processor. Half precision keeps three significant digits of a
//! similarity, far finer than any decision made on it.
//!
//! Covers are grouped by issue here, so that the variant covers of one issue are one
//! candidate: the issue scores as its best-matching cover.

use std::collections::HashMap;

use half::f16;
use half::slice::HalfFloatSliceExt;
use rayon::prelude::*;

use super::MatchingError;
use crate::db::matching::CatalogCoverRow;

/// Queries per matrix product in [`CoverIndex::nearest_issues_many`].
const QUERY_BLOCK: usize = 256;
/// Covers per matrix product: 32,768 covers of 512 values are 64 MB in single precision, and
/// the similarities of a block of queries with them 32 MB.
const COVER_BLOCK: usize = 32_768;

/// A catalog issue that has at least one embedded cover.
#[derive(Debug, Clone, PartialEq)]
pub struct Issue {
    pub id_comicbook_info: i32,
    pub id_volume: i32,
    pub volume: String,
    pub numero: String,
    pub fecha_tapa: i32,
    /// Positions of its covers in [`CoverIndex::covers`].
    pub covers: Vec<usize>,
}

/// An issue's best cover for one query.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct IssueHit {
    /// Position in [`CoverIndex::issues`].
    pub issue: usize,
    /// Position in [`CoverIndex::covers`] of its most similar cover.
    pub cover: usize,
    pub similarity: f32,
}

/// Every embedded catalog cover, by issue.
#[derive(Debug, Default)]
pub struct CoverIndex {
    dims: usize,
    vectors: Vec<f16>,
    /// The cover rows, in the order of `vectors`.
    pub covers: Vec<CatalogCoverRow>,
    /// For each cover, its position in `issues`.
    cover_issue: Vec<usize>,
    pub issues: Vec<Issue>,
}

impl CoverIndex {
    /// Builds the index from the catalog's covers and their embeddings (by cover id); covers
    /// without an embedding, or with one of another length, are left out.
    pub fn new(rows: Vec<CatalogCoverRow>, embeddings: Vec<(i64, Vec<f32>)>) -> Self {
        let dims = embeddings.first().map_or(0, |(_, v)| v.len());
        let mut by_cover: HashMap<i64, Vec<f32>> = embeddings
            .into_iter()
            .filter(|(_, v)| v.len() == dims)
            .collect();
        let mut index = Self {
            dims,
            ..Self::default()
        };
        let mut issue_at: HashMap<i32, usize> = HashMap::new();
        for row in rows {
            let Some(vector) = by_cover.remove(&i64::from(row.id_cover)) else {
                continue;
            };
            let issue = *issue_at.entry(row.id_comicbook_info).or_insert_with(|| {
                index.issues.push(Issue {
                    id_comicbook_info: row.id_comicbook_info,
                    id_volume: row.id_volume,
                    volume: row.volume_name.clone(),
                    numero: row.numero.clone(),
                    fecha_tapa: row.fecha_tapa,
                    covers: Vec::new(),
                });
                index.issues.len() - 1
            });
            index.issues[issue].covers.push(index.covers.len());
            index.cover_issue.push(issue);
            let at = index.vectors.len();
            index.vectors.resize(at + dims, f16::ZERO);
            index.vectors[at..].convert_from_f32_slice(&vector);
            index.covers.push(row);
        }
        index
    }

    pub fn len(&self) -> usize {
        self.covers.len()
    }

    pub fn is_empty(&self) -> bool {
        self.covers.is_empty()
    }

    pub fn dims(&self) -> usize {
        self.dims
    }

    /// Bytes the cover vectors take in memory.
    pub fn memory_bytes(&self) -> usize {
        std::mem::size_of_val(self.vectors.as_slice())
    }

    /// Cosine similarity of two covers' embeddings.
    pub fn cover_similarity(&self, a: usize, b: usize) -> f32 {
        let (a, b) = (
            &self.vectors[a * self.dims..(a + 1) * self.dims],
            &self.vectors[b * self.dims..(b + 1) * self.dims],
        );
        a.iter().zip(b).map(|(x, y)| x.to_f32() * y.to_f32()).sum()
    }

    /// Cosine similarity of `query` with one cover.
    pub fn similarity(&self, query: &[f32], cover: usize) -> f32 {
        dot(
            query,
            &self.vectors[cover * self.dims..(cover + 1) * self.dims],
        )
    }

    /// For each query, what [`nearest_issues`](Self::nearest_issues) gives, computed as matrix
    /// products of blocks of queries with blocks of covers: far faster for many comics than
    /// one scan each. The best covers come from a top-k over covers, then are grouped by issue;
    /// a query whose top covers name too few issues (an issue with very many variants) is
    /// scanned in full.
    pub fn nearest_issues_many(
        &self,
        queries: &[&[f32]],
        count: usize,
    ) -> Result<Vec<Vec<IssueHit>>, MatchingError> {
        self.nearest_issues_in_blocks(queries, count, COVER_BLOCK)
    }

    fn nearest_issues_in_blocks(
        &self,
        queries: &[&[f32]],
        count: usize,
        cover_block: usize,
    ) -> Result<Vec<Vec<IssueHit>>, MatchingError> {
        let mut out: Vec<Vec<IssueHit>> = vec![Vec::new(); queries.len()];
        if self.dims == 0 || self.covers.is_empty() || count == 0 {
            return Ok(out);
        }
        let _no_grad = tch::no_grad_guard();
        let dims = self.dims as i64;
        let k = (count * 4).min(self.covers.len());
        let positions: Vec<usize> = (0..queries.len())
            .filter(|&i| queries[i].len() == self.dims)
            .collect();
        let blocks: Vec<tch::Tensor> = positions
            .chunks(QUERY_BLOCK)
            .map(|block| {
                let mut flat = Vec::with_capacity(block.len() * self.dims);
                for &i in block {
                    flat.extend_from_slice(queries[i]);
                }
                tch::Tensor::from_slice(&flat).view([block.len() as i64, dims])
            })
            .collect();
        // The best covers so far of each query, as (similarity, cover).
        let mut best: Vec<Vec<(f32, usize)>> = vec![Vec::with_capacity(2 * k); positions.len()];
        for start in (0..self.covers.len()).step_by(cover_block.max(1)) {
            let len = cover_block.max(1).min(self.covers.len() - start);
            let covers = tch::Tensor::from_slice(
                &self.vectors[start * self.dims..(start + len) * self.dims],
            )
            .view([len as i64, dims])
            .to_kind(tch::Kind::Float);
            let covers = covers.tr();
            let top = k.min(len);
            for (b, queries) in blocks.iter().enumerate() {
                let (values, indices) = queries.matmul(&covers).topk(top as i64, -1, true, true);
                let values = Vec::<f32>::try_from(values.flatten(0, -1))
                    .map_err(|e| MatchingError::Similarities(e.to_string()))?;
                let indices = Vec::<i64>::try_from(indices.flatten(0, -1))
                    .map_err(|e| MatchingError::Similarities(e.to_string()))?;
                for (row, (values, indices)) in
                    values.chunks(top).zip(indices.chunks(top)).enumerate()
                {
                    let kept = &mut best[b * QUERY_BLOCK + row];
                    kept.extend(
                        values
                            .iter()
                            .zip(indices)
                            .map(|(&value, &index)| (value, start + index as usize)),
                    );
                    kept.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
                    kept.truncate(k);
                }
            }
        }
        for (&query, kept) in positions.iter().zip(&best) {
            let mut hits: Vec<IssueHit> = Vec::with_capacity(count);
            for &(similarity, cover) in kept {
                let issue = self.cover_issue[cover];
                if hits.iter().all(|h| h.issue != issue) {
                    hits.push(IssueHit {
                        issue,
                        cover,
                        similarity,
                    });
                    if hits.len() == count {
                        break;
                    }
                }
            }
            if hits.len() < count.min(self.issues.len()) {
                hits = self.nearest_issues(queries[query], count);
            }
            out[query] = hits;
        }
        Ok(out)
    }

    /// The `count` issues most similar to `query`, each by its best cover, best first.
    /// Empty when `query` has another length than the index.
    pub fn nearest_issues(&self, query: &[f32], count: usize) -> Vec<IssueHit> {
        if query.len() != self.dims || self.dims == 0 {
            return Vec::new();
        }
        let similarities: Vec<f32> = self
            .vectors
            .par_chunks_exact(self.dims)
            .map(|cover| dot(query, cover))
            .collect();
        let mut best: HashMap<usize, IssueHit> = HashMap::new();
        for (cover, similarity) in similarities.into_iter().enumerate() {
            let issue = self.cover_issue[cover];
            let hit = IssueHit {
                issue,
                cover,
                similarity,
            };
            best.entry(issue)
                .and_modify(|known| {
                    if similarity > known.similarity {
                        *known = hit;
                    }
                })
                .or_insert(hit);
        }
        let mut hits: Vec<IssueHit> = best.into_values().collect();
        hits.sort_by(|a, b| {
            b.similarity
                .total_cmp(&a.similarity)
                .then(a.issue.cmp(&b.issue))
        });
        hits.truncate(count);
        hits
    }
}

fn dot(a: &[f32], b: &[f16]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y.to_f32()).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(id_cover: i32, issue: i32) -> CatalogCoverRow {
        CatalogCoverRow {
            id_cover,
            id_comicbook_info: issue,
            id_volume: 1,
            volume_name: "Saga".into(),
            numero: issue.to_string(),
            fecha_tapa: 2012,
            url_imagen: format!("{id_cover}.jpg"),
            variant: 0,
            file_name: None,
        }
    }

    #[test]
    fn variants_of_an_issue_make_one_candidate_at_their_best() {
        let rows = vec![row(1, 10), row(2, 10), row(3, 20), row(4, 30)];
        let embeddings = vec![
            (1, vec![1.0, 0.0]),
            (2, vec![0.6, 0.8]),
            (3, vec![0.8, 0.6]),
            // Cover 4 has no embedding: issue 30 is not a candidate.
        ];
        let index = CoverIndex::new(rows, embeddings);
        let hits = index.nearest_issues(&[0.6, 0.8], 5);
        let found: Vec<(i32, i32)> = hits
            .iter()
            .map(|h| {
                (
                    index.issues[h.issue].id_comicbook_info,
                    index.covers[h.cover].id_cover,
                )
            })
            .collect();
        assert_eq!(found, [(10, 2), (20, 3)]);
        assert!(index.nearest_issues(&[1.0], 5).is_empty());
    }

    #[test]
    fn many_queries_at_once_find_what_one_at_a_time_finds() {
        use crate::random::SplitMix64;
        let mut rng = SplitMix64::new(3);
        let mut unit = |dims: usize| {
            let v: Vec<f32> = (0..dims).map(|_| rng.normal() as f32).collect();
            let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
            v.into_iter().map(|x| x / norm).collect::<Vec<f32>>()
        };
        // 600 covers; issue 0 has 40 variants, so its query must fall back to a full scan.
        let rows: Vec<CatalogCoverRow> = (0..600)
            .map(|i| row(i, if i < 40 { 0 } else { i / 2 }))
            .collect();
        let base = unit(16);
        let embeddings: Vec<(i64, Vec<f32>)> = (0..600)
            .map(|i| {
                let v = if i < 40 {
                    // Variants nearly identical to each other.
                    base.iter().map(|x| x + 0.001 * i as f32).collect()
                } else {
                    unit(16)
                };
                (i64::from(i), v)
            })
            .collect();
        let index = CoverIndex::new(rows, embeddings);
        let mut queries: Vec<Vec<f32>> = (0..300).map(|_| unit(16)).collect();
        queries.push(base.clone());
        queries.push(vec![1.0]);
        let slices: Vec<&[f32]> = queries.iter().map(Vec::as_slice).collect();
        let many = index.nearest_issues_many(&slices, 5).unwrap();
        assert_eq!(many.len(), queries.len());
        // Covers searched in blocks smaller than an issue's variants find the same.
        let blocked = index.nearest_issues_in_blocks(&slices, 5, 7).unwrap();
        for (a, b) in blocked.iter().zip(&many) {
            let issues = |h: &[IssueHit]| h.iter().map(|x| (x.issue, x.cover)).collect::<Vec<_>>();
            assert_eq!(issues(a), issues(b));
        }
        for (query, hits) in queries.iter().zip(&many) {
            let one = index.nearest_issues(query, 5);
            let issues = |h: &[IssueHit]| h.iter().map(|x| x.issue).collect::<Vec<_>>();
            assert_eq!(issues(hits), issues(&one));
            for (a, b) in hits.iter().zip(&one) {
                assert!((a.similarity - b.similarity).abs() < 1e-5);
            }
        }
        assert_eq!(
            many[300].len(),
            5,
            "the crowded issue did not hide the others"
        );
        assert!(
            many[301].is_empty(),
            "a vector of another length finds nothing"
        );
    }
}
