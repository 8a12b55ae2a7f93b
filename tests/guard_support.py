"""Hook requests as CloudFormation makes them for a STACK Lambda hook (CloudFormation Hooks User Guide,
"Evaluating stack operations with Lambda Hooks"): the templates are put in an S3 bucket (moto's server)
and the request carries a presigned URL to `{"template": ..., "previousTemplate": ...}`, as strings."""

from __future__ import annotations

import itertools
import json
import uuid
from typing import Any

import boto3

from tests.rehearsal.aws import FAKE_CREDENTIALS

ACCOUNT = "444455556666"
REGION = "us-east-1"
SUFFIX = "dev"
STACK = f"cicd-orders-{SUFFIX}"
HOOK_ENVIRONMENT = {"SUFFIX": SUFFIX, "APPROVED_REGION": REGION, "ACKNOWLEDGEMENTS": "[]"}


class HookRequests:
    """Writes each payload where CloudFormation would and builds the request that points to it."""

    def __init__(self, endpoint: str) -> None:
        credentials = {
            "aws_access_key_id": FAKE_CREDENTIALS["AWS_ACCESS_KEY_ID"],
            "aws_secret_access_key": FAKE_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        }
        self.s3 = boto3.client("s3", region_name=REGION, endpoint_url=endpoint, **credentials)
        self.bucket = f"hook-payloads-{uuid.uuid4().hex[:12]}"
        self.s3.create_bucket(Bucket=self.bucket)
        self._keys = itertools.count()

    def url(self, body: bytes) -> str:
        key = f"payload-{next(self._keys)}.json"
        self.s3.put_object(Bucket=self.bucket, Key=key, Body=body)
        return self.s3.generate_presigned_url("get_object", Params={"Bucket": self.bucket, "Key": key}, ExpiresIn=300)

    def request(
        self,
        template: dict | str | None,
        previous: dict | str | None = None,
        *,
        stack: str = STACK,
        account: str = ACCOUNT,
        point: str | None = None,
    ) -> dict[str, Any]:
        """The documented stack hook input: create when there is no previous template, else update."""
        payload = {"template": _text(template), "previousTemplate": _text(previous)}
        point = point or ("UPDATE_PRE_PROVISION" if previous is not None else "CREATE_PRE_PROVISION")
        return stack_request(self.url(json.dumps(payload).encode()), stack=stack, account=account, point=point)


def stack_request(url: str, *, stack: str = STACK, account: str = ACCOUNT, point: str) -> dict[str, Any]:
    return {
        "clientRequestToken": str(uuid.uuid4()),
        "awsAccountId": account,
        "stackId": f"arn:aws:cloudformation:{REGION}:{account}:stack/{stack}/1a2345b6-0000-00a0-a123-00abc0abc000",
        "changeSetId": None,
        "hookTypeName": f"Cicd::DeployTimeGuard::Suffix{SUFFIX}",
        "hookTypeVersion": "00000001",
        "hookModel": {"LambdaFunction": f"arn:aws:lambda:{REGION}:{account}:function:cicd-guard-{SUFFIX}"},
        "actionInvocationPoint": point,
        "requestData": {"targetName": "STACK", "targetType": "STACK", "targetLogicalId": stack, "payload": url},
        "requestContext": {"invocation": 1, "callbackContext": None},
    }


def _text(template: dict | str | None) -> str:
    if template is None:
        return ""
    return template if isinstance(template, str) else json.dumps(template)
