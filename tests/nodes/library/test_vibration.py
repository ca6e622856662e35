"""Vibration components: textbook values, chunk invariance, declarations and empty chunks."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from scipy import stats

from nodes.chunk import BAD, GOOD, UNCERTAIN, Chunk
from nodes.component import Kind, ParamError
from nodes.library import vibration
from nodes.library.vibration import (
    COMPONENTS,
    BearingFrequencies,
    CrestFactor,
    EnvelopeSpectrum,
    FftSpectrum,
    IsoSeverity,
    Kurtosis,
    OrderTracking,
    Peak,
    Rms,
)
from nodes.registry import declaration_problem
from tests.nodes.helpers import assert_same, cut_points, run, signal

FS = 1000.0


def sine(amplitude: float, frequency: float, n: int, rate: float = FS, phase: float = 0.0) -> np.ndarray:
    return amplitude * np.sin(2 * np.pi * frequency * np.arange(n) / rate + phase)


def ramp_case(n: int = 16_000, rate: float = 2000.0, f0: float = 10.0, f1: float = 30.0, order: float = 2.0):
    """Shaft frequency ramping linearly f0 → f1 and a vibration locked to ``order`` × shaft speed."""
    time = np.arange(n) / rate
    duration = n / rate
    speed = f0 + (f1 - f0) * time / duration
    angle = f0 * time + (f1 - f0) * time**2 / (2 * duration)  # revolutions, ∫ speed dt
    return signal(np.sin(2 * np.pi * order * angle), rate), signal(speed, rate)


# --- declarations -----------------------------------------------------------------------------


def test_module_lists_the_components():
    names = [cls.type_name for cls in COMPONENTS]
    assert len(set(names)) == len(names) >= 9
    assert {"vibration.rms", "vibration.peak", "vibration.crest_factor", "vibration.kurtosis",
            "vibration.fft_spectrum", "vibration.envelope_spectrum", "vibration.order_tracking",
            "vibration.iso_severity", "vibration.bearing_frequencies"} <= set(names)


@pytest.mark.parametrize("cls", COMPONENTS, ids=lambda c: c.type_name)
def test_declaration_is_valid_and_bilingual(cls):
    assert declaration_problem(cls) is None
    assert cls.category == "vibration" and cls.type_name.startswith("vibration.")
    assert cls.title.zh
    assert "References" in cls.__doc__
    for port in cls.inputs + cls.outputs:
        assert port.title.en and port.title.zh, port.name
    for param in cls.params:
        assert param.title.en and param.title.zh, param.name
        assert param.description.en and param.description.zh, param.name


# --- block statistics -------------------------------------------------------------------------


def test_rms_of_a_sine_is_amplitude_over_root_two():
    x = signal(sine(3.0, 50.0, 1050))  # 5 complete blocks of 200, 50 samples left over
    out = run(Rms({"block_size": 200}), {"x": x})["rms"]
    assert len(out) == 5
    np.testing.assert_allclose(out.v, 3.0 / np.sqrt(2), rtol=1e-12)
    np.testing.assert_array_equal(out.t, x.t[199:1000:200])


def test_block_quality_is_the_worst_in_the_block():
    q = np.zeros(40, np.uint8)
    q[5], q[25], q[30] = UNCERTAIN, BAD, UNCERTAIN
    out = run(Rms({"block_size": 10}), {"x": signal(np.ones(40), quality=q)})["rms"]
    np.testing.assert_array_equal(out.q, [UNCERTAIN, GOOD, BAD, UNCERTAIN])
    np.testing.assert_allclose(out.v, 1.0)


def test_peak_and_peak_to_peak():
    x = signal(sine(2.0, 50.0, 400) + 0.5)  # 20 samples per period: the crests are sampled
    out = run(Peak({"block_size": 100}), {"x": x})
    np.testing.assert_allclose(out["peak"].v, 2.5)
    np.testing.assert_allclose(out["peak_to_peak"].v, 4.0)
    values = np.random.default_rng(1).normal(size=300)
    out = run(Peak({"block_size": 30}), {"x": signal(values)})
    blocks = [values[i:i + 30] for i in range(0, 300, 30)]
    np.testing.assert_allclose(out["peak"].v, [max(abs(b.min()), abs(b.max())) for b in blocks])
    np.testing.assert_allclose(out["peak_to_peak"].v, [b.max() - b.min() for b in blocks])


def test_crest_factor_of_sine_square_and_silence():
    out = run(CrestFactor({"block_size": 200}), {"x": signal(sine(0.7, 25.0, 400))})["crest_factor"]
    np.testing.assert_allclose(out.v, np.sqrt(2), rtol=1e-12)
    square = np.where(np.arange(200) % 20 < 10, 1.5, -1.5)
    out = run(CrestFactor({"block_size": 100}), {"x": signal(square)})["crest_factor"]
    np.testing.assert_allclose(out.v, 1.0)
    out = run(CrestFactor({"block_size": 10}), {"x": signal(np.zeros(10))})["crest_factor"]
    assert np.isnan(out.v[0]) and out.q[0] == BAD


def test_kurtosis_of_sine_noise_and_constant():
    out = run(Kurtosis({"block_size": 200}), {"x": signal(sine(5.0, 10.0, 400))})["kurtosis"]
    np.testing.assert_allclose(out.v, 1.5, rtol=1e-12)
    noise = np.random.default_rng(7).normal(0.0, 2.0, 100_000)
    out = run(Kurtosis({"block_size": 50_000}), {"x": signal(noise)})["kurtosis"]
    np.testing.assert_allclose(out.v, 3.0, atol=0.1)
    np.testing.assert_allclose(out.v, stats.kurtosis(noise.reshape(2, -1), axis=1, fisher=False), rtol=1e-10)
    out = run(Kurtosis({"block_size": 10}), {"x": signal(np.full(10, 4.0))})["kurtosis"]
    assert np.isnan(out.v[0]) and out.q[0] == BAD


def test_kurtosis_of_impacts_is_high():
    x = np.random.default_rng(3).normal(0.0, 0.1, 2000)
    x[::200] += 5.0  # periodic impacts, as from a spalled race
    out = run(Kurtosis({"block_size": 2000}), {"x": signal(x)})["kurtosis"]
    assert out.v[0] > 20


# --- spectra ----------------------------------------------------------------------------------


@pytest.mark.parametrize("window", vibration.WINDOWS)
def test_fft_reads_sine_amplitude_and_mean_for_every_window(window):
    n = 1000
    x = signal(sine(2.5, 50.0, 2 * n) + 0.7)
    out = run(FftSpectrum({"block_size": n, "sample_rate": FS, "window": window}), {"x": x})["spectrum"]
    np.testing.assert_allclose(out.axis, np.fft.rfftfreq(n, 1 / FS))
    assert out.v.shape == (2, n // 2 + 1)
    for row in out.v:
        assert out.axis[np.argmax(row[1:]) + 1] == 50.0
        assert row[50] == pytest.approx(2.5, rel=1e-9)
        assert row[0] == pytest.approx(0.7, rel=1e-9)
    rms = run(FftSpectrum({"block_size": n, "sample_rate": FS, "window": window, "scaling": "rms"}),
              {"x": x})["spectrum"]
    np.testing.assert_allclose(rms.v[:, 50], 2.5 / np.sqrt(2), rtol=1e-9)
    np.testing.assert_allclose(rms.v[:, 0], 0.7, rtol=1e-9)


def test_fft_nyquist_bin_and_scalloping_between_bins():
    n = 64
    nyquist = signal(1.5 * np.cos(np.pi * np.arange(n)), rate=n)  # cosine at f_s/2
    out = run(FftSpectrum({"block_size": n, "sample_rate": n, "window": "rectangular"}), {"x": nyquist})
    assert out["spectrum"].v[0, -1] == pytest.approx(1.5, rel=1e-12)
    half_bin = signal(sine(1.0, 100.5, 1000))
    hann = run(FftSpectrum({"block_size": 1000, "sample_rate": FS}), {"x": half_bin})["spectrum"].v[0]
    assert hann.max() == pytest.approx(10 ** (-1.42 / 20), abs=0.005)  # Harris (1978): 1.42 dB scalloping loss
    flattop = run(FftSpectrum({"block_size": 1000, "sample_rate": FS, "window": "flattop"}),
                  {"x": half_bin})["spectrum"].v[0]
    assert flattop.max() == pytest.approx(1.0, rel=2e-3)


def am_signal(n: int, rate: float, carrier: float, modulation: float, depth: float = 0.5) -> np.ndarray:
    t = np.arange(n) / rate
    return (1 + depth * np.cos(2 * np.pi * modulation * t)) * np.cos(2 * np.pi * carrier * t)


@pytest.mark.parametrize("band", [(0.0, 0.0), (150.0, 250.0), (100.0, 0.0), (0.0, 400.0)])
def test_envelope_spectrum_peaks_at_the_modulation_frequency(band):
    rate, n = 2000.0, 2000
    noise = np.random.default_rng(5).normal(0.0, 0.05, 2 * n)
    x = signal(am_signal(2 * n, rate, 200.0, 13.0) + noise, rate)
    component = EnvelopeSpectrum({"block_size": n, "sample_rate": rate, "low": band[0], "high": band[1]})
    out = run(component, {"x": x})["spectrum"]
    np.testing.assert_allclose(out.axis, np.fft.rfftfreq(n, 1 / rate))
    for row in out.v:
        assert out.axis[np.argmax(row)] == 13.0
        assert row[13] == pytest.approx(0.5, rel=0.05)  # envelope 1 + 0.5 cos 2π f_m t
    plain = run(FftSpectrum({"block_size": n, "sample_rate": rate}), {"x": x})["spectrum"]
    assert plain.v[0, 13] < 0.02  # the plain spectrum has nothing at f_m, only sidebands around f_c


def test_envelope_band_parameters_are_checked():
    with pytest.raises(ParamError, match="low"):
        EnvelopeSpectrum({"sample_rate": 1000.0, "low": 300.0, "high": 200.0})
    with pytest.raises(ParamError, match="high"):
        EnvelopeSpectrum({"sample_rate": 1000.0, "high": 500.0})


def test_order_tracking_finds_order_two_during_a_ramp():
    x, speed = ramp_case()
    component = OrderTracking({"samples_per_revolution": 32, "revolutions": 16})
    out = run(component, {"x": x, "speed": speed})["spectrum"]
    np.testing.assert_allclose(out.axis, np.arange(257) / 16)
    total_revolutions = 10 * 8 + 20 * 8 / 2  # ∫ speed dt over 8 s
    assert len(out) == total_revolutions // 16  # the last sample is at 159.985 revolutions, past 159.9375
    for row in out.v:
        assert out.axis[np.argmax(row)] == 2.0
        assert row[32] == pytest.approx(1.0, rel=0.03)
    assert np.all(np.diff(out.t) > 0)
    # The time-domain spectrum of the same signal smears the line over the swept band.
    plain = run(FftSpectrum({"block_size": 4000, "sample_rate": 2000.0}), {"x": x})["spectrum"]
    assert plain.v.max() < 0.5


def test_order_tracking_blocks_at_constant_speed():
    rate, shaft = 1000.0, 5.0
    n = 2000  # 2 s = 10 revolutions
    time = np.arange(n) / rate
    x = signal(0.3 * np.cos(2 * np.pi * 3 * shaft * time) + 0.1, rate)
    q = np.zeros(n, np.uint8)
    q[450] = UNCERTAIN  # 2.25 revolutions: inside the second block of 2 revolutions
    speed = signal(np.full(n, shaft), rate, quality=q)
    out = run(OrderTracking({"samples_per_revolution": 16, "revolutions": 2, "window": "rectangular"}),
              {"x": x, "speed": speed})["spectrum"]
    assert len(out) == 5
    np.testing.assert_allclose(out.v[:, 6], 0.3, rtol=1e-3)  # order 3 = bin 3 · revolutions
    np.testing.assert_allclose(out.v[:, 0], 0.1, rtol=1e-3)
    np.testing.assert_array_equal(out.q, [GOOD, UNCERTAIN, GOOD, GOOD, GOOD])
    # Block j ends at angle (32 j + 31)/16 rev; the first sample past it completes the block.
    ends = (32 * np.arange(5) + 31) / 16
    np.testing.assert_array_equal(out.t, x.t[np.floor(ends / shaft * rate).astype(int) + 1])
    # The last block ends at 9.9375 revolutions: sample 1987 (9.935) does not complete it, 1988 (9.94) does.
    component = OrderTracking({"samples_per_revolution": 16, "revolutions": 2})
    for samples, blocks in ((1988, 4), (1989, 5)):
        short = {"x": Chunk(x.t[:samples], x.v[:samples], x.q[:samples]),
                 "speed": Chunk(speed.t[:samples], speed.v[:samples], speed.q[:samples])}
        assert len(run(component, short)["spectrum"]) == blocks


def test_order_tracking_bad_speed_makes_the_block_bad():
    x, speed = ramp_case(n=4000)
    v = speed.v.copy()
    v[100] = np.nan
    out = run(OrderTracking({"samples_per_revolution": 32, "revolutions": 4}),
              {"x": x, "speed": speed.with_values(v)})["spectrum"]
    assert out.q[0] == BAD and np.all(out.q[1:] == GOOD)
    assert np.all(np.isfinite(out.v))


# --- ISO zones and bearing frequencies ---------------------------------------------------------


@pytest.mark.parametrize("machine_class", ["I", "II", "III", "IV"])
def test_iso_zones_at_and_around_each_boundary(machine_class):
    boundaries = {"I": (0.71, 1.8, 4.5), "II": (1.12, 2.8, 7.1), "III": (1.8, 4.5, 11.2),
                  "IV": (2.8, 7.1, 18.0)}[machine_class]
    values, expected = [0.0], [0]
    for zone, boundary in enumerate(boundaries, start=1):
        values += [boundary * (1 - 1e-9), boundary, boundary * (1 + 1e-9)]
        expected += [zone - 1, zone, zone]
    values.append(1e3)
    expected.append(3)
    out = IsoSeverity({"machine_class": machine_class}).process({"v": signal(values)}, None)
    np.testing.assert_array_equal(out["zone"].v, expected)
    np.testing.assert_array_equal(out["alert"].v, np.asarray(expected) >= 2)
    assert out["alert"].v.dtype == bool


def test_iso_nan_is_bad_and_quality_passes_through():
    x = signal([np.nan, 3.0], quality=[GOOD, UNCERTAIN])
    out = IsoSeverity().process({"v": x}, None)
    assert np.isnan(out["zone"].v[0]) and out["zone"].v[1] == 2
    np.testing.assert_array_equal(out["zone"].q, [BAD, UNCERTAIN])
    np.testing.assert_array_equal(out["alert"].v, [False, True])


def test_bearing_frequencies_of_skf_6205():
    f = 1797 / 60
    out = BearingFrequencies().process({"speed": signal([f])}, None)
    # Published values for the 6205 at 1797 rpm (Case Western Reserve University bearing data set).
    assert out["bpfo"].v[0] == pytest.approx(107.4, rel=0.01)
    assert out["bpfi"].v[0] == pytest.approx(162.2, rel=0.01)
    assert out["bsf"].v[0] == pytest.approx(70.6, rel=0.01)
    assert out["ftf"].v[0] == pytest.approx(11.9, rel=0.01)


def test_bearing_frequencies_closed_forms_with_contact_angle():
    n, bd, pd, angle = 13, 12.7, 65.0, 40.0
    f = np.array([0.0, 10.0, 25.5])
    out = BearingFrequencies({"rolling_elements": n, "ball_diameter": bd, "pitch_diameter": pd,
                              "contact_angle": angle}).process({"speed": signal(f)}, None)
    r = bd / pd * np.cos(angle * np.pi / 180)
    np.testing.assert_allclose(out["ftf"].v, f / 2 * (1 - r))
    np.testing.assert_allclose(out["bpfo"].v, n * f / 2 * (1 - r))
    np.testing.assert_allclose(out["bpfi"].v, n * f / 2 * (1 + r))
    np.testing.assert_allclose(out["bsf"].v, pd * f / (2 * bd) * (1 - r**2))
    np.testing.assert_allclose(out["bpfo"].v + out["bpfi"].v, n * f)  # the two races share n · f
    np.testing.assert_allclose(out["bpfo"].v, n * out["ftf"].v)  # balls pass the outer race at the cage rate


def test_bearing_ball_must_be_smaller_than_pitch_circle():
    with pytest.raises(ParamError, match="ball_diameter"):
        BearingFrequencies({"ball_diameter": 40.0, "pitch_diameter": 39.0})


# --- chunk invariance and empty chunks -----------------------------------------------------------


def _cases():
    rng = np.random.default_rng(11)
    n = 1500
    quality = np.where(rng.random(n) < 0.01, UNCERTAIN, GOOD).astype(np.uint8)
    quality[rng.integers(0, n, 3)] = BAD
    noisy = signal(sine(1.0, 37.0, n) + rng.normal(0.0, 0.3, n), quality=quality)
    x, speed = ramp_case(n=n, rate=1000.0, f0=5.0, f1=15.0)
    speed = speed.with_values(speed.v, quality)
    am = signal(am_signal(n, FS, 150.0, 9.0) + rng.normal(0.0, 0.05, n), quality=quality)
    return {
        "rms": (Rms({"block_size": 64}), {"x": noisy}),
        "peak": (Peak({"block_size": 50}), {"x": noisy}),
        "crest_factor": (CrestFactor({"block_size": 37}), {"x": noisy}),
        "kurtosis": (Kurtosis({"block_size": 100}), {"x": noisy}),
        "fft_spectrum": (FftSpectrum({"block_size": 128, "sample_rate": FS, "window": "flattop"}), {"x": noisy}),
        "envelope_spectrum": (EnvelopeSpectrum({"block_size": 250, "sample_rate": FS, "low": 100.0,
                                                "high": 200.0}), {"x": am}),
        "order_tracking": (OrderTracking({"samples_per_revolution": 16, "revolutions": 2}),
                           {"x": x, "speed": speed}),
        "iso_severity": (IsoSeverity({"machine_class": "III"}), {"v": signal(np.abs(noisy.v) * 12, quality=quality)}),
        "bearing_frequencies": (BearingFrequencies(), {"speed": speed}),
    }


CASES = _cases()


def test_every_component_has_a_chunking_case():
    assert {f"vibration.{name}" for name in CASES} == {cls.type_name for cls in COMPONENTS}


@pytest.mark.parametrize("name", sorted(CASES))
@settings(max_examples=25, deadline=None)
@given(data=cut_points(1500))
def test_same_output_for_any_chunking(name, data):
    component, inputs = CASES[name]
    whole = run(component, inputs)
    assert len(next(iter(whole.values()))) > 0
    assert_same(whole, run(component, inputs, data))


def _run_with_empty_chunks(component, inputs, cuts):
    """Like ``run``, with an empty chunk before every piece and at the end; checks each empty result."""
    state = component.init_state()
    n = len(next(iter(inputs.values())))
    edges = [0, *sorted(set(c for c in cuts if 0 < c < n)), n, n]
    parts: dict[str, list[Chunk]] = {}
    for a, b in itertools.pairwise(edges):
        for lo, hi in ((a, a), (a, b)):
            pieces = {k: Chunk(c.t[lo:hi], c.v[lo:hi], c.q[lo:hi]) for k, c in inputs.items()}
            result = component.process(pieces, state)
            assert result.keys() == {p.name for p in component.outputs}
            for port in component.outputs:
                chunk = result[port.name]
                if hi == lo:
                    assert len(chunk) == 0 and len(chunk.v) == 0 and len(chunk.q) == 0
                    assert chunk.t.dtype == np.int64 and chunk.q.dtype == np.uint8
                if port.kind == Kind.SPECTRUM:
                    assert chunk.axis is not None and chunk.v.shape == (len(chunk), len(chunk.axis))
                parts.setdefault(port.name, []).append(chunk)
    return {name: Chunk(np.concatenate([c.t for c in cs]), np.concatenate([c.v for c in cs]),
                        np.concatenate([c.q for c in cs]), cs[0].axis) for name, cs in parts.items()}


@pytest.mark.parametrize("name", sorted(CASES))
def test_empty_chunks_give_empty_outputs_and_change_nothing(name):
    component, inputs = CASES[name]
    assert_same(run(component, inputs), _run_with_empty_chunks(component, inputs, [1, 2, 3, 500, 501, 1000]))


@pytest.mark.parametrize("cls", COMPONENTS, ids=lambda c: c.type_name)
def test_only_empty_input_gives_empty_output(cls):
    component = cls()
    empty = Chunk.empty()
    result = component.process({port.name: empty for port in cls.inputs}, component.init_state())
    for port in cls.outputs:
        assert len(result[port.name]) == 0
        if port.kind == Kind.SPECTRUM:
            assert result[port.name].v.shape == (0, len(result[port.name].axis))
