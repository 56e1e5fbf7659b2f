"""A PostgreSQL server for tests and benchmarks, and throw-away databases on it.

Which server: ``REPO2VIDEO_TEST_POSTGRES_URL`` when set; else the machine's server at
127.0.0.1:5432 (user ``postgres``, trust auth) when it answers; else a throw-away
cluster started by ``scripts/postgres.sh`` (which installs Debian's ``postgresql``
when ``initdb`` is missing). Nothing is skipped for want of a server.

Every test run works in its own database (``CREATE DATABASE`` with a random suffix,
dropped afterwards), so parallel runs on one server do not clash. A test that must
stop the server (restart under load) asks for :func:`own_cluster`, never the shared one.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from repo2video_devtools.reliability.procs import PROJECT

SERVER_URL_ENV = "REPO2VIDEO_TEST_POSTGRES_URL"
SHARED_SERVER_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
SCRIPT = PROJECT / "scripts" / "postgres.sh"


@dataclass(frozen=True)
class DatabaseAddress:
    """Where one database is, in the pieces Dagster's ``postgres_db`` config and libpq take."""

    host: str
    port: int
    user: str
    password: str
    name: str

    @property
    def url(self) -> str:
        """SQLAlchemy URL with the driver in the lock (psycopg2)."""
        auth = self.user + (f":{self.password}" if self.password else "")
        return f"postgresql+psycopg2://{auth}@{self.host}:{self.port}/{self.name}"

    @property
    def url_without_password(self) -> str:
        """The form the deployment uses for the event table (the password comes from PGPASSWORD)."""
        return f"postgresql+psycopg2://{self.user}@{self.host}:{self.port}/{self.name}"

    def dagster_env(self) -> dict[str, str]:
        """The variables deploy/dagster.yaml and deploy/compose.yaml read for this database."""
        return {
            "DAGSTER_POSTGRES_HOST": self.host,
            "DAGSTER_POSTGRES_PORT": str(self.port),
            "DAGSTER_POSTGRES_USER": self.user,
            "DAGSTER_POSTGRES_PASSWORD": self.password,
            "DAGSTER_POSTGRES_DB": self.name,
            "PGPASSWORD": self.password,
            "REPO2VIDEO_EVENTS_URL": self.url_without_password,
        }


def parse_address(url: str) -> DatabaseAddress:
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    return DatabaseAddress(
        host=parsed.host or "127.0.0.1",
        port=int(parsed.port or 5432),
        user=parsed.username or "postgres",
        password=parsed.password or "",
        name=parsed.database or "postgres",
    )


@dataclass
class PostgresServer:
    """A server reachable at ``admin_url``; ``cluster_dir`` is set when this process owns it."""

    admin_url: str
    cluster_dir: Path | None = None

    @property
    def address(self) -> DatabaseAddress:
        return parse_address(self.admin_url)

    def connect(self, database: str | None = None, timeout_s: int = 5):
        import psycopg2

        address = self.address
        conn = psycopg2.connect(
            host=address.host,
            port=address.port,
            user=address.user,
            password=address.password or None,
            dbname=database or address.name,
            connect_timeout=timeout_s,
        )
        conn.autocommit = True
        return conn

    def create_database(self, prefix: str = "repo2video_test") -> DatabaseAddress:
        name = f"{prefix}_{secrets.token_hex(4)}"
        with contextlib.closing(self.connect()) as conn, conn.cursor() as cur:
            cur.execute(f'CREATE DATABASE "{name}"')
        a = self.address
        return DatabaseAddress(a.host, a.port, a.user, a.password, name)

    def drop_database(self, name: str) -> None:
        with contextlib.closing(self.connect()) as conn, conn.cursor() as cur:
            cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def tables_containing(self, database: str, needles: list[str]) -> list[str]:
        """``table: needle`` for every table of ``database`` with a row whose text holds a needle."""
        hits = []
        with contextlib.closing(self.connect(database)) as conn, conn.cursor() as cur:
            cur.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
            for (table,) in cur.fetchall():
                for needle in needles:
                    cur.execute(
                        f'SELECT 1 FROM "{table}" t WHERE row_to_json(t)::text LIKE %s LIMIT 1',
                        (f"%{needle}%",),
                    )
                    if cur.fetchone():
                        hits.append(f"{table}: {needle}")
        return hits

    @contextlib.contextmanager
    def database(self, prefix: str = "repo2video_test") -> Iterator[DatabaseAddress]:
        """A fresh database for the duration of the block, dropped afterwards."""
        address = self.create_database(prefix)
        try:
            yield address
        finally:
            self.drop_database(address.name)

    # ---- only for a cluster this process started -----------------------------------

    def _own_dir(self) -> Path:
        if self.cluster_dir is None:
            raise RuntimeError("refusing to stop or start a server this process does not own")
        return self.cluster_dir

    def stop(self, mode: str = "fast") -> None:
        subprocess.run([str(SCRIPT), "stop", str(self._own_dir()), mode], check=True)

    def start(self) -> None:
        subprocess.run(
            [str(SCRIPT), "start", str(self._own_dir())], check=True, capture_output=True
        )

    def destroy(self) -> None:
        if self.cluster_dir is not None:
            subprocess.run([str(SCRIPT), "destroy", str(self.cluster_dir)], check=False)


def own_cluster() -> PostgresServer:
    """A new throw-away cluster (installing PostgreSQL first when it is missing)."""
    done = subprocess.run(
        [str(SCRIPT), "start"], check=False, capture_output=True, text=True, timeout=600
    )
    if done.returncode != 0:
        raise RuntimeError(f"scripts/postgres.sh start failed:\n{done.stderr[-3000:]}")
    values = dict(line.split("=", 1) for line in done.stdout.split() if "=" in line)
    return PostgresServer(values["REPO2VIDEO_PG_URL"], Path(values["REPO2VIDEO_PG_DIR"]))


def _answers(url: str) -> bool:
    try:
        with contextlib.closing(PostgresServer(url).connect(timeout_s=3)):
            return True
    except Exception:  # noqa: BLE001 - any failure means "not usable here"
        return False


def find_server() -> PostgresServer:
    """The configured server, the machine's, or a new throw-away cluster; never nothing."""
    configured = os.environ.get(SERVER_URL_ENV, "").strip()
    if configured:
        if not _answers(configured):
            raise RuntimeError(f"{SERVER_URL_ENV}={configured} does not answer")
        return PostgresServer(configured)
    if _answers(SHARED_SERVER_URL):
        return PostgresServer(SHARED_SERVER_URL)
    return own_cluster()


@contextlib.contextmanager
def server_for_tests() -> Iterator[PostgresServer]:
    """:func:`find_server` for the duration of the block; a cluster it started is removed after."""
    server = find_server()
    try:
        yield server
    finally:
        server.destroy()
