"""Adding an application is configuration: two applications synthesize two complete pipelines.

The variant also takes its source from a CodeConnections repository instead of the S3 bucket.
"""

from __future__ import annotations

import json

import pytest

from tests.pipeline_support import CONNECTION_SOURCE, SynthesizedPipeline, two_application_pipeline


@pytest.fixture(scope="module")
def synth() -> SynthesizedPipeline:
    return two_application_pipeline()


def pipelines(synth: SynthesizedPipeline) -> dict[str, dict]:
    return {
        body["Properties"]["Name"]: body["Properties"] for body in synth.of_type("AWS::CodePipeline::Pipeline").values()
    }


def test_two_applications_make_two_four_stage_pipelines(synth: SynthesizedPipeline) -> None:
    assert synth.error == ""
    found = pipelines(synth)
    assert sorted(found) == ["orders-pipeline-pipeline-dev", "sample-pipeline-pipeline-dev"]
    for pipeline in found.values():
        assert [stage["Name"] for stage in pipeline["Stages"]] == ["Source", "Build", "Test", "Deploy"]


def test_each_application_has_its_own_repository_projects_and_artifact_store(synth: SynthesizedPipeline) -> None:
    repositories = sorted(b["Properties"]["RepositoryName"] for b in synth.of_type("AWS::ECR::Repository").values())
    assert repositories == [
        "orders-ecr-repository-pipeline-dev",
        "sample-ecr-repository-pipeline-dev",
    ]
    projects = {b["Properties"]["Name"]: key for key, b in synth.of_type("AWS::CodeBuild::Project").items()}
    assert len(projects) == 10
    for app, pipeline in pipelines(synth).items():
        app = app.split("-")[0]
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
    _, body = synth.named("AWS::CodeBuild::Project", "Name", "orders-deploy-prod-dev")
    variables = {v["Name"]: v["Value"] for v in body["Properties"]["Environment"]["EnvironmentVariables"]}
    assert (variables["CONTAINER_PORT"], variables["HEALTH_CHECK_PATH"]) == ("9000", "/ready")
    assert (variables["CPU"], variables["MEMORY"]) == ("512", "1024")
    assert variables["DEPLOY_ROLE_ARN"] == "arn:aws:iam::333333333333:role/orders-deploy-role-prod-dev"


def test_codeconnections_source_replaces_the_source_bucket(synth: SynthesizedPipeline) -> None:
    for name, pipeline in pipelines(synth).items():
        (source,) = pipeline["Stages"][0]["Actions"]
        assert source["ActionTypeId"] == {
            "Category": "Source",
            "Owner": "AWS",
            "Provider": "CodeStarSourceConnection",
            "Version": "1",
        }
        assert source["Configuration"]["ConnectionArn"] == CONNECTION_SOURCE["connectionArn"]
        assert source["Configuration"]["FullRepositoryId"] == CONNECTION_SOURCE["repository"]
        assert source["Configuration"]["BranchName"] == "main"
        (build,) = pipeline["Stages"][1]["Actions"]
        commit = json.loads(build["Configuration"]["EnvironmentVariables"])[0]
        assert commit["name"] == "COMMIT_ID" and commit["value"].endswith(".CommitId}"), name
    bucket_names = [b["Properties"]["BucketName"] for b in synth.of_type("AWS::S3::Bucket").values()]
    assert not any(name.startswith("source-") for name in bucket_names)
    assert synth.of_type("AWS::Events::Rule") == {}


def test_pipeline_roles_may_use_the_connection_under_its_own_service_prefix(synth: SynthesizedPipeline) -> None:
    for key, policy in synth.of_type("AWS::IAM::Policy").items():
        if "PipelineRole" in key:
            grants = {
                action
                for statement in policy["Properties"]["PolicyDocument"]["Statement"]
                if statement["Resource"] == CONNECTION_SOURCE["connectionArn"]
                for action in (statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]])
            }
            assert "codeconnections:UseConnection" in grants, key
