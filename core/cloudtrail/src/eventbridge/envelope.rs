//! A CloudTrail record as EventBridge delivers it: the record becomes the `detail` of an event
//! whose top-level fields say where it came from.
//!
//! Sources:
//!
//! - [AWS service events delivered via AWS CloudTrail](https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-service-event-cloudtrail.html)
//!   (EventBridge User Guide): the `detail-type` of each kind of CloudTrail event;
//! - [Event structure](https://docs.aws.amazon.com/eventbridge/latest/ref/welcome.html#overiew-event-structure)
//!   (EventBridge Events Reference): `version`, `id`, `detail-type`, `source`, `account`, `time`,
//!   `region`, `resources`, `detail`;
//! - the EventBridge Events Reference page of each service, which names the `source` and
//!   `eventSource` of its events delivered via CloudTrail, e.g.
//!   [AWS CloudTrail events](https://docs.aws.amazon.com/eventbridge/latest/ref/events-ref-cloudtrail.html)
//!   (`aws.cloudtrail` / `cloudtrail.amazonaws.com`),
//!   [CloudWatch Monitoring events](https://docs.aws.amazon.com/eventbridge/latest/ref/events-ref-monitoring.html)
//!   (`aws.monitoring` / `monitoring.amazonaws.com`),
//!   [AWS Health events](https://docs.aws.amazon.com/eventbridge/latest/ref/events-ref-health.html)
//!   (`aws.health` / `health.amazonaws.com`);
//! - the "AWS API Call via CloudTrail" example of
//!   [CloudWatch Events event examples](https://docs.aws.amazon.com/AmazonCloudWatch/latest/events/EventTypes.html)
//!   (`"resources": []`).

use serde_json::value::RawValue;
use uuid::Uuid;

use super::raw;

/// `detail-type` of API calls (`eventType` `AwsApiCall`).
pub const API_CALL: &str = "AWS API Call via CloudTrail";
/// `detail-type` of console sign-in events (`eventType` `AwsConsoleSignIn`, or any record whose
/// `eventName` is `ConsoleLogin`). The EventBridge User Guide's list spells it
/// `AWS Console Signin via CloudTrail`; the events themselves, and the patterns AWS's own
/// examples match them with, carry `AWS Console Sign In via CloudTrail`, which is used here.
pub const CONSOLE_SIGN_IN: &str = "AWS Console Sign In via CloudTrail";
/// `detail-type` of console actions that are not API calls (`AwsConsoleAction`).
pub const CONSOLE_ACTION: &str = "AWS Console Action via CloudTrail";
/// `detail-type` of events AWS services create (`AwsServiceEvent`).
pub const SERVICE_EVENT: &str = "AWS Service Event via CloudTrail";
/// `detail-type` of Insights events (`AwsCloudTrailInsight`).
pub const INSIGHT: &str = "AWS Insight via CloudTrail";
/// `detail-type` of network activity events (`AwsVpceEvent`: API calls through VPC endpoints).
pub const NETWORK_ACTIVITY: &str = "AWS Network Activity Event via CloudTrail";

/// `source` of Insights events. Their records have no `eventSource` (the service an insight is
/// about is `insightDetails.eventSource`); the event comes from CloudTrail itself. No AWS page
/// was found stating it; rules published for these events match `"source": ["aws.cloudtrail"]`
/// with `"detail-type": ["AWS Insight via CloudTrail"]`.
pub const INSIGHT_SOURCE: &str = "aws.cloudtrail";

/// The namespace of the envelope `id`s: the name-based (version 5) UUID of
/// `trailmatch:eventbridge-event-id` in RFC 9562's URL namespace.
pub const ID_NAMESPACE: Uuid = Uuid::from_u128(0x8624_24cc_394a_5c24_a1e5_ba9e_affe_ebc2);

/// The top-level fields of an EventBridge event wrapping a CloudTrail record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Envelope {
    /// Always `"0"`.
    pub version: &'static str,
    /// The event's id. EventBridge gives every event a fresh random UUID; here it is the
    /// name-based UUID (version 5, in [`ID_NAMESPACE`]) of the record's `eventID`, so that
    /// wrapping the same record twice gives the same event.
    pub id: String,
    /// What kind of CloudTrail event: [`API_CALL`], [`CONSOLE_SIGN_IN`], …
    pub detail_type: &'static str,
    /// `aws.` and the service part of `eventSource` (`s3.amazonaws.com` → `aws.s3`);
    /// [`INSIGHT_SOURCE`] for Insights events.
    pub source: String,
    /// `recipientAccountId`: the account the event is delivered to.
    pub account: String,
    /// `eventTime`.
    pub time: String,
    /// `awsRegion`.
    pub region: String,
    /// Always empty: EventBridge puts no resource ARNs in events from CloudTrail.
    pub resources: Vec<String>,
}

impl Envelope {
    /// The envelope of a CloudTrail record's JSON text (see [`wrap`]).
    pub fn of(record: &str) -> Result<Envelope, EnvelopeError> {
        let record = record.trim_start_matches('\u{feff}');
        let first = record.trim_start().as_bytes().first().copied();
        if first != Some(b'{') {
            // "Not an object" for valid JSON of another kind, the syntax error otherwise.
            return Err(if serde_json::from_str::<&RawValue>(record).is_ok() {
                EnvelopeError::new(
                    EnvelopeErrorKind::NotAnObject,
                    "",
                    "the record is JSON but not an object",
                )
            } else {
                invalid_json(record)
            });
        }
        let members = raw::members(record).map_err(|e| {
            EnvelopeError::new(EnvelopeErrorKind::InvalidJson, "", format!("not JSON: {e}"))
        })?;
        let field = |name: &str| members.iter().find(|(k, _)| k == name).map(|(_, v)| *v);
        let text = |name: &'static str| -> Result<String, EnvelopeError> {
            let value = field(name).ok_or_else(|| {
                EnvelopeError::new(
                    EnvelopeErrorKind::MissingField,
                    name,
                    format!("the record has no {name}"),
                )
            })?;
            raw::string(value).ok_or_else(|| {
                EnvelopeError::new(
                    EnvelopeErrorKind::WrongType,
                    name,
                    format!("{name} is {}, not a string", value.get()),
                )
            })
        };
        let console_login = field("eventName")
            .and_then(raw::string)
            .is_some_and(|n| n == "ConsoleLogin");
        let detail_type = if console_login {
            CONSOLE_SIGN_IN
        } else {
            let event_type = text("eventType")?;
            detail_type_of(&event_type).ok_or_else(|| {
                EnvelopeError::new(
                    EnvelopeErrorKind::UnknownEventType,
                    "eventType",
                    format!(
                        "eventType {} is none of AwsApiCall, AwsConsoleSignIn, AwsConsoleAction, \
                         AwsServiceEvent, AwsCloudTrailInsight, AwsVpceEvent",
                        raw::quote(&event_type)
                    ),
                )
            })?
        };
        let source = if detail_type == INSIGHT {
            // Insights records have no eventSource (the service is insightDetails.eventSource):
            // CloudTrail itself is the source.
            INSIGHT_SOURCE.to_owned()
        } else {
            let event_source = text("eventSource")?;
            source_of(&event_source).ok_or_else(|| {
                EnvelopeError::new(
                    EnvelopeErrorKind::UnknownEventSource,
                    "eventSource",
                    format!(
                        "eventSource {} is not <service>.amazonaws.com",
                        raw::quote(&event_source)
                    ),
                )
            })?
        };
        let event_id = text("eventID")?;
        Ok(Envelope {
            version: "0",
            id: Uuid::new_v5(&ID_NAMESPACE, event_id.as_bytes()).to_string(),
            detail_type,
            source,
            account: text("recipientAccountId")?,
            time: text("eventTime")?,
            region: text("awsRegion")?,
            resources: Vec::new(),
        })
    }

    /// The event's JSON text with `detail` as the JSON text given, written as is. Members in
    /// EventBridge's order: `version`, `id`, `detail-type`, `source`, `account`, `time`,
    /// `region`, `resources`, `detail`.
    pub fn to_json(&self, detail: &str) -> String {
        let resources: Vec<String> = self.resources.iter().map(|r| raw::quote(r)).collect();
        format!(
            "{{\"version\":{},\"id\":{},\"detail-type\":{},\"source\":{},\"account\":{},\
             \"time\":{},\"region\":{},\"resources\":[{}],\"detail\":{}}}",
            raw::quote(self.version),
            raw::quote(&self.id),
            raw::quote(self.detail_type),
            raw::quote(&self.source),
            raw::quote(&self.account),
            raw::quote(&self.time),
            raw::quote(&self.region),
            resources.join(","),
            detail,
        )
    }
}

fn invalid_json(record: &str) -> EnvelopeError {
    let message = match serde_json::from_str::<&RawValue>(record) {
        Err(e) => format!("not JSON: {e}"),
        Ok(_) => "not JSON".to_owned(),
    };
    EnvelopeError::new(EnvelopeErrorKind::InvalidJson, "", message)
}

/// The event EventBridge delivers for a CloudTrail record (its JSON text, as a log line holds
/// it): the [`Envelope`] around the record, the record being `detail` byte for byte (white
/// space around it and a byte-order mark excepted), so its numbers, key order and escapes are
/// those of the log.
///
/// A record that is not a JSON object, or lacks a field the envelope is made of (`eventType` —
/// not needed for a `ConsoleLogin` —, `eventSource` — not needed for an Insights event —,
/// `eventID`, `recipientAccountId`, `eventTime`, `awsRegion`), is an error naming it.
///
/// ```
/// use trailmatch_cloudtrail::eventbridge::wrap;
///
/// let record = r#"{"eventVersion":"1.08","eventTime":"2024-11-26T03:31:07Z","eventSource":"signin.amazonaws.com","eventName":"ConsoleLogin","awsRegion":"us-east-1","eventID":"e1","eventType":"AwsConsoleSignIn","recipientAccountId":"111122223333","n":1.50}"#;
/// let event = wrap(record)?;
/// assert!(event.starts_with(r#"{"version":"0","id":"#));
/// assert!(event.contains(r#""detail-type":"AWS Console Sign In via CloudTrail","source":"aws.signin","account":"111122223333","time":"2024-11-26T03:31:07Z","region":"us-east-1","resources":[],"detail":{"eventVersion""#));
/// assert!(event.ends_with(&format!(",\"detail\":{record}}}")));
///
/// let err = wrap(r#"{"eventType":"AwsApiCall","eventTime":"2024-11-26T03:31:07Z"}"#).unwrap_err();
/// assert_eq!((err.code(), err.field()), ("missing-field", "eventSource"));
/// # Ok::<(), trailmatch_cloudtrail::eventbridge::EnvelopeError>(())
/// ```
pub fn wrap(record: &str) -> Result<String, EnvelopeError> {
    let envelope = Envelope::of(record)?;
    let detail = record.trim_start_matches('\u{feff}').trim();
    Ok(envelope.to_json(detail))
}

/// What an event pattern is matched against when the input may hold CloudTrail records as well as
/// EventBridge events (the in-browser tester takes both): see [`as_event`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AsEvent {
    /// The text as given: an EventBridge event (it has a `detail-type`), or not a CloudTrail
    /// record (no `eventVersion`, and not both `eventSource` and `eventName`), or not a JSON
    /// object.
    AsGiven,
    /// A CloudTrail record, wrapped as EventBridge delivers it ([`wrap`]).
    Wrapped(String),
    /// A CloudTrail record that cannot be wrapped: the reason (it is then matched as given).
    Unwrappable(EnvelopeError),
}

/// Decides whether `text` is a CloudTrail record and wraps it if so: a JSON object without a
/// top-level `detail-type` that has an `eventVersion`, or both an `eventSource` and an
/// `eventName`, is a CloudTrail record.
///
/// ```
/// use trailmatch_cloudtrail::eventbridge::{AsEvent, as_event};
///
/// let record = r#"{"eventVersion":"1.08","eventTime":"2024-11-26T03:31:07Z","eventSource":"iam.amazonaws.com","eventName":"CreateUser","awsRegion":"us-east-1","eventID":"e1","eventType":"AwsApiCall","recipientAccountId":"111122223333"}"#;
/// assert!(matches!(as_event(record), AsEvent::Wrapped(event) if event.contains(r#""source":"aws.iam""#)));
/// assert_eq!(as_event(r#"{"detail-type":"Scheduled Event","source":"aws.events"}"#), AsEvent::AsGiven);
/// assert_eq!(as_event(r#"{"level":"ERROR"}"#), AsEvent::AsGiven);
/// let AsEvent::Unwrappable(e) = as_event(r#"{"eventVersion":"1.08","eventName":"CreateUser"}"#) else { panic!() };
/// assert_eq!((e.code(), e.field()), ("missing-field", "eventType"));
/// ```
pub fn as_event(text: &str) -> AsEvent {
    let Ok(members) = raw::members(text.trim_start_matches('\u{feff}')) else {
        return AsEvent::AsGiven;
    };
    let has = |name: &str| members.iter().any(|(k, _)| k == name);
    let cloudtrail = has("eventVersion") || (has("eventSource") && has("eventName"));
    if has("detail-type") || !cloudtrail {
        return AsEvent::AsGiven;
    }
    match wrap(text) {
        Ok(event) => AsEvent::Wrapped(event),
        Err(e) => AsEvent::Unwrappable(e),
    }
}

/// [`wrap`] for a record already parsed: `detail` is the value written back by serde_json
/// (compact; keys in the map's order, which is sorted unless serde_json's `preserve_order` is
/// on). Use [`wrap`] on the log's text to keep the record as written.
pub fn wrap_value(record: &serde_json::Value) -> Result<String, EnvelopeError> {
    if !record.is_object() {
        return Err(EnvelopeError::new(
            EnvelopeErrorKind::NotAnObject,
            "",
            "the record is JSON but not an object",
        ));
    }
    wrap(&record.to_string())
}

/// The `source` of an event from `eventSource`: `aws.` and what comes before
/// `.amazonaws.com` (`s3.amazonaws.com` → `aws.s3`, `signin.amazonaws.com` → `aws.signin`,
/// `monitoring.amazonaws.com` → `aws.monitoring`). `None` for a value of another shape.
///
/// The EventBridge Events Reference pages checked (CloudTrail, CloudWatch Monitoring, Health,
/// Account Management, CloudWatch Network Monitor, Observability Admin, SDK Metrics) all follow
/// this rule; no exception was found.
pub fn source_of(event_source: &str) -> Option<String> {
    let service = event_source.strip_suffix(".amazonaws.com")?;
    let valid = !service.is_empty()
        && service
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_'));
    valid.then(|| format!("aws.{service}"))
}

/// The `detail-type` of a CloudTrail `eventType` (see the constants), `None` for another value.
pub fn detail_type_of(event_type: &str) -> Option<&'static str> {
    match event_type {
        "AwsApiCall" => Some(API_CALL),
        "AwsConsoleSignIn" => Some(CONSOLE_SIGN_IN),
        "AwsConsoleAction" => Some(CONSOLE_ACTION),
        "AwsServiceEvent" => Some(SERVICE_EVENT),
        "AwsCloudTrailInsight" => Some(INSIGHT),
        "AwsVpceEvent" => Some(NETWORK_ACTIVITY),
        _ => None,
    }
}

/// What was wrong with a record given to [`wrap`]. The codes are stable.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum EnvelopeErrorKind {
    /// Not JSON: `{"eventSource": `.
    InvalidJson,
    /// JSON, not an object: `[1, 2]`.
    NotAnObject,
    /// A field the envelope needs is absent: `{"eventTime": "…"}` has no `eventSource`.
    MissingField,
    /// A field the envelope needs is not a string: `"awsRegion": 1`.
    WrongType,
    /// `eventSource` is not `<service>.amazonaws.com`: `"eventSource": "example.com"`.
    UnknownEventSource,
    /// `eventType` is not one CloudTrail writes: `"eventType": "AwsSomething"`.
    UnknownEventType,
}

impl EnvelopeErrorKind {
    /// The stable kebab-case code.
    pub fn code(self) -> &'static str {
        match self {
            EnvelopeErrorKind::InvalidJson => "invalid-json",
            EnvelopeErrorKind::NotAnObject => "not-an-object",
            EnvelopeErrorKind::MissingField => "missing-field",
            EnvelopeErrorKind::WrongType => "wrong-type",
            EnvelopeErrorKind::UnknownEventSource => "unknown-event-source",
            EnvelopeErrorKind::UnknownEventType => "unknown-event-type",
        }
    }
}

/// A record [`wrap`] refused: what ([`EnvelopeErrorKind`]), the record's field at fault
/// (`eventSource`; empty for the record as a whole), and why (the record's text in it is not
/// escaped).
pub type EnvelopeError = crate::error::FieldError<EnvelopeErrorKind>;

impl crate::error::ErrorKind for EnvelopeErrorKind {
    fn code(self) -> &'static str {
        EnvelopeErrorKind::code(self)
    }
}
