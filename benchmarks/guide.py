"""Yield of the float guide's fits (etr_nn.search.guide.float_fits): fits and near-zero fits in a
fixed CPU time, and the CPU time to the first near-zero one.

    python -m benchmarks.guide [--seconds 10] [--out benchmarks/results/guide.md]
    python -m benchmarks.guide --first 5 [--seconds 30] [--out F]

The second form gives, per instance, the CPU seconds to the first near-zero fit for guide seeds 0, …, 4 (a run
stops there, or after --seconds: a miss) and their sum with a miss counted as --seconds: with revived starts
(guide.Elite) the count of near-zero fits counts one fit's repeats, the time to the first is what a solve waits for.

A near-zero fit is one the guide checks exactly (FIT_TOLERANCE relative to the data's scale). The
instances: random labels, d = 2, k = 3, m = 2, n = 6, seed 12 (benchmarks.random_two_output: found by
the guide only); planted data (etr_nn.generate.planted) with two outputs, d = 2: k = 4, n = 16 (seed 2),
the scale tier's k = 5 and 6, n = 24 (seeds 1 and 3: benchmarks.suite --tier scale), d = 3, k = 4, n = 18
(seed 1), d = 1, k = 4, n = 16 (seed 1); one output, d = 2, k = 4, n = 20 (seed 0); two outputs, d = 2, k = 8,
n = 32 (seed 0). The script only
calls `float_fits(instance, rng)`, so it runs unchanged at older commits (results/guide.md compares two).
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
from etr_nn.search.guide import FIT_TOLERANCE, _scale, float_fits

HERE = Path(__file__).resolve().parent


def instances() -> list[Instance]:
    rng = random.Random(12)
    return [random_labels(Shape(rng.randint(1, 2), 3, 2), rng.randint(4, 8), 12),
            planted(Shape(2, 4, 2), 16, 2)[0], planted(Shape(2, 5, 2), 24, 1)[0], planted(Shape(2, 6, 2), 24, 1)[0],
            planted(Shape(2, 6, 2), 24, 3)[0], planted(Shape(3, 4, 2), 18, 1)[0], planted(Shape(1, 4, 2), 16, 1)[0],
            planted(Shape(2, 4, 1), 20, 0)[0], planted(Shape(2, 8, 2), 32, 0)[0]]


def yield_of(instance: Instance, seconds: float, seed: int = 0, first_only: bool = False) -> tuple[int, int, float | None]:
    """(fits, near-zero fits, CPU seconds to the first near-zero fit) in `seconds` of this process's CPU time,
    guide seed `seed`; with `first_only`, ending at the first near-zero fit."""
    worth = FIT_TOLERANCE * _scale(instance) ** 2 * instance.n * instance.shape.outputs
    fits = float_fits(instance, np.random.default_rng(seed))
    start, made, good, first = time.process_time(), 0, 0, None
    while time.process_time() - start < seconds and not (first_only and good):
        _, value = next(fits)
        made, good = made + 1, good + (value <= worth)
        if good and first is None:
            first = time.process_time() - start
    return made, good, first


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--out", type=Path, default=HERE / "results" / "guide.md")
    parser.add_argument("--first", type=int, metavar="SEEDS", help="CPU seconds to the first near-zero fit, per seed")
    args = parser.parse_args(argv)
    if args.first:
        return first_fits(args.seconds, args.first, args.out)
    lines = [f"# Float guide: fits in {args.seconds:g} s of one core", "",
             f"Command: `python -m benchmarks.guide --seconds {args.seconds:g}`. Machine: {platform.machine()}, "
             f"Python {platform.python_version()}.", "",
             "| instance | fits | near-zero fits | first near-zero (CPU s) |", "|---|---:|---:|---:|"]
    for instance in instances():
        made, good, first = yield_of(instance, args.seconds)
        lines.append(f"| {instance.name} | {made} | {good} | {'—' if first is None else f'{first:.1f}'} |")
        print(lines[-1], flush=True)
    args.out.write_text("\n".join(lines) + "\n")
    return 0


def first_fits(seconds: float, seeds: int, out: Path) -> int:
    """The --first table: per instance, CPU seconds to the first near-zero fit for each guide seed, and their sum."""
    lines = [f"# Float guide: CPU seconds to the first near-zero fit, guide seeds 0–{seeds - 1}", "",
             f"Command: `python -m benchmarks.guide --first {seeds} --seconds {seconds:g}` (— : none within {seconds:g} s, "
             f"counted as {seconds:g} s in the sum). Machine: {platform.machine()}, Python {platform.python_version()}.", "",
             "| instance | per seed (CPU s) | misses | sum (CPU s) |", "|---|---|---:|---:|"]
    for instance in instances():
        times = [yield_of(instance, seconds, seed, first_only=True)[2] for seed in range(seeds)]
        shown = " ".join("—" if t is None else f"{t:.1f}" for t in times)
        total = sum(seconds if t is None else t for t in times)
        lines.append(f"| {instance.name} | {shown} | {times.count(None)} | {total:.1f} |")
        print(lines[-1], flush=True)
    out.write_text("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
