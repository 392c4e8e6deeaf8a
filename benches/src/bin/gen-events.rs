//! Writes generated events to standard output, for `trailmatch grep` measurements:
//!
//! ```text
//! gen-events [--seed N] [--records] [--flow-logs] SIZE     # SIZE in bytes: 200M, 1G, 50000K
//! gen-events [--seed N] [--records] [--flow-logs] --events N  # exactly N events
//! ```
//!
//! One event per line by default; `--records` writes one CloudTrail log file, `{"Records":[…]}`
//! on one line; `--flow-logs` writes VPC flow-log records instead of CloudTrail events.
//! `gen-events --patterns KIND N` writes a pattern set of the benches instead, one pattern per
//! line (for `trailmatch grep -f`): KIND is `exact`, `exact-same-matches`, `wildcard`, `terms`,
//! `terms-same-matches`, `vpc`, `regex` or `cis-eventbridge` (the CIS filters as event
//! patterns, for `grep --eventbridge`); the `same-matches` sets are those of `sets`.

use std::io::{self, BufWriter, Write};
use std::process::ExitCode;

use trailmatch_benches::generate::{CloudTrail, FlowLogs};
use trailmatch_benches::sets;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("--patterns") {
        let n = args.get(3).and_then(|n| n.parse().ok()).unwrap_or(10);
        let kind = args.get(2).map(String::as_str).unwrap_or_default();
        if let Some(largest) = sets::largest(kind).filter(|&largest| n > largest) {
            eprintln!("gen-events: --patterns {kind} {n}: at most {largest} (the names run out)");
            return ExitCode::from(2);
        }
        let set = match args.get(2).map(String::as_str) {
            Some("exact") => sets::exact(n),
            Some("exact-same-matches") => sets::exact_same_matches(n),
            Some("wildcard") => sets::wildcard(n),
            Some("terms") => sets::terms(n),
            Some("terms-same-matches") => sets::terms_same_matches(n),
            Some("vpc") => sets::vpc(n),
            Some("regex") => sets::regex(),
            Some("cis-eventbridge") => sets::cis_eventbridge_joined(),
            _ => {
                eprintln!(
                    "usage: gen-events --patterns exact|exact-same-matches|wildcard|terms|\
                     terms-same-matches|vpc|regex|cis-eventbridge N"
                );
                return ExitCode::from(2);
            }
        };
        for pattern in set {
            println!("{pattern}");
        }
        return ExitCode::SUCCESS;
    }
    let mut seed = 1u64;
    let mut records = false;
    let mut flow = false;
    let mut size = None;
    let mut count = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--seed" => seed = args.next().and_then(|s| s.parse().ok()).unwrap_or(1),
            "--records" => records = true,
            "--flow-logs" => flow = true,
            "--events" => count = args.next().and_then(|n| n.parse::<u64>().ok()),
            other => size = parse_size(other),
        }
    }
    if size.is_none() && count.is_none() {
        eprintln!(
            "usage: gen-events [--seed N] [--records] [--flow-logs] SIZE (e.g. 200M, 1G) | --events N"
        );
        return ExitCode::from(2);
    }
    let (size, count) = (size.unwrap_or(u64::MAX), count.unwrap_or(u64::MAX));
    let mut out = BufWriter::with_capacity(1 << 20, io::stdout().lock());
    let mut cloudtrail = CloudTrail::new(seed);
    let mut flow_logs = FlowLogs::new(seed);
    let mut written = 0u64;
    let mut events = 0u64;
    let mut first = true;
    let result = (|| -> io::Result<()> {
        while written < size && events < count {
            let event = if flow {
                flow_logs.record()
            } else {
                cloudtrail.event()
            };
            let (before, after) = match (records, first) {
                (false, _) => ("", "\n"),
                (true, true) => ("{\"Records\":[", ""),
                (true, false) => (",", ""),
            };
            out.write_all(before.as_bytes())?;
            out.write_all(event.as_bytes())?;
            out.write_all(after.as_bytes())?;
            written += (before.len() + event.len() + after.len()) as u64;
            events += 1;
            first = false;
        }
        if records {
            out.write_all(b"]}")?;
        }
        out.flush()
    })();
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("gen-events: {e}");
            ExitCode::from(1)
        }
    }
}

fn parse_size(text: &str) -> Option<u64> {
    let (digits, unit) = match text.char_indices().find(|(_, c)| !c.is_ascii_digit()) {
        Some((i, _)) => text.split_at(i),
        None => (text, ""),
    };
    let n: u64 = digits.parse().ok()?;
    let unit = match unit {
        "" => 1,
        "K" | "k" => 1 << 10,
        "M" | "m" => 1 << 20,
        "G" | "g" => 1 << 30,
        _ => return None,
    };
    Some(n * unit)
}
