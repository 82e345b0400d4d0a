"""Run cvc5 (the pip package ships no binary) on an SMT-LIB file: python cvc5_runner.py FILE [OPT=VALUE ...].

Prints what the file's commands print, like the cvc5 binary would.
"""

from __future__ import annotations

import sys

import cvc5


def main(path: str, options: list[str]) -> None:
    terms = cvc5.TermManager()
    solver = cvc5.Solver(terms)
    for option in options:
        key, _, value = option.partition("=")
        solver.setOption(key, value or "true")
    symbols = cvc5.SymbolManager(terms)
    parser = cvc5.InputParser(solver, symbols)
    parser.setFileInput(cvc5.InputLanguage.SMT_LIB_2_6, path)
    while not (command := parser.nextCommand()).isNull():
        out = command.invoke(solver, symbols)
        if out:
            print(out.rstrip("\n"), flush=True)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2:])
