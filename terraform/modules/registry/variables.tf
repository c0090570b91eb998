variable "controller_role_arn" {
  description = "ARN of the controller's task role: the only principal the registry role trusts."
  type        = string
}

variable "event_bus_arn" {
  description = "ARN of the controller's event bus; model package events are forwarded there."
  type        = string
}

variable "role_name" {
  description = "Name of the registry role (`registry.role` in environments.yaml)."
  type        = string
  default     = "smgitops-registry"
}

variable "policy" {
  description = "Policy document (JSON) of the registry role, as `smgitops permissions` prints it."
  type        = string
}

variable "model_package_groups" {
  description = "Names of the model package groups git declares; each gets a resource policy for `consumer_account_ids`."
  type        = list(string)
  default     = []
}

variable "consumer_account_ids" {
  description = "Environment accounts whose pipelines describe the groups' versions and create models from them."
  type        = list(string)
  default     = []
}

variable "manage_model_package_group_policies" {
  description = "Write the groups' resource policies. The groups must exist (training creates them); false on an emulator without the API."
  type        = bool
  default     = true
}

variable "create_trail" {
  description = "Create a CloudTrail trail for management events; false where an environment module or an organisation trail already covers this account."
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
