"""Limits that hold for any input: interrupts, and a hard time limit around a whole command.

The solvers keep their own deadlines and answer "unknown" with a reason, but some steps
cannot be interrupted from Python (one flint factorisation, one nlsat call, a sample point
of huge height). So `within(seconds, work, stopped)` runs the command's work in a forked
child in its own process group and waits; at the limit plus GRACE the parent ends the
group (the child, its worker processes, any external solver) and prints the answer
"unknown" through `stopped`. Ctrl-C and SIGTERM end the work the same way: one line,
exit 128 + the signal's number. Output files are written whole or not at all
(etr_nn.files.write_atomically): a stopped child removes the temporary file it was writing.
"""

from __future__ import annotations

import os
import select
import signal
import sys
import time
import traceback
from typing import Callable, NoReturn

from etr_nn.deadline import Deadline
from etr_nn.files import discard_temporaries

GRACE = 0.5  # seconds past the limit before the work is ended (the answer comes within limit + 1 s)
TERM_SECONDS = 0.2  # after SIGTERM, the stopped child's time to remove its temporary files before SIGKILL
MESSAGES = {signal.SIGINT: "etr-nn: interrupted", signal.SIGTERM: "etr-nn: terminated"}


def seconds(text: str) -> float:
    """--timeout's type: a positive, finite number of seconds (argparse: one line, exit 2)."""
    import argparse
    import math

    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text[:40]!r} is not a number of seconds") from None
    if not 0 < value < math.inf:
        raise argparse.ArgumentTypeError(f"{text[:40]!r}: a positive, finite number of seconds is needed")
    return value


def die_with_parent() -> None:
    """Linux: this process gets SIGKILL when the one that started it ends, even by SIGKILL."""
    if sys.platform.startswith("linux"):
        import ctypes

        PR_SET_PDEATHSIG = 1
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def _end_workers() -> None:
    if "multiprocessing" in sys.modules:  # a process pool may be running: its workers go too
        import multiprocessing

        for child in multiprocessing.active_children():
            child.kill()


_HANDLER_PID: list[int] = []  # the process that installed the handler (a forked worker inherits it)


def _interrupted(signum: int, frame: object) -> NoReturn:
    """Ctrl-C or SIGTERM without a supervisor: end the workers and stop at once (no unwinding
    through whatever was running: an import, a pool's start-up). A worker forked before it reset
    the handler ends silently: Ctrl-C reaches the whole process group, and one line is said once."""
    if os.getpid() not in _HANDLER_PID:
        os._exit(128 + signum)
    _end_workers()
    discard_temporaries()
    os.write(2, MESSAGES[signal.Signals(signum)].encode() + b"\n")
    os._exit(128 + signum)


def handle_interrupts() -> None:
    _HANDLER_PID[:] = [os.getpid()]
    for number in MESSAGES:
        signal.signal(number, _interrupted)


def within(seconds: float, work: Callable[[], int], stopped: Callable[[], int]) -> int:
    """work()'s exit code if it ends within `seconds` (+ GRACE), else stopped()'s."""
    sys.stdout.flush()
    sys.stderr.flush()
    child = os.fork()
    if child == 0:
        _run_child(work)
    ended = False

    def end(signum: int, frame: object) -> NoReturn:
        nonlocal ended
        if not ended:
            ended = True
            _end(child)
        os.write(2, MESSAGES[signal.Signals(signum)].encode() + b"\n")
        os._exit(128 + signum)

    for number in MESSAGES:
        signal.signal(number, end)
    status = _wait(child, Deadline.after(seconds + GRACE))
    if status is None:
        ended = True
        _end(child)
        return stopped()
    return os.waitstatus_to_exitcode(status) if os.WIFEXITED(status) else 128 + os.WTERMSIG(status)


def call_within(seconds: float, work: Callable[[], str]) -> str | None:
    """work()'s text, computed in a forked child, if it is ready within `seconds`; None past them
    (the child is killed: the way to bound a computation that cannot check a deadline itself, such
    as one long flint call) or if the child fails. The text comes back through a pipe (nothing
    is pickled); the child dies with this process."""
    read_end, write_end = os.pipe()
    sys.stdout.flush()
    sys.stderr.flush()
    child = os.fork()
    if child == 0:
        os.close(read_end)
        code = 1
        try:
            die_with_parent()
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            data = work().encode()
            with os.fdopen(write_end, "wb") as out:
                out.write(data)
            code = 0
        finally:
            os._exit(code)
    os.close(write_end)
    deadline = Deadline.after(seconds)
    chunks: list[bytes] = []
    try:
        while True:
            ready, _, _ = select.select([read_end], [], [], deadline.left())
            if not ready:
                os.kill(child, signal.SIGKILL)
                os.waitpid(child, 0)
                return None
            chunk = os.read(read_end, 1 << 16)
            if not chunk:
                break
            chunks.append(chunk)
    finally:
        os.close(read_end)
    _, status = os.waitpid(child, 0)
    if not (os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0):
        return None
    return b"".join(chunks).decode()


def _run_child(work: Callable[[], int]) -> NoReturn:
    """In the child: its own process group (the parent ends it whole), Ctrl-C left to the parent,
    SIGTERM from the parent: remove the temporary file being written and exit."""
    os.setpgid(0, 0)
    die_with_parent()
    signal.signal(signal.SIGINT, signal.SIG_IGN)

    def stop(signum: int, frame: object) -> NoReturn:
        _end_workers()
        discard_temporaries()
        os._exit(128 + signum)

    signal.signal(signal.SIGTERM, stop)
    try:
        code = work()
    except SystemExit as exit:
        code = exit.code if isinstance(exit.code, int) else 1
    except BaseException:
        traceback.print_exc()
        code = 1
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def _wait(child: int, deadline: Deadline) -> int | None:
    """The child's wait status, or None at the deadline."""
    try:
        handle = os.pidfd_open(child)
    except (AttributeError, OSError):  # no pidfd: poll
        handle = None
    try:
        while True:
            pid, status = os.waitpid(child, os.WNOHANG)
            if pid == child:
                return status
            left = deadline.left()
            assert left is not None  # always called with a limit
            if left <= 0:
                return None
            if handle is not None:
                select.select([handle], [], [], left)
            else:
                time.sleep(min(left, 0.02))
    finally:
        if handle is not None:
            os.close(handle)


def _end(child: int) -> None:
    """SIGTERM to the child's group, SIGKILL after TERM_SECONDS; reap the child."""
    for number in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(child, number)
        except ProcessLookupError:
            break
        if _wait(child, Deadline.after(TERM_SECONDS)) is not None:
            break
    try:
        os.killpg(child, signal.SIGKILL)  # workers left in the group
    except ProcessLookupError:
        pass
    try:
        os.waitpid(child, 0)
    except ChildProcessError:
        pass
