//! A perceptual fingerprint of a cover picture, to check that two covers are the same picture
//! and not only alike: a tiny colour copy of the cover, corrected for lighting and compared by
//! correlation.
//!
//! Owned covers are re-scans and phone photos, so before anything else the background around
//! the cover (a table, a scanner lid) is trimmed away: uniform bands along the edges, up to
//! [`MAX_TRIM`] of each side. The rest is shrunk to 8 × 12 pixels, each channel taken as a
//! logarithm (so a light falling off across the photo becomes a sum) minus its best-fitting
//! plane (which removes that fall-off, and a colour cast with it), and normalised. Two copies
//! of one cover correlate near 1 whatever the scanner, camera or compression; different covers
//! of one series, which share their masthead and frame, correlate far less.

use image::RgbImage;
use image::imageops::{self, FilterType};

/// Fingerprint size: 8 × 12 pixels, the proportions of a comic cover, three channels.
const COLUMNS: u32 = 8;
const ROWS: u32 = 12;
const LENGTH: usize = (COLUMNS * ROWS * 3) as usize;

/// Width of the copy the background is looked for in.
const TRIM_WIDTH: u32 = 64;
/// Most of each side trimming may take away.
const MAX_TRIM: f32 = 0.15;
/// Colour difference (sum over the channels) within which two pixels count as one background.
const TRIM_TOLERANCE: i32 = 40;
/// Share of a line that has to look like the edge's outermost line for the line to be trimmed.
const TRIM_SHARE: f32 = 0.9;
/// Colour difference between neighbours along a line below which the line runs smoothly.
const STEP_TOLERANCE: i32 = 40;
/// Share of a background line's steps that have to be smooth.
const SMOOTH_SHARE: f32 = 0.97;

/// The fingerprint of a picture.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CoverHash {
    values: [f32; LENGTH],
}

impl CoverHash {
    pub fn of(picture: &RgbImage) -> Self {
        Self::of_whole(&trim_background(picture))
    }

    /// The fingerprint of the whole picture, nothing trimmed: for photos, whose edges are part
    /// of the scene.
    pub fn of_whole(picture: &RgbImage) -> Self {
        let tiny = imageops::resize(picture, COLUMNS, ROWS, FilterType::Triangle);
        let mut values = [0.0f32; LENGTH];
        let pixels = (COLUMNS * ROWS) as usize;
        for channel in 0..3 {
            let plane = &mut values[channel * pixels..(channel + 1) * pixels];
            for (value, pixel) in plane.iter_mut().zip(tiny.pixels()) {
                *value = (f32::from(pixel[channel]) + 8.0).ln();
            }
            remove_plane(plane);
        }
        let norm = values.iter().map(|v| v * v).sum::<f32>().sqrt();
        if norm > 1e-3 {
            values.iter_mut().for_each(|v| *v /= norm);
        } else {
            values = [0.0; LENGTH];
        }
        Self { values }
    }

    /// The fingerprint as little-endian bytes, to store.
    pub fn to_bytes(&self) -> Vec<u8> {
        self.values.iter().flat_map(|v| v.to_le_bytes()).collect()
    }

    /// A stored fingerprint; `None` when the bytes are not one.
    pub fn from_bytes(bytes: &[u8]) -> Option<Self> {
        if bytes.len() != LENGTH * 4 {
            return None;
        }
        let mut values = [0.0f32; LENGTH];
        for (value, chunk) in values.iter_mut().zip(bytes.chunks_exact(4)) {
            *value = f32::from_le_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]);
        }
        Some(Self { values })
    }

    /// How alike the two pictures are, 0..=1: their correlation, negative counted as none.
    /// A flat picture (no detail at all) agrees with nothing.
    pub fn similarity(&self, other: &Self) -> f32 {
        let dot: f32 = self
            .values
            .iter()
            .zip(&other.values)
            .map(|(a, b)| a * b)
            .sum();
        dot.clamp(0.0, 1.0)
    }
}

/// Subtracts from `plane` (one channel, `COLUMNS` × `ROWS`) its mean and its best-fitting
/// slopes across and down.
fn remove_plane(plane: &mut [f32]) {
    let centre_x = (COLUMNS as f32 - 1.0) / 2.0;
    let centre_y = (ROWS as f32 - 1.0) / 2.0;
    let at = |i: usize| {
        (
            (i as u32 % COLUMNS) as f32 - centre_x,
            (i as u32 / COLUMNS) as f32 - centre_y,
        )
    };
    let mean = plane.iter().sum::<f32>() / plane.len() as f32;
    let (mut sx, mut sxx, mut sy, mut syy) = (0.0, 0.0, 0.0, 0.0);
    for (i, value) in plane.iter().enumerate() {
        let (x, y) = at(i);
        sx += x * (value - mean);
        sxx += x * x;
        sy += y * (value - mean);
        syy += y * y;
    }
    let (slope_x, slope_y) = (sx / sxx, sy / syy);
    for (i, value) in plane.iter_mut().enumerate() {
        let (x, y) = at(i);
        *value -= mean + slope_x * x + slope_y * y;
    }
}

#[derive(Debug, Clone, Copy)]
enum Side {
    Top,
    Bottom,
    Left,
    Right,
}

/// The picture without the uniform bands along its edges (a table around a photographed
/// cover, a scanner lid), each side trimmed by at most [`MAX_TRIM`]. Bands are trimmed again
/// after the first ones go, so a photo and a clean copy of one cover end up cut alike.
fn trim_background(picture: &RgbImage) -> RgbImage {
    let (width, height) = picture.dimensions();
    if width < 8 || height < 8 {
        return picture.clone();
    }
    let small_height = ((height as f32 * TRIM_WIDTH as f32 / width as f32).round() as u32).max(8);
    let small = imageops::resize(picture, TRIM_WIDTH, small_height, FilterType::Triangle);
    let (w, h) = (TRIM_WIDTH as i64, i64::from(small_height));
    let limit = |size: i64| (size as f32 * MAX_TRIM) as i64;
    // Lines trimmed from each side: top, bottom, left, right.
    let mut cut = [0i64; 4];
    let sides = [Side::Top, Side::Bottom, Side::Left, Side::Right];
    for _ in 0..3 {
        let mut changed = false;
        for (s, side) in sides.iter().enumerate() {
            let (length, depth_limit) = match side {
                Side::Top | Side::Bottom => (w - cut[2] - cut[3], limit(h)),
                Side::Left | Side::Right => (h - cut[0] - cut[1], limit(w)),
            };
            let start = match side {
                Side::Top | Side::Bottom => cut[2],
                Side::Left | Side::Right => cut[0],
            };
            let pixel = |depth: i64, position: i64| -> [i32; 3] {
                let (x, y) = match side {
                    Side::Top => (start + position, depth),
                    Side::Bottom => (start + position, h - 1 - depth),
                    Side::Left => (depth, start + position),
                    Side::Right => (w - 1 - depth, start + position),
                };
                small.get_pixel(x as u32, y as u32).0.map(i32::from)
            };
            let outer = cut[s];
            let alike = |a: [i32; 3], b: [i32; 3], tolerance: i32| {
                (a[0] - b[0]).abs() + (a[1] - b[1]).abs() + (a[2] - b[2]).abs() <= tolerance
            };
            // A background runs smoothly along the edge (a light may fall off along it),
            // without the jumps of drawn content, and looks like the outermost line.
            let background = |depth: i64| {
                let smooth = (1..length)
                    .filter(|&p| alike(pixel(depth, p), pixel(depth, p - 1), STEP_TOLERANCE))
                    .count();
                let like_outer = (0..length)
                    .filter(|&p| alike(pixel(depth, p), pixel(outer, p), TRIM_TOLERANCE))
                    .count();
                smooth as f32 >= (length - 1) as f32 * SMOOTH_SHARE
                    && like_outer as f32 >= length as f32 * TRIM_SHARE
            };
            while length >= 2 && cut[s] < depth_limit && background(cut[s]) {
                cut[s] += 1;
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
    let scale_x = width as f32 / w as f32;
    let scale_y = height as f32 / h as f32;
    let x0 = (cut[2] as f32 * scale_x) as u32;
    let y0 = (cut[0] as f32 * scale_y) as u32;
    let x1 = (((w - cut[3]) as f32 * scale_x) as u32).clamp(x0 + 1, width);
    let y1 = (((h - cut[1]) as f32 * scale_y) as u32).clamp(y0 + 1, height);
    imageops::crop_imm(picture, x0, y0, x1 - x0, y1 - y0).to_image()
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::Rgb;

    fn picture(seed: u32) -> RgbImage {
        RgbImage::from_fn(120, 180, |x, y| {
            let cell = (x / 20) * 31 + (y / 20) * 17 + seed * 101;
            let v = (cell.wrapping_mul(2_654_435_761) >> 24) as u8;
            Rgb([v, v.wrapping_add(60), 255 - v])
        })
    }

    #[test]
    fn a_rescaled_brighter_copy_keeps_its_fingerprint_and_another_picture_does_not() {
        let original = picture(1);
        let mut copy = imageops::resize(&original, 90, 135, FilterType::Triangle);
        for pixel in copy.pixels_mut() {
            for channel in pixel.0.iter_mut() {
                *channel = channel.saturating_add(15);
            }
        }
        let hash = CoverHash::of(&original);
        let same = hash.similarity(&CoverHash::of(&copy));
        let other = hash.similarity(&CoverHash::of(&picture(2)));
        assert!(
            same >= 0.85 && other < 0.5,
            "{same} {other} {:?} {:?}",
            trim_background(&original).dimensions(),
            trim_background(&copy).dimensions()
        );
    }

    #[test]
    fn a_photo_on_a_table_under_uneven_light_is_still_the_cover() {
        let original = picture(3);
        let (w, h) = original.dimensions();
        let (margin_x, margin_y) = (14, 20);
        let photo = RgbImage::from_fn(w + 2 * margin_x, h + 2 * margin_y, |x, y| {
            let light = 0.75 + 0.4 * x as f32 / (w + 2 * margin_x) as f32;
            let inside = x >= margin_x && y >= margin_y && x < w + margin_x && y < h + margin_y;
            let base = if inside {
                original.get_pixel(x - margin_x, y - margin_y).0
            } else {
                [120, 90, 60]
            };
            Rgb(base.map(|c| (f32::from(c) * light).min(255.0) as u8))
        });
        let trimmed = trim_background(&photo);
        assert!(
            trimmed.width() <= w + 4 && trimmed.height() <= h + 4,
            "{:?}",
            trimmed.dimensions()
        );
        let hash = CoverHash::of(&original);
        let same = hash.similarity(&CoverHash::of(&photo));
        assert!(same >= 0.85, "{same}");
    }

    #[test]
    fn a_flat_picture_agrees_with_nothing() {
        let flat = RgbImage::from_pixel(60, 90, Rgb([200, 10, 10]));
        let hash = CoverHash::of(&flat);
        assert_eq!(hash.similarity(&hash), 0.0);
        assert_eq!(hash.similarity(&CoverHash::of(&picture(4))), 0.0);
    }
}
