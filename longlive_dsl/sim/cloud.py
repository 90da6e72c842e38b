"""A stand-in for Reactor's cloud coordinator, in front of the local simulator runtime.

It serves the coordinator routes a cloud client uses (protocol.md §2-3), and proxies the
WebRTC signalling to the runtime (media still flows peer to peer, straight to the runtime):

- ``POST /tokens``: header ``Reactor-API-Key`` -> ``{"jwt", "expires_at"}``. The body may be
  ``null`` or carry ``{"expires_after": seconds}``; lifetimes are clamped to 6 h (default 1 h).
  Tokens are HS256 JWTs signed with a key minted at start-up.
- ``POST /sessions`` -> 201 ``{session_id, state: "PENDING", cluster, model, server_info}``;
  429 + ``Retry-After`` when there is no capacity (``capacity`` 0, the first ``refuse_first``
  requests, or every GPU busy and the queue full). Each upstream runtime is one simulated GPU;
  a session created while all are busy waits in a first-come queue (``queue`` places), answering
  ``WAITING`` with its ``queue_position`` until a GPU frees.
- ``GET /sessions/{id}``: a waiting phase (``wait_polls`` answers, state ``WAITING``, no
  ``capabilities``/``selected_transport``), then ``ACTIVE`` with both; ``CLOSED`` once deleted
  or once the runtime closed it. ``GET /sessions/{id}/info``.
- ``DELETE /sessions/{id}``: stops the runtime session; 404 for an unknown id.
- ``/sessions/{id}/transport/webrtc/...``: every signalling route, proxied to the runtime's
  session.
- ``GET /health``: the runtime's health.

Every route but ``/health`` and ``/tokens`` wants ``Authorization: Bearer <jwt>``: 401 when it is
missing, malformed, badly signed or expired; 403 when the token's owner did not create the
session. ``/tokens`` answers 401 for a missing or unknown key. Error bodies are
``{"message": ...}``. Accepted keys: ``LLV_SIM_API_KEYS`` (comma-separated; when unset, the one
development key :data:`DEV_API_KEY`). Neither a key nor a token is ever logged or echoed.

One runtime (GPU) holds at most one live session. The next ``POST /sessions`` reclaims a GPU when
its runtime side has closed, when its client has left (runtime ``orphaned``, or still ``waiting``
after 30 s), or, on a one-GPU double without a queue, when the request comes from the same key's
owner (a crashed client re-run); otherwise it queues the session or answers 429. A client that crashed while streaming is noticed by the runtime's
20 s ping watchdog.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import hmac
import json
import os
import secrets
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpx
from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse

from longlive_dsl import model

DEV_API_KEY = "rk_llv_sim_dev"
"""The one key accepted when ``LLV_SIM_API_KEYS`` is unset (a public development key)."""

MAX_TOKEN_SECONDS = 6 * 3600
DEFAULT_TOKEN_SECONDS = 3600
CLUSTER = "llv-sim"
LIVE = ("PENDING", "WAITING", "ACTIVE")
"""Cloud session states that hold the one runtime."""


def keys_from_env(env: dict[str, str] | None = None) -> list[str]:
    raw = (os.environ if env is None else env).get("LLV_SIM_API_KEYS", "")
    keys = [k.strip() for k in raw.split(",") if k.strip()]
    return keys or [DEV_API_KEY]


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class TokenError(Exception):
    """A bearer token that does not authenticate (the message never contains the token)."""


class Tokens:
    """Mints and checks HS256 JWTs."""

    def __init__(self, keys: list[str], secret: bytes | None = None) -> None:
        self._keys = {self._owner(k) for k in keys}
        self._secret = secret or secrets.token_bytes(32)

    @staticmethod
    def _owner(key: str) -> str:
        return hashlib.sha256(b"llv-sim:" + key.encode()).hexdigest()[:24]

    def owner_of_key(self, key: str | None) -> str | None:
        """The owner id of an accepted key, or None (compared in constant time)."""
        if not key:
            return None
        owner = self._owner(key)
        return owner if any(hmac.compare_digest(owner, k) for k in self._keys) else None

    def mint(self, owner: str, expires_after: float | None) -> tuple[str, int]:
        now = int(time.time())
        life = DEFAULT_TOKEN_SECONDS if expires_after is None else expires_after
        life = int(min(max(life, 1), MAX_TOKEN_SECONDS))
        header = _b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
        claims = {"sub": owner, "iat": now, "exp": now + life, "jti": uuid.uuid4().hex, "iss": CLUSTER}
        body = _b64(json.dumps(claims, separators=(",", ":")).encode())
        sig = _b64(hmac.new(self._secret, f"{header}.{body}".encode(), hashlib.sha256).digest())
        return f"{header}.{body}.{sig}", now + life

    def check(self, authorization: str | None) -> str:
        """The owner of a valid ``Bearer`` token; raises :class:`TokenError` otherwise."""
        if not authorization:
            raise TokenError("missing Authorization header")
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise TokenError("Authorization must be 'Bearer <token>'")
        parts = token.strip().split(".")
        if len(parts) != 3:
            raise TokenError("malformed token")
        want = hmac.new(self._secret, f"{parts[0]}.{parts[1]}".encode(), hashlib.sha256).digest()
        try:
            good = hmac.compare_digest(want, _unb64(parts[2]))
            claims = json.loads(_unb64(parts[1])) if good else None
        except (ValueError, json.JSONDecodeError):
            raise TokenError("malformed token") from None
        if not good or not isinstance(claims, dict):
            raise TokenError("invalid token signature")
        if not isinstance(claims.get("exp"), int) or claims["exp"] <= time.time():
            raise TokenError("token expired")
        return str(claims.get("sub"))


@dataclass
class CloudSession:
    session_id: str
    owner: str
    created: float = field(default_factory=time.monotonic)  # when it got its GPU (or was created)
    polls: int = 0
    state: str = "PENDING"
    runtime_sid: str | None = None
    gpu: int | None = None  # which runtime plays it; None while it waits in the queue
    server_info: dict[str, Any] = field(default_factory=dict)
    last_seen: float = field(default_factory=time.monotonic)  # its client's last call (a queued one must keep polling)


@dataclass
class CloudOptions:
    """The double's settings. Each upstream is one simulated GPU (a runtime holding one session)."""

    upstream: str | list[str]
    keys: list[str]
    capacity: int = 1  # 0 refuses every session (429); otherwise the GPUs are the upstreams
    refuse_first: int = 0
    retry_after: int = 2
    wait_polls: int = 2
    stale_waiting_seconds: float = 30.0
    queue: int = 0  # sessions that may wait for a GPU (state WAITING); beyond them, 429

    @property
    def upstreams(self) -> list[str]:
        return [self.upstream] if isinstance(self.upstream, str) else list(self.upstream)


def create_app(options: CloudOptions) -> Any:
    """The coordinator double as a FastAPI app (all state lives in the app).

    Like the real coordinator it queues: a session created while every GPU is busy waits (state
    WAITING) in first-come order, up to `options.queue` of them; a further one gets 429. A queued
    session gets the first GPU that frees, once it is at the head of the queue; one whose client
    stops polling for `stale_waiting_seconds` leaves the queue.
    """
    # The upstream simulators are on this machine: never through HTTP(S)_PROXY.
    clients = [httpx.AsyncClient(base_url=u.rstrip("/"), timeout=15.0, trust_env=False) for u in options.upstreams]
    client = clients[0]
    queue: list[str] = []  # ids of sessions waiting for a GPU, first come first served
    single = len(clients) == 1 and options.queue == 0  # the one-GPU double of old: the same key takes over

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        for c in clients:
            await c.aclose()

    app = FastAPI(title="llv LongLive-2.0 cloud double", docs_url=None, redoc_url=None, openapi_url=None,
                  lifespan=lifespan)
    tokens = Tokens(options.keys)
    sessions: dict[str, CloudSession] = {}
    counters = {"session_requests": 0}
    lock = asyncio.Lock()

    def error(status: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
        return JSONResponse({"message": message}, status_code=status, headers=headers)

    def authenticate(request: Request) -> str | JSONResponse:
        try:
            return tokens.check(request.headers.get("authorization"))
        except TokenError as problem:
            return error(401, f"unauthorized: {problem}")

    def find(request: Request, sid: str) -> CloudSession | JSONResponse:
        owner = authenticate(request)
        if isinstance(owner, JSONResponse):
            return owner
        sess = sessions.get(sid)
        if sess is None:
            return error(404, "session not found")
        if not hmac.compare_digest(sess.owner, owner):
            return error(403, "forbidden: this token did not create the session")
        return sess

    async def upstream_session(gpu: int = 0) -> dict:
        """A runtime's ``GET /session`` (its state and descriptor), or {} when it does not answer."""
        try:
            body = (await clients[gpu].get("/session")).json()
        except Exception:
            return {}
        return body if isinstance(body, dict) else {}

    async def refresh(sess: CloudSession) -> dict:
        """Close a live session whose runtime side has gone back to ready; return what the runtime said."""
        if sess.state not in LIVE or sess.gpu is None:
            return {}
        upstream = await upstream_session(sess.gpu)
        if upstream.get("state") == "ready":
            sess.state = "CLOSED"
        return upstream

    async def reclaim(owner: str | None) -> None:
        """Free the GPUs whose session is over: the runtime side closed, its client left, or (one GPU, no
        queue) the same key asks again, its old client gone."""
        now = time.monotonic()
        for sess in [s for s in sessions.values() if s.state in LIVE]:
            if sess.gpu is None:
                if now - sess.last_seen > options.stale_waiting_seconds:
                    sess.state = "CLOSED"  # a queued session nobody polls any more
                continue
            up = (await upstream_session(sess.gpu)).get("state")
            if (
                up == "ready"  # the runtime side has closed
                or (single and owner is not None and hmac.compare_digest(sess.owner, owner))
                or up == "orphaned"
                or (up == "waiting" and now - sess.created > options.stale_waiting_seconds)
            ):
                sess.state = "CLOSED"  # reclaim the runtime (its start ends the old runtime session)
        queue[:] = [sid for sid in queue if sessions[sid].state in LIVE]

    def free_gpu() -> int | None:
        busy = {s.gpu for s in sessions.values() if s.state in LIVE and s.gpu is not None}
        return next((g for g in range(len(clients)) if g not in busy), None)

    async def assign(sess: CloudSession, gpu: int) -> JSONResponse | None:
        """Start the runtime session of `sess` on GPU `gpu`; an error response when the runtime refuses."""
        r = await clients[gpu].post("/start_session", json={})
        if r.status_code != 200:
            return error(503 if r.status_code >= 500 else 429, "the model could not start a session",
                         headers={"Retry-After": str(options.retry_after)})
        body = r.json()
        sess.gpu, sess.runtime_sid = gpu, body.get("session_id")
        sess.server_info = body.get("server_info", {})
        sess.created = time.monotonic()
        return None

    def no_capacity() -> JSONResponse:
        return error(
            429, "no available capacity for longlive-v2; retry later",
            headers={"Retry-After": str(options.retry_after)},
        )

    @app.get("/health")
    async def health() -> Response:
        try:
            r = await client.get("/health")
            return Response(r.content, status_code=r.status_code, media_type="application/json")
        except Exception:
            return error(503, "runtime unreachable")

    @app.post("/tokens")
    async def mint(request: Request) -> Response:
        owner = tokens.owner_of_key(request.headers.get("reactor-api-key"))
        if owner is None:
            missing = not request.headers.get("reactor-api-key")
            return error(401, "missing Reactor-API-Key header" if missing else "invalid API key")
        expires_after = None
        raw = await request.body()
        if raw.strip():
            try:
                body = json.loads(raw)
            except json.JSONDecodeError:
                return error(400, "body must be JSON")
            if isinstance(body, dict) and body.get("expires_after") is not None:
                value = body["expires_after"]
                if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
                    return error(400, "expires_after must be a positive number of seconds")
                expires_after = float(value)
        jwt, expires_at = tokens.mint(owner, expires_after)
        return JSONResponse({"jwt": jwt, "expires_at": expires_at})

    @app.post("/sessions")
    async def create(request: Request) -> Response:
        owner = authenticate(request)
        if isinstance(owner, JSONResponse):
            return owner
        try:
            body = json.loads(await request.body() or b"{}") or {}
        except json.JSONDecodeError:
            return error(400, "body must be JSON")
        name = (body.get("model") or {}).get("name") if isinstance(body, dict) else None
        if name != model.MODEL_NAME:
            return error(404, f"unknown model {name!r}; this coordinator serves {model.MODEL_NAME!r}")
        async with lock:
            counters["session_requests"] += 1
            if options.capacity < 1 or counters["session_requests"] <= options.refuse_first:
                return no_capacity()
            await reclaim(owner)
            sess = CloudSession(session_id=str(uuid.uuid4()), owner=owner)
            gpu = free_gpu() if not queue else None  # the queue goes first
            if gpu is not None:
                refused = await assign(sess, gpu)
                if refused is not None:
                    return refused
            elif len(queue) < options.queue:
                queue.append(sess.session_id)
            else:
                return no_capacity()
            sessions[sess.session_id] = sess
        return JSONResponse(
            {
                "session_id": sess.session_id, "state": sess.state, "cluster": CLUSTER,
                "model": {"name": model.MODEL_NAME}, "server_info": sess.server_info,
            },
            status_code=201,
        )

    @app.get("/sessions/{sid}")
    async def get(request: Request, sid: str) -> Response:
        sess = find(request, sid)
        if isinstance(sess, JSONResponse):
            return sess
        sess.last_seen = time.monotonic()
        if sess.state != "CLOSED" and sess.gpu is None:  # queued: a GPU once it is first in line and one frees
            async with lock:
                await reclaim(None)
                gpu = free_gpu()
                if sess.state != "CLOSED" and queue and queue[0] == sess.session_id and gpu is not None:
                    if await assign(sess, gpu) is None:
                        queue.pop(0)
        base: dict[str, Any] = {"session_id": sess.session_id, "cluster": CLUSTER, "model": {"name": model.MODEL_NAME}}
        if sess.state != "CLOSED" and sess.gpu is None:
            sess.state = "WAITING"
            return JSONResponse({**base, "state": sess.state, "queue_position": queue.index(sess.session_id) + 1})
        descriptor = await refresh(sess)
        if sess.state != "CLOSED":
            sess.polls += 1
            if sess.polls <= options.wait_polls:
                sess.state = "WAITING"
            elif not descriptor:
                return error(503, "runtime unreachable")
            else:
                sess.state = "ACTIVE"
                base.update(
                    server_info=descriptor.get("server_info", {}),
                    selected_transport=descriptor.get("selected_transport"),
                    capabilities=descriptor.get("capabilities"),
                )
        return JSONResponse({**base, "state": sess.state})

    @app.get("/sessions/{sid}/info")
    async def info(request: Request, sid: str) -> Response:
        sess = find(request, sid)
        if isinstance(sess, JSONResponse):
            return sess
        sess.last_seen = time.monotonic()
        await refresh(sess)
        return JSONResponse({"session_id": sess.session_id, "state": sess.state, "cluster": CLUSTER})

    @app.delete("/sessions/{sid}")
    async def delete(request: Request, sid: str) -> Response:
        sess = find(request, sid)
        if isinstance(sess, JSONResponse):
            return sess
        if sess.state != "CLOSED":
            sess.state = "CLOSED"
            if sess.session_id in queue:
                queue.remove(sess.session_id)
            if sess.gpu is not None:
                try:
                    await clients[sess.gpu].post("/stop_session", json={"reason": "Session ended: deleted by its client."})
                except Exception:
                    pass
        return JSONResponse({"session_id": sess.session_id, "state": sess.state})

    @app.api_route("/sessions/{sid}/transport/webrtc/{rest:path}", methods=["GET", "POST", "PUT", "DELETE"])
    async def signalling(request: Request, sid: str, rest: str) -> Response:
        sess = find(request, sid)
        if isinstance(sess, JSONResponse):
            return sess
        if sess.state == "CLOSED":
            return error(400, "session closed")
        if sess.gpu is None:
            return error(409, "the session is still waiting for a GPU")
        headers = {
            k: v for k, v in request.headers.items()
            if k.lower() in ("content-type", "reactor-webrtc-version", "reactor-api-version")
        }
        r = await clients[sess.gpu].request(
            request.method, f"/sessions/{sess.runtime_sid}/transport/webrtc/{rest}",
            content=await request.body(), headers=headers, params=dict(request.query_params),
        )
        return Response(r.content, status_code=r.status_code, media_type=r.headers.get("content-type"))

    return app


def main() -> None:
    """Serve the double on ``HOST``:``PORT`` in front of ``LLV_SIM_UPSTREAM``."""
    import uvicorn

    env = os.environ
    options = CloudOptions(
        upstream=[u.strip() for u in env["LLV_SIM_UPSTREAM"].split(",") if u.strip()],
        keys=keys_from_env(),
        capacity=int(env.get("LLV_SIM_CAPACITY", "1")),
        refuse_first=int(env.get("LLV_SIM_REFUSE_FIRST", "0")),
        retry_after=int(env.get("LLV_SIM_RETRY_AFTER", "2")),
        wait_polls=int(env.get("LLV_SIM_WAIT_POLLS", "2")),
        queue=int(env.get("LLV_SIM_QUEUE", "0")),
    )
    uvicorn.run(
        create_app(options), host=env.get("HOST", "127.0.0.1"), port=int(env.get("PORT", "8080")),
        access_log=False, log_level=env.get("LLV_SIM_CLOUD_LOG_LEVEL", "warning"),
    )


if __name__ == "__main__":
    main()
