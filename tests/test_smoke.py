def test_log_then_status(log, status_json):
    log("troops", criterion="bases-closed", status="met", date="2025-01-01")
    data = status_json("2025-02-01")
    troops = data["conditions"][0]
    assert troops["id"] == "troops"
    assert [c["status"] for c in troops["criteria"]] == ["met", "unknown"]
    assert troops["score"] == 50.0
