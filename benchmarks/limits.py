"""How well every command keeps its time limit: wall time of `python -m etr_nn …` with --timeout T
on instances that take minutes, against T.

    python -m benchmarks.limits [--timeouts 1,5] [--repeat 3] [--out benchmarks/results/limits.md]

Each run is a subprocess (interpreter start-up included, as a user sees it); the table gives the
answer and the worst overshoot (wall time − T) over the repeats. The contract: "unknown" (exit 1)
within T + 1 s, workers included (tests/test_solve.py checks it with a generous bound).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.check import closed_hong, long_sum

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
ENC = ROOT / "encodings"
#: (label, argv without --timeout, the whole command's limit for --timeout T); golden.json: 107 points,
#: 23 ReLUs; the loss benchmark's d = 2, k = 3, n = 20 instance (its optimum: a minute). gadget check's --timeout is per claim, plus one for "fits exist".
COMMANDS = [
    ("solve (pattern search)", ["solve", str(ENC / "golden.json")]),
    ("solve (pattern search, 2 workers)", ["solve", str(ENC / "golden.json"), "--workers", "2"]),
    ("solve --backend z3", ["solve", str(ENC / "golden.json"), "--backend", "z3"]),
    ("optimize", ["optimize", str(ENC / "golden.json")]),
    ("rationality --optimum", ["rationality", str(HERE / "loss" / "planted-d2-k3-m1-n20-s1-noisy-squared-sat.json"), "--optimum"]),
    ("gadget check (one claim)", ["gadget", "check", str(ENC / "golden.json"), "--claim", "f1(1/3, 1/7) = 1"]),
]
LIMIT = {"gadget check (one claim)": lambda t: 2 * t + 1.5}


def check_commands(folder: Path) -> list[tuple[str, list[str]]]:
    """`check` on Hong's problem n = 6 with ≤ and ≥ (the CAD takes minutes; Z3, so cad+z3, answers
    at once) and on a script whose parsing alone takes seconds (benchmarks.check.long_sum), written
    to `folder`."""
    closed, long = folder / "closed-hong6.smt2", folder / "long-sum.smt2"
    closed.write_text(closed_hong(6))
    long.write_text(long_sum())
    return [("check --backend cad (closed Hong n = 6)", ["check", str(closed), "--backend", "cad"]),
            ("check (a script parsed in seconds)", ["check", str(long)])]


def run(argv: list[str], timeout: float) -> tuple[str, float]:
    start = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "etr_nn", *argv, "--timeout", str(timeout)],
                          capture_output=True, text=True, timeout=timeout * 4 + 60, cwd=ROOT)
    answer = "unknown" if "unknown" in done.stdout.lower() else done.stdout.split("\n")[0][:30]
    return f"{answer} (exit {done.returncode})", time.monotonic() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--timeouts", default="1,5")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--out", default=str(HERE / "results" / "limits.md"))
    args = parser.parse_args()
    timeouts = [float(t) for t in args.timeouts.split(",")]
    lines = ["# Time limits kept", "", f"`python -m benchmarks.limits --timeouts {args.timeouts} --repeat {args.repeat}`; "
             "wall time of the whole process (start-up included); limit = T, for gadget check T per claim and "
             "T for 'fits exist' + 1.5 s; overshoot = worst wall time − limit.", "",
             "| command | T (s) | limit (s) | answer | wall time, worst (s) | overshoot (s) |",
             "| --- | ---: | ---: | --- | ---: | ---: |"]
    scripts = tempfile.TemporaryDirectory()
    for label, argv in COMMANDS + check_commands(Path(scripts.name)):
        for timeout in timeouts:
            results = [run(argv, timeout) for _ in range(args.repeat)]
            worst = max(wall for _, wall in results)
            answers = sorted({answer for answer, _ in results})
            limit = LIMIT.get(label, lambda t: t)(timeout)
            lines.append(f"| {label} | {timeout:g} | {limit:g} | {', '.join(answers)} | {worst:.2f} | {worst - limit:+.2f} |")
            print(lines[-1], flush=True)
    Path(args.out).write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
