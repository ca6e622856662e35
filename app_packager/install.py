"""Install an app on a site: verified, its inputs bound to the site's tags, unpacked where the runtime finds it.

Layout, under a site folder (or ``PROJECT/apps/installed`` when the folder is a project)::

    ID/VERSION/app.yaml, graph.json, …, RECORD, RECORD.sig    the archive's entries, as verified
    ID/VERSION/bindings.yaml                                  the site's bindings: the one file RECORD
                                                              does not list

The archive is verified first (:func:`app_packager.verify.verify_app`: structure, signature,
RECORD, manifest, graph); then the site's bindings are checked against the manifest's typed
inputs — every input bound, no name that is not an input, each tag's unit convertible to its
input's. Only then is anything written: into a new folder beside the target, renamed into place
when complete, so a failed install leaves nothing behind and a runtime never sees half an app.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from app_packager.errors import AppError
from app_packager.manifest import AppManifest
from app_packager.signing import PROJECT_FILE
from app_packager.verify import verify_app
from device_browser.bindings import feed_problem
from device_browser.session import DeviceError
from device_browser.tags import TagRef, parse_bindings
from device_browser.yaml_source import YamlSource, read_source

INSTALLED_FOLDER = Path("apps") / "installed"
BINDINGS_NAME = "bindings.yaml"
_PARTIAL = ".~millwright-install-"


@dataclass(frozen=True)
class InstalledApp:
    path: Path  # TARGET/ID/VERSION
    manifest: AppManifest
    publisher: str | None  # the fingerprint of the key that signed it; None when installed unsigned


def install_root(folder: Path) -> Path:
    """Where apps go in ``folder``: ``apps/installed`` of a project, else the (site) folder itself."""
    folder = Path(folder)
    return folder / INSTALLED_FOLDER if (folder / PROJECT_FILE).is_file() else folder


def install_app(archive: Path, target_folder: Path, bindings_file: Path, *,
                trusted: Mapping[str, Ed25519PublicKey] | None = None, allow_unsigned: bool = False) -> InstalledApp:
    """Verify ``archive``, check ``bindings_file`` against its inputs, and unpack both under ``target_folder``.

    ``trusted`` maps fingerprints to accepted publisher keys (default: the trust store). Raises
    :class:`AppError` naming the archive entry or the bindings file's line; nothing is written then.
    """
    report = verify_app(archive, trusted=trusted, allow_unsigned=allow_unsigned)
    manifest = report.manifest
    bindings_file = Path(bindings_file)
    text = read_source(bindings_file, AppError)
    problems = binding_problems(manifest, text, bindings_file)
    if problems:
        raise AppError(f"{bindings_file}: {manifest.id} {manifest.version} cannot run on these bindings:\n  "
                       + "\n  ".join(problems))
    if BINDINGS_NAME in report.entries:
        raise AppError(f"{Path(archive).name}: carries a {BINDINGS_NAME} of its own; a site's bindings are given "
                       "at install, never shipped in an app")
    destination = install_root(target_folder) / manifest.id / manifest.version
    if destination.exists():
        raise AppError(f"{manifest.id} {manifest.version} is already installed in {destination}; remove that "
                       "folder to install it again")
    unpack({**report.entries, BINDINGS_NAME: text.encode("utf-8")}, destination)
    return InstalledApp(destination, manifest, report.publisher)


def binding_problems(manifest: AppManifest, text: str, source: Path | str) -> list[str]:
    """What keeps the bindings YAML ``text`` from feeding ``manifest``'s inputs, each with its line."""
    try:
        bindings: dict[str, TagRef] = parse_bindings(text, source)
    except DeviceError as exc:
        return [str(exc)]
    document = YamlSource(text, source, AppError)
    inputs = ", ".join(manifest.inputs) or "none"
    problems = [f"input '{name}' is not bound to a tag (the app reads {inputs})"
                for name in manifest.inputs if name not in bindings]
    for name, ref in bindings.items():
        declared = manifest.inputs.get(name)
        if declared is None:
            problems.append(f"{document.where(['bindings', name])}: '{name}' is not an input of the app "
                            f"(its inputs: {inputs})")
        elif problem := feed_problem(name, ref, declared.unit):
            problems.append(f"{document.where(['bindings', name, 'unit'])}: {problem}")
    return problems


def unpack(files: Mapping[str, bytes], destination: Path) -> None:
    """Write ``files`` into a new folder beside ``destination`` and rename it into place; on failure, no trace."""
    created = _missing_ancestors(destination.parent)
    partial = destination.parent / f"{_PARTIAL}{secrets.token_hex(6)}"
    try:
        destination.parent.mkdir(parents=True, exist_ok=True)
        os.mkdir(partial)  # mode 0777 less the umask, kept by the rename (mkdtemp's 0700 would hide the app)
        root = partial.resolve()
        for name, data in files.items():
            path = partial / name
            if not path.resolve().is_relative_to(root):  # verify refused such names; never trust one check alone
                raise AppError(f"{destination.name}: entry {name!r} would be written outside the app's folder")
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        os.rename(partial, destination)
    except OSError as exc:
        _remove(partial, created)
        raise AppError(f"{destination}: the app cannot be written there ({exc.strerror or exc}); nothing was "
                       "installed") from None
    except BaseException:
        _remove(partial, created)
        raise


def _remove(partial: Path, created: list[Path]) -> None:
    """Undo an unfinished install: the partial folder, and the empty folders this install made."""
    shutil.rmtree(partial, ignore_errors=True)
    for folder in created:  # deepest first
        with contextlib.suppress(OSError):
            folder.rmdir()


def _missing_ancestors(folder: Path) -> list[Path]:
    """``folder`` and its parents that do not exist yet, deepest first."""
    missing = []
    while not folder.exists():
        missing.append(folder)
        folder = folder.parent
    return missing
