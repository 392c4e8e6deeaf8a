//! `cis-check`: does a set of metric filters with alarms cover each CIS AWS Foundations
//! monitoring control? Decided by [`trailmatch::analysis::coverage`].

use serde::Serialize;
use serde_json::Value as Json;

use trailmatch::Pattern;
pub use trailmatch::analysis::coverage::Status;
use trailmatch::analysis::coverage::{Verdict, decide_patterns};
use trailmatch::metric::MetricFilter;

use crate::cis::{CONTROLS, Control};
use crate::iac::Found;
use crate::rules::SourceLocation;

/// A filter named in a report.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FilterRef {
    /// `filterName`.
    pub name: String,
    /// Where its pattern is, as `path:line:column`.
    pub location: Option<String>,
}

/// The answer for one CIS control.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ControlReport {
    /// `5.1` … `5.15`.
    pub id: String,
    /// The control's title.
    pub title: String,
    /// Covered, not covered or undecided.
    pub status: Status,
    /// The filters with an alarm that match some event the control's pattern matches.
    pub filters: Vec<FilterRef>,
    /// For `not-covered`, an event the control's pattern matches and every filter misses.
    pub counterexample: Option<Json>,
    /// Why.
    pub reason: String,
}

/// Checks every CIS AWS Foundations monitoring control against the filters of `found` that
/// have an alarm on their metric (see [`Found::alarms_of`]).
///
/// Filters whose pattern or metric transformation is invalid are left out (`PutMetricFilter`
/// refuses them), and a control not covered says which were. A filter whose alarms see only
/// part of what it matches (a transformation with dimensions, whose alarm names one series of
/// their values, or a metric value read from a field, which an event without it leaves without
/// a datapoint) is beyond the procedure: a control the other filters do not cover is then
/// "undecided", naming it. When a reader could not read some filter or
/// alarm (a [`Problem`](crate::iac::Problem) marked `incomplete`), a
/// "not-covered" answer becomes "undecided": the missing rule might cover the control — unless
/// it is a filter whose metric is known and watched by no alarm (its
/// [`metric`](crate::iac::Problem::metric)), which cannot cover anything.
pub fn cis_check(found: &Found) -> Vec<ControlReport> {
    cis_check_controls(found, CONTROLS)
}

/// As [`cis_check`], for some controls.
pub fn cis_check_controls(found: &Found, controls: &[Control]) -> Vec<ControlReport> {
    let mut patterns = Vec::new();
    let mut refs = Vec::new();
    let mut names = Vec::new();
    // The alarmed filters left out, as the reason of a control not covered says them.
    let mut invalid = Vec::new();
    // The alarmed filters whose alarms see part of what they match.
    let mut partial = Vec::new();
    for (i, filter) in found.filters.iter().enumerate() {
        if found.alarms_of(i).is_empty() {
            continue;
        }
        let location = filter.location.as_ref().map(SourceLocation::to_string);
        let at = location
            .as_deref()
            .map_or_else(String::new, |l| format!("{l}: "));
        // What PutMetricFilter checks: the pattern, then the transformation (a unit, a
        // namespace, one of them). A filter it refuses covers nothing.
        let checked = Pattern::new(&filter.filter_pattern).and_then(|p| {
            MetricFilter::from_transformations(p.clone(), filter.metric_transformations.clone())
                .map(|_| p)
        });
        let read_from_events = filter
            .metric_transformations
            .iter()
            .any(|t| !t.dimensions.is_empty() || t.metric_value.trim_start().starts_with('$'));
        match checked {
            Ok(_) if read_from_events => {
                partial.push(format!("{at}metric filter {}", filter.filter_name));
            }
            Ok(p) => {
                patterns.push(p);
                names.push(filter.filter_name.clone());
                refs.push(FilterRef {
                    name: filter.filter_name.clone(),
                    location,
                });
            }
            Err(e) => invalid.push(format!(
                "{at}metric filter {}: {}",
                filter.filter_name,
                e.message()
            )),
        }
    }
    // A filter that could not be read counts only when an alarm might watch its metric: one
    // whose metric is known and has no alarm cannot cover a control.
    let unalarmed = |p: &crate::iac::Problem| {
        p.metric.as_ref().is_some_and(|(name, namespace)| {
            !found
                .alarms
                .iter()
                .any(|a| a.metric() == Some((name.as_str(), namespace.as_str())))
        })
    };
    let incomplete: Vec<String> = found
        .problems
        .iter()
        .filter(|p| p.incomplete && !unalarmed(p))
        .map(ToString::to_string)
        .collect();
    controls
        .iter()
        .map(|control| {
            let verdict = match Pattern::new(control.pattern) {
                Ok(reference) => decide_patterns(&reference, &patterns, &names),
                Err(e) => Verdict {
                    status: Status::Undecided,
                    counterexample: None,
                    reason: format!("the control's pattern is invalid: {}", e.message()),
                    relevant: Vec::new(),
                },
            };
            let mut report = ControlReport {
                id: control.id.to_owned(),
                title: control.title.to_owned(),
                status: verdict.status,
                filters: verdict
                    .relevant
                    .iter()
                    .filter_map(|&i| refs.get(i).cloned())
                    .collect(),
                counterexample: verdict.counterexample,
                reason: verdict.reason,
            };
            if report.status != Status::Covered && !invalid.is_empty() {
                report.reason = format!(
                    "{}; left out, as PutMetricFilter refuses them: {}",
                    report.reason,
                    invalid.join("; ")
                );
            }
            if report.status == Status::NotCovered && !partial.is_empty() {
                report.status = Status::Undecided;
                report.reason = format!(
                    "{}; beyond the procedure, and left out: filters whose alarms see only the \
                     events that give a value to a dimension or metric value read from the \
                     event (and, with dimensions, only the series of the values they name): {}",
                    report.reason,
                    partial.join("; ")
                );
            }
            if report.status == Status::NotCovered && !incomplete.is_empty() {
                report.status = Status::Undecided;
                report.reason = format!(
                    "{}; but some rules could not be read and might cover it: {}",
                    report.reason,
                    incomplete.join("; ")
                );
            }
            report
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cis::Control;

    use trailmatch::analysis::coverage::decide;

    fn cis(id: &str) -> &'static str {
        Control::find(id).unwrap().pattern
    }

    /// Checks a not-covered verdict's counter-example with the engine.
    fn assert_counterexample(reference: &str, filters: &[&str]) -> Json {
        let v = decide(reference, filters).unwrap();
        assert_eq!(v.status, Status::NotCovered, "{v:?}");
        let event = v.counterexample.unwrap();
        let text = event.to_string();
        assert!(Pattern::new(reference).unwrap().matches(&text), "{text}");
        for f in filters {
            assert!(
                !Pattern::new(f).unwrap().matches(&text),
                "{f} matches {text}"
            );
        }
        event
    }

    /// Issue 19, point 8: a filter whose pattern could not be resolved (`!ImportValue`) and
    /// whose metric has no alarm does not make every uncovered control "undecided"; one whose
    /// metric has an alarm still does.
    #[test]
    fn unresolved_filters_without_an_alarm_decide_nothing() {
        let template = |alarmed: &str| {
            format!(
                r#"Resources:
  Imported:
    Type: AWS::Logs::MetricFilter
    Properties:
      LogGroupName: trail
      FilterPattern: !ImportValue shared-pattern
      MetricTransformations:
        - MetricName: Imported
          MetricNamespace: CIS
          MetricValue: "1"
  Root:
    Type: AWS::Logs::MetricFilter
    Properties:
      LogGroupName: trail
      FilterPattern: '{{ $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS && $.eventType != "AwsServiceEvent" }}'
      MetricTransformations:
        - MetricName: Root
          MetricNamespace: CIS
          MetricValue: "1"
  RootAlarm:
    Type: AWS::CloudWatch::Alarm
    Properties:
      MetricName: {alarmed}
      Namespace: CIS
      Statistic: Sum
      Period: 300
      EvaluationPeriods: 1
      Threshold: 1
      ComparisonOperator: GreaterThanOrEqualToThreshold
"#
            )
        };
        let status = |text: &str, id: &str| {
            let found = crate::iac::read(crate::iac::FileKind::CloudFormation, "t.yaml", text);
            let filter_problem = found
                .problems
                .iter()
                .find(|p| p.incomplete && p.subject == crate::iac::Subject::Filter)
                .unwrap();
            assert_eq!(
                filter_problem.metric,
                Some(("Imported".to_owned(), "CIS".to_owned()))
            );
            cis_check(&found)
                .into_iter()
                .find(|r| r.id == id)
                .unwrap()
                .status
        };
        // Only Root has an alarm: 5.3 is covered, 5.5 not covered (the imported filter has no
        // alarm, so it cannot be what covers it).
        let root_only = template("Root");
        assert_eq!(status(&root_only, "5.3"), Status::Covered);
        assert_eq!(status(&root_only, "5.5"), Status::NotCovered);
        // The alarm watches the imported filter's metric: that filter might cover 5.5.
        let imported = template("Imported");
        assert_eq!(status(&imported, "5.5"), Status::Undecided);
    }

    #[test]
    fn respellings_of_every_control_cover_it() {
        for control in CONTROLS {
            // The canonical printer changes quoting, spacing and parentheses.
            let canonical = trailmatch::parse(control.pattern).unwrap().to_string();
            assert_ne!(canonical, control.pattern);
            let v = decide(control.pattern, &[&canonical]).unwrap();
            assert_eq!(v.status, Status::Covered, "{}: {v:?}", control.id);
            assert_eq!(v.relevant, [0]);
        }
    }

    #[test]
    fn reordered_disjunctions_and_split_filters_cover() {
        let reordered = r#"{ ($.eventName = "StopLogging") || ($.eventName = "DeleteTrail") || ($.eventName = "UpdateTrail") || ($.eventName = "StartLogging") || ($.eventName = "CreateTrail") }"#;
        assert_eq!(
            decide(cis("5.5"), &[reordered]).unwrap().status,
            Status::Covered
        );
        // Two filters that cover together, neither alone.
        let a = r#"{ $.eventName = CreateTrail || $.eventName = UpdateTrail || $.eventName = DeleteTrail }"#;
        let b = r#"{ $.eventName = StartLogging || $.eventName = StopLogging }"#;
        assert_eq!(decide(cis("5.5"), &[a, b]).unwrap().status, Status::Covered);
        let e = assert_counterexample(cis("5.5"), &[a]);
        let name = e["eventName"].as_str().unwrap();
        assert!(name == "StartLogging" || name == "StopLogging", "{e}");
        // A glob wider than the constants covers them.
        // Extra parentheses, `=` without blanks, quotes on some values only.
        let parens = r#"{ ((($.eventName="CreateTrail")) || ((($.eventName = UpdateTrail)))) || (($.eventName = "DeleteTrail") || ($.eventName=StartLogging)) || ((($.eventName = StopLogging))) }"#;
        assert_eq!(
            decide(cis("5.5"), &[parens]).unwrap().status,
            Status::Covered
        );
        let wide = r#"{ $.eventName = "*Trail" || $.eventName = "*Logging" }"#;
        assert_eq!(decide(cis("5.5"), &[wide]).unwrap().status, Status::Covered);
        // A `*` inside a value is a literal character, not a wildcard.
        let literal = r#"{ $.eventName = "*Trail" || $.eventName = "St*Logging" }"#;
        let e = assert_counterexample(cis("5.5"), &[literal]);
        assert!(e["eventName"].as_str().unwrap().ends_with("Logging"), "{e}");
    }

    #[test]
    fn narrower_filters_get_checked_counterexamples() {
        let e = assert_counterexample(
            cis("5.2"),
            &[
                r#"{ ($.eventName = "ConsoleLogin") && ($.additionalEventData.MFAUsed != "Yes") && ($.userIdentity.type != "AssumedRole") }"#,
            ],
        );
        // The smallest one: `!=` is false on a missing field, so an event without
        // userIdentity.type escapes the narrowed filter too.
        assert_eq!(
            e,
            serde_json::json!({"eventName": "ConsoleLogin", "additionalEventData": {"MFAUsed": "other"}})
        );
        // 5.1 reads `a || b && c && d`: the first glob alone is enough for the reference.
        let e = assert_counterexample(
            cis("5.1"),
            &[
                r#"{ ($.errorCode = "*UnauthorizedOperation" || $.errorCode = "AccessDenied*") && $.sourceIPAddress != "delivery.logs.amazonaws.com" && $.eventName != "HeadBucket" }"#,
            ],
        );
        assert!(
            e["errorCode"]
                .as_str()
                .unwrap()
                .ends_with("UnauthorizedOperation"),
            "{e}"
        );
        // A missing event name.
        let e = assert_counterexample(
            cis("5.4"),
            &[
                r#"{($.eventName=DeleteGroupPolicy)||($.eventName=DeleteRolePolicy)||($.eventName=DeleteUserPolicy)||($.eventName=PutGroupPolicy)||($.eventName=PutRolePolicy)||($.eventName=PutUserPolicy)||($.eventName=CreatePolicy)||($.eventName=DeletePolicy)||($.eventName=CreatePolicyVersion)||($.eventName=DeletePolicyVersion)||($.eventName=AttachRolePolicy)||($.eventName=DetachRolePolicy)||($.eventName=AttachUserPolicy)||($.eventName=DetachUserPolicy)||($.eventName=AttachGroupPolicy)}"#,
            ],
        );
        assert_eq!(e["eventName"], "DetachGroupPolicy");
        // No filter at all.
        let e = assert_counterexample(cis("5.3"), &[]);
        assert_eq!(e["userIdentity"]["type"], "Root");
    }

    #[test]
    fn not_exists_null_and_numbers() {
        // `!= x` is false on a missing field, so `!= x || NOT EXISTS` is wider.
        let root = cis("5.3");
        let wider = r#"{ $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS && ($.eventType != "AwsServiceEvent" || $.eventType NOT EXISTS) }"#;
        assert_eq!(decide(root, &[wider]).unwrap().status, Status::Covered);
        // The reverse is not: a root event without eventType.
        let e = assert_counterexample(wider, &[root]);
        assert!(e.get("eventType").is_none(), "{e}");
        // Numeric ranges split into intervals.
        assert_eq!(
            decide(
                "{ $.n >= 5 && $.n < 10 }",
                &["{ $.n > 4 && $.n <= 7 }", "{ $.n >= 7 }"]
            )
            .unwrap()
            .status,
            Status::Covered
        );
        let e = assert_counterexample("{ $.n >= 5 && $.n < 10 }", &["{ $.n > 5 }"]);
        assert_eq!(e["n"], 5);
        // A number literal matches a numeric string too (numeric_string_coercion).
        assert_eq!(
            decide("{ $.n = 5 }", &["{ $.n >= 5 && $.n <= 5 }"])
                .unwrap()
                .status,
            Status::Covered
        );
    }

    #[test]
    fn beyond_the_procedure_is_undecided_or_checked() {
        // A regex filter is opaque: its candidates are set aside, never proved.
        let v = decide(cis("5.5"), &["{ $.eventName = %Trail$|Logging$% }"]).unwrap();
        assert_eq!(v.status, Status::Undecided, "{v:?}");
        assert!(v.reason.contains("regex"), "{}", v.reason);
        // But a regex that misses a candidate gives a checked counter-example.
        let e = assert_counterexample(cis("5.5"), &["{ $.eventName = %Trail$% }"]);
        assert!(e["eventName"].as_str().unwrap().ends_with("Logging"));
        // Term patterns likewise.
        let v = decide(cis("5.5"), &["Trail", "Logging"]).unwrap();
        assert_eq!(v.status, Status::Undecided);
        // An empty filter pattern matches everything.
        assert_eq!(decide(cis("5.5"), &[""]).unwrap().status, Status::Covered);
    }
}
