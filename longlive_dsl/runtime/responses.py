"""What each signalling answer must hold: pydantic models of the responses `llv run` reads.

Only the fields the client uses are required; anything else a server adds is ignored. A body that
is not JSON, or JSON of the wrong shape (`null`, a list, `{}`), fails validation, and
`describe_invalid` turns the failure into one line naming the fields that were wrong, without
echoing the values (a token could be among them).
"""

from __future__ import annotations

from typing import Annotated, Any

import pydantic
from pydantic import BaseModel, ConfigDict, Field, RootModel

_NonEmpty = Field(min_length=1)
_PathPart = Field(pattern=r"^[A-Za-z0-9._~-]{1,200}$")  # it goes into URL paths: no `/`, no `?`


class _Answer(BaseModel):
    model_config = ConfigDict(extra="ignore")


class LocalSessionStarted(_Answer):
    """`POST /start_session` on a runtime."""

    model_config = ConfigDict(extra="allow")
    session_id: str = _PathPart


class TokenMinted(_Answer):
    """`POST /tokens` on the cloud."""

    jwt: str = _NonEmpty
    expires_at: float | None = None


class SessionCreated(_Answer):
    """`POST /sessions` on the cloud."""

    session_id: str = _PathPart
    state: str | None = None


class SessionDescriptor(_Answer):
    """`GET /sessions/{id}` on the cloud: ready once it has capabilities and a selected transport."""

    model_config = ConfigDict(extra="allow")
    session_id: str | None = None
    state: str
    capabilities: dict[str, Any] | None = None
    selected_transport: dict[str, Any] | None = None
    queue_position: int | None = None  # WAITING in a queue for a GPU (the cloud double says so; 1 = next)


class IceServer(_Answer):
    """One STUN/TURN server the cloud offers."""

    uris: list[str] | None = None
    urls: list[str] | None = None
    credentials: dict[str, str] | None = None

    @pydantic.model_validator(mode="after")
    def _has_urls(self) -> IceServer:
        if not (self.uris or self.urls):
            raise ValueError("an ICE server without `uris`")
        return self


class IceServers(_Answer):
    """`GET …/ice_servers`."""

    ice_servers: list[IceServer]


class ConnectionCreated(_Answer):
    """`POST …/connections`."""

    connection_id: int | Annotated[str, _PathPart]


class OfferAccepted(_Answer):
    """`POST …/connections/{cid}/sdp_params` (the body, when there is one, is an object)."""


class AnswerReady(_Answer):
    """`GET …/connections/{cid}/sdp_params` once the answer is ready."""

    sdp_answer: str = _NonEmpty


class ModelSchema(RootModel[dict[str, Any]]):
    """`GET /schema`: the model's command schema, a JSON object."""


def describe_invalid(error: pydantic.ValidationError, body: bytes) -> str:
    """One line saying what was wrong with an answer, without quoting its values."""
    if not body.strip():
        return "the body is empty"
    for e in error.errors(include_url=False, include_input=False):
        if e["type"] == "json_invalid":
            return "the body is not JSON"
    problems = []
    for e in error.errors(include_url=False, include_input=False):
        where = ".".join(str(part) for part in e["loc"])
        if e["type"] in ("model_type", "dict_type") and not where:  # a model's, or ModelSchema's dict
            return f"expected a JSON object, got {_json_kind(body)}"
        problems.append(f"`{where}`: {e['msg']}" if where else e["msg"])
    return "; ".join(problems[:5])


def _json_kind(body: bytes) -> str:
    first = body.lstrip()[:1]
    return {b"[": "a list", b"n": "null", b'"': "a string", b"t": "a boolean", b"f": "a boolean"}.get(first, "a number")
