"""Generate the benchmark suite: instance files plus a manifest of answers known by construction.

    python benchmarks/suite.py [--out benchmarks/instances]
    python -m benchmarks.suite --tier scale --out DIR [--planted-only]   # then: python -m benchmarks.run --instances DIR
    python -m benchmarks.suite --tier reductions --out DIR

Families (every instance is zero-error, squared loss, real weights):
- planted: data sampled from a random rational network of width k (`etr_nn.generate.planted`):
  sat by construction.
- reduced: the same data asked of k − 1 neurons. The answer is not known in general (the
  planted network may not need all its neurons on these points); the benchmark records what
  every solver says and flags disagreements.
- zigzag (d = 1): labels 0, 1, 0, 1, ... at x = 0, 1, ..., n − 1. The slopes between
  consecutive points alternate in sign, so the derivative of any interpolant f changes sign
  n − 2 times; picking in each gap a point where f' has the sign of that gap's slope shows a
  piecewise linear f needs ≥ n − 2 breakpoints. A 1-input network with k ReLUs has at most k,
  so k < n − 2 is unsat. With k ≥ n − 1 it is sat: the interpolant with breakpoints at
  x_1, ..., x_{n−2} is y_1 − s_0·relu(x_1 − x) + s_1·relu(x − x_1) + Σ_{i≥2} (s_i − s_{i−1})·relu(x − x_i)
  (s_i the slope between x_i and x_{i+1}): n − 1 ReLUs. k = n − 2 is left open.
- line: points on a line in R^d. Restricted to a line, a network is a 1-input network with
  the same k, so zigzag labels along the line are unsat for k < n − 2 and sat for k ≥ n − 1;
  affine labels are sat with k = 1 (one neuron active on every point).
- xor (d = 2): (0,0), (1,1) ↦ 0 and (1,0), (0,1) ↦ 1. One neuron gives f = g(l(x)) with g
  monotone and l affine; l(0,0) + l(1,1) = l(1,0) + l(0,1) contradicts g(l(0,0)), g(l(1,1))
  both below g(l(1,0)), g(l(0,1)): unsat with k = 1. |x1 − x2| = relu(x1 − x2) + relu(x2 − x1)
  fits with k = 2. The 2-output version (xor, 1 − xor) shares those two neurons.

The reductions tier (`--tier reductions`, generated where it is run): `etr-nn reduce` of the ETR-INV
formulas in FORMULAS (2 inputs, 2 outputs). A satisfiable formula's instance is sat by construction
(the certified lift of a solution, `etr_nn.gadgets.reduction.lift`); an unsatisfiable formula's
instance has no fit only if the composed reduction is complete, which is proved gadget by gadget but
not for the composition (an earlier layout failed it), so its answer is recorded as not known.

The scale tier (`--tier scale`, not committed: generated where it is run) is the engine benchmark's
(benchmarks/engine.py, `--only scale`): planted d = 2, k = 5, n = 24 with one and two outputs, d = 2,
k = 6, m = 2, n = 24 and d = 3, k = 4, m = 2, n = 18, seeds 0–3 (sat), and their k − 1 versions
(family "reduced"; `--planted-only` leaves them out), so that benchmarks.run measures the peers on them.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
from fractions import Fraction
from pathlib import Path
from typing import Any

from etr_nn.generate import planted
from etr_nn.instance import Instance, Shape

HERE = Path(__file__).resolve().parent

# (d, m, k, n) of the planted instances; each also appears with k − 1 neurons.
PLANTED_GRID: tuple[tuple[int, int, int, int], ...] = (
    (1, 1, 2, 8), (1, 1, 2, 16), (1, 1, 3, 12), (1, 1, 3, 24), (1, 1, 4, 16),
    (1, 2, 2, 8), (1, 2, 2, 16), (1, 2, 3, 8),
    (2, 1, 2, 8), (2, 1, 2, 16), (2, 1, 3, 12),
    (2, 2, 2, 8),
    (3, 1, 2, 12),
    (3, 2, 2, 8),
)
SEED = 1
# The reductions tier: name → ETR-INV formula (variables in [1/2, 2]).
FORMULAS: dict[str, str] = {
    "reduced-sqrt2": "x + x = z\nx * z = 1\n",  # x = √2/2, z = √2 (encodings/sqrt2.etr)
    "reduced-golden": "u * u = 1\nx + u = y\nx * y = 1\n",  # x = (√5 − 1)/2 (encodings/golden.etr)
    "reduced-golden-shifted": "x * x = 1\nx + y = z\ny * z = 1\n",  # y = (√5 − 1)/2, z = φ
    "reduced-half": "x = 1\nx + x = y\ny * z = 1\n",  # y = 2, z = 1/2: rational
    "reduced-four": "x * y = 1\nx + x = z\nz * w = 1\nw + w = y\n",  # x in [1/2, 1], y = 1/x, z = 2x, w = 1/(2x)
    "reduced-unsat": "x = 1\nx + x = y\ny * y = 1\n",  # y = 2 but y² = 1: no solution
    "reduced-unsat-inverse": "x = 1\nx * y = 1\nx + x = y\n",  # y = 1 but y = 2x = 2: no solution
}
# Tiny instances of the smoke run (`run.py --quick`).
QUICK = ("planted-d1-k2-m1-n8", "xor-m1-k1")


@dataclasses.dataclass(frozen=True)
class Entry:
    instance: Instance
    family: str
    expected: str | None  # "sat", "unsat", or None when not known by construction
    why: str


def data_instance(name: str, shape: Shape, points: list[tuple[Any, ...]],
                  labels: list[tuple[Any, ...]]) -> Instance:
    return Instance(name, shape, tuple(tuple(Fraction(v) for v in x) for x in points),
                    tuple(tuple(Fraction(v) for v in y) for y in labels))


def zigzag_answer(n: int, k: int) -> tuple[str | None, str]:
    """The answer for n alternating labels along a line with k ReLUs (see the module docstring)."""
    if k < n - 2:
        return "unsat", f"{n - 2} slope sign changes need ≥ {n - 2} breakpoints; {k} ReLUs give ≤ {k}"
    if k >= n - 1:
        return "sat", f"interpolant with {n - 2} breakpoints written with {n - 1} ReLUs"
    return None, "k = n − 2: not settled by construction"


def planted_entries() -> list[Entry]:
    entries = []
    for d, m, k, n in PLANTED_GRID:
        instance, _ = planted(Shape(d, k, m), n, SEED)
        name = f"planted-d{d}-k{k}-m{m}-n{n}"
        entries.append(Entry(dataclasses.replace(instance, name=name), "planted", "sat",
                             "sampled from a network of this shape"))
        entries.append(Entry(dataclasses.replace(instance.with_hidden(k - 1), name=f"reduced-d{d}-k{k - 1}-m{m}-n{n}"),
                             "reduced", None, f"data of a width-{k} network asked of {k - 1} neuron(s)"))
    return entries


def structured_entries() -> list[Entry]:
    entries = []
    for n, k in ((4, 1), (5, 2), (6, 3), (7, 4), (4, 2), (5, 3), (4, 3), (5, 4)):
        expected, why = zigzag_answer(n, k)
        entries.append(Entry(data_instance(f"zigzag-n{n}-k{k}", Shape(1, k, 1),
                                           [(i,) for i in range(n)], [(i % 2,) for i in range(n)]),
                             "zigzag", expected, why))
    for n, k in ((5, 2), (4, 3)):
        expected, why = zigzag_answer(n, k)
        points = [(i, Fraction(i, 2) + 1) for i in range(n)]
        entries.append(Entry(data_instance(f"line-zigzag-d2-n{n}-k{k}", Shape(2, k, 1), points,
                                           [(i % 2,) for i in range(n)]),
                             "line", expected, "zigzag along a line in R^2: " + why))
    points2 = [(i, 2 * i - 3) for i in range(8)]
    entries.append(Entry(data_instance("line-affine-d2-n8-k1", Shape(2, 1, 1), points2,
                                       [(3 * x - y + 1,) for x, y in points2]),
                         "line", "sat", "affine labels: one neuron active on every point"))
    points3 = [(i, -i, Fraction(i, 2)) for i in range(-4, 6)]
    entries.append(Entry(data_instance("line-affine-d3-m2-n10-k1", Shape(3, 1, 2), points3,
                                       [(x + z - 2, 2 * y + 1) for x, y, z in points3]),
                         "line", "sat", "affine labels: one neuron active on every point"))
    square = [(0, 0), (1, 1), (1, 0), (0, 1)]
    xor = [0, 0, 1, 1]
    for k in (1, 2):
        expected = "unsat" if k == 1 else "sat"
        why = "a ridge function g(l(x)) with g monotone cannot" if k == 1 else "|x1 − x2|"
        entries.append(Entry(data_instance(f"xor-m1-k{k}", Shape(2, k, 1), square, [(v,) for v in xor]),
                             "xor", expected, why))
        entries.append(Entry(data_instance(f"xor-m2-k{k}", Shape(2, k, 2), square, [(v, 1 - v) for v in xor]),
                             "xor", expected, why + " (second output 1 − xor)"))
    return entries


def suite() -> list[Entry]:
    return planted_entries() + structured_entries()


def scale_entries(planted_only: bool = False) -> list[Entry]:
    """The scale tier (module docstring), from benchmarks.engine's instances."""
    from benchmarks.engine import instances

    entries = []
    for label, instance, expected in instances("scale", reduced=False):
        reduced = expected != "sat"
        if reduced and planted_only:
            continue
        name = "scale-" + label.replace(" as k=", "-as-k")
        entries.append(Entry(dataclasses.replace(instance, name=name), "reduced" if reduced else "planted",
                             None if reduced else "sat",
                             f"data of a width-{instance.shape.hidden + 1} network asked of {instance.shape.hidden}"
                             if reduced else "sampled from a network of this shape"))
    return entries


def reduction_entries() -> list[Entry]:
    """The reductions tier (module docstring)."""
    from etr_nn.gadgets import etrinv, reduction

    entries = []
    for name, text in FORMULAS.items():
        formula = etrinv.parses(text, name)
        status, values = etrinv.decide(formula)
        if status == "sat":
            assert values is not None
            reduction.lift(formula, values)  # certified exactly, or it raises
            entries.append(Entry(reduction.reduce(formula, name), "reduction", "sat",
                                 "the certified lift of a solution of the formula"))
        else:
            entries.append(Entry(reduction.reduce(formula, name), "reduction", None,
                                 f"formula {status}; the composed reduction is not proved complete: not known"))
    return entries


def write(out: Path, entries: list[Entry] | None = None) -> dict[str, Any]:
    """Write every instance (the suite's, or `entries`) as out/NAME.json and out/manifest.json; return
    the manifest."""
    out.mkdir(parents=True, exist_ok=True)
    rows = []
    for entry in suite() if entries is None else entries:
        instance = entry.instance
        instance.dump(out / f"{instance.name}.json")
        shape = instance.shape
        rows.append({"name": instance.name, "file": f"{instance.name}.json", "family": entry.family,
                     "d": shape.inputs, "k": shape.hidden, "m": shape.outputs, "n": instance.n,
                     "expected": entry.expected, "why": entry.why, "quick": instance.name in QUICK})
    manifest = {"format": "etr-nn/benchmark-manifest/1", "instances": rows}
    (out / "manifest.json").write_text(json.dumps(manifest, indent=1, ensure_ascii=False) + "\n")
    return manifest


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=HERE / "instances", help="directory to write")
    parser.add_argument("--tier", choices=("suite", "scale", "reductions"), default="suite",
                        help="which instances (default: the suite)")
    parser.add_argument("--planted-only", action="store_true", help="scale tier: the planted (sat) instances only")
    args = parser.parse_args()
    if args.tier != "suite" and args.out == HERE / "instances":
        parser.error(f"--tier {args.tier}: give --out (benchmarks/instances holds the committed suite)")
    tiers = {"suite": lambda: None, "scale": lambda: scale_entries(args.planted_only), "reductions": reduction_entries}
    manifest = write(args.out, tiers[args.tier]())
    print(f"wrote {len(manifest['instances'])} instances and manifest.json to {args.out}")


if __name__ == "__main__":
    main()
