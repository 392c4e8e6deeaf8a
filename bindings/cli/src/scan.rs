//! `trailmatch scan`: CloudTrail logs through metric filters, metrics, alarms and Insights-style
//! anomaly detection, as CloudWatch and CloudTrail would have run them.
//!
//! Everything about the logs, rules, alarms and anomalies is in `trailmatch_cloudtrail`; this
//! module reads the arguments, feeds the library, delivers notifications and prints the report.

use std::fmt::Write as _;
use std::io::{self, IsTerminal, Write};
use std::num::NonZeroUsize;
use std::path::PathBuf;
use std::sync::Arc;

use clap::{Args, ValueEnum};
use serde_json::{Value, json};
use trailmatch_cloudtrail::boundary;
use trailmatch_cloudtrail::classify::{Access, Category, EventFilter};
use trailmatch_cloudtrail::eventbridge::EventRulesReport;
use trailmatch_cloudtrail::insights::{self, InOrder};
use trailmatch_cloudtrail::rules::RuleSet;
use trailmatch_cloudtrail::run::{Inputs, Observed, Parallel, scan_parallel};
use trailmatch_cloudtrail::s3key::{KeySelection, Selected};
use trailmatch_cloudtrail::scan::{Report, ScanOptions, Scanner};
use trailmatch_cloudtrail::time;

use crate::notify::{self, DeliveryErrorKind, Retry, Sink, Target};
use crate::output::{Failure, stdout_failure};

mod sample {
    include!(concat!(env!("OUT_DIR"), "/sample.rs"));
}

#[derive(Debug, Args)]
#[command(after_help = SCAN_HELP)]
pub struct ScanArgs {
    /// CloudTrail log files or directories (`-`: standard input), or `s3://BUCKET/PREFIX` URLs
    /// of a trail's bucket. None: the bundled sample, a day of CloudTrail activity with four
    /// incidents.
    #[arg(value_name = "PATH")]
    paths: Vec<PathBuf>,
    /// The rules: `cis` (the built-in CIS AWS Foundations 7.0 monitoring controls),
    /// `cis-eventbridge` (the same controls as EventBridge rules), a rules file (TOML or JSON,
    /// see below), an EventBridge rules file (`{"Rules": [...]}` as put-rule and put-targets
    /// take them), a CloudFormation template, a Terraform file, or a directory of them (a
    /// Terraform module); templates and Terraform give their metric filters, alarms and
    /// EventBridge rules. Repeatable; default `cis`.
    #[arg(long = "rules", value_name = "cis|cis-eventbridge|FILE")]
    rules: Vec<String>,
    /// What to print: a summary to read (`text`), one JSON object (`json`), the same
    /// objects one per line (`ndjson`), or a page with a chart per alarm and anomaly (`html`:
    /// one self-contained file that loads nothing).
    #[arg(long, value_enum, default_value_t = Format::Text, conflicts_with = "follow_mode")]
    format: Format,
    /// Write the report (text, json or html) to FILE instead of standard output.
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    output: Option<PathBuf>,
    /// Deliver alarm notifications (the SNS messages CloudWatch would publish) to TARGET: `-`
    /// (standard output, one JSON object per line, before the report), a file (appended to),
    /// an http:// or https:// URL (each POSTed as SNS posts to an HTTP subscription),
    /// slack:URL or teams:URL (the state change in that incoming webhook's JSON), `sns` (an SNS
    /// Publish to the topic each alarm action names) or sns:arn:aws:sns:REGION:ACCOUNT:TOPIC
    /// (all to that topic). Repeatable. A file whose name has a colon: ./NAME.
    #[arg(long, value_name = "TARGET", value_parser = Target::parse)]
    notify: Vec<Target>,
    /// The PEM certificates that https:// receivers (webhooks, Slack, Teams) are checked
    /// against, instead of the bundled Mozilla roots: for a receiver with a private CA. (SNS
    /// is checked against the system's roots.)
    #[arg(long, value_name = "FILE")]
    ca_cert: Option<PathBuf>,
    /// How many times a delivery that failed with a connection error or a 5xx or 429 answer
    /// (SNS: also throttling) is tried again, after 0.5 s, 1 s, 2 s… (a time-out is not
    /// retried).
    #[arg(long, value_name = "N", default_value_t = 3,
          value_parser = clap::value_parser!(u32).range(0..=10))]
    retries: u32,
    /// Append every notification that could not be delivered to FILE, one JSON object per
    /// line: the target, the alarm, the error, the attempts and the SNS message itself.
    #[arg(long, value_name = "FILE")]
    dead_letter: Option<PathBuf>,
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
    /// Read only the log files of these accounts (comma-separated 12-digit ids), by their
    /// place in CloudTrail's S3 layout (AWSLogs/[o-…/]ACCOUNT/CloudTrail/REGION/YYYY/MM/DD/):
    /// files outside the layout are left out, and counted.
    #[arg(long, value_delimiter = ',', value_name = "ID")]
    accounts: Vec<String>,
    /// Read only the log files of these Regions (comma-separated codes), by their place in the
    /// layout (as --accounts).
    #[arg(long, value_delimiter = ',', value_name = "REGION")]
    regions: Vec<String>,
    /// Read only the log files of this day on (`2026-11-01`, or a time such as
    /// `2026-11-01T09:30:00Z`: from its day on), by their place in the layout (files outside
    /// it, standard input included, are read when neither --accounts nor --regions is given);
    /// records of an earlier time, or of none, are counted as filtered.
    #[arg(long, value_name = "TIME", value_parser = instant)]
    start: Option<i64>,
    /// Read only the log files delivered up to this time (exclusive; a date is its midnight,
    /// UTC) and on the day after it (a file holds records of up to about 15 minutes before its
    /// delivery), by their place in the layout (as --start); records of this time or later, or
    /// of none, are counted as filtered.
    #[arg(long, value_name = "TIME", value_parser = instant)]
    end: Option<i64>,
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
    #[arg(short = 'L', long = "follow-links")]
    follow: bool,
    /// Keep running: read files as they appear in the PATH directories (or objects in the
    /// s3:// URLs) and records as they arrive on standard input (`-`), evaluate the alarms as
    /// event time passes each period's end (plus --lateness), and deliver each notification as
    /// its state change happens. Stops on SIGINT or SIGTERM (or at the end of standard input
    /// when it is the only PATH).
    #[arg(long = "follow", requires = "paths")]
    follow_mode: bool,
    /// With --follow: how long after a minute ends its records may still arrive before the
    /// minute is closed and alarms are evaluated over it (`30s`, `5m`, `0s`).
    #[arg(
        long,
        value_name = "DURATION",
        default_value = "5m",
        requires = "follow_mode"
    )]
    lateness: humantime::Duration,
    /// With --follow: how often the PATH directories are walked for new files (at least
    /// 10 ms; default 2s), or the s3:// URLs listed (default 60s: each poll costs requests).
    #[arg(long, value_name = "DURATION", requires = "follow_mode")]
    poll_interval: Option<humantime::Duration>,
    /// With --follow: keep the alarms' states, the open minutes and the files read in FILE
    /// (JSON, replaced atomically), and continue from it when it exists.
    #[arg(long, value_name = "FILE", requires = "follow_mode")]
    state: Option<PathBuf>,
    /// Number of threads that classify and match records (default: the number of available
    /// cores; at most 256, and no more than 4 per core are started), while the calling thread
    /// adds their batches up (and, with one or two threads and more cores, the reading thread
    /// reads JSON Lines files ahead for them); after the last record, as many threads as were
    /// busy (N + 1, no more than the cores) evaluate the alarms. The report does not depend on
    /// it.
    #[arg(short = 'j', long, value_name = "N")]
    threads: Option<NonZeroUsize>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Format {
    Text,
    Json,
    Ndjson,
    Html,
}

const SCAN_HELP: &str = "\
Inputs:
  CloudTrail as it is delivered, recognised from the content: S3 log files ({\"Records\":[...]},
  plain or .json.gz), CloudWatch Logs subscription payloads (base64 + gzip, logEvents),
  CloudWatch Logs exports, `aws logs filter-log-events` output and JSON Lines. Directories are
  read recursively, in name order; only regular files are read (FIFOs, sockets and devices met
  in a directory are reported as not-a-file and skipped), and symbolic links inside directories
  are not followed without -L (--follow-links). A PATH that does not exist is an error. A malformed file,
  line or record is skipped and reported; the rest is read.

  s3://BUCKET/PREFIX reads a bucket as a directory of the same keys would be read: the object of
  that key and those under PREFIX/, in the same order, through the AWS SDK with the standard AWS
  configuration (AWS_PROFILE, AWS_REGION, credentials files, SSO, the instance's role;
  AWS_ENDPOINT_URL or AWS_ENDPOINT_URL_S3 for a local endpoint, addressed path-style). The top of
  every URL is listed before anything is read (a bucket that cannot be listed, or a prefix with
  no object, is an error), directories below as the scan reaches them; a bucket in another Region
  is read in its own, and objects are fetched a few ahead of the scan. A directory that cannot be
  listed or an object that cannot be fetched (archived, deleted, cut short) is a skip that names
  it. URLs are scanned alone, not with local paths or standard input.

  --accounts, --regions, --start and --end read only the files whose place in CloudTrail's S3
  layout, AWSLogs/[o-ORG/]ACCOUNT/CloudTrail/REGION/YYYY/MM/DD/FILE, is selected (the day after
  --end's day too: a file holds up to about 15 minutes of records before its delivery), in a
  bucket or on disk; directories whose place is out of the selection (another account, Region,
  year, month or day; an account's directories but CloudTrail) are not entered. Files outside
  the layout (a CloudWatch Logs export, standard input) are read under --start and --end alone,
  and left out under --accounts or --regions, which their paths cannot show. What is left out
  is counted in a batch scan's summary, with the files outside the layout. Records of the files
  read whose eventTime (or an export line's delivery time) is outside [--start, --end), or that
  have no time, are counted as filtered.

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

EventBridge rules (--rules cis-eventbridge, an EventBridge rules file, AWS::Events::Rule or
aws_cloudwatch_event_rule resources): each record is wrapped as EventBridge delivers CloudTrail
events (source, detail-type, account, region; the record as detail) and matched against every
rule's event pattern; a match counts when EventBridge would deliver the record to the rule in
its State (read-only management events only to ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS
rules). The report lists each rule's matches (the first 100 in full) and what each target
receives: the event, Input, InputPath or InputTransformer applied. --notify delivers alarms only.

Notifications: every message goes to every --notify target it can reach. Webhooks and
Slack/Teams go through an HTTP client with TLS (rustls; --ca-cert for a private CA); `sns`
publishes through the AWS SDK with the standard AWS configuration (AWS_PROFILE, AWS_REGION,
credentials files, SSO, AWS_ENDPOINT_URL / AWS_ENDPOINT_URL_SNS for a local endpoint), each
message in its topic's region. An attempt has 10 s; connection errors, 5xx and 429 answers are
tried again --retries times with exponential backoff; a target that timed out is not tried again
(`not-attempted`). Each delivery is listed in the report (text, json and ndjson: delivered, or
failed with the reason and the number of attempts) and the others go on; --dead-letter FILE
keeps every undelivered message. A topic ARN is checked before it is used
(arn:aws:sns:REGION:ACCOUNT:NAME): the account and region come from --account-id and --region,
else from the records' recipientAccountId and awsRegion (only 12-digit ids and region codes
count), and header values never hold control characters. Values from the logs and rules are
printed with control characters escaped (ESC as \\u{1b}).

Follow mode (--follow): new files in the PATH directories are read once whole (when their size
and time are the same at two polls), standard input as a stream; alarms are evaluated as event
time (the latest eventTime less --lateness) passes each period's end, and each state change's
message is delivered as it happens. --state FILE keeps the alarms, open minutes, files read and
undelivered messages across restarts (saved before and after each delivery). SIGINT or SIGTERM
stops after delivering and saving; the end of standard input, when it is the only PATH, settles
the alarms as a batch scan does and exits. s3:// URLs are listed every --poll-interval (60s
unless given; --accounts, --regions and --start prune the listing, and a directory of a year,
month or day that ended a day ago, once read, is listed again only every hour or two), and
each object not read yet is read at the first listing that shows it, in the order of their
last modification.

Exit status: 0 when the scan completed (whatever it found), 2 for invalid rules or options, 1
when input could not be read at all or output could not be written, 3 when the report was
printed but some notification could not be delivered.

Examples:
  trailmatch scan                                   # the CIS pack on the bundled sample
  trailmatch scan AWSLogs/ --rules cis --rules my-rules.toml
  trailmatch scan s3://my-trail-bucket/AWSLogs/ --regions us-east-1 --start 2026-11-01
  trailmatch scan AWSLogs/ --rules cis-eventbridge --format json
  trailmatch scan trail.json.gz --format json --notify http://127.0.0.1:9000/sns
  trailmatch scan AWSLogs/ --notify sns --dead-letter undelivered.jsonl
  trailmatch scan --notify slack:https://hooks.slack.com/services/T…/B…/…
  trailmatch scan --follow AWSLogs/ --state follow.json --notify sns";

/// Inputs at least this large (in bytes, on disk) get a progress bar on a terminal.
const PROGRESS_BYTES: u64 = 64 << 20;

pub fn run(args: ScanArgs) -> Result<(), Failure> {
    let threads = threads(args.threads)?;
    let (urls, paths) = split_urls(&args.paths)?;
    if !urls.is_empty() && !paths.is_empty() {
        return Err(Failure::invalid(
            "s3:// URLs are scanned alone: not with local paths or standard input",
        ));
    }
    let select = selection(&args)?;
    let from_s3 = !urls.is_empty();
    trailmatch_cloudtrail::walk::require(&paths).map_err(|e| Failure::Io(format!("error: {e}")))?;
    let rules = load_rules(&args.rules)?;
    // A bucket that cannot be listed is an error before `-o` empties its file.
    let label = urls
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ");
    let mut objects = if from_s3 && !args.follow_mode {
        let objects = crate::s3::open(urls.clone(), select.clone())
            .map_err(|e| Failure::Io(format!("error: {e}")))?;
        Some(objects)
    } else {
        None
    };
    let output = Output::open(args.output.as_deref(), args.format)?;
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
            from_ms: args.start,
            to_ms: args.end,
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
    let scanner = Scanner::new(&rules, options.clone())
        .map_err(|e| Failure::Invalid(format!("error: {e}")))?;
    let mut dead_letter = args
        .dead_letter
        .as_deref()
        .map(DeadLetter::open)
        .transpose()?;
    let notify_options = notify::Options {
        ca_cert: args.ca_cert.clone(),
        retry: Retry {
            retries: args.retries,
            first_delay: std::time::Duration::from_millis(500),
        },
        timeout: notify::TIMEOUT,
    };
    let mut sinks = Sink::open_all(&args.notify, &notify_options).map_err(Failure::invalid)?;
    if args.follow_mode {
        return crate::follow::run(crate::follow::Setup {
            paths: &args.paths,
            urls,
            rules: &rules,
            options,
            sinks,
            dead_letter,
            lateness: args.lateness.into(),
            poll_interval: args.poll_interval.map(Into::into).unwrap_or(if from_s3 {
                crate::follow::S3_POLL
            } else {
                crate::follow::LOCAL_POLL
            }),
            state: args.state.as_deref(),
            walk: trailmatch_cloudtrail::walk::WalkOptions {
                follow: args.follow,
                select: select.clone(),
                ..Default::default()
            },
        });
    }
    let mut feed = Feed {
        files: 0,
        ndjson: args.format == Format::Ndjson,
        out: io::stdout().lock(),
    };
    let walk = trailmatch_cloudtrail::walk::WalkOptions {
        follow: args.follow,
        select: select.clone(),
        ..Default::default()
    };
    let (inputs, source) = if let Some(objects) = objects.take() {
        (Inputs::Objects(objects), label)
    } else if args.paths.is_empty() {
        let sample = sample::SAMPLE
            .iter()
            .map(|(name, bytes)| (format!("<sample>/{name}"), *bytes))
            .collect();
        let label = "the bundled sample (bindings/cli/examples/sample)".to_owned();
        (Inputs::Bytes(sample), label)
    } else {
        let label = args
            .paths
            .iter()
            .map(|p| p.display().to_string())
            .collect::<Vec<_>>()
            .join(", ");
        (Inputs::Paths(&args.paths, walk.clone()), label)
    };
    let may_show = !args.no_progress && io::stderr().is_terminal();
    // Objects of S3 are listed as they are read: their progress has no total.
    let mut progress = if from_s3 {
        may_show.then(|| Progress::new(None))
    } else {
        progress_total(may_show, &args.paths, &walk).map(|total| Progress::new(Some(total)))
    };
    let parallel = Parallel::threads(threads);
    let report = scan_parallel(scanner, inputs, parallel, |seen| {
        if let Some(p) = &mut progress {
            p.tick(&seen);
        }
        feed.item(&seen)
    })?;
    if let Some(p) = progress {
        p.finish();
    }
    let files = feed.files;
    drop(feed.out);
    let left_out = left_out(select.as_deref());
    if report.records.read == 0 && report.records.skipped > 0 && args.paths.len() == 1 {
        // Nothing could be read: say so with the reasons, as a failure.
        let reasons = report
            .skipped
            .iter()
            .flat_map(|s| {
                s.examples.iter().map(|e| {
                    format!(
                        "  {}: {} [{}]",
                        esc(&e.location),
                        esc(&e.message),
                        esc(&s.code)
                    )
                })
            })
            .collect::<Vec<_>>()
            .join("\n");
        return Err(Failure::Io(format!(
            "error: no record could be read from {source}:\n{reasons}"
        )));
    }
    let delivery = deliver(&report, &mut sinks)?;
    let kept = dead_letter
        .as_mut()
        .map(|d| d.keep(&delivery.failed))
        .transpose();
    let rules_label = rules_label(&args.rules);
    let notified = (!sinks.is_empty()).then_some(&delivery);
    let print = |text: &str| output.write(text);
    match args.format {
        Format::Text => print(&boundary::terminal_lines(&summary(
            &report,
            &source,
            files,
            left_out.as_deref(),
            &rules_label,
            notified,
        ))),
        Format::Json => {
            let json = JsonReport {
                report: &report,
                notifications: notified,
                left_out: select.as_deref().map(LeftOut::of),
            };
            // Written as it is serialized: the report of a large input (every alarm's state
            // changes) is never held whole as text.
            output.write_with(|out| {
                crate::output::write_json_pretty(&mut *out, &json)?;
                out.write_all(b"\n")
            })
        }
        Format::Ndjson => print(&ndjson_lines(
            &report,
            notified,
            select.as_deref().map(LeftOut::of),
        )?),
        Format::Html => print(&crate::html::render(
            &report,
            &crate::html::Context {
                source: &match &left_out {
                    Some(left_out) => format!("{source} ({left_out})"),
                    None => source.clone(),
                },
                files,
                rules: &rules_label,
            },
        )),
    }?;
    // The command ends here: the report (every alarm state change with its reason) is left to
    // the operating system rather than freed piece by piece.
    std::mem::forget(report);
    let kept = kept?;
    if delivery.failed.is_empty() {
        Ok(())
    } else {
        let kept = match (kept, &args.dead_letter) {
            (Some(n), Some(path)) => format!(
                "; {n} kept in {}",
                boundary::terminal(&path.display().to_string())
            ),
            _ => String::new(),
        };
        Err(Failure::Undelivered(format!(
            "error: {} of {} alarm notifications could not be delivered (listed in the \
             report{kept})",
            delivery.failed.len(),
            delivery.failed.len() + delivery.delivered.len()
        )))
    }
}

/// The `s3://` URLs among `paths`, and the other paths.
fn split_urls(paths: &[PathBuf]) -> Result<(Vec<crate::s3::Url>, Vec<PathBuf>), Failure> {
    crate::s3::split_urls(paths, |p| p.to_str()).map_err(|e| Failure::invalid(&e))
}

/// The files `--accounts`, `--regions`, `--start` and `--end` select, if they are given.
fn selection(args: &ScanArgs) -> Result<Option<Arc<Selected>>, Failure> {
    let keys = KeySelection::checked(
        args.accounts.clone(),
        args.regions.clone(),
        (args.start, args.end),
        ("--start", "--end"),
    )
    .map_err(|e| Failure::invalid(&e))?;
    if keys.is_everything() {
        return Ok(None);
    }
    if args.paths.is_empty() {
        return Err(Failure::invalid(
            "--accounts, --regions, --start and --end select files and records: name the \
             files, directories or s3:// URLs to select from (or - for standard input)",
        ));
    }
    if !keys.keeps_unplaced() && args.paths.iter().any(|p| p.as_os_str() == "-") {
        return Err(Failure::invalid(
            "--accounts and --regions select files by their place in CloudTrail's S3 layout: \
             standard input (-) has none (--start and --end alone select its records by time)",
        ));
    }
    Ok(Some(Arc::new(Selected::new(keys))))
}

/// A date (its midnight, UTC) or an ISO 8601 time (UTC without a zone), in ms since the epoch.
fn instant(text: &str) -> Result<i64, String> {
    let is_date = text.len() == 10 && text.as_bytes().get(4) == Some(&b'-');
    let parsed = if is_date {
        time::parse(&format!("{text}T00:00:00Z"))
    } else {
        time::parse(text).or_else(|| time::parse(&format!("{text}Z")))
    };
    parsed.ok_or_else(|| format!("`{text}` is no date or time (2026-11-01, 2026-11-01T09:30:00Z)"))
}

/// What the selection left out, for the summary: None without one.
fn left_out(select: Option<&Selected>) -> Option<String> {
    Some(LeftOut::of(select?).describe(""))
}

/// Where the report goes: standard output, or `-o FILE` (created, or emptied, before the scan,
/// so that a path that cannot be written is an error before any work).
enum Output {
    Stdout,
    File { name: String, file: std::fs::File },
}

impl Output {
    fn open(path: Option<&std::path::Path>, format: Format) -> Result<Output, Failure> {
        let Some(path) = path else {
            return Ok(Output::Stdout);
        };
        if format == Format::Ndjson {
            return Err(Failure::invalid(
                "-o: ndjson is written as the scan goes, to standard output (redirect it)",
            ));
        }
        let name = boundary::terminal(&path.display().to_string()).into_owned();
        std::fs::File::create(path)
            .map(|file| Output::File {
                name: name.clone(),
                file,
            })
            .map_err(|e| Failure::Io(format!("error: -o {name}: {e}")))
    }

    fn write(&self, text: &str) -> Result<(), Failure> {
        self.write_with(|out| out.write_all(text.as_bytes()))
    }

    /// Gives `write` a buffered writer to the output, and flushes it. The buffer is the
    /// writer's concrete type, so a serializer's many small writes are copies into it, not
    /// calls through `dyn Write`.
    fn write_with(
        &self,
        write: impl FnOnce(&mut io::BufWriter<Box<dyn Write + '_>>) -> io::Result<()>,
    ) -> Result<(), Failure> {
        let inner: Box<dyn Write> = match self {
            Output::Stdout => Box::new(io::stdout().lock()),
            Output::File { file, .. } => Box::new(file),
        };
        let mut out = io::BufWriter::with_capacity(1 << 16, inner);
        write(&mut out)
            .and_then(|()| out.flush())
            .map_err(|e| match self {
                Output::Stdout => stdout_failure(e),
                Output::File { name, .. } => {
                    Failure::Io(format!("error: cannot write {name}: {e}"))
                }
            })
    }
}

/// `--dead-letter FILE`: where undelivered notifications are kept, opened (created, appended
/// to) before the scan so that a path that cannot be written is an error before any work.
pub(crate) struct DeadLetter {
    name: String,
    file: std::fs::File,
}

impl DeadLetter {
    fn open(path: &std::path::Path) -> Result<DeadLetter, Failure> {
        let name = boundary::terminal(&path.display().to_string()).into_owned();
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map(|file| DeadLetter {
                name: name.clone(),
                file,
            })
            .map_err(|e| Failure::invalid(format!("--dead-letter {name}: {e}")))
    }

    /// Appends one JSON object per undelivered notification: where it was going, why it did
    /// not arrive, how many attempts were made, and the SNS message itself (`null` for one
    /// that could not be built: its topic ARN is not valid). Gives the number written.
    pub(crate) fn keep(&mut self, failed: &[Undelivered]) -> Result<usize, Failure> {
        /// One line: the failure as the report has it, then the message as it was to be sent
        /// (its JSON text as is, members in CloudWatch's order).
        #[derive(serde::Serialize)]
        struct Kept<'a> {
            #[serde(flatten)]
            failure: &'a Undelivered,
            message: Option<&'a serde_json::value::RawValue>,
        }
        let mut text = String::new();
        for f in failed {
            let message = f
                .message
                .as_deref()
                .and_then(|m| serde_json::from_str::<&serde_json::value::RawValue>(m).ok());
            let line = serde_json::to_string(&Kept {
                failure: f,
                message,
            })
            .map_err(|e| Failure::Io(format!("error: cannot write {}: {e}", self.name)))?;
            text.push_str(&line);
            text.push('\n');
        }
        self.file
            .write_all(text.as_bytes())
            .and_then(|()| self.file.flush())
            .map_err(|e| {
                Failure::Io(format!(
                    "error: cannot write undelivered notifications to {}: {e}",
                    self.name
                ))
            })?;
        Ok(failed.len())
    }
}

/// The number of worker threads, as `grep` counts them: `-j` (at most
/// [`MAX_THREADS`](crate::grep::MAX_THREADS)) or the number of cores, and never more than 4 per
/// core.
fn threads(asked: Option<NonZeroUsize>) -> Result<usize, Failure> {
    let max = crate::grep::MAX_THREADS;
    if let Some(n) = asked.filter(|n| n.get() > max) {
        return Err(Failure::Invalid(format!(
            "error: -j {n}: at most {max} threads (more than 4 per core are never started)"
        )));
    }
    let cores = std::thread::available_parallelism().map_or(1, NonZeroUsize::get);
    Ok(asked.map_or(cores, NonZeroUsize::get).min(4 * cores).max(1))
}

/// `--format json`: the report, with the deliveries when `--notify` was given.
#[derive(serde::Serialize)]
struct JsonReport<'a> {
    #[serde(flatten)]
    report: &'a Report,
    #[serde(skip_serializing_if = "Option::is_none")]
    notifications: Option<&'a Delivery>,
    #[serde(skip_serializing_if = "Option::is_none")]
    left_out: Option<LeftOut>,
}

/// What `--accounts`, `--regions`, `--start` and `--end` left out, unread.
#[derive(Clone, Copy, Debug, serde::Serialize)]
pub(crate) struct LeftOut {
    pub(crate) files: u64,
    /// Of those, the files outside CloudTrail's S3 layout.
    pub(crate) outside_layout: u64,
    /// Directories not entered (listed, for a bucket).
    pub(crate) directories: u64,
}

impl LeftOut {
    /// What `select` has left out so far.
    pub(crate) fn of(select: &Selected) -> LeftOut {
        LeftOut {
            files: select.left_out(),
            outside_layout: select.outside_layout(),
            directories: select.dirs_left_out(),
        }
    }

    /// For the summary: `left out by --accounts, --regions, --start, --end{when}: N files…`.
    pub(crate) fn describe(self, when: &str) -> String {
        let left_out = self;
        let outside = match left_out.outside_layout {
            0 => String::new(),
            n => format!(" ({} outside CloudTrail's S3 layout)", thousands(n)),
        };
        let dirs = match left_out.directories {
            0 => String::new(),
            1 => " and 1 directory".to_owned(),
            n => format!(" and {} directories", thousands(n)),
        };
        format!(
            "left out by --accounts, --regions, --start, --end{when}: {} files{outside}{dirs}",
            thousands(left_out.files)
        )
    }

    /// What was left out since `before` was taken.
    pub(crate) fn since(self, before: LeftOut) -> LeftOut {
        LeftOut {
            files: self.files.saturating_sub(before.files),
            outside_layout: self.outside_layout.saturating_sub(before.outside_layout),
            directories: self.directories.saturating_sub(before.directories),
        }
    }
}

/// What became of the alarm notifications: each delivery (one message to one target) made,
/// and each that was not.
#[derive(Debug, Default, serde::Serialize)]
struct Delivery {
    delivered: Vec<Delivered>,
    failed: Vec<Undelivered>,
}

/// One message delivered to one target.
#[derive(Debug, serde::Serialize)]
pub(crate) struct Delivered {
    /// The target (`-`, the file, the URL, `sns`, `sns:ARN`).
    pub(crate) target: String,
    pub(crate) alarm: String,
    /// The state change's time.
    pub(crate) time: String,
    /// The SNS topic the message was for.
    pub(crate) topic: String,
    /// How many attempts it took (more than 1 after retries).
    pub(crate) attempts: u32,
    /// The id the receiver gave the message: SNS's `MessageId` of the `Publish`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) message_id: Option<String>,
}

/// One message not delivered to one target.
#[derive(Debug, serde::Serialize)]
pub(crate) struct Undelivered {
    /// The target (`-`, the file, the URL, `sns`, `sns:ARN`); `*` for a message sent to no
    /// target.
    pub(crate) target: String,
    pub(crate) alarm: String,
    /// The state change's time.
    pub(crate) time: String,
    /// The SNS topic the message was for.
    pub(crate) topic: String,
    /// A stable code: `invalid-topic-arn`, `timed-out`, `http-status`, `connection-failed`,
    /// `tls-failed`, `service-error`, `request-failed`, `invalid-header`, `write-failed`,
    /// `not-attempted`.
    pub(crate) code: &'static str,
    pub(crate) reason: String,
    /// How many times it was sent (0: not at all).
    pub(crate) attempts: u32,
    /// The SNS message (JSON text), for `--dead-letter`; `None` when it could not be built.
    #[serde(skip)]
    pub(crate) message: Option<String>,
}

/// Delivers every alarm's notifications to every target. A failure is recorded and the next
/// delivery goes on: a target gets every message it can. A target that timed out is not tried
/// again (each try would wait as long); standard output closed by its reader ends the command
/// quietly, as it does for the report.
fn deliver(report: &Report, sinks: &mut [Sink]) -> Result<Delivery, Failure> {
    let mut delivery = Delivery::default();
    if sinks.is_empty() {
        return Ok(delivery);
    }
    let mut timed_out: Vec<Option<String>> = vec![None; sinks.len()];
    for alarm in &report.alarms {
        for (t, message) in alarm
            .transitions
            .iter()
            .flat_map(|t| alarm.outbox_for(t).map(move |m| (t, m)))
        {
            let time = time::format_millis(t.time_ms);
            let message = match message {
                Ok(message) => message,
                Err(e) => {
                    delivery.failed.push(Undelivered {
                        target: "*".to_owned(),
                        alarm: alarm.name.clone(),
                        time,
                        topic: e.topic.clone(),
                        code: e.code(),
                        reason: e.reason,
                        attempts: 0,
                        message: None,
                    });
                    continue;
                }
            };
            let topic = serde_json::from_str::<Value>(&message)
                .ok()
                .and_then(|m| m.get("TopicArn")?.as_str().map(str::to_owned))
                .unwrap_or_default();
            for (sink, dead) in sinks.iter_mut().zip(timed_out.iter_mut()) {
                let target = sink.name();
                let failed = |code, reason, attempts| Undelivered {
                    target: target.clone(),
                    alarm: alarm.name.clone(),
                    time: time.clone(),
                    topic: topic.clone(),
                    code,
                    reason,
                    attempts,
                    message: Some(message.clone()),
                };
                if let Some(why) = dead {
                    let reason = format!("not attempted: an earlier delivery {why}");
                    delivery.failed.push(failed("not-attempted", reason, 0));
                    continue;
                }
                match sink.deliver(&message) {
                    Ok(sent) => delivery.delivered.push(Delivered {
                        target: target.clone(),
                        alarm: alarm.name.clone(),
                        time: time.clone(),
                        topic: topic.clone(),
                        attempts: sent.attempts,
                        message_id: sent.id,
                    }),
                    Err(e) if e.kind == DeliveryErrorKind::BrokenPipe => {
                        return Err(Failure::BrokenPipe);
                    }
                    Err(e) => {
                        if e.kind == DeliveryErrorKind::TimedOut {
                            *dead = Some(e.reason.clone());
                        }
                        delivery
                            .failed
                            .push(failed(e.kind.code(), e.reason, e.attempts));
                    }
                }
            }
        }
    }
    Ok(delivery)
}

/// What the CLI does with what the scan reads, in input order: count files and, with ndjson,
/// print skips on standard output as they happen.
struct Feed<'a> {
    files: u64,
    ndjson: bool,
    out: io::StdoutLock<'a>,
}

impl Feed<'_> {
    fn item(&mut self, seen: &Observed<'_>) -> Result<(), Failure> {
        match seen {
            Observed::Input(_) => self.files += 1,
            Observed::Skipped(skip) if self.ndjson => {
                let line = json!({"type": "skip", "code": skip.kind.code(),
                    "location": skip.location.to_string(), "message": skip.message});
                writeln!(self.out, "{line}").map_err(write_error)?;
            }
            _ => {}
        }
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
            esc(&problem.location.to_string()),
            problem.code,
            esc(&problem.message)
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
            } else if s == "cis-eventbridge" {
                "CIS AWS Foundations 7.0 as EventBridge rules, built in".to_owned()
            } else {
                s.clone()
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The bytes on disk of every file the paths name (directories walked as the reader walks them).
/// The size of the inputs for a progress bar, when one is shown: only when one may be
/// (`may_show`: not `--no-progress`, standard error a terminal) are the paths walked to size
/// them, and only inputs of at least [`PROGRESS_BYTES`] get one.
fn progress_total(
    may_show: bool,
    paths: &[PathBuf],
    options: &trailmatch_cloudtrail::walk::WalkOptions,
) -> Option<u64> {
    if !may_show {
        return None;
    }
    Some(total_size(paths, options)).filter(|&total| total >= PROGRESS_BYTES)
}

fn total_size(paths: &[PathBuf], options: &trailmatch_cloudtrail::walk::WalkOptions) -> u64 {
    use trailmatch_cloudtrail::walk::{Entry, Walk};
    let paths = paths
        .iter()
        .filter(|p| p.as_os_str() != "-")
        .cloned()
        .collect();
    // Sized with a selection of its own, so that the scan's counts what the scan leaves out.
    let options = trailmatch_cloudtrail::walk::WalkOptions {
        select: (options.select.as_ref()).map(|s| Arc::new(Selected::new(s.keys().clone()))),
        ..options.clone()
    };
    Walk::new(paths, options)
        .filter_map(|entry| match entry {
            Entry::File(path) => std::fs::metadata(path).ok().filter(|m| m.is_file()),
            Entry::Skipped { .. } => None,
        })
        .map(|m| m.len())
        .sum()
}

/// A progress bar on standard error: files done (by size on disk, out of `total`) and records
/// read; without a total (objects of S3, listed as they are read), files and records read.
struct Progress {
    bar: indicatif::ProgressBar,
    current: String,
    sized: bool,
    files: u64,
}

impl Progress {
    fn new(total: Option<u64>) -> Progress {
        let (bar, template) = match total {
            Some(total) => (
                indicatif::ProgressBar::new(total),
                "{spinner} [{elapsed_precise}] {wide_bar} {bytes}/{total_bytes} {msg}",
            ),
            None => (
                indicatif::ProgressBar::new_spinner(),
                "{spinner} [{elapsed_precise}] {msg}",
            ),
        };
        bar.set_draw_target(indicatif::ProgressDrawTarget::stderr());
        if let Ok(style) = indicatif::ProgressStyle::with_template(template) {
            bar.set_style(style);
        }
        Progress {
            bar,
            current: String::new(),
            sized: total.is_some(),
            files: 0,
        }
    }

    fn tick(&mut self, seen: &Observed<'_>) {
        match seen {
            Observed::Input(file) => {
                if self.sized && !self.current.is_empty() {
                    let done = std::fs::metadata(&self.current).map_or(0, |m| m.len());
                    self.bar.inc(done);
                }
                self.files += 1;
                (*file).clone_into(&mut self.current);
            }
            Observed::Counts(counts) => {
                let records = format!("{} records", thousands(counts.read));
                self.bar.set_message(if self.sized {
                    records
                } else {
                    format!("{} files · {records}", thousands(self.files))
                });
            }
            Observed::Skipped(_) => {}
        }
    }

    fn finish(self) {
        self.bar.finish_and_clear();
    }
}

/// The report as `--format ndjson` prints it: one object per line, each with a `type`.
fn ndjson_lines(
    report: &Report,
    delivery: Option<&Delivery>,
    left_out: Option<LeftOut>,
) -> Result<String, Failure> {
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
        account_id: Option<&'a str>,
        region: Option<&'a str>,
        #[serde(skip_serializing_if = "Option::is_none")]
        notifications_delivered: Option<usize>,
        #[serde(skip_serializing_if = "Option::is_none")]
        left_out: Option<LeftOut>,
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
    for sent in delivery.iter().flat_map(|d| &d.delivered) {
        line(&mut out, "delivered", sent)?;
    }
    for failure in delivery.iter().flat_map(|d| &d.failed) {
        line(&mut out, "undelivered", failure)?;
    }
    let summary = Summary {
        records: &report.records,
        skipped: &report.skipped,
        range: report.range,
        account_id: report.account_id.as_deref(),
        region: report.region.as_deref(),
        notifications_delivered: delivery.map(|d| d.delivered.len()),
        left_out,
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
///
/// Every value from the logs or the rules (names, accounts, reasons, locations, messages) is
/// escaped with [`esc`]: no control character from them reaches the terminal.
/// The EventBridge rules of a text summary: each rule that matched, with its first match and
/// what stopped the others from being delivered.
fn event_rules_summary(s: &mut String, report: &EventRulesReport) {
    let matched: Vec<_> = report.rules.iter().filter(|r| r.matches > 0).collect();
    let _ = writeln!(
        s,
        "\nEventBridge rules: {} of {} matched (each record matched as EventBridge delivers it)",
        matched.len(),
        report.rules.len()
    );
    for rule in &report.rules {
        let withheld: u64 = rule.not_delivered.values().sum();
        if rule.matches == 0 && withheld == 0 {
            continue;
        }
        let _ = writeln!(
            s,
            "  {:>8}  {} ({})",
            thousands(rule.matches),
            esc(&rule.name),
            rule.state
        );
        if let Some(first) = rule.events.first() {
            let targets = first.targets.len();
            let place = match (first.line, first.record) {
                (Some(line), _) => format!("{}:{line}", first.file),
                (None, Some(record)) => format!("{}, record {record}", first.file),
                (None, None) => first.file.clone(),
            };
            let _ = writeln!(
                s,
                "            first: {} at {} ({}) · {} target{} each",
                esc(first.event_name.as_deref().unwrap_or("?")),
                esc(first.event_time.as_deref().unwrap_or("?")),
                esc(&place),
                targets,
                if targets == 1 { "" } else { "s" }
            );
        }
        for (reason, n) in &rule.not_delivered {
            let _ = writeln!(
                s,
                "            {} more matched the pattern but are not delivered to it: {reason}",
                thousands(*n)
            );
        }
    }
    let unwrapped: u64 = report.not_wrapped.values().sum();
    if unwrapped > 0 {
        let why: Vec<String> = report
            .not_wrapped
            .iter()
            .map(|(code, n)| format!("{code} {}", thousands(*n)))
            .collect();
        let _ = writeln!(
            s,
            "  {} records could not be wrapped as EventBridge events, so no rule sees them ({})",
            thousands(unwrapped),
            why.join(", ")
        );
    }
}

fn summary(
    report: &Report,
    source: &str,
    files: u64,
    left_out: Option<&str>,
    rules: &str,
    delivery: Option<&Delivery>,
) -> String {
    let mut s = String::new();
    let source = esc(source);
    let rules = esc(rules);
    let c = report.records;
    let _ = writeln!(s, "Scanned {source}: {} files", thousands(files));
    if let Some(left_out) = left_out {
        let _ = writeln!(s, "  {left_out}");
    }
    if let Some(r) = report.range {
        let _ = writeln!(
            s,
            "  {} to {} · account {} · {}",
            time::format_seconds(r.first_ms),
            time::format_seconds(r.last_ms),
            esc(report.account_id.as_deref().unwrap_or("unknown")),
            esc(report.region.as_deref().unwrap_or("unknown region"))
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
    if !report.rules.is_empty() || report.event_rules.is_none() {
        let _ = writeln!(
            s,
            "\nRules ({rules}): {} of {} matched",
            matched.len(),
            report.rules.len()
        );
    }
    for rule in &matched {
        let _ = writeln!(s, "  {:>8}  {}", thousands(rule.matches), esc(&rule.name));
    }
    if let Some(event_rules) = &report.event_rules {
        event_rules_summary(&mut s, event_rules);
    }
    let fired: Vec<_> = report.alarms.iter().filter(|a| a.fired()).collect();
    let _ = writeln!(
        s,
        "\nAlarms: {} of {} fired",
        fired.len(),
        report.alarms.len()
    );
    for alarm in &fired {
        let _ = writeln!(s, "  {}  (now {})", esc(&alarm.name), alarm.state.as_str());
        for t in &alarm.transitions {
            let _ = writeln!(
                s,
                "    {}  {} -> {}",
                time::format_seconds(t.time_ms),
                t.from.as_str(),
                t.to.as_str()
            );
            if t.to == trailmatch_cloudtrail::alarm::State::Alarm {
                let _ = writeln!(s, "        {}", esc(&t.reason));
            }
        }
    }
    let notifications: usize = report.alarms.iter().map(|a| a.notification_count()).sum();
    if notifications > 0 {
        let hint = match delivery {
            Some(d) => {
                let retried = d.delivered.iter().filter(|s| s.attempts > 1).count();
                let retried = match retried {
                    0 => String::new(),
                    1 => ", 1 after retries".to_owned(),
                    n => format!(", {n} after retries"),
                };
                if d.failed.is_empty() {
                    format!("delivered{retried}")
                } else {
                    format!(
                        "{} deliveries made{retried}, {} failed",
                        d.delivered.len(),
                        d.failed.len()
                    )
                }
            }
            None => "not delivered: use --notify - | FILE | https://… | sns".to_owned(),
        };
        let _ = writeln!(s, "  {notifications} SNS notifications ({hint})");
    }
    if let Some(d) = delivery.filter(|d| !d.failed.is_empty()) {
        let _ = writeln!(s, "\nNotifications not delivered: {}", d.failed.len());
        for f in d.failed.iter().take(MAX_FAILURES_SHOWN) {
            let attempts = match f.attempts {
                0 | 1 => String::new(),
                n => format!(" ({n} attempts)"),
            };
            let _ = writeln!(
                s,
                "  {}  {}  {} -> {}: {} [{}]{attempts}",
                f.time,
                esc(&f.alarm),
                esc(&f.topic),
                esc(&f.target),
                esc(&f.reason),
                f.code
            );
        }
        if d.failed.len() > MAX_FAILURES_SHOWN {
            let _ = writeln!(
                s,
                "  … and {} more (--format json lists them all)",
                d.failed.len() - MAX_FAILURES_SHOWN
            );
        }
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
            esc(&a.event_source),
            esc(&a.event_name),
            esc(&error),
            average,
            a.baseline_average
        );
    }
    if !report.skipped.is_empty() {
        let _ = writeln!(s, "\nSkipped: {}", thousands(c.skipped));
        for skip in &report.skipped {
            let _ = writeln!(s, "  {:>8}  {}", thousands(skip.count), esc(&skip.code));
            for e in &skip.examples {
                let _ = writeln!(s, "            {}: {}", esc(&e.location), esc(&e.message));
            }
        }
    }
    s
}

/// Failures listed in the text report (`--format json` lists all).
const MAX_FAILURES_SHOWN: usize = 20;

/// A value from the logs or the rules, as the text report writes it: control characters
/// escaped ([`boundary::terminal`]).
fn esc(text: &str) -> std::borrow::Cow<'_, str> {
    boundary::terminal(text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::notify::sns_headers;
    use proptest::prelude::*;
    use trailmatch_cloudtrail::alarm::AlarmDef;
    use trailmatch_cloudtrail::rules::MetricFilterDef;

    /// The inputs are sized (a second walk of the tree) only when a bar may be shown, and a
    /// bar is only for inputs of at least `PROGRESS_BYTES`.
    #[test]
    fn inputs_are_sized_only_when_a_progress_bar_may_be_shown() {
        let dir = std::env::temp_dir().join(format!("trailmatch-progress-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        // Sparse: takes no room on disk.
        std::fs::File::create(dir.join("big.jsonl"))
            .unwrap()
            .set_len(PROGRESS_BYTES)
            .unwrap();
        let walk = trailmatch_cloudtrail::walk::WalkOptions::default();
        let paths = [dir.clone()];
        assert_eq!(progress_total(false, &paths, &walk), None);
        assert_eq!(progress_total(true, &paths, &walk), Some(PROGRESS_BYTES));
        std::fs::File::create(dir.join("big.jsonl"))
            .unwrap()
            .set_len(PROGRESS_BYTES - 1)
            .unwrap();
        assert_eq!(progress_total(true, &paths, &walk), None);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// Text as an attacker writes it into a CloudTrail field or a rules file: CR, LF, NUL,
    /// ESC sequences, BEL, quotes, backslashes, bidi overrides, C1 controls, header-like and
    /// ARN-like pieces, almost-valid accounts and regions, and very long runs.
    fn hostile() -> impl Strategy<Value = String> {
        let piece = prop_oneof![
            Just("\r".to_owned()),
            Just("\n".to_owned()),
            Just("\r\n".to_owned()),
            Just("\0".to_owned()),
            Just("\u{1b}[2J".to_owned()),
            Just("\u{1b}]0;owned\u{7}".to_owned()),
            Just("\"".to_owned()),
            Just("'".to_owned()),
            Just("\\".to_owned()),
            Just("\u{202e}".to_owned()),
            Just("\u{85}".to_owned()),
            Just("\t".to_owned()),
            Just("X-From-Log: yes".to_owned()),
            Just("GET /smuggled HTTP/1.1".to_owned()),
            Just(":".to_owned()),
            Just("111122223333".to_owned()),
            Just("11112222333".to_owned()),
            Just("us-east-1".to_owned()),
            Just("US-EAST-1".to_owned()),
            Just("x".repeat(5000)),
            "[a-zA-Z0-9._-]{0,12}",
        ];
        prop::collection::vec(piece, 0..5).prop_map(|v| v.concat())
    }

    fn rules(filter: &str, alarm: &str, action: &str) -> RuleSet {
        let mut rules = RuleSet::cis();
        rules.metric_filters.push(MetricFilterDef {
            filter_name: filter.to_owned(),
            filter_pattern: r#"{ $.eventName = "StopLogging" }"#.to_owned(),
            log_group_name: None,
            metric_transformations: vec![trailmatch::MetricTransformation {
                metric_name: "M".to_owned(),
                metric_namespace: "N".to_owned(),
                metric_value: "1".to_owned(),
                default_value: None,
                dimensions: Default::default(),
                unit: None,
            }],
            apply_on_transformed_logs: false,
            creation_time: None,
            location: None,
        });
        rules.alarms.push(AlarmDef {
            alarm_name: alarm.to_owned(),
            alarm_actions: vec![action.to_owned()],
            metric_name: Some("M".to_owned()),
            namespace: Some("N".to_owned()),
            statistic: Some("Sum".to_owned()),
            period: Some(60),
            evaluation_periods: 1,
            threshold: Some(1.0),
            comparison_operator: "GreaterThanOrEqualToThreshold".to_owned(),
            ..AlarmDef::default()
        });
        rules
    }

    fn no_controls_but_newlines(text: &str) -> bool {
        !text.chars().any(|c| c.is_control() && c != '\n')
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// Issue 19: hostile text in every record field and rule name that reaches a header, an
        /// ARN, the terminal report or the JSON and ndjson reports leaves each well formed:
        /// every header line is one header; the text report has no control character but line
        /// feeds; the JSON report and each ndjson line parse.
        #[test]
        fn hostile_fields_keep_every_output_well_formed(
            account in hostile(),
            region in hostile(),
            event_name in hostile(),
            agent in hostile(),
            filter in hostile(),
            alarm in "[a-zA-Z0-9 _.-]{1,20}",
            topic in hostile(),
            option_account in proptest::option::of(hostile()),
            source in hostile(),
        ) {
            let action = format!("arn:aws:sns:${{AWS::Region}}:${{AWS::AccountId}}:{topic}");
            let options = ScanOptions {
                insights: Some(insights::Config {
                    min_history_minutes: 1,
                    ..insights::Config::default()
                }),
                account_id: option_account,
                ..ScanOptions::default()
            };
            let mut scanner = match Scanner::new(&rules(&filter, &alarm, &action), options) {
                Ok(s) => s,
                Err(e) => {
                    // A refused option or rule: its rendering is safe too.
                    prop_assert!(no_controls_but_newlines(&e.to_string()), "{e}");
                    return Ok(());
                }
            };
            for minute in 0..4 {
                for name in ["StopLogging", event_name.as_str()] {
                    let record = json!({
                        "eventTime": format!("2026-11-23T10:0{minute}:00Z"),
                        "eventSource": "cloudtrail.amazonaws.com",
                        "eventName": name,
                        "readOnly": false,
                        "awsRegion": region,
                        "recipientAccountId": account,
                        "userAgent": agent,
                        "errorCode": agent,
                    });
                    scanner.record(&record.to_string(), None, &source);
                }
            }
            scanner.skip("invalid-json", source.clone(), agent.clone());
            let report = scanner.finish();
            let mut delivery = Delivery::default();
            for a in &report.alarms {
                for t in &a.transitions {
                    for message in a.outbox_for(t) {
                        match message {
                            Ok(m) => {
                                let m: Value = serde_json::from_str(&m).unwrap();
                                let id = m["MessageId"].as_str().unwrap();
                                let topic = m["TopicArn"].as_str().unwrap();
                                prop_assert!(boundary::check_sns_topic_arn(topic).is_ok());
                                for (name, value) in sns_headers(id, topic).unwrap() {
                                    prop_assert!(
                                        value.chars().all(|c| c == ' ' || c.is_ascii_graphic()),
                                        "{name}: {value:?}"
                                    );
                                }
                                delivery.delivered.push(Delivered {
                                    target: source.clone(),
                                    alarm: a.name.clone(),
                                    time: time::format_millis(t.time_ms),
                                    topic: topic.to_owned(),
                                    attempts: 1,
                                    message_id: Some(id.to_owned()),
                                });
                            }
                            Err(e) => {
                                prop_assert!(no_controls_but_newlines(&e.to_string()));
                                delivery.failed.push(Undelivered {
                                    target: source.clone(),
                                    alarm: e.alarm.clone(),
                                    time: time::format_millis(e.time_ms),
                                    topic: e.topic.clone(),
                                    code: e.code(),
                                    reason: e.reason.clone(),
                                    attempts: 0,
                                    message: None,
                                });
                            }
                        }
                    }
                }
            }
            if let Some(a) = &report.account_id {
                prop_assert!(boundary::is_account_id(a));
            }
            if let Some(r) = &report.region {
                prop_assert!(boundary::is_region(r));
            }
            let text = summary(&report, &source, 1, None, &filter, Some(&delivery));
            prop_assert!(no_controls_but_newlines(&text), "{text:?}");
            let json = serde_json::to_string_pretty(&JsonReport {
                report: &report,
                notifications: Some(&delivery),
                left_out: None,
            })
            .unwrap();
            let parsed: Value = serde_json::from_str(&json).unwrap();
            prop_assert_eq!(&parsed["rules"][15]["name"], &Value::from(filter.clone()));
            for line in ndjson_lines(&report, Some(&delivery), None).unwrap().lines() {
                prop_assert!(serde_json::from_str::<Value>(line).is_ok(), "{line}");
            }
        }
    }
}
