//! Decoders stacked under a stream: gzip (one or many members), base64, and the content of a
//! JSON string read straight from the enclosing document (`awslogs.data`). Each reports its
//! failures as a [`LayerError`] naming the skip kind.

use std::io::{self, Read};
use std::sync::{Arc, Mutex};

#[cfg(feature = "gzip")]
use flate2::bufread::MultiGzDecoder;

use super::SkipKind;
use super::source::{Fatal, LayerError, Source};

/// The two magic bytes that open every gzip member (RFC 1952, section 2.3.1).
pub(crate) const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// Gzip decompression of every member in turn (Firehose concatenates gzip members into one
/// object), mapping the decoder's errors to `truncated-gzip` and `invalid-gzip`.
#[cfg(feature = "gzip")]
pub(crate) struct Gunzip<'a> {
    decoder: MultiGzDecoder<Source<'a>>,
}

#[cfg(feature = "gzip")]
impl<'a> Gunzip<'a> {
    pub(crate) fn new(compressed: Source<'a>) -> Gunzip<'a> {
        Gunzip {
            decoder: MultiGzDecoder::new(compressed),
        }
    }
}

#[cfg(feature = "gzip")]
impl Read for Gunzip<'_> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        self.decoder.read(out).map_err(|e| {
            let carried = e.get_ref().is_some_and(|inner| inner.is::<LayerError>());
            if carried {
                return e;
            }
            let at = self.decoder.get_ref().offset();
            let layer = if e.kind() == io::ErrorKind::UnexpectedEof {
                LayerError::new(
                    SkipKind::TruncatedGzip,
                    format!(
                        "the gzip data ends early, at compressed byte {at} (a truncated file?)"
                    ),
                )
            } else {
                LayerError::new(
                    SkipKind::InvalidGzip,
                    format!("invalid gzip data near compressed byte {at}: {e}"),
                )
            };
            layer.into_io()
        })
    }
}

/// Built without the `gzip` feature: gzip data is skipped as `invalid-gzip`, saying why.
#[cfg(not(feature = "gzip"))]
pub(crate) struct Gunzip<'a> {
    _compressed: Source<'a>,
}

#[cfg(not(feature = "gzip"))]
impl<'a> Gunzip<'a> {
    pub(crate) fn new(compressed: Source<'a>) -> Gunzip<'a> {
        Gunzip {
            _compressed: compressed,
        }
    }
}

#[cfg(not(feature = "gzip"))]
impl Read for Gunzip<'_> {
    fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
        Err(io::Error::other(LayerError::new(
            SkipKind::InvalidGzip,
            "gzip-compressed data: this build of trailmatch-cloudtrail has no `gzip` feature"
                .to_owned(),
        )))
    }
}

/// The value of a base64 digit (RFC 4648: the standard alphabet, and the URL-safe `-` and `_`).
fn base64_digit(b: u8) -> Option<u32> {
    let value = match b {
        b'A'..=b'Z' => b - b'A',
        b'a'..=b'z' => b - b'a' + 26,
        b'0'..=b'9' => b - b'0' + 52,
        b'+' | b'-' => 62,
        b'/' | b'_' => 63,
        _ => return None,
    };
    Some(u32::from(value))
}

/// The bytes that the first four base64 digits of `text` stand for, if they are four digits.
pub(crate) fn base64_prefix(text: &[u8]) -> Option<[u8; 3]> {
    let digits = text.get(..4)?;
    let n = digits
        .iter()
        .try_fold(0u32, |n, &b| Some((n << 6) | base64_digit(b)?))?;
    let [_, a, b, c] = n.to_be_bytes();
    Some([a, b, c])
}

/// Streaming base64 decoding. Whitespace is skipped, and padding may end any group of four, so
/// payloads encoded one by one and written one per line decode as their concatenation.
pub(crate) struct Base64<R> {
    inner: R,
    input: Vec<u8>,
    in_pos: usize,
    in_end: usize,
    eof: bool,
    /// Digits of the current group, most significant first.
    group: u32,
    digits: u8,
    /// After padding: more `=` are ignored.
    padded: bool,
    out: [u8; 3],
    out_pos: usize,
    out_len: usize,
    /// Characters read so far, for messages.
    chars: u64,
    /// A failure met after some output was ready: returned by the next read.
    pending: Option<io::Error>,
}

impl<R: Read> Base64<R> {
    pub(crate) fn new(inner: R) -> Base64<R> {
        Base64 {
            inner,
            input: vec![0; 8 * 1024],
            in_pos: 0,
            in_end: 0,
            eof: false,
            group: 0,
            digits: 0,
            padded: false,
            out: [0; 3],
            out_pos: 0,
            out_len: 0,
            chars: 0,
            pending: None,
        }
    }

    fn error(&self, what: String) -> io::Error {
        LayerError::new(
            SkipKind::InvalidBase64,
            format!("invalid base64 at character {}: {what}", self.chars),
        )
        .into_io()
    }

    /// Emits the bytes of a group of `digits` digits (2, 3 or 4).
    fn flush_group(&mut self) {
        let group = self.group << (6 * (4 - u32::from(self.digits)));
        let [_, a, b, c] = group.to_be_bytes();
        self.out = [a, b, c];
        self.out_pos = 0;
        self.out_len = usize::from(self.digits.saturating_sub(1));
        self.group = 0;
        self.digits = 0;
    }

    /// Decodes until some output is ready or the input ends. Ok(false) at the end.
    fn decode_some(&mut self) -> io::Result<bool> {
        loop {
            if self.in_pos == self.in_end {
                if self.eof {
                    return match self.digits {
                        0 => Ok(false),
                        1 => {
                            Err(self.error("the data ends after a single digit of a group".into()))
                        }
                        _ => {
                            self.flush_group();
                            Ok(true)
                        }
                    };
                }
                let n = loop {
                    match self.inner.read(&mut self.input) {
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                        other => break other?,
                    }
                };
                self.in_pos = 0;
                self.in_end = n.min(self.input.len());
                self.eof = n == 0;
                continue;
            }
            let b = self.input.get(self.in_pos).copied().unwrap_or(b' ');
            self.in_pos += 1;
            self.chars += 1;
            if let Some(value) = base64_digit(b) {
                self.padded = false;
                self.group = (self.group << 6) | value;
                self.digits += 1;
                if self.digits == 4 {
                    self.flush_group();
                    return Ok(true);
                }
            } else if b == b'=' {
                match self.digits {
                    0 if self.padded => {}
                    2 | 3 => {
                        self.flush_group();
                        self.padded = true;
                        return Ok(true);
                    }
                    _ => return Err(self.error("misplaced padding '='".into())),
                }
            } else if !matches!(b, b' ' | b'\t' | b'\n' | b'\r') {
                let shown = super::lex::show_byte(b);
                return Err(self.error(format!("{shown} is not a base64 digit")));
            }
        }
    }
}

impl<R: Read> Read for Base64<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if let Some(error) = self.pending.take() {
            return Err(error);
        }
        let mut written = 0;
        while written < out.len() {
            if self.out_pos == self.out_len {
                // Report what was decoded before a failure; the failure comes on the next call.
                match self.decode_some() {
                    Ok(true) => {}
                    Ok(false) => break,
                    Err(e) if written > 0 => {
                        self.pending = Some(e);
                        break;
                    }
                    Err(e) => return Err(e),
                }
            }
            let ready = self.out.get(self.out_pos..self.out_len).unwrap_or_default();
            let n = ready.len().min(out.len() - written);
            if let (Some(to), Some(from)) = (out.get_mut(written..written + n), ready.get(..n)) {
                to.copy_from_slice(from);
            }
            self.out_pos += n;
            written += n;
        }
        Ok(written)
    }
}

/// State shared between a stream and the reader of one of its strings.
#[derive(Debug)]
pub(crate) struct Shared<'a> {
    pub(crate) source: Option<Source<'a>>,
    /// The closing quote was consumed.
    pub(crate) done: bool,
}

/// Reads the content of a JSON string from the enclosing document's source, undoing escapes,
/// and ends at the closing quote. The source is lent by the enclosing stream and given back
/// through [`Shared`] when the nested stream is finished.
pub(crate) struct StringContent<'a> {
    pub(crate) shared: Arc<Mutex<Shared<'a>>>,
}

impl Read for StringContent<'_> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let Ok(mut shared) = self.shared.lock() else {
            return Err(io::Error::other("the enclosing input is unavailable"));
        };
        let shared = &mut *shared;
        if shared.done || out.is_empty() {
            return Ok(0);
        }
        let Some(source) = shared.source.as_mut() else {
            return Ok(0);
        };
        let error = |kind, message: String| LayerError::new(kind, message).into_io();
        let fatal = |f: Fatal| match f {
            Fatal::Read(layer) => layer.into_io(),
            Fatal::Dead => LayerError {
                kind: SkipKind::Unreadable,
                message: "the input failed earlier".to_owned(),
                reported: true,
            }
            .into_io(),
            Fatal::Syntax(problem) => error(problem.kind, problem.reason),
        };
        source.fill(1).map_err(fatal)?;
        let avail = source.avail();
        let Some(&first) = avail.first() else {
            return Err(error(
                SkipKind::InvalidJson,
                "the input ends inside the string".to_owned(),
            ));
        };
        let window = avail.get(..out.len()).unwrap_or(avail);
        let run = trailmatch::json::plain_run_end(window, 0);
        if run > 0 {
            if let (Some(to), Some(from)) = (out.get_mut(..run), avail.get(..run)) {
                to.copy_from_slice(from);
            }
            source.advance(run);
            return Ok(run);
        }
        match first {
            b'"' => {
                source.advance(1);
                shared.done = true;
                Ok(0)
            }
            b'\\' => {
                source.fill(6).map_err(fatal)?;
                let avail = source.avail();
                let (byte, len) = match avail.get(1).copied() {
                    Some(b'"') => (b'"', 2),
                    Some(b'\\') => (b'\\', 2),
                    Some(b'/') => (b'/', 2),
                    Some(b'n') => (b'\n', 2),
                    Some(b'r') => (b'\r', 2),
                    Some(b't') => (b'\t', 2),
                    Some(b'b') => (0x08, 2),
                    Some(b'f') => (0x0C, 2),
                    Some(b'u') => {
                        let code = avail.get(2..6).and_then(|hex| {
                            let text = std::str::from_utf8(hex).ok()?;
                            u8::try_from(u32::from_str_radix(text, 16).ok()?).ok()
                        });
                        match code {
                            Some(byte) if byte.is_ascii() => (byte, 6),
                            _ => {
                                return Err(error(
                                    SkipKind::InvalidBase64,
                                    "a \\u escape that is no ASCII character in base64 data"
                                        .to_owned(),
                                ));
                            }
                        }
                    }
                    _ => {
                        return Err(error(
                            SkipKind::InvalidJson,
                            "invalid escape in the string".to_owned(),
                        ));
                    }
                };
                if let Some(slot) = out.first_mut() {
                    *slot = byte;
                }
                source.advance(len);
                Ok(1)
            }
            _ => Err(error(
                SkipKind::InvalidJson,
                format!("control character U+{first:04X} in the string"),
            )),
        }
    }
}
