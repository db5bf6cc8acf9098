//! Why a job of the UI's workers failed, by kind, so that a page can offer the way out that fits
//! (Preferences for the model or the ComicVine key, another collection for a collection that
//! cannot be used), and how workers hand their results to pages.
//!
//! A failure keeps its cause: the toast says the one-line message, and its Details button opens
//! a dialog with the message, the way out, and under "More Information" the chain of causes as
//! the core reported them, to read or copy into a bug report.

use relm4::adw::{self, prelude::*};
use relm4::gtk;
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

/// A failure's one-line message, and what caused it in full when it came from an error of the
/// core.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub message: String,
    pub details: Option<String>,
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl From<String> for Failure {
    fn from(message: String) -> Self {
        Self {
            message,
            details: None,
        }
    }
}

impl Failure {
    /// `error`'s message, with its causes and its full form as details.
    fn of(error: &(dyn std::error::Error + 'static)) -> Self {
        let mut details = Vec::new();
        let mut cause = error.source();
        while let Some(source) = cause {
            details.push(source.to_string());
            cause = source.source();
        }
        details.push(format!("{error:?}"));
        Self {
            message: error.to_string(),
            details: Some(without_keys(&details.join("\n"))),
        }
    }
}

/// `text` with the value of every `api_key=` in it left out: an address ComicVine was asked
/// for carries the person's key.
fn without_keys(text: &str) -> String {
    const KEY: &str = "api_key=";
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(KEY) {
        out.push_str(&rest[..at + KEY.len()]);
        out.push('…');
        rest = &rest[at + KEY.len()..];
        let end = rest
            .find(|c: char| c == '&' || c == '"' || c == '\'' || c.is_whitespace())
            .unwrap_or(rest.len());
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

/// What went wrong, each with the one-line message the page shows.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JobError {
    /// The collection's database cannot be opened, read or written.
    #[error("{0}")]
    Collection(Failure),
    /// The CLIP model cannot be found, downloaded, loaded or run.
    #[error("{0}")]
    Model(Failure),
    /// ComicVine cannot be reached, or refused the request (the API key, its limits).
    #[error("{0}")]
    Catalog(Failure),
    /// What the job needs is not there yet: catalog covers to compare with, labels to learn.
    #[error("{0}")]
    NotReady(Failure),
    /// Files or folders cannot be read or written: pictures, comics, charts.
    #[error("{0}")]
    Files(Failure),
}

impl JobError {
    pub fn collection(error: impl std::error::Error + 'static) -> Self {
        Self::Collection(Failure::of(&error))
    }

    pub fn model(error: impl std::error::Error + 'static) -> Self {
        Self::Model(Failure::of(&error))
    }

    pub fn files(error: impl std::error::Error + 'static) -> Self {
        Self::Files(Failure::of(&error))
    }

    pub fn not_ready(error: impl std::error::Error + 'static) -> Self {
        Self::NotReady(Failure::of(&error))
    }

    fn failure(&self) -> &Failure {
        match self {
            Self::Collection(failure)
            | Self::Model(failure)
            | Self::Catalog(failure)
            | Self::NotReady(failure)
            | Self::Files(failure) => failure,
        }
    }

    /// What the full story of this failure says, beyond its one-line message.
    pub fn details(&self) -> Option<&str> {
        self.failure().details.as_deref()
    }

    /// The button that leads out of this failure: its label and the app's action.
    fn way_out(&self) -> Option<(String, &'static str)> {
        match self {
            Self::Model(_) | Self::Catalog(_) => Some((gettext("Preferences"), "preferences")),
            Self::Collection(_) => Some((gettext("Open Another Collection…"), "open-collection")),
            Self::NotReady(_) | Self::Files(_) => None,
        }
    }

    /// A toast that stays until dismissed: its button shows the details, with the way out of
    /// this failure, or takes the way out at once when there are no details to read.
    pub fn toast(&self) -> adw::Toast {
        let toast = adw::Toast::builder()
            .title(crate::ui::markup(&self.to_string()))
            .timeout(0)
            .build();
        if self.details().is_some() {
            toast.set_button_label(Some(&gettext("_Details")));
            let error = self.clone();
            toast.connect_button_clicked(move |_| error.show_details());
        } else if let Some((label, action)) = self.way_out() {
            toast.set_button_label(Some(&label));
            toast.set_action_name(Some(&format!("app.{action}")));
        }
        toast
    }

    /// A dialog with what kind of failure it is, the message, the way out when there is one,
    /// and the details under "More Information", selectable.
    pub fn show_details(&self) {
        let application = relm4::main_application();
        let heading = match self {
            Self::Collection(_) => gettext("Problem With the Collection"),
            Self::Model(_) => gettext("Problem With the Model"),
            Self::Catalog(_) => gettext("Problem With ComicVine"),
            Self::NotReady(_) => gettext("Not Ready Yet"),
            Self::Files(_) => gettext("Problem With Files"),
        };
        let dialog = adw::MessageDialog::builder()
            .modal(true)
            .heading(heading)
            .body(self.to_string())
            .build();
        if let Some(window) = application.active_window() {
            dialog.set_transient_for(Some(&window));
        }
        if let Some(details) = self.details() {
            let text = gtk::Label::builder()
                .label(details)
                .selectable(true)
                .wrap(true)
                .wrap_mode(gtk::pango::WrapMode::WordChar)
                .xalign(0.0)
                .css_classes(["monospace", "caption"])
                .build();
            let expander = gtk::Expander::builder()
                .label(gettext("More _Information"))
                .use_underline(true)
                .child(&text)
                .build();
            dialog.set_extra_child(Some(&expander));
        }
        dialog.add_response("close", &gettext("_Close"));
        if let Some((label, action)) = self.way_out() {
            dialog.add_response("way-out", &label);
            dialog.set_response_appearance("way-out", adw::ResponseAppearance::Suggested);
            dialog.set_default_response(Some("way-out"));
            dialog.connect_response(Some("way-out"), move |_, _| {
                relm4::main_application().activate_action(action, None);
            });
        }
        crate::ui::accessible::present(&dialog);
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
        Self::Catalog(Failure::of(&error))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failure_keeps_its_causes_for_the_details_and_never_a_key() {
        let io = std::io::Error::other("disk full at https://cv.example/api/?api_key=s3cr3t&x=1");
        let error = JobError::from(crate::library::LibraryError::Io {
            path: "/c/a.cbz".into(),
            source: io,
        });
        let details = error.details().expect("details");
        assert!(details.contains("disk full"), "{details}");
        assert!(!details.contains("s3cr3t"), "{details}");
        assert!(details.contains("api_key=…&x=1"), "{details}");
        let plain = JobError::NotReady(Failure::from("later".to_owned()));
        assert_eq!(plain.details(), None);
        assert_eq!(plain.to_string(), "later");
    }
}
