"""Receive the platform's directory, propose links, record each decision, deliver confirmed links.

A decision changes one link's status and writes one ``LinkEvent``; ``undo`` puts back the status
the last event changed. A link that becomes confirmed is delivered to the platform after the
decision commits: an upsert to the platform resource of its type, keyed by the Spectrum key and
carrying the platform's own id, so the platform's existing record gains the Spectrum key (and
Spectrum's current values) instead of a second record being made.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, fields
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from connectors.platform.errors import PlatformError
from linking.matching import MirrorIndex, Side
from linking.models import DirectoryEntry, LinkEvent, LinkStatus, RecordLink
from spectrum_sync import connections
from spectrum_sync.imports.declarations import get as import_declaration
from spectrum_sync.imports.runs import describe_delivery_error
from spectrum_sync.models import MirrorRecord, Tenant

Action = LinkEvent.Action

# What each decision may start from, and the status it leaves.
MOVES: dict[str, tuple[frozenset[str], str]] = {
    Action.CONFIRMED: (frozenset({LinkStatus.PROPOSED, LinkStatus.REJECTED}), LinkStatus.CONFIRMED),
    Action.REJECTED: (frozenset({LinkStatus.PROPOSED}), LinkStatus.REJECTED),
    Action.UNLINKED: (frozenset({LinkStatus.CONFIRMED}), LinkStatus.UNLINKED),
    Action.RELINKED: (frozenset({LinkStatus.UNLINKED}), LinkStatus.CONFIRMED),
}


class LinkRefused(Exception):
    """A decision that cannot be made, said in plain words."""


@dataclass(frozen=True)
class Received:
    stored: int
    proposed: int


# --- the platform's directory and the proposals ---------------------------------------------------


def receive_directory(tenant: Tenant, object_type: str, records: Sequence[Mapping[str, Any]]) -> Received:
    """Store the platform's records of one type (latest wins) and propose links for them."""
    now = timezone.now()
    with transaction.atomic():
        for record in records:
            DirectoryEntry.objects.update_or_create(
                tenant=tenant,
                object_type=object_type,
                platform_id=record["platform_id"],
                defaults={
                    "name": record["name"],
                    "code": record.get("code") or "",
                    "address": dict(record.get("address") or {}),
                    "phone": record.get("phone") or "",
                    "tax_id": record.get("tax_id") or "",
                    "received_at": now,
                },
            )
        proposed = propose(tenant, object_type, [str(r["platform_id"]) for r in records])
    return Received(stored=len(records), proposed=proposed)


def mirror_index(tenant: Tenant, object_type: str) -> MirrorIndex:
    rows = MirrorRecord.objects.filter(tenant=tenant, object_type=object_type, deleted_at__isnull=True).values_list(
        "key", "data"
    )
    return MirrorIndex.build(object_type, rows.iterator(chunk_size=2000))


def propose(tenant: Tenant, object_type: str, platform_ids: Iterable[str] | None = None) -> int:
    """Propose (or re-score) links for these directory records; decided links are left as they are."""
    entries = DirectoryEntry.objects.filter(tenant=tenant, object_type=object_type)
    if platform_ids is not None:
        entries = entries.filter(platform_id__in=list(platform_ids))
    index = mirror_index(tenant, object_type)
    count = 0
    for entry in entries:
        side = Side.of_platform(entry.platform_id, _as_record(entry))
        for match in index.matches(side):
            count += _propose_one(tenant, object_type, entry, match.spectrum_key, match.score, match.reason, index)
    return count


def _as_record(entry: DirectoryEntry) -> dict[str, Any]:
    return {
        "name": entry.name,
        "code": entry.code,
        "address": entry.address,
        "phone": entry.phone,
        "tax_id": entry.tax_id,
    }


def _propose_one(
    tenant: Tenant, object_type: str, entry: DirectoryEntry, key: str, score: int, reason: str, index: MirrorIndex
) -> int:
    link, created = RecordLink.objects.get_or_create(
        tenant=tenant,
        object_type=object_type,
        platform_id=entry.platform_id,
        spectrum_key=key,
        defaults={"score": score, "reason": reason},
    )
    names = {"platform_name": entry.name[:200], "spectrum_name": index.sides[key].shown_name[:200]}
    if created:
        RecordLink.objects.filter(pk=link.pk).update(**names)
        LinkEvent.objects.create(link=link, action=Action.PROPOSED, to_status=LinkStatus.PROPOSED, note=reason)
        return 1
    if link.status == LinkStatus.PROPOSED:
        RecordLink.objects.filter(pk=link.pk).update(score=score, reason=reason, **names)
    return 0


# --- decisions ------------------------------------------------------------------------------------


def decide(link: RecordLink, action: str, user: Any, note: str = "", *, tell: bool = True) -> RecordLink:
    """Confirm, reject, unlink or relink one link; a link that becomes confirmed is delivered
    (after the decision commits; ``tell=False`` leaves that to the caller)."""
    allowed, to_status = MOVES[action]
    if link.status not in allowed:
        raise LinkRefused(
            f"{link} is {link.get_status_display().lower()}; it cannot be {Action(action).label.lower()}."
        )
    return _move(link, action, to_status, user, note, tell=tell)


def decide_many(links: Iterable[RecordLink], action: str, user: Any, note: str = "") -> tuple[int, list[str]]:
    """The same decision for several links, the confirmed ones delivered together; what was refused, why."""
    done: list[int] = []
    refused: list[str] = []
    for link in links:
        try:
            decide(link, action, user, note, tell=False)
        except LinkRefused as exc:
            refused.append(str(exc))
            continue
        done.append(link.pk)
    if done and MOVES[action][1] == LinkStatus.CONFIRMED:
        transaction.on_commit(lambda: deliver(done))
    return len(done), refused


def undo(link: RecordLink, user: Any) -> RecordLink:
    """Put back the status the link's last event changed (an unlink undone is confirmed again)."""
    last = link.events.exclude(action=Action.PROPOSED).first()
    if last is None or not last.from_status:
        raise LinkRefused(f"{link} has no decision to undo.")
    return _move(link, Action.UNDONE, last.from_status, user, f"Undid: {last.get_action_display().lower()}")


def _move(link: RecordLink, action: str, to_status: str, user: Any, note: str, *, tell: bool = True) -> RecordLink:
    if to_status == LinkStatus.CONFIRMED:
        _refuse_a_second_link(link)
    now = timezone.now()
    with transaction.atomic():
        from_status = link.status
        link.status, link.decided_by, link.decided_at = to_status, user, now
        link.save(update_fields=["status", "decided_by", "decided_at"])
        LinkEvent.objects.create(
            link=link, action=action, from_status=from_status, to_status=to_status, by=user, at=now, note=note[:200]
        )
        if tell and to_status == LinkStatus.CONFIRMED:
            transaction.on_commit(lambda: deliver([link.pk]))
    return link


def _refuse_a_second_link(link: RecordLink) -> None:
    other = (
        RecordLink.objects.filter(tenant_id=link.tenant_id, object_type=link.object_type, status=LinkStatus.CONFIRMED)
        .filter(Q(platform_id=link.platform_id) | Q(spectrum_key=link.spectrum_key))
        .exclude(pk=link.pk)
        .first()
    )
    if other is not None:
        raise LinkRefused(f"{other} is already linked; unlink it first.")


def bulk_confirm(links: Iterable[RecordLink], min_score: int, user: Any) -> tuple[int, list[str]]:
    """Confirm every proposal scoring at least ``min_score`` that no other proposal for the same
    platform or Spectrum record equals or beats; say why each other one was left."""
    candidates = [link for link in links if link.status == LinkStatus.PROPOSED and link.score >= min_score]
    rivals: dict[tuple[str, str], list[RecordLink]] = defaultdict(list)
    for link in candidates:
        rivals[("platform", link.platform_id)].append(link)
        rivals[("spectrum", link.spectrum_key)].append(link)
    clear, left = [], []
    for link in candidates:
        others = rivals[("platform", link.platform_id)] + rivals[("spectrum", link.spectrum_key)]
        if any(other.pk != link.pk and other.score >= link.score for other in others):
            left.append(f"{link}: another proposal scores as high; decide it by hand.")
        else:
            clear.append(link)
    done, refused = decide_many(clear, Action.CONFIRMED, user, f"Bulk-confirmed at a score of {min_score} or more")
    return done, left + refused


# --- delivering links to the platform -------------------------------------------------------------


def link_item(link: RecordLink, mirror: MirrorRecord | None) -> dict[str, Any]:
    """The upsert that gives the platform's record its Spectrum key and Spectrum's values."""
    declaration = import_declaration(link.object_type)
    if mirror is not None:
        names = {f.name for f in fields(declaration.record_type)}
        values = {"company_code": link.spectrum_key.partition("|")[0], **(mirror.data or {})}
        record = declaration.record_type(**{k: v for k, v in values.items() if k in names})
        data = declaration.to_item_data(record)
    else:  # the Spectrum record vanished since: the key alone still links the two
        company, _, code = link.spectrum_key.partition("|")
        data = {"company": company, "code": code}
    return {"action": "upsert", "key": link.spectrum_key, "platform_id": link.platform_id, "data": data}


def deliver(link_ids: Sequence[int]) -> int:
    """Deliver these links (those still confirmed) to the platform; returns how many it accepted."""
    links = list(RecordLink.objects.filter(pk__in=link_ids, status=LinkStatus.CONFIRMED).select_related("tenant"))
    groups: dict[tuple[int, str], list[RecordLink]] = defaultdict(list)
    for link in links:
        groups[(link.tenant_id, link.object_type)].append(link)
    return sum(_deliver_group(group) for group in groups.values())


def _deliver_group(links: list[RecordLink]) -> int:
    tenant, object_type = links[0].tenant, links[0].object_type
    mirrors = {
        m.key: m
        for m in MirrorRecord.objects.filter(
            tenant=tenant, object_type=object_type, key__in=[link.spectrum_key for link in links]
        )
    }
    items = [link_item(link, mirrors.get(link.spectrum_key)) for link in links]
    last_event = LinkEvent.objects.filter(link__in=links).order_by("-pk").values_list("pk", flat=True).first()
    delivery_id = f"{tenant.slug}.links.{object_type}.{last_event}"
    ids = [link.pk for link in links]
    client = connections.platform_client(tenant)
    try:
        client.deliver(import_declaration(object_type).resource, items, delivery_id=delivery_id)
    except PlatformError as exc:
        RecordLink.objects.filter(pk__in=ids).update(delivery_error=describe_delivery_error(exc))
        return 0
    finally:
        client.close()
    RecordLink.objects.filter(pk__in=ids).update(delivered_at=timezone.now(), delivery_error="")
    return len(ids)
