"""The cast as one PostgreSQL function: lock, checks and writes in a single round trip.

`operations.cast_ballot` runs the same steps as SQL Core statements on SQLite; on PostgreSQL it calls
this function instead, and so does the ballot API's lean endpoint (`ballot_api.py`). One round trip
instead of nine is what lets a 2-core machine take hundreds of ballots a second (README, "Vote").

The function checks everything before it writes anything, so a refusal changes nothing even in
autocommit mode. It answers one row: `outcome` is "ok" or the reason of the refusal, which the
Python side turns into the user's message (`operations.refusal`). The rule check mirrors
`budgets.ballot_check.summarise`; `tests/votes/test_cast_function.py` compares them on random ballots.

Migrations keep their own frozen copy of this text (migrations/versions/0002_cast_ballot_function.py);
a test checks that the migrated function is this one.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime

from limits import parse as parse_limit
from sqlalchemy import DDL, event

from participation.extensions import db, limiter
from participation.models import PHASE_ACTIONS, Action

FUNCTION_SQL = r"""
CREATE OR REPLACE FUNCTION cast_ballot(
    p_budget_id integer, p_voter_id integer, p_user_id integer,
    p_commune_slug text, p_process_slug text,
    p_projects integer[], p_points integer[],
    p_channel text, p_operator_id integer, p_receipt_hash text, p_now timestamp,
    p_vote_phase_kinds text[], p_rate_limit integer, p_rate_window_seconds integer)
RETURNS TABLE (outcome text, ballot_id integer, voter_id integer, detail integer,
               previous_channel text, previous_cast_at timestamp)
LANGUAGE plpgsql AS $fn$
#variable_conflict use_column
DECLARE
    b record;
    v record;
    c record;
    prev record;
    phase_kind text;
    district integer;
    new_id integer;
BEGIN
    -- 1. The voter lock: simultaneous submissions of one person run one after the other from here.
    IF p_voter_id IS NOT NULL THEN
        SELECT vt.id, vt.process_id, vt.district_id, TRUE AS confirmed INTO v
          FROM voters vt WHERE vt.id = p_voter_id FOR UPDATE;
    ELSE
        SELECT vt.id, vt.process_id, vt.district_id, u.confirmed_at IS NOT NULL AS confirmed INTO v
          FROM voters vt JOIN users u ON u.id = vt.user_id
         WHERE vt.user_id = p_user_id
           AND vt.process_id = (SELECT bu.process_id FROM budgets bu WHERE bu.id = p_budget_id)
           FOR UPDATE OF vt;
    END IF;

    -- 2. The budget, its process and settings, read after the lock.
    SELECT bu.id, bu.process_id, bu.district_id, bu.amount, bu.rule, bu.min_share_percent, bu.min_projects,
           bu.max_projects, bu.total_points, bu.max_points_per_project, pr.slug AS process_slug, pr.published,
           pr.active_phase_override_id AS override, co.slug AS commune_slug,
           coalesce(vs.scope, 'all') AS scope, coalesce(vs.ballot_final, FALSE) AS ballot_final
      INTO b
      FROM budgets bu JOIN processes pr ON pr.id = bu.process_id JOIN communes co ON co.id = pr.commune_id
      LEFT JOIN vote_settings vs ON vs.process_id = pr.id
     WHERE bu.id = p_budget_id;
    IF NOT FOUND OR (p_commune_slug IS NOT NULL AND (b.commune_slug <> p_commune_slug
                     OR b.process_slug <> p_process_slug OR NOT b.published)) THEN
        RETURN QUERY SELECT 'no_budget', NULL::integer, NULL::integer, NULL::integer, NULL::text, NULL::timestamp;
        RETURN;
    END IF;
    IF v.id IS NULL THEN
        RETURN QUERY SELECT CASE WHEN p_voter_id IS NULL THEN 'not_registered' ELSE 'no_voter' END,
                            NULL::integer, NULL::integer, NULL::integer, NULL::text, NULL::timestamp;
        RETURN;
    END IF;
    IF v.process_id <> b.process_id THEN
        RETURN QUERY SELECT 'no_voter', NULL::integer, v.id, NULL::integer, NULL::text, NULL::timestamp;
        RETURN;
    END IF;
    IF NOT v.confirmed THEN
        RETURN QUERY SELECT 'unconfirmed', NULL::integer, v.id, NULL::integer, NULL::text, NULL::timestamp;
        RETURN;
    END IF;

    -- 3. The phase window: the administrators' override, else the phase whose dates hold now.
    SELECT ph.kind INTO phase_kind FROM phases ph WHERE ph.process_id = b.process_id AND ph.id = b.override;
    IF NOT FOUND THEN
        SELECT ph.kind INTO phase_kind FROM phases ph
         WHERE ph.process_id = b.process_id AND ph.starts_at <= p_now AND p_now < ph.ends_at
         ORDER BY ph.position, ph.id LIMIT 1;
    END IF;
    IF phase_kind IS NULL OR NOT phase_kind = ANY (p_vote_phase_kinds) THEN
        RETURN QUERY SELECT 'closed', NULL::integer, v.id, NULL::integer, NULL::text, NULL::timestamp;
        RETURN;
    END IF;

    -- The per-account rate limit of online ballots, exact whatever the number of web servers.
    IF p_rate_limit IS NOT NULL AND p_channel = 'online' AND p_rate_limit <= (
            SELECT count(*) FROM ballots ba WHERE ba.voter_id = v.id
               AND ba.cast_at > p_now - make_interval(secs => p_rate_window_seconds)) THEN
        RETURN QUERY SELECT 'rate_limited', NULL::integer, v.id, NULL::integer, NULL::text, NULL::timestamp;
        RETURN;
    END IF;

    -- 4. The budget scope: a district budget is for that district's voters (chosen by the first ballot
    --    cast in one in a "city + one district" vote).
    district := v.district_id;
    IF b.district_id IS NOT NULL AND b.scope <> 'all' AND v.district_id IS DISTINCT FROM b.district_id THEN
        IF b.scope = 'city_plus_chosen_district' AND v.district_id IS NULL THEN
            district := b.district_id;
        ELSE
            RETURN QUERY SELECT 'scope', NULL::integer, v.id, v.district_id, NULL::text, NULL::timestamp;
            RETURN;
        END IF;
    END IF;

    -- 5. The budget's rule (budgets.ballot_check.summarise says the same in Python).
    SELECT count(*) AS chosen, count(DISTINCT ch.project_id) AS distinct_chosen, count(pj.id) AS found,
           coalesce(sum(pj.cost), 0) AS total_cost, coalesce(sum(ch.points), 0) AS points_used,
           coalesce(min(ch.points), 0) AS min_points, coalesce(max(ch.points), 0) AS max_points
      INTO c
      FROM unnest(p_projects, p_points) AS ch(project_id, points)
      LEFT JOIN projects pj ON pj.id = ch.project_id AND pj.budget_id = b.id AND NOT pj.withdrawn;
    IF c.chosen = 0 OR c.found < c.chosen OR c.distinct_chosen < c.chosen OR c.min_points < 1
       OR (b.rule = 'cumulative' AND (c.max_points > coalesce(b.max_points_per_project, 0)
                                      OR c.points_used > coalesce(b.total_points, 0)))
       OR (b.rule <> 'cumulative' AND (c.max_points <> 1
           OR (b.max_projects IS NOT NULL AND c.chosen > b.max_projects)
           OR (coalesce(b.min_projects, 0) > 0 AND c.chosen < b.min_projects)))
       OR (b.rule = 'approval' AND (c.total_cost > b.amount
           OR (coalesce(b.min_share_percent, 0) > 0
               AND c.total_cost < (b.amount::bigint * b.min_share_percent + 99) / 100))) THEN
        RETURN QUERY SELECT 'rule', NULL::integer, v.id, NULL::integer, NULL::text, NULL::timestamp;
        RETURN;
    END IF;

    -- 6. The current ballot: replaced when ballots can change; paper ballots are final both ways.
    SELECT ba.id, ba.channel, ba.cast_at INTO prev FROM ballots ba
     WHERE ba.voter_id = v.id AND ba.budget_id = b.id AND ba.is_current;
    IF FOUND AND (b.ballot_final OR p_channel = 'paper' OR prev.channel = 'paper') THEN
        RETURN QUERY SELECT 'already_voted', NULL::integer, v.id, NULL::integer, prev.channel::text, prev.cast_at;
        RETURN;
    END IF;

    -- 7. The writes, only now: nothing above changed anything.
    IF district IS DISTINCT FROM v.district_id THEN
        UPDATE voters SET district_id = district WHERE id = v.id;
    END IF;
    IF prev.id IS NOT NULL THEN
        UPDATE ballots SET is_current = FALSE WHERE id = prev.id;
    END IF;
    INSERT INTO ballots (voter_id, budget_id, is_current, channel, operator_id, receipt_hash, cast_at)
    VALUES (v.id, b.id, TRUE, p_channel, p_operator_id, p_receipt_hash, p_now) RETURNING id INTO new_id;
    INSERT INTO ballot_choices (ballot_id, project_id, points)
    SELECT new_id, ch.project_id, ch.points FROM unnest(p_projects, p_points) AS ch(project_id, points);
    IF prev.id IS NOT NULL THEN  -- the old ballot keeps its choices; it points to the one that replaced it
        UPDATE ballots SET superseded_by_id = new_id WHERE id = prev.id;
    END IF;
    RETURN QUERY SELECT 'ok', new_id, v.id, district, prev.channel::text, prev.cast_at;
END
$fn$
"""

DROP_SQL = "DROP FUNCTION IF EXISTS cast_ballot(integer, integer, integer, text, text, integer[], integer[], " \
           "text, integer, text, timestamp, text[], integer, integer)"

INT_MAX = 2 ** 31 - 1  # PostgreSQL's integer: project ids and points beyond it cannot be on a ballot


def fits(choices: dict[int, int]) -> bool:
    return all(-INT_MAX <= n <= INT_MAX for pair in choices.items() for n in pair)


# The phase kinds in which voting is allowed, from the one table that says so.
VOTE_PHASE_KINDS = sorted(kind.name for kind, actions in PHASE_ACTIONS.items() if Action.vote in actions)

# The arrays go as text literals: cheaper to send than lists for the driver to adapt element by element.
CALL_SQL = ("SELECT outcome, ballot_id, voter_id, detail, previous_channel, previous_cast_at FROM cast_ballot("
            "%s, %s, %s, %s, %s, %s::integer[], %s::integer[], %s, %s, %s, %s, %s::text[], %s, %s)")
_KINDS_LITERAL = "{" + ",".join(VOTE_PHASE_KINDS) + "}"


@dataclass(frozen=True)
class CastRequest:
    """One ballot to record: who (a voter by id, or an account's voter), where, what, and the cast's own
    facts (receipt hash, time, rate limit). Both ways of casting take it (operations.py, ballot_api.py)."""
    budget_id: int
    choices: dict[int, int]  # project id -> points (1 for approval)
    channel: str  # "online" or "paper"
    receipt_hash: str
    now: datetime
    voter_id: int | None = None
    user_id: int | None = None
    operator_id: int | None = None
    commune_slug: str | None = None  # with process_slug: the API's URL, which the budget must match
    process_slug: str | None = None
    rate: tuple[int, int] | None = None  # at most so many online ballots per voter in so many seconds

    def arguments(self) -> tuple:
        """The positional arguments of CALL_SQL (a DB-API cursor's `execute(CALL_SQL, args)`)."""
        projects = sorted(self.choices)
        return (self.budget_id, self.voter_id, self.user_id, self.commune_slug, self.process_slug,
                "{" + ",".join(str(int(p)) for p in projects) + "}",
                "{" + ",".join(str(int(self.choices[p])) for p in projects) + "}",
                self.channel, self.operator_id, self.receipt_hash, self.now, _KINDS_LITERAL,
                *(self.rate or (None, None)))


@functools.lru_cache(maxsize=8)
def _parse(text: str):
    return parse_limit(text)


def ballot_limit(config):
    """BALLOT_RATE_LIMIT ("30 per minute") as a `limits` item, parsed once; the limiter counts with it the
    submissions that reach Flask."""
    return _parse(config["BALLOT_RATE_LIMIT"])


def ballot_rate(config) -> tuple[int, int] | None:
    """The same limit as (ballots, seconds) for the cast itself, or None when rate limits are off."""
    if not limiter.enabled:
        return None
    item = ballot_limit(config)
    return item.amount, item.get_expiry()


# `create_all` (tests, benchmarks) creates the function too; deployments get it from the migration.
event.listen(db.metadata, "after_create", DDL(FUNCTION_SQL).execute_if(dialect="postgresql"))
event.listen(db.metadata, "before_drop", DDL(DROP_SQL).execute_if(dialect="postgresql"))
