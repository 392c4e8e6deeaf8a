//! `trailmatch scan --follow`: the scan kept running, its notifications delivered as state
//! changes happen.
//!
//! What is read, when minutes close, how alarms are evaluated and what the state file holds is
//! `trailmatch_cloudtrail::follow`; this module polls, reads standard input on a thread of its
//! own, stops on SIGINT or SIGTERM, delivers the outbox through the `--notify` targets and
//! saves the state around each delivery.
//!
//! Order of work, so that a restart neither repeats nor misses a notification: a file is read
//! whole, then the state (the file marked read, the new state changes in its outbox) is saved;
//! then each notice is delivered and the state saved again without it. A stop (or a crash)
//! before a delivery leaves the notice in the saved outbox, delivered on the restart; only a
//! crash between a delivery and the save that follows it repeats one (the message is the same,
//! its `MessageId` too, for a receiver to recognise).

use std::collections::BTreeSet;
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use trailmatch_cloudtrail::boundary;
use trailmatch_cloudtrail::follow::{
    FollowOptions, FollowState, Follower, Notice, Progress, Ready,
};
use trailmatch_cloudtrail::logs::{self, Item};
use trailmatch_cloudtrail::rules::RuleSet;
use trailmatch_cloudtrail::s3key::{Selected, TrailKey};
use trailmatch_cloudtrail::scan::ScanOptions;
use trailmatch_cloudtrail::time;
use trailmatch_cloudtrail::walk::WalkOptions;

use crate::notify::{DeliveryErrorKind, Sink};
use crate::output::Failure;
use crate::s3::NotFetched;
use crate::scan::{DeadLetter, LeftOut, Undelivered};

/// What `scan --follow` was given.
pub struct Setup<'a> {
    pub paths: &'a [PathBuf],
    /// The s3:// URLs among them (then followed alone).
    pub urls: Vec<crate::s3::Url>,
    pub rules: &'a RuleSet,
    pub options: ScanOptions,
    pub sinks: Vec<Sink>,
    pub dead_letter: Option<DeadLetter>,
    pub lateness: Duration,
    pub poll_interval: Duration,
    pub state: Option<&'a Path>,
    pub walk: WalkOptions,
}

/// The shortest pause between two walks of the tree.
const MIN_POLL: Duration = Duration::from_millis(10);

/// The pause between two walks of local directories, unless `--poll-interval` says.
pub const LOCAL_POLL: Duration = Duration::from_secs(2);

/// The pause between two listings of s3:// URLs, unless `--poll-interval` says: each lists
/// them whole (CloudTrail delivers about every five minutes).
pub const S3_POLL: Duration = Duration::from_secs(60);

/// How often a wait looks at the stop flag.
const TICK: Duration = Duration::from_millis(50);

/// What became of the deliveries.
#[derive(Default)]
struct Tally {
    delivered: u64,
    failed: u64,
}

pub fn run(setup: Setup<'_>) -> Result<(), Failure> {
    let Setup {
        paths,
        urls,
        rules,
        options,
        mut sinks,
        mut dead_letter,
        lateness,
        poll_interval,
        state,
        walk,
    } = setup;
    let lateness_ms = i64::try_from(lateness.as_millis()).unwrap_or(i64::MAX);
    // `--poll-interval 0s` would walk the tree without a pause.
    let poll_interval = poll_interval.max(MIN_POLL);
    let mut follower = Follower::new(rules, options, FollowOptions { lateness_ms })
        .map_err(|e| Failure::Invalid(format!("error: {e}")))?;
    if let Some(path) = state {
        let shown = boundary::terminal(&path.display().to_string()).into_owned();
        let saved = FollowState::load(path)
            .map_err(|e| Failure::Io(format!("error: --state {shown}: {e}")))?;
        if let Some(saved) = saved {
            follower
                .restore(saved)
                .map_err(|e| Failure::Io(format!("error: --state {shown}: {e}")))?;
        }
    }
    let stop = Arc::new(AtomicBool::new(false));
    for signal in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        // The first signal asks for a clean stop; a second one, while that stop is under way
        // (a slow receiver being retried, say), ends the process at once with status 1 (the
        // state file then holds what the last save wrote).
        signal_hook::flag::register_conditional_shutdown(signal, 1, Arc::clone(&stop))
            .and_then(|_| signal_hook::flag::register(signal, Arc::clone(&stop)))
            .map_err(|e| Failure::Io(format!("error: cannot handle signal {signal}: {e}")))?;
    }
    let select = walk.select.as_deref();
    // What the selection left out at the last walk of directories: each walk judges the whole
    // tree again (a bucket keeps its own, by name: see `Bucket`).
    let mut walk_left_out = None;
    let mut bucket = if urls.is_empty() {
        None
    } else {
        let opened = crate::s3::Follow::open(urls, walk.select.clone(), Arc::clone(&stop))
            .map_err(|e| Failure::Io(format!("error: {e}")))?;
        // Stopped by a signal before the first listing ended: nothing was read.
        let Some(bucket) = opened else {
            return Ok(());
        };
        Some(Bucket {
            unseen: bucket.urls(),
            follow: bucket,
            left_out: BTreeSet::new(),
            unlisted_said: BTreeSet::new(),
            unfetched_said: BTreeSet::new(),
        })
    };
    let roots: Vec<PathBuf> = paths
        .iter()
        .filter(|p| p.as_os_str() != "-")
        .cloned()
        .collect();
    let mut stdin = paths.iter().any(|p| p.as_os_str() == "-").then(read_stdin);
    let mut tally = Tally::default();
    let mut out = Out {
        sinks: &mut sinks,
        dead_letter: dead_letter.as_mut(),
        state,
        tally: &mut tally,
    };
    // What a stop left undelivered.
    out.flush(&mut follower)?;
    let mut saved = follower.progress();
    let mut ended = false;
    let mut announced = false;
    'outer: while !stop.load(Ordering::Relaxed) {
        if let Some(bucket) = bucket.as_mut() {
            if bucket.poll(&mut follower, &mut out, select, &stop)? {
                break 'outer;
            }
        }
        // (A walk of no root would forget the objects read.)
        let walked = if bucket.is_none() {
            let before = select.map(LeftOut::of);
            let walked = follower.poll(&roots, &walk);
            walk_left_out = select
                .zip(before)
                .map(|(s, before)| LeftOut::of(s).since(before));
            walked
        } else {
            Vec::new()
        };
        for ready in walked {
            if stop.load(Ordering::Relaxed) {
                break 'outer;
            }
            let Ready::File(path, mark) = ready;
            follower.read_file(&path, mark, now_ms());
            out.flush(&mut follower)?;
        }
        if !announced {
            // Once the signals are handled and the tree was walked once.
            announced = true;
            let p = follower.progress();
            let _ = writeln!(
                io::stderr().lock(),
                "Following {} ({} files read so far); SIGINT or SIGTERM stops",
                boundary::terminal(
                    &paths
                        .iter()
                        .map(|p| p.display().to_string())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                p.files
            );
        }
        let deadline = Instant::now() + poll_interval;
        loop {
            if stop.load(Ordering::Relaxed) {
                break 'outer;
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break;
            }
            let wait = left.min(TICK);
            let Some(rx) = &stdin else {
                std::thread::sleep(wait);
                continue;
            };
            match rx.recv_timeout(wait) {
                Ok(Some(item)) => {
                    follower.read(item, now_ms());
                    if !follower.outbox().is_empty() {
                        out.flush(&mut follower)?;
                    }
                }
                Ok(None) | Err(RecvTimeoutError::Disconnected) => {
                    stdin = None;
                    if roots.is_empty() {
                        // The stream has ended and it was the only input: settle, as a
                        // batch scan does at the end of its input.
                        follower.finish();
                        ended = true;
                        break 'outer;
                    }
                }
                Err(RecvTimeoutError::Timeout) => {}
            }
        }
        if follower.progress() != saved {
            out.save(&mut follower)?;
            saved = follower.progress();
        }
    }
    out.flush(&mut follower)?;
    out.save(&mut follower)?;
    let progress = follower.progress();
    let skipped = follower.skipped();
    let left_out = match &bucket {
        Some(bucket) if select.is_some() => Some(bucket.left_out_counts()),
        _ => walk_left_out,
    };
    let mut text = summary(&progress, ended, &tally, left_out);
    for skip in &skipped {
        text.push_str(&format!("  {:>8}  {}\n", skip.count, skip.code));
        for e in &skip.examples {
            text.push_str(&format!("            {}: {}\n", e.location, e.message));
        }
    }
    let _ = io::stderr()
        .lock()
        .write_all(boundary::terminal_lines(&text).as_bytes());
    if tally.failed > 0 {
        return Err(Failure::Undelivered(format!(
            "error: {} of {} alarm notifications could not be delivered",
            tally.failed,
            tally.failed + tally.delivered
        )));
    }
    Ok(())
}

/// A followed bucket, and what it could not give now, said once until it can again.
struct Bucket {
    follow: crate::s3::Follow,
    /// What the selection left out as last listed (objects, and directories ending in `/`):
    /// what a poll passes over (sealed, or not listed now) is kept from the listing before.
    left_out: BTreeSet<String>,
    /// The directories that could not be listed, and why, as last said.
    unlisted_said: BTreeSet<(String, String)>,
    unfetched_said: BTreeSet<String>,
    /// The URLs not yet listed whole: once one is, it is said if it holds no object to read
    /// (yet, or that the selection keeps).
    unseen: Vec<String>,
}

impl Bucket {
    /// Lists the bucket and reads the objects not read yet, delivering what they make happen;
    /// true when a signal stopped it.
    fn poll(
        &mut self,
        follower: &mut Follower,
        out: &mut Out<'_>,
        select: Option<&Selected>,
        stop: &AtomicBool,
    ) -> Result<bool, Failure> {
        let Some(mut listing) = self.follow.list() else {
            return Ok(true);
        };
        // A directory that cannot be listed keeps what was read under it, and is listed again
        // at the next poll. It is said once, and again when the reason changes.
        let unlisted: Vec<String> = listing
            .unlisted
            .iter()
            .map(|(dir, _)| dir.clone())
            .collect();
        for (dir, e) in &listing.unlisted {
            if !self.unlisted_said.contains(&(dir.clone(), e.clone())) {
                say(&format!(
                    "{dir}: cannot list: {e} (listed again every poll)"
                ));
            }
        }
        self.unlisted_said = listing.unlisted.iter().cloned().collect();
        self.unseen.retain(|url| {
            if unlisted.iter().any(|dir| dir.starts_with(url.as_str())) {
                return true;
            }
            // (A sealed directory held objects, read before.)
            let holds = |name: &String| name.starts_with(url.as_str());
            if !listing.objects.iter().any(|(name, _)| holds(name))
                && !listing.sealed.iter().any(holds)
            {
                say(&format!(
                    "{url}: no object to read under this prefix yet; followed until one comes"
                ));
            }
            false
        });
        // What was read under directories not listed (again) is kept, and what the selection
        // left out there.
        let kept: Vec<String> = unlisted.iter().chain(&listing.sealed).cloned().collect();
        self.left_out
            .retain(|name| kept.iter().any(|dir| name.starts_with(dir.as_str())));
        self.left_out.extend(listing.left_out.drain(..));
        let ready = follower.poll_listed(listing.objects, &kept, select);
        // An object that failed and is no longer to read (deleted) waits no more.
        self.unfetched_said.retain(|n| {
            ready.iter().any(|(r, _)| r == n) || unlisted.iter().any(|d| n.starts_with(d))
        });
        // Fetched a few ahead, in order; a stop drops the fetches under way.
        for (name, mark, body) in self.follow.fetch(ready) {
            if stop.load(Ordering::Relaxed) {
                return Ok(true);
            }
            match body {
                Ok(body) => {
                    self.unfetched_said.remove(&name);
                    follower.read_named(&name, Ok(body), mark, now_ms());
                }
                Err(NotFetched::Refused(e)) => {
                    say(&format!(
                        "{name}: refused: {e} (counted as skipped; asked for again at the next \
                         start)"
                    ));
                    follower.read_named(&name, Err(e), mark, now_ms());
                }
                // Not read: asked for again at the next poll that lists it.
                Err(NotFetched::Failed(e)) => {
                    if self.unfetched_said.insert(name.clone()) {
                        say(&format!(
                            "{name}: cannot fetch: {e} (asked for again every poll)"
                        ));
                    }
                }
                Err(NotFetched::Rewritten) => {
                    if self.unfetched_said.insert(name.clone()) {
                        say(&format!(
                            "{name}: written again since it was listed (read as the next poll \
                             lists it)"
                        ));
                    }
                }
                Err(NotFetched::Stopped) => return Ok(true),
            }
            out.flush(follower)?;
        }
        // Directories whose time is well past are not listed again, unless they hold what
        // waits.
        let pending: Vec<&str> = unlisted
            .iter()
            .chain(&self.unfetched_said)
            .map(String::as_str)
            .collect();
        self.follow.seal(&pending);
        Ok(false)
    }

    /// The counts of what the selection left out, as last listed.
    fn left_out_counts(&self) -> LeftOut {
        let mut counts = LeftOut {
            files: 0,
            outside_layout: 0,
            directories: 0,
        };
        for name in &self.left_out {
            if name.ends_with('/') {
                counts.directories += 1;
            } else {
                counts.files += 1;
                counts.outside_layout += u64::from(TrailKey::parse(name).is_none());
            }
        }
        counts
    }
}

/// Says `what` on standard error (a problem the follower goes on past).
fn say(what: &str) {
    let _ = writeln!(
        io::stderr().lock(),
        "trailmatch: {}",
        boundary::terminal(what)
    );
}

fn summary(p: &Progress, ended: bool, tally: &Tally, left_out: Option<LeftOut>) -> String {
    let c = p.records;
    let left_out = left_out.map_or_else(String::new, |l| {
        format!("  {}\n", l.describe(" as last listed"))
    });
    format!(
        "Followed {} files{}: {} records read · {} matched · {} unmatched · {} filtered out · {} \
         skipped · {} late · {} ahead of the clock\n  {} alarm state changes · {} deliveries made · \
         {} failed · events up to {} · minutes closed up to {}\n{left_out}{}",
        p.files,
        if ended {
            " and standard input to its end"
        } else {
            ""
        },
        c.read,
        c.matched,
        c.unmatched,
        c.filtered,
        c.skipped,
        p.late,
        p.future,
        p.transitions,
        tally.delivered,
        tally.failed,
        p.latest_ms
            .map_or_else(|| "-".to_owned(), time::format_seconds),
        p.closed_ms
            .map_or_else(|| "-".to_owned(), time::format_seconds),
        if c.skipped > 0 { "Skipped:\n" } else { "" },
    )
}

/// Where notices go, and the state file saved around them.
struct Out<'a> {
    sinks: &'a mut [Sink],
    dead_letter: Option<&'a mut DeadLetter>,
    state: Option<&'a Path>,
    tally: &'a mut Tally,
}

impl Out<'_> {
    fn save(&mut self, follower: &mut Follower) -> Result<(), Failure> {
        let Some(path) = self.state else {
            return Ok(());
        };
        follower.state().save(path).map_err(|e| {
            Failure::Io(format!(
                "error: --state {}: cannot save: {e}",
                boundary::terminal(&path.display().to_string())
            ))
        })
    }

    /// Saves the state, then delivers the outbox one notice at a time, saving the state after
    /// each.
    fn flush(&mut self, follower: &mut Follower) -> Result<(), Failure> {
        if follower.outbox().is_empty() {
            return Ok(());
        }
        self.save(follower)?;
        while let Some(notice) = follower.outbox().first().cloned() {
            self.deliver(&notice)?;
            follower.delivered(1);
            self.save(follower)?;
        }
        Ok(())
    }

    fn deliver(&mut self, notice: &Notice) -> Result<(), Failure> {
        let time = time::format_millis(notice.time_ms);
        let _ = writeln!(
            io::stderr().lock(),
            "{}",
            boundary::terminal(&format!(
                "{}  {}  {} -> {}",
                time::format_seconds(notice.time_ms),
                notice.alarm,
                notice.from,
                notice.to
            ))
        );
        let mut failed = Vec::new();
        for outgoing in &notice.messages {
            let undelivered = |target: String, code, reason, attempts, message| Undelivered {
                target,
                alarm: notice.alarm.clone(),
                time: time.clone(),
                topic: outgoing.topic.clone(),
                code,
                reason,
                attempts,
                message,
            };
            let message = match &outgoing.message {
                Ok(message) => message,
                Err(reason) => {
                    failed.push(undelivered(
                        "*".to_owned(),
                        "invalid-topic-arn",
                        reason.clone(),
                        0,
                        None,
                    ));
                    continue;
                }
            };
            for sink in self.sinks.iter_mut() {
                match sink.deliver(message) {
                    Ok(_) => self.tally.delivered += 1,
                    Err(e) if e.kind == DeliveryErrorKind::BrokenPipe => {
                        return Err(Failure::BrokenPipe);
                    }
                    Err(e) => failed.push(undelivered(
                        sink.name(),
                        e.kind.code(),
                        e.reason,
                        e.attempts,
                        Some(message.clone()),
                    )),
                }
            }
        }
        self.tally.failed += failed.len() as u64;
        for f in &failed {
            let _ = writeln!(
                io::stderr().lock(),
                "{}",
                boundary::terminal(&format!(
                    "  not delivered to {}: {} [{}]",
                    f.target, f.reason, f.code
                ))
            );
        }
        if let Some(dead) = self.dead_letter.as_deref_mut() {
            dead.keep(&failed)?;
        }
        Ok(())
    }
}

/// Reads standard input on a thread of its own; `None` at its end.
fn read_stdin() -> Receiver<Option<Item>> {
    let (tx, rx) = mpsc::sync_channel(1024);
    let spawned = std::thread::Builder::new()
        .name("follow-stdin".into())
        .spawn(move || {
            for item in logs::read_stream("<stdin>", io::stdin(), logs::Options::default()) {
                if tx.send(Some(item)).is_err() {
                    return;
                }
            }
            let _ = tx.send(None);
        });
    // Without a thread, the receiver reports the input as ended.
    drop(spawned);
    rx
}

/// The clock, in ms since the epoch.
pub(crate) fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .ok()
        .and_then(|d| i64::try_from(d.as_millis()).ok())
        .unwrap_or(i64::MAX)
}
