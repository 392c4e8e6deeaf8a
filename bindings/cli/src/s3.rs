//! `trailmatch scan s3://BUCKET/PREFIX` (and `grep`, and `scan --follow`: [`Follow`]): a
//! trail's log files read from its bucket, through the AWS SDK for Rust.
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
//! path-style. The SDK runs on a current-thread tokio runtime on a thread of its own (for
//! `scan --follow`, on a runtime with one worker thread: [`Follow`]).

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::io::{self, Read};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::Duration;

use aws_config::retry::{ErrorKind, RetryConfig};
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, SdkConfig};
use aws_credential_types::provider::error::CredentialsError;
use aws_sdk_s3::config::Region;
use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_s3::types::EncodingType;
use aws_smithy_http_client::tls::{self, rustls_provider::CryptoMode};
use bytes::{Buf, Bytes};
use tokio::sync::mpsc;
use trailmatch_cloudtrail::follow::FileMark;
use trailmatch_cloudtrail::run::{Objects, Opened};
use trailmatch_cloudtrail::s3key::Selected;
use trailmatch_cloudtrail::time::DAY_MS;

use crate::follow::now_ms;

/// An `s3://BUCKET/PREFIX` URL.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Url {
    pub bucket: String,
    pub prefix: String,
}

/// The `s3://` URLs among `paths` (each `name`d as text, if it is), and the other paths, in
/// order; an error names a URL that is not a valid one.
pub fn split_urls<P: Clone>(
    paths: &[P],
    name: impl Fn(&P) -> Option<&str>,
) -> Result<(Vec<Url>, Vec<P>), String> {
    let mut urls = Vec::new();
    let mut others = Vec::new();
    for path in paths {
        match name(path).and_then(Url::parse) {
            Some(url) => urls.push(url?),
            None => others.push(path.clone()),
        }
    }
    Ok((urls, others))
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
                "{arg}: `{bucket}` is no S3 bucket name (3 to 255 letters, digits, dots, \
                 hyphens and underscores, starting and ending with a letter or digit)"
            ))
        })
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

/// How many objects are fetched ahead of the one being read.
const AHEAD: usize = 8;
/// How many chunks of an object's body wait, fetched, for the scan to read them.
const CHUNKS: usize = 16;
/// How long a connection may take to open, and a read on it to bring something.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
const READ_TIMEOUT: Duration = Duration::from_secs(60);

/// What the fetching thread hands the scan: an object, or the end of every URL's walk.
enum Handed {
    Object(Opened),
    End,
}

/// Lists the top of each of `urls` (an error when one cannot be listed or names no object),
/// then walks them and fetches their objects, in order, on a thread of its own, as the scan
/// reads them: the objects the scan reads, each named `s3://BUCKET/KEY`. With `select`, the
/// directories that cannot hold a selected file are not listed, and the keys it leaves out are
/// not fetched (it counts both).
pub fn open(urls: Vec<Url>, select: Option<Arc<Selected>>) -> Result<Objects, String> {
    // What a stop before the first object names.
    let mut last = urls.first().map(ToString::to_string).unwrap_or_default();
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
            let mut walks = Vec::with_capacity(urls.len());
            for url in &urls {
                match s3.top(url, select.as_deref(), false).await {
                    Ok(walk) => walks.push(walk),
                    Err(e) => {
                        let _ = listed_tx.send(Err(e.at(url)));
                        return;
                    }
                }
            }
            if listed_tx.send(Ok(())).is_ok() {
                s3.fetch_all(walks, select.as_deref(), objects_tx).await;
            }
        });
    });
    spawned.map_err(|e| format!("cannot start a thread to read S3: {e}"))?;
    listed_rx
        .recv()
        .map_err(|_| "the thread reading S3 stopped".to_owned())??;
    let mut objects_rx = objects_rx;
    let mut ended = false;
    Ok(Objects::new(std::iter::from_fn(move || {
        if ended {
            return None;
        }
        match objects_rx.blocking_recv() {
            Some(Handed::Object(opened)) => {
                last.clone_from(&opened.0);
                Some(opened)
            }
            Some(Handed::End) => {
                ended = true;
                None
            }
            // The fetching thread stopped short: what it did not hand over is not read, and
            // that is said, not passed over.
            None => {
                ended = true;
                let stopped = "the thread listing and fetching from S3 stopped here: the \
                               objects after this one were not read";
                Some((last.clone(), Err(io::Error::other(stopped))))
            }
        }
    })))
}

/// `scan --follow s3://…`: the URLs listed at each poll (the directories a selection leaves
/// out are not), and the objects to read fetched whole, a few ahead of the one read
/// ([`Follow::fetch`]), on a runtime with one worker thread (the fetches under way go on while
/// the calling thread reads). Each request gives up when `stop` is set.
pub struct Follow {
    runtime: tokio::runtime::Runtime,
    s3: S3,
    urls: Vec<Url>,
    select: Option<Arc<Selected>>,
    stop: Arc<AtomicBool>,
    /// The listing that checked the URLs, for the first poll.
    first: Option<Listing>,
    /// The entity tag of each object of the last listing, which its fetch asks for.
    etags: HashMap<String, String>,
    /// The objects and entity tags a fetch was refused under (412), or given another tag
    /// under, while the listing still shows them: fetched without `If-Match` next.
    unmatched: HashSet<(String, String)>,
    /// Directories of the layout whose time is well past, listed whole: not listed again until
    /// the time each maps to (ms since the epoch, one to two [`RESEAL_MS`] after sealing).
    sealed: BTreeMap<String, i64>,
    /// Those of the last listing, to be sealed once what they hold was read ([`Follow::seal`]).
    settled: Vec<String>,
}

/// What a poll listed.
#[derive(Debug, Default)]
pub struct Listing {
    /// Every object under the URLs, in the order of a walk on disk, named `s3://BUCKET/KEY`
    /// with its size and last modification.
    pub objects: Vec<(String, FileMark)>,
    /// The directories that could not be listed (`s3://BUCKET/PREFIX/`), and why: what they
    /// hold is not in `objects`.
    pub unlisted: Vec<(String, String)>,
    /// The directories not listed again, their time well past (see [`Follow::seal`]): what
    /// they hold was read, and is not in `objects`.
    pub sealed: Vec<String>,
    /// What the selection left out of what was listed: objects (`s3://BUCKET/KEY`) and
    /// directories not entered (`s3://BUCKET/PREFIX/`).
    pub left_out: Vec<String>,
    /// At the first listing, why S3 refused to list a URL (no such bucket, access denied): an
    /// error. Later, such a URL is in `unlisted`, as one failing for now always is.
    pub refused: Option<String>,
}

/// Why an object was not fetched.
#[derive(Debug)]
pub enum NotFetched {
    /// Until someone acts (a 400 or 403: archived, access or its KMS key denied): a skip of the
    /// scan, not asked for again in this run.
    Refused(io::Error),
    /// For now (throttled, an error of S3's, no connection, deleted since the listing): asked
    /// for again at the next listing that shows it.
    Failed(String),
    /// Written again since it was listed (its entity tag is another now): asked for again at
    /// the next listing, in the version that listing shows.
    Rewritten,
    /// The follower is stopping.
    Stopped,
}

/// Why a directory could not be listed.
#[derive(Debug)]
struct ListError {
    message: String,
    /// Until someone acts (S3 refused: no such bucket, access denied, ...), where an error of
    /// S3's, throttling or no connection may pass.
    lasting: bool,
}

impl ListError {
    fn of<E>(e: &SdkError<E>) -> ListError
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
    {
        ListError {
            message: describe(e),
            lasting: !for_now(e),
        }
    }
}

/// Whether `e` may pass by itself: no answer in time, no answer at all (no connection, one
/// closed early, a credentials provider out of reach), an error of S3's, or throttling.
/// Anything else stays so until someone acts: S3 refused the request, or it could not be made
/// (credentials found nowhere or refused, a Region or endpoint that makes no request).
fn for_now<E>(e: &SdkError<E>) -> bool
where
    E: std::error::Error + 'static,
{
    match e {
        SdkError::TimeoutError(_) | SdkError::ResponseError(_) => true,
        SdkError::DispatchFailure(failure) => {
            failure.is_io()
                || failure.is_timeout()
                || matches!(failure.as_other(), Some(ErrorKind::TransientError))
                || credentials_out_of_reach(e)
        }
        SdkError::ServiceError(_) => e
            .raw_response()
            .is_some_and(|r| matches!(r.status().as_u16(), 408 | 429 | 500..=599)),
        _ => false,
    }
}

/// Whether `e` comes of a credentials provider that did not answer: timed out, or out of reach
/// (an I/O error under its error). One that answered no (an STS `AccessDenied`, a
/// `credential_process` that failed), or none configured, is not.
fn credentials_out_of_reach(e: &(dyn std::error::Error + 'static)) -> bool {
    let mut under_credentials = false;
    let mut next = Some(e);
    while let Some(e) = next {
        if let Some(credentials) = e.downcast_ref::<CredentialsError>() {
            match credentials {
                CredentialsError::ProviderTimedOut(_) => return true,
                CredentialsError::ProviderError(_) | CredentialsError::Unhandled(_) => {
                    under_credentials = true;
                }
                _ => return false,
            }
        } else if under_credentials && e.downcast_ref::<io::Error>().is_some() {
            return true;
        }
        next = e.source();
    }
    false
}

/// Why the top of a URL could not be walked.
#[derive(Debug)]
enum TopError {
    Unlisted(ListError),
    /// No object under it (where one is asked for).
    Empty,
}

impl TopError {
    /// What is said of `url`.
    fn at(&self, url: &Url) -> String {
        match self {
            TopError::Unlisted(e) => format!("{url}: cannot list the bucket: {}", e.message),
            TopError::Empty => format!("{url}: no object under this prefix"),
        }
    }
}

/// How long a sealed directory goes unlisted at least ([`Follow::seal`]; at most twice that).
const RESEAL_MS: i64 = 60 * 60 * 1000;

/// How often a request looks at the stop flag.
const STOP_TICK: Duration = Duration::from_millis(50);

/// `work`, unless `stop` is set before it ends.
async fn until_stopped<F: std::future::Future>(work: F, stop: &AtomicBool) -> Option<F::Output> {
    let mut work = std::pin::pin!(work);
    loop {
        match tokio::time::timeout(STOP_TICK, work.as_mut()).await {
            Ok(done) => return Some(done),
            Err(_) if stop.load(Ordering::Relaxed) => return None,
            Err(_) => {}
        }
    }
}

impl Follow {
    /// Lists every URL once: an error when one cannot be listed until someone acts (no such
    /// bucket, access denied); one that may pass (no connection, S3 failing) is said at the
    /// first poll, and the URLs listed again at the next. A prefix with no object yet is
    /// followed, and read when objects come. None when `stop` was set meanwhile.
    pub fn open(
        urls: Vec<Url>,
        select: Option<Arc<Selected>>,
        stop: Arc<AtomicBool>,
    ) -> Result<Option<Follow>, String> {
        // A worker of its own, so that the fetches under way go on while an object is read.
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("s3")
            .enable_all()
            .build()
            .map_err(|e| format!("cannot start the runtime for S3: {e}"))?;
        let s3 = S3::new(runtime.block_on(load_config()));
        let mut follow = Follow {
            runtime,
            s3,
            urls,
            select,
            stop,
            first: None,
            etags: HashMap::new(),
            unmatched: HashSet::new(),
            sealed: BTreeMap::new(),
            settled: Vec::new(),
        };
        let Some(first) = follow.list_now(true) else {
            return Ok(None);
        };
        if let Some(refused) = first.refused {
            return Err(refused);
        }
        follow.first = Some(first);
        Ok(Some(follow))
    }

    /// The URLs followed, as named.
    pub fn urls(&self) -> Vec<String> {
        self.urls.iter().map(ToString::to_string).collect()
    }

    /// The objects under the URLs now (a URL that cannot be listed is in `unlisted`); None when
    /// `stop` was set meanwhile.
    pub fn list(&mut self) -> Option<Listing> {
        match self.first.take() {
            Some(listed) => Some(listed),
            None => self.list_now(false),
        }
    }

    /// Lists the URLs (`first`: to check them, as [`Follow::open`] does); None when `stop` was
    /// set meanwhile.
    fn list_now(&mut self, first: bool) -> Option<Listing> {
        let Follow {
            runtime,
            s3,
            urls,
            select,
            stop,
            etags,
            sealed,
            settled,
            ..
        } = self;
        let select = select.as_deref();
        // A directory whose time ended a day ago or more gets no new file from CloudTrail;
        // one sealed an hour ago is listed again, for files copied there since.
        let now = now_ms();
        let past = now.saturating_sub(DAY_MS);
        sealed.retain(|_, until| now < *until);
        settled.clear();
        etags.clear();
        let mut passed = Vec::new();
        let mut passes = |dir: &str| {
            if sealed.contains_key(dir) {
                passed.push(dir.to_owned());
                return true;
            }
            if trailmatch_cloudtrail::s3key::dir_span_end(dir).is_some_and(|end| end <= past) {
                settled.push(dir.to_owned());
            }
            false
        };
        let work = async {
            let mut listing = Listing::default();
            for url in urls.iter() {
                // A URL that cannot be listed is passed over as a directory that cannot be (the
                // others are read), but at the first listing one S3 refuses is an error, once
                // every URL has been tried.
                let mut walk = match s3.top(url, select, true).await {
                    Ok(walk) => walk,
                    Err(TopError::Unlisted(e)) if first && e.lasting => {
                        listing
                            .refused
                            .get_or_insert_with(|| TopError::Unlisted(e).at(url));
                        continue;
                    }
                    Err(TopError::Unlisted(e)) => {
                        listing.unlisted.push((url.to_string(), e.message));
                        continue;
                    }
                    Err(TopError::Empty) => continue,
                };
                while let Some(next) = walk.next(s3, select, &mut passes).await {
                    match next {
                        Ok(key) => {
                            if let Some(etag) = key.etag {
                                etags.insert(key.name.clone(), etag);
                            }
                            listing.objects.push((key.name, key.mark));
                        }
                        Err((dir, e)) => listing.unlisted.push((dir, e)),
                    }
                }
                listing.left_out.append(&mut walk.left_out);
            }
            listing
        };
        let mut listed = runtime.block_on(until_stopped(work, stop));
        if let Some(listing) = listed.as_mut() {
            listing.sealed = passed;
            // Once listed with another tag (or not at all), an object is asked for with it.
            self.unmatched
                .retain(|(name, etag)| self.etags.get(name) == Some(etag));
        }
        listed
    }

    /// Seals the directories of the last listing whose time is well past (a day after the end
    /// of their year, month or day), so that the listings of the next hour or two pass over
    /// them: all but those that hold one of `pending` (a directory that could not be listed, an
    /// object not read yet), whose listing must go on. Following a trail's bucket, each poll
    /// then lists the days CloudTrail may still write to, and the years before every hour or
    /// two.
    pub fn seal(&mut self, pending: &[&str]) {
        let now = now_ms();
        for dir in self.settled.drain(..) {
            if !pending.iter().any(|p| p.starts_with(dir.as_str())) {
                // Spread over a second hour, so that a large bucket's sealed directories are
                // not all listed again at the same poll.
                let mut hasher = std::hash::DefaultHasher::new();
                std::hash::Hash::hash(&dir, &mut hasher);
                let spread = i64::try_from(std::hash::Hasher::finish(&hasher) % RESEAL_MS as u64)
                    .unwrap_or(0);
                self.sealed.insert(dir, now + RESEAL_MS + spread);
            }
        }
    }

    /// The objects named `s3://BUCKET/KEY` (as [`Follow::list`] names them), each fetched
    /// whole, in the order given: a few fetched ahead of the one being read (at most
    /// [`AHEAD`], and [`AHEAD_BYTES`] as listed, or one), as a batch scan fetches them. Each is
    /// the version listed (its entity tag asked for), not one written since, which is read
    /// under the mark its own listing gives it.
    pub fn fetch(&mut self, objects: Vec<(String, FileMark)>) -> Fetches<'_> {
        Fetches {
            follow: self,
            queue: objects.into(),
            pending: VecDeque::new(),
            pending_bytes: 0,
        }
    }
}

/// How many bytes of objects (as listed) [`Follow::fetch`] fetches ahead, at most (one object
/// always, whatever its size).
const AHEAD_BYTES: u64 = 64 << 20;

/// The fetch of one object, whole.
type Fetch = tokio::task::JoinHandle<Result<Bytes, NotFetched>>;

/// What [`Follow::fetch`] gives: each object (its name and mark, as given) and its body, or why
/// it was not fetched. Dropped, it stops the fetches under way.
pub struct Fetches<'f> {
    follow: &'f mut Follow,
    /// The objects not asked for yet.
    queue: VecDeque<(String, FileMark)>,
    /// Those asked for, in order.
    pending: VecDeque<(String, FileMark, Fetch)>,
    pending_bytes: u64,
}

impl Fetches<'_> {
    /// Asks for the next objects while there is room ahead.
    fn fill(&mut self) {
        while let Some((_, mark)) = self.queue.front() {
            let room = self.pending.is_empty()
                || (self.pending.len() < AHEAD
                    && self.pending_bytes.saturating_add(mark.len) <= AHEAD_BYTES);
            if !room {
                return;
            }
            let Some((name, mark)) = self.queue.pop_front() else {
                return;
            };
            let get = self.get(&name);
            let task = self.follow.runtime.spawn(get);
            self.pending_bytes = self.pending_bytes.saturating_add(mark.len);
            self.pending.push_back((name, mark, task));
        }
    }

    /// The fetch of the object `name`, whole.
    fn get(
        &mut self,
        name: &str,
    ) -> impl std::future::Future<Output = Result<Bytes, NotFetched>> + use<> {
        let place = name
            .strip_prefix("s3://")
            .and_then(|rest| rest.split_once('/'))
            .map(|(bucket, key)| (bucket.to_owned(), key.to_owned()));
        let client = place
            .as_ref()
            .map(|(bucket, _)| self.follow.s3.client(bucket));
        // Not asked for again under an entity tag the store refused it under once: one that
        // lists a tag its fetch does not compare with (S3 does) would refuse it at every poll.
        // What it gives must then be what was listed (below).
        let listed = self.follow.etags.get(name).cloned();
        let etag = listed.clone().filter(|etag| {
            !self
                .follow
                .unmatched
                .contains(&(name.to_owned(), etag.clone()))
        });
        let name = name.to_owned();
        async move {
            let (Some((bucket, key)), Some(client)) = (place, client) else {
                return Err(NotFetched::Failed(format!("{name}: not an object's URL")));
            };
            let output = client
                .get_object()
                .bucket(bucket)
                .key(key)
                .set_if_match(etag)
                .send()
                .await
                .map_err(|e| {
                    // 400 and 403 (archived, access or its KMS key denied, a key of one's own
                    // needed) stay so until someone acts; a 404 is an object deleted since the
                    // listing, which the next one does not show, and a 412 one written again
                    // since, which the next one shows as it is now.
                    let status = e.raw_response().map(|r| r.status().as_u16());
                    match status {
                        Some(400 | 403) => NotFetched::Refused(io::Error::other(describe(&e))),
                        Some(412) => NotFetched::Rewritten,
                        _ => NotFetched::Failed(describe(&e)),
                    }
                })?;
            // A store that gives another version than the one listed (its listing lags, or it
            // ignores `If-Match`): read as the next listing shows it, not under this mark.
            let bare = |etag: &str| etag.trim_start_matches("W/").trim_matches('"').to_owned();
            if let (Some(listed), Some(given)) = (&listed, output.e_tag()) {
                if bare(listed) != bare(given) {
                    return Err(NotFetched::Rewritten);
                }
            }
            let body = output
                .body
                .collect()
                .await
                .map_err(|e| NotFetched::Failed(causes(&e)))?;
            Ok(body.into_bytes())
        }
    }
}

impl Iterator for Fetches<'_> {
    type Item = (String, FileMark, Result<Box<dyn Read + Send>, NotFetched>);

    fn next(&mut self) -> Option<Self::Item> {
        self.fill();
        let (name, mark, task) = self.pending.pop_front()?;
        self.pending_bytes = self.pending_bytes.saturating_sub(mark.len);
        let abort = task.abort_handle();
        let done = self
            .follow
            .runtime
            .block_on(until_stopped(task, &self.follow.stop));
        let body = match done {
            None => {
                abort.abort();
                Err(NotFetched::Stopped)
            }
            Some(Ok(Err(NotFetched::Rewritten))) => {
                if let Some(etag) = self.follow.etags.get(&name) {
                    self.follow.unmatched.insert((name.clone(), etag.clone()));
                }
                Err(NotFetched::Rewritten)
            }
            Some(Ok(fetched)) => fetched.map(|bytes| Box::new(io::Cursor::new(bytes)) as Box<_>),
            Some(Err(e)) => Err(NotFetched::Failed(format!("the fetch stopped: {e}"))),
        };
        Some((name, mark, body))
    }
}

impl Drop for Fetches<'_> {
    fn drop(&mut self) {
        for (_, _, task) in &self.pending {
            task.abort();
        }
    }
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
    /// Its size and last modification, as listed.
    mark: FileMark,
    /// Its entity tag, as listed.
    etag: Option<String>,
}

/// An entry of a listed directory.
#[derive(Debug)]
enum Entry {
    /// An object's key, its size and last modification, and its entity tag.
    File(String, FileMark, Option<String>),
    /// A "folder" made in the console: the directory's own key, empty. No file, but the
    /// directory is there.
    Marker,
    /// A directory's prefix (its key prefix, `/` at its end).
    Dir(String),
}

/// The walk of one URL's keys, in the order of a walk of the same tree on disk (each
/// directory's entries by name, a directory's files where its name sorts), listed a directory
/// at a time, innermost last.
struct Walk {
    bucket: String,
    stack: Vec<std::vec::IntoIter<Entry>>,
    /// What the selection left out so far: objects (`s3://BUCKET/KEY`) and directories
    /// (`s3://BUCKET/PREFIX/`).
    left_out: Vec<String>,
}

impl Walk {
    /// The next key to read, or a directory that cannot be listed (its name and why). A
    /// directory (`s3://BUCKET/PREFIX/`) that `passes` says to pass over is not listed.
    async fn next(
        &mut self,
        s3: &mut S3,
        select: Option<&Selected>,
        passes: &mut impl FnMut(&str) -> bool,
    ) -> Option<Result<Key, (String, String)>> {
        loop {
            let Some(entry) = self.stack.last_mut()?.next() else {
                self.stack.pop();
                continue;
            };
            match entry {
                Entry::Marker => {}
                Entry::File(key, mark, etag) => {
                    let name = format!("s3://{}/{key}", self.bucket);
                    if select.is_none_or(|s| s.keeps(&name)) {
                        let bucket = self.bucket.clone();
                        return Some(Ok(Key {
                            bucket,
                            key,
                            name,
                            mark,
                            etag,
                        }));
                    }
                    self.left_out.push(name);
                }
                Entry::Dir(prefix) => {
                    let dir = prefix.strip_suffix('/').unwrap_or(&prefix);
                    if select.is_some_and(|s| !s.enters(&format!("s3://{}/{dir}", self.bucket))) {
                        self.left_out.push(format!("s3://{}/{prefix}", self.bucket));
                        continue;
                    }
                    if passes(&format!("s3://{}/{prefix}", self.bucket)) {
                        continue;
                    }
                    match s3.list_dir(&self.bucket, &prefix).await {
                        Ok(entries) => self.stack.push(entries.into_iter()),
                        Err(e) => {
                            let dir = format!("s3://{}/{prefix}", self.bucket);
                            return Some(Err((dir, e.message)));
                        }
                    }
                }
            }
        }
    }
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
        // An endpoint of one's own, for every service or for S3 alone.
        let own_endpoint = self.config.endpoint_url().is_some()
            || std::env::var_os("AWS_ENDPOINT_URL_S3").is_some_and(|v| !v.is_empty());
        if own_endpoint {
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

    /// The walk of `url`, its top listed: an error when it cannot be, or names no object (the
    /// object of its key, or a directory under it) unless `empty` is allowed.
    async fn top(
        &mut self,
        url: &Url,
        select: Option<&Selected>,
        empty: bool,
    ) -> Result<Walk, TopError> {
        let prefix = url.prefix.as_str();
        let whole = prefix.is_empty() || prefix.ends_with('/');
        let entries = self
            .list_dir(&url.bucket, prefix)
            .await
            .map_err(TopError::Unlisted)?;
        // A prefix that is not a directory names its own key, and the directory of that name.
        let entries: Vec<Entry> = entries
            .into_iter()
            .filter(|entry| match entry {
                _ if whole => true,
                Entry::File(key, ..) => key == prefix,
                Entry::Dir(dir) => dir.strip_suffix('/') == Some(prefix),
                Entry::Marker => false,
            })
            .collect();
        if entries.is_empty() && !empty {
            return Err(TopError::Empty);
        }
        // The directory the URL names is judged as a walk judges a directory it is given.
        let dir = prefix.strip_suffix('/').unwrap_or(prefix);
        let entered = !whole
            || dir.is_empty()
            || select.is_none_or(|s| s.enters(&format!("s3://{}/{dir}", url.bucket)));
        let (stack, left_out) = if entered {
            (vec![entries.into_iter()], Vec::new())
        } else {
            (Vec::new(), vec![url.to_string()])
        };
        Ok(Walk {
            bucket: url.bucket.clone(),
            stack,
            left_out,
        })
    }

    /// The entries of the directory `prefix` (empty, or ending with `/`) of `bucket`, in the
    /// order of a walk: by name, a file before a directory of the same name. In the bucket's
    /// own Region when S3 says it is in another.
    async fn list_dir(&mut self, bucket: &str, prefix: &str) -> Result<Vec<Entry>, ListError> {
        let mut redirected = false;
        loop {
            let client = self.client(bucket);
            let mut pages = client
                .list_objects_v2()
                .bucket(bucket)
                .prefix(prefix)
                .delimiter("/")
                // Keys as S3 lists them in XML cannot hold every character a key may.
                .encoding_type(EncodingType::Url)
                .into_paginator()
                .send();
            let mut entries = Vec::new();
            let mut failure = None;
            while let Some(page) = pages.next().await {
                match page {
                    Ok(page) => {
                        for object in page.contents() {
                            let Some(key) = object.key().map(url_decoded) else {
                                continue;
                            };
                            let size = object.size().unwrap_or(0);
                            let marker = key.ends_with('/') && size == 0;
                            let mark = FileMark {
                                len: u64::try_from(size).unwrap_or(0),
                                modified_ms: object
                                    .last_modified()
                                    .and_then(|t| t.to_millis().ok())
                                    .unwrap_or(0),
                            };
                            entries.push(if marker {
                                Entry::Marker
                            } else {
                                Entry::File(key, mark, object.e_tag().map(str::to_owned))
                            });
                        }
                        let dirs = page.common_prefixes().iter().filter_map(|p| p.prefix());
                        entries.extend(dirs.map(|dir| Entry::Dir(url_decoded(dir))));
                    }
                    Err(e) => {
                        failure = Some(e);
                        break;
                    }
                }
            }
            let Some(e) = failure else {
                let name = |entry: &Entry| {
                    let path = match entry {
                        Entry::File(key, ..) => key.as_str(),
                        Entry::Dir(dir) => dir.strip_suffix('/').unwrap_or(dir),
                        Entry::Marker => "",
                    };
                    path.get(prefix.len()..).unwrap_or_default().to_owned()
                };
                // Stable: files, listed first, stay before directories of the same name.
                entries.sort_by_cached_key(name);
                return Ok(entries);
            };
            let region = e
                .raw_response()
                .and_then(|r| r.headers().get("x-amz-bucket-region"))
                .map(str::to_owned);
            match region {
                Some(region) if !redirected && entries.is_empty() => {
                    let client = self.client_in(Some(&region));
                    self.clients.insert(bucket.to_owned(), client);
                    redirected = true;
                }
                _ => return Err(ListError::of(&e)),
            }
        }
    }

    /// Fetches the keys of `walks` in order, each streamed into what `objects` hands the scan,
    /// at most [`AHEAD`] before the scan reads them; a directory that cannot be listed is handed
    /// as an input that cannot be read. Stops when the scan does.
    async fn fetch_all(
        &mut self,
        walks: Vec<Walk>,
        select: Option<&Selected>,
        objects: mpsc::Sender<Handed>,
    ) {
        let mut tasks = tokio::task::JoinSet::new();
        for mut walk in walks {
            while let Some(next) = walk.next(self, select, &mut |_| false).await {
                // (What the selection left out is counted by it; the names are the follower's.)
                walk.left_out.clear();
                let (opened, fetch): (Opened, _) = match next {
                    Ok(key) => {
                        let (chunks_tx, chunks_rx) = mpsc::channel(CHUNKS);
                        let body = Body {
                            chunks: chunks_rx,
                            chunk: Bytes::new(),
                            ended: false,
                        };
                        let client = self.client(&key.bucket);
                        let body: Box<dyn Read + Send> = Box::new(body);
                        (
                            (key.name.clone(), Ok(body)),
                            Some(fetch(client, key, chunks_tx)),
                        )
                    }
                    Err((name, e)) => ((name, Err(io::Error::other(e))), None),
                };
                if objects.send(Handed::Object(opened)).await.is_err() {
                    // The scan stopped.
                    return;
                }
                if let Some(fetch) = fetch {
                    tasks.spawn(fetch);
                }
                while tasks.try_join_next().is_some() {}
            }
        }
        let _ = objects.send(Handed::End).await;
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

/// A key or prefix listed with `EncodingType=url`, decoded as the AWS CLI decodes it (`+` is a
/// space).
fn url_decoded(text: &str) -> String {
    let text = text.replace('+', " ");
    percent_encoding::percent_decode_str(&text)
        .decode_utf8_lossy()
        .into_owned()
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
    fn urls_name_a_bucket_and_a_prefix() {
        let url = Url::parse("s3://trail-bucket/AWSLogs/111122223333")
            .unwrap()
            .unwrap();
        assert_eq!(url.bucket, "trail-bucket");
        assert_eq!(url.prefix, "AWSLogs/111122223333");
        assert_eq!(url.to_string(), "s3://trail-bucket/AWSLogs/111122223333");
        let whole = Url::parse("s3://trail-bucket").unwrap().unwrap();
        assert_eq!(whole.prefix, "");
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
