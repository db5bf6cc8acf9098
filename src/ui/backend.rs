//! The background worker that owns the database for the app and asks libtorch what it can do.
//! It runs on its own thread, so opening a large database or initialising CUDA never freezes
//! the window. Results come back as typed messages.

use crate::ui::failure::{JobError, send};
use std::path::PathBuf;

use relm4::{ComponentSender, Worker};

use crate::clip::RuntimeInfo;
use crate::db::discovery::{self, FoundCollection};
use crate::db::{self, CollectionSummary, Database};
use crate::i18n::gettext;
use crate::interiors::rounds::{self, InteriorsSummary};

/// How a collection file is opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpenMode {
    /// At start-up: created when missing (the default collection on a first start).
    Start,
    /// A file the user chose: it must be a SQLite database already.
    Existing,
    /// A new, empty collection: the file must not exist yet.
    New,
}

#[derive(Debug)]
pub enum BackendInput {
    /// Open a collection; the one open now stays open when this one cannot be.
    Open(PathBuf, OpenMode),
    /// Look for the Babelcomics4 databases on this computer.
    FindCollections,
    /// Count the collection again.
    Refresh,
    /// Ask libtorch which devices it can use.
    DetectRuntime,
}

#[derive(Debug, Clone)]
pub enum BackendOutput {
    Opened {
        path: PathBuf,
        summary: CollectionSummary,
        interiors: InteriorsSummary,
    },
    /// `path` could not be opened; the collection open before, if any, still is.
    OpenFailed {
        path: PathBuf,
        reason: String,
    },
    /// The Babelcomics4 databases found on this computer.
    Found(Vec<FoundCollection>),
    Summary(CollectionSummary, InteriorsSummary),
    Runtime(RuntimeInfo),
    Failed(JobError),
}

pub struct Backend {
    database: Option<Database>,
}

impl Worker for Backend {
    type Init = ();
    type Input = BackendInput;
    type Output = BackendOutput;

    fn init((): Self::Init, _sender: ComponentSender<Self>) -> Self {
        // Nothing heavy here: init runs before the worker's thread takes over.
        Self { database: None }
    }

    fn update(&mut self, message: BackendInput, sender: ComponentSender<Self>) {
        let reply = match message {
            BackendInput::Open(path, mode) => Ok(self.open(path, mode)),
            BackendInput::FindCollections => Ok(BackendOutput::Found(find_collections())),
            BackendInput::Refresh => self
                .summaries()
                .map(|(comics, interiors)| BackendOutput::Summary(comics, interiors)),
            BackendInput::DetectRuntime => Ok(BackendOutput::Runtime(RuntimeInfo::detect())),
        };
        let reply = reply.unwrap_or_else(BackendOutput::Failed);
        send(&sender, reply);
    }
}

impl Backend {
    fn open(&mut self, path: PathBuf, mode: OpenMode) -> BackendOutput {
        let opened = match mode {
            OpenMode::Start => db::open(&path),
            OpenMode::Existing => db::open_existing(&path),
            OpenMode::New => db::create_new(&path),
        };
        let summaries = opened.map_err(JobError::from).and_then(|mut database| {
            let comics = database.collection_summary().map_err(JobError::from)?;
            let interiors = rounds::summary(&mut database).map_err(JobError::from)?;
            Ok((database, comics, interiors))
        });
        match summaries {
            Ok((database, summary, interiors)) => {
                // The old connection closes here, once the new one works.
                self.database = Some(database);
                BackendOutput::Opened {
                    path,
                    summary,
                    interiors,
                }
            }
            Err(error) => BackendOutput::OpenFailed {
                path,
                reason: error.to_string(),
            },
        }
    }

    fn database(&mut self) -> Result<&mut Database, JobError> {
        self.database
            .as_mut()
            .ok_or_else(|| JobError::Collection(gettext("the database is not open").into()))
    }

    fn summaries(&mut self) -> Result<(CollectionSummary, InteriorsSummary), JobError> {
        let database = self.database()?;
        let comics = database.collection_summary().map_err(JobError::from)?;
        let interiors = rounds::summary(database).map_err(JobError::from)?;
        Ok((comics, interiors))
    }
}

/// The Babelcomics4 databases in the usual places under the home folder, and the one
/// `$BABELCOMICS4_DB` names.
fn find_collections() -> Vec<FoundCollection> {
    let Some(home) = dirs::home_dir() else {
        return Vec::new();
    };
    let named = std::env::var_os("BABELCOMICS4_DB").map(PathBuf::from);
    discovery::find_babelcomics(&home, named.as_deref())
}
