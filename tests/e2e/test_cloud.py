"""End to end: the cloud coordinator double (`llv serve --cloud`) inside a network namespace.

The official client, given an API key and the double's URL, mints a token, creates a session,
polls it through the waiting phase, signals through the double and plays a storyboard; bad keys
and tokens are refused; no capacity answers 429 with Retry-After.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest
from test_serve_sdk import BUDGET, FPC, FPS, SIZE, TIME_SCALE, check_run

from longlive_dsl.sim.server import Simulator, http_json

pytestmark = pytest.mark.usefixtures("require_runtime")

CLIENT = str(Path(__file__).with_name("test_serve_sdk.py"))
GOOD, OTHER = "rk_test_good_key_123", "rk_test_other_key_456"
CREATE = {"model": {"name": "longlive-v2"}, "client_info": {"sdk_version": "0", "sdk_type": "test"},
          "supported_transports": [{"protocol": "webrtc", "version": "1.0"}]}


@pytest.fixture(scope="module")
def cloud(netns_module, tmp_path_factory):
    sim = Simulator(0, cloud=True, api_keys=[GOOD, OTHER], fps=FPS, frames_per_chunk=FPC, scene_budget=BUDGET,
                    size=SIZE, time_scale=TIME_SCALE, netns=netns_module.name,
                    log=tmp_path_factory.mktemp("cloud") / "sim.log")
    with sim:
        yield sim


def call(sim: Simulator, method: str, path: str, body=None, **headers):
    return http_json(method, sim.base_url + path, body, headers=headers, netns=sim.netns)


def token(sim: Simulator, key: str, **body) -> str:
    status, doc, _ = call(sim, "POST", "/tokens", body or None, **{"Reactor-API-Key": key})
    assert status == 200, doc
    return doc["jwt"]


def bearer(jwt: str) -> dict:
    return {"Authorization": f"Bearer {jwt}"}


def test_tokens(cloud):
    assert call(cloud, "POST", "/tokens")[0] == 401
    assert call(cloud, "POST", "/tokens", None, **{"Reactor-API-Key": "rk_wrong"})[0] == 401
    asked = time.time()
    status, doc, _ = call(cloud, "POST", "/tokens", {"expires_after": 10 * 3600}, **{"Reactor-API-Key": GOOD})
    assert status == 200 and set(doc) == {"jwt", "expires_at"}
    assert abs(doc["expires_at"] - (asked + 6 * 3600)) <= 5  # clamped to 6 h (not left at the 1 h default)
    status, short, _ = call(cloud, "POST", "/tokens", {"expires_after": 60}, **{"Reactor-API-Key": GOOD})
    assert status == 200 and abs(short["expires_at"] - (asked + 60)) <= 5  # a shorter lifetime is honoured
    assert GOOD not in cloud.log_text() and doc["jwt"] not in cloud.log_text()


def test_bad_tokens_are_refused(cloud):
    assert call(cloud, "POST", "/sessions", CREATE)[0] == 401
    assert call(cloud, "POST", "/sessions", CREATE, Authorization="Bearer nonsense")[0] == 401
    jwt = token(cloud, GOOD)
    forged = jwt[:-4] + ("AAAA" if not jwt.endswith("AAAA") else "BBBB")
    assert call(cloud, "POST", "/sessions", CREATE, **bearer(forged))[0] == 401
    short = token(cloud, GOOD, expires_after=1)
    time.sleep(1.2)
    status, doc, _ = call(cloud, "POST", "/sessions", CREATE, **bearer(short))
    assert status == 401 and "expired" in doc["message"]


def test_session_lifecycle_waiting_phase_owner_and_capacity(cloud):
    jwt, other = token(cloud, GOOD), token(cloud, OTHER)
    status, doc, _ = call(cloud, "POST", "/sessions", CREATE, **bearer(jwt))
    assert status == 201, doc
    sid = doc["session_id"]
    try:
        first = call(cloud, "GET", f"/sessions/{sid}", **bearer(jwt))[1]
        assert first["state"] not in ("ACTIVE", "CLOSED") and "capabilities" not in first
        for _ in range(5):
            doc = call(cloud, "GET", f"/sessions/{sid}", **bearer(jwt))[1]
            if "capabilities" in doc:
                break
        assert doc["state"] == "ACTIVE" and doc["selected_transport"]["protocol"] == "webrtc"
        assert doc["capabilities"]["tracks"] == [{"name": "main_video", "kind": "video", "direction": "recvonly"}]
        assert call(cloud, "GET", f"/sessions/{sid}", **bearer(other))[0] == 403
        ice = call(cloud, "GET", f"/sessions/{sid}/transport/webrtc/ice_servers", **bearer(jwt))
        assert ice[0] == 200 and ice[1] == {"ice_servers": []}
        # The one runtime is busy: a second session gets 429 + Retry-After.
        status, doc, headers = call(cloud, "POST", "/sessions", CREATE, **bearer(other))
        assert status == 429 and int(headers["retry-after"]) >= 1
    finally:
        assert call(cloud, "DELETE", f"/sessions/{sid}", **bearer(jwt))[0] == 200
    assert call(cloud, "GET", f"/sessions/{sid}", **bearer(jwt))[1]["state"] == "CLOSED"
    assert call(cloud, "DELETE", "/sessions/no-such-session", **bearer(jwt))[0] == 404


def test_sdk_with_a_good_key_plays_the_storyboard(cloud, netns_module):
    check_run(netns_module.run_json(CLIENT, cloud.base_url, GOOD))


def test_sdk_with_a_bad_key_is_refused(cloud, netns_module):
    done = netns_module.run([sys.executable, CLIENT, cloud.base_url, "rk_bad"],
                            capture_output=True, text=True, timeout=60)
    assert done.returncode != 0
    assert "401" in done.stderr, done.stderr[-2000:]


def test_no_capacity_answers_429_with_retry_after(netns_module, tmp_path):
    with Simulator(0, cloud=True, api_keys=[GOOD], capacity=0, retry_after=7, size=SIZE,
                   netns=netns_module.name, log=tmp_path / "sim.log") as sim:
        status, doc, headers = call(sim, "POST", "/sessions", CREATE, **bearer(token(sim, GOOD)))
        assert status == 429 and headers["retry-after"] == "7" and "capacity" in doc["message"]


def test_refuse_first_then_accept(netns_module, tmp_path):
    with Simulator(0, cloud=True, api_keys=[GOOD], refuse_first=1, size=SIZE,
                   netns=netns_module.name, log=tmp_path / "sim.log") as sim:
        jwt = token(sim, GOOD)
        status, _, headers = call(sim, "POST", "/sessions", CREATE, **bearer(jwt))
        assert status == 429 and "retry-after" in headers
        status, doc, _ = call(sim, "POST", "/sessions", CREATE, **bearer(jwt))
        assert status == 201
        assert call(sim, "DELETE", f"/sessions/{doc['session_id']}", **bearer(jwt))[0] == 200


def test_the_same_user_reclaims_a_session_left_behind(cloud):
    """A client that died without DELETE must not lock its user out: their next session wins."""
    jwt = token(cloud, GOOD)
    status, doc, _ = call(cloud, "POST", "/sessions", CREATE, **bearer(jwt))
    assert status == 201
    left_behind = doc["session_id"]
    status, doc, _ = call(cloud, "POST", "/sessions", CREATE, **bearer(token(cloud, GOOD)))
    assert status == 201, doc
    assert call(cloud, "GET", f"/sessions/{left_behind}", **bearer(jwt))[1]["state"] == "CLOSED"
    assert call(cloud, "DELETE", f"/sessions/{doc['session_id']}", **bearer(jwt))[0] == 200
