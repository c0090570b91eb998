"""The desired-state contract: load and check the YAML files in git, build the frozen model objects.

    result = load("desired_state")
    if result.problems: print("\n".join(map(str, result.problems)))
    else: use(result.state)

Only PyYAML, jsonschema and the standard library are imported here, so `smgitops validate` stays light.
"""

from controller.desired.loader import LoadResult, load
from controller.desired.problems import Problem
from controller.desired.schemacheck import schemas

__all__ = ["LoadResult", "Problem", "load", "schemas"]
