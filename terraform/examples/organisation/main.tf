# The example organisation of `desired_state/`: the registry, dev, staging and prod accounts and the controller,
# each through its own provider alias assuming `terraform_role_name` there. Accounts, regions, role names and
# buckets are read from environments.yaml, model package groups from the deployment files, and every IAM policy
# from `policies/`, which `smgitops permissions desired_state --format terraform --out policies` writes.

locals {
  organisation = yamldecode(file("${var.desired_state}/environments.yaml"))
  registry     = local.organisation.registry
  environments = local.organisation.environments
  controller   = coalesce(var.controller_account, local.registry.account)
  groups = sort(distinct([
    for name in fileset(var.desired_state, "*/*.yaml") : yamldecode(file("${var.desired_state}/${name}")).modelPackageGroup
  ]))
  accounts    = sort(distinct(concat([local.registry.account], [for environment in local.environments : environment.account])))
  role_name   = { for name, environment in local.environments : name => { for key in ["role", "pipelineRole", "schedulerRole"] : key => element(split("/", environment[key]), 1) } }
  bucket      = { for name, environment in local.environments : name => split("/", trimprefix(environment.artifacts, "s3://"))[0] }
  env_account = [for environment in local.environments : environment.account]
  policy      = { for name in fileset("${path.module}/policies", "*.json") : trimsuffix(name, ".json") => file("${path.module}/policies/${name}") }
}

provider "aws" {
  alias  = "controller"
  region = local.registry.region
  assume_role {
    role_arn = "arn:aws:iam::${local.controller}:role/${var.terraform_role_name}"
  }
}

provider "aws" {
  alias  = "registry"
  region = local.registry.region
  assume_role {
    role_arn = "arn:aws:iam::${local.registry.account}:role/${var.terraform_role_name}"
  }
}

provider "aws" {
  alias  = "dev"
  region = local.environments.dev.region
  assume_role {
    role_arn = "arn:aws:iam::${local.environments.dev.account}:role/${var.terraform_role_name}"
  }
}

provider "aws" {
  alias  = "staging"
  region = local.environments.staging.region
  assume_role {
    role_arn = "arn:aws:iam::${local.environments.staging.account}:role/${var.terraform_role_name}"
  }
}

provider "aws" {
  alias  = "prod"
  region = local.environments.prod.region
  assume_role {
    role_arn = "arn:aws:iam::${local.environments.prod.account}:role/${var.terraform_role_name}"
  }
}

module "controller" {
  source    = "../../modules/controller"
  providers = { aws = aws.controller }

  git_url                  = var.git_url
  image_tag                = var.image_tag
  subnet_ids               = var.subnet_ids
  security_group_ids       = var.security_group_ids
  controller_policy        = local.policy["controller"]
  organisation_account_ids = local.accounts
}

module "registry" {
  source    = "../../modules/registry"
  providers = { aws = aws.registry }

  role_name            = element(split("/", local.registry.role), 1)
  controller_role_arn  = module.controller.task_role_arn
  event_bus_arn        = module.controller.event_bus_arn
  policy               = local.policy["registry"]
  model_package_groups = local.groups
  consumer_account_ids = [for account in local.env_account : account if account != local.registry.account]
  # One trail per account: an environment in the registry's account already records its management events.
  create_trail                        = !contains(local.env_account, local.registry.account)
  manage_model_package_group_policies = !var.emulator
}

module "dev" {
  source    = "../../modules/environment"
  providers = { aws = aws.dev }

  environment         = "dev"
  controller_role_arn = module.controller.task_role_arn
  event_bus_arn       = module.controller.event_bus_arn
  deploy_role_name    = local.role_name.dev.role
  pipeline_role_name  = local.role_name.dev.pipelineRole
  scheduler_role_name = local.role_name.dev.schedulerRole
  deploy_policy       = local.policy["dev-deploy"]
  pipeline_policy     = local.policy["dev-pipeline"]
  scheduler_policy    = local.policy["dev-scheduler"]
  tls_only_policy     = !var.emulator
  artifacts_bucket    = local.bucket.dev
}

module "staging" {
  source    = "../../modules/environment"
  providers = { aws = aws.staging }

  environment         = "staging"
  controller_role_arn = module.controller.task_role_arn
  event_bus_arn       = module.controller.event_bus_arn
  deploy_role_name    = local.role_name.staging.role
  pipeline_role_name  = local.role_name.staging.pipelineRole
  scheduler_role_name = local.role_name.staging.schedulerRole
  deploy_policy       = local.policy["staging-deploy"]
  pipeline_policy     = local.policy["staging-pipeline"]
  scheduler_policy    = local.policy["staging-scheduler"]
  tls_only_policy     = !var.emulator
  artifacts_bucket    = local.bucket.staging
}

module "prod" {
  source    = "../../modules/environment"
  providers = { aws = aws.prod }

  environment         = "prod"
  controller_role_arn = module.controller.task_role_arn
  event_bus_arn       = module.controller.event_bus_arn
  deploy_role_name    = local.role_name.prod.role
  pipeline_role_name  = local.role_name.prod.pipelineRole
  scheduler_role_name = local.role_name.prod.schedulerRole
  deploy_policy       = local.policy["prod-deploy"]
  pipeline_policy     = local.policy["prod-pipeline"]
  scheduler_policy    = local.policy["prod-scheduler"]
  tls_only_policy     = !var.emulator
  artifacts_bucket    = local.bucket.prod
}
