"""The node canvas: a Graphics View of a :class:`~nodes.graph.Graph`, edited through undo commands."""

from model_designer.canvas.view import COMPONENT_MIME
from model_designer.canvas.widget import GraphCanvas

__all__ = ["COMPONENT_MIME", "GraphCanvas"]
