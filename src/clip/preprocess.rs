//! CLIP's image preprocessing, as transformers' `CLIPImageProcessor` does it on the PIL path:
//! shortest side to the model's input size with Pillow's bicubic filter (Keys a = -0.5,
//! antialiased when shrinking; fast_image_resize's Catmull-Rom convolution is the same
//! kernel), centre crop, scale to 0..1 and normalise with CLIP's mean and standard deviation.
//!
//! Input is an upright RGB picture from [`crate::imaging`]; output is planar `3 × size × size`
//! float32, ready to stack into a batch. It never decodes files and never touches libtorch.

use fast_image_resize::images::{Image, ImageRef};
use fast_image_resize::{FilterType, PixelType, ResizeAlg, ResizeOptions, Resizer};
use image::RgbImage;

use crate::i18n::{fill, gettext};

/// CLIP's per-channel normalisation (OpenAI's values, used by every CLIP checkpoint on the hub),
/// written as published so they can be checked against `preprocessor_config.json` by eye.
#[allow(clippy::excessive_precision)]
pub const CLIP_MEAN: [f32; 3] = [0.481_454_66, 0.457_827_5, 0.408_210_73];
#[allow(clippy::excessive_precision)]
pub const CLIP_STD: [f32; 3] = [0.268_629_54, 0.261_302_58, 0.275_777_11];

/// Resized pictures longer than this many crops are resized around their centre only.
const WINDOWED_ABOVE: u32 = 8;

#[derive(Debug, thiserror::Error)]
pub enum PreprocessError {
    #[error("{}", fill(&gettext("cannot resize a {width}×{height} image to {target_width}×{target_height}: {reason}"), &[("width", .width), ("height", .height), ("target_width", .target_width), ("target_height", .target_height), ("reason", .reason)]))]
    Resize {
        width: u32,
        height: u32,
        target_width: u32,
        target_height: u32,
        reason: String,
    },
}

/// Turns pictures into model input for one input size.
#[derive(Debug, Clone)]
pub struct Preprocessor {
    size: u32,
    /// `(p / 255 - mean) / std` for every 8-bit value, per channel.
    table: [[f32; 256]; 3],
}

impl Preprocessor {
    /// For a model whose images are `size × size` (224 for ViT-B/32).
    pub fn new(size: u32) -> Self {
        let mut table = [[0.0f32; 256]; 3];
        for (channel, row) in table.iter_mut().enumerate() {
            for (value, entry) in row.iter_mut().enumerate() {
                // Rounded as transformers does it: the scaled value in float64, stored as
                // float32, then normalised in float32.
                let scaled = (value as f64 * (1.0 / 255.0)) as f32;
                *entry = (scaled - CLIP_MEAN[channel]) / CLIP_STD[channel];
            }
        }
        Self {
            size: size.max(1),
            table,
        }
    }

    pub fn size(&self) -> u32 {
        self.size
    }

    /// Floats per preprocessed image.
    pub fn len(&self) -> usize {
        3 * self.size as usize * self.size as usize
    }

    pub fn is_empty(&self) -> bool {
        false
    }

    /// The size after the shortest side is scaled to the input size, as transformers computes
    /// it (`int(size * long / short)`, truncated).
    pub fn resized_dimensions(&self, width: u32, height: u32) -> (u32, u32) {
        let (short, long) = if width <= height {
            (width, height)
        } else {
            (height, width)
        };
        let new_long = (f64::from(self.size) * f64::from(long) / f64::from(short.max(1))) as u32;
        let new_long = new_long.max(self.size);
        if width <= height {
            (self.size, new_long)
        } else {
            (new_long, self.size)
        }
    }

    /// Resizes, crops and normalises one picture into planar `[3, size, size]` floats.
    pub fn pixels(&self, image: &RgbImage) -> Result<Vec<f32>, PreprocessError> {
        let mut out = vec![0.0f32; self.len()];
        self.pixels_into(image, &mut out)?;
        Ok(out)
    }

    /// As [`Self::pixels`], writing into `out` (`len()` floats).
    pub fn pixels_into(&self, image: &RgbImage, out: &mut [f32]) -> Result<(), PreprocessError> {
        let (width, height) = image.dimensions();
        let (target_width, target_height) = self.resized_dimensions(width, height);
        let resize_error = |reason: String| PreprocessError::Resize {
            width,
            height,
            target_width,
            target_height,
            reason,
        };
        let size = self.size as usize;
        let resized;
        let (buffer, stride, top, left) = if (width, height) == (target_width, target_height) {
            let top = (height as usize - size) / 2;
            let left = (width as usize - size) / 2;
            (image.as_raw().as_slice(), width as usize * 3, top, left)
        } else {
            // Usually the whole picture is resized, exactly as Pillow does. A very elongated one
            // (a strip of panels, a 1-pixel-wide file) would make a huge intermediate picture,
            // so only its centre plus the reach of the filter is computed; that can move a few
            // pixels by one grey level, because the fractional crop origin rounds the filter
            // weights differently.
            let windowed = target_width.max(target_height) > WINDOWED_ABOVE * self.size;
            let (across, down) = if windowed {
                (
                    Window::new(width, target_width, self.size),
                    Window::new(height, target_height, self.size),
                )
            } else {
                (
                    Window::whole(width, target_width, self.size),
                    Window::whole(height, target_height, self.size),
                )
            };
            let source = ImageRef::new(width, height, image.as_raw(), PixelType::U8x3)
                .map_err(|e| resize_error(e.to_string()))?;
            let mut target = Image::new(across.length, down.length, PixelType::U8x3);
            let options = ResizeOptions::new()
                .resize_alg(ResizeAlg::Convolution(FilterType::CatmullRom))
                .crop(
                    across.source_start,
                    down.source_start,
                    across.source_length,
                    down.source_length,
                );
            Resizer::new()
                .resize(&source, &mut target, &options)
                .map_err(|e| resize_error(e.to_string()))?;
            resized = target;
            (
                resized.buffer(),
                across.length as usize * 3,
                down.crop_at as usize,
                across.crop_at as usize,
            )
        };
        let plane = size * size;
        let (red, rest) = out.split_at_mut(plane);
        let (green, blue) = rest.split_at_mut(plane);
        for y in 0..size {
            let row = &buffer[(top + y) * stride + left * 3..][..size * 3];
            let at = y * size;
            for (x, pixel) in row.chunks_exact(3).enumerate() {
                red[at + x] = self.table[0][usize::from(pixel[0])];
                green[at + x] = self.table[1][usize::from(pixel[1])];
                blue[at + x] = self.table[2][usize::from(pixel[2])];
            }
        }
        Ok(())
    }
}

/// The part of one axis of the resized picture that is computed: the centre crop plus a margin
/// as wide as the filter's reach, and where that part lies in the source.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Window {
    /// Pixels computed along this axis.
    length: u32,
    /// Where the crop starts inside the computed part.
    crop_at: u32,
    source_start: f64,
    source_length: f64,
}

impl Window {
    /// The whole axis.
    fn whole(source: u32, target: u32, crop: u32) -> Self {
        Self {
            length: target,
            crop_at: (target - crop) / 2,
            source_start: 0.0,
            source_length: f64::from(source),
        }
    }

    fn new(source: u32, target: u32, crop: u32) -> Self {
        let scale = f64::from(source) / f64::from(target);
        // Bicubic reaches 2 source pixels, stretched by the scale when shrinking; in target
        // pixels that is max(2, 2 / scale). Two more for rounding.
        let margin = (2.0f64.max(2.0 / scale)).ceil() as u32 + 2;
        let offset = (target - crop) / 2;
        let start = offset.saturating_sub(margin);
        let end = (offset + crop + margin).min(target);
        // Edges land exactly on the source's edges, so the filter is cut off where Pillow cuts
        // it off and not a rounding error short of it.
        let source_start = if start == 0 {
            0.0
        } else {
            f64::from(start) * scale
        };
        let source_end = if end == target {
            f64::from(source)
        } else {
            f64::from(end) * scale
        };
        Self {
            length: end - start,
            crop_at: offset - start,
            source_start,
            source_length: source_end - source_start,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shortest_side_becomes_the_input_size() {
        let pre = Preprocessor::new(224);
        assert_eq!(pre.resized_dimensions(600, 912), (224, 340));
        assert_eq!(pre.resized_dimensions(40, 30), (298, 224));
        assert_eq!(pre.resized_dimensions(1200, 200), (1344, 224));
        assert_eq!(pre.resized_dimensions(224, 224), (224, 224));
    }

    /// The straightforward way: resize the whole picture, then crop its centre.
    fn full_resize_then_crop(pre: &Preprocessor, image: &RgbImage) -> Vec<f32> {
        let (width, height) = image.dimensions();
        let (tw, th) = pre.resized_dimensions(width, height);
        let source = ImageRef::new(width, height, image.as_raw(), PixelType::U8x3).expect("view");
        let mut target = Image::new(tw, th, PixelType::U8x3);
        let options =
            ResizeOptions::new().resize_alg(ResizeAlg::Convolution(FilterType::CatmullRom));
        Resizer::new()
            .resize(&source, &mut target, &options)
            .expect("resize");
        let resized =
            RgbImage::from_raw(tw, th, target.into_vec()).expect("a buffer of the right size");
        let size = pre.size();
        let cropped =
            image::imageops::crop_imm(&resized, (tw - size) / 2, (th - size) / 2, size, size)
                .to_image();
        Preprocessor::new(size)
            .pixels(&cropped)
            .expect("no resize needed")
    }

    #[test]
    fn resizing_only_the_centre_matches_resizing_everything() {
        let pre = Preprocessor::new(224);
        let mut seed = 12345u32;
        for (width, height) in [
            (600, 912),
            (1200, 200),
            (40, 30),
            (225, 300),
            (1001, 999),
            (4000, 300),
        ] {
            let image = RgbImage::from_fn(width, height, |_, _| {
                seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                let [a, b, c, _] = seed.to_le_bytes();
                image::Rgb([a, b, c])
            });
            let ours = pre.pixels(&image).expect("resizes");
            let reference = full_resize_then_crop(&pre, &image);
            let worst = ours
                .iter()
                .zip(&reference)
                .map(|(a, b)| (a - b).abs())
                .fold(0.0f32, f32::max);
            // One grey level is 1/255/std ≈ 0.015 after normalisation.
            let allowed = if width > 8 * height { 0.016 } else { 0.0 };
            assert!(worst <= allowed, "{width}×{height}: differs by {worst}");
        }
    }

    #[test]
    fn uniform_grey_normalises_to_the_table_value() {
        let pre = Preprocessor::new(8);
        let image = RgbImage::from_pixel(20, 10, image::Rgb([128, 128, 128]));
        let pixels = pre.pixels(&image).expect("resizes");
        assert_eq!(pixels.len(), 3 * 64);
        let expected = ((128.0f64 / 255.0) as f32 - CLIP_MEAN[2]) / CLIP_STD[2];
        assert!((pixels[2 * 64 + 5] - expected).abs() < 1e-6);
    }
}
