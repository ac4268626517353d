"""Signals of the security events of accounts (identification, sessions, tokens).

Django's own auth signals (user_logged_in, user_logged_out, user_login_failed)
cover signing in; the signals below cover the rest (the sign-in lockout is the
platform's own, accounts/throttling.py, not django-axes: listen to
``user_locked_out`` here). Each is sent with ``sender`` (the class or module sending it) and the
keyword arguments ``user`` (the account concerned), ``by`` (the person acting:
the user themself or a security administrator; None when the system acts) and
``request`` (the HTTP request, or None outside a request), plus the extra
arguments named on each signal.
"""

from django.dispatch import Signal

# A username or a client address was locked out after too many failed sign-ins
# (sent once, when the lock starts). Extra: ``username`` (as typed; None for an
# address lock), ``ip_address`` (the client's address), ``until`` (datetime the
# lock ends), ``kind`` ("username" or "address"); ``user`` is the account of
# that username or None, ``by`` is None.
user_locked_out = Signal()

# A user's password was changed: by themself (``by`` is the user) or set by an
# administrator (``by`` is the administrator). Extra: ``reason`` one of
# "change" (voluntary), "expired" (forced by the 90-day rule), "first_login"
# (forced after an initial password), "reset" (set by an administrator).
password_changed = Signal()

# A locked-out account (or address) was unlocked by a security administrator.
# Extra: ``username`` (the locked username, may name no account: then ``user``
# is None) and ``ip_address`` (the locked address or None).
account_unlocked = Signal()

# An API token was issued. Extra: ``token`` (the rest_framework Token) and
# ``expires_at`` (datetime or None).
token_created = Signal()

# An API token was revoked by a security administrator or by its owner. Extra:
# ``token_key_prefix`` (first characters of the key, never the whole key).
token_revoked = Signal()

# A user's other sessions were ended. Extra: ``count`` (how many ended).
sessions_ended = Signal()

# A two-factor (TOTP) device was confirmed for a user (by themself). Extra:
# ``device`` (the django-otp device).
otp_device_added = Signal()

# A user's two-factor devices (and recovery codes) were removed by a security
# administrator, so the user enrols again at the next sign-in.
otp_device_reset = Signal()
