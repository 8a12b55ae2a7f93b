"""What `make bootstrap`, `make deploy`, `make diff` and `make destroy` check before the CDK CLI synthesizes
anything: the configuration, and that the credentials are the right account's (`sts get-caller-identity`).

`python -m stacks.preflight COMMAND [-- CDK_ARGS...]` reads cdk.json with the `-c` values and `--profile`
of CDK_ARGS, prints one line about what it found on stderr and, on stdout, the CDK CLI arguments the
command needs (`deploy`: how to approve; `bootstrap`: the environment and its trust). Exit 0, or one
`error:` line and exit 2 for bad configuration, 1 for credentials that cannot run the command.

`deploy` asks for approval of security-broadening changes (IAM, security groups) once the system exists:
the first deploy into fresh accounts creates hundreds of such changes, which nobody reviews one prompt
at a time; later deploys show each one (`--require-approval broadening`). REQUIRE_APPROVAL overrides.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import boto3
import botocore.config
import botocore.exceptions

from stacks.config import NAMESPACE, AppConfig, ConfigError, cdk_json_context, config_from_context
from stacks.naming import PIPELINE, Names

CDK_JSON = Path(__file__).resolve().parents[1] / "cdk.json"
COMMANDS = ("bootstrap", "deploy", "diff", "destroy")
APPROVALS = ("never", "any-change", "broadening")
ADMINISTRATOR = "arn:aws:iam::aws:policy/AdministratorAccess"
_CLIENT = botocore.config.Config(connect_timeout=5, read_timeout=10, retries={"max_attempts": 2})


class Refused(Exception):
    """The credentials cannot run the command: one line."""


def cdk_options(cdk_args: list[str]) -> tuple[dict[str, str], str | None]:
    """The `-c/--context key=value` pairs and the `--profile` of CDK CLI arguments."""
    context: dict[str, str] = {}
    profile = None
    args = iter(cdk_args)
    for arg in args:
        name, _, inline = arg.partition("=") if arg.startswith("--") else (arg, "", "")
        if name in ("-c", "--context"):
            pair = inline or next(args, "")
            key, _, value = pair.partition("=")
            context[key] = value
        elif name == "--profile":
            profile = inline or next(args, None)
    return context, profile


def identity(session: boto3.Session, command: str, config: AppConfig) -> dict[str, Any]:
    if command == "bootstrap":
        needed = f"make bootstrap runs with the credentials of the account it bootstraps ({_accounts(config)})"
    else:
        needed = f"make {command} runs with the pipeline account's credentials ({config.pipeline_account})"
    try:
        return session.client("sts", region_name=config.region, config=_CLIENT).get_caller_identity()
    except botocore.exceptions.NoCredentialsError:
        raise Refused(f"no AWS credentials found: {needed}") from None
    except botocore.exceptions.ClientError as error:
        raise Refused(f"AWS refused the credentials ({error.response['Error']['Code']}): {needed}") from None
    except botocore.exceptions.BotoCoreError as error:
        raise Refused(f"could not ask AWS STS who the credentials are ({error}): {needed}") from None


def system_exists(session: boto3.Session, config: AppConfig) -> bool:
    """Whether the pipeline account holds the foundation stack (a deploy has run)."""
    name = Names(config.suffix).stack("cicd-foundation", PIPELINE)
    client = session.client("cloudformation", region_name=config.region, config=_CLIENT)
    try:
        stacks = client.describe_stacks(StackName=name)["Stacks"]
    except botocore.exceptions.ClientError as error:
        if "does not exist" in error.response["Error"].get("Message", ""):
            return False
        raise Refused(f"could not read stack {name} ({error.response['Error']['Code']})") from None
    return any(stack["StackStatus"] != "DELETE_COMPLETE" for stack in stacks)


def preflight(
    command: str, cdk_args: list[str], *, require_approval: str = "", execution_policy: str = ADMINISTRATOR
) -> list[str]:
    """Check, and return the CDK CLI arguments `command` needs; raises ConfigError or Refused."""
    overrides, profile = cdk_options(cdk_args)
    config = config_from_context({**cdk_json_context(CDK_JSON), **overrides})
    try:
        session = boto3.Session(profile_name=profile) if profile else boto3.Session()
    except botocore.exceptions.ProfileNotFound:
        raise Refused(f"the AWS profile {profile} (--profile) is not configured") from None
    caller = identity(session, command, config)
    account, arn = caller["Account"], caller["Arn"]
    if command == "bootstrap":
        return bootstrap_arguments(config, account, arn, execution_policy)
    if account != config.pipeline_account:
        raise Refused(
            f"the credentials are account {account} ({arn}), not the pipeline account {config.pipeline_account} "
            f"({NAMESPACE}pipelineAccount): make {command} works on every stack from the pipeline account"
        )
    if command != "deploy":
        print(f"preflight: account {account} ({arn}), the pipeline account", file=sys.stderr)
        return []
    if require_approval and require_approval not in APPROVALS:
        raise ConfigError("REQUIRE_APPROVAL", require_approval, f"one of {', '.join(APPROVALS)}")
    exists = system_exists(session, config)
    approval = require_approval or ("broadening" if exists else "never")
    why = "given" if require_approval else ("the system exists" if exists else "a first deploy")
    print(
        f"preflight: account {account} ({arn}), the pipeline account; {why}: --require-approval {approval}",
        file=sys.stderr,
    )
    return ["--require-approval", approval]


def bootstrap_arguments(config: AppConfig, account: str, arn: str, execution_policy: str) -> list[str]:
    """Bootstrap the account the credentials are for; a target account trusts the pipeline account."""
    roles = [env.name for env in config.environments if env.account == account]
    if account == config.pipeline_account:
        roles.insert(0, PIPELINE)
    if not roles:
        raise Refused(
            f"the credentials are account {account} ({arn}), none of this system's accounts ({_accounts(config)})"
        )
    print(f"preflight: bootstrapping account {account} ({', '.join(roles)}) in {config.region}", file=sys.stderr)
    arguments = [f"aws://{account}/{config.region}"]
    if roles != [PIPELINE]:
        arguments += ["--trust", config.pipeline_account, "--cloudformation-execution-policies", execution_policy]
    return arguments


def _accounts(config: AppConfig) -> str:
    return ", ".join([f"pipeline {config.pipeline_account}"] + [f"{e.name} {e.account}" for e in config.environments])


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m stacks.preflight",
        usage="%(prog)s COMMAND [options] [-- CDK_ARGS...]",
        description=__doc__.splitlines()[0],
    )
    parser.add_argument("command", choices=COMMANDS)
    parser.add_argument("--require-approval", default="")
    parser.add_argument("--execution-policy", default=ADMINISTRATOR)
    own, cdk_args = (argv[: argv.index("--")], argv[argv.index("--") + 1 :]) if "--" in argv else (argv, [])
    options = parser.parse_args(own)
    try:
        arguments = preflight(
            options.command,
            cdk_args,
            require_approval=options.require_approval,
            execution_policy=options.execution_policy,
        )
    except ConfigError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except Refused as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(" ".join(arguments))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
