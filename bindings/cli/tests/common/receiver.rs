//! A local HTTP(S) receiver for the tests of what the binary sends (webhooks, S3 requests).

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// What a receiver answers: a status, headers and a body.
#[derive(Clone, Debug, Default)]
pub struct Answer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Answer {
    /// 200, with `body`.
    pub fn ok(body: impl Into<String>) -> Answer {
        Answer {
            status: 200,
            body: body.into(),
            ..Answer::default()
        }
    }

    /// An error as S3 answers it: `status`, with its code and message.
    pub fn s3_error(status: u16, code: &str, message: &str) -> Answer {
        Answer {
            status,
            body: format!("<Error><Code>{code}</Code><Message>{message}</Message></Error>"),
            ..Answer::default()
        }
    }

    /// A `ListObjectsV2` answer: [`s3_listing`] of `entries`.
    pub fn s3_listing(entries: &str) -> Answer {
        Answer::ok(s3_listing(entries))
    }
}

/// The body of a `ListObjectsV2` answer of bucket `trail`, whole in one page, holding
/// `entries` (its `<Contents>` and `<CommonPrefixes>` elements).
pub fn s3_listing(entries: &str) -> String {
    format!(
        "<ListBucketResult><Name>trail</Name><IsTruncated>false</IsTruncated>{entries}\
         </ListBucketResult>"
    )
}

impl From<u16> for Answer {
    fn from(status: u16) -> Answer {
        Answer {
            status,
            ..Answer::default()
        }
    }
}

/// One request a receiver read, and the status it answered.
#[derive(Clone, Debug)]
pub struct Request {
    pub path: String,
    /// Header names in lower case.
    pub headers: HashMap<String, String>,
    pub body: String,
    pub status: u16,
}

/// A receiver on 127.0.0.1 (HTTPS with `tls`) answering each request with what `answer` gives
/// (from the request and how many requests with the same body came before it: a status, or a
/// whole [`Answer`]), until [`Receiver::finish`] hands back the requests it read.
pub struct Receiver {
    pub port: u16,
    stop: Arc<AtomicBool>,
    requests: Arc<Mutex<Vec<Request>>>,
    thread: std::thread::JoinHandle<()>,
}

impl Receiver {
    pub fn start<A: Into<Answer>>(
        tls: Option<Arc<rustls::ServerConfig>>,
        answer: impl Fn(&Request, usize) -> A + Send + 'static,
    ) -> Receiver {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let port = listener.local_addr().unwrap().port();
        let stop = Arc::new(AtomicBool::new(false));
        let requests = Arc::new(Mutex::new(Vec::new()));
        let (stopped, seen) = (Arc::clone(&stop), Arc::clone(&requests));
        let thread = std::thread::spawn(move || {
            let hard_stop = Instant::now() + Duration::from_secs(120);
            while !stopped.load(Ordering::SeqCst) && Instant::now() < hard_stop {
                let Ok((tcp, _)) = listener.accept() else {
                    std::thread::sleep(Duration::from_millis(10));
                    continue;
                };
                tcp.set_nonblocking(false).unwrap();
                tcp.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
                let serve = |conn: &mut dyn ReadWrite| {
                    let Some(mut request) = read_request(conn) else {
                        return;
                    };
                    let before = seen
                        .lock()
                        .unwrap()
                        .iter()
                        .filter(|r: &&Request| r.body == request.body)
                        .count();
                    let answer: Answer = answer(&request, before).into();
                    request.status = answer.status;
                    let mut head = format!("HTTP/1.1 {} X\r\n", answer.status);
                    for (name, value) in &answer.headers {
                        head.push_str(&format!("{name}: {value}\r\n"));
                    }
                    let length = answer.body.len();
                    let _ = write!(
                        conn,
                        "{head}Content-Length: {length}\r\nConnection: close\r\n\r\n{}",
                        answer.body
                    );
                    let _ = conn.flush();
                    seen.lock().unwrap().push(request);
                };
                match &tls {
                    Some(config) => {
                        let server = rustls::ServerConnection::new(Arc::clone(config)).unwrap();
                        let mut stream = rustls::StreamOwned::new(server, tcp);
                        serve(&mut stream);
                        stream.conn.send_close_notify();
                        let _ = stream.flush();
                    }
                    None => {
                        let mut tcp = tcp;
                        serve(&mut tcp);
                    }
                }
            }
        });
        Receiver {
            port,
            stop,
            requests,
            thread,
        }
    }

    pub fn url(&self, scheme: &str, path: &str) -> String {
        format!("{scheme}://127.0.0.1:{}{path}", self.port)
    }

    /// How many requests it answered so far.
    pub fn answered(&self) -> usize {
        self.requests.lock().unwrap().len()
    }

    pub fn finish(self) -> Vec<Request> {
        self.stop.store(true, Ordering::SeqCst);
        self.thread.join().unwrap();
        Arc::try_unwrap(self.requests)
            .unwrap()
            .into_inner()
            .unwrap()
    }
}

trait ReadWrite: Read + Write {}
impl<T: Read + Write> ReadWrite for T {}

/// One HTTP/1.1 request (its head and a `Content-Length` body), or `None` when the client
/// gave up (a TLS handshake it refused).
fn read_request(conn: &mut dyn ReadWrite) -> Option<Request> {
    let mut bytes = Vec::new();
    let mut buf = [0u8; 8192];
    loop {
        let n = conn.read(&mut buf).ok().filter(|&n| n > 0)?;
        bytes.extend_from_slice(&buf[..n]);
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let Some((head, body)) = text.split_once("\r\n\r\n") else {
            continue;
        };
        let mut head_lines = head.split("\r\n");
        let path = head_lines.next()?.split(' ').nth(1)?.to_owned();
        let headers: HashMap<String, String> = head_lines
            .filter_map(|l| l.split_once(": "))
            .map(|(n, v)| (n.to_ascii_lowercase(), v.to_owned()))
            .collect();
        // A request without a body (a GET) may have no length.
        let length: usize = headers
            .get("content-length")
            .map_or(Some(0), |n| n.parse().ok())?;
        if body.len() >= length {
            return Some(Request {
                path,
                headers,
                body: body.to_owned(),
                status: 0,
            });
        }
    }
}
