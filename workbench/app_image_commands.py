"""``millwright app image``: an OCI image of the headless runtime with one app, built without Docker."""

from __future__ import annotations

import argparse
from pathlib import Path

from workbench.app_commands import reporting_errors
from workbench.app_sign_commands import add_trust_options, trusted_from


def register(actions: argparse._SubParsersAction) -> None:
    """Add ``image`` to ``millwright app``."""
    image = actions.add_parser(
        "image", help="build a container image that runs an app (buildah, no Docker)",
        description="Verify the app and build an OCI image that runs it with 'millwright app run': a minimal "
                    "Debian root made by mmdebstrap (cached), a virtual environment with the runtime, and the app "
                    "at /app/ID-VERSION.iapp with its publisher's key as the only trusted one. The image runs as a "
                    "non-root user, writes only to the /data volume, reads the site's bindings from "
                    "/config/bindings.yaml and exposes OPC UA (4840) and health/metrics. Needs Debian's buildah "
                    "and mmdebstrap; nothing is pulled from a registry. Load the archive with "
                    "'podman load -i FILE' or give it to a cluster's image store.")
    image.add_argument("file", type=Path, metavar="FILE.iapp")
    image.add_argument("-o", "--output", type=Path, metavar="OUT.tar",
                       help="the OCI archive to write (default: ID-VERSION.oci.tar in the current folder)")
    image.add_argument("--tag", metavar="NAME",
                       help="also keep the image in buildah's local storage under this name "
                            "(e.g. localhost/ID:VERSION, the image 'app k8s' names by default)")
    image.add_argument("--base-cache", type=Path, metavar="DIR",
                       help="where the Debian root is kept between builds (default: the user's cache folder)")
    add_trust_options(image)
    image.set_defaults(handler=reporting_errors(app_image))


def app_image(args: argparse.Namespace) -> int:
    from app_packager.image import ImageRequest, build_image

    request = ImageRequest(args.file, output=args.output, tag=args.tag, base_cache=args.base_cache,
                           trusted=trusted_from(args), allow_unsigned=args.allow_unsigned)
    try:
        built = build_image(request, progress=lambda line: print(line, flush=True))
    except KeyboardInterrupt:
        print("millwright: image build cancelled")
        return 130
    where = f", and as {built.tag} in buildah's storage" if built.tag else ""
    print(f"Wrote {built.path} ({built.size / 1e6:.0f} MB){where}; the app is at {built.app_path}")
    return 0
