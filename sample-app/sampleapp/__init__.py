"""A small real HTTP service the pipeline builds, tests and deploys: a health endpoint and one page."""
