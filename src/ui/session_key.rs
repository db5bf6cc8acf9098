//! The ComicVine key typed in Preferences on a computer without a keyring: kept in memory
//! until the app closes, never written anywhere.

use std::sync::Mutex;

use crate::catalog::{self, ApiKey, CatalogError};
use crate::db::Database;

static SESSION_KEY: Mutex<Option<ApiKey>> = Mutex::new(None);

/// Keeps `key` for the rest of this run of the app.
pub fn remember(key: ApiKey) {
    if let Ok(mut slot) = SESSION_KEY.lock() {
        *slot = Some(key);
    }
}

/// Forgets the key kept for this run.
pub fn forget() {
    if let Ok(mut slot) = SESSION_KEY.lock() {
        *slot = None;
    }
}

/// Whether a key is kept for this run.
pub fn is_kept() -> bool {
    SESSION_KEY.lock().is_ok_and(|slot| slot.is_some())
}

/// The key the app uses: the environment variable, else the one kept for this run, else the
/// stored ones ([`catalog::api_key`]).
pub fn api_key(db: &mut Database) -> Result<ApiKey, CatalogError> {
    if std::env::var_os(catalog::KEY_VARIABLE).is_none()
        && let Some(key) = SESSION_KEY.lock().ok().and_then(|slot| slot.clone())
    {
        return Ok(key);
    }
    catalog::api_key(db)
}
