//! Alarm state changes for people: the JSON a Slack or Microsoft Teams incoming webhook takes.
//!
//! Each gets the alarm's name, its state change, CloudWatch's reason, the time, the account and
//! region, and a summary line (the notification's `Subject`), all as plain text: no link (to
//! the console or elsewhere) is added, and none in a value becomes one. Slack gets a `text`
//! (its notification line, with `&`, `<` and `>` escaped as Slack asks) and `blocks` of
//! `plain_text`; Teams gets a message with an Adaptive Card, the form Teams' Workflows webhooks
//! take.

use serde_json::{Value, json};

/// A chat service whose incoming webhooks `--notify slack:URL` and `teams:URL` post to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Service {
    /// Slack: `{"text", "blocks"}`.
    Slack,
    /// Microsoft Teams: `{"type": "message", "attachments": [an Adaptive Card]}`.
    Teams,
}

/// What a person needs to know about one state change, from the SNS notification.
#[derive(Debug, Default, PartialEq, Eq)]
struct Summary {
    subject: String,
    alarm: String,
    change: String,
    reason: String,
    time: String,
    account: String,
    region: String,
    description: String,
}

impl Summary {
    fn of(notification: &Value) -> Summary {
        let text =
            |v: &Value, key: &str| v.get(key).and_then(Value::as_str).unwrap_or("").to_owned();
        let message: Value = notification
            .get("Message")
            .and_then(Value::as_str)
            .and_then(|m| serde_json::from_str(m).ok())
            .unwrap_or(Value::Null);
        Summary {
            subject: text(notification, "Subject"),
            alarm: text(&message, "AlarmName"),
            change: format!(
                "{} → {}",
                text(&message, "OldStateValue"),
                text(&message, "NewStateValue")
            ),
            reason: text(&message, "NewStateReason"),
            time: text(&message, "StateChangeTime"),
            account: text(&message, "AWSAccountId"),
            region: text(&message, "Region"),
            description: text(&message, "AlarmDescription"),
        }
    }
}

/// `text` cut to at most `max` characters, with `…` when cut.
fn cut(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let mut out: String = text.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// Slack's escaping of text it reads as markup: `&`, `<` and `>` (so that `<url|text>` is not
/// a link).
fn slack_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

impl Service {
    /// `slack` or `teams`, as `--notify` names it.
    pub fn name(self) -> &'static str {
        match self {
            Service::Slack => "slack",
            Service::Teams => "teams",
        }
    }

    /// The webhook's JSON for one SNS notification (as the library builds it).
    pub fn body(self, notification: &Value) -> Value {
        let s = Summary::of(notification);
        match self {
            Service::Slack => {
                // Slack's limits: 150 characters in a header, 2,000 in a field, 3,000 in a
                // section's text.
                let plain = |text: &str, max: usize| json!({"type": "plain_text", "text": cut(text, max), "emoji": false});
                let mut blocks = vec![
                    json!({"type": "header", "text": plain(&s.subject, 150)}),
                    json!({"type": "section", "fields": [
                        plain(&format!("Alarm\n{}", s.alarm), 2000),
                        plain(&format!("State\n{}", s.change), 2000),
                        plain(&format!("Time\n{}", s.time), 2000),
                        plain(&format!("Account and region\n{} · {}", s.account, s.region), 2000),
                    ]}),
                    json!({"type": "section", "text": plain(&s.reason, 3000)}),
                ];
                if !s.description.is_empty() {
                    blocks.push(
                        json!({"type": "context", "elements": [plain(&s.description, 2000)]}),
                    );
                }
                json!({
                    "text": slack_escape(&cut(&s.subject, 3000)),
                    "blocks": blocks,
                    "unfurl_links": false,
                    "unfurl_media": false,
                })
            }
            Service::Teams => {
                let mut facts = vec![
                    json!({"title": "Alarm", "value": s.alarm}),
                    json!({"title": "State", "value": s.change}),
                    json!({"title": "Time", "value": s.time}),
                    json!({"title": "Account", "value": s.account}),
                    json!({"title": "Region", "value": s.region}),
                ];
                if !s.description.is_empty() {
                    facts.push(json!({"title": "Description", "value": s.description}));
                }
                json!({
                    "type": "message",
                    "summary": s.subject,
                    "attachments": [{
                        "contentType": "application/vnd.microsoft.card.adaptive",
                        "contentUrl": null,
                        "content": {
                            "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
                            "type": "AdaptiveCard",
                            "version": "1.4",
                            "body": [
                                {"type": "TextBlock", "text": s.subject, "weight": "Bolder",
                                 "size": "Medium", "wrap": true},
                                {"type": "FactSet", "facts": facts},
                                {"type": "TextBlock", "text": s.reason, "wrap": true},
                            ],
                        },
                    }],
                })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn notification() -> Value {
        let message = json!({
            "AlarmName": "root-usage",
            "AlarmDescription": "Root <b>&</b> used",
            "AWSAccountId": "111122223333",
            "NewStateValue": "ALARM",
            "NewStateReason": "Threshold Crossed: 1 datapoint [2.0 (23/11/26 09:15:00)] was greater than or equal to the threshold (1.0).",
            "StateChangeTime": "2026-11-23T09:20:00.000+0000",
            "Region": "US East (N. Virginia)",
            "OldStateValue": "INSUFFICIENT_DATA",
        });
        json!({
            "Type": "Notification",
            "Subject": "ALARM: \"root-usage\" <in> US East (N. Virginia)",
            "Message": message.to_string(),
        })
    }

    #[test]
    fn slack_gets_plain_text_blocks() {
        let body = Service::Slack.body(&notification());
        assert_eq!(
            body["text"],
            "ALARM: \"root-usage\" &lt;in&gt; US East (N. Virginia)"
        );
        assert_eq!(body["unfurl_links"], false);
        let blocks = body["blocks"].as_array().unwrap();
        assert_eq!(blocks[0]["type"], "header");
        assert_eq!(
            blocks[0]["text"]["text"],
            "ALARM: \"root-usage\" <in> US East (N. Virginia)"
        );
        let fields: Vec<&str> = blocks[1]["fields"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["text"].as_str().unwrap())
            .collect();
        assert_eq!(
            fields,
            [
                "Alarm\nroot-usage",
                "State\nINSUFFICIENT_DATA → ALARM",
                "Time\n2026-11-23T09:20:00.000+0000",
                "Account and region\n111122223333 · US East (N. Virginia)",
            ]
        );
        assert!(
            blocks[2]["text"]["text"]
                .as_str()
                .unwrap()
                .starts_with("Threshold Crossed: 1 datapoint")
        );
        assert_eq!(blocks[3]["elements"][0]["text"], "Root <b>&</b> used");
        // Every text object is plain text: nothing in a value is read as a link or markup.
        let text = body.to_string();
        assert!(!text.contains("mrkdwn"), "{text}");
        assert_eq!(text.matches("\"plain_text\"").count(), 7, "{text}");
    }

    #[test]
    fn teams_gets_an_adaptive_card() {
        let body = Service::Teams.body(&notification());
        assert_eq!(body["type"], "message");
        let card = &body["attachments"][0];
        assert_eq!(
            card["contentType"],
            "application/vnd.microsoft.card.adaptive"
        );
        let content = &card["content"];
        assert_eq!(content["type"], "AdaptiveCard");
        assert_eq!(
            content["body"][0]["text"],
            "ALARM: \"root-usage\" <in> US East (N. Virginia)"
        );
        let facts: Vec<(&str, &str)> = content["body"][1]["facts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| (f["title"].as_str().unwrap(), f["value"].as_str().unwrap()))
            .collect();
        assert_eq!(
            facts,
            [
                ("Alarm", "root-usage"),
                ("State", "INSUFFICIENT_DATA → ALARM"),
                ("Time", "2026-11-23T09:20:00.000+0000"),
                ("Account", "111122223333"),
                ("Region", "US East (N. Virginia)"),
                ("Description", "Root <b>&</b> used"),
            ]
        );
        assert!(
            content["body"][2]["text"]
                .as_str()
                .unwrap()
                .starts_with("Threshold Crossed")
        );
    }

    #[test]
    fn long_values_are_cut_to_slacks_limits() {
        let mut n = notification();
        n["Subject"] = Value::from("x".repeat(400));
        let body = Service::Slack.body(&n);
        let header = body["blocks"][0]["text"]["text"].as_str().unwrap();
        assert_eq!(header.chars().count(), 150);
        assert!(header.ends_with('…'));
    }
}
