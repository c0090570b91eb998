# The registry account: the role smgitops assumes to approve versions (trusted by the controller's task role
# only), the model package groups' resource policies that let environment accounts use their versions, and
# event forwarding to the controller.

data "aws_caller_identity" "current" {}
data "aws_region" "current" {}
data "aws_partition" "current" {}

locals {
  group_arn_prefix = "arn:${data.aws_partition.current.partition}:sagemaker:${data.aws_region.current.name}:${data.aws_caller_identity.current.account_id}"
  consumers        = [for account in sort(var.consumer_account_ids) : "arn:${data.aws_partition.current.partition}:iam::${account}:root"]
}

resource "aws_iam_role" "registry" {
  name        = var.role_name
  description = "smgitops approves model versions in the registry as this role"
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

resource "aws_iam_role_policy" "registry" {
  name   = "smgitops"
  role   = aws_iam_role.registry.id
  policy = var.policy
}

resource "aws_sagemaker_model_package_group_policy" "consumers" {
  for_each = var.manage_model_package_group_policies && length(local.consumers) > 0 ? toset(var.model_package_groups) : toset([])

  model_package_group_name = each.value
  resource_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "DescribeGroup"
        Effect    = "Allow"
        Principal = { AWS = local.consumers }
        Action    = ["sagemaker:DescribeModelPackageGroup"]
        Resource  = "${local.group_arn_prefix}:model-package-group/${each.value}"
      },
      {
        Sid       = "UseVersions"
        Effect    = "Allow"
        Principal = { AWS = local.consumers }
        Action    = ["sagemaker:DescribeModelPackage", "sagemaker:ListModelPackages", "sagemaker:CreateModel"]
        Resource  = "${local.group_arn_prefix}:model-package/${each.value}/*"
      },
    ]
  })
}

module "forwarding" {
  source = "../forwarding"

  name          = "registry"
  event_bus_arn = var.event_bus_arn
  create_trail  = var.create_trail
  trail_bucket  = var.trail_bucket
  tags          = var.tags
}
