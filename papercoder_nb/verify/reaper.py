"""A supervisor that leaves no process behind: ``python reaper.py PARENT_PID -- CMD...``.

The smoke run starts generated code through this script (Linux only). It makes itself a
*child subreaper* (``prctl(PR_SET_CHILD_SUBREAPER)``), so a process the code orphans — a
double fork, a ``setsid`` daemon, anything that left the process group — is re-parented to
the supervisor instead of to init. When the command ends, or the supervisor gets SIGTERM
(the run timed out, or its parent died: ``PR_SET_PDEATHSIG``), it SIGKILLs every process
below it and reaps them until it has no child left; with no child left no descendant can
exist. Then it exits the way the command did (same code, or the same signal).

Needs no root and no cgroup. Run with ``python -I -S`` by path: it imports only the
standard library, so any interpreter can run it and nothing from the session's venv runs.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys
import time

_PR_SET_PDEATHSIG = 1
_PR_SET_CHILD_SUBREAPER = 36
_CLEANUP_S = 10.0  # a process stuck in the kernel (D state) is not waited for forever


_command: dict[str, int | bool] = {"pid": 0, "stop": False}


def _prctl(option: int, value: int) -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(option, value, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), f"prctl({option}) failed")


def _parents() -> dict[int, int]:
    """pid -> parent pid for every process visible in /proc."""
    table: dict[int, int] = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as fh:
                stat = fh.read()
        except OSError:
            continue  # ended while we looked
        # The command name may hold spaces and ')': the fields after the last ')' are fixed.
        fields = stat[stat.rfind(b")") + 2 :].split()
        if len(fields) > 1:
            table[int(name)] = int(fields[1])
    return table


def descendants(root: int) -> list[int]:
    """Every process below ``root`` (children first, then theirs)."""
    children: dict[int, list[int]] = {}
    for pid, ppid in _parents().items():
        children.setdefault(ppid, []).append(pid)
    found: list[int] = []
    todo = list(children.get(root, []))
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, []))
    return found


def _reap_all() -> bool:
    """Reap every child that has ended; False once there is no child at all."""
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return False
        if pid == 0:
            return True


def kill_descendants(deadline_s: float = _CLEANUP_S) -> None:
    """SIGKILL everything below this process and reap it; repeat until no child is left."""
    me = os.getpid()
    end = time.monotonic() + deadline_s
    while _reap_all() and time.monotonic() < end:
        for pid in descendants(me):  # a process forked since the last look is caught next round
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        time.sleep(0.01)


def _on_sigterm(signum: int, frame: object) -> None:
    """Stop the command; the wait then returns and the cleanup below runs as usual.

    No exception is raised: a signal landing anywhere (even during the cleanup) cannot
    skip the cleanup.
    """
    _command["stop"] = True
    if _command["pid"]:
        try:
            os.kill(int(_command["pid"]), signal.SIGKILL)
        except OSError:
            pass


def _start(argv: list[str]) -> int:
    pid = os.fork()
    if pid == 0:  # the command: default signals, same process group, same fds
        try:
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            os.execvp(argv[0], argv)
        except BaseException as exc:  # noqa: BLE001 - report anything, then leave
            os.write(2, f"papercoder reaper: cannot start {argv[0]}: {exc}\n".encode())
        os._exit(127)
    return pid


def _exit_like(status: int) -> None:
    """Leave with the command's exit code, or die of the signal that killed it."""
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        if sig not in (signal.SIGKILL, signal.SIGSTOP):  # those two cannot be handled anyway
            signal.signal(sig, signal.SIG_DFL)
        os.kill(os.getpid(), sig)
    os._exit(os.WEXITSTATUS(status) if os.WIFEXITED(status) else 1)


def main(args: list[str]) -> None:
    if len(args) < 3 or args[1] != "--":
        sys.stderr.write("usage: reaper.py PARENT_PID -- COMMAND [ARG...]\n")
        os._exit(2)
    parent, argv = int(args[0]), args[2:]
    signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        _prctl(_PR_SET_CHILD_SUBREAPER, 1)
        _prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError) as exc:  # a kernel before 3.4: the group kill still runs
        os.write(2, f"papercoder reaper: {exc}; orphaned processes may outlive the run\n".encode())
    if os.getppid() != parent:  # the parent died before PDEATHSIG was set
        os._exit(1)
    try:
        _command["pid"] = _start(argv)
    except OSError as exc:  # fork refused (the process limit) or the like
        os.write(2, f"papercoder reaper: cannot start {argv[0]}: {exc}\n".encode())
        os._exit(127)
    if _command["stop"]:  # SIGTERM came before the pid was known
        _on_sigterm(signal.SIGTERM, None)
    _, status = os.waitpid(int(_command["pid"]), 0)
    kill_descendants()
    _exit_like(status)


if __name__ == "__main__":
    main(sys.argv[1:])
