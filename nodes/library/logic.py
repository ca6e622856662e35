"""Boolean logic on aligned boolean signals."""

from __future__ import annotations

import numpy as np

from nodes.chunk import require_aligned, worst_quality
from nodes.component import Component, Kind, Port, Text
from nodes.kernels import Kernel, stateless

A = Port("a", Kind.BOOLEAN, "", Text("a", "a"))
B = Port("b", Kind.BOOLEAN, "", Text("b", "b"))
OUT = Port("y", Kind.BOOLEAN, "", Text("Result", "结果"))


class _Binary(Component):
    """Two aligned boolean inputs combined sample by sample with :attr:`operation`."""

    category = "logic"
    inputs = (A, B)
    outputs = (OUT,)
    operation = staticmethod(np.logical_and)

    def process(self, inputs, state):
        a, b = inputs["a"], inputs["b"]
        require_aligned(inputs)
        return {"y": a.with_values(self.operation(a.v, b.v), worst_quality(a.q, b.q))}


class And(_Binary):
    """Logical AND: ``y = a ∧ b``.

    References
    ----------
    IEC 61131-3 (2013), AND function; G. Boole, *The Laws of Thought*, 1854.
    """

    type_name = "logic.and"
    title = Text("AND", "与")
    operation = staticmethod(np.logical_and)


class Or(_Binary):
    """Logical OR: ``y = a ∨ b``.

    References
    ----------
    IEC 61131-3 (2013), OR function.
    """

    type_name = "logic.or"
    title = Text("OR", "或")
    operation = staticmethod(np.logical_or)


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

    def kernel(self, state) -> Kernel:
        return stateless("v = 1.0 if v == 0.0 else 0.0", outputs=("y",), boolean=(True,))  # NaN counts as true


COMPONENTS = (And, Or, Not)
