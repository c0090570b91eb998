"""Every document `smgitops permissions` prints passes parliament, the IAM policy linter, without a finding.

That rules out actions IAM does not know, `Resource: *` where the action has a resource type AWS can scope,
resources of the wrong type for an action, and malformed conditions. Parliament audits identity policies; a
trust policy has no Resource (it is the role's own policy), so it is audited with the role's ARN filled in as
the Resource, which is what IAM evaluates it against. `*` remains only for the actions whose grant says why, and
docs/permissions.md lists exactly those actions.
"""

from __future__ import annotations

import json
import re

import pytest
from docs_text import read
from parliament import analyze_policy_string

from controller.commands.policies import Controller, documents, sources
from controller.desired import load

CONTROLLER = Controller(
    "arn:aws:iam::111111111111:role/smgitops-controller",
    "arn:aws:sqs:us-east-1:111111111111:smgitops-events",
    "smgitops-lease",
    create_lease_table=True,
)
STATE = load("desired_state").state
DOCUMENTS = documents(STATE, CONTROLLER)


def role_of(key: str) -> str:
    """The ARN of the role a trust policy belongs to."""
    name = key.removesuffix("-trust")
    if name == "controller":
        return CONTROLLER.role_arn
    if name == "registry":
        return STATE.registry.role
    environment, role = name.rsplit("-", 1)
    field = {"deploy": "role", "pipeline": "pipeline_role", "scheduler": "scheduler_role"}[role]
    return getattr(STATE.environments[environment], field)


def audited(key: str, document: dict) -> dict:
    if not key.endswith("-trust"):
        return document
    return {**document, "Statement": [{**item, "Resource": role_of(key)} for item in document["Statement"]]}


@pytest.mark.parametrize("key", sorted(DOCUMENTS))
def test_parliament_finds_nothing(key):
    policy = analyze_policy_string(json.dumps(audited(key, DOCUMENTS[key])))

    assert [(finding.issue, finding.detail) for finding in policy.findings] == []


def test_parliament_does_find_an_unscoped_resource_and_an_unknown_action():
    """The audit can fail: the old policy's `Resource: *` and its non-action sqs:DeleteMessageBatch."""
    old = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Resource": "*", "Action": ["sqs:ReceiveMessage"]},
        {"Effect": "Allow", "Resource": "*", "Action": ["sqs:DeleteMessageBatch"]},
    ]}

    issues = {finding.issue for finding in analyze_policy_string(json.dumps(old)).findings}

    assert {"RESOURCE_STAR", "UNKNOWN_ACTION"} <= issues


def test_star_only_where_a_grant_says_why_and_the_docs_list_those_actions():
    unscoped = {action for grants in sources().values() for grant in grants if grant.unscoped
                for action in grant.actions}
    starred = {
        action
        for document in DOCUMENTS.values() for statement in document["Statement"]
        if statement.get("Resource") == "*" for action in statement["Action"]
    }
    section = read("docs/permissions.md").split("\n## Where `*` remains\n", 1)[1].split("\n## ", 1)[0]
    documented = set(re.findall(r"^\| `([a-z0-9-]+:[A-Za-z]+)`", section, flags=re.MULTILINE))

    assert starred == unscoped
    assert documented == unscoped
    assert all(statement.get("Resource") != "*" or statement["Action"][0] in unscoped
               for document in DOCUMENTS.values() for statement in document["Statement"])
