# The registry role trusts the controller's task role only (another principal is refused); each declared group
# gets the resource policy smgitops printed for it; the emulator switch turns those off.

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
}

variables {
  controller_role_arn = "arn:aws:iam::111111111111:role/smgitops-controller"
  event_bus_arn       = "arn:aws:events:us-east-1:111111111111:event-bus/smgitops"
  policy              = "{\"Version\":\"2012-10-17\",\"Statement\":[]}"
  trust_policy        = jsonencode({ Version = "2012-10-17", Statement = [{ Effect = "Allow", Action = "sts:AssumeRole", Principal = { AWS = "arn:aws:iam::111111111111:role/smgitops-controller" } }] })
  model_package_group_policies = {
    churn = "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Sid\":\"Churn\"}]}"
    ltv   = "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Sid\":\"Ltv\"}]}"
  }
  create_trail = false
}

run "registry_role_trusts_only_the_controller" {
  command = apply

  assert {
    condition     = one(jsondecode(aws_iam_role.registry.assume_role_policy).Statement).Principal == { AWS = var.controller_role_arn }
    error_message = "the registry role must trust the controller's task role and no other principal"
  }

  assert {
    condition     = aws_iam_role_policy.registry.policy == var.policy
    error_message = "the registry role's policy is exactly the document smgitops printed"
  }
}

run "group_policies_name_the_accounts_and_the_groups" {
  command = apply

  assert {
    condition     = output.model_package_group_policies == tolist(["churn", "ltv"])
    error_message = "every declared group gets a resource policy"
  }

  assert {
    condition     = alltrue([for name, item in aws_sagemaker_model_package_group_policy.consumers : item.model_package_group_name == name && item.resource_policy == var.model_package_group_policies[name]])
    error_message = "each group's resource policy is exactly the document smgitops printed for it"
  }
}

run "refuses_a_trust_naming_another_principal" {
  command = plan

  variables {
    trust_policy = jsonencode({ Version = "2012-10-17", Statement = [{ Effect = "Allow", Action = "sts:AssumeRole", Principal = { AWS = "arn:aws:iam::999999999999:root" } }] })
  }

  expect_failures = [aws_iam_role.registry]
}

run "emulator_switch_turns_group_policies_off" {
  command = plan

  variables {
    manage_model_package_group_policies = false
  }

  assert {
    condition     = length(aws_sagemaker_model_package_group_policy.consumers) == 0
    error_message = "manage_model_package_group_policies = false writes no group policy"
  }
}
