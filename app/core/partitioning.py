"""Where every table would live on a distributed PostgreSQL (Citus) partitioned by estate: docs/scaling.md,
"Partitioned by estate: when one PostgreSQL is not enough".

A declaration only: nothing reads it at run time. ``tests/core/test_estate_attribution.py`` holds it to the
schema (every table classified, each hop a real foreign key, only the foreign keys Citus accepts) and to the
data (every row of an estate's tables reaches exactly one estate by its path). A new table fails that test
until it is classified here.

- ``ByEstate``: distributed by ``estate_id``, co-located with every other such table. ``hops`` are the
  foreign keys that lead today from the table to a table with an ``estate_id``; a table with hops has no
  ``estate_id`` of its own yet and needs one (filled from its path) before it can be distributed.
- ``Reference``: replicated to every node. Small, or read alongside every estate, and rarely written.
- ``Coordinator``: a plain table on the coordinator. Per user or per process, never joined with an
  estate's rows.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Hop:
    column: str  # a column of the table we are at ...
    table: str  # ... holding the ``id`` of a row of this table


@dataclass(frozen=True)
class ByEstate:
    hops: tuple[Hop, ...] = ()
    column: str = "estate_id"  # on the table the hops end at: the estate's id
    foreign_key: bool = True  # whether ``column`` is a foreign key to estate.id
    city_wide_when_null: bool = False  # a row without an estate belongs to the city, not to a shard

    @property
    def needs_estate_column(self) -> bool:
        return bool(self.hops)


@dataclass(frozen=True)
class Reference:
    why: str


@dataclass(frozen=True)
class Coordinator:
    why: str


Placement = ByEstate | Reference | Coordinator

DIRECT = ByEstate()


def via(*steps: str) -> ByEstate:
    """``via("ballot_id", "ballot")``: the path column, table, column, table... to a table with estate_id."""
    pairs = zip(steps[::2], steps[1::2], strict=True)
    return ByEstate(hops=tuple(Hop(column, table) for column, table in pairs))


PLACEMENT: dict[str, Placement] = {
    # registry
    "street": Reference("a district's few streets: staff scopes, organisations and checklists name them"),
    "community": Reference("a few per street: estates and grids hang from them, staff scopes name them"),
    "estate": Reference("the key itself: a few thousand rows a city, found by name or short code from anywhere"),
    "grid": Reference("a community's, walked across the buildings of several estates"),
    "building": DIRECT,
    "entrance": via("building_id", "building"),
    "property_unit": DIRECT,
    "person": Reference("one owner may hold units in several estates; written by imports and corrections only"),
    "unit_occupant": via("unit_id", "property_unit"),
    "organization": Reference("a street's or the city's contractor serves projects of many estates"),
    "registry_import": DIRECT,
    # auth
    "app_user": Reference("named by a foreign key from nearly every table; one resident may live in two estates"),
    "role_assignment": Reference("read with its user on every request; scopes name streets, communities, projects"),
    "auth_session": Coordinator("a login, read with the user on every request; no estate"),
    "refresh_token": Coordinator("a login's rotation family; no estate"),
    # platform
    "audit_entry": ByEstate(foreign_key=False, city_wide_when_null=True),  # no key: the log outlives its objects
    "audit_head": Coordinator("one row per chain keyed by text; an estate's head needs an estate_id to move"),
    "idempotency_record": Coordinator("per user and key, taken before the request knows its estate"),
    "scheduled_job": Coordinator("one row per job: the workers' lease"),
    "throttle_counter": Coordinator("per account or source address"),
    "clock_offset": Coordinator("the demo clock's single row"),
    "wechat_access_token": Coordinator("the WeChat token cache of every process"),
    # files
    "file_blob": Reference("bytes live in S3; the row is written once per content, named by stored_file"),
    "stored_file": Reference("an upload, made before anything says which estate it is for; signatures name it"),
    "file_attachment": Coordinator("object_type and object_id name the object without a foreign key"),
    # notifications
    "notification_outbox": Coordinator("per user: the worker claims due rows of every estate at once"),
    "inbox_message": Coordinator("per user"),
    "template_subscription": Coordinator("per user"),
    # privacy
    "privacy_consent": Coordinator("per user"),
    "data_access": Coordinator("per viewer and subject, read by the subject across estates"),
    # projects
    "project": DIRECT,
    "project_organization": via("project_id", "project"),
    "project_event": via("project_id", "project"),
    "renovation_item": Reference("the national menu, seeded by a migration"),
    "project_item": via("project_id", "project"),
    "item_progress": via("project_item_id", "project_item", "project_id", "project"),
    # residency
    "unit_binding": via("unit_id", "property_unit"),
    "invite_code": via("unit_id", "property_unit"),
    "identity_check": via("binding_id", "unit_binding", "unit_id", "property_unit"),
    "correction_request": via("unit_id", "property_unit"),
    # questionnaires
    "questionnaire": DIRECT,
    "questionnaire_response": via("questionnaire_id", "questionnaire"),
    "questionnaire_answer": via("questionnaire_id", "questionnaire"),
    "questionnaire_export": via("questionnaire_id", "questionnaire"),
    # design plans
    "plan_version": DIRECT,
    "plan_opinion": via("plan_id", "plan_version"),
    "plan_view": via("plan_id", "plan_version"),
    # voting
    "ballot": DIRECT,
    "ballot_motion": via("ballot_id", "ballot"),
    "ballot_voter": via("ballot_id", "ballot"),
    "ballot_voter_person": via("ballot_id", "ballot"),
    "ballot_voter_unit": via("ballot_id", "ballot"),
    "ballot_cast": via("ballot_id", "ballot"),
    "ballot_choice": via("ballot_id", "ballot"),
    "ballot_result": via("ballot_id", "ballot"),
    "ballot_notice_delivery": via("ballot_id", "ballot"),
    "ballot_correction": via("ballot_id", "ballot"),
    "ballot_objection": via("ballot_id", "ballot"),
    "ballot_recount": via("ballot_id", "ballot"),
    # supervision
    "checklist_template": Reference("a street's checklists, read for every estate of the street"),
    "inspection": DIRECT,
    "rectification": DIRECT,
    "rectification_event": via("rectification_id", "rectification"),
    "feedback": DIRECT,
    # acceptance
    "acceptance": DIRECT,
    "acceptance_signature": via("acceptance_id", "acceptance"),
}


def by_estate() -> dict[str, ByEstate]:
    return {name: p for name, p in PLACEMENT.items() if isinstance(p, ByEstate)}


def needing_estate_column() -> list[str]:
    """The tables that reach their estate only through other tables: each needs an estate_id column."""
    return sorted(name for name, p in by_estate().items() if p.needs_estate_column)


def reference_tables() -> list[str]:
    return sorted(name for name, p in PLACEMENT.items() if isinstance(p, Reference))


def coordinator_tables() -> list[str]:
    return sorted(name for name, p in PLACEMENT.items() if isinstance(p, Coordinator))
