"""The deployment's files as the containers see them, and their translation to one machine.

:func:`compose_config` asks ``docker-compose config`` (Debian's docker-compose, which
validates and resolves the file: interpolation from the env file, YAML merges) for the
services. :func:`dockerfile_env` reads the image's ``ENV`` lines. :class:`Localizer`
turns the container world into local processes: the compose service host names and
container ports become 127.0.0.1 and free ports, container paths (``/data``,
``/opt/dagster/home``, ``/opt/venv``) become directories of the test. Only those
translations are applied; commands, variables and config are otherwise used as written,
so a test of the stack tests the files a team deploys.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from repo2video_devtools.reliability.procs import PROJECT

DEPLOY = PROJECT / "deploy"
COMPOSE_FILE = DEPLOY / "compose.yaml"
DOCKERFILE = DEPLOY / "Dockerfile"
DAGSTER_YAML = DEPLOY / "dagster.yaml"
WORKSPACE_YAML = DEPLOY / "workspace.yaml"

# Container paths of the image (deploy/Dockerfile) and compose.yaml.
CONTAINER_HOME = "/opt/dagster/home"
CONTAINER_DATA = "/data"
CONTAINER_VENV = "/opt/venv"
# Service names and ports inside the compose network.
POSTGRES_SERVICE, POSTGRES_PORT = "postgres", 5432
CODE_SERVICE, CODE_PORT = "code-location", 4000
UI_PORT, WEBHOOK_PORT = 3000, 8787
# Scripts the Dockerfile copies onto the image's PATH, and where they are here.
IMAGE_SCRIPTS = {"repo2video-init-storage": DEPLOY / "init-storage.sh"}


def docker_compose() -> str:
    """The docker-compose executable (Debian's package; scripts/setup-system.sh installs it)."""
    found = shutil.which("docker-compose")
    if not found:
        raise RuntimeError(
            "docker-compose is not installed: run scripts/setup-system.sh "
            "(apt-get install docker-compose)"
        )
    return found


def compose_config(env_file: Path) -> dict[str, Any]:
    """``docker-compose config`` of deploy/compose.yaml with ``env_file``: validated and resolved."""
    done = subprocess.run(
        [docker_compose(), "-f", str(COMPOSE_FILE), "--env-file", str(env_file), "config"],
        cwd=DEPLOY,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"docker-compose config failed:\n{done.stderr.strip()}")
    return yaml.safe_load(done.stdout)


def write_env_file(path: Path, values: Mapping[str, str]) -> Path:
    path.write_text("".join(f"{k}={v}\n" for k, v in values.items()), encoding="utf-8")
    path.chmod(0o600)
    return path


def dockerfile_env(dockerfile: Path = DOCKERFILE) -> dict[str, str]:
    """The ``ENV`` values of the final image, in order (``$VAR`` refers to earlier ones)."""
    lines: list[str] = []
    pending = ""
    for raw in dockerfile.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        lines.append(pending + line)
        pending = ""
    env: dict[str, str] = {}
    for line in lines:
        if line.split(maxsplit=1)[0].upper() == "FROM":
            env.clear()  # a new stage starts from its base image
        if line.split(maxsplit=1)[0].upper() != "ENV":
            continue
        for pair in line.split()[1:]:
            key, _, value = pair.partition("=")
            env[key] = value
    return env


@dataclass(frozen=True)
class Localizer:
    """Container names, ports and paths -> this machine's."""

    home: Path
    data_dir: Path
    db_host: str
    db_port: int
    ports: Mapping[int, int]
    """Container port -> local port (code server, webserver, receiver)."""

    def path(self, value: str) -> str:
        for container, local in (
            (CONTAINER_HOME, str(self.home)),
            (CONTAINER_DATA, str(self.data_dir)),
            (CONTAINER_VENV, sys.prefix),
        ):
            if value == container or value.startswith(container + "/"):
                return local + value[len(container) :]
        return value

    def command(self, args: list[str]) -> list[str]:
        """Bind addresses to loopback, container ports to local ones, container paths to local."""
        out = []
        for arg in args:
            if arg == "0.0.0.0":
                out.append("127.0.0.1")
            elif arg in IMAGE_SCRIPTS:
                out.append(str(IMAGE_SCRIPTS[arg]))
            elif arg.isdigit() and int(arg) in self.ports:
                out.append(str(self.ports[int(arg)]))
            else:
                out.append(self.path(arg))
        return out

    def healthcheck(self, test: list[str]) -> list[str]:
        """A compose healthcheck (``CMD`` form) as a local command."""
        if test[:1] != ["CMD"]:
            raise ValueError(f"only CMD healthchecks are localized: {test}")
        args = self.command(test[1:])
        for container_port, local_port in self.ports.items():
            args = [a.replace(f":{container_port}/", f":{local_port}/") for a in args]
        return args

    def environment(self, env: Mapping[str, Any]) -> dict[str, str]:
        """A service's resolved environment, pointed at the local database and paths."""
        out = {k: "" if v is None else str(v) for k, v in env.items()}
        if "DAGSTER_POSTGRES_HOST" in out:
            assert out["DAGSTER_POSTGRES_HOST"] == POSTGRES_SERVICE, out["DAGSTER_POSTGRES_HOST"]
            assert out["DAGSTER_POSTGRES_PORT"] == str(POSTGRES_PORT), out["DAGSTER_POSTGRES_PORT"]
            out["DAGSTER_POSTGRES_HOST"] = self.db_host
            out["DAGSTER_POSTGRES_PORT"] = str(self.db_port)
        if "REPO2VIDEO_EVENTS_URL" in out:
            service = f"@{POSTGRES_SERVICE}:{POSTGRES_PORT}/"
            assert service in out["REPO2VIDEO_EVENTS_URL"], out["REPO2VIDEO_EVENTS_URL"]
            out["REPO2VIDEO_EVENTS_URL"] = out["REPO2VIDEO_EVENTS_URL"].replace(
                service, f"@{self.db_host}:{self.db_port}/"
            )
        return {k: self.path(v) for k, v in out.items()}

    def image_env(self, inherited: Mapping[str, str]) -> dict[str, str]:
        """The Dockerfile's ENV, localized; ``$PATH`` expands to the inherited one."""
        out = {}
        for key, value in dockerfile_env().items():
            value = value.replace("$PATH", inherited.get("PATH", "/usr/bin:/bin"))
            out[key] = ":".join(self.path(part) for part in value.split(":"))
        return out

    def instance_yaml(self, overrides: Mapping[str, Any] | None = None) -> str:
        """deploy/dagster.yaml with local paths and ``overrides`` merged per section."""
        config = _localize_tree(yaml.safe_load(DAGSTER_YAML.read_text(encoding="utf-8")), self)
        for section, values in (overrides or {}).items():
            if isinstance(values, dict) and isinstance(config.get(section), dict):
                config[section] = {**config[section], **values}
            else:
                config[section] = values
        return yaml.safe_dump(config, sort_keys=False)

    def workspace_yaml(self) -> str:
        """deploy/workspace.yaml pointed at the local code server."""
        config = yaml.safe_load(WORKSPACE_YAML.read_text(encoding="utf-8"))
        for entry in config["load_from"]:
            server = entry["grpc_server"]
            assert server["host"] == CODE_SERVICE and int(server["port"]) == CODE_PORT, server
            server["host"] = "127.0.0.1"
            server["port"] = self.ports[CODE_PORT]
        return yaml.safe_dump(config, sort_keys=False)


def _localize_tree(node: Any, localizer: Localizer) -> Any:
    if isinstance(node, dict):
        return {k: _localize_tree(v, localizer) for k, v in node.items()}
    if isinstance(node, list):
        return [_localize_tree(v, localizer) for v in node]
    if isinstance(node, str):
        return localizer.path(node)
    return node
