"""Which device tag feeds each input of an open graph: the project's bindings, as the designer uses them.

A graph input (an ``io.input`` node) is named by its ``column``; the project's ``bindings.yaml``
binds that name (or, failing that, the node's id) to a tag. The graph never holds an address, so
the same graph runs on a recording, on live data, and packaged as an app bound on site.

An open graph's :class:`InputBindings` — the project's :class:`~device_browser.bindings.ProjectBindings`
and, when the workbench has them, its devices — is attached to the graph (:func:`attach`) by whoever
opens it for a project, so that the canvas (tag drops), the inspector ("Bound to") and the run bar
share one model. No Qt here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Protocol

from psygnal import SignalInstance

from device_browser.bindings import BINDINGS_FILE, ProjectBindings, check_name, feed_problem, new_name
from device_browser.tags import TagRef
from nodes.engine import INPUT_TYPE
from nodes.graph import Graph, Node


class Devices(Protocol):
    """What bindings need of the project's devices (a :class:`~device_browser.workspace.DeviceWorkspace`)."""

    devices_changed: SignalInstance

    @property
    def entries(self) -> list: ...

    def unit_of(self, ref: TagRef) -> str: ...


def bindings_path(graph_path: Path) -> Path:
    """The project's bindings file, for a graph in the project's ``graphs/`` folder."""
    return Path(graph_path).parent.parent / BINDINGS_FILE


class InputBindings:
    """The project's bindings and devices, for one graph's inputs."""

    def __init__(self, bindings: ProjectBindings, devices: Devices | None = None):
        self.bindings, self.devices = bindings, devices

    def connect(self, slot: Callable[[], object]) -> None:
        """Call ``slot()`` whenever the bindings or the project's devices change."""
        self.bindings.changed.connect(slot)
        if self.devices is not None:
            self.devices.devices_changed.connect(slot)

    def disconnect(self, slot: Callable[[], object]) -> None:
        self.bindings.changed.disconnect(slot)
        if self.devices is not None:
            self.devices.devices_changed.disconnect(slot)

    def resolved(self, ref: TagRef) -> TagRef:
        """``ref`` with its unit: its own, else its profile point's (when the devices are known)."""
        if ref.unit or self.devices is None:
            return ref
        return replace(ref, unit=self.devices.unit_of(ref))

    def has_device(self, device: str) -> bool | None:
        """Whether the project has a profile for ``device`` (None: its devices are not known here)."""
        if self.devices is None:
            return None
        return any(entry.id == device for entry in self.devices.entries)

    def tag_of(self, node: Node) -> tuple[str, TagRef | None]:
        """The input's binding name and its tag (bound by the column, or else by the node's id)."""
        name = input_name(node)
        ref = self.bindings.get(name)
        if ref is None and name != node.id and node.id in self.bindings:
            return node.id, self.bindings.get(node.id)
        return name, ref

    def bind(self, node: Node, ref: TagRef) -> None:
        """Bind the input to ``ref`` under its column (:class:`BindingError` if that cannot name a binding)."""
        self.bindings.bind(input_name(node), self.resolved(ref))

    def clear(self, node: Node) -> None:
        """Unbind the input (the binding its column, or else its id, names)."""
        name, ref = self.tag_of(node)
        if ref is not None:
            self.bindings.unbind(name)

    def follow_rename(self, old: str, new: str) -> None:
        """An input renamed from ``old`` to ``new`` keeps reading its tag.

        The binding is copied, not moved: undoing the rename then finds ``old`` still bound, and
        another graph of the project that reads ``old`` goes on working. A name already bound
        to a tag keeps that tag.
        """
        ref = self.bindings.get(old)
        if ref is not None and new not in self.bindings:
            check_name(new)
            self.bindings.bind(new, ref)

    def problem(self, node: Node) -> str | None:
        """Why the input's tag cannot feed it (units), or None."""
        name, ref = self.tag_of(node)
        return feed_problem(name, self.resolved(ref), str(node.params.get("unit", ""))) if ref else None


def input_name(node: Node) -> str:
    """What names an input in bindings and recordings: its column, else its id."""
    return str(node.params.get("column") or node.id)


def graph_inputs(graph: Graph) -> dict[str, Node]:
    """The graph's inputs by name (its own, not those inside groups)."""
    return {input_name(node): node for node in graph.nodes.values() if node.type == INPUT_TYPE}


def bound_inputs(inputs: Mapping[str, str], bindings: Mapping[str, TagRef]) -> dict[str, TagRef]:
    """Input name → tag, for inputs given as name → node id: bound by name, or else by node id."""
    bound = {}
    for name, node_id in inputs.items():
        ref = bindings.get(name) or bindings.get(node_id)
        if ref is not None:
            bound[name] = ref
    return bound


@dataclass(frozen=True)
class TagInput:
    """A dropped tag as a graph input: its name (and binding), and the input that already reads it, if any."""

    ref: TagRef
    name: str
    existing: str | None = None  # node id


def tag_inputs(graph: Graph, refs: Iterable[TagRef], inputs: InputBindings | None) -> list[TagInput]:
    """Name an input for each tag: the name the tag is bound under already, else a new one.

    A new name (the point's) is unique among the graph's inputs and the project's bindings; a
    tag that feeds an input of the graph already gives that input (``existing``) instead.
    """
    present = graph_inputs(graph)
    taken = set(present)
    chosen: dict[str, TagInput] = {}
    for ref in refs:
        if str(ref) in chosen:
            continue
        ref = inputs.resolved(ref) if inputs else ref
        bound = inputs.bindings.name_of(ref) if inputs else None
        if bound is not None:
            ref = inputs.resolved(inputs.bindings.get(bound))
            node = present.get(bound) or next((n for n in present.values() if n.id == bound), None)  # or by id
            chosen[str(ref)] = TagInput(ref, bound, node.id if node else None)
        else:
            chosen[str(ref)] = TagInput(ref, new_name(ref, taken | set(inputs.bindings if inputs else ())))
        taken.add(chosen[str(ref)].name)
    return list(chosen.values())

