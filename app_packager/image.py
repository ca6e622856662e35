"""An OCI image of the headless runtime with one app, built without a container daemon.

No image registry is reachable from the machines this runs on, so nothing is pulled: the image
is three layers made here from Debian and PyPI packages.

1. **Base**: a minimal Debian root with Python, made by ``mmdebstrap`` from the Debian mirror
   and kept as a tarball in the user's cache folder, keyed by everything that makes it (suite,
   packages, mirror). Documentation and translations are left out. A build reuses it, so only
   the first build of a machine waits for Debian.
2. **Dependencies**: the user ``millwright`` (:data:`~app_packager.runtime.k8s.RUNTIME_UID`),
   ``/data`` owned by it, and a virtual environment at ``/opt/millwright`` with Millwright's
   dependencies at the versions installed here, except the distributions only the Qt workbench
   uses. Kept in buildah's storage under a name keyed by the base and the wheels, so a build
   after a code change, or of another app, reuses it.
3. **Millwright and the app**: a wheel of the source checkout this module comes from, the
   schemas and device profiles the runtime reads, the ``.iapp`` (verified first) at
   ``/app/ID-VERSION.iapp``, and the key of the publisher who signed it as the runtime's only
   trusted key.

The image runs ``millwright app run /app/ID-VERSION.iapp --bind /config/bindings.yaml --data
/data`` as the non-root user with ``/data`` as its only writable place (a volume), so it suits a
read-only root filesystem; it exposes OPC UA and the health/metrics port. Its arguments are
those :mod:`app_packager.runtime.k8s` gives the pod.

``buildah`` runs with the ``vfs`` storage driver (``$STORAGE_DRIVER`` overrides it: overlay is
faster where the kernel allows it, which a build inside a container seldom does) and chroot
isolation, which work as root without a daemon.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import email.parser
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import platformdirs
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from app_packager.errors import AppError
from app_packager.manifest import AppManifest
from app_packager.runtime.health import DEFAULT_HEALTH_PORT, HOST_ENV
from app_packager.runtime.k8s import (
    DATA_DIR,
    OPCUA_PORT,
    RUNTIME_UID,
    Deployment,
    archive_path,
    default_image,
    default_name,
    run_arguments,
)
from app_packager.signing import public_pem
from app_packager.trust import TRUST_DIR_ENV, add_trusted_key, trusted_public_keys
from app_packager.verify import verify_app

SUITE = "bookworm"
PYTHON = "3.11"  # bookworm's python3, which meets Millwright's requires-python
BASE_PACKAGES = ("python3", "python3-venv", "ca-certificates")
DEBIAN_MIRROR = "http://deb.debian.org/debian"
# Manuals and translations have no reader in a container; the licences stay.
_DPKG_OPTIONS = ("path-exclude=/usr/share/man/*", "path-exclude=/usr/share/locale/*",
                 "path-exclude=/usr/share/info/*", "path-exclude=/usr/share/doc/*",
                 "path-include=/usr/share/doc/*/copyright")
VENV = "/opt/millwright"
TRUST_DIR = "/etc/millwright/trusted-keys"
# Used only by the Qt workbench and its console; the runtime never imports them (import-linter
# says so for Qt), and PySide6 alone would triple the image.
WORKBENCH_ONLY = frozenset({"pyside6-essentials", "qtpy", "qasync", "pyqtgraph", "jupyter-client", "ipykernel"})
# What the runtime reads from resources/ (nodes.resources finds it beside the packages).
RUNTIME_RESOURCES = ("schemas", "profiles")
_STDERR_LINES = 15
_KILL_WAIT_SECONDS = 10

Progress = Callable[[str], None]


@dataclass(frozen=True)
class ImageRequest:
    """What to build: the app, where the image goes and which publishers' signatures are accepted.

    ``output`` defaults to ``ID-VERSION.oci.tar`` in the current folder; with ``tag`` the image is
    also kept in buildah's local storage under that name (``localhost/ID:VERSION`` is what
    ``app k8s`` expects by default). ``base_cache`` holds the Debian root (default: the user's
    cache folder).
    """

    app: Path
    output: Path | None = None
    tag: str | None = None
    base_cache: Path | None = None
    trusted: Mapping[str, Ed25519PublicKey] | None = None
    allow_unsigned: bool = False
    mirror: str = DEBIAN_MIRROR


@dataclass(frozen=True)
class BuiltImage:
    path: Path  # the OCI archive
    tag: str | None
    app_path: str  # where the image holds the app
    size: int  # bytes of the archive


def build_image(request: ImageRequest, progress: Progress = print) -> BuiltImage:
    """Verify the app and build its runtime image; AppError names the step, the command and its errors."""
    for tool in ("buildah", "mmdebstrap"):
        if shutil.which(tool) is None:
            raise AppError(f"'{tool}' is not installed: an image is built with Debian's buildah and mmdebstrap "
                           f"(apt-get install buildah mmdebstrap)")
    with tempfile.TemporaryDirectory(prefix="millwright-image-") as folder:
        staging = Path(folder)
        app = staging / "app.iapp"
        try:
            shutil.copyfile(request.app, app)  # verified and added from one copy: the file could change meanwhile
        except OSError as exc:
            raise AppError(f"{request.app}: cannot be read ({exc.strerror or exc})") from None
        report = verify_app(app, trusted=request.trusted, allow_unsigned=request.allow_unsigned)
        manifest = report.manifest
        progress(f"Verified {manifest.id} {manifest.version}"
                 + (f", signed by {report.publisher[:16]}" if report.publisher else ", unsigned"))
        output = request.output or Path(f"{manifest.id}-{manifest.version}.oci.tar")
        base = base_root(request.base_cache or default_cache(), request.mirror, progress)
        buildah = Buildah()
        progress("Building the Millwright wheel and collecting its dependencies")
        wheels = collect_wheels(_source_checkout(), staging / "wheels")
        dependencies = _dependencies_image(buildah, _base_image(buildah, base, progress), wheels, progress)
        keys = staging / "trusted-keys"
        if report.publisher:
            _trust(keys, report.publisher, request.trusted, manifest)
        progress(f"Adding Millwright {wheels.millwright.name.split('-')[1]} and the app at {archive_path(manifest)}")
        name = request.tag or f"localhost/millwright-build-{os.getpid()}:latest"
        with buildah.container(dependencies) as container:
            _install_millwright(buildah, container, wheels)
            buildah("copy", "--chmod", "0444", container, str(app), archive_path(manifest))
            if report.publisher:
                buildah("copy", "--chmod", "0444", container, str(keys), TRUST_DIR)
            buildah("config", *_config_options(manifest, report.publisher, request.allow_unsigned), container)
            buildah("commit", "--quiet", "--format", "oci", "--rm", container, name)
        try:
            progress(f"Writing {output}")
            output.parent.mkdir(parents=True, exist_ok=True)
            buildah("push", "--quiet", name, f"oci-archive:{output.resolve()}:{default_image(manifest)}")
        finally:
            if request.tag is None:
                buildah("rmi", name)
    return BuiltImage(output, request.tag, archive_path(manifest), output.stat().st_size)


def default_cache() -> Path:
    """Where Debian roots are kept between builds."""
    return Path(platformdirs.user_cache_dir("millwright", appauthor=False)) / "images"


def base_root(cache: Path, mirror: str = DEBIAN_MIRROR, progress: Progress = print) -> Path:
    """The Debian root tarball for the image's base, made by mmdebstrap unless the cache holds it."""
    recipe = {"suite": SUITE, "packages": BASE_PACKAGES, "python": PYTHON, "mirror": mirror, "dpkg": _DPKG_OPTIONS}
    key = hashlib.sha256(json.dumps(recipe, sort_keys=True).encode()).hexdigest()[:16]
    tarball = cache / f"debian-{SUITE}-python{PYTHON}-{key}.tar"
    if tarball.is_file():
        progress(f"Debian {SUITE} root from the cache: {tarball}")
        return tarball
    progress(f"Making a Debian {SUITE} root with {', '.join(BASE_PACKAGES)} from {mirror} (once per machine)")
    try:
        cache.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise AppError(f"{cache}: cannot hold the Debian root ({exc.strerror or exc})") from None
    partial = tarball.with_suffix(".partial.tar")
    command = ["mmdebstrap", "--quiet", "--variant=minbase", f"--include={','.join(BASE_PACKAGES)}",
               *(f"--dpkgopt={option}" for option in _DPKG_OPTIONS), SUITE, str(partial), mirror]
    try:
        run_tool(command)
        partial.replace(tarball)
    finally:
        partial.unlink(missing_ok=True)
    return tarball


def run_tool(command: Sequence[str], env: Mapping[str, str] | None = None) -> str:
    """Run a build tool; its stdout, or AppError with the command and the end of its errors.

    Ctrl+C ends the tool and everything it started (its own process group) before it goes on.
    """
    process = subprocess.Popen(list(command), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env={**os.environ, **(env or {})}, start_new_session=True)
    try:
        stdout, stderr = process.communicate()
    except BaseException:
        _end(process)
        raise
    if process.returncode != 0:
        tail = "\n  ".join(stderr.strip().splitlines()[-_STDERR_LINES:]) or "(no error output)"
        raise AppError(f"`{' '.join(command)}` failed with exit status {process.returncode}:\n  {tail}")
    return stdout


def _end(process: subprocess.Popen) -> None:
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(_KILL_WAIT_SECONDS)
            return
        except subprocess.TimeoutExpired:
            continue


class Buildah:
    """``buildah`` with the storage driver and isolation that work without a daemon; see the module's notes."""

    def __init__(self) -> None:
        self.options = ["--storage-driver", os.environ.get("STORAGE_DRIVER") or "vfs"]
        self.env = {"BUILDAH_ISOLATION": os.environ.get("BUILDAH_ISOLATION") or "chroot"}

    def __call__(self, *arguments: str) -> str:
        return run_tool(["buildah", *self.options, *arguments], self.env)

    def has_image(self, name: str) -> bool:
        return bool(self("images", "--quiet", "--filter", f"reference={name}").strip())

    def run_in(self, container: str, command: Sequence[str], *volumes: str) -> str:
        return self("run", *(f"--volume={volume}" for volume in volumes), container, "--", *command)

    def container(self, image: str) -> _WorkingContainer:
        return _WorkingContainer(self, image)


class _WorkingContainer:
    """A buildah working container from ``image``; the block ends it with ``commit --rm``, a failure removes it."""

    def __init__(self, buildah: Buildah, image: str) -> None:
        self.buildah = buildah
        self.image = image
        self.name = ""

    def __enter__(self) -> str:
        self.name = self.buildah("from", "--quiet", "--pull-never", self.image).strip()
        return self.name

    def __exit__(self, error_type: type[BaseException] | None, *exc_info: object) -> None:
        if error_type is not None:
            with contextlib.suppress(AppError):  # the error being raised says more than this one
                self.buildah("rm", self.name)


@dataclass(frozen=True)
class Wheels:
    folder: Path
    millwright: Path
    dependencies: tuple[str, ...]  # file names in ``folder``


def collect_wheels(source: Path, folder: Path) -> Wheels:
    """A wheel of the checkout ``source`` and its runtime dependencies', pinned to the versions installed here."""
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check"]
    run_tool([*pip, "wheel", "--quiet", "--no-deps", "--no-build-isolation", "--wheel-dir", str(folder), str(source)])
    millwright = next(folder.glob("millwright-*.whl"))
    constraints = folder.parent / "constraints.txt"
    installed = sorted({f"{d.metadata['Name']}=={d.version}" for d in metadata.distributions()
                        if d.metadata["Name"] and canonicalize_name(d.metadata["Name"]) != "millwright"})
    constraints.write_text("\n".join(installed) + "\n", encoding="utf-8")
    run_tool([*pip, "wheel", "--quiet", "--wheel-dir", str(folder), "--constraint", str(constraints),
              *runtime_requirements(_wheel_requirements(millwright))])
    dependencies = tuple(sorted(p.name for p in folder.glob("*.whl") if p != millwright))
    return Wheels(folder, millwright, dependencies)


def _base_image(buildah: Buildah, base: Path, progress: Progress) -> str:
    """The Debian root as an image in buildah's storage (the first layer), imported once."""
    image = f"localhost/millwright-base:{base.stem.rsplit('-', 1)[-1]}"
    if not buildah.has_image(image):
        progress(f"Importing the Debian root as {image}")
        with buildah.container("scratch") as container:
            buildah("add", container, str(base), "/")
            buildah("commit", "--quiet", "--format", "oci", "--rm", container, image)
    return image


def _dependencies_image(buildah: Buildah, base_image: str, wheels: Wheels, progress: Progress) -> str:
    """The second layer: the runtime user, /data and the virtual environment with Millwright's dependencies.

    Kept under a name keyed by the base and the wheels' names (distribution, version, platform),
    so that a change to Millwright's code or another app reuses it.
    """
    key = hashlib.sha256("\n".join((base_image, *wheels.dependencies)).encode()).hexdigest()[:16]
    image = f"localhost/millwright-dependencies:{key}"
    if buildah.has_image(image):
        progress(f"Dependencies layer from buildah's storage: {image}")
        return image
    progress(f"Installing {len(wheels.dependencies)} dependencies in the virtual environment as {image}")
    with buildah.container(base_image) as container:
        buildah.run_in(container, ["useradd", "--uid", str(RUNTIME_UID), "--user-group", "--no-create-home",
                                   "--home-dir", DATA_DIR, "--shell", "/usr/sbin/nologin", "millwright"])
        buildah.run_in(container, ["install", "--directory", "--owner", str(RUNTIME_UID), "--group",
                                   str(RUNTIME_UID), "--mode", "0750", DATA_DIR])
        buildah.run_in(container, ["python3", "-m", "venv", VENV])
        buildah.run_in(container, [f"{VENV}/bin/pip", "install", "--quiet", "--no-index", "--no-deps",
                                   "--no-cache-dir", *(f"/wheels/{name}" for name in wheels.dependencies)],
                       f"{wheels.folder}:/wheels:ro")
        buildah("commit", "--quiet", "--format", "oci", "--rm", container, image)
    return image


def _install_millwright(buildah: Buildah, container: str, wheels: Wheels) -> None:
    """Millwright's own code in the virtual environment, with the resources the runtime reads beside it."""
    buildah.run_in(container, [f"{VENV}/bin/pip", "install", "--quiet", "--no-index", "--no-deps", "--no-cache-dir",
                               f"/wheels/{wheels.millwright.name}"], f"{wheels.folder}:/wheels:ro")
    resources = _source_checkout() / "resources"
    for folder in RUNTIME_RESOURCES:
        buildah("copy", container, str(resources / folder),
                f"{VENV}/lib/python{PYTHON}/site-packages/resources/{folder}")


def runtime_requirements(requires: Sequence[str]) -> list[str]:
    """Millwright's requirements without the workbench-only distributions and the extras."""
    kept = []
    for text in requires:
        requirement = Requirement(text)
        if requirement.marker is not None and "extra" in str(requirement.marker):
            continue
        if canonicalize_name(requirement.name) not in WORKBENCH_ONLY:
            kept.append(str(requirement))
    return kept


def _wheel_requirements(wheel: Path) -> list[str]:
    with zipfile.ZipFile(wheel) as archive:
        name = next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))
        return email.parser.BytesParser().parsebytes(archive.read(name)).get_all("Requires-Dist") or []


def _source_checkout() -> Path:
    """The Millwright source checkout this module belongs to: the image installs a wheel built from it."""
    root = Path(__file__).resolve().parent.parent
    if not (root / "pyproject.toml").is_file():
        raise AppError(f"{root}: not a Millwright source checkout (no pyproject.toml); an image installs "
                       "Millwright from its sources")
    return root


def _trust(folder: Path, publisher: str, trusted: Mapping[str, Ed25519PublicKey] | None,
           manifest: AppManifest) -> None:
    """A trust store with only the key that signed the app, so the runtime accepts this app's publisher alone."""
    key = (trusted if trusted is not None else trusted_public_keys())[publisher]
    pem = folder.parent / "publisher.pub.pem"
    pem.write_bytes(public_pem(key))
    add_trusted_key(pem, f"publisher of {manifest.id}", folder)


def _config_options(manifest: AppManifest, publisher: str | None, allow_unsigned: bool) -> list[str]:
    """``buildah config`` options: user, entrypoint and arguments, environment, ports, volume and labels."""
    arguments = run_arguments(manifest, Deployment(default_name(manifest), ""))
    if publisher is None and allow_unsigned:
        arguments.append("--allow-unsigned")
    environment = {"PATH": f"{VENV}/bin:/usr/local/bin:/usr/bin:/bin", "HOME": "/tmp",
                   "PYTHONDONTWRITEBYTECODE": "1", "PYTHONUNBUFFERED": "1",
                   TRUST_DIR_ENV: TRUST_DIR, HOST_ENV: "0.0.0.0"}
    options = ["--user", f"{RUNTIME_UID}:{RUNTIME_UID}", "--workingdir", DATA_DIR, "--volume", DATA_DIR,
               "--entrypoint", json.dumps([f"{VENV}/bin/millwright"]), "--cmd", json.dumps(arguments),
               "--port", f"{OPCUA_PORT}/tcp", "--port", f"{DEFAULT_HEALTH_PORT}/tcp", "--stop-signal", "SIGTERM"]
    for name, value in environment.items():
        options += ["--env", f"{name}={value}"]
    for name, value in image_labels(manifest, publisher).items():
        options += ["--label", f"{name}={value}"]
    return options


def image_labels(manifest: AppManifest, publisher: str | None) -> dict[str, str]:
    """OCI annotations of the image: what the app is, its version and who signed it."""
    labels = {"org.opencontainers.image.title": manifest.name.en,
              "org.opencontainers.image.version": manifest.version,
              "org.opencontainers.image.licenses": manifest.license,
              "org.opencontainers.image.created": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
              "org.opencontainers.image.ref.name": f"{manifest.id}:{manifest.version}",
              "millwright.io/app-id": manifest.id,
              "millwright.io/app-version": manifest.version,
              "millwright.io/app-path": archive_path(manifest)}
    if manifest.description is not None:
        labels["org.opencontainers.image.description"] = manifest.description.en
    if manifest.authors:
        labels["org.opencontainers.image.authors"] = ", ".join(a.name for a in manifest.authors)
    if publisher:
        labels["millwright.io/publisher-key"] = publisher
    return labels
