//! The app's one CLIP engine, shared by the workers of every page: one model in memory whatever
//! pages were used.
//!
//! - A **job** (classifying comics, importing photos) runs with [`SharedEngine::job`]: one job
//!   at a time, so a job of another page waits for it (and says so), then goes on with the same
//!   loaded model.
//! - Work someone waits for ([`SharedEngine::now`]: a search typed, the interiors prompts) does
//!   not wait for the job: its forward passes go before the job's next batch
//!   ([`crate::clip::passes`]).
//! - Work nobody waits for ([`SharedEngine::try_with`]: catalog covers read ahead) runs only
//!   when the engine is loaded and no job runs, its passes after everyone else's.
//!
//! The model to run comes from Preferences (or `--model` and `--device`, which win) and is read
//! at the start of every job: a change in Preferences takes effect at the next job, on any page,
//! and reloads the model only when the folder or the device changed (never while a job still
//! uses the old one). The model is loaded on the worker's thread that first needs it, never on
//! the main thread.

use crate::ui::failure::JobError;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError, RwLock};
use std::time::Instant;

use relm4::gtk::gio;
use relm4::gtk::prelude::*;

use crate::clip::engine::{Engine, EngineOptions};
use crate::clip::passes::{Urgency, with_urgency};
use crate::clip::weights::{self, DownloadEvent};
use crate::clip::{DevicePreference, ModelFiles};
use crate::i18n::gettext;
use crate::interiors::import;
use crate::interiors::semantics::PromptEmbeddings;
use crate::jobs::Progress;

/// Images per forward pass: the command line's batch size, so the window embeds as fast.
pub const BATCH: usize = 16;

/// Which model to run, and where.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ModelChoice {
    /// A folder with a Hugging Face CLIP model; `None`: the downloaded one.
    pub folder: Option<PathBuf>,
    pub device: DevicePreference,
}

/// What the command line fixed for this run of the app, winning over Preferences.
#[derive(Debug, Clone, Default)]
pub struct ModelOverrides {
    pub folder: Option<PathBuf>,
    pub device: Option<DevicePreference>,
}

impl ModelChoice {
    /// The model `overrides` and the preferences in `settings` ask for now.
    pub fn current(overrides: &ModelOverrides, settings: &gio::Settings) -> Self {
        let folder = overrides.folder.clone().or_else(|| {
            let saved = settings.string("model-folder");
            (!saved.is_empty()).then(|| PathBuf::from(saved.as_str()))
        });
        let device = overrides
            .device
            .unwrap_or_else(|| settings.string("device").parse().unwrap_or_default());
        Self { folder, device }
    }
}

/// What happens before a job gets the engine, for its progress.
#[derive(Debug, Clone)]
pub enum EngineEvent {
    /// Another page's job runs; this one waits for it.
    Waiting,
    Loading,
    Downloading(Progress),
}

impl EngineEvent {
    /// Reports the event into `monitor` as a step of the job that waits for the engine.
    pub fn report_into(self, monitor: &crate::jobs::ProgressMonitor) {
        use crate::jobs::Unit;
        match self {
            Self::Waiting => monitor.started(None, gettext("Waiting for the other page’s job…")),
            Self::Loading => monitor.started(None, gettext("Loading the model…")),
            Self::Downloading(progress) => {
                let report = monitor.report();
                if report.unit != Unit::Bytes || report.total != Some(progress.total) {
                    monitor.started_in(
                        Unit::Bytes,
                        Some(progress.total),
                        gettext("Downloading the model…"),
                    );
                }
                monitor.reached(progress.done, progress.total);
            }
        }
    }
}

/// The model loaded, with what the jobs derive from it once.
pub struct LoadedEngine {
    choice: ModelChoice,
    pub engine: Engine,
    /// The name embeddings are stored under.
    pub model_id: String,
    prompts: OnceLock<PromptEmbeddings>,
}

impl LoadedEngine {
    /// The text embeddings of the interiors prompts, computed on first use.
    pub fn prompts(&self) -> Result<&PromptEmbeddings, JobError> {
        if let Some(prompts) = self.prompts.get() {
            return Ok(prompts);
        }
        let prompts = import::prompt_embeddings(&self.engine).map_err(JobError::from)?;
        Ok(self.prompts.get_or_init(|| prompts))
    }
}

/// The shared engine; clones share the one model.
#[derive(Clone, Default)]
pub struct SharedEngine {
    /// The model loaded; locked only to load or hand it out.
    loaded: Arc<Mutex<Option<Arc<LoadedEngine>>>>,
    /// Held by the job that runs.
    job: Arc<Mutex<()>>,
    wanted: Arc<RwLock<ModelChoice>>,
}

impl SharedEngine {
    pub fn new(choice: ModelChoice) -> Self {
        Self {
            loaded: Arc::default(),
            job: Arc::default(),
            wanted: Arc::new(RwLock::new(choice)),
        }
    }

    fn slot(&self) -> MutexGuard<'_, Option<Arc<LoadedEngine>>> {
        self.loaded.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The model the next job is to use (Preferences changed).
    pub fn set_choice(&self, choice: ModelChoice) {
        *self.wanted.write().unwrap_or_else(PoisonError::into_inner) = choice;
    }

    pub fn choice(&self) -> ModelChoice {
        self.wanted
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Runs the job `work` with the engine for the model chosen now, loading it first (or
    /// again, when Preferences changed since it was loaded). Another job waits until `work`
    /// returns; work someone waits for goes between its batches.
    pub fn job<R>(
        &self,
        on_event: &mut dyn FnMut(EngineEvent),
        work: impl FnOnce(&LoadedEngine) -> Result<R, JobError>,
    ) -> Result<R, JobError> {
        let _running = match self.job.try_lock() {
            Ok(running) => running,
            Err(std::sync::TryLockError::Poisoned(poisoned)) => poisoned.into_inner(),
            Err(std::sync::TryLockError::WouldBlock) => {
                on_event(EngineEvent::Waiting);
                self.job.lock().unwrap_or_else(PoisonError::into_inner)
            }
        };
        let loaded = self.load_chosen(on_event)?;
        with_urgency(Urgency::Job, || work(&loaded))
    }

    /// Runs `work`, which someone waits for, with the engine: the model chosen now, or while a
    /// job runs the one it uses (loaded for it when none is). Its forward passes go before the
    /// running job's next batch.
    pub fn now<R>(
        &self,
        on_event: &mut dyn FnMut(EngineEvent),
        work: impl FnOnce(&LoadedEngine) -> Result<R, JobError>,
    ) -> Result<R, JobError> {
        let job_runs = matches!(
            self.job.try_lock(),
            Err(std::sync::TryLockError::WouldBlock)
        );
        let running = if job_runs { self.slot().clone() } else { None };
        let loaded = match running {
            Some(loaded) => loaded,
            None => self.load_chosen(on_event)?,
        };
        with_urgency(Urgency::Interactive, || work(&loaded))
    }

    /// Runs `work` with the engine only when the model chosen now is loaded already and no
    /// job runs: for work nobody waits for, which never loads a model of its own. A job
    /// started meanwhile waits for `work` to return. `None` when busy or not loaded.
    pub fn try_with<R>(
        &self,
        work: impl FnOnce(&LoadedEngine) -> Result<R, JobError>,
    ) -> Option<Result<R, JobError>> {
        let _running = match self.job.try_lock() {
            Ok(running) => running,
            Err(std::sync::TryLockError::Poisoned(poisoned)) => poisoned.into_inner(),
            Err(std::sync::TryLockError::WouldBlock) => return None,
        };
        let choice = self.choice();
        let loaded = self
            .slot()
            .clone()
            .filter(|loaded| loaded.choice == choice)?;
        Some(with_urgency(Urgency::Background, || work(&loaded)))
    }

    /// The model chosen now, loaded unless it is already.
    fn load_chosen(
        &self,
        on_event: &mut dyn FnMut(EngineEvent),
    ) -> Result<Arc<LoadedEngine>, JobError> {
        let choice = self.choice();
        let mut slot = self.slot();
        if let Some(loaded) = slot.as_ref().filter(|loaded| loaded.choice == choice) {
            return Ok(Arc::clone(loaded));
        }
        // The old model goes before the new one loads: never two in memory.
        *slot = None;
        on_event(EngineEvent::Loading);
        let files = locate(&choice, on_event)?;
        on_event(EngineEvent::Loading);
        let options = EngineOptions {
            device: choice.device,
            batch_size: BATCH,
            ..EngineOptions::default()
        };
        let engine = Engine::load(&files, &options).map_err(JobError::from)?;
        let loaded = Arc::new(LoadedEngine {
            choice,
            engine,
            model_id: files.model_id(),
            prompts: OnceLock::new(),
        });
        *slot = Some(Arc::clone(&loaded));
        Ok(loaded)
    }

    /// Whether a job runs now.
    pub fn is_busy(&self) -> bool {
        matches!(
            self.job.try_lock(),
            Err(std::sync::TryLockError::WouldBlock)
        )
    }

    /// Whether a model is loaded, and which.
    #[cfg(test)]
    pub fn loaded_choice(&self) -> Option<ModelChoice> {
        self.slot().as_ref().map(|loaded| loaded.choice.clone())
    }
}

/// The model's files: the chosen folder, else the cache, else a download with progress.
fn locate(
    choice: &ModelChoice,
    on_event: &mut dyn FnMut(EngineEvent),
) -> Result<ModelFiles, JobError> {
    let mut started = Instant::now();
    let mut on_download = |event: DownloadEvent| match event {
        DownloadEvent::Started { bytes, .. } => {
            started = Instant::now();
            on_event(EngineEvent::Downloading(download_progress(
                0, bytes, started,
            )));
        }
        DownloadEvent::Advanced { done, total, .. } => {
            on_event(EngineEvent::Downloading(download_progress(
                done, total, started,
            )));
        }
        DownloadEvent::Verifying { .. } | DownloadEvent::Finished { .. } => {}
    };
    weights::locate(choice.folder.as_deref(), true, &mut on_download).map_err(JobError::model)
}

fn download_progress(done: u64, total: u64, started: Instant) -> Progress {
    let elapsed = started.elapsed().as_secs_f64();
    let rate = if elapsed > 0.0 {
        done as f64 / elapsed
    } else {
        0.0
    };
    let left = total.saturating_sub(done) as f64;
    Progress {
        done,
        total,
        rate,
        eta: (rate > 0.0).then(|| std::time::Duration::from_secs_f64(left / rate)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tiny() -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/clip/tiny")
    }

    fn choice(folder: PathBuf) -> ModelChoice {
        ModelChoice {
            folder: Some(folder),
            device: DevicePreference::Cpu,
        }
    }

    /// Another model: the tiny one's weights with a configuration of its own, so its
    /// embeddings are stored under another name.
    fn copy_of_tiny(dir: &std::path::Path) -> PathBuf {
        let copy = dir.join("tiny-copy");
        std::fs::create_dir_all(&copy).unwrap();
        for entry in std::fs::read_dir(tiny()).unwrap() {
            let entry = entry.unwrap();
            std::fs::copy(entry.path(), copy.join(entry.file_name())).unwrap();
        }
        let config = std::fs::read_to_string(copy.join("config.json")).unwrap();
        let config = config.replacen('{', "{\"_comment\": \"another model\",", 1);
        std::fs::write(copy.join("config.json"), config).unwrap();
        copy
    }

    #[test]
    fn jobs_on_two_threads_share_one_loaded_model() {
        let shared = SharedEngine::new(choice(tiny()));
        let loads = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let threads: Vec<_> = (0..2)
            .map(|_| {
                let shared = shared.clone();
                let loads = Arc::clone(&loads);
                std::thread::spawn(move || {
                    shared
                        .job(
                            &mut |event| {
                                if matches!(event, EngineEvent::Loading) {
                                    loads.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                                }
                            },
                            |loaded| Ok(loaded.model_id.clone()),
                        )
                        .unwrap()
                })
            })
            .collect();
        let ids: Vec<String> = threads.into_iter().map(|t| t.join().unwrap()).collect();
        assert_eq!(ids[0], ids[1]);
        // Loading reports twice (finding the files, then loading them), for one load only.
        assert_eq!(loads.load(std::sync::atomic::Ordering::SeqCst), 2);
    }

    #[test]
    fn a_model_changed_in_preferences_is_loaded_by_the_next_job_only() {
        let dir = tempfile::tempdir().unwrap();
        let other = copy_of_tiny(dir.path());
        let shared = SharedEngine::new(choice(tiny()));
        let mut loaded = 0;
        let mut count = |event: EngineEvent| {
            if matches!(event, EngineEvent::Loading) {
                loaded += 1;
            }
        };
        let first = shared
            .job(&mut count, |loaded| Ok(loaded.model_id.clone()))
            .unwrap();
        shared
            .job(&mut count, |loaded| Ok(loaded.model_id.clone()))
            .unwrap();
        assert_eq!(shared.loaded_choice(), Some(choice(tiny())));

        shared.set_choice(choice(other.clone()));
        let second = shared
            .job(&mut count, |loaded| Ok(loaded.model_id.clone()))
            .unwrap();
        assert_ne!(first, second, "embeddings are stored under the new model");
        assert_eq!(shared.loaded_choice(), Some(choice(other)));
        assert_eq!(loaded, 4, "loaded once for each model");
    }

    #[test]
    fn work_nobody_waits_for_runs_only_on_a_loaded_and_free_model() {
        let shared = SharedEngine::new(choice(tiny()));
        assert!(
            shared.try_with(|_| Ok(())).is_none(),
            "no model is loaded for it"
        );
        shared.job(&mut |_| {}, |_| Ok(())).unwrap();
        assert_eq!(shared.try_with(|_| Ok(1)), Some(Ok(1)));

        // While a job has the engine, the background work does not run.
        let (started, finish) = (std::sync::mpsc::channel(), std::sync::mpsc::channel::<()>());
        let job = {
            let shared = shared.clone();
            let (started, finish) = (started.0, finish.1);
            std::thread::spawn(move || {
                shared
                    .job(&mut |_| {}, |_| {
                        started.send(()).unwrap();
                        finish.recv().unwrap();
                        Ok(())
                    })
                    .unwrap();
            })
        };
        started.1.recv().unwrap();
        assert!(shared.is_busy());
        assert!(shared.try_with(|_| Ok(())).is_none());
        finish.0.send(()).unwrap();
        job.join().unwrap();
        assert!(!shared.is_busy());

        // After a change in Preferences the old model is not used for it either.
        shared.set_choice(choice(PathBuf::from("/elsewhere")));
        assert!(shared.try_with(|_| Ok(())).is_none());
    }

    #[test]
    fn work_someone_waits_for_does_not_wait_for_the_running_job() {
        let dir = tempfile::tempdir().unwrap();
        let other = copy_of_tiny(dir.path());
        let shared = SharedEngine::new(choice(tiny()));
        let (started, finish) = (std::sync::mpsc::channel(), std::sync::mpsc::channel::<()>());
        let job = {
            let shared = shared.clone();
            let (started, finish) = (started.0, finish.1);
            std::thread::spawn(move || {
                shared
                    .job(&mut |_| {}, |loaded| {
                        started.send(loaded.model_id.clone()).unwrap();
                        finish.recv().unwrap();
                        Ok(())
                    })
                    .unwrap();
            })
        };
        let job_model = started.1.recv().unwrap();
        // Preferences change while the job runs: the job's model serves until it ends.
        shared.set_choice(choice(other.clone()));
        let mut events = Vec::new();
        let (model, embedded) = shared
            .now(&mut |event| events.push(format!("{event:?}")), |loaded| {
                assert_eq!(
                    crate::clip::passes::current_urgency(),
                    crate::clip::passes::Urgency::Interactive
                );
                let texts = loaded
                    .engine
                    .embed_texts(&["a red cover"])
                    .map_err(JobError::from)?;
                Ok((loaded.model_id.clone(), texts.len()))
            })
            .unwrap();
        assert_eq!((model, embedded), (job_model.clone(), 1));
        assert!(events.is_empty(), "neither waited nor loaded: {events:?}");
        finish.0.send(()).unwrap();
        job.join().unwrap();

        // Once the job ended, the model chosen meanwhile is the one used.
        let after = shared
            .now(&mut |_| {}, |loaded| Ok(loaded.model_id.clone()))
            .unwrap();
        assert_ne!(after, job_model);
        assert_eq!(shared.loaded_choice(), Some(choice(other)));
    }
}
