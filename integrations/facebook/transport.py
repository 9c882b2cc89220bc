"""The Graph API client: Send API, user profiles, attachment downloads. Timeouts always.

Tokens travel in the Authorization header, never in the URL, so that no exception text or
access log ever carries one.
"""

import logging
import re
import threading
import time
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

import requests
from django.conf import settings

logger = logging.getLogger(__name__)

# Meta's Send API error codes worth another try (temporary failure, rate limits); anything
# else it names is permanent: 10/2018278 outside the window, 551 person unavailable,
# 190 token, 100 invalid parameter, 200 permission, ...
TRANSIENT_CODES = {2, 4, 613, 1200}
TOKEN_INVALID_CODE = 190
DEFAULT_TIMEOUT = (3.05, 10.0)
USER_AGENT = "omnichannel-facebook/1"


class GraphError(Exception):
    """Facebook (or the way to it) refused or failed a call."""

    def __init__(
        self,
        message: str,
        *,
        transient: bool,
        code: int | None = None,
        subcode: int | None = None,
        status: int | None = None,
        unanswered: bool = False,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.transient = transient
        # The request left but no answer came: Facebook may or may not have acted on it.
        self.unanswered = unanswered
        self.code = code
        self.subcode = subcode
        self.status = status

    @property
    def token_invalid(self) -> bool:
        return self.code == TOKEN_INVALID_CODE

    @property
    def reason(self) -> str:
        """What the agent reads next to the failed message: Facebook's own words and code."""
        if self.code is None:
            return self.message
        code = f"{self.code}/{self.subcode}" if self.subcode else str(self.code)
        return f"{self.message} (Facebook error {code})"


@dataclass(frozen=True)
class Download:
    content: bytes
    content_type: str
    name: str


_local = threading.local()


def _session() -> requests.Session:
    session = getattr(_local, "session", None)
    if session is None:
        session = requests.Session()
        session.headers["User-Agent"] = USER_AGENT
        _local.session = session
    return session


def _timeout() -> tuple[float, float]:
    return tuple(getattr(settings, "FACEBOOK_TIMEOUT", DEFAULT_TIMEOUT))


def _base_url() -> str:
    return settings.FACEBOOK_GRAPH_URL.rstrip("/")


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _error_from(response: requests.Response) -> GraphError:
    try:
        error = response.json().get("error") or {}
    except (ValueError, AttributeError):
        error = {}
    code = error.get("code") if isinstance(error.get("code"), int) else None
    subcode = error.get("error_subcode") if isinstance(error.get("error_subcode"), int) else None
    message = str(error.get("message") or f"HTTP {response.status_code}")[:500]
    transient = code in TRANSIENT_CODES or (
        code is None and (response.status_code >= 500 or response.status_code == 429)
    )
    if code is not None and code not in TRANSIENT_CODES and response.status_code >= 500:
        # A 5xx naming an unknown code is still the server's trouble, not ours.
        transient = True
    return GraphError(
        message, transient=transient, code=code, subcode=subcode, status=response.status_code
    )


def _call(method: str, url: str, **kwargs) -> requests.Response:
    try:
        response = _session().request(method, url, timeout=_timeout(), **kwargs)
    except requests.ConnectTimeout:
        raise GraphError("Facebook did not answer in time.", transient=True) from None
    except requests.Timeout:
        raise GraphError(
            "Facebook did not answer in time.", transient=True, unanswered=True
        ) from None
    except requests.RequestException as error:
        # The class name only: the text of some requests errors repeats the URL.
        raise GraphError(
            f"Could not reach Facebook ({type(error).__name__}).", transient=True
        ) from None
    return response


def send_text(
    *,
    page_id: str,
    token: str,
    psid: str,
    text: str,
    messaging_type: str,
    tag: str = "",
    metadata: str = "",
) -> str:
    """Send one text message with the Send API; Facebook's message id (mid)."""
    body: dict = {
        "recipient": {"id": psid},
        "messaging_type": messaging_type,
        "message": {"text": text},
    }
    if tag:
        body["tag"] = tag
    if metadata:
        body["message"]["metadata"] = metadata
    response = _call("POST", f"{_base_url()}/{page_id}/messages", json=body, headers=_auth(token))
    if response.status_code != 200:
        raise _error_from(response)
    try:
        mid = response.json()["message_id"]
    except (ValueError, KeyError, TypeError):
        raise GraphError("Facebook answered without a message id.", transient=False) from None
    return str(mid)


def user_profile(*, token: str, psid: str) -> dict:
    """The person's first and last name, when the page's token may read them."""
    response = _call(
        "GET",
        f"{_base_url()}/{psid}",
        params={"fields": "first_name,last_name"},
        headers=_auth(token),
    )
    if response.status_code != 200:
        raise _error_from(response)
    try:
        profile = response.json()
    except ValueError:
        raise GraphError("Facebook sent an unreadable profile.", transient=True) from None
    return profile if isinstance(profile, dict) else {}


_FILENAME = re.compile(r"filename\*?=(?:UTF-8'')?\"?([^\";]+)\"?", re.IGNORECASE)
DEFAULT_DOWNLOAD_SECONDS = 120.0


def name_in_url(url: str) -> str:
    """The file name an attachment's address ends with (Facebook's CDN keeps one there)."""
    return unquote(urlsplit(url).path.rsplit("/", 1)[-1])[:200]


def _too_big(max_bytes: int) -> GraphError:
    return GraphError(
        f"The attachment is bigger than {max_bytes / (1024 * 1024):g} MB.", transient=False
    )


def download(url: str, *, max_bytes: int) -> Download:
    """Fetch an attachment (its URL expires soon); refuses more than max_bytes.

    Besides the connect and read timeouts, the whole transfer has a deadline
    (FACEBOOK_DOWNLOAD_SECONDS), so a server trickling bytes cannot hold a worker.
    """
    if urlsplit(url).scheme not in {"http", "https"}:
        raise GraphError("The attachment has no web address.", transient=False)
    deadline = time.monotonic() + getattr(
        settings, "FACEBOOK_DOWNLOAD_SECONDS", DEFAULT_DOWNLOAD_SECONDS
    )
    try:
        with _session().get(url, timeout=_timeout(), stream=True) as response:
            if response.status_code != 200:
                raise GraphError(
                    f"The attachment could not be downloaded (HTTP {response.status_code}).",
                    transient=response.status_code >= 500 or response.status_code == 429,
                    status=response.status_code,
                )
            declared = response.headers.get("Content-Length", "")
            if declared.isdigit() and int(declared) > max_bytes:
                raise _too_big(max_bytes)
            chunks, size = [], 0
            for chunk in response.iter_content(64 * 1024):
                size += len(chunk)
                if size > max_bytes:
                    raise _too_big(max_bytes)
                if time.monotonic() > deadline:
                    raise requests.Timeout()
                chunks.append(chunk)
            content_type = response.headers.get("Content-Type", "").split(";")[0].strip()
            disposition = _FILENAME.search(response.headers.get("Content-Disposition", ""))
    except requests.Timeout:
        raise GraphError("The attachment download timed out.", transient=True) from None
    except requests.RequestException as error:
        raise GraphError(
            f"The attachment could not be downloaded ({type(error).__name__}).", transient=True
        ) from None
    name = unquote(disposition.group(1)) if disposition else ""
    return Download(
        content=b"".join(chunks), content_type=content_type, name=name[:200] or name_in_url(url)
    )
