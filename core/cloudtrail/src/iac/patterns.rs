//! Plain pattern files: one filter pattern per line, the one format of `grep -f`, `lint`,
//! `cis-check` and `scan --rules`. Blank lines and lines whose first non-blank character is `#`
//! are skipped (comments); a trailing `\r` and a byte order mark at the start are removed;
//! nothing else is trimmed, so the pattern is the line as written. A term that really starts
//! with `#` is written quoted: `"#channel"`.

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
    for (line_number, line) in lines(text) {
        let n = line_number - 1;
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

/// The patterns of a pattern list with their 1-based line numbers: see the [module](self).
///
/// ```
/// use trailmatch_cloudtrail::iac::patterns::lines;
/// let text = "\u{feff}# CIS 3.1\n\n  \nERROR\r\n\"#x\"\n  # indented comment\n";
/// assert_eq!(lines(text).collect::<Vec<_>>(), [(4, "ERROR"), (5, "\"#x\"")]);
/// ```
pub fn lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    text.split('\n').enumerate().filter_map(|(n, line)| {
        let line = line.strip_suffix('\r').unwrap_or(line);
        let body = line.trim_start();
        (!body.is_empty() && !body.starts_with('#')).then_some((n + 1, line))
    })
}
