output "patterns" {
  description = "Event patterns by name (`sagemaker-events`, `api-calls`), each as the JSON EventBridge expects."
  value = {
    "sagemaker-events" = jsonencode(local.sagemaker_events)
    "api-calls"        = jsonencode(local.api_calls)
  }
}
