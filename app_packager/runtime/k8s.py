"""Kubernetes manifests that run an app's image with a site's bindings: pure data, validated offline.

A site applies one file (``kubectl apply -f NAME.yaml``) holding:

- a **ConfigMap** ``NAME-bindings`` with the site's ``bindings.yaml``, byte for byte, and when the
  site gives its own device profiles (its PLCs' addresses, not the author's), a ConfigMap
  ``NAME-devices`` of them; both mounted read-only at ``/config`` (``/config/devices/*.yaml``);
- a **PersistentVolumeClaim** ``NAME-data`` mounted at ``/data``: the OPC UA server's certificate
  (a new one on every start would make every client trust the runtime again), the state of
  stateful components (run hours, totalisers) and the Sparkplug store-and-forward buffer all have
  to outlive the pod, so an ``emptyDir`` would lose exactly what the volume is for. Its size is
  the manifest's ``resources.disk_mb`` (1 GiB when absent);
- a **Deployment** of one replica, ``Recreate`` strategy: two runtimes of one app would share the
  volume's buffer and Sparkplug bdSeq, and a ReadWriteOnce volume cannot follow a rolling update
  to another node. The pod runs as a non-root user with a read-only root filesystem, no
  capabilities and no privilege escalation; ``/tmp`` is a small ``emptyDir``. Passwords (broker,
  devices, OPC UA users) come from the Secret ``NAME-credentials`` as environment variables: the
  manifests name the Secret and never hold a value, and the site creates it with ``kubectl create
  secret generic``. Liveness and readiness probes ask the health endpoint; CPU and memory requests
  and limits are the manifest's ``resources`` (equal, so the pod is in the Guaranteed QoS class
  and the last to be evicted);
- a **Service** ``NAME`` exposing OPC UA (4840) and the health/metrics port.

The image's entrypoint is ``millwright``, and it holds the app at ``/app/ID-VERSION.iapp``.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import kubernetes_validate
import yaml

from app_packager.errors import AppError
from app_packager.manifest import AppManifest
from app_packager.runtime.health import DEFAULT_HEALTH_PORT, HOST_ENV

OPCUA_PORT = 4840
APP_DIR = "/app"
CONFIG_DIR = "/config"
DATA_DIR = "/data"
# The user the image's runtime runs as: any non-root id works, this one is in no distribution's range.
RUNTIME_UID = 10001
# Kubernetes versions the manifests must be valid for: an older cluster still found at sites, and
# the newest whose schemas kubernetes-validate bundles.
OLDEST_KUBERNETES = "1.28"
SERVICE_TYPES = ("ClusterIP", "NodePort", "LoadBalancer")
_DEFAULT_MEMORY_MB = 512  # a runtime with its OPC UA server measured 282 MB RSS: room above that
_DEFAULT_CPU_CORES = 0.5
_DEFAULT_DISK_MB = 1024
_NAME = re.compile(r"^[a-z]([a-z0-9-]{0,40}[a-z0-9])?$")  # DNS-1035, short enough for the "-credentials" suffix
_LABEL_VALUE_BAD = re.compile(r"[^A-Za-z0-9_.-]")
_CONFIG_KEY = re.compile(r"^[-._a-zA-Z0-9]+$")


@dataclass(frozen=True)
class Deployment:
    """What a site chooses about one deployment of an app.

    ``name`` names every object (see :func:`check_name`) and, with ``mqtt_url``, the Sparkplug edge
    node (a pod's host name changes with every restart; an edge node's must not); ``image`` is the
    runtime image with the app (default :func:`default_image`); ``mqtt_url`` and ``site`` (the Sparkplug
    group) go to ``app run --mqtt``/``--site``; ``shadow`` runs the app with ``--shadow`` (device writes
    logged, not sent).
    """

    name: str
    image: str
    mqtt_url: str = ""
    site: str = ""
    shadow: bool = False
    service_type: str = "ClusterIP"

    @property
    def secret(self) -> str:
        return f"{self.name}-credentials"

    @property
    def config_map(self) -> str:
        return f"{self.name}-bindings"

    @property
    def devices_map(self) -> str:
        return f"{self.name}-devices"

    @property
    def claim(self) -> str:
        return f"{self.name}-data"


def default_name(manifest: AppManifest) -> str:
    """The objects' name from the app id's last label (``com.example.pump-efficiency`` → ``pump-efficiency``)."""
    name = manifest.id.rsplit(".", 1)[-1][:42].rstrip("-")
    check_name(name)
    return name


def check_name(name: str) -> None:
    """Refuse a name Kubernetes would refuse for a Service, with the rule."""
    if not _NAME.match(name):
        raise AppError(f"'{name}' cannot name Kubernetes objects: use lower-case letters, digits and '-', "
                       "starting with a letter and ending with a letter or digit, at most 42 characters")


def default_image(manifest: AppManifest) -> str:
    """``localhost/ID:VERSION``: where buildah and podman keep an image built on this machine."""
    return f"localhost/{manifest.id}:{_label_value(manifest.version)}"


def archive_path(manifest: AppManifest) -> str:
    """Where the image holds the app."""
    return f"{APP_DIR}/{manifest.id}-{manifest.version}.iapp"


def k8s_documents(manifest: AppManifest, bindings_text: str, deployment: Deployment,
                  devices: Mapping[str, str] | None = None) -> list[dict[str, Any]]:
    """ConfigMaps, PersistentVolumeClaim, Deployment and Service running ``manifest``'s app on these bindings.

    ``devices`` maps a device profile's file name (``plc-1.yaml``) to its text: the site's profiles,
    handed to ``app run --devices``; without them the runtime uses the profiles the app carries.
    """
    check_name(deployment.name)
    if deployment.service_type not in SERVICE_TYPES:
        raise AppError(f"service type '{deployment.service_type}' is not one of {', '.join(SERVICE_TYPES)}")
    devices = dict(devices or {})
    for file_name in devices:
        if not _CONFIG_KEY.match(file_name):
            raise AppError(f"device profile '{file_name}': a ConfigMap key allows only letters, digits, '-', '_' "
                           "and '.'; rename the file")
    labels = _labels(manifest, deployment)
    config = {"bindings.yaml": bindings_text}
    documents = [_config_map(deployment.config_map, labels, config)]
    if devices:
        documents.append(_config_map(deployment.devices_map, labels, devices))
    return [*documents, _claim(manifest, labels, deployment),
            _deployment(manifest, labels, {**config, **devices}, deployment, sorted(devices)),
            _service(labels, deployment)]


def validate_documents(documents: Sequence[dict[str, Any]],
                       versions: Sequence[str] = (OLDEST_KUBERNETES, kubernetes_validate.latest_version())) -> None:
    """Raise AppError naming the object, the field and the Kubernetes version when a schema rejects a document.

    Strict: a field the schema does not know is refused too (a typo would otherwise be dropped
    silently by the API server).
    """
    for document in documents:
        for version in versions:
            try:
                kubernetes_validate.validate(document, version, strict=True)
            except kubernetes_validate.ValidationError as exc:
                where = ".".join(str(part) for part in exc.path) or "the document"
                raise AppError(f"{document['kind']} {document['metadata']['name']}: {where}: {exc.message} "
                               f"(Kubernetes {exc.version} schema)") from None
            except (kubernetes_validate.SchemaNotFoundError, kubernetes_validate.utils.VersionNotSupportedError) as exc:
                raise AppError(f"{document['kind']} {document['metadata']['name']}: {exc.message}") from None


def dump_documents(documents: Sequence[dict[str, Any]]) -> str:
    """The documents as one multi-document YAML file; multi-line strings (the bindings) as literal blocks."""
    return yaml.dump_all(documents, Dumper=_BlockDumper, sort_keys=False, allow_unicode=True, width=120)


def _labels(manifest: AppManifest, deployment: Deployment) -> dict[str, str]:
    # Label values are limited to 63 characters of [A-Za-z0-9_.-]; the annotations carry the exact id and version.
    return {"app.kubernetes.io/name": deployment.name,
            "app.kubernetes.io/instance": deployment.name,
            "app.kubernetes.io/version": _label_value(manifest.version),
            "app.kubernetes.io/part-of": "millwright",
            "millwright.io/app-id": _label_value(manifest.id)}


def _label_value(text: str) -> str:
    return _LABEL_VALUE_BAD.sub("_", text)[:63].strip("_.-")


def _metadata(name: str, labels: dict[str, str], **extra: Any) -> dict[str, Any]:
    return {"name": name, "labels": dict(labels), **extra}


def _config_map(name: str, labels: dict[str, str], files: dict[str, str]) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": _metadata(name, labels), "data": dict(files)}


def _claim(manifest: AppManifest, labels: dict[str, str], deployment: Deployment) -> dict[str, Any]:
    size = int(manifest.resources.get("disk_mb") or _DEFAULT_DISK_MB)
    return {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": _metadata(deployment.claim, labels),
            "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": f"{size}Mi"}}}}


def _deployment(manifest: AppManifest, labels: dict[str, str], config: dict[str, str], deployment: Deployment,
                device_files: list[str]) -> dict[str, Any]:
    selector = {key: labels[key] for key in ("app.kubernetes.io/name", "app.kubernetes.io/instance")}
    identity = {"millwright.io/app-id": manifest.id, "millwright.io/app-version": manifest.version}
    annotations = {
        **identity,
        # Changed bindings or profiles change the pod template, so applying them restarts the runtime on them.
        "millwright.io/config-sha256": _digest(config),
        "prometheus.io/scrape": "true",
        "prometheus.io/port": str(DEFAULT_HEALTH_PORT),
        "prometheus.io/path": "/metrics",
    }
    pod = {
        "automountServiceAccountToken": False,  # the runtime never talks to the Kubernetes API
        "securityContext": {"runAsNonRoot": True, "runAsUser": RUNTIME_UID, "runAsGroup": RUNTIME_UID,
                            "fsGroup": RUNTIME_UID, "seccompProfile": {"type": "RuntimeDefault"}},
        "terminationGracePeriodSeconds": 10,  # the runtime ends within 5 s of SIGTERM
        "containers": [_container(manifest, deployment, bool(device_files))],
        "volumes": [
            {"name": "config", "projected": {"sources": _config_sources(deployment, device_files)}},
            {"name": "data", "persistentVolumeClaim": {"claimName": deployment.claim}},
            {"name": "tmp", "emptyDir": {"sizeLimit": "64Mi"}},
        ],
    }
    return {"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": _metadata(deployment.name, labels, annotations=identity),
            "spec": {"replicas": 1, "strategy": {"type": "Recreate"}, "selector": {"matchLabels": selector},
                     "template": {"metadata": {"labels": dict(labels), "annotations": annotations}, "spec": pod}}}


def _digest(files: dict[str, str]) -> str:
    digest = hashlib.sha256()
    for name in sorted(files):
        digest.update(f"{len(name)}:{name}{len(files[name])}:".encode() + files[name].encode("utf-8"))
    return digest.hexdigest()


def _config_sources(deployment: Deployment, device_files: list[str]) -> list[dict[str, Any]]:
    sources: list[dict[str, Any]] = [{"configMap": {"name": deployment.config_map}}]
    if device_files:
        sources.append({"configMap": {"name": deployment.devices_map,
                                      "items": [{"key": f, "path": f"devices/{f}"} for f in device_files]}})
    return sources


def _container(manifest: AppManifest, deployment: Deployment, site_devices: bool) -> dict[str, Any]:
    memory = f"{int(manifest.resources.get('memory_mb') or _DEFAULT_MEMORY_MB)}Mi"
    cpu = f"{round(float(manifest.resources.get('cpu_cores') or _DEFAULT_CPU_CORES) * 1000)}m"
    return {
        "name": "runtime",
        "image": deployment.image,
        "imagePullPolicy": "IfNotPresent",
        "args": run_arguments(manifest, deployment, site_devices),
        # Passwords only through the Secret: its name is here, its values never are.
        "envFrom": [{"secretRef": {"name": deployment.secret}}],
        "env": [{"name": "HOME", "value": "/tmp"}, {"name": "PYTHONDONTWRITEBYTECODE", "value": "1"},
                # Probes and Prometheus reach the pod from outside it (the OPC UA server listens on all already).
                {"name": HOST_ENV, "value": "0.0.0.0"}],
        "ports": [{"name": "opcua", "containerPort": OPCUA_PORT, "protocol": "TCP"},
                  {"name": "health", "containerPort": DEFAULT_HEALTH_PORT, "protocol": "TCP"}],
        "resources": {"requests": {"cpu": cpu, "memory": memory}, "limits": {"cpu": cpu, "memory": memory}},
        "securityContext": {"runAsNonRoot": True, "readOnlyRootFilesystem": True, "allowPrivilegeEscalation": False,
                            "privileged": False, "capabilities": {"drop": ["ALL"]}},
        "volumeMounts": [{"name": "config", "mountPath": CONFIG_DIR, "readOnly": True},
                         {"name": "data", "mountPath": DATA_DIR},
                         {"name": "tmp", "mountPath": "/tmp"}],
        # Verifying the app and connecting the devices can take a while: the startup probe covers it,
        # then a stuck loop (liveness) restarts the pod and a lost device (readiness) only unlists it.
        "startupProbe": _probe("/healthz", period=2, failures=60),
        "livenessProbe": _probe("/healthz", period=10, failures=3),
        "readinessProbe": _probe("/readyz", period=5, failures=2),
    }


def run_arguments(manifest: AppManifest, deployment: Deployment, site_devices: bool = False) -> list[str]:
    """``millwright``'s arguments in the container: ``app run`` on the image's app and the mounted bindings."""
    arguments = ["app", "run", archive_path(manifest), "--bind", f"{CONFIG_DIR}/bindings.yaml",
                 "--data", DATA_DIR, "--opcua-port", str(OPCUA_PORT), "--health-port", str(DEFAULT_HEALTH_PORT)]
    if site_devices:
        arguments += ["--devices", f"{CONFIG_DIR}/devices"]
    if deployment.mqtt_url:
        arguments += ["--mqtt", deployment.mqtt_url, "--edge-node", deployment.name]
        if deployment.site:
            arguments += ["--site", deployment.site]
    if deployment.shadow:
        arguments.append("--shadow")
    return arguments


def _probe(path: str, *, period: int, failures: int) -> dict[str, Any]:
    return {"httpGet": {"path": path, "port": "health"}, "periodSeconds": period, "timeoutSeconds": 3,
            "failureThreshold": failures}


def _service(labels: dict[str, str], deployment: Deployment) -> dict[str, Any]:
    selector = {key: labels[key] for key in ("app.kubernetes.io/name", "app.kubernetes.io/instance")}
    return {"apiVersion": "v1", "kind": "Service", "metadata": _metadata(deployment.name, labels),
            "spec": {"type": deployment.service_type, "selector": selector,
                     "ports": [{"name": "opcua", "port": OPCUA_PORT, "targetPort": "opcua", "protocol": "TCP"},
                               {"name": "metrics", "port": DEFAULT_HEALTH_PORT, "targetPort": "health",
                                "protocol": "TCP"}]}}


class _BlockDumper(yaml.SafeDumper):
    """Writes multi-line strings as ``|`` blocks, so the bindings read as the file they are."""


def _represent_str(dumper: yaml.SafeDumper, text: str) -> yaml.ScalarNode:
    style = "|" if "\n" in text else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", text, style=style)


_BlockDumper.add_representer(str, _represent_str)
