"""The whole deployment of deploy/compose.yaml as local processes, on loopback.

Each service runs the command compose.yaml gives it, with the environment compose
resolves for it from an env file (as ``deploy/.env``), on top of the image's ``ENV``
(deploy/Dockerfile); DAGSTER_HOME holds deploy/dagster.yaml and deploy/workspace.yaml.
Only what :class:`~repo2video_devtools.deploy.compose.Localizer` translates differs:
addresses, ports, paths. PostgreSQL is a real server (a throw-away database on it), and
runs are launched by ``DockerRunLauncher`` through docker-py against
:class:`~repo2video_devtools.deploy.docker_engine.DockerEngine`, which runs each run's
container as a local process with the image's environment plus what the launcher passed.

The image's installed package is this checkout (``PYTHONPATH``), so the processes run
the code under test.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from repo2video_devtools.deploy.compose import (
    CODE_PORT,
    UI_PORT,
    WEBHOOK_PORT,
    Localizer,
    compose_config,
    write_env_file,
)
from repo2video_devtools.deploy.docker_engine import DockerEngine, ImageSpec
from repo2video_devtools.deploy.postgres import DatabaseAddress
from repo2video_devtools.reliability.procs import PROJECT, Service, free_port, request, wait_for

# Variables of the caller that must not leak into the services (they get compose's).
_CALLER_PREFIXES = ("REPO2VIDEO_", "DAGSTER_", "PG", "DOCKER_")
_CALLER_NAMES = {"GITHUB_TOKEN", "OPENAI_API_KEY"}
SERVICES = ("code-location", "webserver", "daemon", "receiver")


@dataclass
class DeployStack:
    """Start, stop and kill the services; ``env_values`` are the deploy/.env lines."""

    work: Path
    db: DatabaseAddress
    env_values: dict[str, str]
    instance_overrides: dict[str, Any] = field(default_factory=dict)
    with_docker_engine: bool = True

    def __post_init__(self) -> None:
        self.work.mkdir(parents=True, exist_ok=True)
        self.home = self.work / "dagster_home"
        self.data_dir = self.work / "data"
        self.home.mkdir(exist_ok=True)
        self.data_dir.mkdir(exist_ok=True)
        self.ports = {CODE_PORT: free_port(), UI_PORT: free_port(), WEBHOOK_PORT: free_port()}
        self.localizer = Localizer(self.home, self.data_dir, self.db.host, self.db.port, self.ports)
        values = {
            "POSTGRES_USER": self.db.user,
            "POSTGRES_PASSWORD": self.db.password or secrets.token_hex(12),
            "POSTGRES_DB": self.db.name,
            "DOCKER_GID": str(os.getgid()),
            **self.env_values,
        }
        self.env_file = write_env_file(self.work / "deploy.env", values)
        self.compose = compose_config(self.env_file)
        self.service = Service(self.work / "logs")
        self.procs: dict[str, subprocess.Popen[bytes]] = {}
        self.engine: DockerEngine | None = None
        (self.home / "dagster.yaml").write_text(
            self.localizer.instance_yaml(self.instance_overrides), encoding="utf-8"
        )
        (self.home / "workspace.yaml").write_text(self.localizer.workspace_yaml(), "utf-8")

    # ---- configuration -----------------------------------------------------------

    @property
    def image(self) -> str:
        return self.compose["services"]["code-location"]["image"]

    @property
    def network(self) -> str:
        return self.compose["networks"]["default"]["name"]

    @property
    def data_volume(self) -> str:
        return self.compose["volumes"]["data"]["name"]

    def _inherited(self) -> dict[str, str]:
        return {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(_CALLER_PREFIXES) and k not in _CALLER_NAMES
        }

    def image_env(self) -> dict[str, str]:
        """What a container of the image starts with (plus this checkout as the package)."""
        inherited = self._inherited()
        env = {**inherited, **self.localizer.image_env(inherited)}
        env["PYTHONPATH"] = str(PROJECT)
        return env

    def env(self, name: str) -> dict[str, str]:
        """The environment compose gives service ``name``, on the image's."""
        spec = self.compose["services"][name]
        return {**self.image_env(), **self.localizer.environment(spec.get("environment") or {})}

    def command(self, name: str) -> list[str]:
        return self.localizer.command(list(self.compose["services"][name]["command"]))

    # ---- processes ---------------------------------------------------------------

    def start_engine(self) -> DockerEngine:
        """The Docker engine the launcher reaches through ``DOCKER_HOST`` (the mounted socket)."""
        spec = ImageSpec(self.image_env(), self.work)
        self.engine = DockerEngine(self.work / "containers", {self.image: spec}, [self.network])
        return self.engine.start()

    def _service_env(self, name: str) -> dict[str, str]:
        env = self.env(name)
        if self.engine is not None and name in ("webserver", "daemon"):
            env["DOCKER_HOST"] = self.engine.url  # compose mounts /var/run/docker.sock there
        return env

    def init_storage(self) -> None:
        """The one-shot ``init-storage`` service; raises with its output when it fails."""
        done = subprocess.run(
            self.command("init-storage"),
            env=self.env("init-storage"),
            cwd=self.work,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(
                f"init-storage failed:\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}"
            )

    def start(self, name: str, wait: bool = True) -> subprocess.Popen[bytes]:
        proc = self.service.start(name, self.command(name), self._service_env(name))
        self.procs[name] = proc
        if wait:
            self.wait_healthy(name)
        return proc

    def start_all(self) -> None:
        if self.with_docker_engine and self.engine is None:
            self.start_engine()
        self.init_storage()
        self.start("code-location")
        self.start("receiver", wait=False)
        self.start("daemon", wait=False)
        self.start("webserver")
        self.wait_healthy("receiver")

    def healthcheck(self, name: str) -> bool:
        """Run the service's compose healthcheck here; True when it passes."""
        test = self.compose["services"][name]["healthcheck"]["test"]
        done = subprocess.run(
            self.localizer.healthcheck(list(test)),
            env=self._service_env(name),
            capture_output=True,
            timeout=60,
            check=False,
        )
        return done.returncode == 0

    def wait_healthy(self, name: str, timeout_s: float = 240) -> None:
        proc = self.procs.get(name)

        def ready() -> bool:
            if proc is not None and proc.poll() is not None:
                raise RuntimeError(f"{name} exited with {proc.returncode}\n{self.tails()}")
            if name == "receiver":  # 503 is an answer too (the daemon may not beat yet)
                try:
                    status, _ = request(self.ports[WEBHOOK_PORT], "GET", "/health", timeout=5)
                except OSError:
                    return False
                return status in (200, 503)
            return self.healthcheck(name)

        wait_for(ready, timeout_s, f"{name} to be healthy", self.tails, interval=1.0)

    def kill9(self, name: str) -> None:
        """``kill -9`` of the service's whole process group (the container dying)."""
        proc = self.procs[name]
        os.killpg(proc.pid, 9)
        proc.wait(30)

    def stop(self) -> None:
        self.service.stop()
        if self.engine is not None:
            self.engine.stop()

    def tails(self) -> str:
        text = self.service.tails()
        if self.engine is not None:
            for path in sorted(self.engine.workdir.glob("*.log")):
                text += f"\n--- container {path.stem}\n{path.read_text(errors='replace')[-2500:]}"
        return text

    # ---- talking to it -----------------------------------------------------------

    @property
    def webhook_port(self) -> int:
        return self.ports[WEBHOOK_PORT]

    def graphql(self, query: str, variables: Mapping[str, Any] | None = None) -> dict[str, Any]:
        body = json.dumps({"query": query, "variables": dict(variables or {})}).encode()
        status, answer = request(
            self.ports[UI_PORT],
            "POST",
            "/graphql",
            body,
            {"Content-Type": "application/json"},
            timeout=60,
        )
        if status != 200 or answer.get("errors"):
            raise RuntimeError(f"GraphQL {status}: {answer}")
        return answer["data"]

    def ui_runs(self) -> list[dict[str, Any]]:
        """The runs as the UI lists them (GraphQL ``runsOrError``)."""
        data = self.graphql(
            "{ runsOrError { __typename ... on Runs { results { runId status jobName "
            "tags { key value } } } } }"
        )
        return data["runsOrError"]["results"]

    def __enter__(self) -> DeployStack:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
