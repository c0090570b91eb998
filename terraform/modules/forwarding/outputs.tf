output "rule_arns" {
  description = "ARNs of the forwarding rules, by pattern name."
  value       = { for name, rule in aws_cloudwatch_event_rule.forward : name => rule.arn }
}

output "trail_arn" {
  description = "ARN of the management-event trail, or null when `create_trail` is false."
  value       = var.create_trail ? aws_cloudtrail.management[0].arn : null
}
