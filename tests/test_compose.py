"""docker-compose.yml and its Dockerfile, checked without a Docker engine: the file against the
compose-spec JSON schema (the copy check-jsonschema ships), then what the deployment relies on."""

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.conftest import REPO

COMPOSE_FILE = REPO / "docker-compose.yml"
DOCKERFILE = REPO / "Dockerfile"
CHECK_JSONSCHEMA = str(Path(sys.executable).with_name("check-jsonschema"))
WAREHOUSE = "/opt/paperpulse/warehouse"
AIRFLOW_SERVICES = {
    "airflow-apiserver": "api-server",
    "airflow-scheduler": "scheduler",
    "airflow-dag-processor": "dag-processor",
    "airflow-triggerer": "triggerer",
    "airflow-worker": "celery worker",
}


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load(COMPOSE_FILE.read_text())  # resolves the anchors and `<<` merges


@pytest.fixture(scope="module")
def services(compose) -> dict:
    return compose["services"]


def env(service: dict) -> dict:
    return service.get("environment") or {}


def mounts(service: dict) -> dict[str, str]:
    """target path -> source[:mode] of a service's short-syntax volumes."""
    found = {}
    for volume in service.get("volumes", []):
        source, target, *mode = volume.split(":")
        found[target] = ":".join([source, *mode])
    return found


def test_the_file_follows_the_compose_spec():
    completed = subprocess.run(
        [CHECK_JSONSCHEMA, "--builtin-schema", "vendor.compose-spec", str(COMPOSE_FILE)],
        capture_output=True,
        text=True,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr


def test_the_services_of_airflows_celery_deployment(services):
    assert set(services) == {"postgres", "redis", "airflow-init", "dashboard", *AIRFLOW_SERVICES}
    for name, command in AIRFLOW_SERVICES.items():
        assert services[name]["command"] == command, name
    for name, service in services.items():
        assert "image" in service or "build" in service, name
        if name != "airflow-init":
            assert "healthcheck" in service, name


def test_every_airflow_service_runs_the_project_image_with_one_configuration(services):
    airflow_like = [*AIRFLOW_SERVICES, "airflow-init", "dashboard"]
    for name in airflow_like:
        assert services[name]["build"] == ".", name
        assert not any(key.startswith("_PIP_ADDITIONAL") for key in env(services[name])), name
    reference = env(services["airflow-scheduler"])
    assert reference["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor"
    assert "@postgres/" in reference["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"]
    assert reference["AIRFLOW__CELERY__RESULT_BACKEND"].startswith("db+postgresql+psycopg2://")
    assert reference["AIRFLOW__CELERY__BROKER_URL"].startswith("redis://:@redis:")
    assert reference["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"].startswith("http://airflow-apiserver:8080/")
    assert reference["PAPERPULSE_HOME"] == WAREHOUSE
    for name in AIRFLOW_SERVICES:
        for key in ("AIRFLOW__CORE__EXECUTOR", "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN", "AIRFLOW_CONFIG"):
            assert env(services[name])[key] == reference[key], (name, key)


def test_depends_on_names_existing_services_and_nothing_waits_on_itself(services):
    for name, service in services.items():
        needs = service.get("depends_on", {})
        assert set(needs) <= set(services) - {name}, name
    assert services["airflow-worker"]["depends_on"]["airflow-init"]["condition"] == (
        "service_completed_successfully"
    )


def test_workers_scale_and_share_the_warehouse_volume(compose, services):
    worker = services["airflow-worker"]
    assert "container_name" not in worker and "ports" not in worker  # both would stop --scale
    assert "warehouse" in compose["volumes"]
    for name in ("airflow-scheduler", "airflow-worker", "airflow-dag-processor", "airflow-triggerer"):
        assert mounts(services[name])[WAREHOUSE] == "warehouse", name
    assert mounts(services["dashboard"])[WAREHOUSE] == "warehouse:ro"
    for name, service in services.items():
        for source in mounts(service).values():
            assert source.split(":")[0] in compose["volumes"], (name, source)  # named volumes only


def test_init_migrates_and_creates_the_admin_password_and_the_build_pool(services):
    script = "\n".join(services["airflow-init"]["command"])
    assert "airflow db migrate" in script
    assert re.search(r"airflow pools set paperpulse_build 1\b", script)
    assert "passwords.json" in script and env(services["airflow-init"])["_AIRFLOW_WWW_USER_PASSWORD"]


def test_service_commands_are_commands_of_this_airflow(services, tmp_path):
    """Each Airflow service's command parses with the installed Airflow's own CLI parser
    (the Celery commands only exist with the Celery provider and executor configured)."""
    commands = [services[name]["command"].split() for name in AIRFLOW_SERVICES]
    script = (
        "import sys, json\n"
        "from airflow.cli.cli_parser import get_parser\n"
        "for command in json.loads(sys.argv[1]):\n"
        "    get_parser().parse_args(command)\n"
    )
    completed = subprocess.run(
        [sys.executable, "-c", script, json.dumps(commands)],
        env={
            "PATH": "/usr/bin:/bin",
            "AIRFLOW_HOME": str(tmp_path),
            "AIRFLOW__CORE__EXECUTOR": "CeleryExecutor",
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        },
        capture_output=True,
        text=True,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]


def test_the_dockerfile_installs_the_locked_dependencies_and_the_project():
    text = DOCKERFILE.read_text()
    base = re.search(r"^FROM (\S+)", text, re.MULTILINE).group(1)
    assert base.startswith(("python:3.11", "apache/airflow:3.3.2-python3.11")), base
    assert "pip install -r requirements.lock" in text
    assert re.search(r"pip install --no-deps -e \.", text)
    assert f"PAPERPULSE_HOME={WAREHOUSE}" in text
    ignored = (REPO / ".dockerignore").read_text().split()
    assert {".venv", "warehouse", ".git"} <= set(ignored)


def interpolated(node, host_env: dict[str, str]):
    """The parsed file as Compose runs it: `${VAR}`, `${VAR:-default}` and `$$` in every string replaced,
    given the host's variables (after parsing, as Compose does: a value stays a string)."""

    def value(match: re.Match) -> str:
        if match[0] == "$$":
            return "$"
        return host_env.get(match[1]) or (match[2] or "")

    if isinstance(node, dict):
        return {key: interpolated(item, host_env) for key, item in node.items()}
    if isinstance(node, list):
        return [interpolated(item, host_env) for item in node]
    return re.sub(r"\$\$|\$\{(\w+)(?::-([^}]*))?\}", value, node) if isinstance(node, str) else node


def services_for(host_env: dict[str, str]) -> dict:
    return interpolated(yaml.safe_load(COMPOSE_FILE.read_text()), host_env)["services"]


def published_ports(host_env: dict[str, str]) -> dict[str, list[str]]:
    return {name: service["ports"] for name, service in services_for(host_env).items() if "ports" in service}


def test_only_the_ui_and_the_dashboard_publish_ports_and_on_localhost_by_default():
    assert published_ports({}) == {
        "airflow-apiserver": ["127.0.0.1:8080:8080"],
        "dashboard": ["127.0.0.1:8501:8501"],
    }
    assert published_ports({"PAPERPULSE_BIND_ADDRESS": "0.0.0.0"}) == {
        "airflow-apiserver": ["0.0.0.0:8080:8080"],
        "dashboard": ["0.0.0.0:8501:8501"],
    }


def run_init(tmp_path: Path, host_env: dict[str, str]) -> tuple[subprocess.CompletedProcess, Path]:
    """airflow-init's script as Compose would run it (its environment from the file and `host_env`),
    with `airflow` and `chown` stubbed to record their calls and the volumes under tmp_path."""
    init = services_for(host_env)["airflow-init"]
    assert init["entrypoint"] == "/bin/bash"
    script = init["command"][-1].replace("/opt/airflow", str(tmp_path / "opt-airflow"))
    (tmp_path / "opt-airflow" / "config").mkdir(parents=True)
    stubs = tmp_path / "bin"
    stubs.mkdir()
    calls = tmp_path / "calls.log"
    for command in ("airflow", "chown"):
        (stubs / command).write_text(f'#!/bin/sh\necho "{command} $*" >> {calls}\n')
        (stubs / command).chmod(0o755)
    (stubs / "python").symlink_to(sys.executable)
    environment = {key: str(value) for key, value in init["environment"].items()}
    completed = subprocess.run(
        ["/bin/bash", *init["command"][:-1], script],
        env={**environment, "PATH": f"{stubs}:/usr/bin:/bin"},
        capture_output=True,
        text=True,
    )
    return completed, calls


def test_init_refuses_the_default_admin_password_unless_this_is_a_local_try(tmp_path):
    refused, calls = run_init(tmp_path / "default", {})
    assert refused.returncode == 1
    assert refused.stderr.startswith(
        "airflow-init: refusing to start Airflow with the default admin password (airflow/airflow).\n"
    )
    assert "PAPERPULSE_LOCAL_TRY=true" in refused.stderr
    assert not calls.exists()  # nothing ran: no migration, no password file
    services = yaml.safe_load(COMPOSE_FILE.read_text())["services"]
    for name, service in services.items():  # so nothing that listens starts either
        if name not in ("postgres", "redis", "airflow-init"):
            assert service["depends_on"]["airflow-init"]["condition"] == "service_completed_successfully", (
                name
            )

    tried, calls = run_init(tmp_path / "try", {"PAPERPULSE_LOCAL_TRY": "true"})
    assert tried.returncode == 0, tried.stderr
    assert "airflow db migrate" in calls.read_text()
    passwords = tmp_path / "try" / "opt-airflow" / "config" / "passwords.json"
    assert json.loads(passwords.read_text()) == {"airflow": "airflow"}

    chosen = 'a "quoted" p\\ssword'
    deployed, calls = run_init(
        tmp_path / "chosen", {"_AIRFLOW_WWW_USER_USERNAME": "ana", "_AIRFLOW_WWW_USER_PASSWORD": chosen}
    )
    assert deployed.returncode == 0, deployed.stderr
    passwords = tmp_path / "chosen" / "opt-airflow" / "config" / "passwords.json"
    assert json.loads(passwords.read_text()) == {"ana": chosen}
