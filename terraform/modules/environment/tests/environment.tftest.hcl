# What matters in an environment account, checked on a mocked provider: the deploy role trusts the
# controller's task role and nothing else (a trust naming anyone else is refused), the bucket is never public,
# TLS only, and other accounts read only the artifacts prefix.

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
  environment               = "staging"
  controller_role_arn       = "arn:aws:iam::111111111111:role/smgitops-controller"
  event_bus_arn             = "arn:aws:events:us-east-1:111111111111:event-bus/smgitops"
  deploy_policy             = "{\"Version\":\"2012-10-17\",\"Statement\":[]}"
  pipeline_policy           = "{\"Version\":\"2012-10-17\",\"Statement\":[]}"
  scheduler_policy          = "{\"Version\":\"2012-10-17\",\"Statement\":[]}"
  artifacts_bucket          = "acme-staging-mlops"
  deploy_trust_policy       = jsonencode({ Version = "2012-10-17", Statement = [{ Effect = "Allow", Action = "sts:AssumeRole", Principal = { AWS = "arn:aws:iam::111111111111:role/smgitops-controller" } }] })
  pipeline_trust_policy     = jsonencode({ Version = "2012-10-17", Statement = [{ Effect = "Allow", Action = "sts:AssumeRole", Principal = { Service = "sagemaker.amazonaws.com" } }] })
  scheduler_trust_policy    = jsonencode({ Version = "2012-10-17", Statement = [{ Effect = "Allow", Action = "sts:AssumeRole", Principal = { Service = ["scheduler.amazonaws.com", "events.amazonaws.com"] } }] })
  artifact_reader_role_arns = ["arn:aws:iam::333333333333:role/sagemaker-pipelines"]
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
    condition     = aws_iam_role.pipeline.assume_role_policy == var.pipeline_trust_policy && aws_iam_role.scheduler.assume_role_policy == var.scheduler_trust_policy
    error_message = "the pipeline and scheduler roles carry the trust smgitops printed"
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
    condition     = jsondecode(aws_s3_bucket_policy.artifacts[0].policy).Statement[0] == { Sid = "TlsOnly", Effect = "Deny", Principal = "*", Action = "s3:*", Resource = [aws_s3_bucket.artifacts.arn, "${aws_s3_bucket.artifacts.arn}/*"], Condition = { Bool = { "aws:SecureTransport" = "false" } } }
    error_message = "the artifacts bucket denies requests without TLS"
  }

  assert {
    condition = alltrue([
      for statement in jsondecode(aws_s3_bucket_policy.artifacts[0].policy).Statement :
      statement.Effect == "Deny" || (jsonencode(statement.Principal) == jsonencode({ AWS = var.artifact_reader_role_arns }) && contains(["s3:GetObject", "s3:ListBucket"], statement.Action))
    ])
    error_message = "other accounts' pipeline roles may only read and list the artifacts"
  }

  assert {
    condition     = jsondecode(aws_s3_bucket_policy.artifacts[0].policy).Statement[1].Resource == "${aws_s3_bucket.artifacts.arn}/smgitops/*"
    error_message = "and only under the artifacts prefix"
  }

  assert {
    condition     = aws_s3_bucket_versioning.artifacts.versioning_configuration[0].status == "Enabled"
    error_message = "the artifacts bucket is versioned"
  }
}

run "refuses_a_deploy_trust_naming_another_principal" {
  command = plan

  variables {
    deploy_trust_policy = jsonencode({ Version = "2012-10-17", Statement = [{ Effect = "Allow", Action = "sts:AssumeRole", Principal = { AWS = ["arn:aws:iam::111111111111:role/smgitops-controller", "arn:aws:iam::999999999999:root"] } }] })
  }

  expect_failures = [aws_iam_role.deploy]
}

run "refuses_a_pipeline_trust_naming_an_account" {
  command = plan

  variables {
    pipeline_trust_policy = jsonencode({ Version = "2012-10-17", Statement = [{ Effect = "Allow", Action = "sts:AssumeRole", Principal = { AWS = "arn:aws:iam::999999999999:root" } }] })
  }

  expect_failures = [aws_iam_role.pipeline]
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
