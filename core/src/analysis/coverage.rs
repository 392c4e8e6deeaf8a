//! Does a set of metric filters match every event a reference pattern matches? Decided on the
//! patterns' logic, not their text, and answered with a proof, a checked counter-example, or
//! "undecided" and why.
//!
//! # The decision procedure
//!
//! 1. Every JSON pattern is normalised to a disjunction of conjunctions (DNF) of *atoms*, one
//!    atom per distinct condition (`$.eventName = "ConsoleLogin"`, `$.x NOT EXISTS`,
//!    `$.n > 5`). Spelling does not matter: `=ConsoleLogin`, `= "ConsoleLogin"`, extra
//!    parentheses and the order of `||` terms give the same atoms.
//! 2. Each selector (`$.a.b`) is a variable. Its possible values fall into finitely many
//!    classes with respect to the atoms on it: missing, `null`, `true`, `false`, an object, each
//!    string constant, one string for each combination of globs it can match (built from the
//!    globs' fixed parts joined by a character none of them contains, which matches exactly the
//!    globs every such string must match), and, when numbers are compared, one number per
//!    interval between the number constants. One representative per class is kept, and the
//!    truth of every atom on it is computed by the reference evaluator itself.
//! 3. For each conjunction of the reference pattern, a backtracking search over the
//!    representatives looks for an event that satisfies it while every conjunction of every
//!    filter has a false atom. None found: that conjunction is covered (proof by exhaustion).
//!    Found: the event is built and checked with [`Pattern::matches`] — the reference must match
//!    it and every filter must miss it — before it is reported as a counter-example.
//! 4. What the classes cannot describe makes a filter *opaque*: regexes, wildcard or array
//!    selectors, term and space-delimited patterns, numbers compared on a selector that also
//!    has globs. Opaque filters take no part in proofs; a candidate counter-example they match
//!    is set aside, and when only such candidates exist the answer is "undecided".
//!
//! The selectors must name distinct members (no selector may be a prefix of another) so that
//! the variables are independent; a filter that breaks this is opaque too.

use std::collections::HashMap;

use serde::Serialize;
use serde_json::{Map, Value as Json};

use crate::reference::Evaluator;
use crate::syntax::ast::{Ast, Condition, Expr, JsonPattern, Op, Step, Test, Value};
use crate::{Dialect, Error, Pattern, Span};

/// The most conjunctions a pattern's normal form may have before it is left opaque.
pub const MAX_CONJUNCTIONS: usize = 4096;
/// The most search steps spent on one question before answering "undecided".
pub const MAX_STEPS: usize = 2_000_000;
/// The most globs on one selector (their combinations are enumerated).
const MAX_GLOBS: usize = 10;

/// The answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    /// Proven: every event the reference matches, some filter matches.
    Covered,
    /// A counter-example exists, checked with the engine.
    NotCovered,
    /// Beyond the procedure; the reason says why.
    Undecided,
}

impl Status {
    /// `covered`, `not-covered` or `undecided`.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Covered => "covered",
            Status::NotCovered => "not-covered",
            Status::Undecided => "undecided",
        }
    }
}

/// The answer for one reference pattern.
#[derive(Clone, Debug, PartialEq)]
pub struct Verdict {
    /// Covered, not covered or undecided.
    pub status: Status,
    /// For [`Status::NotCovered`], an event the reference matches and every filter misses.
    pub counterexample: Option<Json>,
    /// Why.
    pub reason: String,
    /// The filters (indexes into the list given) that match some event the reference matches.
    pub relevant: Vec<usize>,
}

/// Decides whether the union of `filters` matches every event `reference` matches.
///
/// ```
/// use trailmatch::analysis::coverage::{decide, Status};
///
/// let cis = "{ ($.eventName = ConsoleLogin) && ($.additionalEventData.MFAUsed != Yes) }";
/// let same = r#"{ $.additionalEventData.MFAUsed != "Yes" && $.eventName = "ConsoleLogin" }"#;
/// assert_eq!(decide(cis, &[same])?.status, Status::Covered);
///
/// let narrower = r#"{ $.eventName = "ConsoleLogin" && $.additionalEventData.MFAUsed != "Yes" && $.userIdentity.type != "AssumedRole" }"#;
/// let verdict = decide(cis, &[narrower])?;
/// assert_eq!(verdict.status, Status::NotCovered);
/// let event = verdict.counterexample.unwrap().to_string();
/// assert!(trailmatch::Pattern::new(cis)?.matches(&event));
/// assert!(!trailmatch::Pattern::new(narrower)?.matches(&event));
/// # Ok::<(), trailmatch::Error>(())
/// ```
pub fn decide(reference: &str, filters: &[&str]) -> Result<Verdict, Error> {
    let reference = Pattern::new(reference)?;
    let filters = filters
        .iter()
        .map(|f| Pattern::new(f))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(decide_patterns(&reference, &filters, &[]))
}

/// As [`decide`], on compiled patterns; `names` name the filters in reasons (`#1`, `#2`, … for
/// those without a name).
///
/// A covered verdict lists a smallest set of filters that still covers (each listed filter is
/// needed); the other verdicts list the filters that share a condition with the reference, and
/// those that matched candidate counter-examples.
pub fn decide_patterns(reference: &Pattern, filters: &[Pattern], names: &[String]) -> Verdict {
    let mut verdict = decide_core(reference, filters, names);
    if verdict.status != Status::Covered || verdict.relevant.len() <= 1 {
        return verdict;
    }
    let covers = |subset: &[usize]| {
        let chosen: Vec<Pattern> = subset
            .iter()
            .filter_map(|&i| filters.get(i).cloned())
            .collect();
        decide_core(reference, &chosen, &[]).status == Status::Covered
    };
    let mut keep: Vec<usize> = if covers(&verdict.relevant) {
        verdict.relevant.clone()
    } else {
        (0..filters.len()).collect()
    };
    let mut i = 0;
    while i < keep.len() {
        let mut fewer = keep.clone();
        fewer.remove(i);
        if covers(&fewer) {
            keep = fewer;
        } else {
            i += 1;
        }
    }
    verdict.relevant = keep;
    verdict
}

fn decide_core(reference: &Pattern, filters: &[Pattern], names: &[String]) -> Verdict {
    let mut pool = Pool::default();
    let ref_dnf = match pool
        .add(reference.ast())
        .and_then(|d| pool.check().map(|()| d))
    {
        Ok(d) => d,
        Err(why) => {
            return Verdict {
                status: Status::Undecided,
                counterexample: None,
                reason: format!("the reference pattern is beyond the procedure: {why}"),
                relevant: Vec::new(),
            };
        }
    };
    // Filters join the pool one by one; one the pool cannot take stays opaque.
    let mut symbolic: Vec<(usize, Vec<Vec<usize>>)> = Vec::new();
    let mut opaque: Vec<(usize, String)> = Vec::new();
    for (i, f) in filters.iter().enumerate() {
        if matches!(f.ast(), Ast::MatchAll(_)) {
            return Verdict {
                status: Status::Covered,
                counterexample: None,
                reason: "an empty filter pattern matches every event".into(),
                relevant: vec![i],
            };
        }
        let mut trial = pool.clone();
        match trial.add(f.ast()).and_then(|d| trial.check().map(|()| d)) {
            Ok(dnf) => {
                pool = trial;
                symbolic.push((i, dnf));
            }
            Err(why) => opaque.push((i, why)),
        }
    }
    let space = Space::new(&pool);
    let mut search = Searcher {
        space: &space,
        reference,
        filters,
        names,
        steps: 0,
        blocked: Vec::new(),
        relevant: vec![false; filters.len()],
    };
    search.run(&ref_dnf, &symbolic, &opaque)
}

// ---- atoms and normal forms --------------------------------------------------------------------

#[derive(Clone, Debug, Default)]
struct Pool {
    /// Member paths (and, when `allow_index`, array indexes).
    selectors: Vec<Vec<Step>>,
    /// Accept `[n]` steps (for questions about one selector at a time).
    allow_index: bool,
    /// `(selector, condition)`.
    atoms: Vec<(usize, Condition)>,
    keys: HashMap<String, usize>,
}

impl Pool {
    /// The pattern's DNF over the pool's atoms, or why it cannot be expressed.
    fn add(&mut self, ast: &Ast) -> Result<Vec<Vec<usize>>, String> {
        match ast {
            Ast::MatchAll(_) => Ok(vec![Vec::new()]),
            Ast::Json(j) => self.dnf(&j.expr),
            Ast::Terms(_) => Err("it is a term pattern, which searches the raw text".into()),
            Ast::Delimited(_) => {
                Err("it is a space-delimited pattern, which splits the raw text into fields".into())
            }
        }
    }

    fn dnf(&mut self, expr: &Expr) -> Result<Vec<Vec<usize>>, String> {
        match expr {
            Expr::Cond(c) => Ok(vec![vec![self.atom(c)?]]),
            Expr::Or(xs, _) => {
                let mut out = Vec::new();
                for x in xs {
                    out.extend(self.dnf(x)?);
                    if out.len() > MAX_CONJUNCTIONS {
                        return Err(too_many());
                    }
                }
                Ok(out)
            }
            Expr::And(xs, _) => {
                let mut out: Vec<Vec<usize>> = vec![Vec::new()];
                for x in xs {
                    let right = self.dnf(x)?;
                    if out.len().saturating_mul(right.len()) > MAX_CONJUNCTIONS {
                        return Err(too_many());
                    }
                    out = out
                        .iter()
                        .flat_map(|l| {
                            right.iter().map(move |r| {
                                let mut c: Vec<usize> = l.iter().chain(r).copied().collect();
                                c.sort_unstable();
                                c.dedup();
                                c
                            })
                        })
                        .collect();
                }
                Ok(out)
            }
        }
    }

    fn atom(&mut self, c: &Condition) -> Result<usize, String> {
        let key = c.to_string();
        if let Some(&id) = self.keys.get(&key) {
            return Ok(id);
        }
        let mut path = Vec::new();
        for step in &c.selector.steps {
            match step {
                Step::Member(_) => path.push(step.clone()),
                Step::Index(_) if self.allow_index => path.push(step.clone()),
                Step::Index(_) => return Err(format!("it uses the array selector {}", c.selector)),
                Step::AnyMember | Step::AnyIndex => {
                    return Err(format!("it uses the wildcard selector {}", c.selector));
                }
            }
        }
        if let Test::Compare(cmp) = &c.test {
            if matches!(cmp.value, Value::Regex(_)) {
                return Err(format!("it uses a regex: {c}"));
            }
        }
        let sel = match self.selectors.iter().position(|s| *s == path) {
            Some(s) => s,
            None => {
                self.selectors.push(path);
                self.selectors.len() - 1
            }
        };
        self.atoms.push((sel, c.clone()));
        self.keys.insert(key, self.atoms.len() - 1);
        Ok(self.atoms.len() - 1)
    }

    /// The pool's selectors are independent and each selector's atoms are within the classes.
    fn check(&self) -> Result<(), String> {
        for (i, a) in self.selectors.iter().enumerate() {
            for b in self.selectors.iter().skip(i + 1) {
                let (short, long) = if a.len() <= b.len() { (a, b) } else { (b, a) };
                if long.starts_with(short) {
                    return Err(format!(
                        "it uses the selector {} inside {}",
                        path_text(long),
                        path_text(short)
                    ));
                }
            }
        }
        for sel in 0..self.selectors.len() {
            let shape = self.shape(sel);
            if shape.numbers.is_some() && (!shape.globs.is_empty() || shape.numeric_constant) {
                return Err(format!(
                    "it compares {} both with numbers and with text that may be a number",
                    path_text(self.selectors.get(sel).map_or(&[][..], |s| s))
                ));
            }
            if shape.globs.len() > MAX_GLOBS {
                return Err(format!(
                    "it gives {} more than {MAX_GLOBS} globs",
                    path_text(self.selectors.get(sel).map_or(&[][..], |s| s))
                ));
            }
        }
        Ok(())
    }

    /// A test that pins the value down: `=` a constant or a glob with a fixed part, `IS TRUE`,
    /// `IS FALSE`, `IS NULL`.
    fn positive(&self, atom: usize) -> bool {
        match self.atoms.get(atom).map(|(_, c)| &c.test) {
            Some(Test::Compare(cmp)) if cmp.op == Op::Eq => match &cmp.value {
                Value::Str(s) => !Glob::of(s).core().is_empty(),
                Value::Number(_) => true,
                Value::Regex(_) => false,
            },
            Some(Test::IsTrue | Test::IsFalse | Test::IsNull) => true,
            _ => false,
        }
    }

    fn shape(&self, sel: usize) -> Shape {
        let mut shape = Shape::default();
        for (_, c) in self.atoms.iter().filter(|(s, _)| *s == sel) {
            let Test::Compare(cmp) = &c.test else {
                continue;
            };
            match &cmp.value {
                Value::Number(n) => shape.numbers.get_or_insert_with(Vec::new).push(n.value),
                Value::Str(s) => match Glob::of(s) {
                    Glob::Exact(c) => {
                        shape.numeric_constant |= crate::number::parse(&c).is_some();
                        shape.constants.push(c);
                    }
                    Glob::Prefix(c) | Glob::Suffix(c) | Glob::Infix(c) if c.is_empty() => {}
                    g => {
                        if !shape.globs.contains(&g) {
                            shape.globs.push(g);
                        }
                    }
                },
                Value::Regex(_) => {}
            }
        }
        shape
    }
}

fn too_many() -> String {
    format!("its normal form has more than {MAX_CONJUNCTIONS} conjunctions")
}

fn path_text(path: &[Step]) -> String {
    crate::syntax::ast::Selector {
        steps: path.to_vec(),
        span: Span::default(),
    }
    .to_string()
}

/// What is compared on one selector.
#[derive(Clone, Debug, Default)]
struct Shape {
    constants: Vec<String>,
    globs: Vec<Glob>,
    numbers: Option<Vec<f64>>,
    numeric_constant: bool,
}

/// A string value as a glob: `*` as first and/or last character is a wildcard (see
/// `syntax::glob::glob_match`).
#[derive(Clone, Debug, PartialEq, Eq)]
enum Glob {
    Exact(String),
    Prefix(String),
    Suffix(String),
    Infix(String),
}

impl Glob {
    fn of(glob: &str) -> Glob {
        let (lead, core, trail) = crate::syntax::glob::glob_parts(glob);
        let core = core.to_owned();
        match (lead, trail) {
            (true, true) => Glob::Infix(core),
            (true, false) => Glob::Suffix(core),
            (false, true) => Glob::Prefix(core),
            (false, false) => Glob::Exact(core),
        }
    }

    fn core(&self) -> &str {
        match self {
            Glob::Exact(c) | Glob::Prefix(c) | Glob::Suffix(c) | Glob::Infix(c) => c,
        }
    }
}

// ---- the value classes -------------------------------------------------------------------------

/// A selector's value in a candidate event: missing, or a JSON value.
type Rep = Option<Json>;

/// The representatives of every selector and the truth of every atom on them.
struct Space<'p> {
    pool: &'p Pool,
    /// Per selector, its representatives.
    reps: Vec<Vec<Rep>>,
    /// Per atom, its truth on each representative of its selector.
    truth: Vec<Vec<bool>>,
}

impl<'p> Space<'p> {
    fn new(pool: &'p Pool) -> Space<'p> {
        let evaluators: Vec<Option<Evaluator>> = pool
            .atoms
            .iter()
            .map(|(_, c)| {
                let ast = Ast::Json(JsonPattern {
                    expr: Expr::Cond(c.clone()),
                    span: Span::default(),
                });
                Evaluator::new(ast, "", Dialect::default()).ok()
            })
            .collect();
        let mut reps = Vec::new();
        let mut truth = vec![Vec::new(); pool.atoms.len()];
        for (sel, path) in pool.selectors.iter().enumerate() {
            let on_sel: Vec<usize> = (0..pool.atoms.len())
                .filter(|&a| pool.atoms.get(a).is_some_and(|(s, _)| *s == sel))
                .collect();
            let mut kept: Vec<Rep> = Vec::new();
            let mut seen: Vec<Vec<bool>> = Vec::new();
            for rep in candidates(&pool.shape(sel)) {
                let event = nest(path, rep.as_ref()).to_string();
                let vector: Vec<bool> = on_sel
                    .iter()
                    .map(|&a| {
                        evaluators
                            .get(a)
                            .and_then(Option::as_ref)
                            .is_some_and(|e| e.test(&event).is_some())
                    })
                    .collect();
                if seen.contains(&vector) {
                    continue;
                }
                for (&a, &t) in on_sel.iter().zip(&vector) {
                    if let Some(column) = truth.get_mut(a) {
                        column.push(t);
                    }
                }
                seen.push(vector);
                kept.push(rep);
            }
            reps.push(kept);
        }
        Space { pool, reps, truth }
    }

    fn selector_of(&self, atom: usize) -> usize {
        self.pool.atoms.get(atom).map_or(0, |(s, _)| *s)
    }

    fn holds(&self, atom: usize, rep: usize) -> bool {
        self.truth
            .get(atom)
            .and_then(|t| t.get(rep))
            .copied()
            .unwrap_or(false)
    }
}

/// `{"a": {"b": value}}` for the path `a.b`, `{"a": [null, value]}` for `a[1]`; `{}` for a
/// missing value.
fn nest(path: &[Step], value: Option<&Json>) -> Json {
    let Some(value) = value else {
        return Json::Object(Map::new());
    };
    let mut inner = value.clone();
    for step in path.iter().rev() {
        inner = match step {
            Step::Member(m) => {
                let mut outer = Map::new();
                outer.insert(m.clone(), inner);
                Json::Object(outer)
            }
            Step::Index(i) => {
                let mut items = vec![Json::Null; *i];
                items.push(inner);
                Json::Array(items)
            }
            Step::AnyMember | Step::AnyIndex => return Json::Object(Map::new()),
        };
    }
    inner
}

/// Merges `value` at `path` into `event`.
fn insert(event: &mut Map<String, Json>, path: &[Step], value: &Json) {
    let names: Vec<&String> = path
        .iter()
        .filter_map(|s| match s {
            Step::Member(m) => Some(m),
            _ => None,
        })
        .collect();
    let Some((last, parents)) = names.split_last() else {
        return;
    };
    let mut node = event;
    for p in parents {
        let entry = node
            .entry((*p).clone())
            .or_insert_with(|| Json::Object(Map::new()));
        if !entry.is_object() {
            *entry = Json::Object(Map::new());
        }
        let Json::Object(next) = entry else { return };
        node = next;
    }
    node.insert((*last).clone(), value.clone());
}

/// Candidate values for a selector, most readable first: every class of section 2 of the
/// module documentation has one.
fn candidates(shape: &Shape) -> Vec<Rep> {
    // Missing first: when another value falls in the same class, the counter-example leaves
    // the selector out rather than naming a value that does not matter.
    let mut out: Vec<Rep> = vec![None];
    let text = |s: &str| Some(Json::String(s.to_owned()));
    for c in &shape.constants {
        out.push(text(c));
    }
    for g in &shape.globs {
        out.push(text(g.core()));
    }
    out.push(text("other"));
    // A separator no constant or glob contains: no fixed part can match across it.
    let used: String = shape
        .constants
        .iter()
        .map(String::as_str)
        .chain(shape.globs.iter().map(Glob::core))
        .collect();
    let sep = [
        '~', '^', '|', '#', '_', '!', '@', ';', '&', 'q', 'z', '\u{E000}',
    ]
    .into_iter()
    .find(|c| !used.contains(*c))
    .unwrap_or('\u{E001}')
    .to_string();
    let k = shape.globs.len();
    for mask in 0u32..(1u32 << k) {
        let chosen: Vec<&Glob> = shape
            .globs
            .iter()
            .enumerate()
            .filter(|(i, _)| mask & (1 << i) != 0)
            .map(|(_, g)| g)
            .collect();
        let longest = |pick: fn(&Glob) -> Option<&str>, fits: fn(&str, &str) -> bool| {
            let parts: Vec<&str> = chosen.iter().filter_map(|g| pick(g)).collect();
            let best = parts.iter().max_by_key(|p| p.len()).copied().unwrap_or("");
            parts.iter().all(|p| fits(best, p)).then_some(best)
        };
        let Some(prefix) = longest(
            |g| matches!(g, Glob::Prefix(_)).then(|| g.core()),
            |best, p| best.starts_with(p),
        ) else {
            continue;
        };
        let Some(suffix) = longest(
            |g| matches!(g, Glob::Suffix(_)).then(|| g.core()),
            |best, p| best.ends_with(p),
        ) else {
            continue;
        };
        let mut parts = vec![prefix];
        parts.extend(
            chosen
                .iter()
                .filter(|g| matches!(g, Glob::Infix(_)))
                .map(|g| g.core()),
        );
        parts.push(suffix);
        out.push(text(&parts.join(&sep)));
    }
    if let Some(numbers) = &shape.numbers {
        let mut ns: Vec<f64> = numbers.iter().copied().filter(|n| n.is_finite()).collect();
        ns.sort_by(f64::total_cmp);
        ns.dedup();
        let mut values = Vec::new();
        if let (Some(&first), Some(&last)) = (ns.first(), ns.last()) {
            // One number below and one above them all (the extreme doubles when stepping
            // away overflows).
            let below = first - first.abs().max(1.0);
            let above = last + last.abs().max(1.0);
            values.push(if below.is_finite() { below } else { f64::MIN });
            values.push(if above.is_finite() { above } else { f64::MAX });
        }
        for (i, &n) in ns.iter().enumerate() {
            values.push(n);
            if let Some(&next) = ns.get(i + 1) {
                values.push(n / 2.0 + next / 2.0);
            }
        }
        out.extend(values.into_iter().map(number_json));
    }
    out.push(Some(Json::Bool(true)));
    out.push(Some(Json::Bool(false)));
    out.push(Some(Json::Null));
    out.push(Some(Json::Object(Map::new())));
    out
}

fn number_json(v: f64) -> Rep {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        let text = format!("{v:.0}");
        if let Ok(i) = text.parse::<i64>() {
            return Some(Json::from(i));
        }
    }
    serde_json::Number::from_f64(v).map(Json::Number)
}

// ---- the search --------------------------------------------------------------------------------

struct Searcher<'s, 'p> {
    space: &'s Space<'p>,
    reference: &'s Pattern,
    filters: &'s [Pattern],
    names: &'s [String],
    steps: usize,
    /// Candidates an opaque filter matched: (filter, event).
    blocked: Vec<(usize, Json)>,
    relevant: Vec<bool>,
}

/// How a search ended.
enum End {
    /// A counter-example, checked.
    Found(Json),
    /// Exhausted: no counter-example among the representatives.
    Exhausted,
    /// Out of steps, or a candidate that did not check.
    GaveUp(String),
}

/// A conjunction of a filter: its filter and its atoms.
struct Clause {
    filter: usize,
    atoms: Vec<usize>,
}

impl Searcher<'_, '_> {
    fn run(
        &mut self,
        reference: &[Vec<usize>],
        symbolic: &[(usize, Vec<Vec<usize>>)],
        opaque: &[(usize, String)],
    ) -> Verdict {
        let space = self.space;
        let sels = space.reps.len();
        let mut gave_up = None;
        let mut any = false;
        for conjunction in reference {
            // The representatives each selector may take under this conjunction.
            let allowed: Vec<Vec<usize>> = (0..sels)
                .map(|s| {
                    (0..space.reps.get(s).map_or(0, Vec::len))
                        .filter(|&r| {
                            conjunction
                                .iter()
                                .filter(|&&a| space.selector_of(a) == s)
                                .all(|&a| space.holds(a, r))
                        })
                        .collect()
                })
                .collect();
            if allowed.iter().any(Vec::is_empty) {
                continue; // this conjunction can never hold
            }
            // A selector the conjunction leaves free is tried missing first: counter-examples
            // then name only what matters.
            let allowed: Vec<Vec<usize>> = allowed
                .into_iter()
                .enumerate()
                .map(|(s, mut reps)| {
                    let free = !conjunction.iter().any(|&a| space.selector_of(a) == s);
                    let missing = space
                        .reps
                        .get(s)
                        .and_then(|r| r.iter().position(Option::is_none));
                    if let (true, Some(m)) = (free, missing) {
                        reps.retain(|&r| r != m);
                        reps.insert(0, m);
                    }
                    reps
                })
                .collect();
            any = true;
            let clauses: Vec<Clause> = symbolic
                .iter()
                .flat_map(|(f, dnf)| {
                    dnf.iter().map(|atoms| Clause {
                        filter: *f,
                        atoms: atoms.clone(),
                    })
                })
                .filter(|c| {
                    c.atoms.iter().all(|&a| {
                        allowed
                            .get(space.selector_of(a))
                            .is_some_and(|rs| rs.iter().any(|&r| space.holds(a, r)))
                    })
                })
                .collect();
            // A filter shares a condition with the reference when one of its conjunctions that
            // can hold here has a positive test the reference conjunction has too.
            for c in &clauses {
                let shares = c
                    .atoms
                    .iter()
                    .any(|a| conjunction.contains(a) && space.pool.positive(*a));
                if let (true, Some(r)) = (shares, self.relevant.get_mut(c.filter)) {
                    *r = true;
                }
            }
            match self.search(&allowed, &clauses) {
                End::Found(event) => {
                    let names = self.filters.len();
                    return Verdict {
                        status: Status::NotCovered,
                        counterexample: Some(event),
                        reason: if names == 0 {
                            "no metric filter with an alarm".into()
                        } else {
                            format!(
                                "the counter-example matches the reference pattern and none of the {names} filter(s) with an alarm"
                            )
                        },
                        relevant: self.relevant_list(),
                    };
                }
                End::Exhausted => {}
                End::GaveUp(why) => {
                    gave_up.get_or_insert(why);
                }
            }
        }
        if let Some(why) = gave_up {
            return self.undecided(why);
        }
        if let Some((f, event)) = self.blocked.first() {
            let why = opaque
                .iter()
                .find(|(o, _)| o == f)
                .map_or(String::new(), |(_, w)| w.clone());
            let why = format!(
                "{} matched every candidate counter-example (such as {event}), and the procedure cannot reason about it: {why}",
                self.name(*f)
            );
            return self.undecided(why);
        }
        Verdict {
            status: Status::Covered,
            counterexample: None,
            reason: if any {
                "every event the reference pattern matches is matched by these filters".into()
            } else {
                "the reference pattern matches no event".into()
            },
            relevant: self.relevant_list(),
        }
    }

    fn name(&self, f: usize) -> String {
        match self.names.get(f) {
            Some(n) => format!("filter {n}"),
            None => format!("filter #{}", f + 1),
        }
    }

    fn undecided(&self, reason: String) -> Verdict {
        Verdict {
            status: Status::Undecided,
            counterexample: None,
            reason,
            relevant: self.relevant_list(),
        }
    }

    fn relevant_list(&self) -> Vec<usize> {
        let mut out: Vec<usize> = self
            .relevant
            .iter()
            .enumerate()
            .filter(|(_, r)| **r)
            .map(|(i, _)| i)
            .collect();
        out.extend(self.blocked.iter().map(|(f, _)| *f));
        out.sort_unstable();
        out.dedup();
        out
    }

    /// Looks for an assignment under `allowed` that falsifies every clause.
    fn search(&mut self, allowed: &[Vec<usize>], clauses: &[Clause]) -> End {
        let space = self.space;
        // Variables: the selectors the clauses use, most used first.
        let mut uses = vec![0usize; allowed.len()];
        for c in clauses {
            for &a in &c.atoms {
                if let Some(u) = uses.get_mut(space.selector_of(a)) {
                    *u += 1;
                }
            }
        }
        let mut vars: Vec<usize> = (0..allowed.len())
            .filter(|&s| uses.get(s).is_some_and(|&u| u > 0))
            .collect();
        vars.sort_by_key(|&s| std::cmp::Reverse(uses.get(s).copied().unwrap_or(0)));
        let position: HashMap<usize, usize> =
            vars.iter().enumerate().map(|(i, &s)| (s, i)).collect();
        // Each clause is decided once its last variable is assigned.
        let last: Vec<usize> = clauses
            .iter()
            .map(|c| {
                c.atoms
                    .iter()
                    .filter_map(|&a| position.get(&space.selector_of(a)).copied())
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        let mut assignment: Vec<Option<usize>> = vec![None; allowed.len()];
        let live: Vec<usize> = (0..clauses.len()).collect();
        self.descend(allowed, clauses, &vars, &last, 0, &mut assignment, live)
    }

    #[allow(clippy::too_many_arguments)]
    fn descend(
        &mut self,
        allowed: &[Vec<usize>],
        clauses: &[Clause],
        vars: &[usize],
        last: &[usize],
        depth: usize,
        assignment: &mut Vec<Option<usize>>,
        live: Vec<usize>,
    ) -> End {
        let space = self.space;
        if live.is_empty() {
            return self.candidate(allowed, assignment);
        }
        let Some(&var) = vars.get(depth) else {
            // Every variable is set and a clause is still alive: it holds, so this branch is
            // covered.
            return End::Exhausted;
        };
        for &rep in allowed.get(var).map_or(&[][..], Vec::as_slice) {
            self.steps += 1;
            if self.steps > MAX_STEPS {
                return End::GaveUp(format!(
                    "the search for a counter-example stopped after {MAX_STEPS} steps"
                ));
            }
            if let Some(slot) = assignment.get_mut(var) {
                *slot = Some(rep);
            }
            let still: Vec<usize> = live
                .iter()
                .copied()
                .filter(|&c| {
                    clauses.get(c).is_some_and(|clause| {
                        clause
                            .atoms
                            .iter()
                            .filter(|&&a| space.selector_of(a) == var)
                            .all(|&a| space.holds(a, rep))
                    })
                })
                .collect();
            // A clause whose variables are all set and that is still alive holds.
            if still
                .iter()
                .any(|&c| last.get(c).is_some_and(|&l| l <= depth))
            {
                continue;
            }
            match self.descend(allowed, clauses, vars, last, depth + 1, assignment, still) {
                End::Exhausted => {}
                other => return other,
            }
        }
        if let Some(slot) = assignment.get_mut(var) {
            *slot = None;
        }
        End::Exhausted
    }

    /// Builds the event of an assignment (unset selectors take their first allowed value) and
    /// checks it with the engine.
    fn candidate(&mut self, allowed: &[Vec<usize>], assignment: &[Option<usize>]) -> End {
        let space = self.space;
        let mut event = Map::new();
        for (sel, path) in space.pool.selectors.iter().enumerate() {
            let rep = assignment
                .get(sel)
                .copied()
                .flatten()
                .or_else(|| allowed.get(sel).and_then(|a| a.first().copied()));
            let value = rep.and_then(|r| space.reps.get(sel).and_then(|v| v.get(r)));
            if let Some(Some(value)) = value {
                insert(&mut event, path, value);
            }
        }
        let event = Json::Object(event);
        let text = event.to_string();
        if !self.reference.matches(&text) {
            return End::GaveUp(format!(
                "internal check failed: the reference pattern does not match the candidate {text}"
            ));
        }
        match self.filters.iter().position(|f| f.matches(&text)) {
            None => End::Found(event),
            Some(f) => {
                if self.blocked.iter().all(|(b, _)| *b != f) || self.blocked.len() < 8 {
                    self.blocked.push((f, event));
                }
                // An opaque filter took this candidate (a symbolic one cannot: its clauses are
                // all false here); keep looking.
                End::Exhausted
            }
        }
    }
}

// ---- conditions that can never hold ------------------------------------------------------------

/// Conditions of a JSON pattern that can never hold together.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Contradiction {
    /// A smallest set of conditions on one selector, in one conjunction of the normal form,
    /// that no value satisfies together (the first occurrence of each, in pattern order).
    pub(crate) conditions: Vec<Condition>,
}

/// The contradictions of a JSON condition tree, and whether every one of the several
/// conjunctions of its normal form has one (then the pattern matches nothing). Selectors the value classes cannot describe
/// (regexes, wildcards, numbers mixed with globs) are left out: nothing is claimed about them.
pub(crate) fn contradictions(expr: &Expr) -> (Vec<Contradiction>, bool) {
    let Some(dnf) = conditions_dnf(expr) else {
        return (Vec::new(), false);
    };
    let mut pool = Pool {
        allow_index: true,
        ..Pool::default()
    };
    let dnf: Vec<Vec<usize>> = dnf
        .iter()
        .map(|c| c.iter().filter_map(|c| pool.atom(c).ok()).collect())
        .collect();
    let supported: Vec<bool> = (0..pool.selectors.len())
        .map(|sel| {
            let shape = pool.shape(sel);
            shape.globs.len() <= MAX_GLOBS
                && !(shape.numbers.is_some() && (!shape.globs.is_empty() || shape.numeric_constant))
        })
        .collect();
    let space = Space::new(&pool);
    let satisfiable = |atoms: &[usize], sel: usize| {
        (0..space.reps.get(sel).map_or(0, Vec::len))
            .any(|r| atoms.iter().all(|&a| space.holds(a, r)))
    };
    let mut found: Vec<Vec<usize>> = Vec::new();
    let mut dead = 0;
    for conjunction in &dnf {
        let mut conflict = false;
        for sel in 0..pool.selectors.len() {
            if !supported.get(sel).copied().unwrap_or(false) {
                continue;
            }
            let mut atoms: Vec<usize> = conjunction
                .iter()
                .copied()
                .filter(|&a| space.selector_of(a) == sel)
                .collect();
            if atoms.is_empty() || satisfiable(&atoms, sel) {
                continue;
            }
            conflict = true;
            // Drop every atom the contradiction does not need.
            let mut i = 0;
            while i < atoms.len() {
                let mut fewer = atoms.clone();
                fewer.remove(i);
                if satisfiable(&fewer, sel) {
                    i += 1;
                } else {
                    atoms = fewer;
                }
            }
            if !found.contains(&atoms) {
                found.push(atoms);
            }
        }
        dead += usize::from(conflict);
    }
    let list = found
        .into_iter()
        .map(|atoms| {
            let mut conditions: Vec<Condition> = atoms
                .iter()
                .filter_map(|&a| pool.atoms.get(a).map(|(_, c)| c.clone()))
                .collect();
            conditions.sort_by_key(|c| c.span.start);
            Contradiction { conditions }
        })
        .collect();
    // With one conjunction, its contradiction already says the pattern never matches.
    (list, dnf.len() > 1 && dead == dnf.len())
}

/// The normal form of a condition tree as lists of conditions (`None` past
/// [`MAX_CONJUNCTIONS`]).
fn conditions_dnf(expr: &Expr) -> Option<Vec<Vec<&Condition>>> {
    match expr {
        Expr::Cond(c) => Some(vec![vec![c]]),
        Expr::Or(xs, _) => {
            let mut out = Vec::new();
            for x in xs {
                out.extend(conditions_dnf(x)?);
                if out.len() > MAX_CONJUNCTIONS {
                    return None;
                }
            }
            Some(out)
        }
        Expr::And(xs, _) => {
            let mut out: Vec<Vec<&Condition>> = vec![Vec::new()];
            for x in xs {
                let right = conditions_dnf(x)?;
                if out.len().saturating_mul(right.len()) > MAX_CONJUNCTIONS {
                    return None;
                }
                out = out
                    .iter()
                    .flat_map(|l| {
                        right
                            .iter()
                            .map(move |r| l.iter().chain(r).copied().collect())
                    })
                    .collect();
            }
            Some(out)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn contradiction_texts(pattern: &str) -> (Vec<Vec<String>>, bool) {
        let Ast::Json(j) = crate::parse(pattern).unwrap() else {
            panic!("not JSON")
        };
        let (list, never) = contradictions(&j.expr);
        let texts = list
            .iter()
            .map(|c| c.conditions.iter().map(ToString::to_string).collect())
            .collect();
        (texts, never)
    }

    #[test]
    fn contradictions_are_found_per_selector_and_minimised() {
        let (c, never) = contradiction_texts(r#"{ $.a = "x" && $.b = 1 && $.a = "y" }"#);
        assert_eq!(c, [["$.a = \"x\"", "$.a = \"y\""]]);
        assert!(!never, "one conjunction: its contradiction says it");
        let (c, never) =
            contradiction_texts(r#"{ ($.a = "x" && $.a = "y") || ($.b = 1 && $.b = 2) }"#);
        assert_eq!(c.len(), 2);
        assert!(never);
        let (c, never) = contradiction_texts("{ $.n > 5 && $.n < 3 || $.m = 1 }");
        assert_eq!(c, [["$.n > 5", "$.n < 3"]]);
        assert!(!never);
        let (c, _) = contradiction_texts(r#"{ $.a = "x" && $.a != "x" }"#);
        assert_eq!(c.len(), 1);
        let (c, _) = contradiction_texts(r#"{ $.a NOT EXISTS && $.a = * }"#);
        assert_eq!(c.len(), 1);
        let (c, _) = contradiction_texts(r#"{ $.a[0] = "x" && $.a[0] IS NULL }"#);
        assert_eq!(c.len(), 1);
        // Compatible globs and a regex (left out) are no contradiction.
        let (c, _) =
            contradiction_texts(r#"{ $.a = "ab*" && $.a = "*yz" && $.a != "abyz" && $.a = %q% }"#);
        assert!(c.is_empty(), "{c:?}");
    }

    mod generated {
        use super::*;
        use proptest::prelude::*;

        const VALUES: &[&str] = &[
            "\"x\"", "\"xy\"", "\"*x\"", "\"x*\"", "\"*y*\"", "\"\"", "1", "2", "*",
        ];
        const EVENT_VALUES: &[&str] = &[
            "\"x\"", "\"xy\"", "\"yx\"", "\"y\"", "\"axb\"", "\"\"", "1", "2", "1.5", "\"2\"",
            "null", "true", "{}",
        ];

        /// Text values (globs included) on `$.a` and `$.b`; numbers and plain strings on
        /// `$.c.d`, so that no selector mixes numbers with globs (that is undecided).
        fn condition() -> impl Strategy<Value = String> {
            let sel = prop::sample::select(vec!["$.a", "$.b", "$.c.d"]);
            let value = prop::sample::select(VALUES.to_vec());
            (sel, 0..8usize, value).prop_map(|(s, op, v)| {
                let numeric = v.parse::<f64>().is_ok();
                let v = match (s, numeric) {
                    ("$.c.d", false) if v.contains('*') => "\"xy\"",
                    ("$.a" | "$.b", true) => "\"y\"",
                    _ => v,
                };
                let numeric = v.parse::<f64>().is_ok();
                match op {
                    0 | 1 => format!("{s} = {v}"),
                    2 | 3 => format!("{s} != {v}"),
                    4 => format!("{s} NOT EXISTS"),
                    5 => format!("{s} IS NULL"),
                    6 if numeric => format!("{s} > {v}"),
                    7 if numeric => format!("{s} <= {v}"),
                    _ => format!("{s} IS TRUE"),
                }
            })
        }

        fn pattern() -> impl Strategy<Value = String> {
            prop::collection::vec(prop::collection::vec(condition(), 1..3), 1..3).prop_map(|d| {
                let conj: Vec<String> = d.iter().map(|c| format!("({})", c.join(" && "))).collect();
                format!("{{ {} }}", conj.join(" || "))
            })
        }

        /// Every event over the sample values (each selector missing or one of them).
        fn events() -> Vec<String> {
            let opts: Vec<Option<&str>> = std::iter::once(None)
                .chain(EVENT_VALUES.iter().copied().map(Some))
                .collect();
            let mut out = Vec::new();
            for a in &opts {
                for b in &opts {
                    for d in &opts {
                        let mut fields = Vec::new();
                        if let Some(a) = a {
                            fields.push(format!("\"a\":{a}"));
                        }
                        if let Some(b) = b {
                            fields.push(format!("\"b\":{b}"));
                        }
                        if let Some(d) = d {
                            fields.push(format!("\"c\":{{\"d\":{d}}}"));
                        }
                        out.push(format!("{{{}}}", fields.join(",")));
                    }
                }
            }
            out
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(300))]
            /// "covered" is never contradicted by a sample event, and a counter-example is real.
            #[test]
            fn verdicts_agree_with_brute_force(r in pattern(), f1 in pattern(), f2 in pattern()) {
                let reference = Pattern::new(&r).unwrap();
                let filters = [Pattern::new(&f1).unwrap(), Pattern::new(&f2).unwrap()];
                let v = decide_patterns(&reference, &filters, &[]);
                let escaped = events().into_iter().find(|e| {
                    reference.matches(e) && filters.iter().all(|f| !f.matches(e))
                });
                match v.status {
                    Status::Covered => prop_assert!(escaped.is_none(), "{r} | {f1} | {f2}: {escaped:?}"),
                    Status::NotCovered => {
                        let e = v.counterexample.unwrap().to_string();
                        prop_assert!(reference.matches(&e));
                        prop_assert!(filters.iter().all(|f| !f.matches(&e)));
                    }
                    Status::Undecided => prop_assert!(false, "{r} | {f1} | {f2}: {}", v.reason),
                }
            }
        }
    }
}
