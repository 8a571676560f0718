"""Processes the harness starts (Appium servers, report generators): each in a process group of its own that dies
with the harness, recorded in a pid file under .cache/pids/ so that the next run can end what a killed run left.

A pid file keeps the leader's pid, process group, session, start time (clock ticks since boot, /proc/PID/stat
field 22) and command line, and the harness process that started it. A later run ends a group only when it can
prove the group is the one recorded: the starting harness is gone, and the leader has the recorded start time and
command line, or (the leader having died) every member is in the recorded group and session and started after it.
Nothing else on the machine is ever signalled.
"""

from __future__ import annotations

import ctypes
import json
import os
import signal
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

from harness.paths import cache_dir

_PR_SET_PDEATHSIG = 1


def pids_dir() -> Path:
    return cache_dir() / "pids"


def die_with_parent() -> None:
    """preexec_fn for a child process: SIGTERM it when the thread that started it exits (Linux prctl), and stop at
    once if that parent is already gone. Start children from the main thread, as the harness does."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
    except (OSError, AttributeError):  # not Linux: the pid file still lets the next run clean up
        return
    if os.getppid() == 1:
        os._exit(1)


def start_ticks(pid: int) -> int | None:
    """When the process started, in clock ticks since boot (None: no such process)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace")
    except OSError:
        return None
    fields = stat[stat.rfind(")") + 2:].split()
    return int(fields[19]) if len(fields) > 19 else None


def cmdline(pid: int) -> list[str]:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return []
    return [part.decode(errors="replace") for part in raw.split(b"\0") if part]


def _zombie(pid: int) -> bool:
    """Exited, waiting for its parent to collect it: nothing left running."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace")
    except OSError:
        return True
    return stat[stat.rfind(")") + 2:][:1] in ("Z", "X")


def _ids(pid: int) -> tuple[int, int] | None:
    """(process group, session) of a live process."""
    try:
        return os.getpgid(pid), os.getsid(pid)
    except OSError:
        return None


@dataclass(frozen=True)
class OwnedProcess:
    """What a pid file records about one process group the harness started."""

    role: str
    pid: int
    pgid: int
    sid: int
    start_ticks: int
    cmdline: list[str]
    owner_pid: int
    owner_start_ticks: int

    @property
    def path(self) -> Path:
        return pids_dir() / f"{self.role}-{self.pid}.json"


def record(role: str, pid: int) -> OwnedProcess | None:
    """Writes the pid file of a process just started (in a new session, so pgid = sid = pid)."""
    ticks, me = start_ticks(pid), start_ticks(os.getpid())
    if ticks is None or me is None:
        return None
    owned = OwnedProcess(role=role, pid=pid, pgid=pid, sid=pid, start_ticks=ticks, cmdline=cmdline(pid),
                         owner_pid=os.getpid(), owner_start_ticks=me)
    try:
        owned.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = owned.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(asdict(owned)), encoding="utf-8")
        tmp.replace(owned.path)
    except OSError:
        return owned  # a read-only cache: the group is still ended on every exit path of this process
    return owned


def forget(owned: OwnedProcess | None) -> None:
    if owned is not None:
        owned.path.unlink(missing_ok=True)


def group_members(owned: OwnedProcess) -> list[int]:
    """Live processes provably of the recorded group: same process group and session, started no earlier than its
    leader (a group id cannot be taken by a new process while any member of the old group lives)."""
    members = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        pid = int(entry.name)
        ids, ticks = _ids(pid), start_ticks(pid)
        if ids == (owned.pgid, owned.sid) and ticks is not None and ticks >= owned.start_ticks \
                and not _zombie(pid):
            members.append(pid)
    return members


def _leader_is_recorded(owned: OwnedProcess) -> bool:
    return start_ticks(owned.pid) == owned.start_ticks and cmdline(owned.pid) == owned.cmdline


def _owner_alive(owned: OwnedProcess) -> bool:
    return start_ticks(owned.owner_pid) == owned.owner_start_ticks


def end_group(owned: OwnedProcess, *, timeout_s: float = 10.0) -> None:
    """SIGTERM every provable member of the group, SIGKILL what is left after timeout_s."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        members = group_members(owned)
        if not members:
            return
        if _ids(owned.pgid) == (owned.pgid, owned.sid) and _leader_is_recorded(owned):
            _signal(os.killpg, owned.pgid, sig)
        for pid in members:
            _signal(os.kill, pid, sig)
        deadline = time.monotonic() + (timeout_s if sig == signal.SIGTERM else 5.0)
        while time.monotonic() < deadline and group_members(owned):
            reap(owned.pid)
            time.sleep(0.05)


def _signal(fn: Callable[[int, int], None], target: int, sig: int) -> None:
    try:
        fn(target, sig)
    except (ProcessLookupError, PermissionError):
        pass


def reap(pid: int) -> None:
    """Collects the leader's exit status when it is this process's child (only it: other children's statuses
    belong to whoever waits for them)."""
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        pass


def load(path: Path) -> OwnedProcess | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return OwnedProcess(**data)
    except (OSError, ValueError, TypeError):
        return None


def reap_stale() -> list[OwnedProcess]:
    """At the start of a run: ends the groups that runs no longer alive left behind, forgets their pid files, and
    returns them. Groups of a harness still running (another run of this project) are left alone."""
    ended = []
    folder = pids_dir()
    if not folder.is_dir():
        return []
    for path in sorted(folder.glob("*.json")):
        owned = load(path)
        if owned is None:
            path.unlink(missing_ok=True)
            continue
        if _owner_alive(owned):
            continue
        if group_members(owned):
            end_group(owned)
            ended.append(owned)
        path.unlink(missing_ok=True)
    return ended
