//! # trailmatch-wasm
//!
//! The trailmatch engine for JavaScript, built with wasm-bindgen: `check(pattern)`, the `Pattern`
//! class, `testMetricFilter(pattern, messages)` with the AWS response shape, and `version()`.
//!
//! The binding only converts: every rule of the language lives in the `trailmatch` crate. Two
//! conversions happen here, at the edge:
//!
//! - **Spans.** Core reports byte offsets into UTF-8 text; JavaScript indexes strings in UTF-16
//!   code units. [`utf16_span`] converts every span this binding hands out, so
//!   `pattern.slice(start, end)` in JavaScript is the offending text.
//! - **Errors.** A rejected pattern becomes a plain object ([`check`]) or a thrown JavaScript
//!   `Error` ([`Pattern::new`], [`test_metric_filter`]) carrying the same fields: `code`,
//!   `message`, `help`, `origin`, `text`, `start`, `end` and `rendered` (the caret diagnostic).
//!
//! The TypeScript definitions of the returned objects are written below, next to the Rust types
//! they describe.

use serde::Serialize;
use trailmatch::{Error, Span};
use wasm_bindgen::prelude::*;

#[wasm_bindgen(typescript_custom_section)]
const TYPESCRIPT: &str = r#"
/** Which language a pattern is written in. */
export type PatternKind = "match-all" | "terms" | "regex" | "json" | "delimited";

/**
 * Why an input was rejected. `start` and `end` are UTF-16 offsets (JavaScript string indices)
 * into `text`, the input named by `origin`: for a filter pattern, `text` is the pattern itself.
 */
export interface Diagnostic {
    /** Stable kebab-case code, such as "unclosed-brace". */
    code: string;
    /** The one-line message. */
    message: string;
    /** What to do about it, when there is something useful to say. */
    help: string | null;
    /** The input the span points into: "filterPattern", "logEventMessages", ... */
    origin: string;
    /** That input's text. */
    text: string;
    /** First UTF-16 code unit of the offending text. */
    start: number;
    /** One past its last UTF-16 code unit. */
    end: number;
    /** The compiler-style rendering, with the line and a caret under the span. */
    rendered: string;
}

/** The `Error` thrown by `new Pattern(...)` and `testMetricFilter(...)`. */
export interface TrailmatchError extends Error, Diagnostic {
    name: "TrailmatchError";
    message: string;
}

/** `check(pattern)`: the pattern's kind and canonical form, or why it is rejected. */
export type CheckResult =
    | { valid: true; kind: PatternKind | "event-pattern"; canonical: string }
    | ({ valid: false } & Diagnostic);

/** TestMetricFilter's `extractedValues`: `$name` or `$n` to the field's text, in event order. */
export type ExtractedValues = Record<string, string>;

/** One condition of a JSON pattern and whether it holds for an event. */
export interface ConditionOutcome {
    /** The condition in canonical form, such as `$.eventName = "ConsoleLogin"`. */
    condition: string;
    /** Whether it holds for the event. */
    holds: boolean;
    /** First UTF-16 code unit of the condition in the pattern as written. */
    start: number;
    /** One past its last UTF-16 code unit. */
    end: number;
}

/** One matching message of a TestMetricFilter answer. */
export interface TestMetricFilterMatch {
    /** 1-based position of the message in the request. */
    eventNumber: number;
    eventMessage: string;
    extractedValues: ExtractedValues;
}

/** The answer of TestMetricFilter, in the AWS API's shape. */
export interface TestMetricFilterResponse {
    matches: TestMetricFilterMatch[];
}

/**
 * `asEvent(text)`: what an event pattern is matched against. A CloudTrail record (a JSON object
 * with `eventVersion`, or `eventSource` and `eventName`, and no `detail-type`) is wrapped as
 * EventBridge delivers it; anything else is taken as given.
 */
export type AsEvent =
    | { kind: "as-given"; event: string }
    | { kind: "wrapped"; event: string }
    | { kind: "unwrappable"; event: string; code: string; field: string; message: string };

/** The answer of EventBridge's TestEventPattern, in the AWS API's shape. */
export interface TestEventPatternResponse {
    Result: boolean;
}
"#;

#[wasm_bindgen]
extern "C" {
    /// `CheckResult` in TypeScript.
    #[wasm_bindgen(typescript_type = "CheckResult")]
    pub type CheckResult;

    /// `ExtractedValues | null` in TypeScript.
    #[wasm_bindgen(typescript_type = "ExtractedValues | null")]
    pub type MaybeExtractedValues;

    /// `ConditionOutcome[] | null` in TypeScript.
    #[wasm_bindgen(typescript_type = "ConditionOutcome[] | null")]
    pub type MaybeConditionOutcomes;

    /// `PatternKind` in TypeScript.
    #[wasm_bindgen(typescript_type = "PatternKind")]
    pub type PatternKindName;

    /// `TestMetricFilterResponse` in TypeScript.
    #[wasm_bindgen(typescript_type = "TestMetricFilterResponse")]
    pub type TestMetricFilterResponse;

    /// `AsEvent` in TypeScript.
    #[wasm_bindgen(typescript_type = "AsEvent")]
    pub type AsEventResult;

    /// `TestEventPatternResponse` in TypeScript.
    #[wasm_bindgen(typescript_type = "TestEventPatternResponse")]
    pub type TestEventPatternResponse;
}

/// Installs the panic hook, so that a bug in the engine shows its message in the console (and in
/// the `RuntimeError` the page catches) instead of a bare `unreachable`.
#[wasm_bindgen(start)]
pub fn start() {
    console_error_panic_hook::set_once();
}

/// The version of trailmatch compiled into this module.
#[wasm_bindgen]
pub fn version() -> String {
    env!("CARGO_PKG_VERSION").to_owned()
}

/// Number of UTF-16 code units in `text[..byte]`, with `byte` moved back to a character
/// boundary and clamped to the text.
fn utf16_offset(text: &str, byte: usize) -> usize {
    let mut byte = byte.min(text.len());
    while !text.is_char_boundary(byte) {
        byte -= 1;
    }
    text[..byte].chars().map(char::len_utf16).sum()
}

/// Converts a byte span into `text` into UTF-16 code-unit offsets `(start, end)`, the indices
/// JavaScript strings use. Every span this binding hands out goes through here.
pub fn utf16_span(text: &str, span: Span) -> (u32, u32) {
    let to_u32 = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
    (
        to_u32(utf16_offset(text, span.start)),
        to_u32(utf16_offset(text, span.end)),
    )
}

/// The fields of a `Diagnostic`.
#[derive(Serialize)]
struct Diagnostic {
    code: &'static str,
    message: String,
    help: Option<String>,
    origin: &'static str,
    text: String,
    start: u32,
    end: u32,
    rendered: String,
}

impl Diagnostic {
    fn new(error: &Error) -> Diagnostic {
        let (start, end) = utf16_span(error.text(), error.span());
        Diagnostic {
            code: error.code(),
            message: error.message(),
            help: error.help(),
            origin: error.origin().as_str(),
            text: error.text().to_owned(),
            start,
            end,
            rendered: error.to_string(),
        }
    }
}

/// A value as JavaScript sees it: maps become plain objects, `None` becomes `null`.
fn to_js<T: Serialize + ?Sized>(value: &T) -> JsValue {
    let serializer = serde_wasm_bindgen::Serializer::json_compatible();
    value
        .serialize(&serializer)
        .expect("the binding's values are plain data")
}

/// A JavaScript `Error` named `TrailmatchError` whose `message` is the one-line message and
/// which carries every field of the `Diagnostic`.
fn to_js_error(error: &Error) -> JsValue {
    let js = js_sys::Error::new(&error.message());
    js.set_name("TrailmatchError");
    let fields = to_js(&Diagnostic::new(error));
    js_sys::Object::assign(&js, fields.unchecked_ref());
    js.into()
}

/// Validates a filter pattern, or an EventBridge event pattern (a JSON object whose first member
/// is a quoted key: [`trailmatch::is_event_pattern`], kind `"event-pattern"`): `{ valid: true,
/// kind, canonical }`, or `{ valid: false, ... }` with the fields of the diagnostic (code,
/// message, help, origin, text, start, end, rendered).
#[wasm_bindgen]
pub fn check(pattern: &str) -> CheckResult {
    #[derive(Serialize)]
    #[serde(untagged)]
    enum Outcome {
        Valid {
            valid: bool,
            kind: &'static str,
            canonical: String,
        },
        Invalid {
            valid: bool,
            #[serde(flatten)]
            diagnostic: Diagnostic,
        },
    }
    let checked = if trailmatch::is_event_pattern(pattern) {
        trailmatch::EventPattern::new(pattern).map(|p| ("event-pattern", p.ast().to_string()))
    } else {
        trailmatch::Pattern::new(pattern).map(|p| (p.kind().as_str(), p.to_string()))
    };
    let outcome = match checked {
        Ok((kind, canonical)) => Outcome::Valid {
            valid: true,
            kind,
            canonical,
        },
        Err(e) => Outcome::Invalid {
            valid: false,
            diagnostic: Diagnostic::new(&e),
        },
    };
    to_js(&outcome).unchecked_into()
}

/// A compiled filter pattern.
#[wasm_bindgen]
#[derive(Debug)]
pub struct Pattern {
    inner: trailmatch::Pattern,
}

#[wasm_bindgen]
impl Pattern {
    /// Compiles `pattern`; throws a `TrailmatchError` when it is rejected.
    #[wasm_bindgen(constructor)]
    pub fn new(pattern: &str) -> Result<Pattern, JsValue> {
        trailmatch::Pattern::new(pattern)
            .map(|inner| Pattern { inner })
            .map_err(|e| to_js_error(&e))
    }

    /// True when `event` matches.
    pub fn matches(&self, event: &str) -> bool {
        self.inner.matches(event)
    }

    /// The values a match extracts (TestMetricFilter's `extractedValues`; `{}` for term and JSON
    /// patterns), or `null` when `event` does not match.
    pub fn test(&self, event: &str) -> MaybeExtractedValues {
        match self.inner.test(event) {
            Some(values) => to_js(&values),
            None => JsValue::NULL,
        }
        .unchecked_into()
    }

    /// For a JSON pattern, each condition with whether it holds for `event` and its UTF-16 span in
    /// the pattern (an empty list when the event is not a JSON object); `null` for other kinds.
    pub fn explain(&self, event: &str) -> MaybeConditionOutcomes {
        outcomes_to_js(self.inner.as_str(), self.inner.explain(event))
    }

    /// Which language the pattern is written in.
    #[wasm_bindgen(getter)]
    pub fn kind(&self) -> PatternKindName {
        JsValue::from_str(self.inner.kind().as_str()).unchecked_into()
    }

    /// The canonical form.
    #[wasm_bindgen(getter)]
    pub fn canonical(&self) -> String {
        self.inner.to_string()
    }

    /// The pattern as written.
    #[wasm_bindgen(getter)]
    pub fn text(&self) -> String {
        self.inner.as_str().to_owned()
    }
}

/// Conditions with their spans converted to UTF-16 offsets into `pattern`; `null` for `None`.
fn outcomes_to_js(
    pattern: &str,
    outcomes: Option<Vec<trailmatch::reference::ConditionOutcome>>,
) -> MaybeConditionOutcomes {
    #[derive(Serialize)]
    struct Outcome {
        condition: String,
        holds: bool,
        start: u32,
        end: u32,
    }
    match outcomes {
        Some(outcomes) => {
            let outcomes: Vec<Outcome> = outcomes
                .into_iter()
                .map(|o| {
                    let (start, end) = utf16_span(pattern, o.span);
                    Outcome {
                        condition: o.condition,
                        holds: o.holds,
                        start,
                        end,
                    }
                })
                .collect();
            to_js(&outcomes)
        }
        None => JsValue::NULL,
    }
    .unchecked_into()
}

/// Answers a TestMetricFilter request as AWS does: `{ matches: [{ eventNumber, eventMessage,
/// extractedValues }] }` for the matching messages. Throws a `TrailmatchError` for a rejected
/// pattern, or for `messages` that AWS would refuse (none, more than 50, or an empty one).
#[wasm_bindgen(js_name = testMetricFilter)]
pub fn test_metric_filter(
    pattern: &str,
    messages: Vec<String>,
) -> Result<TestMetricFilterResponse, JsValue> {
    trailmatch::test_metric_filter(pattern, &messages)
        .map(|answer| to_js(&answer).unchecked_into())
        .map_err(|e| to_js_error(&e))
}

/// A compiled EventBridge event pattern, validated as `PutRule` validates it.
#[wasm_bindgen]
#[derive(Debug)]
pub struct EventPattern {
    inner: trailmatch::EventPattern,
}

#[wasm_bindgen]
impl EventPattern {
    /// Compiles `pattern` (JSON); throws a `TrailmatchError` (origin `EventPattern`) when
    /// EventBridge would reject it.
    #[wasm_bindgen(constructor)]
    pub fn new(pattern: &str) -> Result<EventPattern, JsValue> {
        trailmatch::EventPattern::new(pattern)
            .map(|inner| EventPattern { inner })
            .map_err(|e| to_js_error(&e))
    }

    /// True when `event` (JSON text) matches.
    pub fn matches(&self, event: &str) -> bool {
        self.inner.matches(event)
    }

    /// The canonical form: compact JSON, members in order, one spelling per operator.
    #[wasm_bindgen(getter)]
    pub fn canonical(&self) -> String {
        self.inner.ast().to_string()
    }

    /// The pattern as written.
    #[wasm_bindgen(getter)]
    pub fn text(&self) -> String {
        self.inner.as_str().to_owned()
    }

    /// Each value and operator of the pattern with whether it holds for `event` (some field at
    /// its path has a value it accepts; each judged on its own, not the whole match) and its
    /// UTF-16 span in the pattern; `null` when `event` is not a JSON object.
    pub fn explain(&self, event: &str) -> MaybeConditionOutcomes {
        outcomes_to_js(self.inner.as_str(), self.inner.explain(event))
    }

    /// How many rules the pattern's `$or`s expand to.
    #[wasm_bindgen(getter, js_name = ruleCount)]
    pub fn rule_count(&self) -> usize {
        self.inner.ast().rule_count()
    }
}

/// Answers a TestEventPattern request as EventBridge does: `{ Result: boolean }`. Throws a
/// `TrailmatchError` for a rejected pattern (origin `EventPattern`) or an event the API refuses
/// (origin `Event`: not a JSON object, or without `id`, `account`, `source`, `time`, `region`,
/// `detail-type`).
#[wasm_bindgen(js_name = testEventPattern)]
pub fn test_event_pattern(pattern: &str, event: &str) -> Result<TestEventPatternResponse, JsValue> {
    trailmatch::test_event_pattern(pattern, event)
        .map(|answer| to_js(&answer).unchecked_into())
        .map_err(|e| to_js_error(&e))
}

/// What an event pattern is matched against (see the `AsEvent` type): a CloudTrail record
/// wrapped as EventBridge delivers it, or the text as given.
#[wasm_bindgen(js_name = asEvent)]
pub fn as_event(text: &str) -> AsEventResult {
    #[derive(Serialize)]
    #[serde(tag = "kind", rename_all = "kebab-case")]
    enum Outcome<'a> {
        AsGiven {
            event: &'a str,
        },
        Wrapped {
            event: String,
        },
        Unwrappable {
            event: &'a str,
            code: &'static str,
            field: &'a str,
            message: &'a str,
        },
    }
    use trailmatch_cloudtrail::eventbridge::{AsEvent, as_event};
    let answer = as_event(text);
    let outcome = match &answer {
        AsEvent::AsGiven => Outcome::AsGiven { event: text },
        AsEvent::Wrapped(event) => Outcome::Wrapped {
            event: event.clone(),
        },
        AsEvent::Unwrappable(e) => Outcome::Unwrappable {
            event: text,
            code: e.code(),
            field: e.field(),
            message: e.message(),
        },
    };
    to_js(&outcome).unchecked_into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf16_spans_count_code_units() {
        // 'é' is 2 bytes and 1 code unit; '😀' is 4 bytes and 2 code units.
        let text = "é😀ab";
        assert_eq!(utf16_span(text, Span::new(0, 2)), (0, 1));
        assert_eq!(utf16_span(text, Span::new(2, 6)), (1, 3));
        assert_eq!(utf16_span(text, Span::new(6, 8)), (3, 5));
    }

    #[test]
    fn utf16_spans_are_clamped_to_the_text_and_its_characters() {
        let text = "é😀";
        assert_eq!(utf16_span(text, Span::new(1, 3)), (0, 1));
        assert_eq!(utf16_span(text, Span::new(6, 99)), (3, 3));
    }

    #[test]
    fn error_spans_are_converted() {
        let e = trailmatch::Pattern::new("\"é😀").unwrap_err();
        let d = Diagnostic::new(&e);
        assert_eq!(d.code, "unterminated-string");
        assert_eq!(d.origin, "filterPattern");
        let (start, end) = utf16_span(&d.text, e.span());
        assert_eq!((d.start, d.end), (start, end));
        assert!(d.end <= 4);
    }
}
