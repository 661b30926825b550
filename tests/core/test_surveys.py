"""One Survey per user (the platform service) and one for all (a lab): job stores in each
user's home, their own database login, and names that cannot leave the homes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from surveylab import Settings, Survey
from surveylab.errors import CatalogUnavailableError, RequestError
from surveylab.jobs import JobStore, Phase
from surveylab.jobs.fair import OwnerExecutor
from surveylab.surveys import SharedSurvey, UserSurveys


@pytest.fixture
def surveys(demo_data_dir: Path, tmp_path: Path) -> Iterator[UserSurveys]:
    logins = {"ada": ("ada_db", "ada's secret")}
    made = UserSurveys(
        Settings(data_dir=demo_data_dir),
        str(tmp_path / "home" / "{username}"),
        credentials=logins.get,
    )
    yield made
    made.close()


def test_each_user_has_a_survey_whose_jobs_are_in_their_home(
    surveys: UserSurveys, tmp_path: Path
) -> None:
    ada, bob = surveys.for_user("ada"), surveys.for_user("bob")
    assert ada is surveys.for_user("ada") and ada is not bob
    assert ada.settings.jobs_dir == tmp_path / "home/ada/surveylab-jobs"
    assert (tmp_path / "home/bob/surveylab-jobs").stat().st_mode & 0o777 == 0o700
    job = ada.submit("SELECT 1 AS ONE FROM DR1_TILE_INFO LIMIT 1")
    assert job.wait(timeout=60).phase.value == "COMPLETED"
    assert [j.id for j in ada.job_service.list()[0]] == [job.id]
    assert bob.job_service.list() == ([], 0)
    for survey, name in ((ada, "ada"), (bob, "bob")):  # one pool of workers, in turns
        executor = survey.runner._executor
        assert isinstance(executor, OwnerExecutor) and executor.pool is surveys.jobs
        assert executor.owner == name


def test_a_users_own_database_login_is_used_and_never_shown(surveys: UserSurveys) -> None:
    ada = surveys.for_user("ada").settings
    assert ada.db_user == "ada_db"
    assert ada.db_password is not None and ada.db_password.get_secret_value() == "ada's secret"
    assert "ada's secret" not in repr(ada)
    assert surveys.for_user("bob").settings.db_user is None  # the catalog's own account


@pytest.mark.parametrize("name", ["../ada", "ada/../../x", ".", "..", "", "a b", "-rf", "é"])
def test_a_name_that_cannot_be_a_folder_is_refused(surveys: UserSurveys, name: str) -> None:
    with pytest.raises(RequestError, match="cannot name a folder"):
        surveys.for_user(name)
    assert surveys.all() == []


def test_each_survey_is_opened_once(demo_data_dir: Path, tmp_path: Path) -> None:
    opened: list[Survey] = []
    surveys = UserSurveys(
        Settings(data_dir=demo_data_dir), str(tmp_path / "{username}"), on_open=opened.append
    )
    for _ in range(3):
        surveys.for_user("ada")
    assert opened == [surveys.for_user("ada")]
    with pytest.raises(ValueError, match=r"no \{username\}"):
        UserSurveys(Settings(), str(tmp_path / "homes"))


def test_a_lab_serves_everyone_with_its_one_survey(demo_data_dir: Path) -> None:
    survey = Survey(Settings(data_dir=demo_data_dir))
    shared = SharedSurvey(survey)
    assert shared.for_user("ada") is shared.for_user("anyone") is survey
    assert shared.all() == [survey]


def test_the_service_recovers_every_users_store_when_it_starts(
    demo_data_dir: Path, tmp_path: Path
) -> None:
    """A job a killed service left EXECUTING is ERROR, with the reason, once a new service
    opens the existing stores; homes with no store are not touched."""
    homes = tmp_path / "home"
    dead_runner = "some-other-host:4711:1"
    jobs = {}
    for name in ("ada", "bob.smith"):
        store = JobStore(homes / name / "surveylab-jobs")
        job = store.create("query", runner=dead_runner)
        store.update(job.id, phase=Phase.EXECUTING)
        jobs[name] = job.id
    (homes / "carol").mkdir()  # never used the service

    surveys = UserSurveys(
        Settings(data_dir=demo_data_dir),
        str(homes / "{username}"),
        on_open=lambda survey: survey.job_service.recover(),
    )
    assert surveys.users_with_jobs() == ["ada", "bob.smith"]
    opened = surveys.open_existing()
    assert [survey.settings.jobs_dir.parent.name for survey in opened] == ["ada", "bob.smith"]
    for name, job_id in jobs.items():  # read as the lab reads them: the store on disk
        job = JobStore(homes / name / "surveylab-jobs").get(job_id)
        assert job.phase is Phase.ERROR
        assert "the server stopped while this job was running" in (job.error or "")
    assert not (homes / "carol" / "surveylab-jobs").exists()
    surveys.close()


def test_a_store_of_a_user_the_hub_no_longer_knows_does_not_stop_the_others(
    demo_data_dir: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A restarted service opens every store it finds; a user deleted from the hub (whose role
    the hub cannot give) is skipped with a warning, and the others are opened."""
    homes = tmp_path / "home"
    for name in ("ada", "gone", "zoe"):
        JobStore(homes / name / "surveylab-jobs").create("query")

    def role_of(name: str) -> None:
        if name == "gone":
            raise CatalogUnavailableError(f"the hub did not give the groups of {name!r} (HTTP 404)")

    surveys = UserSurveys(
        Settings(data_dir=demo_data_dir), str(homes / "{username}"), roles=role_of
    )
    opened = surveys.open_existing()
    assert [survey.settings.jobs_dir.parent.name for survey in opened] == ["ada", "zoe"]
    assert "the jobs of 'gone' are not recovered now" in caplog.text
    surveys.close()


def test_each_users_role_caps_their_survey_and_their_turns(
    demo_data_dir: Path, tmp_path: Path
) -> None:
    """The platform service applies each user's role, as their lab does."""
    from tests.core.test_roles import SHIPPED

    roles = {"ws-01": SHIPPED.get("workshop")}
    surveys = UserSurveys(
        Settings(data_dir=demo_data_dir, jobs_running_per_user=2),
        str(tmp_path / "home" / "{username}"),
        roles=roles.get,
    )
    try:
        workshop, other = surveys.for_user("ws-01"), surveys.for_user("ada")
        assert workshop.settings.lab_role == roles["ws-01"]
        assert (workshop.settings.max_active_jobs, workshop.runner.max_active) == (2, 2)
        assert other.settings.lab_role is None and other.runner.max_active == 4
    finally:
        surveys.close()
