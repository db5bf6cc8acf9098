//! The thresholds of the visual and the semantic filter, saved in the database so that the
//! command line and the app set photos aside the same way, and what they set aside. Filters
//! only sort: a photo set aside is kept, shown, and can still be labelled and scored.

use serde::{Deserialize, Serialize};

use super::metrics::{VisualFilter, VisualIssue};
use super::semantics::SemanticFilter;
use crate::db::{Database, DbError};

/// The `vz_settings` key holding the thresholds as JSON.
pub const FILTERS_KEY: &str = "interiors.filters";

#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Filters {
    pub visual: VisualFilter,
    pub semantic: SemanticFilter,
}

impl Filters {
    /// The saved thresholds; the defaults when none were saved or they cannot be read.
    pub fn load(db: &mut Database) -> Result<Self, DbError> {
        let Some(saved) = db.setting(FILTERS_KEY)? else {
            return Ok(Self::default());
        };
        Ok(serde_json::from_str(&saved).unwrap_or_else(|error| {
            tracing::warn!(
                "the saved filter thresholds cannot be read ({error}); using the defaults"
            );
            Self::default()
        }))
    }

    pub fn save(&self, db: &mut Database) -> Result<(), DbError> {
        let json = serde_json::to_string(self).unwrap_or_default();
        db.set_setting(FILTERS_KEY, &json)
    }
}

/// How many photos each filter sets aside. A photo can be set aside for several reasons.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct FilterReport {
    pub photos: usize,
    pub kept: usize,
    pub too_dark: usize,
    pub too_bright: usize,
    pub low_contrast: usize,
    pub blurry: usize,
    pub too_small: usize,
    /// The text tower does not see an interior room.
    pub not_a_room: usize,
    /// Imported before they could be measured: neither kept nor set aside.
    pub unmeasured: usize,
}

impl FilterReport {
    pub fn set_aside(&self) -> usize {
        self.photos - self.kept - self.unmeasured
    }
}

/// Runs both filters over every photo from what was measured at import.
pub fn report(db: &mut Database, filters: &Filters) -> Result<FilterReport, DbError> {
    let metrics = db.photo_metrics()?;
    let photos = db.photos()?;
    let mut report = FilterReport {
        photos: photos.len(),
        ..FilterReport::default()
    };
    for photo in photos {
        let (Some(measured), Some(indoor_score), Some(room_score)) =
            (metrics.get(&photo.id), photo.indoor_score, photo.room_score)
        else {
            report.unmeasured += 1;
            continue;
        };
        let issues = filters.visual.issues(measured);
        for issue in &issues {
            match issue {
                VisualIssue::TooDark => report.too_dark += 1,
                VisualIssue::TooBright => report.too_bright += 1,
                VisualIssue::LowContrast => report.low_contrast += 1,
                VisualIssue::Blurry => report.blurry += 1,
                VisualIssue::TooSmall => report.too_small += 1,
            }
        }
        let room = filters.semantic.passes_scores(indoor_score, room_score);
        if !room {
            report.not_a_room += 1;
        }
        if issues.is_empty() && room {
            report.kept += 1;
        }
    }
    Ok(report)
}
