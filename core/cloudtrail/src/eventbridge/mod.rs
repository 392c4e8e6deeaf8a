//! CloudTrail through Amazon EventBridge: records as EventBridge delivers them, which rules see
//! which records, rules and targets as users write them, and what a target receives.
//!
//! - [`wrap`]: a CloudTrail record in the envelope EventBridge puts around it (`version`, `id`,
//!   `detail-type`, `source`, `account`, `time`, `region`, `resources`, and the record as
//!   `detail`, byte for byte);
//! - [`delivered`]: whether a record reaches a rule in a given [`RuleState`] (read-only
//!   management events only reach `ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS` rules), with
//!   the [`Reason`];
//! - [`EventRuleSet`]: rules files for `put-rule` / `put-targets` (`{"Rules": […]}`), and
//!   the built-in CIS pack ([`EventRuleSet::cis`]); rules in CloudFormation and Terraform are
//!   read by [`crate::iac`];
//! - [`target_input`]: what a target receives for a matching event — the event, `Input`,
//!   `InputPath` or `InputTransformer`.
//!
//! Event patterns are kept as their JSON text, checked only to be JSON objects: matching them
//! is the engine's job.
//!
//! ```
//! use trailmatch_cloudtrail::eventbridge::{self, RuleContext, RuleState};
//!
//! let record = r#"{"eventVersion":"1.08","userIdentity":{"type":"Root","arn":"arn:aws:iam::111122223333:root"},"eventTime":"2024-11-26T03:31:07Z","eventSource":"s3.amazonaws.com","eventName":"PutBucketPolicy","awsRegion":"eu-west-1","eventID":"3c5a1f0e-8a4b-4a4e-9f2b-0d1c2b3a4f5e","readOnly":false,"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"111122223333","eventCategory":"Management"}"#;
//! let event = eventbridge::wrap(record)?;
//!
//! let rules = eventbridge::EventRuleSet::parse(r#"{"Rules": [{
//!   "Name": "bucket-policy",
//!   "EventPattern": {"source": ["aws.s3"], "detail": {"eventName": ["PutBucketPolicy"]}},
//!   "Targets": [{"Id": "sns", "Arn": "arn:aws:sns:eu-west-1:111122223333:alerts",
//!                "InputTransformer": {"InputPathsMap": {"who": "$.detail.userIdentity.arn", "what": "$.detail.eventName"},
//!                                     "InputTemplate": "\"<who> called <what>\""}}]
//! }]}"#, "rules.json")?;
//! let rule = &rules.rules[0];
//! assert!(eventbridge::delivered_text(record, rule.state).delivered);
//!
//! // (Whether the pattern matches is the engine's call; suppose it does.)
//! let context = RuleContext { rule_name: &rule.name, ..RuleContext::default() };
//! let message = eventbridge::target_input(&rule.targets[0], &event, &context)?;
//! assert_eq!(message, r#""arn:aws:iam::111122223333:root called PutBucketPolicy""#);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod cis;
pub mod delivery;
pub mod envelope;
pub mod input;
mod raw;
pub mod rules;
pub mod scan;

pub use cis::CIS_RULES_JSON;
pub use delivery::{Delivery, Reason, RuleState, delivered, delivered_text};
pub use envelope::{
    AsEvent, Envelope, EnvelopeError, EnvelopeErrorKind, as_event, detail_type_of, source_of, wrap,
    wrap_value,
};
pub use input::{
    InputError, InputErrorKind, InputTransformer, JsonPath, MAX_PATH, MAX_TEMPLATE, MAX_VARIABLES,
    RESERVED, RuleContext, target_input,
};
pub use rules::{EventRuleDef, EventRuleSet, MAX_TARGETS, TargetDef, check_pattern};
pub use scan::{EventRuleMatch, EventRuleReport, EventRulesReport, TargetMessage};

/// The names of the top-level members of a JSON object's text, `None` when it is not one.
pub(crate) fn raw_member_names(text: &str) -> Option<Vec<String>> {
    raw::members(text)
        .ok()
        .map(|members| members.into_iter().map(|(k, _)| k).collect())
}

#[cfg(test)]
mod tests;
