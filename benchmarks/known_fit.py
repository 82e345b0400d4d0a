"""How far above a known fit's activation pattern the search still finds a fit: the exhaustive search alone
(one process, no float guide), in the known network's sign choice, started from its pattern's first D points.

    python -m benchmarks.known_fit INSTANCE SOLUTION [--depths 76,70,60] [--cap 60] [--no-cancellation]

SOLUTION is a certified zero-error network for INSTANCE (e.g. encodings/sqrt2.solution.json, the lift of the
formula's solution). Its neurons are sorted into the search's canonical order (sign vector of the output column,
then activation bits in the point order: `patterns.children` keeps tied neurons' prefixes non-decreasing), and
`Search.run(signs, start)` explores every completion of the first D points' bits. D = n is the known pattern's
leaf alone (its fitting system, the nonlinear backend); each smaller D adds n − D levels of search above it.
What it shows: what "from scratch" (D = 0) still costs, level by level, on instances such as the ∃R reductions.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from etr_nn.deadline import Deadline
from etr_nn.instance import Instance, load
from etr_nn.network import Network
from etr_nn.patterns import Prefixes, Sign, point_order
from etr_nn.search import engine
from etr_nn.solution import load as load_solution


def known_pattern(instance: Instance, network: Network, order: tuple[int, ...]) -> tuple[tuple[Sign, ...], Prefixes]:
    """The network's sign choice (closed orthants: a zero weight counts as +) and its bits in `order`,
    neurons sorted as the search enumerates them."""
    hidden = [network.hidden(x) for x in instance.points]
    neurons = sorted((tuple(-1 if row[j] < 0 else 1 for row in network.A),
                      tuple(int(hidden[p][j] > 0) for p in order)) for j in range(instance.shape.hidden))
    return tuple(sign for sign, _ in neurons), tuple(bits for _, bits in neurons)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("instance", type=Path)
    parser.add_argument("solution", type=Path)
    parser.add_argument("--depths", default="", help="comma-separated D (default: n, n − 6, n − 16)")
    parser.add_argument("--cap", type=float, default=60.0, help="seconds per run (default 60)")
    parser.add_argument("--no-cancellation", action="store_true", help="engine.CANCELLATION off")
    args = parser.parse_args(argv)
    instance = load(args.instance)
    network = load_solution(args.solution).network
    assert network is not None, "the solution has no network"
    engine.CANCELLATION = not args.no_cancellation
    order = point_order(instance)
    signs, bits = known_pattern(instance, network, order)
    n = instance.n
    depths = [int(d) for d in args.depths.split(",")] if args.depths else [n, n - 6, n - 16]
    print("| D (points fixed) | answer | wall s | partial patterns | full patterns to the backend |")
    print("| ---: | --- | ---: | ---: | ---: |")
    for depth in depths:
        search = engine.Search(instance, order, deadline=Deadline.after(args.cap))
        leaves = [0]
        # set after construction: hooks given to the constructor would switch off rules (as for the gadget checker)
        search.hooks = engine.Hooks(leaf_system=lambda *_: leaves.__setitem__(0, leaves[0] + 1))
        start = time.monotonic()
        outcome = search.run(signs, tuple(b[:depth] for b in bits))
        print(f"| {depth} | {outcome.status} | {time.monotonic() - start:.1f} | {outcome.explored} | {leaves[0]} |", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
