//! Values AWS fixes, which every layer may need (the errors' help lines too): the lowest module
//! of the crate, depending on nothing.

/// AWS's limit on the length of `filterPattern`, in characters.
pub const MAX_PATTERN_CHARS: usize = 1024;

/// CloudWatch's standard units, the values `unit` may take.
pub const UNITS: &[&str] = &[
    "Seconds",
    "Microseconds",
    "Milliseconds",
    "Bytes",
    "Kilobytes",
    "Megabytes",
    "Gigabytes",
    "Terabytes",
    "Bits",
    "Kilobits",
    "Megabits",
    "Gigabits",
    "Terabits",
    "Percent",
    "Count",
    "Bytes/Second",
    "Kilobytes/Second",
    "Megabytes/Second",
    "Gigabytes/Second",
    "Terabytes/Second",
    "Bits/Second",
    "Kilobits/Second",
    "Megabits/Second",
    "Gigabits/Second",
    "Terabits/Second",
    "Count/Second",
    "None",
];
