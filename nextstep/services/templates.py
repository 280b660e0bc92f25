"""Reading templates for a team: one template, and pages of templates and of a template's
tasks, each with its sections or elements in one more query."""
from collections import defaultdict
from functools import lru_cache

from peewee import Value

from ..errors import not_found
from ..models import CustomElement, Section, Template, TemplateTask
from ..statements import PreparedQuery
from .pagination import BY_POSITION, NEWEST_FIRST, Pager


def team_templates(team):
    """Every template of the team (a Team or its id), drafts included (order: the
    caller's)."""
    return Template.select().where(Template.team == team)


TEMPLATE_OF_TEAM = PreparedQuery(lambda template_id, team_id: (
    Template.select().where((Template.id == template_id) & (Template.team == team_id))
    .limit(1).offset(0)), arity=2)


def template_or_none(team, template_id):
    return TEMPLATE_OF_TEAM.first(template_id, team.id)


def list_templates(team):
    """Every template of the team, newest first, drafts included."""
    return team_templates(team).order_by(Template.created_at.desc(), Template.id.desc())


def get_template(team, template_id):
    """The team's template, or 404: another team's id looks exactly like a missing one."""
    template = template_or_none(team, template_id)
    if template is None:
        raise not_found("Process template not found")
    return template


def template_with_sections(team, template_id):
    """The team's template with its `section_rows`, or 404."""
    return attach_children([get_template(team, template_id)], Section.template,
                           "section_rows")[0]


TEMPLATES = Pager(team_templates, NEWEST_FIRST, filters={
    "is_published": lambda published: Template.is_published == Value(published,
                                                                     converter=False),
    "archived": {False: Template.archived_at.is_null(),
                 True: Template.archived_at.is_null(False)}})
TEMPLATE_TASKS = Pager(lambda template_id: TemplateTask.select().where(
    TemplateTask.template == template_id), BY_POSITION)


def templates_page(team, limit, cursor, is_published=None, archived=False):
    """A page of the team's templates, newest first, each with its `section_rows`; a
    cursor is any of the team's templates, whatever the filter."""
    page = TEMPLATES.page([team.id], cursor, limit, is_published=is_published,
                          archived=archived)
    attach_sections(page.items)
    return page


def template_tasks_page(team, template_id, limit, cursor):
    """A page of the team's template's tasks by position, each with its `element_rows`;
    404 for a template that is not the team's, 400 for a cursor of another template."""
    template = get_template(team, template_id)
    page = TEMPLATE_TASKS.page([template.id], cursor, limit)
    attach_elements(page.items)
    return page


def attach_sections(templates):
    """Each template with its `section_rows` (one query)."""
    return attach_children(templates, Section.template, "section_rows")


def attach_elements(tasks):
    """Each template task with its `element_rows` (one query)."""
    return attach_children(tasks, CustomElement.task, "element_rows")


def attach_children(parents, foreign_key, name):
    """Give each parent row the list of its children by position, as attribute `name`, in
    one query (`foreign_key` is the children's field that points at the parents).

    Not Peewee's prefetch() or with_related(): both run on the page's query before it is
    cut to `limit`, so they would load the look-ahead row's children too, and prefetch()
    repeats the page's query inside the children's as a subquery.
    """
    children = defaultdict(list)
    if parents:
        rows = _children_of(foreign_key, len(parents)).rows(*[parent.id for parent in parents])
        for row in rows:
            children[row.__data__[foreign_key.name]].append(row)
    for parent in parents:
        setattr(parent, name, children[parent.id])
    return parents


@lru_cache(maxsize=256)
def _children_of(foreign_key, count):
    """The children query for `count` parents, prepared once per count (a page has 1 to
    100 parents)."""
    child = foreign_key.model
    return PreparedQuery(lambda *ids: (child.select().where(foreign_key.in_(list(ids)))
                                       .order_by(foreign_key, child.position)), arity=count)
