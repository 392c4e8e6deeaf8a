//! `trailmatch scan`: CloudTrail logs through metric filters, metrics, alarms and Insights-style
//! anomaly detection, as CloudWatch and CloudTrail would have run them.
//!
//! Everything about the logs, rules, alarms and anomalies is in `trailmatch_cloudtrail`; this
//! module reads the arguments, feeds the library, delivers notifications and prints the report.

use std::fmt::Write as _;
use std::io::{self, IsTerminal, Write};
use std::path::PathBuf;

use clap::{Args, ValueEnum};
use serde_json::{Value, json};
use trailmatch_cloudtrail::classify::{Access, Category, EventFilter};
use trailmatch_cloudtrail::insights::{self, InOrder};
use trailmatch_cloudtrail::logs::{self, Input, Item, Reader};
use trailmatch_cloudtrail::rules::RuleSet;
use trailmatch_cloudtrail::scan::{Report, ScanOptions, Scanner};
use trailmatch_cloudtrail::time;

use crate::notify::Sink;
use crate::output::{Failure, print_text};

mod sample {
    include!(concat!(env!("OUT_DIR"), "/sample.rs"));
}

#[derive(Debug, Args)]
#[command(after_help = SCAN_HELP)]
pub struct ScanArgs {
    /// CloudTrail log files or directories (`-`: standard input). None: the bundled sample, a
    /// day of CloudTrail activity with four incidents.
    #[arg(value_name = "PATH")]
    paths: Vec<PathBuf>,
    /// The rules: `cis` (the built-in CIS AWS Foundations 7.0 monitoring controls), a rules
    /// file (TOML or JSON, see below), a CloudFormation template, a Terraform file, or a
    /// directory of them (a Terraform module). Repeatable; default `cis`.
    #[arg(long = "rules", value_name = "cis|FILE")]
    rules: Vec<String>,
    /// What to print: a summary to read (`text`), one JSON object (`json`), or the same
    /// objects one per line (`ndjson`).
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// Deliver alarm notifications (the SNS messages CloudWatch would publish) to TARGET: `-`
    /// (standard output, one JSON object per line, before the report), a file (appended to),
    /// or an http:// URL (each POSTed as SNS posts to an HTTP subscription). Repeatable.
    #[arg(long, value_name = "TARGET")]
    notify: Vec<String>,
    /// Keep only these event categories (comma-separated): management, data, insight,
    /// network-activity.
    #[arg(long, value_delimiter = ',', value_name = "CATEGORY")]
    category: Vec<Category>,
    /// Keep only read (`readOnly: true`) or write events.
    #[arg(long, value_name = "read|write")]
    access: Option<Access>,
    /// Keep only events of these services (comma-separated): `s3`, `iam.amazonaws.com`, …
    #[arg(long, value_delimiter = ',', value_name = "SERVICE")]
    service: Vec<String>,
    /// Keep only failed calls (with an errorCode).
    #[arg(long, conflicts_with = "no_errors")]
    errors: bool,
    /// Keep only successful calls.
    #[arg(long)]
    no_errors: bool,
    /// Keep only events of these identity types (comma-separated): Root, IAMUser,
    /// AssumedRole, …
    #[arg(long, value_delimiter = ',', value_name = "TYPE")]
    identity_type: Vec<String>,
    /// Do not look for Insights-style anomalies.
    #[arg(long)]
    no_insights: bool,
    /// Anomaly margin: how many standard deviations above the baseline mean the rate must be.
    #[arg(long, value_name = "K", default_value_t = insights::Config::default().stddev_margin)]
    insights_margin: f64,
    /// Anomaly margin: the least ratio of the rate to the baseline mean.
    #[arg(long, value_name = "RATIO", default_value_t = insights::Config::default().min_ratio)]
    insights_min_ratio: f64,
    /// Anomaly margin: the least number of events in the rate window.
    #[arg(long, value_name = "N", default_value_t = insights::Config::default().min_count)]
    insights_min_count: u64,
    /// Minutes of history needed before an anomaly can be raised.
    #[arg(long, value_name = "MINUTES", default_value_t = insights::Config::default().min_history_minutes)]
    insights_min_history: u32,
    /// The account alarm notifications name (default: the records' recipientAccountId).
    #[arg(long, value_name = "ID")]
    account_id: Option<String>,
    /// The region alarm notifications name (default: the records' awsRegion).
    #[arg(long, value_name = "REGION")]
    region: Option<String>,
    /// Never show a progress bar.
    #[arg(long)]
    no_progress: bool,
    /// Follow symbolic links met inside directories (those named as PATH always are).
    #[arg(short = 'L', long)]
    follow: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Format {
    Text,
    Json,
    Ndjson,
}

const SCAN_HELP: &str = "\
Inputs:
  CloudTrail as it is delivered, recognised from the content: S3 log files ({\"Records\":[...]},
  plain or .json.gz), CloudWatch Logs subscription payloads (base64 + gzip, logEvents),
  CloudWatch Logs exports, `aws logs filter-log-events` output and JSON Lines. Directories are
  read recursively, in name order; only regular files are read (FIFOs, sockets and devices met
  in a directory are reported as not-a-file and skipped), and symbolic links inside directories
  are not followed without --follow. A PATH that does not exist is an error. A malformed file,
  line or record is skipped and reported; the rest is read.

Rules files (TOML or JSON) use CloudWatch's own member names:
  include = [\"cis\"]                       # built-in packs to add
  [[metricFilters]]                       # PutMetricFilter requests
  filterName = \"root-usage\"
  filterPattern = '{ $.userIdentity.type = \"Root\" }'
  metricTransformations = [{ metricName = \"RootUsage\", metricNamespace = \"Security\", metricValue = \"1\" }]
  [[MetricAlarms]]                        # PutMetricAlarm requests
  AlarmName = \"root-usage\"
  MetricName = \"RootUsage\"
  Namespace = \"Security\"
  Statistic = \"Sum\"
  Period = 300
  EvaluationPeriods = 1
  Threshold = 1
  ComparisonOperator = \"GreaterThanOrEqualToThreshold\"
  AlarmActions = [\"arn:aws:sns:${AWS::Region}:${AWS::AccountId}:security\"]

Exit status: 0 when the scan completed (whatever it found), 2 for invalid rules or options, 1
when input could not be read at all or output or a notification could not be delivered.

Examples:
  trailmatch scan                                   # the CIS pack on the bundled sample
  trailmatch scan AWSLogs/ --rules cis --rules my-rules.toml
  trailmatch scan trail.json.gz --format json --notify http://127.0.0.1:9000/sns";

/// Inputs at least this large (in bytes, on disk) get a progress bar on a terminal.
const PROGRESS_BYTES: u64 = 64 << 20;

pub fn run(args: ScanArgs) -> Result<(), Failure> {
    trailmatch_cloudtrail::walk::require(&args.paths)
        .map_err(|e| Failure::Io(format!("error: {e}")))?;
    let rules = load_rules(&args.rules)?;
    let options = ScanOptions {
        filter: EventFilter {
            categories: args.category.clone(),
            access: args.access,
            services: args.service.clone(),
            errors: match (args.errors, args.no_errors) {
                (true, _) => Some(true),
                (_, true) => Some(false),
                _ => None,
            },
            identity_types: args.identity_type.clone(),
        },
        insights: (!args.no_insights).then(|| insights::Config {
            stddev_margin: args.insights_margin,
            min_ratio: args.insights_min_ratio,
            min_count: args.insights_min_count,
            min_history_minutes: args.insights_min_history,
            ..insights::Config::default()
        }),
        account_id: args.account_id.clone(),
        region: args.region.clone(),
    };
    let scanner =
        Scanner::new(&rules, options).map_err(|e| Failure::Invalid(format!("error: {e}")))?;
    let mut sinks = args
        .notify
        .iter()
        .map(|t| Sink::open(t))
        .collect::<Result<Vec<_>, _>>()
        .map_err(Failure::invalid)?;
    let mut feed = Feed {
        scanner,
        files: 0,
        last_file: String::new(),
        ndjson: args.format == Format::Ndjson,
        out: io::stdout().lock(),
    };
    let source = if args.paths.is_empty() {
        for (name, bytes) in sample::SAMPLE {
            for item in
                logs::read_stream(format!("<sample>/{name}"), *bytes, logs::Options::default())
            {
                feed.item(item)?;
            }
        }
        "the bundled sample (bindings/cli/examples/sample)".to_owned()
    } else {
        let inputs: Vec<Input> = args
            .paths
            .iter()
            .map(|p| Input::from_arg(p.clone()))
            .collect();
        let walk = trailmatch_cloudtrail::walk::WalkOptions {
            follow: args.follow,
            ..Default::default()
        };
        let total = total_size(&args.paths, walk);
        let mut progress =
            (!args.no_progress && total >= PROGRESS_BYTES && io::stderr().is_terminal())
                .then(|| Progress::new(total));
        for item in Reader::with_walk(inputs, logs::Options::default(), walk) {
            if let Some(p) = &mut progress {
                p.tick(&item, feed.scanner.counts().read);
            }
            feed.item(item)?;
        }
        if let Some(p) = progress {
            p.finish();
        }
        args.paths
            .iter()
            .map(|p| p.display().to_string())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let files = feed.files;
    drop(feed.out);
    let report = feed.scanner.finish();
    if report.records.read == 0 && report.records.skipped > 0 && args.paths.len() == 1 {
        // Nothing could be read: say so with the reasons, as a failure.
        let reasons = report
            .skipped
            .iter()
            .flat_map(|s| {
                s.examples
                    .iter()
                    .map(|e| format!("  {}: {} [{}]", e.location, e.message, s.code))
            })
            .collect::<Vec<_>>()
            .join("\n");
        return Err(Failure::Io(format!(
            "error: no record could be read from {source}:\n{reasons}"
        )));
    }
    for sink in &mut sinks {
        for alarm in &report.alarms {
            for message in alarm.notifications() {
                sink.deliver(&message)
                    .map_err(|e| Failure::Io(format!("error: {e}")))?;
            }
        }
    }
    let rules_label = rules_label(&args.rules);
    match args.format {
        Format::Text => print_text(&summary(
            &report,
            &source,
            files,
            &rules_label,
            !sinks.is_empty(),
        )),
        Format::Json => {
            let mut text = serde_json::to_string_pretty(&report)
                .map_err(|e| Failure::Io(format!("error: cannot write the report: {e}")))?;
            text.push('\n');
            print_text(&text)
        }
        Format::Ndjson => print_text(&ndjson_lines(&report)?),
    }
}

/// The reading loop's state: records go to the scanner, skips too (and, with ndjson, to
/// standard output as they happen).
struct Feed<'a> {
    scanner: Scanner,
    files: u64,
    last_file: String,
    ndjson: bool,
    out: io::StdoutLock<'a>,
}

impl Feed<'_> {
    fn item(&mut self, item: Item) -> Result<(), Failure> {
        let file = match &item {
            Item::Record(r) => &r.location.file,
            Item::Skipped(s) => &s.location.file,
        };
        if *file != self.last_file {
            self.files += 1;
            self.last_file.clone_from(file);
        }
        if let Item::Skipped(skip) = &item {
            if self.ndjson {
                let line = json!({"type": "skip", "code": skip.kind.code(),
                    "location": skip.location.to_string(), "message": skip.message});
                writeln!(self.out, "{line}").map_err(write_error)?;
            }
        }
        self.scanner.read(item);
        Ok(())
    }
}

fn write_error(e: io::Error) -> Failure {
    match e.kind() {
        io::ErrorKind::BrokenPipe => Failure::BrokenPipe,
        _ => Failure::Io(format!("error: cannot write to standard output: {e}")),
    }
}

/// The rules `--rules` names (see `RuleSet::from_specs`); what the template and Terraform
/// readers could not resolve is reported on standard error and the rest is used.
fn load_rules(specs: &[String]) -> Result<RuleSet, Failure> {
    let (rules, problems) =
        RuleSet::from_specs(specs).map_err(|e| Failure::Invalid(e.to_string()))?;
    let mut stderr = io::stderr().lock();
    for problem in &problems {
        let _ = writeln!(
            stderr,
            "{}: warning[{}]: {}",
            problem.location, problem.code, problem.message
        );
    }
    Ok(rules)
}

fn rules_label(specs: &[String]) -> String {
    if specs.is_empty() {
        return "CIS AWS Foundations 7.0, built in".to_owned();
    }
    specs
        .iter()
        .map(|s| {
            if s == "cis" {
                "CIS AWS Foundations 7.0, built in".to_owned()
            } else {
                s.clone()
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The bytes on disk of every file the paths name (directories walked as the reader walks them).
fn total_size(paths: &[PathBuf], options: trailmatch_cloudtrail::walk::WalkOptions) -> u64 {
    use trailmatch_cloudtrail::walk::{Entry, Walk};
    let paths = paths
        .iter()
        .filter(|p| p.as_os_str() != "-")
        .cloned()
        .collect();
    Walk::new(paths, options)
        .filter_map(|entry| match entry {
            Entry::File(path) => std::fs::metadata(path).ok().filter(|m| m.is_file()),
            Entry::Skipped { .. } => None,
        })
        .map(|m| m.len())
        .sum()
}

/// A progress bar on standard error: files done (by size on disk) and records read.
struct Progress {
    bar: indicatif::ProgressBar,
    current: String,
}

impl Progress {
    fn new(total: u64) -> Progress {
        let bar = indicatif::ProgressBar::new(total);
        bar.set_draw_target(indicatif::ProgressDrawTarget::stderr());
        if let Ok(style) = indicatif::ProgressStyle::with_template(
            "{spinner} [{elapsed_precise}] {wide_bar} {bytes}/{total_bytes} {msg}",
        ) {
            bar.set_style(style);
        }
        Progress {
            bar,
            current: String::new(),
        }
    }

    fn tick(&mut self, item: &Item, records: u64) {
        let file = match item {
            Item::Record(r) => &r.location.file,
            Item::Skipped(s) => &s.location.file,
        };
        if *file != self.current {
            if !self.current.is_empty() {
                let done = std::fs::metadata(&self.current)
                    .map(|m| m.len())
                    .unwrap_or(0);
                self.bar.inc(done);
            }
            self.current.clone_from(file);
        }
        if records % 4096 == 0 {
            self.bar.set_message(format!("{records} records"));
        }
    }

    fn finish(self) {
        self.bar.finish_and_clear();
    }
}

/// The report as `--format ndjson` prints it: one object per line, each with a `type`.
fn ndjson_lines(report: &Report) -> Result<String, Failure> {
    #[derive(serde::Serialize)]
    struct Line<'a, T: serde::Serialize> {
        #[serde(rename = "type")]
        kind: &'a str,
        #[serde(flatten)]
        item: T,
    }
    #[derive(serde::Serialize)]
    struct Anomaly<'a> {
        record: InOrder<'a>,
    }
    #[derive(serde::Serialize)]
    struct Summary<'a> {
        records: &'a trailmatch_cloudtrail::scan::Counts,
        skipped: &'a [trailmatch_cloudtrail::scan::SkipSummary],
        range: Option<trailmatch_cloudtrail::scan::TimeRange>,
        account_id: &'a str,
        region: &'a str,
    }
    fn line<T: serde::Serialize>(out: &mut String, kind: &str, item: T) -> Result<(), Failure> {
        let text = serde_json::to_string(&Line { kind, item })
            .map_err(|e| Failure::Io(format!("error: cannot write the report: {e}")))?;
        out.push_str(&text);
        out.push('\n');
        Ok(())
    }
    let mut out = String::new();
    for rule in &report.rules {
        line(&mut out, "rule", rule)?;
    }
    for alarm in &report.alarms {
        line(&mut out, "alarm", alarm)?;
    }
    for record in report.anomalies.iter().flat_map(|a| a.records()) {
        line(&mut out, "anomaly", Anomaly { record })?;
    }
    let summary = Summary {
        records: &report.records,
        skipped: &report.skipped,
        range: report.range,
        account_id: &report.account_id,
        region: &report.region,
    };
    line(&mut out, "summary", summary)?;
    Ok(out)
}

fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn hhmm(ms: i64) -> String {
    let full = time::format_seconds(ms);
    full.get(11..16).map(|t| format!("{t}Z")).unwrap_or(full)
}

/// The summary a person reads: what was read, rules that matched, alarms that fired, anomalies.
fn summary(report: &Report, source: &str, files: u64, rules: &str, delivered: bool) -> String {
    let mut s = String::new();
    let c = report.records;
    let _ = writeln!(s, "Scanned {source}: {} files", thousands(files));
    if let Some(r) = report.range {
        let _ = writeln!(
            s,
            "  {} to {} · account {} · {}",
            time::format_seconds(r.first_ms),
            time::format_seconds(r.last_ms),
            report.account_id,
            report.region
        );
    }
    let _ = write!(
        s,
        "  records: {} read · {} matched · {} unmatched",
        thousands(c.read),
        thousands(c.matched),
        thousands(c.unmatched)
    );
    if c.filtered > 0 {
        let _ = write!(s, " · {} filtered out", thousands(c.filtered));
    }
    let _ = writeln!(s, " · {} skipped", thousands(c.skipped));
    if c.untimed > 0 {
        let _ = writeln!(
            s,
            "  {} records had no usable eventTime (counted, not in metrics)",
            thousands(c.untimed)
        );
    }
    let matched: Vec<_> = report.rules.iter().filter(|r| r.matches > 0).collect();
    let _ = writeln!(
        s,
        "\nRules ({rules}): {} of {} matched",
        matched.len(),
        report.rules.len()
    );
    for rule in &matched {
        let _ = writeln!(s, "  {:>8}  {}", thousands(rule.matches), rule.name);
    }
    let fired: Vec<_> = report.alarms.iter().filter(|a| a.fired()).collect();
    let _ = writeln!(
        s,
        "\nAlarms: {} of {} fired",
        fired.len(),
        report.alarms.len()
    );
    for alarm in &fired {
        let _ = writeln!(s, "  {}  (now {})", alarm.name, alarm.state.as_str());
        for t in &alarm.transitions {
            let _ = writeln!(
                s,
                "    {}  {} -> {}",
                time::format_seconds(t.time_ms),
                t.from.as_str(),
                t.to.as_str()
            );
            if t.to == trailmatch_cloudtrail::alarm::State::Alarm {
                let _ = writeln!(s, "        {}", t.reason);
            }
        }
    }
    let notifications: usize = report.alarms.iter().map(|a| a.notification_count()).sum();
    if notifications > 0 {
        let hint = if delivered {
            "delivered"
        } else {
            "not delivered: use --notify - | FILE | http://…"
        };
        let _ = writeln!(s, "  {notifications} SNS notifications ({hint})");
    }
    let _ = writeln!(
        s,
        "\nAnomalies (Insights-style): {}",
        report.anomalies.len()
    );
    for a in &report.anomalies {
        let end = a.end_ms.map_or_else(|| "ongoing".to_owned(), hhmm);
        let error = a
            .error_code
            .as_deref()
            .map(|e| format!(" {e}"))
            .unwrap_or_default();
        // The whole insight's average (its End record), else the rate that raised it.
        let average = a
            .end
            .as_ref()
            .and_then(|end| {
                end.pointer("/insightDetails/insightContext/statistics/insight/average")
            })
            .and_then(Value::as_f64)
            .unwrap_or(a.insight_average);
        let _ = writeln!(
            s,
            "  {} {}–{}  {}  {} {}{}: {:.2}/min against a baseline of {:.2}/min",
            time::format_seconds(a.start_ms).get(..10).unwrap_or(""),
            hhmm(a.start_ms),
            end,
            a.insight_type,
            a.event_source,
            a.event_name,
            error,
            average,
            a.baseline_average
        );
    }
    if !report.skipped.is_empty() {
        let _ = writeln!(s, "\nSkipped: {}", thousands(c.skipped));
        for skip in &report.skipped {
            let _ = writeln!(s, "  {:>8}  {}", thousands(skip.count), skip.code);
            for e in &skip.examples {
                let _ = writeln!(s, "            {}: {}", e.location, e.message);
            }
        }
    }
    s
}
