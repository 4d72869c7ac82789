"""Load Parameters reads existing datasets and schemas: exactly those reads are granted, on scoped ARNs."""

from __future__ import annotations

import ast
from typing import Any

from .conftest import ROOT
from .test_template import _personalize_actions, as_list, statements


def test_template_load_parameters_grants_exactly_the_reads_it_makes(template: dict[str, Any]) -> None:
    # GIVEN the Personalize calls existing.py makes (the only Personalize code Load Parameters runs)
    tree = ast.parse((ROOT / "functions/shared/personalize_pipeline/existing.py").read_text())
    needed = _personalize_actions(tree, {"existing_datasets"})
    # WHEN the function's policy statements are read
    granted = {
        (action.split(":")[1], resource["Fn::Sub"].rsplit(":", 1)[-1])
        for statement in statements(template["Resources"]["LoadParametersFunction"])
        for action in as_list(statement["Action"])
        if action.startswith("personalize:")
        for resource in as_list(statement["Resource"])
    }
    # THEN each call is granted on its own resource type (iam-reference: dataset*, schema*) and nothing else
    assert needed == {"DescribeDataset", "DescribeSchema"}
    assert granted == {("DescribeDataset", "dataset/*"), ("DescribeSchema", "schema/*")}
