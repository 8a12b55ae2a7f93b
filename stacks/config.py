"""The one place that reads CDK context: validates it and returns a frozen AppConfig.

Every rejection is a ConfigError whose message is one line naming the key, the value and
what is expected; app.py prints it and exits non-zero.
"""

from __future__ import annotations

import dataclasses
import difflib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from constructs import Node

from compliance_gate.policies.stack_hook import Register, RegisterError, entry

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
_SUFFIX_EXPECTED = f"1 to {SUFFIX_MAX} lowercase letters or digits"
_ACCOUNT = re.compile(r"^\d{12}$")
_EMAIL = re.compile(r"^[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}$")
_APP_NAME = re.compile(rf"^[a-z][a-z0-9]{{0,{APP_NAME_MAX - 1}}}$")
_HEALTH_PATH = re.compile(r"^/[A-Za-z0-9/_.-]*$")
_CONNECTION_ARN = re.compile(
    rf"^arn:aws:(codeconnections|codestar-connections):{REGION}:\d{{12}}:connection/[A-Za-z0-9-]+$"
)
_CERTIFICATE_ARN = re.compile(rf"^arn:aws:acm:{REGION}:(\d{{12}}):certificate/[A-Za-z0-9-]+$")
_REPOSITORY = re.compile(r"^[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)+$")
_FOLDER = re.compile(r"^(?!.*(^|/)\.{1,2}(/|$))[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)*$")
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
    8192: range(16384, 61441, 4096),
    16384: range(32768, 122881, 8192),
}
"""Fargate's task sizes (ECS Developer Guide, "Task CPU and memory"): memory in MiB for each CPU value."""
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
GUARD_MODES = ("fail", "warn", "off")
BOOTSTRAP_STACK = "CDKToolkit"
_STACK_FILTER = re.compile(r"^[a-zA-Z*?][-a-zA-Z0-9*?]{0,127}$")
"""A stack name filter of a hook (AWS::CloudFormation::LambdaHook StackNames): a name, `*` and `?` wildcards."""
STACK_FILTER_MAX = 50


class ConfigError(ValueError):
    """Bad configuration: one line naming key, value and expectation."""

    def __init__(self, key: str, value: Any, expected: str) -> None:
        super().__init__(f"invalid configuration: {key}={json.dumps(value, default=str)}: expected {expected}")
        self.key = key


def unparsable_json(key: str, text: str, error: json.JSONDecodeError, shown: str | None = None) -> ConfigError:
    """JSON that does not parse, with where: the line only when the text has several."""
    where = f"line {error.lineno} column {error.colno}" if "\n" in text else f"character {error.pos + 1}"
    value = shown or (text if len(text) <= 80 else text[:77] + "...")
    return ConfigError(key, value, f"JSON that parses ({error.msg} at {where})")


@dataclass(frozen=True)
class Source:
    """A CodeConnections source; absent means the application's key in the S3 source bucket."""

    connection_arn: str
    repository: str
    branch: str
    folder: str = ""
    """The application's folder in the repository ("" for its root): the pipeline starts only for
    pushes that change files under it, and builds there."""

    @property
    def watched(self) -> str:
        return f"{self.repository}@{self.branch}:{self.folder or '/'}"

    def overlaps(self, other: Source) -> bool:
        """True when one push could change files both watch."""
        if (self.repository.lower(), self.branch) != (other.repository.lower(), other.branch):
            return False
        mine, theirs = self.folder + "/", other.folder + "/"
        return not self.folder or not other.folder or mine.startswith(theirs) or theirs.startswith(mine)


@dataclass(frozen=True)
class Application:
    name: str
    container_port: int = 8080
    health_check_path: str = "/health"
    cpu: int = 256
    memory: int = 512
    desired_count: int = 2
    source: Source | None = None


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
class DeployTimeGuard:
    """The CloudFormation hook in every account (`cicd:deployTimeGuard`): a mode, or an object."""

    mode: str
    """`fail` refuses a violating stack operation, `warn` lets it go on with the violations shown,
    `off` keeps the hook deployed but disabled."""
    suffix: str
    region: str
    stacks: tuple[str, ...] = ()
    """Stack name filters it covers; empty: every stack."""
    exclude: tuple[str, ...] = (BOOTSTRAP_STACK,)
    register: Register = dataclasses.field(default_factory=Register)
    """The exceptions it accepts (a template's own acknowledgement metadata never counts)."""


@dataclass(frozen=True)
class AppConfig:
    suffix: str
    region: str
    pipeline_account: str
    environments: tuple[Environment, ...]
    approval_emails: tuple[str, ...]
    alert_emails: tuple[str, ...]
    applications: tuple[Application, ...]
    guard: DeployTimeGuard

    @property
    def accounts(self) -> dict[str, str]:
        """Each account of the system and the name it goes by: `pipeline`, or its first environment's."""
        named = {self.pipeline_account: "pipeline"}
        for env in self.environments:
            named.setdefault(env.account, env.name)
        return named

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


def cdk_json_context(path: Path) -> dict[str, Any]:
    """A cdk.json's context (the CLI reads the file itself; `python app.py` and the preflight read it here)."""
    text = path.read_text()
    try:
        context = json.loads(text).get("context", {})
    except json.JSONDecodeError as error:
        raise unparsable_json(path.name, text, error, shown="(the file)") from None
    if not isinstance(context, dict):
        raise ConfigError(f"{path.name} context", context, "an object of context keys and values")
    return context


TOP_LEVEL_KEYS = (SUFFIX_KEY,)
"""Context keys of this project outside the `cicd:` namespace."""
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
    "deployTimeGuard",
}


def load_config(node: Node) -> AppConfig:
    """Read and validate the app's context (cdk.json merged with `-c` arguments)."""
    # Node.get_all_context is the only way to see keys we did not ask for (typos).
    return config_from_context(node.get_all_context())


def config_from_context(everything: dict[str, Any]) -> AppConfig:
    """Validate a whole context (every key, ours and CDK's) into an AppConfig."""
    refuse_near_misses(everything)
    context = {key[len(NAMESPACE) :]: value for key, value in everything.items() if key.startswith(NAMESPACE)}
    return parse_config(context, everything.get(SUFFIX_KEY))


def refuse_near_misses(context: dict[str, Any]) -> None:
    """A key outside `cicd:` that is nearly one of ours (`environmentsufix`) is a typo CDK would ignore,
    deploying over the default copy; CDK's own keys are never that close to ours."""
    ours = TOP_LEVEL_KEYS + tuple(NAMESPACE + key for key in sorted(KNOWN_KEYS))
    for key, value in context.items():
        if key in ours or key.startswith(NAMESPACE):
            continue
        if (match := _closest(key, ours)) is not None:
            raise ConfigError(key, value, f"a key this project reads (did you mean {match}?)")


def _closest(key: str, known: tuple[str, ...] | list[str]) -> str | None:
    lowered = {name.lower(): name for name in known}
    matches = difflib.get_close_matches(key.lower(), list(lowered), n=1, cutoff=0.8)
    return lowered[matches[0]] if matches else None


def _unknown(key: str, value: Any, known: list[str] | tuple[str, ...]) -> ConfigError:
    short = {k.rsplit(".", 1)[-1].removeprefix(NAMESPACE): k for k in known}
    match = _closest(key.rsplit(".", 1)[-1].removeprefix(NAMESPACE), list(short))
    match = match and short[match]
    hint = f" (did you mean {match}?)" if match else ""
    return ConfigError(key, value, f"one of {', '.join(known)}{hint}")


def parse_config(context: dict[str, Any], suffix: Any) -> AppConfig:
    """Validate raw context values (keys without the `cicd:` prefix) into an AppConfig."""
    for key in context:
        if key not in KNOWN_KEYS:
            raise _unknown(NAMESPACE + key, context[key], sorted(NAMESPACE + k for k in KNOWN_KEYS))
    suffix = _matching(SUFFIX_KEY, suffix, _SUFFIX, _SUFFIX_EXPECTED)
    region = context.get("region", REGION)
    if region != REGION:
        raise ConfigError(NAMESPACE + "region", region, f"{REGION} (the only region this system deploys to)")
    accounts = {env: _account(context, f"{env}Account", None) for env in ENVIRONMENTS}
    pipeline_account = _account(context, "pipelineAccount", accounts["dev"])
    overrides = _object(context, "environments", {})
    for name in overrides:
        if name not in ENVIRONMENTS:
            raise ConfigError(f"{NAMESPACE}environments.{name}", overrides[name], f"one of {', '.join(ENVIRONMENTS)}")
    shared_source = _fields(NAMESPACE + "source", _object(context, "source", {}), _SOURCE_FIELDS)
    raw_apps = _list(context, "applications", None)
    applications = tuple(_application(i, raw, shared_source) for i, raw in enumerate(raw_apps))
    names = [app.name for app in applications]
    if not applications or len(set(names)) != len(names):
        raise ConfigError(NAMESPACE + "applications", names, "at least one application, with unique names")
    _refuse_shared_sources(applications)
    return AppConfig(
        suffix=suffix,
        region=region,
        pipeline_account=pipeline_account,
        environments=tuple(_environment(name, accounts[name], overrides.get(name, {})) for name in ENVIRONMENTS),
        approval_emails=_emails(context, "approvalEmails"),
        alert_emails=_emails(context, "alertEmails"),
        applications=applications,
        guard=_guard(context.get("deployTimeGuard", "fail"), suffix, region),
    )


def _guard(raw: Any, suffix: str, region: str) -> DeployTimeGuard:
    """`fail`, `warn`, `off`, or {mode, stacks, excludeStacks, suffix, region, acknowledgements}."""
    key = NAMESPACE + "deployTimeGuard"
    raw = _decoded(key, raw)
    fields = {"mode": raw} if isinstance(raw, str) else _fields(key, raw, _GUARD_FIELDS)
    mode = fields.get("mode", "fail")
    if mode not in GUARD_MODES:
        raise ConfigError(f"{key}.mode" if isinstance(raw, dict) else key, mode, f"one of {', '.join(GUARD_MODES)}")
    guard_suffix = _matching(f"{key}.suffix", fields.get("suffix", suffix), _SUFFIX, _SUFFIX_EXPECTED)
    guard_region = fields.get("region", region)
    if guard_region != REGION:
        raise ConfigError(f"{key}.region", guard_region, f"{REGION} (the region the hook is deployed in and judges)")
    listed = _decoded(f"{key}.acknowledgements", fields.get("acknowledgements", []))
    if not isinstance(listed, list):
        raise ConfigError(f"{key}.acknowledgements", listed, "a list of exceptions (JSON)")
    accepted = []
    for index, item in enumerate(listed):
        try:
            accepted.append(entry(f"{key}.acknowledgements[{index}]", item))
        except RegisterError as error:
            raise ConfigError(f"{key}.acknowledgements[{index}]", item, error.problem) from None
    return DeployTimeGuard(
        mode=mode,
        suffix=guard_suffix,
        region=guard_region,
        stacks=_stack_filters(f"{key}.stacks", fields.get("stacks", [])),
        exclude=_stack_filters(f"{key}.excludeStacks", fields.get("exclude_stacks", [BOOTSTRAP_STACK])),
        register=Register(tuple(accepted)),
    )


_GUARD_FIELDS = {
    "mode": "mode",
    "stacks": "stacks",
    "excludeStacks": "exclude_stacks",
    "suffix": "suffix",
    "region": "region",
    "acknowledgements": "acknowledgements",
}


def _stack_filters(key: str, raw: Any) -> tuple[str, ...]:
    value = _decoded(key, raw)
    if not isinstance(value, list) or len(value) > STACK_FILTER_MAX - 1 or len(set(value)) != len(value):
        raise ConfigError(key, value, f"a list of at most {STACK_FILTER_MAX - 1} different stack names or patterns")
    for pattern in value:
        _matching(key, pattern, _STACK_FILTER, "stack names, with * and ? as wildcards (letters, digits, '-')")
    return tuple(value)


# --- field parsers -------------------------------------------------------------------------


def _decoded(key: str, value: Any) -> Any:
    """`-c key=value` always gives a string; lists and objects arrive as JSON text."""
    if isinstance(value, str) and value.strip()[:1] in ("[", "{"):
        try:
            return json.loads(value)
        except json.JSONDecodeError as error:
            raise unparsable_json(key, value, error) from None
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
    value = _decoded(NAMESPACE + key, context.get(key, default))
    if isinstance(value, str):
        value = [item.strip() for item in value.split(",") if item.strip()]
    if not isinstance(value, list):
        raise ConfigError(NAMESPACE + key, value, "a list (JSON array, or comma-separated text)")
    return value


def _object(context: dict[str, Any], key: str, default: dict | None) -> dict:
    value = _decoded(NAMESPACE + key, context.get(key, default))
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
            raise _unknown(f"{key}.{name}", raw[name], sorted(allowed))
    return {allowed[name]: value for name, value in raw.items()}


def _integer(key: str, value: Any, valid: Callable[[int], bool], expected: str) -> int:
    if isinstance(value, str) and value.isdigit():
        value = int(value)
    if not isinstance(value, int) or isinstance(value, bool) or not valid(value):
        raise ConfigError(key, value, expected)
    return value


def _application(index: int, raw: Any, shared_source: dict[str, Any]) -> Application:
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
            "source": "source",
        },
    )
    if "name" not in fields:
        raise ConfigError(f"{key}.name", None, "an application name")
    fields["source"] = _source(key, fields.get("source", {}), shared_source)
    app = Application(**fields)
    expected_name = f"1 to {APP_NAME_MAX} lowercase letters or digits, starting with a letter"
    _matching(f"{key}.name", app.name, _APP_NAME, expected_name)
    _matching(f"{key}.healthCheckPath", app.health_check_path, _HEALTH_PATH, "an HTTP path starting with /")
    cpu = _integer(
        f"{key}.cpu", app.cpu, FARGATE_MEMORY.__contains__, f"Fargate CPU units, one of {_choices(FARGATE_MEMORY)}"
    )
    return replace(
        app,
        cpu=cpu,
        container_port=_integer(
            f"{key}.containerPort", app.container_port, lambda p: 1024 <= p <= 65535, "a port from 1024 to 65535"
        ),
        memory=_integer(
            f"{key}.memory",
            app.memory,
            FARGATE_MEMORY[cpu].__contains__,
            f"Fargate memory (MiB) for cpu {cpu}: {_choices(FARGATE_MEMORY[cpu])}",
        ),
        desired_count=_integer(
            f"{key}.desiredCount", app.desired_count, lambda n: 1 <= n <= 10, "a task count from 1 to 10"
        ),
    )


def _choices(values: range | dict) -> str:
    if isinstance(values, range) and len(values) > 6:
        return f"{values[0]} to {values[-1]} in steps of {values.step}"
    values = list(values)
    return ", ".join(map(str, values[:-1])) + f" or {values[-1]}"


_SOURCE_FIELDS = {"connectionArn": "connection_arn", "repository": "repository", "branch": "branch"}
_APP_SOURCE_FIELDS = {**_SOURCE_FIELDS, "folder": "folder"}


def _source(app_key: str, raw: Any, shared: dict[str, Any]) -> Source | None:
    """The application's own `source` over the shared `cicd:source` (its fields already checked and renamed).
    Without its own, it takes the shared repository if `cicd:source` names one (one application), else
    the S3 source bucket."""
    own = _fields(f"{app_key}.source", raw, _APP_SOURCE_FIELDS)
    if not own and "repository" not in shared:
        return None
    fields = {**shared, **own}

    def key(field: str) -> str:
        camel = next(name for name, snake in _APP_SOURCE_FIELDS.items() if snake == field)
        return f"{app_key}.source.{camel}" if field in own or not shared else f"{NAMESPACE}source.{camel}"

    for field in ("connection_arn", "repository", "branch"):
        if field not in fields:
            expected = "connectionArn, repository and branch, in the application's source or in cicd:source"
            raise ConfigError(key(field), None, f"{expected} (or neither, for the S3 source bucket)")
    _matching(
        key("connection_arn"),
        fields["connection_arn"],
        _CONNECTION_ARN,
        f"a CodeConnections connection ARN in {REGION} (arn:aws:codeconnections:{REGION}:ACCOUNT:connection/ID)",
    )
    _matching(key("repository"), fields["repository"], _REPOSITORY, "owner/repository")
    _matching(key("branch"), fields["branch"], _BRANCH, "a branch name")
    if "folder" in fields:
        expected = "a folder of the repository like services/orders (no leading or trailing /, no . or ..)"
        _matching(key("folder"), fields["folder"], _FOLDER, expected)
    return Source(**fields)


def _refuse_shared_sources(applications: tuple[Application, ...]) -> None:
    """One push must start one application's pipeline: no two watch the same files."""
    for index, app in enumerate(applications):
        for earlier in applications[:index]:
            if app.source and earlier.source and app.source.overlaps(earlier.source):
                raise ConfigError(
                    f"{NAMESPACE}applications[{index}].source",
                    app.source.watched,
                    f"a repository, branch or folder no other application watches ({earlier.name} watches "
                    f"{earlier.source.watched}, so one push would start both pipelines)",
                )


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
        certificate = _CERTIFICATE_ARN.match(env.certificate_arn) if isinstance(env.certificate_arn, str) else None
        if certificate is None or certificate.group(1) != account:
            raise ConfigError(
                f"{key}.certificateArn",
                env.certificate_arn,
                f"an ACM certificate of the {name} account {account} in {REGION} "
                f"(arn:aws:acm:{REGION}:{account}:certificate/ID): the load balancer can only use its own",
            )
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
