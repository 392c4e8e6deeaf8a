//! The monitoring controls of the CIS AWS Foundations Benchmark (version 7.0, section 5: each
//! a CloudTrail metric filter with an alarm on its metric).
//!
//! Patterns are the benchmark's own text as prowler-cloud/prowler transcribes it
//! (`prowler/compliance/aws/cis_7.0_aws.json`, commit 3e000faa3109230b748e4418a13c11c9e59f5cfb,
//! Apache-2.0), one change: 5.6 quotes `"Failed authentication"` as CIS 1.4–3.0 did — the 4.0–7.0
//! text writes it unquoted, which is not a valid pattern (a JSON value with a blank must be
//! quoted). 5.2 is the benchmark's first form; it also offers a narrower one for accounts using
//! single sign-on (`… && ($.userIdentity.type = IAMUser) && ($.responseElements.ConsoleLogin =
//! Success)`). Names follow the benchmark's remediation text (metric
//! `<unauthorized_api_calls_metric>` in namespace `CISBenchmark`, alarm
//! `<unauthorized_api_calls_alarm>`), the filter's and the alarm's prefixed with their control
//! (`CIS-5.1-unauthorized_api_calls_alarm`), and so does each alarm: `Sum` over 300 seconds, one
//! evaluation period, `GreaterThanOrEqualToThreshold` 1.

/// One CIS monitoring control.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Control {
    /// The control's number in CIS AWS Foundations 7.0 (`5.1` … `5.15`).
    pub id: &'static str,
    /// Its title.
    pub title: &'static str,
    /// The metric filter pattern the benchmark publishes.
    pub pattern: &'static str,
    /// The stem of the benchmark's names: `<name>_metric` for the filter and its metric,
    /// `<name>_alarm` for the alarm.
    pub name: &'static str,
}

/// The metric namespace the benchmark's remediation uses.
pub const NAMESPACE: &str = "CISBenchmark";
/// The alarm period, in seconds.
pub const PERIOD_SECONDS: u32 = 300;
/// The alarm threshold (with `GreaterThanOrEqualToThreshold`, `Sum`, one period).
pub const THRESHOLD: f64 = 1.0;

impl Control {
    /// The metric's name, as the benchmark's remediation names it
    /// (`unauthorized_api_calls_metric`).
    pub fn metric_name(&self) -> String {
        format!("{}_metric", self.name)
    }

    /// The filter's name: the metric's, prefixed with the control
    /// (`CIS-5.1-unauthorized_api_calls_metric`).
    pub fn filter_name(&self) -> String {
        format!("CIS-{}-{}_metric", self.id, self.name)
    }

    /// The alarm's name: the benchmark's, prefixed with the control
    /// (`CIS-5.1-unauthorized_api_calls_alarm`).
    pub fn alarm_name(&self) -> String {
        format!("CIS-{}-{}_alarm", self.id, self.name)
    }

    /// The control with this id (`"5.1"`), or with this name stem.
    pub fn find(key: &str) -> Option<&'static Control> {
        CONTROLS.iter().find(|c| c.id == key || c.name == key)
    }
}

/// The controls, in benchmark order.
pub const CONTROLS: &[Control] = &[
    Control {
        id: "5.1",
        title: "Ensure unauthorized API calls are monitored",
        pattern: r#"{ ($.errorCode =*UnauthorizedOperation) || ($.errorCode =AccessDenied*) && ($.sourceIPAddress!=delivery.logs.amazonaws.com) && ($.eventName!=HeadBucket) }"#,
        name: "unauthorized_api_calls",
    },
    Control {
        id: "5.2",
        title: "Ensure management console sign-in without MFA is monitored",
        pattern: r#"{ ($.eventName = ConsoleLogin) && ($.additionalEventData.MFAUsed != Yes) }"#,
        name: "no_mfa_console_signin",
    },
    Control {
        id: "5.3",
        title: "Ensure usage of the 'root' account is monitored",
        pattern: r#"{ $.userIdentity.type = Root && $.userIdentity.invokedBy NOT EXISTS && $.eventType != AwsServiceEvent }"#,
        name: "root_usage",
    },
    Control {
        id: "5.4",
        title: "Ensure IAM policy changes are monitored",
        pattern: r#"{($.eventName=DeleteGroupPolicy)||($.eventName=DeleteRolePolicy)||($.eventName=DeleteUserPolicy)||($.eventName=PutGroupPolicy)||($.eventName=PutRolePolicy)||($.eventName=PutUserPolicy)||($.eventName=CreatePolicy)||($.eventName=DeletePolicy)||($.eventName=CreatePolicyVersion)||($.eventName=DeletePolicyVersion)||($.eventName=AttachRolePolicy)||($.eventName=DetachRolePolicy)||($.eventName=AttachUserPolicy)||($.eventName=DetachUserPolicy)||($.eventName=AttachGroupPolicy)||($.eventName=DetachGroupPolicy)}"#,
        name: "iam_changes",
    },
    Control {
        id: "5.5",
        title: "Ensure CloudTrail configuration changes are monitored",
        pattern: r#"{ ($.eventName = CreateTrail) || ($.eventName = UpdateTrail) || ($.eventName = DeleteTrail) || ($.eventName = StartLogging) || ($.eventName = StopLogging) }"#,
        name: "cloudtrail_cfg_changes",
    },
    Control {
        id: "5.6",
        title: "Ensure AWS Management Console authentication failures are monitored",
        pattern: r#"{ ($.eventName = ConsoleLogin) && ($.errorMessage = "Failed authentication") }"#,
        name: "console_signin_failure",
    },
    Control {
        id: "5.7",
        title: "Ensure disabling or scheduled deletion of customer created CMKs is monitored",
        pattern: r#"{($.eventSource = kms.amazonaws.com) && (($.eventName=DisableKey)||($.eventName=ScheduleKeyDeletion)) }"#,
        name: "disable_or_delete_cmk_changes",
    },
    Control {
        id: "5.8",
        title: "Ensure S3 bucket policy changes are monitored",
        pattern: r#"{ ($.eventSource = s3.amazonaws.com) && (($.eventName = PutBucketAcl) || ($.eventName = PutBucketPolicy) || ($.eventName = PutBucketCors) || ($.eventName = PutBucketLifecycle) || ($.eventName = PutBucketReplication) || ($.eventName = DeleteBucketPolicy) || ($.eventName = DeleteBucketCors) || ($.eventName = DeleteBucketLifecycle) || ($.eventName = DeleteBucketReplication)) }"#,
        name: "s3_bucket_policy_changes",
    },
    Control {
        id: "5.9",
        title: "Ensure AWS Config configuration changes are monitored",
        pattern: r#"{ ($.eventSource = config.amazonaws.com) && (($.eventName=StopConfigurationRecorder)||($.eventName=DeleteDeliveryChannel)||($.eventName=PutDeliveryChannel)||($.eventName=PutConfigurationRecorder)) }"#,
        name: "aws_config_changes",
    },
    Control {
        id: "5.10",
        title: "Ensure security group changes are monitored",
        pattern: r#"{ ($.eventName = AuthorizeSecurityGroupIngress) || ($.eventName = AuthorizeSecurityGroupEgress) || ($.eventName = RevokeSecurityGroupIngress) || ($.eventName = RevokeSecurityGroupEgress) || ($.eventName = CreateSecurityGroup) || ($.eventName = DeleteSecurityGroup) || ($.eventName = ModifySecurityGroupRules) }"#,
        name: "security_group_changes",
    },
    Control {
        id: "5.11",
        title: "Ensure Network Access Control List (NACL) changes are monitored",
        pattern: r#"{ ($.eventName = CreateNetworkAcl) || ($.eventName = CreateNetworkAclEntry) || ($.eventName = DeleteNetworkAcl) || ($.eventName = DeleteNetworkAclEntry) || ($.eventName = ReplaceNetworkAclEntry) || ($.eventName = ReplaceNetworkAclAssociation) }"#,
        name: "nacl_changes",
    },
    Control {
        id: "5.12",
        title: "Ensure changes to network gateways are monitored",
        pattern: r#"{ ($.eventName = CreateCustomerGateway) || ($.eventName = DeleteCustomerGateway) || ($.eventName = AttachInternetGateway) || ($.eventName = CreateInternetGateway) || ($.eventName = DeleteInternetGateway) || ($.eventName = DetachInternetGateway) }"#,
        name: "network_gw_changes",
    },
    Control {
        id: "5.13",
        title: "Ensure route table changes are monitored",
        pattern: r#"{ ($.eventName = CreateRoute) || ($.eventName = CreateRouteTable) || ($.eventName = ReplaceRoute) || ($.eventName = ReplaceRouteTableAssociation) || ($.eventName = DeleteRouteTable) || ($.eventName = DeleteRoute) || ($.eventName = DisassociateRouteTable) }"#,
        name: "route_table_changes",
    },
    Control {
        id: "5.14",
        title: "Ensure VPC changes are monitored",
        pattern: r#"{ ($.eventName = CreateVpc) || ($.eventName = DeleteVpc) || ($.eventName = ModifyVpcAttribute) || ($.eventName = AcceptVpcPeeringConnection) || ($.eventName = CreateVpcPeeringConnection) || ($.eventName = DeleteVpcPeeringConnection) || ($.eventName = RejectVpcPeeringConnection) || ($.eventName = AttachClassicLinkVpc) || ($.eventName = DetachClassicLinkVpc) || ($.eventName = DisableVpcClassicLink) || ($.eventName = EnableVpcClassicLink) }"#,
        name: "vpc_changes",
    },
    Control {
        id: "5.15",
        title: "Ensure AWS Organizations changes are monitored",
        pattern: r#"{ ($.eventSource = organizations.amazonaws.com) && (($.eventName = AcceptHandshake) || ($.eventName = AttachPolicy) || ($.eventName = CreateAccount) || ($.eventName = CreateOrganizationalUnit) || ($.eventName = CreatePolicy) || ($.eventName = DeclineHandshake) || ($.eventName = DeleteOrganization) || ($.eventName = DeleteOrganizationalUnit) || ($.eventName = DeletePolicy) || ($.eventName = DetachPolicy) || ($.eventName = DisablePolicyType) || ($.eventName = EnablePolicyType) || ($.eventName = InviteAccountToOrganization) || ($.eventName = LeaveOrganization) || ($.eventName = MoveAccount) || ($.eventName = RemoveAccountFromOrganization) || ($.eventName = UpdatePolicy) || ($.eventName = UpdateOrganizationalUnit)) }"#,
        name: "organizations_changes",
    },
];

#[cfg(test)]
mod tests {
    use super::*;
    use trailmatch::{Pattern, PatternKind};

    #[test]
    fn every_control_is_a_valid_json_pattern() {
        assert_eq!(CONTROLS.len(), 15);
        for (i, control) in CONTROLS.iter().enumerate() {
            assert_eq!(control.id, format!("5.{}", i + 1));
            let pattern =
                Pattern::new(control.pattern).unwrap_or_else(|e| panic!("CIS {}: {e}", control.id));
            assert_eq!(pattern.kind(), PatternKind::Json);
            assert_eq!(Control::find(control.id), Some(control));
            assert_eq!(Control::find(control.name), Some(control));
        }
    }

    #[test]
    fn controls_match_what_they_name() {
        let root = Control::find("5.3").unwrap();
        let pattern = Pattern::new(root.pattern).unwrap();
        assert!(pattern.matches(r#"{"userIdentity":{"type":"Root"},"eventType":"AwsApiCall"}"#));
        assert!(!pattern.matches(
            r#"{"userIdentity":{"type":"Root","invokedBy":"s3.amazonaws.com"},"eventType":"AwsApiCall"}"#
        ));
        let trail = Pattern::new(Control::find("5.5").unwrap().pattern).unwrap();
        assert!(trail.matches(r#"{"eventName":"StopLogging"}"#));
        let failed = Pattern::new(Control::find("5.6").unwrap().pattern).unwrap();
        assert!(
            failed
                .matches(r#"{"eventName":"ConsoleLogin","errorMessage":"Failed authentication"}"#)
        );
    }
}
