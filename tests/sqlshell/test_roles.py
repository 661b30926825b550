"""The SQL shell under a role (issue 17): hiding its launcher item is only a convenience, the
shell itself refuses a role without the SQL terminal, and user tables to a role without them."""

from __future__ import annotations

from pathlib import Path

from surveylab.labenv import LabEnvironment
from surveylab.roles import Role
from tests.core.test_roles import SHIPPED
from tests.sqlshell.conftest import run_sql


def _as(role: Role, env: dict[str, str]) -> dict[str, str]:
    return {**env, **LabEnvironment(lab_role=role).to_environment()}


def test_a_role_without_the_sql_terminal_cannot_start_the_shell(
    shell_env: dict[str, str], tmp_path: Path
) -> None:
    result = run_sql(
        "-c", "SELECT 1 AS N", env=_as(SHIPPED.get("workshop"), shell_env), cwd=tmp_path
    )
    assert result.returncode == 1
    assert result.stderr.strip() == (
        "surveylab sql: your role 'workshop' does not allow the SQL terminal"
    )
    assert result.stdout == ""


def test_a_role_without_user_tables_may_query_the_release_but_not_its_tables(
    shell_env: dict[str, str], tmp_path: Path
) -> None:
    guest = Role(name="guest", profiles=["small"], user_tables=False)
    env = _as(guest, shell_env)
    (tmp_path / "ids.csv").write_text("ID\n1\n")
    assert run_sql("-c", "SELECT 1 AS N", env=env, cwd=tmp_path).returncode == 0
    for command in ("mytables", "load_table ids.csv", "SELECT * FROM MYDB.IDS"):
        result = run_sql("-c", command, env=env, cwd=tmp_path)
        assert result.returncode == 1, command
        assert "your role 'guest' does not allow user tables" in result.stderr, command
    assert not (Path(shell_env["HOME"]) / ".surveylab" / "mydb.duckdb").exists()  # none made
