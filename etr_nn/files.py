"""Input files read with bounds, output files written atomically: the one place for both.

Reading: at most MAX_INPUT_BYTES (so /dev/zero or a 50 MB file is an error, not a hang);
JSON numbers are exact and bounded (etr_nn.exact.parse_rational; fields are read by
etr_nn.exact.read_rational), NaN and infinities rejected naming their field, nesting past
Python's recursion limit (about 1000 levels) an error. Nothing is unpickled or evaluated.

Writing: `check_output` refuses, before any long work, a destination that is a directory, a
symbolic link, not a regular file (/dev/null), in a missing or unwritable directory, or one
of the input files. `write_atomically` writes a fresh temporary file (tempfile.mkstemp, in the
destination's directory), fsyncs it and renames it over the destination: a failure leaves
the destination as it was and no temporary file behind. A symbolic link at the destination
is refused rather than replaced or written through.
"""

from __future__ import annotations

import json
import os
import stat
import tempfile
from collections.abc import Sequence
from contextlib import suppress
from pathlib import Path
from typing import Any

from etr_nn.errors import InputError
from etr_nn.exact.rational import parse_rational
from etr_nn.limits import MAX_DIGITS, MAX_INPUT_BYTES


def read_text(path: str | Path, what: str, limit: int | None = None) -> str:
    """The UTF-8 text of an input file (`what`: "instance file", ...) of at most `limit` bytes
    (default MAX_INPUT_BYTES); InputError naming it."""
    limit = MAX_INPUT_BYTES if limit is None else limit
    try:
        with open(path, "rb") as file:
            data = file.read(limit + 1)
    except OSError as error:
        raise InputError(f"{path}: cannot read {what} ({error.strerror or error})") from None
    if len(data) > limit:
        raise InputError(f"{path}: {what} larger than {limit} bytes")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise InputError(f"{path}: cannot read {what} (not UTF-8 text: byte {error.start})") from None


def loads_json(text: str, source: str) -> Any:
    """Parse JSON exactly: decimals as Fractions (0.1 is 1/10), sizes bounded; InputError naming
    `source` (and, for NaN or an infinity, the field holding it)."""
    constants: list[_Constant] = []

    def constant(name: str) -> _Constant:
        constants.append(_Constant(name))
        return constants[-1]

    try:
        doc = json.loads(text, parse_float=parse_rational, parse_int=_integer, parse_constant=constant,
                         object_pairs_hook=_unique_keys)
    except json.JSONDecodeError as error:
        raise InputError(f"{source}: line {error.lineno}, column {error.colno}: invalid JSON ({error.msg})") from None
    except RecursionError:
        raise InputError(f"{source}: invalid JSON (nested too deeply)") from None
    except ValueError as error:
        raise InputError(f"{source}: {error}") from None
    if constants:
        raise InputError(f"{source}: {_field_of(doc, constants[0])}: {constants[0]} is not a number this format accepts")
    return doc


def load_json(path: str | Path, what: str, limit: int | None = None) -> Any:
    """read_text, then loads_json."""
    return loads_json(read_text(path, what, limit), str(path))


def _integer(text: str) -> int:
    if len(text.lstrip("-")) > MAX_DIGITS:
        raise ValueError(f"a number with more than {MAX_DIGITS} digits")
    return int(text)


def json_integer(value: Any) -> int:
    """An integer field of a parsed document: a JSON integer, or a string of digits (an object
    key); TypeError for anything else."""
    if isinstance(value, str) and value.isdigit() and len(value) <= MAX_DIGITS:
        return int(value)
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(f"expected an integer, got {json.dumps(value, default=str)[:40]}")
    return value


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object whose keys are all different (JSON allows repeats; we refuse them)."""
    seen: set[str] = set()
    for key, _ in pairs:
        if key in seen:
            raise ValueError(f"the key {json.dumps(key)[:80]} appears twice in one object")
        seen.add(key)
    return dict(pairs)


class _Constant(str):
    """NaN, Infinity or -Infinity where a JSON document has one (refused once its field is known)."""


def _field_of(doc: Any, target: _Constant) -> str:
    """The path of `target` in `doc`, as the formats name fields ("data[3].y[0]"); "top level" for the document."""
    stack: list[tuple[Any, str]] = [(doc, "")]
    while stack:
        value, path = stack.pop()
        if value is target:
            return path or "top level"
        if isinstance(value, dict):
            stack += [(v, f"{path}.{k}" if path else k) for k, v in value.items()]
        elif isinstance(value, list):
            stack += [(v, f"{path}[{i}]") for i, v in enumerate(value)]
    raise AssertionError("the constant is in the document")


def _problem(name: str | Path) -> str | None:
    """Why `name` cannot take an output file, or None."""
    if not str(name) or str(name).endswith(os.sep):
        return "not a file name"
    path = Path(name)
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        info = None
    except OSError as error:
        return f"cannot write there ({error.strerror or error})"
    if info is not None:
        if stat.S_ISLNK(info.st_mode):
            return "is a symbolic link; not replaced (remove it or choose another name)"
        if stat.S_ISDIR(info.st_mode):
            return "is a directory"
        if not stat.S_ISREG(info.st_mode):
            return "is not a regular file"
    parent = path.parent
    if not parent.is_dir():
        return f"cannot write there ({parent} is not a directory)"
    return None


def check_output(path: str | Path, inputs: Sequence[str | Path] = ()) -> None:
    """InputError (naming `path`) unless an output file can be written there and is none of `inputs`.
    Probes the directory with a temporary file (removed at once): catches what permission bits
    do not say (a read-only file system; running as root)."""
    target = Path(path)
    problem = _problem(path)
    for source in inputs:
        with suppress(OSError):
            if problem is None and target.exists() and os.path.samefile(target, source):
                problem = f"is the input file {source}; choose another output"
    if problem is None:
        try:
            fd, probe = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name[:64]}.", suffix=".tmp")
            os.close(fd)
            os.unlink(probe)
        except OSError as error:
            problem = f"cannot write there ({error.strerror or error})"
    if problem is not None:
        raise InputError(f"{path}: {problem}")


def write_atomically(path: str | Path, text: str) -> None:
    """Write `text` to `path` all at once or not at all (InputError naming `path`)."""
    target = Path(path)
    problem = _problem(path)
    if problem is not None:
        raise InputError(f"{path}: {problem}")
    try:
        mode = stat.S_IMODE(os.stat(target).st_mode)
    except FileNotFoundError:
        mode = 0o666 & ~_umask()
    except OSError as error:
        raise InputError(f"{path}: cannot write ({error.strerror or error})") from None
    try:
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name[:64]}.", suffix=".tmp")
    except OSError as error:
        raise InputError(f"{path}: cannot write ({error.strerror or error})") from None
    _WRITING.add(tmp)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as file:
            file.write(text)
            file.flush()
            os.fsync(file.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, target)
    except BaseException as error:
        with suppress(OSError):
            os.unlink(tmp)
        if isinstance(error, OSError):
            raise InputError(f"{path}: cannot write ({error.strerror or error})") from None
        raise
    finally:
        _WRITING.discard(tmp)


_WRITING: set[str] = set()  # temporary files being written now


def discard_temporaries() -> None:
    """Remove the temporary files being written (an interrupt stops the process at once)."""
    for tmp in list(_WRITING):
        with suppress(OSError):
            os.unlink(tmp)


def _umask() -> int:
    mask = os.umask(0o22)
    os.umask(mask)
    return mask
