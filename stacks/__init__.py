"""Ordinary stacks and constructs of the CI/CD system."""
