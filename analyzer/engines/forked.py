"""Shares of the end phase on the cores the finished workers leave idle: ``forked_map`` runs
a function over shares of work, the first here and each other one in a forked child, which
sees this process's state as it is (the accumulator, the result being built) without any of
it being pickled, sends its answer back through a pipe and exits.

Used by the local engine after its workers stopped (``runner``); the aggregate and report
layers take it as a plain map function (their default is one process). A child that fails,
or a system without fork, has its share computed here: the same answer, later. The answers
are pickles of this very program's objects through its own pipe, never read from a file.
"""

from __future__ import annotations

import gc
import os
import pickle
import signal
from collections.abc import Callable
from typing import Any, TypeVar

Share = TypeVar("Share")


def forked_map(fn: Callable[[Share], Any], shares: list[Share]) -> list[Any]:
    """``[fn(share) for share in shares]``, ``shares[1:]`` each in a forked child while this
    process computes ``shares[0]``."""
    children = [_fork(fn, share) for share in shares[1:]] if hasattr(os, "fork") else []
    try:
        out = [fn(shares[0])] if shares else []
        for share, child in zip(shares[1:], children + [None] * (len(shares) - 1 - len(children))):
            got = _collect(child) if child is not None else None
            out.append(got[0] if got is not None else fn(share))
    finally:
        for child in children:  # only those not collected: after an error (or Ctrl-C) here
            if child is not None:
                _stop(child)
    return out


def _fork(fn: Callable[[Share], Any], share: Share) -> list[int] | None:
    """[pid, read end of its pipe] of a child computing ``fn(share)``; None if fork fails."""
    read, write = os.pipe()
    gc.freeze()  # the child's garbage collector then leaves the shared pages alone
    try:
        pid = os.fork()
    except OSError:
        gc.unfreeze()
        os.close(read)
        os.close(write)
        return None
    if pid == 0:  # the child: none of the parent's cleanup (os._exit); exit code 1 on any failure
        code = 1
        try:
            signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
            os.close(read)
            with os.fdopen(write, "wb") as out:
                pickle.dump((fn(share),), out, protocol=pickle.HIGHEST_PROTOCOL)
            code = 0
        finally:
            os._exit(code)
    gc.unfreeze()
    os.close(write)
    return [pid, read]


def _collect(child: list[int]) -> tuple | None:
    """(the child's answer,), or None when it failed; the child is then waited for."""
    pid, read = child
    with os.fdopen(read, "rb") as src:
        data = src.read()
    child[1] = -1  # read end closed
    _, status = os.waitpid(pid, 0)
    child[0] = 0  # waited for
    if not os.WIFEXITED(status) or os.WEXITSTATUS(status) != 0 or not data:
        return None
    return pickle.loads(data)


def _stop(child: list[int]) -> None:
    """End a child not yet collected (the parent failed first) and wait for it."""
    pid, read = child
    if read >= 0:
        os.close(read)
    if pid:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        os.waitpid(pid, 0)
