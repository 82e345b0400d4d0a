"""`etr-nn check` (backends cad, z3, cad+z3) against Z3, cvc5, Yices and QEPCAD B on QF_NRA files.

    python -m benchmarks.check [--cap 20] [--solvers ...] [--output benchmarks/results/check.md]

Files (written to a temporary directory, one check-sat each):
- Hong's problem, n = 2..8: x1² + … + xn² < 1 ∧ x1⋯xn > 1 (unsat for every n);
- random formulas: 1–3 variables, polynomials of degree ≤ 2 under and / or / not / => (`random_script`);
- case systems of the direct encoding of tiny two-output instances (the CAD benchmark's,
  benchmarks/cad.py), as `to_smt2` writes them;
- direct encodings of small instances of the benchmark suite (`etr-nn export`), with the
  suite's known answers.
Every run is a subprocess killed shortly after the cap (benchmarks.run.run_process), preceded by
an untimed run of the same solver on a trivial file (page cache, as in benchmarks.run). etr_nn
runs `python -m etr_nn check FILE --json --timeout CAP --backend B`; its sat answers are models
checked exactly by etr_nn itself; the peers' are not checked. QEPCAD B gets the parsed system as
∃x_1…∃x_n (etr_nn.cad.qepcad.script), on files of at most QEPCAD_VARS variables. Scoring as in benchmarks.run: PAR-2 sums the wall time of
definite answers and 2 × cap for the rest; an answer against the known one, or two definite
answers that differ, is WRONG.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

from benchmarks.run import (DEFINITE, ROOT, Run, Solver, answer_cells, available_solvers, etr_bytecode, judge, par2, run_process,
                            summary_row)
from etr_nn.poly import System

HERE = Path(__file__).resolve().parent
SUITE = HERE / "instances"
ENCODED = ["xor-m1-k1", "xor-m2-k1", "xor-m1-k2", "xor-m2-k2", "zigzag-n4-k1", "zigzag-n5-k2", "zigzag-n4-k2",
           "zigzag-n4-k3", "line-zigzag-d2-n4-k3", "planted-d1-k2-m1-n8", "reduced-d1-k1-m2-n8", "planted-d1-k2-m2-n8"]
BACKENDS = ("cad", "z3", "cad+z3")
QEPCAD_VARS = 6  # QEPCAD B runs only on files with at most this many variables (its practical range is 4–5)
TRIVIAL = "(set-logic QF_NRA)\n(declare-fun x () Real)\n(assert (> (* x x) 1))\n(check-sat)\n"


def hong(n: int) -> str:
    """Hong's problem in n variables (unsat)."""
    xs = [f"x{i}" for i in range(1, n + 1)]
    squares = " ".join(f"(* {x} {x})" for x in xs)
    return ("(set-logic QF_NRA)\n" + "".join(f"(declare-fun {x} () Real)\n" for x in xs)
            + f"(assert (< (+ {squares}) 1))\n(assert (> (* {' '.join(xs)}) 1))\n(check-sat)\n")


def random_script(rng: random.Random, division: bool = False) -> str:
    """A random QF_NRA script: 1–3 variables, 1–3 assertions of depth ≤ 2 over polynomial atoms
    of degree ≤ 2 with small integer coefficients; with `division`, some atoms compare a quotient
    of two such polynomials (the divisor may vanish) instead."""
    names = ["x", "y", "z"][: rng.randint(1, 3)]

    def number(k: int) -> str:
        return str(k) if k >= 0 else f"(- {-k})"

    def poly() -> str:
        terms = []
        for _ in range(rng.randint(1, 3)):
            factors = [number(rng.randint(-4, 4))] + [rng.choice(names) for _ in range(rng.randint(0, 2))]
            terms.append(f"(* {' '.join(factors)})" if len(factors) > 1 else factors[0])
        return f"(+ {' '.join(terms)} {number(rng.randint(-3, 3))})"

    def term() -> str:
        return f"(/ {poly()} {poly()})" if division and rng.random() < 0.5 else poly()

    def formula(depth: int) -> str:
        if depth == 0 or rng.random() < 0.5:
            return f"({rng.choice(['<', '<=', '=', '>', '>='])} {term()} 0)"
        op = rng.choice(["and", "or", "not", "=>"])
        if op == "not":
            return f"(not {formula(depth - 1)})"
        return f"({op} {formula(depth - 1)} {formula(depth - 1)})"

    lines = ["(set-logic QF_NRA)"] + [f"(declare-fun {n} () Real)" for n in names]
    lines += [f"(assert {formula(2)})" for _ in range(rng.randint(1, 3))]
    return "\n".join(lines + ["(check-sat)"]) + "\n"


def write_files(out: Path, randoms: int) -> list[dict[str, Any]]:
    """The benchmark files in `out`; rows {name, file, family, vars, expected}."""
    from benchmarks import cad
    from etr_nn.encode.direct import encode
    from etr_nn.poly import to_smt2

    rows: list[dict[str, Any]] = []

    def add(name: str, text: str, family: str, variables: int, expected: str | None) -> None:
        (out / f"{name}.smt2").write_text(text)
        rows.append({"name": name, "file": f"{name}.smt2", "family": family, "vars": variables, "expected": expected})

    for n in range(2, 9):
        add(f"hong-{n}", hong(n), "hong", n, "unsat")
    for seed in range(randoms):
        text = random_script(random.Random(1000 + seed))
        add(f"random-{seed}", text, "random", text.count("declare-fun"), None)
    for instance in cad.instances():
        if instance.shape.outputs < 2 or instance.n > 3:
            continue
        for j, case in enumerate(encode(instance)[:2]):
            add(f"case-{instance.name}-{j}", to_smt2(case.system), "cad case", len(case.system.names), None)
    manifest = {r["name"]: r for r in json.loads((SUITE / "manifest.json").read_text())["instances"]}
    for name in ENCODED:
        smt2 = out / f"{name}.smt2"
        code, _, err, _, _ = run_process([sys.executable, "-m", "etr_nn", "export", str(SUITE / manifest[name]["file"]),
                                          "--smt2", str(smt2)], 600)
        if code != 0:
            raise RuntimeError(f"export of {name} failed: {err}")
        rows.append({"name": name, "file": smt2.name, "family": "encoding", "vars": smt2.read_text().count("declare-fun"),
                     "expected": manifest[name]["expected"]})
    return rows


def etr_solver(backend: str) -> Solver:
    def command(instance: Path, smt2: Path, cap: float) -> list[str]:
        return [sys.executable, "-m", "etr_nn", "check", str(smt2), "--json", "--timeout", str(cap), "--backend", backend]

    def parse(code: int, stdout: str) -> str:
        try:
            return str(json.loads(stdout)["answers"][0]["status"])
        except (ValueError, KeyError, IndexError, TypeError):
            return "error"

    return Solver(f"etr_nn {backend}", command, parse, True)


def qepcad_solver(script: Callable[[System], str] | None = None) -> Solver | None:
    """QEPCAD B on the parsed system, when installed: its input is `script(system)` (default
    etr_nn.cad.qepcad.script, ∃x_1…∃x_n system), written beside the file. Run it with the
    environment of etr_nn.cad.qepcad.command()."""
    from etr_nn.cad import qepcad

    if not qepcad.available():
        return None
    argv, _ = qepcad.command()

    def command(instance: Path, smt2: Path, cap: float) -> list[str]:
        from etr_nn.poly.script import parse_script

        source = smt2.with_suffix(".qepcad")
        if not source.exists():
            [check] = parse_script(smt2.read_text(), str(smt2))
            source.write_text((script or qepcad.script)(check.system))
        return ["sh", "-c", 'exec "$@" < "$0"', str(source), *argv]

    return Solver("qepcad", command, lambda code, stdout: qepcad.answer(stdout), True)


def run_one(solver: Solver, smt2: Path, cap: float, env: dict[str, str]) -> Run:
    code, out, err, seconds, memory = run_process(solver.command(smt2, smt2, cap), cap + 3.0, env=env)
    if code is None:
        return Run(solver.name, smt2.stem, "timeout", seconds, memory, "killed")
    answer = solver.parse(code, out)
    if (answer in DEFINITE and seconds > cap) or (answer == "unknown" and seconds >= cap):
        answer = "timeout"
    note = "" if answer != "error" else (err.strip().splitlines() or out.strip().splitlines() or ["no output"])[-1][:200]
    return Run(solver.name, smt2.stem, answer, seconds, memory, note)


def markdown(result: dict[str, Any]) -> str:
    cap, names, rows = result["cap"], result["solvers"], result["instances"]
    runs = [Run(**r) for r in result["runs"]]
    cell = {(r.solver, r.instance): r for r in runs}
    wrong = {tuple(p) for p in result["wrong"]}
    lines = [f"# etr-nn check against SMT solvers on QF_NRA files ({result['date']})", "",
             f"Machine: {result['machine']}. Cap {cap:g} s per solver and file, one run at a time. "
             f"Command: `{result['command']}`. Wall time per run, Python start-up included for etr_nn "
             "(about 0.3 s) and for cvc5 (run through its Python package). QEPCAD B runs on files of at most "
             f"{QEPCAD_VARS} variables (— elsewhere).", ""]
    lines += [f"- skipped {name}: {why}" for name, why in result["skipped"].items()]
    lines += [f"**WRONG ANSWERS: {len(wrong)}**" if wrong else "No wrong answers and no disagreements.", ""]
    families: dict[str, int] = {}
    for row in rows:
        families[row["family"]] = families.get(row["family"], 0) + 1
    lines += ["Files: " + ", ".join(f"{n} {f}" for f, n in families.items()) + ".", ""]
    lines += ["## Summary", "", "| solver | solved | sat | unsat | timeout/unknown | error | wrong | PAR-2 (s) |",
              "|---|---|---|---|---|---|---|---|"]
    lines += [summary_row(s, runs, wrong, result["par2"][s]) for s in names]
    lines += ["", "## Per file", "", "Seconds and answer; TO = timeout (killed or past the cap), ? = unknown, ERR = error.", "",
              "| file | family | vars | known | " + " | ".join(names) + " | verdict |",
              "|---|---|---|---|" + "---|" * len(names) + "---|"]
    for row in rows:
        cells = answer_cells(names, cell, wrong, row["name"])
        lines.append(f"| {row['name']} | {row['family']} | {row['vars']} | {row['expected'] or '—'} | "
                     + " | ".join(cells) + f" | {result['verdicts'][row['name']]} |")
    errors = [r for r in runs if r.note and r.answer == "error"]
    if errors:
        lines += ["", "## Errors", ""] + [f"- {r.solver} on {r.instance}: {r.note}" for r in errors]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="etr-nn check against Z3, cvc5, Yices and QEPCAD B on QF_NRA files.")
    parser.add_argument("--cap", type=float, default=20.0, help="seconds per solver and file (default 20)")
    parser.add_argument("--randoms", type=int, default=24, help="random formulas (default 24)")
    parser.add_argument("--solvers", default="etr_nn cad,etr_nn z3,etr_nn cad+z3,z3,cvc5,yices,qepcad",
                        help="comma-separated subset")
    parser.add_argument("--only", nargs="*", default=None, help="file names (without .smt2) to run")
    parser.add_argument("--output", type=Path, default=HERE / "results" / "check.md")
    args = parser.parse_args(argv)

    peers, skipped = available_solvers()
    solvers: dict[str, Solver] = {f"etr_nn {b}": etr_solver(b) for b in BACKENDS}
    solvers |= {name: s for name, s in peers.items() if name != "etr_nn"}
    q = qepcad_solver()
    if q is not None:
        solvers["qepcad"] = q
    else:
        skipped["qepcad"] = "not installed (pip install --no-deps passagemath-qepcad)"
    wanted = [s.strip() for s in args.solvers.split(",") if s.strip()]
    chosen = [solvers[s] for s in wanted if s in solvers]
    skipped = {s: why for s, why in skipped.items() if s in wanted}
    env = etr_bytecode()
    from etr_nn.cad import qepcad

    env_qepcad = dict(env, **qepcad.command()[1])  # QEPCAD B needs its home in $qe
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        rows = write_files(out, args.randoms)
        if args.only is not None:
            rows = [r for r in rows if r["name"] in args.only]
        trivial = out / "trivial.smt2"
        trivial.write_text(TRIVIAL)
        runs: list[Run] = []
        for row in rows:
            for solver in chosen:
                if solver.name == "qepcad" and row["vars"] > QEPCAD_VARS:
                    continue
                solver_env = env_qepcad if solver.name == "qepcad" else env
                run_one(solver, trivial, args.cap, solver_env)  # untimed: warms the page cache
                run = run_one(solver, out / row["file"], args.cap, solver_env)
                runs.append(run)
                print(f"{run.instance:40} {run.solver:16} {run.answer:8} {run.seconds:7.2f} s", file=sys.stderr, flush=True)
    verdicts, wrong = judge(rows, runs)
    names = [s.name for s in chosen]
    result = {
        "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "command": "python -m benchmarks.check " + " ".join(argv if argv is not None else sys.argv[1:]),
        "cap": args.cap, "solvers": names, "skipped": skipped, "instances": rows, "runs": [r.__dict__ for r in runs],
        "verdicts": verdicts, "wrong": sorted(wrong),
        "par2": {s: par2([r for r in runs if r.solver == s], args.cap, wrong) for s in names},
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(markdown(result))
    print(f"wrote {args.output}" + (f"; {len(wrong)} WRONG answer(s)!" if wrong else "; no wrong answers"), file=sys.stderr)
    return 3 if wrong else 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    sys.exit(main())
