//! A labeling session: the photos to label in order, where the user is, and the steps to undo.
//! It decides nothing about storage or drawing: each action returns the change to save, and
//! the caller saves it at once.

use std::path::PathBuf;

use super::rounds::LabelCounts;
use super::{LabelSource, Quality};

#[derive(Debug, Clone, PartialEq)]
pub struct SessionPhoto {
    pub id: i64,
    pub path: PathBuf,
    pub label: Option<(Quality, LabelSource)>,
}

/// In which order a session shows the photos.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    /// As they were imported: there is no model yet.
    Import,
    /// The photos the latest model is least sure about first.
    LeastSureFirst,
}

/// A label to save, or a previous label to put back.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LabelChange {
    pub photo_id: i64,
    pub label: Option<(Quality, LabelSource)>,
}

#[derive(Debug, Clone, PartialEq)]
struct Step {
    index: usize,
    previous: Option<(Quality, LabelSource)>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct LabelingSession {
    photos: Vec<SessionPhoto>,
    position: usize,
    steps: Vec<Step>,
}

impl LabelingSession {
    /// Starts at the first photo without a human label.
    pub fn new(photos: Vec<SessionPhoto>) -> Self {
        let position = photos
            .iter()
            .position(|p| !matches!(p.label, Some((_, LabelSource::Human))))
            .unwrap_or(photos.len());
        Self {
            photos,
            position,
            steps: Vec::new(),
        }
    }

    pub fn len(&self) -> usize {
        self.photos.len()
    }

    pub fn is_empty(&self) -> bool {
        self.photos.is_empty()
    }

    /// Index of the current photo; `len()` once the user went past the last one.
    pub fn position(&self) -> usize {
        self.position
    }

    pub fn current(&self) -> Option<&SessionPhoto> {
        self.photos.get(self.position)
    }

    pub fn is_finished(&self) -> bool {
        self.position >= self.photos.len()
    }

    /// Photos without a human label yet.
    pub fn remaining(&self) -> usize {
        self.photos
            .iter()
            .filter(|p| !matches!(p.label, Some((_, LabelSource::Human))))
            .count()
    }

    /// Labels the current photo and moves to the next one.
    pub fn label(&mut self, quality: Quality) -> Option<LabelChange> {
        let photo = self.photos.get_mut(self.position)?;
        let label = Some((quality, LabelSource::Human));
        self.steps.push(Step {
            index: self.position,
            previous: photo.label,
        });
        photo.label = label;
        let change = LabelChange {
            photo_id: photo.id,
            label,
        };
        self.position += 1;
        Some(change)
    }

    /// Moves on without labeling.
    pub fn skip(&mut self) {
        self.forward();
    }

    pub fn forward(&mut self) {
        self.position = (self.position + 1).min(self.photos.len());
    }

    pub fn back(&mut self) {
        self.position = self.position.saturating_sub(1);
    }

    /// Puts the photos not reached yet in the order of `order` (photo ids; those it leaves out
    /// keep their order after it). The current photo, those before it and those the user
    /// labelled (who may come back to them with undo) stay where they are.
    pub fn reorder_ahead(&mut self, order: &[i64]) {
        let fixed = self
            .steps
            .iter()
            .map(|s| s.index + 1)
            .max()
            .unwrap_or(0)
            .max(self.position + 1)
            .min(self.photos.len());
        let rank: std::collections::HashMap<i64, usize> =
            order.iter().enumerate().map(|(r, id)| (*id, r)).collect();
        let mut ahead = self.photos.split_off(fixed);
        // A stable sort: photos the order leaves out keep their order, after the others.
        ahead.sort_by_key(|p| rank.get(&p.id).copied().unwrap_or(usize::MAX));
        self.photos.extend(ahead);
    }

    /// Goes back to the last labelled photo and puts its previous label back.
    pub fn undo(&mut self) -> Option<LabelChange> {
        let step = self.steps.pop()?;
        let photo = &mut self.photos[step.index];
        photo.label = step.previous;
        self.position = step.index;
        Some(LabelChange {
            photo_id: photo.id,
            label: step.previous,
        })
    }

    pub fn can_undo(&self) -> bool {
        !self.steps.is_empty()
    }

    /// Labels of every photo in the session, whoever gave them.
    pub fn counts(&self) -> LabelCounts {
        let mut counts = LabelCounts::default();
        for (quality, _) in self.photos.iter().filter_map(|p| p.label) {
            counts.add(quality);
        }
        counts
    }

    /// The photos to decode ahead: the next `ahead`, then the one before.
    pub fn neighbours(&self, ahead: usize) -> Vec<&SessionPhoto> {
        let mut out: Vec<&SessionPhoto> = self
            .photos
            .iter()
            .skip(self.position + 1)
            .take(ahead)
            .collect();
        if let Some(previous) = self
            .position
            .checked_sub(1)
            .and_then(|i| self.photos.get(i))
        {
            out.push(previous);
        }
        out
    }

    pub fn photo(&self, id: i64) -> Option<&SessionPhoto> {
        self.photos.iter().find(|p| p.id == id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session(labels: &[Option<(Quality, LabelSource)>]) -> LabelingSession {
        LabelingSession::new(
            labels
                .iter()
                .enumerate()
                .map(|(i, label)| SessionPhoto {
                    id: i as i64 + 10,
                    path: PathBuf::from(format!("/p/{i}.jpg")),
                    label: *label,
                })
                .collect(),
        )
    }

    #[test]
    fn a_fresh_order_moves_only_the_photos_not_reached_yet() {
        // Photos 10 to 15; the user labels 10 and 11, steps back to 11, and is shown 11.
        let mut s = session(&[None; 6]);
        s.label(Quality::Bad);
        s.label(Quality::Good);
        s.back();
        assert_eq!(s.current().map(|p| p.id), Some(11));
        s.reorder_ahead(&[15, 13, 10]);
        let ids: Vec<i64> = s.photos.iter().map(|p| p.id).collect();
        assert_eq!(ids, vec![10, 11, 15, 13, 12, 14]);
        assert_eq!(s.current().map(|p| p.id), Some(11));
        // Undo still finds the photo it labelled.
        assert_eq!(s.undo().map(|c| c.photo_id), Some(11));
    }

    #[test]
    fn starts_at_the_first_photo_without_a_human_label() {
        let s = session(&[
            Some((Quality::Good, LabelSource::Human)),
            Some((Quality::Bad, LabelSource::Auto)),
            None,
        ]);
        assert_eq!(s.position(), 1);
        assert_eq!(s.remaining(), 2);
        assert_eq!(s.counts().good, 1);
        assert_eq!(s.counts().bad, 1);
    }

    #[test]
    fn labels_advance_and_undo_returns_to_the_photo_with_its_old_label() {
        let mut s = session(&[None, Some((Quality::Medium, LabelSource::Auto)), None]);
        assert_eq!(
            s.label(Quality::Good),
            Some(LabelChange {
                photo_id: 10,
                label: Some((Quality::Good, LabelSource::Human))
            })
        );
        assert_eq!(s.position(), 1);
        s.label(Quality::Bad).unwrap();
        assert_eq!(s.position(), 2);
        assert_eq!(
            (s.counts().good, s.counts().bad, s.counts().medium),
            (1, 1, 0)
        );

        let undone = s.undo().unwrap();
        assert_eq!(undone.photo_id, 11);
        assert_eq!(undone.label, Some((Quality::Medium, LabelSource::Auto)));
        assert_eq!(s.position(), 1);
        assert_eq!(s.undo().unwrap().label, None);
        assert_eq!(s.position(), 0);
        assert!(s.undo().is_none());
    }

    #[test]
    fn skip_and_moves_stay_in_bounds_and_the_end_is_finished() {
        let mut s = session(&[None, None]);
        s.back();
        assert_eq!(s.position(), 0);
        s.skip();
        s.forward();
        s.forward();
        assert!(s.is_finished());
        assert!(s.current().is_none());
        assert!(s.label(Quality::Good).is_none());
        s.back();
        assert_eq!(s.current().unwrap().id, 11);
    }

    #[test]
    fn neighbours_are_the_next_ones_then_the_previous() {
        let mut s = session(&[None, None, None, None, None]);
        s.forward();
        let ids: Vec<i64> = s.neighbours(2).iter().map(|p| p.id).collect();
        assert_eq!(ids, [12, 13, 10]);
    }
}
