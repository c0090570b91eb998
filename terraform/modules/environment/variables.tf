variable "environment" {
  description = "The environment's name in `environments.yaml` (dev, staging, prod...)."
  type        = string
}

variable "controller_role_arn" {
  description = "ARN of the controller's task role: the only principal the deploy role trusts."
  type        = string
}

variable "event_bus_arn" {
  description = "ARN of the controller's event bus; SageMaker events and API calls are forwarded there."
  type        = string
}

variable "deploy_role_name" {
  description = "Name of the role smgitops assumes in this account (`role` in environments.yaml)."
  type        = string
  default     = "smgitops-deploy"
}

variable "pipeline_role_name" {
  description = "Name of the role SageMaker pipelines run as (`pipelineRole`)."
  type        = string
  default     = "sagemaker-pipelines"
}

variable "scheduler_role_name" {
  description = "Name of the role schedules and rules start pipelines as (`schedulerRole`)."
  type        = string
  default     = "smgitops-scheduler"
}

variable "deploy_trust_policy" {
  description = "Trust policy (JSON) of the deploy role, as `smgitops permissions` prints it (`<env>-deploy-trust`); it must name `controller_role_arn` and no other principal."
  type        = string
}

variable "pipeline_trust_policy" {
  description = "Trust policy (JSON) of the pipeline role (`<env>-pipeline-trust`); AWS services only."
  type        = string
}

variable "scheduler_trust_policy" {
  description = "Trust policy (JSON) of the scheduler role (`<env>-scheduler-trust`); AWS services only."
  type        = string
}

variable "deploy_policy" {
  description = "Policy document (JSON) of the deploy role, as `smgitops permissions` prints it for this environment."
  type        = string
}

variable "pipeline_policy" {
  description = "Policy document (JSON) of the pipeline role, as `smgitops permissions` prints it for this environment."
  type        = string
}

variable "scheduler_policy" {
  description = "Policy document (JSON) of the scheduler role, as `smgitops permissions` prints it for this environment."
  type        = string
}

variable "artifacts_bucket" {
  description = "Name of the bucket of `artifacts` in environments.yaml (processing code smgitops uploads)."
  type        = string
}

variable "artifacts_prefix" {
  description = "Prefix of `artifacts` in environments.yaml inside the bucket (e.g. `smgitops/`)."
  type        = string
  default     = "smgitops/"
}

variable "artifact_reader_role_arns" {
  description = "Roles of other accounts (pipeline roles of environments deploying models trained here) that may read the artifacts prefix."
  type        = list(string)
  default     = []
}

variable "tls_only_policy" {
  description = "Deny requests to the bucket without TLS; false only on an emulator that ignores the policy's condition."
  type        = bool
  default     = true
}

variable "create_trail" {
  description = "Create a CloudTrail trail for management events; false where an organisation trail already covers this account."
  type        = bool
  default     = true
}

variable "trail_bucket" {
  description = "Name of the trail's bucket; default `smgitops-trail-<account>-<region>`."
  type        = string
  default     = null
}

variable "tags" {
  description = "Tags for every resource."
  type        = map(string)
  default     = {}
}
