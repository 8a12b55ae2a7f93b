"""One application's delivery: its image repository, its build, test and deploy projects and its
four-stage pipeline (Source, Build, Test, Deploy)."""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_codebuild as codebuild
from aws_cdk import aws_codepipeline as codepipeline
from aws_cdk import aws_codepipeline_actions as actions
from aws_cdk import aws_iam as iam
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import aws_sns as sns
from constructs import Construct

from stacks.config import AppConfig, Application, Environment
from stacks.naming import PIPELINE, Names
from stacks.pipeline import buildspecs
from stacks.pipeline.findings import acknowledge_artifact_access
from stacks.pipeline.projects import BuildProject, ProjectDefaults
from stacks.pipeline.registries import application_repository
from stacks.pipeline.roles import role_arn, service_role
from stacks.pipeline.source import PipelineSource, grant_connection, pipeline_source, start_on_upload
from stacks.pipeline.storage import PipelineBuckets

DEPLOY_MARGIN_MINUTES = 60
"""Time a deployment may take besides the bounded wait before the blue tasks stop: traffic shifting
(at most a 15-minute canary), the smoke-test hook and CodeDeploy's own steps."""
STOP_WAIT_MINUTES = 5
"""How long deploy.py waits for a timed-out deployment to stop and roll back."""
SETUP_MINUTES = 10
"""The deploy build's own time besides the waits: provisioning, pip install, AssumeRole, registering the
task definition, the last poll and tagging the image. The project's timeout is the sum of all three."""


class ApplicationPipeline(Construct):
    """Deploys each commit of one application to dev, then (approved) staging, then (approved) prod.

    Artifacts stay in the pipeline account: the deploy projects reach the environment accounts by
    assuming each environment's deploy role, never by cross-account pipeline actions.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        application: Application,
        config: AppConfig,
        names: Names,
        buckets: PipelineBuckets,
        defaults: ProjectDefaults,
        registry_credentials: secretsmanager.ISecret,
        approvals_topic: sns.ITopic,
    ) -> None:
        super().__init__(scope, construct_id)
        self.application = application
        self._app, self._config, self._names, self._defaults = application, config, names, defaults
        app = application.name
        self.repository = application_repository(self, "Repository", app=app, config=config, names=names)
        self.artifact_bucket = buckets.artifact_bucket(self, app)

        source_output, build_output = codepipeline.Artifact("Source"), codepipeline.Artifact("Build")
        source = pipeline_source(app=app, source=application.source, bucket=buckets.source, output=source_output)
        self.build_project = self._build_project(registry_credentials, source.folder)
        build_action = actions.CodeBuildAction(
            action_name="BuildImage",
            project=self.build_project.project,
            input=source_output,
            outputs=[build_output],
            environment_variables={"COMMIT_ID": _variable(source.commit)},
        )
        image = {name: _variable(build_action.variable(name)) for name in buildspecs.EXPORTED_VARIABLES}
        self.test_project = self._test_project(source.folder)
        test_action = actions.CodeBuildAction(
            action_name="TestImage",
            project=self.test_project.project,
            input=source_output,
            environment_variables=image,
        )
        self.deploy_projects = {env.name: self._deploy_project(env) for env in config.environments}

        self.pipeline = codepipeline.Pipeline(
            self,
            "Pipeline",
            pipeline_name=names(f"{app}-pipeline", PIPELINE, "AWS::CodePipeline::Pipeline"),
            pipeline_type=codepipeline.PipelineType.V2,
            role=service_role(
                self,
                "PipelineRole",
                role_name=names(f"{app}-pipeline-role", PIPELINE, "AWS::IAM::Role"),
                service="codepipeline.amazonaws.com",
                description=f"Runs the {app} pipeline and its actions",
            ),
            artifact_bucket=self.artifact_bucket,
            cross_account_keys=False,
            use_pipeline_role_for_actions=True,
            restart_execution_on_update=False,
            triggers=list(source.triggers) or None,
            stages=[
                codepipeline.StageProps(stage_name="Source", actions=[source.action]),
                codepipeline.StageProps(stage_name="Build", actions=[build_action]),
                codepipeline.StageProps(stage_name="Test", actions=[test_action]),
                codepipeline.StageProps(
                    stage_name="Deploy",
                    actions=self._deploy_actions(build_output, image, source, build_action, approvals_topic),
                ),
            ],
        )
        # The pipeline starts its first execution on creation: every project's role policy (a separate
        # resource, created after the project it names) must exist by then (aws-cdk issues 38861, 38504).
        for project in [self.build_project, self.test_project, *self.deploy_projects.values()]:
            self.pipeline.node.add_dependency(project.role)
        acknowledge_artifact_access(self.pipeline.role, self.artifact_bucket, writes=True)
        acknowledge_artifact_access(self.build_project.role, self.artifact_bucket, writes=True)
        for project in [self.test_project, *self.deploy_projects.values()]:
            acknowledge_artifact_access(project.role, self.artifact_bucket, writes=False)
        if application.source is not None:
            grant_connection(self.pipeline.role, application.source)
        else:
            start_on_upload(self, "StartOnUpload", pipeline=self.pipeline, bucket=buckets.source, app=app, names=names)

    @property
    def projects(self) -> list[codebuild.IProject]:
        return [self.build_project.project, self.test_project.project] + [
            deploy.project for deploy in self.deploy_projects.values()
        ]

    def _project(
        self, construct_id: str, kind: str, environment: str, *, role_name: str | None = None, **options: Any
    ) -> BuildProject:
        """A project named `<app>-<kind>-<environment>-<suffix>`, its role likewise unless given."""
        app = self._app.name
        return BuildProject(
            self,
            construct_id,
            project_name=self._names(f"{app}-{kind}", environment, "AWS::CodeBuild::Project"),
            role_name=role_name or self._names(f"{app}-{kind}-role", environment, "AWS::IAM::Role"),
            defaults=self._defaults,
            **options,
        )

    def _build_project(self, registry_credentials: secretsmanager.ISecret, folder: str) -> BuildProject:
        build = self._project(
            "Build",
            "build",
            PIPELINE,
            description=f"Builds the {self._app.name} image, tags it with the commit and pushes it to ECR",
            build_spec=buildspecs.build_spec(credentials_secret=registry_credentials.secret_name, folder=folder),
            privileged=True,  # docker build
            environment_variables={
                "REPOSITORY_URI": self.repository.repository_uri,
                "REPOSITORY_NAME": self.repository.repository_name,
            },
        )
        self.repository.grant_pull_push(build.role)
        self.repository.grant(build.role, "ecr:DescribeImages")
        registry_credentials.grant_read(build.role)
        return build

    def _test_project(self, folder: str) -> BuildProject:
        reports = codebuild.ReportGroup(
            self,
            "TestReports",
            report_group_name=self._names(f"{self._app.name}-test-reports", PIPELINE, "AWS::CodeBuild::ReportGroup"),
            type=codebuild.ReportGroupType.TEST,
            removal_policy=cdk.RemovalPolicy.DESTROY,
            delete_reports=True,
        )
        test = self._project(
            "Test",
            "test",
            PIPELINE,
            description=f"Runs the {self._app.name} tests inside the built image and gates on its ECR scan",
            build_spec=buildspecs.test_spec(report_group_arn=reports.report_group_arn, folder=folder),
            privileged=True,  # docker run
            environment_variables={"REPOSITORY_NAME": self.repository.repository_name},
        )
        reports.grant_write(test.role)
        self.repository.grant_pull(test.role)
        self.repository.grant(test.role, "ecr:DescribeImages", "ecr:DescribeImageScanFindings")
        self.test_reports = reports
        return test

    def _deploy_project(self, env: Environment) -> BuildProject:
        app, names = self._app.name, self._names
        deploy_role_arn = role_arn(self, account=env.account, role_name=names.deploy_role(app, env.name))
        wait_minutes = env.termination_wait_minutes + DEPLOY_MARGIN_MINUTES
        deploy = self._project(
            f"Deploy{env.name.capitalize()}",
            "deploy",
            env.name,
            role_name=names.deploy_project_role(app, env.name),
            description=f"Deploys {app} to {env.name} ({env.account}) through its deploy role and CodeDeploy",
            build_spec=buildspecs.deploy_spec(),
            timeout=cdk.Duration.minutes(wait_minutes + STOP_WAIT_MINUTES + SETUP_MINUTES),
            environment_variables={
                "APP_NAME": app,
                "TARGET_ENVIRONMENT": env.name,
                "DEPLOY_ROLE_ARN": deploy_role_arn,
                "EXTERNAL_ID": names.external_id(env.name),
                "CODEDEPLOY_APPLICATION": names.codedeploy_application(app, env.name),
                "DEPLOYMENT_GROUP": names.deployment_group(app, env.name),
                # The script gives up and stops the deployment before the project's timeout kills the build,
                # so the failure names the deployment and nothing is left running.
                "DEPLOY_TIMEOUT_SECONDS": str(wait_minutes * 60),
                "DEPLOY_STOP_WAIT_SECONDS": str(STOP_WAIT_MINUTES * 60),
                "TASK_FAMILY": names.task_family(app, env.name),
                "EXECUTION_ROLE_ARN": role_arn(
                    self, account=env.account, role_name=names.task_execution_role(app, env.name)
                ),
                "TASK_ROLE_ARN": role_arn(self, account=env.account, role_name=names.task_role(app, env.name)),
                # The environment stack's container is named after the application.
                "CONTAINER_NAME": app,
                "CONTAINER_PORT": str(self._app.container_port),
                "HEALTH_CHECK_PATH": self._app.health_check_path,
                "CPU": str(self._app.cpu),
                "MEMORY": str(self._app.memory),
                "LOG_GROUP": names.task_log_group(app, env.name),
                "SMOKE_TEST_FUNCTION": names.smoke_test_function(app, env.name),
                "REPOSITORY_NAME": names.ecr_repository(app),
            },
        )
        deploy.role.add_to_policy(iam.PolicyStatement(actions=["sts:AssumeRole"], resources=[deploy_role_arn]))
        # Tags the deployed image (deployed-<env>-<digest>) so the repository's lifecycle keeps it.
        self.repository.grant(deploy.role, "ecr:BatchGetImage", "ecr:PutImage")
        return deploy

    def _deploy_actions(
        self,
        build_output: codepipeline.Artifact,
        image: dict[str, codebuild.BuildEnvironmentVariable],
        source: PipelineSource,
        build_action: actions.CodeBuildAction,
        approvals_topic: sns.ITopic,
    ) -> list[codepipeline.IAction]:
        """Deploy to each environment in order; every environment after the first waits for an approval."""
        deploy_actions: list[codepipeline.IAction] = []
        previous: Environment | None = None
        for env in self._config.environments:
            if previous is not None:
                deploy_actions.append(
                    actions.ManualApprovalAction(
                        action_name=f"Approve{env.name.capitalize()}",
                        notification_topic=approvals_topic,
                        additional_information=(
                            f"Approve deploying application {self._app.name} at {source.commit_label} "
                            f"{source.commit} (image {build_action.variable('IMAGE_TAG')}) to {env.name}; "
                            f"it is running in {previous.name}."
                        ),
                        run_order=len(deploy_actions) + 1,
                    )
                )
            deploy_actions.append(
                actions.CodeBuildAction(
                    action_name=f"DeployTo{env.name.capitalize()}",
                    project=self.deploy_projects[env.name].project,
                    input=build_output,
                    environment_variables=image,
                    run_order=len(deploy_actions) + 1,
                )
            )
            previous = env
        return deploy_actions


def _variable(value: str) -> codebuild.BuildEnvironmentVariable:
    return codebuild.BuildEnvironmentVariable(value=value)
