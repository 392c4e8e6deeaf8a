use serde_json::json;

use super::eval::java_double;
use super::*;
use crate::series::{Series, Statistics};
use crate::time;

const MINUTE: i64 = 60_000;

/// 2024-11-26T03:00:00Z.
fn t0() -> i64 {
    time::parse("2024-11-26T03:00:00Z").unwrap()
}

fn at(text: &str) -> i64 {
    time::parse(text).unwrap()
}

/// A `Sum` alarm over `Period` seconds with threshold 1.0 (`GreaterThanOrEqualToThreshold`).
fn def(period: i64, n: i64, m: Option<i64>, treat: Option<&str>) -> AlarmDef {
    AlarmDef {
        alarm_name: "test-alarm".into(),
        actions_enabled: true,
        metric_name: Some("Errors".into()),
        namespace: Some("CloudTrailMetrics".into()),
        statistic: Some("Sum".into()),
        period: Some(period),
        evaluation_periods: n,
        datapoints_to_alarm: m,
        threshold: Some(1.0),
        comparison_operator: "GreaterThanOrEqualToThreshold".into(),
        treat_missing_data: treat.map(str::to_string),
        ..AlarmDef::default()
    }
}

/// A per-minute series, one letter per period from `start`: `X` a breaching value (5.0), `0` a
/// non-breaching one (0.0), `-` no datapoint; spaces are skipped. Each value is published in
/// the first minute of its period.
fn series(pattern: &str, start: i64, period_ms: i64) -> Series {
    let mut out = Series::new();
    for (i, c) in pattern.chars().filter(|c| !c.is_whitespace()).enumerate() {
        let when = start + i as i64 * period_ms;
        match c {
            'X' => {
                out.insert(when, Statistics::single(5.0));
            }
            '0' => {
                out.insert(when, Statistics::single(0.0));
            }
            '-' => {}
            other => panic!("bad pattern letter {other}"),
        }
    }
    out
}

use State::{Alarm as A, InsufficientData as I, Ok as O};

/// Transitions as (evaluation index, from, to): evaluation `e` is at `start + e × period`.
fn steps(run: &Evaluation, start: i64, period_ms: i64) -> Vec<(i64, State, State)> {
    run.transitions
        .iter()
        .map(|t| {
            assert_eq!((t.time_ms - start) % period_ms, 0, "{t:?}");
            ((t.time_ms - start) / period_ms, t.from, t.to)
        })
        .collect()
}

mod missing_data_modes {
    //! Every `TreatMissingData` with 1/1, 2/3, 3/3 and 3/5 over one series of breaching,
    //! non-breaching and missing periods. Expectations were worked out by hand from the user
    //! guide's rules, evaluation by evaluation, with an evaluation range of N + 2 periods.
    use super::*;

    /// Periods 0..8: X X - 0 X - - X, then nothing.
    const PATTERN: &str = "XX-0X--X";

    fn run(n: i64, m: Option<i64>, treat: &str) -> Vec<(i64, State, State)> {
        let d = def(60, n, m, Some(treat));
        let alarm = Alarm::new(&d).unwrap();
        let start = t0();
        let run = alarm.evaluate(&series(PATTERN, start, MINUTE), start..start + 8 * MINUTE);
        let got = steps(&run, start, MINUTE);
        assert_eq!(
            run.final_state,
            got.last().map_or(State::InsufficientData, |s| s.2)
        );
        got
    }

    #[test]
    fn one_of_one() {
        // Range 3: any real datapoint among the last 3 periods decides, so the treatment only
        // matters once the data has stopped (evaluation 11, window 8..=10).
        assert_eq!(
            run(1, None, "missing"),
            [(1, I, A), (4, A, O), (5, O, A), (11, A, I)]
        );
        assert_eq!(run(1, None, "ignore"), [(1, I, A), (4, A, O), (5, O, A)]);
        assert_eq!(run(1, None, "breaching"), [(1, I, A), (4, A, O), (5, O, A)]);
        assert_eq!(
            run(1, None, "notBreaching"),
            [(1, I, A), (4, A, O), (5, O, A), (11, A, O)]
        );
    }

    #[test]
    fn three_of_three() {
        // missing: evaluation 3 sees X X with the oldest 3 periods old (premature-alarm rule);
        // 4 sees X X 0; 9 sees X(4) X(7), oldest 5 periods old; 13 sees nothing.
        assert_eq!(
            run(3, None, "missing"),
            [(3, I, A), (4, A, O), (9, O, A), (13, A, I)]
        );
        // ignore: the state is kept until three real datapoints (X X 0) decide.
        assert_eq!(run(3, None, "ignore"), [(4, I, O)]);
        // breaching: X + two filled breaching at 1; X X 0 at 4; X X + one filled at 9.
        assert_eq!(run(3, None, "breaching"), [(1, I, A), (4, A, O), (9, O, A)]);
        // notBreaching: never three breaching.
        assert_eq!(run(3, None, "notBreaching"), [(1, I, O)]);
    }

    #[test]
    fn two_of_three() {
        // missing and ignore: X X is 2 ≥ M at 2; 0 X (range 2..=6) at 7 has a non-breaching
        // one; 0 X X at 8.
        assert_eq!(
            run(3, Some(2), "missing"),
            [(2, I, A), (7, A, O), (8, O, A), (13, A, I)]
        );
        assert_eq!(run(3, Some(2), "ignore"), [(2, I, A), (7, A, O), (8, O, A)]);
        // breaching: one filled breaching datapoint always completes a pair.
        assert_eq!(run(3, Some(2), "breaching"), [(1, I, A)]);
        // notBreaching: X alone at 1 and at 10 (range 5..=9) is 1 < 2.
        assert_eq!(
            run(3, Some(2), "notBreaching"),
            [(1, I, O), (2, O, A), (7, A, O), (8, O, A), (10, A, O)]
        );
    }

    #[test]
    fn three_of_five() {
        // Range 7. missing: X X at 3 (oldest 3 old); X X 0 at 4; X X 0 X at 5; 0 X X at 9;
        // X X at 11 (oldest 7 old); nothing at 15.
        assert_eq!(
            run(5, Some(3), "missing"),
            [
                (3, I, A),
                (4, A, O),
                (5, O, A),
                (9, A, O),
                (11, O, A),
                (15, A, I)
            ]
        );
        assert_eq!(run(5, Some(3), "ignore"), [(4, I, O), (5, O, A), (9, A, O)]);
        // breaching: the fills always bring the count to three or more.
        assert_eq!(run(5, Some(3), "breaching"), [(1, I, A)]);
        assert_eq!(
            run(5, Some(3), "notBreaching"),
            [(1, I, O), (5, O, A), (9, A, O)]
        );
    }
}

mod user_guide_table {
    //! The tables of examples in the CloudWatch User Guide, "Configuring how CloudWatch alarms
    //! treat missing data" → "How alarm state is evaluated when data is missing"
    //! (docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/alarms-and-missing-data.html;
    //! earlier editions in awsdocs/amazon-cloudwatch-user-guide, doc_source/AlarmThatSendsEmail.md).
    //! EvaluationPeriods is 3 and the evaluation range 5; in the data points, most recent on
    //! the right, 0 is non-breaching, X breaching and - missing.
    use super::*;

    #[derive(Clone, Copy, Debug, PartialEq)]
    enum Want {
        Ok,
        Alarm,
        Insufficient,
        Retain,
    }
    use Want::{Alarm as ALARM, Insufficient as INSUFFICIENT, Ok as OK, Retain as RETAIN};

    /// (data points, DatapointsToAlarm, [MISSING, IGNORE, BREACHING, NOT BREACHING]).
    const TABLE: &[(&str, i64, [Want; 4])] = &[
        // First table: DatapointsToAlarm and EvaluationPeriods both 3.
        ("0 - X - X", 3, [OK, OK, OK, OK]),
        ("0 - - - -", 3, [OK, OK, OK, OK]),
        ("- - - - -", 3, [INSUFFICIENT, RETAIN, ALARM, OK]),
        ("0 X X - X", 3, [ALARM, ALARM, ALARM, ALARM]),
        ("- - X - -", 3, [ALARM, RETAIN, ALARM, OK]),
        // Second table: 2 out of 3.
        ("0 - X - X", 2, [ALARM, ALARM, ALARM, ALARM]),
        ("0 0 X 0 X", 2, [ALARM, ALARM, ALARM, ALARM]),
        ("0 - X - -", 2, [OK, OK, ALARM, OK]),
        ("- - - - 0", 2, [OK, OK, ALARM, OK]),
        ("- - - X -", 2, [ALARM, RETAIN, ALARM, OK]),
        // Rows of earlier editions of the page.
        ("- - - - X", 3, [INSUFFICIENT, RETAIN, ALARM, OK]),
        ("X - - - -", 3, [ALARM, RETAIN, ALARM, OK]),
        ("- - - - X", 2, [INSUFFICIENT, RETAIN, ALARM, OK]),
    ];

    const MODES: [&str; 4] = ["missing", "ignore", "breaching", "notBreaching"];

    /// One evaluation at the end of the fifth period, from `initial`.
    fn evaluate(points: &str, m: i64, treat: &str, initial: State) -> Evaluation {
        let d = def(300, 3, Some(m), Some(treat));
        let alarm = Alarm::new(&d).unwrap();
        let p = 5 * MINUTE;
        let start = t0();
        let options = EvaluateOptions {
            initial_state: initial,
            settle: false,
            ..EvaluateOptions::default()
        };
        let run = alarm.evaluate_with(
            &series(points, start, p),
            start + 4 * p..start + 5 * p,
            &options,
        );
        assert_eq!(run.final_time_ms, Some(start + 5 * p));
        run
    }

    #[test]
    fn every_row() {
        for (points, m, wants) in TABLE {
            for (treat, want) in MODES.iter().zip(wants) {
                for initial in [State::Ok, State::Alarm, State::InsufficientData] {
                    let got = evaluate(points, *m, treat, initial).final_state;
                    let expected = match want {
                        Want::Ok => State::Ok,
                        Want::Alarm => State::Alarm,
                        Want::Insufficient => State::InsufficientData,
                        Want::Retain => initial,
                    };
                    assert_eq!(
                        got, expected,
                        "{points} with {m} of 3, {treat}, from {initial}"
                    );
                }
            }
        }
    }

    #[test]
    fn second_row_goes_to_alarm_once_the_old_datapoint_leaves_the_range() {
        // "The next time this alarm is evaluated, if the data is still missing it will go to
        // ALARM, as that non-breaching data point will no longer be in the evaluation range."
        let d = def(300, 3, Some(3), Some("breaching"));
        let alarm = Alarm::new(&d).unwrap();
        let p = 5 * MINUTE;
        let start = t0();
        let options = EvaluateOptions {
            settle: false,
            ..EvaluateOptions::default()
        };
        let run = alarm.evaluate_with(
            &series("0 - - - - -", start, p),
            start + 4 * p..start + 6 * p,
            &options,
        );
        assert_eq!(steps(&run, start, p), [(5, I, O), (6, O, A)]);
    }
}

mod operators_and_statistics {
    use super::*;

    #[test]
    fn each_operator_below_at_and_above() {
        let expected = [
            ("GreaterThanOrEqualToThreshold", [false, true, true]),
            ("GreaterThanThreshold", [false, false, true]),
            ("LessThanThreshold", [true, false, false]),
            ("LessThanOrEqualToThreshold", [true, true, false]),
        ];
        for (op, breaches) in expected {
            for (value, breach) in [9.0, 10.0, 11.0].into_iter().zip(breaches) {
                let mut d = def(60, 1, None, None);
                d.comparison_operator = op.into();
                d.threshold = Some(10.0);
                let alarm = Alarm::new(&d).unwrap();
                let mut minutes = Series::new();
                minutes.insert(t0(), Statistics::single(value));
                let run = alarm.evaluate(&minutes, t0()..t0() + MINUTE);
                let first = &run.transitions[0];
                assert_eq!(first.time_ms, t0() + MINUTE);
                let want = if breach { State::Alarm } else { State::Ok };
                assert_eq!(first.to, want, "{value} {op} 10");
                let words = ComparisonOperator::from_name(op).unwrap().words();
                let not = if breach { "" } else { "not " };
                assert_eq!(
                    first.reason,
                    format!(
                        "Threshold Crossed: 1 datapoint [{} (26/11/24 03:00:00)] was {not}{words} the threshold (10.0).",
                        java_double(value)
                    )
                );
            }
        }
    }

    #[test]
    fn each_statistic() {
        // One five-minute period: 03:00 has two samples (1 and 2), 03:01 one (7), 03:03 one
        // (2): 4 samples, sum 12, minimum 1, maximum 7, average 3.
        let mut minutes = Series::new();
        let mut two = Statistics::single(1.0);
        two.add(2.0);
        minutes.insert(t0(), two);
        minutes.insert(t0() + MINUTE, Statistics::single(7.0));
        minutes.insert(t0() + 3 * MINUTE, Statistics::single(2.0));
        for (name, value) in [
            ("SampleCount", 4.0),
            ("Average", 3.0),
            ("Sum", 12.0),
            ("Minimum", 1.0),
            ("Maximum", 7.0),
        ] {
            for (threshold, want) in [(value, State::Alarm), (value + 0.5, State::Ok)] {
                let mut d = def(300, 1, None, None);
                d.statistic = Some(name.into());
                d.threshold = Some(threshold);
                let alarm = Alarm::new(&d).unwrap();
                let run = alarm.evaluate(&minutes, t0()..t0() + 5 * MINUTE);
                let first = &run.transitions[0];
                assert_eq!(
                    (first.time_ms, first.to),
                    (t0() + 5 * MINUTE, want),
                    "{name}"
                );
                let data = &first.reason_data;
                assert_eq!(data["statistic"], json!(name));
                assert_eq!(data["recentDatapoints"], json!([value]));
                assert_eq!(
                    data["evaluatedDatapoints"],
                    json!([{"timestamp": "2024-11-26T03:00:00.000+0000", "sampleCount": 4.0, "value": value}])
                );
            }
        }
    }

    #[test]
    fn periods_of_a_minute_five_minutes_and_an_hour_over_minutes() {
        // One event a minute from 03:00 to 03:09, summed.
        let mut minutes = Series::new();
        for i in 0..10 {
            minutes.insert(t0() + i * MINUTE, Statistics::single(1.0));
        }
        let range = t0()..t0() + 10 * MINUTE;
        let cases = [
            // Every minute breaches; the last (03:09) is in range until the 03:12 evaluation.
            (60, 1.0, vec![("03:01", I, A), ("03:13", A, O)]),
            // Two periods of 5 events.
            (300, 5.0, vec![("03:05", I, A), ("03:25", A, O)]),
            (300, 6.0, vec![("03:05", I, O)]),
            // One hour of 10 events: evaluated at 04:00, seen until the 06:00 evaluation.
            (3600, 10.0, vec![("04:00", I, A), ("07:00", A, O)]),
            (3600, 11.0, vec![("04:00", I, O)]),
        ];
        for (period, threshold, want) in cases {
            let mut d = def(period, 1, None, Some("notBreaching"));
            d.threshold = Some(threshold);
            let run = Alarm::new(&d).unwrap().evaluate(&minutes, range.clone());
            let got: Vec<(String, State, State)> = run
                .transitions
                .iter()
                .map(|t| {
                    let text = time::format_seconds(t.time_ms);
                    (text[11..16].to_string(), t.from, t.to)
                })
                .collect();
            let want: Vec<(String, State, State)> = want
                .into_iter()
                .map(|(hm, from, to)| (hm.to_string(), from, to))
                .collect();
            assert_eq!(got, want, "period {period}, threshold {threshold}");
        }
    }

    #[test]
    fn sub_minute_period_over_minute_data_lapses_into_insufficient_data() {
        // PutMetricAlarm: a 10-second period on a metric without sub-minute resolution "does
        // not receive data for the attempts that do not correspond to a one-minute data
        // resolution, and the alarm might often lapse into INSUFFICENT_DATA status."
        let d = def(10, 1, None, None);
        let mut minutes = Series::new();
        minutes.insert(t0(), Statistics::single(3.0));
        minutes.insert(t0() + MINUTE, Statistics::single(3.0));
        let run = Alarm::new(&d)
            .unwrap()
            .evaluate(&minutes, t0()..t0() + 2 * MINUTE);
        assert_eq!(
            steps(&run, t0(), 10_000),
            [(1, I, A), (4, A, I), (7, I, A), (10, A, I)]
        );
    }
}

mod options {
    use super::*;

    #[test]
    fn settle_off_stops_at_the_range_end() {
        let d = def(60, 1, None, Some("notBreaching"));
        let alarm = Alarm::new(&d).unwrap();
        let minutes = series("X", t0(), MINUTE);
        let options = EvaluateOptions {
            settle: false,
            ..EvaluateOptions::default()
        };
        let run = alarm.evaluate_with(&minutes, t0()..t0() + 2 * MINUTE, &options);
        assert_eq!(steps(&run, t0(), MINUTE), [(1, I, A)]);
        assert_eq!(run.final_state, State::Alarm);
        assert_eq!(run.final_time_ms, Some(t0() + 2 * MINUTE));
        let run = alarm.evaluate(&minutes, t0()..t0() + 2 * MINUTE);
        assert_eq!(steps(&run, t0(), MINUTE), [(1, I, A), (4, A, O)]);
        assert_eq!(run.final_time_ms, Some(t0() + 4 * MINUTE));
    }

    #[test]
    fn initial_state_and_empty_range() {
        let d = def(60, 1, None, Some("ignore"));
        let alarm = Alarm::new(&d).unwrap();
        let options = EvaluateOptions {
            initial_state: State::Alarm,
            ..EvaluateOptions::default()
        };
        let run = alarm.evaluate_with(&Series::new(), t0()..t0() + 60 * MINUTE, &options);
        assert!(run.transitions.is_empty());
        assert_eq!(run.final_state, State::Alarm);
        let run = alarm.evaluate_with(&series("0", t0(), MINUTE), t0()..t0(), &options);
        assert_eq!((run.final_state, run.final_time_ms), (State::Alarm, None));
    }

    #[test]
    fn data_after_the_range_is_not_seen() {
        let d = def(60, 1, None, Some("notBreaching"));
        let run = Alarm::new(&d)
            .unwrap()
            .evaluate(&series("0 0 X", t0(), MINUTE), t0()..t0() + 2 * MINUTE);
        assert_eq!(steps(&run, t0(), MINUTE), [(1, I, O)]);
    }

    #[test]
    fn a_wider_evaluation_range_keeps_data_longer() {
        let d = def(60, 1, None, Some("notBreaching"));
        let options = EvaluateOptions {
            extra_periods: 0,
            ..EvaluateOptions::default()
        };
        let run = Alarm::new(&d).unwrap().evaluate_with(
            &series("X", t0(), MINUTE),
            t0()..t0() + MINUTE,
            &options,
        );
        assert_eq!(steps(&run, t0(), MINUTE), [(1, I, A), (2, A, O)]);
    }

    #[test]
    fn years_of_ten_second_periods_with_sparse_data_are_cheap() {
        let d = def(10, 1, None, Some("breaching"));
        let alarm = Alarm::new(&d).unwrap();
        let mut minutes = Series::new();
        let later = at("2030-01-01T00:00:00Z");
        minutes.insert(later, Statistics::single(0.0));
        let run = alarm.evaluate(&minutes, 0..at("2040-01-01T00:00:00Z"));
        let got: Vec<_> = run.transitions.iter().map(|t| (t.time_ms, t.to)).collect();
        assert_eq!(
            got,
            [
                (10_000, State::Alarm),
                (later + 10_000, State::Ok),
                (later + 40_000, State::Alarm)
            ]
        );
    }

    #[test]
    fn an_oversized_evaluation_range_is_capped() {
        // Range 1 + 1000: the datapoint is seen by the 1,001 evaluations after it.
        let d = def(60, 1, None, Some("notBreaching"));
        let options = EvaluateOptions {
            extra_periods: usize::MAX,
            ..EvaluateOptions::default()
        };
        let run = Alarm::new(&d).unwrap().evaluate_with(
            &series("X", t0(), MINUTE),
            t0()..t0() + MINUTE,
            &options,
        );
        assert_eq!(steps(&run, t0(), MINUTE), [(1, I, A), (1002, A, O)]);
        assert_eq!(run.final_time_ms, Some(t0() + 1002 * MINUTE));
    }

    #[test]
    fn dynamodb_metrics_always_ignore_missing_data() {
        let mut d = def(60, 1, None, Some("breaching"));
        d.namespace = Some("AWS/DynamoDB".into());
        let alarm = Alarm::new(&d).unwrap();
        assert_eq!(alarm.treat_missing_data(), TreatMissingData::Ignore);
        let run = alarm.evaluate(&Series::new(), t0()..t0() + 10 * MINUTE);
        assert!(run.transitions.is_empty());
    }
}

mod reasons {
    use super::*;

    fn one(d: &AlarmDef, points: &str, p: i64, last: i64, initial: State) -> Transition {
        let options = EvaluateOptions {
            initial_state: initial,
            settle: false,
            ..EvaluateOptions::default()
        };
        let run = Alarm::new(d).unwrap().evaluate_with(
            &series(points, t0(), p),
            t0() + (last - 1) * p..t0() + last * p,
            &options,
        );
        assert_eq!(run.transitions.len(), 1, "{run:?}");
        run.transitions.into_iter().next().unwrap()
    }

    #[test]
    fn one_datapoint_without_datapoints_to_alarm() {
        let d = def(300, 1, None, None);
        let t = one(&d, "------X", 5 * MINUTE, 7, State::InsufficientData);
        assert_eq!((t.from, t.to), (I, A));
        assert_eq!(t.time_ms, at("2024-11-26T03:35:00Z"));
        assert_eq!(
            t.reason,
            "Threshold Crossed: 1 datapoint [5.0 (26/11/24 03:30:00)] was greater than or equal to the threshold (1.0)."
        );
        assert_eq!(
            t.reason_data,
            json!({
                "version": "1.0",
                "queryDate": "2024-11-26T03:35:00.000+0000",
                "startDate": "2024-11-26T03:30:00.000+0000",
                "statistic": "Sum",
                "period": 300,
                "recentDatapoints": [5.0],
                "threshold": 1.0,
                "evaluatedDatapoints": [
                    {"timestamp": "2024-11-26T03:30:00.000+0000", "sampleCount": 1.0, "value": 5.0}
                ]
            })
        );
    }

    #[test]
    fn m_out_of_n_to_alarm_and_back() {
        let mut d = def(60, 3, Some(2), None);
        d.comparison_operator = "GreaterThanThreshold".into();
        d.unit = Some("Count".into());
        let mut minutes = Series::new();
        for (i, v) in [5.0, 0.5, 3.0].into_iter().enumerate() {
            minutes.insert(t0() + i as i64 * MINUTE, Statistics::single(v));
        }
        let options = EvaluateOptions {
            initial_state: State::Ok,
            settle: false,
            ..EvaluateOptions::default()
        };
        let alarm = Alarm::new(&d).unwrap();
        let run = alarm.evaluate_with(&minutes, t0() + 2 * MINUTE..t0() + 3 * MINUTE, &options);
        let t = &run.transitions[0];
        assert_eq!(
            t.reason,
            "Threshold Crossed: 2 out of the last 3 datapoints [3.0 (26/11/24 03:02:00), 5.0 (26/11/24 03:00:00)] were greater than the threshold (1.0) (minimum 2 datapoints for OK -> ALARM transition)."
        );
        assert_eq!(
            t.reason_data,
            json!({
                "version": "1.0",
                "queryDate": "2024-11-26T03:03:00.000+0000",
                "startDate": "2024-11-26T03:00:00.000+0000",
                "unit": "Count",
                "statistic": "Sum",
                "period": 60,
                "recentDatapoints": [5.0, 0.5, 3.0],
                "threshold": 1.0,
                "evaluatedDatapoints": [
                    {"timestamp": "2024-11-26T03:02:00.000+0000", "sampleCount": 1.0, "value": 3.0},
                    {"timestamp": "2024-11-26T03:00:00.000+0000", "sampleCount": 1.0, "value": 5.0}
                ]
            })
        );

        minutes.insert(t0() + 3 * MINUTE, Statistics::single(0.0));
        let options = EvaluateOptions {
            initial_state: State::Alarm,
            ..options
        };
        let run = alarm.evaluate_with(&minutes, t0() + 3 * MINUTE..t0() + 4 * MINUTE, &options);
        let t = &run.transitions[0];
        assert_eq!((t.from, t.to), (A, O));
        assert_eq!(
            t.reason,
            "Threshold Crossed: 2 out of the last 3 datapoints [0.0 (26/11/24 03:03:00), 0.5 (26/11/24 03:01:00)] were not greater than the threshold (1.0) (minimum 2 datapoints for ALARM -> OK transition)."
        );
        assert_eq!(t.reason_data["recentDatapoints"], json!([0.5, 3.0, 0.0]));
        assert_eq!(
            t.reason_data["startDate"],
            json!("2024-11-26T03:01:00.000+0000")
        );
    }

    #[test]
    fn one_out_of_one_names_the_minimum_in_the_singular() {
        let d = def(60, 1, Some(1), None);
        let t = one(&d, "0", MINUTE, 1, State::Alarm);
        assert_eq!(
            t.reason,
            "Threshold Crossed: 1 out of the last 1 datapoints [0.0 (26/11/24 03:00:00)] was not greater than or equal to the threshold (1.0) (minimum 1 datapoint for ALARM -> OK transition)."
        );
    }

    #[test]
    fn n_datapoints_without_datapoints_to_alarm() {
        let d = def(60, 2, None, None);
        let t = one(&d, "XX", MINUTE, 2, State::Ok);
        assert_eq!(
            t.reason,
            "Threshold Crossed: 2 datapoints [5.0 (26/11/24 03:01:00), 5.0 (26/11/24 03:00:00)] were greater than or equal to the threshold (1.0)."
        );
        let t = one(&d, "X0", MINUTE, 2, State::Alarm);
        assert_eq!(
            t.reason,
            "Threshold Crossed: 1 datapoint [0.0 (26/11/24 03:01:00)] was not greater than or equal to the threshold (1.0)."
        );
    }

    #[test]
    fn premature_alarm() {
        let d = def(300, 3, Some(3), None);
        let t = one(&d, "- - X - -", 5 * MINUTE, 5, State::InsufficientData);
        assert_eq!(
            t.reason,
            "Threshold Crossed: 1 out of the last 3 datapoints [5.0 (26/11/24 03:10:00)] was greater than or equal to the threshold (1.0) (minimum 3 datapoints for OK -> ALARM transition)."
        );
    }

    #[test]
    fn unknown_datapoints() {
        let d = def(60, 3, None, None);
        let t = one(&d, "-----", MINUTE, 5, State::Ok);
        assert_eq!((t.from, t.to), (O, I));
        assert_eq!(t.reason, "Insufficient Data: 3 datapoints were unknown.");
        assert_eq!(
            t.reason_data,
            json!({
                "version": "1.0",
                "queryDate": "2024-11-26T03:05:00.000+0000",
                "statistic": "Sum",
                "period": 60,
                "recentDatapoints": [],
                "threshold": 1.0,
                "evaluatedDatapoints": [
                    {"timestamp": "2024-11-26T03:04:00.000+0000"},
                    {"timestamp": "2024-11-26T03:03:00.000+0000"},
                    {"timestamp": "2024-11-26T03:02:00.000+0000"}
                ]
            })
        );
        let d = def(60, 1, None, None);
        let t = one(&d, "---", MINUTE, 3, State::Alarm);
        assert_eq!(t.reason, "Insufficient Data: 1 datapoint was unknown.");
        // Too few, too recent breaching datapoints: the rest is unknown.
        let d = def(60, 3, None, None);
        let t = one(&d, "----X", MINUTE, 5, State::Ok);
        assert_eq!(t.reason, "Insufficient Data: 2 datapoints were unknown.");
        assert_eq!(
            t.reason_data["evaluatedDatapoints"],
            json!([
                {"timestamp": "2024-11-26T03:04:00.000+0000", "sampleCount": 1.0, "value": 5.0},
                {"timestamp": "2024-11-26T03:03:00.000+0000"},
                {"timestamp": "2024-11-26T03:02:00.000+0000"}
            ])
        );
    }

    #[test]
    fn missing_datapoints_treated_as_breaching_or_not() {
        let d = def(60, 1, None, Some("notBreaching"));
        let t = one(&d, "---", MINUTE, 3, State::Alarm);
        assert_eq!(
            t.reason,
            "Threshold Crossed: no datapoints were received for 1 period and 1 missing datapoint was treated as [NonBreaching]."
        );
        let d = def(60, 3, None, Some("breaching"));
        let t = one(&d, "-----", MINUTE, 5, State::Ok);
        assert_eq!(
            t.reason,
            "Threshold Crossed: no datapoints were received for 3 periods and 3 missing datapoints were treated as [Breaching]."
        );
        let t = one(&d, "--X--", MINUTE, 5, State::Ok);
        assert_eq!(
            t.reason,
            "Threshold Crossed: 1 datapoint was received for 3 periods and 2 missing datapoints were treated as [Breaching]."
        );
        assert_eq!(
            t.reason_data["evaluatedDatapoints"],
            json!([
                {"timestamp": "2024-11-26T03:04:00.000+0000"},
                {"timestamp": "2024-11-26T03:03:00.000+0000"},
                {"timestamp": "2024-11-26T03:02:00.000+0000", "sampleCount": 1.0, "value": 5.0}
            ])
        );
        let d = def(60, 5, Some(3), Some("notBreaching"));
        let t = one(&d, "-X-XX--", MINUTE, 7, State::InsufficientData);
        assert_eq!(
            t.reason,
            "Threshold Crossed: 3 datapoints were received for 5 periods and 2 missing datapoints were treated as [NonBreaching]."
        );
        assert_eq!(t.to, State::Alarm);
    }

    #[test]
    fn java_number_forms() {
        for (x, text) in [
            (5.0, "5.0"),
            (0.0, "0.0"),
            (-0.0, "-0.0"),
            (10.7, "10.7"),
            (12.15, "12.15"),
            (-0.5, "-0.5"),
            (1.0166666666666666, "1.0166666666666666"),
            (0.0666851903306472, "0.0666851903306472"),
            (15_078_544_179.2, "1.50785441792E10"),
            (0.001, "0.001"),
            (0.0001, "1.0E-4"),
            (9_999_999.0, "9999999.0"),
            (10_000_000.0, "1.0E7"),
            (123_456.0, "123456.0"),
            (f64::NAN, "NaN"),
            (f64::INFINITY, "Infinity"),
            (f64::NEG_INFINITY, "-Infinity"),
        ] {
            assert_eq!(java_double(x), text, "{x}");
        }
        // Whole numbers take a shorter path: the same text.
        for n in (-10_000_000i64..=10_000_000)
            .step_by(7_919)
            .chain([1, 2, 9_999_999])
        {
            let x = n as f64;
            if x != 0.0 {
                assert_eq!(java_double(x), super::eval::java_digits(x), "{x}");
            }
        }
    }
}

mod notifications {
    use super::*;

    fn root_login() -> AlarmDef {
        AlarmDef {
            alarm_name: "root-login".into(),
            alarm_description: Some("Root account used".into()),
            alarm_actions: vec!["arn:aws:sns:us-east-1:123456789012:alerts".into()],
            datapoints_to_alarm: Some(1),
            metric_name: Some("RootAccountUsage".into()),
            period: Some(300),
            treat_missing_data: Some("notBreaching".into()),
            ..def(300, 1, Some(1), Some("notBreaching"))
        }
    }

    fn alarm_transition(d: &AlarmDef) -> Transition {
        let options = EvaluateOptions {
            initial_state: State::Ok,
            settle: false,
            ..EvaluateOptions::default()
        };
        let mut minutes = Series::new();
        minutes.insert(at("2024-11-26T03:31:00Z"), Statistics::single(1.0));
        let run = Alarm::new(d).unwrap().evaluate_with(
            &minutes,
            at("2024-11-26T03:30:00Z")..at("2024-11-26T03:35:00Z"),
            &options,
        );
        run.transitions.into_iter().next().unwrap()
    }

    #[test]
    fn sns_message_for_an_alarm() {
        let d = root_login();
        let t = alarm_transition(&d);
        let mut ctx = NotificationContext::new("123456789012", "us-east-1");
        ctx.configuration_updated_ms = Some(at("2024-11-20T10:00:00.123Z"));
        let got = notification(&d, &t, &ctx);
        let message = r#"{"AlarmName":"root-login","AlarmDescription":"Root account used","AWSAccountId":"123456789012","AlarmConfigurationUpdatedTimestamp":"2024-11-20T10:00:00.123+0000","NewStateValue":"ALARM","NewStateReason":"Threshold Crossed: 1 out of the last 1 datapoints [1.0 (26/11/24 03:30:00)] was greater than or equal to the threshold (1.0) (minimum 1 datapoint for OK -> ALARM transition).","StateChangeTime":"2024-11-26T03:35:00.000+0000","Region":"US East (N. Virginia)","AlarmArn":"arn:aws:cloudwatch:us-east-1:123456789012:alarm:root-login","OldStateValue":"OK","OKActions":[],"AlarmActions":["arn:aws:sns:us-east-1:123456789012:alerts"],"InsufficientDataActions":[],"Trigger":{"MetricName":"RootAccountUsage","Namespace":"CloudTrailMetrics","StatisticType":"Statistic","Statistic":"SUM","Unit":null,"Dimensions":[],"Period":300,"EvaluationPeriods":1,"DatapointsToAlarm":1,"ComparisonOperator":"GreaterThanOrEqualToThreshold","Threshold":1.0,"TreatMissingData":"notBreaching","EvaluateLowSampleCountPercentile":""}}"#;
        let id = got["MessageId"].as_str().unwrap().to_string();
        assert_eq!(
            got,
            json!({
                "Type": "Notification",
                "MessageId": id,
                "TopicArn": "arn:aws:sns:us-east-1:123456789012:alerts",
                "Subject": "ALARM: \"root-login\" in US East (N. Virginia)",
                "Message": message,
                "Timestamp": "2024-11-26T03:35:00.000Z",
                "SignatureVersion": "1"
            })
        );
        // A UUID's shape, derived from the content: the same input gives the same id, and a
        // different topic a different one.
        let shape: Vec<usize> = id.split('-').map(str::len).collect();
        assert_eq!(shape, [8, 4, 4, 4, 12]);
        assert!(id.chars().all(|c| c == '-' || c.is_ascii_hexdigit()));
        // A name-based UUID: version 5, RFC variant.
        let parsed = uuid::Uuid::parse_str(&id).unwrap();
        assert_eq!(parsed.get_version_num(), 5, "{id}");
        assert_eq!(parsed.get_variant(), uuid::Variant::RFC4122, "{id}");
        assert_eq!(id.as_bytes()[14], b'5', "{id}");
        assert_eq!(notification(&d, &t, &ctx)["MessageId"], json!(id));
        ctx.topic_arn = Some("arn:aws:sns:us-east-1:123456789012:other".into());
        let other = notification(&d, &t, &ctx);
        assert_eq!(
            other["TopicArn"],
            json!("arn:aws:sns:us-east-1:123456789012:other")
        );
        assert_ne!(other["MessageId"], json!(id));

        // The text keeps CloudWatch's member order.
        let text = notification_text(&d, &t, &ctx);
        assert!(
            text.starts_with(r#"{"Type":"Notification","MessageId":""#),
            "{text}"
        );
        assert!(
            text.ends_with(r#","Timestamp":"2024-11-26T03:35:00.000Z","SignatureVersion":"1"}"#)
        );
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(&text).unwrap(),
            other
        );
    }

    #[test]
    fn trigger_members() {
        let mut d = root_login();
        d.statistic = Some("SampleCount".into());
        d.unit = Some("Count".into());
        d.datapoints_to_alarm = None;
        d.treat_missing_data = None;
        d.alarm_description = None;
        d.dimensions = vec![Dimension {
            name: "InstanceId".into(),
            value: "i-0123".into(),
        }];
        let t = Transition {
            time_ms: t0(),
            from: State::Alarm,
            to: State::Ok,
            reason: "r".into(),
            reason_data: json!({}),
        };
        let ctx = NotificationContext::new("123456789012", "cn-north-1");
        let got = notification(&d, &t, &ctx);
        let message: serde_json::Value =
            serde_json::from_str(got["Message"].as_str().unwrap()).unwrap();
        assert_eq!(message["AlarmDescription"], json!(null));
        assert!(message.get("AlarmConfigurationUpdatedTimestamp").is_none());
        assert_eq!(
            message["AlarmArn"],
            json!("arn:aws-cn:cloudwatch:cn-north-1:123456789012:alarm:root-login")
        );
        assert_eq!(message["Region"], json!("China (Beijing)"));
        assert_eq!(
            message["Trigger"],
            json!({
                "MetricName": "RootAccountUsage",
                "Namespace": "CloudTrailMetrics",
                "StatisticType": "Statistic",
                "Statistic": "SAMPLE_COUNT",
                "Unit": "Count",
                "Dimensions": [{"value": "i-0123", "name": "InstanceId"}],
                "Period": 300,
                "EvaluationPeriods": 1,
                "ComparisonOperator": "GreaterThanOrEqualToThreshold",
                "Threshold": 1.0,
                "TreatMissingData": "",
                "EvaluateLowSampleCountPercentile": ""
            })
        );
        assert!(
            got["Message"]
                .as_str()
                .unwrap()
                .contains(r#""Dimensions":[{"value":"i-0123","name":"InstanceId"}]"#)
        );
        // No SNS action for OK: no topic.
        assert_eq!(got["TopicArn"], json!(""));
        assert_eq!(
            got["Subject"],
            json!("OK: \"root-login\" in China (Beijing)")
        );
    }

    #[test]
    fn subject_is_cut_to_100_characters() {
        let mut d = root_login();
        d.alarm_name = "AutoAlarm-i-0bb9ca09aa2d09012-Amazon-Linux-StatusCheckFailed_Instance-eu-west-2-and-more"
            .into();
        let t = Transition {
            time_ms: t0(),
            from: State::Ok,
            to: State::InsufficientData,
            reason: "r".into(),
            reason_data: json!({}),
        };
        let ctx = NotificationContext::new("1", "eu-west-2");
        let subject = notification(&d, &t, &ctx)["Subject"]
            .as_str()
            .unwrap()
            .to_string();
        // 'INSUFFICIENT_DATA: "' (20) + 61 characters of the name + '..."' + ' in EU (London)'.
        assert_eq!(
            subject,
            "INSUFFICIENT_DATA: \"AutoAlarm-i-0bb9ca09aa2d09012-Amazon-Linux-StatusCheckFailed_...\" in EU (London)"
        );
        assert_eq!(subject.chars().count(), 100);
        d.alarm_name = "x".repeat(64);
        let subject = notification(&d, &t, &ctx)["Subject"]
            .as_str()
            .unwrap()
            .to_string();
        assert_eq!(subject.chars().count(), 100);
        assert!(subject.contains(&"x".repeat(64)));
    }

    #[test]
    fn actions_per_state() {
        let mut d = root_login();
        d.ok_actions = vec!["arn:aws:sns:us-east-1:123456789012:ok".into()];
        assert_eq!(
            d.actions_for(State::Alarm),
            ["arn:aws:sns:us-east-1:123456789012:alerts"]
        );
        assert_eq!(
            d.actions_for(State::Ok),
            ["arn:aws:sns:us-east-1:123456789012:ok"]
        );
        assert!(d.actions_for(State::InsufficientData).is_empty());
        d.actions_enabled = false;
        assert!(d.actions_for(State::Alarm).is_empty());
    }

    #[test]
    fn region_names() {
        assert_eq!(region_name("us-east-1"), "US East (N. Virginia)");
        assert_eq!(region_name("eu-west-1"), "EU (Ireland)");
        assert_eq!(region_name("ap-northeast-2"), "Asia Pacific (Seoul)");
        assert_eq!(region_name("xx-nowhere-9"), "xx-nowhere-9");
    }
}

mod validation {
    use super::*;

    fn valid() -> AlarmDef {
        def(300, 3, Some(2), Some("breaching"))
    }

    fn check(change: impl FnOnce(&mut AlarmDef), code: &str, field: &str, says: &str) {
        let mut d = valid();
        change(&mut d);
        let err = d.validate().unwrap_err();
        assert_eq!((err.code(), err.field()), (code, field), "{err}");
        assert!(err.message().contains(says), "{err}");
        assert_eq!(err.kind().code(), code);
        assert!(Alarm::new(&d).is_err());
    }

    #[test]
    fn a_valid_definition() {
        valid().validate().unwrap();
        for period in [10, 20, 30, 60, 120, 3600, 86_400] {
            let mut d = valid();
            d.period = Some(period);
            d.evaluation_periods = 1;
            d.datapoints_to_alarm = None;
            d.validate().unwrap();
        }
        for (period, n) in [(60, 1440), (300, 288), (3600, 168), (86_400, 7)] {
            let mut d = valid();
            d.period = Some(period);
            d.evaluation_periods = n;
            d.validate().unwrap();
        }
    }

    #[test]
    fn each_error() {
        check(
            |d| d.alarm_name.clear(),
            "invalid-length",
            "AlarmName",
            "1 to 255",
        );
        check(
            |d| d.alarm_name = "a".repeat(256),
            "invalid-length",
            "AlarmName",
            "found 256",
        );
        check(
            |d| d.alarm_name = "a\u{7}b".into(),
            "invalid-characters",
            "AlarmName",
            "control",
        );
        check(
            |d| d.alarm_description = Some("d".repeat(1025)),
            "invalid-length",
            "AlarmDescription",
            "0 to 1024",
        );
        check(
            |d| d.alarm_actions = vec!["arn:aws:sns:us-east-1:1:t".into(); 6],
            "too-many-items",
            "AlarmActions",
            "at most 5",
        );
        check(
            |d| d.ok_actions = vec![String::new()],
            "invalid-length",
            "OKActions[0]",
            "1 to 1024",
        );
        check(
            |d| d.metrics = Some(json!([{"Id": "m1"}])),
            "unsupported-metric-math",
            "Metrics",
            "not supported",
        );
        for op in [
            "LessThanLowerOrGreaterThanUpperThreshold",
            "LessThanLowerThreshold",
            "GreaterThanUpperThreshold",
        ] {
            check(
                |d| d.comparison_operator = op.into(),
                "unsupported-anomaly-detection",
                "ComparisonOperator",
                "GreaterThanOrEqualToThreshold",
            );
        }
        check(
            |d| d.threshold_metric_id = Some("ad1".into()),
            "unsupported-anomaly-detection",
            "ThresholdMetricId",
            "static Threshold",
        );
        check(
            |d| d.metric_name = None,
            "missing-field",
            "MetricName",
            "metric name",
        );
        check(
            |d| d.namespace = None,
            "missing-field",
            "Namespace",
            "namespace",
        );
        check(
            |d| d.namespace = Some(":x".into()),
            "invalid-value",
            "Namespace",
            "':'",
        );
        check(
            |d| {
                d.dimensions = vec![
                    Dimension {
                        name: "n".into(),
                        value: "v".into()
                    };
                    31
                ]
            },
            "too-many-items",
            "Dimensions",
            "at most 30",
        );
        check(
            |d| {
                d.dimensions = vec![Dimension {
                    name: "n".into(),
                    value: "v".repeat(1025),
                }]
            },
            "invalid-length",
            "Dimensions[0].Value",
            "1 to 1024",
        );
        check(
            |d| d.extended_statistic = Some("p99".into()),
            "conflicting-statistics",
            "ExtendedStatistic",
            "exactly one",
        );
        check(
            |d| {
                d.statistic = None;
                d.extended_statistic = Some("p99".into());
            },
            "unsupported-extended-statistic",
            "ExtendedStatistic",
            "\"p99\"",
        );
        check(
            |d| d.statistic = None,
            "missing-field",
            "Statistic",
            "neither",
        );
        check(
            |d| d.statistic = Some("Median".into()),
            "invalid-value",
            "Statistic",
            "SampleCount, Average, Sum, Minimum, Maximum",
        );
        check(|d| d.period = None, "missing-field", "Period", "period");
        for bad in [0, -60, 45, 90, 15] {
            check(
                |d| d.period = Some(bad),
                "invalid-period",
                "Period",
                "10, 20, 30 or a multiple of 60",
            );
        }
        check(
            |d| {
                d.evaluation_periods = 0;
                d.datapoints_to_alarm = None;
            },
            "out-of-range",
            "EvaluationPeriods",
            "at least 1",
        );
        check(
            |d| d.datapoints_to_alarm = Some(0),
            "out-of-range",
            "DatapointsToAlarm",
            "at least 1",
        );
        check(
            |d| d.datapoints_to_alarm = Some(4),
            "datapoints-exceed-evaluation-periods",
            "DatapointsToAlarm",
            "at most EvaluationPeriods (3)",
        );
        for (period, n, max) in [(60, 1441, 86_400), (300, 289, 86_400), (3600, 169, 604_800)] {
            check(
                |d| {
                    d.period = Some(period);
                    d.evaluation_periods = n;
                },
                "evaluation-too-long",
                "EvaluationPeriods",
                &format!("at most {max} seconds"),
            );
        }
        check(
            |d| d.threshold = None,
            "missing-field",
            "Threshold",
            "a number",
        );
        check(
            |d| d.comparison_operator = "Above".into(),
            "invalid-value",
            "ComparisonOperator",
            "found \"Above\"",
        );
        check(
            |d| d.unit = Some("Apples".into()),
            "invalid-value",
            "Unit",
            "Count/Second",
        );
        check(
            |d| d.treat_missing_data = Some("zero".into()),
            "invalid-value",
            "TreatMissingData",
            "breaching, notBreaching, ignore, missing",
        );
        check(
            |d| d.treat_missing_data = Some(String::new()),
            "invalid-length",
            "TreatMissingData",
            "1 to 255",
        );
        check(
            |d| d.evaluate_low_sample_count_percentile = Some("maybe".into()),
            "invalid-value",
            "EvaluateLowSampleCountPercentile",
            "evaluate, ignore",
        );
        check(
            |d| {
                d.tags = vec![Tag {
                    key: String::new(),
                    value: "v".into(),
                }]
            },
            "invalid-length",
            "Tags[0].Key",
            "1 to 128",
        );
    }

    #[test]
    fn loads_put_metric_alarm_and_describe_alarms_json() {
        let describe = r#"{"MetricAlarms": [
            {"AlarmName": "a", "AlarmArn": "arn:aws:cloudwatch:us-east-1:1:alarm:a",
             "ActionsEnabled": false, "OKActions": ["arn:aws:sns:us-east-1:1:ok"],
             "StateValue": "OK", "MetricName": "M", "Namespace": "N", "Statistic": "Average",
             "Dimensions": [{"Name": "InstanceId", "Value": "i-1"}], "Period": 60,
             "EvaluationPeriods": 2, "DatapointsToAlarm": 1, "Threshold": 3.5,
             "ComparisonOperator": "LessThanThreshold", "TreatMissingData": "ignore"},
            {"AlarmName": "b", "MetricName": "M", "Namespace": "N", "Statistic": "Sum",
             "Period": 300, "EvaluationPeriods": 1, "Threshold": 0,
             "ComparisonOperator": "GreaterThanThreshold"}
        ], "CompositeAlarms": []}"#;
        let alarms = parse_alarms(describe).unwrap();
        assert_eq!(alarms.len(), 2);
        let a = &alarms[0];
        assert!(!a.actions_enabled);
        assert_eq!(a.ok_actions, ["arn:aws:sns:us-east-1:1:ok"]);
        assert_eq!(
            a.dimensions,
            [Dimension {
                name: "InstanceId".into(),
                value: "i-1".into()
            }]
        );
        assert_eq!((a.evaluation_periods, a.datapoints_to_alarm), (2, Some(1)));
        assert!(alarms[1].actions_enabled);
        assert_eq!(alarms[1].threshold, Some(0.0));

        let back = serde_json::to_value(a).unwrap();
        assert_eq!(back["OKActions"], json!(["arn:aws:sns:us-east-1:1:ok"]));
        assert_eq!(back["TreatMissingData"], json!("ignore"));
        assert!(back.get("AlarmActions").is_none());

        let one = r#"{"AlarmName": "c", "MetricName": "M", "Namespace": "N",
            "Statistic": "Maximum", "Period": 60, "EvaluationPeriods": 1, "Threshold": 1,
            "ComparisonOperator": "GreaterThanThreshold"}"#;
        assert_eq!(parse_alarms(one).unwrap()[0].alarm_name, "c");
        assert_eq!(parse_alarms(&format!("[{one}]")).unwrap().len(), 1);
    }

    #[test]
    fn parse_errors_name_the_alarm() {
        let err = parse_alarms(
            r#"{"MetricAlarms": [{"AlarmName": "a", "MetricName": "M",
            "Namespace": "N", "Statistic": "Sum", "Period": 60, "EvaluationPeriods": 1,
            "Threshold": 1, "ComparisonOperator": "GreaterThanThreshold"},
            {"AlarmName": "b", "MetricName": "M", "Namespace": "N", "Statistic": "Sum",
            "Period": 61, "EvaluationPeriods": 1, "Threshold": 1,
            "ComparisonOperator": "GreaterThanThreshold"}]}"#,
        )
        .unwrap_err();
        assert_eq!(
            (err.code(), err.field()),
            ("invalid-period", "MetricAlarms[1].Period")
        );
        let err = parse_alarms("{").unwrap_err();
        assert_eq!(err.code(), "invalid-json");
        let err = parse_alarms(r#"[{"AlarmName": "a"}, 3]"#).unwrap_err();
        assert_eq!((err.code(), err.field()), ("invalid-json", "[0]"));
        let err = parse_alarms(r#"{"MetricAlarms": 3}"#).unwrap_err();
        assert_eq!((err.code(), err.field()), ("invalid-json", "MetricAlarms"));
        let err = parse_alarms("42").unwrap_err();
        assert_eq!(err.code(), "invalid-json");
        assert_eq!(
            err.to_string(),
            format!(": {} [invalid-json]", err.message())
        );
    }
}
