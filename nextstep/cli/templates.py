"""Templates: import a file, list, publish, export (docs/cli.md)."""
import os

import click

from ..services import teams
from ..services.exporter import export_text
from ..services.importer import TemplateImportError, import_template, read_template_file
from ..services.publishing import publish_template
from ..services.templates import list_templates, template_or_none
from .helpers import TEAM, echo_table, import_failure, operator_command, when


def find_template(team, template_id):
    template = template_or_none(team, template_id)
    if template is None:
        raise click.ClickException(
            f'No template "{template_id}" in team "{team.subdomain}". Use the id that '
            f"import-template printed, or GET /api/v1/process-templates to list them.")
    return template


@operator_command("import-template")
@TEAM
@click.argument("file", type=click.File("r", encoding="utf-8"))
@click.option("--publish", is_flag=True, help="Publish it (the next version) right away.")
@click.option("--template", "template_id", help="Replace this template's draft in place.")
def import_template_command(subdomain, file, publish, template_id):
    """Import a template file (docs/import-format.md); prints the template id last."""
    team = teams.find_team(subdomain)
    template = find_template(team, template_id) if template_id else None
    try:
        template = import_template(team, read_template_file(file), publish, template)
    except TemplateImportError as error:
        raise import_failure(error) from None
    state = f"published as version {template.version}" if publish else "draft saved"
    verb = "Replaced the content of" if template_id else "Imported"
    click.echo(f'{verb} template "{template.title}": {state}.')
    if template_id and not publish and template.is_published:
        click.echo(f"New runs start from version {template.version} until you run "
                   f"`nextstep publish-template --team {subdomain} {template.id}`.")
    click.echo(template.id)


@operator_command("list-templates")
@TEAM
def list_templates_command(subdomain):
    """List a team's templates, newest first, drafts included."""
    team = teams.find_team(subdomain)
    templates = list_templates(team)
    rows = [(template.id, template.title, str(template.version) if template.version else "-",
             "yes" if template.is_published else "no", when(template.updated_at))
            for template in templates]
    echo_table(("ID", "TITLE", "VERSION", "PUBLISHED", "UPDATED"), rows,
               f"Team {subdomain} has no templates; add one with `nextstep import-template`.")


@operator_command("publish-template")
@TEAM
@click.argument("template_id")
def publish_template_command(subdomain, template_id):
    """Publish a template's current content as its next version; prints its id last."""
    template = publish_template(find_template(teams.find_team(subdomain), template_id))
    click.echo(f'Published template "{template.title}" as version {template.version}; '
               f"new runs start from it.")
    click.echo(template.id)


@operator_command("export-template")
@TEAM
@click.argument("template_id")
@click.argument("file", required=False, type=click.Path(dir_okay=False, allow_dash=True))
@click.option("--replace", is_flag=True, help="Overwrite FILE if it exists.")
def export_template_command(subdomain, template_id, file, replace):
    """Write a template's working copy as a template file (docs/import-format.md) to FILE,
    or to stdout without FILE (or with -)."""
    template = find_template(teams.find_team(subdomain), template_id)
    text = export_text(template)
    if file is None or file == "-":
        click.echo(text, nl=False)
        return
    target = os.path.abspath(file)
    if not os.path.isdir(os.path.dirname(target)):
        raise click.ClickException(f"The folder {os.path.dirname(target)} does not exist; "
                                   f"create it first.")
    if os.path.exists(target) and not replace:
        raise click.ClickException(f"{target} already exists; choose a new name, or pass "
                                   f"--replace to overwrite it.")
    with open(target, "w", encoding="utf-8", newline="\n") as out:
        out.write(text)
    click.echo(f'Exported template "{template.title}" to {target}.')
    click.echo(target)


TEMPLATE_COMMANDS = [import_template_command, list_templates_command, publish_template_command,
                     export_template_command]
