"""Graph inputs and outputs: where a recording, a live device or a test feeds the graph."""

from __future__ import annotations

from nodes.component import Component, Kind, Param, Port, Text


class GraphInput(Component):
    """A graph input: ``y = source[column]``, the column (tag) of the source, in ``unit``.

    The engine fills it from the source (a CSV/Parquet recording, the live data bus, a test);
    wiring then converts its unit wherever a component wants another.

    References
    ----------
    IEC 61499-1 (2012), event/data inputs of function blocks.
    """

    type_name = "io.input"
    category = "io"
    title = Text("Graph input", "图输入")
    outputs = (Port("y", Kind.SIGNAL, "@unit", Text("Value", "数值")),)
    params = (Param("column", "str", "value", title=Text("Column or tag", "列名或变量"),
                    description=Text("Name of the column in the recording or of the tag on the bus.",
                                     "录制文件中的列名或数据总线上的变量名。")),
              Param("unit", "unit", "", title=Text("Unit", "单位")),
              Param("kind", "choice", "signal", choices=("signal", "boolean"), title=Text("Kind", "类型")))

    @classmethod
    def port_kind(cls, port, params):
        return Kind(params.get("kind", "signal"))

    def process(self, inputs, state):
        raise RuntimeError("graph inputs are fed by the engine")


class GraphOutput(Component):
    """A graph output: ``sink[column] = x``, written to the sink's column ``column``.

    References
    ----------
    IEC 61499-1 (2012), event/data outputs of function blocks.
    """

    type_name = "io.output"
    category = "io"
    title = Text("Graph output", "图输出")
    inputs = (Port("x", Kind.SIGNAL, "*", Text("Value", "数值")),)
    params = (Param("column", "str", "result", title=Text("Column or tag", "列名或变量")),)

    def process(self, inputs, state):
        return {}


COMPONENTS = (GraphInput, GraphOutput)
