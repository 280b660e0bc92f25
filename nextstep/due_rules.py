"""How a due-date rule names the task it counts from: `"from": "task:<id or key>"`.

Template files name a task by its key, stored templates and runs by their ids; the
prefix is spelled and parsed only here.
"""
TASK_ORIGIN = "task:"


def origin_task(rule):
    """The task key or id a rule counts from, or None (fixed, run start, no rule)."""
    source = rule.get("from") if isinstance(rule, dict) else None
    if isinstance(source, str) and source.startswith(TASK_ORIGIN):
        return source[len(TASK_ORIGIN):]
    return None


def counting_from(rule, task):
    """`rule` counting from `task` (a key or an id) instead."""
    return dict(rule, **{"from": TASK_ORIGIN + task})
