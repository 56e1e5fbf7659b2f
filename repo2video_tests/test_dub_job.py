"""The ``dub_repository`` job: a rendered repository's video dubbed from the Dagster UI.

The real job runs in process on a temporary instance; translation is a loopback
chat-completions server, the voice espeak-ng, the hearing Whisper base. The rendered
video is a short spoken mp4 where the render writes ``landscape.mp4`` (a whole render
would only make the test slower: the job reads the file, nothing else of the render).
"""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest
from dagster import DagsterInstance, instance_for_test

from repo2video_dagster.definitions import build_definitions
from repo2video_dagster.launch import result_failure
from repo2video_dagster.lib.render.media import probe
from repo2video_dagster.partitions import REPOSITORIES_PARTITIONS_NAME
from repo2video_dagster.resources import default_resources, with_overrides
from repo2video_devtools.reliability.fake_services import Reply, serve
from repo2video_tests.test_dub import Translator, spoken_video

KEY = "acme__tool"


@pytest.fixture()
def instance():
    with instance_for_test() as inst:
        inst.add_dynamic_partitions(REPOSITORIES_PARTITIONS_NAME, [KEY])
        yield inst


def dub(instance: DagsterInstance, data_dir: Path, llm_url: str, **config: str):
    resources = default_resources()
    resources["storage"] = with_overrides(resources["storage"], data_dir=str(data_dir))
    resources["script_writer"] = with_overrides(resources["script_writer"], llm_base_url=llm_url)
    job = build_definitions(resources=resources).resolve_job_def("dub_repository")
    return job.execute_in_process(
        instance=instance,
        run_config={"ops": {"dub": {"config": {"repository": KEY, **config}}}},
        raise_on_error=False,
    )


def closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}/v1"


@pytest.mark.slow
def test_the_job_dubs_the_rendered_video(instance: DagsterInstance, tmp_path: Path) -> None:
    data_dir = tmp_path / "var"
    spoken_video(data_dir / "output" / KEY, "landscape.mp4")
    with serve(Translator(replies=[Reply(content="ok")]), "/v1") as fake:
        result = dub(instance, data_dir, fake.url, to="es")
        request = fake.requests[0]["body"]
    assert result.success, result_failure(result).line
    assert "Spanish" in request["messages"][0]["content"]
    out = data_dir / "output" / KEY / "dub" / "es" / "landscape.es.mp4"
    assert result.output_for_node("dub") == str(out)
    kinds = {s["codec_type"]: s["codec_name"] for s in probe(out)["streams"]}
    assert kinds == {"video": "h264", "audio": "aac", "subtitle": "mov_text"}
    assert "El proyecto" in out.with_suffix(".es.srt").read_text()
    meta = next(
        e.event_specific_data.metadata
        for e in result.all_events
        if e.event_type_value == "STEP_OUTPUT"
    )
    assert meta["language"].value == "es" and meta["voice"].value == "espeak-ng es+klatt3"
    assert meta["coverage"].value >= 0.8


@pytest.mark.parametrize(
    ("config", "render", "needles"),
    [
        ({"to": "tlh"}, False, ["'tlh' is not supported", "set ops.dub.config.to"]),
        ({"to": "es"}, False, ["acme__tool has no rendered landscape video yet",
                               "materialize video for partition acme__tool"]),
        ({"to": "es", "cut": "square"}, True, ["cut 'square' is not one of landscape, reel"]),
        ({"to": "es", "repository": "nobody/else"}, True, ["no repository 'nobody/else'"]),
    ],
)  # fmt: skip
def test_bad_input_is_one_line_in_the_ui(
    instance: DagsterInstance, tmp_path: Path, config: dict, render: bool, needles: list[str]
) -> None:
    data_dir = tmp_path / "var"
    if render:
        (data_dir / "output" / KEY).mkdir(parents=True)
        (data_dir / "output" / KEY / "landscape.mp4").write_bytes(b"not used")
    result = dub(instance, data_dir, closed_port_url(), **config)
    failure = result_failure(result, "ui")
    assert not result.success and failure.users_to_fix
    assert "\n" not in failure.line
    for needle in needles:
        assert needle in failure.line, failure.line


def test_no_translation_endpoint_is_one_line(instance: DagsterInstance, tmp_path: Path) -> None:
    data_dir = tmp_path / "var"
    spoken_video(data_dir / "output" / KEY, "landscape.mp4")
    result = dub(instance, data_dir, " ", to="es")
    line = result_failure(result, "ui").line
    assert "no translation endpoint is configured" in line
    assert "resources.script_writer.config.llm_base_url" in line


@pytest.mark.slow
def test_an_unreachable_translation_endpoint_is_one_line(
    instance: DagsterInstance, tmp_path: Path
) -> None:
    data_dir = tmp_path / "var"
    spoken_video(data_dir / "output" / KEY, "landscape.mp4")
    result = dub(instance, data_dir, closed_port_url(), to="es")
    failure = result_failure(result, "ui")
    assert not result.success and "\n" not in failure.line
    assert "translation failed: LLM endpoint" in failure.line
    assert "refused the connection" in failure.line
    assert "resources.script_writer.config.llm_base_url" in failure.line
    assert json.dumps(failure.line)  # one plain string
    assert not (data_dir / "output" / KEY / "dub" / "es" / "landscape.es.mp4").exists()
