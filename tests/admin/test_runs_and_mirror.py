"""Poll runs speak plain words; what was mirrored from Spectrum cannot be edited here, by anyone."""

from __future__ import annotations

from django.urls import reverse

from spectrum_sync.models import MirrorRecord, ObjectType, SyncRun
from tests.admin.world import World, client_for


def test_a_run_page_shows_no_fencing_token_to_anyone(world: World) -> None:
    run = SyncRun.objects.filter(tenant=world.acme).get()
    run.fencing_token = 987654
    run.save()
    for user in (world.superuser, world.staff, world.manager):
        body = client_for(user).get(reverse("admin:spectrum_sync_syncrun_change", args=[run.pk])).content.decode()
        assert "Customer" in body, user
        assert "encing" not in body and "987654" not in body, user


def test_the_run_list_reads_its_counts_as_a_sentence(world: World) -> None:
    SyncRun.objects.create(
        tenant=world.acme,
        object_type=ObjectType.VENDOR,
        status=SyncRun.Status.FAILED,
        duration_ms=128_400,
        read_count=1_200,
        created_count=3,
        unchanged_count=1_197,
        error="The platform answered 503",
    )
    body = client_for(world.staff).get(reverse("admin:spectrum_sync_syncrun_changelist")).content.decode()
    assert "1,200 read: 3 new, 1,197 unchanged" in body
    assert "2 min 8 s" in body
    assert "The platform answered 503" in body


def test_mirrored_spectrum_data_is_read_only_even_for_a_superuser(world: World) -> None:
    mirror = MirrorRecord.objects.get(key="ACMECUST")
    client = client_for(world.superuser)
    change = reverse("admin:spectrum_sync_mirrorrecord_change", args=[mirror.pk])

    page = client.get(change).content.decode()
    assert "ACMECUST" in page
    assert 'name="key"' not in page and 'name="_save"' not in page

    assert client.post(change, {"key": "HACKED", "row_hash": "x"}).status_code == 403
    assert client.get(reverse("admin:spectrum_sync_mirrorrecord_add")).status_code == 403
    assert (
        client.post(reverse("admin:spectrum_sync_mirrorrecord_delete", args=[mirror.pk]), {"post": "yes"}).status_code
        == 403
    )
    listing = client.get(reverse("admin:spectrum_sync_mirrorrecord_changelist")).content.decode()
    assert "delete_selected" not in listing
    mirror.refresh_from_db()
    assert mirror.key == "ACMECUST"
