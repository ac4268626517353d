from django.apps import AppConfig, apps
from django.utils.translation import gettext_lazy as _


class AuditConfig(AppConfig):
    name = "audit"
    verbose_name = _("安全审计")

    def ready(self):
        from django.contrib.admin.models import LogEntry
        from django.contrib.auth import signals as auth_signals
        from django.db.models.signals import m2m_changed, post_save
        from simple_history.signals import post_create_historical_record

        from accounts import signals as account_signals
        from accounts.models import User
        from core import events

        from . import receivers

        uid = "audit"
        auth_signals.user_logged_in.connect(receivers.logged_in, dispatch_uid=uid)
        auth_signals.user_login_failed.connect(receivers.login_failed, dispatch_uid=uid)
        auth_signals.user_logged_out.connect(receivers.logged_out, dispatch_uid=uid)
        if apps.is_installed("axes"):
            from axes.signals import user_locked_out

            user_locked_out.connect(receivers.locked_out, dispatch_uid=uid)
        if hasattr(account_signals, "user_locked_out"):
            account_signals.user_locked_out.connect(receivers.locked_out, dispatch_uid=uid)
        for name in (
            "password_changed",
            "account_unlocked",
            "token_created",
            "token_revoked",
            "sessions_ended",
            "otp_device_added",
            "otp_device_reset",
        ):
            getattr(account_signals, name).connect(getattr(receivers, name), dispatch_uid=uid)
        post_create_historical_record.connect(receivers.history_recorded, dispatch_uid=uid)
        post_save.connect(receivers.admin_logged, sender=LogEntry, dispatch_uid=uid)
        m2m_changed.connect(receivers.roles_changed, sender=User.roles.through, dispatch_uid=uid)
        events.subscribe(events.ANY)(receivers.business_step)
