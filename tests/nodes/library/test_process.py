"""Process components: worked examples and closed forms, declarations, empty chunks, chunk invariance."""

from __future__ import annotations

import math
from decimal import Decimal, localcontext

import numpy as np
import pytest
from hypothesis import given, settings

from nodes.chunk import BAD, GOOD, UNCERTAIN, Chunk
from nodes.component import ParamError
from nodes.library.process import (
    COMPONENTS,
    R_UNIVERSAL,
    EnergyPerUnit,
    Fopdt,
    HeatDuty,
    Lmtd,
    MotorLoad,
    Oee,
    Pid,
    PolytropicHead,
    PumpAffinity,
    PumpPower,
    TankLevel,
)
from nodes.registry import declaration_problem
from nodes.units import conversion
from tests.nodes.helpers import SECOND, assert_same, cut_points, run, signal

START = 1_700_000_000 * SECOND


def const(value, n: int, rate: float = 1.0) -> Chunk:
    return signal(np.full(n, float(value)), rate=rate)


def irregular(values, seed: int) -> Chunk:
    """A chunk of ``values`` at irregular times (steps between 5 and 150 ms)."""
    rng = np.random.default_rng(seed)
    steps = rng.integers(5_000_000, 150_000_000, len(values))
    return Chunk.of(START + np.cumsum(steps), values)


def on_times(chunk: Chunk, values, quality=None) -> Chunk:
    return Chunk.of(chunk.t, values, quality)


# -- declarations ------------------------------------------------------------------------------------


def test_at_least_eleven_components_with_unique_type_names():
    names = [cls.type_name for cls in COMPONENTS]
    assert len(names) >= 11
    assert len(set(names)) == len(names)
    assert {"process.pump_affinity", "process.pump_power", "process.motor_load", "process.lmtd",
            "process.heat_duty", "process.fopdt", "process.pid", "process.tank_level",
            "process.polytropic_head", "process.oee", "process.energy_per_unit"} <= set(names)


@pytest.mark.parametrize("cls", COMPONENTS, ids=lambda c: c.type_name)
def test_declaration_is_valid_and_bilingual(cls):
    assert declaration_problem(cls) is None
    assert cls.type_name.startswith("process.") and cls.category == "process"
    assert cls.title.en and cls.title.zh
    doc = cls.__doc__
    assert "References\n    ----------" in doc
    for port in cls.inputs + cls.outputs:
        assert port.title.en and port.title.zh, port.name
    for param in cls.params:
        assert param.title.en and param.title.zh, param.name
        assert param.description.en and param.description.zh, param.name
    assert cls.spec()["summary"]


# -- pump_affinity ------------------------------------------------------------------------------------


def test_pump_affinity_laws():
    pump = PumpAffinity({"rated_speed": 1480.0, "rated_flow": 100.0, "rated_head": 30.0, "rated_power": 11.0})
    out = run(pump, {"speed": signal([1480.0, 740.0, 0.0, 2960.0, 1110.0])})
    np.testing.assert_allclose(out["flow"].v, [100, 50, 0, 200, 75])
    np.testing.assert_allclose(out["head"].v, [30, 7.5, 0, 120, 16.875])
    np.testing.assert_allclose(out["power"].v, [11, 1.375, 0, 88, 11 * 0.75**3])
    # Similar points: P/P₀ = (Q/Q₀)(H/H₀) (equal efficiency).
    np.testing.assert_allclose(out["power"].v / 11, out["flow"].v / 100 * out["head"].v / 30)
    assert (out["flow"].q == GOOD).all()


def test_pump_affinity_reverse_rotation_is_uncertain():
    out = run(PumpAffinity(), {"speed": signal([-100.0, 100.0])})
    assert list(out["flow"].q) == [UNCERTAIN, GOOD]


# -- pump_power -------------------------------------------------------------------------------------------


def test_pump_power_50_litres_per_second_at_30_m_is_14_7_kw():
    flow = conversion("L/s", "m^3/s")(np.array([50.0, 50.0, 50.0]))  # what the engine does at the edge
    out = run(PumpPower(), {"flow": signal(flow), "head": signal([30.0] * 3), "shaft_power": signal([20.0, 0.0, 20.0],
                                                                                                    quality=[0, 0, 1])})
    expected = 998.2 * 9.80665 * 0.05 * 30 / 1000
    np.testing.assert_allclose(out["hydraulic_power"].v, expected)
    assert round(expected, 1) == 14.7
    assert out["efficiency"].v[0] == pytest.approx(100 * expected / 20) and round(out["efficiency"].v[0], 1) == 73.4
    assert math.isnan(out["efficiency"].v[1])
    assert list(out["efficiency"].q) == [GOOD, UNCERTAIN, UNCERTAIN]
    assert list(out["hydraulic_power"].q) == [GOOD, GOOD, GOOD]


def test_pump_power_cubic_metres_per_hour_and_no_shaft_input():
    flow = conversion("m^3/h", "m^3/s")(np.array([180.0]))
    out = run(PumpPower({"density": 1000.0}), {"flow": signal(flow), "head": signal([30.0])})
    assert out["hydraulic_power"].v[0] == pytest.approx(1000 * 9.80665 * 0.05 * 30 / 1000)
    assert math.isnan(out["efficiency"].v[0]) and out["efficiency"].q[0] == BAD


# -- motor_load ---------------------------------------------------------------------------------------------


def test_motor_load_from_measured_voltage_and_power_factor():
    motor = MotorLoad({"rated_power": 15.0, "rated_efficiency": 92.0})
    out = run(motor, {"current": signal([25.0, 0.0]), "voltage": signal([400.0, 400.0]),
                      "power_factor": signal([0.85, 0.85])})
    p_in = math.sqrt(3) * 400 * 25 * 0.85 / 1000
    assert p_in == pytest.approx(14.722, abs=5e-4)
    np.testing.assert_allclose(out["input_power"].v, [p_in, 0.0])
    np.testing.assert_allclose(out["shaft_power"].v, [0.92 * p_in, 0.0])
    np.testing.assert_allclose(out["load"].v, [100 * 0.92 * p_in / 15, 0.0])
    assert round(out["load"].v[0], 1) == 90.3


def test_motor_load_falls_back_to_nominal_voltage_and_power_factor_parameter():
    measured = run(MotorLoad(), {"current": signal([10.0, 20.0]), "voltage": signal([400.0, 400.0]),
                                 "power_factor": signal([0.85, 0.85])})
    nominal = run(MotorLoad({"nominal_voltage": 400.0, "power_factor": 0.85}), {"current": signal([10.0, 20.0])})
    assert_same(measured, nominal)
    kilovolt = run(MotorLoad(), {"current": signal([10.0]), "voltage": signal([690.0], quality=[UNCERTAIN])})
    assert kilovolt["input_power"].v[0] == pytest.approx(math.sqrt(3) * 690 * 10 * 0.85 / 1000)
    assert kilovolt["load"].q[0] == UNCERTAIN


# -- lmtd and heat_duty (Incropera, Example 11.1) -----------------------------------------------------------

# Counter-flow oil cooler: oil 0.1 kg/s, c_p 2131 J/(kg·K), 100 → 60 °C; water 0.2 kg/s, c_p 4178 J/(kg·K),
# enters at 30 °C and leaves at 40.2 °C; q = 8524 W, ΔT_lm = 43.2 °C, U = 38.1 W/(m²·K) (h_i = 2250, h_o = 38.8),
# inner tube D = 25 mm, L = 65.9 m.


def test_lmtd_incropera_example_11_1():
    area = math.pi * 0.025 * 65.9
    lmtd = Lmtd({"u_value": 38.1, "area": area})
    out = run(lmtd, {"hot_in": signal([100.0]), "hot_out": signal([60.0]), "cold_in": signal([30.0]),
                     "cold_out": signal([40.2])})
    assert out["lmtd"].v[0] == pytest.approx(43.2, abs=0.05)
    assert out["lmtd"].v[0] == pytest.approx((59.8 - 30) / math.log(59.8 / 30), rel=1e-12)
    assert out["duty"].v[0] == pytest.approx(8.524, rel=0.01)  # the book rounds U, L and ΔT_lm
    assert out["duty"].v[0] == pytest.approx(38.1 * area * out["lmtd"].v[0] / 1000, rel=1e-12)


def test_heat_duty_incropera_example_11_1_energy_balance():
    oil = run(HeatDuty({"cp": 2131.0, "direction": "released"}),
              {"mass_flow": signal([0.1]), "inlet": signal([100.0]), "outlet": signal([60.0])})
    assert oil["duty"].v[0] == pytest.approx(8.524, rel=1e-12)
    water = run(HeatDuty({"cp": 4178.0}), {"mass_flow": signal([0.2]), "inlet": signal([30.0]),
                                           "outlet": signal([40.2])})
    assert water["duty"].v[0] == pytest.approx(8.524, rel=1e-3)  # T_c,o rounded to 40.2 °C in the book
    absorbed = run(HeatDuty({"cp": 2131.0}), {"mass_flow": signal([0.1]), "inlet": signal([100.0]),
                                              "outlet": signal([60.0])})
    assert absorbed["duty"].v[0] == pytest.approx(-8.524)


def test_heat_duty_kelvin_inputs_give_the_same_duty():
    to_c = conversion("K", "degC")
    out = run(HeatDuty(), {"mass_flow": signal([2.0]), "inlet": signal(to_c(np.array([283.15]))),
                           "outlet": signal(to_c(np.array([293.15])))})
    assert out["duty"].v[0] == pytest.approx(2 * 4186 * 10 / 1000)


def test_lmtd_parallel_flow_and_kelvin_inputs():
    to_c = conversion("K", "degC")
    temps = {"hot_in": 150.0, "hot_out": 90.0, "cold_in": 20.0, "cold_out": 70.0}
    kelvin = {k: signal(to_c(np.array([v + 273.15]))) for k, v in temps.items()}
    out = run(Lmtd({"arrangement": "parallel", "u_value": 1000.0, "area": 2.0, "correction": 0.9}), kelvin)
    expected = (130 - 20) / math.log(130 / 20)  # ΔT₁ = 150 − 20, ΔT₂ = 90 − 70
    assert out["lmtd"].v[0] == pytest.approx(expected, rel=1e-12)
    assert out["duty"].v[0] == pytest.approx(1000 * 2 * 0.9 * expected / 1000, rel=1e-12)


def test_lmtd_equal_differences_limit_is_continuous():
    with localcontext() as ctx:
        ctx.prec = 50

        def exact(d1, d2):
            a, b = Decimal(d1), Decimal(d2)
            return float(a) if a == b else float((a - b) / (a / b).ln())

        dt1 = np.array([20.0, 20.0 + 1e-9, 20.0 * (1 + 0.99e-4), 20.0 * (1 + 1.01e-4), 20.0 * (1 - 0.99e-4), 40.0])
        out = run(Lmtd(), {"hot_in": signal(60.0 + dt1), "hot_out": signal([60.0] * 6),
                           "cold_in": signal([40.0] * 6), "cold_out": signal([60.0] * 6)})
        np.testing.assert_allclose(out["lmtd"].v, [exact(d, 20.0) for d in 60.0 + dt1 - 60.0], rtol=1e-14)
        assert out["lmtd"].v[0] == 20.0


def test_lmtd_temperature_cross_is_bad():
    out = run(Lmtd(), {"hot_in": signal([100.0, 100.0]), "hot_out": signal([50.0, 50.0]),
                       "cold_in": signal([60.0, 20.0]), "cold_out": signal([110.0, 50.0])})
    assert math.isnan(out["lmtd"].v[0]) and math.isnan(out["duty"].v[0])
    assert list(out["lmtd"].q) == [BAD, GOOD]
    assert out["lmtd"].v[1] == pytest.approx((50 - 30) / math.log(50 / 30))


# -- fopdt ------------------------------------------------------------------------------------------------


def step_response(t_s, gain, tau, theta, step_time):
    elapsed = np.asarray(t_s) - step_time - theta
    return np.where(elapsed >= 0, gain * (1 - np.exp(-np.maximum(elapsed, 0) / tau)), 0.0)


def test_fopdt_matches_the_analytic_step_response():
    u = np.where(np.arange(400) >= 50, 1.0, 0.0)  # step at t = 5 s, sampled at 10 Hz
    model = Fopdt({"gain": 2.0, "time_constant": 5.0, "dead_time": 2.35})
    out = run(model, {"u": signal(u, rate=10.0)})
    t = np.arange(400) / 10.0
    np.testing.assert_allclose(out["y"].v, step_response(t, 2.0, 5.0, 2.35, 5.0), rtol=0, atol=1e-12)
    assert out["y"].v[-1] == pytest.approx(2 * (1 - math.exp(-(39.9 - 7.35) / 5)))


def test_fopdt_exact_at_irregular_sample_times():
    chunk = irregular(np.zeros(300), seed=3)
    t = (chunk.t - chunk.t[0]) * 1e-9
    step_time = t[100]
    u = on_times(chunk, np.where(t >= step_time, 1.0, 0.0))
    out = run(Fopdt({"gain": -0.5, "time_constant": 1.3, "dead_time": 0.777}), {"u": u})
    np.testing.assert_allclose(out["y"].v, step_response(t, -0.5, 1.3, 0.777, step_time), rtol=0, atol=1e-12)


def test_fopdt_initial_output_and_pure_delay():
    decay = run(Fopdt({"initial": 3.0, "time_constant": 2.0}), {"u": const(0.0, 5)})
    np.testing.assert_allclose(decay["y"].v, 3.0 * np.exp(-np.arange(5) / 2.0))
    held = run(Fopdt({"initial": 3.0, "time_constant": 2.0, "dead_time": 2.5}), {"u": const(0.0, 5)})
    np.testing.assert_allclose(held["y"].v, [3.0, 3.0, 3.0, 3.0 * math.exp(-0.5 / 2), 3.0 * math.exp(-1.5 / 2)])
    x = np.arange(10.0)
    delay = run(Fopdt({"gain": 2.0, "time_constant": 0.0, "dead_time": 3.0}), {"u": signal(x, rate=1.0)})
    np.testing.assert_allclose(delay["y"].v, [0, 0, 0, *(2 * x[:-3])])


def test_fopdt_nan_input_holds_previous_input_and_is_uncertain_after_dead_time():
    u = signal([1.0, 1.0, np.nan, 1.0, 1.0, 1.0], rate=1.0)
    out = run(Fopdt({"time_constant": 1.0, "dead_time": 2.0}), {"u": u})
    assert np.isfinite(out["y"].v).all()
    assert list(out["y"].q) == [GOOD, GOOD, GOOD, GOOD, UNCERTAIN, GOOD]
    np.testing.assert_allclose(out["y"].v, step_response(np.arange(6.0), 1.0, 1.0, 2.0, 0.0))


# -- pid --------------------------------------------------------------------------------------------------


def closed_loop(params, setpoint, plant_gain=1.0, tau=10.0, dt=0.1):
    """PID on a first-order plant ``τ dy/dt + y = K u`` (exact ZOH steps), one sample per call."""
    pid = Pid(params)
    state = pid.init_state()
    a = math.exp(-dt / tau)
    y, ys, us = 0.0, [], []
    for k, r in enumerate(setpoint):
        t = [START + round(k * dt * SECOND)]
        u = pid.process({"setpoint": Chunk.of(t, [r]), "measurement": Chunk.of(t, [y])}, state)["output"].v[0]
        ys.append(y)
        us.append(u)
        y = a * y + (1 - a) * plant_gain * u
    return np.array(ys), np.array(us)


def test_pid_proportional_only_leaves_the_steady_state_error():
    y, u = closed_loop({"kp": 2.0, "ti": 0.0}, [50.0] * 1000)
    # Loop gain K·Kp = 2: y = K Kp r / (1 + K Kp), e = r / (1 + K Kp).
    assert y[-1] == pytest.approx(100 / 3, abs=1e-6)
    assert u[-1] == pytest.approx(2 * 50 / 3, abs=1e-6)


def test_pid_integral_action_removes_the_offset():
    y, u = closed_loop({"kp": 2.0, "ti": 5.0}, [50.0] * 2000)
    assert y[-1] == pytest.approx(50.0, abs=1e-6)
    assert u[-1] == pytest.approx(50.0, abs=1e-6)


def test_pid_output_never_leaves_its_limits():
    rng = np.random.default_rng(7)
    sp, pv = signal(rng.normal(0, 50, 2000), rate=10.0), signal(rng.normal(0, 50, 2000), rate=10.0)
    pid = Pid({"kp": 20.0, "ti": 1.0, "td": 1.0, "output_low": 10.0, "output_high": 90.0, "anti_windup": "none"})
    out = run(pid, {"setpoint": sp, "measurement": pv})["output"].v
    assert out.min() == 10.0 and out.max() == 90.0
    assert ((out >= 10.0) & (out <= 90.0)).all()


@pytest.mark.parametrize("mode", ["back_calculation", "clamping"])
def test_pid_anti_windup_recovers_much_faster_after_saturation(mode):
    # 100 s at an unreachable setpoint (u ≤ 100 % gives y ≤ 100) winds the integral up; then 50.
    setpoint = [150.0] * 1000 + [50.0] * 1500
    params = {"kp": 2.0, "ti": 5.0}
    y_aw, u_aw = closed_loop({**params, "anti_windup": mode}, setpoint)
    y_none, u_none = closed_loop({**params, "anti_windup": "none"}, setpoint)
    assert u_aw[:1000].max() == 100.0 and u_none[:1000].max() == 100.0

    def recovery_time(y):
        return np.argmax(y[1000:] < 55.0) * 0.1

    assert recovery_time(y_aw) < 10.0
    assert recovery_time(y_none) > 3 * recovery_time(y_aw)
    assert y_aw[-1] == pytest.approx(50.0, abs=1e-3)
    iae_aw, iae_none = (np.abs(50.0 - y[1000:]).sum() * 0.1 for y in (y_aw, y_none))
    assert iae_aw < 0.3 * iae_none  # integrated absolute error after the setpoint change


def test_pid_derivative_acts_on_the_measurement_only():
    p = {"kp": 1.0, "ti": 0.0, "td": 2.0, "bias": 50.0}
    step = run(Pid(p), {"setpoint": signal([20.0] * 5 + [30.0] * 5, rate=10.0),
                        "measurement": signal([20.0] * 10, rate=10.0)})
    np.testing.assert_allclose(step["output"].v, [50.0] * 5 + [60.0] * 5)  # no derivative kick
    ramp = np.arange(200) / 10.0  # measurement rising at 1 unit/s
    out = run(Pid(p), {"setpoint": signal([20.0] * 200, rate=10.0), "measurement": signal(ramp, rate=10.0)})
    derivative = out["output"].v - 50.0 - (20.0 - ramp)
    assert derivative[-1] == pytest.approx(-2.0, abs=1e-9)  # −Kp·Td·dy/dt once the filter Td/N has settled


def test_pid_direct_action_nan_hold_and_limits_parameter_check():
    p = {"kp": 1.0, "ti": 0.0, "bias": 50.0}
    direct = run(Pid({**p, "action": "direct"}), {"setpoint": signal([50.0]), "measurement": signal([60.0])})
    reverse = run(Pid(p), {"setpoint": signal([50.0]), "measurement": signal([60.0])})
    assert direct["output"].v[0] == 60.0 and reverse["output"].v[0] == 40.0
    held = run(Pid(p), {"setpoint": signal([50.0, 50.0, 50.0]), "measurement": signal([45.0, np.nan, 48.0])})
    np.testing.assert_allclose(held["output"].v, [55.0, 55.0, 52.0])
    assert list(held["output"].q) == [GOOD, UNCERTAIN, GOOD]
    with pytest.raises(ParamError):
        Pid({"output_low": 50.0, "output_high": 50.0})


# -- tank_level -------------------------------------------------------------------------------------------


def test_tank_level_constant_flows():
    tank = TankLevel({"area": 2.0, "initial_level": 1.0})
    inflow = conversion("m^3/h", "m^3/s")(np.full(101, 36.0))  # 36 m³/h = 0.01 m³/s
    out = run(tank, {"inflow": signal(inflow, rate=1.0), "outflow": const(0.005, 101)})
    t = np.arange(101.0)
    np.testing.assert_allclose(out["level"].v, 1.0 + 0.005 * t / 2.0, rtol=1e-12)
    np.testing.assert_allclose(out["volume"].v, 2.0 + 0.005 * t, rtol=1e-12)
    assert (out["level"].q == GOOD).all()


def test_tank_level_sinusoidal_inflow_matches_the_integral():
    omega = 2 * math.pi / 100
    t = np.arange(2001) / 10.0
    tank = TankLevel({"area": 0.5, "initial_level": 2.0})
    out = run(tank, {"inflow": signal(0.01 * (1 + np.sin(omega * t)), rate=10.0),
                     "outflow": signal(np.full(len(t), 0.01), rate=10.0)})
    exact = 2.0 + 0.01 * (1 - np.cos(omega * t)) / omega / 0.5
    np.testing.assert_allclose(out["level"].v, exact, atol=1e-5)


def test_tank_level_overflows_and_runs_dry_with_uncertain_quality():
    inflow = np.array([1.0] * 5 + [0.0] * 10)
    out = run(TankLevel({"area": 1.0, "initial_level": 1.5, "max_level": 2.0}),
              {"inflow": signal(inflow, rate=1.0), "outflow": signal([0.0] * 5 + [1.0] * 10, rate=1.0)})
    level = out["level"].v
    assert level.max() == 2.0 and level.min() == 0.0
    assert ((level >= 0.0) & (level <= 2.0)).all()
    np.testing.assert_allclose(level[:6], [1.5, 2.0, 2.0, 2.0, 2.0, 2.0])  # sample 5: trapezoid (1 − 1)/2 = 0
    np.testing.assert_allclose(level[6:], [1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0])
    assert list(out["level"].q[:6]) == [GOOD, UNCERTAIN, UNCERTAIN, UNCERTAIN, UNCERTAIN, GOOD]
    assert list(out["level"].q[6:9]) == [GOOD, GOOD, UNCERTAIN] and (out["level"].q[8:] == UNCERTAIN).all()
    with pytest.raises(ParamError):
        TankLevel({"initial_level": 3.0, "max_level": 2.0})


# -- polytropic_head --------------------------------------------------------------------------------------


def polytropic(n, p1, p2, t1, z=1.0, molar=28.97):
    return n / (n - 1) * z * R_UNIVERSAL * t1 / molar * ((p2 / p1) ** ((n - 1) / n) - 1) / 1000


def test_polytropic_head_air_example_in_bar():
    to_pa = conversion("bar", "Pa")
    comp = PolytropicHead({"exponent": 1.5})
    out = run(comp, {"p1": signal(to_pa(np.array([1.0, 2.0]))), "p2": signal(to_pa(np.array([4.0, 8.0]))),
                     "t1": signal([293.15, 293.15])})
    expected = 3 * 8314.462618 * 293.15 / 28.97 * (4 ** (1 / 3) - 1) / 1000
    assert expected == pytest.approx(148.3, abs=0.05)
    np.testing.assert_allclose(out["head"].v, [expected, expected], rtol=1e-12)  # only the ratio matters
    np.testing.assert_allclose(out["exponent"].v, 1.5)
    np.testing.assert_allclose(out["efficiency"].v, 100 * (0.4 / 1.4) / (0.5 / 1.5))  # 85.7 %


def test_polytropic_head_from_discharge_temperature():
    t1, ratio, n = 300.0, np.array([2.0, 3.5, 6.0]), np.array([1.3, 1.45, 1.6])
    t2 = t1 * ratio ** ((n - 1) / n)
    comp = PolytropicHead({"method": "discharge_temperature", "compressibility": 0.98, "molar_mass": 18.5})
    p1 = np.full(3, 1.2e5)
    out = run(comp, {"p1": signal(p1), "p2": signal(p1 * ratio), "t1": signal([t1] * 3), "t2": signal(t2)})
    np.testing.assert_allclose(out["exponent"].v, n, rtol=1e-12)
    np.testing.assert_allclose(out["head"].v, polytropic(n, p1, p1 * ratio, t1, 0.98, 18.5), rtol=1e-12)
    # Ideal gas identity: H_p = n/(n−1) · Z R (T₂ − T₁) / M.
    np.testing.assert_allclose(out["head"].v, n / (n - 1) * 0.98 * R_UNIVERSAL * (t2 - t1) / 18.5 / 1000, rtol=1e-12)


def test_polytropic_head_isothermal_limit_and_invalid_inputs():
    iso = run(PolytropicHead({"exponent": 1.0}), {"p1": signal([1e5]), "p2": signal([3e5]), "t1": signal([300.0])})
    assert iso["head"].v[0] == pytest.approx(R_UNIVERSAL * 300 / 28.97 * math.log(3) / 1000, rel=1e-12)
    assert math.isnan(iso["efficiency"].v[0]) and iso["efficiency"].q[0] == UNCERTAIN
    near = run(PolytropicHead({"exponent": 1.0 + 1e-9}), {"p1": signal([1e5]), "p2": signal([3e5]),
                                                          "t1": signal([300.0])})
    assert near["head"].v[0] == pytest.approx(iso["head"].v[0], rel=1e-8)
    bad = run(PolytropicHead(), {"p1": signal([0.0, 1e5]), "p2": signal([3e5, 3e5]), "t1": signal([300.0, -1.0])})
    assert np.isnan(bad["head"].v).all() and (bad["head"].q == BAD).all()
    no_t2 = run(PolytropicHead({"method": "discharge_temperature"}),
                {"p1": signal([1e5]), "p2": signal([3e5]), "t1": signal([300.0])})
    assert math.isnan(no_t2["head"].v[0]) and no_t2["head"].q[0] == BAD
    stopped = run(PolytropicHead({"method": "discharge_temperature"}),
                  {"p1": signal([1e5]), "p2": signal([1e5]), "t1": signal([300.0]), "t2": signal([300.0])})
    assert math.isnan(stopped["head"].v[0]) and stopped["head"].q[0] == UNCERTAIN


# -- oee ------------------------------------------------------------------------------------------------


def oee_inputs(planned, run_time, total, good):
    return {"planned_time": signal(planned), "run_time": signal(run_time), "total_count": signal(total),
            "good_count": signal(good)}


def test_oee_90_95_99_gives_84_6_percent():
    # 8 h planned, 90 % of it running; 10 000 parts at 2.4624 s ideal → 95 %; 9 900 good → 99 %.
    out = run(Oee({"ideal_cycle_time": 2.4624}), oee_inputs([28800.0], [25920.0], [10000.0], [9900.0]))
    assert out["availability"].v[0] == pytest.approx(90.0)
    assert out["performance"].v[0] == pytest.approx(95.0)
    assert out["quality"].v[0] == pytest.approx(99.0)
    assert out["oee"].v[0] == pytest.approx(0.9 * 0.95 * 0.99 * 100)
    assert round(out["oee"].v[0], 1) == 84.6


def test_oee_shift_example():
    # oee.com worked example: 420 min planned, 373 min run, 1.0 s ideal cycle, 19 271 made, 18 848 good.
    out = run(Oee(), oee_inputs([420 * 60.0], [373 * 60.0], [19271.0], [18848.0]))
    assert out["availability"].v[0] == pytest.approx(88.81, abs=0.005)
    assert out["performance"].v[0] == pytest.approx(86.11, abs=0.005)
    assert out["quality"].v[0] == pytest.approx(97.80, abs=0.006)
    assert out["oee"].v[0] == pytest.approx(74.79, abs=0.005)
    product = out["availability"].v[0] * out["performance"].v[0] * out["quality"].v[0] / 1e4
    assert out["oee"].v[0] == pytest.approx(product, rel=1e-12)


def test_oee_idle_and_inconsistent_periods():
    out = run(Oee(), oee_inputs([0.0, 3600.0, 3600.0], [0.0, 0.0, 3700.0], [0.0, 0.0, 100.0], [0.0, 0.0, 120.0]))
    assert math.isnan(out["oee"].v[0]) and out["oee"].q[0] == UNCERTAIN
    assert out["oee"].v[1] == 0.0 and out["oee"].q[1] == GOOD and out["availability"].v[1] == 0.0
    assert math.isnan(out["performance"].v[1]) and out["performance"].q[1] == UNCERTAIN
    assert math.isnan(out["quality"].v[1]) and out["quality"].q[1] == UNCERTAIN
    assert all(out[name].q[2] == UNCERTAIN for name in out)  # run > planned, good > total


# -- energy_per_unit --------------------------------------------------------------------------------------


def test_energy_per_unit_over_a_trailing_window():
    k = np.arange(20.0)
    out = run(EnergyPerUnit({"window": 5}), {"energy": signal(1000 + 0.5 * k), "units": signal(2 * k)})
    assert math.isnan(out["sec"].v[0])
    np.testing.assert_allclose(out["sec"].v[1:], 0.25)  # 2.5 kWh / 10 units per 5 samples
    assert list(out["sec"].q[:6]) == [UNCERTAIN] * 5 + [GOOD]
    assert (out["sec"].q[5:] == GOOD).all()


def test_energy_per_unit_stalled_line_and_meter_reset_are_nan_uncertain():
    energy = [10.0, 11.0, 12.0, 13.0, 14.0, 0.5, 1.5]
    units = [0.0, 4.0, 4.0, 4.0, 8.0, 12.0, 16.0]
    out = run(EnergyPerUnit({"window": 1}), {"energy": signal(energy), "units": signal(units)})
    expected = [np.nan, 0.25, np.nan, np.nan, 0.25, np.nan, 0.25]
    np.testing.assert_allclose(out["sec"].v, expected)
    assert list(out["sec"].q) == [UNCERTAIN, GOOD, UNCERTAIN, UNCERTAIN, GOOD, UNCERTAIN, GOOD]


# -- empty chunks and chunk invariance --------------------------------------------------------------------

N = 120


def _cases():
    rng = np.random.default_rng(11)
    base = irregular(np.zeros(N), seed=5)

    def sig(values, quality=None):
        return on_times(base, values, quality)

    noise_q = (rng.random(N) < 0.1).astype(np.uint8)
    u = rng.normal(50, 20, N)
    u[[17, 60]] = np.nan
    pv = rng.normal(50, 30, N)
    pv[33] = np.nan
    stall = np.cumsum(rng.integers(0, 3, N)).astype(float)
    return {
        "pump_affinity": (PumpAffinity, {}, {"speed": sig(rng.uniform(-100, 3000, N), noise_q)}),
        "pump_power": (PumpPower, {}, {"flow": sig(rng.uniform(0, 0.1, N)), "head": sig(rng.uniform(0, 50, N)),
                                       "shaft_power": sig(rng.uniform(-1, 30, N), noise_q)}),
        "motor_load": (MotorLoad, {}, {"current": sig(rng.uniform(0, 30, N)), "voltage": sig(rng.normal(400, 5, N)),
                                       "power_factor": sig(rng.uniform(0.2, 0.95, N))}),
        "lmtd": (Lmtd, {}, {"hot_in": sig(rng.uniform(80, 120, N)), "hot_out": sig(rng.uniform(40, 80, N)),
                            "cold_in": sig(rng.uniform(10, 50, N)), "cold_out": sig(rng.uniform(30, 90, N))}),
        "heat_duty": (HeatDuty, {}, {"mass_flow": sig(rng.uniform(0, 2, N)), "inlet": sig(rng.uniform(10, 30, N)),
                                     "outlet": sig(rng.uniform(30, 60, N))}),
        "fopdt": (Fopdt, {"gain": 1.7, "time_constant": 0.8, "dead_time": 0.437, "initial": 3.0},
                  {"u": sig(u, noise_q)}),
        "fopdt_no_lag": (Fopdt, {"time_constant": 0.0, "dead_time": 0.25}, {"u": sig(u)}),
        "pid": (Pid, {"kp": 3.0, "ti": 2.0, "td": 0.5, "bias": 50.0},
                {"setpoint": sig(np.repeat([40.0, 70.0, 20.0], N // 3)), "measurement": sig(pv, noise_q)}),
        "pid_clamping": (Pid, {"kp": 3.0, "ti": 2.0, "anti_windup": "clamping", "action": "direct"},
                         {"setpoint": sig(np.full(N, 50.0)), "measurement": sig(pv)}),
        "tank_level": (TankLevel, {"area": 0.05, "initial_level": 1.0, "max_level": 2.0},
                       {"inflow": sig(rng.uniform(0, 0.03, N) + np.repeat([0.05, 0.0], N // 2)),
                        "outflow": sig(rng.uniform(0, 0.03, N) + np.repeat([0.0, 0.05], N // 2), noise_q)}),
        "polytropic_head": (PolytropicHead, {"method": "discharge_temperature"},
                            {"p1": sig(rng.uniform(1e5, 2e5, N)), "p2": sig(rng.uniform(3e5, 6e5, N)),
                             "t1": sig(rng.uniform(280, 320, N)), "t2": sig(rng.uniform(380, 450, N))}),
        "oee": (Oee, {"ideal_cycle_time": 2.0}, {"planned_time": sig(np.full(N, 3600.0)),
                                                 "run_time": sig(rng.uniform(0, 3600, N)),
                                                 "total_count": sig(rng.integers(0, 1800, N).astype(float)),
                                                 "good_count": sig(rng.integers(0, 1700, N).astype(float))}),
        "energy_per_unit": (EnergyPerUnit, {"window": 7}, {"energy": sig(np.cumsum(rng.uniform(0, 2, N))),
                                                           "units": sig(stall, noise_q)}),
    }


CASES = _cases()


def test_every_component_has_a_chunking_case():
    assert {cls for cls, _, _ in CASES.values()} == set(COMPONENTS)


def test_tank_case_overflows_and_runs_dry():
    cls, params, inputs = CASES["tank_level"]
    level = run(cls(params), inputs)["level"].v
    assert level.max() == 2.0 and level.min() == 0.0


@pytest.mark.parametrize("name", CASES)
def test_empty_chunks_give_empty_outputs_and_leave_the_state_alone(name):
    cls, params, inputs = CASES[name]
    component = cls(params)
    empty = {port: Chunk.empty() for port in inputs}
    state = component.init_state()
    out = component.process(empty, state)
    assert set(out) == {p.name for p in cls.outputs}
    assert all(len(chunk) == 0 and len(chunk.q) == 0 and len(chunk.v) == 0 for chunk in out.values())
    # Empty chunks between data change nothing.
    half = N // 2
    parts = []
    for piece in (dict(empty), {k: _slice(c, 0, half) for k, c in inputs.items()}, empty,
                  empty, {k: _slice(c, half, N) for k, c in inputs.items()}, empty):
        parts.append(component.process(piece, state))
    joined = {port: Chunk(np.concatenate([p[port].t for p in parts]), np.concatenate([p[port].v for p in parts]),
                          np.concatenate([p[port].q for p in parts])) for port in out}
    assert_same(joined, run(cls(params), inputs))


def _slice(chunk: Chunk, a: int, b: int) -> Chunk:
    return Chunk(chunk.t[a:b], chunk.v[a:b], chunk.q[a:b])


@pytest.mark.parametrize("name", CASES)
@settings(max_examples=25, deadline=None)
@given(cuts=cut_points(N))
def test_same_outputs_under_any_chunking(name, cuts):
    cls, params, inputs = CASES[name]
    whole = run(cls(params), inputs)
    assert_same(run(cls(params), inputs, cuts), whole)
    assert_same(run(cls(params), inputs, range(1, N)), whole)  # one sample at a time
