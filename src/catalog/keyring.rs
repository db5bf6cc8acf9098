//! The ComicVine API key in the system keyring: the Secret Service (GNOME Keyring, KWallet) on
//! the host, the secret portal inside Flatpak. A computer without a keyring is normal (a
//! server, a test display): callers learn the keyring is unavailable and go on without it.
//!
//! The key is stored as one item with the attribute `vistazo-secret = comicvine-api-key`.
//! Nothing here logs or returns the key in an error.

use std::future::Future;
use std::time::Duration;

use super::ApiKey;
use crate::i18n::{fill, gettext};

const ATTRIBUTES: [(&str, &str); 1] = [("vistazo-secret", "comicvine-api-key")];

/// How long to wait for the keyring, which D-Bus may have to start first.
const TIMEOUT: Duration = Duration::from_secs(5);

#[derive(Debug, thiserror::Error)]
pub enum KeyringError {
    #[error("{}", fill(&gettext("no system keyring is available ({reason})"), &[("reason", .0)]))]
    Unavailable(String),
    #[error("{}", fill(&gettext("the system keyring did not answer within {seconds} seconds"), &[("seconds", &TIMEOUT.as_secs())]))]
    TimedOut,
    #[error("{}", gettext("the system keyring is locked"))]
    Locked,
    #[error("{}", fill(&gettext("the system keyring failed: {error}"), &[("error", .0)]))]
    Failed(String),
}

async fn open(unlock: bool) -> Result<oo7::Keyring, KeyringError> {
    let keyring = oo7::Keyring::new()
        .await
        .map_err(|e| KeyringError::Unavailable(e.to_string()))?;
    let locked = keyring
        .is_locked()
        .await
        .map_err(|e| KeyringError::Failed(e.to_string()))?;
    if locked {
        if !unlock {
            return Err(KeyringError::Locked);
        }
        keyring
            .unlock()
            .await
            .map_err(|e| KeyringError::Failed(e.to_string()))?;
    }
    Ok(keyring)
}

async fn timed<T>(work: impl Future<Output = Result<T, KeyringError>>) -> Result<T, KeyringError> {
    tokio::time::timeout(TIMEOUT, work)
        .await
        .unwrap_or(Err(KeyringError::TimedOut))
}

/// The key stored in the keyring, if any. With `unlock`, a locked keyring asks the user to
/// unlock it; without, it counts as [`KeyringError::Locked`]. Runs inside a tokio runtime.
pub async fn stored_key(unlock: bool) -> Result<Option<ApiKey>, KeyringError> {
    timed(async {
        let keyring = open(unlock).await?;
        let items = keyring
            .search_items(&ATTRIBUTES)
            .await
            .map_err(|e| KeyringError::Failed(e.to_string()))?;
        let Some(item) = items.first() else {
            return Ok(None);
        };
        let secret = item
            .secret()
            .await
            .map_err(|e| KeyringError::Failed(e.to_string()))?;
        Ok(String::from_utf8(secret.as_bytes().to_vec())
            .ok()
            .and_then(ApiKey::new))
    })
    .await
}

/// Stores `key` in the keyring, replacing the one there. Runs inside a tokio runtime.
pub async fn store_key(key: &ApiKey) -> Result<(), KeyringError> {
    let secret = key.expose().to_owned();
    timed(async move {
        let keyring = open(true).await?;
        keyring
            .create_item(
                &gettext("Vistazo: ComicVine API key"),
                &ATTRIBUTES,
                secret,
                true,
            )
            .await
            .map_err(|e| KeyringError::Failed(e.to_string()))
    })
    .await
}

/// Removes the key from the keyring. Runs inside a tokio runtime.
pub async fn forget_key() -> Result<(), KeyringError> {
    timed(async {
        let keyring = open(true).await?;
        keyring
            .delete(&ATTRIBUTES)
            .await
            .map_err(|e| KeyringError::Failed(e.to_string()))
    })
    .await
}

/// [`store_key`] for code without a runtime (the command line): a locked keyring asks the
/// user to unlock it.
pub fn store_key_blocking(key: &ApiKey) -> Result<(), KeyringError> {
    block_on(|| store_key(key))
}

/// [`stored_key`] for code without a runtime (the command line, worker threads), never
/// asking to unlock.
pub fn stored_key_blocking() -> Result<Option<ApiKey>, KeyringError> {
    block_on(|| stored_key(false))
}

/// Runs `work` on a runtime of its own, on another thread when this one already runs one.
fn block_on<T: Send, F: Future<Output = Result<T, KeyringError>>>(
    work: impl Fn() -> F + Sync,
) -> Result<T, KeyringError> {
    let run = || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| KeyringError::Unavailable(e.to_string()))?
            .block_on(work())
    };
    if tokio::runtime::Handle::try_current().is_ok() {
        // A runtime cannot be started inside another one.
        return std::thread::scope(|scope| {
            scope
                .spawn(run)
                .join()
                .unwrap_or_else(|_| Err(KeyringError::Failed(gettext("the lookup stopped"))))
        });
    }
    run()
}
