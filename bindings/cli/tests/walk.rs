//! The one walker of every command: FIFOs met in a directory never hang `scan`, `lint`,
//! `cis-check` or `scan --rules DIR`; symbolic links inside directories are followed only with
//! --follow; a path named that does not exist is refused.

#![cfg(unix)]

use std::path::{Path, PathBuf};
use std::process::Command;

mod common;
use common::{run_in, run_within};

const STOP: &str = r#"{"eventTime":"2026-11-23T10:00:00Z","eventName":"StopLogging","eventSource":"cloudtrail.amazonaws.com","awsRegion":"us-east-1","recipientAccountId":"123456789012"}"#;

fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("walk-{name}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn mkfifo(path: &Path) {
    assert!(Command::new("mkfifo").arg(path).status().unwrap().success());
}

#[test]
fn a_fifo_in_a_scanned_directory_is_reported_and_skipped() {
    let dir = scratch("scan-fifo");
    std::fs::create_dir_all(dir.join("logs")).unwrap();
    std::fs::write(dir.join("logs/a.jsonl"), format!("{STOP}\n")).unwrap();
    mkfifo(&dir.join("logs/pipe.jsonl"));
    let run = run_within(
        &dir,
        &["scan", "--no-insights", "--format", "json", "logs"],
        30,
    );
    assert_eq!(run.status, 0, "{run:?}");
    let report: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(report["records"]["read"], 1);
    assert_eq!(report["skipped"][0]["code"], "not-a-file");
}

#[test]
fn a_fifo_in_a_linted_or_checked_directory_or_rules_directory_is_reported_and_skipped() {
    let dir = scratch("iac-fifo");
    std::fs::create_dir_all(dir.join("rules")).unwrap();
    std::fs::write(
        dir.join("rules/stop.toml"),
        "[[metricFilters]]\nfilterName = \"stop\"\nfilterPattern = '{ $.eventName = StopLogging }'\nmetricTransformations = [{ metricName = \"Stop\", metricNamespace = \"S\", metricValue = \"1\" }]\n",
    )
    .unwrap();
    mkfifo(&dir.join("rules/pipe.txt"));
    std::fs::write(dir.join("a.jsonl"), format!("{STOP}\n")).unwrap();
    let lint = run_within(&dir, &["lint", "rules"], 30);
    assert!(lint.stdout.contains("rules/pipe.txt: a FIFO"), "{lint:?}");
    // With the code grep and scan give it.
    assert!(
        lint.stdout
            .contains("error[not-a-file]: rules/pipe.txt: a FIFO"),
        "{lint:?}"
    );
    let json = run_within(&dir, &["lint", "--format", "json", "rules"], 30);
    let report: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    let codes: Vec<_> = report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, ["not-a-file"], "{json:?}");
    let check = run_within(&dir, &["cis-check", "rules"], 30);
    assert!(check.stderr.contains("rules/pipe.txt: a FIFO"), "{check:?}");
    let scan = run_within(
        &dir,
        &[
            "scan",
            "--no-insights",
            "--format",
            "json",
            "--rules",
            "rules",
            "a.jsonl",
        ],
        30,
    );
    assert_eq!(scan.status, 0, "{scan:?}");
    assert!(scan.stderr.contains("rules/pipe.txt: a FIFO"), "{scan:?}");
    let report: serde_json::Value = serde_json::from_str(&scan.stdout).unwrap();
    assert_eq!(report["records"]["matched"], 1);
}

#[test]
fn links_inside_a_directory_are_followed_only_with_follow() {
    let dir = scratch("links");
    std::fs::create_dir_all(dir.join("logs")).unwrap();
    std::fs::create_dir_all(dir.join("outside")).unwrap();
    std::fs::write(dir.join("outside/b.jsonl"), format!("{STOP}\n{STOP}\n")).unwrap();
    std::fs::write(dir.join("logs/a.jsonl"), format!("{STOP}\n")).unwrap();
    std::os::unix::fs::symlink(dir.join("outside/b.jsonl"), dir.join("logs/b.jsonl")).unwrap();
    let read = |args: &[&str]| {
        let run = run_in(&dir, args, None);
        assert_eq!(run.status, 0, "{run:?}");
        let report: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
        report["records"]["read"].as_u64().unwrap()
    };
    assert_eq!(
        read(&["scan", "--no-insights", "--format", "json", "logs"]),
        1
    );
    assert_eq!(
        read(&["scan", "--no-insights", "--format", "json", "-L", "logs"]),
        3
    );
    assert_eq!(
        read(&["scan", "--no-insights", "--format", "json", "logs/b.jsonl"]),
        2
    );
    std::fs::write(dir.join("outside/p.txt"), "{ $.x = \n").unwrap();
    std::os::unix::fs::symlink(dir.join("outside/p.txt"), dir.join("logs/p.txt")).unwrap();
    assert_eq!(run_in(&dir, &["lint", "logs"], None).status, 0);
    assert_eq!(run_in(&dir, &["lint", "--follow", "logs"], None).status, 1);
}

#[test]
fn a_path_named_that_does_not_exist_is_refused() {
    let dir = scratch("missing");
    std::fs::write(dir.join("a.jsonl"), format!("{STOP}\n")).unwrap();
    for args in [
        &["scan", "/nonexistent", "a.jsonl"][..],
        &["lint", "a.jsonl", "/nonexistent"],
        &["cis-check", "/nonexistent"],
    ] {
        let run = run_in(&dir, args, None);
        assert_ne!(run.status, 0, "{args:?}");
        assert_eq!(run.stdout, "", "{args:?}");
        assert!(
            run.stderr
                .contains("/nonexistent: no such file or directory"),
            "{run:?}"
        );
    }
}
