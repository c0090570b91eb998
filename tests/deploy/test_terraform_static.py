"""`terraform fmt`, `validate` and `test` of every module and of the example, as CI runs them.

The `*.tftest.hcl` files (each module's `tests/`) run on a mocked AWS provider and assert what matters: roles
trust only the controller's task role, the bucket blocks public access, the queue has a dead-letter queue, no
policy a module writes puts `*` on a resource AWS can scope.
"""

from __future__ import annotations

import pytest
from terraformrun import EXAMPLE, MODULES, REPOSITORY, Terraform, workspace


@pytest.fixture(scope="module")
def terraform_copy(tmp_path_factory):
    return workspace(tmp_path_factory.mktemp("static"))


def test_every_file_is_formatted(terraform_copy):
    completed = Terraform(terraform_copy).run("fmt", "-check", "-recursive", "-diff", ok=(0, 3))
    assert completed.returncode == 0, f"terraform fmt -recursive would change:\n{completed.stdout}"


@pytest.mark.parametrize("path", [f"modules/{name}" for name in MODULES] + [EXAMPLE])
def test_validates_and_its_tests_pass(terraform_copy, path):
    terraform = Terraform(terraform_copy / path).init()
    assert "The configuration is valid" in terraform.run("validate").stdout
    if (REPOSITORY / "terraform" / path / "tests").is_dir():
        completed = terraform.run("test")
        assert "0 failed" in completed.stdout and " passed" in completed.stdout
