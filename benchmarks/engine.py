"""Speed of the pattern-search engine on planted two-input, two-output instances.

    python -m benchmarks.engine [--cap 120] [--only d2k3] [--reduced] [--out benchmarks/results/engine.md]

Instances (deterministic): `etr_nn.generate.planted(Shape(d, k, m), n, seed)` (sat by
construction) and the same data with k − 1 ReLUs (answer not known by construction, often
unsat). The default sets, two inputs and two outputs: "d2k3" is k = 3, n = 12, seeds 0..4;
"d2k4" is k = 4, n = 16, seeds 0..3. The scale tier (`--only scale`, not in the default run: its
k − 1 versions take minutes or more; `--reduced` runs those alone): d = 2, k = 5, n = 24 with one and with two outputs;
d = 2, k = 6, m = 2, n = 24; d = 3, k = 4, m = 2, n = 18; seeds 0..3 each.
Each runs as `python -m etr_nn solve FILE --workers 1 --timeout CAP --json` in a subprocess
(one core, start-up included, the wall time measured around it) and the table goes to
benchmarks/results/engine.md: instance, expected answer, answer, seconds.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from etr_nn.generate import planted
from etr_nn.instance import Instance, Shape

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SETS: dict[str, list[tuple[int, int, int, int]]] = {  # (d, k, m, n), seeds 0..3 (d2k3: 0..4)
    "d2k3": [(2, 3, 2, 12)], "d2k4": [(2, 4, 2, 16)],
    "scale": [(2, 5, 1, 24), (2, 5, 2, 24), (2, 6, 2, 24), (3, 4, 2, 18)]}
DEFAULT = ("d2k3", "d2k4")


def instances(only: str | None = None, reduced: bool = False) -> list[tuple[str, Instance, str]]:
    """(label, instance, expected answer) for every benchmark instance, in table order; with
    `reduced`, the k − 1 versions only."""
    rows = []
    for label in [only] if only else DEFAULT:
        for d, k, m, n in SETS[label]:
            for seed in range(5 if label == "d2k3" else 4):
                instance, _ = planted(Shape(d, k, m), n, seed)
                name = f"d{d}m{m}k{k}n{n}-s{seed}"
                if not reduced:
                    rows.append((name, instance, "sat"))
                rows.append((f"{name} as k={k - 1}", instance.with_hidden(k - 1), "?"))
    return rows


def run(path: Path, cap: float) -> tuple[str, float]:
    """(answer, wall seconds) of one etr_nn run; 'timeout' when killed past the cap."""
    command = [sys.executable, "-m", "etr_nn", "solve", str(path), "--workers", "1", "--timeout", str(cap), "--json"]
    start = time.monotonic()
    try:
        done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=cap + 15)
    except subprocess.TimeoutExpired:
        return "timeout", time.monotonic() - start
    seconds = time.monotonic() - start
    try:
        return json.loads(done.stdout)["status"], seconds
    except (ValueError, KeyError):
        return "error", seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cap", type=float, default=120.0, help="seconds per instance (default 120)")
    parser.add_argument("--only", choices=sorted(SETS), help="run one set only")
    parser.add_argument("--reduced", action="store_true", help="the k − 1 versions only")
    parser.add_argument("--out", type=Path, default=HERE / "results" / "engine.md")
    args = parser.parse_args(argv)
    lines = [f"# Pattern-search engine, one worker, cap {args.cap:g} s", "",
             "`python -m benchmarks.engine` runs `python -m etr_nn solve FILE --workers 1 --json` per instance;",
             "seconds: wall time of the whole process. Expected `?`: k − 1 ReLUs on planted data (not known).", "",
             "| instance | expected | answer | seconds |", "| --- | --- | --- | ---: |"]
    with tempfile.TemporaryDirectory() as tmp:
        for label, instance, expected in instances(args.only, args.reduced):
            path = Path(tmp) / f"{label.replace(' ', '_').replace('=', '')}.json"
            instance.dump(path)
            answer, seconds = run(path, args.cap)
            if expected != "?" and answer in ("sat", "unsat") and answer != expected:
                answer += " (WRONG)"
            lines.append(f"| {label} | {expected} | {answer} | {seconds:.2f} |")
            print(lines[-1], flush=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
