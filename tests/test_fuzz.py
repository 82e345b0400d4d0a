"""Fuzzing every command with random and hostile files (a seeded generator, reproducible).

Each case runs the real command line in a subprocess and checks what a user relies on:
exit code 0, 1 or 2 (never a crash), no traceback, an answer within --timeout + 1 s (plus
the interpreter's start), peak memory under MEMORY_BOUND, and that no forged certificate
is ever accepted. The default suite runs a few cases; `-m slow` runs hundreds.
"""

from __future__ import annotations

import json
import random
import resource
import subprocess
import sys
import time
from fractions import Fraction
from pathlib import Path
from typing import Any, Callable

import pytest

TIMEOUT = 2.0
START_SECONDS = 1.5  # the interpreter's and the package's start on a loaded machine
MEMORY_BOUND = 6 * 2**30  # bytes: Z3 is capped at 4 GiB (etr_nn.limits.Z3_MEGABYTES), the rest is small
F = Fraction


def _number(rng: random.Random) -> Any:
    return rng.choice([rng.randint(-5, 5), f"{rng.randint(-9, 9)}/{rng.randint(1, 9)}", round(rng.uniform(-3, 3), 2)])


def random_instance(rng: random.Random) -> dict[str, Any]:
    d, k, m = rng.randint(1, 2), rng.randint(1, 3), rng.randint(1, 2)
    n = rng.randint(1, 9)
    doc: dict[str, Any] = {"format": "etr-nn/instance/1", "name": f"fuzz{rng.randrange(10**6)}",
                           "network": {"inputs": d, "hidden": k, "outputs": m},
                           "data": [{"x": [_number(rng) for _ in range(d)], "y": [_number(rng) for _ in range(m)]}
                                    for _ in range(n)]}
    if rng.random() < 0.3:
        doc["max_error"] = rng.choice([0, "1/2", 1, 3])
        doc["loss"] = rng.choice(["squared", "absolute"])
    return doc


HOSTILE: list[Callable[[random.Random], str]] = [
    lambda rng: "[" * 100_000 + "]" * 100_000,
    lambda rng: json.dumps({**random_instance(rng), "max_error": "1e999999999"}),
    lambda rng: json.dumps({**random_instance(rng), "network": {"inputs": 1, "hidden": 10**30, "outputs": 1}}),
    lambda rng: json.dumps({**random_instance(rng), "name": "\x1b[2J\rfake: sat"}),
    lambda rng: json.dumps(random_instance(rng))[:-7],
    lambda rng: json.dumps({**random_instance(rng), "data": [{"x": ["__import__('os').system('touch MARK')"],
                                                             "y": [0]}]}),
    lambda rng: json.dumps({**random_instance(rng), "data": [{"x": [float("nan")], "y": [0]}]}),
    lambda rng: '{"format": "etr-nn/instance/1", "max_error": 0, "max_error": 1}',
    lambda rng: json.dumps({**random_instance(rng), "data": []}),
    lambda rng: "\x00" * 1000,
]


def run(args: list[str], cwd: Path) -> tuple[int, str, str, float]:
    start = time.monotonic()
    process = subprocess.run([sys.executable, "-m", "etr_nn", *args], capture_output=True, text=True, cwd=cwd,
                             timeout=TIMEOUT + START_SECONDS + 30)
    return process.returncode, process.stdout, process.stderr, time.monotonic() - start


def check_run(args: list[str], cwd: Path, limit: float | None) -> tuple[int, str]:
    code, out, err, seconds = run(args, cwd)
    assert code in (0, 1, 2), (args, code, err[-500:])
    assert "Traceback" not in err, (args, err[-2000:])
    if code == 2:
        assert err.count("\n") <= 3 and err.strip(), (args, err)  # one message (argparse adds a usage line)
    if limit is not None:
        assert seconds < limit + 1.0 + START_SECONDS, (args, seconds)
    assert not (cwd / "MARK").exists(), "input was executed"
    return code, out


def fuzz_case(seed: int, tmp: Path) -> None:
    rng = random.Random(seed)
    file = tmp / f"case{seed}.json"
    text = rng.choice(HOSTILE)(rng) if rng.random() < 0.3 else json.dumps(random_instance(rng))
    file.write_text(text)
    timeout = ["--timeout", str(TIMEOUT)]
    sol = tmp / f"case{seed}.solution.json"
    code, _ = check_run(["solve", file.name, "--output", sol.name, *timeout], tmp, TIMEOUT)
    if code == 2:
        assert not sol.exists(), "bad input wrote an output file"
        return
    check_run(["verify", file.name, sol.name], tmp, None)
    command = rng.choice([["optimize", file.name, *timeout], ["export", file.name, "--smt2", "out.smt2"],
                          ["gadget", "check", file.name, "--claim", "f1(1/3" + ", 0" * (text.count('"inputs": 2'))
                           + ") >= 0", *timeout], ["rationality", file.name, *timeout]])
    limit = TIMEOUT * 2 + 1.5 if command[0] == "gadget" else TIMEOUT if "--timeout" in command else None
    check_run(command, tmp, limit)
    forged = json.loads(sol.read_text())
    exact_fit = json.loads(text).get("max_error", 0) == 0
    if forged.get("status") == "sat" and exact_fit and isinstance(forged["network"]["c"][0], str):  # tampered: invalid
        forged["network"]["c"][0] = str(F(forged["network"]["c"][0]) + 1)
        sol.write_text(json.dumps(forged))
        assert check_run(["verify", file.name, sol.name], tmp, None)[0] == 1


def peak_memory() -> int:
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024


@pytest.mark.parametrize("seed", range(6))
def test_fuzz_commands(seed: int, tmp_path: Path) -> None:
    fuzz_case(seed, tmp_path)
    assert peak_memory() < MEMORY_BOUND


@pytest.mark.slow
def test_fuzz_commands_many(tmp_path: Path) -> None:
    for seed in range(100, 400):
        fuzz_case(seed, tmp_path)
    assert peak_memory() < MEMORY_BOUND


def forged_refutations(seed: int, tmp: Path) -> None:
    """A refutation certificate of an unsat instance, altered at random, is never accepted."""
    from etr_nn.instance import Instance, Shape
    from etr_nn.search import certificate
    from etr_nn.solve import solve

    rng = random.Random(seed)
    k = rng.randint(1, 2)
    n = rng.randint(2 * k + 3, 2 * k + 4)  # zigzag: ⌊(n − 1)/2⌋ > k kinks needed, k ReLUs have k: unsat
    inst = Instance("zigzag", Shape(1, k, 1), tuple((F(x),) for x in range(n)), tuple((F(x % 2),) for x in range(n)))
    path = tmp / f"cert{seed}.json"
    assert solve(inst, workers=1, certificate=str(path)).status == "unsat"
    doc = json.loads(path.read_text())
    assert certificate.check(inst, doc, "cert")[0] == []
    entry = rng.choice(doc["refuted"])
    how = rng.choice(["shift", "drop", "nonlinear", "output"])
    if how == "shift":
        t = rng.randrange(len(entry["farkas"]))
        entry["farkas"][t] = str(F(entry["farkas"][t]) + 1)  # the combination of the rows changes by row t
    elif how == "drop":
        doc["refuted"].remove(entry)
    elif how == "nonlinear":
        doc["refuted"].remove(entry)
        doc["nonlinear"].append({"signs": entry["signs"], "bits": entry["bits"], "decided_by": "forged"})
    else:
        entry["output"] = 7
    assert certificate.check(inst, doc, "cert")[0], how


@pytest.mark.parametrize("seed", range(4))
def test_forged_refutations_are_rejected(seed: int, tmp_path: Path) -> None:
    forged_refutations(seed, tmp_path)


@pytest.mark.slow
def test_forged_refutations_are_rejected_many(tmp_path: Path) -> None:
    for seed in range(100, 300):
        forged_refutations(seed, tmp_path)
