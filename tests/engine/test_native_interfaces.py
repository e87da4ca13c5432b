"""Each compiled module's .pxd (what the other compiled modules see) agrees with its .py.

Cython reads the attributes and C-level functions of a compiled module from its .pxd and the
implementation from its .py; both state the attribute types, so they could drift apart. This
test reads both and requires, per class, the same attributes with matching types, per
module-level C constant the same name in both, and the same integer values in
engine/domain/hot.pxd and hot.py.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from engine import native
from engine.domain import hot

ROOT = Path(__file__).resolve().parents[2]

# .pxd C type -> the annotation it must have in the .py
_C_TYPES = {
    "long long": "cython.longlong",
    "unsigned long long": "cython.ulonglong",
    "bint": "cython.bint",
    "Py_ssize_t": "cython.Py_ssize_t",
}


def _pxd_classes(text: str) -> dict[str, dict[str, tuple[str, bool]]]:
    """Per class: attribute -> (C type, public)."""
    classes: dict[str, dict[str, tuple[str, bool]]] = {}
    current: dict[str, tuple[str, bool]] | None = None
    for line in text.splitlines():
        head = re.match(r"cdef class (\w+)", line)
        if head:
            current = classes.setdefault(head.group(1), {})
            continue
        attr = re.match(
            r"\s+cdef (public )?(long long|unsigned long long|bint|object|str|dict|list|\w+) "
            r"(\w+)(\[\d+\])?$",
            line,
        )
        if attr and current is not None and not attr.group(4):  # C arrays: .pxd only
            current[attr.group(3)] = (attr.group(2), bool(attr.group(1)))
        elif line and not line.startswith((" ", "#")):
            current = None
    return classes


def _py_classes(tree: ast.Module) -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {}
    for node in tree.body:
        if isinstance(node, ast.ClassDef):
            fields = out.setdefault(node.name, {})
            if any("dataclass" in ast.unparse(d) for d in node.decorator_list):
                fields[_DATACLASS] = ""
            for item in node.body:
                if isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name):
                    fields[item.target.id] = ast.unparse(item.annotation)
    return out


#: marks a class the .py declares a dataclass (Cython's: ``cython.dataclasses.dataclass``)
_DATACLASS = "<dataclass>"


def _compatible(c_type: str, annotation: str, dataclass: bool = False) -> bool:
    """Whether the .py's ``annotation`` states the .pxd's ``c_type``. A dataclass's ``object``
    field may be annotated with any Python type (``str`` too): it states what the field holds,
    while the .pxd (which Cython compiles) lets it take any object, as the uncompiled
    dataclass does."""
    if dataclass and c_type == "object":
        return True
    if c_type in _C_TYPES:
        return annotation == _C_TYPES[c_type]
    base = annotation.split("[", 1)[0].split(" | ", 1)[0]
    if c_type == "object":  # any Python object: Any, or a class Cython does not type
        return base not in ("str", "dict", "list", *_C_TYPES.values())
    return base == c_type


def _modules_with_pxd() -> list[str]:
    return [m for m in native.COMPILED_MODULES if len(native.source_paths(m, ROOT)) == 2]


@pytest.mark.parametrize("module", _modules_with_pxd())
def test_the_pxd_declares_what_the_py_annotates(module: str) -> None:
    py, pxd = native.source_paths(module, ROOT)
    declared = _pxd_classes(pxd.read_text())
    annotated = _py_classes(ast.parse(py.read_text()))
    for name, fields in declared.items():
        assert name in annotated, f"{pxd.name} declares class {name}, {py.name} has none"
        got = dict(annotated[name])
        dataclass = got.pop(_DATACLASS, None) is not None
        # Every annotated attribute is declared, every public one annotated; a private one may
        # be C-only (a pointer or a counter of the compiled build).
        public = {attr for attr, (_, is_public) in fields.items() if is_public}
        assert set(got) <= set(fields), f"{name}: not in the .pxd: {sorted(set(got) - set(fields))}"
        assert public <= set(got), f"{name}: not in the .py: {sorted(public - set(got))}"
        for attr, annotation in got.items():
            c_type = fields[attr][0]
            assert _compatible(c_type, annotation, dataclass), (
                f"{name}.{attr}: {c_type} vs {annotation}"
            )


@pytest.mark.parametrize("module", _modules_with_pxd())
def test_module_level_c_constants_are_defined_in_the_py(module: str) -> None:
    py, pxd = native.source_paths(module, ROOT)
    names = re.findall(r"^cdef long long (\w+(?:, \w+)*)$", pxd.read_text(), re.M)
    declared = {n for group in names for n in group.split(", ")}
    tree = ast.parse(py.read_text())
    defined = {
        node.target.id
        for node in tree.body
        if isinstance(node, ast.AnnAssign)
        and isinstance(node.target, ast.Name)
        and ast.unparse(node.annotation) == "cython.longlong"
    }
    assert declared == defined


def test_hot_constants_agree_between_pxd_and_py() -> None:
    text = (ROOT / "engine" / "domain" / "hot.pxd").read_text()
    pairs = re.findall(r"^\s+(\w+) = (\d+)$", text, re.M)
    assert pairs
    for name, value in pairs:
        assert getattr(hot, name) == int(value), name


def test_every_compiled_module_is_built_from_an_existing_source() -> None:
    for module in native.COMPILED_MODULES:
        assert native.source_paths(module, ROOT)[0].exists(), module
