//! Rules: metric filters and the alarms on their metrics, as CloudWatch defines them.
//!
//! A metric filter is `PutMetricFilter`'s request, with the logs API's camelCase names
//! (`filterName`, `filterPattern`, `metricTransformations`, …), so the output of
//! `aws logs describe-metric-filters` reads as rules without renaming.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::MetricTransformation;

/// Where a rule was read from: a file and the line and column (1-based, in characters) of the
/// item in it — for a metric filter, of its pattern text.
#[derive(Clone, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct SourceLocation {
    /// The file as given.
    pub file: String,
    /// 1-based line.
    pub line: u32,
    /// 1-based column, in characters.
    pub column: u32,
}

impl fmt::Display for SourceLocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.file, self.line, self.column)
    }
}

/// A metric filter: `PutMetricFilter`'s request.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MetricFilterDef {
    /// The filter's name.
    pub filter_name: String,
    /// The filter pattern.
    pub filter_pattern: String,
    /// The log group it applies to (informational: a scan applies every filter to every
    /// record).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log_group_name: Option<String>,
    /// Exactly one metric transformation, as `PutMetricFilter` requires.
    pub metric_transformations: Vec<MetricTransformation>,
    /// `applyOnTransformedLogs` (accepted; there are no transformed logs here).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub apply_on_transformed_logs: bool,
    /// `creationTime` in `describe-metric-filters` output (accepted and ignored).
    #[serde(default, skip_serializing)]
    pub creation_time: Option<i64>,
    /// Where the filter was read from, when known.
    #[serde(skip)]
    pub location: Option<SourceLocation>,
}
