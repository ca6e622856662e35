"""Script components: components/*.py imported as component types, hot reload, failures, trust."""

from __future__ import annotations

import numpy as np
import pytest

from nodes.chunk import Chunk
from nodes.engine import compile_graph, run_batch
from nodes.graph import Graph
from nodes.project_components import ProjectComponents, load_project_components, scripts_used
from nodes.registry import default_registry
from nodes.script_components import ScriptLibrary, is_script_class, load_script, script_sources, vet_in_subprocess

GAIN = '''"""Gain of a pump curve."""
from nodes.component import Component, Kind, Param, Port, Text


class Gain(Component):
    """y = k * x.

    References
    ----------
    Any textbook.
    """

    type_name = "project.gain"
    title = Text("Gain", "增益")
    inputs = (Port("x", Kind.SIGNAL, "m^3/h"),)
    outputs = (Port("y", Kind.SIGNAL, "m^3/h"),)
    params = (Param("k", "float", 2.0), {extra})

    def process(self, inputs, state):
        return {{"y": inputs["x"].with_values(inputs["x"].v * self.p["k"] {offset})}}
'''

OTHER = '''"""Another."""
from nodes.component import Component, Port, Text


class Twice(Component):
    """y = 2 x. References: none needed."""

    type_name = "project.twice"
    title = Text("Twice")
    inputs = (Port("x", unit="*"),)
    outputs = (Port("y", unit="=x"),)

    def process(self, inputs, state):
        return {"y": inputs["x"].with_values(inputs["x"].v * 2)}
'''


def write(folder, name: str, text: str):
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def gain_graph() -> Graph:
    graph = Graph("g")
    graph.add_node("in", "io.input", {"column": "flow", "unit": "m^3/h"})
    graph.add_node("gain", "project.gain", {"k": 3.0})
    graph.add_node("out", "io.output", {"column": "y"})
    graph.connect("in.y", "gain.x")
    graph.connect("gain.y", "out.x")
    return graph


def test_a_script_declares_components_with_the_library_api_and_runs_in_the_engine(tmp_path):
    write(tmp_path / "components", "gain.py", GAIN.format(extra="", offset=""))
    registry, problems = load_project_components(tmp_path / "components", default_registry(), scripts=True)
    assert problems == []
    cls = registry.get("project.gain")
    assert is_script_class(cls) and registry.origin("project.gain") == "script components/gain.py"
    assert cls.spec()["title"] == {"en": "Gain", "zh": "增益"} and cls.spec()["params"][0]["default"] == 2.0
    outputs = []
    flow = Chunk.of(np.arange(4, dtype=np.int64) * 10**9, np.array([1.0, 2.0, 3.0, 4.0]))
    run_batch(compile_graph(gain_graph(), registry), [{"flow": flow}], outputs.append)
    np.testing.assert_array_equal(outputs[0]["y"].v, [3.0, 6.0, 9.0, 12.0])
    assert "project.gain" not in default_registry()  # the default catalogue is never changed


def test_without_scripts_nothing_is_imported_and_the_use_is_found_by_reading(tmp_path):
    marker = tmp_path / "imported"
    write(tmp_path / "components", "gain.py", f"open({str(marker)!r}, 'w').close()\n"
          + GAIN.format(extra="", offset=""))
    registry, _ = load_project_components(tmp_path / "components", default_registry())
    assert "project.gain" not in registry and not marker.exists()
    assert scripts_used(gain_graph(), tmp_path / "components") == ["components/gain.py"]
    assert not marker.exists()


def test_an_untrusted_folder_shows_its_types_as_not_loaded(tmp_path):
    marker = tmp_path / "imported"
    write(tmp_path / "components", "gain.py", f"open({str(marker)!r}, 'w').close()\n"
          + GAIN.format(extra="", offset=""))
    components = ProjectComponents(default_registry())
    components.open(tmp_path)
    assert not marker.exists() and "project.gain" not in components.registry
    assert components.untrusted == [tmp_path / "components" / "gain.py"]
    assert "not trusted" in components.not_loaded["project.gain"]
    components.trust = lambda root: root == tmp_path
    components.reload()
    assert marker.exists() and "project.gain" in components.registry and components.not_loaded == {}


def test_hot_reload_replaces_only_the_changed_file(tmp_path):
    folder = tmp_path / "components"
    gain = write(folder, "gain.py", GAIN.format(extra="", offset=""))
    write(folder, "twice.py", OTHER)
    components = ProjectComponents(default_registry(), trust=lambda root: True)
    seen = []
    components.changed.connect(lambda: seen.append(1))
    components.open(tmp_path)
    first, twice = components.registry.get("project.gain"), components.registry.get("project.twice")
    gain.write_text(GAIN.format(extra='Param("offset", "float", 1.0)', offset='+ self.p["offset"]'),
                    encoding="utf-8")
    components.reload()
    second = components.registry.get("project.gain")
    assert second is not first and [p.name for p in second.params] == ["k", "offset"]
    assert components.registry.get("project.twice") is twice  # untouched file, same class
    assert second({"k": 2.0}).process({"x": Chunk.of([0], [1.0])}, None)["y"].v[0] == 3.0
    assert len(seen) == 2
    # the worker process is given the very text of the classes a graph holds
    assert script_sources([second, twice]) == {"components/gain.py": gain.read_text(encoding="utf-8"),
                                               "components/twice.py": OTHER}


def test_a_file_that_fails_to_import_names_its_line_and_leaves_the_others(tmp_path, caplog):
    folder = tmp_path / "components"
    write(folder, "twice.py", OTHER)
    broken = GAIN.format(extra="", offset="").replace('class Gain', 'RATIO = 1 / 0\n\n\nclass Gain')
    write(folder, "gain.py", broken)
    components = ProjectComponents(default_registry(), trust=lambda root: True)
    components.open(tmp_path)
    failure = components.script_failures["components/gain.py"]
    assert failure.line == broken.splitlines().index("RATIO = 1 / 0") + 1
    assert "ZeroDivisionError" in failure.message
    assert f'File "{folder / "gain.py"}", line {failure.line}' in failure.traceback
    assert "nodes/script_components.py" not in failure.traceback  # only the script's own frames
    assert f"components/gain.py, line {failure.line}" in components.not_loaded["project.gain"]
    assert "project.twice" in components.registry and "signal.bandpass" in components.registry
    assert any("ZeroDivisionError" in r.getMessage() and "Traceback" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize(("text", "line", "words"), [
    ("x = (\n", 1, "not valid Python"),
    ("import math\n", None, "declares no component"),
    (GAIN.format(extra="", offset="").replace('type_name = "project.gain"', 'type_name = "signal.bandpass"'),
     5, "already provided by built-in"),
    (GAIN.format(extra="", offset="").replace('title = Text("Gain", "增益")', ""), 5, "needs a title"),
])
def test_bad_scripts_are_named_with_file_line_and_reason(tmp_path, text, line, words):
    write(tmp_path / "components", "bad.py", text)
    library = ScriptLibrary()
    library.refresh(tmp_path / "components")
    registry = default_registry().copy()
    (failure,) = library.register(registry)
    assert failure.file == "components/bad.py" and failure.line == line and words in failure.message
    assert registry.get("signal.bandpass") is default_registry().get("signal.bandpass")


def test_a_script_loads_from_its_text_as_the_worker_does():
    loaded = load_script("components/gain.py", GAIN.format(extra="", offset=""))
    assert loaded.failure is None and [c.type_name for c in loaded.classes] == ["project.gain"]
    assert loaded.declared == ("project.gain",)


def test_scripts_that_hang_or_end_the_process_at_import_are_refused_before_being_imported_here(tmp_path):
    folder = tmp_path / "components"
    write(folder, "twice.py", OTHER)
    write(folder, "hang.py", "while True:\n    pass\n" + GAIN.format(extra="", offset=""))
    write(folder, "quit.py", "import os\nos._exit(3)\n")
    components = ProjectComponents(default_registry(), trust=lambda root: True)
    components.vet = lambda sources: vet_in_subprocess(sources, timeout=6.0)
    components.open(tmp_path)  # returns: nothing hanging was imported into this process
    assert "project.twice" in components.registry and "project.gain" not in components.registry
    assert "did not finish within 6 s" in components.script_failures["components/hang.py"].message
    assert "ended the process (exit code 3)" in components.script_failures["components/quit.py"].message
    assert "did not finish" in components.not_loaded["project.gain"]
    # fixed: vetted again (it changed) and imported
    write(folder, "hang.py", GAIN.format(extra="", offset=""))
    components.reload()
    assert "project.gain" in components.registry and "components/hang.py" not in components.script_failures
