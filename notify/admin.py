from django.contrib import admin

from .models import Delivery, Notification, Preference, UnitChannel


@admin.register(UnitChannel)
class UnitChannelAdmin(admin.ModelAdmin):
    list_display = ["unit", "name", "active"]
    list_filter = ["active"]
    search_fields = ["unit__name", "name"]
    autocomplete_fields = ["unit"]


@admin.register(Preference)
class PreferenceAdmin(admin.ModelAdmin):
    list_display = ["user", "email", "sms", "digest", "quiet_start", "quiet_end"]


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["user", "title", "event", "created_at", "read_at"]
    list_filter = ["event"]
    readonly_fields = [f.name for f in Notification._meta.fields]


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = ["created_at", "channel", "target", "subject", "status", "attempts"]
    list_filter = ["status", "channel"]
    readonly_fields = [f.name for f in Delivery._meta.fields]
