//! Which CloudTrail events EventBridge matches against a rule, by the rule's state.
//!
//! Sources (EventBridge User Guide):
//!
//! - [AWS service events delivered via AWS CloudTrail](https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-service-event-cloudtrail.html):
//!   write management events, data events and network activity events are matched by rules in
//!   the `ENABLED` state; read-only management events only by rules in the
//!   `ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS` state; CloudTrail delivers to the default
//!   event bus only, and only what a trail logs (data and network activity events need their
//!   event selectors).
//! - [Receiving read-only management events from AWS services](https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-service-event-cloudtrail-management.html):
//!   a disabled rule matches nothing; an enabled one everything "except for read-only AWS
//!   management events delivered through CloudTrail"; "you may already be receiving read-only
//!   management events even if those events don't start with `Describe`, `Get`, or `List`"
//!   (`TestEventPattern`).
//! - The same page in an earlier revision (still served at
//!   [docs.amazonaws.cn](https://docs.amazonaws.cn/en_us/eventbridge/latest/userguide/eb-service-event-cloudtrail-management.html)):
//!   the STS calls `GetFederationToken` and `GetSessionToken` "are change events, even though
//!   they start with the verb Get".
//!
//! So the events an `ENABLED` rule does not see are the read-only management events named by the
//! `Describe`/`Get`/`List` convention. A record says it is read-only with `readOnly: true`; one
//! without `readOnly` is judged by its name alone, as EventBridge did before the rule state
//! existed ("events from API actions that start with the keywords `List`, `Get`, or `Describe`
//! aren't processed by EventBridge", [Events from AWS services](https://docs.amazonaws.cn/en_us/eventbridge/latest/userguide/eb-service-event.html)).

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A rule's `State`, as `PutRule` takes it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum RuleState {
    /// `ENABLED` (the default): every event but read-only management events from CloudTrail.
    #[default]
    #[serde(rename = "ENABLED")]
    Enabled,
    /// `DISABLED`: no event.
    #[serde(rename = "DISABLED")]
    Disabled,
    /// `ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS`: every event, read-only management
    /// events included.
    #[serde(rename = "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS")]
    EnabledWithAllCloudTrailManagementEvents,
}

impl RuleState {
    /// Every state.
    pub const ALL: [RuleState; 3] = [
        RuleState::Enabled,
        RuleState::Disabled,
        RuleState::EnabledWithAllCloudTrailManagementEvents,
    ];

    /// The API name (`ENABLED`, …).
    pub fn name(self) -> &'static str {
        match self {
            RuleState::Enabled => "ENABLED",
            RuleState::Disabled => "DISABLED",
            RuleState::EnabledWithAllCloudTrailManagementEvents => {
                "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS"
            }
        }
    }

    /// The state with this API name.
    pub fn from_name(name: &str) -> Option<RuleState> {
        RuleState::ALL.into_iter().find(|s| s.name() == name)
    }
}

/// Whether EventBridge matches a CloudTrail event against a rule, and why.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Delivery {
    /// True when the event is matched against the rule's pattern (whether the pattern then
    /// matches is another question).
    pub delivered: bool,
    /// Why.
    pub reason: Reason,
}

/// Why an event is, or is not, matched against a rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Reason {
    /// The rule is `DISABLED`.
    RuleDisabled,
    /// Not a CloudTrail record (not a JSON object).
    NotARecord,
    /// A management event that changes something (`readOnly: false`, or a name outside the
    /// read-only convention): every enabled rule sees it.
    WriteManagementEvent,
    /// A read-only management event named `Describe…`, `Get…` or `List…`: only
    /// `ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS` rules see it.
    ReadOnlyManagementEvent,
    /// A read-only management event whose name does not start with `Describe`, `Get` or
    /// `List` (`TestEventPattern`), or one of the STS `Get` calls EventBridge counts as
    /// changes: every enabled rule sees it.
    ReadOnlyOutsideConvention,
    /// A data event (`eventCategory: Data`, or `managementEvent: false`): every enabled rule
    /// sees it (when the trail logs it).
    DataEvent,
    /// A network activity event (`eventCategory: NetworkActivity`, `eventType: AwsVpceEvent`):
    /// every enabled rule sees it (when the trail logs it).
    NetworkActivityEvent,
    /// An Insights event (`eventCategory: Insight`, `eventType: AwsCloudTrailInsight`): every
    /// enabled rule sees it.
    InsightEvent,
}

impl Reason {
    /// A stable kebab-case code.
    pub fn code(self) -> &'static str {
        match self {
            Reason::RuleDisabled => "rule-disabled",
            Reason::NotARecord => "not-a-record",
            Reason::WriteManagementEvent => "write-management-event",
            Reason::ReadOnlyManagementEvent => "read-only-management-event",
            Reason::ReadOnlyOutsideConvention => "read-only-outside-convention",
            Reason::DataEvent => "data-event",
            Reason::NetworkActivityEvent => "network-activity-event",
            Reason::InsightEvent => "insight-event",
        }
    }

    /// One sentence saying what the reason means.
    pub fn describe(self) -> &'static str {
        match self {
            Reason::RuleDisabled => "the rule is DISABLED, so no event is matched against it",
            Reason::NotARecord => "not a CloudTrail record (not a JSON object)",
            Reason::WriteManagementEvent => {
                "a write management event, matched by every enabled rule"
            }
            Reason::ReadOnlyManagementEvent => {
                "a read-only management event (Describe*, Get*, List*), matched only by rules in \
                 the ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS state"
            }
            Reason::ReadOnlyOutsideConvention => {
                "a read-only management event outside the Describe/Get/List naming convention, \
                 matched by every enabled rule"
            }
            Reason::DataEvent => "a data event, matched by every enabled rule",
            Reason::NetworkActivityEvent => {
                "a network activity event, matched by every enabled rule"
            }
            Reason::InsightEvent => "an Insights event, matched by every enabled rule",
        }
    }
}

/// STS calls named `Get…` that EventBridge counts as changes.
const STS_CHANGES: &[&str] = &["GetFederationToken", "GetSessionToken"];

/// Whether EventBridge matches the CloudTrail record `record` against a rule in `state` (see the
/// [module](self) for the rules and their sources).
///
/// ```
/// use trailmatch_cloudtrail::eventbridge::{delivered, Reason, RuleState};
///
/// let get: serde_json::Value = serde_json::json!({
///     "eventSource": "iam.amazonaws.com", "eventName": "GetRole", "readOnly": true,
///     "eventType": "AwsApiCall", "eventCategory": "Management"
/// });
/// let d = delivered(&get, RuleState::Enabled);
/// assert_eq!((d.delivered, d.reason), (false, Reason::ReadOnlyManagementEvent));
/// let d = delivered(&get, RuleState::EnabledWithAllCloudTrailManagementEvents);
/// assert_eq!((d.delivered, d.reason), (true, Reason::ReadOnlyManagementEvent));
/// ```
pub fn delivered(record: &Value, state: RuleState) -> Delivery {
    if state == RuleState::Disabled {
        return Delivery {
            delivered: false,
            reason: Reason::RuleDisabled,
        };
    }
    let reason = reason(record);
    let withheld = matches!(
        (state, reason),
        (_, Reason::NotARecord) | (RuleState::Enabled, Reason::ReadOnlyManagementEvent)
    );
    Delivery {
        delivered: !withheld,
        reason,
    }
}

/// [`delivered`] for a record's JSON text (text that is not a JSON object is
/// [`Reason::NotARecord`]).
pub fn delivered_text(record: &str, state: RuleState) -> Delivery {
    let value = serde_json::from_str::<Value>(record).unwrap_or(Value::Null);
    delivered(&value, state)
}

/// What kind of event `record` is, for delivery.
fn reason(record: &Value) -> Reason {
    let Some(fields) = record.as_object() else {
        return Reason::NotARecord;
    };
    let text = |name: &str| fields.get(name).and_then(Value::as_str);
    match text("eventCategory") {
        Some("Data") => return Reason::DataEvent,
        Some("NetworkActivity") => return Reason::NetworkActivityEvent,
        Some("Insight") => return Reason::InsightEvent,
        _ => {}
    }
    match text("eventType") {
        Some("AwsVpceEvent") => return Reason::NetworkActivityEvent,
        Some("AwsCloudTrailInsight") => return Reason::InsightEvent,
        _ => {}
    }
    if text("eventCategory").is_none() && fields.get("managementEvent") == Some(&Value::Bool(false))
    {
        return Reason::DataEvent;
    }
    let name = text("eventName").unwrap_or_default();
    let conventional = ["Describe", "Get", "List"]
        .iter()
        .any(|prefix| name.starts_with(prefix))
        && !STS_CHANGES.contains(&name);
    match fields.get("readOnly") {
        Some(Value::Bool(true)) if conventional => Reason::ReadOnlyManagementEvent,
        Some(Value::Bool(true)) => Reason::ReadOnlyOutsideConvention,
        None if conventional => Reason::ReadOnlyManagementEvent,
        _ => Reason::WriteManagementEvent,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn check(record: Value, expected: [(RuleState, bool); 3], reason: Reason) {
        for (state, delivered_expected) in expected {
            let d = delivered(&record, state);
            assert_eq!(d.delivered, delivered_expected, "{state:?} {record}");
            if state != RuleState::Disabled {
                assert_eq!(d.reason, reason, "{state:?} {record}");
            } else {
                assert_eq!(d.reason, Reason::RuleDisabled);
            }
        }
    }

    use RuleState::{Disabled, Enabled, EnabledWithAllCloudTrailManagementEvents as All};

    #[test]
    fn read_only_management_events_need_the_all_state() {
        check(
            json!({"eventName": "DescribeKey", "readOnly": true, "eventCategory": "Management"}),
            [(Enabled, false), (Disabled, false), (All, true)],
            Reason::ReadOnlyManagementEvent,
        );
        // No readOnly: judged by the name.
        check(
            json!({"eventName": "ListBuckets"}),
            [(Enabled, false), (Disabled, false), (All, true)],
            Reason::ReadOnlyManagementEvent,
        );
        // Read-only, outside the convention: seen by every enabled rule.
        check(
            json!({"eventName": "TestEventPattern", "readOnly": true}),
            [(Enabled, true), (Disabled, false), (All, true)],
            Reason::ReadOnlyOutsideConvention,
        );
        // The STS calls EventBridge counts as changes.
        check(
            json!({"eventName": "GetSessionToken", "readOnly": true}),
            [(Enabled, true), (Disabled, false), (All, true)],
            Reason::ReadOnlyOutsideConvention,
        );
        // A Get… that says it writes.
        check(
            json!({"eventName": "GetObjectLockConfiguration", "readOnly": false}),
            [(Enabled, true), (Disabled, false), (All, true)],
            Reason::WriteManagementEvent,
        );
    }

    #[test]
    fn data_network_and_insight_events_need_only_enabled() {
        check(
            json!({"eventName": "GetObject", "readOnly": true, "eventCategory": "Data"}),
            [(Enabled, true), (Disabled, false), (All, true)],
            Reason::DataEvent,
        );
        check(
            json!({"eventName": "GetObject", "readOnly": true, "managementEvent": false}),
            [(Enabled, true), (Disabled, false), (All, true)],
            Reason::DataEvent,
        );
        check(
            json!({"eventName": "ListKeys", "eventType": "AwsVpceEvent", "readOnly": true}),
            [(Enabled, true), (Disabled, false), (All, true)],
            Reason::NetworkActivityEvent,
        );
        check(
            json!({"eventName": "GetBucketAcl", "eventCategory": "Insight"}),
            [(Enabled, true), (Disabled, false), (All, true)],
            Reason::InsightEvent,
        );
        check(
            json!({"eventName": "StopLogging", "readOnly": false}),
            [(Enabled, true), (Disabled, false), (All, true)],
            Reason::WriteManagementEvent,
        );
    }

    #[test]
    fn not_records_are_never_delivered() {
        for state in RuleState::ALL {
            assert!(!delivered(&json!([1]), state).delivered);
            assert!(!delivered_text("{", state).delivered);
        }
        assert_eq!(delivered_text("[]", Enabled).reason, Reason::NotARecord);
    }

    #[test]
    fn state_names_round_trip() {
        for state in RuleState::ALL {
            assert_eq!(RuleState::from_name(state.name()), Some(state));
            let json = serde_json::to_string(&state).unwrap();
            assert_eq!(json, format!("\"{}\"", state.name()));
            assert_eq!(serde_json::from_str::<RuleState>(&json).unwrap(), state);
        }
        assert_eq!(RuleState::from_name("enabled"), None);
    }
}
