"""GET /me/data (PIPL art. 45): everything held about the caller, as JSON and as a ZIP with their uploads,
and nothing about anyone else."""

import io
import json
import zipfile

from tests.privacy.activity import take_part
from tests.voting.conftest import API


async def test_everything_held_about_the_caller_and_nothing_about_anyone_else(client, db, estate):
    done = await take_part(client, db, estate)
    r = await client.get(f"{API}/me/data", headers=done.wang)
    assert r.status_code == 200, r.text
    data = r.json()
    sections = data["sections"]
    assert set(sections) == {"privacy", "account", "files", "notifications", "residency", "questionnaire_answers",
                             "plan_opinions", "votes", "supervision"}
    assert sections["account"]["id"] == str(done.wang_id) and sections["account"]["logins"]
    assert [c["purpose"] for c in sections["privacy"]["consents"]] == ["service"]
    [binding] = sections["residency"]["bindings"]
    assert binding["unit"].endswith("104") and binding["status"] == "approved"
    # The unit's record: their own entry in full, the co-owner's masked.
    [unit] = sections["residency"]["units_on_record"]
    people = {p["yours"]: p for p in unit["people"]}
    assert (people[True]["name"], people[True]["phone"]) == ("王五", "13800000003")
    assert (people[False]["name"], people[False]["phone"]) == ("李*", "138****0002")
    [answer] = sections["questionnaire_answers"]
    assert answer["answers"] == {"score": 4} and answer["questionnaire"] == "方案满意度"
    [opinion] = sections["plan_opinions"]
    assert opinion["content"] == "王五：屋面防水请一起做" and opinion["photo_file_ids"] == [done.photo_id]
    [my_vote] = sections["votes"]["votes"]
    assert my_vote["receipt"] == done.receipt and my_vote["cast_by_you"] is True
    assert [c["choice"] for c in my_vote["choices"]] == ["approve"]
    [complaint] = sections["supervision"]["complaints"]
    assert complaint["content"] == "王五反映：104门口积水"
    assert [m["title"] for m in sections["notifications"]["inbox"]] == ["王五的消息"]
    assert sorted(f["id"] for f in sections["files"]) == sorted([done.photo_id, done.loose_id])
    # Nothing of 张三's: his name, phone, answer, opinion, vote.
    text = json.dumps(data, ensure_ascii=False)
    for theirs in ("张三", "13800000001", "道路要加宽", str(done.zhang_id), "oppose"):
        assert theirs not in text, theirs


async def test_the_zip_holds_the_data_and_the_callers_uploads(client, db, estate):
    done = await take_part(client, db, estate)
    r = await client.get(f"{API}/me/data", params={"format": "zip"}, headers=done.wang)
    assert r.status_code == 200 and r.headers["content-type"] == "application/zip"
    assert r.headers["cache-control"] == "no-store" and "attachment" in r.headers["content-disposition"]
    with zipfile.ZipFile(io.BytesIO(r.content)) as z:
        names = z.namelist()
        data = json.loads(z.read("data.json"))
        photo = z.read(next(n for n in names if n.startswith(f"files/{done.photo_id}")))
    assert data["sections"]["votes"]["votes"][0]["receipt"] == done.receipt
    assert sorted(n.split("/")[1][:36] for n in names if n.startswith("files/")) == sorted([done.photo_id, done.loose_id])
    assert photo == (await client.get(f"{API}/files/{done.photo_id}", headers=done.wang)).content


async def test_nobody_reads_another_residents_data(client, db, estate):
    done = await take_part(client, db, estate)
    mine = (await client.get(f"{API}/me/data", headers=done.zhang)).json()
    assert str(done.wang_id) not in json.dumps(mine)
    # There is no route to another person's data, and their files stay theirs.
    for path in (f"/users/{done.wang_id}/data", f"/me/data/{done.wang_id}"):
        r = await client.get(f"{API}{path}", headers=done.zhang)
        assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
    assert (await client.get(f"{API}/files/{done.loose_id}", headers=done.zhang)).status_code == 404
    assert (await client.get(f"{API}/me/data")).status_code == 401
