"""/process-runs and /process-runs/:id/tasks: thin views over the run services."""
from flask import g, request, url_for

from ..schemas.queries import RunListArgs, RunTaskListArgs
from ..schemas.run import RunStartSchema, RunTaskPatchSchema, run_shape
from ..schemas.run_task import run_task_shape
from ..services.run_tasks import update_task
from ..services.runs import get_run, get_run_task, run_tasks_page, runs_page, start_run
from .body import json_body
from .responses import listing, single
from .routing import ApiBlueprint

runs = ApiBlueprint("runs", __name__)
list_args = RunListArgs()
task_list_args = RunTaskListArgs()
start_schema = RunStartSchema()
patch_schema = RunTaskPatchSchema()


@runs.get("/process-runs")
def list_runs():
    page = runs_page(g.nextstep_team, **list_args.load(request.args))
    return listing([run_shape(run) for run in page.items], page.pagination)


@runs.post("/process-runs")
def create_run():
    """The answer is produced by the service before it commits: no answer, no run."""
    def answer(run):
        return single(run_shape(run), 201,
                      {"Location": url_for(".show_run", run_id=run.id)})
    return start_run(g.nextstep_team, start_schema.load(json_body()), answer)


@runs.get("/process-runs/<run_id>")
def show_run(run_id):
    return single(run_shape(get_run(g.nextstep_team, run_id)))


@runs.get("/process-runs/<run_id>/tasks")
def list_run_tasks(run_id):
    page = run_tasks_page(g.nextstep_team, run_id, **task_list_args.load(request.args))
    return listing([run_task_shape(row) for row in page.items], page.pagination)


@runs.get("/process-runs/<run_id>/tasks/<task_id>")
def show_run_task(run_id, task_id):
    return single(run_task_shape(get_run_task(g.nextstep_team, run_id, task_id)))


@runs.patch("/process-runs/<run_id>/tasks/<task_id>")
def patch_run_task(run_id, task_id):
    """As for POST, the answer is produced before anything is committed."""
    changes = patch_schema.load(json_body())
    return update_task(g.nextstep_team, run_id, task_id, changes,
                       lambda task: single(run_task_shape(task)))
