//! `trailmatch scan`: the bundled sample, the CIS pack against `grep -c`, rules files,
//! notifications, event filters and damaged input, through the built binary.

mod common;

use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};

use common::{Run, named, run_in};
use serde_json::Value;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn scan(args: &[&str]) -> Run {
    let mut all = vec!["scan"];
    all.extend_from_slice(args);
    run_in(&root(), &all, None)
}

fn json(args: &[&str]) -> Value {
    let mut all = args.to_vec();
    all.extend(["--format", "json"]);
    let run = scan(&all);
    assert_eq!(run.status, 0, "{}", run.stderr);
    serde_json::from_str(&run.stdout).unwrap()
}

fn transitions(report: &Value, alarm: &str) -> Vec<(String, String, String)> {
    let alarm = named(&report["alarms"], alarm);
    alarm["transitions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["time"].as_str().unwrap().to_owned(),
                t["from"].as_str().unwrap().to_owned(),
                t["to"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn t(time: &str, from: &str, to: &str) -> (String, String, String) {
    (
        format!("2026-11-23T{time}.000Z"),
        from.to_owned(),
        to.to_owned(),
    )
}

#[test]
fn no_arguments_shows_the_cis_alarms_and_the_anomaly_on_the_bundled_sample() {
    let run = scan(&[]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    let out = &run.stdout;
    assert!(
        out.contains("records: 4,852 read · 50 matched · 4,802 unmatched · 0 skipped"),
        "{out}"
    );
    assert!(out.contains("Alarms: 4 of 15 fired"), "{out}");
    for alarm in [
        "CIS-5.1-unauthorized_api_calls_alarm",
        "CIS-5.2-no_mfa_console_signin_alarm",
        "CIS-5.3-root_usage_alarm",
        "CIS-5.5-cloudtrail_cfg_changes_alarm",
    ] {
        assert!(
            out.contains(&format!("  {alarm}  (now INSUFFICIENT_DATA)")),
            "{alarm}\n{out}"
        );
    }
    assert!(
        out.contains("2026-11-23T09:15:00Z  INSUFFICIENT_DATA -> ALARM"),
        "{out}"
    );
    assert!(out.contains("Threshold Crossed: 1 datapoint [10.0 (23/11/26 09:10:00)] was greater than or equal to the threshold (1.0)."), "{out}");
    assert!(
        out.contains("21:05Z–21:25Z  ApiCallRateInsight  ssm.amazonaws.com SendCommand: 12.35/min"),
        "{out}"
    );
}

#[test]
fn json_report_of_the_sample() {
    let report = json(&[]);
    let records = &report["records"];
    assert_eq!(
        (
            records["read"].as_u64(),
            records["matched"].as_u64(),
            records["skipped"].as_u64()
        ),
        (Some(4852), Some(50), Some(0))
    );
    let rules = report["rules"].as_array().unwrap();
    assert_eq!(rules.len(), 15);
    assert!(
        rules
            .iter()
            .all(|r| r["name"].is_string() && r["pattern"].is_string() && r["matches"].is_u64())
    );
    assert_eq!(
        transitions(&report, "CIS-5.1-unauthorized_api_calls_alarm"),
        vec![
            t("09:15:00", "INSUFFICIENT_DATA", "ALARM"),
            t("09:35:00", "ALARM", "INSUFFICIENT_DATA")
        ]
    );
    assert_eq!(
        transitions(&report, "CIS-5.5-cloudtrail_cfg_changes_alarm"),
        vec![
            t("17:50:00", "INSUFFICIENT_DATA", "ALARM"),
            t("18:05:00", "ALARM", "INSUFFICIENT_DATA")
        ]
    );
    assert!(transitions(&report, "CIS-5.14-vpc_changes_alarm").is_empty());
    let anomalies = report["anomalies"].as_array().unwrap();
    assert_eq!(
        anomalies.len(),
        6,
        "three anomalies, each a Start and an End record"
    );
    for record in anomalies {
        assert_eq!(record["eventType"], "AwsCloudTrailInsight");
        assert_eq!(record["eventCategory"], "Insight");
        assert_eq!(record["recipientAccountId"], "111122223333");
    }
    let call_rate: Vec<&Value> = anomalies
        .iter()
        .filter(|r| r["insightDetails"]["insightType"] == "ApiCallRateInsight")
        .collect();
    assert_eq!(call_rate.len(), 2);
    assert_eq!(call_rate[0]["insightDetails"]["state"], "Start");
    assert_eq!(call_rate[0]["insightDetails"]["eventName"], "SendCommand");
    assert_eq!(call_rate[0]["eventTime"], "2026-11-23T21:05:00Z");
    assert_eq!(call_rate[1]["insightDetails"]["state"], "End");
    assert_eq!(call_rate[0]["sharedEventID"], call_rate[1]["sharedEventID"]);
}

/// The JSON report is written as it is serialized: `-o FILE` gets the bytes standard output
/// gets, a full device is an error naming the file (exit 1), and a reader that went away ends
/// the scan quietly (exit 0), as for the other formats.
#[test]
fn the_json_report_is_streamed_to_standard_output_or_a_file() {
    let dir = temp_dir("json-out");
    let stdout = scan(&["--format", "json"]);
    assert_eq!(stdout.status, 0, "{}", stdout.stderr);
    assert!(stdout.stdout.ends_with("}\n"));
    let file = dir.join("report.json");
    let to_file = scan(&["--format", "json", "-o", file.to_str().unwrap()]);
    assert_eq!((to_file.status, to_file.stdout.as_str()), (0, ""));
    assert_eq!(std::fs::read_to_string(&file).unwrap(), stdout.stdout);
    let full = scan(&["--format", "json", "-o", "/dev/full"]);
    assert_eq!(full.status, 1);
    assert!(
        full.stderr.starts_with("error: cannot write /dev/full: "),
        "{}",
        full.stderr
    );
    let mut child = std::process::Command::new(common::BIN)
        .args(["scan", "--format", "json"])
        .current_dir(root())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Closed before the scan writes anything.
    drop(child.stdout.take());
    let closed = child.wait_with_output().unwrap();
    assert_eq!(String::from_utf8_lossy(&closed.stderr), "");
    assert_eq!(closed.status.code(), Some(0));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn ndjson_streams_the_same_objects() {
    let run = scan(&["--format", "ndjson"]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    let lines: Vec<Value> = run
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let kinds = |k: &str| lines.iter().filter(|l| l["type"] == k).count();
    assert_eq!(
        (
            kinds("rule"),
            kinds("alarm"),
            kinds("anomaly"),
            kinds("summary")
        ),
        (15, 15, 6, 1)
    );
    let report = json(&[]);
    let summary = lines.last().unwrap();
    assert_eq!(summary["type"], "summary");
    assert_eq!(summary["records"], report["records"]);
    let rules: Vec<&Value> = lines.iter().filter(|l| l["type"] == "rule").collect();
    for (line, rule) in rules.iter().zip(report["rules"].as_array().unwrap()) {
        assert_eq!(line["matches"], rule["matches"]);
        assert_eq!(line["name"], rule["name"]);
    }
}

/// The CIS pack's counts on the project's CloudTrail corpus (copied from the shared corpus:
/// tests/corpus/cloudtrail) are `trailmatch grep -c`'s for the same patterns, and pinned.
#[test]
fn cis_counts_agree_with_grep_on_the_corpus() {
    const PINNED: [u64; 15] = [101, 46, 60, 23, 16, 5, 8, 18, 8, 15, 6, 3, 3, 3, 6];
    let report = json(&["tests/corpus/cloudtrail", "--no-insights"]);
    assert_eq!(report["records"]["read"], 1420);
    assert_eq!(report["records"]["skipped"], 0);
    let rules = report["rules"].as_array().unwrap();
    let patterns: Vec<&str> = rules
        .iter()
        .map(|r| r["pattern"].as_str().unwrap())
        .collect();
    let file = std::env::temp_dir().join(format!("trailmatch-cis-{}.txt", std::process::id()));
    std::fs::write(&file, patterns.join("\n")).unwrap();
    let grep = run_in(
        &root(),
        &[
            "grep",
            "-c",
            "-f",
            file.to_str().unwrap(),
            "tests/corpus/cloudtrail",
        ],
        None,
    );
    std::fs::remove_file(&file).unwrap();
    assert_eq!(grep.status, 0, "{}", grep.stderr);
    let counts: Vec<u64> = grep
        .stdout
        .lines()
        .map(|l| l.split('\t').next().unwrap().parse().unwrap())
        .collect();
    let scanned: Vec<u64> = rules
        .iter()
        .map(|r| r["matches"].as_u64().unwrap())
        .collect();
    assert_eq!(scanned, counts);
    assert_eq!(scanned, PINNED);
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("trailmatch-scan-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn notifications_go_to_a_file_standard_output_and_a_webhook() {
    let dir = temp_dir("notify");
    let file = dir.join("sns.jsonl");
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = std::thread::spawn(move || {
        let mut bodies = Vec::new();
        for _ in 0..4 {
            let (mut conn, _) = listener.accept().unwrap();
            let mut request = Vec::new();
            let mut buf = [0u8; 8192];
            loop {
                let n = conn.read(&mut buf).unwrap();
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
                        .unwrap();
                    if body.len() >= length {
                        assert!(head.contains("x-amz-sns-message-type: Notification"));
                        bodies.push(body.to_owned());
                        break;
                    }
                }
            }
            conn.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
                .unwrap();
        }
        bodies
    });
    let url = format!("http://127.0.0.1:{port}/sns");
    let run = scan(&[
        "--notify",
        file.to_str().unwrap(),
        "--notify",
        "-",
        "--notify",
        &url,
    ]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    let posted = server.join().unwrap();
    let written = std::fs::read_to_string(&file).unwrap();
    let messages: Vec<Value> = written
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(messages.len(), 4);
    let printed: Vec<&str> = run.stdout.lines().take(4).collect();
    assert_eq!(printed, written.lines().collect::<Vec<_>>());
    assert_eq!(posted, written.lines().collect::<Vec<_>>());
    let first = &messages[0];
    assert_eq!(first["Type"], "Notification");
    assert_eq!(
        first["TopicArn"],
        "arn:aws:sns:us-east-1:111122223333:cis-alarms"
    );
    assert_eq!(
        first["Subject"],
        "ALARM: \"CIS-5.1-unauthorized_api_calls_alarm\" in US East (N. Virginia)"
    );
    let inner: Value = serde_json::from_str(first["Message"].as_str().unwrap()).unwrap();
    assert_eq!(inner["NewStateValue"], "ALARM");
    assert_eq!(inner["OldStateValue"], "INSUFFICIENT_DATA");
    assert_eq!(inner["StateChangeTime"], "2026-11-23T09:15:00.000+0000");
    assert_eq!(
        inner["Trigger"]["MetricName"],
        "unauthorized_api_calls_metric"
    );
    assert!(
        run.stdout.contains("4 SNS notifications (delivered)"),
        "{}",
        run.stdout
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_rules_file_with_m_of_n_and_default_values() {
    let dir = temp_dir("rules");
    let rules = dir.join("rules.toml");
    std::fs::write(
        &rules,
        r#"
[[metricFilters]]
filterName = "send-command"
filterPattern = '{ ($.eventSource = "ssm.amazonaws.com") && ($.eventName = "SendCommand") }'
metricTransformations = [{ metricName = "SendCommand", metricNamespace = "Ops", metricValue = "1", defaultValue = 0 }]

[[MetricAlarms]]
AlarmName = "send-command-storm"
MetricName = "SendCommand"
Namespace = "Ops"
Statistic = "Sum"
Period = 60
EvaluationPeriods = 5
DatapointsToAlarm = 3
Threshold = 5
ComparisonOperator = "GreaterThanThreshold"
TreatMissingData = "notBreaching"
"#,
    )
    .unwrap();
    let report = json(&["--rules", rules.to_str().unwrap(), "--no-insights"]);
    assert_eq!(report["rules"].as_array().unwrap().len(), 1);
    // The burst has more than 5 calls in every minute from 21:05 to 21:24: the third breaching
    // minute (21:07, evaluated at its end) makes 3 of the last 5; at 21:27 only 2 of the last 5
    // breach. With defaultValue 0 every minute with records has a datapoint, so OK before.
    let got = transitions(&report, "send-command-storm");
    assert_eq!(
        got,
        vec![
            t("00:01:00", "INSUFFICIENT_DATA", "OK"),
            t("21:08:00", "OK", "ALARM"),
            t("21:28:00", "ALARM", "OK"),
        ]
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn invalid_rules_are_reported_with_their_location() {
    let dir = temp_dir("bad-rules");
    let rules = dir.join("bad.toml");
    std::fs::write(
        &rules,
        "[[metricFilters]]\nfilterName = \"x\"\nfilterPattern = '{ $.a = }'\nmetricTransformations = [{ metricName = \"M\", metricNamespace = \"N\", metricValue = \"1\" }]\n",
    )
    .unwrap();
    let run = scan(&["--rules", rules.to_str().unwrap()]);
    assert_eq!(run.status, 2, "{}", run.stdout);
    assert!(
        run.stderr.contains("bad.toml:3:18: rule `x`"),
        "{}",
        run.stderr
    );
    std::fs::write(
        &rules,
        "[[MetricAlarms]]\nAlarmName = \"a\"\nTreshold = 1\n",
    )
    .unwrap();
    let run = scan(&["--rules", rules.to_str().unwrap()]);
    assert_eq!(run.status, 2);
    assert!(
        run.stderr.contains("unknown member `Treshold`"),
        "{}",
        run.stderr
    );
    // A path that does not exist is refused before anything is read.
    let run = scan(&["/nonexistent/trail.json"]);
    assert_eq!(run.status, 1);
    assert_eq!(
        run.stderr,
        "error: /nonexistent/trail.json: no such file or directory\n"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn event_filters_count_what_they_leave_out() {
    let all = json(&["--no-insights"]);
    let writes = json(&["--no-insights", "--access", "write"]);
    let r = &writes["records"];
    assert_eq!(r["read"], all["records"]["read"]);
    let (matched, unmatched, filtered) = (
        r["matched"].as_u64().unwrap(),
        r["unmatched"].as_u64().unwrap(),
        r["filtered"].as_u64().unwrap(),
    );
    assert!(filtered > 3000, "{r}");
    assert_eq!(matched + unmatched + filtered, 4852);
    let root = json(&["--no-insights", "--identity-type", "Root"]);
    assert_eq!(root["records"]["matched"], 4);
    let errors = json(&["--no-insights", "--errors", "--service", "ec2,sts"]);
    assert_eq!(errors["records"]["matched"], 45);
    assert_eq!(errors["records"]["unmatched"], 0);
    let run = scan(&["--category", "managment"]);
    assert_eq!(run.status, 2);
    assert!(
        run.stderr.contains("unknown event category"),
        "{}",
        run.stderr
    );
}

#[test]
fn damaged_input_is_skipped_and_every_record_accounted_for() {
    let dir = temp_dir("damaged");
    let record = |i: u32| {
        format!(
            r#"{{"eventTime":"2026-11-23T10:{i:02}:00Z","eventSource":"cloudtrail.amazonaws.com","eventName":"StopLogging","readOnly":false}}"#
        )
    };
    // 3 good lines, 1 bad line, 1 non-object line.
    std::fs::write(
        dir.join("a.jsonl"),
        format!("{}\n{}\n{{bad\n[1]\n{}\n", record(1), record(2), record(3)),
    )
    .unwrap();
    // A Records file cut in the middle of its third record.
    let full = format!(
        r#"{{"Records":[{},{},{}]}}"#,
        record(4),
        record(5),
        record(6)
    );
    std::fs::write(dir.join("b.json"), &full[..full.len() - 30]).unwrap();
    // A truncated gzip file of two records.
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(format!(r#"{{"Records":[{},{}]}}"#, record(7), record(8)).as_bytes())
        .unwrap();
    let bytes = gz.finish().unwrap();
    std::fs::write(dir.join("c.json.gz"), &bytes[..bytes.len() - 10]).unwrap();
    let report = json(&[dir.to_str().unwrap(), "--no-insights"]);
    let r = &report["records"];
    let skipped = r["skipped"].as_u64().unwrap();
    let read = r["read"].as_u64().unwrap();
    assert_eq!(
        read,
        r["matched"].as_u64().unwrap()
            + r["unmatched"].as_u64().unwrap()
            + r["filtered"].as_u64().unwrap()
    );
    assert_eq!(
        r["matched"], read,
        "every readable record is a StopLogging call"
    );
    // a.jsonl: 3 records; b.json: the 2 records before the cut; c.json.gz: the 2 records
    // decoded before the gzip data ends.
    assert_eq!((read, skipped), (7, 4), "{r}");
    let codes: Vec<(&str, u64)> = report["skipped"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["code"].as_str().unwrap(), s["count"].as_u64().unwrap()))
        .collect();
    assert_eq!(
        codes,
        [
            ("invalid-json", 2),
            ("not-an-object", 1),
            ("truncated-gzip", 1)
        ]
    );
    let text = scan(&[dir.to_str().unwrap(), "--no-insights"]);
    assert_eq!(text.status, 0);
    assert!(text.stdout.contains("Skipped: "), "{}", text.stdout);
    assert!(text.stdout.contains("a.jsonl:3"), "{}", text.stdout);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// `-j` changes nothing in what is printed: JSON, text and ndjson reports of `-j 1` and `-j 4`
/// are byte for byte the same, on a tree with JSON Lines files large enough to be read in
/// several ranges (one damaged in its middle, so that its rest is read as one stream), a
/// CloudTrail log file, gzip, a cut gzip file and damaged lines.
#[test]
fn the_report_does_not_depend_on_the_number_of_threads() {
    let dir = temp_dir("threads");
    let record = |i: u32| {
        let names = [
            "StopLogging",
            "CreateTags",
            "DescribeTrails",
            "ConsoleLogin",
            "PutBucketPolicy",
            "DeleteTrail",
        ];
        format!(
            r#"{{"eventVersion":"1.08","userIdentity":{{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/u{}","accountId":"111122223333"}},"eventTime":"2026-11-23T{:02}:{:02}:{:02}Z","eventSource":"cloudtrail.amazonaws.com","eventName":"{}","awsRegion":"eu-west-1","sourceIPAddress":"10.0.0.{}","userAgent":"aws-cli/2.{}","errorCode":{},"requestParameters":{{"name":"trail-{i}","padding":"{}"}},"responseElements":null,"readOnly":{},"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"111122223333"}}"#,
            i % 5,
            i / 3600 % 24,
            i / 60 % 60,
            i % 60,
            names[(i % 97 % 6) as usize],
            i % 250,
            i % 3,
            if i % 11 == 0 {
                "\"AccessDenied\""
            } else {
                "null"
            },
            "x".repeat((i % 13 * 40) as usize),
            i % 4 == 0,
        )
    };
    let lines = |from: u32, to: u32| -> String { (from..to).map(|i| record(i) + "\n").collect() };
    // About 2.5 MB each: ranges of 512 KiB.
    std::fs::write(dir.join("a.jsonl"), lines(0, 1500)).unwrap();
    std::fs::write(
        dir.join("b.jsonl"),
        format!("{}{{bad\n[1]\n\n{}", lines(1500, 2000), lines(2000, 3000)),
    )
    .unwrap();
    std::fs::write(
        dir.join("c.json"),
        format!(
            r#"{{"Records":[{},{},{}]}}"#,
            record(20_000),
            record(20_001),
            record(20_002)
        ),
    )
    .unwrap();
    let gzip = |text: &str| {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(text.as_bytes()).unwrap();
        gz.finish().unwrap()
    };
    std::fs::write(dir.join("d.jsonl.gz"), gzip(&lines(30_000, 30_500))).unwrap();
    let cut = gzip(&lines(40_000, 40_100));
    std::fs::write(dir.join("e.json.gz"), &cut[..cut.len() - 25]).unwrap();
    let path = dir.to_str().unwrap();
    let mut reports = Vec::new();
    for format in ["json", "text", "ndjson"] {
        let one = scan(&[path, "--format", format, "-j", "1"]);
        assert_eq!(one.status, 0, "{}", one.stderr);
        let four = scan(&[path, "--format", format, "-j", "4"]);
        assert_eq!(four.status, 0, "{}", four.stderr);
        assert!(
            one.stdout == four.stdout,
            "--format {format}: -j 1 and -j 4 differ"
        );
        reports.push(one.stdout);
    }
    let report: Value = serde_json::from_str(&reports[0]).unwrap();
    let r = &report["records"];
    // a.jsonl, b.jsonl (the bad line and the non-object skipped), c.json, d.jsonl.gz, and the
    // records of e.json.gz before the cut.
    let read = r["read"].as_u64().unwrap();
    assert!((3_503..3_603).contains(&read), "{r}");
    let codes: Vec<&str> = report["skipped"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, ["invalid-json", "not-an-object", "truncated-gzip"]);
    assert!(
        report["alarms"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| !a["transitions"].as_array().unwrap().is_empty())
    );
    // As grep: -j is 1 to 256.
    assert_eq!(scan(&[path, "-j", "0"]).status, 2);
    let too_many = scan(&[path, "-j", "257"]);
    assert_eq!(too_many.status, 2);
    assert!(
        too_many.stderr.contains("at most 256"),
        "{}",
        too_many.stderr
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The rules file shown in the README is valid and does what it says.
#[test]
fn the_readme_rules_file_example_works() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let start = readme
        .find("```toml\n")
        .expect("a toml block in the README")
        + 8;
    let block: String = readme[start..]
        .split("```")
        .next()
        .unwrap()
        .lines()
        .map(|l| l.strip_prefix("  ").unwrap_or(l))
        .collect::<Vec<_>>()
        .join("\n");
    let dir = temp_dir("readme");
    let rules = dir.join("rules.toml");
    std::fs::write(&rules, block).unwrap();
    let report = json(&["--rules", rules.to_str().unwrap(), "--no-insights"]);
    let names: Vec<&str> = report["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert_eq!(names.len(), 16);
    assert_eq!(names[15], "console-logins");
    assert_eq!(report["rules"][15]["matches"], 1);
    assert_eq!(report["alarms"][15]["name"], "console-login-storm");
    assert_eq!(report["alarms"][15]["state"], "OK");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// `--rules` takes CloudFormation templates and Terraform modules as well as rules files; what
/// their readers cannot resolve (alarm actions from parameters without defaults) is a warning.
#[test]
fn rules_from_cloudformation_and_terraform() {
    let fixtures = "bindings/cli/tests/fixtures/iac";
    let template = format!("{fixtures}/cloudformation/cis-baseline.yaml");
    let run = scan(&["--rules", &template, "--no-insights", "--format", "json"]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    assert!(
        run.stderr.contains("warning[unresolved-reference]"),
        "{}",
        run.stderr
    );
    let report: Value = serde_json::from_str(&run.stdout).unwrap();
    let fired: Vec<&str> = report["alarms"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| {
            a["transitions"]
                .as_array()
                .unwrap()
                .iter()
                .any(|t| t["to"] == "ALARM")
        })
        .map(|a| a["name"].as_str().unwrap())
        .collect();
    // An alarm without AlarmName is named by its logical id, as a stand-in for CloudFormation's
    // generated name.
    assert!(fired.contains(&"RootUsageAlarm"), "{fired:?}");
    assert_eq!(fired.len(), 3, "{fired:?}");
    let module = format!("{fixtures}/terraform/cis");
    let report = json(&["--rules", &module, "--no-insights"]);
    assert_eq!(report["rules"].as_array().unwrap().len(), 9);
    assert_eq!(report["records"]["matched"], 50);
    // One file of the module: its variables are declared in another, so its filters are not
    // created and its alarms have no metric. The error says what was left unresolved, once per
    // place, and that a module is its directory.
    let one = scan(&["--rules", &format!("{module}/main.tf"), "--no-insights"]);
    assert_eq!(one.status, 2, "{}", one.stderr);
    let notes: Vec<&str> = one
        .stderr
        .lines()
        .filter(|l| l.starts_with("  = note: "))
        .collect();
    assert_eq!(
        notes,
        [
            &format!(
                "  = note: {module}/main.tf:70:14: warning[unresolved-reference]: \
                 aws_cloudwatch_log_metric_filter.this: no variable named create"
            )[..],
            &format!(
                "  = note: {module}/main.tf:95:25: warning[unresolved-reference]: \
                 aws_cloudwatch_metric_alarm.this[\"UnauthorizedAPICalls\"]: alarm_actions: no \
                 variable named alarm_actions"
            ),
            &format!(
                "  = note: {module}/main.tf:91:25: warning[unresolved-reference]: \
                 aws_cloudwatch_metric_alarm.this[\"UnauthorizedAPICalls\"]: namespace: no \
                 variable named namespace"
            ),
            &format!(
                "  = note: a Terraform module is all the .tf files of its directory: name \
                 {module} to read them together"
            ),
        ],
        "{}",
        one.stderr
    );
    // An invalid pattern in a rules file read through a directory is an error at its position.
    let dir = temp_dir("iac-rules");
    std::fs::write(
        dir.join("r.toml"),
        "[[metricFilters]]\nfilterName = \"x\"\nfilterPattern = '{ $.a = \"b\" && }'\nmetricTransformations = [{ metricName = \"M\", metricNamespace = \"N\", metricValue = \"1\" }]\n",
    )
    .unwrap();
    let lint = run_in(&root(), &["lint", dir.to_str().unwrap()], None);
    assert_eq!(lint.status, 1, "{}", lint.stdout);
    assert!(
        lint.stdout.contains("r.toml:3:33: error[syntax]"),
        "{}",
        lint.stdout
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The README's `trailmatch scan` output is what the command prints (lines it elides with `…`
/// aside).
#[test]
fn the_readme_scan_output_is_true() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let start = readme
        .find("$ trailmatch scan\n")
        .expect("the scan example")
        + 18;
    let block = readme[start..].split("```").next().unwrap();
    let run = scan(&[]);
    assert_eq!(run.status, 0);
    let printed: Vec<&str> = run.stdout.lines().collect();
    let mut at = 0;
    for line in block.lines().filter(|l| l.trim() != "…") {
        let found = printed[at..].iter().position(|p| *p == line);
        assert!(
            found.is_some(),
            "README line not printed (in order):\n{line}\n\n{}",
            run.stdout
        );
        at += found.unwrap() + 1;
    }
}

/// EventBridge rules: the built-in CIS twin finds on the sample what the CIS metric filters
/// find; rules files, CloudFormation and Terraform give rules whose targets' messages the
/// report lists; an invalid pattern stops the scan at its place.
#[test]
fn eventbridge_rules_are_matched_as_eventbridge_delivers_records() {
    let filters = json(&["--no-insights"]);
    let twin = json(&["--rules", "cis-eventbridge", "--no-insights"]);
    assert_eq!(twin["records"], filters["records"]);
    let rules = twin["event_rules"]["rules"].as_array().unwrap();
    assert_eq!(rules.len(), 15);
    for (filter, rule) in filters["rules"].as_array().unwrap().iter().zip(rules) {
        let withheld: u64 = rule["not_delivered"]
            .as_object()
            .unwrap()
            .values()
            .map(|n| n.as_u64().unwrap())
            .sum();
        assert_eq!(
            filter["matches"].as_u64().unwrap(),
            rule["matches"].as_u64().unwrap() + withheld,
            "{}",
            rule["name"]
        );
    }
    let stop = named(
        &twin["event_rules"]["rules"],
        "CIS-5.5-cloudtrail_cfg_changes",
    );
    let event = &stop["events"][0];
    assert_eq!(event["event_name"], "StopLogging");
    let target = &event["targets"][0];
    assert_eq!(
        target["arn"],
        "arn:aws:sns:us-east-1:111122223333:cis-alarms"
    );
    let message: Value = serde_json::from_str(target["message"].as_str().unwrap()).unwrap();
    assert_eq!(message["detail-type"], "AWS API Call via CloudTrail");
    assert_eq!(message["source"], "aws.cloudtrail");
    assert_eq!(message["detail"]["eventID"], event["event_id"]);
    let text = scan(&["--rules", "cis-eventbridge", "--no-insights"]);
    assert_eq!(text.status, 0, "{}", text.stderr);
    assert!(
        text.stdout.contains("EventBridge rules: 4 of 15 matched"),
        "{}",
        text.stdout
    );
    assert!(!text.stdout.contains("\nRules ("), "{}", text.stdout);

    let dir = temp_dir("eventbridge-rules");
    let template = dir.join("rules.json");
    std::fs::write(
        &template,
        r#"{"Resources": {
  "Topic": {"Type": "AWS::SNS::Topic"},
  "TrailOff": {"Type": "AWS::Events::Rule", "Properties": {
    "Name": "trail-off",
    "EventPattern": {"detail": {"eventName": ["StopLogging"]}},
    "Targets": [{"Id": "mail", "Arn": "arn:aws:sns:us-east-1:111122223333:security",
                 "InputTransformer": {"InputPathsMap": {"who": "$.detail.userIdentity.arn"},
                                      "InputTemplate": "\"Logging stopped by <who>\""}}]}}}}"#,
    )
    .unwrap();
    let tf = dir.join("tf");
    std::fs::create_dir_all(&tf).unwrap();
    std::fs::write(
        tf.join("main.tf"),
        r#"resource "aws_cloudwatch_event_rule" "root" {
  name          = "root-activity"
  state         = "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS"
  event_pattern = jsonencode({ detail = { userIdentity = { type = ["Root"] } } })
}
resource "aws_cloudwatch_event_target" "sns" {
  rule       = aws_cloudwatch_event_rule.root.name
  target_id  = "sns"
  arn        = "arn:aws:sns:us-east-1:111122223333:security"
  input_path = "$.detail.eventName"
}
"#,
    )
    .unwrap();
    let report = json(&[
        "--rules",
        template.to_str().unwrap(),
        "--rules",
        tf.to_str().unwrap(),
        "--no-insights",
    ]);
    let rules = report["event_rules"]["rules"].as_array().unwrap();
    let names: Vec<&str> = rules.iter().map(|r| r["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["trail-off", "root-activity"]);
    assert_eq!(rules[0]["matches"], 1);
    assert_eq!(
        rules[0]["events"][0]["targets"][0]["message"],
        "\"Logging stopped by arn:aws:iam::111122223333:user/christophe\""
    );
    assert_eq!(rules[1]["matches"], 4);
    assert_eq!(
        rules[1]["events"][0]["targets"][0]["message"],
        "\"ConsoleLogin\""
    );

    let bad = dir.join("bad.json");
    std::fs::write(
        &bad,
        "{\"Rules\": [{\"Name\": \"bad\",\n  \"EventPattern\": {\"detail\": {\"eventName\": \"StopLogging\"}}}]}",
    )
    .unwrap();
    let run = scan(&["--rules", bad.to_str().unwrap()]);
    assert_eq!(run.status, 2, "{}", run.stdout);
    assert!(run.stderr.contains("bad.json:2:"), "{}", run.stderr);
    assert!(run.stderr.contains("rule `bad`"), "{}", run.stderr);
    std::fs::remove_dir_all(&dir).unwrap();
}
