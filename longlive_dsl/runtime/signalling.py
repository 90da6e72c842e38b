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
"""

from __future__ import annotations

import asyncio
import email.utils
import time
from collections.abc import Awaitable, Callable
from typing import Any

import httpx

from .. import model
from . import Failure, RunError, Status
from .trace import Trace

API_VERSION_HEADERS = {"Reactor-API-Version": "1", "Reactor-API-Accept-Version": "1"}
WEBRTC_HEADERS = {"Reactor-WebRTC-Version": "1.0"}
CLIENT_INFO = {"sdk_type": "llv", "sdk_version": "0.1.0"}
DEFAULT_CLOUD_URL = "https://api.reactor.inc"
END_TIMEOUT = 5.0
"""Seconds allowed for stopping or deleting the session on the way out."""

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


def failure_for(resp: httpx.Response, what: str) -> RunError:
    """The RunError for a refused HTTP call, with a message a person can act on."""
    status, detail = resp.status_code, _body_message(resp)
    suffix = f": {detail}" if detail else ""
    if status in (401, 403):
        return RunError(
            Failure.AUTH,
            f"{what} was refused ({status}): the API key or token is not valid. "
            "Check REACTOR_API_KEY (keys start with `rk_`)" + suffix,
            status=status,
        )
    if status == 402:
        return RunError(Failure.BILLING, f"{what} was refused (402): out of credits or billing is not set up" + suffix, status=status)
    if status == 429:
        return RunError(Failure.NO_CAPACITY, f"{what}: no capacity (429), still busy after retrying" + suffix, status=status)
    if status == 426:
        return RunError(Failure.VERSION, f"{what} was refused (426): this client is too old for the server; upgrade llv" + suffix, status=status)
    if status == 501:
        return RunError(Failure.VERSION, f"{what} was refused (501): the server is too old for this client" + suffix, status=status)
    return RunError(Failure.SERVER, f"{what} failed with HTTP {status}" + suffix, status=status)


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
    ):
        self.base_url = base_url.rstrip("/")
        self.trace = trace
        self._own_client = client is None
        self.client = client or httpx.AsyncClient(timeout=httpx.Timeout(30.0, connect=10.0))
        self.on_status = on_status or (lambda s, d: None)
        self.sleep = sleep
        self.answer_timeout = answer_timeout
        self.session_id: str | None = None
        self.descriptor: dict[str, Any] = {}

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
        """One traced HTTP call; network failures become RunErrors."""
        what = what or f"{method} {path}"
        hdrs = {**self._auth_headers(), **(headers or {})}
        kwargs: dict[str, Any] = {"headers": hdrs}
        if json is not None:
            kwargs["json"] = json
        if timeout is not None:
            kwargs["timeout"] = timeout
        t = time.monotonic()
        try:
            resp = await self.client.request(method, self.base_url + path, **kwargs)
        except httpx.TimeoutException:
            self.trace.http(method, path, None, error="timeout")
            raise RunError(Failure.TIMEOUT, f"{what}: the server did not answer in time ({self.base_url})") from None
        except httpx.HTTPError as e:
            self.trace.http(method, path, None, error=type(e).__name__)
            raise RunError(Failure.CONNECTION_LOST, f"{what}: cannot reach {self.base_url} ({type(e).__name__})") from None
        self.trace.http(method, path, resp.status_code, ms=round(1000 * (time.monotonic() - t), 1))
        return resp

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
            raise failure_for(resp, "registering the connection")
        return resp.json()["connection_id"]

    async def send_offer(self, cid: int | str, sdp: str, mapping: list[dict[str, str]]) -> None:
        body = {"sdp_offer": sdp, "client_info": CLIENT_INFO, "track_mapping": mapping, "ice_servers": []}
        resp = await self.call("POST", f"{self._rtc}/connections/{cid}/sdp_params", json=body, headers=WEBRTC_HEADERS, what="sending the offer")
        if resp.status_code not in (200, 201, 202):
            raise failure_for(resp, "sending the offer")

    async def wait_answer(self, cid: int | str) -> str:
        """Poll for the SDP answer (202 while pending; handed out once)."""
        deadline = time.monotonic() + self.answer_timeout
        delay = 0.05
        while True:
            resp = await self.call("GET", f"{self._rtc}/connections/{cid}/sdp_params", headers=WEBRTC_HEADERS, what="waiting for the answer")
            if resp.status_code == 200:
                answer = resp.json().get("sdp_answer")
                if not answer:
                    raise RunError(Failure.SERVER, "the server answered without an SDP answer")
                return answer
            if resp.status_code != 202:
                raise failure_for(resp, "waiting for the answer")
            if time.monotonic() + delay > deadline:
                raise RunError(Failure.TIMEOUT, f"no SDP answer within {self.answer_timeout:g} s")
            await self.sleep(delay)
            delay = min(delay * 1.5, 1.0)

    async def open(self) -> dict[str, Any]:
        raise NotImplementedError

    async def close(self) -> None:
        """End the session (errors are traced, never raised) and release the HTTP client."""
        try:
            await self._end_session()
        except RunError:
            pass
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
            raise failure_for(resp, "starting the session")
        self.descriptor = resp.json()
        self.session_id = self.descriptor["session_id"]
        self.on_status(Status.WAITING, f"session {self.session_id}")
        return self.descriptor

    async def model_schema(self) -> dict[str, Any] | None:
        """`GET /schema`: the runtime serves the schema it would send as `modelSchema`."""
        resp = await self.call("GET", "/schema", what="reading the model's schema")
        return resp.json() if resp.status_code == 200 else None

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
            raise failure_for(resp, "getting a token for the API key")
        body = resp.json()
        jwt = body.get("jwt")
        if not isinstance(jwt, str) or not jwt:
            raise RunError(Failure.SERVER, "the token endpoint answered without a token")
        self.trace.redactor.add(jwt)
        self._jwt = jwt
        self.expires_at = body.get("expires_at")

    async def open(self) -> dict[str, Any]:
        self.on_status(Status.CONNECTING, self.base_url)
        await self.mint_token()
        body = {
            "model": {"name": model.MODEL_NAME},
            "client_info": CLIENT_INFO,
            "supported_transports": [{"protocol": "webrtc", "version": "1.0"}],
        }
        deadline = time.monotonic() + self.capacity_wait
        while True:
            resp = await self.call("POST", "/sessions", json=body, headers=API_VERSION_HEADERS, what="creating the session")
            if resp.status_code in (200, 201):
                break
            if resp.status_code == 429:
                wait = retry_after_seconds(resp, 6.0)
                if time.monotonic() + wait <= deadline:
                    self.trace.write("event", what="no capacity, retrying", retry_after=wait)
                    self.on_status(Status.CONNECTING, f"no capacity yet, retrying in {wait:g} s")
                    await self.sleep(wait)
                    continue
            raise failure_for(resp, "creating the session")
        created = resp.json()
        self.session_id = created["session_id"]
        self.on_status(Status.WAITING, f"session {self.session_id}: waiting for a GPU")
        self.descriptor = await self._poll_ready(created)
        return self.descriptor

    async def _poll_ready(self, created: dict[str, Any]) -> dict[str, Any]:
        delay = 0.2
        for _ in range(20):
            resp = await self.call("GET", f"/sessions/{self.session_id}", headers=API_VERSION_HEADERS, what="waiting for the session")
            if resp.status_code != 200:
                raise failure_for(resp, "waiting for the session")
            desc = resp.json()
            state = str(desc.get("state", "")).upper()
            if state in ("CLOSED", "INACTIVE"):
                raise RunError(Failure.CONNECTION_LOST, f"the session became {state} before it was ready")
            if desc.get("capabilities") and desc.get("selected_transport"):
                return desc
            await self.sleep(delay)
            delay = min(delay * 2, 10.0)
        raise RunError(Failure.TIMEOUT, "the session was not ready after 20 polls")

    async def ice_servers(self) -> list[dict[str, Any]]:
        resp = await self.call("GET", f"{self._rtc}/ice_servers", headers=WEBRTC_HEADERS, what="getting ICE servers")
        if resp.status_code != 200:
            return []
        servers = resp.json().get("ice_servers") or []
        return servers if isinstance(servers, list) else []

    async def _end_session(self) -> None:
        if self.session_id is not None and self._jwt:
            sid, self.session_id = self.session_id, None
            resp = await self.call(
                "DELETE", f"/sessions/{sid}", headers=API_VERSION_HEADERS, what="deleting the session", timeout=END_TIMEOUT
            )
            if resp.status_code >= 400 and resp.status_code != 404:
                self.trace.write("event", what="DELETE refused", status=resp.status_code)
