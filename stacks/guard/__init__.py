"""The deploy-time guard: a CloudFormation Lambda hook that runs the rule catalog on stack operations."""
