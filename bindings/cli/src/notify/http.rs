//! Webhook deliveries over HTTP and HTTPS, through `ureq` with rustls (the `ring` provider) and
//! the bundled Mozilla roots, or the certificates of `--ca-cert`.
//!
//! One attempt has one deadline for everything (looking the host up, connecting, the TLS
//! handshake, sending, reading the answer): `ureq`'s global time-out, enforced on every read and
//! write, so that a receiver that trickles its answer a byte at a time is still a `timed-out`.
//! Redirects are not followed (SNS does not follow them either): a 3xx is a failure. No
//! connection is kept alive between deliveries.

use std::io::Read;
use std::path::Path;
use std::time::Duration;

use trailmatch_cloudtrail::boundary;
use ureq::Agent;
use ureq::http::Uri;
use ureq::tls::{PemItem, RootCerts, TlsConfig, TlsProvider};

use super::{DeliveryError, DeliveryErrorKind, Retry, Sent, timed_out_after};

/// The longest part of an error answer's body quoted in the report.
const MAX_QUOTED_BODY: u64 = 200;

/// Checks that `text` is an `http://` or `https://` URL with a host and no user name or
/// password (they would be sent in clear to every receiver and printed in the report); the
/// error says what is wrong, for the caller to put after the target.
pub fn check_url(text: &str) -> Result<(), String> {
    const EXPECTED: &str = "expected http(s)://host[:port]/path";
    let uri: Uri = text
        .parse()
        .map_err(|e| format!("not a URL ({e}): {EXPECTED}"))?;
    if !matches!(
        uri.scheme_str().map(str::to_ascii_lowercase).as_deref(),
        Some("http" | "https")
    ) {
        return Err(format!("not an http:// or https:// URL: {EXPECTED}"));
    }
    match uri.authority() {
        Some(a) if a.as_str().contains('@') => {
            Err("a user name or password in the URL is not supported".to_owned())
        }
        Some(a) if !a.host().is_empty() => Ok(()),
        _ => Err(format!("no host: {EXPECTED}")),
    }
}

/// `scheme://host[:port]/…`: a URL without its path and query, which may hold a secret (a
/// Slack or Teams webhook's token).
pub fn redacted(url: &str) -> String {
    match url.parse::<Uri>() {
        Ok(uri) => format!(
            "{}://{}/…",
            uri.scheme_str().unwrap_or("https"),
            uri.authority().map(|a| a.as_str()).unwrap_or("")
        ),
        Err(_) => "…".to_owned(),
    }
}

/// The headers SNS sends with a notification to an HTTP subscription, for the message `id` on
/// `topic`: the one place where values from a message become header values. Each is checked
/// with [`boundary::header_value`]; one with a CR, LF or other control character is refused,
/// and nothing is sent.
pub fn sns_headers<'a>(
    id: &'a str,
    topic: &'a str,
) -> Result<[(&'static str, &'a str); 3], DeliveryError> {
    let header = |name: &'static str, value: &'a str| {
        boundary::header_value(value)
            .map(|v| (name, v))
            .map_err(|e| {
                DeliveryError::new(
                    DeliveryErrorKind::InvalidHeader,
                    format!(
                        "not sent: `{}` cannot be the value of {name} ({e})",
                        boundary::terminal(value)
                    ),
                )
            })
    };
    Ok([
        ("x-amz-sns-message-type", "Notification"),
        header("x-amz-sns-message-id", id)?,
        header("x-amz-sns-topic-arn", topic)?,
    ])
}

/// An HTTP client for webhooks, shared by every webhook target of a run (cheap to clone).
#[derive(Clone, Debug)]
pub struct Client {
    agent: Agent,
    timeout: Duration,
    retry: Retry,
}

impl Client {
    /// A client whose attempts each have `timeout` in all, checking HTTPS receivers against
    /// the PEM certificates in `ca_cert` (instead of the bundled Mozilla roots) when given.
    pub fn new(ca_cert: Option<&Path>, timeout: Duration, retry: Retry) -> Result<Client, String> {
        let roots = match ca_cert {
            Some(path) => RootCerts::new_with_certs(&read_certificates(path)?),
            None => RootCerts::WebPki,
        };
        let tls = TlsConfig::builder()
            .provider(TlsProvider::Rustls)
            .root_certs(roots)
            .build();
        let config = Agent::config_builder()
            .timeout_global(Some(timeout))
            .http_status_as_error(false)
            .max_redirects(0)
            // A new connection for each attempt: a receiver that closed a kept-alive
            // connection must not cost an attempt (notifications are few; the handshake is
            // cheap next to a retry's wait).
            .max_idle_connections(0)
            .max_idle_connections_per_host(0)
            .user_agent(concat!("trailmatch/", env!("CARGO_PKG_VERSION")))
            .tls_config(tls)
            .build();
        Ok(Client {
            agent: Agent::new_with_config(config),
            timeout,
            retry,
        })
    }

    /// POSTs `body` to `url` with `headers`, trying again after a connection error, a 5xx or
    /// a 429 answer as [`Retry`] says. Any 2xx status is success.
    pub fn post(
        &self,
        url: &str,
        headers: &[(&str, &str)],
        content_type: &str,
        body: &str,
    ) -> Result<Sent, DeliveryError> {
        self.retry
            .run(|| self.attempt(url, headers, content_type, body))
            .map(|((), attempts)| Sent { attempts, id: None })
    }

    /// One POST. The error says whether trying again may help.
    fn attempt(
        &self,
        url: &str,
        headers: &[(&str, &str)],
        content_type: &str,
        body: &str,
    ) -> Result<(), (DeliveryError, bool)> {
        let mut request = self.agent.post(url).header("Content-Type", content_type);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let mut response = request.send(body).map_err(|e| self.error(e))?;
        let status = response.status();
        if status.is_success() {
            return Ok(());
        }
        let mut quoted = Vec::new();
        // What the receiver said about it, when it says it at once; the status alone otherwise.
        let _ = response
            .body_mut()
            .as_reader()
            .take(MAX_QUOTED_BODY)
            .read_to_end(&mut quoted);
        let said = String::from_utf8_lossy(&quoted);
        let said = said.trim();
        let mut reason = format!("HTTP {}", status.as_u16());
        if let Some(text) = status.canonical_reason() {
            reason = format!("{reason} {text}");
        }
        if !said.is_empty() {
            reason = format!("{reason}: {}", boundary::terminal(said));
        }
        Err((
            DeliveryError::new(DeliveryErrorKind::HttpStatus, reason),
            // 5xx, and 429 (Slack's and Teams' rate limits): the receiver may take it later.
            status.is_server_error() || status.as_u16() == 429,
        ))
    }

    /// The delivery error for a `ureq` error, and whether trying again may help (a connection
    /// error: yes; a time-out, which would cost as long again: no).
    fn error(&self, e: ureq::Error) -> (DeliveryError, bool) {
        use DeliveryErrorKind as K;
        let timed_out = || {
            DeliveryError::new(
                K::TimedOut,
                format!("{} without an answer", timed_out_after(self.timeout)),
            )
        };
        let text = boundary::terminal(&e.to_string()).into_owned();
        match e {
            ureq::Error::Timeout(_) => (timed_out(), false),
            ureq::Error::Io(io)
                if matches!(
                    io.kind(),
                    std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock
                ) =>
            {
                (timed_out(), false)
            }
            // A refused handshake (a certificate not trusted) comes as an I/O error around
            // rustls's: not a connection that may work the next time.
            ureq::Error::Io(io)
                if io
                    .get_ref()
                    .is_some_and(|inner| inner.is::<rustls::Error>()) =>
            {
                (DeliveryError::new(K::TlsFailed, text), false)
            }
            ureq::Error::Io(_) | ureq::Error::HostNotFound | ureq::Error::ConnectionFailed => {
                (DeliveryError::new(K::ConnectionFailed, text), true)
            }
            ureq::Error::Tls(_) | ureq::Error::Rustls(_) => {
                (DeliveryError::new(K::TlsFailed, text), false)
            }
            ureq::Error::Protocol(_) => (
                DeliveryError::new(K::HttpStatus, format!("the answer is not HTTP: {text}")),
                false,
            ),
            _ => (DeliveryError::new(K::ConnectionFailed, text), false),
        }
    }
}

/// The certificates of a PEM file, for `--ca-cert`: an error names the file when it cannot be
/// read or holds no certificate.
fn read_certificates(path: &Path) -> Result<Vec<ureq::tls::Certificate<'static>>, String> {
    let shown = boundary::terminal(&path.display().to_string()).into_owned();
    let bytes = std::fs::read(path).map_err(|e| format!("--ca-cert {shown}: {e}"))?;
    let mut certificates = Vec::new();
    for item in ureq::tls::parse_pem(&bytes) {
        match item {
            Ok(PemItem::Certificate(c)) => certificates.push(c.to_owned()),
            Ok(_) => {}
            Err(e) => return Err(format!("--ca-cert {shown}: not PEM certificates: {e}")),
        }
    }
    if certificates.is_empty() {
        return Err(format!(
            "--ca-cert {shown}: no certificate in it (expected PEM, -----BEGIN CERTIFICATE-----)"
        ));
    }
    Ok(certificates)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;
    use std::net::TcpListener;

    fn client(timeout: Duration) -> Client {
        let retry = Retry {
            retries: 0,
            first_delay: Duration::ZERO,
        };
        Client::new(None, timeout, retry).unwrap()
    }

    fn read_request(conn: &mut std::net::TcpStream) -> String {
        let mut request = Vec::new();
        let mut buf = [0u8; 4096];
        loop {
            let n = conn.read(&mut buf).unwrap();
            if n == 0 {
                break;
            }
            request.extend_from_slice(&buf[..n]);
            let text = String::from_utf8_lossy(&request);
            if let Some((head, body)) = text.split_once("\r\n\r\n") {
                let length: usize = head
                    .lines()
                    .find_map(|l| {
                        let (name, value) = l.split_once(": ")?;
                        name.eq_ignore_ascii_case("content-length")
                            .then(|| value.parse().ok())?
                    })
                    .unwrap_or(0);
                if body.len() >= length {
                    break;
                }
            }
        }
        String::from_utf8(request).unwrap()
    }

    #[test]
    fn webhook_posts_like_sns() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let server = std::thread::spawn(move || {
            let (mut conn, _) = listener.accept().unwrap();
            let request = read_request(&mut conn);
            conn.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
                .unwrap();
            request
        });
        let message = r#"{"Type":"Notification","MessageId":"m-1"}"#;
        let headers = sns_headers("m-1", "arn:aws:sns:us-east-1:1:t").unwrap();
        let sent = client(Duration::from_secs(5))
            .post(
                &format!("http://127.0.0.1:{port}/sns"),
                &headers,
                "text/plain; charset=UTF-8",
                message,
            )
            .unwrap();
        assert_eq!(sent.attempts, 1);
        let request = server.join().unwrap();
        let lower = request.to_ascii_lowercase();
        assert!(request.starts_with("POST /sns HTTP/1.1\r\n"), "{request}");
        assert!(lower.contains("\r\nx-amz-sns-message-type: notification\r\n"));
        assert!(
            request.contains("x-amz-sns-message-id: m-1\r\n"),
            "{request}"
        );
        assert!(request.contains("x-amz-sns-topic-arn: arn:aws:sns:us-east-1:1:t\r\n"));
        assert!(lower.contains("\r\ncontent-type: text/plain; charset=utf-8\r\n"));
        assert!(lower.contains("\r\nuser-agent: trailmatch/"), "{request}");
        assert_eq!(request.split_once("\r\n\r\n").unwrap().1, message);
    }

    /// Issue 19, point 1: a value with CR LF never becomes a header; nothing is sent.
    #[test]
    fn header_values_with_line_breaks_are_refused() {
        let headers = sns_headers("m-1", "arn:aws:sns:us-east-1:111122223333:t").unwrap();
        assert_eq!(
            headers[2],
            (
                "x-amz-sns-topic-arn",
                "arn:aws:sns:us-east-1:111122223333:t"
            )
        );
        for topic in [
            "arn:aws:sns:us-east-1:111122223333\r\nX-From-Log: yes:t",
            "t\r\n\r\nGET /smuggled HTTP/1.1",
            "t\0",
        ] {
            let e = sns_headers("m-1", topic).unwrap_err();
            assert_eq!(e.kind, DeliveryErrorKind::InvalidHeader);
            assert!(!e.reason.contains(['\r', '\n', '\0']), "{e:?}");
        }
        assert!(sns_headers("m\n", "t").is_err());
    }

    /// Issue 19, point 3: a receiver that never answers is a time-out with the time waited.
    #[test]
    fn a_silent_webhook_times_out() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/", listener.local_addr().unwrap());
        let err = client(Duration::from_millis(300))
            .post(&url, &[], "text/plain", "{}")
            .unwrap_err();
        assert_eq!(err.kind, DeliveryErrorKind::TimedOut, "{err}");
        assert_eq!(err.reason, "timed out after 300 ms without an answer");
        assert_eq!(err.attempts, 1);
        drop(listener);
    }

    /// A receiver that answers one byte a second never lets a single read wait the whole
    /// time-out; the delivery still ends as a time-out, because the limit is one deadline for
    /// the whole attempt, not a limit on each read.
    #[test]
    fn a_webhook_that_trickles_its_answer_times_out() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/", listener.local_addr().unwrap());
        let (stop, stopped) = std::sync::mpsc::channel::<()>();
        let server = std::thread::spawn(move || {
            let (mut conn, _) = listener.accept().unwrap();
            let _ = read_request(&mut conn);
            // `HTTP/1.1 200 OK` without its line end, one byte a second, until told to stop.
            for byte in b"HTTP/1.1 200 OK".iter().cycle() {
                if conn.write_all(&[*byte]).is_err() {
                    break;
                }
                match stopped.recv_timeout(Duration::from_millis(1000)) {
                    Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {}
                    _ => break,
                }
            }
        });
        let started = std::time::Instant::now();
        let result = client(Duration::from_secs(3)).post(&url, &[], "text/plain", "{}");
        let took = started.elapsed();
        drop(stop);
        server.join().unwrap();
        let err = result.unwrap_err();
        assert_eq!(err.kind, DeliveryErrorKind::TimedOut, "{err}");
        assert_eq!(err.reason, "timed out after 3 s without an answer");
        assert!(took < Duration::from_secs(6), "{took:?}");
    }

    #[test]
    fn webhook_errors_are_reported() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let server = std::thread::spawn(move || {
            let (mut conn, _) = listener.accept().unwrap();
            let _ = read_request(&mut conn);
            conn.write_all(
                b"HTTP/1.1 500 Internal Server Error\r\nContent-Length: 14\r\n\r\nno such\r\nthing",
            )
            .unwrap();
        });
        let err = client(Duration::from_secs(5))
            .post(
                &format!("http://127.0.0.1:{port}/"),
                &[],
                "text/plain",
                "{}",
            )
            .unwrap_err();
        server.join().unwrap();
        assert_eq!(err.kind, DeliveryErrorKind::HttpStatus);
        assert_eq!(
            err.reason,
            "HTTP 500 Internal Server Error: no such\\u{d}\\u{a}thing"
        );
        let port = {
            let l = TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().port()
        };
        let err = client(Duration::from_secs(5))
            .post(
                &format!("http://127.0.0.1:{port}/"),
                &[],
                "text/plain",
                "{}",
            )
            .unwrap_err();
        assert_eq!(err.kind, DeliveryErrorKind::ConnectionFailed, "{err}");
    }

    /// 5xx and 429 are tried again; another 4xx is not (the receiver will not take it later).
    #[test]
    fn rate_limits_and_server_errors_are_retried_client_errors_are_not() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let server = std::thread::spawn(move || {
            for answer in [
                "429 Too Many Requests",
                "503 Service Unavailable",
                "200 OK",
                "400 Bad Request",
            ] {
                let (mut conn, _) = listener.accept().unwrap();
                let _ = read_request(&mut conn);
                conn.write_all(
                    format!("HTTP/1.1 {answer}\r\nContent-Length: 0\r\n\r\n").as_bytes(),
                )
                .unwrap();
            }
        });
        let retry = Retry {
            retries: 3,
            first_delay: Duration::from_millis(10),
        };
        let client = Client::new(None, Duration::from_secs(5), retry).unwrap();
        let url = format!("http://127.0.0.1:{port}/");
        let sent = client.post(&url, &[], "text/plain", "{}").unwrap();
        assert_eq!(sent.attempts, 3);
        let err = client.post(&url, &[], "text/plain", "{}").unwrap_err();
        assert_eq!((err.kind, err.attempts), (DeliveryErrorKind::HttpStatus, 1));
        assert_eq!(err.reason, "HTTP 400 Bad Request");
        server.join().unwrap();
    }

    #[test]
    fn ca_cert_files_are_checked() {
        let dir = std::env::temp_dir().join(format!("trailmatch-ca-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let empty = dir.join("empty.pem");
        std::fs::write(&empty, "not a certificate\n").unwrap();
        let e = read_certificates(&empty).unwrap_err();
        assert!(e.starts_with("--ca-cert "), "{e}");
        assert!(e.contains("no certificate"), "{e}");
        let e = read_certificates(&dir.join("missing.pem")).unwrap_err();
        assert!(e.contains("missing.pem"), "{e}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn urls() {
        assert!(check_url("http://127.0.0.1:8080/hook?x=1").is_ok());
        assert!(check_url("https://hooks.slack.com/services/a/b/c").is_ok());
        assert!(check_url("ftp://x/").is_err());
        assert!(check_url("http:///path").is_err());
        assert!(check_url("https://u:p@example.com/").is_err());
        assert!(check_url("http://127.0.0.1/a b").is_err());
        assert_eq!(
            redacted("https://hooks.slack.com/services/T0/B0/secret"),
            "https://hooks.slack.com/…"
        );
    }
}
