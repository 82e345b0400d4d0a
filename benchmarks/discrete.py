"""Benchmark of the discrete-training methods: dp, smt, brute force, and Z3 on the direct encoding.

Instances (see `instances` and `with_error`): planted data (sat), one label moved off the
output grid (unsat), random labels (answer unknown in advance), and loss bounds γ > 0 on
both sides of the exact threshold. S = {-h, ..., h}. Each method gets the same time cap; a
method that hits it reports "timeout". "smt-bv" is the smt formula over bit-vectors, kept
here to measure the engine choice; "z3 direct" is the generic direct encoding
(etr_nn.encode.direct, domain constraints as disjunctions) with Z3's nlsat.

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
from etr_nn.discrete import choose, smt, solve  # noqa: E402
from etr_nn.discrete.brute import weight_count  # noqa: E402
from etr_nn.deadline import Deadline  # noqa: E402
from etr_nn.discrete.common import Scaled  # noqa: E402
from etr_nn.encode.direct import encode  # noqa: E402
from etr_nn.generate import sample  # noqa: E402
from etr_nn.instance import Instance, Shape  # noqa: E402
from etr_nn.network import Network  # noqa: E402
from etr_nn.solution import Solution  # noqa: E402

BRUTE_LIMIT = 200_000  # networks; brute force checks a few thousand a second
OUT = Path(__file__).resolve().parent / "results" / "discrete.md"


def weight_set(size: int) -> tuple[Fraction, ...]:
    """{-h, ..., h} with h = size // 2."""
    return tuple(Fraction(v) for v in range(-(size // 2), size // 2 + 1))


def instances(shape: Shape, weights: tuple[Fraction, ...], n: int, seed: int) -> list[tuple[str, Instance]]:
    """Instances with the expected answer ("?" when unknown in advance), γ = 0:
    a planted network's data (sat); the same with one label moved by 1/(2·D_S²) off the
    grid (1/D_S²)Z that holds every output at integer points (unsat); random integer
    labels in the planted range (answer not known in advance)."""
    rng = random.Random(seed)
    pick = lambda: rng.choice(weights)  # noqa: E731
    d, k, m = shape.inputs, shape.hidden, shape.outputs
    network = Network.build([[pick() for _ in range(d)] for _ in range(k)], [pick() for _ in range(k)],
                            [[pick() for _ in range(k)] for _ in range(m)], [pick() for _ in range(m)])
    grid = list(itertools.product(range(-4, 5), repeat=d))
    points = [tuple(map(Fraction, x)) for x in rng.sample(grid, min(n, len(grid)))]
    sat = dataclasses.replace(sample(network, points, "planted"), weights=weights)
    labels = list(sat.labels)
    labels[0] = (labels[0][0] + off_grid(weights),) + labels[0][1:]
    low, high = min(min(y) for y in sat.labels), max(max(y) for y in sat.labels)
    scattered = tuple(tuple(Fraction(rng.randint(math.floor(low), math.ceil(high))) for _ in y) for y in sat.labels)
    return [("sat", sat), ("unsat", dataclasses.replace(sat, labels=tuple(labels))),
            ("?", dataclasses.replace(sat, labels=scattered))]


def off_grid(weights: tuple[Fraction, ...]) -> Fraction:
    return Fraction(1, 2 * math.lcm(*(w.denominator for w in weights)) ** 2)


def with_error(unsat: Instance) -> list[tuple[str, Instance]]:
    """The off-grid instance with a loss bound: the residual at the moved point is at least
    δ = off_grid, and the planted network has exactly that residual, so loss ≤ δ² (squared)
    or ≤ δ (absolute) is sat and half of it unsat."""
    step = off_grid(unsat.weights or ())
    out = []
    for loss, gamma in (("squared", step * step), ("absolute", step)):
        for expected, bound in (("sat", gamma), ("unsat", gamma / 2)):
            out.append((expected, dataclasses.replace(unsat, loss=loss, max_error=bound)))
    return out


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


def row(shape: Shape, size: int, expected: str, inst: Instance, cap: float) -> str:
    cells, decided = [], set()
    for method, run_method in (("dp", lambda: solve(inst, "dp", timeout=cap)),
                               ("smt", lambda: solve(inst, "smt", timeout=cap)),
                               ("smt-bv", lambda: smt_bv(inst, cap)),
                               ("brute", lambda: solve(inst, "brute", timeout=cap))):
        networks = len(inst.weights or ()) ** weight_count(inst)
        if method == "brute" and networks > BRUTE_LIMIT:
            cells.append(f"skipped ({len(inst.weights or ())}^{weight_count(inst)})")
            continue
        status, seconds = _status(run_method())
        cells.append(cell(status, seconds, cap))
        decided |= {status} - {"unknown"}
    status, seconds = direct_z3(inst, cap)
    cells.append(cell(status, seconds, cap))
    decided |= {status} - {"unknown"}
    picked = choose(inst, Scaled.of(inst))[0]
    agree = "yes" if len(decided) <= 1 and (expected == "?" or decided <= {expected}) else "NO"
    loss = "0" if inst.max_error == 0 else f"{inst.loss} {inst.max_error}"
    return (f"| {shape.inputs},{shape.hidden},{shape.outputs} | {size} | {inst.n} | {loss} | {expected} | {picked} | "
            + " | ".join(cells) + f" | {agree} |")


def _status(answer: Solution | tuple[str, float]) -> tuple[str, float]:
    return answer if isinstance(answer, tuple) else (answer.status, answer.seconds)


def smt_bv(inst: Instance, cap: float) -> tuple[str, float]:
    """The smt method's formula over bit-vectors (Z3 QF_BV, bit-blasting to SAT); certified."""
    start = time.monotonic()
    outcome = smt.solve(Scaled.of(inst), Deadline.after(cap), bitvectors=True)
    if outcome.status == "sat" and not certify(inst, outcome.network).valid:
        return "unknown", time.monotonic() - start
    return outcome.status, time.monotonic() - start


def run(quick: bool, cap: float) -> str:
    if quick:
        grid = [(Shape(1, 2, 1), s, n) for s in (3, 5) for n in (4, 8)] + [(Shape(2, 2, 1), 3, 6)]
        errors = [(Shape(1, 2, 1), 3, 6)]
    else:
        grid = ([(Shape(1, 2, 1), s, n) for s in (3, 5, 7) for n in (4, 8, 16)]
                + [(Shape(2, 2, 1), s, n) for s in (3, 5) for n in (6, 12)]
                + [(Shape(1, 3, 1), s, n) for s in (3, 5) for n in (6, 12)]
                + [(Shape(2, 3, 1), 3, 8), (Shape(1, 2, 2), 3, 6), (Shape(2, 2, 2), 3, 8), (Shape(3, 3, 1), 3, 10)]
                + [(Shape(2, 3, 1), 5, 10), (Shape(3, 2, 1), 5, 12), (Shape(2, 2, 2), 5, 8)])
        errors = [(Shape(1, 2, 1), 3, 6), (Shape(1, 2, 1), 5, 8), (Shape(2, 2, 1), 3, 6)]
    rows = ["| d,k,m | \\|S\\| | n | loss ≤ γ | expected | auto picks | dp | smt | smt-bv | brute | z3 direct | agree |",
            "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    cases = [(shape, size, expected, inst) for seed, (shape, size, n) in enumerate(grid)
             for expected, inst in instances(shape, weight_set(size), n, seed)]
    cases += [(shape, size, expected, inst) for seed, (shape, size, n) in enumerate(errors, len(grid))
              for expected, inst in with_error(instances(shape, weight_set(size), n, seed)[1][1])]
    for shape, size, expected, inst in cases:
        rows.append(row(shape, size, expected, inst, cap))
        print(rows[-1], flush=True)
    return "\n".join(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a small grid with a 2 s cap")
    parser.add_argument("--cap", type=float, help="seconds per method and instance (default 5; quick: 2)")
    args = parser.parse_args()
    cap = args.cap or (2.0 if args.quick else 5.0)
    table = run(args.quick, cap)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(f"# Discrete training: methods compared\n\n`python benchmarks/discrete.py"
                   f"{' --quick' if args.quick else ''}`; time cap {cap:g} s per method and instance; "
                   f"seconds, wall clock, including certification. S = {{-h, ..., h}}; W = k(d+1)+m(k+1) "
                   f"weights, so brute force checks |S|^W networks (skipped above {BRUTE_LIMIT}).\n\n{table}\n")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
