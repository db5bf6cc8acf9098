//! The HTTP API (`vistazo serve`): `GET /health` and `POST /score` with a photo as a
//! multipart upload, answered with the same JSON as `vistazo interiors score --json`.
//!
//! One CLIP engine serves every request. It lives on its own thread with the database; request
//! handlers decode and preprocess uploads on tokio's blocking pool and send the pixels over a
//! channel. The engine thread takes whatever is waiting, up to a batch, embeds it in one
//! forward pass and answers each request through its own one-shot channel, so concurrent
//! requests share batches instead of queueing for the model one by one. When the user trains
//! again, the engine picks up the new model before its next batch.
//!
//! The server must outlive hostile or careless clients: connections that send no request
//! headers within [`IDLE_TIMEOUT`] are closed, an upload must arrive within [`UPLOAD_TIMEOUT`],
//! only [`UPLOADS_AT_ONCE`] uploads are held in memory at a time, and running out of file
//! descriptors pauses accepting instead of stopping the server.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::time::Duration;

use axum::extract::multipart::MultipartRejection;
use axum::extract::{DefaultBodyLimit, Multipart, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use serde::Serialize;
use tokio::sync::{Semaphore, oneshot};

use crate::clip::ClipError;
use crate::clip::engine::{Engine, EngineOptions};
use crate::clip::preprocess::Preprocessor;
use crate::clip::weights::ModelFiles;
use crate::db::{Database, DbError};
use crate::i18n::{fill, gettext, shortened};
use crate::imaging::{self, DecodeLimits};
use crate::interiors::import::prompt_embeddings;
use crate::interiors::metrics::{PixelMetrics, VisualFilter};
use crate::interiors::rounds::{self, RoundError};
use crate::interiors::scoring::{self, ScoreCard};
use crate::interiors::semantics::PromptEmbeddings;
use crate::interiors::training::TrainedModel;

/// How often an idle engine looks for a newly trained model.
const MODEL_CHECK: Duration = Duration::from_secs(1);

/// How long a connection may go without sending a complete request head: idle keep-alive
/// connections and clients that trickle their headers are closed after it.
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(10);

/// How long the body of one upload may take to arrive.
pub const UPLOAD_TIMEOUT: Duration = Duration::from_secs(60);

/// Uploads read into memory at once; the others wait their turn, so memory stays bounded
/// by this many times the upload limit however many clients send at the same time.
pub const UPLOADS_AT_ONCE: usize = 16;

/// How long accepting pauses when the process is out of file descriptors (or memory), so
/// that connections already open can finish and free theirs.
const ACCEPT_PAUSE: Duration = Duration::from_millis(100);

/// Longest upload file name repeated in answers, in characters.
const MAX_NAME_CHARS: usize = 200;

#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error(transparent)]
    Model(#[from] ClipError),
    #[error(transparent)]
    Database(#[from] DbError),
    #[error("{}", fill(&gettext("cannot listen on {addr}: {error}"), &[("addr", .addr), ("error", .source)]))]
    Listen {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("{}", fill(&gettext("the server stopped: {error}"), &[("error", .0)]))]
    Server(std::io::Error),
    #[error("{}", gettext("the scoring engine stopped unexpectedly"))]
    EngineStopped,
}

/// How to serve.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    pub addr: SocketAddr,
    /// Largest request body, in bytes.
    pub max_upload: usize,
    pub model: ModelFiles,
    pub engine: EngineOptions,
    pub database: PathBuf,
}

/// What `GET /health` answers.
#[derive(Debug, Clone, Serialize)]
pub struct Health {
    /// "ok" when photos can be scored, "no_model" until a model is trained.
    pub status: &'static str,
    /// Why photos cannot be scored, when they cannot.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The CLIP model that embeds the photos.
    pub model: String,
    pub device: String,
    /// The training round whose model scores.
    pub trained_round: Option<i64>,
    pub batch_size: usize,
    pub photos_scored: u64,
    /// Forward passes run; fewer than photos scored when requests shared batches.
    pub batches: u64,
}

/// Why a photo got no score.
#[derive(Debug, Clone)]
enum Refusal {
    /// No usable trained model (503).
    NoModel(String),
    /// The engine failed (500).
    Engine(String),
}

/// A decoded upload on its way to the engine.
struct Job {
    name: String,
    pixels: Vec<f32>,
    metrics: PixelMetrics,
    reply: oneshot::Sender<Result<ScoreCard, Refusal>>,
}

/// The handlers' side of the engine.
struct Scorer {
    jobs: mpsc::Sender<Job>,
    preprocessor: Preprocessor,
    limits: DecodeLimits,
    max_upload: usize,
    health: Arc<Mutex<Health>>,
    scored: Arc<AtomicU64>,
    batches: Arc<AtomicU64>,
    /// One permit per upload held in memory.
    uploads: Semaphore,
}

/// Loads the engine, binds `options.addr`, calls `on_listening` with the address bound (the
/// port chosen when 0 was asked) and serves until Ctrl+C.
pub fn serve(
    options: &ServeOptions,
    on_listening: impl FnOnce(SocketAddr),
) -> Result<(), ServeError> {
    let scorer = Arc::new(start_engine(options)?);
    // Timers too: the accept pause and the client timeouts need them.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(ServeError::Server)?;
    let addr = options.addr;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|source| ServeError::Listen { addr, source })?;
        let bound = listener.local_addr().map_err(ServeError::Server)?;
        on_listening(bound);
        accept_until_stopped(listener, router(scorer)).await;
        Ok(())
    })
}

/// Accepts connections until Ctrl+C, each served on its own task with [`IDLE_TIMEOUT`].
async fn accept_until_stopped(listener: tokio::net::TcpListener, app: Router) {
    // Without a signal handler the server runs until killed, which is fine too.
    let mut stop = std::pin::pin!(tokio::signal::ctrl_c());
    let mut starved = false;
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            _ = &mut stop => return,
        };
        let stream = match accepted {
            Ok((stream, _)) => {
                starved = false;
                stream
            }
            // The client gave up before it was accepted: nothing to do.
            Err(error) if is_connection_error(&error) => continue,
            Err(error) => {
                if !starved {
                    tracing::warn!("cannot accept connections for now: {error}");
                    starved = true;
                }
                tokio::time::sleep(ACCEPT_PAUSE).await;
                continue;
            }
        };
        let service = TowerToHyperService::new(app.clone());
        tokio::spawn(async move {
            let mut http = hyper::server::conn::http1::Builder::new();
            http.timer(TokioTimer::new())
                .header_read_timeout(IDLE_TIMEOUT);
            if let Err(error) = http.serve_connection(TokioIo::new(stream), service).await {
                tracing::debug!("connection closed: {error}");
            }
        });
    }
}

fn is_connection_error(error: &std::io::Error) -> bool {
    use std::io::ErrorKind;
    matches!(
        error.kind(),
        ErrorKind::ConnectionRefused | ErrorKind::ConnectionAborted | ErrorKind::ConnectionReset
    )
}

fn router(scorer: Arc<Scorer>) -> Router {
    let limit = scorer.max_upload;
    Router::new()
        .route("/health", get(health))
        .route("/score", post(score))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(limit))
        .with_state(scorer)
}

/// Starts the engine thread and waits until the model is loaded.
fn start_engine(options: &ServeOptions) -> Result<Scorer, ServeError> {
    let (ready_sender, ready) = mpsc::channel();
    let (jobs, queue) = mpsc::channel::<Job>();
    let model_id = options.model.model_id();
    let health = Arc::new(Mutex::new(Health {
        status: "no_model",
        reason: None,
        model: model_id.clone(),
        device: String::new(),
        trained_round: None,
        batch_size: options.engine.batch_size.max(1),
        photos_scored: 0,
        batches: 0,
    }));
    let scored = Arc::new(AtomicU64::new(0));
    let batches = Arc::new(AtomicU64::new(0));
    let worker = Worker {
        health: Arc::clone(&health),
        scored: Arc::clone(&scored),
        batches: Arc::clone(&batches),
        model_id,
    };
    let (files, engine_options, database) = (
        options.model.clone(),
        options.engine.clone(),
        options.database.clone(),
    );
    std::thread::Builder::new()
        .name("vistazo-engine".to_owned())
        .spawn(move || {
            let loaded = (|| -> Result<(Engine, PromptEmbeddings, Database), ServeError> {
                let engine = Engine::load(&files, &engine_options)?;
                let prompts = prompt_embeddings(&engine)?;
                let db = crate::db::open(&database)?;
                Ok((engine, prompts, db))
            })();
            match loaded {
                Ok((engine, prompts, db)) => {
                    let preprocessor = engine.preprocessor().clone();
                    let device = match engine.model().device() {
                        tch::Device::Cpu => "cpu".to_owned(),
                        tch::Device::Cuda(n) => format!("cuda:{n}"),
                        other => format!("{other:?}").to_lowercase(),
                    };
                    if ready_sender.send(Ok((preprocessor, device))).is_ok() {
                        worker.run(&engine, &prompts, db, &queue);
                    }
                }
                Err(error) => {
                    let _ = ready_sender.send(Err(error));
                }
            }
        })
        .map_err(ServeError::Server)?;
    let (preprocessor, device) = ready.recv().map_err(|_| ServeError::EngineStopped)??;
    if let Ok(mut health) = health.lock() {
        health.device = device;
    }
    Ok(Scorer {
        jobs,
        preprocessor,
        limits: DecodeLimits::default(),
        max_upload: options.max_upload,
        health,
        scored,
        batches,
        uploads: Semaphore::new(UPLOADS_AT_ONCE),
    })
}

/// The engine thread.
struct Worker {
    health: Arc<Mutex<Health>>,
    scored: Arc<AtomicU64>,
    batches: Arc<AtomicU64>,
    model_id: String,
}

/// The trained model the engine scores with, as last read from the database.
struct Current {
    /// The latest round id seen, loaded or not.
    seen: Option<Option<i64>>,
    model: Option<TrainedModel>,
    problem: String,
}

impl Worker {
    fn run(
        &self,
        engine: &Engine,
        prompts: &PromptEmbeddings,
        mut db: Database,
        queue: &mpsc::Receiver<Job>,
    ) {
        let mut current = Current {
            seen: None,
            model: None,
            problem: RoundError::NoModel.to_string(),
        };
        self.refresh(&mut db, &mut current);
        let filter = VisualFilter::default();
        loop {
            let first = match queue.recv_timeout(MODEL_CHECK) {
                Ok(job) => job,
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    self.refresh(&mut db, &mut current);
                    continue;
                }
                Err(mpsc::RecvTimeoutError::Disconnected) => return,
            };
            let mut batch = vec![first];
            while batch.len() < engine.batch_size() {
                match queue.try_recv() {
                    Ok(job) => batch.push(job),
                    Err(_) => break,
                }
            }
            self.refresh(&mut db, &mut current);
            let Some(model) = &current.model else {
                for job in batch {
                    let _ = job
                        .reply
                        .send(Err(Refusal::NoModel(current.problem.clone())));
                }
                continue;
            };
            let mut pixels = Vec::with_capacity(batch.len() * engine.preprocessor().len());
            for job in &batch {
                pixels.extend_from_slice(&job.pixels);
            }
            match engine.embed_pixels(&pixels, batch.len()) {
                Ok(rows) => {
                    self.batches.fetch_add(1, Ordering::Relaxed);
                    for (job, embedding) in batch.into_iter().zip(rows) {
                        let card = if embedding.len() == model.dim() {
                            self.scored.fetch_add(1, Ordering::Relaxed);
                            Ok(scoring::score_card(
                                &job.name,
                                &embedding,
                                &job.metrics,
                                model,
                                prompts,
                                &filter,
                            ))
                        } else {
                            Err(Refusal::NoModel(current.problem.clone()))
                        };
                        let _ = job.reply.send(card);
                    }
                }
                Err(error) => {
                    let message = error.to_string();
                    for job in batch {
                        let _ = job.reply.send(Err(Refusal::Engine(message.clone())));
                    }
                }
            }
        }
    }

    /// Loads the latest trained model when a new round appeared.
    fn refresh(&self, db: &mut Database, current: &mut Current) {
        let latest = match db.latest_training_round_id() {
            Ok(latest) => latest,
            Err(error) => {
                tracing::warn!("cannot look for a new model: {error}");
                return;
            }
        };
        if current.seen == Some(latest) {
            return;
        }
        current.seen = Some(latest);
        match rounds::latest_model_for(db, Some(&self.model_id)) {
            Ok((_, model)) => current.model = Some(model),
            Err(error) => {
                current.model = None;
                current.problem = error.to_string();
            }
        }
        if let Ok(mut health) = self.health.lock() {
            health.status = if current.model.is_some() {
                "ok"
            } else {
                "no_model"
            };
            health.reason = current.model.is_none().then(|| current.problem.clone());
            health.trained_round = latest.filter(|_| current.model.is_some());
        }
    }
}

fn error(status: StatusCode, message: impl Into<String>) -> Response {
    (status, Json(serde_json::json!({ "error": message.into() }))).into_response()
}

async fn health(State(scorer): State<Arc<Scorer>>) -> Response {
    let mut health = match scorer.health.lock() {
        Ok(health) => health.clone(),
        Err(_) => {
            return error(
                StatusCode::INTERNAL_SERVER_ERROR,
                gettext("the scoring engine stopped unexpectedly"),
            );
        }
    };
    health.photos_scored = scorer.scored.load(Ordering::Relaxed);
    health.batches = scorer.batches.load(Ordering::Relaxed);
    Json(health).into_response()
}

async fn not_found() -> Response {
    error(
        StatusCode::NOT_FOUND,
        gettext("nothing here: use GET /health or POST /score"),
    )
}

async fn method_not_allowed() -> Response {
    error(
        StatusCode::METHOD_NOT_ALLOWED,
        gettext("this method is not allowed here: use GET /health or POST /score"),
    )
}

fn too_large(scorer: &Scorer) -> Response {
    error(
        StatusCode::PAYLOAD_TOO_LARGE,
        fill(
            &gettext("the upload is too large: the limit is {limit} MB"),
            &[(
                "limit",
                &format!("{:.0}", scorer.max_upload as f64 / 1_048_576.0),
            )],
        ),
    )
}

fn no_photo() -> Response {
    error(
        StatusCode::BAD_REQUEST,
        gettext("send the photo as multipart/form-data, in a file field named “file”"),
    )
}

async fn score(
    State(scorer): State<Arc<Scorer>>,
    headers: HeaderMap,
    multipart: Result<Multipart, MultipartRejection>,
) -> Response {
    // Refused before reading a byte of the body, so a client that waits for "100 Continue"
    // sends nothing.
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|length| length > scorer.max_upload) {
        return too_large(&scorer);
    }
    let Ok(multipart) = multipart else {
        return no_photo();
    };
    let Ok(_permit) = scorer.uploads.acquire().await else {
        return error(
            StatusCode::INTERNAL_SERVER_ERROR,
            gettext("the scoring engine stopped unexpectedly"),
        );
    };
    let upload = match tokio::time::timeout(UPLOAD_TIMEOUT, read_upload(multipart)).await {
        Ok(Ok(upload)) => upload,
        Ok(Err(Rejected::TooLarge)) => return too_large(&scorer),
        Ok(Err(Rejected::Malformed(reason))) => return error(StatusCode::BAD_REQUEST, reason),
        Err(_) => {
            return error(
                StatusCode::REQUEST_TIMEOUT,
                fill(
                    &gettext("the upload took longer than {seconds} seconds; send it again"),
                    &[("seconds", &UPLOAD_TIMEOUT.as_secs())],
                ),
            );
        }
    };
    let Some((name, bytes)) = upload else {
        return no_photo();
    };
    if bytes.is_empty() {
        return error(
            StatusCode::BAD_REQUEST,
            fill(&gettext("the upload {name} is empty"), &[("name", &name)]),
        );
    }

    let prepared = {
        let scorer = Arc::clone(&scorer);
        let name = name.clone();
        tokio::task::spawn_blocking(move || {
            // A photo cut short would be scored on its grey part too: it is refused.
            let picture = imaging::decode_bytes(&bytes, Path::new(&name), &scorer.limits)
                .and_then(|decoded| decoded.whole(Path::new(&name)))
                .map_err(|e| e.to_string())?;
            let metrics = PixelMetrics::measure(&picture);
            let pixels = scorer
                .preprocessor
                .pixels(&picture)
                .map_err(|e| e.to_string())?;
            Ok::<_, String>((pixels, metrics))
        })
        .await
    };
    let (pixels, metrics) = match prepared {
        Ok(Ok(prepared)) => prepared,
        Ok(Err(reason)) => {
            return error(
                StatusCode::BAD_REQUEST,
                fill(
                    &gettext("the upload is not a photo Vistazo can read: {reason}"),
                    &[("reason", &reason)],
                ),
            );
        }
        Err(_) => {
            return error(
                StatusCode::INTERNAL_SERVER_ERROR,
                gettext("the photo could not be prepared"),
            );
        }
    };

    let (reply, answer) = oneshot::channel();
    let job = Job {
        name,
        pixels,
        metrics,
        reply,
    };
    if scorer.jobs.send(job).is_err() {
        return error(
            StatusCode::INTERNAL_SERVER_ERROR,
            gettext("the scoring engine stopped unexpectedly"),
        );
    }
    match answer.await {
        Ok(Ok(card)) => Json(card).into_response(),
        Ok(Err(Refusal::NoModel(reason))) => error(StatusCode::SERVICE_UNAVAILABLE, reason),
        Ok(Err(Refusal::Engine(reason))) => error(StatusCode::INTERNAL_SERVER_ERROR, reason),
        Err(_) => error(
            StatusCode::INTERNAL_SERVER_ERROR,
            gettext("the scoring engine stopped unexpectedly"),
        ),
    }
}

/// Why an upload was not read.
enum Rejected {
    TooLarge,
    Malformed(String),
}

/// The first file field of a multipart body: its (shortened) name and its bytes.
async fn read_upload(
    mut multipart: Multipart,
) -> Result<Option<(String, axum::body::Bytes)>, Rejected> {
    let mut upload = None;
    loop {
        match multipart.next_field().await {
            Ok(Some(field)) => {
                let is_file = field.file_name().is_some()
                    || matches!(field.name(), Some("file" | "image" | "photo"));
                if !is_file {
                    continue;
                }
                let name = field.file_name().filter(|n| !n.is_empty()).map_or_else(
                    || "upload".to_owned(),
                    |name| shortened(name, MAX_NAME_CHARS),
                );
                match field.bytes().await {
                    Ok(bytes) => {
                        upload = Some((name, bytes));
                        break;
                    }
                    Err(failure) if failure.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                        return Err(Rejected::TooLarge);
                    }
                    Err(failure) => return Err(Rejected::Malformed(failure.body_text())),
                }
            }
            Ok(None) => break,
            Err(failure) if failure.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                return Err(Rejected::TooLarge);
            }
            Err(failure) => return Err(Rejected::Malformed(failure.body_text())),
        }
    }
    Ok(upload)
}
