"""The rotation Lambda's code; this directory is the Lambda asset."""
