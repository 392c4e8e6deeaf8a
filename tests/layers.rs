//! Layers point down: in each crate, the modules' references to each other (`crate::x`,
//! `super::x` from a top-level module, and names the crate root re-exports) form no cycle.
//! Test code (`tests.rs` files, and what follows `#[cfg(test)]` in a file) and comments are left
//! out.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

/// Module name -> the modules it refers to.
type Graph = BTreeMap<String, BTreeSet<String>>;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The non-test text of every `.rs` file under `dir`.
fn sources(dir: &Path, out: &mut Vec<(PathBuf, String)>) {
    let mut entries: Vec<_> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs")
            && path.file_name().is_some_and(|n| n != "tests.rs")
        {
            let text = fs::read_to_string(&path).unwrap();
            let code = text.split("#[cfg(test)]").next().unwrap_or_default();
            // Comments (doc links included) are no references.
            let code: Vec<&str> = code
                .lines()
                .filter(|l| !l.trim_start().starts_with("//"))
                .collect();
            out.push((path, code.join("\n")));
        }
    }
}

/// The first path segment of each item of `use crate::{a::b, C, d}` and of each `crate::x`.
fn references(code: &str, prefix: &str) -> Vec<String> {
    let ident = |s: &str| -> String {
        s.chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect()
    };
    let mut out = Vec::new();
    for (i, _) in code.match_indices(prefix) {
        let rest = &code[i + prefix.len()..];
        if let Some(group) = rest.strip_prefix('{') {
            // The items of the group at its own depth: `{a::{b, c}, d}` names `a` and `d`.
            let mut depth = 0;
            let mut item_start = true;
            for (j, c) in group.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => break,
                    '}' => depth -= 1,
                    ',' if depth == 0 => item_start = true,
                    c if item_start && !c.is_whitespace() => {
                        out.push(ident(&group[j..]));
                        item_start = false;
                    }
                    _ => {}
                }
            }
        } else {
            out.push(ident(rest));
        }
    }
    out.retain(|s| !s.is_empty());
    out
}

fn graph(src: &Path) -> Graph {
    let lib = fs::read_to_string(src.join("lib.rs")).unwrap();
    // Names the root re-exports, and the module each comes from.
    let mut exported: BTreeMap<String, String> = BTreeMap::new();
    // Each `pub use …;` statement, also when rustfmt spread its group over several lines.
    let statements = lib.split("\npub use ").skip(1);
    for statement in statements {
        let path = statement.split(';').next().unwrap_or_default();
        let path: String = path.split_whitespace().collect();
        let (module, rest) = path.split_once("::").unwrap_or((&path, ""));
        // `a::b::{C, D}` exports C and D, `a::b::C` exports C.
        let names = match rest.find('{') {
            Some(i) => &rest[i..],
            None => rest.rsplit("::").next().unwrap_or_default(),
        };
        let names = names.trim_start_matches('{').trim_end_matches('}');
        for name in references(&format!("crate::{{{names}}}"), "crate::") {
            exported.insert(name, module.to_owned());
        }
    }
    let mut files = Vec::new();
    sources(src, &mut files);
    let mut graph = Graph::new();
    for (path, code) in files {
        let relative = path.strip_prefix(src).unwrap();
        let Some(module) = relative.iter().next().and_then(|m| m.to_str()) else {
            continue;
        };
        let module = module.trim_end_matches(".rs").to_owned();
        if module == "lib" {
            continue;
        }
        let top_level = relative.components().count() == 1 || relative.ends_with("mod.rs");
        let mut refs = references(&code, "crate::");
        if top_level {
            refs.extend(references(&code, "super::"));
        }
        let edges = graph.entry(module.clone()).or_default();
        for r in refs {
            let target = exported.get(&r).cloned().unwrap_or(r);
            if target != module
                && (src.join(format!("{target}.rs")).exists() || src.join(&target).is_dir())
            {
                edges.insert(target);
            }
        }
    }
    graph
}

/// A cycle of `graph`, if it has one.
fn cycle(graph: &Graph) -> Option<Vec<String>> {
    fn visit(
        graph: &Graph,
        node: &str,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(at) = path.iter().position(|n| n == node) {
            let mut found = path[at..].to_vec();
            found.push(node.to_owned());
            return Some(found);
        }
        if done.contains(node) {
            return None;
        }
        path.push(node.to_owned());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(c) = visit(graph, next, path, done) {
                return Some(c);
            }
        }
        path.pop();
        done.insert(node.to_owned());
        None
    }
    let mut done = BTreeSet::new();
    graph
        .keys()
        .find_map(|n| visit(graph, n, &mut Vec::new(), &mut done))
}

fn edge(graph: &Graph, from: &str, to: &str) -> bool {
    graph.get(from).is_some_and(|e| e.contains(to))
}

#[test]
fn the_engine_s_modules_form_no_cycle() {
    let g = graph(&root().join("core/src"));
    // The reading works: edges every version of the engine has.
    assert!(
        edge(&g, "exec", "compile") && edge(&g, "compile", "syntax"),
        "{g:#?}"
    );
    assert!(
        edge(&g, "analysis", "exec"),
        "a root re-export (Pattern) is followed: {g:#?}"
    );
    assert_eq!(cycle(&g), None, "{g:#?}");
}

#[test]
fn the_application_s_modules_form_no_cycle() {
    let g = graph(&root().join("core/cloudtrail/src"));
    assert!(
        edge(&g, "scan", "logs") && edge(&g, "iac", "rules"),
        "{g:#?}"
    );
    assert_eq!(cycle(&g), None, "{g:#?}");
}

#[test]
fn nested_use_groups_are_read_at_their_depth() {
    let refs = references(
        "use crate::{a::{b, c}, d, e::f};\nlet x = crate::g::h;",
        "crate::",
    );
    assert_eq!(refs, ["a", "d", "e", "g"]);
}

#[test]
fn a_cycle_is_found() {
    let mut g = Graph::new();
    g.entry("a".into()).or_default().insert("b".into());
    g.entry("b".into()).or_default().insert("c".into());
    assert_eq!(cycle(&g), None);
    g.entry("c".into()).or_default().insert("a".into());
    assert_eq!(
        cycle(&g),
        Some(vec!["a".into(), "b".into(), "c".into(), "a".into()])
    );
}
