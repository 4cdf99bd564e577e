"""The local fake of WeChat keeps the requests it received for tests to read, but only the latest: the
offline demo and the soak send it tens of thousands (every one kept grew the worker by ~30 MB)."""

import httpx

from app.wechat import fake


async def test_the_fake_keeps_the_latest_requests_only():
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=fake.fake_app), base_url="http://wechat.fake") as c:
        for n in range(2 * fake.KEPT + 1):
            r = await c.post(fake.SUBSCRIBE_SEND, params={"access_token": f"t{n}"}, json={"n": n})
            assert r.json()["errcode"] == 40001  # not a token it issued
    kept = fake.state.requests
    assert fake.KEPT <= len(kept) <= 2 * fake.KEPT
    assert [r["query"]["access_token"] for r in kept] == [f"t{n}" for n in range(2 * fake.KEPT + 1 - len(kept), 2 * fake.KEPT + 1)]
