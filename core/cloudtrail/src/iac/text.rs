//! Text read out of a file, with the file position of every byte: what lets an error found in a
//! filter pattern point at the character of the template that produced it, after YAML folding,
//! escapes, heredoc indentation and `!Sub` substitutions.

use crate::rules::SourceLocation;

/// A string value and, for each of its bytes, the byte offset in the file of the character that
/// produced it (an escape sequence produces a character at its backslash).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct SourceText {
    pub(crate) text: String,
    pub(crate) at: Vec<usize>,
}

impl SourceText {
    /// Text that came from one place as a whole (a number, a key): every byte maps to `at`.
    pub(crate) fn whole(text: &str, at: usize) -> SourceText {
        SourceText {
            text: text.to_owned(),
            at: vec![at; text.len()],
        }
    }

    /// The text without leading and trailing white space (Unicode's, as Go's
    /// `strings.TrimSpace`), each byte keeping its file offset.
    pub(crate) fn trimmed(&self) -> SourceText {
        let start = self.text.len() - self.text.trim_start().len();
        let end = self.text.trim_end().len().max(start);
        SourceText {
            text: self.text.get(start..end).unwrap_or_default().to_owned(),
            at: self.at.get(start..end).unwrap_or_default().to_vec(),
        }
    }

    /// The text without leading white space (as [`SourceText::trimmed`]).
    pub(crate) fn trimmed_start(&self) -> SourceText {
        let start = self.text.len() - self.text.trim_start().len();
        SourceText {
            text: self.text.get(start..).unwrap_or_default().to_owned(),
            at: self.at.get(start..).unwrap_or_default().to_vec(),
        }
    }

    /// Drops the white space that ends the text, back to byte `from` at most.
    pub(crate) fn trim_end_from(&mut self, from: usize) {
        let kept = from + self.text.get(from..).map_or(0, |t| t.trim_end().len());
        self.text.truncate(kept);
        self.at.truncate(kept);
    }

    /// The same text with every offset moved on by `by`.
    pub(crate) fn shifted(mut self, by: usize) -> SourceText {
        for at in &mut self.at {
            *at += by;
        }
        self
    }

    /// Appends another piece.
    pub(crate) fn push(&mut self, other: &SourceText) {
        self.text.push_str(&other.text);
        self.at.extend_from_slice(&other.at);
    }

    /// The file offset of byte `i` of the text (the last byte's for `i` at or past the end,
    /// `fallback` for empty text).
    pub(crate) fn offset(&self, i: usize, fallback: usize) -> usize {
        self.at
            .get(i)
            .or_else(|| self.at.last())
            .copied()
            .unwrap_or(fallback)
    }
}

/// Byte offset → 1-based line and column (in characters).
#[derive(Clone, Debug)]
pub(crate) struct LineIndex<'a> {
    text: &'a str,
    starts: Vec<usize>,
}

impl<'a> LineIndex<'a> {
    pub(crate) fn new(text: &'a str) -> LineIndex<'a> {
        let starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        LineIndex { text, starts }
    }

    /// Line and column of byte `offset` (clamped to the text).
    pub(crate) fn line_column(&self, offset: usize) -> (u32, u32) {
        let offset = offset.min(self.text.len());
        let line = self.starts.partition_point(|&s| s <= offset).max(1);
        let start = self.starts.get(line - 1).copied().unwrap_or(0);
        let column = self
            .text
            .get(start..offset)
            .map_or(0, |s| s.chars().count());
        (to_u32(line), to_u32(column + 1))
    }

    /// The byte offset of 1-based `line` and byte `column` (as `serde_json` counts them),
    /// clamped to the text.
    pub(crate) fn offset_of(&self, line: usize, column: usize) -> usize {
        let start = self
            .starts
            .get(line.saturating_sub(1))
            .copied()
            .unwrap_or(self.text.len());
        (start + column.saturating_sub(1)).min(self.text.len())
    }

    /// A [`SourceLocation`] in `file` for byte `offset`.
    pub(crate) fn location(&self, file: &str, offset: usize) -> SourceLocation {
        let (line, column) = self.line_column(offset);
        SourceLocation {
            file: file.to_owned(),
            line,
            column,
        }
    }
}

pub(crate) fn to_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// How the raw text of a string spells its characters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Escapes {
    /// No escapes (YAML plain and block scalars, HCL heredocs).
    None,
    /// YAML double-quoted scalars and JSON strings: `\n`, `\"`, `\xhh`, `\uhhhh`, `\Uhhhhhhhh`,
    /// and `\` at the end of a line.
    YamlDouble,
    /// YAML single-quoted scalars: `''` is one quote.
    YamlSingle,
    /// HCL quoted strings: `\n`, `\"`, `\uhhhh`, `\Uhhhhhhhh` (and `$${`, `%%{`, which
    /// alignment skips like any other character the decoded text lacks).
    Hcl,
}

/// Maps the decoded string `decoded` back onto `file[start..end]`, the raw text it was decoded
/// from: for each byte of `decoded`, the offset of the raw character that produced it.
///
/// Alignment walks both texts together: a raw character equal to the decoded one produces it;
/// an escape sequence produces one character at its backslash; any other raw character (the
/// indentation of a block scalar or heredoc, a line break folded into a space, the second `$`
/// of `$${`) produced nothing and is skipped. A decoded blank may stand for any raw blank
/// (YAML folds line breaks into spaces). Characters left over when the raw text runs out map to
/// its end.
pub(crate) fn align(
    decoded: &str,
    file: &str,
    start: usize,
    end: usize,
    escapes: Escapes,
) -> SourceText {
    let raw = file.get(start..end.max(start)).unwrap_or_default();
    let mut at = Vec::with_capacity(decoded.len());
    let mut i = 0;
    for c in decoded.chars() {
        let mut found = None;
        while let Some(r) = raw.get(i..).and_then(|s| s.chars().next()) {
            if r == '\\' && matches!(escapes, Escapes::YamlDouble | Escapes::Hcl) {
                let len = escape_len(raw.get(i..).unwrap_or_default(), escapes);
                if escapes == Escapes::YamlDouble && len == 0 {
                    // `\` + line break: a continuation that produces nothing.
                    i += 1;
                    continue;
                }
                found = Some(i);
                i += len.max(1);
                break;
            }
            if r == c || (c.is_whitespace() && r.is_whitespace()) {
                found = Some(i);
                i += r.len_utf8();
                if escapes == Escapes::YamlSingle
                    && r == '\''
                    && raw.get(i..).is_some_and(|s| s.starts_with('\''))
                {
                    i += 1;
                }
                break;
            }
            i += r.len_utf8();
        }
        let offset = start + found.unwrap_or(raw.len());
        at.extend(std::iter::repeat_n(offset, c.len_utf8()));
    }
    SourceText {
        text: decoded.to_owned(),
        at,
    }
}

/// Length in bytes of the escape sequence at the start of `s` (which starts with `\`); 0 for a
/// YAML line continuation.
fn escape_len(s: &str, escapes: Escapes) -> usize {
    let mut chars = s.chars().skip(1);
    let hex = |n: usize| {
        2 + s
            .get(2..)
            .unwrap_or_default()
            .chars()
            .take(n)
            .take_while(char::is_ascii_hexdigit)
            .count()
    };
    match chars.next() {
        Some('\n' | '\r') if escapes == Escapes::YamlDouble => 0,
        Some('x') if escapes == Escapes::YamlDouble => hex(2),
        Some('u') => {
            let len = hex(4);
            // A UTF-16 surrogate pair written as two escapes is one character.
            let high = s
                .get(2..6)
                .and_then(|h| u32::from_str_radix(h, 16).ok())
                .is_some_and(|v| (0xD800..0xDC00).contains(&v));
            if high && len == 6 && s.get(6..8) == Some("\\u") {
                6 + escape_len(s.get(6..).unwrap_or_default(), escapes)
            } else {
                len
            }
        }
        Some('U') => hex(8),
        Some(c) => 1 + c.len_utf8(),
        None => 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn offsets(decoded: &str, raw: &str, escapes: Escapes) -> Vec<usize> {
        align(decoded, raw, 0, raw.len(), escapes).at
    }

    #[test]
    fn escapes_map_to_their_backslash() {
        // raw:  a \ " b \ u 0 0 e 9 c
        // at:   0 1   3 4           10
        let at = offsets("a\"béc", r#"a\"b\u00e9c"#, Escapes::YamlDouble);
        assert_eq!(at, [0, 1, 3, 4, 4, 10]);
        let at = offsets("x😀y", r#"x\ud83d\ude00y"#, Escapes::YamlDouble);
        assert_eq!(at, [0, 1, 1, 1, 1, 13]);
    }

    #[test]
    fn indentation_and_folding_are_skipped() {
        let raw = "|\n    { $.a = 1 &&\n      $.b = 2 }\n";
        let decoded = "{ $.a = 1 &&\n  $.b = 2 }\n";
        let at = align(decoded, raw, 2, raw.len(), Escapes::None).at;
        assert_eq!(at.first(), Some(&6));
        let b = decoded.find("$.b").unwrap();
        assert_eq!(&raw[at[b]..at[b] + 3], "$.b");
        // A plain scalar folded over two lines.
        let at = offsets("ab cd", "ab\n   cd", Escapes::None);
        assert_eq!(at, [0, 1, 2, 6, 7]);
        // Doubled single quotes and HCL's $${.
        assert_eq!(offsets("it's", "it''s", Escapes::YamlSingle), [0, 1, 2, 4]);
        assert_eq!(offsets("${x}", "$${x}", Escapes::Hcl), [0, 2, 3, 4]);
    }

    #[test]
    fn line_columns_count_characters() {
        let index = LineIndex::new("ab\néé x\n");
        assert_eq!(index.line_column(0), (1, 1));
        assert_eq!(index.line_column(3), (2, 1));
        assert_eq!(index.line_column(8), (2, 4));
        assert_eq!(index.line_column(99), (3, 1));
    }
}
