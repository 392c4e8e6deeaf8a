//! From syntax to something that runs. For now: AWS regexes to Rust regexes. The pattern-set
//! compiler (automata over many patterns) grows here.

pub(crate) mod event;
pub(crate) mod inner;
pub(crate) mod literals;
pub(crate) mod prefilter;
pub(crate) mod program;
pub(crate) mod regex;
pub(crate) mod skip;
pub(crate) mod step;
