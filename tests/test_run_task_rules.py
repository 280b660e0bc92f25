"""PATCH rules of one task: required elements, dependencies, skipping, approvals, assignee."""
from test_run_helpers import (
    T0,
    row,
    stamp,
    validation,
)

from nextstep.models import Run, RunTask


def test_required_elements_before_completion(flow, clock):
    response = flow.send(flow.fill, {"completed": True})
    assert response.status_code == 422
    assert response.get_json() == validation({f"custom_elements.{flow.name}": [
        'Required element "Name" needs a value before the task can be completed.']})
    for blank in ("", "   "):
        response = flow.send(flow.fill, {"completed": True, "custom_elements": [
            {"element_id": flow.name, "value": blank}]})
        assert response.status_code == 422
    # partial saves of other fields are always allowed
    response = flow.send(flow.fill, {"custom_elements": [{"id": flow.count, "value": 3}]})
    assert response.status_code == 200
    assert response.get_json()["data"]["completed"] is False
    response = flow.send(flow.fill, {"completed": True, "custom_elements": [
        {"element_id": flow.name, "value": "Ada"}]})
    assert response.status_code == 200
    assert [e["value"] for e in response.get_json()["data"]["custom_elements"]] == [
        "Ada", 3, None]
    # a completed task keeps its required values
    response = flow.send(flow.fill, {"custom_elements": [{"id": flow.name, "value": None}]})
    assert response.status_code == 422
    assert RunTask.get_by_id(flow.fill["id"]).custom_elements[0]["value"] == "Ada"


def test_dependencies_block_completion(flow, clock):
    before = row(RunTask, flow.after["id"]), row(Run, flow.run["id"])
    response = flow.send(flow.after, {"completed": True})
    assert response.status_code == 409
    assert response.get_json() == {"error": {
        "code": "task_blocked",
        "message": "This task depends on tasks that are neither completed nor skipped",
        "details": {"depends_on": [f'Task {flow.fill["id"]} ("Fill") is not done.',
                                   f'Task {flow.optional["id"]} ("Optional") is not done.']}}}
    assert (row(RunTask, flow.after["id"]), row(Run, flow.run["id"])) == before
    flow.send(flow.fill, {"completed": True, "custom_elements": [
        {"element_id": flow.name, "value": "x"}]})
    assert flow.send(flow.after, {"completed": True}).status_code == 409
    assert flow.send(flow.optional, {"skipped": True}).status_code == 200
    assert flow.send(flow.after, {"completed": True}).status_code == 200
    # other edits of a blocked task are fine; only completing is blocked
    assert flow.send(flow.approve, {"assignee": flow.member.id}).status_code == 200


def test_skip_rules(flow, clock):
    response = flow.send(flow.fill, {"skipped": True})
    assert response.status_code == 422
    assert response.get_json() == validation({"skipped": ["An essential task cannot be skipped."]})
    task = flow.send(flow.optional, {"skipped": True}).get_json()["data"]
    assert (task["skipped"], task["completed"]) == (True, False)
    task = flow.send(flow.optional, {"skipped": False}).get_json()["data"]
    assert task["skipped"] is False
    response = flow.send(flow.optional, {"skipped": True, "completed": True})
    assert response.get_json() == validation(
        {"skipped": ["A task cannot be completed and skipped at once."]})
    # completed and skipped exclude each other: each one clears the other
    task = flow.send(flow.optional, {"completed": True}).get_json()["data"]
    task = flow.send(flow.optional, {"skipped": True}).get_json()["data"]
    assert (task["skipped"], task["completed"], task["completed_at"], task["completed_by"]) == (
        True, False, None, None)
    task = flow.send(flow.optional, {"completed": True}).get_json()["data"]
    assert (task["skipped"], task["completed"]) == (False, True)


def test_approval_rules(flow, clock):
    for body, details in [
        ({"completed": True}, {"completed": [
            "An approval task is completed by approving it and reopened by rejecting it: "
            "send approval instead."]}),
        ({"approval": {"status": "approved"}, "completed": False},
         {"completed": ["Contradicts the approval status approved."]}),
        ({"approval": {"status": "rejected"}, "skipped": True},
         {"skipped": ["An approval cannot be given while skipping the task."]}),
        ({"approval": {"status": "maybe"}}, {"approval.status": [
            "Must be one of: approved, rejected."]}),
        ({"approval": {"comment": "x"}}, {"approval.status": [
            "Missing data for required field."]}),
    ]:
        response = flow.send(flow.approve, body)
        assert response.status_code == 422 and response.get_json() == validation(details), body
    response = flow.send(flow.optional, {"approval": {"status": "approved"}})
    assert response.get_json() == validation(
        {"approval": ["Only approval tasks take an approval."]})
    # approving completes, so the dependency rule applies
    response = flow.send(flow.approve, {"approval": {"status": "approved"}})
    assert response.status_code == 409 and response.get_json()["error"]["code"] == "task_blocked"
    flow.send(flow.fill, {"completed": True, "custom_elements": [
        {"element_id": flow.name, "value": "x"}]})
    response = flow.send(flow.approve, {"approval": {"status": "approved", "comment": "Fine"},
                                        "actor_email": flow.member.email})
    task = response.get_json()["data"]
    assert task["approval"] == {"status": "approved", "comment": "Fine", "by": flow.member.id,
                                "at": stamp(T0)}
    assert (task["completed"], task["completed_at"], task["completed_by"]) == (
        True, stamp(T0), flow.member.id)
    later = clock.tick()
    task = flow.send(flow.approve, {"approval": {"status": "rejected"}}).get_json()["data"]
    assert task["approval"] == {"status": "rejected", "comment": None, "by": "api",
                                "at": stamp(later)}
    assert (task["completed"], task["completed_at"], task["completed_by"]) == (False, None, None)
    task = flow.send(flow.approve, {"approval": {"status": "approved"}, "completed": True}
                     ).get_json()["data"]
    assert task["completed"] is True and task["approval"]["status"] == "approved"


def test_an_approval_decision_unskips_the_task(flow, clock):
    assert flow.send(flow.approve, {"skipped": True}).get_json()["data"]["skipped"] is True
    task = flow.send(flow.approve, {"approval": {"status": "rejected", "comment": "No"}}
                     ).get_json()["data"]
    assert (task["skipped"], task["completed"], task["approval"]["status"]) == (
        False, False, "rejected")


def test_assignee(flow, clock, team, make_member):
    gone = make_member(team, email="gone@example.com", is_active=False)
    task = flow.send(flow.optional, {"assignee": "Doer@Example.com"}).get_json()["data"]
    assert task["assignee"] == flow.member.id
    task = flow.send(flow.optional, {"assignee": None}).get_json()["data"]
    assert task["assignee"] is None
    task = flow.send(flow.optional, {"assignee": flow.member.id}).get_json()["data"]
    assert task["assignee"] == flow.member.id
    for ref in ("gone@example.com", gone.id, "nobody@example.com", flow.member.id.lower()):
        response = flow.send(flow.optional, {"assignee": ref})
        assert response.get_json() == validation({"assignee": [
            "Must be the user id or email of an active member of the team."]}), ref
    assert RunTask.get_by_id(flow.optional["id"]).assignee == flow.member.id
