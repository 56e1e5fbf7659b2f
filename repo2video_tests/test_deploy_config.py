"""The deployment files (deploy/) agree with each other, with the project, and load for real.

- compose.yaml validates with ``docker-compose config`` (Debian's docker-compose),
  refuses to start without its secrets, and names the network and volume the run
  launcher uses;
- deploy/dagster.yaml loads into a ``DagsterInstance`` against a real PostgreSQL
  database (a throw-away one), every class resolving: Postgres storages on psycopg2,
  ``DockerRunLauncher``, the queued coordinator with the project's limits;
- every variable the launcher passes by name is set in the daemon's environment, and
  every variable the instance config reads reaches the run containers (a run container
  rebuilds the whole instance: a missing one failed every run when first tried);
- the Dockerfile installs what ``make setup`` installs, in the same way.

The multi-process checks of the same files are in test_deploy_service.py and
test_deploy_postgres_restart.py (``make check-deploy``).
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from repo2video_devtools.deploy.compose import (
    CODE_PORT,
    CODE_SERVICE,
    CONTAINER_DATA,
    CONTAINER_HOME,
    DAGSTER_YAML,
    DOCKERFILE,
    IMAGE_SCRIPTS,
    WORKSPACE_YAML,
    Localizer,
    compose_config,
    dockerfile_env,
    write_env_file,
)
from repo2video_devtools.deploy.postgres import PostgresServer, server_for_tests
from repo2video_devtools.reliability.procs import PROJECT

REQUIRED_ENV = {
    "POSTGRES_PASSWORD": "pw-0c1e",
    "DOCKER_GID": "998",
    "REPO2VIDEO_WEBHOOK_SECRET": "hook-secret-77a1",
}
DAGSTER_SERVICES = ("init-storage", "code-location", "webserver", "daemon", "receiver")


@pytest.fixture(scope="module")
def compose(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    env_file = write_env_file(tmp_path_factory.mktemp("compose") / "deploy.env", REQUIRED_ENV)
    return compose_config(env_file)


@pytest.fixture(scope="module")
def instance_config() -> dict[str, Any]:
    return yaml.safe_load(DAGSTER_YAML.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def postgres() -> Iterator[PostgresServer]:
    with server_for_tests() as server:
        yield server


def _env_names(node: Any) -> set[str]:
    """Every ``{env: NAME}`` in a Dagster config tree."""
    if isinstance(node, dict):
        if set(node) == {"env"}:
            return {node["env"]}
        return set().union(*(_env_names(v) for v in node.values())) if node else set()
    if isinstance(node, list):
        return set().union(*(_env_names(v) for v in node)) if node else set()
    return set()


def _mounts(service: dict[str, Any]) -> list[tuple[str, str]]:
    """(source, target) of a service's volumes, from the short or the long syntax."""
    out = []
    for mount in service.get("volumes", []):
        if isinstance(mount, str):
            source, target = mount.split(":")[:2]
        else:
            source, target = mount["source"], mount["target"]
        out.append((source, target))
    return out


def _published_host_ips(service: dict[str, Any]) -> list[str]:
    """The host address of each published port (short ``ip:host:container`` or long syntax)."""
    out = []
    for port in service.get("ports", []):
        out.append(port.split(":")[0] if isinstance(port, str) else str(port.get("host_ip", "")))
    return out


# ---- compose.yaml ------------------------------------------------------------------


def test_compose_file_validates_with_every_service(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert set(services) == {"postgres", *DAGSTER_SERVICES}
    image = services["code-location"]["image"]
    assert "build" in services["code-location"]
    for name in DAGSTER_SERVICES:
        assert services[name]["image"] == image, name
    assert services["code-location"]["environment"]["DAGSTER_CURRENT_IMAGE"] == image
    commands = {name: services[name]["command"] for name in DAGSTER_SERVICES}
    assert commands["code-location"][:3] == ["dagster", "code-server", "start"]
    assert commands["webserver"][0] == "dagster-webserver"
    assert commands["daemon"][:2] == ["dagster-daemon", "run"]
    assert commands["receiver"][:3] == ["repo2video", "webhook", "serve"]
    assert commands["init-storage"] == [next(iter(IMAGE_SCRIPTS))]
    # Everything waits for the tables; the UI and daemon for a healthy code location.
    assert services["init-storage"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    for name in ("code-location", "receiver"):
        assert (
            services[name]["depends_on"]["init-storage"]["condition"]
            == "service_completed_successfully"
        )
    for name in ("webserver", "daemon"):
        assert services[name]["depends_on"]["code-location"]["condition"] == "service_healthy"
    for name in DAGSTER_SERVICES[1:]:
        assert services[name]["restart"] == "unless-stopped", name
        assert services[name]["healthcheck"]["test"][0] == "CMD", name


@pytest.mark.parametrize("missing", sorted(REQUIRED_ENV))
def test_compose_refuses_to_run_without_its_secrets(tmp_path: Path, missing: str) -> None:
    values = {k: v for k, v in REQUIRED_ENV.items() if k != missing}
    env_file = write_env_file(tmp_path / "deploy.env", values)
    with pytest.raises(RuntimeError, match=missing):
        compose_config(env_file)


def _holders(compose: dict[str, Any], name: str) -> list[str]:
    return sorted(n for n, s in compose["services"].items() if name in (s.get("environment") or {}))


def test_each_secret_goes_only_where_it_is_used(compose: dict[str, Any]) -> None:
    assert _holders(compose, "REPO2VIDEO_WEBHOOK_SECRET") == ["receiver"]
    # Render secrets: the daemon holds them only to pass them to run containers.
    assert _holders(compose, "REPO2VIDEO_LLM_API_KEY") == ["daemon"]
    assert _holders(compose, "GITHUB_TOKEN") == ["daemon"]


def test_only_the_receiver_and_the_ui_are_published_on_loopback(compose: dict[str, Any]) -> None:
    published = {
        name: _published_host_ips(service)
        for name, service in compose["services"].items()
        if "ports" in service
    }
    assert published == {"webserver": ["127.0.0.1"], "receiver": ["127.0.0.1"]}


# ---- dagster.yaml and compose.yaml together ---------------------------------------


def test_launcher_variables_are_set_in_the_daemon(
    compose: dict[str, Any], instance_config: dict[str, Any]
) -> None:
    """DockerRunLauncher reads each name from the daemon's environment; a missing one fails the launch."""
    env_vars = instance_config["run_launcher"]["config"]["env_vars"]
    assert all("=" not in name for name in env_vars), "values must not be written in the file"
    daemon_env = compose["services"]["daemon"]["environment"]
    assert sorted(set(env_vars) - set(daemon_env)) == []
    # The run settings a team sets for renders reach the runs.
    settings = {
        k
        for k in compose["services"]["code-location"]["environment"]
        if k.startswith("REPO2VIDEO_")
    }
    settings -= {"REPO2VIDEO_EVENTS_URL"}  # the receiver's and the sensor's; runs do not read it
    assert sorted(settings - set(env_vars)) == []


def test_run_containers_get_every_variable_the_instance_config_reads(
    compose: dict[str, Any], instance_config: dict[str, Any]
) -> None:
    needed = _env_names(instance_config)
    assert "DAGSTER_POSTGRES_PASSWORD" in needed
    env_vars = set(instance_config["run_launcher"]["config"]["env_vars"])
    assert sorted(needed - env_vars) == []
    for name in DAGSTER_SERVICES:
        env = compose["services"][name]["environment"]
        assert sorted(needed - set(env)) == [], name


def test_launcher_network_and_volume_are_the_compose_ones(
    compose: dict[str, Any], instance_config: dict[str, Any]
) -> None:
    launcher = instance_config["run_launcher"]["config"]
    assert launcher["network"] == compose["networks"]["default"]["name"]
    volume = compose["volumes"]["data"]["name"]
    assert f"{volume}:{CONTAINER_DATA}" in launcher["container_kwargs"]["volumes"]
    for name in ("code-location", "webserver", "daemon"):
        assert ("data", CONTAINER_DATA) in _mounts(compose["services"][name]), name
    assert dockerfile_env()["REPO2VIDEO_DATA_DIR"] == CONTAINER_DATA
    # Compute logs and artifacts on the shared volume, so the UI shows what runs wrote.
    assert instance_config["compute_logs"]["config"]["base_dir"].startswith(CONTAINER_DATA + "/")
    assert instance_config["local_artifact_storage"]["config"]["base_dir"].startswith(
        CONTAINER_DATA + "/"
    )


def test_workspace_points_at_the_code_location_service(compose: dict[str, Any]) -> None:
    workspace = yaml.safe_load(WORKSPACE_YAML.read_text(encoding="utf-8"))
    [entry] = workspace["load_from"]
    server = entry["grpc_server"]
    command = compose["services"][CODE_SERVICE]["command"]
    assert server["host"] == CODE_SERVICE
    assert server["port"] == CODE_PORT == int(command[command.index("-p") + 1])
    assert server["location_name"] == command[command.index("--location-name") + 1]
    home = dockerfile_env()["DAGSTER_HOME"]
    assert home == CONTAINER_HOME
    for name in ("webserver", "daemon"):
        command = compose["services"][name]["command"]
        assert command[command.index("-w") + 1] == f"{home}/workspace.yaml", name


def test_queue_retries_and_monitoring_match_the_project(instance_config: dict[str, Any]) -> None:
    project = yaml.safe_load((PROJECT / "dagster.yaml").read_text(encoding="utf-8"))
    deploy_queue = instance_config["run_coordinator"]["config"]
    assert deploy_queue["max_concurrent_runs"] == {"env": "REPO2VIDEO_MAX_CONCURRENT_RUNS"}
    assert (
        deploy_queue["tag_concurrency_limits"]
        == project["run_coordinator"]["config"]["tag_concurrency_limits"]
    )
    assert instance_config["run_retries"] == project["run_retries"]
    assert instance_config["run_monitoring"] == project["run_monitoring"]


# ---- the instance, loaded for real -------------------------------------------------


def test_deployment_instance_loads_against_postgres(
    tmp_path: Path,
    compose: dict[str, Any],
    postgres: PostgresServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from dagster import DagsterInstance
    from dagster._core.run_coordinator import QueuedRunCoordinator
    from dagster_docker import DockerRunLauncher
    from dagster_postgres import (
        PostgresEventLogStorage,
        PostgresRunStorage,
        PostgresScheduleStorage,
    )

    project = yaml.safe_load((PROJECT / "dagster.yaml").read_text(encoding="utf-8"))
    with postgres.database() as db:
        localizer = Localizer(tmp_path / "home", tmp_path / "data", db.host, db.port, {})
        (tmp_path / "home").mkdir()
        (tmp_path / "home" / "dagster.yaml").write_text(localizer.instance_yaml(), "utf-8")
        env = localizer.environment(compose["services"]["daemon"]["environment"])
        env.update(DAGSTER_POSTGRES_USER=db.user, DAGSTER_POSTGRES_DB=db.name)
        for key, value in env.items():
            monkeypatch.setenv(key, value)
        with DagsterInstance.from_config(str(tmp_path / "home")) as instance:
            assert isinstance(instance.run_storage, PostgresRunStorage)
            assert isinstance(instance.event_log_storage, PostgresEventLogStorage)
            assert isinstance(instance.schedule_storage, PostgresScheduleStorage)
            for storage in (instance.run_storage, instance.event_log_storage):
                assert storage._engine.dialect.driver == "psycopg2"  # the driver in the lock
            launcher = instance.run_launcher
            assert isinstance(launcher, DockerRunLauncher)
            assert launcher.networks == [compose["networks"]["default"]["name"]]
            coordinator = instance.run_coordinator
            assert isinstance(coordinator, QueuedRunCoordinator)
            assert (
                coordinator.get_run_queue_config().max_concurrent_runs
                == (project["run_coordinator"]["config"]["max_concurrent_runs"])
            )
            assert instance.run_retries_enabled
            assert instance.run_retries_max_retries == project["run_retries"]["max_retries"]
            assert instance.run_monitoring_enabled
            assert instance.run_storage.get_runs() == []
            assert str(tmp_path / "data") in instance.compute_log_manager._base_dir  # noqa: SLF001


# ---- the image ---------------------------------------------------------------------


def _dockerfile_instructions() -> list[str]:
    text = DOCKERFILE.read_text(encoding="utf-8")
    joined = re.sub(r"\\\n\s*", " ", text)
    return [
        line.strip() for line in joined.splitlines() if line.strip() and not line.startswith("#")
    ]


def test_dockerfile_installs_what_make_setup_installs() -> None:
    instructions = _dockerfile_instructions()
    text = "\n".join(instructions)
    makefile = (PROJECT / "Makefile").read_text(encoding="utf-8")
    torch_pin = re.search(r"pip install -q (torch==[\w.]+)", makefile).group(1)
    assert f"ARG TORCH_VERSION={torch_pin.split('==')[1]}" in text
    torch_at = text.index('"torch==${TORCH_VERSION}"')
    lock_at = text.index("pip install --no-deps -r /src/requirements.lock")
    package_at = text.index("pip install --no-deps --no-build-isolation /src")
    assert torch_at < lock_at < package_at
    setup = (PROJECT / "scripts" / "setup-system.sh").read_text(encoding="utf-8")
    # docker-compose checks the compose file; openssl makes the tests' throw-away CA.
    wanted = set(re.findall(r"need\+=\(([\w-]+)\)", setup)) - {"docker-compose", "openssl"}
    apt_line = next(i for i in instructions if "apt-get install" in i)
    assert sorted(wanted - set(shlex.split(apt_line))) == []
    assert "repo2video doctor" in text  # models and tools verified at build time


def test_image_runs_as_a_user_with_home_data_and_a_healthcheck() -> None:
    instructions = _dockerfile_instructions()
    user = [i.split()[1] for i in instructions if i.startswith("USER ")]
    assert user and user[-1] not in ("root", "0")
    env = dockerfile_env()
    assert env["DAGSTER_HOME"] == CONTAINER_HOME
    assert env["REPO2VIDEO_DATA_DIR"] == CONTAINER_DATA
    assert env["HF_HUB_OFFLINE"] == "1"
    assert any(i.startswith("HEALTHCHECK ") for i in instructions)
    copies = [i for i in instructions if i.startswith("COPY ")]
    assert any("deploy/dagster.yaml" in c and c.endswith(f"{CONTAINER_HOME}/") for c in copies)
    script = next(iter(IMAGE_SCRIPTS))
    assert any(c.endswith(f"/usr/local/bin/{script}") for c in copies)


def test_build_context_keeps_every_file_the_dockerfile_copies() -> None:
    """.dockerignore excludes everything, then lets in what COPY names: none may be missing."""
    rules = [
        line.strip()
        for line in (PROJECT / ".dockerignore").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert rules[0] == "*"
    allowed = [r[1:].rstrip("/") for r in rules if r.startswith("!")]
    for instruction in _dockerfile_instructions():
        if not instruction.startswith("COPY "):
            continue
        for source in instruction.split()[1:-1]:
            assert (PROJECT / source).exists(), source
            assert any(source == a or source.startswith(a + "/") for a in allowed), source


def test_lock_pins_the_postgres_packages_with_the_dagster_family() -> None:
    lock = (PROJECT / "requirements.lock").read_text(encoding="utf-8").splitlines()
    pins = dict(line.split("==", 1) for line in lock if "==" in line and not line.startswith("#"))
    pyproject = (PROJECT / "pyproject.toml").read_text(encoding="utf-8")
    for name in ("dagster-postgres", "psycopg2-binary"):
        assert f'"{name}=={pins[name]}"' in pyproject, name
    assert pins["dagster-postgres"] == pins["dagster-docker"]
    import dagster_postgres
    import psycopg2

    assert dagster_postgres.__version__ == pins["dagster-postgres"]
    assert psycopg2.__version__.split()[0] == pins["psycopg2-binary"]


def test_init_storage_script_creates_the_event_table(tmp_path: Path) -> None:
    """The Python part of deploy/init-storage.sh runs against today's modules (a module
    split once broke it while only the gated deployment checks ran the script)."""
    import subprocess
    import sys

    script = (PROJECT / "deploy" / "init-storage.sh").read_text()
    body = re.search(r"python - <<'PY'\n(.*?)\nPY\n", script, re.S)
    assert body, "init-storage.sh has no python heredoc"
    db = tmp_path / "events.db"
    env = {"REPO2VIDEO_EVENTS_URL": f"sqlite:///{db}", "PATH": "/usr/bin:/bin"}
    done = subprocess.run(
        [sys.executable, "-c", body.group(1)],
        cwd=PROJECT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "event table ready" in done.stdout and db.exists()
