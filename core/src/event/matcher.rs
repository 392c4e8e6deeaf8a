//! The precise evaluator of one event pattern, for the compiled program's array-consistency
//! check (`compile/event.rs`): the pattern's rules with their fields in visiting order, and per
//! event an index of only the values at paths some rule names, each with its array membership,
//! walked rule by rule as event-ruler's `StructuredFinder` walks its machine (memoized, so that
//! fields in independent arrays add up instead of multiplying).
//!
//! The program asks it only about events where two paths of a rule whose conditions hold have
//! values in arrays of objects. It differs from the reference evaluator in how it reads the
//! event (it skips every subtree no rule reaches into); both compare values with
//! [`leaf_matches`].

use std::collections::{HashMap, HashSet};

use super::ast::{MatcherKind, Rule};
use super::reference::{Leaf, consistent, leaf_matches};
use crate::json::Json;

/// One field of a compiled rule.
#[derive(Clone, Debug)]
struct CompiledField {
    /// The path's id: its index among the rules' paths in byte order.
    path: usize,
    /// The field's matchers.
    matchers: Vec<MatcherKind>,
}

/// The compiled rules of a pattern.
#[derive(Clone, Debug)]
pub(crate) struct Matcher {
    rules: Vec<Vec<CompiledField>>,
    /// How many paths the rules name (their ids are `0..paths`).
    paths: usize,
    /// Every path and every dotted prefix of one, in byte order, with the path's id: the parts of
    /// the event worth reading. A sorted list (a pattern names a few paths, and a set keeps one
    /// matcher for each of its patterns).
    reach: Vec<(Box<str>, Option<usize>)>,
}

/// A value of the event at a path some rule names, with its array membership.
struct Value {
    leaf: Leaf,
    membership: Vec<(usize, usize)>,
}

impl Matcher {
    /// The matcher of a pattern expanded into `expanded` ([`super::ast::EventPatternAst::rules`]).
    pub(crate) fn new(expanded: &[Rule]) -> Matcher {
        // A path's id is its index among the paths in byte order.
        let mut paths: Vec<&str> = expanded
            .iter()
            .flat_map(|rule| rule.fields.iter().map(|(path, _)| path.as_str()))
            .collect();
        paths.sort_unstable();
        paths.dedup();
        let id = |path: &str| paths.binary_search(&path).unwrap_or_default();
        let rules = expanded
            .iter()
            .map(|rule| {
                rule.ordered()
                    .into_iter()
                    .map(|(path, field)| CompiledField {
                        path: id(path),
                        matchers: field.matchers.iter().map(|m| m.kind.clone()).collect(),
                    })
                    .collect()
            })
            .collect();
        let mut reach: Vec<(Box<str>, Option<usize>)> = Vec::new();
        for (id, path) in paths.iter().enumerate() {
            let dots = path.match_indices('.').map(|(dot, _)| dot);
            reach.extend(dots.filter_map(|dot| Some((path.get(..dot)?.into(), None))));
            reach.push(((*path).into(), Some(id)));
        }
        // A path that is also another's prefix keeps its id.
        reach.sort_unstable_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)));
        reach.dedup_by(|later, first| later.0 == first.0);
        reach.shrink_to_fit();
        Matcher {
            rules,
            paths: paths.len(),
            reach,
        }
    }

    /// True when `doc`, a parsed JSON object, matches one of the rules.
    pub(crate) fn matches_doc(&self, doc: &Json) -> bool {
        let mut values: Vec<Vec<Value>> = (0..self.paths).map(|_| Vec::new()).collect();
        let mut reader = Reader {
            reach: &self.reach,
            values: &mut values,
            arrays: 0,
            membership: Vec::new(),
        };
        reader.read(doc, "");
        self.rules
            .iter()
            .any(|rule| possible(rule, &values) && Walk::new(rule, &values).from(0, &[]))
    }
}

/// Reads the values at the rules' paths (by id), skipping the parts of the event no path reaches.
struct Reader<'m, 'v> {
    reach: &'m [(Box<str>, Option<usize>)],
    values: &'v mut Vec<Vec<Value>>,
    arrays: usize,
    membership: Vec<(usize, usize)>,
}

impl Reader<'_, '_> {
    /// `Some` when `path` is worth reading, with its id when it is a path of the rules.
    fn reached(&self, path: &str) -> Option<Option<usize>> {
        let at = self.reach.binary_search_by(|(p, _)| (**p).cmp(path)).ok()?;
        self.reach.get(at).map(|(_, id)| *id)
    }

    fn read(&mut self, value: &Json, path: &str) {
        let leaf = match value {
            Json::Object(members) => {
                for (key, v) in members {
                    let inner = super::ast::join(path, key);
                    if self.reached(&inner).is_some() {
                        self.read(v, &inner);
                    }
                }
                return;
            }
            Json::Array(items) => {
                let id = self.arrays;
                self.arrays += 1;
                for (index, item) in items.iter().enumerate() {
                    let nested = matches!(item, Json::Object(_) | Json::Array(_));
                    if nested {
                        self.membership.push((id, index));
                    }
                    self.read(item, path);
                    if nested {
                        self.membership.pop();
                    }
                }
                return;
            }
            Json::Null => Leaf::Null,
            Json::Bool(b) => Leaf::Bool(*b),
            Json::Number(n) => Leaf::Num(n.clone()),
            Json::String(s) => Leaf::Str(s.clone()),
        };
        if let Some(slot) = self
            .reached(path)
            .flatten()
            .and_then(|i| self.values.get_mut(i))
        {
            slot.push(Value {
                leaf,
                membership: self.membership.clone(),
            });
        }
    }
}

/// False when a field of the rule has no value that one of its matchers accepts (and no
/// `exists: false`), whatever the array elements: then the rule cannot match, and the walk, whose
/// work multiplies with the values of each field, is not started.
fn possible(rule: &[CompiledField], values: &[Vec<Value>]) -> bool {
    rule.iter().all(|field| {
        let here = values.get(field.path).map_or(&[][..], Vec::as_slice);
        field.matchers.iter().any(|m| match m {
            MatcherKind::Exists(false) => true,
            kind => here.iter().any(|v| leaf_matches(kind, &v.leaf)),
        })
    })
}

/// The walk over one rule's fields: memoized on the field index and the array elements chosen so
/// far in the arrays the remaining fields' values lie in (the only ones that can still matter), so
/// that fields in independent arrays add up instead of multiplying.
struct Walk<'r, 'v> {
    rule: &'r [CompiledField],
    values: &'v [Vec<Value>],
    /// For each field index, the arrays the values of that field and the later ones lie in.
    relevant: Vec<HashSet<usize>>,
    memo: HashMap<(usize, Vec<(usize, usize)>), bool>,
}

impl<'r, 'v> Walk<'r, 'v> {
    fn new(rule: &'r [CompiledField], values: &'v [Vec<Value>]) -> Walk<'r, 'v> {
        let mut relevant = vec![HashSet::new(); rule.len() + 1];
        for i in (0..rule.len()).rev() {
            let mut arrays = relevant.get(i + 1).cloned().unwrap_or_default();
            if let Some(here) = rule.get(i).and_then(|f| values.get(f.path)) {
                arrays.extend(
                    here.iter()
                        .flat_map(|v| v.membership.iter().map(|(a, _)| *a)),
                );
            }
            if let Some(slot) = relevant.get_mut(i) {
                *slot = arrays;
            }
        }
        Walk {
            rule,
            values,
            relevant,
            memo: HashMap::new(),
        }
    }

    /// True when the rule's fields from the `i`-th on can be matched consistently with `so_far`.
    fn from(&mut self, i: usize, so_far: &[(usize, usize)]) -> bool {
        let Some(field) = self.rule.get(i) else {
            return true;
        };
        let mut key: Vec<(usize, usize)> = match self.relevant.get(i) {
            Some(arrays) => so_far
                .iter()
                .copied()
                .filter(|(a, _)| arrays.contains(a))
                .collect(),
            None => Vec::new(),
        };
        key.sort_unstable();
        if let Some(&known) = self.memo.get(&(i, key.clone())) {
            return known;
        }
        let values = self.values;
        let here = values.get(field.path).map_or(&[][..], Vec::as_slice);
        let mut found = false;
        for m in &field.matchers {
            found = match m {
                MatcherKind::Exists(false) => {
                    !here
                        .iter()
                        .any(|v| consistent(so_far, &v.membership).is_some())
                        && self.from(i + 1, so_far)
                }
                kind => here.iter().any(|v| {
                    leaf_matches(kind, &v.leaf)
                        && consistent(so_far, &v.membership)
                            .is_some_and(|merged| self.from(i + 1, &merged))
                }),
            };
            if found {
                break;
            }
        }
        self.memo.insert((i, key), found);
        found
    }
}
