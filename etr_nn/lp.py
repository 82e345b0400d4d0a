"""Exact linear feasibility: Z3's simplex over Q, Farkas certificates and their check.

A system of rows a_r·z (= or ≥) b_r is infeasible iff (Farkas) there are multipliers y
with y_r ≥ 0 on the ≥ rows, Σ_r y_r·a_r = 0 and Σ_r y_r·b_r > 0: any solution z would
give 0 = Σ y_r a_r·z ≥ Σ y_r b_r > 0.

With strict rows a_r·z > b_r as well (Motzkin's transposition theorem) the system is
infeasible iff there are y with y_r ≥ 0 on the ≥ and > rows, Σ_r y_r·a_r = 0 and either
Σ_r y_r·b_r > 0, or Σ_r y_r·b_r = 0 and y_r > 0 on some strict row: a solution z would give
0 = Σ y_r a_r·z ≥ Σ y_r b_r, strictly when a strict row has y_r > 0. Without strict rows
this is Farkas' condition. `farkas` finds such y exactly (an LP solved by Z3 in rationals);
`check_farkas` re-checks it in plain rational arithmetic; `Multipliers` finds them for a stream
of systems, cheaper tries first, each confirmed by `check_farkas`.
"""

from __future__ import annotations

import re
from fractions import Fraction
from typing import Callable, Hashable, Sequence

import flint

from etr_nn.z3lib import z3

from etr_nn.exact import from_fmpq, to_fmpq
from etr_nn.exact.echelon import echelon
from etr_nn.patterns import Row


def rational(value: Fraction) -> z3.RatNumRef:
    return z3.RealVal(f"{value.numerator}/{value.denominator}")


def linear(coeffs: Sequence[tuple[int, Fraction]], variables: Sequence[z3.ArithRef],
           const: Fraction = Fraction(0)) -> z3.ArithRef:
    """Σ coeffs[v]·variables[v] + const as a Z3 term."""
    terms = [variables[v] if a == 1 else rational(a) * variables[v] for v, a in coeffs]
    if const:
        terms.append(rational(const))
    return z3.Sum(*terms) if len(terms) > 1 else terms[0] if terms else z3.RealVal(0)


def to_z3(row: Row, variables: Sequence[z3.ArithRef]) -> z3.BoolRef:
    left = linear(row.coeffs, variables)
    if row.rel == "=":
        return left == rational(row.rhs)
    return left > rational(row.rhs) if row.rel == ">" else left >= rational(row.rhs)


class ExactLP:
    """An exact, incremental linear feasibility problem over Q in the unknowns z_0 … z_{size−1}:
    the interface the pattern search keeps each output's system in. Blocks of rows (a disjunction
    of row systems, `compile`d once and added as often as needed) are added in levels that `pop`
    removes; `check` says "sat", "unsat" or "unknown"; `point` reads an exact rational solution
    after "sat". This implementation is Z3's simplex (QF_LRA) with push/pop; another exact LP
    only has to provide these five methods."""

    def __init__(self, size: int) -> None:
        self.variables = [z3.Real(f"z{v}") for v in range(size)]
        self.decls = {f"z{v}": variable for v, variable in enumerate(self.variables)}
        self.solver = z3.SolverFor("QF_LRA")
        self.path: list[Hashable] = []  # what each level above the base stands for (`follow`)
        # push, pop and check are the search's inner loop: Z3's C API directly (the Python
        # wrappers' argument casts cost as much as the simplex, measured)
        self._context, self._handle = self.solver.ctx.ref(), self.solver.solver

    def compile(self, alternatives: Sequence[Sequence[Row]]) -> z3.BoolRef:
        """The disjunction of the row systems, in the solver's own form."""
        systems = [f"(and true {' '.join(map(row_text, rows))})" for rows in alternatives]
        return self.formula(systems[0] if len(systems) == 1 else f"(or {' '.join(systems)})")

    def formula(self, text: str, booleans: Sequence[str] = ()) -> z3.BoolRef:
        """An SMT-LIB formula over the unknowns z0, z1, … and these Boolean names, in the solver's own form
        (parsed: a third of the time of building it term by term through the Python API, measured)."""
        decls = self.decls | {name: z3.Bool(name) for name in booleans} if booleans else self.decls
        return z3.parse_smt2_string(f"(assert {text})", decls=decls)[0]

    def push(self, *blocks: z3.BoolRef) -> None:
        """A new level holding these blocks."""
        z3.Z3_solver_push(self._context, self._handle)
        for block in blocks:
            z3.Z3_solver_assert(self._context, self._handle, block.as_ast())

    def pop(self, levels: int = 1) -> None:
        z3.Z3_solver_pop(self._context, self._handle, levels)

    def clear(self) -> None:
        """Pop every level `follow` pushed."""
        if self.path:
            self.pop(len(self.path))
            self.path.clear()

    def follow(self, path: Sequence[Hashable], blocks: Callable[[int], Sequence[z3.BoolRef]]) -> ExactLP:
        """Hold one level per entry of `path`, level t holding blocks(t): the levels of `self.path` past its
        common prefix with `path` are popped, the missing ones pushed (a depth-first search moves one step)."""
        common = 0
        while common < min(len(self.path), len(path)) and self.path[common] == path[common]:
            common += 1
        if len(self.path) > common:
            self.pop(len(self.path) - common)
            del self.path[common:]
        for t in range(common, len(path)):
            self.push(*blocks(t))
            self.path.append(path[t])
        return self

    def check(self) -> str:
        result = z3.Z3_solver_check(self._context, self._handle)
        return "sat" if result == z3.Z3_L_TRUE else "unsat" if result == z3.Z3_L_FALSE else "unknown"

    def point(self, unknowns: Sequence[int]) -> dict[int, Fraction]:
        """The values of these unknowns in the solution the last "sat" found."""
        model = self.solver.model()  # rational values (QF_LRA), read as "p/q" text: the fastest way out of Z3
        return {v: Fraction(model.eval(self.variables[v], model_completion=True).as_string()) for v in unknowns}


def feasible_point(rows: Sequence[Row], size: int, seconds: float | None = None) -> list[Fraction] | None:
    """An exact rational solution of the rows, or None when there is none (Z3's simplex; the rows
    go in, and the model comes out, as SMT-LIB text, as in `farkas`). With `seconds`, None also when
    Z3 has not decided within that time: for callers to whom None only discards a proposal."""
    lines = [f"(declare-fun y{v} () Real)" for v in range(size)]
    lines += [f"(assert {row_text(row, 'y')})" for row in rows]
    solver = z3.SolverFor("QF_LRA")
    if seconds is not None:
        solver.set("timeout", max(1, int(seconds * 1000)))
    solver.from_string("\n".join(lines))
    if solver.check() != z3.sat:
        return None
    return _model_values(solver.model().sexpr(), size)


def farkas(rows: Sequence[Row]) -> list[Fraction] | None:
    """Multipliers proving rows with =, ≥ and > infeasible (module docstring), normalised to
    Σ y_r·b_r + Σ_{r strict} y_r = 1 with Σ y_r·b_r ≥ 0; None when the rows are feasible.
    The LP goes to Z3 as SMT-LIB text, and its model comes back as text (through the Python
    API, term by term, it costs ten times more)."""
    lines = [f"(declare-fun y{r} () Real)" for r in range(len(rows))]
    lines += [f"(assert (>= y{r} 0))" for r, row in enumerate(rows) if row.rel != "="]
    columns: dict[int, list[str]] = {}
    bound = []
    for r, row in enumerate(rows):
        coeffs, rhs = _texts(row)
        for v, a in coeffs:
            columns.setdefault(v, []).append(f"(* {a} y{r})")
        if rhs is not None:
            bound.append(f"(* {rhs} y{r})")
    lines += [f"(assert (= (+ 0 {' '.join(terms)}) 0))" for terms in columns.values()]
    total = " ".join(bound)
    strict = " ".join(f"y{r}" for r, row in enumerate(rows) if row.rel == ">")
    lines += [f"(assert (>= (+ 0 {total}) 0))", f"(assert (= (+ 0 {total} {strict}) 1))"]
    solver = z3.SolverFor("QF_LRA")
    solver.from_string("\n".join(lines))
    if solver.check() != z3.sat:
        return None
    return _model_values(solver.model().sexpr(), len(rows))


class Multipliers:
    """Multipliers (as `farkas`) for a stream of infeasible systems, e.g. the refuted patterns of one
    search, where neighbouring systems share rows and often a certificate. Cheapest first: a vector
    that proved one of the last `keep` systems, reused when the rows on its support are the same
    rows at the same places (check_farkas reads only those, so its verdict carries over); else a
    vertex of the multiplier LP found in floating point (HiGHS), solved exactly on its support and
    confirmed by `check_farkas` (floats only propose); else Z3's exact simplex (`farkas`)."""

    def __init__(self, keep: int = 32) -> None:
        self.keep = keep
        self.recent: list[tuple[tuple[tuple[int, Row], ...], list[Fraction]]] = []  # support rows, y

    def __call__(self, rows: Sequence[Row]) -> list[Fraction] | None:
        n = len(rows)
        for i, (support, y) in enumerate(self.recent):
            if all(r < n and rows[r] == row for r, row in support):
                self.recent.insert(0, self.recent.pop(i))
                return y[:n] + [Fraction(0)] * (n - len(y))
        found = _float_guided(rows)
        if found is None or check_farkas(rows, found) is not None:
            found = farkas(rows)
        if found is not None:
            self.recent.insert(0, (tuple((r, rows[r]) for r, v in enumerate(found) if v), found))
            del self.recent[self.keep:]
        return found


def _float_guided(rows: Sequence[Row]) -> list[Fraction] | None:
    """Exact multipliers on the support of a floating-point vertex of the multiplier LP
    (columns Σ y_r·a_r = 0, Σ y_r·b_r + Σ_{strict} y_r = 1, Σ y_r·b_r ≥ 0, y ≥ 0 off the = rows),
    or None; unchecked (the caller checks). SciPy is imported here, on first use: a search that
    asks for no certificate never loads it."""
    import numpy as np
    from scipy.optimize import linprog

    if not rows:
        return None
    n = len(rows)
    size = 1 + max((v for row in rows for v, _ in row.coeffs), default=-1)
    columns = np.zeros((size + 1, n))
    for r, row in enumerate(rows):
        for v, a in row.coeffs:
            columns[v, r] = a.numerator / a.denominator
        columns[size, r] = row.rhs.numerator / row.rhs.denominator + (row.rel == ">")
    target = np.zeros(size + 1)
    target[size] = 1.0
    bound = -columns[size] + np.array([row.rel == ">" for row in rows], dtype=float)
    result = linprog(np.zeros(n), A_ub=bound[None, :], b_ub=[0.0], A_eq=columns, b_eq=target,
                     bounds=[(None, None) if row.rel == "=" else (0, None) for row in rows], method="highs-ds")
    if result.status != 0:
        return None
    support = [r for r in range(n) if abs(result.x[r]) > 1e-9]
    columns_of = [_column(rows[r], size) for r in support]
    equations = [Row(tuple((s, column[i]) for s, column in enumerate(columns_of) if column.get(i)), "=", Fraction(i == size))
                 for i in range(size + 1)]
    solved = particular_solution(equations, len(support))
    if solved is None:
        return None  # inconsistent on this support
    y = [Fraction(0)] * n
    for s, r in enumerate(support):
        y[r] = solved[s]
    return y


def _column(row: Row, size: int) -> dict[int, Fraction]:
    """A row's column in the multiplier LP: its coefficients, and at `size` its right-hand side
    (+1 for a strict row)."""
    return dict(row.coeffs) | {size: row.rhs + (row.rel == ">")}


def particular_solution(rows: Sequence[Row], size: int) -> list[Fraction] | None:
    """An exact rational solution of the equality rows in z_0 … z_{size−1} (reduced row echelon
    form, flint; free unknowns 0), or None when they are inconsistent."""
    matrix = flint.fmpq_mat(len(rows), size + 1)
    for i, row in enumerate(rows):
        if row.rel != "=":
            raise ValueError("particular_solution takes equality rows only")
        for v, a in row.coeffs:
            matrix[i, v] += to_fmpq(a)
        matrix[i, size] = to_fmpq(row.rhs)
    reduced = echelon(matrix)
    if reduced is None:
        return None
    z = [Fraction(0)] * size
    for pivot, entries in reduced:
        z[pivot] = from_fmpq(entries[size])
    return z


_TEXTS: dict[int, tuple[Row, list[tuple[int, str]], str | None]] = {}


def row_text(row: Row, name: str = "z") -> str:
    """The row as an SMT-LIB formula over the unknowns name0, name1, …"""
    coeffs, rhs = _texts(row)
    terms = " ".join(f"(* {a} {name}{v})" for v, a in coeffs)
    return f"({row.rel} (+ 0.0 {terms}) {rhs or '0.0'})"


def _texts(row: Row) -> tuple[list[tuple[int, str]], str | None]:
    """The row's nonzero coefficients and right-hand side (None if 0) as SMT-LIB terms; kept per
    row object (callers pass the same rows again and again; the entry holds the row, so its id
    stays its own)."""
    hit = _TEXTS.get(id(row))
    if hit is None or hit[0] is not row:
        if len(_TEXTS) > 200_000:
            _TEXTS.clear()
        hit = _TEXTS[id(row)] = (row, [(v, _smt(a)) for v, a in row.coeffs if a], _smt(row.rhs) if row.rhs else None)
    return hit[1], hit[2]


_SEXPR = re.compile(r"[()]|[^\s()]+")


_MULTIPLIER = re.compile(r"y[0-9]+")


def _model_values(text: str, size: int) -> list[Fraction]:
    """The values of y0 … y{size−1} (multipliers, or the unknowns of `feasible_point`) in a Z3 model
    printed as SMT-LIB (absent ones are 0). Other definitions are skipped: Z3's context is shared, and a script parsed earlier in the same process
    (e.g. by `etr-nn check`'s reader) can leave its define-fun's in every later model."""
    y = [Fraction(0)] * size
    for chunk in text.split("(define-fun ")[1:]:  # "yR () Real VALUE)"
        name, _, rest = chunk.partition(" () Real")
        if not (_MULTIPLIER.fullmatch(name) and int(name[1:]) < size and rest):
            continue
        value = rest.strip()[:-1].strip()
        if value != "0.0":
            y[int(name[1:])] = _term(_SEXPR.findall(value), 0)[0]
    return y


def _term(tokens: list[str], i: int) -> tuple[Fraction, int]:
    """A rational term (numerals, -, /, +, *) starting at tokens[i], and the index after it."""
    if tokens[i] != "(":
        return Fraction(tokens[i]), i + 1
    op, i = tokens[i + 1], i + 2
    args = []
    while tokens[i] != ")":
        value, i = _term(tokens, i)
        args.append(value)
    if op == "-":
        result = -args[0] if len(args) == 1 else args[0] - sum(args[1:])
    elif op == "/":
        result = args[0] / args[1]
    elif op == "+":
        result = sum(args, Fraction(0))
    elif op == "*":
        result = Fraction(1)
        for a in args:
            result *= a
    else:
        raise ValueError(f"unexpected operator {op!r} in a Z3 model")
    return result, i + 1


def _smt(value: Fraction) -> str:
    """A rational as an SMT-LIB real term."""
    text = f"{abs(value.numerator)}.0" if value.denominator == 1 else f"(/ {abs(value.numerator)}.0 {value.denominator}.0)"
    return f"(- {text})" if value < 0 else text


def check_farkas(rows: Sequence[Row], y: Sequence[Fraction]) -> str | None:
    """None if y proves the rows (=, ≥, >) infeasible, else what is wrong with it (exact)."""
    if len(y) != len(rows):
        return f"{len(y)} multipliers for {len(rows)} rows"
    total: dict[int, Fraction] = {}
    bound = Fraction(0)
    strict = False
    for row, yr in zip(rows, y):
        if not yr:
            continue  # most multipliers are 0 (a vertex of the LP)
        if row.rel != "=" and yr < 0:
            return "a negative multiplier on an inequality"
        strict = strict or (row.rel == ">" and yr > 0)
        for v, a in row.coeffs:
            total[v] = total.get(v, Fraction(0)) + yr * a
        bound += yr * row.rhs
    if any(total.values()):
        return "the combination of the rows is not identically zero"
    if bound < 0 or (bound == 0 and not strict):
        return ("the combination of the right-hand sides is negative" if bound < 0 else
                "the combination of the right-hand sides is 0 and no strict row has a positive multiplier")
    return None
