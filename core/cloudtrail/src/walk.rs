//! The one directory walker of every command (`grep`, `scan`, `lint`, `cis-check`,
//! `scan --rules DIR`) and of the Python module's `scan`, `lint` and `cis_check`.
//!
//! * Paths named by the caller (the command line) are followed when they are symbolic links,
//!   and anything named that is not a directory is a file to read: a FIFO named on the command
//!   line is read as a stream, like `cat` does. A named path that does not exist is an error
//!   for the caller to refuse ([`require`]); met by [`Walk`] it is an [`Entry::Skipped`].
//! * Directories are walked recursively, the entries of each in byte order of their names.
//! * Inside a walk only regular files are read. FIFOs, sockets and devices are reported as
//!   [`Entry::Skipped`] and never opened (opening a FIFO blocks until someone writes to it).
//! * Symbolic links met inside a walk are not followed (and not reported), unless
//!   [`WalkOptions::follow`] is set, as with ripgrep's `--follow`; a directory reached again
//!   through a link (a cycle) is then reported and skipped.
//!
//! ```
//! use trailmatch_cloudtrail::walk::{Entry, Walk, WalkOptions};
//!
//! let dir = std::env::temp_dir().join(format!("trailmatch-walk-doc-{}", std::process::id()));
//! std::fs::create_dir_all(dir.join("b"))?;
//! std::fs::write(dir.join("b/2.json"), "")?;
//! std::fs::write(dir.join("a.json"), "")?;
//! let files: Vec<_> = Walk::new(vec![dir.clone()], WalkOptions::default())
//!     .filter_map(|e| match e { Entry::File(path) => Some(path), _ => None })
//!     .collect();
//! std::fs::remove_dir_all(&dir)?;
//! assert_eq!(files, [dir.join("a.json"), dir.join("b/2.json")]);
//! # Ok::<(), std::io::Error>(())
//! ```

use std::collections::VecDeque;
use std::ffi::OsStr;
use std::fmt;
use std::fs::{self, FileType};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::s3key::Selected;

/// How to walk.
#[derive(Clone, Default)]
pub struct WalkOptions {
    /// Follow symbolic links met inside directories (`--follow`).
    pub follow: bool,
    /// Entries met inside directories whose name this says to ignore are passed over silently
    /// (the rules readers ignore hidden entries and `node_modules`).
    pub ignore: Option<fn(&OsStr) -> bool>,
    /// Only the files of CloudTrail's S3 layout that this selects are yielded, named or met
    /// (`scan --regions`, …), and only the directories that may hold some are entered; the
    /// others are passed over silently, and counted by it.
    pub select: Option<Arc<Selected>>,
}

impl fmt::Debug for WalkOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WalkOptions")
            .field("follow", &self.follow)
            .field("ignore", &self.ignore.is_some())
            .field("select", &self.select.as_ref().map(|s| s.keys()))
            .finish()
    }
}

/// Why a path was skipped.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SkipReason {
    /// It cannot be read (missing, no permission, a broken link).
    Unreadable,
    /// A FIFO, socket or device met inside a directory.
    NotAFile,
    /// A directory reached again through a symbolic link (with `follow`).
    Cycle,
}

/// What a walk yields.
#[derive(Debug)]
pub enum Entry {
    /// A file to read.
    File(PathBuf),
    /// A path that is not read, why, and a message that names it.
    Skipped {
        /// The path.
        path: PathBuf,
        /// Why.
        reason: SkipReason,
        /// E.g. `logs/pipe: a FIFO, not a regular file; skipped`, `cannot read x: No such file
        /// or directory`.
        message: String,
    },
}

/// Checks that every path named exists (`-`, the standard input, excepted): the error names the
/// first that does not, e.g. `/nonexistent: no such file or directory`, with the I/O error's
/// kind (`NotFound`, `PermissionDenied`).
pub fn require<P: AsRef<Path>>(paths: &[P]) -> io::Result<()> {
    for path in paths {
        let path = path.as_ref();
        if path.as_os_str() == "-" {
            continue;
        }
        if let Err(e) = fs::metadata(path) {
            let what = match e.kind() {
                io::ErrorKind::NotFound => "no such file or directory".to_owned(),
                _ => io_message(&e),
            };
            return Err(io::Error::new(
                e.kind(),
                format!("{}: {what}", path.display()),
            ));
        }
    }
    Ok(())
}

/// An I/O error without Rust's ` (os error N)` suffix, as other tools print it.
pub fn io_message(e: &io::Error) -> String {
    let text = e.to_string();
    match text.find(" (os error") {
        Some(end) => text.get(..end).unwrap_or(&text).to_owned(),
        None => text,
    }
}

/// An open directory: its entries still to visit.
struct Listing {
    entries: std::vec::IntoIter<(PathBuf, Option<FileType>)>,
}

/// The files under some paths, lazily, in order: see the [module](self).
pub struct Walk {
    options: WalkOptions,
    roots: VecDeque<PathBuf>,
    stack: Vec<Listing>,
    /// The directories being walked (device and inode), innermost last, to find cycles.
    ancestors: Vec<(u64, u64)>,
    /// With a selection: the root being walked, and the path it judges ([`judged`]), which
    /// the paths under it extend (it is worked out once per root, not once per entry).
    judged_root: Option<(PathBuf, PathBuf)>,
}

impl fmt::Debug for Walk {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Walk")
            .field("options", &self.options)
            .field("roots", &self.roots)
            .field("depth", &self.stack.len())
            .finish()
    }
}

impl Walk {
    /// A walk of `roots`, in order.
    pub fn new(roots: Vec<PathBuf>, options: WalkOptions) -> Walk {
        Walk {
            options,
            roots: roots.into(),
            stack: Vec::new(),
            ancestors: Vec::new(),
            judged_root: None,
        }
    }

    /// The path a selection judges for `path`, the root or an entry under it.
    fn judged(&self, path: &Path) -> String {
        let under_root = self.judged_root.as_ref().and_then(|(root, judged)| {
            let rest = path.strip_prefix(root).ok()?;
            // (`join` of nothing would add a `/`.)
            Some(if rest.as_os_str().is_empty() {
                judged.clone()
            } else {
                judged.join(rest)
            })
        });
        under_root
            .unwrap_or_else(|| judged(path))
            .to_string_lossy()
            .into_owned()
    }

    fn skipped(path: PathBuf, reason: SkipReason, what: &str) -> Option<Entry> {
        let message = match what.strip_prefix("cannot read") {
            Some(rest) => format!("cannot read {}{rest}", path.display()),
            None => format!("{}: {what}", path.display()),
        };
        Some(Entry::Skipped {
            path,
            reason,
            message,
        })
    }

    /// Visits one path: a file is yielded, a directory's listing is pushed.
    fn visit(&mut self, path: PathBuf, kind: Option<FileType>, named: bool) -> Option<Entry> {
        let kind = match kind {
            Some(kind) if !(kind.is_symlink() && (named || self.options.follow)) => kind,
            // Not followed: passed over, as ripgrep does.
            Some(kind) if kind.is_symlink() && !named && !self.options.follow => return None,
            _ => match fs::metadata(&path) {
                Ok(meta) => meta.file_type(),
                Err(e) => {
                    let what = format!("cannot read: {}", io_message(&e));
                    return Walk::skipped(path, SkipReason::Unreadable, &what);
                }
            },
        };
        if kind.is_symlink() {
            return None;
        }
        if kind.is_dir() {
            if let Some(select) = &self.options.select {
                if !select.enters(&self.judged(&path)) {
                    return None;
                }
            }
            return self.enter(path);
        }
        if kind.is_file() || named {
            let select = self.options.select.as_ref();
            return select
                .is_none_or(|s| s.keeps(&self.judged(&path)))
                .then_some(Entry::File(path));
        }
        let what = format!("{}, not a regular file; skipped", describe(kind));
        Walk::skipped(path, SkipReason::NotAFile, &what)
    }

    fn enter(&mut self, path: PathBuf) -> Option<Entry> {
        let id = dir_id(&path);
        if let Some(id) = id {
            if self.ancestors.contains(&id) {
                let what = "a directory already being walked (a symbolic link cycle); skipped";
                return Walk::skipped(path, SkipReason::Cycle, what);
            }
        }
        let entries = match fs::read_dir(&path) {
            Ok(entries) => entries,
            Err(e) => {
                let what = format!("cannot read: {}", io_message(&e));
                return Walk::skipped(path, SkipReason::Unreadable, &what);
            }
        };
        let mut listing = Vec::new();
        let mut failure = None;
        for entry in entries {
            match entry {
                Ok(entry) => {
                    let name = entry.file_name();
                    if self.options.ignore.is_some_and(|ignore| ignore(&name)) {
                        continue;
                    }
                    listing.push((entry.path(), entry.file_type().ok()));
                }
                Err(e) => failure = Some(e),
            }
        }
        listing.sort_by(|a, b| a.0.file_name().cmp(&b.0.file_name()));
        self.stack.push(Listing {
            entries: listing.into_iter(),
        });
        self.ancestors.push(id.unwrap_or((u64::MAX, u64::MAX)));
        let e = failure?;
        let what = format!("cannot list every entry: {}", io_message(&e));
        Walk::skipped(path, SkipReason::Unreadable, &what)
    }
}

impl Iterator for Walk {
    type Item = Entry;

    fn next(&mut self) -> Option<Entry> {
        loop {
            if let Some(listing) = self.stack.last_mut() {
                match listing.entries.next() {
                    Some((path, kind)) => {
                        // An entry whose type is unknown is looked at through `metadata`,
                        // which follows links: only when following them.
                        let kind = match kind {
                            Some(kind) => Some(kind),
                            None => fs::symlink_metadata(&path).ok().map(|m| m.file_type()),
                        };
                        if let Some(entry) = self.visit(path, kind, false) {
                            return Some(entry);
                        }
                    }
                    None => {
                        self.stack.pop();
                        self.ancestors.pop();
                    }
                }
                continue;
            }
            let root = self.roots.pop_front()?;
            if self.options.select.is_some() {
                self.judged_root = Some((root.clone(), judged_root(&root)));
            }
            if let Some(entry) = self.visit(root, None, true) {
                return Some(entry);
            }
        }
    }
}

/// The path a selection judges: made absolute as written (`.` dropped), so that
/// `cd AWSLogs; scan .` places its files as `scan AWSLogs` does. Up to its last `..` it is
/// the path the system resolves (`x/..` is where `x` leads, through a symbolic link too); the
/// names after it are judged as written, symbolic links included.
fn judged(path: &Path) -> PathBuf {
    use std::path::Component;
    let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let components: Vec<Component<'_>> = absolute.components().collect();
    let split = components
        .iter()
        .rposition(|c| matches!(c, Component::ParentDir))
        .map_or(0, |last| last + 1);
    let (resolved, written) = components.split_at(split);
    let resolved: PathBuf = resolved.iter().collect();
    let mut judged = if resolved.as_os_str().is_empty() {
        PathBuf::new()
    } else {
        std::fs::canonicalize(&resolved).unwrap_or(resolved)
    };
    judged.extend(written.iter().filter(|c| !matches!(c, Component::CurDir)));
    judged
}

/// The path a selection judges for a root named: [`judged`], unless that path is nowhere in
/// CloudTrail's layout (it has no `AWSLogs`) and the path the system resolves is. A link
/// made as a handle on a directory deep in the layout (`ln -s …/AWSLogs/111122223333/CloudTrail/
/// eu-west-1 eu`) is then judged where it leads, as its files are. Links under the root, and
/// a root judged in the layout as written, are judged as written (a layout may be built of
/// links).
fn judged_root(root: &Path) -> PathBuf {
    let in_layout = |path: &Path| path.iter().any(|name| name == "AWSLogs");
    let written = judged(root);
    if in_layout(&written) {
        return written;
    }
    match fs::canonicalize(root) {
        Ok(resolved) if in_layout(&resolved) => resolved,
        _ => written,
    }
}

#[cfg(unix)]
fn dir_id(path: &Path) -> Option<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    fs::metadata(path).ok().map(|m| (m.dev(), m.ino()))
}

#[cfg(not(unix))]
fn dir_id(_: &Path) -> Option<(u64, u64)> {
    None
}

/// "a FIFO", "a socket", … for a file type that is neither a file nor a directory.
fn describe(kind: FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if kind.is_fifo() {
            return "a FIFO";
        }
        if kind.is_socket() {
            return "a socket";
        }
        if kind.is_block_device() || kind.is_char_device() {
            return "a device";
        }
    }
    let _ = kind;
    "a special file"
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files(roots: Vec<PathBuf>, options: WalkOptions) -> (Vec<PathBuf>, Vec<String>) {
        let mut files = Vec::new();
        let mut skipped = Vec::new();
        for entry in Walk::new(roots, options) {
            match entry {
                Entry::File(path) => files.push(path),
                Entry::Skipped { message, .. } => skipped.push(message),
            }
        }
        (files, skipped)
    }

    #[test]
    fn sorted_by_name_bytes_and_missing_roots_are_skipped() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        fs::create_dir_all(d.join("B/x")).unwrap();
        for name in ["a", "B/x/1", "B/0", "_"] {
            fs::write(d.join(name), "").unwrap();
        }
        let (found, skipped) = files(
            vec![d.to_path_buf(), d.join("missing")],
            WalkOptions::default(),
        );
        assert_eq!(
            found,
            [d.join("B/0"), d.join("B/x/1"), d.join("_"), d.join("a")]
        );
        assert_eq!(skipped.len(), 1);
        assert!(
            skipped[0].starts_with("cannot read ") && skipped[0].contains("missing: "),
            "{skipped:?}"
        );
        assert!(require(&[d.join("missing")]).is_err());
        assert!(require(&[d.to_path_buf()]).is_ok());
    }

    #[cfg(unix)]
    #[test]
    fn fifos_are_skipped_inside_and_links_followed_only_on_request() {
        let dir = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        let d = dir.path();
        fs::write(d.join("real"), "").unwrap();
        fs::write(outside.path().join("secret"), "").unwrap();
        let status = std::process::Command::new("mkfifo")
            .arg(d.join("pipe"))
            .status()
            .unwrap();
        assert!(status.success());
        std::os::unix::fs::symlink(outside.path().join("secret"), d.join("link")).unwrap();
        std::os::unix::fs::symlink(d, d.join("loop")).unwrap();
        let (found, skipped) = files(vec![d.to_path_buf()], WalkOptions::default());
        assert_eq!(found, [d.join("real")]);
        assert_eq!(skipped.len(), 1);
        assert!(skipped[0].contains("pipe: a FIFO"), "{skipped:?}");
        let follow = WalkOptions {
            follow: true,
            ..WalkOptions::default()
        };
        let (found, skipped) = files(vec![d.to_path_buf()], follow);
        assert_eq!(found, [d.join("link"), d.join("real")]);
        assert_eq!(skipped.len(), 2, "{skipped:?}");
        assert!(
            skipped[0].contains("loop: a directory already"),
            "{skipped:?}"
        );
        // Named: followed, and a FIFO is a file to read.
        let (found, _) = files(vec![d.join("link"), d.join("pipe")], WalkOptions::default());
        assert_eq!(found, [d.join("link"), d.join("pipe")]);
    }
}
