"""Signal conditioning: scaling, filters, derivatives, integrals, windows, limits, comparators.

pandas and scipy.signal are imported by the components that use them: every component module is
loaded with the registry, and the headless runtime of an app that needs neither would carry ~150 MB.
"""

from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np

from nodes.chunk import BAD, GOOD, UNCERTAIN, Chunk, require_aligned, worst_quality
from nodes.component import Component, Kind, Param, Port, Text
from nodes.dsp import lfilter, sosfilt
from nodes.kernels import Kernel, KernelState, recursive, stateless
from nodes.library.formula import Formula
from nodes.windows import Tail, sliding_worst_quality

NS = 1e-9  # seconds per timestamp tick

X = Port("x", Kind.SIGNAL, "*", Text("Input", "输入"))
Y = Port("y", Kind.SIGNAL, "=x", Text("Output", "输出"))
WINDOW = Param("window", "int", 10, 1, 10_000_000, title=Text("Window (samples)", "窗口（采样点）"),
               description=Text("Number of most recent samples in the window.", "窗口中最近采样点的数量。"))
SAMPLE_RATE = Param("sample_rate", "float", 1000.0, 1e-6, 1e9, unit="Hz", title=Text("Sample rate", "采样率"),
                    description=Text("Rate at which the input is sampled.", "输入信号的采样率。"))


class Scale(Component):
    """Linear scaling: ``y = gain · x + offset``.

    Converts raw counts or 4–20 mA loops to engineering values. The output unit is the
    ``unit`` parameter, or the input's unit when it is empty.

    References
    ----------
    IEC 61131-3 (2013), SCALE function blocks; ISA-5.1 loop scaling conventions.
    """

    type_name = "signal.scale"
    title = Text("Scale and offset", "缩放与偏移")
    inputs = (X,)
    outputs = (Port("y", Kind.SIGNAL, "@unit", Text("Scaled", "缩放结果")),)
    params = (Param("gain", "float", 1.0, title=Text("Gain", "增益")),
              Param("offset", "float", 0.0, title=Text("Offset", "偏移")),
              Param("unit", "unit", "", title=Text("Output unit", "输出单位"),
                    description=Text("Unit of the scaled value; empty keeps the input unit.",
                                     "缩放后数值的单位；为空则沿用输入单位。")))

    def process(self, inputs, state):
        x = inputs["x"]
        return {"y": x.with_values(x.v * self.p["gain"] + self.p["offset"])}

    def kernel(self, state) -> Kernel:
        return stateless("v = v * $gain + $offset", {"gain": self.p["gain"], "offset": self.p["offset"]})


class UnitConvert(Component):
    """Unit conversion: ``y = x`` expressed in the ``to`` unit.

    The engine converts the incoming values at the edge (``to = from · scale + offset``, offset
    for temperature scales), and refuses dimensions that do not match (°C into bar).

    References
    ----------
    BIPM, *The International System of Units (SI)*, 9th ed., 2019.
    """

    type_name = "signal.unit_convert"
    title = Text("Unit conversion", "单位换算")
    inputs = (Port("x", Kind.SIGNAL, "@to", Text("Input", "输入")),)
    outputs = (Port("y", Kind.SIGNAL, "@to", Text("Converted", "换算结果")),)
    params = (Param("to", "unit", "m/s", title=Text("Target unit", "目标单位")),)

    def process(self, inputs, state):
        return {"y": inputs["x"]}

    def kernel(self, state) -> Kernel:
        return stateless("")  # the conversion happens on the wire into it


class _Rolling(Component):
    """A sliding window over the last N samples, its tail carried across chunks."""

    statistic = "mean"  # a pandas rolling method
    inputs = (X,)
    outputs = (Y,)
    params = (WINDOW,)

    def init_state(self):
        return SimpleNamespace(tail=Tail(self.p["window"] - 1), seen=0)

    def process(self, inputs, state):
        return {"y": _rolling(inputs["x"], state, self.p["window"], self.statistic)}


class MovingAverage(_Rolling):
    """Moving average over the last N samples: ``y[k] = (1/N) Σ_{i=k-N+1..k} x[i]``.

    Until N samples have been seen, the average is over those available and marked uncertain.

    References
    ----------
    S. W. Smith, *The Scientist and Engineer's Guide to DSP*, ch. 15, 1997.
    """

    type_name = "signal.moving_average"
    title = Text("Moving average", "滑动平均")
    statistic = "mean"


class Median(_Rolling):
    """Moving median over the last N samples; removes spikes without smearing steps.

    ``y[k] = median(x[k-N+1], …, x[k])``.

    References
    ----------
    J. W. Tukey, *Exploratory Data Analysis*, Addison-Wesley, 1977.
    """

    type_name = "signal.median"
    title = Text("Moving median", "滑动中值")
    statistic = "median"


class WindowStats(_Rolling):
    """Minimum, maximum, mean and sample standard deviation over the last N samples.

    ``mean = (1/N) Σ x``, ``std = sqrt(Σ (x - mean)² / (N - 1))``.

    References
    ----------
    NIST/SEMATECH e-Handbook of Statistical Methods, §1.3.5, 2012.
    """

    type_name = "signal.window_stats"
    title = Text("Window statistics", "窗口统计")
    outputs = (Port("min", Kind.SIGNAL, "=x", Text("Minimum", "最小值")),
               Port("max", Kind.SIGNAL, "=x", Text("Maximum", "最大值")),
               Port("mean", Kind.SIGNAL, "=x", Text("Mean", "平均值")),
               Port("std", Kind.SIGNAL, "=x", Text("Standard deviation", "标准差")))

    def process(self, inputs, state):
        x = inputs["x"]
        seen = state.seen
        values, quality, offset = state.tail.extend(x)
        import pandas as pd

        rolling = pd.Series(values).rolling(self.p["window"], min_periods=1)
        q = _warm_up_quality(quality, offset, seen, self.p["window"])
        out = {}
        for name in ("min", "max", "mean", "std"):
            result = getattr(rolling, name)(ddof=1) if name == "std" else getattr(rolling, name)()
            out[name] = Chunk(x.t, result.to_numpy()[offset:], q)
        state.seen = seen + len(x)
        return out


def _warm_up_quality(quality: np.ndarray, offset: int, seen: int, window: int) -> np.ndarray:
    q = sliding_worst_quality(quality, window)[offset:]
    count = seen + np.arange(1, len(q) + 1)
    return np.where(count < window, np.maximum(q, UNCERTAIN), q).astype(np.uint8)


def _rolling(x: Chunk, state, window: int, how: str) -> Chunk:
    seen = state.seen
    import pandas as pd

    values, quality, offset = state.tail.extend(x)
    result = getattr(pd.Series(values).rolling(window, min_periods=1), how)().to_numpy()[offset:]
    state.seen = seen + len(x)
    return Chunk(x.t, result, _warm_up_quality(quality, offset, seen, window))


class _Recursive(Component):
    """A component whose state is a recursion over past samples (filters, integrals, limiters).

    A NaN or bad sample must not enter such a state, or every later output would be NaN. Bad
    samples are bridged with the last good value, and the output there is NaN with bad quality;
    nothing enters the state before the first good sample. Subclasses implement :meth:`recurse`
    on good (or bridged) samples only.
    """

    inputs = (X,)

    def recursion_state(self) -> SimpleNamespace:
        return SimpleNamespace()

    def init_state(self):
        state = self.recursion_state()
        state.last_good = None
        return state

    def recurse(self, x: Chunk, state) -> Chunk:
        raise NotImplementedError

    def process(self, inputs, state):
        x = inputs["x"]
        # The common case cheaply: a sum is NaN or infinite if any sample is (a huge finite sum
        # merely takes the careful path below).
        if len(x) and state.last_good is not None and math.isfinite(x.v.sum()) and x.q.max() < BAD:
            state.last_good = x.v[-1]
            return {"y": self.recurse(x, state)}
        good = np.isfinite(x.v)
        good &= x.q != BAD
        start = 0
        if state.last_good is None:
            first = np.flatnonzero(good)
            if not len(first):
                return {"y": x.bad()}
            start = int(first[0])
        values = x.v[start:]
        if not good[start:].all():
            index = np.where(good[start:], np.arange(len(values)), -1)
            np.maximum.accumulate(index, out=index)
            before = np.nan if state.last_good is None else state.last_good  # unused when start > 0
            values = np.where(index >= 0, values[np.clip(index, 0, None)], before)
        if len(values):
            state.last_good = values[-1]
        y = self.recurse(Chunk(x.t[start:], values, x.q[start:]), state)
        if start == 0 and good.all():
            return {"y": y}
        v, q = np.full(len(x), np.nan), np.full(len(x), BAD, np.uint8)
        v[start:], q[start:] = y.v, y.q
        v[~good], q[~good] = np.nan, BAD
        return {"y": Chunk(x.t, v, q)}


class Ewma(_Recursive):
    """Exponentially weighted moving average: ``y[k] = α·x[k] + (1 − α)·y[k−1]``, ``y[0] = x[0]``.

    A first-order IIR low-pass; α = 2/(N+1) matches the centre of mass of an N-sample average.

    References
    ----------
    J. S. Hunter, "The exponentially weighted moving average", *J. Quality Technology* 18(4), 1986.
    """

    type_name = "signal.ewma"
    title = Text("EWMA", "指数加权移动平均")
    inputs = (X,)
    outputs = (Y,)
    params = (Param("alpha", "float", 0.1, 1e-9, 1.0, title=Text("Smoothing factor α", "平滑系数 α"),
                    description=Text("Weight of the newest sample (0 < α ≤ 1).", "最新采样的权重（0 < α ≤ 1）。")),)

    def recursion_state(self):
        return SimpleNamespace(zi=None)

    def recurse(self, x: Chunk, state) -> Chunk:
        if len(x) == 0:
            return x
        a = self.p["alpha"]
        if state.zi is None:
            state.zi = np.array([(1 - a) * x.v[0]])
        y, state.zi = lfilter(np.array([a]), np.array([1.0, a - 1.0]), x.v, state.zi)
        return x.with_values(y)

    def kernel(self, state) -> Kernel:
        # scipy's lfilter, direct form II transposed, with b = [α, 0] and a = [1, α − 1].
        a = self.p["alpha"]

        def load(st) -> KernelState:
            return KernelState([0.0, 0.0] if st.zi is None else [1.0, float(st.zi[0])], [])

        def store(st, ks: KernelState) -> None:
            st.zi = np.array([ks.floats[1]]) if ks.floats[0] else None

        # Its recursion, y = z + a·x then z = x·0 − c·y, costs an add, a multiply and a subtract in
        # sequence per sample. With p = c·y, z is exactly −p whenever p ≠ 0 (x is finite), so
        # y = a·x − p: a multiply and a subtract. At p = ±0 the signs of zeros need z itself.
        return recursive("""
if $has == 0.0:
    $z = $om * x
    $has = 1.0
    y = $z + $a * x
else:
    ax = $a * x
    if $p == 0.0:
        y = $z + ax
    else:
        y = ax - $p
$p = y * $c
$z = x * 0.0 - $p
yq = q
""", load, store, {"a": a, "om": 1 - a, "c": a - 1.0}, floats=("has", "z"), begin="$p = -$z")


class _Butterworth(_Recursive):
    """Shared implementation of the Butterworth filters (second-order sections, stateful)."""

    btype = "lowpass"
    inputs = (X,)
    outputs = (Y,)

    def _cutoff(self):
        raise NotImplementedError

    @classmethod
    def check_params(cls, values, problems):
        nyquist = values["sample_rate"] / 2
        for name in ("cutoff", "low", "high"):
            if name in values and values[name] >= nyquist:
                problems[name] = f"must be below half the sample rate ({nyquist:g} Hz)"
        if "low" in values and values["low"] >= values["high"]:
            problems.setdefault("low", f"must be below the high cut-off ({values['high']:g} Hz)")

    def recursion_state(self):
        from scipy.signal import butter

        sos = butter(self.p["order"], self._cutoff(), btype=self.btype, fs=self.p["sample_rate"], output="sos")
        return SimpleNamespace(sos=sos, zi=None)

    def recurse(self, x: Chunk, state) -> Chunk:
        if len(x) == 0:
            return x
        if state.zi is None:
            # Start in steady state at the first sample (low-pass) or at rest (others): no start-up jump.
            from scipy.signal import sosfilt_zi

            steady = sosfilt_zi(state.sos)
            state.zi = steady * x.v[0] if self.btype == "lowpass" else np.zeros_like(steady)
        y, state.zi = sosfilt(state.sos, x.v, state.zi)
        return x.with_values(y)

    def kernel(self, state) -> Kernel:
        # scipy's _sosfilt per sample, section after section, in the same order of operations.
        from scipy.signal import sosfilt_zi

        sos, sections = state.sos, len(state.sos)
        steady = sosfilt_zi(sos)
        params: dict[str, float] = {}
        start, step = ["if $has == 0.0:"], ["xc = x"]
        for s in range(sections):
            for name, column in (("b0", 0), ("b1", 1), ("b2", 2), ("a1", 4), ("a2", 5)):
                params[f"{name}_{s}"] = float(sos[s, column])
            for k in (0, 1):
                params[f"w{k}_{s}"] = float(steady[s, k])
                start.append(f"    $z{k}_{s} = $w{k}_{s} * x" if self.btype == "lowpass" else f"    $z{k}_{s} = 0.0")
            step += [f"xn = $b0_{s} * xc + $z0_{s}", f"$z0_{s} = $b1_{s} * xc - $a1_{s} * xn + $z1_{s}",
                     f"$z1_{s} = $b2_{s} * xc - $a2_{s} * xn", "xc = xn"]
        start.append("    $has = 1.0")

        def load(st) -> KernelState:
            if st.zi is None:
                return KernelState([0.0] * (1 + 2 * sections), [])
            return KernelState([1.0] + [float(st.zi[s, k]) for s in range(sections) for k in (0, 1)], [])

        def store(st, ks: KernelState) -> None:
            values = ks.floats
            st.zi = np.array(values[1:], np.float64).reshape(sections, 2) if values[0] else None

        floats = ("has", *(f"z{k}_{s}" for s in range(sections) for k in (0, 1)))
        return recursive("\n".join([*start, *step, "y = xc", "yq = q"]), load, store, params, floats)


ORDER = Param("order", "int", 4, 1, 12, title=Text("Order", "阶数"))


class LowPass(_Butterworth):
    """Butterworth low-pass filter, ``|H(jω)|² = 1 / (1 + (ω/ω_c)^{2n})``.

    Designed with ``scipy.signal.butter`` as second-order sections and run with ``sosfilt``,
    carrying the filter state across chunks.

    References
    ----------
    S. Butterworth, "On the theory of filter amplifiers", *Wireless Engineer* 7, 1930.
    """

    type_name = "signal.lowpass"
    title = Text("Low-pass filter (Butterworth)", "低通滤波器（巴特沃斯）")
    btype = "lowpass"
    params = (ORDER, Param("cutoff", "float", 10.0, 1e-9, unit="Hz", title=Text("Cut-off", "截止频率")), SAMPLE_RATE)

    def _cutoff(self):
        return self.p["cutoff"]


class HighPass(LowPass):
    """Butterworth high-pass filter, ``|H(jω)|² = 1 / (1 + (ω_c/ω)^{2n})``.

    References
    ----------
    S. Butterworth, "On the theory of filter amplifiers", *Wireless Engineer* 7, 1930.
    """

    type_name = "signal.highpass"
    title = Text("High-pass filter (Butterworth)", "高通滤波器（巴特沃斯）")
    btype = "highpass"


class BandPass(_Butterworth):
    """Butterworth band-pass filter between ``low`` and ``high`` (order 2n overall).

    ``|H(jω)|² = 1 / (1 + ((ω² − ω₀²) / (ω·B))^{2n})`` with ``ω₀ = sqrt(ω_low·ω_high)`` and
    ``B = ω_high − ω_low`` (low-pass to band-pass transformation of the prototype).

    Typical use: 10–1000 Hz velocity band of ISO 20816 before an RMS.

    References
    ----------
    S. Butterworth, "On the theory of filter amplifiers", *Wireless Engineer* 7, 1930.
    """

    type_name = "signal.bandpass"
    title = Text("Band-pass filter (Butterworth)", "带通滤波器（巴特沃斯）")
    btype = "bandpass"
    params = (ORDER, Param("low", "float", 10.0, 1e-9, unit="Hz", title=Text("Low cut-off", "下限截止频率")),
              Param("high", "float", 100.0, 1e-9, unit="Hz", title=Text("High cut-off", "上限截止频率")), SAMPLE_RATE)

    def _cutoff(self):
        return [self.p["low"], self.p["high"]]


class Derivative(_Recursive):
    """Backward-difference derivative: ``y[k] = (x[k] − x[k−1]) / (t[k] − t[k−1])`` per second.

    The very first sample has no predecessor: its output is 0, marked uncertain.

    References
    ----------
    R. L. Burden, J. D. Faires, *Numerical Analysis*, 9th ed., §4.1, 2011.
    """

    type_name = "signal.derivative"
    title = Text("Derivative", "微分")
    inputs = (X,)
    outputs = (Port("y", Kind.SIGNAL, "=x/s", Text("Rate of change", "变化率")),)

    def recursion_state(self):
        return SimpleNamespace(t=None, v=None, q=None)

    def recurse(self, x: Chunk, state) -> Chunk:
        if len(x) == 0:
            return x
        dv, dt, quality = _steps(x, state)
        y = np.divide(dv, dt, out=dv)  # in place: no fresh chunk-sized temporary
        if state.t is None:
            y[0], quality[0] = 0.0, max(quality[0], UNCERTAIN)
        state.t, state.v, state.q = x.t[-1], x.v[-1], x.q[-1]
        return Chunk(x.t, y, quality)

    def kernel(self, state) -> Kernel:
        return recursive("""
if $has != 0:
    y = (x - $pv) / (float(t - $pt) * 1e-9)
    yq = max(q, $pq)
else:
    y = 0.0
    yq = max(q, 1)
$has = 1
$pt = t
$pv = x
$pq = q
""", _load_previous, _store_previous, floats=("pv",), ints=("has", "pt", "pq"))


def _load_previous(state, *extra: float) -> KernelState:
    """The previous sample (derivative, integral) as kernel state: value; seen, time, quality."""
    if state.t is None:
        return KernelState([0.0, *extra], [0, 0, 0])
    return KernelState([float(state.v), *extra], [1, int(state.t), int(state.q)])


def _store_previous(state, ks: KernelState) -> None:
    if ks.ints[0]:
        state.t, state.v, state.q = np.int64(ks.ints[1]), np.float64(ks.floats[0]), np.uint8(ks.ints[2])
    else:
        state.t = state.v = state.q = None


def _steps(x: Chunk, state) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per sample: value step and time step (s) from the previous sample, and the worse quality
    of the two. The first sample ever has no predecessor: steps 0 (dt 1 s), its own quality."""
    # Written out with out= because np.diff(prepend=...) costs ~8 µs per call on a small tick.
    dv, dt = np.empty(len(x)), np.empty(len(x))
    np.subtract(x.v[1:], x.v[:-1], out=dv[1:])
    dt[1:] = x.t[1:] - x.t[:-1]
    quality = x.q.copy()
    np.maximum(quality[1:], x.q[:-1], out=quality[1:])
    if state.t is None:
        dv[0], dt[0] = 0.0, 1e9
    else:
        dv[0], dt[0] = x.v[0] - state.v, x.t[0] - state.t
        quality[0] = max(quality[0], state.q)
    dt *= NS
    return dv, dt, quality


class Integral(_Recursive):
    """Running integral by the trapezoidal rule: ``y[k] = y[k−1] + (x[k] + x[k−1])/2 · Δt``.

    Integrates over seconds, so flow in m³/h gives m³ once converted (m³/h · s / 3600).

    References
    ----------
    R. L. Burden, J. D. Faires, *Numerical Analysis*, 9th ed., §4.3, 2011.
    """

    type_name = "signal.integral"
    title = Text("Integral (trapezoid)", "积分（梯形法）")
    inputs = (X,)
    outputs = (Port("y", Kind.SIGNAL, "=x*s", Text("Integral", "积分值")),)
    params = (Param("initial", "float", 0.0, title=Text("Initial value", "初始值")),)

    def recursion_state(self):
        return SimpleNamespace(t=None, v=None, q=None, total=self.p["initial"])

    def recurse(self, x: Chunk, state) -> Chunk:
        if len(x) == 0:
            return x
        dv, dt, quality = _steps(x, state)
        # (x[k] + x[k-1]) / 2 = x[k] - dv/2; the first sample ever adds no area.
        # areas = (x - dv/2)·dt and y = total + cumsum(areas), computed in dv's array: the same
        # operations in the same order, without four chunk-sized temporaries (page faults at 1 M samples).
        areas = np.subtract(x.v, np.divide(dv, 2, out=dv), out=dv)
        areas *= dt
        if state.t is None:
            areas[0] = 0.0
        y = np.cumsum(areas, out=areas)
        y += state.total
        state.total = y[-1]
        state.t, state.v, state.q = x.t[-1], x.v[-1], x.q[-1]
        return Chunk(x.t, y, quality)

    def kernel(self, state) -> Kernel:
        # As process: the areas of one chunk are summed (a cumulative sum from 0), then added to the total.
        def store(st, ks: KernelState) -> None:
            _store_previous(st, ks)
            st.total = np.float64(ks.floats[1])

        return recursive("""
if $has != 0:
    dv = x - $pv
    area = (x - dv / 2) * (float(t - $pt) * 1e-9)
    yq = max(q, $pq)
else:
    area = 0.0
    yq = q
if $fresh:
    $sum = area
    $fresh = False
else:
    $sum = $sum + area
y = $total + $sum
$has = 1
$pt = t
$pv = x
$pq = q
""", lambda st: _load_previous(st, float(st.total)), store, floats=("pv", "total"), ints=("has", "pt", "pq"),
            begin="$fresh = True\n$sum = 0.0", end="if not $fresh:\n    $total = $total + $sum")


class Align(Component):
    """Resample ``b`` onto the timestamps of ``a`` (zero-order hold: the last value at or before).

    ``y(t_a) = b(max{t_b ≤ t_a})``; before the first ``b`` sample the output is NaN and bad.
    Samples of ``b`` must not arrive later than the ``a`` samples they belong to.

    References
    ----------
    A. V. Oppenheim, R. W. Schafer, *Discrete-Time Signal Processing*, 3rd ed., §4.8 (ZOH), 2010.
    """

    type_name = "signal.align"
    title = Text("Align by time", "按时间对齐")
    inputs = (Port("a", Kind.SIGNAL, "*", Text("Time base", "时间基准")),
              Port("b", Kind.SIGNAL, "*", Text("Signal to align", "待对齐信号")))
    outputs = (Port("y", Kind.SIGNAL, "=b", Text("b at a's times", "按 a 时刻的 b")),)

    def init_state(self):
        return SimpleNamespace(t=np.empty(0, np.int64), v=np.empty(0), q=np.empty(0, np.uint8))

    def process(self, inputs, state):
        a, b = inputs["a"], inputs["b"]
        t = np.concatenate([state.t, b.t])
        v = np.concatenate([state.v, b.v])
        q = np.concatenate([state.q, b.q])
        index = np.searchsorted(t, a.t, side="right") - 1
        valid = index >= 0
        y = np.where(valid, v[np.clip(index, 0, None)] if len(v) else np.nan, np.nan)
        quality = np.where(valid, q[np.clip(index, 0, None)] if len(q) else BAD, BAD)
        quality = worst_quality(quality.astype(np.uint8), a.q)
        keep = max(0, min(np.searchsorted(t, a.t[-1], side="right") - 1, len(t) - 1)) if len(a) else 0
        state.t, state.v, state.q = t[keep:], v[keep:], q[keep:]
        return {"y": Chunk(a.t, y.astype(np.float64), quality)}


class Deadband(_Recursive):
    """Dead-band: the output follows the input only when it moves more than ``band``.

    ``y[k] = x[k] if |x[k] − y[k−1]| > band else y[k−1]``; ``y[0] = x[0]``. Reduces chatter and
    data volume, as OPC UA's absolute deadband does.

    References
    ----------
    OPC UA Part 8 (IEC 62541-8), §6.2, DataChangeFilter AbsoluteDeadband.
    """

    type_name = "signal.deadband"
    title = Text("Dead-band", "死区")
    inputs = (X,)
    outputs = (Y,)
    params = (Param("band", "float", 0.1, 0.0, unit="=x", title=Text("Band", "死区宽度")),)

    def recursion_state(self):
        return SimpleNamespace(last=None)

    def recurse(self, x: Chunk, state) -> Chunk:
        band = self.p["band"]
        out = np.empty(len(x))
        last = state.last
        for i, value in enumerate(x.v.tolist()):  # sequential by definition
            if last is None or abs(value - last) > band or last != last:
                last = value
            out[i] = last
        state.last = last
        return x.with_values(out)

    def kernel(self, state) -> Kernel:
        def load(st) -> KernelState:
            return KernelState([0.0, 0.0] if st.last is None else [1.0, float(st.last)], [])

        def store(st, ks: KernelState) -> None:
            st.last = ks.floats[1] if ks.floats[0] else None

        return recursive("""
if $has == 0.0 or abs(x - $prev) > $band or $prev != $prev:
    $prev = x
    $has = 1.0
y = $prev
yq = q
""", load, store, {"band": self.p["band"]}, floats=("has", "prev"))


class RateLimiter(_Recursive):
    """Rate limiter: ``y[k] = y[k−1] + clip(x[k] − y[k−1], −r·Δt, +r·Δt)``; ``y[0] = x[0]``.

    Limits how fast a setpoint or an output may change (r in input units per second).

    References
    ----------
    K. J. Åström, T. Hägglund, *Advanced PID Control*, ISA, 2006, §3.5 (setpoint ramping).
    """

    type_name = "signal.rate_limiter"
    title = Text("Rate limiter", "变化率限制")
    inputs = (X,)
    outputs = (Y,)
    params = (Param("rate", "float", 1.0, 0.0, unit="=x/s", title=Text("Maximum rate", "最大变化率")),)

    def recursion_state(self):
        return SimpleNamespace(last=None, t=None)

    def recurse(self, x: Chunk, state) -> Chunk:
        rate = self.p["rate"]
        out = np.empty(len(x))
        last, last_t = state.last, state.t
        for i, (t, value) in enumerate(zip(x.t.tolist(), x.v.tolist(), strict=True)):
            if last is None:
                last = value
            else:
                step = rate * (t - last_t) * NS
                last = last + min(max(value - last, -step), step)
            last_t = t
            out[i] = last
        state.last, state.t = last, last_t
        return x.with_values(out)

    def kernel(self, state) -> Kernel:
        # Python's max/min written out: they keep the first argument on ties (signed zeros).
        def load(st) -> KernelState:
            return KernelState([0.0] if st.last is None else [float(st.last)], [0, 0] if st.last is None
                               else [1, int(st.t)])

        def store(st, ks: KernelState) -> None:
            st.last, st.t = (ks.floats[0], ks.ints[1]) if ks.ints[0] else (None, None)

        return recursive("""
if $has == 0:
    $prev = x
    $has = 1
else:
    limit = $rate * float(t - $pt) * 1e-9
    change = x - $prev
    if -limit > change:
        change = -limit
    if limit < change:
        change = limit
    $prev = $prev + change
$pt = t
y = $prev
yq = q
""", load, store, {"rate": self.p["rate"]}, floats=("prev",), ints=("has", "pt"))


class Hysteresis(Component):
    """Hysteresis comparator (Schmitt trigger): on above ``high``, off below ``low``, else unchanged.

    ``y[k] = 1 if x[k] > high; 0 if x[k] < low; y[k−1] otherwise``; starts off.

    References
    ----------
    O. H. Schmitt, "A thermionic trigger", *J. Scientific Instruments* 15, 1938.
    """

    type_name = "signal.hysteresis"
    title = Text("Hysteresis comparator", "滞环比较器")
    inputs = (X,)
    outputs = (Port("on", Kind.BOOLEAN, "", Text("On", "开")),)
    params = (Param("high", "float", 1.0, unit="=x", title=Text("Switch-on level", "接通阈值")),
              Param("low", "float", 0.5, unit="=x", title=Text("Switch-off level", "断开阈值")))

    @classmethod
    def check_params(cls, values, problems):
        if values["low"] > values["high"]:
            problems["low"] = f"must not be above the switch-on level ({values['high']:g})"

    def init_state(self):
        return SimpleNamespace(on=False)

    def process(self, inputs, state):
        x = inputs["x"]
        decided = np.where(x.v > self.p["high"], 1, np.where(x.v < self.p["low"], 0, -1))
        index = np.where(decided >= 0, np.arange(len(x)), -1)
        np.maximum.accumulate(index, out=index)
        on = np.where(index >= 0, decided[np.clip(index, 0, None)] == 1, state.on) if len(x) else np.empty(0, bool)
        if len(x):
            state.on = bool(on[-1])
        return {"on": x.with_values(on.astype(bool))}

    def kernel(self, state) -> Kernel:
        def store(st, ks: KernelState) -> None:
            st.on = bool(ks.floats[0])

        return Kernel("""
if v > $high:
    $on = 1.0
elif v < $low:
    $on = 0.0
v = $on
""", lambda st: KernelState([1.0 if st.on else 0.0], []), store, (("high", self.p["high"]), ("low", self.p["low"])),
            floats=("on",), outputs=("on",), boolean=(True,))


class Threshold(Component):
    """Threshold: ``y = x > level`` (or ``x < level`` when ``direction`` is ``below``).

    References
    ----------
    IEC 61131-3 (2013), comparison functions GT / LT.
    """

    type_name = "signal.threshold"
    title = Text("Threshold", "阈值")
    inputs = (X,)
    outputs = (Port("on", Kind.BOOLEAN, "", Text("Beyond level", "越限")),)
    params = (Param("level", "float", 1.0, unit="=x", title=Text("Level", "阈值")),
              Param("direction", "choice", "above", choices=("above", "below"), title=Text("Direction", "方向")))

    def process(self, inputs, state):
        x = inputs["x"]
        on = x.v > self.p["level"] if self.p["direction"] == "above" else x.v < self.p["level"]
        return {"on": x.with_values(on)}

    def kernel(self, state) -> Kernel:
        compare = ">" if self.p["direction"] == "above" else "<"
        return stateless(f"v = 1.0 if v {compare} $level else 0.0", {"level": self.p["level"]}, ("on",), (True,))


class Delay(Component):
    """Delay by N samples: ``y[k] = x[k − N]``; the first N outputs are ``initial``.

    A delay may close a feedback loop: the engine then runs the loop in blocks of at most N
    samples, so each block's delayed values are already known.

    References
    ----------
    A. V. Oppenheim, R. W. Schafer, *Discrete-Time Signal Processing*, 3rd ed., §2.2, 2010.
    """

    type_name = "signal.delay"
    title = Text("Delay", "延迟")
    inputs = (X,)
    outputs = (Y,)
    params = (Param("samples", "int", 1, 1, 10_000_000, title=Text("Delay (samples)", "延迟（采样点）")),
              Param("initial", "float", 0.0, title=Text("Initial output", "初始输出")))
    feedback = True

    def init_state(self):
        n = self.p["samples"]
        return SimpleNamespace(v=np.full(n, self.p["initial"]), q=np.full(n, UNCERTAIN, np.uint8))

    def emit(self, state, t):
        n = len(t)
        return {"y": Chunk(np.asarray(t, np.int64), state.v[:n].copy(), state.q[:n].copy())}

    def absorb(self, inputs, state):
        x = inputs["x"]
        state.v = np.concatenate([state.v[len(x):], x.v])
        state.q = np.concatenate([state.q[len(x):], x.q])

    def feedback_capacity(self) -> int:
        return self.p["samples"]

    def process(self, inputs, state):
        x = inputs["x"]
        # The buffer always holds N samples: the oldest len(x) leave, the new ones enter.
        v = np.concatenate([state.v, x.v])
        q = np.concatenate([state.q, x.q])
        state.v, state.q = v[len(x):], q[len(x):]
        return {"y": Chunk(x.t, v[:len(x)], q[:len(x)])}


class Hold(Component):
    """Sample and hold: ``y[k] = x[j]`` for the last ``j ≤ k`` where ``trigger[j]`` is true.

    Before the first trigger the output is NaN with bad quality.

    References
    ----------
    IEC 61131-3 (2013), SEL/MOVE with enable; A. V. Oppenheim, R. W. Schafer, §4.8.
    """

    type_name = "signal.hold"
    title = Text("Sample and hold", "采样保持")
    inputs = (X, Port("trigger", Kind.BOOLEAN, "", Text("Trigger", "触发")))
    outputs = (Y,)

    def init_state(self):
        return SimpleNamespace(v=np.nan, q=BAD)

    def process(self, inputs, state):
        x, trigger = inputs["x"], inputs["trigger"]
        require_aligned({"x": x, "trigger": trigger})
        fired = np.nan_to_num(trigger.v).astype(bool) & (trigger.q != BAD)  # a missing trigger does not fire
        index = np.where(fired, np.arange(len(x)), -1)
        np.maximum.accumulate(index, out=index)
        held = index >= 0
        y = np.where(held, x.v[np.clip(index, 0, None)] if len(x) else 0.0, state.v)
        q = np.where(held, x.q[np.clip(index, 0, None)] if len(x) else GOOD, state.q).astype(np.uint8)
        if len(x):
            state.v, state.q = y[-1], q[-1]
        return {"y": x.with_values(y.astype(np.float64), q)}


class EdgeCounter(Component):
    """Edge counter: ``count[k] = count[k−1] + [edge at k]`` for rising, falling or both edges.

    Counts starts, strokes, parts. The state before the first sample is "off".

    References
    ----------
    IEC 61131-3 (2013), R_TRIG / F_TRIG and CTU function blocks.
    """

    type_name = "signal.edge_counter"
    title = Text("Edge counter", "边沿计数器")
    inputs = (Port("x", Kind.BOOLEAN, "", Text("Input", "输入")),)
    outputs = (Port("count", Kind.SIGNAL, "", Text("Count", "计数")),)
    params = (Param("edge", "choice", "rising", choices=("rising", "falling", "both"), title=Text("Edge", "边沿")),)

    def init_state(self):
        return SimpleNamespace(last=False, count=0)

    def process(self, inputs, state):
        x = inputs["x"]
        # A missing or bad sample is no edge: the last known state holds across it.
        known = np.isfinite(x.v)
        known &= x.q != BAD
        if known.all():
            current = x.v.astype(bool)
        else:
            index = np.where(known, np.arange(len(x)), -1)
            np.maximum.accumulate(index, out=index)
            current = np.where(index >= 0, np.nan_to_num(x.v)[np.clip(index, 0, None)].astype(bool), state.last)
        previous = np.concatenate([[state.last], current[:-1]])
        edges = {"rising": current & ~previous, "falling": ~current & previous, "both": current != previous}
        count = state.count + np.cumsum(edges[self.p["edge"]])
        if len(x):
            state.last, state.count = bool(current[-1]), int(count[-1])
        return {"count": x.with_values(count.astype(np.float64))}

    def kernel(self, state) -> Kernel:
        edge = {"rising": "cur != 0.0 and $prev == 0.0", "falling": "cur == 0.0 and $prev != 0.0",
                "both": "cur != $prev"}[self.p["edge"]]

        def store(st, ks: KernelState) -> None:
            st.last, st.count = bool(ks.floats[0]), int(ks.floats[1])

        return Kernel(f"""
if math.isfinite(v) and q != 2:
    cur = 1.0 if v != 0.0 else 0.0
else:
    cur = $prev
if {edge}:
    $count += 1.0
$prev = cur
v = $count
""", lambda st: KernelState([1.0 if st.last else 0.0, float(st.count)], []), store, floats=("prev", "count"),
            outputs=("count",))


class AddSubtract(Component):
    """Sum or difference of two aligned signals: ``y = a + b`` or ``y = a − b``.

    ``b`` is converted to the unit of ``a`` first, so mm and m can be added.

    References
    ----------
    IEC 61131-3 (2013), ADD / SUB functions.
    """

    type_name = "signal.add_subtract"
    title = Text("Add / subtract", "加 / 减")
    inputs = (Port("a", Kind.SIGNAL, "*", Text("a", "a")), Port("b", Kind.SIGNAL, "=a", Text("b", "b")))
    outputs = (Port("y", Kind.SIGNAL, "=a", Text("Result", "结果")),)
    params = (Param("operation", "choice", "add", choices=("add", "subtract"), title=Text("Operation", "运算")),)

    def process(self, inputs, state):
        a, b = inputs["a"], inputs["b"]
        require_aligned(inputs)
        y = a.v + b.v if self.p["operation"] == "add" else a.v - b.v
        return {"y": a.with_values(y, worst_quality(a.q, b.q))}


COMPONENTS = (Scale, UnitConvert, MovingAverage, Median, WindowStats, Ewma, LowPass, HighPass, BandPass,
              Derivative, Integral, Align, Deadband, RateLimiter, Hysteresis, Threshold, Delay, Hold,
              EdgeCounter, AddSubtract, Formula)
