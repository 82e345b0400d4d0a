"""Claim proofs (etr_nn.gadgets.proof): `gadget check --certificate` writes them, `verify` re-checks
them independently of the search, and every kind of tampering is rejected."""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path
from typing import Any, Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from etr_nn import instance as instances
from etr_nn.cli import main
from etr_nn.gadgets import patterns, proof
from etr_nn.gadgets.claims import parse_claim
from etr_nn.gadgets.library import GADGETS
from etr_nn.lp import check_farkas, farkas, feasible_point, to_z3
from etr_nn.patterns import Row

import z3

# 1 input, 2 ReLUs, 2 outputs: f1 rises 0 → 3 on [1, 4] and stays 3, f2 rises from x = 1 on
TWO = {"inputs": 1, "hidden": 2, "outputs": 2}
TWO_DATA = [(0, (0, 0)), (1, (0, 0)), (3, (2, 1)), (4, (3, 2)), (6, (3, 4)), (7, (3, 5))]
# 1 input, 2 ReLUs, 1 output: 0, 0, 1, 2, 2, 2
ONE = {"inputs": 1, "hidden": 2, "outputs": 1}
ONE_DATA = [(0, (0,)), (1, (0,)), (2, (1,)), (3, (2,)), (4, (2,)), (5, (2,))]


def _instance(tmp_path: Path, network: dict[str, int], data: list[tuple[int, tuple[int, ...]]],
              name: str = "inst") -> Path:
    path = tmp_path / f"{name}.json"
    path.write_text(json.dumps({"format": "etr-nn/instance/1", "name": name, "network": network,
                                "data": [{"x": [x], "y": list(y)} for x, y in data]}))
    return path


def _prove(tmp_path: Path, inst: Path, claim: str, capsys: pytest.CaptureFixture[str]) -> Path:
    cert = tmp_path / "proof.json"
    assert main(["gadget", "check", str(inst), "--claim", claim, "--certificate", str(cert)]) == 0
    out = capsys.readouterr().out
    assert "PROVED" in out and f"proof written to {cert}" in out
    return cert


def _verify(inst: Path, cert: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(["verify", str(inst), str(cert)])
    captured = capsys.readouterr()
    return code, captured.out + captured.err


# --- the Motzkin form (strict rows) ---------------------------------------------------------------

X = 0  # one unknown z0


def test_farkas_needs_a_positive_multiplier_on_a_strict_row() -> None:
    # x ≥ 0 ∧ −x > 0 is infeasible only because the second row is strict
    strict = [Row(((X, Fraction(1)),), ">=", Fraction(0)), Row(((X, Fraction(-1)),), ">", Fraction(0))]
    y = farkas(strict)
    assert y is not None and check_farkas(strict, y) is None and y[1] > 0
    assert check_farkas(strict, [Fraction(1), Fraction(0)]) is not None  # combination not zero
    closed = [strict[0], Row(((X, Fraction(-1)),), ">=", Fraction(0))]  # x = 0 solves it
    assert farkas(closed) is None
    assert "no strict row" in (check_farkas(closed, [Fraction(1), Fraction(1)]) or "")
    # Σ y·b < 0 is never a proof; a negative multiplier on an inequality neither
    assert check_farkas([Row(((X, Fraction(1)),), ">", Fraction(1))], [Fraction(0)]) is not None
    assert "negative multiplier" in (check_farkas(strict, [Fraction(-1), Fraction(-1)]) or "")
    # rows without unknowns: 0 > 0, 0 ≥ 1, 0 = 1 are refuted on their own; 0 = 0, 0 > −1 are not
    for rel, rhs, refuted in [(">", 0, True), (">=", 1, True), ("=", 1, True), ("=", 0, False), (">", -1, False)]:
        row = [Row((), rel, Fraction(rhs))]  # type: ignore[arg-type]
        y = farkas(row)
        assert (y is not None) == refuted and (y is None or check_farkas(row, y) is None)
    # plain Farkas still works: x ≥ 1 ∧ −x ≥ 0
    plain = [Row(((X, Fraction(1)),), ">=", Fraction(1)), Row(((X, Fraction(-1)),), ">=", Fraction(0))]
    y = farkas(plain)
    assert y is not None and check_farkas(plain, y) is None


@given(st.lists(st.tuples(st.integers(-2, 2), st.integers(-2, 2), st.integers(-2, 2), st.sampled_from(["=", ">=", ">"])),
                min_size=1, max_size=5))
def test_farkas_decides_exactly_what_the_simplex_decides(rows_: list[tuple[int, int, int, str]]) -> None:
    rows = [Row(tuple((v, Fraction(a)) for v, a in ((0, a0), (1, a1)) if a), rel, Fraction(b))  # type: ignore[arg-type]
            for a0, a1, b, rel in rows_]
    solver = z3.SolverFor("QF_LRA")
    zs = [z3.Real("z0"), z3.Real("z1")]
    solver.add(*[to_z3(r, zs) for r in rows])
    feasible = solver.check() == z3.sat
    y = farkas(rows)
    assert (y is None) == feasible
    if y is not None:
        assert check_farkas(rows, y) is None
    if not any(r.rel == ">" for r in rows):
        assert (feasible_point(rows, 2) is not None) == feasible


# --- round trips ----------------------------------------------------------------------------------

def test_round_trip_two_outputs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    inst = _instance(tmp_path, TWO, TWO_DATA)
    cert = _prove(tmp_path, inst, "f1(5) = 3", capsys)
    doc = json.loads(cert.read_text())
    assert doc["format"] == "etr-nn/claim-proof/2" and doc["claim"] == "f1(5) = 3"
    assert any(len(entry) == 3 for entry in doc["farkas"])  # [output, case ℓ > 0, case ℓ < 0] for ℓ ≠ 0
    assert len(doc["vectors"]) < sum(len(entry) - 1 for entry in doc["farkas"])  # each distinct vector once
    code, out = _verify(inst, cert, capsys)
    assert code == 0, out
    c = doc["counts"]
    assert (f"valid proof of 'f1(5) = 3' for {inst}: {sum(c.values())} patterns, {c['farkas']} Farkas, "
            f"{c['kinks']} kink covering, {c['rank_one']} rank-one, {c['nonlinear']} full patterns re-decided by z3") in out
    assert c["kinks"] and c["farkas"] and c["rank_one"]


def test_a_refuted_claim_writes_no_certificate(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    inst = _instance(tmp_path, TWO, TWO_DATA)
    cert = tmp_path / "proof.json"
    assert main(["gadget", "check", str(inst), "--claim", "f1(5) = 100", "--certificate", str(cert)]) == 1
    out = capsys.readouterr().out
    assert "REFUTED" in out and "no certificate written: the claim is refuted" in out
    assert not cert.exists()


@pytest.mark.parametrize("claim", ["f1(5) >= 3", "f1(5) <= 3", "f1(5) > 2", "f2(5) < 4", "f1(5) != 2",
                                   "f1(5) - f2(5) = 0", "f1(5)*f2(5) = 9"])
def test_round_trip_every_relation(claim: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """≥ and ≤ rows, strict rows (Motzkin), ≠ (two cases, each with its own vector), ¬claim outside the
    simplex (two outputs; a nonlinear claim): full patterns then re-decided by Z3."""
    inst = _instance(tmp_path, TWO, TWO_DATA)
    cert = _prove(tmp_path, inst, claim, capsys)
    code, out = _verify(inst, cert, capsys)
    assert code == 0 and "valid proof" in out, out
    if "*" in claim:
        assert json.loads(cert.read_text())["counts"]["nonlinear"] > 0


@pytest.mark.parametrize("claim", ["f1(7/2) = 2", "f1(6) >= 2", "f1(7/2)*f1(7/2) = 4"])
def test_round_trip_one_output(claim: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    inst = _instance(tmp_path, ONE, ONE_DATA)
    cert = _prove(tmp_path, inst, claim, capsys)
    code, out = _verify(inst, cert, capsys)
    assert code == 0, out
    assert (json.loads(cert.read_text())["counts"]["nonlinear"] > 0) == ("*" in claim)


def test_one_output_linear_claim_needs_farkas_at_full_patterns(tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    """With one output and a linear claim the LP decides a full pattern: "n" is not accepted there
    (nor at a partial pattern), whatever Z3 would say."""
    inst = _instance(tmp_path, ONE, ONE_DATA)
    cert = _prove(tmp_path, inst, "f1(7/2) = 2", capsys)
    doc = json.loads(cert.read_text())
    messages = set()
    f_index = 0
    for t, task in enumerate(doc["tasks"]):
        for i, token in enumerate(task["tree"]):
            if token != "f":
                continue
            forged = json.loads(json.dumps(doc))
            forged["tasks"][t]["tree"] = task["tree"][:i] + "n" + task["tree"][i + 1:]
            del forged["farkas"][f_index]
            f_index += 1
            cert.write_text(json.dumps(forged))
            code, out = _verify(inst, cert, capsys)
            assert code == 1 and "NOT a valid proof" in out
            messages.add("a Farkas entry is required" in out)
    assert messages == {True, False}  # both kinds of "f" node occur: full and partial patterns


# --- the library's gadget relations ------------------------------------------------------------------

def _gadget_round_trip(name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    g = GADGETS[name]()
    inst = tmp_path / f"{name}.json"
    g.instance().dump(inst)
    for claim in g.claims:
        cert = _prove(tmp_path, inst, claim, capsys)
        code, out = _verify(inst, cert, capsys)
        assert code == 0 and "valid proof" in out, out


@pytest.mark.parametrize("name", ["variable", "link"])
def test_gadget_relations_round_trip(name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """variable: Farkas and kink covering only (well under a second); link (X·Y = 1): its full
    patterns re-decided by Z3 (a few seconds)."""
    _gadget_round_trip(name, tmp_path, capsys)


@pytest.mark.slow
@pytest.mark.parametrize("name", ["copy", "addition"])
def test_plane_gadget_relations_round_trip(name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """copy: ~1,600 Farkas entries, about 15 s with the fit check and verify; addition: ~169,000
    of them, about 14 CPU minutes for check and verify (etr_nn.gadgets.proof)."""
    _gadget_round_trip(name, tmp_path, capsys)


# --- tampering --------------------------------------------------------------------------------------

def _first(doc: dict[str, Any], token: str) -> tuple[int, int]:
    return next((t, i) for t, task in enumerate(doc["tasks"]) for i, c in enumerate(task["tree"]) if c == token)


def _first_vector(doc: dict[str, Any]) -> dict[str, str]:
    """The first Farkas entry's first vector, as {row: value} (write back with _put_first_vector)."""
    return dict(pair.split(":") for pair in doc["vectors"][doc["farkas"][0][1]].split())


def _put_first_vector(doc: dict[str, Any], y: dict[str, str]) -> None:
    """The first entry's first case gets its own vector y (the others keep theirs)."""
    doc["vectors"].append(" ".join(f"{r}:{v}" for r, v in y.items()))
    doc["farkas"][0][1] = len(doc["vectors"]) - 1


def _bump_multiplier(doc: dict[str, Any]) -> None:
    y = _first_vector(doc)
    row = next(iter(y))
    y[row] = str(Fraction(y[row]) + Fraction(1, 3))
    _put_first_vector(doc, y)


def _extra_row(doc: dict[str, Any]) -> None:
    _put_first_vector(doc, _first_vector(doc) | {"9999": "1"})


def _drop_token(token: str) -> Callable[[dict[str, Any]], None]:
    def drop(doc: dict[str, Any]) -> None:
        t, i = _first(doc, token)
        doc["tasks"][t]["tree"] = doc["tasks"][t]["tree"][:i] + doc["tasks"][t]["tree"][i + 1:]
    return drop


def _swap_token(old: str, new: str) -> Callable[[dict[str, Any]], None]:
    def swap(doc: dict[str, Any]) -> None:
        t, i = _first(doc, old)
        doc["tasks"][t]["tree"] = doc["tasks"][t]["tree"][:i] + new + doc["tasks"][t]["tree"][i + 1:]
    return swap


def _set(key: str, value: Any) -> Callable[[dict[str, Any]], None]:
    return lambda doc: doc.__setitem__(key, value)


TAMPERINGS: dict[str, Callable[[dict[str, Any]], None]] = {
    "a multiplier changed": _bump_multiplier,
    "a multiplier on a row that does not exist": _extra_row,
    "a Farkas entry removed": lambda doc: doc["farkas"].pop(0),
    "a Farkas entry's second case removed": lambda doc: next(e for e in doc["farkas"] if len(e) == 3).pop(),
    "a Farkas entry for another output": lambda doc: doc["farkas"][0].__setitem__(0, 1 - doc["farkas"][0][0]),
    "a kink node removed": _drop_token("k"),
    "a Farkas node removed": _drop_token("f"),
    "a split node removed": _drop_token("."),
    "a kink node called rank-one": _swap_token("k", "r"),
    "a rank-one node called kink covering": _swap_token("r", "k"),
    "a split node called refuted": _swap_token(".", "k"),
    "a node added": lambda doc: doc["tasks"][0].__setitem__("tree", doc["tasks"][0]["tree"] + "k"),
    "a task removed": lambda doc: doc["tasks"].pop(),
    "the order reversed": lambda doc: doc.__setitem__("order", doc["order"][::-1]),
    "two points swapped in the order": lambda doc: doc.__setitem__(
        "order", [doc["order"][1], doc["order"][0]] + doc["order"][2:]),
    "the order not a permutation": lambda doc: doc.__setitem__("order", [doc["order"][0]] + doc["order"][:-1]),
    "the claim changed": _set("claim", "f1(5) = 4"),
    "the claim weakened": _set("claim", "f1(5) >= 3"),
    "the claim moved to another point": _set("claim", "f1(11/2) = 3"),
    "the instance fingerprint changed": lambda doc: doc["instance"].__setitem__("sha256", "0" * 64),
}


@pytest.mark.parametrize("what", sorted(TAMPERINGS))
def test_tampered_proofs_are_rejected(what: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    inst = _instance(tmp_path, TWO, TWO_DATA)
    cert = _prove(tmp_path, inst, "f1(5) = 3", capsys)
    doc = json.loads(cert.read_text())
    TAMPERINGS[what](doc)
    cert.write_text(json.dumps(doc))
    code, out = _verify(inst, cert, capsys)
    assert code == 1 and "NOT a valid proof" in out, (what, out)


def test_a_changed_instance_is_rejected(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """By its fingerprint, and by the checks themselves when the fingerprint is forged to match."""
    inst = _instance(tmp_path, TWO, TWO_DATA)
    cert = _prove(tmp_path, inst, "f1(5) = 3", capsys)
    changed = _instance(tmp_path, TWO, TWO_DATA[:4] + [(6, (4, 4)), (7, (4, 5))], name="changed")
    code, out = _verify(changed, cert, capsys)
    assert code == 1 and "another instance" in out
    doc = json.loads(cert.read_text())
    doc["instance"]["sha256"] = proof.fingerprint(instances.load(changed))
    cert.write_text(json.dumps(doc))
    code, out = _verify(changed, cert, capsys)
    assert code == 1 and "NOT a valid proof" in out and "another instance" not in out, out
    renamed = _instance(tmp_path, TWO, TWO_DATA, name="renamed")  # the name is not part of the content
    cert = _prove(tmp_path, inst, "f1(5) = 3", capsys)
    assert _verify(renamed, cert, capsys)[0] == 0


def test_full_patterns_are_re_decided(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """The verifier's own Z3 call decides every "n" node: a full pattern it finds satisfiable
    invalidates the proof; and on the pattern of an actual fit violating a claim it says sat."""
    inst = _instance(tmp_path, TWO, TWO_DATA)
    cert = _prove(tmp_path, inst, "f1(5)*f2(5) = 9", capsys)
    monkeypatch.setattr(proof, "decide_leaf", lambda *args, **kwargs: "sat")
    code, out = _verify(inst, cert, capsys)
    assert code == 1 and "Z3 says sat" in out
    monkeypatch.undo()
    instance = instances.load(inst)
    claim = parse_claim("f1(5) = 100")
    net = patterns.check(instance, claim).counterexample
    assert net is not None
    setting = patterns.Setting.of(instance, claim)
    coords = setting.points.coords
    signs = tuple(tuple(1 if net.A[o][j] >= 0 else -1 for o in range(2)) for j in range(2))
    prefixes = tuple(tuple(int(net.W[j][0] * x[0] + net.b[j] > 0) for x in coords) for j in range(2))
    order = tuple(range(len(coords)))
    assert proof.decide_leaf(setting, order, signs, prefixes) == "sat"


# --- bad input and usage ----------------------------------------------------------------------------

@pytest.mark.parametrize("text", ["{", '{"format": "etr-nn/claim-proof/2"}',
                                  '{"format": "etr-nn/claim-proof/2", "claim": "f1(5) = ", "instance": {"sha256": ""}, '
                                  '"order": [], "tasks": [], "farkas": []}'])
def test_unreadable_proofs_are_bad_input(text: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    inst = _instance(tmp_path, TWO, TWO_DATA)
    cert = tmp_path / "bad.json"
    cert.write_text(text)
    code, out = _verify(inst, cert, capsys)
    assert code == 2 and len(out.strip().splitlines()) == 1 and "Traceback" not in out


@pytest.mark.parametrize("change", [lambda d: d["tasks"][0].__setitem__("tree", "x"),
                                    lambda d: d["vectors"].__setitem__(0, "0:one"),
                                    lambda d: d["vectors"].__setitem__(0, "0:1 0:2"),
                                    lambda d: d["farkas"][0].__setitem__(1, len(d["vectors"])),
                                    lambda d: d["farkas"].__setitem__(0, []),
                                    lambda d: d.__setitem__("order", "0 1 2"),
                                    lambda d: d["tasks"][0].__setitem__("signs", [[1, "x"]])])
def test_malformed_fields_are_bad_input(change: Callable[[dict[str, Any]], None], tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    inst = _instance(tmp_path, TWO, TWO_DATA)
    cert = _prove(tmp_path, inst, "f1(5) = 3", capsys)
    doc = json.loads(cert.read_text())
    change(doc)
    cert.write_text(json.dumps(doc))
    code, out = _verify(inst, cert, capsys)
    assert code == 2 and "not a readable etr-nn/claim-proof/2 proof" in out and len(out.strip().splitlines()) == 1


@pytest.mark.parametrize("claims", [["f1(5) = 3", "f2(5) = 3"], ["W[0][0] = 1"], ["1 + 1 = 2"]])
def test_certificate_usage_errors(claims: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """One claim per certificate, and only claims the pattern search proves: exit 2, nothing written."""
    inst = _instance(tmp_path, TWO, TWO_DATA)
    cert = tmp_path / "proof.json"
    args = ["gadget", "check", str(inst), "--certificate", str(cert)]
    for c in claims:
        args += ["--claim", c]
    assert main(args) == 2
    assert "--certificate" in capsys.readouterr().err and not cert.exists()


def test_certificate_not_written_over_the_instance(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    inst = _instance(tmp_path, TWO, TWO_DATA)
    before = inst.read_text()
    assert main(["gadget", "check", str(inst), "--claim", "f1(5) = 3", "--certificate", str(inst)]) == 2
    assert "is the input file" in capsys.readouterr().err and inst.read_text() == before


def test_no_recording_without_certificate() -> None:
    """The search records nothing (and computes no multipliers) unless a proof is asked for."""
    instance = instances.loads(json.dumps({"format": "etr-nn/instance/1", "name": "two", "network": TWO,
                                           "data": [{"x": [x], "y": list(y)} for x, y in TWO_DATA]}))
    claim = parse_claim("f1(5) = 3")
    assert patterns.check(instance, claim).proof is None
    assert patterns.check(instance, claim, proof=True).proof is not None
