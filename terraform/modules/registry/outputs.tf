output "role_arn" {
  description = "ARN of the registry role (`registry.role` in environments.yaml)."
  value       = aws_iam_role.registry.arn
}

output "model_package_group_policies" {
  description = "Names of the model package groups whose resource policy this module writes."
  value       = sort(keys(aws_sagemaker_model_package_group_policy.consumers))
}

output "forwarding_rule_arns" {
  description = "ARNs of the rules forwarding events to the controller's bus."
  value       = module.forwarding.rule_arns
}

output "trail_arn" {
  description = "ARN of the management-event trail, or null when `create_trail` is false."
  value       = module.forwarding.trail_arn
}
