"""``millwright app image``: the example app's runtime image, built with buildah and mmdebstrap, read back as OCI.

The build runs where buildah works (as root with the vfs driver here and on CI) and is skipped,
with the reason, where the machine forbids it. The Debian root is cached in the user's cache
folder and the dependencies layer in buildah's storage, as for any user: the first build on a
machine takes a few minutes, later ones well under one.
"""

from __future__ import annotations

import gzip
import io
import json
import shutil
import subprocess
import tarfile

import pytest

from app_packager.errors import AppError
from app_packager.image import TRUST_DIR, Buildah, ImageRequest, build_image, runtime_requirements
from app_packager.publish import read_archive
from app_packager.runtime.k8s import Deployment, default_image, default_name, run_arguments
from app_packager.signing import sign_archive
from workbench.cli import main

TAG = "localhost/millwright-image-test:latest"


def _buildah_problem() -> str:
    """Why buildah cannot build here, or '' when it can."""
    for tool in ("buildah", "mmdebstrap"):
        if shutil.which(tool) is None:
            return f"{tool} is not installed (apt-get install buildah mmdebstrap)"
    probe = subprocess.run(["buildah", "--storage-driver", "vfs", "from", "--quiet", "scratch"],
                           capture_output=True, text=True, timeout=60)
    if probe.returncode != 0:
        return f"this machine forbids buildah: {probe.stderr.strip()[-300:]}"
    subprocess.run(["buildah", "--storage-driver", "vfs", "rm", probe.stdout.strip()], capture_output=True, timeout=60)
    return ""


@pytest.fixture
def signed_app(example_build, publisher_key, tmp_path):
    app = tmp_path / example_build.name
    shutil.copyfile(example_build, app)
    sign_archive(app, publisher_key.private)
    return app


def test_the_runtime_leaves_the_workbench_only_distributions_out():
    kept = runtime_requirements(["PySide6-Essentials>=6.10,<6.12", "qtpy>=2.4", "asyncua~=2.1.0",
                                 "ipykernel<8", "pytest>=8; extra == \"dev\"", "numpy<3"])
    assert kept == ["asyncua~=2.1.0", "numpy<3"]


def test_an_unsigned_app_is_refused_before_anything_is_built(example_build, tmp_path, capsys):
    output = tmp_path / "image.oci.tar"
    with pytest.raises(AppError, match=r"signature|signed"):
        build_image(ImageRequest(example_build, output=output, trusted={}), progress=lambda line: None)
    assert not output.exists()


@pytest.mark.slow
@pytest.mark.timeout(1200)
def test_the_example_apps_image_runs_the_app_as_a_non_root_user(signed_app, publisher_key, tmp_path, capsys):
    problem = _buildah_problem()
    if problem:
        print(f"image build skipped: {problem}")
        pytest.skip(problem)
    output = tmp_path / "image.oci.tar"
    try:
        code = main(["app", "image", str(signed_app), "-o", str(output), "--tag", TAG,
                     "--trust", str(publisher_key.pem)])
        assert code == 0, capsys.readouterr().err
        manifest = read_archive(signed_app).manifest
        app_path = f"/app/{manifest.id}-{manifest.version}.iapp"
        with tarfile.open(output) as archive:
            index = _json(archive, "index.json")
            assert index["manifests"][0]["annotations"]["org.opencontainers.image.ref.name"] == default_image(manifest)
            image = _json(archive, _blob(index["manifests"][0]["digest"]))
            config = _json(archive, _blob(image["config"]["digest"]))["config"]
            top = _layer(archive, image["layers"][-1]["digest"])
        assert len(image["layers"]) == 3  # Debian, dependencies, Millwright with the app
        assert config["User"] == "10001:10001"
        assert config["Entrypoint"] == ["/opt/millwright/bin/millwright"]
        assert config["Cmd"] == run_arguments(manifest, Deployment(default_name(manifest), ""))
        assert config["Cmd"][:3] == ["app", "run", app_path]
        assert set(config["ExposedPorts"]) == {"4840/tcp", "9102/tcp"}
        assert config["WorkingDir"] == "/data" and set(config["Volumes"]) == {"/data"}
        labels = config["Labels"]
        assert labels["millwright.io/app-id"] == manifest.id
        assert labels["org.opencontainers.image.version"] == manifest.version
        assert labels["millwright.io/publisher-key"] == publisher_key.fingerprint
        assert top.extractfile(app_path.lstrip("/")).read() == signed_app.read_bytes()
        assert f"{TRUST_DIR.lstrip('/')}/{publisher_key.fingerprint}.pem" in top.getnames()
        _runs_in_the_image(manifest.id, app_path)
    finally:
        subprocess.run(["buildah", "--storage-driver", "vfs", "rmi", TAG], capture_output=True, timeout=120)


def _runs_in_the_image(app_id: str, app_path: str) -> None:
    """As the image's user: Millwright starts without Qt, and trusts the app through the image's own key."""
    buildah = Buildah()
    container = buildah("from", "--quiet", "--pull-never", TAG).strip()
    try:
        version = buildah("run", "--user", "10001:10001", container, "--", "millwright", "--version")
        assert version.startswith("Millwright ")
        assert "PySide6" not in buildah("run", container, "--", "pip", "list")
        verified = buildah("run", "--user", "10001:10001", container, "--", "millwright", "app", "verify", app_path)
        assert app_id in verified
    finally:
        buildah("rm", container)


def _blob(digest: str) -> str:
    return "blobs/sha256/" + digest.removeprefix("sha256:")


def _json(archive: tarfile.TarFile, name: str) -> dict:
    return json.load(archive.extractfile(name))


def _layer(archive: tarfile.TarFile, digest: str) -> tarfile.TarFile:
    return tarfile.open(fileobj=io.BytesIO(gzip.decompress(archive.extractfile(_blob(digest)).read())))
