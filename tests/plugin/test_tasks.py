"""The controller's list of actions against the tasks the pipeline runs."""

from __future__ import annotations


def test_every_action_runs_a_task_and_the_controller_knows_which_fill_flats() -> None:
    from krita_linerefiner.plugin import extension, pipeline

    # extension.py keeps its own copy (pipeline needs numpy, which it imports only when used).
    assert extension.FLATS_TASKS == pipeline.FLATS_TASKS
    assert {task for _, _, task in extension.ACTIONS} == set(pipeline.TASKS)
    assert set(extension.DOING) == set(pipeline.TASKS)
