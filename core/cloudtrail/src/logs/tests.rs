use std::io::Write;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use flate2::Compression;
use flate2::write::GzEncoder;
use proptest::strategy::Strategy;

use super::stream::Stream;
use super::*;

/// Six real CloudTrail records, one per line.
const RECORDS: &str = include_str!("testdata/stratus-red-team.jsonl");

fn records() -> Vec<&'static str> {
    RECORDS.lines().collect()
}

fn read(bytes: &[u8]) -> Vec<Item> {
    read_stream("t", bytes, Options::default()).collect()
}

fn read_with(bytes: &[u8], options: Options) -> Vec<Item> {
    read_stream("t", bytes, options).collect()
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::default());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

/// The JSON texts of the records, in order.
fn jsons(items: &[Item]) -> Vec<&str> {
    items
        .iter()
        .filter_map(|item| match item {
            Item::Record(record) => Some(record.json.as_str()),
            Item::Skipped(_) => None,
        })
        .collect()
}

/// Each item as `record <location>` or `<code> <location>`.
fn outline(items: &[Item]) -> Vec<String> {
    items
        .iter()
        .map(|item| match item {
            Item::Record(record) => format!("record {}", record.location),
            Item::Skipped(skip) => format!("{} {}", skip.kind, skip.location),
        })
        .collect()
}

fn skips(items: &[Item]) -> Vec<&Skip> {
    items
        .iter()
        .filter_map(|item| match item {
            Item::Skipped(skip) => Some(skip),
            Item::Record(_) => None,
        })
        .collect()
}

fn the_records(items: &[Item]) -> Vec<&Record> {
    items
        .iter()
        .filter_map(|item| match item {
            Item::Record(record) => Some(record),
            Item::Skipped(_) => None,
        })
        .collect()
}

/// Every record yielded is one JSON object (checked with serde_json).
fn assert_objects(items: &[Item]) {
    for json in jsons(items) {
        let value: serde_json::Value = serde_json::from_str(json).unwrap();
        assert!(value.is_object(), "{json}");
    }
}

/// `{"Records":[r1,r2,…]}`, compact as CloudTrail writes it.
fn records_file(records: &[&str]) -> String {
    format!("{{\"Records\":[{}]}}", records.join(","))
}

/// A decoded CloudWatch Logs subscription payload holding `records` as log events.
fn payload(message_type: &str, records: &[&str], first_timestamp: i64) -> String {
    let events: Vec<String> = records
        .iter()
        .enumerate()
        .map(|(i, record)| {
            format!(
                r#"{{"id":"3195310660696698337880902507980421114328961542429{i:05}","timestamp":{},"message":{}}}"#,
                first_timestamp + i as i64,
                serde_json::to_string(record).unwrap()
            )
        })
        .collect();
    format!(
        r#"{{"messageType":"{message_type}","owner":"111111111111","logGroup":"CloudTrail/logs","logStream":"111111111111_CloudTrail/logs_us-east-1","subscriptionFilters":["Destination"],"logEvents":[{}]}}"#,
        events.join(",")
    )
}

/// As a Lambda function receives a payload.
fn lambda_event(payload: &str) -> String {
    format!(
        r#"{{"awslogs":{{"data":"{}"}}}}"#,
        BASE64.encode(gzip(payload.as_bytes()))
    )
}

// ---------------------------------------------------------------------------------------------
// Formats

#[test]
fn s3_log_file_plain_and_gzipped() {
    let all = records();
    let file = records_file(&all);
    for bytes in [file.clone().into_bytes(), gzip(file.as_bytes())] {
        let items = read(&bytes);
        assert_eq!(jsons(&items), all);
        // Record 1 starts after `{"Records":[` (12 bytes), each next one after a comma.
        let mut byte = 12;
        for (i, record) in the_records(&items).iter().enumerate() {
            let expected = Location {
                file: "t".into(),
                line: None,
                record: Some(i as u64 + 1),
                byte: Some(byte),
            };
            assert_eq!(record.location, expected);
            assert_eq!(record.timestamp_ms, None);
            byte += all[i].len() as u64 + 1;
        }
        assert_eq!(outline(&items)[5], "record t, record 6");
    }
}

#[test]
fn s3_log_file_other_keys_and_pretty_printing() {
    let all = records();
    let pretty = format!(
        "{{\n  \"digest\": {{\"x\": [1, {{\"Records\": [\"not these\"]}}]}},\n  \"Records\": [\n    {},\n    {}\n  ],\n  \"after\": null\n}}\n",
        all[0], all[1]
    );
    let items = read(pretty.as_bytes());
    assert_eq!(
        outline(&items),
        ["record t, record 1", "record t, record 2"]
    );
    assert_eq!(jsons(&items), [all[0], all[1]]);

    // Whitespace inside a record is part of its text; around it, not.
    let spaced = "{\"Records\": [ { \"a\" : [ 1 , 2 ] } ,\n{\"b\":{}} ] }";
    let items = read(spaced.as_bytes());
    assert_eq!(jsons(&items), ["{ \"a\" : [ 1 , 2 ] }", "{\"b\":{}}"]);

    // An empty log file (CloudTrail writes none, but a filter could leave one).
    assert!(read(br#"{"Records":[]}"#).is_empty());
}

#[test]
fn json_lines_with_blank_lines_crlf_and_bom() {
    let all = records();
    let text = format!("\u{feff}{}\r\n\r\n{}\n\n  \n{}\r\n", all[0], all[1], all[2]);
    for bytes in [text.clone().into_bytes(), gzip(text.as_bytes())] {
        let items = read(&bytes);
        assert_eq!(outline(&items), ["record t:1", "record t:3", "record t:6"]);
        assert_eq!(jsons(&items), &all[..3]);
        let byte_of_third = (3 + all[0].len() + 4 + all[1].len() + 5) as u64;
        assert_eq!(the_records(&items)[2].location.byte, Some(byte_of_third));
    }
    // Without a final line end, and several objects on one line.
    let items = read(br#"{"a":1}{"b":2} {"c":3}"#);
    assert_eq!(jsons(&items), [r#"{"a":1}"#, r#"{"b":2}"#, r#"{"c":3}"#]);
}

#[test]
fn unicode_and_escapes_are_kept_as_written() {
    let line = r#"{"userAgent":"caf\u00e9 é \ud83d\ude00 \"q\" \\ \/","n":-0.5e+10,"ok":true,"no":null,"list":[]}"#;
    let items = read(line.as_bytes());
    assert_eq!(jsons(&items), [line]);
    // Lone surrogates are grammatical JSON (RFC 8259 section 8.2 lets parsers differ on them).
    let items = read(br#"{"a":"\ud800"}"#);
    assert_eq!(jsons(&items), [r#"{"a":"\ud800"}"#]);
}

#[test]
fn subscription_payload_decoded() {
    let all = records();
    let text = payload("DATA_MESSAGE", &all[..4], 1_432_826_855_000);
    let items = read(text.as_bytes());
    assert_eq!(jsons(&items), &all[..4]);
    let stamps: Vec<_> = the_records(&items).iter().map(|r| r.timestamp_ms).collect();
    assert_eq!(
        stamps,
        [
            Some(1_432_826_855_000),
            Some(1_432_826_855_001),
            Some(1_432_826_855_002),
            Some(1_432_826_855_003)
        ]
    );
    assert_eq!(
        outline(&items),
        [
            "record t, record 1",
            "record t, record 2",
            "record t, record 3",
            "record t, record 4"
        ]
    );
    // A control message yields nothing, even with an event whose message is no record.
    let control = r#"{"messageType":"CONTROL_MESSAGE","owner":"CloudwatchLogs","logGroup":"","logStream":"","subscriptionFilters":[],"logEvents":[{"id":"","timestamp":1432826855000,"message":"CWL CONTROL MESSAGE: Checking health of destination Firehose."}]}"#;
    assert!(read(control.as_bytes()).is_empty());
    assert!(read(&gzip(control.as_bytes())).is_empty());
}

/// In text mode, as grep reads, a log event's message that is no JSON object (a VPC flow log
/// record, an application's line, a JSON value of another kind, a damaged object) is a record of
/// its text as it is; an object is a record as without text mode. Without text mode each is a
/// skip, as scan reads them.
#[test]
fn subscription_messages_of_text_are_records_in_text_mode() {
    let messages = [
        "2 123456789010 eni-1 172.31.9.69 172.31.9.12 49761 3389 6 20 4249 1418530010 1418530070 REJECT OK",
        "ERROR disk full\n  at line 2",
        "  {\"a\": 1}  ",
        "{not json}",
        "42",
    ];
    let text = payload("DATA_MESSAGE", &messages, 1_000);
    for bytes in [text.as_bytes().to_vec(), gzip(text.as_bytes())] {
        let options = Options {
            text_lines: true,
            ..Options::default()
        };
        let items = read_with(&bytes, options);
        let records: Vec<(&str, bool)> = the_records(&items)
            .iter()
            .map(|r| (r.json.as_str(), r.text))
            .collect();
        assert_eq!(
            records,
            [
                (messages[0], true),
                (messages[1], true),
                ("{\"a\": 1}", false),
                (messages[3], true),
                (messages[4], true),
            ]
        );
        assert_eq!(
            the_records(&items)
                .iter()
                .map(|r| r.timestamp_ms)
                .collect::<Vec<_>>(),
            [
                Some(1_000),
                Some(1_001),
                Some(1_002),
                Some(1_003),
                Some(1_004)
            ]
        );
        let scanned = read(&bytes);
        assert_eq!(jsons(&scanned), ["{\"a\": 1}"]);
        let kinds: Vec<SkipKind> = skips(&scanned).iter().map(|s| s.kind).collect();
        assert_eq!(
            kinds,
            [
                SkipKind::InvalidJson,
                SkipKind::InvalidJson,
                SkipKind::InvalidJson,
                SkipKind::NotAnObject
            ]
        );
    }
    // Lines too: a line of text is a record of text, a line that is one object is not.
    let options = Options {
        text_lines: true,
        ..Options::default()
    };
    let items = read_with(b"{\"a\":1}\nERROR disk full\n", options);
    let records: Vec<(&str, bool)> = the_records(&items)
        .iter()
        .map(|r| (r.json.as_str(), r.text))
        .collect();
    assert_eq!(records, [("{\"a\":1}", false), ("ERROR disk full", true)]);
}

#[test]
fn subscription_payload_as_lambda_event_and_base64() {
    let all = records();
    let data = payload("DATA_MESSAGE", &all[1..5], 1_600_000_000_000);
    let event = lambda_event(&data);
    let items = read(event.as_bytes());
    assert_eq!(jsons(&items), &all[1..5]);
    assert_eq!(the_records(&items)[3].timestamp_ms, Some(1_600_000_000_003));

    // Some JSON encoders escape '/' (which base64 uses) as "\/".
    let escaped = event.replace('/', "\\/");
    assert_ne!(escaped, event);
    assert_eq!(jsons(&read(escaped.as_bytes())), &all[1..5]);

    // Pretty-printed, with other keys, and a second event on the next line.
    let two = format!(
        "{{\n  \"awslogs\": {{\n    \"other\": [1],\n    \"data\": \"{}\"\n  }}\n}}\n{}\n",
        BASE64.encode(gzip(payload("DATA_MESSAGE", &all[..1], 7).as_bytes())),
        lambda_event(&payload("DATA_MESSAGE", &all[5..], 9))
    );
    let items = read(two.as_bytes());
    assert_eq!(jsons(&items), [all[0], all[5]]);

    // Bare base64 text, as `aws kinesis get-records` shows a record's data, with line breaks
    // every 76 characters; and two such payloads one per line.
    let encoded = BASE64.encode(gzip(data.as_bytes()));
    let wrapped: Vec<String> = encoded
        .as_bytes()
        .chunks(76)
        .map(|chunk| String::from_utf8(chunk.to_vec()).unwrap())
        .collect();
    let items = read(format!("{}\n", wrapped.join("\n")).as_bytes());
    assert_eq!(jsons(&items), &all[1..5]);
    let second = BASE64.encode(gzip(payload("DATA_MESSAGE", &all[..1], 0).as_bytes()));
    let items = read(format!("{encoded}\n{second}\n").as_bytes());
    assert_eq!(jsons(&items), [all[1], all[2], all[3], all[4], all[0]]);
    // Base64 of the plain (not gzipped) payload.
    let items = read(BASE64.encode(data.as_bytes()).as_bytes());
    assert_eq!(jsons(&items), &all[1..5]);
}

#[test]
fn firehose_concatenated_gzip_payloads() {
    let all = records();
    // Firehose writes each CloudWatch Logs record (a gzipped payload) into the S3 object as is,
    // so the object is gzip members one after another whose decompressed text is `{…}{…}`.
    let mut object = gzip(payload("DATA_MESSAGE", &all[..2], 10).as_bytes());
    object.extend(gzip(payload("CONTROL_MESSAGE", &[], 0).as_bytes()));
    object.extend(gzip(payload("DATA_MESSAGE", &all[2..], 20).as_bytes()));
    let items = read(&object);
    assert_eq!(jsons(&items), all);
    let stamps: Vec<_> = the_records(&items)
        .iter()
        .map(|r| r.timestamp_ms.unwrap())
        .collect();
    assert_eq!(stamps, [10, 11, 20, 21, 22, 23]);
    // And gzipped once more as a whole (a `.gz` of the delivery).
    assert_eq!(jsons(&read(&gzip(&object))), all);
}

#[test]
fn cloudwatch_export_lines() {
    let all = records();
    let text = format!(
        "2020-09-14T00:44:23.000Z {}\n2020-09-14T00:44:24.123Z {}\n2020-09-14T00:44:25.000Z START RequestId: 42\n2020-09-14T00:44:26Z {}\r\n",
        all[0], all[1], all[2]
    );
    let items = read(&gzip(text.as_bytes()));
    assert_eq!(
        outline(&items),
        ["record t:1", "record t:2", "invalid-json t:3", "record t:4"]
    );
    assert_eq!(jsons(&items), &all[..3]);
    let stamps: Vec<_> = the_records(&items).iter().map(|r| r.timestamp_ms).collect();
    assert_eq!(
        stamps,
        [
            Some(1_600_044_263_000),
            Some(1_600_044_264_123),
            Some(1_600_044_266_000)
        ]
    );
}

#[test]
fn filter_log_events_output() {
    let all = records();
    let events: Vec<String> = all[..3]
        .iter()
        .enumerate()
        .map(|(i, record)| {
            format!(
                "{{\"logStreamName\": \"s\", \"timestamp\": {}, \"message\": {}, \"ingestionTime\": 1, \"eventId\": \"{i}\"}}",
                100 + i,
                serde_json::to_string(record).unwrap()
            )
        })
        .collect();
    let text = format!(
        "{{\n    \"events\": [\n        {}\n    ],\n    \"searchedLogStreams\": [],\n    \"nextToken\": \"abc\"\n}}\n",
        events.join(",\n        ")
    );
    let items = read(text.as_bytes());
    assert_eq!(jsons(&items), &all[..3]);
    let stamps: Vec<_> = the_records(&items).iter().map(|r| r.timestamp_ms).collect();
    assert_eq!(stamps, [Some(100), Some(101), Some(102)]);
    // A message with whitespace around the record; a non-integer timestamp.
    let items = read(br#"{"events":[{"timestamp":1.5,"message":" {\"a\":1}\n"}]}"#);
    assert_eq!(jsons(&items), [r#"{"a":1}"#]);
    assert_eq!(the_records(&items)[0].timestamp_ms, None);
}

// ---------------------------------------------------------------------------------------------
// Paths, directories, streams

#[test]
fn paths_directories_in_sorted_order() {
    let all = records();
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::create_dir_all(root.join("AWSLogs/b")).unwrap();
    std::fs::create_dir_all(root.join("AWSLogs/a/deeper")).unwrap();
    std::fs::write(
        root.join("AWSLogs/b/2.json.gz"),
        gzip(records_file(&all[4..]).as_bytes()),
    )
    .unwrap();
    std::fs::write(root.join("AWSLogs/a/1.json"), records_file(&all[..1])).unwrap();
    std::fs::write(
        root.join("AWSLogs/a/deeper/1.5.jsonl.gz"),
        gzip(format!("{}\n{}\n", all[1], all[2]).as_bytes()),
    )
    .unwrap();
    std::fs::write(root.join("AWSLogs/a/z.txt"), format!("{}\n", all[3])).unwrap();
    std::fs::write(root.join("single.jsonl"), format!("{}\n", all[0])).unwrap();

    let inputs = vec![
        Input::from_arg(root.join("AWSLogs")),
        Input::Path(root.join("missing.json")),
        Input::from_arg(root.join("single.jsonl")),
    ];
    let items: Vec<Item> = Reader::new(inputs, Options::default()).collect();
    let base = root.display().to_string();
    let shown: Vec<String> = outline(&items)
        .iter()
        .map(|line| line.replace(&base, "ROOT"))
        .collect();
    assert_eq!(
        shown,
        [
            "record ROOT/AWSLogs/a/1.json, record 1",
            "record ROOT/AWSLogs/a/deeper/1.5.jsonl.gz:1",
            "record ROOT/AWSLogs/a/deeper/1.5.jsonl.gz:2",
            "record ROOT/AWSLogs/a/z.txt:1",
            "record ROOT/AWSLogs/b/2.json.gz, record 1",
            "record ROOT/AWSLogs/b/2.json.gz, record 2",
            "unreadable ROOT/missing.json",
            "record ROOT/single.jsonl:1",
        ]
    );
    assert_eq!(
        jsons(&items),
        [all[0], all[1], all[2], all[3], all[4], all[5], all[0]]
    );
    assert!(skips(&items)[0].message.starts_with("cannot read "));
    assert_eq!(Input::from_arg("-"), Input::Stdin);
    assert_eq!(Input::from_arg("./-"), Input::Path("./-".into()));
}

#[test]
fn a_stream_is_read_like_a_file() {
    let all = records();
    let bytes = gzip(records_file(&all[..2]).as_bytes());
    let items: Vec<Item> =
        read_stream("<stdin>", std::io::Cursor::new(bytes), Options::default()).collect();
    assert_eq!(
        outline(&items),
        ["record <stdin>, record 1", "record <stdin>, record 2"]
    );
}

/// A reader that hands out one byte per call: no token may depend on a read's boundaries.
struct Trickle<'a>(&'a [u8]);

impl std::io::Read for Trickle<'_> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        match (self.0.split_first(), out.first_mut()) {
            (Some((&b, rest)), Some(slot)) => {
                *slot = b;
                self.0 = rest;
                Ok(1)
            }
            _ => Ok(0),
        }
    }
}

mod failing;
use failing::Failing;

#[test]
fn byte_by_byte_reads_give_the_same_items() {
    let all = records();
    let mut mixed = lambda_event(&payload("DATA_MESSAGE", &all[..2], 5)).into_bytes();
    mixed.extend(b"\n{\"a\":\"caf\\u00e9 \xC3\xA9\"}\n[1]\n");
    mixed.extend(records_file(&all[2..]).as_bytes());
    let whole = read(&mixed);
    let trickled: Vec<Item> =
        Stream::with_buffer("t".into(), Box::new(Trickle(&mixed)), Options::default(), 0).collect();
    assert_eq!(whole, trickled);
    assert_eq!(outline(&whole).len(), 2 + 1 + 1 + 4);
}

// ---------------------------------------------------------------------------------------------
// Malformed input

#[test]
fn cut_records_file() {
    let all = records();
    let file = records_file(&all);
    // Cut in the middle of record 3.
    let cut = 12 + all[0].len() + 1 + all[1].len() + 1 + 100;
    let items = read(file.as_bytes().get(..cut).unwrap());
    assert_eq!(
        outline(&items),
        [
            "record t, record 1",
            "record t, record 2",
            "invalid-json t, record 3"
        ]
    );
    let message = &skips(&items)[0].message;
    assert!(
        message.ends_with(&format!("skipped the rest of the input from byte {cut}")),
        "{message}"
    );
    assert!(
        message.starts_with(&format!("invalid JSON at byte {cut}: ")),
        "{message}"
    );
}

#[test]
fn bad_element_of_records_array() {
    // A lexical fault leaves the structure readable: only that element is skipped.
    let items = read(br#"{"Records":[{"a":1},{"b":NaN},{"c":"\x"},{"d":01},{"e":4}]}"#);
    assert_eq!(
        outline(&items),
        [
            "record t, record 1",
            "invalid-json t, record 2",
            "invalid-json t, record 3",
            "invalid-json t, record 4",
            "record t, record 5",
        ]
    );
    assert_eq!(
        skips(&items)[0].message,
        "invalid JSON at byte 25: invalid literal"
    );
    assert_eq!(
        skips(&items)[1].message,
        "invalid JSON at byte 36: invalid escape: a backslash before 'x'"
    );
    assert_eq!(
        skips(&items)[2].message,
        "invalid JSON at byte 46: invalid number"
    );
    // A structural fault: the rest of the input is one skip.
    let items = read(br#"{"Records":[{"a":1},{"b":2,},{"c":3}]}"#);
    assert_eq!(
        outline(&items),
        ["record t, record 1", "invalid-json t, record 2"]
    );
    assert_eq!(
        skips(&items)[0].message,
        "invalid JSON at byte 27: expected a string key, found '}'; skipped the rest of the input from byte 27"
    );
    // A fault between elements.
    let items = read(br#"{"Records":[{"a":1} {"c":3}]}"#);
    assert_eq!(
        outline(&items),
        ["record t, record 1", "invalid-json t, byte 20"]
    );
    // An element that is not an object.
    let items = read(br#"{"Records":[{"a":1},"x",[{}],{"d":4}]}"#);
    assert_eq!(
        outline(&items),
        [
            "record t, record 1",
            "not-an-object t, record 2",
            "not-an-object t, record 3",
            "record t, record 4"
        ]
    );
}

#[test]
fn truncated_gzip() {
    let all = records();
    let first = format!("{}\n{}\n", all[0], all[1]);
    let second = format!("{}\n{}\n", all[2], all[3]);
    let mut member1 = gzip(first.as_bytes());
    let member2 = gzip(second.as_bytes());
    // Cut in the second member's trailer: all its data decodes, its checksum is missing.
    let mut object = member1.clone();
    object.extend(member2.get(..member2.len() - 4).unwrap());
    let items = read(&object);
    assert_eq!(jsons(&items), &all[..4]);
    let end = first.len() + second.len();
    assert_eq!(
        outline(&items).last().unwrap(),
        &format!("truncated-gzip t, byte {end}")
    );
    // Cut right after the second member's header: nothing of it decodes.
    member1.extend(member2.get(..10).unwrap());
    let items = read(&member1);
    let end = first.len();
    assert_eq!(
        outline(&items),
        [
            "record t:1".to_owned(),
            "record t:2".to_owned(),
            format!("truncated-gzip t, byte {end}")
        ]
    );
    let message = &skips(&items)[0].message;
    assert!(message.contains("the gzip data ends early"), "{message}");

    // Cut anywhere: the records before the cut, in order, then one truncated-gzip skip.
    let whole = gzip(records_file(&all).as_bytes());
    for cut in (10..whole.len()).step_by(97) {
        let items = read(whole.get(..cut).unwrap());
        let (last, before) = items.split_last().unwrap();
        let Item::Skipped(skip) = last else {
            panic!("{last:?}")
        };
        assert_eq!(skip.kind, SkipKind::TruncatedGzip, "cut at {cut}: {skip}");
        assert_eq!(
            jsons(before),
            all.get(..before.len()).unwrap(),
            "cut at {cut}"
        );
        assert!(skips(before).is_empty(), "cut at {cut}");
    }
}

/// In text mode (grep's) a document on one line that a failing read cuts short (a `Records`
/// file or a payload, gzipped, then junk, a bad checksum or a cut; bad base64 at the end) gives
/// what it gives without text mode: the records before the failure, then the failure where
/// reading reached it; not one skip of the whole line at its start.
#[test]
fn text_mode_reads_a_line_up_to_a_failed_read() {
    let all = records();
    let options = Options {
        text_lines: true,
        ..Options::default()
    };
    let records = gzip(records_file(&all[..3]).as_bytes());
    let mut junk = records.clone();
    junk.push(b'x');
    let mut bad_crc = records.clone();
    let at = bad_crc.len() - 8;
    bad_crc[at] ^= 1;
    let cut = records.get(..records.len() - 4).unwrap().to_vec();
    let payload = payload("DATA_MESSAGE", &all[..3], 1);
    let bad_base64 = format!("{}!!!!", BASE64.encode(gzip(payload.as_bytes())));
    for (name, bytes) in [
        ("junk", junk),
        ("bad crc", bad_crc),
        ("cut", cut),
        ("bad base64", bad_base64.into_bytes()),
    ] {
        let scanned = read(&bytes);
        assert_eq!(jsons(&scanned), &all[..3], "{name}");
        let Some(Item::Skipped(_)) = scanned.last() else {
            panic!("{name}: {scanned:?}")
        };
        assert_eq!(read_with(&bytes, options), scanned, "{name}");
    }
}

#[test]
fn invalid_gzip() {
    let items = read(b"\x1f\x8b\x00\x00garbage");
    assert_eq!(outline(&items), ["invalid-gzip t, byte 0"]);
    // Good members, then junk: the records, then the skip.
    let mut object = gzip(b"{\"a\":1}\n");
    object.extend(b"junk after the member");
    let items = read(&object);
    assert_eq!(outline(&items), ["record t:1", "invalid-gzip t, byte 8"]);
    // Other compressions are named.
    let items = read(b"PK\x03\x04\x14\x00");
    assert_eq!(outline(&items), ["unknown-format t, byte 0"]);
    assert_eq!(
        skips(&items)[0].message,
        "zip data is not supported (only gzip is)"
    );
}

#[test]
fn bad_base64() {
    let all = records();
    let good = lambda_event(&payload("DATA_MESSAGE", &all[..1], 0));
    let bad = good.replacen("H4sI", "H4sI*", 1);
    let items = read(format!("{bad}\n{good}\n").as_bytes());
    assert_eq!(
        outline(&items),
        ["invalid-base64 t, byte 0", "record t, record 1"]
    );
    assert_eq!(
        skips(&items)[0].message,
        "invalid base64 at character 5: '*' is not a base64 digit"
    );
    // data that is no string.
    let items = read(br#"{"awslogs":{"data":42}}"#);
    assert_eq!(outline(&items), ["invalid-base64 t, byte 19"]);
    // Bare base64 that stops being base64.
    let encoded = BASE64.encode(gzip(payload("DATA_MESSAGE", &all[..2], 0).as_bytes()));
    let items = read(format!("{encoded}\n{{\"a\":1}}\n").as_bytes());
    assert_eq!(jsons(&items), &all[..2]);
    assert_eq!(skips(&items).len(), 1);
    assert_eq!(skips(&items)[0].kind, SkipKind::InvalidBase64);
}

#[test]
fn bad_line_among_good_ones() {
    let text = b"{\"a\":1}\n{\"b\":2,}\n{\"c\":3}\nnot json at all\n{\"d\":\n{\"e\":5}\n[1,2]\n\"s\"\n{\"f\":\"x\ny\"}\n{\"g\":7}";
    let items = read(text);
    assert_eq!(
        outline(&items),
        [
            "record t:1",
            "invalid-json t:2",
            "record t:3",
            "invalid-json t:4",
            "invalid-json t:5",
            "record t:6",
            "not-an-object t:7",
            "not-an-object t:8",
            "invalid-json t:9",
            "invalid-json t:10",
            "record t:11",
        ]
    );
    assert_eq!(
        jsons(&items),
        [r#"{"a":1}"#, r#"{"c":3}"#, r#"{"e":5}"#, r#"{"g":7}"#]
    );
    let messages: Vec<&str> = skips(&items).iter().map(|s| s.message.as_str()).collect();
    assert_eq!(
        messages,
        [
            "invalid JSON at byte 15: expected a string key, found '}'; skipped the rest of line 2",
            "invalid JSON at byte 25: invalid literal",
            "invalid JSON at byte 47: a line that starts with '{' inside a value (a record cut short?); skipped to line 6",
            "expected a JSON object, found an array",
            "expected a JSON object, found a string",
            "invalid JSON at byte 72: line break inside a string; skipped the rest of line 9",
            "invalid JSON at byte 73: invalid literal",
        ]
    );
}

/// A line that opens an array and does not close it (`[`, `[[`, `[{"a":1},`) skips itself, not
/// the record on the next line: a line that starts with `{` inside a top-level value is a fault
/// there, as inside an object.
#[test]
fn an_open_array_line_does_not_swallow_the_next_record() {
    for open in ["[", "[[[", "[{\"a\":1},"] {
        let text = format!("{open}\n{{\"b\":2}}\n{{\"c\":3}}\n");
        let items = read(text.as_bytes());
        assert_eq!(
            outline(&items),
            ["invalid-json t:1", "record t:2", "record t:3"],
            "{open}"
        );
        assert_eq!(jsons(&items), [r#"{"b":2}"#, r#"{"c":3}"#], "{open}");
        let message = &skips(&items)[0].message;
        assert!(message.ends_with("skipped to line 2"), "{open}: {message}");
    }
    // An array on its line stays one skip.
    let items = read(b"[{\"a\":1},{\"b\":2}]\n{\"c\":3}\n");
    assert_eq!(outline(&items), ["not-an-object t:1", "record t:2"]);
}

#[test]
fn invalid_utf8_and_nul_bytes() {
    let items = read(b"{\"a\":\"\xff\"}\n{\"b\":\"\xc3\xa9\"}\n{\"c\":\"\xc3\"}\n{\"d\":\"\xed\xa0\x80\"}\n{\"e\":5}\n");
    assert_eq!(
        outline(&items),
        [
            "invalid-utf8 t:1",
            "record t:2",
            "invalid-utf8 t:3",
            "invalid-utf8 t:4",
            "record t:5"
        ]
    );
    assert_eq!(
        skips(&items)[0].message,
        "invalid UTF-8 at byte 6: byte 0xFF does not start a valid UTF-8 sequence"
    );
    // In a Records element: only that element.
    let items = read(b"{\"Records\":[{\"a\":\"\xfe\"},{\"b\":2}]}");
    assert_eq!(
        outline(&items),
        ["invalid-utf8 t, record 1", "record t, record 2"]
    );
    // Outside strings, a byte that is no JSON is a structural fault.
    let items = read(b"{\"a\":1}\n{\"b\":\xff}\n{\"c\":3}\n");
    assert_eq!(
        outline(&items),
        ["record t:1", "invalid-json t:2", "record t:3"]
    );

    // NUL: in a string (a control character), as a line, as padding at the end of a file.
    let items = read(b"{\"a\":\"x\x00y\"}\n\x00\x00\x00\n{\"c\":3}\n\x00\x00\x00\x00");
    assert_eq!(
        outline(&items),
        [
            "invalid-json t:1",
            "invalid-json t:2",
            "record t:3",
            "invalid-json t:4"
        ]
    );
    assert_eq!(
        skips(&items)[0].message,
        "invalid JSON at byte 7: control character U+0000 in a string"
    );
    // A file that starts with NUL is no format at all.
    let items = read(b"\x00\x00\x00\x00{\"a\":1}\n");
    assert_eq!(outline(&items), ["unknown-format t, byte 0"]);
}

#[test]
fn bom_crlf_and_empty_input() {
    assert!(read(b"").is_empty());
    assert!(read(b" \r\n\t\n").is_empty());
    assert!(read(b"\xEF\xBB\xBF").is_empty());
    assert!(read(&gzip(b"")).is_empty());
    let items = read(b"\xEF\xBB\xBF{\"Records\":[{\"a\":1}]}\r\n");
    assert_eq!(jsons(&items), [r#"{"a":1}"#]);
    assert_eq!(the_records(&items)[0].location.byte, Some(15));
    // A BOM only counts at the start.
    let items = read(b"{\"a\":1}\n\xEF\xBB\xBF{\"b\":2}\n");
    assert_eq!(outline(&items), ["record t:1", "invalid-json t:2"]);
}

/// Found by the `log_reader` fuzz target (its oracle, serde_json's `Value`, refused the number):
/// JSON's grammar has no limit on exponents, so a number beyond f64 is valid JSON and the record
/// is read, in JSON Lines and in a Records file alike (trailmatch compares it as infinity).
#[test]
fn numbers_beyond_f64_are_json() {
    let record =
        r#"{"avsogs": 888888888e8888888888888, "b": -1e400, "c": 123456789012345678901234567890}"#;
    let items = read(format!("{record}\n").as_bytes());
    assert_eq!(jsons(&items), [record]);
    let items = read(format!(r#"{{"Records":[{record}]}}"#).as_bytes());
    assert_eq!(jsons(&items), [record]);
}

#[test]
fn deep_nesting_is_skipped_without_recursion() {
    let depth = 100_000;
    let deep = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
    let text = format!("{deep}\n{{\"a\":{deep}}}\n{{\"ok\":1}}\n");
    let items = read(text.as_bytes());
    assert_eq!(
        outline(&items),
        ["nesting-too-deep t:1", "nesting-too-deep t:2", "record t:3"]
    );
    assert_eq!(
        skips(&items)[0].message,
        "nesting too deep at byte 512: more than 512 nested arrays and objects"
    );
    // In a Records array: that element only.
    let records = format!("{{\"Records\":[{{\"a\":{deep}}},{{\"b\":2}}]}}");
    let items = read(records.as_bytes());
    assert_eq!(
        outline(&items),
        ["nesting-too-deep t, record 1", "record t, record 2"]
    );
    // Never closed: the rest of the input.
    let open = format!("{{\"Records\":[{}", "{\"a\":[".repeat(depth));
    let items = read(open.as_bytes());
    assert_eq!(outline(&items), ["invalid-json t, record 1"]);
    // The limit is exact: 512 levels pass, 513 do not (the record itself is level 1).
    let at = |levels: usize| {
        format!(
            "{}{}{}",
            "{\"a\":".repeat(levels - 1),
            "{}",
            "}".repeat(levels - 1)
        )
    };
    assert_eq!(outline(&read(at(512).as_bytes())), ["record t:1"]);
    assert_eq!(outline(&read(at(513).as_bytes())), ["nesting-too-deep t:1"]);
    let options = Options {
        max_depth: 2,
        ..Options::default()
    };
    let items = read_with(br#"{"Records":[{"a":{}},{"a":{"b":[]}}]}"#, options);
    assert_eq!(
        outline(&items),
        ["record t, record 1", "nesting-too-deep t, record 2"]
    );
}

#[test]
fn record_over_the_size_limit() {
    let all = records();
    let options = Options {
        max_record_bytes: 1000,
        ..Options::default()
    };
    let small = r#"{"small":true}"#;
    let big = all[5];
    assert!(big.len() > 1000);
    let lines = format!("{small}\n{big}\n{small}\n");
    let items = read_with(lines.as_bytes(), options);
    assert_eq!(
        outline(&items),
        ["record t:1", "record-too-large t:2", "record t:3"]
    );
    assert_eq!(
        skips(&items)[0].message,
        format!(
            "the record is {} bytes, more than the limit of 1000 bytes",
            big.len()
        )
    );
    let file = records_file(&[small, big, small]);
    let items = read_with(file.as_bytes(), options);
    assert_eq!(
        outline(&items),
        [
            "record t, record 1",
            "record-too-large t, record 2",
            "record t, record 3"
        ]
    );
    let events = payload("DATA_MESSAGE", &[small, big, small], 0);
    let items = read_with(events.as_bytes(), options);
    assert_eq!(
        outline(&items),
        [
            "record t, record 1",
            "record-too-large t, record 2",
            "record t, record 3"
        ]
    );
    // Exactly at the limit passes.
    let exact = Options {
        max_record_bytes: small.len(),
        ..Options::default()
    };
    assert_eq!(jsons(&read_with(small.as_bytes(), exact)), [small]);
}

#[test]
fn bad_log_events() {
    let text = br#"{"messageType":"DATA_MESSAGE","logEvents":[
        {"id":"1","timestamp":1,"message":"{\"a\":1}"},
        {"id":"2","timestamp":2},
        {"id":"3","timestamp":3,"message":"plain text"},
        {"id":"4","timestamp":4,"message":"[1]"},
        {"id":"5","timestamp":5,"message":"{\"a\":1} trailing"},
        "not an event",
        {"id":"7","timestamp":7,"message":"{\"b\":2}"}
    ]}"#;
    let items = read(text);
    assert_eq!(
        outline(&items),
        [
            "record t, record 1",
            "invalid-event t, record 2",
            "invalid-json t, record 3",
            "not-an-object t, record 4",
            "invalid-json t, record 5",
            "invalid-event t, record 6",
            "record t, record 7",
        ]
    );
    let messages: Vec<&str> = skips(&items).iter().map(|s| s.message.as_str()).collect();
    assert_eq!(
        messages,
        [
            "the log event has no string \"message\"",
            "invalid JSON at byte 0 of the message: invalid literal",
            "the message is an array, not a JSON object",
            "invalid JSON at byte 8 of the message: text after the value",
            "a log event must be an object, found a string",
        ]
    );
}

#[test]
fn empty_and_non_object_inputs() {
    assert_eq!(outline(&read(b"42\n")), ["not-an-object t:1"]);
    assert_eq!(outline(&read(b"null")), ["not-an-object t:1"]);
    assert_eq!(
        outline(&read(b"}\n{\"a\":1}")),
        ["invalid-json t:1", "record t:2"]
    );
    assert_eq!(jsons(&read(b"{}")), ["{}"]);
}

#[test]
fn records_and_skips_account_for_every_input_record() {
    // Twelve JSON Lines records, five of them broken in different ways; then the same twelve
    // in a Records array, where only lexical faults keep the structure readable.
    let all = records();
    let broken = [
        r#"{"eventName":"A","x":NaN}"#,
        "{\"eventName\":\"B\",\"x\":\"\u{1}\"}",
        r#"{"eventName":"C","x":[1,2,]}"#,
        r#"["eventName","D"]"#,
        r#"{"eventName":"E","x":"\q"}"#,
    ];
    let mut lines: Vec<&str> = Vec::new();
    for i in 0..12 {
        lines.push(if i % 2 == 1 && i / 2 < broken.len() {
            broken[i / 2]
        } else {
            all[i % 6]
        });
    }
    let text = lines.join("\n");
    let items = read(text.as_bytes());
    assert_eq!(items.len(), 12);
    assert_eq!(the_records(&items).len(), 7);
    assert_eq!(skips(&items).len(), 5);
    let kinds: Vec<&str> = skips(&items).iter().map(|s| s.kind.code()).collect();
    assert_eq!(
        kinds,
        [
            "invalid-json",
            "invalid-json",
            "invalid-json",
            "not-an-object",
            "invalid-json"
        ]
    );
    assert_objects(&items);

    let lexical: Vec<&str> = lines
        .iter()
        .copied()
        .filter(|l| !l.contains(",]"))
        .collect();
    let file = records_file(&lexical);
    let items = read(&gzip(file.as_bytes()));
    assert_eq!(items.len(), 11);
    assert_eq!(skips(&items).len(), 4);
    for (i, item) in items.iter().enumerate() {
        let location = match item {
            Item::Record(record) => &record.location,
            Item::Skipped(skip) => &skip.location,
        };
        assert_eq!(location.record, Some(i as u64 + 1));
    }
}

#[test]
fn strictness_agrees_with_serde_json() {
    let cases: &[&str] = &[
        r#"{"a":1}"#,
        r#"{"a":-0}"#,
        r#"{"a":-0.5e-3}"#,
        r#"{"a":1E+2}"#,
        r#"{"a":[],"b":{},"c":[{}],"d":""}"#,
        r#"{"a":"\b\f\n\r\t\"\\\/"}"#,
        r#"{"a":"\u00e9\uD83D\uDE00"}"#,
        r#"{"a":true,"b":false,"c":null}"#,
        r#"{ "a" : 1 , "b" : [ 1 , 2 ] }"#,
        r#"{"a":1,}"#,
        r#"{"a":[1,]}"#,
        r#"{,"a":1}"#,
        r#"{"a" 1}"#,
        r#"{"a":1 "b":2}"#,
        r#"{'a':1}"#,
        r#"{a:1}"#,
        r#"{"a":01}"#,
        r#"{"a":1.}"#,
        r#"{"a":.5}"#,
        r#"{"a":+1}"#,
        r#"{"a":1e}"#,
        r#"{"a":-}"#,
        r#"{"a":0x10}"#,
        r#"{"a":NaN}"#,
        r#"{"a":Infinity}"#,
        r#"{"a":-Infinity}"#,
        r#"{"a":tru}"#,
        r#"{"a":truee}"#,
        r#"{"a":nul}"#,
        r#"{"a":undefined}"#,
        r#"{"a":"\x"}"#,
        r#"{"a":"\u12"}"#,
        r#"{"a":"\u12G4"}"#,
        "{\"a\":\"tab\there\"}",
        r#"{"a":1}}"#,
        r#"{"a":[1}"#,
        r#"{"a":{1:2}}"#,
        r#"{"a":1,"a":2}"#,
        r#"{"a":1}/* comment */"#,
        r#"{"a":"unterminated}"#,
    ];
    for case in cases {
        let ours = read(case.as_bytes());
        let accepted = matches!(ours.as_slice(), [Item::Record(record)] if record.json == *case);
        let theirs = serde_json::from_str::<serde_json::Value>(case).is_ok();
        assert_eq!(accepted, theirs, "{case}: {ours:?}");
    }
}

// ---------------------------------------------------------------------------------------------
// Memory

#[test]
fn bounded_memory_on_a_multi_megabyte_file() {
    let all = records();
    let largest = all.iter().map(|r| r.len()).max().unwrap();
    let mut chosen = Vec::new();
    let mut size = 0;
    while size < 6_000_000 {
        let record = all[chosen.len() % all.len()];
        size += record.len() + 1;
        chosen.push(record);
    }
    let file = records_file(&chosen);
    assert!(file.len() > 6_000_000);
    let buffer = 4096;
    for bytes in [file.clone().into_bytes(), gzip(file.as_bytes())] {
        let mut stream = Stream::with_buffer(
            "t".into(),
            Box::new(std::io::Cursor::new(bytes)),
            Options::default(),
            buffer,
        );
        let mut count = 0;
        for item in stream.by_ref() {
            let Item::Record(record) = item else {
                panic!("{item:?}")
            };
            assert_eq!(record.json, chosen[count]);
            count += 1;
        }
        assert_eq!(count, chosen.len());
        let peak = stream.peak_buffer_bytes();
        // Read buffers (two with gzip), the key and scratch buffers, and the record being
        // captured, whose buffer may double while it grows.
        assert!(peak >= largest, "{peak}");
        assert!(
            peak <= 2 * (buffer + super::source::CACHE_LINE) + 2 * largest + 256,
            "peak {peak}, largest record {largest}"
        );
    }
}

#[test]
fn digest_files_yield_nothing() {
    // The shape of a CloudTrail digest file (log file validation): hashes of log files.
    let digest = r#"{"awsAccountId":"111122223333","digestStartTime":"2015-08-17T14:01:31Z","digestEndTime":"2015-08-17T15:01:31Z","digestS3Bucket":"b","digestS3Object":"o","digestPublicKeyFingerprint":"31e8","digestSignatureAlgorithm":"SHA256withRSA","newestEventTime":"2015-08-17T14:52:27Z","oldestEventTime":"2015-08-17T14:42:27Z","previousDigestS3Bucket":null,"logFiles":[{"s3Bucket":"b","s3Object":"o","hashValue":"9bb6","hashAlgorithm":"SHA-256","newestEventTime":"2015-08-17T14:52:27Z","oldestEventTime":"2015-08-17T14:42:27Z"}]}"#;
    assert!(read(&gzip(digest.as_bytes())).is_empty());
    // A record with a `logFiles` key that is no array is still a record.
    assert_eq!(
        jsons(&read(br#"{"logFiles":"x"}"#)),
        [r#"{"logFiles":"x"}"#]
    );
}

#[test]
fn readers_can_move_to_another_thread() {
    fn send<T: Send>(_: &T) {}
    send(&Reader::new(vec![], Options::default()));
    send(&read_stream("t", &b"{}"[..], Options::default()));
    let zero = Options {
        max_depth: 0,
        ..Options::default()
    };
    assert_eq!(jsons(&read_with(br#"{"Records":[{}]}"#, zero)), ["{}"]);
}

#[test]
fn skip_kind_codes_are_stable() {
    let kinds = [
        (SkipKind::Unreadable, "unreadable"),
        (SkipKind::InvalidGzip, "invalid-gzip"),
        (SkipKind::TruncatedGzip, "truncated-gzip"),
        (SkipKind::InvalidBase64, "invalid-base64"),
        (SkipKind::InvalidUtf8, "invalid-utf8"),
        (SkipKind::InvalidJson, "invalid-json"),
        (SkipKind::NotAnObject, "not-an-object"),
        (SkipKind::RecordTooLarge, "record-too-large"),
        (SkipKind::NestingTooDeep, "nesting-too-deep"),
        (SkipKind::UnknownFormat, "unknown-format"),
        (SkipKind::InvalidEvent, "invalid-event"),
    ];
    for (kind, code) in kinds {
        assert_eq!(kind.code(), code);
        assert_eq!(kind.to_string(), code);
    }
    let location = Location {
        file: "f".into(),
        line: None,
        record: None,
        byte: Some(9),
    };
    assert_eq!(location.to_string(), "f, byte 9");
    let skip = Skip {
        location,
        kind: SkipKind::InvalidJson,
        message: "m".into(),
    };
    assert_eq!(skip.to_string(), "f, byte 9: m [invalid-json]");
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(256))]

    /// Damaged input never yields anything but whole JSON objects.
    #[test]
    fn damaged_input_yields_only_objects(
        edits in proptest::collection::vec((0usize..4000, proptest::prelude::any::<u8>(), 0u8..3), 0..6),
        gzipped in proptest::prelude::any::<bool>(),
    ) {
        let all = records();
        let mut bytes = format!("{}\n{}", records_file(&all[..2]), payload("DATA_MESSAGE", &all[2..4], 1)).into_bytes();
        if gzipped {
            bytes = gzip(&bytes);
        }
        for (at, byte, op) in edits {
            let at = at % (bytes.len() + 1);
            match op {
                0 => bytes.insert(at, byte),
                1 if at < bytes.len() => { bytes.remove(at); }
                _ => bytes.truncate(at),
            }
        }
        let items = read(&bytes);
        assert_objects(&items);
    }
}

// ---------------------------------------------------------------------------------------------
// The fast path against the detailed scanner

/// Reads `bytes` twice, with and without the fast path, through a buffer of `buffer` bytes
/// (`trickle`: one byte per read), and checks that both give the same items.
fn read_both(bytes: &[u8], options: Options, buffer: usize, trickle: bool) -> Vec<Item> {
    let stream = |fast: bool| {
        let reader: Box<dyn std::io::Read + Send + '_> = if trickle {
            Box::new(Trickle(bytes))
        } else {
            Box::new(bytes)
        };
        let stream = Stream::with_buffer("t".into(), reader, options, buffer);
        let stream = if fast { stream } else { stream.detailed_only() };
        stream.collect::<Vec<Item>>()
    };
    let fast = stream(true);
    let detailed = stream(false);
    assert_eq!(
        fast,
        detailed,
        "input {:?}, {options:?}, buffer {buffer}",
        String::from_utf8_lossy(bytes)
    );
    fast
}

/// Reads `bytes` in text mode twice, with [`Stream::next_ref`] (lent lines turned into the
/// records they stand for) and as an iterator, and checks that both give the same items.
/// A stream named `t` over `bytes`, read whole or a byte at a time (`trickle`).
fn text_stream(bytes: &[u8], options: Options, buffer: usize, trickle: bool) -> Stream<'_> {
    let reader: Box<dyn std::io::Read + Send + '_> = if trickle {
        Box::new(Trickle(bytes))
    } else {
        Box::new(bytes)
    };
    Stream::with_buffer("t".into(), reader, options, buffer)
}

/// What [`Stream::next_ref`] gave, as the item the iterator gives (a lent line is the record it
/// stands for).
fn item_of(next: Next<'_>) -> Item {
    match next {
        Next::Item(item) => item,
        Next::Line(record) => Item::Record(Record {
            location: Location {
                file: "t".into(),
                line: Some(record.line),
                record: None,
                byte: Some(record.byte),
            },
            json: record.json.to_owned(),
            timestamp_ms: None,
            text: false,
        }),
    }
}

fn read_lent(bytes: &[u8], options: Options, buffer: usize, trickle: bool) -> Vec<Item> {
    let options = Options {
        text_lines: true,
        ..options
    };
    let mut lent = 0;
    let mut stream = text_stream(bytes, options, buffer, trickle);
    let mut by_ref = Vec::new();
    while let Some(next) = stream.next_ref() {
        lent += usize::from(matches!(next, Next::Line(_)));
        by_ref.push(item_of(next));
    }
    let lines = stream.lines_read();
    let mut stream = text_stream(bytes, options, buffer, trickle);
    let items: Vec<Item> = stream.by_ref().collect();
    let shown = String::from_utf8_lossy(bytes);
    assert_eq!(
        by_ref, items,
        "input {shown:?}, {options:?}, buffer {buffer}"
    );
    assert_eq!(lines, stream.lines_read(), "input {shown:?}");
    // Lines plainly one object are lent, not copied.
    let plain = items
        .iter()
        .filter(|i| matches!(i, Item::Record(r) if r.location.line.is_some() && r.json.starts_with('{')))
        .count();
    assert!(lent <= plain, "{lent} lent of {plain}");
    items
}

/// Reads `bytes` in text mode with [`Stream::next_ref`] and with [`Stream::next_sifted`]: the
/// sifted reading gives the same items in the same order (locations and messages included)
/// except records of lines it passed over, which match no pattern; it passes over as many
/// records as it leaves out, and counts the same lines.
fn read_sifted(
    bytes: &[u8],
    options: Options,
    buffer: usize,
    trickle: bool,
    sieve: &Sieve,
    matches: &dyn Fn(&str) -> bool,
) {
    let options = Options {
        text_lines: true,
        ..options
    };
    // Read whole or trickled, and also read until a read fails (then as gzip cut short).
    read_sifted_from(bytes, sieve, matches, || {
        text_stream(bytes, options, buffer, trickle)
    });
    read_sifted_from(bytes, sieve, matches, || {
        Stream::with_buffer("t".into(), Box::new(Failing(bytes)), options, buffer)
    });
    let zipped = gzip(bytes);
    let cut = zipped
        .get(..zipped.len().saturating_sub(8))
        .unwrap_or_default();
    read_sifted_from(bytes, sieve, matches, || {
        Stream::with_buffer("t".into(), Box::new(cut), options, buffer)
    });
}

/// [`read_sifted`] of the streams `stream` makes (of `bytes`, shown in messages).
fn read_sifted_from<'b>(
    bytes: &[u8],
    sieve: &Sieve,
    matches: &dyn Fn(&str) -> bool,
    stream: impl Fn() -> Stream<'b>,
) {
    let read = |sifted: bool| {
        let mut stream = stream();
        let mut items = Vec::new();
        loop {
            let next = if sifted {
                stream.next_sifted(sieve)
            } else {
                stream.next_ref()
            };
            let Some(next) = next else {
                break;
            };
            items.push(item_of(next));
        }
        (items, stream.passed(), stream.lines_read())
    };
    let (all, none, lines) = read(false);
    let (sifted, passed, sifted_lines) = read(true);
    let shown = String::from_utf8_lossy(bytes);
    assert_eq!(none, 0);
    assert_eq!(lines, sifted_lines, "input {shown:?}");
    let mut left = sifted.iter().peekable();
    let mut left_out = 0;
    for item in &all {
        if left.peek() == Some(&item) {
            left.next();
            continue;
        }
        let Item::Record(record) = item else {
            panic!("skip {item:?} left out; input {shown:?}");
        };
        assert!(
            !matches(&record.json),
            "matching {record:?} left out; input {shown:?}"
        );
        left_out += 1;
    }
    assert_eq!(left.next(), None, "input {shown:?}");
    assert_eq!(passed, left_out, "input {shown:?}");
}

/// A container key spelled with escapes is the container key (keys are compared decoded): the
/// line's records are read, in JSON and in text mode, from a stream and with the sieve, as
/// those of the same line without escapes. Regression: the check of a line for container keys
/// looked for a key's opening quote at most 12 bytes back, so `"R\u0065cords"` and
/// `"\u0052ecords"` were read as one record holding an array, and `"x\\s"` (no letter
/// escaped) was sent to the detailed reader.
#[test]
fn container_keys_spelled_with_escapes_are_containers() {
    let plain = "{\"Records\":[{\"eventName\":\"a\"},{\"eventName\":\"b\"}]}\n";
    let want = jsons(&read(plain.as_bytes()))
        .into_iter()
        .map(str::to_owned)
        .collect::<Vec<_>>();
    assert_eq!(want.len(), 2);
    for key in [
        "R\\u0065cords",
        "\\u0052ecords",
        "Record\\u0073",
        "R\\u0065c\\u006frds",
    ] {
        let line = plain.replace("Records", key);
        for text_lines in [false, true] {
            let options = Options {
                text_lines,
                ..Options::default()
            };
            let items = read_with(line.as_bytes(), options);
            assert_eq!(jsons(&items), want, "{line} text_lines {text_lines}");
        }
        let set = trailmatch::PatternSet::new([r#"{ $.eventName = "a" }"#]).unwrap();
        let sieve = Sieve::new(&set).unwrap();
        let mut stream = text_stream(line.as_bytes(), Options::default(), 1 << 16, false);
        let mut sifted = Vec::new();
        while let Some(next) = stream.next_sifted(&sieve) {
            sifted.push(item_of(next));
        }
        assert_eq!(jsons(&sifted), want, "{line} sifted");
    }
    // Other escapes make no letter: an object with such keys ending in `s` is one record.
    let line = "{\"x\\\\s\":{\"a\":1},\"y\\\"s\":2}\n";
    let items = read_with(
        line.as_bytes(),
        Options {
            text_lines: true,
            ..Options::default()
        },
    );
    assert_eq!(jsons(&items), [line.trim_end()]);
}

/// Lines of text mixed into JSON Lines: blank lines, text, containers, a document cut short,
/// export lines, escapes (some spelling an `s` before a quote, as a container key ends), a byte
/// order mark, CRLF, objects followed by text or missing a brace.
const TEXT_LINES: &[&str] = &[
    "",
    "   ",
    "plain text",
    "{\"Records\":[{\"a\":1}]}",
    "{\"a\":",
    "2020-09-14T00:44:23.000Z {\"a\":1}",
    "{\"logEvents\":1}",
    "{\"a\":\"\\u0073\"}",
    "\u{feff}{\"a\":1}",
    "{\"a\":1} x",
    "{\"a\":1}\r",
    "{\"x\\\\s\":\"a\"}",
    "{\"x\\\\s\":{\"a\":1}",
    "{\"a\":\"C:\\\\docs\"}",
    "{\"a\":{\"b\":1}",
    "  {\"eventName\":\"a\"}  ",
    "{\"Records\":[{\"eventName\":\"a\"}]}",
    "{\"a\":\"\\u0061\"}",
    "1 {\"eventName\":\"a\"}",
    "\u{e9}t\u{e9} eventName",
];

/// The records, one per line, each followed by the text line of the same index if any.
fn interleaved(records: &[Vec<u8>], text_lines: &[&str]) -> Vec<u8> {
    let mut text = Vec::new();
    for (i, record) in records.iter().enumerate() {
        text.extend(record);
        text.push(b'\n');
        if let Some(line) = text_lines.get(i) {
            text.extend(line.as_bytes());
            text.push(b'\n');
        }
    }
    text
}

/// Sets of filter patterns to sift with: a key value, a glob with its quote and a term, a
/// keyword and `IS TRUE`, a container key's name as a key and as a term.
const SIFTED_SETS: &[&[&str]] = &[
    &[r#"{ $.eventName = "a" }"#],
    &[r#"{ $.a = "é*" }"#, "eventName"],
    &["plain", r#"{ $.requestParameters.a IS TRUE }"#],
    &[r#"{ $.eventName = "a" || $.events = "a" }"#, "Records"],
];

/// Every record yielded is one JSON object; lone surrogate escapes pass (serde_json's
/// `Value` refuses them, its syntax check does not).
fn assert_json_objects(items: &[Item]) {
    for json in jsons(items) {
        serde_json::from_str::<serde::de::IgnoredAny>(json).unwrap();
        assert!(json.starts_with('{') && json.ends_with('}'), "{json}");
    }
}

/// Pieces of JSON string content, escapes and multi-byte characters among them.
const STRING_PIECES: &[&str] = &[
    "a",
    "eventName",
    "é",
    "😀",
    "\\n",
    "\\\"",
    "\\\\",
    "\\/",
    "\\b\\f\\r\\t",
    "\\u00e9",
    "\\u00E9",
    "\\uD83D\\uDE00",
    "\\uD800",
    "\\uDC00x",
    " ",
    "arn:aws:iam::123456789012:user/somebody-with-a-long-name",
];

/// Keys: ordinary ones, the container keys of the formats, and escaped spellings.
const KEYS: &[&str] = &[
    "a",
    "",
    "eventName",
    "requestParameters",
    "Records",
    "logEvents",
    "events",
    "awslogs",
    "logFiles",
    "messageType",
    "Recor\\u0064s",
    "caf\\u00e9",
];

/// Bytes that damage JSON in interesting ways.
const DAMAGE: &[u8] = b",:{}[]\"\\ \n\r\t0-.eE+tfnuxN\x00\x1f\x7f\xff\xc3\xa9\xed\xa0\x80";

fn json_string() -> impl proptest::strategy::Strategy<Value = String> {
    use proptest::prelude::*;
    proptest::collection::vec(proptest::sample::select(STRING_PIECES), 0..5)
        .prop_map(|pieces| format!("\"{}\"", pieces.concat()))
}

/// Whitespace, mostly none, sometimes with a line feed.
fn json_ws() -> impl proptest::strategy::Strategy<Value = &'static str> {
    proptest::sample::select(&["", "", "", "", "", " ", "\t", "\r\n", "\n  "][..])
}

/// Tokens that are no JSON, or nearly: each is a fault of its own.
const BAD_TOKENS: &[&str] = &[
    "01",
    "-",
    "1.",
    ".5",
    "+1",
    "1e",
    "1e+",
    "0x10",
    "NaN",
    "-Infinity",
    "tru",
    "nul",
    "True",
    "undefined",
    "\"\\x\"",
    "\"\\u12G4\"",
    "\"\\u00\"",
    "\"a\tb\"",
    "\"\u{1}\"",
    "\"\u{7f}\"",
    "'a'",
    "\"\\ud800\\u0041\"",
    "-0",
    "1E+2",
    "0.0e-0",
];

/// JSON text of any value, nested up to 6 levels: valid, or with `bad` one leaf in about 20
/// taken from [`BAD_TOKENS`] (some of which are valid after all).
fn json_value_with(bad: bool) -> impl proptest::strategy::Strategy<Value = String> {
    use proptest::prelude::*;
    let number = proptest::string::string_regex(
        "-?(0|[1-9][0-9]{0,5})(\\.[0-9]{1,3})?([eE][+-]?[0-9]{1,2})?",
    )
    .unwrap();
    let bad_weight = if bad { 1 } else { 0 };
    let leaf = prop_oneof![
        4 => Just("null".to_owned()),
        4 => Just("true".to_owned()),
        4 => Just("false".to_owned()),
        20 => number,
        40 => json_string(),
        bad_weight => proptest::sample::select(BAD_TOKENS).prop_map(str::to_owned),
    ];
    leaf.prop_recursive(6, 48, 5, |inner| {
        prop_oneof![
            proptest::collection::vec((json_ws(), inner.clone(), json_ws()), 0..5).prop_map(
                |items| {
                    let items: Vec<String> =
                        items.iter().map(|(a, v, b)| format!("{a}{v}{b}")).collect();
                    format!("[{}]", items.join(","))
                }
            ),
            json_object(inner),
        ]
    })
}

/// Valid JSON text of any value.
fn json_value() -> impl proptest::strategy::Strategy<Value = String> {
    json_value_with(false)
}

fn json_object(
    values: impl proptest::strategy::Strategy<Value = String>,
) -> impl proptest::strategy::Strategy<Value = String> {
    use proptest::prelude::*;
    proptest::collection::vec(
        (
            json_ws(),
            proptest::sample::select(KEYS),
            json_ws(),
            values,
            json_ws(),
        ),
        0..5,
    )
    .prop_map(|members| {
        let members: Vec<String> = members
            .iter()
            .map(|(a, k, b, v, c)| format!("{a}\"{k}\"{b}:{v}{c}"))
            .collect();
        format!("{{{}}}", members.join(","))
    })
}

/// Up to three edits: insert a damaging byte, remove a byte, or replace one.
fn damaged(text: String) -> impl proptest::strategy::Strategy<Value = Vec<u8>> {
    use proptest::prelude::*;
    proptest::collection::vec(
        (any::<usize>(), proptest::sample::select(DAMAGE), 0u8..3),
        0..3,
    )
    .prop_map(move |edits| {
        let mut bytes = text.clone().into_bytes();
        for (at, byte, op) in edits {
            let at = at % (bytes.len() + 1);
            match op {
                0 => bytes.insert(at, byte),
                1 if at < bytes.len() => {
                    bytes.remove(at);
                }
                _ => {
                    if let Some(slot) = bytes.get_mut(at) {
                        *slot = byte;
                    }
                }
            }
        }
        bytes
    })
}

/// What may stand around a record: mostly nothing.
const AROUND: &[&str] = &[
    "", "", "", "", "", "", " ", "\t\r", "x", "}", "]", "{}", " 1", ",",
];

/// Records, each valid or damaged, sometimes with text around it.
fn record_texts() -> impl proptest::strategy::Strategy<Value = Vec<Vec<u8>>> {
    use proptest::prelude::*;
    let record =
        (json_object(json_value_with(true)), any::<bool>()).prop_flat_map(|(text, damage)| {
            if damage {
                damaged(text).boxed()
            } else {
                Just(text.into_bytes()).boxed()
            }
        });
    let around = || proptest::sample::select(AROUND);
    proptest::collection::vec(
        (around(), record, around()).prop_map(|(before, record, after)| {
            let mut text = before.as_bytes().to_vec();
            text.extend(record);
            text.extend(after.as_bytes());
            text
        }),
        1..6,
    )
}

fn limits() -> impl proptest::strategy::Strategy<Value = (Options, usize, bool)> {
    use proptest::prelude::*;
    (
        proptest::sample::select(&[1usize, 2, 3, 6, 512][..]),
        proptest::sample::select(&[8usize, 40, 200, 262_144][..]),
        proptest::sample::select(&[0usize, 300, 4096, 65_536][..]),
        proptest::bool::weighted(0.1),
    )
        .prop_map(|(max_depth, max_record_bytes, buffer, trickle)| {
            (
                Options {
                    max_record_bytes,
                    max_depth,
                    text_lines: false,
                },
                buffer,
                trickle,
            )
        })
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(1024))]

    /// JSON Lines, valid and damaged: the fast path yields exactly what the detailed scanner
    /// yields (records, skips, kinds, locations and messages).
    #[test]
    fn fast_path_agrees_on_json_lines(
        records in record_texts(),
        crlf in proptest::prelude::any::<bool>(),
        (options, buffer, trickle) in limits(),
    ) {
        let mut text = Vec::new();
        for record in &records {
            text.extend(record);
            text.extend(if crlf { &b"\r\n"[..] } else { b"\n" });
        }
        let items = read_both(&text, options, buffer, trickle);
        assert_json_objects(&items);
    }

    /// Text mode (grep's reading): lending lines with `next_ref` gives what iterating gives,
    /// for JSON Lines mixed with text, containers, blank and damaged lines.
    #[test]
    fn lent_lines_agree_with_items(
        records in record_texts(),
        text_lines in proptest::collection::vec(proptest::sample::select(TEXT_LINES), 0..4),
        (options, buffer, trickle) in limits(),
    ) {
        let mut text = interleaved(&records, &text_lines);
        read_lent(&text, options, buffer, trickle);
        text.pop();
        read_lent(&text, options, buffer, trickle);
    }

    /// Text mode with a sieve (grep's reading of a file): the lines passed over hold no
    /// record that a pattern matches, and every other item is as without the sieve.
    #[test]
    fn sifted_lines_agree_with_lent_lines(
        records in record_texts(),
        text_lines in proptest::collection::vec(proptest::sample::select(TEXT_LINES), 0..4),
        (options, buffer, trickle) in limits(),
        patterns in proptest::sample::select(SIFTED_SETS),
        event_patterns in proptest::prelude::any::<bool>(),
    ) {
        let text = interleaved(&records, &text_lines);
        if event_patterns {
            let set = trailmatch::EventPatternSet::new([
                r#"{"eventName":["a"]}"#,
                r#"{"a":[{"prefix":"é"}]}"#,
            ])
            .unwrap();
            let sieve = Sieve::for_event_patterns(&set).unwrap();
            read_sifted(&text, options, buffer, trickle, &sieve, &|e| set.is_match(e));
        } else {
            let set = trailmatch::PatternSet::new(patterns).unwrap();
            let sieve = Sieve::new(&set).unwrap();
            read_sifted(&text, options, buffer, trickle, &sieve, &|e| set.is_match(e));
        }
    }

    /// The same records as the elements of a `Records` array, compact or one per line, and as
    /// the messages of log events.
    #[test]
    fn fast_path_agrees_on_records_files(
        records in record_texts(),
        separator in proptest::sample::select(&[",", ",\n", " , ", "\n,"][..]),
        (options, buffer, trickle) in limits(),
    ) {
        let mut text = b"{\"Records\":[".to_vec();
        for (i, record) in records.iter().enumerate() {
            if i > 0 {
                text.extend(separator.as_bytes());
            }
            text.extend(record);
        }
        text.extend(b"]}\n{\"a\":1}\n");
        let items = read_both(&text, options, buffer, trickle);
        assert_json_objects(&items);
        // `payload` writes each message as a JSON string.
        let strings: Vec<String> = records
            .iter()
            .map(|r| String::from_utf8_lossy(r).into_owned())
            .collect();
        let events: Vec<&str> = strings.iter().map(|s| s.as_str()).collect();
        let text = payload("DATA_MESSAGE", &events, 0);
        read_both(text.as_bytes(), options, buffer, trickle);
    }

    /// Valid objects on one line are taken by the fast path itself, not only handed to the
    /// detailed scanner, and whatever the fast path vouches for, serde_json accepts.
    #[test]
    fn fast_path_takes_valid_objects(text in json_object(json_value())) {
        use super::fast::{Check, Rules, object};
        let rules = Rules { max_depth: 512, one_line: false, top_level: false };
        let mut padded = text.clone().into_bytes();
        padded.extend(b" \n");
        assert_eq!(object(&padded, rules), Check::Valid(text.len()), "{text}");
        assert!(serde_json::from_str::<serde::de::IgnoredAny>(&text).is_ok(), "{text}");
    }

    #[test]
    fn what_the_fast_path_vouches_for_is_json(bytes in json_object(json_value()).prop_flat_map(damaged)) {
        use super::fast::{Check, Rules, object};
        let rules = Rules { max_depth: 512, one_line: false, top_level: false };
        match object(&bytes, rules) {
            Check::Valid(end) => {
                let text = bytes.get(..end).unwrap();
                // UTF-8 is the caller's to check (std::str::from_utf8).
                if let Ok(text) = std::str::from_utf8(text) {
                    serde_json::from_str::<serde::de::IgnoredAny>(text).unwrap();
                    assert!(text.starts_with('{'), "{text}");
                }
            }
            Check::Incomplete => assert!(serde_json::from_slice::<serde::de::IgnoredAny>(&bytes).is_err()),
            Check::Unsure => {}
        }
    }
}

mod text_lines {
    use super::super::*;

    fn text() -> Options {
        Options {
            text_lines: true,
            ..Options::default()
        }
    }

    fn outline(input: &[u8]) -> Vec<String> {
        read_stream("t", input, text())
            .map(|item| match item {
                Item::Record(r) => format!("{} {}", r.location, r.json),
                Item::Skipped(s) => format!("{} [{}]", s.location, s.kind),
            })
            .collect()
    }

    /// Plain object lines are lent from the buffer; everything else comes as an item.
    #[test]
    fn plain_lines_are_lent() {
        let input =
            b"{\"a\":1}\n  {\"b\":2} \r\nERROR disk full\n{\"Records\":[{\"c\":3}]}\n\n{bad}";
        let mut stream = read_stream("t", &input[..], text());
        let mut seen = Vec::new();
        while let Some(next) = stream.next_ref() {
            seen.push(match next {
                Next::Line(r) => format!("lent {}:{} {}", r.line, r.byte, r.json),
                Next::Item(Item::Record(r)) => format!("item {} {}", r.location, r.json),
                Next::Item(Item::Skipped(s)) => format!("skip {} [{}]", s.location, s.kind),
            });
        }
        assert_eq!(
            seen,
            [
                "lent 1:0 {\"a\":1}",
                "lent 2:8 {\"b\":2}",
                "item t:3 ERROR disk full",
                "item t, record 1 {\"c\":3}",
                "lent 6:59 {bad}",
            ]
        );
        assert_eq!(stream.lines_read(), 6);
    }

    /// Text mode refuses other compressions as JSON mode does, instead of reading them as lines.
    #[test]
    fn other_compressions_are_refused_not_read_as_text() {
        assert_eq!(
            outline(b"PK\x03\x04\x14\x00"),
            ["t, byte 0 [unknown-format]"]
        );
        assert_eq!(outline(b"BZh91AY&SY"), ["t, byte 0 [unknown-format]"]);
    }

    #[test]
    fn lines_that_are_not_json_are_events() {
        let input = b"ERROR disk full\n{\"a\":1}\n\n  indented text\r\n{not json\n{\"a\":1} trailing\n\xff\n2 123 eni-1 REJECT";
        assert_eq!(
            outline(input),
            [
                "t:1 ERROR disk full",
                "t:2 {\"a\":1}",
                "t:4   indented text",
                "t:5 {not json",
                "t:6 {\"a\":1} trailing",
                "t:7 [invalid-utf8]",
                "t:8 2 123 eni-1 REJECT",
            ]
        );
        // Without text mode, the same input gives records and skips only.
        let scan: Vec<Item> = read_stream("t", &input[..], Options::default()).collect();
        assert!(scan.iter().all(|i| match i {
            Item::Record(r) => r.json.starts_with('{'),
            Item::Skipped(_) => true,
        }));
    }

    #[test]
    fn containers_documents_exports_and_base64_are_read_as_without_text_mode() {
        let input = "{\"Records\":[{\"e\":1},{\"e\":2}]}\nplain\n2020-09-14T00:44:23.000Z {\"e\":3}\n{\n  \"e\": 4\n}\nexample text\n";
        assert_eq!(
            outline(input.as_bytes()),
            [
                "t, record 1 {\"e\":1}",
                "t, record 2 {\"e\":2}",
                "t:2 plain",
                "t:3 {\"e\":3}",
                "t:4 {\n  \"e\": 4\n}",
                "t:7 example text",
            ]
        );
        // A line of text that starts with base64 digits stays text.
        assert_eq!(outline(b"example line\n"), ["t:1 example line"]);
        assert_eq!(outline(b"eyJhIjoxfQ=="), ["t:1 {\"a\":1}"]);
    }

    #[test]
    fn a_container_line_with_a_bad_record_is_read_as_a_container() {
        // The good records are found and the bad one reported, as without text mode; before,
        // the whole line was one event of text.
        for bad in ["NaN", "\"raw\ttab\"", "\"raw\u{1}control\""] {
            let input =
                format!("{{\"Records\":[{{\"a\":1}},{{\"a\":{bad}}},{{\"a\":1,\"b\":2}}]}}\n");
            let items = outline(input.as_bytes());
            assert_eq!(items.len(), 3, "{bad}: {items:?}");
            assert_eq!(items[0], "t, record 1 {\"a\":1}");
            assert!(items[1].starts_with("t, record 2") && items[1].ends_with("[invalid-json]"));
            assert_eq!(items[2], "t, record 3 {\"a\":1,\"b\":2}");
            assert_eq!(items, outline(&gzip_bytes(input.as_bytes())), "{bad}, gzip");
        }
        // Any other first key keeps the line text.
        let other = "{\"x\":NaN,\"Records\":[{\"a\":1}]}";
        assert_eq!(outline(other.as_bytes()), [format!("t:1 {other}")]);
    }

    fn gzip_bytes(bytes: &[u8]) -> Vec<u8> {
        super::gzip(bytes)
    }

    /// Lines of all the kinds text mode tells apart; some go on over the next lines.
    const PIECES: &[&str] = &[
        "{\"n\":1}",
        "  {\"n\":2}  ",
        "INFO text line",
        "",
        "{\"Records\":[{\"n\":3},{\"n\":4}]}",
        "{\"Records\":[{\"n\":5},{\"n\":NaN},{\"n\":6}]}",
        "{\"Records\":[{\"n\":7},{\"n\":8,\"b\":\"tru",
        "{\n  \"n\": 9\n}",
        "{\"Records\": [\n  {\"n\": 10},\n  {\"n\": 11}\n]}",
        "2020-09-14T00:44:23.000Z {\"n\":12}",
        "{\"n\":13} trailing",
        "{\"a\":1} {\"b\":",
        "{\"Records\":[]} {\"n\":",
        "{\"n\":\"raw\ttab\"}",
        "{\"Records\":[{\"n\":\"raw\ttab\"}]}",
        "{not json",
        "]}",
        "{\"n\":14,\r",
        "\u{feff}{\"n\":15}",
        "2020-09-14T00:44:23.000Z {\"n\":\u{0}16}",
        "2020-09-14T00:44:23.000Z {\"n\":17",
    ];

    /// An item's line, record, byte and text (a skip's kind and message).
    type Seen = (Option<u64>, Option<u64>, Option<u64>, String);

    /// Each item of a stream, its line made absolute by adding `base`.
    fn items(stream: &mut Stream<'_>, base: u64) -> Vec<Seen> {
        stream
            .by_ref()
            .map(|i| match i {
                Item::Record(r) => (
                    r.location.line.map(|l| l + base),
                    r.location.record,
                    r.location.byte,
                    r.json,
                ),
                Item::Skipped(s) => (
                    s.location.line.map(|l| l + base),
                    s.location.record,
                    s.location.byte,
                    format!("{} {}", s.kind, s.message),
                ),
            })
            .collect()
    }

    /// Reads bytes `start..end` of `file` with [`read_range`], and again read ahead into each
    /// of `aheads` (buffers of several sizes, some shorter than the range): the same items,
    /// lines lent alike, the same line count and the same answer to `needs_stream`. Returns the
    /// stream of [`read_range`], read to its end, and its items.
    fn read_range_both_ways(
        file: &std::sync::Arc<std::fs::File>,
        start: u64,
        end: u64,
        base: u64,
        aheads: &[ReadAhead],
    ) -> (Stream<'static>, Vec<Seen>) {
        let lent = |stream: &mut Stream<'_>| {
            let mut lent = Vec::new();
            while let Some(next) = stream.next_ref() {
                lent.push(format!("{:?}", super::item_of(next)));
            }
            (lent, stream.lines_read(), stream.needs_stream())
        };
        let mut stream = read_range("f", file.clone(), start, end, Options::default());
        let range = items(&mut stream, base);
        let plain_lent = lent(&mut read_range(
            "f",
            file.clone(),
            start,
            end,
            Options::default(),
        ));
        for ahead in aheads {
            let read = || read_ahead(ahead, file, (start, end), Options::default());
            let mut ahead_stream = read();
            assert_eq!(
                items(&mut ahead_stream, base),
                range,
                "{start}..{end} read ahead"
            );
            assert_eq!(ahead_stream.lines_read(), stream.lines_read());
            assert_eq!(ahead_stream.needs_stream(), stream.needs_stream());
            assert_eq!(
                lent(&mut read()),
                plain_lent,
                "{start}..{end} lent, read ahead"
            );
        }
        (stream, range)
    }

    /// Bytes `start..end` of `file` read ahead into one of `ahead`'s buffers, and their stream.
    fn read_ahead(
        ahead: &ReadAhead,
        file: &std::sync::Arc<std::fs::File>,
        (start, end): (u64, u64),
        options: Options,
    ) -> Stream<'static> {
        let read = ahead.read(file, start, end);
        let read = read.unwrap_or_else(|| panic!("a free buffer: {ahead:?} {start}..{end}"));
        let mut range = Range {
            file: file.clone(),
            start,
            end,
            ahead: Some(read),
        };
        range.stream("f", options)
    }

    /// [`read_ahead`] with the lines read ahead sifted by `sieve` as they are read (as when
    /// the threads that read the ranges are busy).
    fn read_ahead_sifted(
        ahead: &ReadAhead,
        sieve: &Sieve,
        file: &std::sync::Arc<std::fs::File>,
        span: (u64, u64),
        options: Options,
    ) -> Stream<'static> {
        let ahead = ReadAhead {
            sieve: Some(sieve.clone()),
            ..ahead.clone()
        };
        let _busy = Waiting::new(&ahead.waiting);
        read_ahead(&ahead, file, span, options)
    }

    /// Buffers to read ranges of `size` bytes ahead into, and ones reading less than such a
    /// range.
    fn aheads(size: u64) -> Vec<ReadAhead> {
        vec![
            ReadAhead::new(2, size, Options::default()),
            ReadAhead::reading_at_most(2, 2),
            ReadAhead::reading_at_most(2, (size as usize / 2).max(1)),
        ]
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(200))]

        /// What grep does: each range that is read on its own as ranges, the rest of the file
        /// from the first that is not as one stream; the same items as the whole file.
        #[test]
        fn ranges_then_the_rest_give_what_the_whole_file_gives(
            picks in proptest::collection::vec(0..PIECES.len(), 1..24),
            newline_at_end: bool,
            size in proptest::sample::select(vec![1u64, 5, 13, 40, 4096]),
        ) {
            let mut input = picks.iter().map(|&i| PIECES[i]).collect::<Vec<_>>().join("\n");
            if newline_at_end {
                input.push('\n');
            }
            ranges_then_the_rest(input.as_bytes(), size);
        }
    }

    /// What grep does with `input` in ranges of `size` bytes: each range that is read on its
    /// own as ranges (from the file and read ahead alike), the rest of the file from the first
    /// that is not as one stream; the same items as the whole file.
    fn ranges_then_the_rest(input: &[u8], size: u64) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f.log");
        std::fs::write(&path, input).unwrap();
        let file = std::sync::Arc::new(std::fs::File::open(&path).unwrap());
        let len = input.len() as u64;
        let whole = items(&mut read_stream("f", input, text()), 0);
        let (mut ranged, mut base, mut start) = (Vec::new(), 0, 0);
        if layout(&file, text()).unwrap() == Layout::Whole {
            return;
        }
        let shown = String::from_utf8_lossy(input);
        while start < len {
            let end = len.min(start + size);
            let alone = lines_alone(&file, start, end, text()).unwrap();
            let (stream, range) = read_range_both_ways(&file, start, end, base, &aheads(size));
            // The range's reader finds what lines_alone does.
            assert_eq!(
                stream.needs_stream(),
                alone.is_none(),
                "{shown:?}, {start}..{end}"
            );
            let Some(lines) = alone else {
                let mut rest = read_from("f", file.clone(), start, base + 1, text());
                ranged.extend(items(&mut rest, 0));
                break;
            };
            ranged.extend(range);
            assert_eq!(lines, stream.lines_read());
            base += stream.lines_read();
            start = end;
        }
        assert_eq!(ranged, whole, "{shown:?}, ranges of {size}");
    }

    /// A line that starts with `{`, holds invalid UTF-8 and ends with `}` but is cut short (one
    /// stream reads on into the next line): a range that holds it is read as one stream.
    /// Regression: it was taken for a plain line (read on its own as text: `invalid-utf8`).
    /// Also export lines whose message is cut short or invalid (a message cut short before a
    /// line that starts with `{` resumes there). Regression: the next line's record was lost,
    /// and the skip was worded with the range's own line number.
    #[test]
    fn broken_lines_in_ranges_read_as_one_stream_reads_them() {
        let inputs: [&[u8]; 4] = [
            b"{\"a\":1}\n{\"b\":\"\xff\",\"c\":{\"d\":1}\r\n{\"e\":2}\n{\"f\":3}\n",
            b"{\"a\":1}\n2020-09-14T00:44:23.000Z {\"n\":17\n{\"n\":1}\n",
            b"{\"a\":1}\n{\"a\":1}\n2020-09-14T00:44:23.000Z {\"n\":\x00}\n{\"n\":1}",
            b"2020-09-14T00:44:23.000Z {\n} x\nINFO a\n",
        ];
        for input in inputs {
            for size in [1, 3, 9, 10, 20, 4096] {
                ranges_then_the_rest(input, size);
            }
        }
        // An export line whose message is cut short deeper than serde_json's recursion limit
        // (128) goes on past its line too. Found by range_reader in CI.
        let deep = format!(
            "{{\"a\":1}}\n2020-09-14T00:44:23.000Z {{\"n\":{}\n2{{\"n\":1}}\n",
            "[".repeat(300)
        );
        for size in [1, 9, 40, 4096] {
            ranges_then_the_rest(deep.as_bytes(), size);
        }
        // The record after the export line cut short is read.
        let items = items(&mut read_stream("f", inputs[1], text()), 0);
        assert_eq!(
            items.last().map(|i| i.3.as_str()),
            Some("{\"n\":1}"),
            "{items:?}"
        );
    }

    /// Bits of lines for random files: records, text, blanks, containers (one cut short), a
    /// value over lines, export lines (one without a message, one with bytes that are no
    /// UTF-8), bytes that are no UTF-8, a byte order mark, CR, NUL, brackets and escapes.
    const BITS: &[&[u8]] = &[
        b"{\"n\":1}",
        b"  {\"n\":2}  ",
        b"INFO text",
        b"",
        b" ",
        b"\r",
        b"\xff",
        b"\xc3",
        b"\xef\xbb\xbf",
        b"{\"Records\":[{\"n\":3},{\"n\":4}]}",
        b"{\"Records\":[{\"n\":7},{\"n\":8,\"b\":\"tru",
        b"{\n  \"n\": 9\n}",
        b"2020-09-14T00:44:23.000Z {\"n\":12}",
        b"2020-09-14T00:44:23.000Z ",
        b"2020-09-14T00:44:23.000Z {\"n\":\"x\xff\"}",
        b"{\"n\":13} trailing",
        b"{\"a\":1} {\"b\":",
        b"{not json",
        b"]}",
        b"{\"n\":14,\r",
        b"{\"eventName\":\"ConsoleLogin\"}",
        b"{\"eventName\":\"Other\"}",
        b"\"",
        b"{",
        b"}",
        b"\\",
        b"\x00",
        b"\t",
    ];

    /// A piece of a random file: a bit, a bit repeated, a run of one byte (long blank lines,
    /// long words), a line end, or random bytes of JSON's alphabet and more.
    fn chunk() -> impl proptest::strategy::Strategy<Value = Vec<u8>> {
        use proptest::prelude::*;
        prop_oneof![
            (0..BITS.len()).prop_map(|i| BITS[i].to_vec()),
            (0..BITS.len(), 1usize..400)
                .prop_map(|(i, n)| { BITS[i].repeat((400 / BITS[i].len().max(1)).min(n).max(1)) }),
            (
                proptest::sample::select(vec![b' ', b'x', b'\n', b'{', b'\r']),
                1usize..600
            )
                .prop_map(|(b, n)| vec![b; n]),
            Just(b"\n".to_vec()),
            Just(b"\r\n".to_vec()),
            proptest::collection::vec(
                proptest::sample::select(
                    b"{}[]\":,\n\r \xff\xc3\xa90123456789-TZ:.antrue\\u".to_vec()
                ),
                1..40
            ),
        ]
    }

    /// How a range's stream is read: lines lent, lines sifted, lines lent without a search
    /// for container keys (`scan`), items.
    #[derive(Clone, Copy, Debug)]
    enum How {
        Lent,
        Sifted,
        Unsearched,
        Items,
    }

    /// What a stream gives read `how`, with its line count, `needs_stream` and the records
    /// sifted out. A record the sieve's pattern cannot match counts as sifted out whether it
    /// was passed over or not (a sieve may pass over a last line without a line feed or not,
    /// as the reads fell).
    fn read_as(stream: &mut Stream<'_>, how: How, sieve: &Sieve) -> (Vec<String>, u64, bool, u64) {
        let (mut seen, mut left_out) = (Vec::new(), 0);
        loop {
            let next = match how {
                How::Lent => stream.next_ref(),
                How::Sifted => stream.next_sifted(sieve),
                How::Unsearched => stream.next_ref_keys_unsearched(None).map(|(next, _)| next),
                How::Items => stream.next().map(Next::Item),
            };
            let Some(next) = next else {
                break;
            };
            let shown = format!("{:?}", super::item_of(next));
            if matches!(how, How::Sifted)
                && shown.starts_with("Record")
                && !shown.contains("ConsoleLogin")
            {
                left_out += 1;
                continue;
            }
            seen.push(shown);
        }
        (
            seen,
            stream.lines_read(),
            stream.needs_stream(),
            stream.passed() + left_out,
        )
    }

    /// The file of `chunks`, its bytes and the options to read it with (a record limit of 64
    /// or 200 bytes); `None` when it is to be read whole, not in ranges.
    fn random_file(
        chunks: &[Vec<u8>],
        small_limit: bool,
    ) -> Option<(
        tempfile::TempDir,
        std::sync::Arc<std::fs::File>,
        Vec<u8>,
        Options,
    )> {
        let input = chunks.concat();
        let options = Options {
            max_record_bytes: if small_limit { 64 } else { 200 },
            text_lines: true,
            ..Options::default()
        };
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f.log");
        std::fs::write(&path, &input).unwrap();
        let file = std::sync::Arc::new(std::fs::File::open(&path).unwrap());
        (layout(&file, options).unwrap()
            == Layout::Lines {
                len: input.len() as u64,
            })
        .then_some((dir, file, input, options))
    }

    /// Runs `test` with small text buffers (see [`SMALL_TEXT_BUFFERS`]).
    fn with_small_buffers<T>(test: impl FnOnce() -> T) -> T {
        use super::super::stream::SMALL_TEXT_BUFFERS;
        SMALL_TEXT_BUFFERS.with(|small| small.set(true));
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(test));
        SMALL_TEXT_BUFFERS.with(|small| small.set(false));
        result.unwrap_or_else(|panic| std::panic::resume_unwind(panic))
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(1000))]

        /// Random files in ranges, with streams' buffers small beside the buffers read ahead
        /// (which also read less than a range): read ahead, a range reads as it does from the
        /// file, read in each of the four ways. Found (in review) a blank line longer than a
        /// stream's buffer passed over by the sieve, and a long blank line before a record read
        /// as a JSON document, because both looked past what a stream's buffer holds.
        #[test]
        fn random_ranges_read_ahead_read_as_from_the_file(
            chunks in proptest::collection::vec(chunk(), 1..20),
            size in 1u64..1500,
            small_limit: bool,
            at_most in 1usize..2000,
        ) {
            with_small_buffers(|| {
                let Some((_dir, file, input, options)) = random_file(&chunks, small_limit) else {
                    return;
                };
                let set = trailmatch::PatternSet::new([r#"{ $.eventName = "ConsoleLogin" }"#]).unwrap();
                let sieve = Sieve::new(&set).unwrap();
                // Sifts the lines read ahead for another pattern: the stream sifts them again.
                let other = trailmatch::PatternSet::new([r#"{ $.eventName = "GetObject" }"#]).unwrap();
                let other = Sieve::new(&other).unwrap();
                let whole = ReadAhead::new(1, size, options);
                let part = ReadAhead { size: at_most.min(whole.size), ..whole.clone() };
                let (len, mut start) = (input.len() as u64, 0);
                while start < len {
                    let end = len.min(start + size);
                    for how in [How::Lent, How::Sifted, How::Unsearched, How::Items] {
                        let plain = read_range("f", file.clone(), start, end, options);
                        let plain = read_as(&mut { plain }, how, &sieve);
                        for ahead in [&whole, &part] {
                            let mut stream = read_ahead(ahead, &file, (start, end), options);
                            let got = read_as(&mut stream, how, &sieve);
                            assert_eq!(
                                got, plain,
                                "{how:?}, {start}..{end} of {:?}, {} bytes read ahead",
                                String::from_utf8_lossy(&input), ahead.size
                            );
                        }
                        for (by, ahead) in [(&sieve, &whole), (&sieve, &part), (&other, &whole)] {
                            let mut stream = read_ahead_sifted(ahead, by, &file, (start, end), options);
                            let got = read_as(&mut stream, how, &sieve);
                            assert_eq!(
                                got, plain,
                                "{how:?}, {start}..{end} of {:?}, {} bytes read ahead, sifted by {}",
                                String::from_utf8_lossy(&input), ahead.size,
                                if by.is(&sieve) { "the sieve" } else { "another" }
                            );
                        }
                    }
                    start = end;
                }
            });
        }

        /// The same random files, ranges read ahead then the rest from the first that needs
        /// the stream: what the whole file gives. Found (in review) an export line whose
        /// message went on over the next lines read in two ranges.
        #[test]
        fn random_files_in_ranges_give_what_the_whole_file_gives(
            chunks in proptest::collection::vec(chunk(), 1..20),
            size in 1u64..1500,
            small_limit: bool,
        ) {
            with_small_buffers(|| {
                let Some((_dir, file, input, options)) = random_file(&chunks, small_limit) else {
                    return;
                };
                let whole = items(&mut read_stream("f", &input[..], options), 0);
                let ahead = ReadAhead::new(1, size, options);
                let (len, mut ranged, mut base, mut start) = (input.len() as u64, Vec::new(), 0, 0);
                while start < len {
                    let end = len.min(start + size);
                    let mut stream = read_ahead(&ahead, &file, (start, end), options);
                    let range = items(&mut stream, base);
                    if stream.needs_stream() {
                        ranged.extend(items(&mut read_from("f", file.clone(), start, base + 1, options), 0));
                        break;
                    }
                    ranged.extend(range);
                    base += stream.lines_read();
                    start = end;
                }
                assert_eq!(ranged, whole, "{:?}, ranges of {size}", String::from_utf8_lossy(&input));
            });
        }
    }

    /// In text, a record whose JSON fails is skipped to the end of its line, and the skip's
    /// location names that line (a range's own, which its reader makes absolute), not the
    /// message. Regression: the message said `skipped the rest of line N` with the range's N.
    #[test]
    fn a_skipped_rest_of_line_is_located_on_its_line() {
        let input = "{\"a\":1}\n{\"b\":2}\n2020-09-14T00:44:23.000Z {\"n\":\u{0}}\n{\"c\":3}\n";
        let skip_of = |items: Vec<Seen>| {
            let skips: Vec<Seen> = items
                .into_iter()
                .filter(|i| i.3.starts_with("invalid-json"))
                .collect();
            assert_eq!(skips.len(), 1, "{skips:?}");
            skips.into_iter().next().unwrap()
        };
        let whole = skip_of(items(&mut read_stream("f", input.as_bytes(), text()), 0));
        assert_eq!(whole.0, Some(3));
        assert!(
            whole.3.ends_with("; skipped the rest of the line"),
            "{whole:?}"
        );
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f.log");
        std::fs::write(&path, input).unwrap();
        let file = std::sync::Arc::new(std::fs::File::open(&path).unwrap());
        let start = input.find("2020").unwrap() as u64;
        let mut range = read_range("f", file, start, start + 1, Options::default());
        let in_range = skip_of(items(&mut range, 0));
        assert_eq!(in_range.0, Some(1), "the range's own line");
        assert_eq!(in_range.3, whole.3);
    }

    /// Bytes read from a file land at addresses equal to their offsets modulo a cache line,
    /// where the kernel copies them fastest (`source::aligned`), and are the file's bytes:
    /// ranges read ahead from any start, and a stream's buffer over reads of any length,
    /// however much of it was consumed before it was filled again.
    #[test]
    fn bytes_read_land_aligned_with_their_offsets() {
        use super::super::source::{CACHE_LINE, Meter, Source};

        let bytes: Vec<u8> = (0..200_000u32)
            .map(|i| {
                if i % 97 == 96 {
                    b'\n'
                } else {
                    b'a' + (i % 23) as u8
                }
            })
            .collect();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f.log");
        std::fs::write(&path, &bytes).unwrap();
        let file = std::sync::Arc::new(std::fs::File::open(&path).unwrap());
        let ahead = ReadAhead::new(2, 10_000, text());
        for start in [1, 2, 64, 65, 4096, 4097, 99_999, 150_001] {
            let read = ahead.read(&file, start, start + 10_000).unwrap();
            let got = read
                .buffer
                .buf
                .get(read.shift..read.shift + read.len)
                .unwrap();
            assert_eq!(read.at, start - 1);
            assert_eq!(
                got.as_ptr().addr() % CACHE_LINE,
                (read.at as usize) % CACHE_LINE
            );
            assert_eq!(
                got,
                &bytes[start as usize - 1..][..read.len],
                "from {start}"
            );
        }

        /// Hands out at most `most` bytes a read.
        struct Short<'a>(&'a [u8], usize);
        impl std::io::Read for Short<'_> {
            fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
                let n = out.len().min(self.1).min(self.0.len());
                out[..n].copy_from_slice(&self.0[..n]);
                self.0 = &self.0[n..];
                Ok(n)
            }
        }
        for (origin, most) in [(0, usize::MAX), (5, 1000), (4095, 333), (70, 4096)] {
            let meter = Meter::default();
            let mut src = Source::new(Box::new(Short(&bytes, most)), 4096, 0, &meter);
            src.set_origin(origin);
            for step in (1..).map(|i| i * 389 % 4096) {
                src.fill(step.max(1)).unwrap();
                let avail = src.avail();
                if avail.is_empty() {
                    break;
                }
                let offset = src.offset();
                assert_eq!(
                    avail.as_ptr().addr() % CACHE_LINE,
                    offset as usize % CACHE_LINE
                );
                let before = (offset - origin) as usize;
                assert_eq!(avail, &bytes[before..][..avail.len()]);
                let take = step.min(avail.len());
                let feeds = bytes[..before].iter().filter(|&&b| b == b'\n').count();
                assert_eq!(src.line(), 1 + feeds as u64, "the line at {offset}");
                src.advance(take);
            }
            assert_eq!(src.offset(), origin + bytes.len() as u64, "read to the end");
        }
        // Wanting the whole buffer leaves no room to place the bytes: they go to its front.
        let meter = Meter::default();
        let mut src = Source::new(Box::new(Short(&bytes, 1000)), 4096, 0, &meter);
        src.set_origin(5);
        src.fill(100).unwrap();
        src.advance(37);
        src.fill(4096 + CACHE_LINE).unwrap();
        assert_eq!(src.avail(), &bytes[37..][..4096 + CACHE_LINE]);
        assert_eq!(src.offset(), 42);
        assert_eq!(src.line(), 1);
    }

    /// Spans cover a file in order, each of the range size but the last; ranges are read ahead
    /// while a buffer is free (a range holds its buffer until it is read), and never without
    /// read-ahead.
    #[test]
    fn ranges_cut_a_file_and_read_ahead_while_buffers_last() {
        let spans = |bytes, len| {
            Ranges::new(bytes, 1, false, text())
                .spans(len)
                .collect::<Vec<_>>()
        };
        assert_eq!(spans(4, 10), [(0, 4), (4, 8), (8, 10)]);
        assert_eq!(spans(5, 10), [(0, 5), (5, 10)]);
        assert_eq!(spans(0, 2), [(0, 1), (1, 2)], "at least a byte a range");
        assert_eq!(spans(u64::MAX, 3), [(0, 3)]);
        assert!(spans(4, 0).is_empty());
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f.log");
        std::fs::write(&path, "{\"a\":1}\n{\"b\":2}\n").unwrap();
        let file = std::sync::Arc::new(std::fs::File::open(&path).unwrap());
        let ranges = Ranges::new(8, 2, true, text());
        let (mut first, second) = (ranges.range(&file, 0, 8), ranges.range(&file, 8, 16));
        assert!(first.is_read_ahead() && second.is_read_ahead());
        assert!(
            !ranges.range(&file, 0, 8).is_read_ahead(),
            "both buffers are held"
        );
        assert_eq!(first.stream("f", text()).count(), 1);
        assert!(!first.is_read_ahead());
        assert!(
            ranges.range(&file, 0, 8).is_read_ahead(),
            "the first buffer came back"
        );
        let plain = Ranges::new(8, 2, false, text());
        assert!(!plain.range(&file, 0, 8).is_read_ahead());
    }

    /// Lines sifted ahead are passed over only when a stream's buffer holds them whole with
    /// their line feed, as when the stream sifts its own buffer: blank lines (spaces, or a run
    /// of carriage returns) one byte either side of the buffer's size, with LF and CRLF.
    #[test]
    fn lines_sifted_ahead_are_passed_over_as_a_buffer_holds_them() {
        let options = Options {
            max_record_bytes: 200,
            text_lines: true,
            ..Options::default()
        };
        with_small_buffers(|| {
            let window = super::super::stream::text_buffer(options);
            let set = trailmatch::PatternSet::new([r#"{ $.eventName = "ConsoleLogin" }"#]).unwrap();
            let sieve = Sieve::new(&set).unwrap();
            for blank in [b' ', b'\r'] {
                for end in ["\n", "\r\n"] {
                    for len in window - 3..=window + 1 {
                        let line = vec![blank; len - end.len()];
                        let input = [
                            b"{\"eventName\":\"GetObject\"}\n".as_slice(),
                            &line,
                            end.as_bytes(),
                            b"{\"eventName\":\"ConsoleLogin\"}\n",
                        ]
                        .concat();
                        let dir = tempfile::tempdir().unwrap();
                        let path = dir.path().join("f.log");
                        std::fs::write(&path, &input).unwrap();
                        let file = std::sync::Arc::new(std::fs::File::open(&path).unwrap());
                        let span = (0, input.len() as u64);
                        let plain = read_range("f", file.clone(), 0, span.1, options);
                        let want = read_as(&mut { plain }, How::Sifted, &sieve);
                        let ahead = ReadAhead::new(1, span.1, options);
                        let mut stream = read_ahead_sifted(&ahead, &sieve, &file, span, options);
                        let got = read_as(&mut stream, How::Sifted, &sieve);
                        assert_eq!(got, want, "{len} bytes with {end:?}, buffer of {window}");
                        // A line and its line feed that fill the buffer are passed over.
                        let skipped = want.0.iter().any(|item| item.contains("RecordTooLarge"));
                        assert_eq!(skipped, len > window, "{len} bytes, {want:?}");
                    }
                }
            }
        });
    }

    /// With a sieve, a range read ahead is sifted as it is read when the ranges read before
    /// it are still waiting for their streams (the threads that read them are busy), and is
    /// not when none is (they would wait for it); sifted or not, it reads the same.
    #[test]
    fn ranges_read_ahead_are_sifted_while_others_wait() {
        let input = "{\"eventName\":\"GetObject\"}\n{\"eventName\":\"ConsoleLogin\"}\n";
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f.log");
        std::fs::write(&path, input).unwrap();
        let file = std::sync::Arc::new(std::fs::File::open(&path).unwrap());
        let set = trailmatch::PatternSet::new([r#"{ $.eventName = "ConsoleLogin" }"#]).unwrap();
        let sieve = Sieve::new(&set).unwrap();
        let len = input.len() as u64;
        let ranges = Ranges::new(len, 3, true, text()).sifting(Some(sieve.clone()));
        let read = |range: &mut Range| {
            let mut stream = range.stream("f", text());
            let mut lent = Vec::new();
            while let Some(next) = stream.next_sifted(&sieve) {
                lent.push(format!("{:?}", super::item_of(next)));
            }
            (lent, stream.passed())
        };
        let mut first = ranges.range(&file, 0, len);
        let mut second = ranges.range(&file, 0, len);
        let sifted = |range: &Range| range.ahead.as_ref().map(|a| a.sifted.is_some());
        assert_eq!(sifted(&first), Some(false), "nothing waited");
        assert_eq!(sifted(&second), Some(true), "the first waited");
        let (got, want) = (read(&mut second), read(&mut first));
        assert_eq!(got, want);
        assert_eq!((want.0.len(), want.1), (1, 1), "{want:?}");
        let mut third = ranges.range(&file, 0, len);
        assert_eq!(sifted(&third), Some(false), "both streams were made");
        assert_eq!(read(&mut third), want);
        let unsifted = Ranges::new(len, 2, true, text());
        let (_waits, next) = (unsifted.range(&file, 0, len), unsifted.range(&file, 0, len));
        assert_eq!(sifted(&next), Some(false), "no sieve");
    }

    /// Lines lent by `next_ref_keys_unsearched` with a sieve tell whether that sieve sifted
    /// them out when it sifted their range as it was read ahead: never a line a pattern of its
    /// set matches; nothing without a sieve, with another sieve of the same set, or when the
    /// range was not sifted. With two names the sieve is exact; with the CIS filters over real
    /// records, sound.
    #[test]
    fn lines_lent_tell_whether_the_sieve_sifted_them_out() {
        // Each line lent: its text and whether it was sifted out.
        fn lend(stream: &mut Stream<'_>, sieve: Option<&Sieve>) -> Vec<(String, bool)> {
            let mut lent = Vec::new();
            while let Some((next, sifted_out)) = stream.next_ref_keys_unsearched(sieve) {
                let Next::Line(line) = next else {
                    panic!("a line, not {next:?}")
                };
                lent.push((line.json.to_owned(), sifted_out));
            }
            lent
        }
        // The lines of `input` lent after a read ahead of at most `most` bytes sifted by
        // `set`'s sieve (the lines past them are read from the file).
        fn sifted(set: &trailmatch::PatternSet, input: &str, most: usize) -> Vec<(String, bool)> {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("f.log");
            std::fs::write(&path, input).unwrap();
            let file = std::sync::Arc::new(std::fs::File::open(&path).unwrap());
            let sieve = Sieve::new(set).unwrap();
            let len = input.len() as u64;
            let ahead = ReadAhead::reading_at_most(4, most);
            let mut stream = read_ahead_sifted(&ahead, &sieve, &file, (0, len), text());
            let lent = lend(&mut stream, Some(&sieve));
            let other = Sieve::new(set).unwrap();
            let mut others = [
                read_ahead_sifted(&ahead, &sieve, &file, (0, len), text()),
                read_ahead_sifted(&ahead, &other, &file, (0, len), text()),
                read_ahead(&ahead, &file, (0, len), text()),
            ];
            let texts =
                |lent: &[(String, bool)]| lent.iter().map(|l| l.0.clone()).collect::<Vec<_>>();
            for (i, (stream, sieve)) in others
                .iter_mut()
                .zip([None, Some(&sieve), Some(&sieve)])
                .enumerate()
            {
                let unsifted = lend(stream, sieve);
                assert!(unsifted.iter().all(|(_, out)| !out), "stream {i}");
                assert_eq!(texts(&unsifted), texts(&lent), "stream {i}");
            }
            lent
        }

        let names = [
            "GetObject",
            "ConsoleLogin",
            "PutObject",
            "StopLogging",
            "ConsoleLogin",
        ];
        let mut input = String::new();
        for (i, name) in names.iter().cycle().take(200).enumerate() {
            let indent = if i % 7 == 0 { "  " } else { "" };
            input.push_str(&format!("{indent}{{\"eventName\":\"{name}\",\"n\":{i}}}\n"));
            if i % 11 == 0 {
                input.push('\n');
            }
        }
        let set = trailmatch::PatternSet::new([
            r#"{ $.eventName = "ConsoleLogin" }"#,
            r#"{ $.eventName = "StopLogging" }"#,
        ])
        .unwrap();
        let lent = sifted(&set, &input, input.len());
        assert_eq!(lent.len(), 200);
        for (json, sifted_out) in &lent {
            assert_eq!(*sifted_out, !set.is_match(json), "{json}");
        }
        // A matching last line without a line feed, and lines past what was read ahead: read
        // from the file, not sifted.
        input.push_str("{\"eventName\":\"StopLogging\"}");
        for most in [input.len(), input.len() / 2] {
            let lent = sifted(&set, &input, most);
            assert_eq!(lent.len(), 201);
            // Whether each line lent ends with its line feed within the bytes read ahead.
            let mut in_block = Vec::new();
            let mut end = 0;
            for line in input.split_inclusive('\n') {
                end += line.len();
                if !line.trim().is_empty() {
                    in_block.push(line.ends_with('\n') && end <= most);
                }
            }
            assert_eq!(in_block.len(), lent.len());
            assert!(in_block.contains(&false) && in_block.contains(&true));
            for ((json, sifted_out), in_block) in lent.iter().zip(in_block) {
                let want = in_block && !set.is_match(json);
                assert_eq!(*sifted_out, want, "{json}, {most} bytes read ahead");
            }
        }

        let cis = crate::rules::RuleSet::cis();
        let set = trailmatch::PatternSet::new(cis.metric_filters.iter().map(|f| &f.filter_pattern))
            .unwrap();
        let mut input = super::RECORDS.to_owned();
        // Each record again named StopLogging (a CIS filter matches it), and with the key of
        // its name renamed.
        let name = "\"eventName\":\"";
        for record in super::records() {
            for to in ["\"eventName\":\"StopLogging\",\"was\":\"", "\"x\":\""] {
                input.push_str(&record.replacen(name, to, 1));
                input.push('\n');
            }
        }
        let lent = sifted(&set, &input, input.len());
        assert_eq!(lent.len(), 3 * super::records().len());
        for (json, sifted_out) in &lent {
            assert!(!(*sifted_out && set.is_match(json)), "{json}");
        }
        assert!(lent.iter().any(|l| l.1), "some sifted out: {lent:?}");
        assert!(
            lent.iter().any(|l| set.is_match(&l.0)),
            "some matched: {lent:?}"
        );
    }

    /// Buffers read ahead for a smaller record limit than the stream's read as the file does
    /// (a line longer than them but shorter than the stream's buffer).
    #[test]
    fn buffers_for_smaller_records_read_as_the_file() {
        let input = format!("{{\"a\":\"{}\"}}\n{{\"b\":1}}\n", "x".repeat(100_000));
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f.log");
        std::fs::write(&path, &input).unwrap();
        let file = std::sync::Arc::new(std::fs::File::open(&path).unwrap());
        let small = Options {
            max_record_bytes: 64,
            ..Options::default()
        };
        let ahead = ReadAhead::new(1, 100, small);
        let len = input.len() as u64;
        let mut got = read_ahead(&ahead, &file, (0, len), Options::default());
        let mut want = read_range("f", file, 0, len, Options::default());
        assert_eq!(items(&mut got, 0), items(&mut want, 0));
        assert!(!want.needs_stream());
        assert_eq!(got.needs_stream(), want.needs_stream());
    }

    /// Lines longer than a stream's buffer and than the record limit, JSON and text, in ranges
    /// whose buffers read ahead hold them whole (or not): read as from the file.
    #[test]
    fn long_lines_read_ahead_as_read_from_the_file() {
        let limit = Options::default().max_record_bytes;
        let mut input = String::new();
        for (i, len) in [limit - 20, limit + 10, 300_000, 400_000, 700_000, 10]
            .into_iter()
            .enumerate()
        {
            let line = format!("{{\"n\":{i},\"pad\":\"{}\"}}", "x".repeat(len));
            input.push_str(&line);
            input.push('\n');
            input.push_str(&format!("INFO {}\n", "y".repeat(len)));
        }
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f.log");
        std::fs::write(&path, &input).unwrap();
        let file = std::sync::Arc::new(std::fs::File::open(&path).unwrap());
        let len = input.len() as u64;
        let whole = items(&mut read_stream("f", input.as_bytes(), text()), 0);
        assert!(
            whole
                .iter()
                .any(|(_, _, _, text)| text.contains("record-too-large"))
        );
        for size in [100_000u64, 512 * 1024, 1 << 20] {
            let (mut ranged, mut base, mut start) = (Vec::new(), 0, 0);
            while start < len {
                let end = len.min(start + size);
                let (stream, range) = read_range_both_ways(&file, start, end, base, &aheads(size));
                ranged.extend(range);
                base += stream.lines_read();
                start = end;
            }
            assert_eq!(ranged, whole, "ranges of {size} bytes");
        }
    }

    #[test]
    fn ranges_of_a_file_give_what_the_whole_file_gives() {
        let mut input = String::new();
        for i in 0..3000 {
            match i % 5 {
                0 => input.push_str(&format!(
                    "{{\"n\":{i},\"pad\":\"{}\"}}\n",
                    "x".repeat(i % 97)
                )),
                1 => input.push_str(&format!("INFO line {i}\r\n")),
                2 => input.push('\n'),
                3 => input.push_str(&format!("{{\"Records\":[{{\"n\":{i}}}]}}\n")),
                _ => input.push_str(&format!("2020-09-14T00:44:23.000Z {{\"n\":{i}}}\n")),
            }
        }
        input.push_str("last line");
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f.log");
        std::fs::write(&path, &input).unwrap();
        let file = std::sync::Arc::new(std::fs::File::open(&path).unwrap());
        let len = input.len() as u64;
        assert_eq!(layout(&file, text()).unwrap(), Layout::Lines { len });
        let whole = items(&mut read_stream("f", input.as_bytes(), text()), 0);
        for size in [1u64, 7, 100, 4096, 65_536] {
            let mut ranged = Vec::new();
            let mut base = 0;
            let mut start = 0;
            let aheads = aheads(size);
            while start < len {
                let end = len.min(start + size);
                let (stream, range) = read_range_both_ways(&file, start, end, base, &aheads);
                ranged.extend(range);
                base += stream.lines_read();
                start = end;
            }
            assert_eq!(ranged, whole, "ranges of {size} bytes");
        }
    }
}

#[test]
fn text_lines_keep_the_record_limit() {
    let options = Options {
        text_lines: true,
        max_record_bytes: 20,
        ..Options::default()
    };
    let input = "{\"a\":\"0123456789012345\"}\nERROR 0123456789012345678\n{\"a\":1}\n";
    let items: Vec<String> = read_stream("t", input.as_bytes(), options)
        .map(|item| match item {
            Item::Record(r) => r.json,
            Item::Skipped(s) => s.kind.code().to_owned(),
        })
        .collect();
    assert_eq!(items, ["record-too-large", "record-too-large", "{\"a\":1}"]);
}

/// A line too large is measured alike whether it fits the read buffer or not: its bytes
/// before the line feed, a carriage return before that not counted. Regression: a line longer
/// than the buffer was said to be one or two bytes longer (its line feed and carriage return).
#[test]
fn too_large_lines_are_measured_without_their_line_end() {
    let options = Options {
        text_lines: true,
        ..Options::default()
    };
    let buffer = super::stream::text_buffer(options);
    let limit = options.max_record_bytes;
    for len in [limit + 1, buffer - 1, buffer, buffer + 1, 3 * buffer] {
        let line = format!("INFO {}", "y".repeat(len - 5));
        let said = format!("the line is {len} bytes, more than the limit of {limit} bytes");
        // Ended by a line feed, by a carriage return and one, and by the end of the input.
        for (end, next) in [("\n", "{\"a\":1}\n"), ("\r\n", "{\"a\":1}\n"), ("", "")] {
            let input = format!("{line}{end}{next}");
            let items: Vec<String> = read_stream("t", input.as_bytes(), options)
                .map(|item| match item {
                    Item::Record(r) => r.json,
                    Item::Skipped(s) => s.message,
                })
                .collect();
            let want = [said.as_str(), next.trim_end()];
            let want = if next.is_empty() {
                &want[..1]
            } else {
                &want[..]
            };
            assert_eq!(items, want, "{len} bytes, ended by {end:?}");
        }
    }
}

/// An object followed by a form feed (no JSON blank: JSON readers such as Jackson refuse it)
/// is no plain one-object line: lent or read as an item, text mode gives the line as written,
/// and JSON mode reports the form feed after the object.
#[test]
fn an_object_then_a_form_feed_is_no_json_line() {
    let input = "{\"a\":1}\u{c}\n{\"a\":2} \n";
    let text = Options {
        text_lines: true,
        ..Options::default()
    };
    let mut lent = Vec::new();
    let mut stream = read_stream("t", input.as_bytes(), text);
    while let Some(next) = stream.next_ref() {
        lent.push(match next {
            Next::Line(line) => format!("line {}", line.json),
            Next::Item(Item::Record(r)) => format!("item {}", r.json),
            Next::Item(Item::Skipped(s)) => s.kind.code().to_owned(),
        });
    }
    assert_eq!(lent, ["item {\"a\":1}\u{c}", "line {\"a\":2}"]);
    let items: Vec<String> = read_stream("t", input.as_bytes(), Options::default())
        .map(|item| match item {
            Item::Record(r) => r.json,
            Item::Skipped(s) => s.kind.code().to_owned(),
        })
        .collect();
    assert_eq!(items, ["{\"a\":1}", "invalid-json", "{\"a\":2}"]);
}
