"""Enforcement point 3: checkov custom checks (`--external-checks-dir policies/checkov`)."""
