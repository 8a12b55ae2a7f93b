"""Constructs of the pipeline account: storage, registries, credentials, build projects, pipelines."""
