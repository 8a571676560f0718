"""A throwaway PostgreSQL server for tests: initdb into a temporary folder, started with pg_ctl on a free loopback
port (fsync off: its data is thrown away), stopped and removed at the end. Started by root, it runs as the
`postgres` user, since PostgreSQL refuses to run as root."""

from __future__ import annotations

import os
import pwd
import re
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

SUPERUSER: Final = "harness"
START_TIMEOUT_S: Final = 30


def find_pg_bin() -> Path | None:
    """The folder holding initdb and pg_ctl: $HARNESS_PG_BIN, else PATH, else the newest /usr/lib/postgresql/N/bin."""
    env = os.environ.get("HARNESS_PG_BIN")
    candidates = [Path(env)] if env else []
    on_path = shutil.which("initdb")
    if on_path:
        candidates.append(Path(on_path).parent)
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin"),
                      key=lambda p: [int(x) for x in re.findall(r"\d+", p.parent.name)] or [0], reverse=True)
    candidates += versions
    for folder in candidates:
        if (folder / "initdb").is_file() and (folder / "pg_ctl").is_file():
            return folder
    return None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class PgServer:
    """A running server: `url(db)` is a connection URL for one of its databases."""

    bin_dir: Path
    base_dir: Path
    port: int
    run_as: str | None  # the OS user the server runs as when started by root

    @property
    def data_dir(self) -> Path:
        return self.base_dir / "data"

    def url(self, dbname: str = "postgres", *, password: str | None = None) -> str:
        auth = f"{SUPERUSER}:{password}" if password else SUPERUSER
        return f"postgresql://{auth}@127.0.0.1:{self.port}/{dbname}"

    def create_database(self, name: str) -> str:
        import psycopg

        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def stop(self) -> None:
        try:
            _run(self, [str(self.bin_dir / "pg_ctl"), "-D", str(self.data_dir), "-m", "immediate", "-w", "stop"])
        finally:
            shutil.rmtree(self.base_dir, ignore_errors=False)


def _run(server: PgServer, argv: list[str]) -> subprocess.CompletedProcess[str]:
    kwargs: dict[str, Any] = {}
    if server.run_as is not None:
        account = pwd.getpwnam(server.run_as)
        kwargs = {"user": account.pw_uid, "group": account.pw_gid, "extra_groups": []}
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    env.update(HOME=str(server.base_dir), LC_ALL="C")
    done = subprocess.run(argv, cwd=server.base_dir, env=env, capture_output=True, text=True, timeout=60,
                          check=False, **kwargs)
    if done.returncode != 0:
        log = server.base_dir / "server.log"
        tail = log.read_text(errors="replace")[-2000:] if log.is_file() else ""
        raise RuntimeError(f"{' '.join(argv)} exited {done.returncode}: {done.stderr.strip()}\n{tail}")
    return done


def start_pg_server(bin_dir: Path) -> PgServer:
    """initdb + pg_ctl start; raises RuntimeError with the server's log when it does not come up."""
    run_as = "postgres" if os.geteuid() == 0 else None
    base_dir = Path(tempfile.mkdtemp(prefix="harness-pg-"))
    if run_as is not None:
        account = pwd.getpwnam(run_as)
        os.chown(base_dir, account.pw_uid, account.pw_gid)
    server = PgServer(bin_dir=bin_dir, base_dir=base_dir, port=0, run_as=run_as)
    try:
        _run(server, [str(bin_dir / "initdb"), "-D", str(server.data_dir), "-U", SUPERUSER, "-A", "trust",
                      "-E", "UTF8", "--locale=C", "--no-sync"])
        for attempt in range(3):
            server.port = _free_port()
            options = (f"-p {server.port} -k {base_dir} -c listen_addresses=127.0.0.1 -c fsync=off "
                       "-c synchronous_commit=off -c full_page_writes=off -c max_connections=30")
            try:
                _run(server, [str(bin_dir / "pg_ctl"), "-D", str(server.data_dir), "-l", str(base_dir / "server.log"),
                              "-o", options, "-w", "-t", str(START_TIMEOUT_S), "start"])
                return server
            except RuntimeError:
                if attempt == 2:  # the port was taken between choosing it and binding it, three times
                    raise
        raise AssertionError("unreachable")
    except BaseException:
        shutil.rmtree(base_dir, ignore_errors=True)
        raise
