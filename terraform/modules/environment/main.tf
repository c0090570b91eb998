# One environment account: the deploy role smgitops assumes (trusted by the controller's task role only), the
# roles SageMaker pipelines and schedules run as, the artifacts bucket, and event forwarding to the controller.
# Every policy document comes from `smgitops permissions`; this module only attaches them.

data "aws_caller_identity" "current" {}

locals {
  account = data.aws_caller_identity.current.account_id
}

resource "aws_iam_role" "deploy" {
  name        = var.deploy_role_name
  description = "smgitops converges environment ${var.environment} as this role"
  tags        = var.tags
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "SmgitopsController"
      Effect    = "Allow"
      Principal = { AWS = var.controller_role_arn }
      Action    = "sts:AssumeRole"
    }]
  })
}

resource "aws_iam_role_policy" "deploy" {
  name   = "smgitops"
  role   = aws_iam_role.deploy.id
  policy = var.deploy_policy
}

resource "aws_iam_role" "pipeline" {
  name        = var.pipeline_role_name
  description = "SageMaker pipelines of environment ${var.environment} run as this role"
  tags        = var.tags
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "SageMaker"
      Effect    = "Allow"
      Principal = { Service = "sagemaker.amazonaws.com" }
      Action    = "sts:AssumeRole"
      Condition = { StringEquals = { "aws:SourceAccount" = local.account } }
    }]
  })
}

resource "aws_iam_role_policy" "pipeline" {
  name   = "smgitops"
  role   = aws_iam_role.pipeline.id
  policy = var.pipeline_policy
}

resource "aws_iam_role" "scheduler" {
  name        = var.scheduler_role_name
  description = "Schedules and rules of environment ${var.environment} start pipelines as this role"
  tags        = var.tags
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "SchedulerAndRules"
      Effect    = "Allow"
      Principal = { Service = ["scheduler.amazonaws.com", "events.amazonaws.com"] }
      Action    = "sts:AssumeRole"
      Condition = { StringEquals = { "aws:SourceAccount" = local.account } }
    }]
  })
}

resource "aws_iam_role_policy" "scheduler" {
  name   = "smgitops"
  role   = aws_iam_role.scheduler.id
  policy = var.scheduler_policy
}

module "forwarding" {
  source = "../forwarding"

  name          = var.environment
  event_bus_arn = var.event_bus_arn
  create_trail  = var.create_trail
  trail_bucket  = var.trail_bucket
  tags          = var.tags
}
