"""Command-line subcommands for gadgets and the reduction (registered by etr_nn.cli):

  etr-nn gadget check INSTANCE --claim "CLAIM" [--claim ...] [--timeout S] [--certificate CERT]
      exit 0 every claim proved, 1 one refuted or unknown, 2 bad input; with --certificate (one
      --claim only: several are refused, exit 2) a proof the pattern search proved is written to
      CERT (etr_nn.gadgets.proof), for `etr-nn verify INSTANCE CERT`
  etr-nn reduce FORMULA -o INSTANCE
  etr-nn lift FORMULA INSTANCE -o SOLUTION [--values x=1/2,y=sqrt(2)/2]
      exit 0 written (certified), 1 the formula has no solution (or undecided), 2 bad input
  etr-nn decode INSTANCE SOLUTION [--json]
      exit 0 the decoded values satisfy the formula, 1 they do not / the network does not fit

An instance written by `reduce` carries its formula (etr_nn.gadgets.etrinv.attached);
`decode` needs it.
"""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from etr_nn import instance as instances
from etr_nn import solution as solutions
from etr_nn import supervise
from etr_nn.certify import certify
from etr_nn.errors import InputError
from etr_nn.exact import Number, approx_str, parse_number, to_json
from etr_nn.files import check_output, write_atomically
from etr_nn.limits import MAX_TEXT_CHARS
from etr_nn.solution import Solution

# The gadget modules are imported by the commands that use them: every `etr-nn` command builds
# this parser (register), and `etr-nn solve` should not pay for importing them.
if TYPE_CHECKING:
    from etr_nn.gadgets import etrinv


def cmd_check(args: argparse.Namespace) -> int:
    from etr_nn.gadgets import checker
    from etr_nn.gadgets.claims import parse_claim
    from etr_nn.search.parallel import default_workers

    if args.workers is not None and args.workers < 1:
        raise InputError("--workers: must be at least 1")
    instance = instances.load(args.instance)
    claims = [parse_claim(c) for c in args.claim]
    s = instance.shape
    for c in claims:
        checker.check_against(c, s.inputs, s.hidden, s.outputs)
    if args.certificate is not None:
        _certificate_usage(instance, claims, args.certificate, args.instance)
    report = checker.check(instance, claims, timeout=args.timeout, proof=args.certificate is not None,
                           progress=not args.quiet, workers=args.workers or default_workers())
    for r in report.results:
        print(f"{r.verdict.upper()}: {r.claim.text}  ({r.seconds:.2f} s; {r.reason})")
        if r.counterexample is not None:
            assert r.value is not None
            print("  counterexample: a zero-error fit (certified exactly) violating the claim:")
            print("\n".join("  " + line for line in r.counterexample.lines()))
            print(f"  on it, lhs − rhs = {r.value} ≈ {approx_str(r.value, 12)}")
        if args.certificate is not None:
            _write_proof(r, args.certificate)
    fits = report.fits
    if fits is not None:
        print(f"fits exist: {fits.status} ({fits.rests_on})")
        if fits.status == "unsat":
            print("note: no fit exists, so every claim holds vacuously")
    return 0 if report.proved else 1


def check_limit(args: argparse.Namespace) -> float:
    """The whole check's time limit: --timeout per claim and for "fits exist", and the float guide's
    fits for the last gate (etr_nn.gadgets.checker.held_fits)."""
    from etr_nn.gadgets import checker

    return args.timeout * (len(args.claim) + 1) + checker.GUIDE_SEEDS * checker.GUIDE_SECONDS


def check_stopped(args: argparse.Namespace) -> int:
    """The answer when the time limit ended the check: every claim unknown."""
    for claim in args.claim:
        print(f"UNKNOWN: {claim}  (time limit of {args.timeout:g} s per claim reached: the check was stopped)")
    return 1


def _certificate_usage(instance: Any, claims: list[Any], path: str, instance_path: str) -> None:
    """InputError unless --certificate can be honoured: one claim, one the pattern search proves,
    and not written over the instance."""
    from etr_nn.gadgets.proof import eligible

    check_output(path, [instance_path])
    if len(claims) != 1:
        raise InputError("--certificate: one --claim per certificate (run `gadget check` once per claim)")
    why = eligible(instance, claims[0])
    if why is not None:
        raise InputError(f"--certificate: no proof can be written: {why}")


def _write_proof(result: Any, path: str) -> None:
    from etr_nn.gadgets.proof import write

    if result.verdict != "proved" or result.proof is None:
        print(f"no certificate written: the claim is {result.verdict}, not proved")
        return
    write(result.proof, path)
    c = result.proof["counts"]
    print(f"proof written to {path} ({sum(c.values())} refuted patterns: {c['farkas']} Farkas, {c['kinks']} kink "
          f"covering, {c['rank_one']} rank-one, {c['nonlinear']} full); check it with `etr-nn verify`")


def cmd_reduce(args: argparse.Namespace) -> int:
    from etr_nn.gadgets import etrinv, reduction

    formula = etrinv.load(args.formula)
    check_output(args.output, [args.formula])
    instance = reduction.reduce(formula, Path(args.formula).stem)
    doc = instance.to_json()
    doc[etrinv.FIELD] = [str(c) for c in formula.constraints]
    write_atomically(args.output, json.dumps(doc, indent=1) + "\n")
    print(f"wrote {args.output}: {instance.n} points, {instance.shape.hidden} hidden ReLUs, 2 inputs, 2 outputs, "
          f"error 0, for {len(formula.variables)} variable(s) and {len(formula.constraints)} constraint(s)")
    return 0


def parse_values(text: str, formula: etrinv.Formula) -> dict[str, Number]:
    """"x=1/2, y=sqrt(2)/2" → exact numbers, read by etr_nn.exact.parse_number (never evaluated)."""
    if len(text) > MAX_TEXT_CHARS:
        raise InputError(f"--values: {len(text)} characters (at most {MAX_TEXT_CHARS})")
    values: dict[str, Number] = {}
    for part in re.split(r",(?=\s*[A-Za-z_]\w*\s*=)", text):
        name, sep, expr = part.partition("=")
        name = name.strip()
        if not sep or not re.fullmatch(r"[A-Za-z_]\w*", name):
            shown = part.strip() if len(part.strip()) <= 40 else part.strip()[:37] + "..."
            raise InputError(f"--values: expected name=value, got {shown!r}")
        if name in values:
            raise InputError(f"--values: {name} is given twice")
        try:
            values[name] = parse_number(expr)
        except ValueError as error:
            raise InputError(f"--values: {name}: cannot read it as an exact real: {error}") from None
    missing = [v for v in formula.variables if v not in values]
    extra = [v for v in values if v not in formula.variables]
    if missing or extra:
        raise InputError(f"--values: missing {missing} / unknown {extra} variable(s)")
    return values


def cmd_lift(args: argparse.Namespace) -> int:
    from etr_nn.gadgets import etrinv, reduction

    formula = etrinv.load(args.formula)
    instance = instances.load(args.instance)
    check_output(args.output, [args.formula, args.instance])
    if args.values is not None:
        values = parse_values(args.values, formula)
        if not formula.holds(values):
            raise InputError("--values: they do not satisfy the formula with every variable in [1/2, 2]")
    else:
        status, found = etrinv.decide(formula, args.timeout)
        if found is None:
            print(f"{args.formula}: {status}: no solution to lift")
            return 1
        values = found
    network = reduction.lift(formula, values)
    lifted = Solution.certified(instance, network, "etr-nn lift", 0.0, "lifted from a solution of the ETR-INV formula")
    if lifted.status != "sat":
        print(f"the lifted network does not fit {args.instance} (is it the reduction of this formula?): "
              + lifted.rests_on)
        return 1
    lifted.dump(args.output)
    print(f"wrote {args.output}: {len(network.b)} ReLUs, certified exactly (loss {lifted.error}); values: "
          + ", ".join(f"{k} = {approx_str(v, 12)}" for k, v in values.items()))
    return 0


def cmd_decode(args: argparse.Namespace) -> int:
    from etr_nn.gadgets import etrinv, reduction

    instance = instances.load(args.instance)
    formula = etrinv.attached(args.instance)
    if formula is None:
        raise InputError(f"{args.instance}: no \"{etrinv.FIELD}\" field: not written by `etr-nn reduce`")
    claimed = solutions.load(args.solution)
    if claimed.network is None:
        print(f"{args.solution}: status {claimed.status!r} carries no network")
        return 1
    check = certify(instance, claimed.network)
    if not check.valid:
        print(f"{args.solution}: not a zero-error fit of {args.instance}: " + "; ".join(check.problems))
        return 1
    values = reduction.decode(formula, claimed.network)
    ok = formula.holds(values)
    if args.json:
        print(json.dumps({k: to_json(v) for k, v in values.items()}, indent=1))
    else:
        for k, v in values.items():
            print(f"{k} = {v}")  # exact; an algebraic value prints with its digits
        print("the values satisfy the formula (checked exactly)" if ok else
              "the values do NOT satisfy the formula: this fit is not of the intended form")
    return 0 if ok else 1


def register(commands: Any) -> None:
    """Add gadget, reduce, lift and decode to the main parser's subcommands."""
    p = commands.add_parser("gadget", help="gadget tools")
    sub = p.add_subparsers(dest="gadget_command", required=True)
    q = sub.add_parser("check", help="prove claims about every zero-error fit, or refute them")
    q.add_argument("instance")
    q.add_argument("--claim", action="append", required=True, help='e.g. "f1(1/3, 0) - f1(0, 0) >= 1/2"')
    q.add_argument("--timeout", type=supervise.seconds, default=None, help="seconds per claim, and as many for deciding whether any fit exists")
    q.add_argument("--quiet", action="store_true", help="no progress report on stderr")
    q.add_argument("--workers", type=int, default=None,
                   help="processes for a claim's pattern search (default: all cores; one with --certificate)")
    q.add_argument("--certificate", metavar="CERT", help="write a checkable proof of the (one) claim here "
                   "when the pattern search proves it (for `etr-nn verify INSTANCE CERT`)")
    q.set_defaults(run=cmd_check, limit=check_limit, stopped=check_stopped)

    p = commands.add_parser("reduce", help="the training instance of an ETR-INV formula")
    p.add_argument("formula")
    p.add_argument("-o", "--output", required=True)
    p.set_defaults(run=cmd_reduce)

    p = commands.add_parser("lift", help="the exact zero-error network for a solution of the formula")
    p.add_argument("formula")
    p.add_argument("instance")
    p.add_argument("-o", "--output", required=True)
    p.add_argument("--values", help="x=1/2,y=sqrt(2)/2 (default: solve the formula)")
    p.add_argument("--timeout", type=supervise.seconds, default=None)
    p.set_defaults(run=cmd_lift)

    p = commands.add_parser("decode", help="the formula's solution read back from a zero-error network")
    p.add_argument("instance")
    p.add_argument("solution")
    p.add_argument("--json", action="store_true")
    p.set_defaults(run=cmd_decode)
