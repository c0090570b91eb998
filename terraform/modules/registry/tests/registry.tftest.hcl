# The registry role trusts the controller's task role only; each declared group gets a resource policy that
# names the environment accounts and the group's own ARNs, never `*`; the emulator switch turns them off.

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
  controller_role_arn  = "arn:aws:iam::111111111111:role/smgitops-controller"
  event_bus_arn        = "arn:aws:events:us-east-1:111111111111:event-bus/smgitops"
  policy               = "{\"Version\":\"2012-10-17\",\"Statement\":[]}"
  model_package_groups = ["churn", "ltv"]
  consumer_account_ids = ["333333333333", "222222222222"]
  create_trail         = false
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
    condition = alltrue(flatten([
      for name, item in aws_sagemaker_model_package_group_policy.consumers : [
        for statement in jsondecode(item.resource_policy).Statement :
        statement.Principal.AWS == ["arn:aws:iam::222222222222:root", "arn:aws:iam::333333333333:root"] &&
        startswith(statement.Resource, "arn:aws:sagemaker:us-east-1:111111111111:model-package") &&
        strcontains(statement.Resource, "/${name}")
      ]
    ]))
    error_message = "group policies admit exactly the environment accounts, on that group's ARNs"
  }
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
