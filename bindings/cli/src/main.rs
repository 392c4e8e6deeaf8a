//! The `trailmatch` command: CloudWatch Logs filter patterns from the shell.
//!
//! Every rule about the filter pattern language lives in the `trailmatch` library; this binary
//! only turns arguments into library calls and reports the answers. Exit statuses: 0 on success,
//! 2 for an invalid pattern or request, 1 when a file cannot be read or output cannot be written;
//! `grep` follows grep instead (0: selected events, 1: none, 2: an error); `lint` exits with 1
//! when it finds an error and `cis-check` when a control is not proven covered (2: bad arguments);
//! `scan` exits with 3 when its report was printed but some alarm notification could not be
//! delivered. Text from inputs is written to the terminal with its control characters escaped.

mod cis_check;
mod follow;
mod grep;

mod html;
mod lint;
mod notify;
mod output;
mod request;
mod s3;
mod scan;

use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

use output::Failure;

/// CloudWatch Logs filter patterns outside AWS.
///
/// Parses Amazon CloudWatch Logs filter patterns (terms, %regex%, JSON { } and space-delimited
/// [ ] patterns) with AWS's rules, and answers TestMetricFilter requests as
/// `aws logs test-metric-filter` does, without an AWS account.
#[derive(Debug, Parser)]
#[command(name = "trailmatch", version, propagate_version = true, after_help = TOP_EXAMPLES)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

const TOP_EXAMPLES: &str = "\
Examples:
  trailmatch check '{ $.errorCode = \"AccessDenied*\" }'
  trailmatch scan
  trailmatch grep -c -f patterns.txt AWSLogs/
  trailmatch test-metric-filter --filter-pattern ERROR --log-event-messages '[ERROR] 500' '[INFO] 200'";

#[derive(Debug, Subcommand)]
enum Command {
    /// Tests a filter pattern against log event messages, like `aws logs test-metric-filter`.
    ///
    /// Prints the TestMetricFilter response (the matching messages with their 1-based event
    /// numbers and extracted values) as JSON with the AWS CLI's layout. The request comes from
    /// --filter-pattern and --log-event-messages, from --cli-input-json, or from both: options
    /// given on the command line replace the JSON's members. An invalid pattern or request exits
    /// with status 2 and a diagnostic on standard error.
    #[command(after_help = TEST_EXAMPLES)]
    TestMetricFilter(TestMetricFilterArgs),
    /// Tests an EventBridge event pattern against an event, like `aws events test-event-pattern`.
    ///
    /// Prints the TestEventPattern response, {"Result": true} or {"Result": false}, with the AWS
    /// CLI's layout. The request comes from --event-pattern and --event (each JSON text, or
    /// file://PATH), from --cli-input-json, or from both: options given on the command line
    /// replace the JSON's members. As the API does, the event must have the fields id, account,
    /// source, time, region and detail-type. An invalid pattern, event or request exits with
    /// status 2 and a diagnostic on standard error.
    #[command(after_help = TEST_EVENT_EXAMPLES)]
    TestEventPattern(TestEventPatternArgs),
    /// Checks a filter pattern or an EventBridge event pattern: its kind, or why it is invalid.
    ///
    /// A valid filter pattern prints `kind: <kind>` (match-all, terms, regex, json or delimited)
    /// and `canonical: <canonical form>`; a valid event pattern (a JSON object whose first member
    /// is a quoted key, or `{}`) prints `kind: event-pattern`, `rules: <n>` (the rules its
    /// `$or`s expand to) and `canonical: <compact JSON>`; both exit with status 0. An invalid pattern prints a diagnostic that
    /// points at the offending text on standard error and exits with status 2.
    #[command(after_help = CHECK_EXAMPLES)]
    Check(CheckArgs),
    /// Prints the events of files, directories, standard input or a bucket that match filter
    /// patterns.
    ///
    /// Reads what `scan` reads (CloudTrail log files, CloudWatch Logs subscription payloads and
    /// exports, filter-log-events output, gzip and base64) and lines of any text, from files,
    /// directories (recursively), standard input or s3:// URLs, and prints the events that
    /// match any of the
    /// patterns, like grep or ripgrep. Exit status: 0 if an event was selected,
    /// 1 if none, 2 on an invalid pattern or any error.
    Grep(grep::GrepArgs),
    /// Runs CloudTrail logs through metric filters, alarms and anomaly detection, as AWS would.
    ///
    /// Reads CloudTrail as it is delivered (S3 log files, CloudWatch Logs subscription payloads
    /// and exports, JSON Lines; gzip and base64 recognised), applies the rules (the built-in CIS
    /// AWS Foundations monitoring controls by default) as CloudWatch metric filters, aggregates
    /// their metrics per minute, evaluates the alarms with CloudWatch's semantics, looks for
    /// CloudTrail Insights-style anomalies, and prints what matched, which alarms fired and when,
    /// and the anomalies. With no PATH it scans a bundled day of sample activity.
    Scan(Box<scan::ScanArgs>),
    /// Checks the metric filters of CloudFormation, Terraform and pattern files.
    ///
    /// Validates every filter pattern and metric transformation as PutMetricFilter does and
    /// reports each finding with the file, line and column of the offending character, plus
    /// warnings for valid patterns that are almost certainly wrong.
    Lint(lint::LintArgs),
    /// Reports which CIS monitoring controls the alarmed metric filters cover.
    ///
    /// Decides on the patterns' logic, not their text, and gives a counter-example event for
    /// each control that is not covered.
    CisCheck(cis_check::CisCheckArgs),
}

const TEST_EXAMPLES: &str = "\
Examples:
  trailmatch test-metric-filter --filter-pattern ERROR \\
      --log-event-messages '[ERROR] 400 BAD REQUEST' '[INFO] 200 OK'
  trailmatch test-metric-filter --cli-input-json file://request.json
  echo '{\"filterPattern\": \"ERROR\", \"logEventMessages\": [\"ERROR 1\"]}' \\
      | trailmatch test-metric-filter --cli-input-json -";

const TEST_EVENT_EXAMPLES: &str = "\
Examples:
  trailmatch test-event-pattern --event-pattern '{\"source\": [\"aws.s3\"]}' \\
      --event file://event.json
  trailmatch test-event-pattern --cli-input-json file://request.json";

const CHECK_EXAMPLES: &str = "\
Examples:
  trailmatch check '[ip, user, username, timestamp, request, status_code=4*, bytes]'
  trailmatch check '{\"source\": [\"aws.ec2\"], \"detail\": {\"state\": [\"running\"]}}'
  trailmatch check - < pattern.txt";

#[derive(Debug, Args)]
struct TestMetricFilterArgs {
    /// The filter pattern (replaces filterPattern from --cli-input-json).
    #[arg(long, value_name = "PATTERN", allow_hyphen_values = true)]
    filter_pattern: Option<String>,
    /// One to 50 log event messages (replace logEventMessages from --cli-input-json). Messages may
    /// start with `-`, so every argument after this option is a message: give it last.
    #[arg(long, value_name = "MESSAGE", num_args = 1.., allow_hyphen_values = true)]
    log_event_messages: Option<Vec<String>>,
    /// The request as JSON: {"filterPattern": ..., "logEventMessages": [...]}. FILE is a path,
    /// file://PATH, `-` for standard input, or the JSON text itself.
    #[arg(long, value_name = "FILE")]
    cli_input_json: Option<String>,
}

#[derive(Debug, Args)]
struct TestEventPatternArgs {
    /// The event pattern, JSON text or file://PATH (replaces EventPattern from
    /// --cli-input-json).
    #[arg(long, value_name = "PATTERN", allow_hyphen_values = true)]
    event_pattern: Option<String>,
    /// The event, JSON text or file://PATH (replaces Event from --cli-input-json).
    #[arg(long, value_name = "EVENT", allow_hyphen_values = true)]
    event: Option<String>,
    /// The request as JSON: {"EventPattern": "...", "Event": "..."}. FILE is a path,
    /// file://PATH, `-` for standard input, or the JSON text itself.
    #[arg(long, value_name = "FILE")]
    cli_input_json: Option<String>,
}

#[derive(Debug, Args)]
struct CheckArgs {
    /// The filter pattern, or `-` to read it from standard input (a byte order mark at the start
    /// and one trailing newline are removed, as in a pattern list).
    #[arg(value_name = "PATTERN", allow_hyphen_values = true)]
    pattern: String,
}

fn main() -> ExitCode {
    let result = match Cli::parse().command {
        Command::TestMetricFilter(args) => test_metric_filter(args),
        Command::TestEventPattern(args) => test_event_pattern(args),
        Command::Check(args) => check(args),
        Command::Grep(args) => return grep::run(args),
        Command::Scan(args) => scan::run(*args),
        Command::Lint(args) => return lint::run(args),
        Command::CisCheck(args) => return cis_check::run(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => failure.report(),
    }
}

fn test_metric_filter(args: TestMetricFilterArgs) -> Result<(), Failure> {
    if let Some(option) = args
        .log_event_messages
        .iter()
        .flatten()
        .find(|m| is_option(m))
    {
        return Err(Failure::invalid(format!(
            "'{option}' follows --log-event-messages, which takes every argument after it as a \
             message; give --log-event-messages last"
        )));
    }
    let mut request = match args.cli_input_json.as_deref() {
        Some(source) => request::load(source)?,
        None => trailmatch::TestMetricFilterRequest::default(),
    };
    request.filter_pattern = args.filter_pattern.or(request.filter_pattern);
    request.log_event_messages = args.log_event_messages.or(request.log_event_messages);
    let (pattern, messages) = request::complete(request)?;
    let response = trailmatch::test_metric_filter(&pattern, &messages)?;
    output::print_json(&response)
}

fn test_event_pattern(args: TestEventPatternArgs) -> Result<(), Failure> {
    let mut request = match args.cli_input_json.as_deref() {
        Some(source) => request::load(source)?,
        None => trailmatch::TestEventPatternRequest::default(),
    };
    if let Some(pattern) = args.event_pattern {
        request.event_pattern = Some(request::param(pattern, "--event-pattern")?);
    }
    if let Some(event) = args.event {
        request.event = Some(request::param(event, "--event")?);
    }
    let (pattern, event) = match (request.event_pattern, request.event) {
        (Some(pattern), Some(event)) => (pattern, event),
        (None, Some(_)) => return Err(missing("EventPattern", "--event-pattern")),
        (Some(_), None) => return Err(missing("Event", "--event")),
        (None, None) => {
            return Err(Failure::invalid(
                "the request has no EventPattern and no Event: give --event-pattern and \
                 --event, or put them in --cli-input-json",
            ));
        }
    };
    let response = trailmatch::test_event_pattern(&pattern, &event)?;
    output::print_json(&response)
}

fn missing(member: &str, option: &str) -> Failure {
    Failure::invalid(format!(
        "the request has no {member}: give {option}, or put it in --cli-input-json"
    ))
}

fn check(args: CheckArgs) -> Result<(), Failure> {
    let text = if args.pattern == "-" {
        let bytes = request::read_stdin()?;
        if bytes.is_empty() {
            // Closed or empty: nothing was read. (An empty pattern is an empty line.)
            return Err(Failure::invalid(
                "no pattern read from standard input (it is empty or closed); an empty \
                 pattern is given as an empty line",
            ));
        }
        let text = String::from_utf8(bytes)
            .map_err(|_| Failure::invalid("the pattern on standard input is not UTF-8"))?;
        let text = match text.strip_prefix('\u{feff}') {
            Some(rest) => rest.to_owned(),
            None => text,
        };
        strip_one_newline(text)
    } else {
        args.pattern
    };
    if trailmatch::is_event_pattern(&text) {
        let pattern = trailmatch::EventPattern::new(&text)?;
        let (rules, canonical) = (pattern.ast().rule_count(), pattern.ast());
        return output::print_text(&format!(
            "kind: event-pattern\nrules: {rules}\ncanonical: {canonical}\n"
        ));
    }
    let pattern = trailmatch::Pattern::new(&text)?;
    output::print_text(&format!("kind: {}\ncanonical: {pattern}\n", pattern.kind()))
}

/// True for a long option of `test-metric-filter`, which `--log-event-messages` (taking values
/// that start with `-`) would otherwise swallow as a message.
fn is_option(arg: &str) -> bool {
    const OPTIONS: [&str; 5] = [
        "--filter-pattern",
        "--log-event-messages",
        "--cli-input-json",
        "--help",
        "--version",
    ];
    let name = arg.split_once('=').map_or(arg, |(name, _)| name);
    OPTIONS.contains(&name)
}

/// Removes one trailing line ending (`\n` or `\r\n`), such as `echo` or an editor adds.
fn strip_one_newline(mut text: String) -> String {
    if text.ends_with('\n') {
        text.pop();
        if text.ends_with('\r') {
            text.pop();
        }
    }
    text
}
