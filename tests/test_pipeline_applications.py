"""Many teams: each application its own pipeline, repository (or folder of a shared one) and build.

Four applications: `sample` in its own repository, `orders` and `web` in folders of one shared
repository, `reports` on the S3 source bucket. A push (judged by CodePipeline's documented trigger
semantics, tests/toolkit/triggers.py) or an upload (judged by moto's EventBridge pattern matcher)
starts only its own application's pipeline, and each build runs in its own folder.
"""

from __future__ import annotations

import json

import pytest
from moto.events.models import EventPattern

from stacks.pipeline import buildspecs
from tests.pipeline_support import CONNECTION_SOURCE, SynthesizedPipeline, many_application_pipelines
from tests.toolkit.templates import project_spec
from tests.toolkit.triggers import Push, glob, starts

CONNECTION = CONNECTION_SOURCE["connectionArn"]


@pytest.fixture(scope="module")
def synth() -> SynthesizedPipeline:
    return many_application_pipelines()


def pipelines(synth: SynthesizedPipeline) -> dict[str, dict]:
    """Each application's pipeline properties, by application."""
    return {
        body["Properties"]["Name"].split("-")[0]: body["Properties"]
        for body in synth.of_type("AWS::CodePipeline::Pipeline").values()
    }


def project(synth: SynthesizedPipeline, name: str) -> dict:
    return synth.named("AWS::CodeBuild::Project", "Name", name)[1]["Properties"]


def test_each_application_has_a_four_stage_pipeline(synth: SynthesizedPipeline) -> None:
    assert synth.error == ""
    found = pipelines(synth)
    assert sorted(found) == ["orders", "reports", "sample", "web"]
    for pipeline in found.values():
        assert [stage["Name"] for stage in pipeline["Stages"]] == ["Source", "Build", "Test", "Deploy"]


def test_each_application_has_its_own_repository_projects_and_artifact_store(synth: SynthesizedPipeline) -> None:
    repositories = sorted(b["Properties"]["RepositoryName"] for b in synth.of_type("AWS::ECR::Repository").values())
    assert repositories == [f"{app}-ecr-repository-pipeline-dev" for app in ("orders", "reports", "sample", "web")]
    projects = {b["Properties"]["Name"]: key for key, b in synth.of_type("AWS::CodeBuild::Project").items()}
    assert len(projects) == 4 * 5
    for app, pipeline in pipelines(synth).items():
        used = {
            action["Configuration"]["ProjectName"]["Ref"]
            for stage in pipeline["Stages"]
            for action in stage["Actions"]
            if action["ActionTypeId"]["Provider"] == "CodeBuild"
        }
        assert used == {key for name, key in projects.items() if name.startswith(f"{app}-")}
        bucket = synth.resources[pipeline["ArtifactStore"]["Location"]["Ref"]]
        assert bucket["Properties"]["BucketName"] == f"{app}-artifacts-pipeline-dev-111111111111"


def test_application_settings_reach_its_deploy_projects(synth: SynthesizedPipeline) -> None:
    body = project(synth, "orders-deploy-prod-dev")
    variables = {v["Name"]: v["Value"] for v in body["Environment"]["EnvironmentVariables"]}
    assert (variables["CONTAINER_PORT"], variables["HEALTH_CHECK_PATH"]) == ("9000", "/ready")
    assert (variables["CPU"], variables["MEMORY"]) == ("512", "1024")
    assert variables["DEPLOY_ROLE_ARN"] == "arn:aws:iam::333333333333:role/orders-deploy-role-prod-dev"


WATCHED = {
    "sample": ("example-org/sample", "main", None),
    "orders": ("example-org/platform", "main", ["services/orders/**"]),
    "web": ("example-org/platform", "main", ["services/web/**"]),
}


@pytest.mark.parametrize("app", sorted(WATCHED))
def test_each_pipeline_watches_its_own_repository_branch_and_folder(synth: SynthesizedPipeline, app: str) -> None:
    pipeline = pipelines(synth)[app]
    (source,) = pipeline["Stages"][0]["Actions"]
    repository, branch, folder_filter = WATCHED[app]
    assert source["ActionTypeId"]["Provider"] == "CodeStarSourceConnection"
    assert source["Configuration"]["ConnectionArn"] == CONNECTION
    assert (source["Configuration"]["FullRepositoryId"], source["Configuration"]["BranchName"]) == (repository, branch)
    (trigger,) = pipeline["Triggers"]
    assert trigger["ProviderType"] == "CodeStarSourceConnection"
    (push,) = trigger["GitConfiguration"]["Push"]
    assert push["Branches"] == {"Includes": [branch]}
    assert push.get("FilePaths") == (None if folder_filter is None else {"Includes": folder_filter})
    (build,) = pipeline["Stages"][1]["Actions"]
    commit = json.loads(build["Configuration"]["EnvironmentVariables"])[0]
    assert commit["name"] == "COMMIT_ID" and commit["value"].endswith(".CommitId}")


PUSHES = [
    (Push(CONNECTION, "example-org/platform", "main", ("services/web/app.py",)), {"web"}),
    (Push(CONNECTION, "example-org/platform", "main", ("services/orders/deploy/taskdef.json",)), {"orders"}),
    (
        Push(CONNECTION, "example-org/platform", "main", ("services/web/a.py", "services/orders/b.py")),
        {"web", "orders"},
    ),
    (Push(CONNECTION, "example-org/platform", "main", ("README.md", "services/website/x.py")), set()),
    (Push(CONNECTION, "example-org/platform", "feature/x", ("services/web/app.py",)), set()),
    (Push(CONNECTION, "example-org/sample", "main", ("Dockerfile",)), {"sample"}),
    (Push(CONNECTION, "example-org/sample", "develop", ("Dockerfile",)), set()),
    (Push(CONNECTION, "example-org/orders", "main", ("services/orders/x.py",)), set()),
]


@pytest.mark.parametrize(("push", "started"), PUSHES, ids=[f"{p.repository}@{p.branch}:{p.files}" for p, _ in PUSHES])
def test_one_push_starts_only_the_pipelines_whose_files_it_changes(
    synth: SynthesizedPipeline, push: Push, started: set[str]
) -> None:
    assert {app for app, pipeline in pipelines(synth).items() if starts(pipeline, push)} == started


def test_the_trigger_semantics_judge_a_shared_source_as_starting_every_pipeline() -> None:
    """Control: the defect this replaces (every pipeline on one repository and branch, no trigger)."""
    pipeline = {
        "Stages": [
            {
                "Name": "Source",
                "Actions": [
                    {
                        "Name": "Source",
                        "ActionTypeId": {"Provider": "CodeStarSourceConnection"},
                        "Configuration": {
                            "ConnectionArn": CONNECTION,
                            "FullRepositoryId": "example-org/platform",
                            "BranchName": "main",
                            "DetectChanges": True,
                        },
                    }
                ],
            }
        ]
    }
    assert starts(pipeline, Push(CONNECTION, "example-org/platform", "main", ("services/web/app.py",)))
    assert glob("services/web/**").match("services/web/a/b.py") and not glob("services/web/*").match("services/web/a/b")
    assert glob("*.{py,md}").match("x.md") and not glob("services/web/**").match("services/website/x")


@pytest.mark.parametrize(("key", "started"), [("reports/source.zip", {"reports"}), ("web/source.zip", set())])
def test_an_upload_starts_only_its_applications_pipeline(synth: SynthesizedPipeline, key: str, started: set) -> None:
    """Only `reports` uses the S3 source: one rule, matching its own key (moto's EventBridge matcher)."""
    bucket = synth.foundation["Outputs"]["SourceBucketName"]["Value"]
    bucket = synth.shared.resources[bucket["Ref"]]["Properties"]["BucketName"]
    upload = {
        "source": "aws.s3",
        "detail-type": "Object Created",
        "detail": {"bucket": {"name": bucket}, "object": {"key": key}},
    }
    matched = set()
    for rule in synth.of_type("AWS::Events::Rule").values():
        if EventPattern.load(json.dumps(rule["Properties"]["EventPattern"])).matches_event(upload):
            (target,) = rule["Properties"]["Targets"]
            pipeline = synth.resources[target["Arn"]["Fn::Join"][1][-1]["Ref"]]["Properties"]
            matched.add(pipeline["Name"].split("-")[0])
    assert matched == started


@pytest.mark.parametrize("app", ["orders", "web"])
def test_an_application_in_a_folder_is_built_and_tested_there(synth: SynthesizedPipeline, app: str) -> None:
    folder = f"services/{app}"
    build = project_spec(synth.raw, f"{app}-build-pipeline-dev")
    (command,) = [c for c in build["phases"]["build"]["commands"] if "docker buildx build" in c]
    assert f'--push "{folder}"' in command
    assert build["artifacts"]["base-directory"] == f"{folder}/{buildspecs.DEPLOY_DIR}"
    test = project_spec(synth.raw, f"{app}-test-pipeline-dev")
    assert any(f'"$CODEBUILD_SRC_DIR/{folder}/tests:/app-tests:ro"' in c for c in test["phases"]["build"]["commands"])


def test_pipeline_roles_may_use_the_connection_under_its_own_service_prefix(synth: SynthesizedPipeline) -> None:
    for app in WATCHED:
        (policy,) = [
            p for key, p in synth.of_type("AWS::IAM::Policy").items() if "PipelineRole" in key and app in key.lower()
        ]
        grants = {
            action
            for statement in policy["Properties"]["PolicyDocument"]["Statement"]
            if statement["Resource"] == CONNECTION
            for action in (statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]])
        }
        assert "codeconnections:UseConnection" in grants, app
