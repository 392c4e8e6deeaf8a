//! `engine_vs_reference` with every dialect switch flipped: the compiled engine must answer
//! exactly as the reference evaluator under the non-default settings too (hyphenated terms kept
//! whole, `" "` matching every event, numeric strings compared as numbers, trailing fields not
//! absorbed), whose code paths the default dialect never takes.
//!
//! Input: as `engine_vs_reference` (pattern lines, a NUL byte, event lines), so the two targets
//! share seeds and corpora.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "dialects.rs"]
mod dialects;
#[path = "differential.rs"]
mod differential;

fuzz_target!(|data: &[u8]| differential::check(data, dialects::flipped()));
