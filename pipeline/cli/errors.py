"""How a command ends: its exit statuses, and input errors as one line on stderr."""

from __future__ import annotations

import functools

import click

from .. import citations as cit
from ..footnotes import ArticleError
from ..textsafe import clean

EXIT_OK, EXIT_INPUT, EXIT_PROBLEMS = 0, 1, 2


class InputError(click.ClickException):
    """One line on stderr, exit status 1."""

    exit_code = EXIT_INPUT

    def show(self, file=None) -> None:
        click.echo(f"citewatch: {clean(self.format_message())}", err=True)


def friendly_errors(fn):
    """Turn the library's input errors into one-line messages."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except cit.CitationsError as e:
            for p in e.problems[:-1]:
                click.echo(f"citewatch: {clean(p)}", err=True)
            raise InputError(e.problems[-1]) from None
        except ArticleError as e:
            raise InputError(str(e)) from None
        except ValueError as e:
            raise InputError(str(e)) from None

    return wrapper
