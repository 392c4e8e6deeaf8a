//! The pattern sets of the benches, built deterministically, and their EventBridge equivalents
//! for the `quamina` baseline where one exists.

use crate::VPC_FLOW_PATTERNS;
use crate::generate::SERVICES;

const VERBS: &[&str] = &[
    "Describe",
    "List",
    "Get",
    "Create",
    "Delete",
    "Update",
    "Put",
    "Modify",
    "Attach",
    "Detach",
    "Start",
    "Stop",
    "Enable",
    "Disable",
    "Tag",
    "Untag",
    "Associate",
    "Disassociate",
    "Register",
    "Deregister",
    "Import",
    "Export",
    "Copy",
    "Restore",
    "Reset",
];

const NOUNS: &[&str] = &[
    "Instance",
    "Volume",
    "Snapshot",
    "Image",
    "SecurityGroup",
    "Subnet",
    "Vpc",
    "RouteTable",
    "NetworkAcl",
    "InternetGateway",
    "NatGateway",
    "Address",
    "KeyPair",
    "LaunchTemplate",
    "Bucket",
    "Object",
    "BucketPolicy",
    "User",
    "Role",
    "Group",
    "Policy",
    "AccessKey",
    "LoginProfile",
    "Key",
    "Alias",
    "Grant",
    "Trail",
    "EventSelector",
    "Function",
    "Layer",
    "LogGroup",
    "LogStream",
    "MetricFilter",
    "ConfigRule",
    "DeliveryChannel",
    "Secret",
    "Parameter",
    "Document",
    "Stack",
    "ChangeSet",
    "Table",
    "Backup",
    "Cluster",
    "Service",
    "TaskDefinition",
    "Repository",
    "Topic",
    "Subscription",
    "Queue",
    "Distribution",
    "HostedZone",
    "Certificate",
    "LoadBalancer",
    "TargetGroup",
    "Listener",
    "Rule",
    "Alarm",
    "Dashboard",
    "Detector",
    "Finding",
    "Organization",
    "Account",
    "Domain",
    "Pipeline",
];

const QUALIFIERS: &[&str] = &[
    "",
    "s",
    "Attribute",
    "Tags",
    "Configuration",
    "Status",
    "Settings",
    "Association",
];

/// Every name [`event_names`] gives, in order: the real ones (those of [`SERVICES`]), then
/// made-up but plausible `VerbNounQualifier` names, all distinct; and how many are real.
fn all_names() -> &'static (Vec<String>, usize) {
    static NAMES: std::sync::OnceLock<(Vec<String>, usize)> = std::sync::OnceLock::new();
    NAMES.get_or_init(|| {
        let mut names: Vec<String> = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for (_, _, list) in SERVICES {
            for name in *list {
                if seen.insert(name.to_string()) {
                    names.push(name.to_string());
                }
            }
        }
        let real = names.len();
        for qualifier in QUALIFIERS {
            for noun in NOUNS {
                for verb in VERBS {
                    let name = format!("{verb}{noun}{qualifier}");
                    if seen.insert(name.clone()) {
                        names.push(name);
                    }
                }
            }
        }
        (names, real)
    })
}

/// The made-up names of [`all_names`] that are no part of a real one: no generated event is a
/// call of one, nor of a call whose name holds one.
fn all_made_up() -> &'static [String] {
    static MADE_UP: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
    MADE_UP.get_or_init(|| {
        let (names, real) = all_names();
        let (real, made_up) = names.split_at(*real);
        made_up
            .iter()
            .filter(|name| !real.iter().any(|r| r.contains(name.as_str())))
            .cloned()
            .collect()
    })
}

/// The first `n` names: real event names, then made-up ones. Panics past [`largest`]`("exact")`.
pub fn event_names(n: usize) -> Vec<String> {
    first(&all_names().0, n, "event names")
}

/// The first `n` made-up names that are no part of a real one ([`all_made_up`]).
fn made_up_names(n: usize) -> Vec<String> {
    first(all_made_up(), n, "made-up names")
}

/// The first `n` of `names`; panics, naming `what` they are, when there are fewer.
fn first(names: &[String], n: usize, what: &str) -> Vec<String> {
    assert!(
        n <= names.len(),
        "not enough {what}: {n} of {}",
        names.len()
    );
    names.iter().take(n).cloned().collect()
}

/// The largest `n` the set `kind` of this module can be built with, for those built from
/// [`event_names`] (`exact`, `terms`, `exact-same-matches`, `terms-same-matches`); `None` for
/// other kinds.
pub fn largest(kind: &str) -> Option<usize> {
    let names = all_names().0.len();
    let made_up = all_made_up().len();
    match kind {
        "exact" => Some(names),
        "terms" => Some(names.saturating_sub(10) / 2),
        "exact-same-matches" => Some(made_up + 10),
        "terms-same-matches" => Some(made_up.saturating_sub(10) / 2 + 10),
        _ => None,
    }
}

/// `n` patterns `{ $.eventName = "Name" }`.
pub fn exact(n: usize) -> Vec<String> {
    exact_of(&event_names(n))
}

fn exact_of(names: &[String]) -> Vec<String> {
    names
        .iter()
        .map(|name| format!("{{ $.eventName = \"{name}\" }}"))
        .collect()
}

/// `exact(10)`, then `n - 10` patterns of made-up names (`exact(n)` for `n` up to 10): as many
/// patterns as `exact(n)`, and the matches of `exact(10)`. In `exact(n)` the share of events that
/// match grows with `n` (every generated event is a call of one of the 139 real names, the first
/// ones), and a matching event is read whole; with this set only the number of patterns grows.
pub fn exact_same_matches(n: usize) -> Vec<String> {
    let mut patterns = exact(n.min(10));
    patterns.extend(exact_of(&made_up_names(n.saturating_sub(10))));
    patterns
}

/// The EventBridge patterns of [`exact`]: `{"eventName":["Name"]}`.
pub fn exact_eventbridge(n: usize) -> Vec<String> {
    event_names(n)
        .iter()
        .map(|name| format!("{{\"eventName\":[\"{name}\"]}}"))
        .collect()
}

/// `n` EventBridge rules built on `anything-but` lists, in two shapes taken in turn over
/// [`SERVICES`]: `{"eventSource": [service], "eventName": [{"anything-but": [two of its
/// names]}]}` (every call of a service but two), and `{"eventName": [a name], "eventSource":
/// [{"anything-but": [another service]}]}` (a name called through any other service). The
/// `quamina` crate takes string lists in `anything-but`, so both engines run the same rules.
pub fn anything_but_eventbridge(n: usize) -> Vec<String> {
    (0..n)
        .map(|i| {
            let (source, _, names) = SERVICES[i % SERVICES.len()];
            let round = i / SERVICES.len();
            let name = |k: usize| names[(round + k) % names.len()];
            if i % 2 == 0 {
                format!(
                    r#"{{"eventSource":["{source}"],"eventName":[{{"anything-but":["{}","{}"]}}]}}"#,
                    name(0),
                    name(1)
                )
            } else {
                let (other, _, _) = SERVICES[(i + 1) % SERVICES.len()];
                format!(
                    r#"{{"eventName":["{}"],"eventSource":[{{"anything-but":["{other}"]}}]}}"#,
                    name(0)
                )
            }
        })
        .collect()
}

/// A glob on a string field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Glob {
    Prefix,
    Suffix,
    Contains,
}

/// `(field, glob kind, the literal parts)`.
fn wildcards(n: usize) -> Vec<(&'static str, Glob, String)> {
    let mut out: Vec<(&'static str, Glob, String)> = vec![
        ("eventName", Glob::Prefix, "Describe".into()),
        ("eventName", Glob::Prefix, "List".into()),
        ("eventName", Glob::Prefix, "Delete".into()),
        ("eventName", Glob::Suffix, "Policy".into()),
        ("eventName", Glob::Contains, "Bucket".into()),
        ("eventName", Glob::Contains, "SecurityGroup".into()),
        ("errorCode", Glob::Prefix, "AccessDenied".into()),
        ("errorCode", Glob::Suffix, "UnauthorizedOperation".into()),
        ("userAgent", Glob::Contains, "aws-cli".into()),
        ("sourceIPAddress", Glob::Prefix, "10.".into()),
        ("eventSource", Glob::Suffix, ".amazonaws.com".into()),
    ];
    let mut i = 0usize;
    while out.len() < n {
        let verb = VERBS[i % VERBS.len()];
        let noun = NOUNS[(i / VERBS.len()) % NOUNS.len()];
        let qualifier = QUALIFIERS[(i / (VERBS.len() * NOUNS.len())) % QUALIFIERS.len()];
        let entry = match i % 3 {
            0 => (Glob::Prefix, format!("{verb}{noun}")),
            1 => (Glob::Suffix, format!("{noun}{qualifier}")),
            _ => (Glob::Contains, format!("{verb}{noun}{qualifier}")),
        };
        i += 1;
        if !out
            .iter()
            .any(|(f, g, a)| *f == "eventName" && (*g, a) == (entry.0, &entry.1))
        {
            out.push(("eventName", entry.0, entry.1));
        }
    }
    out
}

/// `n` glob patterns: a few common real ones (`Describe*`, `*Policy`, `*Bucket*`,
/// `AccessDenied*` …), then prefix, suffix and contains globs on `eventName` (`*` is a wildcard
/// only as the first or last character).
pub fn wildcard(n: usize) -> Vec<String> {
    wildcards(n)
        .into_iter()
        .map(|(field, glob, a)| {
            let value = match glob {
                Glob::Prefix => format!("{a}*"),
                Glob::Suffix => format!("*{a}"),
                Glob::Contains => format!("*{a}*"),
            };
            format!("{{ $.{field} = \"{value}\" }}")
        })
        .collect()
}

/// The EventBridge patterns of [`wildcard`]: `prefix`, `suffix` and `wildcard`.
pub fn wildcard_eventbridge(n: usize) -> Vec<String> {
    wildcards(n)
        .into_iter()
        .map(|(field, glob, a)| {
            let matcher = match glob {
                Glob::Prefix => format!("{{\"prefix\":\"{a}\"}}"),
                Glob::Suffix => format!("{{\"suffix\":\"{a}\"}}"),
                Glob::Contains => format!("{{\"wildcard\":\"*{a}*\"}}"),
            };
            format!("{{\"{field}\":[{matcher}]}}")
        })
        .collect()
}

/// `n` term patterns over words found in CloudTrail events: one term, `?a ?b`, `a -b`, a quoted
/// phrase with a term, two terms.
pub fn terms(n: usize) -> Vec<String> {
    terms_of(&event_names(2 * n + 10), n)
}

/// `terms(10)`, then `n - 10` patterns of the same shapes over made-up names (`terms(n)` for `n`
/// up to 10): as many patterns as `terms(n)`, with nearly the matches of `terms(10)` (a made-up
/// name may still occur in some event's text), where in `terms(n)` more names that events hold
/// come with more patterns.
pub fn terms_same_matches(n: usize) -> Vec<String> {
    let rest = n.saturating_sub(10);
    let mut patterns = terms(n.min(10));
    patterns.extend(terms_of(&made_up_names(2 * rest + 10), rest));
    patterns
}

/// The `n` patterns of [`terms`] over `words` (at least `2 * n + 10` of them).
fn terms_of(words: &[String], n: usize) -> Vec<String> {
    (0..n)
        .map(|i| {
            let a = &words[i];
            let b = &words[2 * n + 9 - i];
            match i % 5 {
                0 => a.clone(),
                1 => format!("?{a} ?{b}"),
                2 => format!("{a} -{b}"),
                3 => format!("\"{a}\" AccessDenied"),
                _ => format!("{a} amazonaws"),
            }
        })
        .collect()
}

/// Regex patterns: `%regex%` terms and JSON conditions with a regex value.
pub fn regex() -> Vec<String> {
    [
        r"%AccessDenied|UnauthorizedOperation%",
        r"%i-[0-9a-f]{8,17}%",
        r"%arn:aws:iam::\d{12}:role/%",
        r"%\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}%",
        r"{ $.eventName = %^Create|^Delete% }",
        r"{ $.eventName = %^Describe[A-Z][a-z]+s$% }",
        r"{ $.sourceIPAddress = %^10\.% }",
        r"{ $.userAgent = %aws-cli/2\.% }",
        r"{ $.eventTime = %^2024-0[1-6]-% }",
        r"{ $.awsRegion = %^us-|^eu-% }",
        r"{ $.eventSource = %^s3\.|^kms\.% }",
        r"{ $.errorCode = %Exception$% }",
        r"{ $.errorMessage = %not authorized% }",
        r"{ $.recipientAccountId = %^1{2}% }",
        r"{ $.eventName = %Policy$% && $.errorCode = %^AccessDenied% }",
        r"{ $.userIdentity.arn = %:assumed-role/[A-Za-z0-9_-]+/% }",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

/// The VPC flow-log space-delimited patterns of the AWS documentation (`data/`), then made-up
/// variants on the same 14 fields, `n` in all.
pub fn vpc(n: usize) -> Vec<String> {
    let mut out: Vec<String> = VPC_FLOW_PATTERNS
        .lines()
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect();
    let ports = [
        22u16, 80, 443, 3389, 8080, 53, 3306, 5432, 123, 25, 9200, 6379,
    ];
    let mut i = 0usize;
    while out.len() < n {
        let port = ports[i % ports.len()];
        let net = i / ports.len();
        let (src, dst, proto, bytes, action) = match i % 4 {
            0 => (
                format!(" = 10.{}.*", net % 4),
                String::new(),
                "",
                "",
                " = REJECT",
            ),
            1 => (
                String::new(),
                format!(" = 172.31.{}.*", net % 64),
                " = 6",
                "",
                "",
            ),
            2 => (String::new(), String::new(), " = 17", " >= 1000", ""),
            _ => (String::new(), String::new(), "", " > 50000", " = ACCEPT"),
        };
        out.push(format!(
            "[version, accountid, interfaceid, srcaddr{src}, dstaddr{dst}, srcport, \
             dstport = {port}, protocol{proto}, packets, bytes{bytes}, start, end, \
             action{action}, logstatus]"
        ));
        i += 1;
    }
    out.truncate(n);
    out
}

/// The one selective filter of the comparisons (`benches/compare.sh`): unauthorized calls.
pub const SELECTIVE: &str =
    r#"{ ($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied*") }"#;

/// [`SELECTIVE`] as EventBridge patterns with one id: a `suffix` and a `prefix`.
pub fn selective_eventbridge() -> Vec<(usize, String)> {
    vec![
        (
            0,
            r#"{"errorCode":[{"suffix":"UnauthorizedOperation"}]}"#.into(),
        ),
        (0, r#"{"errorCode":[{"prefix":"AccessDenied"}]}"#.into()),
    ]
}

/// The CIS filters as one EventBridge event pattern each, in the order of `cis()`: the
/// patterns of [`cis_eventbridge`] that share an id joined with `$or` (for `trailmatch grep
/// --eventbridge -f`, whose counts are then per CIS filter, as quamina's are per id).
pub fn cis_eventbridge_joined() -> Vec<String> {
    let mut joined: Vec<Vec<String>> = Vec::new();
    for (id, pattern) in cis_eventbridge() {
        if joined.len() <= id {
            joined.resize(id + 1, Vec::new());
        }
        joined[id].push(pattern);
    }
    joined
        .into_iter()
        .map(|mut alternatives| match alternatives.len() {
            1 => alternatives.remove(0),
            _ => format!("{{\"$or\":[{}]}}", alternatives.join(",")),
        })
        .collect()
}

/// EventBridge equivalents of the 14 CIS patterns, as `(CIS pattern index, pattern)`; several
/// patterns with the same index are alternatives (`||`). Every CIS pattern has one: `!=` is
/// `anything-but` (both need the field to be present), `NOT EXISTS` is `"exists": false`,
/// globs are `prefix` / `suffix`, and `A || B && C && D` (where `&&` binds tighter) is two
/// patterns.
pub fn cis_eventbridge() -> Vec<(usize, String)> {
    let names = |names: &[&str]| -> String {
        let quoted: Vec<String> = names.iter().map(|n| format!("\"{n}\"")).collect();
        format!("[{}]", quoted.join(","))
    };
    vec![
        (0, r#"{"errorCode":[{"suffix":"UnauthorizedOperation"}]}"#.into()),
        (
            0,
            r#"{"errorCode":[{"prefix":"AccessDenied"}],"sourceIPAddress":[{"anything-but":["delivery.logs.amazonaws.com"]}],"eventName":[{"anything-but":["HeadBucket"]}]}"#.into(),
        ),
        (
            1,
            r#"{"eventName":["ConsoleLogin"],"additionalEventData":{"MFAUsed":[{"anything-but":["Yes"]}]},"userIdentity":{"type":["IAMUser"]},"responseElements":{"ConsoleLogin":["Success"]}}"#.into(),
        ),
        (
            2,
            r#"{"userIdentity":{"type":["Root"],"invokedBy":[{"exists":false}]},"eventType":[{"anything-but":["AwsServiceEvent"]}]}"#.into(),
        ),
        (
            3,
            format!(
                "{{\"eventName\":{}}}",
                names(&[
                    "DeleteGroupPolicy", "DeleteRolePolicy", "DeleteUserPolicy", "PutGroupPolicy",
                    "PutRolePolicy", "PutUserPolicy", "CreatePolicy", "DeletePolicy",
                    "CreatePolicyVersion", "DeletePolicyVersion", "AttachRolePolicy",
                    "DetachRolePolicy", "AttachUserPolicy", "DetachUserPolicy",
                    "AttachGroupPolicy", "DetachGroupPolicy",
                ])
            ),
        ),
        (
            4,
            format!(
                "{{\"eventName\":{}}}",
                names(&["CreateTrail", "UpdateTrail", "DeleteTrail", "StartLogging", "StopLogging"])
            ),
        ),
        (
            5,
            r#"{"eventName":["ConsoleLogin"],"errorMessage":["Failed authentication"]}"#.into(),
        ),
        (
            6,
            format!(
                "{{\"eventSource\":[\"kms.amazonaws.com\"],\"eventName\":{}}}",
                names(&["DisableKey", "ScheduleKeyDeletion"])
            ),
        ),
        (
            7,
            format!(
                "{{\"eventSource\":[\"s3.amazonaws.com\"],\"eventName\":{}}}",
                names(&[
                    "PutBucketAcl", "PutBucketPolicy", "PutBucketCors", "PutBucketLifecycle",
                    "PutBucketReplication", "DeleteBucketPolicy", "DeleteBucketCors",
                    "DeleteBucketLifecycle", "DeleteBucketReplication",
                ])
            ),
        ),
        (
            8,
            format!(
                "{{\"eventSource\":[\"config.amazonaws.com\"],\"eventName\":{}}}",
                names(&[
                    "StopConfigurationRecorder", "DeleteDeliveryChannel", "PutDeliveryChannel",
                    "PutConfigurationRecorder",
                ])
            ),
        ),
        (
            9,
            format!(
                "{{\"eventName\":{}}}",
                names(&[
                    "AuthorizeSecurityGroupIngress", "AuthorizeSecurityGroupEgress",
                    "RevokeSecurityGroupIngress", "RevokeSecurityGroupEgress",
                    "CreateSecurityGroup", "DeleteSecurityGroup", "ModifySecurityGroupRules",
                ])
            ),
        ),
        (
            10,
            format!(
                "{{\"eventName\":{}}}",
                names(&[
                    "CreateNetworkAcl", "CreateNetworkAclEntry", "DeleteNetworkAcl",
                    "DeleteNetworkAclEntry", "ReplaceNetworkAclEntry",
                    "ReplaceNetworkAclAssociation",
                ])
            ),
        ),
        (
            11,
            format!(
                "{{\"eventName\":{}}}",
                names(&[
                    "CreateCustomerGateway", "DeleteCustomerGateway", "AttachInternetGateway",
                    "CreateInternetGateway", "DeleteInternetGateway", "DetachInternetGateway",
                ])
            ),
        ),
        (
            12,
            format!(
                "{{\"eventName\":{}}}",
                names(&[
                    "CreateRoute", "CreateRouteTable", "ReplaceRoute",
                    "ReplaceRouteTableAssociation", "DeleteRouteTable", "DeleteRoute",
                    "DisassociateRouteTable",
                ])
            ),
        ),
        (
            13,
            format!(
                "{{\"eventName\":{}}}",
                names(&[
                    "CreateVpc", "DeleteVpc", "ModifyVpcAttribute", "AcceptVpcPeeringConnection",
                    "CreateVpcPeeringConnection", "DeleteVpcPeeringConnection",
                    "RejectVpcPeeringConnection", "AttachClassicLinkVpc", "DetachClassicLinkVpc",
                    "DisableVpcClassicLink", "EnableVpcClassicLink",
                ])
            ),
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use trailmatch::PatternSet;

    #[test]
    fn sets_have_the_sizes_asked_and_compile() {
        for n in [1, 10, 100, 1000, 10_000] {
            let set = exact(n);
            assert_eq!(set.len(), n);
            assert_eq!(exact_eventbridge(n).len(), n);
            PatternSet::new(&set).unwrap();
        }
        for n in [100, 1000] {
            let set = wildcard(n);
            assert_eq!(set.len(), n);
            let distinct: std::collections::HashSet<_> = set.iter().collect();
            assert_eq!(distinct.len(), n, "distinct wildcard patterns");
            PatternSet::new(&set).unwrap();
        }
        for n in [10, 1000] {
            let set = terms(n);
            assert_eq!(set.len(), n);
            PatternSet::new(&set).unwrap();
        }
        PatternSet::new(regex()).unwrap();
        let vpc = vpc(100);
        assert_eq!(vpc.len(), 100);
        PatternSet::new(&vpc).unwrap();
        assert_eq!(cis_eventbridge().last().unwrap().0, 13);
    }
}
