"""Process engineering: pumps, motors, heat exchangers, process models, PID, tanks, compressors, KPIs.

Inputs are declared in SI-ish units and the engine converts whatever is wired in (m³/h into a
``m^3/s`` input, °F into ``degC``), so every formula below is written in the declared units.

A result that is undefined gets NaN. Its quality says why: *uncertain* when the machine is
simply not running (no shaft power, nothing produced, nothing planned), *bad* when the inputs
are physically inconsistent (a temperature cross in a heat exchanger, a non-positive absolute
pressure) or a needed input is not connected.
"""

from __future__ import annotations

import math
from collections import deque
from types import SimpleNamespace

import numpy as np

from nodes.chunk import BAD, GOOD, UNCERTAIN, Chunk, require_aligned, worst_quality
from nodes.component import Component, Kind, Param, Port, Text
from nodes.windows import Tail

NS = 1e-9  # seconds per timestamp tick
GRAVITY = 9.80665  # standard acceleration of gravity, m/s² (CGPM 1901)
R_UNIVERSAL = 8314.462618  # molar gas constant, J/(kmol·K) (CODATA 2018, exact)
SQRT3 = math.sqrt(3.0)


def _pointwise(inputs: dict[str, Chunk]) -> tuple[np.ndarray, np.ndarray]:
    """Shared timestamps and a fresh array of the per-sample worst quality of aligned inputs."""
    t = require_aligned(inputs)
    return t, worst_quality(*(chunk.q for chunk in inputs.values())).astype(np.uint8)


def _raise(quality: np.ndarray, where: np.ndarray, level: np.uint8) -> np.ndarray:
    """``quality`` made at least ``level`` where ``where`` is true (a new array)."""
    return np.where(where, np.maximum(quality, level), quality).astype(np.uint8)


class PumpAffinity(Component):
    """Pump affinity laws: flow, head and power at speed ``n`` from the rated point at ``n₀``.

    ``Q = Q₀ · (n/n₀)``, ``H = H₀ · (n/n₀)²``, ``P = P₀ · (n/n₀)³``

    The laws hold for a centrifugal pump of fixed impeller diameter between similar operating
    points (equal efficiency), i.e. along a system curve through the origin; a large static
    head breaks the similarity at low speed. A negative speed (reverse rotation), where the laws
    do not apply, gives uncertain outputs.

    References
    ----------
    I. J. Karassik, J. P. Messina, P. Cooper, C. C. Heald, *Pump Handbook*, 4th ed., McGraw-Hill, 2008.
    J. F. Gülich, *Centrifugal Pumps*, 3rd ed., Springer, 2014 (similarity laws).

    Examples
    --------
    A pump rated 100 m³/h, 30 m, 11 kW at 1480 rpm delivers, at 740 rpm, 50 m³/h at 7.5 m and
    takes 1.375 kW:

    >>> from nodes.chunk import Chunk
    >>> pump = PumpAffinity({"rated_speed": 1480.0, "rated_flow": 100.0, "rated_head": 30.0, "rated_power": 11.0})
    >>> out = pump.process({"speed": Chunk.of([0], [740.0])}, pump.init_state())
    >>> [float(out[k].v[0]) for k in ("flow", "head", "power")]
    [50.0, 7.5, 1.375]
    """

    type_name = "process.pump_affinity"
    category = "process"
    title = Text("Pump affinity laws", "泵相似定律")
    inputs = (Port("speed", Kind.SIGNAL, "rpm", Text("Speed", "转速"),
                   Text("Shaft speed of the pump.", "泵轴转速。")),)
    outputs = (Port("flow", Kind.SIGNAL, "m^3/h", Text("Flow", "流量")),
               Port("head", Kind.SIGNAL, "m", Text("Head", "扬程")),
               Port("power", Kind.SIGNAL, "kW", Text("Shaft power", "轴功率")))
    params = (Param("rated_speed", "float", 1480.0, 1e-6, unit="rpm", title=Text("Rated speed", "额定转速"),
                    description=Text("Speed n₀ of the rated point.", "额定工况点的转速 n₀。")),
              Param("rated_flow", "float", 100.0, 0.0, unit="m^3/h", title=Text("Rated flow", "额定流量"),
                    description=Text("Flow Q₀ at the rated point.", "额定工况点的流量 Q₀。")),
              Param("rated_head", "float", 30.0, 0.0, unit="m", title=Text("Rated head", "额定扬程"),
                    description=Text("Head H₀ at the rated point.", "额定工况点的扬程 H₀。")),
              Param("rated_power", "float", 11.0, 0.0, unit="kW", title=Text("Rated shaft power", "额定轴功率"),
                    description=Text("Shaft power P₀ at the rated point.", "额定工况点的轴功率 P₀。")))

    def process(self, inputs, state):
        n = inputs["speed"]
        ratio = n.v / self.p["rated_speed"]
        q = _raise(n.q, ratio < 0, UNCERTAIN)
        return {"flow": Chunk(n.t, self.p["rated_flow"] * ratio, q),
                "head": Chunk(n.t, self.p["rated_head"] * ratio**2, q.copy()),
                "power": Chunk(n.t, self.p["rated_power"] * ratio**3, q.copy())}


class PumpPower(Component):
    """Pump hydraulic power and efficiency: ``P_h = ρ · g · Q · H``, ``η = P_h / P_shaft``.

    ``Q`` is the volume flow (m³/s), ``H`` the total head (m), ``ρ`` the liquid density and
    ``g`` the acceleration of gravity; ``P_h`` is reported in kW and ``η`` in %. When the
    optional shaft-power input is not connected the efficiency is NaN and bad; where the shaft
    power is zero or negative (pump stopped) it is NaN and uncertain.

    References
    ----------
    ISO 9906:2012, *Rotodynamic pumps — Hydraulic performance acceptance tests*, definition of
    pump power output ``P_u = ρ g Q H``.
    I. J. Karassik et al., *Pump Handbook*, 4th ed., McGraw-Hill, 2008.

    Examples
    --------
    50 L/s of water (998.2 kg/m³) at 30 m head: ``P_h = 998.2 · 9.80665 · 0.05 · 30 W = 14.7 kW``;
    with 20 kW at the shaft ``η = 73.4 %``:

    >>> from nodes.chunk import Chunk
    >>> pump = PumpPower({"density": 998.2})
    >>> out = pump.process({"flow": Chunk.of([0], [0.05]), "head": Chunk.of([0], [30.0]),
    ...                     "shaft_power": Chunk.of([0], [20.0])}, pump.init_state())
    >>> round(float(out["hydraulic_power"].v[0]), 1), round(float(out["efficiency"].v[0]), 1)
    (14.7, 73.4)
    """

    type_name = "process.pump_power"
    category = "process"
    title = Text("Pump hydraulic power and efficiency", "泵水力功率与效率")
    inputs = (Port("flow", Kind.SIGNAL, "m^3/s", Text("Flow", "流量")),
              Port("head", Kind.SIGNAL, "m", Text("Head", "扬程"), Text("Total head of the pump.", "泵的总扬程。")),
              Port("shaft_power", Kind.SIGNAL, "kW", Text("Shaft power", "轴功率"),
                   Text("Power at the pump shaft (optional; needed for the efficiency).",
                        "泵轴输入功率（可选；计算效率时需要）。"), required=False))
    outputs = (Port("hydraulic_power", Kind.SIGNAL, "kW", Text("Hydraulic power", "水力功率")),
               Port("efficiency", Kind.SIGNAL, "%", Text("Pump efficiency", "泵效率")))
    params = (Param("density", "float", 998.2, 1e-6, unit="kg/m^3", title=Text("Density", "密度"),
                    description=Text("Density ρ of the liquid; 998.2 kg/m³ is water at 20 °C.",
                                     "液体密度 ρ；998.2 kg/m³ 为 20 °C 的水。")),
              Param("gravity", "float", GRAVITY, 1e-6, unit="m/s^2", title=Text("Gravity", "重力加速度"),
                    description=Text("Acceleration of gravity g (standard value 9.80665 m/s²).",
                                     "重力加速度 g（标准值 9.80665 m/s²）。")))

    def process(self, inputs, state):
        flow, head = inputs["flow"], inputs["head"]
        t, q = _pointwise({"flow": flow, "head": head})
        hydraulic = self.p["density"] * self.p["gravity"] * flow.v * head.v / 1000.0
        shaft = inputs.get("shaft_power")
        if shaft is None:
            efficiency = np.full(len(t), np.nan)
            q_eta = np.full(len(t), BAD, np.uint8)
        else:
            require_aligned({"flow": flow, "shaft_power": shaft})
            stopped = ~(shaft.v > 0)
            with np.errstate(divide="ignore", invalid="ignore"):
                efficiency = np.where(stopped, np.nan, 100.0 * hydraulic / np.where(stopped, 1.0, shaft.v))
            q_eta = _raise(worst_quality(q, shaft.q), stopped, UNCERTAIN)
        return {"hydraulic_power": Chunk(t, hydraulic, q), "efficiency": Chunk(t, efficiency, q_eta)}


class MotorLoad(Component):
    """Three-phase motor load from current: ``P_in = √3 · V_LL · I · cos φ``, ``load = η_r · P_in / P_r``.

    ``V_LL`` is the line-to-line voltage: the ``voltage`` input when it is connected, otherwise
    the ``nominal_voltage`` parameter. ``cos φ`` is the ``power_factor`` input when connected,
    otherwise the parameter; a measured power factor is much better, as cos φ falls steeply at
    part load. The shaft power is estimated as ``η_r · P_in`` with the rated (full-load)
    efficiency ``η_r``, which is close to the true efficiency above about half load. Outputs:
    electrical input power (kW), estimated shaft power (kW) and load in % of the rated output
    power ``P_r``.

    References
    ----------
    U.S. Department of Energy, *Determining Electric Motor Load and Efficiency*, Motor Challenge
    fact sheet DOE/GO-10097-517, 1997 (input-power method).
    IEC 60034-1, *Rotating electrical machines — Part 1: Rating and performance*.

    Examples
    --------
    400 V, 25 A, cos φ = 0.85: ``P_in = √3 · 400 · 25 · 0.85 W = 14.72 kW``; with ``η_r = 92 %``
    a 15 kW motor runs at ``0.92 · 14.72 / 15 = 90.3 %`` load:

    >>> from nodes.chunk import Chunk
    >>> motor = MotorLoad({"rated_power": 15.0, "rated_efficiency": 92.0, "power_factor": 0.85,
    ...                    "nominal_voltage": 400.0})
    >>> out = motor.process({"current": Chunk.of([0], [25.0])}, motor.init_state())
    >>> round(float(out["input_power"].v[0]), 2), round(float(out["load"].v[0]), 1)
    (14.72, 90.3)
    """

    type_name = "process.motor_load"
    category = "process"
    title = Text("Motor load (three-phase)", "电机负载率（三相）")
    inputs = (Port("current", Kind.SIGNAL, "A", Text("Line current", "线电流"),
                   Text("RMS line current (mean of the three phases).", "线电流有效值（三相平均）。")),
              Port("voltage", Kind.SIGNAL, "V", Text("Line voltage", "线电压"),
                   Text("RMS line-to-line voltage (optional; else the nominal voltage).",
                        "线电压有效值（可选；未连接时用额定电压）。"), required=False),
              Port("power_factor", Kind.SIGNAL, "", Text("Power factor", "功率因数"),
                   Text("Measured cos φ (optional; else the power factor parameter).",
                        "实测功率因数 cos φ（可选；未连接时用参数值）。"), required=False))
    outputs = (Port("input_power", Kind.SIGNAL, "kW", Text("Electrical input power", "电输入功率")),
               Port("shaft_power", Kind.SIGNAL, "kW", Text("Estimated shaft power", "估算轴功率")),
               Port("load", Kind.SIGNAL, "%", Text("Load", "负载率")))
    params = (Param("rated_power", "float", 15.0, 1e-6, unit="kW", title=Text("Rated power", "额定功率"),
                    description=Text("Rated output (shaft) power P_r from the nameplate.",
                                     "铭牌上的额定输出（轴）功率 P_r。")),
              Param("rated_efficiency", "float", 92.0, 1.0, 100.0, unit="%",
                    title=Text("Rated efficiency", "额定效率"),
                    description=Text("Full-load efficiency η_r from the nameplate (IEC 60034-30-1 class).",
                                     "铭牌上的满载效率 η_r（IEC 60034-30-1 能效等级）。")),
              Param("power_factor", "float", 0.85, 0.0, 1.0, title=Text("Power factor", "功率因数"),
                    description=Text("cos φ used when no power-factor input is connected.",
                                     "未连接功率因数输入时使用的 cos φ。")),
              Param("nominal_voltage", "float", 400.0, 1e-6, unit="V", title=Text("Nominal voltage", "额定电压"),
                    description=Text("Line-to-line voltage used when no voltage input is connected.",
                                     "未连接电压输入时使用的线电压。")))

    def process(self, inputs, state):
        t, q = _pointwise(inputs)
        current = inputs["current"].v
        voltage = inputs["voltage"].v if "voltage" in inputs else self.p["nominal_voltage"]
        cos_phi = inputs["power_factor"].v if "power_factor" in inputs else self.p["power_factor"]
        p_in = SQRT3 * voltage * current * cos_phi / 1000.0
        shaft = p_in * self.p["rated_efficiency"] / 100.0
        load = 100.0 * shaft / self.p["rated_power"]
        return {"input_power": Chunk(t, p_in, q), "shaft_power": Chunk(t, shaft, q.copy()),
                "load": Chunk(t, load, q.copy())}


def _log_mean(dt1: np.ndarray, dt2: np.ndarray) -> np.ndarray:
    """``(ΔT₁ − ΔT₂) / ln(ΔT₁/ΔT₂)``, continuous through ΔT₁ = ΔT₂ (positive arguments)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        x = dt1 / dt2 - 1.0
        # x / ln(1 + x) = 1 + x/2 − x²/12 + x³/24 − …; the series is exact to rounding for |x| < 1e-4.
        near = np.abs(x) < 1e-4
        factor = np.where(near, 1.0 + x / 2 - x * x / 12 + x**3 / 24, x / np.log1p(np.where(near, 1.0, x)))
    return dt2 * factor


class Lmtd(Component):
    """Log-mean temperature difference and heat-exchanger duty: ``Q = U · A · F · ΔT_lm``.

    ``ΔT_lm = (ΔT₁ − ΔT₂) / ln(ΔT₁ / ΔT₂)``, with ``ΔT_lm = ΔT₁`` in the limit ``ΔT₁ = ΔT₂``;

    * counter-flow: ``ΔT₁ = T_h,in − T_c,out``, ``ΔT₂ = T_h,out − T_c,in``;
    * parallel flow: ``ΔT₁ = T_h,in − T_c,in``, ``ΔT₂ = T_h,out − T_c,out``.

    ``F`` corrects ΔT_lm of the counter-flow arrangement for multi-pass and cross-flow
    exchangers (1 for pure counter- or parallel flow). Temperatures are taken in °C and only
    their differences are used, so kelvin or °F inputs are converted first. Where ΔT₁ or ΔT₂ is
    not positive (temperature cross, or hot and cold swapped) the result is NaN and bad.

    References
    ----------
    F. P. Incropera, D. P. DeWitt, T. L. Bergman, A. S. Lavine, *Fundamentals of Heat and Mass
    Transfer*, 6th ed., Wiley, 2007, §11.3 (the log mean temperature difference).
    R. A. Bowman, A. C. Mueller, W. M. Nagle, "Mean temperature difference in design",
    *Trans. ASME* 62, 1940 (correction factor F).

    Examples
    --------
    Incropera Example 11.1 (counter-flow oil cooler): oil 100 → 60 °C, water 30 → 40.2 °C gives
    ``ΔT_lm = (59.8 − 30) / ln(59.8/30) = 43.2 °C``:

    >>> from nodes.chunk import Chunk
    >>> cooler = Lmtd({"arrangement": "counter"})
    >>> temperatures = {"hot_in": 100.0, "hot_out": 60.0, "cold_in": 30.0, "cold_out": 40.2}
    >>> out = cooler.process({k: Chunk.of([0], [v]) for k, v in temperatures.items()}, cooler.init_state())
    >>> round(float(out["lmtd"].v[0]), 1)
    43.2
    """

    type_name = "process.lmtd"
    category = "process"
    title = Text("Log-mean temperature difference", "对数平均温差")
    inputs = (Port("hot_in", Kind.SIGNAL, "degC", Text("Hot inlet", "热流体进口温度")),
              Port("hot_out", Kind.SIGNAL, "degC", Text("Hot outlet", "热流体出口温度")),
              Port("cold_in", Kind.SIGNAL, "degC", Text("Cold inlet", "冷流体进口温度")),
              Port("cold_out", Kind.SIGNAL, "degC", Text("Cold outlet", "冷流体出口温度")))
    outputs = (Port("lmtd", Kind.SIGNAL, "delta_degC", Text("LMTD", "对数平均温差")),
               Port("duty", Kind.SIGNAL, "kW", Text("Heat duty", "换热量")))
    params = (Param("arrangement", "choice", "counter", choices=("counter", "parallel"),
                    title=Text("Flow arrangement", "流动方式"),
                    description=Text("Counter-flow or parallel (co-current) flow.", "逆流或顺流（并流）。")),
              Param("u_value", "float", 500.0, 0.0, unit="W/(m^2*K)",
                    title=Text("Overall heat-transfer coefficient U", "总传热系数 U"),
                    description=Text("Overall heat-transfer coefficient referred to the area A.",
                                     "以传热面积 A 为基准的总传热系数。")),
              Param("area", "float", 10.0, 0.0, unit="m^2", title=Text("Heat-transfer area A", "传热面积 A"),
                    description=Text("Heat-transfer area the coefficient U refers to.",
                                     "总传热系数 U 所对应的传热面积。")),
              Param("correction", "float", 1.0, 1e-6, 1.0, title=Text("Correction factor F", "修正系数 F"),
                    description=Text("LMTD correction for multi-pass or cross-flow exchangers; 1 for pure "
                                     "counter- or parallel flow.",
                                     "多管程或错流换热器的对数平均温差修正系数；纯逆流或顺流取 1。")))

    def process(self, inputs, state):
        t, q = _pointwise(inputs)
        hot_in, hot_out = inputs["hot_in"].v, inputs["hot_out"].v
        cold_in, cold_out = inputs["cold_in"].v, inputs["cold_out"].v
        if self.p["arrangement"] == "counter":
            dt1, dt2 = hot_in - cold_out, hot_out - cold_in
        else:
            dt1, dt2 = hot_in - cold_in, hot_out - cold_out
        valid = (dt1 > 0) & (dt2 > 0)
        lmtd = np.where(valid, _log_mean(np.where(valid, dt1, 1.0), np.where(valid, dt2, 1.0)), np.nan)
        q = _raise(q, ~valid, BAD)
        duty = self.p["u_value"] * self.p["area"] * self.p["correction"] * lmtd / 1000.0
        return {"lmtd": Chunk(t, lmtd, q), "duty": Chunk(t, duty, q.copy())}


class HeatDuty(Component):
    """Sensible heat duty of a stream: ``Q = ṁ · c_p · (T_out − T_in)``.

    Positive when the stream takes up heat (``direction = absorbed``); with ``direction =
    released`` the sign is reversed, ``Q = ṁ · c_p · (T_in − T_out)``, for the hot side of an
    exchanger. ``c_p`` is taken constant over the temperature range. Output in kW.

    References
    ----------
    F. P. Incropera, D. P. DeWitt, T. L. Bergman, A. S. Lavine, *Fundamentals of Heat and Mass
    Transfer*, 6th ed., Wiley, 2007, §1.3 (steady-flow energy balance) and §11.3.

    Examples
    --------
    0.1 kg/s of oil (c_p = 2131 J/(kg·K)) cooled from 100 to 60 °C releases
    ``0.1 · 2131 · 40 W = 8.524 kW`` (Incropera Example 11.1):

    >>> from nodes.chunk import Chunk
    >>> oil = HeatDuty({"cp": 2131.0, "direction": "released"})
    >>> out = oil.process({"mass_flow": Chunk.of([0], [0.1]), "inlet": Chunk.of([0], [100.0]),
    ...                    "outlet": Chunk.of([0], [60.0])}, oil.init_state())
    >>> round(float(out["duty"].v[0]), 3)
    8.524
    """

    type_name = "process.heat_duty"
    category = "process"
    title = Text("Sensible heat duty", "显热热负荷")
    inputs = (Port("mass_flow", Kind.SIGNAL, "kg/s", Text("Mass flow", "质量流量")),
              Port("inlet", Kind.SIGNAL, "degC", Text("Inlet temperature", "进口温度")),
              Port("outlet", Kind.SIGNAL, "degC", Text("Outlet temperature", "出口温度")))
    outputs = (Port("duty", Kind.SIGNAL, "kW", Text("Heat duty", "热负荷")),)
    params = (Param("cp", "float", 4186.0, 1e-6, unit="J/(kg*K)", title=Text("Specific heat c_p", "比热容 c_p"),
                    description=Text("Specific heat capacity at constant pressure; 4186 J/(kg·K) is liquid water.",
                                     "定压比热容；液态水为 4186 J/(kg·K)。")),
              Param("direction", "choice", "absorbed", choices=("absorbed", "released"),
                    title=Text("Sign convention", "符号约定"),
                    description=Text("absorbed: Q > 0 when the stream is heated; released: Q > 0 when it is cooled.",
                                     "absorbed：流体被加热时 Q 为正；released：流体被冷却时 Q 为正。")))

    def process(self, inputs, state):
        t, q = _pointwise(inputs)
        rise = inputs["outlet"].v - inputs["inlet"].v
        if self.p["direction"] == "released":
            rise = -rise
        return {"duty": Chunk(t, inputs["mass_flow"].v * self.p["cp"] * rise / 1000.0, q)}


class Fopdt(Component):
    """First-order plus dead-time process model: ``τ · dy/dt + y = K · u(t − θ)``.

    Transfer function ``G(s) = K e^{−θs} / (τ s + 1)``. The input is held between samples
    (zero-order hold) and delayed by θ exactly (timestamps in ns), and the model is solved
    exactly over each held piece with the actual time step:

    ``y(t + Δt) = a · y(t) + (1 − a) · K · u(t − θ)``, ``a = exp(−Δt/τ)``,

    which for a constant step ``h`` and ``θ = d·h`` is ``y_k = a y_{k−1} + (1 − a) K u_{k−1−d}``.
    The delayed inputs wait in a buffer of past ``(t + θ, u)`` in the state; the time steps may
    vary, so this runs as a loop rather than ``lfilter``. The model starts at rest at
    ``initial`` and stays there until the first input arrives at the output (``t₀ + θ``). A NaN
    input keeps the previous input in effect and makes the output uncertain from ``t + θ``.
    With ``τ = 0`` the model is a pure gain and delay, ``y(t) = K · u(t − θ)``.

    References
    ----------
    D. E. Seborg, T. F. Edgar, D. A. Mellichamp, F. J. Doyle, *Process Dynamics and Control*,
    4th ed., Wiley, 2016 (first-order plus time-delay models).
    K. J. Åström, B. Wittenmark, *Computer-Controlled Systems*, 3rd ed., Prentice Hall, 1997,
    ch. 2 (zero-order-hold sampling of systems with time delay).

    Examples
    --------
    A unit step at ``t_s`` gives ``y(t) = K (1 − e^{−(t − t_s − θ)/τ})`` for ``t ≥ t_s + θ``.
    With K = 2, τ = 10 s and θ = 5 s, a step at 0 s sampled every 5 s reaches
    ``2 (1 − e^{−1}) = 1.264`` at 15 s:

    >>> from nodes.chunk import Chunk
    >>> model = Fopdt({"gain": 2.0, "time_constant": 10.0, "dead_time": 5.0})
    >>> seconds = 1_000_000_000
    >>> out = model.process({"u": Chunk.of([k * 5 * seconds for k in range(4)], [1.0] * 4)}, model.init_state())
    >>> out["y"].v.round(3).tolist()
    [0.0, 0.0, 0.787, 1.264]
    """

    type_name = "process.fopdt"
    category = "process"
    title = Text("First-order plus dead-time model", "一阶加纯滞后模型")
    inputs = (Port("u", Kind.SIGNAL, "*", Text("Input", "输入"), Text("Manipulated variable.", "操纵变量。")),)
    outputs = (Port("y", Kind.SIGNAL, "@unit", Text("Output", "输出"), Text("Process variable.", "过程变量。")),)
    params = (Param("gain", "float", 1.0, title=Text("Gain K", "增益 K"),
                    description=Text("Steady-state change of the output per unit change of the input.",
                                     "输入单位变化引起的输出稳态变化量。")),
              Param("time_constant", "float", 10.0, 0.0, unit="s", title=Text("Time constant τ", "时间常数 τ"),
                    description=Text("Time to reach 63.2 % of a step response after the dead time.",
                                     "纯滞后之后阶跃响应达到 63.2 % 所需时间。")),
              Param("dead_time", "float", 0.0, 0.0, 1e6, unit="s", title=Text("Dead time θ", "纯滞后 θ"),
                    description=Text("Transport delay before the input starts to act.",
                                     "输入开始起作用前的传输延迟。")),
              Param("initial", "float", 0.0, title=Text("Initial output", "初始输出"),
                    description=Text("Output at rest before the first input takes effect.",
                                     "首个输入起作用前的静止输出。")),
              Param("unit", "unit", "", title=Text("Output unit", "输出单位"),
                    description=Text("Unit of the process variable; empty keeps the input unit.",
                                     "过程变量的单位；为空则沿用输入单位。")))

    def init_state(self):
        # y holds the output at time t; u (None until an input acts) is the delayed input in effect.
        return SimpleNamespace(t=None, y=self.p["initial"], u=None, q=GOOD, pending=deque())

    def _advance(self, y: float, u: float | None, dt_ns: int) -> float:
        if u is None or dt_ns <= 0:
            return y
        target = self.p["gain"] * u
        tau = self.p["time_constant"]
        if tau == 0:
            return target
        return y + (target - y) * -math.expm1(-dt_ns * NS / tau)

    def process(self, inputs, state):
        x = inputs["u"]
        delay = round(self.p["dead_time"] / NS)
        s = state
        out = np.empty(len(x))
        quality = np.empty(len(x), np.uint8)
        for i, (tk, uk, qk) in enumerate(zip(x.t.tolist(), x.v.tolist(), x.q.tolist(), strict=True)):
            if s.t is None:
                s.t = tk
            s.pending.append((tk + delay, uk if math.isfinite(uk) else None,
                              qk if math.isfinite(uk) else max(qk, int(UNCERTAIN))))
            while s.pending and s.pending[0][0] <= tk:
                start, value, q = s.pending.popleft()
                s.y = self._advance(s.y, s.u, start - s.t)
                s.t = max(s.t, start)
                if value is not None:
                    s.u = value
                    if self.p["time_constant"] == 0:  # no lag: the output jumps with the delayed input
                        s.y = self.p["gain"] * value
                s.q = q
            s.y = self._advance(s.y, s.u, tk - s.t)
            s.t = max(s.t, tk)
            out[i] = s.y
            quality[i] = s.q
        return {"y": Chunk(x.t, out, quality)}


class Pid(Component):
    """PID controller, positional ISA form with derivative on measurement and anti-windup.

    ``u = bias + Kp · (e + (1/Ti) ∫ e dt − Td · dy_f/dt)``, ``e = r − y`` (reverse action), clipped
    to ``[output_low, output_high]``; direct action uses ``e = y − r`` and ``+Td · dy_f/dt``.

    * The derivative acts on the measurement ``y`` only (no kick on setpoint steps) and is
      filtered, ``Tf = Td/N``, discretised by backward differences:
      ``D_k = (Td D_{k−1} − Kp Td N (y_k − y_{k−1})) / (Td + N h)``.
    * The integral is forward Euler over the actual step ``h`` from the timestamps:
      ``I_k = I_{k−1} + Kp h / Ti · e_{k−1}``; ``Ti = 0`` switches it off.
    * Anti-windup by back-calculation (default): ``I_k += (1 − e^{−h/Tt}) (u_{k−1} − v_{k−1})``,
      ``v`` the unclipped output, tracking time ``Tt`` (0 selects ``√(Ti·Td)``, or ``Ti`` when
      ``Td = 0``); or by clamping (conditional integration: no integration while the output is
      saturated and the error drives it further); or none.

    The output is in % (0–100 by default), ``Kp`` in % per unit of the measurement. A sample
    whose setpoint or measurement is NaN holds the previous output, marked uncertain, and is
    skipped. Inherently sequential (saturation), so it runs as a loop over the samples.

    References
    ----------
    K. J. Åström, T. Hägglund, *Advanced PID Control*, ISA, 2006, ch. 3 (derivative filter,
    integrator windup, computer implementation).
    ISA-TR5.9-2005, *PID Algorithms and Performance Technical Report* (ISA standard form).
    """

    type_name = "process.pid"
    category = "process"
    title = Text("PID controller", "PID 控制器")
    inputs = (Port("setpoint", Kind.SIGNAL, "=measurement", Text("Setpoint", "设定值")),
              Port("measurement", Kind.SIGNAL, "*", Text("Measurement", "测量值"),
                   Text("Process variable being controlled.", "被控过程变量。")))
    outputs = (Port("output", Kind.SIGNAL, "%", Text("Controller output", "控制器输出")),)
    params = (Param("kp", "float", 1.0, 0.0, title=Text("Proportional gain Kp", "比例增益 Kp"),
                    description=Text("Output change (%) per unit of error.", "单位偏差引起的输出变化（%）。")),
              Param("ti", "float", 10.0, 0.0, unit="s", title=Text("Integral time Ti", "积分时间 Ti"),
                    description=Text("0 switches integral action off.", "为 0 时关闭积分作用。")),
              Param("td", "float", 0.0, 0.0, unit="s", title=Text("Derivative time Td", "微分时间 Td"),
                    description=Text("0 switches derivative action off.", "为 0 时关闭微分作用。")),
              Param("derivative_filter", "float", 10.0, 1.0, 1000.0, title=Text("Derivative filter N", "微分滤波 N"),
                    description=Text("The derivative is filtered with time constant Td/N (typically 5–20).",
                                     "微分项经时间常数 Td/N 的滤波（通常取 5–20）。")),
              Param("action", "choice", "reverse", choices=("reverse", "direct"), title=Text("Action", "作用方向"),
                    description=Text("reverse: output rises when the measurement is below the setpoint (heating); "
                                     "direct: output rises when it is above (cooling).",
                                     "反作用：测量值低于设定值时输出增大（加热）；正作用：高于设定值时输出增大（冷却）。")),
              Param("output_low", "float", 0.0, unit="%", title=Text("Output low limit", "输出下限"),
                    description=Text("The output never goes below this value.", "输出不低于此值。")),
              Param("output_high", "float", 100.0, unit="%", title=Text("Output high limit", "输出上限"),
                    description=Text("The output never goes above this value.", "输出不高于此值。")),
              Param("bias", "float", 0.0, unit="%", title=Text("Bias (manual reset)", "偏置（手动复位）"),
                    description=Text("Output at zero error without integral action.",
                                     "无积分作用时零偏差对应的输出。")),
              Param("anti_windup", "choice", "back_calculation", choices=("back_calculation", "clamping", "none"),
                    title=Text("Anti-windup", "抗积分饱和"),
                    description=Text("How the integral is kept from winding up while the output is limited.",
                                     "输出受限时防止积分饱和的方法。")),
              Param("tracking_time", "float", 0.0, 0.0, unit="s", title=Text("Tracking time Tt", "跟踪时间 Tt"),
                    description=Text("Back-calculation time constant; 0 selects √(Ti·Td), or Ti when Td = 0.",
                                     "反算法时间常数；为 0 时取 √(Ti·Td)，Td = 0 时取 Ti。")))

    @classmethod
    def check_params(cls, values, problems):
        if values["output_low"] >= values["output_high"]:
            problems["output_low"] = f"must be below the high limit ({values['output_high']:g})"

    def init_state(self):
        u0 = min(max(self.p["bias"], self.p["output_low"]), self.p["output_high"])
        return SimpleNamespace(t=None, e=0.0, y=0.0, i=0.0, d=0.0, v=u0, u=u0)

    def process(self, inputs, state):
        sp, pv = inputs["setpoint"], inputs["measurement"]
        t, quality = _pointwise(inputs)
        p = self.p
        kp, ti, td, n = p["kp"], p["ti"], p["td"], p["derivative_filter"]
        low, high, bias, mode = p["output_low"], p["output_high"], p["bias"], p["anti_windup"]
        sign = 1.0 if p["action"] == "reverse" else -1.0
        tt = p["tracking_time"] or (math.sqrt(ti * td) if td > 0 else ti)
        s = state
        out = np.empty(len(t))
        for k, (tk, r, y) in enumerate(zip(t.tolist(), sp.v.tolist(), pv.v.tolist(), strict=True)):
            if not (math.isfinite(r) and math.isfinite(y)):
                out[k] = s.u
                quality[k] = max(quality[k], UNCERTAIN)
                continue
            e = sign * (r - y)
            if s.t is not None:
                h = (tk - s.t) * NS
                if ti > 0:
                    step = kp * h / ti * s.e
                    if mode == "back_calculation" and tt > 0:
                        step += -math.expm1(-h / tt) * (s.u - s.v)
                    elif mode == "clamping" and ((s.v > high and step > 0) or (s.v < low and step < 0)):
                        step = 0.0
                    s.i += step
                if td > 0:
                    s.d = (td * s.d - kp * td * n * sign * (y - s.y)) / (td + n * h)
            v = bias + kp * e + s.i + s.d
            u = min(max(v, low), high)
            s.t, s.e, s.y, s.v, s.u = tk, e, y, v, u
            out[k] = u
        return {"output": Chunk(t, out, quality)}


class TankLevel(Component):
    """Tank level from a volume balance: ``dV/dt = Q_in − Q_out``, ``h = V / A``.

    Integrated by the trapezoidal rule over the actual time steps,
    ``V_k = clip(V_{k−1} + ((Q_in − Q_out)_k + (Q_in − Q_out)_{k−1})/2 · Δt, 0, A · h_max)``,
    for a vertical tank of constant cross-section ``A`` starting at ``initial_level``. The tank
    cannot hold less than nothing or more than it holds (it runs dry or overflows): the volume
    is clipped to ``[0, A · h_max]`` and clipped samples are marked uncertain, as are samples
    with a NaN flow (which then counts as zero). While no clipping occurs the sum is vectorised;
    otherwise it runs as a loop.

    References
    ----------
    D. E. Seborg, T. F. Edgar, D. A. Mellichamp, F. J. Doyle, *Process Dynamics and Control*,
    4th ed., Wiley, 2016, ch. 2 (liquid-level storage system).
    R. L. Burden, J. D. Faires, *Numerical Analysis*, 9th ed., §4.3 (trapezoidal rule), 2011.
    """

    type_name = "process.tank_level"
    category = "process"
    title = Text("Tank level (volume balance)", "储罐液位（体积平衡）")
    inputs = (Port("inflow", Kind.SIGNAL, "m^3/s", Text("Inflow", "进料流量")),
              Port("outflow", Kind.SIGNAL, "m^3/s", Text("Outflow", "出料流量")))
    outputs = (Port("level", Kind.SIGNAL, "m", Text("Level", "液位")),
               Port("volume", Kind.SIGNAL, "m^3", Text("Volume", "体积")))
    params = (Param("area", "float", 1.0, 1e-9, unit="m^2", title=Text("Cross-section area", "横截面积"),
                    description=Text("Horizontal cross-section A of the (vertical, prismatic) tank.",
                                     "（立式等截面）储罐的水平横截面积 A。")),
              Param("initial_level", "float", 0.0, 0.0, unit="m", title=Text("Initial level", "初始液位"),
                    description=Text("Level at the first sample.", "第一个采样时刻的液位。")),
              Param("max_level", "float", 10.0, 1e-9, unit="m", title=Text("Maximum level", "最高液位"),
                    description=Text("Level at which the tank overflows.", "储罐溢流时的液位。")))

    @classmethod
    def check_params(cls, values, problems):
        if values["initial_level"] > values["max_level"]:
            problems["initial_level"] = f"must not be above the maximum level ({values['max_level']:g} m)"

    def init_state(self):
        return SimpleNamespace(t=None, net=0.0, volume=self.p["initial_level"] * self.p["area"])

    def process(self, inputs, state):
        t, quality = _pointwise(inputs)
        net = inputs["inflow"].v - inputs["outflow"].v
        missing = ~np.isfinite(net)
        net = np.where(missing, 0.0, net)
        quality = _raise(quality, missing, UNCERTAIN)
        area = self.p["area"]
        if len(t) == 0:
            return {"level": Chunk(t, np.empty(0), quality), "volume": Chunk(t, np.empty(0), quality.copy())}
        first = state.t is None
        prev_t = np.concatenate([[t[0] if first else state.t], t[:-1]])
        prev_net = np.concatenate([[net[0] if first else state.net], net[:-1]])
        increments = (net + prev_net) / 2 * ((t - prev_t) * NS)
        # cumsum adds in order, so this equals the loop below bit for bit while nothing is clipped.
        volume = np.cumsum(np.concatenate([[state.volume], increments]))[1:]
        capacity = area * self.p["max_level"]
        if volume.min() < 0 or volume.max() > capacity:
            volume = np.empty(len(t))
            v = state.volume
            clipped = np.zeros(len(t), bool)
            for k, increment in enumerate(increments.tolist()):  # saturating integrator: sequential
                v += increment
                if v > capacity or v < 0:
                    v = min(max(v, 0.0), capacity)
                    clipped[k] = True
                volume[k] = v
            quality = _raise(quality, clipped, UNCERTAIN)
        state.t, state.net, state.volume = int(t[-1]), float(net[-1]), float(volume[-1])
        return {"level": Chunk(t, volume / area, quality), "volume": Chunk(t, volume, quality.copy())}


class PolytropicHead(Component):
    """Compressor polytropic head: ``H_p = n/(n−1) · Z · R · T₁ / M · [(P₂/P₁)^((n−1)/n) − 1]``.

    ``R = 8314.462618 J/(kmol·K)``, ``M`` the molar mass (kg/kmol), ``Z`` the mean
    compressibility, ``T₁`` the suction temperature and ``P₁``, ``P₂`` the absolute suction and
    discharge pressures; output in kJ/kg. The exponent ``n`` is either the ``exponent``
    parameter or, with ``method = discharge_temperature``, computed from the measured discharge
    temperature ``T₂`` (the ``t2`` input): ``(n−1)/n = ln(T₂/T₁) / ln(P₂/P₁)``. The polytropic
    efficiency is ``η_p = ((κ−1)/κ) / ((n−1)/n)`` with the isentropic exponent ``κ`` (ideal gas).
    ``n = 1`` gives the isothermal head ``Z R T₁/M · ln(P₂/P₁)`` (and no polytropic efficiency:
    NaN, uncertain).

    Non-positive pressures or temperatures, or a missing ``t2`` when it is needed, give NaN and
    bad quality; no pressure ratio (``P₂ = P₁``, machine stopped) gives NaN and uncertain, and
    a discharge colder than the suction gives uncertain values.

    References
    ----------
    API Standard 617, *Axial and Centrifugal Compressors and Expander-compressors*, 8th ed., 2014.
    R. N. Brown, *Compressors: Selection and Sizing*, 3rd ed., Gulf Professional Publishing, 2005.
    J. M. Schultz, "The polytropic analysis of centrifugal compressors", *J. Eng. Power* 84(1), 1962.

    Examples
    --------
    Air (M = 28.97, Z = 1) from 1 to 4 bar(a) at 293.15 K with n = 1.5:
    ``H_p = 3 · 8314.46 · 293.15 / 28.97 · (4^{1/3} − 1) = 148.3 kJ/kg``, and with κ = 1.4
    ``η_p = (0.4/1.4) / (0.5/1.5) = 85.7 %``:

    >>> from nodes.chunk import Chunk
    >>> air = PolytropicHead({"exponent": 1.5, "molar_mass": 28.97, "compressibility": 1.0})
    >>> out = air.process({"p1": Chunk.of([0], [1e5]), "p2": Chunk.of([0], [4e5]),
    ...                    "t1": Chunk.of([0], [293.15])}, air.init_state())
    >>> round(float(out["head"].v[0]), 1), round(float(out["efficiency"].v[0]), 1)
    (148.3, 85.7)
    """

    type_name = "process.polytropic_head"
    category = "process"
    title = Text("Compressor polytropic head", "压缩机多变能头")
    inputs = (Port("p1", Kind.SIGNAL, "Pa", Text("Suction pressure (absolute)", "进口压力（绝压）")),
              Port("p2", Kind.SIGNAL, "Pa", Text("Discharge pressure (absolute)", "出口压力（绝压）")),
              Port("t1", Kind.SIGNAL, "K", Text("Suction temperature", "进口温度")),
              Port("t2", Kind.SIGNAL, "K", Text("Discharge temperature", "出口温度"),
                   Text("Needed only when the exponent is computed from temperatures.",
                        "仅在由温度计算多变指数时需要。"),
                   required=False))
    outputs = (Port("head", Kind.SIGNAL, "kJ/kg", Text("Polytropic head", "多变能头")),
               Port("exponent", Kind.SIGNAL, "", Text("Polytropic exponent n", "多变指数 n")),
               Port("efficiency", Kind.SIGNAL, "%", Text("Polytropic efficiency", "多变效率")))
    params = (Param("method", "choice", "exponent", choices=("exponent", "discharge_temperature"),
                    title=Text("Exponent from", "多变指数来源"),
                    description=Text("exponent: use the parameter n; discharge_temperature: compute n from T₂.",
                                     "exponent：使用参数 n；discharge_temperature：由出口温度 T₂ 计算 n。")),
              Param("exponent", "float", 1.5, 1.0, 10.0, title=Text("Polytropic exponent n", "多变指数 n"),
                    description=Text("Exponent of p·vⁿ = const, used when the method is 'exponent'; 1 is isothermal.",
                                     "p·vⁿ = 常数中的指数，方法为 exponent 时使用；1 为等温压缩。")),
              Param("compressibility", "float", 1.0, 1e-6, 5.0, title=Text("Compressibility factor Z", "压缩因子 Z"),
                    description=Text("Mean of suction and discharge compressibility.", "进出口压缩因子的平均值。")),
              Param("molar_mass", "float", 28.97, 1e-3, unit="kg/kmol", title=Text("Molar mass M", "摩尔质量 M"),
                    description=Text("28.97 kg/kmol is dry air.", "干空气为 28.97 kg/kmol。")),
              Param("isentropic_exponent", "float", 1.4, 1.0, 5.0, title=Text("Isentropic exponent κ", "等熵指数 κ"),
                    description=Text("Ratio of specific heats c_p/c_v, for the polytropic efficiency.",
                                     "比热比 c_p/c_v，用于计算多变效率。")))

    def process(self, inputs, state):
        p1, p2, t1 = inputs["p1"].v, inputs["p2"].v, inputs["t1"].v
        by_temperature = self.p["method"] == "discharge_temperature"
        used = {k: inputs[k] for k in ("p1", "p2", "t1", "t2") if k in inputs and (k != "t2" or by_temperature)}
        t, q = _pointwise(used)
        invalid = ~((p1 > 0) & (p2 > 0) & (t1 > 0))
        with np.errstate(divide="ignore", invalid="ignore"):
            log_ratio = np.log(np.where(invalid, 1.0, p2 / np.where(invalid, 1.0, p1)))
            if not by_temperature:
                m = np.full(len(t), (self.p["exponent"] - 1.0) / self.p["exponent"])
            elif "t2" not in inputs:
                m = np.full(len(t), np.nan)
                invalid = np.ones(len(t), bool)
            else:
                t2 = inputs["t2"].v
                invalid = invalid | ~(t2 > 0)
                no_ratio = log_ratio == 0
                m = np.where(no_ratio, np.nan, np.log(np.where(invalid, 1.0, t2 / np.where(invalid, 1.0, t1)))
                             / np.where(no_ratio, 1.0, log_ratio))
                q = _raise(q, no_ratio | (m < 0), UNCERTAIN)
            isothermal = m == 0
            shape = np.where(isothermal, log_ratio, np.expm1(m * log_ratio) / np.where(isothermal, 1.0, m))
            head = self.p["compressibility"] * R_UNIVERSAL * t1 / self.p["molar_mass"] * shape / 1000.0
            exponent = 1.0 / (1.0 - m)
            kappa = self.p["isentropic_exponent"]
            efficiency = np.where(m > 0, 100.0 * (kappa - 1.0) / kappa / np.where(m > 0, m, 1.0), np.nan)
        q = _raise(q, invalid, BAD)
        head, exponent, efficiency = (np.where(invalid, np.nan, a) for a in (head, exponent, efficiency))
        return {"head": Chunk(t, head, q), "exponent": Chunk(t, exponent, q.copy()),
                "efficiency": Chunk(t, efficiency, _raise(q, ~(m > 0), UNCERTAIN))}


class Oee(Component):
    """Overall equipment effectiveness: ``OEE = Availability × Performance × Quality``.

    ``A = run time / planned time``, ``P = ideal cycle time × total count / run time``,
    ``Q = good count / total count``; OEE is computed as the equal product
    ``ideal cycle time × good count / planned time``, which stays defined (0) when nothing ran.
    All in %. Inputs are aligned totals over the same period (a shift, a day). A ratio with a
    zero denominator is NaN and uncertain; inconsistent data (run time above planned time, good
    above total count, performance above 100 %, negative values) is marked uncertain.

    References
    ----------
    S. Nakajima, *Introduction to TPM: Total Productive Maintenance*, Productivity Press, 1988.
    ISO 22400-2:2014, *Automation systems and integration — Key performance indicators (KPIs) for
    manufacturing operations management — Part 2*, KPI "OEE index".

    Examples
    --------
    A = 90 %, P = 95 %, Q = 99 % gives OEE = 0.90 · 0.95 · 0.99 = 84.6 %: 18,000 s run of
    20,000 s planned, 1000 parts at an ideal 17.1 s each, 990 of them good:

    >>> from nodes.chunk import Chunk
    >>> oee = Oee({"ideal_cycle_time": 17.1})
    >>> totals = {"planned_time": 20_000.0, "run_time": 18_000.0, "total_count": 1000.0, "good_count": 990.0}
    >>> out = oee.process({k: Chunk.of([0], [v]) for k, v in totals.items()}, oee.init_state())
    >>> [round(float(out[k].v[0]), 1) for k in ("availability", "performance", "quality", "oee")]
    [90.0, 95.0, 99.0, 84.6]
    """

    type_name = "process.oee"
    category = "process"
    title = Text("Overall equipment effectiveness (OEE)", "设备综合效率（OEE）")
    inputs = (Port("planned_time", Kind.SIGNAL, "s", Text("Planned production time", "计划生产时间")),
              Port("run_time", Kind.SIGNAL, "s", Text("Run time", "运行时间")),
              Port("total_count", Kind.SIGNAL, "", Text("Total count", "总产量")),
              Port("good_count", Kind.SIGNAL, "", Text("Good count", "合格品数量")))
    outputs = (Port("availability", Kind.SIGNAL, "%", Text("Availability", "可用率")),
               Port("performance", Kind.SIGNAL, "%", Text("Performance", "性能率")),
               Port("quality", Kind.SIGNAL, "%", Text("Quality", "合格率")),
               Port("oee", Kind.SIGNAL, "%", Text("OEE", "设备综合效率")))
    params = (Param("ideal_cycle_time", "float", 1.0, 1e-9, unit="s", title=Text("Ideal cycle time", "理想节拍时间"),
                    description=Text("Fastest possible time to produce one unit.", "生产一件产品的最短理论时间。")),)

    def process(self, inputs, state):
        t, q = _pointwise(inputs)
        planned, run = inputs["planned_time"].v, inputs["run_time"].v
        total, good = inputs["total_count"].v, inputs["good_count"].v
        ideal = self.p["ideal_cycle_time"]

        def ratio(num, den):
            positive = den > 0
            with np.errstate(divide="ignore", invalid="ignore"):
                return np.where(positive, 100.0 * num / np.where(positive, den, 1.0), np.nan), ~positive

        availability, no_plan = ratio(run, planned)
        performance, no_run = ratio(ideal * total, run)
        quality, no_output = ratio(good, total)
        oee, _ = ratio(ideal * good, planned)
        inconsistent = ((run > planned) | (good > total) | (performance > 100.0 * (1 + 1e-9)) | (planned < 0)
                        | (run < 0) | (total < 0) | (good < 0))
        q = _raise(q, inconsistent, UNCERTAIN)
        return {"availability": Chunk(t, availability, _raise(q, no_plan, UNCERTAIN)),
                "performance": Chunk(t, performance, _raise(q, no_run, UNCERTAIN)),
                "quality": Chunk(t, quality, _raise(q, no_output, UNCERTAIN)),
                "oee": Chunk(t, oee, _raise(q, no_plan, UNCERTAIN))}


class EnergyPerUnit(Component):
    """Specific energy consumption over a trailing window: ``SEC_k = ΔE / ΔN``.

    ``ΔE = E_k − E_{k−W}`` and ``ΔN = N_k − N_{k−W}`` from a cumulative energy meter (kWh) and
    a cumulative production counter, ``W`` samples back; the result is kWh per unit produced.
    Until ``W`` earlier samples exist the oldest one is used and the result is uncertain. Where
    nothing was produced (``ΔN ≤ 0``) or the meter went backwards (reset, ``ΔE < 0``) the
    result is NaN and uncertain. The quality is the worst of the samples differenced.

    References
    ----------
    ISO 50006:2014, *Energy management systems — Measuring energy performance using energy
    baselines (EnB) and energy performance indicators (EnPI)*, ratio EnPIs.
    ISO 50001:2018, *Energy management systems — Requirements with guidance for use*.

    Examples
    --------
    The meter advances 2.5 kWh while the counter advances 10 units: 0.25 kWh per unit. The first
    sample has nothing before it to difference against (NaN, uncertain):

    >>> from nodes.chunk import Chunk
    >>> sec = EnergyPerUnit({"window": 1})
    >>> out = sec.process({"energy": Chunk.of([0, 1], [100.0, 102.5]), "units": Chunk.of([0, 1], [40.0, 50.0])},
    ...                   sec.init_state())
    >>> out["sec"].v.tolist()
    [nan, 0.25]
    """

    type_name = "process.energy_per_unit"
    category = "process"
    title = Text("Energy per unit produced", "单位产品能耗")
    inputs = (Port("energy", Kind.SIGNAL, "kWh", Text("Energy meter reading", "电能表读数"),
                   Text("Cumulative energy (a meter reading).", "累计能耗（表计读数）。")),
              Port("units", Kind.SIGNAL, "", Text("Units produced", "累计产量"),
                   Text("Cumulative production count.", "累计产量计数。")))
    outputs = (Port("sec", Kind.SIGNAL, "kWh", Text("Energy per unit", "单位产品能耗"),
                    Text("Energy per unit produced (kWh/unit).", "每单位产品的能耗（kWh/件）。")),)
    params = (Param("window", "int", 60, 1, 10_000_000, title=Text("Window (samples)", "窗口（采样点）"),
                    description=Text("How many samples back the differences are taken.", "差值向前跨越的采样点数。")),)

    def init_state(self):
        window = self.p["window"]
        return SimpleNamespace(energy=Tail(window), units=Tail(window))

    def process(self, inputs, state):
        energy, units = inputs["energy"], inputs["units"]
        t = require_aligned(inputs)
        window = self.p["window"]
        e, qe, offset = state.energy.extend(energy)
        n, qn, _ = state.units.extend(units)
        now = np.arange(offset, offset + len(t))
        warming = now < window
        back = np.where(warming, 0, now - window)
        d_energy, d_units = e[now] - e[back], n[now] - n[back]
        undefined = ~(d_units > 0) | (d_energy < 0)
        with np.errstate(divide="ignore", invalid="ignore"):
            sec = np.where(undefined, np.nan, d_energy / np.where(undefined, 1.0, d_units))
        quality = worst_quality(qe[now], qe[back], qn[now], qn[back]).astype(np.uint8)
        quality = _raise(quality, undefined | warming, UNCERTAIN)
        return {"sec": Chunk(t, sec, quality)}


COMPONENTS = (PumpAffinity, PumpPower, MotorLoad, Lmtd, HeatDuty, Fopdt, Pid, TankLevel, PolytropicHead, Oee,
              EnergyPerUnit)
