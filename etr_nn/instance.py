"""Training instances: a network shape, rational data, a loss and an error bound.

The JSON format ("etr-nn/instance/1") is a contract shared with other tools; see the
README. Every number is exact: JSON integers, JSON decimals taken as written (0.1 is
1/10), or strings "p/q" / "-1.25".
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any, Literal

from etr_nn.errors import InputError
from etr_nn.exact.rational import read_rational
from etr_nn.files import load_json, loads_json, write_atomically
from etr_nn.limits import MAX_WEIGHTS

FORMAT = "etr-nn/instance/1"
Loss = Literal["squared", "absolute"]
LOSSES: tuple[Loss, ...] = ("squared", "absolute")
FORMULA_FIELD = "etr_inv"  # the ETR-INV formula an instance written by `etr-nn reduce` carries
FIELDS = ("format", "name", "network", "data", "loss", "max_error", "weights", FORMULA_FIELD)
MAX_NAME = 200


@dataclass(frozen=True)
class Shape:
    """A two-layer ReLU network f(x) = A·relu(W·x + b) + c: d inputs, k hidden, m outputs."""

    inputs: int
    hidden: int
    outputs: int


@dataclass(frozen=True)
class Instance:
    """Data (x_i, y_i) to fit by a network of `shape` with loss at most `max_error`.

    `weights` is None for real weights, or the finite set every weight and bias is drawn
    from (the discrete variant). Built from Python, points and labels may be lists and every
    number an int, a Fraction or a string "p/q" / "-1.25": they are stored as tuples of
    Fractions (weights sorted, without repeats). A float is refused (InputError naming the
    field): 0.1 is not 1/10 in binary, so write Fraction(1, 10) or "0.1".
    """

    name: str
    shape: Shape
    points: tuple[tuple[Fraction, ...], ...]
    labels: tuple[tuple[Fraction, ...], ...]
    loss: Loss = "squared"
    max_error: Fraction = Fraction(0)
    weights: tuple[Fraction, ...] | None = None
    source: str = field(default="<instance>", compare=False)

    def __post_init__(self) -> None:
        where = self.source
        object.__setattr__(self, "points", _rows(self.points, f"{where}: points"))
        object.__setattr__(self, "labels", _rows(self.labels, f"{where}: labels"))
        object.__setattr__(self, "max_error", parse_rational(self.max_error, f"{where}: max_error"))
        if self.weights is not None:
            object.__setattr__(self, "weights", tuple(sorted(set(_row(self.weights, f"{where}: weights.finite")))))
        _check_instance(self)

    @property
    def n(self) -> int:
        return len(self.points)

    def with_hidden(self, hidden: int) -> Instance:
        """The same data and loss for a network with `hidden` ReLUs."""
        shape = Shape(self.shape.inputs, hidden, self.shape.outputs)
        return Instance(self.name, shape, self.points, self.labels, self.loss,
                        self.max_error, self.weights, self.source)

    def to_json(self) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "format": FORMAT,
            "name": self.name,
            "network": {"inputs": self.shape.inputs, "hidden": self.shape.hidden,
                        "outputs": self.shape.outputs},
            "data": [{"x": [rational_to_json(v) for v in x], "y": [rational_to_json(v) for v in y]}
                     for x, y in zip(self.points, self.labels)],
            "loss": self.loss,
            "max_error": rational_to_json(self.max_error),
        }
        doc["weights"] = "real" if self.weights is None else {
            "finite": [rational_to_json(v) for v in self.weights]}
        return doc

    def dump(self, path: str | Path) -> None:
        write_atomically(path, json.dumps(self.to_json(), indent=1) + "\n")


def rational_to_json(value: Fraction | int) -> int | str:
    """Integers as JSON integers, other rationals as "p/q" strings."""
    value = Fraction(value)
    return value.numerator if value.denominator == 1 else str(value)


def parse_rational(value: Any, where: str) -> Fraction:
    """An exact rational (etr_nn.exact.read_rational: an int, a Fraction, a string "p/q" or
    "-1.25"; a JSON decimal is already a Fraction); InputError naming `where` for anything else."""
    try:
        return read_rational(value)
    except ValueError as error:
        raise InputError(f"{where}: {error}") from None


def loads(text: str, source: str = "<instance>") -> Instance:
    """Parse and validate an instance; every problem raises InputError naming the field."""
    return from_json(loads_json(text, source), source)


def load(path: str | Path) -> Instance:
    """Read an instance file (bounded: etr_nn.limits); InputError naming the file and field."""
    return from_json(load_json(path, "instance file"), str(path))


def from_json(doc: Any, source: str = "<instance>") -> Instance:
    def where(field_name: str) -> str:
        return f"{source}: {field_name}"

    if not isinstance(doc, dict):
        raise InputError(f"{source}: an instance is a JSON object")
    _known(doc, FIELDS, source)
    if doc.get("format", FORMAT) != FORMAT:
        raise InputError(f"{where('format')}: expected {FORMAT!r}, got {doc['format']!r}")
    name = doc.get("name", Path(source).stem)
    if not isinstance(name, str) or not name.isprintable() or len(name) > MAX_NAME:
        raise InputError(f"{where('name')}: expected a printable string of at most {MAX_NAME} characters")
    network = _require(doc, "network", dict, source)
    _known(network, ("inputs", "hidden", "outputs"), where("network"))
    shape = Shape(*(_positive_int(network, key, source) for key in ("inputs", "hidden", "outputs")))
    if (shape.inputs + 1 + shape.outputs) * shape.hidden + shape.outputs > MAX_WEIGHTS:
        raise InputError(f"{where('network')}: more than {MAX_WEIGHTS} weights and biases")
    data = _require(doc, "data", list, source)
    if not data:
        raise InputError(f"{where('data')}: no data points")
    points, labels = [], []
    for i, row in enumerate(data):
        if not isinstance(row, dict):
            raise InputError(f"{where(f'data[{i}]')}: expected an object with \"x\" and \"y\"")
        _known(row, ("x", "y"), where(f"data[{i}]"))
        for key, length in (("x", shape.inputs), ("y", shape.outputs)):
            vector = row.get(key)
            if not isinstance(vector, list):
                raise InputError(f"{where(f'data[{i}].{key}')}: missing or not a list")
            if len(vector) != length:
                kind = "inputs" if key == "x" else "outputs"
                raise InputError(f"{where(f'data[{i}].{key}')}: has {len(vector)} entries, "
                                 f"the network has {length} {kind}")
        points.append(tuple(parse_rational(v, where(f"data[{i}].x[{t}]")) for t, v in enumerate(row["x"])))
        labels.append(tuple(parse_rational(v, where(f"data[{i}].y[{t}]")) for t, v in enumerate(row["y"])))
    loss = doc.get("loss", "squared")
    if loss not in LOSSES:
        raise InputError(f"{where('loss')}: expected \"squared\" or \"absolute\", got {loss!r}")
    max_error = parse_rational(doc.get("max_error", 0), where("max_error"))
    weights = _parse_weights(doc.get("weights", "real"), where("weights"))
    return Instance(name, shape, tuple(points), tuple(labels), loss, max_error, weights, source)


def _known(doc: dict[str, Any], fields: tuple[str, ...], where: str) -> None:
    """InputError for a field the format does not have (a typo such as "losss" is not ignored)."""
    unknown = [key for key in doc if key not in fields]
    if unknown:
        raise InputError(f"{where}: unknown field {json.dumps(unknown[0])[:80]} (the fields are {', '.join(fields)})")


def _require(doc: dict[str, Any], key: str, kind: type, source: str) -> Any:
    if key not in doc:
        raise InputError(f"{source}: missing field \"{key}\"")
    if not isinstance(doc[key], kind):
        raise InputError(f"{source}: {key}: expected a JSON {'object' if kind is dict else 'list'}")
    return doc[key]


def _positive_int(network: dict[str, Any], key: str, source: str) -> int:
    value = network.get(key)
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= MAX_WEIGHTS:
        raise InputError(f"{source}: network.{key}: expected a positive integer, got "
                         f"{json.dumps(value, default=str)}")
    return value


def _parse_weights(value: Any, where: str) -> tuple[Fraction, ...] | None:
    if value == "real":
        return None
    if isinstance(value, dict) and set(value) == {"finite"} and isinstance(value["finite"], list):
        return _row(value["finite"], f"{where}.finite")
    raise InputError(f"{where}: expected \"real\" or {{\"finite\": [...]}}")


def _row(values: Any, where: str) -> tuple[Fraction, ...]:
    """A list or tuple of exact rationals (parse_rational), as a tuple; InputError naming `where`."""
    if not isinstance(values, (list, tuple)):
        raise InputError(f"{where}: expected a list or tuple of numbers, got {type(values).__name__}")
    return tuple(parse_rational(v, f"{where}[{t}]") for t, v in enumerate(values))


def _rows(values: Any, where: str) -> tuple[tuple[Fraction, ...], ...]:
    """A list or tuple of rows (_row), as a tuple of tuples; InputError naming `where`."""
    if not isinstance(values, (list, tuple)):
        raise InputError(f"{where}: expected a list or tuple of rows, got {type(values).__name__}")
    return tuple(_row(row, f"{where}[{i}]") for i, row in enumerate(values))


def _check_instance(instance: Instance) -> None:
    """Invariants every instance keeps, however it was built."""
    where = instance.source
    if instance.max_error < 0:
        raise InputError(f"{where}: max_error: must be at least 0, got {instance.max_error}")
    if instance.loss not in LOSSES:
        raise InputError(f"{where}: loss: expected \"squared\" or \"absolute\"")
    if instance.weights == ():
        raise InputError(f"{where}: weights.finite: the set of allowed weights is empty")
    if len(instance.points) != len(instance.labels) or not instance.points:
        raise InputError(f"{where}: data: needs at least one point and a label for each")
    seen: dict[tuple[Fraction, ...], int] = {}
    for i, (x, y) in enumerate(zip(instance.points, instance.labels)):
        if len(x) != instance.shape.inputs or len(y) != instance.shape.outputs:
            raise InputError(f"{where}: data[{i}]: dimensions do not match the network")
        j = seen.setdefault(x, i)
        if j != i and instance.labels[j] != y and instance.max_error == 0:
            raise InputError(f"{where}: data[{i}]: the same point as data[{j}] with a different label "
                             "(noisy data needs max_error > 0)")
