"""`smgitops run` refuses a source that can never work with one line, instead of retrying for ever."""

from __future__ import annotations

from controller.main import main


def test_a_missing_local_directory_is_one_line_and_exit_1(tmp_path, capsys):
    missing = tmp_path / "nowhere"
    assert main(["run", str(missing), "--max-cycles", "1", "--health-port", "0"]) == 1
    assert capsys.readouterr().err == f"{missing}:1:1: (directory): no such directory, and not a git URL\n"
