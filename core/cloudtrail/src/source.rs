//! Where rules come from: a file's location (file, line, column), reading a rules file, and
//! the errors of rules files with their place. Both the metric-filter rules ([`crate::rules`])
//! and the EventBridge rules ([`crate::eventbridge`]) are read through it.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::boundary;

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

/// What is wrong with a rules file. The codes are stable.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RulesErrorKind {
    /// The file cannot be read.
    Unreadable,
    /// Not TOML.
    InvalidToml,
    /// Not JSON (a trailing comma, an unclosed brace, …).
    InvalidJson,
    /// A member the file's format does not have (`filterPatern`, `Statistc`).
    UnknownMember,
    /// A member whose value has the wrong type (`"Period": "60"`).
    WrongType,
    /// A required member is absent (`filterPattern`, `EvaluationPeriods`).
    MissingMember,
    /// A value that cannot be used (the top level is not a table, a member that must be a list
    /// is not).
    InvalidRules,
    /// `include` names a pack other than `cis`.
    UnknownPack,
    /// An alarm that `PutMetricAlarm` would refuse.
    InvalidAlarm,
    /// A metric filter that cannot be read.
    InvalidMetricFilter,
    /// A template, Terraform file or directory with no metric filter or alarm.
    NoRules,
    /// A rules file with no metric filter, no alarm and no `include` (or an EventBridge rules
    /// file with no rule).
    EmptyRules,
    /// An EventBridge rule that `PutRule` would refuse: a `Name` with a blank, no
    /// `EventPattern` nor `ScheduleExpression`, two rules of one name on one bus.
    InvalidEventRule,
    /// An EventBridge `EventPattern` that is not a JSON object (`["x"]`, `"{"`).
    InvalidEventPattern,
    /// An EventBridge target that `PutTargets` would refuse: six targets, two with one `Id`,
    /// both `Input` and `InputPath`.
    InvalidTarget,
}

impl RulesErrorKind {
    /// The stable kebab-case code.
    pub fn code(self) -> &'static str {
        match self {
            RulesErrorKind::Unreadable => "unreadable",
            RulesErrorKind::InvalidToml => "invalid-toml",
            RulesErrorKind::InvalidJson => "invalid-json",
            RulesErrorKind::UnknownMember => "unknown-member",
            RulesErrorKind::WrongType => "wrong-type",
            RulesErrorKind::MissingMember => "missing-member",
            RulesErrorKind::InvalidRules => "invalid-rules",
            RulesErrorKind::UnknownPack => "unknown-pack",
            RulesErrorKind::InvalidAlarm => "invalid-alarm",
            RulesErrorKind::InvalidMetricFilter => "invalid-metric-filter",
            RulesErrorKind::NoRules => "no-rules",
            RulesErrorKind::EmptyRules => "empty-rules",
            RulesErrorKind::InvalidEventRule => "invalid-event-rule",
            RulesErrorKind::InvalidEventPattern => "invalid-event-pattern",
            RulesErrorKind::InvalidTarget => "invalid-target",
        }
    }
}

/// Why a rules file cannot be used: what ([`RulesErrorKind`]), where, and the details.
/// `Display` renders `file:line:column: error[code]: message`, then a `  = note: …` line per
/// note, with the file's text (names, members) escaped for a terminal.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RulesError {
    /// Where (file, and line and column when known; line 0 for the file as a whole).
    pub location: SourceLocation,
    kind: RulesErrorKind,
    message: String,
    /// What may have led to it ([`RulesError::noting`]).
    notes: Vec<String>,
}

impl RulesError {
    /// An error of `kind` at `location`.
    pub fn new(kind: RulesErrorKind, location: SourceLocation, message: impl Into<String>) -> Self {
        RulesError {
            location,
            kind,
            message: message.into(),
            notes: Vec::new(),
        }
    }

    /// The error with `notes` said after it: what may have led to it (a Terraform variable no
    /// file read declares, say, which leaves an alarm's metric filter uncreated).
    pub fn noting(mut self, notes: impl IntoIterator<Item = String>) -> Self {
        self.notes.extend(notes);
        self
    }

    /// What is wrong.
    pub fn kind(&self) -> RulesErrorKind {
        self.kind
    }

    /// The stable kebab-case code of the kind: `invalid-toml`, `invalid-json`,
    /// `unknown-member`, `wrong-type`, `missing-member`, `invalid-rules`, `unknown-pack`,
    /// `invalid-alarm`, `invalid-metric-filter`, `no-rules`, `empty-rules`, `unreadable`,
    /// `invalid-event-rule`, `invalid-event-pattern`, `invalid-target`.
    pub fn code(&self) -> &'static str {
        self.kind.code()
    }

    /// What is wrong, as found (not escaped).
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for RulesError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let message = boundary::terminal_lines(&self.message);
        let location = if self.location.line == 0 {
            boundary::terminal(&self.location.file).into_owned()
        } else {
            boundary::terminal(&self.location.to_string()).into_owned()
        };
        write!(f, "{location}: error[{}]: {message}", self.code())?;
        for note in &self.notes {
            write!(f, "\n  = note: {}", boundary::terminal(note))?;
        }
        Ok(())
    }
}

impl std::error::Error for RulesError {}

/// A rules file's name (as locations give it) and text; an unreadable file is an
/// [`RulesErrorKind::Unreadable`] error.
pub(crate) fn read_rules_file(path: &std::path::Path) -> Result<(String, String), RulesError> {
    let file = path.display().to_string();
    match std::fs::read_to_string(path) {
        Ok(text) => Ok((file, text)),
        Err(e) => Err(RulesError::new(
            RulesErrorKind::Unreadable,
            SourceLocation {
                file,
                ..SourceLocation::default()
            },
            format!("cannot read the rules file: {e}"),
        )),
    }
}

/// A serde error of a rules file as a [`RulesError`] with its line and column.
pub(crate) fn json_error(
    e: &serde_json::Error,
    at: impl Fn(u32, u32) -> SourceLocation,
) -> RulesError {
    let full = e.to_string();
    let position = format!(" at line {} column {}", e.line(), e.column());
    let message = full.strip_suffix(&position).unwrap_or(&full).to_owned();
    let kind = match e.classify() {
        serde_json::error::Category::Data => {
            data_error_kind(&message).unwrap_or(RulesErrorKind::InvalidRules)
        }
        _ => RulesErrorKind::InvalidJson,
    };
    RulesError::new(
        kind,
        at(
            u32::try_from(e.line()).unwrap_or(u32::MAX),
            u32::try_from(e.column()).unwrap_or(u32::MAX),
        ),
        suggest(message),
    )
}

/// The kind of a data error by serde's wording (`unknown field`, `invalid type`,
/// `missing field`), or `None` for another.
pub(crate) fn data_error_kind(message: &str) -> Option<RulesErrorKind> {
    if message.starts_with("unknown field") {
        Some(RulesErrorKind::UnknownMember)
    } else if message.contains("invalid type") {
        Some(RulesErrorKind::WrongType)
    } else if message.starts_with("missing field") {
        Some(RulesErrorKind::MissingMember)
    } else if message.contains("invalid value") || message.contains("invalid length") {
        Some(RulesErrorKind::InvalidRules)
    } else {
        None
    }
}

/// serde's `unknown field `X`, expected one of `A`, `B`` as `unknown member `X`, …`, with
/// ` (did you mean `A`?)` when one of the expected names is X in another case or one or two
/// letters away.
pub(crate) fn suggest(message: String) -> String {
    let ticked: Vec<&str> = message.split('`').skip(1).step_by(2).collect();
    let (true, Some((unknown, expected))) =
        (message.starts_with("unknown field"), ticked.split_first())
    else {
        return message;
    };
    let close = expected
        .iter()
        .find(|k| k.eq_ignore_ascii_case(unknown))
        .or_else(|| expected.iter().find(|k| edit_distance(k, unknown) <= 2));
    let message = message.replacen("unknown field", "unknown member", 1);
    match close {
        Some(k) => format!("{message} (did you mean `{k}`?)"),
        None => message,
    }
}

/// Levenshtein distance, in characters (names are short).
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut previous = row.first().copied().unwrap_or(0);
        if let Some(first) = row.first_mut() {
            *first = i + 1;
        }
        for (j, cb) in b.iter().enumerate() {
            let (Some(&left), Some(&up)) = (row.get(j), row.get(j + 1)) else {
                break;
            };
            let value = (previous + usize::from(ca != *cb))
                .min(left + 1)
                .min(up + 1);
            previous = up;
            if let Some(cell) = row.get_mut(j + 1) {
                *cell = value;
            }
        }
    }
    row.last().copied().unwrap_or(0)
}

/// 1-based line and column (in characters) of a byte offset.
pub(crate) fn line_column(text: &str, offset: usize) -> (u32, u32) {
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let column = before
        .rsplit_once('\n')
        .map_or(before, |(_, last)| last)
        .chars()
        .count()
        + 1;
    (
        u32::try_from(line).unwrap_or(u32::MAX),
        u32::try_from(column).unwrap_or(u32::MAX),
    )
}

#[cfg(test)]
mod tests {
    use super::edit_distance;

    #[test]
    fn edit_distances() {
        assert_eq!(edit_distance("filterPatern", "filterPattern"), 1);
        assert_eq!(edit_distance("Statistc", "Statistic"), 1);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
    }
}
