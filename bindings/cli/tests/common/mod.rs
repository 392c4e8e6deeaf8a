//! What the CLI's test binaries share: running the built `trailmatch` as a user would.

#[allow(dead_code)] // not every test binary that shares this module uses it
pub mod moto;
#[allow(dead_code)] // not every test binary that shares this module uses it
pub mod receiver;

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

/// The built binary.
pub const BIN: &str = env!("CARGO_BIN_EXE_trailmatch");

/// How one run of the binary ended.
#[derive(Debug)]
pub struct Run {
    pub status: i32,
    pub stdout: String,
    pub stderr: String,
}

/// Runs the binary with `args` in `dir`, feeding `stdin` (standard input is empty without it).
#[allow(dead_code)] // not every test binary that shares this module uses it
pub fn run_in(dir: &Path, args: &[&str], stdin: Option<&[u8]>) -> Run {
    let mut child = Command::new(BIN)
        .args(args)
        .current_dir(dir)
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    if let Some(bytes) = stdin {
        let mut pipe = child.stdin.take().unwrap();
        let bytes = bytes.to_vec();
        // A writer thread, so that a large input cannot deadlock against a full stdout pipe.
        std::thread::spawn(move || pipe.write_all(&bytes));
    }
    let out = child.wait_with_output().unwrap();
    Run {
        status: out.status.code().expect("exited, not killed by a signal"),
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8(out.stderr).unwrap(),
    }
}

/// Runs the binary with `args` in `dir` (standard input empty) with a time limit of `secs`: a
/// command that hangs (on a FIFO, say) fails the test instead of hanging it.
#[allow(dead_code)] // not every test binary that shares this module uses it
pub fn run_within(dir: &Path, args: &[&str], secs: u64) -> Run {
    use std::time::{Duration, Instant};
    let mut child = Command::new(BIN)
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(secs);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            child.kill().unwrap();
            panic!("trailmatch {args:?} did not finish in {secs} s (hangs on a FIFO?)");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = child.wait_with_output().unwrap();
    Run {
        status: out.status.code().expect("exited, not killed by a signal"),
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8(out.stderr).unwrap(),
    }
}

/// The member of the JSON array `list` (a report's `rules` or `alarms`) whose `name` is `name`.
#[allow(dead_code)] // not every test binary that shares this module uses it
pub fn named<'a>(list: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    list.as_array()
        .and_then(|members| members.iter().find(|m| m["name"] == name))
        .unwrap_or_else(|| panic!("no {name} in {list}"))
}
