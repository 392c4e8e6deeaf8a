//! `grep`'s inputs: paths expanded into files (directories walked in sorted order), each file or
//! standard input opened, un-gzipped when it starts with the gzip magic bytes, recognised as a
//! CloudTrail log file (`{"Records":[…]}`) or as one event per line, and cut into batches of
//! events with bounded memory.

use std::fs::{self, File};
use std::io::{self, BufRead, BufReader, Cursor, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// A batch holds about this many bytes of events (more when one event is longer).
pub const BATCH_BYTES: usize = 256 * 1024;
/// Longer lines are reported and skipped (CloudWatch Logs events are at most 256 KiB).
pub const MAX_LINE_BYTES: usize = 16 * 1024 * 1024;
/// How far ahead the format detection may read before deciding: a first line longer than this
/// cannot be one log event, so an input that starts with `{"Records"` is a CloudTrail log file.
const LOOKAHEAD: usize = 1024 * 1024;
/// Size of the ranges of a plain file that workers read themselves.
pub const RANGE_BYTES: usize = 512 * 1024;
/// Size of the read buffers and of each read.
pub const READ_BUFFER: usize = 256 * 1024;

/// Where an input comes from.
#[derive(Debug, Clone)]
pub enum Source {
    Stdin,
    File(PathBuf),
}

/// One input to search, with the name used in output and diagnostics.
#[derive(Debug)]
pub struct Input {
    /// `path` as given or found while walking a directory, `<stdin>` for standard input.
    pub label: String,
    pub source: Source,
}

/// The events of a batch.
#[derive(Debug)]
pub enum Body {
    /// Complete lines (the last one without its line ending at the end of an input), following
    /// those of the batches before it. Line numbers are counted by the workers and made absolute
    /// by the writer, so the reader never scans for them.
    Lines { data: Vec<u8> },
    /// Bytes `start..end` of a plain file, for a worker to read itself (with positioned reads,
    /// so that reading is shared between the workers): it takes the lines that start in the
    /// range, reading on past `end` to finish the last one.
    Range {
        file: Arc<File>,
        start: u64,
        end: u64,
    },
    /// Records of a CloudTrail log file, already compact, concatenated in `text`: record `i` of
    /// the batch ends at `ends[i]`; the first has 1-based number `first`.
    Records {
        first: u64,
        text: String,
        ends: Vec<usize>,
    },
    /// A problem with the input, already worded with its path and position.
    Error(String),
    /// A problem at the line after those of the batches before it: the message is
    /// `before` LINE `after`, and `skipped` lines are passed over.
    LineError {
        before: String,
        after: String,
        skipped: u64,
    },
}

/// The consumer of batches went away (output closed): stop reading.
#[derive(Debug)]
pub struct Closed;

/// Expands the PATH arguments: files as given, `-` as standard input, directories walked
/// recursively with the entries of each directory in byte order of their names. Symbolic links
/// to files are followed, symbolic links to directories are not (no cycles). Problems (a missing
/// path, an unreadable directory) are handed to `on_error` and the walk goes on.
pub fn walk(
    paths: &[String],
    on_input: &mut dyn FnMut(Input) -> Result<(), Closed>,
    on_error: &mut dyn FnMut(String) -> Result<(), Closed>,
) -> Result<(), Closed> {
    if paths.is_empty() {
        return on_input(stdin_input());
    }
    for path in paths {
        if path == "-" {
            on_input(stdin_input())?;
            continue;
        }
        match fs::metadata(path) {
            Ok(meta) if meta.is_dir() => walk_dir(Path::new(path), on_input, on_error)?,
            Ok(_) => on_input(Input {
                label: path.clone(),
                source: Source::File(PathBuf::from(path)),
            })?,
            Err(e) => on_error(format!("{path}: {}", io_message(&e)))?,
        }
    }
    Ok(())
}

fn stdin_input() -> Input {
    Input {
        label: "<stdin>".to_owned(),
        source: Source::Stdin,
    }
}

fn walk_dir(
    dir: &Path,
    on_input: &mut dyn FnMut(Input) -> Result<(), Closed>,
    on_error: &mut dyn FnMut(String) -> Result<(), Closed>,
) -> Result<(), Closed> {
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) => return on_error(format!("{}: {}", dir.display(), io_message(&e))),
    };
    let mut children = Vec::new();
    for entry in entries {
        match entry {
            Ok(entry) => children.push(entry),
            Err(e) => on_error(format!("{}: {}", dir.display(), io_message(&e)))?,
        }
    }
    children.sort_by_key(|e| e.file_name());
    for entry in children {
        let path = entry.path();
        let kind = match entry.file_type() {
            Ok(kind) => kind,
            Err(e) => {
                on_error(format!("{}: {}", path.display(), io_message(&e)))?;
                continue;
            }
        };
        if kind.is_dir() {
            walk_dir(&path, on_input, on_error)?;
        } else if kind.is_file() || (kind.is_symlink() && path.is_file()) {
            on_input(Input {
                label: path.display().to_string(),
                source: Source::File(path),
            })?;
        }
    }
    Ok(())
}

/// An I/O error without Rust's ` (os error N)` suffix, as other tools print it.
pub fn io_message(e: &io::Error) -> String {
    let text = e.to_string();
    match text.find(" (os error") {
        Some(end) => text[..end].to_owned(),
        None => text,
    }
}

/// Reads `input` and hands its events to `send` in batches. Problems are sent as
/// [`Body::Error`]; reading goes on where it can (after a bad line) and stops where it cannot
/// (bad gzip data, a malformed Records file).
pub fn read(
    input: &Input,
    send: &mut dyn FnMut(Body) -> Result<(), Closed>,
    spare: &mut dyn FnMut() -> Vec<u8>,
) -> Result<(), Closed> {
    let label = &input.label;
    // A second handle on a plain file, for the workers' positioned reads.
    let mut shared = None;
    let raw: Box<dyn Read> = match &input.source {
        Source::Stdin => Box::new(io::stdin()),
        Source::File(path) => match File::open(path) {
            Ok(file) => {
                if cfg!(unix) && file.metadata().is_ok_and(|m| m.is_file()) {
                    shared = file.try_clone().ok().map(Arc::new);
                }
                Box::new(file)
            }
            Err(e) => return send(Body::Error(format!("{label}: {}", io_message(&e)))),
        },
    };
    let mut raw = BufReader::with_capacity(READ_BUFFER, raw);
    let magic = match peek(&mut raw, 2) {
        Ok(bytes) => bytes,
        Err(e) => return send(Body::Error(format!("{label}: {}", io_message(&e)))),
    };
    let reader: Box<dyn BufRead> = if magic == [0x1f, 0x8b] {
        let decoder = flate2::bufread::MultiGzDecoder::new(raw);
        Box::new(BufReader::with_capacity(READ_BUFFER, decoder))
    } else {
        Box::new(raw)
    };
    let mut reader = Tracked {
        inner: reader,
        gzip: magic == [0x1f, 0x8b],
    };
    let mut head = Vec::new();
    let gzip = reader.gzip;
    // Detection read `head`; reading goes on from its first byte. An error while detecting
    // (truncated gzip data) is met again, at its place, after the bytes read before it.
    let (format, rest): (_, Box<dyn Read>) = match detect(&mut reader, &mut head) {
        Ok(format) => (format, Box::new(Cursor::new(head).chain(reader.inner))),
        Err(e) => {
            let format = match starts_with_records_key(&head) {
                Some(true) => Format::Records,
                _ => Format::Lines,
            };
            (format, Box::new(Cursor::new(head).chain(Failing(Some(e)))))
        }
    };
    match format {
        Format::Lines if !gzip && shared.is_some() => {
            let Some(file) = shared else {
                return Ok(());
            };
            send_ranges(file, label, send)
        }
        Format::Lines => {
            // Standard input may be a live stream: hand over what arrived without waiting for a
            // full batch.
            let live = matches!(input.source, Source::Stdin);
            let mut rest = rest;
            read_lines(&mut rest, gzip, live, label, send, spare)
        }
        Format::Records => {
            let rest = BufReader::with_capacity(READ_BUFFER, rest);
            read_records(rest, label, gzip, send)
        }
    }
}

/// A reader that fails once with the error it holds, then reads nothing.
struct Failing(Option<io::Error>);

impl Read for Failing {
    fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
        match self.0.take() {
            Some(e) => Err(e),
            None => Ok(0),
        }
    }
}

/// The first `n` bytes of `reader` (fewer at the end of the input), left unconsumed.
fn peek(reader: &mut BufReader<Box<dyn Read>>, n: usize) -> io::Result<Vec<u8>> {
    // A BufReader's buffer only refills when empty; read byte by byte into a small buffer then
    // rebuild the reader around it.
    let buffered = reader.fill_buf()?;
    if buffered.len() >= n || buffered.is_empty() {
        return Ok(buffered[..n.min(buffered.len())].to_vec());
    }
    // A pipe gave fewer than `n` bytes: rare enough (n is 2) to go through a chained reader.
    let mut first = buffered.to_vec();
    reader.consume(first.len());
    while first.len() < n {
        let more = reader.fill_buf()?;
        if more.is_empty() {
            break;
        }
        let take = more.len().min(n - first.len());
        first.extend_from_slice(&more[..take]);
        reader.consume(take);
    }
    let inner = std::mem::replace(reader, BufReader::new(Box::new(io::empty())));
    let chained: Box<dyn Read> = Box::new(Cursor::new(first.clone()).chain(inner));
    *reader = BufReader::with_capacity(READ_BUFFER, chained);
    Ok(first)
}

/// A reader, and whether it un-gzips.
struct Tracked {
    inner: Box<dyn BufRead>,
    gzip: bool,
}

#[derive(Debug, PartialEq, Eq)]
enum Format {
    Lines,
    Records,
}

/// Decides how to read an input from its first bytes, which it reads into `head` (at most about
/// [`LOOKAHEAD`] bytes, and only past the first few when they are `{"Records"`).
///
/// A CloudTrail log file starts with `{`, then `"Records"`. Such an input is still read as lines
/// when its first line is a complete JSON object and either more lines follow (a log of events
/// that have a `Records` member, such as S3 notifications) or the object has members other than
/// one `Records` array.
fn detect(reader: &mut Tracked, head: &mut Vec<u8>) -> io::Result<Format> {
    let mut eof;
    // Decide as soon as the first non-blank bytes rule out `{"Records"`.
    let mut want = 64;
    loop {
        eof = fill(reader, head, want)?;
        match starts_with_records_key(head) {
            Some(false) => return Ok(Format::Lines),
            Some(true) => break,
            None if eof || head.len() >= LOOKAHEAD => return Ok(Format::Lines),
            None => want = (want * 2).min(LOOKAHEAD),
        }
    }
    // Read up to the first line's end, within the lookahead.
    let start = head.iter().position(|b| !is_blank(*b)).unwrap_or(0);
    let line_end = loop {
        if let Some(i) = memchr::memchr(b'\n', &head[start..]) {
            break Some(start + i);
        }
        if eof || head.len() >= LOOKAHEAD {
            break None;
        }
        let next = (head.len() * 2).min(LOOKAHEAD);
        eof = fill(reader, head, next)?;
    };
    let end = match line_end {
        Some(end) => end,
        None if eof => head.len(),
        // A first line longer than the lookahead is no log event.
        None => return Ok(Format::Records),
    };
    let Ok(members) =
        serde_json::from_slice::<serde_json::Map<String, serde_json::Value>>(&head[start..end])
    else {
        // Not a complete object on one line: a pretty-printed Records file.
        return Ok(Format::Records);
    };
    let only_records = members.len() == 1 && members.get("Records").is_some_and(|v| v.is_array());
    if !only_records {
        return Ok(Format::Lines);
    }
    // Look past blank lines for another line.
    let mut from = end;
    loop {
        if head[from..].iter().any(|b| !is_blank(*b)) {
            return Ok(Format::Lines);
        }
        if eof || head.len() >= LOOKAHEAD {
            return Ok(Format::Records);
        }
        from = head.len();
        eof = fill(reader, head, (head.len() + 4096).min(LOOKAHEAD))?;
    }
}

/// Reads from `reader` into `head` until it holds `want` bytes; true at the end of the input.
fn fill(reader: &mut Tracked, head: &mut Vec<u8>, want: usize) -> io::Result<bool> {
    while head.len() < want {
        let buf = reader.inner.fill_buf()?;
        if buf.is_empty() {
            return Ok(true);
        }
        let take = buf.len().min(want - head.len());
        head.extend_from_slice(&buf[..take]);
        reader.inner.consume(take);
    }
    Ok(false)
}

/// Whether the input starts (after blanks and a byte-order mark) with `{` and a `"Records"` key;
/// `None` while `head` is too short to say.
fn starts_with_records_key(head: &[u8]) -> Option<bool> {
    let head = head.strip_prefix(b"\xef\xbb\xbf").unwrap_or(head);
    let mut rest = head;
    let skip = |s: &[u8]| -> usize { s.iter().position(|b| !is_blank(*b)).unwrap_or(s.len()) };
    rest = &rest[skip(rest)..];
    match rest.first() {
        None => return None,
        Some(b'{') => rest = &rest[1..],
        Some(_) => return Some(false),
    }
    rest = &rest[skip(rest)..];
    const KEY: &[u8] = b"\"Records\"";
    if rest.len() < KEY.len() {
        return if KEY.starts_with(rest) {
            None
        } else {
            Some(false)
        };
    }
    Some(rest.starts_with(KEY))
}

fn is_blank(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n')
}

/// Cuts the input into batches of whole lines, reading straight into the batch buffers (taken
/// from `spare`, where the writer returns them). Line endings stay in the batch; the worker
/// splits.
fn read_lines(
    reader: &mut dyn Read,
    gzip: bool,
    live: bool,
    label: &str,
    send: &mut dyn FnMut(Body) -> Result<(), Closed>,
    spare: &mut dyn FnMut() -> Vec<u8>,
) -> Result<(), Closed> {
    let mut buf = spare();
    // The length of the complete lines in `buf`.
    let mut complete = 0usize;
    // Set while the rest of an over-long line is being thrown away.
    let mut skipping = false;
    let mut at_start = true;
    loop {
        let old = buf.len();
        buf.resize(old + READ_BUFFER, 0);
        let n = match reader.read(&mut buf[old..]) {
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {
                buf.truncate(old);
                continue;
            }
            Err(e) => {
                // The incomplete last line is lost with the rest of the input.
                buf.truncate(complete);
                if complete > 0 {
                    send(Body::Lines { data: buf })?;
                }
                let what = if gzip { "bad gzip data (" } else { "" };
                return send(Body::LineError {
                    before: format!("{label}:"),
                    after: format!(
                        ": {what}{}{}; the rest of the input is skipped",
                        io_message(&e),
                        if gzip { ")" } else { "" }
                    ),
                    skipped: 0,
                });
            }
        };
        buf.truncate(old + n);
        if n == 0 {
            if !skipping && !buf.is_empty() {
                send(Body::Lines { data: buf })?;
            }
            return Ok(());
        }
        if at_start {
            at_start = false;
            if buf.starts_with(b"\xef\xbb\xbf") {
                buf.drain(..3);
            }
        }
        let mut from = old.min(buf.len());
        if skipping {
            match memchr::memchr(b'\n', &buf[from..]) {
                None => {
                    buf.truncate(from);
                    continue;
                }
                Some(i) => {
                    buf.drain(from..from + i + 1);
                    skipping = false;
                    from = old.min(buf.len());
                }
            }
        }
        if let Some(i) = memchr::memrchr(b'\n', &buf[from..]) {
            complete = from + i + 1;
        }
        let short = live && n < READ_BUFFER;
        if complete > 0 && (buf.len() >= BATCH_BYTES || short) {
            let mut next = spare();
            next.extend_from_slice(&buf[complete..]);
            buf.truncate(complete);
            let data = std::mem::replace(&mut buf, next);
            send(Body::Lines { data })?;
            complete = 0;
        }
        if complete == 0 && buf.len() > MAX_LINE_BYTES {
            send(Body::LineError {
                before: format!("{label}:"),
                after: format!(": line longer than {} MiB; skipped", MAX_LINE_BYTES >> 20),
                skipped: 1,
            })?;
            buf = spare();
            skipping = true;
        }
    }
}

/// Hands a plain file to the workers as ranges of about [`RANGE_BYTES`] bytes.
fn send_ranges(
    file: Arc<File>,
    label: &str,
    send: &mut dyn FnMut(Body) -> Result<(), Closed>,
) -> Result<(), Closed> {
    let len = match file.metadata() {
        Ok(meta) => meta.len(),
        Err(e) => return send(Body::Error(format!("{label}: {}", io_message(&e)))),
    };
    let mut start = 0;
    while start < len {
        let end = len.min(start + RANGE_BYTES as u64);
        send(Body::Range {
            file: Arc::clone(&file),
            start,
            end,
        })?;
        start = end;
    }
    Ok(())
}

/// What a worker read of a [`Body::Range`].
#[derive(Debug, Default)]
pub struct RangeLines {
    /// The lines that start in the range are `buf[skip..]`.
    pub skip: usize,
    /// The last line is longer than [`MAX_LINE_BYTES`]: it was left out, and counts as one line.
    pub too_long: bool,
}

/// Positioned reads are a Unix API; elsewhere files are read by the reader thread.
#[cfg(not(unix))]
pub fn read_range(_: &File, _: u64, _: u64, _: &mut Vec<u8>) -> io::Result<RangeLines> {
    Err(io::Error::other("positioned reads are not available"))
}

/// Reads the lines that start in `start..end` of `file` into `buf` (cleared first): from
/// `start - 1` (to see whether a line starts at `start`), then past `end` up to the end of the
/// last line.
#[cfg(unix)]
pub fn read_range(file: &File, start: u64, end: u64, buf: &mut Vec<u8>) -> io::Result<RangeLines> {
    use std::os::unix::fs::FileExt;
    buf.clear();
    let from = start.saturating_sub(1);
    let mut eof = false;
    let fill = |buf: &mut Vec<u8>, want: usize, eof: &mut bool| -> io::Result<()> {
        let old = buf.len();
        buf.resize(old + want, 0);
        let mut got = 0;
        while got < want {
            match file.read_at(&mut buf[old + got..], from + (old + got) as u64) {
                Ok(0) => {
                    *eof = true;
                    break;
                }
                Ok(n) => got += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    buf.truncate(old + got);
                    return Err(e);
                }
            }
        }
        buf.truncate(old + got);
        Ok(())
    };
    fill(buf, (end - from) as usize, &mut eof)?;
    let mut lines = RangeLines::default();
    if start > 0 {
        match memchr::memchr(b'\n', buf) {
            Some(i) if i < (end - from) as usize => lines.skip = i + 1,
            // No line starts in this range.
            _ => {
                lines.skip = buf.len();
                return Ok(lines);
            }
        }
    } else if buf.starts_with(b"\xef\xbb\xbf") {
        lines.skip = 3;
    }
    // Finish the last line.
    let owned_end = buf.len();
    if owned_end > lines.skip && buf[owned_end - 1] != b'\n' && !eof {
        let last_start =
            memchr::memrchr(b'\n', &buf[lines.skip..]).map_or(lines.skip, |i| lines.skip + i + 1);
        loop {
            let old = buf.len();
            fill(buf, 64 * 1024, &mut eof)?;
            if let Some(i) = memchr::memchr(b'\n', &buf[old..]) {
                buf.truncate(old + i + 1);
                break;
            }
            if buf.len() - last_start > MAX_LINE_BYTES {
                buf.truncate(last_start);
                lines.too_long = true;
                break;
            }
            if eof {
                break;
            }
        }
    }
    Ok(lines)
}

/// Streams the `Records` arrays of a CloudTrail log file (one `{"Records":[…]}` object, or several
/// one after another as `cat` of log files gives), each record made compact. A scanner finds
/// where each record ends (strings, escapes and nesting) at memchr speed without parsing it:
/// the matcher reads records, and one that is not valid JSON is an event no JSON pattern matches.
/// Members other than `Records` are skipped.
fn read_records<R: BufRead>(
    reader: R,
    label: &str,
    gzip: bool,
    send: &mut dyn FnMut(Body) -> Result<(), Closed>,
) -> Result<(), Closed> {
    let mut batch = RecordBatcher {
        send,
        next: 1,
        first: 1,
        text: String::with_capacity(BATCH_BYTES),
        ends: Vec::new(),
    };
    let mut scanner = Scanner {
        reader,
        line: 1,
        column: 1,
        record: Vec::new(),
        too_long: false,
    };
    let result = scan_file(&mut scanner, &mut batch, label);
    batch.flush()?;
    let problem = match result {
        Ok(()) => return Ok(()),
        Err(Stop::Closed) => return Err(Closed),
        Err(Stop::Io(e)) if gzip => format!("bad gzip data ({})", io_message(&e)),
        Err(Stop::Io(e)) => io_message(&e),
        Err(Stop::Eof) => "truncated Records file".to_owned(),
        Err(Stop::Unexpected(what, b)) => {
            format!(
                "malformed Records file (expected {what}, found {:?})",
                char::from(b)
            )
        }
    };
    let records = batch.next - 1;
    (batch.send)(Body::Error(format!(
        "{label}:{}:{}: {problem} after {records} record{}; the rest of the input is skipped",
        scanner.line,
        scanner.column,
        if records == 1 { "" } else { "s" }
    )))
}

#[derive(Debug)]
enum Stop {
    Closed,
    Io(io::Error),
    Eof,
    /// What was expected, and the byte found.
    Unexpected(&'static str, u8),
}

fn scan_file<R: BufRead>(
    s: &mut Scanner<R>,
    batch: &mut RecordBatcher<'_>,
    label: &str,
) -> Result<(), Stop> {
    if s.reader
        .fill_buf()
        .map_err(Stop::Io)?
        .starts_with(b"\xef\xbb\xbf")
    {
        s.reader.consume(3);
    }
    loop {
        match s.skip_blanks()? {
            None => return Ok(()),
            Some(b'{') => s.advance(1),
            Some(b) => return Err(Stop::Unexpected("'{'", b)),
        }
        let mut first_member = true;
        loop {
            match s.skip_blanks()?.ok_or(Stop::Eof)? {
                b'}' if first_member => {
                    s.advance(1);
                    break;
                }
                b'"' => {}
                b => return Err(Stop::Unexpected("a member name", b)),
            }
            first_member = false;
            s.record.clear();
            s.value(true)?;
            let is_records = s.record == b"\"Records\"";
            match s.skip_blanks()?.ok_or(Stop::Eof)? {
                b':' => s.advance(1),
                b => return Err(Stop::Unexpected("':'", b)),
            }
            match s.skip_blanks()?.ok_or(Stop::Eof)? {
                b'[' if is_records => {
                    s.advance(1);
                    records(s, batch, label)?;
                }
                b if is_records => return Err(Stop::Unexpected("'[' (Records is a list)", b)),
                _ => s.value(false)?,
            }
            match s.skip_blanks()?.ok_or(Stop::Eof)? {
                b',' => s.advance(1),
                b'}' => {
                    s.advance(1);
                    break;
                }
                b => return Err(Stop::Unexpected("',' or '}'", b)),
            }
        }
    }
}

/// The elements of a Records array, after its `[`, up to and including its `]`.
fn records<R: BufRead>(
    s: &mut Scanner<R>,
    batch: &mut RecordBatcher<'_>,
    label: &str,
) -> Result<(), Stop> {
    if s.skip_blanks()?.ok_or(Stop::Eof)? == b']' {
        s.advance(1);
        return Ok(());
    }
    loop {
        s.record.clear();
        s.skip_blanks()?.ok_or(Stop::Eof)?;
        let (line, column) = (s.line, s.column);
        s.value(true)?;
        let problem = if s.too_long {
            Some(format!("longer than {} MiB", MAX_LINE_BYTES >> 20))
        } else if std::str::from_utf8(&s.record).is_err() {
            Some("not UTF-8".to_owned())
        } else {
            None
        };
        match problem {
            None => {
                let text = std::str::from_utf8(&s.record).unwrap_or_default();
                batch.push(text).map_err(|_| Stop::Closed)?;
            }
            Some(problem) => {
                let n = batch.next;
                batch.next += 1;
                batch.flush().map_err(|_| Stop::Closed)?;
                batch.first = batch.next;
                (batch.send)(Body::Error(format!(
                    "{label}:{line}:{column}: record {n} is {problem}; skipped"
                )))
                .map_err(|_| Stop::Closed)?;
            }
        }
        match s.skip_blanks()?.ok_or(Stop::Eof)? {
            b',' => s.advance(1),
            b']' => {
                s.advance(1);
                return Ok(());
            }
            b => return Err(Stop::Unexpected("',' or ']'", b)),
        }
    }
}

/// Reads JSON structure from a buffered reader, keeping the line and column of the next byte.
struct Scanner<R> {
    reader: R,
    line: u64,
    column: u64,
    /// The bytes of the last value read with `keep`.
    record: Vec<u8>,
    /// The last value read with `keep` was longer than [`MAX_LINE_BYTES`]: `record` holds only
    /// its start.
    too_long: bool,
}

impl<R: BufRead> Scanner<R> {
    fn advance(&mut self, n: usize) {
        self.column += n as u64;
        self.reader.consume(n);
    }

    /// Skips blanks; the next byte, not consumed, or `None` at the end.
    fn skip_blanks(&mut self) -> Result<Option<u8>, Stop> {
        loop {
            let buf = self.reader.fill_buf().map_err(Stop::Io)?;
            if buf.is_empty() {
                return Ok(None);
            }
            let mut n = 0;
            while n < buf.len() && is_blank(buf[n]) {
                if buf[n] == b'\n' {
                    self.line += 1;
                    self.column = 0;
                }
                self.column += 1;
                n += 1;
            }
            let next = buf.get(n).copied();
            self.reader.consume(n);
            if next.is_some() {
                return Ok(next);
            }
        }
    }

    /// Reads one value (object, array, string or scalar) starting at the next byte, appending
    /// its bytes to `record` when `keep`.
    fn value(&mut self, keep: bool) -> Result<(), Stop> {
        if keep {
            self.too_long = false;
        }
        let mut depth = 0usize;
        let mut in_string = false;
        let mut escaped = false;
        let mut started = false;
        loop {
            let buf = self.reader.fill_buf().map_err(Stop::Io)?;
            if buf.is_empty() {
                // A scalar may end the input; anything open may not.
                return if started && depth == 0 && !in_string {
                    Ok(())
                } else {
                    Err(Stop::Eof)
                };
            }
            let mut i = 0;
            let mut done = false;
            while i < buf.len() {
                let b = buf[i];
                if in_string {
                    if escaped {
                        escaped = false;
                        i += 1;
                        continue;
                    }
                    // Jump to the next quote or backslash.
                    match memchr::memchr2(b'"', b'\\', &buf[i..]) {
                        None => {
                            i = buf.len();
                            continue;
                        }
                        Some(k) => {
                            i += k;
                            if buf[i] == b'\\' {
                                escaped = true;
                            } else {
                                in_string = false;
                                if depth == 0 {
                                    i += 1;
                                    done = true;
                                    break;
                                }
                            }
                            i += 1;
                            continue;
                        }
                    }
                }
                match b {
                    b'"' => in_string = true,
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' | b',' if depth == 0 => {
                        // The end of a scalar (or an empty value: the caller's error).
                        done = true;
                        break;
                    }
                    b'}' | b']' => {
                        depth -= 1;
                        if depth == 0 {
                            i += 1;
                            done = true;
                            break;
                        }
                    }
                    b' ' | b'\t' | b'\r' | b'\n' if depth == 0 && started => {
                        done = true;
                        break;
                    }
                    _ => {}
                }
                started = true;
                i += 1;
            }
            let taken = &buf[..i];
            if keep && !self.too_long {
                if self.record.len() + taken.len() > MAX_LINE_BYTES {
                    self.too_long = true;
                } else {
                    self.record.extend_from_slice(taken);
                }
            }
            match memchr::memrchr(b'\n', taken) {
                Some(k) => {
                    self.line += memchr::memchr_iter(b'\n', taken).count() as u64;
                    self.column = (taken.len() - k) as u64;
                }
                None => self.column += taken.len() as u64,
            }
            self.reader.consume(i);
            if done {
                if !started && !in_string && depth == 0 && i == 0 {
                    // No value at all: let the caller report the byte.
                    return match self.skip_blanks()? {
                        Some(b) => Err(Stop::Unexpected("a value", b)),
                        None => Err(Stop::Eof),
                    };
                }
                return Ok(());
            }
        }
    }
}

struct RecordBatcher<'a> {
    send: &'a mut dyn FnMut(Body) -> Result<(), Closed>,
    /// Number of the next record.
    next: u64,
    /// Number of the first record in the batch.
    first: u64,
    text: String,
    ends: Vec<usize>,
}

impl RecordBatcher<'_> {
    fn push(&mut self, record: &str) -> Result<(), Closed> {
        compact_into(record, &mut self.text);
        self.ends.push(self.text.len());
        self.next += 1;
        if self.text.len() >= BATCH_BYTES {
            self.flush()?;
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<(), Closed> {
        if self.ends.is_empty() {
            return Ok(());
        }
        let text = std::mem::replace(&mut self.text, String::with_capacity(BATCH_BYTES));
        let ends = std::mem::take(&mut self.ends);
        let first = self.first;
        self.first = self.next;
        (self.send)(Body::Records { first, text, ends })
    }
}

/// Appends `json` without the blanks between its tokens (keys, escapes and numbers as written).
pub fn compact_into(json: &str, out: &mut String) {
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
        } else if is_blank(b) {
            out.push_str(&json[from..i]);
            from = i + 1;
        }
    }
    out.push_str(&json[from..]);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compact_removes_blanks_outside_strings_only() {
        let mut out = String::new();
        compact_into(
            "{ \"a b\" : [ 1 ,\n 2 ] , \"c\\\" d\" : \" x \" }",
            &mut out,
        );
        assert_eq!(out, r#"{"a b":[1,2],"c\" d":" x "}"#);
    }

    #[test]
    fn records_key_detection() {
        assert_eq!(starts_with_records_key(b" \n{ \"Records\": ["), Some(true));
        assert_eq!(starts_with_records_key(b"{\"Rec"), None);
        assert_eq!(starts_with_records_key(b"{\"eventName\""), Some(false));
        assert_eq!(starts_with_records_key(b"ERROR x"), Some(false));
        assert_eq!(starts_with_records_key(b"  "), None);
    }
}
