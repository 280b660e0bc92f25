"""/process-runs and /process-runs/:id/tasks: thin views over the run services."""
from flask import g, request, url_for

from ..schemas.queries import RunListArgs, RunTaskListArgs
from ..schemas.run import RunSchema, RunStartSchema, RunTaskPatchSchema, run_shape
from ..schemas.run_task import RunTaskSchema, run_task_shape
from ..services.run_tasks import update_task
from ..services.runs import get_run, get_run_task, run_tasks_page, runs_page, start_run
from .body import json_body
from .conditional import enveloped, if_match_check
from .operations import operation
from .responses import listing, single
from .routing import ApiBlueprint

runs = ApiBlueprint("runs", __name__)
list_args = RunListArgs()
task_list_args = RunTaskListArgs()
start_schema = RunStartSchema()
patch_schema = RunTaskPatchSchema()
# The answers are made by the hand-written shapes; these schemas describe them (OpenAPI).
run_schema = RunSchema()
run_list_schema = RunSchema(many=True)
task_schema = RunTaskSchema()
task_list_schema = RunTaskSchema(many=True)


@runs.get("/process-runs")
@operation("List runs", tag="Runs", query=list_args, answer=run_list_schema, many=True,
           description="Newest first; `template_id` and `status` filter, and a cursor "
                       "continues the filtered list.")
def list_runs():
    page = runs_page(g.nextstep_team, **list_args.load(request.args))
    return listing([run_shape(run) for run in page.items], page.pagination)


@runs.post("/process-runs")
@operation("Start a run", tag="Runs", body=start_schema, answer=run_schema, status=201,
           headers=("Location",),
           errors=("not_found", "template_not_published", "template_archived"),
           description="A frozen snapshot of the template's latest published version, "
                       "its tasks, elements, assignees and due dates, with pre-filled "
                       "values, written in one transaction.")
def create_run():
    """The answer is produced by the service before it commits: no answer, no run."""
    def answer(run):
        return single(run_shape(run), 201,
                      {"Location": url_for(".show_run", run_id=run.id)})
    return start_run(g.nextstep_team, start_schema.load(json_body()), answer)


@runs.get("/process-runs/<run_id>")
@operation("Get a run", tag="Runs", answer=run_schema)
def show_run(run_id):
    return single(run_shape(get_run(g.nextstep_team, run_id)))


@runs.get("/process-runs/<run_id>/tasks")
@operation("List a run's tasks", tag="Run tasks", query=task_list_args,
           answer=task_list_schema, many=True, description="By position (`order`).")
def list_run_tasks(run_id):
    page = run_tasks_page(g.nextstep_team, run_id, **task_list_args.load(request.args))
    return listing([run_task_shape(row) for row in page.items], page.pagination)


@runs.get("/process-runs/<run_id>/tasks/<task_id>")
@operation("Get a run task", tag="Run tasks", answer=task_schema)
def show_run_task(run_id, task_id):
    return single(run_task_shape(get_run_task(g.nextstep_team, run_id, task_id)))


@runs.patch("/process-runs/<run_id>/tasks/<task_id>")
@operation("Change a run task", tag="Run tasks", body=patch_schema, answer=task_schema,
           errors=("run_completed", "task_blocked"), if_match=True,
           description="Every field optional, several at once, in one transaction: "
                       "complete or reopen, skip, assign, set element values, approve or "
                       "reject. The run completes when its last task does.")
def patch_run_task(run_id, task_id):
    """As for POST, the answer is produced before anything is committed."""
    changes = patch_schema.load(json_body())
    precondition = if_match_check(lambda task: enveloped(run_task_shape(task)))
    return update_task(g.nextstep_team, run_id, task_id, changes,
                       lambda task: single(run_task_shape(task)), precondition)
