"""Project components: sub-graphs in a project's components/ folder, loaded as component types without running code."""

from __future__ import annotations

import json

import numpy as np
import pytest

from nodes.component import Text
from nodes.composite import composite_component
from nodes.engine import Run, compile_graph
from nodes.graph import ExposedPort, Graph, load_graph
from nodes.project_components import (
    ComponentExistsError,
    ComponentFileError,
    ProjectComponents,
    load_project_components,
    save_project_component,
)
from nodes.registry import default_registry
from tests.nodes.helpers import signal


def smoother(inner_type: str = "signal.moving_average") -> Graph:
    """raw → moving average (window 4) → scale (gain 0.5) → smooth, as a component graph."""
    graph = Graph()
    graph.add_node("ma", inner_type, {"window": 4} if inner_type == "signal.moving_average" else {})
    graph.add_node("k", "signal.scale", {"gain": 0.5})
    graph.connect("ma.y", "k.x")
    graph.exposed_inputs = [ExposedPort("raw", "ma", "x")]
    graph.exposed_outputs = [ExposedPort("smooth", "k", "y")]
    return graph


def user_of(type_name: str, port_in: str = "raw", port_out: str = "smooth") -> Graph:
    """A graph (or component graph) with one node ``c`` of ``type_name``, exposing its ports."""
    graph = Graph()
    graph.add_node("c", type_name)
    graph.exposed_inputs = [ExposedPort(port_in, "c", port_in)]
    graph.exposed_outputs = [ExposedPort(port_out, "c", port_out)]
    return graph


def write(folder, name: str, graph: Graph) -> None:
    folder.mkdir(exist_ok=True)
    (folder / f"{name}.json").write_text(graph.to_text(), encoding="utf-8")


def test_a_saved_component_is_graph_json_and_loads_as_a_project_type(tmp_path):
    folder = tmp_path / "components"
    path = save_project_component(folder, "smoother", smoother(), Text("Smoother", "平滑"), "Average, then halve.")
    assert path == folder / "smoother.json"
    text = path.read_text(encoding="utf-8")
    assert text == load_graph(path).to_text()  # the engine's own format, in its stable order
    data = json.loads(text)
    assert list(data) == sorted(data) and data["name"] == "Smoother" and data["name_zh"] == "平滑"
    assert data["ports"] == {"inputs": [{"name": "raw", "node": "ma", "port": "x"}],
                             "outputs": [{"name": "smooth", "node": "k", "port": "y"}]}
    registry, problems = load_project_components(folder, default_registry())
    assert problems == []
    cls = registry.get("project.smoother")
    assert cls.category == "project" and cls.title == Text("Smoother", "平滑")
    assert [p.name for p in cls.inputs] == ["raw"] and [p.name for p in cls.outputs] == ["smooth"]
    assert (cls.__doc__ or "").startswith("Average, then halve.")
    assert registry.origin("project.smoother") == "project file components/smoother.json"


def test_the_default_registry_is_never_changed(tmp_path):
    before = [cls.type_name for cls in default_registry()]
    save_project_component(tmp_path / "components", "smoother", smoother(), Text("Smoother"))
    holder = ProjectComponents(default_registry())
    holder.open(tmp_path)
    assert "project.smoother" in holder.registry and len(holder.registry) == len(before) + 1
    assert "project.smoother" not in default_registry()
    assert [cls.type_name for cls in default_registry()] == before


def test_a_project_component_computes_what_its_inside_computes(tmp_path):
    folder = tmp_path / "components"
    save_project_component(folder, "smoother", smoother(), Text("Smoother"))
    registry, _ = load_project_components(folder, default_registry())

    def around(type_name: str, graph: Graph | None = None) -> Graph:
        outer = Graph()
        outer.add_node("in", "io.input", {"column": "x", "unit": "bar"})
        outer.add_node("c", type_name, graph=graph)
        outer.add_node("out", "io.output", {"column": "y"})
        outer.connect("in.y", "c.raw")
        outer.connect("c.smooth", "out.x")
        return outer

    x = signal(np.arange(20.0))
    embedded = Run(compile_graph(around("composite", smoother()), registry)).push({"x": x})["y"]
    published = compile_graph(around("project.smoother"), registry)
    np.testing.assert_array_equal(Run(published).push({"x": x})["y"].v, embedded.v)
    assert published.output_units == {"y": "bar"}


def test_saving_refuses_to_overwrite_unless_asked_and_checks_the_name(tmp_path):
    folder = tmp_path / "components"
    path = save_project_component(folder, "smoother", smoother(), Text("Smoother"))
    first = path.read_bytes()
    with pytest.raises(ComponentExistsError, match="already a component 'smoother'"):
        save_project_component(folder, "smoother", smoother(), Text("Other"))
    assert path.read_bytes() == first
    save_project_component(folder, "smoother", smoother(), Text("Other"), overwrite=True)
    assert load_graph(path).name == "Other"
    for bad in ("Smoother", "1st", "my-filter", "", "a b"):
        with pytest.raises(ComponentFileError, match="a-z, 0-9 and _"):
            save_project_component(folder, bad, smoother(), Text("Smoother"))
    assert sorted(p.name for p in folder.iterdir()) == ["smoother.json"]  # nothing else, no temporary files


def test_saving_checks_that_the_component_would_load(tmp_path):
    holder = ProjectComponents(default_registry())
    with pytest.raises(ComponentFileError, match="Open a project first"):
        holder.save("smoother", smoother(), Text("Smoother"))
    holder.open(tmp_path)
    broken = smoother()
    broken.exposed_outputs = [ExposedPort("smooth", "gone", "y")]
    with pytest.raises(ComponentFileError, match=r"exposed port 'smooth' refers to gone\.y, which does not exist"):
        holder.save("smoother", broken, Text("Smoother"))
    assert not (tmp_path / "components" / "smoother.json").exists()  # checked before it is written
    assert holder.save("smoother", smoother(), Text("Smoother")) == "project.smoother"
    with pytest.raises(ComponentFileError, match="cannot contain itself"):
        holder.save("smoother", user_of("project.smoother"), Text("Loop"), overwrite=True)
    assert load_graph(tmp_path / "components" / "smoother.json").name == "Smoother"


def test_each_bad_file_is_reported_by_name_and_the_good_ones_still_load(tmp_path):
    folder = tmp_path / "components"
    write(folder, "good", smoother())
    (folder / "not_json.json").write_text('{\n  "schema_version": 3,\n  "nodes": [\n', encoding="utf-8")
    dangling = smoother()
    dangling.exposed_inputs = [ExposedPort("raw", "nope", "x")]
    write(folder, "dangling", dangling)
    write(folder, "unknown_inside", smoother("signal.no_such_filter"))
    write(folder, "Bad-Name", smoother())
    (folder / "README.md").write_text("Project components.\n", encoding="utf-8")
    registry, problems = load_project_components(folder, default_registry())
    assert "project.good" in registry
    assert not {"project.not_json", "project.dangling", "project.unknown_inside"} & {c.type_name for c in registry}
    assert len(problems) == 4, problems
    by_file = {p.partition(":")[0].partition(" ")[0]: p for p in problems}
    assert "not valid JSON" in by_file["components/not_json.json"]
    assert "(line 4" in by_file["components/not_json.json"]
    assert "exposed port 'raw' refers to nope.x, which does not exist" in by_file["components/dangling.json"]
    assert "node 'ma' uses the component 'signal.no_such_filter', which is not installed" \
        in by_file["components/unknown_inside.json"]
    assert "must start with a lower-case letter" in by_file["components/Bad-Name.json"]


def test_a_type_already_provided_by_a_plug_in_is_reported(tmp_path):
    base = default_registry().copy()
    base.register(composite_component(smoother(), "project.smoother", base, Text("Plug-in smoother")),
                  origin="plug-in acme")
    write(tmp_path / "components", "smoother", smoother())
    registry, problems = load_project_components(tmp_path / "components", base)
    assert problems == ["components/smoother.json: its type 'project.smoother' is already provided by plug-in acme; "
                        "rename the file"]
    assert registry.get("project.smoother").title.en == "Plug-in smoother"


def test_components_load_after_those_they_use_and_loops_are_reported(tmp_path):
    folder = tmp_path / "components"
    write(folder, "alpha", user_of("project.beta"))  # alpha uses beta: beta loads first
    write(folder, "beta", smoother())
    write(folder, "ping", user_of("project.pong"))
    write(folder, "pong", user_of("project.ping"))
    write(folder, "orphan", user_of("project.missing"))
    write(folder, "uses_pong", user_of("project.pong"))
    registry, problems = load_project_components(folder, default_registry())
    assert {"project.alpha", "project.beta"} <= {c.type_name for c in registry}
    assert not {"project.ping", "project.pong", "project.orphan", "project.uses_pong"} & \
        {c.type_name for c in registry}
    assert sorted(problems) == [
        "components/orphan.json: it uses the component 'project.missing', but there is no components/missing.json",
        "components/ping.json: components use each other in a loop (project.ping → project.pong → project.ping); "
        "a component cannot contain itself",
        "components/pong.json: components use each other in a loop (project.ping → project.pong → project.ping); "
        "a component cannot contain itself",
        "components/uses_pong.json: it uses the component 'project.pong' (components/pong.json), "
        "which could not be loaded",
    ]
    x = signal(np.arange(8.0))
    outer = Graph()
    outer.add_node("in", "io.input", {"column": "x"})
    outer.add_node("a", "project.alpha")
    outer.add_node("out", "io.output", {"column": "y"})
    outer.connect("in.y", "a.raw")
    outer.connect("a.smooth", "out.x")
    compiled = compile_graph(outer, registry)
    assert [p.id for p in compiled.plans if "/" in p.id] == ["a/c/ma", "a/c/k"]  # beta inlined inside alpha
    assert len(Run(compiled).push({"x": x})["y"].v) == 8


def test_the_holder_announces_each_change_and_keeps_one_registry(tmp_path):
    holder = ProjectComponents(default_registry())
    registry = holder.registry
    changes = []
    holder.changed.connect(lambda: changes.append(sorted(c.type_name for c in registry if c.category == "project")))
    holder.open(tmp_path)
    holder.save("smoother", smoother(), Text("Smoother"))
    holder.open(None)
    assert changes == [[], ["project.smoother"], []]
    assert holder.registry is registry
