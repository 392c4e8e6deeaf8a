//! One scan from start to end: the inputs read one after another, each item fed to a
//! [`Scanner`], then its report. `trailmatch scan` and the Python module's `scan` both run it;
//! what they do around it (progress, streaming skips) goes through the `observe` callback.
//!
//! ```
//! use std::convert::Infallible;
//! use trailmatch_cloudtrail::run::{Inputs, scan_inputs};
//! use trailmatch_cloudtrail::rules::RuleSet;
//! use trailmatch_cloudtrail::scan::{ScanOptions, Scanner};
//!
//! let scanner = Scanner::new(&RuleSet::cis(), ScanOptions::default())?;
//! let log = br#"{"Records":[{"eventTime":"2026-11-23T10:07:30Z","eventSource":"cloudtrail.amazonaws.com","eventName":"StopLogging"}]}"#;
//! let inputs = Inputs::Bytes(vec![("trail.json".to_owned(), &log[..])]);
//! let report = scan_inputs(scanner, inputs, |_, _| Ok::<(), Infallible>(()))?;
//! assert_eq!((report.records.read, report.records.matched), (1, 1));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::path::PathBuf;

use crate::logs::{self, Input, Item, Reader};
use crate::scan::{Counts, Report, Scanner};
use crate::walk::WalkOptions;

/// What a scan reads.
#[derive(Clone, Debug)]
pub enum Inputs<'a> {
    /// Files, directories (read recursively, as the [`WalkOptions`] say) and `-` (the standard
    /// input), as command-line arguments name them; see [`Reader`].
    Paths(&'a [PathBuf], WalkOptions),
    /// Logs in memory, each with the name its locations show (the command's bundled sample).
    Bytes(Vec<(String, &'a [u8])>),
}

/// Reads `inputs` into `scanner` and returns its report.
///
/// `observe` sees each item (a record or a skip) before the scanner does, with the counts so
/// far: for a progress bar, or to stream skips as they happen. An error from it stops the scan
/// and is returned.
pub fn scan_inputs<E>(
    mut scanner: Scanner,
    inputs: Inputs<'_>,
    mut observe: impl FnMut(&Item, &Counts) -> Result<(), E>,
) -> Result<Report, E> {
    let options = logs::Options::default();
    let mut feed = |item: Item| -> Result<(), E> {
        observe(&item, &scanner.counts())?;
        scanner.read(item);
        Ok(())
    };
    match inputs {
        Inputs::Paths(paths, walk) => {
            let inputs = paths.iter().map(|p| Input::from_arg(p.clone())).collect();
            for item in Reader::with_walk(inputs, options, walk) {
                feed(item)?;
            }
        }
        Inputs::Bytes(logs) => {
            for (name, bytes) in logs {
                for item in logs::read_stream(name, bytes, options) {
                    feed(item)?;
                }
            }
        }
    }
    Ok(scanner.finish())
}

#[cfg(test)]
mod tests {
    use std::convert::Infallible;

    use super::*;
    use crate::rules::RuleSet;
    use crate::scan::ScanOptions;

    const STOP_LOGGING: &str = r#"{"eventTime":"2026-11-23T10:07:30Z","eventSource":"cloudtrail.amazonaws.com","eventName":"StopLogging","awsRegion":"eu-west-1","recipientAccountId":"111122223333"}"#;
    const DESCRIBE: &str = r#"{"eventTime":"2026-11-23T10:08:00Z","eventSource":"cloudtrail.amazonaws.com","eventName":"DescribeTrails","awsRegion":"eu-west-1","recipientAccountId":"111122223333"}"#;

    fn scanner() -> Scanner {
        Scanner::new(&RuleSet::cis(), ScanOptions::default()).unwrap()
    }

    fn temp_dir(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("trailmatch-run-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    /// Paths and bytes holding the same records give the same report, and `observe` sees
    /// every item, the counts so far with it.
    #[test]
    fn paths_and_bytes_scan_alike_and_every_item_is_observed() {
        let dir = temp_dir("alike");
        let lines = format!("{STOP_LOGGING}\nnot json\n{DESCRIBE}\n");
        std::fs::write(dir.join("a.jsonl"), &lines).unwrap();
        let paths = [dir.join("a.jsonl")];

        let mut seen = Vec::new();
        let from_paths = scan_inputs(
            scanner(),
            Inputs::Paths(&paths, WalkOptions::default()),
            |item, counts| {
                seen.push((matches!(item, Item::Record(_)), counts.read));
                Ok::<(), Infallible>(())
            },
        )
        .unwrap();
        assert_eq!(seen, [(true, 0), (false, 1), (true, 1)]);

        let name = paths[0].display().to_string();
        let bytes = Inputs::Bytes(vec![(name, lines.as_bytes())]);
        let from_bytes = scan_inputs(scanner(), bytes, |_, _| Ok::<(), Infallible>(())).unwrap();
        std::fs::remove_dir_all(&dir).unwrap();

        assert_eq!(
            (from_paths.records.read, from_paths.records.skipped),
            (2, 1)
        );
        assert_eq!(from_paths.records.matched, 1);
        assert_eq!(
            serde_json::to_value(&from_paths).unwrap(),
            serde_json::to_value(&from_bytes).unwrap()
        );
    }

    /// An error from `observe` stops the scan at that item and is what the scan returns.
    #[test]
    fn an_observer_error_stops_the_scan() {
        let text = format!("{STOP_LOGGING}\n{DESCRIBE}\n{DESCRIBE}\n");
        let mut calls = 0;
        let stopped = scan_inputs(
            scanner(),
            Inputs::Bytes(vec![("t.jsonl".to_owned(), text.as_bytes())]),
            |_, counts| {
                calls += 1;
                if counts.read == 1 {
                    Err("stop")
                } else {
                    Ok(())
                }
            },
        );
        assert_eq!(stopped.unwrap_err(), "stop");
        assert_eq!(calls, 2);
    }
}
