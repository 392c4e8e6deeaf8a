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
use crate::time;

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
        let number = |text: &str, digits: usize| -> Option<u32> {
            (text.len() == digits && text.bytes().all(|b| b.is_ascii_digit()))
                .then(|| text.parse().ok())
                .flatten()
        };
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
    /// everything; otherwise only paths with a [`TrailKey`] in the selection (a path outside
    /// the layout cannot be shown to hold records in range).
    pub fn keeps(&self, path: &str) -> bool {
        if self.is_everything() {
            return true;
        }
        TrailKey::parse(path).is_some_and(|key| self.keeps_key(&key))
    }

    /// Whether `key` is in the selection.
    pub fn keeps_key(&self, key: &TrailKey) -> bool {
        const DAY_MS: i64 = 24 * 60 * time::MINUTE_MS;
        let day = key.day_ms();
        (self.accounts.is_empty() || self.accounts.contains(&key.account))
            && (self.regions.is_empty() || self.regions.contains(&key.region))
            && self
                .start_ms
                .is_none_or(|start| day >= start.div_euclid(DAY_MS) * DAY_MS)
            // The day after the end's day may still hold records from before the end.
            && self
                .end_ms
                .is_none_or(|end| day <= (end - 1).div_euclid(DAY_MS) * DAY_MS + DAY_MS)
    }
}

/// A [`KeySelection`] in use: which files a scan reads, and how many it has left out so far (the
/// counters are shared by the threads that list and walk).
#[derive(Debug, Default)]
pub struct Selected {
    keys: KeySelection,
    left_out: AtomicU64,
    outside_layout: AtomicU64,
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

    /// Whether the file at `path` is read ([`KeySelection::keeps`]); one that is not is
    /// counted.
    pub fn keeps(&self, path: &str) -> bool {
        if self.keys.is_everything() {
            return true;
        }
        let Some(key) = TrailKey::parse(path) else {
            self.outside_layout.fetch_add(1, Ordering::Relaxed);
            self.left_out.fetch_add(1, Ordering::Relaxed);
            return false;
        };
        let keeps = self.keys.keeps_key(&key);
        if !keeps {
            self.left_out.fetch_add(1, Ordering::Relaxed);
        }
        keeps
    }

    /// How many files were left out so far: out of the selection, or outside the layout.
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
