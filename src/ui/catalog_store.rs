//! The background worker behind the catalog window: it lists the volumes in the catalog, asks
//! ComicVine for volumes by name, and imports a volume with its issues and covers through
//! [`crate::catalog::add_volume`], reporting as it goes. It has its own database connection,
//! so a long import never holds up the window or the other workers.

use std::path::PathBuf;

use relm4::{ComponentSender, Worker};

use super::collection_file::{Connection, OpenCollection};
use super::session_key;
use crate::catalog::{
    self, AddVolumeSummary, CatalogEvent, ComicVine, ComicVineOptions, VolumeSummary,
};
use crate::db::catalog::CatalogVolume;
use crate::db::{self, Database};
use crate::jobs::CancelToken;
use crate::library::{ThumbnailStore, thumbnails};
use crate::matching::catalog_cover_file;

pub struct CatalogStoreInit {
    pub collection: OpenCollection,
    /// The thumbnails folder the user chose; else the one the database names.
    pub thumbnails: Option<PathBuf>,
}

#[derive(Debug)]
pub enum CatalogStoreInput {
    LoadVolumes,
    Search(String),
    /// Import volume `id`; `cancel` stops it between two covers.
    Add {
        id: i32,
        cancel: CancelToken,
    },
    /// The app switched to another collection: let go of the old one now.
    CollectionSwitched,
}

/// A volume of the catalog with the file of its first cover, when it is on disk.
#[derive(Debug, Clone)]
pub struct ListedVolume {
    pub volume: CatalogVolume,
    pub cover: Option<(i32, PathBuf)>,
}

#[derive(Debug)]
pub enum CatalogStoreOutput {
    Volumes(Vec<ListedVolume>),
    Results(Vec<VolumeSummary>),
    /// The import has the volume's name.
    Importing(String),
    /// `done` of `total` steps of the import; `listing` while issues are read.
    Progress {
        done: u64,
        total: u64,
        listing: bool,
    },
    Added(AddVolumeSummary),
    Failed(String),
}

pub struct CatalogStore {
    /// The thumbnails folder the user chose; else the one the database names.
    thumbnails: Option<PathBuf>,
    database: Connection<Database>,
}

impl Worker for CatalogStore {
    type Init = CatalogStoreInit;
    type Input = CatalogStoreInput;
    type Output = CatalogStoreOutput;

    fn init(init: Self::Init, _sender: ComponentSender<Self>) -> Self {
        Self {
            thumbnails: init.thumbnails,
            database: Connection::new(init.collection),
        }
    }

    fn update(&mut self, message: CatalogStoreInput, sender: ComponentSender<Self>) {
        let reply = match message {
            CatalogStoreInput::LoadVolumes => self.volumes().map(CatalogStoreOutput::Volumes),
            CatalogStoreInput::Search(query) => self.search(&query),
            CatalogStoreInput::Add { id, cancel } => self.add(id, &cancel, &sender),
            CatalogStoreInput::CollectionSwitched => {
                self.database.close_if_switched();
                return;
            }
        };
        let reply = reply.unwrap_or_else(CatalogStoreOutput::Failed);
        let added = matches!(reply, CatalogStoreOutput::Added(_));
        if sender.output(reply).is_err() {
            tracing::debug!("the catalog window closed before the catalog replied");
        }
        if added && let Ok(volumes) = self.volumes() {
            let _ = sender.output(CatalogStoreOutput::Volumes(volumes));
        }
    }
}

impl CatalogStore {
    fn database(&mut self) -> Result<&mut Database, String> {
        self.database
            .get_or_open(|path| db::open(path).map_err(|e| e.to_string()))
    }

    fn store(&mut self) -> Result<ThumbnailStore, String> {
        let chosen = self.thumbnails.clone();
        let database = self.database()?;
        let base =
            thumbnails::resolve_base(chosen.as_deref(), database).map_err(|e| e.to_string())?;
        Ok(ThumbnailStore::new(base))
    }

    fn volumes(&mut self) -> Result<Vec<ListedVolume>, String> {
        let store = self.store()?;
        let database = self.database()?;
        let mut covers = database.volume_first_covers().map_err(|e| e.to_string())?;
        let volumes = database.catalog_volumes().map_err(|e| e.to_string())?;
        Ok(volumes
            .into_iter()
            .map(|volume| {
                let cover = covers.remove(&volume.id_volume).and_then(|row| {
                    catalog_cover_file(&store, &row).map(|file| (row.id_cover, file))
                });
                ListedVolume { volume, cover }
            })
            .collect())
    }

    fn client(&mut self, cancel: Option<&CancelToken>) -> Result<ComicVine, String> {
        let database = self.database()?;
        let key = session_key::api_key(database).map_err(|e| e.to_string())?;
        let client =
            ComicVine::new(key, ComicVineOptions::from_env()).map_err(|e| e.to_string())?;
        Ok(match cancel {
            Some(cancel) => client.with_cancel(cancel.clone()),
            None => client,
        })
    }

    fn search(&mut self, query: &str) -> Result<CatalogStoreOutput, String> {
        let client = self.client(None)?;
        let page = client.search_volumes(query, 1).map_err(|e| e.to_string())?;
        Ok(CatalogStoreOutput::Results(page.results))
    }

    fn add(
        &mut self,
        id: i32,
        cancel: &CancelToken,
        sender: &ComponentSender<Self>,
    ) -> Result<CatalogStoreOutput, String> {
        let client = self.client(Some(cancel))?;
        let store = self.store()?;
        let database = self.database()?;
        let summary = catalog::add_volume(database, &client, &store, id, cancel, &mut |event| {
            let update = match event {
                CatalogEvent::Volume { name, .. } => CatalogStoreOutput::Importing(name),
                CatalogEvent::IssuesListed { listed, total } => CatalogStoreOutput::Progress {
                    done: listed,
                    total,
                    listing: true,
                },
                CatalogEvent::Downloading { total } => CatalogStoreOutput::Progress {
                    done: 0,
                    total,
                    listing: false,
                },
                CatalogEvent::Progress(progress) => CatalogStoreOutput::Progress {
                    done: progress.done,
                    total: progress.total,
                    listing: false,
                },
                CatalogEvent::CoverSkipped {
                    id_comicbook_info,
                    error,
                } => {
                    tracing::warn!("skipped a cover of issue {id_comicbook_info}: {error}");
                    return;
                }
            };
            let _ = sender.output(update);
        })
        .map_err(|e| e.to_string())?;
        Ok(CatalogStoreOutput::Added(summary))
    }
}
