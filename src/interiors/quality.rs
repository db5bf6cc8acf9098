//! The three quality labels and where a label came from.

use std::fmt;
use std::str::FromStr;

/// A photo's quality, as the user labels it with the keys 1, 2 and 3.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Quality {
    Bad,
    Medium,
    Good,
}

impl Quality {
    pub const ALL: [Quality; 3] = [Quality::Bad, Quality::Medium, Quality::Good];

    /// 0, 1, 2: the class index in the models, and the order of the ranking.
    pub fn index(self) -> usize {
        self as usize
    }

    pub fn from_index(index: usize) -> Option<Self> {
        Self::ALL.get(index).copied()
    }

    /// The name stored in the database and printed in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Bad => "bad",
            Self::Medium => "medium",
            Self::Good => "good",
        }
    }
}

impl fmt::Display for Quality {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", crate::i18n::fill(&crate::i18n::gettext("unknown label “{label}”: use bad, medium or good (or 1, 2, 3)"), &[("label", .0)]))]
pub struct UnknownQuality(pub String);

impl FromStr for Quality {
    type Err = UnknownQuality;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "bad" | "1" => Ok(Self::Bad),
            "medium" | "2" => Ok(Self::Medium),
            "good" | "3" => Ok(Self::Good),
            _ => Err(UnknownQuality(crate::i18n::echoed(s))),
        }
    }
}

/// Who gave a label. Only human labels ever sit in an evaluation fold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LabelSource {
    Human,
    Auto,
}

impl LabelSource {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Human => "human",
            Self::Auto => "auto",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "human" => Some(Self::Human),
            "auto" => Some(Self::Auto),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_and_names_parse() {
        assert_eq!("1".parse(), Ok(Quality::Bad));
        assert_eq!(" Good ".parse(), Ok(Quality::Good));
        assert_eq!("medium".parse(), Ok(Quality::Medium));
        assert!("great".parse::<Quality>().is_err());
        assert!(Quality::Bad < Quality::Medium && Quality::Medium < Quality::Good);
    }
}
