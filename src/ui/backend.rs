//! The background worker that owns the database for the app and asks libtorch what it can do.
//! It runs on its own thread, so opening a large database or initialising CUDA never freezes
//! the window. Results come back as typed messages.

use std::path::PathBuf;

use relm4::{ComponentSender, Worker};

use crate::clip::RuntimeInfo;
use crate::db::{self, CollectionSummary, Database};

#[derive(Debug)]
pub enum BackendInput {
    /// Open the database (once, at start-up).
    Open,
    /// Count the collection again.
    Refresh,
    /// Ask libtorch which devices it can use.
    DetectRuntime,
}

#[derive(Debug, Clone)]
pub enum BackendOutput {
    Opened {
        location: String,
        summary: CollectionSummary,
    },
    Summary(CollectionSummary),
    Runtime(RuntimeInfo),
    Failed(String),
}

pub struct Backend {
    path: PathBuf,
    database: Option<Database>,
}

impl Worker for Backend {
    type Init = PathBuf;
    type Input = BackendInput;
    type Output = BackendOutput;

    fn init(path: Self::Init, _sender: ComponentSender<Self>) -> Self {
        // Nothing heavy here: init runs before the worker's thread takes over.
        Self {
            path,
            database: None,
        }
    }

    fn update(&mut self, message: BackendInput, sender: ComponentSender<Self>) {
        let reply = match message {
            BackendInput::Open => self.open(),
            BackendInput::Refresh => self.summary().map(BackendOutput::Summary),
            BackendInput::DetectRuntime => Ok(BackendOutput::Runtime(RuntimeInfo::detect())),
        };
        let reply = reply.unwrap_or_else(BackendOutput::Failed);
        if sender.output(reply).is_err() {
            tracing::debug!("the window closed before the backend replied");
        }
    }
}

impl Backend {
    fn open(&mut self) -> Result<BackendOutput, String> {
        let database = db::open(&self.path).map_err(|e| e.to_string())?;
        let location = database.location().to_string();
        self.database = Some(database);
        let summary = self.summary()?;
        Ok(BackendOutput::Opened { location, summary })
    }

    fn summary(&mut self) -> Result<CollectionSummary, String> {
        let database = self
            .database
            .as_mut()
            .ok_or_else(|| "the database is not open".to_owned())?;
        database.collection_summary().map_err(|e| e.to_string())
    }
}
