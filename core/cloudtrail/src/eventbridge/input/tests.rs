//! The examples of the EventBridge User Guide's
//! [input transformation page](https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-transform-target-input.html)
//! ("Input transform examples"), and of the API Reference's
//! [InputTransformer](https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_InputTransformer.html),
//! each a test.

use super::*;
use crate::eventbridge::TargetDef;

/// The guide's example Amazon EC2 event.
const EC2_EVENT: &str = r#"{
  "version": "0",
  "id": "7bf73129-1428-4cd3-a780-95db273d1602",
  "detail-type": "EC2 Instance State-change Notification",
  "source": "aws.ec2",
  "account": "123456789012",
  "time": "2015-11-11T21:29:54Z",
  "region": "us-east-1",
  "resources": [
    "arn:aws:ec2:us-east-1:123456789012:instance/i-abcd1111"
  ],
  "detail": {
    "instance-id": "i-0123456789",
    "state": "RUNNING"
  }
}"#;

/// The guide's rule, as its outputs name it.
const CONTEXT: RuleContext<'static> = RuleContext {
    rule_name: "example",
    rule_arn: "arn:aws:events:us-east-2:123456789012:rule/example",
    ingestion_time: "2015-11-11T21:29:55Z",
};

/// The guide's Input Path.
fn guide(template: &str) -> InputTransformer {
    InputTransformer {
        input_paths_map: [
            ("timestamp", "$.time"),
            ("instance", "$.detail.instance-id"),
            ("state", "$.detail.state"),
            ("resource", "$.resources[0]"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect(),
        input_template: template.to_owned(),
    }
}

fn apply(template: &str) -> String {
    guide(template).apply(EC2_EVENT, &CONTEXT).unwrap()
}

fn json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("{text}: {e}"))
}

#[test]
fn guide_simple_string() {
    assert_eq!(
        apply(r#""instance <instance> is in <state>""#),
        r#""instance i-0123456789 is in RUNNING""#
    );
}

#[test]
fn guide_string_with_escaped_quotes() {
    // The guide's output, "the behavior in the EventBridge console".
    assert_eq!(
        apply(r#""instance \"<instance>\" is in <state>""#),
        r#""instance \"i-0123456789\" is in RUNNING""#
    );
}

#[test]
fn guide_simple_json() {
    let out = apply(r#"{"instance" : <instance>,"state": <state>}"#);
    assert_eq!(out, r#"{"instance" : "i-0123456789","state": "RUNNING"}"#);
}

#[test]
fn guide_json_with_strings_and_variables() {
    let out = apply(
        r#"{"instance" : <instance>,"state": "<state>","instanceStatus": "instance \"<instance>\" is in <state>"}"#,
    );
    assert_eq!(
        out,
        r#"{"instance" : "i-0123456789","state": "RUNNING","instanceStatus": "instance \"i-0123456789\" is in RUNNING"}"#
    );
}

#[test]
fn guide_json_with_variables_and_static_information() {
    let out =
        apply(r#"{"instance" : <instance>,"state": [ 9, <state>, true ],"Transformed" : "Yes"}"#);
    // The guide prints the output reformatted; it is this JSON.
    assert_eq!(
        json(&out),
        json(r#"{"instance" : "i-0123456789","state": [9,"RUNNING",true],"Transformed" : "Yes"}"#)
    );
}

#[test]
fn guide_reserved_variables_in_json() {
    let out = apply(
        r#"{"instance" : <instance>,"state": <state>,"ruleArn" : <aws.events.rule-arn>,"ruleName" : <aws.events.rule-name>,"originalEvent" : <aws.events.event.json>}"#,
    );
    let value = json(&out);
    assert_eq!(value["instance"], "i-0123456789");
    assert_eq!(value["state"], "RUNNING");
    assert_eq!(
        value["ruleArn"],
        "arn:aws:events:us-east-2:123456789012:rule/example"
    );
    assert_eq!(value["ruleName"], "example");
    // "… // commented for brevity": the whole event, written as it came.
    assert_eq!(value["originalEvent"], json(EC2_EVENT));
    assert!(out.ends_with(&format!("\"originalEvent\" : {EC2_EVENT}}}")));
}

#[test]
fn guide_reserved_variables_in_a_string() {
    assert_eq!(
        apply(r#""<aws.events.rule-name> triggered""#),
        r#""example triggered""#
    );
}

/// The guide's last example is what a CloudWatch Logs log group target writes
/// (`{"timestamp" : 2015-11-11T21:29:54Z,"message": "instance "i-0123456789" is in RUNNING}`,
/// quotes dropped, not JSON). An SNS target receives the template filled in as for any other
/// JSON template.
#[test]
fn guide_cloudwatch_log_group_template_for_an_sns_target() {
    let out =
        apply(r#"{"timestamp" : <timestamp>,"message": "instance \"<instance>\" is in <state>"}"#);
    assert_eq!(
        out,
        r#"{"timestamp" : "2015-11-11T21:29:54Z","message": "instance \"i-0123456789\" is in RUNNING"}"#
    );
}

#[test]
fn guide_array_index_variable() {
    // The fourth variable of the guide's Input Path: `$.resources[0]`.
    assert_eq!(
        apply(r#"{"r": <resource>}"#),
        r#"{"r": "arn:aws:ec2:us-east-1:123456789012:instance/i-abcd1111"}"#
    );
}

/// The API Reference's three `InputTransformer` examples.
#[test]
fn api_reference_examples() {
    let event = r#"{"detail": {"instance": "i-1", "status": "running"}}"#;
    let transformer = |template: &str| InputTransformer {
        input_paths_map: [
            ("instance", "$.detail.instance"),
            ("status", "$.detail.status"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect(),
        input_template: template.to_owned(),
    };
    let run = |t: &str| transformer(t).apply(event, &CONTEXT).unwrap();
    assert_eq!(
        run("<instance> is in state <status>"),
        "i-1 is in state running"
    );
    assert_eq!(
        run(r#"<instance> is in state "<status>""#),
        r#"i-1 is in state "running""#
    );
    let out =
        run(r#"{"myInstance": <instance>,"myStatus": "<instance> is in state \"<status>\""}"#);
    assert_eq!(
        out,
        r#"{"myInstance": "i-1","myStatus": "i-1 is in state \"running\""}"#
    );
    assert_eq!(json(&out)["myStatus"], "i-1 is in state \"running\"");
}

/// `<aws.events.event>` is the event without `detail`; `<aws.events.event.json>` the whole.
#[test]
fn predefined_event_variables() {
    let out = apply(r#"{"e": <aws.events.event>, "t": "<aws.events.event.ingestion-time>"}"#);
    let value = json(&out);
    let mut expected = json(EC2_EVENT);
    if let Some(map) = expected.as_object_mut() {
        map.remove("detail");
    }
    assert_eq!(value["e"], expected);
    assert_eq!(value["t"], "2015-11-11T21:29:55Z");
}

/// "If you specify a variable to match a JSON path that doesn't exist in the event, that
/// variable isn't created and won't appear in the output": `null` as a value, nothing in a
/// string (this module's decision).
#[test]
fn missing_paths_write_null_or_nothing() {
    let mut t = guide(r#"{"a": <gone>, "b": "[<gone>]"}"#);
    t.input_paths_map
        .insert("gone".to_owned(), "$.detail.nothing".to_owned());
    let out = t.apply(EC2_EVENT, &CONTEXT).unwrap();
    assert_eq!(out, r#"{"a": null, "b": "[]"}"#);
    let mut t = guide(r#""x<gone>y""#);
    t.input_paths_map
        .insert("gone".to_owned(), "$.nothing".to_owned());
    assert_eq!(t.apply(EC2_EVENT, &CONTEXT).unwrap(), r#""xy""#);
}

/// "EventBridge doesn't escape values extracted by Input Path": a quote in a value ends up
/// raw inside a string; outside strings the value is JSON and stays valid.
#[test]
fn values_are_not_escaped_inside_strings() {
    let event = r#"{"detail": {"m": "say \"hi\"", "n": 1.50, "o": {"k": [1]}}}"#;
    let t = InputTransformer {
        input_paths_map: [
            ("m", "$.detail.m"),
            ("n", "$.detail.n"),
            ("o", "$.detail.o"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect(),
        input_template: r#"{"raw": "<m>", "json": <m>, "n": <n>, "o": <o>, "os": "<o>"}"#.into(),
    };
    let out = t.apply(event, &CONTEXT).unwrap();
    assert_eq!(
        out,
        r#"{"raw": "say "hi"", "json": "say \"hi\"", "n": 1.50, "o": {"k": [1]}, "os": "{"k": [1]}"}"#
    );
}

#[test]
fn text_that_is_no_placeholder_stays() {
    let t = guide(r#""a < b and <unknown> and <state>""#);
    assert_eq!(
        t.apply(EC2_EVENT, &CONTEXT).unwrap(),
        r#""a < b and <unknown> and RUNNING""#
    );
}

#[test]
fn templates_are_checked_like_put_targets() {
    let code = |t: InputTransformer| t.validate().unwrap_err().code();
    assert_eq!(code(guide(r#"{<state>: 1}"#)), "invalid-template");
    assert_eq!(code(guide(r#"{"<state>": 1}"#)), "invalid-template");
    assert_eq!(code(guide(r#"{"a": <state>,}"#)), "invalid-template");
    assert_eq!(code(guide("")), "too-long");
    assert_eq!(code(guide(&"x".repeat(MAX_TEMPLATE + 1))), "too-long");
    let mut t = guide("x");
    t.input_paths_map
        .insert("aws.events.rule-name".into(), "$.x".into());
    assert_eq!(code(t), "reserved-variable");
    let mut t = guide("x");
    t.input_paths_map.insert("my var".into(), "$.x".into());
    assert_eq!(code(t), "invalid-variable-name");
    let mut t = guide("x");
    t.input_paths_map.insert("v".into(), "detail.x".into());
    let e = t.validate().unwrap_err();
    assert_eq!(
        (e.code(), e.field()),
        ("invalid-json-path", "InputPathsMap.v")
    );
    let mut t = guide("x");
    for i in 0..=MAX_VARIABLES {
        t.input_paths_map.insert(format!("v{i}"), "$.x".into());
    }
    assert_eq!(code(t), "too-many-variables");
    // Valid: placeholders inside strings and as values; `<` in text.
    guide(r#"{"a": "<state> < 3", "b": [<instance>]}"#)
        .validate()
        .unwrap();
}

#[test]
fn json_paths() {
    for bad in [
        "", "detail", "$detail", "$.", "$.a..b", "$.a[", "$.a['b']", "$.a[-1]", "$[x]",
    ] {
        assert_eq!(
            JsonPath::parse(bad).unwrap_err().code(),
            "invalid-json-path",
            "{bad}"
        );
    }
    let long = format!("$.{}", "a".repeat(MAX_PATH));
    assert!(JsonPath::parse(&long).is_err());
    let get = |p: &str| JsonPath::parse(p).unwrap().extract(EC2_EVENT).unwrap();
    assert_eq!(
        get("$.detail.instance-id").as_deref(),
        Some("\"i-0123456789\"")
    );
    assert_eq!(get("$.resources[1]"), None);
    assert_eq!(
        get("$.detail.*").as_deref(),
        Some("[\"i-0123456789\",\"RUNNING\"]")
    );
    assert_eq!(get("$.nothing.*"), None);
    assert_eq!(get("$").map(|t| json(&t)), Some(json(EC2_EVENT)));
}

fn target(json_text: &str) -> TargetDef {
    serde_json::from_str(json_text).unwrap()
}

#[test]
fn what_an_sns_target_receives() {
    let whole = target(r#"{"Id": "t", "Arn": "arn:aws:sns:us-east-1:123456789012:alerts"}"#);
    assert_eq!(
        target_input(&whole, EC2_EVENT, &CONTEXT).unwrap(),
        EC2_EVENT
    );
    let constant = target(
        r#"{"Id": "t", "Arn": "arn:aws:sns:us-east-1:123456789012:alerts", "Input": "{\"alert\": 1}"}"#,
    );
    assert_eq!(
        target_input(&constant, EC2_EVENT, &CONTEXT).unwrap(),
        r#"{"alert": 1}"#
    );
    let detail = target(
        r#"{"Id": "t", "Arn": "arn:aws:sns:us-east-1:123456789012:alerts", "InputPath": "$.detail"}"#,
    );
    assert_eq!(
        json(&target_input(&detail, EC2_EVENT, &CONTEXT).unwrap()),
        json(r#"{"instance-id": "i-0123456789", "state": "RUNNING"}"#)
    );
    let missing = target(
        r#"{"Id": "t", "Arn": "arn:aws:sns:us-east-1:123456789012:alerts", "InputPath": "$.detail.x"}"#,
    );
    assert_eq!(
        target_input(&missing, EC2_EVENT, &CONTEXT)
            .unwrap_err()
            .code(),
        "path-not-found"
    );
    let transformed = target(
        r#"{"Id": "t", "Arn": "arn:aws:sns:us-east-1:123456789012:alerts",
            "InputTransformer": {"InputPathsMap": {"s": "$.detail.state"}, "InputTemplate": "\"state <s>\""}}"#,
    );
    assert_eq!(
        target_input(&transformed, EC2_EVENT, &CONTEXT).unwrap(),
        "\"state RUNNING\""
    );
    let both = target(
        r#"{"Id": "t", "Arn": "arn:aws:sns:us-east-1:123456789012:alerts", "Input": "{}", "InputPath": "$"}"#,
    );
    assert_eq!(
        target_input(&both, EC2_EVENT, &CONTEXT).unwrap_err().code(),
        "conflicting-inputs"
    );
    let not_json = target(
        r#"{"Id": "t", "Arn": "arn:aws:sns:us-east-1:123456789012:alerts", "Input": "hello"}"#,
    );
    assert_eq!(
        target_input(&not_json, EC2_EVENT, &CONTEXT)
            .unwrap_err()
            .code(),
        "invalid-input"
    );
    assert_eq!(
        target_input(&whole, "{", &CONTEXT).unwrap_err().code(),
        "invalid-event"
    );
}
