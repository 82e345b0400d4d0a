"""`etr-nn check` (backends cad, z3, cad+z3) against Z3, cvc5, Yices and QEPCAD B on QF_NRA files.

    python -m benchmarks.check [--cap 20] [--solvers ...] [--output benchmarks/results/check.md]
    python -m benchmarks.check --external [LABEL=]DIR ... [--only-external] [--sample N] [--max-vars N] [--source LABEL=TEXT ...]

Files (written to a temporary directory, one check-sat each):
- Hong's problem, n = 2..8: x1² + … + xn² < 1 ∧ x1⋯xn > 1 (unsat for every n);
- random formulas: 1–3 variables, polynomials of degree ≤ 2 under and / or / not / => (`random_script`);
- case systems of the direct encoding of tiny two-output instances (the CAD benchmark's,
  benchmarks/cad.py), as `to_smt2` writes them;
- direct encodings of small instances of the benchmark suite (`etr-nn export`), with the
  suite's known answers;
- with --external, family "external": every `*.smt2` file under each DIR whose logic is QF_NRA,
  or whose logic admits nonlinear real arithmetic (NRA, QF_UFNRA, ALL, ..., or none is set) and
  which uses nonlinear real arithmetic (`nonlinear`) and nothing else (`pure_real`: declarations
  of sort Real or Bool without arguments, the core and real-arithmetic symbols only). Its known answers are read from the
  file, in order of the check-sats: `; EXPECT: sat|unsat` lines (cvc5's regressions), else
  `(set-info :status ...)` (one check-sat), else the sat / unsat / unknown lines of a sibling
  NAME.expected.out (Z3's regressions); when their number is not the number of check-sats, the
  answers are unknown. Commands after an (exit) are left out. The i-th check-sat of a file gives
  the query NAME#i (NAME if it has one): (set-logic QF_NRA), then the declarations, definitions
  and assertions in force at the check-sat (`in_scope`, from the last reset before it: push /
  pop resolved), then the check-sat. Options, infos and output commands are left out: they are
  solver-specific (Z3 rejects cvc5's options, Yices refuses nonlinear arithmetic in logic ALL
  and runs nothing without a logic), so every solver reads the same standard script. Each query
  is taken or left out on its own commands and its logic. `vars` counts the names declared of
  sort Real. Public regression sets as DIR:
    git clone https://github.com/cvc5/cvc5 && git -C cvc5 checkout 190adc39589bb2b158e7f59ad0ef3281dacbea97
      → DIR = cvc5/test/regress (64 files of logic QF_NRA, 40 more of pure real arithmetic);
    git clone https://github.com/Z3Prover/z3test && git -C z3test checkout 3929b6717d78478179234afe79c860fd8712b7be
      → DIR = z3test/regressions/smt2;
    git clone https://github.com/testsmt/semantic-fusion-seeds && git -C semantic-fusion-seeds checkout 93029d5e832fbba80dcda7e6032e60fbc861ed39
      → DIR = semantic-fusion-seeds/QF_NRA (6 987 files of SMT-LIB's QF_NRA meti-tarski family, in sat/ and
        unsat/; `--sample 200` takes 200 of them evenly spaced, results/check-meti-tarski.md);
    git clone https://github.com/zkincaid/duet && for c in 3e86faa5 8dbd4635 276ce140 2364de24; do
        git -C duet archive $c bench/tasks/QF_NRA | tar -x -C S; done
      → DIR = S/bench/tasks/QF_NRA (214 files, samples of 15 SMT-LIB QF_NRA families: hong, kissing, zankl,
        hycomp, meti-tarski, Sturm-MBO, Sturm-MGC, Geogebra, Uncu, Pine, ...; results/check-smtlib.md);
  (or `git archive COMMIT test/regress | tar -x -C DIR` from a clone). The commit of DIR's
  repository (git rev-parse HEAD), or else LABEL's --source text, is recorded in the results.
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
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable, Sequence

from benchmarks.run import (DEFINITE, ROOT, Run, Solver, answer_cells, available_solvers, etr_bytecode, judge, par2, run_process,
                            summary_row)
from etr_nn.poly import System
from etr_nn.poly.sexpr import Atom as SAtom
from etr_nn.poly.sexpr import List, ReadError, SExpr, read

HERE = Path(__file__).resolve().parent
SUITE = HERE / "instances"
ENCODED = ["xor-m1-k1", "xor-m2-k1", "xor-m1-k2", "xor-m2-k2", "zigzag-n4-k1", "zigzag-n5-k2", "zigzag-n4-k2",
           "zigzag-n4-k3", "line-zigzag-d2-n4-k3", "planted-d1-k2-m1-n8", "reduced-d1-k1-m2-n8", "planted-d1-k2-m2-n8"]
BACKENDS = ("cad", "z3", "cad+z3")
QEPCAD_VARS = 6  # QEPCAD B runs only on files with at most this many variables (its practical range is 4–5)
SMALL_VARS = 4  # the summary also counts the files of at most this many variables
# Files of these logics (and of none) are taken when they use real arithmetic only; QF_NRA files always.
NONLINEAR_REAL_LOGIC = re.compile(r"(QF_)?(UF)?NI?RAT?|(QF_)?ALL")
REAL_SYMBOLS = frozenset({"and", "or", "not", "=>", "xor", "=", "distinct", "ite", "let", "!", "<", "<=", ">", ">=", "+", "-",
                          "*", "/", "true", "false", "Real", "Bool"})
SCRIPT_COMMANDS = frozenset({"set-logic", "set-info", "set-option", "get-info", "declare-fun", "declare-const", "define-fun",
                             "assert", "check-sat", "check-sat-assuming", "get-model", "get-value", "get-assignment",
                             "push", "pop", "reset", "reset-assertions", "exit", "echo"})
CHECKS = ("check-sat", "check-sat-assuming")
STATE = frozenset({"declare-fun", "declare-const", "define-fun", "assert"})
ANSWER = re.compile(r"^(sat|unsat|unknown)\s*$", re.M)
TRIVIAL = "(set-logic QF_NRA)\n(declare-fun x () Real)\n(assert (> (* x x) 1))\n(check-sat)\n"


def hong(n: int) -> str:
    """Hong's problem in n variables (unsat)."""
    xs = [f"x{i}" for i in range(1, n + 1)]
    squares = " ".join(f"(* {x} {x})" for x in xs)
    return ("(set-logic QF_NRA)\n" + "".join(f"(declare-fun {x} () Real)\n" for x in xs)
            + f"(assert (< (+ {squares}) 1))\n(assert (> (* {' '.join(xs)}) 1))\n(check-sat)\n")


def closed_hong(n: int) -> str:
    """Hong's problem with ≤ and ≥ (unsat too): not open, so the CAD lifts over sections, with
    algebraic samples; n = 6 takes the CAD minutes (the strict one takes it a second)."""
    return hong(n).replace("(assert (< ", "(assert (<= ").replace("(assert (> ", "(assert (>= ")


def long_sum(terms: int = 200_000) -> str:
    """A script whose parsing alone takes seconds: x·(1·y0 + 2·y1 + …) = 1 written out as a sum of
    `terms` products over 8 variables (like SMT-LIB's Sturm-MBO family), and two check-sats."""
    products = " ".join(f"(* {i + 1} x y{i % 7})" for i in range(terms))
    return ("(declare-fun x () Real)" + "".join(f"(declare-fun y{j} () Real)" for j in range(7))
            + f"(assert (= (+ {products}) 1))(check-sat)(check-sat)")


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


def write_files(out: Path, randoms: int, external: Sequence[tuple[str, Path]] = (),
                generated: bool = True, sample: int | None = None) -> list[dict[str, Any]]:
    """The benchmark files in `out`: the generated ones (if `generated`), then those of the
    external directories (label, DIR), of each at most `sample` queries evenly spaced in name
    order; rows {name, file, family, vars, expected}."""
    rows: list[dict[str, Any]] = []

    def add(name: str, text: str, family: str, variables: int, expected: str | None) -> None:
        (out / f"{name}.smt2").write_text(text)
        rows.append({"name": name, "file": f"{name}.smt2", "family": family, "vars": variables, "expected": expected})

    if generated:
        rows += generated_files(out, randoms, add)
    for label, root in external:
        queries = external_queries(label, root)
        if sample is not None and sample < len(queries):
            queries = [queries[i * len(queries) // sample] for i in range(sample)]
        for name, text, variables, expected in queries:
            add(name, text, "external", variables, expected)
    return rows


def generated_files(out: Path, randoms: int, add: Callable[[str, str, str, int, str | None], None]) -> list[dict[str, Any]]:
    """Hong, random formulas and CAD cases through `add`; the suite's encodings written to `out`,
    their rows returned."""
    from benchmarks import cad
    from etr_nn.encode.direct import encode
    from etr_nn.poly import to_smt2

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
    rows = []
    for name in ENCODED:
        smt2 = out / f"{name}.smt2"
        code, _, err, _, _ = run_process([sys.executable, "-m", "etr_nn", "export", str(SUITE / manifest[name]["file"]),
                                          "--smt2", str(smt2)], 600)
        if code != 0:
            raise RuntimeError(f"export of {name} failed: {err}")
        rows.append({"name": name, "file": smt2.name, "family": "encoding", "vars": smt2.read_text().count("declare-fun"),
                     "expected": manifest[name]["expected"]})
    return rows


def _head(command: SExpr) -> str:
    return command.items[0].text if isinstance(command, List) and command.items and isinstance(command.items[0], SAtom) else ""


def _walk(e: SExpr) -> list[SExpr]:
    out, stack = [], [e]
    while stack:
        x = stack.pop()
        out.append(x)
        if isinstance(x, List):
            stack.extend(x.items)
    return out


def _bound(e: SExpr) -> set[str]:
    """The names a term binds: let variables and :named labels."""
    names: set[str] = set()
    for x in _walk(e):
        if _head(x) == "let" and isinstance(x, List) and len(x.items) > 1 and isinstance(x.items[1], List):
            names |= {b.items[0].text for b in x.items[1].items if isinstance(b, List) and b.items
                      and isinstance(b.items[0], SAtom)}
        elif _head(x) == "!" and isinstance(x, List):
            names |= {v.text for k, v in zip(x.items[2:], x.items[3:])
                      if isinstance(k, SAtom) and k.text == ":named" and isinstance(v, SAtom)}
    return names


def pure_real(commands: list[SExpr]) -> int | None:
    """The number of names declared of sort Real if the script uses only QF_NRA: the SCRIPT_COMMANDS,
    declarations of sort Real or Bool without arguments, define-fun without arguments, and in
    terms only REAL_SYMBOLS, numerals, decimals and the names it binds (declared, defined, let,
    :named); else None."""
    names: set[str] = set()
    reals: set[str] = set()
    for c in commands:
        head = _head(c)
        if head not in SCRIPT_COMMANDS or not isinstance(c, List):
            return None
        if head in ("declare-fun", "declare-const", "define-fun"):
            sort = c.items[3] if head == "define-fun" and len(c.items) > 3 else c.items[-1]
            arguments = c.items[2] if head != "declare-const" and len(c.items) > 3 else List((), 0)
            if (len(c.items) < 3 or not isinstance(c.items[1], SAtom) or not isinstance(arguments, List) or arguments.items
                    or not isinstance(sort, SAtom) or sort.text not in ("Real", "Bool")):
                return None
            names.add(c.items[1].text)
            if head != "define-fun" and sort.text == "Real":
                reals.add(c.items[1].text)
        names |= _bound(c)
    known = names | REAL_SYMBOLS | SCRIPT_COMMANDS
    for c in commands:
        if _head(c) in ("set-logic", "set-info", "set-option", "get-info", "echo"):
            continue
        for x in _walk(c):
            if isinstance(x, SAtom) and not (x.text in known or (x.kind == "atom" and (
                    x.text.startswith(":") or re.fullmatch(r"-?\d+(\.\d+)?", x.text)))):
                return None
    return len(reals)


def nonlinear(commands: list[SExpr]) -> bool:
    """Whether some product has two factors that are not numerals, or some divisor is not one."""
    def numeral(e: SExpr) -> bool:
        return isinstance(e, SAtom) and re.fullmatch(r"-?\d+(\.\d+)?", e.text) is not None

    for x in (y for c in commands for y in _walk(c)):
        if isinstance(x, List) and (_head(x) == "*" and sum(not numeral(a) for a in x.items[1:]) > 1
                                    or _head(x) == "/" and any(not numeral(a) for a in x.items[2:])):
            return True
    return False


def expected_answers(path: Path, text: str, checks: int) -> list[str | None]:
    """The known answer of each check-sat of the file (module docstring); None where unknown."""
    found = re.findall(r"^;\s*EXPECT:\s*(sat|unsat|unknown)\s*$", text, re.M)
    if not found:
        found = re.findall(r"\(set-info\s+:status\s+(sat|unsat|unknown)\s*\)", text)[:1]
    expected_out = path.with_name(path.stem + ".expected.out")
    if not found and expected_out.is_file():
        found = ANSWER.findall(expected_out.read_text(errors="replace"))
    if len(found) != checks:
        return [None] * checks
    return [a if a in DEFINITE else None for a in found]


def external_queries(label: str, root: Path) -> list[tuple[str, str, int, str | None]]:
    """The external family from the files under root (module docstring): (name, SMT-LIB text,
    Real variables, known answer) per query; name is label.path.to.file without .smt2, #i for
    the i-th check-sat of a file with several."""
    queries: list[tuple[str, str, int, str | None]] = []
    for path in sorted(root.rglob("*.smt2")):
        text = path.read_text(errors="replace")
        name = ".".join((label, *path.relative_to(root).with_suffix("").parts))
        try:
            commands = read(text)
        except ReadError:  # not SMT-LIB (none of the QF_NRA files of the sets above)
            continue
        heads = [_head(c) for c in commands]
        if "exit" in heads:
            commands, heads = commands[:heads.index("exit")], heads[:heads.index("exit")]
        positions = [i for i, h in enumerate(heads) if h in CHECKS]
        answers = expected_answers(path, text, len(positions))
        for k, (last, answer) in enumerate(zip(positions, answers), 1):
            first = max((i + 1 for i, h in enumerate(heads[:last]) if h == "reset"), default=0)
            logics = [str(c.items[1]) for c in commands[first:last] if _head(c) == "set-logic" and isinstance(c, List)
                      and len(c.items) > 1]
            logic = logics[-1] if logics else None
            query = [*in_scope(commands[first:last]), commands[last]]
            reals = pure_real(query)
            if logic != "QF_NRA" and (reals is None or not nonlinear(query)
                                      or not (logic is None or NONLINEAR_REAL_LOGIC.fullmatch(logic))):
                continue
            if reals is None:
                reals = len({str(c.items[1]) for c in query if _head(c) in ("declare-fun", "declare-const")
                             and isinstance(c, List) and str(c.items[-1]) == "Real"})
            queries.append((name if len(positions) == 1 else f"{name}#{k}",
                            "\n".join(["(set-logic QF_NRA)", *map(str, query)]) + "\n", reals, answer))
    return queries


def in_scope(commands: list[SExpr]) -> list[SExpr]:
    """The STATE commands in force after `commands`: a pop drops those since its push, a
    reset-assertions every assertion and level (the declarations of the first level stay)."""
    frames: list[list[SExpr]] = [[]]
    for c in commands:
        head = _head(c)
        count = c.items[1].text if isinstance(c, List) and len(c.items) > 1 and isinstance(c.items[1], SAtom) else "1"
        levels = int(count) if count.isdigit() else 1
        if head == "push":
            frames += [[] for _ in range(levels)]
        elif head == "pop":
            del frames[max(len(frames) - levels, 1):]
        elif head == "reset-assertions":
            frames = [[d for d in frames[0] if _head(d) != "assert"]]
        elif head in STATE:
            frames[-1].append(c)
    return [c for frame in frames for c in frame]


def source_of(root: Path, note: str | None) -> str:
    """Where root's files come from: its git repository's remote and commit, else the note."""
    git = ["git", "-C", str(root)]
    commit = subprocess.run([*git, "rev-parse", "HEAD"], capture_output=True, text=True)
    if commit.returncode == 0:
        remote = subprocess.run([*git, "remote", "get-url", "origin"], capture_output=True, text=True).stdout.strip()
        return f"{remote or 'git'} at {commit.stdout.strip()}"
    return note or "unrecorded (no git repository; pass --source)"


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
        from etr_nn.errors import InputError
        from etr_nn.poly.script import parse_script

        source = smt2.with_suffix(".qepcad")
        if not source.exists():
            try:
                [check] = parse_script(smt2.read_text(), str(smt2))
            except (InputError, ValueError) as error:  # unreadable, or several check-sats: QEPCAD gets nothing
                return [sys.executable, "-c", "import sys; sys.exit(sys.argv[1])", f"no QEPCAD input: {error}"]
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
    lines += [f"- external files `{label}`: {source}" for label, source in result.get("sources", {}).items()]
    lines += [f"**WRONG ANSWERS: {len(wrong)}**" if wrong else "No wrong answers and no disagreements.", ""]
    families: dict[str, int] = {}
    for row in rows:
        families[row["family"]] = families.get(row["family"], 0) + 1
    lines += ["Files: " + ", ".join(f"{n} {f}" for f, n in families.items()) + ".", ""]
    lines += ["## Summary", "", "| solver | solved | sat | unsat | timeout/unknown | error | wrong | PAR-2 (s) |",
              "|---|---|---|---|---|---|---|---|"]
    lines += [summary_row(s, runs, wrong, result["par2"][s]) for s in names]
    small = {r["name"] for r in rows if r["vars"] <= SMALL_VARS}
    if small and len(small) < len(rows):
        solved = {s: sum(r.solver == s and r.instance in small and r.answer in DEFINITE and (s, r.instance) not in wrong
                         for r in runs) for s in names}
        lines += ["", f"Files of at most {SMALL_VARS} variables ({len(small)}), solved (definite and not wrong): "
                  + ", ".join(f"{s} {n}" for s, n in solved.items()) + "."]
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
    parser.add_argument("--external", nargs="+", default=[], metavar="[LABEL=]DIR",
                        help="directories of QF_NRA files (family external; LABEL defaults to DIR's name)")
    parser.add_argument("--only-external", action="store_true", help="leave out the generated files")
    parser.add_argument("--sample", type=int, default=None, metavar="N",
                        help="of each external directory, N queries evenly spaced in name order")
    parser.add_argument("--max-vars", type=int, default=None, help="only files of at most this many variables")
    parser.add_argument("--source", nargs="+", default=[], metavar="LABEL=TEXT",
                        help="where LABEL's external files come from, when DIR is not in a git work tree")
    args = parser.parse_args(argv)
    external = [(label or Path(path).name, Path(path)) for label, _, path in
                (e.rpartition("=") for e in args.external)]
    notes = dict(n.partition("=")[::2] for n in args.source)

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
        rows = write_files(out, args.randoms, external, not args.only_external, args.sample)
        if args.only is not None:
            rows = [r for r in rows if r["name"] in args.only]
        if args.max_vars is not None:
            rows = [r for r in rows if r["vars"] <= args.max_vars]
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
        "cap": args.cap, "solvers": names, "skipped": skipped,
        "sources": {label: f"{root}: {source_of(root, notes.get(label))}" for label, root in external},
        "instances": rows, "runs": [r.__dict__ for r in runs],
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
