"""Custom Python components: an app may only use what the offline runtime ships, checked without running them."""

from __future__ import annotations

import zipfile

import pytest

from app_packager.build import BuildError, build_app
from app_packager.errors import AppError
from app_packager.python_components import python_components
from tests.app_packager.test_build import APP, copy_example

# Declares a type the example graph uses (as a plug-in developed in the project would).
COMPONENT = '''"""A scale with the gain set on site."""
import math
from dataclasses import dataclass
{imports}

class SiteScale:
    type_name = "signal.scale"
'''


def write_component(folder, imports: str):
    folder.mkdir(exist_ok=True)
    path = folder / "site_scale.py"
    path.write_text(COMPONENT.format(imports=imports))
    return path


def test_imports_the_runtime_does_not_ship_are_named_with_file_and_line(tmp_path):
    write_component(tmp_path / "components", "import numpy as np\nfrom scipy import signal\nimport requests\n"
                                             "from nodes.chunk import Chunk\nfrom yaml.loader import SafeLoader\n"
                                             "from .helpers import gain\n")
    (component,) = python_components(tmp_path / "components")
    assert component.type_names == {"signal.scale"}
    problems = component.import_problems()
    assert len(problems) == 3
    assert problems[0].startswith("components/site_scale.py, line 6: imports 'requests', which the app runtime "
                                  "does not ship (it has the standard library and app_packager, device_browser, "
                                  "nodes, numpy, pandas, pint, scipy)")
    assert problems[1].startswith("components/site_scale.py, line 8: imports 'yaml.loader'")
    assert problems[2] == ("components/site_scale.py, line 9: a relative import (from .helpers); an app's "
                           "component must be one file")


def test_a_file_that_is_not_python_is_named(tmp_path):
    (tmp_path / "components").mkdir()
    (tmp_path / "components" / "broken.py").write_text("def x(:\n")
    with pytest.raises(AppError, match=r"components/broken\.py, line 1: not valid Python"):
        python_components(tmp_path / "components")


def test_a_used_component_with_a_foreign_import_blocks_the_build(tmp_path):
    project = copy_example(tmp_path / "pump_station")
    write_component(project / "components", "import requests")
    (project / "components" / "unused.py").write_text('import requests\nclass Other:\n    type_name = "other.thing"\n')
    with pytest.raises(BuildError) as caught:
        build_app(project)
    assert caught.value.problems == [
        "components/site_scale.py, line 4: imports 'requests', which the app runtime does not ship (it has the "
        "standard library and app_packager, device_browser, nodes, numpy, pandas, pint, scipy)"]
    assert str(caught.value).startswith(f"Cannot build {APP} (1 problem(s)):")


def test_a_used_component_with_runtime_imports_is_packed(tmp_path):
    project = copy_example(tmp_path / "pump_station")
    source = write_component(project / "components", "import numpy as np")
    result = build_app(project)
    assert "components/site_scale.py" in result.entries
    with zipfile.ZipFile(result.path) as archive:
        assert archive.read("components/site_scale.py") == source.read_bytes()
