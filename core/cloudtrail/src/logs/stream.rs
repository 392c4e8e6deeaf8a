//! The format layer: recognises what a stream holds and walks it, one record per step.

use std::collections::VecDeque;
use std::fmt;
use std::io::Read;
use std::ops::Range;
use std::sync::{Arc, LazyLock, Mutex};

use polonius_the_crab::prelude::*;

use super::decode::{Base64, GZIP_MAGIC, Gunzip, Shared, StringContent, base64_prefix};
use super::fast::{self, Check, Rules};
use super::lex::{Shape, note};
use super::source::{DEFAULT_BUFFER, Fatal, Meter, Problem, ReadBuffer, Sink, Source};
use super::{Item, Location, Options, Record, Skip, SkipKind};

/// How many encodings (base64, `awslogs.data`) may be nested inside one another.
const MAX_LEVEL: u8 = 3;
/// How many gzip layers may wrap one another.
const MAX_GZIP: u8 = 3;
/// Keys longer than this are never one of the keys looked for.
const KEY_LIMIT: usize = 64;
/// How many times the fast path reads more input for one record before it leaves the record
/// to the detailed scanner (a reader that hands out a few bytes per call).
const FAST_TRIES: usize = 4;

/// Where the walk is.
enum State<'a> {
    /// Nothing read yet: decompression and format still to be recognised.
    Start,
    /// Between top-level values.
    Top,
    /// Inside a top-level object, before a member (`first`: right after `{`).
    Members {
        first: bool,
    },
    /// Inside a `Records` / `logEvents` / `events` array.
    Array(ArrayState),
    /// Inside an `awslogs` object, before a member.
    Awslogs {
        first: bool,
    },
    /// Reading the records of `awslogs.data`, which holds this stream's source meanwhile.
    Nested(Box<Stream<'a>>, Arc<Mutex<Shared<'a>>>),
    /// The whole rest of the input is base64: its decoded stream reads it.
    Delegate(Box<Stream<'a>>),
    Done,
}

#[derive(Clone, Copy)]
struct ArrayState {
    /// Log events (`control`: of a `CONTROL_MESSAGE`) rather than `Records`.
    events: bool,
    control: bool,
    /// Elements started so far.
    index: u64,
    /// An element is due (after `[` or `,`) rather than `,` or `]`.
    expect_element: bool,
    first: bool,
}

/// The top-level object being read.
#[derive(Default)]
struct TopObject {
    line: u64,
    byte: u64,
    /// A key that makes it a container (`Records`, …) was met: it is no record itself.
    container: bool,
    /// `"messageType":"CONTROL_MESSAGE"` was met.
    control: bool,
    /// The first problem met while it could still be a record.
    problem: Option<Problem>,
}

/// Records from one input: see [`read_stream`](super::read_stream).
pub struct Stream<'a> {
    name: String,
    options: Options,
    buffer: usize,
    level: u8,
    /// Said after byte offsets in messages: in which decoded data they count.
    context: &'static str,
    meter: Meter,
    src: Option<Source<'a>>,
    gzip_layers: u8,
    state: State<'a>,
    obj: TopObject,
    /// Line and byte where the top-level value being read starts.
    value: Option<(u64, u64)>,
    /// Index and byte of the array element being read.
    element: Option<(u64, u64)>,
    queue: VecDeque<Item>,
    key: Sink,
    scratch: Sink,
    message: Sink,
    /// Records are first tried on the fast path (off only to test it against the detailed
    /// scanner).
    fast: bool,
    /// [`Options::text_lines`]: lines that are no JSON record are records of text.
    text: bool,
    /// A JSON value may not span lines (ranges of a file read on their own).
    line_values: bool,
    /// Lines begun in the input, counted when the stream ends.
    lines_read: u64,
    /// With `line_values`: a line was met that one stream reads otherwise (see
    /// [`line_needs_stream`]).
    needs_stream: bool,
    /// The line [`Stream::next_ref`] lent last, consumed on the next call.
    lent: Option<Lent>,
    /// What [`Stream::next_sifted`] knows of the lines ahead.
    sifted: Sifted,
}

/// The lines a [`Sieve`] sifted: see [`Stream::next_sifted`].
#[derive(Debug, Default)]
pub(crate) struct Sifted {
    /// The sieve that sifted them (another sifts the lines again).
    by: Option<Sieve>,
    /// Stream offsets of the block sifted last: its first byte, and the byte after its last
    /// line.
    from: u64,
    to: u64,
    /// The lines of that block the sieve wants (ranges in the block), and whether each holds a
    /// container key in quotes; those before `next` are behind the read position.
    lines: Vec<(Range<usize>, bool)>,
    next: usize,
    /// Records of the lines passed over, never lent.
    passed: u64,
    /// Stream offset up to which the bytes are known to be valid UTF-8 (each byte is validated
    /// once, however many lines read as usual cut its run of lines).
    valid_to: u64,
}

impl Sifted {
    /// The lines of `region` (whole lines at stream offset `offset`) up to the first that holds
    /// invalid UTF-8 (it and those after it are read as usual), validating only the bytes not
    /// validated yet.
    fn valid_lines<'r>(&mut self, region: &'r [u8], offset: u64) -> &'r [u8] {
        let known = usize::try_from(self.valid_to.saturating_sub(offset))
            .unwrap_or(usize::MAX)
            .min(region.len());
        let rest = region.get(known..).unwrap_or_default();
        let valid = match simdutf8::basic::from_utf8(rest) {
            Ok(_) => region.len(),
            Err(_) => {
                let error = simdutf8::compat::from_utf8(rest).err();
                known + error.map_or(rest.len(), |e| e.valid_up_to())
            }
        };
        self.valid_to = self.valid_to.max(offset + valid as u64);
        if valid == region.len() {
            return region;
        }
        let before = region.get(..valid).unwrap_or_default();
        let whole_lines = memchr::memrchr(b'\n', before).map_or(0, |i| i + 1);
        region.get(..whole_lines).unwrap_or_default()
    }

    /// Sifts `block` (whole lines, the first at stream offset `from`) with `sieve`, in place of
    /// the block sifted before (what is validated and the records passed over stay).
    fn sift(&mut self, sieve: &Sieve, block: &[u8], from: u64) {
        self.lines.clear();
        self.next = 0;
        self.by = Some(sieve.clone());
        sieve.filter.lines(block, &mut self.lines);
        self.from = from;
        self.to = from + block.len() as u64;
    }

    /// Whether the lines sifted are `sieve`'s, for the line at stream offset `offset` on.
    fn holds(&self, sieve: &Sieve, offset: u64) -> bool {
        (self.from..self.to).contains(&offset) && self.by.as_ref().is_some_and(|by| by.is(sieve))
    }

    /// Whether `sieve` sifted out the line of `len` bytes at stream offset `offset`: it is in
    /// the block sifted, and no line the sieve wants starts before its end.
    fn sifted_out(&mut self, sieve: &Sieve, offset: u64, len: u64) -> bool {
        self.holds(sieve, offset)
            && self
                .wanted(offset)
                .is_none_or(|(line, _)| line > offset + len)
    }

    /// The next wanted line at or after stream offset `offset`: its offset, and whether it
    /// holds a container key in quotes.
    fn wanted(&mut self, offset: u64) -> Option<(u64, bool)> {
        loop {
            let (line, marked) = self.lines.get(self.next)?;
            let at = self.from + line.start as u64;
            if at >= offset {
                return Some((at, *marked));
            }
            self.next += 1;
        }
    }
}

/// Which lines of a line-oriented input may hold a record that a set of patterns matches, found
/// with one search of each block of lines read: [`Stream::next_sifted`] lends only those, and
/// passes over the others, counting their records, without looking at them one by one.
///
/// ```
/// use trailmatch::PatternSet;
/// use trailmatch_cloudtrail::logs::{read_stream, Next, Options, Sieve};
///
/// let set = PatternSet::new([r#"{ $.eventName = "ConsoleLogin" }"#]).unwrap();
/// let sieve = Sieve::new(&set).unwrap();
/// let input = concat!(
///     "{\"eventName\":\"GetObject\"}\n",
///     "{\"eventName\":\"ConsoleLogin\"}\n",
///     "{\"Records\":[{\"eventName\":\"PutObject\"}]}\n",
/// );
/// let options = Options { text_lines: true, ..Options::default() };
/// let mut stream = read_stream("trail.log", input.as_bytes(), options);
/// let mut seen = Vec::new();
/// while let Some(next) = stream.next_sifted(&sieve) {
///     match next {
///         Next::Line(record) => seen.push(record.json.to_owned()),
///         Next::Item(item) => seen.push(format!("{item:?}")),
///     }
/// }
/// // The first line was passed over; the container was read as without a sieve.
/// assert_eq!(seen.len(), 2);
/// assert_eq!(seen[0], r#"{"eventName":"ConsoleLogin"}"#);
/// assert!(seen[1].contains("PutObject"));
/// assert_eq!(stream.passed(), 1);
/// ```
#[derive(Clone, Debug)]
pub struct Sieve {
    /// Shared by the sieve's clones: one is the other ([`Sieve::is`]).
    filter: Arc<trailmatch::LineFilter>,
}

impl Sieve {
    /// The sieve of a set of filter patterns; `None` when some pattern may match a record
    /// without any text the set's prefilter can search for (then every line must be read).
    pub fn new(set: &trailmatch::PatternSet) -> Option<Sieve> {
        Sieve::with(|markers| set.line_filter(markers))
    }

    /// The sieve of a set of EventBridge event patterns matched against the records as they are
    /// (not wrapped in an envelope); `None` as for [`Sieve::new`].
    pub fn for_event_patterns(set: &trailmatch::EventPatternSet) -> Option<Sieve> {
        Sieve::with(|markers| set.line_filter(markers))
    }

    /// The sieve of the line filter `filter` builds with the markers: each container key in
    /// quotes (`"Records"`), so that a line holding one as written is read as without a sieve.
    fn with(filter: impl FnOnce(&[&str]) -> Option<trailmatch::LineFilter>) -> Option<Sieve> {
        let quoted: Vec<String> = (fast::CONTAINER_KEYS.iter())
            .map(|key| format!("\"{}\"", String::from_utf8_lossy(key)))
            .collect();
        let markers: Vec<&str> = quoted.iter().map(String::as_str).collect();
        filter(&markers).map(|filter| Sieve {
            filter: Arc::new(filter),
        })
    }

    /// Whether `other` is this sieve (or a clone of it).
    pub(crate) fn is(&self, other: &Sieve) -> bool {
        Arc::ptr_eq(&self.filter, &other.filter)
    }

    /// The lines of `block` (whole lines, the first at stream offset `from`) sifted, and their
    /// UTF-8 validated, as a stream sifts the lines it reads: on the thread that read them
    /// ahead, so that the one that reads the stream does neither ([`Stream::lines_read_ahead`]).
    pub(crate) fn sift(&self, block: &[u8], from: u64) -> Sifted {
        let mut sifted = Sifted {
            valid_to: from,
            ..Sifted::default()
        };
        sifted.sift(self, block, from);
        sifted.valid_lines(block, from);
        sifted
    }
}

/// A line lent by [`Stream::next_ref`]: its record's bytes in the buffer, the line's length
/// (without its line feed), its number and the offset of its first byte.
struct Lent {
    range: Range<usize>,
    len: usize,
    line: u64,
    byte: u64,
}

/// How far the line at the read position goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum LineEnd {
    /// This many bytes, without the line feed (the input may end there).
    Found(usize),
    /// Past the read buffer.
    TooLong,
    /// Cut by a read that failed before the line ended (kept for when reading reaches it).
    Cut,
    /// No line: the input has ended.
    End,
}

/// What [`Stream::next_ref`] gives.
#[derive(Debug)]
pub enum Next<'s> {
    /// A record that is one whole line, lent from the read buffer.
    Line(LineRecord<'s>),
    /// Any other record or skip, as [`Iterator::next`] gives it.
    Item(Item),
}

/// A record that is one whole line of its input (see [`Stream::next_ref`]); its location is the
/// stream's file, this line and this byte, as an [`Item::Record`] of it would say.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LineRecord<'s> {
    /// The record's text: the line without its indentation and trailing blanks.
    pub json: &'s str,
    /// 1-based line.
    pub line: u64,
    /// Offset of the line's first byte.
    pub byte: u64,
}

impl fmt::Debug for Stream<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Stream")
            .field("name", &self.name)
            .field("options", &self.options)
            .field("source", &self.src)
            .finish_non_exhaustive()
    }
}

impl<'a> Stream<'a> {
    pub(crate) fn new(
        name: String,
        reader: Box<dyn Read + Send + 'a>,
        options: Options,
    ) -> Stream<'a> {
        let buffer = if options.text_lines {
            text_buffer(options)
        } else {
            DEFAULT_BUFFER
        };
        Stream::with_buffer(name, reader, options, buffer)
    }

    /// A stream of lines (see [`read_range`](super::read_range)), whose first byte is at offset
    /// `origin` of the file and whose first line is numbered `first_line`; `line_values`: each
    /// read on its own, a JSON value may not span lines.
    pub(crate) fn lines(
        name: String,
        reader: Box<dyn Read + Send + 'a>,
        options: Options,
        origin: u64,
        line_values: bool,
        first_line: u64,
    ) -> Stream<'a> {
        let stream = Stream::with_buffer(name, reader, options, text_buffer(options));
        stream.into_lines(origin, line_values, first_line)
    }

    /// [`Stream::lines`] whose first bytes, `ahead.buf[span.0..span.1]`, were read already
    /// (and maybe `sifted` by a sieve: [`Sieve::sift`]): the stream reads them in place, then
    /// goes on with `reader`.
    pub(crate) fn lines_read_ahead(
        name: String,
        ahead: ReadBuffer,
        span: (usize, usize),
        reader: Box<dyn Read + Send + 'a>,
        (options, origin): (Options, u64),
        sifted: Option<Sifted>,
    ) -> Stream<'a> {
        let (meter, buffer) = (Meter::default(), text_buffer(options));
        let limit = options.max_record_bytes;
        let src = Source::read_ahead(ahead, span, buffer, reader, limit, &meter);
        let mut stream = Stream::over(name, src, options, buffer, 0, "", meter);
        stream.sifted = sifted.unwrap_or_default();
        stream.into_lines(origin, true, 1)
    }

    fn into_lines(mut self, origin: u64, line_values: bool, first_line: u64) -> Stream<'a> {
        self.line_values = line_values;
        self.state = State::Top;
        if let Some(src) = self.src.as_mut() {
            src.set_origin(origin);
            src.set_first_line(first_line.max(1));
        }
        self
    }

    /// A stream whose read buffers have `buffer` bytes.
    pub(crate) fn with_buffer(
        name: String,
        reader: Box<dyn Read + Send + 'a>,
        options: Options,
        buffer: usize,
    ) -> Stream<'a> {
        Stream::layer(name, reader, options, buffer, 0, "", Meter::default())
    }

    fn layer(
        name: String,
        reader: Box<dyn Read + Send + 'a>,
        options: Options,
        buffer: usize,
        level: u8,
        context: &'static str,
        meter: Meter,
    ) -> Stream<'a> {
        let src = Source::new(reader, buffer, options.max_record_bytes, &meter);
        Stream::over(name, src, options, buffer, level, context, meter)
    }

    /// A stream reading `src`, whose buffer has `buffer` bytes.
    fn over(
        name: String,
        src: Source<'a>,
        options: Options,
        buffer: usize,
        level: u8,
        context: &'static str,
        meter: Meter,
    ) -> Stream<'a> {
        let options = Options {
            max_depth: options.max_depth.max(1),
            ..options
        };
        Stream {
            name,
            options,
            buffer,
            level,
            context,
            key: Sink::new(KEY_LIMIT, &meter),
            scratch: Sink::new(KEY_LIMIT, &meter),
            message: Sink::new(options.max_record_bytes, &meter),
            meter,
            src: Some(src),
            gzip_layers: 0,
            fast: true,
            text: options.text_lines,
            line_values: false,
            lines_read: 0,
            needs_stream: false,
            lent: None,
            sifted: Sifted::default(),
            state: State::Start,
            obj: TopObject::default(),
            value: None,
            element: None,
            queue: VecDeque::new(),
        }
    }

    /// The same stream with the fast path off: every record goes through the detailed scanner.
    #[cfg(test)]
    pub(crate) fn detailed_only(mut self) -> Stream<'a> {
        self.fast = false;
        self
    }

    /// The most bytes of read buffers and record text held at once so far, by this stream and
    /// the decoders under it (the decompressor's fixed state not included).
    pub fn peak_buffer_bytes(&self) -> usize {
        self.meter.peak()
    }

    /// The number of lines the input holds (a last line without a line feed counts), once the
    /// stream has ended; 0 before.
    pub fn lines_read(&self) -> u64 {
        self.lines_read
    }

    /// For [`read_range`](super::read_range): whether a line was met that one stream reads
    /// otherwise than on its own, so that the rest of the file from the range's start must be read with
    /// [`read_from`](super::read_from) instead.
    pub fn needs_stream(&self) -> bool {
        self.needs_stream
    }

    fn location(&self, line: Option<u64>, record: Option<u64>, byte: Option<u64>) -> Location {
        place(&self.name, line, record, byte)
    }

    /// The location of what is being read: the array element, else the top-level value.
    fn here(&self) -> Location {
        match (self.element, self.value) {
            (Some((index, byte)), _) => self.location(None, Some(index), Some(byte)),
            (None, Some((line, byte))) => self.location(Some(line), None, Some(byte)),
            (None, None) => {
                let byte = self.src.as_ref().map(Source::offset);
                self.location(None, None, byte)
            }
        }
    }

    fn skip(&mut self, location: Location, kind: SkipKind, message: String) {
        self.queue.push_back(Item::Skipped(Skip {
            location,
            kind,
            message,
        }));
    }

    /// "invalid JSON at byte 12: …" for a problem.
    fn explain(&self, problem: &Problem) -> String {
        format!(
            "{} at byte {}{}: {}",
            problem.kind.describe(),
            problem.at,
            self.context,
            problem.reason
        )
    }

    fn skip_problem(&mut self, location: Location, problem: &Problem) {
        let message = self.explain(problem);
        self.skip(location, problem.kind, message);
    }

    fn finish(&mut self) {
        if let Some(src) = self.src.as_mut() {
            self.lines_read = src.lines_begun();
        }
        self.state = State::Done;
        self.src = None;
    }

    /// One step of the walk; what it finds goes to the queue.
    fn step(&mut self) -> Result<(), Fatal> {
        match std::mem::replace(&mut self.state, State::Done) {
            State::Start => self.start(),
            State::Top => self.top(),
            State::Members { first } => self.members(first),
            State::Array(array) => self.array(array),
            State::Awslogs { first } => self.awslogs(first),
            State::Nested(mut nested, shared) => {
                if let Some(item) = nested.next() {
                    self.queue.push_back(item);
                    self.state = State::Nested(nested, shared);
                    return Ok(());
                }
                drop(nested);
                let (source, done) = match shared.lock() {
                    Ok(mut shared) => (shared.source.take(), shared.done),
                    Err(_) => (None, false),
                };
                let Some(mut src) = source else {
                    self.finish();
                    return Ok(());
                };
                let rest = if done {
                    Ok(None)
                } else {
                    src.string_rest(None)
                };
                self.src = Some(src);
                rest?;
                self.state = State::Awslogs { first: false };
                Ok(())
            }
            State::Delegate(mut inner) => {
                if let Some(item) = inner.next() {
                    self.queue.push_back(item);
                    self.state = State::Delegate(inner);
                }
                Ok(())
            }
            State::Done => Ok(()),
        }
    }

    /// Recognises compression and format from the first bytes.
    fn start(&mut self) -> Result<(), Fatal> {
        let Some(mut src) = self.src.take() else {
            return Ok(());
        };
        loop {
            if let Err(fatal) = src.fill(2) {
                self.src = Some(src);
                return Err(fatal);
            }
            if !src.avail().starts_with(&GZIP_MAGIC) || self.gzip_layers >= MAX_GZIP {
                break;
            }
            self.gzip_layers += 1;
            src = Source::new(
                Box::new(Gunzip::new(src)),
                self.buffer,
                self.options.max_record_bytes,
                &self.meter,
            );
        }
        self.src = Some(src);
        let Some(src) = self.src.as_mut() else {
            return Ok(());
        };
        src.fill(3)?;
        if src.avail().starts_with(b"\xEF\xBB\xBF") {
            src.advance(3);
        }
        if self.text {
            src.mark_line_start();
            return self.text_start();
        }
        src.skip_ws()?;
        src.fill(6)?;
        let avail = src.avail();
        let at = src.offset();
        let Some(&first) = avail.first() else {
            self.finish();
            return Ok(());
        };
        if let Some(format) = unsupported_compression(avail) {
            self.refuse_compression(format, at);
            return Ok(());
        }
        let payload =
            base64_prefix(avail).is_some_and(|[a, b, _]| [a, b] == GZIP_MAGIC || a == b'{');
        if payload {
            return self.start_base64();
        }
        if !first.is_ascii_graphic() {
            let message = format!(
                "the data starts with byte 0x{first:02X}, which begins none of the supported formats"
            );
            self.skip(
                self.location(None, None, Some(at)),
                SkipKind::UnknownFormat,
                message,
            );
            self.finish();
            return Ok(());
        }
        self.state = State::Top;
        Ok(())
    }

    /// The rest of the input is base64 (after whitespace): its decoded stream reads it.
    fn start_base64(&mut self) -> Result<(), Fatal> {
        let at = self.src.as_ref().map_or(0, Source::offset);
        if self.level >= MAX_LEVEL {
            let message = format!("base64 data nested more than {MAX_LEVEL} encodings deep");
            self.skip(
                self.location(None, None, Some(at)),
                SkipKind::NestingTooDeep,
                message,
            );
            self.finish();
            return Ok(());
        }
        let Some(src) = self.src.take() else {
            return Ok(());
        };
        let mut inner = Stream::layer(
            self.name.clone(),
            Box::new(Base64::new(src)),
            self.options,
            self.buffer,
            self.level + 1,
            " of the base64-decoded data",
            self.meter.clone(),
        );
        inner.fast = self.fast;
        self.state = State::Delegate(Box::new(inner));
        Ok(())
    }

    /// Compression other than gzip at byte `at`: one `unknown-format` skip, and the input ends.
    fn refuse_compression(&mut self, format: &str, at: u64) {
        let message = format!("{format} data is not supported (only gzip is)");
        self.skip(
            self.location(None, None, Some(at)),
            SkipKind::UnknownFormat,
            message,
        );
        self.finish();
    }

    /// Text mode, at the start: compression other than gzip is refused, base64 is decoded, and
    /// anything else is read as lines.
    fn text_start(&mut self) -> Result<(), Fatal> {
        let Some(src) = self.src.as_mut() else {
            return Ok(());
        };
        // No more than the magic bytes need: standard input may be a live stream whose first
        // line is short, and it must be searched before more arrives.
        src.fill(6)?;
        let avail = src.avail();
        let at = src.offset();
        if avail.is_empty() {
            self.finish();
            return Ok(());
        }
        if let Some(format) = unsupported_compression(avail) {
            self.refuse_compression(format, at);
            return Ok(());
        }
        let blank = avail.iter().take_while(|&&b| is_ws(b)).count();
        if avail.get(blank..).is_some_and(text_base64) {
            src.skip_ws()?;
            self.text = false;
            let result = self.start_base64();
            if let State::Delegate(inner) = &mut self.state {
                inner.text = true;
            }
            return result;
        }
        self.state = State::Top;
        Ok(())
    }

    /// Text mode: one line. A line that starts with `{` and is one valid object is a record
    /// (read on the fast path); one that holds a container, or starts a JSON value that goes
    /// on over the next lines, is read as without text mode; an export line is read as one; any
    /// other line is a record of its text.
    fn text_line(&mut self) -> Result<(), Fatal> {
        self.element = None;
        self.value = None;
        let limit = self.options.max_record_bytes;
        let max_depth = self.options.max_depth;
        let line_values = self.line_values;
        let end = self.buffer_line()?;
        let len = match end {
            LineEnd::Found(len) => Some(len),
            LineEnd::TooLong | LineEnd::Cut => None,
            LineEnd::End => {
                self.finish();
                return Ok(());
            }
        };
        let Some(src) = self.src.as_mut() else {
            return Ok(());
        };
        let (line, byte) = (src.line(), src.offset());
        // What a stream's buffer holds (bytes read ahead may hold more).
        let avail = src.window();
        let Some(len) = len else {
            // Longer than the read buffer, so than any record, or cut by a failed read: a JSON
            // document on one line (a CloudTrail log file) is read as such (up to the failure,
            // reported where reading reaches it), anything else is too large or fails.
            if opens_object(avail) {
                self.needs_stream |= line_values;
                return self.json_top();
            }
            if end == LineEnd::Cut {
                let have = avail.len();
                return src.fill(have + 1);
            }
            return self.long_line(line, byte);
        };
        let whole = avail.get(..len).unwrap_or_default();
        let text = whole.strip_suffix(b"\r").unwrap_or(whole);
        let Some(indent) = text.iter().position(|&b| !is_ws(b)) else {
            src.advance(len);
            src.skip_line()?;
            return Ok(());
        };
        let body = text.get(indent..).unwrap_or_default();
        let location = place(&self.name, Some(line), None, Some(byte));
        let plain = plain_record(whole, limit, Known::Nothing).and_then(|r| whole.get(r));
        if let Some(Ok(json)) = plain.map(simdutf8::basic::from_utf8) {
            // Plainly one object on its line that holds no container key: the event is the
            // line; whether it is valid JSON is the matcher's to find (an invalid one is text).
            let json = json.to_owned();
            return self.line_record(location, json, len);
        }
        if body.first() == Some(&b'{') {
            // Off the fast path (rare in JSON Lines): whether one stream reads the line so.
            if line_values && line_needs_stream(text, self.options) {
                self.needs_stream = true;
            }
            let rules = Rules {
                max_depth,
                one_line: true,
                top_level: true,
            };
            let json = match fast::object(body, rules) {
                Check::Valid(end) if end <= limit => {
                    let rest = body.get(end..).unwrap_or_default();
                    rest.iter().all(|&b| is_ws(b)).then(|| body.get(..end))
                }
                Check::Valid(_) => None,
                Check::Incomplete if !line_values => return self.json_top(),
                Check::Incomplete => None,
                Check::Unsure => match one_value(body) {
                    Value::Object => return self.json_top(),
                    Value::Incomplete if !line_values => return self.json_top(),
                    // A container whose records are not all valid: read as one, so that the
                    // good records are found and the bad ones reported.
                    Value::Other if first_key_container(body) => return self.json_top(),
                    _ => None,
                },
            };
            if let Some(Some(json)) = json {
                if let Ok(json) = std::str::from_utf8(json) {
                    let json = json.to_owned();
                    return self.line_record(location, json, len);
                }
            }
        } else if body.first().is_some_and(u8::is_ascii_digit) {
            if let Some((length, timestamp)) = export_record(body) {
                src.advance_in_line(indent + length);
                return self.export_line(line, byte, timestamp);
            }
        }
        let event = if text.len() > limit {
            Err((
                SkipKind::RecordTooLarge,
                format!(
                    "the line is {} bytes, more than the limit of {limit} bytes",
                    text.len()
                ),
            ))
        } else {
            match std::str::from_utf8(text) {
                Ok(text) => Ok(text.to_owned()),
                Err(e) => Err((
                    SkipKind::InvalidUtf8,
                    format!("invalid UTF-8 at byte {} of the line", e.valid_up_to()),
                )),
            }
        };
        src.advance_in_line(len);
        src.skip_line()?;
        match event {
            Ok(json) => {
                self.meter.touch(json.len());
                self.queue.push_back(Item::Record(Record {
                    location,
                    json,
                    timestamp_ms: None,
                    text: true,
                }));
            }
            Err((kind, message)) => self.skip(location, kind, message),
        }
        Ok(())
    }

    /// The record that is the line of `len` bytes at the read position (its text `json`), and
    /// the reading goes on after the line.
    fn line_record(&mut self, location: Location, json: String, len: usize) -> Result<(), Fatal> {
        self.meter.touch(json.len());
        if let Some(src) = self.src.as_mut() {
            src.advance_in_line(len);
            src.skip_line()?;
        }
        self.queue.push_back(Item::Record(Record {
            location,
            json,
            timestamp_ms: None,
            text: false,
        }));
        Ok(())
    }

    /// Text mode, at a line start: buffers the whole line and says how long it is (without its
    /// line feed).
    fn buffer_line(&mut self) -> Result<LineEnd, Fatal> {
        let Some(src) = self.src.as_mut() else {
            return Ok(LineEnd::End);
        };
        loop {
            if let Some(i) = memchr::memchr(b'\n', src.window()) {
                return Ok(LineEnd::Found(i));
            }
            if src.is_full() {
                return Ok(LineEnd::TooLong);
            }
            if src.at_eof() {
                return Ok(match src.avail().len() {
                    0 => LineEnd::End,
                    n => LineEnd::Found(n),
                });
            }
            let have = src.avail().len();
            if !src.fill_ahead(have + 1)? {
                return Ok(LineEnd::Cut);
            }
        }
    }

    /// Text mode, between values: when the next line is plainly one record ([`plain_record`]),
    /// notes it in `self.lent` (it stays in the buffer until [`Stream::settle`]) and returns
    /// true; false when [`Stream::text_line`] must read it. Whether it is valid UTF-8 is for
    /// [`Stream::lent_record`] to say. `known`: what the sieve found of the line's container
    /// keys, or that the caller looks for them ([`Stream::next_ref_keys_unsearched`]).
    fn lend_line(&mut self, known: Known) -> Result<bool, Fatal> {
        if !self.between_lines() {
            return Ok(false);
        }
        let LineEnd::Found(len) = self.buffer_line()? else {
            return Ok(false);
        };
        let Some(src) = self.src.as_mut() else {
            return Ok(false);
        };
        let whole = src.avail().get(..len).unwrap_or_default();
        let Some(range) = plain_record(whole, self.options.max_record_bytes, known) else {
            return Ok(false);
        };
        self.lent = Some(Lent {
            range,
            len,
            line: src.line(),
            byte: src.offset(),
        });
        Ok(true)
    }

    /// Text mode on its fast path, at the start of a line between values: where a line may be
    /// lent or passed over.
    fn between_lines(&mut self) -> bool {
        let at_line_start = self.src.as_mut().is_some_and(|src| src.at_line_start());
        self.text && self.fast && at_line_start && matches!(self.state, State::Top)
    }

    /// Consumes the line lent by [`Stream::next_ref`], if any.
    fn settle(&mut self) {
        let (Some(lent), Some(src)) = (self.lent.take(), self.src.as_mut()) else {
            return;
        };
        src.advance_in_line(lent.len);
        if let Err(fatal) = src.skip_line() {
            self.on_fatal(fatal);
        }
    }

    /// The next record or skip, as [`Iterator::next`] gives them, except that a record which is
    /// one whole line of a line-oriented input in text mode ([`Options::text_lines`]: grep's
    /// reading, and [`read_range`](super::read_range)) is lent from the read buffer instead of
    /// copied: the fast way through JSON Lines.
    ///
    /// ```
    /// use trailmatch_cloudtrail::logs::{read_stream, Next, Options};
    ///
    /// let input = "{\"eventName\":\"GetObject\"}\nnot json\n";
    /// let options = Options { text_lines: true, ..Options::default() };
    /// let mut stream = read_stream("app.log", input.as_bytes(), options);
    /// let mut lines = Vec::new();
    /// while let Some(next) = stream.next_ref() {
    ///     match next {
    ///         Next::Line(record) => lines.push((record.line, record.json.to_owned())),
    ///         Next::Item(item) => lines.push((0, format!("{item:?}"))),
    ///     }
    /// }
    /// assert_eq!(lines[0], (1, r#"{"eventName":"GetObject"}"#.to_owned()));
    /// assert!(lines[1].1.contains("not json"));
    /// ```
    pub fn next_ref(&mut self) -> Option<Next<'_>> {
        self.next_lent(None, Known::Nothing, None)
            .map(|(next, _)| next)
    }

    /// What [`Stream::next_ref`] gives, except that the lines `sieve` finds no pattern can
    /// match are passed over: neither lent nor given as items; [`Stream::passed`] counts their
    /// records. A line passed over is one that [`Stream::next_ref`] would have lent or given as
    /// a record of text (a plain object, or a line of text, valid UTF-8 and within the record
    /// limit) or a blank line; any other line (a container, a document over several lines,
    /// invalid UTF-8, too long, a CloudWatch Logs export line) is read as without a sieve, and so
    /// is any input that is not read as lines.
    pub fn next_sifted(&mut self, sieve: &Sieve) -> Option<Next<'_>> {
        self.next_lent(Some(sieve), Known::Nothing, None)
            .map(|(next, _)| next)
    }

    /// Records of lines [`Stream::next_sifted`] passed over.
    pub fn passed(&self) -> u64 {
        self.sifted.passed
    }

    /// What [`Stream::next_ref`] gives, except that a line is lent without looking for a
    /// container key (`"Records"`, …) in it: the caller reads the lines it is lent with a check
    /// of its own, and must not take one whose object has a container key at the top level (or
    /// a top-level key with an escape, which may spell one) for a record. Scan's range workers
    /// do so: classification walks every top-level key anyway (its fast path refuses those keys),
    /// and a range with a line off that path is read again as a stream.
    ///
    /// With each, whether `sieve` sifted it out: a line that `sieve` (or a clone of it) sifted on
    /// the thread that read it ahead ([`super::Ranges::sifting`]) and found no pattern of its set
    /// can match. The stream sifts nothing itself and passes nothing over; any other line, and
    /// every item, is not sifted out.
    pub(crate) fn next_ref_keys_unsearched(
        &mut self,
        sieve: Option<&Sieve>,
    ) -> Option<(Next<'_>, bool)> {
        self.next_lent(None, Known::ByCaller, sieve)
    }

    fn next_lent(
        &mut self,
        sieve: Option<&Sieve>,
        unsifted: Known,
        tell: Option<&Sieve>,
    ) -> Option<(Next<'_>, bool)> {
        self.settle();
        let mut this = self;
        loop {
            if let Some(item) = this.queue.pop_front() {
                return Some((Next::Item(item), false));
            }
            if matches!(this.state, State::Done) {
                return None;
            }
            if let Some(sieve) = sieve {
                if let Err(fatal) = this.pass_unwanted(sieve) {
                    this.on_fatal(fatal);
                    continue;
                }
            }
            // A line the sieve found no quoted container key in needs no other look for one.
            let offset = this.src.as_ref().map(Source::offset);
            let unmarked = sieve.is_some()
                && offset.is_some_and(|at| this.sifted.wanted(at) == Some((at, false)));
            let known = if unmarked { Known::Unquoted } else { unsifted };
            match this.lend_line(known) {
                Ok(true) => {
                    let lent = this.lent.as_ref().map(|lent| (lent.byte, lent.len as u64));
                    let sifted_out = tell
                        .zip(lent)
                        .is_some_and(|(sieve, (at, len))| this.sifted.sifted_out(sieve, at, len));
                    // The line's text is checked once, here: lent when it is valid UTF-8 (the
                    // borrow returned on one path only is what `polonius!` lets through),
                    // read as usual otherwise.
                    polonius!(|this| -> Option<(Next<'polonius>, bool)> {
                        if let Some(record) = this.lent_record() {
                            polonius_return!(Some((Next::Line(record), sifted_out)));
                        }
                    });
                    this.lent = None;
                }
                Ok(false) => {}
                Err(fatal) => {
                    this.on_fatal(fatal);
                    continue;
                }
            }
            if let Err(fatal) = this.step() {
                this.on_fatal(fatal);
            }
        }
    }

    /// The line [`Stream::lend_line`] noted, when it is valid UTF-8.
    fn lent_record(&mut self) -> Option<LineRecord<'_>> {
        let lent = self.lent.as_ref()?;
        let bytes = self.src.as_ref()?.avail().get(lent.range.clone())?;
        let json = simdutf8::basic::from_utf8(bytes).ok()?;
        self.element = None;
        self.value = None;
        Some(LineRecord {
            json,
            line: lent.line,
            byte: lent.byte,
        })
    }

    /// Text mode, at a line start between values: passes over the lines up to the next one the
    /// sieve wants (sifting the buffered lines first when none are sifted), as long as each is
    /// one [`passed_records`] can count; stops before the first that must be read as usual.
    fn pass_unwanted(&mut self, sieve: &Sieve) -> Result<(), Fatal> {
        if !self.between_lines() {
            return Ok(());
        }
        let Some(src) = self.src.as_mut() else {
            return Ok(());
        };
        let sifted = &mut self.sifted;
        loop {
            let offset = src.offset();
            if !sifted.holds(sieve, offset) {
                // The whole lines buffered. More input only where reading line by line asks
                // for it too (no whole line is buffered), as much as that asks for (one read
                // of a file fills the buffer): a failing read below is kept, as reading line by
                // line keeps it, for where reading reaches it after the lines before it.
                let avail = src.avail();
                if memchr::memchr(b'\n', avail).is_none() && !src.at_eof() && !src.is_full() {
                    let have = avail.len();
                    src.fill_ahead(have + 1)?;
                }
                // Whole lines of what a stream's buffer holds (bytes read ahead may hold more:
                // a line longer than that is read as usual, as without them).
                let avail = src.window();
                let len = if src.at_eof() && !src.is_full() {
                    avail.len()
                } else {
                    memchr::memrchr(b'\n', avail).map_or(0, |i| i + 1)
                };
                if len == 0 {
                    return Ok(());
                }
                sifted.sift(sieve, avail.get(..len).unwrap_or_default(), offset);
            }
            let until = sifted.wanted(offset).map_or(sifted.to, |(at, _)| at);
            let Some(region) = usize::try_from(until.saturating_sub(offset))
                .ok()
                .and_then(|n| src.avail().get(..n))
                .filter(|region| !region.is_empty())
            else {
                return Ok(());
            };
            let whole = region.len();
            let region = sifted.valid_lines(region, offset);
            let limits = (self.options.max_record_bytes, src.window_size());
            let (used, records, lines) = passable(region, limits);
            if used > 0 {
                if region.get(used - 1) == Some(&b'\n') {
                    src.advance_lines(used, lines);
                } else {
                    src.advance(used);
                }
                sifted.passed += records;
                self.element = None;
                self.value = None;
            }
            // At a line to read as usual, or at the end of the block: the next is sifted.
            if used < whole || until < sifted.to {
                return Ok(());
            }
        }
    }

    /// Text mode: a line longer than the read buffer, skipped.
    fn long_line(&mut self, line: u64, byte: u64) -> Result<(), Fatal> {
        let Some(src) = self.src.as_mut() else {
            return Ok(());
        };
        let bytes = src.skip_line()?;
        let limit = self.options.max_record_bytes;
        let location = place(&self.name, Some(line), None, Some(byte));
        let message = format!("the line is {bytes} bytes, more than the limit of {limit} bytes");
        self.skip(location, SkipKind::RecordTooLarge, message);
        Ok(())
    }

    /// Between top-level values: a record or container object, an export line, or junk.
    fn top(&mut self) -> Result<(), Fatal> {
        self.element = None;
        self.value = None;
        if self.text {
            self.state = State::Top;
            let Some(src) = self.src.as_mut() else {
                return Ok(());
            };
            if src.at_line_start() {
                return self.text_line();
            }
            // After a value: the rest of its line.
            src.skip_blanks()?;
            match src.peek()? {
                Some(b'\n') => {
                    src.advance(1);
                    return Ok(());
                }
                None => {
                    self.finish();
                    return Ok(());
                }
                Some(_) => {}
            }
        }
        self.json_top()
    }

    /// Between top-level values, read as JSON.
    fn json_top(&mut self) -> Result<(), Fatal> {
        let Some(src) = self.src.as_mut() else {
            return Ok(());
        };
        src.skip_ws()?;
        let Some(b) = src.peek()? else {
            self.finish();
            return Ok(());
        };
        let (line, byte) = (src.line(), src.offset());
        self.value = Some((line, byte));
        if b == b'{' {
            self.obj = TopObject {
                line,
                byte,
                ..TopObject::default()
            };
            let rules = Rules {
                max_depth: self.options.max_depth,
                one_line: true,
                top_level: true,
            };
            if let Some(json) = self.fast_record(rules)? {
                let location = self.location(Some(line), None, Some(byte));
                self.queue.push_back(Item::Record(Record {
                    location,
                    json,
                    timestamp_ms: None,
                    text: false,
                }));
                self.value = None;
                self.state = State::Top;
                return Ok(());
            }
            let Some(src) = self.src.as_mut() else {
                return Ok(());
            };
            src.record.clear();
            src.recording = true;
            src.advance(1);
            src.guard_lines = true;
            self.state = State::Members { first: true };
            return Ok(());
        }
        if b.is_ascii_digit() {
            src.fill(40)?;
            if let Some((length, timestamp)) = export_prefix(src.avail()) {
                src.advance(length);
                return self.export_line(line, byte, timestamp);
            }
        }
        // A line that starts with `{` inside the value is a fault there (a stray `[` line of
        // JSON Lines must not swallow the record on the next line).
        src.guard_lines = true;
        let scanned = src.value(self.options.max_depth)?;
        src.guard_lines = false;
        let location = self.location(Some(line), None, Some(byte));
        match scanned.problem {
            Some(problem) => self.skip_problem(location, &problem),
            None => {
                let message = format!("expected a JSON object, found {}", scanned.shape.describe());
                self.skip(location, SkipKind::NotAnObject, message);
            }
        }
        self.resync(line)?;
        self.state = State::Top;
        Ok(())
    }

    /// The rest of an export line after its timestamp: one record.
    fn export_line(&mut self, line: u64, byte: u64, timestamp: i64) -> Result<(), Fatal> {
        let Some(src) = self.src.as_mut() else {
            return Ok(());
        };
        src.skip_blanks()?;
        let location = place(&self.name, Some(line), None, Some(byte));
        if matches!(src.peek()?, None | Some(b'\n')) {
            let message = "the line has a timestamp but no message".to_owned();
            self.skip(location, SkipKind::InvalidJson, message);
            return self.resync(line).map(|()| self.state = State::Top);
        }
        src.record.clear();
        src.recording = true;
        src.guard_lines = true;
        let scanned = src.value(self.options.max_depth);
        src.recording = false;
        src.guard_lines = false;
        if src.line() != line {
            // The message went on past its line (cut short, or a value over several lines):
            // where it ends is for one stream to find (a range read on its own ends there).
            self.needs_stream |= self.line_values;
        }
        if scanned.is_err() {
            // The value begun on this line: a fault found on the next one (a record cut short
            // before a line that starts with `{`) resumes there, not after it.
            self.value = Some((line, byte));
            self.obj = TopObject {
                line,
                byte,
                ..TopObject::default()
            };
        }
        let scanned = scanned?;
        src.skip_blanks()?;
        let trailing = match src.peek()? {
            None | Some(b'\n') => None,
            Some(_) => Some(src.offset()),
        };
        let record = if let Some(problem) = scanned.problem {
            Err((problem.kind, self.explain(&problem)))
        } else if let Some(at) = trailing {
            Err((
                SkipKind::InvalidJson,
                format!(
                    "invalid JSON at byte {at}{}: text after the record",
                    self.context
                ),
            ))
        } else {
            self.take_record(scanned.shape)
        };
        match record {
            Ok(json) => self.queue.push_back(Item::Record(Record {
                location,
                json,
                timestamp_ms: Some(timestamp),
                text: false,
            })),
            Err((kind, message)) => {
                self.skip(location, kind, message);
                self.resync(line)?;
            }
        }
        self.state = State::Top;
        Ok(())
    }

    /// The fast path: when the object at the read position lies wholly in the buffer (after
    /// reading more if need be) and is plainly a valid record under `rules`, consumes it and
    /// returns its text. Otherwise (`None`) nothing is consumed and the detailed scanner reads
    /// it, finding the same record or saying exactly what is wrong with it.
    fn fast_record(&mut self, rules: Rules) -> Result<Option<String>, Fatal> {
        let limit = self.options.max_record_bytes;
        let Some(src) = self.src.as_mut().filter(|_| self.fast) else {
            return Ok(None);
        };
        for _ in 0..FAST_TRIES {
            match fast::object(src.avail(), rules) {
                Check::Valid(end) if end <= limit => {
                    let text = src.avail().get(..end).map(std::str::from_utf8);
                    let Some(Ok(text)) = text else {
                        return Ok(None);
                    };
                    let json = text.to_owned();
                    self.meter.touch(json.len());
                    if rules.one_line {
                        src.advance_in_line(end);
                    } else {
                        src.advance(end);
                    }
                    return Ok(Some(json));
                }
                Check::Valid(_) | Check::Unsure => return Ok(None),
                Check::Incomplete => {
                    let buffered = src.avail().len();
                    if src.is_full() || src.at_eof() || buffered > limit {
                        return Ok(None);
                    }
                    src.fill(buffered + 1)?;
                }
            }
        }
        Ok(None)
    }

    /// The fast path for a decoded log event message: when it is plainly one valid object
    /// between whitespace, that object's text.
    fn fast_message(&self) -> Option<String> {
        if !self.fast {
            return None;
        }
        let is_ws = |b: &u8| matches!(b, b' ' | b'\t' | b'\n' | b'\r');
        let message = self.message.as_bytes();
        let start = message.iter().position(|b| !is_ws(b))?;
        let text = message.get(start..)?;
        let rules = Rules {
            max_depth: self.options.max_depth,
            one_line: false,
            top_level: false,
        };
        let Check::Valid(end) = fast::object(text, rules) else {
            return None;
        };
        if !text.get(end..)?.iter().all(is_ws) {
            return None;
        }
        let json = std::str::from_utf8(text.get(..end)?).ok()?.to_owned();
        self.meter.touch(json.len());
        Some(json)
    }

    /// The captured text as a record, or why it is none.
    fn take_record(&mut self, shape: Shape) -> Result<String, (SkipKind, String)> {
        let Some(src) = self.src.as_mut() else {
            return Err((SkipKind::Unreadable, "the input is gone".to_owned()));
        };
        src.recording = false;
        if src.record.overflow {
            let total = src.record.total;
            src.record.clear();
            let limit = self.options.max_record_bytes;
            return Err((
                SkipKind::RecordTooLarge,
                format!("the record is {total} bytes, more than the limit of {limit} bytes"),
            ));
        }
        if shape != Shape::Object {
            src.record.clear();
            return Err((
                SkipKind::NotAnObject,
                format!("expected a JSON object, found {}", shape.describe()),
            ));
        }
        String::from_utf8(src.record.take()).map_err(|e| {
            let at = e.utf8_error().valid_up_to();
            (
                SkipKind::InvalidUtf8,
                format!("invalid UTF-8 at byte {at} of the record"),
            )
        })
    }

    /// A member of a top-level object, or its end.
    fn members(&mut self, first: bool) -> Result<(), Fatal> {
        let Some(src) = self.src.as_mut() else {
            return Ok(());
        };
        src.skip_ws()?;
        match src.peek()? {
            None => return Err(src.fatal("unexpected end of input inside an object")),
            Some(b'}') => {
                src.advance(1);
                return self.finish_object();
            }
            Some(b',') if !first => src.advance(1),
            Some(_) if first => {}
            Some(b) => {
                let found = super::lex::show_byte(b);
                return Err(src.fatal(format!("expected ',' or '}}', found {found}")));
            }
        }
        let key_problem = src.key(Some(&mut self.key))?;
        let next = src.peek()?;
        let key = if self.key.overflow {
            &b""[..]
        } else {
            self.key.as_bytes()
        };
        let array = |events| ArrayState {
            events,
            control: self.obj.control,
            index: 0,
            expect_element: true,
            first: true,
        };
        let container = match (key, next) {
            (b"Records", Some(b'[')) => Some(State::Array(array(false))),
            (b"logEvents" | b"events", Some(b'[')) => Some(State::Array(array(true))),
            (b"awslogs", Some(b'{')) => Some(State::Awslogs { first: true }),
            _ => None,
        };
        let message_type = key == b"messageType" && next == Some(b'"');
        // A CloudTrail digest file (log file validation) lists log files, not records.
        let digest = key == b"logFiles" && next == Some(b'[');
        if let Some(state) = container {
            src.advance(1);
            note(&mut self.obj.problem, key_problem);
            self.enter_container();
            self.state = state;
            return Ok(());
        }
        if digest {
            self.enter_container();
        }
        let Some(src) = self.src.as_mut() else {
            return Ok(());
        };
        let problem = if message_type {
            self.scratch.clear();
            let problem = src.string(Some(&mut self.scratch))?;
            self.obj.control |= self.scratch.as_bytes() == b"CONTROL_MESSAGE";
            problem
        } else {
            src.value(self.options.max_depth.saturating_sub(1))?.problem
        };
        let problem = key_problem.or(problem);
        if self.obj.container {
            if let Some(problem) = problem {
                self.skip_problem(self.location(None, None, Some(problem.at)), &problem);
            }
        } else {
            note(&mut self.obj.problem, problem);
        }
        self.state = State::Members { first: false };
        Ok(())
    }

    /// The top-level object turns out to hold records: it is no record itself.
    fn enter_container(&mut self) {
        if self.obj.container {
            return;
        }
        self.obj.container = true;
        if let Some(src) = self.src.as_mut() {
            src.recording = false;
            src.guard_lines = false;
            src.record.clear();
        }
        if let Some(problem) = self.obj.problem.take() {
            self.skip_problem(self.location(None, None, Some(problem.at)), &problem);
        }
    }

    /// After the closing brace of a top-level object.
    fn finish_object(&mut self) -> Result<(), Fatal> {
        self.state = State::Top;
        self.value = None;
        if let Some(src) = self.src.as_mut() {
            src.guard_lines = false;
        }
        if self.obj.container {
            return Ok(());
        }
        let location = self.location(Some(self.obj.line), None, Some(self.obj.byte));
        let record = match self.obj.problem.take() {
            Some(problem) => {
                if let Some(src) = self.src.as_mut() {
                    src.recording = false;
                    src.record.clear();
                }
                Err((problem.kind, self.explain(&problem)))
            }
            None => self.take_record(Shape::Object),
        };
        match record {
            Ok(json) => self.queue.push_back(Item::Record(Record {
                location,
                json,
                timestamp_ms: None,
                text: false,
            })),
            Err((kind, message)) => self.skip(location, kind, message),
        }
        Ok(())
    }

    /// One element of a `Records` / `logEvents` / `events` array, or its punctuation.
    fn array(&mut self, mut array: ArrayState) -> Result<(), Fatal> {
        let Some(src) = self.src.as_mut() else {
            return Ok(());
        };
        src.skip_ws()?;
        let Some(mut b) = src.peek()? else {
            return Err(src.fatal("unexpected end of input inside an array"));
        };
        if !array.expect_element && b == b',' {
            // The comma and the element after it in one step.
            src.advance(1);
            array.expect_element = true;
            src.skip_ws()?;
            b = match src.peek()? {
                Some(b) => b,
                None => return Err(src.fatal("unexpected end of input inside an array")),
            };
        }
        if !array.expect_element || (array.first && b == b']') {
            match b {
                b']' => {
                    src.advance(1);
                    self.element = None;
                    self.state = State::Members { first: false };
                    return Ok(());
                }
                _ => {
                    let found = super::lex::show_byte(b);
                    return Err(src.fatal(format!("expected ',' or ']', found {found}")));
                }
            }
        }
        array.index += 1;
        array.first = false;
        array.expect_element = false;
        let byte = src.offset();
        self.element = Some((array.index, byte));
        let location = place(&self.name, None, Some(array.index), Some(byte));
        let rules = Rules {
            max_depth: self.options.max_depth,
            one_line: false,
            top_level: false,
        };
        if array.events {
            self.event(location, array.control)?;
        } else if let Some(json) = self.fast_record(rules)? {
            self.queue.push_back(Item::Record(Record {
                location,
                json,
                timestamp_ms: None,
                text: false,
            }));
        } else {
            let Some(src) = self.src.as_mut() else {
                return Ok(());
            };
            src.record.clear();
            src.recording = true;
            let scanned = src.value(self.options.max_depth);
            src.recording = false;
            let scanned = scanned?;
            let record = match scanned.problem {
                Some(problem) => Err((problem.kind, self.explain(&problem))),
                None => self.take_record(scanned.shape),
            };
            match record {
                Ok(json) => self.queue.push_back(Item::Record(Record {
                    location,
                    json,
                    timestamp_ms: None,
                    text: false,
                })),
                Err((kind, message)) => self.skip(location, kind, message),
            }
        }
        self.element = None;
        self.state = State::Array(array);
        Ok(())
    }

    /// One log event `{"id":…,"timestamp":…,"message":"…"}`: its message is the record.
    fn event(&mut self, location: Location, control: bool) -> Result<(), Fatal> {
        let Some(src) = self.src.as_mut() else {
            return Ok(());
        };
        let depth = self.options.max_depth;
        if src.peek()? != Some(b'{') {
            let scanned = src.value(depth)?;
            if !control {
                let message = match &scanned.problem {
                    Some(problem) => self.explain(problem),
                    None => format!(
                        "a log event must be an object, found {}",
                        scanned.shape.describe()
                    ),
                };
                let kind = scanned.problem.map_or(SkipKind::InvalidEvent, |p| p.kind);
                self.skip(location, kind, message);
            }
            return Ok(());
        }
        src.advance(1);
        let mut problem = None;
        let mut has_message = false;
        let mut timestamp = None;
        let mut first = true;
        loop {
            src.skip_ws()?;
            match src.peek()? {
                Some(b'}') => {
                    src.advance(1);
                    break;
                }
                Some(b',') if !first => src.advance(1),
                Some(_) if first => {}
                Some(b) => {
                    let found = super::lex::show_byte(b);
                    return Err(src.fatal(format!("expected ',' or '}}', found {found}")));
                }
                None => return Err(src.fatal("unexpected end of input inside a log event")),
            }
            first = false;
            note(&mut problem, src.key(Some(&mut self.key))?);
            let next = src.peek()?;
            let key = if self.key.overflow {
                &b""[..]
            } else {
                self.key.as_bytes()
            };
            match (key, next) {
                (b"message", Some(b'"')) => {
                    self.message.clear();
                    note(&mut problem, src.string(Some(&mut self.message))?);
                    has_message = true;
                }
                (b"timestamp", Some(b'-' | b'0'..=b'9')) => {
                    self.scratch.clear();
                    note(&mut problem, src.number(Some(&mut self.scratch))?);
                    timestamp = std::str::from_utf8(self.scratch.as_bytes())
                        .ok()
                        .and_then(|text| text.parse::<i64>().ok());
                }
                _ => note(&mut problem, src.value(depth)?.problem),
            }
        }
        if control {
            return Ok(());
        }
        let record = if let Some(problem) = problem {
            Err((problem.kind, self.explain(&problem)))
        } else if !has_message {
            Err((
                SkipKind::InvalidEvent,
                "the log event has no string \"message\"".to_owned(),
            ))
        } else if self.message.overflow {
            let (total, limit) = (self.message.total, self.options.max_record_bytes);
            Err((
                SkipKind::RecordTooLarge,
                format!("the message is {total} bytes, more than the limit of {limit} bytes"),
            ))
        } else {
            self.message_record()
        };
        self.message.clear();
        match record {
            Ok((json, text)) => self.queue.push_back(Item::Record(Record {
                location,
                json,
                timestamp_ms: timestamp,
                text,
            })),
            Err((kind, message)) => self.skip(location, kind, message),
        }
        Ok(())
    }

    /// The decoded message as a record: one JSON object, surrounding whitespace dropped. In text
    /// mode ([`Options::text_lines`]) any other message is a record of its text as it is, as a
    /// line of text is: CloudWatch Logs matches a filter pattern against the message, whatever
    /// it holds.
    fn message_record(&mut self) -> Result<(String, bool), (SkipKind, String)> {
        if let Some(json) = self.fast_message() {
            return Ok((json, false));
        }
        if !self.options.text_lines {
            return self.message_json().map(|json| (json, false));
        }
        let text = if opens_object(self.message.as_bytes()) {
            let text = self.message.as_bytes().to_vec();
            if let Ok(json) = self.message_json() {
                return Ok((json, false));
            }
            text
        } else {
            self.message.take()
        };
        self.meter.touch(text.len());
        String::from_utf8(text)
            .map(|text| (text, true))
            .map_err(|_| (SkipKind::InvalidUtf8, "the message is not UTF-8".to_owned()))
    }

    /// The decoded message as a JSON record: one JSON object, surrounding whitespace dropped.
    fn message_json(&mut self) -> Result<String, (SkipKind, String)> {
        let mut text = Source::from_bytes(self.message.take(), &self.meter);
        let in_message = |problem: Problem| {
            let what = problem.kind.describe();
            let (at, reason) = (problem.at, problem.reason);
            (
                problem.kind,
                format!("{what} at byte {at} of the message: {reason}"),
            )
        };
        let scanned = text.skip_ws().and_then(|()| {
            let start = text.offset();
            text.value(self.options.max_depth).map(|s| (start, s))
        });
        let (start, scanned) = match scanned {
            Ok(found) => found,
            Err(Fatal::Syntax(problem)) => return Err(in_message(problem)),
            Err(_) => return Err((SkipKind::InvalidJson, "unreadable message".to_owned())),
        };
        if let Some(problem) = scanned.problem {
            return Err(in_message(problem));
        }
        let end = text.offset();
        if text.skip_ws().is_err() || !text.avail().is_empty() {
            return Err((
                SkipKind::InvalidJson,
                format!(
                    "invalid JSON at byte {} of the message: text after the value",
                    text.offset()
                ),
            ));
        }
        if scanned.shape != Shape::Object {
            let found = scanned.shape.describe();
            return Err((
                SkipKind::NotAnObject,
                format!("the message is {found}, not a JSON object"),
            ));
        }
        let mut bytes = text.into_bytes();
        bytes.truncate(usize::try_from(end).unwrap_or(usize::MAX));
        bytes.drain(..usize::try_from(start).unwrap_or(0).min(bytes.len()));
        String::from_utf8(bytes)
            .map_err(|_| (SkipKind::InvalidUtf8, "the message is not UTF-8".to_owned()))
    }

    /// A member of an `awslogs` object: `data` is read as a nested stream.
    fn awslogs(&mut self, first: bool) -> Result<(), Fatal> {
        let Some(src) = self.src.as_mut() else {
            return Ok(());
        };
        src.skip_ws()?;
        match src.peek()? {
            None => return Err(src.fatal("unexpected end of input inside an object")),
            Some(b'}') => {
                src.advance(1);
                self.state = State::Members { first: false };
                return Ok(());
            }
            Some(b',') if !first => src.advance(1),
            Some(_) if first => {}
            Some(b) => {
                let found = super::lex::show_byte(b);
                return Err(src.fatal(format!("expected ',' or '}}', found {found}")));
            }
        }
        let key_problem = src.key(Some(&mut self.key))?;
        let is_data = !self.key.overflow && self.key.as_bytes() == b"data";
        let at = src.offset();
        let next = src.peek()?;
        if is_data && next == Some(b'"') && self.level < MAX_LEVEL {
            src.advance(1);
            let Some(src) = self.src.take() else {
                return Ok(());
            };
            let shared = Arc::new(Mutex::new(Shared {
                source: Some(src),
                done: false,
            }));
            let content = StringContent {
                shared: Arc::clone(&shared),
            };
            let mut nested = Stream::layer(
                self.name.clone(),
                Box::new(Base64::new(content)),
                self.options,
                self.buffer,
                self.level + 1,
                " of the decoded awslogs.data",
                self.meter.clone(),
            );
            nested.fast = self.fast;
            self.state = State::Nested(Box::new(nested), shared);
            return Ok(());
        }
        let scanned = src.value(self.options.max_depth)?;
        let location = self.location(None, None, Some(at));
        if let Some(problem) = key_problem.or(scanned.problem) {
            self.skip_problem(self.location(None, None, Some(problem.at)), &problem);
        } else if is_data && next == Some(b'"') {
            let message = format!("awslogs.data nested more than {MAX_LEVEL} encodings deep");
            self.skip(location, SkipKind::NestingTooDeep, message);
        } else if is_data {
            let found = scanned.shape.describe();
            let message = format!("awslogs.data must be a base64 string, found {found}");
            self.skip(location, SkipKind::InvalidBase64, message);
        }
        self.state = State::Awslogs { first: false };
        Ok(())
    }

    /// After a skip in a top-level value begun on `line`: when the value began on the current
    /// line, skips the rest of it; else (a multi-line document) skips to the next line that
    /// starts with `{` or a digit. Returns what was skipped, for the message.
    fn resync(&mut self, line: u64) -> Result<(), Fatal> {
        self.resync_report(line).map(|_| ())
    }

    /// [`Stream::resync`], and what it skipped, for the message.
    fn resync_report(&mut self, line: u64) -> Result<String, Fatal> {
        let Some(src) = self.src.as_mut() else {
            return Ok(String::new());
        };
        src.recording = false;
        src.record.clear();
        let from = src.offset();
        let context = self.context;
        if src.line() == line {
            src.skip_line()?;
            // Text is read a line at a time: the rest of a line is said alike whatever follows
            // it, and the skip's location gives the line's number (a range of a file read on
            // its own ends where the file does not, and numbers its lines from 1).
            if self.text {
                return Ok("skipped the rest of the line".to_owned());
            }
            if src.peek()?.is_none() {
                return Ok(format!(
                    "skipped the rest of the input from byte {from}{context}"
                ));
            }
            return Ok(format!("skipped the rest of line {line}"));
        }
        // The fault may have been found at the start of a line that starts a new value (a
        // line cut short, then the next one): go on from there.
        if src.at_line_start() && matches!(src.peek()?, Some(b'{' | b'0'..=b'9')) {
            return Ok(format!("skipped to line {}", src.line()));
        }
        loop {
            src.skip_line()?;
            match src.peek()? {
                None => {
                    return Ok(format!(
                        "skipped the rest of the input from byte {from}{context}"
                    ));
                }
                Some(b'{' | b'0'..=b'9') => return Ok(format!("skipped to line {}", src.line())),
                Some(_) => {}
            }
        }
    }

    /// A step failed: report it, and resynchronise or stop.
    fn on_fatal(&mut self, fatal: Fatal) {
        let mut location = self.here();
        // Between the elements of an array: the place of the fault says more than the file's
        // first line.
        if let (None, Some(_), Fatal::Syntax(problem)) = (self.element, self.value, &fatal) {
            if self.obj.container {
                location = self.location(None, None, Some(problem.at));
            }
        }
        let line = self.value.map(|(line, _)| line);
        self.element = None;
        self.value = None;
        if let Some(src) = self.src.as_mut() {
            src.recording = false;
            src.guard_lines = false;
            src.record.clear();
        }
        match fatal {
            Fatal::Dead => self.finish(),
            Fatal::Read(layer) => {
                let lost = match location.byte {
                    Some(byte) if line.is_some() => {
                        format!("; the value begun at byte {byte}{} is lost", self.context)
                    }
                    _ => String::new(),
                };
                self.skip(location, layer.kind, format!("{}{lost}", layer.message));
                self.finish();
            }
            Fatal::Syntax(problem) => {
                let explained = self.explain(&problem);
                let current_line = self.src.as_mut().map_or(0, Source::line);
                match self.resync_report(line.unwrap_or(current_line)) {
                    Ok(skipped) => {
                        self.skip(location, problem.kind, format!("{explained}; {skipped}"));
                        self.state = State::Top;
                    }
                    Err(again) => {
                        self.skip(location, problem.kind, explained);
                        self.on_fatal(again);
                    }
                }
            }
        }
    }
}

impl Iterator for Stream<'_> {
    type Item = Item;

    fn next(&mut self) -> Option<Item> {
        self.settle();
        loop {
            if let Some(item) = self.queue.pop_front() {
                return Some(item);
            }
            if matches!(self.state, State::Done) {
                return None;
            }
            if let Err(fatal) = self.step() {
                self.on_fatal(fatal);
            }
        }
    }
}

fn place(file: &str, line: Option<u64>, record: Option<u64>, byte: Option<u64>) -> Location {
    Location {
        file: file.to_owned(),
        line,
        record,
        byte,
    }
}

/// A CloudWatch Logs export line starts with the event's timestamp and one space
/// (`2020-09-14T00:44:23.000Z {…}`): its length with the space, and the time.
fn export_prefix(line: &[u8]) -> Option<(usize, i64)> {
    let head = line.get(..line.len().min(40))?;
    let space = head.iter().position(|&b| b == b' ')?;
    let stamp = std::str::from_utf8(head.get(..space)?).ok()?;
    if !stamp.contains(['T', 't']) {
        return None;
    }
    Some((space + 1, crate::time::parse(stamp)?))
}

/// [`export_prefix`] of a line whose message is an object (after blanks): an export line that
/// text mode reads as one.
fn export_record(line: &[u8]) -> Option<(usize, i64)> {
    export_prefix(line).filter(|&(length, _)| {
        let message = line.get(length..).unwrap_or_default();
        message.iter().find(|&&b| b != b' ' && b != b'\t') == Some(&b'{')
    })
}

/// Compressed formats other than gzip, by their magic bytes.
fn unsupported_compression(head: &[u8]) -> Option<&'static str> {
    const MAGIC: [(&[u8], &str); 4] = [
        (b"PK\x03\x04", "zip"),
        (b"BZh", "bzip2"),
        (b"\xFD7zXZ\x00", "xz"),
        (b"\x28\xB5\x2F\xFD", "zstd"),
    ];
    MAGIC
        .iter()
        .find(|(magic, _)| head.starts_with(magic))
        .map(|&(_, name)| name)
}

#[cfg(test)]
thread_local! {
    /// Tests: text buffers of the record limit and 64 bytes (at least the smallest buffer), so
    /// that short inputs hold lines longer than a stream's buffer.
    pub(crate) static SMALL_TEXT_BUFFERS: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// The read buffer of a stream in text mode: a whole line up to the record limit must fit.
pub(crate) fn text_buffer(options: Options) -> usize {
    #[cfg(test)]
    if SMALL_TEXT_BUFFERS.with(std::cell::Cell::get) {
        return options
            .max_record_bytes
            .saturating_add(64)
            .max(super::source::MIN_BUFFER);
    }
    options
        .max_record_bytes
        .saturating_add(64 * 1024)
        .max(DEFAULT_BUFFER)
}

/// True when the first byte of `bytes` after JSON blanks is `{`.
fn opens_object(bytes: &[u8]) -> bool {
    bytes.iter().find(|&&b| !is_ws(b)) == Some(&b'{')
}

fn is_ws(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r')
}

/// In text mode, base64 is recognised only when it decodes to gzip (`H4sI`) or to `{` and a
/// quote or whitespace, so that a line of text that happens to start with base64 digits
/// (`example: …`) stays a line.
fn text_base64(text: &[u8]) -> bool {
    base64_prefix(text).is_some_and(|[a, b, c]| {
        [a, b, c] == [GZIP_MAGIC[0], GZIP_MAGIC[1], 8]
            || (a == b'{' && (b == b'"' || is_ws(b) || b == b'}'))
    })
}

/// The record of a line (`whole`, without its line feed) that is plainly one object on its own:
/// after blanks it starts with `{`, it ends with `}` before blanks, holds no container key
/// ([`needs_checking`], told what is `known` of its keys; with [`Known::ByCaller`] the caller
/// checks them) and is no longer than `limit`. Whether it is valid JSON is the matcher's to find
/// (in text mode an invalid one is a record of text all the same).
fn plain_record(whole: &[u8], limit: usize, known: Known) -> Option<Range<usize>> {
    let text = whole.strip_suffix(b"\r").unwrap_or(whole);
    let indent = text.iter().position(|&b| !is_ws(b))?;
    let body = text.get(indent..)?;
    if body.first() != Some(&b'{') || text.len() > limit {
        return None;
    }
    if needs_checking(body, known) {
        return None;
    }
    Some(indent..indent + trim_blanks_end(body).len())
}

/// `text` without the JSON blanks (space, tab, LF, CR) at its end. (`trim_ascii_end` also takes
/// form feeds, which JSON does not allow after a value.)
fn trim_blanks_end(text: &[u8]) -> &[u8] {
    let end = text.iter().rposition(|&b| !is_ws(b)).map_or(0, |i| i + 1);
    text.get(..end).unwrap_or_default()
}

/// How many bytes of `region` (whole lines, valid UTF-8, that the sieve passes over) are lines
/// that [`passed_records`] can count with the record limit `limit` and that a stream's buffer
/// of `window` bytes holds whole (lines sifted ahead may be longer: [`Sieve::sift`]), their
/// records and their line feeds; the lines from the first that cannot be counted so are read
/// as usual.
fn passable(region: &[u8], (limit, window): (usize, usize)) -> (usize, u64, u64) {
    let (mut used, mut records, mut lines) = (0, 0, 0);
    let mut rest = region;
    while !rest.is_empty() {
        let (whole, next, feed) = match memchr::memchr(b'\n', rest) {
            Some(i) => (rest.get(..i).unwrap_or_default(), i + 1, 1),
            None => (rest, rest.len(), 0),
        };
        // A line and its line feed fill the buffer at most (a last line without one, which
        // only a stream's own buffer holds, is less than the buffer then: `pass_unwanted`).
        if next > window {
            break;
        }
        let Some(n) = passed_records(whole, limit) else {
            break;
        };
        records += n;
        lines += feed;
        used += next;
        rest = rest.get(next..).unwrap_or_default();
    }
    (used, records, lines)
}

/// The records that text mode reads from a line (`whole`, without its line feed; valid UTF-8,
/// holding no container key in quotes, as [`Sieve`] looks for them, and no `\u` escape, as the
/// line filter reports every line holding one) on its fast path: none for a blank line, one for a
/// plain object ([`plain_record`]) or a line of text; `None` when the line must be read as usual
/// (longer than `limit`, an object that is not plain, an export line).
fn passed_records(whole: &[u8], limit: usize) -> Option<u64> {
    let text = whole.strip_suffix(b"\r").unwrap_or(whole);
    let Some(indent) = text.iter().position(|&b| !is_ws(b)) else {
        return Some(0);
    };
    if text.len() > limit {
        return None;
    }
    let body = text.get(indent..).unwrap_or_default();
    match body.first() {
        Some(b'{') => (!needs_checking(body, Known::NoKey)).then_some(1),
        Some(b) if b.is_ascii_digit() => export_record(body).is_none().then_some(1),
        _ => Some(1),
    }
}

/// Whether a line that starts with `{` must be checked as JSON to be read right: it does not end
/// with `}` (it may start a document over several lines), or holds a key that may make it a
/// container (`"Records"`, `"logEvents"`, `"events"`, `"awslogs"`, `"logFiles"`: all end in
/// `s"`) or an escape that may spell one; `known` tells what need not be looked for.
fn needs_checking(line: &[u8], known: Known) -> bool {
    let trimmed = trim_blanks_end(line);
    if trimmed.last() != Some(&b'}') {
        return true;
    }
    if matches!(known, Known::NoKey | Known::ByCaller) {
        return false;
    }
    let escapes = memchr::memchr(b'\\', trimmed).is_some();
    if known == Known::Unquoted && !escapes {
        return false;
    }
    let container_key = |i: usize| {
        // The text up to the `s` at `i`.
        let before = trimmed.get(..=i).unwrap_or_default();
        if !escapes {
            // Without an escape in the line a key is written as it is: a container key is
            // there in full, after its opening quote.
            return fast::CONTAINER_KEYS.iter().any(|k| {
                before.ends_with(k)
                    && before.len() > k.len()
                    && before.get(before.len() - k.len() - 1) == Some(&b'"')
            });
        }
        // The key that ends at `i`, from its opening quote, decoded when it has an escape.
        // (An invalid escape fails to decode: the line is no valid JSON, and is read as the
        // first key of an object is, by `first_key_container`.)
        quoted_before(trimmed, i + 1).is_some_and(container_key_quoted)
    };
    KEY_END_S.find_iter(trimmed).any(container_key)
        || (escapes && ESCAPED_S.find(trimmed).is_some())
}

/// What is known of a line's container keys before [`needs_checking`] looks for them.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Known {
    /// Nothing.
    Nothing,
    /// None in quotes as written ([`Sieve`] looked for them); one may be spelled with escapes.
    Unquoted,
    /// None at all: none in quotes, and no `\u` escape (the line filter reports every line
    /// holding one), the only escape that makes a letter: a line the sieve passes over.
    NoKey,
    /// Not looked for: the caller of [`Stream::next_ref_keys_unsearched`] checks the record's
    /// top-level keys itself.
    ByCaller,
}

/// Whether the JSON string `quoted` (quotes included) is a container key, escapes decoded (one
/// that does not decode is none).
fn container_key_quoted(quoted: &[u8]) -> bool {
    let inner = quoted
        .get(1..quoted.len().saturating_sub(1))
        .unwrap_or_default();
    if !inner.contains(&b'\\') {
        return fast::CONTAINER_KEYS.contains(&inner);
    }
    serde_json::from_slice::<String>(quoted)
        .is_ok_and(|key| fast::CONTAINER_KEYS.contains(&key.as_bytes()))
}

/// The string, quotes included, whose closing quote is at `close` in `text`: from the last quote
/// before it that no backslash escapes.
fn quoted_before(text: &[u8], close: usize) -> Option<&[u8]> {
    let mut end = close;
    loop {
        let open = memchr::memrchr(b'"', text.get(..end)?)?;
        // A quote after an odd number of backslashes is escaped: part of the string.
        let before = text.get(..open)?;
        let backslashes = before.iter().rev().take_while(|&&b| b == b'\\').count();
        if backslashes % 2 == 0 {
            return text.get(open..=close);
        }
        end = open;
    }
}

/// Searchers built once (building one per line costs as much as the search).
static KEY_END_S: LazyLock<memchr::memmem::Finder<'static>> =
    LazyLock::new(|| memchr::memmem::Finder::new(b"s\""));
static ESCAPED_S: LazyLock<memchr::memmem::Finder<'static>> =
    LazyLock::new(|| memchr::memmem::Finder::new(b"\\u0073\""));

/// Whether the first key of the object that `body` starts (at its `{`) is a container key
/// ([`fast::CONTAINER_KEYS`]), escapes decoded.
fn first_key_container(body: &[u8]) -> bool {
    let rest = body.get(1..).unwrap_or_default();
    let blank = rest.iter().take_while(|&&b| is_ws(b)).count();
    let Some(key) = rest.get(blank..).filter(|k| k.first() == Some(&b'"')) else {
        return false;
    };
    // The closing quote: the first one not escaped.
    let mut escaped = false;
    let mut end = None;
    for (i, &b) in key.iter().enumerate().skip(1) {
        if escaped {
            escaped = false;
        } else if b == b'\\' {
            escaped = true;
        } else if b == b'"' {
            end = Some(i);
            break;
        }
    }
    end.and_then(|end| key.get(..=end))
        .is_some_and(container_key_quoted)
}

/// Whether text mode may read `line` (without its line feed) otherwise than on its own when a
/// JSON value may span lines ([`Stream::lines`] reads it as text): it starts a JSON value that
/// the line does not finish, holds a container followed by more, or one with a syntax error
/// (read with the detailed scanner, which may go on past the line), or starts with `{` and is
/// longer than the record limit.
pub(crate) fn line_needs_stream(line: &[u8], options: Options) -> bool {
    let text = line.strip_suffix(b"\r").unwrap_or(line);
    let Some(indent) = text.iter().position(|&b| !is_ws(b)) else {
        return false;
    };
    let body = text.get(indent..).unwrap_or_default();
    if body.first() != Some(&b'{') {
        return false;
    }
    if text.len() > options.max_record_bytes {
        return true;
    }
    // A plain line is read on its own (as its text when it is invalid UTF-8; otherwise it is
    // checked below as the reader checks it).
    if !needs_checking(body, Known::Nothing) && simdutf8::basic::from_utf8(body).is_ok() {
        return false;
    }
    let rules = Rules {
        max_depth: options.max_depth.max(1),
        one_line: true,
        top_level: true,
    };
    match fast::object(body, rules) {
        Check::Valid(_) => false,
        Check::Incomplete => true,
        Check::Unsure => match one_value(body) {
            // A valid container that ends on its line is read there.
            Value::Object => {
                let mut values =
                    serde_json::Deserializer::from_slice(body).into_iter::<serde::de::IgnoredAny>();
                let _ = values.next();
                let rest = body.get(values.byte_offset()..).unwrap_or_default();
                !rest.iter().all(|&b| is_ws(b))
            }
            Value::Incomplete => true,
            Value::Other => first_key_container(body),
        },
    }
}

/// For [`lines_alone`](super::lines_alone): whether `line` (without its line feed, which it
/// has) is an export line whose message goes on past it, as the reader finds when it reads on
/// past the line.
#[cfg(test)]
pub(crate) fn message_goes_on(line: &[u8], options: Options) -> bool {
    let text = line.strip_suffix(b"\r").unwrap_or(line);
    let body = text.get(text.iter().take_while(|&&b| is_ws(b)).count()..);
    let Some((body, (length, _))) = body.and_then(|b| Some((b, export_record(b)?))) else {
        return false;
    };
    let message = body.get(length..).unwrap_or_default();
    let message = message.get(
        message
            .iter()
            .take_while(|&&b| matches!(b, b' ' | b'\t'))
            .count()..,
    );
    let message = message.unwrap_or_default();
    let rules = Rules {
        max_depth: options.max_depth.max(1),
        one_line: true,
        top_level: true,
    };
    match fast::object(message, rules) {
        Check::Incomplete => true,
        Check::Valid(_) => false,
        Check::Unsure => one_value(message) == Value::Incomplete,
    }
}

/// What a line that the fast path is unsure of holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Value {
    /// A JSON value (perhaps a container), perhaps followed by more.
    Object,
    /// The start of a JSON value that the line does not finish.
    Incomplete,
    /// Anything else: text.
    Other,
}

fn one_value(line: &[u8]) -> Value {
    let mut values =
        serde_json::Deserializer::from_slice(line).into_iter::<serde::de::IgnoredAny>();
    // What follows a first valid object (another, as `cat` of log files gives, or junk) is
    // the JSON reader's to judge.
    match values.next() {
        Some(Ok(_)) => Value::Object,
        Some(Err(e)) if e.is_eof() => Value::Incomplete,
        _ => Value::Other,
    }
}

/// Whether a file whose first bytes are `head` (`more`: the file goes on) must be read as one
/// stream in text mode rather than as lines: see [`Layout`](super::Layout).
pub(crate) fn starts_whole(head: &[u8], more: bool, options: Options) -> bool {
    if head.starts_with(&GZIP_MAGIC) || unsupported_compression(head).is_some() {
        return true;
    }
    let head = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    let blank = head.iter().take_while(|&&b| is_ws(b)).count();
    let Some(rest) = head.get(blank..) else {
        return false;
    };
    if text_base64(rest) {
        return true;
    }
    if rest.first() != Some(&b'{') {
        return false;
    }
    let line = match memchr::memchr(b'\n', rest) {
        Some(i) => rest.get(..i).unwrap_or_default(),
        None if more => return true,
        None => rest,
    };
    let rules = Rules {
        max_depth: options.max_depth,
        one_line: true,
        top_level: true,
    };
    match fast::object(line, rules) {
        Check::Valid(_) => false,
        Check::Incomplete => true,
        Check::Unsure => one_value(line) != Value::Other,
    }
}
