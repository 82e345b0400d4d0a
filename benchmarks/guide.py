"""Throughput of the float guide's fits: one fit at a time against the batch (etr_nn.search.guide).

    python -m benchmarks.guide [--seconds 10] [--out benchmarks/results/guide.md]

For each instance, `float_fits(instance, rng, batch)` is drawn for the given CPU seconds with
batch = 1 (one fit at a time) and batch = BATCH; the table gives the fits made and how many had a
near-zero residual (worth an exact check, as the guide decides). Instances: random labels, d = 2,
k = 3, m = 2, n = 6, seed 12 (benchmarks.random_two_output: found by the guide only), and planted
d = 2, m = 2 data with k = 4, n = 16, seed 2 and k = 6, n = 24, seed 1 (benchmarks.engine).
"""

from __future__ import annotations

import argparse
import platform
import random
import time
from pathlib import Path

import numpy as np

from benchmarks.cad import random_labels
from etr_nn.generate import planted
from etr_nn.instance import Instance, Shape
from etr_nn.search.guide import BATCH, FIT_TOLERANCE, _scale, float_fits

HERE = Path(__file__).resolve().parent


def instances() -> list[Instance]:
    rng = random.Random(12)
    return [random_labels(Shape(rng.randint(1, 2), 3, 2), rng.randint(4, 8), 12),
            planted(Shape(2, 4, 2), 16, 2)[0], planted(Shape(2, 6, 2), 24, 1)[0]]


def throughput(instance: Instance, batch: int, seconds: float) -> tuple[int, int]:
    """(fits, near-zero fits) in `seconds` of this process's CPU time."""
    worth = FIT_TOLERANCE * _scale(instance) ** 2 * instance.n * instance.shape.outputs
    fits = float_fits(instance, np.random.default_rng(0), batch)
    start, made, good = time.process_time(), 0, 0
    while time.process_time() - start < seconds:
        _, value = next(fits)
        made, good = made + 1, good + (value <= worth)
    return made, good


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--out", type=Path, default=HERE / "results" / "guide.md")
    args = parser.parse_args(argv)
    lines = [f"# Float guide: fits in {args.seconds:g} s of one core", "",
             f"Command: `python -m benchmarks.guide --seconds {args.seconds:g}`. Machine: {platform.machine()}, "
             f"Python {platform.python_version()}. Fits (near-zero ones in brackets).", "",
             f"| instance | one at a time | batch of {BATCH} | ratio |", "|---|---:|---:|---:|"]
    for instance in instances():
        one, one_good = throughput(instance, 1, args.seconds)
        many, many_good = throughput(instance, BATCH, args.seconds)
        lines.append(f"| {instance.name} | {one} ({one_good}) | {many} ({many_good}) | {many / max(one, 1):.2f} |")
        print(lines[-1], flush=True)
    args.out.write_text("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
