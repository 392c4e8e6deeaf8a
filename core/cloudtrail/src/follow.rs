//! Follow mode: the scan kept running as CloudTrail (or Firehose, or `aws s3 sync`) writes new
//! files into a directory tree, or as records arrive on a stream, with alarms evaluated as
//! event time passes each period boundary, as CloudWatch evaluates them as time passes.
//!
//! A [`Follower`] is fed records ([`Follower::read`], [`Follower::read_file`]) and keeps a
//! *watermark*: the latest event time seen less the lateness allowed
//! ([`FollowOptions::lateness_ms`]). Each minute that ends at or before the watermark is closed
//! (metric filters' `defaultValue`s are published for it), and each alarm is evaluated at every
//! end of one of its periods that the watermark passes, with the same rules and from the same
//! first evaluation as [`Scanner::finish`](crate::scan::Scanner::finish): fed the records of a
//! batch scan in order, a follower makes the same state changes, and the same SNS messages, as
//! far as its watermark has gone ([`Follower::finish`] settles the rest, as the batch scan does
//! at the end of its input). The state changes' SNS messages wait in an outbox
//! ([`Follower::outbox`]) until the caller says they were delivered.
//!
//! ```
//! use trailmatch_cloudtrail::follow::{FollowOptions, Follower};
//! use trailmatch_cloudtrail::logs;
//! use trailmatch_cloudtrail::rules::RuleSet;
//! use trailmatch_cloudtrail::scan::ScanOptions;
//!
//! let mut follower = Follower::new(&RuleSet::cis(), ScanOptions::default(), FollowOptions::default())?;
//! let now = i64::MAX / 2; // the clock (records far ahead of it do not move the watermark)
//! let log = concat!(
//!     r#"{"eventTime":"2026-11-23T10:07:30Z","eventSource":"cloudtrail.amazonaws.com","eventName":"StopLogging","awsRegion":"us-east-1","recipientAccountId":"111122223333"}"#, "\n",
//!     // 10:16: event time less the 5-minute lateness has passed 10:10, the end of the period
//!     // holding the StopLogging call.
//!     r#"{"eventTime":"2026-11-23T10:16:00Z","eventSource":"s3.amazonaws.com","eventName":"ListBuckets","awsRegion":"us-east-1","recipientAccountId":"111122223333"}"#,
//! );
//! for item in logs::read_stream("trail.jsonl", log.as_bytes(), logs::Options::default()) {
//!     follower.read(item, now);
//! }
//! let notice = &follower.outbox()[0];
//! assert_eq!(notice.alarm, "CIS-5.5-cloudtrail_cfg_changes_alarm");
//! assert_eq!((notice.from.as_str(), notice.to.as_str()), ("INSUFFICIENT_DATA", "ALARM"));
//! assert!(notice.messages[0].message.as_ref().is_ok_and(|m| m.contains("cis-alarms")));
//! follower.delivered(1);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Files are taken to be written whole — CloudTrail puts whole objects to S3, Firehose writes
//! whole objects, and `aws s3 sync` downloads to a temporary name and renames — and a file is
//! read once its size and modification time were the same at two polls in a row
//! ([`Follower::poll`]); a file that changes after it was read is reported as a `file-changed`
//! skip and not read again.
//!
//! Records that arrive for a minute already closed are still counted and their datapoints
//! published (an alarm sees them in later evaluations whose range holds them, as CloudWatch
//! sees late datapoints), but no evaluation already made is made again: they are counted as
//! [`late`](Progress::late). A record more than [`MAX_FUTURE_MS`] ahead of the clock does not
//! move the watermark and leaves no datapoint (CloudWatch Logs refuses such events): counted
//! as [`future`](Progress::future).
//!
//! Everything needed to continue after a restart is a [`FollowState`], written atomically
//! ([`FollowState::save`]: a temporary file in the same directory, then a rename): the alarms'
//! states and next evaluations, the open minutes and the datapoints later evaluations still
//! need, the counts, the files read, and the outbox.
//!
//! Memory is bounded, however long it runs: a metric series keeps only the minutes from the
//! earliest that a coming evaluation looks at (`EvaluationPeriods` + 2 periods back from the
//! next evaluation of the alarms; minutes before the last closed one for series no alarm
//! watches), so about `max(Period × (EvaluationPeriods + 2)) + lateness` of minutes per series;
//! the open minutes are those within the lateness; the files remembered are those still in the
//! tree (a file removed from the tree is forgotten). What is not bounded is the number of
//! distinct series (dimension values) seen within that window, and the skip examples (five
//! per reason). Insights-style anomalies are not looked for in follow mode.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

use serde::{Deserialize, Serialize};

use crate::alarm::{EvaluateOptions, NotificationContext, State};
use crate::logs::{self, Input, Item, Reader};
use crate::rules::RuleSet;
use crate::s3key::Selected;
use crate::scan::{
    self, AlarmReport, Counts, MetricKey, RuleError, ScanOptions, Scanner, SkipSummary, Tally,
    TallyError, TimeRange,
};
use crate::series::{Series, Statistics};
use crate::time::{self, MINUTE_MS};
use crate::walk::{self, Entry, Walk, WalkOptions};

/// The default lateness: five minutes, CloudTrail's stated delivery time ("CloudTrail typically
/// delivers logs within an average of about 5 minutes of an API call", AWS CloudTrail User
/// Guide, "Getting and viewing your CloudTrail log files").
/// The CloudWatch User Guide says when alarms are evaluated (every minute for periods of a
/// minute or more; every 10 s for 10 s and 30 s periods) but documents no evaluation delay.
pub const DEFAULT_LATENESS_MS: i64 = 5 * MINUTE_MS;

/// How far ahead of the clock a record may be and still move the watermark: two hours, as
/// CloudWatch Logs' `PutLogEvents` refuses events more than two hours in the future.
pub const MAX_FUTURE_MS: i64 = 2 * 60 * MINUTE_MS;

/// Periods beyond `EvaluationPeriods` that an evaluation looks back over
/// ([`EvaluateOptions::extra_periods`]'s default): datapoints are kept that long.
const EXTRA_PERIODS: i64 = 2;

/// The name a state file is recognised by.
const STATE_FORMAT: &str = "trailmatch-follow-state";
/// Its version.
const STATE_VERSION: u32 = 1;

/// How a [`Follower`] runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FollowOptions {
    /// How long after a minute ends records of it may still arrive before it is closed
    /// (milliseconds, at least 0).
    pub lateness_ms: i64,
}

impl Default for FollowOptions {
    fn default() -> FollowOptions {
        FollowOptions {
            lateness_ms: DEFAULT_LATENESS_MS,
        }
    }
}

/// A file as it was when read: its size and modification time.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileMark {
    /// Bytes.
    pub len: u64,
    /// Modification time, milliseconds since the epoch.
    pub modified_ms: i64,
}

impl FileMark {
    fn of(meta: &std::fs::Metadata) -> FileMark {
        let modified_ms = meta
            .modified()
            .ok()
            .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
            .and_then(|d| i64::try_from(d.as_millis()).ok())
            .unwrap_or(0);
        FileMark {
            len: meta.len(),
            modified_ms,
        }
    }
}

/// The mark of a path the walk reported as not readable (reported once; read when it becomes
/// readable).
const UNREADABLE: FileMark = FileMark {
    len: 0,
    modified_ms: -1,
};

/// What [`Follower::poll`] found ready.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Ready {
    /// A file to read whole ([`Follower::read_file`]).
    File(PathBuf, FileMark),
}

/// One alarm state change and the SNS messages CloudWatch would publish for it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Notice {
    /// The alarm.
    pub alarm: String,
    /// When (the end of the period whose evaluation changed the state), ms since the epoch.
    pub time_ms: i64,
    /// The state before.
    pub from: State,
    /// The state after.
    pub to: State,
    /// CloudWatch's reason.
    pub reason: String,
    /// One per SNS action of the new state.
    pub messages: Vec<Outgoing>,
}

/// One SNS message of a [`Notice`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Outgoing {
    /// The topic ARN (account and region put in).
    pub topic: String,
    /// The message (JSON text), or why it cannot be published (its topic ARN is not valid).
    pub message: Result<String, String>,
}

/// Where a follower has got to.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Progress {
    /// Every record and skip, as a scan counts them.
    pub records: Counts,
    /// Records of a minute already closed (counted in `records` too).
    pub late: u64,
    /// Records more than [`MAX_FUTURE_MS`] ahead of the clock (counted in `records` too).
    pub future: u64,
    /// The latest event time seen (ms since the epoch).
    pub latest_ms: Option<i64>,
    /// Minutes before this one are closed.
    pub closed_ms: Option<i64>,
    /// Alarm state changes made.
    pub transitions: u64,
    /// Files read.
    pub files: u64,
}

/// One alarm's evaluation so far.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct Run {
    name: String,
    state: State,
    /// The next evaluation: at the end of period `next - 1` (periods numbered from the epoch);
    /// `None` until the first record.
    next: Option<i64>,
}

/// A scan that keeps going. See the [module documentation](self).
pub struct Follower {
    scanner: Scanner,
    options: FollowOptions,
    fingerprint: String,
    runs: Vec<Run>,
    progress: Progress,
    files: BTreeMap<String, FileMark>,
    /// Files seen once, with their size then: read when seen again unchanged.
    waiting: BTreeMap<String, FileMark>,
    /// Objects this run could not open ([`Follower::read_named`]): not asked for again before
    /// the next run (the state keeps them as unreadable, which a next run asks for again).
    refused: BTreeSet<String>,
    outbox: Vec<Notice>,
    /// Datapoints and open minutes after this are dropped (records too far ahead of the clock).
    future_limit: i64,
}

impl fmt::Debug for Follower {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Follower")
            .field("progress", &self.progress)
            .field("files", &self.files.len())
            .field("outbox", &self.outbox.len())
            .finish_non_exhaustive()
    }
}

impl Follower {
    /// Compiles the rules as [`Scanner::new`] does (anomaly detection is left out).
    pub fn new(
        rules: &RuleSet,
        options: ScanOptions,
        follow: FollowOptions,
    ) -> Result<Follower, RuleError> {
        let fingerprint = fingerprint(rules, &options);
        let options = ScanOptions {
            insights: None,
            ..options
        };
        let scanner = Scanner::new(rules, options)?;
        let runs = rules
            .alarms
            .iter()
            .map(|def| Run {
                name: def.alarm_name.clone(),
                state: EvaluateOptions::default().initial_state,
                next: None,
            })
            .collect();
        Ok(Follower {
            scanner,
            options: FollowOptions {
                lateness_ms: follow.lateness_ms.max(0),
            },
            fingerprint,
            runs,
            progress: Progress::default(),
            files: BTreeMap::new(),
            waiting: BTreeMap::new(),
            refused: BTreeSet::new(),
            outbox: Vec::new(),
            future_limit: i64::MAX,
        })
    }

    /// Where it has got to.
    pub fn progress(&self) -> Progress {
        Progress {
            records: self.scanner.counts(),
            ..self.progress
        }
    }

    /// The skips so far, by reason.
    pub fn skipped(&mut self) -> Vec<SkipSummary> {
        let (_, found) = self.scanner.parts_mut();
        found.skipped.values().cloned().collect()
    }

    /// Each alarm's name and state.
    pub fn alarm_states(&self) -> impl Iterator<Item = (&str, State)> {
        self.runs.iter().map(|r| (r.name.as_str(), r.state))
    }

    /// The state changes not yet delivered, in time order.
    pub fn outbox(&self) -> &[Notice] {
        &self.outbox
    }

    /// Removes the first `n` notices of the outbox: they were delivered (or given up on).
    pub fn delivered(&mut self, n: usize) {
        self.outbox.drain(..n.min(self.outbox.len()));
    }

    /// The watermark: the latest event time less the lateness.
    pub fn watermark_ms(&self) -> Option<i64> {
        self.progress
            .latest_ms
            .map(|t| t.saturating_sub(self.options.lateness_ms))
    }

    /// Feeds one item read from a log; closes minutes and evaluates alarms when the watermark
    /// passes a minute's end. `now_ms` is the clock (for [`MAX_FUTURE_MS`]).
    pub fn read(&mut self, item: Item, now_ms: i64) {
        let (_, found) = self.scanner.parts_mut();
        found.totals.latest = None;
        self.scanner.read(item);
        let (_, found) = self.scanner.parts_mut();
        let Some(t) = found.totals.latest.take() else {
            return;
        };
        if t > now_ms.saturating_add(MAX_FUTURE_MS) {
            // Counted; its minute and datapoints are dropped, so that records far ahead of
            // the clock cannot hold memory until event time reaches them.
            self.progress.future += 1;
            self.drop_future(now_ms.saturating_add(MAX_FUTURE_MS));
            return;
        }
        if self.progress.closed_ms.is_some_and(|c| t < c) {
            self.progress.late += 1;
        }
        if self.progress.latest_ms.is_none_or(|l| t > l) {
            self.progress.latest_ms = Some(t);
            self.advance();
        }
    }

    /// Drops the minutes and datapoints after `limit` (records too far ahead of the clock).
    fn drop_future(&mut self, limit: i64) {
        self.future_limit = limit;
        let (_, found) = self.scanner.parts_mut();
        found.totals.ingest_minutes.retain(|m| m <= limit);
        for set in found.totals.match_minutes.iter_mut().flatten() {
            set.retain(|m| m <= limit);
        }
        found.totals.last_minute = None;
        for series in found.metrics.values_mut() {
            series.retain(|m, _| *m <= limit);
        }
        found.metrics.retain(|_, s| !s.is_empty());
    }

    /// Adds a [`Tally`] (a run of records read elsewhere, e.g. by a Spark task, with
    /// [`Scanner::tally`] and the same rules and options; anomalies left out), then closes
    /// minutes and evaluates alarms as far as the watermark has moved: as [`Follower::read`]
    /// of its records would, except that the alarms are evaluated once, after the whole run
    /// (not between its records), and that a record is taken to be ahead of the clock by its
    /// minute (within a minute of [`MAX_FUTURE_MS`] it still counts).
    pub fn add_tally(&mut self, tally: Tally, now_ms: i64) -> Result<(), TallyError> {
        let minutes = tally.minutes().to_vec();
        self.scanner.add_tally(tally)?;
        let limit = now_ms.saturating_add(MAX_FUTURE_MS);
        let (mut latest, mut future) = (None::<i64>, 0);
        for (minute, n, last) in minutes {
            if minute > limit {
                future += n;
                continue;
            }
            if self.progress.closed_ms.is_some_and(|c| minute < c) {
                self.progress.late += n;
            }
            let last = last.min(limit);
            latest = Some(latest.map_or(last, |l| l.max(last)));
        }
        if future > 0 {
            self.progress.future += future;
            self.drop_future(limit);
        }
        if let Some(t) = latest {
            if self.progress.latest_ms.is_none_or(|l| t > l) {
                self.progress.latest_ms = Some(t);
                self.advance();
            }
        }
        Ok(())
    }

    /// Counts one stretch of input that could not be read (as [`Scanner::skip`]).
    pub fn skip(&mut self, code: &str, location: String, message: String) {
        self.scanner.skip(code, location, message);
    }

    /// Reads one file whole (every record and skip of it), and remembers it as read with
    /// `mark`.
    pub fn read_file(&mut self, path: &Path, mark: FileMark, now_ms: i64) {
        for item in Reader::new(vec![Input::Path(path.to_owned())], logs::Options::default()) {
            self.read(item, now_ms);
        }
        self.files.insert(path_key(path), mark);
        self.progress.files += 1;
    }

    /// Reads one input whole from `reader` (named `name`, as locations give it), and remembers
    /// it as read with `mark`: an object of a bucket ([`Follower::poll_listed`]). One that could
    /// not be opened is counted as a skip and not asked for again in this run; the next run
    /// asks for it again (a permission given back, an object restored from an archive).
    pub fn read_named(
        &mut self,
        name: &str,
        reader: io::Result<Box<dyn io::Read + Send>>,
        mark: FileMark,
        now_ms: i64,
    ) {
        let opened = reader.is_ok();
        for item in logs::read_opened(name.to_owned(), reader, logs::Options::default()) {
            self.read(item, now_ms);
        }
        if opened {
            self.files.insert(name.to_owned(), mark);
            self.progress.files += 1;
        } else {
            self.files.insert(name.to_owned(), UNREADABLE);
            self.refused.insert(name.to_owned());
        }
    }

    /// Of a listing of a bucket's objects (`s3://BUCKET/KEY` with its size and last
    /// modification), in listing order, gives those to read now: those not read yet, each once
    /// (URLs that overlap list some twice), in the order of their last modification (S3's time
    /// of delivery: a trail's Regions and accounts lie in directories of their own, which a
    /// listing gives one after another), the listing's order among equals. An object is whole
    /// once listed (S3 stores an upload at once), so it is read at the first listing that shows
    /// it, where a file is read once two walks find it unchanged. An object read before with
    /// another mark (written again) is counted as a skip, once. Objects read that are gone from
    /// the listing are forgotten, as files gone from the tree are, but for those under the
    /// `kept` prefixes (directories not listed this time) and those `select` leaves out.
    pub fn poll_listed(
        &mut self,
        listed: Vec<(String, FileMark)>,
        kept: &[String],
        select: Option<&Selected>,
    ) -> Vec<(String, FileMark)> {
        let mut ready = Vec::new();
        let mut present = BTreeSet::new();
        for (name, mark) in listed {
            if present.contains(&name) {
                continue;
            }
            if self.files.get(&name) == Some(&UNREADABLE) && !self.refused.contains(&name) {
                // Refused in an earlier run: asked for again.
                self.files.remove(&name);
            }
            match self.files.get(&name) {
                Some(read) if *read == mark || *read == UNREADABLE => {}
                Some(read) => {
                    let message = format!(
                        "written again after it was read ({} bytes then, {} now); follow mode \
                         reads each object once",
                        read.len, mark.len
                    );
                    self.files.insert(name.clone(), mark);
                    self.scanner.skip("file-changed", name.clone(), message);
                }
                None => ready.push((name.clone(), mark)),
            }
            present.insert(name);
        }
        self.forget_gone(&present, kept, select);
        ready.sort_by_key(|(_, mark)| mark.modified_ms);
        ready
    }

    /// Forgets the files read that are gone: all but those `present`, those under the `kept`
    /// prefixes, and those `select` leaves out (not gone: a run with another selection must not
    /// read them again).
    fn forget_gone(
        &mut self,
        present: &BTreeSet<String>,
        kept: &[String],
        select: Option<&Selected>,
    ) {
        self.files.retain(|k, _| {
            present.contains(k)
                || kept.iter().any(|dir| k.starts_with(dir.as_str()))
                || select.is_some_and(|s| !s.keys().keeps(k))
        });
    }

    /// Walks `roots` and gives the files to read now: those not read yet whose size and
    /// modification time are those of the previous poll, in the order of their modification
    /// (`aws s3 sync` gives a file its object's last modification, CloudTrail's delivery: a
    /// trail's Regions are directories of their own, which a walk gives one after another),
    /// walk order among equals. What the walk skips (unreadable paths, FIFOs…) and files that
    /// changed after they were read are counted as skips, once each. Files read that are gone
    /// from the tree are forgotten.
    pub fn poll(&mut self, roots: &[PathBuf], walk_options: &WalkOptions) -> Vec<Ready> {
        let mut ready = Vec::new();
        let mut present = BTreeSet::new();
        for entry in Walk::new(roots.to_vec(), walk_options.clone()) {
            match entry {
                Entry::File(path) => {
                    let key = path_key(&path);
                    let Ok(meta) = std::fs::metadata(&path) else {
                        // Gone between the listing and now.
                        continue;
                    };
                    present.insert(key.clone());
                    let mark = FileMark::of(&meta);
                    if self.files.get(&key) == Some(&UNREADABLE) {
                        // Reported unreadable before, readable now: a new file.
                        self.files.remove(&key);
                    }
                    match self.files.get(&key) {
                        Some(read) if *read == mark => {}
                        Some(read) => {
                            let message = format!(
                                "changed after it was read ({} bytes then, {} now); follow \
                                 mode reads each file once, whole",
                                read.len, mark.len
                            );
                            self.files.insert(key.clone(), mark);
                            self.scanner.skip("file-changed", key, message);
                        }
                        None if self.waiting.get(&key) == Some(&mark) => {
                            self.waiting.remove(&key);
                            ready.push(Ready::File(path, mark));
                        }
                        None => {
                            self.waiting.insert(key, mark);
                        }
                    }
                }
                Entry::Skipped {
                    path,
                    reason,
                    message,
                } => {
                    let key = path_key(&path);
                    present.insert(key.clone());
                    if self.files.contains_key(&key) {
                        continue;
                    }
                    let skip = walk_skip(&path, reason, &message);
                    self.files.insert(key, UNREADABLE);
                    self.scanner
                        .skip(skip.kind.code(), skip.location.to_string(), skip.message);
                }
            }
        }
        self.forget_gone(&present, &[], walk_options.select.as_deref());
        self.waiting.retain(|k, _| present.contains(k));
        ready.sort_by_key(|ready| {
            let Ready::File(_, mark) = ready;
            mark.modified_ms
        });
        ready
    }

    /// The input has ended: every minute is closed and the alarms are evaluated until their
    /// state cannot change any more, as a batch scan does at the end of its input.
    /// Up to the latest record that counted: one far ahead of the clock closes nothing here
    /// either.
    pub fn finish(&mut self) {
        let Some(last) = self.progress.latest_ms else {
            return;
        };
        let end = time::minute_floor(last).saturating_add(MINUTE_MS);
        self.close(end, Some(end));
    }

    /// Closes the minutes the watermark has passed and evaluates the alarms up to it.
    fn advance(&mut self) {
        let Some(w) = self.watermark_ms() else {
            return;
        };
        let close = w.div_euclid(MINUTE_MS).saturating_mul(MINUTE_MS);
        if self.progress.closed_ms.is_some_and(|c| close <= c) {
            return;
        }
        self.close(close, None);
    }

    /// Closes the minutes before `close`, evaluates every alarm at each of its period ends up
    /// to `close` (`settle`: to the end of the input at `settle`, then until its state cannot
    /// change), and drops the datapoints no coming evaluation needs.
    fn close(&mut self, close: i64, settle: Option<i64>) {
        let (compiled, found) = self.scanner.parts_mut();
        // Default values, for the minutes with records and no match (a minute closed before,
        // reopened by a late record, already has its own).
        let closed_before = self.progress.closed_ms.unwrap_or(i64::MIN);
        let minutes: Vec<i64> = found
            .totals
            .ingest_minutes
            .iter()
            .filter(|m| (closed_before..close).contains(m))
            .collect();
        for (i, filter) in compiled.filters.iter().enumerate() {
            let Some(default) = filter.filter.transformation().default_value else {
                continue;
            };
            let unmatched: Vec<i64> = {
                let matched = found.totals.match_minutes.get(i).and_then(Option::as_ref);
                minutes
                    .iter()
                    .copied()
                    .filter(|&m| !matched.is_some_and(|set| set.contains(m)))
                    .collect()
            };
            for minute in unmatched {
                found.publish(filter, minute, default, BTreeMap::new());
            }
        }
        found.totals.ingest_minutes.retain(|m| m >= close);
        for set in found.totals.match_minutes.iter_mut().flatten() {
            set.retain(|m| m >= close);
        }
        found.totals.last_minute = None;

        // The alarms.
        let options = &compiled.options;
        let account = options
            .account_id
            .clone()
            .or_else(|| found.totals.accounts.most())
            .unwrap_or_default();
        let region = options
            .region
            .clone()
            .or_else(|| found.totals.regions.most())
            .unwrap_or_default();
        let context = NotificationContext::new(account, region);
        let first = found.totals.range.map(|r| time::minute_floor(r.first_ms));
        let empty = Series::new();
        let mut notices = Vec::new();
        let mut horizon = close;
        for (index, ((def, alarm), run)) in compiled.alarms.iter().zip(&mut self.runs).enumerate() {
            let Some(first) = first else { continue };
            let p = alarm.period_ms().max(1);
            let next = *run
                .next
                .get_or_insert(first.div_euclid(p).saturating_add(1));
            let at = |e: i64| e.saturating_mul(p);
            let (range, settle_after) = match settle {
                Some(end) => (at(next - 1)..end.max(at(next - 1).saturating_add(1)), true),
                None => {
                    let last = close.div_euclid(p);
                    if last < next {
                        horizon = horizon.min(at(next.saturating_sub(width(def))));
                        continue;
                    }
                    (at(next - 1)..at(last), false)
                }
            };
            let series = found.metrics.get(&scan::alarm_key(def)).unwrap_or(&empty);
            let evaluation = alarm.evaluate_with(
                series,
                range,
                &EvaluateOptions {
                    initial_state: run.state,
                    settle: settle_after,
                    reason_data: false,
                    ..EvaluateOptions::default()
                },
            );
            let mut def = def.clone();
            for actions in [
                &mut def.alarm_actions,
                &mut def.ok_actions,
                &mut def.insufficient_data_actions,
            ] {
                for action in actions.iter_mut() {
                    *action = scan::substitute(action, &context);
                }
            }
            let mut report = AlarmReport {
                name: def.alarm_name.clone(),
                metric: scan::alarm_key(&def),
                state: evaluation.final_state,
                transitions: Vec::new(),
                def,
                context: context.clone(),
                // Follow mode sends messages; it draws no chart.
                alarm: alarm.clone(),
                evaluated_range: None,
            };
            for t in evaluation.transitions {
                if t.time_ms > time::MAX_MS {
                    break;
                }
                run.state = t.to;
                let topics: Vec<String> = report
                    .def
                    .actions_for(t.to)
                    .iter()
                    .filter(|a| a.starts_with("arn:aws:sns:"))
                    .cloned()
                    .collect();
                report.transitions = vec![t];
                let Some(t) = report.transitions.first() else {
                    continue;
                };
                let messages = topics
                    .into_iter()
                    .zip(report.outbox_for(t))
                    .map(|(topic, m)| Outgoing {
                        topic,
                        message: m.map_err(|e| e.to_string()),
                    })
                    .collect();
                notices.push((
                    index,
                    Notice {
                        alarm: report.name.clone(),
                        time_ms: t.time_ms,
                        from: t.from,
                        to: t.to,
                        reason: t.reason.clone(),
                        messages,
                    },
                ));
            }
            let next = match evaluation.final_time_ms {
                Some(t) => t.div_euclid(p).saturating_add(1),
                None => next,
            };
            run.next = Some(next);
            horizon = horizon.min(at(next.saturating_sub(width(&report.def))));
        }
        notices.sort_by_key(|(index, n)| (n.time_ms, *index));
        self.progress.transitions += notices.len() as u64;
        self.outbox.extend(notices.into_iter().map(|(_, n)| n));
        self.progress.closed_ms = Some(self.progress.closed_ms.map_or(close, |c| c.max(close)));

        // Datapoints no coming evaluation looks at.
        let (_, found) = self.scanner.parts_mut();
        for series in found.metrics.values_mut() {
            let kept = series.split_off(&horizon);
            *series = kept;
        }
        found.metrics.retain(|_, s| !s.is_empty());
    }

    /// What a restart needs to continue where this follower is.
    pub fn state(&mut self) -> FollowState {
        let progress = self.progress();
        let (compiled, found) = self.scanner.parts_mut();
        let totals = &found.totals;
        let ingest: Vec<i64> = totals.ingest_minutes.iter().collect();
        FollowState {
            format: STATE_FORMAT.to_owned(),
            version: STATE_VERSION,
            rules: self.fingerprint.clone(),
            progress,
            range: totals.range.map(|r| (r.first_ms, r.last_ms)),
            skipped: found.skipped.values().cloned().collect(),
            accounts: totals.accounts.to_map(),
            regions: totals.regions.to_map(),
            matches: totals.matches.clone(),
            ingest_minutes: ingest,
            match_minutes: totals
                .match_minutes
                .iter()
                .map(|m| m.as_ref().map(|m| m.iter().collect()))
                .collect(),
            metrics: found
                .metrics
                .iter()
                .map(|(key, series)| SavedSeries {
                    key: key.clone(),
                    points: series
                        .iter()
                        .map(|(m, s)| {
                            (
                                *m,
                                s.sample_count,
                                s.sum.to_bits(),
                                s.minimum.to_bits(),
                                s.maximum.to_bits(),
                            )
                        })
                        .collect(),
                })
                .collect(),
            alarms: self.runs.clone(),
            files: self.files.clone(),
            outbox: self.outbox.clone(),
            filters: compiled.filters.len(),
        }
    }

    /// Continues from `state` (see [`FollowState::load`]): refused when it was written for
    /// other rules or options.
    pub fn restore(&mut self, state: FollowState) -> Result<(), StateError> {
        if state.rules != self.fingerprint {
            return Err(StateError::OtherRules);
        }
        let (compiled, found) = self.scanner.parts_mut();
        if state.filters != compiled.filters.len()
            || state.match_minutes.len() != compiled.filters.len()
            || state.matches.len() != compiled.filters.len()
            || state.alarms.len() != self.runs.len()
            || state
                .alarms
                .iter()
                .zip(&self.runs)
                .any(|(a, b)| a.name != b.name)
        {
            return Err(StateError::OtherRules);
        }
        let totals = &mut found.totals;
        totals.counts = state.progress.records;
        totals.range = state
            .range
            .map(|(first_ms, last_ms)| TimeRange { first_ms, last_ms });
        totals.ingest_minutes = state.ingest_minutes.into_iter().collect();
        totals.last_minute = None;
        totals.accounts = crate::votes::Votes::from_map(state.accounts);
        totals.regions = crate::votes::Votes::from_map(state.regions);
        totals.matches = state.matches;
        for (mine, saved) in totals.match_minutes.iter_mut().zip(state.match_minutes) {
            if let (Some(mine), Some(saved)) = (mine, saved) {
                *mine = saved.into_iter().collect();
            }
        }
        found.skipped = state
            .skipped
            .into_iter()
            .map(|s| (s.code.clone(), s))
            .collect();
        found.metrics = state
            .metrics
            .into_iter()
            .map(|s| {
                let series: Series = s
                    .points
                    .into_iter()
                    .map(|(m, n, sum, min, max)| {
                        (
                            m,
                            Statistics {
                                sample_count: n,
                                sum: f64::from_bits(sum),
                                minimum: f64::from_bits(min),
                                maximum: f64::from_bits(max),
                            },
                        )
                    })
                    .collect();
                (s.key, series)
            })
            .collect();
        self.runs = state.alarms;
        self.progress = state.progress;
        self.files = state.files;
        self.outbox = state.outbox;
        Ok(())
    }
}

/// How many periods back an alarm's evaluation looks.
fn width(def: &crate::alarm::AlarmDef) -> i64 {
    def.evaluation_periods
        .max(1)
        .saturating_add(EXTRA_PERIODS)
        .saturating_add(1)
}

fn path_key(path: &Path) -> String {
    path.to_string_lossy().into_owned()
}

/// A skip for a path the walk could not read, as the scan reports it.
fn walk_skip(path: &Path, reason: walk::SkipReason, message: &str) -> logs::Skip {
    let kind = match reason {
        walk::SkipReason::NotAFile => logs::SkipKind::NotAFile,
        _ => logs::SkipKind::Unreadable,
    };
    let message = message
        .strip_prefix(&format!("{}: ", path.display()))
        .map_or_else(|| message.to_owned(), str::to_owned);
    logs::Skip {
        location: logs::Location {
            file: path.display().to_string(),
            ..logs::Location::default()
        },
        kind,
        message,
    }
}

/// The rules and options a state was written for, as a name-based UUID of their JSON.
fn fingerprint(rules: &RuleSet, options: &ScanOptions) -> String {
    let text = serde_json::json!({
        "metricFilters": rules.metric_filters,
        "alarms": rules.alarms,
        "filter": format!("{:?}", options.filter),
        "account": options.account_id,
        "region": options.region,
    })
    .to_string();
    uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_OID, text.as_bytes()).to_string()
}

/// One metric series as a state file keeps it: per minute, the sample count and the bits of
/// the sum, minimum and maximum (so that they read back exactly).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct SavedSeries {
    #[serde(flatten)]
    key: MetricKey,
    points: Vec<(i64, u64, u64, u64, u64)>,
}

/// What a follower keeps across restarts (`--state FILE`), as JSON. See the [module
/// documentation](self).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FollowState {
    format: String,
    version: u32,
    /// The rules and options it was written for.
    rules: String,
    filters: usize,
    progress: Progress,
    range: Option<(i64, i64)>,
    skipped: Vec<SkipSummary>,
    accounts: BTreeMap<String, u64>,
    regions: BTreeMap<String, u64>,
    matches: Vec<u64>,
    #[serde(deserialize_with = "crate::minutes::deserialize_minutes")]
    ingest_minutes: Vec<i64>,
    #[serde(deserialize_with = "crate::minutes::deserialize_minute_lists")]
    match_minutes: Vec<Option<Vec<i64>>>,
    metrics: Vec<SavedSeries>,
    alarms: Vec<Run>,
    files: BTreeMap<String, FileMark>,
    outbox: Vec<Notice>,
}

/// Why a state file cannot be used.
#[derive(Debug)]
#[non_exhaustive]
pub enum StateError {
    /// It cannot be read or written.
    Io(io::Error),
    /// It is not a follow state: not JSON, cut short, or not of this shape (the line and
    /// column of the fault, and what is wrong).
    Corrupt {
        /// 1-based line (0 when unknown).
        line: usize,
        /// 1-based column.
        column: usize,
        /// What is wrong.
        message: String,
    },
    /// It was written for other rules or options (metric filters, alarms, event filters,
    /// account or region).
    OtherRules,
}

impl StateError {
    /// The stable code: `state-unreadable`, `state-corrupt`, `state-other-rules`.
    pub fn code(&self) -> &'static str {
        match self {
            StateError::Io(_) => "state-unreadable",
            StateError::Corrupt { .. } => "state-corrupt",
            StateError::OtherRules => "state-other-rules",
        }
    }
}

impl fmt::Display for StateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StateError::Io(e) => f.write_str(&walk::io_message(e)),
            StateError::Corrupt {
                line,
                column,
                message,
            } => write!(
                f,
                "not a trailmatch follow state (line {line}, column {column}: {message}); \
                 remove it to start afresh"
            ),
            StateError::OtherRules => f.write_str(
                "written for other rules or options (metric filters, alarms, event filters, \
                 account or region); remove it, or give another --state file, to start afresh",
            ),
        }
    }
}

impl std::error::Error for StateError {}

impl FollowState {
    /// Reads a state file: `None` when there is none at `path`.
    pub fn load(path: &Path) -> Result<Option<FollowState>, StateError> {
        let bytes = match std::fs::read(path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(StateError::Io(e)),
        };
        let state: FollowState =
            serde_json::from_slice(&bytes).map_err(|e| StateError::Corrupt {
                line: e.line(),
                column: e.column(),
                message: strip_position(&e.to_string()),
            })?;
        if state.format != STATE_FORMAT || state.version != STATE_VERSION {
            return Err(StateError::Corrupt {
                line: 1,
                column: 1,
                message: format!(
                    "format `{}` version {}, where `{STATE_FORMAT}` version {STATE_VERSION} is \
                     read",
                    crate::boundary::terminal(&state.format),
                    state.version
                ),
            });
        }
        Ok(Some(state))
    }

    /// Writes the state to `path` atomically: to a temporary file in the same directory,
    /// flushed to disk, then renamed over `path`. A reader (or a restart after a crash) sees
    /// the old state or the new one, never a part.
    pub fn save(&self, path: &Path) -> Result<(), StateError> {
        let text = serde_json::to_vec(self).map_err(|e| StateError::Io(io::Error::other(e)))?;
        let dir = match path.parent() {
            Some(dir) if !dir.as_os_str().is_empty() => dir,
            _ => Path::new("."),
        };
        let mut file = tempfile::NamedTempFile::new_in(dir).map_err(StateError::Io)?;
        file.write_all(&text).map_err(StateError::Io)?;
        file.as_file().sync_all().map_err(StateError::Io)?;
        file.persist(path).map_err(|e| StateError::Io(e.error))?;
        Ok(())
    }
}

/// serde_json's message without its ` at line L column C` (given apart).
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(at) => message.get(..at).unwrap_or(message).to_owned(),
        None => message.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::run::{Inputs, scan_inputs};

    fn record(minute: i64, name: &str) -> String {
        let t = time::parse("2026-11-23T00:00:00Z").unwrap() + minute * MINUTE_MS;
        format!(
            r#"{{"eventTime":"{}","eventSource":"cloudtrail.amazonaws.com","eventName":"{name}","awsRegion":"eu-west-1","recipientAccountId":"111122223333","userIdentity":{{"type":"Root","arn":"arn:aws:iam::111122223333:root"}}}}"#,
            time::format_seconds(t)
        )
    }

    /// Tallies of runs of records (as Spark tasks make them) move the watermark, close
    /// periods and send each state change once, the messages of a per-record follower; a
    /// restart from the saved state in between changes nothing.
    #[test]
    fn tallies_make_the_state_changes_of_records() {
        let names = [
            "StopLogging",
            "DescribeTrails",
            "StopLogging",
            "DescribeTrails",
        ];
        let records: Vec<String> = (0..60)
            .map(|m| record(m, names[(m as usize / 7) % names.len()]))
            .collect();
        let now = i64::MAX / 2;
        let new = || {
            Follower::new(
                &RuleSet::cis(),
                ScanOptions::default(),
                FollowOptions::default(),
            )
            .unwrap()
        };
        let mut one = new();
        for r in &records {
            one.read(item(r.clone()), now);
        }
        let mut by_tallies = new();
        let mut notices = Vec::new();
        for run in records.chunks(13) {
            let items = run.iter().cloned().map(item);
            let tally = by_tallies.scanner.tally(items);
            by_tallies.add_tally(tally, now).unwrap();
            notices.extend(by_tallies.outbox().to_vec());
            let n = by_tallies.outbox().len();
            by_tallies.delivered(n);
            let state = by_tallies.state();
            by_tallies = new();
            by_tallies.restore(state).unwrap();
        }
        assert!(!notices.is_empty());
        let want: Vec<_> = one.outbox().to_vec();
        let key = |n: &Notice| (n.alarm.clone(), n.time_ms, n.from, n.to);
        assert_eq!(
            notices.iter().map(key).collect::<Vec<_>>(),
            want.iter().map(key).collect::<Vec<_>>()
        );
        assert_eq!(by_tallies.progress().records, one.progress().records);
    }

    fn item(json: String) -> Item {
        logs::read_stream(
            "t",
            std::io::Cursor::new(json.into_bytes()),
            logs::Options::default(),
        )
        .next()
        .unwrap()
    }

    /// A day of records with bursts: the follower's state changes, fed them in order and then
    /// finished, are the batch scan's, messages included; saved and restored halfway, too.
    #[test]
    fn a_follower_makes_the_batch_scans_state_changes() {
        let mut lines = Vec::new();
        for m in 0..600 {
            lines.push(record(m, "DescribeTrails"));
            if (100..103).contains(&m) || m == 300 || (400..430).contains(&m) {
                lines.push(record(m, "StopLogging"));
                lines.push(record(m, "ConsoleLogin"));
            }
        }
        let text = lines.join("\n");
        let scanner = Scanner::new(&RuleSet::cis(), ScanOptions::default()).unwrap();
        let report = scan_inputs(
            scanner,
            Inputs::Bytes(vec![("t".to_owned(), text.as_bytes())]),
            |_, _| Ok::<(), std::convert::Infallible>(()),
        )
        .unwrap();
        let mut want: Vec<(i64, String, String)> = Vec::new();
        for a in &report.alarms {
            for t in &a.transitions {
                let m: Vec<String> = a.outbox_for(t).map(Result::unwrap).collect();
                want.push((t.time_ms, a.name.clone(), m.join("\n")));
            }
        }
        assert!(want.len() >= 4, "{want:?}");

        let dir = tempfile::tempdir().unwrap();
        let state = dir.path().join("state.json");
        let mut got = Vec::new();
        let mut follower = Follower::new(
            &RuleSet::cis(),
            ScanOptions::default(),
            FollowOptions::default(),
        )
        .unwrap();
        for (i, line) in lines.iter().enumerate() {
            if i == lines.len() / 2 {
                follower.state().save(&state).unwrap();
                follower = Follower::new(
                    &RuleSet::cis(),
                    ScanOptions::default(),
                    FollowOptions::default(),
                )
                .unwrap();
                follower
                    .restore(FollowState::load(&state).unwrap().unwrap())
                    .unwrap();
            }
            follower.read(item(line.clone()), i64::MAX / 2);
        }
        follower.finish();
        for n in follower.outbox() {
            let m: Vec<String> = n
                .messages
                .iter()
                .map(|m| m.message.clone().unwrap())
                .collect();
            got.push((n.time_ms, n.alarm.clone(), m.join("\n")));
        }
        // Same time: rule order, as the follower gives them.
        let order = |name: &str| report.alarms.iter().position(|a| a.name == name);
        want.sort_by_key(|(t, name, _)| (*t, order(name)));
        assert_eq!(got, want);
        let progress = follower.progress();
        assert_eq!(progress.records, report.records);
        assert_eq!(progress.late, 0);
    }

    /// Files of a tree are read in the order of their modification, not the walk's.
    #[test]
    fn ready_files_come_in_the_order_of_their_modification() {
        let dir = tempfile::tempdir().unwrap();
        let at = |ms: u64| UNIX_EPOCH + std::time::Duration::from_millis(1_795_428_000_000 + ms);
        let mut want = Vec::new();
        for (name, ms) in [
            ("eu/1.json", 0),
            ("eu/3.json", 2),
            ("us/2.json", 1),
            ("us/4.json", 3),
        ] {
            let path = dir.path().join(name);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            let file = std::fs::File::create(&path).unwrap();
            file.set_modified(at(ms)).unwrap();
            want.push((ms, path));
        }
        want.sort();
        let mut follower = Follower::new(
            &RuleSet::cis(),
            ScanOptions::default(),
            FollowOptions::default(),
        )
        .unwrap();
        let roots = [dir.path().to_owned()];
        // Seen once, then unchanged: ready.
        assert!(follower.poll(&roots, &WalkOptions::default()).is_empty());
        let ready: Vec<PathBuf> = follower
            .poll(&roots, &WalkOptions::default())
            .into_iter()
            .map(|Ready::File(path, _)| path)
            .collect();
        let want: Vec<PathBuf> = want.into_iter().map(|(_, p)| p).collect();
        assert_eq!(ready, want);
    }

    /// Objects listed in a bucket: read once, in time order, each once however often listed;
    /// kept while their directory cannot be listed.
    #[test]
    fn listed_objects_are_read_once_and_written_again_is_a_skip() {
        let mut follower = Follower::new(
            &RuleSet::cis(),
            ScanOptions::default(),
            FollowOptions::default(),
        )
        .unwrap();
        let mark = |len| FileMark {
            len,
            modified_ms: 1_795_428_000_000,
        };
        let a = || ("s3://b/a.jsonl".to_owned(), mark(10));
        let b = || ("s3://b/b.jsonl".to_owned(), mark(20));
        // Whole once listed: ready at the first listing, in time order, once each.
        let early = (
            "s3://b/z.jsonl".to_owned(),
            FileMark {
                len: 5,
                modified_ms: 1,
            },
        );
        let listed = vec![a(), b(), early.clone(), a()];
        let none = None;
        assert_eq!(
            follower.poll_listed(listed, &[], none),
            vec![early, a(), b()]
        );
        let line = record(0, "StopLogging");
        follower.read_named(&a().0, Ok(Box::new(io::Cursor::new(line))), a().1, 0);
        let gone = io::Error::other("InvalidObjectState: archived");
        follower.read_named(&b().0, Err(gone), b().1, 0);
        assert_eq!(follower.progress().files, 1);
        assert_eq!(follower.progress().records.read, 1);
        assert_eq!(follower.progress().records.skipped, 1);
        // Read (or refused) once: not again in this run, nor fetched again.
        assert!(follower.poll_listed(vec![a(), b()], &[], none).is_empty());
        // Written again: a skip, once.
        let again = ("s3://b/a.jsonl".to_owned(), mark(11));
        for _ in 0..2 {
            let ready = follower.poll_listed(vec![again.clone(), b()], &[], none);
            assert!(ready.is_empty());
        }
        let codes: Vec<String> = follower.skipped().into_iter().map(|s| s.code).collect();
        assert_eq!(codes, ["file-changed", "unreadable"]);
        // Under a directory not listed, or left out by a selection: kept, not read again.
        let unlisted = ["s3://b/".to_owned()];
        assert!(follower.poll_listed(Vec::new(), &unlisted, none).is_empty());
        let one_region = Selected::new(crate::s3key::KeySelection {
            regions: vec!["us-east-1".to_owned()],
            ..Default::default()
        });
        assert!(!one_region.keys().keeps(&a().0));
        assert!(
            follower
                .poll_listed(Vec::new(), &[], Some(&one_region))
                .is_empty()
        );
        assert!(
            follower
                .poll_listed(vec![again.clone(), b()], &[], none)
                .is_empty()
        );
        // The next run asks for the refused object again.
        let mut next = Follower::new(
            &RuleSet::cis(),
            ScanOptions::default(),
            FollowOptions::default(),
        )
        .unwrap();
        next.restore(follower.state()).unwrap();
        assert_eq!(
            next.poll_listed(vec![again.clone(), b()], &[], none),
            vec![b()]
        );
        // Gone from the listing: forgotten, so a new object of that name is read.
        assert!(follower.poll_listed(vec![b()], &[], none).is_empty());
        assert_eq!(follower.poll_listed(vec![a(), b()], &[], none), vec![a()]);
    }

    /// The datapoints kept are bounded by what the alarms look back over, however long the
    /// input.
    #[test]
    fn memory_is_bounded() {
        let mut follower = Follower::new(
            &RuleSet::cis(),
            ScanOptions::default(),
            FollowOptions::default(),
        )
        .unwrap();
        for m in 0..5000 {
            follower.read(item(record(m, "StopLogging")), i64::MAX / 2);
        }
        let state = follower.state();
        let most = state.metrics.iter().map(|s| s.points.len()).max().unwrap();
        // CIS alarms: 5-minute periods, 1 evaluation period: (1 + 2 + 1) periods, plus the
        // lateness and the open minute.
        assert!(most <= 4 * 5 + 5 + 1, "{most}");
        assert!(
            state.ingest_minutes.len() <= 6,
            "{:?}",
            state.ingest_minutes
        );
    }

    /// A record far ahead of the clock does not close anything; one of a closed minute is
    /// counted late.
    #[test]
    fn future_and_late_records_are_counted() {
        let mut follower = Follower::new(
            &RuleSet::cis(),
            ScanOptions::default(),
            FollowOptions::default(),
        )
        .unwrap();
        let now = time::parse("2026-11-23T01:00:00Z").unwrap();
        follower.read(item(record(0, "StopLogging")), now);
        let closed = follower.progress().closed_ms;
        follower.read(item(record(60 * 24, "StopLogging")), now);
        assert_eq!(follower.progress().future, 1);
        assert_eq!(follower.progress().closed_ms, closed);

        let state = follower.state();
        assert_eq!(state.ingest_minutes.len(), 1, "{:?}", state.ingest_minutes);
        assert!(
            state.metrics.iter().all(|s| s.points.len() == 1),
            "{:?}",
            state.metrics
        );
        follower.read(item(record(30, "StopLogging")), now);
        follower.read(item(record(1, "StopLogging")), now);
        assert_eq!(follower.progress().late, 1);
        // Nor at the end of the input: minutes are closed up to the latest record that counted.
        let latest = follower.progress().latest_ms.unwrap();
        follower.finish();
        let closed = time::minute_floor(latest) + MINUTE_MS;
        assert_eq!(follower.progress().closed_ms, Some(closed));
    }

    /// A file is read once its size and time held still for one poll, once; one that changes
    /// after it was read is a `file-changed` skip, once; one removed is forgotten.
    #[test]
    fn files_are_read_whole_once_and_changes_are_counted() {
        let dir = tempfile::tempdir().unwrap();
        let roots = [dir.path().to_owned()];
        let path = dir.path().join("a.jsonl");
        let mut follower = Follower::new(
            &RuleSet::cis(),
            ScanOptions::default(),
            FollowOptions::default(),
        )
        .unwrap();
        let walk = WalkOptions::default();
        std::fs::write(&path, record(0, "StopLogging") + "\n").unwrap();
        assert!(
            follower.poll(&roots, &walk).is_empty(),
            "seen once: waited for"
        );
        let ready = follower.poll(&roots, &walk);
        assert_eq!(ready.len(), 1);
        let Ready::File(p, mark) = &ready[0];
        follower.read_file(p, *mark, i64::MAX / 2);
        assert_eq!(follower.progress().records.read, 1);
        assert!(follower.poll(&roots, &walk).is_empty());
        let mut grown = std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap();
        grown
            .write_all((record(1, "StopLogging") + "\n").as_bytes())
            .unwrap();
        drop(grown);
        assert!(follower.poll(&roots, &walk).is_empty());
        assert!(follower.poll(&roots, &walk).is_empty());
        let skipped = follower.skipped();
        assert_eq!(skipped.len(), 1);
        assert_eq!(
            (skipped[0].code.as_str(), skipped[0].count),
            ("file-changed", 1)
        );
        assert_eq!(follower.progress().records.read, 1);
        std::fs::remove_file(&path).unwrap();
        follower.poll(&roots, &walk);
        assert!(follower.state().files.is_empty());
        // A path the walk cannot read (a broken link, followed) is one skip; once it can be
        // read, it is read.
        #[cfg(unix)]
        {
            let links = WalkOptions {
                follow: true,
                ..WalkOptions::default()
            };
            let target = dir.path().join("elsewhere.jsonl.later");
            std::os::unix::fs::symlink(&target, dir.path().join("c.jsonl")).unwrap();
            assert!(follower.poll(&roots, &links).is_empty());
            assert!(follower.poll(&roots, &links).is_empty());
            let unreadable = follower.skipped();
            assert!(
                unreadable
                    .iter()
                    .any(|k| k.code == "unreadable" && k.count == 1),
                "{unreadable:?}"
            );
            std::fs::write(&target, record(2, "StopLogging") + "\n").unwrap();
            // The target itself is a file of the tree too: both paths are read.
            let mut ready = follower.poll(&roots, &links);
            ready.extend(follower.poll(&roots, &links));
            let names: Vec<String> = ready
                .iter()
                .map(|Ready::File(p, _)| p.file_name().unwrap().to_string_lossy().into_owned())
                .collect();
            assert!(names.contains(&"c.jsonl".to_owned()), "{names:?}");
        }
    }

    /// A state file that is not one, or is for other rules, is a clear error.
    #[test]
    fn bad_state_files_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.json");
        assert!(FollowState::load(&path).unwrap().is_none());
        std::fs::write(&path, "{\"format\": ").unwrap();
        let e = FollowState::load(&path).unwrap_err();
        assert_eq!(e.code(), "state-corrupt");
        assert!(e.to_string().contains("line 1, column 11"), "{e}");
        let mut follower = Follower::new(
            &RuleSet::cis(),
            ScanOptions::default(),
            FollowOptions::default(),
        )
        .unwrap();
        follower.state().save(&path).unwrap();
        let mut other = RuleSet::cis();
        other.alarms.pop();
        let mut follower =
            Follower::new(&other, ScanOptions::default(), FollowOptions::default()).unwrap();
        let e = follower
            .restore(FollowState::load(&path).unwrap().unwrap())
            .unwrap_err();
        assert_eq!(e.code(), "state-other-rules");
    }
}
