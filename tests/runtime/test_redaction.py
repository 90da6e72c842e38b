"""Keys and tokens never reach a trace."""

import json

from longlive_dsl.runtime.trace import REDACTED, Redactor, Trace, read_trace

KEY = "rk_live_9f8e7d6c5b4a"
JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl"


def test_a_registered_secret_is_redacted_anywhere_in_a_string():
    r = Redactor(["s3cr3t-value"])
    assert r.text("before s3cr3t-value after") == f"before {REDACTED} after"


def test_anything_shaped_like_an_api_key_is_redacted():
    assert KEY not in Redactor().text(f"key={KEY}")


def test_anything_shaped_like_a_jwt_is_redacted():
    assert JWT not in Redactor().text(f"token {JWT} end")


def test_bearer_headers_are_redacted():
    assert Redactor().text("Authorization: Bearer abc.def") == f"Authorization: Bearer {REDACTED}"


def test_values_under_secret_keys_are_redacted_whole():
    out = Redactor().value({"headers": {"Authorization": "x", "Reactor-API-Key": "y"}, "jwt": "z", "ok": 1})
    assert out == {"headers": {"Authorization": REDACTED, "Reactor-API-Key": REDACTED}, "jwt": REDACTED, "ok": 1}


def test_nested_lists_are_redacted():
    assert Redactor([KEY]).value({"a": [KEY, {"b": KEY}]}) == {"a": [REDACTED, {"b": REDACTED}]}


def test_the_trace_file_never_holds_a_secret(tmp_path):
    path = tmp_path / "t.jsonl"
    trace = Trace(path, Redactor([KEY]))
    trace.http("POST", f"/tokens?k={KEY}", 200)
    trace.frame("recv", "data", {"scope": "runtime", "data": {"note": f"jwt {JWT}"}})
    trace.close()
    text = path.read_text()
    assert KEY not in text and JWT not in text
    assert len(read_trace(path)) == 2


def test_each_record_is_flushed_as_it_is_written(tmp_path):
    path = tmp_path / "t.jsonl"
    trace = Trace(path)
    trace.write("event", what="interrupted")
    assert json.loads(path.read_text())["what"] == "interrupted"  # readable before close
    trace.close()


def test_records_carry_a_monotonic_timestamp(tmp_path):
    path = tmp_path / "t.jsonl"
    trace = Trace(path)
    for _ in range(3):
        trace.write("peer", state="connecting")
    trace.close()
    ts = [r["mono"] for r in read_trace(path)]
    assert ts == sorted(ts)


def test_a_torn_last_line_is_skipped_when_reading(tmp_path):
    path = tmp_path / "t.jsonl"
    path.write_text('{"t": 0.1, "mono": 5.1, "kind": "event", "what": "interrupted"}\n{"t": 0.2, "kind": "b", "tor')
    assert read_trace(path) == [{"t": 0.1, "mono": 5.1, "kind": "event", "what": "interrupted"}]
