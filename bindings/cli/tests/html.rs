//! `trailmatch scan --format html`: one chart per alarm and per anomaly, hostile text from the
//! logs, the rules and file names shown as text, and no reference to anything outside the file.
//!
//! The page is read with html5gum, a WHATWG-conformant tokenizer: what a browser would make an
//! element is a start tag here, whatever the text around it.

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use common::run_in;
use html5gum::{DefaultEmitter, Token, Tokenizer};
use serde_json::{Value, json};

/// One start tag: its name and attributes.
#[derive(Debug)]
struct Tag {
    name: String,
    attributes: BTreeMap<String, String>,
}

impl Tag {
    fn class(&self) -> &str {
        self.attributes.get("class").map_or("", String::as_str)
    }
}

/// What the page is made of, in order.
#[derive(Debug)]
enum Part {
    Start(Tag),
    End(String),
    Text(String),
}

fn parse(html: &str) -> Vec<Part> {
    let mut emitter = DefaultEmitter::default();
    // Raw text (style, title, script) as a browser tokenizes it.
    emitter.naively_switch_states(true);
    let text = |bytes: &[u8]| String::from_utf8_lossy(bytes).into_owned();
    let mut parts = Vec::new();
    for token in Tokenizer::new_with_emitter(html, emitter) {
        match token.unwrap() {
            Token::StartTag(tag) => parts.push(Part::Start(Tag {
                name: text(&tag.name),
                attributes: tag
                    .attributes
                    .iter()
                    .map(|(k, v)| (text(k), text(&v.value)))
                    .collect(),
            })),
            Token::EndTag(tag) => parts.push(Part::End(text(&tag.name))),
            Token::String(s) => parts.push(Part::Text(text(&s.value))),
            Token::Error(e) => panic!("the page is not well-formed HTML: {:?}", e.value),
            Token::Comment(_) | Token::Doctype(_) => {}
        }
    }
    parts
}

fn tags(parts: &[Part]) -> impl Iterator<Item = &Tag> {
    parts.iter().filter_map(|p| match p {
        Part::Start(tag) => Some(tag),
        _ => None,
    })
}

/// All the page's text, as a browser shows it (entities decoded).
fn text(parts: &[Part]) -> String {
    parts
        .iter()
        .filter_map(|p| match p {
            Part::Text(t) => Some(t.as_str()),
            _ => None,
        })
        .collect()
}

/// The `article` elements of class `class`, each as the classes of the elements inside it.
fn articles<'a>(parts: &'a [Part], class: &str) -> Vec<Vec<&'a Tag>> {
    let mut found = Vec::new();
    let mut inside: Option<Vec<&Tag>> = None;
    for part in parts {
        match part {
            Part::Start(tag) if tag.name == "article" => {
                assert!(inside.is_none(), "articles do not nest");
                if tag.class().split(' ').any(|c| c == class) {
                    inside = Some(Vec::new());
                }
            }
            Part::Start(tag) => {
                if let Some(tags) = &mut inside {
                    tags.push(tag);
                }
            }
            Part::End(name) if name == "article" => found.extend(inside.take()),
            _ => {}
        }
    }
    found
}

fn has(tags: &[&Tag], name: &str, class: &str) -> usize {
    tags.iter()
        .filter(|t| t.name == name && t.class().split(' ').any(|c| c == class))
        .count()
}

/// No attribute loads or links anything outside the page, no style sheet imports or fetches
/// anything, and the page runs nothing.
fn assert_self_contained(parts: &[Part]) {
    const LINKS: [&str; 10] = [
        "src",
        "href",
        "xlink:href",
        "action",
        "formaction",
        "poster",
        "data",
        "srcset",
        "background",
        "ping",
    ];
    for tag in tags(parts) {
        assert!(
            ![
                "script", "img", "iframe", "object", "embed", "link", "image", "use"
            ]
            .contains(&tag.name.as_str()),
            "a <{}> element: {tag:?}",
            tag.name
        );
        for (name, value) in &tag.attributes {
            assert!(!name.starts_with("on"), "an event handler: {tag:?}");
            if LINKS.contains(&name.as_str()) {
                let value = value.trim().to_ascii_lowercase();
                assert!(
                    value.starts_with('#'),
                    "{name}={value:?} in {tag:?}: only links within the page"
                );
            }
            assert!(
                !value.to_ascii_lowercase().contains("url("),
                "{name}={value:?}: a url() in a style"
            );
        }
    }
    // The style sheet (the one <style> element's text) fetches nothing.
    let mut in_style = false;
    for part in parts {
        match part {
            Part::Start(tag) if tag.name == "style" => in_style = true,
            Part::End(name) if name == "style" => in_style = false,
            Part::Text(css) if in_style => {
                let css = css.to_ascii_lowercase();
                assert!(!css.contains("url(") && !css.contains("@import"), "{css}");
            }
            _ => {}
        }
    }
}

fn scan_html(dir: &Path, args: &[&str]) -> String {
    let out = dir.join("report.html");
    let mut all = vec!["scan", "--format", "html", "-o", out.to_str().unwrap()];
    all.extend_from_slice(args);
    let run = run_in(dir, &all, None);
    assert_eq!(run.status, 0, "{}", run.stderr);
    assert_eq!(run.stdout, "", "-o: nothing on standard output");
    std::fs::read_to_string(out).unwrap()
}

fn temp_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("trailmatch-html-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn the_samples_report_has_a_chart_per_alarm_and_per_anomaly() {
    let dir = temp_dir("sample");
    let html = scan_html(&dir, &[]);
    let json: Value =
        serde_json::from_str(&run_in(&dir, &["scan", "--format", "json"], None).stdout).unwrap();
    let alarms = json["alarms"].as_array().unwrap();
    assert_eq!(alarms.len(), 15, "the CIS pack's alarms");
    let parts = parse(&html);
    assert_self_contained(&parts);

    let alarm_articles = articles(&parts, "alarm");
    assert_eq!(alarm_articles.len(), alarms.len());
    for (article, alarm) in alarm_articles.iter().zip(alarms) {
        assert_eq!(
            has(article, "svg", "chart"),
            1,
            "one chart for {}",
            alarm["name"]
        );
        for layer in [
            "axes",
            "threshold",
            "datapoints",
            "alarm-periods",
            "transitions",
        ] {
            assert_eq!(has(article, "g", layer), 1, "{layer} of {}", alarm["name"]);
        }
        // The threshold is a line across the chart.
        let threshold = article
            .iter()
            .skip_while(|t| !(t.name == "g" && t.class() == "threshold"))
            .find(|t| t.name == "polyline");
        assert!(threshold.is_some(), "threshold line of {}", alarm["name"]);
    }
    // The page names each alarm in its order.
    let page = text(&parts);
    let mut at = 0;
    for alarm in alarms {
        let name = alarm["name"].as_str().unwrap();
        at += page[at..]
            .find(name)
            .unwrap_or_else(|| panic!("{name} not shown"));
    }
    // Each fired alarm's chart shades its ALARM periods and marks its state changes; the
    // others have no shading.
    for (article, alarm) in alarm_articles.iter().zip(alarms) {
        let layer = |class: &str, element: &str| {
            article
                .iter()
                .skip_while(|t| !(t.name == "g" && t.class() == class))
                .skip(1)
                .take_while(|t| t.name != "g")
                .filter(|t| t.name == element)
                .count()
        };
        let transitions = alarm["transitions"].as_array().unwrap();
        let fired = transitions.iter().filter(|t| t["to"] == "ALARM").count();
        assert_eq!(layer("alarm-periods", "rect"), fired, "{}", alarm["name"]);
        assert_eq!(
            layer("transitions", "polyline"),
            transitions.len(),
            "{}",
            alarm["name"]
        );
    }
    assert_eq!(
        alarms
            .iter()
            .filter(|a| a["transitions"]
                .as_array()
                .unwrap()
                .iter()
                .any(|t| t["to"] == "ALARM"))
            .count(),
        4
    );

    let anomalies = articles(&parts, "anomaly");
    let starts = json["anomalies"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["insightDetails"]["state"] == "Start")
        .count();
    assert_eq!((anomalies.len(), starts), (3, 3));
    for article in &anomalies {
        assert_eq!(has(article, "svg", "chart"), 1);
        for layer in ["band", "baseline", "unusual", "rate", "counts", "insight"] {
            assert_eq!(has(article, "g", layer), 1, "{layer}");
        }
    }
    // The record accounting and the rules table.
    let counts = &json["records"];
    for (what, n) in [
        ("read", &counts["read"]),
        ("matched", &counts["matched"]),
        ("unmatched", &counts["unmatched"]),
        ("filtered", &counts["filtered"]),
        ("skipped", &counts["skipped"]),
    ] {
        assert!(page.contains(&format!("{what}{n}")), "{what} {n}");
    }
    let rules = json["rules"].as_array().unwrap();
    let rows = tags(&parts).filter(|t| t.name == "tr").count();
    assert!(rows > rules.len());
    for rule in rules {
        assert!(page.contains(rule["name"].as_str().unwrap()));
        assert!(page.contains(rule["pattern"].as_str().unwrap()));
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

const SCRIPT: &str = "<script>alert(1)</script>";
const IMG: &str = "\"><img src=x onerror=alert(1)>";

/// Issue 17: an alarm name, a rule name, a pattern, a description, record fields and a file
/// name holding markup show as text, and the page is still self-contained.
#[test]
fn hostile_text_from_logs_rules_and_file_names_shows_as_text() {
    let dir = temp_dir("hostile");
    let rules = format!(
        r#"
[[metricFilters]]
filterName = '{SCRIPT}'
filterPattern = '{{ $.eventName = "StopLogging" || $.userAgent = "{quoted}" }}'
metricTransformations = [{{ metricName = 'M{IMG}', metricNamespace = 'N{SCRIPT}', metricValue = "1" }}]

[[metricFilters]]
filterName = '{IMG}'
filterPattern = '{{ $.eventName = "{SCRIPT}" }}'
metricTransformations = [{{ metricName = "Hostile", metricNamespace = "Security", metricValue = "1" }}]

[[MetricAlarms]]
AlarmName = '{SCRIPT}'
AlarmDescription = '{IMG}'
MetricName = 'M{IMG}'
Namespace = 'N{SCRIPT}'
Statistic = "Sum"
Period = 300
EvaluationPeriods = 1
Threshold = 1
ComparisonOperator = "GreaterThanOrEqualToThreshold"

[[MetricAlarms]]
AlarmName = '{IMG}'
MetricName = "Hostile"
Namespace = "Security"
Statistic = "Sum"
Period = 60
EvaluationPeriods = 1
Threshold = 5
ComparisonOperator = "GreaterThanOrEqualToThreshold"
"#,
        quoted = IMG.replace('"', "\\\"")
    );
    std::fs::write(dir.join("rules.toml"), rules).unwrap();
    // Quiet traffic for an hour, then a burst of calls whose eventName is markup: an anomaly
    // and an alarm; one call with a hostile user agent; a line that is not JSON, in a file whose
    // name is markup.
    let mut lines = Vec::new();
    let record = |minute: u32, second: u32, name: &str, agent: &str| {
        json!({
            "eventVersion": "1.08",
            "eventTime": format!("2026-11-23T{:02}:{:02}:{second:02}Z", 10 + minute / 60, minute % 60),
            "eventSource": format!("{SCRIPT}.amazonaws.com"),
            "eventName": name,
            "eventType": "AwsApiCall",
            "eventCategory": "Management",
            "managementEvent": true,
            "readOnly": false,
            "errorCode": IMG,
            "awsRegion": "us-east-1",
            "recipientAccountId": "111122223333",
            "userAgent": agent,
        })
        .to_string()
    };
    for minute in 0..60 {
        lines.push(record(minute, 0, SCRIPT, "cli"));
    }
    for minute in 60..64 {
        for second in 0..30 {
            lines.push(record(minute, second, SCRIPT, "cli"));
        }
    }
    lines.push(record(65, 0, "DescribeTrails", IMG));
    lines.push(format!("{{\"Records\": {IMG}"));
    let log = dir.join(format!("{}.jsonl", IMG.replace('/', "_")));
    std::fs::write(&log, lines.join("\n")).unwrap();
    let html = scan_html(
        &dir,
        &[
            "--rules",
            "rules.toml",
            "--insights-min-history",
            "30",
            log.file_name().unwrap().to_str().unwrap(),
        ],
    );
    let parts = parse(&html);
    assert_self_contained(&parts);
    let page = text(&parts);
    // Shown, as text: the alarm and rule names, the description, the metric, the record fields
    // in the anomaly, the pattern, the file name in the skip.
    assert!(page.contains(&format!("{SCRIPT} ")), "the alarm name");
    assert!(page.contains(&format!("{IMG} ")), "the second alarm's name");
    assert!(page.contains(&format!("N{SCRIPT} / M{IMG}")), "the metric");
    assert!(
        page.contains(&format!(
            "ApiCallRateInsight: {SCRIPT}.amazonaws.com {SCRIPT}"
        )),
        "the anomaly's record fields"
    );
    assert!(
        page.contains(&format!(r#"$.userAgent = "\{IMG}""#)),
        "the pattern"
    );
    assert!(page.contains(&format!("{IMG}.jsonl")), "the file name");
    // Both alarms have their chart, and both fired.
    let alarms = articles(&parts, "alarm");
    assert_eq!(alarms.len(), 2);
    for article in &alarms {
        assert_eq!(has(article, "svg", "chart"), 1);
    }
    assert_eq!(
        articles(&parts, "anomaly").len(),
        2,
        "call rate and error rate"
    );
    assert!(page.matches("ALARM").count() >= 2);
    // The text is there, the elements are not: assert_self_contained found no <script> or
    // <img>, and no attribute holds an event handler. The only elements are the page's own.
    let names: std::collections::BTreeSet<&str> = tags(&parts).map(|t| t.name.as_str()).collect();
    let own = [
        "a",
        "article",
        "body",
        "circle",
        "code",
        "dd",
        "dl",
        "dt",
        "figcaption",
        "figure",
        "g",
        "h1",
        "h2",
        "h3",
        "head",
        "header",
        "html",
        "li",
        "line",
        "meta",
        "nav",
        "p",
        "polyline",
        "rect",
        "section",
        "span",
        "style",
        "svg",
        "table",
        "tbody",
        "td",
        "text",
        "th",
        "thead",
        "time",
        "title",
        "tr",
        "ul",
        "footer",
    ];
    for name in &names {
        assert!(own.contains(name), "<{name}> is not the page's own");
    }
    // Attribute values hold no markup that broke out: every aria-label with the alarm name
    // is whole.
    assert!(tags(&parts).any(|t| {
        t.attributes.get("aria-label").map(String::as_str)
            == Some(&*format!("{SCRIPT} against its threshold"))
    }));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn the_report_goes_to_standard_output_without_o_and_ndjson_refuses_o() {
    let dir = temp_dir("stdout");
    let run = run_in(&dir, &["scan", "--format", "html"], None);
    assert_eq!(run.status, 0, "{}", run.stderr);
    assert!(run.stdout.starts_with("<!DOCTYPE html>"));
    assert!(run.stdout.trim_end().ends_with("</html>"));
    let run = run_in(
        &dir,
        &["scan", "--format", "ndjson", "-o", "x.ndjson"],
        None,
    );
    assert_eq!(run.status, 2);
    assert!(run.stderr.contains("-o"), "{}", run.stderr);
    // Output that cannot be written: exit status 1, as `--help` says (a directory too).
    let run = run_in(&dir, &["scan", "-o", "no/such/dir/report.html"], None);
    assert_eq!(run.status, 1);
    assert!(
        run.stderr.contains("no/such/dir/report.html"),
        "{}",
        run.stderr
    );
    let run = run_in(&dir, &["scan", "-o", "."], None);
    assert_eq!(run.status, 1, "{}", run.stderr);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Regression: metric values near `f64::MAX` made the chart's axis range infinite, and plotters
/// stepped through it for ever. Any value a log can hold is charted (drawn at the chart's edge
/// beyond ±1e15), in any alarm.
#[test]
fn extreme_metric_values_are_charted() {
    let dir = temp_dir("extreme");
    std::fs::write(
        dir.join("rules.toml"),
        r#"
[[metricFilters]]
filterName = "n"
filterPattern = '{ $.n = * }'
metricTransformations = [{ metricName = "N", metricNamespace = "T", metricValue = "$.n" }]

[[MetricAlarms]]
AlarmName = "huge"
MetricName = "N"
Namespace = "T"
Statistic = "Sum"
Period = 60
EvaluationPeriods = 1
Threshold = 1e300
ComparisonOperator = "GreaterThanOrEqualToThreshold"

[[MetricAlarms]]
AlarmName = "tiny"
MetricName = "N"
Namespace = "T"
Statistic = "Minimum"
Period = 60
EvaluationPeriods = 1
Threshold = -1e-300
ComparisonOperator = "LessThanThreshold"
"#,
    )
    .unwrap();
    let values = [1.7e308, -1.7e308, 1e308, 5e-324, 0.0, -4e15, 3e15];
    let log: Vec<String> = values
        .iter()
        .enumerate()
        .map(|(i, n)| {
            json!({"eventTime": format!("2026-11-23T10:{i:02}:00Z"), "eventName": "X", "n": n})
                .to_string()
        })
        .collect();
    std::fs::write(dir.join("log.jsonl"), log.join("\n")).unwrap();
    let run = common::run_within(
        &dir,
        &[
            "scan",
            "--rules",
            "rules.toml",
            "log.jsonl",
            "--format",
            "html",
            "-o",
            "r.html",
        ],
        60,
    );
    assert_eq!(run.status, 0, "{}", run.stderr);
    let parts = parse(&std::fs::read_to_string(dir.join("r.html")).unwrap());
    let alarms = articles(&parts, "alarm");
    assert_eq!(alarms.len(), 2);
    for article in &alarms {
        assert_eq!(has(article, "svg", "chart"), 1);
        assert_eq!(has(article, "g", "threshold"), 1);
    }
    std::fs::remove_dir_all(&dir).unwrap();
}
