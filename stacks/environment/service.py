"""One application's Fargate service behind its own load balancer, shaped for CodeDeploy blue/green."""

from __future__ import annotations

from pathlib import Path

import aws_cdk as cdk
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from constructs import Construct

from stacks.config import Application, Environment
from stacks.environment.network import Network
from stacks.foundation import PLACEHOLDER
from stacks.naming import Names
from stacks.scanner_suppressions import acknowledge_nag, skip_checkov, wildcard_resource

PLACEHOLDER_SERVER = Path(__file__).parent / "placeholder" / "server.py"
NOBODY = "65534"
TASK_LOG_RETENTION = logs.RetentionDays.ONE_MONTH
HTTP_PORTS = {"production": 80, "test": 8080}
HTTPS_PORTS = {"production": 443, "test": 8443}
PLACEHOLDER_PORT = 8080
PLACEHOLDER_CPU, PLACEHOLDER_MEMORY = 256, 512
"""The service stack's own task definition: the placeholder, the same for every application and
configuration, so no configuration change touches what the service was created with."""
TASK_PULL_ACTIONS = ["ecr:BatchCheckLayerAvailability", "ecr:GetDownloadUrlForLayer", "ecr:BatchGetImage"]
TASK_LOG_ACTIONS = ["logs:CreateLogStream", "logs:PutLogEvents"]


class BlueGreenService(Construct):
    """Task roles, task definition, ALB with production and test listeners, blue and green target
    groups and a Fargate service whose deployments belong to CodeDeploy.

    The task definition starts with the placeholder: the pinned Python image from the pipeline
    account's tools repository running `placeholder/server.py` (given as its command, so nothing is
    built on the deployer's machine), which answers 200 on every path, so the service turns healthy
    before the pipeline has run. The pipeline then registers revisions of the same family with the
    application's image from the pipeline account's ECR repository; the execution role may pull both.

    ECS refuses UpdateService of a CODE_DEPLOY service's task definition, load balancers and network
    configuration (only CodeDeploy deployments change them), so nothing the service was created with
    may change with configuration: the service names its task definition by family (ECS takes the
    latest ACTIVE revision at creation, and CloudFormation never sees a new value), the placeholder
    has a fixed size and port, and the target groups a fixed port (ECS registers each task at the
    container port its deployment's appspec names). The application's cpu, memory and port reach the
    service through the pipeline's next release; the service stack only opens the port.

    The execution role takes no grants from CDK: its inline policies list everything it may do
    (pull both images, write the task log group), so a reviewer reads them in one place.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        application: Application,
        environment: Environment,
        names: Names,
        network: Network,
        cluster: ecs.ICluster,
        access_logs: s3.IBucket,
        pipeline_account: str,
    ) -> None:
        super().__init__(scope, construct_id)
        app, env = application.name, environment.name
        self.container_name = app
        self.container_port = application.container_port
        self.health_check_path = application.health_check_path

        self.task_log_group = logs.LogGroup(
            self,
            "TaskLogGroup",
            log_group_name=names.task_log_group(app, env),
            retention=TASK_LOG_RETENTION,
            removal_policy=cdk.RemovalPolicy.DESTROY,
        )
        self.execution_role = self._execution_role(app, env, names, pipeline_account)
        self.task_role = iam.Role(
            self,
            "TaskRole",
            role_name=names.task_role(app, env),
            assumed_by=iam.ServicePrincipal("ecs-tasks.amazonaws.com"),
            description=f"AWS permissions of the {app} containers themselves (none yet)",
        )
        self.task_definition = self._task_definition(application, env, names, pipeline_account)

        self.load_balancer_name = names(f"lb-{app}", env, "AWS::ElasticLoadBalancingV2::LoadBalancer")
        """Literal, for ARNs that must name the load balancer without a token (see `findings.wildcard_resource`)."""
        self.load_balancer_security_group = self._load_balancer_security_group(app, env, names, network)
        self.load_balancer = elbv2.ApplicationLoadBalancer(
            self,
            "LoadBalancer",
            load_balancer_name=self.load_balancer_name,
            vpc=network.vpc,
            internet_facing=True,
            vpc_subnets=network.public_subnets,
            security_group=self.load_balancer_security_group,
            deletion_protection=False,
            drop_invalid_header_fields=True,
        )
        self.load_balancer.log_access_logs(access_logs, prefix=app)
        self.blue_target_group = self._target_group("Blue", f"bl-{app}", application, env, names, network)
        self.green_target_group = self._target_group("Green", f"gr-{app}", application, env, names, network)
        self._add_listeners(environment.certificate_arn, env)

        self.service = ecs.FargateService(
            self,
            "Service",
            service_name=names.service(app, env),
            cluster=cluster,
            task_definition=self.task_definition,
            desired_count=application.desired_count,
            deployment_controller=ecs.DeploymentController(type=ecs.DeploymentControllerType.CODE_DEPLOY),
            min_healthy_percent=100,
            max_healthy_percent=200,
            health_check_grace_period=cdk.Duration.seconds(60),
            vpc_subnets=network.private_subnets,
            assign_public_ip=False,
            security_groups=[self._service_security_group(app, env, names, network)],
        )
        self.service.attach_to_application_target_group(self.blue_target_group)
        # The application's own port, which its releases listen on (the placeholder's is opened above).
        self.service.connections.allow_from(
            self.load_balancer_security_group, ec2.Port.tcp(application.container_port), f"{app} tasks"
        )
        service = self.service.node.default_child
        service.add_property_override("TaskDefinition", self.task_definition.family)
        service.node.add_dependency(self.task_definition)

    @property
    def test_url(self) -> str:
        """The health path of whichever task set the test listener routes to (green during a deployment)."""
        host = self.load_balancer.load_balancer_dns_name
        return f"{self.scheme}://{host}:{self.test_port}{self.health_check_path}"

    def _execution_role(self, app: str, env: str, names: Names, pipeline_account: str) -> iam.IRole:
        stack = cdk.Stack.of(self)
        repository_arn = stack.format_arn(
            service="ecr", account=pipeline_account, resource="repository", resource_name=names.ecr_repository(app)
        )
        tools_arn = stack.format_arn(
            service="ecr", account=pipeline_account, resource="repository", resource_name=names.tools_repository()
        )
        pull = iam.PolicyDocument(
            statements=[
                # ecr:GetAuthorizationToken has no resource-level permissions: AWS requires '*'.
                iam.PolicyStatement(actions=["ecr:GetAuthorizationToken"], resources=["*"]),
                iam.PolicyStatement(actions=TASK_PULL_ACTIONS, resources=[repository_arn]),
            ]
        )
        placeholder_and_logs = iam.PolicyDocument(
            statements=[
                iam.PolicyStatement(actions=TASK_PULL_ACTIONS, resources=[tools_arn]),
                iam.PolicyStatement(actions=TASK_LOG_ACTIONS, resources=[self.task_log_group.log_group_arn]),
            ]
        )
        role = iam.Role(
            self,
            "ExecutionRole",
            role_name=names.task_execution_role(app, env),
            assumed_by=iam.ServicePrincipal("ecs-tasks.amazonaws.com"),
            description=f"Lets ECS pull {app} images from the pipeline account and write its task logs",
            inline_policies={"PullApplicationImage": pull, "PlaceholderImageAndTaskLogs": placeholder_and_logs},
        )
        acknowledge_nag(
            role.node.default_child,
            wildcard_resource("*"),
            "ecr:GetAuthorizationToken is the only action on '*': ECR defines no resource type for it, so AWS "
            "accepts no narrower resource. The token it returns only lets the role use the pull actions "
            "granted on the two named repositories (the application's and the tools repository of the placeholder).",
        )
        # Immutable: CDK's image and log driver grants would add a second, implicit policy.
        return role.without_policy_updates()

    def _task_definition(
        self, application: Application, env: str, names: Names, pipeline_account: str
    ) -> ecs.FargateTaskDefinition:
        app = application.name
        stack = cdk.Stack.of(self)
        registry = f"{pipeline_account}.dkr.ecr.{stack.region}.{stack.url_suffix}"
        task_definition = ecs.FargateTaskDefinition(
            self,
            "TaskDefinition",
            family=names.task_family(app, env),
            cpu=PLACEHOLDER_CPU,
            memory_limit_mib=PLACEHOLDER_MEMORY,
            execution_role=self.execution_role,
            task_role=self.task_role,
            runtime_platform=ecs.RuntimePlatform(
                cpu_architecture=ecs.CpuArchitecture.X86_64,
                operating_system_family=ecs.OperatingSystemFamily.LINUX,
            ),
        )
        task_definition.add_container(
            "Container",
            container_name=self.container_name,
            image=ecs.ContainerImage.from_registry(f"{registry}/{names.tools_repository()}:{PLACEHOLDER.tag}"),
            port_mappings=[ecs.PortMapping(container_port=PLACEHOLDER_PORT)],
            # The server and its port as the command, not an image or environment variables: nothing
            # to build, no environment at all (cdk-nag ECS2); the pipeline's revisions bring their own.
            command=["python", "-c", PLACEHOLDER_SERVER.read_text(), str(PLACEHOLDER_PORT)],
            user=NOBODY,
            logging=ecs.LogDrivers.aws_logs(stream_prefix=app, log_group=self.task_log_group),
            readonly_root_filesystem=True,
            essential=True,
        )
        return task_definition

    def _target_group(
        self, construct_id: str, kind: str, application: Application, env: str, names: Names, network: Network
    ) -> elbv2.ApplicationTargetGroup:
        # Target group and load balancer names are capped at 32 characters: the kinds stay short.
        return elbv2.ApplicationTargetGroup(
            self,
            f"{construct_id}TargetGroup",
            target_group_name=names(kind, env, "AWS::ElasticLoadBalancingV2::TargetGroup"),
            vpc=network.vpc,
            target_type=elbv2.TargetType.IP,
            protocol=elbv2.ApplicationProtocol.HTTP,
            port=PLACEHOLDER_PORT,  # create-only; each target is registered at its task's container port
            deregistration_delay=cdk.Duration.seconds(30),
            health_check=elbv2.HealthCheck(
                path=application.health_check_path,
                healthy_http_codes="200",
                interval=cdk.Duration.seconds(15),
                timeout=cdk.Duration.seconds(5),
                healthy_threshold_count=2,
                unhealthy_threshold_count=3,
            ),
        )

    def _add_listeners(self, certificate_arn: str | None, env: str) -> None:
        """HTTPS, with HTTP redirected to it, given a certificate; plain HTTP without one.

        `http_listeners` lists the listeners that take plain HTTP: the redirect, or both listeners
        when no certificate is configured, which then carry checkov skips saying so.
        """
        if certificate_arn:
            self.scheme, ports = "https", HTTPS_PORTS
            protocol = {
                "protocol": elbv2.ApplicationProtocol.HTTPS,
                "certificates": [elbv2.ListenerCertificate.from_arn(certificate_arn)],
                "ssl_policy": elbv2.SslPolicy.RECOMMENDED_TLS,
            }
        else:
            self.scheme, ports = "http", HTTP_PORTS
            protocol = {"protocol": elbv2.ApplicationProtocol.HTTP}
        self.test_port = ports["test"]
        self.production_listener = self.load_balancer.add_listener(
            "ProductionListener",
            port=ports["production"],
            open=True,
            default_target_groups=[self.blue_target_group],
            **protocol,
        )
        # The hook Lambda smoke-tests green through this port from outside the VPC (Lambda has no
        # fixed source address), so it is open like the production port; it only ever serves a
        # release candidate of the same application.
        self.test_listener = self.load_balancer.add_listener(
            "TestListener",
            port=ports["test"],
            open=True,
            default_target_groups=[self.green_target_group],
            **protocol,
        )
        if certificate_arn:
            self.http_listeners = [self.load_balancer.add_redirect(source_port=80, target_port=ports["production"])]
        else:
            self.http_listeners = [self.production_listener, self.test_listener]
            reason = (
                f"No certificate is configured for {env} (cicd:environments.{env}.certificateArn is unset), so "
                "this listener serves plain HTTP: ALB has no HTTPS without a certificate. Setting the ARN of an "
                "ACM certificate for the application's domain makes both listeners HTTPS with a TLS 1.2+ "
                "policy and turns port 80 into a redirect; this skip then disappears."
            )
            for listener in self.http_listeners:
                skip_checkov(listener, "CKV_AWS_2", reason)
                skip_checkov(listener, "CKV_AWS_103", reason)

    def _load_balancer_security_group(self, app: str, env: str, names: Names, network: Network) -> ec2.SecurityGroup:
        """Ingress comes from the listeners (open to the internet), egress from the target groups (tasks only)."""
        security_group = ec2.SecurityGroup(
            self,
            "LoadBalancerSecurityGroup",
            vpc=network.vpc,
            security_group_name=names(f"{app}-alb-sg", env, "AWS::EC2::SecurityGroup"),
            description=f"{app} load balancer: listeners open to clients, egress to the tasks only",
            allow_all_outbound=False,
        )
        public = (
            f"The internet-facing load balancer of {app}: its clients are anyone on the internet, so its "
            "listener ports (production, test, and 80 for the redirect when HTTPS is configured) accept "
            "0.0.0.0/0 and nothing else does. The test port must be reachable by the smoke-test hook, a "
            "Lambda function outside the VPC with no fixed source address; it only serves a release "
            "candidate of the same application. Tasks accept traffic from this group only."
        )
        acknowledge_nag(security_group.node.default_child, "AwsSolutions-EC23", public)
        skip_checkov(security_group, "CKV_AWS_260", public)
        return security_group

    def _service_security_group(self, app: str, env: str, names: Names, network: Network) -> ec2.SecurityGroup:
        security_group = ec2.SecurityGroup(
            self,
            "ServiceSecurityGroup",
            vpc=network.vpc,
            security_group_name=names(f"{app}-service-sg", env, "AWS::EC2::SecurityGroup"),
            description=f"{app} tasks: traffic from their load balancer, HTTPS out (ECR, S3, logs)",
            allow_all_outbound=False,
        )
        security_group.add_egress_rule(ec2.Peer.any_ipv4(), ec2.Port.tcp(443), "HTTPS to AWS APIs")
        return security_group
