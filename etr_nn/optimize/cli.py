"""Command-line subcommands `optimize` and `rationality` (registered by etr_nn.cli):

  etr-nn optimize FILE [--json] [--output SOL] [--timeout S] [--workers N]
      the exact optimal loss and an optimal network; exit 0 optimum found (or infimum
      proved not attained), 1 unknown, 2 bad input
  etr-nn rationality FILE [--optimum] [--json] [--timeout S]
      a rational network with loss ≤ max_error (--optimum: with the optimal loss), or the
      reasoning why there is none (for an instance written by `etr-nn reduce`, through its
      formula's rational solutions); exit 0 decided, 1 unknown, 2 bad input
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from etr_nn import instance as instances
from etr_nn import supervise
from etr_nn.errors import InputError
from etr_nn.files import check_output
from etr_nn.exact import Number, RealAlgebraic


def describe(value: Number) -> str:
    """The number exactly, with its degree when it is irrational."""
    if isinstance(value, RealAlgebraic):
        return f"{value} (algebraic of degree {value.degree})"
    return str(value)


def cmd_optimize(args: argparse.Namespace) -> int:
    from etr_nn.optimize import optimize

    instance = instances.load(args.file)
    timeout = args.timeout
    if args.output:
        check_output(args.output, [args.file])
    if args.workers is not None and args.workers < 1:
        raise InputError("--workers: must be at least 1")
    result = optimize(instance, timeout, progress=not args.quiet, workers=args.workers)
    solution = result.solution(instance)
    if args.output:
        solution.dump(args.output)
    if args.json:
        print(solution.dumps())
    else:
        lines = [f"{instance.name}: {result.status} ({result.method}, {result.seconds:.2f} s)"]
        if result.value is not None:
            word = "optimal loss" if result.status == "optimal" else "infimum of the loss (not attained)"
            lines.append(f"{word} = {describe(result.value)}")
        if result.network is not None:
            lines += ["optimal weights:"] + result.network.lines()
        lines.append(f"rests on: {'; '.join(result.rests_on)}")
        print("\n".join(lines))
    return 1 if result.status == "unknown" else 0


def cmd_rationality(args: argparse.Namespace) -> int:
    from etr_nn.gadgets.etrinv import attached
    from etr_nn.optimize.rationality import rationality

    instance = instances.load(args.file)
    answer = rationality(instance, args.timeout, args.optimum, attached(args.file), progress=not args.quiet)
    what = "optimal network" if args.optimum else "fit"
    headline = {"rational": f"rational {what}", "no rational fit": f"no rational {what}",
                "no fit": f"no {what} at all", "unknown": "unknown"}[answer.status]
    if args.json:
        doc: dict[str, Any] = {"instance": instance.name, "answer": headline, "reasons": answer.reasons,
                               "seconds": round(answer.seconds, 4)}
        if answer.network is not None:
            doc["network"] = answer.network.to_json()
        print(json.dumps(doc, indent=1))
    else:
        lines = [f"{instance.name}: {headline} ({answer.seconds:.2f} s)"]
        if answer.network is not None:
            lines += ["weights:"] + answer.network.lines()
        lines += [f"because: {reason}" for reason in answer.reasons]
        print("\n".join(lines))
    return 1 if answer.status == "unknown" else 0


def register(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = commands.add_parser("optimize", help="the exact minimum training loss over all real weights")
    p.add_argument("file")
    p.add_argument("--timeout", type=supervise.seconds, help="seconds; past it the answer is unknown")
    p.add_argument("--quiet", action="store_true", help="no progress report on stderr")
    p.add_argument("--output", help="write the optimal solution JSON here (with the field \"optimum\")")
    p.add_argument("--workers", type=int, default=None,
                   help="branch-and-bound processes, one output (default: all cores)")
    p.add_argument("--json", action="store_true", help="print the solution JSON")
    p.set_defaults(run=cmd_optimize)

    p = commands.add_parser("rationality", help="is there a rational fit (or rational optimal network)?")
    p.add_argument("file")
    p.add_argument("--optimum", action="store_true", help="ask about optimal networks instead of max_error")
    p.add_argument("--timeout", type=supervise.seconds, help="seconds; past it the answer is unknown")
    p.add_argument("--quiet", action="store_true", help="no progress report on stderr")
    p.add_argument("--json", action="store_true", help="print the answer as JSON")
    p.set_defaults(run=cmd_rationality)


