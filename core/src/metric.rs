//! What CloudWatch does with a match: metric transformations (`PutMetricFilter`) and the
//! `TestMetricFilter` answer.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::dialect::Dialect;
use crate::error::{Error, ErrorKind, Origin, Span};
use crate::exec::Pattern;
use crate::extracted::Extracted;
use crate::json::Json;
use crate::number;
use crate::reference;
use crate::syntax::ast::{PatternKind, Selector};

pub use crate::aws::UNITS;

/// At most this many messages in one `TestMetricFilter` request.
pub const MAX_TEST_MESSAGES: usize = 50;
/// At most this many dimensions on a metric transformation.
pub const MAX_DIMENSIONS: usize = 3;

/// A `PutMetricFilter` metric transformation, in the AWS API's JSON shape.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MetricTransformation {
    /// The metric's name.
    pub metric_name: String,
    /// The metric's namespace.
    pub metric_namespace: String,
    /// A number (`"1"`) or a field reference (`$.latency`, `$bytes`, `$7`).
    pub metric_value: String,
    /// Reported for a minute that saw events but no match.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_value: Option<f64>,
    /// Dimension name → field reference.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub dimensions: BTreeMap<String, String>,
    /// A CloudWatch standard unit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
}

/// Where a metric value or dimension value comes from.
#[derive(Clone, Debug, PartialEq)]
enum Source {
    /// A fixed number.
    Constant(f64),
    /// `$.selector` in a JSON event.
    Selector(Selector),
    /// `$name` or `$n`: a key of the extracted values.
    Extracted(String),
}

/// One matching event's contribution to a metric.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MetricDatum {
    /// The value added to the metric.
    pub value: f64,
    /// Dimension name → value, for the dimensions whose field the event has.
    pub dimensions: BTreeMap<String, String>,
}

/// A filter pattern with its metric transformation, validated as `PutMetricFilter` validates
/// them.
#[derive(Clone, Debug)]
pub struct MetricFilter {
    pattern: Pattern,
    transformation: MetricTransformation,
    value: Source,
    dimensions: Vec<(String, Source)>,
}

impl MetricFilter {
    /// Validates `transformation` for `pattern`.
    pub fn new(
        pattern: Pattern,
        transformation: MetricTransformation,
    ) -> Result<MetricFilter, Error> {
        let t = &transformation;
        check_name(&t.metric_name, Origin::MetricName)?;
        check_name(&t.metric_namespace, Origin::MetricNamespace)?;
        let value = metric_value(&t.metric_value, pattern.kind())?;
        if t.default_value.is_some_and(|v| !v.is_finite()) {
            let text = t.default_value.map(|v| v.to_string()).unwrap_or_default();
            return Err(whole(
                ErrorKind::InvalidDefaultValue,
                Origin::DefaultValue,
                &text,
            ));
        }
        if let Some(unit) = &t.unit {
            if !UNITS.contains(&unit.as_str()) {
                return Err(whole(
                    ErrorKind::InvalidUnit { unit: unit.clone() },
                    Origin::Unit,
                    unit,
                ));
            }
        }
        let dimensions = dimensions(t, pattern.kind())?;
        Ok(MetricFilter {
            pattern,
            transformation,
            value,
            dimensions,
        })
    }

    /// As [`MetricFilter::new`], from `PutMetricFilter`'s `metricTransformations` list, which
    /// must hold exactly one transformation.
    pub fn from_transformations(
        pattern: Pattern,
        transformations: Vec<MetricTransformation>,
    ) -> Result<MetricFilter, Error> {
        let count = transformations.len();
        match <[MetricTransformation; 1]>::try_from(transformations) {
            Ok([only]) => MetricFilter::new(pattern, only),
            Err(_) => {
                let text = format!("{count} transformations");
                let kind = ErrorKind::TooManyTransformations { count };
                Err(whole(kind, Origin::MetricTransformations, &text))
            }
        }
    }

    /// The filter pattern.
    pub fn pattern(&self) -> &Pattern {
        &self.pattern
    }

    /// The metric transformation.
    pub fn transformation(&self) -> &MetricTransformation {
        &self.transformation
    }

    /// What a matching `event` adds to the metric; `None` when it does not match, or when its
    /// metric value is missing or not a number (then it contributes nothing).
    pub fn apply(&self, event: &str) -> Option<MetricDatum> {
        let extracted = self.pattern.test(event)?;
        self.datum(event, &extracted)
    }

    /// What `event`, already known to match with these `extracted` values (from
    /// [`PatternSet::test`](crate::PatternSet::test) over many filters, say), adds to the
    /// metric: [`apply`](MetricFilter::apply) without matching again.
    pub fn datum(&self, event: &str, extracted: &Extracted) -> Option<MetricDatum> {
        let value = resolve_number(&self.value, event, extracted)?;
        let dimensions = self
            .dimensions
            .iter()
            .filter_map(|(name, source)| {
                Some((name.clone(), resolve_text(source, event, extracted)?))
            })
            .collect();
        Some(MetricDatum { value, dimensions })
    }
}

fn whole(kind: ErrorKind, origin: Origin, text: &str) -> Error {
    Error::new(kind, origin, text, Span::new(0, text.len()))
}

fn check_name(name: &str, origin: Origin) -> Result<(), Error> {
    let field = origin.as_str();
    let detail = if name.is_empty() {
        format!("{field} must not be empty")
    } else if name.chars().count() > 255 {
        format!("{field} must have length less than or equal to 255")
    } else if let Some((at, c)) = name.char_indices().find(|(_, c)| ":*$".contains(*c)) {
        let kind = ErrorKind::InvalidMetricName {
            detail: format!("{field} must not contain '{c}'"),
        };
        return Err(Error::new(
            kind,
            origin,
            name,
            Span::new(at, at + c.len_utf8()),
        ));
    } else {
        return Ok(());
    };
    Err(whole(ErrorKind::InvalidMetricName { detail }, origin, name))
}

/// A field reference valid for the pattern kind, or why not.
fn field_reference(text: &str, kind: PatternKind, origin: Origin) -> Result<Source, Error> {
    let invalid = |detail: String| whole(ErrorKind::InvalidFieldReference { detail }, origin, text);
    let field = origin.as_str();
    match kind {
        PatternKind::Json => match crate::syntax::parse_selector(text) {
            Some(s) if s.wildcards() == 0 => Ok(Source::Selector(s)),
            Some(_) => Err(invalid(format!(
                "{field} selectors cannot contain wildcards"
            ))),
            None => Err(invalid(format!(
                "{field} '{text}' is not a property selector; a JSON pattern's {field} looks like $.latency"
            ))),
        },
        PatternKind::Delimited => {
            let name = text.strip_prefix('$').unwrap_or_default();
            let ok = !name.is_empty()
                && name
                    .chars()
                    .all(|c| c.is_alphanumeric() || c == '_' || c == '-')
                && name != "0";
            if ok {
                Ok(Source::Extracted(text.to_owned()))
            } else {
                Err(invalid(format!(
                    "{field} '{text}' is not a field reference; a space-delimited pattern's {field} looks like $bytes or $7"
                )))
            }
        }
        PatternKind::MatchAll | PatternKind::Terms | PatternKind::Regex => Err(invalid(format!(
            "{field} '{text}' references a field, but a term pattern has no fields"
        ))),
    }
}

fn metric_value(text: &str, kind: PatternKind) -> Result<Source, Error> {
    let invalid = |detail: &str| {
        whole(
            ErrorKind::InvalidMetricValue {
                detail: detail.to_owned(),
            },
            Origin::MetricValue,
            text,
        )
    };
    if text.is_empty() {
        return Err(invalid("metricValue must not be empty"));
    }
    if text.chars().count() > 100 {
        return Err(invalid(
            "metricValue must have length less than or equal to 100",
        ));
    }
    if let Some(v) = number::parse(text).filter(|v| v.is_finite()) {
        return Ok(Source::Constant(v));
    }
    if !text.starts_with('$') {
        return Err(invalid(&format!(
            "Invalid metric value '{text}': it must be a number or a field reference starting with '$'"
        )));
    }
    field_reference(text, kind, Origin::MetricValue)
}

fn dimensions(t: &MetricTransformation, kind: PatternKind) -> Result<Vec<(String, Source)>, Error> {
    if t.dimensions.is_empty() {
        return Ok(Vec::new());
    }
    let listed = t
        .dimensions
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(", ");
    if matches!(
        kind,
        PatternKind::MatchAll | PatternKind::Terms | PatternKind::Regex
    ) {
        return Err(whole(
            ErrorKind::DimensionsNotSupported,
            Origin::Dimensions,
            &listed,
        ));
    }
    if t.dimensions.len() > MAX_DIMENSIONS {
        let kind = ErrorKind::TooManyDimensions {
            count: t.dimensions.len(),
        };
        return Err(whole(kind, Origin::Dimensions, &listed));
    }
    if t.default_value.is_some() {
        return Err(whole(
            ErrorKind::DimensionsWithDefaultValue,
            Origin::Dimensions,
            &listed,
        ));
    }
    let mut at = 0;
    t.dimensions
        .iter()
        .map(|(name, value)| {
            let entry = Span::new(at, at + name.len() + 1 + value.len());
            at = entry.end + ", ".len();
            let bad = name.is_empty() || name.chars().count() > 255 || value.chars().count() > 255;
            if bad {
                let detail =
                    format!("dimension '{name}': names and values are 1 to 255 characters");
                let kind = ErrorKind::InvalidDimension { detail };
                return Err(Error::new(kind, Origin::Dimensions, &listed, entry));
            }
            Ok((
                name.clone(),
                field_reference(value, kind, Origin::Dimensions)?,
            ))
        })
        .collect()
}

fn json_text(node: &Json) -> Option<String> {
    match node {
        Json::String(s) | Json::Number(s) => Some(s.clone()),
        Json::Bool(b) => Some(b.to_string()),
        Json::Null | Json::Array(_) | Json::Object(_) => None,
    }
}

fn resolve_text(source: &Source, event: &str, extracted: &Extracted) -> Option<String> {
    match source {
        Source::Constant(v) => Some(v.to_string()),
        Source::Selector(s) => reference::select_in_event(event, s, json_text),
        Source::Extracted(key) => extracted.get(key).map(str::to_owned),
    }
}

/// The number `source` gives for the event: none where its text is no number, or one too large
/// for a double (`1e400`), as a `metricValue` written so is refused (CloudWatch takes no
/// infinite values).
fn resolve_number(source: &Source, event: &str, extracted: &Extracted) -> Option<f64> {
    let value = match source {
        Source::Constant(v) => Some(*v),
        Source::Selector(s) => reference::select_in_event(event, s, |node| match node {
            Json::Number(t) | Json::String(t) => number::parse(t),
            _ => None,
        }),
        Source::Extracted(key) => number::parse(extracted.get(key)?),
    };
    value.filter(|v| v.is_finite())
}

/// A `TestMetricFilter` request in the AWS API's JSON shape:
/// `{"filterPattern": "...", "logEventMessages": ["...", ...]}`. Only a JSON object is one, and
/// other members are refused, each error with serde's position.
///
/// AWS requires both members; here either may be absent, as in the AWS CLI's
/// `--cli-input-json`, where command-line options supply what the JSON lacks.
///
/// ```
/// use trailmatch::metric::TestMetricFilterRequest;
///
/// let request: TestMetricFilterRequest =
///     serde_json::from_str(r#"{"filterPattern": "ERROR", "logEventMessages": ["ERROR 1"]}"#)?;
/// assert_eq!(request.filter_pattern.as_deref(), Some("ERROR"));
///
/// let unknown = serde_json::from_str::<TestMetricFilterRequest>(r#"{"logGroupName": "x"}"#);
/// assert_eq!(
///     unknown.unwrap_err().to_string(),
///     "unknown field `logGroupName`, expected `filterPattern` or `logEventMessages` at line 1 column 15"
/// );
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TestMetricFilterRequest {
    /// The filter pattern.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub filter_pattern: Option<String>,
    /// The messages to test it on (AWS takes 1 to 50).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub log_event_messages: Option<Vec<String>>,
}

impl<'de> Deserialize<'de> for TestMetricFilterRequest {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(request::Object)
    }
}

/// How a [`TestMetricFilterRequest`] is read: the members as serde derives them, reached only
/// through an object (a derived struct would also take a JSON array), with messages that name
/// the member a value of the wrong type is for.
mod request {
    use std::fmt;

    use serde::Deserialize;
    use serde::de::value::MapAccessDeserializer;
    use serde::de::{DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

    use super::TestMetricFilterRequest;

    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase", deny_unknown_fields)]
    struct Members {
        #[serde(default, deserialize_with = "filter_pattern")]
        filter_pattern: Option<String>,
        #[serde(default, deserialize_with = "log_event_messages")]
        log_event_messages: Option<Vec<String>>,
    }

    pub(super) struct Object;

    impl<'de> Visitor<'de> for Object {
        type Value = TestMetricFilterRequest;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str(
                "a TestMetricFilter request: an object with the members filterPattern and \
                 logEventMessages",
            )
        }

        fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
            let members = Members::deserialize(MapAccessDeserializer::new(map))?;
            Ok(TestMetricFilterRequest {
                filter_pattern: members.filter_pattern,
                log_event_messages: members.log_event_messages,
            })
        }
    }

    /// A string, `expecting` saying which.
    struct Text(&'static str);

    impl<'de> Visitor<'de> for Text {
        type Value = String;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str(self.0)
        }

        fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<String, E> {
            Ok(text.to_owned())
        }

        fn visit_string<E: serde::de::Error>(self, text: String) -> Result<String, E> {
            Ok(text)
        }
    }

    impl<'de> DeserializeSeed<'de> for Text {
        type Value = String;

        fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<String, D::Error> {
            deserializer.deserialize_string(self)
        }
    }

    struct Messages;

    impl<'de> Visitor<'de> for Messages {
        type Value = Vec<String>;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("logEventMessages as a list of strings")
        }

        fn visit_seq<A: SeqAccess<'de>>(self, mut items: A) -> Result<Vec<String>, A::Error> {
            let mut messages = Vec::with_capacity(items.size_hint().unwrap_or(0).min(64));
            while let Some(message) =
                items.next_element_seed(Text("a string in logEventMessages"))?
            {
                messages.push(message);
            }
            Ok(messages)
        }
    }

    fn filter_pattern<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
        Text("filterPattern as a string").deserialize(d).map(Some)
    }

    fn log_event_messages<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<Vec<String>>, D::Error> {
        d.deserialize_seq(Messages).map(Some)
    }
}

/// The answer of `TestMetricFilter`: only the matching messages, in input order.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct TestMetricFilterResponse {
    /// The matching messages.
    pub matches: Vec<TestMetricFilterMatch>,
}

/// One matching message of a `TestMetricFilter` answer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TestMetricFilterMatch {
    /// Position of the message in the request (from 1 with the default dialect).
    pub event_number: u64,
    /// The message.
    pub event_message: String,
    /// The values the pattern extracts (empty for term and JSON patterns).
    pub extracted_values: Extracted,
}

/// Answers a `TestMetricFilter` request as AWS does, with the default [`Dialect`].
///
/// ```
/// let answer = trailmatch::test_metric_filter("ERROR", &["[ERROR] 400 BAD REQUEST", "[INFO] 200 OK"])?;
/// assert_eq!(
///     serde_json::to_string(&answer).unwrap(),
///     r#"{"matches":[{"eventNumber":1,"eventMessage":"[ERROR] 400 BAD REQUEST","extractedValues":{}}]}"#
/// );
/// # Ok::<(), trailmatch::Error>(())
/// ```
pub fn test_metric_filter<S: AsRef<str>>(
    pattern: &str,
    messages: &[S],
) -> Result<TestMetricFilterResponse, Error> {
    test_metric_filter_with(pattern, messages, Dialect::default())
}

/// Answers a `TestMetricFilter` request with `dialect`.
pub fn test_metric_filter_with<S: AsRef<str>>(
    pattern: &str,
    messages: &[S],
    dialect: Dialect,
) -> Result<TestMetricFilterResponse, Error> {
    let pattern = Pattern::with_dialect(pattern, dialect)?;
    check_messages(messages)?;
    let matches = messages
        .iter()
        .zip(0u64..)
        .filter_map(|(message, n)| {
            let message = message.as_ref();
            Some(TestMetricFilterMatch {
                event_number: n + u64::from(dialect.event_number_base),
                event_message: message.to_owned(),
                extracted_values: pattern.test(message)?,
            })
        })
        .collect();
    Ok(TestMetricFilterResponse { matches })
}

/// The messages as a JSON array on one line, each cut to a few characters, and the span of the
/// `n`-th.
fn list_messages<S: AsRef<str>>(messages: &[S], n: usize) -> (String, Span) {
    let mut listing = String::from("[");
    let mut span = Span::default();
    for (i, message) in messages.iter().enumerate() {
        if i > 0 {
            listing.push_str(", ");
        }
        let message = message.as_ref();
        let mut short: String = message.chars().take(16).collect();
        if short.len() < message.len() {
            short.push('…');
        }
        let start = listing.len();
        listing.push_str(&serde_json::Value::String(short).to_string());
        if i == n {
            span = Span::new(start, listing.len());
        }
    }
    listing.push(']');
    (listing, span)
}

/// `logEventMessages` holds 1 to 50 messages of at least one character each.
fn check_messages<S: AsRef<str>>(messages: &[S]) -> Result<(), Error> {
    let fail = |detail: String, text: &str| {
        Err(whole(
            ErrorKind::InvalidLogEventMessages { detail },
            Origin::LogEventMessages,
            text,
        ))
    };
    let n = messages.len();
    let summary = match n {
        1 => "1 message".to_owned(),
        // (A caller may stop reading past the limit: how many more there were is not known.)
        n if n > MAX_TEST_MESSAGES => format!("more than {MAX_TEST_MESSAGES} messages"),
        n => format!("{n} messages"),
    };
    if messages.is_empty() {
        return fail(
            "1 validation error detected: Value '[]' at 'logEventMessages' failed to satisfy \
             constraint: Member must have length greater than or equal to 1"
                .into(),
            &summary,
        );
    }
    if messages.len() > MAX_TEST_MESSAGES {
        return fail(
            format!(
                "1 validation error detected: Value at 'logEventMessages' failed to satisfy \
                 constraint: Member must have length less than or equal to {MAX_TEST_MESSAGES}"
            ),
            &summary,
        );
    }
    if let Some(n) = messages.iter().position(|m| m.as_ref().is_empty()) {
        let detail = format!(
            "1 validation error detected: Value '' at 'logEventMessages.{}.member' failed to \
             satisfy constraint: Member must have length greater than or equal to 1",
            n + 1
        );
        let (listing, span) = list_messages(messages, n);
        let kind = ErrorKind::InvalidLogEventMessages { detail };
        return Err(Error::new(kind, Origin::LogEventMessages, &listing, span));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `datum` with the values a `PatternSet` extracted gives what `apply` gives, without
    /// matching again: the scan relies on it.
    #[test]
    fn datum_from_a_sets_extracted_values_is_apply() {
        let mut t = transformation("$bytes");
        t.dimensions.insert("Status".into(), "$status".into());
        let filter = MetricFilter::new(Pattern::new("[ip, status, bytes]").unwrap(), t).unwrap();
        let set = crate::PatternSet::new(["ERROR", "[ip, status, bytes]"]).unwrap();
        let event = "10.0.0.1 404 1534";
        let hits = set.test(event);
        let (_, extracted) = hits.iter().find(|(i, _)| *i == 1).unwrap();
        let datum = filter.datum(event, extracted).unwrap();
        assert_eq!(datum.value, 1534.0);
        assert_eq!(datum.dimensions["Status"], "404");
        assert_eq!(Some(datum), filter.apply(event));
    }

    fn transformation(value: &str) -> MetricTransformation {
        MetricTransformation {
            metric_name: "Errors".into(),
            metric_namespace: "App".into(),
            metric_value: value.into(),
            default_value: None,
            dimensions: BTreeMap::new(),
            unit: None,
        }
    }

    fn filter(pattern: &str, t: MetricTransformation) -> Result<MetricFilter, Error> {
        MetricFilter::new(Pattern::new(pattern).expect("valid pattern"), t)
    }

    fn code(pattern: &str, t: MetricTransformation) -> &'static str {
        filter(pattern, t).expect_err("rejected").code()
    }

    #[test]
    fn constant_value_for_every_match() {
        let f = filter("ERROR", transformation("1")).unwrap();
        assert_eq!(f.apply("ERROR x").map(|d| d.value), Some(1.0));
        assert_eq!(f.apply("INFO x"), None);
    }

    /// A number too large for a double gives no value, as `Infinity` or text does, where it
    /// gave an infinite one; a `metricValue` written so is refused.
    #[test]
    fn a_value_too_large_for_a_double_is_no_value() {
        let f = filter("{ $.a = * }", transformation("$.a")).unwrap();
        assert_eq!(f.apply(r#"{"a": 1e308}"#).map(|d| d.value), Some(1e308));
        assert_eq!(f.apply(r#"{"a": 1e400}"#), None);
        assert_eq!(f.apply(r#"{"a": "-1e999"}"#), None);
        assert_eq!(f.apply(r#"{"a": "Infinity"}"#), None);
        let f = filter("[a]", transformation("$a")).unwrap();
        assert_eq!(f.apply("12").map(|d| d.value), Some(12.0));
        assert_eq!(f.apply("1e999"), None);
        assert_eq!(
            code("ERROR", transformation("1e999")),
            "invalid-metric-value"
        );
    }

    #[test]
    fn json_selector_value_and_dimensions() {
        let mut t = transformation("$.latency");
        t.dimensions.insert("Service".into(), "$.service".into());
        t.dimensions.insert("Code".into(), "$.code".into());
        let f = filter("{ $.latency = * }", t).unwrap();
        let d = f
            .apply(r#"{"latency": 1.5e2, "service": "api", "code": 404}"#)
            .unwrap();
        assert_eq!(d.value, 150.0);
        assert_eq!(d.dimensions.get("Service").map(String::as_str), Some("api"));
        assert_eq!(d.dimensions.get("Code").map(String::as_str), Some("404"));
        // A dimension whose field is missing is left out.
        let d = f.apply(r#"{"latency": "7"}"#).unwrap();
        assert_eq!((d.value, d.dimensions.len()), (7.0, 0));
        // A value that is not a number contributes nothing.
        assert_eq!(f.apply(r#"{"latency": "slow"}"#), None);
    }

    #[test]
    fn delimited_field_value() {
        let f = filter("[ip, user, ..., status, bytes]", transformation("$bytes")).unwrap();
        assert_eq!(
            f.apply("1.2.3.4 - GET 200 1534").map(|d| d.value),
            Some(1534.0)
        );
        let f = filter("[ip, user, ..., status, bytes]", transformation("$3")).unwrap();
        assert_eq!(
            f.apply("1.2.3.4 - 17 200 1534").map(|d| d.value),
            Some(17.0)
        );
        assert_eq!(f.apply("1.2.3.4 - GET 200 1534"), None, "$3 is not numeric");
    }

    #[test]
    fn validation_follows_put_metric_filter() {
        assert_eq!(
            code("ERROR", transformation("length")),
            "invalid-metric-value"
        );
        assert_eq!(code("ERROR", transformation("")), "invalid-metric-value");
        assert_eq!(
            code("ERROR", transformation("$.latency")),
            "invalid-field-reference"
        );
        assert_eq!(
            code("{ $.a = 1 }", transformation("$bytes")),
            "invalid-field-reference"
        );
        assert_eq!(
            code("{ $.a = 1 }", transformation("$.a[*]")),
            "invalid-field-reference"
        );
        assert_eq!(
            code("[a, b]", transformation("$.a")),
            "invalid-field-reference"
        );

        let mut t = transformation("1");
        t.dimensions.insert("Name".into(), "$.name".into());
        assert_eq!(code("ERROR", t.clone()), "dimensions-not-supported");
        let err = filter("ERROR", t.clone()).unwrap_err();
        assert_eq!(
            err.message(),
            "The specified filter pattern does not support dimensions"
        );
        t.default_value = Some(0.0);
        assert_eq!(
            code("{ $.a = 1 }", t.clone()),
            "dimensions-with-default-value"
        );
        t.default_value = None;
        for n in 0..3 {
            t.dimensions.insert(format!("D{n}"), "$.x".into());
        }
        assert_eq!(code("{ $.a = 1 }", t), "too-many-dimensions");

        let mut t = transformation("1");
        t.metric_name = "a:b".into();
        let err = filter("ERROR", t).unwrap_err();
        assert_eq!(
            (err.code(), err.span()),
            ("invalid-metric-name", Span::new(1, 2))
        );
        let mut t = transformation("1");
        t.unit = Some("Furlongs".into());
        assert_eq!(code("ERROR", t), "invalid-unit");
        let mut t = transformation("1");
        t.default_value = Some(f64::NAN);
        assert_eq!(code("ERROR", t), "invalid-default-value");
    }

    #[test]
    fn exactly_one_transformation() {
        let pattern = || Pattern::new("ERROR").unwrap();
        assert!(MetricFilter::from_transformations(pattern(), vec![transformation("1")]).is_ok());
        let two = vec![transformation("1"), transformation("2")];
        let err = MetricFilter::from_transformations(pattern(), two).unwrap_err();
        assert_eq!(err.code(), "too-many-transformations");
        assert!(err.message().ends_with("less than or equal to 1"));
        let err = MetricFilter::from_transformations(pattern(), Vec::new()).unwrap_err();
        assert!(err.message().ends_with("greater than or equal to 1"));
    }

    #[test]
    fn transformation_reads_the_aws_json_shape() {
        let t: MetricTransformation = serde_json::from_str(
            r#"{"metricName":"M","metricNamespace":"N","metricValue":"$.x","defaultValue":0,"unit":"Count"}"#,
        )
        .unwrap();
        assert_eq!(
            (t.default_value, t.unit.as_deref()),
            (Some(0.0), Some("Count"))
        );
        assert!(serde_json::from_str::<MetricTransformation>(r#"{"metricName":"M"}"#).is_err());
    }

    #[test]
    fn test_metric_filter_limits_messages() {
        let many = vec!["x"; MAX_TEST_MESSAGES + 1];
        let err = test_metric_filter("ERROR", &many).unwrap_err();
        assert_eq!(err.code(), "invalid-log-event-messages");
        assert!(
            err.message().contains("less than or equal to 50"),
            "{}",
            err.message()
        );
        assert!(test_metric_filter("ERROR", &vec!["x"; MAX_TEST_MESSAGES]).is_ok());
        assert!(test_metric_filter::<&str>("ERROR", &[]).is_err());
        let err = test_metric_filter("ERROR", &["a long message that is cut", ""]).unwrap_err();
        assert!(err.message().contains("logEventMessages.2.member"));
        assert_eq!(err.text(), r#"["a long message t…", ""]"#);
        assert_eq!(&err.text()[err.span().start..err.span().end], "\"\"");
    }

    #[test]
    fn event_numbers_follow_the_dialect() {
        let numbers = |base| {
            let d = Dialect {
                event_number_base: base,
                ..Dialect::default()
            };
            test_metric_filter_with("ERROR", &["ERROR a", "b", "ERROR c"], d)
                .unwrap()
                .matches
                .iter()
                .map(|m| m.event_number)
                .collect::<Vec<_>>()
        };
        assert_eq!(numbers(1), [1, 3]);
        assert_eq!(numbers(0), [0, 2]);
    }

    fn request(json: &str) -> Result<TestMetricFilterRequest, String> {
        serde_json::from_str(json).map_err(|e| e.to_string())
    }

    #[test]
    fn a_request_reads_both_members_either_or_none() {
        let full = request(r#"{"filterPattern": "ERROR", "logEventMessages": ["a", "b"]}"#);
        assert_eq!(
            full.unwrap(),
            TestMetricFilterRequest {
                filter_pattern: Some("ERROR".into()),
                log_event_messages: Some(vec!["a".into(), "b".into()]),
            }
        );
        let partial = request(r#"{"logEventMessages": []}"#).unwrap();
        assert_eq!(partial.filter_pattern, None);
        assert_eq!(partial.log_event_messages, Some(vec![]));
        assert_eq!(request("{}").unwrap(), TestMetricFilterRequest::default());
        let again = serde_json::to_string(&partial).unwrap();
        assert_eq!(again, r#"{"logEventMessages":[]}"#);
    }

    /// Each refusal names what was wrong and where, with serde's line and column.
    #[test]
    fn a_request_s_errors_name_the_member_and_the_position() {
        for (json, expected) in [
            (
                r#"{"filterPattern": "a", "logGroupName": "x"}"#,
                "unknown field `logGroupName`, expected `filterPattern` or `logEventMessages` \
                 at line 1 column 37",
            ),
            (
                r#"{"filterPattern": 1}"#,
                "invalid type: integer `1`, expected filterPattern as a string at line 1 column 19",
            ),
            (
                r#"{"filterPattern": null}"#,
                "invalid type: null, expected filterPattern as a string at line 1 column 22",
            ),
            (
                r#"{"logEventMessages": "a"}"#,
                "invalid type: string \"a\", expected logEventMessages as a list of strings at \
                 line 1 column 24",
            ),
            (
                "{\"logEventMessages\": [\"a\",\n 2]}",
                "invalid type: integer `2`, expected a string in logEventMessages at line 2 column 2",
            ),
            (
                r#"["ERROR", ["a"]]"#,
                "invalid type: sequence, expected a TestMetricFilter request: an object with the \
                 members filterPattern and logEventMessages at line 1 column 0",
            ),
            (
                r#"{"filterPattern": "a", "filterPattern": "b"}"#,
                "duplicate field `filterPattern` at line 1 column 38",
            ),
        ] {
            assert_eq!(request(json).unwrap_err(), expected, "{json}");
        }
    }
}
