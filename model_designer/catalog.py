"""The palette's catalogue: every installed component as an entry, grouped and searchable.

Pure Python (no Qt), derived from the component declarations and their numpydoc docstrings,
so the palette, the quick-add box and the inspector show the same titles, formula and
reference. Search matches type names, titles in English and Chinese (plain substrings, no
pinyin) and descriptions, ranked exact > prefix > substring.
"""

from __future__ import annotations

import inspect
import re
from dataclasses import dataclass, field

from nodes.component import Component, Param, Port, Text
from nodes.library import GROUPS
from nodes.registry import ComponentRegistry

COMPONENT_MIME_TYPE = "application/x-millwright-component"

CATEGORY_TITLES = {
    "io": Text("Inputs and outputs", "输入与输出"),
    "signal": Text("Signal processing", "信号处理"),
    "logic": Text("Logic", "逻辑"),
    "vibration": Text("Vibration", "振动分析"),
    "process": Text("Process", "工艺过程"),
    "quality": Text("Quality (SPC)", "质量（SPC）"),
    "maintenance": Text("Maintenance", "维护"),
    "project": Text("Project", "项目"),  # the project's own components (nodes.project_components)
}

# Match ranks, best first; a description match ranks below any title or type-name match.
EXACT, PREFIX, SUBSTRING, DESCRIPTION = range(4)


@dataclass(frozen=True)
class DocBlock:
    """One block of a docstring: ``paragraph``, ``literal`` (formulas, doctests), ``bullet`` or ``table``."""

    kind: str
    text: str


@dataclass(frozen=True)
class ComponentDoc:
    """A component docstring split the numpydoc way."""

    summary: str
    body: tuple[DocBlock, ...]
    sections: dict[str, tuple[DocBlock, ...]]
    formula: str

    @property
    def description(self) -> str:
        """The summary and the body's paragraphs as plain text."""
        parts = [self.summary] + [b.text for b in self.body if b.kind in ("paragraph", "bullet")]
        return "\n\n".join(p for p in parts if p)

    @property
    def reference(self) -> str:
        return "\n".join(b.text for b in self.sections.get("References", ()))


@dataclass(frozen=True)
class CatalogEntry:
    """What the palette and the inspector show of one component type."""

    type_name: str
    category: str
    title: Text
    description: Text
    doc: ComponentDoc
    inputs: tuple[Port, ...]
    outputs: tuple[Port, ...]
    params: tuple[Param, ...]
    origin: str

    @property
    def formula(self) -> str:
        return self.doc.formula

    @property
    def reference(self) -> str:
        return self.doc.reference


@dataclass(frozen=True)
class Category:
    name: str
    title: Text
    entries: tuple[CatalogEntry, ...] = field(default=())


class Catalog:
    """The components of a registry as entries, grouped by category (library order, then plug-ins')."""

    def __init__(self, registry: ComponentRegistry):
        self.entries = [entry_of(cls, registry.origin(cls.type_name)) for cls in registry]
        self._by_type = {e.type_name: e for e in self.entries}

    def get(self, type_name: str) -> CatalogEntry | None:
        return self._by_type.get(type_name)

    def categories(self) -> list[Category]:
        names = sorted({e.category for e in self.entries}, key=_category_order)
        return [Category(name, category_title(name), tuple(e for e in self.entries if e.category == name))
                for name in names]

    def search(self, text: str, language: str = "en") -> list[CatalogEntry]:
        """Entries matching ``text``, best first: exact, then prefix, then substring, then description."""
        query = text.strip().casefold()
        if not query:
            return []
        ranked = [(rank, entry) for entry in self.entries if (rank := match_rank(entry, query)) is not None]
        ranked.sort(key=lambda pair: (pair[0], pair[1].title.get(language).casefold()))
        return [entry for _, entry in ranked]


def category_title(name: str) -> Text:
    """A human title for a category; a plug-in's own category gets its name, tidied."""
    return CATEGORY_TITLES.get(name) or Text(name.replace("_", " ").capitalize())


def _category_order(name: str) -> tuple[int, str]:
    return (GROUPS.index(name) if name in GROUPS else len(GROUPS), name)


def match_rank(entry: CatalogEntry, query: str) -> int | None:
    """How well ``query`` (case-folded) names ``entry``; None when it does not match at all."""
    short = entry.type_name.rpartition(".")[2]
    names = [entry.type_name, short, entry.title.en, entry.title.zh]
    names = [n.casefold() for n in names if n]
    if query in names:
        return EXACT
    if any(n.startswith(query) for n in names):
        return PREFIX
    if any(query in n for n in names):
        return SUBSTRING
    words = query.split()
    category = category_title(entry.category)
    haystack = " ".join([*names, entry.description.en, entry.description.zh, category.en, category.zh]).casefold()
    if all(word in haystack for word in words):
        return DESCRIPTION
    return None


def entry_of(cls: type[Component], origin: str = "built-in") -> CatalogEntry:
    doc = parse_docstring(cls.__doc__ or "")
    return CatalogEntry(cls.type_name, cls.category, cls.title, Text(doc.summary), doc, cls.inputs, cls.outputs,
                        cls.params, origin)


# -- numpydoc docstrings --------------------------------------------------------------------------

_HEADER_RULE = re.compile(r"^-{3,}\s*$")
_INLINE_CODE = re.compile(r"``(.+?)``")
_FORMULA_SIGNS = ("=", "≥", "≤")


def parse_docstring(docstring: str) -> ComponentDoc:
    """Split a docstring into summary, body blocks and named sections, and pick out its formula.

    The formula is the docstring's literal blocks (``::``); without one, the inline code spans
    holding an equation in the summary and the first paragraph (``y = gain · x + offset``).
    """
    lines = inspect.cleandoc(docstring).splitlines()
    summary_end = next((i for i, line in enumerate(lines) if not line.strip()), len(lines))
    summary = " ".join(line.strip() for line in lines[:summary_end])
    sections: dict[str, tuple[DocBlock, ...]] = {}
    name, start = "", summary_end
    for i in range(summary_end, len(lines)):
        if i + 1 < len(lines) and _HEADER_RULE.match(lines[i + 1]) and lines[i].strip():
            sections[name] = _blocks(lines[start:i])
            name, start = lines[i].strip(), i + 2
    sections[name] = _blocks(lines[start:])
    body = sections.pop("")
    return ComponentDoc(summary, body, sections, _formula(summary, body))


def _formula(summary: str, body: tuple[DocBlock, ...]) -> str:
    literal = [b.text for b in body if b.kind == "literal"]
    if literal:
        return "\n".join(literal)
    first = next((b.text for b in body if b.kind == "paragraph"), "")
    spans = _INLINE_CODE.findall(summary) + _INLINE_CODE.findall(first)
    return "\n".join(s for s in spans if any(sign in s for sign in _FORMULA_SIGNS))


def _blocks(lines: list[str]) -> tuple[DocBlock, ...]:
    """Paragraphs, ``::`` literal blocks, doctests, bullet items and simple tables."""
    blocks: list[DocBlock] = []
    i, literal_next = 0, False
    while i < len(lines):
        line = lines[i]
        if not line.strip():
            i += 1
            continue
        if literal_next and line.startswith(" "):
            end = _end(lines, i, lambda s: not s.strip() or s.startswith(" "))
            blocks.append(DocBlock("literal", inspect.cleandoc("\n".join(lines[i:end]))))
            i, literal_next = end, False
            continue
        literal_next = False
        stripped = line.strip()
        if stripped.startswith(">>>") or stripped.startswith("==="):
            end = _end(lines, i, lambda s: bool(s.strip()))
            kind = "literal" if stripped.startswith(">>>") else "table"
            blocks.append(DocBlock(kind, "\n".join(s.rstrip() for s in lines[i:end])))
        elif stripped.startswith(("* ", "- ")):
            end = _end(lines, i + 1, lambda s: s.startswith("  ") and bool(s.strip()))
            blocks.append(DocBlock("bullet", _joined([stripped[2:], *lines[i + 1:end]])))
        else:
            end = _end(lines, i + 1, lambda s: bool(s.strip()) and not s.strip().startswith(("* ", "- ")))
            text = _joined(lines[i:end])
            if text.endswith("::"):
                literal_next = True
                text = text[:-2].rstrip() + (":" if not text.endswith(" ::") else "")
            if text:
                blocks.append(DocBlock("paragraph", text))
        i = end
    return tuple(blocks)


def _end(lines: list[str], start: int, belongs) -> int:
    end = start
    while end < len(lines) and belongs(lines[end]):
        end += 1
    return end


def _joined(lines: list[str]) -> str:
    return " ".join(line.strip() for line in lines)
