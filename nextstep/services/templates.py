"""Reading templates for a team, with their sections and elements in one query each."""
from collections import defaultdict

from ..errors import not_found
from ..models import CustomElement, Section, Template, TemplateTask


def template_or_none(team, template_id):
    return Template.get_or_none((Template.id == template_id) & (Template.team == team))


def list_templates(team):
    """Every template of the team, newest first, drafts included."""
    return (Template.select().where(Template.team == team)
            .order_by(Template.created_at.desc(), Template.id.desc()))


def get_template(team, template_id):
    """The team's template, or 404: another team's id looks exactly like a missing one."""
    template = template_or_none(team, template_id)
    if template is None:
        raise not_found("Process template not found")
    return template


def attach_sections(templates):
    """Give each template its `section_rows`, by position, in one query."""
    by_template = defaultdict(list)
    if templates:
        rows = (Section.select()
                .where(Section.template.in_([t.id for t in templates]))
                .order_by(Section.template, Section.position))
        for section in rows:
            by_template[section.template_id].append(section)
    for template in templates:
        template.section_rows = by_template[template.id]
    return templates


def attach_elements(tasks):
    """Give each template task its `element_rows`, by position, in one query."""
    by_task = defaultdict(list)
    if tasks:
        rows = (CustomElement.select()
                .where(CustomElement.task.in_([t.id for t in tasks]))
                .order_by(CustomElement.task, CustomElement.position))
        for element in rows:
            by_task[element.task_id].append(element)
    for task in tasks:
        task.element_rows = by_task[task.id]
    return tasks


def template_task_or_none(template, task_id):
    return TemplateTask.get_or_none((TemplateTask.id == task_id)
                                    & (TemplateTask.template == template))
