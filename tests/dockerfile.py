"""The repository's `Dockerfile`, read into stages of (instruction, arguments) for the tests that check it."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

DOCKERFILE = Path(__file__).resolve().parents[1] / "Dockerfile"


@dataclass
class Stage:
    base: str
    name: str | None
    instructions: list[tuple[str, str]] = field(default_factory=list)

    def all(self, instruction: str) -> list[str]:
        return [arguments for name, arguments in self.instructions if name == instruction]

    def last(self, instruction: str) -> str:
        found = self.all(instruction)
        assert found, f"no {instruction} in the stage FROM {self.base}"
        return found[-1]

    def exec_form(self, instruction: str) -> list[str]:
        return json.loads(self.last(instruction))

    def environment(self) -> dict[str, str]:
        variables: dict[str, str] = {}
        for arguments in self.all("ENV"):
            variables.update(dict(re.findall(r"(\w+)=(\S+)", arguments)))
        return variables


def stages(path: Path = DOCKERFILE) -> list[Stage]:
    text = re.sub(r"\\\n", " ", path.read_text())
    found: list[Stage] = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        instruction, _, arguments = line.partition(" ")
        instruction, arguments = instruction.upper(), " ".join(arguments.split())
        if instruction == "FROM":
            base, _, name = arguments.partition(" AS ")
            found.append(Stage(base=base, name=name or None))
        else:
            found[-1].instructions.append((instruction, arguments))
    return found
