"""Sections of a template's working copy: add, change, move, remove (contract §10)."""
from ..db import transaction
from ..errors import conflict, not_found
from ..ids import new_id
from ..models import Section, TemplateTask
from ..schemas.authoring import SectionBodySchema
from . import positions
from .authoring import load, lock_template, touch

SECTION_FIELDS = ("title", "description", "color")
section_schema = SectionBodySchema()


def _section(template, section_id):
    section = Section.get_or_none((Section.id == section_id) & (Section.template == template))
    if section is None:
        raise not_found("Process template section not found")
    return section


def create_section(team, template_id, data, render):
    spec = load(section_schema, data)
    section = Section(id=new_id(), **{name: spec[name] for name in SECTION_FIELDS})
    with transaction():
        template = lock_template(team, template_id)
        section.template = template.id
        section.position = positions.make_room(Section, template.id, spec.get("order"),
                                               "sections")
        section.save(force_insert=True)
        touch(template)
        return render(section)


def patch_section(team, template_id, section_id, data, render):
    changes = load(section_schema, data, partial=True)
    with transaction():
        template = lock_template(team, template_id)
        section = _section(template, section_id)
        updates = {name: changes[name] for name in SECTION_FIELDS
                   if name in changes and changes[name] != getattr(section, name)}
        moved = "order" in changes and changes["order"] != section.position
        if "order" in changes:
            positions.move(Section, template.id, section.id, section.position,
                           changes["order"], "sections")
            section.position = changes["order"]
        if updates:
            Section.update(**updates).where(Section.id == section.id).execute()
            for name, value in updates.items():
                setattr(section, name, value)
        if updates or moved:
            touch(template)
        return render(section)


def delete_section(team, template_id, section_id):
    """Refused while tasks are in it: move or delete them first."""
    with transaction():
        template = lock_template(team, template_id)
        section = _section(template, section_id)
        if TemplateTask.select().where(TemplateTask.section == section).exists():
            raise conflict("section_not_empty",
                           "Tasks are still in this section; move or delete them first")
        Section.delete().where(Section.id == section.id).execute()
        positions.close_gap(Section, template.id, section.position)
        touch(template)
