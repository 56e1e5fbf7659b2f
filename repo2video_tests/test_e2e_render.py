"""End to end: a real git repo, the real asset graph, a real temp instance, real engines.

One render is shared by the tests of this module (it is the slow part); each test
checks one property of its outputs with ffprobe / ffmpeg / parsing.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from dagster import AssetKey, DagsterInstance, instance_for_test
from PIL import Image

from repo2video_dagster.definitions import STAGES, build_definitions
from repo2video_dagster.launch import register_repository, run_render
from repo2video_dagster.lib.core.manifest import read_manifest
from repo2video_dagster.lib.publish.blog import site_key
from repo2video_dagster.lib.render.media import integrated_loudness, video_info
from repo2video_dagster.lib.source.policy import SourcePolicy
from repo2video_dagster.lib.source.targets import parse_target
from repo2video_dagster.lib.speech.word_match import words_of
from repo2video_dagster.resources import default_resources, with_overrides
from repo2video_tests.repo_factory import add_commit, head_sha, make_python_sample

pytestmark = pytest.mark.slow


@dataclass
class Rendered:
    instance: DagsterInstance
    defs: object
    key: str
    commit: str
    data_dir: Path
    result: object
    resources: dict
    repo: Path

    def output(self, asset: str):
        return self.result.output_for_node(asset)


def resources_for(data_dir: Path) -> dict:
    resources = default_resources()
    resources["storage"] = with_overrides(resources["storage"], data_dir=str(data_dir))
    resources["source"] = with_overrides(resources["source"], allow_local=True)
    return resources


@pytest.fixture(scope="module")
def rendered(tmp_path_factory) -> Rendered:
    root = tmp_path_factory.mktemp("e2e")
    repo = make_python_sample(root / "tally")
    data_dir = root / "var"
    source = parse_target(str(repo), SourcePolicy(allow_local=True))
    resources = resources_for(data_dir)
    defs = build_definitions(resources=resources)
    with instance_for_test() as instance:
        register_repository(instance, data_dir, source)
        result = run_render(defs, instance, source.key)
        assert result.success, [e.message for e in result.all_events if e.is_failure]
        yield Rendered(
            instance, defs, source.key, head_sha(repo), data_dir, result, resources, repo
        )


def test_every_asset_materialized_for_the_partition(rendered: Rendered) -> None:
    for asset in STAGES:
        record = rendered.instance.get_latest_materialization_event(AssetKey(asset))
        assert record is not None, asset
        assert record.dagster_event.partition == rendered.key
    snapshot = rendered.output("repo_snapshot")
    assert snapshot.commit == rendered.commit


def test_asset_checks_passed(rendered: Rendered) -> None:
    evaluations = {e.check_name: e for e in rendered.result.get_asset_check_evaluations()}
    assert set(evaluations) >= {"video_streams", "loudness", "caption_alignment", "recognition_wer"}
    failed = {name: e.metadata for name, e in evaluations.items() if not e.passed}
    assert not failed


def test_videos_have_the_right_streams_and_duration(rendered: Rendered) -> None:
    narration = rendered.output("narration")
    video = rendered.output("video")
    sizes = {"reel": (1080, 1920), "landscape": (1920, 1080)}
    assert {v.format for v in video.videos} == set(sizes)
    for v in video.videos:
        info = video_info(Path(v.path))
        assert (info.width, info.height) == sizes[v.format]
        assert (info.vcodec, info.acodec, info.pix_fmt) == ("h264", "aac", "yuv420p")
        assert abs(info.fps - 30) < 0.01
        assert abs(info.duration_s - narration.duration_s) < 0.25
        assert 20 < info.duration_s < 90
        assert info.size_bytes > 100_000


def test_loudness_in_range(rendered: Rendered) -> None:
    for v in rendered.output("video").videos:
        assert -15.5 <= integrated_loudness(Path(v.path)) <= -12.5


SRT_TIME = re.compile(r"(\d\d):(\d\d):(\d\d),(\d\d\d) --> (\d\d):(\d\d):(\d\d),(\d\d\d)")


def _seconds(h: str, m: str, s: str, ms: str) -> float:
    return int(h) * 3600 + int(m) * 60 + int(s) + int(ms) / 1000


def test_srt_cues_are_monotonic_and_inside_the_audio(rendered: Rendered) -> None:
    captions = rendered.output("captions")
    duration = rendered.output("narration").duration_s
    text = Path(captions.srt_path).read_text(encoding="utf-8")
    times = [
        (_seconds(*m.groups()[:4]), _seconds(*m.groups()[4:])) for m in SRT_TIME.finditer(text)
    ]
    assert len(times) >= 10
    previous_end = 0.0
    for start, end in times:
        assert start < end <= duration + 0.01
        assert start >= previous_end - 1e-6
        previous_end = end
    assert Path(captions.vtt_path).read_text(encoding="utf-8").startswith("WEBVTT")


def test_caption_words_are_exactly_the_script_words(rendered: Rendered) -> None:
    script = rendered.output("video_script")
    captions = rendered.output("captions")
    expected = [w for scene in script.scenes for w in words_of(scene.narration)]
    words = json.loads(Path(captions.words_json_path).read_text(encoding="utf-8"))
    shown = [w["text"] for w in (words["words"] if isinstance(words, dict) else words)]
    assert shown == expected
    assert captions.coverage >= 0.98
    assert captions.wer <= 0.15


def test_script_and_slides_come_from_the_repository(rendered: Rendered) -> None:
    script = rendered.output("video_script")
    assert 6 <= len(script.scenes) <= 9
    narration_text = " ".join(s.narration for s in script.scenes).lower()
    assert "tally" in narration_text
    kinds = {s.visual.kind for s in script.scenes}
    assert {"title", "command", "outro"} <= kinds
    # how it works: the import graph of the package when it has one, else the tree
    assert kinds & {"graph", "tree"}
    code = [s.visual.data.get("code", "") for s in script.scenes if s.visual.kind == "code"]
    repo_text = (Path(rendered.output("repo_snapshot").checkout_dir) / "README.md").read_text()
    assert code and any(
        line.strip() and line.strip() in repo_text or "def " in line
        for line in code[0].splitlines()
    )


def test_blog_site_and_manifest(rendered: Rendered) -> None:
    post = rendered.output("blog_post")
    markdown = Path(post.markdown_path).read_text(encoding="utf-8")
    assert markdown.startswith("---")
    assert "commit:" in markdown
    html = Path(post.html_path).read_text(encoding="utf-8")
    assert "<video" in html and ".vtt" in html
    index = Path(post.index_path).read_text(encoding="utf-8")
    assert rendered.key in index or "tally" in index
    manifest = read_manifest(rendered.data_dir / "output" / rendered.key)
    assert manifest["commit"] == rendered.commit
    assert all(Path(v["path"]).exists() for v in manifest["videos"])


def test_catalog_lists_the_render(rendered: Rendered) -> None:
    import pandas as pd

    job = rendered.defs.resolve_implicit_global_asset_job_def()
    result = job.execute_in_process(
        instance=rendered.instance, asset_selection=[AssetKey("catalog")]
    )
    assert result.success
    frame = pd.read_parquet(rendered.data_dir / "catalog" / "catalog.parquet")
    assert list(frame["key"]) == [rendered.key]
    assert frame.loc[0, "duration_s"] > 20


def test_unchanged_rerun_reuses_every_expensive_stage(rendered: Rendered) -> None:
    result = run_render(rendered.defs, rendered.instance, rendered.key)
    assert result.success
    metadata = {
        asset: result.asset_materializations_for_node(asset)[0].metadata
        for asset in ("captions", "visuals", "video")
    }
    assert metadata["captions"]["reused"].value is True
    assert metadata["visuals"]["drawn"].value == 0
    assert sorted(metadata["video"]["reused"].value) == ["landscape", "reel"]


def test_a_new_commit_redoes_only_the_scenes_it_changes(rendered: Rendered) -> None:
    """Runs last (it commits to the shared repository). One more commit changes one fact
    the video states (the commit count, in the activity scene; the license file's text is
    not spoken: pyproject names the license): only that scene is spoken and recognised
    again, and only its video chunk and the crossfade out of it are encoded again."""
    license_text = (rendered.repo / "LICENSE").read_text(encoding="utf-8")
    add_commit(
        rendered.repo,
        {"LICENSE": license_text.replace("MIT License", "ISC License")},
        "Relicense",
    )
    result = run_render(rendered.defs, rendered.instance, rendered.key)
    assert result.success
    meta = {
        asset: result.asset_materializations_for_node(asset)[0].metadata
        for asset in ("narration", "captions", "visuals", "video")
    }
    scenes = len(result.output_for_node("narration").scenes)
    synthesized = meta["narration"]["synthesized"].value
    assert synthesized == 1
    assert meta["captions"]["recognized_scenes"].value == ["activity"]
    for fmt in ("reel", "landscape"):
        encoded, total = map(int, re.findall(r"\d+", meta["video"]["scene_chunks"].value[fmt]))
        assert total == scenes
        assert encoded == 2, fmt  # the activity scene and the crossfade into the outro
    assert meta["visuals"]["drawn"].value == 2  # its slide, reel and landscape


def test_materializations_link_to_the_results(rendered: Rendered) -> None:
    """The UI opens results from these links (served by the receiver's /site and /output
    routes); the thumbnail is markdown short enough for the UI to show it in place."""
    base = rendered.resources["storage"].public_url.rstrip("/")
    out = f"{base}/output/{rendered.key}"

    def metadata(asset: str) -> dict:
        record = rendered.instance.get_latest_materialization_event(AssetKey(asset))
        return record.asset_materialization.metadata

    video, captions, post = metadata("video"), metadata("captions"), metadata("blog_post")
    assert video["reel_url"].value == f"{out}/reel.mp4"
    assert video["landscape_url"].value == f"{out}/landscape.mp4"
    assert captions["vtt_url"].value == f"{out}/captions/captions.vtt"
    assert post["page_url"].value == f"{base}/site/{rendered.key}/index.html"
    assert post["srt_url"].value == f"{out}/captions/captions.srt"
    for entry in (video["preview"], post["preview"]):
        markdown = entry.value
        assert len(markdown) < 1000 and markdown.startswith("[![thumbnail](")
        image = re.search(r"\]\((\S+?)\?v=\d+\)", markdown).group(1)
        small = rendered.data_dir / "output" / image.removeprefix(f"{base}/output/")
        assert small.is_file()
        with Image.open(small) as img:
            assert img.width == 360
    assert f"]({out}/reel.mp4)" in video["preview"].value  # a click plays the reel
    # The manifest keeps the failed checks for `repo2video render` to tell (none here).
    assert read_manifest(rendered.data_dir / "output" / rendered.key)["checks_failed"] == []


def test_adding_a_subtitle_language_is_a_run_of_the_language_stage_alone(
    rendered: Rendered,
) -> None:
    """What a backfill of ``language_versions`` does per repository: it reads the stored
    script, narration and captions and adds the language; nothing upstream runs again."""
    resources = dict(rendered.resources)
    resources["speech"] = with_overrides(resources["speech"], languages="en,fr:subtitles")
    defs = build_definitions(resources=resources)
    job = defs.resolve_implicit_global_asset_job_def()
    result = job.execute_in_process(
        instance=rendered.instance,
        partition_key=rendered.key,
        asset_selection=[AssetKey("language_versions")],
    )
    assert result.success
    events = result.get_asset_materialization_events()
    materialized = {e.asset_key.to_user_string() for e in events}
    assert materialized == {"language_versions"}
    versions = result.output_for_node("language_versions")
    (french,) = versions.versions
    assert (french.code, french.mode) == ("fr", "subtitles")
    vtt = Path(french.vtt_path).read_text(encoding="utf-8")
    assert vtt.startswith("WEBVTT") and "Voici" in vtt
    page = rendered.data_dir / "site" / site_key(rendered.key) / "index.html"
    page = page.read_text(encoding="utf-8")
    assert 'srclang="fr"' in page and "Français (subtitles)" in page
