"""Render the generated blocks of ``hub_config/helm/values.yaml`` from ``hub_config/profiles.yaml``.

Two blocks of the Helm values come from the profiles file, so that the chart and the hub can
never disagree:

- ``hub.extraFiles.surveylab-profiles.stringData``: the profiles file itself, mounted into the
  hub, where ``hub.extraConfig`` and the culler read it;
- ``singleuser.profileList``: ``kubespawner_profile_list(load_profiles(), groups={"gpu"})``,
  every profile, which the chart's image pullers read.

Each block sits between a ``# >>> generated: NAME`` line and a ``# <<< generated`` line, whose
indentation it takes. Run from the repository root::

    python hub_config/helm/render_values.py          # rewrite values.yaml
    python hub_config/helm/render_values.py --check  # exit 1 if values.yaml is stale
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import yaml

from surveylab_hub.profiles import DEFAULT_PROFILES_PATH, kubespawner_profile_list, load_profiles

VALUES_PATH = Path(__file__).resolve().parent / "values.yaml"

_BLOCK = re.compile(
    r"^(?P<indent>[ ]*)# >>> generated: (?P<name>\w+)[^\n]*\n(?P<body>.*?)^[ ]*# <<< generated$",
    re.MULTILINE | re.DOTALL,
)


def _indent(text: str, indent: str) -> str:
    return "".join(indent + line if line.strip() else line for line in text.splitlines(True))


def render_block(name: str, indent: str, profiles_path: Path) -> str:
    """The YAML text of generated block ``name``, indented by ``indent``."""
    if name == "stringData":
        text = profiles_path.read_text(encoding="utf-8")
        return f"{indent}stringData: |\n{_indent(text, indent + '  ')}"
    if name == "profileList":
        profile_list = kubespawner_profile_list(load_profiles(profiles_path), groups={"gpu"})
        dumped = yaml.safe_dump({"profileList": profile_list}, sort_keys=False, width=100)
        return _indent(dumped, indent)
    raise ValueError(f"values.yaml: unknown generated block {name!r}")


def render(values_text: str, profiles_path: Path = DEFAULT_PROFILES_PATH) -> str:
    """``values_text`` with every generated block rendered afresh."""

    def replace(match: re.Match[str]) -> str:
        head, tail = match.group(0).split("\n", 1)[0], match.group(0).rsplit("\n", 1)[1]
        body = render_block(match["name"], match["indent"], profiles_path)
        return f"{head}\n{body}{tail}"

    return _BLOCK.sub(replace, values_text)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--check", action="store_true", help="only check; exit 1 if stale")
    parser.add_argument("--profiles", type=Path, default=DEFAULT_PROFILES_PATH)
    parser.add_argument("--values", type=Path, default=VALUES_PATH)
    args = parser.parse_args(argv)
    current = args.values.read_text(encoding="utf-8")
    fresh = render(current, args.profiles)
    if args.check:
        if fresh != current:
            print(f"{args.values} is stale: run python hub_config/helm/render_values.py")
            return 1
        return 0
    if fresh != current:
        args.values.write_text(fresh, encoding="utf-8")
        print(f"rendered {args.values}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
