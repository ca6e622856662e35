"""Control-valve components for Millwright (an example plug-in)."""

from __future__ import annotations

import numpy as np

from nodes.chunk import require_aligned, worst_quality
from nodes.component import Component, Kind, Param, Port, Text


class ValveFlow(Component):
    """Liquid flow through a control valve from its flow coefficient and pressure drop.

    ``Q = N₁ · Cv · (x/100) · sqrt(Δp / G)`` for non-choked turbulent liquid flow with a linear
    characteristic, where Q is in m³/h, Δp in bar, G the specific gravity (water = 1),
    x the valve opening in % and N₁ = 0.865 converts Cv (US gal/min at 1 psi) to these units.

    References
    ----------
    IEC 60534-2-1 (2011), Industrial-process control valves — Flow capacity — Sizing equations
    for fluid flow under installed conditions, eq. (1).
    """

    type_name = "example.valve_flow"
    category = "process"
    title = Text("Valve flow (Cv)", "调节阀流量（Cv）")
    inputs = (Port("opening", Kind.SIGNAL, "%", Text("Opening", "开度")),
              Port("dp", Kind.SIGNAL, "bar", Text("Pressure drop", "压差")))
    outputs = (Port("flow", Kind.SIGNAL, "m^3/h", Text("Flow", "流量")),)
    params = (Param("cv", "float", 10.0, 0.0, title=Text("Flow coefficient Cv", "流量系数 Cv")),
              Param("specific_gravity", "float", 1.0, 0.01, 30.0, title=Text("Specific gravity", "相对密度")))

    def process(self, inputs, state):
        opening, dp = inputs["opening"], inputs["dp"]
        require_aligned(inputs)
        # The engine delivers the opening in % and dp in bar, whatever units the wires carry.
        flow = 0.865 * self.p["cv"] * (opening.v / 100.0) * np.sqrt(np.clip(dp.v, 0.0, None)
                                                                    / self.p["specific_gravity"])
        return {"flow": opening.with_values(flow, worst_quality(opening.q, dp.q))}


COMPONENTS = (ValveFlow,)
