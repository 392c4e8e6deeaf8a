//! Writing answers and reporting failures with the right exit status.

use std::io::{self, Write};
use std::process::ExitCode;

use serde::Serialize;
use serde_json::ser::{PrettyFormatter, Serializer};
use trailmatch_cloudtrail::boundary;

/// Why a command did not succeed.
#[derive(Debug)]
pub enum Failure {
    /// An invalid pattern or request (exit status 2). The text is printed on standard error as
    /// is, followed by a newline.
    Invalid(String),
    /// A file that cannot be read, or output that cannot be written (exit status 1).
    Io(String),
    /// The command's output was written, but some alarm notification could not be delivered
    /// (exit status 3); the failures are listed in the output.
    Undelivered(String),
    /// Standard output was closed by the reader (`| head`): exit quietly.
    BrokenPipe,
}

impl Failure {
    /// An invalid request found by the command line tool itself (not the library).
    pub fn invalid(message: impl std::fmt::Display) -> Failure {
        Failure::Invalid(format!("error: {message}"))
    }

    /// Prints the failure on standard error (control characters other than line feeds escaped,
    /// see [`boundary::terminal_lines`]) and gives the exit status.
    pub fn report(self) -> ExitCode {
        let (text, status) = match self {
            Failure::Invalid(text) => (text, 2),
            Failure::Io(text) => (text, 1),
            Failure::Undelivered(text) => (text, 3),
            Failure::BrokenPipe => return ExitCode::SUCCESS,
        };
        // Nothing more can be done if standard error is gone too.
        let _ = writeln!(io::stderr().lock(), "{}", boundary::terminal_lines(&text));
        ExitCode::from(status)
    }
}

impl From<trailmatch::Error> for Failure {
    fn from(error: trailmatch::Error) -> Failure {
        Failure::Invalid(error.to_string())
    }
}

/// Prints `value` as JSON indented by four spaces, like the AWS CLI, and a newline.
pub fn print_json<T: Serialize>(value: &T) -> Result<(), Failure> {
    let mut text = Vec::new();
    let mut serializer =
        Serializer::with_formatter(&mut text, PrettyFormatter::with_indent(b"    "));
    value
        .serialize(&mut serializer)
        .map_err(|e| Failure::Io(format!("error: cannot write the response: {e}")))?;
    text.push(b'\n');
    write_stdout(&text)
}

/// Prints `text` as is.
pub fn print_text(text: &str) -> Result<(), Failure> {
    write_stdout(text.as_bytes())
}

fn write_stdout(bytes: &[u8]) -> Result<(), Failure> {
    let mut stdout = io::stdout().lock();
    stdout
        .write_all(bytes)
        .and_then(|()| stdout.flush())
        .map_err(stdout_failure)
}

/// The failure of a write to standard output: a reader that went away (`| head`) ends the
/// command quietly.
pub fn stdout_failure(e: io::Error) -> Failure {
    match e.kind() {
        io::ErrorKind::BrokenPipe => Failure::BrokenPipe,
        _ => Failure::Io(format!("error: cannot write to standard output: {e}")),
    }
}
