"""`millwright device profile-from-server` against the OPC UA simulator in its own process."""

import os
import signal
import subprocess
import sys

import pytest

from device_browser.opcua.ua_profile import profile_id_of
from device_browser.profiles import load_profile
from workbench.cli import main

EXTRA = 2500  # more than one batch of variables (ua_browse.VARIABLES_PER_BATCH)
NS = "nsu=urn:millwright:pumpstation"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """The simulator with extra tags and small operation limits: every request is cut in chunks."""
    from device_browser.simulators.opcua.simulation import free_port

    port = free_port("127.0.0.1")
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "XDG_DATA_HOME": str(tmp_path_factory.mktemp("server"))}
    process = subprocess.Popen([sys.executable, "-m", "workbench", "simulate", "opcua", "--port", str(port),
                                "--no-security", "--extra-tags", str(EXTRA), "--limit", "MaxNodesPerRead=700",
                                "--limit", "MaxNodesPerBrowse=300"], stdout=subprocess.PIPE, text=True, env=env)
    url = f"opc.tcp://127.0.0.1:{port}/millwright/"
    assert process.stdout.readline().startswith(f"OPC UA simulator listening on {url}")
    yield url
    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=15) == 0


@pytest.fixture(autouse=True)
def _own_folders(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "client"))
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))


def test_a_folder_of_many_tags_becomes_a_profile_of_as_many_points(server, tmp_path, capsys):
    out = tmp_path / "extra.yaml"
    assert main(["device", "profile-from-server", server, f"{NS};s=Extra", "-o", str(out), "--timeout", "30"]) == 0
    assert capsys.readouterr().out == f"{EXTRA} points written to {out}\n"
    profile = load_profile(out)
    assert profile.id == "extra" and profile.connection["endpoint"] == server
    assert [p.name for p in profile.points] == [f"tag{i:05d}" for i in range(EXTRA)]  # in the server's order
    last = profile.point(f"tag{EXTRA - 1:05d}")
    assert last.address == {"node_id": f"{NS};s=Extra.Tag{EXTRA - 1:05d}"}
    assert (last.data_type, last.access, last.range, last.unit) == ("double", "r", None, "")
    assert last.description == {"en": "Extra tag for scale tests, updated every 1 s"}


def test_objects_below_become_name_prefixes_with_their_units_and_ranges(server, tmp_path):
    out = tmp_path / "objects.yaml"
    assert main(["device", "profile-from-server", server, "i=85", "--depth", "2", "-o", str(out)]) == 0
    profile = load_profile(out)
    assert profile.id == "objects"  # the browse name of i=85, not "85"
    flow = profile.point("pump_station_flow")
    assert flow.address == {"node_id": f"{NS};s=PumpStation.Flow"} and flow.unit == "m^3/h"
    assert flow.range is not None and flow.range[0] < flow.range[1]
    assert profile.point("pump_station_speed_setpoint").access == "rw"
    assert profile.point("extra_tag00000").data_type == "double"
    assert not [p for p in profile.points if "high_vibration" in p.name]  # alarm conditions are left out


def test_event_notifier_references_do_not_list_an_object_twice(server, tmp_path):
    # Objects/Server -HasNotifier-> PumpStation is a path to where events come from, not a second pump
    out = tmp_path / "deep.yaml"
    assert main(["device", "profile-from-server", server, "i=85", "--depth", "3", "-o", str(out)]) == 0
    points = load_profile(out).points
    node_ids = [p.address["node_id"] for p in points]
    assert len(node_ids) == len(set(node_ids)) and not [p for p in points if p.name.startswith("server_pump")]
    assert any(p.name == "pump_station_flow" for p in points)


def test_the_id_option_overrides_the_browse_name(server, capsys):
    assert main(["device", "profile-from-server", server, f"{NS};s=PumpStation", "--id", "line3-pump"]) == 0
    text = capsys.readouterr().out
    assert "\nid: line3-pump\n" in text and "model: line3-pump" in text


def test_a_node_that_does_not_exist_is_named(server, capsys):
    assert main(["device", "profile-from-server", server, f"{NS};s=Nope"]) == 1
    assert f"{NS};s=Nope does not exist on {server}" in capsys.readouterr().err


@pytest.mark.parametrize(("browse_name", "expected"), [
    ("Extra", "extra"), ("Pump Station #1", "pump-station-1"), ("Line3.Pump:A", "line3.pump:a"), ("###", "device"),
])
def test_profile_ids_from_browse_names(browse_name, expected):
    assert profile_id_of(browse_name) == expected
