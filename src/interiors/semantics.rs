//! The semantic filter and the attributes of a photo, read with CLIP's text tower by zero-shot
//! prompts: is it an interior, which room, and how it looks (light, clutter, space, style).
//!
//! The prompts are English sentences for the model, not text for the user; what the user sees
//! is translated in `explain`. This module only does the arithmetic on embeddings; computing
//! them is the engine's job.

use serde::{Deserialize, Serialize};

/// CLIP's usual temperature when the checkpoint's own `logit_scale` is not at hand.
pub const DEFAULT_LOGIT_SCALE: f64 = 100.0;

/// One zero-shot question: the model picks among the prompts.
#[derive(Debug, Clone, Copy)]
pub struct PromptSet {
    pub name: &'static str,
    /// (key, prompt) pairs.
    pub prompts: &'static [(&'static str, &'static str)],
}

pub const SCENE: PromptSet = PromptSet {
    name: "scene",
    prompts: &[
        ("indoor", "a photo of the interior of a room"),
        ("outdoor", "a photo taken outdoors"),
        ("exterior", "a photo of the outside of a building"),
    ],
};

pub const ROOM: PromptSet = PromptSet {
    name: "room",
    prompts: &[
        ("kitchen", "a photo of a kitchen"),
        ("bedroom", "a photo of a bedroom"),
        ("living_room", "a photo of a living room"),
        ("bathroom", "a photo of a bathroom"),
        ("dining_room", "a photo of a dining room"),
        ("office", "a photo of a home office"),
        ("hallway", "a photo of a hallway"),
    ],
};

/// Attribute questions, each a pair: the first prompt is the favourable side.
pub const ATTRIBUTES: [PromptSet; 4] = [
    PromptSet {
        name: "light",
        prompts: &[
            ("bright", "a bright room full of natural light"),
            ("dim", "a dark, dimly lit room"),
        ],
    },
    PromptSet {
        name: "clutter",
        prompts: &[
            ("tidy", "a tidy, uncluttered room"),
            ("cluttered", "a messy room full of clutter"),
        ],
    },
    PromptSet {
        name: "space",
        prompts: &[
            ("spacious", "a spacious, open room"),
            ("cramped", "a cramped, narrow room"),
        ],
    },
    PromptSet {
        name: "style",
        prompts: &[
            ("modern", "a modern, clean interior design"),
            ("dated", "an old-fashioned, dated interior"),
        ],
    },
];

/// Every prompt the model must embed, in a fixed order.
pub fn all_prompts() -> Vec<&'static str> {
    std::iter::once(&SCENE)
        .chain(std::iter::once(&ROOM))
        .chain(ATTRIBUTES.iter())
        .flat_map(|set| set.prompts.iter().map(|(_, prompt)| *prompt))
        .collect()
}

/// Softmax over `logit_scale · cosine` between one image and each prompt of a set.
pub fn zero_shot(image: &[f32], prompts: &[&[f32]], logit_scale: f64) -> Vec<f64> {
    let logits: Vec<f64> = prompts
        .iter()
        .map(|text| logit_scale * cosine(image, text))
        .collect();
    let max = logits.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let exp: Vec<f64> = logits.iter().map(|l| (l - max).exp()).collect();
    let total: f64 = exp.iter().sum();
    exp.iter().map(|e| e / total).collect()
}

pub fn cosine(a: &[f32], b: &[f32]) -> f64 {
    let (mut dot, mut na, mut nb) = (0f64, 0f64, 0f64);
    for (x, y) in a.iter().zip(b) {
        let (x, y) = (f64::from(*x), f64::from(*y));
        dot += x * y;
        na += x * x;
        nb += y * y;
    }
    if na == 0.0 || nb == 0.0 {
        0.0
    } else {
        dot / (na.sqrt() * nb.sqrt())
    }
}

/// What the text tower says of a photo.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Semantics {
    /// Probability that the photo shows an interior.
    pub indoor_score: f64,
    /// Interior and recognisably a room of a home, 0-1.
    pub room_score: f64,
    /// The likeliest room type (a key of `ROOM`).
    pub room_type: String,
    pub room_confidence: f64,
    /// For each attribute set, the probability of its favourable side (bright, tidy,
    /// spacious, modern).
    pub attributes: Vec<(String, f64)>,
}

/// The prompts' embeddings, computed once per model.
#[derive(Debug, Clone)]
pub struct PromptEmbeddings {
    pub logit_scale: f64,
    /// In the order of `all_prompts()`.
    pub embeddings: Vec<Vec<f32>>,
}

impl PromptEmbeddings {
    /// Reads a photo's semantics from its image embedding.
    pub fn semantics(&self, image: &[f32]) -> Semantics {
        let mut offset = 0;
        let mut ask = |set: &PromptSet| {
            let texts: Vec<&[f32]> = self.embeddings[offset..offset + set.prompts.len()]
                .iter()
                .map(Vec::as_slice)
                .collect();
            offset += set.prompts.len();
            zero_shot(image, &texts, self.logit_scale)
        };
        let scene = ask(&SCENE);
        let rooms = ask(&ROOM);
        let attributes: Vec<(String, f64)> = ATTRIBUTES
            .iter()
            .map(|set| (set.name.to_owned(), ask(set)[0]))
            .collect();
        let (room_index, room_confidence) = rooms
            .iter()
            .copied()
            .enumerate()
            .max_by(|a, b| a.1.total_cmp(&b.1))
            .unwrap_or((0, 0.0));
        let indoor_score = scene[0];
        Semantics {
            indoor_score,
            // Mostly "is it inside", plus how clearly it is a room of a home.
            room_score: 0.75 * indoor_score + 0.25 * room_confidence,
            room_type: ROOM.prompts[room_index].0.to_owned(),
            room_confidence,
            attributes,
        }
    }
}

/// Thresholds of the semantic filter; the user can change each.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SemanticFilter {
    pub min_indoor: f64,
    pub min_room: f64,
}

impl Default for SemanticFilter {
    fn default() -> Self {
        Self {
            min_indoor: 0.5,
            min_room: 0.45,
        }
    }
}

impl SemanticFilter {
    pub fn passes(&self, semantics: &Semantics) -> bool {
        self.passes_scores(semantics.indoor_score, semantics.room_score)
    }

    /// The same test on the two scores stored for a photo.
    pub fn passes_scores(&self, indoor_score: f64, room_score: f64) -> bool {
        indoor_score >= self.min_indoor && room_score >= self.min_room
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unit(dim: usize, at: usize) -> Vec<f32> {
        let mut v = vec![0.0; dim];
        v[at] = 1.0;
        v
    }

    #[test]
    fn zero_shot_prefers_the_closest_prompt_and_sums_to_one() {
        let image = vec![0.9, 0.1, 0.0];
        let p = zero_shot(&image, &[&unit(3, 0), &unit(3, 1), &unit(3, 2)], 100.0);
        assert!(p[0] > 0.99);
        assert!((p.iter().sum::<f64>() - 1.0).abs() < 1e-12);
    }

    #[test]
    fn semantics_read_each_prompt_set_in_order() {
        let prompts = all_prompts();
        let dim = prompts.len();
        // Each prompt its own axis; the image points at "indoor", "bathroom", "dim", "tidy".
        let embeddings: Vec<Vec<f32>> = (0..dim).map(|i| unit(dim, i)).collect();
        let index = |prompt: &str| prompts.iter().position(|p| *p == prompt).unwrap();
        let mut image = vec![0.0f32; dim];
        for prompt in [
            "a photo of the interior of a room",
            "a photo of a bathroom",
            "a dark, dimly lit room",
            "a tidy, uncluttered room",
        ] {
            image[index(prompt)] = 0.5;
        }
        let semantics = PromptEmbeddings {
            logit_scale: 100.0,
            embeddings,
        }
        .semantics(&image);
        assert!(semantics.indoor_score > 0.99);
        assert_eq!(semantics.room_type, "bathroom");
        assert!(semantics.room_score > 0.99);
        let light = semantics
            .attributes
            .iter()
            .find(|(n, _)| n == "light")
            .unwrap()
            .1;
        let clutter = semantics
            .attributes
            .iter()
            .find(|(n, _)| n == "clutter")
            .unwrap()
            .1;
        assert!(light < 0.01 && clutter > 0.99);
        assert!(SemanticFilter::default().passes(&semantics));
    }
}
