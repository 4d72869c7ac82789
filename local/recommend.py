"""``python -m local recommend``: ask a campaign of a saved local cloud for recommendations.

    python -m local recommend --state DIR --campaign NAME [--user-id U] [--item-id I] [--num N]
                              [--filter NAME [--filter-value K=V]...] [--json]

The state saved by ``python -m local run --state DIR`` is loaded into the emulator (no stack is deployed:
only Personalize is needed) and the request goes through a real ``boto3.client("personalize-runtime")``
GetRecommendations call, so it is validated and refused exactly as the emulated service does. Names are
resolved with ListCampaigns / ListFilters. ``--filter-value GENRE='"comedy","drama"'`` passes filterValues
as the API takes them.

Output: with ``--json`` one line, the GetRecommendations response ``{"itemList": [{"itemId", "score"}],
"recommendationId"}``; otherwise a table of the recommendations, next to the user's most recent
interactions when ``--user-id`` is given. Exit codes: 0 answered, 1 the service refused the request (its
error on stderr), 2 usage or state errors.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TextIO

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from local import state as local_state
from local.clock import SimClock

#: How many of the user's latest interactions are shown next to the recommendations.
HISTORY = 10
_NO_RETRIES = Config(retries={"total_max_attempts": 1, "mode": "standard"})


class RecommendError(Exception):
    """A usage or state problem: exit 2."""


def add_recommend_parser(commands: Any) -> None:
    parser = commands.add_parser("recommend", help="ask a campaign of a saved local cloud (run --state DIR)")
    parser.add_argument("--state", type=Path, required=True, metavar="DIR", help="the state a `run --state DIR` saved")
    parser.add_argument("--campaign", required=True, metavar="NAME", help="the campaign's name")
    parser.add_argument("--user-id", metavar="U", help="userId (user recipes; filters on the user's data)")
    parser.add_argument("--item-id", metavar="I", help="itemId (related-items recipes)")
    parser.add_argument("--num", type=int, metavar="N", help="numResults (the service's default is 25)")
    parser.add_argument("--filter", metavar="NAME", help="a filter's name")
    parser.add_argument(
        "--filter-value",
        action="append",
        default=[],
        metavar="K=V",
        help="a value of a $K placeholder of the filter, as the API takes it (e.g. GENRE='\"comedy\"')",
    )
    parser.add_argument("--json", action="store_true", help="print the GetRecommendations response as JSON")


@contextmanager
def _saved_cloud(directory: Path) -> Iterator[str]:
    """moto with the emulator holding the saved resources; yields the region they live in."""
    from moto import mock_aws

    from local.deploy import FAKE_AWS_ENV, MOTO_CONFIG
    from local.personalize import PersonalizeEmulator, Timeline, install, uninstall

    try:
        saved = local_state.load(directory)
    except local_state.StateError as error:
        raise RecommendError(str(error)) from error
    regions = sorted({region for _, region in saved.personalize})
    if not regions:
        raise RecommendError(f"--state {directory}: the saved local cloud has no Personalize resources")
    emulator = PersonalizeEmulator(SimClock(saved.sim_time), Timeline.instant())
    emulator.restore(saved.personalize)
    previous = {key: os.environ.get(key) for key in FAKE_AWS_ENV}
    os.environ.update({key: value for key, value in FAKE_AWS_ENV.items() if not os.environ.get(key)})
    install(emulator)
    try:
        with mock_aws(config=MOTO_CONFIG):  # type: ignore[arg-type]
            yield regions[0]
    finally:
        uninstall()
        for key, value in previous.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def _by_name(pages: Any, key: str, arn_key: str, name: str, what: str) -> dict[str, Any]:
    found = [entry for page in pages for entry in page[key]]
    for entry in found:
        if entry["name"] == name:
            return entry
    names = ", ".join(sorted(entry["name"] for entry in found)) or "none"
    raise RecommendError(f"no {what} named {name!r} in the saved local cloud (there: {names})")


def _filter_values(pairs: list[str]) -> dict[str, str]:
    values = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise RecommendError(f"--filter-value {pair!r}: expected K=V")
        values[key] = value
    return values


def recommend(parser: argparse.ArgumentParser, argv: list[str], out: TextIO) -> int:
    """``python -m local recommend ...`` (``argv`` starts with ``recommend``); the exit code."""
    import sys

    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:  # --help
        return 2 if exit_.code else 0
    except Exception as error:  # noqa: BLE001 - the CLI's usage errors (local.cli.UsageError)
        print(f"error: {error}", file=sys.stderr)
        return 2
    try:
        if args.filter_value and not args.filter:
            raise RecommendError("--filter-value needs --filter")
        values = _filter_values(args.filter_value)
        with _saved_cloud(args.state) as region:
            personalize = boto3.client("personalize", region_name=region, config=_NO_RETRIES)
            runtime = boto3.client("personalize-runtime", region_name=region, config=_NO_RETRIES)
            campaign = _by_name(
                personalize.get_paginator("list_campaigns").paginate(),
                "campaigns",
                "campaignArn",
                args.campaign,
                "campaign",
            )
            request: dict[str, Any] = {"campaignArn": campaign["campaignArn"]}
            if args.filter:
                described = personalize.describe_campaign(campaignArn=campaign["campaignArn"])["campaign"]
                version = personalize.describe_solution_version(solutionVersionArn=described["solutionVersionArn"])
                group = version["solutionVersion"]["datasetGroupArn"]
                pages = personalize.get_paginator("list_filters").paginate(datasetGroupArn=group)
                request["filterArn"] = _by_name(pages, "Filters", "filterArn", args.filter, "filter")["filterArn"]
                if values:
                    request["filterValues"] = values
            for option, key in (("user_id", "userId"), ("item_id", "itemId"), ("num", "numResults")):
                if getattr(args, option) is not None:
                    request[key] = getattr(args, option)
            try:
                response = runtime.get_recommendations(**request)
            except ClientError as error:
                print(
                    f"error: {error.response['Error']['Code']}: {error.response['Error']['Message']}", file=sys.stderr
                )
                return 1
            response.pop("ResponseMetadata", None)
            if args.json:
                print(json.dumps(response), file=out)
                return 0
            history = _history(personalize, campaign["campaignArn"], args.user_id) if args.user_id else None
            _print(args, response, history, out)
            return 0
    except RecommendError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2


def _history(personalize: Any, campaign_arn: str, user: str) -> list[dict[str, Any]]:
    """The user's latest interactions in the campaign's dataset group, newest first."""
    from local.personalize import installed

    described = personalize.describe_campaign(campaignArn=campaign_arn)["campaign"]
    version = personalize.describe_solution_version(solutionVersionArn=described["solutionVersionArn"])
    group = version["solutionVersion"]["datasetGroupArn"]
    datasets = personalize.list_datasets(datasetGroupArn=group)["datasets"]
    interactions = [d["datasetArn"] for d in datasets if d["datasetType"].upper() == "INTERACTIONS"]
    emulator = installed()
    if not interactions or emulator is None:
        return []
    records = [r for r in emulator.dataset_records(interactions[0]) if str(r["USER_ID"]) == user]
    return sorted(records, key=lambda r: r["TIMESTAMP"], reverse=True)[:HISTORY]


def _print(
    args: argparse.Namespace, response: dict[str, Any], history: list[dict[str, Any]] | None, out: TextIO
) -> None:
    subject = f"user {args.user_id}" if args.user_id else f"item {args.item_id}" if args.item_id else "everyone"
    left = [f"Recommended for {subject} ({args.campaign})", ""]
    for rank, entry in enumerate(response["itemList"], start=1):
        score = f"  {entry['score']:.4f}" if "score" in entry else ""
        left.append(f"{rank:>3}. {entry['itemId']}{score}")
    if not response["itemList"]:
        left.append("(no items)")
    if history is None:
        print("\n".join(left), file=out)
    else:
        right = [f"Recent history of user {args.user_id}", ""]
        for record in history:
            when = datetime.datetime.fromtimestamp(record["TIMESTAMP"], datetime.UTC).strftime("%Y-%m-%d %H:%M")
            kind = f"  {record['EVENT_TYPE']}" if record.get("EVENT_TYPE") else ""
            right.append(f"{when}  {record['ITEM_ID']}{kind}")
        if not history:
            right.append("(no interactions: a new user)")
        width = max(len(line) for line in left) + 4
        for index in range(max(len(left), len(right))):
            a = left[index] if index < len(left) else ""
            b = right[index] if index < len(right) else ""
            print(f"{a.ljust(width)}{b}".rstrip(), file=out)
    print(f"recommendationId {response['recommendationId']}", file=out)
