"""A Dagster logger that prints one short line per stage, for the CLI.

The default console logger prints every engine event; a person running
``repo2video render`` wants to see which stage is running, how long each took, and
the few messages the stages themselves log.

Dagster captures a run's stdout/stderr into compute-log files by redirecting file
descriptors 1 and 2 through a tee process, and the tee can lose the last lines of
a run when it is stopped (seen in CI: "blog_post done in" was in the compute log
but never reached the terminal). So the CLI hands the logger a duplicate of the
terminal's stderr (``fd``), taken before any run starts, and progress lines go
straight there.
"""

from __future__ import annotations

import logging
import os
import sys
import time
from collections.abc import Sequence
from typing import Any

from dagster import Field, InitLoggerContext, LoggerDefinition, logger


class StageProgressHandler(logging.Handler):
    """``[n/N] stage …`` and ``done in`` lines; ``stages`` is the render's order (definitions)."""

    def __init__(self, stages: Sequence[str], stream=None) -> None:
        # Step events (STEP_START, STEP_SUCCESS) are logged at DEBUG, so listen to everything
        # and filter here.
        super().__init__(logging.DEBUG)
        self.stages = list(stages)
        self.stream = stream or sys.stderr
        self.started: dict[str, float] = {}
        self.durations: dict[str, float] = {}

    def _label(self, step: str) -> str:
        index = self.stages.index(step) + 1 if step in self.stages else 0
        return f"[{index}/{len(self.stages)}] {step}" if index else f"[-] {step}"

    def emit(self, record: logging.LogRecord) -> None:
        meta = getattr(record, "dagster_meta", None) or {}
        event = meta.get("dagster_event")
        step = meta.get("step_key") or (event.step_key if event is not None else None)
        if not step:
            return
        try:
            if event is not None:
                kind = event.event_type_value
                if kind == "STEP_START":
                    self.started[step] = time.monotonic()
                    self._write(f"{self._label(step)} …")
                elif kind == "STEP_SUCCESS":
                    took = time.monotonic() - self.started.get(step, time.monotonic())
                    self.durations[step] = took
                    self._write(f"{self._label(step)} done in {took:.1f}s")
                elif kind == "STEP_UP_FOR_RETRY":
                    self._write(f"{self._label(step)} failed, retrying: {retry_reason(event)}")
                return
            if logging.INFO <= record.levelno < logging.ERROR:
                message = meta.get("orig_message") or record.getMessage()
                self._write(f"      {message}")
        except Exception:  # progress output must never break a run
            pass

    def _write(self, line: str) -> None:
        self.stream.write(line + "\n")
        self.stream.flush()


def retry_reason(event: Any) -> str:
    """The one line a step is retried for: the ``Failure``'s description (a transient
    error's line), else the first line of the innermost error."""
    error = getattr(event.event_specific_data, "error", None)
    innermost = error
    while error is not None:
        if error.cls_name == "Failure":
            return error.message.split(": ", 1)[-1].strip().split("\n", 1)[0]
        innermost, error = error, error.cause
    lines = (innermost.message if innermost else "").strip().splitlines()
    return lines[0] if lines else "unexpected error"


def terminal_stream(fd: int | None):
    """A line-buffered text stream on ``fd`` (left open when closed), or ``sys.stderr``."""
    if fd is None:
        return sys.stderr
    return os.fdopen(fd, "w", buffering=1, encoding="utf-8", errors="replace", closefd=False)


def stage_progress_logger(stages: Sequence[str]) -> LoggerDefinition:
    """The progress logger for a render whose stages run in the order ``stages``."""

    @logger(
        {
            "log_level": Field(str, is_required=False, default_value="INFO"),
            "fd": Field(
                int,
                is_required=False,
                description="File descriptor to write to (a dup of the terminal's stderr); "
                "default: sys.stderr, which compute-log capture redirects.",
            ),
        },
        description="One line per stage (CLI progress).",
    )
    def progress_logger(init_context: InitLoggerContext) -> logging.Logger:
        log = logging.getLogger("repo2video.progress")
        log.setLevel(logging.DEBUG)
        log.propagate = False
        stream = terminal_stream(init_context.logger_config.get("fd"))
        log.handlers = [StageProgressHandler(stages, stream)]
        return log

    return progress_logger
