"""docs/ecs.md's ECS task definition is valid JSON whose command `smgitops` accepts, checked by the health path."""

from __future__ import annotations

import json
import re

from docs_text import code_blocks, read

from controller.main import build_parser

SECTION = read("docs/ecs.md")


def task_definition() -> dict:
    [block] = code_blocks(SECTION, "json")
    return json.loads(block)


def test_the_container_command_parses_as_smgitops_run():
    [container] = task_definition()["containerDefinitions"]
    args = build_parser().parse_args(container["command"])
    assert args.verb == "run"
    assert args.lease_table == "smgitops-lease" and args.health_port == 8080
    assert container["portMappings"] == [{"containerPort": args.health_port}]


def test_the_health_check_calls_healthz_on_the_health_port():
    [container] = task_definition()["containerDefinitions"]
    check = " ".join(container["healthCheck"]["command"])
    assert "http://127.0.0.1:8080/healthz" in check
    assert {secret["name"] for secret in container["secrets"]} == {"SMGITOPS_GIT_USERNAME", "SMGITOPS_GIT_PASSWORD"}


def test_the_documents_it_names_are_the_ones_permissions_prints():
    """docs/permissions.md's table has a row for every document, and this page names every role's policy."""
    from controller.commands.policies import Controller, documents
    from controller.desired import load

    state = load("desired_state").state
    printed = documents(state, Controller("arn:aws:iam::1:role/c", "arn:aws:sqs:us-east-1:1:q", "t"))
    table = read("docs/permissions.md")
    for key in printed:
        generic = re.sub(rf"^({'|'.join(state.environments)})-", "<env>-", key)
        generic = re.sub(r"^registry-group-.*", "registry-group-<group>", generic)
        assert f"`{generic}`" in table, key
        if not generic.endswith("-trust") and not generic.startswith("registry-group-"):
            assert f"`{generic}`" in SECTION, key
