"""The rule catalog: one rule per module, each a pure function over one CloudFormation resource."""
