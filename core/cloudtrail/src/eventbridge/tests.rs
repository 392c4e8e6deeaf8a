//! The envelope over the CloudTrail corpus (`tests/corpus/cloudtrail`), field by field, and
//! over generated records: `detail` is the record's text, byte for byte.

use std::collections::BTreeMap;
use std::path::Path;

use proptest::prelude::*;
use serde_json::Value;
use uuid::Uuid;

use super::envelope::{self, ID_NAMESPACE};
use super::*;

/// Every record of the corpus, as `(file:line, text)`.
fn corpus() -> Vec<(String, String)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/corpus/cloudtrail");
    let mut paths: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "jsonl"))
        .collect();
    paths.sort();
    let mut out = Vec::new();
    for path in paths {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let text = std::fs::read_to_string(&path).unwrap();
        for (n, line) in text.lines().enumerate() {
            if !line.trim().is_empty() {
                out.push((format!("{name}:{}", n + 1), line.to_owned()));
            }
        }
    }
    out
}

/// The `detail-type` of each `eventType`, as the EventBridge User Guide lists them.
fn expected_detail_type(record: &Value) -> Option<&'static str> {
    if record["eventName"] == "ConsoleLogin" {
        return Some("AWS Console Sign In via CloudTrail");
    }
    Some(match record.get("eventType")?.as_str()? {
        "AwsApiCall" => "AWS API Call via CloudTrail",
        "AwsConsoleSignIn" => "AWS Console Sign In via CloudTrail",
        "AwsConsoleAction" => "AWS Console Action via CloudTrail",
        "AwsServiceEvent" => "AWS Service Event via CloudTrail",
        "AwsCloudTrailInsight" => "AWS Insight via CloudTrail",
        "AwsVpceEvent" => "AWS Network Activity Event via CloudTrail",
        _ => return None,
    })
}

/// Whether a record has everything an envelope is made of.
fn complete(record: &Value) -> bool {
    let text = |k: &str| record.get(k).and_then(Value::as_str);
    ["eventID", "recipientAccountId", "eventTime", "awsRegion"]
        .iter()
        .all(|k| text(k).is_some())
        && (expected_detail_type(record) == Some("AWS Insight via CloudTrail")
            || text("eventSource").is_some_and(|s| {
                s.strip_suffix(".amazonaws.com")
                    .is_some_and(|p| !p.is_empty())
            }))
        && expected_detail_type(record).is_some()
}

#[test]
fn corpus_records_wrap_field_by_field() {
    let records = corpus();
    assert!(
        records.len() > 1000,
        "the corpus is missing: {}",
        records.len()
    );
    let mut failures = Vec::new();
    let mut wrapped = 0;
    let mut detail_types = BTreeMap::new();
    for (label, text) in &records {
        let record: Value = serde_json::from_str(text).unwrap();
        let result = wrap(text);
        let event = match (result, complete(&record)) {
            (Ok(event), true) => event,
            (Err(e), false) => {
                // The field the error names is indeed missing or unusable.
                let field = e.field();
                let value = record.get(field);
                let usable = value.and_then(Value::as_str).is_some()
                    && e.kind() != EnvelopeErrorKind::UnknownEventSource
                    && e.kind() != EnvelopeErrorKind::UnknownEventType;
                if field.is_empty() || usable {
                    failures.push(format!("{label}: error names a usable field: {e}"));
                }
                continue;
            }
            (Ok(_), false) => {
                failures.push(format!("{label}: wrapped an incomplete record"));
                continue;
            }
            (Err(e), true) => {
                failures.push(format!("{label}: {e}"));
                continue;
            }
        };
        wrapped += 1;
        let got: Value = serde_json::from_str(&event).unwrap();
        let mut check = |what: &str, ok: bool| {
            if !ok {
                failures.push(format!("{label}: {what}: {event}"));
            }
        };
        let keys: Vec<&str> = got
            .as_object()
            .map(|m| m.keys().map(String::as_str).collect())
            .unwrap_or_default();
        check("members", {
            let mut expected = vec![
                "account",
                "detail",
                "detail-type",
                "id",
                "region",
                "resources",
                "source",
                "time",
                "version",
            ];
            expected.sort_unstable();
            keys == expected
        });
        check("order", event.starts_with("{\"version\":\"0\",\"id\":\""));
        check("version", got["version"] == "0");
        let id = Uuid::new_v5(
            &ID_NAMESPACE,
            record["eventID"].as_str().unwrap().as_bytes(),
        );
        check("id", got["id"] == id.to_string());
        let detail_type = expected_detail_type(&record).unwrap();
        *detail_types.entry(detail_type).or_insert(0) += 1;
        check("detail-type", got["detail-type"] == detail_type);
        let source = match record["eventSource"].as_str() {
            // Insights records have no eventSource; CloudTrail is the source.
            _ if detail_type == "AWS Insight via CloudTrail" => "aws.cloudtrail".to_owned(),
            Some(s) => format!("aws.{}", s.strip_suffix(".amazonaws.com").unwrap()),
            None => String::new(),
        };
        check("source", got["source"] == source);
        check("account", got["account"] == record["recipientAccountId"]);
        check("time", got["time"] == record["eventTime"]);
        check("region", got["region"] == record["awsRegion"]);
        check("resources", got["resources"] == Value::Array(Vec::new()));
        check("detail", got["detail"] == record);
        check(
            "detail text",
            event.ends_with(&format!(",\"detail\":{}}}", text.trim())),
        );
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(wrapped > 1000, "only {wrapped} records wrapped");
    // (The corpus's network activity records all lack eventID: see
    // `network_activity_and_insight_envelopes`.)
    for kind in [
        envelope::API_CALL,
        envelope::CONSOLE_SIGN_IN,
        envelope::SERVICE_EVENT,
        envelope::INSIGHT,
        envelope::CONSOLE_ACTION,
    ] {
        assert!(
            detail_types.contains_key(kind),
            "no {kind} in {detail_types:?}"
        );
    }
}

/// Over the corpus: a disabled rule sees nothing, an all-management rule every record, an
/// enabled one all but the conventional read-only management calls — and the corpus has both.
#[test]
fn corpus_records_by_rule_state() {
    let mut withheld = 0;
    let mut seen = 0;
    for (label, text) in corpus() {
        let record: Value = serde_json::from_str(&text).unwrap();
        assert!(
            !delivered(&record, RuleState::Disabled).delivered,
            "{label}"
        );
        let all = delivered(&record, RuleState::EnabledWithAllCloudTrailManagementEvents);
        assert!(all.delivered, "{label}: {:?}", all.reason);
        let enabled = delivered(&record, RuleState::Enabled);
        assert_eq!(enabled.reason, all.reason, "{label}");
        if enabled.delivered {
            seen += 1;
        } else {
            assert_eq!(enabled.reason, Reason::ReadOnlyManagementEvent, "{label}");
            let name = record["eventName"].as_str().unwrap_or_default();
            assert!(
                ["Describe", "Get", "List"]
                    .iter()
                    .any(|p| name.starts_with(p)),
                "{label}: {name}"
            );
            withheld += 1;
        }
    }
    assert!(
        withheld > 50 && seen > 500,
        "withheld {withheld}, seen {seen}"
    );
}

#[test]
fn errors_name_what_is_missing() {
    let base = r#"{"eventSource":"s3.amazonaws.com","eventType":"AwsApiCall","eventID":"e","recipientAccountId":"111122223333","eventTime":"2024-01-01T00:00:00Z","awsRegion":"us-east-1"}"#;
    assert!(wrap(base).is_ok());
    for field in [
        "eventSource",
        "eventType",
        "eventID",
        "recipientAccountId",
        "eventTime",
        "awsRegion",
    ] {
        let mut record: BTreeMap<String, Value> = serde_json::from_str(base).unwrap();
        record.remove(field);
        let err = wrap(&serde_json::to_string(&record).unwrap()).unwrap_err();
        assert_eq!((err.code(), err.field()), ("missing-field", field));
        assert!(err.to_string().contains(field), "{err}");
        record.insert(field.to_owned(), Value::from(3));
        let err = wrap(&serde_json::to_string(&record).unwrap()).unwrap_err();
        assert_eq!((err.code(), err.field()), ("wrong-type", field));
    }
    let err = wrap(&base.replace("s3.amazonaws.com", "example.com")).unwrap_err();
    assert_eq!(err.code(), "unknown-event-source");
    let err = wrap(&base.replace("AwsApiCall", "AwsSomething")).unwrap_err();
    assert_eq!(err.code(), "unknown-event-type");
    // A ConsoleLogin needs no eventType.
    let login = base.replace(
        "\"eventType\":\"AwsApiCall\",",
        "\"eventName\":\"ConsoleLogin\",",
    );
    assert!(wrap(&login).unwrap().contains(envelope::CONSOLE_SIGN_IN));
    assert_eq!(wrap("[1]").unwrap_err().code(), "not-an-object");
    assert_eq!(wrap("\"x\"").unwrap_err().code(), "not-an-object");
    assert_eq!(wrap("{\"a\":").unwrap_err().code(), "invalid-json");
    assert_eq!(wrap("").unwrap_err().code(), "invalid-json");
    assert_eq!(wrap("nope").unwrap_err().code(), "invalid-json");
    let value: Value = serde_json::from_str(base).unwrap();
    let from_value: Value = serde_json::from_str(&wrap_value(&value).unwrap()).unwrap();
    let from_text: Value = serde_json::from_str(&wrap(base).unwrap()).unwrap();
    assert_eq!(from_value, from_text);
    assert_eq!(
        wrap_value(&Value::Null).unwrap_err().code(),
        "not-an-object"
    );
}

#[test]
fn network_activity_and_insight_envelopes() {
    let vpce = r#"{"eventVersion":"1.09","eventTime":"2024-05-01T10:00:00Z","eventSource":"kms.amazonaws.com","eventName":"ListKeys","awsRegion":"us-east-1","eventID":"n1","readOnly":true,"eventType":"AwsVpceEvent","recipientAccountId":"111122223333","eventCategory":"NetworkActivity"}"#;
    let event: Value = serde_json::from_str(&wrap(vpce).unwrap()).unwrap();
    assert_eq!(
        event["detail-type"],
        "AWS Network Activity Event via CloudTrail"
    );
    assert_eq!(event["source"], "aws.kms");
    let insight = r#"{"eventVersion":"1.07","eventTime":"2020-07-21T20:56:00Z","awsRegion":"us-east-1","eventID":"i1","eventType":"AwsCloudTrailInsight","recipientAccountId":"111122223333","insightDetails":{"eventSource":"autoscaling.amazonaws.com"},"eventCategory":"Insight"}"#;
    let event: Value = serde_json::from_str(&wrap(insight).unwrap()).unwrap();
    assert_eq!(event["detail-type"], "AWS Insight via CloudTrail");
    assert_eq!(event["source"], envelope::INSIGHT_SOURCE);
}

/// Every error kind has a case here (the example its documentation gives), a distinct code,
/// and renders as `field: message [code]`.
#[test]
fn every_error_kind_has_a_pinned_case() {
    let ok = r#"{"eventSource":"s3.amazonaws.com","eventType":"AwsApiCall","eventID":"e","recipientAccountId":"111122223333","eventTime":"2024-01-01T00:00:00Z","awsRegion":"us-east-1"}"#;
    let envelope_cases = [
        ("{\"eventSource\": ", EnvelopeErrorKind::InvalidJson),
        ("[1, 2]", EnvelopeErrorKind::NotAnObject),
        (
            r#"{"eventType":"AwsApiCall","eventTime":"2024-01-01T00:00:00Z"}"#,
            EnvelopeErrorKind::MissingField,
        ),
        (
            &*ok.replace("\"us-east-1\"", "1"),
            EnvelopeErrorKind::WrongType,
        ),
        (
            &*ok.replace("s3.amazonaws.com", "example.com"),
            EnvelopeErrorKind::UnknownEventSource,
        ),
        (
            &*ok.replace("AwsApiCall", "AwsSomething"),
            EnvelopeErrorKind::UnknownEventType,
        ),
    ];
    let mut codes = std::collections::BTreeSet::new();
    for (record, kind) in envelope_cases {
        let e = wrap(record).unwrap_err();
        assert_eq!(e.kind(), kind, "{record}");
        assert!(
            e.to_string().ends_with(&format!("[{}]", kind.code())),
            "{e}"
        );
        assert!(codes.insert(kind.code()), "{}", kind.code());
    }
    // A new kind does not compile here until it has a case above.
    let all = |k: EnvelopeErrorKind| match k {
        EnvelopeErrorKind::InvalidJson
        | EnvelopeErrorKind::NotAnObject
        | EnvelopeErrorKind::MissingField
        | EnvelopeErrorKind::WrongType
        | EnvelopeErrorKind::UnknownEventSource
        | EnvelopeErrorKind::UnknownEventType => 6,
    };
    assert_eq!(codes.len(), all(EnvelopeErrorKind::InvalidJson));
    let event = r#"{"detail": {"x": 1}}"#;
    let context = RuleContext::default();
    let transformer = |map: &[(&str, &str)], template: &str| {
        let map = map
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        format!(
            r#"{{"Id": "t", "Arn": "a", "InputTransformer": {{"InputPathsMap": {}, "InputTemplate": {}}}}}"#,
            serde_json::to_string::<BTreeMap<String, String>>(&map).unwrap(),
            serde_json::to_string(template).unwrap()
        )
    };
    let many: Vec<(String, String)> = (0..=MAX_VARIABLES)
        .map(|i| (format!("v{i}"), "$.x".to_owned()))
        .collect();
    let many: Vec<(&str, &str)> = many.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let input_cases: Vec<(String, &str, InputErrorKind)> = vec![
        (
            r#"{"Id": "t", "Arn": "a", "InputPath": "$.detail['x']"}"#.into(),
            event,
            InputErrorKind::InvalidJsonPath,
        ),
        (
            r#"{"Id": "t", "Arn": "a", "InputPath": "$.detail.nothing"}"#.into(),
            event,
            InputErrorKind::PathNotFound,
        ),
        (
            r#"{"Id": "t", "Arn": "a", "Input": "{}", "InputPath": "$"}"#.into(),
            event,
            InputErrorKind::ConflictingInputs,
        ),
        (
            r#"{"Id": "t", "Arn": "a", "Input": "hello"}"#.into(),
            event,
            InputErrorKind::InvalidInput,
        ),
        (
            transformer(&many, "x"),
            event,
            InputErrorKind::TooManyVariables,
        ),
        (
            transformer(&[("my var", "$.x")], "x"),
            event,
            InputErrorKind::InvalidVariableName,
        ),
        (
            transformer(&[("aws.events.rule-name", "$.x")], "x"),
            event,
            InputErrorKind::ReservedVariable,
        ),
        (
            transformer(&[("v", "$.x")], r#"{"a": <v>,}"#),
            event,
            InputErrorKind::InvalidTemplate,
        ),
        (transformer(&[], ""), event, InputErrorKind::TooLong),
        (
            r#"{"Id": "t", "Arn": "a"}"#.into(),
            "{",
            InputErrorKind::InvalidEvent,
        ),
    ];
    let mut codes = std::collections::BTreeSet::new();
    for (target, event, kind) in input_cases {
        let target: TargetDef = serde_json::from_str(&target).unwrap();
        let e = target_input(&target, event, &context).unwrap_err();
        assert_eq!(e.kind(), kind, "{target:?}: {e}");
        assert!(
            e.to_string().ends_with(&format!("[{}]", kind.code())),
            "{e}"
        );
        assert!(codes.insert(kind.code()), "{}", kind.code());
    }
    let all = |k: InputErrorKind| match k {
        InputErrorKind::InvalidJsonPath
        | InputErrorKind::PathNotFound
        | InputErrorKind::ConflictingInputs
        | InputErrorKind::InvalidInput
        | InputErrorKind::TooManyVariables
        | InputErrorKind::InvalidVariableName
        | InputErrorKind::ReservedVariable
        | InputErrorKind::InvalidTemplate
        | InputErrorKind::TooLong
        | InputErrorKind::InvalidEvent => 10,
    };
    assert_eq!(codes.len(), all(InputErrorKind::InvalidEvent));
}

#[test]
fn the_id_namespace_is_the_name_based_uuid_it_says() {
    assert_eq!(
        ID_NAMESPACE,
        Uuid::new_v5(&Uuid::NAMESPACE_URL, b"trailmatch:eventbridge-event-id")
    );
}

#[test]
fn sources_of_event_sources() {
    assert_eq!(
        source_of("signin.amazonaws.com").as_deref(),
        Some("aws.signin")
    );
    assert_eq!(source_of("s3.amazonaws.com").as_deref(), Some("aws.s3"));
    assert_eq!(
        source_of("monitoring.amazonaws.com").as_deref(),
        Some("aws.monitoring")
    );
    assert_eq!(source_of(".amazonaws.com"), None);
    assert_eq!(source_of("s3.amazonaws.com.cn"), None);
    assert_eq!(source_of("a b.amazonaws.com"), None);
}

/// The template and module readers find EventBridge rules, and report those `PutRule` would
/// refuse at their place.
#[test]
fn iac_reads_event_rules_from_every_kind_of_file() {
    use crate::iac::{self, FileKind};
    let pack = iac::read_event_rules(FileKind::CloudFormation, "cis.json", CIS_RULES_JSON);
    assert_eq!(pack.rules.len(), 15);
    assert!(pack.problems.is_empty(), "{:?}", pack.problems);
    let multi_line = "{\"Rules\": [{\"Name\": \"r\", \"EventPattern\": {\n  \"detail\": {\"eventName\": [\"StopLogging\"]}}}]}";
    let found = iac::read_event_rules(FileKind::Rules, "r.json", multi_line);
    let rule = &found.rules[0];
    let pattern = rule.rule.event_pattern.as_deref().unwrap();
    let at = rule
        .pattern_positions
        .as_ref()
        .unwrap()
        .locate(pattern.find("StopLogging").unwrap());
    assert_eq!((at.line, at.column), (2, 29));
    let cfn = "Resources:\n  Bad:\n    Type: AWS::Events::Rule\n    Properties:\n      Name: has space\n      EventPattern: {source: [aws.s3]}\n";
    let found = iac::read_event_rules(FileKind::CloudFormation, "t.yaml", cfn);
    assert_eq!(found.rules.len(), 1);
    let codes: Vec<_> = found
        .problems
        .iter()
        .map(|p| (p.code, p.location.line))
        .collect();
    assert_eq!(codes, [("invalid-event-rule", 5)]);
    let tf = iac::read_event_rules(
        FileKind::Terraform,
        "m.tf",
        "resource \"aws_cloudwatch_event_rule\" \"r\" {\n  event_pattern = \"[1]\"\n}\n",
    );
    let codes: Vec<_> = tf
        .problems
        .iter()
        .map(|p| (p.code, p.location.line))
        .collect();
    assert_eq!(codes, [("invalid-event-pattern", 2)]);
    let other = iac::read_event_rules(FileKind::Patterns, "p.txt", "x");
    assert_eq!(other.problems[0].code, "unreadable");
}

// ---- EventBridge rules in a scan -------------------------------------------------------------

/// A CloudTrail record of `name` (`readOnly` as given), with what the envelope needs.
fn scan_record(id: u32, name: &str, read_only: bool) -> String {
    format!(
        r#"{{"eventVersion":"1.08","eventTime":"2026-11-23T10:{:02}:00Z","eventSource":"cloudtrail.amazonaws.com","eventName":"{name}","awsRegion":"eu-west-1","eventID":"id-{id}","eventType":"AwsApiCall","readOnly":{read_only},"managementEvent":true,"eventCategory":"Management","recipientAccountId":"111122223333","requestParameters":{{"name":"trail-{id}"}}}}"#,
        id % 60
    )
}

const SCAN_RULES: &str = r#"{"Rules": [
  {"Name": "trail-changes", "EventPattern": {"detail": {"eventName": ["StopLogging", "DescribeTrails"]}},
   "Targets": [
     {"Id": "whole", "Arn": "arn:aws:sns:${AWS::Region}:${AWS::AccountId}:security"},
     {"Id": "path", "Arn": "arn:aws:sns:eu-west-1:111122223333:t", "InputPath": "$.detail.requestParameters"},
     {"Id": "text", "Arn": "arn:aws:sns:eu-west-1:111122223333:t",
      "InputTransformer": {"InputPathsMap": {"n": "$.detail.eventName", "t": "$.detail.requestParameters.name"},
                           "InputTemplate": "\"<n> on <t> by rule <aws.events.rule-name>\""}},
     {"Id": "missing", "Arn": "arn:aws:sns:eu-west-1:111122223333:t", "InputPath": "$.detail.nothing"}]},
  {"Name": "all-management", "State": "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS",
   "EventPattern": {"source": ["aws.cloudtrail"], "detail-type": ["AWS API Call via CloudTrail"]}},
  {"Name": "off", "State": "DISABLED", "EventPattern": {"source": ["aws.cloudtrail"]}},
  {"Name": "elsewhere", "EventBusName": "security", "EventPattern": {"source": ["aws.cloudtrail"]}},
  {"Name": "nightly", "ScheduleExpression": "rate(1 day)"}
]}"#;

fn scan_with(rules: crate::rules::RuleSet, records: &[String]) -> crate::scan::Report {
    use crate::scan::{ScanOptions, Scanner};
    let mut scanner = Scanner::new(&rules, ScanOptions::default()).unwrap();
    for (n, record) in records.iter().enumerate() {
        scanner.record(record, None, &format!("r.jsonl:{}", n + 1));
    }
    scanner.finish()
}

/// Each record is matched as EventBridge delivers it: in the rule's state, on the default bus,
/// and each target gets the event, its `InputPath` or its `InputTransformer`'s text.
#[test]
fn a_scan_matches_event_rules_as_eventbridge_delivers_records() {
    let rules = crate::rules::RuleSet {
        event_rules: EventRuleSet::parse(SCAN_RULES, "rules.json").unwrap().rules,
        ..Default::default()
    };
    let records = vec![
        scan_record(1, "StopLogging", false),
        scan_record(2, "DescribeTrails", true),
        scan_record(3, "CreateTags", false),
        // No eventType: EventBridge never sees it as an API call.
        r#"{"eventVersion":"1.08","eventTime":"2026-11-23T10:04:00Z","eventSource":"cloudtrail.amazonaws.com","eventName":"StopLogging","awsRegion":"eu-west-1","eventID":"id-4","recipientAccountId":"111122223333"}"#.to_owned(),
    ];
    let report = scan_with(rules, &records);
    // StopLogging, DescribeTrails (to the all-management rule) and CreateTags reach a rule.
    assert_eq!((report.records.matched, report.records.unmatched), (3, 1));
    let event_rules = report.event_rules.unwrap();
    assert_eq!(
        event_rules.not_wrapped,
        BTreeMap::from([("missing-field", 1)])
    );
    let by_name: BTreeMap<&str, &EventRuleReport> = event_rules
        .rules
        .iter()
        .map(|r| (r.name.as_str(), r))
        .collect();
    let trail = by_name["trail-changes"];
    assert_eq!(trail.matches, 1);
    assert_eq!(
        trail.not_delivered,
        BTreeMap::from([("read-only-management-event", 1)])
    );
    let event = &trail.events[0];
    assert_eq!(
        (event.event_id.as_deref(), event.file.as_str()),
        (Some("id-1"), "r.jsonl:1")
    );
    let whole = &event.targets[0];
    assert_eq!(whole.arn, "arn:aws:sns:eu-west-1:111122223333:security");
    let message = whole.message.as_deref().unwrap();
    assert!(message.starts_with(r#"{"version":"0","id":"#), "{message}");
    assert!(message.ends_with(&format!(r#""detail":{}}}"#, records[0])));
    assert_eq!(
        event.targets[1].message.as_deref(),
        Some(r#"{"name":"trail-1"}"#)
    );
    assert_eq!(
        event.targets[2].message.as_deref(),
        Some(r#""StopLogging on trail-1 by rule trail-changes""#)
    );
    let missing = &event.targets[3];
    assert_eq!(missing.message, None);
    assert!(
        missing
            .error
            .as_deref()
            .unwrap()
            .starts_with("path-not-found: "),
        "{missing:?}"
    );
    let all = by_name["all-management"];
    assert_eq!((all.matches, all.events.len()), (3, 3));
    assert!(all.not_delivered.is_empty());
    assert_eq!(by_name["off"].matches, 0);
    assert_eq!(
        by_name["off"].not_delivered,
        BTreeMap::from([("rule-disabled", 3)])
    );
    assert_eq!(
        by_name["elsewhere"].not_delivered,
        BTreeMap::from([("custom-event-bus", 3)])
    );
    assert_eq!(
        (
            by_name["nightly"].matches,
            by_name["nightly"].event_pattern.as_deref()
        ),
        (0, None)
    );
    // The JSON report names the part `event_rules`; a scan without EventBridge rules leaves it out.
    let json = serde_json::to_value(scan_with(crate::rules::RuleSet::cis(), &records)).unwrap();
    assert!(json.get("event_rules").is_none(), "{json}");
}

/// Counts go on past the matches kept, which are the first ones in input order.
#[test]
fn a_scan_keeps_the_first_matches_of_a_rule_and_counts_them_all() {
    let rules = crate::rules::RuleSet {
        event_rules: EventRuleSet::parse(SCAN_RULES, "rules.json").unwrap().rules,
        ..Default::default()
    };
    let records: Vec<String> = (0..250)
        .map(|i| scan_record(i, "StopLogging", false))
        .collect();
    let report = scan_with(rules, &records);
    let trail = &report.event_rules.unwrap().rules[0];
    assert_eq!(trail.matches, 250);
    assert_eq!(trail.events.len(), scan::MAX_EVENTS_PER_RULE);
    let ids: Vec<_> = trail
        .events
        .iter()
        .map(|e| e.event_id.clone().unwrap())
        .collect();
    assert_eq!(ids.first().map(String::as_str), Some("id-0"));
    assert_eq!(ids.last().map(String::as_str), Some("id-99"));
}

/// A rule EventBridge would refuse stops the scan before it starts, naming the rule.
#[test]
fn an_invalid_event_pattern_stops_the_scan() {
    use crate::scan::{ScanOptions, Scanner};
    let rules = crate::rules::RuleSet {
        event_rules: vec![EventRuleDef {
            name: "bad".into(),
            event_pattern: Some(r#"{"detail": {"eventName": "StopLogging"}}"#.into()),
            ..EventRuleDef::default()
        }],
        ..Default::default()
    };
    let e = Scanner::new(&rules, ScanOptions::default()).unwrap_err();
    assert_eq!(
        (e.rule.as_str(), e.code()),
        ("bad", "event-pattern-structure")
    );
    assert!(e.to_string().contains("^"), "{e}");
}

/// The EventBridge twin of the CIS pack matches what the CIS metric filters match on the
/// corpus, rule for rule, where the records can be wrapped.
#[test]
fn the_cis_twin_agrees_with_the_cis_filters_on_wrappable_corpus_records() {
    let records: Vec<String> = corpus()
        .into_iter()
        .map(|(_, text)| text)
        .filter(|text| Envelope::of(text).is_ok())
        .collect();
    assert!(records.len() > 1000, "{}", records.len());
    let filters = scan_with(crate::rules::RuleSet::cis(), &records);
    let twin = scan_with(
        crate::rules::RuleSet {
            event_rules: EventRuleSet::cis().rules,
            ..Default::default()
        },
        &records,
    );
    let twin_rules = twin.event_rules.unwrap().rules;
    let mut compared = 0;
    for (filter, rule) in filters.rules.iter().zip(&twin_rules) {
        assert_eq!(filter.name.trim_end_matches("_metric"), rule.name);
        // Read-only management events reach ENABLED rules' patterns but are not delivered.
        let withheld: u64 = rule.not_delivered.values().sum();
        assert_eq!(filter.matches, rule.matches + withheld, "{}", rule.name);
        compared += filter.matches;
    }
    assert!(compared > 20, "{compared}");
}

// ---- generated records ---------------------------------------------------------------------

/// JSON text of a value, with the spellings a log may hold: numbers with fractions and
/// exponents, escapes, white space inside.
fn json_text() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        "-?(0|[1-9][0-9]{0,5})(\\.[0-9]{1,4})?([eE][+-]?[0-9]{1,2})?",
        Just("true".to_owned()),
        Just("false".to_owned()),
        Just("null".to_owned()),
        "\"([a-z ]|\\\\u00e9|\\\\n|\\\\\"|\\\\/|é){0,8}\"",
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        let ws = prop_oneof![Just(""), Just(" "), Just("\n  ")];
        prop_oneof![
            (prop::collection::vec(inner.clone(), 0..4), ws.clone())
                .prop_map(|(items, ws)| format!("[{ws}{}{ws}]", items.join(&format!(",{ws}")))),
            (prop::collection::btree_map("[a-z]{1,6}", inner, 0..4), ws).prop_map(
                |(members, ws)| {
                    let members: Vec<String> = members
                        .iter()
                        .map(|(k, v)| format!("\"{k}\"{ws}:{ws}{v}"))
                        .collect();
                    format!("{{{ws}{}{ws}}}", members.join(&format!(",{ws}")))
                }
            ),
        ]
    })
}

/// A record's text: the fields an envelope needs among other members, in any order.
fn record_text() -> impl Strategy<Value = String> {
    let required = (
        "[a-z0-9-]{1,12}",
        prop::sample::select(vec![
            "AwsApiCall",
            "AwsConsoleSignIn",
            "AwsConsoleAction",
            "AwsServiceEvent",
            "AwsCloudTrailInsight",
            "AwsVpceEvent",
        ]),
        "[0-9a-f-]{1,36}",
        "[0-9]{12}",
        "2024-0[1-9]-1[0-9]T0[0-9]:[0-5][0-9]:[0-5][0-9]Z",
        "[a-z]{2}-[a-z]{4,7}-[1-3]",
    );
    (
        required,
        prop::collection::btree_map("[a-z]{1,8}", json_text(), 0..6),
        prop::sample::select(vec!["", " ", "\n", "\t "]),
    )
        .prop_flat_map(|((service, kind, id, account, time, region), extra, ws)| {
            let mut members: Vec<String> = vec![
                format!("\"eventSource\":\"{service}.amazonaws.com\""),
                format!("\"eventType\":\"{kind}\""),
                format!("\"eventID\":\"{id}\""),
                format!("\"recipientAccountId\":\"{account}\""),
                format!("\"eventTime\":\"{time}\""),
                format!("\"awsRegion\":\"{region}\""),
            ];
            members.extend(extra.iter().map(|(k, v)| format!("\"{k}\":{ws}{v}")));
            Just(members)
                .prop_shuffle()
                .prop_map(move |m| format!("{ws}{{{ws}{}{ws}}}{ws}", m.join(&format!(",{ws}"))))
        })
}

proptest! {
    /// `detail` is the record's text itself: same bytes (white space around it aside), same
    /// value.
    #[test]
    fn detail_round_trips_the_record_exactly(text in record_text()) {
        let event = wrap(&text).map_err(|e| TestCaseError::fail(format!("{e}: {text}")))?;
        let members = raw::members(&event).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let detail = members
            .iter()
            .find(|(k, _)| k == "detail")
            .map(|(_, v)| *v)
            .ok_or_else(|| TestCaseError::fail(format!("no detail: {event}")))?;
        prop_assert_eq!(detail.get(), text.trim());
        let record: Value = serde_json::from_str(&text).unwrap();
        let got: Value = serde_json::from_str(&event).unwrap();
        prop_assert_eq!(&got["detail"], &record);
        prop_assert_eq!(&got["account"], &record["recipientAccountId"]);
        // Wrapping is a function of the record: the same text, the same event.
        prop_assert_eq!(wrap(&text).ok(), Some(event));
    }
}

proptest! {
    /// Outside strings, a JSON template's variable is the value at its path, as written: the
    /// target's JSON holds the event's value exactly, whatever its kind.
    #[test]
    fn json_template_variables_carry_values_exactly(value in json_text()) {
        let event = format!("{{\"detail\": {{\"x\": {value}}}}}");
        let transformer = InputTransformer {
            input_paths_map: [("v".to_owned(), "$.detail.x".to_owned())].into_iter().collect(),
            input_template: "{\"v\": <v>, \"all\": <aws.events.event.json>}".to_owned(),
        };
        let out = transformer
            .apply(&event, &RuleContext::default())
            .map_err(|e| TestCaseError::fail(format!("{e}: {event}")))?;
        prop_assert_eq!(out, format!("{{\"v\": {value}, \"all\": {event}}}"));
    }
}
