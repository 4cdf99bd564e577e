"""The board's copy in memory keeps small answers only: a large one (a plan's PDF with its attachments)
is made again on each request, still with its ETag and 304."""

import httpx

from app.public.cache import KEPT_BYTES, PublicBoard


def _counting(size: int):
    calls = []

    async def app(scope, receive, send):
        calls.append(scope["path"])
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/pdf")]})
        await send({"type": "http.response.body", "body": b"x" * size})

    return app, calls


async def test_small_answers_are_kept_large_ones_made_again():
    for size, made in ((1000, 1), (KEPT_BYTES + 1, 3)):
        app, calls = _counting(size)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=PublicBoard(app)), base_url="http://t") as c:
            first = await c.get("/public/x")
            again = await c.get("/public/x")
            unchanged = await c.get("/public/x", headers={"If-None-Match": first.headers["etag"]})
        assert len(first.content) == len(again.content) == size and first.headers["etag"] == again.headers["etag"]
        assert unchanged.status_code == 304 and unchanged.content == b""
        assert len(calls) == made, (size, calls)
