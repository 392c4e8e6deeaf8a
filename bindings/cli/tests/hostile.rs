//! Issue 19: log content must never steer the tool. CloudTrail fields are written by whoever
//! makes the API call and rules files by whoever commits them; through the built binary, each
//! test feeds such text to one boundary (an HTTP header, the terminal, a rules error) and checks
//! that it arrives escaped or refused, and that a failing notification target costs neither the
//! report nor the other targets. Webhooks are local listeners on 127.0.0.1, bounded in time.

mod common;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use common::{BIN, Run, named, run_in};
use serde_json::Value;

fn scratch(name: &str) -> PathBuf {
    let dir =
        std::env::temp_dir().join(format!("trailmatch-hostile-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn run(args: &[&str]) -> Run {
    run_in(Path::new("."), args, None)
}

/// Three StopLogging calls (CIS 5.5 fires once) with these account and region fields.
fn records(account: &str, region: &str) -> String {
    (0..3)
        .map(|i| {
            serde_json::json!({
                "eventTime": format!("2026-11-23T10:0{i}:00Z"),
                "eventSource": "cloudtrail.amazonaws.com",
                "eventName": "StopLogging",
                "readOnly": false,
                "awsRegion": region,
                "recipientAccountId": account,
            })
            .to_string()
                + "\n"
        })
        .collect()
}

/// A webhook on 127.0.0.1 that answers every request with `status` (or never answers, with
/// `None`) until [`Receiver::finish`] (called once the command has exited), which hands back
/// the raw requests it read.
struct Receiver {
    url: String,
    stop: Arc<AtomicBool>,
    requests: std::thread::JoinHandle<Vec<String>>,
}

impl Receiver {
    fn finish(self) -> Vec<String> {
        self.stop.store(true, Ordering::SeqCst);
        self.requests.join().unwrap()
    }
}

fn receiver(status: Option<&'static str>) -> Receiver {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let url = format!("http://{}/sns", listener.local_addr().unwrap());
    let stop = Arc::new(AtomicBool::new(false));
    let stopped = Arc::clone(&stop);
    let requests = std::thread::spawn(move || {
        let mut requests = Vec::new();
        let mut held = Vec::new();
        let hard_stop = Instant::now() + Duration::from_secs(120);
        while !stopped.load(Ordering::SeqCst) && Instant::now() < hard_stop {
            match listener.accept() {
                Ok((conn, _)) => {
                    requests.push(read_request(&conn));
                    match status {
                        Some(line) => {
                            let mut conn = conn;
                            let _ = conn.write_all(
                                format!("{line}\r\nContent-Length: 0\r\n\r\n").as_bytes(),
                            );
                            // Close gently: a reset could reach the client before the answer.
                            let _ = conn.shutdown(std::net::Shutdown::Write);
                            let _ = conn.set_read_timeout(Some(Duration::from_millis(500)));
                            let _ = conn.read(&mut [0u8; 1024]);
                        }
                        None => held.push(conn),
                    }
                }
                Err(_) => std::thread::sleep(Duration::from_millis(20)),
            }
        }
        requests
    });
    Receiver {
        url,
        stop,
        requests,
    }
}

fn read_request(mut conn: &TcpStream) -> String {
    conn.set_nonblocking(false).unwrap();
    conn.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut request = Vec::new();
    let mut buf = [0u8; 8192];
    while let Ok(n) = conn.read(&mut buf) {
        if n == 0 {
            break;
        }
        request.extend_from_slice(&buf[..n]);
        let text = String::from_utf8_lossy(&request).into_owned();
        if let Some((head, body)) = text.split_once("\r\n\r\n") {
            let length: usize = head
                .lines()
                .find_map(|l| {
                    let (name, value) = l.split_once(": ")?;
                    name.eq_ignore_ascii_case("content-length")
                        .then(|| value.parse().ok())?
                })
                .unwrap_or(0);
            if body.len() >= length {
                break;
            }
        }
    }
    String::from_utf8_lossy(&request).into_owned()
}

/// The header lines of a request, checked to be one header per line.
fn headers(request: &str) -> Vec<&str> {
    let head = request.split_once("\r\n\r\n").unwrap().0;
    let lines: Vec<&str> = head.split("\r\n").skip(1).collect();
    for line in &lines {
        assert!(!line.contains(['\r', '\n']), "{line:?}");
        assert!(line.contains(": "), "not a header: {line:?}");
    }
    lines
}

fn failures(report: &Value) -> Vec<(String, String, String)> {
    report["notifications"]["failed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["target"].as_str().unwrap().to_owned(),
                f["code"].as_str().unwrap().to_owned(),
                f["reason"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

/// Point 1: a `recipientAccountId` with CR LF and a header, or an `AlarmActions` ARN that
/// smuggles a second request, never reaches the wire: the account is not a 12-digit id, so it
/// is not used; the ARN is not an SNS topic ARN, so no message is sent for it, and the report
/// lists why (exit 3). A valid account in the same run gets its message with one header per
/// line.
#[test]
fn header_injection_from_records_and_rules_never_reaches_the_wire() {
    let dir = scratch("headers");
    let hostile = dir.join("hostile.jsonl");
    std::fs::write(
        &hostile,
        records("111122223333\r\nX-From-Log: yes", "us-east-1"),
    )
    .unwrap();
    let webhook = receiver(Some("HTTP/1.1 200 OK"));
    let run1 = run(&[
        "scan",
        hostile.to_str().unwrap(),
        "--no-insights",
        "--format",
        "json",
        "--notify",
        &webhook.url,
    ]);
    assert_eq!(run1.status, 3, "{}", run1.stderr);
    let report: Value = serde_json::from_str(&run1.stdout).unwrap();
    assert_eq!(report["account_id"], Value::Null);
    let failed = failures(&report);
    assert_eq!(failed.len(), 1, "{failed:?}");
    assert_eq!(failed[0].1, "invalid-topic-arn");
    assert!(failed[0].2.contains("give --account-id"), "{failed:?}");
    assert!(
        run1.stderr.contains("1 of 1 alarm notifications"),
        "{}",
        run1.stderr
    );
    assert!(webhook.finish().is_empty());

    // A rules file whose AlarmActions ARN holds a request of its own.
    let rules = dir.join("rules.toml");
    std::fs::write(
        &rules,
        r#"include = ["cis"]
[[MetricAlarms]]
AlarmName = "smuggler"
MetricName = "cloudtrail_cfg_changes_metric"
Namespace = "CISBenchmark"
Statistic = "Sum"
Period = 300
EvaluationPeriods = 1
Threshold = 1
ComparisonOperator = "GreaterThanOrEqualToThreshold"
AlarmActions = ["arn:aws:sns:us-east-1:111122223333:t\r\n\r\nGET /smuggled HTTP/1.1"]
"#,
    )
    .unwrap();
    let good = dir.join("good.jsonl");
    std::fs::write(&good, records("111122223333", "us-east-1")).unwrap();
    let webhook = receiver(Some("HTTP/1.1 200 OK"));
    let run2 = run(&[
        "scan",
        good.to_str().unwrap(),
        "--rules",
        rules.to_str().unwrap(),
        "--no-insights",
        "--format",
        "json",
        "--notify",
        &webhook.url,
    ]);
    assert_eq!(run2.status, 3, "{}", run2.stderr);
    let report: Value = serde_json::from_str(&run2.stdout).unwrap();
    let failed = failures(&report);
    assert_eq!(failed.len(), 1, "{failed:?}");
    assert_eq!(
        (failed[0].0.as_str(), failed[0].1.as_str()),
        ("*", "invalid-topic-arn")
    );
    assert!(failed[0].2.contains("topic name"), "{failed:?}");
    assert!(!failed[0].2.contains(['\r', '\n']), "{failed:?}");
    assert_eq!(
        report["notifications"]["delivered"]
            .as_array()
            .map(Vec::len),
        Some(1)
    );
    // The CIS alarm's message arrived, alone and well formed.
    let requests = webhook.finish();
    assert_eq!(requests.len(), 1, "{requests:?}");
    assert!(!requests[0].contains("smuggled"));
    let topic: Vec<&str> = headers(&requests[0])
        .into_iter()
        .filter(|h| h.starts_with("x-amz-sns-topic-arn: "))
        .collect();
    assert_eq!(
        topic,
        ["x-amz-sns-topic-arn: arn:aws:sns:us-east-1:111122223333:cis-alarms"]
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Point 3: a webhook answering 500 costs neither the report (text or JSON) nor the file
/// target, which gets every message; the failures are listed with their reason, exit 3.
/// (`--retries 0`: the retries of a 5xx have their own test in `delivery.rs`.)
#[test]
fn a_failing_webhook_costs_neither_the_report_nor_the_other_targets() {
    let dir = scratch("500");
    let file = dir.join("sns.jsonl");
    let webhook = receiver(Some("HTTP/1.1 500 Internal Server Error"));
    let run1 = run(&[
        "scan",
        "--format",
        "json",
        "--retries",
        "0",
        "--notify",
        &webhook.url,
        "--notify",
        file.to_str().unwrap(),
    ]);
    assert_eq!(run1.status, 3, "{}", run1.stderr);
    let report: Value = serde_json::from_str(&run1.stdout).unwrap();
    assert_eq!(
        report["records"]["read"].as_u64().map(|n| n > 0),
        Some(true)
    );
    let failed = failures(&report);
    assert_eq!(failed.len(), 4, "{failed:?}");
    for (target, code, reason) in &failed {
        assert_eq!(target, &webhook.url);
        assert_eq!(code, "http-status", "{reason}");
        assert_eq!(reason, "HTTP 500 Internal Server Error");
    }
    assert_eq!(
        report["notifications"]["delivered"]
            .as_array()
            .map(Vec::len),
        Some(4)
    );
    assert_eq!(std::fs::read_to_string(&file).unwrap().lines().count(), 4);
    assert_eq!(webhook.finish().len(), 4);
    // The text report lists them too.
    let webhook = receiver(Some("HTTP/1.1 502 Oops"));
    let run2 = run(&["scan", "--retries", "0", "--notify", &webhook.url]);
    assert_eq!(run2.status, 3, "{}", run2.stderr);
    assert!(
        run2.stdout.contains("Alarms: 4 of 15 fired"),
        "{}",
        run2.stdout
    );
    assert!(
        run2.stdout.contains("Notifications not delivered: 4"),
        "{}",
        run2.stdout
    );
    assert!(
        run2.stdout
            .contains(": HTTP 502 Bad Gateway [http-status]\n"),
        "{}",
        run2.stdout
    );
    webhook.finish();
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Point 3: a webhook that accepts and never answers is reported as timed out (after 10 s,
/// once and not retried: the other messages to it are `not-attempted`, so the run does not
/// wait 10 s for each) and the report is printed.
#[test]
fn a_webhook_that_never_answers_times_out() {
    let webhook = receiver(None);
    let run1 = run(&["scan", "--format", "json", "--notify", &webhook.url]);
    assert_eq!(run1.status, 3, "{}", run1.stderr);
    let report: Value = serde_json::from_str(&run1.stdout).unwrap();
    let failed = failures(&report);
    assert_eq!(failed.len(), 4, "{failed:?}");
    assert_eq!(failed[0].1, "timed-out");
    assert_eq!(failed[0].2, "timed out after 10 s without an answer");
    assert_eq!(report["notifications"]["failed"][0]["attempts"], 1);
    assert_eq!(report["notifications"]["failed"][1]["attempts"], 0);
    assert!(
        failed[1..].iter().all(|f| f.1 == "not-attempted"),
        "{failed:?}"
    );
    assert!(!run1.stderr.contains("os error"), "{}", run1.stderr);
    webhook.finish();
}

/// True when `text` holds a control character other than a line feed.
fn has_controls(text: &str) -> bool {
    text.chars().any(|c| c.is_control() && c != '\n')
}

/// Point 5: control sequences in records and rules reach the terminal escaped: no window title,
/// no cleared screen, no forged line.
#[test]
fn control_characters_from_records_and_rules_are_escaped() {
    let dir = scratch("terminal");
    let logs = dir.join("t.jsonl");
    std::fs::write(
        &logs,
        records(
            "\u{1b}]0;owned\u{7}\u{1b}[2J",
            "us-east-1\r\nAlarms: 15 of 15 fired",
        ),
    )
    .unwrap();
    let rules = dir.join("r.toml");
    std::fs::write(
        &rules,
        "[[metricFilters]]\nfilterName = \"stop\\u001b[31m\\r\\nRules: forged\"\nfilterPattern = '{ $.eventName = \"StopLogging\" }'\nmetricTransformations = [{ metricName = \"M\", metricNamespace = \"N\", metricValue = \"1\" }]\n",
    )
    .unwrap();
    let out = run(&[
        "scan",
        logs.to_str().unwrap(),
        "--rules",
        rules.to_str().unwrap(),
        "--no-insights",
    ]);
    assert_eq!(out.status, 0, "{}", out.stderr);
    assert!(!has_controls(&out.stdout), "{:?}", out.stdout);
    assert!(
        out.stdout
            .contains("stop\\u{1b}[31m\\u{d}\\u{a}Rules: forged"),
        "{}",
        out.stdout
    );
    assert!(!out.stdout.lines().any(|l| l.starts_with("Rules: forged")));
    assert!(!out.stdout.contains("15 of 15"), "{}", out.stdout);
    // A rules error echoes the file's names escaped.
    std::fs::write(
        &rules,
        "[[metricFilters]]\n\"x\\u001b]0;owned\\u0007\" = 1\n",
    )
    .unwrap();
    let out = run(&[
        "scan",
        logs.to_str().unwrap(),
        "--rules",
        rules.to_str().unwrap(),
    ]);
    assert_eq!(out.status, 2);
    assert!(!has_controls(&out.stderr), "{:?}", out.stderr);
    assert!(
        out.stderr.contains("x\\u{1b}]0;owned\\u{7}"),
        "{}",
        out.stderr
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Point 4: through the command, a JSON rules file's mistakes are reported with their code,
/// line and column, not as "holds no metric filter or alarm"; an empty rules file is an error.
#[test]
fn json_rules_mistakes_are_reported_where_they_are() {
    let dir = scratch("json-rules");
    let rules = dir.join("rules.json");
    let good = r#"{
  "metricFilters": [
    {"filterName": "a", "filterPattern": "{ $.eventName = \"StopLogging\" }",
     "metricTransformations": [{"metricName": "A", "metricNamespace": "N", "metricValue": "1"}]}
  ],
  "MetricAlarms": [
    {"AlarmName": "a", "MetricName": "A", "Namespace": "N", "Statistic": "Sum",
     "Period": 300, "EvaluationPeriods": 1, "Threshold": 1.0,
     "ComparisonOperator": "GreaterThanOrEqualToThreshold"}
  ]
}"#;
    let path = rules.to_str().unwrap();
    for (text, expected) in [
        (
            good.replace("\"1\"}]}\n  ],", "\"1\"}]},\n  ],"),
            "rules.json:5:3: error[invalid-json]",
        ),
        (
            good.replace("\"filterPattern\"", "\"filterPatern\""),
            "rules.json:3:38: error[unknown-member]: unknown member `filterPatern`",
        ),
        (
            good.replace("\"Statistic\"", "\"Statistc\""),
            "rules.json:7:70: error[unknown-member]: unknown member `Statistc`",
        ),
        (
            good.replace("\"Period\": 300", "\"Period\": \"60\""),
            "rules.json:8:19: error[wrong-type]: `Period`: invalid type",
        ),
        (String::new(), "error[empty-rules]"),
    ] {
        std::fs::write(&rules, &text).unwrap();
        let out = run(&["scan", "--rules", path]);
        assert_eq!(out.status, 2, "{text}");
        assert!(out.stderr.contains(expected), "{expected}\n{}", out.stderr);
        assert!(
            !out.stderr.contains("holds no metric filter"),
            "{}",
            out.stderr
        );
    }
    // A byte-order mark is accepted.
    std::fs::write(&rules, format!("\u{feff}{good}")).unwrap();
    let out = run(&["scan", "--rules", path, "--no-insights", "--format", "json"]);
    assert_eq!(out.status, 0, "{}", out.stderr);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Point 10: `scan --notify - | head -1` exits 0 like `scan | head -1`. The alarm changes
/// state every minute for ten hours, with five topics per state: megabytes of notifications,
/// so that the pipe is closed while they are being written.
#[test]
fn notifications_to_a_closed_pipe_end_quietly() {
    let dir = scratch("pipe");
    let logs = dir.join("t.jsonl");
    let lines: String = (0..600)
        .map(|m| {
            let name = if m % 2 == 0 { "StopLogging" } else { "DescribeTrails" };
            format!(
                "{{\"eventTime\":\"2026-11-23T{:02}:{:02}:00Z\",\"eventName\":\"{name}\",\"readOnly\":false}}\n",
                m / 60,
                m % 60
            )
        })
        .collect();
    std::fs::write(&logs, lines).unwrap();
    let topics: Vec<String> = (0..5)
        .map(|i| format!("\"arn:aws:sns:us-east-1:111122223333:t{i}\""))
        .collect();
    let rules = dir.join("r.toml");
    std::fs::write(
        &rules,
        format!(
            "[[metricFilters]]\nfilterName = \"stop\"\nfilterPattern = '{{ $.eventName = \"StopLogging\" }}'\nmetricTransformations = [{{ metricName = \"M\", metricNamespace = \"N\", metricValue = \"1\" }}]\n[[MetricAlarms]]\nAlarmName = \"a\"\nMetricName = \"M\"\nNamespace = \"N\"\nStatistic = \"Sum\"\nPeriod = 60\nEvaluationPeriods = 1\nThreshold = 1\nComparisonOperator = \"GreaterThanOrEqualToThreshold\"\nTreatMissingData = \"notBreaching\"\nAlarmActions = [{t}]\nOKActions = [{t}]\n",
            t = topics.join(", ")
        ),
    )
    .unwrap();
    let mut child = Command::new(BIN)
        .args([
            "scan",
            logs.to_str().unwrap(),
            "--rules",
            rules.to_str().unwrap(),
        ])
        .args(["--no-insights", "--notify", "-"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let mut first = [0u8; 1];
    stdout.read_exact(&mut first).unwrap();
    drop(stdout);
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stderr.is_empty(), "{stderr}");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Point 10: `check -` with nothing on standard input (empty or closed) is an error, not the
/// match-all pattern; an empty line still is the empty pattern.
#[test]
fn check_with_no_pattern_on_standard_input() {
    let out = run_in(Path::new("."), &["check", "-"], None);
    assert_eq!(out.status, 2, "{}", out.stdout);
    assert!(
        out.stderr.contains("no pattern read from standard input"),
        "{}",
        out.stderr
    );
    let closed = Command::new("sh")
        .args(["-c", &format!("'{BIN}' check - <&-")])
        .output()
        .unwrap();
    assert_eq!(closed.status.code(), Some(2));
    let out = run_in(Path::new("."), &["check", "-"], Some(b"\n"));
    assert_eq!(
        (out.status, out.stdout.as_str()),
        (0, "kind: match-all\ncanonical: \n")
    );
}

/// Point 10: an array index too large for the engine is an error, not clamped.
#[test]
fn a_huge_array_index_is_an_error() {
    let out = run(&["check", "{ $.a[99999999999999999999] = 1 }"]);
    assert_eq!(out.status, 2, "{}", out.stdout);
    assert!(
        out.stderr.contains("error[invalid-selector]"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("is too large"), "{}", out.stderr);
    // The bound is the same on every platform (wasm32's usize is 32 bits).
    let out = run(&["check", "{ $.a[4294967295] = 1 }"]);
    assert_eq!(out.status, 0, "{}", out.stderr);
    let out = run(&["check", "{ $.a[4294967296] = 1 }"]);
    assert_eq!(out.status, 2, "{}", out.stdout);
    assert!(
        out.stderr.contains("(at most 4294967295)"),
        "{}",
        out.stderr
    );
}

/// Point 10: when every record is filtered out, the JSON report names no invented account or
/// region; an `eventTime` in the last minute of 9999 gives no state change after it (RFC 3339
/// cannot write year 10000).
#[test]
fn no_invented_account_and_no_year_10000() {
    let dir = scratch("edges");
    let logs = dir.join("t.jsonl");
    std::fs::write(&logs, records("111122223333", "eu-west-1")).unwrap();
    let out = run(&[
        "scan",
        logs.to_str().unwrap(),
        "--access",
        "read",
        "--format",
        "json",
    ]);
    assert_eq!(out.status, 0, "{}", out.stderr);
    let report: Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(report["records"]["filtered"], 3);
    assert_eq!(
        (&report["account_id"], &report["region"]),
        (&Value::Null, &Value::Null)
    );
    let late = records("111122223333", "eu-west-1")
        .replace("2026-11-23T10:00:00Z", "9999-12-31T23:57:00Z")
        .replace("2026-11-23T10:01:00Z", "9999-12-31T23:58:00Z")
        .replace("2026-11-23T10:02:00Z", "9999-12-31T23:59:59Z");
    std::fs::write(&logs, late).unwrap();
    let out = run(&[
        "scan",
        logs.to_str().unwrap(),
        "--no-insights",
        "--format",
        "json",
    ]);
    assert_eq!(out.status, 0, "{}", out.stderr);
    let report: Value = serde_json::from_str(&out.stdout).unwrap();
    for alarm in report["alarms"].as_array().unwrap() {
        for t in alarm["transitions"].as_array().unwrap() {
            let time = t["time"].as_str().unwrap();
            assert!(time.starts_with("9999-"), "{time}");
        }
    }
    assert_eq!(report["range"]["to"], "9999-12-31T23:59:59Z");
    // The period holding the calls ends at 10000-01-01T00:00:00Z: no state change there.
    let stop = named(&report["alarms"], "CIS-5.5-cloudtrail_cfg_changes_alarm");
    assert_eq!(
        stop["transitions"].as_array().map(Vec::len),
        Some(0),
        "{stop}"
    );
    assert_eq!(stop["state"], "INSUFFICIENT_DATA");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// `n` strings of 64 bytes that all hash alike under rustc-hash 2's Fx hash, from `tag`.
///
/// Fx hashes a string longer than 16 bytes 16 bytes at a time, each step multiplying the
/// state, xored with the first 8 bytes of the step, by the next 8 (widening, folded): a step
/// whose first 8 bytes equal the state multiplies by zero, and the 8 bytes after them are lost.
/// So: 16 bytes chosen so that the state after them is printable text, 16 more, that state,
/// then the 8 bytes that differ, then a fixed end.
fn fx_colliding(tag: &str, n: usize) -> Vec<String> {
    // rustc-hash 2.1's constants: its first seed and its guard against zero.
    const SEED1: u64 = 0x243f_6a88_85a3_08d3;
    const GUARD: u64 = 0xa409_3822_299f_31d0;
    let mix = |x: u64, y: u64| {
        let full = u128::from(x) * u128::from(y);
        (full as u64) ^ ((full >> 64) as u64)
    };
    let word = |text: &str| u64::from_le_bytes(text.as_bytes()[..8].try_into().unwrap());
    let plain = |b: u8| (b' '..=b'~').contains(&b) && b != b'"' && b != b'\\';
    let head = tag.repeat(8)[..8].to_string();
    let (salt, state) = (0u64..)
        .map(|i| {
            let salt = format!("{i:08}");
            (salt.clone(), mix(SEED1 ^ word(&head), GUARD ^ word(&salt)))
        })
        .find(|(_, state)| state.to_le_bytes().into_iter().all(plain))
        .unwrap();
    let state = String::from_utf8(state.to_le_bytes().to_vec()).unwrap();
    (0..n)
        .map(|i| {
            format!(
                "{head}{salt}{}{state}{i:08}/the-same-16-end",
                "b".repeat(16)
            )
        })
        .collect()
}

/// Whoever makes an API call writes its `userAgent`, and a log file can say anything: values
/// made to collide under an unkeyed hash (20,000 user agents, ARNs, accounts and Regions that
/// all hash alike under Fx) once put every string insights interns, and every account and
/// Region voted for, in one slot of its table, and a scan of 50,000 such records took over
/// three minutes (0.07 s for the same records without them). The tables filled from the log
/// are keyed now: the report of such a log is the one of its twin, whose values are plain.
/// Like the other linear-time tests, it cannot fail on time alone; its answers can fail, and so
/// can its check that the tables' hasher (`LogHasher`) tells the values apart.
#[test]
fn values_colliding_under_an_unkeyed_hash_are_counted_as_any_others() {
    use std::hash::BuildHasher;
    const N: usize = 20_000;
    let [agents, arns, accounts, regions] =
        ["agent", "arn", "account", "region"].map(|tag| fx_colliding(tag, N));
    let keyed = trailmatch_cloudtrail::LogHasher::default();
    for values in [&agents, &arns, &accounts, &regions] {
        let hash = |value: &String| rustc_hash::FxBuildHasher.hash_one(value.as_str());
        assert!(
            values.iter().all(|value| hash(value) == hash(&values[0])),
            "the construction no longer follows rustc-hash's string hash"
        );
        // What the tables filled from the log hash with tells them apart.
        let mut hashes: Vec<u64> = values.iter().map(|v| keyed.hash_one(v.as_str())).collect();
        hashes.sort_unstable();
        hashes.dedup();
        assert_eq!(hashes.len(), N, "LogHasher no longer separates them");
    }
    // Every other record is of the account and Region that win the votes; every fourth is
    // denied (CIS 5.1).
    let log = |crafted: bool| -> String {
        (0..N)
            .map(|i| {
                let value = |values: &[String], plain: &str| match crafted {
                    true => values[i].clone(),
                    false => format!("{plain}-{i}"),
                };
                let (account, region) = match i % 2 {
                    0 => ("111122223333".to_string(), "eu-west-1".to_string()),
                    _ => (value(&accounts, "account"), value(&regions, "region")),
                };
                let mut record = serde_json::json!({
                    "eventTime": format!("2026-11-23T{:02}:{:02}:00Z", i / 60 % 24, i % 60),
                    "eventSource": "iam.amazonaws.com",
                    "eventName": "CreateUser",
                    "readOnly": false,
                    "sourceIPAddress": "203.0.113.7",
                    "awsRegion": region,
                    "recipientAccountId": account,
                    "userAgent": value(&agents, "agent"),
                    "userIdentity": {"arn": value(&arns, "arn")},
                });
                if i % 4 == 0 {
                    record["errorCode"] = "AccessDenied".into();
                }
                record.to_string() + "\n"
            })
            .collect()
    };
    let dir = scratch("colliding");
    let report = |crafted: bool| -> Value {
        let logs = dir.join(format!("{crafted}.jsonl"));
        std::fs::write(&logs, log(crafted)).unwrap();
        let out = run(&["scan", logs.to_str().unwrap(), "--format", "json"]);
        assert_eq!(out.status, 0, "{}", out.stderr);
        serde_json::from_str(&out.stdout).unwrap()
    };
    let (crafted, plain) = (report(true), report(false));
    assert_eq!(crafted["records"]["read"], N);
    assert_eq!(crafted["account_id"], "111122223333");
    assert_eq!(crafted["region"], "eu-west-1");
    let unauthorized = named(&crafted["rules"], "CIS-5.1-unauthorized_api_calls_metric");
    assert_eq!(unauthorized["matches"], N / 4);
    for part in ["records", "rules", "alarms", "range", "anomalies"] {
        assert_eq!(crafted[part], plain[part], "{part}");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}
