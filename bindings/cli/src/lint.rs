//! `trailmatch lint`: the filter patterns and metric transformations of templates, Terraform and
//! pattern lists, checked with the file, line and column of every finding.

use std::io::{self, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, ValueEnum};
use serde::Serialize;
use trailmatch_cloudtrail::iac::{self, Found};
use trailmatch_cloudtrail::lint::{Diagnostic, Severity, lint_paths};

#[derive(Debug, Args)]
#[command(after_help = LINT_HELP)]
pub struct LintArgs {
    /// Files or directories to check.
    #[arg(value_name = "PATH", required = true)]
    paths: Vec<PathBuf>,
    /// How to print the findings.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// Follow symbolic links met inside directories (those named as PATH always are).
    #[arg(short = 'L', long)]
    follow: bool,
}

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// `path:line:column: severity[code]: message`, the offending text with a caret, and a
    /// summary line.
    Text,
    /// One JSON document (see below).
    Json,
    /// GitHub Actions workflow commands (`::error file=…,line=…,col=…,title=…::message`).
    Github,
}

const LINT_HELP: &str = "\
Inputs:
  Each PATH is a file or a directory, searched recursively (hidden entries such as .terraform
  are skipped; FIFOs, sockets and devices in a directory are reported as not-a-file, as grep
  and scan report them, and never opened; symbolic links inside directories are followed only with --follow). By name: *.tf is Terraform (the .tf files of one directory are read together as
  one module, with the values its terraform.tfvars and *.auto.tfvars files, or their .json
  forms, give its variables, and then those of each .tfvars file named as a PATH, wherever it
  is, in the order given, as `terraform plan -var-file` reads them); *.yaml, *.yml, *.json and *.template are CloudFormation templates (in a
  directory, only those that mention Resources or AWSTemplateFormatVersion); *.txt, *.pattern
  and *.patterns hold one filter pattern per line (blank lines and lines whose first non-blank
  character is # are skipped). A file named explicitly with another extension is read as a pattern list.

  Values are resolved from what the files state: literals, parameter and variable defaults,
  variable values of .tfvars files,
  locals, mappings, Fn::Sub/Join/Select/FindInMap, for_each and count. A pattern that depends
  on anything else is reported as a warning (unresolved-reference, unsupported-intrinsic,
  unsupported-expression) and not checked.

Findings:
  Errors: an invalid filter pattern (code as in `trailmatch check`), an invalid metric
  transformation (invalid-metric-value, invalid-unit, …), a file that cannot be parsed (syntax)
  or a metric filter resource without its pattern or transformation (invalid-resource).
  Warnings: hyphenated-term (an unquoted '-' inside a word starts an excluded term),
  ignored-optional-term (?term mixed with other terms is ignored), never-true (conditions that
  can never hold together), unused-metric-value and unused-dimension (a field reference the
  pattern never mentions), not-a-template, duplicate-key (a CloudFormation key given twice:
  CloudFormation keeps the later, and the earlier is not read), not-created (a resource whose
  Condition is false with the parameters' defaults: not read).

Output:
  text    path:line:column: severity[code]: message, then the pattern with a caret under the
          offending character, then `N errors, M warnings in F files`.
  json    {\"files\": F, \"errors\": N, \"warnings\": M, \"diagnostics\": [{\"file\", \"line\",
          \"column\", \"severity\": \"error\" | \"warning\", \"code\", \"message\", \"filter\",
          \"help\"}]}; line and column are 1-based, columns count characters.
  github  one ::error or ::warning workflow command per finding, for GitHub annotations.

Exit status: 0 if there is no error (warnings allowed), 1 if there is any error, 2 for invalid
arguments or a PATH that does not exist.

Examples:
  trailmatch lint infra/
  trailmatch lint --format github template.yaml main.tf patterns.txt";

/// The files under `paths` and what their readers found (`follow`: symbolic links inside
/// directories); what the walk skipped is among the problems.
pub fn load(paths: &[PathBuf], follow: bool) -> Result<(Found, usize), String> {
    let options = trailmatch_cloudtrail::walk::WalkOptions {
        follow,
        ..Default::default()
    };
    iac::load(paths, options).map_err(|e| format!("error: {e}"))
}

#[derive(Debug, Serialize)]
struct Report<'a> {
    files: usize,
    errors: usize,
    warnings: usize,
    diagnostics: &'a [Diagnostic],
}

/// Runs `trailmatch lint` and gives its exit status.
pub fn run(args: LintArgs) -> ExitCode {
    let options = trailmatch_cloudtrail::walk::WalkOptions {
        follow: args.follow,
        ..Default::default()
    };
    let (diagnostics, files) = match lint_paths(&args.paths, options) {
        Ok(linted) => linted,
        Err(e) => {
            let message = format!("error: {e}");
            let _ = writeln!(
                io::stderr().lock(),
                "{}",
                trailmatch_cloudtrail::boundary::terminal_lines(&message)
            );
            return ExitCode::from(2);
        }
    };
    let errors = diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .count();
    let warnings = diagnostics.len() - errors;
    let text = match args.format {
        Format::Text => {
            let mut out = String::new();
            for d in &diagnostics {
                out.push_str(&d.to_string());
                out.push_str("\n\n");
            }
            out.push_str(&format!(
                "{errors} error{}, {warnings} warning{} in {files} file{}\n",
                plural(errors),
                plural(warnings),
                plural(files)
            ));
            out
        }
        Format::Json => {
            let report = Report {
                files,
                errors,
                warnings,
                diagnostics: &diagnostics,
            };
            match serde_json::to_string_pretty(&report) {
                Ok(json) => json + "\n",
                Err(e) => {
                    let _ = writeln!(io::stderr().lock(), "error: {e}");
                    return ExitCode::from(2);
                }
            }
        }
        Format::Github => diagnostics.iter().map(github).collect(),
    };
    let mut stdout = io::stdout().lock();
    if let Err(e) = stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        if e.kind() != io::ErrorKind::BrokenPipe {
            let _ = writeln!(
                io::stderr().lock(),
                "error: cannot write to standard output: {e}"
            );
            return ExitCode::from(2);
        }
    }
    if errors > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// A GitHub Actions workflow command for one finding.
fn github(d: &Diagnostic) -> String {
    let l = &d.location;
    format!(
        "::{} file={},line={},col={},title={}::{}\n",
        d.severity.as_str(),
        escape_property(&l.file),
        l.line,
        l.column,
        escape_property(&format!("trailmatch {}", d.code)),
        escape_data(&d.message)
    )
}

/// Workflow command data: control characters other than line feeds (from the file's names
/// and values) escaped as `\u{…}` (a log viewer is a terminal too), then `%`, CR and LF as
/// GitHub reads them.
fn escape_data(s: &str) -> String {
    trailmatch_cloudtrail::boundary::terminal_lines(s)
        .replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Workflow command properties: also `:` and `,`.
fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use trailmatch_cloudtrail::rules::SourceLocation;

    proptest! {
        /// Issue 19: whatever a file's name and a finding's message hold, a GitHub workflow
        /// command is one line with no control character but its final line feed.
        #[test]
        fn github_commands_stay_one_line(
            file in "(\\PC|[\r\n\t\u{0}\u{1b}\u{7}\u{85}\u{202e}:,%]){0,40}",
            message in "(\\PC|[\r\n\t\u{0}\u{1b}\u{7}\u{85}\u{202e}:,%]){0,80}",
        ) {
            let d = Diagnostic {
                severity: Severity::Error,
                code: "invalid-unit".to_owned(),
                message,
                location: SourceLocation { file, line: 3, column: 7 },
                filter: None,
                help: None,
                snippet: String::new(),
            };
            let line = github(&d);
            let body = line.strip_suffix('\n').unwrap();
            prop_assert!(!body.chars().any(char::is_control), "{line:?}");
            prop_assert!(line.starts_with("::error file="));
        }
    }
}
