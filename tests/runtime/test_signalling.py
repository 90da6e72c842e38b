"""Signalling against a fake server (httpx.MockTransport): local and cloud front doors, every failure class."""

import asyncio
import json
import time

import httpx
import pytest

from longlive_dsl.runtime import Failure, RunError, Status
from longlive_dsl.runtime.signalling import CloudSignalling, LocalSignalling, retry_after_seconds
from longlive_dsl.runtime.trace import Redactor, Trace, read_trace

KEY = "rk_test_0123456789abcdef"
JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJvd25lciJ9.c2ln"
SID = "sess-42"
RTC = f"/sessions/{SID}/transport/webrtc"


class FakeServer:
    """Answers by (method, path); a list answers in turn (the last one repeats). Records every request."""

    def __init__(self, routes):
        self.routes = {k: (v if isinstance(v, list) else [v]) for k, v in routes.items()}
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answers = self.routes.get((request.method, request.url.path))
        if answers is None:
            return httpx.Response(404, json={"detail": "not found"})
        answer = answers.pop(0) if len(answers) > 1 else answers[0]
        return answer() if callable(answer) else answer

    def calls(self):
        return [(r.method, r.url.path) for r in self.requests]


def R(status, body=None, headers=None):
    return httpx.Response(status, json=body, headers=headers) if body is not None else httpx.Response(status, headers=headers)


def run(coro):
    return asyncio.run(coro)


async def no_sleep(seconds):
    no_sleep.slept.append(seconds)


def make(cls, server, tmp_path, **kw):
    no_sleep.slept = []
    trace = Trace(tmp_path / "trace.jsonl", Redactor())
    client = httpx.AsyncClient(transport=httpx.MockTransport(server))
    statuses = []
    sig = cls("http://fake", trace, client=client, sleep=no_sleep, on_status=lambda s, d: statuses.append(s), **kw)
    return sig, trace, statuses


DESCRIPTOR = {"session_id": SID, "state": "waiting", "capabilities": {"tracks": []}, "selected_transport": {}}

# ------------------------------------------------------------------------------------------ local


def test_local_start_reports_connecting_then_waiting(tmp_path):
    server = FakeServer({("POST", "/start_session"): R(200, DESCRIPTOR)})
    sig, _, statuses = make(LocalSignalling, server, tmp_path)
    assert run(sig.open())["session_id"] == SID
    assert statuses == [Status.CONNECTING, Status.WAITING]


def test_local_409_stops_the_stale_session_and_starts_again(tmp_path):
    server = FakeServer({
        ("POST", "/start_session"): [R(409, {"detail": "cannot start session while waiting"}), R(200, DESCRIPTOR)],
        ("POST", "/stop_session"): R(200),
    })
    sig, _, _ = make(LocalSignalling, server, tmp_path)
    run(sig.open())
    assert server.calls() == [("POST", "/start_session"), ("POST", "/stop_session"), ("POST", "/start_session")]


def test_local_409_that_never_clears_is_a_server_failure(tmp_path, monkeypatch):
    server = FakeServer({("POST", "/start_session"): R(409, {"detail": "busy"}), ("POST", "/stop_session"): R(200)})
    sig, _, _ = make(LocalSignalling, server, tmp_path)
    sig.conflict_wait = 0.0
    with pytest.raises(RunError) as e:
        run(sig.open())
    assert e.value.failure is Failure.SERVER


def test_local_503_while_loading_is_waited_out(tmp_path):
    server = FakeServer({("POST", "/start_session"): [R(503, {"detail": "loading"}, {"Retry-After": "1"}), R(200, DESCRIPTOR)]})
    sig, _, _ = make(LocalSignalling, server, tmp_path)
    run(sig.open())
    assert no_sleep.slept == [1.0]


def test_local_close_stops_the_session(tmp_path):
    server = FakeServer({("POST", "/start_session"): R(200, DESCRIPTOR), ("POST", "/stop_session"): R(200)})
    sig, _, _ = make(LocalSignalling, server, tmp_path)
    run(sig.open())
    run(sig.close())
    assert server.calls()[-1] == ("POST", "/stop_session")


def test_a_local_runtime_serves_the_schema_over_http(tmp_path):
    doc = {"paths": {"/events/start": {}}}
    sig, _, _ = make(LocalSignalling, FakeServer({("GET", "/schema"): R(200, doc)}), tmp_path)
    assert run(sig.model_schema()) == doc
    sig, _, _ = make(LocalSignalling, FakeServer({}), tmp_path)
    assert run(sig.model_schema()) is None


def test_the_cloud_serves_no_schema_over_http(tmp_path):
    server = FakeServer({})
    sig, _, _ = make(CloudSignalling, server, tmp_path, api_key=KEY)
    assert run(sig.model_schema()) is None and server.calls() == []


def test_unreachable_server_is_a_lost_connection(tmp_path):
    def refuse(request):
        raise httpx.ConnectError("refused", request=request)

    sig, _, _ = make(LocalSignalling, refuse, tmp_path)
    with pytest.raises(RunError) as e:
        run(sig.open())
    assert e.value.failure is Failure.CONNECTION_LOST and "cannot reach" in e.value.message


def test_a_server_that_never_answers_is_a_timeout(tmp_path):
    def slow(request):
        raise httpx.ReadTimeout("slow", request=request)

    sig, _, _ = make(LocalSignalling, slow, tmp_path)
    with pytest.raises(RunError) as e:
        run(sig.open())
    assert e.value.failure is Failure.TIMEOUT

# ------------------------------------------------------------------------------------ signalling


def test_offer_carries_the_track_mapping_and_no_ice_servers(tmp_path):
    server = FakeServer({
        ("POST", "/start_session"): R(200, DESCRIPTOR),
        ("POST", f"{RTC}/connections"): R(201, {"connection_id": 4711}),
        ("POST", f"{RTC}/connections/4711/sdp_params"): R(202, {"connection_id": 4711}),
        ("GET", f"{RTC}/connections/4711/sdp_params"): [R(202), R(202), R(200, {"sdp_answer": "v=0 answer"})],
    })
    sig, _, _ = make(LocalSignalling, server, tmp_path)

    async def go():
        await sig.open()
        cid = await sig.create_connection()
        mapping = [{"mid": "0", "name": "main_video", "kind": "video", "direction": "recvonly"}]
        await sig.send_offer(cid, "v=0 offer", mapping)
        return await sig.wait_answer(cid)

    assert run(go()) == "v=0 answer"
    offer = json.loads(server.requests[2].content)
    assert offer["ice_servers"] == [] and offer["track_mapping"][0]["name"] == "main_video"
    assert server.requests[2].headers["Reactor-WebRTC-Version"] == "1.0"


def test_an_answer_that_never_comes_is_a_timeout(tmp_path):
    server = FakeServer({("GET", f"{RTC}/connections/1/sdp_params"): R(202)})
    sig, _, _ = make(LocalSignalling, server, tmp_path, answer_timeout=0.0)
    sig.session_id = SID
    with pytest.raises(RunError) as e:
        run(sig.wait_answer(1))
    assert e.value.failure is Failure.TIMEOUT

# ------------------------------------------------------------------------------------------ cloud


def cloud_routes(over=None):
    routes = {
        ("POST", "/tokens"): R(200, {"jwt": JWT, "expires_at": 2_000_000_000}),
        ("POST", "/sessions"): R(201, {"session_id": SID, "state": "PENDING"}),
        ("GET", f"/sessions/{SID}"): [R(200, {"session_id": SID, "state": "WAITING"}),
                                      R(200, {"session_id": SID, "state": "ACTIVE", "capabilities": {"tracks": []},
                                              "selected_transport": {"protocol": "webrtc", "version": "1.0"}})],
        ("GET", f"{RTC}/ice_servers"): R(200, {"ice_servers": [{"uris": ["stun:example"]}]}),
        ("DELETE", f"/sessions/{SID}"): R(200),
    }
    routes.update(over or {})
    return routes


def cloud(server, tmp_path, **kw):
    return make(lambda *a, **k: CloudSignalling(*a, api_key=KEY, **k, **kw), server, tmp_path)


def test_cloud_mints_a_token_creates_a_session_and_polls_until_ready(tmp_path):
    server = FakeServer(cloud_routes())
    sig, _, statuses = cloud(server, tmp_path)
    desc = run(sig.open())
    assert desc["state"] == "ACTIVE"
    assert server.calls() == [("POST", "/tokens"), ("POST", "/sessions"), ("GET", f"/sessions/{SID}"), ("GET", f"/sessions/{SID}")]
    assert statuses == [Status.CONNECTING, Status.WAITING]
    assert no_sleep.slept == [0.2]


def test_the_api_key_goes_only_to_the_token_endpoint(tmp_path):
    server = FakeServer(cloud_routes())
    sig, _, _ = cloud(server, tmp_path)
    run(sig.open())
    run(sig.close())
    assert server.requests[0].headers["Reactor-API-Key"] == KEY
    for r in server.requests[1:]:
        assert KEY not in str(r.headers) and r.headers["Authorization"] == f"Bearer {JWT}"


def test_the_session_body_names_the_model_and_the_transport(tmp_path):
    server = FakeServer(cloud_routes())
    sig, _, _ = cloud(server, tmp_path)
    run(sig.open())
    body = json.loads(server.requests[1].content)
    assert body["model"] == {"name": "longlive-v2"}
    assert body["supported_transports"] == [{"protocol": "webrtc", "version": "1.0"}]


def test_cloud_hands_the_session_ice_servers_to_the_peer(tmp_path):
    server = FakeServer(cloud_routes())
    sig, _, _ = cloud(server, tmp_path)
    run(sig.open())
    assert run(sig.ice_servers()) == [{"uris": ["stun:example"]}]


def test_a_bad_key_is_an_auth_failure_with_a_message_about_the_key(tmp_path):
    server = FakeServer(cloud_routes({("POST", "/tokens"): R(401, {"message": "unknown API key"})}))
    sig, _, _ = cloud(server, tmp_path)
    with pytest.raises(RunError) as e:
        run(sig.open())
    assert e.value.failure is Failure.AUTH and e.value.exit_code == 3
    assert "REACTOR_API_KEY" in e.value.message and "unknown API key" in e.value.message


def test_a_refused_token_on_a_later_call_is_an_auth_failure(tmp_path):
    server = FakeServer(cloud_routes({("POST", "/sessions"): R(403, {"message": "forbidden"})}))
    sig, _, _ = cloud(server, tmp_path)
    with pytest.raises(RunError) as e:
        run(sig.open())
    assert e.value.failure is Failure.AUTH


def test_billing_is_its_own_failure(tmp_path):
    server = FakeServer(cloud_routes({("POST", "/sessions"): R(402, {"message": "no credits"})}))
    sig, _, _ = cloud(server, tmp_path)
    with pytest.raises(RunError) as e:
        run(sig.open())
    assert e.value.failure is Failure.BILLING and "no credits" in e.value.message


def test_no_capacity_is_retried_after_retry_after(tmp_path):
    busy = R(429, {"message": "no available capacity"}, {"Retry-After": "3"})
    server = FakeServer(cloud_routes({("POST", "/sessions"): [busy, busy, R(201, {"session_id": SID, "state": "PENDING"})]}))
    sig, _, _ = cloud(server, tmp_path)
    run(sig.open())
    assert server.calls().count(("POST", "/sessions")) == 3
    assert no_sleep.slept[:2] == [3.0, 3.0]


def test_no_capacity_without_retry_after_waits_six_seconds(tmp_path):
    busy = R(429, {"message": "no available capacity"})
    server = FakeServer(cloud_routes({("POST", "/sessions"): [busy, R(201, {"session_id": SID, "state": "PENDING"})]}))
    sig, _, _ = cloud(server, tmp_path)
    run(sig.open())
    assert no_sleep.slept[0] == 6.0


def test_no_capacity_past_the_wait_allowed_is_a_capacity_failure(tmp_path):
    busy = R(429, {"message": "no available capacity"}, {"Retry-After": "30"})
    server = FakeServer(cloud_routes({("POST", "/sessions"): busy}))
    sig, _, _ = cloud(server, tmp_path, capacity_wait=10)
    with pytest.raises(RunError) as e:
        run(sig.open())
    assert e.value.failure is Failure.NO_CAPACITY and e.value.exit_code == 5


@pytest.mark.parametrize("status,words", [(426, "too old for the server"), (501, "server is too old")])
def test_version_mismatches_say_which_side_is_old(tmp_path, status, words):
    server = FakeServer(cloud_routes({("POST", "/sessions"): R(status, {"message": "version"})}))
    sig, _, _ = cloud(server, tmp_path)
    with pytest.raises(RunError) as e:
        run(sig.open())
    assert e.value.failure is Failure.VERSION and words in e.value.message


def test_a_session_that_closes_while_waiting_is_a_lost_connection(tmp_path):
    server = FakeServer(cloud_routes({("GET", f"/sessions/{SID}"): R(200, {"session_id": SID, "state": "CLOSED"})}))
    sig, _, _ = cloud(server, tmp_path)
    with pytest.raises(RunError) as e:
        run(sig.open())
    assert e.value.failure is Failure.CONNECTION_LOST


def test_a_session_never_ready_gives_up_after_twenty_polls_with_capped_backoff(tmp_path):
    server = FakeServer(cloud_routes({("GET", f"/sessions/{SID}"): R(200, {"session_id": SID, "state": "WAITING"})}))
    sig, _, _ = cloud(server, tmp_path)
    with pytest.raises(RunError) as e:
        run(sig.open())
    assert e.value.failure is Failure.TIMEOUT
    assert server.calls().count(("GET", f"/sessions/{SID}")) == 20
    assert no_sleep.slept[:4] == [0.2, 0.4, 0.8, 1.6] and max(no_sleep.slept) == 10.0


def test_close_deletes_the_session(tmp_path):
    server = FakeServer(cloud_routes())
    sig, _, _ = cloud(server, tmp_path)
    run(sig.open())
    run(sig.close())
    assert server.calls()[-1] == ("DELETE", f"/sessions/{SID}")


def test_a_404_on_delete_counts_as_done(tmp_path):
    server = FakeServer(cloud_routes({("DELETE", f"/sessions/{SID}"): R(404, {"message": "gone"})}))
    sig, _, _ = cloud(server, tmp_path)
    run(sig.open())
    run(sig.close())  # no exception


def test_neither_key_nor_jwt_reaches_the_trace(tmp_path):
    server = FakeServer(cloud_routes())
    sig, trace, _ = cloud(server, tmp_path)
    run(sig.open())
    run(sig.close())
    trace.write("event", what="recorder error", error=f"leak attempt {KEY} {JWT}")
    trace.close()
    text = (tmp_path / "trace.jsonl").read_text()
    assert KEY not in text and JWT not in text
    assert [r["status"] for r in read_trace(tmp_path / "trace.jsonl") if r["kind"] == "http"][:2] == [200, 201]


def test_retry_after_reads_seconds_and_falls_back_on_garbage():
    assert retry_after_seconds(R(429, headers={"Retry-After": "7"}), 6.0) == 7.0
    assert retry_after_seconds(R(429, headers={"Retry-After": "soon"}), 6.0) == 6.0
    assert retry_after_seconds(R(429), 6.0) == 6.0


def test_a_session_queued_for_a_gpu_waits_as_for_capacity_beyond_twenty_polls(tmp_path):
    queued = R(200, {"session_id": SID, "state": "WAITING", "queue_position": 1})
    ready = cloud_routes()[("GET", f"/sessions/{SID}")][-1]
    server = FakeServer(cloud_routes({("GET", f"/sessions/{SID}"): [queued] * 30 + [ready]}))
    sig, _, _ = cloud(server, tmp_path)
    waits = []
    sig.on_capacity_wait = waits.append
    run(sig.open())
    assert server.calls().count(("GET", f"/sessions/{SID}")) == 31
    assert len(waits) == 30 and max(waits) <= 2.0  # each pause moves the signalling deadline on


def test_a_slow_poll_while_queued_counts_as_capacity_wait_too(tmp_path):
    """The coordinator took 0.3 s to say "still queued": that time moves the signalling deadline on
    with the pause, so a slow coordinator cannot spend the deadline a queued session is owed."""
    def slowly_queued():
        time.sleep(0.3)
        return R(200, {"session_id": SID, "state": "WAITING", "queue_position": 2})

    ready = cloud_routes()[("GET", f"/sessions/{SID}")][-1]
    server = FakeServer(cloud_routes({("GET", f"/sessions/{SID}"): [slowly_queued] * 3 + [ready]}))
    sig, _, _ = cloud(server, tmp_path)
    waits = []
    sig.on_capacity_wait = waits.append
    run(sig.open())
    assert len(waits) == 3
    assert all(wait >= pause + 0.3 for wait, pause in zip(waits, no_sleep.slept[-3:], strict=True)), (waits, no_sleep.slept)


def test_a_session_queued_longer_than_the_capacity_wait_has_no_capacity(tmp_path):
    queued = R(200, {"session_id": SID, "state": "WAITING", "queue_position": 3})
    server = FakeServer(cloud_routes({("GET", f"/sessions/{SID}"): queued}))
    sig, _, _ = cloud(server, tmp_path, capacity_wait=10)
    with pytest.raises(RunError) as e:
        run(sig.open())
    assert e.value.failure is Failure.NO_CAPACITY and "position 3" in e.value.message
    assert sum(no_sleep.slept) <= 10


@pytest.mark.parametrize(("shape", "body", "said"), [
    ("AnswerReady", b"", "the body is empty"),
    ("AnswerReady", b"<html>oops</html>", "the body is not JSON"),
    ("AnswerReady", b"[1, 2]", "expected a JSON object, got a list"),
    ("AnswerReady", b"null", "expected a JSON object, got null"),
    ("ModelSchema", b'"text"', "expected a JSON object, got a string"),
    ("ModelSchema", b"42", "expected a JSON object, got a number"),
    ("AnswerReady", b'{"sdp_answer": ""}', "`sdp_answer`: String should have at least 1 character"),
])
def test_a_malformed_answer_is_described_by_its_shape_never_its_values(shape, body, said):
    import pydantic

    from longlive_dsl.runtime import responses

    with pytest.raises(pydantic.ValidationError) as e:
        getattr(responses, shape).model_validate_json(body or b"null")
    assert responses.describe_invalid(e.value, body) == said
