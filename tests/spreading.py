"""How ``python3 dev.py test`` spreads the suite over its test processes (pytest-xdist, ``--dist loadfile``).

A file's tests stay in one process, so module fixtures (Chromium, uvicorn, the OpenID provider) start once per
file. The exceptions are the files in ``LONG_RUNNING``, whose tests each take a minute or more and share no module
fixture: each of their tests is a unit of its own (the SQLite and PostgreSQL variants run side by side), and they
are handed out before everything else, longest first, so that no process is left with one of them at the end while
the other waits. The rest go out largest file first, as xdist does by itself.
"""

from __future__ import annotations

from xdist.scheduler import LoadFileScheduling

# Longest first; each of their tests takes a minute or more on this 2-core machine (bench/README.md, issue 11).
LONG_RUNNING = (
    "tests/integration/test_crash_restarts.py",
    "tests/e2e/test_openapi_contract.py",
    "tests/e2e/test_openapi_all_checks.py",
)


class LongRunningFirst(LoadFileScheduling):
    """``--dist loadfile``, with each test of a ``LONG_RUNNING`` file a unit of its own, handed out first."""

    def _split_scope(self, nodeid: str) -> str:
        file = nodeid.split("::", 1)[0]
        return nodeid if file in LONG_RUNNING else file

    def _assign_work_unit(self, node: object) -> None:
        first = min(self.workqueue, key=_rank)  # the first of the best rank: the queue's own order among equals
        self.workqueue.move_to_end(first, last=False)
        super()._assign_work_unit(node)  # type: ignore[arg-type]


def _rank(scope: str) -> int:
    file = scope.split("::", 1)[0]
    return LONG_RUNNING.index(file) if file in LONG_RUNNING else len(LONG_RUNNING)
