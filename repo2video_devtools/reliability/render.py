"""Render a repository through the real asset graph in this process, on a throwaway instance.

The instance lives in its own directory (SQLite run, event-log and schedule storage),
so a check can afterwards search every byte Dagster stored for leaked secrets.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from repo2video_dagster.lib.render.media import video_info

INSTANCE_YAML = "telemetry:\n  enabled: false\n"
SIZES = {"reel": (1080, 1920), "landscape": (1920, 1080)}


@dataclass
class RenderOutcome:
    """How one render ended: its outputs when it succeeded, its one-line reason when not."""

    ok: bool
    key: str
    run_id: str
    data_dir: Path
    home: Path
    seconds: float
    error: str | None = None
    user_error: bool = False
    """True when the failure is a :class:`UserError` (a clear message), False for a crash."""
    videos: dict[str, str] = field(default_factory=dict)
    post_html: str | None = None
    post_markdown: str | None = None
    site_index: str | None = None
    narration_s: float = 0.0

    def video_problems(self) -> list[str]:
        """ffprobe each video: H.264 + AAC, exact size, duration of the narration."""
        problems = []
        for fmt, path in self.videos.items():
            info = video_info(Path(path))
            if (info.vcodec, info.acodec) != ("h264", "aac"):
                problems.append(f"{fmt}: streams {info.vcodec}/{info.acodec}")
            if (info.width, info.height) != SIZES[fmt]:
                problems.append(f"{fmt}: {info.width}x{info.height}")
            if abs(info.duration_s - self.narration_s) > 0.25 or info.duration_s < 5:
                problems.append(f"{fmt}: {info.duration_s:.2f} s for {self.narration_s:.2f} s")
        return problems if self.videos else ["no video"]


def resources_for(
    data_dir: Path,
    formats: Sequence[str],
    *,
    reuse: bool = True,
    overrides: Mapping[str, Mapping[str, Any]] | None = None,
) -> dict[str, Any]:
    """Default resources for a throwaway render; ``overrides`` maps a resource name to
    field changes (``{"script_writer": {"writer": "llm", ...}}``)."""
    from repo2video_dagster.resources import default_resources, with_overrides

    resources = default_resources()
    resources["storage"] = with_overrides(resources["storage"], data_dir=str(data_dir), reuse=reuse)
    resources["source"] = with_overrides(resources["source"], allow_local=True)
    resources["render"] = with_overrides(resources["render"], formats=list(formats))
    for name, changes in (overrides or {}).items():
        resources[name] = with_overrides(resources[name], **changes)
    return resources


def render_in_process(
    target: str,
    work: Path,
    *,
    formats: Sequence[str] = ("reel",),
    assets: Sequence[str] | None = None,
    home: Path | None = None,
    data_dir: Path | None = None,
    reuse: bool = True,
    overrides: Mapping[str, Mapping[str, Any]] | None = None,
) -> RenderOutcome:
    """Run the render job (or only ``assets``) for ``target`` on an instance in ``work/home``.

    ``reuse=False`` recomputes every stage (like ``repo2video render --force``).
    ``overrides`` change resource fields (see :func:`resources_for`); the target is
    registered after an offline check with the source policy they give, as the
    webhook receiver registers targets, and checked again in full by the run.
    """
    from dagster import DagsterInstance

    from repo2video_dagster.definitions import build_definitions
    from repo2video_dagster.launch import register_repository, result_failure, run_render
    from repo2video_dagster.lib.source.targets import parse_target

    home = home or work / "home"
    data_dir = data_dir or work / "var"
    home.mkdir(parents=True, exist_ok=True)
    if not (home / "dagster.yaml").exists():
        (home / "dagster.yaml").write_text(INSTANCE_YAML, encoding="utf-8")
    resources = resources_for(data_dir, formats, reuse=reuse, overrides=overrides)
    source = parse_target(target, resources["source"].policy())
    defs = build_definitions(resources=resources)
    started = time.monotonic()
    with DagsterInstance.from_config(str(home)) as instance:
        register_repository(instance, data_dir, source)
        result = run_render(
            defs,
            instance,
            source.key,
            assets=assets,
            loggers={"console": {"config": {"log_level": "WARNING"}}},
        )
    outcome = RenderOutcome(
        ok=result.success,
        key=source.key,
        run_id=result.run_id,
        data_dir=data_dir,
        home=home,
        seconds=round(time.monotonic() - started, 1),
    )
    if not result.success:
        failure = result_failure(result)
        outcome.error, outcome.user_error = failure.line, failure.users_to_fix
        return outcome
    if assets is None or "video" in assets:
        video = result.output_for_node("video")
        outcome.videos = {v.format: v.path for v in video.videos}
        outcome.narration_s = video.duration_s
    if assets is None or "blog_post" in assets:
        post = result.output_for_node("blog_post")
        outcome.post_html, outcome.site_index = post.html_path, post.index_path
        outcome.post_markdown = post.markdown_path
    return outcome
