//! CloudTrail through Amazon EventBridge.
//!
//! - [`wrap`]: a CloudTrail record in the envelope EventBridge puts around it (`version`, `id`,
//!   `detail-type`, `source`, `account`, `time`, `region`, `resources`, and the record as
//!   `detail`, byte for byte);
//! - [`delivered`]: whether a record reaches a rule in a given [`RuleState`] (read-only
//!   management events only reach `ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS` rules), with
//!   the [`Reason`].
//!
//! Event patterns are kept as their JSON text, checked only to be JSON objects: matching them
//! is the engine's job.

mod delivery;
pub mod envelope;
mod raw;

pub use delivery::{Delivery, Reason, RuleState, delivered, delivered_text};
pub use envelope::{
    Envelope, EnvelopeError, EnvelopeErrorKind, detail_type_of, source_of, wrap, wrap_value,
};

#[cfg(test)]
mod tests;
