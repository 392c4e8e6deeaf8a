//! A pattern set compiled into one program.
//!
//! - **JSON patterns** share a trie of every selector any of them uses. Each selector ends at a
//!   *field*; each field holds every test any pattern makes on it, deduplicated into
//!   *conditions*: a hash table for exact strings, one multi-pattern automaton
//!   (`regex_automata::meta`) for the globs and regexes, and short lists for numbers, `IS …` and
//!   `NOT EXISTS`. A pattern is a boolean tree over condition ids; it is evaluated only when one of
//!   its conditions holds (a tree of `&&`/`||` without negation cannot hold otherwise).
//! - **Term patterns** share one Aho-Corasick automaton over all their literals and one
//!   multi-pattern regex over all their regexes; each pattern's `?`/`-` rule then reads which
//!   *atoms* occur.
//! - **Space-delimited patterns** keep their reference evaluator; the event's fields are split once
//!   for all of them.
//! - A **prefilter** ([`prefilter`]) holds what the raw text of every event a pattern matches
//!   contains (literals, and string values of keys); an event without it is rejected before
//!   anything else is read.

use std::sync::Arc;

use memchr::memmem;
use regex_automata::util::prefilter::Prefilter as LiteralSearch;
use regex_automata::{MatchKind, meta};
use regex_syntax::hir::literal::{ExtractKind, Extractor, Seq};
use rustc_hash::FxHashMap;

use crate::compile::event::{self, EventProgram};
use crate::compile::inner::InnerDfa;
use crate::compile::literals::LiteralSet;
use crate::compile::prefilter::{self, Cnf, Prefilter, matches_everything};
use crate::compile::skip::SkipDfa;
use crate::dialect::Dialect;
use crate::error::{Error, ErrorKind, Origin, Span};
use crate::event::ast::{EventPatternAst, Rule};
use crate::syntax::ast::{
    Ast, Comparison, Expr, Modifier, Op, Selector, Step, TermPattern, TermText, Test, Value,
};
use crate::syntax::regex::translate;

/// Limits on what a pattern set may compile to; over a limit, compiling fails with an error.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct Limits {
    /// Patterns in one set.
    pub max_patterns: usize,
    /// Bytes of heap one multi-pattern automaton (literals, globs and regexes of one selector, or
    /// the literals and regexes of all term patterns) may take.
    pub max_automaton_bytes: usize,
    /// Globs and regexes on one selector (event-ruler's wildcard complexity: each one is a state
    /// set the automaton tracks together with the others).
    pub max_wildcards_per_selector: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_patterns: 100_000,
            max_automaton_bytes: 64 << 20,
            max_wildcards_per_selector: 10_000,
        }
    }
}

/// Index of a pattern in its set.
pub(crate) type PatternId = u32;

/// The compiled set.
#[derive(Clone, Debug)]
pub(crate) struct Program {
    /// Patterns that match every event.
    pub(crate) match_all: Vec<PatternId>,
    pub(crate) terms: TermProgram,
    pub(crate) json: JsonProgram,
    /// Space-delimited patterns (evaluated by their reference evaluator).
    pub(crate) delimited: Vec<PatternId>,
    /// EventBridge event patterns ([`crate::compile::event`]); their paths are in `json.trie`.
    pub(crate) events: EventProgram,
    pub(crate) prefilter: Option<Arc<Prefilter>>,
}

// ---- terms -------------------------------------------------------------------------------------

#[derive(Clone, Debug, Default)]
pub(crate) struct TermProgram {
    /// Over the non-empty literals of the atoms that trigger some rule or that some rule
    /// excludes; literal `i` is atom `literal_atoms[i]`.
    pub(crate) literals: Option<LiteralSet>,
    pub(crate) literal_atoms: Vec<u32>,
    /// Atom → the literals whose occurrence makes it hold, for the other literal atoms (required
    /// words that trigger no rule; empty for the rest): they are looked for only when a rule is
    /// evaluated that requires them, so that `amazonaws`, in every event and in hundreds of `a
    /// amazonaws` rules, stops no search for the triggers.
    pub(crate) looked_for: Vec<Box<[memmem::Finder<'static>]>>,
    /// All of those literals at once, for an event that needs more than a few of them (rules of
    /// many words); literal `i` is atom `looked_for_atoms[i]`.
    pub(crate) looked_for_all: Option<LiteralSet>,
    pub(crate) looked_for_atoms: Vec<u32>,
    /// The regexes; regex `i` is atom `regex_atoms[i]`.
    pub(crate) regexes: TermRegexes,
    pub(crate) regex_atoms: Vec<u32>,
    /// The empty literal `""` occurs in every event.
    pub(crate) always_atoms: Vec<u32>,
    pub(crate) atom_count: usize,
    pub(crate) rules: Vec<TermRule>,
    /// Atom → the rules it is the trigger of: every rule that can hold is triggered by an atom
    /// that occurs.
    pub(crate) triggers: Vec<Vec<u32>>,
    /// Rules that can hold when no atom occurs (only exclusions).
    pub(crate) untriggered: Vec<u32>,
}

/// How the term patterns' regexes are searched for in an event.
#[derive(Clone, Debug, Default)]
pub(crate) enum TermRegexes {
    #[default]
    None,
    /// A few, each on its own: a search stops at the regex's first match, and skips to the
    /// regex's own literal prefix when that search is fast (the `regex` bench's 16 patterns on
    /// 20,000 events, callgrind: 26% fewer instructions than [`Set`](Self::Set)), or else
    /// passes over its DFA's start state where few bytes leave it ([`TermRegex::Skip`]).
    Each(Vec<TermRegex>),
    /// More: one automaton that reports every regex that matches, in one pass over the event.
    Set(meta::Regex),
}

/// One term regex searched for on its own ([`TermRegexes::Each`]).
#[derive(Clone, Debug)]
pub(crate) enum TermRegex {
    Meta(meta::Regex),
    /// A literal in it and a bounded length ([`InnerDfa`]); the regex answers where a DFA gives up.
    Inner(Box<InnerDfa>, meta::Regex),
    /// No literal to skip to, but few bytes leave its DFA's start state; the regex answers
    /// where the DFA gives up.
    Skip(Box<SkipDfa>, meta::Regex),
}

impl TermRegex {
    /// Whether it matches somewhere in `text`.
    pub(crate) fn is_match(&self, text: &str) -> bool {
        match self {
            TermRegex::Meta(re) => re.is_match(text),
            TermRegex::Inner(dfa, re) => dfa.is_match(text).unwrap_or_else(|| re.is_match(text)),
            TermRegex::Skip(dfa, re) => dfa.is_match(text).unwrap_or_else(|| re.is_match(text)),
        }
    }
}

/// Up to this many term regexes are searched for one by one; more go into one automaton.
const DIRECT_TERM_REGEXES: usize = 8;

#[derive(Clone, Debug)]
pub(crate) struct TermRule {
    pub(crate) pattern: PatternId,
    pub(crate) required: Vec<u32>,
    pub(crate) excluded: Vec<u32>,
    /// Only used when every term of the pattern is optional.
    pub(crate) optional: Vec<u32>,
}

// ---- JSON --------------------------------------------------------------------------------------

#[derive(Clone, Debug, Default)]
pub(crate) struct JsonProgram {
    pub(crate) trie: Trie,
    pub(crate) fields: Vec<FieldProgram>,
    pub(crate) cond_count: usize,
    /// Condition → the rules it appears in.
    pub(crate) cond_rules: Vec<Vec<u32>>,
    pub(crate) rules: Vec<JsonRule>,
    /// Fields with `NOT EXISTS` conditions.
    pub(crate) not_exists_fields: Vec<u32>,
    /// Pattern → the children of the trie's root its selectors start at (empty for a pattern
    /// that is no JSON filter pattern): the top-level members a pattern may read.
    pub(crate) pattern_roots: Vec<Vec<u32>>,
}

#[derive(Clone, Debug)]
pub(crate) struct JsonRule {
    pub(crate) pattern: PatternId,
    pub(crate) expr: CExpr,
}

/// A pattern's boolean tree over condition ids.
#[derive(Clone, Debug)]
pub(crate) enum CExpr {
    And(Vec<CExpr>),
    Or(Vec<CExpr>),
    Cond(u32),
}

impl CExpr {
    pub(crate) fn eval(&self, holds: &[bool]) -> bool {
        match self {
            CExpr::And(xs) => xs.iter().all(|x| x.eval(holds)),
            CExpr::Or(xs) => xs.iter().any(|x| x.eval(holds)),
            CExpr::Cond(c) => holds.get(*c as usize).copied().unwrap_or(false),
        }
    }
}

/// Every selector of the set, as a trie from the root object (node 0), and the event patterns'
/// paths under a root of their own.
#[derive(Clone, Debug)]
pub(crate) struct Trie {
    pub(crate) nodes: Vec<Node>,
    /// The root of the event patterns' flat nodes, if there are event patterns.
    pub(crate) event_root: Option<u32>,
}

impl Default for Trie {
    fn default() -> Trie {
        Trie {
            nodes: vec![Node::default()],
            event_root: None,
        }
    }
}

#[derive(Clone, Debug, Default)]
pub(crate) struct Node {
    pub(crate) members: Members,
    pub(crate) any_member: Option<u32>,
    pub(crate) indices: Vec<(usize, u32)>,
    pub(crate) any_index: Option<u32>,
    /// The field that ends here, if a selector does.
    pub(crate) field: Option<u32>,
    /// An event pattern path's node: arrays are read through (each element at this node) and a
    /// repeated key adds a value ([`crate::compile::event`]).
    pub(crate) flat: bool,
    /// The event pattern path that ends here, if one does.
    pub(crate) event: Option<u32>,
}

/// The children of a trie node by member key. Every key of every object a node reaches is looked
/// up, and nodes have few children: a key whose [`key_bit`] no child has is ruled out with one
/// test (most keys of a CloudTrail record, which share their lengths with the children's, as
/// `eventTime` does with `eventName`), and up to [`Members::FEW`] children are compared one by
/// one (length and eight-byte words first), which costs less than hashing the key; more go in a
/// hash table.
#[derive(Clone, Debug, Default)]
pub(crate) struct Members {
    /// The [`key_bit`] of every key.
    bits: u64,
    few: Vec<(Box<[u8]>, u32)>,
    many: FxHashMap<Box<[u8]>, u32>,
}

impl Members {
    const FEW: usize = 16;

    /// The child of `key`.
    #[inline(always)]
    pub(crate) fn get(&self, key: &[u8]) -> Option<u32> {
        self.get_by_bit(key, key_bit(key))
    }

    /// [`Members::get`], `bit` being `key`'s [`key_bit`].
    #[inline(always)]
    pub(crate) fn get_by_bit(&self, key: &[u8], bit: u64) -> Option<u32> {
        if self.bits & bit == 0 {
            None
        } else {
            self.get_listed(key)
        }
    }

    /// The [`key_bit`]s of the keys.
    pub(crate) fn bits(&self) -> u64 {
        self.bits
    }

    /// [`Members::get`] past the bit test.
    #[inline(never)]
    fn get_listed(&self, key: &[u8]) -> Option<u32> {
        if self.many.is_empty() {
            self.few
                .iter()
                .find(|(k, _)| same_key(k, key))
                .map(|&(_, child)| child)
        } else {
            self.many.get(key).copied()
        }
    }

    /// The child of `key`, which becomes `child` if there is none.
    pub(crate) fn get_or_insert(&mut self, key: &str, child: u32) -> u32 {
        match self.get(key.as_bytes()) {
            Some(old) => old,
            None => {
                self.set(key, child);
                child
            }
        }
    }

    /// Makes `child` the child of `key`.
    pub(crate) fn set(&mut self, key: &str, child: u32) {
        let key = key.as_bytes();
        self.bits |= key_bit(key);
        if let Some(slot) = self.few.iter_mut().find(|(k, _)| **k == *key) {
            slot.1 = child;
        } else if !self.many.is_empty() || self.few.len() == Members::FEW {
            self.many.extend(self.few.drain(..));
            self.many.insert(key.into(), child);
        } else {
            self.few.push((key.into(), child));
        }
    }
}

/// One of 64 bits for `key`, from its length and its first and last eight bytes (fewer for a
/// shorter key): keys that differ in any of them mostly have different bits.
#[inline(always)]
pub(crate) fn key_bit(key: &[u8]) -> u64 {
    let word = |bytes: Option<&[u8; 8]>| bytes.map_or(0, |b| u64::from_le_bytes(*b));
    let (first, last) = match (key.first_chunk::<8>(), key.last_chunk::<8>()) {
        (Some(first), last) => (word(Some(first)), word(last)),
        _ => (key.iter().rev().fold(0, |w, &b| w << 8 | u64::from(b)), 0),
    };
    let mixed =
        (first ^ last.rotate_left(29) ^ key.len() as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    1 << (mixed >> 58)
}

/// `a == b`, for keys: the length, then the first and last eight bytes as words.
#[inline(always)]
fn same_key(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    match (a.first_chunk::<8>(), b.first_chunk::<8>()) {
        (Some(x), Some(y)) => {
            x == y && a.last_chunk::<8>() == b.last_chunk::<8>() && (a.len() <= 16 || a == b)
        }
        _ => a == b,
    }
}

impl Node {
    pub(crate) fn has_indices(&self) -> bool {
        !self.indices.is_empty() || self.any_index.is_some()
    }
}

/// Every test made on one selector.
#[derive(Clone, Debug, Default)]
pub(crate) struct FieldProgram {
    /// Exact text → its matcher.
    pub(crate) exact: FxHashMap<String, u32>,
    /// Globs tested one by one: kind, fixed text, matcher.
    pub(crate) globs: Vec<(GlobKind, String, u32)>,
    /// Globs and regexes; pattern `i` of the automaton is matcher `wild_matchers[i]`.
    pub(crate) wild: Option<meta::Regex>,
    pub(crate) wild_matchers: Vec<u32>,
    /// The matcher of `*` (any scalar), if used.
    pub(crate) any: Option<u32>,
    pub(crate) matcher_count: usize,
    /// Matcher → conditions `= matcher`.
    pub(crate) eq: Vec<Vec<u32>>,
    /// `(matcher, condition)` for conditions `!= matcher`.
    pub(crate) ne: Vec<(u32, u32)>,
    /// `(operator, number, condition)`.
    pub(crate) numeric: Vec<(Op, f64, u32)>,
    pub(crate) is_null: Vec<u32>,
    pub(crate) is_true: Vec<u32>,
    pub(crate) is_false: Vec<u32>,
    pub(crate) not_exists: Vec<u32>,
}

/// What one matcher of a field tests on a value's text.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum Matcher {
    Exact(String),
    Any,
    /// `abc*`, `*abc`, `*abc*`.
    Glob(GlobKind, String),
    /// A regex source in Rust syntax (globs are translated to one).
    Wild(String),
}

/// Where a glob's fixed text must be.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum GlobKind {
    Prefix,
    Suffix,
    Contains,
    /// The whole text (a regex `^abc$`; a glob without `*` is an exact string instead).
    Whole,
}

impl GlobKind {
    pub(crate) fn matches(self, text: &str, fixed: &str) -> bool {
        match self {
            GlobKind::Prefix => text.starts_with(fixed),
            GlobKind::Suffix => text.ends_with(fixed),
            GlobKind::Contains => text.contains(fixed),
            GlobKind::Whole => text == fixed,
        }
    }

    /// The glob as a regex in Rust syntax.
    pub(crate) fn regex(self, fixed: &str) -> String {
        let lit = regex_syntax::escape(fixed);
        match self {
            GlobKind::Prefix => format!("^{lit}"),
            GlobKind::Suffix => format!("{lit}$"),
            GlobKind::Contains => lit,
            GlobKind::Whole => format!("^{lit}$"),
        }
    }
}

/// Up to this many globs on a selector are tested one by one; more go into its automaton.
pub(crate) const DIRECT_GLOBS: usize = 16;

/// How a condition is known while compiling, for deduplication.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum CondKey {
    Eq(u32),
    Ne(u32),
    Numeric(Op, u64),
    IsNull,
    IsTrue,
    IsFalse,
    NotExists,
}

/// A parsed pattern of either language.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Source<'a> {
    Filter(&'a Ast),
    Event(&'a EventPatternAst),
}

/// Compiles parsed filter patterns into one program (see [`compile_sources`]).
pub(crate) fn compile(
    patterns: &[&Ast],
    dialect: &Dialect,
    limits: &Limits,
) -> Result<Program, (Option<usize>, Error)> {
    let sources: Vec<Source<'_>> = patterns.iter().map(|a| Source::Filter(a)).collect();
    compile_sources(&sources, dialect, limits)
}

/// Compiles parsed patterns, filter and event patterns alike, into one program. The caller
/// enforces `limits.max_patterns` while it parses (so that it stops early); the automata limits
/// are enforced here.
pub(crate) fn compile_sources(
    patterns: &[Source<'_>],
    dialect: &Dialect,
    limits: &Limits,
) -> Result<Program, (Option<usize>, Error)> {
    let mut b = Builder::default();
    // Each event pattern expanded into its rules once, for its prefilter clauses, its lowering
    // and its precise matcher.
    let mut events: Vec<(PatternId, Vec<Rule>)> = Vec::new();
    let mut needs: Vec<Cnf> = Vec::with_capacity(patterns.len());
    for (id, source) in patterns.iter().enumerate() {
        let pid = id as PatternId;
        let ast = match source {
            Source::Filter(ast) => ast,
            Source::Event(ast) => {
                let rules = ast.rules();
                needs.push(event::needs(&rules));
                events.push((pid, rules));
                continue;
            }
        };
        needs.push(prefilter::needs(ast, dialect));
        match ast {
            Ast::MatchAll(_) => b.match_all.push(pid),
            Ast::Terms(t) if matches_everything(t, dialect) => b.match_all.push(pid),
            Ast::Terms(t) => b.term_rule(pid, t),
            Ast::Json(j) => {
                let expr = b.expr(&j.expr);
                b.json_rules.push(JsonRule { pattern: pid, expr });
                let mut roots = std::mem::take(&mut b.roots);
                roots.sort_unstable();
                roots.dedup();
                b.pattern_roots.resize(id, Vec::new());
                b.pattern_roots.push(roots);
            }
            Ast::Delimited(_) => b.delimited.push(pid),
        }
    }
    let prefilter = prefilter::build_from(needs, limits)
        .map_err(|what| too_large(&what))?
        .map(Arc::new);
    let terms = b.finish_terms(limits)?;
    let events = event::lower_all(&events, &mut b.trie, limits)?;
    let json = b.finish_json(limits)?;
    Ok(Program {
        match_all: b.match_all,
        terms,
        json,
        delimited: b.delimited,
        events,
        prefilter,
    })
}

fn too_large(what: &str) -> (Option<usize>, Error) {
    let kind = ErrorKind::AutomatonTooLarge {
        what: what.to_owned(),
    };
    (
        None,
        Error::new(kind, Origin::FilterPattern, "", Span::default()),
    )
}

#[derive(Default)]
struct Builder {
    match_all: Vec<PatternId>,
    delimited: Vec<PatternId>,
    // terms
    term_atoms: FxHashMap<TermText, u32>,
    term_rules: Vec<TermRule>,
    // JSON
    trie: Trie,
    fields: Vec<FieldBuilder>,
    conds: FxHashMap<(u32, CondKey), u32>,
    json_rules: Vec<JsonRule>,
    /// The root's children that the selectors of the pattern being compiled start at.
    roots: Vec<u32>,
    pattern_roots: Vec<Vec<u32>>,
}

#[derive(Default)]
struct FieldBuilder {
    matchers: FxHashMap<Matcher, u32>,
    program: FieldProgram,
}

impl Builder {
    fn atom(&mut self, text: &TermText) -> u32 {
        // A word and a quoted phrase with the same text are the same literal.
        let key = match text {
            TermText::Word(s) => TermText::Quoted(s.clone()),
            other => other.clone(),
        };
        let next = self.term_atoms.len() as u32;
        *self.term_atoms.entry(key).or_insert(next)
    }

    fn term_rule(&mut self, pattern: PatternId, t: &TermPattern) {
        let all_optional = t.terms.iter().all(|x| x.modifier == Modifier::Optional);
        let mut rule = TermRule {
            pattern,
            required: vec![],
            excluded: vec![],
            optional: vec![],
        };
        for term in &t.terms {
            let atom = self.atom(&term.text);
            match term.modifier {
                Modifier::Required => rule.required.push(atom),
                Modifier::Excluded => rule.excluded.push(atom),
                // Mixed with other terms, `?` terms are ignored.
                Modifier::Optional if all_optional => rule.optional.push(atom),
                Modifier::Optional => {}
            }
        }
        self.term_rules.push(rule);
    }

    fn finish_terms(&mut self, limits: &Limits) -> Result<TermProgram, (Option<usize>, Error)> {
        let mut p = TermProgram {
            atom_count: self.term_atoms.len(),
            ..TermProgram::default()
        };
        // A rule with required atoms holds only when all of them occur, so one of them is enough
        // to trigger it: the one the fewest rules require, so that a common word (`amazonaws`
        // in hundreds of `a amazonaws` rules) does not make every event evaluate every rule
        // that names it. Rules of optional atoms only hold when one of them occurs: each
        // triggers them.
        let mut required_by = vec![0usize; p.atom_count];
        for rule in &self.term_rules {
            for &atom in &rule.required {
                if let Some(n) = required_by.get_mut(atom as usize) {
                    *n += 1;
                }
            }
        }
        p.triggers = vec![Vec::new(); p.atom_count];
        for (i, rule) in self.term_rules.iter().enumerate() {
            let rarest = rule
                .required
                .iter()
                .min_by_key(|&&atom| required_by.get(atom as usize).copied().unwrap_or(0));
            let trigger = match rarest {
                Some(atom) => std::slice::from_ref(atom),
                None => rule.optional.as_slice(),
            };
            if trigger.is_empty() {
                p.untriggered.push(i as u32);
            }
            for &atom in trigger {
                if let Some(list) = p.triggers.get_mut(atom as usize) {
                    list.push(i as u32);
                }
            }
        }
        // Exclusions are searched for too: where one does not occur (the rule can hold), looking
        // for it would read the whole event, where the search passes over it at no cost once its
        // prefix is long. A required word that triggers no rule is looked for: it occurs where
        // the rule can hold, and is found where it first occurs.
        let mut searched: Vec<bool> = p.triggers.iter().map(|t| !t.is_empty()).collect();
        for rule in &self.term_rules {
            for &atom in &rule.excluded {
                if let Some(s) = searched.get_mut(atom as usize) {
                    *s = true;
                }
            }
        }
        p.rules = std::mem::take(&mut self.term_rules);
        p.looked_for = vec![Box::default(); p.atom_count];
        let mut literals = Vec::new();
        let mut looked_for = Vec::new();
        let mut regexes = Vec::new();
        let mut atoms: Vec<(&TermText, &u32)> = self.term_atoms.iter().collect();
        atoms.sort_by_key(|(_, id)| **id);
        for (text, &id) in atoms {
            let words = match text {
                TermText::Word(s) | TermText::Quoted(s) => vec![s.clone()],
                TermText::Regex(r) => {
                    let source = translate(&r.source);
                    // Literals alone, anywhere (`%AccessDenied|UnauthorizedOperation%`), are
                    // searched with the words.
                    let words = literal_globs(&source)
                        .filter(|globs| globs.iter().all(|(kind, _)| *kind == GlobKind::Contains));
                    let Some(words) = words else {
                        regexes.push(source);
                        p.regex_atoms.push(id);
                        continue;
                    };
                    words.into_iter().map(|(_, word)| word).collect()
                }
            };
            if words.iter().any(String::is_empty) {
                p.always_atoms.push(id);
                continue;
            }
            if !searched.get(id as usize).copied().unwrap_or(true) {
                if let Some(finders) = p.looked_for.get_mut(id as usize) {
                    *finders = words
                        .iter()
                        .map(|w| memmem::Finder::new(w).into_owned())
                        .collect();
                }
                for word in words {
                    looked_for.push(word);
                    p.looked_for_atoms.push(id);
                }
                continue;
            }
            for word in words {
                literals.push(word);
                p.literal_atoms.push(id);
            }
        }
        if !literals.is_empty() {
            let set = LiteralSet::new(&literals, limits.max_automaton_bytes)
                .ok_or_else(|| too_large("the term patterns' literals"))?;
            p.literals = Some(set);
        }
        if !looked_for.is_empty() {
            let set = LiteralSet::new(&looked_for, limits.max_automaton_bytes)
                .ok_or_else(|| too_large("the term patterns' literals"))?;
            p.looked_for_all = Some(set);
        }
        let what = "the term patterns' regexes";
        p.regexes = match regexes.len() {
            0 => TermRegexes::None,
            1..=DIRECT_TERM_REGEXES => TermRegexes::Each(
                regexes
                    .iter()
                    .map(|source| term_regex(source, limits, what))
                    .collect::<Result<_, _>>()?,
            ),
            _ => TermRegexes::Set(multi_regex(&regexes, limits, Haystack::Event, what)?),
        };
        Ok(p)
    }

    // ---- JSON ----------------------------------------------------------------------------------

    fn expr(&mut self, expr: &Expr) -> CExpr {
        match expr {
            Expr::And(xs, _) => CExpr::And(xs.iter().map(|x| self.expr(x)).collect()),
            Expr::Or(xs, _) => CExpr::Or(xs.iter().map(|x| self.expr(x)).collect()),
            Expr::Cond(c) => {
                let field = self.field(&c.selector);
                CExpr::Cond(self.condition(field, &c.test))
            }
        }
    }

    /// The field a selector ends at, adding trie nodes as needed.
    fn field(&mut self, selector: &Selector) -> u32 {
        let mut node = 0usize;
        for step in &selector.steps {
            let next = self.trie.nodes.len() as u32;
            let Some(n) = self.trie.nodes.get_mut(node) else {
                break;
            };
            let child = match step {
                Step::Member(m) => n.members.get_or_insert(m, next),
                Step::AnyMember => *n.any_member.get_or_insert(next),
                Step::Index(i) => match n.indices.iter().find(|(j, _)| j == i) {
                    Some((_, c)) => *c,
                    None => {
                        n.indices.push((*i, next));
                        next
                    }
                },
                Step::AnyIndex => *n.any_index.get_or_insert(next),
            };
            if child == next {
                self.trie.nodes.push(Node::default());
            }
            if node == 0 {
                self.roots.push(child);
            }
            node = child as usize;
        }
        let fresh = self.fields.len() as u32;
        let Some(n) = self.trie.nodes.get_mut(node) else {
            return fresh;
        };
        *n.field.get_or_insert(fresh)
    }

    fn condition(&mut self, field: u32, test: &Test) -> u32 {
        if field as usize == self.fields.len() {
            self.fields.push(FieldBuilder::default());
        }
        let key = match test {
            Test::IsNull => CondKey::IsNull,
            Test::IsTrue => CondKey::IsTrue,
            Test::IsFalse => CondKey::IsFalse,
            Test::NotExists => CondKey::NotExists,
            Test::Compare(Comparison {
                op,
                value: Value::Number(n),
                ..
            }) => CondKey::Numeric(*op, n.value.to_bits()),
            Test::Compare(Comparison { op, value, .. }) => {
                let matcher = match value {
                    Value::Regex(r) => Matcher::Wild(translate(&r.source)),
                    Value::Str(glob) => glob_matcher(glob),
                    // Number literals were taken by the arm above.
                    Value::Number(n) => Matcher::Exact(n.text.clone()),
                };
                let matcher = self.matcher(field, matcher);
                if *op == Op::Ne {
                    CondKey::Ne(matcher)
                } else {
                    CondKey::Eq(matcher)
                }
            }
        };
        let next = self.conds.len() as u32;
        let id = *self.conds.entry((field, key.clone())).or_insert(next);
        if id == next {
            if let Some(f) = self.fields.get_mut(field as usize) {
                let p = &mut f.program;
                match key {
                    CondKey::Eq(m) => {
                        if let Some(list) = p.eq.get_mut(m as usize) {
                            list.push(id);
                        }
                    }
                    CondKey::Ne(m) => p.ne.push((m, id)),
                    CondKey::Numeric(op, bits) => p.numeric.push((op, f64::from_bits(bits), id)),
                    CondKey::IsNull => p.is_null.push(id),
                    CondKey::IsTrue => p.is_true.push(id),
                    CondKey::IsFalse => p.is_false.push(id),
                    CondKey::NotExists => p.not_exists.push(id),
                }
            }
        }
        id
    }

    /// The matcher of a string, glob or regex value on a field.
    fn matcher(&mut self, field: u32, matcher: Matcher) -> u32 {
        let Some(f) = self.fields.get_mut(field as usize) else {
            return 0;
        };
        let next = f.matchers.len() as u32;
        let id = *f.matchers.entry(matcher.clone()).or_insert(next);
        if id == next {
            f.program.eq.push(Vec::new());
            f.program.matcher_count += 1;
            match matcher {
                Matcher::Exact(text) => {
                    f.program.exact.insert(text, id);
                }
                Matcher::Any => f.program.any = Some(id),
                Matcher::Glob(..) | Matcher::Wild(_) => {}
            }
        }
        id
    }

    fn finish_json(&mut self, limits: &Limits) -> Result<JsonProgram, (Option<usize>, Error)> {
        let mut fields = Vec::with_capacity(self.fields.len());
        for f in std::mem::take(&mut self.fields) {
            let mut program = f.program;
            let mut globs: Vec<(GlobKind, String, u32)> = Vec::new();
            let mut wild: Vec<(u32, String)> = Vec::new();
            // One per glob or regex, however many globs a regex becomes.
            let wildcards = (f.matchers.keys())
                .filter(|m| matches!(m, Matcher::Glob(..) | Matcher::Wild(_)))
                .count();
            for (m, id) in f.matchers {
                match m {
                    Matcher::Glob(kind, fixed) => globs.push((kind, fixed, id)),
                    Matcher::Wild(source) => match literal_globs(&source) {
                        Some(found) => {
                            globs.extend(found.into_iter().map(|(kind, fixed)| (kind, fixed, id)))
                        }
                        None => wild.push((id, source)),
                    },
                    Matcher::Exact(_) | Matcher::Any => {}
                }
            }
            if globs.len() > DIRECT_GLOBS {
                wild.extend(
                    globs
                        .drain(..)
                        .map(|(kind, fixed, id)| (id, kind.regex(&fixed))),
                );
            }
            globs.sort();
            program.globs = globs;
            wild.sort();
            if wildcards > limits.max_wildcards_per_selector {
                let kind = ErrorKind::WildcardComplexity {
                    count: wildcards,
                    max: limits.max_wildcards_per_selector,
                };
                return Err((
                    None,
                    Error::new(kind, Origin::FilterPattern, "", Span::default()),
                ));
            }
            program.wild_matchers = wild.iter().map(|(id, _)| *id).collect();
            if !wild.is_empty() {
                let sources: Vec<String> = wild.into_iter().map(|(_, s)| s).collect();
                program.wild = Some(multi_regex(
                    &sources,
                    limits,
                    Haystack::Value,
                    "a selector's globs and regexes",
                )?);
            }
            fields.push(program);
        }
        let cond_count = self.conds.len();
        let mut cond_rules = vec![Vec::new(); cond_count];
        for (i, rule) in self.json_rules.iter().enumerate() {
            let mut conds = Vec::new();
            collect_conds(&rule.expr, &mut conds);
            conds.sort_unstable();
            conds.dedup();
            for c in conds {
                if let Some(list) = cond_rules.get_mut(c as usize) {
                    list.push(i as u32);
                }
            }
        }
        let not_exists_fields = fields
            .iter()
            .enumerate()
            .filter(|(_, f)| !f.not_exists.is_empty())
            .map(|(i, _)| i as u32)
            .collect();
        Ok(JsonProgram {
            trie: std::mem::take(&mut self.trie),
            fields,
            cond_count,
            cond_rules,
            rules: std::mem::take(&mut self.json_rules),
            not_exists_fields,
            pattern_roots: std::mem::take(&mut self.pattern_roots),
        })
    }
}

fn collect_conds(expr: &CExpr, out: &mut Vec<u32>) {
    match expr {
        CExpr::And(xs) | CExpr::Or(xs) => xs.iter().for_each(|x| collect_conds(x, out)),
        CExpr::Cond(c) => out.push(*c),
    }
}

/// A regex (Rust syntax) that only ever matches one of a few literals, each perhaps anchored at
/// the start and/or end of the text (`^Create|^Delete`, `Exception$`, `not authorized`,
/// `^2024-0[1-6]-`), as the globs it is equivalent to: a value is then tested with
/// `starts_with`, `ends_with`, `contains` or `==` instead of an automaton (on the `regex` bench,
/// a meta regex costs tens of nanoseconds a call on a value of a few bytes). `None` for any other
/// regex, or more than [`DIRECT_GLOBS`] literals.
///
/// Each branch of the regex's top alternation, its leading `^` and trailing `$` taken off, must
/// be free of look-around and yield an exact, finite literal sequence. regex-syntax guarantees
/// that such a sequence is the branch's whole language ("if every literal in the sequence is
/// exact and the original regex contains zero look-around assertions, then a preference-order
/// multi-substring search of those literals will precisely match a preference-order search of
/// the original regex").
fn literal_globs(source: &str) -> Option<Vec<(GlobKind, String)>> {
    use regex_syntax::hir::{Hir, HirKind, Look};
    let hir = regex_syntax::parse(source).ok()?;
    let branches = match hir.kind() {
        HirKind::Alternation(alts) => alts.as_slice(),
        _ => std::slice::from_ref(&hir),
    };
    let mut globs = Vec::new();
    for branch in branches {
        let mut parts = match branch.kind() {
            HirKind::Concat(parts) => parts.as_slice(),
            _ => std::slice::from_ref(branch),
        };
        let look = |part: Option<&Hir>, want: Look| matches!(part.map(Hir::kind), Some(HirKind::Look(l)) if *l == want);
        let start = look(parts.first(), Look::Start);
        if start {
            parts = parts.get(1..)?;
        }
        let end = look(parts.last(), Look::End);
        if end {
            parts = parts.get(..parts.len() - 1)?;
        }
        let core = Hir::concat(parts.to_vec());
        if !core.properties().look_set().is_empty() {
            return None;
        }
        let seq = Extractor::new().kind(ExtractKind::Prefix).extract(&core);
        if !seq.is_exact() {
            return None;
        }
        let kind = match (start, end) {
            (true, true) => GlobKind::Whole,
            (true, false) => GlobKind::Prefix,
            (false, true) => GlobKind::Suffix,
            (false, false) => GlobKind::Contains,
        };
        for literal in seq.literals()? {
            let fixed = String::from_utf8(literal.as_bytes().to_vec()).ok()?;
            globs.push((kind, fixed));
        }
        if globs.len() > DIRECT_GLOBS {
            return None;
        }
    }
    Some(globs)
}

/// `*` first and/or last is a wildcard: exact, prefix, suffix, contains or anything.
fn glob_matcher(glob: &str) -> Matcher {
    let (lead, core, trail) = crate::syntax::glob::glob_parts(glob);
    let fixed = core.to_owned();
    match (lead, trail) {
        (false, false) => Matcher::Exact(fixed),
        _ if core.is_empty() && lead => Matcher::Any,
        (true, true) => Matcher::Glob(GlobKind::Contains, fixed),
        (true, false) => Matcher::Glob(GlobKind::Suffix, fixed),
        (false, true) => Matcher::Glob(GlobKind::Prefix, fixed),
    }
}

/// The most heap a fully built DFA may take: regex-automata's own default (40 KiB). Building one
/// costs time in proportion to its size (a 64 MiB limit let `%1\d{21,}%` spend 0.7 s and 50 MB
/// determinizing); above it the lazy DFA, which builds only the states an event visits, searches.
const FULL_DFA_BYTES: usize = 40 << 10;
/// The most heap a one-pass DFA may take: regex-automata's own default (1 MiB).
const ONEPASS_DFA_BYTES: usize = 1 << 20;
/// The lazy DFA's cache: regex-automata's own default (2 MiB).
const LAZY_DFA_CACHE_BYTES: usize = 2 << 20;

/// What a multi-regex automaton searches.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Haystack {
    /// A whole event (the term patterns' regexes): searched for a literal prefix first when
    /// that search is fast ([`fast_prefilter`]).
    Event,
    /// One JSON value of a field: mostly a few dozen bytes, where starting a literal prefilter
    /// costs more than the lazy DFA's scan it would skip (on the `regex` bench's CloudTrail
    /// values, regex-automata's own prefilter took 40% of the time).
    Value,
}

/// The configuration of a multi-regex automaton. The limit on automaton size bounds the NFA,
/// which every search engine is built from; the eagerly built DFAs keep regex-automata's small
/// defaults, so compiling takes time in proportion to the NFA.
fn regex_config(limits: &Limits, prefilter: Option<LiteralSearch>) -> meta::Config {
    let cap = limits.max_automaton_bytes;
    meta::Config::new()
        .match_kind(MatchKind::All)
        .auto_prefilter(false)
        .prefilter(prefilter)
        .utf8_empty(true)
        .which_captures(regex_automata::nfa::thompson::WhichCaptures::None)
        .nfa_size_limit(Some(cap))
        .onepass_size_limit(Some(cap.min(ONEPASS_DFA_BYTES)))
        .dfa_size_limit(Some(cap.min(FULL_DFA_BYTES)))
        .hybrid_cache_capacity(cap.min(LAZY_DFA_CACHE_BYTES))
}

/// A search for the literals one of `sources` must start with, when regex-automata deems it fast
/// (a few literals: memchr, memmem or Teddy). A slow one (an Aho-Corasick automaton over, say,
/// the ten digits that `\d{1,3}\.` may start with) stops the lazy DFA at nearly every byte of an
/// event and cost the `regex` bench 40% of its time; without it the DFA scans on its own.
///
/// The prefixes as extracted may be too many to be fast where shorter ones are: the 100 of
/// `arn:aws:iam::\d{12}:role/` (`\d` is ASCII: ten bytes, cut off after two) left the lazy DFA to
/// scan every byte of every event, where their common prefix `arn:aws:iam::` is one `memmem`.
/// Those are then shortened as regex-syntax does for a leftmost-first search (to a common
/// prefix, or to their first few bytes, dropping those another one is a prefix of). Every match
/// still starts with one of them, whatever the match semantics: a prefilter only has to stop at
/// or before each position where a match may start.
fn fast_prefilter(sources: &[String]) -> Option<LiteralSearch> {
    let mut extractor = Extractor::new();
    extractor.kind(ExtractKind::Prefix);
    let mut prefixes = Seq::empty();
    for source in sources {
        let hir = regex_syntax::parse(source).ok()?;
        prefixes.union(&mut extractor.extract(&hir));
    }
    prefixes.sort();
    prefixes.dedup();
    let fast = |seq: &Seq| {
        let literals = seq.literals()?;
        LiteralSearch::new(MatchKind::All, literals).filter(LiteralSearch::is_fast)
    };
    fast(&prefixes).or_else(|| {
        prefixes.optimize_for_prefix_by_preference();
        fast(&prefixes)
    })
}

/// One term regex, asked only whether it matches (a search stops at its first match state):
/// from the occurrences of a literal in it where it has one and its length is bounded
/// ([`InnerDfa`]), else with a prefilter when it is fast, or else on its [`SkipDfa`] where the
/// DFA's start state can be passed over. (A regex of literals alone is searched with the term
/// patterns' words instead.) Not leftmost-first: regex-automata then picks its reverse-inner strategy
/// for `\d{1,3}\.\d{1,3}…`, which falls back to the PikeVM (a quarter of all instructions on the
/// `regex` bench's events), nor its automatic prefilter (slow ones too).
fn term_regex(
    source: &str,
    limits: &Limits,
    what: &str,
) -> Result<TermRegex, (Option<usize>, Error)> {
    let prefilter = fast_prefilter(&[source.to_owned()]);
    let prefiltered = prefilter.is_some();
    let re = meta::Builder::new()
        .configure(regex_config(limits, prefilter))
        .build(source)
        .map_err(|_| too_large(what))?;
    let cap = limits.max_automaton_bytes;
    if let Some(dfa) = InnerDfa::new(source, cap, cap.min(FULL_DFA_BYTES)) {
        return Ok(TermRegex::Inner(Box::new(dfa), re));
    }
    if prefiltered {
        return Ok(TermRegex::Meta(re));
    }
    Ok(match SkipDfa::new(source, cap, cap.min(FULL_DFA_BYTES)) {
        Some(dfa) => TermRegex::Skip(Box::new(dfa), re),
        None => TermRegex::Meta(re),
    })
}

/// One automaton for many regexes, reporting every one that matches.
pub(crate) fn multi_regex(
    sources: &[String],
    limits: &Limits,
    haystack: Haystack,
    what: &str,
) -> Result<meta::Regex, (Option<usize>, Error)> {
    let prefilter = match haystack {
        Haystack::Event => fast_prefilter(sources),
        Haystack::Value => None,
    };
    let config = regex_config(limits, prefilter);
    meta::Builder::new()
        .configure(config)
        .build_many(sources)
        .map_err(|_| too_large(what))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Pattern, PatternSet};

    /// Keys of every length up to 40 (short ones packed into one word, long ones compared
    /// whole), in a list and in a hash table: each is found, and a key one byte off (at its
    /// start, middle or end) or one byte longer or shorter is not.
    #[test]
    fn members_find_their_keys_and_no_other() {
        let keys: Vec<String> = (0..=40)
            .map(|n| {
                (0..n)
                    .map(|i| char::from(b'a' + (i * 7 % 26) as u8))
                    .collect()
            })
            .collect();
        for count in [1, 5, Members::FEW, Members::FEW + 1, keys.len()] {
            let mut members = Members::default();
            for (child, key) in keys.iter().take(count).enumerate() {
                members.set(key, child as u32);
            }
            for (child, key) in keys.iter().enumerate() {
                let want = (child < count).then_some(child as u32);
                assert_eq!(members.get(key.as_bytes()), want, "{key:?} of {count}");
                let mut near = key.clone().into_bytes();
                for at in [0, near.len() / 2, near.len().saturating_sub(1)] {
                    if at < near.len() {
                        near[at] = b'Z';
                        assert_eq!(members.get(&near), None, "{near:?} of {count}");
                        near[at] = key.as_bytes()[at];
                    }
                }
                near.push(b'a');
                let longer = keys.iter().take(count).position(|k| k.as_bytes() == near);
                assert_eq!(members.get(&near), longer.map(|c| c as u32));
            }
        }
    }

    /// Found by `engine_vs_reference` (`%1\d{21,}% d`: over 10 seconds in the coverage build,
    /// 0.7 s and 50 MB in a release build; `parse/counted-class` in the benches). Searched
    /// anywhere in the text, `1\d{21,}`'s DFA must remember which of the last 21 characters
    /// were a `1` that could start a match: 2^21 states. With the full-DFA limit at the
    /// automaton limit (64 MiB), regex-automata determinized up to that size before giving the
    /// full DFA up. The eagerly built DFAs now keep regex-automata's defaults whatever the
    /// automaton limit, and the answers stay the reference evaluator's.
    #[test]
    fn counted_class_overlapping_its_prefix_builds_no_large_full_dfa() {
        for limits in [
            Limits::default(),
            Limits {
                max_automaton_bytes: usize::MAX,
                ..Limits::default()
            },
        ] {
            let config = regex_config(&limits, None);
            assert_eq!(config.get_dfa_size_limit(), Some(40 << 10));
            assert_eq!(config.get_onepass_size_limit(), Some(1 << 20));
            assert_eq!(
                config.get_nfa_size_limit(),
                Some(limits.max_automaton_bytes)
            );
        }
        let text = r"%1\d{21,}% d";
        let set = PatternSet::new([text, r#"{ $.n = %1\d{21,}% }"#]).unwrap();
        let single = Pattern::new(text).unwrap();
        let digits = |n: usize| "1".repeat(n);
        for (event, want) in [
            (format!("x {} d", digits(22)), vec![0]),
            (format!("x {} d", digits(21)), vec![]),
            (format!("x 1{} d", "٣".repeat(21)), vec![]), // `\d` is ASCII
            (format!(r#"{{"n": "{}"}}"#, digits(30)), vec![1]),
            (format!(r#"{{"n": "{}"}}"#, digits(3)), vec![]),
        ] {
            assert_eq!(set.matches(&event), want, "{event}");
            assert_eq!(single.matches(&event), want == [0], "{event}");
        }
    }

    /// `%arn:aws:iam::\d{12}:role/%` (a `regex` bench term) has 100 prefixes as extracted,
    /// too many to be searched fast; their common prefix is one `memmem`. Without it the lazy DFA
    /// read every byte of every event (8.4 K instructions an event on the bench's events, 1.1 K
    /// with it). The answers do not change: every match starts with a prefix searched for.
    #[test]
    fn too_many_prefixes_are_shortened_to_a_fast_search() {
        let arn = translate(r"arn:aws:iam::\d{12}:role/");
        let search = fast_prefilter(std::slice::from_ref(&arn)).expect("a fast prefilter");
        assert!(search.is_fast());
        // Ten digits at the start still find no fast search: the DFA scans alone.
        assert!(fast_prefilter(&[translate(r"\d{1,3}\.\d{1,3}")]).is_none());
        // Several regexes: the prefixes of all of them.
        let both = [arn.clone(), translate(r"AccessDenied\d{3}")];
        assert!(fast_prefilter(&both).is_some());
        let set = PatternSet::new([
            r"%arn:aws:iam::\d{12}:role/%",
            r"%arn:aws:iam::\d{12}:role/% %AccessDenied\d{3}%",
        ])
        .unwrap();
        let role = r#"{"arn":"arn:aws:iam::123456789012:role/Admin","e":"AccessDenied403"}"#;
        assert_eq!(set.matches(role), [0, 1]);
        let user = r#"{"arn":"arn:aws:iam::123456789012:user/alice","e":"AccessDenied403"}"#;
        assert!(set.matches(user).is_empty());
        let short = "arn:aws:iam::12345678901:role/ arn:aws:iam::123456789012:role/";
        assert_eq!(set.matches(short), [0]);
    }

    /// Regexes that are literals, anchored or not, become the globs they are equivalent to;
    /// any other regex (a class too wide, a repetition, a look-around inside) stays a regex.
    #[test]
    fn literal_regexes_become_globs() {
        use GlobKind::*;
        let globs = |aws: &str| literal_globs(&translate(aws));
        let owned = |list: &[(GlobKind, &str)]| {
            Some(
                list.iter()
                    .map(|(k, s)| (*k, (*s).to_owned()))
                    .collect::<Vec<_>>(),
            )
        };
        assert_eq!(
            globs("^Create|^Delete"),
            owned(&[(Prefix, "Create"), (Prefix, "Delete")])
        );
        assert_eq!(globs("Exception$"), owned(&[(Suffix, "Exception")]));
        assert_eq!(
            globs("not authorized"),
            owned(&[(Contains, "not authorized")])
        );
        assert_eq!(globs("^ConsoleLogin$"), owned(&[(Whole, "ConsoleLogin")]));
        assert_eq!(globs(r"^10\."), owned(&[(Prefix, "10.")]));
        assert_eq!(globs("^1{2}"), owned(&[(Prefix, "11")]));
        assert_eq!(globs("a|ab$"), owned(&[(Contains, "a"), (Suffix, "ab")]));
        assert_eq!(globs("^$"), owned(&[(Whole, "")]));
        assert_eq!(globs("x?$"), owned(&[(Suffix, "x"), (Suffix, "")]));
        assert_eq!(globs("^"), owned(&[(Prefix, "")]));
        assert_eq!(
            globs("^2024-0[1-3]-"),
            owned(&[
                (Prefix, "2024-01-"),
                (Prefix, "2024-02-"),
                (Prefix, "2024-03-")
            ])
        );
        for regex in [
            r"^Describe[A-Z][a-z]+s$",
            r"\d{1,3}",
            r"a.c",
            r"[a-z]",
            r"^a^b",
            r"a$b",
            r"x+$",
            r"[0-9a-f]{2}",
        ] {
            assert_eq!(globs(regex), None, "{regex}");
        }
    }

    /// The program of `patterns`, with the default dialect and limits.
    fn compiled(patterns: &[&str]) -> Program {
        let asts: Vec<Ast> = patterns
            .iter()
            .map(|p| crate::syntax::parse(p).unwrap())
            .collect();
        let refs: Vec<&Ast> = asts.iter().collect();
        compile(&refs, &Dialect::default(), &Limits::default()).unwrap()
    }

    /// A term regex that is literals alone is searched with the words (no regex is left);
    /// `""` and a regex of the empty text occur in every event; an anchored one stays a regex.
    #[test]
    fn literal_term_regexes_are_searched_as_words() {
        let patterns = [
            "%AccessDenied|UnauthorizedOperation%",
            "Access -%Denied%",
            "%x?%",
            "%^\\{%",
        ];
        let program = compiled(&patterns);
        let TermRegexes::Each(left) = &program.terms.regexes else {
            panic!("the anchored regex is left");
        };
        assert_eq!(left.len(), 1);
        let set = PatternSet::new(patterns).unwrap();
        for (event, want) in [
            (r#"{"a":"AccessDenied"}"#, vec![0, 2, 3]),
            (
                r#"{"b":"Access","c":"UnauthorizedOperation"}"#,
                vec![0, 1, 2, 3],
            ),
            (r#" {"a":"Acces"}"#, vec![2]),
        ] {
            assert_eq!(set.matches(event), want, "{event}");
        }
    }

    /// Only the atoms that trigger a rule or that a rule excludes are searched for; the others
    /// (a required word more rules share) are looked for when a rule requiring them is
    /// evaluated, with the same answers.
    #[test]
    fn atoms_that_trigger_no_rule_are_looked_for_not_searched() {
        let patterns = [
            "Describe amazonaws",
            "Get amazonaws %s3|ec2%",
            "Put -Error -%Denied|Refused%",
            "-Tag",
            "?Error ?Warn",
        ];
        let program = compiled(&patterns);
        let terms = &program.terms;
        let looked: Vec<usize> = terms.looked_for.iter().map(|words| words.len()).collect();
        // Atoms in order: Describe, amazonaws, Get, %s3|ec2%, Put, Error, %Denied|Refused%, Tag,
        // Warn.
        assert_eq!(looked, [0, 1, 0, 2, 0, 0, 0, 0, 0]);
        assert_eq!(terms.literal_atoms, [0, 2, 4, 5, 6, 6, 7, 8]);
        assert_eq!(terms.looked_for_atoms, [1, 3, 3]);
        assert_eq!(terms.untriggered, [3]);
        let set = PatternSet::new(patterns).unwrap();
        for (event, want) in [
            ("Describe s3.amazonaws.com", vec![0, 3]),
            ("Describe s3", vec![3]),
            ("Put Get Error amazonaws", vec![3, 4]),
            ("Put Get Error ec2.amazonaws", vec![1, 3, 4]),
            ("Put it", vec![2, 3]),
            ("Put Refused", vec![3]),
            ("Warn Describe", vec![3, 4]),
            ("Tag Warn", vec![4]),
        ] {
            assert_eq!(set.matches(event), want, "{event}");
        }
    }

    /// An event that needs more than a few of the atoms left out of the search looks for all of
    /// them at once, with the same answers.
    #[test]
    fn many_atoms_looked_for_are_looked_for_at_once() {
        let words: Vec<String> = (0..20).map(|i| format!("x{i:02}")).collect();
        // `x00` triggers the first rule (the first of the words the fewest rules require), and
        // the others are looked for: the second rule requires them too.
        let patterns = [words.join(" "), words[1..].join(" ")];
        let set = PatternSet::new(&patterns).unwrap();
        let all = words.join(",");
        for (event, want) in [
            (all.clone(), vec![0, 1]),
            (all.replace("x00", "x"), vec![1]),
            (all.replace("x05", "x"), vec![]),
            (all.replace("x17", "x"), vec![]),
            (words[1..].join(" "), vec![1]),
            (format!("x00 {}", words[..19].join(" ")), vec![]),
        ] {
            assert_eq!(set.matches(&event), want, "{event}");
        }
    }

    /// Term regexes run on an [`InnerDfa`] where they have a literal and a bounded length, else
    /// without a fast prefilter on a [`SkipDfa`] when it helps; a set of more than
    /// [`DIRECT_TERM_REGEXES`] shares one automaton, with the shortened prefixes too.
    #[test]
    fn term_regexes_run_where_they_are_fastest() {
        let limits = Limits::default();
        let built = |source: &str| term_regex(&translate(source), &limits, "").unwrap();
        assert!(matches!(built(r"\d{1,3}\.\d{1,3}"), TermRegex::Inner(..)));
        assert!(matches!(built(r"\d{2}:\d{2}"), TermRegex::Skip(..)));
        assert!(matches!(
            built(r"arn:aws:iam::\d{12}:role/"),
            TermRegex::Inner(..)
        ));
        assert!(matches!(built(r"x\d+"), TermRegex::Meta(_)));
        let mut patterns: Vec<String> = (0..DIRECT_TERM_REGEXES)
            .map(|i| format!("%word{i}x\\d%"))
            .collect();
        patterns.push(r"%arn:aws:iam::\d{12}:role/%".to_owned());
        patterns.push(r"%\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}%".to_owned());
        let set = PatternSet::new(&patterns).unwrap();
        let event = r#"{"arn":"arn:aws:iam::123456789012:role/Admin","ip":"10.0.0.1 word3x7"}"#;
        assert_eq!(
            set.matches(event),
            [3, DIRECT_TERM_REGEXES, DIRECT_TERM_REGEXES + 1]
        );
        let user = r#"{"arn":"arn:aws:iam::123456789012:user/alice","ip":"10.0.0"}"#;
        assert!(set.matches(user).is_empty());
    }

    proptest::proptest! {
        /// A regex made globs answers as the regex on any text: branches of literals, classes,
        /// fixed and open repetitions, anchors where they belong and where they do not, and a
        /// word boundary inside.
        #[test]
        fn literal_globs_agree_with_the_regex(
            branches in proptest::collection::vec(
                (proptest::bool::ANY, proptest::collection::vec(0usize..9, 0..4), proptest::bool::ANY),
                1..4,
            ),
            texts in proptest::collection::vec("[ab1 \\-]{0,8}", 1..12),
        ) {
            const PIECES: [&str; 9] = ["a", "b", "ab", "[ab]", "[[:digit:]]", "a{2}", "b?", r"\b", "-"];
            let source = branches
                .iter()
                .map(|(start, pieces, end)| {
                    let body: String = pieces.iter().map(|&p| PIECES[p]).collect();
                    format!("{}{body}{}", if *start { "^" } else { "" }, if *end { "$" } else { "" })
                })
                .collect::<Vec<_>>()
                .join("|");
            let re = meta::Regex::new(&source).unwrap();
            if let Some(globs) = literal_globs(&source) {
                for text in &texts {
                    let by_globs = globs.iter().any(|(kind, fixed)| kind.matches(text, fixed));
                    proptest::prop_assert_eq!(by_globs, re.is_match(text), "{} on {:?}", source, text);
                }
            }
        }
    }
}
