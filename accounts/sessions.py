"""Sessions kept in the database as Django keeps them, read with a compiled statement.

Every signed-in request and every agent's socket reads its session first. The read is
Django's own (`django.contrib.sessions.backends.db`), by the session key, with the expiry
checked here instead of in the SQL, so the statement is compiled once per process
(omnichannel.compiled) instead of on every request. The table, the rows and the cookies are
Django's: switching to this store signs nobody out.
"""

from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
from django.contrib.sessions.models import Session
from django.utils import timezone

from omnichannel.compiled import CompiledGet

_session = CompiledGet(lambda: Session.objects.all(), "session_key")


class SessionStore(DatabaseSessionStore):
    def _get_session_from_db(self) -> Session | None:
        session = _session.get(session_key=self.session_key)
        if session is None or session.expire_date <= timezone.now():
            self._session_key = None
            return None
        return session
