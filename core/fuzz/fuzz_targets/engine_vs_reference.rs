//! The compiled engine must answer exactly as the reference evaluator.
//!
//! Input: pattern lines, a NUL byte, event lines. Every pattern that compiles goes into one
//! `PatternSet`; for every event, the set's answer (indices and extracted values) must equal what
//! each pattern's reference evaluator says, and so must each `Pattern` on its own.
#![no_main]

use libfuzzer_sys::fuzz_target;
use trailmatch::Dialect;

#[path = "differential.rs"]
mod differential;

fuzz_target!(|data: &[u8]| differential::check(data, Dialect::default()));
