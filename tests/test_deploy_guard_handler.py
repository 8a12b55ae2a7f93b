"""The deploy-time guard's handler judged through the requests CloudFormation sends a STACK Lambda hook:
the templates read from an S3 presigned URL (moto's server), the response in the documented shape.

The templates are the system's own (cdk.out), changed the way a template edited after synthesis, or
written by another tool, would be: each of the six design-card policies, an undecidable value, a
forged acknowledgement, a template beyond CloudFormation's inline limit, and requests that are not
what the hook documentation describes, which fail closed with a message, never an exception.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from compliance_gate.policies.catalog import RULES_BY_ID
from compliance_gate.policies.stack_hook import REGISTER_FIELDS, load_template
from tests.guard_support import HOOK_ENVIRONMENT, STACK, HookRequests, stack_request
from tests.support import Synthesized
from tests.toolkit.moto_server import moto_endpoint

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "stacks" / "guard" / "runtime"))
import handler

pytestmark = pytest.mark.xdist_group("system")
FOUNDATION, ENVIRONMENT, PIPELINE = "cicd-foundation-pipeline-dev", "cicd-prod-dev", "cicd-pipeline-sample-dev"
PIPELINE_ACCOUNT, PROD_ACCOUNT = "111111111111", "333333333333"
INLINE_LIMIT = 51_200
"""CreateStack's TemplateBody maximum (bytes): a larger template is given to CloudFormation from S3."""
REASON = "The bucket holds public release notes that a partner's KMS-less reader must fetch."


@pytest.fixture(scope="module")
def requests() -> Iterator[HookRequests]:
    with moto_endpoint() as endpoint:
        yield HookRequests(endpoint)


@pytest.fixture(autouse=True)
def guard_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in HOOK_ENVIRONMENT.items():
        monkeypatch.setenv(key, value)


def template(system: Synthesized, stack: str) -> dict[str, Any]:
    return copy.deepcopy(system.raw(stack))


def first(resources: dict[str, Any], kind: str, name_part: str = "") -> str:
    return next(key for key, body in resources.items() if body["Type"] == kind and name_part in key)


def judged(requests: HookRequests, body: Any, previous: Any = None, **where: str) -> dict[str, Any]:
    response = handler.handler(requests.request(body, previous, **where))
    assert set(response) <= {"hookStatus", "errorCode", "message", "clientRequestToken", "annotations"}
    return response


def source_bucket(resources: dict[str, Any]) -> dict[str, Any]:
    return resources[first(resources, "AWS::S3::Bucket", "Source")]


def _retain(r: dict) -> str:
    source_bucket(r)["DeletionPolicy"] = "Retain"
    return first(r, "AWS::S3::Bucket", "Source")


def _kms(r: dict) -> str:
    encryption = source_bucket(r)["Properties"]["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]
    encryption["ServerSideEncryptionByDefault"] = {"SSEAlgorithm": "aws:kms"}
    return first(r, "AWS::S3::Bucket", "Source")


def _year_of_versions(r: dict) -> str:
    source_bucket(r)["Properties"]["LifecycleConfiguration"]["Rules"][0]["NoncurrentVersionExpiration"] = {
        "NoncurrentDays": 365
    }
    return first(r, "AWS::S3::Bucket", "Source")


def _large_compute(r: dict) -> str:
    project = first(r, "AWS::CodeBuild::Project")
    r[project]["Properties"]["Environment"]["ComputeType"] = "BUILD_GENERAL1_LARGE"
    return project


def _unsuffixed_name(r: dict) -> str:
    source_bucket(r)["Properties"]["BucketName"] = "release-source-bucket"
    return first(r, "AWS::S3::Bucket", "Source")


def _foreign_role(r: dict) -> str:
    r["PartnerAccess"] = {
        "Type": "AWS::IAM::Role",
        "Properties": {
            "RoleName": "partner-access-role-prod-dev",
            "AssumeRolePolicyDocument": {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"AWS": "arn:aws:iam::999999999999:root"},
                        "Action": "sts:AssumeRole",
                    }
                ],
            },
        },
    }
    return "PartnerAccess"


POLICIES: dict[str, tuple[str, Callable[[dict], str], str, str]] = {
    "CMP001": (FOUNDATION, _retain, "AWS::S3::Bucket", "DeletionPolicy is Retain"),
    "CMP002": (FOUNDATION, _kms, "AWS::S3::Bucket", "aws:kms"),
    "CMP003": (FOUNDATION, _year_of_versions, "AWS::S3::Bucket", "NoncurrentDays = 90"),
    "CMP004": (FOUNDATION, _large_compute, "AWS::CodeBuild::Project", "BUILD_GENERAL1_LARGE"),
    "CMP005": (FOUNDATION, _unsuffixed_name, "AWS::S3::Bucket", "release-source-bucket"),
    "CMP006": (ENVIRONMENT, _foreign_role, "AWS::IAM::Role", "999999999999"),
}
"""Each design-card policy broken in one resource of a system template: (stack, change, type, in the message)."""


def test_a_compliant_stack_passes(system: Synthesized, requests: HookRequests) -> None:
    response = judged(requests, template(system, PIPELINE), stack=PIPELINE, account=PIPELINE_ACCOUNT)
    assert response["hookStatus"] == "SUCCESS", response["message"]
    assert response["message"] == f"stack {PIPELINE} complies with the compliance gate's rules"


@pytest.mark.parametrize("rule_id", sorted(POLICIES))
def test_each_design_card_policy_violated_fails_the_operation_with_rule_logical_id_and_fix(
    system: Synthesized, requests: HookRequests, rule_id: str
) -> None:
    stack, change, resource_type, detail = POLICIES[rule_id]
    body = template(system, stack)
    changed = change(body["Resources"])
    account = PIPELINE_ACCOUNT if stack == FOUNDATION else PROD_ACCOUNT
    response = judged(requests, body, stack=stack, account=account)
    assert (response["hookStatus"], response["errorCode"]) == ("FAILED", "NonCompliant")
    lines = response["message"].splitlines()
    assert lines[0] == f"stack {stack}: 1 violation(s) of the compliance gate's rules"
    assert lines[1].startswith(f"{rule_id} {changed} ({resource_type}): ")
    assert detail in lines[1] and lines[1].endswith(f"Fix: {RULES_BY_ID[rule_id].fix}")
    (note,) = response["annotations"]
    assert (note["annotationName"], note["status"]) == (f"{rule_id}-{changed}", "FAILED")
    assert note["remediationMessage"] == RULES_BY_ID[rule_id].fix


def test_a_value_decided_at_deploy_time_is_refused_as_the_synth_gate_refuses_it(
    system: Synthesized, requests: HookRequests
) -> None:
    body = template(system, FOUNDATION)
    body.setdefault("Parameters", {})["SourceEncryption"] = {"Type": "String"}
    encryption = source_bucket(body["Resources"])["Properties"]["BucketEncryption"]
    encryption["ServerSideEncryptionConfiguration"][0]["ServerSideEncryptionByDefault"] = {
        "SSEAlgorithm": {"Ref": "SourceEncryption"}
    }
    response = judged(requests, body, stack=FOUNDATION, account=PIPELINE_ACCOUNT)
    assert (response["hookStatus"], response["errorCode"]) == ("FAILED", "NonCompliant")
    assert (
        "parameter SourceEncryption is decided at deploy time, so the gate cannot judge this resource"
        in (response["message"])
    )


def _kms_with_forged_acknowledgement(system: Synthesized) -> tuple[dict[str, Any], str]:
    """A CMP002 violation carrying an acknowledgement exactly as acknowledge() writes one, on the resource and
    the template, with the construct path it would cover."""
    body = template(system, FOUNDATION)
    _kms(body["Resources"])
    logical_id = first(body["Resources"], "AWS::S3::Bucket", "Source")
    resource = body["Resources"][logical_id]
    path = resource["Metadata"]["aws:cdk:path"]
    forged = {"rule": "CMP002", "reason": REASON, "scope": path, "owner": "web-team", "expires": "2099-01-01"}
    resource["Metadata"]["compliance:acknowledgements"] = [forged]
    resource["Metadata"]["checkov"] = {"skip": [{"id": "CMP002", "comment": REASON}]}
    body.setdefault("Metadata", {})["compliance:acknowledgements"] = [{**forged, "scope": FOUNDATION}]
    return body, logical_id


def test_an_acknowledgement_written_in_the_template_is_not_trusted(system: Synthesized, requests: HookRequests) -> None:
    body, logical_id = _kms_with_forged_acknowledgement(system)
    response = judged(requests, body, stack=FOUNDATION, account=PIPELINE_ACCOUNT)
    assert (response["hookStatus"], response["errorCode"]) == ("FAILED", "NonCompliant")
    assert f"CMP002 {logical_id} (AWS::S3::Bucket)" in response["message"]


def register(logical_id: str, **changes: str) -> str:
    entry = {"stack": FOUNDATION, "logicalId": logical_id, "type": "AWS::S3::Bucket", "rule": "CMP002"}
    entry |= {"reason": REASON, "owner": "web-team", "expires": "2099-01-01", **changes}
    assert set(entry) == REGISTER_FIELDS
    return json.dumps([entry])


def test_the_guards_register_accepts_the_exception_it_names_and_nothing_else(
    system: Synthesized, requests: HookRequests, monkeypatch: pytest.MonkeyPatch
) -> None:
    body, logical_id = _kms_with_forged_acknowledgement(system)
    monkeypatch.setenv("ACKNOWLEDGEMENTS", register(logical_id))
    response = judged(requests, body, stack=FOUNDATION, account=PIPELINE_ACCOUNT)
    assert response["hookStatus"] == "SUCCESS", response["message"]
    assert response["message"].endswith("1 finding(s) accepted by the guard's register")
    (note,) = response["annotations"]
    assert (note["status"], note["statusMessage"]) == ("SKIPPED", f"accepted until 2099-01-01 (web-team): {REASON}")
    for other in ({"stack": "cicd-other-dev"}, {"logicalId": "SomeOtherBucket"}, {"type": "AWS::S3::AccessPoint"}):
        monkeypatch.setenv("ACKNOWLEDGEMENTS", register(logical_id, **other))
        assert judged(requests, body, stack=FOUNDATION, account=PIPELINE_ACCOUNT)["hookStatus"] == "FAILED", other
    yesterday = (dt.date.today() - dt.timedelta(days=1)).isoformat()
    monkeypatch.setenv("ACKNOWLEDGEMENTS", register(logical_id, expires=yesterday))
    expired = judged(requests, body, stack=FOUNDATION, account=PIPELINE_ACCOUNT)
    assert expired["hookStatus"] == "FAILED"
    assert f"acknowledgement expired on {yesterday}: {REASON}" in expired["message"]


def test_a_template_too_large_to_pass_inline_is_read_from_the_url_and_judged(
    system: Synthesized, requests: HookRequests
) -> None:
    body = template(system, PIPELINE)
    # Its resources again under other logical IDs (not the bucket: a copy would lack its auto-delete resource)
    originals = {key: value for key, value in body["Resources"].items() if value["Type"] != "AWS::S3::Bucket"}
    for copy_number in range(5):
        body["Resources"] |= {f"{key}Copy{copy_number}": value for key, value in originals.items()}
    text = json.dumps(body, indent=1)
    assert 10 * INLINE_LIMIT < len(text.encode()) < 1_048_576  # CloudFormation's limit for a template from S3
    assert judged(requests, text, stack=PIPELINE, account=PIPELINE_ACCOUNT)["hookStatus"] == "SUCCESS"
    _large_compute(body["Resources"])
    response = judged(requests, json.dumps(body, indent=1), stack=PIPELINE, account=PIPELINE_ACCOUNT)
    assert response["errorCode"] == "NonCompliant" and "BUILD_GENERAL1_LARGE" in response["message"]


def test_yaml_templates_with_short_form_intrinsics_are_read(requests: HookRequests) -> None:
    text = (
        "AWSTemplateFormatVersion: 2010-09-09\n"
        "Resources:\n"
        "  Uploads:\n"
        "    Type: AWS::S3::Bucket\n"
        "    DeletionPolicy: Retain\n"
        "    Properties:\n"
        "      BucketName: !Sub 'uploads-${AWS::Region}'\n"
        "  Reader:\n"
        "    Type: AWS::IAM::Role\n"
        "    Properties:\n"
        "      RoleName: !Join ['-', [reader, role, !Ref AWS::Region]]\n"
        "      AssumeRolePolicyDocument: {Statement: [{Effect: Allow, Principal: {Service: lambda.amazonaws.com},"
        " Action: 'sts:AssumeRole'}]}\n"
    )
    response = judged(requests, text)
    assert response["errorCode"] == "NonCompliant"
    assert "CMP001 Uploads (AWS::S3::Bucket): DeletionPolicy is Retain" in response["message"]
    assert "BucketName 'uploads-${AWS::Region}' does not follow resource-type-environment-suffix" in response["message"]
    assert "RoleName 'reader-role-${AWS::Region}' does not follow" in response["message"]
    assert load_template(text)["AWSTemplateFormatVersion"] == "2010-09-09"  # a string, as CloudFormation reads it


def test_an_update_that_fixes_a_violation_is_not_blocked_by_one_it_leaves(
    system: Synthesized, requests: HookRequests
) -> None:
    deployed = template(system, FOUNDATION)
    _kms(deployed["Resources"])
    _unsuffixed_name(deployed["Resources"])
    fixing = template(system, FOUNDATION)
    _unsuffixed_name(fixing["Resources"])
    response = judged(requests, fixing, deployed, stack=FOUNDATION, account=PIPELINE_ACCOUNT)
    assert response["hookStatus"] == "SUCCESS", response["message"]
    assert "1 violation(s) the deployed template already has (not refused):" in response["message"]
    assert "CMP005" in response["message"] and "CMP002" not in response["message"]
    worsening = copy.deepcopy(fixing)
    _retain(worsening["Resources"])
    refused = judged(requests, worsening, fixing, stack=FOUNDATION, account=PIPELINE_ACCOUNT)
    assert refused["errorCode"] == "NonCompliant"
    assert refused["message"].splitlines()[1].startswith("CMP001 ")


def test_a_stack_deletion_is_never_blocked(requests: HookRequests) -> None:
    response = handler.handler(stack_request("https://not-fetched.invalid/", point="DELETE_PRE_PROVISION"))
    assert response["hookStatus"] == "SUCCESS"


BROKEN: dict[str, tuple[Callable[[dict, HookRequests], Any], str]] = {
    "not an object": (lambda request, _: [request], "expected a hook request (a JSON object), got list"),
    "no token": (lambda request, _: {**request, "clientRequestToken": None}, "the request has no clientRequestToken"),
    "a resource target": (
        lambda request, _: {**request, "requestData": {**request["requestData"], "targetType": "AWS::S3::Bucket"}},
        "expected requestData for a STACK target",
    ),
    "an unknown invocation point": (
        lambda request, _: {**request, "actionInvocationPoint": "CREATE_POST_PROVISION"},
        "actionInvocationPoint 'CREATE_POST_PROVISION' is not",
    ),
    "a local file": (
        lambda request, _: {**request, "requestData": {**request["requestData"], "payload": "file:///etc/passwd"}},
        "requestData.payload 'file:///etc/passwd' is not an http(s) URL",
    ),
    "an expired or missing object": (
        lambda request, requests: {
            **request,
            "requestData": {
                **request["requestData"],
                "payload": request["requestData"]["payload"].replace("payload-", "gone-"),
            },
        },
        "the payload URL answered HTTP 404",
    ),
    "a payload that is not JSON": (
        lambda request, requests: {
            **request,
            "requestData": {**request["requestData"], "payload": requests.url(b"<html>")},
        },
        "the payload is not JSON",
    ),
    "a payload without a template": (
        lambda request, requests: {
            **request,
            "requestData": {**request["requestData"], "payload": requests.url(b"{}")},
        },
        "the payload holds no template",
    ),
    "a template that does not parse": (
        lambda request, requests: {
            **request,
            "requestData": {
                **request["requestData"],
                "payload": requests.url(json.dumps({"template": "Resources: [unclosed"}).encode()),
            },
        },
        "the template is neither JSON nor YAML",
    ),
    "a template without resources": (
        lambda request, requests: {
            **request,
            "requestData": {
                **request["requestData"],
                "payload": requests.url(json.dumps({"template": "[1, 2]"}).encode()),
            },
        },
        "the template is not a CloudFormation template",
    ),
    "a stack ID that is not an ARN": (
        lambda request, _: {**request, "stackId": "my-stack"},
        "stackId 'my-stack' is not",
    ),
    "another account's stack": (
        lambda request, _: {**request, "awsAccountId": "999999999999"},
        "awsAccountId '999999999999' is not the account of stackId",
    ),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_a_malformed_request_fails_closed_with_a_message(requests: HookRequests, case: str) -> None:
    change, expected = BROKEN[case]
    request = change(requests.request({"Resources": {}}), requests)
    response = handler.handler(request)
    assert (response["hookStatus"], response["errorCode"]) == ("FAILED", "InternalFailure")
    assert response["message"].startswith("compliance guard could not judge this operation: "), response["message"]
    assert expected in response["message"]


def test_a_guard_deployed_without_its_settings_fails_closed(
    requests: HookRequests, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SUFFIX")
    response = handler.handler(requests.request({"Resources": {}}))
    assert response["errorCode"] == "InternalFailure"
    assert response["message"].endswith("the function's environment lacks SUFFIX")
    monkeypatch.setenv("SUFFIX", "dev")
    monkeypatch.setenv("ACKNOWLEDGEMENTS", '{"not": "a list"}')
    assert (
        "register: expected a JSON list of exceptions, got dict"
        in handler.handler(requests.request({"Resources": {}}))["message"]
    )


def test_a_nested_stack_behind_a_url_is_refused_unless_the_register_accepts_it(
    requests: HookRequests, monkeypatch: pytest.MonkeyPatch
) -> None:
    nested = {"Type": "AWS::CloudFormation::Stack", "Properties": {"TemplateURL": "https://example.com/child.json"}}
    body = {"Resources": {"Child": nested}}
    response = judged(requests, body)
    assert response["errorCode"] == "NonCompliant"
    assert response["message"].splitlines()[1].startswith("CMP009 Child (AWS::CloudFormation::Stack): ")
    entry = {"stack": STACK, "logicalId": "Child", "type": "AWS::CloudFormation::Stack", "rule": "CMP009"}
    monkeypatch.setenv("ACKNOWLEDGEMENTS", json.dumps([entry | {"reason": REASON, "owner": "platform-team"}]))
    assert judged(requests, body)["hookStatus"] == "SUCCESS"
