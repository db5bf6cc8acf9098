//! The comics page's worker for the collection: it reads the comics for the grid, a page at a
//! time, and scans the folders the user adds. It has its own database connection on its own
//! thread, so a long scan never freezes the window; a scan stops between two files when its
//! cancel token is set, keeping the comics already added.

use crate::ui::failure::{Failure, JobError, send};
use std::path::PathBuf;

use relm4::{ComponentSender, Worker};

use crate::ui::background::give_way_to_the_window;
use crate::ui::collection_file::{Connection, OpenCollection};

use crate::db::{self, ComicTileRow, Database};
use crate::i18n::gettext;
use crate::jobs::{CancelToken, Outcome, ProgressMonitor};
use crate::library::{self, ScanEvent, ScanOptions, ThumbnailStore};
use crate::ui::settings::SharedSettings;

/// Comics read per message to the page.
const PAGE: i64 = 2_000;
/// Reasons kept for the files a scan skipped.
const REASONS_KEPT: usize = 50;

#[derive(Debug)]
pub enum CollectionInput {
    /// Open the collection (another part of the app has brought its schema up to date), the
    /// one the app has open now.
    Open,
    /// Read the whole collection for the grid.
    Load,
    /// Add the comic files under `folder`, reporting into `progress`.
    Scan {
        folder: PathBuf,
        cancel: CancelToken,
        progress: ProgressMonitor,
    },
}

/// How a scan went, for the toast.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScanReport {
    pub outcome: Outcome,
    pub added: u64,
    pub known: u64,
    pub skipped: u64,
    /// Why files were skipped, the first few.
    pub reasons: Vec<String>,
}

#[derive(Debug)]
pub enum CollectionOutput {
    Opened(ThumbnailStore),
    /// Comics of the collection in id order; `last` ends the reading.
    Comics {
        rows: Vec<ComicTileRow>,
        first: bool,
        last: bool,
    },
    Scanned(ScanReport),
    Failed(JobError),
}

pub struct Collection {
    /// The collection's settings, read when each job starts.
    settings: SharedSettings,
    /// Where the grid takes its covers from, as last sent to the page.
    shown: Option<ThumbnailStore>,
    /// The worker's thread runs behind the window (set on its first message).
    lowered: bool,
    connection: Connection<Database>,
}

impl Worker for Collection {
    type Init = (OpenCollection, SharedSettings);
    type Input = CollectionInput;
    type Output = CollectionOutput;

    fn init((collection, settings): Self::Init, _sender: ComponentSender<Self>) -> Self {
        // Nothing heavy here: init runs before the worker's thread takes over.
        Self {
            settings,
            shown: None,
            connection: Connection::new(collection),
            lowered: false,
        }
    }

    fn update(&mut self, message: CollectionInput, sender: ComponentSender<Self>) {
        if !std::mem::replace(&mut self.lowered, true) {
            give_way_to_the_window();
        }
        let result = match message {
            CollectionInput::Open => self.open(&sender),
            CollectionInput::Load => self.load(&sender),
            CollectionInput::Scan {
                folder,
                cancel,
                progress,
            } => self.scan(folder, &cancel, &progress, &sender),
        };
        if let Err(reason) = result {
            send(&sender, CollectionOutput::Failed(reason));
        }
    }
}

/// Why a job cannot run before the database is open.
pub fn not_open() -> JobError {
    JobError::Collection(Failure::from(gettext(
        "The collection is still being opened; try again in a moment.",
    )))
}

impl Collection {
    fn open(&mut self, sender: &ComponentSender<Self>) -> Result<(), JobError> {
        self.connection.close_if_switched();
        let path = self.connection.collection().path();
        let database = db::open(&path).map_err(JobError::from)?;
        self.connection.set(database);
        self.shown = None;
        self.load(sender)
    }

    fn database(&mut self) -> Result<&mut Database, JobError> {
        self.connection.get().ok_or_else(not_open)
    }

    /// Where the covers are with the settings as they are now; the grid is told when that
    /// changed since it last heard.
    fn store(&mut self, sender: &ComponentSender<Self>) -> Result<ThumbnailStore, JobError> {
        let settings = self.settings.current();
        let store = settings
            .thumbnail_store(self.database()?)
            .map_err(JobError::from)?;
        if self.shown.as_ref() != Some(&store) {
            self.shown = Some(store.clone());
            send(sender, CollectionOutput::Opened(store.clone()));
        }
        Ok(store)
    }

    fn load(&mut self, sender: &ComponentSender<Self>) -> Result<(), JobError> {
        self.store(sender)?;
        let database = self.database()?;
        let mut after = 0;
        let mut first = true;
        loop {
            let rows = database.comic_tiles(after, PAGE).map_err(JobError::from)?;
            let last = rows.len() < usize::try_from(PAGE).unwrap_or(usize::MAX);
            if let Some(row) = rows.last() {
                after = row.id_comicbook;
            }
            send(sender, CollectionOutput::Comics { rows, first, last });
            if last {
                return Ok(());
            }
            first = false;
        }
    }

    fn scan(
        &mut self,
        folder: PathBuf,
        cancel: &CancelToken,
        monitor: &ProgressMonitor,
        sender: &ComponentSender<Self>,
    ) -> Result<(), JobError> {
        let options = ScanOptions::new(self.store(sender)?);
        let database = self.database()?;
        let mut reasons = Vec::new();
        let summary = library::scan(
            database,
            std::slice::from_ref(&folder),
            &options,
            cancel,
            &mut |event| match event {
                ScanEvent::Progress(progress) => monitor.reached(progress.done, progress.total),
                ScanEvent::Skipped { error, .. } => {
                    if reasons.len() < REASONS_KEPT {
                        reasons.push(error.to_string());
                    }
                }
                ScanEvent::Found { .. }
                | ScanEvent::Added { .. }
                | ScanEvent::Known { .. }
                | ScanEvent::Missing { .. } => {}
            },
        )
        .map_err(JobError::from)?;
        send(
            sender,
            CollectionOutput::Scanned(ScanReport {
                outcome: summary.outcome,
                added: summary.added,
                known: summary.known,
                skipped: summary.skipped,
                reasons,
            }),
        );
        // After a switch to another collection, the page reads the new one itself.
        match self.connection.get() {
            Some(_) => self.load(sender),
            None => Ok(()),
        }
    }
}
