//! How a candidate issue is scored for an owned comic: the visual cosine similarity, the
//! perceptual-hash agreement of the two cover pictures, and what the file name says (series,
//! issue number, year) compared with the catalog. Pure functions, no I/O.
//!
//! The combination is built so that the file name can rank candidates but never make an absent
//! issue look present: name agreement adds a small bonus scaled by how much the pictures agree
//! (nothing when the hash says the covers differ), while name disagreement takes points away.
//! The picture half needs the hash as well as the embedding, so a model whose embeddings say
//! little (every cover "similar") cannot by itself push a wrong issue over the threshold.
//!
//! Two signals come from outside the picture and the file name. **Tagged**: the comic's own
//! tags (ComicInfo.xml, MetronInfo.xml) name the candidate's ComicVine issue; that decides on
//! its own ([`TAGGED_SCORE`]) unless the picture clearly shows another issue
//! ([`picture_disputes_tag`]). **Same folder**: the comic's folder siblings were classified to
//! the candidate's volume; like the file name it adds a bonus scaled by how much the pictures
//! agree ([`folder_bonus`]), so it ranks but never applies alone.

/// Best combined score minus second best needed before a match is applied without review:
/// two issues within this distance are a choice for the user, not for Vistazo.
pub const AUTO_APPLY_MARGIN: f32 = 0.05;

/// Fingerprint similarity at or below which two covers count as unrelated: different covers
/// of one series, sharing masthead and frame, correlate up to about this much.
const HASH_UNRELATED: f32 = 0.5;
/// Fingerprint similarity from which two covers count as the same picture (re-scanned,
/// recompressed, slightly cropped or turned, photographed).
const HASH_SAME: f32 = 0.85;
/// How much more the fingerprint of another issue must agree than the tagged issue's before
/// the picture is taken to dispute the tag.
const HASH_DISPUTE: f32 = 0.1;

/// The combined score of the issue a comic's tags name, when its picture does not dispute it:
/// above any threshold a user would set, so a tagged comic applies whatever its cover photo.
pub const TAGGED_SCORE: f32 = 0.95;
/// Most the folder's siblings can add, reached only when the pictures agree fully.
const FOLDER_BONUS: f32 = 0.04;

/// Most the file name can add, reached only when the pictures agree fully.
const SERIES_BONUS: f32 = 0.05;
const NUMBER_BONUS: f32 = 0.06;
const YEAR_BONUS: f32 = 0.02;
/// What a file name that contradicts the candidate takes away.
const NUMBER_PENALTY: f32 = 0.3;
const SERIES_PENALTY: f32 = 0.15;
const YEAR_PENALTY: f32 = 0.05;

/// Why a candidate scored what it did. `None`: the signal was not available (no hash for a
/// missing picture, a file name that does not say).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Signals {
    /// Cosine similarity of the CLIP embeddings, -1..=1.
    pub visual: f32,
    /// How closely the perceptual fingerprints of the two cover pictures agree, 0..=1
    /// (see [`super::hash`]).
    pub hash: Option<f32>,
    /// How much the file name's series matches the volume name, 0..=1.
    pub series: Option<f32>,
    /// 1 when the file name's issue number is the issue's, else 0.
    pub number: Option<f32>,
    /// 1 when the file name's year is within a year of the cover date, else 0.
    pub year: Option<f32>,
    /// The score matching ranks and decides by, 0..=1.
    pub combined: f32,
}

impl Signals {
    /// Combines the signals into [`Signals::combined`].
    pub fn new(
        visual: f32,
        hash: Option<f32>,
        series: Option<f32>,
        number: Option<f32>,
        year: Option<f32>,
    ) -> Self {
        let visual_part = visual.max(0.0);
        let (picture, agreement) = match hash {
            Some(hash) => {
                let agreement = hash_agreement(hash);
                (0.5 * visual_part + 0.5 * agreement, agreement)
            }
            // Without the hash the embedding alone speaks, as in the tool Vistazo replaces.
            None => (visual_part, ((visual - 0.5) / 0.5).clamp(0.0, 1.0)),
        };
        let bonus = agreement
            * (SERIES_BONUS * series.unwrap_or(0.0)
                + NUMBER_BONUS * number.unwrap_or(0.0)
                + YEAR_BONUS * year.unwrap_or(0.0));
        let mut penalty = 0.0;
        if number.is_some_and(|n| n < 0.5) {
            penalty += NUMBER_PENALTY;
        }
        if let Some(series) = series.filter(|s| *s < 0.5) {
            penalty += SERIES_PENALTY * (1.0 - series);
        }
        if year.is_some_and(|y| y < 0.5) {
            penalty += YEAR_PENALTY;
        }
        Self {
            visual,
            hash,
            series,
            number,
            year,
            combined: (picture + bonus - penalty).clamp(0.0, 1.0),
        }
    }
}

impl Signals {
    /// These signals for a candidate whose cover picture could not be read (no file,
    /// unreadable, truncated) while the comic's could: the pictures count as not agreeing, so
    /// a missing fingerprint never scores above a compared one. The embedding may be one
    /// Babelcomics4 stored long ago; without its picture it is not evidence enough.
    pub fn without_picture(self) -> Self {
        let unrelated = Self::new(
            self.visual,
            Some(HASH_UNRELATED),
            self.series,
            self.number,
            self.year,
        );
        Self {
            hash: None,
            combined: self.combined.min(unrelated.combined),
            ..self
        }
    }
}

/// Cosine similarity from which the embeddings say the covers look alike, and below which
/// they say nothing for the candidate (where [`Signals::new`] starts to count them).
const VISUAL_AGREES: f32 = 0.8;
const VISUAL_UNRELATED: f32 = 0.5;
/// Series agreement below which the file name names another series (and takes points away).
const SERIES_AGREES: f32 = 0.5;

/// How one signal came out for a candidate, as the score weighs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Agreement {
    /// It speaks for the candidate.
    Agreed,
    /// It speaks against it.
    Disagreed,
    /// Compared, but neither clearly.
    Undecided,
}

/// How each compared signal came out; `None` where it was not compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Agreements {
    pub visual: Agreement,
    pub hash: Option<Agreement>,
    pub series: Option<Agreement>,
    pub number: Option<Agreement>,
    pub year: Option<Agreement>,
}

fn level(value: f32, agrees_from: f32, disagrees_below: f32) -> Agreement {
    if value >= agrees_from {
        Agreement::Agreed
    } else if value < disagrees_below {
        Agreement::Disagreed
    } else {
        Agreement::Undecided
    }
}

impl Signals {
    /// How each signal came out, by the levels the combined score weighs them by: the hash
    /// agrees from [`HASH_SAME`] and disagrees at [`HASH_UNRELATED`] or below, a name that
    /// disagrees is one that takes points away. The review's tags only colour these.
    pub fn agreement(&self) -> Agreements {
        Agreements {
            visual: level(self.visual, VISUAL_AGREES, VISUAL_UNRELATED),
            hash: self.hash.map(|hash| {
                if hash >= HASH_SAME {
                    Agreement::Agreed
                } else if hash <= HASH_UNRELATED {
                    Agreement::Disagreed
                } else {
                    Agreement::Undecided
                }
            }),
            series: self
                .series
                .map(|series| level(series, SERIES_AGREES, SERIES_AGREES)),
            number: self.number.map(|number| level(number, 0.5, 0.5)),
            year: self.year.map(|year| level(year, 0.5, 0.5)),
        }
    }
}

/// Why a comic's best candidate is left for the user instead of applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Hold {
    /// The best score is below the threshold.
    BelowThreshold,
    /// The second candidate is within [`AUTO_APPLY_MARGIN`]: two issues fit equally well.
    NearTie,
    /// The best cover is the same picture in several editions and nothing chooses one.
    EditionTie,
    /// The comic's own cover is a truncated image.
    TruncatedCover,
    /// The best candidate's cover picture could not be read.
    UnreadableCover,
    /// The comic's tags name an issue that cannot be applied: not in the catalog, disputed by
    /// the cover, or contradicted by its other tags.
    TagProblem,
}

/// What decides whether a comic's best candidate is applied without review.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Case<'a> {
    /// The combined scores of the best candidate and its rivals, best first (other editions of
    /// a settled cover are not rivals).
    pub scores: &'a [f32],
    /// `None`: the tags name no ComicVine issue. `Some(true)`: they name one issue, in the
    /// catalog, undisputed, and it is the best candidate. `Some(false)`: anything else.
    pub tag: Option<bool>,
    /// The best cover is the same picture in several editions and nothing chose one.
    pub edition_tie: bool,
    pub truncated_cover: bool,
    /// The best candidate's cover picture could not be read.
    pub unreadable_cover: bool,
}

/// The one rule for applying a comic's best candidate without review, used by classification
/// and by every bulk action: `Ok` to apply, else why it is left for the user.
///
/// A comic whose own cover is truncated is never applied. Tags that stand decide alone (the
/// tagged issue scores [`TAGGED_SCORE`]), whatever the picture; tags that do not stand keep
/// everything for review. Otherwise the best must reach the threshold with its own readable
/// picture, clear of the second by [`AUTO_APPLY_MARGIN`], and not be one of several editions
/// nothing chooses between.
pub fn decide(case: &Case<'_>, threshold: f32) -> Result<(), Hold> {
    if case.truncated_cover {
        return Err(Hold::TruncatedCover);
    }
    let best = case.scores.first().copied().unwrap_or(f32::MIN);
    match case.tag {
        Some(true) if best >= threshold => return Ok(()),
        Some(true) => return Err(Hold::BelowThreshold),
        Some(false) => return Err(Hold::TagProblem),
        None => {}
    }
    if best < threshold {
        return Err(Hold::BelowThreshold);
    }
    if case.unreadable_cover {
        return Err(Hold::UnreadableCover);
    }
    if case.edition_tie {
        return Err(Hold::EditionTie);
    }
    if auto_applicable(case.scores, threshold) {
        Ok(())
    } else {
        Err(Hold::NearTie)
    }
}

/// Hash similarity mapped to how sure it is that the covers are one picture, 0..=1.
fn hash_agreement(hash: f32) -> f32 {
    ((hash - HASH_UNRELATED) / (HASH_SAME - HASH_UNRELATED)).clamp(0.0, 1.0)
}

/// How sure the pictures are to be one, 0..=1: the hash when there is one, else the embedding.
fn picture_agreement(signals: &Signals) -> f32 {
    match signals.hash {
        Some(hash) => hash_agreement(hash),
        None => ((signals.visual - 0.5) / 0.5).clamp(0.0, 1.0),
    }
}

/// Whether two fingerprints are of one picture (re-scanned, recompressed, slightly cropped).
pub fn same_picture(hash: f32) -> bool {
    hash >= HASH_SAME
}

/// What a candidate in the volume the comic's folder siblings were classified to gains.
pub fn folder_bonus(signals: &Signals) -> f32 {
    FOLDER_BONUS * picture_agreement(signals)
}

/// Whether the cover picture clearly shows `other` rather than the `tagged` issue: the
/// fingerprints call `other` the same picture, and agree with it clearly more than with the
/// tagged issue's covers. A poor photo agrees with nothing, so it never disputes a tag; nor
/// does a cover the tagged issue shares with another edition.
pub fn picture_disputes_tag(tagged: &Signals, other: &Signals) -> bool {
    let Some(other_hash) = other.hash else {
        return false;
    };
    other_hash >= HASH_SAME
        && tagged
            .hash
            .is_none_or(|hash| other_hash - hash >= HASH_DISPUTE)
}

/// Whether the best of `scores` (combined, best first) may be applied without review.
pub fn auto_applicable(scores: &[f32], threshold: f32) -> bool {
    match scores {
        [] => false,
        [best] => *best >= threshold,
        [best, second, ..] => *best >= threshold && best - second >= AUTO_APPLY_MARGIN,
    }
}

/// Series agreement: the share of words the two names have in common (Dice coefficient over
/// lower-cased words of letters and digits; "the" and "vol" ignored).
pub fn series_similarity(parsed: &str, volume: &str) -> f32 {
    let a = words(parsed);
    let b = words(volume);
    if a.is_empty() || b.is_empty() {
        return 0.0;
    }
    let common = a.iter().filter(|w| b.contains(w)).count();
    (2 * common) as f32 / (a.len() + b.len()) as f32
}

fn words(name: &str) -> Vec<String> {
    let mut words: Vec<String> = name
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .filter(|w| w != "the" && w != "vol")
        .collect();
    words.sort();
    words.dedup();
    words
}

/// An issue number written the way both sides can be compared: lower case, no leading
/// zeros (`"007"` and `"7"` agree, `"1.50"` and `"1.5"` too).
pub fn normalize_number(number: &str) -> String {
    let number = number.trim().trim_start_matches('#').to_lowercase();
    if let Ok(value) = number.parse::<f64>()
        && value.is_finite()
    {
        return format!("{value}");
    }
    number
}

/// Year agreement: cover dates and release dates straddle new year, so one year off agrees.
/// `None` when either side does not know the year.
pub fn year_agreement(parsed: Option<u16>, fecha_tapa: i32) -> Option<f32> {
    let parsed = i32::from(parsed?);
    if fecha_tapa <= 0 {
        return None;
    }
    Some(if (parsed - fecha_tapa).abs() <= 1 {
        1.0
    } else {
        0.0
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_picture_wins_even_when_every_embedding_looks_alike() {
        // An untrained model: every cover is "similar".
        let same = Signals::new(0.98, Some(0.95), None, None, None);
        let other = Signals::new(0.99, Some(0.5), None, None, None);
        assert!(same.combined >= 0.75, "{same:?}");
        assert!(other.combined < 0.75, "{other:?}");
        assert!(auto_applicable(&[same.combined, other.combined], 0.75));
    }

    #[test]
    fn a_matching_name_cannot_lift_a_different_picture() {
        let named = Signals::new(0.99, Some(0.5), Some(1.0), Some(1.0), Some(1.0));
        let unnamed = Signals::new(0.99, Some(0.5), None, None, None);
        assert_eq!(named.combined, unnamed.combined);
        assert!(named.combined < 0.75);
    }

    #[test]
    fn a_contradicting_number_sinks_a_candidate() {
        let right = Signals::new(0.9, Some(0.9), Some(1.0), Some(1.0), None);
        let wrong = Signals::new(0.9, Some(0.9), Some(1.0), Some(0.0), None);
        assert!(
            right.combined - wrong.combined >= 0.25,
            "{right:?} {wrong:?}"
        );
        assert!(wrong.combined < 0.75);
    }

    #[test]
    fn names_break_ties_between_agreeing_pictures() {
        let named = Signals::new(0.9, Some(0.9), Some(1.0), Some(1.0), None);
        let plain = Signals::new(0.9, Some(0.9), None, None, None);
        assert!(named.combined > plain.combined);
    }

    #[test]
    fn only_a_clearly_different_picture_disputes_a_tag() {
        let poor_photo = Signals::new(0.6, Some(0.55), None, None, None);
        let unrelated = Signals::new(0.62, Some(0.6), None, None, None);
        assert!(!picture_disputes_tag(&poor_photo, &unrelated));
        let other_issue = Signals::new(0.95, Some(0.93), None, None, None);
        assert!(picture_disputes_tag(&poor_photo, &other_issue));
        let same_cover_other_edition = Signals::new(0.95, Some(0.92), None, None, None);
        assert!(!picture_disputes_tag(
            &other_issue,
            &same_cover_other_edition
        ));
    }

    #[test]
    fn the_folder_cannot_lift_a_different_picture() {
        let different = Signals::new(0.99, Some(0.5), None, None, None);
        assert_eq!(folder_bonus(&different), 0.0);
        let same = Signals::new(0.9, Some(0.9), None, None, None);
        assert!(folder_bonus(&same) > 0.0);
    }

    #[test]
    fn close_candidates_are_left_for_review() {
        assert!(!auto_applicable(&[0.9, 0.88], 0.75));
        assert!(auto_applicable(&[0.9, 0.8], 0.75));
        assert!(!auto_applicable(&[0.7], 0.75));
        assert!(!auto_applicable(&[], 0.75));
    }

    #[test]
    fn a_cover_without_its_picture_never_outscores_one_compared() {
        // Babelcomics4's stored vector of a cover whose file is gone: a high cosine, no hash.
        let unread = Signals::new(0.98, None, None, None, None).without_picture();
        let compared = Signals::new(0.9, Some(0.7), None, None, None);
        assert!(
            unread.combined < compared.combined,
            "{unread:?} {compared:?}"
        );
        assert_eq!(unread.hash, None, "shown as not compared");
        for hash in [0.0, 0.3, 0.5, 0.8, 1.0] {
            let compared = Signals::new(0.98, Some(hash), Some(1.0), Some(1.0), None);
            let unread = Signals::new(0.98, None, Some(1.0), Some(1.0), None).without_picture();
            assert!(unread.combined <= compared.combined, "hash {hash}");
        }
    }

    #[test]
    fn each_signal_is_told_for_or_against_by_the_levels_the_score_uses() {
        let signals = Signals::new(0.85, Some(0.5), Some(0.4), Some(1.0), None);
        let told = signals.agreement();
        assert_eq!(told.visual, Agreement::Agreed);
        // At the level the score calls unrelated, the fingerprints speak against.
        assert_eq!(told.hash, Some(Agreement::Disagreed));
        assert_eq!(told.series, Some(Agreement::Disagreed));
        assert_eq!(told.number, Some(Agreement::Agreed));
        assert_eq!(told.year, None);
        let between = Signals::new(0.6, Some(0.7), None, None, None).agreement();
        assert_eq!(
            (between.visual, between.hash),
            (Agreement::Undecided, Some(Agreement::Undecided))
        );
        assert_eq!(
            Signals::new(0.3, Some(0.9), None, None, None)
                .agreement()
                .hash,
            Some(Agreement::Agreed)
        );
    }

    #[test]
    fn one_rule_decides_what_applies_alone() {
        let case = |scores: &'static [f32]| Case {
            scores,
            tag: None,
            edition_tie: false,
            truncated_cover: false,
            unreadable_cover: false,
        };
        assert_eq!(decide(&case(&[0.9, 0.7]), 0.75), Ok(()));
        assert_eq!(decide(&case(&[0.9, 0.88]), 0.75), Err(Hold::NearTie));
        assert_eq!(decide(&case(&[0.7]), 0.75), Err(Hold::BelowThreshold));
        assert_eq!(decide(&case(&[]), 0.75), Err(Hold::BelowThreshold));
        let unread = Case {
            unreadable_cover: true,
            ..case(&[0.9])
        };
        assert_eq!(decide(&unread, 0.3), Err(Hold::UnreadableCover));
        let tie = Case {
            edition_tie: true,
            ..case(&[0.9, 0.89])
        };
        assert_eq!(decide(&tie, 0.75), Err(Hold::EditionTie));
        // A tag that stands applies whatever the pictures say; one that does not, never.
        let tagged = Case {
            tag: Some(true),
            unreadable_cover: true,
            ..case(&[0.95, 0.94])
        };
        assert_eq!(decide(&tagged, 0.75), Ok(()));
        let contradicted = Case {
            tag: Some(false),
            ..case(&[0.99, 0.2])
        };
        assert_eq!(decide(&contradicted, 0.75), Err(Hold::TagProblem));
        let truncated = Case {
            truncated_cover: true,
            ..tagged
        };
        assert_eq!(decide(&truncated, 0.75), Err(Hold::TruncatedCover));
    }

    #[test]
    fn names_and_numbers_compare_loosely() {
        assert_eq!(series_similarity("The Walking Dead", "Walking Dead"), 1.0);
        assert_eq!(series_similarity("Saga", "Saga Deluxe"), 2.0 / 3.0);
        assert_eq!(series_similarity("Batman", "Superman"), 0.0);
        assert_eq!(normalize_number("007"), "7");
        assert_eq!(normalize_number("1.50"), "1.5");
        assert_eq!(normalize_number("Annual 1"), "annual 1");
        assert_eq!(year_agreement(Some(2013), 2012), Some(1.0));
        assert_eq!(year_agreement(Some(2015), 2012), Some(0.0));
        assert_eq!(year_agreement(Some(2015), 0), None);
        assert_eq!(year_agreement(None, 2012), None);
    }
}
