# The controller's account: roles of the ECS task, the customer managed key of its logs, secrets and images,
# the lease table and the event queue. The task role's policy comes from `smgitops permissions`.

data "aws_caller_identity" "current" {}
data "aws_region" "current" {}
data "aws_partition" "current" {}

locals {
  account   = data.aws_caller_identity.current.account_id
  region    = data.aws_region.current.name
  partition = data.aws_partition.current.partition
  ecs_trust = {
    Version = "2012-10-17"
    Statement = [{
      Sid       = "EcsTasks"
      Effect    = "Allow"
      Principal = { Service = "ecs-tasks.amazonaws.com" }
      Action    = "sts:AssumeRole"
      Condition = {
        StringEquals = { "aws:SourceAccount" = local.account }
        ArnLike      = { "aws:SourceArn" = "arn:${local.partition}:ecs:${local.region}:${local.account}:*" }
      }
    }]
  }
}

resource "aws_kms_key" "controller" {
  description         = "${var.name}: logs, secrets and images"
  enable_key_rotation = true
  tags                = var.tags
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "AccountAdministers"
        Effect    = "Allow"
        Principal = { AWS = "arn:${local.partition}:iam::${local.account}:root" }
        Action    = "kms:*"
        Resource  = "*"
      },
      {
        Sid       = "CloudWatchLogs"
        Effect    = "Allow"
        Principal = { Service = "logs.${local.region}.amazonaws.com" }
        Action    = ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"]
        Resource  = "*"
        Condition = {
          ArnEquals = {
            "kms:EncryptionContext:aws:logs:arn" = "arn:${local.partition}:logs:${local.region}:${local.account}:log-group:/ecs/${var.name}"
          }
        }
      },
    ]
  })
}

resource "aws_iam_role" "task" {
  name               = "${var.name}-controller"
  description        = "The smgitops controller runs as this role; environment roles trust it and only it"
  assume_role_policy = var.controller_trust_policy
  tags               = var.tags

  lifecycle {
    precondition {
      condition     = alltrue([for statement in jsondecode(var.controller_trust_policy).Statement : statement.Principal == { Service = "ecs-tasks.amazonaws.com" }])
      error_message = "controller_trust_policy may let ECS tasks, and nothing else, assume the task role."
    }
  }
}

resource "aws_iam_role_policy" "task" {
  name   = "smgitops"
  role   = aws_iam_role.task.id
  policy = var.controller_policy
}

resource "aws_iam_role" "execution" {
  name               = "${var.name}-execution"
  description        = "ECS pulls the smgitops image, writes its logs and reads its secrets as this role"
  assume_role_policy = jsonencode(local.ecs_trust)
  tags               = var.tags
}

resource "aws_iam_role_policy" "execution" {
  name = "ecs-execution"
  role = aws_iam_role.execution.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = concat(
      [
        {
          Sid      = "RegistryLogin"
          Effect   = "Allow"
          Action   = "ecr:GetAuthorizationToken"
          Resource = "*"
        },
        {
          Sid      = "PullImage"
          Effect   = "Allow"
          Action   = ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]
          Resource = aws_ecr_repository.controller.arn
        },
        {
          Sid      = "WriteLogs"
          Effect   = "Allow"
          Action   = ["logs:CreateLogStream", "logs:PutLogEvents"]
          Resource = "${aws_cloudwatch_log_group.controller.arn}:*"
        },
        {
          Sid      = "ReadGitSecret"
          Effect   = "Allow"
          Action   = "secretsmanager:GetSecretValue"
          Resource = aws_secretsmanager_secret.git.arn
        },
        {
          Sid      = "DecryptSecrets"
          Effect   = "Allow"
          Action   = "kms:Decrypt"
          Resource = aws_kms_key.controller.arn
        },
      ],
      # The GitLab token's secret exists, and may be read, only when proposals are on.
      [for secret in aws_secretsmanager_secret.gitlab : {
        Sid      = "ReadGitLabSecret"
        Effect   = "Allow"
        Action   = "secretsmanager:GetSecretValue"
        Resource = secret.arn
      }],
    )
  })
}

resource "aws_secretsmanager_secret" "git" {
  #checkov:skip=CKV2_AWS_57:a git deploy token is rotated in the git host, which then writes the new value here

  name                    = var.git_secret_name
  description             = "git deploy token of the smgitops controller: JSON keys username and password"
  kms_key_id              = aws_kms_key.controller.arn
  recovery_window_in_days = 7
  tags                    = var.tags
}

resource "aws_secretsmanager_secret" "gitlab" {
  #checkov:skip=CKV2_AWS_57:a GitLab project access token is rotated in GitLab, which then writes the new value here
  count = local.proposals ? 1 : 0

  name                    = var.gitlab_secret_name
  description             = "GitLab project access token the smgitops controller opens proposals with (the plain string)"
  kms_key_id              = aws_kms_key.controller.arn
  recovery_window_in_days = 7
  tags                    = var.tags
}

resource "aws_ecr_repository" "controller" {
  name                 = var.name
  image_tag_mutability = "IMMUTABLE"
  tags                 = var.tags

  image_scanning_configuration {
    scan_on_push = true
  }

  encryption_configuration {
    encryption_type = "KMS"
    kms_key         = aws_kms_key.controller.arn
  }
}

resource "aws_cloudwatch_log_group" "controller" {
  name              = "/ecs/${var.name}"
  retention_in_days = var.log_retention_days
  kms_key_id        = aws_kms_key.controller.arn
  tags              = var.tags
}

resource "aws_dynamodb_table" "lease" {
  #checkov:skip=CKV_AWS_119:the AWS managed key; the item holds a lease name, a holder and an expiry, and a customer managed key would need grants for every role that takes the lease

  name                        = var.lease_table_name
  billing_mode                = "PAY_PER_REQUEST"
  hash_key                    = "name"
  deletion_protection_enabled = true
  tags                        = var.tags

  attribute {
    name = "name"
    type = "S"
  }

  point_in_time_recovery {
    enabled = true
  }

  server_side_encryption {
    enabled = true
  }
}
