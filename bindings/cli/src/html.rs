//! `trailmatch scan --format html`: the report as one self-contained HTML page, for a person to
//! look at: for every alarm, its metric per period against the threshold with the `ALARM`
//! stretches shaded and the state changes marked; for every anomaly, its rate against the
//! baseline band; the rules; where every record went.
//!
//! The page loads nothing: no script, no font, no image, no style sheet from elsewhere (its
//! Content-Security-Policy forbids every fetch), and its charts are inline SVG drawn by
//! `plotters` (SVG backend only). Everything that comes from the logs, the rules or a template
//! goes through `maud`, whose templates escape every value they interpolate; plotters escapes
//! the text it draws, and only numbers and times are given to it. Control and format characters
//! are written as `\u{…}`, as in the text report ([`boundary::terminal`]).
//!
//! Each chart is one `<svg class="chart">` holding one group per layer (`axes`, `alarm-periods`,
//! `threshold`, `datapoints`, `transitions`; for an anomaly `axes`, `insight`, `band`,
//! `baseline`, `unusual`, `counts`, `rate`), each layer drawn by plotters over the same
//! coordinates, so that the page and its tests can tell the parts of a chart apart.

use std::borrow::Cow;
use std::ops::Range;
use trailmatch_cloudtrail::time::DAY_MS;

use maud::{DOCTYPE, Markup, PreEscaped, html};
use plotters::coord::Shift;
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;
use trailmatch_cloudtrail::alarm::State;
use trailmatch_cloudtrail::boundary;
use trailmatch_cloudtrail::insights::Insight;
use trailmatch_cloudtrail::scan::{AlarmReport, Report};
use trailmatch_cloudtrail::time;

/// What the page says about the scan besides the report.
#[derive(Debug)]
pub struct Context<'a> {
    /// What was read (paths, or the bundled sample).
    pub source: &'a str,
    /// How many inputs (files, streams).
    pub files: u64,
    /// The rules, as `--rules` named them.
    pub rules: &'a str,
}

/// The page.
pub fn render(report: &Report, context: &Context<'_>) -> String {
    let c = &report.records;
    let fired = report.alarms.iter().filter(|a| a.fired()).count();
    let page = html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                // Nothing may be fetched, nothing may run: the page is all there is.
                meta http-equiv="Content-Security-Policy"
                    content="default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { "trailmatch scan report" }
                style { (PreEscaped(CSS)) }
            }
            body {
                header {
                    h1 { "trailmatch scan report" }
                    dl.meta {
                        dt { "Input" } dd { (shown(context.source)) " (" (context.files) " "
                            (if context.files == 1 { "input" } else { "inputs" }) ")" }
                        dt { "Rules" } dd { (shown(context.rules)) }
                        dt { "Time range" } dd {
                            @match report.range {
                                Some(r) => { (time::format_seconds(r.first_ms)) " – " (time::format_seconds(r.last_ms)) }
                                None => { "no record had a time" }
                            }
                        }
                        dt { "Account" } dd { (report.account_id.as_deref().map_or(Cow::Borrowed("unknown"), shown)) }
                        dt { "Region" } dd { (report.region.as_deref().map_or(Cow::Borrowed("unknown"), shown)) }
                    }
                    nav {
                        a href="#records" { "Records" } " · "
                        a href="#alarms" { "Alarms (" (fired) " of " (report.alarms.len()) " fired)" } " · "
                        a href="#anomalies" { "Anomalies (" (report.anomalies.len()) ")" } " · "
                        a href="#rules" { "Rules (" (report.rules.len()) ")" }
                    }
                }
                section #records {
                    h2 { "Records" }
                    table.counts {
                        tbody {
                            tr { th { "read" } td { (c.read) } td.note { "valid JSON records" } }
                            tr { th { "matched" } td { (c.matched) } td.note { "by at least one rule" } }
                            tr { th { "unmatched" } td { (c.unmatched) } td.note { "kept, matched by no rule" } }
                            tr { th { "filtered" } td { (c.filtered) } td.note { "left out by the event filter" } }
                            tr { th { "skipped" } td { (c.skipped) } td.note { "could not be read as records (reasons below)" } }
                            @if c.untimed > 0 {
                                tr { th { "untimed" } td { (c.untimed) } td.note { "no usable eventTime: counted, in no metric" } }
                            }
                        }
                    }
                    @if !report.skipped.is_empty() {
                        h3 { "Skipped, by reason" }
                        table.skipped {
                            thead { tr { th { "reason" } th { "count" } th { "examples" } } }
                            tbody {
                                @for skip in &report.skipped {
                                    tr {
                                        td { code { (shown(&skip.code)) } }
                                        td.num { (skip.count) }
                                        td { ul {
                                            @for e in &skip.examples {
                                                li { code { (shown(&e.location)) } ": " (shown(&e.message)) }
                                            }
                                        } }
                                    }
                                }
                            }
                        }
                    }
                }
                section #alarms {
                    h2 { "Alarms" }
                    p.legend {
                        span.key.datapoint {} "the alarm's statistic per period "
                        span.key.breaching {} "breaching "
                        span.key.threshold {} "threshold "
                        span.key.alarm {} "in ALARM "
                        span.key.transition {} "state change"
                    }
                    @for alarm in &report.alarms { (alarm_section(report, alarm)) }
                }
                section #anomalies {
                    h2 { "Anomalies (Insights-style)" }
                    @if report.anomalies.is_empty() {
                        p { "None found." }
                    } @else {
                        p.legend {
                            span.key.rate {} "rate (mean of the last minutes) "
                            span.key.count {} "events per minute "
                            span.key.band {} "baseline mean ± one standard deviation "
                            span.key.unusual {} "unusual above "
                            span.key.insight {} "the anomaly"
                        }
                    }
                    @for (i, anomaly) in report.anomalies.iter().enumerate() { (anomaly_section(i, anomaly)) }
                }
                section #rules {
                    h2 { "Rules" }
                    table.rules {
                        thead { tr { th { "metric filter" } th { "pattern" } th { "metric" } th { "matches" } } }
                        tbody {
                            @for rule in &report.rules {
                                tr.matched[rule.matches > 0] {
                                    td { (shown(&rule.name)) }
                                    td { code { (shown(&rule.pattern)) } }
                                    td { (shown(&rule.metric.namespace)) " / " (shown(&rule.metric.name)) }
                                    td.num { (rule.matches) }
                                }
                            }
                        }
                    }
                }
                footer { p { "Made by trailmatch " (env!("CARGO_PKG_VERSION")) ". The charts are inline SVG; the page loads nothing." } }
            }
        }
    };
    page.into_string()
}

fn alarm_section(report: &Report, alarm: &AlarmReport) -> Markup {
    let a = &alarm.alarm;
    let def = &alarm.def;
    let period_s = a.period_ms() / 1_000;
    let dimensions = alarm
        .metric
        .dimensions
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(", ");
    let chart = alarm_chart(report, alarm);
    html! {
        article.alarm data-state=(alarm.state.as_str()) {
            h3 {
                (shown(&alarm.name)) " "
                span class={ "state " (state_class(alarm.state)) } { (alarm.state.as_str()) }
            }
            @if let Some(description) = &def.alarm_description {
                p.description { (shown(description)) }
            }
            p.what {
                (a.statistic().name()) " of " code { (shown(&alarm.metric.namespace)) " / " (shown(&alarm.metric.name)) }
                @if !dimensions.is_empty() { " (" (shown(&dimensions)) ")" }
                " per " (duration(period_s)) "; ALARM when " (a.datapoints_to_alarm()) " of "
                (a.evaluation_periods()) " " (if a.evaluation_periods() == 1 { "period is" } else { "periods are" }) " "
                (a.comparison_operator().words()) " " (num(a.threshold()))
                "; missing data: " (a.treat_missing_data().name())
            }
            @match chart {
                Ok((svg, caption)) => { figure.chart { (PreEscaped(svg)) figcaption { (caption) } } }
                Err(why) => { p.nochart { (why) } }
            }
            @if alarm.transitions.is_empty() {
                p.none { "No state change." }
            } @else {
                table.transitions {
                    thead { tr { th { "time" } th { "change" } th { "reason" } } }
                    tbody {
                        @for t in &alarm.transitions {
                            tr {
                                @let time = time::format_millis(t.time_ms);
                                td { time datetime=(time) { (time) } }
                                td { (t.from.as_str()) " → " span class={ "state " (state_class(t.to)) } { (t.to.as_str()) } }
                                td { (shown(&t.reason)) }
                            }
                        }
                    }
                }
            }
            @let n = alarm.notification_count();
            @if n > 0 {
                p.notifications { (n) " SNS " (if n == 1 { "notification" } else { "notifications" }) }
            }
        }
    }
}

fn anomaly_section(index: usize, a: &Insight) -> Markup {
    let end = a
        .end_ms
        .map_or_else(|| "ongoing".to_owned(), time::format_seconds);
    let chart = anomaly_chart(a);
    html! {
        article.anomaly id={ "anomaly-" (index + 1) } {
            h3 {
                (a.insight_type.as_str()) ": " (shown(&a.event_source)) " " (shown(&a.event_name))
                @if let Some(code) = &a.error_code { " " code { (shown(code)) } }
            }
            p.what {
                (time::format_seconds(a.start_ms)) " – " (end) "; "
                (num(a.average())) "/min against a baseline of " (num(a.baseline_average))
                "/min (σ " (num(a.baseline_stddev)) "), unusual above " (num(a.unusual_above)) "/min"
                @if let Some(region) = &a.aws_region { "; " (shown(region)) }
                @if let Some(account) = &a.recipient_account_id { ", account " (shown(account)) }
            }
            @match chart {
                Ok(svg) => { figure.chart { (PreEscaped(svg)) } }
                Err(why) => { p.nochart { (why) } }
            }
        }
    }
}

/// A value from the logs, the rules or a template, as the page shows it (maud escapes it for
/// HTML; control and format characters are written out as in the text report).
fn shown(text: &str) -> Cow<'_, str> {
    boundary::terminal(text)
}

fn state_class(state: State) -> &'static str {
    match state {
        State::Ok => "ok",
        State::Alarm => "alarm",
        State::InsufficientData => "insufficient",
    }
}

/// `300` → `5 min`.
fn duration(seconds: i64) -> String {
    match seconds {
        s if s % 3_600 == 0 => format!("{} h", s / 3_600),
        s if s % 60 == 0 => format!("{} min", s / 60),
        s => format!("{s} s"),
    }
}

/// A number as a person reads it: integers without a fraction, others to 4 significant
/// places.
fn num(value: f64) -> String {
    if value.fract() == 0.0 && value.abs() < 1e15 {
        format!("{value:.0}")
    } else {
        let text = if value.abs() >= 1.0 {
            format!("{value:.3}")
        } else {
            format!("{value:.4}")
        };
        text.trim_end_matches('0').trim_end_matches('.').to_owned()
    }
}

// ---------------------------------------------------------------------------------------------
// Charts

const WIDTH: u32 = 960;
const HEIGHT: u32 = 260;

const BLUE: RGBColor = RGBColor(31, 119, 180);
const RED: RGBColor = RGBColor(214, 39, 40);
const GREEN: RGBColor = RGBColor(44, 160, 44);
const ORANGE: RGBColor = RGBColor(230, 110, 0);
const GREY: RGBColor = RGBColor(127, 127, 127);

type Chart<'a, 'b> = ChartContext<'a, SVGBackend<'b>, Cartesian2d<RangedCoordf64, RangedCoordf64>>;
type DrawError = DrawingAreaErrorKind<std::io::Error>;

/// The coordinates every layer of one chart shares. Times are hours from the start of the UTC
/// day the chart starts in (as `f64`), so that plotters puts the axis' marks on round hours or
/// minutes.
struct Frame {
    /// The start of that day (ms since the epoch).
    origin_ms: i64,
    x: Range<f64>,
    y: Range<f64>,
}

const HOUR_MS: f64 = 3_600_000.0;

impl Frame {
    /// A frame over the times `x` (ms since the epoch), from `0` (or the lowest value, when
    /// below) to a little above the highest of `values`.
    fn new(x: Range<i64>, values: impl IntoIterator<Item = f64>) -> Frame {
        let (mut lo, mut hi) = (0.0_f64, 0.0_f64);
        for v in values.into_iter().map(plotted) {
            lo = lo.min(v);
            hi = hi.max(v);
        }
        if hi - lo < 1e-9 {
            hi = lo + 1.0;
        }
        let pad = (hi - lo) * 0.12;
        let origin_ms = x.start.saturating_sub(x.start.rem_euclid(DAY_MS));
        let hours = |ms: i64| hours_between(origin_ms, ms);
        Frame {
            origin_ms,
            x: hours(x.start)..hours(x.end.max(x.start.saturating_add(1))),
            y: if lo < 0.0 { lo - pad } else { lo }..hi + pad,
        }
    }

    /// A time's x coordinate.
    fn at(&self, ms: i64) -> f64 {
        hours_between(self.origin_ms, ms)
    }

    /// One layer: plotters draws it on the frame's coordinates, into an SVG of its own, which
    /// goes into a group of class `class`.
    fn layer(
        &self,
        class: &str,
        out: &mut String,
        draw: impl for<'a, 'b> FnOnce(&mut Chart<'a, 'b>) -> Result<(), DrawError>,
    ) -> Result<(), String> {
        let mut svg = String::new();
        {
            let root = SVGBackend::with_string(&mut svg, (WIDTH, HEIGHT)).into_drawing_area();
            draw_layer(&root, self, draw)
                .map_err(|e| format!("the chart could not be drawn: {e}"))?;
        }
        out.push_str(&format!("<g class=\"{class}\">{svg}</g>"));
        Ok(())
    }

    /// The axes and the grid, with times on the x axis.
    fn axes(&self, out: &mut String, y_label: &str) -> Result<(), String> {
        let days = self.x.end > 24.0;
        let origin = self.origin_ms;
        let label = move |hours: &f64| {
            // Whole minutes: the marks are at round fractions of an hour.
            #[allow(clippy::cast_possible_truncation)]
            let ms = origin.saturating_add(((hours * 60.0).round() as i64).saturating_mul(60_000));
            let t = time::format_seconds(ms);
            let hhmm = t.get(11..16).unwrap_or("").to_owned();
            if days {
                format!("{} {hhmm}", t.get(5..10).unwrap_or(""))
            } else {
                hhmm
            }
        };
        let y_label = y_label.to_owned();
        self.layer("axes", out, move |chart| {
            chart.plotting_area().fill(&WHITE)?;
            chart
                .configure_mesh()
                .x_labels(10)
                .y_labels(6)
                .x_label_formatter(&label)
                .y_label_formatter(&|v| num(*v))
                .y_desc(y_label)
                .light_line_style(TRANSPARENT)
                .bold_line_style(RGBColor(215, 215, 215))
                .axis_desc_style(("sans-serif", 13))
                .label_style(("sans-serif", 12))
                .draw()
        })
    }

    /// The whole chart: one `<svg>` holding its layers.
    fn finish(label: &str, layers: &str) -> String {
        let view_box = format!("0 0 {WIDTH} {HEIGHT}");
        html! {
            svg.chart viewBox=(view_box) role="img" aria-label=(label)
                xmlns="http://www.w3.org/2000/svg" { (PreEscaped(layers)) }
        }
        .into_string()
    }
}

/// The largest magnitude a chart shows: larger values are drawn at its edge. plotters lays out an
/// axis by stepping through its range, which never ends when the range is not finite (values
/// near `f64::MAX` and its padding) — a metric value from a log can be anything.
const LIMIT: f64 = 1e15;

/// A value as a chart draws it: within ±[`LIMIT`] (`NaN` as 0).
fn plotted(value: f64) -> f64 {
    if value.is_nan() {
        0.0
    } else {
        value.clamp(-LIMIT, LIMIT)
    }
}

/// Hours from `origin` to `ms`.
#[allow(clippy::cast_precision_loss)]
fn hours_between(origin: i64, ms: i64) -> f64 {
    ms.saturating_sub(origin) as f64 / HOUR_MS
}

fn draw_layer(
    root: &DrawingArea<SVGBackend<'_>, Shift>,
    frame: &Frame,
    draw: impl for<'a, 'b> FnOnce(&mut Chart<'a, 'b>) -> Result<(), DrawError>,
) -> Result<(), DrawError> {
    let mut chart = ChartBuilder::on(root)
        .margin(12)
        .margin_right(24)
        .x_label_area_size(28)
        .y_label_area_size(56)
        .build_cartesian_2d(frame.x.clone(), frame.y.clone())?;
    draw(&mut chart)?;
    root.present()
}

/// An alarm's chart: its statistic per period, the threshold, the `ALARM` stretches and the
/// state changes.
fn alarm_chart(report: &Report, alarm: &AlarmReport) -> Result<(String, String), String> {
    if alarm.evaluated_range.is_none() {
        return Err("No record had a time: nothing to chart.".to_owned());
    }
    let a = &alarm.alarm;
    let period = a.period_ms().max(1);
    let points = report.datapoints(alarm);
    let threshold = a.threshold();
    let window = shown_range(alarm, &points, period);
    let frame = Frame::new(
        window.clone(),
        points
            .iter()
            .map(|p| p.value)
            .chain(std::iter::once(threshold)),
    );
    let (y0, y1) = (frame.y.start, frame.y.end);
    let (x0, x1) = (frame.x.start, frame.x.end);
    let mut layers = String::new();
    frame.axes(
        &mut layers,
        &format!("{} per {}", a.statistic().name(), duration(period / 1_000)),
    )?;
    let alarm_spans: Vec<_> = alarm
        .states()
        .into_iter()
        .filter(|s| s.state == State::Alarm)
        .collect();
    frame.layer("alarm-periods", &mut layers, |chart| {
        chart
            .draw_series(alarm_spans.iter().map(|s| {
                Rectangle::new(
                    [(frame.at(s.from_ms), y0), (frame.at(s.to_ms), y1)],
                    RED.mix(0.14).filled(),
                )
            }))
            .map(drop)
    })?;
    frame.layer("threshold", &mut layers, |chart| {
        chart
            .draw_series(LineSeries::new(
                [(x0, plotted(threshold)), (x1, plotted(threshold))],
                ORANGE.stroke_width(2),
            ))
            .map(drop)
    })?;
    // Periods one after another are joined; a missing period leaves a gap.
    let mut runs: Vec<Vec<(f64, f64)>> = Vec::new();
    let mut previous: Option<i64> = None;
    for p in &points {
        let joined = previous.is_some_and(|start| start.saturating_add(period) == p.start_ms);
        match runs.last_mut() {
            Some(run) if joined => run.push((frame.at(p.start_ms), plotted(p.value))),
            _ => runs.push(vec![(frame.at(p.start_ms), plotted(p.value))]),
        }
        previous = Some(p.start_ms);
    }
    frame.layer("datapoints", &mut layers, |chart| {
        for run in &runs {
            chart.draw_series(LineSeries::new(run.iter().copied(), BLUE.stroke_width(2)))?;
        }
        // A dot per datapoint, while they can be told apart; a long series is its line alone.
        let dots = if points.len() <= MAX_DOTS {
            points.as_slice()
        } else {
            &[]
        };
        chart
            .draw_series(dots.iter().map(|p| {
                let color = if p.breaching { RED } else { BLUE };
                Circle::new((frame.at(p.start_ms), plotted(p.value)), 3, color.filled())
            }))
            .map(drop)
    })?;
    frame.layer("transitions", &mut layers, |chart| {
        chart
            .draw_series(alarm.transitions.iter().map(|t| {
                let color = match t.to {
                    State::Alarm => RED,
                    State::Ok => GREEN,
                    State::InsufficientData => GREY,
                };
                let x = frame.at(t.time_ms);
                PathElement::new(vec![(x, y0), (x, y1)], color.stroke_width(2))
            }))
            .map(drop)
    })?;
    let caption = match alarm.evaluated_range {
        Some(r) if r.first_ms < window.start || r.last_ms > window.end => format!(
            "{} to {} shown, of the {} to {} evaluated (UTC)",
            time::format_seconds(window.start),
            time::format_seconds(window.end),
            time::format_seconds(r.first_ms),
            time::format_seconds(r.last_ms)
        ),
        _ => format!(
            "{} to {} (UTC)",
            time::format_seconds(window.start),
            time::format_seconds(window.end)
        ),
    };
    Ok((
        Frame::finish(
            &format!("{} against its threshold", shown(&alarm.name)),
            &layers,
        ),
        caption,
    ))
}

/// The most datapoints drawn as dots (a month of one-minute periods would be 43,200 dots).
const MAX_DOTS: usize = 1_500;

/// Context shown around an alarm's datapoints and state changes.
const AROUND_MS: i64 = 90 * 60_000;

/// The time an alarm's chart shows: the range it was evaluated on, narrowed to its datapoints
/// and state changes with [`AROUND_MS`] on each side (a short burst in a day of logs would
/// otherwise be a line one pixel wide); the whole range when it had neither.
fn shown_range(
    alarm: &AlarmReport,
    points: &[trailmatch_cloudtrail::alarm::Datapoint],
    period: i64,
) -> Range<i64> {
    let Some(range) = alarm.evaluated_range else {
        return 0..period;
    };
    let times = points
        .iter()
        .map(|p| p.start_ms)
        .chain(alarm.transitions.iter().map(|t| t.time_ms));
    let (lo, hi) = times.fold((i64::MAX, i64::MIN), |(lo, hi), t| (lo.min(t), hi.max(t)));
    let (from, to) = if lo <= hi {
        (
            lo.saturating_sub(AROUND_MS).max(range.first_ms),
            hi.saturating_add(AROUND_MS).min(range.last_ms),
        )
    } else {
        (range.first_ms, range.last_ms)
    };
    from..to.max(from.saturating_add(period))
}

/// An anomaly's chart: the events per minute and the rate around it, against its baseline.
fn anomaly_chart(a: &Insight) -> Result<String, String> {
    let history = &a.history;
    let points: Vec<_> = history.points().collect();
    let (mean, sd) = (plotted(a.baseline_average), plotted(a.baseline_stddev));
    let unusual = plotted(a.unusual_above);
    let end = history
        .to_ms
        .max(history.from_ms.saturating_add(time::MINUTE_MS));
    #[allow(clippy::cast_precision_loss)]
    let frame = Frame::new(
        history.from_ms..end,
        points
            .iter()
            .flat_map(|p| [plotted(p.count as f64), plotted(p.rate)])
            .chain([unusual, mean + sd]),
    );
    let (y0, y1) = (frame.y.start, frame.y.end);
    let (x0, x1) = (frame.x.start, frame.x.end);
    let mut layers = String::new();
    frame.axes(&mut layers, "events per minute")?;
    let insight_end = a.end_ms.unwrap_or(end).min(end);
    frame.layer("insight", &mut layers, |chart| {
        chart
            .draw_series(std::iter::once(Rectangle::new(
                [(frame.at(a.start_ms), y0), (frame.at(insight_end), y1)],
                ORANGE.mix(0.14).filled(),
            )))
            .map(drop)
    })?;
    frame.layer("band", &mut layers, |chart| {
        chart
            .draw_series(std::iter::once(Rectangle::new(
                [(x0, (mean - sd).max(0.0)), (x1, plotted(mean + sd))],
                BLUE.mix(0.12).filled(),
            )))
            .map(drop)
    })?;
    frame.layer("baseline", &mut layers, |chart| {
        chart
            .draw_series(LineSeries::new(
                [(x0, mean), (x1, mean)],
                BLUE.mix(0.6).stroke_width(1),
            ))
            .map(drop)
    })?;
    frame.layer("unusual", &mut layers, |chart| {
        chart
            .draw_series(LineSeries::new(
                [(x0, unusual), (x1, unusual)],
                RED.stroke_width(2),
            ))
            .map(drop)
    })?;
    #[allow(clippy::cast_precision_loss)]
    frame.layer("counts", &mut layers, |chart| {
        chart
            .draw_series(LineSeries::new(
                points
                    .iter()
                    .map(|p| (frame.at(p.minute_ms), plotted(p.count as f64))),
                GREY.mix(0.8).stroke_width(1),
            ))
            .map(drop)
    })?;
    frame.layer("rate", &mut layers, |chart| {
        chart
            .draw_series(LineSeries::new(
                points
                    .iter()
                    .map(|p| (frame.at(p.minute_ms), plotted(p.rate))),
                BLUE.stroke_width(2),
            ))
            .map(drop)
    })?;
    Ok(Frame::finish(
        &format!(
            "{} {}: rate against the baseline",
            shown(&a.event_source),
            shown(&a.event_name)
        ),
        &layers,
    ))
}

const CSS: &str = "
:root { color-scheme: light; }
body { font: 14px/1.45 system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif; margin: 0 auto;
  max-width: 1040px; padding: 16px 24px 48px; color: #1d1d1f; background: #fafafa; }
h1 { font-size: 22px; margin: 8px 0; }
h2 { font-size: 18px; margin: 32px 0 8px; border-bottom: 1px solid #ddd; padding-bottom: 4px; }
h3 { font-size: 15px; margin: 0 0 4px; overflow-wrap: anywhere; }
dl.meta { display: grid; grid-template-columns: max-content 1fr; gap: 2px 16px; margin: 8px 0; }
dl.meta dt { color: #666; } dl.meta dd { margin: 0; overflow-wrap: anywhere; }
nav a { color: #0b5cad; }
article { background: #fff; border: 1px solid #e3e3e3; border-radius: 6px; padding: 12px 14px;
  margin: 12px 0; }
article.alarm[data-state=ALARM] { border-left: 4px solid #d62728; }
p.what, p.description, p.notifications, p.none { margin: 2px 0 6px; color: #444; overflow-wrap: anywhere; }
figure.chart { margin: 6px 0; }
figcaption { color: #777; font-size: 12px; }
svg.chart { width: 100%; height: auto; display: block; }
table { border-collapse: collapse; margin: 6px 0; }
th, td { text-align: left; padding: 3px 10px 3px 0; vertical-align: top; overflow-wrap: anywhere; }
thead th { border-bottom: 1px solid #ccc; color: #555; font-weight: 600; white-space: nowrap; overflow-wrap: normal; }
td.num, table.counts td:nth-child(2) { text-align: right; font-variant-numeric: tabular-nums; }
td.note { color: #777; }
table.rules tr:not(.matched) { color: #888; }
table.transitions td:first-child { white-space: nowrap; }
code { font: 12px ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
.state { font-size: 11px; font-weight: 600; padding: 1px 6px; border-radius: 3px; color: #fff; }
.state.alarm { background: #d62728; } .state.ok { background: #2ca02c; }
.state.insufficient { background: #888; }
p.legend { color: #555; font-size: 12px; }
.key { display: inline-block; width: 14px; height: 10px; margin: 0 4px 0 12px; vertical-align: middle; }
.key.datapoint { background: #1f77b4; height: 3px; } .key.breaching { background: #d62728; border-radius: 50%; width: 8px; height: 8px; }
.key.threshold { background: #e66e00; height: 2px; } .key.alarm { background: rgba(214,39,40,.18); }
.key.transition { background: #d62728; width: 2px; }
.key.rate { background: #1f77b4; height: 3px; } .key.count { background: #999; height: 1px; }
.key.band { background: rgba(31,119,180,.2); } .key.unusual { background: #d62728; height: 2px; }
.key.insight { background: rgba(230,110,0,.2); }
footer { margin-top: 32px; color: #888; font-size: 12px; }
";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_and_durations_as_a_person_reads_them() {
        assert_eq!(num(1.0), "1");
        assert_eq!(num(-35.0), "-35");
        assert_eq!(num(0.8), "0.8");
        assert_eq!(num(2.345_678), "2.346");
        assert_eq!(num(0.027_777), "0.0278");
        assert_eq!(num(12.5), "12.5");
        assert_eq!(duration(300), "5 min");
        assert_eq!(duration(3_600), "1 h");
        assert_eq!(duration(90), "90 s");
    }

    /// Whatever the values, a chart's ranges are finite, hold 0, and are not empty.
    #[test]
    fn frames_are_finite_and_hold_zero() {
        for values in [
            vec![],
            vec![f64::MAX, f64::MIN],
            vec![f64::NAN, f64::INFINITY, f64::NEG_INFINITY],
            vec![5e-324],
            vec![-3.0, -1.0],
            vec![1e15 + 1.0, 1e15 + 2.0],
        ] {
            let frame = Frame::new(0..60_000, values.iter().copied());
            let y = &frame.y;
            assert!(
                y.start.is_finite() && y.end.is_finite(),
                "{values:?}: {y:?}"
            );
            assert!(y.start <= 0.0 && 0.0 < y.end, "{values:?}: {y:?}");
            assert!(frame.x.start < frame.x.end);
        }
        // Times are hours from the start of the chart's UTC day.
        let day = 1_795_392_000_000; // 2026-11-23T00:00:00Z
        let frame = Frame::new(day + 90 * 60_000..day + 26 * 3_600_000, [1.0]);
        assert_eq!((frame.x.start, frame.x.end), (1.5, 26.0));
        assert_eq!(frame.at(day + 30 * 60_000), 0.5);
    }
}
