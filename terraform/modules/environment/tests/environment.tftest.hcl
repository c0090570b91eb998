# What matters in an environment account, checked on a mocked provider: the deploy role trusts the
# controller's task role and nothing else, the bucket is never public and TLS only.

mock_provider "aws" {
  mock_data "aws_caller_identity" {
    defaults = { account_id = "222222222222" }
  }
  mock_data "aws_region" {
    defaults = { name = "us-east-1" }
  }
  mock_data "aws_partition" {
    defaults = { partition = "aws" }
  }
}

variables {
  environment         = "staging"
  controller_role_arn = "arn:aws:iam::111111111111:role/smgitops-controller"
  event_bus_arn       = "arn:aws:events:us-east-1:111111111111:event-bus/smgitops"
  deploy_policy       = "{\"Version\":\"2012-10-17\",\"Statement\":[]}"
  pipeline_policy     = "{\"Version\":\"2012-10-17\",\"Statement\":[]}"
  scheduler_policy    = "{\"Version\":\"2012-10-17\",\"Statement\":[]}"
  artifacts_bucket    = "acme-staging-mlops"
}

run "deploy_role_trusts_only_the_controller" {
  command = apply

  assert {
    condition = alltrue([
      for statement in jsondecode(aws_iam_role.deploy.assume_role_policy).Statement :
      statement.Principal == { AWS = var.controller_role_arn } && statement.Action == "sts:AssumeRole"
    ])
    error_message = "the deploy role must trust the controller's task role and no other principal"
  }

  assert {
    condition = alltrue(flatten([
      for role in [aws_iam_role.pipeline, aws_iam_role.scheduler] : [
        for statement in jsondecode(role.assume_role_policy).Statement :
        keys(statement.Principal) == ["Service"] && statement.Condition.StringEquals["aws:SourceAccount"] == "222222222222"
      ]
    ]))
    error_message = "the pipeline and scheduler roles trust AWS services of this account only"
  }

  assert {
    condition     = aws_iam_role_policy.deploy.policy == var.deploy_policy && aws_iam_role_policy.pipeline.policy == var.pipeline_policy && aws_iam_role_policy.scheduler.policy == var.scheduler_policy
    error_message = "the roles' policies are exactly the documents smgitops printed"
  }
}

run "artifacts_bucket_is_private_and_tls_only" {
  command = apply

  assert {
    condition = alltrue([
      aws_s3_bucket_public_access_block.artifacts.block_public_acls,
      aws_s3_bucket_public_access_block.artifacts.block_public_policy,
      aws_s3_bucket_public_access_block.artifacts.ignore_public_acls,
      aws_s3_bucket_public_access_block.artifacts.restrict_public_buckets,
    ])
    error_message = "the artifacts bucket blocks every kind of public access"
  }

  assert {
    condition     = one(jsondecode(aws_s3_bucket_policy.artifacts[0].policy).Statement).Condition.Bool["aws:SecureTransport"] == "false" && one(jsondecode(aws_s3_bucket_policy.artifacts[0].policy).Statement).Effect == "Deny"
    error_message = "the artifacts bucket denies requests without TLS"
  }

  assert {
    condition     = aws_s3_bucket_versioning.artifacts.versioning_configuration[0].status == "Enabled"
    error_message = "the artifacts bucket is versioned"
  }
}

run "organisation_trail_turns_the_trail_off" {
  command = plan

  variables {
    create_trail = false
  }

  assert {
    condition     = output.trail_arn == null
    error_message = "no trail where an organisation trail covers the account"
  }
}
