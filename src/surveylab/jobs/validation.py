"""Checks of what users send to the job store: ids, names, file names, parameters, e-mails.

Each check returns the clean value or raises a :class:`~surveylab.errors.SurveylabError` whose
message says what is wrong, so the server extension can show it as is.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Mapping
from typing import Any

from surveylab.errors import JobNotFoundError, SurveylabError
from surveylab.limits import JOB_NAME_MAX_LENGTH

from .errors import UnsafePathError

__all__ = [
    "MAX_NAME_LENGTH",
    "MAX_PARAMETERS_BYTES",
    "check_email",
    "check_file_name",
    "check_job_id",
    "check_name",
    "check_parameters",
    "check_type",
    "looks_like_secret",
]

#: A job id: 12 lowercase hex digits (48 random bits).
JOB_ID = re.compile(r"[0-9a-f]{12}")
#: A job type: a short lowercase word, e.g. ``query`` or ``cutout``.
JOB_TYPE = re.compile(r"[a-z][a-z0-9_-]{0,31}")
#: A simple address check: no spaces, no line breaks, one ``@``, a host name after it.
EMAIL = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?")

MAX_NAME_LENGTH = JOB_NAME_MAX_LENGTH
MAX_FILE_NAME_LENGTH = 200
MAX_EMAIL_LENGTH = 254
MAX_PARAMETERS_BYTES = 1_000_000

#: A parameter key containing one of these is taken for a credential.
_SECRET_PARTS = (
    "password",
    "passwd",
    "passphrase",
    "secret",
    "token",
    "credential",
    "apikey",
    "privatekey",
    "accesskey",
    "cookie",
)
#: A parameter key with one of these as a whole word is taken for a credential.
_SECRET_WORDS = frozenset({"pwd", "pass", "auth", "authorization"})


def _shown(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def check_job_id(job_id: object) -> str:
    """``job_id`` if it is a well-formed job id; else :class:`JobNotFoundError`.

    Checked before any path is built from it, so ``"../x"`` never reaches the file system.
    """
    if not isinstance(job_id, str) or not JOB_ID.fullmatch(job_id):
        raise JobNotFoundError(f"no job {_shown(job_id)}: a job id is 12 hexadecimal digits")
    return job_id


def check_type(job_type: object) -> str:
    """``job_type`` if it is a short lowercase word such as ``"query"``."""
    if not isinstance(job_type, str) or not JOB_TYPE.fullmatch(job_type):
        raise SurveylabError(
            f"bad job type {_shown(job_type)}: a job type is a short lowercase word like 'query'"
        )
    return job_type


def _has_control(text: str) -> bool:
    return any(unicodedata.category(c) in {"Cc", "Zl", "Zp"} for c in text)


def check_name(name: object) -> str:
    """A job name, stripped: 1 to 128 characters, no ``/``, ``\\`` or control characters."""
    if not isinstance(name, str):
        raise SurveylabError("a job name must be text")
    name = name.strip()
    if not name:
        raise SurveylabError("a job name cannot be empty")
    if len(name) > MAX_NAME_LENGTH:
        raise SurveylabError(f"a job name has at most {MAX_NAME_LENGTH} characters")
    if "/" in name or "\\" in name:
        raise SurveylabError("a job name cannot contain '/' or '\\'")
    if _has_control(name):
        raise SurveylabError("a job name cannot contain line breaks or control characters")
    return name


def _file_name_problem(name: str) -> str | None:
    if not name:
        return "it is empty"
    if len(name) > MAX_FILE_NAME_LENGTH:
        return f"it is longer than {MAX_FILE_NAME_LENGTH} characters"
    if "/" in name or "\\" in name:
        return "a file name cannot contain '/' or '\\'"
    if name.startswith("."):
        return "a file name cannot start with '.'"
    if "\0" in name or _has_control(name):
        return "a file name cannot contain control characters"
    return None


def check_file_name(name: object) -> str:
    """``name`` if it is a plain file name inside a job folder; else :class:`UnsafePathError`.

    Refused: empty names, ``.``/``..`` and hidden names, anything with ``/`` or ``\\`` (so no
    absolute paths), NUL and control characters.
    """
    if not isinstance(name, str):
        raise UnsafePathError("a file name must be text")
    problem = _file_name_problem(name)
    if problem:
        raise UnsafePathError(f"{_shown(name)} is not a file of a job: {problem}")
    return name


def looks_like_secret(key: str) -> bool:
    """Whether a parameter called ``key`` would hold a credential (password, token, ...).

    Examples
    --------
    >>> [looks_like_secret(k) for k in ("db_password", "accessToken", "pass", "passband")]
    [True, True, True, False]
    """
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", key).casefold()
    words = [w for w in re.split(r"[^a-z0-9]+", spaced) if w]
    joined = "".join(words)
    return any(part in joined for part in _SECRET_PARTS) or any(w in _SECRET_WORDS for w in words)


def _refuse_secrets(value: Any, where: str) -> None:
    if isinstance(value, Mapping):
        for key, item in value.items():
            path = f"{where}.{key}" if where else str(key)
            if looks_like_secret(str(key)):
                raise SurveylabError(
                    f"job parameters must not hold credentials, and {path!r} looks like one: "
                    "a job gets its database access from the server, never from its parameters"
                )
            _refuse_secrets(item, path)
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            _refuse_secrets(item, f"{where}[{index}]")


def check_parameters(parameters: object) -> dict[str, Any]:
    """A JSON copy of ``parameters``, refused if a key looks like a credential.

    Raises
    ------
    SurveylabError
        If ``parameters`` is not a mapping of plain JSON values, is larger than 1 MB, or has a
        key such as ``password``, ``secret``, ``token`` or ``api_key`` at any depth.
    """
    if not isinstance(parameters, Mapping):
        raise SurveylabError("job parameters must be a mapping of names to values")
    _refuse_secrets(parameters, "")
    try:
        text = json.dumps(parameters, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise SurveylabError(
            f"job parameters must be plain JSON values (text, numbers, lists, objects): {exc}"
        ) from None
    if len(text) > MAX_PARAMETERS_BYTES:
        raise SurveylabError(f"job parameters are larger than {MAX_PARAMETERS_BYTES:,} bytes")
    clean: dict[str, Any] = json.loads(text)
    return clean


def check_email(address: object) -> str:
    """``address`` stripped, if it looks like an e-mail address (``user@host``)."""
    if not isinstance(address, str):
        raise SurveylabError("an e-mail address must be text")
    address = address.strip()
    if len(address) > MAX_EMAIL_LENGTH or not EMAIL.fullmatch(address):
        raise SurveylabError(f"{_shown(address)} is not an e-mail address like user@example.org")
    return address
