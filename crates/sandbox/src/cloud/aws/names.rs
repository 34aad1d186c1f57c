//! How AWS names the estate's accounts, services and regions, deterministically by index.
//!
//! The Sustainability API names a service by its product code (`AmazonEC2`, `AmazonS3`,
//! `AmazonCloudFront`: the examples of its service model), Cost Explorer's `SERVICE`
//! dimension by its billing name (`Amazon Elastic Compute Cloud - Compute`); each service has
//! both. The biggest services come first, as the estate's service indices do.

/// (product code, Cost Explorer's name), biggest first.
const SERVICES: &[(&str, &str)] = &[
    ("AmazonEC2", "Amazon Elastic Compute Cloud - Compute"),
    ("AmazonS3", "Amazon Simple Storage Service"),
    ("AmazonRDS", "Amazon Relational Database Service"),
    ("AWSLambda", "AWS Lambda"),
    ("AmazonDynamoDB", "Amazon DynamoDB"),
    ("AmazonCloudFront", "Amazon CloudFront"),
    (
        "AmazonEKS",
        "Amazon Elastic Container Service for Kubernetes",
    ),
    ("AmazonECS", "Amazon Elastic Container Service"),
    ("AmazonElastiCache", "Amazon ElastiCache"),
    ("AmazonRedshift", "Amazon Redshift"),
    ("AmazonSageMaker", "Amazon SageMaker"),
    ("AmazonCloudWatch", "AmazonCloudWatch"),
    ("AWSELB", "Amazon Elastic Load Balancing"),
    ("AmazonEFS", "Amazon Elastic File System"),
    ("AmazonVPC", "Amazon Virtual Private Cloud"),
    ("AmazonKinesis", "Amazon Kinesis"),
    ("AmazonSNS", "Amazon Simple Notification Service"),
    ("AWSQueueService", "Amazon Simple Queue Service"),
    ("AmazonRoute53", "Amazon Route 53"),
    ("AmazonES", "Amazon OpenSearch Service"),
    ("AWSGlue", "AWS Glue"),
    ("AmazonAthena", "Amazon Athena"),
    ("AWSBackup", "AWS Backup"),
    ("AmazonECR", "Amazon EC2 Container Registry (ECR)"),
    ("AmazonApiGateway", "Amazon API Gateway"),
    ("AmazonMSK", "Amazon Managed Streaming for Apache Kafka"),
    ("AWSSecretsManager", "AWS Secrets Manager"),
    ("awskms", "AWS Key Management Service"),
    ("AmazonGuardDuty", "Amazon GuardDuty"),
    ("AWSConfig", "AWS Config"),
    ("AWSCloudTrail", "AWS CloudTrail"),
    ("AmazonFSx", "Amazon FSx"),
    ("AmazonMQ", "Amazon MQ"),
    ("AmazonNeptune", "Amazon Neptune"),
    (
        "AmazonDocDB",
        "Amazon DocumentDB (with MongoDB compatibility)",
    ),
    ("AmazonTimestream", "Amazon Timestream"),
    ("AmazonLightsail", "Amazon Lightsail"),
    ("AmazonWorkSpaces", "Amazon WorkSpaces"),
    ("ElasticMapReduce", "Amazon Elastic MapReduce"),
    ("CodeBuild", "CodeBuild"),
    ("AmazonCognito", "Amazon Cognito"),
    ("AmazonSES", "Amazon Simple Email Service"),
    ("AmazonStates", "AWS Step Functions"),
    ("AmazonKinesisFirehose", "Amazon Kinesis Firehose"),
    ("AWSTransfer", "AWS Transfer Family"),
    ("AmazonQuickSight", "Amazon QuickSight"),
    ("AmazonBedrock", "Amazon Bedrock"),
    ("AmazonTextract", "Amazon Textract"),
    ("AmazonRekognition", "Amazon Rekognition"),
    ("AmazonPolly", "Amazon Polly"),
    ("AWSDirectConnect", "AWS Direct Connect"),
    ("AWSEvents", "CloudWatch Events"),
    ("AWSAmplify", "AWS Amplify"),
    ("AmazonInspectorV2", "Amazon Inspector"),
    ("AWSShield", "AWS Shield"),
    ("awswaf", "AWS WAF"),
];

/// Commercial regions, the busiest first.
const REGIONS: &[&str] = &[
    "us-east-1",
    "eu-west-1",
    "us-west-2",
    "eu-central-1",
    "us-east-2",
    "ap-southeast-1",
    "ap-northeast-1",
    "eu-west-2",
    "ap-southeast-2",
    "ca-central-1",
    "ap-south-1",
    "sa-east-1",
    "eu-north-1",
    "eu-west-3",
    "ap-northeast-2",
    "us-west-1",
    "eu-south-1",
    "ap-east-1",
    "me-south-1",
    "af-south-1",
    "ap-northeast-3",
    "eu-central-2",
    "ap-southeast-3",
    "il-central-1",
    "me-central-1",
];

/// The 12-digit id of account `index`: spread over the id space as real ids are, and the same
/// for the same index.
pub fn account_id(index: u16) -> String {
    let mixed = (u64::from(index) + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    format!("{:012}", 100_000_000_000 + (mixed >> 11) % 900_000_000_000)
}

/// The product code of service `index` (what the Sustainability API reports).
pub fn service_code(index: u16) -> String {
    match SERVICES.get(usize::from(index)) {
        Some((code, _)) => (*code).to_owned(),
        // Past the real list (a benchmark's estate): made-up names of the same form.
        None => format!("AWSService{index:03}"),
    }
}

/// Cost Explorer's name of service `index` (its `SERVICE` dimension).
pub fn service_billing_name(index: u16) -> String {
    match SERVICES.get(usize::from(index)) {
        Some((_, name)) => (*name).to_owned(),
        None => format!("AWS Service {index:03}"),
    }
}

/// The region code of region `index`.
pub fn region(index: u16) -> String {
    match REGIONS.get(usize::from(index)) {
        Some(code) => (*code).to_owned(),
        None => format!("xx-sandbox-{index}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_distinct_and_shaped_like_aws_ones() {
        let ids: std::collections::BTreeSet<String> = (0..100).map(account_id).collect();
        assert_eq!(ids.len(), 100);
        assert!(ids
            .iter()
            .all(|id| id.len() == 12 && id.bytes().all(|b| b.is_ascii_digit())));
        assert!(SERVICES.len() >= 50 && REGIONS.len() >= 20);
        let codes: std::collections::BTreeSet<String> = (0..60).map(service_code).collect();
        assert_eq!(codes.len(), 60);
        let billing: std::collections::BTreeSet<String> =
            (0..60).map(service_billing_name).collect();
        assert_eq!(billing.len(), 60);
        assert_eq!(service_code(0), "AmazonEC2");
        assert_eq!(region(0), "us-east-1");
    }
}
