"""The API reference: pdoc builds it from the docstrings of the public modules, and it cannot rot.

Every name a public module exports must be on its page with a docstring of its own, no private module
may get a page, no public signature may name a type that lives only in a private module, and the
build must not warn. ``./dev docs`` writes the same reference to ``out/api`` by running this file.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
import sys
import warnings
from pathlib import Path
from types import ModuleType
from typing import Any

import pdoc
import pdoc.doc
import pdoc.render
import pytest

import microturn

# pdoc's default page, plus the bits of our reStructuredText its restructuredtext docformat leaves alone.
TEMPLATES = Path(__file__).resolve().parents[1] / "docs" / "pdoc"
# "View Source" blocks show private code on purpose; what a page says about the API is outside them.
SOURCE_VIEW = re.compile(r'<div class="pdoc-code codehilite">.*?</pre></div>', re.DOTALL)
TAG = re.compile(r"<[^>]+>")
# A name reached through a private module; the test flags those whose last part looks public (no underscore).
PRIVATE_TYPE = re.compile(r"\bmicroturn(?:\.\w+)*\._\w+(?:\.\w+)*")


def public_modules(package: ModuleType = microturn) -> list[str]:
    """``package`` and the modules under it whose names have no ``_private`` part, in walk order."""
    names = [package.__name__]
    for info in pkgutil.iter_modules(package.__path__, prefix=f"{package.__name__}."):
        if info.name.rpartition(".")[2].startswith("_"):
            continue
        if info.ispkg:
            names += public_modules(importlib.import_module(info.name))
        else:
            names.append(info.name)
    return names


def build(out: Path) -> list[str]:
    """Write the reference of the public modules into ``out``; return what pdoc warned about."""
    pdoc.render.configure(docformat="restructuredtext", template_directory=TEMPLATES)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        pdoc.pdoc(*public_modules(), output_directory=out)
    return [f"{warning.category.__name__}: {warning.message}" for warning in caught]


def page(out: Path, module: str) -> Path:
    return out / f"{module.replace('.', '/')}.html"


def own_docstring(member: pdoc.doc.Doc[Any]) -> str:
    """The docstring pdoc shows for ``member``, unless the class only inherited it from a base."""
    if isinstance(member, pdoc.doc.Class):
        written = vars(member.obj).get("__doc__")
        if not written or inspect.cleandoc(written) != member.docstring:
            return ""
    return member.docstring


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    out = tmp_path_factory.mktemp("api")
    return out, build(out)


def test_the_reference_builds_without_warnings(reference: tuple[Path, list[str]]) -> None:
    _, problems = reference
    assert problems == [], "\n".join(problems)


def test_only_the_public_modules_have_pages(reference: tuple[Path, list[str]]) -> None:
    out, _ = reference
    modules = public_modules()
    assert {"microturn", "microturn.errors", "microturn.testing"} <= set(modules)
    pages = {str(path.relative_to(out).with_suffix("")).replace("/", ".") for path in out.rglob("*.html")}
    assert pages == {*modules, "index"}
    root = page(out, "microturn").read_text()  # the index sends readers here: it must reach every module
    assert [module for module in modules[1:] if f'href="{page(Path(), module)}"' not in root] == []


def test_every_public_module_says_what_it_is(reference: tuple[Path, list[str]]) -> None:
    assert [name for name in public_modules() if not pdoc.doc.Module.from_name(name).docstring] == []


def test_every_exported_name_is_in_the_reference_with_a_docstring_of_its_own(
    reference: tuple[Path, list[str]],
) -> None:
    out, _ = reference
    absent, undocumented = [], []
    for name in public_modules():
        module = pdoc.doc.Module.from_name(name)
        html = page(out, name).read_text()
        for export in getattr(module.obj, "__all__", ()):
            member = module.get(export)
            if member is None or f'id="{export}"' not in html:
                absent.append(f"{name}.{export}")
            # A constant or an alias re-exported from a private module cannot carry a docstring (pdoc reads
            # a variable's docstring from the module that shows it); its page shows its value instead.
            elif not isinstance(member, pdoc.doc.Variable) and not own_docstring(member):
                undocumented.append(f"{name}.{export}")
    assert absent == [], f"not in the reference: {', '.join(absent)}"
    assert undocumented == [], f"{len(undocumented)} need a docstring of their own: {', '.join(undocumented)}"


def test_public_pages_name_no_type_that_lives_only_in_a_private_module(reference: tuple[Path, list[str]]) -> None:
    out, _ = reference
    leaks = set()
    for name in public_modules():
        text = TAG.sub("", SOURCE_VIEW.sub("", page(out, name).read_text()))
        leaks |= {leak for leak in PRIVATE_TYPE.findall(text) if not leak.rpartition(".")[2].startswith("_")}
    assert leaks == set(), f"export these (or stop naming them on public pages): {', '.join(sorted(leaks))}"


if __name__ == "__main__":  # ./dev docs OUT
    problems = build(Path(sys.argv[1]))
    for problem in problems:
        print(f"pdoc: {problem}", file=sys.stderr)
    print(f"the API reference: {Path(sys.argv[1]) / 'index.html'}", file=sys.stderr)
    sys.exit(1 if problems else 0)
