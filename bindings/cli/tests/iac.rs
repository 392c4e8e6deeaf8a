//! `trailmatch lint` and `trailmatch cis-check` on CloudFormation templates, Terraform modules and
//! pattern lists, run as a user would.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::Value;
use trailmatch::Pattern;
use trailmatch_cloudtrail::cis::Control;
use trailmatch_cloudtrail::iac;

mod common;
use common::{Run, run_in};

const FIXTURES: &str = "tests/fixtures/iac";

fn run(args: &[&str]) -> Run {
    run_in(Path::new(env!("CARGO_MANIFEST_DIR")), args, None)
}

fn fixture(path: &str) -> String {
    format!("{FIXTURES}/{path}")
}

/// The character at a 1-based line and column (in characters) of a fixture.
fn char_at(path: &str, line: usize, column: usize) -> char {
    let text =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(fixture(path))).unwrap();
    text.lines()
        .nth(line - 1)
        .and_then(|l| l.chars().nth(column - 1))
        .unwrap()
}

/// The first line of each finding of a text report.
fn headlines(stdout: &str) -> Vec<&str> {
    stdout.lines().filter(|l| l.starts_with(FIXTURES)).collect()
}

#[test]
fn lint_points_at_the_invalid_pattern_in_a_terraform_heredoc() {
    let r = run(&["lint", &fixture("lint/main.tf")]);
    assert_eq!(r.status, 1, "{r:?}");
    let lines = headlines(&r.stdout);
    assert_eq!(
        lines,
        [
            "tests/fixtures/iac/lint/main.tf:11:25: error[unquoted-blank]: the value 'Failed authentication' contains blanks, so it must be double-quoted",
            "tests/fixtures/iac/lint/main.tf:25:34: warning[hyphenated-term]: the '-' inside 'request-id' starts an excluded term: this pattern looks for 'request' in events without 'id'",
            "tests/fixtures/iac/lint/main.tf:43:17: warning[unused-metric-value]: metricValue reads $.latency, which the pattern never mentions: matching events without it add no datapoint",
        ]
    );
    // The positions are those of the offending characters in the file.
    assert_eq!(char_at("lint/main.tf", 11, 25), 'F');
    assert_eq!(char_at("lint/main.tf", 25, 34), '-');
    // The rendered diagnostic shows the pattern as Terraform decodes it, with a caret.
    assert!(
        r.stdout.contains(
            " --> filterPattern:2:21\n  |\n2 |   ($.errorMessage = Failed authentication) }\n  |                     ^^^^^^^^^^^^^^^^^^^^^\n  = help: write \"Failed authentication\"\n"
        ),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.ends_with("1 error, 2 warnings in 1 file\n"),
        "{}",
        r.stdout
    );
}

#[test]
fn lint_points_at_the_invalid_pattern_in_a_yaml_block_scalar() {
    let r = run(&["lint", &fixture("lint/template.yaml")]);
    assert_eq!(r.status, 1, "{r:?}");
    let lines = headlines(&r.stdout);
    assert_eq!(lines.len(), 3, "{}", r.stdout);
    assert_eq!(
        lines[0],
        "tests/fixtures/iac/lint/template.yaml:14:28: error[regex-character]: Invalid character(s) in term '('"
    );
    assert_eq!(char_at("lint/template.yaml", 14, 28), '(');
    // In a double-quoted YAML string with escapes, the contradiction's first condition.
    assert!(
        lines[1].starts_with(
            "tests/fixtures/iac/lint/template.yaml:23:25: warning[never-true]: '$.errorCode = \"AccessDenied*\"' and '$.errorCode != \"AccessDenied*\"' can never be true together"
        ),
        "{}",
        lines[1]
    );
    assert_eq!(char_at("lint/template.yaml", 23, 25), '$');
    // The transformation's error is reported at the member's value (issue 19, point 10: it
    // was at the `- MetricName:` line).
    assert!(
        lines[2].starts_with("tests/fixtures/iac/lint/template.yaml:28:17: error[invalid-unit]:"),
        "{}",
        lines[2]
    );
    assert_eq!(char_at("lint/template.yaml", 28, 17), 'F');
}

#[test]
fn lint_json_and_github_formats() {
    let r = run(&["lint", "--format", "json", &fixture("lint")]);
    assert_eq!(r.status, 1, "{r:?}");
    let report: Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(report["files"], 3);
    assert_eq!(report["errors"], 3);
    assert_eq!(report["warnings"], 5);
    let first = &report["diagnostics"][0];
    assert_eq!(
        first,
        &serde_json::json!({
            "severity": "error",
            "code": "unquoted-blank",
            "message": "the value 'Failed authentication' contains blanks, so it must be double-quoted",
            "file": "tests/fixtures/iac/lint/main.tf",
            "line": 11,
            "column": 25,
            "filter": "ConsoleSigninFailures",
            "help": "write \"Failed authentication\"",
        })
    );
    let r = run(&["lint", "--format", "github", &fixture("lint/main.tf")]);
    assert_eq!(r.status, 1);
    let lines: Vec<&str> = r.stdout.lines().collect();
    assert_eq!(
        lines[0],
        "::error file=tests/fixtures/iac/lint/main.tf,line=11,col=25,title=trailmatch unquoted-blank::the value 'Failed authentication' contains blanks, so it must be double-quoted"
    );
    assert!(lines[1].starts_with("::warning file=tests/fixtures/iac/lint/main.tf,line=25,col=34,title=trailmatch hyphenated-term::"));
    assert_eq!(lines.len(), 3);
}

/// A finding about a metric transformation's member is placed at that member's value: a
/// namespace with `:` in Terraform, a dimension reading a field the pattern never mentions in
/// CloudFormation (both were placed at the transformation's start).
#[test]
fn transformation_findings_are_placed_at_the_member() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("main.tf"),
        "resource \"aws_cloudwatch_log_metric_filter\" \"f\" {\n  name = \"f\"\n  log_group_name = \"lg\"\n  pattern = \"{ $.a = 1 }\"\n  metric_transformation {\n    name      = \"A\"\n    namespace = \"N:x\"\n    value     = \"1\"\n  }\n}\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("t.yaml"),
        "Resources:\n  F:\n    Type: AWS::Logs::MetricFilter\n    Properties:\n      LogGroupName: lg\n      FilterPattern: '{ $.a = 1 }'\n      MetricTransformations:\n        - MetricName: A\n          MetricNamespace: N\n          MetricValue: '1'\n          Dimensions:\n            - {Key: K, Value: $.nope}\n",
    )
    .unwrap();
    let r = run_in(dir.path(), &["lint", "main.tf", "t.yaml"], None);
    let headlines: Vec<&str> = r
        .stdout
        .lines()
        .filter(|l| l.starts_with("main.tf") || l.starts_with("t.yaml"))
        .collect();
    assert_eq!(
        headlines,
        [
            "main.tf:7:17: error[invalid-metric-name]: metricNamespace must not contain ':'",
            "t.yaml:12:13: warning[unused-dimension]: dimension 'K' reads $.nope, which the pattern never mentions: matching events without it add no datapoint",
        ],
        "{}",
        r.stdout
    );
}

#[test]
fn lint_exit_statuses() {
    // Warnings only.
    let r = run(&["lint", &fixture("lint/patterns.txt")]);
    assert_eq!(r.status, 0, "{r:?}");
    assert_eq!(headlines(&r.stdout).len(), 2);
    // Valid templates and modules: unresolved alarm actions are not about patterns.
    for clean in ["cloudformation", "terraform/cis"] {
        let r = run(&["lint", &fixture(clean)]);
        assert_eq!(r.status, 0, "{clean}: {r:?}");
        assert!(
            r.stdout.starts_with("0 errors, 0 warnings in"),
            "{clean}: {}",
            r.stdout
        );
    }
    let r = run(&["lint", &fixture("missing.tf")]);
    assert_eq!(r.status, 2);
    assert!(
        r.stderr.contains("missing.tf: no such file or directory"),
        "{}",
        r.stderr
    );
    assert_eq!(run(&["lint"]).status, 2);
    assert_eq!(run(&["lint", "--format", "xml", "x.tf"]).status, 2);
}

/// `cis-check --format json` on a path: the report, and each control's object by id.
fn cis_check(path: &str) -> (Run, BTreeMap<String, Value>) {
    let r = run(&["cis-check", "--format", "json", &fixture(path)]);
    let report: Value = serde_json::from_str(&r.stdout).unwrap_or_else(|e| panic!("{e}: {r:?}"));
    let object = report.as_object().unwrap();
    assert_eq!(object.keys().collect::<Vec<_>>(), ["controls"]);
    let controls = report["controls"].as_array().unwrap();
    assert_eq!(controls.len(), 15);
    let mut by_id = BTreeMap::new();
    for c in controls {
        let keys: Vec<&String> = c.as_object().unwrap().keys().collect();
        assert_eq!(
            keys,
            [
                "counterexample",
                "filters",
                "id",
                "reason",
                "status",
                "title"
            ],
            "{c}"
        );
        by_id.insert(c["id"].as_str().unwrap().to_owned(), c.clone());
    }
    (r, by_id)
}

/// The patterns of the filters with an alarm under `path`, read as cis-check reads them.
fn alarmed_patterns(path: &str) -> Vec<Pattern> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join(fixture(path));
    let found = iac::read_all(&iac::discover(&root).unwrap());
    (0..found.filters.len())
        .filter(|&i| !found.alarms_of(i).is_empty())
        .map(|i| Pattern::new(&found.filters[i].filter_pattern).unwrap())
        .collect()
}

/// Checks with the engine that the control's pattern matches the counter-example and that
/// every filter with an alarm misses it.
fn check_counterexample(id: &str, control: &Value, filters: &[Pattern]) -> Value {
    assert_eq!(control["status"], "not-covered", "{control}");
    let event = control["counterexample"].to_string();
    let reference = Pattern::new(Control::find(id).unwrap().pattern).unwrap();
    assert!(reference.matches(&event), "{id}: {event}");
    for f in filters {
        assert!(!f.matches(&event), "{id}: {f} matches {event}");
    }
    control["counterexample"].clone()
}

#[test]
fn cis_check_reasons_on_a_terraform_module() {
    let (r, c) = cis_check("terraform/cis");
    assert_eq!(r.status, 1);
    let status = |id: &str| c[id]["status"].as_str().unwrap().to_owned();
    // Respelled: the && group written out (5.1), no blanks (5.3), another order in a heredoc
    // (5.4), || reversed (5.5), quoted values in another file of the module (5.10).
    for id in ["5.1", "5.3", "5.4", "5.5", "5.10"] {
        assert_eq!(status(id), "covered", "{id}: {}", c[id]);
        assert!(c[id]["counterexample"].is_null());
    }
    assert_eq!(c["5.10"]["filters"][0]["name"], "SecurityGroupChanges");
    assert_eq!(
        c["5.10"]["filters"][0]["location"],
        "tests/fixtures/iac/terraform/cis/network.tf:5:21"
    );
    let filters = alarmed_patterns("terraform/cis");
    assert_eq!(
        filters.len(),
        8,
        "7 alarmed controls and the security group filter"
    );
    // Narrowed with `&& ($.userIdentity.type != "AssumedRole")`.
    let narrowed = r#"{ ($.eventName = "ConsoleLogin") && ($.additionalEventData.MFAUsed != "Yes") && ($.userIdentity.type != "AssumedRole") }"#;
    assert!(filters.iter().any(|f| f.as_str() == narrowed));
    let e = check_counterexample("5.2", &c["5.2"], &filters);
    assert!(!Pattern::new(narrowed).unwrap().matches(&e.to_string()));
    assert_eq!(c["5.2"]["filters"][0]["name"], "NoMFAConsoleSignin");
    // A missing event name.
    let e = check_counterexample("5.8", &c["5.8"], &filters);
    assert_eq!(e["eventName"], "DeleteBucketReplication");
    // A metric filter without an alarm does not count.
    let e = check_counterexample("5.6", &c["5.6"], &filters);
    assert_eq!(e["errorMessage"], "Failed authentication");
    // A regex: undecided, and why.
    assert_eq!(status("5.7"), "undecided");
    assert!(
        c["5.7"]["reason"].as_str().unwrap().contains("regex"),
        "{}",
        c["5.7"]
    );
    // Controls with no filter at all.
    for id in ["5.9", "5.11", "5.12", "5.13", "5.14", "5.15"] {
        check_counterexample(id, &c[id], &filters);
    }
    // Unresolved alarm actions are reported, and do not change the answer.
    assert!(
        r.stderr.contains("warning[unresolved-reference]"),
        "{}",
        r.stderr
    );
}

#[test]
fn cis_check_reasons_on_cloudformation_templates() {
    let (r, c) = cis_check("cloudformation");
    assert_eq!(r.status, 1);
    let status = |id: &str| c[id]["status"].as_str().unwrap().to_owned();
    // The benchmark's own text (5.1), conditions swapped and folded (5.2), escaped quotes
    // (5.3), JSON with Fn::Sub variables and Fn::Join (5.6, 5.7, 5.8, 5.14), a block scalar
    // (5.9), other quoting and spacing (5.11, 5.12), and a wider pattern without the
    // eventSource condition (5.15).
    for id in [
        "5.1", "5.2", "5.3", "5.6", "5.7", "5.8", "5.9", "5.11", "5.12", "5.14", "5.15",
    ] {
        assert_eq!(status(id), "covered", "{id}: {}", c[id]);
    }
    assert_eq!(
        c["5.8"]["filters"][0]["name"],
        "S3BucketPolicyChangesMetricFilter"
    );
    let filters = alarmed_patterns("cloudformation");
    // 5.13 has a metric filter but no alarm.
    let e = check_counterexample("5.13", &c["5.13"], &filters);
    assert_eq!(e["eventName"], "CreateRoute");
    for id in ["5.4", "5.5"] {
        check_counterexample(id, &c[id], &filters);
    }
    // A term pattern: undecided.
    assert_eq!(status("5.10"), "undecided");
    assert!(
        c["5.10"]["reason"]
            .as_str()
            .unwrap()
            .contains("term pattern")
    );
}

#[test]
fn cis_check_text_output_and_controls() {
    let r = run(&["cis-check", "--control", "5.2", &fixture("terraform/cis")]);
    assert_eq!(r.status, 1);
    let lines: Vec<&str> = r.stdout.lines().collect();
    assert_eq!(
        lines[0],
        "5.2   not-covered  Ensure management console sign-in without MFA is monitored"
    );
    assert_eq!(
        lines[1],
        "      filter: NoMFAConsoleSignin (tests/fixtures/iac/terraform/cis/main.tf:14:22)"
    );
    assert!(
        lines[2].starts_with("      counter-example: {"),
        "{}",
        lines[2]
    );
    let r = run(&[
        "cis-check",
        "--control",
        "root_usage",
        "--control",
        "5.4",
        &fixture("terraform/cis"),
    ]);
    assert_eq!(r.status, 0, "{r:?}");
    assert!(r.stdout.starts_with("5.3   covered"), "{}", r.stdout);
    // Named twice, by its number and its key: checked once.
    let r = run(&[
        "cis-check",
        "--control",
        "5.3",
        "--control",
        "root_usage",
        &fixture("terraform/cis"),
    ]);
    assert_eq!(r.stdout.matches("5.3   covered").count(), 1, "{}", r.stdout);
    let r = run(&["cis-check", "--control", "9.9", &fixture("terraform/cis")]);
    assert_eq!(r.status, 2);
    assert!(r.stderr.contains("no CIS control '9.9'"));
}

/// `lint` validates the event patterns of EventBridge rules as `PutRule` does, at the file's line
/// and column of the offending value: in YAML, in a quoted JSON string and in Terraform's
/// `jsonencode`; valid rules (and a heredoc pattern) give nothing.
#[test]
fn lint_points_at_invalid_event_patterns() {
    let r = run(&["lint", &fixture("eventbridge")]);
    assert_eq!(r.status, 1, "{r:?}");
    assert_eq!(
        headlines(&r.stdout),
        [
            "tests/fixtures/iac/eventbridge/rules.yaml:10:19: error[event-pattern-structure]: Event pattern is not valid. Reason: \"type\" must be an object or an array",
            "tests/fixtures/iac/eventbridge/rules.yaml:18:58: error[event-pattern-operator]: Event pattern is not valid. Reason: Value of > must be numeric",
            "tests/fixtures/iac/eventbridge/tf/main.tf:5:41: error[event-pattern-structure]: Event pattern is not valid. Reason: \"type\" must be an object or an array",
        ]
    );
    assert_eq!(char_at("eventbridge/rules.yaml", 10, 19), 'R');
    assert_eq!(char_at("eventbridge/rules.yaml", 18, 58), '"');
    assert_eq!(char_at("eventbridge/tf/main.tf", 5, 41), 'R');
    assert!(
        r.stdout.ends_with("3 errors, 0 warnings in 2 files\n"),
        "{}",
        r.stdout
    );
    // The JSON report names the rule.
    let json = run(&[
        "lint",
        "--format",
        "json",
        &fixture("eventbridge/rules.yaml"),
    ]);
    let report: Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(report["diagnostics"][0]["filter"], "root-usage");
}

/// What a directory holds is read or reported, never dropped unsaid: a template that is not
/// UTF-8 is unreadable, a `.tf.json` file is reported as not read, and a YAML file that only
/// mentions `Resources` (a CI workflow) is one warning, not also an error.
#[test]
fn lint_reports_every_file_of_a_directory_it_cannot_read() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::write(
        root.join("latin.yaml"),
        b"Description: caf\xe9\nResources:\n  F: {Type: AWS::Logs::MetricFilter}\n",
    )
    .unwrap();
    std::fs::write(
        root.join("main.tf.json"),
        r#"{"resource": {"aws_cloudwatch_log_metric_filter": {"f": {"pattern": "{ $.a = b c }"}}}}"#,
    )
    .unwrap();
    std::fs::write(
        root.join("workflow.yml"),
        "# Resources: see docs/\nname: ci\n",
    )
    .unwrap();
    let r = run_in(root, &["lint", "."], None);
    assert_eq!(r.status, 1, "{r:?}");
    let lines: Vec<&str> = r.stdout.lines().filter(|l| l.starts_with("./")).collect();
    assert_eq!(
        lines,
        [
            "./latin.yaml:1:1: error[unreadable]: the file is not UTF-8",
            "./main.tf.json:1:1: warning[unsupported-file]: Terraform's JSON syntax (.tf.json) is not read: the metric filters and alarms it may hold are not checked",
            "./workflow.yml:2:1: warning[not-a-template]: not a CloudFormation template: no Resources section",
        ],
        "{}",
        r.stdout
    );
    // What was not read may cover a control: cis-check cannot say it is not covered.
    let r = run_in(
        root,
        &["cis-check", "main.tf.json", "--control", "5.3"],
        None,
    );
    assert!(r.stdout.contains("undecided"), "{r:?}");
}

/// An alarmed filter whose pattern `PutMetricFilter` refuses covers nothing, and a control it
/// would have covered says so; an alarm on other dimensions than the filter publishes watches
/// another series.
#[test]
fn cis_check_names_invalid_patterns_and_other_dimensions() {
    let dir = tempfile::tempdir().unwrap();
    // The filter's pattern, more members of its transformation, more properties of its alarm.
    let template = |pattern: &str, transformation: &str, alarm: &str| {
        format!(
            "Resources:\n  RootFilter:\n    Type: AWS::Logs::MetricFilter\n    Properties:\n      LogGroupName: trail\n      FilterPattern: '{pattern}'\n      MetricTransformations: [{{MetricName: RootUsage, MetricNamespace: CIS, {transformation}}}]\n  RootAlarm:\n    Type: AWS::CloudWatch::Alarm\n    Properties: {{MetricName: RootUsage, Namespace: CIS, {alarm}Statistic: Sum, Period: 300, EvaluationPeriods: 1, Threshold: 1, ComparisonOperator: GreaterThanOrEqualToThreshold}}\n"
        )
    };
    let root = r#"{ $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS && $.eventType != "AwsServiceEvent" }"#;
    let one = "MetricValue: \"1\"";
    let by_account =
        "MetricValue: \"1\", Dimensions: [{Key: Account, Value: $.recipientAccountId}]";
    let cases = [
        ("ok.yaml", template(root, one, ""), "covered ", None),
        (
            "dims.yaml",
            template(root, one, "Dimensions: [{Name: Env, Value: prod}], "),
            "not-covered",
            Some("no metric filter with an alarm"),
        ),
        // An alarm on another unit evaluates none of the filter's datapoints.
        (
            "unit.yaml",
            template(root, &format!("{one}, Unit: Count"), "Unit: Seconds, "),
            "not-covered",
            Some("no metric filter with an alarm"),
        ),
        // A unit not resolved: the alarm may watch another; not covered, undecided.
        (
            "unit-unknown.yaml",
            format!(
                "Parameters:\n  AlarmUnit: {{Type: String}}\n{}",
                template(
                    root,
                    &format!("{one}, Unit: Count"),
                    "Unit: !Ref AlarmUnit, "
                )
            ),
            "undecided",
            Some("alarm RootAlarm: Unit: parameter AlarmUnit has no Default"),
        ),
        (
            "same-unit.yaml",
            template(root, &format!("{one}, Unit: Count"), "Unit: Count, "),
            "covered ",
            None,
        ),
        (
            "invalid.yaml",
            template(
                "{ $.userIdentity.type = Root && $.b = Failed auth }",
                one,
                "",
            ),
            "not-covered",
            Some(
                "left out, as PutMetricFilter refuses them: invalid.yaml:6:23: metric filter RootFilter: the value 'Failed auth' contains blanks",
            ),
        ),
        // A transformation PutMetricFilter refuses: no filter is created.
        (
            "furlongs.yaml",
            template(root, &format!("{one}, Unit: Furlongs"), ""),
            "not-covered",
            Some(
                "left out, as PutMetricFilter refuses them: furlongs.yaml:6:23: metric filter RootFilter: 1 validation error detected: Value 'Furlongs' at 'metricTransformations.1.member.unit'",
            ),
        ),
        // The alarm watches one account's series; a metric value read from the event: only
        // the events that have it. Beyond the procedure.
        (
            "series.yaml",
            template(
                root,
                by_account,
                "Dimensions: [{Name: Account, Value: \"111122223333\"}], ",
            ),
            "undecided",
            Some(
                "beyond the procedure, and left out: filters whose alarms see only the events that give a value to a dimension or metric value read from the event (and, with dimensions, only the series of the values they name): series.yaml:6:23: metric filter RootFilter",
            ),
        ),
        // An invalid pattern is refused before anything else is considered.
        (
            "invalid-series.yaml",
            template(
                "{ $.userIdentity.type = Root && $.b = Failed auth }",
                by_account,
                "Dimensions: [{Name: Account, Value: \"111122223333\"}], ",
            ),
            "not-covered",
            Some("left out, as PutMetricFilter refuses them: invalid-series.yaml:6:23"),
        ),
        (
            "value.yaml",
            template(root, "MetricValue: $.requestParameters.count", ""),
            "undecided",
            Some("value.yaml:6:23: metric filter RootFilter"),
        ),
    ];
    for (name, text, status, reason) in cases {
        std::fs::write(dir.path().join(name), text).unwrap();
        let r = run_in(dir.path(), &["cis-check", name, "--control", "5.3"], None);
        let said = format!("5.3   {status}");
        assert!(r.stdout.starts_with(&said), "{name}: {r:?}");
        if let Some(reason) = reason {
            assert!(r.stdout.contains(reason), "{name}: {}", r.stdout);
        }
    }
}

/// Terraform's own values files set a module's variables: `terraform.tfvars` and
/// `*.auto.tfvars` when the directory is walked, another `.tfvars` only when named (as `-var-file`
/// names it), after them. What a value holds is checked and located in its own file.
#[test]
fn values_files_set_a_modules_variables() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::write(
        root.join("main.tf"),
        "variable \"pattern\" {}\nvariable \"namespace\" {\n  default = \"Other\"\n}\nresource \"aws_cloudwatch_log_metric_filter\" \"root\" {\n  name           = \"root\"\n  log_group_name = \"trail\"\n  pattern        = var.pattern\n  metric_transformation {\n    name      = \"RootUsage\"\n    namespace = var.namespace\n    value     = \"1\"\n  }\n}\nresource \"aws_cloudwatch_metric_alarm\" \"root\" {\n  alarm_name          = \"root\"\n  metric_name         = \"RootUsage\"\n  namespace           = \"CIS\"\n  statistic           = \"Sum\"\n  period              = 300\n  evaluation_periods  = 1\n  threshold           = 1\n  comparison_operator = \"GreaterThanOrEqualToThreshold\"\n}\n",
    )
    .unwrap();
    let root_pattern = r#"{ $.userIdentity.type = \"Root\" && $.userIdentity.invokedBy NOT EXISTS && $.eventType != \"AwsServiceEvent\" }"#;
    let values = [
        (
            "terraform.tfvars",
            format!("pattern = \"{root_pattern}\"\n"),
        ),
        ("cis.auto.tfvars.json", "{\"namespace\": \"CIS\"}\n".into()),
        // Terraform's names are compared case and all: this one is not loaded.
        ("X.AUTO.TFVARS", "namespace = \"Other\"\n".into()),
        (
            "broken.tfvars",
            "pattern = \"{ $.userIdentity.type = Root && $.b = Failed auth }\"\n".into(),
        ),
    ];
    for (name, text) in values {
        std::fs::write(root.join(name), text).unwrap();
    }
    // The directory: the loaded files give the pattern and the alarm's namespace.
    let r = run_in(root, &["lint", "."], None);
    assert_eq!(r.status, 0, "{r:?}");
    assert!(
        r.stdout.ends_with("0 errors, 0 warnings in 3 files\n"),
        "{r:?}"
    );
    let r = run_in(root, &["cis-check", ".", "--control", "5.3"], None);
    assert!(r.stdout.contains("covered "), "{r:?}");
    // Named, broken.tfvars comes last: its value is the pattern, and is located there.
    let r = run_in(root, &["lint", ".", "broken.tfvars"], None);
    assert_eq!(r.status, 1, "{r:?}");
    assert!(
        r.stdout
            .starts_with("broken.tfvars:1:50: error[unquoted-blank]"),
        "{}",
        r.stdout
    );
    // Named files come after the loaded ones, in the order given, from wherever they are.
    std::fs::create_dir(root.join("envs")).unwrap();
    std::fs::write(
        root.join("envs/terraform.tfvars"),
        format!("pattern = \"{root_pattern}\"\n"),
    )
    .unwrap();
    let r = run_in(
        root,
        &["lint", ".", "broken.tfvars", "envs/terraform.tfvars"],
        None,
    );
    assert_eq!(r.status, 0, "{r:?}");
    let r = run_in(
        root,
        &["lint", "main.tf", "envs/terraform.tfvars", "broken.tfvars"],
        None,
    );
    assert_eq!(r.status, 1, "{r:?}");
    // One directory's files however they are named make one module, and a value found wrong
    // in two modules is said once.
    let filter = "resource \"aws_cloudwatch_log_metric_filter\" \"f\" {\n  name = \"f\"\n  log_group_name = \"g\"\n  pattern = var.p\n  metric_transformation {\n    name = \"m\"\n    namespace = \"n\"\n    value = \"1\"\n  }\n}\n";
    for dir in ["a", "b", "c", "o"] {
        std::fs::create_dir(root.join(dir)).unwrap();
        let named = filter.replace("name = \"f\"", &format!("name = \"{dir}\""));
        std::fs::write(root.join(dir).join("main.tf"), named).unwrap();
        std::fs::write(root.join(dir).join("vars.tf"), "variable \"p\" {}\n").unwrap();
    }
    std::fs::write(root.join("bad.tfvars"), "p = \"{ $.a = 1 \"\n").unwrap();
    let absolute = root.join("a/vars.tf").display().to_string();
    let r = run_in(
        root,
        &["lint", "a/main.tf", &absolute, "b", "bad.tfvars"],
        None,
    );
    let lines: Vec<&str> = r.stdout.lines().filter(|l| l.contains("error[")).collect();
    assert_eq!(
        lines,
        [
            "bad.tfvars:1:6: error[unclosed-brace]: If a filter pattern starts with '{' it must end with '}'"
        ],
        "{r:?}"
    );
    assert!(
        r.stdout.ends_with("1 error, 0 warnings in 5 files\n"),
        "{r:?}"
    );
    // A values file linked into a module is the module's own; a named file is read where it
    // is named, whether a walk also meets it or not (`-var-file` order: the last one wins).
    std::os::unix::fs::symlink("../bad.tfvars", root.join("c/terraform.tfvars")).unwrap();
    let r = run_in(root, &["lint", "-L", "c"], None);
    assert!(
        r.stdout
            .starts_with("c/terraform.tfvars:1:6: error[unclosed-brace]"),
        "{r:?}"
    );
    std::fs::write(root.join("o/z.auto.tfvars"), "p = \"{ $.a = 1 \"\n").unwrap();
    std::fs::write(root.join("good.tfvars"), "p = \"ERROR\"\n").unwrap();
    for args in [
        ["o/z.auto.tfvars", "good.tfvars", "o"],
        ["o", "o/z.auto.tfvars", "good.tfvars"],
        ["./o/z.auto.tfvars", "good.tfvars", "o"],
    ] {
        let r = run_in(root, &[&["lint"][..], &args].concat(), None);
        assert!(
            r.stdout.ends_with("0 errors, 0 warnings in 4 files\n"),
            "{args:?}: {r:?}"
        );
    }
    // Without its values files the module's pattern is not in the configuration.
    std::fs::remove_file(root.join("envs/terraform.tfvars")).unwrap();
    std::fs::remove_file(root.join("terraform.tfvars")).unwrap();
    let r = run_in(root, &["cis-check", ".", "--control", "5.3"], None);
    assert!(r.stdout.contains("undecided"), "{r:?}");
}

/// A `module` call with a local source is read as Terraform plans the root: the called module
/// with the call's arguments (a pattern it is given is checked and located where the caller
/// wrote it), not on its own with its defaults; a module outside the paths walked is read from
/// disk, and counted.
#[test]
fn module_calls_are_followed() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    for sub in ["envs/prod", "modules/cis"] {
        std::fs::create_dir_all(root.join(sub)).unwrap();
    }
    std::fs::write(
        root.join("modules/cis/main.tf"),
        "variable \"pattern\" {}\nresource \"aws_cloudwatch_log_metric_filter\" \"f\" {\n  name           = \"f\"\n  log_group_name = \"trail\"\n  pattern        = var.pattern\n  metric_transformation {\n    name      = \"m\"\n    namespace = \"CIS\"\n    value     = \"1\"\n  }\n}\n",
    )
    .unwrap();
    // Terraform reads a called module's values files never: this one would hide the call's.
    std::fs::write(
        root.join("modules/cis/terraform.tfvars"),
        "pattern = \"{ $.a = 1 }\"\n",
    )
    .unwrap();
    std::fs::write(
        root.join("envs/prod/main.tf"),
        "module \"cis\" {\n  source  = \"../../modules/cis\"\n  pattern = \"{ $.errorMessage = Failed auth }\"\n}\n",
    )
    .unwrap();
    let expected = "envs/prod/main.tf:3:33: error[unquoted-blank]";
    for (args, files) in [(&["lint", "."][..], 3), (&["lint", "envs/prod"][..], 2)] {
        let r = run_in(root, args, None);
        assert_eq!(r.status, 1, "{r:?}");
        let first = r.stdout.lines().next().unwrap_or_default();
        assert!(first.contains(expected), "{args:?}: {}", r.stdout);
        assert_eq!(r.stdout.matches("error[").count(), 1, "{}", r.stdout);
        assert!(!r.stdout.contains("no default"), "{}", r.stdout);
        assert!(
            r.stdout
                .ends_with(&format!("1 error, 0 warnings in {files} files\n")),
            "{args:?}: {}",
            r.stdout
        );
    }
    // Naming some files of the called module reads it whole all the same, as Terraform does;
    // a file Terraform ignores (hidden) is not read.
    std::fs::write(
        root.join("modules/cis/.backup.tf"),
        "resource \"aws_cloudwatch_log_metric_filter\" \"old\" {\n  name = \"old\"\n  log_group_name = \"t\"\n  pattern = \"{ $.a = x y }\"\n  metric_transformation {\n    name = \"m\"\n    namespace = \"n\"\n    value = \"1\"\n  }\n}\n",
    )
    .unwrap();
    std::fs::write(
        root.join("modules/cis/variables.tf"),
        "variable \"unused\" {\n  default = 1\n}\n",
    )
    .unwrap();
    let r = run_in(
        root,
        &["lint", "envs/prod", "modules/cis/variables.tf"],
        None,
    );
    assert_eq!(r.status, 1, "{r:?}");
    assert!(r.stdout.contains(expected), "{}", r.stdout);
    assert_eq!(r.stdout.matches("error[").count(), 1, "{}", r.stdout);
    // Two roots calling one module: its files are counted once, named as the paths join.
    std::fs::create_dir_all(root.join("envs/dev")).unwrap();
    std::fs::copy(
        root.join("envs/prod/main.tf"),
        root.join("envs/dev/main.tf"),
    )
    .unwrap();
    let r = run_in(root, &["lint", "envs"], None);
    assert_eq!(r.stdout.matches("error[").count(), 2, "{}", r.stdout);
    assert!(r.stdout.ends_with("in 4 files\n"), "{}", r.stdout);
    let r = run_in(root, &["lint", "--format", "json", "envs"], None);
    assert!(!r.stdout.contains("../"), "{}", r.stdout);
    std::fs::remove_dir_all(root.join("envs/dev")).unwrap();
    // A ring of modules calling each other, with no root: the module below it is read through
    // it, not on its own with its defaults.
    for (dir, text) in [
        ("ring/a", "module \"b\" {\n  source = \"../b\"\n}\n"),
        (
            "ring/b",
            "module \"a\" {\n  source = \"../a\"\n}\nmodule \"cis\" {\n  source  = \"../../modules/cis\"\n  pattern = \"{ $.a = 1 }\"\n}\n",
        ),
    ] {
        std::fs::create_dir_all(root.join(dir)).unwrap();
        std::fs::write(root.join(dir).join("main.tf"), text).unwrap();
    }
    let values = root.join("modules/cis/terraform.tfvars");
    std::fs::rename(&values, root.join("values")).unwrap();
    for order in [["ring", "modules"], ["modules", "ring"]] {
        let r = run_in(root, &["lint", order[0], order[1]], None);
        assert!(!r.stdout.contains("no default"), "{order:?}: {}", r.stdout);
        assert!(
            r.stdout.contains("warning[module-not-read]"),
            "{}",
            r.stdout
        );
    }
    std::fs::rename(root.join("values"), &values).unwrap();
    std::fs::remove_dir_all(root.join("ring")).unwrap();
    std::fs::remove_file(root.join("modules/cis/variables.tf")).unwrap();
    // A called module with Terraform's JSON syntax: said not read, and its arguments are not
    // judged by the variables of its other files alone.
    std::fs::write(
        root.join("modules/cis/extra.tf.json"),
        "{\"variable\": {\"extra\": {}}}",
    )
    .unwrap();
    std::fs::write(
        root.join("envs/prod/main.tf"),
        "module \"cis\" {\n  source  = \"../../modules/cis\"\n  pattern = \"{ $.a = 1 }\"\n  extra   = 1\n}\n",
    )
    .unwrap();
    let r = run_in(root, &["lint", "envs/prod"], None);
    assert_eq!(r.status, 0, "{r:?}");
    assert!(
        r.stdout
            .contains("extra.tf.json:1:1: warning[unsupported-file]"),
        "{}",
        r.stdout
    );
    // Walked too, it is said once, by the name the walk met it by.
    let r = run_in(root, &["lint", "."], None);
    assert_eq!(
        r.stdout.matches("unsupported-file").count(),
        1,
        "{}",
        r.stdout
    );
    std::fs::remove_file(root.join("modules/cis/extra.tf.json")).unwrap();
    // A values file of a root: a name no variable has is said when the whole directory is
    // read, not when files are named one by one (the declaration may be in another).
    std::fs::write(&values, "pattern = \"{ $.a = 1 }\"\npatern = 1\n").unwrap();
    let r = run_in(root, &["lint", "modules/cis"], None);
    assert!(
        r.stdout
            .contains("modules/cis/terraform.tfvars:2:1: warning[undeclared-variable]"),
        "{}",
        r.stdout
    );
    std::fs::write(root.join("modules/cis/more.tf"), "variable \"patern\" {}\n").unwrap();
    let named = [
        "lint",
        "modules/cis/main.tf",
        "modules/cis/terraform.tfvars",
    ];
    let r = run_in(root, &named, None);
    assert!(!r.stdout.contains("undeclared-variable"), "{}", r.stdout);
    std::fs::remove_file(root.join("modules/cis/more.tf")).unwrap();
    std::fs::write(&values, "pattern = \"{ $.a = 1 }\"\n").unwrap();
    // On its own, the module is a root: its values file gives the pattern.
    let r = run_in(root, &["lint", "modules/cis"], None);
    assert_eq!(r.status, 0, "{r:?}");
    // An argument the module declares no variable for: Terraform refuses the call.
    std::fs::write(
        root.join("envs/prod/main.tf"),
        "module \"cis\" {\n  source  = \"../../modules/cis\"\n  pattern = \"{ $.a = 1 }\"\n  patern  = \"{ $.a = 2 }\"\n}\n",
    )
    .unwrap();
    let r = run_in(root, &["lint", "envs/prod"], None);
    assert_eq!(r.status, 1, "{r:?}");
    assert!(
        r.stdout
            .contains("envs/prod/main.tf:4:3: error[unknown-argument]: module.cis: the module declares no variable \"patern\""),
        "{r:?}"
    );
    // A source to download from is said, not followed.
    std::fs::write(
        root.join("envs/prod/main.tf"),
        "module \"cis\" {\n  source  = \"terraform-aws-modules/cloudwatch/aws//modules/log-metric-filter\"\n}\n",
    )
    .unwrap();
    let r = run_in(root, &["lint", "envs/prod"], None);
    assert!(r.stdout.contains("module-not-read"), "{r:?}");
}
