//! EventBridge event patterns lowered into the program filter patterns compile to.
//!
//! - **Paths.** Every dotted path a rule names, and each of its dotted prefixes, is a node of the
//!   selector trie, under a root of its own ([`Trie::event_root`]). A node's members are the keys
//!   that lead from its path to another such path the way event-ruler names fields (`a` then `b`,
//!   or the one key `a.b`, both reach `a.b`); its nodes are *flat*: an array is read through, each
//!   element at the array's own path, and a repeated key adds a value instead of replacing one.
//! - **Tests.** Each path keeps every test any rule makes on one of its values, deduplicated: a hash
//!   table of exact strings, one of numbers as written and one of numbers by value (numbers
//!   compare as numbers), one multi-pattern automaton (`regex_automata::meta`) for `prefix`,
//!   `suffix`, `wildcard` and `equals-ignore-case` (also inside `anything-but`), and short lists
//!   for `numeric` ranges, `cidr` blocks and IP addresses, `null`, `true`, `false` and `exists`.
//! - **Conditions.** A matcher of a rule is a condition: *some value at the path passes one of
//!   these tests* (`anything-but`: *some value passes none of them*). A rule is a conjunction over
//!   its paths of a disjunction of conditions (or, with `{"exists": false}`, no value at the path).
//!   Each rule is evaluated only when a condition of the one path chosen to trigger it holds (the
//!   path whose conditions the fewest rules share), or on every event when each of its paths
//!   accepts an absent field.
//! - **Arrays.** event-ruler requires the values a rule matches to lie in the same element of
//!   every array of objects they share (SYNTAX.md, "array consistency"). A value inside such an
//!   element is marked *nested*; when at most one path of a rule has nested values, no two chosen
//!   values can share an array element choice and the conditions decide. Otherwise a rule whose
//!   conditions hold (with `exists: false` read as "maybe") is decided by the pattern's precise
//!   evaluator ([`crate::event::matcher`]), which walks the array memberships as event-ruler's
//!   `StructuredFinder` does.

use std::collections::BTreeSet;

use regex_automata::meta;
use rustc_hash::FxHashMap;

use crate::compile::prefilter::{Atom, Clause, Cnf, escapable, rarity};
use crate::compile::program::{
    DIRECT_GLOBS, GlobKind, Haystack, Limits, Node, PatternId, Trie, multi_regex,
};
use crate::error::Error;
use crate::event::ast::{AnythingBut, MatcherKind, NumericRange, Rule, join};
use crate::event::matcher::Matcher as Precise;
use crate::event::value::{Folded, Glob, GlobItem, IpRange};

/// The event patterns of a program.
#[derive(Clone, Debug, Default)]
pub(crate) struct EventProgram {
    /// Per path (a flat node's `event` id): its tests and conditions.
    pub(crate) fields: Vec<EventField>,
    pub(crate) cond_count: usize,
    pub(crate) rules: Vec<EventRule>,
    /// Condition → the rules it triggers.
    pub(crate) triggers: Vec<Vec<u32>>,
    /// Rules every path of which accepts an absent field: evaluated on every event.
    pub(crate) untriggered: Vec<u32>,
    /// Per event pattern (a rule's `slot`): its id in the set and its precise evaluator.
    pub(crate) patterns: Vec<(PatternId, Precise)>,
}

/// One rule of an event pattern (`$or`s expanded).
#[derive(Clone, Debug)]
pub(crate) struct EventRule {
    /// The pattern's index in [`EventProgram::patterns`].
    pub(crate) slot: u32,
    pub(crate) fields: Vec<RuleField>,
}

/// One path of a rule.
#[derive(Clone, Debug)]
pub(crate) struct RuleField {
    pub(crate) field: u32,
    /// The path's matchers, as conditions (an empty `anything-but` list, which matches nothing,
    /// has none).
    pub(crate) conds: Vec<u32>,
    /// `{"exists": false}` is one of the matchers.
    pub(crate) absent: bool,
}

/// Every test the rules make on the values of one path.
#[derive(Clone, Debug, Default)]
pub(crate) struct EventField {
    pub(crate) test_count: usize,
    /// Exact string → test.
    pub(crate) strings: FxHashMap<Box<str>, u32>,
    /// Prefixes and suffixes compared as written, as a filter pattern's globs are, while a path
    /// has at most [`DIRECT_GLOBS`] of them (a byte comparison costs a fraction of a regex search
    /// of a short value): kind, fixed text, test.
    pub(crate) globs: Vec<(GlobKind, String, u32)>,
    /// Wildcards, ignore-case values, and the prefixes and suffixes of a path with more;
    /// pattern `i` is test `regex_tests[i]`.
    pub(crate) regex: Option<meta::Regex>,
    pub(crate) regex_tests: Vec<u32>,
    /// A number as written → test.
    pub(crate) number_texts: FxHashMap<Box<str>, u32>,
    /// A comparable number's value (bits, `-0` as `0`) → test.
    pub(crate) number_values: FxHashMap<u64, u32>,
    pub(crate) ranges: Vec<(NumericRange, u32)>,
    pub(crate) ips: Vec<(IpRange, u32)>,
    pub(crate) null: Option<u32>,
    pub(crate) true_: Option<u32>,
    pub(crate) false_: Option<u32>,
    /// Any value (`exists: true`).
    pub(crate) any: Option<u32>,
    /// Test → the conditions that hold when a value passes it.
    pub(crate) pos: Vec<Vec<u32>>,
    /// `(tests, condition)`: the condition holds when a value passes none of the tests.
    pub(crate) neg: Vec<(Vec<u32>, u32)>,
}

impl EventField {
    /// True when numbers must be read as values (for `numeric` or a number's value).
    pub(crate) fn wants_number_value(&self) -> bool {
        !self.number_values.is_empty() || !self.ranges.is_empty()
    }
}

/// A test, as known while compiling (for deduplication).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum TestKey<'a> {
    /// An exact string, borrowed from the pattern (most tests are; a new one is copied once).
    Str(&'a str),
    /// A prefix or a suffix (case-sensitive): compared as written, or searched as a regex.
    Glob(GlobKind, String),
    Regex(String),
    NumText(&'a str),
    NumValue(u64),
    /// A `numeric` range, by its `Debug` form (its bounds are `f64`).
    Range(String),
    Ip(Vec<u8>, Vec<u8>),
    Null,
    True,
    False,
    Any,
}

/// What one matcher of a rule becomes.
enum Lowered<'a> {
    /// Holds when a value passes one of the tests (`negate`: passes none).
    Tests(Vec<(TestKey<'a>, Option<NumericRange>)>, bool),
    /// `{"exists": false}`.
    Absent,
    /// An empty `anything-but` list: never holds.
    Never,
}

/// The bits a comparable number is looked up by (`-0` and `0` alike).
pub(crate) fn number_bits(v: f64) -> u64 {
    if v == 0.0 {
        0f64.to_bits()
    } else {
        v.to_bits()
    }
}

fn lower(kind: &MatcherKind) -> Lowered<'_> {
    use MatcherKind as M;
    fn one(key: TestKey<'_>) -> Lowered<'_> {
        Lowered::Tests(vec![(key, None)], false)
    }
    match kind {
        M::Exact(s) => one(TestKey::Str(s)),
        M::ExactIp { range, .. } | M::Cidr { range, .. } => {
            one(TestKey::Ip(range.low.clone(), range.high.clone()))
        }
        M::Number { text, value } => {
            let mut tests = vec![(TestKey::NumText(text), None)];
            tests.extend(value.map(|v| (TestKey::NumValue(number_bits(v)), None)));
            Lowered::Tests(tests, false)
        }
        M::Null => one(TestKey::Null),
        M::Bool(true) => one(TestKey::True),
        M::Bool(false) => one(TestKey::False),
        M::Prefix(p) => one(TestKey::Glob(GlobKind::Prefix, p.clone())),
        M::Suffix(p) => one(TestKey::Glob(GlobKind::Suffix, p.clone())),
        M::PrefixIgnoreCase(f) => one(TestKey::Regex(format!(r"\A{}", folded_regex(f)))),
        M::SuffixIgnoreCase(f) => one(TestKey::Regex(format!(r"{}\z", folded_regex(f)))),
        M::EqualsIgnoreCase(f) => one(TestKey::Regex(format!(r"\A{}\z", folded_regex(f)))),
        M::Wildcard(g) => one(TestKey::Regex(glob_regex(g))),
        M::Numeric(range) => Lowered::Tests(
            vec![(TestKey::Range(format!("{range:?}")), Some(*range))],
            false,
        ),
        M::Exists(true) => one(TestKey::Any),
        M::Exists(false) => Lowered::Absent,
        M::AnythingBut(but) => {
            let tests: Vec<TestKey> = match but {
                AnythingBut::Strings(xs) => xs.iter().map(|x| TestKey::Str(x)).collect(),
                AnythingBut::Numbers(ns) => ns
                    .iter()
                    .map(|(_, v)| TestKey::NumValue(number_bits(*v)))
                    .collect(),
                AnythingBut::Prefixes(xs) => xs
                    .iter()
                    .map(|x| TestKey::Glob(GlobKind::Prefix, x.clone()))
                    .collect(),
                AnythingBut::Suffixes(xs) => xs
                    .iter()
                    .map(|x| TestKey::Glob(GlobKind::Suffix, x.clone()))
                    .collect(),
                AnythingBut::IgnoreCase(fs) => fs
                    .iter()
                    .map(|f| TestKey::Regex(format!(r"\A{}\z", folded_regex(f))))
                    .collect(),
                AnythingBut::Wildcards(gs) => {
                    gs.iter().map(|g| TestKey::Regex(glob_regex(g))).collect()
                }
            };
            if tests.is_empty() {
                Lowered::Never
            } else {
                Lowered::Tests(tests.into_iter().map(|t| (t, None)).collect(), true)
            }
        }
    }
}

/// Each character as its lower-case or its upper-case form (event-ruler's
/// `EqualsIgnoreCaseParser`), with no case-insensitive flag.
fn folded_regex(f: &Folded) -> String {
    f.forms()
        .iter()
        .map(|(lower, upper)| {
            format!(
                "(?:{}|{})",
                regex_syntax::escape(lower),
                regex_syntax::escape(upper)
            )
        })
        .collect()
}

/// The literal runs of a glob, split at its stars: `a*b\*c*` is `["a", "b*c", ""]`.
fn glob_pieces(g: &Glob) -> Vec<String> {
    let mut pieces = vec![Vec::new()];
    for item in &g.items {
        match item {
            GlobItem::Byte(b) => {
                if let Some(last) = pieces.last_mut() {
                    last.push(*b);
                }
            }
            GlobItem::Star => pieces.push(Vec::new()),
        }
    }
    // The glob's text is UTF-8 and its stars and escapes are ASCII, so each run is UTF-8.
    pieces
        .into_iter()
        .map(|p| String::from_utf8_lossy(&p).into_owned())
        .collect()
}

/// A glob over the whole value. A star is any run of characters: the value and the runs are
/// UTF-8, so a match by bytes starts and ends its runs at character boundaries.
fn glob_regex(g: &Glob) -> String {
    let pieces: Vec<String> = glob_pieces(g)
        .iter()
        .map(|p| regex_syntax::escape(p))
        .collect();
    format!(r"\A{}\z", pieces.join("(?s:.*)"))
}

// ---- the trie -----------------------------------------------------------------------------------

/// The flat nodes of `paths` (and their dotted prefixes) in `trie`, by path.
fn add_paths(trie: &mut Trie, paths: &BTreeSet<&str>) -> FxHashMap<String, u32> {
    let mut reach: BTreeSet<String> = BTreeSet::from([String::new()]);
    for path in paths {
        for (i, _) in path.match_indices('.') {
            reach.insert(path.get(..i).unwrap_or_default().to_owned());
        }
        reach.insert((*path).to_owned());
    }
    let mut ids: FxHashMap<String, u32> = FxHashMap::default();
    for r in &reach {
        let id = trie.nodes.len() as u32;
        trie.nodes.push(Node {
            flat: true,
            ..Node::default()
        });
        ids.insert(r.clone(), id);
    }
    trie.event_root = ids.get("").copied();
    // An edge from each dotted prefix `p` of `r` (and from the root) by the key that `join`s
    // `p` into `r`.
    for r in &reach {
        let Some(&to) = ids.get(r) else { continue };
        let mut parents: Vec<(&str, &str)> = vec![("", r.as_str())];
        for (i, _) in r.match_indices('.') {
            // A leading dot is no join: `join("", k)` is `k` itself, so `.k` is only ever
            // reached by a key that holds the dot.
            if let (Some(p), Some(k)) = (r.get(..i), r.get(i + 1..))
                && !p.is_empty()
            {
                parents.push((p, k));
            }
        }
        for (p, k) in parents {
            debug_assert_eq!(join(p, k), *r);
            let Some(node) = ids.get(p).and_then(|&id| trie.nodes.get_mut(id as usize)) else {
                continue;
            };
            node.members.set(k, to);
        }
    }
    ids
}

// ---- building -----------------------------------------------------------------------------------

#[derive(Default)]
struct FieldBuilder<'a> {
    /// The tests without a table of their own in the program (strings and numbers have one).
    tests: FxHashMap<TestKey<'a>, u32>,
    regexes: Vec<(u32, String)>,
    program: EventField,
}

impl<'a> FieldBuilder<'a> {
    fn test(&mut self, key: TestKey<'a>, range: Option<NumericRange>) -> u32 {
        let p = &mut self.program;
        // Strings and numbers are found in the program's tables of them; the others here.
        let (known, own_table) = match &key {
            TestKey::Str(s) => (p.strings.get(*s), true),
            TestKey::NumText(t) => (p.number_texts.get(*t), true),
            TestKey::NumValue(bits) => (p.number_values.get(bits), true),
            other => (self.tests.get(other), false),
        };
        if let Some(&id) = known {
            return id;
        }
        let id = p.test_count as u32;
        if !own_table {
            self.tests.insert(key.clone(), id);
        }
        p.test_count += 1;
        p.pos.push(Vec::new());
        match key {
            TestKey::Str(s) => {
                p.strings.insert(s.into(), id);
            }
            TestKey::Glob(kind, fixed) => p.globs.push((kind, fixed, id)),
            TestKey::Regex(r) => self.regexes.push((id, r)),
            TestKey::NumText(t) => {
                p.number_texts.insert(t.into(), id);
            }
            TestKey::NumValue(bits) => {
                p.number_values.insert(bits, id);
            }
            TestKey::Range(_) => p.ranges.extend(range.map(|r| (r, id))),
            TestKey::Ip(low, high) => p.ips.push((IpRange { low, high }, id)),
            TestKey::Null => p.null = Some(id),
            TestKey::True => p.true_ = Some(id),
            TestKey::False => p.false_ = Some(id),
            TestKey::Any => p.any = Some(id),
        }
        id
    }
}

/// Lowers `patterns` (each with its id in the set and the rules it expands to) into `trie` and an
/// [`EventProgram`].
pub(crate) fn lower_all(
    patterns: &[(PatternId, Vec<Rule>)],
    trie: &mut Trie,
    limits: &Limits,
) -> Result<EventProgram, (Option<usize>, Error)> {
    if patterns.is_empty() {
        return Ok(EventProgram::default());
    }
    let paths: BTreeSet<&str> = patterns
        .iter()
        .flat_map(|(_, rules)| rules)
        .flat_map(|rule| rule.fields.iter().map(|(path, _)| path.as_str()))
        .collect();
    let nodes = add_paths(trie, &paths);
    let mut field_of: FxHashMap<&str, u32> = FxHashMap::default();
    let mut fields: Vec<FieldBuilder> = Vec::new();
    let mut conds: FxHashMap<(u32, Vec<u32>, bool), u32> = FxHashMap::default();
    let mut rules: Vec<EventRule> = Vec::new();
    for (slot, (_, rule_list)) in patterns.iter().enumerate() {
        for rule in rule_list {
            let mut rule_fields = Vec::with_capacity(rule.fields.len());
            for (path, field_rule) in rule.ordered() {
                let field = match field_of.get(path) {
                    Some(&f) => f,
                    None => {
                        let f = fields.len() as u32;
                        fields.push(FieldBuilder::default());
                        field_of.insert(path, f);
                        if let Some(node) = nodes
                            .get(path)
                            .and_then(|&n| trie.nodes.get_mut(n as usize))
                        {
                            node.event = Some(f);
                        }
                        f
                    }
                };
                let mut rf = RuleField {
                    field,
                    conds: Vec::new(),
                    absent: false,
                };
                for m in &field_rule.matchers {
                    let (tests, negate) = match lower(&m.kind) {
                        Lowered::Absent => {
                            rf.absent = true;
                            continue;
                        }
                        Lowered::Never => continue,
                        Lowered::Tests(tests, negate) => (tests, negate),
                    };
                    let Some(fb) = fields.get_mut(field as usize) else {
                        continue;
                    };
                    let mut ids: Vec<u32> = tests
                        .into_iter()
                        .map(|(key, range)| fb.test(key, range))
                        .collect();
                    ids.sort_unstable();
                    ids.dedup();
                    let key = (field, ids, negate);
                    let cond = match conds.get(&key) {
                        Some(&cond) => cond,
                        None => {
                            let cond = conds.len() as u32;
                            let (_, ids, _) = &key;
                            if negate {
                                fb.program.neg.push((ids.clone(), cond));
                            } else {
                                for &t in ids {
                                    if let Some(list) = fb.program.pos.get_mut(t as usize) {
                                        list.push(cond);
                                    }
                                }
                            }
                            conds.insert(key, cond);
                            cond
                        }
                    };
                    if !rf.conds.contains(&cond) {
                        rf.conds.push(cond);
                    }
                }
                rule_fields.push(rf);
            }
            rules.push(EventRule {
                slot: slot as u32,
                fields: rule_fields,
            });
        }
    }
    let cond_count = conds.len();
    let (triggers, untriggered) = choose_triggers(&rules, cond_count);
    let mut programs = Vec::with_capacity(fields.len());
    for mut fb in fields {
        if fb.program.globs.len() > DIRECT_GLOBS {
            let globs = fb.program.globs.drain(..);
            fb.regexes
                .extend(globs.map(|(kind, fixed, id)| (id, kind.regex(&fixed))));
        }
        if !fb.regexes.is_empty() {
            fb.regexes.sort();
            let sources: Vec<String> = fb.regexes.iter().map(|(_, s)| s.clone()).collect();
            let what = "an event pattern path's prefixes, suffixes and wildcards";
            fb.program.regex = Some(multi_regex(&sources, limits, Haystack::Value, what)?);
            fb.program.regex_tests = fb.regexes.iter().map(|(id, _)| *id).collect();
        }
        programs.push(fb.program);
    }
    let precise = patterns
        .iter()
        .map(|(id, rules)| (*id, Precise::new(rules)))
        .collect();
    Ok(EventProgram {
        fields: programs,
        cond_count,
        rules,
        triggers,
        untriggered,
        patterns: precise,
    })
}

/// Each rule is triggered by the conditions of one of its paths that must hold (one without
/// `exists: false`): the one whose conditions the fewest rules name. A rule with no such path is
/// evaluated on every event.
fn choose_triggers(rules: &[EventRule], cond_count: usize) -> (Vec<Vec<u32>>, Vec<u32>) {
    let mut uses = vec![0usize; cond_count];
    for rule in rules {
        for rf in &rule.fields {
            for &c in &rf.conds {
                if let Some(n) = uses.get_mut(c as usize) {
                    *n += 1;
                }
            }
        }
    }
    let mut triggers = vec![Vec::new(); cond_count];
    let mut untriggered = Vec::new();
    for (i, rule) in rules.iter().enumerate() {
        let cost = |rf: &RuleField| -> usize {
            rf.conds
                .iter()
                .map(|&c| uses.get(c as usize).copied().unwrap_or(0))
                .sum()
        };
        let best = rule
            .fields
            .iter()
            .filter(|rf| !rf.absent)
            .min_by_key(|rf| cost(rf));
        match best {
            // A path with no condition (only empty `anything-but` lists) never holds: the rule is
            // never evaluated.
            Some(rf) => {
                for &c in &rf.conds {
                    if let Some(list) = triggers.get_mut(c as usize) {
                        list.push(i as u32);
                    }
                }
            }
            None => untriggered.push(i as u32),
        }
    }
    (triggers, untriggered)
}

// ---- the prefilter ------------------------------------------------------------------------------

/// What the raw text of every event the pattern matches contains (see [`crate::compile::prefilter`]):
/// per rule, for each path a value must be at, the literals one of its matchers needs (a quoted
/// exact string, a prefix with its opening quote, …) or else the path's last key. A pattern of
/// several rules needs one clause: the rarest clause of each rule, joined.
pub(crate) fn needs(rules: &[Rule]) -> Cnf {
    let mut cnfs: Vec<Cnf> = rules.iter().map(rule_needs).collect();
    if cnfs.len() == 1 {
        return cnfs.pop().unwrap_or_default();
    }
    let mut clause: Clause = Vec::new();
    for cnf in cnfs {
        match cnf.into_iter().max_by_key(rarity) {
            Some(c) => clause.extend(c),
            None => return Vec::new(),
        }
    }
    clause.dedup();
    vec![clause]
}

/// The clauses of the values a rule needs; only when there is none, those of its paths' keys
/// (a key such as `eventType` is in every CloudTrail record: a value is the rarer literal, however
/// short).
fn rule_needs(rule: &Rule) -> Cnf {
    let mut values = Vec::new();
    let mut keys = Vec::new();
    for (path, field) in &rule.fields {
        let kinds: Vec<&MatcherKind> = field.matchers.iter().map(|m| &m.kind).collect();
        if kinds
            .iter()
            .any(|k| matches!(k, MatcherKind::Exists(false)))
        {
            continue;
        }
        let clause: Option<Clause> = kinds.iter().map(|k| value_atom(path, k)).collect();
        match clause {
            Some(clause) if !clause.is_empty() => values.push(clause),
            _ => keys.extend(key_atom(path).map(|a| vec![a])),
        }
    }
    if values.is_empty() { keys } else { values }
}

/// The last key of a path, which every event with a value there spells: `"key"` for a path of
/// one key, else `key"` (the key may be written `a.key`).
fn key_atom(path: &str) -> Option<Atom> {
    let (last, quoted) = match path.rfind('.') {
        Some(i) => (path.get(i + 1..)?, false),
        None => (path, true),
    };
    if last.is_empty() {
        return None;
    }
    let open = if quoted { "\"" } else { "" };
    Some(Atom::Lit {
        text: [open, last, "\""].concat(),
        sensitive: escapable(last),
    })
}

/// The literal a value the matcher accepts spells in the raw text, if there is one. An exact
/// string at a path of one key is that key's value (the prefilter may look it up after the key
/// rather than search for it; an array after the key may hold it).
fn value_atom(path: &str, kind: &MatcherKind) -> Option<Atom> {
    let quoted = |open: &str, core: &str, close: &str| {
        (!core.is_empty()).then(|| Atom::Lit {
            text: [open, core, close].concat(),
            sensitive: escapable(core),
        })
    };
    match kind {
        MatcherKind::Exact(s) if !path.is_empty() && !path.contains('.') && !escapable(path) => {
            Some(Atom::Key {
                key: path.to_owned(),
                value: s.clone(),
                in_arrays: true,
            })
        }
        MatcherKind::Exact(s) => Some(Atom::Lit {
            text: ["\"", s, "\""].concat(),
            sensitive: escapable(s),
        }),
        MatcherKind::Null => quoted("", "null", ""),
        MatcherKind::Bool(b) => quoted("", if *b { "true" } else { "false" }, ""),
        MatcherKind::Prefix(p) => quoted("\"", p, ""),
        MatcherKind::Suffix(p) => quoted("", p, "\""),
        MatcherKind::Wildcard(g) => {
            let pieces = glob_pieces(g);
            let last = pieces.len().saturating_sub(1);
            pieces
                .iter()
                .enumerate()
                .filter(|(_, p)| !p.is_empty())
                .map(|(i, p)| {
                    let open = if i == 0 { "\"" } else { "" };
                    let close = if i == last { "\"" } else { "" };
                    ([open, p, close].concat(), escapable(p))
                })
                .max_by_key(|(text, _)| text.len())
                .map(|(text, sensitive)| Atom::Lit { text, sensitive })
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use crate::compile::program::{Limits, Program, Source, compile_sources};
    use crate::dialect::Dialect;
    use crate::{EventPattern, EventPatternSet, parse_event_pattern};

    fn program(patterns: &[&str]) -> Program {
        let asts: Vec<_> = patterns
            .iter()
            .map(|p| parse_event_pattern(p).unwrap())
            .collect();
        let sources: Vec<Source<'_>> = asts.iter().map(Source::Event).collect();
        compile_sources(&sources, &Dialect::default(), &Limits::default()).unwrap()
    }

    fn literals(p: &Program) -> Vec<&str> {
        let mut texts: Vec<&str> = p
            .prefilter
            .as_ref()
            .map(|f| f.texts.iter().map(String::as_str).collect())
            .unwrap_or_default();
        texts.sort_unstable();
        texts
    }

    /// What the prefilter searches: quoted exact strings, a prefix with its opening quote, the
    /// longest run of a wildcard, a path's last key where the values give nothing to search
    /// (numbers, which have many spellings; ignore-case values), and per pattern of several rules
    /// one clause of each.
    #[test]
    fn prefilter_literals() {
        let p = program(&[
            r#"{"detail": {"eventName": ["ConsoleLogin"], "n": [300]}}"#,
            r#"{"$or": [{"a": [{"prefix": "Access"}]}, {"b": [{"wildcard": "x*longest*y"}]}]}"#,
            r#"{"c": {"d": [{"equals-ignore-case": "ROOT"}]}}"#,
        ]);
        assert_eq!(
            literals(&p),
            ["\"Access", "\"ConsoleLogin\"", "d\"", "longest"]
        );
        // `exists: false` alone needs nothing: no prefilter.
        assert!(
            program(&[r#"{"a": [{"exists": false}]}"#])
                .prefilter
                .is_none()
        );
    }

    /// The prefilter never rejects an event that spells what a pattern needs otherwise: an
    /// escape in a string or a key, a number in another form, another case.
    #[test]
    fn prefilter_keeps_other_spellings() {
        let set = EventPatternSet::new([
            r#"{"eventName": ["ConsoleLogin"]}"#,
            r#"{"x": {"n": [300]}}"#,
            r#"{"k": [{"equals-ignore-case": "root"}]}"#,
            r#"{"path": [{"prefix": "a/b"}]}"#,
        ])
        .unwrap();
        for (event, want) in [
            (r#"{"eventName": "\u0043onsoleLogin"}"#, vec![0]),
            (r#"{"event\u004eame": "ConsoleLogin"}"#, vec![0]),
            (r#"{"eventName": ["x", "ConsoleLogin"]}"#, vec![0]),
            (r#"{"x": {"n": 3e2}}"#, vec![1]),
            (r#"{"x": [{"n": 300.0}]}"#, vec![1]),
            (r#"{"k": "RooT"}"#, vec![2]),
            (r#"{"path": "a\/bc"}"#, vec![3]),
            (r#"{"eventName": "Console\nLogin"}"#, vec![]),
        ] {
            assert_eq!(set.matches(event), want, "{event}");
        }
    }

    /// Many patterns on one top-level key: one probe looks the value up after the key, and an
    /// array after it may hold any of them.
    #[test]
    fn key_probe_reads_arrays_through() {
        let patterns: Vec<String> = (0..10)
            .map(|i| format!(r#"{{"eventName": ["E{i}", "F{i}"]}}"#))
            .collect();
        let set = EventPatternSet::new(&patterns).unwrap();
        let p = program(&patterns.iter().map(String::as_str).collect::<Vec<_>>());
        let probes: Vec<&str> = p
            .prefilter
            .as_ref()
            .map(|f| f.keys.iter().map(|k| k.key.as_str()).collect())
            .unwrap_or_default();
        assert_eq!(probes, ["eventName"]);
        assert_eq!(set.matches(r#"{"eventName": "F3"}"#), [3]);
        assert_eq!(set.matches(r#"{"eventName" : [ "x", "E4"]}"#), [4]);
        assert_eq!(set.matches(r#"{"eventName": [["E5"], {"a": 1}]}"#), [5]);
        assert_eq!(set.matches(r#"{"eventName": "\u0045\u0036"}"#), [6]);
        assert!(set.matches(r#"{"eventName": "G1"}"#).is_empty());
        assert!(set.matches(r#"{"eventName": {"x": "E1"}}"#).is_empty());
    }

    /// Keys with dots and empty keys name paths as event-ruler joins them: `{"a.b": 1}` and
    /// `{"a": {"b": 1}}` are both at `a.b`; an empty key at the top adds nothing to the path.
    #[test]
    fn dotted_and_empty_keys() {
        let p = EventPattern::new(r#"{"a": {"b": [1]}}"#).unwrap();
        for (event, want) in [
            (r#"{"a": {"b": 1}}"#, true),
            (r#"{"a.b": 1}"#, true),
            (r#"{"": {"a": {"b": 1}}}"#, true),
            (r#"{"a": {"": {"b": 1}}}"#, false),
            (r#"{"a": [{"b": [2, 1]}]}"#, true),
            (r#"{"a": {"b": {"c": 1}}}"#, false),
        ] {
            assert_eq!(p.matches(event), want, "{event}");
            assert_eq!(p.reference().matches(event), want, "{event}");
        }
    }

    /// A repeated key gives the path two values (the filter patterns' "last one wins" is not
    /// EventBridge's), even with a filter pattern on the same key in the same set.
    #[test]
    fn repeated_keys_add_values() {
        let set = crate::PatternSet::builder()
            .build_sources([
                crate::PatternSource::Filter(r#"{ $.a = "x" }"#),
                crate::PatternSource::Event(r#"{"a": ["x"]}"#),
            ])
            .unwrap();
        assert_eq!(set.matches(r#"{"a": "x", "a": "y"}"#), [1]);
        assert_eq!(set.matches(r#"{"a": "y", "a": "x"}"#), [0, 1]);
    }
}
