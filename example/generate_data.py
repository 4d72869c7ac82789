"""Generate the example data sets: users, items and their interactions, in three flavours.

* ``retail`` (the default, ``example/data``): ``Users/users.csv`` and ``Interactions/interactions.csv``.
* ``shop`` (``example/shop/data``): the same shoppers and browsing, with an ``EVENT_TYPE`` (``View`` or
  ``Purchase``, the ECOMMERCE domain's event types), ``Items/items.csv`` (``PRICE``, ``CATEGORY_L1``) and
  a batch inference input, ``batch-input/users.json``.
* ``movies`` (``example/legacy/data``, the legacy sample's layout): ``Interactions`` with ``EVENT_TYPE``
  (``watch`` or ``click``) and ``Items/items.csv`` (``GENRE``, ``YEAR``); no Users dataset.

The committed files under ``example/data`` are this script's output with its defaults, and
``--check`` proves it: CI regenerates the bytes in memory and fails if they differ from disk. So the
example can be rebuilt at any size and never drifts from the code that explains it.

Why each modelling choice:

* **Determinism.** One ``random.Random(seed)`` drives everything and no wall clock is read: timestamps
  fall in the 180 days before a fixed epoch (2026-01-01T00:00:00Z). The same arguments give the same
  bytes on every machine, which is what lets a test compare the committed files with the script.
* **Users.** ``GENDER`` is categorical (F / M and a small X for unspecified, as retail sign-up forms
  collect it) and ``AGE`` an int from 18 to 80, triangular with its mode at 34 as adult shoppers skew
  young-middle-aged. Both match the Users schema in ``params.json`` (categorical string and int).
* **Taste.** Each user has a favourite category of the 12 hidden product categories, drawn from their
  age band and gender. So the Users metadata carries real signal, and a personalisation recipe has
  something to learn beyond "recommend the bestsellers".
* **Item popularity** follows Zipf, weight ``1 / rank**1.1``: a few items take a large share of the
  traffic and a long tail is rarely seen, as in real catalogues. Ranks are shuffled against item IDs so
  ``i00001`` is not automatically the bestseller.
* **Each interaction** is, in order of preference: with probability 0.25 an item related to the user's
  previous one (four "also viewed" neighbours per item, from the same category, popularity-weighted),
  which gives the sequence signal that sequence-aware recipes such as User-Personalization-v2 use; with
  probability 0.45 an item of the user's favourite category; otherwise any item by global popularity.
  Repeats of a user and item pair are allowed: shoppers come back to a product.
* **User activity** is log-normal (sigma 1.0), the usual shape of per-user event counts, yet every user
  gets at least 2 interactions: Personalize needs at least 25 users, and at least 1 % of users, with 2
  or more. Counts are apportioned exactly (largest remainder), so the file has exactly
  ``--interactions`` rows.
* **Timestamps.** Each user's events are uniform over the window, so arrivals behave like a Poisson
  process conditioned on its count; they are strictly increasing per user, so no (user, item,
  timestamp) row can repeat. There are no session bursts: Personalize uses the order of events, not the
  gaps between them, and leaving bursts out keeps the generator streaming.
* **Streaming.** Each user's sorted times come one at a time from sequential order statistics (the
  minimum of n uniforms, then of n-1 above it, ...), and a heap merges the users into one stream sorted
  by TIMESTAMP then USER_ID. Memory is O(users + items), not O(interactions): a million rows take a few
  seconds and little RAM.
* **Event types and items** (``shop`` and ``movies``) come from a second ``Random`` seeded from the first
  seed, so the item sequence is the retail flavour's for the same seed, and an item's attributes follow
  its hidden category: ``CATEGORY_L1`` or the first ``GENRE`` is that category, so a filter or a metadata
  recipe sees the same structure the interactions have. Purchases and watches are likelier for items of
  the user's favourite category or related to the previous one: intent shows in the event type.
* **Format.** Unquoted header, ``\\n`` line endings, UTF-8, epoch seconds as ints, IDs zero-padded so
  that text order is numeric order (``u0001``, ``i00001``; wider when the counts need it).
"""

from __future__ import annotations

import argparse
import bisect
import functools
import hashlib
import heapq
import math
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from random import Random

#: Timestamps end just before 2026-01-01T00:00:00Z and cover the 180 days before it.
END_EPOCH = 1767225600
WINDOW_SECONDS = 180 * 86400
START_EPOCH = END_EPOCH - WINDOW_SECONDS

USERS_HEADER = ("USER_ID", "GENDER", "AGE")
INTERACTIONS_HEADER = ("USER_ID", "ITEM_ID", "TIMESTAMP")
USERS_PATH = Path("Users") / "users.csv"
INTERACTIONS_PATH = Path("Interactions") / "interactions.csv"
ITEMS_PATH = Path("Items") / "items.csv"
#: The shop's batch inference input: JSON lines, one ``{"userId": ...}`` per line (every 10th user).
BATCH_USERS_PATH = Path("batch-input") / "users.json"
BATCH_USER_STEP = 10

FLAVOURS = ("retail", "shop", "movies")
#: Event type of an interaction that shows intent (favourite category or related item) / any other one,
#: and the probability of the first of each pair for an intent draw and for a browsing draw.
EVENT_TYPES = {"shop": ("Purchase", "View"), "movies": ("watch", "click")}
P_FIRST_EVENT = {"shop": (0.14, 0.04), "movies": (0.7, 0.35)}
ITEMS_HEADER = {"shop": ("ITEM_ID", "PRICE", "CATEGORY_L1"), "movies": ("ITEM_ID", "GENRE", "YEAR")}
SHOP_CATEGORIES = (
    "electronics", "books", "toys", "beauty", "garden", "kitchen",
    "sports", "fashion", "music", "office", "pets", "grocery",
)  # fmt: skip
#: Median price of each shop category, in the order above.
SHOP_MEDIAN_PRICES = (180.0, 14.0, 25.0, 22.0, 40.0, 35.0, 55.0, 45.0, 12.0, 18.0, 20.0, 6.0)
MOVIE_GENRES = (
    "Action", "Adventure", "Animation", "Children", "Comedy", "Crime",
    "Documentary", "Drama", "Fantasy", "Horror", "Romance", "Thriller",
)  # fmt: skip
P_SECOND_GENRE = 0.4
YEAR_MIN, YEAR_MODE, YEAR_MAX = 1950, 2015, 2025

#: Personalize's training minimums (personalize-facts.md section 6).
MIN_INTERACTIONS = 1000
MIN_USERS_WITH_TWO = 25
MIN_SHARE_WITH_TWO = 0.01

ZIPF_EXPONENT = 1.1
ACTIVITY_SIGMA = 1.0
MIN_PER_USER = 2
CATEGORIES = 12
RELATED_PER_ITEM = 4
P_RELATED = 0.25
P_FAVOURITE = 0.45

GENDERS = (("F", 0.49), ("M", 0.47), ("X", 0.04))
AGE_MIN, AGE_MODE, AGE_MAX = 18, 34, 80
#: Upper bounds of the age bands; each band prefers its own 3 of the 12 categories.
AGE_BANDS = (29, 44, 59, AGE_MAX)
#: How each gender weighs the 3 categories of its age band; a user explores outside it 30 % of the time.
GENDER_OFFSET_WEIGHTS = {"F": (0.5, 0.3, 0.2), "M": (0.2, 0.3, 0.5), "X": (1 / 3, 1 / 3, 1 / 3)}
P_OUTSIDE_BAND = 0.3

CHUNK_LINES = 8192


@dataclass(frozen=True)
class Config:
    """What to generate; the defaults are the committed example."""

    users: int = 250
    items: int = 600
    interactions: int = 25000
    seed: int = 42
    flavour: str = "retail"

    def validate(self) -> None:
        """Reject sizes the model cannot honour, before any output is written."""
        if self.flavour not in FLAVOURS:
            raise ValueError(f"--flavour must be one of {', '.join(FLAVOURS)}")
        if self.users < 1 or self.items < 1:
            raise ValueError("--users and --items must be at least 1")
        if self.interactions < MIN_PER_USER * self.users:
            raise ValueError(
                f"--interactions must be at least {MIN_PER_USER} x --users "
                f"({MIN_PER_USER * self.users}) so that every user has {MIN_PER_USER} interactions"
            )

    def below_training_minimums(self) -> list[str]:
        """Personalize's minimums this size misses (every user has >= 2, so only two can fail)."""
        problems = []
        if self.interactions < MIN_INTERACTIONS:
            problems.append(f"fewer than {MIN_INTERACTIONS} interactions")
        if self.users < MIN_USERS_WITH_TWO:
            problems.append(f"fewer than {MIN_USERS_WITH_TWO} users with 2 or more interactions")
        return problems


@dataclass(frozen=True)
class User:
    user_id: str
    gender: str
    age: int
    favourite: int
    count: int


class Model:
    """Users, items and their latent structure, drawn once; interactions then stream from it."""

    def __init__(self, config: Config) -> None:
        config.validate()
        self.config = config
        self.rng = Random(config.seed)
        self.user_width = max(4, len(str(config.users)))
        self.item_width = max(5, len(str(config.items)))
        self._draw_items()
        self._draw_users()

    def _draw_items(self) -> None:
        rng, n = self.rng, self.config.items
        ids = [f"i{i + 1:0{self.item_width}d}" for i in range(n)]
        rng.shuffle(ids)  # ids[rank] is the item at that popularity rank
        weights = [1.0 / (rank + 1) ** ZIPF_EXPONENT for rank in range(n)]
        self.item_ids = ids
        self.item_cum = _cumulative(weights)
        n_categories = min(CATEGORIES, n)
        self.category_of = [rank % n_categories for rank in range(n)]
        members: list[list[int]] = [[] for _ in range(n_categories)]
        for rank in range(n):
            members[rank % n_categories].append(rank)
        self.category_members = members
        self.category_cum = [_cumulative([weights[r] for r in ranks]) for ranks in members]
        self.related: list[list[int]] = []
        for rank in range(n):
            category = self.category_of[rank]
            ranks, cum = members[category], self.category_cum[category]
            neighbours = []
            for _ in range(RELATED_PER_ITEM):
                pick = ranks[_pick(rng, cum)]
                if pick == rank and len(ranks) > 1:
                    pick = ranks[_pick(rng, cum)]
                neighbours.append(pick)
            self.related.append(neighbours)

    def _draw_users(self) -> None:
        rng, config = self.rng, self.config
        n_categories = len(self.category_members)
        gender_cum = _cumulative([weight for _, weight in GENDERS])
        drafts = []
        for _ in range(config.users):
            gender = GENDERS[_pick(rng, gender_cum)][0]
            age = min(AGE_MAX, int(rng.triangular(AGE_MIN, AGE_MAX + 1, AGE_MODE)))
            band = bisect.bisect_left(AGE_BANDS, age)
            if rng.random() < P_OUTSIDE_BAND:
                favourite = rng.randrange(n_categories)
            else:
                offset = _pick(rng, _cumulative(GENDER_OFFSET_WEIGHTS[gender]))
                favourite = (band * 3 + offset) % n_categories
            drafts.append((gender, age, favourite, rng.lognormvariate(0.0, ACTIVITY_SIGMA)))
        counts = _apportion(config.interactions - MIN_PER_USER * config.users, [draft[3] for draft in drafts])
        if MIN_PER_USER + max(counts) > WINDOW_SECONDS:
            raise ValueError("a user would need more than one interaction per second; add --users")
        self.users = [
            User(f"u{i + 1:0{self.user_width}d}", gender, age, favourite, MIN_PER_USER + extra)
            for i, ((gender, age, favourite, _), extra) in enumerate(zip(drafts, counts, strict=True))
        ]

    def user_lines(self) -> Iterator[str]:
        """Users in USER_ID order (the zero padding makes index order text order)."""
        yield ",".join(USERS_HEADER) + "\n"
        for user in self.users:
            yield f"{user.user_id},{user.gender},{user.age}\n"

    def interaction_lines(self) -> Iterator[str]:
        """Interactions sorted by TIMESTAMP then USER_ID, one at a time.

        Call once per Model: it consumes the model's random stream.
        """
        rng = self.rng
        item_ids, related = self.item_ids, self.related
        item_cum, members, category_cum = self.item_cum, self.category_members, self.category_cum
        users = self.users
        # Per user: position x in [0, 1) of the last order statistic, and how many are left to draw.
        position = [0.0] * len(users)
        remaining = [user.count for user in users]
        last_item = [-1] * len(users)

        def next_time(u: int) -> int:
            # The minimum of n uniforms above x is x + (1 - x)(1 - V**(1/n)): sorted, one at a time.
            n = remaining[u]
            x = position[u]
            x += (1.0 - x) * (1.0 - (1.0 - rng.random()) ** (1.0 / n))
            position[u] = x
            remaining[u] = n - 1
            count = users[u].count
            index = count - n
            # Map k sorted draws on [0, W - k] to k strictly increasing seconds on [0, W) by adding index.
            return START_EPOCH + min(int(x * (WINDOW_SECONDS - count + 1)), WINDOW_SECONDS - count) + index

        heap = [(next_time(u), u) for u in range(len(users))]
        heapq.heapify(heap)
        events = EVENT_TYPES.get(self.config.flavour)
        event_rng = self._side_rng("events")
        yield ",".join(INTERACTIONS_HEADER + (("EVENT_TYPE",) if events else ())) + "\n"
        while heap:
            timestamp, u = heap[0]
            draw = rng.random()
            previous = last_item[u]
            if previous >= 0 and draw < P_RELATED:
                rank = related[previous][int(draw / P_RELATED * RELATED_PER_ITEM)]
            elif draw < P_RELATED + P_FAVOURITE:
                category = users[u].favourite
                rank = members[category][_pick(rng, category_cum[category])]
            else:
                rank = _pick(rng, item_cum)
            last_item[u] = rank
            if events:
                intent, browsing = P_FIRST_EVENT[self.config.flavour]
                p_first = intent if draw < P_RELATED + P_FAVOURITE else browsing
                event = events[0] if event_rng.random() < p_first else events[1]
                yield f"{users[u].user_id},{item_ids[rank]},{timestamp},{event}\n"
            else:
                yield f"{users[u].user_id},{item_ids[rank]},{timestamp}\n"
            if remaining[u]:
                heapq.heapreplace(heap, (next_time(u), u))
            else:
                heapq.heappop(heap)

    def item_lines(self) -> Iterator[str]:
        """Items in ITEM_ID order, their attributes drawn from their hidden category."""
        flavour = self.config.flavour
        rng = self._side_rng("items")
        rank_of = {item_id: rank for rank, item_id in enumerate(self.item_ids)}
        yield ",".join(ITEMS_HEADER[flavour]) + "\n"
        for item_id in sorted(self.item_ids):
            category = self.category_of[rank_of[item_id]]
            if flavour == "shop":
                price = SHOP_MEDIAN_PRICES[category] * rng.lognormvariate(0.0, 0.5)
                yield f"{item_id},{price:.2f},{SHOP_CATEGORIES[category]}\n"
            else:
                genres = [MOVIE_GENRES[category]]
                if rng.random() < P_SECOND_GENRE:
                    genres.append(MOVIE_GENRES[(category + 1 + rng.randrange(len(MOVIE_GENRES) - 1)) % 12])
                year = min(YEAR_MAX, int(rng.triangular(YEAR_MIN, YEAR_MAX + 1, YEAR_MODE)))
                yield f"{item_id},{'|'.join(genres)},{year}\n"

    def batch_user_lines(self) -> Iterator[str]:
        """Every 10th user as a batch inference input line (the service's JSON lines format)."""
        for user in self.users[::BATCH_USER_STEP]:
            yield f'{{"userId": "{user.user_id}"}}\n'

    def _side_rng(self, purpose: str) -> Random:
        """A generator of its own for event types or items: the main stream (and so the retail bytes)
        stays the same whatever the flavour draws."""
        return Random(f"{self.config.seed}:{purpose}")

    def files(self) -> list[tuple[Path, Iterator[str]]]:
        """Relative path and line stream of each output file of the flavour."""
        flavour = self.config.flavour
        files = [] if flavour == "movies" else [(USERS_PATH, self.user_lines())]
        files.append((INTERACTIONS_PATH, self.interaction_lines()))
        if flavour != "retail":
            files.append((ITEMS_PATH, self.item_lines()))
        if flavour == "shop":
            files.append((BATCH_USERS_PATH, self.batch_user_lines()))
        return files


def _cumulative(weights: Iterable[float]) -> list[float]:
    total, out = 0.0, []
    for weight in weights:
        total += weight
        out.append(total)
    return out


def _pick(rng: Random, cum: list[float]) -> int:
    """Index drawn with probability proportional to its weight (what ``choices`` does, minus a list)."""
    return min(bisect.bisect_right(cum, rng.random() * cum[-1]), len(cum) - 1)


def _apportion(total: int, weights: list[float]) -> list[int]:
    """Split ``total`` in proportion to ``weights`` exactly, by largest remainder (ties to lower index)."""
    scale = total / math.fsum(weights)
    shares = [weight * scale for weight in weights]
    counts = [int(share) for share in shares]
    by_remainder = sorted(range(len(weights)), key=lambda i: (counts[i] - shares[i], i))
    for i in by_remainder[: total - sum(counts)]:
        counts[i] += 1
    return counts


def _chunks(lines: Iterable[str]) -> Iterator[bytes]:
    batch: list[str] = []
    for line in lines:
        batch.append(line)
        if len(batch) >= CHUNK_LINES:
            yield "".join(batch).encode("utf-8")
            batch.clear()
    if batch:
        yield "".join(batch).encode("utf-8")


def write(config: Config, out: Path) -> dict[Path, int]:
    """Write both files under ``out``; returns the byte size of each, by relative path."""
    sizes = {}
    for relative, lines in Model(config).files():
        path = out / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        size = 0
        with open(path, "wb") as handle:
            for chunk in _chunks(lines):
                handle.write(chunk)
                size += len(chunk)
        sizes[relative] = size
    return sizes


def digests(config: Config) -> dict[Path, str]:
    """SHA-256 of each file as the generator would write it, computed in memory chunk by chunk."""
    result = {}
    for relative, lines in Model(config).files():
        digest = hashlib.sha256()
        for chunk in _chunks(lines):
            digest.update(chunk)
        result[relative] = digest.hexdigest()
    return result


def check(config: Config, out: Path) -> list[Path]:
    """Relative paths whose file under ``out`` is missing or differs from the generator's output."""
    stale = []
    for relative, expected in digests(config).items():
        path = out / relative
        if not path.is_file():
            stale.append(relative)
            continue
        digest = hashlib.sha256()
        with open(path, "rb") as handle:
            for block in iter(functools.partial(handle.read, 1 << 20), b""):
                digest.update(block)
        if digest.hexdigest() != expected:
            stale.append(relative)
    return stale


def parse_args(argv: list[str] | None = None) -> tuple[Config, Path, bool]:
    default = Config()
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--users", type=int, default=default.users, help="number of users (%(default)s)")
    parser.add_argument("--items", type=int, default=default.items, help="number of items (%(default)s)")
    parser.add_argument("--interactions", type=int, default=default.interactions, help="number of rows (%(default)s)")
    parser.add_argument("--seed", type=int, default=default.seed, help="random seed (%(default)s)")
    parser.add_argument(
        "--flavour", choices=FLAVOURS, default=default.flavour, help="which data set to write (%(default)s)"
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=Path(__file__).resolve().parent / "data",
        help="output folder (default: example/data next to this script)",
    )
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 if the files under --out differ")
    args = parser.parse_args(argv)
    config = Config(
        users=args.users, items=args.items, interactions=args.interactions, seed=args.seed, flavour=args.flavour
    )
    try:
        config.validate()
    except ValueError as error:
        parser.error(str(error))
    return config, args.out, args.check


def main(argv: list[str] | None = None) -> int:
    config, out, check_only = parse_args(argv)
    if check_only:
        stale = check(config, out)
        for relative in stale:
            print(f"stale: {out / relative} differs from generate_data.py output", file=sys.stderr)
        if not stale:
            print(f"up to date: {out}")
        return 1 if stale else 0
    for problem in config.below_training_minimums():
        print(f"warning: Personalize will not train on this data: {problem}", file=sys.stderr)
    for relative, size in write(config, out).items():
        print(f"wrote {out / relative} ({size} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
