//! Photos of rooms whose quality is known by construction: a tidy, well-lit, level, sharp room
//! drawn by code, then spoiled at a chosen severity by one to three of five faults (dim light,
//! focus blur, sensor noise, a tilted camera, clutter). The true quality is one minus the
//! severity, so a model's scores can be checked against it.

#![allow(dead_code)]

use image::{Rgb, RgbImage, imageops};

pub const WIDTH: u32 = 240;
pub const HEIGHT: u32 = 180;

/// The faults a photo can have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    Dark,
    Blur,
    Noise,
    Tilt,
    Clutter,
}

pub const FAULTS: [Fault; 5] = [
    Fault::Dark,
    Fault::Blur,
    Fault::Noise,
    Fault::Tilt,
    Fault::Clutter,
];

/// One generated photo.
pub struct Room {
    pub image: RgbImage,
    /// 0 (worst) to 1 (flawless).
    pub quality: f64,
    pub faults: Vec<Fault>,
}

impl Room {
    /// bad, medium or good by thirds of the true quality.
    pub fn label(&self) -> &'static str {
        if self.quality >= 2.0 / 3.0 {
            "good"
        } else if self.quality >= 1.0 / 3.0 {
            "medium"
        } else {
            "bad"
        }
    }
}

/// A small deterministic generator (SplitMix64).
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

    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    pub fn range(&mut self, low: f64, high: f64) -> f64 {
        low + (high - low) * self.unit()
    }

    pub fn below(&mut self, n: u32) -> u32 {
        (self.next_u64() % u64::from(n)) as u32
    }

    pub fn normal(&mut self) -> f64 {
        let u1 = self.unit().max(1e-12);
        let u2 = self.unit();
        (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
    }
}

fn fill_rect(image: &mut RgbImage, x0: i64, y0: i64, x1: i64, y1: i64, colour: [u8; 3]) {
    let (w, h) = (i64::from(image.width()), i64::from(image.height()));
    for y in y0.max(0)..y1.min(h) {
        for x in x0.max(0)..x1.min(w) {
            image.put_pixel(x as u32, y as u32, Rgb(colour));
        }
    }
}

fn shade(colour: [u8; 3], factor: f64) -> [u8; 3] {
    colour.map(|c| (f64::from(c) * factor).clamp(0.0, 255.0) as u8)
}

fn pastel(rng: &mut Rng) -> [u8; 3] {
    [
        rng.range(170.0, 240.0) as u8,
        rng.range(170.0, 240.0) as u8,
        rng.range(160.0, 230.0) as u8,
    ]
}

/// A flawless room: wall, floor, window with daylight, furniture, a rug and a lamp.
fn clean_room(rng: &mut Rng) -> RgbImage {
    let (w, h) = (i64::from(WIDTH), i64::from(HEIGHT));
    let wall = pastel(rng);
    let mut image = RgbImage::from_pixel(WIDTH, HEIGHT, Rgb(wall));
    let horizon = (h as f64 * rng.range(0.55, 0.68)) as i64;
    let floor = [
        rng.range(120.0, 170.0) as u8,
        rng.range(85.0, 120.0) as u8,
        rng.range(50.0, 80.0) as u8,
    ];
    fill_rect(&mut image, 0, horizon, w, h, floor);
    // Floorboards.
    for k in 0..8 {
        let y = horizon + (h - horizon) * k / 8;
        fill_rect(&mut image, 0, y, w, y + 1, shade(floor, 0.85));
    }
    // A window with daylight and a frame.
    let wx = rng.range(0.08, 0.55) * w as f64;
    let ww = rng.range(0.22, 0.34) * w as f64;
    let (wx, ww) = (wx as i64, ww as i64);
    let wy = (h as f64 * 0.12) as i64;
    let wh = (horizon as f64 * 0.55) as i64;
    fill_rect(
        &mut image,
        wx - 3,
        wy - 3,
        wx + ww + 3,
        wy + wh + 3,
        [250, 250, 250],
    );
    fill_rect(&mut image, wx, wy, wx + ww, wy + wh, [190, 220, 250]);
    fill_rect(
        &mut image,
        wx + ww / 2 - 1,
        wy,
        wx + ww / 2 + 1,
        wy + wh,
        [250, 250, 250],
    );
    // A sofa or a bed.
    let sofa = [
        rng.range(40.0, 200.0) as u8,
        rng.range(40.0, 200.0) as u8,
        rng.range(40.0, 200.0) as u8,
    ];
    let sx = rng.range(0.35, 0.6) * w as f64;
    let sw = rng.range(0.3, 0.4) * w as f64;
    let (sx, sw) = (sx as i64, sw as i64);
    fill_rect(&mut image, sx, horizon - 30, sx + sw, horizon + 12, sofa);
    fill_rect(
        &mut image,
        sx,
        horizon - 42,
        sx + sw,
        horizon - 30,
        shade(sofa, 0.8),
    );
    // A rug and a lamp.
    fill_rect(
        &mut image,
        w / 5,
        horizon + 20,
        w * 3 / 5,
        horizon + 40,
        shade(pastel(rng), 0.7),
    );
    let lx = rng.range(0.05, 0.25) * w as f64;
    let lx = lx as i64;
    fill_rect(
        &mut image,
        lx,
        horizon - 50,
        lx + 2,
        horizon + 5,
        [60, 60, 60],
    );
    fill_rect(
        &mut image,
        lx - 8,
        horizon - 62,
        lx + 10,
        horizon - 50,
        [250, 230, 170],
    );
    image
}

fn darken(image: &mut RgbImage, strength: f64) {
    let gain = 1.0 - 0.8 * strength;
    for pixel in image.pixels_mut() {
        for c in pixel.0.iter_mut() {
            let v = f64::from(*c) / 255.0;
            *c = (255.0 * (v * gain).powf(1.0 + strength)).clamp(0.0, 255.0) as u8;
        }
    }
}

fn add_noise(image: &mut RgbImage, strength: f64, rng: &mut Rng) {
    let sigma = 60.0 * strength;
    for pixel in image.pixels_mut() {
        for c in pixel.0.iter_mut() {
            *c = (f64::from(*c) + rng.normal() * sigma).clamp(0.0, 255.0) as u8;
        }
    }
}

/// Rotates about the centre, as a camera held crooked; the corners left empty are dark.
fn tilt(image: &RgbImage, strength: f64, rng: &mut Rng) -> RgbImage {
    let sign = if rng.below(2) == 0 { -1.0 } else { 1.0 };
    let angle = sign * strength * 14f64.to_radians();
    let (w, h) = image.dimensions();
    let (cx, cy) = (f64::from(w) / 2.0, f64::from(h) / 2.0);
    let (sin, cos) = angle.sin_cos();
    RgbImage::from_fn(w, h, |x, y| {
        let (dx, dy) = (f64::from(x) - cx, f64::from(y) - cy);
        let sx = cos * dx + sin * dy + cx;
        let sy = -sin * dx + cos * dy + cy;
        if sx >= 0.0 && sy >= 0.0 && sx < f64::from(w) - 1.0 && sy < f64::from(h) - 1.0 {
            *image.get_pixel(sx as u32, sy as u32)
        } else {
            Rgb([30, 30, 30])
        }
    })
}

/// Objects strewn over the floor and the furniture.
fn clutter(image: &mut RgbImage, strength: f64, rng: &mut Rng) {
    let count = (strength * 40.0).round() as u32;
    let (w, h) = (i64::from(WIDTH), i64::from(HEIGHT));
    for _ in 0..count {
        let colour = [
            rng.below(256) as u8,
            rng.below(256) as u8,
            rng.below(256) as u8,
        ];
        let x = i64::from(rng.below(WIDTH));
        let y = h / 3 + i64::from(rng.below(HEIGHT * 2 / 3));
        let (bw, bh) = (4 + i64::from(rng.below(16)), 4 + i64::from(rng.below(12)));
        fill_rect(image, x, y, (x + bw).min(w), (y + bh).min(h), colour);
    }
}

/// The `index`-th photo of a set generated from `seed`: the severity runs evenly over the
/// set, so every quality is represented.
pub fn room(seed: u64, index: u64, count: u64) -> Room {
    let mut rng = Rng::new(seed ^ index.wrapping_mul(0x2545_f491_4f6c_dd1d));
    let image = clean_room(&mut rng);
    let severity = ((index as f64 + rng.unit()) / count as f64).clamp(0.0, 1.0);
    spoil(image, severity, &mut rng)
}

/// The `shot`-th photo of scene `scene` in a set of `scenes` scenes with `shots` photos each:
/// every photo of a scene shows the same room (walls, window, furniture), spoiled by its own
/// faults at its own severity. Severities run evenly over the whole set and over each scene,
/// so a model tested on scenes it never saw meets every quality.
pub fn scene_photo(seed: u64, scene: u64, shot: u64, scenes: u64, shots: u64) -> Room {
    let mut room_rng = Rng::new(seed ^ scene.wrapping_mul(0x9e37_79b9_7f4a_7c15));
    let image = clean_room(&mut room_rng);
    let index = shot * scenes + scene;
    let mut rng = Rng::new(seed ^ (index + 1).wrapping_mul(0x2545_f491_4f6c_dd1d));
    let severity = ((index as f64 + rng.unit()) / (scenes * shots) as f64).clamp(0.0, 1.0);
    spoil(image, severity, &mut rng)
}

/// Photos of one room taken a few seconds apart: the same room, faults and severity (a
/// photographer who takes several keeps the light and the camera: at most half the worst
/// severity), the camera moved by a pixel or two and the exposure by a few percent.
pub fn burst(seed: u64, scene: u64, count: u64) -> Vec<Room> {
    let mut room_rng = Rng::new(seed ^ scene.wrapping_mul(0x9e37_79b9_7f4a_7c15));
    let clean = clean_room(&mut room_rng);
    let mut rng = Rng::new(seed ^ scene.wrapping_mul(0xd6e8_feb8_6659_fd93) ^ 0xb0b);
    let severity = rng.range(0.0, 0.5);
    let first = spoil(clean, severity, &mut rng);
    (0..count)
        .map(|k| {
            let (dx, dy) = if k == 0 {
                (0, 0)
            } else {
                (rng.below(5) as i64 - 2, rng.below(5) as i64 - 2)
            };
            let gain = if k == 0 { 1.0 } else { rng.range(0.96, 1.04) };
            let (w, h) = (i64::from(WIDTH), i64::from(HEIGHT));
            let image = RgbImage::from_fn(WIDTH, HEIGHT, |x, y| {
                let sx = (i64::from(x) + dx).clamp(0, w - 1) as u32;
                let sy = (i64::from(y) + dy).clamp(0, h - 1) as u32;
                Rgb(first
                    .image
                    .get_pixel(sx, sy)
                    .0
                    .map(|c| (f64::from(c) * gain).clamp(0.0, 255.0) as u8))
            });
            Room {
                image,
                quality: first.quality,
                faults: first.faults.clone(),
            }
        })
        .collect()
}

/// Spoils a clean room with one to three faults at `severity`.
fn spoil(mut image: RgbImage, severity: f64, rng: &mut Rng) -> Room {
    let mut faults: Vec<Fault> = Vec::new();
    let wanted = 1 + rng.below(3) as usize;
    while faults.len() < wanted {
        let fault = FAULTS[rng.below(FAULTS.len() as u32) as usize];
        if !faults.contains(&fault) {
            faults.push(fault);
        }
    }
    for fault in &faults {
        match fault {
            Fault::Dark => darken(&mut image, severity),
            Fault::Blur => {
                if severity > 0.02 {
                    image = imageops::blur(&image, (4.0 * severity) as f32);
                }
            }
            Fault::Noise => add_noise(&mut image, severity, rng),
            Fault::Tilt => image = tilt(&image, severity, rng),
            Fault::Clutter => clutter(&mut image, severity, rng),
        }
    }
    Room {
        image,
        quality: 1.0 - severity,
        faults,
    }
}
