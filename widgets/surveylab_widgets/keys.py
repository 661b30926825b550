"""``KeyListener``: key presses inside a widget's area, sent to Python (ipywidgets has none).

A tiny anywidget (``static/keys.js``): while :attr:`KeyListener.active`, a press of one of its
keys with the focus inside the closest element matching ``scope`` calls the Python handlers with
the key's name as the browser gives it (``"3"``, ``"Backspace"``, ``"ArrowLeft"``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import anywidget
import traitlets

__all__ = ["KeyListener"]


class KeyListener(anywidget.AnyWidget):
    """Calls its handlers with each key pressed in its area while it is active.

    Parameters
    ----------
    keys : iterable of str
        The keys taken (:attr:`accepted`), as ``KeyboardEvent.key`` names them; others pass on
        to the page.
    scope : str
        A CSS selector of the enclosing element whose keys are taken (``""``: this widget's own
        element, which shows ``hint``).
    hint : str
        A short text shown in the widget, e.g. which keys do what.
    """

    _esm = Path(__file__).parent / "static" / "keys.js"

    accepted = traitlets.List(traitlets.Unicode(), help="The keys taken.").tag(sync=True)
    scope = traitlets.Unicode("", help="CSS selector of the area listened to.").tag(sync=True)
    hint = traitlets.Unicode("", help="The text shown.").tag(sync=True)
    active = traitlets.Bool(False, help="Whether key presses are taken now.").tag(sync=True)

    def __init__(self, keys: Iterable[str], *, scope: str = "", hint: str = "") -> None:
        super().__init__(accepted=list(keys), scope=scope, hint=hint)
        self._handlers: list[Callable[[str], None]] = []
        self.on_msg(self._on_message)

    def on_key(self, handler: Callable[[str], None]) -> None:
        """Call ``handler(key)`` for each key pressed while the listener is active."""
        self._handlers.append(handler)

    def press(self, key: str) -> None:
        """Handle ``key`` as if it was pressed (ignored unless active and one of ``keys``)."""
        if self.active and key in self.accepted:
            for handler in list(self._handlers):
                handler(key)

    def _on_message(self, _widget: Any, content: Any, _buffers: Any) -> None:
        if isinstance(content, dict) and content.get("type") == "key":
            self.press(str(content.get("key")))
