"""Apps in an OCI registry (CNCF distribution, Harbor, zot) through ``oras``.

``oci://HOST[:PORT][/REPO]`` holds each app in the repository ``REPO/ID`` and each version as a
tag. A version is one OCI image manifest (docs/apps.md):

* ``artifactType`` ``application/vnd.millwright.iapp.v1``;
* the config blob: the app's manifest as JSON, media type
  ``application/vnd.millwright.app.manifest.v1+json`` (registry UIs show it; search reads it);
* one layer: the ``.iapp`` itself, media type ``application/vnd.millwright.iapp.v1+zip``, titled
  ``ID-VERSION.iapp``;
* annotations: ``org.opencontainers.image.title/version/description/licenses/created`` and
  ``org.millwright.app.id``, ``.industry``, ``.lifecycle``, ``.level``, ``.generality``,
  ``.maturity`` and ``.publisher-key``.

A tag cannot hold ``+`` (``[A-Za-z0-9_][A-Za-z0-9._-]{0,127}``), so the build metadata of a
semantic version is tagged with ``_`` instead (``1.0.0+20261202`` → ``1.0.0_20261202``); semantic
versions never contain ``_``, so the mapping goes both ways.

Plain HTTP is used for loopback hosts (as Docker does) and for hosts named insecure, HTTPS
otherwise. Credentials come from ``MILLWRIGHT_REGISTRY_USER``/``MILLWRIGHT_REGISTRY_PASSWORD``
or the keyring (service ``millwright-registry``, user ``HOST[:PORT]``, secret ``USER:PASSWORD``),
never from a project or Docker's config. Every request gives up after the timeout and nothing
is retried behind the user's back (oras' own client sleeps up to two minutes between retries).
"""

from __future__ import annotations

import base64
import hashlib
import ipaddress
import json
import os
import re
import tempfile
from collections.abc import Iterable, Iterator
from http.cookiejar import DefaultCookiePolicy
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import keyring
import keyring.errors
import oras.container
import oras.oci
import oras.provider
import platformdirs
import requests

from app_packager.errors import AppError
from app_packager.manifest import Classification, Text
from app_packager.publish import Publisher, Release, read_archive, write_checked
from app_packager.semver import precedence
from nodes.atomic_file import atomic_write_bytes

ARTIFACT_TYPE = "application/vnd.millwright.iapp.v1"
ARCHIVE_MEDIA_TYPE = "application/vnd.millwright.iapp.v1+zip"
CONFIG_MEDIA_TYPE = "application/vnd.millwright.app.manifest.v1+json"
MANIFEST_MEDIA_TYPE = "application/vnd.oci.image.manifest.v1+json"
KEYRING_SERVICE = "millwright-registry"
USER_VARIABLE, PASSWORD_VARIABLE = "MILLWRIGHT_REGISTRY_USER", "MILLWRIGHT_REGISTRY_PASSWORD"
LOOPBACK_NAMES = ("localhost",)
_ANNOTATION = "org.millwright.app."
_REPOSITORY = re.compile(r"^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$")
_PAGE = 1000  # repositories or tags asked for per request


def tag_of(version: str) -> str:
    """The OCI tag of a semantic version (``+`` is not allowed in tags: it becomes ``_``)."""
    return version.replace("+", "_")


def version_of(tag: str) -> str | None:
    """The semantic version a tag stands for, or None for a tag that is not one of ours (``latest``)."""
    version = tag.replace("_", "+")
    try:
        precedence(version)
    except AppError:
        return None
    return version


def is_loopback(host: str) -> bool:
    """``localhost``, ``127.x.x.x`` or ``::1`` (with or without a port): plain HTTP is used for these."""
    name = urlsplit(f"//{host}").hostname or ""
    if name in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def registry_credentials(host: str) -> tuple[str, str] | None:
    """(user, password) for ``host`` from the environment, else the keyring; None to go anonymous."""
    user, password = os.environ.get(USER_VARIABLE, ""), os.environ.get(PASSWORD_VARIABLE, "")
    if user and password:
        return user, password
    try:
        secret = keyring.get_password(KEYRING_SERVICE, host)
    except keyring.errors.KeyringError:
        return None
    if not secret or ":" not in secret:
        return None
    user, _, password = secret.partition(":")
    return user, password


class OciRegistry(Publisher):
    """The apps under ``namespace`` in the registry at ``host`` (``HOST[:PORT]``)."""

    def __init__(self, host: str, namespace: str = "", *, insecure: bool = False, timeout: float = 30.0,
                 cache: Path | None = None):
        if namespace and not _REPOSITORY.match(namespace):
            raise AppError(f"oci://{host}/{namespace}: '{namespace}' is not a repository path (lower-case letters "
                           "and digits, separated by '.', '_' or '-', folders by '/')")
        self.host, self.namespace = host, namespace
        self.url = f"oci://{host}/{namespace}" if namespace else f"oci://{host}"
        self.plain_http = insecure or is_loopback(host)
        self.timeout = timeout
        self.cache = Path(cache) if cache else Path(platformdirs.user_cache_dir("millwright", appauthor=False)) / "oci"
        self._client = _RegistryClient(host, plain_http=self.plain_http, timeout=timeout,
                                       credentials=registry_credentials(host))

    @classmethod
    def from_url(cls, url: str, *, insecure_registries: Iterable[str] = (), timeout: float = 30.0) -> OciRegistry:
        """``oci://HOST[:PORT][/REPO]``; ``insecure_registries`` names hosts (``HOST`` or ``HOST:PORT``) spoken
        to over plain HTTP."""
        host, _, namespace = url.removeprefix("oci://").partition("/")
        if not host:
            raise AppError(f"'{url}' names no registry: write oci://HOST[:PORT]/REPO")
        insecure = {host, urlsplit(f"//{host}").hostname} & set(insecure_registries)
        return cls(host, namespace.strip("/"), insecure=bool(insecure), timeout=timeout)

    def repository(self, app_id: str) -> str:
        return f"{self.namespace}/{app_id}" if self.namespace else app_id

    # -- publish ----------------------------------------------------------------------------------
    def publish(self, archive: Path) -> str:
        published = read_archive(archive)
        release = published.release
        repository = self.repository(release.id)
        tag = tag_of(release.version)
        reference = f"{self.host}/{repository}:{tag}"
        held = self._manifest(repository, tag, missing_ok=True)
        if held is not None:
            layer = _archive_layer(held)
            if layer is None or layer["digest"] != f"sha256:{release.sha256}":
                raise AppError(f"{release.id} {release.version} is already in {self.host}/{repository} (tag {tag}) "
                               "with other content: a published version never changes; give the app a new version")
            return reference
        container = self._container(release.id, tag)
        with tempfile.TemporaryDirectory(prefix="millwright-oci-") as folder:
            layer = self._upload(Path(folder) / release.archive_name, published.data, ARCHIVE_MEDIA_TYPE, container)
            layer["annotations"] = {"org.opencontainers.image.title": release.archive_name}
            config = self._upload(Path(folder) / "app.json", published.manifest_json, CONFIG_MEDIA_TYPE, container)
        manifest = {"schemaVersion": 2, "mediaType": MANIFEST_MEDIA_TYPE, "artifactType": ARTIFACT_TYPE,
                    "config": config, "layers": [layer], "annotations": _annotations(release)}
        response = self._client.upload_manifest(manifest, container)
        self._check(response, repository, f"storing {release.id} {release.version}")
        return reference

    def _upload(self, path: Path, data: bytes, media_type: str, container) -> dict[str, Any]:
        path.write_bytes(data)
        descriptor = oras.oci.NewLayer(str(path), media_type=media_type)
        response = self._client.upload_blob(str(path), container, descriptor)
        self._check(response, container.api_prefix, f"uploading {path.name}")
        return descriptor

    # -- read -------------------------------------------------------------------------------------
    def releases(self, app_id: str | None = None) -> list[Release]:
        if app_id is not None:
            return self._releases_of(app_id, missing_ok=True)
        prefix = f"{self.namespace}/" if self.namespace else ""
        try:
            repositories = list(self._paged("/v2/_catalog", "repositories", ""))
        except _NotFound:
            raise AppError(f"{self.host}: the registry does not list its repositories (no /v2/_catalog); pull or "
                           "install an app by its id") from None
        found = []
        for repository in repositories:
            app_id = repository.removeprefix(prefix)
            if repository.startswith(prefix) and "/" not in app_id:
                found += self._releases_of(app_id)
        return found

    def _releases_of(self, app_id: str, missing_ok: bool = False) -> list[Release]:
        repository = self.repository(app_id)
        releases = []
        for tag in self._tags(repository, missing_ok):
            version = version_of(tag)
            manifest = self._manifest(repository, tag, missing_ok=True) if version else None
            layer = _archive_layer(manifest) if manifest else None
            if layer is not None:
                releases.append(self._release(app_id, version, manifest, layer))
        return releases

    def _release(self, app_id: str, version: str, manifest: dict, layer: dict) -> Release:
        """A tag's release: names and classification from its config, signer and date from its annotations."""
        where = f"{self.host}/{self.repository(app_id)}:{tag_of(version)}"
        annotations = manifest.get("annotations") or {}
        try:
            data = json.loads(self._config(app_id, manifest["config"]))
            release = Release(data["id"], data["version"], Text.from_data(data["name"]),
                              Text.from_data(data.get("description")), Classification(**data["classification"]),
                              data.get("license", ""), annotations.get(f"{_ANNOTATION}publisher-key", ""),
                              layer["digest"].removeprefix("sha256:"), int(layer["size"]),
                              annotations.get("org.opencontainers.image.created", ""))
        except (ValueError, KeyError, TypeError) as exc:
            raise AppError(f"{where}: its config is not an app manifest ({exc})") from None
        if (release.id, release.version) != (app_id, version):
            raise AppError(f"{where}: holds {release.id} {release.version}, not {app_id} {version}: the tag was not "
                           "made by millwright app publish")
        return release

    def _config(self, app_id: str, descriptor: dict) -> bytes:
        """The config blob (the app's manifest), from the cache when seen before: it is named by its digest."""
        digest = descriptor["digest"]
        cached = self.cache / digest.replace(":", "-")
        if cached.is_file():
            return cached.read_bytes()
        repository = self.repository(app_id)
        response = self._client.get_blob(self._container(app_id), digest)
        self._check(response, repository, f"reading {digest}")
        data = response.content
        if f"sha256:{hashlib.sha256(data).hexdigest()}" != digest:
            raise AppError(f"{self.host}/{repository}: the blob {digest} does not have the content its digest names")
        self.cache.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(cached, data)
        return data

    def fetch(self, release: Release, target: Path) -> None:
        repository = self.repository(release.id)
        response = self._client.get_blob(self._container(release.id), f"sha256:{release.sha256}", stream=True)
        with response:
            self._check(response, repository, f"reading {release.archive_name}")
            source = f"{self.host}/{repository}:{tag_of(release.version)}"
            try:
                write_checked(response.iter_content(1 << 20), target, release, source)
            except requests.RequestException as exc:
                raise self._client.failure(exc) from None

    # -- HTTP -------------------------------------------------------------------------------------
    def _container(self, app_id: str, tag: str = "latest") -> oras.container.Container:
        container = oras.container.Container(f"{app_id}:{tag}", registry=self.host)
        container.namespace = self.namespace or None
        return container

    def _manifest(self, repository: str, tag: str, missing_ok: bool = False) -> dict | None:
        url = f"/v2/{repository}/manifests/{tag}"
        response = self._client.do_request(self._client.absolute(url), "GET", headers={"Accept": MANIFEST_MEDIA_TYPE})
        if response.status_code == 404 and missing_ok:
            return None
        self._check(response, repository, f"reading tag {tag}")
        return self._json(response, f"{self.host}/{repository}:{tag}")

    def _tags(self, repository: str, missing_ok: bool) -> list[str]:
        try:
            return list(self._paged(f"/v2/{repository}/tags/list", "tags", repository))
        except _NotFound:
            if missing_ok:
                return []
            raise AppError(f"{self.host}: the repository {repository} is not there") from None

    def _paged(self, path: str, key: str, repository: str) -> Iterator[str]:
        """The items of a paginated list (``Link: <…>; rel="next"``, as distribution and Harbor page);
        ``repository`` is the one listed ("" for the registry's catalogue)."""
        url = self._client.absolute(f"{path}?n={_PAGE}")
        while url:
            response = self._client.do_request(url, "GET")
            if response.status_code == 404:
                raise _NotFound(path)
            self._check(response, repository, f"listing {key}")
            yield from self._json(response, f"{self.host}{path}").get(key) or []
            link = response.links.get("next", {}).get("url")
            url = urljoin(url, link) if link else ""

    def _check(self, response: requests.Response, repository: str, doing: str) -> None:
        """An :class:`AppError` naming the host, the repository ("" for none) and what failed, unless a success."""
        status = response.status_code
        if status < 300:
            return
        where = f"{self.host}/{repository}" if repository else self.host
        if status == 401:
            raise AppError(f"{where}: the registry asks for credentials ({doing}); set {USER_VARIABLE} and "
                           f"{PASSWORD_VARIABLE}, or keep USER:PASSWORD in the keyring (service {KEYRING_SERVICE}, "
                           f"user {self.host})")
        if status == 403:
            raise AppError(f"{where}: the registry denies access ({doing}); the account may not read or write here")
        codes = _error_codes(response)
        if status == 404 and "NAME_UNKNOWN" in codes:
            raise AppError(f"{where}: the repository is not there ({doing})")
        if status == 404:
            raise AppError(f"{where}: not found ({doing}; {', '.join(codes) or 'HTTP 404'})")
        raise AppError(f"{where}: the registry answered HTTP {status} {response.reason} ({doing}"
                       f"{'; ' + ', '.join(codes) if codes else ''})")


    @staticmethod
    def _json(response: requests.Response, where: str) -> dict:
        try:
            data = response.json()
        except ValueError:
            data = None
        if not isinstance(data, dict):
            raise AppError(f"{where}: the registry's answer is not the JSON object the OCI distribution API sends")
        return data


class _NotFound(Exception):
    """A listing the registry does not have (404)."""


def _archive_layer(manifest: dict) -> dict | None:
    """The layer holding the .iapp, or None when the manifest is not one of a Millwright app."""
    if manifest.get("artifactType", ARTIFACT_TYPE) != ARTIFACT_TYPE:
        return None
    layers = [layer for layer in manifest.get("layers") or [] if layer.get("mediaType") == ARCHIVE_MEDIA_TYPE]
    return layers[0] if len(layers) == 1 and str(layers[0].get("digest", "")).startswith("sha256:") else None


def _annotations(release: Release) -> dict[str, str]:
    c = release.classification
    annotations = {"org.opencontainers.image.title": release.name.en,
                   "org.opencontainers.image.version": release.version,
                   "org.opencontainers.image.description": release.description.en if release.description else "",
                   "org.opencontainers.image.licenses": release.license,
                   "org.opencontainers.image.created": release.created,
                   f"{_ANNOTATION}id": release.id, f"{_ANNOTATION}industry": c.industry,
                   f"{_ANNOTATION}lifecycle": c.lifecycle, f"{_ANNOTATION}level": c.level,
                   f"{_ANNOTATION}generality": c.generality, f"{_ANNOTATION}maturity": str(c.maturity),
                   f"{_ANNOTATION}publisher-key": release.publisher_key}
    return {key: value for key, value in annotations.items() if value}


def _error_codes(response: requests.Response) -> list[str]:
    """The codes of an OCI error body (``{"errors": [{"code": "NAME_UNKNOWN", …}]}``)."""
    try:
        errors = json.loads(response.content or b"{}").get("errors") or []
    except (ValueError, AttributeError):
        return []
    return [str(e.get("code")) for e in errors if isinstance(e, dict) and e.get("code")]


class _TimedSession(requests.Session):
    """A session whose every request (oras' token requests too) gives up after ``timeout`` seconds."""

    def __init__(self, timeout: float):
        super().__init__()
        self.timeout = timeout

    def request(self, method, url, *args, **kwargs):
        kwargs.setdefault("timeout", self.timeout)
        return super().request(method, url, *args, **kwargs)


class _RegistryClient(oras.provider.Registry):
    """oras' registry client with our timeout, no sleeping retries, and credentials only from us.

    oras' ``do_request`` retries five times, sleeping 3 to 83 s, and its auth reads Docker's
    config files; here a request is sent once (again once after a 401 with credentials) and a
    network failure becomes an :class:`AppError` naming the host.
    """

    def __init__(self, host: str, *, plain_http: bool, timeout: float, credentials: tuple[str, str] | None):
        super().__init__(hostname=host, insecure=plain_http)
        self.host, self.timeout = host, timeout
        self.session = _TimedSession(timeout)
        self.session.cookies.set_policy(DefaultCookiePolicy(allowed_domains=[]))  # as oras: some registries
        # take a cookie for a browser and start asking for CSRF tokens
        self.auth.session = self.session
        self.auth.load_configs = lambda *args, **kwargs: None  # never Docker's config files
        self._basic = base64.b64encode(":".join(credentials).encode()).decode("ascii") if credentials else ""
        if credentials:
            self.auth.set_basic_auth(*credentials)  # what oras' token flow sends to the token service
        self._authorization: dict[str, str] = {}

    def absolute(self, path: str) -> str:
        return f"{self.prefix}://{self.host}{path}"

    def do_request(self, url: str, method: str = "GET", data=None, headers: dict | None = None, json=None,
                   stream: bool = False) -> requests.Response:
        try:
            response = self._send(url, method, data, headers, json, stream)
            if response.status_code == 401 and self._authorize(response):
                response.close()
                response = self._send(url, method, data, headers, json, stream)
            return response
        except requests.RequestException as exc:
            raise self.failure(exc) from None

    def _send(self, url, method, data, headers, json, stream) -> requests.Response:
        return self.session.request(method, url, data=data, json=json, headers={**(headers or {}),
                                                                                 **self._authorization},
                                    stream=stream, verify=self._tls_verify)

    def _authorize(self, challenge: requests.Response) -> bool:
        """Answer a 401: Basic with our credentials, or a bearer token through oras' token flow."""
        scheme = challenge.headers.get("Www-Authenticate", "").split(" ", 1)[0].lower()
        if scheme == "basic" and self._basic:
            self._authorization = {"Authorization": f"Basic {self._basic}"}
            return True
        if scheme == "bearer":
            headers, changed = self.auth.authenticate_request(challenge, {}, refresh=True)
            if changed:
                self._authorization = {"Authorization": headers["Authorization"]}
            return changed
        return False

    def failure(self, exc: requests.RequestException) -> AppError:
        if isinstance(exc, requests.Timeout):
            return AppError(f"The registry {self.host} did not answer within {self.timeout:g} s")
        if isinstance(exc, requests.exceptions.SSLError):
            return AppError(f"The registry {self.host} could not be reached over HTTPS ({_reason(exc)}); a registry "
                            f"that speaks plain HTTP needs --insecure-registry {self.host}")
        if isinstance(exc, requests.ConnectionError):
            return AppError(f"The registry {self.host} cannot be reached ({_reason(exc)}): is it running, and are the "
                            "host and port right?")
        return AppError(f"The registry {self.host} failed: {_reason(exc)}")


def _reason(exc: BaseException) -> str:
    """The operating system's words for a network failure ("connection refused"), else the error's text."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, OSError) and seen.strerror:
            return seen.strerror.lower()
        seen = seen.__cause__ or seen.__context__
    return str(exc)[:200]
