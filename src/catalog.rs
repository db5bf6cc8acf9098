//! The ComicVine catalog: searching volumes and importing a volume, its issues and every cover
//! into the database and the cover folders exactly as Babelcomics4 keeps them.
//!
//! This module owns every request to ComicVine ([`comicvine`]) and the import that follows
//! ([`import`]), and finds the volumes the collection's comics need ([`missing`]). It never sends a request faster than the client's pace, never prints or logs
//! the API key (nor puts it in an error), and never changes a catalog row that is already there.

pub mod comicvine;
pub mod import;
pub mod keyring;
pub mod missing;
pub mod proxy;

use std::path::PathBuf;

use base64::Engine as _;

use crate::db::{Database, DbError};
use crate::i18n::{fill, gettext};

pub use comicvine::{
    ApiKey, AssociatedImage, ComicVine, ComicVineOptions, Image, Issue, Page, PublisherRef, Volume,
    VolumeSummary,
};
pub use import::{AddVolumeSummary, CatalogEvent, add_volume};

/// The environment variable that holds the ComicVine API key; it wins over stored keys.
pub const KEY_VARIABLE: &str = "VISTAZO_COMICVINE_KEY";

/// The `vz_settings` key under which earlier versions of `vistazo catalog set-key` stored the
/// API key in the database. It is still read; storing the key now moves it to the keyring and
/// clears this.
pub const KEY_SETTING: &str = "comicvine.api-key";

/// Why talking to ComicVine or importing from it failed. URLs in these errors never carry the
/// API key.
#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    #[error(
        "{}",
        gettext(
            "no ComicVine API key: run export VISTAZO_COMICVINE_KEY=your-key (or store it with vistazo catalog set-key) and try again"
        )
    )]
    NoApiKey,
    #[error(
        "{}",
        gettext(
            "ComicVine refused the API key; check it and set it again with export VISTAZO_COMICVINE_KEY=your-key or vistazo catalog set-key"
        )
    )]
    InvalidKey,
    #[error("{}", fill(&gettext("ComicVine has no volume with id {id}"), &[("id", .id)]))]
    VolumeNotFound { id: i32 },
    #[error("{}", fill(&gettext("ComicVine has nothing at {url}"), &[("url", .url)]))]
    NotFound { url: String },
    #[error("{}", fill(&gettext("ComicVine is still limiting requests after {attempts} tries ({url}); wait a while and run the command again: it continues where it stopped"), &[("attempts", .attempts), ("url", .url)]))]
    RateLimited { url: String, attempts: u32 },
    #[error("{}", fill(&gettext("the server answered HTTP {status} for {url}"), &[("status", .status), ("url", .url)]))]
    Http { url: String, status: u16 },
    #[error("{}", fill(&gettext("cannot reach {url}: {detail}"), &[("url", .url), ("detail", .detail)]))]
    Network { url: String, detail: String },
    #[error("{}", fill(&gettext("ComicVine answered {url} with error {code}: {message}"), &[("url", .url), ("code", .status_code), ("message", .message)]))]
    Api {
        url: String,
        status_code: i64,
        message: String,
    },
    #[error("{}", fill(&gettext("ComicVine sent an answer Vistazo cannot read for {url}: {detail}"), &[("url", .url), ("detail", .detail)]))]
    BadResponse { url: String, detail: String },
    #[error("{}", fill(&gettext("the cover {url} cannot be decoded: {detail}"), &[("url", .url), ("detail", .detail)]))]
    BadImage { url: String, detail: String },
    #[error("{}", fill(&gettext("cannot write the cover {path}: {error}"), &[("path", &.path.display()), ("error", .source)]))]
    WriteCover {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}", gettext("stopped on request"))]
    Cancelled,
    #[error(transparent)]
    Db(#[from] DbError),
}

/// The ComicVine API key, from the first place that has one:
/// 1. the `VISTAZO_COMICVINE_KEY` environment variable;
/// 2. the system keyring, where the app's Preferences store it, when a keyring runs and is
///    unlocked (this never asks to unlock it, nor fails when there is none);
/// 3. a key an earlier version stored in the database (`vz_settings`, [`KEY_SETTING`]);
/// 4. Babelcomics4's own setting (`setups.api_key_encrypted`, which is base64).
pub fn api_key(db: &mut Database) -> Result<ApiKey, CatalogError> {
    if let Some(key) = std::env::var(KEY_VARIABLE).ok().and_then(ApiKey::new) {
        return Ok(key);
    }
    match keyring::stored_key_blocking() {
        Ok(Some(key)) => return Ok(key),
        Ok(None) => {}
        Err(error) => tracing::debug!("no ComicVine key from the keyring: {error}"),
    }
    if let Some(key) = db.setting(KEY_SETTING)?.and_then(ApiKey::new) {
        return Ok(key);
    }
    let babelcomics = db.babelcomics_api_key()?.and_then(|encoded| {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(encoded.as_bytes())
            .ok()?;
        ApiKey::new(String::from_utf8(bytes).ok()?)
    });
    babelcomics.ok_or(CatalogError::NoApiKey)
}

/// Stores the key for later runs (`vistazo catalog set-key`) in the system keyring, never in
/// the database, and clears a key an earlier version left in the database. Without a keyring
/// nothing is stored and the error says so.
pub fn store_api_key(db: &mut Database, key: &ApiKey) -> Result<(), StoreKeyError> {
    keyring::store_key_blocking(key)?;
    if db.setting(KEY_SETTING)?.is_some() {
        db.set_setting(KEY_SETTING, "")?;
    }
    Ok(())
}

/// Why `vistazo catalog set-key` could not store the key.
#[derive(Debug, thiserror::Error)]
pub enum StoreKeyError {
    #[error(
        "{}",
        fill(
            &gettext("{error}: the key was not stored (Vistazo keeps it only in the system keyring); give it to each command with export VISTAZO_COMICVINE_KEY=your-key instead"),
            &[("error", .0)]
        )
    )]
    Keyring(#[from] keyring::KeyringError),
    #[error(transparent)]
    Db(#[from] DbError),
}

#[cfg(test)]
mod tests {
    use super::*;
    use diesel::RunQueryDsl;

    #[test]
    fn babelcomics_keys_are_read_from_base64() {
        // The variable would win over both stored keys; the test process never sets it.
        if std::env::var_os(KEY_VARIABLE).is_some() {
            return;
        }
        let mut db = crate::db::open_in_memory().expect("db");
        assert!(matches!(api_key(&mut db), Err(CatalogError::NoApiKey)));
        diesel::sql_query("INSERT INTO setups (setupkey, api_key_encrypted) VALUES (1, ?1)")
            .bind::<diesel::sql_types::Text, _>("c2VjcmV0LWtleQ==")
            .execute(db.conn())
            .expect("insert setups");
        assert_eq!(api_key(&mut db).expect("key").expose(), "secret-key");
        // A key an earlier version stored in the database still counts.
        db.set_setting(KEY_SETTING, "stored").expect("store");
        assert_eq!(api_key(&mut db).expect("key").expose(), "stored");
    }
}
