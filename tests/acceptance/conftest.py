"""World A's project ready for acceptance: under construction, two items at 100 %, its contractor linked,
an owners' committee member on the estate. Helpers to upload a signature, open a round, decide the
checklist and sign."""

import hashlib

from sqlmodel import select

from app.projects.models import Project, ProjectStatus
from tests import factories as f
from tests.files.conftest import PNG, image

API = "/api/v1"
ITEMS = ("basic.roads", "basic.roof_waterproofing")


async def ready(db, world, committee: bool = True) -> None:
    project = (await db.exec(select(Project).where(Project.id == world.a.project_id))).one()
    project.status = ProjectStatus.constructing
    db.add(project)
    for code in ITEMS:
        await f.project_item(db, world.a.project_id, code, progress_percent=100)
    if committee:
        await world.user_for(db, "committee_member:in")
    await db.flush()


async def upload(client, headers, data: bytes = PNG, name: str = "签名.png", kind: str = "image/png") -> str:
    r = await client.post(f"{API}/files", headers=headers, files={"file": (name, data, kind)})
    assert r.status_code == 201, r.text
    return r.json()["id"]


async def open_round(client, headers, world, **body):
    r = await client.post(f"{API}/projects/{world.a.project_id}/acceptance", headers=headers, json=body)
    assert r.status_code == 201, r.text
    return r.json()


async def decide(client, headers, acceptance, decision="accepted", **extra):
    items = [{"code": i["code"], "decision": decision} for i in acceptance["items"]]
    r = await client.patch(f"{API}/acceptances/{acceptance['id']}", headers=headers, json={"items": items, **extra})
    assert r.status_code == 200, r.text
    return r.json()


async def sign(client, headers, acceptance, role, decision="approve", content_hash=None, **extra):
    # Each signer's own image: a handwriting differs (and the certificate shows each).
    drawn = image("PNG", (120, 48), tuple(hashlib.sha256(role.encode()).digest()[:3]))
    body = {"role": role, "decision": decision, "content_hash": content_hash or acceptance["content_hash"],
            "signature_file_id": await upload(client, headers, drawn), **extra}
    return await client.post(f"{API}/acceptances/{acceptance['id']}/signatures", headers=headers, json=body)
