//! # trailmatch-cloudtrail
//!
//! CloudTrail alerting outside AWS, built on the [`trailmatch`] engine: log files as CloudTrail
//! delivers them ([`logs`]), event classification ([`classify`]), metric filters turned into
//! CloudWatch metrics ([`scan`], [`series`]), CloudWatch alarms and their SNS notifications
//! ([`alarm`]), CloudTrail Insights-style anomalies ([`insights`]), rules files and the CIS AWS
//! Foundations pack ([`rules`], [`cis`]), rules read from CloudFormation and Terraform ([`iac`]),
//! the `lint` and `cis-check` drivers ([`lint`], [`coverage`]), one scan from inputs to report
//! ([`run`]), the scan kept running as logs arrive ([`follow`]), the keys of CloudTrail's S3 layout
//! ([`s3key`]), and CloudTrail as Amazon EventBridge delivers it ([`eventbridge`]).
//!
//! A Rust program that only matches patterns needs just the engine (`cargo add trailmatch`);
//! this crate is the application the `trailmatch` command and the Python module's `scan`,
//! `lint` and `cis_check` are made of.
//!
//! Layers point down: `time` and `series` know nothing else of the crate; `logs` and
//! `classify` read records; `rules` and `iac` read rules; `alarm`, `insights` and `scan` use
//! them; `lint` and `coverage` sit on `iac`; `eventbridge` reads records (and its rules files
//! share `rules`' errors), and `iac` reads EventBridge rules from templates too.
//!
//! Features (all on by default): `gzip` (gzip-compressed inputs), `toml` (TOML rules files),
//! `cloudformation` (YAML templates), `terraform` (`.tf` modules).

#![warn(missing_docs)]
// Panics are ruled out by construction in non-test code, as in the engine crate.
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::unreachable,
        clippy::todo,
        clippy::unimplemented,
        clippy::indexing_slicing,
        clippy::string_slice
    )
)]

pub mod alarm;
pub mod boundary;
pub mod cis;
pub mod classify;
pub mod coverage;
pub mod error;
pub mod eventbridge;
pub mod follow;
pub mod iac;
pub mod insights;
pub mod lint;
pub mod logs;
mod minutes;
pub mod rules;
pub mod run;
pub mod s3key;
pub mod scan;
pub mod series;
pub mod source;
pub mod time;
mod votes;
pub mod walk;

/// The hasher of every table keyed by what a log holds (the strings insights interns, the
/// series they key, the account and Region votes; the Python module's table of `match_many`'s
/// answers): foldhash, seeded afresh for each table (from the addresses and the clock of the
/// process), so that no log can be written whose values all fall in one slot. Whoever makes an
/// API call writes its `userAgent`, and a file of records can say anything: under an unkeyed
/// hash such as the engine's Fx, colliding values are easy to make, and 50,000 of them made a
/// scan take over three minutes (`bindings/cli/tests/hostile.rs`,
/// `values_colliding_under_an_unkeyed_hash_are_counted_as_any_others`). The seeds are what
/// foldhash is built to hide: no output depends on the order of these tables (votes break ties
/// by value, insights and attributions are sorted), so a log, written before the scan or
/// followed while it runs, learns nothing of them. std's SipHash would cost a scan 9% more
/// instructions, foldhash 0.3%.
pub type LogHasher = foldhash::fast::RandomState;
