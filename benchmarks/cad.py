"""The CAD backend against Z3 (and QEPCAD B when installed) on the per-case systems of the
direct encoding of tiny instances, time-capped.  Writes benchmarks/results/cad.md.

    python benchmarks/cad.py [--timeout 20] [--qepcad-timeout 10] [--output FILE]

Instances: planted (sat by construction) with d = 1, k ∈ {1, 2}, m ∈ {1, 2}, n ≤ 5,
random labels on the same kind of points (often unsat), and XOR with 1 and 2 neurons.
Every case system of `etr_nn.encode.direct.encode` goes to each solver separately; a sat
point of the CAD is checked with `System.holds` by the backend itself.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from fractions import Fraction
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from etr_nn import backends  # noqa: E402
from etr_nn.cad import decide, qepcad  # noqa: E402
from etr_nn.encode.direct import encode  # noqa: E402
from etr_nn.generate import planted, random_points  # noqa: E402
from etr_nn.instance import Instance, Shape, loads  # noqa: E402

XOR = ('{"format": "etr-nn/instance/1", "name": "xor", "network": {"inputs": 2, "hidden": 2, "outputs": 1},'
       ' "data": [{"x": [0, 0], "y": [0]}, {"x": [0, 1], "y": [1]}, {"x": [1, 0], "y": [1]},'
       ' {"x": [1, 1], "y": [0]}]}')


def random_labels(shape: Shape, n: int, seed: int) -> Instance:
    rng = random.Random(seed)
    points = random_points(n, shape.inputs, rng)
    labels = tuple(tuple(Fraction(rng.randint(-3, 3)) for _ in range(shape.outputs)) for _ in points)
    name = f"random-d{shape.inputs}-k{shape.hidden}-m{shape.outputs}-n{n}-s{seed}"
    return Instance(name, shape, tuple(points), labels)


def instances() -> list[Instance]:
    xor = loads(XOR)
    out = [xor.with_hidden(1), xor]
    for k in (1, 2):
        for m in (1, 2):
            for n in (2, 3, 4, 5):
                out.append(planted(Shape(1, k, m), n, seed=0)[0])
                out.append(random_labels(Shape(1, k, m), n, seed=1))
    return out


def timed(run) -> tuple[str, float]:
    start = time.monotonic()
    status = run()
    return status, time.monotonic() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--timeout", type=float, default=20)
    parser.add_argument("--qepcad-timeout", type=float, default=10)
    parser.add_argument("--output", default=str(Path(__file__).parent / "results" / "cad.md"))
    args = parser.parse_args()
    z3 = backends.get("z3")
    with_qepcad = qepcad.available()
    rows, tally = [], {"cases": 0, "cad answered": 0, "z3 answered": 0, "qepcad answered": 0, "disagreements": 0}
    cad_total = z3_total = 0.0
    for instance in instances():
        for j, case in enumerate(encode(instance)):
            system = case.system
            cad, t_cad = timed(lambda: decide(system, args.timeout).status)
            zz, t_z3 = timed(lambda: z3.check(system, args.timeout).status)
            qq, t_q = timed(lambda: qepcad.decide(system, args.qepcad_timeout)) if with_qepcad else ("-", 0.0)
            answers = {s for s in (cad, zz, qq) if s in ("sat", "unsat")}
            tally["cases"] += 1
            tally["cad answered"] += cad != "unknown"
            tally["z3 answered"] += zz != "unknown"
            tally["qepcad answered"] += qq in ("sat", "unsat")
            tally["disagreements"] += len(answers) > 1
            cad_total += t_cad
            z3_total += t_z3
            rows.append(f"| {instance.name} | {j} | {len(system.names)} | {cad} | {t_cad:.2f} | {zz} | {t_z3:.2f} | "
                        f"{qq} | {t_q:.2f} | {'**NO**' if len(answers) > 1 else 'yes'} |")
            print(rows[-1], flush=True)
    lines = [
        "# CAD backend vs Z3" + (" and QEPCAD B" if with_qepcad else ""),
        "",
        f"Command: `python benchmarks/cad.py --timeout {args.timeout:g} --qepcad-timeout {args.qepcad_timeout:g}`. "
        "One row per case system of the direct encoding (`etr_nn.encode.direct.encode`); "
        "`vars` counts its variables before the CAD's linear elimination. Times in seconds, "
        "status `unknown` = time limit. QEPCAD B gets the raw case system as ∃x_1…∃x_n.",
        "",
        "| " + " | ".join(f"{k}: {v}" for k, v in tally.items()) + f" | cad total {cad_total:.1f} s | "
        f"z3 total {z3_total:.1f} s |",
        "",
        "| instance | case | vars | cad | s | z3 | s | qepcad | s | agree |",
        "|---|---|---|---|---|---|---|---|---|---|",
        *rows,
        "",
    ]
    Path(args.output).parent.mkdir(parents=True, exist_ok=True)
    Path(args.output).write_text("\n".join(lines))
    print("\n".join(lines[:5]))


if __name__ == "__main__":
    main()
