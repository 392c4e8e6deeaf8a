//! `trailmatch grep` run as a user would: inputs of every kind, output modes, errors and exit
//! statuses.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use flate2::Compression;
use flate2::write::GzEncoder;
use serde_json::{Value, json};

mod common;
use common::{BIN, Run, run_in, run_within};

const DENIED: &str =
    r#"{"eventName":"GetObject","errorCode":"AccessDenied","sourceIPAddress":"10.0.0.1"}"#;
const LOGIN: &str = r#"{"eventName":"ConsoleLogin","responseElements":{"ConsoleLogin":"Success"}}"#;
const UNAUTHORIZED: &str =
    r#"{"eventName":"RunInstances","errorCode":"Client.UnauthorizedOperation"}"#;
const LIST: &str = r#"{"eventName":"ListBuckets","sourceIPAddress":"s3.amazonaws.com"}"#;
const EVENTS: [&str; 4] = [DENIED, LOGIN, UNAUTHORIZED, LIST];

const ERRORS: &str = r#"{ $.errorCode = "*" }"#;
const DENIED_PATTERN: &str = r#"{ $.errorCode = "AccessDenied*" }"#;

impl Run {
    fn lines(&self) -> Vec<&str> {
        self.stdout.lines().collect()
    }

    /// Checks the run selected events without errors.
    fn ok(&self) -> &Self {
        assert_eq!(self.status, 0, "{self:?}");
        assert_eq!(self.stderr, "", "{self:?}");
        self
    }
}

fn grep_in(dir: &Path, args: &[&str], stdin: Option<&[u8]>) -> Run {
    let args: Vec<&str> = std::iter::once("grep")
        .chain(args.iter().copied())
        .collect();
    run_in(dir, &args, stdin)
}

/// A fresh directory for one test.
fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("grep-{name}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn grep(dir: &Path, args: &[&str]) -> Run {
    grep_in(dir, args, None)
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::default());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

fn jsonl(events: &[&str]) -> String {
    events.iter().map(|e| format!("{e}\n")).collect()
}

/// A CloudTrail log file: compact, on one line, no final newline (as CloudTrail writes them).
fn records(events: &[&str]) -> String {
    format!("{{\"Records\":[{}]}}", events.join(","))
}

fn write(dir: &Path, name: &str, bytes: impl AsRef<[u8]>) {
    let path = dir.join(name);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, bytes).unwrap();
}

#[test]
fn plain_file_prints_matching_lines_as_they_are() {
    let dir = scratch("plain");
    write(&dir, "events.log", jsonl(&EVENTS));
    let run = grep(&dir, &[ERRORS, "events.log"]);
    run.ok();
    assert_eq!(run.lines(), [DENIED, UNAUTHORIZED]);
}

#[test]
fn crlf_line_endings_blank_lines_and_a_missing_final_newline() {
    let dir = scratch("crlf");
    write(
        &dir,
        "events.log",
        format!("{DENIED}\r\n\r\n  \n{UNAUTHORIZED}"),
    );
    let run = grep(&dir, &["-n", ERRORS, "events.log"]);
    run.ok();
    assert_eq!(
        run.lines(),
        [format!("1:{DENIED}"), format!("4:{UNAUTHORIZED}")]
    );
}

#[test]
fn gzipped_file_is_recognised_by_its_bytes_not_its_name() {
    let dir = scratch("gzip");
    write(&dir, "events.data", gzip(jsonl(&EVENTS).as_bytes()));
    let run = grep(&dir, &[DENIED_PATTERN, "events.data"]);
    run.ok();
    assert_eq!(run.lines(), [DENIED]);
}

#[test]
fn records_file_gives_one_event_per_record() {
    let dir = scratch("records");
    write(&dir, "trail.json", records(&EVENTS));
    let run = grep(&dir, &["-n", ERRORS, "trail.json"]);
    run.ok();
    assert_eq!(
        run.lines(),
        [format!("1:{DENIED}"), format!("3:{UNAUTHORIZED}")]
    );
}

#[test]
fn pretty_printed_records_are_printed_compact() {
    let dir = scratch("pretty");
    let value = json!({"Records": [
        {"eventName": "ConsoleLogin", "errorCode": "Failed authentication", "n": [1, 2]},
        {"eventName": "ListBuckets"},
    ]});
    write(
        &dir,
        "trail.json",
        serde_json::to_string_pretty(&value).unwrap(),
    );
    let run = grep(&dir, &["{ $.eventName = * }", "trail.json"]);
    run.ok();
    assert_eq!(
        run.lines(),
        [
            r#"{"errorCode":"Failed authentication","eventName":"ConsoleLogin","n":[1,2]}"#,
            r#"{"eventName":"ListBuckets"}"#
        ]
    );
}

#[test]
fn gzipped_records_file() {
    let dir = scratch("records-gz");
    write(&dir, "trail.json.gz", gzip(records(&EVENTS).as_bytes()));
    let run = grep(&dir, &["-c", ERRORS, "trail.json.gz"]);
    run.ok();
    assert_eq!(run.stdout, format!("2\t{ERRORS}\n"));
}

#[test]
fn a_line_with_a_records_member_gives_its_records_as_scan_reads_it() {
    // One reader for grep and scan: an object with a Records array (an S3 log file, S3
    // notifications one per line) is a container, and each of its records is an event.
    let dir = scratch("records-lines");
    let s3 = r#"{"Records":[{"eventSource":"aws:s3","eventName":"ObjectCreated:Put"}]}"#;
    write(&dir, "s3.log", format!("{s3}\nINFO between\n{s3}\n"));
    let run = grep(&dir, &["-c", r#"{ $.eventSource = "aws:s3" }"#, "s3.log"]);
    run.ok();
    assert_eq!(run.stdout, "2\t{ $.eventSource = \"aws:s3\" }\n");
    // Members besides Records are not events.
    let event = r#"{"Records":[{"a":1}],"eventName":"PutObject"}"#;
    let run = grep_in(&dir, &["{ $.a = 1 }"], Some(event.as_bytes()));
    assert_eq!(run.ok().lines(), [r#"{"a":1}"#]);
    let run = grep_in(
        &dir,
        &["{ $.eventName = PutObject }"],
        Some(event.as_bytes()),
    );
    assert_eq!(run.status, 1);
}

#[test]
fn directory_is_searched_recursively_in_name_order_with_file_names() {
    let dir = scratch("dir");
    write(&dir, "logs/b/2.log", jsonl(&[UNAUTHORIZED]));
    write(
        &dir,
        "logs/b/1.json.gz",
        gzip(records(&[DENIED, LIST]).as_bytes()),
    );
    write(&dir, "logs/a.log", jsonl(&[LOGIN, DENIED]));
    write(&dir, "logs/c/empty.log", "");
    let run = grep(&dir, &[ERRORS, "logs"]);
    run.ok();
    assert_eq!(
        run.lines(),
        [
            format!("logs/a.log:{DENIED}"),
            format!("logs/b/1.json.gz:{DENIED}"),
            format!("logs/b/2.log:{UNAUTHORIZED}"),
        ]
    );
    let run = grep(&dir, &["-l", ERRORS, "logs"]);
    run.ok();
    assert_eq!(
        run.lines(),
        ["logs/a.log", "logs/b/1.json.gz", "logs/b/2.log"]
    );
    // --no-filename / -H override the default.
    let run = grep(&dir, &["-I", DENIED_PATTERN, "logs"]);
    assert_eq!(run.ok().lines(), [DENIED, DENIED]);
    let run = grep(&dir, &["-H", DENIED_PATTERN, "logs/a.log"]);
    assert_eq!(run.ok().lines(), [format!("logs/a.log:{DENIED}")]);
}

#[test]
fn standard_input_when_no_path_or_dash() {
    let dir = scratch("stdin");
    let input = jsonl(&EVENTS);
    let run = grep_in(&dir, &[DENIED_PATTERN], Some(input.as_bytes()));
    assert_eq!(run.ok().lines(), [DENIED]);
    let gz = gzip(records(&EVENTS).as_bytes());
    let run = grep_in(&dir, &["-l", DENIED_PATTERN, "-"], Some(&gz));
    assert_eq!(run.ok().lines(), ["<stdin>"]);
}

#[test]
fn count_prints_one_line_per_pattern_in_the_order_given() {
    let dir = scratch("count");
    write(&dir, "a.log", jsonl(&EVENTS));
    write(&dir, "b.json", records(&EVENTS));
    let patterns =
        format!("{{ $.eventName = ListBuckets }}\n\n{ERRORS}\r\nNoSuchTerm\n{DENIED_PATTERN}\n");
    write(&dir, "patterns.txt", &patterns);
    let run = grep(&dir, &["-c", "-f", "patterns.txt", "a.log", "b.json"]);
    run.ok();
    assert_eq!(
        run.stdout,
        format!(
            "2\t{{ $.eventName = ListBuckets }}\n4\t{ERRORS}\n0\tNoSuchTerm\n2\t{DENIED_PATTERN}\n"
        )
    );
    // With -v, the events each pattern does not match.
    let run = grep(
        &dir,
        &["-c", "-v", "-e", ERRORS, "-e", "NoSuchTerm", "a.log"],
    );
    assert_eq!(run.ok().stdout, format!("2\t{ERRORS}\n4\tNoSuchTerm\n"));
    // Nothing counted: exit status 1.
    let run = grep(&dir, &["-c", "NoSuchTerm", "a.log"]);
    assert_eq!(run.status, 1);
    assert_eq!(run.stdout, "0\tNoSuchTerm\n");
}

#[test]
fn an_invalid_pattern_is_named_by_where_it_came_from() {
    let dir = scratch("invalid-origin");
    write(&dir, "a.log", jsonl(&EVENTS));
    // Line 4 of the file: the blank line and the comment are counted.
    write(
        &dir,
        "patterns.txt",
        format!("{ERRORS}\n\n# two\n{{ $.a = \n"),
    );
    let cases: [(&[&str], &str); 3] = [
        (
            &["-c", "-f", "patterns.txt", "a.log"],
            "on line 4 of patterns.txt",
        ),
        (&["-c", "-e", ERRORS, "-e", "{ bad", "a.log"], "-e #2"),
        (&["{ bad", "a.log"], "PATTERN"),
    ];
    for (args, origin) in cases {
        let run = grep(&dir, args);
        assert_eq!(run.status, 2, "{run:?}");
        let expected = format!("error: invalid pattern {origin}:\n");
        assert!(run.stderr.starts_with(&expected), "{run:?}");
        assert_eq!(run.stdout, "", "{run:?}");
    }
}

#[test]
fn patterns_from_standard_input() {
    let dir = scratch("f-stdin");
    write(&dir, "a.log", jsonl(&EVENTS));
    let run = grep_in(
        &dir,
        &["-c", "-f", "-", "a.log"],
        Some(b"ConsoleLogin\nGetObject\n"),
    );
    assert_eq!(run.ok().stdout, "1\tConsoleLogin\n1\tGetObject\n");
    let run = grep_in(&dir, &["-f", "-"], Some(b"ConsoleLogin\n"));
    assert_eq!(run.status, 2);
    assert!(run.stderr.contains("standard input"), "{run:?}");
}

#[test]
fn invert_match_prints_the_events_no_pattern_matches() {
    let dir = scratch("invert");
    write(&dir, "a.log", jsonl(&EVENTS));
    let run = grep(&dir, &["-v", ERRORS, "a.log"]);
    assert_eq!(run.ok().lines(), [LOGIN, LIST]);
    let run = grep(&dir, &["-v", "-e", ERRORS, "-e", "ListBuckets", "a.log"]);
    assert_eq!(run.ok().lines(), [LOGIN]);
    let run = grep(&dir, &["-v", "{ $.eventName = * }", "a.log"]);
    assert_eq!(run.status, 1);
    assert_eq!(run.stdout, "");
}

#[test]
fn json_output_has_position_event_and_each_pattern_with_its_values() {
    let dir = scratch("json");
    let flow = "2 123456789010 eni-1235b8ca123456789 172.31.9.69 172.31.9.12 49761 3389 6 20 4249 \
                1418530010 1418530070 REJECT OK";
    write(&dir, "flow.log", format!("{flow}\nnot a flow log\n"));
    write(&dir, "trail.json", records(&EVENTS));
    let delimited = "[version, account, eni, source, destination, srcport, destport, protocol, \
                     packets, bytes, start, end, action = REJECT, status]";
    let run = grep(
        &dir,
        &[
            "--json",
            "-e",
            delimited,
            "-e",
            ERRORS,
            "-e",
            "REJECT",
            "flow.log",
            "trail.json",
        ],
    );
    run.ok();
    let objects: Vec<Value> = run
        .lines()
        .iter()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(objects.len(), 3);
    assert_eq!(objects[0]["path"], "flow.log");
    assert_eq!(objects[0]["line"], 1);
    assert!(objects[0].get("record").is_none());
    assert_eq!(objects[0]["event"], flow);
    let patterns = objects[0]["patterns"].as_array().unwrap();
    assert_eq!(patterns.len(), 2);
    assert_eq!(patterns[0]["index"], 0);
    assert_eq!(patterns[0]["pattern"], delimited);
    assert_eq!(patterns[0]["extractedValues"]["$destport"], "3389");
    assert_eq!(patterns[0]["extractedValues"]["$action"], "REJECT");
    assert_eq!(
        patterns[1],
        json!({"index": 2, "pattern": "REJECT", "extractedValues": {}})
    );
    assert_eq!(
        objects[1],
        json!({"path": "trail.json", "record": 1, "event": DENIED,
               "patterns": [{"index": 1, "pattern": ERRORS, "extractedValues": {}}]})
    );
    assert_eq!(objects[2]["record"], 3);
    // With -v the patterns list is empty.
    let run = grep(&dir, &["--json", "-v", "REJECT", "flow.log"]);
    let object: Value = serde_json::from_str(run.ok().stdout.trim()).unwrap();
    assert_eq!(
        object,
        json!({"path": "flow.log", "line": 2, "event": "not a flow log", "patterns": []})
    );
}

#[test]
fn output_does_not_depend_on_the_number_of_threads() {
    let dir = scratch("threads");
    // Several batches of several hundred KiB each.
    let mut text = String::new();
    for i in 0..40_000 {
        let event = EVENTS[i % 4];
        text.push_str(&event.replace("\"eventName\"", &format!("\"n\":{i},\"eventName\"")));
        text.push('\n');
    }
    write(&dir, "big.log", &text);
    write(
        &dir,
        "big.json.gz",
        gzip(records(&text.lines().collect::<Vec<_>>()).as_bytes()),
    );
    let one = grep(&dir, &["-j", "1", "-n", ERRORS, "big.log", "big.json.gz"]);
    one.ok();
    assert_eq!(one.lines().len(), 40_000);
    let four = grep(&dir, &["-j", "4", "-n", ERRORS, "big.log", "big.json.gz"]);
    assert_eq!(one.stdout, four.ok().stdout);
    assert!(one.lines()[19_999].starts_with("big.log:39999:"));
    assert!(one.lines()[39_999].starts_with("big.json.gz:39999:"));
}

#[test]
fn malformed_inputs_are_reported_skipped_and_give_status_2() {
    let dir = scratch("malformed");
    // A line that is not UTF-8 between two good ones.
    let mut bad_line = format!("{DENIED}\n").into_bytes();
    bad_line.extend_from_slice(b"\xff\xfe not text\n");
    bad_line.extend_from_slice(format!("{UNAUTHORIZED}\n").as_bytes());
    write(&dir, "1-bad-line.log", bad_line);
    // A truncated Records file: the records before the cut are searched.
    let trail = records(&EVENTS);
    write(
        &dir,
        "2-truncated.json",
        &trail[..trail.find(LIST).unwrap() + 10],
    );
    // Gzip data cut short.
    let gz = gzip(jsonl(&EVENTS).as_bytes());
    write(&dir, "3-truncated.gz", &gz[..gz.len() - 12]);
    // Data after the Records object.
    write(
        &dir,
        "4-trailing.json",
        format!("{} garbage", records(&[DENIED])),
    );
    let run = grep(&dir, &["-n", ERRORS, "."]);
    assert_eq!(run.status, 2, "{run:?}");
    let lines = run.lines();
    assert_eq!(
        lines[..4],
        [
            format!("./1-bad-line.log:1:{DENIED}"),
            format!("./1-bad-line.log:3:{UNAUTHORIZED}"),
            format!("./2-truncated.json:1:{DENIED}"),
            format!("./2-truncated.json:3:{UNAUTHORIZED}"),
        ]
    );
    assert_eq!(
        lines.last(),
        Some(&format!("./4-trailing.json:1:{DENIED}").as_str())
    );
    let errors: Vec<&str> = run.stderr.lines().collect();
    assert_eq!(errors.len(), 4, "{run:?}");
    assert!(
        errors[0].contains("./1-bad-line.log:2: invalid UTF-8")
            && errors[0].ends_with("[invalid-utf8]"),
        "{}",
        errors[0]
    );
    assert!(
        errors[1].contains("./2-truncated.json, record 4: invalid JSON"),
        "{}",
        errors[1]
    );
    assert!(errors[2].contains("./3-truncated.gz"), "{}", errors[2]);
    assert!(errors[2].ends_with("[truncated-gzip]"), "{}", errors[2]);
    assert!(
        errors[3].contains("./4-trailing.json:1: invalid JSON"),
        "{}",
        errors[3]
    );
}

#[test]
fn missing_path_is_an_error_but_the_others_are_searched() {
    let dir = scratch("missing");
    write(&dir, "a.log", jsonl(&EVENTS));
    let run = grep(&dir, &[DENIED_PATTERN, "nope.log", "a.log"]);
    assert_eq!(run.status, 2);
    assert_eq!(run.lines(), [format!("a.log:{DENIED}")]);
    assert!(run.stderr.contains("nope.log: No such file"), "{run:?}");
    // A bucket's URL is searched alone (tests/s3.rs searches buckets): refused before any
    // output, naming why.
    let run = grep(&dir, &[DENIED_PATTERN, "s3://trail/AWSLogs/", "a.log"]);
    assert_eq!(run.status, 2);
    assert!(run.lines().is_empty(), "{run:?}");
    assert!(
        run.stderr
            .contains("s3:// URLs are searched alone: not with local paths or standard input"),
        "{run:?}"
    );
    let run = grep(&dir, &[DENIED_PATTERN, "s3://x/"]);
    assert_eq!(run.status, 2);
    assert!(run.stderr.contains("`x` is no S3 bucket name"), "{run:?}");
}

#[test]
fn exit_status_1_when_nothing_is_selected() {
    let dir = scratch("nothing");
    write(&dir, "a.log", jsonl(&EVENTS));
    let run = grep(&dir, &["NoSuchTerm", "a.log"]);
    assert_eq!(
        (run.status, run.stdout.as_str(), run.stderr.as_str()),
        (1, "", "")
    );
    let run = grep(&dir, &["-l", "NoSuchTerm", "a.log"]);
    assert_eq!((run.status, run.stdout.as_str()), (1, ""));
}

#[test]
fn invalid_pattern_gives_status_2_and_says_which() {
    let dir = scratch("invalid");
    write(&dir, "a.log", jsonl(&EVENTS));
    write(&dir, "patterns.txt", "ERROR\n\n{ $.eventName = x\n");
    let run = grep(&dir, &["-f", "patterns.txt", "a.log"]);
    assert_eq!(run.status, 2);
    assert_eq!(run.stdout, "");
    assert!(run.stderr.contains("line 3 of patterns.txt"), "{run:?}");
    assert!(run.stderr.contains("unclosed-brace"), "{run:?}");
    let run = grep(&dir, &[]);
    assert_eq!(run.status, 2);
}

#[test]
fn a_pattern_that_starts_with_a_dash_goes_after_e() {
    let dir = scratch("dash");
    write(&dir, "a.log", "INFO ok\nDEBUG noise\n");
    let run = grep(&dir, &["-e", "-DEBUG", "a.log"]);
    assert_eq!(run.ok().lines(), ["INFO ok"]);
}

#[test]
fn closed_output_ends_quietly() {
    let dir = scratch("pipe");
    let text = jsonl(&EVENTS).repeat(50_000);
    write(&dir, "big.log", &text);
    let mut child = Command::new(BIN)
        .args(["grep", "{ $.eventName = * }", "big.log"])
        .current_dir(&dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let mut first = [0u8; 100];
    std::io::Read::read_exact(&mut stdout, &mut first).unwrap();
    drop(stdout);
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(String::from_utf8_lossy(&out.stderr), "");
}

#[test]
fn concatenated_records_files_other_members_and_tricky_strings() {
    let dir = scratch("records-tricky");
    let tricky = r#"{"eventName":"PutObject","key":"a \"]}\\ [{,\n","errorCode":"AccessDenied"}"#;
    // `cat` of two log files (no newline between them), members after Records.
    let text = format!(
        "{{\"Records\": [{DENIED}, {tricky}], \"x\": {{\"Records\": [1]}}, \"y\": [\"]\"]}}{}",
        records(&[UNAUTHORIZED, LIST])
    );
    write(&dir, "cat.json", &text);
    let run = grep(&dir, &["-n", ERRORS, "cat.json"]);
    run.ok();
    assert_eq!(
        run.lines(),
        [
            format!("1:{DENIED}"),
            format!("2:{tricky}"),
            // The position in its own Records array.
            format!("1:{UNAUTHORIZED}")
        ]
    );
}

#[test]
fn a_record_that_is_not_utf8_is_reported_and_skipped() {
    let dir = scratch("records-utf8");
    let mut bytes = b"{\"Records\":[".to_vec();
    bytes.extend_from_slice(DENIED.as_bytes());
    bytes.extend_from_slice(b",{\"eventName\":\"\xff\"},");
    bytes.extend_from_slice(UNAUTHORIZED.as_bytes());
    bytes.extend_from_slice(b"]}");
    write(&dir, "trail.json", bytes);
    let run = grep(&dir, &["-n", ERRORS, "trail.json"]);
    assert_eq!(run.status, 2, "{run:?}");
    assert_eq!(
        run.lines(),
        [format!("1:{DENIED}"), format!("3:{UNAUTHORIZED}")]
    );
    assert!(
        run.stderr.contains("trail.json, record 2: invalid UTF-8"),
        "{run:?}"
    );
    assert!(run.stderr.contains("[invalid-utf8]"), "{run:?}");
}

/// Files are read in ranges by the workers, standard input by one reader: both must give the
/// same lines, numbers and errors, whatever falls on a range boundary (ranges are 1 to 4 MiB:
/// the file spans three at least).
#[test]
fn files_read_in_ranges_agree_with_standard_input() {
    let dir = scratch("ranges");
    let mut bytes = b"\xef\xbb\xbf".to_vec();
    let mut n = 0usize;
    while bytes.len() < 9_000_000 {
        n += 1;
        let filler = "x".repeat((n * 7919) % 3000);
        let line = match n % 7 {
            0 => format!(
                "{{\"eventName\":\"Big\",\"errorCode\":\"E{n}\",\"pad\":\"{}\"}}\n",
                "y".repeat(300_000)
            ),
            1 => format!("ERROR {n} {filler}\r\n"),
            2 => "\n".to_owned(),
            3 => format!("INFO {n} {filler}\n"),
            _ => format!("{{\"eventName\":\"E{n}\",\"errorCode\":\"X\",\"f\":\"{filler}\"}}\n"),
        };
        bytes.extend_from_slice(line.as_bytes());
        if n == 20 {
            bytes.extend_from_slice(b"\xff not UTF-8\n");
        }
    }
    bytes.extend_from_slice(b"ERROR last line without a newline");
    write(&dir, "mixed.log", &bytes);
    for args in [
        vec!["-n", "-e", ERRORS, "-e", "ERROR"],
        vec!["-n", "-v", "ERROR"],
        vec!["--json", "-e", ERRORS],
        vec!["-c", "-e", ERRORS, "-e", "ERROR", "-e", "INFO"],
    ] {
        for threads in ["1", "3"] {
            let mut file_args = args.clone();
            file_args.extend(["-j", threads, "mixed.log"]);
            let from_file = grep(&dir, &file_args);
            let mut stdin_args = args.clone();
            stdin_args.extend(["-j", threads]);
            let from_stdin = grep_in(&dir, &stdin_args, Some(&bytes));
            assert_eq!(from_file.status, 2, "{args:?}");
            assert_eq!(
                from_file
                    .stdout
                    .replace("\"path\":\"mixed.log\"", "\"path\":\"<stdin>\""),
                from_stdin.stdout,
                "{args:?}"
            );
            assert_eq!(
                from_file.stderr.replace("mixed.log", "<stdin>"),
                from_stdin.stderr,
                "{args:?}"
            );
            assert!(
                from_file.stderr.contains(":21: invalid UTF-8"),
                "{}",
                from_file.stderr
            );
            assert!(
                from_file.stderr.contains("[record-too-large]"),
                "{}",
                from_file.stderr
            );
        }
    }
}

/// The limit of scan, CloudWatch Logs' 256 KiB event.
#[test]
fn a_line_longer_than_256_kib_is_reported_with_its_number_and_skipped() {
    let dir = scratch("too-long");
    let mut text = String::from("ERROR 1\n");
    text.push_str(&"z".repeat(300 << 10));
    text.push_str("\nERROR 3\n");
    write(&dir, "long.log", &text);
    let from_file = grep(&dir, &["-n", "ERROR", "long.log"]);
    let from_stdin = grep_in(&dir, &["-n", "ERROR"], Some(text.as_bytes()));
    for run in [&from_file, &from_stdin] {
        assert_eq!(run.status, 2);
        assert_eq!(run.lines(), ["1:ERROR 1", "3:ERROR 3"]);
        assert!(
            run.stderr
                .contains(":2: the line is 307200 bytes, more than the limit of 262144"),
            "{}",
            run.stderr
        );
        assert!(run.stderr.contains("[record-too-large]"), "{}", run.stderr);
    }
}

#[test]
fn a_record_longer_than_256_kib_is_reported_and_skipped() {
    let dir = scratch("records-long");
    let big = format!(
        "{{\"errorCode\":\"Big\",\"pad\":\"{}\"}}",
        "p".repeat(300 << 10)
    );
    write(&dir, "trail.json", records(&[DENIED, &big, UNAUTHORIZED]));
    let run = grep(&dir, &["-n", ERRORS, "trail.json"]);
    assert_eq!(run.status, 2);
    assert_eq!(
        run.lines(),
        [format!("1:{DENIED}"), format!("3:{UNAUTHORIZED}")]
    );
    assert!(
        run.stderr.contains("trail.json, record 2: the record is"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("[record-too-large]"), "{}", run.stderr);
}

/// Standard base64 with padding (the tests need no crate for it).
fn base64(bytes: &[u8]) -> String {
    const DIGITS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk.iter().fold(0u32, |n, &b| n << 8 | u32::from(b)) << (8 * (3 - chunk.len()));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(DIGITS[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// A CloudWatch Logs subscription payload as CloudWatch Logs writes it (before gzip).
fn subscription(events: &[&str]) -> String {
    let log_events: Vec<Value> = events
        .iter()
        .enumerate()
        .map(|(i, e)| json!({"id": format!("3{i}"), "timestamp": 1_600_000_000_000u64 + i as u64, "message": e}))
        .collect();
    json!({"messageType": "DATA_MESSAGE", "owner": "123456789012",
           "logGroup": "CloudTrail/DefaultLogGroup", "logStream": "123456789012_CloudTrail_us-east-1",
           "subscriptionFilters": ["all"], "logEvents": log_events})
    .to_string()
}

/// A subscription payload's messages of text (VPC flow logs, an application's lines) are
/// events as lines of text are: term and space-delimited patterns match them, and they are
/// printed as they are (JSON messages compact).
#[test]
fn grep_matches_and_prints_text_messages_of_payloads() {
    let dir = scratch("text-messages");
    let flow = "2 123456789010 eni-1 172.31.9.69 172.31.9.12 49761 3389 6 20 4249 1418530010 1418530070 REJECT OK";
    let payload = gzip(subscription(&[flow, "ERROR disk full", "{\"a\": \"b c\"}"]).as_bytes());
    write(&dir, "vpc.gz", &payload);
    let delimited = "[version, account, eni, src, dst, srcport, dstport = 3389, ...]";
    let run = grep(
        &dir,
        &[
            "-n", "-e", delimited, "-e", "ERROR", "-e", "\"b c\"", "vpc.gz",
        ],
    );
    run.ok();
    assert_eq!(
        run.lines(),
        [
            format!("1:{flow}"),
            "2:ERROR disk full".to_owned(),
            "3:{\"a\":\"b c\"}".to_owned(),
        ]
    );
    let run = grep(&dir, &["-c", "-e", "REJECT", "-e", "ERROR", "vpc.gz"]);
    assert_eq!(run.ok().stdout, "1\tREJECT\n1\tERROR\n");
}

/// Every format scan reads, grep reads: subscription payloads (gzip as delivered by a
/// subscription, base64 in a Lambda event), an export and `aws logs filter-log-events` output.
#[test]
fn grep_reads_subscription_payloads_exports_and_filter_log_events_output() {
    let dir = scratch("formats");
    let payload = gzip(subscription(&[DENIED, LOGIN, UNAUTHORIZED]).as_bytes());
    write(&dir, "payload.gz", &payload);
    let lambda = json!({"awslogs": {"data": base64(&payload)}}).to_string();
    write(&dir, "lambda.json", &lambda);
    write(&dir, "payload.b64", base64(&payload));
    let export = format!(
        "2020-09-14T00:44:23.000Z {DENIED}\n2020-09-14T00:44:24.000Z {LIST}\n2020-09-14T00:44:25.000Z {UNAUTHORIZED}\n"
    );
    write(&dir, "export.txt", gzip(export.as_bytes()));
    // The AWS CLI prints filter-log-events output pretty, over many lines.
    let filtered = serde_json::to_string_pretty(&json!({
        "events": [
            {"logStreamName": "s", "timestamp": 1, "message": DENIED, "ingestionTime": 2, "eventId": "1"},
            {"logStreamName": "s", "timestamp": 3, "message": LIST, "ingestionTime": 4, "eventId": "2"},
        ],
        "searchedLogStreams": [],
    }))
    .unwrap();
    write(&dir, "filtered.json", &filtered);
    let run = grep(
        &dir,
        &[
            "-n",
            ERRORS,
            "payload.gz",
            "lambda.json",
            "payload.b64",
            "export.txt",
            "filtered.json",
        ],
    );
    run.ok();
    assert_eq!(
        run.lines(),
        [
            format!("payload.gz:1:{DENIED}"),
            format!("payload.gz:3:{UNAUTHORIZED}"),
            format!("lambda.json:1:{DENIED}"),
            format!("lambda.json:3:{UNAUTHORIZED}"),
            format!("payload.b64:1:{DENIED}"),
            format!("payload.b64:3:{UNAUTHORIZED}"),
            format!("export.txt:1:{DENIED}"),
            format!("export.txt:3:{UNAUTHORIZED}"),
            format!("filtered.json:1:{DENIED}"),
        ]
    );
    let run = grep(&dir, &["-c", "-e", ERRORS, "-e", "ListBuckets", "."]);
    assert_eq!(run.ok().stdout, format!("9\t{ERRORS}\n2\tListBuckets\n"));
}

#[test]
fn pattern_files_skip_comments_and_blank_lines_as_lint_does() {
    let dir = scratch("f-comments");
    write(&dir, "a.log", jsonl(&EVENTS));
    write(
        &dir,
        "patterns.txt",
        "# CIS-like checks\n\n   \nConsoleLogin\n  # indented comment\n\"#x\"\n",
    );
    let run = grep(&dir, &["-c", "-f", "patterns.txt", "a.log"]);
    // Before: `# CIS-like checks` was a term pattern and the blank line matched everything.
    assert_eq!(run.ok().stdout, "1\tConsoleLogin\n0\t\"#x\"\n");
    write(&dir, "bad.txt", "# fine\n{ $.x = \n");
    let run = grep(&dir, &["-f", "bad.txt", "a.log"]);
    assert_eq!(run.status, 2);
    assert!(run.stderr.contains("line 2 of bad.txt"), "{run:?}");
}

#[test]
fn thread_counts_above_256_are_refused_and_large_ones_capped() {
    let dir = scratch("threads-bound");
    write(&dir, "a.log", jsonl(&EVENTS));
    let run = grep(&dir, &["-j", "1000000", "-c", ERRORS, "a.log"]);
    assert_eq!(run.status, 2);
    assert!(run.stderr.contains("-j 1000000: at most 256"), "{run:?}");
    assert_eq!(run.stdout, "");
    // At the cap, the run succeeds with the same counts as any other number of threads.
    let run = grep(&dir, &["-j", "256", "-c", ERRORS, "a.log"]);
    assert_eq!(run.ok().stdout, format!("2\t{ERRORS}\n"));
}

#[cfg(unix)]
#[test]
fn a_fifo_in_a_directory_is_reported_not_read_and_links_inside_are_followed_on_request() {
    let dir = scratch("fifo");
    write(&dir, "logs/a.log", jsonl(&[DENIED]));
    write(&dir, "outside/b.log", jsonl(&[UNAUTHORIZED]));
    let status = Command::new("mkfifo")
        .arg(dir.join("logs/pipe.log"))
        .status()
        .unwrap();
    assert!(status.success());
    std::os::unix::fs::symlink(dir.join("outside/b.log"), dir.join("logs/link.log")).unwrap();
    let run = run_within(&dir, &["grep", ERRORS, "logs"], 20);
    assert_eq!(run.status, 2, "{run:?}");
    assert_eq!(run.lines(), [format!("logs/a.log:{DENIED}")]);
    assert_eq!(
        run.stderr,
        "trailmatch: logs/pipe.log: a FIFO, not a regular file; skipped [not-a-file]\n"
    );
    let run = run_within(&dir, &["grep", "-L", ERRORS, "logs"], 20);
    assert_eq!(
        run.lines(),
        [
            format!("logs/a.log:{DENIED}"),
            format!("logs/link.log:{UNAUTHORIZED}")
        ]
    );
    // Named on the command line, a link is followed.
    let run = run_within(&dir, &["grep", ERRORS, "logs/link.log"], 20);
    assert_eq!(run.ok().lines(), [UNAUTHORIZED]);
    // Named on the command line, a FIFO is read as a stream.
    let fifo = dir.join("logs/pipe.log");
    let writer = std::thread::spawn(move || std::fs::write(fifo, jsonl(&[DENIED, LIST])));
    let run = run_within(&dir, &["grep", ERRORS, "logs/pipe.log"], 20);
    // The writer blocks opening the FIFO until a reader opens it: if grep never did, waiting
    // for it would hang, so the wait is bounded and the test fails instead (the blocked thread
    // ends with the test process).
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while !writer.is_finished() {
        assert!(
            std::time::Instant::now() < deadline,
            "nothing read the FIFO: {run:?}"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    writer.join().unwrap().unwrap();
    assert_eq!(run.ok().lines(), [DENIED]);
}

/// `tail -f | trailmatch grep`: a line is searched as soon as it arrives, not when more input
/// follows.
#[test]
fn a_live_standard_input_is_searched_as_lines_arrive() {
    use std::io::{BufRead, BufReader};
    let mut child = Command::new(BIN)
        .args(["grep", "ERROR"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(b"ERROR a\n").unwrap();
    stdin.flush().unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = BufReader::new(stdout).read_line(&mut line);
        let _ = tx.send(line);
    });
    let line = rx.recv_timeout(std::time::Duration::from_secs(10));
    drop(stdin);
    let _ = child.wait();
    assert_eq!(line.as_deref(), Ok("ERROR a\n"));
}

#[test]
fn a_records_line_with_a_bad_record_gives_the_good_records_and_a_skip() {
    // Before, the whole line was one event of text: nothing matched and nothing was reported.
    let dir = scratch("records-bad-record");
    for bad in ["NaN", "\"raw\ttab\""] {
        let line = format!("{{\"Records\":[{{\"a\":1}},{{\"a\":{bad}}},{{\"a\":1,\"b\":2}}]}}\n");
        write(&dir, "nan.json", &line);
        write(&dir, "nan.json.gz", gzip(line.as_bytes()));
        let want = "1:{\"a\":1}\n3:{\"a\":1,\"b\":2}\n";
        for args in [
            &["-n", "-j", "1", "{$.a=1}", "nan.json"][..],
            &["-n", "-j", "2", "{$.a=1}", "nan.json"],
            &["-n", "{$.a=1}", "nan.json.gz"],
            &["-n", "{$.a=1}"],
        ] {
            let stdin = (args.len() == 2).then_some(line.as_bytes());
            let run = grep_in(&dir, args, stdin);
            assert_eq!(run.status, 2, "{bad} {args:?}: {run:?}");
            assert_eq!(run.stdout, want, "{bad} {args:?}");
            assert!(
                run.stderr.contains(", record 2: ") && run.stderr.ends_with("[invalid-json]\n"),
                "{bad} {args:?}: {run:?}"
            );
        }
        let run = grep(&dir, &["-c", "-v", "zzz", "nan.json.gz"]);
        assert_eq!((run.status, run.stdout.as_str()), (2, "2\tzzz\n"));
    }
}

/// A small deterministic generator (xorshift) for the differential test.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }
}

#[test]
fn a_file_gives_what_its_bytes_piped_in_give() {
    // The invariant: grep on a file (read as ranges of lines in parallel when it can be) gives
    // the events, skips and exit status of grep on the same bytes read as one stream. Before,
    // a document over several lines or a container line cut short after a first line of JSON
    // was read as lines of text, and records were lost without a word.
    const PIECES: &[&str] = &[
        "{\"eventName\":\"A\",\"n\":1}",
        "  {\"eventName\":\"B\"}  ",
        "INFO text line eventName",
        "",
        "{\"Records\":[{\"eventName\":\"B\"},{\"eventName\":\"C\"}]}",
        "{\"Records\":[{\"a\":1},{\"a\":NaN},{\"a\":1,\"b\":2}]}",
        "{\"Records\":[{\"a\":1},{\"a\":2},{\"a\":3,\"b\":\"tru",
        "{\n  \"Records\": [\n    {\"eventName\": \"B\"},\n    {\"eventName\": \"C\"}\n  ]\n}",
        "{\n  \"eventName\": \"B\"\n}",
        "2020-09-14T00:44:23.000Z {\"eventName\":\"B\"}",
        "{\"a\":1} trailing",
        "{\"a\":1} {\"b\":",
        "{not json",
        "]}",
        "{\"eventName\":\"raw\ttab\"}",
    ];
    let dir = scratch("file-vs-stdin");
    // About 1.2 MB of plain JSON lines between the pieces: a case crosses the ranges of 1 to
    // 4 MiB that files are read in.
    let filler: String = (0..16_000)
        .map(|i| {
            format!(
                "{{\"eventName\":\"F\",\"i\":{i},\"pad\":\"{}\"}}\n",
                "x".repeat(40)
            )
        })
        .collect();
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    for case in 0..12 {
        let mut input = String::new();
        for _ in 0..(1 + rng.below(6)) {
            for _ in 0..rng.below(3) {
                input.push_str(&filler);
            }
            input.push_str(PIECES[rng.below(PIECES.len())]);
            input.push('\n');
        }
        if case % 3 == 0 {
            input.pop();
        }
        write(&dir, "f.log", &input);
        let stdin = grep_in(&dir, &["-n", "-v", "zzzz"], Some(input.as_bytes()));
        let want = (
            stdin.status,
            stdin.stdout.clone(),
            stdin.stderr.replace("<stdin>", "f.log"),
        );
        for j in ["1", "2"] {
            let file = grep(&dir, &["-n", "-j", j, "-v", "zzzz", "f.log"]);
            let got = (file.status, file.stdout.clone(), file.stderr.clone());
            assert!(
                got == want,
                "case {case}, -j {j}: {input:?}\n{got:?}\n{want:?}"
            );
        }
    }
}

#[test]
fn file_names_and_messages_are_escaped_for_the_terminal() {
    let dir = scratch("escape-names");
    let name = "x\x1b[2Jy";
    write(&dir.join("d"), name, format!("{DENIED}\n\u{ff}bad\u{1b}\n"));
    std::fs::write(
        dir.join("d").join(name),
        b"{\"errorCode\":\"AccessDenied\"}\n\xff\x1b\n",
    )
    .unwrap();
    let escaped = "x\\u{1b}[2Jy";
    let run = grep(&dir, &[ERRORS, "d"]);
    assert_eq!(
        run.stdout,
        format!("d/{escaped}:{{\"errorCode\":\"AccessDenied\"}}\n")
    );
    assert!(!run.stderr.contains('\x1b'), "{run:?}");
    assert!(run.stderr.contains(&format!("d/{escaped}:2: ")), "{run:?}");
    let run = grep(&dir, &["-l", ERRORS, "d"]);
    assert_eq!(run.stdout, format!("d/{escaped}\n"));
    // A pattern echoed by -c, and a file that cannot be read.
    let run = grep(&dir, &["-c", "-e", "a\x1bb", "d", "nothere\x1b"]);
    assert!(
        !run.stdout.contains('\x1b') && !run.stderr.contains('\x1b'),
        "{run:?}"
    );
    assert!(run.stdout.contains("a\\u{1b}b"), "{run:?}");
    assert!(run.stderr.contains("nothere\\u{1b}"), "{run:?}");
    // The JSON output is JSON (the name escaped by JSON), and events are printed as they are.
    let run = grep(&dir, &["--json", ERRORS, "d"]);
    assert!(run.stdout.contains("x\\u001b[2Jy"), "{run:?}");
}

#[test]
fn a_json_object_line_is_printed_without_the_blanks_around_it() {
    // As GREP_HELP says: a line that is one JSON object is printed as the object (the event
    // matched), any other line as written.
    let dir = scratch("indented");
    let input = "  {\"a\":1}  \n  {\"a\":1]\n  \"a\" 1\n";
    write(&dir, "f.log", input);
    for args in [&["-j", "1", "-v", "zzz", "f.log"][..], &["-v", "zzz"]] {
        let stdin = (args.len() == 2).then_some(input.as_bytes());
        let run = grep_in(&dir, args, stdin);
        assert_eq!(
            run.lines(),
            ["{\"a\":1}", "  {\"a\":1]", "  \"a\" 1"],
            "{args:?}"
        );
    }
}

// ---- --eventbridge ------------------------------------------------------------------------------

/// A CloudTrail record with what EventBridge's envelope is made of.
const SIGNIN: &str = r#"{"eventVersion":"1.08","userIdentity":{"type":"IAMUser","accountId":"111122223333"},"eventTime":"2024-03-01T12:00:00Z","eventSource":"signin.amazonaws.com","eventName":"ConsoleLogin","awsRegion":"us-east-1","sourceIPAddress":"192.0.2.7","additionalEventData":{"MFAUsed":"No"},"eventID":"3f6c1b0e-54c5-4b1e-9c6d-2a8f0e1d7c11","eventType":"AwsConsoleSignIn","recipientAccountId":"111122223333"}"#;

#[test]
fn eventbridge_patterns_select_what_the_equivalent_filter_patterns_select() {
    let dir = scratch("eventbridge-raw");
    std::fs::write(dir.join("events.jsonl"), EVENTS.join("\n")).unwrap();
    let pairs = [
        (
            r#"{"eventName": ["ConsoleLogin"]}"#,
            r#"{ $.eventName = "ConsoleLogin" }"#,
        ),
        (
            r#"{"errorCode": [{"prefix": "AccessDenied"}]}"#,
            DENIED_PATTERN,
        ),
        (
            r#"{"errorCode": [{"exists": true}]}"#,
            r#"{ $.errorCode = * }"#,
        ),
        (
            r#"{"sourceIPAddress": [{"cidr": "10.0.0.0/8"}]}"#,
            r#"{ $.sourceIPAddress = "10.*" }"#,
        ),
    ];
    for (event_pattern, filter) in pairs {
        let eb = grep(&dir, &["--eventbridge", event_pattern, "events.jsonl"]);
        let fp = grep(&dir, &[filter, "events.jsonl"]);
        assert_eq!(
            eb.ok().stdout,
            fp.ok().stdout,
            "{event_pattern} vs {filter}"
        );
    }
    // -f: one JSON pattern per line, comments and blank lines skipped; counts in order.
    let list = "# CIS 5.2-like\n{\"eventName\": [\"ConsoleLogin\"]}\n\n{\"errorCode\": [{\"suffix\": \"UnauthorizedOperation\"}]}\n";
    std::fs::write(dir.join("patterns.txt"), list).unwrap();
    let counts = grep(
        &dir,
        &["--eventbridge", "-c", "-f", "patterns.txt", "events.jsonl"],
    );
    assert_eq!(
        counts.ok().lines(),
        [
            "1\t{\"eventName\": [\"ConsoleLogin\"]}",
            "1\t{\"errorCode\": [{\"suffix\": \"UnauthorizedOperation\"}]}"
        ]
    );
}

#[test]
fn eventbridge_envelope_matches_records_as_eventbridge_delivers_them() {
    let dir = scratch("eventbridge-envelope");
    let lines = [SIGNIN, LOGIN, "not json at all"].join("\n");
    std::fs::write(dir.join("trail.jsonl"), lines).unwrap();
    let delivered = r#"{"source": ["aws.signin"], "detail-type": ["AWS Console Sign In via CloudTrail"], "account": ["111122223333"], "region": ["us-east-1"], "time": [{"prefix": "2024-03-01"}], "detail": {"additionalEventData": {"MFAUsed": [{"anything-but": "Yes"}]}}}"#;
    let wrapped = grep(
        &dir,
        &[
            "--eventbridge",
            "--envelope",
            "cloudtrail",
            delivered,
            "trail.jsonl",
        ],
    );
    // The record is printed, not its envelope; LOGIN (no eventSource) and the text line cannot
    // be wrapped and match nothing.
    assert_eq!(wrapped.ok().lines(), [SIGNIN]);
    // Without the envelope the record has no `source` nor `detail`.
    let raw = grep(&dir, &["--eventbridge", delivered, "trail.jsonl"]);
    assert_eq!((raw.status, raw.stdout.as_str()), (1, ""));
    // With -v, what cannot be wrapped is selected.
    let inverted = grep(
        &dir,
        &[
            "--eventbridge",
            "--envelope",
            "cloudtrail",
            "-v",
            delivered,
            "trail.jsonl",
        ],
    );
    assert_eq!(inverted.ok().lines(), [LOGIN, "not json at all"]);
}

#[test]
fn eventbridge_pattern_errors_point_into_the_pattern() {
    let dir = scratch("eventbridge-errors");
    std::fs::write(dir.join("events.jsonl"), EVENTS.join("\n")).unwrap();
    let bad = grep(
        &dir,
        &[
            "--eventbridge",
            r#"{"eventName": "ConsoleLogin"}"#,
            "events.jsonl",
        ],
    );
    assert_eq!(bad.status, 2, "{bad:?}");
    assert!(
        bad.stderr.contains("Event pattern is not valid."),
        "{bad:?}"
    );
    assert!(bad.stderr.contains("--> EventPattern:1:15"), "{bad:?}");
    // A filter pattern is not an event pattern.
    let filter = grep(&dir, &["--eventbridge", DENIED_PATTERN, "events.jsonl"]);
    assert_eq!(filter.status, 2, "{filter:?}");
    // --envelope needs --eventbridge.
    let alone = grep(
        &dir,
        &["--envelope", "cloudtrail", DENIED_PATTERN, "events.jsonl"],
    );
    assert_eq!(alone.status, 2, "{alone:?}");
    assert!(alone.stderr.contains("--eventbridge"), "{alone:?}");
}
