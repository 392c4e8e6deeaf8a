//! What can be known about patterns without an event: whether a set of filters matches every
//! event another pattern matches ([`coverage`]), conditions that contradict each other, and
//! warnings about valid patterns and transformations that are almost certainly not what was
//! meant ([`warnings`]). `trailmatch lint`, `cis-check`, the Python module and the browser
//! tester all use these.

pub mod coverage;
pub mod warnings;

pub use warnings::{Warning, pattern_warnings, transformation_warnings};
