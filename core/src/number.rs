//! The number grammar shared by pattern literals and event text:
//! an optional sign, digits with an optional fraction (or a fraction alone), an optional exponent.
//! `400`, `-5`, `+1000`, `55.5`, `.5`, `1e-3`, `10e3`, `1E+3`.

/// The value of `text` when all of it is a number in the grammar above.
pub fn parse(text: &str) -> Option<f64> {
    if !is_number(text) {
        return None;
    }
    // Rust's float parser accepts everything the grammar does except a leading '+', which it
    // also accepts; the grammar check above already excluded inf/nan and hex.
    text.parse::<f64>().ok()
}

/// True when all of `text` is a number in the grammar above.
pub fn is_number(text: &str) -> bool {
    let b = text.as_bytes();
    let mut i = 0;
    if matches!(b.first(), Some(b'+' | b'-')) {
        i += 1;
    }
    let int_digits = count_digits(b, i);
    i += int_digits;
    let mut frac_digits = 0;
    if b.get(i) == Some(&b'.') {
        frac_digits = count_digits(b, i + 1);
        i += 1 + frac_digits;
    }
    if int_digits == 0 && frac_digits == 0 {
        return false;
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        let exp_digits = count_digits(b, i);
        if exp_digits == 0 {
            return false;
        }
        i += exp_digits;
    }
    i == b.len()
}

fn count_digits(b: &[u8], from: usize) -> usize {
    b.get(from..).map_or(0, |rest| {
        rest.iter().take_while(|c| c.is_ascii_digit()).count()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_the_documented_literals() {
        for (text, value) in [
            ("400", 400.0),
            ("+1000", 1000.0),
            ("-5", -5.0),
            ("55.5", 55.5),
            ("1e-3", 0.001),
            ("10e3", 10000.0),
            ("1e+3", 1000.0),
            ("1E3", 1000.0),
            (".5", 0.5),
            ("5.", 5.0),
        ] {
            assert_eq!(parse(text), Some(value), "{text}");
        }
    }

    #[test]
    fn rejects_what_is_not_a_number() {
        for text in [
            "", "+", "-", ".", "e3", "1e", "1e+", "inf", "NaN", "0x10", "1.2.3", "10.0.*", "4*",
            " 1", "1 ",
        ] {
            assert_eq!(parse(text), None, "{text:?}");
        }
    }
}
