//! The TestMetricFilter request given with `--cli-input-json`, as the AWS CLI reads it.

use std::io::{self, Read};

use serde_json::error::Category;
use trailmatch::TestMetricFilterRequest;

use crate::output::Failure;

/// Reads the request from `source`: `-` (standard input), `file://PATH`, JSON text starting
/// with `{`, or a path. Either member may be missing: options supply them.
pub fn load(source: &str) -> Result<TestMetricFilterRequest, Failure> {
    let (name, bytes) = if source == "-" {
        ("standard input".to_owned(), read_stdin()?)
    } else if source.trim_start().starts_with('{') {
        ("--cli-input-json".to_owned(), source.as_bytes().to_vec())
    } else {
        let path = source.strip_prefix("file://").unwrap_or(source);
        let bytes = std::fs::read(path)
            .map_err(|e| Failure::Io(format!("error: cannot read {path}: {e}")))?;
        (path.to_owned(), bytes)
    };
    let bytes = bytes.strip_prefix("\u{feff}".as_bytes()).unwrap_or(&bytes);
    serde_json::from_slice(bytes).map_err(|e| match e.classify() {
        Category::Data => Failure::invalid(format!("{name}: {e}")),
        Category::Io | Category::Syntax | Category::Eof => {
            Failure::invalid(format!("{name} is not valid JSON: {e}"))
        }
    })
}

/// The pattern and messages, or which of them the request lacks.
pub fn complete(request: TestMetricFilterRequest) -> Result<(String, Vec<String>), Failure> {
    match (request.filter_pattern, request.log_event_messages) {
        (Some(pattern), Some(messages)) => Ok((pattern, messages)),
        (pattern, messages) => {
            let missing = [
                pattern
                    .is_none()
                    .then_some(("filterPattern", "--filter-pattern")),
                messages
                    .is_none()
                    .then_some(("logEventMessages", "--log-event-messages")),
            ];
            let (members, options): (Vec<_>, Vec<_>) = missing.into_iter().flatten().unzip();
            Err(Failure::invalid(format!(
                "the request has no {}: give {}, or put {} in --cli-input-json",
                members.join(" and no "),
                options.join(" and "),
                if members.len() == 1 { "it" } else { "them" },
            )))
        }
    }
}

/// All of standard input.
pub fn read_stdin() -> Result<Vec<u8>, Failure> {
    let mut bytes = Vec::new();
    io::stdin()
        .lock()
        .read_to_end(&mut bytes)
        .map_err(|e| Failure::Io(format!("error: cannot read standard input: {e}")))?;
    Ok(bytes)
}
