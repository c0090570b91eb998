# Events: the bus the accounts forward to (its policy admits the organisation's accounts), rules with the
# patterns smgitops reacts to, and the queue they fill, with a dead-letter queue.

module "patterns" {
  source = "../event-patterns"
}

resource "aws_cloudwatch_event_bus" "controller" {
  name = var.event_bus_name
  tags = var.tags
}

resource "aws_cloudwatch_event_bus_policy" "controller" {
  event_bus_name = aws_cloudwatch_event_bus.controller.name
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "OrganisationAccounts"
      Effect    = "Allow"
      Principal = { AWS = [for account in sort(distinct(var.organisation_account_ids)) : "arn:${local.partition}:iam::${account}:root"] }
      Action    = "events:PutEvents"
      Resource  = aws_cloudwatch_event_bus.controller.arn
    }]
  })
}

resource "aws_cloudwatch_event_rule" "queue" {
  for_each = module.patterns.patterns

  name           = "${var.name}-${each.key}"
  description    = "Queues ${each.key} for the smgitops controller"
  event_bus_name = aws_cloudwatch_event_bus.controller.name
  event_pattern  = each.value
  tags           = var.tags
}

resource "aws_cloudwatch_event_target" "queue" {
  for_each = aws_cloudwatch_event_rule.queue

  rule           = each.value.name
  event_bus_name = aws_cloudwatch_event_bus.controller.name
  target_id      = "smgitops-queue"
  arn            = aws_sqs_queue.events.arn
}

resource "aws_sqs_queue" "dead_letters" {
  name                      = "${var.queue_name}-dlq"
  message_retention_seconds = 1209600
  sqs_managed_sse_enabled   = true
  tags                      = var.tags
}

resource "aws_sqs_queue" "events" {
  name                       = var.queue_name
  message_retention_seconds  = 345600
  visibility_timeout_seconds = 60
  receive_wait_time_seconds  = 10
  sqs_managed_sse_enabled    = true
  tags                       = var.tags
  redrive_policy = jsonencode({
    deadLetterTargetArn = aws_sqs_queue.dead_letters.arn
    maxReceiveCount     = 5
  })
}

resource "aws_sqs_queue_policy" "events" {
  queue_url = aws_sqs_queue.events.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "EventBridgeRules"
      Effect    = "Allow"
      Principal = { Service = "events.amazonaws.com" }
      Action    = "sqs:SendMessage"
      Resource  = aws_sqs_queue.events.arn
      Condition = { ArnEquals = { "aws:SourceArn" = sort([for rule in aws_cloudwatch_event_rule.queue : rule.arn]) } }
    }]
  })
}
