//! Runs the event patterns of a compiled program ([`crate::compile::event`]) on the values the
//! scan reaches: each value sets the conditions of its path it satisfies; after the scan, the
//! rules those conditions trigger are decided, by the conditions alone or, where array
//! consistency can matter, by the pattern's precise evaluator.

use regex_automata::{Input, PatternSet};

use super::engine::{Hits, Marks};
use crate::compile::event::{EventField, EventProgram, number_bits};
use crate::event::value::{comparable, parse_ip};
use crate::exec::scan::Scalar;
use crate::extracted::Extracted;
use crate::json::{self, Json};

/// Per-event state of the event patterns.
#[derive(Debug, Default)]
pub(super) struct EventScratch {
    /// Conditions that hold.
    holds: Marks,
    /// Paths with a value.
    present: Marks,
    /// Paths with a value inside an array element that is an object or an array.
    nested: Marks,
    /// Tests one value passes.
    tests: Marks,
    /// Rules to decide.
    rules: Marks,
    /// Patterns already found to match (a pattern of several rules is reported once).
    matched: Marks,
}

impl EventScratch {
    pub(super) fn clear(&mut self) {
        self.holds.clear();
        self.present.clear();
        self.nested.clear();
        self.tests.clear();
        self.rules.clear();
        self.matched.clear();
    }
}

impl EventProgram {
    pub(super) fn reserve(&self, s: &mut EventScratch) {
        if self.rules.is_empty() {
            return;
        }
        s.holds.reserve(self.cond_count);
        s.present.reserve(self.fields.len());
        s.nested.reserve(self.fields.len());
        s.rules.reserve(self.rules.len());
        s.matched.reserve(self.patterns.len());
    }

    /// Sets the conditions of path `field` that `value` satisfies.
    pub(super) fn on_value(
        &self,
        field: u32,
        nested: bool,
        value: &Scalar<'_>,
        s: &mut EventScratch,
    ) {
        let Some(f) = self.fields.get(field as usize) else {
            return;
        };
        if matches!(value, Scalar::Container) {
            return;
        }
        s.present.insert(field);
        if nested {
            s.nested.insert(field);
        }
        s.tests.reserve(f.test_count);
        tests(f, value, &mut s.tests);
        for &t in &s.tests.list {
            for &c in f.pos.get(t as usize).into_iter().flatten() {
                s.holds.insert(c);
            }
        }
        for (ts, c) in &f.neg {
            if !ts.iter().any(|&t| s.tests.contains(t)) {
                s.holds.insert(*c);
            }
        }
        s.tests.clear();
    }

    /// After a complete scan: reports the patterns whose rules hold.
    pub(super) fn decide(&self, event: &str, s: &mut EventScratch, out: &mut Hits<'_>) {
        if self.rules.is_empty() {
            return;
        }
        for &r in &self.untriggered {
            s.rules.insert(r);
        }
        s.rules.trigger(&s.holds, &self.triggers);
        let mut doc: Option<Option<Json>> = None;
        for &r in &s.rules.list {
            let Some(rule) = self.rules.get(r as usize) else {
                continue;
            };
            if s.matched.contains(rule.slot) {
                continue;
            }
            let nested = rule
                .fields
                .iter()
                .filter(|rf| s.nested.contains(rf.field))
                .count();
            let holds = rule.fields.iter().all(|rf| {
                rf.conds.iter().any(|&c| s.holds.contains(c))
                    || (rf.absent
                        && (!s.present.contains(rf.field)
                            || (nested >= 2 && s.nested.contains(rf.field))))
            });
            if !holds {
                continue;
            }
            // Values of two paths in arrays of objects: whether they lie in the same elements
            // decides.
            let matched = nested < 2 || self.precise(rule.slot, event, &mut doc);
            if matched {
                s.matched.insert(rule.slot);
                if let Some((id, _)) = self.patterns.get(rule.slot as usize) {
                    if out.push(*id as usize, Extracted::default()) {
                        return;
                    }
                }
            }
        }
    }

    /// Every pattern decided by its precise evaluator (when the scan could not finish).
    pub(super) fn decide_all_precisely(&self, event: &str, out: &mut Hits<'_>) {
        let mut doc: Option<Option<Json>> = None;
        for slot in 0..self.patterns.len() as u32 {
            if self.precise(slot, event, &mut doc) {
                if let Some((id, _)) = self.patterns.get(slot as usize) {
                    if out.push(*id as usize, Extracted::default()) {
                        return;
                    }
                }
            }
        }
    }

    /// Whether pattern `slot` matches, by its precise evaluator on the parsed event (parsed once,
    /// into `doc`, for all the patterns that need it).
    fn precise(&self, slot: u32, event: &str, doc: &mut Option<Option<Json>>) -> bool {
        let doc = doc.get_or_insert_with(|| match json::parse(event) {
            Ok(doc @ Json::Object(_)) => Some(doc),
            _ => None,
        });
        match (doc, self.patterns.get(slot as usize)) {
            (Some(doc), Some((_, precise))) => precise.matches_doc(doc),
            _ => false,
        }
    }
}

/// Marks the tests of `f` that `value` passes.
fn tests(f: &EventField, value: &Scalar<'_>, found: &mut Marks) {
    match value {
        Scalar::Container => return,
        Scalar::Null => {
            found.extend(f.null);
        }
        Scalar::Bool(b) => {
            found.extend(if *b { f.true_ } else { f.false_ });
        }
        Scalar::Number(raw) => {
            found.extend(f.number_texts.get(*raw).copied());
            if f.wants_number_value() {
                if let Some(v) = comparable(raw) {
                    found.extend(f.number_values.get(&number_bits(v)).copied());
                    for (range, t) in &f.ranges {
                        if range.contains(v) {
                            found.insert(*t);
                        }
                    }
                }
            }
        }
        Scalar::Str(s) => {
            let s: &str = s;
            found.extend(f.strings.get(s).copied());
            for (kind, fixed, t) in &f.globs {
                if kind.matches(s, fixed) {
                    found.insert(*t);
                }
            }
            if let Some(re) = &f.regex {
                let mut hits = PatternSet::new(re.pattern_len());
                re.which_overlapping_matches(&Input::new(s), &mut hits);
                for pid in hits.iter() {
                    found.extend(f.regex_tests.get(pid.as_usize()).copied());
                }
            }
            if !f.ips.is_empty() {
                if let Some(ip) = parse_ip(s) {
                    for (range, t) in &f.ips {
                        if range.contains(&ip) {
                            found.insert(*t);
                        }
                    }
                }
            }
        }
    }
    found.extend(f.any);
}

impl Marks {
    /// Inserts the id, if there is one.
    fn extend(&mut self, id: Option<u32>) {
        if let Some(id) = id {
            self.insert(id);
        }
    }
}
