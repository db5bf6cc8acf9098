//! Pixel metrics of a photo (brightness, contrast, sharpness, noise, tilt, colourfulness,
//! colour variety, resolution) and the visual filter built on them. Cheap, deterministic, and
//! independent of any model.

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
    /// What faults leave in the pixels; `None` for a photo measured before these were (the
    /// next import of its folder measures it again).
    #[serde(default)]
    pub faults: Option<FaultMeasurements>,
    pub width: u32,
    pub height: u32,
}

/// Measurements of the faults that spoil a photo beside exposure and blur.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct FaultMeasurements {
    /// Standard deviation of the sensor noise in luma (0-255 scale), estimated after
    /// Immerkær from the median response to a filter that cancels shading and straight edges.
    pub noise: f64,
    /// How far the photo's lines lean from level and plumb, in degrees (0-45).
    pub tilt: f64,
    /// How much of the edge energy runs along one square grid of lines, 0-1: high for a
    /// room of straight walls and furniture, low where blur, noise or clutter hide the lines.
    pub straightness: f64,
    /// How many distinct colours the photo shows: cells of a 16 × 16 chromaticity grid that
    /// hold at least 0.2 % of the pixels (noise removed first).
    pub colour_variety: f64,
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
        each_inner_pixel(&luma, w as usize, h as usize, |above, row, below, x| {
            let around = above[x] + below[x] + row[x - 1] + row[x + 1];
            laplacian.add(around - 4.0 * row[x]);
        });
        let (_, laplacian_std) = laplacian.mean_std();
        let noise = noise_of(&luma, w as usize, h as usize);
        let (tilt, straightness) = lines_of(&luma, w as usize, h as usize);
        let colour_variety = colour_variety_of(image);

        let (rg_mean, rg_std) = rg.mean_std();
        let (yb_mean, yb_std) = yb.mean_std();
        let colourfulness = (rg_std.powi(2) + yb_std.powi(2)).sqrt()
            + 0.3 * (rg_mean.powi(2) + yb_mean.powi(2)).sqrt();

        Self {
            brightness: mean / 255.0,
            contrast: std / 255.0,
            sharpness: laplacian_std.powi(2),
            colourfulness,
            faults: Some(FaultMeasurements {
                noise,
                tilt,
                straightness,
                colour_variety,
            }),
            width,
            height,
        }
    }

    pub fn megapixels(&self) -> f64 {
        f64::from(self.width) * f64::from(self.height) / 1e6
    }
}

/// Calls `visit(above, row, below, x)` for every pixel of `luma` (`w`×`h`, row by row) that has
/// all eight neighbours: the rows above, at and below it, and its column.
fn each_inner_pixel(
    luma: &[f64],
    w: usize,
    h: usize,
    mut visit: impl FnMut(&[f64], &[f64], &[f64], usize),
) {
    if w < 3 || h < 3 {
        return;
    }
    for y in 1..h - 1 {
        let (above, row, below) = (
            &luma[(y - 1) * w..y * w],
            &luma[y * w..(y + 1) * w],
            &luma[(y + 1) * w..(y + 2) * w],
        );
        for x in 1..w - 1 {
            visit(above, row, below, x);
        }
    }
}

/// Immerkær's noise estimate: the filter [1 −2 1; −2 4 −2; 1 −2 1] cancels flat areas, slopes
/// and straight edges, so what it responds to on most pixels is noise. The median of its
/// absolute response (scaled for a Gaussian, and by the filter's norm of 6) ignores the few
/// pixels on corners and texture.
fn noise_of(luma: &[f64], w: usize, h: usize) -> f64 {
    if w < 3 || h < 3 {
        return 0.0;
    }
    let mut responses = Vec::with_capacity((w - 2) * (h - 2));
    each_inner_pixel(luma, w, h, |above, row, below, x| {
        let corners = above[x - 1] + above[x + 1] + below[x - 1] + below[x + 1];
        let sides = above[x] + below[x] + row[x - 1] + row[x + 1];
        responses.push((corners - 2.0 * sides + 4.0 * row[x]).abs());
    });
    let middle = responses.len() / 2;
    let (_, median, _) = responses.select_nth_unstable_by(middle, f64::total_cmp);
    *median / (0.6745 * 6.0)
}

/// The lean of the photo's lines and how straight they are. Each pixel's gradient direction
/// is taken four times over (so level and plumb lines, at right angles, agree) and weighted by
/// the squared gradient; the mean direction gives the lean, its length the straightness.
fn lines_of(luma: &[f64], w: usize, h: usize) -> (f64, f64) {
    if w < 5 || h < 5 {
        return (0.0, 0.0);
    }
    // A light [1 2 1] smoothing first, so that single-pixel noise does not steer the gradients.
    let mut smooth = vec![0.0; w * h];
    for y in 1..h - 1 {
        for x in 1..w - 1 {
            let at = |dx: usize, dy: usize| luma[(y + dy - 1) * w + x + dx - 1];
            smooth[y * w + x] = (at(0, 0)
                + at(2, 0)
                + at(0, 2)
                + at(2, 2)
                + 2.0 * (at(1, 0) + at(0, 1) + at(2, 1) + at(1, 2))
                + 4.0 * at(1, 1))
                / 16.0;
        }
    }
    let (mut re, mut im, mut total) = (0.0, 0.0, 0.0);
    for y in 2..h - 2 {
        for x in 2..w - 2 {
            let at = |dx: isize, dy: isize| {
                smooth[(y as isize + dy) as usize * w + (x as isize + dx) as usize]
            };
            let gx =
                at(1, -1) + 2.0 * at(1, 0) + at(1, 1) - at(-1, -1) - 2.0 * at(-1, 0) - at(-1, 1);
            let gy =
                at(-1, 1) + 2.0 * at(0, 1) + at(1, 1) - at(-1, -1) - 2.0 * at(0, -1) - at(1, -1);
            let weight = gx * gx + gy * gy;
            if weight == 0.0 {
                continue;
            }
            let angle = 4.0 * gy.atan2(gx);
            re += weight * angle.cos();
            im += weight * angle.sin();
            total += weight;
        }
    }
    if total == 0.0 {
        return (0.0, 0.0);
    }
    let lean = (im.atan2(re) / 4.0).to_degrees().abs();
    (lean, (re.hypot(im) / total).clamp(0.0, 1.0))
}

/// Cells of a 16 × 16 grid of chromaticity (r and g over r + g + b) holding at least 0.2 % of
/// the photo's pixels, after a 3 × 3 median per channel has removed the noise. Near-black
/// pixels have no colour to speak of and are left out.
fn colour_variety_of(image: &RgbImage) -> f64 {
    const CELLS: usize = 16;
    let (w, h) = (image.width() as usize, image.height() as usize);
    if w < 3 || h < 3 {
        return 0.0;
    }
    let raw = image.as_raw();
    let mut counts = [0u32; CELLS * CELLS];
    let mut counted = 0u32;
    for y in 1..h - 1 {
        for x in 1..w - 1 {
            let mut pixel = [0f64; 3];
            for (channel, value) in pixel.iter_mut().enumerate() {
                let mut around = [0u8; 9];
                for (k, slot) in around.iter_mut().enumerate() {
                    let (dx, dy) = (k % 3, k / 3);
                    *slot = raw[((y + dy - 1) * w + x + dx - 1) * 3 + channel];
                }
                around.sort_unstable();
                *value = f64::from(around[4]);
            }
            let sum: f64 = pixel.iter().sum();
            if sum <= 60.0 {
                continue;
            }
            let cell = |v: f64| ((v / sum * CELLS as f64) as usize).min(CELLS - 1);
            counts[cell(pixel[0]) * CELLS + cell(pixel[1])] += 1;
            counted += 1;
        }
    }
    let floor = 0.002 * f64::from(counted);
    counts
        .iter()
        .filter(|&&c| c > 0 && f64::from(c) > floor)
        .count() as f64
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

    /// Horizontal and vertical bands, like walls and furniture, turned by `degrees`.
    fn grid(degrees: f64) -> RgbImage {
        let (sin, cos) = degrees.to_radians().sin_cos();
        RgbImage::from_fn(320, 240, |x, y| {
            let (dx, dy) = (f64::from(x) - 160.0, f64::from(y) - 120.0);
            let (u, v) = (cos * dx + sin * dy, -sin * dx + cos * dy);
            let band = ((u / 23.0).floor() as i64 + (v / 17.0).floor() as i64).rem_euclid(2);
            Rgb(if band == 0 {
                [200, 190, 170]
            } else {
                [90, 70, 60]
            })
        })
    }

    #[test]
    fn the_lean_of_the_lines_is_measured_in_degrees() {
        let level = PixelMetrics::measure(&grid(0.0));
        assert!(level.faults.unwrap().tilt < 0.5, "{level:?}");
        assert!(level.faults.unwrap().straightness > 0.8, "{level:?}");
        for degrees in [3.0, -6.0, 10.0] {
            let tilted = PixelMetrics::measure(&grid(degrees));
            assert!(
                (tilted.faults.unwrap().tilt - f64::abs(degrees)).abs() < 1.0,
                "{degrees}: {tilted:?}"
            );
        }
    }

    #[test]
    fn noise_is_estimated_whatever_the_scene() {
        let clean = grid(0.0);
        assert!(PixelMetrics::measure(&clean).faults.unwrap().noise < 0.5);
        let mut rng = crate::random::SplitMix64::new(9);
        let mut noisy = clean.clone();
        for pixel in noisy.pixels_mut() {
            let n = rng.normal() * 10.0;
            for c in pixel.0.iter_mut() {
                *c = (f64::from(*c) + n).clamp(0.0, 255.0) as u8;
            }
        }
        let noise = PixelMetrics::measure(&noisy).faults.unwrap().noise;
        assert!((noise - 10.0).abs() < 2.0, "{noise}");
    }

    #[test]
    fn strewn_objects_add_colours() {
        let room = grid(0.0);
        let plain = PixelMetrics::measure(&room).faults.unwrap().colour_variety;
        let mut cluttered = room.clone();
        let mut rng = crate::random::SplitMix64::new(3);
        for k in 0..30u32 {
            let colour = Rgb([
                rng.below(256) as u8,
                rng.below(256) as u8,
                rng.below(256) as u8,
            ]);
            let (x0, y0) = (rng.below(300) as u32, rng.below(220) as u32);
            for y in y0..y0 + 12 {
                for x in x0..x0 + 12 + k % 5 {
                    cluttered.put_pixel(x.min(319), y.min(239), colour);
                }
            }
        }
        let more = PixelMetrics::measure(&cluttered)
            .faults
            .unwrap()
            .colour_variety;
        assert!(more >= plain + 5.0, "{plain} {more}");
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
