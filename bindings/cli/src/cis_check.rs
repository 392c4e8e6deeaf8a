//! `trailmatch cis-check`: which CIS AWS Foundations monitoring controls the metric filters and
//! alarms of templates and Terraform cover, decided on the patterns' logic.

use std::io::{self, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use trailmatch_cloudtrail::boundary::terminal;

use clap::{Args, ValueEnum};
use serde::Serialize;
use trailmatch_cloudtrail::cis::{CONTROLS, Control};
use trailmatch_cloudtrail::coverage::{ControlReport, Status, cis_check_controls};

#[derive(Debug, Args)]
#[command(after_help = CIS_HELP)]
pub struct CisCheckArgs {
    /// Files or directories holding metric filters and alarms.
    #[arg(value_name = "PATH", required = true)]
    paths: Vec<PathBuf>,
    /// How to print the report.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// Check only this control (`5.1` … `5.15`, or its name such as `root_usage`); repeatable.
    #[arg(long, value_name = "ID")]
    control: Vec<String>,
    /// Follow symbolic links met inside directories (those named as PATH always are).
    #[arg(short = 'L', long)]
    follow: bool,
}

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// One block per control.
    Text,
    /// {"controls": [...]} (see below).
    Json,
}

const CIS_HELP: &str = "\
What it decides:
  For each monitoring control of the CIS AWS Foundations Benchmark 7.0 (5.1 to 5.15), whether
  the metric filters found that have an alarm on their metric (an alarm whose MetricName,
  Namespace and dimension names are the filter's metricName, metricNamespace and dimensions,
  and whose Unit, if it gives one, is the filter's) together match every event the control's
  pattern matches. A filter PutMetricFilter refuses covers nothing. The answer comes from the
  patterns' logic, not their text: other quoting, spacing, parentheses or order of || terms do
  not matter, and several filters may cover a control together.

  covered      proven for every event.
  not-covered  with a counter-example: an event the control's pattern matches and every filter
               misses, checked with the matching engine.
  undecided    the filters use what the procedure cannot reason about (regexes, wildcard or
               array selectors, term patterns, numbers compared with globs; dimensions or a
               metric value read from the event, which leave the alarm part of the matches),
               or some filter or alarm could not be read from the files; the reason says which.

  Inputs are read as by `trailmatch lint`; problems met while reading them are printed on
  standard error.

Output:
  text  one block per control: id, status and title, the filters that take part, the
        counter-example, the reason.
  json  {\"controls\": [{\"id\", \"title\", \"status\": \"covered\" | \"not-covered\" | \"undecided\",
        \"filters\": [{\"name\", \"location\"}], \"counterexample\": {…} | null, \"reason\"}]}

Exit status: 0 if every control checked is covered, 1 otherwise, 2 for invalid arguments or a
PATH that does not exist.

Examples:
  trailmatch cis-check infra/
  trailmatch cis-check --control 5.2 --format json template.yaml";

#[derive(Debug, Serialize)]
struct Report<'a> {
    controls: &'a [ControlReport],
}

/// Runs `trailmatch cis-check` and gives its exit status.
pub fn run(args: CisCheckArgs) -> ExitCode {
    match check(&args) {
        Ok(code) => code,
        Err(message) => {
            let _ = writeln!(
                io::stderr().lock(),
                "{}",
                trailmatch_cloudtrail::boundary::terminal_lines(&message)
            );
            ExitCode::from(2)
        }
    }
}

fn check(args: &CisCheckArgs) -> Result<ExitCode, String> {
    let mut controls: Vec<Control> = Vec::new();
    for key in &args.control {
        let control = Control::find(key).ok_or_else(|| {
            format!(
                "error: no CIS control '{key}'; the controls are {}",
                CONTROLS.iter().map(|c| c.id).collect::<Vec<_>>().join(", ")
            )
        })?;
        // A control named twice (as 5.5 and 3.5, say) is checked once.
        if !controls.iter().any(|c| c.id == control.id) {
            controls.push(*control);
        }
    }
    if controls.is_empty() {
        controls = CONTROLS.to_vec();
    }
    let (found, _) = crate::lint::load(&args.paths, args.follow)?;
    {
        let mut stderr = io::stderr().lock();
        for p in &found.problems {
            let _ = writeln!(
                stderr,
                "{}: warning[{}]: {}",
                terminal(&p.location.to_string()),
                p.code,
                terminal(&p.message)
            );
        }
    }
    let reports = cis_check_controls(&found, &controls);
    let text = match args.format {
        Format::Json => {
            serde_json::to_string_pretty(&Report { controls: &reports })
                .map_err(|e| format!("error: {e}"))?
                + "\n"
        }
        Format::Text => reports.iter().map(block).collect::<Vec<_>>().join("\n"),
    };
    let mut stdout = io::stdout().lock();
    if let Err(e) = stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        if e.kind() != io::ErrorKind::BrokenPipe {
            return Err(format!("error: cannot write to standard output: {e}"));
        }
    }
    Ok(if reports.iter().all(|r| r.status == Status::Covered) {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// One control in the text report; the filters' names and locations (from the files) and the
/// reason (which may quote them) are escaped for the terminal.
fn block(r: &ControlReport) -> String {
    let mut out = format!("{:<5} {:<12} {}\n", r.id, r.status.as_str(), r.title);
    for f in &r.filters {
        match &f.location {
            Some(at) => out.push_str(&format!(
                "      filter: {} ({})\n",
                terminal(&f.name),
                terminal(at)
            )),
            None => out.push_str(&format!("      filter: {}\n", terminal(&f.name))),
        }
    }
    if let Some(event) = &r.counterexample {
        out.push_str(&format!("      counter-example: {event}\n"));
    }
    out.push_str(&format!("      {}\n", terminal(&r.reason)));
    out
}
