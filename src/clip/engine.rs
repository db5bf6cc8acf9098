//! The embedding engine every feature uses (the command line, the app's worker, matching,
//! interiors): a loaded model, its tokenizer and its preprocessing, behind calls that take
//! files or texts and give back L2-normalised embeddings.
//!
//! The thread that calls the engine owns the model and runs every forward pass; pictures are
//! decoded and preprocessed on decoding threads that feed it batches through a bounded queue, so
//! memory stays flat however many pictures there are. On the processor the decoding threads
//! work between forward passes, on every core, and never beside one (see [`Decoding`]); with
//! CUDA they decode while the GPU runs the model. A
//! picture that fails is reported on its own and never stops the others. The engine never
//! touches GTK or the database, and never runs the model on more than one thread.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc::sync_channel;
use std::time::{Duration, Instant};

use image::RgbImage;
use tch::{Device, Kind, Tensor};

use super::ClipError;
use super::config::ClipConfig;
use super::device::DevicePreference;
use super::model::ClipModel;
use super::passes::PassGate;
use super::preprocess::{PreprocessError, Preprocessor};
use super::tokenizer::ClipTokenizer;
use super::weights::ModelFiles;
use crate::i18n::{fill, gettext};
use crate::imaging::{self, DecodeLimits, ImageLoadError};
use crate::jobs::{CancelToken, Outcome, Progress, ProgressMeter};

/// How the engine runs.
#[derive(Debug, Clone, PartialEq)]
pub struct EngineOptions {
    pub device: DevicePreference,
    /// Images per forward pass, at most.
    pub batch_size: usize,
    /// libtorch's threads for the model; `None`: one per processor core.
    pub model_threads: Option<usize>,
    /// Threads decoding and preprocessing pictures; `None`: chosen from the core count.
    pub decode_threads: Option<usize>,
    /// When pictures are decoded on the processor, relative to the forward passes.
    pub decoding: Decoding,
    pub limits: DecodeLimits,
}

/// When decoding threads work while the model runs on the processor.
///
/// libtorch's threads (one per core) spin and wait for each other at every operation's end, so
/// a decoding thread that takes a core from one of them stalls all of them, for longer than
/// the decoding takes. `vistazo bench embed` measures both ways in one run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Decoding {
    /// The decoding threads, one per core, wait while a forward pass runs and decode the next
    /// batch between passes: no more busy threads than cores.
    #[default]
    BetweenPasses,
    /// One decoding thread works beside the model's threads.
    AlongsidePasses,
}

impl Default for EngineOptions {
    fn default() -> Self {
        Self {
            device: DevicePreference::Auto,
            batch_size: 16,
            model_threads: None,
            decode_threads: None,
            decoding: Decoding::default(),
            limits: DecodeLimits::default(),
        }
    }
}

/// Why one picture got no embedding.
#[derive(Debug, thiserror::Error)]
pub enum ImageFailure {
    #[error(transparent)]
    Load(#[from] ImageLoadError),
    #[error("{}", fill(&gettext("cannot prepare the image {path} for the model: {error}"), &[("path", &.path.display()), ("error", .source)]))]
    Preprocess {
        path: PathBuf,
        #[source]
        source: PreprocessError,
    },
}

/// The result for one picture; `index` is its position in the input.
#[derive(Debug)]
pub struct ImageEmbedding {
    pub index: usize,
    pub result: Result<Vec<f32>, ImageFailure>,
}

/// A text's token ids and its embedding.
#[derive(Debug, Clone, PartialEq)]
pub struct TextEmbedding {
    pub ids: Vec<i64>,
    pub embedding: Vec<f32>,
}

/// Time spent in each phase of a run. Decoding and preprocessing are summed over the decoding
/// threads, so with several threads they can exceed the wall time.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct PhaseTimings {
    pub decode: Duration,
    pub preprocess: Duration,
    pub model: Duration,
    pub wall: Duration,
}

/// How a run over many pictures went.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EmbedReport {
    pub outcome: Outcome,
    pub embedded: usize,
    pub failed: usize,
    pub timings: PhaseTimings,
}

/// A picture on its way from a decoding thread to the model.
struct Prepared {
    index: usize,
    pixels: Result<Vec<f32>, ImageFailure>,
    decode: Duration,
    preprocess: Duration,
}

/// A loaded CLIP model ready to embed pictures and texts. Keep it on one thread.
#[derive(Debug)]
pub struct Engine {
    model: ClipModel,
    tokenizer: ClipTokenizer,
    preprocessor: Preprocessor,
    batch_size: usize,
    /// Whose forward pass runs next, when threads share the engine.
    passes: PassGate,
    decode_threads: usize,
    /// Whether decoding threads wait for the forward pass in progress (on the processor).
    decode_between_passes: bool,
    limits: DecodeLimits,
}

// SAFETY: once read, the engine's tensors are never changed: every use reads them (inference
// under `no_grad`, new tensors for every result), and libtorch allows reading one tensor from
// several threads (its reference counts are atomic). A tower is read once, under the model's
// lock, and published through a `OnceLock`. Forward passes, the only use that keeps
// intermediate state, take turns through `passes`. The tokenizer and preprocessor are plain
// data.
unsafe impl Sync for Engine {}

impl Engine {
    /// Loads the model on the device `options` asks for: CUDA in half precision when chosen
    /// and available, else the processor in single precision.
    pub fn load(files: &ModelFiles, options: &EngineOptions) -> Result<Self, ClipError> {
        let device = options.device.resolve()?;
        let kind = match device {
            Device::Cpu => Kind::Float,
            _ => Kind::Half,
        };
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        let model_threads = options.model_threads.unwrap_or(cores).max(1);
        tch::set_num_threads(i32::try_from(model_threads).unwrap_or(i32::MAX));
        let (decode_between_passes, decode_threads) =
            decode_plan(device, options.decoding, cores, options.decode_threads);

        let config = ClipConfig::from_file(&files.config)?;
        let tokenizer = ClipTokenizer::load(
            &files.tokenizer,
            usize::try_from(config.text.max_position_embeddings).unwrap_or(77),
        )?;
        let preprocessor =
            Preprocessor::new(u32::try_from(config.vision.image_size).unwrap_or(224));
        let model = ClipModel::load(config, &files.weights, device, kind)?;
        Ok(Self {
            model,
            tokenizer,
            preprocessor,
            batch_size: options.batch_size.max(1),
            passes: PassGate::default(),
            decode_threads,
            decode_between_passes,
            limits: options.limits,
        })
    }

    pub fn model(&self) -> &ClipModel {
        &self.model
    }

    pub fn tokenizer(&self) -> &ClipTokenizer {
        &self.tokenizer
    }

    pub fn preprocessor(&self) -> &Preprocessor {
        &self.preprocessor
    }

    pub fn batch_size(&self) -> usize {
        self.batch_size
    }

    /// Changes when pictures are decoded, with the number of decoding threads that way uses
    /// (`vistazo bench embed` compares the two).
    pub fn set_decoding(&mut self, decoding: Decoding) {
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        (self.decode_between_passes, self.decode_threads) =
            decode_plan(self.model.device(), decoding, cores, None);
    }

    /// The length of every embedding.
    pub fn dimensions(&self) -> usize {
        usize::try_from(self.model.config().projection_dim).unwrap_or(0)
    }

    /// Embeds image files. Results arrive through `on_result` as batches finish (not in input
    /// order: each carries its index); a file that cannot be read is reported there and the
    /// others go on. `cancel` is honoured between batches.
    pub fn embed_images(
        &self,
        paths: &[PathBuf],
        cancel: &CancelToken,
        on_result: &mut dyn FnMut(ImageEmbedding),
        on_progress: &mut dyn FnMut(Progress),
    ) -> Result<EmbedReport, ClipError> {
        let limits = self.limits;
        self.embed_with(
            paths.len(),
            &|index| {
                Ok((
                    imaging::load_rgb(&paths[index], &limits)?,
                    paths[index].clone(),
                ))
            },
            cancel,
            on_result,
            on_progress,
        )
    }

    /// Embeds pictures that `load` produces by index, on the decoding threads: covers inside
    /// archives, thumbnails, anything [`crate::imaging`] decodes. `load` returns the picture
    /// and the name to report if it cannot be preprocessed.
    pub fn embed_with(
        &self,
        count: usize,
        load: &(dyn Fn(usize) -> Result<(RgbImage, PathBuf), ImageLoadError> + Sync),
        cancel: &CancelToken,
        on_result: &mut dyn FnMut(ImageEmbedding),
        on_progress: &mut dyn FnMut(Progress),
    ) -> Result<EmbedReport, ClipError> {
        let _no_grad = tch::no_grad_guard();
        let started = Instant::now();
        let mut timings = PhaseTimings::default();
        let mut meter = ProgressMeter::new(count as u64);
        let mut embedded = 0;
        let mut failed = 0;
        let next = AtomicUsize::new(0);
        let stop = AtomicBool::new(false);
        let image_len = self.preprocessor.len();

        let outcome = std::thread::scope(|scope| -> Result<Outcome, ClipError> {
            // Two batches in flight: the model never waits for a whole batch to be decoded,
            // and at most a few dozen pictures are held in memory.
            let (sender, receiver) = sync_channel::<Prepared>(2 * self.batch_size);
            for _ in 0..self.decode_threads.min(count.max(1)) {
                let sender = sender.clone();
                let (next, stop, preprocessor) = (&next, &stop, &self.preprocessor);
                scope.spawn(move || {
                    while !stop.load(Ordering::Relaxed) && !cancel.is_cancelled() {
                        if self.decode_between_passes {
                            self.passes.wait_while_running();
                        }
                        let index = next.fetch_add(1, Ordering::Relaxed);
                        if index >= count {
                            break;
                        }
                        let item = prepare(index, load, preprocessor);
                        if sender.send(item).is_err() {
                            break;
                        }
                    }
                });
            }
            drop(sender);

            let mut pixels: Vec<f32> = Vec::with_capacity(self.batch_size * image_len);
            let mut indices: Vec<usize> = Vec::with_capacity(self.batch_size);
            let batch = self.batch_size;
            for item in &receiver {
                timings.decode += item.decode;
                timings.preprocess += item.preprocess;
                match item.pixels {
                    Ok(image) => {
                        pixels.extend_from_slice(&image);
                        indices.push(item.index);
                    }
                    Err(failure) => {
                        failed += 1;
                        on_result(ImageEmbedding {
                            index: item.index,
                            result: Err(failure),
                        });
                        on_progress(meter.advance(1));
                    }
                }
                if indices.len() >= batch {
                    let done = indices.len();
                    if let Err(error) =
                        self.run_batch(&mut pixels, &mut indices, &mut timings, on_result)
                    {
                        stop.store(true, Ordering::Relaxed);
                        return Err(error);
                    }
                    embedded += done;
                    on_progress(meter.advance(done as u64));
                    if cancel.is_cancelled() {
                        stop.store(true, Ordering::Relaxed);
                        return Ok(Outcome::Cancelled);
                    }
                }
            }
            if cancel.is_cancelled() {
                return Ok(Outcome::Cancelled);
            }
            let done = indices.len();
            self.run_batch(&mut pixels, &mut indices, &mut timings, on_result)?;
            embedded += done;
            if done > 0 {
                on_progress(meter.advance(done as u64));
            }
            Ok(Outcome::Finished)
        })?;
        timings.wall = started.elapsed();
        Ok(EmbedReport {
            outcome,
            embedded,
            failed,
            timings,
        })
    }

    /// Embeds the pictures gathered so far and hands out their results.
    fn run_batch(
        &self,
        pixels: &mut Vec<f32>,
        indices: &mut Vec<usize>,
        timings: &mut PhaseTimings,
        on_result: &mut dyn FnMut(ImageEmbedding),
    ) -> Result<(), ClipError> {
        if indices.is_empty() {
            return Ok(());
        }
        let started = Instant::now();
        let rows = self.embed_pixels(pixels, indices.len())?;
        timings.model += started.elapsed();
        for (index, embedding) in indices.drain(..).zip(rows) {
            on_result(ImageEmbedding {
                index,
                result: Ok(embedding),
            });
        }
        pixels.clear();
        Ok(())
    }

    /// Runs the vision tower on `count` preprocessed pictures laid end to end (planar,
    /// [`Preprocessor::len`] floats each) and returns one embedding per picture.
    pub fn embed_pixels(&self, pixels: &[f32], count: usize) -> Result<Vec<Vec<f32>>, ClipError> {
        let _no_grad = tch::no_grad_guard();
        let size = i64::from(self.preprocessor.size());
        let batch = Tensor::f_from_slice(pixels)
            .and_then(|t| t.f_view([count as i64, 3, size, size]))
            .map_err(super::model::ModelError::from)?;
        let features = {
            let _turn = self.passes.enter();
            self.model.image_features(&batch)?
        };
        rows(&features)
    }

    /// Tokenises and embeds texts, in input order.
    pub fn embed_texts(&self, texts: &[&str]) -> Result<Vec<TextEmbedding>, ClipError> {
        let _no_grad = tch::no_grad_guard();
        let mut out = Vec::with_capacity(texts.len());
        for chunk in texts.chunks(self.batch_size.max(1) * 4) {
            let ids = chunk
                .iter()
                .map(|text| self.tokenizer.encode(text))
                .collect::<Result<Vec<_>, _>>()?;
            let features = {
                let _turn = self.passes.enter();
                self.model.text_features(&ids)?
            };
            for (ids, embedding) in ids.into_iter().zip(rows(&features)?) {
                out.push(TextEmbedding { ids, embedding });
            }
        }
        Ok(out)
    }
}

/// Whether decoding waits for forward passes, and on how many threads: one per core between
/// passes on the processor, one beside them, and every core with CUDA (the GPU runs the model).
fn decode_plan(
    device: Device,
    decoding: Decoding,
    cores: usize,
    threads: Option<usize>,
) -> (bool, usize) {
    let (between, default) = match (device, decoding) {
        (Device::Cpu, Decoding::BetweenPasses) => (true, cores),
        (Device::Cpu, Decoding::AlongsidePasses) => (false, 1),
        _ => (false, cores),
    };
    (between, threads.unwrap_or(default).max(1))
}

fn prepare(
    index: usize,
    load: &(dyn Fn(usize) -> Result<(RgbImage, PathBuf), ImageLoadError> + Sync),
    preprocessor: &Preprocessor,
) -> Prepared {
    let started = Instant::now();
    let loaded = load(index);
    let decoded = Instant::now();
    let pixels = loaded
        .map_err(ImageFailure::from)
        .and_then(|(image, path)| {
            preprocessor
                .pixels(&image)
                .map_err(|source| ImageFailure::Preprocess { path, source })
        });
    let done = Instant::now();
    Prepared {
        index,
        pixels,
        decode: decoded - started,
        preprocess: done - decoded,
    }
}

/// Copies `[rows, dims]` float32 features into one vector per row.
fn rows(features: &Tensor) -> Result<Vec<Vec<f32>>, ClipError> {
    let features = features
        .f_to_device(Device::Cpu)
        .and_then(|t| t.f_to_kind(Kind::Float))
        .and_then(|t| t.f_contiguous())
        .map_err(super::model::ModelError::from)?;
    let (count, dims) = features.size2().map_err(super::model::ModelError::from)?;
    let len = (count * dims) as usize;
    let mut flat = vec![0.0f32; len];
    features
        .f_copy_data(&mut flat, len)
        .map_err(super::model::ModelError::from)?;
    Ok(flat
        .chunks_exact(dims.max(1) as usize)
        .map(<[f32]>::to_vec)
        .collect())
}
