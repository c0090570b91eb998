# One environment account: the deploy role smgitops assumes (trusted by the controller's task role only), the
# roles SageMaker pipelines and schedules run as, the artifacts bucket, and event forwarding to the controller.
# Every policy and trust document comes from `smgitops permissions`; this module attaches them, and refuses a
# deploy-role trust that names any principal but the controller's task role.

resource "aws_iam_role" "deploy" {
  name               = var.deploy_role_name
  description        = "smgitops converges environment ${var.environment} as this role"
  tags               = var.tags
  assume_role_policy = var.deploy_trust_policy

  lifecycle {
    precondition {
      condition = alltrue([
        for statement in jsondecode(var.deploy_trust_policy).Statement :
        statement.Principal == { AWS = var.controller_role_arn } || statement.Effect == "Deny"
      ])
      error_message = "deploy_trust_policy must let the controller's task role, and no other principal, assume the deploy role."
    }
  }
}

resource "aws_iam_role_policy" "deploy" {
  name   = "smgitops"
  role   = aws_iam_role.deploy.id
  policy = var.deploy_policy
}

resource "aws_iam_role" "pipeline" {
  name               = var.pipeline_role_name
  description        = "SageMaker pipelines of environment ${var.environment} run as this role"
  tags               = var.tags
  assume_role_policy = var.pipeline_trust_policy

  lifecycle {
    precondition {
      condition     = alltrue([for statement in jsondecode(var.pipeline_trust_policy).Statement : keys(statement.Principal) == ["Service"]])
      error_message = "pipeline_trust_policy may name AWS services only."
    }
  }
}

resource "aws_iam_role_policy" "pipeline" {
  name   = "smgitops"
  role   = aws_iam_role.pipeline.id
  policy = var.pipeline_policy
}

resource "aws_iam_role" "scheduler" {
  name               = var.scheduler_role_name
  description        = "Schedules and rules of environment ${var.environment} start pipelines as this role"
  tags               = var.tags
  assume_role_policy = var.scheduler_trust_policy

  lifecycle {
    precondition {
      condition     = alltrue([for statement in jsondecode(var.scheduler_trust_policy).Statement : keys(statement.Principal) == ["Service"]])
      error_message = "scheduler_trust_policy may name AWS services only."
    }
  }
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
