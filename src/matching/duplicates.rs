//! Owned comics that are the same issue twice (a re-scan, another format): comics classified
//! to the same catalog issue with the same cover, and unclassified comics whose cover is the
//! same picture. Finding them reads only; moving the unwanted copy to the trash is the
//! caller's, through the trash flag Babelcomics4 uses.
//!
//! "The same cover" is decided by the perceptual fingerprint ([`super::hash`]) and, when both
//! comics have one for the model, the embedding, so a variant cover of an issue is never taken
//! for a copy of its regular cover: comics classified to an issue with several covers are
//! grouped by the cover their picture agrees with. Comics in the trash are left out.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use crate::db::Database;
use crate::db::embeddings::Subject;
use crate::i18n::gettext;
use crate::imaging::DecodeLimits;
use crate::library::ThumbnailStore;

use super::hash::CoverHash;
use super::{MatchingError, catalog_cover_file, owned_cover_picture};

/// Fingerprint agreement from which two owned covers count as the same picture.
const SAME_PICTURE: f32 = 0.85;
/// Embedding similarity below which two covers are different pictures whatever their
/// fingerprints say. The fingerprint decides (variant covers of one issue correlate far below
/// [`SAME_PICTURE`]); the embedding only vetoes a fingerprint fooled by two flat pictures, so
/// the bar is low enough for any model, a weak one included.
const SAME_EMBEDDING: f32 = 0.5;

/// Why the comics of a group are taken for the same issue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    /// Classified to the same catalog issue, with the same cover.
    SameIssue,
    /// Unclassified, with the same cover picture.
    SameCover,
}

impl Reason {
    /// The word scripts read (`--json`).
    pub fn key(self) -> &'static str {
        match self {
            Self::SameIssue => "same issue",
            Self::SameCover => "same cover",
        }
    }

    /// What it means, in a sentence for the user.
    pub fn describe(self) -> String {
        match self {
            Self::SameIssue => gettext("classified to the same issue"),
            Self::SameCover => gettext("unclassified, with the same cover picture"),
        }
    }
}

/// Comics that are the same issue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    /// `comicbooks.id_comicbook`, ascending.
    pub comics: Vec<i32>,
    /// Their paths, in the order of `comics`.
    pub paths: Vec<String>,
    /// The catalog issue they are classified to; `None` for unclassified comics.
    pub issue: Option<i32>,
    pub reason: Reason,
}

/// The fingerprints of owned covers already read, by comic and path: a window that looks for
/// duplicates again after each change reads each cover once. The catalog's are not kept.
#[derive(Debug, Default)]
pub struct Fingerprints(HashMap<(i32, String), Option<CoverHash>>);

impl Fingerprints {
    fn get(&mut self, store: &ThumbnailStore, id: i32, path: &str) -> Option<CoverHash> {
        *self.0.entry((id, path.to_owned())).or_insert_with(|| {
            owned_cover_picture(store, id, Path::new(path), &DecodeLimits::default())
                .ok()
                .map(|picture| CoverHash::of(&picture))
        })
    }
}

/// Every group of duplicates in the collection, by the first comic of each. `model`: the
/// model whose stored embeddings confirm a same-cover match (fingerprints alone without).
pub fn find(
    db: &mut Database,
    store: &ThumbnailStore,
    model: Option<&str>,
) -> Result<Vec<Group>, MatchingError> {
    find_with(db, store, model, &mut Fingerprints::default())
}

/// [`find`], reusing and adding to the owned covers' `fingerprints`.
pub fn find_with(
    db: &mut Database,
    store: &ThumbnailStore,
    model: Option<&str>,
    fingerprints: &mut Fingerprints,
) -> Result<Vec<Group>, MatchingError> {
    let comics = db.comics_to_classify(true)?;
    let limits = DecodeLimits::default();
    let mut hash_of = |id: i32, path: &str| fingerprints.get(store, id, path);
    let mut groups = Vec::new();

    // Classified: by issue, then by the catalog cover the picture agrees with.
    let mut by_issue: BTreeMap<String, Vec<(i32, &str)>> = BTreeMap::new();
    let mut unclassified: Vec<(i32, &str)> = Vec::new();
    for comic in &comics {
        match comic.id_comicbook_info.as_deref().map(str::trim) {
            Some(issue) if !issue.is_empty() => by_issue
                .entry(issue.to_owned())
                .or_default()
                .push((comic.id_comicbook, &comic.path)),
            _ => unclassified.push((comic.id_comicbook, &comic.path)),
        }
    }
    let mut issue_covers: HashMap<i32, Vec<CoverHash>> = HashMap::new();
    let wanted: Vec<i32> = by_issue
        .iter()
        .filter(|(_, comics)| comics.len() > 1)
        .filter_map(|(issue, _)| issue.parse().ok())
        .collect();
    if !wanted.is_empty() {
        for cover in db.catalog_covers()? {
            if !wanted.contains(&cover.id_comicbook_info) {
                continue;
            }
            let picture = catalog_cover_file(store, &cover)
                .and_then(|file| crate::imaging::load_rgb(&file, &limits).ok());
            if let Some(picture) = picture {
                issue_covers
                    .entry(cover.id_comicbook_info)
                    .or_default()
                    .push(CoverHash::of(&picture));
            }
        }
    }
    for (issue, members) in by_issue.into_iter().filter(|(_, m)| m.len() > 1) {
        let id = issue.parse::<i32>().ok();
        let covers = id.and_then(|id| issue_covers.get(&id));
        // Which of the issue's covers each comic is; all one when the issue has one cover or
        // the picture cannot be read.
        let mut by_cover: BTreeMap<usize, Vec<(i32, &str)>> = BTreeMap::new();
        for (comic, path) in members {
            let cover = match covers.filter(|c| c.len() > 1) {
                Some(covers) => hash_of(comic, path).map_or(0, |hash| {
                    covers
                        .iter()
                        .enumerate()
                        .max_by(|a, b| hash.similarity(a.1).total_cmp(&hash.similarity(b.1)))
                        .map_or(0, |(at, _)| at)
                }),
                None => 0,
            };
            by_cover.entry(cover).or_default().push((comic, path));
        }
        for members in by_cover.into_values().filter(|m| m.len() > 1) {
            groups.push(group(members, id, Reason::SameIssue));
        }
    }

    // Unclassified: the same picture, by fingerprint and embedding.
    let vectors: HashMap<i64, Vec<f32>> = match model {
        Some(model) => db.embeddings(Subject::Comic, model)?.into_iter().collect(),
        None => HashMap::new(),
    };
    let hashes: Vec<Option<CoverHash>> = unclassified
        .iter()
        .map(|(id, path)| hash_of(*id, path))
        .collect();
    let mut parent: Vec<usize> = (0..unclassified.len()).collect();
    fn root(parent: &mut [usize], mut at: usize) -> usize {
        while parent[at] != at {
            parent[at] = parent[parent[at]];
            at = parent[at];
        }
        at
    }
    for a in 0..unclassified.len() {
        let Some(hash_a) = hashes[a] else { continue };
        for (b, hash_b) in hashes.iter().enumerate().skip(a + 1) {
            let Some(hash_b) = hash_b else { continue };
            if hash_a.similarity(hash_b) < SAME_PICTURE {
                continue;
            }
            let vector = |at: usize| vectors.get(&i64::from(unclassified[at].0));
            if let (Some(va), Some(vb)) = (vector(a), vector(b))
                && dot(va, vb) < SAME_EMBEDDING
            {
                continue;
            }
            let (ra, rb) = (root(&mut parent, a), root(&mut parent, b));
            parent[ra.max(rb)] = ra.min(rb);
        }
    }
    let mut clusters: BTreeMap<usize, Vec<(i32, &str)>> = BTreeMap::new();
    for (at, comic) in unclassified.iter().enumerate() {
        let r = root(&mut parent, at);
        clusters.entry(r).or_default().push(*comic);
    }
    for members in clusters.into_values().filter(|m| m.len() > 1) {
        groups.push(group(members, None, Reason::SameCover));
    }
    groups.sort_by_key(|g| g.comics.first().copied());
    Ok(groups)
}

fn group(mut members: Vec<(i32, &str)>, issue: Option<i32>, reason: Reason) -> Group {
    members.sort_by_key(|(id, _)| *id);
    Group {
        comics: members.iter().map(|(id, _)| *id).collect(),
        paths: members.iter().map(|(_, path)| (*path).to_owned()).collect(),
        issue,
        reason,
    }
}

fn dot(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}
