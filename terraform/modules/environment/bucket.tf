# The artifacts bucket: versioned, encrypted, never public, reachable over TLS only, readable under the artifacts
# prefix by the pipeline roles of other accounts that deploy models trained here.

resource "aws_s3_bucket" "artifacts" {
  #checkov:skip=CKV_AWS_18:access logging needs a log bucket per account; the trail records the writes that matter
  #checkov:skip=CKV_AWS_144:processing code is content-addressed and rewritten by the next apply; no replica needed
  #checkov:skip=CKV2_AWS_62:nothing reacts to uploads of processing code
  #checkov:skip=CKV_AWS_145:SSE-S3: pipeline roles of other accounts read models trained here, and the AWS managed KMS key cannot be shared

  bucket = var.artifacts_bucket
  tags   = var.tags
}

resource "aws_s3_bucket_versioning" "artifacts" {
  bucket = aws_s3_bucket.artifacts.id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "artifacts" {
  bucket = aws_s3_bucket.artifacts.id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "AES256"
    }
  }
}

resource "aws_s3_bucket_public_access_block" "artifacts" {
  bucket                  = aws_s3_bucket.artifacts.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_lifecycle_configuration" "artifacts" {
  bucket = aws_s3_bucket.artifacts.id
  rule {
    id     = "old-versions"
    status = "Enabled"
    filter {
      prefix = ""
    }
    noncurrent_version_expiration {
      noncurrent_days = 90
    }
    abort_incomplete_multipart_upload {
      days_after_initiation = 7
    }
  }
}

locals {
  tls_only = {
    Sid       = "TlsOnly"
    Effect    = "Deny"
    Principal = "*"
    Action    = "s3:*"
    Resource  = [aws_s3_bucket.artifacts.arn, "${aws_s3_bucket.artifacts.arn}/*"]
    Condition = { Bool = { "aws:SecureTransport" = "false" } }
  }
  readers = [
    {
      Sid       = "OtherAccountsReadArtifacts"
      Effect    = "Allow"
      Principal = { AWS = sort(var.artifact_reader_role_arns) }
      Action    = "s3:GetObject"
      Resource  = "${aws_s3_bucket.artifacts.arn}/${var.artifacts_prefix}*"
    },
    {
      Sid       = "OtherAccountsListArtifacts"
      Effect    = "Allow"
      Principal = { AWS = sort(var.artifact_reader_role_arns) }
      Action    = "s3:ListBucket"
      Resource  = aws_s3_bucket.artifacts.arn
      Condition = { StringLike = { "s3:prefix" = "${var.artifacts_prefix}*" } }
    },
  ]
  bucket_statements = concat(
    [for statement in [local.tls_only] : statement if var.tls_only_policy],
    [for statement in local.readers : statement if length(var.artifact_reader_role_arns) > 0],
  )
}

resource "aws_s3_bucket_policy" "artifacts" {
  count = length(local.bucket_statements) > 0 ? 1 : 0

  bucket = aws_s3_bucket.artifacts.id
  policy = jsonencode({ Version = "2012-10-17", Statement = local.bucket_statements })
}
