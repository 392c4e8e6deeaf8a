//! What a glob value means: `*` as the first and/or last character of a value is a wildcard,
//! anywhere else a literal character.

/// A glob's parts: whether it starts with the `*` wildcard, the literal text between, and
/// whether it ends with one (`*` anywhere else is a literal character).
pub(crate) fn glob_parts(glob: &str) -> (bool, &str, bool) {
    let (lead, rest) = match glob.strip_prefix('*') {
        Some(rest) => (true, rest),
        None => (false, glob),
    };
    let (trail, core) = match rest.strip_suffix('*') {
        Some(core) => (true, core),
        None => (false, rest),
    };
    (lead, core, trail)
}

/// `*` as the first and/or last character is a wildcard; anywhere else it is a literal.
pub(crate) fn glob_match(glob: &str, text: &str) -> bool {
    let (lead, core, trail) = glob_parts(glob);
    match (lead, trail) {
        (true, true) => text.contains(core),
        (true, false) => text.ends_with(core),
        (false, true) => text.starts_with(core),
        (false, false) => text == core,
    }
}
