//! [`RuleSet`]s from where users keep their rules: the CIS pack, rules files, and what the
//! template and Terraform readers found. The rules module knows nothing of the readers; this
//! module sits above both.

use crate::alarm::AlarmDef;
use crate::rules::{RuleSet, RulesError, RulesErrorKind, SourceLocation, looks_like_rules};

use super::{
    EVENT_RULES_FILE, FileKind, Found, Problem, discover_with, looks_like_event_rules,
    read_event_rules_of, read_texts, texts,
};
use crate::eventbridge::EventRuleSet;

impl RuleSet {
    /// The rules that templates, Terraform or rules files hold (read with
    /// [`iac`](crate::iac)): their metric filters, and their alarms as [`AlarmDef`]s, each
    /// validated as `PutMetricAlarm` would. An alarm that is not valid is an error naming its
    /// resource and location. The readers' [`problems`](Found::problems) are left
    /// to the caller.
    pub fn from_found(found: &Found) -> Result<RuleSet, RulesError> {
        let mut rules = RuleSet {
            metric_filters: found.filters.clone(),
            alarms: Vec::with_capacity(found.alarms.len()),
            event_rules: Vec::new(),
        };
        for alarm in &found.alarms {
            let invalid = |message: String| {
                RulesError::new(
                    RulesErrorKind::InvalidAlarm,
                    alarm.location.clone(),
                    format!("alarm {}: {message}", alarm.logical_name),
                )
            };
            let def: AlarmDef = serde_json::from_value(alarm.properties.clone())
                .map_err(|e| invalid(e.to_string()))?;
            def.validate()
                .map_err(|e| invalid(format!("{}: {} [{}]", e.field(), e.message(), e.code())))?;
            rules.alarms.push(def);
        }
        Ok(rules)
    }
}

/// `error` with what the readers of `path` could not resolve, which may be its cause (a filter
/// not created for want of a variable leaves its alarm without a metric name), and, for a
/// Terraform file named alone with something unresolved, that a module is its directory.
fn noting(error: RulesError, problems: &[Problem], path: &std::path::Path) -> RulesError {
    // One note per place (a resource's instances repeat its problems), the first few.
    const MOST: usize = 3;
    let mut places = std::collections::HashSet::new();
    let distinct: Vec<&Problem> = problems
        .iter()
        .filter(|p| places.insert((p.location.to_string(), p.code)))
        .collect();
    let more = distinct.len().saturating_sub(MOST);
    let said = distinct
        .iter()
        .take(MOST)
        .map(|p| format!("{}: warning[{}]: {}", p.location, p.code, p.message))
        .chain((more > 0).then(|| format!("and warnings at {more} more places")));
    let one_module_file = path.extension().is_some_and(|e| e == "tf")
        && problems.iter().any(|p| p.code == "unresolved-reference");
    let hint = one_module_file.then(|| {
        let dir = path
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(std::path::Path::new("."));
        format!(
            "a Terraform module is all the .tf files of its directory: name {} to read them \
             together",
            dir.display()
        )
    });
    error.noting(said.chain(hint))
}

impl RuleSet {
    /// The rules named by `specs`, in order: `cis` (the built-in pack, [`RuleSet::cis`]),
    /// `cis-eventbridge` (its EventBridge twin, [`EventRuleSet::cis`]), a rules file
    /// ([`RuleSet::load`]) or an EventBridge rules file ([`EventRuleSet::load`]) — their errors
    /// are errors —, or a CloudFormation template, a Terraform file or a directory of such files
    /// ([`iac`](crate::iac): their metric filters, alarms and EventBridge rules; what the readers
    /// could not resolve is returned as problems, and the rest is used). With no spec, the CIS
    /// pack.
    pub fn from_specs<S: AsRef<str>>(specs: &[S]) -> Result<(RuleSet, Vec<Problem>), RulesError> {
        if specs.is_empty() {
            return Ok((RuleSet::cis(), Vec::new()));
        }
        let mut rules = RuleSet::default();
        let mut problems = Vec::new();
        for spec in specs {
            let spec = spec.as_ref();
            if spec == "cis" {
                rules.extend(RuleSet::cis());
                continue;
            }
            if spec == "cis-eventbridge" {
                rules.event_rules.extend(EventRuleSet::cis().rules);
                continue;
            }
            let whole = SourceLocation {
                file: spec.to_owned(),
                ..SourceLocation::default()
            };
            let path = std::path::Path::new(spec);
            let (files, skipped) = discover_with(path, Default::default()).map_err(|e| {
                RulesError::new(
                    RulesErrorKind::Unreadable,
                    whole.clone(),
                    format!("cannot read rules from {spec}: {e}"),
                )
            })?;
            // One rules file (a `.toml`, or JSON with `metricFilters` or `MetricAlarms`, even
            // with a syntax error): its errors are errors, with their line and column.
            if let [(file, kind)] = files.as_slice() {
                let event_rules_file = matches!(kind, FileKind::Rules | FileKind::CloudFormation)
                    && std::fs::read_to_string(file).is_ok_and(|t| looks_like_event_rules(&t));
                if event_rules_file {
                    let set = EventRuleSet::load(file)?;
                    rules.event_rules.extend(set.rules);
                    problems.extend(skipped);
                    continue;
                }
                let rules_json = *kind == FileKind::CloudFormation
                    && std::fs::read_to_string(file).is_ok_and(|t| {
                        looks_like_rules(&t) || t.trim_start_matches('\u{feff}').trim().is_empty()
                    });
                if *kind == FileKind::Rules || rules_json {
                    rules.extend(RuleSet::load(file)?);
                    problems.extend(skipped);
                    continue;
                }
            }
            let texts = texts(&files, &[path.to_path_buf()]);
            let mut found = read_texts(&texts);
            // The EventBridge rules files among them are read as such, just below.
            found.problems.retain(|p| p.code != EVENT_RULES_FILE);
            let event_rules = read_event_rules_of(&texts);
            if found.filters.is_empty() && found.alarms.is_empty() && event_rules.rules.is_empty() {
                let what = if files.is_empty() {
                    "no rules file, CloudFormation template or Terraform file"
                } else {
                    "no metric filter, alarm or EventBridge rule"
                };
                return Err(RulesError::new(
                    RulesErrorKind::NoRules,
                    whole,
                    format!("{spec} holds {what}"),
                ));
            }
            let read = RuleSet::from_found(&found).map_err(|e| noting(e, &found.problems, path))?;
            rules.extend(read);
            rules
                .event_rules
                .extend(event_rules.rules.into_iter().map(|found| found.rule));
            problems.extend(found.problems);
            problems.extend(event_rules.problems);
            problems.extend(skipped);
        }
        Ok((rules, problems))
    }
}
