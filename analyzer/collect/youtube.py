"""Collect a video's comments with the official YouTube Data API v3.

``collect_youtube`` writes one API response per line (JSON Lines): first the
``videos.list`` response (title and channel, used for drama linking and region),
then every ``commentThreads.list`` page. ``analyzer.io`` reads the file back as the
``youtube-api`` format. Progress is kept in ``<out>.state.json`` after each page:
a rerun resumes from the next page token (and trims a page written after the last
saved state), so a quota error or a dropped connection loses nothing. Uses urllib
only; tests pass a ``session`` that replays recorded responses.
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Protocol

from ..errors import AnalyzerError

API = "https://www.googleapis.com/youtube/v3"
TIMEOUT_S = 30


class CollectError(AnalyzerError):
    """Collection stopped; the message says why and how to go on."""


ENV_KEY = "YOUTUBE_API_KEY"


class Session(Protocol):
    def get(self, url: str, headers: dict[str, str]) -> tuple[int, bytes]: ...


class UrllibSession:
    """GET with urllib; returns (HTTP status, body) for error statuses too."""

    def get(self, url: str, headers: dict[str, str]) -> tuple[int, bytes]:
        request = urllib.request.Request(url, headers={"Accept": "application/json", **headers})
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT_S) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read()
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise CollectError(f"Cannot reach the YouTube API ({reason}); check the network and rerun "
                               "the same command to resume.") from None


@dataclass
class CollectState:
    video_id: str
    next_page_token: str | None = None
    pages: int = 0
    threads: int = 0
    comments: int = 0
    bytes_written: int = 0
    done: bool = False


def collect_youtube(video_id: str, api_key: str, out_path: str | Path, resume: bool = True,
                    session: Session | None = None, *, max_pages: int | None = None,
                    order: str = "time") -> CollectState:
    """Fetch all comment threads (with their embedded replies) of ``video_id`` into ``out_path``."""
    if not video_id or not isinstance(video_id, str):
        raise CollectError("Give the video id with --video ID (the part after v= in the URL).")
    if not api_key:
        raise CollectError(f"Give a YouTube Data API v3 key in ${ENV_KEY} or a file named by --api-key-file "
                           "(Google Cloud console -> Credentials).")
    out_path, session = Path(out_path), session or UrllibSession()
    state_path = out_path.with_name(out_path.name + ".state.json")
    state = _load_state(state_path, video_id) if resume else None
    if state is None:
        state = CollectState(video_id)
        out_path.write_bytes(b"")
    elif state.done:
        return state
    _trim(out_path, state.bytes_written)
    if state.pages == 0 and state.bytes_written == 0:
        video = _call(session, "videos", {"part": "snippet", "id": video_id}, api_key, state_path)
        if not video.get("items"):
            raise CollectError(f"No video with id {video_id!r}; check the id after v= in the URL.")
        _append(out_path, video, state)
        _save(state_path, state)
    while not state.done and (max_pages is None or state.pages < max_pages):
        params = {"part": "snippet,replies", "videoId": video_id, "maxResults": 100, "order": order,
                  "textFormat": "plainText"}
        if state.next_page_token:
            params["pageToken"] = state.next_page_token
        page = _call(session, "commentThreads", params, api_key, state_path)
        items = page.get("items") or []
        _append(out_path, page, state)
        state.pages += 1
        state.threads += len(items)
        state.comments += sum(1 + len((i.get("replies") or {}).get("comments") or []) for i in items)
        state.next_page_token = page.get("nextPageToken")
        state.done = not state.next_page_token
        _save(state_path, state)
    return state


def _call(session: Session, method: str, params: dict, api_key: str, state_path: Path) -> dict:
    # The key travels in a header, never in the URL (URLs end up in logs and proxies).
    url = f"{API}/{method}?{urllib.parse.urlencode(params)}"
    status, body = session.get(url, {"X-Goog-Api-Key": api_key})
    try:
        payload = json.loads(body.decode("utf-8")) if body else {}
    except (UnicodeDecodeError, json.JSONDecodeError):
        payload = {}
    if status == 200 and isinstance(payload, dict):
        return payload
    raise CollectError(_error_message(status, payload, state_path))


_REASONS = {
    "quotaExceeded": "the API key's daily quota is used up; rerun the same command after it resets "
                     "(midnight Pacific time) to resume",
    "dailyLimitExceeded": "the API key's daily quota is used up; rerun the same command after it resets to resume",
    "rateLimitExceeded": "too many requests; wait a minute and rerun the same command to resume",
    "commentsDisabled": "comments are disabled for this video; nothing to collect",
    "videoNotFound": "no such video; check the id after v= in the URL",
    "API_KEY_INVALID": "the API key is not valid; create one in the Google Cloud console (APIs & Services -> Credentials)",
    "keyInvalid": "the API key is not valid; create one in the Google Cloud console (APIs & Services -> Credentials)",
    "forbidden": "the API refused the request; check that the YouTube Data API v3 is enabled for this key",
    "accessNotConfigured": "the YouTube Data API v3 is not enabled for this key's project; enable it in the console",
}


def _error_message(status: int, payload, state_path: Path) -> str:
    error = payload.get("error") if isinstance(payload, dict) else None
    error = error if isinstance(error, dict) else {}
    reasons = [item.get("reason") for key in ("details", "errors") for item in (error.get(key) or [])
               if isinstance(item, dict) and isinstance(item.get("reason"), str)]
    reason = next((r for r in reasons if r in _REASONS), reasons[0] if reasons else None)
    hint = _REASONS.get(reason or "", "see the API's message and rerun the same command to resume")
    text = f"YouTube API error {status}" + (f" ({reason})" if reason else "") + f": {hint}"
    if error.get("message") and reason not in _REASONS:
        text += f"; API said: {' '.join(str(error['message']).split())[:200]}"
    return text + f"; progress is saved in {state_path.name}."


def _append(out_path: Path, payload: dict, state: CollectState) -> None:
    line = (json.dumps(payload, ensure_ascii=False) + "\n").encode("utf-8")
    with open(out_path, "ab") as f:
        f.write(line)
        f.flush()
        os.fsync(f.fileno())
    state.bytes_written += len(line)


def _trim(out_path: Path, size: int) -> None:
    """Drop anything written after the last saved state (a page written, state not)."""
    if out_path.exists() and out_path.stat().st_size > size:
        with open(out_path, "r+b") as f:
            f.truncate(size)
    elif not out_path.exists():
        out_path.write_bytes(b"")


def _load_state(state_path: Path, video_id: str) -> CollectState | None:
    try:
        data = json.loads(state_path.read_text(encoding="utf-8"))
        state = CollectState(**data)
    except FileNotFoundError:
        return None
    except (ValueError, TypeError) as exc:
        raise CollectError(f"{state_path} is not a valid state file ({exc}); delete it to start over.") from None
    if state.video_id != video_id:
        raise CollectError(f"{state_path} belongs to video {state.video_id}, not {video_id}; "
                           "choose another -o file or delete the state file to start over.")
    return state


def read_api_key(key_file: str | None = None) -> str:
    """The API key from ``key_file`` (first line) or the ``YOUTUBE_API_KEY`` environment
    variable; never from a command-line argument, which ``ps`` and shell history show."""
    if key_file:
        try:
            key = Path(key_file).read_text(encoding="utf-8").strip().splitlines()
        except OSError as exc:
            raise CollectError(f"Cannot read the API key file {key_file}: {exc.strerror}.") from None
        if not key or not key[0].strip():
            raise CollectError(f"The API key file {key_file} is empty; put the key on its first line.")
        return key[0].strip()
    key = os.environ.get(ENV_KEY, "").strip()
    if not key:
        raise CollectError(f"Give a YouTube Data API v3 key in ${ENV_KEY} or a file named by --api-key-file "
                           "(Google Cloud console -> Credentials).")
    return key


def _save(state_path: Path, state: CollectState) -> None:
    tmp = state_path.with_name(state_path.name + ".tmp")
    tmp.write_text(json.dumps(asdict(state)), encoding="utf-8")
    os.replace(tmp, state_path)
