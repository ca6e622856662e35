"""Boolean logic on aligned boolean signals."""

from __future__ import annotations

import numpy as np

from nodes.chunk import require_aligned, worst_quality
from nodes.component import Component, Kind, Port, Text

A = Port("a", Kind.BOOLEAN, "", Text("a", "a"))
B = Port("b", Kind.BOOLEAN, "", Text("b", "b"))
OUT = Port("y", Kind.BOOLEAN, "", Text("Result", "结果"))


class And(Component):
    """Logical AND: ``y = a ∧ b``.

    References
    ----------
    IEC 61131-3 (2013), AND function; G. Boole, *The Laws of Thought*, 1854.
    """

    type_name = "logic.and"
    category = "logic"
    title = Text("AND", "与")
    inputs = (A, B)
    outputs = (OUT,)

    def process(self, inputs, state):
        a, b = inputs["a"], inputs["b"]
        require_aligned(inputs)
        return {"y": a.with_values(np.logical_and(a.v, b.v), worst_quality(a.q, b.q))}


class Or(Component):
    """Logical OR: ``y = a ∨ b``.

    References
    ----------
    IEC 61131-3 (2013), OR function.
    """

    type_name = "logic.or"
    category = "logic"
    title = Text("OR", "或")
    inputs = (A, B)
    outputs = (OUT,)

    def process(self, inputs, state):
        a, b = inputs["a"], inputs["b"]
        require_aligned(inputs)
        return {"y": a.with_values(np.logical_or(a.v, b.v), worst_quality(a.q, b.q))}


class Not(Component):
    """Logical NOT: ``y = ¬a``.

    References
    ----------
    IEC 61131-3 (2013), NOT function.
    """

    type_name = "logic.not"
    category = "logic"
    title = Text("NOT", "非")
    inputs = (A,)
    outputs = (OUT,)

    def process(self, inputs, state):
        a = inputs["a"]
        return {"y": a.with_values(np.logical_not(a.v))}


COMPONENTS = (And, Or, Not)
