"""An SMT encoding over the integers (Z3, linear integer arithmetic with case splits).

In the integer form of etr_nn.discrete.common, each weight and bias is an integer
variable v with the domain constraint ∨_{s ∈ S'} v = s. Then, per neuron j and point i,
    z_{ji} = Σ_t w_{jt}·x'_{it} + D_x·b_j                    (linear: x' are constants)
    h_{ji} = if z_{ji} > 0 then z_{ji} else 0                (relu by case)
    out_{oi} = Σ_j D_y·Σ_{s ∈ S', s ≠ 0} (if a_{oj} = s then s·h_{ji} else 0) + D_S·D_x·D_y·c_o
the product a·h written as a case split over the finitely many values of a, so the
formula stays linear. The loss: out = y' when γ = 0; Σ |out − y'| ≤ ⌊γL⌋ (absolute);
Σ q ≤ ⌊γL²⌋ (squared) with |r| ≤ R = ⌊√⌊γL²⌋⌋ for each residual r = out − y' and
q ≥ 2t·|r| − t² for t = 0..R: the tangents of t ↦ t² at the integers, whose maximum is r²
exactly at an integer r, so the formula stays linear (for R > TANGENT_LIMIT it uses the
nonlinear q = r·r instead; QF_NIA was measured far slower: minutes against 0.1 s). Symmetry: neurons are sorted by the key
Σ_p (v_p − min S')·B^p over their values (w_j, b_j, a_{·j}), B = max S' − min S' + 1, an
injective code, so of the k! orders of a network exactly the sorted one is left.

Engine. The same formula over bit-vectors (solve(..., bitvectors=True): Z3 QF_BV, i.e.
bit-blasting to Z3's SAT core, the route a PySAT bit-level encoding would take; widths
from bit_width, so nothing overflows) was measured against it in benchmarks/discrete.py.
Bit-blasting refutes labels that are off the output grid at once (a divisibility fact,
visible in the low bits), but it is several times slower on satisfiable instances and on
random labels (e.g. d,k,m = 3,3,1, |S| = 3, n = 10, sat: 1.0 s over the integers, 4.4 s
over bit-vectors; 1,3,1, |S| = 5, random labels: 1.1 s against a 5 s timeout), and the
dynamic program already settles the grid cases. So the integer (LIA) encoding is the
method; no extra dependency is needed.
"""

from __future__ import annotations

import math
from fractions import Fraction

from etr_nn.deadline import Deadline
from etr_nn.z3lib import z3

from etr_nn.discrete.common import Outcome, Scaled
from etr_nn.network import Network

TANGENT_LIMIT = 256  # squared loss: linear tangent cuts up to this residual bound, else r·r


def bit_width(sc: Scaled) -> int:
    """Bits for two's complement terms that hold every intermediate value without overflow."""
    inst = sc.instance
    d, k, m, n = inst.shape.inputs, inst.shape.hidden, inst.shape.outputs, inst.n
    w = max(abs(s) for s in sc.weights)
    z = w * (sum(max(abs(v) for v in x) for x in zip(*sc.points)) + sc.d_x)
    residual = k * sc.d_y * w * z + sc.bias_factor * w + max(abs(y) for row in sc.labels for y in row)
    loss = n * m * max(residual, residual * residual if inst.loss == "squared" else 0)
    key = (sc.weights[-1] - sc.weights[0] + 1) ** (d + 1 + m)
    return max(loss, key, sc.budget).bit_length() + 2


def formula(sc: Scaled, bits: int | None = None,
            ctx: z3.Context | None = None) -> tuple[list[z3.BoolRef], dict[str, z3.ArithRef]]:
    """The constraints of the module docstring and the weight variables by name, in `ctx` (Z3's main
    context by default).

    Over the integers, or with `bits` over bit-vectors of that width (see bit_width).
    """
    inst = sc.instance
    d, k, m, n = inst.shape.inputs, inst.shape.hidden, inst.shape.outputs, inst.n
    names = ([f"w_{j}_{t}" for j in range(k) for t in range(d)] + [f"b_{j}" for j in range(k)]
             + [f"a_{o}_{j}" for o in range(m) for j in range(k)] + [f"c_{o}" for o in range(m)])
    v = {name: z3.Int(name, ctx) if bits is None else z3.BitVec(name, bits, ctx) for name in names}
    parts = [z3.Or([v[name] == s for s in sc.weights]) for name in names]
    hidden = []
    for j in range(k):
        row = []
        for i in range(n):
            z = z3.Sum([v[f"w_{j}_{t}"] * x for t, x in enumerate(sc.points[i])] + [sc.d_x * v[f"b_{j}"]])
            row.append(z3.If(z > 0, z, 0))
        hidden.append(row)
    residuals = []
    for o in range(m):
        for i in range(n):
            terms = [z3.If(v[f"a_{o}_{j}"] == s, sc.d_y * s * hidden[j][i], 0)
                     for j in range(k) for s in sc.weights if s]
            out = z3.Sum(terms + [sc.bias_factor * v[f"c_{o}"]])
            residuals.append(out - sc.labels[i][o])
    budget = sc.budget
    if budget == 0:
        parts += [r == 0 for r in residuals]
    elif inst.loss == "absolute":
        parts.append(z3.Sum([z3.If(r >= 0, r, -r) for r in residuals]) <= budget)
    else:
        bound = math.isqrt(budget)
        parts += [z3.And(r <= bound, r >= -bound) for r in residuals]
        if bits is not None or bound > TANGENT_LIMIT:  # bit-vectors multiply natively
            parts.append(z3.Sum([r * r for r in residuals]) <= budget)
        else:  # r² = max_t (2t·|r| − t²) over integers t ∈ [0, bound] when r is an integer
            squares = []
            for at, r in enumerate(residuals):
                square = z3.Int(f"sq_{at}", ctx)
                size = z3.If(r >= 0, r, -r)
                parts += [square >= 2 * t * size - t * t for t in range(bound + 1)]
                squares.append(square)
            parts.append(z3.Sum(squares) <= budget)
    low, base = sc.weights[0], sc.weights[-1] - sc.weights[0] + 1

    def key(j: int) -> z3.ArithRef:
        values = [v[f"w_{j}_{t}"] for t in range(d)] + [v[f"b_{j}"]] + [v[f"a_{o}_{j}"] for o in range(m)]
        return z3.Sum([(value - low) * base ** p for p, value in enumerate(values)])
    parts += [key(j) <= key(j + 1) for j in range(k - 1)]
    return parts, v


def solve(sc: Scaled, deadline: Deadline, bitvectors: bool = False) -> Outcome:
    """Decide the formula with Z3, in a fresh context (its answer and time do not depend on the Z3 work
    before it: z3_backend); sat with the model's network, unsat as Z3's refutation."""
    bits = bit_width(sc) if bitvectors else None
    ctx = z3.Context()
    parts, v = formula(sc, bits, ctx)
    nonlinear = sc.instance.loss == "squared" and math.isqrt(sc.budget) > TANGENT_LIMIT
    logic = "QF_BV" if bits else "QF_NIA" if nonlinear else "QF_LIA"
    solver = z3.SolverFor(logic, ctx=ctx)
    remaining = deadline.left()
    if remaining is not None:
        solver.set("timeout", max(1, int(remaining * 1000)))
    solver.add(parts)
    result = solver.check()
    if result == z3.unsat:
        return Outcome("unsat", reason=f"SMT refutation: z3 {logic} proved the integer encoding "
                       f"(every weight from the {len(sc.weights)}-element set) unsatisfiable")
    if result != z3.sat:
        return Outcome("unknown", reason=f"SMT: z3 {logic}: {solver.reason_unknown()}")
    model = solver.model()

    def val(name: str) -> Fraction:
        value = model.eval(v[name], model_completion=True)
        return sc.weight(value.as_signed_long() if bits else value.as_long())

    inst = sc.instance
    d, k, m = inst.shape.inputs, inst.shape.hidden, inst.shape.outputs
    network = Network.build([[val(f"w_{j}_{t}") for t in range(d)] for j in range(k)],
                            [val(f"b_{j}") for j in range(k)],
                            [[val(f"a_{o}_{j}") for j in range(k)] for o in range(m)],
                            [val(f"c_{o}") for o in range(m)])
    return Outcome("sat", network, reason=f"SMT: z3 {logic} model")
