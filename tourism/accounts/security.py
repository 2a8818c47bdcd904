"""The security policy: who is signed in (from the session cookie) and what they may do.

The session holds the user's id and their `session_version`; raising the version in the
database signs that user out of every browser at once.
"""
from pyramid.authorization import ACLHelper

from tourism.accounts.models import User
from tourism.accounts.permissions import principals_for

USER_KEY = "auth.user_id"
VERSION_KEY = "auth.version"


class SessionSecurityPolicy:
    def identity(self, request) -> User | None:
        # Looked up once per request; the request caches it in `request.identity`.
        user_id = request.session.get(USER_KEY)
        if user_id is None:
            return None
        user = request.dbsession.get(User, user_id)
        if user is None or not user.is_active or user.session_version != request.session.get(VERSION_KEY):
            return None
        return user

    def authenticated_userid(self, request):
        user = request.identity
        return None if user is None else user.id

    def permits(self, request, context, permission):
        return ACLHelper().permits(context, principals_for(request.identity), permission)

    def remember(self, request, userid, **kw):
        user = request.dbsession.get(User, userid)
        # A fresh session on sign-in: nothing set before signing in (or by someone who
        # planted a cookie) carries over, and the CSRF token changes too.
        request.session.invalidate()
        request.session[USER_KEY] = user.id
        request.session[VERSION_KEY] = user.session_version
        request.session.new_csrf_token()
        return []

    def forget(self, request, **kw):
        request.session.invalidate()
        return []
