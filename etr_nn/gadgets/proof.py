"""Checkable proofs of claims the pattern search proved: format "etr-nn/claim-proof/2".

`etr-nn gadget check INSTANCE --claim CLAIM --certificate CERT` writes one (one claim per
file: with several --claim options --certificate is refused, exit 2) when the claim is
PROVED by the activation-pattern search (etr_nn.gadgets.patterns); `etr-nn verify INSTANCE
CERT` re-checks it here, with code that shares nothing with the search but the
definitions (the reduction, the points, the enumeration rule, the rows of a pattern, the
kink-covering and rank-one tests).

The file (JSON)::

    {"format": "etr-nn/claim-proof/2",
     "claim": "f1(5) = 3",                       # the claim text, parsed again by the verifier
     "instance": {"name": "ex", "sha256": "…"},  # fingerprint of the instance's content (not its name)
     "reduction": {"outputs": [0, 1], "p0": ["0"], "G": [["1"]],
                   "points": [["0"], ..., ["5"]], "data_points": 6},  # information only: re-derived
     "order": [2, 0, 1, ...],                    # the order the points are decided in
     "rule": "...",                              # the enumeration rule, in words
     "tasks": [{"signs": [[-1, -1], [-1, 1]], "tree": ".kk.f.rr..n"}, ...],
     "vectors": ["0:1 7:-1/2", ...],             # distinct sparse multiplier vectors "row:value ..."
     "farkas": [[0, 0], [0, 3, 5], ...],         # [output, vector index per case of ¬claim]
     "counts": {...}}                            # for information only

The points are those of the reduced instance (etr_nn.gadgets.patterns.Reduction: the
outputs kept, coordinates on the affine hull of data and probes): its data, then the claim's
probe points that are not data points (etr_nn.patterns.Points). "order" is a
permutation of them. "tasks" are the sign choices σ_1 ≤ … ≤ σ_k (etr_nn.patterns.
sign_choices), all of them, in that order. Each task's "tree" lists the search tree of that
task in pre-order, one character per node: the root (no point decided) is split, its
children are the bit vectors of etr_nn.patterns.children (a Trie of hyperplane
dichotomies of ALL points, data and probes, in the order; neuron symmetry broken), in the
order `children` yields them, and each node is
- "." split: its children follow;
- "k" refuted by kink covering (etr_nn.search.kinks.Covering.feasible, re-run);
- "f" refuted by the next entry of "farkas" (in the order the "f"s occur, over all tasks);
- "r" refuted by the exact rank-one test (etr_nn.search.rankone.RankOne.refutes, re-run);
- "n" a full pattern whose system (every output's rows, every 2×2 minor of each neuron's
  (u_jo_t)_{o,t} zero, and ¬claim) Z3 refutes: the verifier re-decides it (unsat required,
  LEAF_SECONDS each). Not allowed where the LP alone decides: one output and a linear
  claim (there the search refutes full patterns by the simplex with ¬claim: "f").
A Farkas entry: the output o, then one sparse vector per case (an index into "vectors", where
each distinct vector is written once, as space-separated "row index:multiplier" pairs),
the rows being etr_nn.patterns.pattern_rows of output o (u and c unknowns as in
etr_nn.patterns.Layout), followed, when the claim is linear over output o alone and
every claim point is decided, by one row for ¬claim: with ℓ = lhs − rhs (linear in the
unknowns once the claim points' bits are fixed), ¬claim is ℓ ⋈ 0 with ⋈ the negated
relation; ℓ ≥ 0 and ℓ ≤ 0 are ≥ rows, ℓ = 0 an = row, ℓ > 0 and ℓ < 0 strict rows (Motzkin
form, etr_nn.lp.check_farkas), and ℓ ≠ 0 is two cases, ℓ > 0 and ℓ < 0, each with
its own vector. Without a ¬claim row there is one vector (plain Farkas).

The verifier re-derives the reduction from the instance and the claim text (and checks it:
every dropped output unmentioned and constant; every point in the affine hull the
coordinates describe), the points, the validity of the order, the list of sign choices;
walks every task's tree along the enumeration rule, requiring each branch to end in a
refuted pattern; checks every Farkas/Motzkin vector in exact rational arithmetic; re-runs
the kink-covering and rank-one tests; re-decides every full pattern with Z3. Any mismatch
(a changed multiplier, a removed or extra node or entry, another order, another claim,
another instance) makes the proof invalid; a file that cannot be read as this format is
bad input.

Cost (one process, on a 2-core machine shared with other work): recording is free but for
the Farkas entries, found by etr_nn.lp.Multipliers (a recent vector whose support rows recur,
else a floating-point vertex solved exactly on its support, else Z3's exact LP; about 0.8 ms
apiece against 3–4 ms for Z3 alone). Library gadgets, check with proof / verify: variable and
link (X·Y = 1) a few seconds at most; copy 9 s (1,607 Farkas entries); addition (6 ReLUs,
168,934 Farkas entries with two cases each, 65,000 distinct vectors; 504,162 kink-covering
nodes) 660 s CPU, 1.0 GB, a 23 MB proof / verify 179 s CPU, 0.3 GB — its round trip is a
slow test.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

import flint

from etr_nn import backends
from etr_nn.errors import InputError
from etr_nn.exact import read_rational, to_fmpq
from etr_nn.files import json_integer, write_atomically
from etr_nn.gadgets.claims import Claim, check_against, parse_claim
from etr_nn.gadgets.patterns import Reduction, Setting
from etr_nn.instance import Instance
from etr_nn.search.kinks import Covering
from etr_nn.search.certificate import LEAF_SECONDS
from etr_nn.lp import Multipliers, check_farkas
from etr_nn.patterns import Prefixes, Row, Sign, Trie, children, sign_choices
from etr_nn.search.rankone import RankOne

FORMAT = "etr-nn/claim-proof/2"
RULE = ("points: the reduced data, then the probes not among them, decided in 'order'; tasks: sign vectors "
        "sigma_1 <= ... <= sigma_k over {-1,1}^m; each neuron's bits a prefix of a hyperplane dichotomy of all "
        "points; (sigma_j, bits_j) non-decreasing in j (lexicographic); trees in pre-order, the root split")
TOKENS = ".kfrn"
MAX_PROBLEMS = 20



# --- what the search and the verifier both derive from instance and claim ------------------------

def fingerprint(instance: Instance) -> str:
    """SHA-256 of the instance's content (shape, data, loss, error bound, weight set; not its name)."""
    s = instance.shape
    doc = {"shape": [s.inputs, s.hidden, s.outputs], "points": [[str(v) for v in x] for x in instance.points],
           "labels": [[str(v) for v in y] for y in instance.labels], "loss": instance.loss,
           "max_error": str(instance.max_error),
           "weights": None if instance.weights is None else [str(v) for v in instance.weights]}
    return hashlib.sha256(json.dumps(doc, sort_keys=True).encode()).hexdigest()


def eligible(instance: Instance, claim: Claim) -> str | None:
    """None if the claim is one the pattern search proves (and so can have a proof), else why not."""
    if claim.mentions_weights:
        return "the claim mentions weights (only claims over outputs are proved by the pattern search)"
    if not claim.probes():
        return "the claim mentions no output (a relation between constants needs no proof)"
    if instance.max_error != 0:
        return "max_error > 0 (the pattern search proves claims about zero-error fits)"
    if instance.weights is not None:
        return "a finite weight set (the pattern search proves claims about real weights)"
    return None


def systems(setting: Setting, order: tuple[int, ...], signs: tuple[Sign, ...], prefixes: Prefixes,
            o: int) -> list[list[Row]]:
    """The row systems a Farkas entry for output o must refute: one, or one per case of ¬claim
    (Setting.negated_rows) once every claim point is decided."""
    rows = []
    for t in range(len(prefixes[0])):
        rows += setting.point_rows(signs, order[t], tuple(b[t] for b in prefixes), o)
    if o == setting.linear_output and len(prefixes[0]) > setting.cut(order):
        return [rows + [row] for row in setting.negated_rows(order, prefixes)]
    return [rows]


# --- recording during the search -----------------------------------------------------------

@dataclass
class Recorder:
    """Collects the proof while etr_nn.gadgets.patterns.ClaimSearch runs (only when asked for:
    every "f" costs an exact LP for its multipliers)."""

    setting: Setting
    order: tuple[int, ...]
    tasks: list[dict[str, Any]] = field(default_factory=list)
    farkas: list[list[int]] = field(default_factory=list)
    vectors: dict[str, int] = field(default_factory=dict)  # a vector's text → its index
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(("farkas", "kinks", "rank_one", "nonlinear"), 0))
    problems: list[str] = field(default_factory=list)
    multipliers: Multipliers = field(default_factory=Multipliers)

    def begin(self, signs: tuple[Sign, ...]) -> None:
        self.signs = signs
        self.tasks.append({"signs": [list(s) for s in signs], "tree": []})

    def note(self, status: str, o: int, prefixes: Prefixes) -> None:
        """The decision at a node of the search (etr_nn.search.engine.Hooks.observe)."""
        tree: list[str] = self.tasks[-1]["tree"]
        if status == "sat":
            full = len(prefixes[0]) == len(self.order)
            tree.append("n" if full else ".")
            self.counts["nonlinear"] += full
        elif status == "kink":
            tree.append("k")
            self.counts["kinks"] += 1
        elif status == "rank":
            tree.append("r")
            self.counts["rank_one"] += 1
        elif status == "unsat":
            tree.append("f")
            self.counts["farkas"] += 1
            entry = [o]
            for rows in systems(self.setting, self.order, self.signs, prefixes, o):
                y = self.multipliers(rows)
                if y is None:  # cannot happen for an infeasible system (Motzkin's theorem)
                    self.problems.append(f"no Farkas multipliers for signs {self.signs}, bits {prefixes}")
                    y = []
                text = " ".join(f"{r}:{v}" for r, v in enumerate(y) if v)
                entry.append(self.vectors.setdefault(text, len(self.vectors)))
            self.farkas.append(entry)
        else:
            tree.append("?")
            self.problems.append(f"undecided pattern: signs {self.signs}, bits {prefixes}")

    def document(self, instance: Instance, claim: Claim) -> dict[str, Any]:
        r = self.setting.reduction
        return {"format": FORMAT, "claim": claim.text,
                "instance": {"name": instance.name, "sha256": fingerprint(instance)},
                "reduction": {"outputs": list(r.outputs), "p0": [str(v) for v in r.p0],
                              "G": [[str(v) for v in row] for row in r.G],
                              "points": [[str(v) for v in x] for x in self.setting.points.coords],
                              "data_points": self.setting.data.n},
                "order": list(self.order), "rule": RULE,
                "tasks": [{"signs": t["signs"], "tree": "".join(t["tree"])} for t in self.tasks],
                "vectors": list(self.vectors), "farkas": self.farkas, "counts": dict(self.counts)}


def write(doc: dict[str, Any], path: str | Path) -> None:
    """Write the proof, whole or not at all (etr_nn.files.write_atomically)."""
    write_atomically(path, json.dumps(doc, separators=(",", ":")) + "\n")


# --- the verifier ----------------------------------------------------------------------------

@dataclass
class Verdict:
    claim: str
    problems: list[str]
    counts: dict[str, int]

    @property
    def valid(self) -> bool:
        return not self.problems


@dataclass
class _Doc:
    claim: Claim
    sha256: str
    order: tuple[int, ...]
    tasks: list[tuple[tuple[Sign, ...], str]]
    farkas: list[tuple[int, list[dict[int, Fraction]]]]


def _read(doc: Any, path: str) -> _Doc:
    """The proof read from `path` (parsed JSON `doc`), checked for shape; InputError (one line)
    when it is not one."""
    def fail(why: str) -> InputError:
        return InputError(f"{path}: not a readable {FORMAT} proof ({why})")

    try:
        if not isinstance(doc, dict) or doc.get("format") != FORMAT:
            raise fail(f'"format" is not "{FORMAT}"')
        text, sha = doc["claim"], doc["instance"]["sha256"]
        if not isinstance(text, str) or not isinstance(sha, str):
            raise fail('"claim" and "instance.sha256" must be strings')
        try:
            claim = parse_claim(text)
        except InputError as error:
            raise fail(str(error).splitlines()[0]) from None
        order = tuple(json_integer(p) for p in _list(doc["order"]))
        tasks = []
        for task in _list(doc["tasks"]):
            signs = tuple(tuple(json_integer(v) for v in _list(s)) for s in _list(task["signs"]))
            tree = task["tree"]
            if not isinstance(tree, str) or any(c not in TOKENS for c in tree):
                raise fail(f'a task\'s "tree" must be a string over "{TOKENS}"')
            tasks.append((signs, tree))
        vectors = [_vector(text) for text in _list(doc["vectors"])]
        farkas = []
        for entry in _list(doc["farkas"]):
            if not entry:
                raise fail("an empty Farkas entry")
            farkas.append((json_integer(entry[0]), [vectors[json_integer(i)] for i in entry[1:]]))
    except (KeyError, IndexError, TypeError, ValueError, ZeroDivisionError, AttributeError) as error:
        raise fail(f"{type(error).__name__}: {error}") from None
    return _Doc(claim, sha, order, tasks, farkas)


def _vector(text: Any) -> dict[int, Fraction]:
    """A sparse vector written as "row:value row:value ..." (rows distinct)."""
    if not isinstance(text, str):
        raise TypeError("a multiplier vector must be a string")
    vector: dict[int, Fraction] = {}
    for pair in text.split():
        row, _, value = pair.partition(":")
        r = json_integer(row)
        if r in vector:
            raise ValueError(f"row {r} twice in a multiplier vector")
        vector[r] = read_rational(value)
    return vector


def _list(value: Any) -> list[Any]:
    if not isinstance(value, list):
        raise TypeError(f"expected a list, found {type(value).__name__}")
    return value


def _dict(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise TypeError(f"expected an object, found {type(value).__name__}")
    return value


def verify(instance: Instance, document: Any, path: str, leaf_seconds: float = LEAF_SECONDS) -> Verdict:
    """Re-check a claim proof against the instance (module docstring); InputError if unreadable."""
    doc = _read(document, path)
    claim = doc.claim
    counts = dict.fromkeys(("farkas", "kinks", "rank_one", "nonlinear"), 0)
    verdict = Verdict(claim.text, [], counts)
    problems = verdict.problems
    if doc.sha256 != fingerprint(instance):
        problems.append("the proof is for another instance (its content fingerprint differs)")
        return verdict
    why = eligible(instance, claim)
    if why is None:
        s = instance.shape
        try:
            check_against(claim, s.inputs, s.hidden, s.outputs)
        except InputError as error:
            why = str(error)
    if why is not None:
        problems.append(f"not a claim the pattern search proves: {why}")
        return verdict
    setting = Setting.of(instance, claim)
    problems += _reduction_problems(instance, claim, setting.reduction)
    n = len(setting.points.coords)
    if sorted(doc.order) != list(range(n)):
        problems.append(f"the order is not a permutation of the {n} points (data, then probes not among them)")
    choices = sign_choices(setting.layout.k, setting.layout.m)
    if [signs for signs, _ in doc.tasks] != choices:
        problems.append(f"the tasks are not the {len(choices)} sign choices sigma_1 <= ... <= sigma_k, in order")
    if problems:
        return verdict
    walk = _Walk(setting, doc, counts, problems)
    for signs, tree in doc.tasks:
        walk.task(signs, tree)
        if len(problems) >= MAX_PROBLEMS:
            return verdict
    if walk.next_farkas != len(doc.farkas):
        problems.append(f"{len(doc.farkas) - walk.next_farkas} Farkas entr(y/ies) not used by any tree")
    if problems:
        return verdict
    for signs, prefixes in walk.leaves:
        status = decide_leaf(setting, doc.order, signs, prefixes, leaf_seconds)
        if status != "unsat":
            problems.append(f"full pattern {_label(signs, prefixes)}: Z3 says {status}, not unsat")
            if len(problems) >= MAX_PROBLEMS:
                break
    return verdict


def _label(signs: tuple[Sign, ...], prefixes: Prefixes) -> str:
    return f"signs {[list(s) for s in signs]}, bits {[''.join(map(str, b)) for b in prefixes]}"


class _Walk:
    """The enumeration rule, node by node, against the trees of the proof."""

    def __init__(self, setting: Setting, doc: _Doc, counts: dict[str, int], problems: list[str]):
        self.setting, self.doc, self.counts, self.problems = setting, doc, counts, problems
        coords, order = setting.points.coords, doc.order
        self.trie = Trie(coords, order)
        self.covering = Covering(coords, setting.data.labels, order)
        self.rank = RankOne(setting.points, order)
        self.next_farkas = 0
        self.leaves: list[tuple[tuple[Sign, ...], Prefixes]] = []
        self.linear_leaf = setting.layout.m == 1 and setting.linear_output is not None

    def task(self, signs: tuple[Sign, ...], tree: str) -> None:
        n, pos = len(self.doc.order), 0
        root: Prefixes = tuple(() for _ in signs)
        stack = self._children(signs, root)
        while stack:
            prefixes = stack.pop()
            if pos == len(tree):
                self.problems.append(f"task {[list(s) for s in signs]}: the tree ends before every branch is refuted")
                return
            token, pos = tree[pos], pos + 1
            full = len(prefixes[0]) == n
            problem = None
            if token == ".":
                if full:
                    problem = "a full pattern cannot be split"
                else:
                    stack += self._children(signs, prefixes)
            elif token == "k":
                self.counts["kinks"] += 1
                if self.covering.feasible(signs, prefixes) is None:
                    problem = "kink covering does not refute it"
            elif token == "r":
                self.counts["rank_one"] += 1
                if not self.rank.refutes(signs, prefixes):
                    problem = "the rank-one test does not refute it"
            elif token == "f":
                self.counts["farkas"] += 1
                problem = self._farkas(signs, prefixes)
            elif token == "n":
                self.counts["nonlinear"] += 1
                if not full:
                    problem = "a partial pattern cannot be re-decided as a full one"
                elif self.linear_leaf:
                    problem = "one output and a linear claim: the exact simplex decides it, a Farkas entry is required"
                else:
                    self.leaves.append((signs, prefixes))
            if problem:
                self.problems.append(f"pattern {_label(signs, prefixes)}: {problem}")
                if len(self.problems) >= MAX_PROBLEMS:
                    return
        if pos != len(tree):
            self.problems.append(f"task {[list(s) for s in signs]}: {len(tree) - pos} node(s) beyond the search tree")

    def _children(self, signs: tuple[Sign, ...], prefixes: Prefixes) -> list[Prefixes]:
        """The children in reverse (a stack pops them in the order `children` yields them)."""
        kids = [tuple(p + (b,) for p, b in zip(prefixes, bits)) for bits in children(signs, prefixes, self.trie)]
        return kids[::-1]

    def _farkas(self, signs: tuple[Sign, ...], prefixes: Prefixes) -> str | None:
        if self.next_farkas == len(self.doc.farkas):
            return "no Farkas entry left for it"
        o, vectors = self.doc.farkas[self.next_farkas]
        self.next_farkas += 1
        if not 0 <= o < self.setting.layout.m:
            return f"Farkas entry for output {o}: the reduced instance has {self.setting.layout.m}"
        cases = systems(self.setting, self.doc.order, signs, prefixes, o)
        if len(vectors) != len(cases):
            return f"{len(vectors)} multiplier vector(s) for {len(cases)} case(s) of ¬claim"
        for case, (rows, y) in enumerate(zip(cases, vectors)):
            if any(not 0 <= r < len(rows) for r in y):
                return f"a multiplier for a row that does not exist (there are {len(rows)})"
            problem = check_farkas(rows, [y.get(r, Fraction(0)) for r in range(len(rows))])
            if problem:
                return f"Farkas entry {self.next_farkas - 1}" + (f", case {case + 1}" if len(cases) > 1 else "") \
                    + f": {problem}"
        return None


def _reduction_problems(instance: Instance, claim: Claim, r: Reduction) -> list[str]:
    """The reduction keeps the fits: dropped outputs are unmentioned with constant labels, and
    every point x (data and probes) has x − p0 in the row space of G (then E = Gᵀ(GGᵀ)⁻¹ gives
    G·E = I and E·G·(x − p0) = x − p0, so fits restrict to the coordinates and extend back)."""
    problems = []
    mentioned = {s[1] for s in claim.symbols() if s[0] == "f"}
    m = instance.shape.outputs
    if list(r.outputs) != sorted(set(r.outputs)) or not all(0 <= o < m for o in r.outputs) or not r.outputs:
        problems.append("the reduction's outputs are not a set of outputs")
    for o in range(m):
        if o not in r.outputs and (o in mentioned or len({y[o] for y in instance.labels}) > 1):
            problems.append(f"the reduction drops output {o + 1}, which the claim mentions or whose labels vary")
    G = flint.fmpq_mat([[to_fmpq(v) for v in row] for row in r.G])
    gram = G * G.transpose()
    if gram.rank() != G.nrows():
        return problems + ["the reduction's coordinates are not independent"]
    projector = G.transpose() * gram.inv() * G
    for x in list(instance.points) + claim.probes():
        diff = flint.fmpq_mat([[to_fmpq(a - b)] for a, b in zip(x, r.p0)])
        if projector * diff != diff:
            problems.append(f"the point {tuple(str(v) for v in x)} is not on the affine hull of the reduction")
    return problems


def decide_leaf(setting: Setting, order: tuple[int, ...], signs: tuple[Sign, ...], prefixes: Prefixes,
                seconds: float = LEAF_SECONDS) -> str:
    """Z3 on a full pattern's system with ¬claim (Setting.negated_system: every output's rows,
    rank one, ¬claim with the probe values linear in the unknowns): "unsat", "sat" or "unknown"."""
    return backends.get("z3").check(setting.negated_system(order, signs, prefixes), seconds).status


def run_verify(instance: Instance, instance_path: str, document: Any, proof_path: str) -> int:
    """`etr-nn verify INSTANCE CERT` for a claim proof: print the verdict, 0 valid, 1 not."""
    start = time.monotonic()
    verdict = verify(instance, document, proof_path)
    c = verdict.counts
    if not verdict.valid:
        print(f"{proof_path}: NOT a valid proof of '{verdict.claim}' for {instance_path}: "
              + "; ".join(verdict.problems[:5]) + (f" (and {len(verdict.problems) - 5} more)"
                                                   if len(verdict.problems) > 5 else ""))
        return 1
    total = sum(c.values())
    print(f"{proof_path}: valid proof of '{verdict.claim}' for {instance_path}: {total} patterns, "
          f"{c['farkas']} Farkas, {c['kinks']} kink covering, {c['rank_one']} rank-one, "
          f"{c['nonlinear']} full patterns re-decided by z3 ({time.monotonic() - start:.2f} s)")
    return 0
