//! `trailmatch grep`: the events of files, directories or standard input that match filter
//! patterns.
//!
//! Three kinds of threads: one reader walks the inputs in order and cuts them into numbered
//! batches ([`input`]): ranges of 512 KiB of a plain file, which the workers read themselves with
//! positioned reads (so reading scales with `-j` too), or batches of about 256 KiB of lines or
//! records it reads (standard input, gzip, CloudTrail Records files); `-j` workers match and
//! render batches; the main thread writes the rendered batches in number order, adding line
//! numbers (workers count lines within their batch), so the output does not depend on `-j`. A
//! batch may only be read once a slot is free, and a slot is freed when its batch is written:
//! memory is bounded by `2 × threads + 2` batches whatever the input size.

use std::collections::BTreeMap;
use std::io::{self, Read, Write};
use std::num::NonZeroUsize;
use std::process::ExitCode;
use std::sync::mpsc::{self, Receiver, SyncSender, TryRecvError};
use std::sync::{Arc, Mutex};
use std::thread;

use clap::Args;
use serde::Serialize;
use trailmatch::{Extracted, PatternSet};

use crate::input::{self, Body, Closed, Input};

#[derive(Debug, Args)]
#[command(after_help = GREP_HELP)]
pub struct GrepArgs {
    /// A filter pattern, then the paths to search (none, or `-`: standard input). With -e or -f,
    /// every positional argument is a path.
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
    /// Read patterns from FILE, one per line (`-`: standard input; repeatable). Empty lines are
    /// skipped; a trailing `\r` is removed; nothing else is trimmed.
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
    /// Prefix each event with its input's name (the default with more than one input or a
    /// directory).
    #[arg(short = 'H', long, overrides_with = "no_filename")]
    with_filename: bool,
    /// Never prefix events with their input's name.
    #[arg(short = 'I', long, overrides_with = "with_filename")]
    no_filename: bool,
    /// Number of matching threads (default: the number of available cores).
    #[arg(short = 'j', long, value_name = "N")]
    threads: Option<NonZeroUsize>,
}

const GREP_HELP: &str = "\
Inputs:
  Each PATH is a file or a directory (searched recursively, entries in name order). A file holds
  one event per line, or is a CloudTrail log file ({\"Records\": [...]}: each record is an
  event, printed compact, that is with the blanks between JSON tokens removed and everything else
  as written; several such objects one after another, as `cat` of log files gives, are read in
  turn), or is either of these compressed with gzip (recognised by its first bytes, whatever
  its name). A file that starts with {\"Records\" is still read line by line when its first line
  is a complete JSON object followed by more lines, or has members besides one Records array.
  Empty and blank lines are not events; a record that is not valid JSON is an event that no JSON
  pattern matches. Symbolic links to directories are not followed. Memory stays bounded (a few
  batches of 256 to 512 KiB per thread) whatever the size of the input.

Output:
  The selected events, one per line, prefixed with the input's name and `:` when there is more
  than one input. With --json, one object per selected event:
    {\"path\": \"logs/a.json.gz\", \"record\": 7, \"event\": \"<the event text>\",
     \"patterns\": [{\"index\": 0, \"pattern\": \"<text>\", \"extractedValues\": {...}}]}
  `line` (1-based line number) replaces `record` (1-based position in the Records array) for
  line-oriented inputs; `patterns` lists the matching patterns (0-based index in the order given)
  with the values they extract (an empty list with -v).

Errors:
  Unreadable inputs, lines and records that are not UTF-8 or longer than 16 MiB, bad gzip data
  and malformed Records files are reported on standard error with the input's name and
  position, skipped, and the search goes on.

Exit status: 0 if an event was selected (with -c: if a count is not 0), 1 if none, 2 on an
invalid pattern or any error (even if events were selected).

Examples:
  trailmatch grep '{ $.errorCode = \"AccessDenied*\" }' cloudtrail/
  trailmatch grep -c -f cis-patterns.txt AWSLogs/ 
  zcat events.gz | trailmatch grep --json '[version, account, eni, src, dst, port = 22, ...]'";

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
    set: PatternSet,
    texts: Vec<String>,
    mode: Mode,
    invert: bool,
    line_number: bool,
    /// Prefix events with the input's name.
    names: bool,
}

/// Runs `trailmatch grep` and gives its exit status.
pub fn run(args: GrepArgs) -> ExitCode {
    match search(args) {
        Ok(status) => status,
        Err(message) => {
            let _ = writeln!(io::stderr().lock(), "{message}");
            ExitCode::from(2)
        }
    }
}

fn search(args: GrepArgs) -> Result<ExitCode, String> {
    let (texts, origins, paths) = patterns(&args)?;
    let set = PatternSet::new(&texts).map_err(|e| match e.index {
        Some(i) => format!("error: invalid pattern {}:\n{}", origins[i], e.error),
        None => format!("error: invalid patterns:\n{}", e.error),
    })?;
    if args.files.iter().any(|f| f == "-") && (paths.is_empty() || paths.iter().any(|p| p == "-")) {
        return Err(
            "error: standard input cannot hold both patterns (-f -) and events; give \
                    the paths to search"
                .to_owned(),
        );
    }
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
        paths.len() > 1 || paths.iter().any(|p| std::path::Path::new(p).is_dir())
    };
    let settings = Settings {
        set,
        texts,
        mode,
        invert: args.invert_match,
        line_number: args.line_number,
        names,
    };
    let threads = args
        .threads
        .or_else(|| thread::available_parallelism().ok())
        .map_or(1, NonZeroUsize::get);
    Ok(pipeline(&settings, &paths, threads))
}

/// The patterns, a description of where each came from (for errors), and the paths.
type Patterns = (Vec<String>, Vec<String>, Vec<String>);

fn patterns(args: &GrepArgs) -> Result<Patterns, String> {
    let mut texts = Vec::new();
    let mut origins = Vec::new();
    let mut paths = args.args.clone();
    if args.patterns.is_empty() && args.files.is_empty() {
        if paths.is_empty() {
            return Err("error: give a PATTERN, -e PATTERN or -f FILE (see --help)".to_owned());
        }
        texts.push(paths.remove(0));
        origins.push("PATTERN".to_owned());
    }
    for (i, p) in args.patterns.iter().enumerate() {
        texts.push(p.clone());
        origins.push(format!("-e #{}", i + 1));
    }
    for file in &args.files {
        let bytes = if file == "-" {
            let mut bytes = Vec::new();
            io::stdin()
                .read_to_end(&mut bytes)
                .map(|_| bytes)
                .map_err(|e| e.to_string())
        } else {
            std::fs::read(file).map_err(|e| input::io_message(&e))
        }
        .map_err(|e| format!("error: cannot read {file}: {e}"))?;
        let text = String::from_utf8(bytes)
            .map_err(|_| format!("error: the pattern file {file} is not UTF-8"))?;
        let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
        for (n, line) in text.split('\n').enumerate() {
            let line = line.strip_suffix('\r').unwrap_or(line);
            if !line.is_empty() {
                texts.push(line.to_owned());
                origins.push(format!("on line {} of {file}", n + 1));
            }
        }
    }
    Ok((texts, origins, paths))
}

/// A numbered batch of one input.
struct Batch {
    seq: u64,
    /// Number of the input, in reading order.
    input_no: u64,
    input: Arc<Input>,
    body: Body,
}

/// What a worker made of a batch.
struct Done {
    seq: u64,
    input_no: u64,
    input: Arc<Input>,
    /// Rendered output.
    out: Vec<u8>,
    /// Where line numbers go in `out`: (byte position, line number within the batches of this
    /// input from this one on, 1-based). The writer adds the lines of the batches before.
    fixups: Vec<(usize, u64)>,
    /// Problems found, already worded; a line number goes at the position given, as in
    /// `fixups`.
    errors: Vec<(String, Option<(usize, u64)>)>,
    /// Number of lines of the input this batch covers.
    lines: u64,
    /// Number of events, and per pattern the number matched (only for -c).
    events: u64,
    counts: Vec<u64>,
    /// Whether an event was selected.
    selected: bool,
    /// The batch's buffer, for the reader to use again.
    spare: Option<Vec<u8>>,
}

fn pipeline(settings: &Settings, paths: &[String], threads: usize) -> ExitCode {
    let slots = 2 * threads + 2;
    let (work_tx, work_rx) = mpsc::sync_channel::<Batch>(slots);
    let (done_tx, done_rx) = mpsc::sync_channel::<Done>(slots);
    let (slot_tx, slot_rx) = mpsc::sync_channel::<()>(slots);
    let (spare_tx, spare_rx) = mpsc::sync_channel::<Vec<u8>>(slots);
    for _ in 0..slots {
        let _ = slot_tx.send(());
    }
    let work_rx = Mutex::new(work_rx);
    thread::scope(|scope| {
        scope.spawn(move || produce(paths, &slot_rx, &work_tx, &spare_rx));
        for _ in 0..threads {
            let done_tx = done_tx.clone();
            let work_rx = &work_rx;
            scope.spawn(move || work(settings, work_rx, &done_tx));
        }
        drop(done_tx);
        let status = write(settings, done_rx, &slot_tx, &spare_tx);
        // Writing stopped (output closed or all done): unblock the reader if it waits for a slot.
        drop(slot_tx);
        status
    })
}

fn produce(
    paths: &[String],
    slots: &Receiver<()>,
    work: &SyncSender<Batch>,
    spares: &Receiver<Vec<u8>>,
) {
    let mut spare = || match spares.try_recv() {
        Ok(mut buf) => {
            buf.clear();
            buf
        }
        Err(_) => Vec::with_capacity(input::BATCH_BYTES + input::READ_BUFFER),
    };
    let mut seq = 0u64;
    let mut send = |input_no: u64, input: &Arc<Input>, body: Body| -> Result<(), Closed> {
        slots.recv().map_err(|_| Closed)?;
        work.send(Batch {
            seq,
            input_no,
            input: Arc::clone(input),
            body,
        })
        .map_err(|_| Closed)?;
        seq += 1;
        Ok(())
    };
    let send = std::cell::RefCell::new(&mut send);
    let no_input = Arc::new(Input {
        label: String::new(),
        source: input::Source::Stdin,
    });
    let mut inputs = 0u64;
    let _ = input::walk(
        paths,
        &mut |found| {
            let found = Arc::new(found);
            inputs += 1;
            let mut send = send.borrow_mut();
            input::read(&found, &mut |body| send(inputs, &found, body), &mut spare)
        },
        &mut |error| send.borrow_mut()(0, &no_input, Body::Error(error)),
    );
}

fn work(settings: &Settings, batches: &Mutex<Receiver<Batch>>, done: &SyncSender<Done>) {
    // The buffer for ranges this worker reads itself.
    let mut buf = Vec::new();
    loop {
        let batch = {
            let Ok(receiver) = batches.lock() else {
                return;
            };
            match receiver.recv() {
                Ok(batch) => batch,
                Err(_) => return,
            }
        };
        let result = process(settings, batch, &mut buf);
        if done.send(result).is_err() {
            return;
        }
    }
}

/// Where an event is in its input: a line relative to the batch (see [`Done::fixups`]), or the
/// absolute number of a record.
#[derive(Clone, Copy)]
enum Position {
    Line(u64),
    Record(u64),
}

fn process(settings: &Settings, batch: Batch, buf: &mut Vec<u8>) -> Done {
    let mut done = Done {
        seq: batch.seq,
        input_no: batch.input_no,
        input: Arc::clone(&batch.input),
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
        spare: None,
    };
    let label = &batch.input.label;
    match &batch.body {
        Body::Error(message) => done.errors.push((message.clone(), None)),
        Body::LineError {
            before,
            after,
            skipped,
        } => {
            done.errors
                .push((format!("{before}{after}"), Some((before.len(), 1))));
            done.lines = *skipped;
        }
        Body::Lines { data } => lines(settings, &mut done, data),
        Body::Range { file, start, end } => match input::read_range(file, *start, *end, buf) {
            Ok(range) => {
                lines(settings, &mut done, &buf[range.skip..]);
                if range.too_long {
                    done.lines += 1;
                    let before = format!("{label}:");
                    let message = format!(
                        "{before}: line longer than {} MiB; skipped",
                        input::MAX_LINE_BYTES >> 20
                    );
                    done.errors
                        .push((message, Some((before.len(), done.lines))));
                }
            }
            Err(e) => done.errors.push((
                format!(
                    "{label}: {}; bytes {start} to {end} skipped",
                    input::io_message(&e)
                ),
                None,
            )),
        },
        Body::Records { first, text, ends } => {
            let mut start = 0;
            for (i, &end) in ends.iter().enumerate() {
                let position = Position::Record(first + i as u64);
                event_found(settings, &mut done, position, &text[start..end]);
                start = end;
            }
        }
    }
    if let Body::Lines { data } = batch.body {
        done.spare = Some(data);
    }
    done
}

/// The events of complete lines; counts them in `done.lines`.
fn lines(settings: &Settings, done: &mut Done, data: &[u8]) {
    let label_len = done.input.label.len();
    let data = data.strip_suffix(b"\n").unwrap_or(data);
    if data.is_empty() {
        return;
    }
    let mut number = 0;
    for line in data.split(|b| *b == b'\n') {
        number += 1;
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        match std::str::from_utf8(line) {
            Ok(event) => event_found(settings, done, Position::Line(number), event),
            Err(e) => {
                let message = format!(
                    "{}:: not UTF-8 (bad byte at column {}); line skipped",
                    done.input.label,
                    e.valid_up_to() + 1
                );
                done.errors.push((message, Some((label_len + 1, number))));
            }
        }
    }
    done.lines = number;
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
        Position::Line(n) => done.fixups.push((done.out.len(), n)),
        Position::Record(n) => done.out.extend_from_slice(n.to_string().as_bytes()),
    }
}

fn event_found(settings: &Settings, done: &mut Done, position: Position, event: &str) {
    done.events += 1;
    let set = &settings.set;
    match settings.mode {
        Mode::Count => {
            for i in set.matches(event) {
                done.counts[i] += 1;
            }
        }
        Mode::Files => {
            if !done.selected && set.is_match(event) != settings.invert {
                done.selected = true;
            }
        }
        Mode::Events => {
            if set.is_match(event) != settings.invert {
                done.selected = true;
                if settings.names {
                    done.out.extend_from_slice(done.input.label.as_bytes());
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
            let matched = set.test(event);
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
                let _ = serde_json::to_writer(&mut *out, &done.input.label);
                out.extend_from_slice(match position {
                    Position::Line(_) => b",\"line\":",
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

/// Writes the batches in order; gives the exit status.
fn write(
    settings: &Settings,
    done: Receiver<Done>,
    slots: &SyncSender<()>,
    spares: &SyncSender<Vec<u8>>,
) -> ExitCode {
    let stdout = io::stdout();
    let mut out = io::BufWriter::with_capacity(64 * 1024, stdout.lock());
    let mut pending: BTreeMap<u64, Done> = BTreeMap::new();
    let mut next = 0u64;
    let mut selected = false;
    let mut errors = false;
    let mut events = 0u64;
    let mut counts = vec![0u64; settings.set.len()];
    // The last input whose name -l printed.
    let mut listed = 0u64;
    // The input being written, and its lines in the batches written so far.
    let mut current = u64::MAX;
    let mut base = 0u64;
    let mut failure: Option<io::Error> = None;
    'receive: loop {
        let received = match done.try_recv() {
            Ok(d) => d,
            Err(TryRecvError::Empty) => {
                if let Err(e) = out.flush() {
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
            if let Some(buf) = d.spare.take() {
                let _ = spares.try_send(buf);
            }
            if d.input_no != current {
                current = d.input_no;
                base = 0;
            }
            if !d.errors.is_empty() {
                errors = true;
                // Keep the output written so far ahead of the message.
                if let Err(e) = out.flush() {
                    failure = Some(e);
                    break 'receive;
                }
                let mut stderr = io::stderr().lock();
                for (message, fixup) in &d.errors {
                    let _ = match fixup {
                        Some((at, line)) => writeln!(
                            stderr,
                            "trailmatch: {}{}{}",
                            &message[..*at],
                            base + line,
                            &message[*at..]
                        ),
                        None => writeln!(stderr, "trailmatch: {message}"),
                    };
                }
            }
            events += d.events;
            for (total, n) in counts.iter_mut().zip(&d.counts) {
                *total += n;
            }
            selected |= d.selected;
            let written = match settings.mode {
                Mode::Files if d.selected && listed != d.input_no => {
                    listed = d.input_no;
                    writeln!(out, "{}", d.input.label)
                }
                _ => write_fixed(&mut out, &d.out, &d.fixups, base),
            };
            base += d.lines;
            if let Err(e) = written {
                failure = Some(e);
                break 'receive;
            }
        }
    }
    if failure.is_none() && settings.mode == Mode::Count {
        selected = false;
        for (total, text) in counts.iter().zip(&settings.texts) {
            let n = if settings.invert {
                events - total
            } else {
                *total
            };
            selected |= n > 0;
            if let Err(e) = writeln!(out, "{n}\t{text}") {
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
                input::io_message(&e)
            );
            std::process::exit(2)
        }
        None if errors => ExitCode::from(2),
        None if selected => ExitCode::SUCCESS,
        None => ExitCode::from(1),
    }
}
