"""The drag-and-drop and clipboard form of tags: ``application/x-millwright-tag``.

The payload is UTF-8 JSON, a list of :meth:`TagRef.to_data <device_browser.tags.TagRef.to_data>`
dicts, so that any view can drag tags to any other (device tree → watch list, watch list →
canvas) without knowing it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from qtpy.QtCore import QByteArray, QMimeData

from device_browser.tags import BindingError, TagRef

TAG_MIME = "application/x-millwright-tag"


def encode_tags(refs: Iterable[TagRef]) -> bytes:
    return json.dumps([ref.to_data() for ref in refs], ensure_ascii=False).encode()


def decode_tags(payload: bytes) -> list[TagRef]:
    """The tags of a payload; raises :class:`BindingError` if it is not a list of tag references."""
    try:
        data = json.loads(bytes(payload).decode())
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BindingError(f"The dropped data is not a list of tags: {exc}") from None
    if not isinstance(data, list) or not all(isinstance(entry, dict) for entry in data):
        raise BindingError("The dropped data is not a list of tags")
    return [TagRef.from_data(entry) for entry in data]


def tags_mime_data(refs: Iterable[TagRef], text: str | None = None) -> QMimeData:
    """MIME data carrying ``refs`` (and ``text``, or the tags' text form, as plain text)."""
    refs = list(refs)
    mime = QMimeData()
    mime.setData(TAG_MIME, QByteArray(encode_tags(refs)))
    mime.setText(text if text is not None else "\n".join(map(str, refs)))
    return mime


def tags_from_mime(mime: QMimeData) -> list[TagRef]:
    """The tags in ``mime`` (empty if it carries none or they cannot be read)."""
    if not mime.hasFormat(TAG_MIME):
        return []
    try:
        return decode_tags(mime.data(TAG_MIME).data())
    except BindingError:
        return []
