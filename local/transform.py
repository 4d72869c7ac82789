"""Write the CloudFormation template samtranslator makes of template.yaml, for tools that lint it (checkov).

    python -m local.transform template.yaml build/template.transformed.json

Offline, as the local deploy does (``local.deploy.transform_template``); the code locations become S3
keys of the local code bucket, which no check looks at.
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

from local.deploy import transform_template

#: Values for the template's parameters without a default.
PARAMETERS = {"Email": "pipeline-owner@example.com"}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m local.transform", description=__doc__.splitlines()[0])
    parser.add_argument("template", type=Path)
    parser.add_argument("output", type=Path)
    args = parser.parse_args(argv)
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    template, _ = transform_template(args.template, PARAMETERS)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(template, indent=1, default=str) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
