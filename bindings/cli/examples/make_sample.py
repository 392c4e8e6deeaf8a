#!/usr/bin/env python3
"""Writes examples/sample/: one day (2026-11-23 UTC) of CloudTrail activity for one account,
as CloudTrail delivers it to S3 (gzipped `{"Records":[…]}` log files, one per hour here).

Every record is a real one from the project corpus (tests/corpus/cloudtrail/, see
examples/SOURCES.md) replayed at a new time: eventTime, eventID and requestID are new, the
account is 111122223333 and the region us-east-1 everywhere; nothing else is changed. The day:

* background: read and write calls from the stratus-red-team captures, at a rate that rises
  and falls with the working day (about 7,000 records), none of them matched by a CIS filter;
* 09:14-09:18: a burst of unauthorized calls (EC2 `Client.UnauthorizedOperation`, STS
  `AccessDenied`) by one role: CIS 5.1;
* 13:37: a root console sign-in and root API calls: CIS 5.3;
* 17:45: `cloudtrail:StopLogging` by an IAM user: CIS 5.5;
* 21:05-21:24: `ssm:SendCommand` (a write API the account uses a few times an hour) at about
  twelve calls a minute from one user: an unusual API call rate (an Insights anomaly).

Deterministic: the same seed gives the same files byte for byte. Run from the repository root:
`python3 bindings/cli/examples/make_sample.py`.
"""

import gzip
import json
import math
import os
import random
import re
import uuid
from datetime import datetime, timedelta, timezone

ROOT = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.join(ROOT, "..", "..", "..", "tests", "corpus", "cloudtrail")
OUT = os.path.join(ROOT, "sample")
DAY = datetime(2026, 11, 23, tzinfo=timezone.utc)
ACCOUNT = "111122223333"
REGION = "us-east-1"
rng = random.Random(20261123)

# Event names any CIS 7.0 monitoring filter matches, kept out of the background.
CIS_NAMES = {
    "DeleteGroupPolicy", "DeleteRolePolicy", "DeleteUserPolicy", "PutGroupPolicy", "PutRolePolicy",
    "PutUserPolicy", "CreatePolicy", "DeletePolicy", "CreatePolicyVersion", "DeletePolicyVersion",
    "AttachRolePolicy", "DetachRolePolicy", "AttachUserPolicy", "DetachUserPolicy",
    "AttachGroupPolicy", "DetachGroupPolicy", "CreateTrail", "UpdateTrail", "DeleteTrail",
    "StartLogging", "StopLogging", "ConsoleLogin", "DisableKey", "ScheduleKeyDeletion",
    "AuthorizeSecurityGroupIngress", "AuthorizeSecurityGroupEgress", "RevokeSecurityGroupIngress",
    "RevokeSecurityGroupEgress", "CreateSecurityGroup", "DeleteSecurityGroup",
    "ModifySecurityGroupRules", "CreateNetworkAcl", "CreateNetworkAclEntry", "DeleteNetworkAcl",
    "DeleteNetworkAclEntry", "ReplaceNetworkAclEntry", "ReplaceNetworkAclAssociation",
    "CreateCustomerGateway", "DeleteCustomerGateway", "AttachInternetGateway",
    "CreateInternetGateway", "DeleteInternetGateway", "DetachInternetGateway", "CreateRoute",
    "CreateRouteTable", "ReplaceRoute", "ReplaceRouteTableAssociation", "DeleteRouteTable",
    "DeleteRoute", "DisassociateRouteTable", "CreateVpc", "DeleteVpc", "ModifyVpcAttribute",
    "LeaveOrganization", "PutDeliveryChannel", "DeleteDeliveryChannel",
}


def load(name):
    with open(os.path.join(CORPUS, name), encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


stratus = load("stratus-red-team.jsonl")
awsdocs = load("awsdocs-examples.jsonl")
panther = load("panther-analysis.jsonl")


def normalise(record):
    """The record in this sample's account and region (its text, with every 12-digit account
    number and the region name replaced)."""
    text = json.dumps(record, separators=(",", ":"), ensure_ascii=False)
    region = record.get("awsRegion")
    if region and region != REGION:
        text = text.replace(region, REGION)
    text = re.sub(r"(?<![0-9])[0-9]{12}(?![0-9])", ACCOUNT, text)
    return json.loads(text)


def at(record, when):
    r = normalise(record)
    r["eventTime"] = when.strftime("%Y-%m-%dT%H:%M:%SZ")
    r["eventID"] = str(uuid.UUID(int=rng.getrandbits(128), version=4))
    if "requestID" in r:
        r["requestID"] = str(uuid.UUID(int=rng.getrandbits(128), version=4))
    return r


def cis_free(r):
    identity = r.get("userIdentity") or {}
    return (
        not r.get("errorCode")
        and r.get("eventName") not in CIS_NAMES
        and identity.get("type") != "Root"
        and r.get("eventSource") not in ("organizations.amazonaws.com", "config.amazonaws.com")
        and r.get("eventCategory", "Management") == "Management"
    )


background = [r for r in stratus if cis_free(r) and r.get("eventName") != "SendCommand"]
send_command = [r for r in stratus if r.get("eventName") == "SendCommand"]
unauthorized = [
    r for r in stratus if r.get("errorCode") in ("Client.UnauthorizedOperation", "AccessDenied")
    and r.get("eventName") != "LeaveOrganization"
]
stop_logging = [r for r in stratus if r.get("eventName") == "StopLogging"]
root_login = [
    r for r in awsdocs
    if r.get("eventName") == "ConsoleLogin" and (r.get("userIdentity") or {}).get("type") == "Root"
    and (r.get("responseElements") or {}).get("ConsoleLogin") == "Success"
]
root_calls = [
    r for r in awsdocs
    if (r.get("userIdentity") or {}).get("type") == "Root" and r.get("eventName") in
    ("TerminateInstances", "CreateTopic", "GetTopicAttributes")
]
assert background and send_command and unauthorized and stop_logging and root_login and root_calls

records = []


def second(minute):
    return DAY + timedelta(minutes=minute, seconds=rng.randrange(60))


# Background: Poisson arrivals per minute; 1.5 a minute at night, up to 8 in the afternoon.
for minute in range(24 * 60):
    hour = minute / 60
    rate = 1.5 + 6.5 * max(0.0, math.sin(math.pi * (hour - 7) / 12)) ** 2
    # Knuth's Poisson sampler (small rates).
    limit, k, p = math.exp(-rate), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            break
        k += 1
    for _ in range(k):
        records.append(at(rng.choice(background), second(minute)))
    # SendCommand as the account normally uses it: a few times an hour in working hours.
    if 8 * 60 <= minute < 19 * 60 and rng.random() < 0.05:
        records.append(at(rng.choice(send_command), second(minute)))

# 09:14-09:18: unauthorized calls by one role.
for i in range(45):
    records.append(at(rng.choice(unauthorized), DAY + timedelta(hours=9, minutes=14, seconds=6 * i)))

# 13:37: root signs in to the console and makes a few calls.
records.append(at(root_login[0], DAY + timedelta(hours=13, minutes=37, seconds=12)))
for i, call in enumerate(root_calls):
    records.append(at(call, DAY + timedelta(hours=13, minutes=39, seconds=40 + 20 * i)))

# 17:45: CloudTrail logging stopped.
records.append(at(stop_logging[0], DAY + timedelta(hours=17, minutes=45, seconds=30)))

# 21:05-21:24: SendCommand at about twelve calls a minute from one user.
burst_source = send_command[0]
for minute in range(21 * 60 + 5, 21 * 60 + 25):
    for _ in range(10 + rng.randrange(5)):
        records.append(at(burst_source, second(minute)))

records.sort(key=lambda r: r["eventTime"])
os.makedirs(OUT, exist_ok=True)
for name in os.listdir(OUT):
    if name.endswith(".json.gz"):
        os.remove(os.path.join(OUT, name))
for hour in range(24):
    start = DAY + timedelta(hours=hour)
    stamp = start.strftime("%Y%m%dT%H%MZ")
    chunk = [r for r in records if r["eventTime"].startswith(start.strftime("%Y-%m-%dT%H"))]
    body = json.dumps({"Records": chunk}, separators=(",", ":"), ensure_ascii=False).encode()
    suffix = uuid.UUID(int=rng.getrandbits(128)).hex[:16]
    name = f"{ACCOUNT}_CloudTrail_{REGION}_{stamp}_{suffix}.json.gz"
    with open(os.path.join(OUT, name), "wb") as f:
        # mtime=0: the same bytes on every run.
        with gzip.GzipFile(fileobj=f, mode="wb", mtime=0, filename="") as gz:
            gz.write(body)
print(f"{len(records)} records in 24 files under {os.path.relpath(OUT)}")
