# The ECS service: `smgitops run` on Fargate, two replicas sharing one lease, health checked on /healthz.

locals {
  image = coalesce(var.image, "${aws_ecr_repository.controller.repository_url}:${var.image_tag}")
  command = concat(
    ["--log-level", var.log_level, "--log-format", "json", "run", var.git_url],
    ["--branch", var.git_branch, "--path", var.git_path],
    ["--queue-url", aws_sqs_queue.events.url, "--lease-table", aws_dynamodb_table.lease.name],
    var.lease_role_arn == null ? [] : ["--lease-role", var.lease_role_arn],
    var.shard_by == "none" ? [] : ["--shard-by", var.shard_by],
    ["--health-port", tostring(var.health_port)],
  )
  # Proposals: both the URL and the project turn them on; the token comes from a secret of its own.
  proposals = var.gitlab_url != "" && var.gitlab_project != ""
  proposal_environment = [
    { name = "SMGITOPS_GITLAB_URL", value = var.gitlab_url },
    { name = "SMGITOPS_GITLAB_PROJECT", value = var.gitlab_project },
  ]
  proposal_secrets = [for secret in aws_secretsmanager_secret.gitlab : { name = "SMGITOPS_GITLAB_TOKEN", valueFrom = secret.arn }]
  # The image's user and writable directories (Dockerfile); the root file system stays read-only.
  writable = { tmp = "/tmp", cache = "/var/cache/smgitops", home = "/home/smgitops" }
  # Without proposals the definition has no `environment` at all, as before they existed.
  container = merge(local.proposals ? { environment = local.proposal_environment } : {}, {
    name                   = "smgitops"
    image                  = local.image
    essential              = true
    user                   = "10001"
    command                = local.command
    readonlyRootFilesystem = true
    portMappings           = [{ containerPort = var.health_port, protocol = "tcp" }]
    mountPoints            = [for volume, path in local.writable : { sourceVolume = volume, containerPath = path, readOnly = false }]
    secrets = concat([
      { name = "SMGITOPS_GIT_USERNAME", valueFrom = "${aws_secretsmanager_secret.git.arn}:username::" },
      { name = "SMGITOPS_GIT_PASSWORD", valueFrom = "${aws_secretsmanager_secret.git.arn}:password::" },
    ], local.proposal_secrets)
    healthCheck = {
      command     = ["CMD", "python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:${var.health_port}/healthz')"]
      interval    = 30
      timeout     = 5
      retries     = 3
      startPeriod = 60
    }
    stopTimeout = var.stop_timeout
    logConfiguration = {
      logDriver = "awslogs"
      options = {
        awslogs-group         = aws_cloudwatch_log_group.controller.name
        awslogs-region        = local.region
        awslogs-stream-prefix = "smgitops"
      }
    }
  })
}

resource "aws_ecs_cluster" "controller" {
  name = var.name
  tags = var.tags

  setting {
    name  = "containerInsights"
    value = "enabled"
  }
}

resource "aws_ecs_task_definition" "controller" {
  family                   = var.name
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = var.cpu
  memory                   = var.memory
  task_role_arn            = aws_iam_role.task.arn
  execution_role_arn       = aws_iam_role.execution.arn
  container_definitions    = jsonencode([local.container])
  tags                     = var.tags

  runtime_platform {
    operating_system_family = "LINUX"
    cpu_architecture        = "X86_64"
  }

  lifecycle {
    precondition {
      condition     = (var.gitlab_url == "") == (var.gitlab_project == "")
      error_message = "gitlab_url and gitlab_project go together: set both to turn proposals on, or neither."
    }
  }

  dynamic "volume" {
    for_each = local.writable
    content {
      name = volume.key
    }
  }
}

resource "aws_ecs_service" "controller" {
  name                               = var.name
  cluster                            = aws_ecs_cluster.controller.arn
  task_definition                    = aws_ecs_task_definition.controller.arn
  desired_count                      = var.desired_count
  launch_type                        = "FARGATE"
  deployment_minimum_healthy_percent = 50
  deployment_maximum_percent         = 200
  tags                               = var.tags

  network_configuration {
    subnets          = var.subnet_ids
    security_groups  = var.security_group_ids
    assign_public_ip = false
  }

  lifecycle {
    # Where tasks run across zones is ECS's to balance; the emulator does not report this attribute at all.
    ignore_changes = [availability_zone_rebalancing]
  }
}
