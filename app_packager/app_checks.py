"""A manifest against its graph and the installed components: derive one, check one.

:func:`derive_manifest` is what ``millwright app new`` writes: the graph's inputs become typed
inputs (with the project's bindings as suggestions), its outputs the app's outputs, and the
component versions it was saved with its requirements. :func:`graph_problems` is what build
and verify check: every input, output and parameter of the manifest exists in the graph with
the same kind and a compatible unit, and every component is installed at a version at least
as new as the one required.
"""

from __future__ import annotations

from collections.abc import Mapping
from importlib import metadata

from app_packager.manifest import (
    AppInput,
    AppManifest,
    AppOutput,
    AppParameter,
    Classification,
    Permissions,
    Text,
)
from device_browser.tags import TagRef
from nodes.composite import flatten
from nodes.graph import Graph
from nodes.registry import ComponentRegistry
from nodes.units import UnitError, conversion
from nodes.validation import validate

INPUT_TYPE, OUTPUT_TYPE = "io.input", "io.output"


def millwright_version() -> str:
    """The installed Millwright's version (the distribution's metadata: the packager cannot import the shell)."""
    try:
        return metadata.version("millwright")
    except metadata.PackageNotFoundError:  # a source tree never installed
        return "0"


def graph_inputs(graph: Graph, registry: ComponentRegistry) -> dict[str, AppInput]:
    """The graph's inputs by column: their unit and kind."""
    inputs = {}
    for node in sorted(flatten(graph, registry).nodes.values(), key=lambda n: n.id):
        if node.type == INPUT_TYPE:
            params = node.params
            inputs[params.get("column", "value")] = AppInput(params.get("unit", ""), params.get("kind", "signal"),
                                                             Text(node.title) if node.title else None)
    return dict(sorted(inputs.items()))


def graph_outputs(graph: Graph, registry: ComponentRegistry) -> dict[str, AppOutput]:
    """The graph's outputs by column, with the unit validation resolves for each."""
    flat = flatten(graph, registry)
    resolution = validate(flat, registry)
    outputs = {}
    for node in flat.nodes.values():
        if node.type == OUTPUT_TYPE:
            unit = resolution.input_units.get((node.id, "x"), "")
            outputs[node.params.get("column", "result")] = AppOutput(unit, _fed_kind(flat, resolution, node.id),
                                                                     Text(node.title) if node.title else None)
    return dict(sorted(outputs.items()))


def _fed_kind(flat: Graph, resolution, node_id: str) -> str:
    """The kind of the port wired to a graph output (signal when unwired or unresolved)."""
    edge = next((e for e in flat.incoming(node_id) if e.target_port == "x"), None)
    cls = resolution.classes.get(edge.source) if edge else None
    port = next((p for p in cls.outputs if p.name == edge.source_port), None) if cls else None
    if port is None or edge.source not in resolution.params:  # a node whose parameters are invalid
        return "signal"
    return "boolean" if cls.port_kind(port, resolution.params[edge.source]) == "boolean" else "signal"


def component_versions(graph: Graph, registry: ComponentRegistry) -> dict[str, int]:
    """Component type → the declaration version the graph's nodes were saved with (io excluded)."""
    versions: dict[str, int] = {}
    for node in flatten(graph, registry).nodes.values():
        if node.type not in (INPUT_TYPE, OUTPUT_TYPE):
            versions[node.type] = max(versions.get(node.type, 1), node.version)
    return dict(sorted(versions.items()))


def derive_manifest(graph: Graph, graph_path: str, registry: ComponentRegistry, *, app_id: str,
                    bindings: Mapping[str, TagRef] | None = None) -> AppManifest:
    """A first manifest for ``graph`` (saved at project path ``graph_path``), to be completed by its author."""
    bindings = bindings or {}
    inputs = {name: AppInput(i.unit, i.kind, i.description, _suggestion(bindings.get(name)))
              for name, i in graph_inputs(graph, registry).items()}
    name = graph.name or graph_path.rsplit("/", 1)[-1].removesuffix(".json")
    return AppManifest(
        id=app_id, version="0.1.0", name=Text(name), license="LicenseRef-Proprietary",
        classification=Classification("C", "operation_maintenance", "device", "enterprise_specific", 1),
        graph=graph_path, inputs=inputs, outputs=graph_outputs(graph, registry),
        description=Text(graph.description) if graph.description else None,
        requires_millwright=f">={millwright_version()}", requires_components=component_versions(graph, registry),
        permissions=Permissions(read_tags=True))


def _suggestion(ref: TagRef | None) -> TagRef | None:
    """A binding without its unit: the manifest's input unit is the one the graph expects."""
    return TagRef(ref.device, ref.point, ref.address, ref.data_type) if ref else None


def graph_problems(manifest: AppManifest, graph: Graph, registry: ComponentRegistry) -> list[str]:
    """What in ``manifest`` does not match ``graph`` or the installed components (empty when all is well)."""
    problems = []
    actual_inputs = graph_inputs(graph, registry)
    for name, declared in manifest.inputs.items():
        actual = actual_inputs.get(name)
        if actual is None:
            problems.append(f"inputs.{name}: the graph has no input '{name}' (it has {_names(actual_inputs)})")
            continue
        problems += _typed_problems(f"inputs.{name}", declared.unit, declared.kind, actual.unit, actual.kind)
    for name in sorted(set(actual_inputs) - set(manifest.inputs)):
        problems.append(f"inputs: the graph's input '{name}' is missing; a site could not bind it")
    actual_outputs = graph_outputs(graph, registry)
    for name, declared in manifest.outputs.items():
        actual = actual_outputs.get(name)
        if actual is None:
            problems.append(f"outputs.{name}: the graph has no output '{name}' (it has {_names(actual_outputs)})")
            continue
        problems += _typed_problems(f"outputs.{name}", declared.unit, declared.kind, actual.unit, actual.kind)
    problems += _parameter_problems(manifest.parameters, graph, registry)
    problems += component_problems(manifest.requires_components, registry)
    return problems


def component_problems(required: Mapping[str, int], registry: ComponentRegistry) -> list[str]:
    """Components the app requires that are missing or older than required here."""
    problems = []
    for type_name, version in sorted(required.items()):
        cls = registry.get(type_name)
        if cls is None:
            problems.append(f"requires.components.{type_name}: this component is not installed")
        elif cls.version < version:
            problems.append(f"requires.components.{type_name}: version {version} is required, "
                            f"version {cls.version} is installed")
    return problems


def _typed_problems(where: str, unit: str, kind: str, actual_unit: str, actual_kind: str) -> list[str]:
    if kind != actual_kind:
        return [f"{where}: declared {kind}, but the graph's is {actual_kind}"]
    if kind == "boolean" or unit == actual_unit:
        return []
    try:
        conversion(actual_unit, unit)
    except UnitError as exc:
        return [f"{where}: declared in {unit or 'no unit'}, but the graph's is in {actual_unit or 'no unit'}: {exc}"]
    return []


def _parameter_problems(parameters: Mapping[str, AppParameter], graph: Graph,
                        registry: ComponentRegistry) -> list[str]:
    flat = flatten(graph, registry)
    problems = []
    for name, parameter in parameters.items():
        node = flat.nodes.get(parameter.node)
        cls = registry.get(node.type) if node else None
        declared = next((p for p in cls.params if p.name == parameter.param), None) if cls else None
        if node is None:
            problems.append(f"parameters.{name}: the graph has no node '{parameter.node}'")
        elif declared is None:
            problems.append(f"parameters.{name}: node '{parameter.node}' has no parameter '{parameter.param}'")
        elif declared.type not in ("float", "int") and (parameter.minimum is not None or parameter.maximum is not None):
            problems.append(f"parameters.{name}: '{parameter.param}' is a {declared.type}, it cannot have a range")
    return problems


def _names(items: Mapping[str, object]) -> str:
    return ", ".join(items) or "none"
