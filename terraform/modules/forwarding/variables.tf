variable "name" {
  description = "Short name of what forwards (an environment name, or `registry`); part of the rule names."
  type        = string
}

variable "event_bus_arn" {
  description = "ARN of the controller's event bus that receives the events."
  type        = string
}

variable "rule_prefix" {
  description = "Prefix of the forwarding rules' names. Not `smgitops-`: rules with that prefix belong to smgitops itself."
  type        = string
  default     = "forward-to-smgitops"
}

variable "create_trail" {
  description = "Create a CloudTrail trail for management (write) events; false where an organisation trail already covers the account and region."
  type        = bool
  default     = true
}

variable "trail_bucket" {
  description = "Name of the bucket the trail writes to (created here when `create_trail`); default `smgitops-trail-<account>-<region>`."
  type        = string
  default     = null
}

variable "tags" {
  description = "Tags for every resource."
  type        = map(string)
  default     = {}
}
