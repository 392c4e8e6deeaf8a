//! Publishing to Amazon SNS as CloudWatch does, through the AWS SDK for Rust.
//!
//! CloudWatch publishes an alarm's state change with `Publish`: the `Subject`
//! (`ALARM: "name" in US East (N. Virginia)`) and the `Message` (the state change as JSON) of
//! the notification the library builds; SNS wraps them in the envelope subscribers get. The
//! credentials, the profile and the endpoint come from the standard AWS configuration
//! (environment variables, `~/.aws/config` and `credentials`, SSO, web identity, the instance's
//! role; `AWS_ENDPOINT_URL` and `AWS_ENDPOINT_URL_SNS` so that a local endpoint can stand in).
//! Each message goes to its topic's own region, from its ARN, as CloudWatch publishes in the
//! alarm's region.
//!
//! The SDK is async: it runs on a current-thread tokio runtime made only when an `sns` target
//! is given. It retries with its standard mode (exponential backoff with jitter, throttling and
//! transient errors) up to `--retries` more times; an interceptor counts the attempts. Its HTTPS
//! client is rustls with the `ring` provider, which builds with a C compiler alone (aws-lc-rs,
//! the SDK's default, wants cmake, which this project's machines do not have).

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, SdkConfig};
use aws_sdk_sns::config::interceptors::BeforeTransmitInterceptorContextRef;
use aws_sdk_sns::config::{ConfigBag, Intercept, Region, RuntimeComponents};
use aws_sdk_sns::error::{BoxError, ProvideErrorMetadata, SdkError};
use aws_smithy_http_client::tls::{self, rustls_provider::CryptoMode};
use trailmatch_cloudtrail::boundary;

use super::{DeliveryError, DeliveryErrorKind, Retry, Sent, timed_out_after};

/// Publishes to SNS: one runtime and one loaded AWS configuration for the run, one client per
/// region met.
#[derive(Debug)]
pub struct Publisher {
    runtime: tokio::runtime::Runtime,
    config: SdkConfig,
    clients: RefCell<HashMap<String, aws_sdk_sns::Client>>,
    timeout: Duration,
}

impl Publisher {
    /// Loads the AWS configuration as the AWS CLI does; each attempt has `timeout`, and the SDK
    /// makes up to `retry.retries` more.
    pub fn new(timeout: Duration, retry: Retry) -> Result<Publisher, String> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| format!("cannot start the runtime for SNS: {e}"))?;
        let http = aws_smithy_http_client::Builder::new()
            .tls_provider(tls::Provider::Rustls(CryptoMode::Ring))
            .build_https();
        let retries = RetryConfig::standard()
            .with_max_attempts(retry.retries.saturating_add(1))
            .with_initial_backoff(retry.first_delay);
        let timeouts = TimeoutConfig::builder()
            .operation_attempt_timeout(timeout)
            .build();
        let config = runtime.block_on(
            aws_config::defaults(BehaviorVersion::latest())
                .http_client(http)
                .retry_config(retries)
                .timeout_config(timeouts)
                .load(),
        );
        Ok(Publisher {
            runtime,
            config,
            clients: RefCell::new(HashMap::new()),
            timeout,
        })
    }

    /// The client for `region` (made the first time).
    fn client(&self, region: &str) -> aws_sdk_sns::Client {
        self.clients
            .borrow_mut()
            .entry(region.to_owned())
            .or_insert_with(|| {
                let config = aws_sdk_sns::config::Builder::from(&self.config)
                    .region(Region::new(region.to_owned()))
                    .build();
                aws_sdk_sns::Client::from_conf(config)
            })
            .clone()
    }

    /// Publishes `message` with `subject` to `topic` (an ARN, checked here again).
    pub fn publish(
        &self,
        topic: &str,
        subject: &str,
        message: &str,
    ) -> Result<Sent, DeliveryError> {
        boundary::check_sns_topic_arn(topic)
            .map_err(|e| DeliveryError::new(DeliveryErrorKind::RequestFailed, e).attempts(0))?;
        let region = topic.split(':').nth(3).unwrap_or_default();
        let attempts = Arc::new(AtomicU32::new(0));
        let mut publish = self
            .client(region)
            .publish()
            .topic_arn(topic)
            .message(message);
        if !subject.is_empty() {
            publish = publish.subject(subject);
        }
        let result = self.runtime.block_on(
            publish
                .customize()
                .interceptor(CountAttempts(Arc::clone(&attempts)))
                .send(),
        );
        let made = attempts.load(Ordering::SeqCst);
        match result {
            Ok(output) => Ok(Sent {
                attempts: made.max(1),
                id: output.message_id().map(str::to_owned),
            }),
            Err(e) => Err(self.error(&e).attempts(made)),
        }
    }

    /// The delivery error for an SDK error: SNS's own refusal with its code and message, a
    /// connection error, a time-out, or a request that could not be made (no credentials).
    fn error<E, R>(&self, e: &SdkError<E, R>) -> DeliveryError
    where
        E: std::error::Error + ProvideErrorMetadata + 'static,
        R: std::fmt::Debug,
    {
        use DeliveryErrorKind as K;
        let timed_out = || {
            DeliveryError::new(
                K::TimedOut,
                format!(
                    "{} without an answer from SNS",
                    timed_out_after(self.timeout)
                ),
            )
        };
        match e {
            SdkError::TimeoutError(_) => timed_out(),
            SdkError::DispatchFailure(failure) if failure.is_timeout() => timed_out(),
            SdkError::DispatchFailure(failure) if failure.is_io() => {
                DeliveryError::new(K::ConnectionFailed, chain(e))
            }
            SdkError::ServiceError(service) => {
                let err = service.err();
                let reason = format!(
                    "SNS {}: {}",
                    err.code().unwrap_or("error"),
                    err.message().unwrap_or("no message")
                );
                DeliveryError::new(K::ServiceError, boundary::terminal(&reason).into_owned())
            }
            SdkError::ResponseError(_) => DeliveryError::new(K::HttpStatus, chain(e)),
            _ => DeliveryError::new(K::RequestFailed, chain(e)),
        }
    }
}

/// An error and its sources, each as it displays itself, joined with `: ` and escaped for a
/// terminal: `dispatch failure: io error: …: Connection refused (os error 111)`.
fn chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let part = s.to_string();
        // Some errors repeat their source's text in their own.
        if !text.ends_with(&part) {
            text = format!("{text}: {part}");
        }
        source = s.source();
    }
    boundary::terminal(&text).into_owned()
}

/// Counts the attempts the SDK makes for one `Publish` (its retries included).
#[derive(Debug)]
struct CountAttempts(Arc<AtomicU32>);

impl Intercept for CountAttempts {
    fn name(&self) -> &'static str {
        "CountAttempts"
    }

    fn read_before_attempt(
        &self,
        _context: &BeforeTransmitInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        self.0.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }
}
