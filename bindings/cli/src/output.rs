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

/// `value` written to `out` as [`serde_json::to_writer_pretty`] writes it (two spaces a level),
/// through [`Pretty`].
pub fn write_json_pretty<T: Serialize, W: Write>(out: &mut W, value: &T) -> io::Result<()> {
    let mut serializer = Serializer::with_formatter(out, Pretty::default());
    value.serialize(&mut serializer).map_err(io::Error::from)
}

/// serde_json's [`PrettyFormatter`] with two spaces a level, byte for byte, but with a line's
/// break and indentation written in one piece where the stock one writes the break and then
/// each level's two spaces on their own: a long scan's report is some 10<sup>5</sup> small
/// objects five levels deep, and those writes were half of writing it.
#[derive(Default)]
pub struct Pretty {
    level: usize,
    has_value: bool,
}

/// A comma, a line feed and the indentation of [`BREAK_LEVELS`] levels.
const BREAK: [u8; 2 + 2 * BREAK_LEVELS] = {
    let mut text = [b' '; 2 + 2 * BREAK_LEVELS];
    text[0] = b',';
    text[1] = b'\n';
    text
};
const BREAK_LEVELS: usize = 32;

impl Pretty {
    /// A line break (after a comma unless `first`) and the indentation of the current level.
    fn new_line<W: ?Sized + Write>(&self, out: &mut W, first: bool) -> io::Result<()> {
        let start = usize::from(first);
        let levels = self.level.min(BREAK_LEVELS);
        out.write_all(BREAK.get(start..2 + 2 * levels).unwrap_or_default())?;
        for _ in levels..self.level {
            out.write_all(b"  ")?;
        }
        Ok(())
    }

    /// An array or object opens one level deeper.
    fn open<W: ?Sized + Write>(&mut self, out: &mut W, bracket: &[u8]) -> io::Result<()> {
        self.level += 1;
        self.has_value = false;
        out.write_all(bracket)
    }

    /// It closes on a line of its own, unless it is empty.
    fn close<W: ?Sized + Write>(&mut self, out: &mut W, bracket: &[u8]) -> io::Result<()> {
        self.level = self.level.saturating_sub(1);
        if self.has_value {
            self.new_line(out, true)?;
        }
        out.write_all(bracket)
    }
}

impl serde_json::ser::Formatter for Pretty {
    fn begin_array<W: ?Sized + Write>(&mut self, out: &mut W) -> io::Result<()> {
        self.open(out, b"[")
    }

    fn end_array<W: ?Sized + Write>(&mut self, out: &mut W) -> io::Result<()> {
        self.close(out, b"]")
    }

    fn begin_array_value<W: ?Sized + Write>(&mut self, out: &mut W, first: bool) -> io::Result<()> {
        self.new_line(out, first)
    }

    fn end_array_value<W: ?Sized + Write>(&mut self, _out: &mut W) -> io::Result<()> {
        self.has_value = true;
        Ok(())
    }

    fn begin_object<W: ?Sized + Write>(&mut self, out: &mut W) -> io::Result<()> {
        self.open(out, b"{")
    }

    fn end_object<W: ?Sized + Write>(&mut self, out: &mut W) -> io::Result<()> {
        self.close(out, b"}")
    }

    fn begin_object_key<W: ?Sized + Write>(&mut self, out: &mut W, first: bool) -> io::Result<()> {
        self.new_line(out, first)
    }

    fn begin_object_value<W: ?Sized + Write>(&mut self, out: &mut W) -> io::Result<()> {
        out.write_all(b": ")
    }

    fn end_object_value<W: ?Sized + Write>(&mut self, _out: &mut W) -> io::Result<()> {
        self.has_value = true;
        Ok(())
    }
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

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use serde_json::{Value, json};

    use super::write_json_pretty;

    fn pretty(value: &Value) -> String {
        let mut out = Vec::new();
        write_json_pretty(&mut out, value).unwrap();
        String::from_utf8(out).unwrap()
    }

    /// Any JSON value: scalars, strings with escapes, empty and nested containers.
    fn value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::from),
            any::<i64>().prop_map(Value::from),
            any::<f64>().prop_map(Value::from),
            "[a-z\"\\\\\n\u{1}é]{0,6}".prop_map(Value::from),
        ];
        leaf.prop_recursive(6, 48, 5, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
                prop::collection::btree_map("[a-z\"]{0,4}", inner, 0..5)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    proptest! {
        /// The report's formatter writes what serde_json's pretty writer writes.
        #[test]
        fn pretty_is_serde_jsons_pretty(value in value()) {
            prop_assert_eq!(pretty(&value), serde_json::to_string_pretty(&value).unwrap());
        }
    }

    /// Past the levels written in one piece, the indentation goes on alike.
    #[test]
    fn deep_values_are_indented_alike() {
        let mut value = json!({"a": [1, {}, []], "b": "x"});
        for level in 0..45 {
            value = if level % 2 == 0 {
                json!([value, level])
            } else {
                json!({ "k": value, "n": [] })
            };
        }
        assert_eq!(
            pretty(&value),
            serde_json::to_string_pretty(&value).unwrap()
        );
    }
}
