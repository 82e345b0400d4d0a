"""The benchmark suite's known answers and the runner's scoring and smoke run."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from benchmarks import run, suite
from etr_nn import instance as instances
from etr_nn.certify import certify
from etr_nn.generate import planted
from etr_nn.instance import Instance, Shape
from etr_nn.network import Network


def line_witness(instance: Instance) -> Network:
    """A network through data lying on a line parametrised by t = x[0] (one output):
    y_1 − s_0·relu(t_1 − t) + s_1·relu(t − t_1) + Σ_{i≥2} (s_i − s_{i−1})·relu(t − t_i)."""
    data = sorted(zip(instance.points, instance.labels))
    t = [x[0] for x, _ in data]
    y = [label[0] for _, label in data]
    s = [(y[i + 1] - y[i]) / (t[i + 1] - t[i]) for i in range(len(t) - 1)]
    d = instance.shape.inputs
    unit = [1] + [0] * (d - 1)
    W = [[-v for v in unit], unit] + [unit for _ in t[2:-1]]
    b = [t[1], -t[1]] + [-ti for ti in t[2:-1]]
    A = [[-s[0], s[1]] + [s[i] - s[i - 1] for i in range(2, len(s))]]
    return Network.build(W, b, A, [y[1]])


def affine_witness(instance: Instance) -> Network:
    """One neuron relu(t − min t), active on every point, for labels affine in t = x[0] on a line."""
    data = sorted(zip(instance.points, instance.labels))
    (x0, y0), (x1, y1) = data[0], data[-1]
    d = instance.shape.inputs
    slopes = [(b1 - b0) / (x1[0] - x0[0]) for b0, b1 in zip(y0, y1)]
    return Network.build([[1] + [0] * (d - 1)], [-x0[0]], [[a] for a in slopes], list(y0))


def xor_witness(instance: Instance) -> Network:
    """|x1 − x2| = relu(x1 − x2) + relu(x2 − x1), and 1 − |x1 − x2| as a second output."""
    A = [[1, 1], [-1, -1]][: instance.shape.outputs]
    return Network.build([[1, -1], [-1, 1]], [0, 0], A, [0, 1][: instance.shape.outputs])


WITNESSES = {"zigzag": line_witness, "line": line_witness, "xor": xor_witness}


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("instances")
    return out, suite.write(out)


def test_suite_files_load_and_match_manifest(generated: tuple[Path, dict]) -> None:
    out, manifest = generated
    rows = manifest["instances"]
    assert 30 <= len(rows) <= 50
    assert len({r["name"] for r in rows}) == len(rows)
    assert json.loads((out / "manifest.json").read_text()) == manifest
    for row in rows:
        instance = instances.load(out / row["file"])
        assert instance.name == row["name"]
        assert (instance.shape, instance.n) == (Shape(row["d"], row["k"], row["m"]), row["n"])
    quick = [r["name"] for r in rows if r["quick"]]
    assert sorted(quick) == sorted(suite.QUICK)
    # the suite is committed: regenerating it changes nothing
    committed = json.loads((suite.HERE / "instances" / "manifest.json").read_text())
    assert committed == manifest


def test_known_sat_answers_have_exact_witnesses(generated: tuple[Path, dict]) -> None:
    """Every "sat" of the manifest is backed by a network that certify accepts."""
    out, manifest = generated
    for row in manifest["instances"]:
        if row["expected"] != "sat":
            continue
        instance = instances.load(out / row["file"])
        if row["family"] == "planted":
            network = planted(Shape(row["d"], row["k"], row["m"]), row["n"], suite.SEED)[1]
        elif row["name"].startswith("line-affine"):
            network = affine_witness(instance)
        else:
            network = WITNESSES[row["family"]](instance)
        assert network.shape == instance.shape, row["name"]
        assert certify(instance, network).valid, row["name"]


def test_scale_tier_is_planted_and_reduced(tmp_path: Path) -> None:
    """The scale tier: 16 planted instances, each fitted by its own planted network (the seed is in the
    name), and each one's data asked of one neuron fewer; --planted-only keeps the 16."""
    manifest = suite.write(tmp_path, suite.scale_entries())
    rows = {row["name"]: row for row in manifest["instances"]}
    assert len(rows) == 32 and len(suite.scale_entries(planted_only=True)) == 16
    for name, row in rows.items():
        if row["family"] == "reduced":
            continue
        assert row["expected"] == "sat"
        shape, seed = Shape(row["d"], row["k"], row["m"]), int(name.rsplit("-s", 1)[1])
        instance = instances.load(tmp_path / row["file"])
        assert certify(instance, planted(shape, row["n"], seed)[1]).valid, name
        reduced = instances.load(tmp_path / rows[f"{name}-as-k{row['k'] - 1}"]["file"])
        assert reduced.points == instance.points and reduced.labels == instance.labels
        assert reduced.shape == Shape(row["d"], row["k"] - 1, row["m"]) and rows[reduced.name]["expected"] is None


def test_zigzag_answers() -> None:
    assert suite.zigzag_answer(5, 2)[0] == "unsat"
    assert suite.zigzag_answer(5, 3)[0] is None
    assert suite.zigzag_answer(5, 4)[0] == "sat"


def test_zigzag_witness_fails_with_one_neuron_fewer() -> None:
    """The interpolant's slope jumps are all nonzero, so no neuron of it can be dropped."""
    instance = [e.instance for e in suite.structured_entries() if e.instance.name == "zigzag-n5-k4"][0]
    network = line_witness(instance)
    assert all(a != 0 for a in network.A[0])
    for j in range(4):
        keep = [i for i in range(4) if i != j]
        smaller = Network.build([network.W[i] for i in keep], [network.b[i] for i in keep],
                                [[network.A[0][i] for i in keep]], network.c)
        assert not certify(instance.with_hidden(3), smaller).valid


def fake(solver: str, name: str, answer: str, seconds: float = 1.0) -> run.Run:
    return run.Run(solver, name, answer, seconds)


def test_judge_flags_wrong_and_disagreeing_answers() -> None:
    rows = [{"name": "a", "expected": "sat"}, {"name": "b", "expected": None}, {"name": "c", "expected": None}]
    runs = [fake("etr_nn", "a", "sat"), fake("z3", "a", "unsat"), fake("etr_nn", "b", "sat"),
            fake("z3", "b", "unsat"), fake("etr_nn", "c", "unsat"), fake("z3", "c", "timeout", 9.0)]
    verdicts, wrong = run.judge(rows, runs)
    assert wrong == {("z3", "a"), ("etr_nn", "b"), ("z3", "b")}
    assert verdicts["a"].startswith("WRONG: z3")
    assert verdicts["b"].startswith("DISAGREEMENT")
    assert verdicts["c"] == "agree: unsat"
    # PAR-2: definite and right counts its time, anything else 2·cap
    assert run.par2([r for r in runs if r.solver == "z3"], 5.0, wrong) == 30.0
    assert run.par2([r for r in runs if r.solver == "etr_nn"], 5.0, wrong) == 12.0


def test_quick_run_produces_the_table(generated: tuple[Path, dict], tmp_path: Path) -> None:
    """Every installed solver on the two tiny quick instances: a table and no disagreement."""
    out, _ = generated
    installed, _ = run.available_solvers()
    code = run.main(["--quick", "--cap", "4", "--instances", str(out), "--out", str(tmp_path),
                     "--solvers", ",".join(installed)])
    result = json.loads((tmp_path / "latest.json").read_text())
    assert code == 0 and result["wrong"] == []
    assert {r["instance"] for r in result["runs"]} == set(suite.QUICK)
    assert result["solvers"] == list(installed)
    table = (tmp_path / "latest.md").read_text()
    assert "## Per instance" in table and "WRONG" not in table
    assert all(name in table for name in suite.QUICK)
    assert (tmp_path / "time_vs_n.png").stat().st_size > 0
    etr = [r for r in result["runs"] if r["solver"] == "etr_nn"]
    assert all(r["answer"] in run.DEFINITE and r["memory_mb"] > 0 for r in etr)



@pytest.mark.slow
def test_structured_instances_against_every_installed_solver(generated: tuple[Path, dict], tmp_path: Path) -> None:
    """The instances with answers known by construction: no solver contradicts them."""
    out, manifest = generated
    known = [r["name"] for r in manifest["instances"] if r["family"] in ("zigzag", "line", "xor")]
    installed, _ = run.available_solvers()
    code = run.main(["--cap", "20", "--instances", str(out), "--out", str(tmp_path),
                     "--solvers", ",".join(installed), "--only", *known])
    assert code == 0 and json.loads((tmp_path / "latest.json").read_text())["wrong"] == []


def test_milp_peer_agrees_with_the_exact_optimum() -> None:
    """The big-M MILP peer (benchmarks/milp.py) on one-output absolute-loss data: sat just above
    the exact optimum (its network certified exactly), unsat just below; unknown off its scope."""
    from dataclasses import replace
    from fractions import Fraction

    from benchmarks import milp
    from etr_nn.optimize import optimize

    inst, _ = planted(Shape(1, 1, 1), 5, 3, "absolute")
    inst = replace(inst, labels=tuple((y[0] + Fraction((-1) ** i, 2),) for i, y in enumerate(inst.labels)))
    best = optimize(inst, timeout=60).value
    assert isinstance(best, Fraction) and best > 0
    assert milp.decide(replace(inst, max_error=best * Fraction(51, 50)), 30, 1000) == "sat"
    assert milp.decide(replace(inst, max_error=best * Fraction(49, 50)), 30, 1000) == "unsat"
    assert milp.decide(replace(inst, loss="squared", max_error=best), 30, 1000) == "unknown"


def test_external_queries(tmp_path: Path) -> None:
    """benchmarks.check --external: which files and check-sats become queries, with their known
    answers and Real variables."""
    from benchmarks.check import external_queries
    from etr_nn.poly.script import parse_script

    files = {
        "a/one.smt2": "; EXPECT: unsat\n(set-logic QF_NRA)\n(declare-fun x () Real)\n(assert (< (* x x) 0))\n(check-sat)\n",
        "a/status.smt2": "(set-info :status sat)\n(declare-const x Real)(declare-const p Bool)\n(assert (= (* x x) 2))(check-sat)\n",
        "linear.smt2": "(set-logic ALL)(declare-fun x () Real)(assert (> x 1))(check-sat)\n",
        "ints.smt2": "(set-logic ALL)(declare-fun n () Int)(assert (> (* n n) 1))(check-sat)\n",
        "uf.smt2": "(declare-fun f (Real) Real)(declare-fun x () Real)(assert (> (* x (f x)) 1))(check-sat)\n",
        "lia.smt2": "(set-logic QF_LIA)(declare-fun x () Real)(assert (> (* x x) 1))(check-sat)\n",
        "many.smt2": ('(set-info :source "a ""quoted"" string")(echo "e")(declare-fun x () Real)(assert (> (* x x) 1))(check-sat)(get-model)'
                      "(push 1)(assert (< (* x x) 1))(check-sat)(pop 1)(reset)(declare-fun n () Int)(check-sat)"
                      "(reset)(set-logic QF_NRA)(declare-fun x () Real)(assert (> x 2))(reset-assertions)(declare-fun y () Real)"
                      "(push)(declare-fun z () Real)(assert (> (* z z) 1))(pop)(push 2)(assert (= (/ x y) 1))(check-sat)"
                      "(exit)(check-sat)\n"),
    }
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_text(text)
    (tmp_path / "many.expected.out").write_text("sat\n(model)\nunsat\nsat\nsat\n")
    queries = {name: (text, variables, answer) for name, text, variables, answer in external_queries("t", tmp_path)}
    assert {name: q[1:] for name, q in queries.items()} == {
        "t.a.one": (1, "unsat"), "t.a.status": (1, "sat"), "t.many#1": (1, "sat"), "t.many#2": (1, "unsat"),
        "t.many#4": (2, "sat")}
    assert queries["t.a.one"][0] == "(set-logic QF_NRA)\n(declare-fun x () Real)\n(assert (< (* x x) 0))\n(check-sat)\n"
    assert [len(parse_script(queries[f"t.many#{k}"][0])) for k in (1, 2, 4)] == [1, 1, 1]
    assert "get-model" not in queries["t.many#1"][0]
    assert queries["t.many#4"][0] == ("(set-logic QF_NRA)\n(declare-fun x () Real)\n(declare-fun y () Real)\n"
                                      "(assert (= (/ x y) 1))\n(check-sat)\n")
    assert queries["t.many#2"][0] == ("(set-logic QF_NRA)\n(declare-fun x () Real)\n(assert (> (* x x) 1))\n"
                                      "(assert (< (* x x) 1))\n(check-sat)\n")


def test_random_two_output_loss_benchmark_runs(tmp_path: Path) -> None:
    """benchmarks.random_two_output --loss --peer: both solvers' answers on every instance, in the
    table, and no sat against unsat (exit 0)."""
    from benchmarks import random_two_output

    out = tmp_path / "loss.md"
    assert random_two_output.main(["--count", "2", "--cap", "5", "--loss", "--peer", "--output", str(out)]) == 0
    text = out.read_text()
    rows = [line for line in text.splitlines() if line.startswith("| random-")]
    assert len(rows) == 2 and all(line.count("|") == 4 for line in rows), text
    assert "Disagreements (sat against unsat): none." in text


def test_search_benchmark_reports_the_searchs_answers(tmp_path: Path) -> None:
    """benchmarks.search: XOR with two ReLUs is sat, with one unsat (known answers), each row with its counters."""
    from benchmarks import search

    out = tmp_path / "search.md"
    assert search.main(["encodings/xor-k2.json", "encodings/xor-k1.json", "--cap", "30", "--out", str(out)]) == 0
    rows = [line.split(" | ") for line in out.read_text().splitlines() if line.startswith("| encodings/")]
    assert [(row[0], row[1]) for row in rows] == [("| encodings/xor-k2.json", "sat"), ("| encodings/xor-k1.json", "unsat")]
    assert all(int(row[3]) > 0 for row in rows), rows


@pytest.mark.parametrize("seed", range(3))
def test_known_fit_benchmark_finds_the_fit_from_its_own_pattern(seed: int, tmp_path: Path,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    """benchmarks.known_fit: a planted network's own pattern, as the search enumerates it (neurons sorted by sign,
    then bits), is a pattern with a fit (the network), so every start depth answers sat."""
    from benchmarks import known_fit
    from etr_nn.patterns import point_order
    from etr_nn.solution import Solution

    inst, network = planted(Shape(2, 3, 2), 8, seed)
    signs, bits = known_fit.known_pattern(inst, network, point_order(inst))
    assert list(zip(signs, bits)) == sorted(zip(signs, bits))
    inst.dump(tmp_path / "i.json")
    (tmp_path / "s.json").write_text(json.dumps(Solution("i", "sat", network, verified=True).to_json()))
    assert known_fit.main([str(tmp_path / "i.json"), str(tmp_path / "s.json"), "--depths", "8,4,0", "--cap", "60"]) == 0
    rows = [line.split(" | ") for line in capsys.readouterr().out.splitlines() if line.startswith("| ") and "D (" not in line
            and "---" not in line]
    assert [(row[0], row[1]) for row in rows] == [("| 8", "sat"), ("| 4", "sat"), ("| 0", "sat")]
