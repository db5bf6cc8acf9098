//! A comic collection and its catalog, drawn by code, for judging matching as a user would:
//! several series whose consecutive issues share their trade dress (masthead, logo, frame,
//! barcode box, palette) and differ in the artwork; variant covers; owned comics whose covers
//! are re-scans (rescaled, cropped, slightly rotated, colour-shifted, recompressed) and phone
//! photos (on a table, skewed in perspective, unevenly lit, noisy) of catalog covers; issues
//! that are not in the catalog but look like their series; every archive format; and the file
//! names collectors really have. Deterministic: the same seed draws the same library.

#![allow(dead_code)]

use std::io::Cursor;
use std::path::{Path, PathBuf};

use image::{ImageFormat, Rgb, RgbImage};

use crate::fixtures;

pub const WIDTH: u32 = 266;
pub const HEIGHT: u32 = 400;

/// A small deterministic random source (SplitMix64).
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `lo..hi`.
    pub fn range(&mut self, lo: f32, hi: f32) -> f32 {
        let unit = (self.next_u64() >> 40) as f32 / (1u64 << 24) as f32;
        lo + (hi - lo) * unit
    }

    pub fn below(&mut self, n: u32) -> u32 {
        (self.next_u64() % u64::from(n)) as u32
    }

    pub fn colour(&mut self) -> [f32; 3] {
        [
            self.range(20.0, 235.0),
            self.range(20.0, 235.0),
            self.range(20.0, 235.0),
        ]
    }
}

/// What every cover of a series shares.
#[derive(Debug, Clone)]
pub struct TradeDress {
    masthead: [f32; 3],
    logo: [f32; 3],
    frame: [f32; 3],
    /// Letter blocks of the logo: x, width, top, bottom (shares of the cover).
    letters: Vec<[f32; 4]>,
    palette: Vec<[f32; 3]>,
    masthead_height: f32,
}

impl TradeDress {
    pub fn new(seed: u64) -> Self {
        let mut rng = Rng::new(seed.wrapping_mul(7_919).wrapping_add(17));
        let masthead = rng.colour();
        let logo = masthead.map(|c| 255.0 - c);
        let frame = rng.colour();
        let mut letters = Vec::new();
        let mut x = rng.range(0.05, 0.1);
        while x < 0.72 {
            let width = rng.range(0.05, 0.11);
            letters.push([x, width, rng.range(0.03, 0.06), rng.range(0.13, 0.17)]);
            x += width + rng.range(0.01, 0.03);
        }
        let palette = (0..4).map(|_| rng.colour()).collect();
        Self {
            masthead,
            logo,
            frame,
            letters,
            palette,
            masthead_height: rng.range(0.18, 0.23),
        }
    }
}

fn put(image: &mut RgbImage, x: i64, y: i64, colour: [f32; 3]) {
    if x >= 0 && y >= 0 && (x as u32) < image.width() && (y as u32) < image.height() {
        image.put_pixel(
            x as u32,
            y as u32,
            Rgb(colour.map(|c| c.clamp(0.0, 255.0) as u8)),
        );
    }
}

/// Fills the rectangle given in shares of the picture.
fn rect(image: &mut RgbImage, x0: f32, y0: f32, x1: f32, y1: f32, colour: [f32; 3]) {
    let (w, h) = (image.width() as f32, image.height() as f32);
    for y in (y0 * h) as i64..(y1 * h) as i64 {
        for x in (x0 * w) as i64..(x1 * w) as i64 {
            put(image, x, y, colour);
        }
    }
}

fn ellipse(image: &mut RgbImage, cx: f32, cy: f32, rx: f32, ry: f32, colour: [f32; 3]) {
    let (w, h) = (image.width() as f32, image.height() as f32);
    for y in ((cy - ry) * h) as i64..((cy + ry) * h) as i64 {
        for x in ((cx - rx) * w) as i64..((cx + rx) * w) as i64 {
            let dx = (x as f32 / w - cx) / rx;
            let dy = (y as f32 / h - cy) / ry;
            if dx * dx + dy * dy <= 1.0 {
                put(image, x, y, colour);
            }
        }
    }
}

/// A colour of `palette`, varied by up to `by` per channel.
fn pick(rng: &mut Rng, palette: &[[f32; 3]], by: f32) -> [f32; 3] {
    let colour = palette[rng.below(palette.len() as u32) as usize];
    colour.map(|c| c + rng.range(-by, by))
}

/// A cover of the series `dress`: its masthead, logo, frame and barcode box, the issue
/// number in the corner box, and artwork drawn from `art_seed` in the series' palette.
pub fn draw_cover(dress: &TradeDress, art_seed: u64, number: u32) -> RgbImage {
    let mut rng = Rng::new(art_seed.wrapping_mul(104_729).wrapping_add(3));
    let mut image = RgbImage::new(WIDTH, HEIGHT);
    let top = dress.masthead_height;
    // Artwork: a gradient sky, shapes and a figure, in the palette of the series.
    let sky_top = pick(&mut rng, &dress.palette, 40.0);
    let sky_bottom = pick(&mut rng, &dress.palette, 40.0);
    for y in 0..HEIGHT {
        let t = y as f32 / HEIGHT as f32;
        let colour = [0, 1, 2].map(|c| sky_top[c] * (1.0 - t) + sky_bottom[c] * t);
        for x in 0..WIDTH {
            image.put_pixel(x, y, Rgb(colour.map(|c| c.clamp(0.0, 255.0) as u8)));
        }
    }
    for _ in 0..3 + rng.below(3) {
        let colour = pick(&mut rng, &dress.palette, 50.0);
        let (cx, cy) = (rng.range(0.1, 0.9), rng.range(top + 0.1, 0.85));
        let (rx, ry) = (rng.range(0.08, 0.3), rng.range(0.05, 0.2));
        if rng.below(2) == 0 {
            ellipse(&mut image, cx, cy, rx, ry, colour);
        } else {
            rect(&mut image, cx - rx, cy - ry, cx + rx, cy + ry, colour);
        }
    }
    let figure = pick(&mut rng, &[[40.0, 35.0, 50.0]], 30.0);
    let fx = rng.range(0.25, 0.75);
    let head = rng.range(0.06, 0.1);
    ellipse(&mut image, fx, top + 0.14, head, head * 0.66, figure);
    rect(&mut image, fx - 0.12, top + 0.2, fx + 0.12, 0.8, figure);
    rect(
        &mut image,
        fx - 0.25,
        top + 0.22,
        fx + 0.25,
        top + 0.27,
        figure,
    );
    // Trade dress.
    rect(&mut image, 0.0, 0.0, 1.0, top, dress.masthead);
    for [x, width, y0, y1] in &dress.letters {
        rect(&mut image, *x, *y0, x + width, *y1, dress.logo);
    }
    rect(&mut image, 0.8, 0.03, 0.95, 0.14, [245.0, 245.0, 240.0]);
    for bar in 0..(number % 7 + 1) {
        let x = 0.815 + 0.018 * bar as f32;
        rect(&mut image, x, 0.05, x + 0.01, 0.12, [20.0, 20.0, 20.0]);
    }
    rect(&mut image, 0.05, 0.85, 0.3, 0.95, [250.0, 250.0, 250.0]);
    for line in 0..14 {
        let x = 0.06 + 0.016 * line as f32;
        rect(
            &mut image,
            x,
            0.86,
            x + 0.006 + 0.004 * (line % 3) as f32,
            0.94,
            [10.0; 3],
        );
    }
    let border = 0.025;
    rect(&mut image, 0.0, 0.0, border, 1.0, dress.frame);
    rect(&mut image, 1.0 - border, 0.0, 1.0, 1.0, dress.frame);
    rect(&mut image, 0.0, 1.0 - border * 0.66, 1.0, 1.0, dress.frame);
    image
}

/// Bilinear sample at (x, y) in pixels; `None` outside the picture.
fn sample(image: &RgbImage, x: f32, y: f32) -> Option<[f32; 3]> {
    let (w, h) = (image.width() as f32, image.height() as f32);
    if x < 0.0 || y < 0.0 || x > w - 1.0 || y > h - 1.0 {
        return None;
    }
    let (x0, y0) = (x.floor() as u32, y.floor() as u32);
    let (x1, y1) = (
        (x0 + 1).min(image.width() - 1),
        (y0 + 1).min(image.height() - 1),
    );
    let (fx, fy) = (x - x0 as f32, y - y0 as f32);
    let p = |x: u32, y: u32| image.get_pixel(x, y).0.map(f32::from);
    let (a, b, c, d) = (p(x0, y0), p(x1, y0), p(x0, y1), p(x1, y1));
    Some([0, 1, 2].map(|i| {
        a[i] * (1.0 - fx) * (1.0 - fy)
            + b[i] * fx * (1.0 - fy)
            + c[i] * (1.0 - fx) * fy
            + d[i] * fx * fy
    }))
}

/// A flatbed re-scan: a little cropped off the edges, turned by up to 1.5 degrees, at
/// another resolution, with the scanner's colour balance.
pub fn rescan(cover: &RgbImage, rng: &mut Rng) -> RgbImage {
    let (w, h) = (cover.width() as f32, cover.height() as f32);
    let crop = [0, 1, 2, 3].map(|_| rng.range(0.0, 0.03));
    let angle = rng.range(-1.5, 1.5).to_radians();
    let scale = rng.range(0.8, 1.3);
    let out_w = ((1.0 - crop[0] - crop[2]) * w * scale) as u32;
    let out_h = ((1.0 - crop[1] - crop[3]) * h * scale) as u32;
    let gain = [0, 1, 2].map(|_| rng.range(0.92, 1.08));
    let offset = rng.range(-10.0, 10.0);
    let (sin, cos) = angle.sin_cos();
    let (cx, cy) = (w / 2.0, h / 2.0);
    RgbImage::from_fn(out_w, out_h, |x, y| {
        let sx = crop[0] * w + x as f32 / scale - cx;
        let sy = crop[1] * h + y as f32 / scale - cy;
        let (rx, ry) = (cos * sx - sin * sy + cx, sin * sx + cos * sy + cy);
        let colour = sample(cover, rx, ry).unwrap_or([235.0, 235.0, 230.0]);
        Rgb([0, 1, 2].map(|c| (colour[c] * gain[c] + offset).clamp(0.0, 255.0) as u8))
    })
}

/// A phone photo of the cover lying on a table: a border of table around it, perspective
/// skew, light falling off across the picture, a colour cast and sensor noise.
pub fn phone_photo(cover: &RgbImage, rng: &mut Rng) -> RgbImage {
    let (w, h) = (cover.width() as f32, cover.height() as f32);
    let margin = rng.range(0.05, 0.12);
    let scale = rng.range(0.9, 1.2);
    let out_w = (w * (1.0 + 2.0 * margin) * scale) as u32;
    let out_h = (h * (1.0 + 2.0 * margin) * scale) as u32;
    let table = [
        rng.range(90.0, 150.0),
        rng.range(60.0, 100.0),
        rng.range(30.0, 70.0),
    ];
    let (g, k) = (rng.range(-0.08, 0.08), rng.range(-0.08, 0.08));
    let (s1, s2) = (rng.range(-0.04, 0.04), rng.range(-0.04, 0.04));
    let light_x = rng.range(-0.35, 0.35);
    let light_y = rng.range(-0.25, 0.25);
    let cast = [rng.range(1.0, 1.08), 1.0, rng.range(0.88, 1.0)];
    let noise = rng.range(6.0, 14.0);
    let mut noise_rng = Rng::new(rng.next_u64());
    RgbImage::from_fn(out_w, out_h, |x, y| {
        let u = (x as f32 / out_w as f32 - margin) / (1.0 - 2.0 * margin) - 0.5;
        let v = (y as f32 / out_h as f32 - margin) / (1.0 - 2.0 * margin) - 0.5;
        let den = 1.0 + g * u + k * v;
        let su = (u + s1 * v) / den + 0.5;
        let sv = (v + s2 * u) / den + 0.5;
        let base = sample(cover, su * (w - 1.0), sv * (h - 1.0)).unwrap_or_else(|| {
            let grain = ((x / 3 + y / 17) % 5) as f32 * 4.0;
            table.map(|c| c + grain)
        });
        let light = 1.0
            + light_x * (x as f32 / out_w as f32 - 0.5) * 2.0
            + light_y * (y as f32 / out_h as f32 - 0.5) * 2.0;
        Rgb([0, 1, 2].map(|c| {
            let n = noise_rng.range(-noise, noise);
            (base[c] * light * cast[c] + n).clamp(0.0, 255.0) as u8
        }))
    })
}

pub fn jpeg(picture: &RgbImage, quality: u8) -> Vec<u8> {
    let mut bytes = Vec::new();
    let encoder = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut bytes, quality);
    picture.write_with_encoder(encoder).expect("encode JPEG");
    bytes
}

fn png(picture: &RgbImage) -> Vec<u8> {
    let mut bytes = Vec::new();
    picture
        .write_to(&mut Cursor::new(&mut bytes), ImageFormat::Png)
        .expect("encode PNG");
    bytes
}

/// How an owned comic is stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Container {
    Cbz,
    Cbr,
    Cb7,
    Cbt,
    Folder,
}

/// Writes a comic whose first page (in natural order) is `cover`, with two inside pages.
pub fn write_comic(path: &Path, container: Container, cover: Vec<u8>, seed: u64) -> PathBuf {
    let mut rng = Rng::new(seed);
    let inside = |rng: &mut Rng| {
        let paper = rng.colour();
        png(&RgbImage::from_fn(120, 180, |x, y| {
            let panel = (x / 60 + y / 60) % 2 == 0;
            Rgb(paper.map(|c| if panel { c as u8 } else { (c * 0.6) as u8 }))
        }))
    };
    let pages = vec![
        ("page_001.jpg".to_owned(), cover),
        ("page_002.png".to_owned(), inside(&mut rng)),
        ("page_010.png".to_owned(), inside(&mut rng)),
    ];
    match container {
        Container::Cbz => fixtures::write_zip(path, &pages),
        Container::Cbr => fixtures::write_rar5_stored(path, &pages),
        Container::Cb7 => fixtures::write_7z(path, &pages),
        Container::Cbt => fixtures::write_tar(path, &pages),
        Container::Folder => {
            std::fs::create_dir_all(path).expect("comic folder");
            for (name, bytes) in &pages {
                std::fs::write(path.join(name), bytes).expect("page");
            }
            path.to_owned()
        }
    }
}

/// A poor phone photo: a phone photo, then blurred to a few dozen pixels across and with a
/// glare over part of it, so that neither the fingerprint nor the embedding can tell the issue.
pub fn poor_photo(cover: &RgbImage, rng: &mut Rng) -> RgbImage {
    let photo = phone_photo(cover, rng);
    let (w, h) = (photo.width(), photo.height());
    let tiny = image::imageops::resize(&photo, 12, 18, image::imageops::FilterType::Triangle);
    let mut blurred = image::imageops::resize(&tiny, w, h, image::imageops::FilterType::Triangle);
    let (cx, cy) = (rng.range(0.3, 0.7), rng.range(0.3, 0.7));
    for y in 0..h {
        for x in 0..w {
            let dx = x as f32 / w as f32 - cx;
            let dy = y as f32 / h as f32 - cy;
            let glare = (1.0 - (dx * dx + dy * dy).sqrt() / 0.35).clamp(0.0, 1.0);
            let pixel = blurred.get_pixel_mut(x, y);
            pixel.0 = pixel
                .0
                .map(|c| (f32::from(c) * (1.0 - glare) + 250.0 * glare) as u8);
        }
    }
    blurred
}

/// [`write_comic`] with more entries beside the pages (a ComicInfo.xml, a MetronInfo.xml).
pub fn write_tagged_comic(
    path: &Path,
    container: Container,
    cover: Vec<u8>,
    seed: u64,
    extra: &[(String, Vec<u8>)],
) -> PathBuf {
    if extra.is_empty() {
        return write_comic(path, container, cover, seed);
    }
    let mut rng = Rng::new(seed);
    let paper = rng.colour();
    let inside = png(&RgbImage::from_fn(120, 180, |x, y| {
        let panel = (x / 60 + y / 60) % 2 == 0;
        Rgb(paper.map(|c| if panel { c as u8 } else { (c * 0.6) as u8 }))
    }));
    let mut entries = vec![
        ("page_001.jpg".to_owned(), cover),
        ("page_002.png".to_owned(), inside),
    ];
    entries.extend(extra.iter().cloned());
    match container {
        Container::Cbz => fixtures::write_zip(path, &entries),
        Container::Cbr => fixtures::write_rar5_stored(path, &entries),
        Container::Cb7 => fixtures::write_7z(path, &entries),
        Container::Cbt => fixtures::write_tar(path, &entries),
        Container::Folder => {
            std::fs::create_dir_all(path).expect("comic folder");
            for (name, bytes) in &entries {
                std::fs::write(path.join(name), bytes).expect("page");
            }
            path.to_owned()
        }
    }
}
