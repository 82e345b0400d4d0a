"""The exact network f(x) = A·relu(W·x + b) + c, with rational or real algebraic weights."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Sequence

from etr_nn.exact import Number, RealAlgebraic, from_json, read_rational, to_json
from etr_nn.instance import Shape

Vector = tuple[Number, ...]
Matrix = tuple[tuple[Number, ...], ...]


def relu(z: Number) -> Number:
    return z if z > 0 else Fraction(0)


def dot(u: Sequence[Number], v: Sequence[Number | int]) -> Number:
    total: Number = Fraction(0)
    for a, b in zip(u, v):
        if a and b:
            total = total + a * b
    return total


@dataclass(frozen=True)
class Network:
    """Weights W (hidden × inputs), b (hidden), A (outputs × hidden), c (outputs)."""

    W: Matrix
    b: Vector
    A: Matrix
    c: Vector

    @staticmethod
    def build(W: Sequence[Sequence[Any]], b: Sequence[Any], A: Sequence[Sequence[Any]],
              c: Sequence[Any]) -> Network:
        """A network from nested sequences of ints, Fractions, strings "p/q" / "-1.25" or algebraic
        numbers (etr_nn.exact.read_rational; a float is a ValueError)."""
        def num(v: Any) -> Number:
            return v if isinstance(v, RealAlgebraic) else read_rational(v)
        return Network(tuple(tuple(num(v) for v in row) for row in W), tuple(num(v) for v in b),
                       tuple(tuple(num(v) for v in row) for row in A), tuple(num(v) for v in c))

    @property
    def shape(self) -> Shape:
        return Shape(len(self.W[0]) if self.W else 0, len(self.b), len(self.c))

    def weights(self) -> list[Number]:
        """Every weight and bias, in the order W, b, A, c."""
        return ([v for row in self.W for v in row] + list(self.b)
                + [v for row in self.A for v in row] + list(self.c))

    def hidden(self, x: Sequence[Number | int]) -> Vector:
        """relu(W·x + b): the hidden layer's values at x (exact inputs only, as for __call__)."""
        if self.W and len(x) != self.shape.inputs:
            raise ValueError(f"x has {len(x)} entries, the network has {self.shape.inputs} inputs")
        for t, v in enumerate(x):
            if isinstance(v, bool) or not isinstance(v, (int, Fraction, RealAlgebraic)):
                raise TypeError(f"x[{t}]: expected an exact number (int, Fraction or RealAlgebraic), got "
                                f"{type(v).__name__} {v!r}; for a float, Fraction(x) is its exact binary value")
        return tuple(relu(dot(w, x) + bj) for w, bj in zip(self.W, self.b))

    def __call__(self, x: Sequence[Number | int]) -> Vector:
        """f(x), computed exactly, whatever the weights (rational or algebraic). One rule for x: one
        int, Fraction or RealAlgebraic per input; a float is a TypeError (its binary value is rarely
        the number meant: pass Fraction(0.1) for that value, Fraction("0.1") for 1/10)."""
        h = self.hidden(x)
        return tuple(dot(a, h) + co for a, co in zip(self.A, self.c))

    def lines(self) -> list[str]:
        """One weight per line, exactly ("W[0][1] = -7/2", "c[0] = root of … ≈ …"), indented."""
        out = []
        for name, rows in (("W", self.W), ("A", self.A)):
            for r, row in enumerate(rows):
                out += [f"  {name}[{r}][{t}] = {v}" for t, v in enumerate(row)]
            if name == "W":
                out += [f"  b[{j}] = {v}" for j, v in enumerate(self.b)]
        out += [f"  c[{o}] = {v}" for o, v in enumerate(self.c)]
        return out

    def _repr_latex_(self) -> str:
        """Jupyter's display: W, b, A, c as exact matrices (radicals where known)."""
        from etr_nn.exact import to_latex

        def matrix(rows: Sequence[Sequence[Number]]) -> str:
            return r"\begin{pmatrix}" + r" \\ ".join(" & ".join(to_latex(v) for v in row) for row in rows) \
                + r"\end{pmatrix}"
        parts = [f"W = {matrix(self.W)}", f"b = {matrix([[v] for v in self.b])}",
                 f"A = {matrix(self.A)}", f"c = {matrix([[v] for v in self.c])}"]
        return "$" + r",\quad ".join(parts) + "$"

    def is_rational(self) -> bool:
        return all(isinstance(v, Fraction) for v in self.weights())

    def to_json(self) -> dict[str, Any]:
        return {"W": [[to_json(v) for v in row] for row in self.W], "b": [to_json(v) for v in self.b],
                "A": [[to_json(v) for v in row] for row in self.A], "c": [to_json(v) for v in self.c]}

    @staticmethod
    def from_json(doc: Any, where: str = "network") -> Network:
        """Parse the solution format's network; ValueError names the field at fault."""
        if not isinstance(doc, dict):
            raise ValueError(f"{where}: expected an object with W, b, A, c")

        def vector(key: str, value: Any) -> Vector:
            if not isinstance(value, list):
                raise ValueError(f"{where}.{key}: expected a list")
            out = []
            for t, v in enumerate(value):
                try:
                    out.append(from_json(v))
                except ValueError as error:
                    raise ValueError(f"{where}.{key}[{t}]: {error}") from None
            return tuple(out)

        def matrix(key: str) -> Matrix:
            rows = doc.get(key)
            if not isinstance(rows, list):
                raise ValueError(f"{where}.{key}: missing or not a list of rows")
            return tuple(vector(f"{key}[{r}]", row) for r, row in enumerate(rows))

        W, A = matrix("W"), matrix("A")
        b, c = vector("b", doc.get("b")), vector("c", doc.get("c"))
        k, m = len(b), len(c)
        if len(W) != k or len(A) != m or any(len(row) != k for row in A) \
                or len({len(row) for row in W}) > 1:
            raise ValueError(f"{where}: inconsistent dimensions: W is hidden×inputs, b has "
                             f"hidden entries, A is outputs×hidden, c has outputs entries")
        return Network(W, b, A, c)
