//! Timestamps as AWS writes them, to and from milliseconds since the Unix epoch (UTC).
//!
//! CloudTrail's `eventTime` is RFC 3339 (`2020-09-14T00:44:23Z`, sometimes with fractional
//! seconds or an offset); CloudWatch's alarm messages write `2021-04-12T18:43:11.093+0000`.
//! Only the proleptic Gregorian calendar between years 0000 and 9999 is accepted.

/// Milliseconds in one minute, the resolution of metric-filter metrics.
pub const MINUTE_MS: i64 = 60_000;

/// A day in milliseconds.
pub const DAY_MS: i64 = 24 * 60 * MINUTE_MS;

/// The last instant RFC 3339 can write, `9999-12-31T23:59:59.999Z`, in milliseconds since the
/// epoch: [`parse`] accepts nothing later, and the `format_*` functions write later instants
/// with a five-digit year, which is not RFC 3339.
pub const MAX_MS: i64 = 253_402_300_799_999;

/// Days from 1970-01-01 to the given civil date (Howard Hinnant's `days_from_civil`).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The civil date of a day count from 1970-01-01.
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// A fixed-width run of ASCII digits.
fn digits(bytes: &[u8]) -> Option<i64> {
    if bytes.is_empty() || !bytes.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(bytes.iter().fold(0i64, |n, b| n * 10 + i64::from(b - b'0')))
}

/// Parses an RFC 3339 / ISO 8601 timestamp: `YYYY-MM-DDTHH:MM:SS`, optional fraction, then `Z`,
/// `±HH:MM` or `±HHMM` (`t`, `z` and a space for `T` are accepted, as RFC 3339 allows).
/// Returns milliseconds since the epoch, or `None` when the text is not such a timestamp.
pub fn parse(text: &str) -> Option<i64> {
    let b = text.as_bytes();
    let field = |from: usize, to: usize| b.get(from..to).and_then(digits);
    let sep = |at: usize, c: u8| b.get(at) == Some(&c);
    let (year, month, day) = (field(0, 4)?, field(5, 7)?, field(8, 10)?);
    if !sep(4, b'-') || !sep(7, b'-') || !matches!(b.get(10), Some(b'T' | b't' | b' ')) {
        return None;
    }
    let (hour, minute, second) = (field(11, 13)?, field(14, 16)?, field(17, 19)?);
    if !sep(13, b':') || !sep(16, b':') {
        return None;
    }
    if !(1..=12).contains(&month)
        || day < 1
        || day > days_in_month(year, month)
        || hour > 23
        || minute > 59
        || second > 60
    {
        return None;
    }
    let mut at = 19;
    let mut millis = 0;
    if sep(at, b'.') {
        let start = at + 1;
        let mut end = start;
        while b.get(end).is_some_and(u8::is_ascii_digit) {
            end += 1;
        }
        let fraction = b.get(start..end)?;
        if fraction.is_empty() {
            return None;
        }
        // Milliseconds from the first three digits; finer digits are truncated.
        millis = fraction
            .iter()
            .chain(std::iter::repeat(&b'0'))
            .take(3)
            .fold(0i64, |n, d| n * 10 + i64::from(d - b'0'));
        at = end;
    }
    let offset_minutes = match b.get(at..)? {
        [b'Z' | b'z'] => 0,
        [sign @ (b'+' | b'-'), rest @ ..] => {
            let (h, m) = match rest {
                [h1, h2, b':', m1, m2] | [h1, h2, m1, m2] => {
                    (digits(&[*h1, *h2])?, digits(&[*m1, *m2])?)
                }
                _ => return None,
            };
            if h > 23 || m > 59 {
                return None;
            }
            let total = h * 60 + m;
            if *sign == b'-' { -total } else { total }
        }
        _ => return None,
    };
    let days = days_from_civil(year, month, day);
    let seconds = days * 86_400 + hour * 3_600 + minute * 60 + second.min(59) - offset_minutes * 60;
    Some(seconds * 1_000 + millis)
}

fn parts(ms: i64) -> (i64, i64, i64, i64, i64, i64, i64) {
    let days = ms.div_euclid(86_400_000);
    let in_day = ms.rem_euclid(86_400_000);
    let (y, mo, d) = civil_from_days(days);
    (
        y,
        mo,
        d,
        in_day / 3_600_000,
        in_day / 60_000 % 60,
        in_day / 1_000 % 60,
        in_day % 1_000,
    )
}

/// `template` with the decimal digits of each `(at, width, n)` written over its bytes
/// `at..at + width` (`0 <= n < 10^width`): a timestamp is written by the thousand in a report,
/// and `format!` with seven padded numbers takes some 3,400 instructions where this takes a
/// tenth of that.
fn stamp<const N: usize>(mut template: [u8; N], fields: &[(usize, usize, i64)]) -> String {
    for &(at, width, n) in fields {
        let mut rest = n.unsigned_abs();
        let digits = template.get_mut(at..at + width).unwrap_or_default();
        for digit in digits.iter_mut().rev() {
            // `rest % 10` is a digit: the cast keeps it whole.
            *digit = b'0' + (rest % 10) as u8;
            rest /= 10;
        }
    }
    // ASCII: the check passes (std's looks at a word at a time, where a lossy conversion walks
    // the text in chunks).
    String::from_utf8(template.to_vec()).unwrap_or_default()
}

/// `2020-09-14T00:44:23Z`: CloudTrail's `eventTime` form (whole seconds).
pub fn format_seconds(ms: i64) -> String {
    let mut text = format_millis(ms);
    // `.000Z` → `Z`.
    text.truncate(text.len().saturating_sub(5));
    text.push('Z');
    text
}

/// `2020-09-14T00:44:23.000Z`: ISO 8601 with milliseconds.
pub fn format_millis(ms: i64) -> String {
    let (y, mo, d, h, mi, s, f) = parts(ms);
    if !(0..=9999).contains(&y) {
        return format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{f:03}Z");
    }
    let fields = [
        (0, 4, y),
        (5, 2, mo),
        (8, 2, d),
        (11, 2, h),
        (14, 2, mi),
        (17, 2, s),
        (20, 3, f),
    ];
    stamp(*b"0000-00-00T00:00:00.000Z", &fields)
}

/// `2021-04-12T18:43:11.093+0000`: the form of `StateChangeTime` in CloudWatch's alarm
/// notifications.
pub fn format_cloudwatch(ms: i64) -> String {
    let mut text = format_millis(ms);
    // `Z` → `+0000`.
    text.pop();
    text.push_str("+0000");
    text
}

/// `Monday 12 April, 2021 18:43:11 UTC`: the form in the reason text of CloudWatch's alarm
/// state changes (`… (12/04/21 18:38:00)` uses [`format_reason_short`]).
pub fn format_long(ms: i64) -> String {
    const DAYS: [&str; 7] = [
        "Thursday",
        "Friday",
        "Saturday",
        "Sunday",
        "Monday",
        "Tuesday",
        "Wednesday",
    ];
    const MONTHS: [&str; 12] = [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ];
    let (y, mo, d, h, mi, s, _) = parts(ms);
    let weekday = DAYS
        .get(usize::try_from(ms.div_euclid(86_400_000).rem_euclid(7)).unwrap_or(0))
        .copied()
        .unwrap_or("");
    let month = MONTHS
        .get(usize::try_from(mo - 1).unwrap_or(0))
        .copied()
        .unwrap_or("");
    format!("{weekday} {d} {month}, {y} {h:02}:{mi:02}:{s:02} UTC")
}

/// `12/04/21 18:38:00`: day/month/two-digit year, as in CloudWatch's "Threshold Crossed" reasons.
pub fn format_reason_short(ms: i64) -> String {
    let (y, mo, d, h, mi, s, _) = parts(ms);
    let fields = [
        (0, 2, d),
        (3, 2, mo),
        (6, 2, y.rem_euclid(100)),
        (9, 2, h),
        (12, 2, mi),
        (15, 2, s),
    ];
    stamp(*b"00/00/00 00:00:00", &fields)
}

/// The start of the minute holding `ms`.
///
/// The minute of the earliest instants starts before `i64::MIN`: they give `i64::MIN`.
pub fn minute_floor(ms: i64) -> i64 {
    ms.saturating_sub(ms.rem_euclid(MINUTE_MS))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The formats as `format!` writes them, which the fast writers must match.
    fn formatted(ms: i64) -> [String; 4] {
        let (y, mo, d, h, mi, s, f) = parts(ms);
        [
            format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}Z"),
            format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{f:03}Z"),
            format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{f:03}+0000"),
            format!(
                "{d:02}/{mo:02}/{:02} {h:02}:{mi:02}:{s:02}",
                y.rem_euclid(100)
            ),
        ]
    }

    proptest::proptest! {
        #[test]
        fn the_fast_writers_write_what_format_writes(
            ms in proptest::prop_oneof![
                proptest::prelude::any::<i64>(),
                -62_167_219_200_000i64..=MAX_MS + 1_000,
            ]
        ) {
            let fast = [
                format_seconds(ms),
                format_millis(ms),
                format_cloudwatch(ms),
                format_reason_short(ms),
            ];
            proptest::prop_assert_eq!(fast, formatted(ms));
        }
    }

    #[test]
    fn timestamps_at_the_edges_of_four_digit_years() {
        for ms in [
            i64::MIN,
            -62_167_219_200_001,
            -62_167_219_200_000,
            -1,
            0,
            1_600_044_263_093,
            MAX_MS,
            MAX_MS + 1,
            i64::MAX,
        ] {
            let fast = [
                format_seconds(ms),
                format_millis(ms),
                format_cloudwatch(ms),
                format_reason_short(ms),
            ];
            assert_eq!(fast, formatted(ms), "{ms}");
        }
        assert_eq!(format_millis(MAX_MS), "9999-12-31T23:59:59.999Z");
        assert_eq!(format_millis(MAX_MS + 1), "10000-01-01T00:00:00.000Z");
        assert_eq!(format_seconds(-62_167_219_200_000), "0000-01-01T00:00:00Z");
        assert_eq!(format_seconds(-62_167_219_200_001), "-001-12-31T23:59:59Z");
        assert_eq!(format_reason_short(1_618_252_680_000), "12/04/21 18:38:00");
    }

    #[test]
    fn parses_cloudtrail_forms() {
        assert_eq!(parse("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(parse("2020-09-14T00:44:23Z"), Some(1_600_044_263_000));
        assert_eq!(parse("2020-09-14T00:44:23.5Z"), Some(1_600_044_263_500));
        assert_eq!(
            parse("2020-09-14T00:44:23.123456Z"),
            Some(1_600_044_263_123)
        );
        assert_eq!(parse("2020-09-14T02:44:23+02:00"), Some(1_600_044_263_000));
        assert_eq!(parse("2020-09-13T23:44:23-0100"), Some(1_600_044_263_000));
        assert_eq!(parse("2024-02-29T00:00:00Z"), Some(1_709_164_800_000));
        assert_eq!(parse("1969-12-31T23:59:59Z"), Some(-1_000));
    }

    #[test]
    fn rejects_what_is_not_a_timestamp() {
        for bad in [
            "",
            "2020-09-14",
            "2020-09-14T00:44:23",
            "2020-13-14T00:44:23Z",
            "2023-02-29T00:00:00Z",
            "2020-09-14T24:00:00Z",
            "2020-09-14T00:44:23.Z",
            "2020-09-14T00:44:23Zjunk",
            "2020-09-14T00:44:23+2:00",
            "２020-09-14T00:44:23Z",
            "+020-09-14T00:44:23Z",
        ] {
            assert_eq!(parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn formats_round_trip() {
        for ms in [
            0,
            1_600_044_263_000,
            1_709_164_800_123,
            -1_000,
            253_402_300_799_000,
        ] {
            assert_eq!(parse(&format_millis(ms)), Some(ms));
            assert_eq!(parse(&format_cloudwatch(ms)), Some(ms));
            assert_eq!(parse(&format_seconds(ms)), Some(ms - ms.rem_euclid(1000)));
        }
        let t = 1_618_252_991_093;
        assert_eq!(format_cloudwatch(t), "2021-04-12T18:43:11.093+0000");
        assert_eq!(format_long(t), "Monday 12 April, 2021 18:43:11 UTC");
        assert_eq!(format_reason_short(t), "12/04/21 18:43:11");
        assert_eq!(format_seconds(t), "2021-04-12T18:43:11Z");
        assert_eq!(minute_floor(t), 1_618_252_980_000);
        assert_eq!(minute_floor(-1), -60_000);
    }

    #[test]
    fn minute_floor_of_the_extreme_instants_does_not_overflow() {
        assert_eq!(minute_floor(i64::MIN), i64::MIN);
        assert_eq!(minute_floor(i64::MIN + 1), i64::MIN);
        assert_eq!(minute_floor(i64::MAX), 9_223_372_036_854_720_000);
        assert_eq!(minute_floor(i64::MAX) % MINUTE_MS, 0);
    }
}
