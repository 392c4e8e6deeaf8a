//! What kind of CloudTrail event a record is: category (management, data, insight, network
//! activity), read or write, service, error or not, identity type, and its time.
//!
//! The category is the record's `eventCategory` when present (CloudTrail writes it since
//! 2021). Older records are classified by the rules CloudTrail documents: an
//! `AwsCloudTrailInsight` event type is an Insights event, `AwsVpceEvent` is network activity,
//! the `managementEvent` flag when present, and otherwise the documented data-event APIs
//! (S3 object-level operations, Lambda `Invoke`, DynamoDB item operations, …) are data
//! events and everything else is a management event.

use std::borrow::Cow;
use std::fmt;
use std::str::FromStr;

use serde::Deserialize;
use trailmatch::json::TopMembers;

use crate::time;

mod fields;

/// CloudTrail's event categories.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Category {
    /// Control-plane operations on resources.
    Management,
    /// Resource operations on or in a resource (S3 objects, Lambda invocations, …).
    Data,
    /// CloudTrail Insights events.
    Insight,
    /// VPC endpoint network activity events.
    NetworkActivity,
}

impl Category {
    /// Every category.
    pub const ALL: [Category; 4] = [
        Category::Management,
        Category::Data,
        Category::Insight,
        Category::NetworkActivity,
    ];

    /// The name used on the command line and in reports (`management`, `network-activity`).
    pub fn name(self) -> &'static str {
        match self {
            Category::Management => "management",
            Category::Data => "data",
            Category::Insight => "insight",
            Category::NetworkActivity => "network-activity",
        }
    }

    /// The category an `eventCategory` value names (`Management`, `NetworkActivity`, …).
    fn from_event_category(value: &str) -> Option<Category> {
        match value {
            "Management" => Some(Category::Management),
            "Data" => Some(Category::Data),
            "Insight" => Some(Category::Insight),
            "NetworkActivity" => Some(Category::NetworkActivity),
            _ => None,
        }
    }
}

impl fmt::Display for Category {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Category {
    type Err = String;

    fn from_str(s: &str) -> Result<Category, String> {
        let wanted = s.trim().to_ascii_lowercase().replace('_', "-");
        Category::ALL
            .into_iter()
            .find(|c| c.name() == wanted || c.name().replace('-', "") == wanted)
            .ok_or_else(|| {
                format!("unknown event category `{s}` (expected management, data, insight or network-activity)")
            })
    }
}

/// Whether an event reads or changes something (`readOnly`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Access {
    /// `readOnly: true`.
    Read,
    /// `readOnly: false`.
    Write,
}

impl FromStr for Access {
    type Err = String;

    fn from_str(s: &str) -> Result<Access, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "read" | "read-only" | "readonly" => Ok(Access::Read),
            "write" => Ok(Access::Write),
            _ => Err(format!("unknown access `{s}` (expected read or write)")),
        }
    }
}

/// The fields of a CloudTrail record that classification and the pipeline read.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Raw<'a> {
    #[serde(borrow, default)]
    event_time: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    event_source: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    event_name: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    event_type: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    event_category: Option<Cow<'a, str>>,
    #[serde(default)]
    management_event: Option<serde_json::Value>,
    #[serde(default)]
    read_only: Option<serde_json::Value>,
    #[serde(borrow, default)]
    error_code: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    aws_region: Option<Cow<'a, str>>,
    #[serde(borrow, default, rename = "recipientAccountId")]
    recipient_account_id: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    user_agent: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    user_identity: Option<RawIdentity<'a>>,
}

#[derive(Debug, Default, Deserialize)]
struct RawIdentity<'a> {
    #[serde(borrow, default, rename = "type")]
    kind: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    arn: Option<Cow<'a, str>>,
}

/// The fields classification reads, as read: what serde's derive gives in [`Raw`], or what the
/// fast path ([`fields::read`]) reads from the same text.
#[derive(Debug, Default, PartialEq)]
struct Fields<'a> {
    event_time: Option<Cow<'a, str>>,
    event_source: Option<Cow<'a, str>>,
    event_name: Option<Cow<'a, str>>,
    event_type: Option<Cow<'a, str>>,
    event_category: Option<Cow<'a, str>>,
    /// `managementEvent` as [`flag`] reads it.
    management_event: Option<bool>,
    /// `readOnly` as [`flag`] reads it.
    read_only: Option<bool>,
    error_code: Option<Cow<'a, str>>,
    aws_region: Option<Cow<'a, str>>,
    recipient_account_id: Option<Cow<'a, str>>,
    user_agent: Option<Cow<'a, str>>,
    identity_type: Option<Cow<'a, str>>,
    identity_arn: Option<Cow<'a, str>>,
}

impl<'a> From<Raw<'a>> for Fields<'a> {
    fn from(raw: Raw<'a>) -> Fields<'a> {
        let (identity_type, identity_arn) = match raw.user_identity {
            Some(id) => (id.kind, id.arn),
            None => (None, None),
        };
        Fields {
            event_time: raw.event_time,
            event_source: raw.event_source,
            event_name: raw.event_name,
            event_type: raw.event_type,
            event_category: raw.event_category,
            management_event: flag(raw.management_event.as_ref()),
            read_only: flag(raw.read_only.as_ref()),
            error_code: raw.error_code,
            aws_region: raw.aws_region,
            recipient_account_id: raw.recipient_account_id,
            user_agent: raw.user_agent,
            identity_type,
            identity_arn,
        }
    }
}

/// A classified CloudTrail record (strings borrowed from the record where it has no escapes).
#[derive(Clone, Debug, PartialEq)]
pub struct Event<'a> {
    /// `eventTime` in milliseconds since the epoch, when present and valid.
    pub time_ms: Option<i64>,
    /// The category.
    pub category: Category,
    /// Read or write, from `readOnly`, when the record says.
    pub access: Option<Access>,
    /// `eventSource`: the service (`s3.amazonaws.com`).
    pub event_source: Option<Cow<'a, str>>,
    /// `eventName`.
    pub event_name: Option<Cow<'a, str>>,
    /// `eventType` (`AwsApiCall`, `AwsConsoleSignIn`, …).
    pub event_type: Option<Cow<'a, str>>,
    /// `errorCode`, when the call failed.
    pub error_code: Option<Cow<'a, str>>,
    /// `userIdentity.type` (`Root`, `IAMUser`, `AssumedRole`, …).
    pub identity_type: Option<Cow<'a, str>>,
    /// `userIdentity.arn`.
    pub identity_arn: Option<Cow<'a, str>>,
    /// `userAgent`.
    pub user_agent: Option<Cow<'a, str>>,
    /// `awsRegion`.
    pub aws_region: Option<Cow<'a, str>>,
    /// `recipientAccountId`.
    pub recipient_account_id: Option<Cow<'a, str>>,
}

impl Event<'_> {
    /// The same event owning its strings.
    pub fn into_owned(self) -> Event<'static> {
        let own = |c: Option<Cow<'_, str>>| c.map(|c| Cow::Owned(c.into_owned()));
        Event {
            time_ms: self.time_ms,
            category: self.category,
            access: self.access,
            event_source: own(self.event_source),
            event_name: own(self.event_name),
            event_type: own(self.event_type),
            error_code: own(self.error_code),
            identity_type: own(self.identity_type),
            identity_arn: own(self.identity_arn),
            user_agent: own(self.user_agent),
            aws_region: own(self.aws_region),
            recipient_account_id: own(self.recipient_account_id),
        }
    }

    /// Whether the call failed (`errorCode` present and not empty).
    pub fn is_error(&self) -> bool {
        self.error_code.as_deref().is_some_and(|c| !c.is_empty())
    }
}

/// What kept a record from being classified. The codes are stable.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ClassifyErrorKind {
    /// The text is not JSON.
    InvalidJson,
    /// JSON, but not a record: not an object (`[1]`, `"x"`).
    NotARecord,
}

impl ClassifyErrorKind {
    /// The stable kebab-case code: `invalid-json`, `not-a-record`.
    pub fn code(self) -> &'static str {
        match self {
            ClassifyErrorKind::InvalidJson => "invalid-json",
            ClassifyErrorKind::NotARecord => "not-a-record",
        }
    }
}

/// Why a record could not be classified: the kind, where in the record (1-based line and
/// column of the JSON text), and the message rendered from them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClassifyError {
    /// What was wrong.
    pub kind: ClassifyErrorKind,
    /// The 1-based line in the record's text.
    pub line: usize,
    /// The 1-based column.
    pub column: usize,
    /// What was wrong, rendered.
    pub message: String,
}

impl ClassifyError {
    /// The stable kebab-case code of the kind.
    pub fn code(&self) -> &'static str {
        self.kind.code()
    }
}

impl fmt::Display for ClassifyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ClassifyError {}

/// Classifies one CloudTrail record given as JSON text.
///
/// ```
/// use trailmatch_cloudtrail::classify::{classify, Access, Category};
///
/// let event = classify(r#"{"eventTime":"2024-01-02T03:04:05Z","eventSource":"s3.amazonaws.com",
///     "eventName":"GetObject","readOnly":true,"userIdentity":{"type":"IAMUser"}}"#)?;
/// assert_eq!(event.category, Category::Data);
/// assert_eq!(event.access, Some(Access::Read));
/// assert_eq!(event.identity_type.as_deref(), Some("IAMUser"));
/// # Ok::<(), trailmatch_cloudtrail::classify::ClassifyError>(())
/// ```
pub fn classify(json: &str) -> Result<Event<'_>, ClassifyError> {
    match fields::read(json, None) {
        Some(fields) => Ok(from_fields(fields)),
        None => classify_serde(json),
    }
}

/// [`classify`], and whether it read `json` on its fast path (see [`classify_fast`]): then
/// `members`, when given, holds the record's top-level members, for
/// [`PatternSet::test_members`](trailmatch::PatternSet::test_members).
pub(crate) fn classify_checked<'a>(
    json: &'a str,
    mut members: Option<&mut TopMembers>,
) -> (Result<Event<'a>, ClassifyError>, bool) {
    if let Some(members) = members.as_deref_mut() {
        members.clear();
    }
    match fields::read(json, members) {
        Some(fields) => (Ok(from_fields(fields)), true),
        None => (classify_serde(json), false),
    }
}

/// Whether `json` is one JSON object that [`classify`] reads on its fast path: text it
/// classifies without serde, and so checked to be one valid JSON object (RFC 8259) of no more
/// than 129 levels, whose top-level keys have no escapes and are no container key (`Records`,
/// …), and no field classification reads occurs twice. [`classify`] of anything else still
/// answers (serde decides).
#[cfg(test)]
pub(crate) fn classify_fast(json: &str) -> Option<Event<'_>> {
    fields::read(json, None).map(from_fields)
}

/// [`classify`] as serde_json reads the record: the reference the fast path is tested against,
/// and what answers where the fast path does not (invalid JSON, duplicate or odd fields).
fn classify_serde(json: &str) -> Result<Event<'_>, ClassifyError> {
    let raw = match serde_json::from_str::<Raw<'_>>(json) {
        Ok(raw) => raw,
        // serde's derive rejects a duplicate key; the language's rule is that the last one
        // wins, which serde_json's own map gives.
        Err(first) => return classify_value(json).map_err(|_| error(&first)),
    };
    Ok(from_fields(raw.into()))
}

fn error(e: &serde_json::Error) -> ClassifyError {
    ClassifyError {
        kind: match e.classify() {
            serde_json::error::Category::Data => ClassifyErrorKind::NotARecord,
            _ => ClassifyErrorKind::InvalidJson,
        },
        line: e.line(),
        column: e.column(),
        message: format!(
            "not a CloudTrail record at line {}, column {}: {e}",
            e.line(),
            e.column()
        ),
    }
}

/// The slow path for records with duplicate keys: last one wins.
fn classify_value(json: &str) -> Result<Event<'static>, serde_json::Error> {
    use serde::Deserialize as _;
    let value = strip_mismatched(serde_json::from_str(json)?);
    let raw = Raw::deserialize(&value)?;
    Ok(from_fields(raw.into()).into_owned())
}

/// Replaces fields of the wrong JSON type by null, so that a record with, say, a numeric
/// `eventName` is still classified (the field is then absent).
fn strip_mismatched(mut value: serde_json::Value) -> serde_json::Value {
    const STRINGS: [&str; 9] = [
        "eventTime",
        "eventSource",
        "eventName",
        "eventType",
        "eventCategory",
        "errorCode",
        "awsRegion",
        "recipientAccountId",
        "userAgent",
    ];
    if let Some(map) = value.as_object_mut() {
        for key in STRINGS {
            if map.get(key).is_some_and(|v| !v.is_string()) {
                map.insert(key.to_owned(), serde_json::Value::Null);
            }
        }
        if let Some(identity) = map.get_mut("userIdentity") {
            match identity.as_object_mut() {
                Some(identity) => {
                    for key in ["type", "arn"] {
                        if identity.get(key).is_some_and(|v| !v.is_string()) {
                            identity.insert(key.to_owned(), serde_json::Value::Null);
                        }
                    }
                }
                None => *identity = serde_json::Value::Null,
            }
        }
    }
    value
}

fn flag(value: Option<&serde_json::Value>) -> Option<bool> {
    match value? {
        serde_json::Value::Bool(b) => Some(*b),
        serde_json::Value::String(s) if s.eq_ignore_ascii_case("true") => Some(true),
        serde_json::Value::String(s) if s.eq_ignore_ascii_case("false") => Some(false),
        _ => None,
    }
}

fn from_fields(raw: Fields<'_>) -> Event<'_> {
    let category = raw
        .event_category
        .as_deref()
        .and_then(Category::from_event_category)
        .unwrap_or_else(|| {
            infer_category(
                raw.event_type.as_deref(),
                raw.management_event,
                raw.event_source.as_deref(),
                raw.event_name.as_deref(),
            )
        });
    let access = raw
        .read_only
        .map(|ro| if ro { Access::Read } else { Access::Write });
    Event {
        time_ms: raw.event_time.as_deref().and_then(time::parse),
        category,
        access,
        event_source: raw.event_source,
        event_name: raw.event_name,
        event_type: raw.event_type,
        error_code: raw.error_code,
        identity_type: raw.identity_type,
        identity_arn: raw.identity_arn,
        user_agent: raw.user_agent,
        aws_region: raw.aws_region,
        recipient_account_id: raw.recipient_account_id,
    }
}

/// The category of a record without `eventCategory`.
fn infer_category(
    event_type: Option<&str>,
    management_event: Option<bool>,
    source: Option<&str>,
    name: Option<&str>,
) -> Category {
    match event_type {
        Some("AwsCloudTrailInsight") => return Category::Insight,
        Some("AwsVpceEvent") => return Category::NetworkActivity,
        _ => {}
    }
    match management_event {
        Some(true) => Category::Management,
        Some(false) => Category::Data,
        None if is_data_api(source.unwrap_or(""), name.unwrap_or("")) => Category::Data,
        None => Category::Management,
    }
}

/// The data-event APIs of the services CloudTrail logged data events for before records
/// carried `eventCategory` (S3 object-level operations, Lambda invocations, DynamoDB item
/// operations).
fn is_data_api(source: &str, name: &str) -> bool {
    const S3: &[&str] = &[
        "AbortMultipartUpload",
        "CompleteMultipartUpload",
        "CopyObject",
        "CreateMultipartUpload",
        "DeleteObject",
        "DeleteObjects",
        "DeleteObjectTagging",
        "GetObject",
        "GetObjectAcl",
        "GetObjectAttributes",
        "GetObjectLegalHold",
        "GetObjectRetention",
        "GetObjectTagging",
        "GetObjectTorrent",
        "HeadObject",
        "ListParts",
        "PutObject",
        "PutObjectAcl",
        "PutObjectLegalHold",
        "PutObjectRetention",
        "PutObjectTagging",
        "RestoreObject",
        "SelectObjectContent",
        "UploadPart",
        "UploadPartCopy",
    ];
    const DYNAMODB: &[&str] = &[
        "BatchExecuteStatement",
        "BatchGetItem",
        "BatchWriteItem",
        "DeleteItem",
        "ExecuteStatement",
        "ExecuteTransaction",
        "GetItem",
        "PutItem",
        "Query",
        "Scan",
        "TransactGetItems",
        "TransactWriteItems",
        "UpdateItem",
    ];
    match source {
        "s3.amazonaws.com" => S3.contains(&name),
        "dynamodb.amazonaws.com" => DYNAMODB.contains(&name),
        "lambda.amazonaws.com" => name == "Invoke" || name.starts_with("Invoke"),
        _ => false,
    }
}

/// Which classified events to keep: every criterion given must hold.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EventFilter {
    /// Keep only these categories (all when empty).
    pub categories: Vec<Category>,
    /// Keep only reads or only writes (events without `readOnly` are dropped when set).
    pub access: Option<Access>,
    /// Keep only these services: `eventSource` values, or their first label (`s3` for
    /// `s3.amazonaws.com`); all when empty.
    pub services: Vec<String>,
    /// Keep only failed calls (`Some(true)`) or only successful ones (`Some(false)`).
    pub errors: Option<bool>,
    /// Keep only these `userIdentity.type` values (all when empty).
    pub identity_types: Vec<String>,
    /// Keep only events of this time on (ms since the epoch; see [`EventFilter::holds_time`]).
    pub from_ms: Option<i64>,
    /// Keep only events before this time (ms since the epoch).
    pub to_ms: Option<i64>,
}

impl EventFilter {
    /// Whether the filter keeps every event.
    pub fn is_empty(&self) -> bool {
        let EventFilter {
            categories,
            access,
            services,
            errors,
            identity_types,
            from_ms,
            to_ms,
        } = self;
        categories.is_empty()
            && access.is_none()
            && services.is_empty()
            && errors.is_none()
            && identity_types.is_empty()
            && from_ms.is_none()
            && to_ms.is_none()
    }

    /// Whether an event at `at` (its `eventTime`, or the time its log event was delivered)
    /// is in `[from_ms, to_ms)`. One with no time is in no window: kept when there is none (and
    /// counted as untimed), not when there is one (nothing shows it is in it).
    pub fn holds_time(&self, at: Option<i64>) -> bool {
        match at {
            Some(t) => self.from_ms.is_none_or(|f| t >= f) && self.to_ms.is_none_or(|e| t < e),
            None => self.from_ms.is_none() && self.to_ms.is_none(),
        }
    }

    /// Whether `event` passes.
    pub fn keeps(&self, event: &Event<'_>) -> bool {
        (self.categories.is_empty() || self.categories.contains(&event.category))
            && self.access.is_none_or(|a| event.access == Some(a))
            && (self.services.is_empty() || {
                let source = event.event_source.as_deref().unwrap_or("");
                self.services.iter().any(|s| {
                    s == source
                        || source
                            .split_once('.')
                            .is_some_and(|(first, _)| first == s.as_str())
                })
            })
            && self.errors.is_none_or(|e| event.is_error() == e)
            && (self.identity_types.is_empty()
                || event
                    .identity_type
                    .as_deref()
                    .is_some_and(|t| self.identity_types.iter().any(|w| w == t)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_category_wins() {
        let e = classify(
            r#"{"eventCategory":"Data","eventSource":"iam.amazonaws.com","eventName":"CreateUser"}"#,
        )
        .unwrap();
        assert_eq!(e.category, Category::Data);
        let e = classify(r#"{"eventCategory":"NetworkActivity"}"#).unwrap();
        assert_eq!(e.category, Category::NetworkActivity);
    }

    #[test]
    fn documented_rules_without_event_category() {
        let cases = [
            (r#"{"eventType":"AwsCloudTrailInsight"}"#, Category::Insight),
            (r#"{"eventType":"AwsVpceEvent"}"#, Category::NetworkActivity),
            (
                r#"{"managementEvent":false,"eventSource":"iam.amazonaws.com"}"#,
                Category::Data,
            ),
            (
                r#"{"managementEvent":true,"eventSource":"s3.amazonaws.com","eventName":"GetObject"}"#,
                Category::Management,
            ),
            (
                r#"{"eventSource":"s3.amazonaws.com","eventName":"GetObject"}"#,
                Category::Data,
            ),
            (
                r#"{"eventSource":"s3.amazonaws.com","eventName":"PutBucketPolicy"}"#,
                Category::Management,
            ),
            (
                r#"{"eventSource":"lambda.amazonaws.com","eventName":"Invoke"}"#,
                Category::Data,
            ),
            (
                r#"{"eventSource":"dynamodb.amazonaws.com","eventName":"PutItem"}"#,
                Category::Data,
            ),
            (r#"{}"#, Category::Management),
        ];
        for (json, want) in cases {
            assert_eq!(classify(json).unwrap().category, want, "{json}");
        }
    }

    #[test]
    fn fields() {
        let e = classify(
            r#"{"eventTime":"2020-09-14T00:44:23Z","eventSource":"ec2.amazonaws.com","eventName":"RunInstances",
               "readOnly":false,"errorCode":"Client.UnauthorizedOperation","userAgent":"aws-cli/2",
               "awsRegion":"us-east-1","recipientAccountId":"123456789012",
               "userIdentity":{"type":"AssumedRole","arn":"arn:aws:sts::1:assumed-role/r/s"}}"#,
        )
        .unwrap();
        assert_eq!(e.time_ms, Some(1_600_044_263_000));
        assert_eq!(e.access, Some(Access::Write));
        assert!(e.is_error());
        assert_eq!(e.identity_type.as_deref(), Some("AssumedRole"));
        assert_eq!(
            e.identity_arn.as_deref(),
            Some("arn:aws:sts::1:assumed-role/r/s")
        );
        assert_eq!(e.user_agent.as_deref(), Some("aws-cli/2"));
        assert_eq!(e.recipient_account_id.as_deref(), Some("123456789012"));
        let e = classify(r#"{"readOnly":"true","errorCode":""}"#).unwrap();
        assert_eq!(e.access, Some(Access::Read));
        assert!(!e.is_error());
        assert_eq!(e.time_ms, None);
    }

    #[test]
    fn escapes_duplicates_and_odd_types() {
        let e = classify(r#"{"eventName":"A\u0042","eventName":"Last"}"#).unwrap();
        assert_eq!(e.event_name.as_deref(), Some("Last"));
        let e = classify(r#"{"eventName":"A\u0042"}"#).unwrap();
        assert_eq!(e.event_name.as_deref(), Some("AB"));
        let e = classify(r#"{"eventName":7,"userIdentity":"x","readOnly":1}"#).unwrap();
        assert_eq!(e.event_name, None);
        assert_eq!(e.identity_type, None);
        assert_eq!(e.access, None);
        let err = classify("[1,2]").unwrap_err();
        assert!(err.message.contains("line 1"), "{err}");
        assert_eq!((err.code(), err.line), ("not-a-record", 1));
        let err = classify("{\n  \"a\": }").unwrap_err();
        assert_eq!((err.code(), err.line, err.column), ("invalid-json", 2, 8));
    }

    /// The records of the corpus (real CloudTrail events from public projects): the fast path
    /// reads nearly all of them, and reads what serde reads.
    #[test]
    fn the_fast_path_reads_the_corpus_as_serde_does() {
        let dir =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/corpus/cloudtrail");
        let (mut records, mut fast) = (0, 0);
        for entry in std::fs::read_dir(dir).unwrap() {
            let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
            for line in text.lines().filter(|l| !l.trim().is_empty()) {
                records += 1;
                assert_eq!(classify(line), classify_serde(line), "{line}");
                if let Some(event) = classify_fast(line) {
                    fast += 1;
                    assert_eq!(Ok(event), classify_serde(line), "{line}");
                }
            }
        }
        assert!(records > 1000, "{records}");
        assert!(
            fast * 100 >= records * 99,
            "{fast} of {records} on the fast path"
        );
    }

    /// What the fast path leaves to serde: it still answers, as serde does.
    #[test]
    fn the_fast_path_gives_up_where_serde_decides() {
        let deep = format!(
            "{{\"eventName\":\"A\",\"x\":{}1{}}}",
            "[".repeat(200),
            "]".repeat(200)
        );
        let cases = [
            r#"{"eventName":"A","eventName":"B"}"#,
            r#"{"userIdentity":{"type":"A","type":"B"}}"#,
            r#"{"event\u004eame":"A"}"#,
            r#"{"eventName":"A\u0042"}"#,
            r#"{"eventName":7}"#,
            r#"{"readOnly":1}"#,
            r#"{"readOnly":1e400}"#,
            r#"{"readOnly":1e400,"eventName":7}"#,
            r#"{"userIdentity":["Root"]}"#,
            r#"{"userIdentity":"x"}"#,
            r#"[]"#,
            r#"["2024-01-02T03:04:05Z","s3.amazonaws.com"]"#,
            r#"{"a":1,}"#,
            r#"{"a":01}"#,
            r#"{"a":"\x"}"#,
            "{\"a\":\"\t\"}",
            r#"{"a":1} x"#,
            &deep,
        ];
        for json in cases {
            assert_eq!(classify_fast(json), None, "{json}");
            assert_eq!(classify(json), classify_serde(json), "{json}");
        }
        // The shapes serde's derive also accepts are read.
        for json in [
            "{}",
            " {\"a\" : [ 1 , -2.5e+3, {}, [], \"\\u00e9\\n\" ] , \"readOnly\":\"TRUE\"}\r\n",
            r#"{"userIdentity":null,"eventName":null,"managementEvent":false}"#,
            r#"{"userIdentity":{},"x":{"eventName":7}}"#,
            r#"{"readOnly":"maybe"}"#,
        ] {
            assert!(classify_fast(json).is_some(), "{json}");
            assert_eq!(classify(json), classify_serde(json), "{json}");
        }
    }

    mod differential {
        use super::super::*;
        use proptest::prelude::*;

        const KEYS: &[&str] = &[
            "eventTime",
            "eventSource",
            "eventName",
            "eventType",
            "eventCategory",
            "managementEvent",
            "readOnly",
            "errorCode",
            "awsRegion",
            "recipientAccountId",
            "userAgent",
            "userIdentity",
            "type",
            "arn",
            "requestParameters",
            "event\\u004eame",
            "eventname",
            "",
        ];

        fn scalar() -> impl Strategy<Value = String> {
            prop_oneof![
                Just("null".to_owned()),
                Just("true".to_owned()),
                Just("false".to_owned()),
                Just("\"true\"".to_owned()),
                Just("\"False\"".to_owned()),
                Just("\"2024-01-02T03:04:05Z\"".to_owned()),
                Just("\"s3.amazonaws.com\"".to_owned()),
                Just("\"GetObject\"".to_owned()),
                Just("\"Management\"".to_owned()),
                Just("\"AwsCloudTrailInsight\"".to_owned()),
                Just("\"a\\\"b\\u00e9\\ud800\"".to_owned()),
                // `dg` with its `d` escaped: a text a pattern needs, spelt otherwise.
                Just("\"\\u0064g\"".to_owned()),
                Just("\"\"".to_owned()),
                // Invalid: an unknown escape, a short one, a raw control character.
                Just("\"a\\xb\"".to_owned()),
                Just("\"\\u12G4\"".to_owned()),
                Just("\"\u{7}\"".to_owned()),
                Just("0".to_owned()),
                Just("-12.5e-3".to_owned()),
                Just("1e400".to_owned()),
                "\"[a-zA-Z0-9 /._:-]{0,24}\"",
                "-?[0-9]{1,3}(\\.[0-9]{1,2})?",
            ]
        }

        fn value() -> impl Strategy<Value = String> {
            scalar().prop_recursive(4, 24, 5, |inner| {
                prop_oneof![
                    prop::collection::vec(inner.clone(), 0..4)
                        .prop_map(|items| format!("[{}]", items.join(","))),
                    prop::collection::vec((prop::sample::select(KEYS), inner), 0..5).prop_map(
                        |members| {
                            let members: Vec<String> = members
                                .into_iter()
                                .map(|(k, v)| format!("\"{k}\":{v}"))
                                .collect();
                            format!("{{{}}}", members.join(","))
                        }
                    ),
                ]
            })
        }

        /// A member of a record: mostly a key with a value of the type classification reads.
        fn member() -> impl Strategy<Value = (String, String)> {
            let text = prop_oneof![
                8 => "\"[a-zA-Z0-9 /._:-]{0,24}\"",
                1 => Just("null".to_owned()),
                1 => Just("\"2024-01-02T03:04:05Z\"".to_owned()),
            ];
            let flag = prop::sample::select(vec![
                "true",
                "false",
                "null",
                "\"true\"",
                "\"TRUE\"",
                "\"False\"",
                "\"no\"",
            ])
            .prop_map(str::to_owned);
            let identity = prop::collection::vec(
                (
                    prop::sample::select(vec!["type", "arn", "userName", "sessionContext"]),
                    prop_oneof![4 => "\"[A-Za-z:/]{0,12}\"", 1 => value()],
                ),
                0..4,
            )
            .prop_map(|members| {
                let members: Vec<String> = members
                    .into_iter()
                    .map(|(k, v)| format!("\"{k}\":{v}"))
                    .collect();
                format!("{{{}}}", members.join(","))
            });
            prop_oneof![
                6 => (prop::sample::select(&KEYS[..5]), text.clone()).prop_map(|(k, v)| (k.to_owned(), v)),
                3 => (prop::sample::select(&KEYS[7..11]), text).prop_map(|(k, v)| (k.to_owned(), v)),
                3 => (prop::sample::select(&KEYS[5..7]), flag).prop_map(|(k, v)| (k.to_owned(), v)),
                3 => identity.prop_map(|v| ("userIdentity".to_owned(), v)),
                3 => value().prop_map(|v| ("requestParameters".to_owned(), v)),
                1 => (prop::sample::select(KEYS), value()).prop_map(|(k, v)| (k.to_owned(), v)),
            ]
        }

        fn record() -> impl Strategy<Value = String> {
            let ws = prop::sample::select(vec!["", "", "", " ", "\n\t"]);
            prop::collection::vec((member(), ws), 0..10).prop_map(|members| {
                let members: Vec<String> = members
                    .into_iter()
                    .map(|((k, v), ws)| format!("{ws}\"{k}\"{ws}:{ws}{v}{ws}"))
                    .collect();
                format!("{{{}}}", members.join(","))
            })
        }

        /// A record, or one damaged: cut short, a byte replaced or one inserted.
        fn text() -> impl Strategy<Value = String> {
            (
                record(),
                0..10u8,
                any::<prop::sample::Index>(),
                prop::sample::select(vec![
                    "", "}", "]", ",", "\"", "\\", "x", "\u{1}", " ", "{", "1",
                ]),
            )
                .prop_map(|(record, damage, at, piece)| {
                    let mut cut = at.index(record.len() + 1);
                    while !record.is_char_boundary(cut) {
                        cut -= 1;
                    }
                    let (head, tail) = record.split_at(cut);
                    let closers: Vec<usize> =
                        record.match_indices(['}', ']']).map(|(i, _)| i).collect();
                    match damage {
                        0 => format!("{head}{piece}{tail}"),
                        1 => head.to_owned(),
                        2 => format!("{head}{piece}{}", tail.get(1..).unwrap_or("")),
                        // A closing bracket of the other kind, or a comma before one.
                        3 | 4 if !closers.is_empty() => {
                            let i = closers[at.index(closers.len())];
                            let swapped = if &record[i..=i] == "}" { "]" } else { "}" };
                            let new = if damage == 3 { swapped } else { ",}" };
                            format!("{}{new}{}", &record[..i], &record[i + 1..])
                        }
                        _ => record,
                    }
                })
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(2000))]

            /// The fast path and serde read the same from any record, valid or not.
            #[test]
            fn classify_answers_as_serde(json in text()) {
                prop_assert_eq!(classify(&json), classify_serde(&json), "{}", json);
            }

            /// The top-level members the fast path finds let a pattern set read only what it
            /// selects, with the answers of reading the whole record; and a record the
            /// prefilter rules out matches nothing.
            #[test]
            fn members_found_give_the_answers_of_the_whole_text(json in text()) {
                let mut members = trailmatch::json::TopMembers::default();
                members.push(0, 0, 0); // (what a record before left: cleared)
                let (_, fast) = classify_checked(&json, Some(&mut members));
                // (A set of every kind of pattern without a prefilter, one with a prefilter and
                // a term and an event pattern, whose candidates restrict nothing, and one of
                // JSON filter patterns alone, whose candidates do.)
                for set in [&member_patterns(), mixed_patterns(), candidate_patterns()] {
                    let whole = set.test(&json);
                    let mut candidates = trailmatch::Candidates::default();
                    let passed = set.candidates(&json, &mut candidates);
                    prop_assert_eq!(passed, set.may_match(&json), "{}", json);
                    if !passed {
                        prop_assert!(whole.is_empty(), "{}", json);
                    }
                    if fast {
                        prop_assert_eq!(&set.test_members(&json, &members), &whole, "{}", json);
                    }
                    if fast && passed {
                        let found = set.test_candidates(&json, &members, &candidates);
                        prop_assert_eq!(found, whole, "{}", json);
                    }
                }
            }
        }

        /// JSON filter patterns alone, each needing a text that the generated records hold now
        /// and then (so that the prefilter passes some and not others), several reading two or
        /// three top-level members, with `NOT EXISTS`, `!=` and `IS NULL` beside what they need.
        fn candidate_patterns() -> &'static trailmatch::PatternSet {
            static SET: std::sync::OnceLock<trailmatch::PatternSet> = std::sync::OnceLock::new();
            SET.get_or_init(|| {
                trailmatch::PatternSet::new([
                    r#"{ $.eventName = "*a*" && $.errorCode NOT EXISTS }"#,
                    r#"{ $.userIdentity.type = "*b*" && $.userIdentity.arn NOT EXISTS }"#,
                    r#"{ $.eventSource = "c*" || $.eventTime = "2024*" }"#,
                    r#"{ $.requestParameters.type = "*d*" && $.eventType != "x" }"#,
                    r#"{ $.readOnly IS TRUE && $.awsRegion = "*e*" }"#,
                    r#"{ $.recipientAccountId = "*1*" && $.userAgent NOT EXISTS && $.eventName != "q" }"#,
                    r#"{ $.userIdentity.sessionContext.type IS NULL && $.eventName = "*f*" }"#,
                    r#"{ $.errorCode = "*A*" || $.userIdentity.type = "*B*" }"#,
                    r#"{ $.requestParameters[1].type = "*g*" || $.managementEvent IS FALSE }"#,
                ])
                .unwrap()
            })
        }

        /// JSON filter patterns beside a term and an event pattern, each needing a text (so that
        /// the set has a prefilter): candidates restrict nothing here, since the term and the
        /// event pattern read what no JSON selector names.
        fn mixed_patterns() -> &'static trailmatch::PatternSet {
            use trailmatch::PatternSource::{Event, Filter};
            static SET: std::sync::OnceLock<trailmatch::PatternSet> = std::sync::OnceLock::new();
            SET.get_or_init(|| {
                trailmatch::PatternSet::builder()
                    .build_sources([
                        Filter(r#"{ $.eventName = "*a*" && $.errorCode NOT EXISTS }"#),
                        Filter(r#"{ $.userIdentity.type = "*b*" }"#),
                        Filter("d"),
                        Event(r#"{"requestParameters": {"type": [{"prefix": "c"}]}}"#),
                    ])
                    .unwrap()
            })
        }

        /// Patterns on the generated records' keys: top-level values of every type, members of
        /// `userIdentity` and `requestParameters` (which may repeat a key), array elements,
        /// `IS NULL` and `NOT EXISTS`, a term, and event patterns (`exists`, `prefix`,
        /// `anything-but`).
        fn member_patterns() -> trailmatch::PatternSet {
            use trailmatch::PatternSource::{Event, Filter};
            static SET: std::sync::OnceLock<trailmatch::PatternSet> = std::sync::OnceLock::new();
            SET.get_or_init(|| {
                trailmatch::PatternSet::builder()
                    .build_sources([
                        Filter(r#"{ $.eventName = "GetObject" }"#),
                        Filter(r#"{ $.eventSource = "s3*" || $.eventTime = "2024*" }"#),
                        Filter(r#"{ $.readOnly IS TRUE || $.managementEvent IS FALSE }"#),
                        Filter(r#"{ $.readOnly = "true" }"#),
                        Filter(r#"{ $.userIdentity.type = * && $.userIdentity.arn NOT EXISTS }"#),
                        Filter(r#"{ $.userIdentity.sessionContext.type IS NULL }"#),
                        Filter(
                            r#"{ $.requestParameters.type = "Management" || $.requestParameters.arn > 0 }"#,
                        ),
                        Filter(r#"{ $.requestParameters[0] = 0 || $.requestParameters[1].type IS NULL }"#),
                        Filter(r#"{ $.eventType NOT EXISTS && $.errorCode != "x" }"#),
                        Filter(r#"{ $.recipientAccountId = * }"#),
                        Filter(r#"{ $.eventname = "GetObject" }"#),
                        Filter("GetObject"),
                        // Event patterns: every value of a repeated key, arrays read flat.
                        Event(r#"{"eventName": ["GetObject"], "userIdentity": {"type": [{"exists": true}]}}"#),
                        Event(r#"{"requestParameters": {"type": [{"prefix": "Man"}], "arn": [{"exists": false}]}}"#),
                        Event(r#"{"readOnly": [true], "eventSource": [{"anything-but": "s3.amazonaws.com"}]}"#),
                    ])
                    .unwrap()
            })
            .clone()
        }
    }

    /// A top-level container key (`logs::fast::CONTAINER_KEYS`, every one of them) takes the
    /// record off the fast path, which scan's range workers rely on to give a container line
    /// back to the log reader; the same key deeper down or as a value does not.
    #[test]
    fn container_keys_leave_the_fast_path() {
        for key in crate::logs::fast::CONTAINER_KEYS {
            let key = std::str::from_utf8(key).unwrap();
            let top = format!(r#"{{"eventName":"StopLogging","{key}":[]}}"#);
            assert!(classify_fast(&top).is_none(), "{top}");
            assert!(classify(&top).is_ok(), "{top}");
            let nested =
                format!(r#"{{"eventName":"StopLogging","requestParameters":{{"{key}":[]}}}}"#);
            assert!(classify_fast(&nested).is_some(), "{nested}");
            let value = format!(r#"{{"eventName":"{key}"}}"#);
            assert!(classify_fast(&value).is_some(), "{value}");
        }
    }

    /// A filter is empty only with none of its conditions (the scan then asks the metric
    /// filters' prefilter before classifying).
    #[test]
    fn an_event_filter_is_empty_only_without_conditions() {
        assert!(EventFilter::default().is_empty());
        for filter in [
            EventFilter {
                categories: vec![Category::Data],
                ..Default::default()
            },
            EventFilter {
                access: Some(Access::Read),
                ..Default::default()
            },
            EventFilter {
                services: vec!["s3".into()],
                ..Default::default()
            },
            EventFilter {
                errors: Some(false),
                ..Default::default()
            },
            EventFilter {
                identity_types: vec!["Root".into()],
                ..Default::default()
            },
        ] {
            assert!(!filter.is_empty(), "{filter:?}");
        }
    }

    #[test]
    fn filter() {
        let e = classify(
            r#"{"eventSource":"s3.amazonaws.com","eventName":"PutBucketPolicy","readOnly":false,
               "userIdentity":{"type":"Root"}}"#,
        )
        .unwrap();
        assert!(EventFilter::default().keeps(&e));
        let keep = |f: EventFilter| f.keeps(&e);
        assert!(keep(EventFilter {
            categories: vec![Category::Management],
            ..Default::default()
        }));
        assert!(!keep(EventFilter {
            categories: vec![Category::Data],
            ..Default::default()
        }));
        assert!(keep(EventFilter {
            access: Some(Access::Write),
            ..Default::default()
        }));
        assert!(!keep(EventFilter {
            access: Some(Access::Read),
            ..Default::default()
        }));
        assert!(keep(EventFilter {
            services: vec!["s3".into()],
            ..Default::default()
        }));
        assert!(keep(EventFilter {
            services: vec!["s3.amazonaws.com".into()],
            ..Default::default()
        }));
        assert!(!keep(EventFilter {
            services: vec!["s".into()],
            ..Default::default()
        }));
        assert!(keep(EventFilter {
            errors: Some(false),
            ..Default::default()
        }));
        assert!(!keep(EventFilter {
            errors: Some(true),
            ..Default::default()
        }));
        assert!(keep(EventFilter {
            identity_types: vec!["Root".into()],
            ..Default::default()
        }));
        assert!(!keep(EventFilter {
            identity_types: vec!["IAMUser".into()],
            ..Default::default()
        }));
        assert_eq!(
            "network_activity".parse::<Category>(),
            Ok(Category::NetworkActivity)
        );
        assert_eq!("Management".parse::<Category>(), Ok(Category::Management));
        assert!("mgmt".parse::<Category>().is_err());
        assert_eq!("read".parse::<Access>(), Ok(Access::Read));
    }
}
