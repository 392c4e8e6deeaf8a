//! Fixtures for the criterion benches in `match.rs`.
//!
//! The real records and patterns live in `benches/data/` (see `data/SOURCES.md` for where they
//! come from) and are compiled into the crate, so the benches never read anything outside the
//! repository. [`generate`] mutates them into as many events as a bench needs, [`sets`] builds
//! the pattern sets.

pub mod generate;
pub mod sets;

/// 200 CloudTrail records, one compact JSON object per line.
pub const CLOUDTRAIL_200: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/data/cloudtrail-200.jsonl"
));

/// The 14 CIS AWS Foundations monitoring metric-filter patterns, one per line.
pub const CIS_PATTERNS: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/data/cis-patterns.txt"
));

/// 14 VPC flow-log records (default format, version 2), one per line.
pub const VPC_FLOW_LOGS: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/data/vpc-flow-logs.log"
));

/// The 6 VPC flow-log space-delimited patterns of the AWS documentation, one per line.
pub const VPC_FLOW_PATTERNS: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/data/vpc-flow-patterns.txt"
));

/// Index in [`cis_patterns`] of the pattern the `pattern-1` bench uses: CIS 5.1 (unauthorized
/// API calls), a mix of `||`, `&&`, `!=` and leading/trailing wildcards.
pub const SINGLE_PATTERN: usize = 0;

/// The CloudTrail events, one string each.
pub fn cloudtrail_events() -> Vec<&'static str> {
    CLOUDTRAIL_200.lines().filter(|l| !l.is_empty()).collect()
}

/// The 14 CIS patterns, in control order (5.1 to 5.14 of CIS AWS Foundations 7.0).
pub fn cis_patterns() -> Vec<&'static str> {
    CIS_PATTERNS.lines().filter(|l| !l.is_empty()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use trailmatch::{Pattern, PatternKind, PatternSet};

    #[test]
    fn there_are_200_json_object_events() {
        let events = cloudtrail_events();
        assert_eq!(events.len(), 200);
        for (i, event) in events.iter().enumerate() {
            let value: serde_json::Value = serde_json::from_str(event)
                .unwrap_or_else(|e| panic!("event {} is not JSON: {e}", i + 1));
            assert!(value.is_object(), "event {} is not an object", i + 1);
        }
    }

    #[test]
    fn there_are_14_json_patterns_that_compile() {
        let patterns = cis_patterns();
        assert_eq!(patterns.len(), 14);
        for (i, text) in patterns.iter().enumerate() {
            let pattern = Pattern::new(text)
                .unwrap_or_else(|e| panic!("CIS pattern {} does not compile:\n{e}", i + 1));
            assert_eq!(pattern.kind(), PatternKind::Json, "CIS pattern {}", i + 1);
            assert!(trailmatch::parse(text).is_ok());
        }
    }

    /// `set-14` and `reference-14` must do the same work, and the workload must not be all
    /// misses (a bench that never matches would flatter a fast-reject path).
    #[test]
    fn set_agrees_with_each_pattern_and_some_events_match() {
        let texts = cis_patterns();
        let patterns: Vec<Pattern> = texts.iter().map(|p| Pattern::new(p).unwrap()).collect();
        let set = PatternSet::new(&texts).unwrap();
        let mut matched = 0;
        for event in cloudtrail_events() {
            let expected: Vec<usize> = (0..patterns.len())
                .filter(|&i| patterns[i].matches(event))
                .collect();
            assert_eq!(set.matches(event), expected, "event {event}");
            matched += usize::from(!expected.is_empty());
        }
        assert!(matched > 0, "no event matches any CIS pattern");
        assert!(
            cloudtrail_events()
                .iter()
                .any(|e| patterns[SINGLE_PATTERN].matches(e)),
            "the pattern-1 pattern matches nothing"
        );
    }
}
