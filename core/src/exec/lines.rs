//! The prefilter over a block of lines: one search of the whole block finds the lines a set may
//! match, so that a reader of line-oriented logs looks at no other line (as ripgrep searches
//! its buffer, not its lines).

use std::ops::Range;
use std::sync::Arc;

use crate::compile::literals::LiteralSet;
use crate::compile::prefilter::Prefilter;
use crate::compile::program::Program;
use crate::exec::engine::{Hit, Marks};

/// Finds the lines of a block of text that a set's patterns may match, with one search of the
/// whole block: see [`PatternSet::line_filter`](crate::PatternSet::line_filter).
#[derive(Clone, Debug)]
pub struct LineFilter {
    prefilter: Arc<Prefilter>,
    /// The prefilter's literals, its keys' ends when it searches them so, then the markers'
    /// ends.
    literals: LiteralSet,
    /// The first marker's literal id.
    markers_from: usize,
    /// Each marker, and where the end searched for starts in it.
    markers: Vec<(Box<[u8]>, usize)>,
}

/// How many bytes of a marker the search looks for: the search tells literals apart by their
/// first bytes, and a marker's may be common where its end is rare (`"events"` starts like
/// every `"event…` key of a CloudTrail record, `ents"` ends one). A found end is checked to end
/// the whole marker.
const MARKER_END: usize = 5;

impl LineFilter {
    /// The filter of `program`, also finding `markers`; `None` when the program has no
    /// prefilter (some pattern needs nothing that can be searched for), a marker is empty, the
    /// literals with the markers would not be one SIMD search, or there is nothing to search
    /// for with it (no marker, and keys whose ends the prefilter does not search with its
    /// literals).
    pub(crate) fn new(program: &Program, markers: &[&str]) -> Option<LineFilter> {
        let prefilter = program.prefilter.as_ref()?;
        if markers.iter().any(|m| m.is_empty()) {
            return None;
        }
        let mut texts = prefilter.texts.clone();
        if prefilter.keys_in_literals {
            texts.extend(prefilter.keys.iter().map(|k| k.tail()));
        }
        let markers_from = texts.len();
        let markers: Vec<(Box<[u8]>, usize)> = markers
            .iter()
            .map(|&m| {
                let mut end = m.len().saturating_sub(MARKER_END);
                while !m.is_char_boundary(end) {
                    end -= 1;
                }
                (m.as_bytes().into(), end)
            })
            .collect();
        texts.extend(markers.iter().map(|(m, end)| {
            String::from_utf8_lossy(m.get(*end..).unwrap_or_default()).into_owned()
        }));
        if texts.is_empty() {
            // Keys alone, each searched with its own finder.
            return None;
        }
        let literals = LiteralSet::new(&texts, usize::MAX).filter(LiteralSet::is_simd)?;
        Some(LineFilter {
            prefilter: Arc::clone(prefilter),
            literals,
            markers_from,
            markers,
        })
    }

    /// Appends to `out`, in order, the lines of `block` (split at each `\n`; a line's range
    /// excludes its `\n`) that may matter: every line holding a text that some pattern of the set
    /// matches (the line, or any part of it: without its indentation or line end, the message
    /// after an export timestamp), every line holding one of the markers, and every line holding
    /// a `\u` escape (which may spell a literal or a marker otherwise). A line not appended holds
    /// none of them: no pattern matches any part of it. Each line comes with whether it holds a
    /// marker in the text searched for (`false`: it holds none as written, but may spell one with
    /// `\u` escapes).
    pub fn lines(&self, block: &[u8], out: &mut Vec<(Range<usize>, bool)>) {
        let p = &self.prefilter;
        // Where something was found, and what: an atom, `MARKER`, or `HAZARD` for an escape that
        // may hide an atom (either of the last two makes the line one to look at).
        let mut hits: Vec<(usize, u32)> = Vec::new();
        p.search(
            Some(&self.literals),
            self.markers_from,
            block,
            |hit, at| match hit {
                Hit::Atom(atom) => hits.push((at, atom)),
                // A key whose value may be any of its values: the line is one to look at.
                Hit::AnyValue => hits.push((at, HAZARD)),
                Hit::Marker(m) => {
                    let Some((marker, end)) = self.markers.get(m as usize) else {
                        return;
                    };
                    let from = at.checked_sub(*end);
                    let whole = from.and_then(|from| block.get(from..from + marker.len()));
                    if whole == Some(&**marker) {
                        hits.push((at, MARKER));
                    }
                }
            },
        );
        hits.extend(p.hazards(block).map(|at| (at, HAZARD)));
        if !hits.is_sorted_by_key(|&(at, _)| at) {
            hits.sort_unstable_by_key(|&(at, _)| at);
        }
        let mut found = Marks::default();
        found.reserve(p.atom_count);
        // The line being gathered (its end is its `\n` or the block's end), whether it is one
        // to look at whatever its atoms, and whether it holds a marker.
        let mut line: Option<Range<usize>> = None;
        let (mut wanted, mut marked) = (false, false);
        for (at, id) in hits {
            if line.as_ref().is_none_or(|l| at > l.end) {
                if let Some(done) = line.take() {
                    if wanted || p.decide(&found) {
                        out.push((done, marked));
                    }
                }
                found.clear();
                (wanted, marked) = (false, false);
                let before = block.get(..at).unwrap_or_default();
                let start = memchr::memrchr(b'\n', before).map_or(0, |i| i + 1);
                let after = block.get(at..).unwrap_or_default();
                let end = memchr::memchr(b'\n', after).map_or(block.len(), |i| at + i);
                line = Some(start..end);
            }
            match id {
                MARKER => (wanted, marked) = (true, true),
                HAZARD => wanted = true,
                _ if !wanted => {
                    found.insert(id);
                }
                _ => {}
            }
        }
        if let Some(done) = line {
            if wanted || p.decide(&found) {
                out.push((done, marked));
            }
        }
        found.clear();
    }
}

/// The ids of [`LineFilter::lines`]'s hits that are no atom.
const MARKER: u32 = u32::MAX;
const HAZARD: u32 = u32::MAX - 1;

#[cfg(test)]
mod tests {
    use crate::{EventPatternSet, PatternSet};

    fn lines(block: &str, filter: &super::LineFilter) -> Vec<String> {
        let mut out = Vec::new();
        filter.lines(block.as_bytes(), &mut out);
        let marked: Vec<bool> = out.iter().map(|(_, m)| *m).collect();
        let found: Vec<String> = out.into_iter().map(|(r, _)| block[r].to_owned()).collect();
        // Only lines with a marker say so.
        let with_marker: Vec<bool> = found.iter().map(|l| l.contains("\"Records\"")).collect();
        assert_eq!(marked, with_marker);
        found
    }

    #[test]
    fn lines_a_set_may_match_and_lines_with_markers_are_reported() {
        let set = PatternSet::new([
            r#"{ $.errorCode = "AccessDenied*" }"#,
            r#"{ ($.eventName = CreateTrail) && ($.userIdentity.type = Root) }"#,
        ])
        .unwrap();
        let filter = set.line_filter(&["\"Records\"", "\"events\""]).unwrap();
        let block = concat!(
            "{\"eventName\":\"GetObject\"}\n",
            "  {\"errorCode\":\"AccessDeniedException\"}\r\n",
            "\n",
            "{\"eventName\":\"CreateTrail\",\"userIdentity\":{\"type\":\"IAMUser\"}}\n",
            "{\"eventName\":\"CreateTrail\",\"userIdentity\":{\"type\":\"Root\"}}\n",
            "{\"Records\":[]}\n",
            "{\"eventName\":\"Create\\u0054rail\"}\n",
            // Any `\\u` escape (this one spells no literal, the next a marker, unmarked), but
            // no other escape.
            "{\"note\":\"caf\\u00e9\"}\n",
            "{\"Record\\u0073\":[]}\n",
            "{\"say\":\"\\\"hi\\\" \\\\ \\/\"}\n",
            "2020-09-14T00:44:23.000Z {\"errorCode\":\"AccessDenied\"}\n",
            "{\"errorCode\":\"AccessDenied\"}"
        );
        assert_eq!(
            lines(block, &filter),
            [
                "  {\"errorCode\":\"AccessDeniedException\"}\r",
                // Both literals of the pattern; the type is the JSON scan's to read.
                "{\"eventName\":\"CreateTrail\",\"userIdentity\":{\"type\":\"IAMUser\"}}",
                "{\"eventName\":\"CreateTrail\",\"userIdentity\":{\"type\":\"Root\"}}",
                "{\"Records\":[]}",
                "{\"eventName\":\"Create\\u0054rail\"}",
                "{\"note\":\"caf\\u00e9\"}",
                "{\"Record\\u0073\":[]}",
                "2020-09-14T00:44:23.000Z {\"errorCode\":\"AccessDenied\"}",
                "{\"errorCode\":\"AccessDenied\"}",
            ]
        );
    }

    /// A key's value is read within its line: the next line's value is not this key's.
    #[test]
    fn a_key_at_a_line_end_takes_no_value_from_the_next_line() {
        let names: Vec<String> = (0..9)
            .map(|i| format!("{{ $.eventName = Name{i} }}"))
            .collect();
        let set = PatternSet::new(&names).unwrap();
        let filter = set.line_filter(&[]).unwrap();
        let block = "{\"eventName\":\"Na\n\"Name1\"}\n{\"eventName\" : \"Name2\"}\n";
        assert_eq!(lines(block, &filter), ["{\"eventName\" : \"Name2\"}"]);
    }

    #[test]
    fn sets_that_may_match_without_a_literal_have_no_filter() {
        assert!(
            PatternSet::new(["{ $.x NOT EXISTS }"])
                .unwrap()
                .line_filter(&[])
                .is_none()
        );
        assert!(PatternSet::new([""]).unwrap().line_filter(&[]).is_none());
        let events = EventPatternSet::new([r#"{"detail":{"x":[{"exists":false}]}}"#]).unwrap();
        assert!(events.line_filter(&[]).is_none());
        let events = EventPatternSet::new([r#"{"eventName":["ConsoleLogin"]}"#]).unwrap();
        let filter = events.line_filter(&[]).unwrap();
        let block = "{\"eventName\":\"GetObject\"}\n{\"eventName\":\"ConsoleLogin\"}\n";
        assert_eq!(lines(block, &filter), ["{\"eventName\":\"ConsoleLogin\"}"]);
    }
}
