output "deploy_role_arn" {
  description = "ARN of the deploy role (`role` in environments.yaml)."
  value       = aws_iam_role.deploy.arn
}

output "pipeline_role_arn" {
  description = "ARN of the pipeline role (`pipelineRole`)."
  value       = aws_iam_role.pipeline.arn
}

output "scheduler_role_arn" {
  description = "ARN of the scheduler role (`schedulerRole`)."
  value       = aws_iam_role.scheduler.arn
}

output "artifacts_bucket" {
  description = "Name of the artifacts bucket."
  value       = aws_s3_bucket.artifacts.id
}

output "forwarding_rule_arns" {
  description = "ARNs of the rules forwarding events to the controller's bus."
  value       = module.forwarding.rule_arns
}

output "trail_arn" {
  description = "ARN of the management-event trail, or null when `create_trail` is false."
  value       = module.forwarding.trail_arn
}
