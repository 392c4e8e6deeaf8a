//! Where alarm notifications go: standard output, a file, an HTTP(S) webhook, a Slack or Teams
//! incoming webhook, or Amazon SNS.
//!
//! Each notification is the SNS message CloudWatch publishes for an alarm state change (built
//! by the library, one line of JSON). The targets, as `--notify` names them ([`Target::parse`]):
//!
//! - `-` and a file path get the message, one JSON object per line;
//! - `http://…` and `https://…` get an HTTP `POST` of the message with the headers SNS sends to
//!   an HTTP subscription ([`http`]: `ureq` with rustls);
//! - `slack:URL` and `teams:URL` get the alarm's state change in that service's incoming-webhook
//!   JSON ([`chat`]);
//! - `sns` publishes each message to the topic its alarm action names, `sns:TOPIC-ARN` all of
//!   them to one topic, as CloudWatch does: an SNS `Publish` of the `Subject` and `Message`,
//!   through the AWS SDK for Rust ([`sns`]).
//!
//! A delivery that fails is a [`DeliveryError`] for the caller to report, with the number of
//! attempts made; it never stops the other deliveries. Connection errors, 5xx and 429 answers
//! are tried again with exponential backoff ([`Retry`]); a time-out is not. Header values are checked
//! before anything is sent: no value from a log or a rules file can add a header or a request.

mod chat;
mod http;
mod sns;

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::PathBuf;
use std::rc::Rc;
use std::time::Duration;

use serde_json::Value;
use trailmatch_cloudtrail::boundary;

pub use chat::Service;
pub use http::sns_headers;

/// How long one attempt to deliver to a webhook or SNS has, in all: looking the host up,
/// connecting, sending and reading the answer share one deadline.
pub const TIMEOUT: Duration = Duration::from_secs(10);

/// One `--notify` target as the command line names it: checked, not yet opened.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    /// `-`: standard output.
    Stdout,
    /// A file, appended to.
    File(PathBuf),
    /// `http://…` or `https://…`: each message POSTed as SNS posts to an HTTP subscription.
    Webhook(String),
    /// `slack:URL` or `teams:URL`: each state change in the service's incoming-webhook JSON.
    Chat(Service, String),
    /// `sns` (`None`: each message to the topic its alarm action names) or `sns:TOPIC-ARN`.
    Sns(Option<String>),
}

/// The forms a target can take, for error messages.
const FORMS: &str = "-, FILE, http://…, https://…, slack:URL, teams:URL, sns, \
                     sns:arn:aws:sns:REGION:ACCOUNT:TOPIC";

impl Target {
    /// Reads a `--notify` value: `-`, `sns`, `sns:TOPIC-ARN`, `http://…`, `https://…`,
    /// `slack:URL`, `teams:URL`, or a file path. A value that starts like a URL scheme
    /// (`word:`, two characters or more, so that `C:\…` stays a path) and is none of these is
    /// an error naming the value: `sns:arn:aws:sns:…` with a typo must not quietly become a
    /// file. A file whose name has a colon is written `./name:…`.
    pub fn parse(text: &str) -> Result<Target, String> {
        let shown = boundary::terminal(text);
        if text.is_empty() {
            return Err(format!("an empty notification target: give one of {FORMS}"));
        }
        if text == "-" {
            return Ok(Target::Stdout);
        }
        if text == "sns" {
            return Ok(Target::Sns(None));
        }
        let Some((scheme, rest)) = scheme(text) else {
            return Ok(Target::File(PathBuf::from(text)));
        };
        match scheme.to_ascii_lowercase().as_str() {
            "http" | "https" => http::check_url(text)
                .map(|()| Target::Webhook(text.to_owned()))
                .map_err(|e| format!("`{shown}`: {e}")),
            "slack" | "teams" => {
                let service = if scheme.eq_ignore_ascii_case("slack") {
                    Service::Slack
                } else {
                    Service::Teams
                };
                if rest.is_empty() {
                    return Err(format!(
                        "`{shown}`: give the incoming webhook's URL, as in {}:https://…",
                        service.name()
                    ));
                }
                http::check_url(rest)
                    .map(|()| Target::Chat(service, rest.to_owned()))
                    .map_err(|e| format!("`{shown}`: {e}"))
            }
            "sns" if rest.is_empty() => Err(format!(
                "`{shown}`: no topic ARN; give sns:arn:aws:sns:REGION:ACCOUNT:TOPIC, or sns \
                 for the topic each alarm names"
            )),
            "sns" => boundary::check_sns_topic_arn(rest)
                .map(|()| Target::Sns(Some(rest.to_owned())))
                .map_err(|e| {
                    // The check names the ARN; the target named here holds it.
                    let arn = format!("`{}`: ", boundary::terminal(rest));
                    let e = e.strip_prefix(&arn).unwrap_or(&e);
                    format!(
                        "`{shown}`: {e}; give sns:arn:aws:sns:REGION:ACCOUNT:TOPIC, or sns \
                         for the topic each alarm names"
                    )
                }),
            _ => Err(format!(
                "`{shown}`: `{}:` is not a kind of notification target ({FORMS}); a file \
                 whose name has a colon is written ./{shown}",
                boundary::terminal(scheme)
            )),
        }
    }

    /// The target as the report names it: `-`, the file, the URL; a Slack or Teams URL (whose
    /// path is a secret) as `slack:https://host/…`.
    pub fn name(&self) -> String {
        match self {
            Target::Stdout => "-".to_owned(),
            Target::File(path) => path.display().to_string(),
            Target::Webhook(url) => url.clone(),
            Target::Chat(service, url) => format!("{}:{}", service.name(), http::redacted(url)),
            Target::Sns(None) => "sns".to_owned(),
            Target::Sns(Some(arn)) => format!("sns:{arn}"),
        }
    }
}

/// `(scheme, rest)` of `scheme:rest` when `text` starts like a URL scheme (RFC 3986: a letter,
/// then letters, digits, `+`, `-` and `.`), of two characters or more (`C:\…` is a path).
fn scheme(text: &str) -> Option<(&str, &str)> {
    let (scheme, rest) = text.split_once(':')?;
    let mut chars = scheme.chars();
    let looks = chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
        && scheme.len() >= 2;
    looks.then_some((scheme, rest))
}

/// How often and how soon a failed delivery is tried again: after a connection error or a 5xx
/// or 429 answer, up to `retries` more times, waiting `first_delay`, then twice as long each
/// time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Retry {
    /// Tries after the first.
    pub retries: u32,
    /// The wait before the first retry.
    pub first_delay: Duration,
}

impl Retry {
    /// The longest wait between two attempts.
    const MAX_DELAY: Duration = Duration::from_secs(20);

    /// The wait before attempt `attempt + 1` (attempts count from 1).
    fn delay(self, attempt: u32) -> Duration {
        let factor = 2u32.saturating_pow(attempt.saturating_sub(1));
        self.first_delay.saturating_mul(factor).min(Self::MAX_DELAY)
    }

    /// Runs `attempt` until it succeeds, fails for good (`Err((e, false))`) or has been tried
    /// `retries + 1` times, waiting between tries. The result carries the number of attempts.
    fn run<T>(
        self,
        mut attempt: impl FnMut() -> Result<T, (DeliveryError, bool)>,
    ) -> Result<(T, u32), DeliveryError> {
        let mut made = 0u32;
        loop {
            made += 1;
            match attempt() {
                Ok(value) => return Ok((value, made)),
                Err((e, again)) if again && made <= self.retries => {
                    std::thread::sleep(self.delay(made));
                    drop(e);
                }
                Err((e, _)) => return Err(e.attempts(made)),
            }
        }
    }
}

/// What opening the targets needs besides the targets.
#[derive(Clone, Debug)]
pub struct Options {
    /// `--ca-cert`: the PEM certificates that HTTPS receivers are checked against, instead of the
    /// bundled Mozilla roots.
    pub ca_cert: Option<PathBuf>,
    /// Retries after connection errors and 5xx answers.
    pub retry: Retry,
    /// The time one attempt has ([`TIMEOUT`]).
    pub timeout: Duration,
}

/// Why one notification did not reach one target. The codes are stable.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum DeliveryErrorKind {
    /// Standard output was closed by its reader (`| head`).
    BrokenPipe,
    /// Standard output or the file could not be written.
    WriteFailed,
    /// The receiver could not be reached (no such host, connection refused or reset).
    ConnectionFailed,
    /// The receiver was not looked up, or did not accept, take and answer the request, within
    /// the time one attempt has ([`TIMEOUT`]).
    TimedOut,
    /// The TLS handshake failed (a certificate not trusted: see `--ca-cert`).
    TlsFailed,
    /// The webhook answered with a status other than 2xx, or not with HTTP.
    HttpStatus,
    /// SNS refused the `Publish` (no such topic, access denied, an invalid subject).
    ServiceError,
    /// The request could not be made: no AWS credentials, say.
    RequestFailed,
    /// A header value (the topic ARN, the message id) holds a character that cannot be sent in
    /// a header: the request is not sent.
    InvalidHeader,
}

impl DeliveryErrorKind {
    /// The stable kebab-case code.
    pub fn code(self) -> &'static str {
        match self {
            DeliveryErrorKind::BrokenPipe => "broken-pipe",
            DeliveryErrorKind::WriteFailed => "write-failed",
            DeliveryErrorKind::ConnectionFailed => "connection-failed",
            DeliveryErrorKind::TimedOut => "timed-out",
            DeliveryErrorKind::TlsFailed => "tls-failed",
            DeliveryErrorKind::HttpStatus => "http-status",
            DeliveryErrorKind::ServiceError => "service-error",
            DeliveryErrorKind::RequestFailed => "request-failed",
            DeliveryErrorKind::InvalidHeader => "invalid-header",
        }
    }
}

/// One notification not delivered to one target: the kind, the reason (what the receiver said,
/// escaped for a terminal) and the number of attempts made.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeliveryError {
    /// What went wrong.
    pub kind: DeliveryErrorKind,
    /// Why, for a person: `timed out after 10 s without an answer`, `HTTP 503 Service
    /// Unavailable`.
    pub reason: String,
    /// How many times the message was sent (0: it was not sent at all).
    pub attempts: u32,
}

impl DeliveryError {
    fn new(kind: DeliveryErrorKind, reason: impl Into<String>) -> Self {
        DeliveryError {
            kind,
            reason: reason.into(),
            attempts: 1,
        }
    }

    fn attempts(mut self, attempts: u32) -> Self {
        self.attempts = attempts;
        self
    }
}

impl std::fmt::Display for DeliveryError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.reason)
    }
}

/// `timed out after 10 s`, `timed out after 300 ms`.
fn timed_out_after(timeout: Duration) -> String {
    if timeout.subsec_millis() == 0 {
        format!("timed out after {} s", timeout.as_secs())
    } else {
        format!("timed out after {} ms", timeout.as_millis())
    }
}

/// One notification delivered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sent {
    /// How many attempts it took.
    pub attempts: u32,
    /// The id the receiver gave it (SNS's `MessageId`), when it gives one.
    pub id: Option<String>,
}

/// The HTTP client made for the webhook targets.
fn http_client(client: &Option<http::Client>) -> Result<http::Client, String> {
    client
        .clone()
        .ok_or_else(|| "no HTTP client was made for a webhook".to_owned())
}

/// One opened target.
#[derive(Debug)]
pub struct Sink {
    target: Target,
    how: How,
}

#[derive(Debug)]
enum How {
    Stdout,
    File(File),
    Webhook(http::Client, String),
    Chat(http::Client, Service, String),
    /// The publisher, shared by the SNS targets, and the one topic, if the target names one.
    Sns(Rc<sns::Publisher>, Option<String>),
}

impl Sink {
    /// Opens every target: files are created (appended to), an HTTP client is made when a
    /// target is a webhook (reading `--ca-cert`), and the AWS configuration is loaded when one
    /// is SNS. The error names the target or the file.
    pub fn open_all(targets: &[Target], options: &Options) -> Result<Vec<Sink>, String> {
        let needs_http = targets
            .iter()
            .any(|t| matches!(t, Target::Webhook(_) | Target::Chat(..)));
        let client = if needs_http {
            Some(http::Client::new(
                options.ca_cert.as_deref(),
                options.timeout,
                options.retry,
            )?)
        } else {
            None
        };
        let mut publisher = None;
        targets
            .iter()
            .map(|target| {
                let how = match target {
                    Target::Stdout => How::Stdout,
                    Target::File(path) => OpenOptions::new()
                        .create(true)
                        .append(true)
                        .open(path)
                        .map(How::File)
                        .map_err(|e| {
                            format!(
                                "cannot open {} for notifications: {e}",
                                boundary::terminal(&path.display().to_string())
                            )
                        })?,
                    Target::Webhook(url) => How::Webhook(http_client(&client)?, url.clone()),
                    Target::Chat(service, url) => {
                        How::Chat(http_client(&client)?, *service, url.clone())
                    }
                    Target::Sns(topic) => {
                        let shared = match &publisher {
                            Some(shared) => Rc::clone(shared),
                            None => {
                                let made =
                                    Rc::new(sns::Publisher::new(options.timeout, options.retry)?);
                                publisher = Some(Rc::clone(&made));
                                made
                            }
                        };
                        How::Sns(shared, topic.clone())
                    }
                };
                Ok(Sink {
                    target: target.clone(),
                    how,
                })
            })
            .collect()
    }

    /// The target as the report names it ([`Target::name`]).
    pub fn name(&self) -> String {
        self.target.name()
    }

    /// Delivers one SNS message (its JSON text, on one line).
    pub fn deliver(&mut self, line: &str) -> Result<Sent, DeliveryError> {
        let once = Sent {
            attempts: 1,
            id: None,
        };
        let write = |e: io::Error| {
            if e.kind() == io::ErrorKind::BrokenPipe {
                DeliveryError::new(DeliveryErrorKind::BrokenPipe, "standard output was closed")
            } else {
                DeliveryError::new(
                    DeliveryErrorKind::WriteFailed,
                    format!("cannot write a notification: {e}"),
                )
            }
        };
        let message: Value = serde_json::from_str(line).unwrap_or(Value::Null);
        let text = |key: &str| message.get(key).and_then(Value::as_str).unwrap_or("");
        match &mut self.how {
            How::Stdout => {
                let mut out = io::stdout().lock();
                writeln!(out, "{line}")
                    .and_then(|()| out.flush())
                    .map_err(write)?;
                Ok(once)
            }
            How::File(file) => {
                writeln!(file, "{line}").map_err(write)?;
                Ok(once)
            }
            How::Chat(client, service, url) => {
                let body = service.body(&message);
                client.post(url, &[], "application/json", &body.to_string())
            }
            How::Webhook(client, url) => {
                let headers =
                    sns_headers(text("MessageId"), text("TopicArn")).map_err(|e| e.attempts(0))?;
                client.post(url, &headers, "text/plain; charset=UTF-8", line)
            }
            How::Sns(publisher, topic) => {
                let topic = topic.as_deref().unwrap_or(text("TopicArn"));
                publisher.publish(topic, text("Subject"), text("Message"))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_parse_or_are_refused_with_their_name() {
        assert_eq!(Target::parse("-"), Ok(Target::Stdout));
        assert_eq!(Target::parse("sns"), Ok(Target::Sns(None)));
        assert_eq!(
            Target::parse("sns:arn:aws:sns:us-east-1:111122223333:alerts"),
            Ok(Target::Sns(Some(
                "arn:aws:sns:us-east-1:111122223333:alerts".to_owned()
            )))
        );
        for file in ["out.jsonl", "dir/out.jsonl", "./a:b", "C:\\out.jsonl", "x"] {
            assert_eq!(Target::parse(file), Ok(Target::File(PathBuf::from(file))));
        }
        assert_eq!(
            Target::parse("https://hooks.example.com/a?b=c"),
            Ok(Target::Webhook(
                "https://hooks.example.com/a?b=c".to_owned()
            ))
        );
        assert_eq!(
            Target::parse("HTTP://127.0.0.1:9/x"),
            Ok(Target::Webhook("HTTP://127.0.0.1:9/x".to_owned()))
        );
        assert_eq!(
            Target::parse("slack:https://hooks.slack.com/services/T0/B0/secret"),
            Ok(Target::Chat(
                Service::Slack,
                "https://hooks.slack.com/services/T0/B0/secret".to_owned()
            ))
        );
        assert_eq!(
            Target::parse("teams:https://example.webhook.office.com/x")
                .unwrap()
                .name(),
            "teams:https://example.webhook.office.com/…"
        );
        let refused = |text: &str, says: &str| {
            let e = Target::parse(text).unwrap_err();
            assert!(e.contains(says), "{text}: {e}");
            assert!(!e.contains(['\r', '\n', '\u{1b}']), "{e:?}");
        };
        refused(
            "foo:bar",
            "`foo:bar`: `foo:` is not a kind of notification target",
        );
        refused("foo:bar", "./foo:bar");
        refused(
            "sns:",
            "`sns:`: no topic ARN; give sns:arn:aws:sns:REGION:ACCOUNT:TOPIC",
        );
        refused(
            "sns:arn:aws:sns:us-east-1:1111:t",
            "`sns:arn:aws:sns:us-east-1:1111:t`: its account `1111` is not a 12-digit",
        );
        refused(
            "sns:arn:aws:sqs:us-east-1:111122223333:t",
            "not an SNS topic ARN",
        );
        refused("slack:", "incoming webhook's URL");
        refused(
            "slack:ftp://x",
            "`slack:ftp://x`: not an http:// or https:// URL",
        );
        refused("teams:not a url", "`teams:not a url`: not a URL");
        refused("ftp://example.com/x", "`ftp:`");
        refused("http:///path", "`http:///path`: ");
        refused("https://user:pw@example.com/", "user name or password");
        refused("http://127.0.0.1/a\r\nX: y", "\\u{d}\\u{a}");
        refused("mailto:\u{1b}[2J", "\\u{1b}");
        refused("", "empty");
    }

    #[test]
    fn retries_back_off_exponentially_and_stop() {
        let retry = Retry {
            retries: 3,
            first_delay: Duration::from_millis(10),
        };
        assert_eq!(retry.delay(1), Duration::from_millis(10));
        assert_eq!(retry.delay(2), Duration::from_millis(20));
        assert_eq!(retry.delay(3), Duration::from_millis(40));
        assert_eq!(
            Retry {
                retries: 40,
                first_delay: Duration::from_secs(1)
            }
            .delay(40),
            Retry::MAX_DELAY
        );
        let failing = |again| {
            move || -> Result<(), _> {
                Err((
                    DeliveryError::new(DeliveryErrorKind::ConnectionFailed, "refused"),
                    again,
                ))
            }
        };
        assert_eq!(retry.run(failing(true)).unwrap_err().attempts, 4);
        assert_eq!(retry.run(failing(false)).unwrap_err().attempts, 1);
        let mut calls = 0;
        let third = retry
            .run(|| {
                calls += 1;
                if calls < 3 {
                    Err((
                        DeliveryError::new(DeliveryErrorKind::HttpStatus, "HTTP 503"),
                        true,
                    ))
                } else {
                    Ok(calls)
                }
            })
            .unwrap();
        assert_eq!(third, (3, 3));
    }
}
