"""Where and how the console's Python kernel runs: private, in the project folder, tied to the workbench.

User code typed in the console runs in a separate kernel process (ipykernel, started through
jupyter_client), so a hang or a crash there never takes the workbench down. This module is
the headless half of the console (no Qt): :class:`ConsoleKernel` starts, interrupts, restarts
and stops the kernel; the Qt view (:mod:`workbench.ui.console_view`) talks to it.

What keeps the kernel private and from outliving the workbench:

* **A private folder.** The kernel's connection file holds the key that signs every message
  to it: anyone who reads it can run code as the user. It lives in a folder of its own, mode
  0700, under ``$XDG_RUNTIME_DIR`` when there is one (a per-user tmpfs), and is written 0600.
  On Unix the kernel listens on Unix sockets in that folder, not on TCP ports every local user
  could reach.
* **Our own kernel spec.** A user's ``python3`` kernel spec may name another interpreter that
  cannot import Millwright; the spec in the private folder always names this interpreter.
* **Death with its parent.** ipykernel polls its parent (``JPY_PARENT_PID``, which
  jupyter_client sets) and exits within a second of the workbench dying; on Linux the kernel
  also asks Linux for ``PR_SET_PDEATHSIG``, which ends it at once even when it is stuck in
  C code and its poller thread never runs. That signal follows the *thread* that started the
  kernel: :class:`ConsoleKernel` launches it from the caller's asyncio loop, the UI thread,
  which lives as long as the workbench.
* **A folder left by a killed workbench** is removed by the next console (:func:`remove_stale_folders`).
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import platform
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import IO, Any

from workbench.console_helpers import PROJECT_ENV

KERNEL_NAME = "millwright"
FOLDER_PREFIX = "millwright-console-"
# Run by the kernel before its first prompt: the helpers on the open project (see console_helpers).
PRELOAD = "from workbench.console_helpers import preload as _preload; _preload(get_ipython()); del _preload"
PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>
SOCKET_PATH_MAX = 104  # bytes in a Unix socket's path (sun_path: 108 on Linux, 104 on macOS, with its NUL)
OWNER_FILE = "workbench.pid"  # the pid of the workbench whose kernel the folder is for


def runtime_base() -> Path | None:
    """``$XDG_RUNTIME_DIR`` when it is a folder we may write (per user, 0700, cleared at log-out), else None."""
    base = os.environ.get("XDG_RUNTIME_DIR")
    if base and os.path.isdir(base) and os.access(base, os.W_OK | os.X_OK):
        return Path(base)
    return None  # tempfile's default folder; our own folder in it is 0700 all the same


class KernelFolder:
    """A private folder (0700) for one console kernel: its spec, connection file (0600) and log.

    :meth:`remove` deletes it. A folder left by a killed workbench holds nothing that still works
    (its kernel exited with its parent); the next console removes it (:func:`remove_stale_folders`).
    """

    def __init__(self, base: Path | None = None):
        base = base if base is not None else runtime_base()
        remove_stale_folders(base)
        self.path = Path(tempfile.mkdtemp(prefix=FOLDER_PREFIX, dir=base))
        os.chmod(self.path, 0o700)  # mkdtemp makes it so; said again in case of an odd umask or platform
        (self.path / OWNER_FILE).write_text(str(os.getpid()), encoding="utf-8")
        self.kernels = self.path / "kernels"
        self.connection_file = self.path / "connection.json"
        self.log_path = self.path / "kernel.log"
        self._write_spec()
        self._log: IO[bytes] | None = None

    def _write_spec(self) -> None:
        spec = {"argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}",
                         f"--IPKernelApp.exec_lines={PRELOAD}",
                         # the console shows our banner; IPython's own would add a random tip
                         f"--InteractiveShell.banner1=Python {platform.python_version()}, IPython\n",
                         "--InteractiveShell.enable_tip=False"],
                "display_name": "Millwright", "language": "python", "interrupt_mode": "signal",
                "metadata": {"debugger": False}}
        folder = self.kernels / KERNEL_NAME
        folder.mkdir(parents=True, mode=0o700)
        (folder / "kernel.json").write_text(json.dumps(spec, indent=1), encoding="utf-8")

    def spec_manager(self) -> Any:
        """A kernel spec manager that knows only our spec (never a user's ``python3`` elsewhere)."""
        from jupyter_client.kernelspec import KernelSpecManager

        return KernelSpecManager(kernel_dirs=[str(self.kernels)], ensure_native_kernel=False)

    def configure(self, manager: Any) -> None:
        """Point a jupyter_client ``KernelManager`` at this folder: our spec, our connection file, loopback."""
        manager.kernel_spec_manager = self.spec_manager()
        manager.kernel_name = KERNEL_NAME
        manager.connection_file = str(self.connection_file)
        sockets = str(self.path / "kernel")  # jupyter_client adds "-PORT" to name each socket
        if os.name == "posix" and len(sockets.encode()) + len("-65535") < SOCKET_PATH_MAX:
            # Unix sockets in this 0700 folder: no other user can even connect (TCP on 127.0.0.1 is
            # open to every local user, who would then need only the key).
            manager.transport = "ipc"
            manager.ip = sockets
        else:  # Windows, or a folder too deep for a socket's name: loopback TCP, still with the key
            manager.ip = "127.0.0.1"
        manager.shutdown_wait_time = 2.0  # the window waits this long at most for a clean exit, then kills

    def launch_options(self, project: Path | None) -> dict[str, Any]:
        """Keyword arguments for ``KernelManager.start_kernel``: folder, environment, output, parent link.

        The kernel starts in ``project`` (the home folder without one) and finds it again in
        ``MILLWRIGHT_PROJECT``; its output goes to ``kernel.log`` here, not to the workbench's terminal.
        """
        env = dict(os.environ)
        env[PROJECT_ENV] = str(project) if project is not None else ""
        env["PYDEVD_DISABLE_FILE_VALIDATION"] = "1"  # ipykernel's debugger warns of frozen modules otherwise
        if self._log is None:
            self._log = open(self.log_path, "ab")  # noqa: SIM115 - kept open: restarts launch with it again
        options: dict[str, Any] = {"cwd": str(project if project is not None else Path.home()), "env": env,
                                   "stdin": subprocess.DEVNULL, "stdout": self._log, "stderr": self._log}
        if sys.platform.startswith("linux"):
            options["preexec_fn"] = die_with_parent(os.getpid())
        return options

    def log_tail(self, lines: int = 20) -> str:
        """The end of what the kernel printed (why it failed to start, usually)."""
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def remove(self) -> None:
        """Close the log and delete the folder with the connection file."""
        if self._log is not None:
            with contextlib.suppress(OSError):
                self._log.close()
            self._log = None
        shutil.rmtree(self.path, ignore_errors=True)


def remove_stale_folders(base: Path | None) -> list[Path]:
    """Remove console folders of ours whose workbench has ended (killed: nobody removed them); returns them."""
    removed = []
    for folder in Path(base if base is not None else tempfile.gettempdir()).glob(f"{FOLDER_PREFIX}*"):
        try:
            if folder.stat().st_uid != os.getuid() or not folder.is_dir():
                continue
            owner = int((folder / OWNER_FILE).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue  # being made, or not ours to judge
        try:
            os.kill(owner, 0)
        except ProcessLookupError:
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder)
        except PermissionError:
            pass  # alive, another user's process
    return removed


def die_with_parent(parent_pid: int):
    """A ``preexec_fn`` that asks Linux to send the child SIGTERM when its parent ends.

    It runs in the forked child before ``exec``; the libc function is looked up here, in the
    parent, so that the child only makes the call. A parent that died before the call was made
    is caught by comparing the parent's pid (the child would otherwise live on).
    """
    prctl = ctypes.CDLL(None, use_errno=True).prctl
    terminate = int(signal.SIGTERM)

    def preexec() -> None:
        prctl(PR_SET_PDEATHSIG, terminate, 0, 0, 0)
        if os.getppid() != parent_pid:
            os._exit(1)

    return preexec


class ConsoleKernel:
    """One console kernel on one project: started, interrupted and restarted on the asyncio loop, stopped at once.

    jupyter_client's ``AsyncKernelManager`` does the work on the caller's loop (the workbench's
    qasync loop), so the kernel is launched from the UI thread, which lives as long as the
    workbench (what ``PR_SET_PDEATHSIG`` follows), and nothing waits on a helper thread.
    :meth:`shutdown` is synchronous on purpose: the window closes right after it, when no loop
    may be left to finish a coroutine.
    """

    def __init__(self, project: Path | None, folder_base: Path | None = None):
        from jupyter_client import AsyncKernelManager

        self.project = project
        self.folder = KernelFolder(folder_base)
        self.manager = AsyncKernelManager()
        self.folder.configure(self.manager)

    async def start(self) -> None:
        """Launch the kernel process; it is ready for code a second or two later (clients wait for it)."""
        await self.manager.start_kernel(**self.folder.launch_options(self.project))

    def connection_info(self) -> dict[str, Any]:
        """Ports, key and signature scheme, for a kernel client of any kind (threaded, Qt, blocking)."""
        return self.manager.get_connection_info(session=True)

    @property
    def pid(self) -> int | None:
        """The kernel process's id (None before start and after shutdown)."""
        provisioner = self.manager.provisioner
        return getattr(provisioner, "pid", None) if provisioner is not None and provisioner.has_process else None

    @property
    def exit_code(self) -> int | None:
        """The kernel process's exit code once it has ended by itself, else None."""
        provisioner = self.manager.provisioner
        process = getattr(provisioner, "process", None) if provisioner is not None else None
        return process.poll() if process is not None else None

    async def interrupt(self) -> None:
        """SIGINT to the kernel's process group: the running cell ends with KeyboardInterrupt."""
        await self.manager.interrupt_kernel()

    async def restart(self) -> None:
        """Kill the kernel and start a fresh one on the same ports: the variables are gone, the helpers back."""
        await self.manager.restart_kernel(now=True)

    def shutdown(self, wait: float = 2.0) -> None:
        """Ask the kernel to exit, kill it after ``wait`` seconds if it has not, and remove the private folder.

        Blocks for as long as the kernel takes to exit (a fraction of a second when idle; a
        kernel busy in C code gets the full ``wait``).
        """
        provisioner = self.manager.provisioner
        process = getattr(provisioner, "process", None) if provisioner is not None else None
        if process is not None and process.poll() is None:
            from jupyter_client import BlockingKernelClient

            client = BlockingKernelClient(**self.connection_info())
            client.start_channels(shell=False, iopub=False, stdin=False, hb=False, control=True)
            try:
                client.shutdown()
                try:
                    process.wait(timeout=wait)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait(timeout=5)
            finally:
                client.stop_channels()
            with contextlib.suppress(OSError):  # what user code started in the kernel's session goes too
                os.killpg(process.pid, signal.SIGTERM)
        with contextlib.suppress(Exception):  # sockets of a manager whose loop may be gone: best effort
            self.manager.cleanup_connection_file()
            self.manager.context.destroy(linger=0)
        self.manager.provisioner = None
        self.folder.remove()
