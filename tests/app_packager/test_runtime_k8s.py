"""``millwright app k8s``: manifests a cluster accepts, a locked-down pod, passwords only by reference."""

from __future__ import annotations

import dataclasses

import kubernetes_validate
import pytest
import yaml

from app_packager.archive import write_archive
from app_packager.errors import AppError
from app_packager.manifest import MANIFEST_NAME, parse_manifest
from app_packager.runtime.k8s import OLDEST_KUBERNETES, validate_documents
from nodes.resources import resources_dir
from tests.app_packager.test_verify import example_app_entries
from workbench.cli import build_parser, main

EXAMPLE = resources_dir() / "examples" / "pump_station"
# Comments, a Chinese note and a blank line: the ConfigMap must carry the file as written, not re-dumped.
BINDINGS = (EXAMPLE / "bindings.yaml").read_text(encoding="utf-8").replace(
    "schema_version: 1\n", "schema_version: 1\n\n# 二号泵站 (pump station 2)\n")
PASSWORD = "Pl4nt-Secr3t-never-in-yaml"


@pytest.fixture
def archive(tmp_path):
    """The example app with the resources a publisher declares."""
    entries = example_app_entries()
    manifest = parse_manifest(entries[MANIFEST_NAME].decode("utf-8"))
    manifest = dataclasses.replace(manifest, resources={"memory_mb": 512, "cpu_cores": 1.5, "disk_mb": 2048})
    entries[MANIFEST_NAME] = manifest.to_yaml().encode("utf-8")
    path = tmp_path / manifest.archive_name
    write_archive(path, entries)
    return path


@pytest.fixture
def bindings(tmp_path):
    path = tmp_path / "site" / "bindings.yaml"
    path.parent.mkdir()
    path.write_text(BINDINGS, encoding="utf-8")
    return path


def generate(capsys, tmp_path, archive, bindings, *options: str) -> tuple[int, str, str]:
    code = main(["app", "k8s", str(archive), "--bind", str(bindings), "-o", str(tmp_path / "out"), *options])
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return code, out, err


def by_kind(tmp_path, name: str = "pump-efficiency") -> dict[str, dict]:
    text = (tmp_path / "out" / f"{name}.yaml").read_text(encoding="utf-8")
    return {f"{d['kind']}/{d['metadata']['name']}": d for d in yaml.safe_load_all(text)}


def pod_of(documents: dict[str, dict]) -> dict:
    return documents["Deployment/pump-efficiency"]["spec"]["template"]["spec"]


@pytest.mark.parametrize("version", [OLDEST_KUBERNETES, kubernetes_validate.latest_version()])
def test_the_written_manifests_validate_against_the_kubernetes_schemas(capsys, tmp_path, archive, bindings, version):
    code, out, _ = generate(capsys, tmp_path, archive, bindings)
    assert code == 0, out
    documents = by_kind(tmp_path)
    assert sorted(documents) == ["ConfigMap/pump-efficiency-bindings", "Deployment/pump-efficiency",
                                 "PersistentVolumeClaim/pump-efficiency-data", "Service/pump-efficiency"]
    for document in documents.values():
        kubernetes_validate.validate(document, version, strict=True)


def test_the_pod_runs_non_root_read_only_without_capabilities(capsys, tmp_path, archive, bindings):
    assert generate(capsys, tmp_path, archive, bindings)[0] == 0
    pod = pod_of(by_kind(tmp_path))
    (container,) = pod["containers"]
    assert pod["securityContext"]["runAsNonRoot"] is True and pod["securityContext"]["runAsUser"] != 0
    assert container["securityContext"] == {"runAsNonRoot": True, "readOnlyRootFilesystem": True,
                                            "allowPrivilegeEscalation": False, "privileged": False,
                                            "capabilities": {"drop": ["ALL"]}}
    assert pod["automountServiceAccountToken"] is False
    writable = {m["mountPath"] for m in container["volumeMounts"] if not m.get("readOnly")}
    assert writable == {"/data", "/tmp"}


def test_probes_resources_volume_and_service_follow_the_app(capsys, tmp_path, archive, bindings):
    assert generate(capsys, tmp_path, archive, bindings, "--mqtt", "mqtts://broker.site:8883")[0] == 0
    documents = by_kind(tmp_path)
    (container,) = pod_of(documents)["containers"]
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    assert container["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "health"}
    assert container["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "health"}
    assert ports["opcua"] == 4840
    assert container["resources"]["limits"] == {"cpu": "1500m", "memory": "512Mi"}
    assert documents["PersistentVolumeClaim/pump-efficiency-data"]["spec"]["resources"]["requests"] == {
        "storage": "2048Mi"}
    assert container["args"][:5] == ["app", "run", "/app/org.millwright.examples.pump-efficiency-1.0.0.iapp",
                                      "--bind", "/config/bindings.yaml"]
    assert container["args"][container["args"].index("--health-port") + 1] == str(ports["health"])
    service_ports = {p["name"]: p["targetPort"] for p in documents["Service/pump-efficiency"]["spec"]["ports"]}
    assert service_ports == {"opcua": "opcua", "metrics": "health"}
    assert container["image"] == "localhost/org.millwright.examples.pump-efficiency:1.0.0"
    assert documents["Deployment/pump-efficiency"]["metadata"]["annotations"] == {
        "millwright.io/app-id": "org.millwright.examples.pump-efficiency", "millwright.io/app-version": "1.0.0"}


def test_passwords_are_referenced_by_secret_name_never_written(capsys, tmp_path, archive, bindings, monkeypatch):
    monkeypatch.setenv("MILLWRIGHT_DEVICE_PASSWORD_PUMP_STATION_OPCUA", PASSWORD)
    monkeypatch.setenv("MILLWRIGHT_MQTT_PASSWORD", PASSWORD)
    code, out, _ = generate(capsys, tmp_path, archive, bindings, "--name", "line-2-pump", "--mqtt", "mqtt://b:1883")
    assert code == 0
    text = (tmp_path / "out" / "line-2-pump.yaml").read_text(encoding="utf-8")
    assert PASSWORD not in text and PASSWORD not in out
    # The site is told which Secret to create and which variables the runtime reads from it.
    header = "".join(line[2:] + "\n" for line in text.splitlines() if line.startswith("# "))
    for told in (out, header):
        assert "kubectl create secret generic line-2-pump-credentials" in told
        for variable in ("MILLWRIGHT_OPCUA_USER", "MILLWRIGHT_OPCUA_PASSWORD", "MILLWRIGHT_MQTT_PASSWORD",
                         "MILLWRIGHT_DEVICE_PASSWORD_<DEVICE>"):
            assert f"--from-literal={variable}=..." in told
    documents = list(yaml.safe_load_all(text))
    assert "Secret" not in {d["kind"] for d in documents}
    (deployment,) = (d for d in documents if d["kind"] == "Deployment")
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    assert container["envFrom"] == [{"secretRef": {"name": "line-2-pump-credentials"}}]
    assert {e["name"] for e in container["env"]} == {"HOME", "PYTHONDONTWRITEBYTECODE", "MILLWRIGHT_HEALTH_HOST"}


def test_the_bindings_config_map_holds_the_file_as_written(capsys, tmp_path, archive, bindings):
    assert generate(capsys, tmp_path, archive, bindings)[0] == 0
    config_map = by_kind(tmp_path)["ConfigMap/pump-efficiency-bindings"]
    assert config_map["data"] == {"bindings.yaml": BINDINGS}


def test_site_device_profiles_go_to_a_config_map_the_runtime_is_pointed_at(capsys, tmp_path, archive, bindings):
    devices = tmp_path / "site" / "devices"
    devices.mkdir()
    profile = (EXAMPLE / "devices" / "pump_station_opcua.yaml").read_text(encoding="utf-8")
    (devices / "pump_station_opcua.yaml").write_text(profile.replace("127.0.0.1", "10.20.0.7"), encoding="utf-8")
    assert generate(capsys, tmp_path, archive, bindings, "--devices", str(devices))[0] == 0
    documents = by_kind(tmp_path)
    assert documents["ConfigMap/pump-efficiency-devices"]["data"] == {
        "pump_station_opcua.yaml": (devices / "pump_station_opcua.yaml").read_text(encoding="utf-8")}
    (container,) = pod_of(documents)["containers"]
    assert container["args"][container["args"].index("--devices") + 1] == "/config/devices"
    (config,) = (v for v in pod_of(documents)["volumes"] if v["name"] == "config")
    items = config["projected"]["sources"][1]["configMap"]["items"]
    assert items == [{"key": "pump_station_opcua.yaml", "path": "devices/pump_station_opcua.yaml"}]


def test_changed_bindings_change_the_pod_template_so_the_runtime_restarts_on_them(capsys, tmp_path, archive,
                                                                                 bindings):
    def digest() -> str:
        assert generate(capsys, tmp_path, archive, bindings)[0] == 0
        return pod_template_annotations(by_kind(tmp_path))["millwright.io/config-sha256"]

    before = digest()
    bindings.write_text(BINDINGS.replace("point: flow", "point: flow_line_2"), encoding="utf-8")
    assert digest() != before


def pod_template_annotations(documents: dict[str, dict]) -> dict[str, str]:
    return documents["Deployment/pump-efficiency"]["spec"]["template"]["metadata"]["annotations"]


def test_bindings_that_do_not_fit_the_inputs_are_refused_and_nothing_is_written(capsys, tmp_path, archive,
                                                                              bindings):
    bindings.write_text(BINDINGS.replace("unit: bar", "unit: degC"), encoding="utf-8")
    code, _, err = generate(capsys, tmp_path, archive, bindings)
    assert code == 1
    assert "discharge_pressure" in err and "degC" in err and str(bindings) in err
    assert not (tmp_path / "out").exists()


def test_a_name_kubernetes_would_refuse_is_refused(capsys, tmp_path, archive, bindings):
    code, _, err = generate(capsys, tmp_path, archive, bindings, "--name", "Pump_Station")
    assert code == 1
    assert "'Pump_Station' cannot name Kubernetes objects" in err


def test_a_manifest_the_schema_rejects_is_refused_naming_the_field(capsys, tmp_path, archive, bindings):
    assert generate(capsys, tmp_path, archive, bindings)[0] == 0
    documents = by_kind(tmp_path)
    pod_of(documents)["containers"][0]["securityContext"]["runAsNonroot"] = True  # a typo the API would drop
    with pytest.raises(AppError, match=r"Deployment pump-efficiency: spec\.template\.spec\.containers\.0\."
                                       r"securityContext: .*'runAsNonroot' was unexpected"):
        validate_documents(list(documents.values()))


def test_the_container_arguments_are_what_app_run_accepts(capsys, tmp_path, archive, bindings):
    devices = tmp_path / "site" / "devices"
    devices.mkdir()
    (devices / "plc.yaml").write_text((EXAMPLE / "devices" / "pump_station_opcua.yaml").read_text(encoding="utf-8"),
                                      encoding="utf-8")
    assert generate(capsys, tmp_path, archive, bindings, "--devices", str(devices), "--shadow",
                    "--mqtt", "mqtts://broker.site:8883", "--site", "shanghai-plant-2")[0] == 0
    (container,) = pod_of(by_kind(tmp_path))["containers"]
    parsed = build_parser().parse_args(container["args"])
    assert (parsed.action, str(parsed.app), str(parsed.bind), str(parsed.devices), str(parsed.data)) == (
        "run", "/app/org.millwright.examples.pump-efficiency-1.0.0.iapp", "/config/bindings.yaml",
        "/config/devices", "/data")
    assert parsed.shadow is True
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    assert (parsed.health_port, parsed.opcua_port) == (ports["health"], ports["opcua"])
    # The pod's host name changes with every restart; the Sparkplug edge node must not.
    assert (parsed.mqtt, parsed.site, parsed.edge_node) == ("mqtts://broker.site:8883", "shanghai-plant-2",
                                                            "pump-efficiency")
