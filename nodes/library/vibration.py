"""Vibration analysis: block statistics, spectra, envelope, order tracking, ISO zones, bearing frequencies.

Block components cut the stream into consecutive blocks of N samples (tumbling windows, see
:class:`nodes.windows.Blocks`); each complete block gives one output sample stamped with the
block's last timestamp and the worst quality found in the block. scipy.signal is imported where it
is used: every component module loads with the registry, and an app without vibration analysis
(the headless runtime) should not carry it.
"""

from __future__ import annotations

from dataclasses import replace
from types import SimpleNamespace

import numpy as np

from nodes.chunk import BAD, UNCERTAIN, Chunk, require_aligned, worst_quality
from nodes.component import Component, Kind, Param, Port, Text
from nodes.kernels import Kernel, KernelState, stateless
from nodes.windows import Blocks

NS = 1e-9  # seconds per timestamp tick

X = Port("x", Kind.SIGNAL, "*", Text("Vibration", "振动信号"),
         Text("Acceleration, velocity or displacement samples.", "加速度、速度或位移采样值。"))
BLOCK_SIZE = Param("block_size", "int", 1024, 1, 10_000_000, title=Text("Block size (samples)", "块长度（采样点）"),
                   description=Text("Samples per block; each complete block gives one output stamped with its "
                                    "last sample's time.",
                                    "每块的采样点数；每个完整的块输出一个结果，时间戳为该块最后一个采样点的时间。"))
FFT_BLOCK_SIZE = replace(BLOCK_SIZE, minimum=2, description=Text(
    "Samples per FFT block; the frequency resolution is sample rate / block size.",
    "每个 FFT 块的采样点数；频率分辨率为采样率 / 块长度。"))
SAMPLE_RATE = Param("sample_rate", "float", 1000.0, 1e-6, 1e9, unit="Hz", title=Text("Sample rate", "采样率"),
                    description=Text("Rate at which the input is sampled.", "输入信号的采样率。"))
WINDOWS = ("rectangular", "hann", "hamming", "blackman", "flattop")
WINDOW = Param("window", "choice", "hann", choices=WINDOWS, title=Text("Window", "窗函数"),
               description=Text("Window applied to each block before the FFT; flattop reads amplitudes most "
                                "accurately, hann separates close frequencies better.",
                                "FFT 前对每块施加的窗函数；平顶窗幅值最准确，汉宁窗更易分辨相近频率。"))
SCALING = Param("scaling", "choice", "peak", choices=("peak", "rms"), title=Text("Amplitude scaling", "幅值标定"),
                description=Text("Show each sine component as its peak amplitude A or as its RMS value A/√2.",
                                 "将每个正弦分量显示为峰值幅值 A，或有效值 A/√2。"))


def _window(name: str, size: int) -> np.ndarray:
    """The periodic (DFT-even) window of ``size`` points."""
    from scipy.signal import get_window

    return get_window("boxcar" if name == "rectangular" else name, size, fftbins=True)


def _amplitude_spectrum(blocks: np.ndarray, window: np.ndarray, scaling: str) -> np.ndarray:
    """Single-sided amplitude spectrum of each row, corrected for the window's coherent gain.

    ``A[k] = c_k · |Σ_n w[n] x[n] e^{−2πikn/N}| / Σ_n w[n]`` with ``c_k = 2`` except at DC and
    (even N) Nyquist, where ``c_k = 1``; divided by √2 (except DC) for RMS scaling.
    """
    size = window.size
    if len(blocks) == 0:
        return np.empty((0, size // 2 + 1))
    spectrum = np.abs(np.fft.rfft(blocks * window, axis=1)) / window.sum()
    doubled = slice(1, (size + 1) // 2)
    spectrum[:, doubled] *= 2.0
    if scaling == "rms":
        spectrum[:, 1:] /= np.sqrt(2.0)
    return spectrum


def _flag_undefined(y: np.ndarray, q: np.ndarray) -> np.ndarray:
    """Block quality, bad where the statistic is undefined (NaN input, zero RMS or variance)."""
    return np.where(np.isfinite(y), q, BAD).astype(np.uint8)


class _BlockStatistic(Component):
    """Shared implementation of the per-block statistics: blocks in, one value per block out."""

    inputs = (X,)
    params = (BLOCK_SIZE,)

    def init_state(self):
        return SimpleNamespace(blocks=Blocks(self.p["block_size"]))

    def statistics(self, blocks: np.ndarray) -> dict[str, np.ndarray]:
        raise NotImplementedError

    def process(self, inputs, state):
        blocks, t, q = state.blocks.feed(inputs["x"])
        with np.errstate(invalid="ignore", divide="ignore"):
            results = self.statistics(blocks)
        return {name: Chunk(t, y.astype(np.float64), _flag_undefined(y, q)) for name, y in results.items()}

    def block_kernel(self, statistic: str, helpers: frozenset[str], outputs: tuple[str, ...]) -> Kernel:
        """A kernel that collects a block in its buffer and, when it is full, runs ``statistic`` on it
        (code setting ``v`` and ``v2`` from ``$buf`` and ``$bsize``); quality is the block's worst."""
        size = self.p["block_size"]

        def load(st) -> KernelState:
            values, fill, worst = st.blocks.pending()
            return KernelState([], [fill, worst], values)

        def store(st, ks: KernelState) -> None:
            st.blocks.restore(ks.buffer, ks.ints[0], ks.ints[1])

        body = "\n".join("    " + line for line in statistic.strip("\n").splitlines())
        return Kernel(f"""
$buf[$fill] = v
if q > $worst:
    $worst = q
$fill += 1
$emit = $fill == $bsize
if $emit:
{body}
    q2 = $worst if math.isfinite(v2) else 2
    q = $worst if math.isfinite(v) else 2
    $fill = 0
    $worst = 0
""", load, store, ints=("fill", "worst"), buffer=size, emits=True, outputs=outputs,
            boolean=(False,) * len(outputs), accepts_boolean=False, helpers=helpers)


class Rms(_BlockStatistic):
    """Root mean square per block of N samples: ``x_rms = sqrt((1/N) Σ_{n=0..N−1} x[n]²)``.

    The overall (broadband) vibration level; for a sine of amplitude A over whole periods,
    ``x_rms = A/√2``. The mean is not removed: band-pass first to exclude an offset.

    References
    ----------
    ISO 2041:2018, *Mechanical vibration, shock and condition monitoring — Vocabulary*, root-mean-square value.
    R. B. Randall, *Vibration-based Condition Monitoring*, Wiley, 2011.

    Examples
    --------
    >>> import numpy as np
    >>> from nodes.chunk import Chunk
    >>> rms = Rms({"block_size": 100})
    >>> x = 2 * np.sin(2 * np.pi * np.arange(100) / 10)
    >>> round(float(rms.process({"x": Chunk.of(np.arange(100), x)}, rms.init_state())["rms"].v[0]), 4)
    1.4142
    """

    type_name = "vibration.rms"
    category = "vibration"
    title = Text("RMS (block)", "均方根值（分块）")
    outputs = (Port("rms", Kind.SIGNAL, "=x", Text("RMS", "均方根值")),)

    def statistics(self, blocks):
        return {"rms": np.sqrt(np.mean(blocks**2, axis=1))}

    def kernel(self, state) -> Kernel:
        # numpy's mean: its pairwise sum of the squares, divided by the count.
        return self.block_kernel("v = math.sqrt(pairwise_squares($buf, $bsize) / $bsize)\nv2 = v",
                                 frozenset({"pairwise_squares"}), ("rms",))


class Peak(_BlockStatistic):
    """Peak and peak-to-peak per block of N samples: ``x_pk = max_n |x[n]|``, ``x_pp = max_n x[n] − min_n x[n]``.

    For a sine of amplitude A, ``x_pk = A`` and ``x_pp = 2A`` (when the block holds the crests).
    Leave ``peak_to_peak`` unwired when only the peak is needed.

    References
    ----------
    ISO 2041:2018, *Mechanical vibration, shock and condition monitoring — Vocabulary*, peak value,
    peak-to-peak value.
    """

    type_name = "vibration.peak"
    category = "vibration"
    title = Text("Peak / peak-to-peak (block)", "峰值 / 峰峰值（分块）")
    outputs = (Port("peak", Kind.SIGNAL, "=x", Text("Peak", "峰值")),
               Port("peak_to_peak", Kind.SIGNAL, "=x", Text("Peak-to-peak", "峰峰值")))

    def statistics(self, blocks):
        return {"peak": np.max(np.abs(blocks), axis=1, initial=0.0),
                "peak_to_peak": np.ptp(blocks, axis=1) if len(blocks) else np.empty(0)}

    def kernel(self, state) -> Kernel:
        return self.block_kernel("v, v2 = peaks($buf, $bsize)", frozenset({"peaks"}), ("peak", "peak_to_peak"))


class CrestFactor(_BlockStatistic):
    """Crest factor per block of N samples: ``CF = max_n |x[n]| / sqrt((1/N) Σ x[n]²)``.

    √2 for a sine, about 3–4 for Gaussian noise; rises with impacts (early bearing damage)
    before the RMS does. A block of zeros has no crest factor: NaN, bad quality.

    References
    ----------
    ISO 2041:2018, *Mechanical vibration, shock and condition monitoring — Vocabulary*, crest factor.
    R. B. Randall, *Vibration-based Condition Monitoring*, Wiley, 2011.
    """

    type_name = "vibration.crest_factor"
    category = "vibration"
    title = Text("Crest factor (block)", "峰值因子（分块）")
    outputs = (Port("crest_factor", Kind.SIGNAL, "", Text("Crest factor", "峰值因子")),)

    def statistics(self, blocks):
        rms = np.sqrt(np.mean(blocks**2, axis=1))
        return {"crest_factor": np.max(np.abs(blocks), axis=1, initial=0.0) / rms}


class Kurtosis(_BlockStatistic):
    """Pearson kurtosis per block of N samples: ``β₂ = m₄ / m₂²``, ``m_r = (1/N) Σ (x[n] − x̄)^r``.

    3 for Gaussian noise, 1.5 for a sine (whole periods), well above 3 for impulsive signals
    such as a spalled bearing. Not the excess kurtosis (β₂ − 3). A constant block has no
    kurtosis: NaN, bad quality.

    References
    ----------
    NIST/SEMATECH e-Handbook of Statistical Methods, §1.3.5.11, 2012.
    R. B. Randall, *Vibration-based Condition Monitoring*, Wiley, 2011 (kurtosis as an impulsiveness measure).
    """

    type_name = "vibration.kurtosis"
    category = "vibration"
    title = Text("Kurtosis (block)", "峭度（分块）")
    outputs = (Port("kurtosis", Kind.SIGNAL, "", Text("Kurtosis", "峭度")),)
    params = (replace(BLOCK_SIZE, minimum=2),)

    def statistics(self, blocks):
        deviation = blocks - blocks.mean(axis=1, keepdims=True)
        m2 = np.mean(deviation**2, axis=1)
        m4 = np.mean(deviation**4, axis=1)
        return {"kurtosis": m4 / m2**2}


class FftSpectrum(Component):
    """Amplitude spectrum per block of N samples, windowed and corrected for the window's coherent gain.

    ``A[k] = c_k · |Σ_{n=0..N−1} w[n] x[n] e^{−2πikn/N}| / Σ_n w[n]``, at ``f_k = k·f_s/N``,
    ``k = 0 … ⌊N/2⌋``, with ``c_k = 2`` for ``0 < f_k < f_s/2`` and 1 otherwise, so a sine of
    amplitude A at a bin frequency reads A (``peak`` scaling) or A/√2 (``rms`` scaling) for
    every window. Between bins the reading drops by the window's scalloping loss (up to 36 %
    rectangular, 15 % hann, 0.1 % flattop).

    References
    ----------
    F. J. Harris, "On the use of windows for harmonic analysis with the discrete Fourier transform",
    *Proc. IEEE* 66(1), 1978.
    G. Heinzel, A. Rüdiger, R. Schilling, "Spectrum and spectral density estimation by the discrete
    Fourier transform (DFT)", Max-Planck-Institut für Gravitationsphysik, 2002.
    """

    type_name = "vibration.fft_spectrum"
    category = "vibration"
    title = Text("Amplitude spectrum (FFT)", "幅值谱（FFT）")
    inputs = (X,)
    outputs = (Port("spectrum", Kind.SPECTRUM, "=x", Text("Spectrum", "频谱"),
                    Text("One row per block; axis in Hz.", "每块一行；横轴单位为 Hz。")),)
    params = (FFT_BLOCK_SIZE, SAMPLE_RATE, WINDOW, SCALING)

    def init_state(self):
        size = self.p["block_size"]
        return SimpleNamespace(blocks=Blocks(size), window=_window(self.p["window"], size),
                               axis=np.fft.rfftfreq(size, 1.0 / self.p["sample_rate"]))

    def process(self, inputs, state):
        blocks, t, q = state.blocks.feed(inputs["x"])
        spectrum = _amplitude_spectrum(blocks, state.window, self.p["scaling"])
        return {"spectrum": Chunk(t, spectrum, q, axis=state.axis)}


def _band_filter(low: float, high: float, order: int, sample_rate: float) -> np.ndarray | None:
    """Butterworth second-order sections for the band; None when both edges are 0 (off)."""
    from scipy.signal import butter

    if low > 0 and high > 0:
        return butter(order, [low, high], btype="bandpass", fs=sample_rate, output="sos")
    if low > 0:
        return butter(order, low, btype="highpass", fs=sample_rate, output="sos")
    if high > 0:
        return butter(order, high, btype="lowpass", fs=sample_rate, output="sos")
    return None


class EnvelopeSpectrum(Component):
    """Envelope spectrum per block: amplitude spectrum of ``e[n] − ē``, ``e[n] = |x_a[n]|``.

    ``x_a = x_b + j·H{x_b}`` is the analytic signal (Hilbert transform ``H``) of the block
    ``x_b``: the block band-pass filtered (zero-phase Butterworth, ``sosfiltfilt``, when ``low``
    or ``high`` is set; 0 turns an edge off) with its mean removed. The envelope's mean is
    removed too, then it is windowed and scaled as in ``vibration.fft_spectrum``. A carrier at
    ``f_c`` amplitude-modulated at ``f_m`` (``(1 + m cos 2πf_m t) cos 2πf_c t``) shows a line
    of height m at ``f_m``: pick the band around the structural resonance excited by the
    bearing impacts and read BPFO, BPFI, BSF and their harmonics.

    References
    ----------
    R. B. Randall, J. Antoni, "Rolling element bearing diagnostics — A tutorial", *Mechanical
    Systems and Signal Processing* 25(2), 2011.
    R. B. Randall, *Vibration-based Condition Monitoring*, Wiley, 2011.
    """

    type_name = "vibration.envelope_spectrum"
    category = "vibration"
    title = Text("Envelope spectrum", "包络谱")
    inputs = (X,)
    outputs = (Port("spectrum", Kind.SPECTRUM, "=x", Text("Envelope spectrum", "包络谱"),
                    Text("One row per block; axis in Hz.", "每块一行；横轴单位为 Hz。")),)
    params = (FFT_BLOCK_SIZE, SAMPLE_RATE,
              Param("low", "float", 0.0, 0.0, unit="Hz", title=Text("Band low edge", "频带下限"),
                    description=Text("Lower edge of the band-pass before the envelope; 0 = no high-pass.",
                                     "包络前带通滤波的下限频率；0 表示不做高通。")),
              Param("high", "float", 0.0, 0.0, unit="Hz", title=Text("Band high edge", "频带上限"),
                    description=Text("Upper edge of the band-pass before the envelope; 0 = no low-pass.",
                                     "包络前带通滤波的上限频率；0 表示不做低通。")),
              Param("order", "int", 4, 1, 12, title=Text("Filter order", "滤波器阶数"),
                    description=Text("Butterworth order of the band filter (applied forwards and backwards).",
                                     "带通巴特沃斯滤波器的阶数（正反向各滤一次）。")),
              WINDOW, SCALING)

    @classmethod
    def check_params(cls, values, problems):
        nyquist = values["sample_rate"] / 2
        for name in ("low", "high"):
            if values[name] >= nyquist:
                problems[name] = f"must be below half the sample rate ({nyquist:g} Hz)"
        if values["low"] > 0 and values["high"] > 0 and values["low"] >= values["high"]:
            problems["low"] = f"must be below the band's high edge ({values['high']:g} Hz)"

    def init_state(self):
        size = self.p["block_size"]
        sos = _band_filter(self.p["low"], self.p["high"], self.p["order"], self.p["sample_rate"])
        padlen = 0 if sos is None else min(3 * (2 * len(sos) + 1), size - 1)
        return SimpleNamespace(blocks=Blocks(size), window=_window(self.p["window"], size), sos=sos, padlen=padlen,
                               axis=np.fft.rfftfreq(size, 1.0 / self.p["sample_rate"]))

    def process(self, inputs, state):
        from scipy.signal import hilbert, sosfiltfilt

        blocks, t, q = state.blocks.feed(inputs["x"])
        if len(blocks):
            if state.sos is not None:
                blocks = sosfiltfilt(state.sos, blocks, axis=1, padlen=state.padlen)
            blocks = blocks - blocks.mean(axis=1, keepdims=True)
            envelope = np.abs(hilbert(blocks, axis=1))
            blocks = envelope - envelope.mean(axis=1, keepdims=True)
        spectrum = _amplitude_spectrum(blocks, state.window, self.p["scaling"])
        return {"spectrum": Chunk(t, spectrum, q, axis=state.axis)}


class OrderTracking(Component):
    """Computed order tracking: spectrum over shaft revolutions instead of seconds.

    The shaft angle in revolutions is the running trapezoidal integral of the shaft frequency,
    ``θ[k] = θ[k−1] + (f[k] + f[k−1])/2 · (t[k] − t[k−1])``, ``θ[0] = 0``. The vibration is
    resampled by linear interpolation at uniform angles ``θ_m = m/S`` (S samples per
    revolution) and cut into blocks of ``M = R·S`` angle samples (R revolutions), each
    transformed as in ``vibration.fft_spectrum``: ``A[k]`` at order ``o_k = k/R``,
    ``k = 0 … ⌊M/2⌋``. A component locked to the shaft (e.g. at 2× speed) stays on its order
    line while the speed ramps; in a time-domain spectrum it would smear. The highest order is
    S/2; the sample rate must exceed ``S · f_max``. The direction of rotation is ignored
    (``|f|``); a non-finite speed adds no angle and makes the block bad. Each block is stamped
    with the sample that completes it (first angle past its last angle point), with the worst
    quality of both inputs over the samples it uses.

    References
    ----------
    K. R. Fyfe, E. D. S. Munck, "Analysis of computed order tracking", *Mechanical Systems and
    Signal Processing* 11(2), 1997.
    R. Potter, "A new order tracking method for rotating machinery", *Sound and Vibration* 24(9), 1990.
    """

    type_name = "vibration.order_tracking"
    category = "vibration"
    title = Text("Order spectrum (order tracking)", "阶次谱（阶次跟踪）")
    inputs = (X, Port("speed", Kind.SIGNAL, "Hz", Text("Shaft frequency", "轴转频"),
                      Text("Shaft rotation frequency (rpm is converted: 60 rpm = 1 Hz).",
                           "轴的旋转频率（rpm 会自动换算：60 rpm = 1 Hz）。")))
    outputs = (Port("spectrum", Kind.SPECTRUM, "=x", Text("Order spectrum", "阶次谱"),
                    Text("One row per block of revolutions; axis in orders (multiples of shaft speed).",
                         "每个转数块一行；横轴为阶次（转频的倍数）。")),)
    params = (Param("samples_per_revolution", "int", 32, 4, 65_536,
                    title=Text("Samples per revolution", "每转采样点数"),
                    description=Text("Angular resampling rate; the highest order shown is half of it.",
                                     "角域重采样率；可显示的最高阶次为其一半。")),
              Param("revolutions", "int", 16, 1, 1_000_000, title=Text("Revolutions per spectrum", "每个谱的转数"),
                    description=Text("Revolutions per block; the order resolution is 1 / revolutions.",
                                     "每块包含的转数；阶次分辨率为 1 / 转数。")),
              WINDOW, SCALING)

    def init_state(self):
        spr, revolutions = self.p["samples_per_revolution"], self.p["revolutions"]
        size = spr * revolutions
        return SimpleNamespace(size=size, window=_window(self.p["window"], size),
                               axis=np.fft.rfftfreq(size, 1.0 / spr), block=0,
                               t=np.empty(0, np.int64), angle=np.empty(0), x=np.empty(0), q=np.empty(0, np.uint8),
                               last_f=0.0)

    def process(self, inputs, state):
        x, speed = inputs["x"], inputs["speed"]
        require_aligned(inputs)
        spr, size = self.p["samples_per_revolution"], state.size
        if len(x):
            self._extend(x, speed, state)
        angle = state.angle
        blocks = np.empty(0, np.int64)
        if len(angle):
            # Block j's angle points are (j·M + m)/S, m = 0 … M−1; it is complete once an angle passes the last.
            guess = int(np.floor((angle[-1] * spr - size + 1) / size)) + 1
            candidates = np.arange(state.block, max(state.block, guess) + 1, dtype=np.int64)
            blocks = candidates[(candidates * size + size - 1) / spr < angle[-1]]
        if len(blocks) == 0:
            self._trim(state, spr)
            return {"spectrum": Chunk(np.empty(0, np.int64), np.empty((0, len(state.axis))), np.empty(0, np.uint8),
                                      axis=state.axis)}
        points = (blocks[:, None] * size + np.arange(size)) / spr
        right = np.searchsorted(angle, points, side="right")  # first sample past each point
        left = right - 1  # last sample at or before it
        a0, a1 = angle[left], angle[right]
        values = state.x[left] + (points - a0) / (a1 - a0) * (state.x[right] - state.x[left])
        first, last = left[:, 0], right[:, -1]
        # Worst quality over samples first … last of each block, from running counts of uncertain and bad samples.
        uncertain = np.concatenate([[0], np.cumsum(state.q >= UNCERTAIN)])
        bad = np.concatenate([[0], np.cumsum(state.q >= BAD)])
        quality = np.where(bad[last + 1] > bad[first], BAD,
                           np.where(uncertain[last + 1] > uncertain[first], UNCERTAIN, 0)).astype(np.uint8)
        t = state.t[last]
        state.block = int(blocks[-1]) + 1
        self._trim(state, spr)
        spectrum = _amplitude_spectrum(values, state.window, self.p["scaling"])
        return {"spectrum": Chunk(t, spectrum, quality, axis=state.axis)}

    @staticmethod
    def _extend(x: Chunk, speed: Chunk, state) -> None:
        """Append the chunk's samples with their shaft angle to the buffer."""
        f = np.abs(np.asarray(speed.v, np.float64))
        finite = np.isfinite(f)
        f = np.where(finite, f, 0.0)
        q = np.where(finite, worst_quality(x.q, speed.q), BAD).astype(np.uint8)
        if len(state.t):
            t_before, f_before, angle_before = state.t[-1], state.last_f, state.angle[-1]
        else:
            t_before, f_before, angle_before = x.t[0], f[0], 0.0
        dt = np.diff(np.concatenate([[t_before], x.t])) * NS
        increments = (np.concatenate([[f_before], f[:-1]]) + f) / 2 * dt
        # Sequential accumulation from the previous angle: bit-identical for any chunking.
        angle = np.cumsum(np.concatenate([[angle_before], increments]))[1:]
        state.t = np.concatenate([state.t, x.t])
        state.angle = np.concatenate([state.angle, angle])
        state.x = np.concatenate([state.x, np.asarray(x.v, np.float64)])
        state.q = np.concatenate([state.q, q])
        state.last_f = float(f[-1])

    @staticmethod
    def _trim(state, spr: int) -> None:
        """Drop samples before the last one at or before the next block's first angle point."""
        if len(state.angle) == 0:
            return
        keep = max(0, int(np.searchsorted(state.angle, state.block * state.size / spr, side="right")) - 1)
        if keep:
            state.t, state.angle, state.x, state.q = (state.t[keep:], state.angle[keep:], state.x[keep:],
                                                      state.q[keep:])


ISO_BOUNDARIES = {"I": (0.71, 1.8, 4.5), "II": (1.12, 2.8, 7.1), "III": (1.8, 4.5, 11.2), "IV": (2.8, 7.1, 18.0)}


class IsoSeverity(Component):
    """ISO 10816-1 / ISO 20816-1 evaluation zone from broadband velocity RMS.

    ``zone = #{b ∈ (b_AB, b_BC, b_CD) : v ≥ b}``, so A = 0, B = 1, C = 2, D = 3; a value equal
    to a boundary belongs to the upper zone. ``alert = zone ≥ 2`` (C: restricted operation,
    D: damage likely). Boundaries in mm/s RMS (ISO 10816-1 Annex B, Table B.1):

    ===== ====== ====== ======
    Class A/B    B/C    C/D
    ===== ====== ====== ======
    I     0.71   1.8    4.5
    II    1.12   2.8    7.1
    III   1.8    4.5    11.2
    IV    2.8    7.1    18.0
    ===== ====== ====== ======

    Class I: small machines (up to 15 kW); II: medium (15–75 kW, or up to 300 kW on special
    foundations); III: large machines on rigid foundations; IV: large machines on soft
    foundations. Pointwise and stateless; a NaN input gives NaN zone, no alert, bad quality.

    References
    ----------
    ISO 10816-1:1995, *Mechanical vibration — Evaluation of machine vibration by measurements on
    non-rotating parts — Part 1: General guidelines*, Annex B.
    ISO 20816-1:2016, *Mechanical vibration — Measurement and evaluation of machine vibration —
    Part 1: General guidelines*.

    Examples
    --------
    >>> import numpy as np
    >>> from nodes.chunk import Chunk
    >>> iso = IsoSeverity({"machine_class": "II"})
    >>> out = iso.process({"v": Chunk.of([0, 1, 2], [1.0, 2.8, 9.0])}, None)
    >>> out["zone"].v.tolist(), out["alert"].v.tolist()
    ([0.0, 2.0, 3.0], [False, True, True])
    """

    type_name = "vibration.iso_severity"
    category = "vibration"
    title = Text("ISO 10816 / 20816 severity zone", "ISO 10816 / 20816 振动烈度区域")
    inputs = (Port("v", Kind.SIGNAL, "mm/s", Text("Velocity RMS", "速度有效值"),
                   Text("Broadband vibration velocity RMS (typically 10–1000 Hz).",
                        "宽带振动速度有效值（通常为 10–1000 Hz）。")),)
    outputs = (Port("zone", Kind.SIGNAL, "", Text("Zone (A=0 … D=3)", "区域（A=0 … D=3）")),
               Port("alert", Kind.BOOLEAN, "", Text("Alert (zone C or D)", "报警（C 区或 D 区）")))
    params = (Param("machine_class", "choice", "II", choices=tuple(ISO_BOUNDARIES),
                    title=Text("Machine class", "机器类别"),
                    description=Text("I: small (≤ 15 kW); II: medium (15–75 kW); III: large, rigid foundation; "
                                     "IV: large, soft foundation.",
                                     "I：小型（≤ 15 kW）；II：中型（15–75 kW）；"
                                     "III：大型，刚性基础；IV：大型，柔性基础。")),)

    def process(self, inputs, state):
        v = inputs["v"]
        values = np.asarray(v.v, np.float64)
        known = np.isfinite(values)
        zone = np.searchsorted(np.asarray(ISO_BOUNDARIES[self.p["machine_class"]]), values, side="right")
        zone = np.where(known, zone, np.nan).astype(np.float64)
        q = np.where(known, v.q, BAD).astype(np.uint8)
        return {"zone": Chunk(v.t, zone, q), "alert": Chunk(v.t, known & (zone >= 2), q)}

    def kernel(self, state) -> Kernel:
        low, middle, high = ISO_BOUNDARIES[self.p["machine_class"]]
        return stateless("""
if math.isfinite(v):
    zone = 0.0
    if v >= $b0:
        zone += 1.0
    if v >= $b1:
        zone += 1.0
    if v >= $b2:
        zone += 1.0
    v = zone
    v2 = 1.0 if zone >= 2.0 else 0.0
else:
    v = nan
    v2 = 0.0
    q = 2
q2 = q
""", {"b0": low, "b1": middle, "b2": high}, ("zone", "alert"), (False, True), accepts_boolean=False)


class BearingFrequencies(Component):
    """Rolling-element bearing defect frequencies from the shaft frequency f and the geometry.

    With ``r = (B_d / P_d) cos θ`` (ball and pitch diameters, contact angle), n rolling elements
    and the outer ring fixed:

    * ``FTF = f/2 · (1 − r)`` (cage, fundamental train frequency),
    * ``BPFO = n·f/2 · (1 − r)`` (ball pass frequency, outer race),
    * ``BPFI = n·f/2 · (1 + r)`` (ball pass frequency, inner race),
    * ``BSF = P_d·f / (2 B_d) · (1 − r²)`` (ball spin frequency; a spall on a ball hits both
      races, so look at 2·BSF as well).

    Real bearings slip 1–2 %, so expect the lines slightly off these values.

    References
    ----------
    R. B. Randall, *Vibration-based Condition Monitoring*, Wiley, 2011.
    R. B. Randall, J. Antoni, "Rolling element bearing diagnostics — A tutorial", *Mechanical
    Systems and Signal Processing* 25(2), 2011.

    Examples
    --------
    SKF 6205 (9 balls, 7.94 mm, pitch 39.04 mm) at 1797 rpm:

    >>> from nodes.chunk import Chunk
    >>> bearing = BearingFrequencies()
    >>> out = bearing.process({"speed": Chunk.of([0], [1797 / 60])}, None)
    >>> [round(float(out[k].v[0]), 1) for k in ("bpfo", "bpfi", "bsf", "ftf")]
    [107.4, 162.2, 70.6, 11.9]
    """

    type_name = "vibration.bearing_frequencies"
    category = "vibration"
    title = Text("Bearing defect frequencies", "轴承故障特征频率")
    inputs = (Port("speed", Kind.SIGNAL, "Hz", Text("Shaft frequency", "轴转频"),
                   Text("Shaft rotation frequency (rpm is converted: 60 rpm = 1 Hz).",
                        "轴的旋转频率（rpm 会自动换算：60 rpm = 1 Hz）。")),)
    outputs = (Port("bpfo", Kind.SIGNAL, "Hz", Text("BPFO (outer race)", "BPFO（外圈通过频率）")),
               Port("bpfi", Kind.SIGNAL, "Hz", Text("BPFI (inner race)", "BPFI（内圈通过频率）")),
               Port("bsf", Kind.SIGNAL, "Hz", Text("BSF (ball spin)", "BSF（滚动体自转频率）")),
               Port("ftf", Kind.SIGNAL, "Hz", Text("FTF (cage)", "FTF（保持架频率）")))
    params = (Param("rolling_elements", "int", 9, 1, 1000, title=Text("Rolling elements n", "滚动体数量 n"),
                    description=Text("Number of balls or rollers in one row.", "单列中滚珠或滚子的数量。")),
              Param("ball_diameter", "float", 7.94, 1e-9, unit="mm", title=Text("Ball diameter Bd", "滚动体直径 Bd"),
                    description=Text("Diameter of a ball or roller.", "滚珠或滚子的直径。")),
              Param("pitch_diameter", "float", 39.04, 1e-9, unit="mm",
                    title=Text("Pitch diameter Pd", "节圆直径 Pd"),
                    description=Text("Diameter of the circle through the rolling elements' centres.",
                                     "通过各滚动体中心的圆的直径。")),
              Param("contact_angle", "float", 0.0, 0.0, 90.0, unit="deg", title=Text("Contact angle θ", "接触角 θ"),
                    description=Text("Angle of the load line to the radial plane (0 for deep-groove ball bearings).",
                                     "载荷作用线与径向平面的夹角（深沟球轴承为 0）。")))

    @classmethod
    def check_params(cls, values, problems):
        if values["ball_diameter"] >= values["pitch_diameter"]:
            problems["ball_diameter"] = f"must be smaller than the pitch diameter ({values['pitch_diameter']:g} mm)"

    def process(self, inputs, state):
        speed = inputs["speed"]
        f = np.asarray(speed.v, np.float64)
        ratio = self.p["ball_diameter"] / self.p["pitch_diameter"] * np.cos(np.radians(self.p["contact_angle"]))
        n = self.p["rolling_elements"]
        spin = self.p["pitch_diameter"] / (2 * self.p["ball_diameter"]) * (1 - ratio**2)
        return {"bpfo": speed.with_values(n * f / 2 * (1 - ratio)), "bpfi": speed.with_values(n * f / 2 * (1 + ratio)),
                "bsf": speed.with_values(spin * f), "ftf": speed.with_values(f / 2 * (1 - ratio))}


COMPONENTS = (Rms, Peak, CrestFactor, Kurtosis, FftSpectrum, EnvelopeSpectrum, OrderTracking, IsoSeverity,
              BearingFrequencies)
