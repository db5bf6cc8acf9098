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
//! The server must outlive hostile or careless clients, and every wait in it is bounded:
//! connections that send no request headers within [`IDLE_TIMEOUT`] are closed; only
//! [`UPLOADS_AT_ONCE`] uploads are held in memory at a time, at most [`UPLOADS_PER_CLIENT`] of
//! them from one address, so slow clients at one address cannot take every place; an upload
//! beyond its address's share is answered 429 at once, and one that finds no place within
//! [`QUEUE_WAIT`] is answered 503, both with `Retry-After`; an upload must keep arriving (a
//! piece at least every [`READ_TIMEOUT`]) and be whole within [`UPLOAD_TIMEOUT`]; its score
//! comes within [`ANSWER_TIMEOUT`]; and running out of file descriptors pauses accepting
//! instead of stopping the server.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::time::Duration;

use axum::extract::multipart::MultipartRejection;
use axum::extract::{ConnectInfo, DefaultBodyLimit, Multipart, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use serde::Serialize;
use tokio::sync::{Semaphore, SemaphorePermit, oneshot};

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

/// How long an upload's body may go without sending a byte.
pub const READ_TIMEOUT: Duration = Duration::from_secs(10);

/// Uploads read into memory at once; the others wait their turn, so memory stays bounded
/// by this many times the upload limit however many clients send at the same time.
pub const UPLOADS_AT_ONCE: usize = 16;

/// Uploads one address may have read or waiting at once: half the places, so that clients
/// at one address, however slow, leave room for the others.
pub const UPLOADS_PER_CLIENT: usize = 8;

/// How long an upload waits for a place before it is answered 503; also the `Retry-After`
/// of that answer and of a 429.
pub const QUEUE_WAIT: Duration = Duration::from_secs(5);

/// How long a photo read whole waits for its score before it is answered 503.
pub const ANSWER_TIMEOUT: Duration = Duration::from_secs(60);

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

/// How many uploads may be read at once, by everyone and by one address, and how long an
/// upload waits for a place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UploadLimits {
    pub at_once: usize,
    pub per_client: usize,
    pub queue_wait: Duration,
}

impl Default for UploadLimits {
    fn default() -> Self {
        Self {
            at_once: UPLOADS_AT_ONCE,
            per_client: UPLOADS_PER_CLIENT,
            queue_wait: QUEUE_WAIT,
        }
    }
}

/// Why an upload was turned away before it was read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Busy {
    /// Its address already has its share of uploads read or waiting (429).
    Client,
    /// No place came free within the queue wait (503).
    Server,
}

/// The places for uploads in memory, shared among the clients' addresses.
#[derive(Debug)]
pub struct UploadSlots {
    limits: UploadLimits,
    places: Semaphore,
    /// Uploads read or waiting, by address; an address with none is not kept.
    clients: Mutex<HashMap<IpAddr, usize>>,
}

/// A place held by one upload, given back when dropped.
#[derive(Debug)]
pub struct UploadSlot<'a> {
    _place: SemaphorePermit<'a>,
    _claim: ClientClaim<'a>,
}

/// One upload counted against its address's share while it waits or is read.
#[derive(Debug)]
struct ClientClaim<'a> {
    slots: &'a UploadSlots,
    client: IpAddr,
}

impl Drop for ClientClaim<'_> {
    fn drop(&mut self) {
        let mut clients = self
            .slots
            .clients
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(count) = clients.get_mut(&self.client) {
            *count = count.saturating_sub(1);
            if *count == 0 {
                clients.remove(&self.client);
            }
        }
    }
}

impl UploadSlots {
    pub fn new(limits: UploadLimits) -> Self {
        Self {
            places: Semaphore::new(limits.at_once.max(1)),
            limits,
            clients: Mutex::new(HashMap::new()),
        }
    }

    /// A place for an upload from `client`: at once when its address is over its share,
    /// after at most the queue wait when every place is taken.
    pub async fn admit(&self, client: IpAddr) -> Result<UploadSlot<'_>, Busy> {
        let claim = {
            let mut clients = self
                .clients
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            let count = clients.entry(client).or_insert(0);
            if *count >= self.limits.per_client.max(1) {
                return Err(Busy::Client);
            }
            *count += 1;
            ClientClaim {
                slots: self,
                client,
            }
        };
        match tokio::time::timeout(self.limits.queue_wait, self.places.acquire()).await {
            Ok(Ok(place)) => Ok(UploadSlot {
                _place: place,
                _claim: claim,
            }),
            _ => Err(Busy::Server),
        }
    }
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
    pub uploads: UploadLimits,
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
    /// The places for uploads held in memory.
    uploads: UploadSlots,
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
        let (stream, peer) = match accepted {
            Ok(accepted) => {
                starved = false;
                accepted
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
        let app = TowerToHyperService::new(app.clone());
        // Each request knows its client's address, for the uploads each address may send.
        let service = hyper::service::service_fn(
            move |mut request: hyper::Request<hyper::body::Incoming>| {
                request.extensions_mut().insert(ConnectInfo(peer));
                hyper::service::Service::call(&app, request)
            },
        );
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
        uploads: UploadSlots::new(options.uploads),
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

/// A 429 or a 503 for an upload turned away, with when to try again.
fn busy(why: Busy, limits: &UploadLimits) -> Response {
    let (status, message) = match why {
        Busy::Client => (
            StatusCode::TOO_MANY_REQUESTS,
            fill(
                &gettext(
                    "this address already sends {count} photos at once; send the next one when one is answered",
                ),
                &[("count", &limits.per_client)],
            ),
        ),
        Busy::Server => (
            StatusCode::SERVICE_UNAVAILABLE,
            fill(
                &gettext(
                    "the server is busy reading other uploads; try again in {seconds} seconds",
                ),
                &[("seconds", &limits.queue_wait.as_secs().max(1))],
            ),
        ),
    };
    let mut response = error(status, message);
    response.headers_mut().insert(
        header::RETRY_AFTER,
        header::HeaderValue::from(limits.queue_wait.as_secs().max(1)),
    );
    response
}

async fn score(
    State(scorer): State<Arc<Scorer>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
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
    let _slot = match scorer.uploads.admit(peer.ip()).await {
        Ok(slot) => slot,
        Err(why) => return busy(why, &scorer.uploads.limits),
    };
    let upload = match tokio::time::timeout(UPLOAD_TIMEOUT, read_upload(multipart)).await {
        Ok(Ok(upload)) => upload,
        Ok(Err(Rejected::TooLarge)) => return too_large(&scorer),
        Ok(Err(Rejected::Malformed(reason))) => return error(StatusCode::BAD_REQUEST, reason),
        Ok(Err(Rejected::Stalled)) => {
            return error(
                StatusCode::REQUEST_TIMEOUT,
                fill(
                    &gettext("the upload stopped arriving for {seconds} seconds; send it again"),
                    &[("seconds", &READ_TIMEOUT.as_secs())],
                ),
            );
        }
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
    match tokio::time::timeout(ANSWER_TIMEOUT, answer).await {
        Ok(Ok(Ok(card))) => Json(card).into_response(),
        Ok(Ok(Err(Refusal::NoModel(reason)))) => error(StatusCode::SERVICE_UNAVAILABLE, reason),
        Ok(Ok(Err(Refusal::Engine(reason)))) => error(StatusCode::INTERNAL_SERVER_ERROR, reason),
        Ok(Err(_)) => error(
            StatusCode::INTERNAL_SERVER_ERROR,
            gettext("the scoring engine stopped unexpectedly"),
        ),
        Err(_) => busy(Busy::Server, &scorer.uploads.limits),
    }
}

/// Why an upload was not read.
enum Rejected {
    TooLarge,
    Malformed(String),
    /// Nothing arrived for [`READ_TIMEOUT`].
    Stalled,
}

impl From<axum::extract::multipart::MultipartError> for Rejected {
    fn from(failure: axum::extract::multipart::MultipartError) -> Self {
        if failure.status() == StatusCode::PAYLOAD_TOO_LARGE {
            Self::TooLarge
        } else {
            Self::Malformed(failure.body_text())
        }
    }
}

/// `step`, given up when it takes longer than [`READ_TIMEOUT`].
async fn within_read_timeout<T>(
    step: impl std::future::Future<Output = Result<T, axum::extract::multipart::MultipartError>>,
) -> Result<T, Rejected> {
    match tokio::time::timeout(READ_TIMEOUT, step).await {
        Ok(result) => Ok(result?),
        Err(_) => Err(Rejected::Stalled),
    }
}

/// The first file field of a multipart body: its (shortened) name and its bytes, each piece
/// of the body arriving within [`READ_TIMEOUT`].
async fn read_upload(
    mut multipart: Multipart,
) -> Result<Option<(String, axum::body::Bytes)>, Rejected> {
    while let Some(mut field) = within_read_timeout(multipart.next_field()).await? {
        let is_file =
            field.file_name().is_some() || matches!(field.name(), Some("file" | "image" | "photo"));
        if !is_file {
            continue;
        }
        let name = field.file_name().filter(|n| !n.is_empty()).map_or_else(
            || "upload".to_owned(),
            |name| shortened(name, MAX_NAME_CHARS),
        );
        let mut bytes = Vec::new();
        while let Some(chunk) = within_read_timeout(field.chunk()).await? {
            bytes.extend_from_slice(&chunk);
        }
        return Ok(Some((name, bytes.into())));
    }
    Ok(None)
}
