"""pyvo in a notebook, in one line: :func:`tap_service` is the release's TAP service with the
session's token already set.

The lab's server extension tells its kernels where its VO services are and which token reaches
them, in two environment variables (:data:`VO_URL_VARIABLE`, :data:`TOKEN_VARIABLE`); under
JupyterHub the token is the lab's own ``JUPYTERHUB_API_TOKEN``.

>>> from surveylab.vo import client
>>> tap = client.tap_service()  # doctest: +SKIP
>>> tap.search("SELECT TOP 5 RA, DEC FROM DR1_MAIN").to_table()  # doctest: +SKIP
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from ..errors import SurveylabError

if TYPE_CHECKING:
    import pyvo  # type: ignore[import-untyped]  # pyvo ships no type hints
    import requests

__all__ = [
    "TOKEN_VARIABLE",
    "VO_URL_VARIABLE",
    "datalink_url",
    "session",
    "sia_service",
    "tap_service",
]

#: Where the lab's VO services are (``http://127.0.0.1:8888/surveylab``), set by the lab for
#: its kernels.
VO_URL_VARIABLE = "SURVEYLAB_VO_URL"
#: The token that reaches them (a standalone lab's token; under JupyterHub
#: ``JUPYTERHUB_API_TOKEN`` is used).
TOKEN_VARIABLE = "SURVEYLAB_VO_TOKEN"


def _base(url: str | None) -> str:
    found = url or os.environ.get(VO_URL_VARIABLE)
    if not found:
        raise SurveylabError(
            f"no VO services known here: run this in a surveylab lab (which sets "
            f"{VO_URL_VARIABLE}), or give url='https://.../surveylab'"
        )
    return found.rstrip("/")


def session(token: str | None = None) -> requests.Session:
    """A requests session that sends the lab's token (``Authorization: token ...``)."""
    import requests

    chosen = token or os.environ.get(TOKEN_VARIABLE) or os.environ.get("JUPYTERHUB_API_TOKEN")
    http = requests.Session()
    if chosen:
        http.headers["Authorization"] = f"token {chosen}"
    return http


def tap_service(url: str | None = None, token: str | None = None) -> pyvo.dal.TAPService:
    """The release's TAP service as a :class:`pyvo.dal.TAPService`, authenticated.

    Parameters
    ----------
    url : str, optional
        The base of the VO services (``.../surveylab``); by default the lab's own.
    token : str, optional
        The token to send; by default the lab's.
    """
    import pyvo

    return pyvo.dal.TAPService(f"{_base(url)}/tap", session=session(token))


def sia_service(url: str | None = None, token: str | None = None) -> pyvo.dal.SIA2Service:
    """The release's SIA 2 service as a :class:`pyvo.dal.SIA2Service`, authenticated."""
    import pyvo

    return pyvo.dal.SIA2Service(f"{_base(url)}/sia", session=session(token))


def datalink_url(url: str | None = None) -> str:
    """The address of the DataLink ``links`` endpoint."""
    return f"{_base(url)}/datalink/links"
