"""Tagging of any emulated resource (the tag rules themselves are RegionState.tags)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..errors import TooManyTagKeysException
from .registry import operation

if TYPE_CHECKING:
    from ..models import RegionState


@operation("ListTagsForResource")
def list_tags_for_resource(state: RegionState, p: dict, now: float) -> dict:
    resource = state.find(p["resourceArn"])
    return {"tags": [{"tagKey": k, "tagValue": v} for k, v in resource.tags.items()]}


@operation("TagResource")
def tag_resource(state: RegionState, p: dict, now: float) -> dict:
    resource = state.find(p["resourceArn"])
    resource.tags = state.tags(p["tags"], resource.tags)
    return {}


@operation("UntagResource")
def untag_resource(state: RegionState, p: dict, now: float) -> dict:
    resource = state.find(p["resourceArn"])
    keys = p["tagKeys"]
    if len(keys) > state.quotas.tags_per_resource:
        raise TooManyTagKeysException(
            f"The request names {len(keys)} tag keys; a resource has at most {state.quotas.tags_per_resource}."
        )
    resource.tags = {k: v for k, v in resource.tags.items() if k not in keys}
    return {}
