"""Constructs of one environment (dev, staging or prod) in its own account; composed by environment_stack."""

from stacks.environment.access_logs import AccessLogBucket
from stacks.environment.cluster import Cluster
from stacks.environment.deploy_role import DeployRole
from stacks.environment.deployment import BlueGreenDeployment
from stacks.environment.network import Network
from stacks.environment.service import BlueGreenService

__all__ = ["AccessLogBucket", "BlueGreenDeployment", "BlueGreenService", "Cluster", "DeployRole", "Network"]
