"""Maintenance: operating hours, starts, remaining useful life, Weibull reliability, anomaly scores.

scipy is imported where it is used: every component module loads with the registry, and an app
without these estimates (the headless runtime) should not carry it.
"""

from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np

from nodes.chunk import BAD, GOOD, UNCERTAIN, Chunk
from nodes.component import Component, Kind, Param, Port, Text
from nodes.windows import Tail

NS = 1e-9  # seconds per timestamp tick
NS_PER_HOUR = 3_600_000_000_000
ROW_BUDGET = 2_000_000  # window values held at once by the sliding-window computations

RUNNING = Port("running", Kind.BOOLEAN, "", Text("Running", "运行中"),
               Text("True while the machine runs.", "设备运行时为真。"))
X = Port("x", Kind.SIGNAL, "*", Text("Input", "输入"))


def _row_blocks(rows: int, width: int):
    """Slices of at most ``ROW_BUDGET / width`` rows, to bound the memory of window arrays."""
    step = max(1, ROW_BUDGET // max(width, 1))
    for start in range(0, rows, step):
        yield slice(start, min(rows, start + step))


def _windows(values: np.ndarray, width: int) -> np.ndarray:
    return np.lib.stride_tricks.sliding_window_view(values, width)


def _empty_outputs(names, dtype=np.float64) -> dict[str, Chunk]:
    return {name: Chunk.empty(dtype) for name in names}


class RunHours(Component):
    """Operating hours: time integrated while ``running`` is true.

    ``h(t_k) = h₀ + Σ_{i<k} [running(t_i)] · (t_{i+1} − t_i) / 3600 s``: the state of a sample
    holds until the next sample (zero-order hold). Intervals that start at a bad sample are not
    counted; the output is then uncertain. Time is counted in integer nanoseconds, so there is no
    drift however long the machine runs.

    References
    ----------
    IEC 60050-192:2015, *International Electrotechnical Vocabulary — Dependability*, 192-02-05
    (operating time). EN 13306:2017, *Maintenance terminology*, §8.
    """

    type_name = "maintenance.run_hours"
    category = "maintenance"
    title = Text("Operating hours", "运行小时")
    inputs = (RUNNING,)
    outputs = (Port("hours", Kind.SIGNAL, "h", Text("Operating hours", "运行小时数")),)
    params = (Param("initial", "float", 0.0, 0.0, unit="h", title=Text("Initial hours", "初始小时数"),
                    description=Text("Hours already run before this recording (from the hour meter).",
                                     "本次记录之前已运行的小时数（取自计时器）。")),)

    def init_state(self):
        return SimpleNamespace(t=None, on=False, q=GOOD, ns=0)

    def process(self, inputs, state):
        x = inputs["running"]
        if len(x) == 0:
            return _empty_outputs(["hours"])
        on = x.v.astype(bool) & (x.q < BAD)
        t_prev = np.concatenate([[x.t[0] if state.t is None else state.t], x.t[:-1]])
        on_prev = np.concatenate([[state.on], on[:-1]])
        q_prev = np.concatenate([[state.q], x.q[:-1]]).astype(np.uint8)
        ns = state.ns + np.cumsum(np.where(on_prev, x.t - t_prev, 0), dtype=np.int64)
        state.t, state.on, state.q, state.ns = int(x.t[-1]), bool(on[-1]), x.q[-1], int(ns[-1])
        hours = self.p["initial"] + ns / NS_PER_HOUR
        quality = np.minimum(np.maximum(x.q, q_prev), UNCERTAIN).astype(np.uint8)
        return {"hours": Chunk(x.t, hours, quality)}


class StartCounter(Component):
    """Start counter: rising edges of ``running``, in total and per rolling time window.

    ``starts[k] = n₀ + #{i ≤ k : running[i] ∧ ¬running[i−1]}`` and
    ``rate[k] = #{starts in (t_k − W, t_k]} / W`` (starts per hour, W in hours). Bad samples
    hold the last good state. A recording that begins with the machine running counts a start
    only when ``count_initial_on`` is set. The rate is uncertain until a whole window has passed.

    References
    ----------
    IEC 61131-3 (2013), R_TRIG and CTU function blocks. IEC 60034-1:2017, §5.5 (duty types:
    starts per hour of motors).
    """

    type_name = "maintenance.start_counter"
    category = "maintenance"
    title = Text("Start counter", "启动次数计数")
    inputs = (RUNNING,)
    outputs = (Port("starts", Kind.SIGNAL, "", Text("Starts", "启动次数")),
               Port("starts_per_hour", Kind.SIGNAL, "1/h", Text("Starts per hour", "每小时启动次数")))
    params = (Param("initial", "int", 0, 0, title=Text("Initial count", "初始次数"),
                    description=Text("Starts already counted before this recording.", "本次记录之前已有的启动次数。")),
              Param("window", "float", 1.0, 1e-6, 1e6, unit="h", title=Text("Rate window", "频率统计窗口"),
                    description=Text("Length W of the rolling window for the starts-per-hour rate.",
                                     "计算每小时启动次数所用的滑动时间窗口长度 W。")),
              Param("count_initial_on", "bool", False, title=Text("Count initial running", "计入初始运行"),
                    description=Text("Count a start when the recording begins with the machine already running.",
                                     "记录开始时设备已在运行时，也计为一次启动。")))

    def init_state(self):
        return SimpleNamespace(last=None, count=self.p["initial"], starts=np.empty(0, np.int64), t0=None)

    def process(self, inputs, state):
        x = inputs["running"]
        if len(x) == 0:
            return _empty_outputs(["starts", "starts_per_hour"])
        on = x.v.astype(bool)
        valid = x.q < BAD
        if state.t0 is None:
            state.t0 = int(x.t[0])
        if state.last is None and valid.any():
            first = bool(on[np.argmax(valid)])
            state.last = False if self.p["count_initial_on"] else first
        last = bool(state.last) if state.last is not None else False
        index = np.where(valid, np.arange(len(x)), -1)
        np.maximum.accumulate(index, out=index)
        held = np.where(index >= 0, on[np.clip(index, 0, None)], last)
        rising = held & ~np.concatenate([[last], held[:-1]])
        if state.last is None:
            rising[:] = False
        total = np.cumsum(rising, dtype=np.int64)
        starts = state.count + total
        window_ns = round(self.p["window"] * NS_PER_HOUR)
        all_starts = np.concatenate([state.starts, x.t[rising]])
        upto = len(state.starts) + total  # starts up to and including each sample
        in_window = upto - np.searchsorted(all_starts, x.t - window_ns, side="right")
        rate = in_window / self.p["window"]
        warm = (x.t - state.t0) < window_ns
        if state.last is not None:
            state.last = bool(held[-1])
        state.count = int(starts[-1])
        state.starts = all_starts[all_starts > x.t[-1] - window_ns]
        q = np.minimum(x.q, UNCERTAIN).astype(np.uint8)
        return {"starts": Chunk(x.t, starts.astype(np.float64), q),
                "starts_per_hour": Chunk(x.t, rate, np.where(warm, UNCERTAIN, q).astype(np.uint8))}


# ------------------------------------------------------------------------------- remaining useful life

RUL_PARAMS = (
    Param("window", "int", 100, 3, 1_000_000, title=Text("Window (samples)", "窗口（采样点）"),
          description=Text("Number N of most recent samples the trend is fitted to.",
                           "用于拟合趋势的最近采样点数 N。")),
    Param("threshold", "float", 10.0, unit="=x", title=Text("Failure threshold", "失效阈值"),
          description=Text("Level of the indicator at which the asset is considered failed.",
                           "指标达到该值时视为设备失效。")),
    Param("direction", "choice", "rising", choices=("rising", "falling"),
          title=Text("Degradation direction", "劣化方向"),
          description=Text("Whether the indicator rises or falls towards the threshold as the asset degrades.",
                           "设备劣化时指标是上升还是下降至阈值。")),
    Param("confidence", "float", 0.95, 0.5, 0.999, title=Text("Confidence level", "置信水平"),
          description=Text("Level of the prediction interval that gives the lower and upper RUL bounds.",
                           "给出剩余寿命上下界的预测区间的置信水平。")),
)


class _RulTrend(Component):
    """Shared implementation: least-squares trend over a sliding window, extrapolated to a threshold."""

    category = "maintenance"
    inputs = (Port("x", Kind.SIGNAL, "*", Text("Degradation indicator", "劣化指标")),)
    outputs = (Port("rul", Kind.SIGNAL, "h", Text("Remaining useful life", "剩余使用寿命")),
               Port("rul_low", Kind.SIGNAL, "h", Text("RUL lower bound", "剩余寿命下界")),
               Port("rul_high", Kind.SIGNAL, "h", Text("RUL upper bound", "剩余寿命上界")))
    params = RUL_PARAMS

    def _transform(self, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The fitted variable and where it is defined."""
        raise NotImplementedError

    def init_state(self):
        return SimpleNamespace(tail=Tail(self.p["window"] - 1), t0=None)

    def process(self, inputs, state):
        x = inputs["x"]
        names = [p.name for p in self.outputs]
        if len(x) == 0:
            return _empty_outputs(names)
        if state.t0 is None:
            state.t0 = int(x.t[0])
        n = self.p["window"]
        times = np.concatenate([state.tail.t, x.t])
        values, quality, offset = state.tail.extend(x)
        y, ok = self._transform(np.asarray(values, np.float64))
        ok &= quality < BAD
        pad = n - 1 - offset
        tau = np.concatenate([np.zeros(pad), (times - state.t0) * (NS / 3600)])
        y = np.concatenate([np.zeros(pad), np.where(ok, y, 0.0)])
        w = np.concatenate([np.zeros(pad), ok.astype(np.float64)])
        q = np.concatenate([np.zeros(pad, np.uint8), np.where(ok, quality, GOOD).astype(np.uint8)])
        c = self._transform(np.array([self.p["threshold"]]))[0][0]
        results = [self._fit(_windows(tau, n)[rows], _windows(y, n)[rows], _windows(w, n)[rows],
                             _windows(q, n)[rows], c) for rows in _row_blocks(len(x), n)]
        return {name: Chunk(x.t, np.concatenate([r[i][0] for r in results]),
                            np.concatenate([r[i][1] for r in results]))
                for i, name in enumerate(names)}

    def _fit(self, tau, y, w, q, c):
        from scipy import stats

        n = self.p["window"]
        m = w.sum(axis=1)
        now = tau[:, -1]
        with np.errstate(invalid="ignore", divide="ignore"):
            tau_bar = (w * tau).sum(axis=1) / m
            y_bar = (w * y).sum(axis=1) / m
            dt = (tau - tau_bar[:, None]) * w
            dy = (y - y_bar[:, None]) * w
            sxx = (dt * dt).sum(axis=1)
            b = (dt * dy).sum(axis=1) / sxx
            residual = dy - b[:, None] * dt
            s = np.sqrt((residual * residual).sum(axis=1) / (m - 2))
            k = stats.t.ppf(0.5 + self.p["confidence"] / 2, np.maximum(m - 2, 1)) * s
            d0 = c - y_bar
            rul = np.maximum(tau_bar + d0 / b - now, 0.0)
            a = b * b - k * k / sxx
            root = k * np.sqrt(d0 * d0 / sxx + (1 + 1 / m) * a)
            low = np.maximum(tau_bar + (d0 * b - root) / a - now, 0.0)
            high = np.maximum(tau_bar + (d0 * b + root) / a - now, 0.0)
        defined = (m >= 3) & (sxx > 0) & np.isfinite(b)
        approaching = defined & ((b > 0) if self.p["direction"] == "rising" else (b < 0))
        bounded = approaching & (a > 0)
        worst = np.max(np.where(w > 0, q, GOOD), axis=1, initial=GOOD)
        base = np.where(m < n, np.maximum(worst, UNCERTAIN), worst)
        quality = np.where(~defined, BAD, np.where(bounded, base, UNCERTAIN)).astype(np.uint8)
        return ((np.where(approaching, rul, np.nan), quality), (np.where(bounded, low, np.nan), quality.copy()),
                (np.where(bounded, high, np.nan), quality.copy()))


class RulLinear(_RulTrend):
    """Remaining useful life from a linear degradation trend over the last N samples.

    Least squares over the window, time τ in hours since the first sample::

        x̂(τ) = x̄ + b (τ − τ̄),   b = Sτx / Sττ,   s² = Σ (x − x̂)² / (m − 2)
        RUL = τ* − τ_now,   τ* = τ̄ + (x_th − x̄)/b

    The bounds come from the 100·(1 − α) % prediction interval of a new observation
    (inverse prediction): the times at which ``x̂(τ) ± t_{α/2, m−2} s sqrt(1 + 1/m + (τ − τ̄)²/Sττ)``
    reaches the threshold ``x_th``, roots of a quadratic in τ. RUL is 0 once the trend has crossed
    the threshold; NaN (uncertain) when the trend does not approach it (slope of the wrong sign);
    the bounds are NaN (uncertain) when the slope is not significant at that level (the interval
    is unbounded). Outputs are uncertain while fewer than N good samples are in the window, and bad
    with fewer than 3. Bad samples are left out of the fit.

    References
    ----------
    D. C. Montgomery, E. A. Peck, G. G. Vining, *Introduction to Linear Regression Analysis*,
    5th ed., Wiley, 2012, ch. 2 (§2.4.2 prediction interval, §2.11 inverse estimation).
    ISO 13381-1:2015, *Condition monitoring and diagnostics of machines — Prognostics — Part 1*.

    Examples
    --------
    >>> from nodes.chunk import Chunk
    >>> hour = 3_600_000_000_000
    >>> rul = RulLinear({"window": 5, "threshold": 11.0})
    >>> out = rul.process({"x": Chunk.of([i * hour for i in range(6)], [1 + 0.5 * i for i in range(6)])},
    ...                   rul.init_state())
    >>> out["rul"].v[2:]  # x = 1 + 0.5 τ reaches 11 at τ = 20 h
    array([18., 17., 16., 15.])
    """

    type_name = "maintenance.rul_linear"
    title = Text("Remaining useful life (linear trend)", "剩余使用寿命（线性趋势）")

    def _transform(self, values):
        return values, np.isfinite(values)


class RulExponential(_RulTrend):
    """Remaining useful life from an exponential degradation trend over the last N samples.

    Model ``x(τ) = x₀ + exp(a + b τ)`` with a known offset ``x₀``: a straight line is fitted
    to ``y = ln(x − x₀)`` (samples with ``x ≤ x₀`` are left out) and extrapolated to
    ``y_th = ln(x_th − x₀)``::

        RUL = τ̄ + (y_th − ȳ)/b − τ_now

    with the bounds from the prediction interval of the log-linear regression, exactly as for
    :class:`RulLinear`. Suits bearing and crack growth, where degradation accelerates.

    References
    ----------
    N. Gebraeel, M. Lawley, R. Li, J. Ryan, "Residual-life distributions from component
    degradation signals: a Bayesian approach", *IIE Transactions* 37(6), 2005.
    D. C. Montgomery, E. A. Peck, G. G. Vining, *Introduction to Linear Regression Analysis*,
    5th ed., Wiley, 2012, ch. 2 and §5.3 (linearizing transformations). ISO 13381-1:2015.
    """

    type_name = "maintenance.rul_exponential"
    title = Text("Remaining useful life (exponential trend)", "剩余使用寿命（指数趋势）")
    params = (*RUL_PARAMS,
              Param("offset", "float", 0.0, unit="=x", title=Text("Offset x₀", "偏移 x₀"),
                    description=Text("Baseline level of the indicator; the fit is on ln(x − x₀).",
                                     "指标的基础水平；对 ln(x − x₀) 进行拟合。")))

    @classmethod
    def check_params(cls, values, problems):
        if values["threshold"] <= values["offset"]:
            problems["threshold"] = f"must be above the offset ({values['offset']:g})"

    def _transform(self, values):
        shifted = values - self.p["offset"]
        ok = np.isfinite(shifted) & (shifted > 0)
        return np.log(np.where(ok, shifted, 1.0)), ok


# ------------------------------------------------------------------------------------------- Weibull


def weibull_mle(times) -> tuple[float, float]:
    """Maximum-likelihood shape β and scale η of a two-parameter Weibull (complete data).

    β solves ``Σ tᵢ^β ln tᵢ / Σ tᵢ^β − 1/β − (1/n) Σ ln tᵢ = 0``, then
    ``η = ((1/n) Σ tᵢ^β)^{1/β}``. NaN when fewer than 2 distinct times.
    """
    t = np.asarray(times, np.float64)
    if len(t) < 2 or t.min() <= 0 or t.min() == t.max():
        return math.nan, math.nan
    scale = t.max()
    logs = np.log(t / scale)  # ≤ 0, so the powers below never overflow
    mean_log = logs.mean()

    def score(beta):
        powers = np.exp(beta * logs)
        return float((powers * logs).sum() / powers.sum() - 1 / beta - mean_log)

    low, high = 1.0, 1.0
    while score(low) > 0 and low > 1e-6:
        low /= 2
    while score(high) < 0 and high < 1e6:
        high *= 2
    if score(low) > 0 or score(high) < 0:
        return math.nan, math.nan
    from scipy import optimize

    beta = optimize.brentq(score, low, high, xtol=1e-14, rtol=1e-15, maxiter=500)
    eta = scale * float(np.mean(np.exp(beta * logs))) ** (1 / beta)
    return beta, eta


class Weibull(Component):
    """Two-parameter Weibull fit of times to failure, reliability at a mission time and B10 life.

    Each input sample is one time to failure (hours). After every failure, once at least 3 are
    known, the maximum-likelihood estimates over all failures so far::

        Σ tᵢ^β ln tᵢ / Σ tᵢ^β − 1/β − (1/n) Σ ln tᵢ = 0,   η = ((1/n) Σ tᵢ^β)^{1/β}
        R(t) = exp(−(t/η)^β),   B10 = η (−ln 0.9)^{1/β}

    (the same estimates as ``scipy.stats.weibull_min.fit(t, floc=0)``). Before 3 failures the
    outputs are NaN (bad). Bad, non-finite or non-positive times are ignored (that output sample
    is uncertain). All failures are complete (no suspensions).

    References
    ----------
    R. B. Abernethy, *The New Weibull Handbook*, 5th ed., 2006, ch. 5 (MLE).
    IEC 61649:2008, *Weibull analysis*, §8.
    """

    type_name = "maintenance.weibull"
    category = "maintenance"
    title = Text("Weibull reliability", "威布尔可靠性分析")
    inputs = (Port("failures", Kind.SCALAR, "h", Text("Time to failure", "失效时间"),
                   Text("One sample per failure: operating time until that failure.",
                        "每次失效一个样本：失效前的运行时间。")),)
    outputs = (Port("beta", Kind.SCALAR, "", Text("Shape β", "形状参数 β")),
               Port("eta", Kind.SCALAR, "h", Text("Scale η (characteristic life)", "尺度参数 η（特征寿命）")),
               Port("reliability", Kind.SCALAR, "", Text("Reliability at mission time", "任务时间可靠度")),
               Port("b10", Kind.SCALAR, "h", Text("B10 life", "B10 寿命")))
    params = (Param("mission_time", "float", 1000.0, 0.0, unit="h", title=Text("Mission time", "任务时间"),
                    description=Text("Operating time t at which the reliability R(t) is given.",
                                     "给出可靠度 R(t) 的运行时间 t。")),
              Param("minimum_failures", "int", 3, 3, 1000, title=Text("Minimum failures", "最少失效数"),
                    description=Text("Number of failures needed before estimates are given.",
                                     "给出估计值之前所需的失效次数。")))

    def init_state(self):
        return SimpleNamespace(times=[])

    def process(self, inputs, state):
        x = inputs["failures"]
        v = np.asarray(x.v, np.float64)
        valid = (x.q < BAD) & np.isfinite(v) & (v > 0)
        out = np.full((len(x), 4), np.nan)
        mission = self.p["mission_time"]
        for i in range(len(x)):  # one fit per failure, over all failures so far
            if valid[i]:
                state.times.append(float(v[i]))
            if len(state.times) >= self.p["minimum_failures"]:
                beta, eta = weibull_mle(state.times)
                out[i] = beta, eta, math.exp(-((mission / eta) ** beta)), eta * (-math.log(0.9)) ** (1 / beta)
        q = np.where(valid, x.q, UNCERTAIN)
        return {name: Chunk(x.t, out[:, j], np.where(np.isnan(out[:, j]), BAD, q).astype(np.uint8))
                for j, name in enumerate(("beta", "eta", "reliability", "b10"))}


# ------------------------------------------------------------------------------------------ anomalies


class ZScoreAnomaly(Component):
    """Rolling z-score against the previous N samples, and an anomaly flag.

    ``z[k] = (x[k] − mean(x[k−N..k−1])) / std(x[k−N..k−1])`` with the sample standard
    deviation (N − 1 in the denominator), the current sample excluded; ``anomaly = |z| > z_max``.
    Bad samples are left out of the window; until N previous samples exist (or when some are
    bad) the score is over those available and uncertain; with fewer than 2 it is NaN (bad). A
    window with zero spread gives NaN (uncertain) and flags any change.

    References
    ----------
    V. Chandola, A. Banerjee, V. Kumar, "Anomaly detection: a survey", *ACM Computing Surveys*
    41(3), 2009, §7 (statistical techniques). NIST/SEMATECH e-Handbook of Statistical Methods,
    §1.3.5.17 (detection of outliers), 2012.
    """

    type_name = "maintenance.zscore_anomaly"
    category = "maintenance"
    title = Text("Z-score anomaly", "Z 分数异常检测")
    inputs = (X,)
    outputs = (Port("score", Kind.SIGNAL, "", Text("z-score", "z 分数")),
               Port("anomaly", Kind.BOOLEAN, "", Text("Anomaly", "异常")))
    params = (Param("window", "int", 100, 2, 1_000_000, title=Text("Window (samples)", "窗口（采样点）"),
                    description=Text("Number N of previous samples the mean and deviation are taken over.",
                                     "计算均值和标准差所用的先前采样点数 N。")),
              Param("threshold", "float", 3.0, 0.0, title=Text("Threshold |z|", "阈值 |z|"),
                    description=Text("A sample is anomalous when |z| exceeds this value.",
                                     "当 |z| 超过此值时判为异常。")))

    def init_state(self):
        return SimpleNamespace(tail=Tail(self.p["window"]))

    def process(self, inputs, state):
        x = inputs["x"]
        if len(x) == 0:
            return {"score": Chunk.empty(), "anomaly": Chunk.empty(np.bool_)}
        n = self.p["window"]
        values, quality, offset = state.tail.extend(x)
        values = np.asarray(values, np.float64)
        ok = (quality < BAD) & np.isfinite(values)
        pad = n - offset
        v = np.concatenate([np.zeros(pad), np.where(ok, values, 0.0)])
        w = np.concatenate([np.zeros(pad), ok.astype(np.float64)])
        q = np.concatenate([np.zeros(pad, np.uint8), np.where(ok, quality, GOOD).astype(np.uint8)])
        score, score_q = [], []
        for rows in _row_blocks(len(x), n):
            # Row r of the windows holds the N samples before sample r of the chunk.
            pv, pw, pq = _windows(v[:-1], n)[rows], _windows(w[:-1], n)[rows], _windows(q[:-1], n)[rows]
            m = pw.sum(axis=1)
            with np.errstate(invalid="ignore", divide="ignore"):
                mean = (pw * pv).sum(axis=1) / m
                dev = (pv - mean[:, None]) * pw
                std = np.sqrt((dev * dev).sum(axis=1) / (m - 1))
                current = v[n:][rows]
                z = (current - mean) / std
            worst = np.max(np.where(pw > 0, pq, GOOD), axis=1, initial=GOOD)
            qq = np.maximum(np.where(m < n, UNCERTAIN, worst), q[n:][rows])
            qq = np.where(std == 0, np.maximum(qq, UNCERTAIN), qq)
            defined = (m >= 2) & (w[n:][rows] > 0)
            z = np.where(defined & (std > 0), z, np.nan)
            flag = np.where(std > 0, np.abs(z) > self.p["threshold"], current != mean) & defined
            score.append((z, flag))
            score_q.append(np.where(defined, qq, BAD).astype(np.uint8))
        z = np.concatenate([s[0] for s in score])
        flag = np.concatenate([s[1] for s in score])
        quality_out = np.concatenate(score_q)
        return {"score": Chunk(x.t, z, quality_out), "anomaly": Chunk(x.t, flag, quality_out.copy())}


class IsolationAnomaly(Component):
    """Isolation-forest anomaly score of the last m samples (time-delay embedding).

    Feature vector ``f[k] = (x[k−m+1], …, x[k])``. An isolation forest (scikit-learn
    ``IsolationForest``, fixed ``random_state``) is trained once on the vectors within the first
    ``training_samples`` samples; every later sample gets the score of Liu et al.::

        s(f, ψ) = 2^(−E[h(f)] / c(ψ)),   c(ψ) = 2 H(ψ − 1) − 2 (ψ − 1)/ψ

    (``−score_samples``): near 1 is anomalous, well below 0.5 is normal; ``anomaly = s > s_max``.
    Until the forest is trained the score is NaN (bad); vectors with a bad sample score NaN.
    Since the training data and the random state are fixed, any chunking gives the same result.

    References
    ----------
    F. T. Liu, K. M. Ting, Z.-H. Zhou, "Isolation Forest", *Proc. IEEE ICDM 2008*, 413–422.
    F. Pedregosa et al., "Scikit-learn: machine learning in Python", *JMLR* 12, 2011.
    """

    type_name = "maintenance.isolation_anomaly"
    category = "maintenance"
    title = Text("Isolation-forest anomaly", "孤立森林异常检测")
    inputs = (X,)
    outputs = (Port("score", Kind.SIGNAL, "", Text("Anomaly score", "异常分数")),
               Port("anomaly", Kind.BOOLEAN, "", Text("Anomaly", "异常")))
    params = (Param("embedding", "int", 8, 1, 1000, title=Text("Embedding length m", "嵌入长度 m"),
                    description=Text("Number of consecutive samples in each feature vector.",
                                     "每个特征向量包含的连续采样点数。")),
              Param("training_samples", "int", 1000, 10, 10_000_000, title=Text("Training samples", "训练样本数"),
                    description=Text("The forest is trained once, on the first samples of the stream.",
                                     "孤立森林只训练一次，使用数据流最前面的这些样本。")),
              Param("trees", "int", 100, 1, 10_000, title=Text("Number of trees", "树的数量"),
                    description=Text("Number of isolation trees in the forest.", "森林中孤立树的数量。")),
              Param("threshold", "float", 0.6, 0.0, 1.0, title=Text("Anomaly threshold", "异常阈值"),
                    description=Text("A sample is anomalous when its score exceeds this value (0.5 is "
                                     "scikit-learn's automatic threshold).",
                                     "分数超过此值时判为异常（0.5 为 scikit-learn 的自动阈值）。")),
              Param("random_state", "int", 0, 0, 2**31 - 1, title=Text("Random seed", "随机种子"),
                    description=Text("Seed of the random sub-sampling and splits; fixed for repeatable results.",
                                     "随机子采样与分割的种子；固定以保证结果可重复。")))

    @classmethod
    def check_params(cls, values, problems):
        if values["training_samples"] < values["embedding"] + 1:
            problems["training_samples"] = f"must be more than the embedding length ({values['embedding']})"

    def init_state(self):
        return SimpleNamespace(tail=Tail(self.p["embedding"] - 1), seen=0, train_v=[], train_q=[], model=None)

    def _train(self, state):
        from sklearn.ensemble import IsolationForest  # imported on first use: scikit-learn loads slowly

        m = self.p["embedding"]
        v, q = np.concatenate(state.train_v), np.concatenate(state.train_q)
        features, ok = _embed(v, q, m)
        state.train_v, state.train_q = [], []
        if ok.sum() >= 2:
            forest = IsolationForest(n_estimators=self.p["trees"], random_state=self.p["random_state"])
            state.model = forest.fit(features[ok])

    def process(self, inputs, state):
        x = inputs["x"]
        if len(x) == 0:
            return {"score": Chunk.empty(), "anomaly": Chunk.empty(np.bool_)}
        m, training = self.p["embedding"], self.p["training_samples"]
        values, quality, offset = state.tail.extend(x)
        k = min(len(x), max(0, training - state.seen))  # samples of this chunk that are training data
        if k:
            state.train_v.append(np.asarray(x.v[:k], np.float64))
            state.train_q.append(x.q[:k])
        state.seen += len(x)
        if k and state.seen >= training:
            self._train(state)
        score = np.full(len(x), np.nan)
        q = np.full(len(x), BAD, np.uint8)
        if k < len(x) and state.model is not None:
            features, ok = _embed(np.asarray(values, np.float64)[offset + k - m + 1:], quality[offset + k - m + 1:], m)
            if ok.any():
                score[k:][ok] = -state.model.score_samples(features[ok])
                worst = _windows(quality[offset + k - m + 1:], m).max(axis=1)
                q[k:] = np.where(ok, worst, BAD)
        flag = np.nan_to_num(score, nan=0.0) > self.p["threshold"]
        return {"score": Chunk(x.t, score, q), "anomaly": Chunk(x.t, flag, q.copy())}


def _embed(values: np.ndarray, quality: np.ndarray, m: int) -> tuple[np.ndarray, np.ndarray]:
    """Delay vectors of ``m`` consecutive values and whether each is usable (all good, finite)."""
    features = _windows(values, m)
    ok = np.isfinite(features).all(axis=1) & (_windows(quality, m).max(axis=1) < BAD)
    return features, ok


COMPONENTS = (RunHours, StartCounter, RulLinear, RulExponential, Weibull, ZScoreAnomaly, IsolationAnomaly)
