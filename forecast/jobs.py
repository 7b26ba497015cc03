"""Placeholder until the process pool lands: runs tasks in this process."""

from __future__ import annotations


def run_tasks(fn, tasks: list, jobs: int = 1, on_done=None) -> list:
    results = []
    for i, task in enumerate(tasks):
        results.append(fn(task))
        if on_done is not None:
            on_done(i, results[-1])
    return results
