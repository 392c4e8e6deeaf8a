//! The `TestEventPattern` request in the EventBridge API's JSON shape.

use serde::{Deserialize, Serialize};

/// A `TestEventPattern` request: `{"EventPattern": "...", "Event": "..."}`, both members JSON
/// text in strings, as the API and the AWS CLI's `--cli-input-json` take them. Other members are
/// refused, each error with serde's position.
///
/// AWS requires both members; here either may be absent, as in the AWS CLI's
/// `--cli-input-json`, where command-line options supply what the JSON lacks.
///
/// ```
/// use trailmatch::TestEventPatternRequest;
///
/// let request: TestEventPatternRequest = serde_json::from_str(
///     r#"{"EventPattern": "{\"source\": [\"aws.s3\"]}", "Event": "{}"}"#,
/// )?;
/// assert_eq!(request.event_pattern.as_deref(), Some(r#"{"source": ["aws.s3"]}"#));
///
/// let unknown = serde_json::from_str::<TestEventPatternRequest>(r#"{"Name": "x"}"#);
/// assert_eq!(
///     unknown.unwrap_err().to_string(),
///     "unknown field `Name`, expected `EventPattern` or `Event` at line 1 column 7"
/// );
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct TestEventPatternRequest {
    /// The event pattern (JSON text).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_pattern: Option<String>,
    /// The event (JSON text).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event: Option<String>,
}
