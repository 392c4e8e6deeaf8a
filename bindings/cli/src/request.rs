//! The TestMetricFilter and TestEventPattern requests given with `--cli-input-json`, and
//! `file://` parameter values, as the AWS CLI reads them.

use std::io::{self, Read};

use serde::de::DeserializeOwned;
use serde_json::error::Category;
use trailmatch::TestMetricFilterRequest;

use crate::output::Failure;

/// Reads the request from `source`: `-` (standard input), `file://PATH`, JSON text starting
/// with `{`, or a path. Members may be missing: options supply them.
pub fn load<T: DeserializeOwned>(source: &str) -> Result<T, Failure> {
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

/// A parameter's value as the AWS CLI reads it: the contents of PATH for `file://PATH` (a
/// byte-order mark removed), else the text itself. `what` names the option in errors.
pub fn param(value: String, what: &str) -> Result<String, Failure> {
    let Some(path) = value.strip_prefix("file://") else {
        return Ok(value);
    };
    let bytes = std::fs::read(path)
        .map_err(|e| Failure::Io(format!("error: cannot read {path} ({what}): {e}")))?;
    let text = String::from_utf8(bytes)
        .map_err(|_| Failure::invalid(format!("{path} ({what}) is not UTF-8")))?;
    Ok(text
        .strip_prefix('\u{feff}')
        .map(str::to_owned)
        .unwrap_or(text))
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
