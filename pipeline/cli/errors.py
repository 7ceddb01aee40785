"""How a command ends: its exit statuses, input errors as one line, bugs as bugs."""

from __future__ import annotations

import functools

import click

from .. import citations as cit
from ..errors import InputError
from ..files import DISK_ERRNOS, cannot_write
from ..textsafe import clean
from ..vocab import ExitStatus

ISSUES = "https://github.com/citewatch/citewatch/issues"


class OneLineError(click.ClickException):
    """One line on stderr, exit status 1."""

    exit_code = ExitStatus.INPUT

    def show(self, file=None) -> None:
        click.echo(f"citewatch: {clean(self.format_message())}", err=True)


def friendly_errors(fn):
    """The library's input errors (``InputError``: a bad file, line or option value) become
    one-line messages. Anything else is a bug in citewatch, not the user's mistake: it keeps
    its traceback and says where to report it."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except cit.CitationsError as e:
            for p in e.problems[:-1]:
                click.echo(f"citewatch: {clean(p)}", err=True)
            raise OneLineError(e.problems[-1]) from None
        except InputError as e:
            raise OneLineError(str(e)) from None
        except (click.exceptions.ClickException, click.exceptions.Exit, click.exceptions.Abort):
            raise
        except OSError as e:
            if e.errno not in DISK_ERRNOS:
                raise
            # a read-only folder, a full disk: the user's to fix, not a bug — one line
            raise OneLineError(cannot_write(e)) from None
        except Exception:
            click.echo(f"citewatch: internal error (a bug, not your input); please report it at {ISSUES}", err=True)
            raise

    return wrapper
