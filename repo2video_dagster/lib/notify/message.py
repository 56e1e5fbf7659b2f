"""What a notification says: one record, as a JSON body (Slack-compatible) and as email."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from urllib.parse import quote


@dataclass(frozen=True)
class RunNotice:
    """How one run ended, with the links a person follows from the message."""

    run_id: str
    job_name: str
    status: str
    """``failure`` or ``success``."""
    repository: str | None
    error: str | None = None
    """The one line ``repo2video render`` and ``/jobs`` show for the failure."""
    trigger: str | None = None
    commit: str | None = None
    links: dict[str, str] = field(default_factory=dict)
    """``run`` (Dagster UI), ``video_page`` (the site page), ``job`` (the ``/jobs`` answer)."""

    @property
    def headline(self) -> str:
        what = f"render of {self.repository}" if self.repository else f"run of {self.job_name}"
        verb = "failed" if self.status == "failure" else "succeeded"
        return f"repo2video: {what} {verb}"

    def text(self) -> str:
        """The human text: Slack shows the ``text`` field; email uses it as the body."""
        lines = [self.headline + (f": {self.error}" if self.error else "")]
        lines += [f"{name.replace('_', ' ')}: {url}" for name, url in self.links.items()]
        return "\n".join(lines)

    def json_body(self) -> bytes:
        """The webhook body: ``text`` first (Slack incoming webhooks), then the fields."""
        return json.dumps({"text": self.text(), **asdict(self)}, sort_keys=False).encode()


def run_links(
    ui_url: str, public_url: str, run_id: str, repository: str | None, job_id: str | None
) -> dict[str, str]:
    """The run in the Dagster UI, the repository's site page, and its ``/jobs`` entry."""
    ui, public = ui_url.rstrip("/"), public_url.rstrip("/")
    links = {"run": f"{ui}/runs/{run_id}"}
    if repository:
        links["video_page"] = f"{public}/site/{quote(repository, safe='')}/index.html"
    links["job"] = f"{public}/jobs/{quote(job_id or run_id, safe='')}"
    return links
