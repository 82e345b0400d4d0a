"""Benchmark of the discrete-training methods: dp, smt, brute force, and Z3 on the direct encoding.

Instances: a network with weights drawn from S = {-h, ..., h} (or a rational set) sampled
at n integer points (sat by construction), and the same data with one label moved by
1/(2·D_S²) (unsat by construction: at integer points every output is a multiple of 1/D_S²).
Each method gets the same time cap; a method that hits it reports "timeout".

    python benchmarks/discrete.py [--quick] [--cap SECONDS]

writes benchmarks/results/discrete.md.
"""

from __future__ import annotations

import argparse
import dataclasses
import itertools
import math
import random
import sys
import time
from fractions import Fraction
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from etr_nn.backends.z3_backend import Z3Backend  # noqa: E402
from etr_nn.certify import certify  # noqa: E402
from etr_nn.discrete import choose, solve  # noqa: E402
from etr_nn.discrete.common import Scaled  # noqa: E402
from etr_nn.encode.direct import encode  # noqa: E402
from etr_nn.generate import sample  # noqa: E402
from etr_nn.instance import Instance, Shape  # noqa: E402
from etr_nn.network import Network  # noqa: E402

OUT = Path(__file__).resolve().parent / "results" / "discrete.md"


def weight_set(size: int) -> tuple[Fraction, ...]:
    """{-h, ..., h} with h = size // 2."""
    return tuple(Fraction(v) for v in range(-(size // 2), size // 2 + 1))


def instances(shape: Shape, weights: tuple[Fraction, ...], n: int, seed: int) -> tuple[Instance, Instance]:
    """(planted sat instance, the same with one label moved off the reachable grid)."""
    rng = random.Random(seed)
    pick = lambda: rng.choice(weights)  # noqa: E731
    d, k, m = shape.inputs, shape.hidden, shape.outputs
    network = Network.build([[pick() for _ in range(d)] for _ in range(k)], [pick() for _ in range(k)],
                            [[pick() for _ in range(k)] for _ in range(m)], [pick() for _ in range(m)])
    grid = list(itertools.product(range(-4, 5), repeat=d))
    points = [tuple(map(Fraction, x)) for x in rng.sample(grid, min(n, len(grid)))]
    sat = dataclasses.replace(sample(network, points, "planted"), weights=weights)
    step = Fraction(1, 2 * math.lcm(*(w.denominator for w in weights)) ** 2)
    labels = list(sat.labels)
    labels[0] = (labels[0][0] + step,) + labels[0][1:]
    return sat, dataclasses.replace(sat, labels=tuple(labels))


def direct_z3(instance: Instance, cap: float) -> tuple[str, float]:
    """Z3 (nlsat) on the generic direct encoding with domain disjunctions; certified."""
    start = time.monotonic()
    (case,) = encode(instance)
    answer = Z3Backend().check(case.system, cap)
    if answer.status == "sat" and not certify(instance, case.network(answer.point)).valid:
        return "unknown", time.monotonic() - start
    return answer.status, time.monotonic() - start


def cell(status: str, seconds: float, cap: float) -> str:
    if status == "unknown" and seconds >= 0.95 * cap:
        return f"timeout ({cap:g} s)"
    return f"{status} {seconds:.3f}"


def run(quick: bool, cap: float) -> str:
    if quick:
        grid = [(Shape(1, 2, 1), s, n) for s in (3, 5) for n in (4, 8)] + [(Shape(2, 2, 1), 3, 6)]
    else:
        grid = ([(Shape(1, 2, 1), s, n) for s in (3, 5, 7) for n in (4, 8, 16)]
                + [(Shape(2, 2, 1), s, n) for s in (3, 5) for n in (6, 12)]
                + [(Shape(1, 3, 1), s, n) for s in (3, 5) for n in (6, 12)]
                + [(Shape(2, 3, 1), 3, 8), (Shape(1, 2, 2), 3, 6), (Shape(2, 2, 2), 3, 8), (Shape(3, 3, 1), 3, 10)])
    rows = ["| d,k,m | \\|S\\| | n | expected | auto picks | dp | smt | brute | z3 direct | agree |",
            "|---|---|---|---|---|---|---|---|---|---|"]
    for seed, (shape, size, n) in enumerate(grid):
        weights = weight_set(size)
        for expected, inst in zip(("sat", "unsat"), instances(shape, weights, n, seed)):
            cells, decided = [], set()
            for method in ("dp", "smt", "brute"):
                answer = solve(inst, method, timeout=cap)
                cells.append(cell(answer.status, answer.seconds, cap))
                if answer.status != "unknown":
                    decided.add(answer.status)
            status, seconds = direct_z3(inst, cap)
            cells.append(cell(status, seconds, cap))
            if status != "unknown":
                decided.add(status)
            picked = choose(inst, Scaled.of(inst))[0]
            agree = "yes" if decided <= {expected} else "NO"
            row = (f"| {shape.inputs},{shape.hidden},{shape.outputs} | {size} | {n} | {expected} | {picked} | "
                   + " | ".join(cells) + f" | {agree} |")
            print(row, flush=True)
            rows.append(row)
    return "\n".join(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a small grid with a 2 s cap")
    parser.add_argument("--cap", type=float, help="seconds per method and instance (default 10; quick: 2)")
    args = parser.parse_args()
    cap = args.cap or (2.0 if args.quick else 10.0)
    table = run(args.quick, cap)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(f"# Discrete training: methods compared\n\n`python benchmarks/discrete.py"
                   f"{' --quick' if args.quick else ''}`; time cap {cap:g} s per method and instance; "
                   f"seconds, wall clock, including certification. S = {{-h, ..., h}}; W = k(d+1)+m(k+1) "
                   f"weights, so brute force checks |S|^W networks.\n\n{table}\n")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
