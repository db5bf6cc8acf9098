//! Why a job of the UI's workers failed, by kind, so that a page can offer the way out that fits
//! (Preferences for the model or the ComicVine key, another collection for a collection that
//! cannot be used), and how workers hand their results to pages.

use std::fmt::Display;

use relm4::adw;
use relm4::{Component, ComponentSender};

use crate::catalog::CatalogError;
use crate::clip::ClipError;
use crate::db::DbError;
use crate::i18n::gettext;
use crate::interiors::charts::ChartError;
use crate::interiors::import::ImportError;
use crate::interiors::rounds::RoundError;
use crate::interiors::training::TrainingError;
use crate::library::LibraryError;
use crate::library::scan::ScanError;
use crate::matching::MatchingError;

/// What went wrong, each with the one-line message the page shows.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JobError {
    /// The collection's database cannot be opened, read or written.
    #[error("{0}")]
    Collection(String),
    /// The CLIP model cannot be found, downloaded, loaded or run.
    #[error("{0}")]
    Model(String),
    /// ComicVine cannot be reached, or refused the request (the API key, its limits).
    #[error("{0}")]
    Catalog(String),
    /// What the job needs is not there yet: catalog covers to compare with, labels to learn.
    #[error("{0}")]
    NotReady(String),
    /// Files or folders cannot be read or written: pictures, comics, charts.
    #[error("{0}")]
    Files(String),
}

impl JobError {
    pub fn collection(error: impl Display) -> Self {
        Self::Collection(error.to_string())
    }

    pub fn model(error: impl Display) -> Self {
        Self::Model(error.to_string())
    }

    pub fn files(error: impl Display) -> Self {
        Self::Files(error.to_string())
    }

    pub fn not_ready(error: impl Display) -> Self {
        Self::NotReady(error.to_string())
    }

    /// A toast that stays until dismissed, with the button that leads out of this failure.
    pub fn toast(&self) -> adw::Toast {
        let toast = adw::Toast::builder()
            .title(self.to_string())
            .timeout(0)
            .build();
        let way_out = match self {
            Self::Model(_) | Self::Catalog(_) => Some((gettext("Preferences"), "app.preferences")),
            Self::Collection(_) => {
                Some((gettext("Open Another Collection…"), "app.open-collection"))
            }
            Self::NotReady(_) | Self::Files(_) => None,
        };
        if let Some((label, action)) = way_out {
            toast.set_button_label(Some(&label));
            toast.set_action_name(Some(action));
        }
        toast
    }
}

impl From<DbError> for JobError {
    fn from(error: DbError) -> Self {
        Self::collection(error)
    }
}

impl From<ClipError> for JobError {
    fn from(error: ClipError) -> Self {
        Self::model(error)
    }
}

impl From<CatalogError> for JobError {
    fn from(error: CatalogError) -> Self {
        Self::Catalog(error.to_string())
    }
}

impl From<ChartError> for JobError {
    fn from(error: ChartError) -> Self {
        Self::files(error)
    }
}

impl From<LibraryError> for JobError {
    fn from(error: LibraryError) -> Self {
        Self::files(error)
    }
}

impl From<TrainingError> for JobError {
    fn from(error: TrainingError) -> Self {
        Self::not_ready(error)
    }
}

impl From<MatchingError> for JobError {
    fn from(error: MatchingError) -> Self {
        match error {
            MatchingError::Db(error) => error.into(),
            MatchingError::Clip(error) => error.into(),
            other => Self::not_ready(other),
        }
    }
}

impl From<ImportError> for JobError {
    fn from(error: ImportError) -> Self {
        match error {
            ImportError::Database(error) => error.into(),
            ImportError::Model(error) => error.into(),
        }
    }
}

impl From<RoundError> for JobError {
    fn from(error: RoundError) -> Self {
        match error {
            RoundError::Database(error) => error.into(),
            RoundError::DamagedRound { .. } => Self::collection(error),
            other => Self::not_ready(other),
        }
    }
}

impl From<ScanError> for JobError {
    fn from(error: ScanError) -> Self {
        match error {
            ScanError::Database(error) => error.into(),
            other => Self::files(other),
        }
    }
}

/// Hands `output` from component or worker `C` to whoever started it; one closed meanwhile (a
/// page gone with its window) is logged, not an error.
pub fn send<C: Component>(sender: &ComponentSender<C>, output: C::Output) {
    if sender.output(output).is_err() {
        tracing::debug!("nobody listens to {} any more", std::any::type_name::<C>());
    }
}
