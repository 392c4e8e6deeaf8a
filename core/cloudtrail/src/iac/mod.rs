//! Metric filters and alarms where teams keep them: CloudFormation templates (JSON and YAML,
//! short-form tags included), Terraform configurations and plain pattern lists; and EventBridge
//! rules with their targets ([`read_event_rules`]).
//!
//! Each reader turns one file into a [`Found`]: the metric filters in `PutMetricFilter`'s shape
//! (with the file position of every character of their patterns, so that an error inside a
//! pattern points at the template's line and column), the alarms in `PutMetricAlarm`'s shape,
//! and the problems met on the way. Values are resolved only from what the files themselves
//! state — literals, parameter and variable defaults, a Terraform module's `.tfvars` values,
//! locals, mappings — and anything else is reported as a [`Problem`] at its location, never
//! guessed.
//!
//! ```
//! use trailmatch_cloudtrail::iac::{self, FileKind};
//!
//! let template = r#"
//! Resources:
//!   RootUsage:
//!     Type: AWS::Logs::MetricFilter
//!     Properties:
//!       LogGroupName: CloudTrail/DefaultLogGroup
//!       FilterPattern: >-
//!         { $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS }
//!       MetricTransformations:
//!         - MetricName: RootUsage
//!           MetricNamespace: CISBenchmark
//!           MetricValue: "1"
//! "#;
//! let found = iac::read(FileKind::CloudFormation, "template.yaml", template);
//! let filter = &found.filters[0];
//! assert_eq!(filter.filter_name, "RootUsage");
//! assert_eq!(filter.location.as_ref().unwrap().to_string(), "template.yaml:8:9");
//! assert!(found.problems.is_empty());
//! ```

// Some helpers the template readers share are unused in a build without both readers.
#![cfg_attr(
    not(all(feature = "cloudformation", feature = "terraform")),
    allow(dead_code)
)]

#[cfg(feature = "cloudformation")]
pub mod cloudformation;
pub mod patterns;
mod ruleset;
#[cfg(feature = "terraform")]
pub mod terraform;
pub(crate) mod text;

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

use crate::eventbridge::{EventRuleDef, EventRuleSet};
use crate::rules::{MetricFilterDef, SourceLocation};
use text::{LineIndex, SourceText};

/// What a file holds: metric filters, alarms and the problems met while reading them.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Found {
    /// The metric filters; `location` is where the pattern text starts in the file.
    pub filters: Vec<MetricFilterDef>,
    /// Where each character of each filter's pattern came from: `positions[i]` belongs to
    /// `filters[i]`. Use [`Found::add_filter`] to keep the two in step.
    pub positions: Vec<FilterPositions>,
    /// The alarms.
    pub alarms: Vec<FoundAlarm>,
    /// Unresolved references, unsupported intrinsics, syntax errors of the file, …
    pub problems: Vec<Problem>,
}

/// An alarm as found: `PutMetricAlarm`'s request in PascalCase.
#[derive(Clone, Debug, PartialEq)]
pub struct FoundAlarm {
    /// Where the alarm's resource starts.
    pub location: SourceLocation,
    /// The resource's name in the file (a CloudFormation logical id, a Terraform address such as
    /// `aws_cloudwatch_metric_alarm.root["x"]`).
    pub logical_name: String,
    /// `AlarmName`, `MetricName`, `Namespace`, `Statistic`, `Period`, `EvaluationPeriods`,
    /// `DatapointsToAlarm`, `Threshold`, `ComparisonOperator`, `TreatMissingData`,
    /// `Dimensions` (`[{"Name", "Value"}]`), `AlarmActions`, `OKActions`,
    /// `InsufficientDataActions`, `AlarmDescription`, `ActionsEnabled`, `Unit`,
    /// `ExtendedStatistic`: those the file sets and that could be resolved. Numbers and booleans
    /// written as strings are converted.
    pub properties: serde_json::Value,
}

impl FoundAlarm {
    /// The alarm's `MetricName` and `Namespace`, when both were resolved.
    pub fn metric(&self) -> Option<(&str, &str)> {
        let name = self.properties.get("MetricName")?.as_str()?;
        let namespace = self.properties.get("Namespace")?.as_str()?;
        Some((name, namespace))
    }

    /// The names of the alarm's `Dimensions` (none when it has none); `None` when they are not
    /// a list of objects with a string `Name` each (not resolved: then no filter is taken to be watched).
    pub fn dimension_names(&self) -> Option<Vec<&str>> {
        let Some(dimensions) = self.properties.get("Dimensions") else {
            return Some(Vec::new());
        };
        dimensions
            .as_array()?
            .iter()
            .map(|d| d.get("Name")?.as_str())
            .collect()
    }
}

/// Something a reader could not read, resolve or support.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// Where.
    pub location: SourceLocation,
    /// A stable kebab-case code: `syntax`, `unresolved-reference`, `unsupported-intrinsic`,
    /// `unsupported-expression`, `invalid-resource`, `conditional-resource`, `not-a-template`,
    /// `unreadable`, `not-a-file` (a FIFO, socket or device met in a directory),
    /// `unsupported-file` (a `.tf.json` file, not read), `duplicate-key` (a CloudFormation
    /// key given twice: the earlier one, not read), `not-created` (a CloudFormation resource
    /// whose condition is false with the parameters' defaults, not read); for EventBridge rules
    /// also
    /// `invalid-event-rule`, `invalid-event-pattern`, `invalid-target`.
    pub code: &'static str,
    /// What and why.
    pub message: String,
    /// True when a metric filter or an alarm's metric could not be read because of it, so that
    /// the file holds rules this reader did not return (or returned without their metric).
    pub incomplete: bool,
    /// For a metric filter that could not be read: the metric its transformation publishes
    /// to (`metricName`, `metricNamespace`), when that much could be resolved. A filter whose
    /// metric no alarm watches cannot cover a CIS control, read or not.
    pub metric: Option<(String, String)>,
    /// What it is about.
    pub subject: Subject,
}

/// What a [`Problem`] is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Subject {
    /// The file as a whole (its syntax, its kind).
    File,
    /// A metric filter.
    Filter,
    /// An alarm.
    Alarm,
    /// An EventBridge rule or one of its targets.
    EventRule,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.location, self.message)
    }
}

/// Where the characters of a filter's pattern, and its metric transformation, are in the file.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FilterPositions {
    /// The file of the pattern's first bytes, and of each later run of bytes written in
    /// another file (a Terraform pattern built from a variable's value in `variables.tf`),
    /// from the run's first byte on.
    files: Vec<(usize, String)>,
    /// Line and column of each byte of the pattern.
    pattern: Vec<(u32, u32)>,
    /// Where the resource (or pattern line) starts, for an empty pattern.
    fallback: (u32, u32),
    /// Where the metric transformation is written, when there is one.
    pub transformation: Option<SourceLocation>,
    /// Where each member's value of the first metric transformation is written, by its
    /// CloudFormation name (`Unit`, `MetricValue`, …), when the reader knows.
    pub members: Vec<(String, SourceLocation)>,
}

impl FilterPositions {
    /// Every byte of a pattern of `len` bytes at consecutive columns from `start` on one line,
    /// as for a pattern read verbatim from a line of a file.
    pub fn verbatim(start: &SourceLocation, pattern: &str) -> FilterPositions {
        let mut column = start.column;
        let mut bytes = Vec::with_capacity(pattern.len());
        for c in pattern.chars() {
            bytes.extend(std::iter::repeat_n((start.line, column), c.len_utf8()));
            column = column.saturating_add(1);
        }
        FilterPositions {
            files: vec![(0, start.file.clone())],
            pattern: bytes,
            fallback: (start.line, start.column),
            transformation: None,
            members: Vec::new(),
        }
    }

    pub(crate) fn from_text(
        file: &str,
        index: &LineIndex<'_>,
        text: &SourceText,
        fallback: usize,
    ) -> FilterPositions {
        FilterPositions {
            files: vec![(0, file.to_owned())],
            pattern: text.at.iter().map(|&o| index.line_column(o)).collect(),
            fallback: index.line_column(fallback),
            transformation: None,
            members: Vec::new(),
        }
    }

    /// The positions of a pattern's bytes, each where it is (`fallback` for an empty
    /// pattern).
    pub(crate) fn from_locations(
        bytes: impl Iterator<Item = SourceLocation>,
        fallback: SourceLocation,
    ) -> FilterPositions {
        let mut files: Vec<(usize, String)> = Vec::new();
        let mut pattern = Vec::new();
        for (i, at) in bytes.enumerate() {
            if files.last().is_none_or(|(_, file)| *file != at.file) {
                files.push((i, at.file));
            }
            pattern.push((at.line, at.column));
        }
        if files.is_empty() {
            files.push((0, fallback.file));
        }
        FilterPositions {
            files,
            pattern,
            fallback: (fallback.line, fallback.column),
            transformation: None,
            members: Vec::new(),
        }
    }

    /// Where byte `offset` of the pattern is (the last byte's for an offset past the end).
    pub fn locate(&self, offset: usize) -> SourceLocation {
        let offset = offset.min(self.pattern.len().saturating_sub(1));
        let (line, column) = self.pattern.get(offset).copied().unwrap_or(self.fallback);
        let run = self.files.partition_point(|(from, _)| *from <= offset);
        let file = self
            .files
            .get(run.saturating_sub(1))
            .map(|(_, file)| file.clone())
            .unwrap_or_default();
        SourceLocation { file, line, column }
    }
}

impl Found {
    /// Adds a filter with the positions of its pattern; the filter's `location` is set to where
    /// its pattern starts.
    pub fn add_filter(&mut self, mut filter: MetricFilterDef, positions: FilterPositions) {
        filter.location = Some(positions.locate(0));
        self.filters.push(filter);
        self.positions.push(positions);
    }

    /// Appends what another file held.
    pub fn extend(&mut self, other: Found) {
        self.filters.extend(other.filters);
        self.positions.extend(other.positions);
        self.alarms.extend(other.alarms);
        self.problems.extend(other.problems);
    }

    /// The positions of filter `i`'s pattern, when known.
    pub fn positions_of(&self, i: usize) -> Option<&FilterPositions> {
        self.positions.get(i)
    }

    /// The alarms on filter `i`'s metric: those whose `MetricName` and `Namespace` are the
    /// metric transformation's `metricName` and `metricNamespace`, and whose dimensions have the
    /// transformation's dimension names (CloudWatch tells a metric's series apart by their
    /// dimensions: an alarm with other dimensions, or none where the filter publishes some,
    /// watches a series the filter never writes to; a dimension's value comes from each event,
    /// so any value may be written), and whose `Unit`, when it has one, is the
    /// transformation's (`None` when it gives none: CloudWatch evaluates only the datapoints of
    /// an alarm's unit).
    pub fn alarms_of(&self, i: usize) -> Vec<&FoundAlarm> {
        let Some(filter) = self.filters.get(i) else {
            return Vec::new();
        };
        self.alarms
            .iter()
            .filter(|alarm| {
                alarm.metric().is_some_and(|(name, namespace)| {
                    // A unit or dimensions not known (not resolved): no filter is taken to be
                    // watched (the reader said so, which leaves a control undecided).
                    let dimensions = alarm.dimension_names();
                    let unit = alarm.properties.get("Unit");
                    filter.metric_transformations.iter().any(|t| {
                        t.metric_name == name
                            && t.metric_namespace == namespace
                            && unit.is_none_or(|u| {
                                u.as_str() == Some(t.unit.as_deref().unwrap_or("None"))
                            })
                            && dimensions.as_ref().is_some_and(|names| {
                                names.len() == t.dimensions.len()
                                    && names.iter().all(|n| t.dimensions.contains_key(*n))
                            })
                    })
                })
            })
            .collect()
    }

    fn problem(
        &mut self,
        location: SourceLocation,
        code: &'static str,
        message: String,
        subject: Subject,
    ) {
        self.problems.push(Problem {
            location,
            code,
            message,
            incomplete: false,
            metric: None,
            subject,
        });
    }
}

/// An EventBridge rule as found in a template or module (`AWS::Events::Rule`,
/// `aws_cloudwatch_event_rule` with its `aws_cloudwatch_event_target`s).
#[derive(Clone, Debug, PartialEq)]
pub struct FoundEventRule {
    /// The resource's name in the file (a CloudFormation logical id, a Terraform address such as
    /// `aws_cloudwatch_event_rule.root["x"]`).
    pub logical_name: String,
    /// Where the resource starts.
    pub location: SourceLocation,
    /// The rule as `PutRule` and `PutTargets` would take it: `name` is the resource's `Name`
    /// (`name`) when it resolves, its logical name otherwise; `event_pattern` is the pattern's
    /// JSON text (an object written in YAML or HCL is written as JSON); `pattern_location` is
    /// where that text starts in the file.
    pub rule: EventRuleDef,
    /// Where each byte of the pattern's text came from (see [`FilterPositions::locate`]), for
    /// a linter to point into the pattern; `None` without a pattern.
    pub pattern_positions: Option<FilterPositions>,
}

/// What a file or module holds of EventBridge rules, and the problems met reading them.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FoundEventRules {
    /// The rules, in file order.
    pub rules: Vec<FoundEventRule>,
    /// Unresolved references, invalid rules or targets, syntax errors of the file, …
    pub problems: Vec<Problem>,
}

impl FoundEventRules {
    /// Appends what another file held.
    pub fn extend(&mut self, other: FoundEventRules) {
        self.rules.extend(other.rules);
        self.problems.extend(other.problems);
    }

    /// Checks each rule ([`EventRuleDef::validate`]) and reports those that fail.
    fn validate(&mut self) {
        for found in &self.rules {
            if let Err(e) = found.rule.validate() {
                self.problems.push(Problem {
                    location: if e.location.file.is_empty() {
                        found.location.clone()
                    } else {
                        e.location.clone()
                    },
                    code: e.code(),
                    message: format!("{}: {}", found.logical_name, e.message()),
                    incomplete: false,
                    metric: None,
                    subject: Subject::EventRule,
                });
            }
        }
    }
}

/// Reads the EventBridge rules of one file's text: a CloudFormation template's
/// `AWS::Events::Rule` resources, a Terraform file's `aws_cloudwatch_event_rule` and
/// `aws_cloudwatch_event_target` resources (use [`terraform::read_event_rules_module`] for a
/// module of several files), or an EventBridge rules file (`{"Rules": […]}`, see
/// [`EventRuleSet::parse`]). Each rule found is checked as `PutRule` would
/// ([`EventRuleDef::validate`]); what fails is a problem, the rule is still returned.
pub fn read_event_rules(kind: FileKind, file: &str, text: &str) -> FoundEventRules {
    let mut found = match kind {
        FileKind::CloudFormation | FileKind::Rules if looks_like_event_rules(text) => {
            event_rules_file(file, text)
        }
        #[cfg(feature = "cloudformation")]
        FileKind::CloudFormation => cloudformation::read_event_rules(file, text),
        #[cfg(feature = "terraform")]
        FileKind::Terraform => terraform::read_event_rules(file, text),
        _ => FoundEventRules {
            rules: Vec::new(),
            problems: unreadable(
                file,
                "no EventBridge rules are read from this kind of file".into(),
            )
            .problems,
        },
    };
    found.validate();
    found
}

/// What the metric-filter readers make of an EventBridge rules file: no filter, and a problem
/// saying why (`lint` checks its rules with [`read_event_rules`] instead).
fn event_rules_only(file: &str) -> Found {
    let message = "an EventBridge rules file: it holds event patterns, not metric filters";
    file_problem(file, EVENT_RULES_FILE, message.to_owned(), false)
}

/// The code of the problem [`read`] reports for an EventBridge rules file.
pub const EVENT_RULES_FILE: &str = "eventbridge-rules-file";

/// A JSON text with a top-level `Rules` member and no `Resources`: an EventBridge rules file.
fn looks_like_event_rules(text: &str) -> bool {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text).trim_start();
    text.starts_with('{')
        && crate::eventbridge::raw_member_names(text).is_some_and(|names| {
            names.iter().any(|n| n == "Rules") && !names.iter().any(|n| n == "Resources")
        })
}

/// Where each byte of a rules file's pattern is: the file's own bytes when the pattern is an
/// object written there (then it may span lines), consecutive columns from its start for a
/// pattern in a JSON string (exact up to its first escape).
fn pattern_positions(
    file: &str,
    text: &str,
    at: &SourceLocation,
    pattern: &str,
) -> FilterPositions {
    let index = LineIndex::new(text);
    let start = text
        .split_inclusive('\n')
        .take(at.line.saturating_sub(1) as usize)
        .map(str::len)
        .sum::<usize>();
    let offset = text.get(start..).and_then(|line| {
        line.char_indices()
            .nth(at.column.saturating_sub(1) as usize)
            .map(|(i, _)| start + i)
    });
    match offset {
        Some(offset) if text.get(offset..).is_some_and(|t| t.starts_with(pattern)) => {
            let source = SourceText {
                text: pattern.to_owned(),
                at: (offset..offset + pattern.len()).collect(),
            };
            FilterPositions::from_text(file, &index, &source, offset)
        }
        _ => FilterPositions::verbatim(at, pattern),
    }
}

fn event_rules_file(file: &str, text: &str) -> FoundEventRules {
    let mut found = FoundEventRules::default();
    match EventRuleSet::parse(text, file) {
        Ok(set) => {
            for rule in set.rules {
                let location = rule.location.clone().unwrap_or_else(|| SourceLocation {
                    file: file.to_owned(),
                    line: 1,
                    column: 1,
                });
                let positions = match (&rule.event_pattern, &rule.pattern_location) {
                    (Some(pattern), Some(at)) => Some(pattern_positions(file, text, at, pattern)),
                    _ => None,
                };
                found.rules.push(FoundEventRule {
                    logical_name: rule.name.clone(),
                    location,
                    rule,
                    pattern_positions: positions,
                });
            }
        }
        Err(e) => found.problems.push(Problem {
            location: SourceLocation {
                line: e.location.line.max(1),
                column: e.location.column.max(1),
                ..e.location.clone()
            },
            code: "syntax",
            message: format!("{} [{}]", e.message(), e.code()),
            incomplete: true,
            metric: None,
            subject: Subject::File,
        }),
    }
    found
}

/// The kinds of file the readers understand.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum FileKind {
    /// A CloudFormation template, JSON or YAML.
    CloudFormation,
    /// A Terraform configuration file (`.tf`).
    Terraform,
    /// A Terraform configuration file in Terraform's JSON syntax (`.tf.json`): not read, and
    /// reported so ([`UNSUPPORTED_FILE`]).
    TerraformJson,
    /// Values of a Terraform module's variables (`.tfvars`, `.tfvars.json`), over their
    /// defaults. In a directory, only the files Terraform loads by itself are read
    /// (`terraform.tfvars`, `*.auto.tfvars`, and their `.json` forms), for the `.tf` files of
    /// the same directory; a file named (`prod.tfvars`) is read for every module, after those,
    /// as `terraform plan -var-file` reads it.
    TerraformValues,
    /// One filter pattern per line (`.txt`, `.pattern`, `.patterns`).
    Patterns,
    /// A trailmatch rules file (`.toml`, or JSON with `metricFilters` / `MetricAlarms`): see
    /// [`RuleSet::parse`](crate::rules::RuleSet::parse).
    Rules,
}

impl FileKind {
    /// The kind a file's name says it has: `.tf` → Terraform; `.tf.json` → Terraform's JSON
    /// syntax; `.tfvars`, `.tfvars.json` → Terraform variable values; `.toml` → rules;
    /// `.yaml`, `.yml`, `.json`, `.template` → CloudFormation; `.txt`, `.pattern`,
    /// `.patterns` → patterns. `None` for anything else.
    pub fn of_path(path: &Path) -> Option<FileKind> {
        let name = path.file_name()?.to_str()?.to_ascii_lowercase();
        if name.ends_with(".tf.json") {
            return Some(FileKind::TerraformJson);
        }
        if name.ends_with(".tfvars") || name.ends_with(".tfvars.json") {
            return Some(FileKind::TerraformValues);
        }
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        match ext.as_str() {
            "tf" => Some(FileKind::Terraform),
            "toml" => Some(FileKind::Rules),
            "yaml" | "yml" | "json" | "template" => Some(FileKind::CloudFormation),
            "txt" | "pattern" | "patterns" => Some(FileKind::Patterns),
            _ => None,
        }
    }
}

/// Reads one file's text: `file` is the name to report locations with.
/// A JSON file that is a rules file rather than a template is read as one.
pub fn read(kind: FileKind, file: &str, text: &str) -> Found {
    match kind {
        FileKind::Rules => rules_file(file, text),
        FileKind::CloudFormation if looks_like_rules(text) => rules_file(file, text),
        FileKind::CloudFormation if looks_like_event_rules(text) => event_rules_only(file),
        #[cfg(feature = "cloudformation")]
        FileKind::CloudFormation => cloudformation::read(file, text),
        #[cfg(not(feature = "cloudformation"))]
        FileKind::CloudFormation => {
            without_feature(file, "a CloudFormation template", "cloudformation")
        }
        // A values file on its own sets the variables of no configuration: it is still parsed,
        // so that its syntax is checked.
        #[cfg(feature = "terraform")]
        FileKind::Terraform | FileKind::TerraformValues => terraform::read(file, text),
        #[cfg(not(feature = "terraform"))]
        FileKind::Terraform | FileKind::TerraformValues => {
            without_feature(file, "a Terraform file", "terraform")
        }
        FileKind::Patterns => patterns::read(file, text),
        FileKind::TerraformJson => {
            let message = "Terraform's JSON syntax (.tf.json) is not read: the metric filters \
                           and alarms it may hold are not checked";
            file_problem(file, UNSUPPORTED_FILE, message.to_owned(), true)
        }
    }
}

/// Whether a file of a module gives its variables values rather than configuration, by its name:
/// `.tfvars` (HCL) or `.tfvars.json` (JSON).
pub fn is_values_file(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    name.ends_with(".tfvars") || name.ends_with(".tfvars.json")
}

/// Whether Terraform loads a values file of a module's directory by itself, by its name (as
/// Terraform compares it, case and all): `terraform.tfvars`, `terraform.tfvars.json`,
/// `*.auto.tfvars`, `*.auto.tfvars.json`.
pub fn is_loaded_values_file(file_name: &str) -> bool {
    loaded_rank(file_name).is_some()
}

/// Where Terraform loads a values file of a module's directory, among those it loads by
/// itself: `terraform.tfvars`, then `terraform.tfvars.json`, then the `*.auto.tfvars` and
/// `*.auto.tfvars.json` files by name.
fn loaded_rank(file_name: &str) -> Option<(u8, &str)> {
    match file_name {
        "terraform.tfvars" => Some((0, "")),
        "terraform.tfvars.json" => Some((1, "")),
        _ if file_name.ends_with(".auto.tfvars") || file_name.ends_with(".auto.tfvars.json") => {
            Some((2, file_name))
        }
        _ => None,
    }
}

/// The code of the warning for a CloudFormation resource whose condition is false with the
/// parameters' defaults: it is not created, so not read.
pub const NOT_CREATED: &str = "not-created";

/// The code of the note on a CloudFormation resource whose condition cannot be told from the
/// template: it is read as if it held (`lint` does not show it).
pub const CONDITIONAL_RESOURCE: &str = "conditional-resource";

/// The code of the problem for a Terraform `module` call whose module is not read: a source
/// that is not a local directory (a registry, Git or S3 address), a directory that cannot be
/// read, a module that calls itself.
pub const MODULE_NOT_READ: &str = "module-not-read";

/// The code of the error for an argument of a Terraform `module` call that the module declares
/// no variable for (Terraform refuses it: "Unsupported argument").
pub const UNKNOWN_ARGUMENT: &str = "unknown-argument";

/// The code of the error for a variable without a default that a Terraform `module` call does
/// not set (Terraform refuses the call: "Missing required argument").
pub const MISSING_ARGUMENT: &str = "missing-argument";

/// The code of the warning for a value that a values file of a Terraform module's own directory
/// gives a variable the module does not declare (Terraform's "Value for undeclared variable").
pub const UNDECLARED_VARIABLE: &str = "undeclared-variable";

/// The code of the warning for a key given twice in one CloudFormation mapping: the earlier,
/// which CloudFormation does not keep, is not read.
pub const DUPLICATE_KEY: &str = "duplicate-key";

/// The code of the problem [`read`] reports for a file of a kind it does not read
/// ([`FileKind::TerraformJson`]).
pub const UNSUPPORTED_FILE: &str = "unsupported-file";

/// The files under `path` that a reader understands, in name order: `path` itself when it is a
/// file (whatever its name), or the files of a directory and its subdirectories whose
/// [`FileKind::of_path`] is known, skipping hidden entries (`.terraform`, `.git`, …) and
/// `node_modules`. In a
/// directory, a JSON or YAML file is kept only when it looks like a CloudFormation template (it
/// mentions `Resources` or `AWSTemplateFormatVersion`), so that `package.json` or a CI workflow
/// is not reported as a broken template. Directories are walked by [`crate::walk`] (symbolic
/// links inside not followed); what it skips (a FIFO, an unreadable directory) is dropped here:
/// use [`discover_with`] to have it reported. A `path` that does not exist is an error.
pub fn discover(path: &Path) -> io::Result<Vec<(PathBuf, FileKind)>> {
    discover_with(path, crate::walk::WalkOptions::default()).map(|(files, _)| files)
}

/// What [`discover_with`] finds: the files to read with their kinds, and the problems (paths
/// the walk skipped).
pub type Discovered = (Vec<(PathBuf, FileKind)>, Vec<Problem>);

/// [`discover`], walking with `options` (`follow`), and with what the walk skipped as problems:
/// `not-a-file` for a FIFO, socket or device met in a directory (never opened), as `grep` and
/// `scan` report it, and `unreadable` for the rest (a directory that cannot be listed, a link
/// cycle).
pub fn discover_with(path: &Path, options: crate::walk::WalkOptions) -> io::Result<Discovered> {
    use crate::walk::{Entry, Walk, WalkOptions};
    crate::walk::require(&[path])?;
    let mut out = Vec::new();
    let mut problems = Vec::new();
    let options = WalkOptions {
        ignore: Some(|name| {
            // Hidden entries (.terraform, .git) and installed JavaScript packages hold no rules
            // of the user's.
            name.to_str()
                .is_some_and(|n| n.starts_with('.') || n == "node_modules")
        }),
        ..options
    };
    let named_file = !path.is_dir();
    for entry in Walk::new(vec![path.to_path_buf()], options) {
        match entry {
            Entry::File(file) if named_file => {
                let kind = FileKind::of_path(&file).unwrap_or(FileKind::Patterns);
                out.push((file, kind));
            }
            Entry::File(file) => {
                let Some(kind) = FileKind::of_path(&file) else {
                    continue;
                };
                if kind == FileKind::CloudFormation && !looks_like_template(&file) {
                    continue;
                }
                // Terraform loads these values files by itself; others only when named.
                let loaded = || {
                    file.file_name()
                        .and_then(|n| n.to_str())
                        .is_some_and(is_loaded_values_file)
                };
                if kind == FileKind::TerraformValues && !loaded() {
                    continue;
                }
                out.push((file, kind));
            }
            Entry::Skipped {
                path,
                reason,
                message,
            } => {
                let file = path.display().to_string();
                let mut skipped = unreadable(&file, message).problems;
                if reason == crate::walk::SkipReason::NotAFile {
                    // As `grep` and `scan` report it.
                    for problem in &mut skipped {
                        problem.code = "not-a-file";
                    }
                }
                problems.extend(skipped);
            }
        }
    }
    Ok((out, problems))
}

/// Whether a JSON or YAML file met in a directory is to be read: one that mentions what a
/// template or a rules file holds (read as UTF-8 or not), and one that cannot be read at all, so
/// that reading it reports why rather than dropping it unsaid.
fn looks_like_template(path: &Path) -> bool {
    let Ok(bytes) = std::fs::read(path) else {
        return true;
    };
    let t = String::from_utf8_lossy(&bytes);
    t.contains("Resources") || t.contains("AWSTemplateFormatVersion") || looks_like_rules(&t)
}

/// A JSON object with a `metricFilters` or `MetricAlarms` member and no `Resources`: a rules
/// file.
fn looks_like_rules(text: &str) -> bool {
    crate::rules::looks_like_rules(text)
}

/// A rules file as a [`Found`]: its filters with positions (the pattern as written verbatim,
/// or escaped in a JSON or TOML basic string: then the columns of the characters after the
/// first escape are approximate), its alarms in `PutMetricAlarm`'s shape.
fn rules_file(file: &str, text: &str) -> Found {
    let mut found = Found::default();
    match crate::rules::RuleSet::parse(text, file) {
        Ok(rules) => {
            for filter in rules.metric_filters {
                let start = filter.location.clone().unwrap_or_else(|| SourceLocation {
                    file: file.to_owned(),
                    line: 1,
                    column: 1,
                });
                let positions = FilterPositions::verbatim(&start, &filter.filter_pattern);
                found.add_filter(filter, positions);
            }
            for alarm in rules.alarms {
                found.alarms.push(FoundAlarm {
                    location: SourceLocation {
                        file: file.to_owned(),
                        line: 1,
                        column: 1,
                    },
                    logical_name: alarm.alarm_name.clone(),
                    properties: serde_json::to_value(&alarm).unwrap_or(serde_json::Value::Null),
                });
            }
        }
        Err(e) => found.problems.push(Problem {
            location: SourceLocation {
                line: e.location.line.max(1),
                column: e.location.column.max(1),
                ..e.location.clone()
            },
            code: "syntax",
            message: format!("{} [{}]", e.message(), e.code()),
            incomplete: true,
            metric: None,
            subject: Subject::File,
        }),
    }
    found
}

/// Reads a file from disk with the reader its kind names; a file that cannot be read or is not
/// UTF-8 gives a [`Found`] with one `unreadable` problem.
pub fn read_path(path: &Path, kind: FileKind) -> Found {
    let name = path.display().to_string();
    match read_text(path) {
        Ok(text) => read(kind, &name, &text),
        Err(why) => unreadable(&name, why),
    }
}

/// A file's text, or why it cannot be read (including: it is not UTF-8).
fn read_text(path: &Path) -> Result<String, String> {
    match std::fs::read(path).map(String::from_utf8) {
        Ok(Ok(text)) => Ok(text),
        Ok(Err(_)) => Err("the file is not UTF-8".to_owned()),
        Err(e) => Err(format!("cannot read the file: {e}")),
    }
}

/// Finds and reads the rules under `paths` as `lint` and `cis-check` do: a path that does not
/// exist is an error naming it; directories are walked with `options`, and what the walk
/// skipped (a FIFO, a device) is a problem of the result. Also gives the number of files read.
pub fn load(paths: &[PathBuf], options: crate::walk::WalkOptions) -> io::Result<(Found, usize)> {
    let (files, skipped) = discover_all(paths, options)?;
    let texts = texts(&files, paths);
    let mut found = read_texts(&texts);
    found.problems.extend(skipped);
    Ok((found, texts.count()))
}

/// [`load`], and the EventBridge rules of the same files (CloudFormation templates, EventBridge
/// rules files `{"Rules": […]}`, Terraform modules), each file walked to and read once.
pub fn load_with_event_rules(
    paths: &[PathBuf],
    options: crate::walk::WalkOptions,
) -> io::Result<(Found, FoundEventRules, usize)> {
    let (files, skipped) = discover_all(paths, options)?;
    let texts = texts(&files, paths);
    let mut found = read_texts(&texts);
    found.problems.extend(skipped);
    let rules = read_event_rules_of(&texts);
    Ok((found, rules, texts.count()))
}

/// [`discover_with`] for each of `paths` (which must exist): the files, and what was skipped.
fn discover_all(paths: &[PathBuf], options: crate::walk::WalkOptions) -> io::Result<Discovered> {
    crate::walk::require(paths)?;
    let mut files = Vec::new();
    let mut skipped = Vec::new();
    for path in paths {
        let (found, problems) = discover_with(path, options.clone())
            .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", path.display())))?;
        files.extend(found);
        skipped.extend(problems);
    }
    Ok((files, skipped))
}

/// The texts of files found by [`discover`]: each file on its own, except the Terraform files
/// of one directory, which are one module; a file that cannot be read, or is not UTF-8, gives
/// why instead of its text.
struct Texts {
    /// (name, kind, text or why not), the Terraform files left out.
    files: Vec<(String, FileKind, Result<String, String>)>,
    /// Each module's files: (name, text); the unreadable ones are in `files`.
    modules: Vec<Vec<(String, String)>>,
    /// Each module's directory, resolved (empty for values files read for no module).
    dirs: Vec<PathBuf>,
    /// How many files, each counted once however often it was reached.
    count: usize,
    /// The modules that `module` calls name, as the readers meet them.
    called: std::sync::Mutex<Called>,
    /// Where each file met is (its directory resolved, and its name), and its name as met.
    #[cfg_attr(not(feature = "terraform"), allow(dead_code))]
    places: std::collections::HashMap<Place, String>,
}

/// A file's directory, resolved, and its name.
type Place = (PathBuf, Option<std::ffi::OsString>);

/// What the readers of [`Texts`]' modules have called.
#[derive(Default)]
struct Called {
    /// For each module (by index), the directories of the modules its read called (at any
    /// depth), its own left out.
    #[cfg_attr(not(feature = "terraform"), allow(dead_code))]
    by: std::collections::HashMap<usize, std::collections::HashSet<PathBuf>>,
    /// The files of the called modules that the walk did not meet, read from disk (by place,
    /// as [`Texts::places`]).
    #[cfg_attr(not(feature = "terraform"), allow(dead_code))]
    disk: std::collections::HashSet<Place>,
}

impl Texts {
    /// What the readers have called (a lock that a panic elsewhere does not spoil).
    fn called(&self) -> std::sync::MutexGuard<'_, Called> {
        self.called
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// How many files were read: those found, and those of the modules called from them.
    fn count(&self) -> usize {
        self.count + self.called().disk.len()
    }

    /// The files of the module that a `module` call met in reading module `reading` names (see
    /// [`terraform::Loader`]): the `.tf` files of its directory, all of them (as Terraform reads
    /// them, whichever the paths given named), read from disk; those the walk did not meet are
    /// counted.
    #[cfg(feature = "terraform")]
    fn module(&self, reading: usize, dir: &Path) -> Result<terraform::ModuleFiles, String> {
        let (resolved, files) = terraform::module_files(dir)?;
        let mut called = self.called();
        if self.dirs.get(reading) != Some(&resolved) {
            called
                .by
                .entry(reading)
                .or_default()
                .insert(resolved.clone());
        }
        // A file the walk met keeps the name it was met by, so that what is said of it is
        // said once.
        let mut files = files;
        for (name, _) in &mut files {
            let file_name = Path::new(name.as_str()).file_name().map(ToOwned::to_owned);
            let place = (resolved.clone(), file_name);
            match self.places.get(&place) {
                Some(met) => name.clone_from(met),
                None => {
                    called.disk.insert(place);
                }
            }
        }
        Ok((resolved, files))
    }

    /// Reads each module with `read`, its calls served by [`Texts::module`], and gives back
    /// what the root modules give ([`roots`]).
    #[cfg(feature = "terraform")]
    fn read_roots<T>(
        &self,
        read: impl Fn(&[(String, String)], terraform::Loader<'_>) -> T,
    ) -> Vec<T> {
        let read_modules: Vec<T> = (self.modules.iter().enumerate())
            .map(|(i, module)| read(module, &|dir: &Path| self.module(i, dir)))
            .collect();
        let called = self.called();
        let calls = |i: usize, dir: &PathBuf| called.by.get(&i).is_some_and(|by| by.contains(dir));
        read_modules
            .into_iter()
            .zip(roots(&self.dirs, calls))
            .filter_map(|(found, root)| root.then_some(found))
            .collect()
    }
}

/// Which of the modules in `dirs` are roots, when `calls(i, dir)` tells whether reading module
/// `i` called the module of `dir`: those that no other module calls, as Terraform plans them (a
/// called module is read with each call's arguments, not on its own with its defaults). A module
/// that no root reaches lies in a ring of modules calling one another, or below one: a module of
/// a ring that no other such module calls without being called back by it (the ring, not a
/// module below it) becomes a root too, and so on until every module is a root or reached.
#[cfg(feature = "terraform")]
fn roots(dirs: &[PathBuf], calls: impl Fn(usize, &PathBuf) -> bool) -> Vec<bool> {
    let n = dirs.len();
    let called_by = |j: usize, i: usize| dirs.get(i).is_some_and(|d| calls(j, d));
    let mut root: Vec<bool> = (0..n)
        .map(|i| !(0..n).any(|j| j != i && called_by(j, i)))
        .collect();
    loop {
        let reached = |i: usize| (0..n).any(|j| root.get(j) == Some(&true) && called_by(j, i));
        let left: Vec<usize> = (0..n)
            .filter(|&i| root.get(i) == Some(&false) && !reached(i))
            .collect();
        let below = |i: usize| {
            left.iter()
                .any(|&j| j != i && called_by(j, i) && !called_by(i, j))
        };
        match left.iter().find(|&&i| !below(i)).or(left.first()) {
            Some(&i) => root.get_mut(i).into_iter().for_each(|r| *r = true),
            None => break,
        }
    }
    root
}

/// [`Texts`] of `files`, of which those in `named` were named by the user (not met in a
/// directory).
///
/// A module is the `.tf` files of one directory, then the values files Terraform loads by itself
/// from that directory, in its order ([`is_loaded_values_file`]), then every values file named,
/// in the order given, as `terraform plan -var-file` reads them (wherever they are: `-var-file
/// ../envs/prod.tfvars`). Each module's variables take their values from them, the later file
/// over the earlier.
fn texts(files: &[(PathBuf, FileKind)], named: &[PathBuf]) -> Texts {
    let mut out = Texts {
        files: Vec::new(),
        modules: Vec::new(),
        dirs: Vec::new(),
        count: 0,
        called: Default::default(),
        places: Default::default(),
    };
    // Where a file is, however it was named (`./main.tf`, `main.tf`, an absolute path, a linked
    // directory): its directory resolved, and its own name, so that a file linked into two
    // modules belongs to both, and a file reached twice is read once.
    let place = |path: &Path| {
        let dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d,
            _ => Path::new("."),
        };
        let dir = dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf());
        (dir, path.file_name().map(ToOwned::to_owned))
    };
    let file_name = |name: &str| {
        Path::new(name)
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default()
            .to_owned()
    };
    // The values files named, in the order given; a walk that meets one leaves it to them.
    let named_values_files: Vec<&PathBuf> = named
        .iter()
        .filter(|p| !p.is_dir() && FileKind::of_path(p) == Some(FileKind::TerraformValues))
        .collect();
    let named_places: std::collections::HashSet<_> =
        named_values_files.iter().map(|p| place(p)).collect();
    let mut seen = std::collections::HashSet::new();
    let mut named_values = Vec::new();
    for (path, kind) in files {
        let here = place(path);
        if *kind == FileKind::TerraformValues && named_places.contains(&here) {
            continue;
        }
        if !seen.insert(here.clone()) {
            continue;
        }
        out.count += 1;
        let name = path.display().to_string();
        out.places.insert(here.clone(), name.clone());
        match (kind, read_text(path)) {
            // Without names given (`read_all`), a values file Terraform does not load by itself
            // can only have been named.
            (FileKind::TerraformValues, Ok(text)) if !is_loaded_values_file(&file_name(&name)) => {
                named_values.push((name, text));
            }
            (FileKind::Terraform | FileKind::TerraformValues, Ok(text)) => {
                let (dir, _) = here;
                let module = match out.dirs.iter().position(|d| *d == dir) {
                    Some(i) => out.modules.get_mut(i),
                    None => {
                        out.dirs.push(dir);
                        out.modules.push(Vec::new());
                        out.modules.last_mut()
                    }
                };
                if let Some(module) = module {
                    module.push((name, text));
                }
            }
            (_, text) => out.files.push((name, *kind, text)),
        }
    }
    let mut named_seen = std::collections::HashSet::new();
    for path in named_values_files {
        if named_seen.insert(place(path)) {
            out.count += 1;
        }
        let name = path.display().to_string();
        match read_text(path) {
            Ok(text) => named_values.push((name, text)),
            Err(why) => out.files.push((name, FileKind::TerraformValues, Err(why))),
        }
    }
    for module in &mut out.modules {
        // The .tf files first (in the order met), then the loaded values files in Terraform's.
        module.sort_by(|(a, _), (b, _)| {
            let (a, b) = (file_name(a), file_name(b));
            loaded_rank(&a).cmp(&loaded_rank(&b))
        });
        module.extend(named_values.iter().cloned());
    }
    if out.modules.is_empty() && !named_values.is_empty() {
        // Values for no module: still read, for their own errors.
        out.modules.push(named_values);
        out.dirs.push(PathBuf::new());
    }
    out
}

/// Reads files found by [`discover`]: each on its own, except the Terraform files of one
/// directory, which are one module and are read together.
pub fn read_all(files: &[(PathBuf, FileKind)]) -> Found {
    read_texts(&texts(files, &[]))
}

fn read_texts(texts: &Texts) -> Found {
    let mut found = Found::default();
    for (name, kind, text) in &texts.files {
        found.extend(match text {
            Ok(text) => read(*kind, name, text),
            Err(why) => unreadable(name, why.clone()),
        });
    }
    #[cfg(feature = "terraform")]
    {
        for module in texts.read_roots(terraform::read_module_with) {
            found.extend(module);
        }
    }
    #[cfg(not(feature = "terraform"))]
    for module in &texts.modules {
        for (name, _) in module {
            found.extend(without_feature(name, "a Terraform file", "terraform"));
        }
    }
    dedup(&mut found.problems);
    found
}

/// The EventBridge rules of `texts`; unreadable files and files of metric filters only add
/// nothing ([`read_texts`] reports the former).
fn read_event_rules_of(texts: &Texts) -> FoundEventRules {
    let mut found = FoundEventRules::default();
    for (name, kind, text) in &texts.files {
        let Ok(text) = text else { continue };
        let holds_rules = match kind {
            FileKind::CloudFormation => true,
            FileKind::Rules => looks_like_event_rules(text),
            FileKind::Terraform
            | FileKind::TerraformJson
            | FileKind::TerraformValues
            | FileKind::Patterns => false,
        };
        if holds_rules {
            found.extend(read_event_rules(*kind, name, text));
        }
    }
    #[cfg(feature = "terraform")]
    {
        for mut rules in texts.read_roots(terraform::read_event_rules_module_with) {
            rules.validate();
            found.extend(rules);
        }
    }
    dedup(&mut found.problems);
    found
}

/// Keeps the first of equal problems: a values file named on the command line is read with
/// every module, and its own problems are said once.
fn dedup(problems: &mut Vec<Problem>) {
    let mut seen = std::collections::HashSet::new();
    problems.retain(|p| seen.insert((p.location.to_string(), p.code, p.message.clone())));
}

/// What a reader left out of this build reports: the file is not read, and says why.
#[cfg(not(all(feature = "cloudformation", feature = "terraform")))]
fn without_feature(file: &str, what: &str, feature: &str) -> Found {
    unreadable(
        file,
        format!("{what}: this build of trailmatch-cloudtrail has no `{feature}` feature"),
    )
}

fn unreadable(file: &str, message: String) -> Found {
    file_problem(file, "unreadable", message, true)
}

/// What a reader found of a file it did not read: one problem about the whole file, at its
/// start; `incomplete` when the file may hold rules.
fn file_problem(file: &str, code: &'static str, message: String, incomplete: bool) -> Found {
    Found {
        problems: vec![Problem {
            location: SourceLocation {
                file: file.to_owned(),
                line: 1,
                column: 1,
            },
            code,
            message,
            incomplete,
            metric: None,
            subject: Subject::File,
        }],
        ..Found::default()
    }
}

/// Converts a property written as a string where `PutMetricAlarm` takes a number or a boolean
/// (CloudFormation accepts `Period: "300"`), and a single action into a list.
fn coerce(key: &str, value: serde_json::Value) -> serde_json::Value {
    use serde_json::Value as Json;
    match (key, value) {
        ("Period" | "EvaluationPeriods" | "DatapointsToAlarm", Json::String(s)) => {
            s.trim().parse::<i64>().map_or(Json::String(s), Json::from)
        }
        ("Threshold", Json::String(s)) => trailmatch::number::parse(s.trim())
            .and_then(serde_json::Number::from_f64)
            .map_or(Json::String(s), Json::Number),
        ("ActionsEnabled", Json::String(s)) => match s.as_str() {
            "true" => Json::Bool(true),
            "false" => Json::Bool(false),
            _ => Json::String(s),
        },
        (_, v) => v,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Roots are the modules no other calls; of a ring of modules calling one another that no
    /// root reaches, one module of the ring (never one below it, whatever the order) is a root.
    #[cfg(feature = "terraform")]
    #[test]
    fn roots_of_chains_and_rings() {
        let dirs: Vec<PathBuf> = ["a", "b", "c", "d"].iter().map(PathBuf::from).collect();
        let roots_of = |edges: &[(usize, usize)]| {
            // What a read calls is every module below it, at any depth.
            let reach = |from: usize| {
                let mut seen = vec![from];
                let mut i = 0;
                while let Some(&at) = seen.get(i) {
                    for &(x, y) in edges {
                        if x == at && !seen.contains(&y) {
                            seen.push(y);
                        }
                    }
                    i += 1;
                }
                seen
            };
            let calls = |i: usize, dir: &PathBuf| {
                let j = dirs.iter().position(|d| d == dir);
                j.is_some_and(|j| j != i && reach(i).contains(&j))
            };
            roots(&dirs, calls)
        };
        // a calls b calls c; d alone.
        assert_eq!(roots_of(&[(0, 1), (1, 2)]), [true, false, false, true]);
        // b and c call each other, and c calls a (below the ring, first in order) and d.
        assert_eq!(
            roots_of(&[(1, 2), (2, 1), (2, 0), (2, 3)]),
            [false, true, false, false]
        );
        // The same with the module below the ring last.
        assert_eq!(
            roots_of(&[(0, 1), (1, 0), (1, 3), (2, 0)]),
            [false, false, true, false]
        );
        assert_eq!(
            roots_of(&[(0, 1), (1, 0), (1, 2), (1, 3)]),
            [true, false, false, false]
        );
    }

    /// An alarm watches a filter's metric when its dimension names are the transformation's;
    /// dimensions not resolved to names may be any, so such an alarm may watch it.
    #[test]
    fn alarms_of_a_filter_agree_on_dimension_names() {
        let yaml = "Resources:\n  F:\n    Type: AWS::Logs::MetricFilter\n    Properties:\n      FilterPattern: ERROR\n      MetricTransformations: [{MetricName: m, MetricNamespace: n, MetricValue: '1', Dimensions: [{Key: Env, Value: $.env}]}]\n";
        let mut found = read(FileKind::CloudFormation, "t.yaml", yaml);
        let alarm = |dimensions: serde_json::Value| FoundAlarm {
            location: SourceLocation::default(),
            logical_name: "A".into(),
            properties: serde_json::json!({"MetricName": "m", "Namespace": "n", "Dimensions": dimensions}),
        };
        found.alarms = vec![
            alarm(serde_json::json!([{"Name": "Env", "Value": "prod"}])),
            alarm(serde_json::json!([])),
            alarm(serde_json::json!([{"Name": "Other", "Value": "x"}])),
            // Not resolved: it might watch another series; none is taken to be watched.
            alarm(serde_json::json!("${Dimensions}")),
            alarm(serde_json::Value::Null),
        ];
        // A unit: the filter's (none given is `None`), another, or one not resolved.
        for unit in [
            serde_json::json!("None"),
            serde_json::json!("Count"),
            serde_json::Value::Null,
        ] {
            let mut a = alarm(serde_json::json!([{"Name": "Env", "Value": "prod"}]));
            a.properties["Unit"] = unit;
            found.alarms.push(a);
        }
        let watching: Vec<usize> = found
            .alarms_of(0)
            .iter()
            .map(|a| {
                found
                    .alarms
                    .iter()
                    .position(|b| std::ptr::eq(*a, b))
                    .unwrap()
            })
            .collect();
        assert_eq!(watching, [0, 5]);
    }

    #[test]
    fn discover_walks_directories_and_keeps_what_readers_understand() {
        let root = std::env::temp_dir().join(format!("trailmatch-discover-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        for dir in ["mod", ".terraform/modules/x", "node_modules/pkg", "ci"] {
            std::fs::create_dir_all(root.join(dir)).unwrap();
        }
        let files = [
            ("mod/main.tf", "variable \"p\" { default = \"ERROR\" }\n"),
            (
                "mod/filters.tf",
                "resource \"aws_cloudwatch_log_metric_filter\" \"e\" {\n  name = \"e\"\n  pattern = var.p\n  metric_transformation {\n    name = \"e\"\n    namespace = \"n\"\n    value = \"1\"\n  }\n}\n",
            ),
            (".terraform/modules/x/main.tf", "broken {"),
            ("node_modules/pkg/template.yaml", "Resources: {}"),
            ("ci/workflow.yml", "on: push\n"),
            ("stack.template", "Resources: {}\n"),
            ("patterns.txt", "ERROR\n"),
            ("notes.md", "# Resources\n"),
        ];
        for (path, text) in files {
            std::fs::write(root.join(path), text).unwrap();
        }
        let found = discover(&root).unwrap();
        let names: Vec<String> = found
            .iter()
            .map(|(p, k)| format!("{}:{k:?}", p.strip_prefix(&root).unwrap().display()))
            .collect();
        assert_eq!(
            names,
            [
                "mod/filters.tf:Terraform",
                "mod/main.tf:Terraform",
                "patterns.txt:Patterns",
                "stack.template:CloudFormation"
            ]
        );
        // The two files of the module are read together: the variable resolves.
        let all = read_all(&found);
        let patterns: Vec<&str> = all
            .filters
            .iter()
            .map(|f| f.filter_pattern.as_str())
            .collect();
        assert_eq!(patterns, ["ERROR", "ERROR"]);
        assert!(all.problems.is_empty(), "{:?}", all.problems);
        std::fs::remove_dir_all(&root).unwrap();
    }
}
