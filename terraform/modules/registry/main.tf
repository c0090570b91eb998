# The registry account: the role smgitops assumes to approve versions (trusted by the controller's task role
# only), the model package groups' resource policies that let environment accounts use their versions, and
# event forwarding to the controller. Every policy comes from `smgitops permissions`.

resource "aws_iam_role" "registry" {
  name               = var.role_name
  description        = "smgitops approves model versions in the registry as this role"
  tags               = var.tags
  assume_role_policy = var.trust_policy

  lifecycle {
    precondition {
      condition = alltrue([
        for statement in jsondecode(var.trust_policy).Statement :
        statement.Principal == { AWS = var.controller_role_arn } || statement.Effect == "Deny"
      ])
      error_message = "trust_policy must let the controller's task role, and no other principal, assume the registry role."
    }
  }
}

resource "aws_iam_role_policy" "registry" {
  name   = "smgitops"
  role   = aws_iam_role.registry.id
  policy = var.policy
}

resource "aws_sagemaker_model_package_group_policy" "consumers" {
  for_each = var.manage_model_package_group_policies ? var.model_package_group_policies : {}

  model_package_group_name = each.key
  resource_policy          = each.value
}

module "forwarding" {
  source = "../forwarding"

  name          = "registry"
  event_bus_arn = var.event_bus_arn
  create_trail  = var.create_trail
  trail_bucket  = var.trail_bucket
  tags          = var.tags
}
