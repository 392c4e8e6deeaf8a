use std::ops::Range;

use serde_json::{Value, json};

use super::*;

/// 2024-03-01T00:00:00Z.
const T0: i64 = 1_709_251_200_000;
const DAY: i64 = 24 * 60;
const ACCOUNT: &str = "123456789012";
const ALICE: &str = "arn:aws:iam::123456789012:user/alice";
const MALLORY: &str = "arn:aws:iam::123456789012:user/mallory";
const CLI: &str = "aws-cli/2.15.0 Python/3.11.6 Linux/6.1 exe/x86_64";
const CURL: &str = "curl/8.5.0";
const INTRUDER: &str = "arn:aws:sts::123456789012:assumed-role/ci-deploy/intruder";
const INTRUDER_AGENT: &str = "intruder-tool/0.1";
const ROLES: [&str; 4] = [
    "arn:aws:sts::123456789012:assumed-role/app-web/i-0a1",
    "arn:aws:sts::123456789012:assumed-role/app-batch/i-0b2",
    "arn:aws:sts::123456789012:assumed-role/autoscaling/i-0c3",
    "arn:aws:iam::123456789012:user/ops",
];
const AGENTS: [&str; 4] = [
    "aws-sdk-go/1.44.0",
    "aws-cli/2.15.0",
    "Boto3/1.34.0",
    "console.amazonaws.com",
];

#[derive(Clone, Debug)]
struct Event {
    time_ms: i64,
    source: &'static str,
    name: &'static str,
    read_only: bool,
    error: Option<&'static str>,
    arn: &'static str,
    agent: &'static str,
    region: &'static str,
}

impl Event {
    fn observation(&self) -> Observation<'_> {
        Observation {
            time_ms: self.time_ms,
            event_source: self.source,
            event_name: self.name,
            read_only: Some(self.read_only),
            error_code: self.error,
            user_identity_arn: Some(self.arn),
            user_agent: Some(self.agent),
            aws_region: Some(self.region),
            recipient_account_id: Some(ACCOUNT),
        }
    }
}

fn detect(config: Config, events: &[Event]) -> Vec<Insight> {
    let mut detector = Detector::new(config).unwrap();
    for event in events {
        detector.observe(&event.observation());
    }
    detector.finish()
}

fn minute_ms(minute: i64) -> i64 {
    T0 + minute * 60_000
}

// ----- hand-computed traffic: exact counts per minute -----

/// `per_minute(m)` write calls of `ec2.amazonaws.com` `name` in each minute of `minutes`, spread
/// over the minute.
fn calls(
    events: &mut Vec<Event>,
    name: &'static str,
    minutes: Range<i64>,
    per_minute: impl Fn(i64) -> i64,
    arn: &'static str,
    agent: &'static str,
) {
    for minute in minutes {
        let n = per_minute(minute);
        for i in 0..n {
            events.push(Event {
                time_ms: minute_ms(minute) + i * 59_000 / n.max(1),
                source: "ec2.amazonaws.com",
                name,
                read_only: false,
                error: None,
                arn,
                agent,
                region: "us-east-1",
            });
        }
    }
}

/// 10 CreateTags calls a minute by alice over minutes 0..400.
fn steady_ten() -> Vec<Event> {
    let mut events = Vec::new();
    calls(&mut events, "CreateTags", 0..400, |_| 10, ALICE, CLI);
    events
}

/// (start minute, end minute) of each insight, relative to T0.
fn spans(insights: &[Insight]) -> Vec<(i64, Option<i64>)> {
    insights
        .iter()
        .map(|i| {
            (
                (i.start_ms - T0) / 60_000,
                i.end_ms.map(|e| (e - T0) / 60_000),
            )
        })
        .collect()
}

fn statistics(record: &Value) -> &Value {
    &record["insightDetails"]["insightContext"]["statistics"]
}

fn attribution<'a>(record: &'a Value, attribute: &str) -> &'a Value {
    record["insightDetails"]["insightContext"]["attributions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["attribute"] == attribute)
        .unwrap_or_else(|| panic!("no {attribute} attribution in {record}"))
}

fn first_value(record: &Value, attribute: &str) -> String {
    attribution(record, attribute)["insight"][0]["value"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// Baseline 10 a minute (σ = 0, 297 minutes), 30 more by mallory in minutes 300..303.
///
/// Rate windows (5 minutes): t=300 → 80/5 = 16 (< 2·10), t=301 → 110/5 = 22: raised at 301, start
/// 300 (first minute with an unusual count). Hot up to t=305 ([301..305] = 110); 306..310 are not
/// (80, 50, 50, 50, 50), so it ends at t=310, after the last unusual minute 302: end 303.
#[test]
fn records_hold_hand_computed_statistics_and_attributions() {
    let mut events = steady_ten();
    calls(&mut events, "CreateTags", 300..303, |_| 30, MALLORY, CURL);
    let insights = detect(Config::default(), &events);
    assert_eq!(spans(&insights), [(300, Some(303))]);
    let insight = &insights[0];
    assert_eq!(insight.insight_type, InsightType::ApiCallRateInsight);
    assert_eq!(insight.event_source, "ec2.amazonaws.com");
    assert_eq!(insight.event_name, "CreateTags");
    assert_eq!(insight.error_code, None);
    assert_eq!(insight.aws_region.as_deref(), Some("us-east-1"));
    assert_eq!(insight.recipient_account_id.as_deref(), Some(ACCOUNT));
    assert_eq!(insight.baseline_average, 10.0);
    assert_eq!(insight.insight_average, 22.0);

    let start = &insight.start;
    let end = insight.end.as_ref().unwrap();
    let shared = start["sharedEventID"].as_str().unwrap();
    assert_eq!(end["sharedEventID"], shared);
    assert_ne!(start["eventID"], end["eventID"]);

    let expected_start = json!({
        "eventVersion": "1.07",
        "eventTime": "2024-03-01T05:00:00Z",
        "awsRegion": "us-east-1",
        "eventID": start["eventID"],
        "eventType": "AwsCloudTrailInsight",
        "recipientAccountId": ACCOUNT,
        "sharedEventID": shared,
        "insightDetails": {
            "state": "Start",
            "eventSource": "ec2.amazonaws.com",
            "eventName": "CreateTags",
            "insightType": "ApiCallRateInsight",
            "insightContext": {
                "statistics": {
                    "baseline": {"average": 10},
                    "insight": {"average": 22},
                    "insightDuration": 5,
                    "baselineDuration": 297
                },
                "attributions": [
                    {
                        "attribute": "userIdentityArn",
                        "insight": [{"value": MALLORY, "average": 12}, {"value": ALICE, "average": 10}],
                        "baseline": [{"value": ALICE, "average": 10}]
                    },
                    {
                        "attribute": "userAgent",
                        "insight": [{"value": CURL, "average": 12}, {"value": CLI, "average": 10}],
                        "baseline": [{"value": CLI, "average": 10}]
                    },
                    {
                        "attribute": "errorCode",
                        "insight": [{"value": "null", "average": 22}],
                        "baseline": [{"value": "null", "average": 10}]
                    }
                ]
            }
        },
        "eventCategory": "Insight"
    });
    assert_eq!(start, &expected_start);
    // Member order too, not only content: as in AWS's call-rate Start example.
    let aws = AWS_EXAMPLES.lines().next().unwrap();
    assert_eq!(member_order(&written(start)), member_order(aws));

    let expected_end = json!({
        "eventVersion": "1.07",
        "eventTime": "2024-03-01T05:03:00Z",
        "awsRegion": "us-east-1",
        "eventID": end["eventID"],
        "eventType": "AwsCloudTrailInsight",
        "recipientAccountId": ACCOUNT,
        "sharedEventID": shared,
        "insightDetails": {
            "state": "End",
            "eventSource": "ec2.amazonaws.com",
            "eventName": "CreateTags",
            "insightType": "ApiCallRateInsight",
            "insightContext": {
                "statistics": {
                    "baseline": {"average": 10},
                    "insight": {"average": 40},
                    "insightDuration": 3,
                    "baselineDuration": 297
                },
                "attributions": [
                    {
                        "attribute": "userIdentityArn",
                        "insight": [{"value": MALLORY, "average": 30}, {"value": ALICE, "average": 10}],
                        "baseline": [{"value": ALICE, "average": 10}]
                    },
                    {
                        "attribute": "userAgent",
                        "insight": [{"value": CURL, "average": 30}, {"value": CLI, "average": 10}],
                        "baseline": [{"value": CLI, "average": 10}]
                    },
                    {
                        "attribute": "errorCode",
                        "insight": [{"value": "null", "average": 40}],
                        "baseline": [{"value": "null", "average": 10}]
                    }
                ]
            }
        },
        "eventCategory": "Insight"
    });
    assert_eq!(end, &expected_end);
    assert_eq!(member_order(&written(end)), member_order(&written(start)));
}

#[test]
fn the_namespace_is_the_name_based_uuid_it_says() {
    assert_eq!(
        super::INSIGHTS_NAMESPACE,
        uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_URL, b"trailmatch:insights")
    );
}

#[test]
fn ids_are_uuid_shaped_and_deterministic() {
    let mut events = steady_ten();
    calls(&mut events, "CreateTags", 300..303, |_| 30, MALLORY, CURL);
    let once = detect(Config::default(), &events);
    let twice = detect(Config::default(), &events);
    assert_eq!(once, twice);
    let record = &once[0].start;
    for field in ["eventID", "sharedEventID"] {
        let id = record[field].as_str().unwrap();
        let groups: Vec<usize> = id.split('-').map(str::len).collect();
        assert_eq!(groups, [8, 4, 4, 4, 12], "{id}");
        assert!(id.chars().all(|c| c == '-' || c.is_ascii_hexdigit()));
        assert_eq!(id.chars().nth(14), Some('5'), "version nibble of {id}");
        assert!(
            matches!(id.chars().nth(19), Some('8' | '9' | 'a' | 'b')),
            "{id}"
        );
    }
    // A different burst start gives a different shared ID.
    let mut later = steady_ten();
    calls(&mut later, "CreateTags", 320..323, |_| 30, MALLORY, CURL);
    let other = detect(Config::default(), &later);
    assert_eq!(spans(&other), [(320, Some(323))]);
    assert_ne!(other[0].start["sharedEventID"], record["sharedEventID"]);
}

/// The baseline band and the series around an insight, for a chart: baseline 10 a minute
/// (σ = 0), 30 more in minutes 300..303, as above.
#[test]
fn an_insight_carries_its_band_and_the_counts_around_it() {
    let mut events = steady_ten();
    calls(&mut events, "CreateTags", 300..303, |_| 30, MALLORY, CURL);
    let insights = detect(Config::default(), &events);
    assert_eq!(spans(&insights), [(300, Some(303))]);
    let insight = &insights[0];
    assert_eq!(
        (insight.baseline_average, insight.baseline_stddev),
        (10.0, 0.0)
    );
    // max(μ + 4σ, 2μ).
    assert_eq!(insight.unusual_above, 20.0);
    let history = &insight.history;
    // Two hours before the start, half an hour after the end (the input goes on to 399).
    assert_eq!(
        (history.from_ms, history.to_ms),
        (minute_ms(180), minute_ms(333))
    );
    let points: Vec<_> = history.points().collect();
    assert_eq!(points.len(), 333 - 180);
    let at = |minute: i64| {
        points
            .iter()
            .find(|p| p.minute_ms == minute_ms(minute))
            .unwrap()
    };
    assert_eq!((at(180).count, at(180).rate), (10, 10.0));
    assert_eq!((at(301).count, at(301).rate), (40, 22.0));
    assert_eq!((at(332).count, at(332).rate), (10, 10.0));
    // Over the whole insight, 300..303: 40 a minute; the rate that raised it (at 301): 22.
    assert_eq!((insight.average(), insight.insight_average), (40.0, 22.0));

    // An insight still open at the end of the input: shown to the input's last minute.
    let mut events = steady_ten();
    calls(&mut events, "CreateTags", 395..400, |_| 30, MALLORY, CURL);
    let insights = detect(Config::default(), &events);
    let history = &insights[0].history;
    assert_eq!(
        (history.from_ms, history.to_ms),
        (minute_ms(275), minute_ms(400))
    );
}

#[test]
fn an_insight_open_at_the_end_of_input_has_no_end_record() {
    let mut events = steady_ten();
    calls(&mut events, "CreateTags", 395..400, |_| 30, MALLORY, CURL);
    let insights = detect(Config::default(), &events);
    assert_eq!(spans(&insights), [(395, None)]);
    assert_eq!(insights[0].end, None);
}

#[test]
fn regions_are_separate_series() {
    let mut events = steady_ten();
    let west = events.clone().into_iter().map(|mut e| {
        e.region = "us-west-2";
        e
    });
    events.extend(west.collect::<Vec<_>>());
    let mut burst = Vec::new();
    calls(&mut burst, "CreateTags", 300..303, |_| 30, MALLORY, CURL);
    events.extend(burst.into_iter().map(|mut e| {
        e.region = "us-west-2";
        e
    }));
    let insights = detect(Config::default(), &events);
    assert_eq!(spans(&insights), [(300, Some(303))]);
    assert_eq!(insights[0].aws_region.as_deref(), Some("us-west-2"));
    assert_eq!(insights[0].start["awsRegion"], "us-west-2");
    assert_eq!(insights[0].baseline_average, 10.0);
}

// ----- every margin changes the outcome as documented -----

/// Baseline alternating 5 and 15 (μ ≈ 9.98, σ = 5.0); 40 in minutes 300 and 301 gives rate
/// windows of at most 23: under μ + 4σ ≈ 29.98 (and μ + 3σ ≈ 24.98), over μ + 2σ ≈ 19.98.
#[test]
fn stddev_margin() {
    let mut events = Vec::new();
    let count = |m: i64| match m {
        300 | 301 => 40,
        m if m % 2 == 0 => 5,
        _ => 15,
    };
    calls(&mut events, "CreateTags", 0..400, count, ALICE, CLI);
    assert_eq!(spans(&detect(Config::default(), &events)), []);
    let config = Config {
        stddev_margin: 2.0,
        ..Config::default()
    };
    // Raised at t=301 ([297..301] = 115), hot to t=304, last unusual minute 301.
    let insights = detect(config, &events);
    assert_eq!(spans(&insights), [(300, Some(302))]);
    assert!((insights[0].baseline_average - 2965.0 / 297.0).abs() < 1e-12);
}

/// Baseline 10 (σ = 0); 18 a minute for ten minutes is under 2× but over 1.5×.
#[test]
fn min_ratio() {
    let mut events = Vec::new();
    let count = |m: i64| if (300..310).contains(&m) { 18 } else { 10 };
    calls(&mut events, "CreateTags", 0..400, count, ALICE, CLI);
    assert_eq!(spans(&detect(Config::default(), &events)), []);
    let config = Config {
        min_ratio: 1.5,
        ..Config::default()
    };
    // Windows: t=302 → 14.8, t=303 → 16.4 ≥ 15: raised; start 300. t=310 → 16.4 is the last hot
    // window, 311 → 14.8; the last unusual minute is 309.
    let insights = detect(config, &events);
    assert_eq!(spans(&insights), [(300, Some(310))]);
    assert_eq!(insights[0].insight_average, 16.4);
}

/// Four DeleteVpc calls on an API never called before (baseline 0).
#[test]
fn min_count() {
    let mut events = steady_ten();
    calls(&mut events, "DeleteVpc", 300..301, |_| 4, MALLORY, CURL);
    assert_eq!(spans(&detect(Config::default(), &events)), []);
    let config = Config {
        min_count: 4,
        ..Config::default()
    };
    let insights = detect(config, &events);
    assert_eq!(spans(&insights), [(300, Some(301))]);
    assert_eq!(insights[0].event_name, "DeleteVpc");
    assert_eq!(insights[0].baseline_average, 0.0);
    assert_eq!(statistics(&insights[0].start)["insight"]["average"], 0.8);
    assert_eq!(statistics(&insights[0].start)["baseline"]["average"], 0);
}

/// A series of one event is kept in place (most series of an organization's trail), and read
/// as a series wherever one is needed: with `min_count` 1 it raises an insight, with its
/// attributions; its counts travel as any series' and come back in place; merged into a
/// series, or a series merged into it, it counts.
#[test]
fn series_of_one_event_are_kept_in_place_and_read_as_series() {
    assert!(std::mem::size_of::<Slot>() <= 24);
    assert_eq!(std::mem::size_of::<SeriesKey>(), 20);
    let mut events = steady_ten();
    calls(&mut events, "DeleteVpc", 300..301, |_| 1, MALLORY, CURL);
    let config = Config {
        min_count: 1,
        ..Config::default()
    };
    let mut detector = Detector::new(config.clone()).unwrap();
    for event in &events {
        detector.observe(&event.observation());
    }
    let in_place = |d: &Detector| {
        (d.series.values())
            .filter(|slot| matches!(slot, Slot::One { .. }))
            .count()
    };
    assert_eq!(in_place(&detector), 1);
    let counts = detector.counts();
    let again = Detector::from_counts(config.clone(), counts.clone()).unwrap();
    assert_eq!(in_place(&again), 1);
    assert_eq!(again.counts(), counts);
    let insights = detector.finish();
    assert_eq!(spans(&insights), [(300, Some(301))]);
    assert_eq!(insights[0].event_name, "DeleteVpc");
    assert_eq!(first_value(&insights[0].start, "userIdentityArn"), MALLORY);
    assert_eq!(first_value(&insights[0].start, "userAgent"), CURL);
    assert_eq!(again.finish(), insights);
    // A one-event series merged into a detector that numbers its strings otherwise (it saw
    // another call first), and such a detector merged into one holding the one-event series:
    // the merged series holds each event under its own strings, both ways, and a one-event
    // series the other detector alone has comes over in place, under its strings.
    let deletes = |others_first: bool, arns: &[&'static str]| {
        let mut d = Detector::new(config.clone()).unwrap();
        if others_first {
            let mut others = Vec::new();
            calls(&mut others, "CreateTags", 0..1, |_| 1, ALICE, CLI);
            others.iter().for_each(|e| d.observe(&e.observation()));
        }
        for &arn in arns {
            let mut delete = Vec::new();
            calls(&mut delete, "DeleteVpc", 300..301, |_| 1, arn, CURL);
            d.observe(&delete[0].observation());
        }
        d
    };
    let arns_of = |d: &Detector, api: &str| {
        let counts = d.counts();
        let name = |id: usize| counts.strings[id].clone();
        let api = counts.strings.iter().position(|s| s == api).unwrap();
        let series: Vec<&Series> = (counts.series.iter())
            .filter(|(key, _)| key.name.get() == api)
            .map(|(_, series)| series)
            .collect();
        let [series] = series[..] else {
            panic!("one series: {series:?}");
        };
        let mut arns: Vec<(String, u64)> = series.minutes[0]
            .1
            .values(ARN)
            .map(|(id, n)| (name(id), n))
            .collect();
        arns.sort();
        (series.total, arns)
    };
    let want = (3, vec![(MALLORY.to_owned(), 1), (INTRUDER.to_owned(), 2)]);
    let mut single = deletes(false, &[MALLORY]);
    assert_eq!(in_place(&single), 1);
    single.merge(deletes(true, &[INTRUDER, INTRUDER]));
    assert_eq!(arns_of(&single, "DeleteVpc"), want);
    // The other detector's own one-event series (CreateTags) comes over renamed.
    assert_eq!(in_place(&single), 1);
    assert_eq!(
        arns_of(&single, "CreateTags"),
        (1, vec![(ALICE.to_owned(), 1)])
    );
    let mut many = deletes(true, &[INTRUDER, INTRUDER]);
    many.merge(deletes(false, &[MALLORY]));
    assert_eq!(arns_of(&many, "DeleteVpc"), want);
    assert_eq!(in_place(&many), 1);
}

/// A burst one hour into the input: too early for 120 minutes of history, not for 30.
#[test]
fn min_history_minutes() {
    let mut events = steady_ten();
    calls(&mut events, "CreateTags", 60..63, |_| 30, MALLORY, CURL);
    assert_eq!(spans(&detect(Config::default(), &events)), []);
    let config = Config {
        min_history_minutes: 30,
        ..Config::default()
    };
    let insights = detect(config, &events);
    assert_eq!(spans(&insights), [(60, Some(63))]);
    assert_eq!(statistics(&insights[0].start)["baselineDuration"], 57);
}

/// 30 a minute for 300 minutes, then 10 for 600, then 25 for five minutes. Against everything
/// (μ ≈ 16.67, σ ≈ 9.43) the burst is ordinary; against the last 300 minutes (μ = 10, σ = 0) it
/// is not.
#[test]
fn baseline_minutes() {
    let mut events = Vec::new();
    let count = |m: i64| match m {
        0..300 => 30,
        900..905 => 25,
        _ => 10,
    };
    calls(&mut events, "CreateTags", 0..1000, count, ALICE, CLI);
    assert_eq!(spans(&detect(Config::default(), &events)), []);
    let config = Config {
        baseline_minutes: 300,
        ..Config::default()
    };
    let insights = detect(config, &events);
    assert_eq!(spans(&insights), [(900, Some(905))]);
    assert_eq!(insights[0].baseline_average, 10.0);
    assert_eq!(statistics(&insights[0].start)["baselineDuration"], 300);
}

/// One minute of 30 on a baseline of 10: a 5-minute average of 14, a 1-minute one of 30.
#[test]
fn rate_window_minutes() {
    let mut events = steady_ten();
    calls(&mut events, "CreateTags", 300..301, |_| 20, MALLORY, CURL);
    assert_eq!(spans(&detect(Config::default(), &events)), []);
    let config = Config {
        rate_window_minutes: 1,
        ..Config::default()
    };
    let insights = detect(config, &events);
    assert_eq!(spans(&insights), [(300, Some(301))]);
    let stats = statistics(&insights[0].start);
    assert_eq!(stats["insight"]["average"], 30);
    assert_eq!(stats["insightDuration"], 1);
    assert_eq!(stats["baselineDuration"], 300);
}

/// Two 3-minute bursts seven minutes apart: two insights when 5 quiet minutes end one, one
/// insight over both when 10 are needed (the rate window is back within the margin for only the
/// 5 minutes 306..310).
#[test]
fn end_quiet_minutes() {
    let mut events = steady_ten();
    calls(&mut events, "CreateTags", 300..303, |_| 30, MALLORY, CURL);
    calls(&mut events, "CreateTags", 310..313, |_| 30, MALLORY, CURL);
    let insights = detect(Config::default(), &events);
    assert_eq!(spans(&insights), [(300, Some(303)), (310, Some(313))]);
    assert_ne!(
        insights[0].start["sharedEventID"],
        insights[1].start["sharedEventID"]
    );
    let config = Config {
        end_quiet_minutes: 10,
        ..Config::default()
    };
    let insights = detect(config, &events);
    assert_eq!(spans(&insights), [(300, Some(313))]);
    let end = insights[0].end.as_ref().unwrap();
    // (3·40 + 7·10 + 3·40) / 13 calls a minute over the 13 minutes.
    assert_eq!(statistics(end)["insight"]["average"], 23.8461538462);
    assert_eq!(statistics(end)["insightDuration"], 13);
}

#[test]
fn max_attributions() {
    const USERS: [(&str, i64); 6] = [
        ("arn:aws:iam::123456789012:user/u1", 12),
        ("arn:aws:iam::123456789012:user/u2", 8),
        ("arn:aws:iam::123456789012:user/u3", 5),
        ("arn:aws:iam::123456789012:user/u4", 3),
        ("arn:aws:iam::123456789012:user/u5", 1),
        ("arn:aws:iam::123456789012:user/u6", 1),
    ];
    let mut events = steady_ten();
    for (user, n) in USERS {
        calls(&mut events, "CreateTags", 300..303, |_| n, user, CURL);
    }
    let values = |insights: &[Insight]| -> Vec<(String, Value)> {
        attribution(&insights[0].start, "userIdentityArn")["insight"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| {
                (
                    v["value"].as_str().unwrap().to_owned(),
                    v["average"].clone(),
                )
            })
            .collect()
    };
    let default = detect(Config::default(), &events);
    assert_eq!(spans(&default), [(300, Some(303))]);
    // Over the window [297..301]: alice 50, u1 24, u2 16, u3 10, u4 6, u5 2, u6 2 calls.
    assert_eq!(
        values(&default),
        [
            (ALICE.to_owned(), json!(10)),
            (USERS[0].0.to_owned(), json!(4.8)),
            (USERS[1].0.to_owned(), json!(3.2)),
            (USERS[2].0.to_owned(), json!(2)),
            (USERS[3].0.to_owned(), json!(1.2)),
        ]
    );
    let two = detect(
        Config {
            max_attributions: 2,
            ..Config::default()
        },
        &events,
    );
    assert_eq!(values(&two), values(&default)[..2]);
    assert_eq!(
        attribution(&two[0].start, "userAgent")["insight"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
}

#[test]
fn config_errors_name_the_field() {
    let cases = [
        (
            Config {
                rate_window_minutes: 0,
                ..Config::default()
            },
            "rate_window_minutes",
        ),
        (
            Config {
                baseline_minutes: 0,
                ..Config::default()
            },
            "baseline_minutes",
        ),
        (
            Config {
                end_quiet_minutes: 0,
                ..Config::default()
            },
            "end_quiet_minutes",
        ),
        (
            Config {
                stddev_margin: f64::NAN,
                ..Config::default()
            },
            "stddev_margin",
        ),
        (
            Config {
                min_ratio: -1.0,
                ..Config::default()
            },
            "min_ratio",
        ),
    ];
    for (config, field) in cases {
        let error = Detector::new(config).unwrap_err();
        assert_eq!(error.field, field);
        assert!(error.to_string().contains(field), "{error}");
    }
    let error = Config {
        min_ratio: f64::INFINITY,
        ..Config::default()
    }
    .validate()
    .unwrap_err();
    assert_eq!(
        error.to_string(),
        "insights config: min_ratio = inf must be a finite number, 0 or more"
    );
    assert!(Config::default().validate().is_ok());
}

#[test]
fn nothing_observed_gives_nothing() {
    assert_eq!(Detector::new(Config::default()).unwrap().finish(), []);
}

#[test]
fn numbers_are_written_as_aws_writes_them() {
    assert_eq!(number(664.0).to_string(), "664");
    assert_eq!(number(0.0).to_string(), "0");
    assert_eq!(number(0.6).to_string(), "0.6");
    assert_eq!(number(85.420_238_095_238_1), json!(85.4202380952));
    assert_eq!(number(0.000_088_214_5), json!(0.0000882145));
    assert_eq!(number(1.0 / 3.0), json!(0.3333333333));
    assert_eq!(number(2.0 / 3.0 * 1e-11), json!(0));
    assert_eq!(number(f64::NAN), json!(0));
    assert_eq!(number(3e20), json!(3e20));
}

// ----- the shape of AWS's records -----

const AWS_EXAMPLES: &str = include_str!("../../testdata/insights/aws-insights-examples.jsonl");

/// Keys in order, with the kind of every value; an array by the shape all its elements share.
fn shape(value: &Value) -> Value {
    match value {
        Value::Object(map) => Value::Array(
            map.iter()
                .map(|(key, value)| json!([key, shape(value)]))
                .collect(),
        ),
        Value::Array(items) => {
            let shapes: Vec<Value> = items.iter().map(shape).collect();
            assert!(shapes.windows(2).all(|w| w[0] == w[1]), "{value}");
            json!({ "array of": shapes.first() })
        }
        Value::Number(n) if n.is_u64() => json!("integer"),
        Value::Number(_) => json!("number"),
        Value::String(_) => json!("string"),
        Value::Bool(_) => json!("bool"),
        Value::Null => json!("null"),
    }
}

/// Shapes with every number only a number, for averages (an average may be whole).
fn loose(shape: &Value) -> Value {
    match shape {
        Value::String(kind) if kind == "integer" => json!("number"),
        Value::Array(items) => Value::Array(items.iter().map(loose).collect()),
        Value::Object(map) => {
            Value::Object(map.iter().map(|(k, v)| (k.clone(), loose(v))).collect())
        }
        other => other.clone(),
    }
}

/// Every member path of a JSON text (`insightDetails.insightContext.statistics`), in the order
/// written, each once: the order CloudTrail writes members in, compared across records.
fn member_order(text: &str) -> Vec<String> {
    use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
    struct Walk<'a> {
        prefix: String,
        out: &'a mut Vec<String>,
    }
    impl<'de> DeserializeSeed<'de> for Walk<'_> {
        type Value = ();
        fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
            d.deserialize_any(self)
        }
    }
    impl<'de> Visitor<'de> for Walk<'_> {
        type Value = ();
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("JSON")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
            while let Some(key) = map.next_key::<String>()? {
                let path = if self.prefix.is_empty() {
                    key
                } else {
                    format!("{}.{key}", self.prefix)
                };
                if !self.out.contains(&path) {
                    self.out.push(path.clone());
                }
                map.next_value_seed(Walk {
                    prefix: path,
                    out: &mut *self.out,
                })?;
            }
            Ok(())
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
            while seq
                .next_element_seed(Walk {
                    prefix: self.prefix.clone(),
                    out: &mut *self.out,
                })?
                .is_some()
            {}
            Ok(())
        }
        fn visit_str<E>(self, _: &str) -> Result<(), E> {
            Ok(())
        }
        fn visit_bool<E>(self, _: bool) -> Result<(), E> {
            Ok(())
        }
        fn visit_u64<E>(self, _: u64) -> Result<(), E> {
            Ok(())
        }
        fn visit_i64<E>(self, _: i64) -> Result<(), E> {
            Ok(())
        }
        fn visit_f64<E>(self, _: f64) -> Result<(), E> {
            Ok(())
        }
        fn visit_unit<E>(self) -> Result<(), E> {
            Ok(())
        }
    }
    let _ = IgnoredAny;
    let mut out = Vec::new();
    let mut de = serde_json::Deserializer::from_str(text);
    Walk {
        prefix: String::new(),
        out: &mut out,
    }
    .deserialize(&mut de)
    .unwrap();
    out
}

/// A record as this module writes it: members in CloudTrail's order.
fn written(record: &Value) -> String {
    serde_json::to_string(&InOrder(record)).unwrap()
}

/// The members of an object in the order [`InOrder`] writes them.
fn written_keys(object: &Value) -> Vec<String> {
    member_order(&written(object))
        .into_iter()
        .filter(|k| !k.contains('.'))
        .collect()
}

fn aws_examples() -> Vec<Value> {
    AWS_EXAMPLES
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect()
}

#[test]
fn records_have_the_key_structure_of_aws_records() {
    let examples = aws_examples();
    assert_eq!(examples.len(), 5);
    let mut events = steady_ten();
    calls(&mut events, "CreateTags", 300..303, |_| 30, MALLORY, CURL);
    let insights = detect(Config::default(), &events);
    let start = &insights[0].start;
    let end = insights[0].end.as_ref().unwrap();
    // Examples 0 and 3 are full Start records, 4 the End of 3; 1 and 2 (2019) are an older form
    // without durations or attributions.
    for (ours, theirs) in [
        (start, &examples[0]),
        (start, &examples[3]),
        (end, &examples[4]),
    ] {
        assert_eq!(
            theirs["insightDetails"]["state"],
            ours["insightDetails"]["state"]
        );
        assert_eq!(
            loose(&shape(ours)),
            loose(&shape(theirs)),
            "\n{ours}\n{theirs}"
        );
    }
    // Durations are integers in both.
    for record in [start, end, &examples[0], &examples[3], &examples[4]] {
        assert!(statistics(record)["insightDuration"].is_u64(), "{record}");
        assert!(statistics(record)["baselineDuration"].is_u64(), "{record}");
    }
    // The older examples have the same top-level fields, in the same order.
    for old in AWS_EXAMPLES.lines().skip(1).take(2) {
        let top: Vec<String> = member_order(old)
            .into_iter()
            .filter(|k| !k.contains('.'))
            .collect();
        assert_eq!(top, written_keys(start));
    }
}

/// AWS's error-rate records (CloudTrail User Guide, "Viewing Insights events for trails with the
/// AWS CLI") add `errorCode` after `insightType` and attribute to identities and user agents only.
#[test]
fn error_rate_records_name_the_error_code() {
    let mut events = steady_ten();
    for minute in 300..303 {
        for i in 0..10 {
            events.push(Event {
                time_ms: minute_ms(minute) + i * 1000,
                source: "iam.amazonaws.com",
                name: "ListUsers",
                read_only: true,
                error: Some("AccessDenied"),
                arn: MALLORY,
                agent: CURL,
                region: "us-east-1",
            });
        }
    }
    let insights = detect(Config::default(), &events);
    // A baseline of 0: raised at t=300 with 10 errors in the window (2 a minute); windows hold 8
    // errors or more up to t=306, and the last unusual minute is 302.
    assert_eq!(spans(&insights), [(300, Some(303))]);
    let insight = &insights[0];
    assert_eq!(insight.insight_type, InsightType::ApiErrorRateInsight);
    assert_eq!(insight.error_code.as_deref(), Some("AccessDenied"));
    assert_eq!(insight.insight_average, 2.0);
    for record in [&insight.start, insight.end.as_ref().unwrap()] {
        let details = record["insightDetails"].as_object().unwrap();
        let keys = written_keys(&record["insightDetails"]);
        assert_eq!(
            keys,
            [
                "state",
                "eventSource",
                "eventName",
                "insightType",
                "errorCode",
                "insightContext"
            ]
        );
        assert_eq!(details["insightType"], "ApiErrorRateInsight");
        assert_eq!(details["errorCode"], "AccessDenied");
        let attributes: Vec<&Value> = details["insightContext"]["attributions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| &a["attribute"])
            .collect();
        assert_eq!(attributes, ["userIdentityArn", "userAgent"]);
        assert_eq!(
            attribution(record, "userIdentityArn")["baseline"],
            json!([])
        );
        for block in details["insightContext"]["attributions"]
            .as_array()
            .unwrap()
        {
            for entry in block["insight"].as_array().unwrap() {
                assert_eq!(written_keys(entry), ["value", "average"]);
            }
        }
        // Everything else as in a call-rate record.
        let without = |record: &Value| {
            let mut record = record.clone();
            let details = record["insightDetails"].as_object_mut().unwrap();
            details.remove("errorCode");
            details["insightContext"]
                .as_object_mut()
                .unwrap()
                .remove("attributions");
            loose(&shape(&record))
        };
        let examples = aws_examples();
        let theirs = if details["state"] == "Start" {
            &examples[3]
        } else {
            &examples[4]
        };
        assert_eq!(without(record), without(theirs));
    }
    assert_eq!(statistics(&insight.start)["insight"]["average"], 2);
    assert_eq!(
        statistics(insight.end.as_ref().unwrap())["insight"]["average"],
        10
    );
}

// ----- generated traffic -----

/// SplitMix64.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    /// Knuth's method; fine for the rates here (λ ≤ 300).
    fn poisson(&mut self, lambda: f64) -> i64 {
        let limit = (-lambda).exp();
        let mut k = 0;
        let mut p = self.unit();
        while p > limit {
            k += 1;
            p *= self.unit();
        }
        k
    }
}

struct Api {
    source: &'static str,
    name: &'static str,
    read_only: bool,
    /// Calls a minute.
    rate: f64,
    /// An error code and the share of calls failing with it.
    error: Option<(&'static str, f64)>,
}

const BACKGROUND: [Api; 7] = [
    Api {
        source: "ec2.amazonaws.com",
        name: "RunInstances",
        read_only: false,
        rate: 2.0,
        error: Some(("Client.InsufficientInstanceCapacity", 0.01)),
    },
    Api {
        source: "ec2.amazonaws.com",
        name: "DescribeInstances",
        read_only: true,
        rate: 20.0,
        error: Some(("Client.RequestLimitExceeded", 0.005)),
    },
    Api {
        source: "ssm.amazonaws.com",
        name: "UpdateInstanceInformation",
        read_only: false,
        rate: 8.0,
        error: None,
    },
    Api {
        source: "lambda.amazonaws.com",
        name: "UpdateFunctionCode20150331v2",
        read_only: false,
        rate: 1.0,
        error: None,
    },
    Api {
        source: "s3.amazonaws.com",
        name: "PutBucketPolicy",
        read_only: false,
        rate: 0.3,
        error: Some(("AccessDenied", 0.05)),
    },
    Api {
        source: "iam.amazonaws.com",
        name: "ListUsers",
        read_only: true,
        rate: 1.0,
        error: Some(("AccessDenied", 0.02)),
    },
    Api {
        source: "iam.amazonaws.com",
        name: "CreateAccessKey",
        read_only: false,
        rate: 0.05,
        error: None,
    },
];

/// Poisson traffic of `apis` over `minutes`, each rate scaled by `shape(minute)`.
fn traffic(
    rng: &mut Rng,
    apis: &[Api],
    minutes: Range<i64>,
    shape: impl Fn(i64) -> f64,
    who: impl Fn(&mut Rng) -> (&'static str, &'static str),
    out: &mut Vec<Event>,
) {
    for minute in minutes {
        for api in apis {
            for _ in 0..rng.poisson(api.rate * shape(minute)) {
                let error = api
                    .error
                    .filter(|(_, share)| rng.unit() < *share)
                    .map(|(code, _)| code);
                let (arn, agent) = who(rng);
                out.push(Event {
                    time_ms: minute_ms(minute) + (rng.unit() * 60_000.0) as i64,
                    source: api.source,
                    name: api.name,
                    read_only: api.read_only,
                    error,
                    arn,
                    agent,
                    region: "us-east-1",
                });
            }
        }
    }
}

fn staff(rng: &mut Rng) -> (&'static str, &'static str) {
    (
        ROLES[rng.below(ROLES.len())],
        AGENTS[rng.below(AGENTS.len())],
    )
}

fn intruder(_: &mut Rng) -> (&'static str, &'static str) {
    (INTRUDER, INTRUDER_AGENT)
}

/// Twice as busy at noon as the daily mean, half at midnight.
fn diurnal(minute: i64) -> f64 {
    1.0 - 0.5 * (2.0 * std::f64::consts::PI * minute as f64 / DAY as f64).cos()
}

fn background(seed: u64, days: i64, shape: impl Fn(i64) -> f64) -> (Rng, Vec<Event>) {
    let mut rng = Rng(seed);
    let mut events = Vec::new();
    traffic(
        &mut rng,
        &BACKGROUND,
        0..days * DAY,
        shape,
        staff,
        &mut events,
    );
    (rng, events)
}

fn burst(
    name: &'static str,
    source: &'static str,
    read_only: bool,
    error: Option<&'static str>,
    rate: f64,
) -> [Api; 1] {
    [Api {
        source,
        name,
        read_only,
        rate,
        error: error.map(|code| (code, 1.0)),
    }]
}

/// Exactly what is expected of a detected burst over `minutes`.
fn assert_burst(insight: &Insight, minutes: Range<i64>) {
    let config = Config::default();
    let window = i64::from(config.rate_window_minutes);
    let start = (insight.start_ms - T0) / 60_000;
    assert!(
        (start - minutes.start).abs() <= window,
        "start {start}, burst {minutes:?}"
    );
    let end = (insight.end_ms.expect("an End") - T0) / 60_000;
    assert!(
        (minutes.end..=minutes.end + window).contains(&end),
        "end {end}, burst {minutes:?}"
    );
    let end_record = insight.end.as_ref().unwrap();
    assert_eq!(end_record["insightDetails"]["state"], "End");
    assert_eq!(end_record["sharedEventID"], insight.start["sharedEventID"]);
}

#[test]
fn quiet_steady_traffic_raises_nothing() {
    for seed in 1..=3 {
        let (_, events) = background(seed, 2, |_| 1.0);
        assert!(events.len() > 80_000);
        assert_eq!(detect(Config::default(), &events), [], "seed {seed}");
    }
}

#[test]
fn quiet_diurnal_traffic_raises_nothing() {
    // Three days, rates rising from half the mean at midnight to 1.5 times it at noon: on the
    // first day the rise is measured against the quieter hours before it.
    for seed in 11..=13 {
        let (_, events) = background(seed, 3, diurnal);
        assert_eq!(detect(Config::default(), &events), [], "seed {seed}");
    }
}

#[test]
fn write_burst_raises_one_call_rate_insight() {
    let (mut rng, mut events) = background(3, 2, diurnal);
    let minutes = DAY + 12 * 60..DAY + 12 * 60 + 10;
    let apis = burst("RunInstances", "ec2.amazonaws.com", false, None, 30.0);
    traffic(
        &mut rng,
        &apis,
        minutes.clone(),
        |_| 1.0,
        intruder,
        &mut events,
    );
    let insights = detect(Config::default(), &events);
    assert_eq!(insights.len(), 1, "{insights:#?}");
    let insight = &insights[0];
    assert_eq!(insight.insight_type, InsightType::ApiCallRateInsight);
    assert_eq!(insight.event_name, "RunInstances");
    assert_burst(insight, minutes);
    for record in [&insight.start, insight.end.as_ref().unwrap()] {
        assert_eq!(first_value(record, "userIdentityArn"), INTRUDER);
        assert_eq!(first_value(record, "userAgent"), INTRUDER_AGENT);
        assert_eq!(first_value(record, "errorCode"), "null");
    }
    assert!(insight.insight_average > 2.0 * insight.baseline_average);
}

#[test]
fn error_burst_raises_an_error_rate_insight() {
    let (mut rng, mut events) = background(4, 2, |_| 1.0);
    let minutes = DAY + 3 * 60..DAY + 3 * 60 + 8;
    let apis = burst(
        "ListUsers",
        "iam.amazonaws.com",
        true,
        Some("AccessDenied"),
        15.0,
    );
    traffic(
        &mut rng,
        &apis,
        minutes.clone(),
        |_| 1.0,
        intruder,
        &mut events,
    );
    let insights = detect(Config::default(), &events);
    // Read-only calls: an error-rate insight and no call-rate one.
    assert_eq!(insights.len(), 1, "{insights:#?}");
    let insight = &insights[0];
    assert_eq!(insight.insight_type, InsightType::ApiErrorRateInsight);
    assert_eq!(insight.event_source, "iam.amazonaws.com");
    assert_eq!(insight.event_name, "ListUsers");
    assert_eq!(insight.error_code.as_deref(), Some("AccessDenied"));
    assert_eq!(insight.start["insightDetails"]["errorCode"], "AccessDenied");
    assert_burst(insight, minutes);
    for record in [&insight.start, insight.end.as_ref().unwrap()] {
        assert_eq!(first_value(record, "userIdentityArn"), INTRUDER);
        assert_eq!(first_value(record, "userAgent"), INTRUDER_AGENT);
    }
    // The background AccessDenied rate (2% of 1 a minute) is the baseline.
    assert!(insight.baseline_average > 0.0 && insight.baseline_average < 0.05);
}

#[test]
fn write_calls_failing_raise_both_kinds() {
    let (mut rng, mut events) = background(5, 1, |_| 1.0);
    let minutes = 15 * 60..15 * 60 + 6;
    let apis = burst(
        "PutBucketPolicy",
        "s3.amazonaws.com",
        false,
        Some("AccessDenied"),
        20.0,
    );
    traffic(
        &mut rng,
        &apis,
        minutes.clone(),
        |_| 1.0,
        intruder,
        &mut events,
    );
    let insights = detect(Config::default(), &events);
    let mut kinds: Vec<(InsightType, Option<&str>)> = insights
        .iter()
        .map(|i| (i.insight_type, i.error_code.as_deref()))
        .collect();
    // Both see the same burst; which starts first depends on the noise before it.
    kinds.sort();
    assert_eq!(
        kinds,
        [
            (InsightType::ApiCallRateInsight, None),
            (InsightType::ApiErrorRateInsight, Some("AccessDenied"))
        ]
    );
    for insight in &insights {
        assert_eq!(insight.event_name, "PutBucketPolicy");
        assert_burst(insight, minutes.clone());
    }
    let call_rate = insights
        .iter()
        .find(|i| i.insight_type == InsightType::ApiCallRateInsight)
        .unwrap();
    assert_eq!(first_value(&call_rate.start, "errorCode"), "AccessDenied");
}

#[test]
fn read_only_burst_raises_no_call_rate_insight() {
    let (mut rng, mut events) = background(6, 1, |_| 1.0);
    let apis = burst("DescribeInstances", "ec2.amazonaws.com", true, None, 200.0);
    traffic(
        &mut rng,
        &apis,
        14 * 60..14 * 60 + 10,
        |_| 1.0,
        intruder,
        &mut events,
    );
    assert_eq!(detect(Config::default(), &events), []);
}

#[test]
fn a_single_call_on_a_new_api_raises_nothing() {
    let (_, mut events) = background(7, 1, |_| 1.0);
    let one = |name, error| Event {
        time_ms: minute_ms(10 * 60),
        source: "kms.amazonaws.com",
        name,
        read_only: false,
        error,
        arn: INTRUDER,
        agent: INTRUDER_AGENT,
        region: "us-east-1",
    };
    events.push(one("ScheduleKeyDeletion", None));
    events.push(one("DisableKey", Some("AccessDeniedException")));
    assert_eq!(detect(Config::default(), &events), []);
}

#[test]
fn input_order_does_not_matter() {
    let (mut rng, mut events) = background(8, 2, diurnal);
    let writes = burst("RunInstances", "ec2.amazonaws.com", false, None, 30.0);
    traffic(
        &mut rng,
        &writes,
        DAY + 600..DAY + 610,
        |_| 1.0,
        intruder,
        &mut events,
    );
    let errors = burst(
        "ListUsers",
        "iam.amazonaws.com",
        true,
        Some("AccessDenied"),
        15.0,
    );
    traffic(
        &mut rng,
        &errors,
        DAY + 900..DAY + 905,
        |_| 1.0,
        intruder,
        &mut events,
    );
    events.sort_by_key(|e| e.time_ms);
    let sorted = detect(Config::default(), &events);
    assert_eq!(sorted.len(), 2, "{sorted:#?}");
    // Fisher–Yates.
    for i in (1..events.len()).rev() {
        let j = rng.below(i + 1);
        events.swap(i, j);
    }
    assert_eq!(detect(Config::default(), &events), sorted);
    events.reverse();
    assert_eq!(detect(Config::default(), &events), sorted);
}

/// Detectors that observed parts of the events, merged, find what one detector of all the
/// events finds, however the events were split and in whatever order the parts are merged.
#[test]
fn merged_detectors_find_what_one_detector_finds() {
    let (mut rng, mut events) = background(6, 1, diurnal);
    for (name, source, read_only, error, minutes) in [
        ("RunInstances", "ec2.amazonaws.com", false, None, 600..610),
        (
            "ListUsers",
            "iam.amazonaws.com",
            true,
            Some("AccessDenied"),
            900..908,
        ),
        (
            "PutObject",
            "s3.amazonaws.com",
            false,
            Some("NoSuchBucket"),
            1200..1206,
        ),
    ] {
        let apis = burst(name, source, read_only, error, 20.0);
        traffic(&mut rng, &apis, minutes, |_| 1.0, intruder, &mut events);
    }
    let config = Config {
        max_attributions: 2,
        ..Config::default()
    };
    let want = detect(config.clone(), &events);
    assert!(want.len() >= 3, "{want:#?}");
    for parts in [2, 7, 300] {
        let mut split: Vec<Detector> = (0..parts)
            .map(|_| Detector::new(config.clone()).unwrap())
            .collect();
        // Events dealt out in turn, so that every part sees every series.
        for (i, event) in events.iter().enumerate() {
            split[(i * 7919) % parts].observe(&event.observation());
        }
        let mut merged = Detector::new(config.clone()).unwrap();
        for part in split.into_iter().rev() {
            merged.merge(part);
        }
        assert_eq!(merged.finish(), want, "{parts} parts");
    }
}

/// A detector's counts travel as JSON (a Spark task's tally): series keys are string ids or
/// `null`, a detector made again from them finds the same insights, and an id naming no string
/// is refused.
#[test]
fn counts_travel_as_json_and_come_back() {
    let mut events = steady_ten();
    calls(&mut events, "CreateTags", 300..303, |_| 30, MALLORY, CURL);
    let mut detector = Detector::new(Config::default()).unwrap();
    for event in &events {
        detector.observe(&event.observation());
    }
    let json = serde_json::to_value(detector.counts()).unwrap();
    let key = &json["series"][0][0];
    for field in ["source", "name", "account", "region"] {
        assert!(key[field].is_u64(), "{field}: {key}");
    }
    assert!(key["error"].is_null(), "{key}");
    let again = Detector::from_counts(
        Config::default(),
        serde_json::from_value(json.clone()).unwrap(),
    )
    .unwrap();
    let found = spans(&detector.finish());
    assert_eq!(found, [(300, Some(303))]);
    assert_eq!(spans(&again.finish()), found);
    let mut bad = json;
    bad["series"][0][0]["name"] = json!(1_000_000);
    let bad: DetectorCounts = serde_json::from_value(bad).unwrap();
    assert!(Detector::from_counts(Config::default(), bad).is_err());
}

/// Events kept in [`Observations`] and counted later, in parts (one kept run counted into a
/// detector that observed others), give the counts and insights observing them gives: optional
/// strings absent or empty, read-only calls that only widen the input's minutes, an error
/// code with no write.
#[test]
fn kept_observations_count_as_observing_does() {
    let (mut rng, mut events) = background(9, 1, diurnal);
    let apis = burst(
        "ListUsers",
        "iam.amazonaws.com",
        true,
        Some("AccessDenied"),
        20.0,
    );
    traffic(&mut rng, &apis, 700..708, |_| 1.0, intruder, &mut events);
    let mut observations: Vec<Observation<'_>> = events.iter().map(Event::observation).collect();
    // Every optional string absent in turn, an empty error code, a missing readOnly.
    for (i, o) in observations.iter_mut().enumerate() {
        match i % 9 {
            0 => o.recipient_account_id = None,
            1 => o.aws_region = None,
            2 => o.user_agent = None,
            3 => o.user_identity_arn = None,
            4 => o.error_code = Some(""),
            5 => o.read_only = None,
            _ => {}
        }
    }
    // The first and last minutes come from read-only calls, counted in no series, among the
    // events kept.
    let quiet = |minute: i64| Observation {
        time_ms: minute_ms(minute),
        event_source: "s3.amazonaws.com",
        event_name: "ListBuckets",
        read_only: Some(true),
        ..Observation::default()
    };
    observations.insert(0, quiet(-30));
    observations.insert(1, quiet(3 * DAY));
    let mut want = Detector::new(Config::default()).unwrap();
    for o in &observations {
        want.observe(o);
    }
    let (first, second) = observations.split_at(observations.len() / 3);
    let mut kept = Observations::default();
    first.iter().for_each(|o| kept.push(o));
    let mut got = Detector::new(Config::default()).unwrap();
    for o in second {
        got.observe(o);
    }
    got.observe_all(&kept);
    assert!(
        kept.counted() < first.len(),
        "read-only calls are not counted"
    );
    let json = |d: &Detector| serde_json::to_value(d.counts()).unwrap();
    assert_ne!(json(&got), json(&Detector::new(Config::default()).unwrap()));
    // Interned in another order, so the ids differ: compare what each finds.
    let want = want.finish();
    assert!(!want.is_empty());
    assert_eq!(got.finish(), want);
    // Cleared observations keep nothing.
    kept.clear();
    assert_eq!(kept.counted(), 0);
    let mut none = Detector::new(Config::default()).unwrap();
    none.observe_all(&kept);
    assert!(none.finish().is_empty());
}
