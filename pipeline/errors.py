"""The one exception type for "what the user gave is wrong".

A missing file, a line of citations.yaml that does not load, an option value that does not
parse: the command prints it as one line naming the file (and line) and exits 1. Anything
else that escapes a command is a bug in citewatch and is shown as one, with its traceback.
It derives from ValueError so that code written against the old ValueError still works.
"""

from __future__ import annotations


class InputError(ValueError):
    """The user's input is wrong; the message names the file, line or option."""
