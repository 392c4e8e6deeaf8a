//! Plain pattern files: one filter pattern per line. Blank lines and lines whose first non-blank
//! character is `#` are skipped; a trailing `\r` is removed; nothing else is trimmed, so the
//! pattern is the line as written.

use super::{FilterPositions, Found};
use crate::rules::{MetricFilterDef, SourceLocation};

/// Reads a pattern list. Each pattern becomes a filter named `<file>:<line>` without a metric
/// transformation.
///
/// ```
/// let found = trailmatch_cloudtrail::iac::patterns::read("p.txt", "# CIS 5.5\n\n{ $.eventName = StopLogging }\n");
/// assert_eq!(found.filters.len(), 1);
/// assert_eq!(found.filters[0].filter_name, "p.txt:3");
/// assert_eq!(found.filters[0].location.as_ref().unwrap().to_string(), "p.txt:3:1");
/// ```
pub fn read(file: &str, text: &str) -> Found {
    let mut found = Found::default();
    for (n, line) in text.split('\n').enumerate() {
        let line = line.strip_suffix('\r').unwrap_or(line);
        let body = line.trim_start();
        if body.is_empty() || body.starts_with('#') {
            continue;
        }
        let start = SourceLocation {
            file: file.to_owned(),
            line: super::text::to_u32(n + 1),
            column: 1,
        };
        let filter = MetricFilterDef {
            filter_name: format!("{file}:{}", n + 1),
            filter_pattern: line.to_owned(),
            log_group_name: None,
            metric_transformations: Vec::new(),
            apply_on_transformed_logs: false,
            creation_time: None,
            location: None,
        };
        found.add_filter(filter, FilterPositions::verbatim(&start, line));
    }
    found
}
