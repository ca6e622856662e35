"""The console's kernel without Qt: its private folder, its spec, code in the project folder, shutdown."""

from __future__ import annotations

import asyncio
import json
import os
import sys
import tempfile
from pathlib import Path

import psutil
import pytest
from jupyter_client.asynchronous import AsyncKernelClient

from nodes.resources import example_project
from workbench.console_kernel import OWNER_FILE, ConsoleKernel, KernelFolder, remove_stale_folders

KERNEL_START = 60


def test_the_folder_is_private_and_names_this_interpreter(tmp_path):
    folder = KernelFolder(tmp_path)
    try:
        assert folder.path.parent == tmp_path
        assert folder.path.stat().st_mode & 0o777 == 0o700
        spec = json.loads((folder.kernels / "millwright" / "kernel.json").read_text())
        assert spec["argv"][0] == sys.executable  # never a user's own python3 kernel spec
        assert any("console_helpers" in arg for arg in spec["argv"])
        assert folder.spec_manager().find_kernel_specs() == {"millwright": str(folder.kernels / "millwright")}
        options = folder.launch_options(example_project())
        assert options["cwd"] == str(example_project())
        assert options["env"]["MILLWRIGHT_PROJECT"] == str(example_project())
        assert callable(options["preexec_fn"]) == sys.platform.startswith("linux")
    finally:
        folder.remove()
    assert not folder.path.exists()


def test_the_kernel_listens_on_sockets_in_its_folder_where_the_path_allows(tmp_path):
    from jupyter_client import AsyncKernelManager

    short, deep = Path(tempfile.mkdtemp(dir="/tmp")), tmp_path / ("d" * 80)
    deep.mkdir()
    for base, transport in ((short, "ipc"), (deep, "tcp")):
        folder, manager = KernelFolder(base), AsyncKernelManager()
        folder.configure(manager)
        assert manager.transport == transport
        assert manager.ip == (str(folder.path / "kernel") if transport == "ipc" else "127.0.0.1")
        folder.remove()
    short.rmdir()


def test_folders_of_ended_workbenches_are_removed(tmp_path):
    mine = KernelFolder(tmp_path)
    ended = KernelFolder(tmp_path)
    process = psutil.Popen([sys.executable, "-c", "pass"])
    process.wait()
    (ended.path / OWNER_FILE).write_text(str(process.pid))  # a workbench that was killed
    being_made = tmp_path / "millwright-console-new"
    being_made.mkdir()  # no owner file yet: left alone
    assert remove_stale_folders(tmp_path) == [ended.path]
    assert mine.path.exists() and being_made.exists() and not ended.path.exists()
    mine.remove()


async def _run(client: AsyncKernelClient, code: str) -> dict:
    reply = await client.execute_interactive(code, timeout=30, output_hook=lambda _msg: None,
                                             user_expressions={"result": "_result"})
    return reply["content"]


def test_code_runs_in_the_project_folder_and_shutdown_ends_a_busy_kernel(tmp_path):
    async def scenario() -> tuple[int, dict]:
        kernel = ConsoleKernel(example_project(), folder_base=tmp_path)
        await kernel.start()
        client = AsyncKernelClient(**kernel.connection_info())
        client.start_channels()
        try:
            await client.wait_for_ready(timeout=KERNEL_START)
            content = await _run(client, "import os; _result = (os.getcwd(), len(recording('pump_run')), "
                                         "type(project).__name__)")
            client.execute("import time; time.sleep(600)")  # busy when the window closes
            await asyncio.sleep(0.5)
        finally:
            client.stop_channels()
        pid = kernel.pid
        kernel.shutdown()
        assert kernel.pid is None and not kernel.folder.path.exists()
        return pid, content

    loop = asyncio.new_event_loop()  # not asyncio.run: it would unset the GUI tests' session loop
    try:
        pid, content = loop.run_until_complete(scenario())
    finally:
        loop.close()
    assert content["status"] == "ok"
    shown = content["user_expressions"]["result"]["data"]["text/plain"]
    assert shown == repr((str(example_project()), 40000, "ProjectData"))
    with pytest.raises(psutil.NoSuchProcess):
        psutil.Process(pid).status()


def test_without_a_project_the_kernel_starts_in_the_home_folder(tmp_path):
    folder = KernelFolder(tmp_path)
    try:
        options = folder.launch_options(None)
        assert options["cwd"] == str(os.path.expanduser("~"))
        assert options["env"]["MILLWRIGHT_PROJECT"] == ""
    finally:
        folder.remove()
