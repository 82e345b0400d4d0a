"""Generate the loss benchmark: instances with max_error = γ > 0, half sat and half unsat, each
answer known by construction or by an exact proof, thresholds on both sides of the optimum.

    python -m benchmarks.loss [--out benchmarks/loss]        # instances + manifest (a few minutes)
    python -m benchmarks.run --instances benchmarks/loss --out benchmarks/results/loss \\
        --solvers etr_nn,z3,cvc5,yices,milp --cap 10

Data: a planted network's labels plus noise in ¼Z ∩ [−1, 1] (so no zero-error fit is expected).
Families and how each answer is known:
- small (one output, d = 1, k = 2, n = 10; squared and absolute): the exact optimum L* by
  `etr_nn.optimize` (branch and bound; its network certified, and the tests compare the branch
  and bound with a brute-force enumeration decided by Z3 alone); γ = L*·(1 ± 1/50).
- target (one output, d = 2, k = 3, n = 20; squared and absolute): sat at γ = the exact loss of
  a certified network (the best exact pattern optimum of float fits: sat by construction);
  unsat at γ = (49/50)·L*(S), S a random set of SUBSET of the points: the loss over all points is at
  least the loss over S, which is at least L*(S) (exact optimum on S, as above).
- two outputs (d = 1, k = 2, n = 8, squared): sat at γ = the exact loss of a certified
  network (`etr_nn.solve` at the planted network's loss, or the planted network itself); unsat
  at γ = (49/50)·(L*_0 + L*_1), L*_o the one-output optimum of output o alone with k neurons
  (a two-output network restricted to output o is such a network, so its loss is at least
  L*_0 + L*_1).
"""

from __future__ import annotations

import argparse
import json
import random
from dataclasses import replace
from fractions import Fraction
from pathlib import Path
from typing import Any

from etr_nn.certify import loss
from etr_nn.deadline import Deadline
from etr_nn.generate import planted
from etr_nn.instance import Instance, Loss, Shape
from etr_nn.optimize import optimize
from etr_nn.search.guide import least_fit

HERE = Path(__file__).resolve().parent
OPTIMUM_SECONDS = 900.0
SIDE = Fraction(1, 50)
SUBSET = 12  # points of the target family's lower bound (10: three ReLUs fit them exactly; 14: no proved optimum in 10 minutes)


def noisy(shape: Shape, n: int, seed: int, kind: Loss) -> Instance:
    instance, _ = planted(shape, n, seed, kind)
    rng = random.Random(seed + 1000)
    labels = tuple(tuple(v + Fraction(rng.randint(-4, 4), 4) for v in y) for y in instance.labels)
    return replace(instance, labels=labels, name=instance.name + "-noisy")


def exact_optimum(instance: Instance) -> Fraction:
    found = optimize(replace(instance, max_error=Fraction(0)), timeout=OPTIMUM_SECONDS)
    if found.status != "optimal" or not isinstance(found.value, Fraction):
        raise RuntimeError(f"{instance.name}: no proved optimum ({found.rests_on})")
    return found.value


def one_output(instance: Instance, o: int) -> Instance:
    return replace(instance, shape=Shape(instance.shape.inputs, instance.shape.hidden, 1),
                   labels=tuple((y[o],) for y in instance.labels), name=f"{instance.name}-output{o}")


def entries(instance: Instance, family: str, sat: tuple[Fraction, str], unsat: tuple[Fraction, str]) -> list[dict[str, Any]]:
    """The instance at both thresholds, as (instance, manifest entry) pairs."""
    out = []
    for (gamma, why), expected in ((sat, "sat"), (unsat, "unsat")):
        name = f"{instance.name}-{instance.loss}-{expected}"
        out.append({"instance": replace(instance, max_error=gamma, name=name), "entry": {
            "name": name, "file": f"{name}.json", "family": family, "d": instance.shape.inputs,
            "k": instance.shape.hidden, "m": instance.shape.outputs, "n": instance.n, "loss": instance.loss,
            "max_error": str(gamma), "expected": expected, "why": why, "quick": instance.n <= 10}})
    return out


def small(seed: int, kind: Loss) -> list[dict[str, Any]]:
    instance = noisy(Shape(1, 2, 1), 10, seed, kind)
    best = exact_optimum(instance)
    return entries(instance, "small", (best * (1 + SIDE), f"exact optimum {best} (etr_nn optimize) < γ"),
                   (best * (1 - SIDE), f"exact optimum {best} (etr_nn optimize) > γ"))


def target(seed: int, kind: Loss) -> list[dict[str, Any]]:
    instance = noisy(Shape(2, 3, 1), 20, seed, kind)
    fit = least_fit(instance, Deadline.after(20.0), seed)
    assert fit is not None
    upper, network = fit
    assert loss(instance, network) == upper
    half = sorted(random.Random(seed).sample(range(instance.n), SUBSET))
    part = replace(instance, points=tuple(instance.points[i] for i in half), labels=tuple(instance.labels[i] for i in half))
    lower = exact_optimum(part)
    return entries(instance, "target", (upper, "a certified network has exactly this loss"),
                   (lower * (1 - SIDE), f"below the exact optimum {lower} on the points {half} (etr_nn optimize)"))


def two_outputs(seed: int) -> list[dict[str, Any]]:
    instance, network = planted(Shape(1, 2, 2), 8, seed)
    instance = noisy(instance.shape, 8, seed, "squared")
    fits = [least_fit(one_output(instance, o), Deadline.after(5.0), seed) for o in range(2)]
    upper = loss(instance, network)
    assert isinstance(upper, Fraction) and all(f is not None for f in fits)
    parts = [exact_optimum(one_output(instance, o)) for o in range(2)]
    return entries(instance, "two outputs", (upper, "the planted network has exactly this loss"),
                   ((parts[0] + parts[1]) * (1 - SIDE),
                    f"below {parts[0]} + {parts[1]}, the exact one-output optima of each output (etr_nn optimize)"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="generate the loss benchmark")
    parser.add_argument("--out", type=Path, default=HERE / "loss")
    args = parser.parse_args(argv)
    made = [e for seed in range(4) for kind in ("squared", "absolute") for e in small(seed, kind)]  # type: ignore[arg-type]
    made += [e for seed in range(2) for kind in ("squared", "absolute") for e in target(seed, kind)]  # type: ignore[arg-type]
    made += [e for seed in range(3) for e in two_outputs(seed)]
    args.out.mkdir(parents=True, exist_ok=True)
    for item in made:
        item["instance"].dump(args.out / item["entry"]["file"])
    manifest = {"format": "etr-nn/benchmark-manifest/1", "instances": [item["entry"] for item in made]}
    (args.out / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")
    print(f"wrote {len(made)} instances to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
