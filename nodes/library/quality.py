"""Statistical process control: Shewhart control charts, run rules and process capability.

Subgroup charts cut the input into consecutive subgroups of ``n`` samples
(:class:`nodes.windows.Blocks`); each completed subgroup gives one output sample stamped with
the time of its last sample. Control limits come from running sums kept in the state: from all
subgroups so far, or from the first ``baseline`` subgroups and then frozen (Phase I → Phase II).
Subgroups (or individuals) that contain a bad-quality or non-finite value are charted as bad
and left out of the limits.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from types import SimpleNamespace
from typing import ClassVar

import numpy as np

from nodes.chunk import BAD, GOOD, UNCERTAIN, Chunk
from nodes.component import Component, Kind, Param, Port, Text
from nodes.windows import Blocks, Tail

# Mean d2 and standard deviation d3 of the range of n independent standard normal values,
# computed by numerical integration of the distribution of the range; they agree with
# H. L. Harter, "Tables of range and studentized range", Ann. Math. Statist. 31(4), 1960.
# The chart factors of Montgomery (2019, Appendix VI) and ASTM E2587 are these values rounded.
D2_D3 = {2: (1.128379, 0.852502), 3: (1.692569, 0.888368), 4: (2.058751, 0.879808), 5: (2.325929, 0.864082),
         6: (2.534413, 0.848040), 7: (2.704357, 0.833205), 8: (2.847201, 0.819831), 9: (2.970026, 0.807834),
         10: (3.077505, 0.797051), 11: (3.172873, 0.787315), 12: (3.258455, 0.778478), 13: (3.335980, 0.770416),
         14: (3.406763, 0.763023), 15: (3.471827, 0.756211), 16: (3.531983, 0.749908), 17: (3.587884, 0.744052),
         18: (3.640064, 0.738591), 19: (3.688963, 0.733481), 20: (3.734950, 0.728686), 21: (3.778336, 0.724173),
         22: (3.819385, 0.719915), 23: (3.858323, 0.715887), 24: (3.895348, 0.712068), 25: (3.930629, 0.708441)}
MAX_SUBGROUP = 25


def d2(n: int) -> float:
    """Mean of the relative range W/σ of n normal values (bias correction of R̄)."""
    return D2_D3[n][0]


def d3(n: int) -> float:
    """Standard deviation of the relative range W/σ of n normal values."""
    return D2_D3[n][1]


def c4(n: int) -> float:
    """Bias correction of the sample standard deviation: ``c4 = sqrt(2/(n−1)) Γ(n/2) / Γ((n−1)/2)``."""
    return math.sqrt(2.0 / (n - 1)) * math.exp(math.lgamma(n / 2) - math.lgamma((n - 1) / 2))


def chart_factors(n: int) -> dict[str, float]:
    """Shewhart chart factors for subgroups of ``n`` (2 … 25), unrounded.

    ``A2 = 3/(d2 √n)``, ``D3 = max(0, 1 − 3 d3/d2)``, ``D4 = 1 + 3 d3/d2``, ``A3 = 3/(c4 √n)``,
    ``B3 = max(0, 1 − 3 √(1 − c4²)/c4)``, ``B4 = 1 + 3 √(1 − c4²)/c4`` (Montgomery, Appendix VI).
    """
    d2n, d3n, c4n = d2(n), d3(n), c4(n)
    spread = 3 * math.sqrt(1 - c4n * c4n) / c4n
    return {"d2": d2n, "d3": d3n, "c4": c4n, "A2": 3 / (d2n * math.sqrt(n)), "D3": max(0.0, 1 - 3 * d3n / d2n),
            "D4": 1 + 3 * d3n / d2n, "A3": 3 / (c4n * math.sqrt(n)), "B3": max(0.0, 1 - spread), "B4": 1 + spread}


X = Port("x", Kind.SIGNAL, "*", Text("Measurement", "测量值"))
EVENTS = Port("events", Kind.EVENTS, "", Text("Rule violations", "判异事件"),
              Text("One event per rule violation: time of the point that completes the pattern, the rule "
                   "number as value and a short text.",
                   "每次违反判异准则产生一个事件：时间为完成该模式的点，数值为准则编号，并附简短说明。"))
SUBGROUP = Param("n", "int", 5, 2, MAX_SUBGROUP, title=Text("Subgroup size n", "子组大小 n"),
                 description=Text("Number of consecutive samples in each rational subgroup (2 to 25).",
                                  "每个合理子组中连续采样点的数量（2 至 25）。"))
BASELINE = Param("baseline", "int", 0, 0, 10_000_000, title=Text("Baseline subgroups", "基准子组数"),
                 description=Text("0: control limits from all valid subgroups so far, updated with each subgroup. "
                                  "N > 0: limits from the first N valid subgroups, then frozen (Phase I → Phase II); "
                                  "until then they are marked uncertain.",
                                  "0：控制限由迄今所有有效子组计算，并随每个子组更新。N > 0：控制限由前 N 个有效子组"
                                  "计算后冻结（第一阶段 → 第二阶段）；在此之前标记为不确定。"))


def _out(name: str, en: str, zh: str, unit: str = "=x", kind: Kind = Kind.SIGNAL) -> Port:
    return Port(name, kind, unit, Text(en, zh))


class _Running:
    """Running sums of per-subgroup statistics, optionally frozen after ``baseline`` subgroups."""

    def __init__(self, width: int, baseline: int = 0):
        self.baseline = baseline
        self.count = 0
        self.sums = np.zeros(width)

    def include(self, valid: np.ndarray) -> np.ndarray:
        """Which of the valid subgroups enter the sums (all, or those within the baseline)."""
        if not self.baseline:
            return valid
        return valid & (self.count + np.cumsum(valid) <= self.baseline)

    def accumulate(self, included: np.ndarray, stats: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Count and sums ``(k, width)`` after each subgroup; ``stats`` is ``(k, width)``."""
        count = self.count + np.cumsum(included, dtype=np.int64)
        contribution = np.where(included[:, None], stats, 0.0)
        # One sequential cumulative sum that starts from the carried total: identical for any chunking.
        sums = np.cumsum(np.vstack([self.sums[None, :], contribution]), axis=0)[1:]
        if len(count):
            self.count, self.sums = int(count[-1]), sums[-1].copy()
        return count, sums

    def means(self, included: np.ndarray, stats: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Count and means ``(k, width)`` after each subgroup (NaN while the count is 0)."""
        count, sums = self.accumulate(included, stats)
        with np.errstate(invalid="ignore", divide="ignore"):
            return count, sums / count[:, None]

    def quality(self, count: np.ndarray) -> np.ndarray:
        """Bad with no data yet, uncertain while the baseline is being collected, good after."""
        q = np.where(count == 0, BAD, GOOD)
        if self.baseline:
            q = np.where((count > 0) & (count < self.baseline), UNCERTAIN, q)
        return q.astype(np.uint8)


def _nan_where_bad(values: np.ndarray, quality: np.ndarray) -> np.ndarray:
    return np.where(quality >= BAD, np.nan, values)


class _SubgroupChart(Component):
    """Shared implementation of the X̄-R and X̄-S charts."""

    category = "quality"
    inputs = (X,)
    params = (SUBGROUP, BASELINE)
    dispersion = "range"

    def _dispersion(self, values: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def _limit_factors(self) -> tuple[float, float, float]:
        """(factor of the dispersion for the X̄ limits, lower and upper factor of the dispersion chart)."""
        raise NotImplementedError

    def init_state(self):
        return SimpleNamespace(blocks=Blocks(self.p["n"]), running=_Running(2, self.p["baseline"]))

    def process(self, inputs, state):
        values, t, q = state.blocks.feed(inputs["x"])
        valid = (q < BAD) & np.isfinite(values).all(axis=1)
        q = np.where(valid, q, BAD).astype(np.uint8)
        xbar = values.mean(axis=1)
        spread = self._dispersion(values)
        running = state.running
        count, means = running.means(running.include(valid), np.column_stack([xbar, spread]))
        center, spread_bar = means[:, 0], means[:, 1]
        a, low, high = self._limit_factors()
        limit_q = running.quality(count)
        d = self.dispersion[0]
        series = {"xbar": (xbar, q), self.dispersion: (spread, q),
                  "x_cl": (center, limit_q), "x_ucl": (center + a * spread_bar, limit_q),
                  "x_lcl": (center - a * spread_bar, limit_q), f"{d}_cl": (spread_bar, limit_q),
                  f"{d}_ucl": (high * spread_bar, limit_q), f"{d}_lcl": (low * spread_bar, limit_q)}
        return {name: Chunk(t.copy(), _nan_where_bad(v, qq), qq.copy()) for name, (v, qq) in series.items()}


class XbarR(_SubgroupChart):
    """X̄-R control chart: subgroup means and ranges with 3σ limits from the average range.

    For subgroups of ``n`` consecutive samples with means ``x̄ᵢ`` and ranges ``Rᵢ = max − min``,
    over the ``k`` subgroups in the limits::

        X̿ = (1/k) Σ x̄ᵢ,   R̄ = (1/k) Σ Rᵢ
        UCL_x = X̿ + A2·R̄,   CL_x = X̿,   LCL_x = X̿ − A2·R̄
        UCL_R = D4·R̄,       CL_R = R̄,   LCL_R = D3·R̄

    with ``A2 = 3/(d2 √n)``, ``D3 = max(0, 1 − 3 d3/d2)``, ``D4 = 1 + 3 d3/d2`` (e.g. n = 5:
    A2 = 0.577, D3 = 0, D4 = 2.114, d2 = 2.326), from unrounded d2 and d3. Each completed
    subgroup gives one sample of every output, stamped with its last sample's time.

    References
    ----------
    D. C. Montgomery, *Introduction to Statistical Quality Control*, 8th ed., Wiley, 2019, §6.2
    and Appendix VI. ASTM E2587-16, *Standard Practice for Use of Control Charts in Statistical
    Process Control*.

    Examples
    --------
    >>> from nodes.chunk import Chunk
    >>> chart = XbarR({"n": 2})
    >>> out = chart.process({"x": Chunk.of([1, 2, 3, 4], [1.0, 3.0, 2.0, 2.0])}, chart.init_state())
    >>> out["xbar"].v, out["range"].v, out["r_cl"].v
    (array([2., 2.]), array([2., 0.]), array([2., 1.]))
    >>> out["x_ucl"].v.round(3)  # 2 + 1.880 · R̄
    array([5.76, 3.88])
    """

    type_name = "quality.xbar_r"
    title = Text("X̄-R control chart", "均值-极差控制图")
    outputs = (_out("xbar", "Subgroup mean x̄", "子组均值 x̄"), _out("range", "Subgroup range R", "子组极差 R"),
               _out("x_cl", "Center line X̿", "均值中心线 X̿"), _out("x_ucl", "Upper control limit (x̄)", "均值上控制限"),
               _out("x_lcl", "Lower control limit (x̄)", "均值下控制限"), _out("r_cl", "Center line R̄", "极差中心线 R̄"),
               _out("r_ucl", "Upper control limit (R)", "极差上控制限"),
               _out("r_lcl", "Lower control limit (R)", "极差下控制限"))
    dispersion = "range"

    def _dispersion(self, values):
        return np.ptp(values, axis=1) if len(values) else np.empty(0)

    def _limit_factors(self):
        f = chart_factors(self.p["n"])
        return f["A2"], f["D3"], f["D4"]


class XbarS(_SubgroupChart):
    """X̄-S control chart: subgroup means and standard deviations with limits from S̄.

    For subgroups of ``n`` with means ``x̄ᵢ`` and sample standard deviations
    ``sᵢ = sqrt(Σ (x − x̄ᵢ)² / (n − 1))``, over the ``k`` subgroups in the limits::

        X̿ = (1/k) Σ x̄ᵢ,   S̄ = (1/k) Σ sᵢ
        UCL_x = X̿ + A3·S̄,   CL_x = X̿,   LCL_x = X̿ − A3·S̄
        UCL_S = B4·S̄,       CL_S = S̄,   LCL_S = B3·S̄

    with ``c4 = sqrt(2/(n−1)) Γ(n/2)/Γ((n−1)/2)``, ``A3 = 3/(c4 √n)``,
    ``B3 = max(0, 1 − 3√(1 − c4²)/c4)``, ``B4 = 1 + 3√(1 − c4²)/c4`` (n = 5: A3 = 1.427,
    B3 = 0, B4 = 2.089, c4 = 0.9400).

    References
    ----------
    D. C. Montgomery, *Introduction to Statistical Quality Control*, 8th ed., Wiley, 2019, §6.3
    and Appendix VI. ASTM E2587-16.
    """

    type_name = "quality.xbar_s"
    title = Text("X̄-S control chart", "均值-标准差控制图")
    outputs = (_out("xbar", "Subgroup mean x̄", "子组均值 x̄"),
               _out("s", "Subgroup standard deviation s", "子组标准差 s"),
               _out("x_cl", "Center line X̿", "均值中心线 X̿"), _out("x_ucl", "Upper control limit (x̄)", "均值上控制限"),
               _out("x_lcl", "Lower control limit (x̄)", "均值下控制限"),
               _out("s_cl", "Center line S̄", "标准差中心线 S̄"),
               _out("s_ucl", "Upper control limit (s)", "标准差上控制限"),
               _out("s_lcl", "Lower control limit (s)", "标准差下控制限"))
    dispersion = "s"

    def _dispersion(self, values):
        return values.std(axis=1, ddof=1) if len(values) else np.empty(0)

    def _limit_factors(self):
        f = chart_factors(self.p["n"])
        return f["A3"], f["B3"], f["B4"]


class IndividualsMovingRange(Component):
    """Individuals and moving-range (I-MR) chart for one measurement at a time.

    ``MRᵢ = |xᵢ − xᵢ₋₁|``; over the individuals and moving ranges in the limits::

        X̄ = mean(x),   M̄R̄ = mean(MR)
        UCL_x = X̄ + E2·M̄R̄,   LCL_x = X̄ − E2·M̄R̄,   E2 = 3/d2 = 2.66 (d2 = 1.128 for n = 2)
        UCL_MR = D4·M̄R̄ = 3.267·M̄R̄,   CL_MR = M̄R̄,   LCL_MR = 0

    One output sample per input sample. The first sample has no moving range (NaN, bad); so do
    samples next to a bad one. With ``baseline`` = N the limits come from the first N valid
    individuals (and the moving ranges among them), then stay frozen.

    References
    ----------
    D. C. Montgomery, *Introduction to Statistical Quality Control*, 8th ed., Wiley, 2019, §6.4.
    ASTM E2587-16, §9.
    """

    type_name = "quality.imr"
    category = "quality"
    title = Text("Individuals and moving range chart (I-MR)", "单值-移动极差控制图")
    inputs = (X,)
    outputs = (_out("mr", "Moving range", "移动极差"), _out("x_cl", "Center line X̄", "单值中心线 X̄"),
               _out("x_ucl", "Upper control limit (x)", "单值上控制限"),
               _out("x_lcl", "Lower control limit (x)", "单值下控制限"),
               _out("mr_cl", "Center line M̄R̄", "移动极差中心线 M̄R̄"),
               _out("mr_ucl", "Upper control limit (MR)", "移动极差上控制限"))
    params = (Param("baseline", "int", 0, 0, 100_000_000, title=Text("Baseline samples", "基准样本数"),
                    description=Text("0: limits from all valid samples so far. N > 0: limits from the first N valid "
                                     "samples, then frozen; until then they are marked uncertain.",
                                     "0：控制限由迄今所有有效样本计算。N > 0：控制限由前 N 个有效样本计算后冻结；"
                                     "在此之前标记为不确定。")),)

    def init_state(self):
        baseline = self.p["baseline"]
        return SimpleNamespace(x=_Running(1, baseline), mr=_Running(1), prev=np.nan, prev_q=BAD)

    def process(self, inputs, state):
        x = inputs["x"]
        v = np.asarray(x.v, np.float64)
        valid = (x.q < BAD) & np.isfinite(v)
        prev = np.concatenate([[state.prev], v[:-1]])
        prev_q = np.concatenate([[state.prev_q], x.q[:-1]]).astype(np.uint8)
        prev_valid = (prev_q < BAD) & np.isfinite(prev)
        mr_valid = valid & prev_valid
        mr = np.where(mr_valid, np.abs(v - prev), np.nan)
        mr_q = np.where(mr_valid, np.maximum(x.q, prev_q), BAD).astype(np.uint8)
        included = state.x.include(valid)
        count, mean = state.x.means(included, np.where(valid, v, 0.0)[:, None])
        mr_count, mr_bar = state.mr.means(mr_valid & included, np.where(mr_valid, mr, 0.0)[:, None])
        center, mr_bar = mean[:, 0], mr_bar[:, 0]
        if len(x):
            state.prev, state.prev_q = v[-1], x.q[-1]
        e2, d4 = 3 / d2(2), chart_factors(2)["D4"]
        center_q = state.x.quality(count)
        limit_q = np.where(mr_count == 0, BAD, center_q).astype(np.uint8)
        series = {"mr": (mr, mr_q), "x_cl": (center, center_q), "x_ucl": (center + e2 * mr_bar, limit_q),
                  "x_lcl": (center - e2 * mr_bar, limit_q), "mr_cl": (mr_bar, limit_q),
                  "mr_ucl": (d4 * mr_bar, limit_q)}
        return {name: Chunk(x.t, _nan_where_bad(values, q), q) for name, (values, q) in series.items()}


# ---------------------------------------------------------------------------------------- run rules

Rule = tuple[int, str, Callable[[np.ndarray, np.ndarray], np.ndarray]]


def _count(flags: np.ndarray, window: int) -> np.ndarray:
    """How many of the last ``window`` flags are true at each index; −1 before a full window."""
    cumulative = np.concatenate([[0], np.cumsum(flags, dtype=np.int64)])
    out = np.full(len(flags), -1, np.int64)
    if len(flags) >= window:
        out[window - 1:] = cumulative[window:] - cumulative[:-window]
    return out


def _beyond(level: float):
    def test(z, x):
        return np.abs(z) > level
    return test


def _k_of_m_one_side(k: int, m: int, level: float):
    """k of the last m points beyond ``level`` σ on one side, the newest point among them."""
    def test(z, x):
        up, down = z > level, z < -level
        return ((_count(up, m) >= k) & up) | ((_count(down, m) >= k) & down)
    return test


def _run_one_side(m: int):
    def test(z, x):
        return (_count(z > 0, m) == m) | (_count(z < 0, m) == m)
    return test


def _differences(x: np.ndarray) -> np.ndarray:
    return np.concatenate([[np.nan], np.diff(x)]) if len(x) else x


def _trend(m: int):
    """m points in a row steadily increasing or decreasing (m − 1 differences of one sign)."""
    def test(z, x):
        d = _differences(x)
        return (_count(d > 0, m - 1) == m - 1) | (_count(d < 0, m - 1) == m - 1)
    return test


def _alternating(m: int):
    """m points in a row alternating up and down (m − 2 sign changes of the differences)."""
    def test(z, x):
        d = _differences(x)
        change = np.zeros(len(d), bool)
        change[1:] = d[1:] * d[:-1] < 0
        return _count(change, m - 2) == m - 2
    return test


def _within(m: int, level: float):
    def test(z, x):
        return _count(np.abs(z) < level, m) == m
    return test


def _mixture(m: int, level: float):
    """m points in a row beyond ``level`` σ, on both sides of the center line."""
    def test(z, x):
        return ((_count(np.abs(z) > level, m) == m) & (_count(z > level, m) >= 1) & (_count(z < -level, m) >= 1))
    return test


class _RunRules(Component):
    """Shared implementation of the run-rule detectors."""

    category = "quality"
    inputs = (X,)
    outputs = (EVENTS,)
    params = (Param("center", "float", 0.0, unit="=x", title=Text("Center line", "中心线"),
                    description=Text("Process mean μ₀ (used when the baseline is 0).",
                                     "过程均值 μ₀（基准样本数为 0 时使用）。")),
              Param("sigma", "float", 1.0, 0.0, unit="=x", title=Text("Process sigma σ", "过程标准差 σ"),
                    description=Text("Standard deviation of the in-control process (used when the baseline is 0).",
                                     "受控过程的标准差（基准样本数为 0 时使用）。")),
              Param("baseline", "int", 0, 0, 10_000_000, title=Text("Baseline samples", "基准样本数"),
                    description=Text("0: use the center line and sigma above. N ≥ 2: estimate them from the first N "
                                     "samples (mean, and average moving range / 1.128) and apply the rules to the "
                                     "samples after them.",
                                     "0：使用上面的中心线和标准差。N ≥ 2：由前 N 个样本估计"
                                     "（均值，以及平均移动极差 / 1.128），并对其后的样本应用判异准则。")))
    rules: ClassVar[tuple[Rule, ...]] = ()
    history: ClassVar[int] = 0

    @classmethod
    def check_params(cls, values, problems):
        if values["baseline"] == 0 and values["sigma"] <= 0:
            problems["sigma"] = "must be greater than 0"
        if values["baseline"] == 1:
            problems["baseline"] = "must be 0 (use center and sigma) or at least 2 samples"

    def init_state(self):
        fixed = self.p["baseline"] == 0
        return SimpleNamespace(tail=Tail(self.history), center=self.p["center"] if fixed else None,
                               sigma=self.p["sigma"] if fixed else None, base_v=[], base_q=[], base_count=0)

    def _collect_baseline(self, x: Chunk, state) -> Chunk:
        """Take the baseline samples from the front of ``x``; estimate once complete; the rest."""
        k = min(len(x), self.p["baseline"] - state.base_count)
        state.base_v.append(np.asarray(x.v[:k], np.float64))
        state.base_q.append(x.q[:k])
        state.base_count += k
        if state.base_count == self.p["baseline"]:
            v, q = np.concatenate(state.base_v), np.concatenate(state.base_q)
            v = np.where((q < BAD) & np.isfinite(v), v, np.nan)
            mr = np.abs(np.diff(v))
            mr = mr[np.isfinite(mr)]
            state.center = float(np.nanmean(v)) if np.isfinite(v).any() else np.nan
            state.sigma = float(mr.mean() / d2(2)) if len(mr) else np.nan
            state.base_v, state.base_q = [], []
        return Chunk(x.t[k:], x.v[k:], x.q[k:])

    def process(self, inputs, state):
        x = inputs["x"]
        if state.center is None:
            x = self._collect_baseline(x, state)
        if len(x) == 0:
            return {"events": Chunk.empty()}
        values, quality, offset = state.tail.extend(x)
        values = np.where(quality < BAD, np.asarray(values, np.float64), np.nan)
        sigma = state.sigma
        usable = bool(np.isfinite(sigma) and sigma > 0)
        z = (values - state.center) / sigma if usable else np.full(len(values), np.nan)
        index, codes, labels = [], [], []
        for code, label, test in self.rules:
            hits = np.flatnonzero(test(z, values)[offset:])
            index.append(hits)
            codes.append(np.full(len(hits), code))
            labels.extend([label] * len(hits))
        index_all, code_all = np.concatenate(index), np.concatenate(codes)
        order = np.lexsort((code_all, index_all))
        index_all = index_all[order]
        return {"events": Chunk(x.t[index_all], code_all[order].astype(np.float64), x.q[index_all].copy(),
                                labels=tuple(labels[i] for i in order))}


class WesternElectric(_RunRules):
    """Western Electric zone rules 1–4 on a signal, as events.

    With ``z = (x − μ₀)/σ``, an event is raised at point i when, looking back from it:

    1. one point beyond 3σ: ``|zᵢ| > 3``;
    2. two of three successive points beyond 2σ on the same side (point i among them);
    3. four of five successive points beyond 1σ on the same side (point i among them);
    4. eight successive points on the same side of the center line (``z > 0`` or ``z < 0``).

    A pattern that goes on (a ninth point on one side) raises the rule again at each further
    point. μ₀ and σ are parameters, or estimated from the first ``baseline`` samples as
    ``μ₀ = x̄`` and ``σ = M̄R̄/d2 = M̄R̄/1.128``; the rules then apply to the samples after the
    baseline. Bad or non-finite samples satisfy no condition (they break runs). The last
    samples are kept in the state, so a pattern across a chunk boundary is reported exactly once.

    References
    ----------
    Western Electric Co., *Statistical Quality Control Handbook*, Indianapolis, 1956, §1.B.3.
    D. C. Montgomery, *Introduction to Statistical Quality Control*, 8th ed., Wiley, 2019, §5.3.6.
    """

    type_name = "quality.western_electric"
    title = Text("Western Electric rules", "西电判异准则")
    rules = ((1, "Rule 1: one point beyond 3σ", _beyond(3.0)),
             (2, "Rule 2: two of three points beyond 2σ on one side", _k_of_m_one_side(2, 3, 2.0)),
             (3, "Rule 3: four of five points beyond 1σ on one side", _k_of_m_one_side(4, 5, 1.0)),
             (4, "Rule 4: eight points in a row on one side of the center line", _run_one_side(8)))
    history = 7


class Nelson(_RunRules):
    """Nelson's eight tests for special causes on a signal, as events.

    With ``z = (x − μ₀)/σ``, an event is raised at point i when, looking back from it:

    1. one point beyond 3σ;
    2. nine points in a row on one side of the center line;
    3. six points in a row steadily increasing or decreasing (five differences of one sign);
    4. fourteen points in a row alternating up and down;
    5. two of three points beyond 2σ on one side (point i among them);
    6. four of five points beyond 1σ on one side (point i among them);
    7. fifteen points in a row within 1σ (``|z| < 1``), on either side;
    8. eight points in a row beyond 1σ (``|z| > 1``) with points on both sides of the center line.

    Rules 3 and 4 look at the values themselves; ties break a trend or an alternation. Rule 8
    follows Nelson's wording (both sides); some software drops that condition. A pattern that
    goes on raises its rule again at each further point. μ₀ and σ are parameters or estimated
    from a baseline, as for :class:`WesternElectric`; bad samples break runs, and the last 14
    samples are kept in the state so a pattern across a chunk boundary is reported exactly once.

    References
    ----------
    L. S. Nelson, "The Shewhart control chart — tests for special causes", *Journal of Quality
    Technology* 16(4), 237–239, 1984.
    """

    type_name = "quality.nelson"
    title = Text("Nelson rules", "Nelson 判异准则")
    rules = ((1, "Rule 1: one point beyond 3σ", _beyond(3.0)),
             (2, "Rule 2: nine points in a row on one side of the center line", _run_one_side(9)),
             (3, "Rule 3: six points in a row steadily increasing or decreasing", _trend(6)),
             (4, "Rule 4: fourteen points in a row alternating up and down", _alternating(14)),
             (5, "Rule 5: two of three points beyond 2σ on one side", _k_of_m_one_side(2, 3, 2.0)),
             (6, "Rule 6: four of five points beyond 1σ on one side", _k_of_m_one_side(4, 5, 1.0)),
             (7, "Rule 7: fifteen points in a row within 1σ", _within(15, 1.0)),
             (8, "Rule 8: eight points in a row beyond 1σ on both sides", _mixture(8, 1.0)))
    history = 14


# ---------------------------------------------------------------------------------------- capability


class Capability(Component):
    """Process capability and performance indices Cp, Cpk, Pp and Ppk, cumulative.

    From all valid samples in the subgroups completed so far (mean μ, sample standard deviation
    s) and the within-subgroup sigma::

        σ_within = R̄/d2(n)          (subgroups of n ≥ 2)
        σ_within = M̄R̄/d2(2) = M̄R̄/1.128   (n = 1, moving ranges of consecutive samples)
        Cp  = (USL − LSL) / (6 σ_within),   Cpk = min(USL − μ, μ − LSL) / (3 σ_within)
        Pp  = (USL − LSL) / (6 s),          Ppk = min(USL − μ, μ − LSL) / (3 s)

    One output sample per completed subgroup, stamped with its last sample's time. Subgroups
    with a bad or non-finite value are left out. An index is NaN (bad) until its sigma is known
    and non-zero. The overall sums are taken about the first value (shifted data) to avoid
    cancellation.

    References
    ----------
    ISO 22514-2:2017, *Statistical methods in process management — Capability and performance —
    Part 2: Process capability and performance of time-dependent process models*. D. C.
    Montgomery, *Introduction to Statistical Quality Control*, 8th ed., Wiley, 2019, ch. 8.
    """

    type_name = "quality.capability"
    category = "quality"
    title = Text("Process capability (Cp, Cpk, Pp, Ppk)", "过程能力（Cp、Cpk、Pp、Ppk）")
    inputs = (X,)
    outputs = (_out("cp", "Cp", "Cp", ""), _out("cpk", "Cpk", "Cpk", ""), _out("pp", "Pp", "Pp", ""),
               _out("ppk", "Ppk", "Ppk", ""), _out("mean", "Mean μ", "均值 μ"),
               _out("sigma_within", "Within-subgroup sigma", "组内标准差"),
               _out("sigma_overall", "Overall sigma", "总体标准差"))
    params = (Param("lsl", "float", -1.0, unit="=x", title=Text("Lower specification limit LSL", "规格下限 LSL"),
                    description=Text("Smallest acceptable value.", "可接受的最小值。")),
              Param("usl", "float", 1.0, unit="=x", title=Text("Upper specification limit USL", "规格上限 USL"),
                    description=Text("Largest acceptable value.", "可接受的最大值。")),
              Param("n", "int", 5, 1, MAX_SUBGROUP, title=Text("Subgroup size n", "子组大小 n"),
                    description=Text("Consecutive samples per subgroup (1 to 25); 1 uses moving ranges of "
                                     "individual values for the within sigma.",
                                     "每个子组的连续采样点数（1 至 25）；为 1 时用单值的移动极差估计组内标准差。")))

    @classmethod
    def check_params(cls, values, problems):
        if values["lsl"] >= values["usl"]:
            problems["lsl"] = f"must be below the upper specification limit ({values['usl']:g})"

    def init_state(self):
        return SimpleNamespace(blocks=Blocks(self.p["n"]), overall=_Running(2), within=_Running(1), shift=None,
                               prev=np.nan)

    def process(self, inputs, state):
        n = self.p["n"]
        values, t, q = state.blocks.feed(inputs["x"])
        valid = (q < BAD) & np.isfinite(values).all(axis=1)
        if state.shift is None and valid.any():
            state.shift = float(values[np.argmax(valid), 0])
        shift = state.shift if state.shift is not None else np.nan
        deviation = values - (0.0 if state.shift is None else state.shift)
        subgroups, sums = state.overall.accumulate(valid, np.column_stack([deviation.sum(axis=1),
                                                                           (deviation * deviation).sum(axis=1)]))
        size, s1, s2 = subgroups * n, sums[:, 0], sums[:, 1]
        if n == 1:
            current = np.where(valid, values[:, 0], np.nan)
            dispersion = np.abs(current - np.concatenate([[state.prev], current[:-1]]))
            if len(current):
                state.prev = current[-1]
        else:
            dispersion = np.ptp(values, axis=1) if len(values) else np.empty(0)
        dispersion_valid = valid & np.isfinite(dispersion)
        _, dispersion_bar = state.within.means(dispersion_valid, np.where(dispersion_valid, dispersion, 0.0)[:, None])
        usl, lsl = self.p["usl"], self.p["lsl"]
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = shift + s1 / size
            sigma_overall = np.sqrt(np.clip((s2 - s1 * s1 / size) / (size - 1), 0, None))
            sigma_overall = np.where(size >= 2, sigma_overall, np.nan)
            sigma_within = dispersion_bar[:, 0] / d2(max(n, 2))
            nearest = np.minimum(usl - mean, mean - lsl)
            within = np.where(sigma_within > 0, sigma_within, np.nan)
            overall = np.where(sigma_overall > 0, sigma_overall, np.nan)
            series = {"cp": (usl - lsl) / (6 * within), "cpk": nearest / (3 * within),
                      "pp": (usl - lsl) / (6 * overall), "ppk": nearest / (3 * overall),
                      "mean": mean, "sigma_within": sigma_within, "sigma_overall": sigma_overall}
        return {name: Chunk(t.copy(), v, np.where(np.isfinite(v), GOOD, BAD).astype(np.uint8))
                for name, v in series.items()}


COMPONENTS = (XbarR, XbarS, IndividualsMovingRange, WesternElectric, Nelson, Capability)
