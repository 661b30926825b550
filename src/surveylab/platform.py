"""The hub's platform service as a lab calls it: where the lab's jobs run when the hub has one,
so that stopping or culling the lab does not stop them.

The hub tells a lab the service's address (``SURVEYLAB_PLATFORM_URL``, the contract of
:mod:`surveylab.labenv`); a :class:`~surveylab.Survey` in the lab, in its server or in a kernel
(the query panel, the widgets, ``surveylab sql``), submits jobs there with the lab's own hub
token, which may access the service. The results land in the job store the lab reads, the
user's ``~/surveylab-jobs``, so everything else (listing, files, logs, cancelling through the
store) stays local.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

import requests

from .errors import (
    ErrorCategory,
    JobLimitError,
    JobNotFoundError,
    RequestError,
    SurveylabError,
)

__all__ = ["PlatformClient", "PlatformUnavailableError"]


class PlatformUnavailableError(SurveylabError):
    """The platform service cannot be reached."""

    category = ErrorCategory.UNAVAILABLE


class PlatformClient:
    """Submit and cancel jobs on the platform service at ``url`` with the API ``token``.

    Each call returns the service's HTTP status and JSON reply, which the lab passes on as
    they are: a refusal (bad input, 429 past the user's limit) reads the same from both.
    """

    def __init__(self, url: str, token: str, timeout: float = 30) -> None:
        self.url = url.rstrip("/") + "/"
        self.timeout = timeout
        self._session = requests.Session()
        self._session.headers["Authorization"] = f"token {token}"

    def __repr__(self) -> str:  # the token stays out of logs
        return f"PlatformClient({self.url!r})"

    @classmethod
    def for_lab(
        cls, platform_url: str | None, environ: Mapping[str, str] = os.environ
    ) -> PlatformClient | None:
        """The service a lab's jobs go to: ``platform_url`` (``settings.platform_url``) with
        the lab's hub token (``JUPYTERHUB_API_TOKEN``), or None if either is missing."""
        token = environ.get("JUPYTERHUB_API_TOKEN")
        return cls(platform_url, token) if platform_url and token else None

    def submit_job(self, request: Mapping[str, Any]) -> str:
        """Submit the job ``request`` and return its id; a refusal is raised as the error of
        its kind (bad input, a full job list, ...), with the service's message."""
        status, reply = self.submit(request)
        job_id = reply.get("id")
        if status == 201 and isinstance(job_id, str):
            return job_id
        message = str(reply.get("message") or f"the platform service answered HTTP {status}")
        raise _REFUSALS.get(status, SurveylabError)(message)

    def ping(self) -> None:
        """Check that the service answers the token (``GET api/examples``, which costs it
        nothing); raise :class:`PlatformUnavailableError` if not."""
        status, _reply = self._call("GET", "api/examples")
        if status != 200:
            raise PlatformUnavailableError(
                f"the platform service at {self.url} answered HTTP {status}"
            )

    def submit(self, request: Mapping[str, Any]) -> tuple[int, dict[str, Any]]:
        """``POST api/jobs`` with the job ``request`` (the REST API's JobRequest)."""
        return self._call("POST", "api/jobs", json=dict(request))

    def cancel(self, job_id: str) -> tuple[int, dict[str, Any]]:
        """``POST api/jobs/<id>/cancel``."""
        return self._call("POST", f"api/jobs/{quote(job_id, safe='')}/cancel")

    def _call(self, method: str, path: str, **kwargs: Any) -> tuple[int, dict[str, Any]]:
        try:
            reply = self._session.request(method, self.url + path, timeout=self.timeout, **kwargs)
            body = reply.json()
        except (requests.RequestException, ValueError) as exc:
            raise PlatformUnavailableError(
                f"the platform service at {self.url} cannot be reached ({type(exc).__name__}); "
                "try again in a moment"
            ) from None
        if not isinstance(body, dict):
            raise PlatformUnavailableError(f"the platform service at {self.url} answered oddly")
        return reply.status_code, body


#: The error a refusal of the service is raised as, by HTTP status.
_REFUSALS: dict[int, type[SurveylabError]] = {
    400: RequestError,
    404: JobNotFoundError,
    429: JobLimitError,
    503: PlatformUnavailableError,
}
