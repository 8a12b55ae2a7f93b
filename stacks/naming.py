"""Resource names: resource-type-environment-suffix, checked against AWS limits when made.

Names that one account's stacks need to know about another's (roles that trust each other, the ECR
repository, the CodeDeploy deployment group) are defined here once, so the pipeline and the
environment stacks agree without cross-stack references.
"""

from __future__ import annotations

from dataclasses import dataclass

from compliance_gate.policies.name_limits import NAME_LIMITS
from stacks.config import SUFFIX_KEY, ConfigError

PIPELINE = "pipeline"
"""The environment token of resources in the pipeline account, shared by every environment."""


@dataclass(frozen=True)
class Names:
    suffix: str

    def __call__(self, kind: str, environment: str, cfn_type: str | None = None) -> str:
        """`kind-environment-suffix`, validated against `cfn_type`'s AWS name limits."""
        name = f"{kind}-{environment}-{self.suffix}"
        limit = NAME_LIMITS.get(cfn_type) if cfn_type else None
        problems = limit.problems(name) if limit else []
        if problems:
            raise ConfigError(SUFFIX_KEY, self.suffix, f"a shorter suffix: {cfn_type} name {name!r} {problems[0]}")
        return name

    def ending(self, kind: str, environment: str) -> str:
        """How every application's `<app>-<kind>` name in `environment` ends: shared monitoring matches
        them all by this suffix, so adding an application changes none of it."""
        return f"-{kind}-{environment}-{self.suffix}"

    def stack(self, kind: str, environment: str) -> str:
        return self(kind, environment, "AWS::CloudFormation::Stack")

    def application_stack(self, app: str, environment: str) -> str:
        """`cicd-<environment>-<app>-<suffix>`: one application's stack in one account (its pipeline
        in `pipeline`, its service in each environment)."""
        return self.stack(f"cicd-{environment}", app)

    def bucket(self, kind: str, environment: str, account: str) -> str:
        """Bucket names are global: the account ID follows the suffix to keep them unique."""
        name = f"{self(kind, environment)}-{account}"
        problems = NAME_LIMITS["AWS::S3::Bucket"].problems(name)
        if problems:
            raise ConfigError(SUFFIX_KEY, self.suffix, f"a shorter suffix: bucket name {name!r} {problems[0]}")
        return name

    # -- names shared between the pipeline account and the environment accounts --

    def deploy_role(self, app: str, environment: str) -> str:
        """Role in a target account that `app`'s deploy project assumes: it reaches that application only."""
        return self(f"{app}-deploy-role", environment, "AWS::IAM::Role")

    def approvals_topic(self) -> str:
        return self("approvals-topic", PIPELINE, "AWS::SNS::Topic")

    def alerts_topic(self) -> str:
        return self("alerts-topic", PIPELINE, "AWS::SNS::Topic")

    def registry_credentials(self) -> str:
        return self("docker-registry-credentials", PIPELINE, "AWS::SecretsManager::Secret")

    def registry_account(self) -> str:
        """The registry account (password) that rotation issues the build token with."""
        return self("docker-registry-account", PIPELINE, "AWS::SecretsManager::Secret")

    def deploy_project_role(self, app: str, environment: str) -> str:
        """Role of the pipeline account's CodeBuild project that deploys `app` to `environment`."""
        return self(f"deploy-{app}-role", environment, "AWS::IAM::Role")

    def task_execution_role(self, app: str, environment: str) -> str:
        return self(f"{app}-execution-role", environment, "AWS::IAM::Role")

    def task_execution_roles(self, environment: str) -> str:
        """An ARN pattern's role name matching every application's task execution role in `environment`."""
        return f"*-execution-role-{environment}-{self.suffix}"

    def task_role(self, app: str, environment: str) -> str:
        return self(f"{app}-task-role", environment, "AWS::IAM::Role")

    def tools_repository(self) -> str:
        """The pipeline account's repository of the build image and the services' placeholder."""
        return self("tools-ecr-repository", PIPELINE, "AWS::ECR::Repository")

    def ecr_repository(self, app: str) -> str:
        return self(f"{app}-ecr-repository", PIPELINE, "AWS::ECR::Repository")

    def cluster(self, environment: str) -> str:
        return self("ecs-cluster", environment, "AWS::ECS::Cluster")

    def service(self, app: str, environment: str) -> str:
        return self(f"{app}-ecs-service", environment, "AWS::ECS::Service")

    def task_family(self, app: str, environment: str) -> str:
        return self(f"{app}-task", environment, "AWS::ECS::TaskDefinition")

    def codedeploy_application(self, app: str, environment: str) -> str:
        return self(f"{app}-codedeploy-app", environment, "AWS::CodeDeploy::Application")

    def deployment_group(self, app: str, environment: str) -> str:
        return self(f"{app}-deployment-group", environment, "AWS::CodeDeploy::DeploymentGroup")

    def event_bus(self) -> str:
        """The pipeline account's bus that receives deployment events from target accounts."""
        return self("cicd-event-bus", PIPELINE, "AWS::Events::EventBus")

    def external_id(self, environment: str) -> str:
        """External ID the deploy projects present to a target account's deploy role."""
        return f"cicd-deploy-{environment}-{self.suffix}"

    def task_log_group(self, app: str, environment: str) -> str:
        """Log group of the application's containers in a target account; the pipeline's task definitions name it."""
        return self(f"{app}-task-logs", environment, "AWS::Logs::LogGroup")

    def smoke_test_function(self, app: str, environment: str) -> str:
        """AfterAllowTestTraffic hook Lambda in a target account; the pipeline's appspec names it."""
        return self(f"{app}-smoke-test", environment, "AWS::Lambda::Function")
