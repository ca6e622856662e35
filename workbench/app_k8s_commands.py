"""``millwright app k8s``: Kubernetes manifests that run an app's image on a site's bindings."""

from __future__ import annotations

import argparse
from pathlib import Path

from workbench.app_commands import reporting_errors


def register(actions: argparse._SubParsersAction) -> None:
    """Add ``k8s`` to ``millwright app``."""
    k8s = actions.add_parser(
        "k8s", help="write Kubernetes manifests that run an app on a site's bindings",
        description="Write NAME.yaml for 'kubectl apply -f': a ConfigMap with the bindings (and the site's "
                    "device profiles), a volume claim for the certificate, state and store-and-forward buffer, a "
                    "Deployment of the runtime image (non-root, read-only root filesystem, probes on the health "
                    "endpoint) and a Service for OPC UA and metrics. The bindings are checked against the app's "
                    "inputs and the manifests against the Kubernetes schemas; nothing is written when either "
                    "fails. Passwords are never written: the pod reads them from the Secret NAME-credentials, "
                    "which the site creates. The runtime verifies the app's signature when it starts.")
    k8s.add_argument("file", type=Path, metavar="FILE.iapp")
    k8s.add_argument("--bind", type=Path, required=True, metavar="BINDINGS.yaml", help="the site's bindings")
    k8s.add_argument("--devices", type=Path, metavar="DIR",
                     help="the site's device profiles (*.yaml); default: the profiles the app carries")
    k8s.add_argument("--name", help="names the Kubernetes objects (default: the app id's last part)")
    k8s.add_argument("--image", help="the runtime image with the app (default: localhost/ID:VERSION, as "
                                     "'millwright app image' tags it)")
    k8s.add_argument("--mqtt", metavar="URL", default="", help="the Sparkplug broker, passed to 'app run --mqtt'")
    k8s.add_argument("--site", default="", help="the Sparkplug group, passed to 'app run --site' (the edge node "
                                                "is NAME)")
    k8s.add_argument("--shadow", action="store_true", help="log device writes instead of sending them")
    k8s.add_argument("--service-type", default="ClusterIP", choices=("ClusterIP", "NodePort", "LoadBalancer"),
                     help="how clients outside the cluster reach OPC UA and metrics (default: ClusterIP)")
    k8s.add_argument("-o", "--output", type=Path, default=Path(), metavar="DIR",
                     help="where NAME.yaml goes (default: the current folder)")
    k8s.set_defaults(handler=reporting_errors(app_k8s))


def app_k8s(args: argparse.Namespace) -> int:
    from app_packager.errors import AppError
    from app_packager.install import binding_problems
    from app_packager.publish import read_archive
    from app_packager.runtime.k8s import (
        Deployment,
        check_name,
        default_image,
        default_name,
        dump_documents,
        k8s_documents,
        validate_documents,
    )
    from device_browser.yaml_source import read_source

    manifest = read_archive(args.file).manifest
    bindings = read_source(args.bind, AppError)
    problems = binding_problems(manifest, bindings, args.bind)
    if problems:
        raise AppError(f"{args.bind}: {manifest.id} {manifest.version} cannot run on these bindings:\n  "
                       + "\n  ".join(problems))
    name = args.name or default_name(manifest)
    check_name(name)
    deployment = Deployment(name, args.image or default_image(manifest), mqtt_url=args.mqtt, site=args.site,
                            shadow=args.shadow,
                            service_type=args.service_type)
    documents = k8s_documents(manifest, bindings, deployment, _device_profiles(args.devices))
    validate_documents(documents)
    target = args.output / f"{name}.yaml"
    hint = _secret_hint(deployment.secret, bool(args.mqtt))
    try:
        args.output.mkdir(parents=True, exist_ok=True)
        header = "".join(f"# {line}\n" for line in hint.splitlines())
        target.write_text(header + dump_documents(documents), encoding="utf-8")
    except OSError as exc:
        raise AppError(f"{target}: cannot be written ({exc.strerror or exc})") from None
    print(f"Wrote {target}: {', '.join(d['kind'] + ' ' + d['metadata']['name'] for d in documents)}")
    print(f"Before 'kubectl apply -f {target}':\n{hint}")
    return 0


def _secret_hint(secret: str, mqtt: bool) -> str:
    """How a site creates the Secret the pod reads its passwords from: the variables the runtime reads."""
    from app_packager.runtime import opcua_server
    from app_packager.runtime.core import PASSWORD_VARIABLE
    from device_browser.sparkplug import broker

    variables = [opcua_server.USER_ENV, opcua_server.PASSWORD_ENV]
    if mqtt:
        variables += [broker.USERNAME_ENV, broker.PASSWORD_ENV]
    literals = "".join(f" \\\n    --from-literal={variable}=..." for variable in variables)
    device = PASSWORD_VARIABLE.format("<DEVICE>")
    return (f"Create the Secret with the passwords the runtime reads (never kept in these manifests):\n"
            f"  kubectl create secret generic {secret}{literals}\n"
            f"and for each device that logs in with a user, --from-literal={device}=... (<DEVICE>: the "
            f"device id in capitals, other characters as _).")


def _device_profiles(folder: Path | None) -> dict[str, str]:
    """File name → text of each profile in ``folder`` (none without a folder)."""
    from app_packager.errors import AppError
    from device_browser.yaml_source import read_source

    if folder is None:
        return {}
    profiles = {path.name: read_source(path, AppError) for path in sorted(folder.glob("*.yaml"))}
    if not profiles:
        raise AppError(f"{folder}: no device profiles (*.yaml) in this folder")
    return profiles
