//! A perceptual hash of a cover picture, to check that two covers are the same picture and
//! not only alike: the signs of the brightness gradients of a tiny grey copy, horizontally
//! and vertically (a "double dHash", 128 bits). Rescaling, recompression and brightness shifts
//! keep most bits; a different picture agrees on about half of them.

use image::imageops::{self, FilterType};
use image::{GrayImage, RgbImage};

/// The 128-bit gradient hash of a picture.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CoverHash {
    horizontal: u64,
    vertical: u64,
}

impl CoverHash {
    pub fn of(picture: &RgbImage) -> Self {
        let grey: GrayImage = image::DynamicImage::ImageRgb8(picture.clone()).into_luma8();
        let wide = imageops::resize(&grey, 9, 8, FilterType::Triangle);
        let tall = imageops::resize(&grey, 8, 9, FilterType::Triangle);
        let mut horizontal = 0u64;
        let mut vertical = 0u64;
        for y in 0..8 {
            for x in 0..8 {
                let bit = y * 8 + x;
                if wide.get_pixel(x + 1, y)[0] > wide.get_pixel(x, y)[0] {
                    horizontal |= 1 << bit;
                }
                if tall.get_pixel(x, y + 1)[0] > tall.get_pixel(x, y)[0] {
                    vertical |= 1 << bit;
                }
            }
        }
        Self {
            horizontal,
            vertical,
        }
    }

    /// The share of bits the two hashes agree on, 0..=1.
    pub fn similarity(&self, other: &Self) -> f32 {
        let differ = (self.horizontal ^ other.horizontal).count_ones()
            + (self.vertical ^ other.vertical).count_ones();
        1.0 - differ as f32 / 128.0
    }
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
    fn a_rescaled_brighter_copy_keeps_its_hash_and_another_picture_does_not() {
        let original = picture(1);
        let mut copy = imageops::resize(&original, 90, 135, FilterType::Triangle);
        for pixel in copy.pixels_mut() {
            for channel in pixel.0.iter_mut() {
                *channel = channel.saturating_add(15);
            }
        }
        let hash = CoverHash::of(&original);
        assert!(hash.similarity(&CoverHash::of(&copy)) >= 0.85);
        assert!(hash.similarity(&CoverHash::of(&picture(2))) < 0.75);
    }
}
