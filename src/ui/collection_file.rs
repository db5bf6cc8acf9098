//! Which collection file the app has open, shared by every background worker. The window
//! switches collections in place: it asks the backend to open the new file, and once that
//! worked it points this handle at it; each worker then drops its connection to the old file
//! and opens the new one the next time it works, so no worker keeps writing to a collection the
//! user has left. The CLIP model is not here and stays loaded across switches.

use crate::ui::failure::JobError;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

/// The collection file the app works on, shared across threads.
#[derive(Debug, Clone)]
pub struct OpenCollection {
    current: Arc<RwLock<Current>>,
}

#[derive(Debug, Clone)]
struct Current {
    /// Bumped on every switch, so workers notice a switch even back to the same file.
    generation: u64,
    path: PathBuf,
}

impl OpenCollection {
    pub fn new(path: PathBuf) -> Self {
        Self {
            current: Arc::new(RwLock::new(Current {
                generation: 0,
                path,
            })),
        }
    }

    fn current(&self) -> Current {
        match self.current.read() {
            Ok(current) => current.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    pub fn path(&self) -> PathBuf {
        self.current().path
    }

    /// Points every worker at `path`; each reconnects before its next piece of work.
    pub fn switch(&self, path: PathBuf) {
        let mut current = match self.current.write() {
            Ok(current) => current,
            Err(poisoned) => poisoned.into_inner(),
        };
        current.generation += 1;
        current.path = path;
    }
}

/// A worker's connection to the open collection (the database, and whatever the worker derives
/// from it), reopened after a switch.
pub struct Connection<T> {
    collection: OpenCollection,
    /// The generation `opened` belongs to.
    seen: u64,
    opened: Option<T>,
}

impl<T> Connection<T> {
    pub fn new(collection: OpenCollection) -> Self {
        Self {
            collection,
            seen: 0,
            opened: None,
        }
    }

    /// Drops the connection when the app has switched to another collection since it was made.
    /// Returns whether it did.
    pub fn close_if_switched(&mut self) -> bool {
        let generation = self.collection.current().generation;
        if generation == self.seen {
            return false;
        }
        self.seen = generation;
        self.opened.take().is_some()
    }

    /// The connection to the collection open now, made with `open` when there is none.
    pub fn get_or_open(
        &mut self,
        open: impl FnOnce(&Path) -> Result<T, JobError>,
    ) -> Result<&mut T, JobError> {
        self.close_if_switched();
        if self.opened.is_none() {
            let path = self.collection.path();
            self.opened = Some(open(&path)?);
        }
        self.opened.as_mut().ok_or_else(|| {
            JobError::Collection(crate::i18n::gettext("the database is not open").into())
        })
    }

    /// The connection when it is open and still for the open collection.
    pub fn get(&mut self) -> Option<&mut T> {
        self.close_if_switched();
        self.opened.as_mut()
    }

    /// Sets the connection made elsewhere for the collection open now.
    pub fn set(&mut self, opened: T) -> &mut T {
        self.close_if_switched();
        self.opened.insert(opened)
    }

    pub fn collection(&self) -> &OpenCollection {
        &self.collection
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_switch_closes_the_old_connection_and_opens_the_new_file() {
        let collection = OpenCollection::new(PathBuf::from("/a.db"));
        let mut connection: Connection<PathBuf> = Connection::new(collection.clone());
        let opened = connection.get_or_open(|path| Ok(path.to_owned())).unwrap();
        assert_eq!(opened, Path::new("/a.db"));
        assert_eq!(connection.get().cloned(), Some(PathBuf::from("/a.db")));

        collection.switch(PathBuf::from("/b.db"));
        assert_eq!(connection.get(), None, "closed after the switch");
        let opened = connection.get_or_open(|path| Ok(path.to_owned())).unwrap();
        assert_eq!(opened, Path::new("/b.db"));

        // Back to the same file: still a switch, the connection is made again.
        collection.switch(PathBuf::from("/b.db"));
        assert!(connection.close_if_switched());
        assert!(!connection.close_if_switched());
    }

    #[test]
    fn a_failed_open_leaves_no_connection() {
        let collection = OpenCollection::new(PathBuf::from("/a.db"));
        let mut connection: Connection<()> = Connection::new(collection);
        assert_eq!(
            connection
                .get_or_open(|_| Err(JobError::Collection("nope".to_owned().into())))
                .err(),
            Some(JobError::Collection("nope".to_owned().into()))
        );
        assert!(connection.get().is_none());
    }
}
