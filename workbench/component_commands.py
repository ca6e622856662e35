"""``millwright component new NAME``: a script component to start from, with its golden-data test.

It writes three files into the project, each whole or not at all, and refuses to overwrite:

* ``components/NAME.py`` — the component: a numpydoc docstring (formula, References, Example),
  the declaration (ports with units, parameters with ranges, English and Chinese titles), state
  carried across chunks and one vectorised ``process``;
* ``tests/golden/NAME.csv`` — golden data: inputs and the outputs expected of them;
* ``tests/test_NAME.py`` — a pytest test that loads the component exactly as the workbench does
  (:func:`nodes.script_components.load_script`), runs it on the golden data in one chunk and in
  several, and compares. ``pytest tests/`` in the project runs it.

The example mechanism is a first-order low-pass filter (an exponential moving average): small
enough to replace, and it shows the one thing a component must get right, state across chunks.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from nodes.atomic_file import atomic_write_text

PROJECT_FILE = "project.json"
TESTS_FOLDER = "tests"
GOLDEN_FOLDER = "golden"

COMPONENT_TEMPLATE = '''"""Script component {type_name} of this project (made by 'millwright component new {name}')."""

from __future__ import annotations

import numpy as np

from nodes.chunk import Chunk
from nodes.component import Component, Kind, Param, Port, Text


class {class_name}(Component):
    """{title}: a first-order low-pass filter (exponential moving average) of a signal.

    Replace this mechanism with your own and keep the sections: the inspector and
    ``millwright components show {type_name}`` display them. Each output sample moves a
    fraction ``alpha`` of the way from the previous output to the input:

        y[n] = alpha * x[n] + (1 - alpha) * y[n-1],    y[-1] = x[0]

    With samples every ``dt`` seconds, ``alpha = 1 - exp(-dt / tau)`` gives a time constant ``tau``.

    Parameters
    ----------
    alpha : float
        Smoothing factor in (0, 1]; 1 passes the input through.

    Returns
    -------
    y : signal
        The smoothed signal, in the unit of the input.

    References
    ----------
    Oppenheim, A. V., Schafer, R. W., *Discrete-Time Signal Processing*, 3rd ed., Pearson, 2010,
    sec. 6.1 (first-order recursive systems).

    Examples
    --------
    With alpha = 0.5, a step from 0 to 1 gives 0, 0.5, 0.75, 0.875, … (tests/golden/{name}.csv).
    """

    type_name = "{type_name}"
    version = 1
    category = "{group}"
    title = Text("{title}", "{title}")
    inputs = (Port("x", Kind.SIGNAL, "*", Text("Input", "输入"), Text("The signal to smooth", "待平滑的信号")),)
    outputs = (Port("y", Kind.SIGNAL, "=x", Text("Smoothed", "平滑值"),
                    Text("The input smoothed, in its unit", "平滑后的信号，单位同输入")),)
    params = (Param("alpha", "float", 0.5, minimum=1e-6, maximum=1.0, title=Text("Smoothing factor", "平滑系数"),
                    description=Text("Fraction of the way to the input per sample", "每个采样向输入靠近的比例")),)

    def init_state(self) -> dict:
        # The filter's memory (the last output): any chunking of the input gives the same result.
        return {{"zi": None}}

    def process(self, inputs: dict[str, Chunk], state: dict) -> dict[str, Chunk]:
        from scipy.signal import lfilter  # where it is used: loading the file (and an app's runtime) stays light

        x = inputs["x"]
        if not len(x):
            return {{"y": x}}
        alpha = self.p["alpha"]
        values = np.asarray(x.v, dtype=np.float64)
        if state["zi"] is None:  # start at the first value rather than at zero
            state["zi"] = np.array([(1.0 - alpha) * values[0]])
        y, state["zi"] = lfilter([alpha], [1.0, alpha - 1.0], values, zi=state["zi"])
        return {{"y": x.with_values(y)}}
'''

GOLDEN_TEMPLATE = """x,y
0.0,0.0
1.0,0.5
1.0,0.75
1.0,0.875
1.0,0.9375
1.0,0.96875
3.0,1.984375
3.0,2.4921875
"""

TEST_TEMPLATE = '''"""Golden-data test of the script component components/{name}.py (run with: pytest tests/)."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from nodes.chunk import Chunk
from nodes.script_components import load_script

PROJECT = Path(__file__).resolve().parent.parent
SOURCE = PROJECT / "{components}" / "{name}.py"
GOLDEN = Path(__file__).resolve().parent / "{golden}" / "{name}.csv"


def component_class():
    """The component as the workbench loads it: the file imported by Millwright's script loader."""
    loaded = load_script("{components}/{name}.py", SOURCE.read_text(encoding="utf-8"), SOURCE)
    assert loaded.failure is None, f"{{loaded.failure}}\\n{{loaded.failure.traceback}}"
    (cls,) = [c for c in loaded.classes if c.type_name == "{type_name}"]
    return cls


def golden():
    with GOLDEN.open(newline="", encoding="utf-8") as file:
        rows = list(csv.DictReader(file))
    return np.array([float(r["x"]) for r in rows]), np.array([float(r["y"]) for r in rows])


def run(component, x: np.ndarray, chunk_size: int) -> np.ndarray:
    """Push ``x`` (one sample per second) through ``component`` in chunks of ``chunk_size``."""
    t = np.arange(len(x), dtype=np.int64) * 1_000_000_000
    state = component.init_state()
    parts = []
    for start in range(0, len(x), chunk_size):
        chunk = Chunk.of(t[start:start + chunk_size], x[start:start + chunk_size])
        parts.append(component.process({{"x": chunk}}, state)["y"].v)
    return np.concatenate(parts)


@pytest.mark.parametrize("chunk_size", [1, 3, 1000])
def test_outputs_match_the_golden_data_in_any_chunking(chunk_size):
    x, expected = golden()
    component = component_class()({{"alpha": 0.5}})
    np.testing.assert_allclose(run(component, x, chunk_size), expected, rtol=1e-12, atol=1e-12)


def test_the_declaration_is_complete():
    from nodes.registry import declaration_problem

    assert declaration_problem(component_class()) is None
'''


class ScaffoldError(ValueError):
    """A component that cannot be scaffolded; the message says why."""


def add_commands(commands: argparse._SubParsersAction) -> None:
    component = commands.add_parser("component", help="create script components of a project",
                                     description="Create a project's script components (Python in components/).")
    actions = component.add_subparsers(dest="action", metavar="ACTION", required=True)
    new = actions.add_parser("new", help="write components/NAME.py with its docstring, declaration and a "
                                         "golden-data test",
                             description="Write components/NAME.py (docstring with formula and references, "
                                         "declaration, vectorised process) and tests/test_NAME.py with golden data "
                                         "in tests/golden/NAME.csv; run the test with 'pytest tests/' in the project.")
    # The engine's modules load when the command runs: every millwright command parses these arguments.
    new.add_argument("name", metavar="NAME", help="lower-case name: a-z, 0-9 and _ (the file and the type "
                                                  "'project.NAME')")
    # SUPPRESS: `millwright -p DIR component new x` keeps the folder given before the command.
    new.add_argument("--project", type=Path, metavar="DIR", default=argparse.SUPPRESS,
                     help="project folder (default: the current folder)")
    new.set_defaults(handler=new_component)


def new_component(args: argparse.Namespace) -> int:
    from nodes.project_components import PROJECT_GROUP

    project = getattr(args, "project", None) or Path.cwd()
    try:
        written = scaffold_component(project, args.name)
    except ScaffoldError as exc:
        print(f"millwright: {exc}", file=sys.stderr)
        return 1
    for path in written:
        print(f"wrote {path}")
    print(f"The component '{PROJECT_GROUP}.{args.name}' appears in the palette once the project is trusted. "
          f"Test it with: cd {project} && pytest {TESTS_FOLDER}/")
    return 0


def scaffold_component(project: Path, name: str) -> list[Path]:
    """Write the component ``name``, its golden data and its test into ``project``; the files written.

    :class:`ScaffoldError` when ``project`` is not a project folder, the name is not usable or one of
    the files exists already (nothing is written then).
    """
    from nodes.project_components import COMPONENTS_FOLDER, PROJECT_GROUP, name_problem

    project = Path(project)
    if not (project / PROJECT_FILE).is_file():
        raise ScaffoldError(f"{project} is not a Millwright project folder (it has no {PROJECT_FILE}); "
                            "give one with --project DIR")
    problem = name_problem(name)
    if problem:
        raise ScaffoldError(problem[:1].upper() + problem[1:])
    type_name = f"{PROJECT_GROUP}.{name}"
    files = {
        project / COMPONENTS_FOLDER / f"{name}.py": COMPONENT_TEMPLATE.format(
            name=name, type_name=type_name, group=PROJECT_GROUP, class_name=_class_name(name),
            title=name.replace("_", " ").capitalize()),
        project / TESTS_FOLDER / GOLDEN_FOLDER / f"{name}.csv": GOLDEN_TEMPLATE,
        project / TESTS_FOLDER / f"test_{name}.py": TEST_TEMPLATE.format(
            name=name, type_name=type_name, components=COMPONENTS_FOLDER, golden=GOLDEN_FOLDER),
    }
    existing = [path for path in files if path.exists()]
    if existing:
        raise ScaffoldError(f"{_shown(project, existing[0])} exists already; choose another name or remove it")
    if (project / COMPONENTS_FOLDER / f"{name}.json").exists():
        raise ScaffoldError(f"{COMPONENTS_FOLDER}/{name}.json already defines the component '{type_name}'")
    for path, text in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_text(path, text)
    return list(files)


def _class_name(name: str) -> str:
    return "".join(part.capitalize() for part in name.split("_") if part) or "Component"


def _shown(project: Path, path: Path) -> str:
    return path.relative_to(project).as_posix()
