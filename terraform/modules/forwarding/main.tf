# Forwards the events smgitops reacts to from this account's default bus to the controller's bus, and (unless
# an organisation trail already does) records management events with CloudTrail so API calls become events.

data "aws_caller_identity" "current" {}
data "aws_region" "current" {}
data "aws_partition" "current" {}

module "patterns" {
  source = "../event-patterns"
}

locals {
  account      = data.aws_caller_identity.current.account_id
  region       = data.aws_region.current.name
  partition    = data.aws_partition.current.partition
  trail_name   = "smgitops-${var.name}"
  trail_bucket = coalesce(var.trail_bucket, "smgitops-trail-${local.account}-${local.region}")
  trail_arn    = "arn:${local.partition}:cloudtrail:${local.region}:${local.account}:trail/${local.trail_name}"
}

resource "aws_cloudwatch_event_rule" "forward" {
  for_each = module.patterns.patterns

  name          = "${var.rule_prefix}-${var.name}-${each.key}"
  description   = "Sends ${each.key} to the smgitops controller's event bus"
  event_pattern = each.value
  tags          = var.tags
}

resource "aws_cloudwatch_event_target" "forward" {
  for_each = aws_cloudwatch_event_rule.forward

  rule      = each.value.name
  target_id = "smgitops-bus"
  arn       = var.event_bus_arn
}

resource "aws_cloudtrail" "management" {
  count = var.create_trail ? 1 : 0
  #checkov:skip=CKV_AWS_35:the log files are encrypted with SSE-S3 by the bucket; the trail exists to turn API calls into events
  #checkov:skip=CKV_AWS_252:nobody subscribes to log file deliveries; events reach the controller through EventBridge
  #checkov:skip=CKV2_AWS_10:EventBridge receives the API calls; CloudWatch Logs would be a second, unread copy

  name                          = local.trail_name
  s3_bucket_name                = aws_s3_bucket.trail[0].id
  include_global_service_events = true
  is_multi_region_trail         = true
  enable_log_file_validation    = true
  tags                          = var.tags

  event_selector {
    read_write_type           = "WriteOnly"
    include_management_events = true
  }

  depends_on = [aws_s3_bucket_policy.trail]
}

resource "aws_s3_bucket" "trail" {
  count = var.create_trail ? 1 : 0
  #checkov:skip=CKV_AWS_18:access logs of the access-log bucket would need yet another bucket
  #checkov:skip=CKV_AWS_144:the trail is multi-region already; replication adds nothing to event forwarding
  #checkov:skip=CKV2_AWS_62:nothing reacts to new log files
  #checkov:skip=CKV_AWS_145:CloudTrail cannot write to a bucket whose default encryption is the AWS managed KMS key; SSE-S3

  bucket = local.trail_bucket
  tags   = var.tags
}

resource "aws_s3_bucket_versioning" "trail" {
  count = var.create_trail ? 1 : 0

  bucket = aws_s3_bucket.trail[0].id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "trail" {
  count = var.create_trail ? 1 : 0

  bucket = aws_s3_bucket.trail[0].id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "AES256"
    }
  }
}

resource "aws_s3_bucket_public_access_block" "trail" {
  count = var.create_trail ? 1 : 0

  bucket                  = aws_s3_bucket.trail[0].id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_lifecycle_configuration" "trail" {
  count = var.create_trail ? 1 : 0

  bucket = aws_s3_bucket.trail[0].id
  rule {
    id     = "expire"
    status = "Enabled"
    filter {
      prefix = ""
    }
    expiration {
      days = 365
    }
    noncurrent_version_expiration {
      noncurrent_days = 30
    }
    abort_incomplete_multipart_upload {
      days_after_initiation = 7
    }
  }
}

resource "aws_s3_bucket_policy" "trail" {
  count = var.create_trail ? 1 : 0

  bucket = aws_s3_bucket.trail[0].id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "CloudTrailAclCheck"
        Effect    = "Allow"
        Principal = { Service = "cloudtrail.amazonaws.com" }
        Action    = "s3:GetBucketAcl"
        Resource  = aws_s3_bucket.trail[0].arn
        Condition = { StringEquals = { "aws:SourceArn" = local.trail_arn } }
      },
      {
        Sid       = "CloudTrailWrite"
        Effect    = "Allow"
        Principal = { Service = "cloudtrail.amazonaws.com" }
        Action    = "s3:PutObject"
        Resource  = "${aws_s3_bucket.trail[0].arn}/AWSLogs/${local.account}/*"
        Condition = {
          StringEquals = { "s3:x-amz-acl" = "bucket-owner-full-control", "aws:SourceArn" = local.trail_arn }
        }
      },
      {
        Sid       = "TlsOnly"
        Effect    = "Deny"
        Principal = "*"
        Action    = "s3:*"
        Resource  = [aws_s3_bucket.trail[0].arn, "${aws_s3_bucket.trail[0].arn}/*"]
        Condition = { Bool = { "aws:SecureTransport" = "false" } }
      },
    ]
  })
}
