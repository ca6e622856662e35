"""Every docstring example in ``nodes`` runs as a test, so a formula example cannot drift from the code.

The examples are collected here with :mod:`doctest` (not with pytest's ``--doctest-modules``)
so that ``make test`` runs them without changing pytest's options, and only over ``nodes``:
other packages import Qt or drivers, which a doctest run should not need.
"""

from __future__ import annotations

import doctest
import importlib
import pkgutil
import re
from types import ModuleType

import pytest

import nodes

# numpydoc's section heading: the word, then a line of dashes under it.
EXAMPLES_HEADING = re.compile(r"^\s*Examples\n\s*-{3,}\s*$", re.MULTILINE)


def _modules() -> list[ModuleType]:
    """``nodes`` and every module below it (``nodes.library`` included), imported."""
    names = [nodes.__name__] + [info.name for info in pkgutil.walk_packages(nodes.__path__, f"{nodes.__name__}.")]
    return [importlib.import_module(name) for name in sorted(names)]


def _docstrings() -> list[doctest.DocTest]:
    """One doctest per documented object, with or without ``>>>`` examples."""
    finder = doctest.DocTestFinder()
    found: dict[str, doctest.DocTest] = {}
    for module in _modules():
        for test in finder.find(module):
            # A class re-exported by another module is found twice; its own module's copy counts.
            found.setdefault(test.name, test)
    return sorted(found.values(), key=lambda test: test.name)


EXAMPLES = [test for test in _docstrings() if test.examples]


@pytest.mark.parametrize("example", EXAMPLES, ids=[test.name for test in EXAMPLES])
def test_docstring_example(example: doctest.DocTest) -> None:
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    report: list[str] = []
    result = runner.run(example, out=report.append, clear_globs=True)
    assert result.failed == 0, "".join(report)


def test_the_examples_are_found() -> None:
    # Without this, a change in discovery (a renamed package, a module that fails to import
    # silently) would leave the parametrised test with nothing to run and the suite green.
    assert len(EXAMPLES) >= 14
    assert any(test.name.startswith("nodes.library.process.") for test in EXAMPLES)


def test_every_examples_section_can_run() -> None:
    """An "Examples" section in prose only (a formula worked by hand) is never checked; ask for ``>>>``."""
    prose_only = [test.name for test in _docstrings()
                  if test.docstring and EXAMPLES_HEADING.search(test.docstring) and not test.examples]
    assert not prose_only, f"Examples sections without a runnable >>> example: {prose_only}"
