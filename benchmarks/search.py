"""The exhaustive pattern search alone: one process, no float guide, no worker start-up.

    python -m benchmarks.search [FILE ...] [--random N] [--reduced SET] [--cap 600] [--out FILE.md]

For each instance, `etr_nn.search.engine.Search.run` over every sign choice in turn (one table of decided
systems, as `solve --workers 1` has), until an answer or the cap: the answer, the CPU seconds, the partial
patterns explored and how many each rule refuted. The instances: the files given, the first N random-label
two-output instances of benchmarks/random_two_output.py (`--random N`), and the k − 1 versions of a set of
benchmarks/engine.py (`--reduced d2k3 | d2k4 | scale`). What this isolates is the search: a pruning rule's
effect on nodes and time, free of the guide's share and of process start-up (`solve` adds both).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from benchmarks import engine, random_two_output
from etr_nn.deadline import Deadline
from etr_nn.instance import Instance, load
from etr_nn.patterns import point_order, sign_choices
from etr_nn.search.engine import Search

RULES = ("pruned", "kinks", "convexity", "rank_one", "span", "cancelled")  # Outcome counters: simplex, kink covering, …


def decide(instance: Instance, cap: float) -> dict[str, object]:
    """The search's answer on `instance` within `cap` seconds, its CPU time and its counters."""
    search = Search(instance, point_order(instance), deadline=Deadline.after(cap))
    start = time.process_time()
    answer, counts = "unsat", dict.fromkeys(("explored", *RULES), 0)
    for signs in sign_choices(instance.shape.hidden, instance.shape.outputs):
        outcome = search.run(signs)
        for name in counts:
            counts[name] += getattr(outcome, name)
        if outcome.status != "unsat":
            answer = outcome.status
            if answer == "sat" or outcome.timed_out:
                break
    return {"answer": answer, "seconds": time.process_time() - start, **counts}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="*", type=Path)
    parser.add_argument("--random", type=int, default=0, help="the first N random-label two-output instances")
    parser.add_argument("--reduced", choices=sorted(engine.SETS), help="the k − 1 versions of a set of benchmarks.engine")
    parser.add_argument("--cap", type=float, default=600.0, help="seconds per instance (default 600)")
    parser.add_argument("--out", type=Path, default=None, help="also write the table here")
    args = parser.parse_args(argv)
    named = [(str(path), load(path)) for path in args.files]
    named += [(instance.name, instance) for instance in (random_two_output.generated(seed, False)
                                                         for seed in range(args.random))]
    named += [(label, instance) for label, instance, _ in (engine.instances(args.reduced, reduced=True)
                                                           if args.reduced else [])]
    lines = ["| instance | answer | CPU s | partial patterns | simplex | kinks | convexity | rank one | span | cancel |",
             "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    print("\n".join(lines), flush=True)
    for name, instance in named:
        row = decide(instance, args.cap)
        lines.append(f"| {name} | {row['answer']} | {row['seconds']:.2f} | "
                     + " | ".join(str(row[key]) for key in ("explored", *RULES)) + " |")
        print(lines[-1], flush=True)
    if args.out:
        command = " ".join(["python -m benchmarks.search", *(sys.argv[1:] if argv is None else argv)])
        args.out.write_text(f"# The pattern search alone, one process\n\nCommand: `{command}`\n\n"
                            + "\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
