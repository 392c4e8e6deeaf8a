//! The SNS message CloudWatch publishes when an alarm changes state.
//!
//! The shape follows the notifications CloudWatch sends (the HTTP/email-json delivery of an SNS
//! `Notification`, whose `Message` is the alarm's state change as a JSON string), field for
//! field and in CloudWatch's order, as seen in notifications published from 2017 to 2026.
//!
//! The output is deterministic: `MessageId` is derived from the message's content (a
//! name-based, version 5 UUID, not a random one), and the message is not signed — `Signature`,
//! `SigningCertURL` and `UnsubscribeURL`, which only AWS can produce, are left out.

use serde::Serialize;
use serde_json::Value;
use uuid::Uuid;

use super::{AlarmDef, State, Transition};
use crate::time;

/// Where the alarm lives, which CloudWatch knows and an [`AlarmDef`] does not.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NotificationContext {
    /// The AWS account (`123456789012`).
    pub account_id: String,
    /// The region code (`us-east-1`).
    pub region: String,
    /// The SNS topic the message is published to. `None`: the first SNS topic among the
    /// alarm's actions for the new state, or empty if there is none.
    pub topic_arn: Option<String>,
    /// When the alarm's configuration was last updated (milliseconds since the epoch), for
    /// `AlarmConfigurationUpdatedTimestamp`; left out when unknown.
    pub configuration_updated_ms: Option<i64>,
}

impl NotificationContext {
    /// A context for `account_id` in `region`.
    pub fn new(account_id: impl Into<String>, region: impl Into<String>) -> Self {
        NotificationContext {
            account_id: account_id.into(),
            region: region.into(),
            topic_arn: None,
            configuration_updated_ms: None,
        }
    }
}

/// The region's name as CloudWatch writes it in notifications (`US East (N. Virginia)`,
/// `EU (Ireland)`), or the code itself for a region it does not know.
pub fn region_name(code: &str) -> &str {
    match code {
        "us-east-1" => "US East (N. Virginia)",
        "us-east-2" => "US East (Ohio)",
        "us-west-1" => "US West (N. California)",
        "us-west-2" => "US West (Oregon)",
        "af-south-1" => "Africa (Cape Town)",
        "ap-east-1" => "Asia Pacific (Hong Kong)",
        "ap-east-2" => "Asia Pacific (Taipei)",
        "ap-south-1" => "Asia Pacific (Mumbai)",
        "ap-south-2" => "Asia Pacific (Hyderabad)",
        "ap-southeast-1" => "Asia Pacific (Singapore)",
        "ap-southeast-2" => "Asia Pacific (Sydney)",
        "ap-southeast-3" => "Asia Pacific (Jakarta)",
        "ap-southeast-4" => "Asia Pacific (Melbourne)",
        "ap-southeast-5" => "Asia Pacific (Malaysia)",
        "ap-southeast-7" => "Asia Pacific (Thailand)",
        "ap-northeast-1" => "Asia Pacific (Tokyo)",
        "ap-northeast-2" => "Asia Pacific (Seoul)",
        "ap-northeast-3" => "Asia Pacific (Osaka)",
        "ca-central-1" => "Canada (Central)",
        "ca-west-1" => "Canada West (Calgary)",
        "cn-north-1" => "China (Beijing)",
        "cn-northwest-1" => "China (Ningxia)",
        "eu-central-1" => "EU (Frankfurt)",
        "eu-central-2" => "EU (Zurich)",
        "eu-west-1" => "EU (Ireland)",
        "eu-west-2" => "EU (London)",
        "eu-west-3" => "EU (Paris)",
        "eu-south-1" => "EU (Milan)",
        "eu-south-2" => "EU (Spain)",
        "eu-north-1" => "EU (Stockholm)",
        "il-central-1" => "Israel (Tel Aviv)",
        "me-south-1" => "Middle East (Bahrain)",
        "me-central-1" => "Middle East (UAE)",
        "mx-central-1" => "Mexico (Central)",
        "sa-east-1" => "South America (Sao Paulo)",
        "us-gov-west-1" => "AWS GovCloud (US-West)",
        "us-gov-east-1" => "AWS GovCloud (US-East)",
        other => other,
    }
}

/// The ARN partition of a region.
fn partition(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "aws-cn"
    } else if region.starts_with("us-gov-") {
        "aws-us-gov"
    } else if region.starts_with("us-isob-") {
        "aws-iso-b"
    } else if region.starts_with("us-iso-") {
        "aws-iso"
    } else {
        "aws"
    }
}

/// The longest `Subject` SNS accepts.
const MAX_SUBJECT_CHARS: usize = 100;

/// `ALARM: "name" in US East (N. Virginia)`, the alarm's name cut short with `...` when the
/// subject would pass 100 characters.
fn subject(state: State, name: &str, region: &str) -> String {
    let head = format!("{}: \"", state.as_str());
    let tail = format!("\" in {region}");
    let full = format!("{head}{name}{tail}");
    if full.chars().count() <= MAX_SUBJECT_CHARS {
        return full;
    }
    let room = MAX_SUBJECT_CHARS.saturating_sub(head.chars().count() + tail.chars().count() + 3);
    let short: String = name.chars().take(room).collect();
    format!("{head}{short}...{tail}")
}

/// `SampleCount` → `SAMPLE_COUNT`, as the `Trigger` writes statistics.
fn screaming(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 4);
    for (i, c) in name.chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            out.push('_');
        }
        out.push(c.to_ascii_uppercase());
    }
    out
}

/// The message's `Trigger`.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Trigger<'a> {
    metric_name: &'a str,
    namespace: &'a str,
    statistic_type: &'static str,
    statistic: String,
    unit: Option<&'a str>,
    dimensions: Vec<TriggerDimension<'a>>,
    period: Option<i64>,
    evaluation_periods: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    datapoints_to_alarm: Option<i64>,
    comparison_operator: &'a str,
    threshold: Option<f64>,
    treat_missing_data: &'a str,
    evaluate_low_sample_count_percentile: &'a str,
}

#[derive(Serialize)]
struct TriggerDimension<'a> {
    value: &'a str,
    name: &'a str,
}

/// The alarm's state change, `Message` of the SNS notification.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Message<'a> {
    alarm_name: &'a str,
    alarm_description: Option<&'a str>,
    #[serde(rename = "AWSAccountId")]
    aws_account_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    alarm_configuration_updated_timestamp: Option<String>,
    new_state_value: &'static str,
    new_state_reason: &'a str,
    state_change_time: String,
    region: &'a str,
    alarm_arn: String,
    old_state_value: &'static str,
    #[serde(rename = "OKActions")]
    ok_actions: &'a [String],
    alarm_actions: &'a [String],
    insufficient_data_actions: &'a [String],
    trigger: Trigger<'a>,
}

/// The SNS envelope.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Envelope {
    #[serde(rename = "Type")]
    kind: &'static str,
    message_id: String,
    topic_arn: String,
    subject: String,
    message: String,
    timestamp: String,
    signature_version: &'static str,
}

/// The SNS notification CloudWatch publishes for `transition` of the alarm `def`, as a JSON
/// value (see [`notification_text`] for the text in CloudWatch's member order).
///
/// `Message` is the state change as a JSON string: `AlarmName`, `AlarmDescription`,
/// `AWSAccountId`, `AlarmConfigurationUpdatedTimestamp` (when known), `NewStateValue`,
/// `NewStateReason`, `StateChangeTime`, `Region`, `AlarmArn`, `OldStateValue`, the three action
/// lists and the `Trigger`. The envelope has `Type`, `MessageId`, `TopicArn`, `Subject`
/// (`ALARM: "name" in US East (N. Virginia)`, at most 100 characters), `Message`, `Timestamp`
/// and `SignatureVersion`; it is not signed and its `MessageId` is derived from its content.
pub fn notification(def: &AlarmDef, transition: &Transition, ctx: &NotificationContext) -> Value {
    serde_json::to_value(envelope(def, transition, ctx)).unwrap_or(Value::Null)
}

/// [`notification`] as JSON text, members in CloudWatch's order.
pub fn notification_text(
    def: &AlarmDef,
    transition: &Transition,
    ctx: &NotificationContext,
) -> String {
    serde_json::to_string(&envelope(def, transition, ctx)).unwrap_or_default()
}

fn envelope(def: &AlarmDef, transition: &Transition, ctx: &NotificationContext) -> Envelope {
    let region = region_name(&ctx.region);
    let statistic = match (&def.statistic, &def.extended_statistic) {
        (Some(name), _) => ("Statistic", screaming(name)),
        (None, Some(extended)) => ("ExtendedStatistic", extended.clone()),
        (None, None) => ("Statistic", String::new()),
    };
    let message = Message {
        alarm_name: &def.alarm_name,
        alarm_description: def.alarm_description.as_deref(),
        aws_account_id: &ctx.account_id,
        alarm_configuration_updated_timestamp: ctx
            .configuration_updated_ms
            .map(time::format_cloudwatch),
        new_state_value: transition.to.as_str(),
        new_state_reason: &transition.reason,
        state_change_time: time::format_cloudwatch(transition.time_ms),
        region,
        alarm_arn: format!(
            "arn:{}:cloudwatch:{}:{}:alarm:{}",
            partition(&ctx.region),
            ctx.region,
            ctx.account_id,
            def.alarm_name
        ),
        old_state_value: transition.from.as_str(),
        ok_actions: &def.ok_actions,
        alarm_actions: &def.alarm_actions,
        insufficient_data_actions: &def.insufficient_data_actions,
        trigger: Trigger {
            metric_name: def.metric_name.as_deref().unwrap_or(""),
            namespace: def.namespace.as_deref().unwrap_or(""),
            statistic_type: statistic.0,
            statistic: statistic.1,
            unit: def.unit.as_deref(),
            dimensions: def
                .dimensions
                .iter()
                .map(|d| TriggerDimension {
                    value: &d.value,
                    name: &d.name,
                })
                .collect(),
            period: def.period,
            evaluation_periods: def.evaluation_periods,
            datapoints_to_alarm: def.datapoints_to_alarm,
            comparison_operator: &def.comparison_operator,
            threshold: def.threshold,
            treat_missing_data: def.treat_missing_data.as_deref().unwrap_or(""),
            evaluate_low_sample_count_percentile: def
                .evaluate_low_sample_count_percentile
                .as_deref()
                .unwrap_or(""),
        },
    };
    let message = serde_json::to_string(&message).unwrap_or_default();
    let actions = match transition.to {
        State::Ok => &def.ok_actions,
        State::Alarm => &def.alarm_actions,
        State::InsufficientData => &def.insufficient_data_actions,
    };
    let topic_arn = ctx.topic_arn.clone().unwrap_or_else(|| {
        actions
            .iter()
            .find(|arn| arn.starts_with("arn:") && arn.contains(":sns:"))
            .cloned()
            .unwrap_or_default()
    });
    let subject = subject(transition.to, &def.alarm_name, region);
    let timestamp = time::format_millis(transition.time_ms);
    let message_id = content_id(&[&topic_arn, &subject, &message, &timestamp]);
    Envelope {
        kind: "Notification",
        message_id,
        topic_arn,
        subject,
        message,
        timestamp,
        signature_version: "1",
    }
}

/// The namespace of notification `MessageId`s: the name-based (version 5) UUID of
/// `trailmatch:sns-message-id` in RFC 9562's URL namespace.
const MESSAGE_ID_NAMESPACE: Uuid = Uuid::from_u128(0x4d4c_a974_b792_5e44_8fe9_8b9f_45b6_1412);

/// The name-based identifier (RFC 9562 version 5: SHA-1 in [`MESSAGE_ID_NAMESPACE`]) of
/// `parts`, each followed by a 0xFF byte (which no UTF-8 text holds, so the parts cannot run
/// into each other): equal content, equal id.
fn content_id(parts: &[&str]) -> String {
    let mut name = Vec::new();
    for part in parts {
        name.extend_from_slice(part.as_bytes());
        name.push(0xff);
    }
    Uuid::new_v5(&MESSAGE_ID_NAMESPACE, &name).to_string()
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_namespace_is_the_name_based_uuid_it_says() {
        assert_eq!(
            super::MESSAGE_ID_NAMESPACE,
            uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_URL, b"trailmatch:sns-message-id")
        );
    }
}
