"""Code that runs in AWS, not at synth: build-project scripts and the rotation Lambda."""
