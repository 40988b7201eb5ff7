"""The app's class, a Flask app whose HTTP side may be installed on first need
(`create_app(defer_http=True)`), and its `flask` command group, which installs that side before running a
command that needs it.

Why: every `flask` command builds the app first, and the HTTP side (the API blueprints and their marshmallow
schemas, the OpenAPI document, the pages with their forms and templates) is most of what building it costs,
while a cron's `sweep`, `retention run` or `db upgrade` serves nothing. `wsgi.py` defers it only when the
`flask` command line loads the app to find or list a command; gunicorn, the tests and `flask routes`, `run`
and `shell` get the whole app at once."""

from __future__ import annotations

import threading
from collections.abc import Callable

import click
from flask import Flask
from flask.cli import AppGroup


class OneRouteApp(Flask):
    """With a deferred HTTP side (`defer_http`), the app installs it once, for every thread, before it answers
    its first request, and before a `flask` command that needs it runs (`Commands`). Until then it has no
    routes: `url_for` and a request context made by hand would not find the pages."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.cli: Commands = Commands(self)
        self._install_http: Callable[[], None] | None = None
        self._http_lock = threading.Lock()

    def defer_http(self, install: Callable[[], None]) -> None:
        self._install_http = install

    @property
    def http_installed(self) -> bool:
        return self._install_http is None

    def install_http(self) -> None:
        """Install the HTTP side now if it was deferred; a no-op once it is installed."""
        if self._install_http is None:
            return
        with self._http_lock:
            if self._install_http is not None:
                self._install_http()  # if it raises (a ConfigError), it is not installed and raises again
                self._install_http = None

    def __call__(self, environ, start_response):
        self.install_http()
        return super().__call__(environ, start_response)


class Commands(AppGroup):
    """`app.cli`. The app's own commands (added with `add_command_without_http`) use no route, template or
    OpenAPI document, so they run without the HTTP side. Any other command added to the app (flask-smorest's
    `openapi`, added when the API is installed, prints the document) is listed in `flask --help` as it is,
    but running it, or asking its `--help`, installs the HTTP side first. (Commands of installed packages,
    such as Flask-Limiter's `limiter`, load the app themselves: whole, see `wsgi.py`.)"""

    def __init__(self, app: OneRouteApp) -> None:
        super().__init__(app.name)
        self.app = app
        self.without_http: set[str] = set()
        self.added_with_http: dict[str, str] = {}  # name: its help, until the HTTP side adds the command

    def add_command_without_http(self, command: click.Command) -> None:
        self.add_command(command)
        self.without_http.add(command.name or "")

    def added_when_installed(self, name: str, help_text: str) -> None:
        """A command the HTTP side adds (flask-smorest's `openapi`): listed, and run, before it is added."""
        self.added_with_http[name] = help_text

    def list_commands(self, ctx: click.Context) -> list[str]:
        names = set(super().list_commands(ctx))
        if not self.app.http_installed:
            names.update(self.added_with_http)
        return sorted(names)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        command = super().get_command(ctx, name)
        if self.app.http_installed or name in self.without_http:
            return command
        if command is not None:
            return WithHttp(self.app, name, command.help, command.short_help, hidden=command.hidden)
        if name in self.added_with_http:
            return WithHttp(self.app, name, self.added_with_http[name], None)
        return None


class WithHttp(click.Command):
    """Stands in for a command that needs the HTTP side: the same name and help in `flask --help`; run, it
    installs the HTTP side, then runs the command itself with the arguments it was given (its own `--help`
    too)."""

    def __init__(
        self, app: OneRouteApp, name: str, help_text: str | None, short_help: str | None, hidden: bool = False
    ) -> None:
        super().__init__(
            name,
            help=help_text,
            short_help=short_help,
            hidden=hidden,
            params=[click.Argument(["arguments"], nargs=-1, type=click.UNPROCESSED)],
            context_settings={"ignore_unknown_options": True},
            add_help_option=False,
        )
        self.app = app

    def invoke(self, ctx: click.Context):
        self.app.install_http()
        command = self.app.cli.get_command(ctx, self.name or "")
        if command is None:  # the HTTP side did not add it after all
            raise click.UsageError(f"No such command {self.name!r}.", ctx)
        arguments = list(ctx.params["arguments"])
        with command.make_context(ctx.info_name, arguments, parent=ctx.parent) as own:
            return command.invoke(own)
