"""Progress on a terminal (tqdm), silence with --quiet or off a terminal, counts that never go back."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from etr_nn.cli import main
from etr_nn.progress import Progress

ENC = Path(__file__).parent.parent / "encodings"
COMMANDS = {
    "pattern search": ["solve", str(ENC / "xor-k2.json")],
    "direct encoding": ["solve", str(ENC / "xor-k2.json"), "--backend", "z3"],
    "optimize": ["optimize", str(ENC / "rational-optimum-one-output.json")],
    "claim 1/1": ["gadget", "check", str(ENC / "relu.json"), "--claim", "f1(2) = 2"],
}


@pytest.mark.parametrize("what", COMMANDS)
def test_a_bar_on_a_terminal_nothing_with_quiet_or_off_one(what: str, capsys: pytest.CaptureFixture[str],
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    argv = COMMANDS[what]
    main(argv)
    assert what not in capsys.readouterr().err  # captured: not a terminal
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    main(argv)
    assert what in capsys.readouterr().err
    main(argv + ["--quiet"])
    assert what not in capsys.readouterr().err


def test_counts_never_go_back(capsys: pytest.CaptureFixture[str]) -> None:
    with Progress("work", 10, shown=True) as bar:
        bar.show(5)
        bar.show(3)  # e.g. a worker's own count, smaller than what was already shown
        assert bar.bar.n == 5
        bar.show(7)
        assert bar.bar.n == 7
    with Progress("hidden", 10, shown=False) as off:
        off.show(3)
        assert off.bar is None
