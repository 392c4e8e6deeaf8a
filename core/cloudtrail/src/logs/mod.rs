//! CloudTrail records as they are delivered: S3 log files, CloudWatch Logs subscription
//! payloads, CloudWatch Logs exports and JSON Lines, gzipped or not, read as one sequence of
//! records with bounded memory.
//!
//! ```
//! use trailmatch_cloudtrail::logs::{read_stream, Item, Options, SkipKind};
//!
//! // A CloudTrail log file as delivered to S3 (here not gzipped; gzip is detected by content).
//! let file = r#"{"Records":[{"eventName":"GetObject"},{"eventName":NaN},{"eventName":"PutObject"}]}"#;
//! let mut records = Vec::new();
//! let mut skips = Vec::new();
//! for item in read_stream("trail.json", file.as_bytes(), Options::default()) {
//!     match item {
//!         Item::Record(record) => records.push(record.json),
//!         Item::Skipped(skip) => skips.push((skip.kind, skip.location.to_string())),
//!     }
//! }
//! assert_eq!(records, [r#"{"eventName":"GetObject"}"#, r#"{"eventName":"PutObject"}"#]);
//! assert_eq!(skips, [(SkipKind::InvalidJson, "trail.json, record 2".to_owned())]);
//! ```
//!
//! Formats are recognised by content, never by file name:
//!
//! * gzip (magic bytes `1f 8b`), with any number of concatenated members (Firehose writes
//!   one member per record), around any of the formats below;
//! * an S3 log file, `{"Records":[…]}` ([CloudTrail log file examples]); other top-level keys
//!   are ignored;
//! * a CloudWatch Logs subscription payload, `{"messageType":"DATA_MESSAGE",…,"logEvents":[…]}`
//!   where each event's `message` is one record ([Subscription filters]; a `CONTROL_MESSAGE`
//!   yields nothing when its `messageType` comes before `logEvents`, as CloudWatch Logs writes
//!   it), also base64-encoded and gzipped as a Lambda function receives it
//!   (`{"awslogs":{"data":"H4sI…"}}`) or as bare base64 text, and several payloads one after
//!   the other (`{…}{…}`, as Firehose delivers them to S3);
//! * the output of `aws logs filter-log-events` / `get-log-events`, `{"events":[…]}`, read like
//!   `logEvents`;
//! * a CloudWatch Logs export to S3 (`CreateExportTask`), one event per line after its
//!   timestamp: `2020-09-14T00:44:23.000Z {…}` ([Exporting log data to Amazon S3]);
//! * JSON Lines: one record per line (blank lines, CRLF line ends and a UTF-8 byte order mark
//!   at the start are accepted); any top-level object without the keys above is a record.
//!
//! A CloudTrail digest file (an object with a `logFiles` array, [digest file structure]) yields
//! nothing: it lists log files, not records.
//!
//! Everything malformed becomes an [`Item::Skipped`] naming what was wrong and where, and the
//! rest is still read: a bad line skips that line; a bad element of a `Records` or `logEvents`
//! array skips that element when the fault leaves the structure readable (invalid UTF-8, a bad
//! escape or number, too deep, too large), and otherwise the rest of the input up to the next
//! line that starts with `{` is one skip; a truncated gzip file yields the records before the
//! cut and then a `truncated-gzip` skip. Every record yielded is one syntactically valid JSON
//! object (RFC 8259), its text exactly as in the (decompressed) input.
//!
//! Memory: input is read through fixed buffers and one record at a time is held; a record
//! larger than [`Options::max_record_bytes`] is skipped without being held whole, and nesting
//! deeper than [`Options::max_depth`] is skipped without recursion.
//!
//! [CloudTrail log file examples]: https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-log-file-examples.html
//! [Subscription filters]: https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/SubscriptionFilters.html
//! [Exporting log data to Amazon S3]: https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/S3Export.html
//! [digest file structure]: https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-log-file-validation-digest-file-structure.html

mod decode;
pub(crate) mod fast;
mod lex;
mod source;
mod stream;

use std::collections::VecDeque;
use std::fmt;
use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::walk::{Entry, SkipReason, Walk, WalkOptions};
use source::{CACHE_LINE, ReadBuffer, ReadBuffers, aligned};

pub use stream::{LineRecord, Next, Sieve, Stream};

/// Limits for reading.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Options {
    /// Largest record, in bytes of JSON text, that is yielded; larger ones are skipped as
    /// [`SkipKind::RecordTooLarge`]. Default 262,144: the 256 KB limit on a CloudWatch Logs
    /// event that `PutLogEvents` long documented (it has since been raised to 1 MB).
    pub max_record_bytes: usize,
    /// Deepest nesting of arrays and objects within a record (the record itself is level 1);
    /// deeper records are skipped as [`SkipKind::NestingTooDeep`]. Default 512, as core's JSON
    /// reader.
    pub max_depth: usize,
    /// Read lines of text too, as `grep` does: in a line-oriented input, a line that is not a
    /// JSON record (`ERROR disk full`, a VPC flow log record, `{not json`) is a [`Record`] whose
    /// `json` holds the line as written (without its line ending), rather than a skip. A line
    /// that starts with `{` and is a valid object is a record as without this option; a line that
    /// holds a container (`{"Records":[…]}`) yields its records; a JSON document spread over
    /// several lines (a pretty-printed log file) is read as without this option. Limits,
    /// gzip, base64 and every format are as without it. Default false.
    pub text_lines: bool,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            max_record_bytes: 262_144,
            max_depth: 512,
            text_lines: false,
        }
    }
}

/// One input to a [`Reader`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Input {
    /// A file (a symbolic link or a FIFO named here is followed or read), or a directory whose
    /// regular files are read recursively in sorted order, as [`walk`](crate::walk) finds them.
    Path(PathBuf),
    /// The standard input.
    Stdin,
}

impl Input {
    /// The input a command-line argument names: `-` is the standard input, anything else a path.
    pub fn from_arg(arg: impl Into<PathBuf>) -> Input {
        let path = arg.into();
        if path.as_os_str() == "-" {
            Input::Stdin
        } else {
            Input::Path(path)
        }
    }
}

/// What reading yields: a record, or what had to be skipped.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Item {
    /// One CloudTrail record.
    Record(Record),
    /// Input that could not be read as records.
    Skipped(Skip),
}

/// One record: its JSON text and where it was found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Record {
    /// Where the record is.
    pub location: Location,
    /// Exactly one JSON object, byte for byte as in the input after decompression (for a log
    /// event, as in its decoded `message`, without surrounding whitespace). With
    /// [`Options::text_lines`], a line of text that is not one (see there).
    pub json: String,
    /// The delivery timestamp, in milliseconds since the epoch, when the format carries one
    /// (a log event's `timestamp`, an export line's prefix).
    pub timestamp_ms: Option<i64>,
    /// True for text that is no JSON object ([`Options::text_lines`]: a line, or a log event's
    /// message, of text), false for a JSON object.
    pub text: bool,
}

/// Input that was skipped, why and where.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Skip {
    /// Where the skipped input starts.
    pub location: Location,
    /// What was wrong.
    pub kind: SkipKind,
    /// What was wrong and where, e.g. `invalid JSON at byte 1234: expected ',' or ']', found 'x'`.
    pub message: String,
}

impl fmt::Display for Skip {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {} [{}]", self.location, self.message, self.kind)
    }
}

/// Why input was skipped. Each kind has a stable [`code`](SkipKind::code).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SkipKind {
    /// The file or directory cannot be opened or read (a missing path, no permission).
    Unreadable,
    /// Data that starts like gzip but is not (`1f 8b 00 …`), or bad data after a member.
    InvalidGzip,
    /// Gzip data that ends before its last member does (a cut `.json.gz`).
    TruncatedGzip,
    /// Base64 text with a byte outside the alphabet (`{"awslogs":{"data":"H4sI*"}}`).
    InvalidBase64,
    /// A string that is not UTF-8 (`{"a":"\xff"}`).
    InvalidUtf8,
    /// Text that breaks the JSON grammar (`{"a":1,}`, `{"a":NaN}`, a NUL byte in a string).
    InvalidJson,
    /// A JSON value where a record (an object) should be (`[1,2]`, `"text"`).
    NotAnObject,
    /// A record longer than [`Options::max_record_bytes`].
    RecordTooLarge,
    /// A record nested deeper than [`Options::max_depth`] (`[[[[…]]]]`), or encodings nested
    /// too deep (base64 of base64 of …).
    NestingTooDeep,
    /// Input that no supported format starts with (binary data, a zip or zstd file).
    UnknownFormat,
    /// A `logEvents` / `events` element without a string `message` (`{"id":"1"}`).
    InvalidEvent,
    /// A FIFO, socket or device met while walking a directory: never opened (see
    /// [`walk`](crate::walk)).
    NotAFile,
}

impl SkipKind {
    /// The stable kebab-case code, e.g. `truncated-gzip`.
    pub fn code(self) -> &'static str {
        match self {
            SkipKind::Unreadable => "unreadable",
            SkipKind::InvalidGzip => "invalid-gzip",
            SkipKind::TruncatedGzip => "truncated-gzip",
            SkipKind::InvalidBase64 => "invalid-base64",
            SkipKind::InvalidUtf8 => "invalid-utf8",
            SkipKind::InvalidJson => "invalid-json",
            SkipKind::NotAnObject => "not-an-object",
            SkipKind::RecordTooLarge => "record-too-large",
            SkipKind::NestingTooDeep => "nesting-too-deep",
            SkipKind::UnknownFormat => "unknown-format",
            SkipKind::InvalidEvent => "invalid-event",
            SkipKind::NotAFile => "not-a-file",
        }
    }

    /// How a message names a problem of this kind ("invalid JSON", …).
    fn describe(self) -> &'static str {
        match self {
            SkipKind::Unreadable => "read error",
            SkipKind::InvalidGzip => "invalid gzip",
            SkipKind::TruncatedGzip => "truncated gzip",
            SkipKind::InvalidBase64 => "invalid base64",
            SkipKind::InvalidUtf8 => "invalid UTF-8",
            SkipKind::InvalidJson => "invalid JSON",
            SkipKind::NotAnObject => "not an object",
            SkipKind::RecordTooLarge => "record too large",
            SkipKind::NestingTooDeep => "nesting too deep",
            SkipKind::UnknownFormat => "unknown format",
            SkipKind::InvalidEvent => "invalid log event",
            SkipKind::NotAFile => "not a regular file",
        }
    }
}

impl fmt::Display for SkipKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// Where a record or skip is. Byte offsets and lines count in the decompressed stream; inside
/// a base64 payload (`awslogs.data`, a base64 file) they count in the decoded payload.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Location {
    /// The path as given (or found in a directory), or `<stdin>`.
    pub file: String,
    /// 1-based line, for line-oriented formats (JSON Lines, exports).
    pub line: Option<u64>,
    /// 1-based index in the file's `Records`, or in a payload's `logEvents` / `events`.
    pub record: Option<u64>,
    /// Offset of the first byte.
    pub byte: Option<u64>,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.line, self.record, self.byte) {
            (Some(line), _, _) => write!(f, "{}:{line}", self.file),
            (None, Some(record), _) => write!(f, "{}, record {record}", self.file),
            (None, None, Some(byte)) => write!(f, "{}, byte {byte}", self.file),
            (None, None, None) => f.write_str(&self.file),
        }
    }
}

/// Reads records from any reader; `name` is used in locations. Gzip, base64 and every format
/// of this module are recognised from the content.
pub fn read_stream<'a, R: Read + Send + 'a>(
    name: impl Into<String>,
    reader: R,
    options: Options,
) -> Stream<'a> {
    Stream::new(name.into(), Box::new(reader), options)
}

/// Reads an input a caller opened (an object of a bucket): its records and skips, or the one
/// skip of an input that could not be opened ([`unreadable_input`]).
pub fn read_opened(
    name: String,
    opened: io::Result<Box<dyn Read + Send>>,
    options: Options,
) -> Box<dyn Iterator<Item = Item> + Send> {
    match opened {
        Ok(reader) => Box::new(read_stream(name, reader, options)),
        Err(e) => Box::new(std::iter::once(Item::Skipped(unreadable_input(name, &e)))),
    }
}

/// Reads records from files, directory trees and the standard input, one input after another.
///
/// ```
/// use trailmatch_cloudtrail::logs::{Input, Item, Options, Reader, SkipKind};
///
/// let dir = std::env::temp_dir().join(format!("trailmatch-doc-{}", std::process::id()));
/// std::fs::create_dir_all(dir.join("us-east-1"))?;
/// std::fs::write(dir.join("us-east-1/b.jsonl"), "{\"eventName\":\"B\"}\n")?;
/// std::fs::write(dir.join("a.json"), r#"{"Records":[{"eventName":"A"}]}"#)?;
/// let inputs = vec![Input::from_arg(&dir), Input::from_arg(dir.join("missing.json.gz"))];
/// let items: Vec<Item> = Reader::new(inputs, Options::default()).collect();
/// std::fs::remove_dir_all(&dir)?;
/// let Item::Record(first) = &items[0] else { panic!() };
/// assert_eq!(first.json, r#"{"eventName":"A"}"#);
/// let Item::Record(second) = &items[1] else { panic!() };
/// assert_eq!(second.location.line, Some(1));
/// let Item::Skipped(missing) = &items[2] else { panic!() };
/// assert_eq!(missing.kind, SkipKind::Unreadable);
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug)]
pub struct Reader {
    options: Options,
    walk_options: WalkOptions,
    inputs: VecDeque<Input>,
    /// The walk of the path being read.
    walk: Option<Walk>,
    current: Option<Stream<'static>>,
    queue: VecDeque<Item>,
    peak: usize,
}

impl Reader {
    /// A reader of `inputs`, in order; symbolic links inside directories are not followed.
    pub fn new(inputs: Vec<Input>, options: Options) -> Reader {
        Reader::with_walk(inputs, options, WalkOptions::default())
    }

    /// A reader of `inputs` that walks directories with `walk` (`follow`: `--follow`).
    pub fn with_walk(inputs: Vec<Input>, options: Options, walk: WalkOptions) -> Reader {
        Reader {
            options,
            walk_options: walk,
            inputs: inputs.into(),
            walk: None,
            current: None,
            queue: VecDeque::new(),
            peak: 0,
        }
    }

    /// The most bytes of read buffers and record text that one input held at once so far
    /// (the decompressor's fixed state not included).
    pub fn peak_buffer_bytes(&self) -> usize {
        let current = self.current.as_ref().map_or(0, Stream::peak_buffer_bytes);
        self.peak.max(current)
    }

    fn open(&mut self, entry: Entry) {
        match entry {
            Entry::File(path) => match File::open(&path) {
                Ok(file) => {
                    let name = path.display().to_string();
                    self.current = Some(read_stream(name, file, self.options));
                }
                Err(e) => self.queue.push_back(Item::Skipped(unreadable(&path, &e))),
            },
            Entry::Skipped {
                path,
                reason,
                message,
            } => {
                let kind = match reason {
                    SkipReason::NotAFile => SkipKind::NotAFile,
                    _ => SkipKind::Unreadable,
                };
                let message = message
                    .strip_prefix(&format!("{}: ", path.display()))
                    .map_or_else(|| message.clone(), str::to_owned);
                self.queue.push_back(Item::Skipped(Skip {
                    location: Location {
                        file: path.display().to_string(),
                        ..Location::default()
                    },
                    kind,
                    message,
                }));
            }
        }
    }
}

/// The skip for a file that cannot be opened.
pub fn unreadable(path: &Path, error: &io::Error) -> Skip {
    unreadable_input(path.display().to_string(), error)
}

/// The skip of the input `name` (a file, an object of a bucket) that cannot be read.
pub fn unreadable_input(name: String, error: &io::Error) -> Skip {
    Skip {
        message: format!("cannot read {name}: {error}"),
        location: Location {
            file: name,
            ..Location::default()
        },
        kind: SkipKind::Unreadable,
    }
}

impl Iterator for Reader {
    type Item = Item;

    fn next(&mut self) -> Option<Item> {
        loop {
            if let Some(item) = self.queue.pop_front() {
                return Some(item);
            }
            if let Some(stream) = self.current.as_mut() {
                if let Some(item) = stream.next() {
                    return Some(item);
                }
                self.peak = self.peak.max(stream.peak_buffer_bytes());
                self.current = None;
                continue;
            }
            if let Some(walk) = self.walk.as_mut() {
                match walk.next() {
                    Some(entry) => self.open(entry),
                    None => self.walk = None,
                }
                continue;
            }
            match self.inputs.pop_front()? {
                Input::Stdin => {
                    self.current = Some(read_stream("<stdin>", io::stdin(), self.options));
                }
                Input::Path(path) => {
                    self.walk = Some(Walk::new(vec![path], self.walk_options.clone()))
                }
            }
        }
    }
}

/// How a file is best read by [`read_range`]s or as a whole: see [`layout`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Layout {
    /// One stream ([`read_stream`]): gzip, base64, a JSON document over several lines, a file
    /// whose first line is longer than the read buffer, anything that is not a plain file.
    Whole,
    /// Lines, each read on its own: the file may be cut into byte ranges read in parallel by
    /// [`read_range`], which give the same items in order as one stream with
    /// [`Options::text_lines`] would, except that a JSON value must lie on one line.
    Lines {
        /// The file's length in bytes.
        len: u64,
    },
}

/// Decides from its first bytes how `file` can be read with `options` (ranges of lines are only
/// offered with [`Options::text_lines`], on Unix, for a regular file that is neither gzip nor
/// base64 and whose first line is not the start of a JSON document over several lines).
pub fn layout(file: &File, options: Options) -> io::Result<Layout> {
    let meta = file.metadata()?;
    if !options.text_lines || !meta.is_file() || !cfg!(unix) {
        return Ok(Layout::Whole);
    }
    let size = stream::text_buffer(options);
    let mut buf = vec![0; size.saturating_add(CACHE_LINE)];
    let (shift, n) = read_placed(file, &mut buf, 0, size)?;
    let head = buf.get(shift..shift + n).unwrap_or_default();
    let len = meta.len();
    let whole = stream::starts_whole(head, (n as u64) < len, options);
    Ok(if whole {
        Layout::Whole
    } else {
        Layout::Lines { len }
    })
}

/// Reads `len` bytes of `file` from `offset` (fewer where it ends) into `buf`, placed where the
/// kernel copies them fastest ([`aligned`]; `buf` has room for `len` and [`CACHE_LINE`] more):
/// where they start in `buf`, and how many were read.
fn read_placed(file: &File, buf: &mut [u8], offset: u64, len: usize) -> io::Result<(usize, usize)> {
    let shift = aligned(buf, offset);
    let end = shift.saturating_add(len).min(buf.len());
    let n = read_at_full(file, buf.get_mut(shift..end).unwrap_or_default(), offset)?;
    Ok((shift, n))
}

/// Reads into `buf` from `offset` until it is full or the file ends; the bytes read.
#[cfg(unix)]
fn read_at_full(file: &File, buf: &mut [u8], offset: u64) -> io::Result<usize> {
    use std::os::unix::fs::FileExt;
    let mut got = 0;
    while let Some(rest) = buf.get_mut(got..) {
        if rest.is_empty() {
            break;
        }
        match file.read_at(rest, offset + got as u64) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(got)
}

#[cfg(not(unix))]
fn read_at_full(_: &File, _: &mut [u8], _: u64) -> io::Result<usize> {
    Err(io::Error::other("positioned reads are not available"))
}

/// The loop of a worker thread of a range-parallel read (`trailmatch grep -j N`, `scan -j N`):
/// takes jobs (ranges, batches) from the shared queue one at a time, and sends what `process`
/// makes of each; returns when the queue is closed and empty, or when no one receives any more.
pub fn serve<J, D>(
    jobs: &std::sync::Mutex<std::sync::mpsc::Receiver<J>>,
    done: &std::sync::mpsc::SyncSender<D>,
    mut process: impl FnMut(J) -> D,
) {
    loop {
        let job = {
            let Ok(receiver) = jobs.lock() else {
                return;
            };
            match receiver.recv() {
                Ok(job) => job,
                Err(_) => return,
            }
        };
        if done.send(process(job)).is_err() {
            return;
        }
    }
}

/// The items of the lines that start in bytes `start..end` of a file whose [`layout`] is
/// [`Layout::Lines`] (the last such line is read to its end, past `end`), with
/// [`Options::text_lines`]. Byte offsets in locations count from the start of the file; line
/// numbers count from the first line of the range (1), and [`Stream::lines_read`] tells, once
/// the stream has ended, how many lines the range holds: the caller adds the lines of the
/// ranges before to make them absolute. Reading a file as consecutive ranges gives the items
/// that reading it whole would unless some range's stream ends with [`Stream::needs_stream`]
/// (a line that starts a JSON value it does not finish is otherwise read as text): the rest of
/// the file is then read with [`read_from`] from that range's start.
pub fn read_range(
    name: impl Into<String>,
    file: Arc<File>,
    start: u64,
    end: u64,
    options: Options,
) -> Stream<'static> {
    let options = text_lines(options);
    let (reader, origin) = range_reader(file, start, end);
    Stream::lines(name.into(), Box::new(reader), options, origin, true, 1)
}

/// `options` with [`Options::text_lines`], as the ranges of a file are read.
fn text_lines(options: Options) -> Options {
    Options {
        text_lines: true,
        ..options
    }
}

/// The UTF-8 byte order mark, which a file may start with.
const BOM: &[u8; 3] = b"\xEF\xBB\xBF";

/// How plain files of lines ([`Layout::Lines`]) are cut into ranges that threads read on their
/// own ([`Range::stream`]): of `bytes` each, and read ahead by the thread that cuts them, or
/// not. Read ahead, the kernel's copy of the file costs the threads that read the ranges
/// nothing, which pays when a core would otherwise be idle ([`read_ahead_pays`]).
#[derive(Debug)]
pub struct Ranges {
    bytes: u64,
    ahead: Option<ReadAhead>,
}

impl Ranges {
    /// Ranges of `bytes` (at least 1); with `read_ahead`, each read ahead into a buffer of its
    /// own, of which there are `slots` (a range holds its buffer until its stream is dropped),
    /// for streams read with `options`.
    pub fn new(bytes: u64, slots: usize, read_ahead: bool, options: Options) -> Ranges {
        let bytes = bytes.max(1);
        Ranges {
            bytes,
            ahead: read_ahead.then(|| ReadAhead::new(slots, bytes, options)),
        }
    }

    /// The same ranges, whose lines read ahead are also sifted by `sieve` on the thread that
    /// reads them (with their UTF-8 validated) while the threads that read the ranges have
    /// ranges read before still to begin: the streams of those ranges read with
    /// [`Stream::next_sifted`] and this sieve (or a clone of it) then neither search their lines
    /// nor validate the lines they pass over, which moves that work off the threads that match
    /// records. Another sieve sifts them again. (`scan`'s workers read every line, and ask the
    /// filters' prefilter only of the lines the sieve did not sift out.)
    #[must_use]
    pub fn sifting(mut self, sieve: Option<Sieve>) -> Ranges {
        if let Some(ahead) = self.ahead.as_mut() {
            ahead.sieve = sieve;
        }
        self
    }

    /// Where the ranges of a file of `len` bytes start and end, in order.
    pub fn spans(&self, len: u64) -> impl Iterator<Item = (u64, u64)> + use<> {
        let bytes = self.bytes;
        (0..len.div_ceil(bytes)).map(move |i| {
            let start = i * bytes;
            (start, len.min(start.saturating_add(bytes)))
        })
    }

    /// Bytes `start..end` of `file`, read now when ranges are read ahead and a buffer is free.
    pub fn range(&self, file: &Arc<File>, start: u64, end: u64) -> Range {
        Range {
            file: Arc::clone(file),
            start,
            end,
            ahead: self
                .ahead
                .as_ref()
                .and_then(|ahead| ahead.read(file, start, end)),
        }
    }
}

/// Ranges of plain files of lines read ahead by one thread while others match what was read
/// before: the kernel's copy of the file then costs the matching threads nothing, which pays
/// when a core would otherwise be idle ([`read_ahead_pays`]).
#[derive(Clone, Debug)]
struct ReadAhead {
    buffers: Arc<ReadBuffers>,
    /// The most bytes read ahead for a range: the buffers' size, less the room to place them
    /// ([`aligned`]).
    size: usize,
    /// Sifts the lines read ahead ([`Ranges::sifting`]).
    sieve: Option<Sieve>,
    /// Ranges read ahead whose streams are not made yet.
    waiting: Arc<AtomicUsize>,
}

/// Counts a range read ahead in [`ReadAhead::waiting`] until its stream is made.
#[derive(Debug)]
struct Waiting(Arc<AtomicUsize>);

impl Waiting {
    fn new(count: &Arc<AtomicUsize>) -> Waiting {
        count.fetch_add(1, Ordering::Relaxed);
        Waiting(Arc::clone(count))
    }
}

impl Drop for Waiting {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

impl ReadAhead {
    /// Up to `count` ranges of up to `range_bytes` bytes held at once (a range read ahead holds
    /// its buffer until its stream is dropped), read with `options`.
    fn new(count: usize, range_bytes: u64, options: Options) -> ReadAhead {
        let text = text_lines(options);
        // The byte before the range, which tells whether a line starts at its first, too; and
        // at least a stream's buffer, which a record must fit in.
        let size = usize::try_from(range_bytes)
            .unwrap_or(usize::MAX)
            .saturating_add(1 + PAST_END)
            .max(stream::text_buffer(text));
        ReadAhead {
            // Room to place the bytes read where they copy fastest ([`aligned`]).
            buffers: Arc::new(ReadBuffers::new(count, size.saturating_add(CACHE_LINE))),
            size,
            sieve: None,
            waiting: Arc::default(),
        }
    }

    /// [`ReadAhead::new`] reading at most `bytes` ahead, whatever the ranges (tests: less than
    /// a range).
    #[cfg(test)]
    pub(crate) fn reading_at_most(count: usize, bytes: usize) -> ReadAhead {
        let ahead = ReadAhead::new(count, 0, Options::default());
        ReadAhead {
            size: bytes.min(ahead.size),
            ..ahead
        }
    }

    /// Reads bytes `start..end` of `file` (a [`Layout::Lines`] file, as for [`read_range`])
    /// into a free buffer, with the byte before them. `None` when every buffer is in use or
    /// the read fails: [`read_range`] then reads the range (and meets the error again).
    fn read(&self, file: &File, start: u64, end: u64) -> Option<Ahead> {
        let mut buffer = self.buffers.take()?;
        let at = start.saturating_sub(1);
        let want = usize::try_from(end.saturating_sub(at))
            .unwrap_or(usize::MAX)
            .saturating_add(PAST_END)
            .min(self.size);
        let (shift, len) = read_placed(file, &mut buffer.buf, at, want).ok()?;
        let bytes = buffer.buf.get(shift..shift + len)?;
        let lines = lines_ahead(bytes, at, (start, end));
        // Sifted here while the threads that read the ranges have ranges read before this one
        // still to begin (sifting costs them nothing then); otherwise they would wait for it,
        // and the stream sifts the lines itself (`grep`'s) or asks the prefilter of each
        // (`scan`'s).
        let busy = self.waiting.load(Ordering::Relaxed) > 0;
        let sieve = self.sieve.as_ref().filter(|_| busy);
        let sifted = sieve.zip(lines).and_then(|(sieve, (first, take))| {
            let lines = bytes.get(first..take.unwrap_or(len))?;
            let whole = memchr::memrchr(b'\n', lines).map_or(0, |i| i + 1);
            Some(sieve.sift(lines.get(..whole)?, at + first as u64))
        });
        Some(Ahead {
            at,
            shift,
            len,
            buffer,
            lines,
            sifted,
            waiting: Waiting::new(&self.waiting),
        })
    }
}

/// Bytes read ahead past a range's end: the rest of its last line is usually in them, which
/// saves a read of the file for it (a byte order mark at the start, too).
const PAST_END: usize = 4096;

/// Whether reading ranges ahead on one more thread pays with `threads` matching threads: when
/// they leave a core idle, and are few enough for one thread to read for them all (the copy
/// takes about half the time `trailmatch grep` takes to match what it copied, and a fifth of
/// what `scan` takes).
pub fn read_ahead_pays(threads: usize) -> bool {
    const MOST_THREADS: usize = 2;
    threads <= MOST_THREADS
        && std::thread::available_parallelism().is_ok_and(|cores| threads < cores.get())
}

/// Bytes `start..end` of a plain file of lines ([`Layout::Lines`]) for a thread to read
/// ([`Range::stream`]), maybe read ahead already by another ([`Ranges::range`]).
#[derive(Debug)]
pub struct Range {
    /// The file.
    pub file: Arc<File>,
    /// Where the range starts: its first line is the first that starts at or after it.
    pub start: u64,
    /// Where it ends: its last line is the one that holds byte `end - 1`.
    pub end: u64,
    ahead: Option<Ahead>,
}

impl Range {
    /// Whether its bytes were read ahead (and not yet read).
    pub fn is_read_ahead(&self) -> bool {
        self.ahead.is_some()
    }

    /// The range's items, what [`read_range`] gives: read in place from the bytes read ahead
    /// (then from the file for the rest of the range's last line), or from the file.
    pub fn stream(&mut self, name: impl Into<String>, options: Options) -> Stream<'static> {
        let file = Arc::clone(&self.file);
        match self.ahead.take() {
            Some(ahead) => read_range_ahead(name, file, (self.start, self.end), ahead, options),
            None => read_range(name, file, self.start, self.end, options),
        }
    }
}

/// A range read by [`ReadAhead::read`]: `len` bytes of the file from offset `at` in `buffer`,
/// from index `shift` on.
#[derive(Debug)]
struct Ahead {
    at: u64,
    shift: usize,
    len: usize,
    buffer: ReadBuffer,
    /// Where the range's lines are in it ([`lines_ahead`]).
    lines: Option<(usize, Option<usize>)>,
    /// The whole lines of the range in it, sifted ([`Ranges::sifting`]).
    sifted: Option<stream::Sifted>,
    waiting: Waiting,
}

/// [`read_range`] of bytes `start..end` of `file` read ahead.
fn read_range_ahead(
    name: impl Into<String>,
    file: Arc<File>,
    (start, end): (u64, u64),
    ahead: Ahead,
    options: Options,
) -> Stream<'static> {
    let options = text_lines(options);
    let Ahead {
        at,
        shift,
        len,
        buffer,
        lines,
        sifted,
        waiting,
    } = ahead;
    drop(waiting);
    if buffer.buf.len() < stream::text_buffer(options) {
        // Buffers made for smaller records than `options` allows: a stream's buffer would
        // hold more than they do.
        return read_range(name, file, start, end, options);
    }
    let Some((first, take)) = lines else {
        return read_range(name, file, start, end, options);
    };
    let origin = at + first as u64;
    let reader = RangeReader {
        file,
        pos: at + len as u64,
        start: origin,
        end,
        state: RangeState::Read,
    };
    let (take, reader): (usize, Box<dyn Read + Send>) = match take {
        Some(take) => (take, Box::new(io::empty())),
        None => (len, Box::new(reader)),
    };
    let span = (shift + first, shift + take);
    Stream::lines_read_ahead(name.into(), buffer, span, reader, (options, origin), sifted)
}

/// Where the lines of the range `start..end` of a file are in `bytes`, read ahead from its
/// offset `at`: the index of the first line that starts in the range (as `range_reader` finds
/// it), and the end of the last (after its line feed) when `bytes` hold it (the bytes after it
/// are not the range's; without it, the rest of that line is read from the file). `None` when
/// the range is to be read as usual: too little read ahead to tell a byte order mark, or the
/// line that starts before the range goes on to its end or past it (no more is needed to tell,
/// when the range holds no line).
fn lines_ahead(bytes: &[u8], at: u64, (start, end): (u64, u64)) -> Option<(usize, Option<usize>)> {
    let first = if start == 0 {
        usize::from(bytes.get(..BOM.len())? == BOM) * BOM.len()
    } else {
        match memchr::memchr(b'\n', bytes) {
            Some(i) if at + (i as u64) + 1 < end => i + 1,
            _ => return None,
        }
    };
    let last = end.saturating_sub(1).max(at + first as u64);
    Some((first, last_line_end(bytes, at, last)))
}

/// The items of the lines of a file that start at or after byte `start`, to its end, read as
/// [`read_stream`] with [`Options::text_lines`] would read them (a JSON value may span lines)
/// provided that no line before `start` starts a value that goes on past it (no range before
/// ended with [`Stream::needs_stream`]). The first line read is numbered `first_line` (1 + the
/// lines before, as [`Stream::lines_read`] counted them), so that locations are those of
/// reading the file whole.
pub fn read_from(
    name: impl Into<String>,
    file: Arc<File>,
    start: u64,
    first_line: u64,
    options: Options,
) -> Stream<'static> {
    let options = text_lines(options);
    let (reader, origin) = range_reader(file, start, u64::MAX);
    Stream::lines(
        name.into(),
        Box::new(reader),
        options,
        origin,
        false,
        first_line,
    )
}

/// Whether [`read_range`] reads the lines that start in bytes `start..end` of `file` as one
/// stream would: if none of them starts a JSON value that it does not finish, holds a
/// container followed by more or with a syntax error, or starts with `{` and is longer than
/// the record limit, the number of lines the range holds ([`Stream::lines_read`]); `None`
/// otherwise, and [`read_from`] its start reads the rest of the file right. The readers decide
/// this as they read ([`Stream::needs_stream`]); this separate judge is the tests' oracle.
#[cfg(test)]
pub(crate) fn lines_alone(
    file: &Arc<File>,
    start: u64,
    end: u64,
    options: Options,
) -> io::Result<Option<u64>> {
    let options = text_lines(options);
    let (mut reader, _) = range_reader(Arc::clone(file), start, end);
    let mut buf = vec![0u8; stream::text_buffer(options)];
    let mut have = 0;
    let mut lines = 0u64;
    // Inside a line longer than the buffer that is not JSON: skipped to its end.
    let mut skipping = false;
    loop {
        if have == buf.len() {
            let first = buf.iter().find(|&&b| !matches!(b, b' ' | b'\t' | b'\r'));
            if !skipping && first == Some(&b'{') {
                return Ok(None);
            }
            skipping = true;
            have = 0;
        }
        let n = reader.read(buf.get_mut(have..).unwrap_or_default())?;
        have += n;
        let got = buf.get(..have).unwrap_or_default();
        let mut from = 0;
        while let Some(i) = got.get(from..).and_then(|g| memchr::memchr(b'\n', g)) {
            let line = got.get(from..from + i).unwrap_or_default();
            let needs =
                stream::line_needs_stream(line, options) || stream::message_goes_on(line, options);
            if !std::mem::take(&mut skipping) && needs {
                return Ok(None);
            }
            lines += 1;
            from += i + 1;
        }
        if n == 0 {
            let line = got.get(from..).unwrap_or_default();
            if !skipping && stream::line_needs_stream(line, options) {
                return Ok(None);
            }
            return Ok(Some(lines + u64::from(skipping || !line.is_empty())));
        }
        buf.copy_within(from..have, 0);
        have -= from;
    }
}

/// A reader of the lines that start in bytes `start..end` of `file`, and the offset of its
/// first byte (after a byte order mark at the start of the file, which is no part of the first
/// line).
fn range_reader(file: Arc<File>, start: u64, end: u64) -> (RangeReader, u64) {
    let mut bom = [0u8; 3];
    let origin = if start == 0 && read_at_full(&file, &mut bom, 0).ok() == Some(3) && bom == *BOM {
        3
    } else {
        start
    };
    let mut reader = RangeReader {
        file,
        pos: if origin == start {
            start.saturating_sub(1)
        } else {
            origin
        },
        start: origin,
        end,
        state: if origin == start {
            RangeState::Seek
        } else {
            RangeState::Read
        },
    };
    // Byte offsets count from the first line that starts in the range (an error is met again
    // on the first read).
    let origin = match reader.seek() {
        Ok(()) if reader.state == RangeState::Read => reader.pos,
        _ => origin,
    };
    (reader, origin)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum RangeState {
    /// Looking for the first line that starts at or after `start`.
    Seek,
    /// Handing out bytes up to the line feed at or after `end - 1`.
    Read,
    Done,
}

/// The bytes of the lines that start in a byte range of a file, read with positioned reads so
/// that several ranges of one file can be read at once.
struct RangeReader {
    file: Arc<File>,
    pos: u64,
    start: u64,
    end: u64,
    state: RangeState,
}

impl RangeReader {
    /// Finds the first line that starts in the range (state `Read`), or that there is none
    /// (`Done`).
    fn seek(&mut self) -> io::Result<()> {
        loop {
            match self.state {
                RangeState::Done | RangeState::Read => return Ok(()),
                RangeState::Seek if self.start == 0 => self.state = RangeState::Read,
                RangeState::Seek => {
                    // A line starts at `start` when the byte before it is a line feed.
                    let mut chunk = [0u8; 4096];
                    let n = read_at_full(&self.file, &mut chunk, self.pos)?;
                    let chunk = chunk.get(..n).unwrap_or_default();
                    match memchr::memchr(b'\n', chunk) {
                        Some(i) => {
                            self.pos += i as u64 + 1;
                            self.state = if self.pos < self.end {
                                RangeState::Read
                            } else {
                                RangeState::Done
                            };
                        }
                        None if n == 0 => self.state = RangeState::Done,
                        None => {
                            self.pos += n as u64;
                            if self.pos >= self.end {
                                self.state = RangeState::Done;
                            }
                        }
                    }
                }
            }
        }
    }
}

impl Read for RangeReader {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        self.seek()?;
        loop {
            match self.state {
                RangeState::Done => return Ok(0),
                RangeState::Seek => self.seek()?,
                RangeState::Read => {
                    let n = read_at_full(&self.file, out, self.pos)?;
                    if n == 0 {
                        self.state = RangeState::Done;
                        return Ok(0);
                    }
                    let got = out.get(..n).unwrap_or_default();
                    let last = self.end.saturating_sub(1);
                    // The last line is the one holding byte `end - 1`: stop after its line feed.
                    let take = match last_line_end(got, self.pos, last) {
                        Some(take) => {
                            self.state = RangeState::Done;
                            take
                        }
                        None => n,
                    };
                    self.pos += take as u64;
                    return Ok(take);
                }
            }
        }
    }
}

/// How many bytes of `got` (read from offset `pos`) to take when the range's last line, the
/// one holding byte `last`, ends in them: up to and with its line feed.
fn last_line_end(got: &[u8], pos: u64, last: u64) -> Option<usize> {
    if pos + got.len() as u64 <= last {
        return None;
    }
    let from = usize::try_from(last.saturating_sub(pos)).unwrap_or(0);
    let i = memchr::memchr(b'\n', got.get(from..)?)?;
    Some(from + i + 1)
}

#[cfg(test)]
mod tests;
