"""The first release rehearsed from the synthesized templates (release.py): the buildspecs' commands
run with bash against refusing stand-ins and moto's server, each action handing on what the next reads.
A variant edits one buildspec the way a defect would and shows where the release stops."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ElementTree
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from stacks.pipeline.buildspecs import START_DOCKER
from tests.rehearsal.ecr_lifecycle import expired
from tests.rehearsal.manifests import image_manifest
from tests.rehearsal.release import FirstRelease, Timeline, moto_server, server_credentials
from tests.support import Synthesized

PIPELINE, STAGING, PROD = "111111111111", "222222222222", "333333333333"


@pytest.fixture(scope="module", autouse=True)
def aws() -> Iterator[None]:
    """Overrides the package's in-process moto: these rehearsals talk to moto's server."""
    with server_credentials():
        yield


def rehearse(cdk_out: Path, root: Path, edit: Any = None, **options: Any) -> Iterator[tuple[FirstRelease, Timeline]]:
    timeline = Timeline()
    with moto_server(timeline) as endpoint:
        release = FirstRelease(cdk_out, root, endpoint, timeline, **({"edit": edit} if edit else {}), **options)
        release.play()
        yield release, timeline


@pytest.fixture(scope="module")
def cdk_out(system: Synthesized) -> Path:
    return system.outdir


@pytest.fixture(scope="module")
def first_release(
    aws: None, cdk_out: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[FirstRelease, Timeline]]:
    yield from rehearse(cdk_out, tmp_path_factory.mktemp("release"))


def test_stacks_deploy_in_the_order_the_readme_gives(first_release: tuple[FirstRelease, Timeline]) -> None:
    release, _ = first_release
    kinds = [name.rsplit("-", 1)[0] for name in release.order]
    assert kinds == [
        "cicd-guard-pipeline",
        "cicd-monitoring-pipeline",
        "cicd-dev",
        "cicd-foundation-pipeline",
        "cicd-dev-sample",
        "cicd-guard-prod",
        "cicd-guard-staging",
        "cicd-staging",
        "cicd-staging-sample",
        "cicd-prod",
        "cicd-prod-sample",
        "cicd-pipeline-sample",
    ]


def test_the_image_bootstrap_fills_the_tools_repository_and_signals_success(
    first_release: tuple[FirstRelease, Timeline],
) -> None:
    release, _ = first_release
    assert release.builds["bootstrap"].phases == {"build": "SUCCEEDED", "post_build": "SUCCEEDED"}
    signals = [json.loads(line) for line in (release.sandbox.state / "signals.jsonl").read_text().splitlines()]
    assert [(signal["method"], signal["Status"]) for signal in signals] == [("PUT", "SUCCESS")]
    ecr = release.client(release.session(PIPELINE), "ecr")
    tags = {
        tag
        for image in ecr.describe_images(repositoryName="tools-ecr-repository-pipeline-dev")["imageDetails"]
        for tag in image["imageTags"]
    }
    assert {tag.split("-")[0] for tag in tags} == {"build", "placeholder"}


def test_build_hands_the_image_and_deploy_templates_to_test_and_deploy(
    first_release: tuple[FirstRelease, Timeline],
) -> None:
    release, _ = first_release
    build = release.builds["BuildImage"]
    assert build.phases == {"install": "SUCCEEDED", "pre_build": "SUCCEEDED", "build": "SUCCEEDED"}
    tag = build.exported["IMAGE_TAG"]
    assert (
        tag
        and build.exported["IMAGE_URI"]
        == f"{PIPELINE}.dkr.ecr.us-east-1.amazonaws.com/sample-ecr-repository-pipeline-dev:{tag}"
    )
    assert sorted(path.name for path in build.artifacts.iterdir()) == ["appspec.json", "taskdef.json"]
    # The daemon's own BuildKit built it: no builder image pulled from anywhere
    assert not [args for args in release.sandbox.calls("docker") if args[:2] == ["buildx", "create"]]


def test_test_stage_runs_the_apps_tests_in_the_image_and_reports_them(
    first_release: tuple[FirstRelease, Timeline],
) -> None:
    release, _ = first_release
    test = release.builds["TestImage"]
    assert test.succeeded, test.output
    ((group, reports),) = test.reports.items()
    assert group.endswith(":report-group/sample-test-reports-pipeline-dev")
    suite = ElementTree.parse(reports[0]).getroot().find("testsuite")
    assert (int(suite.get("tests")), int(suite.get("failures")), int(suite.get("errors"))) == (12, 0, 0)
    assert "image scan of sample-ecr-repository-pipeline-dev:" in test.output


def test_each_environment_is_deployed_in_its_own_account(first_release: tuple[FirstRelease, Timeline]) -> None:
    release, timeline = first_release
    deploys = [(call.stage, call.account) for call in timeline.calls if call.call == "codedeploy:CreateDeployment"]
    assert deploys == [
        ("Deploy/DeployToDev", PIPELINE),
        ("Deploy/DeployToStaging", STAGING),
        ("Deploy/DeployToProd", PROD),
    ]
    ecr = release.client(release.session(PIPELINE), "ecr")
    images = ecr.describe_images(repositoryName="sample-ecr-repository-pipeline-dev")["imageDetails"]
    protected = sorted(
        tag.rsplit("-", 1)[0] for image in images for tag in image["imageTags"] if tag.startswith("deployed-")
    )
    assert protected == ["deployed-dev", "deployed-prod", "deployed-staging"]


def test_timeline_names_stage_call_and_account(first_release: tuple[FirstRelease, Timeline]) -> None:
    _, timeline = first_release
    prod = [line.split()[1:] for line in timeline.lines() if line.startswith("Deploy/DeployToProd ")]
    assert prod[:6] == [
        [PIPELINE, "sts:AssumeRole"],  # the deploy project's role assumes prod's deploy role
        [PROD, "ecs:RegisterTaskDefinition"],
        [PROD, "codedeploy:CreateDeployment"],
        [PROD, "codedeploy:GetDeployment", "x2"],
        [PIPELINE, "ecr:BatchGetImage"],  # the deployed image is tagged in the pipeline's repository
        [PIPELINE, "ecr:PutImage"],
    ]


def without(project: str, *commands: str) -> Any:
    """Drops whole commands from, or cuts text out of, one project's buildspec."""

    def edit(name: str, spec: dict[str, Any]) -> dict[str, Any]:
        if name == project:
            for phase in spec["phases"].values():
                kept = [line for line in phase["commands"] if line not in commands]
                for command in commands:
                    kept = [line.replace(command, "") for line in kept]
                phase["commands"] = kept
        return spec

    return edit


def test_docker_before_the_daemon_answers_fails_the_build(cdk_out: Path, tmp_path: Path) -> None:
    """Defect 1 rehearsed: on the custom build image nothing starts dockerd unless the install phase does."""
    for release, _ in rehearse(cdk_out, tmp_path, without("sample-build-pipeline-dev", *START_DOCKER)):
        build = release.builds["BuildImage"]
        assert build.phases == {"pre_build": "FAILED"}
        assert "Cannot connect to the Docker daemon at unix:///var/run/docker.sock" in build.output
        assert "TestImage" not in release.builds


def test_a_pushed_image_index_stops_the_test_stage(cdk_out: Path, tmp_path: Path) -> None:
    """Defect 2 rehearsed: buildx's default provenance turns the tag into an index, which ECR does not scan."""
    for release, _ in rehearse(cdk_out, tmp_path, without("sample-build-pipeline-dev", " --provenance=false")):
        assert release.builds["BuildImage"].succeeded
        test = release.builds["TestImage"]
        assert test.phases["build"] == "FAILED"
        assert (
            "is an image index (application/vnd.oci.image.index.v1+json), which ECR basic scanning does not scan"
            in test.output
        )
        assert "DeployToDev" not in release.builds


def test_a_failed_bootstrap_still_signals_its_wait_condition(cdk_out: Path, tmp_path: Path) -> None:
    """Without the signal, CloudFormation would wait its full timeout before failing the foundation stack."""
    for release, _ in rehearse(
        cdk_out, tmp_path, without("image-bootstrap-pipeline-dev", "aws ecr get-login-password | ")
    ):
        assert release.builds["bootstrap"].phases == {"build": "FAILED", "post_build": "SUCCEEDED"}
        assert "Cannot perform an interactive login from a non TTY device" in release.builds["bootstrap"].output
        signal = json.loads((release.sandbox.state / "signals.jsonl").read_text())
        assert signal["Status"] == "FAILURE"


def test_every_call_is_allowed_by_the_role_that_makes_it(first_release: tuple[FirstRelease, Timeline]) -> None:
    """IAM is evaluated from the templates: each build's role, the deploy roles (trust and external ID)."""
    release, _ = first_release
    assert release.iam.denied() == [] and release.problems == [] and not release.stopped
    judged = {(role, action) for role, action, _, _ in release.iam.decisions}
    assert ("deploy-sample-role-prod-dev", "sts:AssumeRole") in judged
    assert ("sample-deploy-role-prod-dev", "codedeploy:CreateDeployment") in judged
    assert ("sample-build-role-pipeline-dev", "secretsmanager:GetSecretValue") in judged
    # ECS pulls each deployed image with the environment's execution role (repository policy evaluated)
    assert ("sample-execution-role-prod-dev", "ecr:BatchGetImage") in judged


def test_each_later_environment_waits_for_its_approval(first_release: tuple[FirstRelease, Timeline]) -> None:
    release, _ = first_release
    assert release.actions[-5:] == ["DeployToDev", "ApproveStaging", "DeployToStaging", "ApproveProd", "DeployToProd"]


def test_a_deployment_that_outlives_its_wait_is_stopped_with_the_deploy_roles_own_rights(
    cdk_out: Path, tmp_path: Path
) -> None:
    """Defect 1 of issue 22: StopDeployment must be granted, or the deployment keeps running after the action fails."""
    for release, timeline in rehearse(cdk_out, tmp_path, deployments={"DeployToProd": ["InProgress"] * 100_000}):
        build = release.builds["DeployToProd"]
        assert build.phases["build"] == "FAILED"
        (stop,) = release.engines["DeployToProd"].stops
        assert f"stopped it: deployment {stop['deploymentId']} stopped" in build.output
        assert [(c.call, c.account) for c in timeline.calls if c.call == "codedeploy:StopDeployment"] == [
            ("codedeploy:StopDeployment", PROD)
        ]
        assert release.iam.denied() == []


def test_a_failed_deployment_fails_the_release(cdk_out: Path, tmp_path: Path) -> None:
    """The deploy build itself fails (its buildspec passes the script's exit status on)."""
    for release, _ in rehearse(cdk_out, tmp_path, deployments={"DeployToStaging": ["InProgress", "Failed"]}):
        build = release.builds["DeployToStaging"]
        assert build.phases["build"] == "FAILED" and "deploy failed: deployment" in build.output
        assert release.problems == [] and release.stopped == "DeployToStaging failed"
        assert release.actions[-2:] == ["ApproveStaging", "DeployToStaging"]


def test_a_slow_daemon_start_on_a_loaded_host_still_builds(cdk_out: Path, tmp_path: Path) -> None:
    """The wait for dockerd is real time, as long as CodeBuild's own images wait (60 s): a daemon that
    takes 7 seconds to answer must not fail the install phase (it would with the wait scaled like
    `sleep`, or with the 15 seconds the buildspecs used to wait, scaled)."""
    timeline = Timeline()
    with moto_server(timeline) as endpoint:
        release = FirstRelease(cdk_out, tmp_path, endpoint, timeline)
        release.sandbox.dockerd_start_seconds = 7
        release.play()
        assert release.builds["BuildImage"].succeeded, release.builds["BuildImage"].output
        assert release.builds["TestImage"].succeeded


def test_an_anonymous_docker_hub_pull_fails_the_release(cdk_out: Path, tmp_path: Path) -> None:
    """Defect 4: the stand-in refuses anonymous Docker Hub pulls as Docker Hub does at a shared address."""

    def from_docker_hub(name: str, spec: dict[str, Any]) -> dict[str, Any]:
        if name == "image-bootstrap-pipeline-dev":
            spec = json.loads(
                json.dumps(spec).replace("public.ecr.aws/docker/library/python", "docker.io/library/python")
            )
        return spec

    for release, _ in rehearse(cdk_out, tmp_path, from_docker_hub):
        assert release.builds["bootstrap"].phases["build"] == "FAILED"
        assert (
            "toomanyrequests: You have reached your unauthenticated pull rate limit"
            in release.builds["bootstrap"].output
        )


def test_the_deploy_time_calls_are_made_with_their_provider_roles_rights(
    first_release: tuple[FirstRelease, Timeline],
) -> None:
    """Read from the custom resources' Create properties: removing one from the code removes its call."""
    release, _ = first_release
    calls = sorted((stack.rsplit("-", 1)[0], call) for stack, call, _ in release.cloudformation.sdk_calls)
    assert calls == [
        ("cicd-dev", "IAM:createServiceLinkedRole"),
        ("cicd-foundation-pipeline", "CodeBuild:startBuild"),
        ("cicd-pipeline-sample", "S3:copyObject"),
        ("cicd-prod", "IAM:createServiceLinkedRole"),
        ("cicd-staging", "IAM:createServiceLinkedRole"),
    ]
    assert not release.stopped


def test_the_repository_lifecycle_keeps_every_deployed_image(first_release: tuple[FirstRelease, Timeline]) -> None:
    """35 more builds later, ECR's lifecycle evaluation (ecr_lifecycle.py) still keeps what each
    environment runs, and expires the oldest builds beyond the catch-all's count."""
    release, _ = first_release
    ecr = release.client(release.session(PIPELINE), "ecr")
    repository = "sample-ecr-repository-pipeline-dev"
    for build in range(35):
        ecr.put_image(
            repositoryName=repository, imageManifest=image_manifest(f"sha256:{build:064x}"), imageTag=f"b{build}"
        )
    images = ecr.describe_images(repositoryName=repository)["imageDetails"]
    policy = json.loads(ecr.get_lifecycle_policy(repositoryName=repository)["lifecyclePolicyText"])
    gone = expired(policy, images)
    deployed = {image["imageDigest"] for image in images if any(t.startswith("deployed-") for t in image["imageTags"])}
    assert deployed and not deployed & gone
    assert len(gone) == len(images) - 30 - len(deployed)


def test_destroy_leaves_no_bucket_or_repository_behind(cdk_out: Path, tmp_path: Path) -> None:
    """Buckets are emptied by their auto-delete provider and repositories deleted with their images."""
    for release, _ in rehearse(cdk_out, tmp_path):
        assert not release.stopped
        assert release.destroy() == []
        for account in (PIPELINE, STAGING, PROD):
            session = release.session(account)
            assert release.client(session, "ecr").describe_repositories()["repositories"] == []
            buckets = {bucket["Name"] for bucket in release.client(session, "s3").list_buckets()["Buckets"]}
            assert buckets <= {f"cdk-hnb659fds-assets-{account}-us-east-1"}, buckets  # `cdk bootstrap`'s own
