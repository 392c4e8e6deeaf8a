//! EventBridge rules in a scan: each record wrapped as EventBridge delivers it
//! ([`Envelope`]), matched against every rule's event pattern at once (one
//! [`EventPatternSet`]), kept for a rule only when EventBridge would deliver it to that rule in
//! its state ([`EventRuleDef::delivers_text`]), and, for each match kept, what each of the rule's
//! targets receives ([`target_input`]: the event, `Input`, `InputPath` or `InputTransformer`).
//!
//! The counts are exact whatever the input; the matches themselves are kept for the first
//! [`MAX_EVENTS_PER_RULE`] events of each rule, in input order, so that a rule matching every
//! record of a terabyte does not hold them all.
//!
//! `<aws.events.event.ingestion-time>` is the record's `eventTime` (a scan has no ingestion
//! time; CloudTrail delivers to EventBridge within minutes); a rule without an `Arn` gets
//! `arn:aws:events:<awsRegion>:<recipientAccountId>:rule/<Name>` from the record, the rule
//! EventBridge would run in the account and region the record was delivered to.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use trailmatch::{Error, EventPatternSet};

use super::envelope::Envelope;
use super::input::{RuleContext, target_input};
use super::raw;
use super::rules::EventRuleDef;
use crate::logs::Location;

/// Matches kept per rule, in input order (the counts go on).
pub const MAX_EVENTS_PER_RULE: usize = 100;

/// The EventBridge rules of a scan, compiled.
#[derive(Debug)]
pub(crate) struct EventRules {
    rules: Vec<EventRuleDef>,
    /// The patterns of the rules that have one.
    set: EventPatternSet,
    /// The rule of each pattern of `set`.
    rule_of: Vec<usize>,
}

/// One event a rule matched and EventBridge would deliver to it, and what its targets receive.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EventRuleMatch {
    /// The file (or input) the record is in.
    pub file: String,
    /// Its 1-based line, for line-oriented formats.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u64>,
    /// Its 1-based index in the file's `Records` (or a payload's events).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub record: Option<u64>,
    /// The record's `eventID`, `eventTime` and `eventName`.
    pub event_id: Option<String>,
    /// The record's `eventTime`.
    pub event_time: Option<String>,
    /// The record's `eventName`.
    pub event_name: Option<String>,
    /// Each target of the rule, in order.
    pub targets: Vec<TargetMessage>,
}

/// What one target receives for one event.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TargetMessage {
    /// The target's `Id`.
    pub id: String,
    /// The target's `Arn` (an SNS topic: the message is the SNS message's body), with
    /// `${AWS::Region}` and `${AWS::AccountId}` (as the built-in rules write them) replaced by
    /// the record's `awsRegion` and `recipientAccountId`.
    pub arn: String,
    /// What it receives, as text (JSON, or the text an `InputTransformer` makes); `None` when
    /// the input cannot be made (`error` says why).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// Why the input cannot be made (`code: message`): EventBridge does not invoke the target.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// One rule in the report.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct EventRuleReport {
    /// The rule's `Name`.
    pub name: String,
    /// Its `State`: `ENABLED`, `DISABLED` or `ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS`.
    pub state: &'static str,
    /// Its event pattern as written (`None` for a scheduled rule, which no record matches).
    pub event_pattern: Option<String>,
    /// Records whose event the pattern matched and EventBridge would deliver to the rule.
    pub matches: u64,
    /// Records whose event the pattern matched but that EventBridge would not deliver to the
    /// rule, by reason (`read-only-management-event` for an `ENABLED` rule, `rule-disabled`,
    /// `custom-event-bus`).
    pub not_delivered: BTreeMap<&'static str, u64>,
    /// The first [`MAX_EVENTS_PER_RULE`] matches, in input order, with their targets' messages.
    pub events: Vec<EventRuleMatch>,
}

/// The EventBridge part of a scan's report.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct EventRulesReport {
    /// Records that could not be wrapped as EventBridge delivers CloudTrail events (no
    /// `eventType`, `eventSource`, `eventID`, `recipientAccountId`, `eventTime` or `awsRegion`,
    /// or one of an unknown shape): no rule sees them. Counted, by the envelope's error code.
    pub not_wrapped: BTreeMap<&'static str, u64>,
    /// Every rule, in the order given.
    pub rules: Vec<EventRuleReport>,
}

/// What the rules found so far; batches of a parallel scan add up.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct EventTotals {
    pub(crate) not_wrapped: BTreeMap<&'static str, u64>,
    pub(crate) matches: Vec<u64>,
    pub(crate) not_delivered: Vec<BTreeMap<&'static str, u64>>,
    /// The matches kept, per rule, in input order.
    pub(crate) events: Vec<Vec<EventRuleMatch>>,
}

impl EventTotals {
    /// Makes the lines of the kept matches count from `before` lines earlier.
    pub(crate) fn shift_lines(&mut self, before: u64) {
        for m in self.events.iter_mut().flatten() {
            if let Some(line) = &mut m.line {
                *line += before;
            }
        }
    }

    /// Adds `later`, which comes after these in input order.
    pub(crate) fn absorb(&mut self, later: EventTotals) {
        for (code, n) in later.not_wrapped {
            *self.not_wrapped.entry(code).or_insert(0) += n;
        }
        for (mine, theirs) in self.matches.iter_mut().zip(later.matches) {
            *mine += theirs;
        }
        for (mine, theirs) in self.not_delivered.iter_mut().zip(later.not_delivered) {
            for (code, n) in theirs {
                *mine.entry(code).or_insert(0) += n;
            }
        }
        for (mine, theirs) in self.events.iter_mut().zip(later.events) {
            let room = MAX_EVENTS_PER_RULE.saturating_sub(mine.len());
            mine.extend(theirs.into_iter().take(room));
        }
    }
}

/// [`EventTotals`] as data that serializes: the EventBridge part of a
/// [`Tally`](crate::scan::Tally), its codes as strings.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct EventCounts {
    not_wrapped: BTreeMap<String, u64>,
    matches: Vec<u64>,
    not_delivered: Vec<BTreeMap<String, u64>>,
    events: Vec<Vec<EventRuleMatch>>,
}

/// The code of a known envelope error or delivery reason, as the totals hold it.
fn known_code(code: &str) -> Option<&'static str> {
    use super::delivery::Reason;
    use super::envelope::EnvelopeErrorKind as E;
    let envelope = [
        E::InvalidJson,
        E::NotAnObject,
        E::MissingField,
        E::WrongType,
        E::UnknownEventSource,
        E::UnknownEventType,
    ];
    let reasons = [
        Reason::RuleDisabled,
        Reason::NotARecord,
        Reason::WriteManagementEvent,
        Reason::ReadOnlyManagementEvent,
        Reason::ReadOnlyOutsideConvention,
        Reason::DataEvent,
        Reason::NetworkActivityEvent,
        Reason::InsightEvent,
        Reason::CustomEventBus,
    ];
    envelope
        .into_iter()
        .map(E::code)
        .chain(reasons.into_iter().map(Reason::code))
        .find(|c| *c == code)
}

impl EventTotals {
    /// These totals as data that serializes.
    pub(crate) fn to_counts(&self) -> EventCounts {
        let owned = |map: &BTreeMap<&'static str, u64>| {
            map.iter().map(|(k, v)| ((*k).to_owned(), *v)).collect()
        };
        EventCounts {
            not_wrapped: owned(&self.not_wrapped),
            matches: self.matches.clone(),
            not_delivered: self.not_delivered.iter().map(owned).collect(),
            events: self.events.clone(),
        }
    }

    /// The totals `counts` stand for, for `rules` rules; an error saying what does not fit.
    pub(crate) fn from_counts(counts: EventCounts, rules: usize) -> Result<EventTotals, String> {
        if counts.matches.len() != rules
            || counts.not_delivered.len() != rules
            || counts.events.len() != rules
        {
            return Err(format!(
                "{} EventBridge rules, this scan has {rules}",
                counts.matches.len()
            ));
        }
        let known = |map: BTreeMap<String, u64>| -> Result<BTreeMap<&'static str, u64>, String> {
            map.into_iter()
                .map(|(k, v)| {
                    known_code(&k)
                        .map(|c| (c, v))
                        .ok_or_else(|| format!("unknown EventBridge code `{k}`"))
                })
                .collect()
        };
        Ok(EventTotals {
            not_wrapped: known(counts.not_wrapped)?,
            matches: counts.matches,
            not_delivered: counts
                .not_delivered
                .into_iter()
                .map(known)
                .collect::<Result<_, _>>()?,
            events: counts.events,
        })
    }
}

impl EventRules {
    /// Compiles the rules' patterns; the first that EventBridge would refuse is the error, with
    /// the index of its rule.
    pub(crate) fn new(rules: &[EventRuleDef]) -> Result<EventRules, (usize, Error)> {
        let mut rule_of = Vec::new();
        let mut patterns = Vec::new();
        for (index, rule) in rules.iter().enumerate() {
            if let Some(pattern) = &rule.event_pattern {
                rule_of.push(index);
                patterns.push(pattern.as_str());
            }
        }
        let set = EventPatternSet::new(patterns).map_err(|e| {
            let rule = e.index.and_then(|i| rule_of.get(i).copied()).unwrap_or(0);
            (rule, e.error)
        })?;
        Ok(EventRules {
            rules: rules.to_vec(),
            set,
            rule_of,
        })
    }

    /// Empty totals for these rules.
    pub(crate) fn totals(&self) -> EventTotals {
        EventTotals {
            not_wrapped: BTreeMap::new(),
            matches: vec![0; self.rules.len()],
            not_delivered: vec![BTreeMap::new(); self.rules.len()],
            events: vec![Vec::new(); self.rules.len()],
        }
    }

    /// Matches one record (its JSON text) into `totals`; true when some rule would receive it.
    pub(crate) fn record(&self, totals: &mut EventTotals, json: &str, location: &Location) -> bool {
        let envelope = match Envelope::of(json) {
            Ok(envelope) => envelope,
            Err(e) => {
                *totals.not_wrapped.entry(e.code()).or_insert(0) += 1;
                return false;
            }
        };
        let detail = json.trim_start_matches('\u{feff}').trim();
        let event = envelope.to_json(detail);
        let mut delivered_any = false;
        for pattern in self.set.matches(&event) {
            let Some((index, rule)) = self
                .rule_of
                .get(pattern)
                .and_then(|&i| Some((i, self.rules.get(i)?)))
            else {
                continue;
            };
            let delivery = rule.delivers_text(json);
            if !delivery.delivered {
                if let Some(counts) = totals.not_delivered.get_mut(index) {
                    *counts.entry(delivery.reason.code()).or_insert(0) += 1;
                }
                continue;
            }
            delivered_any = true;
            if let Some(n) = totals.matches.get_mut(index) {
                *n += 1;
            }
            if let Some(kept) = totals
                .events
                .get_mut(index)
                .filter(|k| k.len() < MAX_EVENTS_PER_RULE)
            {
                kept.push(event_match(rule, &envelope, &event, json, location));
            }
        }
        delivered_any
    }

    /// The report of the rules from their totals.
    pub(crate) fn report(&self, totals: EventTotals) -> EventRulesReport {
        let EventTotals {
            not_wrapped,
            matches,
            not_delivered,
            events,
        } = totals;
        let rules = self
            .rules
            .iter()
            .zip(matches)
            .zip(not_delivered)
            .zip(events)
            .map(
                |(((rule, matches), not_delivered), events)| EventRuleReport {
                    name: rule.name.clone(),
                    state: rule.state.name(),
                    event_pattern: rule.event_pattern.clone(),
                    matches,
                    not_delivered,
                    events,
                },
            )
            .collect();
        EventRulesReport { not_wrapped, rules }
    }
}

/// The match of `event` (the record `json` wrapped in `envelope`) for `rule`.
fn event_match(
    rule: &EventRuleDef,
    envelope: &Envelope,
    event: &str,
    json: &str,
    location: &Location,
) -> EventRuleMatch {
    let field = |name: &str| raw::member(json, name).and_then(raw::string);
    let arn = rule.arn.clone().unwrap_or_else(|| {
        format!(
            "arn:aws:events:{}:{}:rule/{}",
            envelope.region, envelope.account, rule.name
        )
    });
    let context = RuleContext {
        rule_name: &rule.name,
        rule_arn: &arn,
        ingestion_time: &envelope.time,
    };
    let targets = rule
        .targets
        .iter()
        .map(|target| {
            let (message, error) = match target_input(target, event, &context) {
                Ok(message) => (Some(message), None),
                Err(e) => (None, Some(format!("{}: {}", e.code(), e.message()))),
            };
            TargetMessage {
                id: target.id.clone(),
                arn: target
                    .arn
                    .replace("${AWS::Region}", &envelope.region)
                    .replace("${AWS::AccountId}", &envelope.account),
                message,
                error,
            }
        })
        .collect();
    EventRuleMatch {
        file: location.file.clone(),
        line: location.line,
        record: location.record,
        event_id: field("eventID"),
        event_time: field("eventTime"),
        event_name: field("eventName"),
        targets,
    }
}
