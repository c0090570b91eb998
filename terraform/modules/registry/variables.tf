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

variable "trust_policy" {
  description = "Trust policy (JSON) of the registry role, as `smgitops permissions` prints it (`registry-trust`); it must name `controller_role_arn` and no other principal."
  type        = string
}

variable "policy" {
  description = "Policy document (JSON) of the registry role, as `smgitops permissions` prints it."
  type        = string
}

variable "model_package_group_policies" {
  description = "Resource policy (JSON) of each model package group git declares, by group name, as `smgitops permissions` prints them (`registry-group-<group>`)."
  type        = map(string)
  default     = {}
}

variable "manage_model_package_group_policies" {
  description = "Write the groups' resource policies (the groups must exist: training creates them); false on an emulator without the API."
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
