//! Metric datapoints as CloudWatch stores them: per period, the sample count, sum, minimum and
//! maximum of the values published in it.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// The statistics of one period of one metric series.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Statistics {
    /// Number of values published.
    pub sample_count: u64,
    /// Their sum.
    pub sum: f64,
    /// The smallest.
    pub minimum: f64,
    /// The largest.
    pub maximum: f64,
}

impl Statistics {
    /// The statistics of one value.
    pub fn single(value: f64) -> Statistics {
        Statistics {
            sample_count: 1,
            sum: value,
            minimum: value,
            maximum: value,
        }
    }

    /// Adds one value.
    pub fn add(&mut self, value: f64) {
        self.merge(&Statistics::single(value));
    }

    /// Adds every value of `other` (the statistics of a longer period from shorter ones).
    pub fn merge(&mut self, other: &Statistics) {
        self.sample_count = self.sample_count.saturating_add(other.sample_count);
        self.sum += other.sum;
        self.minimum = self.minimum.min(other.minimum);
        self.maximum = self.maximum.max(other.maximum);
    }

    /// The value of one statistic.
    pub fn get(&self, statistic: Statistic) -> f64 {
        match statistic {
            // Counts far beyond 2^53 are not reachable from a log scan.
            #[allow(clippy::cast_precision_loss)]
            Statistic::SampleCount => self.sample_count as f64,
            Statistic::Sum => self.sum,
            Statistic::Minimum => self.minimum,
            Statistic::Maximum => self.maximum,
            #[allow(clippy::cast_precision_loss)]
            Statistic::Average => self.sum / self.sample_count.max(1) as f64,
        }
    }
}

/// CloudWatch's simple statistics (`Statistic` in `PutMetricAlarm`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Statistic {
    /// Number of values.
    SampleCount,
    /// Mean of the values.
    Average,
    /// Sum of the values.
    Sum,
    /// Smallest value.
    Minimum,
    /// Largest value.
    Maximum,
}

impl Statistic {
    /// Every statistic, in AWS's documentation order.
    pub const ALL: [Statistic; 5] = [
        Statistic::SampleCount,
        Statistic::Average,
        Statistic::Sum,
        Statistic::Minimum,
        Statistic::Maximum,
    ];

    /// The API name (`Sum`, `SampleCount`, …).
    pub fn name(self) -> &'static str {
        match self {
            Statistic::SampleCount => "SampleCount",
            Statistic::Average => "Average",
            Statistic::Sum => "Sum",
            Statistic::Minimum => "Minimum",
            Statistic::Maximum => "Maximum",
        }
    }

    /// The statistic with this API name.
    pub fn from_name(name: &str) -> Option<Statistic> {
        Statistic::ALL.into_iter().find(|s| s.name() == name)
    }
}

/// One metric series: the start of each period (milliseconds since the epoch) → its statistics.
/// Periods with no datapoint are absent ("missing data" to an alarm).
pub type Series = BTreeMap<i64, Statistics>;

/// Re-buckets a per-minute series into periods of `period_ms` aligned to the epoch, as
/// CloudWatch aligns periods when it evaluates an alarm.
pub fn rebucket(series: &Series, period_ms: i64) -> Series {
    let mut out = Series::new();
    let period_ms = period_ms.max(1);
    for (start, stats) in series {
        // The start of the period holding `start`; the earliest instants' period starts before
        // `i64::MIN`, so they go to the bucket `i64::MIN`.
        let bucket = start.saturating_sub(start.rem_euclid(period_ms));
        out.entry(bucket)
            .and_modify(|s: &mut Statistics| s.merge(stats))
            .or_insert(*stats);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statistics_merge_and_read() {
        let mut s = Statistics::single(2.0);
        s.add(5.0);
        s.merge(&Statistics::single(-1.0));
        assert_eq!(s.get(Statistic::SampleCount), 3.0);
        assert_eq!(s.get(Statistic::Sum), 6.0);
        assert_eq!(s.get(Statistic::Average), 2.0);
        assert_eq!(s.get(Statistic::Minimum), -1.0);
        assert_eq!(s.get(Statistic::Maximum), 5.0);
        for st in Statistic::ALL {
            assert_eq!(Statistic::from_name(st.name()), Some(st));
        }
        assert_eq!(Statistic::from_name("sum"), None);
    }

    #[test]
    fn rebucket_merges_minutes_into_periods() {
        let mut minutes = Series::new();
        minutes.insert(0, Statistics::single(1.0));
        minutes.insert(60_000, Statistics::single(2.0));
        minutes.insert(300_000, Statistics::single(4.0));
        let five = rebucket(&minutes, 300_000);
        assert_eq!(five.len(), 2);
        assert_eq!(five[&0].sum, 3.0);
        assert_eq!(five[&300_000].sample_count, 1);
    }

    #[test]
    fn rebucket_of_the_extreme_instants_does_not_overflow() {
        let mut minutes = Series::new();
        minutes.insert(i64::MIN, Statistics::single(1.0));
        minutes.insert(i64::MIN + 1, Statistics::single(2.0));
        minutes.insert(i64::MAX, Statistics::single(4.0));
        let hours = rebucket(&minutes, 3_600_000);
        assert_eq!(hours.len(), 2);
        assert_eq!(hours[&i64::MIN].sample_count, 2);
        assert_eq!(hours[&(i64::MAX - i64::MAX % 3_600_000)].sum, 4.0);
    }
}
