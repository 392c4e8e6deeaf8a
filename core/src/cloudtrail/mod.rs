//! CloudTrail alerting outside AWS: log files as CloudTrail delivers them, event
//! classification, metric filters turned into metrics, CloudWatch alarms and their
//! notifications, CloudTrail Insights-style anomalies, and the scan that ties them together.

pub mod alarm;
pub mod cis;
pub mod classify;
pub mod coverage;
pub mod iac;
pub mod insights;
pub mod lint;
pub mod logs;
pub mod rules;
pub mod scan;
