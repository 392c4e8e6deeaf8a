//! `trailmatch grep`: the events of files, directories or standard input that match filter
//! patterns.
//!
//! Inputs are read by `trailmatch_cloudtrail::logs`, the reader of `scan`, with
//! [`Options::text_lines`](logs::Options::text_lines) (a line that is no JSON record is an event
//! of its text) and the same limits and skip codes; directories are walked by
//! `trailmatch_cloudtrail::walk`.
//!
//! Three kinds of threads: one reader walks the inputs in order and cuts them into numbered
//! batches: ranges of 1 to 4 MiB of a plain file of lines ([`logs::Layout::Lines`]), which the
//! workers read themselves with [`logs::read_range`] (positioned reads, so reading scales with
//! `-j` too) or, when the workers leave a core idle, the reader reads ahead for them
//! ([`logs::Ranges`]: the kernel's copy of the file is then off the workers), or batches of
//! about 256 KiB of the items of one stream it reads (standard input,
//! gzip, CloudTrail log files, subscription payloads); `-j` workers match and render batches; the
//! main thread writes the rendered batches in number order, adding line numbers (workers count
//! lines within their range), so the output does not depend on `-j`. A range with a line that
//! one stream reads otherwise (a JSON value over several lines, a container that is not plainly
//! valid: [`logs::Stream::needs_stream`]) makes the writer read the rest of that file from the
//! range's start as one stream itself and drop the file's later ranges, so that a file gives
//! what its bytes piped in give. A batch may only be read
//! once a slot is free, and a slot is freed when its batch is written: memory is bounded by
//! `2 × threads + 2` batches whatever the input size.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, Read, Write};
use std::num::NonZeroUsize;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::mpsc::{self, Receiver, SyncSender, TryRecvError};
use std::sync::{Arc, Mutex};
use std::thread;

use clap::Args;
use serde::Serialize;
use trailmatch::{EventPatternSet, Extracted, PatternSet};
use trailmatch_cloudtrail::boundary::{terminal, terminal_lines};
use trailmatch_cloudtrail::eventbridge;
use trailmatch_cloudtrail::logs::{self, Item, Layout, Location, Next, Ranges, Sieve, Skip};
use trailmatch_cloudtrail::run::Objects;
use trailmatch_cloudtrail::walk::{Entry, SkipReason, Walk, WalkOptions, io_message};

/// A batch of a stream holds about this many bytes of events (more when one event is longer).
const BATCH_BYTES: usize = 256 * 1024;
/// The ranges of a plain file that workers read themselves take about this much, all slots
/// together ([`range_bytes`]).
const RANGES_BYTES: u64 = 16 * 1024 * 1024;

/// The size of the ranges of a plain file that workers read themselves, with `slots` batches
/// under way: 1 to 4 MiB. Each range is one hand-over between threads (a range of 1 MiB takes
/// about a millisecond to read, and waking a thread is not free: 2.7 MiB read a file 10% faster
/// than 1 MiB at `-j 2`), and a batch holds the output of its range, so the slots together hold
/// about the same whatever `-j` (printing every event of 1 GB: 24 MB peak RSS at `-j 1`, 47 MB at
/// `-j 16`, which runs 8 threads on two cores). Ranges read ahead (`ahead`, [`logs::Ranges`])
/// are of 512 KiB, each in a buffer of its own: the slots' buffers (four at `-j 1`, 2 MiB) then
/// stay in a core's level 2 cache between the thread that reads and sifts a range and the one
/// that matches it, and the sifting is shared between the two more evenly (`-j 1` with the 14 CIS
/// filters: 10% faster with 1 MiB than with 4 MiB, and 6% faster again with 512 KiB on a
/// machine with 2 MiB of level 2 cache a core; 256 KiB was no faster).
fn range_bytes(slots: usize, ahead: bool) -> u64 {
    const MIB: u64 = 1024 * 1024;
    if ahead {
        return MIB / 2;
    }
    (RANGES_BYTES / slots.max(1) as u64).clamp(MIB, 4 * MIB)
}

/// `-j` above this is refused; up to it, the threads are capped at 4 per core.
pub const MAX_THREADS: usize = 256;

#[derive(Debug, Args)]
#[command(after_help = GREP_HELP)]
pub struct GrepArgs {
    /// A filter pattern, then the paths to search (none, or `-`: standard input; or s3://
    /// URLs). With -e or -f, every positional argument is a path.
    #[arg(value_name = "PATTERN] [PATH")]
    args: Vec<String>,
    /// A pattern to search for (repeatable; for patterns that start with `-`).
    #[arg(
        short = 'e',
        long = "pattern",
        value_name = "PATTERN",
        allow_hyphen_values = true
    )]
    patterns: Vec<String>,
    /// Read patterns from FILE, one per line (`-`: standard input; repeatable). Blank lines and
    /// lines whose first non-blank character is `#` are skipped (write a term that starts with
    /// `#` quoted: "#x"); a trailing `\r` is removed; nothing else is trimmed. The format of
    /// `lint` pattern lists.
    #[arg(short = 'f', long = "file", value_name = "FILE")]
    files: Vec<String>,
    /// Print, for each pattern in the order given (the -e patterns, then those of the -f files),
    /// `COUNT<TAB>PATTERN`: the number of events it matches in all the inputs (with -v, the
    /// number it does not match).
    #[arg(short = 'c', long, conflicts_with_all = ["files_with_matches", "json"])]
    count: bool,
    /// Select the events that match none of the patterns.
    #[arg(short = 'v', long)]
    invert_match: bool,
    /// Print only the names of the inputs with a selected event (`<stdin>` for standard input).
    #[arg(short = 'l', long, conflicts_with = "json")]
    files_with_matches: bool,
    /// Print one JSON object per selected event (see below).
    #[arg(long)]
    json: bool,
    /// Prefix each event with its line number (its record number in a Records file).
    #[arg(short = 'n', long)]
    line_number: bool,
    /// Prefix each event with its input's name (the default with more than one input, a
    /// directory or an s3:// URL).
    #[arg(short = 'H', long, overrides_with = "no_filename")]
    with_filename: bool,
    /// Never prefix events with their input's name.
    #[arg(short = 'I', long, overrides_with = "with_filename")]
    no_filename: bool,
    /// Number of matching threads (default: the number of available cores; at most 256, and
    /// no more than 4 per core are started). With one or two and more cores, the thread that
    /// walks the inputs reads files of lines ahead for them, and sifts the lines it reads while
    /// they are busy: `-j 1` then keeps two cores busy (`taskset -c 0` keeps it to one).
    #[arg(short = 'j', long, value_name = "N")]
    threads: Option<NonZeroUsize>,
    /// Follow symbolic links met inside directories (those named as PATH always are).
    #[arg(short = 'L', long)]
    follow: bool,
    /// The patterns are EventBridge event patterns (JSON; with -f, one per line), not filter
    /// patterns.
    #[arg(long)]
    eventbridge: bool,
    /// With --eventbridge: match each event as EventBridge delivers it: `cloudtrail` wraps each
    /// CloudTrail record in the envelope of an `AWS API Call via CloudTrail` (or sign-in,
    /// service, console or Insight) event (`source`, `detail-type`, `account`, `time`,
    /// `region`, and the record as `detail`); a record that cannot be wrapped (not an object,
    /// no eventSource, ...) matches no pattern. Printed events stay the records.
    #[arg(long, value_name = "KIND", requires = "eventbridge")]
    envelope: Option<Envelope>,
}

/// What `--envelope` wraps events in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Envelope {
    /// CloudTrail records as EventBridge delivers them.
    Cloudtrail,
}

/// The patterns events are matched against.
#[derive(Debug)]
enum Rules {
    /// CloudWatch Logs filter patterns.
    Filters(Box<PatternSet>),
    /// EventBridge event patterns, perhaps over the events' envelope.
    Events {
        set: Box<EventPatternSet>,
        envelope: Option<Envelope>,
    },
}

impl Rules {
    fn len(&self) -> usize {
        match self {
            Rules::Filters(set) => set.len(),
            Rules::Events { set, .. } => set.len(),
        }
    }

    /// The event as the event patterns see it, `None` when it cannot be wrapped.
    fn event_text<'e>(envelope: Option<Envelope>, event: &'e str) -> Option<Cow<'e, str>> {
        match envelope {
            None => Some(Cow::Borrowed(event)),
            Some(Envelope::Cloudtrail) => eventbridge::wrap(event).ok().map(Cow::Owned),
        }
    }

    /// The patterns that match, in order, into `out` (cleared first). `reported`: the event is
    /// a line the sieve wanted (the set's prefilter has looked at it already; the answer is the
    /// same either way).
    fn matches_into(&self, event: &str, reported: bool, out: &mut Vec<usize>) {
        match self {
            Rules::Filters(set) if reported => set.matches_reported_into(event, out),
            Rules::Filters(set) => set.matches_into(event, out),
            Rules::Events {
                set,
                envelope: None,
            } if reported => set.matches_reported_into(event, out),
            Rules::Events { set, envelope } => match Rules::event_text(*envelope, event) {
                Some(text) => set.matches_into(&text, out),
                None => out.clear(),
            },
        }
    }

    fn is_match(&self, event: &str, reported: bool) -> bool {
        match self {
            Rules::Filters(set) if reported => set.is_match_reported(event),
            Rules::Filters(set) => set.is_match(event),
            Rules::Events {
                set,
                envelope: None,
            } if reported => set.is_match_reported(event),
            Rules::Events { set, envelope } => {
                Rules::event_text(*envelope, event).is_some_and(|text| set.is_match(&text))
            }
        }
    }

    /// The patterns that match with their extracted values (none for event patterns).
    fn test(&self, event: &str, reported: bool) -> Vec<(usize, Extracted)> {
        match self {
            Rules::Filters(set) if reported => set.test_reported(event),
            Rules::Filters(set) => set.test(event),
            Rules::Events { .. } => {
                let mut matching = Vec::new();
                self.matches_into(event, reported, &mut matching);
                matching
                    .into_iter()
                    .map(|i| (i, Extracted::default()))
                    .collect()
            }
        }
    }
}

const GREP_HELP: &str = "\
Inputs:
  Each PATH is a file or a directory (searched recursively, entries in name order; only regular
  files are read: FIFOs, sockets and devices met in a directory are reported and skipped, and
  symbolic links inside directories are not followed without --follow). Files are read as `scan`
  reads them, with the same limits: CloudTrail log files ({\"Records\": [...]}: each record is an
  event, printed compact, that is with the blanks between JSON tokens removed), CloudWatch Logs
  subscription payloads (gzip, base64, {\"awslogs\": {\"data\": ...}}: each log event's message,
  printed compact when it is a JSON object and as it is otherwise),
  `aws logs filter-log-events` / `get-log-events` output, CloudWatch Logs exports (the message
  after the timestamp), and lines: each line is an event, a JSON object or any text (Apache,
  VPC flow logs, ...), printed as written (a line that is one JSON object: the object, without
  the blanks around it); gzip is recognised by its first bytes, whatever the name. Blank lines
  are not events. A line longer than 256 KiB (the CloudWatch Logs event limit scan uses), a line
  that is not UTF-8, bad gzip data, malformed JSON containers and bad records in a container are
  reported with their skip code and skipped. A file gives what its bytes piped in give: a plain
  file of lines is read in parallel ranges, and from the first range with a line that starts a
  JSON value it does not finish (a pretty-printed document, a line cut short) or holds a
  container that is not plainly valid on its line, the rest of the file is read as one stream
  on one thread. Memory stays bounded (a few batches of 256 KiB to 4 MiB per thread) whatever the
  size of the input.

  s3://BUCKET/PREFIX names the objects of a bucket as a path names files: the object PREFIX
  and those under PREFIX/, in the order a walk of the same tree on disk reads them (the AWS
  SDK's standard credentials and Region; AWS_ENDPOINT_URL or AWS_ENDPOINT_URL_S3 for a local
  endpoint). Each object is streamed, fetched a few ahead; one that cannot be fetched is
  reported (unreadable) and the search goes on. A bucket that cannot be listed, or a prefix
  with no object, is an error before any output. URLs are searched alone, without local paths
  or standard input; their events are prefixed with s3://BUCKET/KEY, as a directory's are.

Output:
  The selected events, one per line, prefixed with the input's name and `:` when there is more
  than one input (a directory or an s3:// URL counts as many). With --json, one object per
  selected event:
    {\"path\": \"logs/a.json.gz\", \"record\": 7, \"event\": \"<the event text>\",
     \"patterns\": [{\"index\": 0, \"pattern\": \"<text>\", \"extractedValues\": {...}}]}
  `line` (1-based line number) replaces `record` (1-based position in its Records or logEvents
  array) for events read from lines; `patterns` lists the matching patterns (0-based index in
  the order given) with the values they extract (an empty list with -v).

Errors:
  Unreadable inputs and skipped input are reported on standard error as
  `trailmatch: PATH:LINE: what [code]` (or `PATH, record N: …`; control characters in names,
  messages and patterns echoed are written as \\u{1b} and the like, events as they are), with the
  codes of `scan` (invalid-utf8, record-too-large, truncated-gzip, invalid-json, not-a-file,
  ...), and the search goes on.

Exit status: 0 if an event was selected (with -c: if a count is not 0), 1 if none, 2 on an
invalid pattern or any error (even if events were selected).

Examples:
  trailmatch grep '{ $.errorCode = \"AccessDenied*\" }' cloudtrail/
  trailmatch grep -c -f cis-patterns.txt AWSLogs/ 
  zcat events.gz | trailmatch grep --json '[version, account, eni, src, dst, port = 22, ...]'
  trailmatch grep --eventbridge --envelope cloudtrail -c \\
      '{\"source\": [\"aws.signin\"], \"detail\": {\"eventName\": [\"ConsoleLogin\"]}}' AWSLogs/";

/// How each event is looked at and what is written for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Events,
    Count,
    Files,
    Json,
}

#[derive(Debug)]
struct Settings {
    set: Rules,
    texts: Vec<String>,
    mode: Mode,
    invert: bool,
    line_number: bool,
    /// Prefix events with the input's name.
    names: bool,
    /// Finds the lines of a file that may hold a selected event (none with `-v`, where every
    /// line that matches nothing is selected).
    sieve: Option<Sieve>,
}

/// Runs `trailmatch grep` and gives its exit status.
pub fn run(args: GrepArgs) -> ExitCode {
    match search(args) {
        Ok(status) => status,
        Err(message) => {
            let _ = writeln!(io::stderr().lock(), "{}", terminal_lines(&message));
            ExitCode::from(2)
        }
    }
}

fn search(args: GrepArgs) -> Result<ExitCode, String> {
    let (texts, origins, paths) = patterns(&args)?;
    let set = if args.eventbridge {
        let set = EventPatternSet::new(&texts).map_err(|e| match e.index {
            Some(i) => format!("error: invalid pattern {}:\n{}", origins[i], e.error),
            None => format!("error: invalid patterns:\n{}", e.error),
        })?;
        Rules::Events {
            set: Box::new(set),
            envelope: args.envelope,
        }
    } else {
        Rules::Filters(Box::new(PatternSet::new(&texts).map_err(
            |e| match e.index {
                Some(i) => format!("error: invalid pattern {}:\n{}", origins[i], e.error),
                None => format!("error: invalid patterns:\n{}", e.error),
            },
        )?))
    };
    if args.files.iter().any(|f| f == "-") && (paths.is_empty() || paths.iter().any(|p| p == "-")) {
        return Err(
            "error: standard input cannot hold both patterns (-f -) and events; give \
                    the paths to search"
                .to_owned(),
        );
    }
    let (urls, locals) =
        crate::s3::split_urls(&paths, |p| Some(p.as_str())).map_err(|e| format!("error: {e}"))?;
    if !urls.is_empty() && !locals.is_empty() {
        return Err(
            "error: s3:// URLs are searched alone: not with local paths or standard input"
                .to_owned(),
        );
    }
    let threads = threads(args.threads)?;
    let mode = if args.count {
        Mode::Count
    } else if args.files_with_matches {
        Mode::Files
    } else if args.json {
        Mode::Json
    } else {
        Mode::Events
    };
    let names = if args.no_filename {
        false
    } else if args.with_filename {
        true
    } else {
        // A URL names a prefix, which may hold many objects, as a directory does.
        paths.len() > 1 || !urls.is_empty() || paths.iter().any(|p| Path::new(p).is_dir())
    };
    let sieve = match &set {
        _ if args.invert_match => None,
        Rules::Filters(set) => Sieve::new(set),
        Rules::Events {
            set,
            envelope: None,
        } => Sieve::for_event_patterns(set),
        // The envelope holds text the record does not (`"source":"aws.s3"`).
        Rules::Events { .. } => None,
    };
    let settings = Settings {
        set,
        sieve,
        texts,
        mode,
        invert: args.invert_match,
        line_number: args.line_number,
        names,
    };
    let walk = WalkOptions {
        follow: args.follow,
        ..WalkOptions::default()
    };
    // A bucket that cannot be listed is an error before anything is printed.
    let inputs = if urls.is_empty() {
        Inputs::Paths(&paths, walk)
    } else {
        Inputs::Objects(crate::s3::open(urls, None).map_err(|e| format!("error: {e}"))?)
    };
    let status = pipeline(&settings, inputs, threads);
    // The process ends once this returns, and the system takes the compiled patterns' memory back
    // at once: freeing it one allocation at a time took a fifth of a run with 100,000 patterns.
    std::mem::forget(settings);
    Ok(status)
}

/// The number of worker threads: `-j` (at most [`MAX_THREADS`]) or the number of cores, and
/// never more than 4 per core.
fn threads(asked: Option<NonZeroUsize>) -> Result<usize, String> {
    if let Some(n) = asked.filter(|n| n.get() > MAX_THREADS) {
        return Err(format!(
            "error: -j {n}: at most {MAX_THREADS} threads (more than 4 per core are never started)"
        ));
    }
    let cores = thread::available_parallelism().map_or(1, NonZeroUsize::get);
    Ok(asked.map_or(cores, NonZeroUsize::get).min(4 * cores).max(1))
}

/// The patterns, where each came from (for errors), and the paths.
type Patterns<'a> = (Vec<String>, Vec<Origin<'a>>, Vec<String>);

/// Where a pattern came from, as an error names it (made into text only for an error: a file
/// of 100,000 patterns gives as many origins).
#[derive(Clone, Copy, Debug)]
enum Origin<'a> {
    /// The first positional argument.
    Argument,
    /// The `n`th `-e` (from 1).
    Flag(usize),
    /// Line `n` of a `-f` file.
    Line { n: usize, file: &'a str },
}

impl std::fmt::Display for Origin<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Origin::Argument => f.write_str("PATTERN"),
            Origin::Flag(n) => write!(f, "-e #{n}"),
            Origin::Line { n, file } => write!(f, "on line {n} of {file}"),
        }
    }
}

fn patterns(args: &GrepArgs) -> Result<Patterns<'_>, String> {
    let mut texts = Vec::new();
    let mut origins = Vec::new();
    let mut paths = args.args.clone();
    if args.patterns.is_empty() && args.files.is_empty() {
        if paths.is_empty() {
            return Err("error: give a PATTERN, -e PATTERN or -f FILE (see --help)".to_owned());
        }
        texts.push(paths.remove(0));
        origins.push(Origin::Argument);
    }
    for (i, p) in args.patterns.iter().enumerate() {
        texts.push(p.clone());
        origins.push(Origin::Flag(i + 1));
    }
    for file in &args.files {
        let bytes = if file == "-" {
            let mut bytes = Vec::new();
            io::stdin()
                .read_to_end(&mut bytes)
                .map(|_| bytes)
                .map_err(|e| e.to_string())
        } else {
            std::fs::read(file).map_err(|e| io_message(&e))
        }
        .map_err(|e| format!("error: cannot read {file}: {e}"))?;
        let text = String::from_utf8(bytes)
            .map_err(|_| format!("error: the pattern file {file} is not UTF-8"))?;
        for (n, line) in trailmatch_cloudtrail::iac::patterns::lines(&text) {
            texts.push(line.to_owned());
            origins.push(Origin::Line { n, file });
        }
    }
    Ok((texts, origins, paths))
}

/// The options every input is read with: `scan`'s, and lines of text are events.
fn read_options() -> logs::Options {
    logs::Options {
        text_lines: true,
        ..logs::Options::default()
    }
}

/// The events of a batch.
enum Body {
    /// Events of one stream, in order, their texts one after another in `text` (so that the
    /// reader allocates once per batch), and what was skipped among them; positions are
    /// absolute.
    Events {
        text: String,
        events: Vec<Event>,
        skips: Vec<Skip>,
    },
    /// A range of a plain file of lines, for a worker to read; line numbers are relative to
    /// the range.
    Range(logs::Range),
    /// A problem with the input, already worded with its path.
    Error(String),
}

/// One event of [`Body::Events`]: its text ends at `end`; its line, or its position in its
/// array.
struct Event {
    end: usize,
    line: Option<u64>,
    record: u64,
    /// Text, not a JSON object (printed as it is).
    text: bool,
}

/// The consumer of batches went away (output closed): stop reading.
#[derive(Debug)]
struct Closed;

/// A numbered batch of one input.
struct Batch {
    seq: u64,
    /// Number of the input, in reading order.
    input_no: u64,
    label: Arc<str>,
    body: Body,
}

/// What a worker made of a batch.
struct Done {
    seq: u64,
    input_no: u64,
    label: Arc<str>,
    /// Rendered output.
    out: Vec<u8>,
    /// Where line numbers go in `out`: (byte position, line number within the batches of this
    /// input from this one on, 1-based). The writer adds the lines of the batches before.
    fixups: Vec<(usize, u64)>,
    /// Problems found, already worded; a line number goes at the position given, as in
    /// `fixups`.
    errors: Vec<(String, Option<(usize, u64)>)>,
    /// Number of lines of the input this batch covers (ranges only).
    lines: u64,
    /// Number of events, and per pattern the number matched (only for -c).
    events: u64,
    counts: Vec<u64>,
    /// The patterns the last event matched (only for -c; kept from one event to the next).
    answer: Vec<usize>,
    /// Whether an event was selected.
    selected: bool,
    /// A range with a line that one stream reads otherwise ([`logs::Stream::needs_stream`]):
    /// the file and the range's start, from which the writer reads the rest of the file as
    /// one stream instead (this batch's output and the later batches of the file are dropped).
    fallback: Option<(Arc<File>, u64)>,
}

/// What grep reads: paths (files, directories, `-`; none for standard input), or the objects
/// of s3:// URLs.
enum Inputs<'a> {
    Paths(&'a [String], WalkOptions),
    Objects(Objects),
}

fn pipeline(settings: &Settings, inputs: Inputs<'_>, threads: usize) -> ExitCode {
    let slots = 2 * threads + 2;
    let (work_tx, work_rx) = mpsc::sync_channel::<Batch>(slots);
    let (done_tx, done_rx) = mpsc::sync_channel::<Done>(slots);
    let (slot_tx, slot_rx) = mpsc::sync_channel::<()>(slots);
    for _ in 0..slots {
        let _ = slot_tx.send(());
    }
    let work_rx = Mutex::new(work_rx);
    thread::scope(|scope| {
        // Read ahead when that pays, into a buffer for each slot.
        let ahead = logs::read_ahead_pays(threads);
        let ranges = Ranges::new(range_bytes(slots, ahead), slots, ahead, read_options())
            .sifting(settings.sieve.clone());
        scope.spawn(move || produce(inputs, &ranges, slot_rx, work_tx));
        for _ in 0..threads {
            let done_tx = done_tx.clone();
            let work_rx = &work_rx;
            scope.spawn(move || logs::serve(work_rx, &done_tx, |batch| process(settings, batch)));
        }
        drop(done_tx);
        let status = write(settings, done_rx, &slot_tx);
        // Writing stopped (output closed or all done): unblock the reader if it waits for a slot.
        drop(slot_tx);
        status
    })
}

/// Hands numbered batches to the workers, one free slot each.
struct Sender {
    seq: u64,
    slots: Receiver<()>,
    work: SyncSender<Batch>,
}

impl Sender {
    /// Sends the body `body` makes once a slot is free.
    fn send(
        &mut self,
        input_no: u64,
        label: &Arc<str>,
        body: impl FnOnce() -> Body,
    ) -> Result<(), Closed> {
        self.slots.recv().map_err(|_| Closed)?;
        self.work
            .send(Batch {
                seq: self.seq,
                input_no,
                label: Arc::clone(label),
                body: body(),
            })
            .map_err(|_| Closed)?;
        self.seq += 1;
        Ok(())
    }
}

/// The items of a stream being gathered into a batch.
struct Pending {
    sender: Sender,
    input_no: u64,
    label: Arc<str>,
    text: String,
    events: Vec<Event>,
    skips: Vec<Skip>,
}

impl Pending {
    fn push(&mut self, item: Item) -> Result<(), Closed> {
        match item {
            Item::Record(record) => {
                self.text.push_str(&record.json);
                self.events.push(Event {
                    end: self.text.len(),
                    line: record.location.line,
                    record: record.location.record.unwrap_or(0),
                    text: record.text,
                });
            }
            Item::Skipped(skip) => self.skips.push(skip),
        }
        if self.text.len() >= BATCH_BYTES || self.skips.len() >= 1024 {
            self.flush()?;
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<(), Closed> {
        if self.events.is_empty() && self.skips.is_empty() {
            return Ok(());
        }
        let body = Body::Events {
            text: std::mem::replace(&mut self.text, String::with_capacity(BATCH_BYTES + 4096)),
            events: std::mem::take(&mut self.events),
            skips: std::mem::take(&mut self.skips),
        };
        let label = Arc::clone(&self.label);
        self.sender.send(self.input_no, &label, || body)
    }

    /// Sends what was gathered, then the body `body` makes.
    fn send(&mut self, body: impl FnOnce() -> Body) -> Result<(), Closed> {
        self.flush()?;
        let label = Arc::clone(&self.label);
        self.sender.send(self.input_no, &label, body)
    }
}

/// Standard input, which may be a live stream: before a read that may wait (the one after a
/// short read), what was read so far is handed over.
struct Live {
    pending: Arc<Mutex<Pending>>,
    short: bool,
}

impl Read for Live {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.short {
            if let Ok(mut pending) = self.pending.lock() {
                let _ = pending.flush();
            }
        }
        let n = io::stdin().lock().read(buf)?;
        self.short = n < buf.len();
        Ok(n)
    }
}

fn produce(inputs: Inputs<'_>, ranges: &Ranges, slots: Receiver<()>, work: SyncSender<Batch>) {
    let pending = Arc::new(Mutex::new(Pending {
        sender: Sender {
            seq: 0,
            slots,
            work,
        },
        input_no: 0,
        label: Arc::from(""),
        text: String::new(),
        events: Vec::new(),
        skips: Vec::new(),
    }));
    // What is left is handed over, unless the matching threads stopped (`Closed`).
    if read_inputs(&pending, inputs, ranges).is_ok() {
        if let Ok(mut pending) = pending.lock() {
            let _ = pending.flush();
        }
    }
}

/// Reads every input in order into `pending`, which hands it over as it fills.
fn read_inputs(
    pending: &Arc<Mutex<Pending>>,
    inputs: Inputs<'_>,
    ranges: &Ranges,
) -> Result<(), Closed> {
    let (paths, walk) = match inputs {
        Inputs::Paths(paths, walk) => (paths, walk),
        Inputs::Objects(objects) => {
            for (input_no, (name, body)) in (1..).zip(objects) {
                read_object(pending, input_no, name, body)?;
            }
            return Ok(());
        }
    };
    let stdin = [String::from("-")];
    let paths = if paths.is_empty() { &stdin[..] } else { paths };
    let mut inputs = 0u64;
    for path in paths {
        if path == "-" {
            inputs += 1;
            start_input(pending, inputs, "<stdin>")?;
            let live = Live {
                pending: Arc::clone(pending),
                short: false,
            };
            let stream = logs::read_stream("", live, read_options());
            stream
                .into_iter()
                .try_for_each(|item| pending.lock().map_err(|_| Closed)?.push(item))?;
            continue;
        }
        for entry in Walk::new(vec![PathBuf::from(path)], walk.clone()) {
            inputs += 1;
            match entry {
                Entry::File(file) => read_file(pending, inputs, file, ranges)?,
                Entry::Skipped {
                    message, reason, ..
                } => {
                    start_input(pending, inputs, "")?;
                    let code = match reason {
                        SkipReason::NotAFile => "not-a-file",
                        _ => "unreadable",
                    };
                    let mut pending = pending.lock().map_err(|_| Closed)?;
                    pending.send(|| Body::Error(format!("{message} [{code}]")))?;
                }
            }
        }
    }
    Ok(())
}

/// Hands over what is left of the input before and starts input `input_no`.
fn start_input(pending: &Mutex<Pending>, input_no: u64, label: &str) -> Result<(), Closed> {
    let mut pending = pending.lock().map_err(|_| Closed)?;
    pending.flush()?;
    pending.input_no = input_no;
    pending.label = Arc::from(label);
    Ok(())
}

fn read_file(
    pending: &Mutex<Pending>,
    input_no: u64,
    path: PathBuf,
    ranges: &Ranges,
) -> Result<(), Closed> {
    let label = path.display().to_string();
    start_input(pending, input_no, &label)?;
    let opened = File::open(&path).and_then(|file| {
        let layout = logs::layout(&file, read_options())?;
        Ok((file, layout))
    });
    match opened {
        Err(e) => {
            let mut pending = pending.lock().map_err(|_| Closed)?;
            pending.send(|| Body::Error(format!("{label}: {} [unreadable]", io_message(&e))))
        }
        Ok((file, Layout::Lines { len })) => {
            let file = Arc::new(file);
            let mut pending = pending.lock().map_err(|_| Closed)?;
            ranges.spans(len).try_for_each(|(start, end)| {
                pending.send(|| Body::Range(ranges.range(&file, start, end)))
            })
        }
        Ok((file, Layout::Whole)) => {
            // No one else takes the lock meanwhile (only standard input's reader does).
            let mut pending = pending.lock().map_err(|_| Closed)?;
            logs::read_stream("", file, read_options()).try_for_each(|item| pending.push(item))
        }
    }
}

/// Reads the object `name` of a bucket as input `input_no`: its body as a stream, or the skip
/// of an object that could not be fetched, as `scan` counts it.
fn read_object(
    pending: &Mutex<Pending>,
    input_no: u64,
    name: String,
    body: io::Result<Box<dyn Read + Send>>,
) -> Result<(), Closed> {
    start_input(pending, input_no, &name)?;
    let mut pending = pending.lock().map_err(|_| Closed)?;
    // A stream is named "" as the other inputs are (its events are placed by the input's
    // label); the skip of an object that could not be fetched names it.
    let name = if body.is_ok() { String::new() } else { name };
    logs::read_opened(name, body, read_options()).try_for_each(|item| pending.push(item))
}

/// Where an event is in its input: a line relative to the batch (see [`Done::fixups`]), or an
/// absolute line or record number.
#[derive(Clone, Copy)]
enum Position {
    RelativeLine(u64),
    Line(u64),
    Record(u64),
}

/// Nothing done yet for batch `seq` of input `input_no`.
fn new_done(settings: &Settings, seq: u64, input_no: u64, label: &Arc<str>) -> Done {
    Done {
        seq,
        input_no,
        label: Arc::clone(label),
        out: Vec::new(),
        fixups: Vec::new(),
        errors: Vec::new(),
        lines: 0,
        events: 0,
        counts: if settings.mode == Mode::Count {
            vec![0; settings.set.len()]
        } else {
            Vec::new()
        },
        selected: false,
        answer: Vec::new(),
        fallback: None,
    }
}

fn process(settings: &Settings, batch: Batch) -> Done {
    let mut done = new_done(settings, batch.seq, batch.input_no, &batch.label);
    let mut compact = String::new();
    match batch.body {
        Body::Error(message) => done.errors.push((message, None)),
        Body::Events {
            text,
            events,
            skips,
        } => {
            for skip in &skips {
                skipped(&mut done, skip, false);
            }
            let mut start = 0;
            for event in events {
                let json = text.get(start..event.end).unwrap_or_default();
                start = event.end;
                let at = (event.line, event.record);
                record_found(
                    settings,
                    &mut done,
                    at,
                    json,
                    event.text,
                    false,
                    &mut compact,
                );
            }
        }
        Body::Range(mut range) => {
            let mut stream = range.stream("", read_options());
            let sieve = settings.sieve.as_ref();
            while let Some(next) = match sieve {
                Some(sieve) => stream.next_sifted(sieve),
                None => stream.next_ref(),
            } {
                match next {
                    // A line that is one record, read in place.
                    Next::Line(r) => {
                        let position = Position::RelativeLine(r.line);
                        event_found(settings, &mut done, position, r.json, sieve.is_some());
                    }
                    Next::Item(item) => item_found(settings, &mut done, item, true, &mut compact),
                }
            }
            done.lines = stream.lines_read();
            // The events of the lines passed over, which match no pattern.
            done.events += stream.passed();
            if stream.needs_stream() {
                done.fallback = Some((range.file, range.start));
            }
        }
    }
    done
}

/// One item of a stream or range (`relative`: line numbers count from the range's start).
fn item_found(
    settings: &Settings,
    done: &mut Done,
    item: Item,
    relative: bool,
    compact: &mut String,
) {
    match item {
        Item::Record(record) => {
            let location = &record.location;
            let number = location.record.unwrap_or(0);
            let (at, json) = ((location.line, number), &record.json);
            record_found(settings, done, at, json, record.text, relative, compact);
        }
        Item::Skipped(skip) => skipped(done, &skip, relative),
    }
}

/// One record, at its line or else its position in its array: on a line (printed as read), of
/// text (a log event's message, printed as it is) or of a JSON document (printed compact).
fn record_found(
    settings: &Settings,
    done: &mut Done,
    (line, record): (Option<u64>, u64),
    json: &str,
    text: bool,
    relative: bool,
    compact: &mut String,
) {
    match line {
        None if text => event_found(settings, done, Position::Record(record), json, false),
        Some(line) => {
            let position = if relative {
                Position::RelativeLine(line)
            } else {
                Position::Line(line)
            };
            event_found(settings, done, position, json, false);
        }
        None => {
            compact.clear();
            compact_into(json, compact);
            event_found(settings, done, Position::Record(record), compact, false);
        }
    }
}

/// Reports a skip as `LABEL:LINE: message [code]` (or `, record N`, `, byte N`).
fn skipped(done: &mut Done, skip: &Skip, relative: bool) {
    let label = &done.label;
    let after = format!(": {} [{}]", skip.message, skip.kind.code());
    let Location {
        line, record, byte, ..
    } = skip.location;
    match (line, record, byte) {
        (Some(line), _, _) if relative => {
            let before = format!("{label}:");
            let at = before.len();
            done.errors
                .push((format!("{before}{after}"), Some((at, line))));
        }
        (Some(line), _, _) => done.errors.push((format!("{label}:{line}{after}"), None)),
        (None, Some(n), _) => done
            .errors
            .push((format!("{label}, record {n}{after}"), None)),
        (None, None, Some(b)) => done
            .errors
            .push((format!("{label}, byte {b}{after}"), None)),
        (None, None, None) => done.errors.push((format!("{label}{after}"), None)),
    }
}

/// Appends `json` without the blanks between its tokens (keys, escapes and numbers as written).
fn compact_into(json: &str, out: &mut String) {
    let bytes = json.as_bytes();
    let mut in_string = false;
    let mut escaped = false;
    let mut from = 0;
    for (i, &b) in bytes.iter().enumerate() {
        if in_string {
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_string = false;
            }
        } else if b == b'"' {
            in_string = true;
        } else if matches!(b, b' ' | b'\t' | b'\r' | b'\n') {
            out.push_str(&json[from..i]);
            from = i + 1;
        }
    }
    out.push_str(&json[from..]);
}

#[derive(Serialize)]
struct JsonPattern<'a> {
    index: usize,
    pattern: &'a str,
    #[serde(rename = "extractedValues")]
    extracted_values: Extracted,
}

/// Writes the position of an event: a record number as is, a line number as a fixup.
fn position_into(done: &mut Done, position: Position) {
    match position {
        Position::RelativeLine(n) => done.fixups.push((done.out.len(), n)),
        Position::Line(n) | Position::Record(n) => {
            done.out.extend_from_slice(n.to_string().as_bytes());
        }
    }
}

/// `reported`: the event is a line the sieve wanted.
fn event_found(
    settings: &Settings,
    done: &mut Done,
    position: Position,
    event: &str,
    reported: bool,
) {
    done.events += 1;
    let set = &settings.set;
    match settings.mode {
        Mode::Count => {
            set.matches_into(event, reported, &mut done.answer);
            for &i in &done.answer {
                done.counts[i] += 1;
            }
        }
        Mode::Files => {
            if !done.selected && set.is_match(event, reported) != settings.invert {
                done.selected = true;
            }
        }
        Mode::Events => {
            if set.is_match(event, reported) != settings.invert {
                done.selected = true;
                if settings.names {
                    done.out.extend_from_slice(terminal(&done.label).as_bytes());
                    done.out.push(b':');
                }
                if settings.line_number {
                    position_into(done, position);
                    done.out.push(b':');
                }
                done.out.extend_from_slice(event.as_bytes());
                done.out.push(b'\n');
            }
        }
        Mode::Json => {
            let matched = set.test(event, reported);
            if matched.is_empty() == settings.invert {
                done.selected = true;
                let patterns: Vec<JsonPattern<'_>> = matched
                    .into_iter()
                    .map(|(index, extracted_values)| JsonPattern {
                        index,
                        pattern: &settings.texts[index],
                        extracted_values,
                    })
                    .collect();
                // {"path":…,"line":N,"event":…,"patterns":[…]}, written by hand around the
                // line number; writing JSON to a Vec cannot fail.
                let out = &mut done.out;
                out.extend_from_slice(b"{\"path\":");
                let _ = serde_json::to_writer(&mut *out, &*done.label);
                out.extend_from_slice(match position {
                    Position::Line(_) | Position::RelativeLine(_) => b",\"line\":",
                    Position::Record(_) => b",\"record\":",
                });
                position_into(done, position);
                let out = &mut done.out;
                out.extend_from_slice(b",\"event\":");
                let _ = serde_json::to_writer(&mut *out, event);
                out.extend_from_slice(b",\"patterns\":");
                let _ = serde_json::to_writer(&mut *out, &patterns);
                out.extend_from_slice(b"}\n");
            }
        }
    }
}

/// Writes `text` with `base + n` inserted at each fixup `(position, n)`.
fn write_fixed(
    out: &mut impl Write,
    text: &[u8],
    fixups: &[(usize, u64)],
    base: u64,
) -> io::Result<()> {
    let mut from = 0;
    for &(at, n) in fixups {
        out.write_all(&text[from..at])?;
        write!(out, "{}", base + n)?;
        from = at;
    }
    out.write_all(&text[from..])
}

/// What the writer has written and seen so far.
struct Written<'a, W: Write> {
    settings: &'a Settings,
    out: W,
    selected: bool,
    errors: bool,
    events: u64,
    counts: Vec<u64>,
    /// The last input whose name -l printed.
    listed: u64,
    /// The input being written, and its lines in the batches written so far.
    current: u64,
    base: u64,
}

impl<W: Write> Written<'_, W> {
    /// Writes one batch's output and messages, and counts its events.
    fn put(&mut self, d: Done) -> io::Result<()> {
        if d.input_no != self.current {
            self.current = d.input_no;
            self.base = 0;
        }
        if !d.errors.is_empty() {
            self.errors = true;
            // Keep the output written so far ahead of the message.
            self.out.flush()?;
            // Messages hold file names and input text: escaped for the terminal.
            let mut stderr = io::stderr().lock();
            for (message, fixup) in &d.errors {
                let _ = match fixup {
                    Some((at, line)) => writeln!(
                        stderr,
                        "trailmatch: {}{}{}",
                        terminal(message.get(..*at).unwrap_or_default()),
                        self.base + line,
                        terminal(message.get(*at..).unwrap_or_default())
                    ),
                    None => writeln!(stderr, "trailmatch: {}", terminal(message)),
                };
            }
        }
        self.events += d.events;
        for (total, n) in self.counts.iter_mut().zip(&d.counts) {
            *total += n;
        }
        self.selected |= d.selected;
        match self.settings.mode {
            Mode::Files if d.selected && self.listed != d.input_no => {
                self.listed = d.input_no;
                writeln!(self.out, "{}", terminal(&d.label))?;
            }
            _ => write_fixed(&mut self.out, &d.out, &d.fixups, self.base)?,
        }
        self.base += d.lines;
        Ok(())
    }

    /// Reads and writes the rest of a file as one stream, from byte `start` (the start of the
    /// range `d`, whose lines are numbered from `self.base + 1`), on this thread.
    fn rest(&mut self, d: &Done, file: Arc<File>, start: u64) -> io::Result<()> {
        let settings = self.settings;
        let fresh = || new_done(settings, d.seq, d.input_no, &d.label);
        let mut chunk = fresh();
        let mut compact = String::new();
        for item in logs::read_from("", file, start, self.base + 1, read_options()) {
            item_found(settings, &mut chunk, item, false, &mut compact);
            if chunk.out.len() >= BATCH_BYTES || chunk.errors.len() >= 1024 {
                self.put(std::mem::replace(&mut chunk, fresh()))?;
            }
        }
        self.put(chunk)
    }
}

/// Writes the batches in order; gives the exit status.
fn write(settings: &Settings, done: Receiver<Done>, slots: &SyncSender<()>) -> ExitCode {
    let stdout = io::stdout();
    let mut w = Written {
        settings,
        out: io::BufWriter::with_capacity(64 * 1024, stdout.lock()),
        selected: false,
        errors: false,
        events: 0,
        counts: vec![0u64; settings.set.len()],
        listed: 0,
        current: u64::MAX,
        base: 0,
    };
    let mut pending: BTreeMap<u64, Done> = BTreeMap::new();
    let mut next = 0u64;
    // The input whose rest was read as one stream: its later batches are dropped.
    let mut streamed = u64::MAX;
    let mut failure: Option<io::Error> = None;
    'receive: loop {
        let received = match done.try_recv() {
            Ok(d) => d,
            Err(TryRecvError::Empty) => {
                if let Err(e) = w.out.flush() {
                    failure = Some(e);
                    break;
                }
                match done.recv() {
                    Ok(d) => d,
                    Err(_) => break,
                }
            }
            Err(TryRecvError::Disconnected) => break,
        };
        pending.insert(received.seq, received);
        while let Some(mut d) = pending.remove(&next) {
            next += 1;
            let _ = slots.send(());
            if d.input_no == streamed {
                continue;
            }
            let written = match d.fallback.take() {
                Some((file, start)) => {
                    streamed = d.input_no;
                    if d.input_no != w.current {
                        w.current = d.input_no;
                        w.base = 0;
                    }
                    w.rest(&d, file, start)
                }
                None => w.put(d),
            };
            if let Err(e) = written {
                failure = Some(e);
                break 'receive;
            }
        }
    }
    let Written {
        mut out,
        mut selected,
        errors,
        events,
        counts,
        ..
    } = w;
    if failure.is_none() && settings.mode == Mode::Count {
        selected = false;
        for (total, text) in counts.iter().zip(&settings.texts) {
            let n = if settings.invert {
                events - total
            } else {
                *total
            };
            selected |= n > 0;
            if let Err(e) = writeln!(out, "{n}\t{}", terminal(text)) {
                failure = Some(e);
                break;
            }
        }
    }
    if failure.is_none()
        && let Err(e) = out.flush()
    {
        failure = Some(e);
    }
    match failure {
        // The reader may be blocked on a quiet standard input: do not wait for it.
        Some(e) if e.kind() == io::ErrorKind::BrokenPipe => std::process::exit(0),
        Some(e) => {
            let _ = writeln!(
                io::stderr().lock(),
                "trailmatch: cannot write to standard output: {}",
                io_message(&e)
            );
            std::process::exit(2)
        }
        None if errors => ExitCode::from(2),
        None if selected => ExitCode::SUCCESS,
        None => ExitCode::from(1),
    }
}
