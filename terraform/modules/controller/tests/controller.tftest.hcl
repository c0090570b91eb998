# The controller's account: the queue has a dead-letter queue, only EventBridge rules of this bus may send to
# it, the bus admits the organisation's accounts and no others, and the one `*` in a policy this module writes
# is ECR's login, which AWS cannot scope. Proposals (GitLab URL, project and token secret) reach the task only when
# turned on.

mock_provider "aws" {
  mock_data "aws_caller_identity" {
    defaults = { account_id = "111111111111" }
  }
  mock_data "aws_region" {
    defaults = { name = "us-east-1" }
  }
  mock_data "aws_partition" {
    defaults = { partition = "aws" }
  }
  mock_resource "aws_iam_role" {
    defaults = { arn = "arn:aws:iam::111111111111:role/mocked" }
  }
  mock_resource "aws_kms_key" {
    defaults = { arn = "arn:aws:kms:us-east-1:111111111111:key/mocked" }
  }
  mock_resource "aws_cloudwatch_event_bus" {
    defaults = { arn = "arn:aws:events:us-east-1:111111111111:event-bus/smgitops" }
  }
  mock_resource "aws_cloudwatch_event_rule" {
    defaults = { arn = "arn:aws:events:us-east-1:111111111111:rule/smgitops/mocked" }
  }
  mock_resource "aws_secretsmanager_secret" {
    defaults = { arn = "arn:aws:secretsmanager:us-east-1:111111111111:secret:smgitops-git-AbCdEf" }
  }
  mock_resource "aws_ecs_cluster" {
    defaults = { arn = "arn:aws:ecs:us-east-1:111111111111:cluster/smgitops" }
  }
  mock_resource "aws_ecs_task_definition" {
    defaults = { arn = "arn:aws:ecs:us-east-1:111111111111:task-definition/smgitops:1" }
  }
}

override_resource {
  target = aws_sqs_queue.events
  values = {
    arn = "arn:aws:sqs:us-east-1:111111111111:smgitops-events"
    url = "https://sqs.us-east-1.amazonaws.com/111111111111/smgitops-events"
  }
}

override_resource {
  target = aws_sqs_queue.dead_letters
  values = { arn = "arn:aws:sqs:us-east-1:111111111111:smgitops-events-dlq" }
}

variables {
  git_url                  = "https://git.example.com/acme/ml-fleet.git"
  controller_policy        = "{\"Version\":\"2012-10-17\",\"Statement\":[]}"
  controller_trust_policy  = "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"sts:AssumeRole\",\"Principal\":{\"Service\":\"ecs-tasks.amazonaws.com\"}}]}"
  organisation_account_ids = ["111111111111", "222222222222", "333333333333"]
  image_tag                = "0.1.0"
  subnet_ids               = ["subnet-0a"]
  security_group_ids       = ["sg-0a"]
}

run "queue_has_a_dead_letter_queue" {
  command = apply

  assert {
    condition     = jsondecode(aws_sqs_queue.events.redrive_policy).deadLetterTargetArn == aws_sqs_queue.dead_letters.arn
    error_message = "the event queue sends messages that keep failing to its dead-letter queue"
  }

  assert {
    condition     = one(jsondecode(aws_sqs_queue_policy.events.policy).Statement).Principal == { Service = "events.amazonaws.com" }
    error_message = "only EventBridge may send to the queue"
  }

  assert {
    condition     = length(one(jsondecode(aws_sqs_queue_policy.events.policy).Statement).Condition.ArnEquals["aws:SourceArn"]) == 2
    error_message = "and only from the controller's two rules"
  }
}

run "bus_admits_the_organisation_accounts" {
  command = apply

  assert {
    condition     = one(jsondecode(aws_cloudwatch_event_bus_policy.controller.policy).Statement).Principal.AWS == [for account in var.organisation_account_ids : "arn:aws:iam::${account}:root"]
    error_message = "the bus admits exactly the organisation's accounts"
  }
}

run "no_star_on_a_resource_aws_can_scope" {
  command = apply

  assert {
    condition = alltrue([
      for statement in jsondecode(aws_iam_role_policy.execution.policy).Statement :
      statement.Resource != "*" || statement.Action == "ecr:GetAuthorizationToken"
    ])
    error_message = "the execution role uses Resource * only for ecr:GetAuthorizationToken"
  }

  assert {
    condition     = aws_iam_role_policy.task.policy == var.controller_policy
    error_message = "the task role's policy is exactly the document smgitops printed"
  }

  assert {
    condition     = aws_iam_role.task.assume_role_policy == var.controller_trust_policy
    error_message = "the task role carries the trust smgitops printed"
  }
}

run "refuses_a_task_trust_naming_an_account" {
  command = plan

  variables {
    controller_trust_policy = "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"sts:AssumeRole\",\"Principal\":{\"AWS\":\"arn:aws:iam::999999999999:root\"}}]}"
  }

  expect_failures = [aws_iam_role.task]
}

run "proposals_are_off_by_default" {
  command = apply

  assert {
    condition     = length(aws_secretsmanager_secret.gitlab) == 0 && output.gitlab_secret_arn == null
    error_message = "without gitlab_url and gitlab_project there is no GitLab secret"
  }

  assert {
    condition     = !contains(keys(one(jsondecode(aws_ecs_task_definition.controller.container_definitions))), "environment")
    error_message = "the task definition has no environment, so no SMGITOPS_GITLAB_* variable"
  }

  assert {
    condition     = [for secret in one(jsondecode(aws_ecs_task_definition.controller.container_definitions)).secrets : secret.name] == ["SMGITOPS_GIT_USERNAME", "SMGITOPS_GIT_PASSWORD"]
    error_message = "the task gets the git credentials and no GitLab token"
  }

  assert {
    condition     = !strcontains(aws_iam_role_policy.execution.policy, "ReadGitLabSecret")
    error_message = "the execution role reads no GitLab secret"
  }
}

run "proposals_pass_the_project_and_the_token_to_the_task" {
  command = apply

  variables {
    gitlab_url     = "https://gitlab.example.com"
    gitlab_project = "acme/ml-fleet"
  }

  override_resource {
    target = aws_secretsmanager_secret.gitlab
    values = { arn = "arn:aws:secretsmanager:us-east-1:111111111111:secret:smgitops-gitlab-GhIjKl" }
  }

  assert {
    condition = one(jsondecode(aws_ecs_task_definition.controller.container_definitions)).environment == [
      { name = "SMGITOPS_GITLAB_URL", value = "https://gitlab.example.com" },
      { name = "SMGITOPS_GITLAB_PROJECT", value = "acme/ml-fleet" },
    ]
    error_message = "the task gets the GitLab URL and project in its environment"
  }

  assert {
    condition = contains(one(jsondecode(aws_ecs_task_definition.controller.container_definitions)).secrets, {
      name = "SMGITOPS_GITLAB_TOKEN", valueFrom = aws_secretsmanager_secret.gitlab[0].arn
    })
    error_message = "the task gets the token from the GitLab secret"
  }

  assert {
    condition     = aws_secretsmanager_secret.gitlab[0].name == "smgitops-gitlab" && aws_secretsmanager_secret.gitlab[0].kms_key_id == aws_kms_key.controller.arn
    error_message = "the GitLab secret is encrypted with the module's key"
  }

  assert {
    condition = [
      for statement in jsondecode(aws_iam_role_policy.execution.policy).Statement : statement.Resource
      if statement.Action == "secretsmanager:GetSecretValue"
    ] == [aws_secretsmanager_secret.git.arn, aws_secretsmanager_secret.gitlab[0].arn]
    error_message = "the execution role reads the git secret and the GitLab secret, nothing else"
  }

  assert {
    condition     = output.gitlab_secret_arn == aws_secretsmanager_secret.gitlab[0].arn
    error_message = "the secret's ARN is an output, to set its value"
  }
}

run "refuses_a_gitlab_url_without_a_project" {
  command = plan

  variables {
    gitlab_url = "https://gitlab.example.com"
  }

  expect_failures = [aws_ecs_task_definition.controller]
}
