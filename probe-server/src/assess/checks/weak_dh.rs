//! `weak-dh`: finite-field Diffie-Hellman groups above 1024 but under 2048 bits. (1024 bits and
//! less is Logjam territory: see `logjam`.)

use shared::{Finding, FindingId, Grade, Severity};

use super::{Check, capped, finding};
use crate::assess::observations::Observations;

pub(super) const CHECK: Check = Check {
    name: "weak-dh",
    run,
};

fn run(obs: &Observations) -> Vec<Finding> {
    let Some(bits) = obs
        .key_exchange
        .dh_min_bits
        .filter(|b| (1025..2048).contains(b))
    else {
        return Vec::new();
    };
    vec![capped(
        finding(
            FindingId::WeakDh,
            Severity::Medium,
            "Weak Diffie-Hellman parameters",
            format!(
                "The server's DHE suites use a {bits}-bit group; 2048 bits is the minimum today."
            ),
            "Use a 2048-bit (or larger) group such as RFC 7919 ffdhe2048, or drop DHE suites in favour of ECDHE.",
        ),
        Grade::B,
    )]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::assess::checks::testing::healthy;

    #[test]
    fn flags_groups_between_1024_and_2048_bits() {
        let mut obs = healthy();
        for (bits, flagged) in [
            (None, false),
            (Some(2048), false),
            (Some(1536), true),
            (Some(1024), false),
        ] {
            obs.key_exchange.dh_min_bits = bits;
            assert_eq!(!run(&obs).is_empty(), flagged, "{bits:?}");
        }
    }
}
