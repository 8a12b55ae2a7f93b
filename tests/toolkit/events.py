"""EventBridge as the services see it: whether a pattern matches (moto's matcher), what an input
transformer delivers, and the services' events as EventBridge delivers them."""

from __future__ import annotations

import json
import re
from typing import Any

from moto.events.models import EventPattern

from tests.toolkit.references import ACCOUNT, REGION

EXECUTION_ID = "3a8f6f6e-0c1d-4e2f-9a7b-1234567890ab"


def matches(pattern: dict[str, Any], event: dict[str, Any]) -> bool:
    """Whether EventBridge delivers `event` to a rule with `pattern`, as moto's EventBridge judges it
    (exact values, nested objects, `suffix` and the other content filters)."""
    return EventPattern(json.dumps(pattern), pattern).matches_event(event)


def json_path(event: dict[str, Any], path: str) -> Any:
    value: Any = event
    for key in path.removeprefix("$.").split("."):
        value = value[key]
    return value


def transform(transformer: dict[str, Any], event: dict[str, Any]) -> Any:
    """What EventBridge delivers for `event`: InputPathsMap values put into the InputTemplate."""
    template = transformer["InputTemplate"]
    for key, path in transformer["InputPathsMap"].items():
        value = json_path(event, path)
        template = template.replace(f"<{key}>", json.dumps(value)[1:-1] if isinstance(value, str) else str(value))
    assert not re.search(r"<[A-Za-z0-9_-]+>", template), f"placeholder without a path: {template}"
    return json.loads(template)


def pipeline_event(detail_type: str, pipeline: str, state: str, **detail: Any) -> dict[str, Any]:
    """A CodePipeline execution state change as EventBridge delivers it."""
    return _event(
        "aws.codepipeline",
        detail_type,
        [f"arn:aws:codepipeline:{REGION}:{ACCOUNT}:{pipeline}"],
        {"pipeline": pipeline, "execution-id": EXECUTION_ID, "state": state, "version": 1, **detail},
    )


def build_event(project: str, status: str, pipeline: str) -> dict[str, Any]:
    build_id = f"arn:aws:codebuild:{REGION}:{ACCOUNT}:build/{project}:0b1c2d3e-4f5a-6b7c-8d9e-0f1a2b3c4d5e"
    return _event(
        "aws.codebuild",
        "CodeBuild Build State Change",
        [build_id],
        {
            "build-status": status,
            "project-name": project,
            "build-id": build_id,
            "current-phase": "COMPLETED",
            "additional-information": {"initiator": f"codepipeline/{pipeline}", "build-complete": True},
        },
    )


def deployment_event(account: str, env: str, state: str, app: str = "sample", suffix: str = "dev") -> dict[str, Any]:
    """A CodeDeploy deployment state change of `app`'s deployment group in `env` (named as the system names it)."""
    application, group = f"{app}-codedeploy-app-{env}-{suffix}", f"{app}-deployment-group-{env}-{suffix}"
    return _event(
        "aws.codedeploy",
        "CodeDeploy Deployment State-change Notification",
        [f"arn:aws:codedeploy:{REGION}:{account}:deploymentgroup:{application}/{group}"],
        {
            "region": REGION,
            "application": application,
            "deploymentId": "d-ABCDEF123",
            "state": state,
            "deploymentGroup": group,
            "instanceGroupId": "9fd2fbef-2157-40d8-91e7-6845af69e2d2",
        },
        account=account,
    )


def _event(
    source: str, detail_type: str, resources: list[str], detail: dict[str, Any], account: str = ACCOUNT
) -> dict[str, Any]:
    return {
        "version": "0",
        "id": "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
        "detail-type": detail_type,
        "source": source,
        "account": account,
        "time": "2026-01-01T12:00:00Z",
        "region": REGION,
        "resources": resources,
        "detail": detail,
    }
