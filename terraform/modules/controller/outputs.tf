output "task_role_arn" {
  description = "ARN of the controller's task role; environment and registry roles trust it."
  value       = aws_iam_role.task.arn
}

output "execution_role_arn" {
  description = "ARN of the task execution role."
  value       = aws_iam_role.execution.arn
}

output "event_bus_arn" {
  description = "ARN of the bus the registry and environment accounts forward events to."
  value       = aws_cloudwatch_event_bus.controller.arn
}

output "queue_url" {
  description = "URL of the event queue (`--queue-url`)."
  value       = aws_sqs_queue.events.url
}

output "queue_arn" {
  description = "ARN of the event queue."
  value       = aws_sqs_queue.events.arn
}

output "dead_letter_queue_arn" {
  description = "ARN of the event queue's dead-letter queue."
  value       = aws_sqs_queue.dead_letters.arn
}

output "lease_table_name" {
  description = "Name of the lease table (`--lease-table`)."
  value       = aws_dynamodb_table.lease.name
}

output "lease_table_arn" {
  description = "ARN of the lease table."
  value       = aws_dynamodb_table.lease.arn
}

output "repository_url" {
  description = "URL of the ECR repository to push the image to."
  value       = aws_ecr_repository.controller.repository_url
}

output "git_secret_arn" {
  description = "ARN of the git deploy token's secret; set its value (`{\"username\": ..., \"password\": ...}`) outside Terraform."
  value       = aws_secretsmanager_secret.git.arn
}

output "gitlab_secret_arn" {
  description = "ARN of the GitLab token's secret (null without proposals); set its value (the token) outside Terraform."
  value       = one(aws_secretsmanager_secret.gitlab[*].arn)
}

output "log_group_name" {
  description = "Name of the controller's log group."
  value       = aws_cloudwatch_log_group.controller.name
}

output "cluster_arn" {
  description = "ARN of the ECS cluster."
  value       = aws_ecs_cluster.controller.arn
}

output "service_name" {
  description = "Name of the ECS service."
  value       = aws_ecs_service.controller.name
}

output "task_definition_arn" {
  description = "ARN of the task definition revision the service runs."
  value       = aws_ecs_task_definition.controller.arn
}
