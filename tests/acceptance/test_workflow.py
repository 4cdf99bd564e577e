"""The completion acceptance through the API: a round with every role, a rejection that sends the works
back with an order per reason, a second round that passes (the project accepted, the satisfaction survey
published), stale hashes, roles not held, the owners' committee missing, checklist edits invalidating
signatures, verification and the certificate."""

import hashlib
import io
import uuid

import rfc8785
from pypdf import PdfReader
from sqlmodel import select

from app.acceptance.models import AcceptanceSignature
from app.auth.roles import Role
from app.notifications.models import NotificationOutbox as Outbox
from app.projects.models import Project, ProjectOrganizationRole, ProjectStatus
from app.registry.models import OrganizationKind
from app.surveys.models import Questionnaire, QuestionnaireStatus
from tests import factories as f
from tests.acceptance.conftest import API, decide, open_round, ready, sign, upload
from tests.files.conftest import PDF

ROLES = {"street": "street_staff:in", "community": "community_staff:in", "contractor": "contractor:in",
         "committee": "committee_member:in"}


async def _status(db, project_id) -> ProjectStatus:
    db.expire_all()
    return (await db.exec(select(Project.status).where(Project.id == project_id))).one()


async def _signers(db, world) -> dict[str, dict]:
    return {role: await world.headers_for(db, variant) for role, variant in ROLES.items()}


async def _notices(db, user_ids, template="signature_requested") -> int:
    return len((await db.exec(select(Outbox).where(Outbox.template == template,
                                                   Outbox.user_id.in_(list(user_ids))))).all())


async def test_rejection_then_a_second_round_that_passes(client, db, world):
    await ready(db, world)
    resident_id = (await world.user_for(db, "resident:in")).id
    signer = await _signers(db, world)
    staff = signer["community"]
    # The project has a supervision company too: its staff sign for it.
    company = await f.organization(db, kind=OrganizationKind.supervision, street_id=world.a.street_id)
    await f.project_organization(db, world.a.project_id, company.id, ProjectOrganizationRole.supervision)
    signer["supervision"] = await f.headers(db, await f.user(db, (Role.contractor, company.id)))

    first = await open_round(client, staff, world)
    assert await _status(db, world.a.project_id) == ProjectStatus.accepting
    assert [r["role"] for r in first["roles"]] == ["street", "community", "contractor", "supervision", "committee"]
    assert {i["decision"] for i in first["items"]} == {"pending"} and len(first["items"]) == 2
    # The hash is the SHA-256 of the content's RFC 8785 canonical JSON, which anyone can recompute.
    assert first["content_hash"] == hashlib.sha256(rfc8785.dumps(first["content"])).hexdigest()
    r = await client.post(f"{API}/projects/{world.a.project_id}/acceptance", headers=staff, json={})
    assert r.status_code == 409 and r.json()["error"]["code"] == "acceptance_already_open"

    # Nobody signs an undecided checklist.
    r = await sign(client, signer["street"], first, "street")
    assert r.status_code == 409 and r.json()["error"]["code"] == "acceptance_checklist_incomplete"
    decided = await decide(client, staff, first)
    assert decided["content_hash"] != first["content_hash"] and decided["revision"] == 2

    assert (await sign(client, signer["street"], decided, "street")).status_code == 201
    # A signature on the record as it was before the checklist was decided is refused.
    r = await sign(client, signer["contractor"], first, "contractor")
    assert r.status_code == 409 and r.json()["error"]["code"] == "acceptance_content_changed"
    # Signing for a role one does not hold, or that does not sign this acceptance.
    r = await sign(client, signer["community"], decided, "street")
    assert r.status_code == 403 and r.json()["error"]["code"] == "signatory_role_not_held"
    r = await sign(client, await world.headers_for(db, "admin"), decided, "committee")
    assert r.status_code == 403 and r.json()["error"]["code"] == "signatory_role_not_held"
    r = await sign(client, signer["contractor"], decided, "supervision")
    assert r.status_code == 403 and r.json()["error"]["code"] == "signatory_role_not_held"
    r = await sign(client, signer["supervision"], decided, "resident_rep")
    assert r.status_code == 422 and r.json()["error"]["code"] == "signatory_role_not_required"
    r = await sign(client, await world.headers_for(db, "street_staff:in"), decided, "street")
    assert r.status_code == 409 and r.json()["error"]["code"] == "signatory_role_signed"
    assert (await sign(client, signer["contractor"], decided, "contractor")).status_code == 201
    # A rejection gives its reasons; the committee rejects with two.
    r = await sign(client, signer["committee"], decided, "committee", "reject")
    assert r.status_code == 422 and r.json()["error"]["code"] == "rejection_reasons_required"
    r = await sign(client, signer["committee"], decided, "committee", "reject",
                   reasons=["3号楼屋面仍有渗水", "小区东门雨水井盖缺失"], comment="整改后再验")
    assert r.status_code == 201, r.text
    rejected = r.json()
    assert rejected["status"] == "rejected" and rejected["decided_at"] is not None
    assert await _status(db, world.a.project_id) == ProjectStatus.constructing
    reasons = [s for s in rejected["signatures"] if s["decision"] == "reject"][0]
    orders = (await client.get(f"{API}/projects/{world.a.project_id}/rectifications", headers=staff)).json()["items"]
    assert [(o["title"], o["status"], o["organization_id"], o["priority"]) for o in orders] == [
        ("3号楼屋面仍有渗水", "open", str(world.a.organization_id), "high"),
        ("小区东门雨水井盖缺失", "open", str(world.a.organization_id), "high")]
    assert reasons["rectification_ids"] == [o["id"] for o in orders]
    r = await sign(client, signer["community"], decided, "community")
    assert r.status_code == 409 and r.json()["error"]["code"] == "acceptance_closed"

    # The second round waits for the orders: rectifications_closed holds the move.
    r = await client.post(f"{API}/projects/{world.a.project_id}/acceptance", headers=staff, json={})
    assert r.status_code == 409 and r.json()["error"]["code"] == "transition_not_allowed"
    supervisor = await world.headers_for(db, "supervisor:in")
    await client.post(f"{API}/rectifications/{orders[0]['id']}/respond", headers=signer["contractor"],
                      json={"note": "已重做防水层"})
    assert (await client.post(f"{API}/rectifications/{orders[0]['id']}/verify", headers=supervisor,
                              json={"accepted": True})).status_code == 200
    assert (await client.post(f"{API}/rectifications/{orders[1]['id']}/waive", headers=signer["street"],
                              json={"reason": "井盖属市政管理，已移交"})).status_code == 200

    second = await decide(client, staff, await open_round(client, staff, world))
    assert second["round"] == 2 and second["status"] == "open"
    for role in ("committee", "street", "supervision", "contractor", "community"):
        r = await sign(client, signer[role], second, role)
        assert r.status_code == 201, r.text
    passed = r.json()
    assert passed["status"] == "passed" and all(r["approved"] for r in passed["roles"])
    assert await _status(db, world.a.project_id) == ProjectStatus.accepted
    # The residents are told, and the satisfaction survey is published to them.
    assert await _notices(db, [resident_id], "project_stage") >= 1
    survey = (await db.exec(select(Questionnaire).where(Questionnaire.project_id == world.a.project_id,
                                                        Questionnaire.template == "satisfaction"))).one()
    assert survey.status == QuestionnaireStatus.published and survey.closes_at is not None
    assert await _notices(db, [resident_id], "questionnaire_published") == 1
    rounds = (await client.get(f"{API}/projects/{world.a.project_id}/acceptances",
                               headers=await world.headers_for(db, "resident:in"))).json()
    assert [(a["round"], a["status"]) for a in rounds] == [(1, "rejected"), (2, "passed")]

    verified = (await client.get(f"{API}/acceptances/{second['id']}/verify", headers=staff)).json()
    assert verified["valid"] and verified["record_intact"] and len(verified["signatures"]) == 5


async def test_editing_the_checklist_after_two_signatures_invalidates_both_and_tells_the_signers(client, db, world):
    await ready(db, world)
    signer = await _signers(db, world)
    staff = signer["community"]
    a = await decide(client, staff, await open_round(client, staff, world))
    users = {}
    for role in ("street", "contractor"):
        r = await sign(client, signer[role], a, role)
        assert r.status_code == 201
        users[role] = uuid.UUID([s["signer"]["id"] for s in r.json()["signatures"] if s["role"] == role][0])
    before = await _notices(db, users.values())

    # The same content again changes nothing.
    same = await decide(client, staff, a)
    assert same["content_hash"] == a["content_hash"] and all(s["invalidated_at"] is None for s in same["signatures"])
    changed = await decide(client, staff, a, remarks="屋面防水层验收时发现局部起鼓，已现场处理")
    assert changed["content_hash"] != a["content_hash"]
    assert [s["invalidated_at"] is not None for s in changed["signatures"]] == [True, True]
    assert not any(r["approved"] for r in changed["roles"])
    assert await _notices(db, users.values()) == before + 2
    # They sign again on the new record; the old hash is stale.
    r = await sign(client, signer["street"], a, "street")
    assert r.status_code == 409 and r.json()["error"]["code"] == "acceptance_content_changed"
    r = await sign(client, signer["street"], changed, "street")
    assert r.status_code == 201 and [x["approved"] for x in r.json()["roles"]] == [True, False, False, False]
    # The guard says who is still to approve.
    r = await client.post(f"{API}/projects/{world.a.project_id}/transitions", headers=staff, json={"to": "accepted"})
    assert r.status_code == 409 and "社区、施工单位、业主委员会" in r.text


async def test_an_estate_without_owners_committee_names_residents_representatives(client, db, world):
    await ready(db, world, committee=False)
    staff = await world.headers_for(db, "community_staff:in")
    r = await client.post(f"{API}/projects/{world.a.project_id}/acceptance", headers=staff, json={})
    assert r.status_code == 422 and r.json()["error"]["code"] == "signatories_representatives_required"
    r = await client.post(f"{API}/projects/{world.a.project_id}/acceptance", headers=staff,
                          json={"roles": ["street", "community", "contractor", "committee"]})
    assert r.status_code == 422 and r.json()["error"]["code"] == "signatories_no_committee"
    stranger = await world.user_for(db, "resident:out")
    r = await client.post(f"{API}/projects/{world.a.project_id}/acceptance", headers=staff,
                          json={"representatives": [str(stranger.id)]})
    assert r.status_code == 422 and r.json()["error"]["code"] == "representative_not_resident"
    # The refused attempts were undone: the project is still under construction.
    assert await _status(db, world.a.project_id) == ProjectStatus.constructing

    rep = await world.user_for(db, "resident:in")
    a = await decide(client, staff, await open_round(client, staff, world, representatives=[str(rep.id)]))
    assert [r["role"] for r in a["roles"]] == ["street", "community", "contractor", "resident_rep"]
    assert [p["user_id"] for p in a["representatives"]] == [str(rep.id)]
    # The representative signs for residents; another resident of the estate cannot.
    other = await world.headers_for(db, "resident:in")
    r = await sign(client, other, a, "resident_rep")
    assert r.status_code == 403 and r.json()["error"]["code"] == "signatory_role_not_held"
    rep_headers = await f.headers(db, rep)
    tasks = (await client.get(f"{API}/me/tasks", headers=rep_headers)).json()["signatures"]
    assert [(t["acceptance_id"], t["roles"]) for t in tasks] == [(a["id"], ["resident_rep"])]
    assert (await sign(client, rep_headers, a, "resident_rep")).status_code == 201
    assert (await client.get(f"{API}/me/tasks", headers=rep_headers)).json()["signatures"] == []


async def test_an_estate_with_a_committee_cannot_leave_it_out(client, db, world):
    await ready(db, world)
    staff = await world.headers_for(db, "community_staff:in")
    r = await client.post(f"{API}/projects/{world.a.project_id}/acceptance", headers=staff,
                          json={"roles": ["street", "community", "contractor"]})
    assert r.status_code == 422 and r.json()["error"]["code"] == "signatories_committee_required"
    r = await client.post(f"{API}/projects/{world.a.project_id}/acceptance", headers=staff,
                          json={"roles": ["street", "contractor", "committee"]})
    assert r.status_code == 422 and r.json()["error"]["code"] == "signatories_mandatory_missing"


async def test_a_linked_supervision_company_always_signs(client, db, world):
    """Opening without it is refused; linked after the round opened, it is required all the same."""
    await ready(db, world)
    staff = await world.headers_for(db, "community_staff:in")
    company = await f.organization(db)
    link = await f.project_organization(db, world.a.project_id, company.id, ProjectOrganizationRole.supervision)
    r = await client.post(f"{API}/projects/{world.a.project_id}/acceptance", headers=staff,
                          json={"roles": ["street", "community", "contractor", "committee"]})
    assert r.status_code == 422 and r.json()["error"]["code"] == "supervision_required"
    await db.delete(link)
    await db.flush()
    a = await open_round(client, staff, world)
    assert "supervision" not in [r["role"] for r in a["roles"]]
    await f.project_organization(db, world.a.project_id, company.id, ProjectOrganizationRole.supervision)
    a = (await client.get(f"{API}/acceptances/{a['id']}", headers=staff)).json()
    assert [r["role"] for r in a["roles"]][-2:] == ["supervision", "committee"]
    assert next(r for r in a["roles"] if r["role"] == "supervision")["approved"] is False


async def test_signature_images_are_the_signers_own_images(client, db, world):
    await ready(db, world)
    staff = await world.headers_for(db, "community_staff:in")
    street = await world.headers_for(db, "street_staff:in")
    a = await decide(client, staff, await open_round(client, staff, world))
    body = {"role": "street", "decision": "approve", "content_hash": a["content_hash"]}
    pdf = await upload(client, street, PDF, "签名.pdf", "application/pdf")
    r = await client.post(f"{API}/acceptances/{a['id']}/signatures", headers=street,
                          json={**body, "signature_file_id": pdf})
    assert r.status_code == 422 and r.json()["error"]["code"] == "signature_image_invalid"
    theirs = await upload(client, staff)
    r = await client.post(f"{API}/acceptances/{a['id']}/signatures", headers=street,
                          json={**body, "signature_file_id": theirs})
    assert r.status_code == 422 and r.json()["error"]["code"] == "file_not_usable"


async def test_opening_needs_a_project_under_construction_with_every_item_done(client, db, world):
    staff = await world.headers_for(db, "community_staff:in")
    r = await client.post(f"{API}/projects/{world.a.project_id}/acceptance", headers=staff, json={})
    assert r.status_code == 409 and r.json()["error"]["code"] == "acceptance_not_possible"
    await ready(db, world)
    await f.project_item(db, world.a.project_id, "improvement.elevator", progress_percent=80)
    r = await client.post(f"{API}/projects/{world.a.project_id}/acceptance", headers=staff, json={})
    assert r.status_code == 409 and r.json()["error"]["code"] == "transition_not_allowed"
    assert "items_complete" in r.text


async def test_verify_reports_a_signature_altered_in_the_database(client, db, world):
    await ready(db, world)
    signer = await _signers(db, world)
    a = await decide(client, signer["community"], await open_round(client, signer["community"], world))
    for role in ("street", "contractor"):
        assert (await sign(client, signer[role], a, role)).status_code == 201
    url = f"{API}/acceptances/{a['id']}/verify"
    assert (await client.get(url, headers=signer["street"])).json()["valid"] is True

    signature = (await db.exec(select(AcceptanceSignature).where(AcceptanceSignature.acceptance_id == uuid.UUID(a["id"]),
                                                                 AcceptanceSignature.role == "contractor"))).one()
    signature.content_hash = "0" * 64
    db.add(signature)
    await db.flush()
    report = (await client.get(url, headers=signer["street"])).json()
    assert report["valid"] is False and report["record_intact"] is True
    assert {c["role"]: c["matches"] for c in report["signatures"]} == {"street": True, "contractor": False}


async def test_the_certificate_shows_the_chinese_text_and_the_signatures(client, db, world):
    await ready(db, world)
    signer = await _signers(db, world)
    a = await decide(client, signer["community"], await open_round(client, signer["community"], world))
    for role in ("street", "community", "contractor", "committee"):
        assert (await sign(client, signer[role], a, role)).status_code == 201
    r = await client.get(f"{API}/acceptances/{a['id']}/certificate.pdf",
                         headers=await world.headers_for(db, "resident:in"))
    assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(r.content))
    text = "".join(page.extract_text() for page in reader.pages).replace("\n", "")
    for expected in ("竣工验收单", "验收清单", "街道（建设单位）", "业主委员会", "同意", a["content_hash"],
                     f"组织单位：{world.a.street.name}{world.a.community.name}",
                     f"/public/certificates/{a['content_hash']}"):  # its page on the public notice board
        assert expected in text, expected
    # The four handwritten signatures, and the Chinese font embedded (it shows on any phone).
    assert sum(len(page.images) for page in reader.pages) == 4
    fonts = [f.get_object() for f in reader.pages[0]["/Resources"]["/Font"].values()]
    assert any("WenQuanYi" in str(f["/BaseFont"]) for f in fonts)
