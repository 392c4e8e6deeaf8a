//! `trailmatch scan --follow`, run as a user runs it: a real process following a directory or
//! standard input, stopped with SIGTERM, SIGINT or SIGKILL and started again.
//!
//! No test sleeps to make its point: each waits, with a deadline, for what it can observe (the
//! state file saying which files were read, lines in the notification file, the process's
//! exit).

mod common;

use std::io::{Read as _, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::{BIN, run_in, run_within};
use serde_json::Value;

/// The bundled sample: a day of CloudTrail log files, one an hour.
fn sample_files() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/sample");
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().ends_with(".json.gz"))
        .collect();
    files.sort();
    assert_eq!(files.len(), 24);
    files
}

/// How long any wait may take before the test fails.
const DEADLINE: Duration = Duration::from_secs(60);

/// Waits until `done` holds, failing with `what` after [`DEADLINE`].
fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(start.elapsed() < DEADLINE, "waited {DEADLINE:?} for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Puts `file` into `dir` as a writer that renames into place does (as `aws s3 sync` does).
fn deliver(file: &Path, dir: &Path) {
    let name = file.file_name().unwrap();
    let staging = dir.parent().unwrap().join("staging");
    std::fs::create_dir_all(&staging).unwrap();
    std::fs::copy(file, staging.join(name)).unwrap();
    std::fs::rename(staging.join(name), dir.join(name)).unwrap();
}

/// The state file, when it exists and reads.
fn state(path: &Path) -> Option<Value> {
    serde_json::from_slice(&std::fs::read(path).ok()?).ok()
}

/// The number of files the state says were read, with nothing left to deliver.
fn files_done(path: &Path) -> Option<u64> {
    let s = state(path)?;
    if !s["outbox"].as_array()?.is_empty() {
        return None;
    }
    s["progress"]["files"].as_u64()
}

/// A running follower and what it has written on standard error so far.
struct Running {
    child: Child,
    stderr: Arc<Mutex<String>>,
}

impl Running {
    fn start(command: &mut Command) -> Running {
        let mut child = command
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stderr = Arc::new(Mutex::new(String::new()));
        let mut pipe = child.stderr.take().unwrap();
        let sink = Arc::clone(&stderr);
        std::thread::spawn(move || {
            let mut buf = [0; 4096];
            while let Ok(n @ 1..) = pipe.read(&mut buf) {
                sink.lock()
                    .unwrap()
                    .push_str(&String::from_utf8_lossy(&buf[..n]));
            }
        });
        Running { child, stderr }
    }

    fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    /// Waits until it says it follows (its signal handlers are in place and it has walked the
    /// tree once).
    fn ready(self) -> Running {
        wait_for("the follower to start", || {
            self.stderr().contains("SIGINT or SIGTERM stops\n")
        });
        self
    }

    /// Waits for it to exit; its status and standard error.
    fn wait(mut self) -> (i32, String) {
        let mut status = None;
        wait_for("the follower to exit", || {
            status = self.child.try_wait().unwrap();
            status.is_some()
        });
        // The reader thread ends at the end of the pipe.
        wait_for("its standard error to close", || {
            Arc::strong_count(&self.stderr) == 1
        });
        let code = status.unwrap().code().expect("exited, not killed");
        (code, self.stderr())
    }

    /// Sends `signal` (`TERM`, `INT`) and waits for it to exit.
    fn stop(self, signal: &str) -> (i32, String) {
        let sent = Command::new("kill")
            .args([&format!("-{signal}"), &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(sent.success());
        self.wait()
    }
}

/// `scan --follow s3://trail/`, polling every 50 ms with `--state state.json`, in `dir`, against
/// the S3 endpoint on `port` of 127.0.0.1.
fn follow_bucket(dir: &Path, port: u16) -> Running {
    let mut command = Command::new(BIN);
    command
        .args(["scan", "--follow", "s3://trail/", "--poll-interval", "50ms"])
        .args(["--state", "state.json"])
        .current_dir(dir)
        .stdin(Stdio::null());
    common::moto::aws_env(&mut command, &format!("http://127.0.0.1:{port}"));
    Running::start(&mut command)
}

/// [`follow_bucket`] against `receiver` until one object is read, then stopped (status 0): its
/// standard error and the requests the receiver read.
fn read_one(
    dir: &Path,
    receiver: common::receiver::Receiver,
) -> (String, Vec<common::receiver::Request>) {
    let child = follow_bucket(dir, receiver.port);
    wait_for("the object read", || {
        files_done(&dir.join("state.json")) == Some(1)
    });
    let (status, stderr) = child.stop("TERM");
    let requests = receiver.finish();
    assert_eq!(status, 0, "{stderr}");
    (stderr, requests)
}

/// The `GetObject` requests of `requests`, in order: the `If-Match` each sent, and the status
/// it was answered.
fn if_matches(requests: &[common::receiver::Request]) -> Vec<(Option<String>, u16)> {
    requests
        .iter()
        .filter(|r| r.path.ends_with("x-id=GetObject"))
        .map(|r| (r.headers.get("if-match").cloned(), r.status))
        .collect()
}

/// Waits until `child`, a follower, says it lists again what it could not list, then stops it
/// (status 0): its standard error.
fn waits_for_s3(child: Running) -> String {
    wait_for("the failure said", || {
        child.stderr().contains("(listed again every poll)")
    });
    let (status, stderr) = child.stop("TERM");
    assert_eq!(status, 0, "{stderr}");
    stderr
}

/// Runs `command` to its end: its status and standard error. Still running after
/// [`DEADLINE`], it is killed and the test fails.
fn run_to_end(command: &mut Command) -> (i32, String) {
    let mut running = Running::start(command);
    let start = Instant::now();
    while running.child.try_wait().unwrap().is_none() {
        if start.elapsed() > DEADLINE {
            running.child.kill().unwrap();
            panic!("still running after {DEADLINE:?}: {}", running.stderr());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    running.wait()
}

fn follower(dir: &Path, args: &[&str]) -> Running {
    Running::start(
        Command::new(BIN)
            .args(["scan", "--follow", "in", "--poll-interval", "50ms"])
            .args(args)
            .current_dir(dir)
            .stdin(Stdio::null()),
    )
    .ready()
}

/// The notifications of a file target, one SNS message per line.
fn lines(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(str::to_owned)
        .collect()
}

/// The batch scan's notifications of the whole day, in time order (the batch scan writes them
/// alarm by alarm; a sort that keeps ties in that order gives the order they happen in).
fn batch_notifications(dir: &Path) -> Vec<String> {
    let sample = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/sample");
    let run = run_within(
        dir,
        &[
            "scan",
            sample.to_str().unwrap(),
            "--notify",
            "batch.jsonl",
            "--no-progress",
        ],
        120,
    );
    assert_eq!(run.status, 0, "{}", run.stderr);
    let mut batch = lines(&dir.join("batch.jsonl"));
    batch.sort_by_key(|line| {
        let m: Value = serde_json::from_str(line).unwrap();
        m["Timestamp"].as_str().unwrap().to_owned()
    });
    batch
}

/// The issue's "done means": a day of the sample written in three steps, the follower stopped
/// and started again between them (SIGTERM once, SIGKILL once), gets exactly the notifications
/// of the batch scan of the whole day, once each, in order.
#[test]
fn a_day_in_three_steps_with_restarts_gives_the_batch_notifications_once_each() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    std::fs::create_dir(dir.join("in")).unwrap();
    let want = batch_notifications(dir);
    assert_eq!(want.len(), 4, "{want:?}");
    let files = sample_files();
    let args = ["--state", "state.json", "--notify", "out.jsonl"];
    let state_path = dir.join("state.json");

    // Step 1: midnight to 08:00, then SIGTERM.
    let child = follower(dir, &args);
    for f in &files[..8] {
        deliver(f, &dir.join("in"));
    }
    wait_for("8 files read", || files_done(&state_path) == Some(8));
    let (status, stderr) = child.stop("TERM");
    assert_eq!(status, 0, "{stderr}");
    assert!(stderr.contains("Followed 8 files"), "{stderr}");
    assert!(lines(&dir.join("out.jsonl")).is_empty());

    // Step 2: 08:00 to 16:00 (three incidents), then SIGKILL once the state says it is done.
    let mut child = follower(dir, &args);
    for f in &files[8..16] {
        deliver(f, &dir.join("in"));
    }
    wait_for("16 files read", || files_done(&state_path) == Some(16));
    assert_eq!(lines(&dir.join("out.jsonl")), want[..3]);
    child.child.kill().unwrap();
    child.child.wait().unwrap();
    // The state file a SIGKILL left reads.
    assert_eq!(files_done(&state_path), Some(16));

    // Step 3: the rest of the day, then SIGINT.
    let child = follower(dir, &args);
    for f in &files[16..] {
        deliver(f, &dir.join("in"));
    }
    wait_for("24 files read", || files_done(&state_path) == Some(24));
    let (status, stderr) = child.stop("INT");
    assert_eq!(status, 0, "{stderr}");
    assert!(
        stderr.contains("Followed 24 files: 4852 records read"),
        "{stderr}"
    );

    assert_eq!(lines(&dir.join("out.jsonl")), want);
    // The state remembers it all: a fourth start with no new file sends nothing more.
    let child = follower(dir, &args);
    assert!(
        child.stderr().contains("(24 files read so far)"),
        "{}",
        child.stderr()
    );
    let (status, _) = child.stop("TERM");
    assert_eq!(status, 0);
    assert_eq!(lines(&dir.join("out.jsonl")), want);
}

/// SIGKILL at whatever point the follower has reached once its first notification is out
/// (reading a file, delivering, saving): after a restart no notification is missed, and at
/// most the one being delivered when it was killed is sent again (the same message, same
/// `MessageId`).
#[test]
fn a_kill_at_any_point_misses_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    std::fs::create_dir(dir.join("in")).unwrap();
    let want = batch_notifications(dir);
    let args = ["--state", "state.json", "--notify", "out.jsonl"];
    let mut child = follower(dir, &args);
    for f in &sample_files() {
        deliver(f, &dir.join("in"));
    }
    wait_for("a first notification", || {
        !lines(&dir.join("out.jsonl")).is_empty()
    });
    child.child.kill().unwrap();
    child.child.wait().unwrap();
    let child = follower(dir, &args);
    wait_for("24 files read", || {
        files_done(&dir.join("state.json")) == Some(24)
    });
    let (status, stderr) = child.stop("TERM");
    assert_eq!(status, 0, "{stderr}");
    let got = lines(&dir.join("out.jsonl"));
    let mut unique: Vec<String> = Vec::new();
    for line in &got {
        if !unique.contains(line) {
            unique.push(line.clone());
        }
    }
    assert_eq!(unique, want);
    assert!(got.len() <= want.len() + 1, "{got:#?}");
}

/// A damaged file arriving (a gzip file cut short, a file of no known format) is counted as
/// skips, and the files after it are still read.
#[test]
fn a_damaged_file_is_a_counted_skip_not_a_stop() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let input = dir.join("in");
    std::fs::create_dir(&input).unwrap();
    let files = sample_files();
    let child = follower(dir, &["--state", "state.json"]);
    let state_path = dir.join("state.json");
    deliver(&files[0], &input);
    wait_for("the first file read", || files_done(&state_path) == Some(1));
    let whole = std::fs::read(&files[1]).unwrap();
    let staging = dir.join("cut");
    std::fs::write(&staging, &whole[..whole.len() / 2]).unwrap();
    std::fs::rename(&staging, input.join("b-cut.json.gz")).unwrap();
    std::fs::write(&staging, b"\x00\x01binary, no log format").unwrap();
    std::fs::rename(&staging, input.join("c-binary.json")).unwrap();
    deliver(&files[2], &input);
    wait_for("four files read", || files_done(&state_path) == Some(4));
    let s = state(&state_path).unwrap();
    let codes: Vec<&str> = s["skipped"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["code"].as_str().unwrap())
        .collect();
    assert!(codes.contains(&"truncated-gzip"), "{s}");
    assert!(codes.contains(&"unknown-format"), "{s}");
    assert!(s["progress"]["records"]["skipped"].as_u64().unwrap() >= 2);
    let (status, stderr) = child.stop("TERM");
    assert_eq!(status, 0, "{stderr}");
    assert!(stderr.contains("truncated-gzip"), "{stderr}");
}

/// The day's records as JSON Lines, in order.
fn day_as_lines() -> Vec<String> {
    let mut out = Vec::new();
    for f in sample_files() {
        let mut text = String::new();
        flate2::read::GzDecoder::new(std::fs::File::open(f).unwrap())
            .read_to_string(&mut text)
            .unwrap();
        let log: Value = serde_json::from_str(&text).unwrap();
        for r in log["Records"].as_array().unwrap() {
            out.push(r.to_string());
        }
    }
    out
}

/// A selection prunes a followed tree as it prunes a batch scan, and the summary says what the
/// last poll left out (not a sum over every poll): another Region's directory, and an export
/// outside the layout under `--regions`.
#[test]
fn the_summary_says_what_the_selection_left_out_as_last_listed() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let record =
        r#"{"eventTime":"2026-11-23T10:00:00Z","eventName":"StopLogging","awsRegion":"REGION"}"#;
    for region in ["us-east-1", "eu-west-1"] {
        let day = dir.join(format!(
            "in/AWSLogs/111122223333/CloudTrail/{region}/2026/11/23"
        ));
        std::fs::create_dir_all(&day).unwrap();
        let body = format!(r#"{{"Records":[{}]}}"#, record.replace("REGION", region));
        std::fs::write(day.join("a.json"), body).unwrap();
    }
    std::fs::write(dir.join("in/export.jsonl"), format!("{record}\n")).unwrap();
    let child = follower(dir, &["--regions", "us-east-1", "--state", "state.json"]);
    wait_for("the selected file read", || {
        files_done(&dir.join("state.json")) == Some(1)
    });
    // Polls enough to have judged the tree again and again.
    std::thread::sleep(Duration::from_millis(500));
    let (status, stderr) = child.stop("TERM");
    assert_eq!(status, 0, "{stderr}");
    assert!(
        stderr.contains("Followed 1 files: 1 records read"),
        "{stderr}"
    );
    assert!(
        stderr.contains(
            "\n  left out by --accounts, --regions, --start, --end as last listed: 1 files (1 \
             outside CloudTrail's S3 layout) and 1 directory\n"
        ),
        "{stderr}"
    );
}

/// Standard input is read as a stream: notifications go out while it is still open, and at
/// its end (the only input) the follower settles and exits with the batch scan's
/// notifications.
#[test]
fn standard_input_is_followed_as_a_stream() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let want = batch_notifications(dir);
    let records = day_as_lines();
    // Up to 15:00: the first three incidents are in, and event time has passed them.
    let split = records
        .iter()
        .position(|r| r.contains("\"eventTime\":\"2026-11-23T15:"))
        .unwrap();
    let mut child = Running::start(
        Command::new(BIN)
            .args(["scan", "--follow", "-", "--notify", "out.jsonl"])
            .current_dir(dir)
            .stdin(Stdio::piped()),
    );
    let mut stdin = child.child.stdin.take().unwrap();
    let first: String = records[..split].iter().map(|r| format!("{r}\n")).collect();
    stdin.write_all(first.as_bytes()).unwrap();
    stdin.flush().unwrap();
    wait_for("three notifications while standard input is open", || {
        lines(&dir.join("out.jsonl")).len() == 3
    });
    assert!(child.child.try_wait().unwrap().is_none());
    let rest: String = records[split..].iter().map(|r| format!("{r}\n")).collect();
    stdin.write_all(rest.as_bytes()).unwrap();
    drop(stdin);
    let (status, stderr) = child.wait();
    assert_eq!(status, 0, "{stderr}");
    assert!(stderr.contains("standard input to its end"), "{stderr}");
    assert_eq!(lines(&dir.join("out.jsonl")), want);
}

/// A receiver that is down: every notification goes to the dead-letter file as its state
/// change happens, the follower goes on, and it exits with status 3.
#[test]
fn undelivered_notifications_go_to_the_dead_letter_file_and_exit_3() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    // A port nothing listens on: the connection is refused at once.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/sns", closed.local_addr().unwrap());
    drop(closed);
    let records: String = day_as_lines().iter().map(|r| format!("{r}\n")).collect();
    let run = common::run_in(
        dir,
        &[
            "scan",
            "--follow",
            "-",
            "--notify",
            &url,
            "--retries",
            "0",
            "--dead-letter",
            "dead.jsonl",
        ],
        Some(records.as_bytes()),
    );
    assert_eq!(run.status, 3, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("4 of 4 alarm notifications could not be delivered"),
        "{}",
        run.stderr
    );
    let dead = lines(&dir.join("dead.jsonl"));
    assert_eq!(dead.len(), 4, "{dead:?}");
    let first: Value = serde_json::from_str(&dead[0]).unwrap();
    assert_eq!(first["code"], "connection-failed", "{first}");
    assert_eq!(first["alarm"], "CIS-5.1-unauthorized_api_calls_alarm");
}

/// A state file that is not one, or cannot be read, is an error naming it, before anything is
/// read.
#[test]
fn a_corrupt_or_unreadable_state_file_is_a_clear_error() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    std::fs::create_dir(dir.join("in")).unwrap();
    std::fs::write(
        dir.join("state.json"),
        "{\"format\":\"trailmatch-follow-state\",",
    )
    .unwrap();
    let run = run_within(
        dir,
        &["scan", "--follow", "in", "--state", "state.json"],
        30,
    );
    assert_eq!(run.status, 1, "{run:?}");
    assert!(
        run.stderr.starts_with(
            "error: --state state.json: not a trailmatch follow state (line 1, column "
        ),
        "{}",
        run.stderr
    );
    std::fs::create_dir(dir.join("state.d")).unwrap();
    let run = run_within(dir, &["scan", "--follow", "in", "--state", "state.d"], 30);
    assert_eq!(run.status, 1, "{run:?}");
    assert!(
        run.stderr.starts_with("error: --state state.d: "),
        "{}",
        run.stderr
    );
    // --state without --follow is refused.
    let run = run_in(dir, &["scan", "in", "--state", "state.json"], None);
    assert_eq!(run.status, 2, "{run:?}");
    assert!(run.stdout.is_empty());
    assert!(run.stderr.contains("--follow"), "{}", run.stderr);
}

/// A bucket is followed as a directory is: the day of the sample put into today's directory in
/// two steps (the prefix empty when the follower starts), the follower stopped with SIGTERM
/// between them and with SIGINT at the end, gets the batch scan's notifications once each, in
/// order; objects are read at the first listing that shows them. A past day's directory, once
/// listed, is not listed again within the hour: an object copied there meanwhile is read at
/// the next start.
#[test]
fn a_bucket_is_followed_through_a_restart() {
    let Some(moto) = common::moto::moto() else {
        return;
    };
    let bucket = common::moto::Bucket::new(&moto.endpoint, "live");
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let want = batch_notifications(dir);
    let files = sample_files();
    let state_path = dir.join("state.json");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap();
    let today =
        trailmatch_cloudtrail::time::format_seconds(now.as_millis() as i64)[..10].replace('-', "/");
    let region = "AWSLogs/111122223333/CloudTrail/us-east-1";
    let put = |file: &Path| {
        let name = file.file_name().unwrap().to_str().unwrap();
        let key = format!("{region}/{today}/{name}");
        bucket.put(&key, std::fs::read(file).unwrap(), None);
    };
    let past = |name: &str| format!("{region}/2020/01/01/{name}");
    let start = || {
        let mut command = Command::new(BIN);
        command
            .args(["scan", "--follow", "s3://live/AWSLogs/"])
            .args(["--poll-interval", "50ms"])
            .args(["--state", "state.json", "--notify", "out.jsonl"])
            .args(["--regions", "us-east-1"])
            .current_dir(dir)
            .stdin(Stdio::null());
        common::moto::aws_env(&mut command, &moto.endpoint);
        Running::start(&mut command).ready()
    };

    let child = start();
    assert!(
        child
            .stderr()
            .contains("s3://live/AWSLogs/: no object to read under this prefix yet"),
        "{}",
        child.stderr()
    );
    // Another Region's day and CloudTrail's digest files: left out by the selection, and a
    // file outside the layout.
    bucket.put(
        &format!("{region}/2019/12/stray.txt"),
        b"not a log".to_vec(),
        None,
    );
    for other in [
        "AWSLogs/111122223333/CloudTrail/eu-west-1/2026/11/23/eu.json.gz",
        "AWSLogs/111122223333/CloudTrail-Digest/us-east-1/2026/11/23/digest.json.gz",
    ] {
        bucket.put(other, std::fs::read(&files[0]).unwrap(), None);
    }
    // A past day's file (no record), then, once it is read, another one there.
    bucket.put(&past("p1.json"), br#"{"Records":[]}"#.to_vec(), None);
    wait_for("the past day's file read", || {
        files_done(&state_path) == Some(1)
    });
    bucket.put(&past("p2.json"), br#"{"Records":[]}"#.to_vec(), None);
    for f in &files[..12] {
        put(f);
    }
    wait_for("12 more objects read", || {
        files_done(&state_path) == Some(13)
    });
    let (status, stderr) = child.stop("TERM");
    assert_eq!(status, 0, "{stderr}");
    assert!(stderr.contains("Followed 13 files"), "{stderr}");
    // The other Region's directory and the digest files' are left out, not listed, and a file
    // outside the layout in a past month: counted as the listing that judged it left it out,
    // not lost when that month's directory is sealed (the polls after pass over it).
    assert!(
        stderr.contains(
            "  left out by --accounts, --regions, --start, --end as last listed: 1 files (1 \
             outside CloudTrail's S3 layout) and 2 directories\n"
        ),
        "{stderr}"
    );
    let read = state(&state_path).unwrap()["files"].clone();
    assert!(
        read.get(format!("s3://live/{}", past("p1.json"))).is_some(),
        "{read}"
    );
    assert!(
        read.get(format!("s3://live/{}", past("p2.json"))).is_none(),
        "{read}"
    );

    // The next start lists everything once: the past day's new file is read at its first poll.
    let child = start();
    assert!(
        child.stderr().contains("(14 files read so far)"),
        "{}",
        child.stderr()
    );
    for f in &files[12..] {
        put(f);
    }
    wait_for("26 objects read", || files_done(&state_path) == Some(26));
    let (status, stderr) = child.stop("INT");
    assert_eq!(status, 0, "{stderr}");
    assert!(
        stderr.contains("Followed 26 files: 4852 records read"),
        "{stderr}"
    );
    assert_eq!(lines(&dir.join("out.jsonl")), want);

    // A bucket that does not exist is an error at the start, not a quiet follow.
    let mut command = Command::new(BIN);
    command
        .args(["scan", "--follow", "s3://no-such-bucket/"])
        .current_dir(dir)
        .stdin(Stdio::null());
    common::moto::aws_env(&mut command, &moto.endpoint);
    let out = command.output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("NoSuchBucket"), "{stderr}");
}

/// A bucket that fails while followed (a local receiver playing S3): an object S3 fails to give
/// for now (`503 SlowDown`, past the SDK's retries) is said once and asked for again at the next
/// poll, then read; one S3 refuses (archived) is a skip, not asked for again; a directory that
/// cannot be listed is said once, and the rest is read.
#[test]
fn a_followed_bucket_that_fails_for_now_is_asked_again() {
    use common::receiver::{Answer, Receiver};
    use std::sync::atomic::{AtomicUsize, Ordering};

    let record = r#"{"eventTime":"2026-11-23T10:00:00Z","eventName":"StopLogging"}"#;
    let gets = Arc::new(AtomicUsize::new(0));
    let counted = Arc::clone(&gets);
    let bad_listings = Arc::new(AtomicUsize::new(0));
    let bad_counted = Arc::clone(&bad_listings);
    let error = |status: u16, code: &str| Answer::s3_error(status, code, code);
    let receiver = Receiver::start(None, move |request, _| {
        let (path, query) = request.path.split_once('?').unwrap_or((&request.path, ""));
        if query.contains("list-type=2") {
            if query.contains("prefix=bad") {
                // Failing for now at two polls (three attempts each), then refused.
                if bad_counted.fetch_add(1, Ordering::SeqCst) < 6 {
                    return error(500, "InternalError");
                }
                return error(403, "AccessDenied");
            }
            return Answer::s3_listing(&format!(
                "<Contents><Key>a.jsonl</Key><Size>{}</Size></Contents>\
                 <Contents><Key>b.json</Key><Size>9</Size></Contents>\
                 <CommonPrefixes><Prefix>bad/</Prefix></CommonPrefixes>",
                record.len() + 1
            ));
        }
        match path {
            // Four failures: the SDK's three attempts at the first poll, one at the next.
            "/trail/a.jsonl" if counted.fetch_add(1, Ordering::SeqCst) < 4 => {
                error(503, "SlowDown")
            }
            "/trail/a.jsonl" => Answer::ok(format!("{record}\n")),
            "/trail/b.json" => error(403, "InvalidObjectState"),
            _ => error(404, "NoSuchKey"),
        }
    });
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let child = follow_bucket(dir, receiver.port).ready();
    // One object read, the other refused: both in the state, the refused one to be asked for
    // again by the next run.
    wait_for("both objects done", || {
        state(&dir.join("state.json")).is_some_and(|s| {
            s["files"].get("s3://trail/a.jsonl").is_some()
                && s["files"].get("s3://trail/b.json").is_some()
        })
    });
    // The directory's new reason is said too.
    wait_for("the directory refused", || {
        child.stderr().contains("AccessDenied")
    });
    // The refused object is not asked for again at the polls after the one that fetched it.
    let polls = |requests: &[common::receiver::Request]| {
        requests
            .iter()
            .filter(|r| r.path.contains("list-type=2") && !r.path.contains("prefix=bad"))
            .count()
    };
    let (status, stderr) = child.stop("TERM");
    let requests = receiver.finish();
    assert_eq!(status, 0, "{stderr}");
    assert!(polls(&requests) >= 2, "{requests:?}");
    let said = |what: &str| stderr.matches(what).count();
    assert_eq!(
        said("s3://trail/a.jsonl: cannot fetch: SlowDown"),
        1,
        "{stderr}"
    );
    assert_eq!(
        said("s3://trail/bad/: cannot list: InternalError"),
        1,
        "{stderr}"
    );
    assert_eq!(
        said("s3://trail/bad/: cannot list: AccessDenied"),
        1,
        "{stderr}"
    );
    assert_eq!(
        said("s3://trail/b.json: refused: InvalidObjectState"),
        1,
        "{stderr}"
    );
    assert!(
        stderr.contains("Followed 1 files: 1 records read"),
        "{stderr}"
    );
    let fetched = |path: &str| {
        let get = format!("{path}?x-id=GetObject");
        requests.iter().filter(|r| r.path == get).count()
    };
    assert_eq!(fetched("/trail/b.json"), 1, "{requests:?}");
    assert_eq!(fetched("/trail/a.jsonl"), 5, "{requests:?}");
}

/// An object is fetched in the version listed (`If-Match` its entity tag): one written again
/// between the listing and the fetch (412) is said, then read at the next poll in the version
/// that poll lists, under that version's mark.
#[test]
fn an_object_written_again_since_its_listing_is_read_as_listed_next() {
    use common::receiver::{Answer, Receiver};
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

    let first = r#"{"eventTime":"2026-11-23T10:00:00Z","eventName":"StopLogging"}"#;
    let second = format!("{first}\n{first}\n");
    // The object as a listing shows it.
    let object = |size: usize, etag: &str| {
        format!("<Contents><Key>a.jsonl</Key><Size>{size}</Size><ETag>{etag}</ETag></Contents>")
    };
    let rewritten = Arc::new(AtomicBool::new(false));
    let seen = Arc::clone(&rewritten);
    let body = second.clone();
    let receiver = Receiver::start(None, move |request, _| {
        let (etag, size) = if seen.load(Ordering::SeqCst) {
            ("\"v2\"", body.len())
        } else {
            ("\"v1\"", first.len() + 1)
        };
        if request.path.contains("list-type=2") {
            return Answer::s3_listing(&object(size, etag));
        }
        // The object is written again just after the first listing.
        seen.store(true, Ordering::SeqCst);
        if request.headers.get("if-match").map(String::as_str) != Some("\"v2\"") {
            return Answer::s3_error(
                412,
                "PreconditionFailed",
                "At least one of the pre-conditions you specified did not hold",
            );
        }
        Answer::ok(body.clone())
    });
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let (stderr, requests) = read_one(dir, receiver);
    assert_eq!(
        stderr
            .matches(
                "s3://trail/a.jsonl: written again since it was listed (read as the next poll \
                 lists it)"
            )
            .count(),
        1,
        "{stderr}"
    );
    assert!(
        stderr.contains("Followed 1 files: 2 records read"),
        "{stderr}"
    );
    let gets = if_matches(&requests);
    assert_eq!(
        gets,
        [
            (Some("\"v1\"".to_owned()), 412),
            (Some("\"v2\"".to_owned()), 200)
        ],
        "{requests:?}"
    );
    // Read under the second version's mark: a later run does not take it for a changed file.
    let read = state(&dir.join("state.json")).unwrap()["files"]["s3://trail/a.jsonl"].clone();
    assert_eq!(read["len"], second.len(), "{read}");

    // A store whose listing lags (it shows v1 for two polls, while v2 is stored): v2 is read
    // under its own mark once listed, not under v1's (and then taken for a changed file).
    let listings = Arc::new(AtomicUsize::new(0));
    let counted = Arc::clone(&listings);
    let stored = second.clone();
    let receiver = Receiver::start(None, move |request, _| {
        if request.path.contains("list-type=2") {
            let (etag, size) = if counted.fetch_add(1, Ordering::SeqCst) < 2 {
                ("\"v1\"", first.len() + 1)
            } else {
                ("\"v2\"", stored.len())
            };
            return Answer::s3_listing(&object(size, etag));
        }
        match request.headers.get("if-match").map(String::as_str) {
            Some(tag) if tag != "\"v2\"" => Answer::from(412),
            _ => Answer {
                headers: vec![("ETag".to_owned(), "\"v2\"".to_owned())],
                ..Answer::ok(stored.clone())
            },
        }
    });
    std::fs::remove_file(dir.join("state.json")).unwrap();
    let (stderr, requests) = read_one(dir, receiver);
    assert!(
        stderr.contains("Followed 1 files: 2 records read"),
        "{stderr}"
    );
    assert!(!stderr.contains("file-changed"), "{stderr}");
    let read = state(&dir.join("state.json")).unwrap()["files"]["s3://trail/a.jsonl"].clone();
    assert_eq!(read["len"], second.len(), "{read}");
    let gets = if_matches(&requests);
    assert_eq!(
        gets,
        [
            (Some("\"v1\"".to_owned()), 412),
            (None, 200),
            (Some("\"v2\"".to_owned()), 200)
        ],
        "{requests:?}"
    );

    // A store that lists entity tags its fetch does not compare with (it refuses every
    // `If-Match`): the object is asked for without one at the next poll, not refused forever.
    let receiver = Receiver::start(None, move |request, _| {
        if request.path.contains("list-type=2") {
            return Answer::s3_listing(&object(first.len() + 1, "\"v1\""));
        }
        if request.headers.contains_key("if-match") {
            return Answer::from(412);
        }
        Answer::ok(format!("{first}\n"))
    });
    std::fs::remove_file(dir.join("state.json")).unwrap();
    let (_, requests) = read_one(dir, receiver);
    let gets: Vec<_> = if_matches(&requests)
        .into_iter()
        .map(|(tag, status)| (tag.is_some(), status))
        .collect();
    assert_eq!(gets, [(true, 412), (false, 200)], "{requests:?}");
}

/// A bucket S3 cannot list for now when the follower starts (`503 SlowDown`, past the SDK's
/// retries) is said once and listed again at the next poll, where the follower reads what it
/// holds; with no connection at all, the follower waits too. (A bucket S3 refuses is an error
/// at the start: `a_bucket_is_followed_through_a_restart`.)
#[test]
fn a_bucket_that_fails_at_the_start_is_listed_again() {
    use common::receiver::{Answer, Receiver};

    let record = r#"{"eventTime":"2026-11-23T10:00:00Z","eventName":"StopLogging"}"#;
    // The SDK's three attempts at the first listing fail; the next poll's succeed.
    let receiver = Receiver::start(None, move |request, before| {
        if before < 3 {
            return Answer::s3_error(503, "SlowDown", "Please reduce your request rate.");
        }
        if request.path.contains("list-type=2") {
            return Answer::s3_listing(&format!(
                "<Contents><Key>a.jsonl</Key><Size>{}</Size></Contents>",
                record.len() + 1
            ));
        }
        Answer::ok(format!("{record}\n"))
    });
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let (stderr, requests) = read_one(dir, receiver);
    assert_eq!(
        stderr
            .matches(
                "s3://trail/: cannot list: SlowDown: Please reduce your request rate. (listed \
                 again every poll)"
            )
            .count(),
        1,
        "{stderr}"
    );
    assert!(!stderr.contains("no object to read"), "{stderr}");
    assert!(
        stderr.contains("Followed 1 files: 1 records read"),
        "{stderr}"
    );
    assert_eq!(
        requests.first().map(|r| r.status),
        Some(503),
        "{requests:?}"
    );

    // Empty once listed: said then, once.
    let receiver = Receiver::start(None, |_, before| match before {
        0..3 => Answer::s3_error(503, "SlowDown", "Please reduce your request rate."),
        _ => Answer::s3_listing(""),
    });
    std::fs::remove_file(dir.join("state.json")).unwrap();
    let child = follow_bucket(dir, receiver.port);
    let empty = "s3://trail/: no object to read under this prefix yet; followed until one comes";
    wait_for("the empty bucket said", || child.stderr().contains(empty));
    wait_for("polls after it", || receiver.answered() > 6);
    let (status, stderr) = child.stop("TERM");
    assert_eq!(status, 0, "{stderr}");
    assert_eq!(stderr.matches(empty).count(), 1, "{stderr}");
    assert!(
        stderr.find("cannot list: SlowDown") < stderr.find(empty),
        "{stderr}"
    );

    // Nothing listening: the follower says so, and waits for S3 to answer.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    std::fs::remove_file(dir.join("state.json")).unwrap();
    let stderr = waits_for_s3(follow_bucket(dir, port));
    assert!(
        stderr.contains("s3://trail/: cannot list: dispatch failure"),
        "{stderr}"
    );
    assert!(!stderr.lines().any(|l| l.starts_with("error")), "{stderr}");

    // A server that closes each connection before answering, and a credentials provider out
    // of reach (a container's, not up yet): waited for too. No credentials at all is an error.
    let closing = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let closing_port = closing.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for tcp in closing.incoming() {
            let Ok(mut tcp) = tcp else { continue };
            let _ = tcp.read(&mut [0u8; 1024]);
        }
    });
    let no_credentials = |command: &mut Command| {
        command
            .env_remove("AWS_ACCESS_KEY_ID")
            .env_remove("AWS_SECRET_ACCESS_KEY");
    };
    for (endpoint, container, said) in [
        (
            closing_port,
            None,
            "connection closed before message completed",
        ),
        (closing_port, Some(port), "Connection refused"),
    ] {
        let mut command = Command::new(BIN);
        command
            .args(["scan", "--follow", "s3://trail/", "--poll-interval", "50ms"])
            .current_dir(dir)
            .stdin(Stdio::null());
        common::moto::aws_env(&mut command, &format!("http://127.0.0.1:{endpoint}"));
        if let Some(port) = container {
            no_credentials(&mut command);
            command.env(
                "AWS_CONTAINER_CREDENTIALS_FULL_URI",
                format!("http://127.0.0.1:{port}/credentials"),
            );
        }
        let stderr = waits_for_s3(Running::start(&mut command));
        assert!(stderr.contains("s3://trail/: cannot list: "), "{stderr}");
        assert!(stderr.contains(said), "{stderr}");
    }
    let mut command = Command::new(BIN);
    command
        .args(["scan", "--follow", "s3://trail/"])
        .current_dir(dir)
        .stdin(Stdio::null());
    common::moto::aws_env(&mut command, &format!("http://127.0.0.1:{closing_port}"));
    no_credentials(&mut command);
    let (status, stderr) = run_to_end(&mut command);
    assert_eq!(status, 1, "{stderr}");
    assert!(
        stderr.contains("no providers in chain provided credentials"),
        "{stderr}"
    );

    // What no retry mends is an error at the start: credentials refused (a credential_process
    // that fails), a Region that makes no endpoint (no request is sent).
    let config = dir.join("aws-config");
    std::fs::write(&config, "[default]\ncredential_process = /bin/false\n").unwrap();
    for (env, said) in [
        (
            vec![("AWS_CONFIG_FILE", config.to_str().unwrap())],
            "credential",
        ),
        (vec![("AWS_REGION", "us east 1")], "Invalid region"),
    ] {
        let mut command = Command::new(BIN);
        command
            .args(["scan", "--follow", "s3://trail/"])
            .current_dir(dir)
            .stdin(Stdio::null());
        common::moto::aws_env(&mut command, &format!("http://127.0.0.1:{closing_port}"));
        if env[0].0 == "AWS_CONFIG_FILE" {
            no_credentials(&mut command);
        } else {
            command.env_remove("AWS_ENDPOINT_URL");
        }
        command.envs(env);
        let (status, stderr) = run_to_end(&mut command);
        assert_eq!(status, 1, "{stderr}");
        assert!(stderr.contains(said), "{stderr}");
    }

    // A prefix whose directory cannot be listed for now is not said to be empty.
    let receiver = Receiver::start(None, |request, _| {
        if request.path.contains("prefix=sub") {
            return Answer::s3_error(503, "SlowDown", "SlowDown");
        }
        Answer::s3_listing("<CommonPrefixes><Prefix>sub/</Prefix></CommonPrefixes>")
    });
    let stderr = waits_for_s3(follow_bucket(dir, receiver.port));
    assert!(
        stderr.contains("s3://trail/sub/: cannot list: SlowDown"),
        "{stderr}"
    );
    assert!(!stderr.contains("no object to read"), "{stderr}");
    drop(receiver);

    // A bucket S3 refuses is an error at the start, even after one that fails for now.
    let receiver = Receiver::start(None, |request, _| {
        let (status, code) = if request.path.starts_with("/flaky") {
            (503, "SlowDown")
        } else {
            (404, "NoSuchBucket")
        };
        Answer::s3_error(status, code, code)
    });
    let mut command = Command::new(BIN);
    command
        .args(["scan", "--follow", "s3://flaky/", "s3://missing/"])
        .current_dir(dir)
        .stdin(Stdio::null());
    common::moto::aws_env(&mut command, &format!("http://127.0.0.1:{}", receiver.port));
    let (status, stderr) = run_to_end(&mut command);
    assert_eq!(status, 1, "{stderr}");
    assert!(
        stderr.contains("error: s3://missing/: cannot list the bucket: NoSuchBucket"),
        "{stderr}"
    );
    drop(receiver);
}

/// A bucket's objects are fetched a few ahead of the one being read, as a batch scan fetches
/// them (a backlog of thousands of objects at the first start would otherwise wait out one
/// request at a time): against a server that holds each answer 100 ms, several fetches are
/// under way at once, never more than eight, and every object is read once.
#[test]
fn objects_are_fetched_a_few_ahead() {
    use std::net::TcpListener;
    use std::sync::atomic::{AtomicUsize, Ordering};

    const OBJECTS: usize = 12;
    let record = |i: usize| {
        format!(r#"{{"eventTime":"2026-11-23T10:{i:02}:00Z","eventName":"DescribeTrails"}}"#)
    };
    let listing = (0..OBJECTS)
        .map(|i| {
            format!(
                "<Contents><Key>a{i:02}.jsonl</Key><Size>{}</Size>\
                 <LastModified>2026-11-23T10:{i:02}:30.000Z</LastModified></Contents>",
                record(i).len() + 1
            )
        })
        .collect::<String>();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let in_flight = Arc::new(AtomicUsize::new(0));
    let most = Arc::new(AtomicUsize::new(0));
    let gets = Arc::new(AtomicUsize::new(0));
    let (flying, peak, got) = (Arc::clone(&in_flight), Arc::clone(&most), Arc::clone(&gets));
    std::thread::spawn(move || {
        for tcp in listener.incoming() {
            let Ok(mut tcp) = tcp else { continue };
            let (flying, peak, got) = (Arc::clone(&flying), Arc::clone(&peak), Arc::clone(&got));
            let listing = listing.clone();
            std::thread::spawn(move || {
                let mut head = Vec::new();
                let mut byte = [0u8; 1];
                while !head.ends_with(b"\r\n\r\n") {
                    match tcp.read(&mut byte) {
                        Ok(1) => head.push(byte[0]),
                        _ => return,
                    }
                }
                let head = String::from_utf8_lossy(&head).into_owned();
                let path = head
                    .split_whitespace()
                    .nth(1)
                    .unwrap_or_default()
                    .to_owned();
                let body = if path.contains("list-type=2") {
                    common::receiver::s3_listing(&listing)
                } else {
                    let now = flying.fetch_add(1, Ordering::SeqCst) + 1;
                    peak.fetch_max(now, Ordering::SeqCst);
                    got.fetch_add(1, Ordering::SeqCst);
                    std::thread::sleep(Duration::from_millis(100));
                    flying.fetch_sub(1, Ordering::SeqCst);
                    let i: usize = path[8..10].parse().unwrap();
                    format!("{}\n", record(i))
                };
                let _ = write!(
                    tcp,
                    "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
            });
        }
    });
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let child = follow_bucket(dir, port);
    wait_for("every object read", || {
        files_done(&dir.join("state.json")) == Some(OBJECTS as u64)
    });
    let (status, stderr) = child.stop("TERM");
    assert_eq!(status, 0, "{stderr}");
    assert!(
        stderr.contains(&format!("Followed {OBJECTS} files: {OBJECTS} records read")),
        "{stderr}"
    );
    assert_eq!(gets.load(Ordering::SeqCst), OBJECTS);
    let most = most.load(Ordering::SeqCst);
    assert!((2..=8).contains(&most), "{most} fetches at once");
}

/// A signal stops a follower waiting on S3: during its first listing (a receiver that takes
/// five seconds to answer), it ends at once, quietly, with status 0.
#[test]
fn a_signal_stops_a_follower_waiting_on_its_first_listing() {
    use common::receiver::{Answer, Receiver};

    let receiver = Receiver::start(None, |_, _| {
        std::thread::sleep(Duration::from_secs(5));
        Answer::from(500)
    });
    let tmp = tempfile::tempdir().unwrap();
    let mut command = Command::new(BIN);
    command
        .args(["scan", "--follow", "s3://trail/"])
        .current_dir(tmp.path())
        .stdin(Stdio::null());
    common::moto::aws_env(&mut command, &format!("http://127.0.0.1:{}", receiver.port));
    let child = Running::start(&mut command);
    // Its signal handlers are in place and the listing asked for well before this.
    std::thread::sleep(Duration::from_millis(500));
    let asked = Instant::now();
    let (status, stderr) = child.stop("TERM");
    assert!(
        asked.elapsed() < Duration::from_secs(3),
        "{:?}",
        asked.elapsed()
    );
    assert_eq!(status, 0, "{stderr}");
    assert!(!stderr.contains("error"), "{stderr}");
    drop(receiver);
}
