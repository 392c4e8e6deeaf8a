//! `trailmatch scan s3://BUCKET/PREFIX`: a trail's log files read from its bucket, through the
//! AWS SDK for Rust.
//!
//! A URL names what a path would: the object of that key and every object under `PREFIX/` (a
//! prefix ending in `/`, or none, names everything under it). Every URL is listed first
//! (`ListObjectsV2`), so that a bucket that cannot be listed is an error before anything is
//! read; the keys are read in the order a walk of the same tree on disk reads it (by path
//! component, as `aws s3 sync` would lay them out), and a selection (`--regions`, …) leaves
//! keys out before anything is fetched. The objects are then fetched (`GetObject`) a few ahead
//! of the scan, each streamed in chunks, with bounded memory: an object that cannot be fetched
//! or is cut short is a skip of the scan that names it, as a file that cannot be read is.
//!
//! The credentials, the profile, the Region and the endpoint come from the standard AWS
//! configuration, as for `--notify sns`; a bucket in another Region than the configured one is
//! read in its own (S3 says which in `x-amz-bucket-region`). With an endpoint of one's own
//! (`AWS_ENDPOINT_URL`, `AWS_ENDPOINT_URL_S3`: moto, MinIO, LocalStack), addresses are
//! path-style. The SDK runs on a current-thread tokio runtime on a thread of its own.

use std::collections::HashMap;
use std::io::{self, Read};
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, SdkConfig};
use aws_sdk_s3::config::Region;
use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};
use aws_smithy_http_client::tls::{self, rustls_provider::CryptoMode};
use bytes::{Buf, Bytes};
use tokio::sync::mpsc;
use trailmatch_cloudtrail::run::{Objects, Opened};
use trailmatch_cloudtrail::s3key::Selected;

/// An `s3://BUCKET/PREFIX` URL.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Url {
    pub bucket: String,
    pub prefix: String,
}

impl Url {
    /// The URL `arg` is, if it is one (`s3://…`): or why it is not a valid one.
    pub fn parse(arg: &str) -> Option<Result<Url, String>> {
        let rest = arg.strip_prefix("s3://")?;
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        Some(if is_bucket_name(bucket) {
            Ok(Url {
                bucket: bucket.to_owned(),
                prefix: prefix.to_owned(),
            })
        } else {
            Err(format!(
                "{arg}: `{bucket}` is no S3 bucket name (3 to 63 letters, digits, dots and \
                 hyphens, starting and ending with a letter or digit)"
            ))
        })
    }

    /// Whether `key`, listed under this URL's prefix, is one it names: the object of the key
    /// itself, or one under it as under a directory.
    fn names(&self, key: &str) -> bool {
        if key.ends_with('/') {
            // A "folder" made in the console: no log file.
            return false;
        }
        let prefix = self.prefix.as_str();
        prefix.is_empty()
            || prefix.ends_with('/')
            || key == prefix
            || key
                .strip_prefix(prefix)
                .is_some_and(|rest| rest.starts_with('/'))
    }
}

impl std::fmt::Display for Url {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "s3://{}/{}", self.bucket, self.prefix)
    }
}

/// A bucket name S3 accepts for a new bucket (or an older one with capitals and underscores
/// in us-east-1, which S3 still serves).
fn is_bucket_name(name: &str) -> bool {
    let edge = |b: Option<u8>| b.is_some_and(|b| b.is_ascii_alphanumeric());
    (3..=255).contains(&name.len())
        && edge(name.bytes().next())
        && edge(name.bytes().last())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'))
}

/// What listing found: the objects to read, to be fetched in order as the scan comes to them.
#[derive(Debug)]
pub struct Listing {
    pub objects: Objects,
    /// The size of each object read, by the name locations give it (`s3://BUCKET/KEY`).
    pub sizes: HashMap<String, u64>,
}

/// How many objects are fetched ahead of the one being read.
const AHEAD: usize = 8;
/// How many chunks of an object's body wait, fetched, for the scan to read them.
const CHUNKS: usize = 16;
/// How long a connection may take to open, and a read on it to bring something.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
const READ_TIMEOUT: Duration = Duration::from_secs(60);

/// Lists `urls` and starts fetching their objects, in order, on a thread of its own: the keys a
/// `select` leaves out are counted by it and not fetched. An error when a URL cannot be listed
/// or names no object.
pub fn open(urls: Vec<Url>, select: Option<Arc<Selected>>) -> Result<Listing, String> {
    let (listed_tx, listed_rx) = std::sync::mpsc::sync_channel(1);
    let (objects_tx, objects_rx) = mpsc::channel(AHEAD);
    let spawned = thread::Builder::new().name("s3".into()).spawn(move || {
        let runtime = match tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
        {
            Ok(runtime) => runtime,
            Err(e) => {
                let _ = listed_tx.send(Err(format!("cannot start the runtime for S3: {e}")));
                return;
            }
        };
        runtime.block_on(async move {
            let mut s3 = S3::new(load_config().await);
            match s3.list_all(&urls, select.as_deref()).await {
                Ok(keys) => {
                    let listed = keys.iter().map(|k| (k.name.clone(), k.size)).collect();
                    if listed_tx.send(Ok(listed)).is_ok() {
                        s3.fetch_all(keys, objects_tx).await;
                    }
                }
                Err(e) => {
                    let _ = listed_tx.send(Err(e));
                }
            }
        });
    });
    spawned.map_err(|e| format!("cannot start a thread to read S3: {e}"))?;
    let listed: Vec<(String, u64)> = listed_rx
        .recv()
        .map_err(|_| "the thread reading S3 stopped".to_owned())??;
    let sizes = listed.iter().cloned().collect();
    // Every object listed is read or skipped: should the fetching thread stop short, the
    // objects it did not hand over are skips.
    let mut names = listed.into_iter().map(|(name, _)| name);
    let mut objects_rx = objects_rx;
    let objects = Objects::new(std::iter::from_fn(move || {
        let name = names.next();
        match objects_rx.blocking_recv() {
            Some(opened) => Some(opened),
            None => name.map(|name| {
                let stopped = "the thread fetching from S3 stopped before this object";
                (name, Err(io::Error::other(stopped)))
            }),
        }
    }));
    Ok(Listing { objects, sizes })
}

/// The AWS configuration, as the AWS CLI loads it, with the HTTPS client of `--notify sns`.
async fn load_config() -> SdkConfig {
    let http = aws_smithy_http_client::Builder::new()
        .tls_provider(tls::Provider::Rustls(CryptoMode::Ring))
        .build_https();
    let timeouts = TimeoutConfig::builder()
        .connect_timeout(CONNECT_TIMEOUT)
        .read_timeout(READ_TIMEOUT)
        .build();
    aws_config::defaults(BehaviorVersion::latest())
        .http_client(http)
        .retry_config(RetryConfig::standard())
        .timeout_config(timeouts)
        .load()
        .await
}

/// One object to read.
#[derive(Debug)]
struct Key {
    bucket: String,
    key: String,
    /// `s3://BUCKET/KEY`.
    name: String,
    size: u64,
}

/// S3 clients: one per bucket, in the bucket's Region once S3 has told it.
struct S3 {
    config: SdkConfig,
    clients: HashMap<String, aws_sdk_s3::Client>,
}

impl S3 {
    fn new(config: SdkConfig) -> S3 {
        S3 {
            config,
            clients: HashMap::new(),
        }
    }

    /// A client in `region` (the configured one, or us-east-1 when none is, for None).
    fn client_in(&self, region: Option<&str>) -> aws_sdk_s3::Client {
        let mut config = aws_sdk_s3::config::Builder::from(&self.config);
        if let Some(region) = region {
            config = config.region(Region::new(region.to_owned()));
        } else if self.config.region().is_none() {
            config = config.region(Region::from_static("us-east-1"));
        }
        if self.config.endpoint_url().is_some() {
            config = config.force_path_style(true);
        }
        aws_sdk_s3::Client::from_conf(config.build())
    }

    fn client(&mut self, bucket: &str) -> aws_sdk_s3::Client {
        if let Some(client) = self.clients.get(bucket) {
            return client.clone();
        }
        let client = self.client_in(None);
        self.clients.insert(bucket.to_owned(), client.clone());
        client
    }

    /// The keys of every URL, in order, each URL's in the order of a walk; those `select`
    /// leaves out are left out.
    async fn list_all(
        &mut self,
        urls: &[Url],
        select: Option<&Selected>,
    ) -> Result<Vec<Key>, String> {
        let mut keys = Vec::new();
        for url in urls {
            let mut listed = self.list(url).await?;
            if listed.is_empty() {
                return Err(format!("{url}: no object under this prefix"));
            }
            // A walk reads a directory's entries in the byte order of their names.
            listed.sort_by(|a, b| a.key.split('/').cmp(b.key.split('/')));
            keys.extend(
                listed
                    .into_iter()
                    .filter(|k| select.is_none_or(|s| s.keeps(&k.name))),
            );
        }
        Ok(keys)
    }

    /// The keys `url` names, in S3's order; in the bucket's own Region when S3 says it is in
    /// another.
    async fn list(&mut self, url: &Url) -> Result<Vec<Key>, String> {
        let mut redirected = false;
        loop {
            let client = self.client(&url.bucket);
            let mut pages = client
                .list_objects_v2()
                .bucket(&url.bucket)
                .prefix(&url.prefix)
                .into_paginator()
                .send();
            let mut keys = Vec::new();
            let mut failure = None;
            while let Some(page) = pages.next().await {
                match page {
                    Ok(page) => keys.extend(page.contents().iter().filter_map(|object| {
                        let key = object.key()?;
                        url.names(key).then(|| Key {
                            bucket: url.bucket.clone(),
                            key: key.to_owned(),
                            name: format!("s3://{}/{key}", url.bucket),
                            size: object
                                .size()
                                .and_then(|s| u64::try_from(s).ok())
                                .unwrap_or(0),
                        })
                    })),
                    Err(e) => {
                        failure = Some(e);
                        break;
                    }
                }
            }
            let Some(e) = failure else {
                return Ok(keys);
            };
            let region = e
                .raw_response()
                .and_then(|r| r.headers().get("x-amz-bucket-region"))
                .map(str::to_owned);
            match region {
                Some(region) if !redirected && keys.is_empty() => {
                    let client = self.client_in(Some(&region));
                    self.clients.insert(url.bucket.clone(), client);
                    redirected = true;
                }
                _ => return Err(format!("{url}: cannot list the bucket: {}", describe(&e))),
            }
        }
    }

    /// Fetches `keys` in order, each streamed into what `objects` hands the scan, at most
    /// [`AHEAD`] before the scan reads them; stops when the scan does.
    async fn fetch_all(&mut self, keys: Vec<Key>, objects: mpsc::Sender<Opened>) {
        let mut tasks = tokio::task::JoinSet::new();
        for key in keys {
            let (chunks_tx, chunks_rx) = mpsc::channel(CHUNKS);
            let body = Body {
                chunks: chunks_rx,
                chunk: Bytes::new(),
                ended: false,
            };
            let opened: Opened = (key.name.clone(), Ok(Box::new(body)));
            if objects.send(opened).await.is_err() {
                // The scan stopped.
                break;
            }
            tasks.spawn(fetch(self.client(&key.bucket), key, chunks_tx));
            while tasks.try_join_next().is_some() {}
        }
        drop(objects);
        while tasks.join_next().await.is_some() {}
    }
}

/// A piece of an object's body, its end, or why it could not be read.
type Chunk = io::Result<Option<Bytes>>;

/// Fetches one object into `chunks`, then its end (or the error that stopped it).
async fn fetch(client: aws_sdk_s3::Client, key: Key, chunks: mpsc::Sender<Chunk>) {
    let request = client.get_object().bucket(&key.bucket).key(&key.key).send();
    let mut body = match request.await {
        Ok(output) => output.body,
        Err(e) => {
            let _ = chunks.send(Err(io::Error::other(describe(&e)))).await;
            return;
        }
    };
    loop {
        let chunk = match body.try_next().await {
            Ok(Some(bytes)) => Ok(Some(bytes)),
            Ok(None) => Ok(None),
            Err(e) => Err(io::Error::other(causes(&e))),
        };
        let more = matches!(chunk, Ok(Some(_)));
        if chunks.send(chunk).await.is_err() || !more {
            return;
        }
    }
}

/// An SDK error as S3 gave it (`NoSuchBucket: The specified bucket does not exist`), or the
/// whole chain of causes when there is no answer from S3 (no credentials, no connection).
fn describe<E, R>(e: &SdkError<E, R>) -> String
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug + 'static,
{
    match (e.code(), e.message()) {
        (Some(code), Some(message)) => format!("{code}: {message}"),
        (Some(code), None) => code.to_owned(),
        _ => causes(e),
    }
}

/// An error and its causes, each once: `dispatch failure: io error: … Connection refused`.
fn causes(e: &(dyn std::error::Error + 'static)) -> String {
    let mut said: Vec<String> = Vec::new();
    let mut next = Some(e);
    while let Some(e) = next {
        let text = e.to_string();
        if !said.iter().any(|s| s.contains(&text)) {
            said.push(text);
        }
        next = e.source();
    }
    said.join(": ")
}

/// An object's body as the scan reads it: the chunks its fetch hands over.
struct Body {
    chunks: mpsc::Receiver<Chunk>,
    chunk: Bytes,
    ended: bool,
}

impl Read for Body {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            if !self.chunk.is_empty() {
                let n = buf.len().min(self.chunk.len());
                self.chunk
                    .copy_to_slice(buf.get_mut(..n).unwrap_or_default());
                return Ok(n);
            }
            if self.ended {
                return Ok(0);
            }
            match self.chunks.blocking_recv() {
                Some(Ok(Some(bytes))) => self.chunk = bytes,
                Some(Ok(None)) => self.ended = true,
                Some(Err(e)) => return Err(e),
                None => {
                    return Err(io::Error::other(
                        "the download stopped before the end of the object",
                    ));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_read_as_paths() {
        let url = Url::parse("s3://trail-bucket/AWSLogs/111122223333")
            .unwrap()
            .unwrap();
        assert_eq!(url.bucket, "trail-bucket");
        assert_eq!(url.prefix, "AWSLogs/111122223333");
        assert!(url.names("AWSLogs/111122223333"));
        assert!(url.names("AWSLogs/111122223333/CloudTrail/us-east-1/x.json.gz"));
        assert!(!url.names("AWSLogs/1111222233334/CloudTrail/us-east-1/x.json.gz"));
        assert!(!url.names("AWSLogs/111122223333/CloudTrail/"));
        let whole = Url::parse("s3://trail-bucket").unwrap().unwrap();
        assert_eq!(whole.prefix, "");
        assert!(whole.names("a") && whole.names("b/c"));
        let dir = Url::parse("s3://trail-bucket/AWSLogs/").unwrap().unwrap();
        assert!(dir.names("AWSLogs/x") && !dir.names("AWSLogs/"));
        assert_eq!(Url::parse("/tmp/s3:/x"), None);
        for bad in [
            "s3://",
            "s3:///key",
            "s3://-bucket/x",
            "s3://b/x",
            "s3://a b/x",
        ] {
            let e = Url::parse(bad).unwrap().unwrap_err();
            assert!(e.contains("no S3 bucket name"), "{bad}: {e}");
        }
    }

    #[test]
    fn a_body_ends_only_where_its_fetch_said_so() {
        let (tx, rx) = mpsc::channel(4);
        tx.try_send(Ok(Some(Bytes::from_static(b"abc")))).unwrap();
        tx.try_send(Ok(Some(Bytes::from_static(b"de")))).unwrap();
        tx.try_send(Ok(None)).unwrap();
        let mut body = Body {
            chunks: rx,
            chunk: Bytes::new(),
            ended: false,
        };
        let mut text = String::new();
        body.read_to_string(&mut text).unwrap();
        assert_eq!(text, "abcde");

        // A fetch that stops without saying the body ended: an error, not a shorter file.
        let (tx, rx) = mpsc::channel(4);
        tx.try_send(Ok(Some(Bytes::from_static(b"abc")))).unwrap();
        drop(tx);
        let mut body = Body {
            chunks: rx,
            chunk: Bytes::new(),
            ended: false,
        };
        let e = body.read_to_end(&mut Vec::new()).unwrap_err();
        assert!(e.to_string().contains("before the end"), "{e}");

        let (tx, rx) = mpsc::channel(4);
        tx.try_send(Err(io::Error::other("NoSuchKey: gone")))
            .unwrap();
        let mut body = Body {
            chunks: rx,
            chunk: Bytes::new(),
            ended: false,
        };
        let e = body.read(&mut [0; 8]).unwrap_err();
        assert_eq!(e.to_string(), "NoSuchKey: gone");
    }
}
