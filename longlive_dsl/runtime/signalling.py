"""HTTP signalling with httpx: open a session, exchange SDP, close the session.

Two front doors, one signalling group:
- `LocalSignalling` talks to a runtime directly (`reactor-runtime`, the simulator, `--server URL`):
  `POST /start_session` (a 409 means a previous session is still open: stop it and start again),
  `POST /stop_session` at the end, no authentication.
- `CloudSignalling` talks to Reactor's coordinator: mints a JWT from the API key (`POST /tokens`),
  `POST /sessions` (a 429 is retried after `Retry-After`), polls `GET /sessions/{id}` until the
  session is ready, and `DELETE /sessions/{id}` at the end.
Both then use `/sessions/{sid}/transport/webrtc/connections[...]` to swap offer and answer.
Every call is traced (method, path, status); keys and tokens never reach the trace.

Every call has a total deadline (`call_timeout`, 30 s: connecting, sending and reading the whole
body, so a server dribbling a byte every few seconds fails too) and reads at most `MAX_BODY`
bytes of its answer. Every answer is validated against a pydantic model of what the protocol
says it holds (`responses`); anything else is a `Failure.SERVER` naming the step and what was
wrong with the answer.
"""

from __future__ import annotations

import asyncio
import email.utils
import time
import zlib
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import httpx
import pydantic

from .. import model
from . import Failure, RunError, Status
from .responses import (
    AnswerReady,
    ConnectionCreated,
    IceServers,
    LocalSessionStarted,
    ModelSchema,
    OfferAccepted,
    SessionCreated,
    SessionDescriptor,
    TokenMinted,
    describe_invalid,
)
from .trace import Trace

M = TypeVar("M", bound=pydantic.BaseModel)

API_VERSION_HEADERS = {"Reactor-API-Version": "1", "Reactor-API-Accept-Version": "1"}
WEBRTC_HEADERS = {"Reactor-WebRTC-Version": "1.0"}
CLIENT_INFO = {"sdk_type": "llv", "sdk_version": "0.1.0"}
DEFAULT_CLOUD_URL = "https://api.reactor.inc"
END_TIMEOUT = 5.0
"""Seconds allowed for stopping or deleting the session on the way out."""
QUEUE_POLL_SECONDS = 2.0
"""Longest pause between polls while the session waits in the coordinator's queue (a GPU may free any moment)."""
CALL_TIMEOUT = 30.0
"""Seconds one HTTP call may take in all: connecting, sending, and reading the whole answer."""
CONNECT_TIMEOUT = 10.0
"""Seconds allowed for opening the TCP (and TLS) connection of a call."""
MAX_BODY = 4 * 1024 * 1024
"""Bytes of an answer read at most; a longer successful answer is a server failure."""

StatusCallback = Callable[[Status, str], None]
Sleep = Callable[[float], Awaitable[None]]


def _body_message(resp: httpx.Response) -> str:
    try:
        body = resp.json()
    except ValueError:
        return resp.text.strip()[:300]
    if isinstance(body, dict):
        for key in ("message", "detail", "error"):
            if isinstance(body.get(key), str):
                return body[key]
    return str(body)[:300]


def retry_after_seconds(resp: httpx.Response, default: float) -> float:
    """`Retry-After` as seconds (delta-seconds or an HTTP date); `default` when absent or unreadable."""
    value = resp.headers.get("retry-after")
    if not value:
        return default
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
        return max(0.0, when.timestamp() - time.time())
    except (TypeError, ValueError):
        return default


def failure_for(resp: httpx.Response, what: str, *, cloud: bool = True, retried: bool = True) -> RunError:
    """The RunError for a refused HTTP call, with a message a person can act on.

    `cloud`: the call went to Reactor's cloud (a refusal is about the API key); `retried`: a 429
    was retried before giving up.
    """
    status, detail = resp.status_code, _body_message(resp)
    suffix = f": {detail}" if detail else ""
    if status in (401, 403):
        if not cloud:
            return RunError(
                Failure.AUTH,
                f"{what} was refused ({status}): the runtime wants credentials llv does not send to a --server URL"
                + suffix,
                status=status,
            )
        return RunError(
            Failure.AUTH,
            f"{what} was refused ({status}): the API key or token is not valid. "
            "Check REACTOR_API_KEY (keys start with `rk_`)" + suffix,
            status=status,
        )
    if status == 402:
        return RunError(Failure.BILLING, f"{what} was refused (402): out of credits or billing is not set up" + suffix, status=status)
    if status == 429:
        busy = "still busy after retrying" if retried else "the runtime is busy"
        return RunError(Failure.NO_CAPACITY, f"{what}: no capacity (429), {busy}" + suffix, status=status)
    if status == 426:
        return RunError(Failure.VERSION, f"{what} was refused (426): this client is too old for the server; upgrade llv" + suffix, status=status)
    if status == 501:
        return RunError(Failure.VERSION, f"{what} was refused (501): the server is too old for this client" + suffix, status=status)
    return RunError(Failure.SERVER, f"{what} failed with HTTP {status}" + suffix, status=status)


async def _once(data: bytes) -> Any:
    yield data


class _Undecodable(Exception):
    """An answer's body in an encoding llv cannot (or will not) read."""


async def _read_capped(resp: httpx.Response, limit: int) -> tuple[bytes, bool]:
    """At most `limit` bytes of a streamed body (inflated, if gzip or deflate), and whether there was more.

    Inflation is bounded too: a small compressed body that would inflate to gigabytes stops at the cap.
    """
    encoding = resp.headers.get("content-encoding", "identity").strip().lower()
    if encoding in ("", "identity"):
        inflate = None
    elif encoding in ("gzip", "x-gzip", "deflate"):
        inflate = zlib.decompressobj(47)  # gzip or zlib, told apart by the header
    else:
        raise _Undecodable(f"the answer is encoded as {encoding!r}, which llv does not read")
    body = bytearray()
    # (A response built in memory, as a test's mock transport makes, has no raw stream left.)
    chunks = resp.aiter_raw() if not resp.is_stream_consumed else _once(resp.content)
    async for raw in chunks:
        if inflate is None:
            body += raw
        else:
            data = raw
            try:
                while data and len(body) <= limit:
                    body += inflate.decompress(data, limit + 1 - len(body))
                    data = inflate.unconsumed_tail
            except zlib.error:
                raise _Undecodable(f"the answer's {encoding} encoding is broken") from None
        if len(body) > limit:
            return bytes(body[:limit]), True
    return bytes(body), False


def on_loopback(url: str) -> bool:
    """Whether `url` names this machine (localhost, 127.0.0.0/8, ::1): no proxy can reach it there."""
    import ipaddress
    from urllib.parse import urlsplit

    host = (urlsplit(url).hostname or "").rstrip(".").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class Signalling:
    """What both front doors share: traced HTTP calls and the WebRTC signalling group."""

    def __init__(
        self,
        base_url: str,
        trace: Trace,
        *,
        client: httpx.AsyncClient | None = None,
        on_status: StatusCallback | None = None,
        sleep: Sleep = asyncio.sleep,
        answer_timeout: float = 20.0,
        call_timeout: float = CALL_TIMEOUT,
    ):
        self.base_url = base_url.rstrip("/")
        self.trace = trace
        self._own_client = client is None
        self.call_timeout = call_timeout
        self.client = client or httpx.AsyncClient(
            timeout=httpx.Timeout(call_timeout, connect=min(CONNECT_TIMEOUT, call_timeout)),
            trust_env=not on_loopback(self.base_url),  # HTTP(S)_PROXY is for the world, never for this machine
        )
        self.on_status = on_status or (lambda s, d: None)
        self.sleep = sleep
        self.answer_timeout = answer_timeout
        self.session_id: str | None = None
        self.descriptor: dict[str, Any] = {}
        self.end_error: RunError | None = None
        """Why stopping or deleting the session failed, if it did (`CONNECTION_LOST`: the server could not be reached)."""

        self.on_capacity_wait: Callable[[float], None] = lambda seconds: None
        """Told of each wait for capacity, which does not count against the signalling deadline."""

    cloud = False
    """Whether this front door is Reactor's cloud (refusals are then about the API key)."""

    def _auth_headers(self) -> dict[str, str]:
        return {}

    async def call(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        headers: dict[str, str] | None = None,
        what: str | None = None,
        timeout: float | None = None,
    ) -> httpx.Response:
        """One traced HTTP call within its total deadline, the body read up to `MAX_BODY`.

        Network failures and deadlines become RunErrors; the response returned holds the whole
        (capped) body. A successful answer over the cap is a server failure.
        """
        what = what or f"{method} {path}"
        hdrs = {"Accept-Encoding": "identity", **self._auth_headers(), **(headers or {})}
        kwargs: dict[str, Any] = {"headers": hdrs}
        if json is not None:
            kwargs["json"] = json
        limit = self.call_timeout if timeout is None else min(timeout, self.call_timeout)
        t = time.monotonic()
        try:
            async with asyncio.timeout(limit):
                request = self.client.build_request(method, self.base_url + path, **kwargs)
                resp = await self.client.send(request, stream=True)
                try:
                    body, truncated = await _read_capped(resp, MAX_BODY)
                finally:
                    await resp.aclose()
        except (TimeoutError, httpx.TimeoutException):
            self.trace.http(method, path, None, error="timeout")
            raise RunError(
                Failure.TIMEOUT, f"{what}: the server did not answer within {limit:g} s ({self.base_url})"
            ) from None
        except _Undecodable as e:
            self.trace.http(method, path, None, error=str(e))
            raise RunError(Failure.SERVER, f"{what}: {e}") from None
        except (httpx.HTTPError, OSError, OverflowError, ExceptionGroup) as e:  # the transport's own, unwrapped
            self.trace.http(method, path, None, error=type(e).__name__)
            raise RunError(Failure.CONNECTION_LOST, f"{what}: cannot reach {self.base_url} ({type(e).__name__})") from None
        ms = round(1000 * (time.monotonic() - t), 1)
        if truncated:
            self.trace.http(method, path, resp.status_code, ms=ms, error=f"answer over {MAX_BODY} bytes")
            if resp.status_code < 400:
                raise RunError(
                    Failure.SERVER, f"{what}: the server's answer is larger than {MAX_BODY // (1024 * 1024)} MiB; gave up reading it"
                )
        else:
            self.trace.http(method, path, resp.status_code, ms=ms)
        return httpx.Response(resp.status_code, headers=resp.headers, content=body, request=resp.request)

    def parse(self, resp: httpx.Response, shape: type[M], what: str) -> M:
        """The answer's body as `shape`, or a server failure saying what was wrong with it."""
        try:
            return shape.model_validate_json(resp.content or b"null")
        except pydantic.ValidationError as e:
            problem = describe_invalid(e, resp.content)
            self.trace.write("event", what="malformed answer", step=what, problem=problem)
            raise RunError(Failure.SERVER, f"{what}: the server's answer is malformed: {problem}", status=resp.status_code) from None

    # -- the part both front doors share -----------------------------------------------------

    @property
    def _rtc(self) -> str:
        return f"/sessions/{self.session_id}/transport/webrtc"

    async def ice_servers(self) -> list[dict[str, Any]]:
        """The ICE servers the session offers (none locally)."""
        return []

    async def model_schema(self) -> dict[str, Any] | None:
        """The model's command schema over HTTP, where the front door serves it (not the cloud)."""
        return None

    async def create_connection(self) -> int | str:
        resp = await self.call("POST", f"{self._rtc}/connections", json={}, headers=WEBRTC_HEADERS, what="registering the connection")
        if resp.status_code not in (200, 201):
            raise self.refused(resp, "registering the connection")
        return self.parse(resp, ConnectionCreated, "registering the connection").connection_id

    async def send_offer(self, cid: int | str, sdp: str, mapping: list[dict[str, str]]) -> None:
        body = {"sdp_offer": sdp, "client_info": CLIENT_INFO, "track_mapping": mapping, "ice_servers": []}
        resp = await self.call("POST", f"{self._rtc}/connections/{cid}/sdp_params", json=body, headers=WEBRTC_HEADERS, what="sending the offer")
        if resp.status_code not in (200, 201, 202):
            raise self.refused(resp, "sending the offer")
        if resp.content.strip():  # an empty body is fine; anything else must be an object
            self.parse(resp, OfferAccepted, "sending the offer")

    async def wait_answer(self, cid: int | str) -> str:
        """Poll for the SDP answer (202 while pending; handed out once)."""
        deadline = time.monotonic() + self.answer_timeout
        delay = 0.05
        while True:
            resp = await self.call("GET", f"{self._rtc}/connections/{cid}/sdp_params", headers=WEBRTC_HEADERS, what="waiting for the answer")
            if resp.status_code == 200:
                return self.parse(resp, AnswerReady, "waiting for the answer").sdp_answer
            if resp.status_code != 202:
                raise self.refused(resp, "waiting for the answer")
            if time.monotonic() + delay > deadline:
                raise RunError(Failure.TIMEOUT, f"no SDP answer within {self.answer_timeout:g} s")
            await self.sleep(delay)
            delay = min(delay * 1.5, 1.0)

    def refused(self, resp: httpx.Response, what: str, *, retried: bool = False) -> RunError:
        """The RunError for a refused call of this front door (`retried`: after retrying a 429)."""
        return failure_for(resp, what, cloud=self.cloud, retried=retried)

    async def open(self) -> dict[str, Any]:
        raise NotImplementedError

    async def close(self) -> None:
        """End the session (errors are traced, never raised) and release the HTTP client."""
        try:
            await self._end_session()
        except RunError as e:
            self.end_error = e
        finally:
            if self._own_client:
                await self.client.aclose()

    async def _end_session(self) -> None:
        raise NotImplementedError


class LocalSignalling(Signalling):
    """A runtime served directly: the simulator, a local `reactor-runtime`, or `--server URL`."""

    conflict_wait = 15.0

    async def open(self) -> dict[str, Any]:
        """Start the runtime's single session (stopping a stale one on 409)."""
        self.on_status(Status.CONNECTING, self.base_url)
        deadline = time.monotonic() + self.conflict_wait
        stopped = False
        while True:
            resp = await self.call("POST", "/start_session", json={}, headers=API_VERSION_HEADERS, what="starting the session")
            if resp.status_code == 200:
                break
            if resp.status_code == 409 and time.monotonic() < deadline:
                # A previous run left the single session open (or it is still closing).
                if not stopped:
                    await self.call("POST", "/stop_session", json={"reason": "replaced by a new llv run"}, what="stopping the stale session")
                    stopped = True
                await self.sleep(0.2)
                continue
            if resp.status_code == 503 and time.monotonic() < deadline:
                await self.sleep(min(retry_after_seconds(resp, 0.5), 2.0))  # the model is still loading
                continue
            if resp.status_code == 409:
                raise RunError(Failure.SERVER, "the runtime's session stays busy (409) even after stopping it", status=409)
            raise self.refused(resp, "starting the session")
        started = self.parse(resp, LocalSessionStarted, "starting the session")
        self.descriptor = started.model_dump(mode="json")
        self.session_id = started.session_id
        self.on_status(Status.WAITING, f"session {self.session_id}")
        return self.descriptor

    async def model_schema(self) -> dict[str, Any] | None:
        """`GET /schema`: the runtime serves the schema it would send as `modelSchema`."""
        resp = await self.call("GET", "/schema", what="reading the model's schema")
        if resp.status_code != 200:
            return None
        return self.parse(resp, ModelSchema, "reading the model's schema").root

    async def _end_session(self) -> None:
        if self.session_id is not None:
            self.session_id = None
            await self.call(
                "POST", "/stop_session", json={"reason": "llv run ended"}, what="stopping the session", timeout=END_TIMEOUT
            )


class CloudSignalling(Signalling):
    """Reactor's cloud coordinator: API key → JWT → session → poll until ready."""

    def __init__(self, base_url: str, trace: Trace, api_key: str, *, capacity_wait: float = 300.0, **kw: Any):
        super().__init__(base_url, trace, **kw)
        self._api_key = api_key
        trace.redactor.add(api_key)
        self._jwt: str | None = None
        self.capacity_wait = capacity_wait
        self.expires_at: float | None = None

    cloud = True

    def _auth_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self._jwt}"} if self._jwt else {}

    async def mint_token(self) -> None:
        """Trade the API key for a JWT; the key goes in one header of one call and nowhere else."""
        resp = await self.call(
            "POST",
            "/tokens",
            json={"expires_after": 6 * 3600},
            headers={"Reactor-API-Key": self._api_key, **API_VERSION_HEADERS},
            what="getting a token for the API key",
        )
        if resp.status_code != 200:
            raise self.refused(resp, "getting a token for the API key")
        minted = self.parse(resp, TokenMinted, "getting a token for the API key")
        self.trace.redactor.add(minted.jwt)
        self._jwt = minted.jwt
        self.expires_at = minted.expires_at

    async def open(self) -> dict[str, Any]:
        self.on_status(Status.CONNECTING, self.base_url)
        await self.mint_token()
        body = {
            "model": {"name": model.MODEL_NAME},
            "client_info": CLIENT_INFO,
            "supported_transports": [{"protocol": "webrtc", "version": "1.0"}],
        }
        deadline = time.monotonic() + self.capacity_wait
        retried = False
        while True:
            resp = await self.call("POST", "/sessions", json=body, headers=API_VERSION_HEADERS, what="creating the session")
            if resp.status_code in (200, 201):
                break
            if resp.status_code == 429:
                wait = retry_after_seconds(resp, 6.0)
                if time.monotonic() + wait <= deadline:
                    self.trace.write("event", what="no capacity, retrying", retry_after=wait)
                    self.on_status(Status.CONNECTING, f"no capacity yet, retrying in {wait:g} s")
                    self.on_capacity_wait(wait)
                    await self.sleep(wait)
                    retried = True
                    continue
            raise self.refused(resp, "creating the session", retried=retried)
        created = self.parse(resp, SessionCreated, "creating the session")
        self.session_id = created.session_id
        self.on_status(Status.WAITING, f"session {self.session_id}: waiting for a GPU")
        self.descriptor = await self._poll_ready()
        return self.descriptor

    async def _poll_ready(self) -> dict[str, Any]:
        """Poll the session until it is ready (at most 20 polls, backing off to 10 s). While the coordinator
        says the session is queued for a GPU (WAITING with a `queue_position`), polls count as a wait for
        capacity instead (the signalling deadline moves on by the pause and the poll's own time), for up to
        `capacity_wait` seconds in all."""
        delay = 0.2
        polls = 0
        queued = 0.0  # seconds waited in the queue
        while True:
            asked = time.monotonic()
            resp = await self.call("GET", f"/sessions/{self.session_id}", headers=API_VERSION_HEADERS, what="waiting for the session")
            if resp.status_code != 200:
                raise self.refused(resp, "waiting for the session")
            desc = self.parse(resp, SessionDescriptor, "waiting for the session")
            state = desc.state.upper()
            if state in ("CLOSED", "INACTIVE"):
                raise RunError(Failure.CONNECTION_LOST, f"the session became {state} before it was ready")
            if desc.capabilities and desc.selected_transport:
                return desc.model_dump(mode="json")
            if state == "WAITING" and desc.queue_position is not None:
                pause = min(QUEUE_POLL_SECONDS, max(0.2, delay))
                waited = pause + (time.monotonic() - asked)  # the poll that said so was queue time too
                if queued + waited > self.capacity_wait:
                    raise RunError(Failure.NO_CAPACITY, f"still queued for a GPU (position {desc.queue_position}) "
                                   f"after {queued:.3g} s")
                queued += waited
                self.on_capacity_wait(waited)
                await self.sleep(pause)
                continue
            polls += 1
            if polls >= 20:
                raise RunError(Failure.TIMEOUT, "the session was not ready after 20 polls")
            await self.sleep(delay)
            delay = min(delay * 2, 10.0)

    async def ice_servers(self) -> list[dict[str, Any]]:
        resp = await self.call("GET", f"{self._rtc}/ice_servers", headers=WEBRTC_HEADERS, what="getting ICE servers")
        if resp.status_code != 200:
            return []
        listed = self.parse(resp, IceServers, "getting ICE servers")
        return [server.model_dump(mode="json", exclude_none=True) for server in listed.ice_servers]

    async def _end_session(self) -> None:
        if self.session_id is not None and self._jwt:
            sid, self.session_id = self.session_id, None
            resp = await self.call(
                "DELETE", f"/sessions/{sid}", headers=API_VERSION_HEADERS, what="deleting the session", timeout=END_TIMEOUT
            )
            if resp.status_code >= 400 and resp.status_code != 404:
                self.trace.write("event", what="DELETE refused", status=resp.status_code)
