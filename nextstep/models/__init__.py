"""Peewee models, one module per aggregate."""
from .base import BaseModel, database
from .idempotency import IdempotencyKey
from .run import RUN_STATUSES, Event, Run, RunTask
from .team import ApiKey, Member, Team
from .template import CustomElement, Section, Template, TemplateTask, TemplateVersion

ALL_MODELS = [Team, Member, ApiKey, Template, Section, TemplateTask, CustomElement,
              TemplateVersion, Run, RunTask, Event, IdempotencyKey]

__all__ = ["ALL_MODELS", "ApiKey", "BaseModel", "CustomElement", "Event", "IdempotencyKey",
           "Member", "RUN_STATUSES", "Run", "RunTask", "Section", "Template", "TemplateTask",
           "TemplateVersion", "Team", "database"]
