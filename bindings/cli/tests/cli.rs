//! Runs the built `trailmatch` binary as a user would.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::{Value, json};

mod common;
use common::{BIN, Run, run_in};

const EXAMPLE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/examples/unauthorized-api-calls.json"
);
const APACHE_404: &str =
    r#"127.0.0.1 - frank [10/Oct/2000:13:25:15 -0700] "GET /index.html HTTP/1.0" 404 1534"#;

impl Run {
    /// The stdout as JSON, after checking the run succeeded.
    fn json(&self) -> Value {
        assert_eq!(self.status, 0, "stderr: {}", self.stderr);
        assert_eq!(self.stderr, "");
        serde_json::from_str(&self.stdout).unwrap()
    }

    /// Checks the run failed with `status` and printed nothing on stdout.
    fn failed(&self, status: i32) -> &str {
        assert_eq!(self.status, status, "{self:?}");
        assert_eq!(self.stdout, "");
        &self.stderr
    }
}

fn run(args: &[&str]) -> Run {
    run_in(Path::new(env!("CARGO_MANIFEST_DIR")), args, None)
}

fn run_stdin(args: &[&str], stdin: &str) -> Run {
    run_in(
        Path::new(env!("CARGO_MANIFEST_DIR")),
        args,
        Some(stdin.as_bytes()),
    )
}

fn test_filter(pattern: &str, messages: &[&str]) -> Run {
    let mut args = vec!["test-metric-filter", "--filter-pattern", pattern];
    args.push("--log-event-messages");
    args.extend(messages);
    run(&args)
}

/// A file under Cargo's scratch directory for integration tests.
fn temp_file(name: &str, contents: &str) -> PathBuf {
    let path = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("cli-{name}"));
    std::fs::write(&path, contents).unwrap();
    path
}

fn event_numbers(response: &Value) -> Vec<u64> {
    response["matches"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["eventNumber"].as_u64().unwrap())
        .collect()
}

const TERM_MESSAGES: [&str; 3] = ["[ERROR] 400 BAD REQUEST", "[INFO] 200 OK", "[ERROR] 500"];

fn term_response() -> Value {
    json!({"matches": [
        {"eventNumber": 1, "eventMessage": "[ERROR] 400 BAD REQUEST", "extractedValues": {}},
        {"eventNumber": 3, "eventMessage": "[ERROR] 500", "extractedValues": {}},
    ]})
}

#[test]
fn term_pattern() {
    assert_eq!(test_filter("ERROR", &TERM_MESSAGES).json(), term_response());
}

#[test]
fn output_is_indented_by_four_spaces_like_the_aws_cli() {
    let expected = r#"{
    "matches": [
        {
            "eventNumber": 1,
            "eventMessage": "[ERROR] 400 BAD REQUEST",
            "extractedValues": {}
        },
        {
            "eventNumber": 3,
            "eventMessage": "[ERROR] 500",
            "extractedValues": {}
        }
    ]
}
"#;
    let out = test_filter("ERROR", &TERM_MESSAGES);
    assert_eq!(out.status, 0);
    assert_eq!(out.stdout, expected);
}

#[test]
fn no_match_prints_an_empty_list() {
    let out = test_filter("WARN", &TERM_MESSAGES);
    assert_eq!(out.status, 0);
    assert_eq!(out.stdout, "{\n    \"matches\": []\n}\n");
}

#[test]
fn regex_pattern() {
    let out = test_filter("%ERR[0-9]+%", &["ERR42 disk", "ERR disk", "ok"]);
    assert_eq!(
        out.json(),
        json!({"matches": [{"eventNumber": 1, "eventMessage": "ERR42 disk", "extractedValues": {}}]})
    );
}

#[test]
fn json_pattern() {
    let messages = [
        r#"{"level":"error","latency":250}"#,
        r#"{"level":"error","latency":50}"#,
        r#"{"level":"info","latency":500}"#,
        "not json",
    ];
    let out = test_filter(r#"{ $.level = "error" && $.latency > 100 }"#, &messages);
    assert_eq!(
        out.json(),
        json!({"matches": [{"eventNumber": 1, "eventMessage": messages[0], "extractedValues": {}}]})
    );
}

#[test]
fn delimited_pattern_extracts_values_in_event_order() {
    let ok = APACHE_404.replace(" 404 ", " 200 ");
    let out = test_filter(
        "[ip, id, user, timestamp, request, status_code=4*, size]",
        &[ok.as_str(), APACHE_404],
    );
    assert_eq!(
        out.json(),
        json!({"matches": [{
            "eventNumber": 2,
            "eventMessage": APACHE_404,
            "extractedValues": {
                "$ip": "127.0.0.1",
                "$id": "-",
                "$user": "frank",
                "$timestamp": "10/Oct/2000:13:25:15 -0700",
                "$request": "GET /index.html HTTP/1.0",
                "$status_code": "404",
                "$size": "1534",
            },
        }]})
    );
    let keys = [
        "$ip",
        "$id",
        "$user",
        "$timestamp",
        "$request",
        "$status_code",
    ];
    let at = |key: &str| out.stdout.find(&format!("\"{key}\"")).unwrap();
    assert!(keys.windows(2).all(|w| at(w[0]) < at(w[1])));
}

#[test]
fn messages_and_patterns_may_start_with_a_hyphen() {
    let out = test_filter("-ERROR", &["-1 error", "ERROR 2", "-3"]);
    assert_eq!(event_numbers(&out.json()), [1, 3]);
}

#[test]
fn an_option_after_the_messages_is_refused_not_swallowed() {
    let out = run(&[
        "test-metric-filter",
        "--log-event-messages",
        "a",
        "--filter-pattern",
        "ERROR",
    ]);
    let stderr = out.failed(2);
    assert!(stderr.contains("'--filter-pattern' follows --log-event-messages"));
}

#[test]
fn cli_input_json_from_a_file() {
    let request = json!({"filterPattern": "ERROR", "logEventMessages": TERM_MESSAGES});
    let path = temp_file("file.json", &request.to_string());
    let out = run(&[
        "test-metric-filter",
        "--cli-input-json",
        path.to_str().unwrap(),
    ]);
    assert_eq!(out.json(), term_response());
}

#[test]
fn cli_input_json_with_the_file_scheme() {
    let request = json!({"filterPattern": "ERROR", "logEventMessages": TERM_MESSAGES});
    let path = temp_file("scheme.json", &request.to_string());
    let arg = format!("file://{}", path.display());
    let out = run(&["test-metric-filter", "--cli-input-json", &arg]);
    assert_eq!(out.json(), term_response());
}

#[test]
fn cli_input_json_from_standard_input() {
    let request = json!({"filterPattern": "ERROR", "logEventMessages": TERM_MESSAGES});
    let out = run_stdin(
        &["test-metric-filter", "--cli-input-json", "-"],
        &request.to_string(),
    );
    assert_eq!(out.json(), term_response());
}

#[test]
fn cli_input_json_as_text() {
    let request = json!({"filterPattern": "ERROR", "logEventMessages": TERM_MESSAGES});
    let out = run(&[
        "test-metric-filter",
        "--cli-input-json",
        &request.to_string(),
    ]);
    assert_eq!(out.json(), term_response());
}

#[test]
fn command_line_options_override_the_json() {
    let request = json!({"filterPattern": "INFO", "logEventMessages": ["ERROR a", "INFO b"]});
    let path = temp_file("override.json", &request.to_string());
    let path = path.to_str().unwrap();
    let args = ["test-metric-filter", "--cli-input-json", path];

    let pattern = run(&[&args[..], &["--filter-pattern", "ERROR"]].concat());
    assert_eq!(event_numbers(&pattern.json()), [1]);

    let messages = run(&[&args[..], &["--log-event-messages", "x", "y INFO", "INFO"]].concat());
    assert_eq!(event_numbers(&messages.json()), [2, 3]);

    let both = [
        &args[..],
        &["--filter-pattern", "-INFO"],
        &["--log-event-messages", "INFO", "z"],
    ];
    assert_eq!(event_numbers(&run(&both.concat()).json()), [2]);
}

#[test]
fn members_missing_after_merging_are_named() {
    let path = temp_file("partial.json", r#"{"filterPattern": "ERROR"}"#);
    let out = run(&[
        "test-metric-filter",
        "--cli-input-json",
        path.to_str().unwrap(),
    ]);
    let stderr = out.failed(2);
    assert!(stderr.contains("logEventMessages"), "{stderr}");
    assert!(!stderr.contains("filterPattern"), "{stderr}");

    let out = run(&["test-metric-filter", "--log-event-messages", "a"]);
    assert!(out.failed(2).contains("no filterPattern"));

    let out = run(&["test-metric-filter"]);
    let stderr = out.failed(2);
    assert!(stderr.contains("filterPattern") && stderr.contains("logEventMessages"));
}

#[test]
fn unknown_json_member_is_an_error_naming_it() {
    let request = r#"{"filterPattern": "ERROR", "logEventMessages": ["a"], "logGroupName": "x"}"#;
    let out = run_stdin(&["test-metric-filter", "--cli-input-json", "-"], request);
    assert_eq!(
        out.failed(2),
        "error: standard input: unknown field `logGroupName`, expected `filterPattern` or \
         `logEventMessages` at line 1 column 68\n"
    );
}

#[test]
fn malformed_json_is_an_invalid_request() {
    for (name, text, expected) in [
        (
            "syntax",
            r#"{"filterPattern": "#,
            " is not valid JSON: EOF while parsing a value at line 1 column 18",
        ),
        (
            "array",
            r#"["ERROR"]"#,
            ": invalid type: sequence, expected a TestMetricFilter request: an object with the \
             members filterPattern and logEventMessages",
        ),
        (
            "type",
            r#"{"filterPattern": 1, "logEventMessages": ["a"]}"#,
            ": invalid type: integer `1`, expected filterPattern as a string at line 1 column 19",
        ),
        (
            "items",
            r#"{"filterPattern": "a", "logEventMessages": [1]}"#,
            ": invalid type: integer `1`, expected a string in logEventMessages at line 1 column 45",
        ),
    ] {
        let path = temp_file(&format!("bad-{name}.json"), text);
        let path = path.to_str().unwrap();
        let out = run(&["test-metric-filter", "--cli-input-json", path]);
        let stderr = out.failed(2);
        assert!(
            stderr.starts_with(&format!("error: {path}{expected}")),
            "{stderr}"
        );
    }
}

#[test]
fn bundled_example_runs_from_the_workspace_root() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let args = [
        "test-metric-filter",
        "--cli-input-json",
        "bindings/cli/examples/unauthorized-api-calls.json",
    ];
    let response = run_in(&root, &args, None).json();
    assert_eq!(event_numbers(&response), [2, 3, 5, 7, 9]);
    for m in response["matches"].as_array().unwrap() {
        assert_eq!(m["extractedValues"], json!({}));
        let record: Value = serde_json::from_str(m["eventMessage"].as_str().unwrap()).unwrap();
        let code = record["errorCode"].as_str().unwrap();
        assert!(code.ends_with("UnauthorizedOperation") || code.starts_with("AccessDenied"));
    }
}

#[test]
fn bundled_example_holds_real_records_only() {
    let request: Value = serde_json::from_str(&std::fs::read_to_string(EXAMPLE).unwrap()).unwrap();
    let messages = request["logEventMessages"].as_array().unwrap();
    assert!((8..=12).contains(&messages.len()));
    for message in messages {
        let text = message.as_str().unwrap();
        let record: Value = serde_json::from_str(text).unwrap();
        assert_eq!(
            serde_json::to_string(&record).ok().map(|s| s.len()),
            Some(text.len())
        );
        assert!(record["eventID"].is_string());
    }
}

const STATUS_TIMEOUT_ERROR: &str = "\
error[invalid-character]: Invalid character(s) in term ':'
 --> filterPattern:1:8
  |
1 | ?Status: timeout
  |        ^
  = help: text with characters other than letters, digits and '_' must be double-quoted
";

#[test]
fn invalid_pattern_prints_the_caret_diagnostic() {
    let out = test_filter("?Status: timeout", &["Status: timeout"]);
    assert_eq!(out.failed(2), STATUS_TIMEOUT_ERROR);
}

#[test]
fn invalid_pattern_is_reported_as_the_library_renders_it() {
    let pattern = "{ $.a = 1 $.b = 2 }";
    let expected = trailmatch::Pattern::new(pattern).unwrap_err();
    let out = test_filter(pattern, &["{}"]);
    assert_eq!(out.failed(2), format!("{expected}\n"));
}

#[test]
fn more_than_fifty_messages_is_refused_with_the_library_message() {
    let messages: Vec<String> = (1..=51).map(|n| format!("ERROR {n}")).collect();
    let refs: Vec<&str> = messages.iter().map(String::as_str).collect();
    let expected = trailmatch::test_metric_filter("ERROR", &messages).unwrap_err();
    let out = test_filter("ERROR", &refs);
    let stderr = out.failed(2);
    assert_eq!(stderr, format!("{expected}\n"));
    assert!(stderr.contains("Member must have length less than or equal to 50"));
}

#[test]
fn empty_message_list_is_refused() {
    let request = r#"{"filterPattern": "ERROR", "logEventMessages": []}"#;
    let out = run(&["test-metric-filter", "--cli-input-json", request]);
    assert!(
        out.failed(2)
            .starts_with("error[invalid-log-event-messages]")
    );
}

#[test]
fn missing_file_exits_1_naming_it() {
    for arg in ["no-such-request.json", "file://no-such-request.json"] {
        let out = run(&["test-metric-filter", "--cli-input-json", arg]);
        let stderr = out.failed(1);
        assert!(stderr.contains("no-such-request.json"), "{stderr}");
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
    }
}

#[test]
fn check_valid_patterns() {
    for (pattern, expected) in [
        ("ERROR", "kind: terms\ncanonical: ERROR\n"),
        ("%ERR[0-9]+%", "kind: regex\ncanonical: %ERR[0-9]+%\n"),
        ("{$.a=1}", "kind: json\ncanonical: { $.a = 1 }\n"),
        ("-ERROR", "kind: terms\ncanonical: -ERROR\n"),
    ] {
        let out = run(&["check", pattern]);
        assert_eq!(
            (out.status, out.stdout.as_str()),
            (0, expected),
            "{pattern}"
        );
    }
    let out = run(&["check", "[ip, user, status_code=4*]"]);
    assert!(
        out.stdout
            .starts_with("kind: delimited\ncanonical: [ip, user, status_code")
    );
}

#[test]
fn check_reads_the_pattern_from_standard_input() {
    let out = run_stdin(&["check", "-"], "{ $.errorCode = \"AccessDenied*\" }\n");
    assert_eq!(out.status, 0, "{}", out.stderr);
    assert_eq!(
        out.stdout,
        "kind: json\ncanonical: { $.errorCode = \"AccessDenied*\" }\n"
    );
    // A byte order mark at the start is no part of the pattern, as in a pattern list.
    let out = run_stdin(&["check", "-"], "\u{feff}{ $.a = 1 }\r\n");
    assert_eq!(out.status, 0, "{}", out.stderr);
    assert_eq!(out.stdout, "kind: json\ncanonical: { $.a = 1 }\n");
}

#[test]
fn check_invalid_pattern() {
    assert_eq!(
        run(&["check", "?Status: timeout"]).failed(2),
        STATUS_TIMEOUT_ERROR
    );
    let out = run_stdin(&["check", "-"], "?Status: timeout\n");
    assert_eq!(out.failed(2), STATUS_TIMEOUT_ERROR);
}

#[test]
fn help_on_every_command_shows_an_example() {
    for args in [
        &["--help"][..],
        &["test-metric-filter", "--help"],
        &["check", "--help"],
        &["help", "check"],
    ] {
        let out = run(args);
        assert_eq!(out.status, 0, "{args:?}");
        assert!(out.stdout.contains("Examples:\n  trailmatch "), "{args:?}");
    }
}

#[test]
fn version() {
    let out = run(&["--version"]);
    assert_eq!(out.status, 0);
    assert_eq!(
        out.stdout,
        format!("trailmatch {}\n", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn usage_errors_exit_2() {
    assert_eq!(run(&["check"]).status, 2);
    assert_eq!(run(&["frobnicate"]).status, 2);
    assert_eq!(
        run(&["test-metric-filter", "--log-event-messages"]).status,
        2
    );
}

#[test]
fn a_closed_standard_output_ends_the_program_quietly() {
    let message = format!("ERROR {}", "x".repeat(20_000));
    let mut child = Command::new(BIN)
        .args(["test-metric-filter", "--filter-pattern", "ERROR"])
        .arg("--log-event-messages")
        .args(std::iter::repeat_n(&message, 50))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let mut start = [0; 16];
    stdout.read_exact(&mut start).unwrap();
    drop(stdout);
    let out = child.wait_with_output().unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stderr), "");
    assert_eq!(out.status.code(), Some(0));
}

// ---- test-event-pattern and check on event patterns ---------------------------------------------

/// An event with the fields TestEventPattern requires: a CloudTrail call as EventBridge
/// delivers it.
const EVENTBRIDGE_EVENT: &str = r#"{"version": "0", "id": "6a7e8feb-b491-4cf7-a9f1-bf3703467718", "detail-type": "AWS API Call via CloudTrail", "source": "aws.iam", "account": "111122223333", "time": "2024-03-01T12:00:00Z", "region": "us-east-1", "resources": [], "detail": {"eventName": "DeleteRolePolicy", "errorCode": "AccessDenied"}}"#;

#[test]
fn test_event_pattern_answers_as_the_aws_cli() {
    let pattern =
        r#"{"source": ["aws.iam"], "detail": {"errorCode": [{"prefix": "AccessDenied"}]}}"#;
    let yes = run(&[
        "test-event-pattern",
        "--event-pattern",
        pattern,
        "--event",
        EVENTBRIDGE_EVENT,
    ]);
    assert_eq!(
        (yes.status, yes.stdout.as_str()),
        (0, "{\n    \"Result\": true\n}\n")
    );
    let other = r#"{"source": ["aws.s3"]}"#;
    let no = run(&[
        "test-event-pattern",
        "--event-pattern",
        other,
        "--event",
        EVENTBRIDGE_EVENT,
    ]);
    assert_eq!(
        (no.status, no.stdout.as_str()),
        (0, "{\n    \"Result\": false\n}\n")
    );
}

#[test]
fn test_event_pattern_reads_files_and_cli_input_json() {
    let event = temp_file("eventbridge-event.json", EVENTBRIDGE_EVENT);
    let file_event = format!("file://{}", event.display());
    let pattern = r#"{"detail-type": ["AWS API Call via CloudTrail"]}"#;
    let from_file = run(&[
        "test-event-pattern",
        "--event-pattern",
        pattern,
        "--event",
        &file_event,
    ]);
    assert_eq!(from_file.json(), json!({"Result": true}));

    let request = json!({"EventPattern": pattern, "Event": EVENTBRIDGE_EVENT}).to_string();
    let from_json = run(&["test-event-pattern", "--cli-input-json", &request]);
    assert_eq!(from_json.json(), json!({"Result": true}));

    // An option replaces the request's member.
    let replaced = run(&[
        "test-event-pattern",
        "--cli-input-json",
        &request,
        "--event-pattern",
        r#"{"source": ["aws.ec2"]}"#,
    ]);
    assert_eq!(replaced.json(), json!({"Result": false}));

    let from_stdin = run_stdin(&["test-event-pattern", "--cli-input-json", "-"], &request);
    assert_eq!(from_stdin.json(), json!({"Result": true}));
}

#[test]
fn test_event_pattern_errors_name_what_is_wrong() {
    // An invalid pattern: EventBridge's reason, the code, a caret under the value.
    let bad = run(&[
        "test-event-pattern",
        "--event-pattern",
        r#"{"source": "aws.s3"}"#,
        "--event",
        EVENTBRIDGE_EVENT,
    ]);
    let stderr = bad.failed(2);
    assert!(stderr.contains("Event pattern is not valid."), "{stderr}");
    assert!(stderr.contains("error[event-pattern-"), "{stderr}");
    assert!(
        stderr.contains("1 | {\"source\": \"aws.s3\"}\n  |            ^^^^^^^^"),
        "{stderr}"
    );

    // An event without a field the API requires.
    let no_time =
        r#"{"id": "1", "account": "1", "source": "aws.s3", "region": "r", "detail-type": "x"}"#;
    let event = run(&[
        "test-event-pattern",
        "--event-pattern",
        r#"{"source": ["aws.s3"]}"#,
        "--event",
        no_time,
    ]);
    let stderr = event.failed(2);
    assert!(stderr.contains("Parameter Event is not valid."), "{stderr}");
    assert!(stderr.contains("no \"time\" field"), "{stderr}");

    // Missing members, unknown members, unreadable files.
    let stderr = run(&["test-event-pattern", "--event", EVENTBRIDGE_EVENT])
        .failed(2)
        .to_owned();
    assert!(
        stderr.contains("no EventPattern: give --event-pattern"),
        "{stderr}"
    );
    let stderr = run(&["test-event-pattern"]).failed(2).to_owned();
    assert!(stderr.contains("no EventPattern and no Event"), "{stderr}");
    let unknown = run(&["test-event-pattern", "--cli-input-json", r#"{"Name": "x"}"#]);
    assert!(
        unknown.failed(2).contains("unknown field `Name`"),
        "{unknown:?}"
    );
    let missing = run(&[
        "test-event-pattern",
        "--event-pattern",
        "file:///nonexistent/p.json",
        "--event",
        "{}",
    ]);
    assert!(
        missing
            .failed(1)
            .contains("cannot read /nonexistent/p.json (--event-pattern)"),
        "{missing:?}"
    );
}

#[test]
fn check_tells_event_patterns_from_filter_patterns() {
    let ok = run(&[
        "check",
        r#"{"source": ["aws.ec2"], "$or": [{"a": [1]}, {"b": [{"exists": false}]}]}"#,
    ]);
    assert_eq!(ok.status, 0, "{ok:?}");
    let lines: Vec<&str> = ok.stdout.lines().collect();
    assert_eq!(lines[..2], ["kind: event-pattern", "rules: 2"]);
    // The canonical form is an event pattern too, with the same canonical form.
    let canonical = lines[2].strip_prefix("canonical: ").unwrap();
    let again = run(&["check", canonical]);
    assert_eq!(again.stdout, ok.stdout);
    // A JSON filter pattern is still one.
    let filter = run(&["check", r#"{ $.source = "aws.ec2" }"#]);
    assert_eq!(
        filter.stdout,
        "kind: json\ncanonical: { $.source = \"aws.ec2\" }\n"
    );
    // An invalid event pattern is reported as one, not as a filter pattern.
    let bad = run(&["check", r#"{"source": [{"prefix": 1}]}"#]);
    let stderr = bad.failed(2);
    assert!(stderr.contains("--> EventPattern:1:"), "{stderr}");
}
