"""S-expressions of SMT-LIB 2 text: symbols, numerals, decimals, strings, keywords, lists.

A hand-written reader (no evaluation of anything): `read(text)` splits the text into tokens
by one regular expression and nests them by parentheses, iteratively (depth bounded by
MAX_SEXPR_NESTING). Every atom and list carries the line where it starts, for messages.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Union

from etr_nn.limits import MAX_SEXPR_NESTING


_TOKEN = re.compile(r"""
    (?P<space>[ \t\r\n]+)
  | (?P<comment>;[^\n]*)
  | (?P<open>\()
  | (?P<close>\))
  | (?P<string>"(?:[^"]|"")*")
  | (?P<quoted>\|[^|\\]*\|)
  | (?P<atom>[^\s()";|]+)
""", re.VERBOSE)


class ReadError(ValueError):
    """Unreadable text, with the line at fault."""

    def __init__(self, line: int, message: str):
        super().__init__(f"line {line}: {message}")
        self.line = line


@dataclass(frozen=True)
class Atom:
    """A symbol, numeral, decimal, keyword (`:name`) or string; `quoted` for `|...|` symbols."""

    text: str
    line: int
    kind: str = "atom"  # "atom", "quoted" (text without the bars) or "string" (text without the quotes)

    def __str__(self) -> str:
        """The atom as SMT-LIB text (read(str(a)) gives a back)."""
        return {"quoted": f"|{self.text}|", "string": '"' + self.text.replace('"', '""') + '"'}.get(self.kind, self.text)


@dataclass(frozen=True)
class List:
    """A parenthesised list of s-expressions."""

    items: tuple[SExpr, ...]
    line: int

    def __str__(self) -> str:
        return "(" + " ".join(str(x) for x in self.items) + ")"


SExpr = Union[Atom, List]


def read(text: str) -> list[SExpr]:
    """The top-level s-expressions of `text`; ReadError (with the line) on unbalanced
    parentheses, an unterminated string or quoted symbol, or nesting past MAX_SEXPR_NESTING."""
    line, pos = 1, 0
    stack: list[tuple[int, list[SExpr]]] = [(0, [])]
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None:  # only an unterminated string or quoted symbol fails every alternative
            what = "string" if text[pos] == '"' else "quoted symbol"
            raise ReadError(line, f"unterminated {what}")
        kind = match.lastgroup
        token = match.group()
        if kind == "open":
            if len(stack) > MAX_SEXPR_NESTING:
                raise ReadError(line, f"nested more than {MAX_SEXPR_NESTING} deep")
            stack.append((line, []))
        elif kind == "close":
            if len(stack) == 1:
                raise ReadError(line, "')' without a matching '('")
            start, items = stack.pop()
            stack[-1][1].append(List(tuple(items), start))
        elif kind == "string":
            stack[-1][1].append(Atom(token[1:-1].replace('""', '"'), line, "string"))
        elif kind == "quoted":
            stack[-1][1].append(Atom(token[1:-1], line, "quoted"))
        elif kind == "atom":
            stack[-1][1].append(Atom(token, line))
        line += token.count("\n")
        pos = match.end()
    if len(stack) > 1:
        raise ReadError(stack[-1][0], "'(' never closed")
    return stack[0][1]
