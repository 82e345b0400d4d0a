"""The `etr-nn` command line.

Exit codes: 0 an answer (sat or unsat; for verify: valid), 1 unknown (for verify: not
valid), 2 bad input or usage, with one message and no traceback; 130 interrupted (Ctrl-C),
143 terminated (SIGTERM), with one line, worker processes ended and no output file written.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import sys
from pathlib import Path
from typing import Callable, NoReturn, Sequence

from etr_nn import instance as instances
from etr_nn import solution as solutions
from etr_nn import supervise
from etr_nn.backends import REGISTRY
from etr_nn.certify import certify
from etr_nn.discrete import METHODS
from etr_nn.discrete import compare as discrete_compare
from etr_nn.encode.direct import encode
from etr_nn.errors import InputError
from etr_nn.exact import Number, approx_str
from etr_nn.files import check_output, load_json, write_atomically
from etr_nn.limits import MAX_CERTIFICATE_BYTES
from etr_nn.poly import And, Or, System, to_smt2
from etr_nn.solution import Solution
from etr_nn.search import certificate as refutation
from etr_nn.search.parallel import check_cluster
from etr_nn.solve import SEARCH, solve


def report(solution: Solution, max_error: Number) -> str:
    lines = [f"{solution.instance}: {solution.status} ({solution.backend}, {solution.seconds:.2f} s)"]
    if solution.network is not None:
        lines += ["weights:"] + solution.network.lines()
        assert solution.error is not None
        lines.append(f"loss = {solution.error}")
        lines.append(f"verified: exact loss {approx_str(solution.error, 12)} ≤ max_error {max_error}, "
                     "checked in exact arithmetic independently of the backend")
    if solution.rests_on:
        lines.append(f"rests on: {solution.rests_on}")
    return "\n".join(lines)


def cmd_solve(args: argparse.Namespace) -> int:
    instance = instances.load(args.file)
    if args.workers is not None and args.workers < 1:
        raise InputError("--workers: must be at least 1")
    if args.method != "auto" and instance.weights is None:
        raise InputError(f"--method {args.method}: only for instances with a finite weight set")
    for path in (args.output, args.certificate):
        if path is not None:
            check_output(path, [args.file])
    if args.output and args.certificate and os.path.abspath(args.output) == os.path.abspath(args.certificate):
        raise InputError(f"{args.output}: given as both --output and --certificate")
    if args.cluster is not None:
        check_cluster(args.cluster)
    solution = solve(instance, backend=args.backend, timeout=args.timeout, workers=args.workers,
                     cluster=args.cluster, certificate=args.certificate, progress=not args.quiet,
                     method=args.method)
    if args.output:
        solution.dump(args.output)
    print(solution.dumps() if args.json else report(solution, instance.max_error))
    return 1 if solution.status == "unknown" else 0


def cmd_verify(args: argparse.Namespace) -> int:
    """A solution, a refutation certificate (`solve --certificate`) or a claim proof (`gadget
    check --certificate`), told apart by its "format"."""
    instance = instances.load(args.file)
    doc = load_json(args.solution, "solution or certificate", MAX_CERTIFICATE_BYTES)
    kind = doc.get("format") if isinstance(doc, dict) else None
    if kind == refutation.FORMAT:
        return verify_refutation(instance, doc, args)
    from etr_nn.gadgets import proof
    if kind == proof.FORMAT:
        return proof.run_verify(instance, args.file, doc, args.solution)
    claimed = solutions.from_document(doc, args.solution)
    if claimed.status != "sat" or claimed.network is None:
        print(f"{args.solution}: status {claimed.status!r} carries no network to verify")
        return 1
    # An `optimize` answer claims its network's loss is the optimum: checked against that, not max_error.
    check = certify(instance, claimed.network, claimed.optimum)
    problems = list(check.problems)
    if check.loss is not None and claimed.error is not None and claimed.error != check.loss:
        problems.append(f"the file claims error {claimed.error}, the exact loss is {check.loss}")
    if check.loss is not None and claimed.optimum is not None and claimed.optimum != check.loss:
        problems.append(f"the file claims the optimum {claimed.optimum}, the exact loss is {check.loss}")
    if problems:
        print(f"{args.solution}: NOT valid for {args.file}: " + "; ".join(problems))
        return 1
    assert check.loss is not None
    bound = f"≤ max_error {instance.max_error}" if claimed.optimum is None else \
        "= the claimed optimum (that no network does better is not re-checked here)"
    print(f"{args.solution}: valid for {args.file}: exact loss {check.loss} {bound}")
    return 0


def verify_refutation(instance: instances.Instance, doc: object, args: argparse.Namespace) -> int:
    """Re-check a pattern-search refutation: exhaustive enumeration, exact Farkas certificates,
    full patterns re-decided."""
    problems, linear, nonlinear = refutation.check(instance, doc, args.solution)
    if problems:
        print(f"{args.solution}: NOT a valid refutation for {args.file}: " + "; ".join(problems[:5]))
        return 1
    print(f"{args.solution}: valid refutation for {args.file}: the patterns are exhaustive, "
          f"{linear} Farkas certificate(s) checked exactly"
          + (f", {nonlinear} full pattern(s) re-decided by z3 (unsat)" if nonlinear else ""))
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    """The SMT-LIB text to --smt2 OUT, or to standard output for "-"."""
    instance = instances.load(args.file)
    if args.smt2 != "-":
        check_output(args.smt2, [args.file])
    cases = encode(instance)
    ctx = cases[0].system.ctx
    # With one output the cases differ only in their fixed signs, over the same variables.
    formula = Or(tuple(case.system.formula for case in cases)) if len(cases) > 1 else cases[0].system.formula
    text = to_smt2(System(ctx, And((formula,))),
                   f"etr-nn direct encoding of {instance.name}: {instance.shape.inputs} inputs, "
                   f"{instance.shape.hidden} hidden ReLUs, {instance.shape.outputs} outputs, "
                   f"{instance.n} points, {instance.loss} loss <= {instance.max_error}")
    if args.smt2 == "-":
        sys.stdout.write(text + "\n")
        return 0
    write_atomically(args.smt2, text + "\n")
    print(f"wrote {args.smt2} ({len(cases)} case(s), {len(ctx.names())} variables)")
    return 0


def cmd_compare(args: argparse.Namespace) -> int:
    instance = instances.load(args.file)
    real, finite = discrete_compare.compare(instance, args.method, args.timeout)
    print(json.dumps(discrete_compare.to_json(instance, real, finite), indent=1) if args.json
          else discrete_compare.report(instance, real, finite))
    return 1 if "unknown" in (real.status, finite.status) else 0


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="etr-nn", description="Exact training of two-layer ReLU networks.")
    commands = top.add_subparsers(dest="command", required=True)

    p = commands.add_parser("solve", help="decide an instance and print exact, verified weights")
    p.add_argument("file")
    p.add_argument("--backend", default=SEARCH, choices=[SEARCH] + sorted(REGISTRY),
                   help="'search': the pattern-search engine (default); others: the direct encoding")
    p.add_argument("--timeout", type=supervise.seconds, help="seconds; past it the answer is unknown")
    p.add_argument("--method", default="auto", choices=METHODS,
                   help="algorithm for finite weight sets (see etr_nn.discrete)")
    p.add_argument("--output", help="write the solution JSON here")
    p.add_argument("--json", action="store_true", help="print the solution JSON")
    p.add_argument("--workers", type=int, default=None, help="search processes (default: all cores)")
    p.add_argument("--cluster", metavar="tcp://HOST:PORT", help="run the search on a dask.distributed cluster")
    p.add_argument("--certificate", metavar="CERT", help="write the refutation of an unsat answer here")
    p.add_argument("--quiet", action="store_true", help="no progress report on stderr")
    p.set_defaults(run=cmd_solve)

    p = commands.add_parser("verify", help="check a solution file (or a refutation certificate, or a claim "
                            "proof) against an instance, exactly")
    p.add_argument("file")
    p.add_argument("solution")
    p.set_defaults(run=cmd_verify)

    p = commands.add_parser("compare", help="real against finite-set weights on a finite-weight instance")
    p.add_argument("file")
    p.add_argument("--method", default="auto", choices=METHODS, help="algorithm for the finite weight set")
    p.add_argument("--timeout", type=supervise.seconds, default=None, help="seconds for each of the two answers")
    p.add_argument("--json", action="store_true", help="print both solutions as JSON")
    p.set_defaults(run=cmd_compare, limit=lambda args: 2 * args.timeout)

    p = commands.add_parser("export", help="write the direct QF_NRA encoding as SMT-LIB")
    p.add_argument("file")
    p.add_argument("--smt2", required=True, metavar="OUT", help='the output file; "-" for standard output')
    p.set_defaults(run=cmd_export)

    from etr_nn.check import register as register_check  # check FILE.smt2 / FILE.etr
    register_check(commands)
    from etr_nn.gadgets.cli import register  # gadget check, reduce, lift, decode
    register(commands)
    from etr_nn.optimize.cli import register as register_optimize  # optimize, rationality
    register_optimize(commands)
    return top


def time_limit(args: argparse.Namespace) -> float | None:
    """The whole command's time limit: --timeout, scaled by the command's `limit` (compare: two
    answers; gadget check: one per claim). None without --timeout."""
    seconds = getattr(args, "timeout", None)
    if seconds is None:
        return None
    return float(getattr(args, "limit", lambda a: a.timeout)(args))


def stopped(args: argparse.Namespace) -> int:
    """The answer when the time limit ended the work: unknown, exit 1 (as JSON with --json; a
    solution file with status "unknown" with --output, as the finished command writes)."""
    path = getattr(args, "file", None) or getattr(args, "instance", None) or ""
    try:
        name = instances.load(path).name
    except InputError:
        name = Path(path).stem
    reason = f"time limit of {args.timeout:g} s reached: the work was stopped"
    solution = Solution(name, "unknown", seconds=args.timeout, rests_on=reason)
    if getattr(args, "output", None) and args.command in ("solve", "optimize"):
        solution.dump(args.output)
    print(solution.dumps() if getattr(args, "json", False) else f"{name}: unknown ({reason})")
    return 1


def main(argv: Sequence[str] | None = None, hard_limit: bool = False) -> int:
    """Run a command; with hard_limit, a --timeout holds whatever the work does (etr_nn.supervise)."""
    args = parser().parse_args(argv)
    limit = time_limit(args) if hard_limit else None
    if limit is None:
        return answer(args)
    return supervise.within(limit, lambda: answer(args), lambda: answer(args, getattr(args, "stopped", stopped)))


def answer(args: argparse.Namespace, run: Callable[[argparse.Namespace], int] | None = None) -> int:
    """args.run(args) (or `run`), with bad input as one line and exit 2."""
    run = run or args.run
    try:
        return run(args)
    except InputError as error:
        print(f"etr-nn: error: {error}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # the reader (e.g. `head`) stopped reading: nothing to report
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except OSError as error:
        print(f"etr-nn: error: {error.filename or ''}: {error.strerror or error}", file=sys.stderr)
        return 2


def run() -> NoReturn:
    """The process entry point (`etr-nn`, `python -m etr_nn`): main(), then exit. gc.freeze() first
    spares the interpreter's final garbage collection over every imported module's objects (z3, flint):
    ~15 ms, a tenth of a small instance's whole run."""
    supervise.handle_interrupts()
    code = main(hard_limit=True)
    gc.freeze()
    sys.exit(code)


if __name__ == "__main__":
    run()
