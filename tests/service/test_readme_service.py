"""docs/service.md and docs/events.md stay true: the command line parses, every option is documented, and the
event patterns are exactly the events the controller understands (and match the events the tests put on the
queue)."""

from __future__ import annotations

import argparse
import json
import re
import shlex

from docs_text import code_blocks, read

from controller.commands import apply as apply_command
from controller.commands import run as run_command
from controller.main import build_parser
from controller.service import events

SECTION = read("docs/service.md")
PATTERNS = [json.loads(block) for block in code_blocks(read("docs/events.md"), "json")]


def matches(pattern: dict, event: dict) -> bool:
    """EventBridge matching for the patterns used here: lists of exact values, nested objects."""
    for key, wanted in pattern.items():
        if isinstance(wanted, dict):
            if not isinstance(event.get(key), dict) or not matches(wanted, event[key]):
                return False
        elif event.get(key) not in wanted:
            return False
    return True


def test_the_command_line_in_the_readme_parses():
    (command,) = code_blocks(SECTION, "sh")
    argv = shlex.split(command.replace("\\\n", " "))
    assert argv[0] == "smgitops"
    args = build_parser().parse_args(argv[1:])
    assert (args.verb, args.source, args.lease_table, args.interval) == (
        "run", "https://gitlab.example.com/acme/ml-fleet.git", "smgitops-lease", 60.0,
    )
    run_parser = argparse.ArgumentParser()
    run_command.add_arguments(run_parser)
    documented = set(re.findall(r"`(--[a-z-]+)", SECTION)) - {"--log-level", "--log-format"}
    known = set(re.findall(r"(--[a-z-]+)", run_parser.format_help()))
    apply_parser = argparse.ArgumentParser()
    apply_command.add_arguments(apply_parser)
    apply_options = set(re.findall(r"(--[a-z-]+)", apply_parser.format_help()))
    assert documented <= known | apply_options, documented - known - apply_options
    assert known - {"--help"} <= documented, f"undocumented: {known - documented - {'--help'}}"


def test_the_event_patterns_are_the_events_the_controller_understands():
    detail_types = {detail_type for pattern in PATTERNS for detail_type in pattern["detail-type"]}
    assert detail_types == {events.PACKAGE_STATE_CHANGE, *events.PIPELINE_STATUS_CHANGES, events.API_CALL}
    package_change = {
        "source": "aws.sagemaker", "detail-type": events.PACKAGE_STATE_CHANGE,
        "detail": {"ModelPackageGroupName": "churn", "ModelApprovalStatus": "Approved"},
    }
    console_edit = {
        "source": "aws.scheduler", "detail-type": events.API_CALL,
        "detail": {"eventSource": "scheduler.amazonaws.com", "eventName": "UpdateSchedule"},
    }
    assert [matches(pattern, package_change) for pattern in PATTERNS] == [True, False]
    assert [matches(pattern, console_edit) for pattern in PATTERNS] == [False, True]
