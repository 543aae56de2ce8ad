"""MEF 124 incidents, Seller side: announced by the Seller, listed and read by the buyers they concern, on the
interface their products live on, with incident events through the outbox (one per affected buyer)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from counterpoint.bootstrap import Container
from counterpoint.core.incident import services
from counterpoint.core.incident.model import DEFAULT_ESTIMATE, Impact, IncidentType, Notice
from counterpoint.core.shared.clock import ManualClock
from counterpoint.core.shared.errors import Invalid, NotFound
from counterpoint.notifications.relay import OutboxRelay
from counterpoint.profiles.loader import ProfileError, load_profile
from counterpoint.settings import DEMO_PROFILE
from counterpoint.workers.incident import IncidentWorker
from tests.builders import ael_config
from tests.helpers import BUYER_A, BUYER_B, ListenerRecorder, assert_mef_event, assert_mef_response

SONATA = "/mefApi/sonata/troubleTicket/v4"
CANTATA = "/mefApi/cantata/troubleTicket/v4"
BASES = {"sonata": SONATA, "cantata": CANTATA}
NOTIFY = "troubleTicketNotification"
START = datetime(2026, 1, 10, 18, 0, tzinfo=UTC)  # the test clock starts on 2026-01-05 09:00
END = START + timedelta(hours=4)


def _product(pid: str, buyer: str, address: str, *, interface: str = "sonata", offering: str = "ael-sg",
             status: str = "active") -> dict[str, Any]:
    return {"id": pid, "buyer": buyer, "offering": offering, "interface": interface, "status": status,
            "configuration": {k: v for k, v in ael_config(cir_mbps=100).items() if k != "@type"},
            "places": [{"address": address}], "startDate": "2025-06-01T00:00:00Z"}


def profile_doc() -> dict[str, Any]:
    doc = yaml.safe_load(DEMO_PROFILE.read_text())
    doc["inventory"] = [
        _product("prod-a-sg", "buyer-a", "addr-sg-raffles"),
        _product("prod-a-cantata", "buyer-a", "addr-sg-changi", interface="cantata"),
        _product("prod-a-jkt", "buyer-a", "addr-jkt-sudirman"),
        _product("prod-b-sg", "buyer-b", "addr-sg-jurong"),
        _product("prod-b-jkt", "buyer-b", "addr-jkt-kuningan", offering="uni-sg"),
        _product("prod-a-gone", "buyer-a", "addr-sg-raffles", status="terminated"),
    ]
    doc["maintenance"] = [{"id": "mw-profile", "start": "2026-02-01T01:00:00Z", "end": "2026-02-01T03:00:00Z",
                           "products": ["prod-b-jkt"], "impact": "degraded",
                           "description": "Jakarta PoP power works"}]
    return doc


@pytest.fixture
def profile(tmp_path: Path):  # type: ignore[no-untyped-def]
    path = tmp_path / "incidents.yaml"
    path.write_text(yaml.safe_dump(profile_doc()))
    return load_profile(path)


def maintenance(notice_id: str = "mw-1", *, start: datetime = START, end: datetime | None = END,
                description: str = "Fibre splicing on the Raffles ring", **extra: Any) -> Notice:
    return Notice(notice_id=notice_id, incident_type=IncidentType.MAINTENANCE, impact=Impact.DOWN, start=start,
                  end=end, description=description, closes_at_end=True, **extra)


def impairment(notice_id: str, start: datetime, *, impact: Impact = Impact.DEGRADED) -> Notice:
    return Notice(notice_id=notice_id, incident_type=IncidentType.REPAIR, impact=impact, start=start, end=None,
                  description="Packet loss on the Jakarta uplink", closes_at_end=False, severity="extensive",
                  priority="critical")


async def announce(c: Container, notice: Notice, **targets: tuple[str, ...]) -> services.Announced:
    return await services.announce(c.uow(), c.clock, c.profile, notice, services.Targets(**targets))


async def listen(client: httpx.AsyncClient) -> None:
    for headers, base, url in ((BUYER_A, SONATA, "http://a.example"), (BUYER_A, CANTATA, "http://a-cantata.example"),
                               (BUYER_B, SONATA, "http://b.example")):
        r = await client.post(f"{base}/hub", headers=headers, json={"callback": url})
        assert_mef_response(r, "troubleTicket", "/hub", "post", base.split("/")[2])
        assert r.status_code == 201


def events_of(recorder: ListenerRecorder, incidents: list[Any]) -> list[Any]:
    """What the listeners received about these incidents (the profile's own window is announced on start)."""
    ids = {i.id for i in incidents}
    return [d for d in recorder.received if d.body["event"]["id"] in ids]


async def get(client: httpx.AsyncClient, channel: str, incident_id: str, headers: dict[str, str] = BUYER_A
              ) -> httpx.Response:
    r = await client.get(f"{BASES[channel]}/incident/{incident_id}", headers=headers)
    assert_mef_response(r, "troubleTicket", "/incident/{id}", "get", channel)
    return r


async def listing(client: httpx.AsyncClient, channel: str = "sonata", headers: dict[str, str] = BUYER_A,
                  **params: Any) -> httpx.Response:
    r = await client.get(f"{BASES[channel]}/incident", headers=headers, params=params)
    assert_mef_response(r, "troubleTicket", "/incident", "get", channel)
    return r


async def test_a_maintenance_window_reaches_each_affected_buyer_on_its_own_interface(
        client: httpx.AsyncClient, container: Container, relay: OutboxRelay, recorder: ListenerRecorder) -> None:
    await listen(client)
    out = await announce(container, maintenance(), area_ids=("sg-metro",))
    by_owner = {(i.buyer_id, i.channel): i for i in out.incidents}
    assert sorted(by_owner) == [("buyer-a", "cantata"), ("buyer-a", "sonata"), ("buyer-b", "sonata")]
    assert by_owner[("buyer-a", "sonata")].product_ids == ["prod-a-sg"]  # not the terminated one
    assert by_owner[("buyer-b", "sonata")].product_ids == ["prod-b-sg"]
    await relay.drain()
    created = events_of(recorder, out.incidents)
    assert len(created) == 3  # one per affected buyer and interface, each to its own listener only
    for (buyer, channel), incident in by_owner.items():
        (event,) = [d for d in created if d.body["event"]["id"] == incident.id]
        assert_mef_event(event.body, NOTIFY, "incidentCreateEvent", channel)
        host = {"buyer-a": "a", "buyer-b": "b"}[buyer] + ("-cantata" if channel == "cantata" else "")
        assert event.url == (f"http://{host}.example/mefApi/{channel}/troubleTicketNotification/v4/listener/"
                             "incidentCreateEvent")
        assert event.body["event"]["href"] == f"http://seller.test{BASES[channel]}/incident/{incident.id}"
        assert event.body["event"]["buyerId"] == buyer
        r = await get(client, channel, incident.id, BUYER_A if buyer == "buyer-a" else BUYER_B)
        assert r.status_code == 200
        doc = r.json()
        assert doc["href"] == event.body["event"]["href"]
        assert (doc["status"], doc["incidentType"], doc["impact"]) == ("created", "maintenance", "down")
        assert (doc["priority"], doc["severity"]) == ("high", "significant")  # graded from the impact
        assert doc["situationStartDate"] == "2026-01-10T18:00:00Z"
        assert doc["expectedClosedDate"] == "2026-01-10T22:00:00Z"
        assert [c["role"] for c in doc["relatedContactInformation"]] == ["incidentContact"]  # R51
        assert [e["id"] for e in doc["relatedEntity"]] == incident.product_ids
        assert all(e["@referredType"] == "Product" for e in doc["relatedEntity"])
        inventory = {"sonata": "productInventory/v7", "cantata": "productInventory/v1"}[channel]
        assert [e["href"] for e in doc["relatedEntity"]] == [  # the product, where this buyer can read it
            f"http://seller.test/mefApi/{channel}/{inventory}/product/{p}" for p in incident.product_ids]
        r = await client.get(doc["relatedEntity"][0]["href"].removeprefix("http://seller.test"),
                             headers=BUYER_A if buyer == "buyer-a" else BUYER_B)
        assert assert_mef_response(r, "productInventory", "/product/{id}", "get", channel)["id"] == \
            incident.product_ids[0]
    # announcing the same notice again changes nothing and notifies nobody
    again = await announce(container, maintenance(), area_ids=("sg-metro",))
    assert again.already and sorted(i.id for i in again.incidents) == sorted(i.id for i in out.incidents)
    await relay.drain()
    assert len(events_of(recorder, out.incidents)) == 3


async def test_a_buyer_never_sees_another_buyers_incident_nor_one_of_another_interface(
        client: httpx.AsyncClient, container: Container) -> None:
    out = await announce(container, maintenance(), product_ids=("prod-a-sg", "prod-b-sg", "prod-a-cantata"))
    mine = {(i.buyer_id, i.channel): i.id for i in out.incidents}
    a_sonata, b_sonata, a_cantata = mine[("buyer-a", "sonata")], mine[("buyer-b", "sonata")], \
        mine[("buyer-a", "cantata")]
    r = await get(client, "sonata", a_sonata, BUYER_B)
    assert r.status_code == 404 and r.json()["code"] == "notFound"
    r = await get(client, "cantata", a_sonata, BUYER_A)  # a Sonata incident does not exist on Cantata
    assert r.status_code == 404
    r = await get(client, "sonata", a_cantata, BUYER_A)
    assert r.status_code == 404
    r = await listing(client, "sonata", BUYER_B)
    assert b_sonata in [i["id"] for i in r.json()] and a_sonata not in [i["id"] for i in r.json()]
    # buyer A's products are never named to buyer B (its other incident is the profile's window)
    assert {e["id"] for i in r.json() for e in i["relatedEntity"]} == {"prod-b-sg", "prod-b-jkt"}
    r = await listing(client, "sonata", BUYER_B, relatedEntityId="prod-a-sg")
    assert r.json() == [] and r.headers["X-Total-Count"] == "0"  # R49: an empty list, not an error
    r = await listing(client, "cantata", BUYER_A)
    assert [i["id"] for i in r.json()] == [a_cantata]
    r = await get(client, "sonata", "no-such-incident")
    assert r.status_code == 404  # R50


async def test_the_worker_starts_and_ends_a_window_on_its_dates(
        client: httpx.AsyncClient, container: Container, clock: ManualClock, relay: OutboxRelay,
        recorder: ListenerRecorder) -> None:
    await listen(client)
    (incident,) = (await announce(container, maintenance(), product_ids=("prod-a-sg",))).incidents
    worker = IncidentWorker(container)
    assert await worker.run_once() == 0  # before the window nothing moves
    clock.set(START)
    assert await worker.run_once() == 1
    doc = (await get(client, "sonata", incident.id)).json()
    assert doc["status"] == "inProgress" and doc["expectedClosedDate"] == "2026-01-10T22:00:00Z"  # R70
    clock.set(END + timedelta(minutes=1))
    assert await worker.run_once() == 1
    assert await worker.run_once() == 0
    doc = (await get(client, "sonata", incident.id)).json()
    assert doc["status"] == "closed" and doc["closedDate"] == "2026-01-10T22:01:00Z"  # R53
    assert [s["status"] for s in doc["statusChange"]] == ["created", "inProgress", "closed"]
    r = await listing(client, status="closed")
    assert r.json()[0]["closedDate"] == "2026-01-10T22:01:00Z"
    await relay.drain()
    events = [d.body for d in events_of(recorder, [incident])]
    assert [e["eventType"] for e in events] == ["incidentCreateEvent", "incidentStatusChangeEvent",
                                                "incidentStatusChangeEvent"]
    for e in events:
        assert_mef_event(e, NOTIFY, e["eventType"], "sonata")
        assert e["event"]["id"] == incident.id


async def test_an_impairment_is_in_progress_at_once_stays_open_until_closed_and_revisions_are_notified(
        client: httpx.AsyncClient, container: Container, clock: ManualClock, relay: OutboxRelay,
        recorder: ListenerRecorder) -> None:
    await listen(client)
    now = clock.now()
    (incident,) = (await announce(container, impairment("imp-1", now), product_ids=("prod-a-cantata",))).incidents
    doc = (await get(client, "cantata", incident.id)).json()
    assert doc["status"] == "inProgress"
    assert doc["expectedClosedDate"] == (now + DEFAULT_ESTIMATE).isoformat().replace("+00:00", "Z")
    assert (doc["priority"], doc["severity"], doc["incidentType"]) == ("critical", "extensive", "repair")
    clock.advance(DEFAULT_ESTIMATE * 2)
    assert await IncidentWorker(container).run_once() == 0  # past its estimate, but only a person closes it
    later = clock.now() + timedelta(hours=2)
    await services.revise(container.uow(), clock, "imp-1", end=later, note="Spare card on its way")
    doc = (await get(client, "cantata", incident.id)).json()
    assert doc["expectedClosedDate"] == later.isoformat().replace("+00:00", "Z")
    assert doc["note"][0]["text"] == "Spare card on its way" and doc["note"][0]["source"] == "seller"
    with pytest.raises(Invalid):
        await services.revise(container.uow(), clock, incident.id, end=now - timedelta(hours=1))
    await services.close(container.uow(), clock, incident.id, reason="card replaced")
    doc = (await get(client, "cantata", incident.id)).json()
    assert doc["status"] == "closed" and doc["statusChange"][-1]["changeReason"] == "card replaced"
    await services.revise(container.uow(), clock, incident.id, note="too late")  # closed: no change, no event
    await relay.drain()
    types = [d.body["eventType"] for d in events_of(recorder, [incident])]
    assert types == ["incidentCreateEvent", "incidentStatusChangeEvent", "incidentAttributeValueChangeEvent",
                     "incidentStatusChangeEvent"]
    for d in events_of(recorder, [incident]):
        assert_mef_event(d.body, NOTIFY, d.body["eventType"], "cantata")
        assert d.url.startswith("http://a-cantata.example/mefApi/cantata/")


async def test_announcements_that_cannot_be_made_are_refused(container: Container) -> None:
    with pytest.raises(Invalid):
        await announce(container, maintenance(end=None), product_ids=("prod-a-sg",))
    with pytest.raises(Invalid):
        await announce(container, maintenance(end=START - timedelta(hours=1)), product_ids=("prod-a-sg",))
    with pytest.raises(Invalid):
        await announce(container, maintenance())  # no target
    with pytest.raises(NotFound):
        await announce(container, maintenance(), product_ids=("prod-a-gone", "no-such-product"))
    with pytest.raises(NotFound):
        await services.close(container.uow(), container.clock, "no-such-incident")


async def test_every_list_filter_and_paging(client: httpx.AsyncClient, container: Container,
                                            clock: ManualClock) -> None:
    first = (await announce(container, maintenance("mw-a"), product_ids=("prod-a-sg",))).incidents[0]
    clock.advance(timedelta(hours=1))
    second = (await announce(container, impairment("imp-a", clock.now()), product_ids=("prod-a-jkt",)))\
        .incidents[0]
    clock.advance(timedelta(hours=1))
    third = (await announce(container, maintenance("mw-b", start=START + timedelta(days=3),
                                                   end=START + timedelta(days=3, hours=2), priority="low",
                                                   severity="minor"),
                            product_ids=("prod-a-sg", "prod-a-jkt"))).incidents[0]
    await services.close(container.uow(), clock, second.id)
    closed_at = clock.now()

    async def ids(**params: Any) -> list[str]:
        r = await listing(client, **params)
        assert r.status_code == 200, r.text
        for found in r.json():
            assert set(found) <= {"id", "href", "relatedEntity", "description", "priority", "severity", "impact",
                                  "incidentType", "status", "creationDate", "situationStartDate",
                                  "expectedClosedDate", "closedDate"}
        return [i["id"] for i in r.json()]

    def iso(at: datetime) -> str:
        return at.isoformat().replace("+00:00", "Z")

    assert await ids() == [third.id, second.id, first.id]  # newest first
    assert await ids(priority="critical") == [second.id]
    assert await ids(priority="low") == [third.id]
    assert await ids(severity="significant") == [first.id]
    assert await ids(impact="degraded") == [second.id]
    assert await ids(incidentType="maintenance") == [third.id, first.id]
    assert await ids(incidentType="installation") == []
    assert await ids(status="closed") == [second.id]
    assert await ids(status="created") == [third.id, first.id]
    assert await ids(relatedEntityId="prod-a-jkt") == [third.id, second.id]
    assert await ids(relatedEntityType="Product") == [third.id, second.id, first.id]
    assert await ids(relatedEntityType="Service") == []
    assert await ids(**{"creationDate.gt": iso(first.created_at)}) == [third.id, second.id]
    assert await ids(**{"creationDate.lt": iso(second.created_at)}) == [first.id]
    assert await ids(**{"situationStartDate.gt": iso(START)}) == [third.id]
    assert await ids(**{"situationStartDate.lt": iso(START)}) == [second.id]
    assert await ids(**{"expectedClosedDate.gt": iso(END)}) == [third.id]
    assert await ids(**{"expectedClosedDate.lt": iso(END)}) == [second.id]
    assert await ids(**{"closedDate.gt": iso(closed_at - timedelta(seconds=1))}) == [second.id]
    assert await ids(**{"closedDate.lt": iso(closed_at)}) == []
    assert await ids(status="created", priority="low") == [third.id]
    r = await listing(client, offset=1, limit=1)
    assert [i["id"] for i in r.json()] == [second.id]
    assert (r.headers["X-Total-Count"], r.headers["X-Result-Count"]) == ("3", "1")
    for bad in ({"status": "open"}, {"impact": "broken"}, {"creationDate.gt": "yesterday"},
                {"closedDate.lt": "2026-01-01T00:00:00"}, {"offset": "-1"}):
        r = await listing(client, **bad)
        assert r.status_code == 400, (bad, r.text)


async def test_the_profiles_maintenance_windows_are_announced_on_start_once(
        client: httpx.AsyncClient, container: Container) -> None:
    r = await listing(client, "sonata", BUYER_B)
    (found,) = r.json()
    assert (found["impact"], found["incidentType"], found["priority"]) == ("degraded", "maintenance", "medium")
    assert found["situationStartDate"] == "2026-02-01T01:00:00Z"
    assert found["expectedClosedDate"] == "2026-02-01T03:00:00Z"
    assert [e["id"] for e in found["relatedEntity"]] == ["prod-b-jkt"]
    await container.start()  # a restart announces nothing new
    assert len((await listing(client, "sonata", BUYER_B)).json()) == 1
    assert (await listing(client, "sonata", BUYER_A)).json() == []


async def test_maintenance_windows_feed_the_sla_records_and_follow_their_changes(container: Container,
                                                                                   clock: ManualClock) -> None:
    await announce(container, maintenance("mw-jan"), product_ids=("prod-a-sg", "prod-b-sg"))
    await announce(container, impairment("imp-jan", clock.now()), product_ids=("prod-a-sg",))

    async def windows() -> dict[str, Any]:
        async with container.uow() as uow:
            found = await uow.sla.maintenance_between(START - timedelta(days=60), START + timedelta(days=60))
        return {w.notice_ref: w for w in found}

    found = await windows()
    assert sorted(found) == ["mw-jan", "mw-profile"]  # the profile's window too; an impairment is not one
    jan = found["mw-jan"]
    assert (jan.provider, jan.start, jan.end) == ("ours", START, END)
    assert jan.services == ("prod-a-sg", "prod-b-sg") and jan.segments == ()
    await services.revise(container.uow(), clock, "mw-jan", end=END + timedelta(hours=2))
    assert (await windows())["mw-jan"].end == END + timedelta(hours=2)
    clock.set(START + timedelta(hours=1))
    await services.close(container.uow(), clock, "mw-jan", reason="finished early")
    assert (await windows())["mw-jan"].end == START + timedelta(hours=1)  # it ended when it was closed
    # a window withdrawn before it begins no longer covers anything
    await announce(container, maintenance("mw-feb", start=START + timedelta(days=20),
                                          end=START + timedelta(days=20, hours=2)), product_ids=("prod-a-sg",))
    assert (await windows())["mw-feb"].services == ("prod-a-sg",)
    await services.close(container.uow(), clock, "mw-feb", reason="postponed")
    withdrawn = (await windows())["mw-feb"]
    assert (withdrawn.services, withdrawn.segments) == ((), ())


@pytest.mark.parametrize(("change", "message"), [
    (lambda w: w.update(offerings=["no-such-offering"]),
     "maintenance window mw-profile: unknown offering no-such-offering"),
    (lambda w: w.update(end="2026-01-31T00:00:00Z"), "maintenance: the end is not after the start in window "
                                                     "mw-profile"),
    (lambda w: w.update(products=[]), "maintenance: no products, offerings or areas named in window mw-profile"),
    (lambda w: w.update(impact="gone"), "impact"),
])
def test_profile_maintenance_errors_name_the_file_and_line(tmp_path: Path, change: Any, message: str) -> None:
    doc = profile_doc()
    change(doc["maintenance"][0])
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    with pytest.raises(ProfileError) as err:
        load_profile(path)
    named = message.split()[-1]  # the line of what the message names last: the unknown value, or the window
    line = next(n for n, text in enumerate(path.read_text().splitlines(), 1) if named in text)
    assert message in str(err.value)
    assert f"{path}:" in str(err.value)
    if message.startswith("maintenance"):
        assert f"{path}:{line}: {message}" in str(err.value)
