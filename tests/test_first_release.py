"""The first release's blockers, read from the synthesized templates (issue 10, defects 1-6 and 11)."""

from __future__ import annotations

import json
from typing import Any

from stacks.foundation import BUILDKIT, PLACEHOLDER
from stacks.pipeline import buildspecs
from tests.support import Synthesized
from tests.toolkit.templates import of_type

PIPELINE, FOUNDATION = "cicd-pipeline-sample-dev", "cicd-foundation-pipeline-dev"


def project_spec(template: dict[str, Any], name: str) -> dict[str, Any]:
    (body,) = [b for b in of_type(template, "AWS::CodeBuild::Project").values() if b["Properties"]["Name"] == name]
    spec = body["Properties"]["Source"]["BuildSpec"]
    if isinstance(spec, dict):  # Fn::Join around references: render them as <ref>
        spec = "".join(part if isinstance(part, str) else "<ref>" for part in spec["Fn::Join"][1])
    return json.loads(spec)


def test_custom_image_projects_start_dockerd_before_any_docker_command(system: Synthesized) -> None:
    """Defect 1: privileged mode does not start Docker in a custom image."""
    for name in ("sample-build-pipeline-dev", "sample-test-pipeline-dev"):
        install = project_spec(system.raw(PIPELINE), name)["phases"]["install"]["commands"]
        assert install[:2] == buildspecs.START_DOCKER
        assert install[0].startswith("nohup /usr/local/bin/dockerd ") and "until docker info" in install[1]


def test_build_pushes_one_platform_manifest_with_buildkit_from_the_tools_repository(system: Synthesized) -> None:
    """Defects 2 and 5: no attestation index; BuildKit from the project's ECR, not Docker Hub."""
    (build,) = project_spec(system.raw(PIPELINE), "sample-build-pipeline-dev")["phases"]["build"]["commands"]
    assert "--platform linux/amd64 --provenance=false --sbom=false" in build
    assert "moby/buildkit" not in build
    assert f"/tools-ecr-repository-pipeline-dev:{BUILDKIT.tag}" in json.dumps(
        of_type(system.raw(PIPELINE), "AWS::CodeBuild::Project")
    )


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
    for image in (BUILDKIT, PLACEHOLDER):
        assert "@sha256:" in image.source and f"docker pull --platform linux/amd64 {image.source}" in commands
    assert spec["phases"]["post_build"]["commands"][0].endswith('"$WAIT_HANDLE_URL"')
    manifest = json.loads((system.outdir / "manifest.json").read_text())["artifacts"]
    for stack in ("cicd-dev-sample-dev", "cicd-staging-sample-dev", "cicd-prod-sample-dev", PIPELINE):
        assert FOUNDATION in manifest[stack].get("dependencies", []), stack
