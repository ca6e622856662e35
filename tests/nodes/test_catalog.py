"""The palette's catalogue: entries from declarations, docstring parts, grouping and ranked search."""

from __future__ import annotations

import pytest

from model_designer.catalog import Catalog, category_title, entry_of, parse_docstring
from nodes.component import Component, Port, Text
from nodes.registry import ComponentRegistry, default_registry


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return Catalog(default_registry())


def names(entries) -> list[str]:
    return [e.type_name for e in entries]


def test_search_by_english_title_chinese_title_and_type_name(catalog):
    assert names(catalog.search("Moving median"))[0] == "signal.median"
    assert names(catalog.search("滑动中值", "zh_CN")) == ["signal.median"]
    assert names(catalog.search("signal.bandpass")) == ["signal.bandpass"]
    assert names(catalog.search("中值")) == ["signal.median"]  # a Chinese substring, no pinyin
    assert catalog.search("  ") == []
    assert catalog.search("no such thing") == []


def test_search_ranks_exact_then_prefix_then_substring(catalog):
    # "rms": exact short name of vibration.rms; "RMS" is inside iso_severity's description only.
    assert names(catalog.search("rms"))[0] == "vibration.rms"
    assert "vibration.iso_severity" in names(catalog.search("rms"))
    ranked = names(catalog.search("moving"))
    assert ranked[0] == "signal.moving_average"  # prefix of type name and title
    low = names(catalog.search("pass"))  # substring of three filter titles, prefix of none
    assert set(low[:3]) == {"signal.bandpass", "signal.highpass", "signal.lowpass"}
    prefix_first = names(catalog.search("low"))
    assert prefix_first[0] == "signal.lowpass"  # prefix "Low-pass…" before "…below…" in descriptions


def test_search_by_words_in_the_description_and_category(catalog):
    assert "signal.bandpass" in names(catalog.search("butterworth band"))
    assert set(names(catalog.search("振动分析"))) == {e.type_name for e in catalog.entries
                                                     if e.category == "vibration"}


def test_grouped_by_category_in_library_order_with_titles(catalog):
    categories = catalog.categories()
    assert [c.name for c in categories] == ["io", "signal", "logic", "vibration", "process", "quality", "maintenance"]
    assert sum(len(c.entries) for c in categories) == len(default_registry())
    vibration = next(c for c in categories if c.name == "vibration")
    assert vibration.title.get("zh_CN") == "振动分析"
    assert all(e.category == "vibration" for e in vibration.entries)
    assert category_title("plugin_extras") == Text("Plugin extras")


def test_entry_carries_ports_params_formula_and_reference(catalog):
    weibull = catalog.get("maintenance.weibull")
    assert weibull.title.zh == "威布尔可靠性分析"
    assert "R(t) = exp(−(t/η)^β)" in weibull.formula  # from the docstring's literal block
    assert weibull.reference.startswith("R. B. Abernethy")
    assert [p.name for p in weibull.params] == ["mission_time", "minimum_failures"]
    assert catalog.get("signal.scale").formula == "y = gain · x + offset"  # inline, in the summary
    assert "ω₀ = sqrt(ω_low·ω_high)" in catalog.get("signal.bandpass").formula.splitlines()
    assert all(e.formula and e.reference for e in catalog.entries), "every library docstring states both"


def test_docstring_blocks_and_sections():
    doc = parse_docstring('''Sum of two signals.

        Adds them::

            y = a + b

        * first point,
          continued
        * second point

        References
        ----------
        A. Author, *Book*, 2001.

        Examples
        --------
        >>> 1 + 1
        2
        ''')
    assert doc.summary == "Sum of two signals."
    assert [(b.kind, b.text) for b in doc.body] == [("paragraph", "Adds them:"), ("literal", "y = a + b"),
                                                     ("bullet", "first point, continued"), ("bullet", "second point")]
    assert doc.formula == "y = a + b"
    assert doc.reference == "A. Author, *Book*, 2001."
    assert doc.sections["Examples"][0].kind == "literal"


def test_a_plug_in_component_gets_an_entry_in_its_own_category():
    class Doubler(Component):
        """Doubles: ``y = 2 · x``.

        References
        ----------
        Nobody, 2026.
        """

        type_name = "acme.doubler"
        category = "acme_tools"
        title = Text("Doubler", "加倍")
        inputs = (Port("x"),)
        outputs = (Port("y", unit="=x"),)

    registry = ComponentRegistry()
    registry.register(Doubler, origin="plug-in acme")
    catalog = Catalog(registry)
    assert [c.title.en for c in catalog.categories()] == ["Acme tools"]
    assert names(catalog.search("加倍")) == ["acme.doubler"]
    assert entry_of(Doubler, "plug-in acme").origin == "plug-in acme"
    assert catalog.get("acme.doubler").formula == "y = 2 · x"
