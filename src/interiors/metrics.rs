//! Pixel metrics of a photo (brightness, contrast, sharpness, colourfulness, resolution) and
//! the visual filter built on them. Cheap, deterministic, and independent of any model.

use image::{RgbImage, imageops};
use serde::{Deserialize, Serialize};

/// Measurements are taken on a copy no larger than this, so they compare across resolutions.
const MEASURE_SIDE: u32 = 512;

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PixelMetrics {
    /// Mean luma, 0-1.
    pub brightness: f64,
    /// Standard deviation of luma, 0-0.5.
    pub contrast: f64,
    /// Variance of the Laplacian of luma (0-255 scale): low means blurred.
    pub sharpness: f64,
    /// Hasler and Süsstrunk's colourfulness: 0 for grey, above ~60 for vivid.
    pub colourfulness: f64,
    pub width: u32,
    pub height: u32,
}

impl PixelMetrics {
    pub fn measure(photo: &RgbImage) -> Self {
        let (width, height) = photo.dimensions();
        let small;
        let image = if width.max(height) > MEASURE_SIDE {
            let scale = f64::from(MEASURE_SIDE) / f64::from(width.max(height));
            let w = ((f64::from(width) * scale).round() as u32).max(1);
            let h = ((f64::from(height) * scale).round() as u32).max(1);
            small = imageops::thumbnail(photo, w, h);
            &small
        } else {
            photo
        };
        let (w, h) = image.dimensions();
        // One pass for luma and the two opponent colour channels; sums rather than a running
        // mean, so the loop has no division and the compiler can keep it tight.
        let mut luma = Vec::with_capacity(w as usize * h as usize);
        let (mut luma_moments, mut rg, mut yb) =
            (Moments::default(), Moments::default(), Moments::default());
        for p in image.pixels() {
            let (r, g, b) = (f64::from(p[0]), f64::from(p[1]), f64::from(p[2]));
            let y = 0.299 * r + 0.587 * g + 0.114 * b;
            luma.push(y);
            luma_moments.add(y);
            rg.add(r - g);
            yb.add(0.5 * (r + g) - b);
        }
        let (mean, std) = luma_moments.mean_std();

        let mut laplacian = Moments::default();
        if w >= 3 && h >= 3 {
            let (w, h) = (w as usize, h as usize);
            for y in 1..h - 1 {
                let (above, row, below) = (
                    &luma[(y - 1) * w..y * w],
                    &luma[y * w..(y + 1) * w],
                    &luma[(y + 1) * w..(y + 2) * w],
                );
                for x in 1..w - 1 {
                    let around = above[x] + below[x] + row[x - 1] + row[x + 1];
                    laplacian.add(around - 4.0 * row[x]);
                }
            }
        }
        let (_, laplacian_std) = laplacian.mean_std();

        let (rg_mean, rg_std) = rg.mean_std();
        let (yb_mean, yb_std) = yb.mean_std();
        let colourfulness = (rg_std.powi(2) + yb_std.powi(2)).sqrt()
            + 0.3 * (rg_mean.powi(2) + yb_mean.powi(2)).sqrt();

        Self {
            brightness: mean / 255.0,
            contrast: std / 255.0,
            sharpness: laplacian_std.powi(2),
            colourfulness,
            width,
            height,
        }
    }

    pub fn megapixels(&self) -> f64 {
        f64::from(self.width) * f64::from(self.height) / 1e6
    }
}

/// Count, sum and sum of squares of values, shifted by the first one so that the variance
/// keeps its precision when the values sit far from zero.
#[derive(Default)]
struct Moments {
    n: f64,
    shift: f64,
    sum: f64,
    sum_sq: f64,
}

impl Moments {
    fn add(&mut self, value: f64) {
        if self.n == 0.0 {
            self.shift = value;
        }
        let d = value - self.shift;
        self.n += 1.0;
        self.sum += d;
        self.sum_sq += d * d;
    }

    fn mean_std(&self) -> (f64, f64) {
        if self.n == 0.0 {
            return (0.0, 0.0);
        }
        let mean = self.sum / self.n;
        let variance = (self.sum_sq / self.n - mean * mean).max(0.0);
        (self.shift + mean, variance.sqrt())
    }
}

/// What the visual filter can find wrong with a photo.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum VisualIssue {
    TooDark,
    TooBright,
    LowContrast,
    Blurry,
    TooSmall,
}

/// Thresholds of the visual filter; the user can change each.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct VisualFilter {
    pub min_brightness: f64,
    pub max_brightness: f64,
    pub min_contrast: f64,
    pub min_sharpness: f64,
    pub min_megapixels: f64,
}

impl Default for VisualFilter {
    fn default() -> Self {
        Self {
            min_brightness: 0.12,
            max_brightness: 0.92,
            min_contrast: 0.05,
            min_sharpness: 25.0,
            min_megapixels: 0.08,
        }
    }
}

impl VisualFilter {
    /// The issues found; an empty list means the photo passes.
    pub fn issues(&self, metrics: &PixelMetrics) -> Vec<VisualIssue> {
        let mut issues = Vec::new();
        if metrics.brightness < self.min_brightness {
            issues.push(VisualIssue::TooDark);
        }
        if metrics.brightness > self.max_brightness {
            issues.push(VisualIssue::TooBright);
        }
        if metrics.contrast < self.min_contrast {
            issues.push(VisualIssue::LowContrast);
        }
        if metrics.sharpness < self.min_sharpness {
            issues.push(VisualIssue::Blurry);
        }
        if metrics.megapixels() < self.min_megapixels {
            issues.push(VisualIssue::TooSmall);
        }
        issues
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::Rgb;

    fn textured(width: u32, height: u32, scale: f64) -> RgbImage {
        RgbImage::from_fn(width, height, |x, y| {
            let v = (((x * 7 + y * 13) % 17) as f64 * 15.0 * scale + 40.0).min(255.0) as u8;
            Rgb([v, v.saturating_add(20), v.saturating_sub(10)])
        })
    }

    #[test]
    fn a_dark_flat_photo_fails_the_filter() {
        let dark = RgbImage::from_pixel(400, 300, Rgb([10, 10, 12]));
        let metrics = PixelMetrics::measure(&dark);
        assert!(metrics.brightness < 0.05);
        assert!(metrics.sharpness < 1e-9);
        let issues = VisualFilter::default().issues(&metrics);
        assert!(issues.contains(&VisualIssue::TooDark));
        assert!(issues.contains(&VisualIssue::LowContrast));
        assert!(issues.contains(&VisualIssue::Blurry));
    }

    #[test]
    fn a_detailed_photo_passes_and_blurring_lowers_sharpness() {
        let sharp = textured(640, 480, 1.0);
        let metrics = PixelMetrics::measure(&sharp);
        assert_eq!((metrics.width, metrics.height), (640, 480));
        assert!(
            VisualFilter::default().issues(&metrics).is_empty(),
            "{metrics:?}"
        );
        let blurred = imageops::blur(&sharp, 4.0);
        assert!(PixelMetrics::measure(&blurred).sharpness < metrics.sharpness / 10.0);
    }

    #[test]
    fn colourfulness_is_zero_for_grey_and_high_for_vivid() {
        let grey = RgbImage::from_fn(64, 64, |x, _| Rgb([(x * 4) as u8; 3]));
        assert!(PixelMetrics::measure(&grey).colourfulness < 1e-9);
        let vivid = RgbImage::from_fn(64, 64, |x, y| {
            if (x / 8 + y / 8) % 2 == 0 {
                Rgb([230, 20, 20])
            } else {
                Rgb([20, 40, 230])
            }
        });
        assert!(PixelMetrics::measure(&vivid).colourfulness > 60.0);
    }

    #[test]
    fn a_tiny_photo_is_too_small() {
        let metrics = PixelMetrics::measure(&textured(120, 90, 1.0));
        assert!(
            VisualFilter::default()
                .issues(&metrics)
                .contains(&VisualIssue::TooSmall)
        );
    }
}
