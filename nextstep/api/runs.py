"""/process-runs and /process-runs/:id/tasks: thin views over the run services."""
from flask import g, request, url_for

from ..errors import bad_request
from ..models import RUN_STATUSES, Run, RunTask
from ..schemas.run import RunSchema, RunStartSchema, RunTaskPatchSchema, RunTaskSchema
from ..services.run_tasks import update_task
from ..services.runs import (
    get_run,
    get_run_task,
    run_or_none,
    run_tasks_query,
    runs_query,
    start_run,
    task_or_none,
)
from .body import json_body
from .conditional import enveloped, if_match_check
from .pagination import by_position, cursor_row, newest_first, page, page_args
from .responses import listing, single
from .routing import ApiBlueprint

runs = ApiBlueprint("runs", __name__)
start_schema = RunStartSchema()
patch_schema = RunTaskPatchSchema()
run_schema = RunSchema()
run_list_schema = RunSchema(many=True)
task_schema = RunTaskSchema()
task_list_schema = RunTaskSchema(many=True)


@runs.get("/process-runs")
def list_runs():
    """Newest first; `template_id` and `status` filter, and a cursor continues the filter."""
    limit, cursor = page_args()
    status = request.args.get("status")
    if status is not None and status not in RUN_STATUSES:
        raise bad_request("status must be active or completed",
                          {"status": ["Must be one of: active, completed."]})
    query = runs_query(g.nextstep_team, request.args.get("template_id") or None, status)
    after = cursor_row(cursor, lambda id_: run_or_none(g.nextstep_team, id_))
    rows, pagination = page(newest_first(query, Run, after, limit), limit)
    return listing(run_list_schema.dump(rows), pagination)


@runs.post("/process-runs")
def create_run():
    """The answer is produced by the service before it commits: no answer, no run."""
    def answer(run):
        return single(run_schema.dump(run), 201,
                      {"Location": url_for(".show_run", run_id=run.id)})
    return start_run(g.nextstep_team, start_schema.load(json_body()), answer)


@runs.get("/process-runs/<run_id>")
def show_run(run_id):
    return single(run_schema.dump(get_run(g.nextstep_team, run_id)))


@runs.get("/process-runs/<run_id>/tasks")
def list_run_tasks(run_id):
    """By position; the cursor must be a task of this run. The run itself is read only
    when the answer may be a 404 (no cursor row, or an empty page)."""
    limit, cursor = page_args()
    team = g.nextstep_team

    def task_of_this_run(id_):
        """A cursor that is no task of this run: 404 if the run is not the team's, else 400."""
        task = task_or_none(team, run_id, id_)
        if task is None:
            get_run(team, run_id)
        return task

    after = cursor_row(cursor, task_of_this_run)
    query = by_position(run_tasks_query(team, run_id), RunTask, after, limit)
    rows, pagination = page(query.dicts(), limit)  # rows as dicts: a third cheaper than models
    if not rows:
        get_run(team, run_id)
    return listing(task_list_schema.dump(rows), pagination)


@runs.get("/process-runs/<run_id>/tasks/<task_id>")
def show_run_task(run_id, task_id):
    return single(task_schema.dump(get_run_task(g.nextstep_team, run_id, task_id)))


@runs.patch("/process-runs/<run_id>/tasks/<task_id>")
def patch_run_task(run_id, task_id):
    """As for POST, the answer is produced before anything is committed."""
    changes = patch_schema.load(json_body())
    precondition = if_match_check(lambda task: enveloped(task_schema.dump(task)))
    return update_task(g.nextstep_team, run_id, task_id, changes,
                       lambda task: single(task_schema.dump(task)), precondition)
