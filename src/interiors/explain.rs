//! The written side of a score: a caption (room type and its strongest attributes) and review
//! lines (strengths and weaknesses), in the user's language.

use super::metrics::{PixelMetrics, VisualFilter, VisualIssue};
use super::semantics::Semantics;
use super::training::Assessment;
use crate::i18n::gettext;

/// An attribute counts when the model gives one side at least this probability.
const STRONG: f64 = 0.65;

/// The room type's name for people.
pub fn room_name(key: &str) -> String {
    match key {
        "kitchen" => gettext("Kitchen"),
        "bedroom" => gettext("Bedroom"),
        "living_room" => gettext("Living room"),
        "bathroom" => gettext("Bathroom"),
        "dining_room" => gettext("Dining room"),
        "office" => gettext("Office"),
        "hallway" => gettext("Hallway"),
        _ => gettext("Room"),
    }
}

/// The adjective for an attribute's side: `favourable` is bright, tidy, spacious, modern.
fn attribute_word(attribute: &str, favourable: bool) -> Option<String> {
    Some(match (attribute, favourable) {
        ("light", true) => gettext("bright"),
        ("light", false) => gettext("dim"),
        ("clutter", true) => gettext("tidy"),
        ("clutter", false) => gettext("cluttered"),
        ("space", true) => gettext("spacious"),
        ("space", false) => gettext("cramped"),
        ("style", true) => gettext("modern"),
        ("style", false) => gettext("dated"),
        _ => return None,
    })
}

fn attribute_line(attribute: &str, favourable: bool) -> Option<String> {
    Some(match (attribute, favourable) {
        ("light", true) => gettext("Plenty of natural light"),
        ("light", false) => gettext("Dim lighting"),
        ("clutter", true) => gettext("Tidy and uncluttered"),
        ("clutter", false) => gettext("Too many objects: the room looks cluttered"),
        ("space", true) => gettext("Feels open and spacious"),
        ("space", false) => gettext("Feels cramped"),
        ("style", true) => gettext("Modern, clean style"),
        ("style", false) => gettext("Dated style"),
        _ => return None,
    })
}

fn issue_line(issue: VisualIssue) -> String {
    match issue {
        VisualIssue::TooDark => gettext("Underexposed: the photo is too dark"),
        VisualIssue::TooBright => gettext("Overexposed: highlights are washed out"),
        VisualIssue::LowContrast => gettext("Flat, low-contrast image"),
        VisualIssue::Blurry => gettext("Out of focus or shaken"),
        VisualIssue::TooSmall => gettext("Low resolution"),
    }
}

/// The strong attributes of a photo: (attribute, favourable side?).
fn strong_attributes(semantics: &Semantics) -> Vec<(&str, bool)> {
    semantics
        .attributes
        .iter()
        .filter_map(|(name, p)| {
            if *p >= STRONG {
                Some((name.as_str(), true))
            } else if *p <= 1.0 - STRONG {
                Some((name.as_str(), false))
            } else {
                None
            }
        })
        .collect()
}

/// "Kitchen: bright, tidy" — the room type and its strongest attributes.
pub fn caption(semantics: &Semantics) -> String {
    let room = room_name(&semantics.room_type);
    let words: Vec<String> = strong_attributes(semantics)
        .into_iter()
        .filter_map(|(attribute, side)| attribute_word(attribute, side))
        .collect();
    if words.is_empty() {
        room
    } else {
        format!("{room}: {}", words.join(", "))
    }
}

/// Strengths first, then weaknesses, then what the numbers say.
pub fn review(
    assessment: &Assessment,
    semantics: &Semantics,
    metrics: &PixelMetrics,
    filter: &VisualFilter,
) -> Vec<String> {
    let attributes = strong_attributes(semantics);
    let mut lines: Vec<String> = attributes
        .iter()
        .filter(|(_, favourable)| *favourable)
        .filter_map(|(a, side)| attribute_line(a, *side))
        .collect();
    let issues = filter.issues(metrics);
    if issues.is_empty() && metrics.sharpness >= filter.min_sharpness * 4.0 {
        lines.push(gettext("Sharp and well exposed"));
    }
    lines.extend(
        attributes
            .iter()
            .filter(|(_, favourable)| !*favourable)
            .filter_map(|(a, side)| attribute_line(a, *side)),
    );
    lines.extend(issues.into_iter().map(issue_line));
    if assessment.score >= 75.0 {
        lines.push(gettext("A strong photo overall"));
    } else if assessment.score < 40.0 {
        lines.push(gettext("A weak photo overall"));
    }
    if assessment.margin < 0.15 {
        lines.push(gettext("The model hesitates between two ratings"));
    } else if assessment.margin > 0.4 {
        lines.push(gettext("The model is confident about this rating"));
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::interiors::Quality;

    fn semantics(light: f64, clutter: f64) -> Semantics {
        Semantics {
            indoor_score: 0.9,
            room_score: 0.9,
            room_type: "kitchen".into(),
            room_confidence: 0.8,
            attributes: vec![
                ("light".into(), light),
                ("clutter".into(), clutter),
                ("space".into(), 0.5),
                ("style".into(), 0.5),
            ],
        }
    }

    fn assessment(score: f64, margin: f64) -> Assessment {
        Assessment {
            score,
            bucket: Quality::Good,
            margin,
            probabilities: [0.1, 0.2, 0.7],
            utility: 1.0,
        }
    }

    fn metrics(brightness: f64, sharpness: f64) -> PixelMetrics {
        PixelMetrics {
            brightness,
            contrast: 0.2,
            sharpness,
            colourfulness: 30.0,
            faults: None,
            width: 1600,
            height: 1200,
        }
    }

    #[test]
    fn the_caption_names_the_room_and_its_strong_attributes() {
        assert_eq!(caption(&semantics(0.9, 0.2)), "Kitchen: bright, cluttered");
        assert_eq!(caption(&semantics(0.5, 0.5)), "Kitchen");
    }

    #[test]
    fn the_review_lists_strengths_then_weaknesses_then_the_verdict() {
        let lines = review(
            &assessment(82.0, 0.5),
            &semantics(0.9, 0.1),
            &metrics(0.5, 500.0),
            &VisualFilter::default(),
        );
        assert_eq!(
            lines,
            [
                "Plenty of natural light",
                "Sharp and well exposed",
                "Too many objects: the room looks cluttered",
                "A strong photo overall",
                "The model is confident about this rating",
            ]
        );
        let dark = review(
            &assessment(30.0, 0.05),
            &semantics(0.1, 0.5),
            &metrics(0.05, 5.0),
            &VisualFilter::default(),
        );
        assert!(dark.contains(&"Dim lighting".to_owned()));
        assert!(dark.contains(&"Underexposed: the photo is too dark".to_owned()));
        assert!(dark.contains(&"Out of focus or shaken".to_owned()));
        assert!(dark.contains(&"A weak photo overall".to_owned()));
        assert!(dark.contains(&"The model hesitates between two ratings".to_owned()));
    }
}
