"""The README's examples, run: every `console` block's `$ etr-nn ...` commands (their output
compared, timings aside; `...` stands for any text) and every `pycon` block as a doctest."""

from __future__ import annotations

import doctest
import re
import shlex
from pathlib import Path

import pytest

from etr_nn.cli import main

ROOT = Path(__file__).parent.parent
README = (ROOT / "README.md").read_text()
BLOCKS = re.findall(r"^```(\w*)\n(.*?)^```$", README, re.S | re.M)
CHECKER = doctest.OutputChecker()


def commands(block: str) -> list[tuple[str, str]]:
    """(command line, expected output) for each `$ ` line of a console block."""
    runs: list[tuple[str, str]] = []
    for line in block.splitlines(keepends=True):
        if line.startswith("$ "):
            runs.append((line[2:].strip(), ""))
        else:
            runs[-1] = (runs[-1][0], runs[-1][1] + line)
    return runs


def timeless(text: str) -> str:
    return re.sub(r"\b\d+\.\d+ s\b", "#.## s", text)


@pytest.fixture
def in_a_copy_of_the_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working directory where `encodings/` is the repository's and written files land in tmp_path."""
    (tmp_path / "encodings").symlink_to(ROOT / "encodings")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_every_example_block_is_run_or_a_format() -> None:
    assert {kind for kind, _ in BLOCKS} <= {"console", "pycon", "json", "sh"}
    assert sum(kind == "console" for kind, _ in BLOCKS) >= 3 and any(kind == "pycon" for kind, _ in BLOCKS)


@pytest.mark.parametrize("block", [text for kind, text in BLOCKS if kind == "console"],
                         ids=lambda text: text.splitlines()[0][2:60])
def test_console_example(block: str, in_a_copy_of_the_root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for command, want in commands(block):
        argv = shlex.split(command, comments=True)
        assert argv[0] == "etr-nn", command
        code = main(argv[1:])
        captured = capsys.readouterr()
        got = timeless(captured.out + captured.err)
        assert (code == 2) == ("etr-nn: error:" in want), (command, code)
        assert CHECKER.check_output(timeless(want), got, doctest.ELLIPSIS), \
            f"$ {command}\n" + CHECKER.output_difference(doctest.Example(command, timeless(want)), got,
                                                         doctest.ELLIPSIS)


@pytest.mark.parametrize("block", [text for kind, text in BLOCKS if kind == "pycon"])
def test_python_example(block: str, in_a_copy_of_the_root: Path) -> None:
    test = doctest.DocTestParser().get_doctest(block, {}, "README.md", "README.md", 0)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    runner.run(test)
    assert runner.failures == 0
