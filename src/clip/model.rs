//! The CLIP network in tch: the vision tower (ViT) and the text tower (causal transformer),
//! each ending in a projection into the shared embedding space. Shapes come from
//! [`ClipConfig`]; weights come from a `model.safetensors` with Hugging Face tensor names, and
//! every tensor is checked against the shape the configuration expects before it is used.
//!
//! Opening a model checks every tensor both towers need against the file's header and reads
//! none of them; each tower is read on its first use, so a text search never holds the image
//! tower in memory and an embedding job never holds the text tower. Tensors are read from the
//! file straight into their own memory: loading needs the tower's size, not the file's beside it.
//!
//! This module runs tensors and nothing else: it never reads images or text, never picks a
//! device on its own, and never spawns threads. The caller holds `tch::no_grad_guard`.

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::os::fd::AsRawFd;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock, PoisonError};

use safetensors::tensor::TensorInfo;
use safetensors::{Dtype, SafeTensorError, SafeTensors};
use tch::{Device, Kind, TchError, Tensor};

use super::config::{Activation, ClipConfig, ConfigError};
use crate::i18n::{fill, gettext};

#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("{}", fill(&gettext("cannot open the model weights {path}: {error}"), &[("path", &.path.display()), ("error", .source)]))]
    Open {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{}", fill(&gettext("the model weights {path} are damaged or not a safetensors file ({reason}); delete the file and download it again"), &[("path", &.path.display()), ("reason", .reason)]))]
    Corrupt { path: PathBuf, reason: String },
    #[error("{}", fill(&gettext("the model weights {path} do not match config.json: the tensor {name} is missing"), &[("path", &.path.display()), ("name", .name)]))]
    MissingTensor { path: PathBuf, name: String },
    #[error("{}", fill(&gettext("the model weights {path} do not match config.json: {count} tensors are not used by it, such as {name}; check that config.json belongs to these weights"), &[("path", &.path.display()), ("count", .count), ("name", .name)]))]
    UnusedTensors {
        path: PathBuf,
        count: usize,
        name: String,
    },
    #[error("{}", fill(&gettext("the model weights {path} do not match config.json: the tensor {name} has shape {found}, expected {expected}"), &[("path", &.path.display()), ("name", .name), ("found", &format!("{:?}", .found)), ("expected", &format!("{:?}", .expected))]))]
    ShapeMismatch {
        path: PathBuf,
        name: String,
        expected: Vec<i64>,
        found: Vec<i64>,
    },
    #[error("{}", fill(&gettext("the model weights {path} store the tensor {name} as {dtype}; only float32, float16 and bfloat16 weights can be used"), &[("path", &.path.display()), ("name", .name), ("dtype", .dtype)]))]
    UnsupportedDtype {
        path: PathBuf,
        name: String,
        dtype: String,
    },
    #[error("{}", fill(&gettext("libtorch failed while running the model: {reason}"), &[("reason", .0)]))]
    Torch(#[from] TchError),
    #[error("{}", fill(&gettext("the model expects {size}×{size} pixel images, got a tensor of shape {shape}"), &[("size", .expected), ("shape", &format!("{:?}", .found))]))]
    PixelShape { expected: i64, found: Vec<i64> },
    #[error("{}", fill(&gettext("a text has {found} tokens, more than the model's {max}"), &[("found", .found), ("max", .max)]))]
    TooManyTokens { found: usize, max: i64 },
}

/// An opened CLIP model: its configuration checked against the weights, and each tower read
/// on its device, in one floating-point kind, the first time it is used.
#[derive(Debug)]
pub struct ClipModel {
    config: ClipConfig,
    weights: WeightFile,
    vision: OnceLock<VisionPart>,
    text: OnceLock<TextPart>,
    /// Held while a tower is read, so two threads asking at once read it once.
    reading: Mutex<()>,
    logit_scale: f64,
    device: Device,
    kind: Kind,
}

/// Which towers a model holds in memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LoadedTowers {
    pub vision: bool,
    pub text: bool,
}

impl ClipModel {
    /// Opens the weights in `weights` for the architecture in `config`, to be converted to
    /// `kind` on `device` (fp32 on the processor, fp16 on CUDA is what the engine uses). Every
    /// tensor of both towers is checked (present, of the expected shape and a usable type, none
    /// left over) before this returns; none is read until its tower is used.
    pub fn load(
        config: ClipConfig,
        weights: &Path,
        device: Device,
        kind: Kind,
    ) -> Result<Self, ModelError> {
        let weights = WeightFile::open(weights, device, kind)?;
        let check = TensorSource::checking(&weights);
        VisionPart::load(&check, &config)?;
        TextPart::load(&check, &config)?;
        let _scale = check.tensor("logit_scale", &[])?;
        // Weights the config does not account for mean the config describes another model
        // (fewer layers, say): it would load and embed, wrongly.
        check.all_used()?;
        let logit_scale = TensorSource::reading(&weights)
            .tensor("logit_scale", &[])?
            .f_double_value(&[])?;
        Ok(Self {
            config,
            weights,
            vision: OnceLock::new(),
            text: OnceLock::new(),
            reading: Mutex::new(()),
            logit_scale,
            device,
            kind,
        })
    }

    /// Which towers have been read so far.
    pub fn loaded(&self) -> LoadedTowers {
        LoadedTowers {
            vision: self.vision.get().is_some(),
            text: self.text.get().is_some(),
        }
    }

    fn vision(&self) -> Result<&VisionPart, ModelError> {
        self.part(&self.vision, VisionPart::load)
    }

    fn text(&self) -> Result<&TextPart, ModelError> {
        self.part(&self.text, TextPart::load)
    }

    /// The tower in `slot`, read by `load` the first time it is asked for.
    fn part<'a, T>(
        &'a self,
        slot: &'a OnceLock<T>,
        load: fn(&TensorSource, &ClipConfig) -> Result<T, ModelError>,
    ) -> Result<&'a T, ModelError> {
        if let Some(part) = slot.get() {
            return Ok(part);
        }
        let _reading = self.reading.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(part) = slot.get() {
            return Ok(part);
        }
        let part = load(&TensorSource::reading(&self.weights), &self.config)?;
        Ok(slot.get_or_init(|| part))
    }

    pub fn config(&self) -> &ClipConfig {
        &self.config
    }

    pub fn device(&self) -> Device {
        self.device
    }

    pub fn kind(&self) -> Kind {
        self.kind
    }

    /// The learned temperature as stored (a natural log): similarities are multiplied by its
    /// exponential (≈ 100 for the released models) before a softmax over labels.
    pub fn logit_scale(&self) -> f64 {
        self.logit_scale
    }

    /// Embeds preprocessed images, `[batch, 3, size, size]` in any kind and on any device,
    /// into L2-normalised float32 rows `[batch, projection_dim]` on the model's device.
    pub fn image_features(&self, pixels: &Tensor) -> Result<Tensor, ModelError> {
        let size = self.config.vision.image_size;
        let shape = pixels.size();
        if shape.len() != 4
            || shape[1] != self.config.vision.num_channels
            || shape[2..] != [size, size]
        {
            return Err(ModelError::PixelShape {
                expected: size,
                found: shape,
            });
        }
        let vision = self.vision()?;
        let pixels = pixels.f_to_device(self.device)?.f_to_kind(self.kind)?;
        let pooled = vision.tower.forward(&pixels)?;
        let projected = pooled.f_linear::<Tensor>(&vision.projection, None)?;
        normalise(&projected)
    }

    /// Embeds tokenised texts (each with its start and end tokens, at most the context length)
    /// into L2-normalised float32 rows `[texts, projection_dim]` on the model's device.
    pub fn text_features(&self, texts: &[Vec<i64>]) -> Result<Tensor, ModelError> {
        let max = self.config.text.max_position_embeddings;
        let longest = texts.iter().map(Vec::len).max().unwrap_or(0);
        if longest as i64 > max {
            return Err(ModelError::TooManyTokens {
                found: longest,
                max,
            });
        }
        if texts.is_empty() || longest == 0 {
            return Ok(Tensor::f_zeros(
                [texts.len() as i64, self.config.projection_dim],
                (Kind::Float, self.device),
            )?);
        }
        // Padding goes after the end token, where the causal mask keeps it from changing
        // anything the pooled position sees; its value does not matter.
        let mut flat = Vec::with_capacity(texts.len() * longest);
        let mut pooled_at = Vec::with_capacity(texts.len());
        for (row, ids) in texts.iter().enumerate() {
            pooled_at.push((row * longest + self.end_position(ids)) as i64);
            flat.extend_from_slice(ids);
            flat.resize((row + 1) * longest, 0);
        }
        let ids = Tensor::f_from_slice(&flat)?
            .f_view([texts.len() as i64, longest as i64])?
            .f_to_device(self.device)?;
        let pooled_at = Tensor::f_from_slice(&pooled_at)?.f_to_device(self.device)?;
        let text = self.text()?;
        let pooled = text.tower.forward(&ids, &pooled_at)?;
        let projected = pooled.f_linear::<Tensor>(&text.projection, None)?;
        normalise(&projected)
    }

    /// Where transformers pools a text: at the largest id for the original OpenAI configs
    /// (`eos_token_id` 2, a known quirk: the end token 49407 is the largest id), otherwise at
    /// the first end token.
    fn end_position(&self, ids: &[i64]) -> usize {
        let first_max = |ids: &[i64]| {
            let mut best = 0;
            for (at, id) in ids.iter().enumerate() {
                if *id > ids[best] {
                    best = at;
                }
            }
            best
        };
        match self.config.text.eos_token_id {
            Some(eos) if eos != 2 => ids
                .iter()
                .position(|id| *id == eos)
                .unwrap_or_else(|| first_max(ids)),
            _ => first_max(ids),
        }
    }
}

fn normalise(features: &Tensor) -> Result<Tensor, ModelError> {
    let features = features.f_to_kind(Kind::Float)?;
    let norm = features.f_norm_scalaropt_dim(2, [-1], true)?;
    Ok(features.f_div(&norm)?)
}

/// A whole file mapped read-only into memory, for the safetensors crate to check its header
/// against the file's length.
struct MappedFile {
    start: std::ptr::NonNull<libc::c_void>,
    len: usize,
}

impl MappedFile {
    /// Maps `len` bytes of `file`; `len` must be the file's length and not zero.
    fn new(file: &File, len: usize) -> std::io::Result<Self> {
        // SAFETY: a fresh private read-only mapping of an open file; the kernel picks the
        // address and nothing else refers to it. The weights file is only ever replaced by
        // renaming a finished download over it, never rewritten in place, so the bytes do not
        // change under the mapping.
        let start = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ,
                libc::MAP_PRIVATE,
                file.as_raw_fd(),
                0,
            )
        };
        if start == libc::MAP_FAILED {
            return Err(std::io::Error::last_os_error());
        }
        let start = std::ptr::NonNull::new(start).ok_or_else(std::io::Error::last_os_error)?;
        Ok(Self { start, len })
    }

    fn bytes(&self) -> &[u8] {
        // SAFETY: `start` points at `len` readable bytes mapped in `new`, unmapped only in
        // `drop`, so they live as long as `self`.
        unsafe { std::slice::from_raw_parts(self.start.as_ptr().cast::<u8>(), self.len) }
    }
}

impl Drop for MappedFile {
    fn drop(&mut self) {
        // SAFETY: unmaps exactly the mapping made in `new`; no slice from `bytes` outlives
        // `self`.
        unsafe { libc::munmap(self.start.as_ptr(), self.len) };
    }
}

/// Why the safetensors crate refused a file, as a clause of [`ModelError::Corrupt`].
fn corrupt_reason(error: SafeTensorError, file_len: u64) -> String {
    match error {
        SafeTensorError::HeaderTooSmall => format!("the file is only {file_len} bytes long"),
        SafeTensorError::HeaderTooLarge | SafeTensorError::InvalidHeaderLength => {
            format!("the header claims more bytes than the file's {file_len}")
        }
        SafeTensorError::InvalidHeader
        | SafeTensorError::InvalidHeaderStart
        | SafeTensorError::InvalidHeaderDeserialization => {
            "its header is not a JSON table of tensors".to_owned()
        }
        SafeTensorError::JsonError(error) => {
            format!("its header is not a JSON table of tensors: {error}")
        }
        SafeTensorError::MetadataIncompleteBuffer => format!(
            "the file is {file_len} bytes long but its header describes another size, as if the download stopped early"
        ),
        SafeTensorError::InvalidOffset(name) => {
            format!("the entry of {name} points outside its place in the file")
        }
        SafeTensorError::TensorInvalidInfo | SafeTensorError::ValidationOverflow => {
            "a tensor's byte count does not match its shape and type".to_owned()
        }
        other => format!("{other:?}"),
    }
}

/// One `model.safetensors`, open: where each tensor lies, from a header the safetensors crate
/// checked against the whole file. The file stays open, so a tower read later reads the same
/// file even if a new download has been renamed over its name since.
#[derive(Debug)]
struct WeightFile {
    path: PathBuf,
    file: File,
    /// Where each tensor lies, relative to `data_start`.
    entries: HashMap<String, TensorInfo>,
    data_start: u64,
    device: Device,
    kind: Kind,
}

impl WeightFile {
    fn open(path: &Path, device: Device, kind: Kind) -> Result<Self, ModelError> {
        let open_error = |source| ModelError::Open {
            path: path.to_owned(),
            source,
        };
        let file = File::open(path).map_err(open_error)?;
        let file_len = file.metadata().map_err(open_error)?.len();
        let corrupt = |error| ModelError::Corrupt {
            path: path.to_owned(),
            reason: corrupt_reason(error, file_len),
        };
        // An empty file cannot be mapped; the crate words a short one the same way.
        if file_len < 8 {
            return Err(corrupt(SafeTensorError::HeaderTooSmall));
        }
        let len = usize::try_from(file_len)
            .map_err(|_| corrupt(SafeTensorError::MetadataIncompleteBuffer))?;
        // The crate checks the header against the whole file's length; mapping it touches only
        // the header's pages.
        let map = MappedFile::new(&file, len).map_err(open_error)?;
        let (header_len, metadata) = SafeTensors::read_metadata(map.bytes()).map_err(corrupt)?;
        let entries = metadata
            .tensors()
            .into_iter()
            .map(|(name, info)| (name, info.clone()))
            .collect();
        Ok(Self {
            path: path.to_owned(),
            file,
            entries,
            data_start: 8 + header_len as u64,
            device,
            kind,
        })
    }

    /// Reads one tensor's bytes straight into a new tensor of its stored kind, then converts
    /// it to the model's kind and device (no copy when they are the same).
    fn read(&self, entry: &TensorInfo, shape: &[i64], stored: Kind) -> Result<Tensor, ModelError> {
        let tensor = Tensor::f_empty(shape, (stored, Device::Cpu))?;
        let (begin, end) = entry.data_offsets;
        if end > begin {
            // SAFETY: a new contiguous processor tensor of `shape` and `stored` owns exactly
            // `end - begin` bytes (the crate checked that every entry's bytes match its shape
            // and type), and nothing else refers to it yet.
            let bytes = unsafe {
                std::slice::from_raw_parts_mut(tensor.data_ptr().cast::<u8>(), end - begin)
            };
            self.file
                .read_exact_at(bytes, self.data_start + begin as u64)
                .map_err(|source| ModelError::Open {
                    path: self.path.clone(),
                    source,
                })?;
        }
        Ok(tensor.f_to_kind(self.kind)?.f_to_device(self.device)?)
    }
}

/// The tensors of a [`WeightFile`], asked for by name with their expected shape. A checking
/// source only checks (present, shape, type) and hands out empty tensors: the towers' loaders
/// only concatenate and scale what they get, so running them on it lists and checks every
/// tensor they would read, without reading any.
struct TensorSource<'a> {
    file: &'a WeightFile,
    reads: bool,
    /// The names asked for so far.
    used: RefCell<HashSet<String>>,
}

impl<'a> TensorSource<'a> {
    fn checking(file: &'a WeightFile) -> Self {
        Self {
            file,
            reads: false,
            used: Default::default(),
        }
    }

    fn reading(file: &'a WeightFile) -> Self {
        Self {
            file,
            reads: true,
            used: Default::default(),
        }
    }

    fn tensor(&self, name: &str, expected: &[i64]) -> Result<Tensor, ModelError> {
        let path = &self.file.path;
        let entry = self
            .file
            .entries
            .get(name)
            .ok_or_else(|| ModelError::MissingTensor {
                path: path.clone(),
                name: name.to_owned(),
            })?;
        self.used.borrow_mut().insert(name.to_owned());
        let found: Vec<i64> = entry
            .shape
            .iter()
            .map(|&size| i64::try_from(size).unwrap_or(i64::MAX))
            .collect();
        if found != expected {
            return Err(ModelError::ShapeMismatch {
                path: path.clone(),
                name: name.to_owned(),
                expected: expected.to_vec(),
                found,
            });
        }
        let stored = match entry.dtype {
            Dtype::F32 => Kind::Float,
            Dtype::F16 => Kind::Half,
            Dtype::BF16 => Kind::BFloat16,
            other => {
                return Err(ModelError::UnsupportedDtype {
                    path: path.clone(),
                    name: name.to_owned(),
                    dtype: format!("{other:?}"),
                });
            }
        };
        if self.reads {
            self.file.read(entry, expected, stored)
        } else {
            Ok(Tensor::f_empty([0], (self.file.kind, Device::Cpu))?)
        }
    }

    /// Fails when the file holds tensors nobody asked for. Older checkpoints carry
    /// `position_ids` buffers, which are only `0..n` and are not weights.
    fn all_used(&self) -> Result<(), ModelError> {
        let used = self.used.borrow();
        let mut unused: Vec<&String> = self
            .file
            .entries
            .keys()
            .filter(|name| !used.contains(*name) && !name.ends_with("embeddings.position_ids"))
            .collect();
        unused.sort();
        match unused.first() {
            None => Ok(()),
            Some(first) => Err(ModelError::UnusedTensors {
                path: self.file.path.clone(),
                count: unused.len(),
                name: (*first).clone(),
            }),
        }
    }

    fn linear(&self, prefix: &str, out: i64, input: i64) -> Result<Linear, ModelError> {
        Ok(Linear {
            weight: self.tensor(&format!("{prefix}.weight"), &[out, input])?,
            bias: self.tensor(&format!("{prefix}.bias"), &[out])?,
        })
    }

    fn layer_norm(&self, prefix: &str, width: i64, eps: f64) -> Result<LayerNorm, ModelError> {
        Ok(LayerNorm {
            weight: self.tensor(&format!("{prefix}.weight"), &[width])?,
            bias: self.tensor(&format!("{prefix}.bias"), &[width])?,
            width,
            eps,
        })
    }
}

#[derive(Debug)]
struct Linear {
    weight: Tensor,
    bias: Tensor,
}

impl Linear {
    fn forward(&self, x: &Tensor) -> Result<Tensor, TchError> {
        x.f_linear(&self.weight, Some(&self.bias))
    }
}

#[derive(Debug)]
struct LayerNorm {
    weight: Tensor,
    bias: Tensor,
    width: i64,
    eps: f64,
}

impl LayerNorm {
    fn forward(&self, x: &Tensor) -> Result<Tensor, TchError> {
        x.f_layer_norm(
            [self.width],
            Some(&self.weight),
            Some(&self.bias),
            self.eps,
            true,
        )
    }
}

/// The sizes shared by every block of one tower.
#[derive(Debug, Clone, Copy)]
struct BlockShape {
    width: i64,
    mlp: i64,
    heads: i64,
    eps: f64,
    activation: Activation,
}

/// One pre-norm transformer block, with the three attention projections fused into one matrix
/// multiplication.
#[derive(Debug)]
struct Block {
    layer_norm1: LayerNorm,
    qkv: Linear,
    out_proj: Linear,
    layer_norm2: LayerNorm,
    fc1: Linear,
    fc2: Linear,
    heads: i64,
    activation: Activation,
}

impl Block {
    fn load(source: &TensorSource, prefix: &str, shape: BlockShape) -> Result<Self, ModelError> {
        let BlockShape {
            width,
            mlp,
            heads,
            eps,
            activation,
        } = shape;
        let attention = format!("{prefix}.self_attn");
        let q = source.linear(&format!("{attention}.q_proj"), width, width)?;
        let k = source.linear(&format!("{attention}.k_proj"), width, width)?;
        let v = source.linear(&format!("{attention}.v_proj"), width, width)?;
        let qkv = Linear {
            weight: Tensor::f_cat(&[&q.weight, &k.weight, &v.weight], 0)?,
            bias: Tensor::f_cat(&[&q.bias, &k.bias, &v.bias], 0)?,
        };
        let fc1 = source.linear(&format!("{prefix}.mlp.fc1"), mlp, width)?;
        let fc2 = source.linear(&format!("{prefix}.mlp.fc2"), width, mlp)?;
        let (fc1, fc2) = match activation {
            Activation::QuickGelu => fold_quick_gelu(fc1, fc2)?,
            Activation::Gelu => (fc1, fc2),
        };
        Ok(Self {
            layer_norm1: source.layer_norm(&format!("{prefix}.layer_norm1"), width, eps)?,
            qkv,
            out_proj: source.linear(&format!("{attention}.out_proj"), width, width)?,
            layer_norm2: source.layer_norm(&format!("{prefix}.layer_norm2"), width, eps)?,
            fc1,
            fc2,
            heads,
            activation,
        })
    }

    fn forward(&self, x: &Tensor, causal: bool) -> Result<Tensor, TchError> {
        let (batch, tokens, width) = x.size3()?;
        let head_dim = width / self.heads;
        let qkv = self
            .qkv
            .forward(&self.layer_norm1.forward(x)?)?
            .f_view([batch, tokens, 3, self.heads, head_dim])?
            .f_permute([2, 0, 3, 1, 4])?;
        let q = qkv.f_select(0, 0)?;
        let k = qkv.f_select(0, 1)?;
        let v = qkv.f_select(0, 2)?;
        // The default scale is head_dim^-0.5, as CLIP's.
        let attended = Tensor::f_scaled_dot_product_attention::<Tensor>(
            &q, &k, &v, None, 0.0, causal, None, false,
        )?
        .f_transpose(1, 2)?
        .f_reshape([batch, tokens, width])?;
        // Each residual is added in place into the new tensor, and the activation runs in
        // place: no block allocates more than its products need.
        let mut x = {
            let mut attention = self.out_proj.forward(&attended)?;
            let _ = attention.f_add_(x)?;
            attention
        };
        let mut hidden = self.fc1.forward(&self.layer_norm2.forward(&x)?)?;
        let _ = match self.activation {
            // fc1 and fc2 hold quick_gelu's factor (see `fold_quick_gelu`).
            Activation::QuickGelu => hidden.f_silu_()?,
            Activation::Gelu => hidden.f_gelu_("none")?,
        };
        let _ = x.f_add_(&self.fc2.forward(&hidden)?)?;
        Ok(x)
    }
}

/// quick_gelu's factor: quick_gelu(h) = h·σ(1.702·h).
const QUICK_GELU: f64 = 1.702;

/// quick_gelu(h) = h·σ(1.702·h) = silu(1.702·h) / 1.702, so with fc1 (weight and bias) scaled
/// by 1.702 and fc2's weight divided by it, the block's MLP is fc2(silu(fc1(x))): one in-place
/// SiLU instead of a scale, a sigmoid and a product, the same function in exact arithmetic
/// (fp32 rounding moves the embeddings by about 1e-7).
fn fold_quick_gelu(fc1: Linear, fc2: Linear) -> Result<(Linear, Linear), TchError> {
    Ok((
        Linear {
            weight: fc1.weight.f_mul_scalar(QUICK_GELU)?,
            bias: fc1.bias.f_mul_scalar(QUICK_GELU)?,
        },
        Linear {
            weight: fc2.weight.f_div_scalar(QUICK_GELU)?,
            bias: fc2.bias,
        },
    ))
}

fn load_blocks(
    source: &TensorSource,
    prefix: &str,
    layers: i64,
    shape: BlockShape,
) -> Result<Vec<Block>, ModelError> {
    (0..layers)
        .map(|i| Block::load(source, &format!("{prefix}.encoder.layers.{i}"), shape))
        .collect()
}

/// The image tower and its projection into the shared space.
#[derive(Debug)]
struct VisionPart {
    tower: VisionTower,
    projection: Tensor,
}

impl VisionPart {
    fn load(source: &TensorSource, config: &ClipConfig) -> Result<Self, ModelError> {
        Ok(Self {
            tower: VisionTower::load(source, config)?,
            projection: source.tensor(
                "visual_projection.weight",
                &[config.projection_dim, config.vision.hidden_size],
            )?,
        })
    }
}

/// The text tower and its projection into the shared space.
#[derive(Debug)]
struct TextPart {
    tower: TextTower,
    projection: Tensor,
}

impl TextPart {
    fn load(source: &TensorSource, config: &ClipConfig) -> Result<Self, ModelError> {
        Ok(Self {
            tower: TextTower::load(source, config)?,
            projection: source.tensor(
                "text_projection.weight",
                &[config.projection_dim, config.text.hidden_size],
            )?,
        })
    }
}

#[derive(Debug)]
struct VisionTower {
    patch_embedding: Tensor,
    class_embedding: Tensor,
    position_embedding: Tensor,
    pre_layrnorm: LayerNorm,
    blocks: Vec<Block>,
    post_layernorm: LayerNorm,
    patch_size: i64,
}

impl VisionTower {
    fn load(source: &TensorSource, config: &ClipConfig) -> Result<Self, ModelError> {
        let c = &config.vision;
        let width = c.hidden_size;
        Ok(Self {
            patch_embedding: source.tensor(
                "vision_model.embeddings.patch_embedding.weight",
                &[width, c.num_channels, c.patch_size, c.patch_size],
            )?,
            class_embedding: source.tensor("vision_model.embeddings.class_embedding", &[width])?,
            position_embedding: source.tensor(
                "vision_model.embeddings.position_embedding.weight",
                &[config.vision_positions(), width],
            )?,
            // The misspelling is transformers' own tensor name.
            pre_layrnorm: source.layer_norm(
                "vision_model.pre_layrnorm",
                width,
                c.layer_norm_eps,
            )?,
            blocks: load_blocks(
                source,
                "vision_model",
                c.num_hidden_layers,
                BlockShape {
                    width,
                    mlp: c.intermediate_size,
                    heads: c.num_attention_heads,
                    eps: c.layer_norm_eps,
                    activation: c.hidden_act,
                },
            )?,
            post_layernorm: source.layer_norm(
                "vision_model.post_layernorm",
                width,
                c.layer_norm_eps,
            )?,
            patch_size: c.patch_size,
        })
    }

    /// The class token's final state, `[batch, width]`.
    fn forward(&self, pixels: &Tensor) -> Result<Tensor, TchError> {
        let batch = pixels.size()[0];
        let width = self.class_embedding.size()[0];
        let patches = pixels
            .f_conv2d::<Tensor>(
                &self.patch_embedding,
                None,
                [self.patch_size, self.patch_size],
                [0, 0],
                [1, 1],
                1,
            )?
            .f_flatten(2, -1)?
            .f_transpose(1, 2)?;
        let class = self
            .class_embedding
            .f_view([1, 1, width])?
            .f_expand([batch, 1, width], false)?;
        let mut x = Tensor::f_cat(&[&class, &patches], 1)?.f_add(&self.position_embedding)?;
        x = self.pre_layrnorm.forward(&x)?;
        for block in &self.blocks {
            x = block.forward(&x, false)?;
        }
        self.post_layernorm.forward(&x.f_select(1, 0)?)
    }
}

#[derive(Debug)]
struct TextTower {
    token_embedding: Tensor,
    position_embedding: Tensor,
    blocks: Vec<Block>,
    final_layer_norm: LayerNorm,
}

impl TextTower {
    fn load(source: &TensorSource, config: &ClipConfig) -> Result<Self, ModelError> {
        let c = &config.text;
        let width = c.hidden_size;
        Ok(Self {
            token_embedding: source.tensor(
                "text_model.embeddings.token_embedding.weight",
                &[c.vocab_size, width],
            )?,
            position_embedding: source.tensor(
                "text_model.embeddings.position_embedding.weight",
                &[c.max_position_embeddings, width],
            )?,
            blocks: load_blocks(
                source,
                "text_model",
                c.num_hidden_layers,
                BlockShape {
                    width,
                    mlp: c.intermediate_size,
                    heads: c.num_attention_heads,
                    eps: c.layer_norm_eps,
                    activation: c.hidden_act,
                },
            )?,
            final_layer_norm: source.layer_norm(
                "text_model.final_layer_norm",
                width,
                c.layer_norm_eps,
            )?,
        })
    }

    /// The final state at `pooled_at` (flat indices into `batch × tokens`), `[batch, width]`.
    fn forward(&self, ids: &Tensor, pooled_at: &Tensor) -> Result<Tensor, TchError> {
        let (batch, tokens) = ids.size2()?;
        let width = self.position_embedding.size()[1];
        let positions = self.position_embedding.f_narrow(0, 0, tokens)?;
        let mut x =
            Tensor::f_embedding(&self.token_embedding, ids, -1, false, false)?.f_add(&positions)?;
        for block in &self.blocks {
            x = block.forward(&x, true)?;
        }
        let pooled = x
            .f_reshape([batch * tokens, width])?
            .f_index_select(0, pooled_at)?;
        self.final_layer_norm.forward(&pooled)
    }
}
