"""The deploy-time guard of one account: a CloudFormation Lambda hook on every stack operation there."""

from __future__ import annotations

import aws_cdk as cdk
import jsii
from aws_cdk import aws_cloudformation as cloudformation
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct, IValidation

from compliance_gate.policies.acknowledgement_records import ACCEPTED, RECORDED, REGISTERED
from compliance_gate.policies.model import STACK_TYPE
from compliance_gate.policies.stack_hook import Accepted, Register
from stacks.config import AppConfig
from stacks.environment.smoke_test.infrastructure import LOG_RETENTION, PYTHON
from stacks.guard.bundle import guard_code
from stacks.named_stack import NamedStack
from stacks.naming import Names
from stacks.scanner_suppressions import skip_checkov

ENVIRONMENT_LIMIT = 4096
"""Lambda's limit on a function's environment variables, all together (bytes)."""
MODES = {"fail": ("FAIL", "ENABLED"), "warn": ("WARN", "ENABLED"), "off": ("FAIL", "DISABLED")}
"""cicd:deployTimeGuard's mode as the hook's FailureMode and HookStatus."""


class GuardStack(NamedStack):
    """`cicd-guard-<account's name>-<suffix>`: the hook, its function and the two roles.

    Target STACK, not RESOURCE: a resource hook receives one resource's properties, without its
    DeletionPolicy and UpdateReplacePolicy (CMP001), without the stack's other resources that a role's
    policies and a bucket's lifecycle are read from (CMP006, CMP003), and without the stack's name
    (CMP005); a stack hook receives the whole template CloudFormation will deploy and the one it replaces,
    which is what the synth gate judges. Actions CREATE and UPDATE: a deletion removes what it judged.
    """

    def __init__(self, scope: Construct, *, account: str, label: str, config: AppConfig, names: Names) -> None:
        guard = config.guard
        super().__init__(
            scope,
            kind="cicd-guard",
            environment=label,
            account=account,
            config=config,
            names=names,
            description=f"Deploy-time compliance guard ({guard.mode}): the rule catalog judges every stack operation",
        )
        log_group = logs.LogGroup(
            self,
            "LogGroup",
            log_group_name=names("guard-logs", label, "AWS::Logs::LogGroup"),
            retention=LOG_RETENTION,
            removal_policy=cdk.RemovalPolicy.DESTROY,
        )
        function_role = iam.Role(
            self,
            "FunctionRole",
            role_name=names("guard-function-role", label, "AWS::IAM::Role"),
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description="Deploy-time guard function: write its log; it reads templates from presigned URLs only",
            inline_policies={
                "WriteLog": iam.PolicyDocument(
                    statements=[
                        iam.PolicyStatement(
                            actions=["logs:CreateLogStream", "logs:PutLogEvents"], resources=[log_group.log_group_arn]
                        )
                    ]
                )
            },
        )
        register = _Register(self, config.guard.register)
        self.function = lambda_.Function(
            self,
            "Function",
            function_name=names("guard-function", label, "AWS::Lambda::Function"),
            description="CloudFormation hook: the compliance gate's rules over the template a stack operation deploys",
            runtime=PYTHON,
            architecture=lambda_.Architecture.X86_64,
            handler="handler.handler",
            code=guard_code(),
            role=function_role.without_policy_updates(),
            log_group=log_group,
            timeout=cdk.Duration.seconds(30),
            memory_size=1024,
            environment={
                "SUFFIX": guard.suffix,
                "APPROVED_REGION": guard.region,
                "ACKNOWLEDGEMENTS": cdk.Lazy.uncached_string(register),
            },
        )
        self.node.add_validation(register)
        execution_role = iam.Role(
            self,
            "HookRole",
            role_name=names("guard-hook-role", label, "AWS::IAM::Role"),
            assumed_by=iam.ServicePrincipal(
                "hooks.cloudformation.amazonaws.com", conditions={"StringEquals": {"aws:SourceAccount": account}}
            ),
            description="Assumed by CloudFormation Hooks to invoke the deploy-time guard function, nothing else",
            inline_policies={
                "InvokeGuard": iam.PolicyDocument(
                    statements=[
                        iam.PolicyStatement(actions=["lambda:InvokeFunction"], resources=[self.function.function_arn])
                    ]
                )
            },
        )
        failure_mode, status = MODES[guard.mode]
        names_filter = {"exclude": [*guard.exclude, self.stack_name], "include": list(guard.stacks) or None}
        self.hook = cloudformation.CfnLambdaHook(
            self,
            "Hook",
            alias=f"Cicd::DeployTimeGuard::Suffix{guard.suffix}",
            execution_role=execution_role.role_arn,
            failure_mode=failure_mode,
            hook_status=status,
            lambda_function=self.function.function_arn,
            target_operations=["STACK"],
            stack_filters=cloudformation.CfnLambdaHook.StackFiltersProperty(
                filtering_criteria="ALL",
                stack_names=cloudformation.CfnLambdaHook.StackNamesProperty(**names_filter),
            ),
        )
        # The filter's documented `Actions` form ("Hook configuration schema syntax reference"); CDK's L1
        # types only its other form, a list of Targets.
        self.hook.add_property_override("TargetFilters", {"Actions": ["CREATE", "UPDATE"]})
        self.hook.apply_removal_policy(cdk.RemovalPolicy.DESTROY)
        self._skip_checkov()

    def _skip_checkov(self) -> None:
        skip_checkov(
            self.function,
            "CKV_AWS_115",
            "CloudFormation invokes it once per stack operation in this account and waits for its answer; "
            "reserving concurrency would take capacity from the account's pool, and an operation that finds "
            "none fails closed (the hook's failure mode), never passes.",
        )
        skip_checkov(
            self.function,
            "CKV_AWS_116",
            "CloudFormation invokes it synchronously and reads its answer: there is no asynchronous event a "
            "dead-letter queue could keep, and a failed invocation fails the stack operation it judges.",
        )
        skip_checkov(
            self.function,
            "CKV_AWS_117",
            "It reads one S3 presigned URL CloudFormation gives and calls nothing else; in a VPC it would "
            "need NAT or an S3 endpoint in every account for no gain in isolation.",
        )
        skip_checkov(
            self.function,
            "CKV_AWS_173",
            "Its environment holds the suffix, the region and the register of accepted exceptions, which are "
            "in this template too: no secret. Lambda encrypts it at rest with its AWS managed key.",
        )


@jsii.implements(cdk.IStringProducer, IValidation)
class _Register:
    """The register the guard of one account trusts: cicd:deployTimeGuard's acknowledgements, and each
    finding of this app's stacks in that account that an acknowledge() accepted (as the rules' Aspects
    judged it: a finding, not every resource below the acknowledgement's scope). Worked out at synthesis,
    after the Aspects have run; it must fit the function's environment."""

    def __init__(self, stack: cdk.Stack, configured: Register) -> None:
        self._stack, self._configured = stack, configured

    def produce(self, _context: cdk.IResolveContext) -> str:
        return self.register().to_json()

    def validate(self) -> list[str]:
        size = len(self.register().to_json().encode()) + 200  # the other variables, with room
        if size <= ENVIRONMENT_LIMIT:
            return []
        return [
            f"the deploy-time guard's register of accepted exceptions for account {self._stack.account} takes "
            f"{size} bytes of the function's environment; Lambda allows {ENVIRONMENT_LIMIT}: accept fewer exceptions"
        ]

    def register(self) -> Register:
        return Register((*self._configured.entries, *self._recorded()))

    def _recorded(self) -> list[Accepted]:
        stacks = {
            node.node.path: node
            for node in self._stack.node.root.node.find_all()
            if isinstance(node, cdk.Stack) and node.account == self._stack.account
        }
        found = []
        for ack, stack_path, logical_id in sorted(RECORDED, key=lambda r: (r[1], r[2], r[0].rule_id)):
            if stack_path in stacks and (stack_path, logical_id, ack.rule_id) in ACCEPTED:
                stack = stacks[stack_path]
                found.append(Accepted(stack.stack_name, logical_id, _type_of(stack, logical_id), ack))
        for ack in sorted(REGISTERED, key=lambda a: (a.scope, a.rule_id)):
            stack = stacks.get(ack.scope)
            if stack is not None and (ack.scope, stack.stack_name, ack.rule_id) in ACCEPTED:
                found.append(Accepted(stack.stack_name, stack.stack_name, STACK_TYPE, ack))
        return found


def _type_of(stack: cdk.Stack, logical_id: str) -> str:
    for node in stack.node.find_all():
        if isinstance(node, cdk.CfnResource) and stack.resolve(node.logical_id) == logical_id:
            return node.cfn_resource_type
    return ""
