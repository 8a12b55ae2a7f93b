"""`make source-bundle APP=orders DIR=path/to/orders`: the S3 source of one application, its folder zipped.

Standard library only (runs before `.venv` exists). The folder must have the layout the pipeline reads
(LAYOUT); what is missing is one line and exit 2 here rather than a failed build after the upload.
"""

from __future__ import annotations

import fnmatch
import re
import sys
import zipfile
from pathlib import Path

SOURCE_OBJECT = "source.zip"
BUNDLE_EXCLUDES = ["__pycache__", "*.pyc", ".pytest_cache"]
"""Left out of bundles (also of the sample's CDK asset)."""
LAYOUT = {
    "Dockerfile": "the Build stage builds the image from it",
    "tests/requirements.txt": "the Test stage installs it next to the image",
    "deploy/taskdef.json": "the deploy projects register it",
    "deploy/appspec.json": "the deploy projects give it to CodeDeploy",
}
"""What an application's folder must hold, and who reads it."""
_APP = re.compile(r"^[a-z][a-z0-9]{0,11}$")


def source_key(app: str) -> str:
    """Where an application's bundle goes in the source bucket."""
    return f"{app}/{SOURCE_OBJECT}"


def bundle(app: str, folder: Path, dist: Path) -> Path:
    """Zip `folder` (its layout checked) into dist/<app>/source.zip."""
    if not _APP.match(app):
        raise ValueError(f'APP="{app}": expected an application name (1 to 12 lowercase letters or digits)')
    if not folder.is_dir():
        raise ValueError(f'DIR="{folder}": expected the application\'s folder')
    missing = [path for path in LAYOUT if not (folder / path).is_file()]
    if missing:
        needs = "; ".join(f"{path} ({LAYOUT[path]})" for path in missing)
        raise ValueError(f'DIR="{folder}": expected an application folder, missing {needs}')
    files = sorted(
        path
        for path in folder.rglob("*")
        if path.is_file() and not any(fnmatch.fnmatch(part, p) for part in path.parts for p in BUNDLE_EXCLUDES)
    )
    target = dist / source_key(app)
    target.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in files:
            archive.write(path, path.relative_to(folder))
    return target


def main(argv: list[str]) -> int:
    app, folder, dist = argv
    try:
        target = bundle(app, Path(folder), Path(dist))
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(f"{target}: upload it to s3://<SourceBucketName>/{source_key(app)} to start the {app} pipeline")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
