//! Runs a compiled [`Program`] on one event.
//!
//! Order of work: the prefilter (one multi-literal search over the raw bytes, and one search per
//! probed key with a lookup of the value after it: [`crate::compile::prefilter`]) may reject the
//! event outright; then the term automata run once over the raw text, the JSON scanner once over the
//! event (if some JSON pattern exists and the event starts like an object), and the space-delimited
//! patterns share one split of the event into fields, test their conditions on it and build
//! extracted values only for the patterns that match. Per-call state lives in a thread-local
//! [`Scratch`] whose tables are restored to empty after each event, so a call costs what the event
//! touches, not the size of the set.

use std::cell::RefCell;

use regex_automata::meta;

use crate::compile::literals::LiteralSet;
use crate::compile::prefilter::{KeyProbe, Prefilter};
use crate::compile::program::{FieldProgram, PatternId, Program, TermRegexes};
use crate::dialect::Dialect;
use crate::exec::Extracted;
use crate::exec::event::EventScratch;
use crate::exec::scan::{Reached, Scalar, Stacks, Stop, scan};
use crate::json::TopMembers;
use crate::number;
use crate::reference::{Evaluator, Event};
use crate::syntax::ast::Op;

/// A set of ids over `0..n` that remembers which it holds, so that clearing costs only what
/// was inserted.
#[derive(Debug, Default)]
pub(super) struct Marks {
    pub(super) on: Vec<bool>,
    pub(super) list: Vec<u32>,
}

impl Marks {
    /// Makes room for ids below `n`.
    pub(super) fn reserve(&mut self, n: usize) {
        if self.on.len() < n {
            self.on.resize(n, false);
        }
    }

    /// Inserts `id`; true when it was not there yet.
    pub(super) fn insert(&mut self, id: u32) -> bool {
        match self.on.get_mut(id as usize) {
            Some(slot) if !*slot => {
                *slot = true;
                self.list.push(id);
                true
            }
            _ => false,
        }
    }

    pub(super) fn contains(&self, id: u32) -> bool {
        self.on.get(id as usize).copied().unwrap_or(false)
    }

    /// Inserts every id that `triggers` lists for an id of `from`.
    pub(super) fn trigger(&mut self, from: &Marks, triggers: &[Vec<u32>]) {
        for &id in &from.list {
            for &t in triggers.get(id as usize).into_iter().flatten() {
                self.insert(t);
            }
        }
    }

    pub(super) fn clear(&mut self) {
        for id in self.list.drain(..) {
            if let Some(slot) = self.on.get_mut(id as usize) {
                *slot = false;
            }
        }
    }
}

/// The patterns of a set that may match one event, as its prefilter found them
/// ([`PatternSet::candidates`](super::PatternSet::candidates)), and the top-level members their
/// selectors start at. Reused from one event to the next, it allocates only while it grows. A
/// new one restricts nothing (every pattern may match) until
/// [`PatternSet::candidates`](super::PatternSet::candidates) fills it.
#[derive(Debug)]
pub struct Candidates {
    /// Any pattern may match (the set is not only JSON filter patterns, has no prefilter, or
    /// the event has an escape that may hide what a pattern needs): nothing is restricted.
    pub(super) all: bool,
    pub(super) patterns: Marks,
    /// Children of the trie's root that some pattern of `patterns` starts at.
    pub(super) roots: Marks,
}

impl Default for Candidates {
    fn default() -> Candidates {
        Candidates {
            all: true,
            patterns: Marks::default(),
            roots: Marks::default(),
        }
    }
}

impl Candidates {
    fn clear(&mut self) {
        self.all = false;
        self.patterns.clear();
        self.roots.clear();
    }

    /// `None` when nothing is restricted.
    fn restricted(&self) -> Option<&Candidates> {
        (!self.all).then_some(self)
    }
}

#[derive(Debug, Default)]
struct Scratch {
    /// Conditions that hold.
    holds: Marks,
    /// Fields that selected at least one value.
    present: Marks,
    /// Matchers of one field that match one value.
    matched: Marks,
    /// JSON rules to evaluate.
    rules: Marks,
    /// Term atoms found in the event.
    atoms: Marks,
    /// Term rules to evaluate.
    term_rules: Marks,
    /// Term atoms left out of the search that were looked for in this event (past a few, all of
    /// them are looked for at once).
    looked: Marks,
    /// Prefilter atoms found in the event.
    literals: Marks,
    /// The patterns of one multi-regex automaton that match (empty between uses; grown to the
    /// largest automaton met, so that no search allocates).
    regex_hits: RegexHits,
    /// The event patterns' state.
    events: EventScratch,
    /// The JSON scan's stacks.
    stacks: Stacks,
    /// Whether the programs last run on this thread run their prefilters.
    prefilter_uses: PrefilterUses,
}

/// Whether a thread runs a program's prefilter before an event is read. The prefilter pays for
/// itself by the events it rules out; over events it nearly always passes (10,000 exact names
/// over CloudTrail, where every event holds one), it costs a search of every event and saves
/// nothing. So a thread counts what it passes: where it passed at least [`PREFILTER_KEPT`] of
/// [`PREFILTER_TRIAL`] events in a row, the next [`PREFILTER_REST`] events go without it, then it
/// is tried again. Answers are the same either way (the prefilter only rules out events no
/// pattern matches); only the time differs.
#[derive(Debug, Default)]
struct PrefilterUse {
    /// The [`Prefilter::id`] counted (0: none).
    prefilter: u64,
    /// Events of the current trial, and how many of them it passed.
    tried: u32,
    passed: u32,
    /// Events still to run without it.
    resting: u32,
}

/// Events a prefilter is tried on before it can be set aside.
const PREFILTER_TRIAL: u32 = 64;
/// How many of them it must pass to be set aside. A prefilter pays for itself while the share
/// of events it rules out is above its cost over a scan's: from about a sixteenth for the cheapest
/// search (a rare literal or two) to about a quarter for Teddy over many literals. The threshold
/// is set for the cheapest, so that setting one aside never costs more than it saves; a costlier
/// one that passes, say, 86% of the events (100 exact names) is kept although it no longer pays.
const PREFILTER_KEPT: u32 = PREFILTER_TRIAL - PREFILTER_TRIAL / 16;
/// Events run without a prefilter set aside, before it is tried again.
const PREFILTER_REST: u32 = 1024;

/// The [`PrefilterUse`] of the four prefilters a thread ran last (several sets used in turn on
/// one thread each keep theirs), the most recent first; a prefilter met anew takes the place of
/// the one run longest ago.
#[derive(Debug, Default)]
struct PrefilterUses([PrefilterUse; 4]);

impl PrefilterUses {
    /// The counts of `prefilter` (new ones if it has none), moved to the front.
    fn of(&mut self, prefilter: &Prefilter) -> &mut PrefilterUse {
        let uses = &mut self.0;
        let at = uses.iter().position(|u| u.prefilter == prefilter.id);
        let at = at.unwrap_or_else(|| {
            if let Some(oldest) = uses.last_mut() {
                *oldest = PrefilterUse {
                    prefilter: prefilter.id,
                    ..PrefilterUse::default()
                };
            }
            uses.len() - 1
        });
        if let Some(before) = uses.get_mut(..=at) {
            before.rotate_right(1);
        }
        let [first, ..] = uses;
        first
    }
}

impl PrefilterUse {
    /// Whether the next event passes: what `prefilter` says of it (counted), or, while it is
    /// set aside, yes without asking.
    fn passes(&mut self, prefilter: impl FnOnce() -> bool) -> bool {
        if self.resting > 0 {
            self.resting -= 1;
            return true;
        }
        let passed = prefilter();
        self.tried += 1;
        self.passed += u32::from(passed);
        if self.tried == PREFILTER_TRIAL {
            if self.passed >= PREFILTER_KEPT {
                self.resting = PREFILTER_REST;
            }
            self.tried = 0;
            self.passed = 0;
        }
        passed
    }
}

/// A reused [`regex_automata::PatternSet`].
#[derive(Debug)]
struct RegexHits(regex_automata::PatternSet);

impl Default for RegexHits {
    fn default() -> RegexHits {
        RegexHits(regex_automata::PatternSet::new(0))
    }
}

impl RegexHits {
    /// Calls `found` with each pattern of `re` that matches somewhere in `text`. A one-pattern
    /// automaton is asked only whether it matches (the search stops at the first match).
    fn each(&mut self, re: &meta::Regex, text: &str, mut found: impl FnMut(usize)) {
        let len = re.pattern_len();
        if len == 1 {
            if re.is_match(text) {
                found(0);
            }
            return;
        }
        if self.0.capacity() < len {
            self.0 = regex_automata::PatternSet::new(len);
        }
        re.which_overlapping_matches(&regex_automata::Input::new(text), &mut self.0);
        for pid in self.0.iter() {
            found(pid.as_usize());
        }
        self.0.clear();
    }
}

thread_local! {
    static SCRATCH: RefCell<Scratch> = RefCell::new(Scratch::default());
}

/// How many atoms an event's term rules look for one by one (a `memmem` each) before they look
/// for all of them at once (one search over their literals).
const LOOKUPS_ALONE: usize = 8;

/// Calls `f` with this thread's scratch space (a fresh one when it is in use).
fn with_scratch<R>(f: impl FnOnce(&mut Scratch) -> R) -> R {
    SCRATCH.with(|cell| match cell.try_borrow_mut() {
        Ok(mut scratch) => f(&mut scratch),
        Err(_) => f(&mut Scratch::default()),
    })
}

/// Where a run puts the patterns that match: every one with its values, or only whether one does
/// (then the run stops at the first).
#[derive(Debug)]
pub(super) enum Hits<'o> {
    All(&'o mut Vec<(usize, Extracted)>),
    /// The patterns only, without their values.
    Ids(&'o mut Vec<usize>),
    Any(bool),
}

impl Hits<'_> {
    /// Records that `pattern` matches, with the values `extracted` gives; true when the run can
    /// stop.
    pub(super) fn push(&mut self, pattern: usize, extracted: Extracted) -> bool {
        match self {
            Hits::All(out) => {
                out.push((pattern, extracted));
                false
            }
            Hits::Ids(out) => {
                out.push(pattern);
                false
            }
            Hits::Any(found) => {
                *found = true;
                true
            }
        }
    }

    /// True when the run can stop.
    fn done(&self) -> bool {
        matches!(self, Hits::Any(true))
    }

    /// True when the matches' extracted values are kept.
    fn wants_values(&self) -> bool {
        matches!(self, Hits::All(_))
    }
}

/// What the caller of a run already knows of the event, which the run need not find again.
#[derive(Clone, Copy)]
enum Known<'a> {
    /// Nothing: the prefilter looks first.
    Nothing,
    /// The event is on a line that a [`LineFilter`](super::LineFilter) of this program
    /// reported: the prefilter has looked (the answer is the same either way).
    Reported,
    /// The event is one valid JSON object with these top-level members, and the prefilter
    /// passed it; with candidates that restrict, only they may match.
    Members(&'a TopMembers, Option<&'a Candidates>),
}

impl Known<'_> {
    fn from_reported(reported: bool) -> Known<'static> {
        if reported {
            Known::Reported
        } else {
            Known::Nothing
        }
    }
}

/// One run of a [`Program`] over an event: what [`Program::run_with`] is given.
#[derive(Clone, Copy)]
struct Run<'a, 'd, 'e> {
    event: &'a str,
    /// The event's top-level members, when its reader found them.
    members: Option<&'a TopMembers>,
    dialect: &'d Dialect,
    evaluator: &'a dyn Fn(PatternId) -> Option<&'e Evaluator>,
    prefilter: Option<&'a Prefilter>,
    /// Only these patterns may match, and only their members are read.
    candidates: Option<&'a Candidates>,
}

impl Program {
    /// Each matching pattern with its extracted values, in pattern order. `evaluator(i)` gives
    /// pattern `i`'s reference evaluator (used for space-delimited patterns, and for JSON events
    /// that repeat a key the selectors depend on).
    /// `reported`: the event is on a line that a [`LineFilter`](super::LineFilter) of this
    /// program reported, so the prefilter has looked already (the answer is the same either way).
    pub(crate) fn run<'e>(
        &self,
        event: &str,
        dialect: &Dialect,
        evaluator: &dyn Fn(PatternId) -> Option<&'e Evaluator>,
        reported: bool,
    ) -> Vec<(usize, Extracted)> {
        self.run_all(event, Known::from_reported(reported), dialect, evaluator)
    }

    /// The matching patterns, in pattern order, without their extracted values: in `out`,
    /// cleared first.
    pub(crate) fn matching<'e>(
        &self,
        event: &str,
        dialect: &Dialect,
        evaluator: &dyn Fn(PatternId) -> Option<&'e Evaluator>,
        reported: bool,
        out: &mut Vec<usize>,
    ) {
        out.clear();
        out.extend(self.match_all.iter().map(|&p| p as usize));
        let known = Known::from_reported(reported);
        self.run_scratch(event, known, dialect, evaluator, &mut Hits::Ids(out));
        out.sort_unstable();
    }

    /// True when some pattern matches. Stops at the first pattern found to match, and builds no
    /// list of results and no extracted values.
    pub(crate) fn is_match<'e>(
        &self,
        event: &str,
        dialect: &Dialect,
        evaluator: &dyn Fn(PatternId) -> Option<&'e Evaluator>,
        reported: bool,
    ) -> bool {
        if !self.match_all.is_empty() {
            return true;
        }
        let mut hits = Hits::Any(false);
        let known = Known::from_reported(reported);
        self.run_scratch(event, known, dialect, evaluator, &mut hits);
        hits.done()
    }

    /// False when no pattern can match `event`: no pattern matches every event, and the
    /// prefilter finds none of the texts some match needs.
    pub(crate) fn may_match(&self, event: &str) -> bool {
        let Some(prefilter) = self
            .prefilter
            .as_ref()
            .filter(|_| self.match_all.is_empty())
        else {
            return true;
        };
        with_scratch(|scratch| prefilter.may_match(event, &mut scratch.literals))
    }

    /// [`Program::may_match`], putting in `out` which patterns may match `event` and the
    /// top-level members they may read. Patterns are told apart only in a set of JSON filter
    /// patterns alone (terms, space-delimited and event patterns read the whole event anyway);
    /// otherwise, and where an escape may hide what a pattern needs, `out` restricts nothing.
    pub(crate) fn candidates(&self, event: &str, out: &mut Candidates) -> bool {
        out.clear();
        let Some(prefilter) = self
            .prefilter
            .as_ref()
            .filter(|_| self.match_all.is_empty())
        else {
            out.all = true;
            return true;
        };
        let json_only = self.terms.rules.is_empty()
            && self.delimited.is_empty()
            && self.events.rules.is_empty();
        if !json_only {
            out.all = true;
            return with_scratch(|scratch| prefilter.may_match(event, &mut scratch.literals));
        }
        let found = with_scratch(|scratch| {
            prefilter.candidates(event, &mut scratch.literals, &mut out.patterns)
        });
        let Some(any) = found else {
            out.all = true;
            return true;
        };
        out.roots.reserve(self.json.trie.nodes.len());
        for &p in &out.patterns.list {
            for &root in self
                .json
                .pattern_roots
                .get(p as usize)
                .into_iter()
                .flatten()
            {
                out.roots.insert(root);
            }
        }
        any
    }

    /// [`Program::run`] of an event whose reader found its top-level `members` (see
    /// [`TopMembers`]): the same answer, reading only the members some selector reaches. The
    /// prefilter is not run (see [`Program::may_match`]).
    pub(crate) fn run_members<'e>(
        &self,
        event: &str,
        members: &TopMembers,
        candidates: Option<&Candidates>,
        dialect: &Dialect,
        evaluator: &dyn Fn(PatternId) -> Option<&'e Evaluator>,
    ) -> Vec<(usize, Extracted)> {
        let known = Known::Members(members, candidates.and_then(Candidates::restricted));
        self.run_all(event, known, dialect, evaluator)
    }

    /// Each matching pattern with its extracted values, in pattern order.
    fn run_all<'e>(
        &self,
        event: &str,
        known: Known<'_>,
        dialect: &Dialect,
        evaluator: &dyn Fn(PatternId) -> Option<&'e Evaluator>,
    ) -> Vec<(usize, Extracted)> {
        let mut out: Vec<(usize, Extracted)> = self
            .match_all
            .iter()
            .map(|&p| (p as usize, Extracted::default()))
            .collect();
        self.run_scratch(event, known, dialect, evaluator, &mut Hits::All(&mut out));
        out.sort_unstable_by_key(|(p, _)| *p);
        out
    }

    /// Runs with this thread's scratch space.
    fn run_scratch<'e>(
        &self,
        event: &str,
        known: Known<'_>,
        dialect: &Dialect,
        evaluator: &dyn Fn(PatternId) -> Option<&'e Evaluator>,
        out: &mut Hits<'_>,
    ) {
        let (prefilter, members, candidates) = match known {
            Known::Nothing => (self.prefilter.as_deref(), None, None),
            Known::Reported => (None, None, None),
            Known::Members(members, candidates) => (None, Some(members), candidates),
        };
        let run = Run {
            event,
            members,
            dialect,
            evaluator,
            prefilter,
            candidates,
        };
        with_scratch(|scratch| self.run_with(&run, scratch, out));
    }

    fn run_with(&self, run: &Run<'_, '_, '_>, s: &mut Scratch, out: &mut Hits<'_>) {
        let Run {
            event,
            evaluator,
            prefilter,
            ..
        } = *run;
        if let Some(prefilter) = prefilter {
            let literals = &mut s.literals;
            let used = s.prefilter_uses.of(prefilter);
            if !used.passes(|| prefilter.may_match(event, literals)) {
                return;
            }
        }
        if !self.terms.rules.is_empty() {
            self.run_terms(event, s, out);
        }
        let events = !self.events.rules.is_empty();
        if (!self.json.rules.is_empty() || events) && !out.done() {
            self.run_json(run, s, out);
        }
        if !self.delimited.is_empty() && !out.done() {
            let shared = Event::new(event);
            for &p in &self.delimited {
                // Conditions first; the extracted values only for a match.
                let Some(e) = evaluator(p).filter(|e| e.delimited_holds(&shared)) else {
                    continue;
                };
                let extracted = if out.wants_values() {
                    e.test_event(&shared)
                } else {
                    Some(Extracted::default())
                };
                if let Some(extracted) = extracted {
                    if out.push(p as usize, extracted) {
                        break;
                    }
                }
            }
        }
    }

    fn run_terms(&self, event: &str, s: &mut Scratch, out: &mut Hits<'_>) {
        let t = &self.terms;
        s.atoms.reserve(t.atom_count);
        s.term_rules.reserve(t.rules.len());
        for &a in &t.always_atoms {
            s.atoms.insert(a);
        }
        if let Some(literals) = &t.literals {
            let atoms = &mut s.atoms;
            literals.each_found(event.as_bytes(), |i, _| {
                if let Some(&a) = t.literal_atoms.get(i as usize) {
                    atoms.insert(a);
                }
            });
        }
        match &t.regexes {
            TermRegexes::None => {}
            TermRegexes::Each(list) => {
                for (re, &a) in list.iter().zip(&t.regex_atoms) {
                    if re.is_match(event) {
                        s.atoms.insert(a);
                    }
                }
            }
            TermRegexes::Set(re) => {
                let atoms = &mut s.atoms;
                s.regex_hits.each(re, event, |i| {
                    if let Some(&a) = t.regex_atoms.get(i) {
                        atoms.insert(a);
                    }
                });
            }
        }
        for &r in &t.untriggered {
            s.term_rules.insert(r);
        }
        s.term_rules.trigger(&s.atoms, &t.triggers);
        s.looked.reserve(t.atom_count);
        let (atoms, looked) = (&mut s.atoms, &mut s.looked);
        let mut all_looked = false;
        // Whether atom `a` occurs: found by the search, or (an atom the search leaves out)
        // looked for now, once per event: on its own, or with all the others when the event
        // needs more than a few. Atoms found so are put with those the search found; none of
        // them triggers a rule, so the rules to evaluate stay the same.
        let mut occurs = |a: u32| {
            if atoms.contains(a) {
                return true;
            }
            let words = t.looked_for.get(a as usize).map_or(&[][..], |w| &w[..]);
            // Not an atom looked for, or looked for already and absent.
            if words.is_empty() || all_looked || !looked.insert(a) {
                return false;
            }
            if let Some(all) = t
                .looked_for_all
                .as_ref()
                .filter(|_| looked.list.len() > LOOKUPS_ALONE)
            {
                all.each_found(event.as_bytes(), |i, _| {
                    if let Some(&b) = t.looked_for_atoms.get(i as usize) {
                        atoms.insert(b);
                    }
                });
                all_looked = true;
                return atoms.contains(a);
            }
            let found = words.iter().any(|w| w.find(event.as_bytes()).is_some());
            if found {
                atoms.insert(a);
            }
            found
        };
        for &r in &s.term_rules.list {
            let Some(rule) = t.rules.get(r as usize) else {
                continue;
            };
            let holds = rule.required.iter().all(|&a| occurs(a))
                && !rule.excluded.iter().any(|&a| occurs(a))
                && (rule.optional.is_empty() || rule.optional.iter().any(|&a| occurs(a)));
            if holds && out.push(rule.pattern as usize, Extracted::default()) {
                break;
            }
        }
        s.atoms.clear();
        s.looked.clear();
        s.term_rules.clear();
    }

    fn run_json(&self, run: &Run<'_, '_, '_>, s: &mut Scratch, out: &mut Hits<'_>) {
        let Run {
            event,
            members,
            dialect,
            evaluator,
            candidates,
            ..
        } = *run;
        let j = &self.json;
        s.holds.reserve(j.cond_count);
        s.present.reserve(j.fields.len());
        s.rules.reserve(j.rules.len());
        let ev = &self.events;
        ev.reserve(&mut s.events);
        let Scratch {
            holds,
            present,
            matched,
            regex_hits,
            events,
            stacks,
            ..
        } = s;
        let scanned = scan(
            event,
            &j.trie,
            stacks,
            members,
            candidates.map(|c| &c.roots),
            |reached, value| match reached {
                Reached::Filter(field) => {
                    present.insert(field);
                    if let Some(f) = j.fields.get(field as usize) {
                        on_value(f, value, dialect, holds, matched, regex_hits);
                    }
                }
                Reached::Event { field, nested } => ev.on_value(field, nested, value, events),
            },
        );
        match scanned {
            Ok(()) => {
                for &f in &j.not_exists_fields {
                    if !s.present.contains(f) {
                        for &c in j
                            .fields
                            .get(f as usize)
                            .map(|f| &f.not_exists)
                            .into_iter()
                            .flatten()
                        {
                            s.holds.insert(c);
                        }
                    }
                }
                s.rules.trigger(&s.holds, &j.cond_rules);
                for &r in &s.rules.list {
                    let Some(rule) = j.rules.get(r as usize) else {
                        continue;
                    };
                    // Only a candidate can match (the others' members may have been left
                    // unread); the others are not evaluated.
                    if candidates.is_some_and(|c| !c.patterns.contains(rule.pattern)) {
                        continue;
                    }
                    if rule.expr.eval(&s.holds.on)
                        && out.push(rule.pattern as usize, Extracted::default())
                    {
                        break;
                    }
                }
                if !out.done() {
                    ev.decide(event, &mut s.events, out);
                }
            }
            Err(Stop::Duplicate) => {
                // Every rule, candidates or not, by its reference evaluator: exact either way.
                // The event is parsed once for all of them (a set of 10,000 patterns over a
                // 250 KB event repeating a key parsed it 10,000 times: 15 s).
                let shared = Event::new(event);
                for rule in &j.rules {
                    if let Some(e) = evaluator(rule.pattern).and_then(|e| e.test_event(&shared)) {
                        if out.push(rule.pattern as usize, e) {
                            break;
                        }
                    }
                }
                // The scan was cut short: every event pattern is decided by its precise
                // evaluator.
                if !out.done() {
                    ev.decide_all_precisely(event, out);
                }
            }
            Err(Stop::Invalid) => {}
        }
        s.events.clear();
        s.holds.clear();
        s.present.clear();
        s.rules.clear();
    }
}

/// What a prefilter search finds at a position of the text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Hit {
    /// An atom of the prefilter: a literal, or a key value.
    Atom(u32),
    /// A probed key whose value may be any of its values (a string written with an escape, or
    /// an array after an event pattern's key): the text may match whatever else it holds, as
    /// with an escape that may hide a literal. One hit, not one per value of the key: a line
    /// repeating such a key must not cost its occurrences times the set's values.
    AnyValue,
    /// One of the extra literals of a [`LineFilter`](super::LineFilter): its index among them.
    Marker(u32),
}

impl Prefilter {
    /// False when no pattern can match: for every pattern, some clause has none of its atoms
    /// in the event, and no JSON escape could hide one.
    fn may_match(&self, event: &str, found: &mut Marks) -> bool {
        let any = !self.find_atoms(event.as_bytes(), found) || self.decide(found);
        found.clear();
        any
    }

    /// Puts in `found` the atoms that occur in `text`; false, and `found` left to clear, when
    /// the atoms cannot decide: an escape may hide one ([`Prefilter::hazard`]), or a probed key's
    /// value may be any of its values ([`Hit::AnyValue`]). Any pattern may match then.
    fn find_atoms(&self, text: &[u8], found: &mut Marks) -> bool {
        if self.hazard(text) {
            return false;
        }
        found.reserve(self.atom_count);
        let mut decided = true;
        self.search(
            self.literals.as_ref(),
            usize::MAX,
            text,
            |hit, _| match hit {
                Hit::Atom(atom) => {
                    found.insert(atom);
                }
                Hit::AnyValue => decided = false,
                Hit::Marker(_) => {}
            },
        );
        decided
    }

    /// [`Prefilter::may_match`], with each pattern whose clauses the event satisfies put in
    /// `out`; `None` when the atoms cannot decide ([`Prefilter::find_atoms`]: any pattern may
    /// match).
    fn candidates(&self, event: &str, found: &mut Marks, out: &mut Marks) -> Option<bool> {
        if !self.find_atoms(event.as_bytes(), found) {
            found.clear();
            return None;
        }
        out.reserve(self.clauses.len());
        for &atom in &found.list {
            for &p in self.triggers.get(atom as usize).into_iter().flatten() {
                if !out.contains(p) && self.satisfied(p, found) {
                    out.insert(p);
                }
            }
        }
        found.clear();
        Some(!out.list.is_empty())
    }

    /// Every clause of pattern `p` has an atom in `found`.
    fn satisfied(&self, p: PatternId, found: &Marks) -> bool {
        self.clauses
            .get(p as usize)
            .into_iter()
            .flatten()
            .all(|clause| clause.iter().any(|&a| found.contains(a)))
    }

    /// Calls `hit` with what occurs in `text`, and where: the atoms, found by `literals` (the
    /// prefilter's own, or those of a line filter: the literals, then the keys' ends when
    /// [`Prefilter::keys_in_literals`], then markers from `markers_from` on) and the key probes.
    pub(super) fn search(
        &self,
        literals: Option<&LiteralSet>,
        markers_from: usize,
        text: &[u8],
        mut hit: impl FnMut(Hit, usize),
    ) {
        let keys_from = self.texts.len();
        if let Some(literals) = literals {
            literals.each_found(text, |i, start| {
                let i = i as usize;
                if let Some(m) = i.checked_sub(markers_from) {
                    return hit(Hit::Marker(m as u32), start);
                }
                let Some(k) = i.checked_sub(keys_from) else {
                    return hit(Hit::Atom(i as u32), start);
                };
                let Some(probe) = self.keys.get(k) else {
                    return;
                };
                // The end found is the whole key's when the key precedes it.
                let quoted = probe.quoted();
                let from = start.checked_sub(probe.tail);
                if let Some(from) =
                    from.filter(|&from| text.get(from..from + quoted.len()) == Some(quoted))
                {
                    if let Some(found) = probe.read(text, from + quoted.len()) {
                        hit(found, from);
                    }
                }
            });
        }
        if !self.keys_in_literals {
            for probe in &self.keys {
                for at in probe.finder.find_iter(text) {
                    if let Some(found) = probe.read(text, at + probe.quoted().len()) {
                        hit(found, at);
                    }
                }
            }
        }
    }

    /// Whether the atoms `found` satisfy every clause of some pattern they trigger.
    pub(super) fn decide(&self, found: &Marks) -> bool {
        found.list.iter().any(|&atom| {
            self.triggers
                .get(atom as usize)
                .into_iter()
                .flatten()
                .any(|&p| self.satisfied(p, found))
        })
    }

    /// The event has an escape that could spell what a pattern needs differently (`\u0041` for
    /// `A`, or `\/` for `/` when some literal has such a character).
    fn hazard(&self, text: &[u8]) -> bool {
        self.hazards(text).next().is_some()
    }

    /// Each position of `text` where an escape could spell what a pattern needs differently
    /// (see [`Prefilter::hazard`]).
    pub(super) fn hazards<'t>(&self, text: &'t [u8]) -> impl Iterator<Item = usize> + 't {
        // One byte is the fastest search there is; `\u` is checked where a backslash is found.
        let sensitive = self.escape_sensitive;
        memchr::memchr_iter(b'\\', text)
            .filter(move |&at| sensitive || text.get(at + 1) == Some(&b'u'))
    }
}

impl KeyProbe {
    /// What the value after an occurrence of the key (ending at `at`, before its `:`) satisfies:
    /// the atom of its value, [`Hit::AnyValue`] when it may be any value, or nothing.
    fn read(&self, text: &[u8], at: usize) -> Option<Hit> {
        match string_after_key(text, at) {
            Some(Ok(value)) => self.values.get(value).map(|&id| Hit::Atom(id)),
            Some(Err(Escaped)) => Some(Hit::AnyValue),
            // An array may hold any value of an event pattern's key.
            None if self.in_arrays && array_after_key(text, at) => Some(Hit::AnyValue),
            None => None,
        }
    }
}

/// A string value written with an escape: it may be any value.
struct Escaped;

/// The string value of the member whose key ends at `at` (before its `:`), as written; `None`
/// when no string value follows there (it is no key, or its value is something else; a line
/// feed in the string ends the line, so the value is not one of that line).
fn string_after_key(bytes: &[u8], at: usize) -> Option<Result<&[u8], Escaped>> {
    let blank = |i: usize| {
        i + bytes
            .get(i..)
            .unwrap_or_default()
            .iter()
            .take_while(|b| matches!(b, b' ' | b'\t' | b'\n' | b'\r'))
            .count()
    };
    let colon = blank(at);
    if bytes.get(colon) != Some(&b':') {
        return None;
    }
    let open = blank(colon + 1);
    if bytes.get(open) != Some(&b'"') {
        return None;
    }
    let rest = bytes.get(open + 1..)?;
    let end = memchr::memchr3(b'"', b'\\', b'\n', rest)?;
    match rest.get(end) {
        Some(b'"') => rest.get(..end).map(Ok),
        Some(b'\\') => Some(Err(Escaped)),
        _ => None,
    }
}

/// True when an array follows the key that ends at `at` (before its `:`).
fn array_after_key(bytes: &[u8], at: usize) -> bool {
    let mut rest = bytes
        .get(at..)
        .unwrap_or_default()
        .iter()
        .filter(|b| !matches!(b, b' ' | b'\t' | b'\n' | b'\r'));
    rest.next() == Some(&b':') && rest.next() == Some(&b'[')
}

/// Sets the conditions of field `f` that one selected value satisfies.
fn on_value(
    f: &FieldProgram,
    value: &Scalar<'_>,
    dialect: &Dialect,
    holds: &mut Marks,
    matched: &mut Marks,
    regex_hits: &mut RegexHits,
) {
    // A string that is not read as a number satisfies `!= number` when the dialect says so.
    let mut text_ne_number = false;
    let (text, number) = match value {
        Scalar::Container => return,
        Scalar::Null => {
            for &c in &f.is_null {
                holds.insert(c);
            }
            return;
        }
        Scalar::Bool(b) => {
            for &c in if *b { &f.is_true } else { &f.is_false } {
                holds.insert(c);
            }
            (if *b { "true" } else { "false" }, None)
        }
        Scalar::Number(raw) => (*raw, number::parse(raw)),
        Scalar::Str(s) => {
            let number = if dialect.numeric_string_coercion {
                number::parse(s)
            } else {
                None
            };
            text_ne_number = number.is_none() && dialect.ne_number_matches_text;
            (s.as_ref(), number)
        }
    };
    if f.matcher_count > 0 {
        matched.reserve(f.matcher_count);
        if let Some(&m) = f.exact.get(text) {
            matched.insert(m);
        }
        if let Some(m) = f.any {
            matched.insert(m);
        }
        for (kind, fixed, m) in &f.globs {
            if kind.matches(text, fixed) {
                matched.insert(*m);
            }
        }
        if let Some(re) = &f.wild {
            regex_hits.each(re, text, |i| {
                if let Some(&m) = f.wild_matchers.get(i) {
                    matched.insert(m);
                }
            });
        }
        for &m in &matched.list {
            for &c in f.eq.get(m as usize).into_iter().flatten() {
                holds.insert(c);
            }
        }
        for &(m, c) in &f.ne {
            if !matched.contains(m) {
                holds.insert(c);
            }
        }
        matched.clear();
    }
    if let Some(x) = number {
        for &(op, v, c) in &f.numeric {
            let hit = match op {
                Op::Eq => x == v,
                Op::Ne => x != v,
                Op::Lt => x < v,
                Op::Le => x <= v,
                Op::Gt => x > v,
                Op::Ge => x >= v,
            };
            if hit {
                holds.insert(c);
            }
        }
    } else if text_ne_number {
        for &(op, _, c) in &f.numeric {
            if op == Op::Ne {
                holds.insert(c);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Pattern, PatternSet};

    /// Keys are found by their ends in the literals' search: an end that other keys share
    /// (`tName"` of `eventName`, `bucketName`, `ventName`), a key that occurs nested before it
    /// occurs at the top, one that occurs as a value, and a key written with an escape. Each
    /// set's answer is each pattern's own, pattern by pattern.
    #[test]
    fn keys_found_by_their_ends_decide_as_the_patterns_do() {
        let names = (0..9).map(|i| format!("($.eventName = Name{i})"));
        let buckets = (0..9).map(|i| format!("($.bucketName = Name{i})"));
        // The end searched starts at a character boundary: `数数"`, not inside the first `数`.
        let wide = (0..9).map(|i| format!("($.['ab数数'] = Name{i})"));
        let patterns = [
            format!("{{ {} }}", names.collect::<Vec<_>>().join(" || ")),
            format!("{{ {} }}", buckets.collect::<Vec<_>>().join(" || ")),
            r#"{ $.x.ventName = "Name1" && $.errorCode = "AccessDenied*" }"#.to_owned(),
            format!("{{ {} }}", wide.collect::<Vec<_>>().join(" || ")),
        ];
        let set = PatternSet::new(&patterns).unwrap();
        assert!(
            set.program
                .prefilter
                .as_ref()
                .is_some_and(|p| p.keys_in_literals)
        );
        let each: Vec<Pattern> = patterns.iter().map(|p| Pattern::new(p).unwrap()).collect();
        let events = [
            r#"{"eventName":"Name3"}"#,
            r#"{"bucketName":"Name3","eventName":"Other"}"#,
            r#"{"x":{"eventName":"Other"},"eventName":"Name8"}"#,
            r#"{"x":{"eventName":"Name8"},"eventName":"Other"}"#,
            r#"{"note":"eventName","eventName" : "Name0"}"#,
            r#"{"ventName":"Name1","x":{"ventName":"Name1"},"errorCode":"AccessDeniedX"}"#,
            r#"{"event\u004eame":"Name2"}"#,
            r#"{"eventName":"Name\u0031"}"#,
            r#"{"eventName":["Name4"]}"#,
            r#"{"eventNam":"Name4","tName":"Name4"}"#,
            r#"{"ab数数":"Name5"}"#,
            r#"{"x数数":"Name5","ab数数":"Name9"}"#,
        ];
        let mut any = 0;
        for event in events {
            let want: Vec<usize> = (0..each.len())
                .filter(|&i| each[i].matches(event))
                .collect();
            any += want.len();
            assert_eq!(set.matches(event), want, "{event}");
        }
        assert_eq!(any, 8);
    }

    /// Asked only whether some pattern matches, a run stops at the first hit and keeps no list.
    #[test]
    fn any_hit_stops_the_run() {
        let mut any = Hits::Any(false);
        assert!(!any.done());
        assert!(any.push(3, Extracted::default()));
        assert!(any.done());
        let mut list = Vec::new();
        let mut all = Hits::All(&mut list);
        assert!(!all.push(1, Extracted::default()));
        assert!(!all.push(2, Extracted::default()));
        assert!(!all.done());
        assert_eq!(list.len(), 2);
    }

    /// The resting count of `set`'s prefilter on this thread.
    fn resting(set: &PatternSet) -> Option<u32> {
        let id = set.program.prefilter.as_ref()?.id;
        SCRATCH.with(|s| {
            let s = s.borrow();
            let used = s.prefilter_uses.0.iter().find(|u| u.prefilter == id);
            used.map(|u| u.resting)
        })
    }

    /// A prefilter that passes at least 60 of 64 events in a row is set aside for the next 1,024
    /// events, then tried again; one that passes 59 is kept. The answers stay each event's own
    /// while it rests (events it would have ruled out included), sets used in turn on one thread
    /// keep their counts apart, and the four run last keep theirs.
    #[test]
    fn a_prefilter_that_passes_nearly_every_event_is_set_aside() {
        let names: Vec<String> = (0..20)
            .map(|i| format!("{{ $.eventName = \"Name{i}\" }}"))
            .collect();
        let set = PatternSet::new(&names).unwrap();
        let other = PatternSet::new(["{ $.eventName = \"Name3\" }"]).unwrap();
        let hit = r#"{"eventName":"Name3"}"#;
        let miss = r#"{"eventName":"Other"}"#;
        let prefilter = set.program.prefilter.as_ref().unwrap();
        assert!(!prefilter.may_match(miss, &mut Marks::default()));
        let trial = |passes: u32| {
            for i in 0..PREFILTER_TRIAL {
                let event = if i < passes { hit } else { miss };
                assert_eq!(
                    set.matches(event),
                    if i < passes { vec![3] } else { vec![] }
                );
                // Another set in between keeps its own counts.
                assert_eq!(other.matches(miss), Vec::<usize>::new());
            }
        };
        trial(PREFILTER_KEPT - 1);
        assert_eq!(resting(&set), Some(0));
        trial(PREFILTER_KEPT);
        assert_eq!(resting(&set), Some(PREFILTER_REST));
        assert_eq!(resting(&other), Some(0));
        // Resting, it lets through what it would rule out; the scan still says no.
        for _ in 0..PREFILTER_REST {
            assert_eq!(set.matches(miss), Vec::<usize>::new());
        }
        assert_eq!(resting(&set), Some(0));
        trial(0);
        assert_eq!(resting(&set), Some(0));
        // The four prefilters run last keep their counts: a fifth takes the place of the one
        // run longest ago (`other`, not `set`, used again since).
        let more: Vec<PatternSet> = (0..3)
            .map(|i| PatternSet::new([format!("{{ $.eventName = \"More{i}\" }}")]).unwrap())
            .collect();
        for (i, more) in more.iter().enumerate() {
            if i == 2 {
                assert_eq!(set.matches(hit), [3]);
            }
            assert_eq!(more.matches(miss), Vec::<usize>::new());
        }
        assert!(resting(&set).is_some());
        assert_eq!(resting(&other), None);
    }
}
