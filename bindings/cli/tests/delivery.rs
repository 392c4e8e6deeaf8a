//! Issue 17, part 1: `scan --notify` delivers through real components, and nothing is lost
//! silently. Through the built binary, on the bundled sample (4 notifications):
//!
//! - HTTPS to a local TLS receiver whose self-signed certificate the test makes (`rcgen`,
//!   served with `rustls`), trusted through `--ca-cert`; 503s retried, each message arriving
//!   once; a receiver that is down: exit 3 and every message in the `--dead-letter` file;
//! - Slack and Teams incoming-webhook bodies;
//! - Amazon SNS through a local moto server (`python -m moto.server` from the repository's venv,
//!   `bindings/python/.venv`, made by `tests/run.sh`), with an SQS queue subscribed to each
//!   topic: the messages that arrive are the ones the report lists;
//! - targets that are not one (`foo:bar`, a malformed topic ARN) refused when parsing arguments.
//!
//! Every receiver is on 127.0.0.1 and stops by itself.

mod common;

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::moto::{ACCOUNT, aws_env, moto, scan_against, sdk_config};
use common::receiver::Receiver;
use common::{BIN, Run, run_in};
use serde_json::Value;

fn scratch(name: &str) -> PathBuf {
    let dir =
        std::env::temp_dir().join(format!("trailmatch-delivery-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn run(args: &[&str]) -> Run {
    run_in(Path::new("."), args, None)
}

fn lines(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// The report's deliveries to `target`, delivered or failed.
fn outcomes<'a>(report: &'a Value, which: &str, target: &str) -> Vec<&'a Value> {
    report["notifications"][which]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["target"] == target)
        .collect()
}

// --- Argument errors -------------------------------------------------------------------------

/// A target that names no known kind is an error when the arguments are read, naming it; no
/// file of that name is made (it used to be, with exit status 0).
#[test]
fn unknown_targets_are_refused_before_anything_is_done() {
    let dir = scratch("args");
    for (target, says) in [
        ("foo:bar", "`foo:` is not a kind of notification target"),
        (
            "sns:arn:aws:sns:us-east-1:1111:alerts",
            "12-digit account id",
        ),
        (
            "sns:arn:aws:sqs:us-east-1:111122223333:q",
            "not an SNS topic ARN",
        ),
        ("sns:", "sns:arn:aws:sns:REGION:ACCOUNT:TOPIC"),
        ("slack:", "incoming webhook's URL"),
        ("teams:ftp://example.com/x", "http"),
        ("ftp://example.com/x", "`ftp:`"),
    ] {
        let out = run_in(&dir, &["scan", "--notify", target], None);
        assert_eq!(out.status, 2, "{target}: {}", out.stderr);
        assert!(out.stderr.contains(target), "{target}: {}", out.stderr);
        assert!(out.stderr.contains(says), "{target}: {}", out.stderr);
        assert!(out.stdout.is_empty(), "{}", out.stdout);
    }
    assert_eq!(
        std::fs::read_dir(&dir).unwrap().count(),
        0,
        "a file was made"
    );
    // A file whose name has a colon is written with a path.
    let out = run_in(&dir, &["scan", "--notify", "./foo:bar"], None);
    assert_eq!(out.status, 0, "{}", out.stderr);
    assert_eq!(
        std::fs::read_to_string(dir.join("foo:bar"))
            .unwrap()
            .lines()
            .count(),
        4
    );
    let out = run_in(
        &dir,
        &[
            "scan",
            "--ca-cert",
            "missing.pem",
            "--notify",
            "https://127.0.0.1:9/",
        ],
        None,
    );
    assert_eq!(out.status, 2, "{}", out.stderr);
    assert!(
        out.stderr.contains("--ca-cert missing.pem"),
        "{}",
        out.stderr
    );
    let out = run_in(&dir, &["scan", "--retries", "11"], None);
    assert_eq!(out.status, 2, "{}", out.stderr);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A self-signed certificate for 127.0.0.1 and localhost: its PEM, and a TLS server
/// configuration that presents it.
fn self_signed() -> (String, Arc<rustls::ServerConfig>) {
    let rcgen::CertifiedKey { cert, signing_key } =
        rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_owned(), "localhost".to_owned()])
            .unwrap();
    let key = rustls::pki_types::PrivateKeyDer::Pkcs8(rustls::pki_types::PrivatePkcs8KeyDer::from(
        signing_key.serialize_der(),
    ));
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(vec![cert.der().clone()], key)
    .unwrap();
    (cert.pem(), Arc::new(config))
}

// --- HTTPS ----------------------------------------------------------------------------------

/// An HTTPS receiver with a private certificate, trusted through `--ca-cert`, that answers 503
/// twice to each message: every message is tried again (after 0.5 s, then 1 s) and arrives
/// once, as SNS sends it; the report gives three attempts for each. Without `--ca-cert` the
/// certificate is not trusted: `tls-failed`, not retried, exit 3.
#[test]
fn https_with_a_private_ca_and_503s_retried_delivers_each_message_once() {
    let dir = scratch("https");
    let (pem, tls) = self_signed();
    let ca = dir.join("ca.pem");
    std::fs::write(&ca, pem).unwrap();
    let file = dir.join("sns.jsonl");
    let receiver = Receiver::start(
        Some(Arc::clone(&tls)),
        |_, before| {
            if before < 2 { 503 } else { 200 }
        },
    );
    let url = receiver.url("https", "/hook");
    let out = run(&[
        "scan",
        "--format",
        "json",
        "--ca-cert",
        ca.to_str().unwrap(),
        "--notify",
        &url,
        "--notify",
        file.to_str().unwrap(),
    ]);
    let requests = receiver.finish();
    assert_eq!(out.status, 0, "{}", out.stderr);
    let report: Value = serde_json::from_str(&out.stdout).unwrap();
    let written = std::fs::read_to_string(&file).unwrap();
    let accepted: Vec<&str> = requests
        .iter()
        .filter(|r| r.status == 200)
        .map(|r| r.body.as_str())
        .collect();
    assert_eq!(accepted, written.lines().collect::<Vec<_>>());
    assert_eq!(requests.len(), 12, "{requests:?}");
    for r in &requests {
        assert_eq!(r.path, "/hook");
        assert_eq!(r.headers["x-amz-sns-message-type"], "Notification");
        assert_eq!(r.headers["content-type"], "text/plain; charset=UTF-8");
        let message: Value = serde_json::from_str(&r.body).unwrap();
        assert_eq!(r.headers["x-amz-sns-message-id"], message["MessageId"]);
        assert_eq!(r.headers["x-amz-sns-topic-arn"], message["TopicArn"]);
    }
    let delivered = outcomes(&report, "delivered", &url);
    assert_eq!(delivered.len(), 4);
    assert!(
        delivered.iter().all(|d| d["attempts"] == 3),
        "{delivered:?}"
    );
    assert!(
        report["notifications"]["failed"]
            .as_array()
            .unwrap()
            .is_empty()
    );

    // The same receiver's certificate, not trusted: the bundled roots do not know it.
    let receiver = Receiver::start(Some(tls), |_, _| 200);
    let url = receiver.url("https", "/hook");
    let out = run(&["scan", "--format", "json", "--notify", &url]);
    let requests = receiver.finish();
    assert_eq!(out.status, 3, "{}", out.stderr);
    assert!(requests.is_empty(), "{requests:?}");
    let report: Value = serde_json::from_str(&out.stdout).unwrap();
    let failed = outcomes(&report, "failed", &url);
    assert_eq!(failed.len(), 4);
    for f in failed {
        assert_eq!(f["code"], "tls-failed", "{f}");
        assert_eq!(f["attempts"], 1, "{f}");
        assert!(f["reason"].as_str().unwrap().contains("certificate"), "{f}");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A receiver that is down: each message is tried `--retries` + 1 times, the scan exits 3, the
/// report lists every failure with its attempts, and the dead-letter file holds every
/// undelivered message, equal to what the file target got.
#[test]
fn a_receiver_that_is_down_leaves_every_message_in_the_dead_letter_file() {
    let dir = scratch("down");
    let file = dir.join("sns.jsonl");
    let dead = dir.join("dead.jsonl");
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("http://127.0.0.1:{port}/sns");
    let out = run(&[
        "scan",
        "--retries",
        "1",
        "--notify",
        &url,
        "--notify",
        file.to_str().unwrap(),
        "--dead-letter",
        dead.to_str().unwrap(),
    ]);
    assert_eq!(out.status, 3, "{}", out.stderr);
    assert!(
        out.stderr
            .contains("4 of 8 alarm notifications could not be delivered"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("4 kept in"), "{}", out.stderr);
    assert!(
        out.stdout.contains("Notifications not delivered: 4"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("[connection-failed] (2 attempts)"),
        "{}",
        out.stdout
    );
    let kept = lines(&dead);
    let written = lines(&file);
    assert_eq!(kept.len(), 4);
    // Each message kept as it was to be sent: its JSON text, members in CloudWatch's order.
    let kept_text = std::fs::read_to_string(&dead).unwrap();
    let written_text = std::fs::read_to_string(&file).unwrap();
    for (k, w) in kept_text.lines().zip(written_text.lines()) {
        assert!(k.ends_with(&format!(",\"message\":{w}}}")), "{k}");
    }
    for (k, w) in kept.iter().zip(&written) {
        assert_eq!(k["target"], url.as_str());
        assert_eq!(k["code"], "connection-failed");
        assert_eq!(k["attempts"], 2);
        assert_eq!(k["topic"], w["TopicArn"]);
        assert_eq!(&k["message"], w);
    }
    // ndjson lists each delivery.
    let out = run(&[
        "scan",
        "--format",
        "ndjson",
        "--retries",
        "0",
        "--notify",
        &url,
        "--notify",
        file.to_str().unwrap(),
    ]);
    assert_eq!(out.status, 3, "{}", out.stderr);
    let kinds: Vec<String> = out
        .stdout
        .lines()
        .map(|l| {
            serde_json::from_str::<Value>(l).unwrap()["type"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .filter(|k| k.contains("delivered"))
        .collect();
    assert_eq!(kinds.iter().filter(|k| *k == "delivered").count(), 4);
    assert_eq!(kinds.iter().filter(|k| *k == "undelivered").count(), 4);
    std::fs::remove_dir_all(&dir).unwrap();
}

// --- Slack and Teams ----------------------------------------------------------------------------

/// `slack:URL` and `teams:URL` post each state change in the service's incoming-webhook JSON,
/// without SNS's headers; the report names the targets without the URL's path (a secret).
#[test]
fn slack_and_teams_get_their_webhook_json() {
    let receiver = Receiver::start(None, |_, _| 200);
    let slack = receiver.url("http", "/services/T0/B0/secret");
    let teams = receiver.url("http", "/workflows/secret");
    let out = run(&[
        "scan",
        "--format",
        "json",
        "--notify",
        &format!("slack:{slack}"),
        "--notify",
        &format!("teams:{teams}"),
    ]);
    let port = receiver.port;
    let requests = receiver.finish();
    assert_eq!(out.status, 0, "{}", out.stderr);
    assert!(!out.stdout.contains("secret"), "{}", out.stdout);
    let report: Value = serde_json::from_str(&out.stdout).unwrap();
    for service in ["slack", "teams"] {
        let shown = format!("{service}:http://127.0.0.1:{port}/…");
        assert_eq!(outcomes(&report, "delivered", &shown).len(), 4, "{report}");
    }
    assert_eq!(requests.len(), 8);
    for r in &requests {
        assert_eq!(r.headers["content-type"], "application/json");
        assert!(!r.headers.contains_key("x-amz-sns-message-type"));
        let body: Value = serde_json::from_str(&r.body).unwrap();
        if r.path.starts_with("/services/") {
            let header = body["blocks"][0]["text"]["text"].as_str().unwrap();
            assert!(header.starts_with("ALARM: \"CIS-5."), "{body}");
            assert_eq!(body["text"], header);
            let fields = body["blocks"][1]["fields"].as_array().unwrap();
            assert!(
                fields[0]["text"]
                    .as_str()
                    .unwrap()
                    .starts_with("Alarm\nCIS-5.")
            );
            assert_eq!(fields[1]["text"], "State\nINSUFFICIENT_DATA → ALARM");
            assert!(
                body["blocks"][2]["text"]["text"]
                    .as_str()
                    .unwrap()
                    .starts_with("Threshold Crossed")
            );
        } else {
            assert_eq!(r.path, "/workflows/secret");
            let card = &body["attachments"][0]["content"];
            assert_eq!(card["type"], "AdaptiveCard");
            assert!(
                card["body"][0]["text"]
                    .as_str()
                    .unwrap()
                    .starts_with("ALARM: \"CIS-5.")
            );
            assert_eq!(
                card["body"][1]["facts"][1]["value"],
                "INSUFFICIENT_DATA → ALARM"
            );
        }
        assert!(!r.body.contains("console.aws.amazon.com"), "{}", r.body);
    }
}

// --- SNS through a local moto server -----------------------------------------------------------

/// SNS and SQS clients on moto, with a runtime to drive them.
struct Aws {
    runtime: tokio::runtime::Runtime,
    sns: aws_sdk_sns::Client,
    sqs: aws_sdk_sqs::Client,
}

impl Aws {
    fn new(endpoint: &str) -> Aws {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let config = sdk_config(&runtime, endpoint);
        Aws {
            sns: aws_sdk_sns::Client::new(&config),
            sqs: aws_sdk_sqs::Client::new(&config),
            runtime,
        }
    }

    /// Makes topic `name` with a queue of the same name subscribed to it: (topic ARN, queue URL).
    fn topic_with_queue(&self, name: &str) -> (String, String) {
        self.runtime.block_on(async {
            let topic = self.sns.create_topic().name(name).send().await.unwrap();
            let topic = topic.topic_arn().unwrap().to_owned();
            let queue = self
                .sqs
                .create_queue()
                .queue_name(name)
                .send()
                .await
                .unwrap();
            let queue = queue.queue_url().unwrap().to_owned();
            let attributes = self
                .sqs
                .get_queue_attributes()
                .queue_url(&queue)
                .attribute_names(aws_sdk_sqs::types::QueueAttributeName::QueueArn)
                .send()
                .await
                .unwrap();
            let queue_arn = attributes.attributes().unwrap()
                [&aws_sdk_sqs::types::QueueAttributeName::QueueArn]
                .clone();
            self.sns
                .subscribe()
                .topic_arn(&topic)
                .protocol("sqs")
                .endpoint(queue_arn)
                .send()
                .await
                .unwrap();
            (topic, queue)
        })
    }

    /// The bodies of the messages in `queue` (parsed: SNS envelopes), waiting up to 20 s for
    /// `expected` of them and a second more for any beyond.
    fn drain(&self, queue: &str, expected: usize) -> Vec<Value> {
        self.runtime.block_on(async {
            let mut bodies = Vec::new();
            let deadline = Instant::now() + Duration::from_secs(20);
            loop {
                let received = self
                    .sqs
                    .receive_message()
                    .queue_url(queue)
                    .max_number_of_messages(10)
                    .wait_time_seconds(1)
                    .send()
                    .await
                    .unwrap();
                let got = received.messages();
                for m in got {
                    bodies.push(serde_json::from_str(m.body().unwrap()).unwrap());
                    self.sqs
                        .delete_message()
                        .queue_url(queue)
                        .receipt_handle(m.receipt_handle().unwrap())
                        .send()
                        .await
                        .unwrap();
                }
                if (bodies.len() >= expected && got.is_empty()) || Instant::now() > deadline {
                    return bodies;
                }
            }
        })
    }
}

/// Checks that the SNS envelopes that arrived are the published messages: for each delivery the
/// report lists (in order, with the `MessageId` SNS gave), the envelope with that id carries
/// the `Subject` and `Message` of the notification the file target got, on `topic`.
fn arrived_as_reported(arrived: &[Value], delivered: &[&Value], written: &[&Value], topic: &str) {
    assert_eq!(arrived.len(), delivered.len(), "{arrived:?}");
    assert_eq!(delivered.len(), written.len());
    for (d, w) in delivered.iter().zip(written) {
        let id = d["message_id"].as_str().unwrap();
        let envelope = arrived
            .iter()
            .find(|e| e["MessageId"] == id)
            .unwrap_or_else(|| panic!("no message {id} arrived: {arrived:?}"));
        assert_eq!(envelope["Type"], "Notification");
        assert_eq!(envelope["TopicArn"], topic);
        assert_eq!(envelope["Subject"], w["Subject"]);
        assert_eq!(envelope["Message"], w["Message"]);
        assert_eq!(d["attempts"], 1);
    }
}

/// `--notify sns:TOPIC` publishes the sample's 4 notifications to that topic through the AWS
/// SDK; the queue subscribed to it receives 4 SNS envelopes, each the message the report lists.
#[test]
fn sns_topic_target_publishes_every_notification_to_moto() {
    let Some(moto) = moto() else { return };
    let aws = Aws::new(&moto.endpoint);
    let (topic, queue) = aws.topic_with_queue("cis-alarms");
    assert_eq!(topic, format!("arn:aws:sns:us-east-1:{ACCOUNT}:cis-alarms"));
    let dir = scratch("sns");
    let file = dir.join("sns.jsonl");
    let target = format!("sns:{topic}");
    let out = scan_against(
        &moto.endpoint,
        &[
            "--format",
            "json",
            "--notify",
            &target,
            "--notify",
            file.to_str().unwrap(),
        ],
    );
    assert_eq!(out.status, 0, "{}", out.stderr);
    let report: Value = serde_json::from_str(&out.stdout).unwrap();
    let delivered = outcomes(&report, "delivered", &target);
    assert_eq!(delivered.len(), 4, "{report}");
    let written = lines(&file);
    let arrived = aws.drain(&queue, 4);
    arrived_as_reported(
        &arrived,
        &delivered,
        &written.iter().collect::<Vec<_>>(),
        &topic,
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

/// `--notify sns` sends each message to the topic its alarm's action names: the CIS alarms to
/// `cis-alarms`, a second alarm on the same metric to `security`, and a third to a topic that
/// does not exist, whose messages SNS refuses (`service-error`, not retried, exit 3).
#[test]
fn sns_routes_each_notification_to_its_alarms_topic() {
    let Some(moto) = moto() else { return };
    let aws = Aws::new(&moto.endpoint);
    let (cis, cis_queue) = aws.topic_with_queue("cis-alarms");
    let (security, security_queue) = aws.topic_with_queue("security");
    let dir = scratch("sns-routing");
    let rules = dir.join("rules.toml");
    let alarm = |name: &str, topic: &str| {
        format!(
            "[[MetricAlarms]]\nAlarmName = \"{name}\"\nMetricName = \
             \"unauthorized_api_calls_metric\"\nNamespace = \"CISBenchmark\"\nStatistic = \
             \"Sum\"\nPeriod = 300\nEvaluationPeriods = 1\nThreshold = 1\nComparisonOperator = \
             \"GreaterThanOrEqualToThreshold\"\nAlarmActions = \
             [\"arn:aws:sns:${{AWS::Region}}:${{AWS::AccountId}}:{topic}\"]\n"
        )
    };
    std::fs::write(
        &rules,
        format!(
            "include = [\"cis\"]\n{}{}",
            alarm("security-unauthorized", "security"),
            alarm("nowhere-unauthorized", "no-such-topic")
        ),
    )
    .unwrap();
    let file = dir.join("sns.jsonl");
    let out = scan_against(
        &moto.endpoint,
        &[
            "--rules",
            rules.to_str().unwrap(),
            "--format",
            "json",
            "--notify",
            "sns",
            "--notify",
            file.to_str().unwrap(),
        ],
    );
    assert_eq!(out.status, 3, "{}", out.stderr);
    let report: Value = serde_json::from_str(&out.stdout).unwrap();
    let written = lines(&file);
    let delivered = outcomes(&report, "delivered", "sns");
    let on = |topic: &str| -> (Vec<&Value>, Vec<&Value>) {
        (
            delivered
                .iter()
                .copied()
                .filter(|d| d["topic"] == topic)
                .collect(),
            written.iter().filter(|w| w["TopicArn"] == topic).collect(),
        )
    };
    let (to_cis, cis_written) = on(&cis);
    assert_eq!(to_cis.len(), 4);
    arrived_as_reported(&aws.drain(&cis_queue, 4), &to_cis, &cis_written, &cis);
    let (to_security, security_written) = on(&security);
    assert!(!to_security.is_empty());
    assert_eq!(to_cis.len() + to_security.len(), delivered.len());
    let arrived = aws.drain(&security_queue, to_security.len());
    arrived_as_reported(&arrived, &to_security, &security_written, &security);
    assert!(arrived.iter().all(|e| {
        e["Subject"]
            .as_str()
            .unwrap()
            .contains("security-unauthorized")
    }));
    let failed = outcomes(&report, "failed", "sns");
    assert_eq!(failed.len(), to_security.len(), "{failed:?}");
    for f in failed {
        assert_eq!(f["alarm"], "nowhere-unauthorized");
        assert_eq!(f["code"], "service-error", "{f}");
        assert_eq!(f["attempts"], 1, "{f}");
        assert!(
            f["reason"].as_str().unwrap().starts_with("SNS NotFound"),
            "{f}"
        );
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

/// With no endpoint to reach, an SNS delivery fails as a connection error after the SDK's
/// retries, and is reported with its attempts; nothing is lost: the dead-letter file has it.
#[test]
fn sns_that_cannot_be_reached_is_reported_with_its_attempts() {
    let dir = scratch("sns-down");
    let dead = dir.join("dead.jsonl");
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let out = scan_against(
        &format!("http://127.0.0.1:{port}"),
        &[
            "--format",
            "json",
            "--retries",
            "1",
            "--notify",
            "sns",
            "--dead-letter",
            dead.to_str().unwrap(),
        ],
    );
    assert_eq!(out.status, 3, "{}", out.stderr);
    let report: Value = serde_json::from_str(&out.stdout).unwrap();
    let failed = outcomes(&report, "failed", "sns");
    assert_eq!(failed.len(), 4, "{report}");
    for f in &failed {
        assert_eq!(f["code"], "connection-failed", "{f}");
        assert_eq!(f["attempts"], 2, "{f}");
        let reason = f["reason"].as_str().unwrap();
        assert!(reason.contains("Connection refused"), "{reason}");
        assert!(!reason.contains('{'), "not a Debug dump: {reason}");
    }
    assert_eq!(lines(&dead).len(), 4);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Without credentials (none in the environment, no profile, no instance role), the request
/// cannot be signed: `request-failed`, saying so, not retried; nothing is silently dropped.
#[test]
fn sns_without_credentials_says_so() {
    let mut command = Command::new(BIN);
    command
        .args(["scan", "--format", "json", "--notify", "sns"])
        .stdin(Stdio::null());
    aws_env(&mut command, "http://127.0.0.1:9");
    command
        .env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY")
        .env_remove("AWS_WEB_IDENTITY_TOKEN_FILE")
        .env_remove("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI")
        .env_remove("AWS_CONTAINER_CREDENTIALS_FULL_URI");
    let out = command.output().unwrap();
    assert_eq!(out.status.code(), Some(3));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let failed = outcomes(&report, "failed", "sns");
    assert_eq!(failed.len(), 4, "{report}");
    for f in failed {
        assert_eq!(f["code"], "request-failed", "{f}");
        assert_eq!(f["attempts"], 1, "{f}");
        assert!(f["reason"].as_str().unwrap().contains("credentials"), "{f}");
    }
}
