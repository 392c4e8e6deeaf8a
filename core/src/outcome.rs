//! What the `explain` functions of both rule languages report: each condition with whether it
//! holds ([`crate::Pattern::explain`], [`crate::EventPattern::explain`]).

/// One condition of a pattern (of a JSON filter pattern, or a value or operator of an event
/// pattern) and whether it holds for an event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConditionOutcome {
    /// Where the condition is in the pattern.
    pub span: crate::Span,
    /// The condition in canonical form.
    pub condition: String,
    /// Whether it holds for the event.
    pub holds: bool,
}
