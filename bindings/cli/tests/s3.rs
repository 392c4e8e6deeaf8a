//! `trailmatch scan s3://…`: a trail's bucket read through the AWS SDK for Rust, against a local
//! moto server (`python -m moto.server` from the repository's venv, as `delivery.rs`).
//!
//! - a bucket gives the report the same tree on disk gives (names aside), with `-j 1` and
//!   `-j 2`, and with `--accounts`, `--regions`, `--start` and `--end`, which leave out the
//!   same files on disk and in the bucket;
//! - more objects than one listing page;
//! - a bucket in another Region than the configured one, read in its own (S3's answer, a 301
//!   naming the bucket's Region, from a local receiver: moto answers in any Region);
//! - an object that cannot be fetched is a counted skip that names it; a bucket that does not
//!   exist, a prefix with no object and a URL that is not one are errors before any read.

mod common;

use std::path::Path;

use aws_sdk_s3::types::StorageClass;
use common::Run;
use common::moto::{Bucket, moto, run_against, scan_against as scan};
use common::receiver::{Answer, Receiver};
use serde_json::Value;

const SAMPLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/sample");
const DAY: &str = "AWSLogs/111122223333/CloudTrail/us-east-1/2026/11/23";
const CIS_PATTERNS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../benches/data/cis-patterns.txt"
);

/// Writes `key` under `dir` and puts it in `bucket`.
fn both(dir: &Path, bucket: &Bucket, key: &str, body: &[u8]) {
    let path = dir.join(key);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, body).unwrap();
    bucket.put(key, body.to_vec(), None);
}

/// The JSON report of a run that succeeded.
fn report(run: &Run) -> Value {
    assert_eq!(run.status, 0, "{}", run.stderr);
    serde_json::from_str(&run.stdout).unwrap()
}

#[test]
fn a_bucket_is_scanned_as_the_same_tree_on_disk() {
    let Some(moto) = moto() else { return };
    let bucket = Bucket::new(&moto.endpoint, "trail");
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let mut names: Vec<_> = std::fs::read_dir(SAMPLE)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    for name in &names {
        let body = std::fs::read(Path::new(SAMPLE).join(name)).unwrap();
        both(dir, &bucket, &format!("{DAY}/{name}"), &body);
    }
    // Another Region's day (a copy of the sample's first file: 85 records), a damaged file,
    // and files outside the layout whose keys sort otherwise by component (as a walk reads
    // them: `a` before `a-b`) than as whole strings (`a-b/` before `a/`), each a damaged line.
    let first = std::fs::read(Path::new(SAMPLE).join(&names[0])).unwrap();
    let eu = "AWSLogs/111122223333/CloudTrail/eu-west-1/2026/11/24";
    both(dir, &bucket, &format!("{eu}/a.json.gz"), &first);
    both(
        dir,
        &bucket,
        &format!("{eu}/b.json.gz"),
        b"\x1f\x8bnot gzip",
    );
    both(
        dir,
        &bucket,
        "notes/a-b/x.jsonl",
        b"{\"eventName\":\"Later\"\n",
    );
    both(
        dir,
        &bucket,
        "notes/a/x.jsonl",
        b"{\"eventName\":\"Earlier\"\n",
    );
    let local = dir.to_str().unwrap();

    // (arguments, records read, skipped, what was left out: files, outside, directories)
    let day = [
        "--regions",
        "us-east-1",
        "--start",
        "2026-11-23",
        "--end",
        "2026-11-24",
    ];
    let to_noon = [
        "--accounts",
        "111122223333",
        "--end",
        "2026-11-23T12:00:00Z",
    ];
    type Case<'a> = (&'a [&'a str], u64, u64, Option<[u64; 3]>);
    let cases: [Case; 3] = [
        (&[], 4852 + 85, 3, None),
        (&day, 4852, 0, Some([2, 2, 1])),
        // The day after the end's day is read too.
        (&to_noon, 4852 + 85, 1, Some([2, 2, 0])),
    ];
    for (selection, read, skipped, left_out) in cases {
        for threads in ["1", "2"] {
            let mut args = vec!["--format", "json", "-j", threads];
            args.extend(selection);
            let from_disk = report(&scan(&moto.endpoint, &[&[local][..], &args].concat()));
            let from_s3 = report(&scan(
                &moto.endpoint,
                &[&["s3://trail/"][..], &args].concat(),
            ));
            let named_as_on_disk: Value = serde_json::from_str(
                &from_s3
                    .to_string()
                    .replace("s3://trail/", &format!("{local}/")),
            )
            .unwrap();
            assert_eq!(named_as_on_disk, from_disk, "{args:?}");
            let records = &from_s3["records"];
            assert_eq!(records["read"], read, "{args:?}: {records}");
            assert_eq!(records["skipped"], skipped, "{args:?}: {records}");
            // Records outside [--start, --end) are read and counted as filtered.
            let filtered = records["filtered"].as_u64().unwrap();
            assert_eq!(filtered > 0, selection == to_noon, "{args:?}: {records}");
            let left_out = left_out.map(|[files, outside_layout, directories]| {
                serde_json::json!({"files": files, "outside_layout": outside_layout, "directories": directories})
            });
            assert_eq!(from_s3.get("left_out"), left_out.as_ref(), "{args:?}");
        }
    }
    let skips =
        report(&scan(&moto.endpoint, &["s3://trail/", "--format", "json"]))["skipped"].to_string();
    assert!(
        skips.contains(&format!("s3://trail/{eu}/b.json.gz")),
        "{skips}"
    );

    // In the order of a walk; nothing read is an error that says why, file by file.
    let notes = scan(&moto.endpoint, &["s3://trail/notes"]);
    assert_eq!(notes.status, 1);
    assert_notes_in_walk_order(&notes.stderr);

    let selected = ["--regions", "us-east-1", "--start", "2026-11-23"];
    let left_out = "left out by --accounts, --regions, --start, --end: 2 files (2 outside \
                    CloudTrail's S3 layout) and 1 directory";
    let text = scan(&moto.endpoint, &[&["s3://trail/"][..], &selected].concat());
    assert_eq!(text.status, 0, "{}", text.stderr);
    let expected = format!("Scanned s3://trail/: 24 files\n  {left_out}\n");
    assert!(text.stdout.contains(&expected), "{}", text.stdout);
    let text = scan(&moto.endpoint, &[&[local][..], &selected].concat());
    assert!(text.stdout.contains(left_out), "{}", text.stdout);

    // grep reads the bucket as it reads the tree: the same output and the same skips, in the
    // same order, with the objects' names for the files'.
    let named_as_on_disk = |text: &str| text.replace("s3://trail/", &format!("{local}/"));
    for args in [
        &["{ $.userIdentity.type = \"Root\" }"][..],
        &["-c", "-f", CIS_PATTERNS],
        &["-l", "ConsoleLogin"],
        &["--json", "-j", "2", "ConsoleLogin"],
        &["-n", "-j", "1", "{ $.errorCode = \"AccessDenied*\" }"],
    ] {
        let on_disk = run_against(&moto.endpoint, "grep", &[args, &[local]].concat());
        let from_s3 = run_against(&moto.endpoint, "grep", &[args, &["s3://trail/"]].concat());
        assert!(
            !on_disk.stdout.is_empty() && on_disk.status == 2,
            "{args:?}: {on_disk:?}"
        );
        assert_eq!(from_s3.status, on_disk.status, "{args:?}");
        assert_eq!(
            named_as_on_disk(&from_s3.stdout),
            on_disk.stdout,
            "{args:?}"
        );
        assert_eq!(
            named_as_on_disk(&from_s3.stderr),
            on_disk.stderr,
            "{args:?}"
        );
    }
    let notes = run_against(&moto.endpoint, "grep", &["Earlier", "s3://trail/notes/"]);
    assert_eq!(notes.status, 2, "{notes:?}");
    assert_notes_in_walk_order(&notes.stderr);
}

/// The damaged lines of `notes/a/` and `notes/a-b/` are reported in the order of a walk on
/// disk (`a` before `a-b`), not of the keys as whole strings (`a-b/` before `a/`).
fn assert_notes_in_walk_order(stderr: &str) {
    let a = stderr.find("s3://trail/notes/a/x.jsonl:1: invalid JSON");
    let a_b = stderr.find("s3://trail/notes/a-b/x.jsonl:1: invalid JSON");
    assert!(a.is_some() && a < a_b, "{stderr}");
}

#[test]
fn objects_that_cannot_be_read_are_skips_and_buckets_that_cannot_be_listed_are_errors() {
    let Some(moto) = moto() else { return };
    let bucket = Bucket::new(&moto.endpoint, "cold");
    let sample = std::fs::read(
        Path::new(SAMPLE).join(
            std::fs::read_dir(SAMPLE)
                .unwrap()
                .map(|e| e.unwrap().file_name())
                .min()
                .unwrap(),
        ),
    )
    .unwrap();
    bucket.put(&format!("{DAY}/a.json.gz"), sample.clone(), None);
    // An archived object: GetObject refuses it until it is restored.
    let archived = format!("{DAY}/b.json.gz");
    bucket.put(&archived, sample, Some(StorageClass::Glacier));

    let run = report(&scan(
        &moto.endpoint,
        &["s3://cold/AWSLogs/", "--format", "json"],
    ));
    assert_eq!(run["records"]["read"], 85);
    assert_eq!(run["records"]["skipped"], 1);
    let skip = &run["skipped"][0];
    assert_eq!(skip["code"], "unreadable", "{skip}");
    assert_eq!(
        skip["examples"][0]["location"],
        format!("s3://cold/{archived}, byte 0")
    );
    let message = skip["examples"][0]["message"].as_str().unwrap();
    assert!(message.contains("InvalidObjectState"), "{message}");
    // grep reports it too, and searches the rest.
    let run = run_against(
        &moto.endpoint,
        "grep",
        &["-c", "AwsApiCall", "s3://cold/AWSLogs/"],
    );
    assert_eq!(run.status, 2, "{run:?}");
    assert!(
        run.stdout
            .starts_with(|c: char| c.is_ascii_digit() && c != '0'),
        "{run:?}"
    );
    assert!(
        run.stderr.contains(&format!("s3://cold/{archived}"))
            && run.stderr.contains("InvalidObjectState")
            && run.stderr.contains("[unreadable]"),
        "{run:?}"
    );
    // A bucket that cannot be listed is an error before any output.
    let run = run_against(&moto.endpoint, "grep", &["Root", "s3://no-such-bucket/"]);
    assert_eq!(run.status, 2, "{run:?}");
    assert!(run.stdout.is_empty(), "{run:?}");
    assert!(run.stderr.contains("NoSuchBucket"), "{run:?}");

    for (args, status, error) in [
        (
            &["s3://no-such-bucket/AWSLogs/"][..],
            1,
            "error: s3://no-such-bucket/AWSLogs/: cannot list the bucket: NoSuchBucket: \
             The specified bucket does not exist\n",
        ),
        // A prefix names a directory or a key, not the start of a name.
        (
            &["s3://cold/AWSLog"][..],
            1,
            "error: s3://cold/AWSLog: no object under this prefix\n",
        ),
        (&["s3://x/"][..], 2, "is no S3 bucket name"),
        (
            &["s3://cold/AWSLogs/", "."][..],
            2,
            "s3:// URLs are scanned alone: not with local paths or standard input",
        ),
        (
            &["s3://cold/AWSLogs/", "-", "--follow"][..],
            2,
            "s3:// URLs are scanned alone",
        ),
        (
            &["s3://cold/", "--regions", "us-east1"][..],
            2,
            "`us-east1` is no Region code",
        ),
        (
            &["s3://cold/", "--accounts", "11112222333"][..],
            2,
            "`11112222333` is no account id (12 digits)",
        ),
        (
            &["s3://cold/", "--start", "2026-11-31"][..],
            2,
            "`2026-11-31` is no date or time",
        ),
        (
            &["s3://cold/", "--start", "2026-11-24", "--end", "2026-11-24"][..],
            2,
            "--start must be before --end",
        ),
        (
            &["--regions", "us-east-1"][..],
            2,
            "name the files, directories or s3:// URLs to select from",
        ),
        (
            &["-", "--regions", "us-east-1"][..],
            2,
            "standard input (-) has none",
        ),
    ] {
        let run = scan(&moto.endpoint, args);
        assert_eq!(run.status, status, "{args:?}: {}", run.stderr);
        assert!(run.stderr.contains(error), "{args:?}: {}", run.stderr);
        assert!(run.stdout.is_empty(), "{args:?}: {}", run.stdout);
    }

    // Nothing answers at the endpoint: an error that says so, after the SDK's retries.
    let run = scan("http://127.0.0.1:9", &["s3://cold/AWSLogs/"]);
    assert_eq!(run.status, 1);
    assert!(
        run.stderr
            .starts_with("error: s3://cold/AWSLogs/: cannot list the bucket: dispatch failure")
            && run.stderr.contains("Connection refused"),
        "{}",
        run.stderr
    );
}

#[test]
fn more_objects_than_a_listing_page_are_all_read() {
    let Some(moto) = moto() else { return };
    let bucket = Bucket::new(&moto.endpoint, "many");
    // ListObjectsV2 gives at most 1,000 keys a page.
    let count = 1_003;
    for i in 0..count {
        let line = format!(
            "{{\"eventTime\":\"2026-11-23T{:02}:{:02}:00Z\",\"eventName\":\"E{i}\"}}\n",
            i / 60 % 24,
            i % 60
        );
        bucket.put(&format!("lines/{i:05}.jsonl"), line.into_bytes(), None);
    }
    // The last one damaged: reported last, with its name.
    bucket.put("lines/99999.jsonl", b"{\n".to_vec(), None);
    let run = scan(
        &moto.endpoint,
        &["s3://many/lines/", "-j", "2", "--no-insights"],
    );
    assert_eq!(run.status, 0, "{}", run.stderr);
    assert!(
        run.stdout
            .starts_with("Scanned s3://many/lines/: 1,004 files\n"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("records: 1,003 read · 0 matched · 1,003 unmatched · 1 skipped"),
        "{}",
        run.stdout
    );
    let json = report(&scan(
        &moto.endpoint,
        &["s3://many/lines/", "--format", "json"],
    ));
    assert_eq!(
        json["skipped"][0]["examples"][0]["location"],
        "s3://many/lines/99999.jsonl:1"
    );
}

#[test]
fn a_bucket_in_another_region_is_read_in_its_own() {
    let log = br#"{"Records":[{"eventTime":"2026-11-23T10:07:30Z","eventSource":"cloudtrail.amazonaws.com","eventName":"StopLogging","awsRegion":"eu-west-1"}]}"#;
    let body = String::from_utf8(log.to_vec()).unwrap();
    // S3 as it answers a request signed for another Region than the bucket's: 301, the bucket's
    // Region in `x-amz-bucket-region`.
    let receiver = Receiver::start(None, move |request, _| {
        let signed = request
            .headers
            .get("authorization")
            .cloned()
            .unwrap_or_default();
        if !signed.contains("/eu-west-1/s3/") {
            return Answer {
                status: 301,
                headers: vec![("x-amz-bucket-region".into(), "eu-west-1".into())],
                body: "<Error><Code>PermanentRedirect</Code><Message>The bucket you are \
                       attempting to access must be addressed using the specified endpoint.\
                       </Message></Error>"
                    .into(),
            };
        }
        let body = if request.path.contains("list-type=2") {
            common::receiver::s3_listing(&format!(
                "<KeyCount>1</KeyCount><Contents><Key>AWSLogs/x.json</Key><Size>{}</Size>\
                 </Contents>",
                body.len()
            ))
        } else {
            body.clone()
        };
        Answer {
            status: 200,
            body,
            ..Answer::default()
        }
    });
    let run = scan(
        &receiver.url("http", ""),
        &["s3://trail/AWSLogs/", "--format", "json"],
    );
    let requests = receiver.finish();
    let json = report(&run);
    assert_eq!(json["records"]["read"], 1, "{json}");
    assert_eq!(json["records"]["matched"], 1, "{json}");
    let seen: Vec<(u16, &str)> = requests
        .iter()
        .map(|r| (r.status, r.path.split('?').next().unwrap()))
        .collect();
    assert_eq!(
        seen,
        [
            (301, "/trail/"),
            (200, "/trail/"),
            (200, "/trail/AWSLogs/x.json")
        ]
    );
}

/// A bucket on a local receiver: `ListObjectsV2` (a prefix and a `/` delimiter, one page) and
/// `GetObject` over `objects` (key, body), in any Region. Hands back the prefixes listed.
fn bucket_of(objects: Vec<(String, String)>) -> Receiver {
    Receiver::start(None, move |request, _| {
        let (path, query) = request.path.split_once('?').unwrap_or((&request.path, ""));
        let param = |name: &str| {
            query
                .split('&')
                .find_map(|p| p.strip_prefix(&format!("{name}=")))
                .map(percent_decoded)
        };
        if param("list-type").is_none() {
            let key = percent_decoded(path.trim_start_matches("/trail/"));
            let found = objects.iter().find(|(k, _)| *k == key);
            return match found {
                Some((_, body)) => Answer::ok(body.clone()),
                None => Answer::s3_error(404, "NoSuchKey", "gone"),
            };
        }
        let prefix = param("prefix").unwrap_or_default();
        assert_eq!(param("delimiter").as_deref(), Some("/"));
        let mut contents = String::new();
        let mut dirs: Vec<String> = Vec::new();
        for (key, body) in &objects {
            let Some(rest) = key.strip_prefix(&prefix) else {
                continue;
            };
            match rest.split_once('/') {
                Some((dir, _)) => {
                    let dir = format!("{prefix}{dir}/");
                    if !dirs.contains(&dir) {
                        dirs.push(dir);
                    }
                }
                None => contents.push_str(&format!(
                    "<Contents><Key>{key}</Key><Size>{}</Size></Contents>",
                    body.len()
                )),
            }
        }
        let dirs: String = dirs
            .iter()
            .map(|d| format!("<CommonPrefixes><Prefix>{d}</Prefix></CommonPrefixes>"))
            .collect();
        Answer::s3_listing(&format!("{contents}{dirs}"))
    })
}

fn percent_decoded(text: &str) -> String {
    percent_encoding::percent_decode_str(text)
        .decode_utf8()
        .unwrap()
        .into_owned()
}

#[test]
fn directories_out_of_the_selection_are_not_listed() {
    let log = |region: &str| {
        format!(
            r#"{{"Records":[{{"eventTime":"2026-11-23T10:07:30Z","eventSource":"cloudtrail.amazonaws.com","eventName":"StopLogging","awsRegion":"{region}"}}]}}"#
        )
    };
    let account = "AWSLogs/111122223333";
    let objects = vec![
        (
            format!("{account}/CloudTrail/us-east-1/2026/11/23/a.json"),
            log("us-east-1"),
        ),
        (
            format!("{account}/CloudTrail/us-east-1/2026/10/31/old.json"),
            log("us-east-1"),
        ),
        (
            format!("{account}/CloudTrail/eu-west-1/2026/11/23/b.json"),
            log("eu-west-1"),
        ),
        (
            format!("{account}/CloudTrail-Digest/us-east-1/2026/11/23/d.json"),
            "{}".to_owned(),
        ),
        ("README.txt".to_owned(), "not a log".to_owned()),
    ];
    let receiver = bucket_of(objects);
    let run = scan(
        &receiver.url("http", ""),
        &[
            "s3://trail/",
            "--regions",
            "us-east-1",
            "--start",
            "2026-11-01",
        ],
    );
    let requests = receiver.finish();
    assert_eq!(run.status, 0, "{}", run.stderr);
    assert!(
        run.stdout.contains(
            "Scanned s3://trail/: 1 files\n  left out by --accounts, --regions, --start, --end: \
             1 files (1 outside CloudTrail's S3 layout) and 3 directories\n"
        ),
        "{}",
        run.stdout
    );
    let listed: Vec<String> = requests
        .iter()
        .filter_map(|r| {
            let query = r.path.split_once('?')?.1;
            let prefix = query.split('&').find_map(|p| p.strip_prefix("prefix="))?;
            Some(percent_decoded(prefix))
        })
        .collect();
    let day = format!("{account}/CloudTrail/us-east-1/2026/11/23/");
    assert_eq!(
        listed,
        [
            "",
            "AWSLogs/",
            &format!("{account}/"),
            &format!("{account}/CloudTrail/"),
            &format!("{account}/CloudTrail/us-east-1/"),
            &format!("{account}/CloudTrail/us-east-1/2026/"),
            &format!("{account}/CloudTrail/us-east-1/2026/11/"),
            &day,
        ]
    );
    let fetched: Vec<&str> = requests
        .iter()
        .filter(|r| !r.path.contains("list-type="))
        .map(|r| r.path.split('?').next().unwrap())
        .collect();
    assert_eq!(fetched, [format!("/trail/{day}a.json")]);
}

#[test]
fn keys_of_any_characters_and_an_endpoint_for_s3_alone() {
    let Some(moto) = moto() else { return };
    let bucket = Bucket::new(&moto.endpoint, "odd");
    let keys = [
        "a+b.jsonl",
        "c d.jsonl",
        "e%20f.jsonl",
        "ctl\u{1}key.jsonl",
        "é/ü.jsonl",
        // An object whose key is a directory's name, holding data: read, not passed over.
        "folder/",
        "folder/x.jsonl",
    ];
    for key in keys {
        let line = format!("{}\n", serde_json::json!({ "eventName": key }));
        bucket.put(key, line.into_bytes(), None);
    }
    // A folder made in the console: an empty object named as a directory, no file; the
    // directory is there, empty, however it is spelled.
    bucket.put("empty/", Vec::new(), None);
    let json = report(&scan(&moto.endpoint, &["s3://odd", "--format", "json"]));
    assert_eq!(json["records"]["read"], keys.len(), "{json}");
    assert_eq!(json["records"]["skipped"], 0, "{json}");
    for empty in ["s3://odd/empty", "s3://odd/empty/"] {
        let run = scan(&moto.endpoint, &[empty]);
        assert_eq!(run.status, 0, "{empty}: {}", run.stderr);
        assert!(
            run.stdout.contains(": 0 files\n"),
            "{empty}: {}",
            run.stdout
        );
    }

    // AWS_ENDPOINT_URL_S3 alone, by a host name: addressed path-style as well.
    let port = moto.endpoint.rsplit(':').next().unwrap();
    let mut command = std::process::Command::new(common::BIN);
    command.args(["scan", "s3://odd/folder/x.jsonl", "--format", "json"]);
    common::moto::aws_env(&mut command, &moto.endpoint);
    command
        .env_remove("AWS_ENDPOINT_URL")
        .env("AWS_ENDPOINT_URL_S3", format!("http://localhost:{port}"));
    let out = command.output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["records"]["read"], 1, "{json}");
}

#[test]
fn selections_judge_paths_as_they_resolve() {
    let tmp = tempfile::tempdir().unwrap();
    let sample = std::fs::read_dir(SAMPLE)
        .unwrap()
        .map(|e| e.unwrap().path())
        .min()
        .unwrap();
    let put = |dir: &str| {
        let dir = tmp.path().join(dir);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::copy(&sample, dir.join("log.json.gz")).unwrap();
    };
    // A trail whose key prefix is `AWSLogs/prod`, and another Region's day.
    put("AWSLogs/prod/AWSLogs/111122223333/CloudTrail/us-east-1/2026/11/23");
    put("AWSLogs/111122223333/CloudTrail/eu-west-1/2026/11/23");
    let eu = tmp.path().join("AWSLogs/111122223333/CloudTrail/eu-west-1");
    // Another account's directory leading, by a link, to this account's CloudTrail: `x/..` is
    // where the system goes, this account's, and is judged so.
    std::fs::create_dir_all(tmp.path().join("AWSLogs/444455556666/CloudTrail")).unwrap();
    std::os::unix::fs::symlink(&eu, tmp.path().join("AWSLogs/444455556666/CloudTrail/x")).unwrap();
    let linked = "../../../444455556666/CloudTrail/x/../eu-west-1";
    // A link outside the layout, a handle on a directory in it: judged where it leads.
    std::os::unix::fs::symlink(eu.join("2026"), tmp.path().join("handle")).unwrap();
    let handle = "../../../../handle";
    for (args, files, left_out) in [
        (&[linked, "--accounts", "111122223333"][..], 1, None),
        (
            &[linked, "--accounts", "444455556666"][..],
            0,
            Some("0 files and 1 directory"),
        ),
        (&["../../../prod", "--regions", "us-east-1"][..], 1, None),
        (
            &["../eu-west-1", "--regions", "us-east-1"][..],
            0,
            Some("0 files and 1 directory"),
        ),
        (
            &["..", "--regions", "us-east-1"][..],
            0,
            Some("0 files and 1 directory"),
        ),
        (&["2026/../2026", "--regions", "eu-west-1"][..], 1, None),
        (&[handle, "--regions", "eu-west-1"][..], 1, None),
        (
            &[handle, "--regions", "us-east-1"][..],
            0,
            Some("0 files and 1 directory"),
        ),
        // A file named, judged by its own path.
        (
            &["2026/11/23/log.json.gz", "--regions", "eu-west-1"][..],
            1,
            None,
        ),
        (
            &["2026/11/23/log.json.gz", "--regions", "us-east-1"][..],
            0,
            Some("1 files\n"),
        ),
    ] {
        let run = common::run_in(&eu, &[&["scan"][..], args].concat(), None);
        assert_eq!(run.status, 0, "{args:?}: {}", run.stderr);
        assert!(
            run.stdout.contains(&format!(": {files} files\n")),
            "{args:?}: {}",
            run.stdout
        );
        let said = format!(
            "left out by --accounts, --regions, --start, --end: {}",
            left_out.unwrap_or("0 files\n")
        );
        assert!(run.stdout.contains(&said), "{args:?}: {}", run.stdout);
    }
}

#[test]
fn a_time_alone_selects_the_records_of_exports_and_standard_input() {
    let tmp = tempfile::tempdir().unwrap();
    // A CloudWatch Logs export (outside CloudTrail's layout) whose records have no eventTime:
    // each is placed by its delivery time.
    let untimed = r#"{"eventName":"ConsoleLogin","eventType":"AwsConsoleSignIn","userIdentity":{"type":"Root"}}"#;
    let lines: String = [9, 10, 11, 12]
        .iter()
        .map(|h| format!("2026-11-23T{h:02}:30:00.000Z {untimed}\n"))
        .collect();
    let export = tmp.path().join("exportedlogs/0f1e/trail");
    std::fs::create_dir_all(&export).unwrap();
    std::fs::write(export.join("000000"), &lines).unwrap();
    let window = [
        "--start",
        "2026-11-23T10:00:00Z",
        "--end",
        "2026-11-23T12:00:00Z",
    ];
    let counts = |run: &Run| {
        assert_eq!(run.status, 0, "{}", run.stderr);
        let json: Value = serde_json::from_str(&run.stdout).unwrap();
        let rule = json["rules"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["name"] == "CIS-5.3-root_usage_metric")
            .unwrap();
        let records = &json["records"];
        (
            records["read"].as_u64(),
            records["filtered"].as_u64(),
            rule["matches"].as_u64(),
            json["left_out"]["files"].as_u64(),
        )
    };
    let args =
        |first: &'static str| [&["scan", first, "--format", "json"][..], &window[..]].concat();
    let want = (Some(4), Some(2), Some(2), Some(0));
    assert_eq!(
        counts(&common::run_in(tmp.path(), &args("exportedlogs"), None)),
        want
    );
    let piped = common::run_in(tmp.path(), &args("-"), Some(lines.as_bytes()));
    assert_eq!(counts(&piped), want);
    // With a Region, the export's path cannot show one: it is left out, and counted.
    let region = [&args("exportedlogs")[..], &["--regions", "us-east-1"]].concat();
    let run = common::run_in(tmp.path(), &region, None);
    assert_eq!(counts(&run), (Some(0), Some(0), Some(0), Some(1)));
}
