"""`millwright run-graph` over many recordings on Dask distributed: real LocalClusters and worker processes.

One 2-worker cluster serves most tests; the LocalCluster the command starts itself, a cluster with a
worker of another Millwright, a tls:// cluster and Ctrl-C each get their own.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import psutil
import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from distributed import Client, LocalCluster
from distributed.security import Security

from nodes.atomic_file import TEMP_PREFIX
from nodes.component import Text
from nodes.graph import ExposedPort, Graph
from nodes.project_components import save_project_component
from nodes.resources import resources_dir
from tests.app_packager.test_runtime_sparkplug_tls import _certificate, _pem
from workbench import __version__, batch_runs
from workbench.batch_runs import BatchError, BatchJob, expand_inputs, fingerprint_differences, plan_outputs
from workbench.cli import main

EXAMPLE = resources_dir() / "examples" / "pump_station"
GRAPH, SAMPLE = EXAMPLE / "graphs" / "vibration_alarm.json", EXAMPLE / "data" / "pump_run.csv"
ROOT = Path(__file__).resolve().parents[2]
DEADLINE = 60.0  # seconds: generous, the machine is shared

SLOW_GAIN = '''"""Script component project.slow_gain of a test project."""

import time

import numpy as np

from nodes.component import Component, Kind, Param, Port, Text


class SlowGain(Component):
    """Slow gain: y = k * x, pausing ``pause`` seconds per chunk (a batch run to interrupt).

    References
    ----------
    A test component; no reference.
    """

    type_name = "project.slow_gain"
    version = 1
    category = "project"
    title = Text("Slow gain", "慢增益")
    inputs = (Port("x", Kind.SIGNAL, "*", Text("Input", "输入"), Text("Input", "输入")),)
    outputs = (Port("y", Kind.SIGNAL, "=x", Text("Output", "输出"), Text("k times the input", "输入乘以 k")),)
    params = (Param("k", "float", 2.0, title=Text("Gain", "增益"), description=Text("Gain", "增益")),
              Param("pause", "float", 0.0, minimum=0.0, title=Text("Pause", "暂停"),
                    description=Text("Seconds per chunk", "每块秒数")))

    def process(self, inputs, state):
        x = inputs["x"]
        if self.p["k"] == 0:
            raise ValueError("k = 0 switches the signal off")
        time.sleep(self.p["pause"])
        return {"y": x.with_values(np.asarray(x.v, dtype=np.float64) * self.p["k"])}
'''


def _quiet_cluster(**kwargs) -> LocalCluster:
    return LocalCluster(threads_per_worker=1, processes=True, host="127.0.0.1", silence_logs=logging.ERROR,
                        **batch_runs.QUIET_SCHEDULER, **kwargs)


@pytest.fixture(scope="module", autouse=True)
def shared_kernel_cache(tmp_path_factory):
    """One cache of fused kernels for this module's worker processes, as a user's runs share theirs.

    Each test has its own user folders (conftest), so every worker would compile the kernels
    afresh; the engine takes MILLWRIGHT_KERNEL_CACHE and NUMBA_CACHE_DIR as given.
    """
    folder = tmp_path_factory.mktemp("kernels")
    names = {"MILLWRIGHT_KERNEL_CACHE": folder, "NUMBA_CACHE_DIR": folder / "numba"}
    previous = {name: os.environ.get(name) for name in names}
    os.environ.update({name: str(value) for name, value in names.items()})
    yield
    for name, value in previous.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


@pytest.fixture(scope="module")
def cluster():
    with _quiet_cluster(n_workers=2) as local:
        yield local.scheduler_address


@pytest.fixture(scope="module")
def recordings(tmp_path_factory) -> Path:
    """The example recording's first 8,000 rows at three vibration levels (two Parquet, one CSV)."""
    folder = tmp_path_factory.mktemp("recordings")
    frame = pd.read_csv(SAMPLE).iloc[:8000]
    frame["time"] = pd.to_datetime(frame["time"], utc=True)
    for i, scale in enumerate((0.5, 1.0, 2.0)):
        piece = frame.assign(acc=frame["acc"] * scale)
        if i == 2:
            piece.assign(time=piece["time"].dt.strftime("%Y-%m-%dT%H:%M:%S.%fZ")).to_csv(folder / f"pump_{i}.csv",
                                                                                       index=False)
        else:
            piece.to_parquet(folder / f"pump_{i}.parquet")
    return folder


def _broken(folder: Path) -> Path:
    """A recording whose time goes backwards at row 5,001: found after four chunks have run."""
    frame = pd.read_csv(SAMPLE).iloc[:8000]
    frame["time"] = pd.to_datetime(frame["time"], utc=True)
    frame.loc[5000, "time"] = frame["time"].iloc[0]
    path = folder / "pump_broken.parquet"
    frame.to_parquet(path)
    return path


def _serial(source: Path, out: Path, chunk: int = 100_000) -> Path:
    """What ``run-graph`` on one recording writes (Parquet row groups follow the chunks: same chunk, same bytes)."""
    assert main(["run-graph", str(GRAPH), "-i", str(source), "-o", str(out), "-q", "--chunk", str(chunk)]) == 0
    return out


def _same_file(batch: Path, serial: Path) -> None:
    assert batch.read_bytes() == serial.read_bytes(), f"{batch} differs from the serial run's {serial}"


def test_results_equal_serial_runs_and_a_broken_file_is_reported_alone(cluster, recordings, tmp_path, capsys):
    inputs = tmp_path / "in"
    shutil.copytree(recordings, inputs)
    broken = _broken(inputs)
    out = tmp_path / "results"  # made by the run
    code = main(["run-graph", str(GRAPH), "--input", str(inputs / "*.parquet"), str(inputs / "*.csv"),
                 "--output", str(out), "--scheduler", cluster, "--chunk", "1000"])
    captured = capsys.readouterr()
    assert code == 1, captured.err
    assert "3 of 4 recordings done: 24000 rows in" in captured.out and "on 2 worker(s)" in captured.out
    assert "1 recording(s) failed; nothing was written for them:" in captured.err
    assert (f"{broken}, row 5001, column 'time': the time goes backwards (timestamps must increase)\n"
            f"Nothing was written to {out / 'pump_broken.parquet'}.") in captured.err, captured.err
    assert "(on worker tcp://127.0.0.1:" in captured.err and "Traceback" not in captured.err
    assert sorted(p.name for p in out.iterdir()) == ["pump_0.parquet", "pump_1.parquet", "pump_2.csv"]
    for name in ("pump_0.parquet", "pump_1.parquet", "pump_2.csv"):
        source = next(inputs.glob(f"{Path(name).stem}.*"))
        _same_file(out / name, _serial(source, tmp_path / f"serial_{name}", chunk=1000))
    levels = [pd.read_parquet(out / f"pump_{i}.parquet")["velocity_rms"].mean() for i in (0, 1)]
    assert levels[1] == pytest.approx(2 * levels[0], rel=1e-6)  # each task ran its own recording


def test_the_format_option_and_a_folder_as_input(cluster, recordings, tmp_path, capsys):
    out = tmp_path / "csv"
    assert main(["run-graph", str(GRAPH), "-i", str(recordings), "-o", str(out), "--format", "csv",
                 "--scheduler", cluster, "-q"]) == 0, capsys.readouterr().err
    assert sorted(p.name for p in out.iterdir()) == ["pump_0.csv", "pump_1.csv", "pump_2.csv"]
    _same_file(out / "pump_0.csv", _serial(recordings / "pump_0.parquet", tmp_path / "serial.csv"))


def _project(root: Path) -> Path:
    """A project whose graph uses a graph component (components/smoother.json) and a script (slow_gain.py)."""
    (root / "graphs").mkdir(parents=True)
    (root / "project.json").write_text(json.dumps({"schema_version": 1, "name": "plant"}), encoding="utf-8")
    (root / "components").mkdir()
    (root / "components" / "slow_gain.py").write_text(SLOW_GAIN, encoding="utf-8")
    inner = Graph()
    inner.add_node("ewma", "signal.ewma", {"alpha": 0.5})
    inner.exposed_inputs = [ExposedPort("raw", "ewma", "x")]
    inner.exposed_outputs = [ExposedPort("smooth", "ewma", "y")]
    save_project_component(root / "components", "smoother", inner, Text("Smoother", "平滑"))
    graph = Graph("smooth and amplify")
    graph.add_node("in", "io.input", {"column": "x"})
    graph.add_node("smooth", "project.smoother")
    graph.add_node("gain", "project.slow_gain", {"k": 3.0})
    graph.add_node("out", "io.output", {"column": "y"})
    for a, b in (("in.y", "smooth.raw"), ("smooth.smooth", "gain.x"), ("gain.y", "out.x")):
        graph.connect(a, b)
    path = root / "graphs" / "amplify.json"
    path.write_text(graph.to_text(), encoding="utf-8")
    return path


def _ramps(folder: Path, count: int, rows: int) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(count):
        path = folder / f"ramp_{i}.parquet"
        pd.DataFrame({"time": np.arange(rows) * 0.001 + 1_767_225_600.0,
                      "x": np.arange(rows, dtype=np.float64) * (i + 1)}).to_parquet(path)
        paths.append(path)
    return paths


def test_project_components_travel_with_the_task_not_on_a_shared_disk(cluster, tmp_path, capsys):
    graph_path = _project(tmp_path / "plant")
    [ramp] = _ramps(tmp_path / "in", 1, 1000)
    args = ["run-graph", str(graph_path), "-i", str(tmp_path / "in" / "*.parquet"), "-o", str(tmp_path / "out"),
            "--scheduler", cluster, "-q"]
    assert main(args) == 2
    assert "uses Python script components (components/slow_gain.py)" in capsys.readouterr().err
    assert main([*args, "--trust"]) == 0, capsys.readouterr().err
    assert main(["run-graph", str(graph_path), "-i", str(ramp), "-o", str(tmp_path / "serial.parquet"), "--trust",
                 "-q"]) == 0
    _same_file(tmp_path / "out" / "ramp_0.parquet", tmp_path / "serial.parquet")
    # The task alone carries the components: with the project gone, a worker still runs the graph.
    from workbench.graph_commands import component_registry

    project = tmp_path / "plant"
    registry = component_registry(project, scripts=True)
    job = BatchJob(graph_path.read_text(encoding="utf-8"), str(graph_path), {},
                   batch_runs.component_payload(project, scripts=True), True, 100_000, None, "s",
                   batch_runs.registry_fingerprint(registry))
    assert [name for name, _ in job.components] == ["slow_gain.py", "smoother.json"]
    shutil.rmtree(project)
    with Client(cluster) as client:
        result = client.submit(batch_runs.run_file, job, str(ramp), str(tmp_path / "again.parquet"),
                               pure=False).result(timeout=DEADLINE)
    assert result.error is None and result.rows == 1000 and result.worker.startswith("tcp://127.0.0.1:")
    _same_file(tmp_path / "again.parquet", tmp_path / "serial.parquet")


def test_a_node_failing_in_some_recordings_is_named_per_recording_and_exits_3(cluster, tmp_path, capsys):
    graph_path = _project(tmp_path / "plant")
    _ramps(tmp_path / "in", 2, 500)
    assert main(["run-graph", str(graph_path), "-i", str(tmp_path / "in"), "-o", str(tmp_path / "out"), "--trust",
                 "--scheduler", cluster, "--param", "gain.k=0", "-q"]) == 3
    captured = capsys.readouterr()
    assert "2 of 2 recordings done" in captured.out
    for name in ("ramp_0.parquet", "ramp_1.parquet"):
        assert f"  {name}: node 'gain' failed: " in captured.err and "k = 0 switches the signal off" in captured.err
        assert pd.read_parquet(tmp_path / "out" / name)["y"].isna().all()  # written, marked bad


def _descendants() -> set[int]:
    return {p.pid for p in psutil.Process().children(recursive=True)}


def _gone(pids: set[int]) -> set[int]:
    """The pids of ``pids`` still alive after up to DEADLINE seconds."""
    deadline = time.monotonic() + DEADLINE
    alive = {pid for pid in pids if psutil.pid_exists(pid)}
    while alive and time.monotonic() < deadline:
        time.sleep(0.1)
        alive = {pid for pid in alive if psutil.pid_exists(pid) and psutil.Process(pid).status() != "zombie"}
    return alive


def test_without_a_scheduler_a_local_cluster_runs_and_leaves_no_process(recordings, tmp_path, capsys):
    before = _descendants()
    assert main(["run-graph", str(GRAPH), "-i", str(recordings / "*.parquet"), "-o", str(tmp_path / "out"),
                 "--workers", "2"]) == 0, capsys.readouterr().err
    assert "2 of 2 recordings done" in capsys.readouterr().out
    assert _gone(_descendants() - before) == set()
    _same_file(tmp_path / "out" / "pump_1.parquet", _serial(recordings / "pump_1.parquet", tmp_path / "s.parquet"))


OTHER_MILLWRIGHT = """# A worker as if another Millwright were installed: another version, signal.ewma at version 99.
import workbench
workbench.__version__ = "0.0.1-other"
from nodes.registry import default_registry
default_registry().get("signal.ewma").version = 99
"""


def test_a_worker_of_another_version_is_refused_by_address(recordings, tmp_path, capsys):
    preload = tmp_path / "other_millwright.py"
    preload.write_text(OTHER_MILLWRIGHT, encoding="utf-8")
    args = ["run-graph", str(GRAPH), "-i", str(recordings / "*.parquet"), "-o", str(tmp_path / "out"), "-q"]
    with _quiet_cluster(n_workers=1) as local, Client(local) as client:
        [good] = client.scheduler_info()["workers"]
        other = subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_worker", local.scheduler_address,
                                  "--nthreads", "1", "--no-dashboard", "--host", "127.0.0.1", "--no-nanny",
                                  "--preload", str(preload)], cwd=ROOT, stderr=subprocess.DEVNULL)
        try:
            # Both workers there: the other one is named and left out; the run is whole on the good one
            # (a task on the other worker would fail its own check and exit 1).
            assert main([*args, "--scheduler", local.scheduler_address, "--workers", "2"]) == 0
            err = capsys.readouterr().err
            [bad] = set(client.scheduler_info()["workers"]) - {good}
            assert (f"worker {bad} is refused: Millwright 0.0.1-other there, {__version__} here; "
                    "signal.ewma version 99 there, 1 here") in err, err
            assert good not in err
            # Only the other one left: nothing runs, and the message says why.
            local.scale(0)
            deadline = time.monotonic() + DEADLINE
            while set(client.scheduler_info()["workers"]) != {bad} and time.monotonic() < deadline:
                time.sleep(0.1)
            shutil.rmtree(tmp_path / "out")
            assert main([*args, "--scheduler", local.scheduler_address]) == 4
            err = capsys.readouterr().err
            assert f"worker {bad} is refused: Millwright 0.0.1-other there" in err
            assert f"no worker at {local.scheduler_address} runs Millwright {__version__}" in err
            assert "nothing was run" in err
            assert list((tmp_path / "out").iterdir()) == []
        finally:
            other.terminate()
            other.wait(timeout=DEADLINE)


@pytest.fixture(scope="module")
def tls_files(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("tls")
    ca_key, key, stranger_key = (ec.generate_private_key(ec.SECP256R1()) for _ in range(3))
    ca = _certificate("Cluster CA", ca_key, ca=True)
    stranger = _certificate("Stranger CA", stranger_key, ca=True)
    return {"ca": _pem(folder, "ca", ca),
            "cert": _pem(folder, "node", _certificate("cluster node", key, ca.subject, ca_key), key),
            "key": folder / "node.key",
            "stranger": _pem(folder, "stranger", _certificate("intruder", stranger_key, stranger.subject,
                                                              stranger_key), stranger_key),
            "stranger_key": folder / "stranger.key"}


def test_a_tls_cluster_runs_with_the_users_certificates_and_refuses_others(recordings, tls_files, tmp_path, capsys,
                                                                        monkeypatch):
    files = {k: str(v) for k, v in tls_files.items()}
    security = Security(tls_ca_file=files["ca"], tls_scheduler_cert=files["cert"], tls_scheduler_key=files["key"],
                        tls_worker_cert=files["cert"], tls_worker_key=files["key"], tls_client_cert=files["cert"],
                        tls_client_key=files["key"], require_encryption=True)
    with _quiet_cluster(n_workers=1, protocol="tls://", security=security) as local:
        address = local.scheduler_address
        assert address.startswith("tls://127.0.0.1:")
        out = tmp_path / "out"
        assert main(["run-graph", str(GRAPH), "-i", str(recordings / "*.parquet"), "-o", str(out), "-q",
                     "--scheduler", address, "--tls-ca", files["ca"], "--tls-cert", files["cert"],
                     "--tls-key", files["key"]]) == 0, capsys.readouterr().err
        _same_file(out / "pump_0.parquet", _serial(recordings / "pump_0.parquet", tmp_path / "serial.parquet"))
        # A client certificate the cluster's CA did not sign does not get in.
        monkeypatch.setattr(batch_runs, "CONNECT_TIMEOUT", 3)
        assert main(["run-graph", str(GRAPH), "-i", str(recordings / "*.parquet"), "-o", str(tmp_path / "no"),
                     "--scheduler", address, "--tls-ca", files["ca"], "--tls-cert", files["stranger"],
                     "--tls-key", files["stranger_key"]]) == 4
        assert f"cannot reach the Dask scheduler at {address}" in capsys.readouterr().err
        # tls:// needs the user's files; plain tcp:// to a TLS scheduler is no way around it.
        assert main(["run-graph", str(GRAPH), "-i", str(recordings / "*.parquet"), "-o", str(tmp_path / "no"),
                     "--scheduler", address]) == 4
        assert "a tls:// scheduler needs --tls-ca" in capsys.readouterr().err
        assert main(["run-graph", str(GRAPH), "-i", str(recordings / "*.parquet"), "-o", str(tmp_path / "no"),
                     "--scheduler", address.replace("tls://", "tcp://")]) == 4
        assert "cannot reach the Dask scheduler" in capsys.readouterr().err


@pytest.mark.slow
def test_ctrl_c_stops_the_run_and_its_workers_and_leaves_no_partial_file(tmp_path):
    graph_path = _project(tmp_path / "plant")
    graph = json.loads(graph_path.read_text(encoding="utf-8"))
    for node in graph["nodes"]:
        if node["id"] == "gain":
            node["params"]["pause"] = 0.25
    graph_path.write_text(json.dumps(graph), encoding="utf-8")
    _ramps(tmp_path / "in", 8, 4000)  # 8 chunks of 500 rows: 2 s per recording
    out = tmp_path / "out"
    command = [sys.executable, "-m", "workbench", "run-graph", str(graph_path), "-i", str(tmp_path / "in"),
               "-o", str(out), "--chunk", "500", "--workers", "2", "--trust"]
    # A terminal's Ctrl-C goes to the whole foreground process group: so does ours.
    run = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                           start_new_session=True)
    try:
        deadline = time.monotonic() + DEADLINE
        while not list(out.glob("ramp_*.parquet")) and time.monotonic() < deadline and run.poll() is None:
            time.sleep(0.05)
        workers = {p.pid for p in psutil.Process(run.pid).children(recursive=True)}
        assert run.poll() is None and len(workers) >= 2, "the run ended before it could be interrupted"
        os.killpg(run.pid, signal.SIGINT)
        _, stderr = run.communicate(timeout=DEADLINE)
    finally:
        if run.poll() is None:
            os.killpg(run.pid, signal.SIGKILL)
    assert run.returncode == 130, stderr
    assert "interrupted; " in stderr and " of 8 results were written to " in stderr, stderr
    assert "Traceback" not in stderr and "KeyboardInterrupt" not in stderr, stderr
    assert _gone(workers) == set()
    written = sorted(out.glob("ramp_*.parquet"))
    assert 1 <= len(written) < 8 and not list(out.glob(f"{TEMP_PREFIX}*"))
    for path in written:  # every file there is whole
        assert len(pd.read_parquet(path)) == 4000


# ----------------------------------------------------------------------------- without a cluster

def test_patterns_that_match_nothing_and_clashing_outputs_are_refused_before_any_run(tmp_path, capsys):
    with pytest.raises(BatchError, match=r"no_such/\*\.parquet: no recording matches"):
        expand_inputs([str(tmp_path / "no_such" / "*.parquet")])
    for sub in ("a", "b"):
        _ramps(tmp_path / sub, 1, 10)
    sources = expand_inputs([str(tmp_path / "*" / "*.parquet")])
    with pytest.raises(BatchError, match=r"would both write .*ramp_0\.parquet; rename one"):
        plan_outputs(sources, tmp_path / "out", None)
    with pytest.raises(BatchError, match="the output would replace the input recording"):
        plan_outputs(sources[:1], tmp_path / "a", None)
    (tmp_path / "file").write_text("")
    assert main(["run-graph", str(GRAPH), "-i", str(tmp_path / "a" / "*.parquet"), "-o", str(tmp_path / "file")]) == 1
    assert "this is a file; a batch run writes one result per recording into a folder" in capsys.readouterr().err


@pytest.mark.parametrize(("options", "message"), [
    (["--scheduler", "127.0.0.1:8786"], "give the scheduler's address as tcp://HOST:PORT or tls://HOST:PORT"),
    (["--tls-ca", "ca.pem"], "--tls-ca is for a tls:// scheduler only (no --scheduler was given)"),
    (["--scheduler", "tcp://127.0.0.1:1", "--tls-cert", "c.pem"], "tcp://127.0.0.1:1 is plain tcp"),
    (["--scheduler", "tls://127.0.0.1:1", "--tls-ca", "ca.pem"], "needs --tls-ca (the CA that signed"),
    (["--scheduler", "tls://127.0.0.1:1", "--tls-ca", "ca.pem", "--tls-cert", "c.pem"],
     "--tls-ca ca.pem: the file does not exist"),
    (["--workers", "0"], "--workers must be at least 1"),
])
def test_cluster_options_are_checked_before_connecting(recordings, tmp_path, capsys, options, message):
    assert main(["run-graph", str(GRAPH), "-i", str(recordings / "*.parquet"), "-o", str(tmp_path / "o"),
                 *options]) == 4
    assert message in capsys.readouterr().err


def test_fingerprint_differences_name_each_version():
    here = {"millwright": "0.1.0", "components": {"a.x": 1, "a.y": 2, "a.z": 1}}
    assert fingerprint_differences(here, here) == []
    there = {"millwright": "0.2.0", "components": {"a.x": 1, "a.y": 3, "b.new": 1}}
    assert fingerprint_differences(here, there) == ["Millwright 0.2.0 there, 0.1.0 here", "a.y version 3 there, 2 here",
                                                    "a.z missing there (version 1 here)",
                                                    "b.new version 1 there, missing here"]
    many = {"millwright": "0.1.0", "components": {f"g.n{i}": 1 for i in range(10)}}
    assert fingerprint_differences(here, many)[-1] == "and 7 more"
