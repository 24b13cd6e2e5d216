use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The overall grade, as SSL Labs' rating guide defines it, plus the two trust grades:
/// `T` (the certificate is not trusted) and `M` (it does not name the host).
///
/// `Ord` runs from best to worst: `APlus < A < … < F < T < M`. "Worse" is the greater value,
/// so capping a grade is `grade.max(cap)`.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
pub enum Grade {
    #[serde(rename = "A+")]
    APlus,
    #[serde(rename = "A")]
    A,
    #[serde(rename = "A-")]
    AMinus,
    #[serde(rename = "B")]
    B,
    #[serde(rename = "C")]
    C,
    #[serde(rename = "D")]
    D,
    #[serde(rename = "E")]
    E,
    #[serde(rename = "F")]
    F,
    /// The certificate is not trusted (expired, self-signed, unknown issuer, revoked, ...).
    #[serde(rename = "T")]
    T,
    /// The certificate does not name the host that was asked for.
    #[serde(rename = "M")]
    M,
}

impl Grade {
    /// Every grade, best first.
    pub const ALL: [Self; 10] = [
        Self::APlus,
        Self::A,
        Self::AMinus,
        Self::B,
        Self::C,
        Self::D,
        Self::E,
        Self::F,
        Self::T,
        Self::M,
    ];

    /// The grade as it is written: "A+", "B", "T".
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::APlus => "A+",
            Self::A => "A",
            Self::AMinus => "A-",
            Self::B => "B",
            Self::C => "C",
            Self::D => "D",
            Self::E => "E",
            Self::F => "F",
            Self::T => "T",
            Self::M => "M",
        }
    }

    /// Parses "A+", "a-", "F", "T", ... (case-insensitive).
    pub fn parse(text: &str) -> Option<Self> {
        let upper = text.trim().to_ascii_uppercase();
        Self::ALL.into_iter().find(|g| g.as_str() == upper)
    }

    /// The letter grade for a numeric score (0–100), from the rating guide's table:
    /// A ≥ 80, B ≥ 65, C ≥ 50, D ≥ 35, E ≥ 20, F < 20.
    pub const fn from_score(score: u32) -> Self {
        match score {
            80.. => Self::A,
            65..=79 => Self::B,
            50..=64 => Self::C,
            35..=49 => Self::D,
            20..=34 => Self::E,
            _ => Self::F,
        }
    }

    /// This grade held down by `cap`: the worse of the two.
    #[must_use]
    pub fn capped_at(self, cap: Self) -> Self {
        self.max(cap)
    }

    /// True for the trust grades `T` and `M`, which are not on the letter scale.
    pub const fn is_trust_failure(self) -> bool {
        matches!(self, Self::T | Self::M)
    }
}

impl std::fmt::Display for Grade {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serialises_and_parses_every_grade() {
        for g in Grade::ALL {
            let json = serde_json::to_value(g).unwrap();
            assert_eq!(json, g.as_str());
            assert_eq!(serde_json::from_value::<Grade>(json).unwrap(), g);
            assert_eq!(Grade::parse(&g.as_str().to_lowercase()), Some(g));
        }
        assert_eq!(Grade::parse("A++"), None);
    }

    #[test]
    fn score_table_matches_the_rating_guide() {
        assert_eq!(Grade::from_score(100), Grade::A);
        assert_eq!(Grade::from_score(80), Grade::A);
        assert_eq!(Grade::from_score(79), Grade::B);
        assert_eq!(Grade::from_score(65), Grade::B);
        assert_eq!(Grade::from_score(64), Grade::C);
        assert_eq!(Grade::from_score(50), Grade::C);
        assert_eq!(Grade::from_score(49), Grade::D);
        assert_eq!(Grade::from_score(35), Grade::D);
        assert_eq!(Grade::from_score(34), Grade::E);
        assert_eq!(Grade::from_score(20), Grade::E);
        assert_eq!(Grade::from_score(19), Grade::F);
        assert_eq!(Grade::from_score(0), Grade::F);
    }

    #[test]
    fn capping_takes_the_worse_grade() {
        assert_eq!(Grade::A.capped_at(Grade::B), Grade::B);
        assert_eq!(Grade::C.capped_at(Grade::B), Grade::C);
        assert_eq!(Grade::APlus.capped_at(Grade::AMinus), Grade::AMinus);
        assert_eq!(Grade::F.capped_at(Grade::T), Grade::T);
    }
}
