//! The model's shape, read from a Hugging Face `config.json` (`CLIPModel`), so that ViT-B/32,
//! ViT-B/16 and ViT-L/14 checkpoints all load with the same code. Missing fields take the
//! defaults of transformers' `CLIPTextConfig` / `CLIPVisionConfig`, which describe ViT-B/32.
//!
//! It only describes; it never touches tensors.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::i18n::{fill, gettext};

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{}", fill(&gettext("cannot read the model configuration {path}: {error}"), &[("path", &.path.display()), ("error", .source)]))]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{}", fill(&gettext("the model configuration {path} is not a CLIP config.json: {error}"), &[("path", &.path.display()), ("error", .source)]))]
    Parse {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },
    #[error("{}", fill(&gettext("the model configuration {path} describes a {model_type} model, not CLIP; pass --model a folder holding a CLIP model"), &[("path", &.path.display()), ("model_type", .model_type)]))]
    NotClip { path: PathBuf, model_type: String },
    #[error("{}", fill(&gettext("the model configuration {path} is not usable: {reason}"), &[("path", &.path.display()), ("reason", .reason)]))]
    Invalid { path: PathBuf, reason: String },
}

/// The activation inside each transformer block's MLP.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum Activation {
    /// `x · sigmoid(1.702 x)`, used by the OpenAI checkpoints.
    #[serde(rename = "quick_gelu")]
    QuickGelu,
    /// The exact (erf) GELU, used by some LAION checkpoints.
    #[serde(rename = "gelu")]
    Gelu,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default)]
pub struct TextConfig {
    pub vocab_size: i64,
    pub hidden_size: i64,
    pub intermediate_size: i64,
    pub num_hidden_layers: i64,
    pub num_attention_heads: i64,
    pub max_position_embeddings: i64,
    pub hidden_act: Activation,
    pub layer_norm_eps: f64,
    /// `2` in the original OpenAI configs, which makes transformers pool at the largest token
    /// id (the end token, 49407) instead of looking the end token up.
    pub eos_token_id: Option<i64>,
}

impl Default for TextConfig {
    fn default() -> Self {
        Self {
            vocab_size: 49408,
            hidden_size: 512,
            intermediate_size: 2048,
            num_hidden_layers: 12,
            num_attention_heads: 8,
            max_position_embeddings: 77,
            hidden_act: Activation::QuickGelu,
            layer_norm_eps: 1e-5,
            eos_token_id: Some(49407),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default)]
pub struct VisionConfig {
    pub hidden_size: i64,
    pub intermediate_size: i64,
    pub num_hidden_layers: i64,
    pub num_attention_heads: i64,
    pub num_channels: i64,
    pub image_size: i64,
    pub patch_size: i64,
    pub hidden_act: Activation,
    pub layer_norm_eps: f64,
}

impl Default for VisionConfig {
    fn default() -> Self {
        Self {
            hidden_size: 768,
            intermediate_size: 3072,
            num_hidden_layers: 12,
            num_attention_heads: 12,
            num_channels: 3,
            image_size: 224,
            patch_size: 32,
            hidden_act: Activation::QuickGelu,
            layer_norm_eps: 1e-5,
        }
    }
}

/// A CLIP model's architecture.
#[derive(Debug, Clone, PartialEq)]
pub struct ClipConfig {
    /// The size of the shared embedding space (512 for ViT-B).
    pub projection_dim: i64,
    pub text: TextConfig,
    pub vision: VisionConfig,
}

/// `config.json` as written by transformers; old files carry `text_config_dict` beside (or
/// instead of) `text_config`.
#[derive(Deserialize)]
struct RawConfig {
    /// "clip" in every CLIP config.json transformers writes.
    model_type: Option<String>,
    #[serde(default = "default_projection_dim")]
    projection_dim: i64,
    text_config: Option<TextConfig>,
    text_config_dict: Option<TextConfig>,
    vision_config: Option<VisionConfig>,
    vision_config_dict: Option<VisionConfig>,
}

fn default_projection_dim() -> i64 {
    512
}

impl Default for ClipConfig {
    /// ViT-B/32, as openai/clip-vit-base-patch32.
    fn default() -> Self {
        Self {
            projection_dim: default_projection_dim(),
            text: TextConfig::default(),
            vision: VisionConfig::default(),
        }
    }
}

impl ClipConfig {
    pub fn from_file(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_owned(),
            source,
        })?;
        Self::from_json(&text, path)
    }

    /// Parses the text of a `config.json`; `path` is what errors report.
    pub fn from_json(json: &str, path: &Path) -> Result<Self, ConfigError> {
        let raw: RawConfig = serde_json::from_str(json).map_err(|source| ConfigError::Parse {
            path: path.to_owned(),
            source,
        })?;
        if let Some(kind) = raw.model_type.as_deref().filter(|kind| *kind != "clip") {
            return Err(ConfigError::NotClip {
                path: path.to_owned(),
                model_type: kind.to_owned(),
            });
        }
        let config = Self {
            projection_dim: raw.projection_dim,
            text: raw.text_config.or(raw.text_config_dict).unwrap_or_default(),
            vision: raw
                .vision_config
                .or(raw.vision_config_dict)
                .unwrap_or_default(),
        };
        config.validate().map_err(|reason| ConfigError::Invalid {
            path: path.to_owned(),
            reason,
        })?;
        Ok(config)
    }

    fn validate(&self) -> Result<(), String> {
        let positive = [
            ("projection_dim", self.projection_dim),
            ("text_config.vocab_size", self.text.vocab_size),
            ("text_config.hidden_size", self.text.hidden_size),
            ("text_config.intermediate_size", self.text.intermediate_size),
            (
                "text_config.num_attention_heads",
                self.text.num_attention_heads,
            ),
            (
                "text_config.max_position_embeddings",
                self.text.max_position_embeddings,
            ),
            ("vision_config.hidden_size", self.vision.hidden_size),
            (
                "vision_config.intermediate_size",
                self.vision.intermediate_size,
            ),
            (
                "vision_config.num_attention_heads",
                self.vision.num_attention_heads,
            ),
            ("vision_config.num_channels", self.vision.num_channels),
            ("vision_config.image_size", self.vision.image_size),
            ("vision_config.patch_size", self.vision.patch_size),
        ];
        if let Some((name, value)) = positive.iter().find(|(_, value)| *value <= 0) {
            return Err(format!("{name} is {value}, it must be positive"));
        }
        if self.text.num_hidden_layers < 0 || self.vision.num_hidden_layers < 0 {
            return Err("num_hidden_layers cannot be negative".to_owned());
        }
        if self.text.hidden_size % self.text.num_attention_heads != 0 {
            return Err(format!(
                "text_config.hidden_size {} is not a multiple of num_attention_heads {}",
                self.text.hidden_size, self.text.num_attention_heads
            ));
        }
        if self.vision.hidden_size % self.vision.num_attention_heads != 0 {
            return Err(format!(
                "vision_config.hidden_size {} is not a multiple of num_attention_heads {}",
                self.vision.hidden_size, self.vision.num_attention_heads
            ));
        }
        if self.vision.image_size % self.vision.patch_size != 0 {
            return Err(format!(
                "vision_config.image_size {} is not a multiple of patch_size {}",
                self.vision.image_size, self.vision.patch_size
            ));
        }
        Ok(())
    }

    /// Image tokens: one per patch plus the class token.
    pub fn vision_positions(&self) -> i64 {
        let side = self.vision.image_size / self.vision.patch_size;
        side * side + 1
    }

    /// Floating-point operations (a multiply-add counts two) of embedding one image: the patch
    /// projection, every block's products (q/k/v, attention, output, MLP) and the final
    /// projection. Normalisations and activations, a fraction of a percent, are left out.
    /// ViT-B/32: 8.82 GFLOP.
    pub fn image_flops(&self) -> f64 {
        let v = &self.vision;
        let (tokens, width) = (self.vision_positions() as f64, v.hidden_size as f64);
        let patches = tokens - 1.0;
        let pixels_per_patch = (v.num_channels * v.patch_size * v.patch_size) as f64;
        let patch_projection = 2.0 * patches * pixels_per_patch * width;
        let products =
            2.0 * tokens * (4.0 * width * width + 2.0 * width * v.intermediate_size as f64);
        let attention = 4.0 * tokens * tokens * width;
        let blocks = v.num_hidden_layers as f64 * (products + attention);
        patch_projection + blocks + 2.0 * width * self.projection_dim as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vit_b_32_costs_8_82_gflop_an_image() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/clip/vit-b-32-config.json"
        );
        let config = ClipConfig::from_file(std::path::Path::new(path)).expect("config");
        let gflop = config.image_flops() / 1e9;
        assert!((gflop - 8.82).abs() < 0.005, "{gflop}");
    }

    #[test]
    fn empty_config_is_vit_b_32() {
        let config = ClipConfig::from_json("{}", Path::new("config.json")).expect("parses");
        assert_eq!(config, ClipConfig::default());
        assert_eq!(config.vision_positions(), 50);
    }

    #[test]
    fn reads_the_legacy_dict_fields() {
        let json = r#"{"projection_dim": 768, "text_config": null,
            "text_config_dict": {"hidden_size": 768, "num_attention_heads": 12},
            "vision_config_dict": {"hidden_size": 1024, "patch_size": 14, "num_attention_heads": 16}}"#;
        let config = ClipConfig::from_json(json, Path::new("config.json")).expect("parses");
        assert_eq!(config.projection_dim, 768);
        assert_eq!(config.text.hidden_size, 768);
        assert_eq!(config.vision.patch_size, 14);
        assert_eq!(config.vision_positions(), 257);
    }

    #[test]
    fn unknown_activation_names_the_file() {
        let json = r#"{"vision_config": {"hidden_act": "swish"}}"#;
        let error = ClipConfig::from_json(json, Path::new("/models/x/config.json"))
            .expect_err("swish is not supported");
        assert!(
            error.to_string().contains("/models/x/config.json"),
            "{error}"
        );
    }

    #[test]
    fn inconsistent_heads_are_refused() {
        let json = r#"{"text_config": {"hidden_size": 100, "num_attention_heads": 8}}"#;
        let error =
            ClipConfig::from_json(json, Path::new("config.json")).expect_err("100 % 8 != 0");
        assert!(error.to_string().contains("num_attention_heads"), "{error}");
    }
}
