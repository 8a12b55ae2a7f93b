"""The tests' toolkit, one of each: templates (read and merge), references (render intrinsics), iam
(collect policy statements), events (EventBridge patterns, transformers, sample events), log_filters
(CloudWatch Logs filter patterns) and dashboards (what a dashboard shows, and whether the app emits it)."""
