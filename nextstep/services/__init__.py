"""The rules of the service, without Flask: start a run, update a task, import a template."""
