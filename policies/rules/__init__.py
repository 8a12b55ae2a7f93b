"""The rule catalog: one rule per file (metadata and one pure function over one resource)."""
