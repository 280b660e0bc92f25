"""/process-runs and /process-runs/:id/tasks: thin views over the run services."""
from flask import g, request, url_for

from ..models import Run, RunTask
from ..schemas.queries import RunListArgs, RunTaskListArgs
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
from .operations import operation
from .pagination import by_position, cursor_row, newest_first, page
from .responses import listing, single
from .routing import ApiBlueprint

runs = ApiBlueprint("runs", __name__)
list_args = RunListArgs()
task_list_args = RunTaskListArgs()
start_schema = RunStartSchema()
patch_schema = RunTaskPatchSchema()
run_schema = RunSchema()
run_list_schema = RunSchema(many=True)
task_schema = RunTaskSchema()
task_list_schema = RunTaskSchema(many=True)


@runs.get("/process-runs")
@operation("List runs", tag="Runs", query=list_args, answer=run_list_schema, many=True,
           description="Newest first; `template_id` and `status` filter, and a cursor "
                       "continues the filtered list.")
def list_runs():
    args = list_args.load(request.args)
    limit, cursor = args["limit"], args["cursor"]
    query = runs_query(g.nextstep_team, args["template_id"], args["status"])
    after = cursor_row(cursor, lambda id_: run_or_none(g.nextstep_team, id_))
    rows, pagination = page(newest_first(query, Run, after, limit), limit)
    return listing(run_list_schema.dump(rows), pagination)


@runs.post("/process-runs")
@operation("Start a run", tag="Runs", body=start_schema, answer=run_schema, status=201,
           headers=("Location",), errors=("not_found", "template_not_published"),
           description="A frozen snapshot of the template's latest published version, "
                       "its tasks, elements, assignees and due dates, with pre-filled "
                       "values, written in one transaction.")
def create_run():
    """The answer is produced by the service before it commits: no answer, no run."""
    def answer(run):
        return single(run_schema.dump(run), 201,
                      {"Location": url_for(".show_run", run_id=run.id)})
    return start_run(g.nextstep_team, start_schema.load(json_body()), answer)


@runs.get("/process-runs/<run_id>")
@operation("Get a run", tag="Runs", answer=run_schema)
def show_run(run_id):
    return single(run_schema.dump(get_run(g.nextstep_team, run_id)))


@runs.get("/process-runs/<run_id>/tasks")
@operation("List a run's tasks", tag="Run tasks", query=task_list_args,
           answer=task_list_schema, many=True, description="By position (`order`).")
def list_run_tasks(run_id):
    """By position; the cursor must be a task of this run. The run itself is read only
    when the answer may be a 404 (no cursor row, or an empty page)."""
    args = task_list_args.load(request.args)
    limit, cursor = args["limit"], args["cursor"]
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
@operation("Get a run task", tag="Run tasks", answer=task_schema)
def show_run_task(run_id, task_id):
    return single(task_schema.dump(get_run_task(g.nextstep_team, run_id, task_id)))


@runs.patch("/process-runs/<run_id>/tasks/<task_id>")
@operation("Change a run task", tag="Run tasks", body=patch_schema, answer=task_schema,
           errors=("run_completed", "task_blocked"),
           description="Every field optional, several at once, in one transaction: "
                       "complete or reopen, skip, assign, set element values, approve or "
                       "reject. The run completes when its last task does.")
def patch_run_task(run_id, task_id):
    """As for POST, the answer is produced before anything is committed."""
    changes = patch_schema.load(json_body())
    precondition = if_match_check(lambda task: enveloped(task_schema.dump(task)))
    return update_task(g.nextstep_team, run_id, task_id, changes,
                       lambda task: single(task_schema.dump(task)), precondition)
