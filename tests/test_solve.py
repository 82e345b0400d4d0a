"""End to end: known answers, planted data always fits, one output never needs irrationals."""

from __future__ import annotations

import json
import random
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import pytest
import z3
from hypothesis import given
from hypothesis import strategies as st

from etr_nn import instance as instances
from etr_nn.certify import Check, certify
from etr_nn.cli import main
from etr_nn.generate import planted, random_points, sample
from etr_nn.instance import Shape
from etr_nn.network import Network
from etr_nn.solve import solve

CATALOGUE = json.loads((Path(__file__).parent.parent / "encodings" / "catalogue.json").read_text())


@pytest.mark.parametrize("backend", ["z3", "cad"])
@pytest.mark.parametrize("entry", CATALOGUE["instances"], ids=lambda e: e["file"])
def test_catalogue_answers(encodings: Path, entry: dict[str, str], backend: str) -> None:
    """Every backend gives the known answer, and its weights pass the exact check."""
    inst = instances.load(encodings / entry["file"])
    solution = solve(inst, backend=backend, timeout=60)
    assert solution.status == entry["status"], solution.rests_on
    if solution.status == "sat":
        assert solution.verified and solution.network is not None
        assert certify(inst, solution.network).valid and solution.error == 0


@pytest.mark.parametrize("entry", CATALOGUE["solutions"], ids=lambda e: e["file"])
def test_catalogue_solutions(encodings: Path, entry: dict[str, object], capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["verify", str(encodings / str(entry["instance"])), str(encodings / str(entry["file"]))])
    assert code == (0 if entry["valid"] else 1)


def test_cli_solve_writes_a_solution_that_verify_accepts(encodings: Path, tmp_path: Path,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "xor.solution.json"
    assert main(["solve", str(encodings / "xor-k2.json"), "--output", str(out)]) == 0
    text = capsys.readouterr().out
    assert "sat" in text and "verified" in text
    doc = json.loads(out.read_text())
    assert doc["format"] == "etr-nn/solution/1" and doc["status"] == "sat" and doc["verified"] is True
    assert len(doc["network"]["W"]) == 2 and len(doc["network"]["W"][0]) == 2 and len(doc["network"]["A"]) == 1
    assert main(["verify", str(encodings / "xor-k2.json"), str(out)]) == 0


def test_cli_unsat_exit_0_and_json(encodings: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["solve", str(encodings / "xor-k1.json"), "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["status"] == "unsat" and "network" not in doc and doc["rests_on"]


def test_timeout_gives_unknown_exit_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    inst, _ = planted(Shape(2, 3, 2), 14, seed=5)
    path = tmp_path / "hard.json"
    inst.dump(path)
    assert main(["solve", str(path), "--backend", "z3", "--timeout", "0.5", "--json"]) in (0, 1)
    doc = json.loads(capsys.readouterr().out)
    assert doc["status"] in ("sat", "unknown")
    assert doc["status"] == "sat" or doc["seconds"] < 5


def test_export_is_read_by_z3_with_the_same_answer(encodings: Path, tmp_path: Path) -> None:
    for name, expected in (("xor-k1.json", z3.unsat), ("xor-k2.json", z3.sat),
                           ("planted-d1-k2-m2-n6-s3.json", z3.sat)):
        out = tmp_path / "enc.smt2"
        assert main(["export", str(encodings / name), "--smt2", str(out)]) == 0
        solver = z3.SolverFor("QF_NRA")
        solver.from_file(str(out))
        assert solver.check() == expected, name


def test_verify_rounded_sqrt2_quickly(encodings: Path) -> None:
    """Only exact arithmetic in Q(√2) tells a·w = 1 from 7071/10000·√2 ≈ 0.99999: well under 1 s."""
    args = [sys.executable, "-m", "etr_nn", "verify", str(encodings / "relu.json")]
    good = subprocess.run(args + [str(encodings / "relu-sqrt2.solution.json")], capture_output=True, text=True)
    bad = subprocess.run(args + [str(encodings / "relu-sqrt2-rounded.solution.json")], capture_output=True, text=True)
    assert good.returncode == 0 and "valid" in good.stdout
    assert bad.returncode == 1 and "exceeds max_error" in bad.stdout


def test_solve_process_imports_only_what_it_uses(encodings: Path) -> None:
    """`python -m etr_nn solve` on a small instance (decided in this process) answers without
    importing the other commands' modules or a process pool."""
    probe = ("import runpy, sys\n"
             "try:\n    runpy.run_module('etr_nn', run_name='__main__')\n"
             "except SystemExit as stop:\n    code = stop.code\n"
             "heavy = ('etr_nn.gadgets.checker', 'etr_nn.gadgets.reduction', 'etr_nn.optimize.landscape',\n"
             "         'multiprocessing', 'concurrent.futures', 'sympy', 'scipy')\n"
             "print(code, [m for m in heavy if m in sys.modules], file=sys.stderr)\n")
    done = subprocess.run([sys.executable, "-c", probe, "solve", str(encodings / "xor-k2.json"), "--workers", "2"],
                          capture_output=True, text=True)
    assert done.stdout.startswith("xor-k2") and "sat" in done.stdout
    assert done.stderr.strip().splitlines()[-1] == "0 []"


shapes = st.builds(Shape, st.integers(1, 2), st.integers(1, 2), st.integers(1, 2))


@given(shape=shapes, n=st.integers(1, 5), seed=st.integers(0, 10**6))
def test_planted_data_is_sat_and_certified(shape: Shape, n: int, seed: int) -> None:
    inst, _ = planted(shape, n, seed)
    solution = solve(inst, timeout=60)
    assert solution.status == "sat" and solution.network is not None
    assert certify(inst, solution.network).valid


@given(d=st.integers(1, 2), k=st.integers(1, 2), n=st.integers(1, 6), seed=st.integers(0, 10**6),
       loss_and_gamma=st.sampled_from([("squared", 0), ("absolute", 0), ("absolute", Fraction(1, 2)),
                                       ("absolute", 2)]))
def test_single_output_answers_are_rational(d: int, k: int, n: int, seed: int,
                                            loss_and_gamma: tuple[str, Fraction]) -> None:
    """Fact 3: with one output, every sat answer has rational weights (labels here are random).

    These losses keep every case linear (exact simplex), so an answer is always reached."""
    loss, gamma = loss_and_gamma
    rng = random.Random(seed)
    points = random_points(n, d, rng)
    labels = tuple((Fraction(rng.randint(-4, 4)),) for _ in points)
    inst = instances.Instance("random", Shape(d, k, 1), tuple(points), labels, loss, Fraction(gamma))  # type: ignore[arg-type]
    solution = solve(inst, timeout=60)
    assert solution.status in ("sat", "unsat")
    if solution.status == "sat":
        assert solution.network is not None and solution.network.is_rational()
        assert certify(inst, solution.network).valid


@given(seed=st.integers(0, 10**6), which=st.integers(0, 10**6), delta=st.sampled_from([Fraction(1, 1000), Fraction(-1, 7)]))
def test_certify_rejects_a_perturbed_weight(seed: int, which: int, delta: Fraction) -> None:
    """Zero error is tight: moving one weight (one that matters) breaks the fit."""
    rng = random.Random(seed)
    network = Network.build([[2], [-1]], [-1, 1], [[1, Fraction(rng.randint(1, 3))]], [Fraction(rng.randint(-2, 2))])
    inst = sample(network, [(Fraction(x, 2),) for x in range(-6, 7)], "zigzag")
    assert certify(inst, network).valid
    weights = network.weights()
    weights[which % len(weights)] += delta
    W, b, A, c = [weights[0:1], weights[1:2]], weights[2:4], [weights[4:6]], weights[6:7]
    assert not certify(inst, Network.build(W, b, A, c)).valid


def _living(pids: list[int]) -> list[int]:
    """The processes among pids that still run (not gone, not zombies)."""
    def alive(pid: int) -> bool:
        try:
            return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
        except OSError:
            return False
    return [pid for pid in pids if alive(pid)]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
@pytest.mark.parametrize("how, limit", [("ctrl-c", []), ("sigterm", []), ("sigkill", []),
                                        ("ctrl-c", ["--timeout", "120"]), ("sigkill", ["--timeout", "120"])])
def test_interrupted_solve_ends_its_workers(encodings: Path, how: str, limit: list[str]) -> None:
    """Ctrl-C (SIGINT to the process group): one line, exit 130; SIGTERM: one line, exit 143;
    SIGKILL: no cleanup runs, yet the workers end with their parent. With --timeout the work
    runs in a supervised child (etr_nn.supervise): the same."""
    import os
    import signal
    import time
    import uuid

    marker = f"ETR_NN_TEST_RUN={uuid.uuid4()}"
    key, value = marker.split("=")
    process = subprocess.Popen([sys.executable, "-m", "etr_nn", "solve", str(encodings / "golden.json"), "--workers",
                                "2", *limit], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               start_new_session=True, env={**os.environ, key: value})
    expected = 3 + bool(limit)  # the command (and its supervised child), two workers
    until = time.monotonic() + 30
    while len(_processes_with(marker)) < expected and time.monotonic() < until:
        time.sleep(0.2)
    assert len(_processes_with(marker)) == expected, "the workers did not start"
    if how == "ctrl-c":
        os.killpg(process.pid, signal.SIGINT)
    else:
        process.send_signal(signal.SIGTERM if how == "sigterm" else signal.SIGKILL)
    _, err = process.communicate(timeout=20)
    assert (process.returncode, err.strip()) == {"ctrl-c": (130, "etr-nn: interrupted"),
                                                 "sigterm": (143, "etr-nn: terminated"),
                                                 "sigkill": (-signal.SIGKILL, "")}[how]
    until = time.monotonic() + 5
    while _processes_with(marker) and time.monotonic() < until:
        time.sleep(0.1)
    assert not _processes_with(marker)


def _processes_with(marker: str) -> list[int]:
    """The processes whose environment holds `marker` (inherited by every child and worker)."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and marker.encode() in (entry / "environ").read_bytes():
                found.append(int(entry.name))
        except OSError:
            pass
    return _living(found)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
@pytest.mark.parametrize("command, limit", [
    (["solve", "golden.json", "--timeout", "1"], 1.0),
    (["solve", "golden.json", "--backend", "z3", "--timeout", "1"], 1.0),
    (["solve", "golden.json", "--timeout", "1", "--json", "--workers", "2"], 1.0),
    (["optimize", "golden.json", "--timeout", "1"], 1.0),
    (["rationality", "noisy.json", "--optimum", "--timeout", "1"], 1.0),
    (["gadget", "check", "golden.json", "--claim", "f1(1/3, 1/7) = 1", "--timeout", "1"], 2.0 + 1.5),
])
def test_every_command_keeps_its_time_limit(encodings: Path, command: list[str], limit: float) -> None:
    """The answer "unknown" (exit 1) within the limit + 1 s, whatever the work was doing, and no
    process left behind (golden.json: 107 points, 23 ReLUs; the loss benchmark's d = 2, k = 3, n = 20
    instance, whose optimum takes a minute)."""
    import os
    import time
    import uuid

    noisy = encodings.parent / "benchmarks" / "loss" / "planted-d2-k3-m1-n20-s1-noisy-squared-sat.json"
    argv = [str(noisy if a == "noisy.json" else encodings / a) if a.endswith(".json") else a for a in command]
    marker = f"ETR_NN_TEST_RUN={uuid.uuid4()}"
    key, value = marker.split("=")
    start = time.monotonic()
    process = subprocess.run([sys.executable, "-m", "etr_nn", *argv], capture_output=True, text=True, timeout=60,
                             env={**os.environ, key: value})
    elapsed = time.monotonic() - start
    assert process.returncode == 1 and "unknown" in process.stdout.lower(), process.stdout + process.stderr
    assert elapsed < limit + 1.0 + 1.0, elapsed  # + 1 s for the interpreter's start on a loaded machine
    if "--json" in command:
        assert json.loads(process.stdout)["status"] == "unknown"
    assert not _processes_with(marker) and not process.stderr


def test_z3_memory_is_capped() -> None:
    """Past its memory cap a Z3 check answers unknown ("out of memory") instead of growing:
    the direct encoding of noisy two-output data with a loss bound grows by gigabytes. Run in a
    fresh process: the cap counts every Z3 object alive in the process, and the suite's earlier
    tests leave some."""
    probe = (
        "import json\n"
        "from etr_nn import instance as instances\n"
        "from etr_nn.limits import Z3_MEGABYTES\n"
        "from etr_nn.solve import solve\n"
        "from etr_nn.z3lib import z3\n"
        "assert z3.get_param('memory_max_size') == str(Z3_MEGABYTES)\n"
        "noisy = instances.loads(json.dumps({'network': {'inputs': 1, 'hidden': 2, 'outputs': 2}, 'max_error': '1/2',\n"
        "    'data': [{'x': [x], 'y': y} for x, y in enumerate([[0, 1], [2, -1], [-1, 0], [1, 2], [-2, 1], [0, -2]])]}))\n"
        "z3.set_param('memory_max_size', 60)\n"
        "answer = solve(noisy, backend='z3', timeout=60)\n"
        "print(answer.status, '|', answer.rests_on)\n")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.startswith("unknown |") and "out of memory" in done.stdout, done.stdout


@pytest.mark.parametrize("file, backend", [("planted-d1-k2-m1-n8-s1.json", "search"), ("relu.json", "z3"),
                                           ("discrete-abs.json", "search")])
def test_no_sat_answer_without_the_exact_check(encodings: Path, file: str, backend: str,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """The last gate (Solution.certified): with the exact check made to reject every network,
    the pattern search, the direct encoding and the discrete search all answer unknown, never sat."""
    inst = instances.load(encodings / file)
    assert solve(inst, backend=backend, timeout=60).status == "sat"
    monkeypatch.setattr("etr_nn.solution.certify", lambda instance, network, bound=None: Check(None, ("rejected",)))
    refused = solve(inst, backend=backend, timeout=60)
    assert refused.status == "unknown" and refused.network is None and "rejected" in refused.rests_on
