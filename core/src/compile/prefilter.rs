//! The prefilter: what the raw text of every event a pattern matches must contain, looked for
//! before anything else is read, so that most events are rejected without being scanned.
//!
//! Each pattern needs a conjunction of *clauses*, each satisfied when one of its *atoms* is found:
//! - a **literal** occurs: a term's word, the fixed part of a glob, `null`/`true`/`false` for
//!   `IS …`; where only a JSON string can match, with the quote that delimits it
//!   (`"AccessDenied` for `AccessDenied*`, `UnauthorizedOperation"` for
//!   `*UnauthorizedOperation`), which makes it rarer;
//! - a **key value**: some member `"K"` of the event (at any depth: a superset of where the
//!   selector looks) has a string value in a set: `$.eventName = CreateTrail`. One search for
//!   `"K"` and a hash lookup of the value after it decide a clause of any number of values: a
//!   set of thousands of exact values costs what a set of ten does, where a search for their
//!   literals would run through the whole automaton.
//!
//! Of each pattern's clauses, the one cheapest to look for is chosen (a key already searched,
//! else the literals least likely to be common), and its other clauses are kept where the
//! literals and keys searched anyway decide them. The search: one SIMD multi-literal search
//! (Teddy) over the literals and the keys in quotes (where the keys would take it off SIMD, one
//! `memmem` search per key beside it).
//!
//! Exact by construction: a JSON escape is the only way a matching event can spell what the
//! pattern needs otherwise. An event with `\u` anywhere is never rejected (nor one with any
//! backslash when some literal has a character `\"`, `\\` or `\/` can spell), nor one where a
//! probed key's value is written with an escape (or, for an event pattern's key, is an array):
//! that value may be any of the key's values. It is one hit whatever the number of values, so a
//! line repeating such a key costs its length, not its length times the set's values.

use std::borrow::Cow;

use memchr::memmem::Finder;
use rustc_hash::{FxHashMap, FxHashSet};

use crate::compile::literals::LiteralSet;
use crate::compile::program::{Limits, PatternId};
use crate::dialect::Dialect;
use crate::syntax::ast::{
    Ast, Comparison, Expr, Modifier, Op, Selector, Step, TermPattern, TermText, Test, Value,
};
use crate::syntax::glob::glob_parts;

/// The compiled prefilter.
#[derive(Clone, Debug)]
pub(crate) struct Prefilter {
    /// Literal atoms are `0..texts.len()`.
    pub(crate) literals: Option<LiteralSet>,
    /// The literals searched, in atom order (for `Debug` and the tests).
    #[allow(dead_code)]
    pub(crate) texts: Vec<String>,
    /// Key atoms follow the literals: every atom is below `atom_count`.
    pub(crate) keys: Vec<KeyProbe>,
    /// `literals` also finds the keys: the [`KeyProbe::tail`] of `keys[i]` is its literal
    /// `texts.len() + i` (otherwise each key is searched with its own `finder`).
    pub(crate) keys_in_literals: bool,
    pub(crate) atom_count: usize,
    /// Pattern → its clauses (atom ids), the one it is triggered by first.
    pub(crate) clauses: Vec<Vec<Vec<u32>>>,
    /// Atom → the patterns whose first clause it satisfies.
    pub(crate) triggers: Vec<Vec<PatternId>>,
    /// Some literal has a character a JSON escape other than `\u` can spell (`"`, `\`, `/` or
    /// a control character).
    pub(crate) escape_sensitive: bool,
    /// Tells this prefilter from every other one built in the process (a thread keeps how often
    /// it passes events, see `PrefilterUse` in the engine).
    pub(crate) id: u64,
}

/// The [`Prefilter::id`] of the next prefilter built.
static NEXT_ID: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

/// The values of one key that some clause looks for.
#[derive(Clone, Debug)]
pub(crate) struct KeyProbe {
    /// `K` (for `Debug` and the tests).
    #[allow(dead_code)]
    pub(crate) key: String,
    /// Finds `"K"` (its needle).
    pub(crate) finder: Finder<'static>,
    /// Where the end of `"K"` that the literal search looks for starts: Teddy tells literals
    /// apart by their first bytes, and those of `"eventName"` start every `"event…` key of a
    /// CloudTrail record, where `tName"` is rare. Each occurrence of the end is checked to end
    /// the whole key.
    pub(crate) tail: usize,
    /// Value (as written, no escape) → atom.
    pub(crate) values: FxHashMap<Box<[u8]>, u32>,
    /// An array after the key may hold any of them (event patterns' keys).
    pub(crate) in_arrays: bool,
}

impl KeyProbe {
    fn new(key: &str, in_arrays: bool) -> KeyProbe {
        let quoted = format!("\"{key}\"");
        let mut tail = quoted.len().saturating_sub(KEY_TAIL);
        while !quoted.is_char_boundary(tail) {
            tail -= 1;
        }
        KeyProbe {
            key: key.to_owned(),
            finder: Finder::new(quoted.as_bytes()).into_owned(),
            tail,
            values: FxHashMap::default(),
            in_arrays,
        }
    }

    /// `"K"`.
    pub(crate) fn quoted(&self) -> &[u8] {
        self.finder.needle()
    }

    /// The end of `"K"` that the literal search looks for (`tail` is a char boundary).
    pub(crate) fn tail(&self) -> String {
        let tail = self.quoted().get(self.tail..).unwrap_or_default();
        std::str::from_utf8(tail).unwrap_or_default().to_owned()
    }
}

/// How many bytes of a quoted key the literal search looks for.
const KEY_TAIL: usize = 6;

/// A key's value searched for with its own probe when this many patterns or more select one
/// value of it (fewer are searched as quoted literals).
const KEY_MIN_PATTERNS: usize = 8;

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Atom {
    /// The text occurs; `sensitive`: an escape other than `\u` can spell part of it.
    Lit { text: String, sensitive: bool },
    /// Member `key` has the string `value` (no character of the key is one an escape other
    /// than `\u` can spell); `in_arrays`: or an array holding it (an event pattern's path, which
    /// reads arrays through).
    Key {
        key: String,
        value: String,
        in_arrays: bool,
    },
}

impl Atom {
    /// How the atom is searched as a literal.
    fn literal(&self) -> (Cow<'_, str>, bool) {
        match self {
            Atom::Lit { text, sensitive } => (Cow::Borrowed(text), *sensitive),
            Atom::Key { value, .. } => (["\"", value, "\""].concat().into(), escapable(value)),
        }
    }

    /// Longer literals are rarer (the measure of which clause to search).
    fn len(&self) -> usize {
        match self {
            Atom::Lit { text, .. } => text.len(),
            Atom::Key { value, .. } => value.len() + 2,
        }
    }
}

pub(crate) type Clause = Vec<Atom>;

/// The clauses one pattern needs; empty when it needs nothing searchable.
pub(crate) type Cnf = Vec<Clause>;

/// The prefilter of a set, or `None` when some pattern needs nothing that can be searched for
/// (or its literals are too many for a SIMD search, which would cost about what it saves).
#[cfg(test)]
pub(crate) fn build(
    patterns: &[&Ast],
    dialect: &Dialect,
    limits: &Limits,
) -> Result<Option<Prefilter>, String> {
    let cnfs: Vec<Cnf> = patterns.iter().map(|ast| needs(ast, dialect)).collect();
    build_from(cnfs, limits)
}

/// The prefilter of a set whose patterns need `cnfs` (pattern by pattern).
pub(crate) fn build_from(cnfs: Vec<Cnf>, limits: &Limits) -> Result<Option<Prefilter>, String> {
    if cnfs.is_empty() || cnfs.iter().any(Vec::is_empty) {
        return Ok(None);
    }
    let keys = searched_keys(&cnfs);
    // A key value is looked up with its key's probe when that key is searched, else searched as
    // a literal.
    let probed = |atom: &Atom| matches!(atom, Atom::Key { key, .. } if keys.contains(key.as_str()));

    // Each pattern's chosen clause first, then the others the same searches decide.
    let mut literals: Vec<(String, bool)> = Vec::new();
    let mut literal_ids: FxHashMap<String, u32> = FxHashMap::default();
    let mut chosen: Vec<&Clause> = Vec::with_capacity(cnfs.len());
    for cnf in &cnfs {
        let clause = cnf
            .iter()
            .find(|c| clause_key(c).is_some_and(|k| keys.contains(k)))
            .or_else(|| cnf.iter().max_by_key(|c| rarity(c)));
        let Some(clause) = clause else {
            return Ok(None);
        };
        for atom in clause.iter().filter(|a| !probed(a)) {
            let (text, sensitive) = atom.literal();
            if !literal_ids.contains_key(text.as_ref()) {
                literal_ids.insert(text.to_string(), literals.len() as u32);
                literals.push((text.into_owned(), sensitive));
            }
        }
        chosen.push(clause);
    }
    let mut probes: Vec<KeyProbe> = Vec::new();
    let mut probe_of: FxHashMap<(&str, bool), usize> = FxHashMap::default();
    let mut atom_count = literals.len() as u32;
    // The atom id of an atom the searches decide.
    let mut atom_id = |atom: &'_ Atom| -> Option<u32> {
        let Atom::Key {
            key,
            value,
            in_arrays,
        } = atom
        else {
            return literal_ids.get(atom.literal().0.as_ref()).copied();
        };
        let Some(&key) = keys.get(key.as_str()) else {
            return literal_ids.get(atom.literal().0.as_ref()).copied();
        };
        let p = *probe_of.entry((key, *in_arrays)).or_insert_with(|| {
            probes.push(KeyProbe::new(key, *in_arrays));
            probes.len() - 1
        });
        let probe = probes.get_mut(p)?;
        let id = *probe
            .values
            .entry(value.as_bytes().into())
            .or_insert_with(|| {
                atom_count += 1;
                atom_count - 1
            });
        Some(id)
    };
    let mut clauses: Vec<Vec<Vec<u32>>> = Vec::with_capacity(cnfs.len());
    for (cnf, &first) in cnfs.iter().zip(&chosen) {
        let others = cnf.iter().filter(|c| !std::ptr::eq(*c, first));
        let mut kept: Vec<Vec<u32>> = Vec::new();
        for clause in std::iter::once(first).chain(others) {
            let ids: Option<Vec<u32>> = clause.iter().map(&mut atom_id).collect();
            if let Some(mut ids) = ids {
                ids.sort_unstable();
                ids.dedup();
                kept.push(ids);
            }
        }
        clauses.push(kept);
    }
    let atom_count = atom_count as usize;
    let mut triggers: Vec<Vec<PatternId>> = vec![Vec::new(); atom_count];
    for (p, kept) in clauses.iter().enumerate() {
        for &a in kept.first().into_iter().flatten() {
            if let Some(list) = triggers.get_mut(a as usize) {
                list.push(p as PatternId);
            }
        }
    }
    let escape_sensitive = literals.iter().any(|(_, sensitive)| *sensitive);
    let texts: Vec<String> = literals.into_iter().map(|(text, _)| text).collect();
    // The keys are found in the literals' search when it stays on SIMD: one pass over the
    // event instead of one more per key.
    let folded = (!probes.is_empty())
        .then(|| {
            let with_keys: Vec<String> = texts
                .iter()
                .cloned()
                .chain(probes.iter().map(KeyProbe::tail))
                .collect();
            LiteralSet::new(&with_keys, limits.max_automaton_bytes)
        })
        .flatten()
        .filter(LiteralSet::is_simd);
    let keys_in_literals = folded.is_some();
    let literals = match folded {
        Some(set) => Some(set),
        None if texts.is_empty() => None,
        None => {
            let set = LiteralSet::new(&texts, limits.max_automaton_bytes)
                .ok_or_else(|| "the prefilter's literals".to_owned())?;
            if !set.is_simd() {
                // Without SIMD the search costs about what the scan it would save costs.
                return Ok(None);
            }
            Some(set)
        }
    };
    Ok(Some(Prefilter {
        literals,
        keys_in_literals,
        texts,
        keys: probes,
        atom_count,
        clauses,
        triggers,
        escape_sensitive,
        id: NEXT_ID.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
    }))
}

/// The keys searched with a probe of their own: those of a clause of several values, and those
/// that many patterns select one value of.
fn searched_keys(cnfs: &[Cnf]) -> FxHashSet<&str> {
    let mut single: FxHashMap<&str, usize> = FxHashMap::default();
    let mut keys: FxHashSet<&str> = FxHashSet::default();
    for cnf in cnfs {
        let mut counted = false;
        for clause in cnf {
            let Some(key) = clause_key(clause) else {
                continue;
            };
            if clause.len() > 1 {
                keys.insert(key);
            } else if !counted {
                counted = true;
                *single.entry(key).or_insert(0) += 1;
            }
        }
    }
    keys.extend(
        single
            .into_iter()
            .filter(|&(_, n)| n >= KEY_MIN_PATTERNS)
            .map(|(k, _)| k),
    );
    keys
}

/// The key all atoms of a clause are values of, if they are all key values of one key.
fn clause_key(clause: &Clause) -> Option<&str> {
    let mut key = None;
    for atom in clause {
        match atom {
            Atom::Key { key: k, .. } if key.is_none_or(|key| key == k) => key = Some(k.as_str()),
            _ => return None,
        }
    }
    key
}

/// How rare a clause's atoms are likely to be: its shortest literal's length.
pub(crate) fn rarity(clause: &Clause) -> usize {
    clause.iter().map(Atom::len).min().unwrap_or(0)
}

/// A term pattern that is the dialect's "match everything" `" "`.
pub(crate) fn matches_everything(t: &TermPattern, dialect: &Dialect) -> bool {
    dialect.quoted_space_matches_all
        && t.terms.len() == 1
        && t.terms
            .iter()
            .all(|t| t.modifier == Modifier::Required && t.text == TermText::Quoted(" ".into()))
}

/// What every event the pattern matches contains in its raw text.
pub(crate) fn needs(ast: &Ast, dialect: &Dialect) -> Cnf {
    match ast {
        Ast::MatchAll(_) | Ast::Delimited(_) => Vec::new(),
        Ast::Terms(t) if matches_everything(t, dialect) => Vec::new(),
        Ast::Terms(t) => {
            let literal = |term: &crate::syntax::ast::Term| match &term.text {
                TermText::Word(s) | TermText::Quoted(s) if !s.is_empty() => Some(lit(s.clone())),
                _ => None,
            };
            if t.terms.iter().all(|x| x.modifier == Modifier::Optional) {
                // One of them must occur, unless one cannot be searched for as a literal.
                return t
                    .terms
                    .iter()
                    .map(literal)
                    .collect::<Option<Vec<_>>>()
                    .into_iter()
                    .collect();
            }
            let required = t.terms.iter().filter(|x| x.modifier == Modifier::Required);
            required.filter_map(literal).map(|l| vec![l]).collect()
        }
        Ast::Json(j) => expr_needs(&j.expr),
    }
}

fn lit(text: String) -> Atom {
    let sensitive = escapable(&text);
    Atom::Lit { text, sensitive }
}

/// Whether an escape other than `\u` can spell a character of `text` (`\"`, `\\`, `\/`, `\n`…).
pub(crate) fn escapable(text: &str) -> bool {
    text.chars()
        .any(|c| matches!(c, '"' | '\\' | '/') || c.is_control())
}

fn expr_needs(expr: &Expr) -> Cnf {
    match expr {
        Expr::And(xs, _) => xs.iter().flat_map(expr_needs).collect(),
        // One operand holds: the event holds an atom of some clause of that operand. Take each
        // operand's rarest clause and join them.
        Expr::Or(xs, _) => {
            let mut clause = Vec::new();
            for x in xs {
                match expr_needs(x).into_iter().max_by_key(rarity) {
                    Some(c) => clause.extend(c),
                    None => return Vec::new(),
                }
            }
            clause.dedup();
            vec![clause]
        }
        Expr::Cond(c) => match &c.test {
            Test::Compare(Comparison {
                op: Op::Eq,
                value: Value::Str(glob),
                ..
            }) => glob_needs(&c.selector, glob)
                .map(|a| vec![vec![a]])
                .unwrap_or_default(),
            Test::IsNull => vec![vec![lit("null".into())]],
            Test::IsTrue => vec![vec![lit("true".into())]],
            Test::IsFalse => vec![vec![lit("false".into())]],
            _ => Vec::new(),
        },
    }
}

/// What `selector = glob` needs.
fn glob_needs(selector: &Selector, glob: &str) -> Option<Atom> {
    let (lead, core, trail) = glob_parts(glob);
    if core.is_empty() {
        return None;
    }
    // A value that no number, `true`, `false` or `null` contains can only match a string.
    let strings_only = core
        .chars()
        .any(|c| !"0123456789+-.eEtruefalsn".contains(c));
    if !strings_only {
        return Some(lit(core.to_owned()));
    }
    if !lead && !trail {
        if let Some(Step::Member(key)) = selector.steps.last() {
            if !key.is_empty() && !escapable(key) {
                return Some(Atom::Key {
                    key: key.clone(),
                    value: core.to_owned(),
                    in_arrays: false,
                });
            }
        }
    }
    let sensitive = escapable(core);
    // The quotes around a JSON string are never escaped.
    let open = if lead { "" } else { "\"" };
    let close = if trail { "" } else { "\"" };
    Some(Atom::Lit {
        text: [open, core, close].concat(),
        sensitive,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn prefilter(patterns: &[&str]) -> Option<Prefilter> {
        let dialect = Dialect::default();
        let asts: Vec<Ast> = patterns
            .iter()
            .map(|p| crate::syntax::parse_with(p, &dialect).unwrap())
            .collect();
        let refs: Vec<&Ast> = asts.iter().collect();
        build(&refs, &dialect, &Limits::default()).unwrap()
    }

    /// What is searched: the probed keys and the literals, sorted.
    fn searched(p: &Prefilter) -> (Vec<&str>, Vec<&str>) {
        let mut keys: Vec<&str> = p.keys.iter().map(|k| k.key.as_str()).collect();
        let mut literals: Vec<&str> = p.texts.iter().map(String::as_str).collect();
        keys.sort_unstable();
        literals.sort_unstable();
        (keys, literals)
    }

    /// CIS-style rules: the sets of `eventName` values share one probe, the rest are three rare
    /// literals with their string quotes.
    #[test]
    fn cis_rules_search_one_key_and_three_literals() {
        let p = prefilter(&[
            r#"{ ($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied*") }"#,
            r#"{ $.userIdentity.type = Root && $.userIdentity.invokedBy NOT EXISTS }"#,
            r#"{ ($.eventName = ConsoleLogin) && ($.userIdentity.type = IAMUser) }"#,
            r#"{ ($.eventSource = kms.amazonaws.com) && (($.eventName = DisableKey) || ($.eventName = ScheduleKeyDeletion)) }"#,
            r#"{ ($.eventName = CreateTrail) || ($.eventName = UpdateTrail) || ($.eventName = DeleteTrail) }"#,
        ])
        .unwrap();
        assert_eq!(
            searched(&p),
            (
                vec!["eventName"],
                vec!["\"AccessDenied", "\"Root\"", "UnauthorizedOperation\""]
            )
        );
        assert!(!p.escape_sensitive);
        // ConsoleLogin is looked up with the eventName probe, not searched as a literal.
        assert_eq!(p.keys.first().map(|k| k.values.len()), Some(6));
    }

    /// Ten thousand exact values of one key: one probe and a hash table, no literal.
    #[test]
    fn many_exact_values_share_a_probe() {
        let patterns: Vec<String> = (0..10_000)
            .map(|i| format!("{{ $.eventName = \"Event{i}\" }}"))
            .collect();
        let mut refs: Vec<&str> = patterns.iter().map(String::as_str).collect();
        // A value given again (by a second pattern) is the same atom, which triggers both.
        refs.extend_from_within(..100);
        let p = prefilter(&refs).unwrap();
        assert_eq!(searched(&p), (vec!["eventName"], vec![]));
        assert_eq!(p.atom_count, 10_000);
        assert!(p.triggers.iter().take(100).all(|t| t.len() == 2));
        assert!(p.triggers.iter().skip(100).all(|t| t.len() == 1));
        let probe = p.keys.first().unwrap();
        let mut atoms: Vec<u32> = probe.values.values().copied().collect();
        atoms.sort_unstable();
        assert_eq!(atoms, (0..10_000).collect::<Vec<u32>>());
    }

    /// A few single values are quoted literals; values a number, `true`, `false` or `null` could
    /// match stay bare; `/` makes a literal escape-sensitive; nothing searchable, no prefilter.
    #[test]
    fn literals_are_quoted_only_where_only_a_string_matches() {
        let p = prefilter(&[
            r#"{ $.a = "x/y" }"#,
            r#"{ $.b = "5*" || $.b = "12" || $.c = "tru" }"#,
            r#"{ $.d = "*mid*" && $.e = "end*" }"#,
        ])
        .unwrap();
        assert_eq!(searched(&p).0, Vec::<&str>::new());
        assert_eq!(searched(&p).1, ["\"end", "\"x/y\"", "12", "5", "tru"]);
        assert!(p.escape_sensitive);
        assert!(prefilter(&[r#"{ $.a NOT EXISTS }"#, "ERROR"]).is_none());
        assert!(prefilter(&[r#"{ $.a = "x" || $.b != 1 }"#]).is_none());
    }
}
