"""The one place that reads CDK context: validates it and returns a frozen AppConfig.

Every rejection is a ConfigError whose message is one line naming the key, the value and
what is expected; app.py prints it and exits non-zero.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from constructs import Node

NAMESPACE = "cicd:"
REGION = "us-east-1"
SUFFIX_KEY = "environmentSuffix"
SUFFIX_MAX = 8
"""The tightest name limit is 32 characters (load balancers and target groups); with the longest
environment token (`staging`) and an application name of at most 12 characters, a suffix of 8
keeps every generated name within its AWS limit."""
APP_NAME_MAX = 12
ENVIRONMENTS = ("dev", "staging", "prod")

_SUFFIX = re.compile(rf"^[a-z0-9]{{1,{SUFFIX_MAX}}}$")
_ACCOUNT = re.compile(r"^\d{12}$")
_EMAIL = re.compile(r"^[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}$")
_APP_NAME = re.compile(rf"^[a-z][a-z0-9]{{0,{APP_NAME_MAX - 1}}}$")
_HEALTH_PATH = re.compile(r"^/[A-Za-z0-9/_.-]*$")
_ARN = re.compile(r"^arn:aws[a-z-]*:[a-z0-9-]+:[a-z0-9-]*:\d{0,12}:.+$")
_REPOSITORY = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")
_BRANCH = re.compile(r"^[A-Za-z0-9._/-]{1,255}$")
_VPC_ID = re.compile(r"^vpc-[0-9a-f]{8,17}$")
_SUBNET_ID = re.compile(r"^subnet-[0-9a-f]{8,17}$")
_AZ = re.compile(rf"^{REGION}[a-f]$")

FARGATE_MEMORY = {
    256: range(512, 2049, 512),
    512: range(1024, 4097, 1024),
    1024: range(2048, 8193, 1024),
    2048: range(4096, 16385, 1024),
    4096: range(8192, 30721, 1024),
}
TRAFFIC_SHIFTING = (
    "AllAtOnce",
    "Linear10PercentEvery1Minutes",
    "Linear10PercentEvery3Minutes",
    "Canary10Percent5Minutes",
    "Canary10Percent15Minutes",
)
DEFAULT_TRAFFIC = {
    "dev": "AllAtOnce",
    "staging": "Linear10PercentEvery1Minutes",
    "prod": "Canary10Percent5Minutes",
}
EGRESS = ("nat", "endpoints")


class ConfigError(ValueError):
    """Bad configuration: one line naming key, value and expectation."""

    def __init__(self, key: str, value: Any, expected: str) -> None:
        super().__init__(f"invalid configuration: {key}={json.dumps(value, default=str)}: expected {expected}")
        self.key = key


@dataclass(frozen=True)
class Application:
    name: str
    container_port: int = 8080
    health_check_path: str = "/health"
    cpu: int = 256
    memory: int = 512
    desired_count: int = 2


@dataclass(frozen=True)
class Source:
    """A CodeConnections source; absent means the default S3 source bucket."""

    connection_arn: str
    repository: str
    branch: str


@dataclass(frozen=True)
class ExistingVpc:
    vpc_id: str
    availability_zones: tuple[str, ...]
    private_subnet_ids: tuple[str, ...]
    public_subnet_ids: tuple[str, ...]


@dataclass(frozen=True)
class Environment:
    name: str
    account: str
    traffic_shifting: str
    termination_wait_minutes: int = 5
    certificate_arn: str | None = None
    egress: str = "nat"
    existing_vpc: ExistingVpc | None = None


@dataclass(frozen=True)
class AppConfig:
    suffix: str
    region: str
    pipeline_account: str
    environments: tuple[Environment, ...]
    approval_emails: tuple[str, ...]
    alert_emails: tuple[str, ...]
    applications: tuple[Application, ...]
    source: Source | None = None

    @property
    def environment_names(self) -> tuple[str, ...]:
        return tuple(env.name for env in self.environments)

    def environment(self, name: str) -> Environment:
        return next(env for env in self.environments if env.name == name)

    @property
    def target_accounts(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(env.account for env in self.environments))

    @property
    def single_account(self) -> bool:
        return len({self.pipeline_account, *self.target_accounts}) == 1


# --- reading -------------------------------------------------------------------------------

KNOWN_KEYS = {
    "region",
    "pipelineAccount",
    "devAccount",
    "stagingAccount",
    "prodAccount",
    "approvalEmails",
    "alertEmails",
    "applications",
    "source",
    "environments",
}


def load_config(node: Node) -> AppConfig:
    """Read and validate the app's context (cdk.json merged with `-c` arguments)."""
    context = _namespaced_context(node)
    return parse_config(context, node.try_get_context(SUFFIX_KEY))


def _namespaced_context(node: Node) -> dict[str, Any]:
    # Node.get_all_context is the only way to see keys we did not ask for (typos).
    everything = node.get_all_context()
    return {key[len(NAMESPACE) :]: value for key, value in everything.items() if key.startswith(NAMESPACE)}


def parse_config(context: dict[str, Any], suffix: Any) -> AppConfig:
    """Validate raw context values (keys without the `cicd:` prefix) into an AppConfig."""
    for key in context:
        if key not in KNOWN_KEYS:
            known = ", ".join(sorted(NAMESPACE + k for k in KNOWN_KEYS))
            raise ConfigError(NAMESPACE + key, context[key], f"one of {known}")
    suffix = _matching(SUFFIX_KEY, suffix, _SUFFIX, f"1 to {SUFFIX_MAX} lowercase letters or digits")
    region = context.get("region", REGION)
    if region != REGION:
        raise ConfigError(NAMESPACE + "region", region, f"{REGION} (the only region this system deploys to)")
    accounts = {env: _account(context, f"{env}Account", None) for env in ENVIRONMENTS}
    pipeline_account = _account(context, "pipelineAccount", accounts["dev"])
    overrides = _object(context, "environments", {})
    for name in overrides:
        if name not in ENVIRONMENTS:
            raise ConfigError(f"{NAMESPACE}environments.{name}", overrides[name], f"one of {', '.join(ENVIRONMENTS)}")
    applications = tuple(_application(i, raw) for i, raw in enumerate(_list(context, "applications", None)))
    names = [app.name for app in applications]
    if not applications or len(set(names)) != len(names):
        raise ConfigError(NAMESPACE + "applications", names, "at least one application, with unique names")
    return AppConfig(
        suffix=suffix,
        region=region,
        pipeline_account=pipeline_account,
        environments=tuple(_environment(name, accounts[name], overrides.get(name, {})) for name in ENVIRONMENTS),
        approval_emails=_emails(context, "approvalEmails"),
        alert_emails=_emails(context, "alertEmails"),
        applications=applications,
        source=_source(context.get("source")),
    )


# --- field parsers -------------------------------------------------------------------------


def _decoded(value: Any) -> Any:
    """`-c key=value` always gives a string; lists and objects arrive as JSON text."""
    if isinstance(value, str) and value[:1] in "[{":
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return value
    return value


def _matching(key: str, value: Any, pattern: re.Pattern[str], expected: str) -> str:
    if not isinstance(value, str) or not pattern.match(value):
        raise ConfigError(key, value, expected)
    return value


def _account(context: dict[str, Any], key: str, default: str | None) -> str:
    value = context.get(key, default)
    if isinstance(value, int):
        value = str(value)
    return _matching(NAMESPACE + key, value, _ACCOUNT, "a 12-digit AWS account ID")


def _list(context: dict[str, Any], key: str, default: list | None) -> list:
    value = _decoded(context.get(key, default))
    if isinstance(value, str):
        value = [item.strip() for item in value.split(",") if item.strip()]
    if not isinstance(value, list):
        raise ConfigError(NAMESPACE + key, value, "a list (JSON array, or comma-separated text)")
    return value


def _object(context: dict[str, Any], key: str, default: dict | None) -> dict:
    value = _decoded(context.get(key, default))
    if not isinstance(value, dict):
        raise ConfigError(NAMESPACE + key, value, "an object (JSON)")
    return value


def _emails(context: dict[str, Any], key: str) -> tuple[str, ...]:
    emails = _list(context, key, None)
    if not emails:
        raise ConfigError(NAMESPACE + key, emails, "at least one e-mail address")
    for email in emails:
        _matching(NAMESPACE + key, email, _EMAIL, "e-mail addresses like team@example.com")
    return tuple(emails)


def _fields(key: str, raw: Any, allowed: dict[str, str]) -> dict[str, Any]:
    """Check an object's keys against `allowed` (camelCase -> snake_case) and rename them."""
    if not isinstance(raw, dict):
        raise ConfigError(key, raw, "an object (JSON)")
    for name in raw:
        if name not in allowed:
            raise ConfigError(f"{key}.{name}", raw[name], f"one of {', '.join(sorted(allowed))}")
    return {allowed[name]: value for name, value in raw.items()}


def _integer(key: str, value: Any, valid: Callable[[int], bool], expected: str) -> int:
    if isinstance(value, str) and value.isdigit():
        value = int(value)
    if not isinstance(value, int) or isinstance(value, bool) or not valid(value):
        raise ConfigError(key, value, expected)
    return value


def _application(index: int, raw: Any) -> Application:
    key = f"{NAMESPACE}applications[{index}]"
    fields = _fields(
        key,
        raw,
        {
            "name": "name",
            "containerPort": "container_port",
            "healthCheckPath": "health_check_path",
            "cpu": "cpu",
            "memory": "memory",
            "desiredCount": "desired_count",
        },
    )
    if "name" not in fields:
        raise ConfigError(f"{key}.name", None, "an application name")
    app = Application(**fields)
    expected_name = f"1 to {APP_NAME_MAX} lowercase letters or digits, starting with a letter"
    _matching(f"{key}.name", app.name, _APP_NAME, expected_name)
    _matching(f"{key}.healthCheckPath", app.health_check_path, _HEALTH_PATH, "an HTTP path starting with /")
    cpu = _integer(f"{key}.cpu", app.cpu, FARGATE_MEMORY.__contains__, f"Fargate CPU units: {sorted(FARGATE_MEMORY)}")
    return replace(
        app,
        cpu=cpu,
        container_port=_integer(
            f"{key}.containerPort", app.container_port, lambda p: 1024 <= p <= 65535, "a port from 1024 to 65535"
        ),
        memory=_integer(
            f"{key}.memory", app.memory, FARGATE_MEMORY[cpu].__contains__, f"Fargate memory (MiB) valid for cpu {cpu}"
        ),
        desired_count=_integer(
            f"{key}.desiredCount", app.desired_count, lambda n: 1 <= n <= 10, "a task count from 1 to 10"
        ),
    )


def _source(raw: Any) -> Source | None:
    raw = _decoded(raw)
    if raw is None:
        return None
    key = NAMESPACE + "source"
    fields = _fields(key, raw, {"connectionArn": "connection_arn", "repository": "repository", "branch": "branch"})
    if set(fields) != {"connection_arn", "repository", "branch"}:
        raise ConfigError(key, raw, "connectionArn, repository and branch together (or no source for the S3 bucket)")
    _matching(f"{key}.connectionArn", fields["connection_arn"], _ARN, "a CodeConnections connection ARN")
    _matching(f"{key}.repository", fields["repository"], _REPOSITORY, "owner/repository")
    _matching(f"{key}.branch", fields["branch"], _BRANCH, "a branch name")
    return Source(**fields)


def _environment(name: str, account: str, raw: Any) -> Environment:
    key = f"{NAMESPACE}environments.{name}"
    fields = _fields(
        key,
        raw,
        {
            "trafficShifting": "traffic_shifting",
            "terminationWaitMinutes": "termination_wait_minutes",
            "certificateArn": "certificate_arn",
            "egress": "egress",
            "existingVpc": "existing_vpc",
        },
    )
    env = Environment(name=name, account=account, **{"traffic_shifting": DEFAULT_TRAFFIC[name], **fields})
    if env.traffic_shifting not in TRAFFIC_SHIFTING:
        raise ConfigError(f"{key}.trafficShifting", env.traffic_shifting, f"one of {', '.join(TRAFFIC_SHIFTING)}")
    wait = env.termination_wait_minutes
    wait = _integer(f"{key}.terminationWaitMinutes", wait, lambda m: 0 <= m <= 120, "minutes from 0 to 120")
    env = replace(env, termination_wait_minutes=wait)
    if env.certificate_arn is not None:
        _matching(f"{key}.certificateArn", env.certificate_arn, _ARN, "an ACM certificate ARN")
    if env.egress not in EGRESS:
        raise ConfigError(f"{key}.egress", env.egress, f"one of {', '.join(EGRESS)}")
    if env.existing_vpc is not None:
        env = replace(env, existing_vpc=_existing_vpc(f"{key}.existingVpc", env.existing_vpc))
    return env


def _existing_vpc(key: str, raw: Any) -> ExistingVpc:
    fields = _fields(
        key,
        raw,
        {
            "vpcId": "vpc_id",
            "availabilityZones": "availability_zones",
            "privateSubnetIds": "private_subnet_ids",
            "publicSubnetIds": "public_subnet_ids",
        },
    )
    if set(fields) != {"vpc_id", "availability_zones", "private_subnet_ids", "public_subnet_ids"}:
        raise ConfigError(key, raw, "vpcId, availabilityZones, privateSubnetIds and publicSubnetIds")
    _matching(f"{key}.vpcId", fields["vpc_id"], _VPC_ID, "a VPC ID like vpc-0123456789abcdef0")
    zones = fields["availability_zones"]
    if not isinstance(zones, list) or len(zones) < 2:
        raise ConfigError(f"{key}.availabilityZones", zones, f"at least two availability zones of {REGION}")
    for zone in zones:
        _matching(f"{key}.availabilityZones", zone, _AZ, f"availability zones of {REGION}")
    for name in ("private_subnet_ids", "public_subnet_ids"):
        subnets = fields[name]
        camel = "privateSubnetIds" if name.startswith("private") else "publicSubnetIds"
        if not isinstance(subnets, list) or len(subnets) != len(zones):
            raise ConfigError(f"{key}.{camel}", subnets, "one subnet ID per availability zone")
        for subnet in subnets:
            _matching(f"{key}.{camel}", subnet, _SUBNET_ID, "subnet IDs like subnet-0123456789abcdef0")
    return ExistingVpc(**{name: tuple(value) if isinstance(value, list) else value for name, value in fields.items()})
