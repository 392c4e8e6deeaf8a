//! Where alarm notifications go: standard output, a file, or a local webhook.
//!
//! Each notification is the SNS message CloudWatch publishes for an alarm state change (built
//! by the library). Standard output and files get one JSON object per line. A webhook gets an
//! HTTP `POST` of the message with the headers SNS sends to an HTTP subscription
//! (`x-amz-sns-message-type: Notification`, `x-amz-sns-message-id`, `x-amz-sns-topic-arn`,
//! `Content-Type: text/plain; charset=UTF-8`), over plain HTTP: it is meant for a receiver on
//! this machine or network, as in a test or a demo.
//!
//! A delivery that fails is a [`DeliveryError`] for the caller to report; it never stops the
//! other deliveries. Header values are checked before anything is sent: no value from a log
//! or a rules file can add a header or a request.

use std::fs::{File, OpenOptions};
use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use trailmatch_cloudtrail::boundary;

/// One notification target.
#[derive(Debug)]
pub enum Sink {
    /// Standard output.
    Stdout,
    /// A file, appended to.
    File(String, File),
    /// An `http://` URL.
    Webhook(Url),
}

/// The parts of an `http://host[:port][/path]` URL.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Url {
    /// `host:port` to connect to.
    pub authority: String,
    /// The host, as sent in `Host:`.
    pub host: String,
    /// The path and query, starting with `/`.
    pub path: String,
}

impl Url {
    /// Parses `http://host[:port][/path]`.
    pub fn parse(text: &str) -> Result<Url, String> {
        let rest = text.strip_prefix("http://").ok_or_else(|| {
            if text.starts_with("https://") {
                format!("`{text}`: only http:// webhooks are supported (a local receiver)")
            } else {
                format!("`{text}` is not an http:// URL")
            }
        })?;
        let (authority, path) = match rest.find('/') {
            Some(at) => rest.split_at(at),
            None => (rest, "/"),
        };
        if authority.is_empty()
            || authority.contains('@')
            || authority.contains(char::is_whitespace)
            || !path.chars().all(|c| c.is_ascii_graphic())
        {
            return Err(format!("`{text}`: expected http://host[:port]/path"));
        }
        let host = authority.to_owned();
        let authority = if authority
            .rsplit_once(':')
            .is_some_and(|(_, p)| p.parse::<u16>().is_ok())
        {
            authority.to_owned()
        } else {
            format!("{authority}:80")
        };
        Ok(Url {
            authority,
            host,
            path: path.to_owned(),
        })
    }
}

/// How long a webhook has, in all, to be looked up, accept the connection, take the request and
/// answer: one deadline for the whole delivery, not a limit on each read.
pub const WEBHOOK_TIMEOUT: Duration = Duration::from_secs(10);

/// Why one notification did not reach one target. The codes are stable.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum DeliveryErrorKind {
    /// Standard output was closed by its reader (`| head`).
    BrokenPipe,
    /// Standard output or the file could not be written.
    WriteFailed,
    /// The webhook could not be reached (no such host, connection refused).
    ConnectionFailed,
    /// The webhook was not looked up, or did not accept, take and answer the request, within
    /// [`WEBHOOK_TIMEOUT`] in all.
    TimedOut,
    /// The webhook answered with a status other than 2xx, or not with HTTP.
    HttpStatus,
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
            DeliveryErrorKind::HttpStatus => "http-status",
            DeliveryErrorKind::InvalidHeader => "invalid-header",
        }
    }
}

/// One notification not delivered to one target: the kind and the reason, rendered with what
/// the target said (escaped for a terminal).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeliveryError {
    /// What went wrong.
    pub kind: DeliveryErrorKind,
    /// Why, for a person: `timed out after 10 s waiting for an answer`, `HTTP 500 Internal
    /// Server Error`.
    pub reason: String,
}

impl DeliveryError {
    fn new(kind: DeliveryErrorKind, reason: impl Into<String>) -> Self {
        DeliveryError {
            kind,
            reason: reason.into(),
        }
    }

    fn io(e: &io::Error, doing: &str) -> Self {
        match e.kind() {
            io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut => {
                DeliveryError::new(DeliveryErrorKind::TimedOut, doing)
            }
            _ => DeliveryError::new(DeliveryErrorKind::ConnectionFailed, format!("{doing}: {e}")),
        }
    }
}

impl DeliveryError {
    /// A time-out's reason, with the time waited: `timed out after 10 s waiting for an answer`.
    fn after(mut self, timeout: Duration) -> Self {
        if self.kind == DeliveryErrorKind::TimedOut {
            let waited = if timeout.subsec_millis() == 0 {
                format!("{} s", timeout.as_secs())
            } else {
                format!("{} ms", timeout.as_millis())
            };
            self.reason = format!("timed out after {waited} {}", self.reason);
        }
        self
    }
}

impl std::fmt::Display for DeliveryError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.reason)
    }
}

impl Sink {
    /// `-` for standard output, an `http://` URL for a webhook, anything else a file path.
    pub fn open(target: &str) -> Result<Sink, String> {
        if target == "-" {
            Ok(Sink::Stdout)
        } else if target.contains("://") {
            Url::parse(target).map(Sink::Webhook)
        } else {
            OpenOptions::new()
                .create(true)
                .append(true)
                .open(target)
                .map(|f| Sink::File(target.to_owned(), f))
                .map_err(|e| format!("cannot open {target} for notifications: {e}"))
        }
    }

    /// The target as the user named it (`-`, the file, the URL).
    pub fn name(&self) -> String {
        match self {
            Sink::Stdout => "-".to_owned(),
            Sink::File(name, _) => name.clone(),
            Sink::Webhook(url) => format!("http://{}{}", url.host, url.path),
        }
    }

    /// Delivers one SNS message (its JSON text, on one line).
    pub fn deliver(&mut self, line: &str) -> Result<(), DeliveryError> {
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
        match self {
            Sink::Stdout => {
                let mut out = io::stdout().lock();
                writeln!(out, "{line}")
                    .and_then(|()| out.flush())
                    .map_err(write)
            }
            Sink::File(_, file) => writeln!(file, "{line}").map_err(write),
            Sink::Webhook(url) => {
                let message = serde_json::from_str(line).unwrap_or(serde_json::Value::Null);
                post(url, &message, line, WEBHOOK_TIMEOUT)
            }
        }
    }
}

/// The request line and headers of a notification's `POST`, up to the blank line: the one
/// place where values from a message (its id, its topic ARN) become header text. Each is
/// checked with [`boundary::header_value`]; one with a CR, LF or other control character is
/// refused, and nothing is sent.
pub fn request_head(
    url: &Url,
    id: &str,
    topic: &str,
    length: usize,
) -> Result<String, DeliveryError> {
    let header = |name: &str, value: &str| -> Result<String, DeliveryError> {
        boundary::header_value(value)
            .map(|v| format!("{name}: {v}\r\n"))
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
    Ok(format!(
        "POST {path} HTTP/1.1\r\n{host}Content-Type: text/plain; charset=UTF-8\r\n\
         x-amz-sns-message-type: Notification\r\n{id}{topic}\
         User-Agent: trailmatch/{version}\r\nContent-Length: {length}\r\n\
         Connection: close\r\n\r\n",
        path = url.path,
        host = header("Host", &url.host)?,
        id = header("x-amz-sns-message-id", id)?,
        topic = header("x-amz-sns-topic-arn", topic)?,
        version = env!("CARGO_PKG_VERSION"),
    ))
}

/// The longest status line read from a webhook.
const MAX_STATUS_LINE: usize = 8192;

/// The addresses of `authority` (`host:port`), within `within`. An IP address is taken as it
/// is; a name is looked up on a helper thread (the standard library's lookup has no time-out),
/// waited for no longer than `within`.
fn resolve(authority: &str, within: Duration) -> Result<Vec<SocketAddr>, DeliveryError> {
    const DOING: &str = "resolving the host";
    if let Ok(address) = authority.parse::<SocketAddr>() {
        return Ok(vec![address]);
    }
    let (send, receive) = mpsc::channel();
    let name = authority.to_owned();
    std::thread::Builder::new()
        .name("webhook-lookup".to_owned())
        .spawn(move || {
            let found = name.to_socket_addrs().map(Iterator::collect::<Vec<_>>);
            // The receiver is gone when the delivery already timed out.
            let _ = send.send(found);
        })
        .map_err(|e| DeliveryError::io(&e, DOING))?;
    match receive.recv_timeout(within) {
        Ok(Ok(addresses)) => Ok(addresses),
        Ok(Err(e)) => Err(DeliveryError::io(&e, DOING)),
        Err(mpsc::RecvTimeoutError::Timeout) => {
            Err(DeliveryError::new(DeliveryErrorKind::TimedOut, DOING))
        }
        Err(mpsc::RecvTimeoutError::Disconnected) => Err(DeliveryError::new(
            DeliveryErrorKind::ConnectionFailed,
            format!("{DOING}: the lookup stopped"),
        )),
    }
}

/// POSTs `body` to `url` as SNS posts a notification to an HTTP subscription; any 2xx status is
/// success. Header values are checked first ([`boundary::header_value`]): a value with a CR, LF
/// or other control character is never sent.
///
/// The whole delivery — looking the host up, connecting, sending the request and reading the
/// status line — shares one deadline, `timeout` from the start ([`WEBHOOK_TIMEOUT`] for
/// [`Sink::deliver`]): before each step, each `write` and each `read`, the socket's time-out is
/// set to the time left, so a receiver that trickles its answer a byte at a time is still a
/// `timed-out` once the time is up. The standard library's host lookup cannot be given a
/// time-out, so a name (not an IP address) is looked up on a helper thread that is waited for
/// until the deadline; a lookup that never returns leaves that thread behind, blocked in the
/// system resolver, and the delivery is a `timed-out`.
fn post(
    url: &Url,
    message: &serde_json::Value,
    body: &str,
    timeout: Duration,
) -> Result<(), DeliveryError> {
    let deadline = Instant::now() + timeout;
    // The time left before the deadline, or a time-out for `doing` once there is none.
    let left = |doing: &str| -> Result<Duration, DeliveryError> {
        match deadline.checked_duration_since(Instant::now()) {
            Some(left) if !left.is_zero() => Ok(left),
            _ => Err(DeliveryError::new(DeliveryErrorKind::TimedOut, doing).after(timeout)),
        }
    };
    let text = |key: &str| message.get(key).and_then(|v| v.as_str()).unwrap_or("");
    let head = request_head(url, text("MessageId"), text("TopicArn"), body.len())?;
    let addresses =
        resolve(&url.authority, left("resolving the host")?).map_err(|e| e.after(timeout))?;
    let mut last = None;
    let mut connected = None;
    for address in addresses {
        match TcpStream::connect_timeout(&address, left("connecting")?) {
            Ok(stream) => {
                connected = Some(stream);
                break;
            }
            Err(e) => last = Some(e),
        }
    }
    let mut stream = match (connected, last) {
        (Some(stream), _) => stream,
        (None, Some(e)) => return Err(DeliveryError::io(&e, "connecting").after(timeout)),
        (None, None) => {
            return Err(DeliveryError::new(
                DeliveryErrorKind::ConnectionFailed,
                "the host has no address",
            ));
        }
    };
    let setup = |e: io::Error| DeliveryError::io(&e, "connecting");
    let io = |e: io::Error, doing: &str| DeliveryError::io(&e, doing).after(timeout);
    let request = format!("{head}{body}");
    let mut unsent = request.as_bytes();
    while !unsent.is_empty() {
        const SENDING: &str = "sending the request";
        stream
            .set_write_timeout(Some(left(SENDING)?))
            .map_err(setup)?;
        match stream.write(unsent) {
            Ok(0) => return Err(io(io::ErrorKind::WriteZero.into(), SENDING)),
            Ok(n) => unsent = unsent.get(n..).unwrap_or_default(),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(io(e, SENDING)),
        }
    }
    let mut status = Vec::new();
    let mut buffer = [0u8; 1024];
    while !status.contains(&b'\n') && status.len() < MAX_STATUS_LINE {
        const WAITING: &str = "waiting for an answer";
        stream
            .set_read_timeout(Some(left(WAITING)?))
            .map_err(setup)?;
        let room = MAX_STATUS_LINE
            .saturating_sub(status.len())
            .min(buffer.len());
        match stream.read(buffer.get_mut(..room).unwrap_or_default()) {
            Ok(0) => break,
            Ok(n) => status.extend_from_slice(buffer.get(..n).unwrap_or_default()),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(io(e, WAITING)),
        }
    }
    if let Some(end) = status.iter().position(|&b| b == b'\n') {
        status.truncate(end.saturating_add(1));
    }
    let status = String::from_utf8_lossy(&status);
    let status = status.trim_end();
    let mut words = status.splitn(3, ' ');
    let (protocol, code, text) = (
        words.next().unwrap_or(""),
        words.next().unwrap_or(""),
        words.next().unwrap_or(""),
    );
    if !protocol.starts_with("HTTP/")
        || code.len() != 3
        || !code.bytes().all(|b| b.is_ascii_digit())
    {
        let reason = if status.is_empty() {
            "the connection closed without an answer".to_owned()
        } else {
            format!("answered `{}`, not HTTP", boundary::terminal(status))
        };
        return Err(DeliveryError::new(DeliveryErrorKind::HttpStatus, reason));
    }
    if code.starts_with('2') {
        Ok(())
    } else {
        Err(DeliveryError::new(
            DeliveryErrorKind::HttpStatus,
            format!("HTTP {code} {}", boundary::terminal(text))
                .trim_end()
                .to_owned(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;
    use std::net::TcpListener;

    #[test]
    fn urls() {
        let u = Url::parse("http://127.0.0.1:8080/hook?x=1").unwrap();
        assert_eq!(
            (u.authority.as_str(), u.host.as_str(), u.path.as_str()),
            ("127.0.0.1:8080", "127.0.0.1:8080", "/hook?x=1")
        );
        let u = Url::parse("http://localhost").unwrap();
        assert_eq!(
            (u.authority.as_str(), u.path.as_str()),
            ("localhost:80", "/")
        );
        assert!(
            Url::parse("https://example.com/")
                .unwrap_err()
                .contains("only http://")
        );
        assert!(Url::parse("ftp://x").is_err());
        assert!(Url::parse("http:///path").is_err());
        // The path goes into the request line: no space, CR, LF or other control character.
        assert!(Url::parse("http://127.0.0.1/a\r\nX: y").is_err());
        assert!(Url::parse("http://127.0.0.1/a b").is_err());
    }

    #[test]
    fn webhook_posts_like_sns() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let server = std::thread::spawn(move || {
            let (mut conn, _) = listener.accept().unwrap();
            let mut request = Vec::new();
            let mut buf = [0u8; 4096];
            loop {
                let n = conn.read(&mut buf).unwrap();
                request.extend_from_slice(&buf[..n]);
                let text = String::from_utf8_lossy(&request);
                if let Some((head, body)) = text.split_once("\r\n\r\n") {
                    let length: usize = head
                        .lines()
                        .find_map(|l| l.strip_prefix("Content-Length: "))
                        .unwrap()
                        .parse()
                        .unwrap();
                    if body.len() >= length {
                        break;
                    }
                }
            }
            conn.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
                .unwrap();
            String::from_utf8(request).unwrap()
        });
        let message = serde_json::json!({"Type": "Notification", "MessageId": "m-1", "TopicArn": "arn:aws:sns:us-east-1:1:t"});
        let mut sink = Sink::open(&format!("http://127.0.0.1:{port}/sns")).unwrap();
        sink.deliver(&message.to_string()).unwrap();
        let request = server.join().unwrap();
        assert!(request.starts_with("POST /sns HTTP/1.1\r\n"), "{request}");
        assert!(request.contains("\r\nx-amz-sns-message-type: Notification\r\n"));
        assert!(request.contains("\r\nx-amz-sns-message-id: m-1\r\n"));
        assert!(request.contains("\r\nx-amz-sns-topic-arn: arn:aws:sns:us-east-1:1:t\r\n"));
        let body = request.split_once("\r\n\r\n").unwrap().1;
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(body).unwrap(),
            message
        );
    }

    /// Issue 19, point 1: a value with CR LF never becomes header text; nothing is sent.
    #[test]
    fn header_values_with_line_breaks_are_refused() {
        let url = Url::parse("http://127.0.0.1:9/sns").unwrap();
        let head = request_head(&url, "m-1", "arn:aws:sns:us-east-1:111122223333:t", 2).unwrap();
        let lines: Vec<&str> = head.trim_end().split("\r\n").collect();
        assert_eq!(lines.len(), 9, "{head}");
        assert!(lines.contains(&"x-amz-sns-topic-arn: arn:aws:sns:us-east-1:111122223333:t"));
        for topic in [
            "arn:aws:sns:us-east-1:111122223333\r\nX-From-Log: yes:t",
            "t\r\n\r\nGET /smuggled HTTP/1.1",
            "t\0",
        ] {
            let e = request_head(&url, "m-1", topic, 2).unwrap_err();
            assert_eq!(e.kind, DeliveryErrorKind::InvalidHeader);
            assert!(!e.reason.contains(['\r', '\n', '\0']), "{e:?}");
        }
        // Through `deliver`: refused before connecting (port 9 has no listener; the error is
        // the header's, not the connection's).
        let message = serde_json::json!({"MessageId": "m", "TopicArn": "a\r\nX: y"});
        let err = Sink::Webhook(url)
            .deliver(&message.to_string())
            .unwrap_err();
        assert_eq!(err.kind, DeliveryErrorKind::InvalidHeader);
    }

    /// Issue 19, point 3: a receiver that never answers is a time-out with the time waited, not
    /// `Resource temporarily unavailable`.
    #[test]
    fn a_silent_webhook_times_out() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = Url::parse(&format!("http://{}/", listener.local_addr().unwrap())).unwrap();
        let message = serde_json::json!({"MessageId": "m", "TopicArn": "t"});
        let err = post(&url, &message, "{}", Duration::from_millis(300)).unwrap_err();
        assert_eq!(err.kind, DeliveryErrorKind::TimedOut, "{err}");
        assert_eq!(err.reason, "timed out after 300 ms waiting for an answer");
        drop(listener);
    }

    /// A receiver that answers one byte a second never lets a single read wait the whole
    /// time-out; the delivery still ends as a time-out, because the limit is one deadline for
    /// the whole delivery, not a limit on each read.
    #[test]
    fn a_webhook_that_trickles_its_answer_times_out() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = Url::parse(&format!("http://{}/", listener.local_addr().unwrap())).unwrap();
        let (stop, stopped) = std::sync::mpsc::channel::<()>();
        let server = std::thread::spawn(move || {
            let (mut conn, _) = listener.accept().unwrap();
            let mut buf = [0u8; 65536];
            let _ = conn.read(&mut buf);
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
        let message = serde_json::json!({"MessageId": "m", "TopicArn": "t"});
        let result = post(&url, &message, "{}", Duration::from_secs(3));
        drop(stop);
        server.join().unwrap();
        let err = result.unwrap_err();
        assert_eq!(err.kind, DeliveryErrorKind::TimedOut, "{err}");
        assert_eq!(err.reason, "timed out after 3 s waiting for an answer");
    }

    /// A host name is looked up within the deadline too (here it resolves at once).
    #[test]
    fn a_host_name_is_looked_up_within_the_deadline() {
        let addresses = resolve("localhost:80", Duration::from_secs(5)).unwrap();
        assert!(addresses.iter().all(|a| a.port() == 80), "{addresses:?}");
        assert_eq!(
            resolve("127.0.0.1:8", Duration::from_millis(1)).unwrap(),
            vec!["127.0.0.1:8".parse::<SocketAddr>().unwrap()]
        );
    }

    #[test]
    fn webhook_errors_are_reported() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let server = std::thread::spawn(move || {
            let (mut conn, _) = listener.accept().unwrap();
            let mut buf = [0u8; 65536];
            let _ = conn.read(&mut buf).unwrap();
            conn.write_all(b"HTTP/1.1 500 Internal Server Error\r\n\r\n")
                .unwrap();
        });
        let mut sink = Sink::open(&format!("http://127.0.0.1:{port}/")).unwrap();
        let err = sink.deliver("{}").unwrap_err();
        server.join().unwrap();
        assert_eq!(err.kind, DeliveryErrorKind::HttpStatus);
        assert_eq!(err.reason, "HTTP 500 Internal Server Error");
        drop(TcpListener::bind("127.0.0.1:0").map(|l| {
            let port = l.local_addr().unwrap().port();
            drop(l);
            let err = Sink::open(&format!("http://127.0.0.1:{port}/"))
                .unwrap()
                .deliver("{}")
                .unwrap_err();
            assert_eq!(err.kind, DeliveryErrorKind::ConnectionFailed, "{err}");
        }));
    }
}
