//! Hostile input through the command line: whatever the arguments, pattern files and logs hold,
//! `trailmatch` answers with a result or a clear error and an exit status of 0, 1 or 2 — never a
//! panic (101) or an abort. Each test says what is expected and why.

mod common;

use std::io::Write;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use common::{BIN, named, run_in};

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("trailmatch-adv-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Runs the binary with raw (possibly non-UTF-8) arguments; output decoded lossily.
fn run_raw(args: &[&[u8]], stdin: &[u8]) -> (i32, String, String) {
    let mut child = Command::new(BIN)
        .args(args.iter().map(|a| std::ffi::OsStr::from_bytes(a)))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut pipe = child.stdin.take().unwrap();
    let input = stdin.to_vec();
    std::thread::spawn(move || pipe.write_all(&input));
    outcome(child)
}

/// How the child ended: exit status (never a panic's 101), standard output and error decoded
/// lossily.
fn outcome(child: std::process::Child) -> (i32, String, String) {
    let out = child.wait_with_output().unwrap();
    let status = out.status.code().expect("exited, not killed by a signal");
    assert_ne!(
        status,
        101,
        "panicked: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    (
        status,
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A pattern argument that is not UTF-8: a usage error naming the problem (exit 2).
#[test]
fn invalid_utf8_in_arguments() {
    let (status, _, stderr) = run_raw(&[b"check", b"ab\xffcd"], b"");
    assert_eq!(status, 2);
    assert!(stderr.contains("invalid UTF-8"), "{stderr}");
    let (status, _, stderr) = run_raw(&[b"grep", b"-e", b"\xff", b"-"], b"x\n");
    assert_eq!(status, 2);
    assert!(stderr.contains("invalid UTF-8"), "{stderr}");
}

/// A pattern file that is not UTF-8, or a pattern on standard input that is not: exit 2 with
/// what and where.
#[test]
fn invalid_utf8_in_pattern_files() {
    let dir = scratch("patfile");
    let file = dir.join("patterns.txt");
    std::fs::write(&file, b"ERROR\nWA\xffRN\n").unwrap();
    let (status, _, stderr) = run_raw(
        &[b"grep", b"-c", b"-f", file.as_os_str().as_bytes(), b"-"],
        b"ERROR\n",
    );
    assert_eq!(status, 2, "{stderr}");
    assert!(stderr.contains("UTF-8"), "{stderr}");
    let (status, _, stderr) = run_raw(&[b"check", b"-"], b"\xfe\xff");
    assert_eq!(status, 2);
    assert!(stderr.contains("not UTF-8"), "{stderr}");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Patterns at and past the limits: each refused with its own code, exit 2.
#[test]
fn patterns_past_the_limits() {
    let deep = format!("{{ {}$.a = 1{} }}", "(".repeat(10_000), ")".repeat(10_000));
    let (status, _, stderr) = run_raw(&[b"check", deep.as_bytes()], b"");
    assert_eq!(status, 2);
    assert!(
        stderr.contains("pattern-too-long") || stderr.contains("nesting-too-deep"),
        "{stderr}"
    );
    // Within 1024 characters, 300 levels of parentheses: nesting, not length.
    let nested = format!("{{ {}$.a = 1{} }}", "(".repeat(300), ")".repeat(300));
    let (status, _, stderr) = run_raw(&[b"check", nested.as_bytes()], b"");
    assert_eq!(status, 2);
    assert!(stderr.contains("error[nesting-too-deep]"), "{stderr}");
    let long = "x".repeat(1 << 20);
    let (status, _, stderr) = run_raw(&[b"check", b"-"], long.as_bytes());
    assert_eq!(status, 2);
    assert!(stderr.contains("error[pattern-too-long]"), "{stderr}");
}

/// 10,000 wildcard patterns in one set compile and run (the set is well inside the automaton
/// limits).
#[test]
fn ten_thousand_wildcard_patterns() {
    let dir = scratch("globs");
    let patterns: String = (0..10_000)
        .map(|i| format!("{{ $.eventName = \"Describe{i}*\" }}\n"))
        .collect();
    let file = dir.join("globs.txt");
    std::fs::write(&file, patterns).unwrap();
    let events = b"{\"eventName\":\"Describe42Things\"}\n{\"eventName\":\"Other\"}\n";
    let (status, stdout, stderr) = run_raw(
        &[b"grep", b"-c", b"-f", file.as_os_str().as_bytes(), b"-"],
        events,
    );
    assert_eq!(status, 0, "{stderr}");
    let counts: Vec<&str> = stdout
        .lines()
        .map(|l| l.split('\t').next().unwrap())
        .collect();
    assert_eq!(counts.len(), 10_000);
    // `Describe42*` and `Describe4*`: both match `Describe42Things`.
    assert_eq!(counts.iter().filter(|c| **c == "1").count(), 2);
    assert_eq!((counts[4], counts[42]), ("1", "1"));
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Events with a byte-order mark, CRLF line ends, invalid UTF-8, NUL bytes, numbers beyond f64
/// and duplicate keys: each record either read (and matched by the rules the language gives) or
/// skipped with its reason, and the counts add up.
#[test]
fn hostile_events_are_read_or_skipped_and_counted() {
    let dir = scratch("events");
    let file = dir.join("events.jsonl");
    let mut bytes = Vec::new();
    bytes.extend_from_slice(b"\xef\xbb\xbf{\"eventName\":\"StopLogging\"}\r\n"); // BOM, CRLF: read
    bytes
        .extend_from_slice(b"{\"eventName\":\"DescribeTrails\",\"eventName\":\"StopLogging\"}\r\n"); // last key wins
    bytes.extend_from_slice(b"{\"eventName\":\"Stop\xffLogging\"}\n"); // invalid UTF-8: skipped
    bytes.extend_from_slice(b"\0\0\0\n"); // NUL bytes: skipped
    bytes.extend_from_slice(b"{\"eventName\":\"StopLogging\",\"n\":1e400}\n"); // beyond f64: read
    bytes.extend_from_slice(b"{\"eventName\":\"StopLogging\",\"s\":\"a\\u0000b\"}\n"); // escaped NUL: read
    std::fs::write(&file, &bytes).unwrap();
    let path = file.to_str().unwrap();
    let run = run_in(
        Path::new("."),
        &["scan", path, "--no-insights", "--format", "json"],
        None,
    );
    assert_eq!(run.status, 0, "{}", run.stderr);
    let report: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let r = &report["records"];
    assert_eq!(
        (r["read"].as_u64(), r["skipped"].as_u64()),
        (Some(4), Some(2)),
        "{r}"
    );
    // CIS 5.5 (CloudTrail changes) matches all four readable records.
    let stop = named(&report["rules"], "CIS-5.5-cloudtrail_cfg_changes_metric");
    assert_eq!(stop["matches"], 4);
    let codes: Vec<&str> = report["skipped"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, ["invalid-json", "invalid-utf8"]);
    // grep reads the same file line by line: the four readable events match; the invalid
    // UTF-8 line is reported and skipped (exit 2: an error was met); the NUL line is no JSON
    // and does not match.
    let grep = run_in(
        Path::new("."),
        &["grep", "-c", "{ $.eventName = \"StopLogging\" }", path],
        None,
    );
    assert_eq!(grep.status, 2, "{}", grep.stderr);
    assert_eq!(grep.stdout, "4\t{ $.eventName = \"StopLogging\" }\n");
    assert!(
        grep.stderr.contains(":3: invalid UTF-8") && grep.stderr.contains("[invalid-utf8]"),
        "{}",
        grep.stderr
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Writes `{"a":"xxx…"}` of `size` bytes and then one ordinary record to the child's standard
/// input without ever holding the large line in memory.
fn run_with_huge_line(args: &[&str], size: usize) -> (i32, String, String) {
    let mut child = Command::new(BIN)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut pipe = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || -> std::io::Result<()> {
        pipe.write_all(b"{\"a\":\"")?;
        let chunk = vec![b'x'; 1 << 20];
        for _ in 0..size >> 20 {
            pipe.write_all(&chunk)?;
        }
        pipe.write_all(
            b"\"}\n{\"eventName\":\"StopLogging\",\"eventTime\":\"2026-11-23T10:00:00Z\"}\n",
        )
    });
    let result = outcome(child);
    // The reader may stop early (grep gives up on the line); a broken pipe is fine then.
    let _ = writer.join().unwrap();
    result
}

/// A 1 GB single line: `scan` skips it as too large (CloudWatch's 256 KB event limit) without
/// holding it, and reads the record after it; `grep` skips it the same way (one reader, one limit) with a message.
#[test]
fn a_one_gigabyte_line() {
    let (status, stdout, stderr) =
        run_with_huge_line(&["scan", "-", "--no-insights", "--format", "json"], 1 << 30);
    assert_eq!(status, 0, "{stderr}");
    let report: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(report["records"]["read"], 1);
    assert_eq!(report["records"]["skipped"], 1);
    assert_eq!(report["skipped"][0]["code"], "record-too-large");
    let (status, stdout, stderr) = run_with_huge_line(
        &["grep", "-c", "{ $.eventName = \"StopLogging\" }"],
        1 << 30,
    );
    assert_eq!(status, 2, "{stderr}");
    assert_eq!(stdout, "1\t{ $.eventName = \"StopLogging\" }\n");
    assert!(
        stderr.contains("more than the limit of 262144 bytes [record-too-large]"),
        "{stderr}"
    );
}
