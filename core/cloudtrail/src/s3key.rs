//! CloudTrail's S3 layout: the keys a trail writes its log files under,
//! `AWSLogs/[o-xxxxxxxxxx/]<account>/CloudTrail/<region>/YYYY/MM/DD/<file>.json.gz` (an
//! organization trail puts the organization id first), and which of them a selection of
//! accounts, Regions and days keeps — so that a reader over a bucket (Spark, say) lists the
//! keys, keeps those in range and reads only them.
//!
//! ```
//! use trailmatch_cloudtrail::s3key::{KeySelection, TrailKey};
//!
//! let path = "s3://bucket/AWSLogs/o-aa111bb222/111122223333/CloudTrail/eu-west-1/2026/11/23/\
//!             111122223333_CloudTrail_eu-west-1_20261123T1005Z_abc.json.gz";
//! let key = TrailKey::parse(path).unwrap();
//! assert_eq!((key.org.as_deref(), key.account.as_str()), (Some("o-aa111bb222"), "111122223333"));
//! assert_eq!((key.region.as_str(), key.date), ("eu-west-1", (2026, 11, 23)));
//!
//! let selection = KeySelection { regions: vec!["us-east-1".into()], ..KeySelection::default() };
//! assert!(!selection.keeps(path));
//! ```

use std::sync::atomic::{AtomicU64, Ordering};

use crate::boundary;
use crate::time::{self, DAY_MS};

/// Where a log file sits in a trail's S3 layout.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TrailKey {
    /// The organization id of an organization trail (`o-` then 10 to 32 lowercase letters or
    /// digits).
    pub org: Option<String>,
    /// The account (12 digits).
    pub account: String,
    /// The Region code.
    pub region: String,
    /// The day the file was delivered (UTC): year, month, day.
    pub date: (i32, u32, u32),
}

impl TrailKey {
    /// The key of a path or URL (`s3://`, `s3a://`, `file:`, a local path; `/` separates
    /// segments), when it has the layout: the last `AWSLogs` segment followed by the account
    /// (after an organization id or not), `CloudTrail`, a Region, a valid date as
    /// `YYYY/MM/DD`, and a file name. `None` otherwise (a digest file under
    /// `CloudTrail-Digest`, an Insights file under `CloudTrail-Insight`, any other path).
    pub fn parse(path: &str) -> Option<TrailKey> {
        let segments: Vec<&str> = path.split('/').collect();
        let start = segments.iter().rposition(|s| *s == "AWSLogs")?;
        let mut rest = segments.get(start + 1..)?.iter().copied();
        let mut next = rest.next()?;
        let org = if is_org_id(next) {
            let org = next.to_owned();
            next = rest.next()?;
            Some(org)
        } else {
            None
        };
        let account = next;
        if !boundary::is_account_id(account) || rest.next()? != "CloudTrail" {
            return None;
        }
        let region = rest.next()?;
        if !boundary::is_region(region) {
            return None;
        }
        let year = number(rest.next()?, 4)?;
        let month = number(rest.next()?, 2)?;
        let day = number(rest.next()?, 2)?;
        let file = rest.next()?;
        if file.is_empty() || rest.next().is_some() {
            return None;
        }
        let date = (i32::try_from(year).ok()?, month, day);
        day_start_ms(date)?;
        Some(TrailKey {
            org,
            account: account.to_owned(),
            region: region.to_owned(),
            date,
        })
    }

    /// The start of the key's day (ms since the epoch).
    pub fn day_ms(&self) -> i64 {
        day_start_ms(self.date).unwrap_or_default()
    }
}

/// `text` as a number, when it is exactly `digits` ASCII digits (`YYYY`, `MM`, `DD`).
fn number(text: &str, digits: usize) -> Option<u32> {
    (text.len() == digits && text.bytes().all(|b| b.is_ascii_digit()))
        .then(|| text.parse().ok())
        .flatten()
}

/// Whether `text` is an AWS Organizations organization id: `o-` then 10 to 32 lowercase
/// letters or digits.
pub fn is_org_id(text: &str) -> bool {
    text.strip_prefix("o-").is_some_and(|rest| {
        (10..=32).contains(&rest.len())
            && rest
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
    })
}

/// The start (ms since the epoch) of a valid UTC day.
fn day_start_ms((year, month, day): (i32, u32, u32)) -> Option<i64> {
    if !(1..=9999).contains(&year) {
        return None;
    }
    time::parse(&format!("{year:04}-{month:02}-{day:02}T00:00:00Z"))
}

/// Which keys to read: the files of these accounts, these Regions and these days (each list
/// empty for all). A log file holds the events of up to about 15 minutes before its delivery
/// (CloudTrail delivers within about 5 minutes on average), so a file delivered on the day
/// after `end` is kept too when `end` is given: the records' own times are for the reader to
/// check.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct KeySelection {
    /// Accounts (12 digits); all when empty.
    pub accounts: Vec<String>,
    /// Region codes; all when empty.
    pub regions: Vec<String>,
    /// The earliest time wanted (ms since the epoch): files of days before its day are left
    /// out.
    pub start_ms: Option<i64>,
    /// The time up to which records are wanted (ms, exclusive): files of days after the day
    /// following it are left out.
    pub end_ms: Option<i64>,
}

impl KeySelection {
    /// Whether the selection keeps every path.
    pub fn is_everything(&self) -> bool {
        *self == KeySelection::default()
    }

    /// Whether the file at `path` is to be read: every path when the selection is
    /// everything; otherwise, under no directory that [`KeySelection::holds_dir`] leaves out
    /// (as a walk that does not enter them finds them), a path with a [`TrailKey`] in the
    /// selection, or one outside the layout when the selection is a time alone
    /// ([`KeySelection::keeps_unplaced`]).
    pub fn keeps(&self, path: &str) -> bool {
        self.is_everything() || self.keeps_at(path, TrailKey::parse(path).as_ref())
    }

    /// Whether the file at `path`, of `key` (None outside the layout), is kept: `key` in the
    /// selection (or no key and [`KeySelection::keeps_unplaced`]), and no directory above it
    /// left out.
    fn keeps_at(&self, path: &str, key: Option<&TrailKey>) -> bool {
        key.map_or(self.keeps_unplaced(), |key| self.keeps_key(key))
            && path
                .match_indices('/')
                .all(|(at, _)| path.get(..at).is_none_or(|dir| self.holds_dir(dir)))
    }

    /// Whether files outside the layout are read: when the selection names no account and no
    /// Region, which such a file's path cannot show. A time it cannot show either, but the
    /// reader places each record in time (its `eventTime`, or the delivery time of a CloudWatch
    /// Logs export line) and counts those outside the window as filtered: so a time selects
    /// among exports and other files too, where accounts and Regions would only guess.
    pub fn keeps_unplaced(&self) -> bool {
        self.accounts.is_empty() && self.regions.is_empty()
    }

    /// The selection of `accounts`, `regions` and the time from `start_ms` up to `end_ms`,
    /// checked: an error names an account id or a Region code that is not one, or says that
    /// the start (named as the caller names it, `bounds`) is not before the end.
    pub fn checked(
        accounts: Vec<String>,
        regions: Vec<String>,
        (start_ms, end_ms): (Option<i64>, Option<i64>),
        bounds: (&str, &str),
    ) -> Result<KeySelection, String> {
        if let Some(bad) = accounts.iter().find(|a| !boundary::is_account_id(a)) {
            return Err(format!("`{bad}` is no account id (12 digits)"));
        }
        if let Some(bad) = regions.iter().find(|r| !boundary::is_region(r)) {
            return Err(format!(
                "`{bad}` is no Region code (us-east-1, eu-west-2, …)"
            ));
        }
        if start_ms
            .zip(end_ms)
            .is_some_and(|(start, end)| start >= end)
        {
            return Err(format!("{} must be before {}", bounds.0, bounds.1));
        }
        Ok(KeySelection {
            accounts,
            regions,
            start_ms,
            end_ms,
        })
    }

    /// Whether `key` is in the selection.
    pub fn keeps_key(&self, key: &TrailKey) -> bool {
        let (first, last) = self.days();
        let day = key.day_ms();
        (self.accounts.is_empty() || self.accounts.contains(&key.account))
            && (self.regions.is_empty() || self.regions.contains(&key.region))
            && day >= first
            && day <= last
    }

    /// The first and last days (their start, ms since the epoch) whose files are kept: the day
    /// after the end's day too, since it may still hold records from before the end.
    fn days(&self) -> (i64, i64) {
        let first = self
            .start_ms
            .map_or(i64::MIN, |s| s.div_euclid(DAY_MS) * DAY_MS);
        let last = self.end_ms.map_or(i64::MAX, |end| {
            (end - 1).div_euclid(DAY_MS) * DAY_MS + DAY_MS
        });
        (first, last)
    }

    /// Whether the directory at `path` may hold files of the selection, by its place in the
    /// layout after its last `AWSLogs` segment: false for the directory of an account, a
    /// Region, a year, a month or a day out of the selection, and for an account's directories
    /// other than `CloudTrail` (its digest and Insights files, other services' logs: `Config`,
    /// `vpcflowlogs`…), so that a walk of a bucket need not list what they hold. A directory
    /// of any other name (`AWSLogs/prod`, a day's subdirectory) is entered: a trail whose key
    /// prefix it is may lie below it. True when the path has no `AWSLogs` segment,
    /// or the selection is everything.
    pub fn holds_dir(&self, path: &str) -> bool {
        if self.is_everything() {
            return true;
        }
        // (`dir/` and `dir/.` name `dir`.)
        let segments: Vec<&str> = path.split('/').filter(|s| *s != ".").collect();
        let segments = match segments.split_last() {
            Some((&"", rest)) => rest,
            _ => &segments[..],
        };
        let Some(start) = segments.iter().rposition(|s| *s == "AWSLogs") else {
            return true;
        };
        let mut rest = segments
            .get(start + 1..)
            .unwrap_or_default()
            .iter()
            .copied();
        let Some(mut next) = rest.next() else {
            return true;
        };
        if is_org_id(next) {
            let Some(account) = rest.next() else {
                return true;
            };
            next = account;
        }
        if !boundary::is_account_id(next) {
            return true;
        }
        if !(self.accounts.is_empty() || self.accounts.iter().any(|a| a == next)) {
            return false;
        }
        // Under an account, AWS's other services write their logs too (`Config`,
        // `elasticloadbalancing`, `vpcflowlogs`…): only `CloudTrail` holds the trail's.
        match rest.next() {
            None => return true,
            Some("CloudTrail") => {}
            Some(_) => return false,
        }
        let Some(region) = rest.next() else {
            return true;
        };
        if !boundary::is_region(region) {
            return true;
        }
        if !(self.regions.is_empty() || self.regions.iter().any(|r| r == region)) {
            return false;
        }
        let (first, last) = self.days();
        // Whether the days from `from` up to (not including) `to` meet the selection's.
        let meets = |from: Option<i64>, to: Option<i64>| {
            from.zip(to)
                .is_some_and(|(from, to)| from <= last && to > first)
        };
        let Some(year) = rest.next() else {
            return true;
        };
        let Some(year) = number(year, 4).and_then(|y| i32::try_from(y).ok()) else {
            return true;
        };
        if day_start_ms((year, 1, 1)).is_none() {
            // No year of the layout (`0000`): not its place, so entered.
            return true;
        }
        let Some(month) = rest.next() else {
            return meets(day_start_ms((year, 1, 1)), next_year_ms(year));
        };
        let Some(month) = number(month, 2).filter(|m| (1..=12).contains(m)) else {
            return true;
        };
        let next_month = if month == 12 {
            next_year_ms(year)
        } else {
            day_start_ms((year, month + 1, 1))
        };
        let Some(day) = rest.next() else {
            return meets(day_start_ms((year, month, 1)), next_month);
        };
        let Some(day) = number(day, 2).and_then(|d| day_start_ms((year, month, d))) else {
            return true;
        };
        // Below a day's directory only a trail nested there can hold the layout's files.
        rest.next().is_some() || meets(Some(day), Some(day + DAY_MS))
    }
}

/// The end (ms since the epoch, exclusive) of the time a directory of the layout holds the log
/// files of: its year, month or day
/// (`…AWSLogs/[o-ORG/]ACCOUNT/CloudTrail/REGION/YYYY[/MM[/DD]]`); None for any other directory.
/// CloudTrail writes a file under the day of its delivery, so once that time is well past, no
/// new file comes to the directory: a follower need not list it again.
pub fn dir_span_end(path: &str) -> Option<i64> {
    let segments: Vec<&str> = path.trim_end_matches('/').split('/').collect();
    let start = segments.iter().rposition(|s| *s == "AWSLogs")?;
    let mut rest = segments.get(start + 1..)?.iter().copied();
    let mut next = rest.next()?;
    if is_org_id(next) {
        next = rest.next()?;
    }
    if !boundary::is_account_id(next) || rest.next()? != "CloudTrail" {
        return None;
    }
    if !boundary::is_region(rest.next()?) {
        return None;
    }
    let year = number(rest.next()?, 4).and_then(|y| i32::try_from(y).ok())?;
    day_start_ms((year, 1, 1))?;
    let Some(month) = rest.next() else {
        return next_year_ms(year);
    };
    let month = number(month, 2).filter(|m| (1..=12).contains(m))?;
    let Some(day) = rest.next() else {
        return if month == 12 {
            next_year_ms(year)
        } else {
            day_start_ms((year, month + 1, 1))
        };
    };
    let day = number(day, 2).and_then(|d| day_start_ms((year, month, d)))?;
    rest.next().is_none().then_some(day + DAY_MS)
}

/// The start of the year after `year` (the end of 9999 included).
fn next_year_ms(year: i32) -> Option<i64> {
    day_start_ms((year, 12, 31)).map(|d| d + DAY_MS)
}

/// A [`KeySelection`] in use: which files a scan reads, and how many it has left out so far (the
/// counters are shared by the threads that list and walk).
#[derive(Debug, Default)]
pub struct Selected {
    keys: KeySelection,
    left_out: AtomicU64,
    outside_layout: AtomicU64,
    dirs_left_out: AtomicU64,
}

impl Selected {
    /// Selects with `keys`.
    pub fn new(keys: KeySelection) -> Selected {
        Selected {
            keys,
            ..Selected::default()
        }
    }

    /// The selection.
    pub fn keys(&self) -> &KeySelection {
        &self.keys
    }

    /// Whether a walk enters the directory at `path` ([`KeySelection::holds_dir`]); one it
    /// does not is counted.
    pub fn enters(&self, path: &str) -> bool {
        let holds = self.keys.holds_dir(path);
        if !holds {
            self.dirs_left_out.fetch_add(1, Ordering::Relaxed);
        }
        holds
    }

    /// How many directories were left out so far, unread.
    pub fn dirs_left_out(&self) -> u64 {
        self.dirs_left_out.load(Ordering::Relaxed)
    }

    /// Whether the file at `path` is read ([`KeySelection::keeps`]); one that is not is
    /// counted.
    pub fn keeps(&self, path: &str) -> bool {
        if self.keys.is_everything() {
            return true;
        }
        let key = TrailKey::parse(path);
        let keeps = self.keys.keeps_at(path, key.as_ref());
        if !keeps {
            self.left_out.fetch_add(1, Ordering::Relaxed);
            if key.is_none() {
                self.outside_layout.fetch_add(1, Ordering::Relaxed);
            }
        }
        keeps
    }

    /// How many files were left out so far: out of the selection, or outside the layout under
    /// a selection of accounts or Regions.
    pub fn left_out(&self) -> u64 {
        self.left_out.load(Ordering::Relaxed)
    }

    /// How many of those were left out for being outside CloudTrail's S3 layout.
    pub fn outside_layout(&self) -> u64 {
        self.outside_layout.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = "111122223333_CloudTrail_us-east-1_20261123T1005Z_x.json.gz";

    fn ms(text: &str) -> i64 {
        time::parse(text).unwrap()
    }

    #[test]
    fn directories_that_cannot_hold_a_selected_file_are_left_out() {
        let selection = KeySelection {
            accounts: vec!["111122223333".into()],
            regions: vec!["us-east-1".into()],
            start_ms: Some(ms("2026-11-23T10:00:00Z")),
            end_ms: Some(ms("2026-12-01T00:00:00Z")),
        };
        let base = "s3://b/x/AWSLogs";
        let account = format!("{base}/111122223333");
        let region = format!("{account}/CloudTrail/us-east-1");
        for (dir, holds) in [
            ("s3://b", true),
            ("s3://b/x", true),
            (base, true),
            (&format!("{base}/"), true),
            (&format!("{base}/o-abcdef1234"), true),
            (&format!("{base}/o-abcdef1234/111122223333"), true),
            (&format!("{base}/o-abcdef1234/444455556666"), false),
            (&format!("{base}/notes"), true),
            (&account, true),
            (&format!("{account}/CloudTrail-Digest"), false),
            (&format!("{account}/CloudTrail"), true),
            (&format!("{account}/CloudTrail/eu-west-1"), false),
            (&region, true),
            (&format!("{region}/"), true),
            (&format!("{region}/."), true),
            (&format!("{region}/2025"), false),
            (&format!("{region}/2026"), true),
            (&format!("{region}/2027"), false),
            (&format!("{region}/26"), true),
            (&format!("{region}/0000"), true),
            (&format!("{region}/2026/10"), false),
            (&format!("{region}/2026/11"), true),
            (&format!("{region}/2026/12"), true),
            (&format!("{region}/2026/13"), true),
            (&format!("{region}/2026/11/22"), false),
            (&format!("{region}/2026/11/23"), true),
            (&format!("{region}/2026/11/31"), true),
            (&format!("{region}/2026/12/01"), true),
            // The day after the end's day may hold records from before the end.
            (&format!("{region}/2026/12/02"), false),
            // Not the layout's: entered, since a trail may be nested below.
            (&format!("{region}/2026/11/23/sub"), true),
            (&format!("{account}/CloudTrail-Insight"), false),
            // Another service's logs.
            (&format!("{account}/Config"), false),
            (&format!("{account}/elasticloadbalancing"), false),
            (&format!("{account}/CloudTrail/not-a-region"), true),
            // A trail whose key prefix is `AWSLogs`: the last `AWSLogs` places the rest.
            (&format!("{account}/CloudTrail/eu-west-1/AWSLogs"), true),
            (&format!("{region}/2026/11/23/AWSLogs/111122223333"), true),
        ] {
            assert_eq!(selection.holds_dir(dir), holds, "{dir}");
        }
        assert!(KeySelection::default().holds_dir(&format!("{base}/444455556666")));
        // A trail whose key prefix is `AWSLogs/prod`.
        let nested =
            format!("{base}/prod/AWSLogs/111122223333/CloudTrail/us-east-1/2026/11/24/{FILE}");
        assert!(selection.keeps(&nested));
        let in_range = format!("{region}/2026/11/24/{FILE}");
        assert!(selection.keeps(&in_range));
        // A file is kept only under directories a walk enters.
        let nested = format!(
            "{account}/CloudTrail/eu-west-1/AWSLogs/{}",
            &in_range[base.len() + 1..]
        );
        assert!(TrailKey::parse(&nested).is_some_and(|k| selection.keeps_key(&k)));
        assert!(!selection.keeps(&nested));
    }

    #[test]
    fn a_selection_in_use_counts_what_it_leaves_out() {
        let everything = Selected::new(KeySelection::default());
        assert!(everything.keeps("notes.txt"));
        assert_eq!((everything.left_out(), everything.outside_layout()), (0, 0));
        let selected = Selected::new(KeySelection {
            regions: vec!["us-east-1".into()],
            ..KeySelection::default()
        });
        let at =
            |region: &str| format!("AWSLogs/111122223333/CloudTrail/{region}/2026/11/23/{FILE}");
        assert!(selected.keeps(&at("us-east-1")));
        assert!(!selected.keeps(&at("eu-west-1")));
        assert!(!selected.keeps("notes.txt"));
        assert!(!selected.keeps(&format!(
            "AWSLogs/111122223333/CloudTrail-Digest/us-east-1/2026/11/23/{FILE}"
        )));
        assert_eq!((selected.left_out(), selected.outside_layout()), (3, 2));
    }

    #[test]
    fn a_time_alone_keeps_files_outside_the_layout() {
        let window = Selected::new(KeySelection {
            start_ms: Some(ms("2026-11-23T10:00:00Z")),
            end_ms: Some(ms("2026-11-23T12:00:00Z")),
            ..KeySelection::default()
        });
        assert!(window.keys().keeps_unplaced());
        let day = |d: &str| format!("AWSLogs/111122223333/CloudTrail/us-east-1/2026/11/{d}/{FILE}");
        // An export's files are read, their records placed in time by the reader.
        assert!(window.keeps("exportedlogs/0f1e/trail-stream/000000.gz"));
        assert!(window.keeps(&day("23")) && window.keeps(&day("24")));
        // The layout still decides where it shows a day, or CloudTrail's other files.
        assert!(!window.keeps(&day("22")));
        assert!(!window.keeps(&format!(
            "AWSLogs/111122223333/CloudTrail-Digest/us-east-1/2026/11/23/{FILE}"
        )));
        assert!(!window.keeps("AWSLogs/111122223333/CloudTrail/us-east-1/2026/11/22/notes.txt"));
        // (Of those three, the digest file alone is outside the layout.)
        assert_eq!((window.left_out(), window.outside_layout()), (3, 1));
        // With an account or a Region, a path outside the layout cannot show either.
        let account = KeySelection {
            accounts: vec!["111122223333".into()],
            ..window.keys().clone()
        };
        assert!(!account.keeps_unplaced());
        assert!(!account.keeps("exportedlogs/0f1e/trail-stream/000000.gz"));
        assert!(account.keeps(&day("23")));
    }

    #[test]
    fn directories_of_the_layout_end_with_their_year_month_or_day() {
        let region = "s3://b/AWSLogs/o-abcdef1234/111122223333/CloudTrail/us-east-1";
        for (dir, end) in [
            (format!("{region}/2026"), Some("2027-01-01T00:00:00Z")),
            (format!("{region}/2026/02/"), Some("2026-03-01T00:00:00Z")),
            (format!("{region}/2026/12"), Some("2027-01-01T00:00:00Z")),
            (format!("{region}/2024/02/29"), Some("2024-03-01T00:00:00Z")),
            (format!("{region}/2025/02/29"), None),
            (format!("{region}/2026/11/23/sub"), None),
            (format!("{region}/0000"), None),
            (region.to_owned(), None),
            (
                "AWSLogs/111122223333/Config/us-east-1/2026".to_owned(),
                None,
            ),
            ("logs/2026/11/23".to_owned(), None),
        ] {
            assert_eq!(dir_span_end(&dir), end.map(ms), "{dir}");
        }
    }

    #[test]
    fn keys_of_the_layout_are_read() {
        for prefix in ["s3://b/", "s3a://b/logs/", "/data/", "", "file:/tmp/t/"] {
            let path =
                format!("{prefix}AWSLogs/111122223333/CloudTrail/us-east-1/2026/11/23/{FILE}");
            let key = TrailKey::parse(&path).unwrap();
            assert_eq!(key.org, None);
            assert_eq!(key.account, "111122223333");
            assert_eq!(key.region, "us-east-1");
            assert_eq!(key.date, (2026, 11, 23));
            assert_eq!(key.day_ms(), ms("2026-11-23T00:00:00Z"));
        }
        let org = format!(
            "s3://b/AWSLogs/o-abcdef1234/444455556666/CloudTrail/ap-south-2/2024/02/29/{FILE}"
        );
        let key = TrailKey::parse(&org).unwrap();
        assert_eq!(key.org.as_deref(), Some("o-abcdef1234"));
        assert_eq!(key.account, "444455556666");
        assert_eq!(key.date, (2024, 2, 29));
    }

    #[test]
    fn other_paths_have_no_key() {
        for path in [
            "AWSLogs/111122223333/CloudTrail-Digest/us-east-1/2026/11/23/x.json.gz",
            "AWSLogs/111122223333/CloudTrail/us-east-1/2026/11/23/",
            "AWSLogs/111122223333/CloudTrail/us-east-1/2026/11/23",
            "AWSLogs/111122223333/CloudTrail/us-east-1/2026/11/23/a/b.json.gz",
            "AWSLogs/11112222333/CloudTrail/us-east-1/2026/11/23/x.json.gz",
            "AWSLogs/o-short/111122223333/CloudTrail/us-east-1/2026/11/23/x.json.gz",
            "AWSLogs/111122223333/CloudTrail/Us-East-1/2026/11/23/x.json.gz",
            "AWSLogs/111122223333/CloudTrail/us-east-1/2026/13/01/x.json.gz",
            "AWSLogs/111122223333/CloudTrail/us-east-1/2025/02/29/x.json.gz",
            "AWSLogs/111122223333/CloudTrail/us-east-1/26/11/23/x.json.gz",
            "logs/2026/11/23/x.json.gz",
            "",
        ] {
            assert_eq!(TrailKey::parse(path), None, "{path}");
        }
    }

    #[test]
    fn selections_keep_accounts_regions_and_days() {
        let path = |account: &str, region: &str, day: &str| {
            format!("s3://b/AWSLogs/{account}/CloudTrail/{region}/{day}/{FILE}")
        };
        let all = KeySelection::default();
        assert!(all.keeps("anything.json"));
        let some = KeySelection {
            accounts: vec!["111122223333".into()],
            regions: vec!["eu-west-1".into(), "us-east-1".into()],
            start_ms: Some(ms("2026-11-23T10:00:00Z")),
            end_ms: Some(ms("2026-11-25T00:00:00Z")),
        };
        assert!(!some.keeps("anything.json"));
        assert!(some.keeps(&path("111122223333", "eu-west-1", "2026/11/23")));
        assert!(some.keeps(&path("111122223333", "us-east-1", "2026/11/24")));
        // The day after the end (exclusive) may hold records from before it.
        assert!(some.keeps(&path("111122223333", "us-east-1", "2026/11/25")));
        assert!(!some.keeps(&path("111122223333", "us-east-1", "2026/11/26")));
        assert!(!some.keeps(&path("111122223333", "us-east-1", "2026/11/22")));
        assert!(!some.keeps(&path("444455556666", "us-east-1", "2026/11/23")));
        assert!(!some.keeps(&path("111122223333", "us-west-2", "2026/11/23")));
    }
}
