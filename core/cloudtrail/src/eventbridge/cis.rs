//! The CIS AWS Foundations monitoring controls ([`crate::cis::CONTROLS`]) as EventBridge rules:
//! the twin of the metric-filter pack ([`RuleSet::cis`](crate::rules::RuleSet::cis)), for
//! alerting from CloudTrail events on the default event bus instead of from a log group.
//!
//! Each rule's pattern is its metric filter wrapped in `detail`: a comparison
//! `$.a.b = v` of the filter is `{"detail": {"a": {"b": ["v"]}}}`, `!=` is `anything-but`
//! (both need the field to be there), `NOT EXISTS` is `"exists": false`, `*x` and `x*` are
//! `suffix` and `prefix`, `||` of several `$.eventName = …` is one list, and 5.1's
//! `A || B && C && D` (where `&&` binds tighter) is `$or` of the two branches. The record being
//! the event's `detail` byte for byte ([`wrap`](super::wrap)), the wrapped filter matches the
//! events whose record the metric filter matches (the translation of each operator as in
//! `benches/src/sets.rs`, whose quamina baseline runs the same patterns over the records
//! alone).
//!
//! The only envelope fields a pattern adds are those the filter implies under
//! [`wrap`](super::wrap): `source` when the filter pins `eventSource` (5.7, 5.8, 5.9, 5.15:
//! `kms.amazonaws.com` is `aws.kms`), `detail-type` `AWS Console Sign In via CloudTrail` when it
//! pins `eventName` to `ConsoleLogin` (5.2, 5.6). They narrow nothing and let EventBridge, and a
//! reader, see at once which events a rule is about.
//!
//! What a metric filter sees and a rule does not: read-only management events reach a rule only
//! in the `ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS` state ([`delivered`](super::delivered)).
//! 5.1 (an `AccessDenied` on a `Get…` call) and 5.3 (the root user listing buckets) are about
//! read-only calls too, so their rules have that state; the others name only calls that change
//! something and are `ENABLED`. Each rule has one target, the SNS topic the metric-filter pack's
//! alarms notify ([`CIS_TOPIC`](crate::rules::CIS_TOPIC)), receiving the whole event.

use super::rules::EventRuleSet;

/// The pack as a rules file (`{"Rules": […]}`), as [`EventRuleSet::parse`] reads it.
pub const CIS_RULES_JSON: &str = include_str!("cis.json");

impl EventRuleSet {
    /// The CIS pack ([`CIS_RULES_JSON`]): one rule per control of [`crate::cis::CONTROLS`],
    /// named `CIS-<id>-<name>` (`CIS-5.1-unauthorized_api_calls`). The file is part of the
    /// crate and its tests read it, so the set is never empty.
    pub fn cis() -> EventRuleSet {
        EventRuleSet::parse(CIS_RULES_JSON, "cis.json").unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use serde_json::{Value, json};

    use super::*;
    use crate::cis::CONTROLS;
    use crate::eventbridge::{RuleState, delivered, envelope, source_of};

    fn pattern(rule: &crate::eventbridge::EventRuleDef) -> Value {
        let text = rule.event_pattern.as_deref().unwrap();
        serde_json::from_str(text).unwrap()
    }

    /// The values `$.<field> = X` of a metric filter (not `!=`).
    fn filter_values(filter: &str, field: &str) -> BTreeSet<String> {
        let needle = format!("$.{field}");
        let mut out = BTreeSet::new();
        let mut rest = filter;
        while let Some(at) = rest.find(&needle) {
            rest = &rest[at + needle.len()..];
            let after = rest.trim_start();
            if let Some(value) = after.strip_prefix('=') {
                let value: String = value
                    .trim_start()
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '.')
                    .collect();
                out.insert(value);
            }
        }
        out
    }

    /// The plain strings of `detail.<field>` in a pattern, `$or` branches included.
    fn pattern_values(detail: &Value, field: &str) -> BTreeSet<String> {
        let mut out = BTreeSet::new();
        let mut branches = vec![detail];
        if let Some(or) = detail.get("$or").and_then(Value::as_array) {
            branches.extend(or);
        }
        for branch in branches {
            for v in branch
                .get(field)
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                if let Some(s) = v.as_str() {
                    out.insert(s.to_owned());
                }
            }
        }
        out
    }

    #[test]
    fn the_pack_has_one_rule_per_control_in_order() {
        let pack = EventRuleSet::cis();
        assert_eq!(pack.rules.len(), CONTROLS.len());
        for (rule, control) in pack.rules.iter().zip(CONTROLS) {
            assert_eq!(rule.name, format!("CIS-{}-{}", control.id, control.name));
            assert_eq!(
                rule.description.as_deref(),
                Some(format!("CIS {} {}", control.id, control.title).as_str())
            );
            assert_eq!(rule.targets.len(), 1);
            assert_eq!(rule.targets[0].arn, crate::rules::CIS_TOPIC);
            assert!(rule.pattern_location.is_some());
        }
    }

    #[test]
    fn every_pattern_is_a_json_object_with_a_detail_object() {
        for rule in EventRuleSet::cis().rules {
            let value = pattern(&rule);
            assert!(value.is_object(), "{}", rule.name);
            assert!(value["detail"].is_object(), "{}", rule.name);
            for key in value.as_object().unwrap().keys() {
                assert!(
                    ["detail", "source", "detail-type"].contains(&key.as_str()),
                    "{}: {key}",
                    rule.name
                );
            }
        }
    }

    /// The names and sources each metric filter compares with are the pattern's.
    #[test]
    fn patterns_name_what_their_filters_name() {
        for (rule, control) in EventRuleSet::cis().rules.iter().zip(CONTROLS) {
            let value = pattern(rule);
            let detail = &value["detail"];
            assert_eq!(
                pattern_values(detail, "eventName"),
                filter_values(control.pattern, "eventName"),
                "{}",
                rule.name
            );
            let sources = filter_values(control.pattern, "eventSource");
            assert_eq!(
                pattern_values(detail, "eventSource"),
                sources,
                "{}",
                rule.name
            );
            // `source` exactly when the filter pins eventSource, and then the one wrap gives.
            let expected: Vec<Value> = sources
                .iter()
                .filter_map(|s| source_of(s))
                .map(Value::from)
                .collect();
            match value.get("source") {
                Some(source) => assert_eq!(source, &Value::from(expected), "{}", rule.name),
                None => assert!(expected.is_empty(), "{}", rule.name),
            }
            // `detail-type` exactly when the filter pins eventName to ConsoleLogin.
            let console = filter_values(control.pattern, "eventName")
                == BTreeSet::from(["ConsoleLogin".to_owned()]);
            match value.get("detail-type") {
                Some(t) => {
                    assert!(console, "{}", rule.name);
                    assert_eq!(t, &json!([envelope::CONSOLE_SIGN_IN]));
                }
                None => assert!(!console, "{}", rule.name),
            }
        }
    }

    /// An `ENABLED` rule names only calls EventBridge delivers in that state; the two controls
    /// about read-only calls see every management event.
    #[test]
    fn states_let_every_event_the_filter_sees_reach_the_rule() {
        for rule in EventRuleSet::cis().rules {
            let value = pattern(&rule);
            let all = RuleState::EnabledWithAllCloudTrailManagementEvents;
            if ["CIS-5.1-unauthorized_api_calls", "CIS-5.3-root_usage"]
                .contains(&rule.name.as_str())
            {
                assert_eq!(rule.state, all, "{}", rule.name);
                continue;
            }
            assert_eq!(rule.state, RuleState::Enabled, "{}", rule.name);
            let names = pattern_values(&value["detail"], "eventName");
            assert!(!names.is_empty(), "{}", rule.name);
            for name in names {
                let record = json!({"eventName": name});
                assert!(
                    delivered(&record, rule.state).delivered,
                    "{}: {name}",
                    rule.name
                );
            }
        }
    }
}
