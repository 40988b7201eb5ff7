import contextlib
import json
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from referrals.errors import DomainValidationError
from reports.needs import NeedsReport, needs_report, needs_trend
from reports.render import report_dict, to_csv, to_table, trend_csv, trend_dict

report_cli = AppGroup("report", help="Reports: needs against provision.")

since_option = click.option(
    "--since", type=click.DateTime(formats=["%Y-%m-%d"]), default=None, help="Referrals created on or after."
)
until_option = click.option(
    "--until",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="Referrals created on or before (default: today).",
)
area_option = click.option("--area", default=None, help="A council area code (default: all served areas).")
open_data_option = click.option(
    "--open-data", is_flag=True, help="Suppress counts under REPORT_SUPPRESSION_THRESHOLD (default 5)."
)


def _report(since, area: str | None, open_data: bool, until=None, build=needs_report) -> NeedsReport:
    services = current_app.extensions["oneroute"]
    with services.session_factory() as session:
        try:
            return build(
                session,
                services.areas,
                since=since.date() if since else None,
                until=until.date() if until else None,
                area=area,
                open_data=open_data,
                threshold=services.settings["REPORT_SUPPRESSION_THRESHOLD"],
            )
        except DomainValidationError as exc:
            raise click.UsageError(exc.message) from exc


@report_cli.command("needs", help="Needs against provision by council area, hub and postcode district.")
@since_option
@until_option
@area_option
@open_data_option
@click.option("--format", "output", type=click.Choice(["table", "csv", "json"]), default="table")
def needs_command(since, until, area, open_data, output):
    report = _report(since, area, open_data, until)
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

    picture = render_needs_map(_report(since, area, open_data))
    partial = path.with_name(f".{path.name}.partial")
    try:  # whole or not at all: a full disk leaves no half picture, and any older map as it was
        partial.write_bytes(picture)
        partial.replace(path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            partial.unlink(missing_ok=True)
        raise click.ClickException(
            f"cannot write {path}: {exc.strerror or exc} (nothing was left; any older map is as it was)"
        ) from exc
    click.echo(f"wrote {path}")


@report_cli.command(
    "trend", help="Needs week by week for each council area (default: the last twelve weeks)."
)
@since_option
@until_option
@area_option
@open_data_option
@click.option("--format", "output", type=click.Choice(["csv", "json"]), default="csv")
def trend_command(since, until, area, open_data, output):
    trend = _report(since, area, open_data, until, build=needs_trend)
    if output == "json":
        click.echo(json.dumps(trend_dict(trend), indent=2))
    else:
        click.echo(trend_csv(trend), nl=False)
