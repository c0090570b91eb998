variable "desired_state" {
  description = "The desired-state directory whose environments.yaml and deployment files this organisation serves."
  type        = string
  default     = "../../../desired_state"
}

variable "terraform_role_name" {
  description = "Role Terraform assumes in every account (the one AWS Organizations creates in member accounts)."
  type        = string
  default     = "OrganizationAccountAccessRole"
}

variable "controller_account" {
  description = "Account that runs the controller; null: the registry's account."
  type        = string
  default     = null
}

variable "git_url" {
  description = "HTTPS URL of the git repository the controller follows."
  type        = string
}

variable "gitlab_url" {
  description = "GitLab's URL where the controller opens proposals; empty (the default): no proposals."
  type        = string
  default     = ""
}

variable "gitlab_project" {
  description = "The GitLab project (id or group/name) holding the desired state, for proposals; empty: none."
  type        = string
  default     = ""
}

variable "image_tag" {
  description = "Tag of the controller's image in its ECR repository."
  type        = string
  default     = "0.1.0"
}

variable "subnet_ids" {
  description = "Private subnets of the controller's tasks."
  type        = list(string)
}

variable "security_group_ids" {
  description = "Security groups of the controller's tasks."
  type        = list(string)
}

variable "emulator" {
  description = "Running against an AWS emulator: turns off the resources it cannot create (see the modules' READMEs)."
  type        = bool
  default     = false
}
