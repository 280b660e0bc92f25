"""Peewee models, one module per aggregate."""
from .base import BaseModel, database
from .idempotency import IdempotencyKey
from .run import RUN_STATUSES, Event, Run, RunTask
from .team import ApiKey, Member, Team
from .template import CustomElement, Section, Template, TemplateTask, TemplateVersion
from .webhook import Attempt, Delivery, Webhook

ALL_MODELS = [Team, Member, ApiKey, Template, Section, TemplateTask, CustomElement,
              TemplateVersion, Run, RunTask, Event, Webhook, Delivery, Attempt, IdempotencyKey]

__all__ = ["ALL_MODELS", "ApiKey", "Attempt", "BaseModel", "CustomElement", "Delivery",
           "Event", "IdempotencyKey", "Member", "RUN_STATUSES", "Run", "RunTask", "Section",
           "Template", "TemplateTask", "TemplateVersion", "Team", "Webhook", "database"]
