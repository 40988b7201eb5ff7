import json
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from referrals.errors import DomainValidationError
from reports.needs import NeedsReport, needs_report
from reports.render import report_dict, to_csv, to_table

report_cli = AppGroup("report", help="Reports: needs against provision.")

since_option = click.option(
    "--since", type=click.DateTime(formats=["%Y-%m-%d"]), default=None, help="Referrals created on or after."
)
area_option = click.option("--area", default=None, help="A council area code (default: all served areas).")
open_data_option = click.option(
    "--open-data", is_flag=True, help="Suppress counts under REPORT_SUPPRESSION_THRESHOLD (default 5)."
)


def _report(since, area: str | None, open_data: bool) -> NeedsReport:
    services = current_app.extensions["oneroute"]
    with services.session_factory() as session:
        try:
            return needs_report(
                session,
                services.areas,
                since=since.date() if since else None,
                area=area,
                open_data=open_data,
                threshold=services.settings["REPORT_SUPPRESSION_THRESHOLD"],
            )
        except DomainValidationError as exc:
            raise click.UsageError(exc.message) from exc


@report_cli.command("needs", help="Needs against provision by council area, hub and postcode district.")
@since_option
@area_option
@open_data_option
@click.option("--format", "output", type=click.Choice(["table", "csv", "json"]), default="table")
def needs_command(since, area, open_data, output):
    report = _report(since, area, open_data)
    if output == "json":
        click.echo(json.dumps(report_dict(report), indent=2))
    elif output == "csv":
        click.echo(to_csv(report), nl=False)
    else:
        click.echo(to_table(report), nl=False)


@report_cli.command("map", help="Draw the needs map (PNG) to PATH.")
@click.argument("path", type=click.Path(dir_okay=False, writable=True, path_type=Path))
@since_option
@area_option
@open_data_option
def map_command(path: Path, since, area, open_data):
    from reports.needs_map import render_needs_map  # matplotlib and shapely: loaded only to draw

    path.write_bytes(render_needs_map(_report(since, area, open_data)))
    click.echo(f"wrote {path}")
