//! The parallel readers' ranges against one stream: a file of lines cut into ranges, each read
//! on its own from the file ([`read_range`]) and read ahead into a buffer ([`Ranges::range`]),
//! must give the same items, lines lent alike, the same line counts and the same answer to
//! `needs_stream`; and the ranges in order, up to the first that needs the stream (the rest read
//! with [`read_from`]), what the whole file gives. Read with a sieve, a range read ahead gives
//! the same (and passes over the same records) whether the reading thread sifted it (as it does
//! while another range waits: [`Ranges::sifting`]) or its stream did.
//!
//! Input: one byte choosing the range size (1 to 256 bytes, or 4 KiB), one choosing the record
//! limit (the default, or 64 bytes), then the bytes of the file.
#![no_main]

use std::fs::File;
use std::io::Write;
use std::sync::{Arc, LazyLock};

use libfuzzer_sys::fuzz_target;
use trailmatch::PatternSet;
use trailmatch_cloudtrail::logs::{
    self, Item, Layout, Next, Options, Ranges, Sieve, Stream, read_from, read_range, read_stream,
};

/// An item as the test compares it, its line made absolute by adding `base`.
fn shown(item: Item, base: u64) -> String {
    let (location, text) = match item {
        Item::Record(r) => (r.location, r.json),
        Item::Skipped(s) => (s.location, format!("skip [{}] {}", s.kind, s.message)),
    };
    let line = location.line.map(|l| l + base);
    format!("{line:?} {:?} {:?} {text}", location.record, location.byte)
}

/// What a range's stream gives, lent lines shown as the records they stand for.
fn lent(stream: &mut Stream<'_>) -> Vec<String> {
    let mut lent = Vec::new();
    while let Some(next) = stream.next_ref() {
        lent.push(shown_next(next));
    }
    lent
}

/// The sieve the ranges are read with, built once.
static SIEVE: LazyLock<Sieve> = LazyLock::new(|| {
    let set = PatternSet::new([
        r#"{ $.eventName = "ConsoleLogin" }"#,
        r#"{ $.errorCode = "AccessDenied*" }"#,
    ])
    .expect("the patterns compile");
    Sieve::new(&set).expect("the patterns have a sieve")
});

/// What a range's stream gives read with `sieve`, and the records it passed over.
fn sifted(stream: &mut Stream<'_>, sieve: &Sieve) -> (Vec<String>, u64) {
    let mut seen = Vec::new();
    while let Some(next) = stream.next_sifted(sieve) {
        seen.push(shown_next(next));
    }
    (seen, stream.passed())
}

fn shown_next(next: Next<'_>) -> String {
    match next {
        Next::Line(r) => format!("{:?} None {:?} {}", Some(r.line), Some(r.byte), r.json),
        Next::Item(item) => shown(item, 0),
    }
}

fuzz_target!(|data: &[u8]| {
    let [size, limit, file @ ..] = data else {
        return;
    };
    let size = match size {
        255 => 4096,
        n => u64::from(*n) + 1,
    };
    let options = Options {
        max_record_bytes: if limit % 2 == 0 { 64 } else { Options::default().max_record_bytes },
        text_lines: true,
        ..Options::default()
    };
    let path = std::env::temp_dir().join(format!("trailmatch-range-reader-{}", std::process::id()));
    let written = File::create(&path).and_then(|mut f| f.write_all(file));
    let Ok(opened) = written.and_then(|()| File::open(&path)) else {
        return;
    };
    let opened = Arc::new(opened);
    let len = file.len() as u64;
    if logs::layout(&opened, options).ok() != Some(Layout::Lines { len }) {
        return;
    }
    let whole: Vec<String> = read_stream("f", file, options).map(|i| shown(i, 0)).collect();
    let ranges = Ranges::new(size, 2, true, options);
    let sieve = &*SIEVE;
    let sifting = Ranges::new(size, 2, true, options).sifting(Some(sieve.clone()));
    let (mut ranged, mut base) = (Vec::new(), 0);
    for (start, end) in ranges.spans(len) {
        let mut stream = read_range("f", Arc::clone(&opened), start, end, options);
        let items: Vec<String> = stream.by_ref().map(|i| shown(i, base)).collect();
        let read_ahead = || {
            let mut range = ranges.range(&opened, start, end);
            assert!(range.is_read_ahead(), "a free buffer");
            range.stream("f", options)
        };
        let mut ahead_stream = read_ahead();
        let ahead_items: Vec<String> = ahead_stream.by_ref().map(|i| shown(i, base)).collect();
        assert_eq!(items, ahead_items, "range {start}..{end}");
        assert_eq!(stream.lines_read(), ahead_stream.lines_read(), "range {start}..{end}");
        assert_eq!(stream.needs_stream(), ahead_stream.needs_stream(), "range {start}..{end}");
        let plain_lent = lent(&mut read_range("f", Arc::clone(&opened), start, end, options));
        assert_eq!(plain_lent, lent(&mut read_ahead()), "range {start}..{end}, lent");
        // The first waits for its stream while the second is read: the second is sifted as
        // it is read, the first by its stream.
        let mut waits = sifting.range(&opened, start, end);
        let mut presifted = sifting.range(&opened, start, end);
        assert!(waits.is_read_ahead() && presifted.is_read_ahead(), "free buffers");
        let got = sifted(&mut presifted.stream("f", options), sieve);
        let want = sifted(&mut waits.stream("f", options), sieve);
        assert_eq!(got, want, "range {start}..{end}, sifted as read or by the stream");
        if stream.needs_stream() {
            ranged.extend(read_from("f", Arc::clone(&opened), start, base + 1, options).map(|i| shown(i, 0)));
            break;
        }
        ranged.extend(items);
        base += stream.lines_read();
    }
    assert_eq!(ranged, whole, "ranges of {size} bytes");
});
