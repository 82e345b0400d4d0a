"""Running the independent tasks of a search: in this process, worker processes or a dask cluster.

Tasks (a choice of output signs, or a partial pattern of one that `Search.frontier` kept) share nothing, so they run in any order, anywhere;
the first certified network cancels the rest. In this process (no start-up cost) the search
checks the deadline between nodes and calls the side task (the float guide) in slices;
worker processes make the time limit hard (at the deadline they are killed, whatever a
backend is doing) while this process gives the side task its turns between polls. Worker
processes share their tables of decided systems (`SharedTable`): with separate tables two
workers made 76 403 simplex calls where one process makes 46 926 (random d2 k3 m2 n7 seed 38);
sharing took the slowest random two-output instances from 4.6–6.3 s to 3.6–5.2 s.
"""

from __future__ import annotations

import importlib.util
import os
import queue
import re
import signal
from fractions import Fraction
from typing import TYPE_CHECKING, Any, Callable

from etr_nn.deadline import Deadline
from etr_nn.errors import InputError
from etr_nn.instance import Instance
from etr_nn.network import Network
from etr_nn.search.engine import Incumbent, Outcome, Search, Table
from etr_nn.patterns import Prefixes, Sign
from etr_nn.supervise import die_with_parent

if TYPE_CHECKING:
    from concurrent.futures import Future

Task = tuple[tuple[Sign, ...], Prefixes | None]  # a sign choice, and the partial pattern below which to search (None: all)
Report = Callable[[int, int, int, int], None]  # explored, pruned, tasks left, tasks not decided at depth 1
Side = Callable[[], Network | None]  # one turn of the side task: a certified network or None

_CLUSTER = re.compile(r"(tcp|tls)://([A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\]):[0-9]{1,5}")

_search: Search | None = None
_counters: Any = None


class SharedTable(Table):
    """The table of decided systems, shared by the worker processes: each worker sends its new
    entries to the others' inboxes in batches and merges its own inbox every PERIOD lookups.
    Entries are exact keys with their verdicts (never hashes), so a merged entry is as sound as
    the simplex call that made it."""

    BATCH, PERIOD = 64, 64

    def __init__(self, inbox: Any, outboxes: list[Any], entries: dict[Any, bool] | None = None) -> None:
        super().__init__()
        for key, feasible in (entries or {}).items():
            self.keep(key, feasible)
        self.inbox, self.outboxes = inbox, outboxes
        self.outgoing: list[tuple[Any, bool]] = []
        self.lookups = 0

    def get(self, key: Any) -> bool | None:
        self.lookups += 1
        if self.lookups % self.PERIOD == 0:
            try:
                while True:
                    for known, feasible in self.inbox.get_nowait():
                        self.keep(known, feasible)
            except queue.Empty:
                pass
        return super().get(key)

    def put(self, key: Any, feasible: bool) -> None:
        self.keep(key, feasible)
        self.outgoing.append((key, feasible))
        if len(self.outgoing) >= self.BATCH:
            for box in self.outboxes:
                box.put(self.outgoing)
            self.outgoing = []


class SharedIncumbent(Incumbent):
    """The branch and bound's incumbent, shared by the worker processes: a better one found here
    goes, with its network, to the others' inboxes, and each takes what its inbox holds when the
    search asks for news (every 64 nodes). Each network was certified where it was found, so a
    worker prunes with the least loss any worker has attained."""

    def __init__(self, start: Incumbent, inbox: Any, outboxes: list[Any]) -> None:
        super().__init__(start.value, start.network)
        self.inbox, self.outboxes = inbox, outboxes

    def offer(self, value: Fraction, network: Network) -> bool:
        if not super().offer(value, network):
            return False
        for box in self.outboxes:
            box.put((value, network))
        return True

    def news(self) -> bool:
        taken = False
        try:
            while True:
                taken |= Incumbent.offer(self, *self.inbox.get_nowait())
        except queue.Empty:
            return taken


def _init(instance: Instance, order: tuple[int, ...], nonlinear: str, deadline: Deadline,
          certificates: bool, counters: Any, parent: int, boxes: list[Any], joined: Any, known: Table,
          incumbent: Incumbent | None, offers: list[Any]) -> None:
    global _search, _counters
    _bound_to_parent(parent)
    _counters = counters
    with joined.get_lock():
        me = joined.value
        joined.value += 1
    table = SharedTable(boxes[me], [box for i, box in enumerate(boxes) if i != me], known.items())
    if incumbent is not None:
        incumbent = SharedIncumbent(incumbent, offers[me], [box for i, box in enumerate(offers) if i != me])
    _search = Search(instance, order, nonlinear, deadline, certificates, _tick if counters is not None else None,
                     table=table, incumbent=incumbent)


def _bound_to_parent(parent: int) -> None:
    """A worker ends with the process that started it: Ctrl-C (sent to the whole process group)
    is left to the parent, which kills its workers; if the parent ends, even by SIGKILL, so
    does the worker (Linux)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    die_with_parent()
    if os.getppid() != parent:  # the parent ended before that took effect
        os._exit(1)


def _tick(explored: int, pruned: int) -> None:
    with _counters.get_lock():
        _counters[0] += explored
        _counters[1] += pruned


def _work(task: Task) -> Outcome:
    assert _search is not None
    return _search.run(*task)


def shallow(outcomes: list[Outcome]) -> int:
    """Finished tasks decided at depth 1 (every partial pattern of one point refuted): they do not
    count as search work when the guide's share is weighed (etr_nn.search.LazyGuide)."""
    return sum(not o.searched and o.status == "unsat" for o in outcomes)


def run_inline(instance: Instance, order: tuple[int, ...], tasks: list[Task], nonlinear: str,
               deadline: Deadline, certificates: bool, report: Report | None,
               side: Side | None, table: Table | None = None) -> tuple[list[Outcome], list[Task]]:
    """Run the tasks one after another in this process until `deadline`; returns the outcomes of
    the finished tasks (stopping at the first sat) and the tasks not finished. Decided systems go
    to `table` (for the workers that may take over)."""
    counts = [0, 0]

    def tick(explored: int, pruned: int) -> None:
        counts[0] += explored
        counts[1] += pruned
        if report:
            report(counts[0], counts[1], len(tasks) - len(outcomes), len(tasks) - shallow(outcomes))

    search = Search(instance, order, nonlinear, deadline, certificates, tick, side, table=table)
    outcomes: list[Outcome] = []
    for t, task in enumerate(tasks):
        outcome = search.run(*task)
        if outcome.timed_out:
            return outcomes, tasks[t:]
        outcomes.append(outcome)
        if outcome.status == "sat":
            return outcomes, []
    return outcomes, []


def run_local(instance: Instance, order: tuple[int, ...], tasks: list[Task], workers: int,
              nonlinear: str, deadline: Deadline, certificates: bool,
              report: Report | None, side: Side | None = None, table: Table | None = None,
              incumbent: Incumbent | None = None) -> tuple[list[Outcome], int]:
    """Run the tasks in `workers` processes, and `side` here meanwhile; returns the outcomes
    (stopping at the first sat) and the number of tasks not finished (killed at the deadline).
    The workers' tables start from `table` (what this process decided before). With an
    `incumbent` the workers minimise from it, each posting the better ones it finds to the others
    (`SharedIncumbent`; an outcome's `best` is its worker's incumbent when the task ended)."""
    # Imported here: instances decided in this process (most) need no process pool.
    import multiprocessing
    from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait

    context = multiprocessing.get_context("fork" if "fork" in multiprocessing.get_all_start_methods() else None)
    counters = context.Array("q", 2) if report else None
    boxes, joined = [context.Queue() for _ in range(workers)], context.Value("i", 0)
    offers = [context.Queue() for _ in range(workers)] if incumbent is not None else []
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=context, initializer=_init,
                               initargs=(instance, order, nonlinear, deadline, certificates, counters, os.getpid(),
                                         boxes, joined, table or Table(), incumbent, offers))
    pending: set[Future[Outcome]] = set()
    outcomes: list[Outcome] = []
    grace = deadline.extended(1.0)  # the workers end their tasks themselves first
    try:  # from the first submit on (it starts the workers): an interrupt anywhere still ends them
        pending = {pool.submit(_work, task) for task in tasks}
        while pending:
            left = grace.left()
            if grace.passed():
                break
            network = side() if side is not None else None
            if network is not None:
                outcomes.append(Outcome("sat", network, guided=True))
                break
            done, pending = wait(pending, timeout=0.25 if left is None else min(0.25, left),
                                 return_when=FIRST_COMPLETED)
            for future in done:
                outcomes.append(future.result())
            if report and counters is not None:
                report(counters[0], counters[1], len(pending), len(tasks) - shallow(outcomes))
            if any(o.status == "sat" for o in outcomes):
                break
    finally:
        for process in list(getattr(pool, "_processes", {}).values()):
            process.kill()
        pool.shutdown(wait=True, cancel_futures=True)
    return outcomes, len(pending)


def check_cluster(address: str) -> None:
    """InputError unless `address` is tcp://HOST:PORT or tls://HOST:PORT and dask.distributed is
    installed (checked before any work: a quick instance never reaches the cluster). Dask
    exchanges pickled objects with the scheduler and workers: connect only to a cluster you control."""
    if len(address) > 300 or not _CLUSTER.fullmatch(address):
        shown = address if len(address) <= 60 else address[:57] + "..."
        raise InputError(f"--cluster {shown!r}: expected tcp://HOST:PORT or tls://HOST:PORT")
    if importlib.util.find_spec("distributed") is None:
        raise InputError("--cluster needs dask.distributed: pip install 'etr_nn[dask]'")


def run_dask(address: str, instance: Instance, order: tuple[int, ...], tasks: list[Task], nonlinear: str,
             deadline: Deadline, certificates: bool, report: Report | None) -> tuple[list[Outcome], int]:
    """Run the tasks on a dask.distributed cluster (the optional extra "dask")."""
    check_cluster(address)
    from dask.distributed import Client, as_completed
    try:
        client = Client(address, timeout=10)
    except (OSError, TimeoutError) as error:
        raise InputError(f"--cluster {address}: cannot connect ({error})") from None
    outcomes: list[Outcome] = []
    try:
        futures = [client.submit(_dask_task, instance, order, task, nonlinear, deadline, certificates, pure=False)
                   for task in tasks]
        finished = as_completed(futures)
        grace = deadline.extended(1.0)
        try:
            for future in finished:
                outcomes.append(future.result())
                if report:
                    report(sum(o.explored for o in outcomes), sum(o.pruned for o in outcomes),
                           len(tasks) - len(outcomes), len(tasks) - shallow(outcomes))
                if outcomes[-1].status == "sat" or grace.passed():
                    break
        finally:
            client.cancel(futures)
    finally:
        client.close()
    return outcomes, len(tasks) - len(outcomes)


def _dask_task(instance: Instance, order: tuple[int, ...], task: Task, nonlinear: str,
               deadline: Deadline, certificates: bool) -> Outcome:
    return Search(instance, order, nonlinear, deadline, certificates).run(*task)


def default_workers() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
