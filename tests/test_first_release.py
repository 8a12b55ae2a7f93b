"""The first release's blockers, read from the synthesized templates (issue 10, defects 1-6 and 11)."""

from __future__ import annotations

import json
import re
from pathlib import Path

from stacks.foundation import BUILD_IMAGE, PLACEHOLDER
from stacks.pipeline import buildspecs
from tests.support import Synthesized
from tests.toolkit.templates import of_type, project_spec

PIPELINE, FOUNDATION = "cicd-pipeline-sample-dev", "cicd-foundation-pipeline-dev"


def test_custom_image_projects_start_dockerd_before_any_docker_command(system: Synthesized) -> None:
    """Defect 1: privileged mode does not start Docker in a custom image."""
    for name in ("sample-build-pipeline-dev", "sample-test-pipeline-dev"):
        install = project_spec(system.raw(PIPELINE), name)["phases"]["install"]["commands"]
        assert install[:2] == buildspecs.START_DOCKER
        assert install[0].startswith("nohup /usr/local/bin/dockerd ") and "until docker info" in install[1]
        # As CodeBuild's own images start it (dockerd-entrypoint.sh): no dind wrapper, up to 60 seconds.
        assert "dind" not in install[0] and install[1].startswith("timeout 60 ")


def test_build_pushes_one_platform_manifest_with_the_daemons_own_buildkit(system: Synthesized) -> None:
    """Defects 2 and 5 (issue 10), 4 (issue 22): no attestation index; no BuildKit image to pull at all:
    the build image's daemon keeps images in containerd, so its own BuildKit exports the cache."""
    (build,) = project_spec(system.raw(PIPELINE), "sample-build-pipeline-dev")["phases"]["build"]["commands"]
    assert "--platform linux/amd64 --provenance=false --sbom=false" in build
    assert "buildx create" not in build and "--cache-to type=local," in build
    assert '{"features": {"containerd-snapshotter": true}}' in BUILD_IMAGE.dockerfile.read_text()


ROOT = Path(__file__).resolve().parent.parent
PINNED_PUBLIC = re.compile(r"^public\.ecr\.aws/[a-z0-9/._-]+:[\w.-]+@sha256:[0-9a-f]{64}$")


def test_every_upstream_image_comes_pinned_from_a_registry_without_an_hourly_pull_limit() -> None:
    """Defect 4 (issue 22): Docker Hub allows 10 anonymous pulls per hour per address, and CodeBuild
    shares addresses. Every image the system pulls (tools images, the build image's and the sample
    application's base images) comes from ECR Public, pinned by digest."""
    froms = [
        line.split()[1]
        for dockerfile in (BUILD_IMAGE.dockerfile, ROOT / "sample-app" / "Dockerfile")
        for line in dockerfile.read_text().splitlines()
        if line.startswith("FROM ")
    ]
    sources = [image.source for image in (PLACEHOLDER,)]
    assert len(froms) == 2
    for reference in froms + sources:
        assert PINNED_PUBLIC.match(reference), reference


def test_sample_source_is_seeded_before_each_pipeline_is_created(system: Synthesized) -> None:
    """Defect 3: the run CodePipeline starts on creation finds a source bundle."""
    template = system.raw(PIPELINE)
    seeds = {key: b for key, b in of_type(template, "Custom::AWS").items() if "copyObject" in json.dumps(b)}
    assert len(seeds) == 1
    (pipeline,) = of_type(template, "AWS::CodePipeline::Pipeline").values()
    assert set(seeds) <= set(pipeline["DependsOn"])
    create = json.dumps(next(iter(seeds.values()))["Properties"]["Create"])
    assert "sample/source.zip" in create and "Update" not in next(iter(seeds.values()))["Properties"]


def test_ecs_service_linked_role_exists_before_the_cluster_and_a_second_deploy_passes(system: Synthesized) -> None:
    """Defect 4: created idempotently (IAM's InvalidInput for an existing role counts as done)."""
    for env in ("dev", "staging", "prod"):
        template = system.raw(f"cicd-{env}-dev")
        (role,) = [k for k, b in of_type(template, "Custom::AWS").items() if "createServiceLinkedRole" in json.dumps(b)]
        call = json.dumps(template["Resources"][role]["Properties"]["Create"])
        assert '\\"AWSServiceName\\":\\"ecs.amazonaws.com\\"' in call
        assert '\\"ignoreErrorCodesMatching\\":\\"InvalidInput\\"' in call
        (cluster,) = of_type(template, "AWS::ECS::Cluster").values()
        assert role in cluster["DependsOn"]


def test_tools_images_are_filled_at_deploy_time_and_wait_before_anything_uses_them(system: Synthesized) -> None:
    """Defect 6: no Docker on the deployer's machine; upstream images pinned by digest."""
    assert not any(json.loads(p.read_text()).get("dockerImages") for p in system.outdir.glob("*.assets.json"))
    foundation = system.raw(FOUNDATION)
    (wait,) = of_type(foundation, "AWS::CloudFormation::WaitCondition").values()
    assert wait["Properties"]["Timeout"] == "3600"
    spec = project_spec(foundation, "image-bootstrap-pipeline-dev")
    commands = "\n".join(spec["phases"]["build"]["commands"])
    for image in (PLACEHOLDER,):
        assert "@sha256:" in image.source and f"docker pull --platform linux/amd64 {image.source}" in commands
    assert spec["phases"]["post_build"]["commands"][0].endswith('"$WAIT_HANDLE_URL"')
    manifest = json.loads((system.outdir / "manifest.json").read_text())["artifacts"]
    for stack in ("cicd-dev-sample-dev", "cicd-staging-sample-dev", "cicd-prod-sample-dev", PIPELINE):
        assert FOUNDATION in manifest[stack].get("dependencies", []), stack
