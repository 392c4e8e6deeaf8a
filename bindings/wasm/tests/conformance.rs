//! The shared conformance case files (`tests/cases/*.toml`) run through the JavaScript-facing API
//! of the wasm build: `check`, `Pattern`, `testMetricFilter`, `EventPattern` and
//! `testEventPattern`, with every value read back from the JavaScript objects they return.
//!
//! Run in Node with wasm-bindgen-cli's test runner:
//!
//! ```sh
//! CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner \
//!     cargo test --target wasm32-unknown-unknown -p trailmatch-wasm
//! ```
//!
//! A wasm test has no file system, so the case files are compiled in; on the host,
//! `every_case_file_is_embedded` checks that the list below names every file of `tests/cases`.
//! Cases that set `dialect` switches are skipped (the binding has only the default dialect), as
//! are `[[metric_case]]` tables (the binding has no metric-filter API).

/// `tests/cases/*.toml`, by file name.
const CASE_FILES: &[(&str, &str)] = &[
    (
        "decisions.toml",
        include_str!("../../../tests/cases/decisions.toml"),
    ),
    (
        "errors.toml",
        include_str!("../../../tests/cases/errors.toml"),
    ),
    (
        "eventbridge-decisions.toml",
        include_str!("../../../tests/cases/eventbridge-decisions.toml"),
    ),
    (
        "eventbridge-errors.toml",
        include_str!("../../../tests/cases/eventbridge-errors.toml"),
    ),
    (
        "eventbridge-guide.toml",
        include_str!("../../../tests/cases/eventbridge-guide.toml"),
    ),
    (
        "metric.toml",
        include_str!("../../../tests/cases/metric.toml"),
    ),
    (
        "spec-delimited.toml",
        include_str!("../../../tests/cases/spec-delimited.toml"),
    ),
    (
        "spec-invalid.toml",
        include_str!("../../../tests/cases/spec-invalid.toml"),
    ),
    (
        "spec-json.toml",
        include_str!("../../../tests/cases/spec-json.toml"),
    ),
    (
        "spec-regex.toml",
        include_str!("../../../tests/cases/spec-regex.toml"),
    ),
    (
        "spec-terms.toml",
        include_str!("../../../tests/cases/spec-terms.toml"),
    ),
];

#[cfg(not(target_arch = "wasm32"))]
#[test]
fn every_case_file_is_embedded() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/cases");
    let mut on_disk: Vec<String> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".toml"))
        .collect();
    on_disk.sort();
    let embedded: Vec<&str> = CASE_FILES.iter().map(|(name, _)| *name).collect();
    assert_eq!(
        embedded, on_disk,
        "add the new case file to CASE_FILES in bindings/wasm/tests/conformance.rs"
    );
    for (name, text) in CASE_FILES {
        let on_disk = std::fs::read_to_string(dir.join(name)).unwrap();
        assert_eq!(*text, on_disk, "{name} is stale: rebuild");
    }
}

#[cfg(target_arch = "wasm32")]
mod wasm {
    use std::collections::BTreeMap;

    use serde::Deserialize;
    use trailmatch_wasm::{
        EventPattern, Pattern, as_event, check, test_event_pattern, test_metric_filter,
    };
    use wasm_bindgen::{JsCast, JsValue};
    use wasm_bindgen_test::{console_log, wasm_bindgen_test};

    use super::CASE_FILES;

    /// The parts of a case file this test reads; other fields are ignored.
    #[derive(Debug, Deserialize)]
    struct CaseFile {
        #[serde(default)]
        case: Vec<Case>,
        #[serde(default)]
        metric_case: Vec<toml::Table>,
        #[serde(default)]
        test_metric_filter: Vec<TestMetricFilterCase>,
        #[serde(default)]
        event_case: Vec<EventCase>,
        #[serde(default)]
        test_event_pattern: Vec<TestEventPatternCase>,
    }

    #[derive(Debug, Deserialize)]
    struct EventCase {
        name: String,
        pattern: String,
        event: Option<String>,
        matches: Option<bool>,
        error: Option<String>,
        span: Option<[usize; 2]>,
        rendered: Option<String>,
    }

    #[derive(Debug, Deserialize)]
    struct TestEventPatternCase {
        name: String,
        pattern: String,
        event: String,
        response: Option<String>,
        error: Option<String>,
        origin: Option<String>,
        span: Option<[usize; 2]>,
        rendered: Option<String>,
    }

    #[derive(Debug, Deserialize)]
    struct Case {
        name: String,
        pattern: String,
        dialect: Option<toml::Table>,
        event: Option<String>,
        matches: Option<bool>,
        extracted: Option<BTreeMap<String, String>>,
        error: Option<String>,
        span: Option<[usize; 2]>,
        rendered: Option<String>,
    }

    #[derive(Debug, Deserialize)]
    struct TestMetricFilterCase {
        name: String,
        pattern: String,
        dialect: Option<toml::Table>,
        messages: Vec<String>,
        response: Option<String>,
        error: Option<String>,
        origin: Option<String>,
        span: Option<[usize; 2]>,
        rendered: Option<String>,
    }

    /// `check()`'s result: `valid` with `kind` and `canonical`, or the fields of a [`Diagnostic`].
    #[derive(Debug)]
    struct CheckResult {
        valid: bool,
        kind: Option<String>,
        canonical: Option<String>,
        diagnostic: Option<Diagnostic>,
    }

    fn checked(pattern: &str) -> Result<CheckResult, String> {
        #[derive(Deserialize)]
        struct Valid {
            valid: bool,
            kind: Option<String>,
            canonical: Option<String>,
        }
        let value: JsValue = check(pattern).into();
        let Valid {
            valid,
            kind,
            canonical,
        } = from_js(value.clone())?;
        let diagnostic = if valid { None } else { Some(from_js(value)?) };
        Ok(CheckResult {
            valid,
            kind,
            canonical,
            diagnostic,
        })
    }

    #[derive(Debug, Deserialize)]
    struct Diagnostic {
        code: String,
        message: String,
        help: Option<String>,
        origin: String,
        text: String,
        start: u32,
        end: u32,
        rendered: String,
    }

    #[derive(Debug, Deserialize)]
    struct ConditionOutcome {
        condition: String,
        holds: bool,
        start: u32,
        end: u32,
    }

    #[derive(Default)]
    struct Report {
        cases: usize,
        skipped: usize,
        checks: usize,
        failures: Vec<String>,
    }

    impl Report {
        fn equal<T: PartialEq + std::fmt::Debug>(
            &mut self,
            case: &str,
            what: &str,
            got: T,
            want: T,
        ) {
            self.checks += 1;
            if got != want {
                self.failures.push(format!(
                    "{case}: {what}:\n    got:  {got:?}\n    want: {want:?}"
                ));
            }
        }

        fn fail(&mut self, case: &str, what: impl std::fmt::Display) {
            self.checks += 1;
            self.failures.push(format!("{case}: {what}"));
        }
    }

    fn from_js<T: for<'de> Deserialize<'de>>(value: JsValue) -> Result<T, String> {
        serde_wasm_bindgen::from_value(value).map_err(|e| e.to_string())
    }

    /// UTF-16 length of `text[..byte]`, counted by JavaScript itself.
    fn js_len(text: &str, byte: usize) -> u32 {
        match text.get(..byte) {
            Some(prefix) => js_sys::JsString::from(prefix).length(),
            None => u32::MAX,
        }
    }

    /// One final newline of a pinned rendering is ignored.
    fn trim_rendered(s: &str) -> &str {
        s.strip_suffix('\n').unwrap_or(s)
    }

    /// The expected error fields against a diagnostic; `span` is in bytes of the diagnostic's
    /// text.
    #[allow(clippy::too_many_arguments)]
    fn check_diagnostic(
        r: &mut Report,
        case: &str,
        d: &Diagnostic,
        code: &str,
        origin: &str,
        text: Option<&str>,
        span: Option<[usize; 2]>,
        rendered: Option<&str>,
    ) {
        r.equal(case, "code", d.code.as_str(), code);
        r.equal(case, "origin", d.origin.as_str(), origin);
        if let Some(text) = text {
            r.equal(case, "text", d.text.as_str(), text);
        }
        if let Some([start, end]) = span {
            let want = (js_len(&d.text, start), js_len(&d.text, end));
            r.equal(case, "UTF-16 span", (d.start, d.end), want);
        }
        if let Some(rendered) = rendered {
            r.equal(
                case,
                "rendered",
                d.rendered.as_str(),
                trim_rendered(rendered),
            );
        }
        let head = d.rendered.lines().next().unwrap_or_default();
        let head_says_the_message = match head
            .strip_prefix(&format!("error[{}]: ", d.code))
            .map(|m| m.split_once('…'))
        {
            // The length error repeats the whole pattern, as AWS's message does; the rendering
            // cuts it with '…'.
            Some(Some((before, after))) if d.code == "pattern-too-long" => {
                // Line breaks of the value are shown as spaces.
                let message = d.message.replace('\n', " ");
                message.starts_with(before)
                    && message.ends_with(after)
                    && message.len() > head.len()
            }
            Some(_) => head == format!("error[{}]: {}", d.code, d.message),
            None => false,
        };
        r.equal(
            case,
            "rendered starts with the code and message",
            head_says_the_message,
            true,
        );
        if let Some(help) = &d.help {
            r.equal(
                case,
                "help is rendered",
                d.rendered.contains(help.as_str()),
                true,
            );
        }
    }

    /// The `Error` a constructor or `testMetricFilter` threw.
    fn thrown(r: &mut Report, case: &str, error: JsValue) -> Option<Diagnostic> {
        let Some(js_error) = error.dyn_ref::<js_sys::Error>() else {
            r.fail(case, format!("threw a non-Error: {error:?}"));
            return None;
        };
        r.equal(
            case,
            "error name",
            String::from(js_error.name()),
            "TrailmatchError".into(),
        );
        let message = String::from(js_error.message());
        match from_js::<Diagnostic>(error) {
            Ok(d) => {
                r.equal(case, "Error.message", message.as_str(), d.message.as_str());
                Some(d)
            }
            Err(e) => {
                r.fail(
                    case,
                    format!("the thrown Error lacks diagnostic fields: {e}"),
                );
                None
            }
        }
    }

    fn run_case(r: &mut Report, c: &Case) {
        let name = c.name.as_str();
        let checked = match checked(&c.pattern) {
            Ok(checked) => checked,
            Err(e) => return r.fail(name, format!("check() returned an unexpected shape: {e}")),
        };
        if let Some(code) = &c.error {
            r.equal(name, "check().valid", checked.valid, false);
            let text = Some(c.pattern.as_str());
            let rendered = c.rendered.as_deref();
            match &checked.diagnostic {
                Some(d) => {
                    check_diagnostic(r, name, d, code, "filterPattern", text, c.span, rendered)
                }
                None => r.fail(name, "check() gave no diagnostic"),
            }
            match Pattern::new(&c.pattern) {
                Ok(_) => r.fail(name, "new Pattern() accepted the pattern"),
                Err(e) => {
                    if let Some(d) = thrown(r, name, e) {
                        check_diagnostic(
                            r,
                            name,
                            &d,
                            code,
                            "filterPattern",
                            text,
                            c.span,
                            rendered,
                        );
                    }
                }
            }
            return;
        }
        r.equal(name, "check().valid", checked.valid, true);
        let pattern = match Pattern::new(&c.pattern) {
            Ok(p) => p,
            Err(e) => {
                let d = thrown(r, name, e);
                return r.fail(name, format!("new Pattern() threw: {d:?}"));
            }
        };
        r.equal(name, "kind", checked.kind, pattern.kind().as_string());
        r.equal(
            name,
            "canonical",
            checked.canonical.as_deref(),
            Some(pattern.canonical().as_str()),
        );
        r.equal(name, "text", pattern.text(), c.pattern.clone());
        let (Some(event), Some(matches)) = (&c.event, c.matches) else {
            return r.fail(name, "a case needs `error`, or `event` and `matches`");
        };
        r.equal(name, "matches", pattern.matches(event), matches);
        let extracted =
            match from_js::<Option<BTreeMap<String, String>>>(pattern.test(event).into()) {
                Ok(extracted) => extracted,
                Err(e) => return r.fail(name, format!("test() returned an unexpected shape: {e}")),
            };
        r.equal(
            name,
            "test() is null exactly when there is no match",
            extracted.is_some(),
            matches,
        );
        if let (Some(got), Some(want)) = (&extracted, &c.extracted) {
            r.equal(name, "extracted", got, want);
        }
        // The canonical form answers the same.
        match Pattern::new(&pattern.canonical()) {
            Ok(canonical) => r.equal(
                name,
                "canonical form matches",
                canonical.matches(event),
                matches,
            ),
            Err(_) => r.fail(name, "the canonical form is rejected"),
        }
        // TestMetricFilter with the one message, when AWS would accept it.
        if !event.is_empty() {
            match test_metric_filter(&c.pattern, vec![event.clone()]) {
                Ok(answer) => {
                    let answer: JsValue = answer.into();
                    let json = js_sys::JSON::stringify(&answer).map(String::from);
                    let want = match &extracted {
                        Some(values) => serde_json::json!({"matches": [{
                            "eventNumber": 1, "eventMessage": event, "extractedValues": values,
                        }]}),
                        None => serde_json::json!({"matches": []}),
                    };
                    let got: Option<serde_json::Value> =
                        json.ok().and_then(|j| serde_json::from_str(&j).ok());
                    r.equal(name, "testMetricFilter", got, Some(want));
                }
                Err(e) => {
                    let d = thrown(r, name, e);
                    r.fail(name, format!("testMetricFilter threw: {d:?}"));
                }
            }
        }
        // explain: conditions with spans inside the pattern for JSON patterns, null otherwise.
        match from_js::<Option<Vec<ConditionOutcome>>>(pattern.explain(event).into()) {
            Ok(Some(outcomes)) => {
                r.equal(
                    name,
                    "explain() only for JSON patterns",
                    pattern.kind().as_string(),
                    Some("json".into()),
                );
                let len = js_sys::JsString::from(c.pattern.as_str()).length();
                for o in outcomes {
                    let ok = o.start < o.end && o.end <= len && !o.condition.is_empty();
                    r.equal(name, &format!("explain span of {}", o.condition), ok, true);
                }
            }
            Ok(None) => r.equal(
                name,
                "explain() is null only for non-JSON patterns",
                pattern.kind().as_string() == Some("json".into()),
                false,
            ),
            Err(e) => r.fail(name, format!("explain() returned an unexpected shape: {e}")),
        }
    }

    /// What a request case expects: the response as JSON text, or an error.
    struct Expected<'c> {
        response: Option<&'c String>,
        error: Option<&'c String>,
        origin: &'c str,
        /// The text the error points into, when the case pins it.
        text: Option<&'c str>,
        span: Option<[usize; 2]>,
        rendered: Option<&'c str>,
    }

    /// Checks a request's answer (`testMetricFilter`, `testEventPattern`) against a case.
    fn check_answer<T: Into<JsValue>>(
        r: &mut Report,
        name: &str,
        answer: Result<T, JsValue>,
        want: Expected<'_>,
    ) {
        match (answer, want.error) {
            (Ok(answer), None) => {
                let json = js_sys::JSON::stringify(&answer.into()).map(String::from);
                r.equal(name, "response", json.ok().as_ref(), want.response);
            }
            (Ok(answer), Some(code)) => {
                let json = js_sys::JSON::stringify(&answer.into()).map(String::from);
                r.fail(
                    name,
                    format!("answered {json:?} instead of failing with {code}"),
                );
            }
            (Err(e), Some(code)) => {
                if let Some(d) = thrown(r, name, e) {
                    let (origin, text) = (want.origin, want.text);
                    check_diagnostic(r, name, &d, code, origin, text, want.span, want.rendered);
                }
            }
            (Err(e), None) => {
                let d = thrown(r, name, e);
                r.fail(name, format!("threw {d:?}"));
            }
        }
    }

    fn run_test_metric_filter(r: &mut Report, c: &TestMetricFilterCase) {
        let origin = c.origin.as_deref().unwrap_or("filterPattern");
        let want = Expected {
            response: c.response.as_ref(),
            error: c.error.as_ref(),
            origin,
            text: (origin == "filterPattern").then_some(c.pattern.as_str()),
            span: c.span,
            rendered: c.rendered.as_deref(),
        };
        let answer = test_metric_filter(&c.pattern, c.messages.clone());
        check_answer(r, &c.name, answer, want);
    }

    fn run_event_case(r: &mut Report, c: &EventCase) {
        let name = c.name.as_str();
        let text = Some(c.pattern.as_str());
        let pattern = match (EventPattern::new(&c.pattern), &c.error) {
            (Ok(p), None) => p,
            (Ok(_), Some(code)) => {
                return r.fail(name, format!("new EventPattern() accepted it, not {code}"));
            }
            (Err(e), Some(code)) => {
                if let Some(d) = thrown(r, name, e) {
                    let rendered = c.rendered.as_deref();
                    check_diagnostic(r, name, &d, code, "EventPattern", text, c.span, rendered);
                }
                return;
            }
            (Err(e), None) => {
                let d = thrown(r, name, e);
                return r.fail(name, format!("new EventPattern() threw: {d:?}"));
            }
        };
        r.equal(name, "text", pattern.text(), c.pattern.clone());
        let (Some(event), Some(matches)) = (&c.event, c.matches) else {
            return r.fail(name, "a case needs `error`, or `event` and `matches`");
        };
        r.equal(name, "matches", pattern.matches(event), matches);
        match EventPattern::new(&pattern.canonical()) {
            Ok(again) => {
                r.equal(
                    name,
                    "canonical form prints back",
                    again.canonical(),
                    pattern.canonical(),
                );
                r.equal(
                    name,
                    "canonical form matches alike",
                    again.matches(event),
                    matches,
                );
            }
            Err(e) => {
                let d = thrown(r, name, e);
                r.fail(name, format!("the canonical form is refused: {d:?}"));
            }
        }
    }

    fn run_test_event_pattern(r: &mut Report, c: &TestEventPatternCase) {
        let origin = c.origin.as_deref().unwrap_or("EventPattern");
        let text = match origin {
            "Event" => c.event.as_str(),
            _ => c.pattern.as_str(),
        };
        let want = Expected {
            response: c.response.as_ref(),
            error: c.error.as_ref(),
            origin,
            text: Some(text),
            span: c.span,
            rendered: c.rendered.as_deref(),
        };
        check_answer(r, &c.name, test_event_pattern(&c.pattern, &c.event), want);
    }

    fn is_default_dialect(dialect: &Option<toml::Table>) -> bool {
        dialect.as_ref().is_none_or(|d| d.is_empty())
    }

    #[wasm_bindgen_test]
    fn conformance_cases() {
        let mut r = Report::default();
        let mut metric_cases = 0;
        let mut event_cases = 0;
        for (file, text) in CASE_FILES {
            let parsed: CaseFile = match toml::from_str(text) {
                Ok(parsed) => parsed,
                Err(e) => {
                    r.fail(file, format!("does not parse: {e}"));
                    continue;
                }
            };
            metric_cases += parsed.metric_case.len();
            for c in &parsed.case {
                if is_default_dialect(&c.dialect) {
                    r.cases += 1;
                    run_case(&mut r, c);
                } else {
                    r.skipped += 1;
                }
            }
            for c in &parsed.test_metric_filter {
                if is_default_dialect(&c.dialect) {
                    r.cases += 1;
                    run_test_metric_filter(&mut r, c);
                } else {
                    r.skipped += 1;
                }
            }
            for c in &parsed.event_case {
                r.cases += 1;
                event_cases += 1;
                run_event_case(&mut r, c);
            }
            for c in &parsed.test_event_pattern {
                r.cases += 1;
                event_cases += 1;
                run_test_event_pattern(&mut r, c);
            }
        }
        assert!(
            event_cases > 200,
            "only {event_cases} EventBridge cases ran"
        );
        console_log!(
            "wasm conformance: {} cases run ({} checks), {} skipped for their dialect, {} metric cases not applicable",
            r.cases,
            r.checks,
            r.skipped,
            metric_cases
        );
        assert!(r.cases > 300, "only {} cases ran", r.cases);
        if !r.failures.is_empty() {
            panic!(
                "{} of {} checks failed:\n- {}",
                r.failures.len(),
                r.checks,
                r.failures.join("\n- ")
            );
        }
    }

    #[wasm_bindgen_test]
    fn version_is_the_crate_version() {
        assert_eq!(trailmatch_wasm::version(), env!("CARGO_PKG_VERSION"));
    }

    #[wasm_bindgen_test]
    fn spans_are_utf16_offsets() {
        // 'é' is one UTF-16 code unit (two bytes), '😀' two code units (four bytes).
        let pattern = "{ $.a = \"é😀\" && $.b = %ab!% }";
        let d = checked(pattern).unwrap().diagnostic.expect("rejected");
        assert_eq!(d.code, "regex-character");
        let js = js_sys::JsString::from(pattern);
        let marked = String::from(js.slice(d.start, d.end));
        assert_eq!(marked, "!");
        let text = "{ $.a = \"é😀\" && $.b = 2 }";
        let p = Pattern::new(text).unwrap();
        let outcomes: Vec<ConditionOutcome> =
            from_js(p.explain(r#"{"a": "é😀", "b": 3}"#).into()).unwrap();
        let js = js_sys::JsString::from(text);
        let texts: Vec<String> = outcomes
            .iter()
            .map(|o| String::from(js.slice(o.start, o.end)))
            .collect();
        assert_eq!(texts, ["$.a = \"é😀\"", "$.b = 2"]);
        assert_eq!(
            outcomes.iter().map(|o| o.holds).collect::<Vec<_>>(),
            [true, false]
        );
    }

    #[wasm_bindgen_test]
    fn check_takes_event_patterns_and_their_errors() {
        let ok = checked(r#"{ "source" : ["aws.iam"] }"#).unwrap();
        assert!(ok.valid);
        assert_eq!(ok.kind.as_deref(), Some("event-pattern"));
        assert_eq!(ok.canonical.as_deref(), Some(r#"{"source":["aws.iam"]}"#));
        // 'é' before the error: the span is in UTF-16 code units.
        let text = r#"{"é": ["x"], "source": "aws.iam"}"#;
        let d = checked(text).unwrap().diagnostic.expect("rejected");
        assert_eq!(d.origin, "EventPattern");
        let js = js_sys::JsString::from(text);
        assert_eq!(String::from(js.slice(d.start, d.end)), r#""aws.iam""#);
        // A filter pattern is still a filter pattern.
        assert_eq!(
            checked("{ $.a = 1 }").unwrap().kind.as_deref(),
            Some("json")
        );
    }

    #[wasm_bindgen_test]
    fn event_patterns_explain_which_parts_held() {
        let text = r#"{"source": ["aws.iam"], "detail": {"userIdentity": {"type": ["Root"], "invokedBy": [{"exists": false}]}}}"#;
        let p = EventPattern::new(text).unwrap();
        let event = r#"{"source": "aws.iam", "detail": {"userIdentity": {"type": "IAMUser"}}}"#;
        let outcomes: Vec<ConditionOutcome> = from_js(p.explain(event).into()).unwrap();
        let js = js_sys::JsString::from(text);
        let seen: Vec<(String, String, bool)> = outcomes
            .iter()
            .map(|o| {
                (
                    o.condition.clone(),
                    String::from(js.slice(o.start, o.end)),
                    o.holds,
                )
            })
            .collect();
        assert_eq!(
            seen,
            [
                (
                    r#""source": ["aws.iam"]"#.to_owned(),
                    r#""aws.iam""#.to_owned(),
                    true
                ),
                (
                    r#""detail.userIdentity.type": ["Root"]"#.to_owned(),
                    r#""Root""#.to_owned(),
                    false
                ),
                (
                    r#""detail.userIdentity.invokedBy": [{"exists":false}]"#.to_owned(),
                    r#"{"exists": false}"#.to_owned(),
                    true
                ),
            ]
        );
        assert!(JsValue::from(p.explain("[1]")).is_null());
    }

    #[wasm_bindgen_test]
    fn as_event_wraps_cloudtrail_records() {
        #[derive(Debug, Deserialize)]
        struct AsEvent {
            kind: String,
            event: String,
            code: Option<String>,
            field: Option<String>,
        }
        let record = r#"{"eventVersion":"1.08","eventTime":"2024-08-01T13:33:28Z","eventSource":"iam.amazonaws.com","eventName":"CreateUser","awsRegion":"us-east-1","eventID":"e1","eventType":"AwsApiCall","recipientAccountId":"229654561268"}"#;
        let wrapped: AsEvent = from_js(as_event(record).into()).unwrap();
        assert_eq!(wrapped.kind, "wrapped");
        assert!(wrapped.event.contains(r#""detail-type":"AWS API Call via CloudTrail","source":"aws.iam","account":"229654561268""#));
        assert!(wrapped.event.ends_with(&format!(r#""detail":{record}}}"#)));
        let given = r#"{"source":"aws.iam","detail-type":"X","detail":{}}"#;
        let as_given: AsEvent = from_js(as_event(given).into()).unwrap();
        assert_eq!(
            (as_given.kind.as_str(), as_given.event.as_str()),
            ("as-given", given)
        );
        let broken: AsEvent = from_js(as_event(r#"{"eventVersion":"1.08"}"#).into()).unwrap();
        assert_eq!(broken.kind, "unwrappable");
        assert_eq!(
            (broken.code.as_deref(), broken.field.as_deref()),
            (Some("missing-field"), Some("eventType"))
        );
    }

    #[wasm_bindgen_test]
    fn extracted_values_keep_event_order() {
        let p = Pattern::new("[ip, user, ...]").unwrap();
        let values: JsValue = p.test("1.2.3.4 bob GET /").into();
        let keys: Vec<String> = js_sys::Object::keys(values.unchecked_ref::<js_sys::Object>())
            .iter()
            .map(|k| k.as_string().unwrap())
            .collect();
        assert_eq!(keys, ["$ip", "$user", "$3", "$4"]);
    }
}
