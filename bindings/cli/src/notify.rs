//! Where alarm notifications go: standard output, a file, or a local webhook.
//!
//! Each notification is the SNS message CloudWatch publishes for an alarm state change (built
//! by the library). Standard output and files get one JSON object per line. A webhook gets an
//! HTTP `POST` of the message with the headers SNS sends to an HTTP subscription
//! (`x-amz-sns-message-type: Notification`, `x-amz-sns-message-id`, `x-amz-sns-topic-arn`,
//! `Content-Type: text/plain; charset=UTF-8`), over plain HTTP: it is meant for a receiver on
//! this machine or network, as in a test or a demo.

use std::fs::{File, OpenOptions};
use std::io::{self, BufRead, BufReader, Write};
use std::net::TcpStream;
use std::time::Duration;

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

    /// Delivers one SNS message (its JSON text, on one line).
    pub fn deliver(&mut self, line: &str) -> Result<(), String> {
        match self {
            Sink::Stdout => {
                let mut out = io::stdout().lock();
                writeln!(out, "{line}").map_err(|e| format!("cannot write a notification: {e}"))
            }
            Sink::File(name, file) => writeln!(file, "{line}")
                .map_err(|e| format!("cannot write a notification to {name}: {e}")),
            Sink::Webhook(url) => {
                let message = serde_json::from_str(line).unwrap_or(serde_json::Value::Null);
                post(url, &message, line)
            }
        }
    }
}

/// POSTs `body` to `url` as SNS posts a notification to an HTTP subscription; any 2xx status is
/// success.
fn post(url: &Url, message: &serde_json::Value, body: &str) -> Result<(), String> {
    let fail = |e: io::Error| {
        format!(
            "cannot post a notification to http://{}{}: {e}",
            url.host, url.path
        )
    };
    let text = |key: &str| message.get(key).and_then(|v| v.as_str()).unwrap_or("");
    let mut stream = TcpStream::connect(&url.authority).map_err(fail)?;
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .map_err(fail)?;
    stream
        .set_write_timeout(Some(Duration::from_secs(10)))
        .map_err(fail)?;
    let request = format!(
        "POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: text/plain; charset=UTF-8\r\n\
         x-amz-sns-message-type: Notification\r\nx-amz-sns-message-id: {id}\r\n\
         x-amz-sns-topic-arn: {topic}\r\nUser-Agent: trailmatch/{version}\r\n\
         Content-Length: {length}\r\nConnection: close\r\n\r\n{body}",
        path = url.path,
        host = url.host,
        id = text("MessageId"),
        topic = text("TopicArn"),
        version = env!("CARGO_PKG_VERSION"),
        length = body.len(),
    );
    stream.write_all(request.as_bytes()).map_err(fail)?;
    let mut status = String::new();
    BufReader::new(&stream)
        .read_line(&mut status)
        .map_err(fail)?;
    let code = status.split_whitespace().nth(1).unwrap_or("");
    if code.starts_with('2') && code.len() == 3 {
        Ok(())
    } else {
        Err(format!(
            "the webhook http://{}{} answered `{}` to a notification",
            url.host,
            url.path,
            status.trim_end()
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
        assert!(err.contains("500 Internal Server Error"), "{err}");
        drop(TcpListener::bind("127.0.0.1:0").map(|l| {
            let port = l.local_addr().unwrap().port();
            drop(l);
            let err = Sink::open(&format!("http://127.0.0.1:{port}/"))
                .unwrap()
                .deliver("{}")
                .unwrap_err();
            assert!(err.contains("cannot post"), "{err}");
        }));
    }
}
