output "controller" {
  description = "What `smgitops run` and the image push need: queue URL, lease table, task role, repository."
  value = {
    task_role_arn     = module.controller.task_role_arn
    queue_url         = module.controller.queue_url
    lease_table_name  = module.controller.lease_table_name
    repository_url    = module.controller.repository_url
    git_secret_arn    = module.controller.git_secret_arn
    gitlab_secret_arn = module.controller.gitlab_secret_arn
    event_bus_arn     = module.controller.event_bus_arn
  }
}

output "registry_role_arn" {
  description = "The registry role (`registry.role` in environments.yaml)."
  value       = module.registry.role_arn
}

output "environments" {
  description = "Per environment: the roles and the artifacts bucket `environments.yaml` names."
  value = {
    for name, environment in { dev = module.dev, staging = module.staging, prod = module.prod } : name => {
      role                         = environment.deploy_role_arn
      pipeline_role                = environment.pipeline_role_arn
      scheduler_role               = environment.scheduler_role_arn
      artifacts                    = environment.artifacts_bucket
    }
  }
}
