"""An application in a folder of a shared repository, rehearsed: its pipeline's source is the whole
repository (CodeConnections' CODE_ZIP), and the build, the tests and the deploy templates must come
from the application's folder. The repository's root has no Dockerfile, and its other folder holds
another application whose tests fail, so a build or a test run in the wrong place fails the release.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.rehearsal.release import SAMPLE_APP, FirstRelease, Timeline, moto_server, server_credentials
from tests.support import synthesize_system

CONNECTION = "arn:aws:codeconnections:us-east-1:111111111111:connection/0a1b2c3d-monorepo"
FOLDER = "services/web"


@pytest.fixture(scope="module", autouse=True)
def aws() -> Iterator[None]:
    with server_credentials():
        yield


@pytest.fixture(scope="module")
def cdk_out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    outdir = tmp_path_factory.mktemp("monorepo-cdk-out")
    built = synthesize_system(
        outdir,
        **{
            "cicd:source": {"connectionArn": CONNECTION},
            "cicd:applications": [
                {"name": "web", "source": {"repository": "acme/platform", "branch": "main", "folder": FOLDER}}
            ],
        },
    )
    assert built.error == ""
    return outdir


@pytest.fixture(scope="module")
def repository(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("platform")
    (root / "README.md").write_text("Platform monorepo: one folder per service.\n")
    ignore = shutil.ignore_patterns("__pycache__", ".pytest_cache")
    shutil.copytree(SAMPLE_APP, root / FOLDER, ignore=ignore)
    other = Path(shutil.copytree(SAMPLE_APP, root / "services" / "orders", ignore=ignore))
    (other / "tests" / "test_server.py").write_text("def test_orders_is_not_web():\n    assert False\n")
    return root


def play(cdk_out: Path, root: Path, repository: Path, edit: Any = None) -> FirstRelease:
    timeline = Timeline()
    with moto_server(timeline) as endpoint:
        options = {"edit": edit} if edit else {}
        release = FirstRelease(cdk_out, root, endpoint, timeline, repositories={"acme/platform": repository}, **options)
        release.play(application="web")
        return release


def test_the_application_in_a_folder_is_built_tested_and_deployed_from_it(
    cdk_out: Path, repository: Path, tmp_path: Path
) -> None:
    release = play(cdk_out, tmp_path, repository)
    assert (release.stopped, release.problems) == ("", [])
    assert release.actions[-1] == "DeployToProd"
    assert release.builds["TestImage"].reports, "the Test stage reported no tests"
    assert sorted(path.name for path in release.builds["BuildImage"].artifacts.iterdir()) == [
        "appspec.json",
        "taskdef.json",
    ]


@pytest.mark.parametrize(
    ("defect", "stage"),
    [
        ('--push "services/web"', "BuildImage"),  # the image built at the repository's root
        ("/services/web/tests:", "TestImage"),  # another folder's tests
    ],
)
def test_a_build_or_test_outside_the_folder_fails_the_release(
    cdk_out: Path, repository: Path, tmp_path: Path, defect: str, stage: str
) -> None:
    wrong = {'--push "services/web"': '--push "."', "/services/web/tests:": "/services/orders/tests:"}[defect]

    def elsewhere(name: str, spec: dict) -> dict:
        phases = spec["phases"]
        phases["build"]["commands"] = [c.replace(defect, wrong) for c in phases["build"]["commands"]]
        return spec

    release = play(cdk_out, tmp_path, repository, edit=elsewhere)
    assert release.stopped == f"{stage} failed"
