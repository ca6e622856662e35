"""Plug-in discovery through the `millwright.components` entry-point group, with real packages."""

import json
import os
import subprocess
import sys
import textwrap

import pytest

from nodes.registry import ComponentRegistry
from nodes.resources import resources_dir

PLUGIN = resources_dir() / "examples" / "plugin"


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """A folder with the example plug-in installed by pip and a broken plug-in beside it."""
    target = tmp_path_factory.mktemp("site")
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
                    "--target", str(target), str(PLUGIN)], check=True, capture_output=True)
    # A broken plug-in: its entry point names a module that fails to import.
    (target / "broken_vendor_plugin.py").write_text("raise ImportError('needs libvendor.so, which is missing')\n")
    info = target / "broken_vendor_plugin-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: broken-vendor-plugin\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text("[millwright.components]\nvendor = broken_vendor_plugin\n")
    return target


def _millwright(site, *args):
    env = {**os.environ, "PYTHONPATH": f"{site}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    return subprocess.run([sys.executable, "-m", "workbench", *args], capture_output=True, text=True, env=env,
                          timeout=120)


def test_installed_plugin_is_listed_and_described(site):
    listing = _millwright(site, "components", "list")
    assert listing.returncode == 0 and "example.valve_flow" in listing.stdout
    assert "plug-in vendor (broken_vendor_plugin) was skipped: ImportError: needs libvendor.so" in listing.stderr
    shown = _millwright(site, "components", "show", "example.valve_flow")
    assert "IEC 60534-2-1" in shown.stdout and "plug-in valves" in shown.stdout


def test_plugin_component_runs_in_a_graph_with_unit_conversion(site, tmp_path):
    graph = {"schema_version": 2, "nodes": [
        {"id": "x", "type": "io.input", "params": {"column": "opening", "unit": "%"}},
        {"id": "dp", "type": "io.input", "params": {"column": "dp", "unit": "kPa"}},
        {"id": "valve", "type": "example.valve_flow", "params": {"cv": 20.0}},
        {"id": "out", "type": "io.output", "params": {"column": "flow"}}],
        "edges": [{"from": "x.y", "to": "valve.opening"}, {"from": "dp.y", "to": "valve.dp"},
                  {"from": "valve.flow", "to": "out.x"}]}
    (tmp_path / "g.json").write_text(json.dumps(graph))
    (tmp_path / "in.csv").write_text("time,opening,dp\n0,50,100\n1,100,400\n")
    result = _millwright(site, "run-graph", str(tmp_path / "g.json"), "-i", str(tmp_path / "in.csv"),
                         "-o", str(tmp_path / "o.csv"))
    assert result.returncode == 0, result.stderr
    rows = (tmp_path / "o.csv").read_text().splitlines()
    # 100 kPa = 1 bar: Q = 0.865 · 20 · 0.5 · √1 = 8.65 m³/h; 400 kPa: 0.865 · 20 · 1 · √4 = 34.6 m³/h.
    assert [float(r.split(",")[1]) for r in rows[1:]] == pytest.approx([8.65, 34.6])


def test_a_broken_plugin_does_not_stop_the_others(site, monkeypatch):
    monkeypatch.syspath_prepend(str(site))
    registry = ComponentRegistry()
    registry.load_plugins()
    assert "example.valve_flow" in registry
    [problem] = [p for p in registry.problems if "vendor" in p.plugin]
    assert problem.message == "ImportError: needs libvendor.so, which is missing"


def test_invalid_declarations_are_refused_as_a_whole(tmp_path, monkeypatch):
    (tmp_path / "half_plugin.py").write_text(textwrap.dedent('''
        from nodes.component import Component, Port, Text

        class Good(Component):
            """Fine. References: none."""
            type_name = "half.good"
            title = Text("Good")
            outputs = (Port("y", unit=""),)

        class NoTitle(Component):
            """No title."""
            type_name = "half.bad"
            outputs = (Port("y", unit=""),)

        class Clash(Good):
            """Takes a built-in's name. References: none."""
            type_name = "signal.scale"

        COMPONENTS = (Good, NoTitle) if __import__("os").environ.get("HALF") != "clash" else (Good, Clash)
    '''))
    info = tmp_path / "half_plugin-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: half-plugin\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text("[millwright.components]\nhalf = half_plugin\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    registry = ComponentRegistry()
    registry.load_plugins()
    assert "half.good" not in registry and "half.bad" not in registry
    assert any(p.message == "ValueError: NoTitle: needs a title" for p in registry.problems)
    monkeypatch.setenv("HALF", "clash")
    monkeypatch.delitem(sys.modules, "half_plugin")
    from nodes.library import builtin_components

    with_builtins = ComponentRegistry()
    for cls in builtin_components():
        with_builtins.register(cls)
    with_builtins.load_plugins()
    assert "half.good" not in with_builtins  # nothing of a plug-in loads when one of its parts clashes
    assert any("component type 'signal.scale' is already provided by built-in" in p.message
               for p in with_builtins.problems)
