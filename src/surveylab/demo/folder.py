"""What a release folder holds: nothing, a whole demo survey, part of one, or something else.

``surveylab demo-data`` asks this before it writes: an empty folder is filled, a whole survey is
left alone, and a partial one is reported with what is missing. A folder counts as a survey only
when it has the release record (``release.json``, written last by the generator), the catalog
and every image the record lists.

Examples
--------
>>> inspect_release_folder(Path("/nonexistent")).kind  # doctest: +SKIP
<FolderKind.MISSING: 'missing'>
"""

from __future__ import annotations

import enum
import json
from dataclasses import dataclass
from pathlib import Path

from .generate import CATALOG_FILE, IMAGES_DIR, RELEASE_FILE

__all__ = [
    "IGNORED_ENTRIES",
    "RELEASE_FILE",
    "SURVEY_ENTRIES",
    "FolderKind",
    "FolderState",
    "inspect_release_folder",
]

#: The entries the generator writes into a release folder.
SURVEY_ENTRIES = (RELEASE_FILE, CATALOG_FILE, IMAGES_DIR)
#: Entries that do not make a folder non-empty: a fresh ext4 volume's ``lost+found``; hidden
#: entries (names starting with ``.``) are ignored too.
IGNORED_ENTRIES = frozenset({"lost+found"})
#: How many missing images a message names before it says "and N more".
_NAMED_IMAGES = 3


class FolderKind(enum.Enum):
    """What a release folder is."""

    MISSING = "missing"
    """Nothing is there."""
    EMPTY = "empty"
    """A folder with nothing in it but hidden entries and ``lost+found``."""
    SURVEY = "survey"
    """A whole survey: the release record, the catalog and the images the record lists."""
    PARTIAL = "partial"
    """Some of a survey's files, but not all of them."""
    OTHER = "other"
    """A file, or a folder holding none of a survey's files."""


@dataclass(frozen=True)
class FolderState:
    """The kind of a release folder and, when it is partial or other, what is wrong.

    Attributes
    ----------
    path : Path
        The folder.
    kind : FolderKind
    problems : tuple of str
        What is missing or broken, one phrase each (empty for a missing, empty or whole folder).
    """

    path: Path
    kind: FolderKind
    problems: tuple[str, ...] = ()

    @property
    def usable(self) -> bool:
        """Whether the folder holds a whole survey."""
        return self.kind is FolderKind.SURVEY


def _visible_entries(path: Path) -> list[str]:
    return sorted(
        entry.name
        for entry in path.iterdir()
        if not entry.name.startswith(".") and entry.name not in IGNORED_ENTRIES
    )


def _record_problems(path: Path) -> list[str]:
    """What is wrong with ``release.json`` and the images it lists (nothing if all is well)."""
    record_path = path / RELEASE_FILE
    if not record_path.is_file():
        return [f"{RELEASE_FILE} (the release record) is missing"]
    try:
        record = json.loads(record_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        return [f"{RELEASE_FILE} (the release record) cannot be read: {err}"]
    if not isinstance(record, dict):
        return [f"{RELEASE_FILE} (the release record) is not a JSON object"]
    tiles = record.get("image_tiles") or []
    bands = record.get("bands") or []
    missing = [
        f"{IMAGES_DIR}/{tile}/{tile}_{band}.fits.fz"
        for tile in tiles
        for band in bands
        if not (path / IMAGES_DIR / str(tile) / f"{tile}_{band}.fits.fz").is_file()
    ]
    if not missing:
        return []
    named = ", ".join(missing[:_NAMED_IMAGES])
    more = f" and {len(missing) - _NAMED_IMAGES} more" if len(missing) > _NAMED_IMAGES else ""
    return [f"{len(missing)} of the {len(tiles) * len(bands)} images are missing ({named}{more})"]


def inspect_release_folder(path: str | Path) -> FolderState:
    """Say what ``path`` holds, reading only names and ``release.json``.

    Parameters
    ----------
    path : str or Path
        The folder ``surveylab demo-data --out`` points at.

    Returns
    -------
    FolderState
        ``MISSING``, ``EMPTY``, ``SURVEY`` (the release record, the catalog and every image the
        record lists), ``PARTIAL`` (some of those; ``problems`` says what is missing) or
        ``OTHER`` (a file, or a folder with none of a survey's entries).
    """
    folder = Path(path)
    if not folder.exists() and not folder.is_symlink():
        return FolderState(folder, FolderKind.MISSING)
    if not folder.is_dir():
        return FolderState(folder, FolderKind.OTHER, ("it is not a folder",))
    entries = _visible_entries(folder)
    if not entries:
        return FolderState(folder, FolderKind.EMPTY)
    if not set(entries) & set(SURVEY_ENTRIES):
        shown = ", ".join(entries[:_NAMED_IMAGES])
        more = ", ..." if len(entries) > _NAMED_IMAGES else ""
        return FolderState(
            folder,
            FolderKind.OTHER,
            (f"it holds {shown}{more} and none of a survey's files",),
        )
    problems = _record_problems(folder)
    if not (folder / CATALOG_FILE).is_file():
        problems.append(f"{CATALOG_FILE} (the catalog) is missing")
    if problems:
        return FolderState(folder, FolderKind.PARTIAL, tuple(problems))
    return FolderState(folder, FolderKind.SURVEY)
