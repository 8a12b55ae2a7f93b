"""Does the rehearsal catch the defects it is for? Each mutant puts one defect back into a copy of the
repository, and `make rehearse` must then fail (exit status not 0); the unchanged copy must pass.

    make mutants [MUTANTS="name,name"]      # all mutants by default; prints one line each

The copy is the committed tree (`git archive HEAD`: edits in progress do not leak in) with `.venv`,
`.venv-iam`, `node_modules` and `.cache` linked from this checkout, which make is told are up to date.
A mutant whose text is not found exactly once is reported as broken, never as caught.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SHARED = (".venv", ".venv-iam", "node_modules", ".cache")
UP_TO_DATE = ("-o", ".venv/.runtime", "-o", ".venv/.dev", "-o", ".venv-iam/.installed", "-o", "node_modules/.installed")


@dataclass(frozen=True)
class Mutant:
    name: str
    path: str
    edits: tuple[tuple[str, str], ...]


DEPLOY, BUILDSPECS = "stacks/pipeline/runtime/deploy.py", "stacks/pipeline/buildspecs.py"
DEPLOY_ROLE = "stacks/environment/deploy_role.py"
MUTANTS = (
    Mutant(
        "dockerd not started",
        BUILDSPECS,
        (('"install": {"commands": START_DOCKER},', '"install": {"commands": START_DOCKER[1:]},'),),
    ),
    Mutant("--provenance=false removed", BUILDSPECS, (("--provenance=false --sbom=false", "--sbom=false"),)),
    Mutant(
        "credentials assumed once",
        DEPLOY,
        (("if self._expires_at - self._clock() < REFRESH_MARGIN_SECONDS:", "if self.sessions == 0:"),),
    ),
    Mutant(
        "StopDeployment not called",
        DEPLOY,
        (
            (
                "account.codedeploy.stop_deployment(deploymentId=deployment_id, autoRollbackEnabled=True)",
                "account.codedeploy.get_deployment(deploymentId=deployment_id)",
            ),
        ),
    ),
    Mutant(
        "ECR lifecycle no longer protecting deployed images",
        "stacks/pipeline/registries.py",
        (('DEPLOYED_TAG = "deployed-{environment}-*"', 'DEPLOYED_TAG = "kept-{environment}-*"'),),
    ),
    Mutant(
        "source seeding removed",
        "stacks/pipeline_stack.py",
        (("self.pipeline.pipeline.node.add_dependency(sample.seed(app))", "pass"),),
    ),
    Mutant(
        "service-linked role call removed",
        "stacks/environment/cluster.py",
        (
            ("self.service_linked_role = sdk_call(", "self.service_linked_role = (lambda *args, **options: None)("),
            ("        self.cluster.node.add_dependency(self.service_linked_role)\n", ""),
        ),
    ),
    Mutant(
        "rotation's testSecret a no-op",
        "stacks/pipeline/runtime/rotation/registry_rotation.py",
        (("    registry.check(_credentials(secrets, arn, stage=PENDING, version=token))", "    pass"),),
    ),
    Mutant(
        "empty_on_delete removed", "stacks/pipeline/registries.py", (("empty_on_delete=True", "empty_on_delete=False"),)
    ),
    Mutant(
        "auto_delete_objects removed",
        "stacks/pipeline/storage.py",
        (("auto_delete_objects=True", "auto_delete_objects=False"),),
    ),
    Mutant(
        "deploy buildspec ignores the script's exit status",
        BUILDSPECS,
        (
            (
                '"--taskdef taskdef.json --appspec appspec.json")',
                '"--taskdef taskdef.json --appspec appspec.json || true")',
            ),
        ),
    ),
    Mutant(
        "deploy returns right after CreateDeployment",
        DEPLOY,
        (
            (
                "    wait_for_deployment(\n        account,",
                "    return deployment_id\n    wait_for_deployment(\n        account,",
            ),
        ),
    ),
    Mutant(
        "smoke-test hook always succeeds",
        "stacks/environment/smoke_test/runtime/handler.py",
        (("status = SUCCEEDED if passed else FAILED", "status = SUCCEEDED"),),
    ),
    Mutant(
        "manual approval removed",
        "stacks/pipeline/application.py",
        (("            if previous is not None:", "            if False:"),),
    ),
    Mutant(
        "deploy role's trust ExternalId changed",
        DEPLOY_ROLE,
        (('{"sts:ExternalId": names.external_id(env)}', '{"sts:ExternalId": names.external_id(env) + "-other"}'),),
    ),
    Mutant(
        "StopDeployment grant removed",
        DEPLOY_ROLE,
        (('        iam.PolicyStatement(actions=["codedeploy:StopDeployment"], resources=["*"]),\n', ""),),
    ),
)


def copy_to(target: Path) -> None:
    """The committed tree, and the shared environments linked."""
    archive = subprocess.run(["git", "archive", "HEAD"], cwd=ROOT, capture_output=True, check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(target)], input=archive, check=True)
    for name in SHARED:
        (target / name).symlink_to(ROOT / name)


def rehearse(mutant: Mutant | None) -> tuple[str, float]:
    """'caught', 'missed' or 'broken: ...' for a mutant; 'passes' or 'fails' for the unchanged copy."""
    with tempfile.TemporaryDirectory(prefix="mutant-") as directory:
        target = Path(directory)
        copy_to(target)
        if mutant is not None:
            path = target / mutant.path
            text = path.read_text()
            for old, new in mutant.edits:
                if text.count(old) != 1:
                    return f"broken: {old!r} occurs {text.count(old)} times in {mutant.path}", 0.0
                text = text.replace(old, new)
            path.write_text(text)
        started = time.monotonic()
        result = subprocess.run(
            [
                "make",
                "--no-print-directory",
                *UP_TO_DATE,
                "rehearse",
                "PYTEST_ARGS=-x -q",
                f"CDK_OUT={target / 'cdk.out'}",
            ],
            cwd=target,
            capture_output=True,
            text=True,
            check=False,
        )
        elapsed = time.monotonic() - started
    if mutant is None:
        return (
            "passes" if result.returncode == 0 else f"fails:\n{result.stdout[-3000:]}{result.stderr[-2000:]}"
        ), elapsed
    return ("caught" if result.returncode != 0 else "missed"), elapsed


def main(argv: list[str]) -> int:
    names = {name.strip() for name in ",".join(argv).split(",") if name.strip()}
    unknown = names - {mutant.name for mutant in MUTANTS}
    if unknown:
        print(f"MUTANTS: unknown {sorted(unknown)}; expected names from {[m.name for m in MUTANTS]}")
        return 2
    chosen = [m for m in MUTANTS if not names or m.name in names]
    outcome, elapsed = rehearse(None)
    print(f"{'(unchanged)':<52} {outcome} ({elapsed:.0f} s)", flush=True)
    bad = outcome != "passes"
    for mutant in chosen:
        outcome, elapsed = rehearse(mutant)
        print(f"{mutant.name:<52} {outcome} ({elapsed:.0f} s)", flush=True)
        bad |= outcome != "caught"
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
