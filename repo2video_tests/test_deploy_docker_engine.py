"""The loopback Docker engine the deployment tests launch runs on, driven by the real docker-py.

It must behave as an engine does for the calls DockerRunLauncher makes, or the
deployment tests would prove nothing: the container's process gets the image's
environment overlaid with the one passed at create, ``inspect`` follows it from
created to running to exited (137 after ``kill -9``), logs and wait work, and what a
real engine refuses (unknown image, unknown network, removing a running container)
is refused.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import docker
import docker.errors
import pytest

from repo2video_devtools.deploy.docker_engine import DockerEngine, ImageSpec

IMAGE = "repo2video:test"


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[DockerEngine]:
    spec = ImageSpec(
        {"PATH": "/usr/bin:/bin", "FROM_IMAGE": "image", "OVERRIDDEN": "image"}, tmp_path
    )
    with DockerEngine(tmp_path / "containers", {IMAGE: spec}, ["repo2video", "extra"]) as eng:
        yield eng


@pytest.fixture
def client(engine: DockerEngine) -> docker.DockerClient:
    return docker.from_env(environment={"DOCKER_HOST": engine.url})


def test_container_runs_its_command_with_image_and_given_environment(
    engine: DockerEngine, client: docker.DockerClient
) -> None:
    container = client.containers.create(
        image=IMAGE,
        command=["sh", "-c", 'echo "$FROM_IMAGE $OVERRIDDEN $GIVEN"; exit 3'],
        detach=True,
        environment={"OVERRIDDEN": "run", "GIVEN": "by-name"},
        network="repo2video",
        labels={"dagster/run_id": "r1"},
        volumes=["repo2video_data:/data"],
    )
    assert container.status == "created"
    client.networks.get("extra").connect(container)
    container.start()
    assert container.wait(timeout=30) == {"StatusCode": 3, "Error": None}
    container.reload()
    assert container.status == "exited"
    assert container.attrs["State"]["ExitCode"] == 3
    assert container.logs() == b"image run by-name\n"
    fake = engine.find(container.id)
    assert fake is not None
    assert fake.networks == ["repo2video", "extra"]
    assert fake.host_config["Binds"] == ["repo2video_data:/data"]
    assert fake.labels == {"dagster/run_id": "r1"}
    assert engine.by_label("dagster/run_id", "r1") == [fake]
    container.remove()
    with pytest.raises(docker.errors.NotFound):
        client.containers.get(container.id)
    assert engine.unknown == []


def test_killed_container_exits_137_with_its_children(
    engine: DockerEngine, client: docker.DockerClient
) -> None:
    container = client.containers.create(
        image=IMAGE, command=["sh", "-c", "sleep 60 & sleep 60"], detach=True
    )
    container.start()
    container.reload()
    assert container.status == "running"
    fake = engine.find(container.id)
    assert fake is not None and fake.pid > 0
    with pytest.raises(docker.errors.APIError, match="running container"):
        container.remove()
    engine.kill(container.id)
    assert container.wait(timeout=30)["StatusCode"] == 137
    container.reload()
    assert container.status == "exited"
    container.remove(force=True)


def test_stop_sends_sigterm_then_the_container_is_gone(client: docker.DockerClient) -> None:
    container = client.containers.create(image=IMAGE, command=["sleep", "60"], detach=True)
    container.start()
    container.stop(timeout=5)
    container.reload()
    assert container.status == "exited"
    assert container.attrs["State"]["ExitCode"] == 143  # 128 + SIGTERM


def test_unknown_image_and_network_are_refused(client: docker.DockerClient) -> None:
    with pytest.raises(docker.errors.ImageNotFound):
        client.containers.create(image="other:latest", command=["true"])
    with pytest.raises(docker.errors.NotFound, match="network"):
        client.containers.create(image=IMAGE, command=["true"], network="elsewhere")
    with pytest.raises(docker.errors.NotFound):
        client.networks.get("elsewhere")
