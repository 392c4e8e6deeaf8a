//! What one event value is compared with, the way aws/event-ruler compares it: numbers as
//! event-ruler's `ComparableNumber`, IP addresses as its `CIDR`, `equals-ignore-case` as its
//! `EqualsIgnoreCaseParser`, wildcards as its `WildcardParser`. The reference evaluator and the
//! matcher both use these functions, so they differ only in how they walk the event.

use std::collections::BTreeSet;

// ---- numbers ------------------------------------------------------------------------------------

/// The value of a JSON number when event-ruler can compare it (`ComparableNumber.generate`):
/// finite as an `f64`, and exactly equal, as a decimal, to the shortest decimal of that `f64`
/// (`BigDecimal.valueOf(double).compareTo(bigDecimal) == 0`). `0.1` and `300.0` are comparable;
/// `0.30000000000000001` (rounds to `0.3`), `12345678901234567890` (rounds to
/// `12345678901234567000`) and `1e400` are not. Minus zero is zero.
pub(crate) fn comparable(text: &str) -> Option<f64> {
    let v: f64 = text.parse().ok()?;
    if !v.is_finite() {
        return None;
    }
    let v = if v == 0.0 { 0.0 } else { v };
    let shortest = format!("{v:e}");
    (decimal(text)? == decimal(&shortest)?).then_some(v)
}

/// A decimal number as (negative, significant digits without leading or trailing zeros, the power
/// of ten of the digits' leading point): `-12.50e1` is `(true, "125", 3)`; zero is `(false, "", 0)`.
fn decimal(text: &str) -> Option<(bool, String, i64)> {
    let (negative, rest) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    let (mantissa, exponent) = match rest.split_once(['e', 'E']) {
        Some((m, e)) => (m, e.parse::<i64>().ok()?),
        None => (rest, 0),
    };
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    if !int.bytes().chain(frac.bytes()).all(|b| b.is_ascii_digit()) {
        return None;
    }
    let digits: String = int.chars().chain(frac.chars()).collect();
    let significant = digits.trim_start_matches('0');
    let leading = digits.len() - significant.len();
    let significant = significant.trim_end_matches('0');
    if significant.is_empty() {
        return Some((false, String::new(), 0));
    }
    let int_len = i64::try_from(int.len()).ok()?;
    let leading = i64::try_from(leading).ok()?;
    let point = int_len.checked_add(exponent)?.checked_sub(leading)?;
    Some((negative, significant.to_owned(), point))
}

// ---- IP addresses -------------------------------------------------------------------------------

/// event-ruler's `IPv4_REGEX`, `[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+`, matching all of `s`.
fn ipv4_shaped(s: &str) -> bool {
    let digits = |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit());
    let mut parts = s.split('.');
    (0..4).all(|_| parts.next().is_some_and(digits)) && parts.next().is_none()
}

/// event-ruler's `IPv6_REGEX`, `[0-9a-fA-F:]*:[0-9a-fA-F:]*`, matching all of `s`.
fn ipv6_shaped(s: &str) -> bool {
    s.contains(':') && s.bytes().all(|b| b.is_ascii_hexdigit() || b == b':')
}

/// True when `s` has the shape of an IPv4 or IPv6 address (event-ruler's `isIPv4OrIPv6`).
pub(crate) fn ip_shaped(s: &str) -> bool {
    ipv4_shaped(s) || ipv6_shaped(s)
}

/// The bytes of an IP address literal, as Java's `InetAddress.getByName` reads the literals
/// event-ruler lets through its two regexes (`IPAddressUtil.textToNumericFormatV4` and `…V6`):
/// IPv4 as four decimal numbers up to 255 in at most 15 characters, leading zeros read as
/// decimal (`010.0.0.1` is 10.0.0.1: Java's check of ambiguous literals is for URLs, not for
/// `getByName`), IPv6 as up to eight groups of hexadecimal digits up to `ffff` each (leading
/// zeros allowed: `00db8` is `db8`) with at most one `::`. An IPv4-mapped IPv6 address
/// (`::ffff:a00:1`) is the IPv4 address, as Java makes it an `Inet4Address`. `None` for
/// anything else.
pub(crate) fn parse_ip(s: &str) -> Option<Vec<u8>> {
    if ipv4_shaped(s) {
        if s.len() > 15 {
            return None;
        }
        return s.split('.').map(|p| p.parse::<u8>().ok()).collect();
    }
    if !ipv6_shaped(s) {
        return None;
    }
    let bytes = parse_ipv6(s)?;
    match bytes.split_at(12) {
        ([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff], v4) => Some(v4.to_vec()),
        _ => Some(bytes.to_vec()),
    }
}

fn parse_ipv6(s: &str) -> Option<[u8; 16]> {
    let groups = |part: &str| -> Option<Vec<u16>> {
        if part.is_empty() {
            return Some(Vec::new());
        }
        part.split(':')
            .map(|g| {
                if g.is_empty() {
                    return None;
                }
                // Java adds each digit and refuses a group past 0xffff: leading zeros are
                // allowed however many.
                u16::from_str_radix(g, 16).ok()
            })
            .collect()
    };
    let (head, tail) = match s.split_once("::") {
        Some((head, tail)) => {
            if tail.contains("::") {
                return None;
            }
            let (head, tail) = (groups(head)?, groups(tail)?);
            if head.len() + tail.len() > 7 {
                return None;
            }
            (head, tail)
        }
        None => {
            let all = groups(s)?;
            if all.len() != 8 {
                return None;
            }
            (all, Vec::new())
        }
    };
    let zeros = 8 - head.len() - tail.len();
    let mut out = [0u8; 16];
    let all = head
        .iter()
        .copied()
        .chain(std::iter::repeat_n(0, zeros))
        .chain(tail.iter().copied());
    for (slot, group) in out.chunks_exact_mut(2).zip(all) {
        slot.copy_from_slice(&group.to_be_bytes());
    }
    Some(out)
}

/// The addresses of a CIDR block (or of one address): from `low` to `high`, both included, all of
/// the same length (4 or 16 bytes).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct IpRange {
    /// The lowest address.
    pub low: Vec<u8>,
    /// The highest address.
    pub high: Vec<u8>,
}

impl IpRange {
    /// The range of one address.
    pub(crate) fn single(ip: Vec<u8>) -> IpRange {
        IpRange {
            low: ip.clone(),
            high: ip,
        }
    }

    /// True when `ip` is in the range. An address of the other family never is.
    pub(crate) fn contains(&self, ip: &[u8]) -> bool {
        ip.len() == self.low.len() && self.low.as_slice() <= ip && ip <= self.high.as_slice()
    }

    /// True when the string value `s` of an event is an IP address in the range.
    pub(crate) fn contains_text(&self, s: &str) -> bool {
        parse_ip(s).is_some_and(|ip| self.contains(&ip))
    }
}

/// Java's `Integer.parseInt`: an optional sign and decimal digits that fit an `i32`.
fn java_parse_int(s: &str) -> Option<i32> {
    let digits = s.strip_prefix(['+', '-']).unwrap_or(s);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// event-ruler's `CIDR.cidr`: a block `address/bits`, with its messages.
pub(crate) fn parse_cidr(text: &str) -> Result<IpRange, String> {
    // Java's `split("/")` drops trailing empty strings.
    let mut parts: Vec<&str> = text.split('/').collect();
    while parts.len() > 1 && parts.last() == Some(&"") {
        parts.pop();
    }
    let [ip, bits] = parts.as_slice() else {
        return Err("Malformed CIDR, one '/' required".into());
    };
    let Some(bits) = java_parse_int(bits) else {
        return Err("Malformed CIDR, mask bits must be an integer".into());
    };
    if bits < 0 {
        return Err("Malformed CIDR, mask bits must not be negative".into());
    }
    let ip = ip_bytes(ip)?;
    let width = if ip.len() == 4 { 32 } else { 128 };
    if ip.len() == 4 && bits > 31 {
        return Err("IPv4 mask bits must be < 32".into());
    }
    if ip.len() == 16 && bits > 127 {
        return Err("IPv6 mask bits must be < 128".into());
    }
    let fixed = usize::try_from(bits).unwrap_or(0);
    let mut low = ip.clone();
    let mut high = ip;
    for bit in fixed..width {
        let (byte, mask) = (bit / 8, 0x80u8 >> (bit % 8));
        if let Some(b) = low.get_mut(byte) {
            *b &= !mask;
        }
        if let Some(b) = high.get_mut(byte) {
            *b |= mask;
        }
    }
    Ok(IpRange { low, high })
}

/// event-ruler's `ipToBytes`, with its two messages.
fn ip_bytes(ip: &str) -> Result<Vec<u8>, String> {
    if !ip_shaped(ip) {
        return Err(format!("Nonstandard IP address: {ip}"));
    }
    parse_ip(ip).ok_or_else(|| format!("Invalid IP address: {ip}"))
}

// ---- wildcards ----------------------------------------------------------------------------------

/// One step of a wildcard value: a byte to match, or `*`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum GlobItem {
    /// This byte.
    Byte(u8),
    /// Any run of bytes, empty included.
    Star,
}

/// A parsed `wildcard` value.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Glob {
    /// The value as written (after JSON unescaping).
    pub text: String,
    /// Its steps.
    pub items: Vec<GlobItem>,
}

/// event-ruler's `WildcardParser`: `*` is a wildcard, `\*` a star, `\\` a backslash; two `*` in a
/// row and any other `\` are errors. Positions in the messages count bytes of the value with its
/// opening quote, as event-ruler's do.
pub(crate) fn parse_wildcard(text: &str) -> Result<Glob, String> {
    let bytes = text.as_bytes();
    let mut items = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'*' => {
                if bytes.get(i + 1) == Some(&b'*') {
                    return Err(format!("Consecutive wildcard characters at pos {}", i + 1));
                }
                items.push(GlobItem::Star);
            }
            b'\\' => match bytes.get(i + 1) {
                Some(&next @ (b'*' | b'\\')) => {
                    items.push(GlobItem::Byte(next));
                    i += 1;
                }
                _ => return Err(format!("Invalid escape character at pos {}", i + 1)),
            },
            _ => items.push(GlobItem::Byte(b)),
        }
        i += 1;
    }
    Ok(Glob {
        text: text.to_owned(),
        items,
    })
}

impl Glob {
    /// True when the glob matches all of `s`.
    pub(crate) fn matches(&self, s: &str) -> bool {
        // The positions of the glob reachable after each byte of `s`.
        let mut at = self.closure(BTreeSet::from([0]));
        for &b in s.as_bytes() {
            let mut next = BTreeSet::new();
            for &i in &at {
                match self.items.get(i) {
                    Some(GlobItem::Star) => {
                        next.insert(i);
                    }
                    Some(GlobItem::Byte(x)) if *x == b => {
                        next.insert(i + 1);
                    }
                    _ => {}
                }
            }
            at = self.closure(next);
            if at.is_empty() {
                return false;
            }
        }
        at.contains(&self.items.len())
    }

    /// `positions` and every position a `*` may skip to.
    pub(crate) fn closure(&self, mut positions: BTreeSet<usize>) -> BTreeSet<usize> {
        let mut todo: Vec<usize> = positions.iter().copied().collect();
        while let Some(i) = todo.pop() {
            if self.items.get(i) == Some(&GlobItem::Star) && positions.insert(i + 1) {
                todo.push(i + 1);
            }
        }
        positions
    }
}

// ---- equals-ignore-case -------------------------------------------------------------------------

/// A value of `equals-ignore-case` (alone, in `prefix`, `suffix` or `anything-but`): for each of
/// its characters, its lower-case and upper-case forms (Unicode's full mappings, which Java's
/// `toLowerCase(Locale.ROOT)` and `toUpperCase(Locale.ROOT)` apply). An event character matches a
/// pattern character when it is one of the two forms, as in event-ruler's
/// `EqualsIgnoreCaseParser`: `ß` matches `ß` and `SS`, not `ss`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Folded {
    /// The value as written.
    pub text: String,
    forms: Vec<(String, String)>,
}

impl Folded {
    /// The forms of `text`.
    pub(crate) fn new(text: &str) -> Folded {
        let forms = text
            .chars()
            .map(|c| (c.to_lowercase().collect(), c.to_uppercase().collect()))
            .collect();
        Folded {
            text: text.to_owned(),
            forms,
        }
    }

    /// For each character of the value, its lower-case and upper-case forms.
    pub(crate) fn forms(&self) -> &[(String, String)] {
        &self.forms
    }

    /// The byte offsets of `s` where a match of the whole value starting at `from` can end.
    fn ends(&self, s: &str, from: usize) -> BTreeSet<usize> {
        let mut at = BTreeSet::from([from]);
        for (lower, upper) in &self.forms {
            let mut next = BTreeSet::new();
            for &p in &at {
                let rest = s.get(p..).unwrap_or_default();
                for form in [lower, upper] {
                    if rest.starts_with(form.as_str()) {
                        next.insert(p + form.len());
                    }
                }
            }
            at = next;
            if at.is_empty() {
                break;
            }
        }
        at
    }

    /// True when all of `s` matches.
    pub(crate) fn equals(&self, s: &str) -> bool {
        self.ends(s, 0).contains(&s.len())
    }

    /// True when `s` starts with a match.
    pub(crate) fn prefix_of(&self, s: &str) -> bool {
        !self.ends(s, 0).is_empty()
    }

    /// True when `s` ends with a match.
    pub(crate) fn suffix_of(&self, s: &str) -> bool {
        (0..=s.len())
            .filter(|&k| s.is_char_boundary(k))
            .any(|k| self.ends(s, k).contains(&s.len()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comparable_numbers_are_those_a_double_holds_exactly() {
        assert_eq!(comparable("300"), Some(300.0));
        assert_eq!(comparable("300.0"), Some(300.0));
        assert_eq!(comparable("3.0e2"), Some(300.0));
        assert_eq!(comparable("3.018e2"), Some(301.8));
        assert_eq!(comparable("0.1"), Some(0.1));
        assert_eq!(comparable("-0"), Some(0.0));
        assert_eq!(comparable("5e-324"), Some(5e-324));
        assert_eq!(comparable("0.30000000000000001"), None);
        assert_eq!(comparable("12345678901234567890"), None);
        assert_eq!(comparable("123456789012"), Some(123_456_789_012.0));
        assert_eq!(comparable("1e400"), None);
        assert_eq!(comparable("abc"), None);
    }

    /// event-ruler's IPv4 regex: four runs of digits joined by dots, nothing more (the value
    /// of each is `parse_ip`'s business).
    #[test]
    fn an_ipv4_shape_is_four_runs_of_digits() {
        for shaped in ["1.2.3.4", "999.0.00.1"] {
            assert!(ip_shaped(shaped), "{shaped}");
        }
        for unshaped in [
            "",
            "1.2.3",
            "1.2.3.4.5",
            "1..3.4",
            "1.2.3.4.",
            ".1.2.3",
            "1.2.3.a",
        ] {
            assert!(!ip_shaped(unshaped), "{unshaped}");
        }
    }

    #[test]
    fn ip_addresses_as_java_reads_them() {
        assert_eq!(parse_ip("10.0.0.1"), Some(vec![10, 0, 0, 1]));
        assert_eq!(parse_ip("256.0.0.1"), None);
        // Leading zeros are decimal, within 15 characters, as Java reads them.
        assert_eq!(parse_ip("010.0.0.1"), Some(vec![10, 0, 0, 1]));
        assert_eq!(parse_ip("0177.0.0.01"), Some(vec![177, 0, 0, 1]));
        assert_eq!(parse_ip("010.000.000.001"), Some(vec![10, 0, 0, 1]));
        assert_eq!(parse_ip("0010.000.000.001"), None);
        assert_eq!(parse_ip("0256.0.0.1"), None);
        assert_eq!(parse_ip("2001:00db8::1"), parse_ip("2001:db8::1"));
        assert_eq!(parse_ip("00001::"), parse_ip("1::"));
        assert_eq!(parse_ip("10000::"), None);
        assert_eq!(parse_ip("::1").map(|v| v.len()), Some(16));
        assert_eq!(parse_ip("::ffff:a00:1"), Some(vec![10, 0, 0, 1]));
        assert_eq!(parse_ip("1:2:3:4:5:6:7:8:9"), None);
        assert_eq!(parse_ip("1::2::3"), None);
        assert_eq!(parse_ip("abc"), None);
    }

    #[test]
    fn cidr_blocks() {
        let r = parse_cidr("10.0.0.0/24").unwrap();
        assert!(r.contains_text("10.0.0.255"));
        assert!(!r.contains_text("10.0.1.0"));
        assert_eq!(
            parse_cidr("10.0.0.1/32").unwrap_err(),
            "IPv4 mask bits must be < 32"
        );
        assert_eq!(
            parse_cidr("10.0.0.1").unwrap_err(),
            "Malformed CIDR, one '/' required"
        );
        assert_eq!(
            parse_cidr("bogus/8").unwrap_err(),
            "Nonstandard IP address: bogus"
        );
        assert_eq!(
            parse_cidr("999.0.0.0/8").unwrap_err(),
            "Invalid IP address: 999.0.0.0"
        );
        let v6 = parse_cidr("2001:db8::/32").unwrap();
        assert!(v6.contains_text("2001:db8:ffff::1"));
        assert!(!v6.contains_text("2001:db9::1"));
    }

    #[test]
    fn wildcards() {
        let g = parse_wildcard("*/lib/*").unwrap();
        assert!(g.matches("/usr/lib/x"));
        assert!(!g.matches("/usr/bin/x"));
        assert!(parse_wildcard(r"a\*b").unwrap().matches("a*b"));
        assert!(!parse_wildcard(r"a\*b").unwrap().matches("axb"));
        assert_eq!(
            parse_wildcard("a**").unwrap_err(),
            "Consecutive wildcard characters at pos 2"
        );
        assert_eq!(
            parse_wildcard(r"a\b").unwrap_err(),
            "Invalid escape character at pos 2"
        );
    }

    #[test]
    fn ignore_case() {
        let f = Folded::new("EventB");
        assert!(f.prefix_of("eventbridge"));
        assert!(f.equals("EVENTB"));
        assert!(!f.equals("EVENTBX"));
        assert!(Folded::new(".png").suffix_of("A.PNG"));
        let sharp = Folded::new("ß");
        assert!(sharp.equals("SS") && sharp.equals("ß") && !sharp.equals("ss"));
    }
}
