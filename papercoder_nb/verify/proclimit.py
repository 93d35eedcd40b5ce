"""A limit on the processes a smoke run may start (a fork bomb stops at the limit).

Root is exempt from ``RLIMIT_NPROC``, so as root a run joins its own ``pids`` cgroup
(v1 ``/sys/fs/cgroup/pids`` or a v2 hierarchy with the pids controller) with ``pids.max``
set; any other user gets ``RLIMIT_NPROC`` at the processes it already has plus the limit
(the rlimit counts all of the user's processes, not only the run's).
"""

from __future__ import annotations

import os
import time
from pathlib import Path

PROCESS_LIMIT = 128  # tasks (threads count): room for a data loader, not for a fork bomb
_V1, _V2 = Path("/sys/fs/cgroup/pids"), Path("/sys/fs/cgroup")


def _pids_hierarchy() -> Path | None:
    if (_V1 / "cgroup.procs").exists():
        return _V1
    controllers = _V2 / "cgroup.controllers"
    if controllers.exists() and "pids" in controllers.read_text().split():
        return _V2
    return None


def _user_processes(uid: int) -> int:
    n = 0
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            if any(line.startswith("Uid:") and line.split()[1] == str(uid) for line in status.read_text().splitlines()):
                n += len(list((status.parent / "task").iterdir()))
        except OSError:
            continue  # the process ended while we looked
    return n


class ProcessLimit:
    """Set up in the parent; ``apply()`` runs in the child (preexec) before exec."""

    def __init__(self, limit: int = PROCESS_LIMIT) -> None:
        self.limit = limit
        self.cgroup: Path | None = None
        self.nproc: int | None = None
        self.how = "none"
        if not hasattr(os, "getuid"):
            return
        if os.getuid() == 0:
            self._make_cgroup()
        else:
            self.nproc = _user_processes(os.getuid()) + limit
            self.how = f"RLIMIT_NPROC (+{limit})"

    def _make_cgroup(self) -> None:
        base = _pids_hierarchy()
        if base is None:
            return
        group = base / f"papercoder-smoke-{os.getpid()}-{id(self)}"
        try:
            group.mkdir()
            (group / "pids.max").write_text(str(self.limit))
        except OSError:
            try:
                group.rmdir()
            except OSError:
                pass
            return
        self.cgroup, self.how = group, f"pids cgroup ({self.limit})"

    def apply(self) -> None:
        """In the child: join the cgroup, or lower RLIMIT_NPROC."""
        if self.cgroup is not None:
            (self.cgroup / "cgroup.procs").write_text(str(os.getpid()))
        elif self.nproc is not None:
            import resource

            try:
                resource.setrlimit(resource.RLIMIT_NPROC, (self.nproc, self.nproc))
            except (ValueError, OSError):
                pass

    def kill_all(self) -> None:
        """Kill every process still in the cgroup, wherever it moved its session or group."""
        if self.cgroup is None:
            return
        import signal

        for _ in range(3):  # a process may fork while we kill: look again
            try:
                pids = [int(p) for p in (self.cgroup / "cgroup.procs").read_text().split()]
            except OSError:
                return
            if not pids:
                return
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass

    def close(self) -> None:
        if self.cgroup is None:
            return
        for _ in range(50):  # killed processes leave the cgroup once their parent reaps them
            self.kill_all()
            try:
                self.cgroup.rmdir()
                break
            except OSError:
                time.sleep(0.02)
        self.cgroup = None
