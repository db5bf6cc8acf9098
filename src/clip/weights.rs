//! Where the model's files come from, in this order: the folder the user names (`--model DIR`),
//! the Hugging Face cache (`HF_HUB_CACHE`, else `HF_HOME/hub`, else
//! `$XDG_CACHE_HOME/huggingface/hub`, else `~/.cache/huggingface/hub`, looked up without the
//! network; inside the Flatpak that is the app's own cache folder, and the home folder's
//! `~/.cache/huggingface/hub` is looked in too, read only), else a one-time download of
//! openai/clip-vit-base-patch32 into that cache, resumable and checked against the checksum the
//! hub publishes, unless `HF_HUB_OFFLINE` forbids the network.
//!
//! It finds and fetches files; it never parses them. Progress goes out as [`DownloadEvent`]s to
//! whoever asked (a progress bar in the terminal, a message to the app's window).

use std::io::Read;
use std::path::{Path, PathBuf};

use hf_hub::api::sync::ApiBuilder;
use hf_hub::{Cache, Repo, RepoType};
use sha2::{Digest, Sha256};

use super::tokenizer::TokenizerFiles;
use crate::i18n::{fill, gettext};

/// The model used when the user names none.
pub const DEFAULT_REPO: &str = "openai/clip-vit-base-patch32";
/// The revision of [`DEFAULT_REPO`] that has `model.safetensors` (its main branch only has
/// `pytorch_model.bin`).
pub const DEFAULT_REVISION: &str = "refs/pr/15";

const CONFIG: &str = "config.json";
const WEIGHTS: &str = "model.safetensors";
const TOKENIZER: &str = "tokenizer.json";

#[derive(Debug, thiserror::Error)]
pub enum WeightsError {
    #[error("{}", fill(&gettext("the model folder {path} does not exist"), &[("path", &.0.display())]))]
    NoFolder(PathBuf),
    #[error("{}", fill(&gettext("the model folder {folder} has no {missing}: a CLIP model folder needs config.json, model.safetensors and tokenizer.json (or vocab.json and merges.txt)"), &[("folder", &.folder.display()), ("missing", .missing)]))]
    Incomplete {
        folder: PathBuf,
        missing: &'static str,
    },
    #[error("{}", fill(&gettext("the model folder {path} has pytorch_model.bin but no model.safetensors: Vistazo reads safetensors weights only; save the model with safetensors or download model.safetensors"), &[("path", &.0.display())]))]
    PytorchOnly(PathBuf),
    #[error(
        "{}",
        gettext(
            "cannot find the Hugging Face cache folder to keep the CLIP model in: set HF_HOME, or pass --model DIR with a folder holding config.json, model.safetensors and tokenizer.json"
        )
    )]
    NoCache,
    #[error("{}", fill(&gettext("the CLIP model is not on this computer and downloading {file} from {repo} failed ({reason}); connect to the internet and run again, or pass --model DIR with a folder holding config.json, model.safetensors and tokenizer.json"), &[("file", .file), ("repo", .repo), ("reason", .reason)]))]
    Download {
        file: &'static str,
        repo: &'static str,
        reason: String,
    },
    #[error(
        "{}",
        gettext(
            "the CLIP model is not on this computer and HF_HUB_OFFLINE forbids downloading it: unset HF_HUB_OFFLINE to download it once, or pass --model DIR with a folder holding config.json, model.safetensors and tokenizer.json"
        )
    )]
    Offline,
    #[error("{}", fill(&gettext("the downloaded file {path} is damaged (SHA-256 {found}, expected {expected}); it was deleted, run again to download it anew"), &[("path", &.path.display()), ("found", .found), ("expected", .expected)]))]
    Checksum {
        path: PathBuf,
        expected: String,
        found: String,
    },
    #[error("{}", fill(&gettext("cannot read {path}: {error}"), &[("path", &.path.display()), ("error", .source)]))]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// The three things a CLIP model is made of, wherever they are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelFiles {
    pub config: PathBuf,
    pub weights: PathBuf,
    pub tokenizer: TokenizerFiles,
}

impl ModelFiles {
    /// The files of a Hugging Face model folder, or what is missing from it.
    pub fn in_folder(folder: &Path) -> Result<Self, WeightsError> {
        if !folder.is_dir() {
            return Err(WeightsError::NoFolder(folder.to_owned()));
        }
        let config = folder.join(CONFIG);
        if !config.is_file() {
            return Err(WeightsError::Incomplete {
                folder: folder.to_owned(),
                missing: CONFIG,
            });
        }
        let weights = folder.join(WEIGHTS);
        if !weights.is_file() {
            if folder.join("pytorch_model.bin").is_file() {
                return Err(WeightsError::PytorchOnly(folder.to_owned()));
            }
            return Err(WeightsError::Incomplete {
                folder: folder.to_owned(),
                missing: WEIGHTS,
            });
        }
        let tokenizer =
            TokenizerFiles::in_folder(folder).ok_or_else(|| WeightsError::Incomplete {
                folder: folder.to_owned(),
                missing: TOKENIZER,
            })?;
        Ok(Self {
            config,
            weights,
            tokenizer,
        })
    }
}

/// What a download is doing, for a progress bar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DownloadEvent {
    /// A file starts (or resumes); `bytes` is its full size.
    Started {
        file: String,
        bytes: u64,
    },
    /// Bytes of the current file on disk so far.
    Advanced {
        file: String,
        done: u64,
        total: u64,
    },
    /// The file is complete and its checksum is being computed.
    Verifying {
        file: String,
    },
    Finished {
        file: String,
    },
}

/// The Hugging Face hub cache folder, as the Python libraries find it.
pub fn cache_dir() -> Option<PathBuf> {
    let var = |name| std::env::var_os(name).map(PathBuf::from);
    cache_dir_from(
        var("HF_HUB_CACHE"),
        var("HF_HOME"),
        var("XDG_CACHE_HOME"),
        dirs::home_dir(),
    )
}

fn cache_dir_from(
    hub_cache: Option<PathBuf>,
    hf_home: Option<PathBuf>,
    xdg_cache: Option<PathBuf>,
    home: Option<PathBuf>,
) -> Option<PathBuf> {
    let non_empty = |path: &PathBuf| !path.as_os_str().is_empty();
    hub_cache.filter(non_empty).or_else(|| {
        hf_home
            .filter(non_empty)
            .or_else(|| {
                xdg_cache
                    .filter(non_empty)
                    .or_else(|| home.map(|home| home.join(".cache")))
                    .map(|cache| cache.join("huggingface"))
            })
            .map(|hf_home| hf_home.join("hub"))
    })
}

/// The default model's files in the cache, without the network: from the safetensors revision,
/// or from a `main` snapshot that other tools left there.
pub fn find_in_cache(cache: &Path) -> Option<ModelFiles> {
    let cache = Cache::new(cache.to_owned());
    let repos = [DEFAULT_REVISION, "main"].map(|revision| {
        cache.repo(Repo::with_revision(
            DEFAULT_REPO.to_owned(),
            RepoType::Model,
            revision.to_owned(),
        ))
    });
    let cached = |file: &str| repos.iter().find_map(|repo| repo.get(file));
    let tokenizer = match cached(TOKENIZER) {
        Some(json) => TokenizerFiles::Json(json),
        None => TokenizerFiles::VocabAndMerges {
            vocab: cached("vocab.json")?,
            merges: cached("merges.txt")?,
        },
    };
    Some(ModelFiles {
        config: cached(CONFIG)?,
        weights: cached(WEIGHTS)?,
        tokenizer,
    })
}

/// Downloads what the cache lacks of the default model. `endpoint` replaces the hub's address
/// (`HF_ENDPOINT`, a mirror). An interrupted download resumes from its `.part` file.
pub fn download(
    cache: &Path,
    endpoint: Option<String>,
    on_event: &mut dyn FnMut(DownloadEvent),
) -> Result<ModelFiles, WeightsError> {
    let download_error = |file: &'static str, reason: String| WeightsError::Download {
        file,
        repo: DEFAULT_REPO,
        reason,
    };
    let mut builder = ApiBuilder::from_cache(Cache::new(cache.to_owned()))
        .with_progress(false)
        .with_retries(3);
    if let Some(endpoint) = endpoint {
        builder = builder.with_endpoint(endpoint);
    }
    let api = builder
        .build()
        .map_err(|error| download_error(CONFIG, error.to_string()))?;
    let repo = api.repo(Repo::with_revision(
        DEFAULT_REPO.to_owned(),
        RepoType::Model,
        DEFAULT_REVISION.to_owned(),
    ));
    let cached = Cache::new(cache.to_owned()).repo(Repo::with_revision(
        DEFAULT_REPO.to_owned(),
        RepoType::Model,
        DEFAULT_REVISION.to_owned(),
    ));
    let mut fetch = |file: &'static str| -> Result<PathBuf, WeightsError> {
        if let Some(path) = cached.get(file) {
            return Ok(path);
        }
        let progress = EventProgress {
            file,
            total: 0,
            done: 0,
            reported: 0,
            on_event: &mut *on_event,
        };
        let path = repo
            .download_with_progress(file, progress)
            .map_err(|error| download_error(file, error.to_string()))?;
        on_event(DownloadEvent::Verifying {
            file: file.to_owned(),
        });
        verify(&path)?;
        on_event(DownloadEvent::Finished {
            file: file.to_owned(),
        });
        Ok(path)
    };
    let config = fetch(CONFIG)?;
    let tokenizer = TokenizerFiles::Json(fetch(TOKENIZER)?);
    let weights = fetch(WEIGHTS)?;
    Ok(ModelFiles {
        config,
        weights,
        tokenizer,
    })
}

/// The model to use: `explicit` (`--model`), else the cache, else a download when `allow_download`.
pub fn locate(
    explicit: Option<&Path>,
    allow_download: bool,
    on_event: &mut dyn FnMut(DownloadEvent),
) -> Result<ModelFiles, WeightsError> {
    if let Some(folder) = explicit {
        return ModelFiles::in_folder(folder);
    }
    let cache = cache_dir().ok_or(WeightsError::NoCache)?;
    if let Some(files) = find_in_cache(&cache) {
        return Ok(files);
    }
    // Inside the Flatpak the cache is the app's own; a model other tools downloaded to the
    // usual place in the home folder is used from there, read only, before fetching it again.
    let in_flatpak = std::env::var_os("FLATPAK_ID").is_some();
    if let Some(host) = dirs::home_dir()
        .map(|home| home.join(".cache/huggingface/hub"))
        .filter(|host| in_flatpak && *host != cache)
        && let Some(files) = find_in_cache(&host)
    {
        return Ok(files);
    }
    if offline(std::env::var("HF_HUB_OFFLINE").ok().as_deref()) {
        return Err(WeightsError::Offline);
    }
    if !allow_download {
        return Err(WeightsError::Download {
            file: WEIGHTS,
            repo: DEFAULT_REPO,
            reason: "downloads are turned off".to_owned(),
        });
    }
    download(&cache, std::env::var("HF_ENDPOINT").ok(), on_event)
}

/// Whether `HF_HUB_OFFLINE` turns the network off, as the Python libraries read it.
fn offline(value: Option<&str>) -> bool {
    value.is_some_and(|value| {
        ["1", "on", "yes", "true"]
            .iter()
            .any(|yes| value.trim().eq_ignore_ascii_case(yes))
    })
}

/// Checks a downloaded file against the hub's checksum: files stored with Git LFS (the
/// weights) are named in the cache by their SHA-256. A damaged file is deleted, so the next
/// run fetches it again instead of failing the same way.
fn verify(pointer: &Path) -> Result<(), WeightsError> {
    let io_error = |source| WeightsError::Io {
        path: pointer.to_owned(),
        source,
    };
    let blob = std::fs::canonicalize(pointer).map_err(io_error)?;
    let Some(expected) = blob
        .file_name()
        .and_then(|name| name.to_str())
        .filter(|name| name.len() == 64 && name.bytes().all(|b| b.is_ascii_hexdigit()))
        .map(str::to_ascii_lowercase)
    else {
        // Small files live in Git itself, named by a SHA-1 of Git's blob header; they are
        // parsed right after and fail loudly if damaged.
        return Ok(());
    };
    let found = sha256_hex(&blob)?;
    if found != expected {
        let _ = std::fs::remove_file(&blob);
        let _ = std::fs::remove_file(pointer);
        return Err(WeightsError::Checksum {
            path: pointer.to_owned(),
            expected,
            found,
        });
    }
    Ok(())
}

fn sha256_hex(path: &Path) -> Result<String, WeightsError> {
    let io_error = |source| WeightsError::Io {
        path: path.to_owned(),
        source,
    };
    let mut file = std::fs::File::open(path).map_err(io_error)?;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0u8; 1 << 20];
    loop {
        let read = file.read(&mut buffer).map_err(io_error)?;
        if read == 0 {
            break;
        }
        hasher.update(&buffer[..read]);
    }
    Ok(hasher
        .finalize()
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect())
}

/// Turns hf-hub's byte counts into [`DownloadEvent`]s, at most one per mebibyte.
struct EventProgress<'a> {
    file: &'static str,
    total: u64,
    done: u64,
    reported: u64,
    on_event: &'a mut dyn FnMut(DownloadEvent),
}

impl hf_hub::api::Progress for EventProgress<'_> {
    fn init(&mut self, size: usize, _filename: &str) {
        self.total = size as u64;
        self.done = 0;
        self.reported = 0;
        (self.on_event)(DownloadEvent::Started {
            file: self.file.to_owned(),
            bytes: self.total,
        });
    }

    fn update(&mut self, size: usize) {
        self.done += size as u64;
        if self.done - self.reported >= 1 << 20 || self.done >= self.total {
            self.reported = self.done;
            (self.on_event)(DownloadEvent::Advanced {
                file: self.file.to_owned(),
                done: self.done,
                total: self.total,
            });
        }
    }

    fn finish(&mut self) {}
}

impl ModelFiles {
    /// A name for the weights, under which embeddings are stored: the Hugging Face id the
    /// config names (`openai/clip-vit-base-patch32` for the downloaded model), else one made
    /// from the files themselves, so two different folders never share embeddings.
    pub fn model_id(&self) -> String {
        let config = std::fs::read(&self.config).unwrap_or_default();
        let named = serde_json::from_slice::<serde_json::Value>(&config)
            .ok()
            .and_then(|v| v.get("_name_or_path")?.as_str().map(str::to_owned))
            .filter(|name| name.contains('/') && !name.starts_with('/') && !name.starts_with('.'));
        if let Some(name) = named {
            return name;
        }
        use sha2::Digest;
        let mut hash = sha2::Sha256::new();
        hash.update(&config);
        let size = std::fs::metadata(&self.weights).map_or(0, |m| m.len());
        hash.update(size.to_le_bytes());
        let digest = hash.finalize();
        let short: String = digest.iter().take(8).map(|b| format!("{b:02x}")).collect();
        format!("local/clip-{short}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cache_folder_follows_the_python_rules() {
        let home = Some(PathBuf::from("/home/ana"));
        let flatpak_cache = Some(PathBuf::from(
            "/home/ana/.var/app/io.github.vistazo.Vistazo/cache",
        ));
        assert_eq!(
            cache_dir_from(None, None, None, home.clone()),
            Some(PathBuf::from("/home/ana/.cache/huggingface/hub"))
        );
        assert_eq!(
            cache_dir_from(None, None, flatpak_cache.clone(), home.clone()),
            Some(PathBuf::from(
                "/home/ana/.var/app/io.github.vistazo.Vistazo/cache/huggingface/hub"
            ))
        );
        assert_eq!(
            cache_dir_from(None, None, Some(PathBuf::new()), home.clone()),
            Some(PathBuf::from("/home/ana/.cache/huggingface/hub"))
        );
        assert_eq!(
            cache_dir_from(
                None,
                Some(PathBuf::from("/data/hf")),
                flatpak_cache.clone(),
                home.clone()
            ),
            Some(PathBuf::from("/data/hf/hub"))
        );
        assert_eq!(
            cache_dir_from(
                Some(PathBuf::from("/fast/hub")),
                Some(PathBuf::from("/data/hf")),
                flatpak_cache,
                home
            ),
            Some(PathBuf::from("/fast/hub"))
        );
        assert_eq!(cache_dir_from(None, None, None, None), None);
    }

    #[test]
    fn hf_hub_offline_is_read_as_python_reads_it() {
        for on in ["1", "ON", "yes", "True"] {
            assert!(offline(Some(on)), "{on}");
        }
        for off in ["0", "", "no", "false"] {
            assert!(!offline(Some(off)), "{off}");
        }
        assert!(!offline(None));
    }

    #[test]
    fn damaged_downloads_are_deleted() {
        let dir = tempfile::tempdir().expect("temp dir");
        let blob = dir.path().join("0".repeat(64));
        std::fs::write(&blob, b"not the expected bytes").expect("write blob");
        let pointer = dir.path().join("model.safetensors");
        std::os::unix::fs::symlink(&blob, &pointer).expect("link");
        let error = verify(&pointer).expect_err("the checksum cannot match");
        assert!(matches!(error, WeightsError::Checksum { .. }), "{error}");
        assert!(!blob.exists());
    }

    #[test]
    fn intact_downloads_pass() {
        let dir = tempfile::tempdir().expect("temp dir");
        let content = b"weights";
        let digest: String = Sha256::digest(content)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        let blob = dir.path().join(&digest);
        std::fs::write(&blob, content).expect("write blob");
        let pointer = dir.path().join("model.safetensors");
        std::os::unix::fs::symlink(&blob, &pointer).expect("link");
        verify(&pointer).expect("the checksum matches");
    }
}
