//! The TestMetricFilter request given with `--cli-input-json`, as the AWS CLI reads it.

use std::io::{self, Read};

use serde_json::{Map, Value};

use crate::output::Failure;

/// The members of a TestMetricFilter request; either may still be missing.
#[derive(Debug, Default)]
pub struct Request {
    /// `filterPattern`.
    pub filter_pattern: Option<String>,
    /// `logEventMessages`.
    pub log_event_messages: Option<Vec<String>>,
}

const MEMBERS: &str = "filterPattern, logEventMessages";

impl Request {
    /// Reads the request from `source`: `-` (standard input), `file://PATH`, JSON text starting
    /// with `{`, or a path.
    pub fn load(source: &str) -> Result<Request, Failure> {
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
        let value: Value = serde_json::from_slice(bytes)
            .map_err(|e| Failure::invalid(format!("{name} is not valid JSON: {e}")))?;
        let Value::Object(members) = value else {
            return Err(Failure::invalid(format!(
                "{name} must hold a JSON object with the members {MEMBERS}"
            )));
        };
        Request::from_members(members)
            .map_err(|message| Failure::invalid(format!("{name}: {message}")))
    }

    fn from_members(members: Map<String, Value>) -> Result<Request, String> {
        let mut request = Request::default();
        for (name, value) in members {
            match name.as_str() {
                "filterPattern" => {
                    let Value::String(pattern) = value else {
                        return Err(format!("filterPattern must be a string, not {value}"));
                    };
                    request.filter_pattern = Some(pattern);
                }
                "logEventMessages" => {
                    let not_strings = || "logEventMessages must be a list of strings".to_owned();
                    let Value::Array(items) = value else {
                        return Err(not_strings());
                    };
                    let messages = items
                        .into_iter()
                        .map(|item| match item {
                            Value::String(message) => Ok(message),
                            _ => Err(not_strings()),
                        })
                        .collect::<Result<_, _>>()?;
                    request.log_event_messages = Some(messages);
                }
                _ => {
                    return Err(format!(
                        "unknown member \"{name}\"; a TestMetricFilter request has {MEMBERS}"
                    ));
                }
            }
        }
        Ok(request)
    }

    /// The pattern and messages, or which of them the request lacks.
    pub fn complete(self) -> Result<(String, Vec<String>), Failure> {
        match (self.filter_pattern, self.log_event_messages) {
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
