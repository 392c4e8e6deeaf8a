//! One scan from start to end: the inputs read one after another, each item fed to a
//! [`Scanner`], then its report. The Python module's `scan` runs [`scan_inputs`];
//! `trailmatch scan` runs [`scan_parallel`], the same scan on several threads with the same
//! report; what they do around it (progress, streaming skips) goes through the `observe`
//! callback.
//!
//! ```
//! use std::convert::Infallible;
//! use trailmatch_cloudtrail::run::{Inputs, scan_inputs};
//! use trailmatch_cloudtrail::rules::RuleSet;
//! use trailmatch_cloudtrail::scan::{ScanOptions, Scanner};
//!
//! let scanner = Scanner::new(&RuleSet::cis(), ScanOptions::default())?;
//! let log = br#"{"Records":[{"eventTime":"2026-11-23T10:07:30Z","eventSource":"cloudtrail.amazonaws.com","eventName":"StopLogging"}]}"#;
//! let inputs = Inputs::Bytes(vec![("trail.json".to_owned(), &log[..])]);
//! let report = scan_inputs(scanner, inputs, |_, _| Ok::<(), Infallible>(()))?;
//! assert_eq!((report.records.read, report.records.matched), (1, 1));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, Read};
use std::path::PathBuf;
use std::sync::mpsc::{self, Receiver, SyncSender};
use std::sync::{Arc, Mutex};
use std::thread;

use crate::logs::{self, Input, Item, Layout, Next, Reader, Skip, SkipKind};
use crate::scan::{Batch, Compiled, Counts, Found, Report, Scanner};
use crate::walk::{Entry, SkipReason, Walk, WalkOptions};

/// What a scan reads.
#[derive(Clone, Debug)]
pub enum Inputs<'a> {
    /// Files, directories (read recursively, as the [`WalkOptions`] say) and `-` (the standard
    /// input), as command-line arguments name them; see [`Reader`].
    Paths(&'a [PathBuf], WalkOptions),
    /// Logs in memory, each with the name its locations show (the command's bundled sample).
    Bytes(Vec<(String, &'a [u8])>),
    /// Inputs the caller opens as the scan comes to them, each read as a stream (the objects of
    /// an S3 bucket, say).
    Objects(Objects),
}

/// An input a caller opened: its name, as locations give it, and a reader of its bytes, or why
/// it cannot be read (then it is a skip of the scan, as a file that cannot be read is).
pub type Opened = (String, io::Result<Box<dyn Read + Send>>);

/// Inputs that a caller opens one after another, in order, as a scan comes to them
/// ([`Inputs::Objects`]): an iterator of [`Opened`] inputs, shared by the threads of a scan.
#[derive(Clone)]
pub struct Objects(Arc<Mutex<dyn Iterator<Item = Opened> + Send>>);

impl Objects {
    /// The inputs `opened` gives, in its order.
    pub fn new(opened: impl Iterator<Item = Opened> + Send + 'static) -> Objects {
        Objects(Arc::new(Mutex::new(opened)))
    }

    /// The next input.
    fn next_opened(&self) -> Option<Opened> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .next()
    }

    /// The items of each input in turn: its records and skips, or the skip of an input that
    /// could not be opened.
    fn items(&self) -> impl Iterator<Item = Box<dyn Iterator<Item = Item> + Send + '_>> + '_ {
        std::iter::from_fn(|| self.next_opened())
            .map(|(name, opened)| logs::read_opened(name, opened, options()))
    }
}

/// The inputs in order, for a caller that reads them itself (`trailmatch grep`).
impl Iterator for Objects {
    type Item = Opened;

    fn next(&mut self) -> Option<Opened> {
        self.next_opened()
    }
}

impl std::fmt::Debug for Objects {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Objects")
    }
}

/// Reads `inputs` into `scanner` and returns its report.
///
/// `observe` sees each item (a record or a skip) before the scanner does, with the counts so
/// far: for a progress bar, or to stream skips as they happen. An error from it stops the scan
/// and is returned.
pub fn scan_inputs<E>(
    mut scanner: Scanner,
    inputs: Inputs<'_>,
    mut observe: impl FnMut(&Item, &Counts) -> Result<(), E>,
) -> Result<Report, E> {
    let options = logs::Options::default();
    let mut feed = |item: Item| -> Result<(), E> {
        observe(&item, &scanner.counts())?;
        scanner.read(item);
        Ok(())
    };
    match inputs {
        Inputs::Paths(paths, walk) => {
            let inputs = paths.iter().map(|p| Input::from_arg(p.clone())).collect();
            for item in Reader::with_walk(inputs, options, walk) {
                feed(item)?;
            }
        }
        Inputs::Bytes(logs) => {
            for (name, bytes) in logs {
                for item in logs::read_stream(name, bytes, options) {
                    feed(item)?;
                }
            }
        }
        Inputs::Objects(objects) => {
            for items in objects.items() {
                for item in items {
                    feed(item)?;
                }
            }
        }
    }
    Ok(scanner.finish())
}

/// How [`scan_parallel`] runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Parallel {
    /// Threads that classify and match records (at least 1); one more reads streams and walks
    /// the inputs, and the calling thread adds the batches up. After the last record, `threads
    /// + 1` (no more than the cores) evaluate the alarms.
    pub threads: usize,
    /// Size of the byte ranges of a plain file of lines (JSON Lines) that the threads read
    /// each on their own.
    pub range_bytes: u64,
    /// The ranges are read ahead ([`logs::Ranges`]) by the thread that walks the inputs,
    /// rather than by the threads that read their records: the default when those leave a
    /// core idle ([`logs::read_ahead_pays`]).
    pub read_ahead: bool,
}

impl Default for Parallel {
    fn default() -> Parallel {
        Parallel::threads(thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get))
    }
}

impl Parallel {
    /// `threads` threads, and the defaults for the rest.
    pub fn threads(threads: usize) -> Parallel {
        Parallel {
            threads,
            range_bytes: RANGE_BYTES,
            read_ahead: logs::read_ahead_pays(threads),
        }
    }
}

/// Size of the ranges of a plain file of lines that threads read on their own.
pub const RANGE_BYTES: u64 = 512 * 1024;
/// A batch of a stream's items holds about this many bytes of records.
const BATCH_BYTES: usize = 256 * 1024;
/// … and no more than this many items.
const BATCH_ITEMS: usize = 4096;

/// What [`scan_parallel`]'s `observe` is told, in input order, as batches of items are added
/// to the scan.
#[derive(Debug)]
pub enum Observed<'a> {
    /// The items of another input begin: its name as locations give it (told before its
    /// first item, for each run of items of one input, as [`scan_inputs`]'s items change file).
    Input(&'a str),
    /// What the reader skipped.
    Skipped(&'a Skip),
    /// The counts so far, after a batch.
    Counts(&'a Counts),
}

/// [`scan_inputs`] on several threads: the report is the one [`scan_inputs`] gives, whatever
/// the number of threads (a test compares them), with one exception in how plain files of
/// lines are read (below).
///
/// One thread walks the inputs in order and cuts them into numbered batches: byte ranges of a
/// plain file of lines (JSON Lines, [`Layout::Lines`]), which the worker threads read
/// themselves with [`logs::read_range`] or which it reads ahead for them
/// ([`Parallel::read_ahead`]), or runs of the items of a stream it reads itself
/// (gzip, CloudTrail log files, standard input, …). Workers read each batch's records into a
/// `Batch` (classified, matched, datapoints computed); the calling thread adds the batches to
/// the scan in input order. Ranges are read as lines ([`logs::Options::text_lines`]), whose
/// records are those of one stream as long as every line is blank or one valid JSON object:
/// from the first range where that is not so (a damaged line, a container, an export line, a
/// JSON value over several lines), the rest of the file is read as one stream from its start on
/// the calling thread, the items of the ranges before left out, and the file's later ranges
/// dropped: what reading the file whole gives.
///
/// Memory stays bounded whatever the input size: a batch may only be made once one of `2 ×
/// threads + 2` slots is free, and a slot is freed when its batch is added (ranges read ahead
/// take a buffer of a range's size per slot at most).
///
/// `observe` sees, in input order, what is added (see [`Observed`]); an error from it stops the
/// scan and is returned (threads still reading, standard input say, end on their own). Logs in
/// memory ([`Inputs::Bytes`]) are copied for the reading thread.
pub fn scan_parallel<E>(
    scanner: Scanner,
    inputs: Inputs<'_>,
    parallel: Parallel,
    mut observe: impl FnMut(Observed<'_>) -> Result<(), E>,
) -> Result<Report, E> {
    let (compiled, mut found) = scanner.into_parts();
    let compiled = Arc::new(compiled);
    let threads = parallel.threads.max(1);
    let slots = 2 * threads + 2;
    let (work_tx, work_rx) = mpsc::sync_channel::<Job>(slots);
    let (done_tx, done_rx) = mpsc::sync_channel::<Done>(slots);
    let (slot_tx, slot_rx) = mpsc::sync_channel::<()>(slots);
    for _ in 0..slots {
        let _ = slot_tx.send(());
    }
    let sources = Sources::from(inputs);
    let ranges = logs::Ranges::new(parallel.range_bytes, slots, parallel.read_ahead, options())
        .sifting(compiled.sieve.clone());
    let producer = {
        let sources = sources.clone();
        thread::Builder::new()
            .name("scan-reader".into())
            .spawn(move || produce(sources, ranges, slot_rx, work_tx))
    };
    let Ok(producer) = producer else {
        // No thread can be started: read on this one.
        drop((work_rx, done_tx, done_rx, slot_tx));
        return scan_here(&compiled, found, sources, observe);
    };
    let work_rx = Arc::new(Mutex::new(work_rx));
    let mut workers = Vec::with_capacity(threads);
    for i in 0..threads {
        let (compiled, work_rx, done_tx) =
            (Arc::clone(&compiled), Arc::clone(&work_rx), done_tx.clone());
        let spawned = thread::Builder::new()
            .name(format!("scan-{i}"))
            .spawn(move || logs::serve(&work_rx, &done_tx, |job| process(&compiled, job)));
        if let Ok(handle) = spawned {
            workers.push(handle);
        }
    }
    drop(done_tx);
    let mut merge = Merge {
        compiled: &compiled,
        found: &mut found,
        last_input: None,
        // Without workers (none could be started), the batches are made here.
        work: workers.is_empty().then_some(&*work_rx),
    };
    let merged = merge.run(&done_rx, &slot_tx, &mut observe);
    // The threads end once the channels are closed: the reader when it waits for a slot, the
    // workers when they send a batch.
    drop((done_rx, slot_tx));
    merged?;
    let _ = producer.join();
    for worker in workers {
        let _ = worker.join();
    }
    // The alarms are evaluated by as many threads as were busy until now: the workers and this
    // one (no more than the cores).
    Ok(found.finish(&compiled, threads + 1))
}

/// What a scan reads, owned by the thread that walks it.
#[derive(Clone, Debug)]
enum Sources {
    Paths(Vec<PathBuf>, WalkOptions),
    Bytes(Vec<(String, Arc<[u8]>)>),
    Objects(Objects),
}

impl From<Inputs<'_>> for Sources {
    fn from(inputs: Inputs<'_>) -> Sources {
        match inputs {
            Inputs::Paths(paths, walk) => Sources::Paths(paths.to_vec(), walk),
            Inputs::Bytes(logs) => Sources::Bytes(
                logs.into_iter()
                    .map(|(name, bytes)| (name, Arc::from(bytes)))
                    .collect(),
            ),
            Inputs::Objects(objects) => Sources::Objects(objects),
        }
    }
}

/// A numbered batch of work.
struct Job {
    seq: u64,
    /// Number of the input (file, standard input, log in memory), in reading order.
    input: u64,
    work: Work,
}

enum Work {
    /// Items of a stream, in order.
    Items(Vec<Item>),
    /// A range of a plain file of lines, for a worker to read.
    Range { name: Arc<str>, range: logs::Range },
}

/// What a worker made of a job.
struct Done {
    seq: u64,
    input: u64,
    batch: Batch,
    /// The inputs the items came from, one entry per run of items of one input (a batch is of
    /// one input: one entry, none when it has no items).
    names: Vec<String>,
    /// Lines of the file the range holds (ranges only).
    lines: u64,
    /// A range that one stream reads otherwise: the file, from whose start the rest of it is
    /// read as one stream instead (this batch and the later ones of the file are dropped).
    fallback: Option<(Arc<str>, Arc<File>)>,
}

/// Hands numbered jobs to the workers, one free slot each.
struct Sender {
    seq: u64,
    input: u64,
    slots: Receiver<()>,
    work: SyncSender<Job>,
}

/// The consumer of batches went away (the scan stopped): stop reading.
struct Closed;

impl Sender {
    fn send(&mut self, work: Work) -> Result<(), Closed> {
        self.send_with(|| work)
    }

    /// Sends the work `work` makes once a slot is free.
    fn send_with(&mut self, work: impl FnOnce() -> Work) -> Result<(), Closed> {
        self.slots.recv().map_err(|_| Closed)?;
        self.work
            .send(Job {
                seq: self.seq,
                input: self.input,
                work: work(),
            })
            .map_err(|_| Closed)?;
        self.seq += 1;
        Ok(())
    }

    /// Sends the items of a stream in batches.
    fn stream(&mut self, items: impl Iterator<Item = Item>) -> Result<(), Closed> {
        self.input += 1;
        let mut batch = Vec::new();
        let mut bytes = 0;
        for item in items {
            if let Item::Record(r) = &item {
                bytes += r.json.len();
            }
            batch.push(item);
            if bytes >= BATCH_BYTES || batch.len() >= BATCH_ITEMS {
                self.send(Work::Items(std::mem::take(&mut batch)))?;
                bytes = 0;
            }
        }
        if batch.is_empty() {
            return Ok(());
        }
        self.send(Work::Items(batch))
    }
}

/// The options every input is read with.
fn options() -> logs::Options {
    logs::Options::default()
}

/// Walks the inputs as [`Reader`] does and hands them out in batches.
fn produce(sources: Sources, ranges: logs::Ranges, slots: Receiver<()>, work: SyncSender<Job>) {
    let mut sender = Sender {
        seq: 0,
        input: 0,
        slots,
        work,
    };
    let _ = match sources {
        Sources::Bytes(logs) => logs.into_iter().try_for_each(|(name, bytes)| {
            sender.stream(logs::read_stream(name, &*bytes, options()))
        }),
        Sources::Objects(objects) => objects.items().try_for_each(|items| sender.stream(items)),
        Sources::Paths(paths, walk) => {
            paths
                .into_iter()
                .try_for_each(|path| match Input::from_arg(path) {
                    Input::Stdin => {
                        sender.stream(logs::read_stream("<stdin>", io::stdin(), options()))
                    }
                    Input::Path(path) => Walk::new(vec![path], walk.clone())
                        .try_for_each(|entry| read_entry(&mut sender, entry, &ranges)),
                })
        }
    };
}

/// One entry of a walk: a file, read in ranges or as a stream, or a skip.
fn read_entry(sender: &mut Sender, entry: Entry, ranges: &logs::Ranges) -> Result<(), Closed> {
    let path = match entry {
        Entry::File(path) => path,
        Entry::Skipped {
            path,
            reason,
            message,
        } => {
            return sender.stream(std::iter::once(Item::Skipped(walk_skip(
                &path, reason, &message,
            ))));
        }
    };
    let file = match File::open(&path) {
        Ok(file) => file,
        Err(e) => {
            return sender.stream(std::iter::once(Item::Skipped(logs::unreadable(&path, &e))));
        }
    };
    let name = path.display().to_string();
    let lines = logs::Options {
        text_lines: true,
        ..options()
    };
    match logs::layout(&file, lines) {
        Ok(Layout::Lines { len }) => {
            sender.input += 1;
            let (name, file) = (Arc::<str>::from(name), Arc::new(file));
            ranges.spans(len).try_for_each(|(start, end)| {
                sender.send_with(|| Work::Range {
                    name: Arc::clone(&name),
                    range: ranges.range(&file, start, end),
                })
            })
        }
        // A layout that cannot be told (an error reading the file's start) is left to the
        // stream, which meets the error again and reports it as the reader does.
        Ok(Layout::Whole) | Err(_) => sender.stream(logs::read_stream(name, file, options())),
    }
}

/// The skip [`Reader`] makes of a path a walk does not read.
fn walk_skip(path: &std::path::Path, reason: SkipReason, message: &str) -> Skip {
    let kind = match reason {
        SkipReason::NotAFile => SkipKind::NotAFile,
        _ => SkipKind::Unreadable,
    };
    let message = message
        .strip_prefix(&format!("{}: ", path.display()))
        .map_or_else(|| message.to_owned(), str::to_owned);
    Skip {
        location: logs::Location {
            file: path.display().to_string(),
            ..logs::Location::default()
        },
        kind,
        message,
    }
}

/// Reads a job's items into a batch.
fn process(compiled: &Compiled, job: Job) -> Done {
    let mut done = Done {
        seq: job.seq,
        input: job.input,
        batch: compiled.batch(),
        names: Vec::new(),
        lines: 0,
        fallback: None,
    };
    match job.work {
        Work::Items(items) => {
            for item in items {
                let file = match &item {
                    Item::Record(r) => &r.location.file,
                    Item::Skipped(s) => &s.location.file,
                };
                if done.names.last() != Some(file) {
                    done.names.push(file.clone());
                }
                compiled.read_into(&mut done.batch, item);
            }
        }
        Work::Range { name, mut range } => {
            let mut stream = range.stream(&*name, options());
            let mut alone = true;
            // The location of each line lent, as its item would give it.
            let mut location = logs::Location {
                file: name.to_string(),
                line: None,
                record: None,
                byte: None,
            };
            // Lines are lent without a search for container keys: classification's fast path
            // refuses a record with one at the top level, and the range is then read again.
            while let Some((next, sifted_out)) =
                stream.next_ref_keys_unsearched(compiled.sieve.as_ref())
            {
                // A record of a line that one stream reads alike: the line is one valid JSON
                // object, on classification's fast path (blank lines yield nothing).
                let read = match next {
                    Next::Line(line) => {
                        (location.line, location.byte) = (Some(line.line), Some(line.byte));
                        let json = line.json;
                        compiled.read_record(&mut done.batch, json, sifted_out, None, &location)
                    }
                    Next::Item(item) => {
                        let line_record = matches!(&item, Item::Record(r)
                            if r.location.line.is_some()
                                && r.location.record.is_none()
                                && r.timestamp_ms.is_none());
                        line_record && compiled.read_into(&mut done.batch, item)
                    }
                };
                if !read {
                    alone = false;
                    break;
                }
            }
            if alone && !stream.needs_stream() {
                if !done.batch.is_empty() {
                    done.names.push(name.to_string());
                }
                done.lines = stream.lines_read();
            } else {
                done.batch = compiled.batch();
                done.fallback = Some((name, range.file));
            }
        }
    }
    done
}

/// The calling thread's part: adds the batches up in input order.
struct Merge<'a> {
    compiled: &'a Compiled,
    found: &'a mut Found,
    /// The input of the last item added.
    last_input: Option<String>,
    /// Jobs to do here, when no worker could be started.
    work: Option<&'a Mutex<Receiver<Job>>>,
}

impl Merge<'_> {
    fn run<E>(
        &mut self,
        done: &Receiver<Done>,
        slots: &SyncSender<()>,
        observe: &mut impl FnMut(Observed<'_>) -> Result<(), E>,
    ) -> Result<(), E> {
        let mut pending: BTreeMap<u64, Done> = BTreeMap::new();
        let mut next = 0u64;
        // The input whose rest was read as one stream: its later batches are dropped.
        let mut streamed = None;
        // The input being added, and the lines of its ranges added so far.
        let (mut current, mut lines) = (None, 0u64);
        loop {
            let received = match self.work {
                Some(jobs) => {
                    let job = jobs.lock().ok().and_then(|jobs| jobs.recv().ok());
                    job.map(|job| process(self.compiled, job))
                }
                None => done.recv().ok(),
            };
            let Some(received) = received else {
                return Ok(());
            };
            pending.insert(received.seq, received);
            while let Some(d) = pending.remove(&next) {
                next += 1;
                let _ = slots.send(());
                if streamed == Some(d.input) {
                    continue;
                }
                if current != Some(d.input) {
                    current = Some(d.input);
                    lines = 0;
                }
                match d.fallback {
                    Some((name, file)) => {
                        streamed = Some(d.input);
                        self.rest(&name, &file, lines + 1, observe)?;
                    }
                    None => {
                        let mut batch = d.batch;
                        batch.shift_lines(lines);
                        lines += d.lines;
                        self.add(batch, &d.names, observe)?;
                    }
                }
            }
        }
    }

    /// Adds one batch, telling `observe`.
    fn add<E>(
        &mut self,
        batch: Batch,
        names: &[String],
        observe: &mut impl FnMut(Observed<'_>) -> Result<(), E>,
    ) -> Result<(), E> {
        for name in names {
            if self.last_input.as_ref() != Some(name) {
                observe(Observed::Input(name))?;
                self.last_input = Some(name.clone());
            }
        }
        for skip in batch.reader_skips() {
            observe(Observed::Skipped(skip))?;
        }
        self.found.absorb(self.compiled, batch);
        observe(Observed::Counts(&self.found.counts()))
    }

    /// Reads a file as one stream from its start, here, leaving out the items of the lines
    /// before `first_line` (those of the ranges already added).
    fn rest<E>(
        &mut self,
        name: &str,
        file: &Arc<File>,
        first_line: u64,
        observe: &mut impl FnMut(Observed<'_>) -> Result<(), E>,
    ) -> Result<(), E> {
        let stream = logs::read_stream(name, Shared(Arc::clone(file)), options());
        let mut items = stream
            .skip_while(|item| {
                let location = match item {
                    Item::Record(r) => &r.location,
                    Item::Skipped(s) => &s.location,
                };
                location.line.is_some_and(|line| line < first_line)
            })
            .peekable();
        while items.peek().is_some() {
            let job = Job {
                seq: 0,
                input: 0,
                work: Work::Items(items.by_ref().take(BATCH_ITEMS).collect()),
            };
            let d = process(self.compiled, job);
            self.add(d.batch, &d.names, observe)?;
        }
        Ok(())
    }
}

/// A file read from its start through a shared handle (positioned reads elsewhere leave its
/// own offset alone).
struct Shared(Arc<File>);

impl Read for Shared {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        (&*self.0).read(buf)
    }
}

/// [`scan_parallel`] with no thread of its own: the inputs read one after another here.
fn scan_here<E>(
    compiled: &Compiled,
    mut found: Found,
    sources: Sources,
    mut observe: impl FnMut(Observed<'_>) -> Result<(), E>,
) -> Result<Report, E> {
    let mut merge = Merge {
        compiled,
        found: &mut found,
        last_input: None,
        work: None,
    };
    let mut batches = |items: &mut dyn Iterator<Item = Item>| -> Result<(), E> {
        let mut items = items.peekable();
        while items.peek().is_some() {
            let job = Job {
                seq: 0,
                input: 0,
                work: Work::Items(items.by_ref().take(BATCH_ITEMS).collect()),
            };
            let d = process(merge.compiled, job);
            merge.add(d.batch, &d.names, &mut observe)?;
        }
        Ok(())
    };
    match sources {
        Sources::Paths(paths, walk) => {
            let inputs = paths.into_iter().map(Input::from_arg).collect();
            batches(&mut Reader::with_walk(inputs, options(), walk))?;
        }
        Sources::Bytes(logs) => {
            for (name, bytes) in logs {
                batches(&mut logs::read_stream(name, &*bytes, options()))?;
            }
        }
        Sources::Objects(objects) => {
            for mut items in objects.items() {
                batches(&mut items)?;
            }
        }
    }
    Ok(found.finish(compiled, 1))
}

#[cfg(test)]
mod tests {
    use std::convert::Infallible;

    use super::*;
    use crate::rules::RuleSet;
    use crate::scan::ScanOptions;

    const STOP_LOGGING: &str = r#"{"eventTime":"2026-11-23T10:07:30Z","eventSource":"cloudtrail.amazonaws.com","eventName":"StopLogging","awsRegion":"eu-west-1","recipientAccountId":"111122223333"}"#;
    const DESCRIBE: &str = r#"{"eventTime":"2026-11-23T10:08:00Z","eventSource":"cloudtrail.amazonaws.com","eventName":"DescribeTrails","awsRegion":"eu-west-1","recipientAccountId":"111122223333"}"#;

    fn scanner() -> Scanner {
        Scanner::new(&RuleSet::cis(), ScanOptions::default()).unwrap()
    }

    fn temp_dir(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("trailmatch-run-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    /// Paths and bytes holding the same records give the same report, and `observe` sees
    /// every item, the counts so far with it.
    #[test]
    fn paths_and_bytes_scan_alike_and_every_item_is_observed() {
        let dir = temp_dir("alike");
        let lines = format!("{STOP_LOGGING}\nnot json\n{DESCRIBE}\n");
        std::fs::write(dir.join("a.jsonl"), &lines).unwrap();
        let paths = [dir.join("a.jsonl")];

        let mut seen = Vec::new();
        let from_paths = scan_inputs(
            scanner(),
            Inputs::Paths(&paths, WalkOptions::default()),
            |item, counts| {
                seen.push((matches!(item, Item::Record(_)), counts.read));
                Ok::<(), Infallible>(())
            },
        )
        .unwrap();
        assert_eq!(seen, [(true, 0), (false, 1), (true, 1)]);

        let name = paths[0].display().to_string();
        let bytes = Inputs::Bytes(vec![(name, lines.as_bytes())]);
        let from_bytes = scan_inputs(scanner(), bytes, |_, _| Ok::<(), Infallible>(())).unwrap();
        std::fs::remove_dir_all(&dir).unwrap();

        assert_eq!(
            (from_paths.records.read, from_paths.records.skipped),
            (2, 1)
        );
        assert_eq!(from_paths.records.matched, 1);
        assert_eq!(
            serde_json::to_value(&from_paths).unwrap(),
            serde_json::to_value(&from_bytes).unwrap()
        );
    }

    /// An error from `observe` stops the scan at that item and is what the scan returns.
    #[test]
    fn an_observer_error_stops_the_scan() {
        let text = format!("{STOP_LOGGING}\n{DESCRIBE}\n{DESCRIBE}\n");
        let mut calls = 0;
        let stopped = scan_inputs(
            scanner(),
            Inputs::Bytes(vec![("t.jsonl".to_owned(), text.as_bytes())]),
            |_, counts| {
                calls += 1;
                if counts.read == 1 {
                    Err("stop")
                } else {
                    Ok(())
                }
            },
        );
        assert_eq!(stopped.unwrap_err(), "stop");
        assert_eq!(calls, 2);
    }

    /// What a scan's observer saw, as comparable text: the inputs as items change file, and
    /// the reader's skips.
    type Seen = Vec<String>;

    /// The report and what was observed, one pass over the items.
    fn one_pass(scanner: Scanner, inputs: Inputs<'_>) -> (String, Seen) {
        let mut seen = Vec::new();
        let mut last = None;
        let report = scan_inputs(scanner, inputs, |item, _| {
            let (file, skip) = match item {
                Item::Record(r) => (&r.location.file, None),
                Item::Skipped(s) => (&s.location.file, Some(s)),
            };
            if last.as_ref() != Some(file) {
                seen.push(format!("input {file}"));
                last = Some(file.clone());
            }
            if let Some(s) = skip {
                seen.push(format!("skip {} {} {}", s.location, s.kind, s.message));
            }
            Ok::<(), Infallible>(())
        })
        .unwrap();
        (report_text(&report), seen)
    }

    /// The report and observations of [`scan_parallel`] on `threads` threads and ranges of
    /// `range_bytes`, the same with the ranges read ahead as without.
    fn parallel(
        scanner: fn() -> Scanner,
        inputs: Inputs<'_>,
        threads: usize,
        range_bytes: u64,
    ) -> (String, Seen) {
        let [ahead, not] = [true, false].map(|read_ahead| {
            let mut seen = Vec::new();
            let parallel = Parallel {
                threads,
                range_bytes,
                read_ahead,
            };
            let report = scan_parallel(scanner(), inputs.clone(), parallel, |observed| {
                match observed {
                    Observed::Input(name) => seen.push(format!("input {name}")),
                    Observed::Skipped(s) => {
                        seen.push(format!("skip {} {} {}", s.location, s.kind, s.message));
                    }
                    Observed::Counts(_) => {}
                }
                Ok::<(), Infallible>(())
            })
            .unwrap();
            (report_text(&report), seen)
        });
        assert_eq!(
            ahead, not,
            "{threads} threads, ranges of {range_bytes}, read ahead or not"
        );
        ahead
    }

    /// The whole report, metric series included.
    fn report_text(report: &Report) -> String {
        let series: Vec<String> = report
            .metrics
            .iter()
            .map(|m| format!("{:?} {:?}", m.key, m.series))
            .collect();
        format!(
            "{}\n{series:?}",
            serde_json::to_string_pretty(report).unwrap()
        )
    }

    /// The CIS pack, its EventBridge twin (rules in both states, more than 100 matches for
    /// root usage: the matches kept are the first ones), and anomaly detection.
    fn insights_scanner() -> Scanner {
        Scanner::new(&insights_rules(), insights_options()).unwrap()
    }

    /// The rules of [`insights_scanner`]: the CIS pack and its EventBridge twin.
    fn insights_rules() -> RuleSet {
        let mut rules = RuleSet::cis();
        rules.event_rules = crate::eventbridge::EventRuleSet::cis().rules;
        rules
    }

    /// Anomaly detection with a short history, so that the test inputs find some.
    fn insights_options() -> ScanOptions {
        ScanOptions {
            insights: Some(crate::insights::Config {
                min_history_minutes: 3,
                min_count: 3,
                ..crate::insights::Config::default()
            }),
            ..ScanOptions::default()
        }
    }

    /// A record at minute `m` (of a day), call `i` of it.
    fn record(m: u32, i: u32) -> String {
        let names = [
            "StopLogging",
            "CreateTags",
            "DescribeTrails",
            "ConsoleLogin",
            "PutBucketPolicy",
        ];
        format!(
            r#"{{"eventTime":"2026-11-23T{:02}:{:02}:{:02}Z","eventSource":"cloudtrail.amazonaws.com","eventName":"{}","eventType":"AwsApiCall","eventID":"{m}-{i}","readOnly":{},"awsRegion":"eu-west-1","recipientAccountId":"111122223333","errorCode":{},"userIdentity":{{"type":"Root","arn":"arn:aws:iam::111122223333:root"}}}}"#,
            m / 60 % 24,
            m % 60,
            i % 60,
            names[(i as usize + m as usize) % names.len()],
            i % 3 == 0,
            if i % 7 == 0 {
                "\"AccessDenied\""
            } else {
                "null"
            },
        )
    }

    fn gzip(bytes: &[u8]) -> Vec<u8> {
        use std::io::Write as _;
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(bytes).unwrap();
        gz.finish().unwrap()
    }

    /// A tree of every kind of input: JSON Lines clean and damaged (a bad line, a non-object,
    /// an object over several lines, a container line, an export line, CRLF, blanks and
    /// indentation), a CloudTrail log file, gzip, and a file cut short.
    fn tree(name: &str) -> PathBuf {
        let dir = temp_dir(name);
        let lines = |from: u32, n: u32| -> String {
            (from..from + n).map(|m| record(m, m * 7) + "\n").collect()
        };
        std::fs::write(dir.join("a-clean.jsonl"), lines(0, 300)).unwrap();
        let damaged = format!(
            "{}\n  {}  \r\n{{bad\n[1]\n\n{}",
            lines(300, 100),
            record(400, 1),
            lines(401, 100)
        );
        std::fs::write(dir.join("b-damaged.jsonl"), damaged).unwrap();
        let mixed = format!(
            "{}{{\"Records\":[{},{}]}}\n2020-09-14T00:44:23.000Z {}\n{{\n  \"eventName\": \"StopLogging\"\n}}\n{}",
            lines(600, 80),
            record(700, 2),
            record(700, 3),
            record(701, 4),
            lines(702, 50)
        );
        std::fs::write(dir.join("c-mixed.jsonl"), mixed).unwrap();
        let trail = format!("{{\"Records\":[{},{}]}}", record(800, 5), record(801, 6));
        std::fs::write(dir.join("d-trail.json"), &trail).unwrap();
        std::fs::write(dir.join("e-trail.json.gz"), gzip(trail.as_bytes())).unwrap();
        let gz_lines = gzip(lines(900, 200).as_bytes());
        std::fs::write(
            dir.join("f-lines.jsonl.gz"),
            &gz_lines[..gz_lines.len() - 20],
        )
        .unwrap();
        std::fs::write(
            dir.join("g-burst.jsonl"),
            (0..60)
                .flat_map(|m| {
                    let calls = if (40..43).contains(&m) { 30 } else { 1 };
                    (0..calls).map(move |i| record(1000 + m, 3 * i + 1) + "\n")
                })
                .collect::<String>(),
        )
        .unwrap();
        std::fs::write(dir.join("h-empty.jsonl"), "\n\n").unwrap();
        dir
    }

    /// Every number of threads and every size of range gives the report and the observations of
    /// one pass over the items, on every kind of input.
    #[test]
    fn parallel_scans_give_what_one_pass_gives() {
        let dir = tree("parallel");
        let paths = [dir.clone()];
        let walk = WalkOptions::default();
        let (want, want_seen) = one_pass(insights_scanner(), Inputs::Paths(&paths, walk.clone()));
        assert!(want.contains("invalid-json"), "{want}");
        for (threads, range_bytes) in [(1, RANGE_BYTES), (2, 4096), (4, 700), (3, 1), (1, 97)] {
            let (got, seen) = parallel(
                insights_scanner,
                Inputs::Paths(&paths, walk.clone()),
                threads,
                range_bytes,
            );
            if got != want {
                let line = got.lines().zip(want.lines()).position(|(a, b)| a != b);
                let at = line.unwrap_or(0);
                panic!(
                    "{threads} threads, ranges of {range_bytes}: line {at}: {:?} vs {:?}",
                    got.lines().nth(at),
                    want.lines().nth(at)
                );
            }
            assert_eq!(
                seen, want_seen,
                "{threads} threads, ranges of {range_bytes}"
            );
        }
        let report: serde_json::Value =
            serde_json::from_str(want.split("\n[").next().unwrap()).unwrap();
        assert!(
            !report["anomalies"].as_array().unwrap().is_empty(),
            "{report}"
        );
        let event_rules = report["event_rules"]["rules"].as_array().unwrap();
        let kept = |name: &str| {
            let rule = event_rules.iter().find(|r| r["name"] == name).unwrap();
            (
                rule["matches"].as_u64().unwrap(),
                rule["events"].as_array().unwrap().len(),
            )
        };
        let (root, root_kept) = kept("CIS-5.3-root_usage");
        assert!(root > 100 && root_kept == 100, "{root} {root_kept}");
        let (stop, _) = kept("CIS-5.5-cloudtrail_cfg_changes");
        assert!(stop > 10, "{stop}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// Logs in memory are read alike.
    #[test]
    fn bytes_are_scanned_in_parallel_alike() {
        let text: String = (0..500).map(|m| record(m, m) + "\n").collect();
        let gz = gzip(text.as_bytes());
        let logs = || {
            Inputs::Bytes(vec![
                ("a.jsonl".to_owned(), text.as_bytes()),
                ("b.gz".to_owned(), &gz[..]),
                ("c".to_owned(), b"{bad\n"),
            ])
        };
        let want = one_pass(insights_scanner(), logs());
        assert_eq!(parallel(insights_scanner, logs(), 3, 1), want);
    }

    /// An error from `observe` stops a parallel scan too, and is what it returns.
    #[test]
    fn an_observer_error_stops_a_parallel_scan() {
        let dir = tree("stop");
        let paths = [dir.clone()];
        let parallel = Parallel {
            range_bytes: 1000,
            ..Parallel::threads(2)
        };
        let mut inputs = 0;
        let stopped = scan_parallel(
            scanner(),
            Inputs::Paths(&paths, WalkOptions::default()),
            parallel,
            |seen| {
                if let Observed::Input(_) = seen {
                    inputs += 1;
                    if inputs == 2 {
                        return Err("stop");
                    }
                }
                Ok(())
            },
        );
        assert_eq!(stopped.unwrap_err(), "stop");
        assert_eq!(inputs, 2);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// Partial scans (`Tally`) that travel as JSON: the CIS pack with anomaly detection, a
    /// filter with a default value and one with dimensions.
    mod tallies {
        use super::*;
        use crate::rules::MetricFilterDef;
        use crate::scan::Tally;
        use proptest::prelude::*;
        use trailmatch::MetricTransformation;

        fn filter(
            name: &str,
            pattern: &str,
            default: Option<f64>,
            dims: &[(&str, &str)],
        ) -> MetricFilterDef {
            MetricFilterDef {
                filter_name: name.to_owned(),
                filter_pattern: pattern.to_owned(),
                log_group_name: None,
                metric_transformations: vec![MetricTransformation {
                    metric_name: name.to_owned(),
                    metric_namespace: "Test".to_owned(),
                    metric_value: "1".to_owned(),
                    default_value: default,
                    dimensions: dims
                        .iter()
                        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                        .collect(),
                    unit: None,
                }],
                apply_on_transformed_logs: false,
                creation_time: None,
                location: None,
            }
        }

        fn scanner() -> Scanner {
            let mut rules = insights_rules();
            rules.metric_filters.push(filter(
                "Tags",
                r#"{ $.eventName = "CreateTags" }"#,
                Some(0.0),
                &[],
            ));
            rules.metric_filters.push(filter(
                "Errors",
                "{ $.errorCode = * }",
                None,
                &[("Name", "$.eventName"), ("Region", "$.awsRegion")],
            ));
            Scanner::new(&rules, insights_options()).unwrap()
        }

        /// Each file's items, in walk order.
        fn items(dir: &std::path::Path) -> Vec<Item> {
            Reader::with_walk(
                vec![Input::Path(dir.to_owned())],
                options(),
                WalkOptions::default(),
            )
            .collect()
        }

        /// The items cut at `cuts` (positions), each run tallied, sent as JSON and added in
        /// order to a scanner of the same rules.
        fn by_tallies(items: Vec<Item>, cuts: &[usize]) -> String {
            let task = scanner();
            let mut driver = scanner();
            let mut cuts: Vec<usize> = cuts.iter().map(|c| c % (items.len() + 1)).collect();
            cuts.sort_unstable();
            let mut rest = items.into_iter();
            let mut at = 0;
            let mut tallies = Vec::new();
            for cut in cuts.into_iter().chain([usize::MAX]) {
                let run: Vec<Item> = rest.by_ref().take(cut.saturating_sub(at)).collect();
                at = at.max(cut);
                let text = serde_json::to_string(&task.tally(run)).unwrap();
                tallies.push(serde_json::from_str::<Tally>(&text).unwrap());
            }
            // Consecutive tallies merged (in threes) where they are made give the same.
            let mut merged = Vec::new();
            let mut tallies = tallies.into_iter().peekable();
            while tallies.peek().is_some() {
                let group: Vec<Tally> = tallies.by_ref().take(3).collect();
                merged.push(task.merge_tallies(group).unwrap());
            }
            for tally in merged {
                driver.add_tally(tally).unwrap();
            }
            report_text(&driver.finish())
        }

        #[test]
        fn tallies_added_in_order_give_what_one_pass_gives() {
            let dir = tree("tallies");
            let paths = [dir.clone()];
            let (want, _) = one_pass(scanner(), Inputs::Paths(&paths, WalkOptions::default()));
            assert!(
                want.contains("invalid-json") && want.contains("\"Errors\""),
                "{want}"
            );
            // The EventBridge rules' matches travel too, with their targets' messages.
            assert!(want.contains("\"event_rules\"") && want.contains("\"targets\""));
            let all = items(&dir);
            let n = all.len();
            for cuts in [
                vec![],
                vec![0],
                vec![1, 2, 3],
                vec![n / 3, n / 2, n - 1],
                (0..n).step_by(7).collect(),
            ] {
                assert_eq!(by_tallies(items(&dir), &cuts), want, "cuts {cuts:?}");
            }
            let report: serde_json::Value =
                serde_json::from_str(want.split("\n[").next().unwrap()).unwrap();
            assert!(
                !report["anomalies"].as_array().unwrap().is_empty(),
                "{report}"
            );
            std::fs::remove_dir_all(&dir).unwrap();
        }

        #[test]
        fn tallies_of_other_rules_are_refused() {
            let tally = scanner().tally(Vec::new());
            let mut cis = Scanner::new(&RuleSet::cis(), ScanOptions::default()).unwrap();
            let e = cis.add_tally(tally).unwrap_err();
            assert_eq!(e.code(), "tally-other-rules");
            assert!(e.to_string().contains("metric filters"), "{e}");
            let with_events = insights_scanner().tally(Vec::new());
            let mut without = Scanner::new(&RuleSet::cis(), ScanOptions::with_insights()).unwrap();
            let e = without.add_tally(with_events).unwrap_err();
            assert!(e.to_string().contains("EventBridge"), "{e}");
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(32))]

            /// Records and damaged pieces of every kind, cut anywhere into tallies: the report
            /// of one pass.
            #[test]
            fn any_cut_into_tallies_gives_what_one_pass_gives(
                lines in prop::collection::vec(prop_oneof![4 => (0u32..200).prop_map(|m| record(m, m)), 1 => prop::sample::select(super::lines::PIECES).prop_map(str::to_owned)], 0..60),
                cuts in prop::collection::vec(0usize..100, 0..6),
            ) {
                let text = lines.join("\n");
                let read = || logs::read_stream("f.jsonl", text.as_bytes(), options()).collect::<Vec<_>>();
                let want = one_pass(scanner(), Inputs::Bytes(vec![("f.jsonl".to_owned(), text.as_bytes())])).0;
                prop_assert_eq!(by_tallies(read(), &cuts), want, "{:?}", text);
            }
        }
    }

    mod lines {
        use super::*;
        use proptest::prelude::*;

        /// Lines of every kind that one stream and ranges read.
        pub(super) const PIECES: &[&str] = &[
            "",
            "   ",
            "{bad",
            "[1]",
            "not json at all",
            "{\"eventName\":\"StopLogging\",\"x\":1} trailing",
            "{\"Records\":[{\"eventName\":\"StopLogging\"},{\"eventName\":NaN}]}",
            // Container keys after another key, with an escape, of the wrong type, deeper down
            // and as a value: lent lines are not searched for them.
            "{\"eventVersion\":\"1.08\",\"Records\":[{\"eventName\":\"StopLogging\"}]}",
            "{\"\\u0052ecords\":[{\"eventName\":\"StopLogging\"}]}",
            "{\"eventName\":\"StopLogging\",\"events\":\"x\"}",
            "{\"eventName\":\"StopLogging\",\"requestParameters\":{\"logFiles\":[{\"eventName\":\"DeleteTrail\"}]}}",
            "{\"eventName\":\"awslogs\"}",
            // Form feeds after an object, alone or with a container key's text in it: invalid
            // JSON, as one stream reads it.
            "{\"eventName\":\"StopLogging\"}\u{c}",
            "{\"eventName\":\"StopLogging\",\"x\":\"Records\"}\u{c}",
            "{\"eventName\":\"StopLogging\",\"x\":\"\\u0073\"}\u{c} ",
            "2020-09-14T00:44:23.000Z {\"eventName\":\"StopLogging\"}",
            "{\"eventName\":",
            "\"StopLogging\"}",
            // A line lent to the scan that is no JSON object: it ends the range's fast reading.
            "{\"eventName\":}",
            "{\"eventName\":\"A\",\"eventName\":\"StopLogging\"}",
            "  {\"eventName\":\"StopLogging\"}\r",
            "{\"eventName\":\"StopLogging\"}\t ",
            "\u{feff}{\"eventName\":\"X\"}",
            "{\"eventName\":\"Caf\\u00e9\"}",
            "\u{1}binary",
        ];

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(48))]

            /// Files of records, with pieces of every kind among them, cut into ranges of any
            /// size: the report of one pass.
            #[test]
            fn any_file_of_lines_gives_what_one_pass_gives(
                lines in prop::collection::vec(prop_oneof![4 => (0u32..200).prop_map(|m| record(m, m)), 1 => prop::sample::select(PIECES).prop_map(str::to_owned)], 0..60),
                newline_at_end: bool,
                range_bytes in prop::sample::select(vec![1u64, 13, 200, 1000, 100_000]),
                threads in 1usize..4,
            ) {
                let mut text = lines.join("\n");
                if newline_at_end {
                    text.push('\n');
                }
                let dir = tempfile::tempdir().unwrap();
                let path = dir.path().join("f.jsonl");
                std::fs::write(&path, &text).unwrap();
                let paths = [path];
                let walk = WalkOptions::default();
                let want = one_pass(insights_scanner(), Inputs::Paths(&paths, walk.clone()));
                let got = parallel(insights_scanner, Inputs::Paths(&paths, walk), threads, range_bytes);
                prop_assert_eq!(got, want, "{:?}", text);
            }
        }
    }
}
