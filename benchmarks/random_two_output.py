"""Random-label two-output instances (the rank-one leaves' workload), decided by `etr-nn solve`.

Zero error (default): 1–2 inputs, 3 ReLUs, 2 outputs, 4–8 points, labels in [−3, 3] ∩ Z
(benchmarks.cad.random_labels). With --loss: a loss bound γ > 0 (`lossy_labels`: 1–2 inputs, 1–3
ReLUs, 3–6 points, sometimes a point twice, squared or absolute loss, γ ∈ {1/4, …, 2}); the
peer there is Z3 on the direct encoding (`etr-nn solve --backend z3`, --peer).

    python -m benchmarks.random_two_output [--count 40] [--cap 30] [--workers N] [--loss [--peer]]

Reports every answer and wall time (start-up included), how many are undecided, how many take over
5 s, and PAR-2; writes benchmarks/results/random_two_output.md (with --workers 1:
random_two_output_one_worker.md; with --loss: random_two_output_loss.md).
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
from pathlib import Path

from dataclasses import replace
from fractions import Fraction

from benchmarks.cad import random_labels
from benchmarks.run import DEFINITE, HERE, etr_bytecode, parse_etr, run_process
from etr_nn.instance import Instance, Shape


def lossy_labels(seed: int) -> Instance:
    """A random-label two-output instance under a loss bound (module docstring)."""
    rng = random.Random(seed)
    shape = Shape(rng.randint(1, 2), rng.randint(1, 3), 2)
    loss, gamma = rng.choice(("squared", "absolute")), Fraction(rng.randint(1, 8), 4)
    instance = replace(random_labels(shape, rng.randint(3, 6), seed), loss=loss, max_error=gamma)
    if rng.random() < 0.3:  # a point twice, with other labels
        y = tuple(Fraction(rng.randint(-3, 3)) for _ in range(2))
        instance = replace(instance, points=instance.points + instance.points[:1], labels=instance.labels + (y,))
    return replace(instance, name=f"{instance.name}-{loss}")


def generated(seed: int, loss: bool) -> Instance:
    if loss:
        return lossy_labels(seed)
    rng = random.Random(seed)
    return random_labels(Shape(rng.randint(1, 2), 3, 2), rng.randint(4, 8), seed)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="random-label two-output instances")
    parser.add_argument("--count", type=int, default=40)
    parser.add_argument("--cap", type=float, default=30.0)
    parser.add_argument("--workers", type=int, default=None, help="solve's --workers (default: its own, one per core)")
    parser.add_argument("--loss", action="store_true", help="instances with a loss bound γ > 0")
    parser.add_argument("--peer", action="store_true", help="with --loss: also Z3 on the direct encoding")
    parser.add_argument("--output", type=Path, default=None,
                        help="default: results/random_two_output.md (random_two_output_one_worker.md with --workers 1, "
                             "random_two_output_loss.md with --loss)")
    args = parser.parse_args(argv)
    args.output = args.output or HERE / "results" / (
        "random_two_output_loss.md" if args.loss else
        "random_two_output_one_worker.md" if args.workers == 1 else "random_two_output.md")
    env = etr_bytecode()
    solvers = {"etr_nn": ["--workers", str(args.workers)] if args.workers else []}
    if args.loss and args.peer:
        solvers["z3 (direct)"] = ["--backend", "z3"]
    rows: dict[str, list[tuple[str, str, float]]] = {name: [] for name in solvers}
    with tempfile.TemporaryDirectory() as tmp:
        for seed in range(args.count):
            instance = generated(seed, args.loss)
            path = Path(tmp) / f"{instance.name}.json"
            instance.dump(path)
            for name, extra in solvers.items():
                code, out, _, seconds, _ = run_process([sys.executable, "-m", "etr_nn", "solve", str(path), "--json",
                                                       "--timeout", str(args.cap), *extra], args.cap + 10, env=env)
                answer = parse_etr(code or 0, out) if code is not None else "timeout"
                rows[name].append((instance.name, answer, seconds))
                print(f"{instance.name:48s} {name:12s} {answer:8s} {seconds:6.2f} s", flush=True)
    answers = {name: {instance: answer for instance, answer, _ in found} for name, found in rows.items()}
    wrong = [instance for instance in answers["etr_nn"]
             if {a[instance] for a in answers.values()} >= set(DEFINITE)]  # sat from one, unsat from the other
    command = f"python -m benchmarks.random_two_output --count {args.count} --cap {args.cap:g}" + (
        f" --workers {args.workers}" if args.workers else "") + (" --loss" if args.loss else "") + (
        " --peer" if args.peer else "")
    lines = [f"# Random-label two-output instances{' under a loss bound' if args.loss else ''} "
             f"({args.count}, cap {args.cap:g} s)", "",
             f"Command: `{command}`; wall time of `etr-nn solve --json`, start-up included.", ""]
    for name, found in rows.items():
        par2 = sum(s if a in DEFINITE else 2 * args.cap for _, a, s in found)
        undecided = sum(a not in DEFINITE for _, a, _ in found)
        slow = sum(s > 5 for _, _, s in found)
        lines.append(f"{name}: undecided {undecided}; over 5 s: {slow}; slowest: {max(s for _, _, s in found):.2f} s; "
                     f"PAR-2: {par2:.1f} s.")
    lines += ["", f"Disagreements (sat against unsat): {', '.join(wrong) or 'none'}.", "",
              "| instance | " + " | ".join(solvers) + " |", "|---|" + "---|" * len(solvers)]
    lines += [f"| {name} | " + " | ".join(f"{answers[solver][name]} {rows[solver][i][2]:.2f}" for solver in solvers) + " |"
              for i, (name, _, _) in enumerate(rows["etr_nn"])]
    args.output.write_text("\n".join(lines) + "\n")
    print("\n".join(lines[4:4 + len(solvers) + 2]))
    return 1 if wrong else 0


if __name__ == "__main__":
    raise SystemExit(main())
