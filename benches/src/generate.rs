//! Seeded generators that mutate the real records in `data/` into as many realistic events as a
//! bench needs. Same seed, same events, on every machine (no `rand`: a SplitMix64 generator).

use crate::{CLOUDTRAIL_200, VPC_FLOW_LOGS};

/// SplitMix64: small, fast and good enough to vary benchmark inputs.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`n > 0`).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    /// True with probability `percent / 100`.
    pub fn percent(&mut self, percent: u64) -> bool {
        self.next_u64() % 100 < percent
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// AWS services with a relative weight (how often they appear in a typical management-event
/// trail) and real event names, the read-only ones first and most frequent.
pub const SERVICES: &[(&str, u32, &[&str])] = &[
    (
        "ec2.amazonaws.com",
        30,
        &[
            "DescribeInstances",
            "DescribeInstanceStatus",
            "DescribeVolumes",
            "DescribeSnapshots",
            "DescribeSecurityGroups",
            "DescribeSubnets",
            "DescribeVpcs",
            "DescribeNetworkInterfaces",
            "DescribeImages",
            "DescribeRouteTables",
            "DescribeAddresses",
            "DescribeKeyPairs",
            "RunInstances",
            "StartInstances",
            "StopInstances",
            "TerminateInstances",
            "CreateTags",
            "DeleteTags",
            "CreateVolume",
            "AttachVolume",
            "CreateSnapshot",
            "GetPasswordData",
            "AuthorizeSecurityGroupIngress",
            "AuthorizeSecurityGroupEgress",
            "RevokeSecurityGroupIngress",
            "CreateSecurityGroup",
            "DeleteSecurityGroup",
            "ModifySecurityGroupRules",
            "CreateNetworkAclEntry",
            "ReplaceNetworkAclEntry",
            "CreateRoute",
            "ReplaceRoute",
            "CreateVpc",
            "ModifyVpcAttribute",
            "CreateInternetGateway",
            "AttachInternetGateway",
            "ModifyInstanceAttribute",
        ],
    ),
    (
        "s3.amazonaws.com",
        20,
        &[
            "GetObject",
            "PutObject",
            "HeadObject",
            "ListObjects",
            "ListBuckets",
            "HeadBucket",
            "GetBucketAcl",
            "GetBucketPolicy",
            "GetBucketLocation",
            "GetBucketVersioning",
            "GetBucketEncryption",
            "DeleteObject",
            "CreateBucket",
            "DeleteBucket",
            "PutBucketAcl",
            "PutBucketPolicy",
            "PutBucketCors",
            "PutBucketLifecycle",
            "PutBucketReplication",
            "DeleteBucketPolicy",
            "PutBucketPublicAccessBlock",
        ],
    ),
    (
        "iam.amazonaws.com",
        10,
        &[
            "GetUser",
            "GetRole",
            "ListRoles",
            "ListUsers",
            "ListPolicies",
            "GetPolicy",
            "GetPolicyVersion",
            "ListAttachedRolePolicies",
            "ListAccessKeys",
            "CreateUser",
            "CreateAccessKey",
            "DeleteAccessKey",
            "CreateRole",
            "AttachRolePolicy",
            "DetachRolePolicy",
            "PutRolePolicy",
            "PutUserPolicy",
            "DeleteRolePolicy",
            "CreatePolicy",
            "CreatePolicyVersion",
            "AttachUserPolicy",
            "UpdateAssumeRolePolicy",
            "CreateLoginProfile",
        ],
    ),
    (
        "sts.amazonaws.com",
        12,
        &[
            "AssumeRole",
            "GetCallerIdentity",
            "GetSessionToken",
            "AssumeRoleWithWebIdentity",
            "AssumeRoleWithSAML",
            "GetFederationToken",
        ],
    ),
    (
        "kms.amazonaws.com",
        8,
        &[
            "Decrypt",
            "Encrypt",
            "GenerateDataKey",
            "DescribeKey",
            "ListKeys",
            "ListAliases",
            "CreateKey",
            "DisableKey",
            "ScheduleKeyDeletion",
            "CreateGrant",
        ],
    ),
    (
        "signin.amazonaws.com",
        2,
        &["ConsoleLogin", "CheckMfa", "SwitchRole", "RenewRole"],
    ),
    (
        "cloudtrail.amazonaws.com",
        2,
        &[
            "LookupEvents",
            "DescribeTrails",
            "GetTrailStatus",
            "CreateTrail",
            "UpdateTrail",
            "DeleteTrail",
            "StartLogging",
            "StopLogging",
            "PutEventSelectors",
        ],
    ),
    (
        "lambda.amazonaws.com",
        5,
        &[
            "ListFunctions20150331",
            "GetFunction20150331v2",
            "Invoke",
            "CreateFunction20150331",
            "UpdateFunctionCode20150331v2",
            "AddPermission20150331v2",
        ],
    ),
    (
        "logs.amazonaws.com",
        4,
        &[
            "DescribeLogGroups",
            "DescribeLogStreams",
            "GetLogEvents",
            "FilterLogEvents",
            "CreateLogStream",
            "PutMetricFilter",
            "DeleteLogGroup",
        ],
    ),
    (
        "config.amazonaws.com",
        1,
        &[
            "DescribeConfigRules",
            "PutEvaluations",
            "StopConfigurationRecorder",
            "DeleteDeliveryChannel",
            "PutDeliveryChannel",
            "PutConfigurationRecorder",
        ],
    ),
    (
        "secretsmanager.amazonaws.com",
        3,
        &[
            "GetSecretValue",
            "ListSecrets",
            "DescribeSecret",
            "CreateSecret",
            "PutSecretValue",
        ],
    ),
    (
        "ssm.amazonaws.com",
        3,
        &[
            "GetParameter",
            "GetParameters",
            "DescribeInstanceInformation",
            "StartSession",
            "SendCommand",
        ],
    ),
];

/// Error codes, AccessDenied-like ones most often, as in real trails.
const ERROR_CODES: &[(&str, &str)] = &[
    (
        "AccessDenied",
        "User is not authorized to perform this operation",
    ),
    ("AccessDenied", "Access Denied"),
    (
        "Client.UnauthorizedOperation",
        "You are not authorized to perform this operation.",
    ),
    (
        "AccessDeniedException",
        "User is not authorized to perform: kms:Decrypt",
    ),
    ("ThrottlingException", "Rate exceeded"),
    (
        "NoSuchEntityException",
        "The role with name example cannot be found.",
    ),
    ("NoSuchBucket", "The specified bucket does not exist"),
    ("ResourceNotFoundException", "Requested resource not found"),
    (
        "Client.InvalidInstanceID.NotFound",
        "The instance ID does not exist",
    ),
    ("ValidationException", "1 validation error detected"),
];

const REGIONS: &[&str] = &[
    "us-east-1",
    "us-east-1",
    "us-east-1",
    "us-west-2",
    "us-west-2",
    "eu-west-1",
    "eu-central-1",
    "ap-southeast-2",
    "ap-northeast-1",
    "sa-east-1",
];

const USER_AGENTS: &[&str] = &[
    "aws-cli/2.15.30 Python/3.11.8 Linux/6.1.79 exe/x86_64.amzn.2023 prompt/off command/ec2.describe-instances",
    "Boto3/1.34.69 md/Botocore#1.34.69 ua/2.0 os/linux#5.10.213 md/arch#x86_64 lang/python#3.12.2 cfg/retry-mode#legacy Botocore/1.34.69",
    "console.amazonaws.com",
    "signin.amazonaws.com",
    "aws-sdk-go-v2/1.25.2 os/linux lang/go#1.22.1 md/GOOS#linux md/GOARCH#amd64 api/ec2#1.149.1",
    "APN/1.0 HashiCorp/1.0 Terraform/1.7.5 (+https://www.terraform.io) terraform-provider-aws/5.42.0",
    "AWS Internal",
    "cloudformation.amazonaws.com",
];

const SERVICE_CALLERS: &[&str] = &[
    "cloudformation.amazonaws.com",
    "lambda.amazonaws.com",
    "ec2.amazonaws.com",
    "AWS Internal",
    "delivery.logs.amazonaws.com",
];

/// Makes CloudTrail events from the 200 real records: each is a record picked at random with its
/// `eventSource` and `eventName` replaced by a pair from [`SERVICES`] (weighted), fresh
/// `eventID`, `requestID`, `eventTime`, `sourceIPAddress`, `awsRegion`, `recipientAccountId` and
/// `userAgent` values, and sometimes an error: 10% of the events have an `errorCode` and
/// `errorMessage` (added or replaced). Key order and everything else stay as in the record.
#[derive(Debug, Clone)]
pub struct CloudTrail {
    rng: Rng,
    bases: Vec<&'static str>,
    weights: u32,
}

impl CloudTrail {
    pub fn new(seed: u64) -> CloudTrail {
        CloudTrail {
            rng: Rng::new(seed),
            bases: CLOUDTRAIL_200.lines().filter(|l| !l.is_empty()).collect(),
            weights: SERVICES.iter().map(|s| s.1).sum(),
        }
    }

    /// The next event, one line of compact JSON.
    pub fn event(&mut self) -> String {
        let rng = &mut self.rng;
        let mut event = (*rng.pick(&self.bases)).to_owned();
        let mut w = rng.below(self.weights as usize) as u32;
        let (source, _, names) = SERVICES
            .iter()
            .find(|s| {
                if w < s.1 {
                    true
                } else {
                    w -= s.1;
                    false
                }
            })
            .unwrap_or(&SERVICES[0]);
        // Read-only calls (the first names of each list) are the most frequent.
        let name = if rng.percent(70) {
            names[rng.below(names.len().min(6))]
        } else {
            *rng.pick(names)
        };
        set_string(&mut event, "eventSource", source);
        set_string(&mut event, "eventName", name);
        let id = uuid(rng);
        set_string(&mut event, "eventID", &id);
        let id = uuid(rng);
        set_string(&mut event, "requestID", &id);
        let time = format!(
            "2024-{:02}-{:02}T{:02}:{:02}:{:02}Z",
            1 + rng.below(12),
            1 + rng.below(28),
            rng.below(24),
            rng.below(60),
            rng.below(60)
        );
        set_string(&mut event, "eventTime", &time);
        let ip = if rng.percent(85) {
            let a = *rng.pick(&[3u8, 18, 34, 52, 54, 81, 10, 172, 192, 203]);
            format!(
                "{a}.{}.{}.{}",
                rng.below(256),
                rng.below(256),
                1 + rng.below(254)
            )
        } else {
            (*rng.pick(SERVICE_CALLERS)).to_owned()
        };
        set_string(&mut event, "sourceIPAddress", &ip);
        let region = *rng.pick::<&str>(REGIONS);
        set_string(&mut event, "awsRegion", region);
        let account = format!("{:012}", rng.next_u64() % 1_000_000_000_000);
        set_string(&mut event, "recipientAccountId", &account);
        let agent = *rng.pick::<&str>(USER_AGENTS);
        set_string(&mut event, "userAgent", agent);
        let has_error = event.contains("\"errorCode\":\"");
        if has_error || rng.percent(10) {
            let (code, message) = *rng.pick(ERROR_CODES);
            if has_error {
                set_string(&mut event, "errorCode", code);
                set_string(&mut event, "errorMessage", message);
            } else if let Some(at) = event.find("\"eventName\":") {
                event.insert_str(
                    at,
                    &format!("\"errorCode\":\"{code}\",\"errorMessage\":\"{message}\","),
                );
            }
        }
        event
    }

    /// `n` events.
    pub fn events(&mut self, n: usize) -> Vec<String> {
        (0..n).map(|_| self.event()).collect()
    }
}

fn uuid(rng: &mut Rng) -> String {
    let a = rng.next_u64();
    let b = rng.next_u64();
    format!(
        "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
        a >> 32,
        (a >> 16) & 0xffff,
        a & 0xfff,
        0x8000 | (b >> 48) & 0x3fff,
        b & 0xffff_ffff_ffff
    )
}

/// Replaces the string value of the first `"key":"…"` in `json` by `value` (plain ASCII without
/// quotes or backslashes). Does nothing when the key is missing or its value is not a string.
pub fn set_string(json: &mut String, key: &str, value: &str) {
    let needle = format!("\"{key}\":\"");
    let Some(at) = json.find(&needle) else {
        return;
    };
    let start = at + needle.len();
    let bytes = json.as_bytes();
    let mut i = start;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            b'"' => break,
            _ => i += 1,
        }
    }
    if i < bytes.len() {
        json.replace_range(start..i, value);
    }
}

/// Makes VPC flow-log records (default format, version 2) from the real ones in `data/`: a
/// record picked at random keeps its account and interface but gets new addresses, ports,
/// protocol, packets, bytes, window and action; NODATA / SKIPDATA records stay as they are.
#[derive(Debug, Clone)]
pub struct FlowLogs {
    rng: Rng,
    bases: Vec<&'static str>,
}

impl FlowLogs {
    pub fn new(seed: u64) -> FlowLogs {
        FlowLogs {
            rng: Rng::new(seed),
            bases: VPC_FLOW_LOGS.lines().filter(|l| !l.is_empty()).collect(),
        }
    }

    pub fn record(&mut self) -> String {
        let rng = &mut self.rng;
        let base = *rng.pick(&self.bases);
        let fields: Vec<&str> = base.split(' ').collect();
        if fields.len() != 14 || fields[3] == "-" || rng.percent(50) && fields[3].contains(':') {
            return base.to_owned();
        }
        let addr = |rng: &mut Rng| -> String {
            match rng.below(4) {
                0 => format!(
                    "10.{}.{}.{}",
                    rng.below(4),
                    rng.below(256),
                    1 + rng.below(254)
                ),
                1 => format!("172.31.{}.{}", rng.below(64), 1 + rng.below(254)),
                2 => format!("192.168.{}.{}", rng.below(4), 1 + rng.below(254)),
                _ => format!(
                    "{}.{}.{}.{}",
                    *rng.pick(&[3u8, 52, 54, 81, 198, 203]),
                    rng.below(256),
                    rng.below(256),
                    1 + rng.below(254)
                ),
            }
        };
        let (src, dst) = (addr(rng), addr(rng));
        let well_known = [22u16, 80, 443, 3389, 8080, 53, 3306, 5432, 123, 25];
        let dstport = if rng.percent(80) {
            *rng.pick(&well_known)
        } else {
            1024 + rng.below(64_000) as u16
        };
        let srcport = 1024 + rng.below(64_000);
        let protocol = match rng.below(20) {
            0 => 1,
            1..=3 => 17,
            _ => 6,
        };
        let packets = 1 + rng.below(200);
        let bytes = packets * (40 + rng.below(1460));
        let start = 1_700_000_000 + rng.below(30_000_000);
        let end = start + 30 + rng.below(60);
        let action = if rng.percent(20) { "REJECT" } else { "ACCEPT" };
        format!(
            "{} {} {} {src} {dst} {srcport} {dstport} {protocol} {packets} {bytes} {start} {end} \
             {action} OK",
            fields[0], fields[1], fields[2]
        )
    }

    pub fn records(&mut self, n: usize) -> Vec<String> {
        (0..n).map(|_| self.record()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cloudtrail_events_are_json_objects_and_reproducible() {
        let a = CloudTrail::new(7).events(2000);
        assert_eq!(a, CloudTrail::new(7).events(2000));
        assert_ne!(a, CloudTrail::new(8).events(2000));
        let mut errors = 0;
        let mut names = std::collections::BTreeSet::new();
        for event in &a {
            let value: serde_json::Value = serde_json::from_str(event).unwrap();
            assert!(value.is_object());
            errors += usize::from(value.get("errorCode").is_some());
            if let Some(name) = value.get("eventName").and_then(|v| v.as_str()) {
                names.insert(name.to_owned());
            }
        }
        assert!((150..600).contains(&errors), "{errors} errors");
        assert!(names.len() > 80, "{} names", names.len());
    }

    #[test]
    fn set_string_replaces_only_a_string_value() {
        let mut json = r#"{"a":"x\"y","b":1,"c":"z"}"#.to_owned();
        set_string(&mut json, "a", "new");
        set_string(&mut json, "b", "no");
        set_string(&mut json, "missing", "no");
        assert_eq!(json, r#"{"a":"new","b":1,"c":"z"}"#);
    }

    #[test]
    fn flow_log_records_have_14_fields() {
        let records = FlowLogs::new(1).records(1000);
        assert_eq!(records, FlowLogs::new(1).records(1000));
        assert!(records.iter().all(|r| r.split(' ').count() == 14));
        assert!(records.iter().any(|r| r.contains("REJECT")));
    }
}
