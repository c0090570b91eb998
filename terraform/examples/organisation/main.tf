# The example organisation of `desired_state/`: the registry, dev, staging and prod accounts and the controller,
# each through its own provider alias assuming `terraform_role_name` there. Accounts, regions, role names and
# buckets are read from environments.yaml, model package groups from the deployment files, and every IAM policy
# (and trust) from `policies/`, which `smgitops permissions desired_state --format terraform --out policies`
# writes.

locals {
  organisation = yamldecode(file("${var.desired_state}/environments.yaml"))
  registry     = local.organisation.registry
  environments = local.organisation.environments
  controller   = coalesce(var.controller_account, local.registry.account)
  accounts     = sort(distinct(concat([local.registry.account], [for environment in local.environments : environment.account])))
  role_name    = { for name, environment in local.environments : name => { for key in ["role", "pipelineRole", "schedulerRole"] : key => element(split("/", environment[key]), 1) } }
  bucket       = { for name, environment in local.environments : name => split("/", trimprefix(environment.artifacts, "s3://"))[0] }
  env_account  = [for environment in local.environments : environment.account]
  prefix       = { for name, environment in local.environments : name => join("/", slice(split("/", trimprefix(environment.artifacts, "s3://")), 1, length(split("/", trimprefix(environment.artifacts, "s3://"))))) }
  # Pipeline roles of other accounts whose policy reads this environment's artifacts (models trained there).
  readers = { for name, environment in local.environments : name => sort([
    for other, peer in local.environments : peer.pipelineRole
    if peer.account != environment.account && strcontains(local.policy["${other}-pipeline"], "arn:aws:s3:::${local.bucket[name]}/")
  ]) }
  group_policies = { for key, document in local.policy : trimprefix(key, "registry-group-") => document if startswith(key, "registry-group-") }
  policy         = { for name in fileset("${path.module}/policies", "*.json") : trimsuffix(name, ".json") => file("${path.module}/policies/${name}") }
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
  gitlab_url               = var.gitlab_url
  gitlab_project           = var.gitlab_project
  image_tag                = var.image_tag
  subnet_ids               = var.subnet_ids
  security_group_ids       = var.security_group_ids
  controller_policy        = local.policy["controller"]
  controller_trust_policy  = local.policy["controller-trust"]
  organisation_account_ids = local.accounts
}

module "registry" {
  source    = "../../modules/registry"
  providers = { aws = aws.registry }

  role_name                    = element(split("/", local.registry.role), 1)
  controller_role_arn          = module.controller.task_role_arn
  event_bus_arn                = module.controller.event_bus_arn
  trust_policy                 = local.policy["registry-trust"]
  policy                       = local.policy["registry"]
  model_package_group_policies = local.group_policies
  # One trail per account: an environment in the registry's account already records its management events.
  create_trail                        = !contains(local.env_account, local.registry.account)
  manage_model_package_group_policies = !var.emulator
  # The group policies name the environments' pipeline roles, which must exist first.
  depends_on = [module.dev, module.staging, module.prod]
}

module "dev" {
  source    = "../../modules/environment"
  providers = { aws = aws.dev }

  environment               = "dev"
  controller_role_arn       = module.controller.task_role_arn
  event_bus_arn             = module.controller.event_bus_arn
  deploy_role_name          = local.role_name.dev.role
  pipeline_role_name        = local.role_name.dev.pipelineRole
  scheduler_role_name       = local.role_name.dev.schedulerRole
  deploy_trust_policy       = local.policy["dev-deploy-trust"]
  pipeline_trust_policy     = local.policy["dev-pipeline-trust"]
  scheduler_trust_policy    = local.policy["dev-scheduler-trust"]
  deploy_policy             = local.policy["dev-deploy"]
  pipeline_policy           = local.policy["dev-pipeline"]
  scheduler_policy          = local.policy["dev-scheduler"]
  tls_only_policy           = !var.emulator
  artifacts_bucket          = local.bucket.dev
  artifacts_prefix          = local.prefix.dev
  artifact_reader_role_arns = local.readers.dev
}

module "staging" {
  source    = "../../modules/environment"
  providers = { aws = aws.staging }

  environment               = "staging"
  controller_role_arn       = module.controller.task_role_arn
  event_bus_arn             = module.controller.event_bus_arn
  deploy_role_name          = local.role_name.staging.role
  pipeline_role_name        = local.role_name.staging.pipelineRole
  scheduler_role_name       = local.role_name.staging.schedulerRole
  deploy_trust_policy       = local.policy["staging-deploy-trust"]
  pipeline_trust_policy     = local.policy["staging-pipeline-trust"]
  scheduler_trust_policy    = local.policy["staging-scheduler-trust"]
  deploy_policy             = local.policy["staging-deploy"]
  pipeline_policy           = local.policy["staging-pipeline"]
  scheduler_policy          = local.policy["staging-scheduler"]
  tls_only_policy           = !var.emulator
  artifacts_bucket          = local.bucket.staging
  artifacts_prefix          = local.prefix.staging
  artifact_reader_role_arns = local.readers.staging
}

module "prod" {
  source    = "../../modules/environment"
  providers = { aws = aws.prod }

  environment               = "prod"
  controller_role_arn       = module.controller.task_role_arn
  event_bus_arn             = module.controller.event_bus_arn
  deploy_role_name          = local.role_name.prod.role
  pipeline_role_name        = local.role_name.prod.pipelineRole
  scheduler_role_name       = local.role_name.prod.schedulerRole
  deploy_trust_policy       = local.policy["prod-deploy-trust"]
  pipeline_trust_policy     = local.policy["prod-pipeline-trust"]
  scheduler_trust_policy    = local.policy["prod-scheduler-trust"]
  deploy_policy             = local.policy["prod-deploy"]
  pipeline_policy           = local.policy["prod-pipeline"]
  scheduler_policy          = local.policy["prod-scheduler"]
  tls_only_policy           = !var.emulator
  artifacts_bucket          = local.bucket.prod
  artifacts_prefix          = local.prefix.prod
  artifact_reader_role_arns = local.readers.prod
}
