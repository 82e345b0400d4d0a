"""The token cursor under the recursive-descent parsers of text input (numbers, claims).

Text is split by one regular expression into (kind, text, position) tokens; the parsers
read them with `peek`, `take` and `expect`, and `nested()` bounds the recursion depth
(etr_nn.limits). Nothing is ever evaluated as code.
"""

from __future__ import annotations

import re
from contextlib import contextmanager
from typing import Iterator, Mapping, NoReturn

from etr_nn.limits import MAX_NESTING, MAX_TEXT_CHARS

Token = tuple[str, str, int]  # (kind: a group name of the pattern, text, position)


class Tokens:
    """A cursor over the tokens of `text`; `fail` raises the parser's error at a position."""

    def __init__(self, text: str, pattern: re.Pattern[str], aliases: Mapping[str, str] = {}):
        self.text = text
        if len(text) > MAX_TEXT_CHARS:
            self.fail(0, f"{len(text)} characters (at most {MAX_TEXT_CHARS})")
        self.tokens: list[Token] = []
        pos = 0
        while text[pos:].strip():
            match = pattern.match(text, pos)
            if not match:
                self.fail(pos + len(text[pos:]) - len(text[pos:].lstrip()), "unexpected character")
            kind = match.lastgroup or ""
            token = match.group(kind)
            self.tokens.append((kind, aliases.get(token, token), match.start(kind)))
            pos = match.end()
        self.i = 0
        self.depth = 0

    def fail(self, position: int, message: str) -> NoReturn:
        raise ValueError(f"position {position + 1}: {message}")

    def peek(self) -> Token:
        return self.tokens[self.i] if self.i < len(self.tokens) else ("end", "", len(self.text))

    def take(self, *texts: str) -> str | None:
        """The next token if it is one of the operators or names `texts` (consumed), else None."""
        kind, text, _ = self.peek()
        if kind in ("op", "name") and text in texts:
            self.i += 1
            return text
        return None

    def expect(self, text: str) -> None:
        if self.take(text) is None:
            self.fail(self.peek()[2], f"expected {text!r}, found {self.peek()[1] or 'the end'!r}")

    def integer(self) -> int:
        """A small unsigned integer literal (at most 6 digits: exponents, indices, degrees)."""
        kind, text, pos = self.peek()
        if kind != "num" or not text.isdigit():
            self.fail(pos, f"expected an integer, found {text or 'the end'!r}")
        if len(text.lstrip("0")) > 6:
            self.fail(pos, f"{text[:20]} is too large here")
        self.i += 1
        return int(text)

    @contextmanager
    def nested(self) -> Iterator[None]:
        """One level deeper in the grammar's recursion (at most MAX_NESTING)."""
        self.depth += 1
        if self.depth > MAX_NESTING:
            self.fail(self.peek()[2], f"nested more than {MAX_NESTING} deep")
        try:
            yield
        finally:
            self.depth -= 1
