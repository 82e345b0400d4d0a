"""Random-label two-output instances (the rank-one leaves' workload): 1–2 inputs, 3 ReLUs, 2 outputs,
4–8 points, labels in [−3, 3] ∩ Z (benchmarks.cad.random_labels), decided by `etr-nn solve`.

    python -m benchmarks.random_two_output [--count 40] [--cap 30] [--workers N]

Reports every answer and wall time (start-up included), how many are undecided, how many take over
5 s, and PAR-2; writes benchmarks/results/random_two_output.md (with --workers 1:
random_two_output_one_worker.md).
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
from pathlib import Path

from benchmarks.cad import random_labels
from benchmarks.run import DEFINITE, HERE, etr_bytecode, parse_etr, run_process
from etr_nn.instance import Shape


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="random-label two-output instances")
    parser.add_argument("--count", type=int, default=40)
    parser.add_argument("--cap", type=float, default=30.0)
    parser.add_argument("--workers", type=int, default=None, help="solve's --workers (default: its own, one per core)")
    parser.add_argument("--output", type=Path, default=None,
                        help="default: results/random_two_output.md (random_two_output_one_worker.md with --workers 1)")
    args = parser.parse_args(argv)
    args.output = args.output or HERE / "results" / (
        "random_two_output_one_worker.md" if args.workers == 1 else "random_two_output.md")
    env = etr_bytecode()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for seed in range(args.count):
            rng = random.Random(seed)
            instance = random_labels(Shape(rng.randint(1, 2), 3, 2), rng.randint(4, 8), seed)
            path = Path(tmp) / f"{instance.name}.json"
            instance.dump(path)
            workers = ["--workers", str(args.workers)] if args.workers else []
            code, out, _, seconds, _ = run_process([sys.executable, "-m", "etr_nn", "solve", str(path), "--json",
                                                   "--timeout", str(args.cap), *workers], args.cap + 10, env=env)
            answer = parse_etr(code or 0, out) if code is not None else "timeout"
            rows.append((instance.name, answer, seconds))
            print(f"{instance.name:40s} {answer:8s} {seconds:6.2f} s", flush=True)
    par2 = sum(s if a in DEFINITE else 2 * args.cap for _, a, s in rows)
    undecided = sum(a not in DEFINITE for _, a, _ in rows)
    slow = sum(s > 5 for _, _, s in rows)
    command = f"python -m benchmarks.random_two_output --count {args.count} --cap {args.cap:g}" + (
        f" --workers {args.workers}" if args.workers else "")
    lines = [f"# Random-label two-output instances ({args.count}, cap {args.cap:g} s)", "",
             f"Command: `{command}`; wall time of "
             "`etr-nn solve --json`, start-up included.", "",
             f"Undecided: {undecided}; over 5 s: {slow}; slowest: {max(s for _, _, s in rows):.2f} s; PAR-2: {par2:.1f} s.", "",
             "| instance | answer | seconds |", "|---|---|---|"]
    lines += [f"| {name} | {answer} | {seconds:.2f} |" for name, answer, seconds in rows]
    args.output.write_text("\n".join(lines) + "\n")
    print(lines[4])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
