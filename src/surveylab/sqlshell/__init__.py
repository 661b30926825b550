"""``surveylab sql``: a terminal SQL shell over the core, in the manner of DES's easyaccess.

Layers, each usable alone: :mod:`.parse` (text to actions, pure), :mod:`.interpreter` and
:mod:`.commands` (actions run against a :class:`~surveylab.Survey`), :mod:`.render` (tables as
text), :mod:`.complete` (completion), and :mod:`.app`, the thin prompt_toolkit prompt.
Importing this package loads neither prompt_toolkit nor a database driver.
"""

from .cli import add_sql_command, run_sql

__all__ = ["add_sql_command", "run_sql"]
