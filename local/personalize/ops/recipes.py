"""Recipes: the read-only catalogue (ListRecipes, DescribeRecipe) of ``recipes.py``.

Retired recipes (HRNN) are not listed, as on the service, which lists only what CreateSolution can use;
DescribeRecipe still answers for them because old ARNs remain describable [I]. Domain use cases are listed
with their domain, and filtered by the ``domain`` parameter as the API documents.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import TYPE_CHECKING, Any

from ..errors import InvalidInputException, InvalidNextTokenException, ResourceNotFoundException
from ..recipes import DOMAIN_USE_CASES, RECIPE_PREFIX, RECIPES
from .registry import operation

if TYPE_CHECKING:
    from ..models import RegionState

#: [I] The catalogue's dates are not documented; a fixed date keeps responses deterministic.
_LISTED_AT = 1_600_000_000.0


def _domain(arn: str) -> str | None:
    name = arn.removeprefix(RECIPE_PREFIX)
    if name.startswith("aws-ecomm-"):
        return "ECOMMERCE"
    if name.startswith("aws-vod-"):
        return "VIDEO_ON_DEMAND"
    return None


def _partitioned(state: RegionState, arn: str) -> str:
    # [I] the emulator keeps its catalogue in the aws partition; other partitions list their own prefix.
    return arn.replace("arn:aws:", f"arn:{state.partition}:", 1)


def _catalogue(state: RegionState) -> list[dict[str, Any]]:
    arns = sorted([arn for arn, recipe in RECIPES.items() if recipe.available] + sorted(DOMAIN_USE_CASES))
    return [
        {
            "name": arn.removeprefix(RECIPE_PREFIX),
            "recipeArn": _partitioned(state, arn),
            "status": "ACTIVE",
            "creationDateTime": _LISTED_AT,
            "lastUpdatedDateTime": _LISTED_AT,
            **({"domain": _domain(arn)} if _domain(arn) else {}),
        }
        for arn in arns
    ]


@operation("ListRecipes")
def list_recipes(state: RegionState, p: dict, now: float) -> dict:
    if p.get("recipeProvider", "SERVICE") != "SERVICE":
        raise InvalidInputException(f"recipeProvider {p['recipeProvider']} is not supported; use SERVICE.")
    items = [r for r in _catalogue(state) if "domain" not in p or r.get("domain") == p["domain"]]
    offset = 0
    if p.get("nextToken"):
        try:
            offset = int(json.loads(base64.urlsafe_b64decode(p["nextToken"].encode()))["ListRecipes"])
        except (ValueError, KeyError, TypeError, binascii.Error, UnicodeDecodeError):
            raise InvalidNextTokenException(f"The next token {p['nextToken']} is not valid.") from None
    size = p.get("maxResults") or 100
    following = None
    if offset + size < len(items):
        following = base64.urlsafe_b64encode(json.dumps({"ListRecipes": offset + size}).encode()).decode()
    return {"recipes": items[offset : offset + size], "nextToken": following}


@operation("DescribeRecipe")
def describe_recipe(state: RegionState, p: dict, now: float) -> dict:
    arn = p["recipeArn"].replace(f"arn:{state.partition}:", "arn:aws:", 1)
    recipe = RECIPES.get(arn)
    if recipe is None and arn not in DOMAIN_USE_CASES:
        raise ResourceNotFoundException(p["recipeArn"])
    name = arn.removeprefix(RECIPE_PREFIX)
    return {
        "recipe": {
            "name": name,
            "recipeArn": p["recipeArn"],
            "algorithmArn": _partitioned(state, f"arn:aws:personalize:::algorithm/{name}"),
            "status": "ACTIVE",
            "recipeType": recipe.family if recipe else "USER_PERSONALIZATION",
            "creationDateTime": _LISTED_AT,
            "lastUpdatedDateTime": _LISTED_AT,
        }
    }
