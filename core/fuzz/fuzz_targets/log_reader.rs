//! The log-file readers must never panic, and every record they yield must be one JSON object.
//!
//! Input: one byte that picks the limits, then the bytes of a log file (any format, gzipped or
//! not). Records are checked with serde_json, which knows nothing of the readers' tokenizer.
#![no_main]

use libfuzzer_sys::fuzz_target;
use trailmatch_cloudtrail::logs::{Item, Options, read_stream};

fuzz_target!(|data: &[u8]| {
    let Some((&knob, file)) = data.split_first() else {
        return;
    };
    // serde_json refuses more than 128 levels, so the depth limit stays below that.
    let options = Options {
        max_record_bytes: if knob & 1 == 0 {
            262_144
        } else {
            usize::from(knob) * 4
        },
        max_depth: usize::from(knob >> 2).max(1),
        // scan's reading: every record is a JSON object (grep's text mode yields lines of text
        // as events too).
        text_lines: false,
    };
    for item in read_stream("fuzz", file, options) {
        match item {
            Item::Record(record) => {
                assert!(record.json.len() <= options.max_record_bytes, "{record:?}");
                // `IgnoredAny`, not `Value`: serde_json refuses to build a number beyond f64
                // (`1e400`) though JSON's grammar allows it, and so do the readers (found by
                // this target: `numbers_beyond_f64_are_json` in core's logs tests).
                serde_json::from_str::<serde::de::IgnoredAny>(&record.json)
                    .unwrap_or_else(|e| panic!("{e}: {:?}", record.json));
                assert!(
                    record.json.trim_start().starts_with('{'),
                    "{:?}",
                    record.json
                );
            }
            Item::Skipped(skip) => assert!(!skip.message.is_empty(), "{skip:?}"),
        }
    }
});
