"""The exact optimum on the loss benchmark's data sets: `etr-nn optimize` per data set, timed.

    python -m benchmarks.optimum [--instances benchmarks/loss] [--cap 300] [--only NAME ...]
        [--output benchmarks/results/optimum.md]

Each data set of the loss benchmark (benchmarks/loss.py) comes with two thresholds whose answers
are known independently of `optimize` for the target and two-output families (a certified
network's loss above it, a bound from a subset or from each output alone below it), so every
proved optimum is checked against them: γ_unsat < optimum ≤ γ_sat, else the row says WRONG. The
optimal network is certified by `optimize` itself (its exact loss equals the optimum). No peer
proves optima; the MILP (benchmarks/milp.py) answers only the decisions.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from fractions import Fraction
from pathlib import Path

from benchmarks.run import ROOT, etr_bytecode, run_process
from etr_nn.exact import Number, RealAlgebraic, from_json

GRACE = 10.0


def data_sets(manifest: dict) -> dict[str, dict[str, dict]]:
    """Per data set (the instance name without its -sat/-unsat suffix), its sat and unsat entries."""
    sets: dict[str, dict[str, dict]] = {}
    for entry in manifest["instances"]:
        sets.setdefault(entry["name"].rsplit("-", 1)[0], {})[entry["expected"]] = entry
    return sets


def verdict(optimum: Number | None, entries: dict[str, dict]) -> str:
    """ok when γ_unsat < optimum ≤ γ_sat (the infimum, when not attained), WRONG otherwise, — without
    a proved optimum."""
    if optimum is None:
        return "—"
    sat, unsat = (Fraction(entries[k]["max_error"]) for k in ("sat", "unsat"))
    return "ok" if unsat < optimum <= sat else f"WRONG (γ_unsat {unsat}, γ_sat {sat})"


def _short(optimum: Number) -> str:
    return f"algebraic of degree {optimum.degree}" if isinstance(optimum, RealAlgebraic) else str(optimum)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--instances", type=Path, default=ROOT / "benchmarks" / "loss")
    parser.add_argument("--cap", type=float, default=300.0)
    parser.add_argument("--only", nargs="*", help="data set names (default: all)")
    parser.add_argument("--output", type=Path, default=ROOT / "benchmarks" / "results" / "optimum.md")
    args = parser.parse_args(argv)
    env = etr_bytecode()
    sets = data_sets(json.loads((args.instances / "manifest.json").read_text()))
    rows, solved, par2, wrong = [], 0, 0.0, 0
    for name, entries in sets.items():
        if args.only and name not in args.only:
            continue
        entry = entries["sat"]
        argv_ = [sys.executable, "-m", "etr_nn", "optimize", str(args.instances / entry["file"]), "--json", "--quiet",
                 "--timeout", str(args.cap)]
        code, out, err, seconds, memory = run_process(argv_, args.cap + GRACE, env=env)
        optimum = None
        status = "timeout" if code is None else "error"
        if code in (0, 1):
            doc = json.loads(out)
            status = doc.get("optimum_status", doc["status"])  # a run stopped at its time limit says only "unknown"
            proved = status in ("optimal", "not attained") and seconds <= args.cap
            optimum = from_json(doc["optimum"]) if proved else None
        check = verdict(optimum, entries)
        wrong += check.startswith("WRONG")
        solved += optimum is not None and check == "ok"
        par2 += seconds if optimum is not None and check == "ok" else 2 * args.cap
        value = "—" if optimum is None else f"{_short(optimum)} ≈ {float(optimum):.6g}"
        rows.append(f"| {name} | {entry['d']} | {entry['k']} | {entry['m']} | {entry['n']} | {entry['loss']} | "
                    f"{status} | {seconds:.2f} | {memory:.0f} | {value} | {check} |")
        print(rows[-1], flush=True)
    command = "python -m benchmarks.optimum " + " ".join(argv if argv is not None else sys.argv[1:])
    text = "\n".join([
        f"# Exact optima on the loss benchmark's data sets ({time.strftime('%Y-%m-%d %H:%M:%S UTC', time.gmtime())})",
        "",
        f"Machine: {platform.machine()}, Python {platform.python_version()}. Cap {args.cap:g} s per data set, one "
        f"run at a time, wall time with Python's start-up. Command: `{command.strip()}`.",
        "",
        f"Proved optima: {solved} of {len(rows)}; wrong: {wrong}; PAR-2 {par2:.1f} s.",
        "",
        "| data set | d | k | m | n | loss | status | s | MB | optimum | γ_unsat < optimum ≤ γ_sat |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
        *rows, ""])
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(text)
    return 1 if wrong else 0


if __name__ == "__main__":
    raise SystemExit(main())
