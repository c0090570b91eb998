variable "name" {
  description = "Name of the ECS cluster, service, task family, log group, repository and the prefix of the roles."
  type        = string
  default     = "smgitops"
}

variable "git_url" {
  description = "URL of the git repository holding the desired state (HTTPS; credentials come from `git_secret_name`)."
  type        = string
}

variable "git_branch" {
  description = "Branch the controller follows."
  type        = string
  default     = "main"
}

variable "git_path" {
  description = "Directory in the repository holding environments.yaml."
  type        = string
  default     = "desired_state"
}

variable "controller_policy" {
  description = "Policy document (JSON) of the task role, as `smgitops permissions` prints it for the controller."
  type        = string
}

variable "controller_trust_policy" {
  description = "Trust policy (JSON) of the task role, as `smgitops permissions` prints it (`controller-trust`); AWS services only."
  type        = string
}

variable "organisation_account_ids" {
  description = "Accounts (registry and environments) whose rules may put events on the controller's bus."
  type        = list(string)
}

variable "image_tag" {
  description = "Tag of the image in the repository this module creates (tags are immutable: use the release, e.g. 0.1.0)."
  type        = string
}

variable "image" {
  description = "Full image reference; overrides the repository this module creates and `image_tag`."
  type        = string
  default     = null
}

variable "subnet_ids" {
  description = "Subnets of the tasks (private, with a route to AWS APIs and to the git host)."
  type        = list(string)
}

variable "security_group_ids" {
  description = "Security groups of the tasks (egress to HTTPS only is enough)."
  type        = list(string)
}

variable "desired_count" {
  description = "Replicas; with shard_by none one holds the lease and writes, the others stand by."
  type        = number
  default     = 2
}

variable "shard_by" {
  description = "none: one replica writes at a time; environment: the replicas split the environments and the registry, each under its own lease."
  type        = string
  default     = "none"
  validation {
    condition     = contains(["none", "environment"], var.shard_by)
    error_message = "shard_by is none or environment."
  }
}

variable "cpu" {
  description = "Task CPU units."
  type        = number
  default     = 512
}

variable "memory" {
  description = "Task memory (MiB)."
  type        = number
  default     = 1024
}

variable "health_port" {
  description = "Port of /healthz, /readyz and /metrics (the image exposes 8080)."
  type        = number
  default     = 8080
}

variable "stop_timeout" {
  description = "Seconds between SIGTERM and SIGKILL: room for the write in flight (at most 120 on Fargate)."
  type        = number
  default     = 30
}

variable "log_level" {
  description = "smgitops --log-level."
  type        = string
  default     = "info"
}

variable "log_retention_days" {
  description = "Retention of the log group."
  type        = number
  default     = 365
}

variable "lease_table_name" {
  description = "Name of the DynamoDB lease table."
  type        = string
  default     = "smgitops-lease"
}

variable "lease_role_arn" {
  description = "Role in this account to take the lease through; null: the registry role (when the registry is this account)."
  type        = string
  default     = null
}

variable "queue_name" {
  description = "Name of the SQS event queue (its dead-letter queue is `<name>-dlq`)."
  type        = string
  default     = "smgitops-events"
}

variable "event_bus_name" {
  description = "Name of the EventBridge bus the accounts forward events to."
  type        = string
  default     = "smgitops"
}

variable "git_secret_name" {
  description = "Name of the Secrets Manager secret holding the git deploy token as JSON keys `username` and `password`; its value is set outside Terraform."
  type        = string
  default     = "smgitops-git"
}

variable "gitlab_url" {
  description = "GitLab's URL (or its /api/v4 root) where the controller opens proposals; empty: no proposals."
  type        = string
  default     = ""
}

variable "gitlab_project" {
  description = "The GitLab project holding the desired state (id or group/name); empty: no proposals."
  type        = string
  default     = ""
}

variable "gitlab_secret_name" {
  description = "Name of the Secrets Manager secret, created only with gitlab_url and gitlab_project, holding the GitLab project access token (the plain string); its value is set outside Terraform."
  type        = string
  default     = "smgitops-gitlab"
}

variable "tags" {
  description = "Tags for every resource."
  type        = map(string)
  default     = {}
}
