"""collect_youtube against recorded API responses (never the network)."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest

import analyzer.io.platforms  # noqa: F401
from analyzer.collect.youtube import CollectError, collect_youtube
from analyzer.errors import AnalyzerError
from analyzer.io import ReadStats, read_comments

RECORDED = Path(__file__).parent / "fixtures" / "youtube_api_recorded"


def body(name: str) -> bytes:
    return (RECORDED / name).read_bytes()


class Replay:
    """A session answering from recorded responses; ``fail_at`` makes one call fail."""

    def __init__(self, fail_at: int | None = None, failure: tuple[int, str] = (403, "quota_exceeded.json")):
        self.calls: list[dict] = []
        self.fail_at, self.failure = fail_at, failure

    def get(self, url: str, headers: dict[str, str]) -> tuple[int, bytes]:
        assert headers == {"X-Goog-Api-Key": "KEY"} and "KEY" not in url  # the key never in a URL
        parsed = urlparse(url)
        query = {k: v[0] for k, v in parse_qs(parsed.query).items()}
        self.calls.append({"method": parsed.path.rsplit("/", 1)[1], **query})
        if self.fail_at is not None and len(self.calls) == self.fail_at:
            return self.failure[0], body(self.failure[1])
        if parsed.path.endswith("/videos"):
            return 200, body("videos.json")
        return 200, body("threads_page2.json" if query.get("pageToken") == "REC_TOKEN_2" else "threads_page1.json")


def test_pages_are_followed_and_the_dump_reads_back(tmp_path):
    out = tmp_path / "dump.jsonl"
    session = Replay()
    state = collect_youtube("recVideo001", "KEY", out, session=session)
    assert state.done and state.pages == 2 and state.threads == 2 and state.comments == 3
    assert [c["method"] for c in session.calls] == ["videos", "commentThreads", "commentThreads"]
    assert session.calls[1]["videoId"] == "recVideo001" and session.calls[1]["maxResults"] == "100"
    assert session.calls[2]["pageToken"] == "REC_TOKEN_2"
    stats = ReadStats()
    comments = list(read_comments(str(out), stats=stats))
    assert stats.files[0].format == "youtube-api" and stats.files[0].accepted == 3
    assert {c.extra["channel_title"] for c in comments} == {"WeTV Indonesia"}
    assert "RecordedViewer" not in json.dumps([c.extra for c in comments])


def test_quota_error_is_one_line_and_resume_continues(tmp_path):
    out = tmp_path / "dump.jsonl"
    with pytest.raises(CollectError) as err:
        collect_youtube("recVideo001", "KEY", out, session=Replay(fail_at=3))
    message = str(err.value)
    assert "\n" not in message and "quotaExceeded" in message and "rerun" in message
    assert isinstance(err.value, AnalyzerError)
    saved = json.loads((tmp_path / "dump.jsonl.state.json").read_text())
    assert saved["pages"] == 1 and saved["next_page_token"] == "REC_TOKEN_2"
    session = Replay()
    state = collect_youtube("recVideo001", "KEY", out, session=session)
    assert [c.get("pageToken") for c in session.calls] == ["REC_TOKEN_2"]
    assert state.done and state.pages == 2
    assert len(out.read_text().splitlines()) == 3  # videos + two pages, nothing twice
    again = Replay()
    collect_youtube("recVideo001", "KEY", out, session=again)
    assert again.calls == []  # already done


def test_resume_trims_a_page_written_after_the_last_state(tmp_path):
    out = tmp_path / "dump.jsonl"
    with pytest.raises(CollectError):
        collect_youtube("recVideo001", "KEY", out, session=Replay(fail_at=3))
    with open(out, "ab") as f:
        f.write(b'{"half": "a page written but not recorded in the state"}\n')
    collect_youtube("recVideo001", "KEY", out, session=Replay())
    assert all("half" not in line for line in out.read_text().splitlines())


@pytest.mark.parametrize("failure, words", [
    ((403, "comments_disabled.json"), "commentsDisabled"),
    ((400, "bad_key.json"), "API_KEY_INVALID"),
])
def test_other_api_errors(tmp_path, failure, words):
    with pytest.raises(CollectError, match=words):
        collect_youtube("recVideo001", "KEY", tmp_path / "d.jsonl", session=Replay(fail_at=2, failure=failure))


def test_state_of_another_video_is_refused(tmp_path):
    out = tmp_path / "dump.jsonl"
    collect_youtube("recVideo001", "KEY", out, session=Replay())
    with pytest.raises(CollectError, match="belongs to video recVideo001"):
        collect_youtube("otherVideo", "KEY", out, session=Replay())
    state = collect_youtube("otherVideo", "KEY", out, resume=False, session=Replay())
    assert state.video_id == "otherVideo"


def test_missing_arguments(tmp_path):
    with pytest.raises(CollectError, match="YOUTUBE_API_KEY"):
        collect_youtube("recVideo001", "", tmp_path / "d.jsonl", session=Replay())


def test_cli_takes_the_key_from_env_or_file_never_argv(tmp_path, monkeypatch, capsys):
    from analyzer.cli import main
    from analyzer.collect.youtube import read_api_key

    out = str(tmp_path / "d.jsonl")
    assert main(["collect", "youtube", "--video", "v", "--api-key", "SECRETKEY", "-o", out]) == 1
    err = capsys.readouterr().err
    assert "\n" not in err.strip() and "YOUTUBE_API_KEY" in err and "SECRETKEY" not in err
    monkeypatch.delenv("YOUTUBE_API_KEY", raising=False)
    with pytest.raises(CollectError, match="YOUTUBE_API_KEY"):
        read_api_key()
    monkeypatch.setenv("YOUTUBE_API_KEY", " envkey \n")
    assert read_api_key() == "envkey"
    key_file = tmp_path / "key.txt"
    key_file.write_text("filekey\n")
    assert read_api_key(str(key_file)) == "filekey"
