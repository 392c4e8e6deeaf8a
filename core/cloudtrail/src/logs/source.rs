//! The byte layer under the tokenizer: a fixed-size read buffer over any reader, with the
//! stream offset and line number of the next unread byte, an optional capture of the bytes
//! consumed (one record's text), and a meter of the buffer bytes held.
//!
//! Lines are counted lazily: consuming bytes only moves the read position, and the line feeds
//! of what was consumed are counted once, when a line number is asked for or before the buffer
//! drops consumed bytes to make room.
//!
//! Decoders stacked under a [`Source`] (gzip, base64, a JSON string's content) report their
//! failures as [`LayerError`]s carried inside `io::Error`, so the tokenizer can tell a truncated
//! gzip member from bad base64 from a disk error.

use std::cell::RefCell;
use std::fmt;
use std::io::{self, BufRead, Read};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use super::SkipKind;

/// Size of a stream's read buffer.
pub(crate) const DEFAULT_BUFFER: usize = 64 * 1024;
/// The smallest read buffer: the longest look-ahead (an export line's timestamp) must fit.
pub(crate) const MIN_BUFFER: usize = 256;

/// Bytes of a cache line: the kernel copies a file's bytes into memory fastest when each byte
/// lands at an address that is the same as its offset in the file modulo this ([`aligned`]).
pub(crate) const CACHE_LINE: usize = 64;

/// Where in `buf` to read bytes from stream or file offset `offset` so that each byte lands at
/// an address equal to its offset modulo [`CACHE_LINE`]: below `CACHE_LINE`.
///
/// `read()` from the page cache copies with `rep movsb`, which is slow when the bytes come from
/// memory to a destination not aligned as their source: the criterion group
/// `read/page-cache-128MiB` (`benches/match.rs`) copies 128 MiB in 6.6 ms to where this puts
/// them, 15.0 ms 16 bytes off (the start of a buffer from `malloc`, read from a multiple of 64;
/// ranges read ahead from the byte before a MiB landed 17 bytes off) and 41.7 ms 8 bytes off,
/// on a 2-core AMD EPYC VM. `trailmatch grep -c -j 1` with the CIS filters spent 43% of its CPU
/// time in that copy before its reads were placed so; 12% after.
pub(crate) fn aligned(buf: &[u8], offset: u64) -> usize {
    // Only the remainders modulo 64 matter: the truncation of `offset` loses nothing of them.
    (offset as usize).wrapping_sub(buf.as_ptr().addr()) % CACHE_LINE
}

/// Buffer bytes held by one stream's layers now, and the most ever held at once.
#[derive(Clone, Debug, Default)]
pub(crate) struct Meter(Arc<MeterInner>);

#[derive(Debug, Default)]
struct MeterInner {
    current: AtomicUsize,
    peak: AtomicUsize,
}

impl Meter {
    fn add(&self, bytes: usize) {
        let now = self
            .0
            .current
            .fetch_add(bytes, Ordering::Relaxed)
            .saturating_add(bytes);
        self.0.peak.fetch_max(now, Ordering::Relaxed);
    }

    fn sub(&self, bytes: usize) {
        // Never below zero: every subtraction matches an earlier addition.
        let _ = self
            .0
            .current
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| {
                Some(n.saturating_sub(bytes))
            });
    }

    /// Counts `bytes` held for a moment (a record on its way out) towards the peak, without
    /// holding them: the peak is as if they were added and at once subtracted.
    pub(crate) fn touch(&self, bytes: usize) {
        let now = self.0.current.load(Ordering::Relaxed).saturating_add(bytes);
        if now > self.0.peak.load(Ordering::Relaxed) {
            self.0.peak.fetch_max(now, Ordering::Relaxed);
        }
    }

    /// The most buffer bytes held at once so far.
    pub(crate) fn peak(&self) -> usize {
        self.0.peak.load(Ordering::Relaxed)
    }
}

/// A growable byte buffer with a size limit, counted by a [`Meter`]. Past the limit it drops
/// what it holds and only counts (`overflow`), so a huge value is never held whole.
#[derive(Debug)]
pub(crate) struct Sink {
    bytes: Vec<u8>,
    limit: usize,
    /// Bytes offered since the last clear, kept or not.
    pub(crate) total: u64,
    pub(crate) overflow: bool,
    counted: usize,
    meter: Meter,
}

impl Sink {
    pub(crate) fn new(limit: usize, meter: &Meter) -> Sink {
        Sink {
            bytes: Vec::new(),
            limit,
            total: 0,
            overflow: false,
            counted: 0,
            meter: meter.clone(),
        }
    }

    pub(crate) fn push(&mut self, chunk: &[u8]) {
        self.total = self.total.saturating_add(chunk.len() as u64);
        if self.overflow {
            return;
        }
        if self.bytes.len().saturating_add(chunk.len()) > self.limit {
            self.overflow = true;
            self.bytes.clear();
            return;
        }
        self.bytes.extend_from_slice(chunk);
        self.recount();
    }

    pub(crate) fn clear(&mut self) {
        self.bytes.clear();
        self.total = 0;
        self.overflow = false;
    }

    pub(crate) fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// Hands over the bytes (the buffer goes with them) and starts empty.
    pub(crate) fn take(&mut self) -> Vec<u8> {
        let bytes = std::mem::take(&mut self.bytes);
        self.clear();
        self.recount();
        bytes
    }

    fn recount(&mut self) {
        let capacity = self.bytes.capacity();
        if capacity > self.counted {
            self.meter.add(capacity - self.counted);
        } else {
            self.meter.sub(self.counted - capacity);
        }
        self.counted = capacity;
    }
}

impl Drop for Sink {
    fn drop(&mut self) {
        self.meter.sub(self.counted);
    }
}

/// Why a layer under the tokenizer could not deliver bytes: the skip kind and a message that
/// says what and where. Travels inside `io::Error` through decoders that do not know it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct LayerError {
    pub(crate) kind: SkipKind,
    pub(crate) message: String,
    /// Already turned into a skip by a nested reader: whoever meets it again stops silently.
    pub(crate) reported: bool,
}

impl LayerError {
    pub(crate) fn new(kind: SkipKind, message: String) -> LayerError {
        LayerError {
            kind,
            message,
            reported: false,
        }
    }

    pub(crate) fn into_io(self) -> io::Error {
        io::Error::other(self)
    }

    /// The layer error inside `error`, or an `unreadable` one for a plain I/O error.
    pub(crate) fn from_io(error: &io::Error) -> LayerError {
        match error.get_ref().and_then(|e| e.downcast_ref::<LayerError>()) {
            Some(layer) => layer.clone(),
            None => LayerError::new(SkipKind::Unreadable, format!("read error: {error}")),
        }
    }
}

impl fmt::Display for LayerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for LayerError {}

/// A problem with the JSON text, at a stream offset.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Problem {
    pub(crate) kind: SkipKind,
    pub(crate) at: u64,
    pub(crate) reason: String,
}

/// Why scanning had to stop.
#[derive(Debug)]
pub(crate) enum Fatal {
    /// The layer below failed; nothing more can be read.
    Read(LayerError),
    /// The layer below failed earlier and that was reported already.
    Dead,
    /// The text cannot be followed any further at this level (structure broken, or the end).
    Syntax(Problem),
}

/// A fixed-size buffer over a reader (or over bytes already in memory).
pub(crate) struct Source<'a> {
    reader: Box<dyn Read + Send + 'a>,
    buf: Vec<u8>,
    /// The buffer's size as readers see it ([`Source::is_full`]): all of it but the room kept
    /// to place reads ([`aligned`]), except for bytes read ahead, whose buffer holds more than a
    /// stream's, and bytes in memory, which are the whole input.
    window: usize,
    /// Where the buffer goes when the source is dropped.
    home: Home,
    pos: usize,
    end: usize,
    /// Stream offset of `buf[pos]`.
    offset: u64,
    /// Line feeds are counted in `buf[..counted]` (`counted <= pos`).
    counted: usize,
    /// 1-based line of `buf[counted]`.
    line: u64,
    /// Stream offset where that line starts.
    line_start: u64,
    eof: bool,
    failed: bool,
    /// A read that failed while looking ahead ([`Source::fill_ahead`]): returned by the next
    /// [`Source::fill`] that needs bytes past those buffered.
    deferred: Option<LayerError>,
    /// When set, every consumed byte also goes to `record`.
    pub(crate) recording: bool,
    /// When set, whitespace that ends at a line starting with `{` is a fault: in JSON Lines a
    /// record cut short must not swallow the next line's record.
    pub(crate) guard_lines: bool,
    pub(crate) record: Sink,
    meter: Meter,
}

impl fmt::Debug for Source<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Source")
            .field("offset", &self.offset)
            .field("line", &self.line)
            .field("buffered", &(self.end - self.pos))
            .field("eof", &self.eof)
            .finish_non_exhaustive()
    }
}

impl<'a> Source<'a> {
    /// A source reading `reader` through a buffer of `size` bytes (and the room to place reads,
    /// [`aligned`]); records up to `record_limit`.
    pub(crate) fn new(
        reader: Box<dyn Read + Send + 'a>,
        size: usize,
        record_limit: usize,
        meter: &Meter,
    ) -> Source<'a> {
        let size = size.max(MIN_BUFFER);
        // Room to place the bytes read where they copy fastest ([`aligned`]).
        let buf = take_buffer(size.saturating_add(CACHE_LINE));
        Source::over(
            reader,
            (buf, Home::Spare),
            size,
            (0, 0),
            record_limit,
            meter,
        )
    }

    /// A source over bytes already in memory (a log event's message). All of the input is
    /// there: no line is cut by the buffer.
    pub(crate) fn from_bytes(bytes: Vec<u8>, meter: &Meter) -> Source<'a> {
        let end = bytes.len();
        let mut src = Source::over(
            Box::new(io::empty()),
            (bytes, Home::Dropped),
            usize::MAX,
            (0, end),
            0,
            meter,
        );
        src.eof = true;
        src
    }

    /// A source whose buffer, `ahead`'s, holds bytes read already in `pos..end`, followed by
    /// what `reader` reads; it reads as one with a buffer of `window` bytes would (a line
    /// longer than that is too long whatever was read ahead). The buffer goes back where it
    /// came from when the source is dropped.
    pub(crate) fn read_ahead(
        mut ahead: ReadBuffer,
        span: (usize, usize),
        window: usize,
        reader: Box<dyn Read + Send + 'a>,
        record_limit: usize,
        meter: &Meter,
    ) -> Source<'a> {
        // `ahead` is dropped empty: the source gives the buffer back.
        let (buf, home) = (std::mem::take(&mut ahead.buf), Arc::clone(&ahead.home));
        let window = window.max(MIN_BUFFER).min(buf.len());
        let home = (buf, Home::Buffers(home));
        Source::over(reader, home, window, span, record_limit, meter)
    }

    /// A source reading `buf` (which goes to `home` when the source is dropped), whose unread
    /// bytes are in `pos..end`, then `reader`.
    fn over(
        reader: Box<dyn Read + Send + 'a>,
        (buf, home): (Vec<u8>, Home),
        window: usize,
        (pos, end): (usize, usize),
        record_limit: usize,
        meter: &Meter,
    ) -> Source<'a> {
        meter.add(buf.capacity());
        let end = end.min(buf.len());
        let pos = pos.min(end);
        Source {
            reader,
            buf,
            window,
            home,
            pos,
            end,
            offset: 0,
            counted: pos,
            line: 1,
            line_start: 0,
            eof: false,
            failed: false,
            deferred: None,
            recording: false,
            guard_lines: false,
            record: Sink::new(record_limit, meter),
            meter: meter.clone(),
        }
    }

    /// Gives back the bytes of a source made by [`Source::from_bytes`].
    pub(crate) fn into_bytes(mut self) -> Vec<u8> {
        let mut bytes = std::mem::take(&mut self.buf);
        bytes.truncate(self.end);
        bytes
    }

    /// Counts offsets from `origin` (the first byte read is at that offset of a file).
    pub(crate) fn set_origin(&mut self, origin: u64) {
        self.offset = origin;
        self.line_start = origin;
    }

    /// Numbers the first line `line` (1-based).
    pub(crate) fn set_first_line(&mut self, line: u64) {
        self.count_lines();
        self.line = line;
    }

    /// Makes the next unread byte count as the start of a line (after a byte order mark).
    pub(crate) fn mark_line_start(&mut self) {
        self.count_lines();
        self.line_start = self.offset;
    }

    /// Lines begun so far: those ended by a line feed, and a last one that has bytes.
    pub(crate) fn lines_begun(&mut self) -> u64 {
        self.count_lines();
        let partial = u64::from(self.offset > self.line_start);
        self.line - 1 + partial
    }

    /// Stream offset of the next unread byte.
    pub(crate) fn offset(&self) -> u64 {
        self.offset
    }

    /// 1-based line of the next unread byte.
    pub(crate) fn line(&mut self) -> u64 {
        self.count_lines();
        self.line
    }

    /// True when the next unread byte is the first of its line.
    pub(crate) fn at_line_start(&mut self) -> bool {
        self.count_lines();
        self.offset == self.line_start
    }

    /// Counts the line feeds consumed since the last count.
    fn count_lines(&mut self) {
        let Some(chunk) = self.buf.get(self.counted..self.pos) else {
            return;
        };
        if let Some(last) = memchr::memrchr(b'\n', chunk) {
            self.line += memchr::memchr_iter(b'\n', chunk).count() as u64;
            // `chunk` ends at `pos`, whose stream offset is `offset`.
            let after = chunk.len() - last - 1;
            self.line_start = self.offset.saturating_sub(after as u64);
        }
        self.counted = self.pos;
    }

    /// True when the buffer holds no room for more bytes, unread ones only (a window's worth
    /// or more).
    pub(crate) fn is_full(&self) -> bool {
        self.end - self.pos >= self.window
    }

    /// The size of the window: what a stream's buffer holds.
    pub(crate) fn window_size(&self) -> usize {
        self.window
    }

    /// The buffered, unread bytes that a buffer of the window's size holds.
    pub(crate) fn window(&self) -> &[u8] {
        let avail = self.avail();
        avail.get(..self.window).unwrap_or(avail)
    }

    /// True when the input has ended (what is buffered is all there is).
    pub(crate) fn at_eof(&self) -> bool {
        self.eof
    }

    /// The buffered, unread bytes: more than a buffer of the window's size holds when they
    /// were read ahead, or fill the room kept to place reads ([`Source::window`] is what a
    /// stream's buffer would hold).
    pub(crate) fn avail(&self) -> &[u8] {
        self.buf.get(self.pos..self.end).unwrap_or_default()
    }

    /// Makes at least `want` bytes available unless the input ends first (`want` is capped at
    /// the buffer's whole length; the bytes read are placed by [`aligned`] unless `want` takes
    /// that room). A failed read is returned once as [`Fatal::Read`], then as [`Fatal::Dead`].
    pub(crate) fn fill(&mut self, want: usize) -> Result<(), Fatal> {
        let want = want.min(self.buf.len());
        if self.end - self.pos >= want {
            return Ok(());
        }
        if self.failed {
            return Err(Fatal::Dead);
        }
        if let Some(layer) = self.deferred.take() {
            self.failed = true;
            return Err(Fatal::Read(layer));
        }
        if self.eof {
            return Ok(());
        }
        // The unread bytes go to the front of the buffer, where the bytes read after them land
        // as the kernel copies fastest ([`aligned`]) when that leaves room for `want`.
        let buffered = self.end - self.pos;
        let to = Some(aligned(&self.buf, self.offset))
            .filter(|to| to + want <= self.buf.len())
            .unwrap_or(0);
        if self.pos != to {
            self.count_lines();
            self.buf.copy_within(self.pos..self.end, to);
            self.end = to + buffered;
            self.pos = to;
            self.counted = to;
        }
        while self.end - self.pos < want && !self.eof {
            let Some(spare) = self.buf.get_mut(self.end..) else {
                break;
            };
            let room = spare.len();
            match self.reader.read(spare) {
                Ok(0) => self.eof = true,
                Ok(n) => self.end += n.min(room),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    self.failed = true;
                    let layer = LayerError::from_io(&e);
                    return Err(if layer.reported {
                        Fatal::Dead
                    } else {
                        Fatal::Read(layer)
                    });
                }
            }
        }
        Ok(())
    }

    /// [`Source::fill`] for a look ahead: false when a read failed (or had failed while looking
    /// ahead) before `want` bytes were buffered. The failure is then kept and returned by the next
    /// `fill` that needs bytes past those buffered, so that what was read before it is still
    /// read as usual and the failure is reported where reading reaches it.
    pub(crate) fn fill_ahead(&mut self, want: usize) -> Result<bool, Fatal> {
        if self.deferred.is_some() {
            return Ok(self.end - self.pos >= want.min(self.buf.len()));
        }
        match self.fill(want) {
            Err(Fatal::Read(layer)) => {
                self.failed = false;
                self.deferred = Some(layer);
                Ok(false)
            }
            other => other.map(|()| true),
        }
    }

    /// The next byte, without consuming it; `None` at the end of the input.
    pub(crate) fn peek(&mut self) -> Result<Option<u8>, Fatal> {
        self.fill(1)?;
        Ok(self.avail().first().copied())
    }

    /// Consumes `n` buffered bytes (at most what is buffered) that hold no line feed, so that
    /// lines need not be counted in them.
    pub(crate) fn advance_in_line(&mut self, n: usize) {
        if self.counted == self.pos {
            self.counted += n.min(self.end - self.pos);
        }
        self.advance(n);
    }

    /// Consumes `n` buffered bytes (at most what is buffered) that are whole lines holding
    /// `lines` line feeds, the last their last byte, so that lines need not be counted in them.
    pub(crate) fn advance_lines(&mut self, n: usize, lines: u64) {
        self.count_lines();
        self.advance(n);
        self.counted = self.pos;
        self.line += lines;
        self.line_start = self.offset;
    }

    /// Consumes `n` buffered bytes (at most what is buffered).
    pub(crate) fn advance(&mut self, n: usize) {
        let n = n.min(self.end - self.pos);
        if self.recording {
            let chunk = self.buf.get(self.pos..self.pos + n).unwrap_or_default();
            self.record.push(chunk);
        }
        self.pos += n;
        self.offset += n as u64;
    }
}

impl Drop for Source<'_> {
    fn drop(&mut self) {
        self.meter.sub(self.buf.capacity());
        let buf = std::mem::take(&mut self.buf);
        match &self.home {
            Home::Dropped => {}
            Home::Spare => give_back_buffer(buf),
            Home::Buffers(buffers) => buffers.give_back(buf),
        }
    }
}

/// Where a source's buffer goes when the source is dropped.
enum Home {
    Dropped,
    /// To this thread's spare buffers ([`take_buffer`]).
    Spare,
    /// Back to the buffers of a read-ahead, whichever thread drops it.
    Buffers(Arc<ReadBuffers>),
}

/// A fixed number of equal buffers that one thread fills (a range of a file read ahead) and
/// others read from and give back: see [`super::ReadAhead`].
pub(crate) struct ReadBuffers {
    free: Mutex<Vec<Vec<u8>>>,
    size: usize,
    /// Buffers that may still be made.
    unmade: AtomicUsize,
}

impl fmt::Debug for ReadBuffers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReadBuffers")
            .field("size", &self.size)
            .field("unmade", &self.unmade)
            .finish_non_exhaustive()
    }
}

impl ReadBuffers {
    /// Up to `count` buffers of `size` bytes each, made as they are first needed.
    pub(crate) fn new(count: usize, size: usize) -> ReadBuffers {
        ReadBuffers {
            free: Mutex::new(Vec::new()),
            size: size.max(MIN_BUFFER),
            unmade: AtomicUsize::new(count),
        }
    }

    /// A free buffer, or a new one while fewer than the count were made; `None` when all are
    /// in use.
    pub(crate) fn take(self: &Arc<Self>) -> Option<ReadBuffer> {
        let free = self.free.lock().ok().and_then(|mut free| free.pop());
        let buf = free.or_else(|| {
            self.unmade
                .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| n.checked_sub(1))
                .ok()
                .map(|_| vec![0; self.size])
        })?;
        Some(ReadBuffer {
            buf,
            home: Arc::clone(self),
        })
    }

    fn give_back(&self, buf: Vec<u8>) {
        // Nothing resizes a source's buffer; one that came back otherwise would be lost to
        // the pool.
        debug_assert_eq!(
            buf.len(),
            self.size,
            "a read-ahead buffer came back resized"
        );
        if buf.len() == self.size {
            if let Ok(mut free) = self.free.lock() {
                free.push(buf);
            }
        }
    }
}

/// A buffer taken from [`ReadBuffers`]; it goes back to them when dropped, or with the source
/// made of it.
pub(crate) struct ReadBuffer {
    pub(crate) buf: Vec<u8>,
    home: Arc<ReadBuffers>,
}

impl fmt::Debug for ReadBuffer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReadBuffer")
            .field("len", &self.buf.len())
            .finish_non_exhaustive()
    }
}

impl Drop for ReadBuffer {
    fn drop(&mut self) {
        let buf = std::mem::take(&mut self.buf);
        if !buf.is_empty() {
            self.home.give_back(buf);
        }
    }
}

/// Read buffers kept for the next source of this thread: a reader of many short inputs (the
/// ranges of a file, small log files) would otherwise allocate and zero a buffer for each.
const SPARE_BUFFERS: usize = 4;

thread_local! {
    static SPARE: RefCell<Vec<Vec<u8>>> = const { RefCell::new(Vec::new()) };
}

/// A buffer of `size` bytes: a spare one of this thread, or a new one.
fn take_buffer(size: usize) -> Vec<u8> {
    let spare = SPARE.with(|spare| {
        let mut spare = spare.try_borrow_mut().ok()?;
        let i = spare.iter().position(|b| b.len() == size)?;
        Some(spare.swap_remove(i))
    });
    spare.unwrap_or_else(|| vec![0; size])
}

/// Keeps a read buffer for [`take_buffer`], up to [`SPARE_BUFFERS`] of them.
fn give_back_buffer(buf: Vec<u8>) {
    if buf.len() < DEFAULT_BUFFER {
        return;
    }
    SPARE.with(|spare| {
        if let Ok(mut spare) = spare.try_borrow_mut() {
            if spare.len() < SPARE_BUFFERS {
                spare.push(buf);
            }
        }
    });
}

/// A source is also a reader, so decoders can be stacked on it.
impl Read for Source<'_> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let available = self.fill_buf()?;
        let n = available.len().min(out.len());
        if let (Some(to), Some(from)) = (out.get_mut(..n), available.get(..n)) {
            to.copy_from_slice(from);
        }
        self.advance(n);
        Ok(n)
    }
}

impl BufRead for Source<'_> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        match self.fill(1) {
            Ok(()) => Ok(self.avail()),
            Err(Fatal::Read(layer)) => Err(layer.into_io()),
            Err(Fatal::Dead) => Err(LayerError {
                kind: SkipKind::Unreadable,
                message: "the input failed earlier".to_owned(),
                reported: true,
            }
            .into_io()),
            // `fill` never reports syntax.
            Err(Fatal::Syntax(problem)) => Err(io::Error::other(problem.reason)),
        }
    }

    fn consume(&mut self, amount: usize) {
        self.advance(amount);
    }
}
